"""A planner's edits to a plan: split points, reassignments and merges drawn as GeoJSON.

:func:`apply_edits` (behind :meth:`rivermap.Plan.apply_edits`) reads the edits
(:func:`read_edits`), checks that they were made on this plan when the file
says which plan it was made on (its top-level ``rivermap`` member, written by
the map's editing mode: ``plan_id``, ``plan_hash``, ``level``), snaps each
point to the nearest river stretch, applies the features in order to a working
table of stretches, and numbers, names and cuts the segments anew.

A merge names the plan's segments (``segment_ids``), or, for stretches that a
split of the same file made and that have no id yet, is a Point on the cut
between two neighbouring stretches: the point is located on its river like a
split point, and the cut of that river nearest to it (within ``tolerance_m``
along the river) is removed. Every edit is checked here whatever made the
file: an edit that cannot be applied raises :class:`~rivermap.errors.SchemaError`
naming the feature, and the plan is left as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap._segments import by_unit, finish_segments, names_of, pieces_of, river_names
from rivermap.errors import CRSError, DataError, RivermapError, SchemaError, format_ids
from rivermap.io import read_vector
from rivermap.params import check_length
from rivermap.runs import EPS_M
from rivermap.text import text_or

if TYPE_CHECKING:
    from rivermap.plan import Plan

__all__ = ["apply_edits", "read_edits"]

#: One edit: its action, its geometry (or None) and its other properties.
Feature: TypeAlias = tuple[str, Any, dict[str, Any]]

# A cut closer than this (metres) to an existing cut or a river end does nothing.
_SNAP_CUT_M = 1.0
# A split this close (metres) to a change of responsible unit is moved onto it.
_SNAP_CHANGE_M = 2.0
_ACTIONS = "use 'split', 'assign' or 'merge'"


def apply_edits(plan: Plan, edits: Any, *, tolerance_m: float) -> Plan:
    """Return ``plan`` with ``edits`` applied (see :meth:`rivermap.Plan.apply_edits`)."""
    tolerance_m = check_length("tolerance_m", tolerance_m)
    with _named(_where(edits)):
        data, crs = _load(edits)
        collection = _collection(data)
        _check_plan(collection, plan, _where(edits))
        crs = _member_crs(collection, crs)
        features = [_feature(i, feat) for i, feat in enumerate(collection["features"])]
        editor = _Editor(plan, crs, tolerance_m)
        lines, records = [], []
        for i, (action, geom, props) in enumerate(features):
            line, record = editor.apply(i, action, geom, props)
            lines.append(line)
            records.append(_jsonable(record))
    seg = plan.segments
    names = river_names(seg, plan.baseline)
    segments = finish_segments(
        editor.work, pieces_of(seg), editor.metric, names, plan.units, plan.baseline
    )
    return dataclasses.replace(
        plan, segments=segments, log=[*plan.log, *lines], edits=[*plan.edits, *records]
    )


# ================================================================== reading
def read_edits(edits: Any) -> tuple[list[Feature], pyproj.CRS]:
    """Return the edits as (action, shapely geometry or None, properties), and their CRS.

    Parameters
    ----------
    edits
        A GeoJSON FeatureCollection, Feature or list of features; a
        ``.geojson``/``.json`` file; a GeoDataFrame; or another vector file.

    Raises
    ------
    TypeError
        ``edits`` is none of these.
    CRSError
        A GeoDataFrame without a CRS, or an unknown ``crs`` member.
    DataError
        A file that does not exist or is not readable GeoJSON.
    SchemaError
        A feature that is not a feature, has no ``action`` or an unreadable
        geometry.
    """
    with _named(_where(edits)):
        data, crs = _load(edits)
        collection = _collection(data)
        crs = _member_crs(collection, crs)
        return [_feature(i, feat) for i, feat in enumerate(collection["features"])], crs


def _where(edits: Any) -> str:
    """Return how messages name the edits: the file's path, else ``edits``."""
    return os.fspath(edits) if isinstance(edits, str | os.PathLike) else "edits"


@contextlib.contextmanager
def _named(where: str) -> Iterator[None]:
    """Begin every error's message with ``where`` (the edits file), unless it already does."""
    try:
        yield
    except RivermapError as exc:
        if str(exc).startswith(where):
            raise
        raise type(exc)(f"{where}: {exc}") from exc


def _check_plan(collection: Mapping[str, Any], plan: Plan, where: str) -> None:
    """Refuse edits whose ``rivermap`` member names another plan (by its content hash).

    Edits without the member (typed by hand, drawn in QGIS) are not checked.
    """
    member = collection.get("rivermap")
    if member is None:
        return
    if not isinstance(member, Mapping):
        msg = f"{where}: the 'rivermap' member must be an object with plan_id and plan_hash"
        raise SchemaError(msg)
    their = member.get("plan_hash")
    if their is None:
        return
    if not isinstance(their, str):
        msg = f"{where}: 'rivermap.plan_hash' must be text, not {type(their).__name__}"
        raise SchemaError(msg)
    if their.strip().lower() != plan.content_hash:
        name = member.get("plan_id")
        theirs = str(name) if isinstance(name, str | int) else their[:16]
        msg = (
            f"{where}: these edits were made on plan {theirs!r}, not on this plan "
            f"{plan.plan_id!r}; apply them to the plan they were drawn on (read_plan of "
            "its file), or draw them again on this plan's map"
        )
        raise SchemaError(msg)


def _load(edits: Any) -> tuple[Any, pyproj.CRS]:
    """Return the edits as GeoJSON-like data, and the CRS of its coordinates."""
    if isinstance(edits, gpd.GeoDataFrame):
        if edits.crs is None:
            msg = "edits: the GeoDataFrame has no CRS; set one with .set_crs()"
            raise CRSError(msg)
        return json.loads(edits.to_json(drop_id=True)), pyproj.CRS.from_user_input(edits.crs)
    if isinstance(edits, str | os.PathLike):
        return _load_file(Path(edits))
    return edits, pyproj.CRS.from_epsg(4326)


def _load_file(path: Path) -> tuple[Any, pyproj.CRS]:
    """Return a GeoJSON file's data (WGS84), or another vector file's features and CRS."""
    if not path.exists():
        msg = f"{path}: no such file"
        raise DataError(msg)
    if path.suffix.lower() not in (".geojson", ".json"):
        return _load(read_vector(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a readable GeoJSON file ({exc})"
        raise DataError(msg) from exc
    return data, pyproj.CRS.from_epsg(4326)


def _collection(data: Any) -> Mapping[str, Any]:
    """Return a Feature, a list of features or a FeatureCollection as a FeatureCollection."""
    if isinstance(data, Mapping) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        data = {"type": "FeatureCollection", "features": list(data)}
    if not isinstance(data, Mapping) or not isinstance(data.get("features"), Sequence):
        msg = (
            "edits must be a GeoJSON FeatureCollection (a dict or a file), "
            "a list of features or a GeoDataFrame"
        )
        raise TypeError(msg)
    return data


def _member_crs(data: Mapping[str, Any], crs: pyproj.CRS) -> pyproj.CRS:
    """Return the CRS named by a (legacy) ``crs`` member, else ``crs``."""
    member = data.get("crs")
    if not isinstance(member, Mapping):
        return crs
    name = (member.get("properties") or {}).get("name")
    if not name:
        return crs
    try:
        return pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError as exc:
        msg = f"edits: unknown crs {name!r} ({exc})"
        raise CRSError(msg) from exc


def _feature(i: int, feat: Any) -> Feature:
    """Return one GeoJSON feature as (action, shapely geometry or None, other properties)."""
    if not isinstance(feat, Mapping):
        msg = f"edit feature #{i}: not a GeoJSON feature"
        raise SchemaError(msg)
    props = dict(feat.get("properties") or {})
    action = props.pop("action", None)
    if not isinstance(action, str):
        msg = f"edit feature #{i}: no 'action' property ({_ACTIONS})"
        raise SchemaError(msg)
    g = feat.get("geometry")
    try:
        geom = shapely.geometry.shape(g) if g else None
    except Exception as exc:
        msg = f"edit feature #{i}: unreadable geometry ({exc})"
        raise SchemaError(msg) from exc
    return action.strip().lower(), geom, props


def _jsonable(rec: dict[str, Any]) -> dict[str, Any]:
    """Return ``rec`` as JSON would give it back (text for anything JSON has no type for)."""
    return json.loads(json.dumps(rec, ensure_ascii=False, default=str))


# ================================================================= applying
class _Editor:
    """The plan's stretches being edited (:attr:`work`), and what the edits look up."""

    def __init__(self, plan: Plan, crs: pyproj.CRS, tol: float) -> None:
        seg = plan.segments
        self.work = pd.DataFrame(
            {
                "river_id": seg["river_id"].astype(str).to_numpy(dtype=object),
                "from_m": seg["from_m"].to_numpy(dtype=float),
                "to_m": seg["to_m"].to_numpy(dtype=float),
                "unit_id": seg["unit_id"].to_numpy(dtype=object),
            }
        )
        self.metric = pyproj.CRS.from_user_input(plan.metric_crs)
        self._by_id = seg.set_index("segment_id")
        self._known = set(plan.units["unit_id"].astype(str))
        self._uname = by_unit(plan.units, "name")
        self._baseline = plan.baseline
        self._rname = river_names(seg, plan.baseline)
        self._pieces = pieces_of(seg)
        self._locator: _Locator | None = None
        self._crs, self._tol = crs, tol

    def apply(
        self, i: int, action: str, geom: Any, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """Apply edit ``i`` to :attr:`work`; return its log line and its record."""
        if action in ("split", "assign"):
            return self._at_point(i, action, geom, props)
        if action == "merge" and props.get("segment_ids") is None and geom is not None:
            return self._merge_at(i, geom, props)
        if action == "merge":
            return self._merge(i, props)
        msg = (
            f"edit feature #{i}: unknown action {action!r}; "
            f"{_ACTIONS} (in the feature's properties)"
        )
        raise SchemaError(msg)

    def _locate(
        self, where: str, action: str, geom: Any, props: dict[str, Any]
    ) -> tuple[str, float, float]:
        """Return the river, chainage and distance of an edit's point, checked."""
        if not isinstance(geom, shapely.Point) or geom.is_empty:
            got = "no geometry" if geom is None else geom.geom_type
            msg = f"{where}: action {action!r} needs a Point geometry, got {got}"
            raise SchemaError(msg)
        if self._locator is None:
            self._locator = _Locator(self._pieces, self.metric)
        return self._locator.locate(
            geom, self._crs, river_id=props.get("river_id"), where=where, tol=self._tol
        )

    def _at_point(
        self, i: int, action: str, geom: Any, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """Split the river at a point, or give the segment under it to a unit."""
        where = f"edit feature #{i}"
        river, at_m, dist = self._locate(where, action, geom, props)
        record = {"action": action, **props, "river_id": river, "at_m": round(at_m, 3)}
        if action == "split":
            at_m, snapped = _snap_to_change(self._baseline, river, at_m)
            self.work, line = _edit_split(self.work, river, at_m, dist)
            if snapped:
                line += f"; snapped {snapped:,.2f} m to where the unit changes"
        else:
            unit = _edit_unit(props, self._known, where, required=True)
            self.work, line = _edit_assign(self.work, river, at_m, dist, unit, self._uname)
        return f"edit #{i}: {line}".replace("{river}", str(self._rname.get(river, river))), record

    def _merge(self, i: int, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Merge adjacent segments of one river."""
        where = f"edit feature #{i}"
        ids = _segment_ids(props, where)
        unit = _edit_unit(props, self._known, where, required=False)
        self.work, line = _edit_merge(self.work, self._by_id, ids, unit, self._uname, where)
        return f"edit #{i}: {line}", {"action": "merge", **props, "segment_ids": ids}

    def _merge_at(self, i: int, geom: Any, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Join the two stretches that meet at the cut nearest a point."""
        where = f"edit feature #{i}"
        river, at_m, dist = self._locate(where, "merge", geom, props)
        unit = _edit_unit(props, self._known, where, required=False)
        self.work, cut, line = _edit_merge_at(
            self.work, river, at_m, unit, self._uname, where, self._tol
        )
        line += f" (point {dist:,.1f} m from the river)"
        record = {"action": "merge", **props, "river_id": river, "at_m": round(cut, 3)}
        return f"edit #{i}: {line}".replace("{river}", str(self._rname.get(river, river))), record


class _Locator:
    """Snap points to the nearest river stretch: (river_id, chainage, distance)."""

    def __init__(self, pieces: gpd.GeoDataFrame, metric: pyproj.CRS) -> None:
        pcs = pieces.reset_index(drop=True)
        self._river = pcs["river_id"].astype(str).to_numpy(dtype=object)
        self._lo = pcs["from_m"].to_numpy(dtype=float)
        self._hi = pcs["to_m"].to_numpy(dtype=float)
        self._geoms = pcs.geometry.to_crs(metric).to_numpy()
        glen = shapely.length(self._geoms)
        self._scale = np.where(glen > 0, (self._hi - self._lo) / np.where(glen > 0, glen, 1), 0)
        self._tree = shapely.STRtree(self._geoms)
        self._metric = metric

    def locate(
        self, point: shapely.Point, crs: pyproj.CRS, *, river_id: Any, where: str, tol: float
    ) -> tuple[str, float, float]:
        """Return the river, the chainage and the distance of the stretch nearest ``point``."""
        pt = gpd.GeoSeries([point], crs=crs).to_crs(self._metric).iloc[0]
        if river_id is not None and str(river_id) not in set(self._river):
            msg = f"{where}: river_id {river_id!r} is not in the plan"
            raise SchemaError(msg)
        if river_id is not None:
            cand = np.flatnonzero(self._river == str(river_id))
            dist = shapely.distance(self._geoms[cand], pt)
            best = int(cand[int(np.argmin(dist))])
            d = float(dist.min())
        else:
            idx, dists = self._tree.query_nearest([pt], return_distance=True, all_matches=False)
            best, d = int(idx[1][0]), float(dists[0])
        if d > tol:
            msg = (
                f"{where}: the point is {d:,.1f} m from the nearest river "
                f"({self._river[best]!r}); it must lie within {tol:g} m (tolerance_m)"
            )
            raise SchemaError(msg)
        at = self._lo[best] + float(shapely.line_locate_point(self._geoms[best], pt)) * float(
            self._scale[best]
        )
        return str(self._river[best]), min(max(at, self._lo[best]), self._hi[best]), d


# ================================================================== the edits
def _edit_unit(props: dict[str, Any], known: set[str], where: str, *, required: bool) -> str | None:
    """Return the edit's ``unit_id`` (None when missing and not required), checked."""
    raw: Any = props.get("unit_id")
    unit = text_or(raw) if np.ndim(raw) == 0 else str(raw)
    if unit is None:
        if required:
            msg = f"{where}: action 'assign' needs a 'unit_id' property"
            raise SchemaError(msg)
        return None
    if unit not in known:
        msg = f"{where}: unit_id {unit!r} is not among the plan's units"
        raise SchemaError(msg)
    return unit


def _segment_ids(props: dict[str, Any], where: str) -> list[str]:
    """Return the ids of the segments to merge (a list, or ids joined by ";" or ",")."""
    raw = props.get("segment_ids")
    if isinstance(raw, str):
        ids = [s.strip() for s in raw.replace(",", ";").split(";") if s.strip()]
    elif isinstance(raw, Sequence):
        ids = [str(s) for s in raw]
    else:
        ids = []
    if len(ids) < 2:
        msg = (
            f"{where}: action 'merge' needs 'segment_ids' with at least two segment ids "
            "(or a Point on the cut between two stretches)"
        )
        raise SchemaError(msg)
    return ids


def _find(work: pd.DataFrame, river: str, at_m: float) -> int:
    """Return the row of the stretch of ``river`` at ``at_m`` (on a cut: the one starting there)."""
    sel = np.flatnonzero(
        (work["river_id"].to_numpy() == river)
        & (work["from_m"].to_numpy() <= at_m + EPS_M)
        & (work["to_m"].to_numpy() >= at_m - EPS_M)
    )
    if not len(sel):  # pragma: no cover - points are snapped onto the plan's segments
        msg = f"no segment of {river!r} at {at_m:,.1f} m"
        raise SchemaError(msg)
    starts = work["from_m"].to_numpy()[sel]
    return int(sel[int(np.argmax(starts))])


def _snap_to_change(baseline: pd.DataFrame, river: str, at_m: float) -> tuple[float, float]:
    """Move a split within ``_SNAP_CHANGE_M`` of a change of responsible unit onto it.

    A planner who clicks on a border means the border; a point a metre off (the
    click, rounding of the coordinates, a reprojection) would otherwise leave a
    sliver that changes hands. Returns the chainage and how far it moved (0 if not).
    """
    mine = baseline["river_id"].astype(str).to_numpy() == river
    ends = np.r_[
        baseline["from_m"].to_numpy(dtype=float)[mine], baseline["to_m"].to_numpy(dtype=float)[mine]
    ]
    if not len(ends):
        return at_m, 0.0
    nearest = float(ends[np.argmin(np.abs(ends - at_m))])
    moved = abs(nearest - at_m)
    return (nearest, moved) if 0 < moved <= _SNAP_CHANGE_M else (at_m, 0.0)


def _edit_split(
    work: pd.DataFrame, river: str, at_m: float, dist: float
) -> tuple[pd.DataFrame, str]:
    """Cut the stretch at ``at_m`` in two of one unit; return the stretches and a log line."""
    i = _find(work, river, at_m)
    lo, hi = float(work["from_m"].iloc[i]), float(work["to_m"].iloc[i])
    if at_m - lo < _SNAP_CUT_M or hi - at_m < _SNAP_CUT_M:
        return work, f"split {{river}} at {at_m:,.1f} m: already a cut there, nothing to do"
    left = work.iloc[[i]].assign(to_m=at_m)
    right = work.iloc[[i]].assign(from_m=at_m)
    out = pd.concat([work.iloc[:i], left, right, work.iloc[i + 1 :]], ignore_index=True)
    return out, f"split {{river}} at {at_m:,.1f} m (point {dist:,.1f} m from the river)"


def _edit_assign(
    work: pd.DataFrame, river: str, at_m: float, dist: float, unit: str | None, uname: pd.Series
) -> tuple[pd.DataFrame, str]:
    """Give the stretch at ``at_m`` to ``unit``; return the stretches and a log line."""
    i = _find(work, river, at_m)
    out = work.copy()
    old = str(out["unit_id"].iloc[i])
    out.at[i, "unit_id"] = unit
    lo, hi = float(out["from_m"].iloc[i]), float(out["to_m"].iloc[i])
    return out, (
        f"assign {{river}} {lo / 1000:,.1f}–{hi / 1000:,.1f} km from {old} to {unit} "
        f"({names_of(unit, uname)}) (point {dist:,.1f} m from the river)"
    )


def _merge_span(by_id: pd.DataFrame, ids: list[str], where: str) -> pd.DataFrame:
    """Return the segments to merge in chainage order, checked: known, one river, adjacent."""
    unknown = [s for s in ids if s not in by_id.index]
    if unknown:
        msg = f"{where}: unknown segment id(s) {format_ids(unknown)}"
        raise SchemaError(msg)
    sel = by_id.loc[ids].sort_values("from_m")
    rivers = sel["river_id"].unique()
    if len(rivers) > 1:
        msg = f"{where}: segments of different rivers cannot merge ({format_ids(rivers)})"
        raise SchemaError(msg)
    gaps = np.abs(sel["from_m"].to_numpy()[1:] - sel["to_m"].to_numpy()[:-1])
    if (gaps > EPS_M).any():
        j = int(np.flatnonzero(gaps > EPS_M)[0])
        msg = (
            f"{where}: segments {sel.index[j]!r} and {sel.index[j + 1]!r} are not adjacent "
            f"({sel['to_m'].iloc[j]:,.1f} m to {sel['from_m'].iloc[j + 1]:,.1f} m); "
            "merge only neighbouring segments of one river"
        )
        raise SchemaError(msg)
    return sel


def _edit_merge(
    work: pd.DataFrame,
    by_id: pd.DataFrame,
    ids: list[str],
    unit: str | None,
    uname: pd.Series,
    where: str,
) -> tuple[pd.DataFrame, str]:
    """Merge segments ``ids`` into one (to ``unit``, else to the unit holding most of them)."""
    sel = _merge_span(by_id, ids, where)
    river = str(sel["river_id"].iloc[0])
    lo, hi = float(sel["from_m"].iloc[0]), float(sel["to_m"].iloc[-1])
    inside = (
        (work["river_id"].to_numpy() == river)
        & (work["from_m"].to_numpy() >= lo - EPS_M)
        & (work["to_m"].to_numpy() <= hi + EPS_M)
    )
    if unit is None:
        part = work[inside]
        by = (part["to_m"] - part["from_m"]).groupby(part["unit_id"].astype(str), sort=False).sum()
        unit = str(by.idxmax())
    row = work.iloc[[int(np.flatnonzero(inside)[0])]].assign(from_m=lo, to_m=hi, unit_id=unit)
    out = pd.concat([work[~inside], row], ignore_index=True).sort_values(
        ["river_id", "from_m"], kind="stable", ignore_index=True
    )
    rname = text_or(sel["name"].iloc[0], river)
    return out, (
        f"merge {', '.join(ids)} ({rname} {lo / 1000:,.1f}–{hi / 1000:,.1f} km) "
        f"to {unit} ({names_of(unit, uname)})"
    )


def _edit_merge_at(
    work: pd.DataFrame,
    river: str,
    at_m: float,
    unit: str | None,
    uname: pd.Series,
    where: str,
    tol: float,
) -> tuple[pd.DataFrame, float, str]:
    """Join the stretches of ``river`` meeting at the cut nearest ``at_m`` (within ``tol`` m).

    The joined stretch goes to ``unit`` if given, else to the unit holding most
    of it. Returns the stretches, the cut's chainage and a log line.
    """
    rows = np.flatnonzero(work["river_id"].to_numpy() == river)
    rows = rows[np.argsort(work["from_m"].to_numpy()[rows], kind="stable")]
    lo, hi = work["from_m"].to_numpy()[rows], work["to_m"].to_numpy()[rows]
    joined = np.flatnonzero(np.abs(lo[1:] - hi[:-1]) <= EPS_M)  # k: rows[k] meets rows[k + 1]
    if not len(joined):
        msg = f"{where}: river {river!r} has no cut between two stretches to merge at"
        raise SchemaError(msg)
    k = int(joined[np.argmin(np.abs(hi[joined] - at_m))])
    cut = float(hi[k])
    if abs(cut - at_m) > tol:
        msg = (
            f"{where}: the point is at {at_m:,.1f} m along {river!r}, {abs(cut - at_m):,.1f} m "
            f"from the nearest cut ({cut:,.1f} m); a merge point must lie within {tol:g} m "
            "of a cut (tolerance_m)"
        )
        raise SchemaError(msg)
    a, b = int(rows[k]), int(rows[k + 1])
    if unit is None:
        lengths = {str(work["unit_id"].iloc[r]): 0.0 for r in (a, b)}
        for r in (a, b):
            lengths[str(work["unit_id"].iloc[r])] += float(
                work["to_m"].iloc[r] - work["from_m"].iloc[r]
            )
        unit = max(lengths, key=lambda u: lengths[u])
    row = work.iloc[[a]].assign(to_m=float(work["to_m"].iloc[b]), unit_id=unit)
    keep = np.ones(len(work), dtype=bool)
    keep[[a, b]] = False
    out = pd.concat([work[keep], row], ignore_index=True).sort_values(
        ["river_id", "from_m"], kind="stable", ignore_index=True
    )
    start, end = float(row["from_m"].iloc[0]), float(row["to_m"].iloc[0])
    return (
        out,
        cut,
        (
            f"merge {{river}} at {cut:,.1f} m ({start / 1000:,.1f}–{end / 1000:,.1f} km) "
            f"to {unit} ({names_of(unit, uname)})"
        ),
    )
