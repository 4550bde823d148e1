"""Segmentations by chainage: the official one, a plan's segments, and the diff between them.

Everything here works on *stretches*, ``(river_id, from_m, to_m)``: metres
along the river measured in the metric CRS the engine used.

* **The official segmentation** (现行河段划分). :func:`normalise_current` reads
  the official segments (lines in any CRS, or a table of chainages), finds each
  one's river and chainage (a line goes to its ``river_id``, else to the river
  nearest its middle, and is located by its two ends), lifts its unit to the
  plan's level and sets aside, with a reason, the segments that do not fit: an
  unknown river, a line far from every river, a stretch beyond the river's end
  or of no length, no responsible unit, an overlap with the segment before, or
  a unit that is not among the units (kept, but reported).
* **Overlay.** :func:`overlay` cuts two tables of stretches at every end of
  either and says which row of each covers each elementary interval. Rivers
  are laid end to end on one axis (a per-river offset added to the chainage),
  so one sort and one search serve every river.
* **Segments.** :func:`finish_segments` turns stretches with a unit into a
  plan's segments: ids ``{river_id}-{k}`` in chainage order, the river's and
  the unit's names, who held each stretch before (an overlay with the
  baseline) and its line. :func:`cut` cuts the lines out of the pieces that
  tile the rivers: every vertex gets its chainage (metric length along the
  piece, scaled to the piece's chainage), cut points are interpolated on the
  pieces' own coordinates, so the lines keep their CRS and vertices.
  :func:`rivermap.redivide` and the planner's edits (:mod:`rivermap._edits`)
  both end here.
* **The diff.** :func:`compare` overlays a plan's segments on what held the
  rivers before (the official segmentation, or the responsibility the engine
  found), keeps the intervals that change hands, merges touching ones and
  balances each unit's km gained and lost (a stretch both banks held counts
  half for each); :meth:`rivermap.Plan.diff` wraps the tables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap.errors import CRSError, SchemaError, format_ids
from rivermap.io import read_table, read_vector
from rivermap.runs import EPS_M, ancestor_at, empty_frame, join_groups
from rivermap.text import is_missing, term, text_or, texts

if TYPE_CHECKING:
    from rivermap.plan import Plan

__all__ = [
    "UNASSIGNED",
    "UNMATCHED",
    "by_unit",
    "compare",
    "cut",
    "finish_segments",
    "names_each",
    "names_of",
    "normalise_current",
    "overlay",
    "pieces_of",
    "river_names",
]

ObjArray = NDArray[np.object_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Columns and dtypes of the official segments that line up with no river.
UNMATCHED: dict[str, Any] = {
    "segment": "str",
    "river_id": "str",
    "reason": "str",
    "distance_m": float,
}
#: The holder of a stretch nobody holds, in the diff.
UNASSIGNED = "(unassigned)"
#: Columns of :attr:`PlanDiff.changes` (before ``geometry``).
CHANGE_COLUMNS: tuple[str, ...] = (
    "river_id",
    "name",
    "from_m",
    "to_m",
    "length_m",
    "old_unit",
    "old_name",
    "new_unit",
    "new_name",
    "old_segment",
    "new_segment",
)
#: Columns of :attr:`PlanDiff.units`.
UNIT_COLUMNS: tuple[str, ...] = ("unit_id", "name", "level", "gained_km", "lost_km", "net_km")

_UNIT_COLS = ("unit_id", "responsible", "unit", "责任单位编码", "责任单位", "单位编码", "单位")
_ID_COLS = ("segment_id", "id", "河段编码", "code", "编码", "fid")
_TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv", ".txt")
_COLUMNS = ["river_id", "from_m", "to_m", "unit", "state", "segment"]
_KEYS = ["river_id", "old_unit", "new_unit", "old_segment", "new_segment"]


# ================================================================ official
class _Stretches(NamedTuple):
    """Where each official segment lies: river, chainages and distance from the river."""

    river: ObjArray
    lo: FloatArray
    hi: FloatArray
    dist: FloatArray
    by_chainage: bool  # given as river_id, from_m, to_m (not as lines)


def normalise_current(
    current: Any,
    *,
    reaches: gpd.GeoDataFrame,
    river_len: pd.Series,
    metric: pyproj.CRS,
    units: pd.DataFrame,
    level: str,
    id_col: str | None,
    unit_col: str | None,
    tol: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the official segmentation by chainage, and the segments that do not fit.

    Parameters
    ----------
    current
        A GeoDataFrame or DataFrame, or a path to a vector file or a table
        (see :func:`rivermap.redivide`).
    reaches
        The rivers' reaches: ``river_id``, ``from_m``, ``to_m`` and lines.
    river_len
        Each river's length (metres) by ``river_id``.
    metric
        The CRS chainages are measured in.
    units
        The units (``unit_id``, ``level``, ``parent_id``), to lift units to ``level``.
    level
        The plan's level.
    id_col, unit_col
        The id and responsible-unit columns, or None to look for them.
    tol
        How far (metres) official lines may lie from a river.

    Returns
    -------
    tuple of DataFrame
        The segments that fit (``river_id``, ``from_m``, ``to_m``, ``unit``,
        ``state``, ``segment``), and those that do not (``segment``,
        ``river_id``, ``reason``, ``distance_m``).
    """
    frame, where = _load(current)
    ucol, icol = _columns(frame, where, level, id_col, unit_col)
    seg_ids = (
        frame[icol].astype(str).to_numpy(dtype=object)
        if icol
        else np.array([f"row {i + 1}" for i in range(len(frame))], dtype=object)
    )
    unit = texts([text_or(u, "").strip() for u in frame[ucol].to_numpy(dtype=object)])
    found = _stretches(frame, where, seg_ids, reaches, metric)
    length = pd.Series(found.river.astype(str)).map(river_len).to_numpy(dtype=float)
    reasons, lo, hi = _misfits(found, length, tol)
    reasons[is_missing(reasons) & is_missing(unit)] = f"no responsible unit in column {ucol!r}"
    ok = is_missing(reasons)
    unit = _lifted(unit, units, level)
    cur = pd.DataFrame(
        {
            "river_id": found.river.astype(str)[ok],
            "from_m": lo[ok],
            "to_m": hi[ok],
            "unit": unit[ok],
            "segment": seg_ids[ok],
        }
    )
    cur, problems = _without_overlaps(cur, tol)
    problems += _misfit_problems(found, seg_ids, reasons, np.isnan(length))
    problems += _strange_units(cur, set(units["unit_id"].astype(str)))
    cur["state"] = "unit"
    return cur[_COLUMNS], _unmatched_table(problems)


def _load(current: Any) -> tuple[pd.DataFrame, str]:
    """Return the official segments as a (Geo)DataFrame, and how to name them in messages."""
    if isinstance(current, str | os.PathLike):
        p = Path(current)
        frame = read_table(p) if p.suffix.lower() in _TABLE_SUFFIXES else read_vector(p)
        return frame, str(p)
    if isinstance(current, pd.DataFrame):
        return current, "current"
    msg = (
        "current must be a GeoDataFrame, a DataFrame or a path to a vector file or "
        f"a CSV/XLSX table; got {type(current).__name__}"
    )
    raise TypeError(msg)


def _columns(
    frame: pd.DataFrame, where: str, level: str, id_col: str | None, unit_col: str | None
) -> tuple[str, str | None]:
    """Return the responsible-unit column and the id column (None: number the rows)."""
    cols = list(frame.columns)
    wanted = (_UNIT_COLS[0], level, *_UNIT_COLS[1:])
    ucol = unit_col or next((c for c in wanted if c in cols), None)
    if ucol is None or ucol not in cols:
        msg = (
            f"{where}: no responsible-unit column; expected one of "
            f"{format_ids(wanted, limit=10)} "
            f"or current_unit_col=...; the columns are {format_ids(cols, limit=12)}"
        )
        raise SchemaError(msg)
    icol = id_col or next((c for c in _ID_COLS if c in cols), None)
    if icol is not None and icol not in cols:
        msg = (
            f"{where}: no column {icol!r} (current_id_col); "
            f"the columns are {format_ids(cols, limit=12)}"
        )
        raise SchemaError(msg)
    return ucol, icol


def _stretches(
    frame: pd.DataFrame,
    where: str,
    seg_ids: ObjArray,
    reaches: gpd.GeoDataFrame,
    metric: pyproj.CRS,
) -> _Stretches:
    """Return where the official segments lie: from their chainage columns, else their lines."""
    if all(c in frame.columns for c in ("river_id", "from_m", "to_m")):
        lo = pd.to_numeric(frame["from_m"], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(frame["to_m"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(np.isnan(lo) | np.isnan(hi))
        if len(bad):
            msg = (
                f"{where}: from_m/to_m must be numbers (metres); rows "
                f"{format_ids([int(b) + 1 for b in bad])} are not (segments "
                f"{format_ids(seg_ids[bad].tolist())})"
            )
            raise SchemaError(msg)
        river = frame["river_id"].astype(str).to_numpy(dtype=object)
        return _Stretches(river, lo, hi, np.zeros(len(frame)), by_chainage=True)
    if isinstance(frame, gpd.GeoDataFrame):
        return _match_lines(frame, reaches, metric, where)
    msg = (
        f"{where}: give either line geometry or the columns river_id, from_m and to_m; "
        f"the columns are {format_ids(list(frame.columns), limit=12)}"
    )
    raise SchemaError(msg)


def _misfits(
    found: _Stretches, length: FloatArray, tol: float
) -> tuple[ObjArray, FloatArray, FloatArray]:
    """Return why each segment does not fit its river (None where it does), and its chainages.

    ``length`` is the length of each segment's river (NaN: no such river).
    Chainages are put in order and clipped to the river.
    """
    river, dist = found.river, found.dist
    swap = found.lo > found.hi
    lo, hi = np.where(swap, found.hi, found.lo), np.where(swap, found.lo, found.hi)
    reasons = np.full(len(lo), None, dtype=object)
    unknown = np.isnan(length)
    reasons[unknown] = "unknown river_id" if found.by_chainage else "no river within the tolerance"
    far = ~unknown & (dist > tol)
    for i in np.flatnonzero(far):
        reasons[i] = f"{dist[i]:,.1f} m from river {river[i]!r} (tolerance {tol:g} m)"
    beyond = ~unknown & ~far & ((lo < -tol) | (hi > length + tol))
    for i in np.flatnonzero(beyond):
        reasons[i] = (
            f"{lo[i]:,.1f}–{hi[i]:,.1f} m lies beyond the river (length {length[i]:,.1f} m)"
        )
    lo = np.clip(lo, 0, np.where(unknown, np.inf, length))
    hi = np.clip(hi, 0, np.where(unknown, np.inf, length))
    reasons[is_missing(reasons) & (hi - lo <= EPS_M)] = "zero length along the river"
    return reasons, lo, hi


def _misfit_problems(
    found: _Stretches, seg_ids: ObjArray, reasons: ObjArray, unknown: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    """Return a problem for every segment with a reason (lines matching no river have no river)."""
    return [
        {
            "segment": seg_ids[i],
            "river_id": None if unknown[i] and not found.by_chainage else found.river[i],
            "reason": reasons[i],
            "distance_m": float(found.dist[i]) if np.isfinite(found.dist[i]) else np.nan,
        }
        for i in np.flatnonzero(~is_missing(reasons))
    ]


def _lifted(unit: ObjArray, units: pd.DataFrame, level: str) -> ObjArray:
    """Return the units lifted to their ancestor at ``level`` (kept where they have none)."""
    lifted = pd.Series(unit).map(ancestor_at(units, level)).to_numpy(dtype=object)
    return np.where(is_missing(lifted), unit, lifted)


def _without_overlaps(cur: pd.DataFrame, tol: float) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Return the segments in chainage order without overlaps, and the ones dropped.

    A segment reaching back over the one before it by more than ``tol`` is
    dropped; a smaller overlap trims the later segment.
    """
    cur = cur.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    prev_to = cur.groupby("river_id")["to_m"].shift()
    prev_id = cur.groupby("river_id")["segment"].shift()
    overlap = (prev_to - cur["from_m"] > tol).to_numpy()
    problems = [
        {
            "segment": cur.at[i, "segment"],
            "river_id": cur.at[i, "river_id"],
            "reason": f"overlaps segment {prev_id.iloc[i]!r}",
            "distance_m": 0.0,
        }
        for i in np.flatnonzero(overlap)
    ]
    cur = cur[~overlap].reset_index(drop=True)
    prev_to = cur.groupby("river_id")["to_m"].shift()
    cur["from_m"] = np.where(prev_to.notna() & (prev_to > cur["from_m"]), prev_to, cur["from_m"])
    return cur[cur["to_m"] - cur["from_m"] > EPS_M].reset_index(drop=True), problems


def _strange_units(cur: pd.DataFrame, known: set[str]) -> list[dict[str, Any]]:
    """Return a problem for every segment whose unit is not among the units (it is kept)."""
    problems = []
    for u in sorted({str(u) for u in cur["unit"] if str(u) not in known}):
        for s in cur.loc[cur["unit"].astype(str) == u, "segment"].tolist():
            problems.append(
                {
                    "segment": s,
                    "river_id": cur.loc[cur["segment"] == s, "river_id"].iloc[0],
                    "reason": f"unit {u!r} is not among the units (kept as given)",
                    "distance_m": 0.0,
                }
            )
    return problems


def _unmatched_table(problems: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the problems as a table of :data:`UNMATCHED` (text and metres)."""
    unmatched = pd.DataFrame(problems, columns=list(UNMATCHED))
    return empty_frame(**UNMATCHED) if unmatched.empty else unmatched.astype(UNMATCHED)


def _whole_rivers(
    reaches: gpd.GeoDataFrame, metric: pyproj.CRS
) -> tuple[ObjArray, pd.Index, FloatArray]:
    """Return each river whole (in the metric CRS), its id, and its metres of chainage per metre."""
    r = reaches.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    rparts, rowidx = shapely.get_parts(r.geometry.to_crs(metric).to_numpy(), return_index=True)
    codes, uniq = pd.factorize(r["river_id"].astype(str), sort=True)
    whole = shapely.multilinestrings(rparts, indices=codes[rowidx])
    total = np.zeros(len(uniq))
    np.maximum.at(total, codes, r["to_m"].to_numpy(dtype=float))
    glen = shapely.length(whole)
    scale = np.where(glen > 0, total / np.where(glen > 0, glen, 1.0), 0.0)
    return whole, pd.Index(uniq), scale


def _match_lines(
    frame: gpd.GeoDataFrame, reaches: gpd.GeoDataFrame, metric: pyproj.CRS, where: str
) -> _Stretches:
    """Return the chainage of official lines along their river (given, else the nearest)."""
    if frame.crs is None:
        msg = f"{where}: the lines have no CRS; set one (e.g. .set_crs('EPSG:4490'))"
        raise CRSError(msg)
    geoms = frame.geometry.to_crs(metric).to_numpy()
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (1, 5)) | shapely.is_empty(geoms))
    if len(bad):
        msg = f"{where}: rows {format_ids([int(b) + 1 for b in bad])} are not lines"
        raise SchemaError(msg)
    whole, uniq, scale = _whole_rivers(reaches, metric)
    start, mid, end = (
        shapely.line_interpolate_point(geoms, t, normalized=True) for t in (0.0, 0.5, 1.0)
    )
    if "river_id" in frame.columns:
        given = frame["river_id"].astype(str).to_numpy(dtype=object)
        idx = uniq.get_indexer(given)
    else:
        given = np.full(len(frame), None, dtype=object)
        pair = shapely.STRtree(whole).query_nearest(mid, all_matches=False)
        idx = np.full(len(frame), -1, dtype=np.int64)
        idx[pair[0]] = pair[1]
    known = idx >= 0
    sel = np.clip(idx, 0, None)
    river = np.where(known, np.asarray(uniq, dtype=object)[sel], given)
    g = whole[sel]
    dist = np.max(np.column_stack([shapely.distance(g, p) for p in (start, mid, end)]), axis=1)
    lo = shapely.line_locate_point(g, start) * scale[sel]
    hi = shapely.line_locate_point(g, end) * scale[sel]
    dist = np.where(known, dist, np.nan)
    return _Stretches(river.astype(object), lo, hi, dist, by_chainage=False)


# ================================================================ segments
def by_unit(units: pd.DataFrame, column: str) -> pd.Series:
    """Return a column of the unit table indexed by ``unit_id`` (as text)."""
    return pd.Series(units[column].to_numpy(dtype=object), index=units["unit_id"].astype(str))


def river_names(segments: pd.DataFrame, baseline: pd.DataFrame) -> dict[str, Any]:
    """Return the name of every river of the segments, None for rivers only the baseline has."""
    names = dict(zip(segments["river_id"].astype(str), segments["name"], strict=True))
    for rid in baseline["river_id"].astype(str).unique():
        names.setdefault(rid, None)
    return names


def names_of(units: Any, uname: pd.Series | Mapping[str, Any]) -> str:
    """Return the names of ``";"``-joined unit ids (the id where a unit has no name).

    ``"(unassigned)"`` reads in both languages; missing text gives ``""``.
    """
    ids = text_or(units)
    if ids is None:
        return ""
    if ids == UNASSIGNED:
        return f"{term('plan.unassigned', 'zh')} {term('plan.unassigned', 'en')}"
    return ";".join(str(uname.get(u, u)) for u in ids.split(";"))


def names_each(units: pd.Series, uname: pd.Series) -> list[str]:
    """Return :func:`names_of` of every value, worked out once per distinct value."""
    codes, uniq = pd.factorize(pd.Series(units.to_numpy(dtype=object), dtype=object))
    lookup = dict(zip(uname.index, uname.to_numpy(dtype=object), strict=False))
    if len(lookup) != len(uname):  # repeated unit ids: keep Series.get's answer
        lookup = {u: uname.get(u, u) for u in uname.index.unique()}
    names = np.array([names_of(u, lookup) for u in uniq] + [""], dtype=object)
    return names[codes].tolist()


def pieces_of(segments: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return the segments' stretches and lines (``river_id``, ``from_m``, ``to_m``) to cut from."""
    return gpd.GeoDataFrame(
        segments[["river_id", "from_m", "to_m"]].copy(),
        geometry=segments.geometry.to_numpy(),
        crs=segments.crs,
    )


def finish_segments(
    frame: pd.DataFrame,
    pieces: gpd.GeoDataFrame,
    metric: pyproj.CRS,
    names: Mapping[str, Any] | pd.Series,
    units: pd.DataFrame,
    baseline: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Return segments numbered, named and cut from stretches with one unit each.

    Parameters
    ----------
    frame
        The stretches and their units (``river_id``, ``from_m``, ``to_m``,
        ``unit_id``), any order.
    pieces
        Lines tiling the rivers (see :func:`cut`).
    metric
        The CRS chainages are measured in.
    names
        River names by ``river_id``.
    units
        The unit table (``unit_id``, ``name``, ``level``).
    baseline
        Who held what before (``river_id``, ``from_m``, ``to_m``, ``unit``,
        ``state``), for ``previous`` and ``boundary_m``.

    Returns
    -------
    GeoDataFrame
        :data:`rivermap.plan.SEGMENT_COLUMNS` and the lines, in the pieces' CRS.
    """
    f = frame.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    k = f.groupby("river_id").cumcount() + 1
    uid = f["unit_id"].astype(object)
    prev, bnd = _previous(f, baseline)
    name_map = pd.Series(names) if not isinstance(names, pd.Series) else names
    out = pd.DataFrame(
        {
            "segment_id": (f["river_id"].astype(str) + "-" + k.astype(str)).astype("str"),
            "river_id": f["river_id"].astype("str"),
            "name": f["river_id"].map(name_map).astype("str"),
            "from_m": f["from_m"].astype(float),
            "to_m": f["to_m"].astype(float),
            "length_m": (f["to_m"] - f["from_m"]).astype(float),
            "unit_id": uid.astype("str"),
            "unit_name": uid.map(by_unit(units, "name")).astype("str"),
            "unit_level": uid.map(by_unit(units, "level")).astype("str"),
            "previous": pd.Series(prev, dtype="str"),
            "boundary_m": bnd,
        }
    )
    geoms = cut(pieces, f[["river_id", "from_m", "to_m"]], metric)
    return gpd.GeoDataFrame(out, geometry=geoms, crs=pieces.crs)


def _previous(segs: pd.DataFrame, baseline: pd.DataFrame) -> tuple[ObjArray, FloatArray]:
    """Return who held each segment's stretches before, and its length along boundaries."""
    ov = overlay(segs, baseline)
    ov = ov[(ov["li"] >= 0) & (ov["ri"] >= 0)]
    holder = baseline["unit"].to_numpy(dtype=object)[ov["ri"].to_numpy()]
    state = baseline["state"].to_numpy(dtype=object)[ov["ri"].to_numpy()]
    length = (ov["to_m"] - ov["from_m"]).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "seg": ov["li"].to_numpy(),
            "holder": holder,
            "bnd": np.where(state == "boundary", length, 0.0),
        }
    )
    # who held it: every holder's ids ("A;B" for both banks) once, in order of appearance
    text = pd.Series(frame["holder"].to_numpy(dtype=object), dtype=object).map(str)
    tokens = text.str.split(";").explode()
    prev = join_groups(
        tokens.to_numpy(dtype=object), frame["seg"].to_numpy()[tokens.index], ";", unique=True
    )
    bnd = frame.groupby("seg")["bnd"].sum()
    idx = pd.RangeIndex(len(segs))
    prev_arr = texts(prev.reindex(idx).to_numpy(dtype=object))
    return prev_arr, bnd.reindex(idx, fill_value=0.0).to_numpy(dtype=float)


# ==================================================================== diff
def compare(plan: Plan) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the stretches that change hands and the balance per unit (see :class:`PlanDiff`)."""
    old = plan.baseline if plan.current is None else plan.current
    ch = _merge_neighbours(_changed(old, plan.segments))
    ch["length_m"] = ch["to_m"] - ch["from_m"]
    uname = by_unit(plan.units, "name")
    ch["name"] = ch["river_id"].map(river_names(plan.segments, plan.baseline))
    ch["old_name"] = names_each(ch["old_unit"], uname)
    ch["new_name"] = names_each(ch["new_unit"], uname)
    ch = ch[list(CHANGE_COLUMNS)]
    metric = pyproj.CRS.from_user_input(plan.metric_crs)
    geoms = cut(pieces_of(plan.segments), ch[["river_id", "from_m", "to_m"]], metric)
    changes = gpd.GeoDataFrame(ch, geometry=geoms, crs=plan.segments.crs)
    return changes, _unit_balance(changes, plan.units, uname)


def _changed(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Return the elementary stretches whose unit differs, with both sides' unit and segment."""
    ov = overlay(old, new)
    li, ri = ov["li"].to_numpy(), ov["ri"].to_numpy()

    def pick(table: pd.DataFrame, column: str, rows: np.ndarray) -> np.ndarray:
        out = np.full(len(ov), None, dtype=object)
        out[rows >= 0] = table[column].to_numpy(dtype=object)[rows[rows >= 0]]
        return out

    ov = ov.assign(
        old_unit=texts(pick(old, "unit", li), UNASSIGNED),
        new_unit=texts(pick(new, "unit_id", ri), UNASSIGNED),
        old_segment=pick(old, "segment", li),
        new_segment=pick(new, "segment_id", ri),
    )
    return ov[(ov["old_unit"] != ov["new_unit"]).to_numpy()].reset_index(drop=True)


def _merge_neighbours(ch: pd.DataFrame) -> pd.DataFrame:
    """Return the changes with touching stretches of the same hands and segments merged."""
    if not len(ch):
        return ch
    key = ch[_KEYS].astype(str)
    brk = (key != key.shift()).any(axis=1) | (ch["from_m"] - ch["to_m"].shift()).abs().gt(EPS_M)
    g = ch.groupby(brk.cumsum().to_numpy(), sort=False)
    return g.agg(
        river_id=("river_id", "first"),
        from_m=("from_m", "first"),
        to_m=("to_m", "last"),
        old_unit=("old_unit", "first"),
        new_unit=("new_unit", "first"),
        old_segment=("old_segment", "first"),
        new_segment=("new_segment", "first"),
    ).reset_index(drop=True)


def _unit_balance(ch: pd.DataFrame, units: pd.DataFrame, uname: pd.Series) -> pd.DataFrame:
    """Return km gained, lost and net per unit; a stretch held by both banks counts half each."""
    old = ch[["old_unit", "length_m"]].assign(u=ch["old_unit"].astype(str).str.split(";"))
    old = old.explode("u")
    weight = 1.0 / old.groupby(level=0)["u"].transform("size")
    parts = pd.concat(
        [
            pd.DataFrame({"unit_id": old["u"], "delta": -old["length_m"] * weight}),
            pd.DataFrame({"unit_id": ch["new_unit"], "delta": ch["length_m"]}),
        ]
    )
    per = parts.reset_index(names="stretch").groupby(["stretch", "unit_id"])["delta"].sum()
    gained = per.clip(lower=0).groupby(level="unit_id").sum() / 1000
    lost = (-per).clip(lower=0).groupby(level="unit_id").sum() / 1000
    ids = gained.index.union(lost.index)
    out = pd.DataFrame(
        {
            "unit_id": ids.astype(str),
            "gained_km": gained.reindex(ids, fill_value=0.0).to_numpy(dtype=float),
            "lost_km": lost.reindex(ids, fill_value=0.0).to_numpy(dtype=float),
        }
    )
    out["net_km"] = out["gained_km"] - out["lost_km"]
    out["name"] = names_each(out["unit_id"], uname)
    out["level"] = out["unit_id"].map(by_unit(units, "level"))
    out = out.sort_values(["net_km", "unit_id"], ascending=[False, True], kind="stable")
    return out[list(UNIT_COLUMNS)].reset_index(drop=True)


def _river_offsets(codes: IntArray, n_rivers: int, ends: FloatArray) -> FloatArray:
    """Return where each river starts on the common axis: each river's span plus 1 m apart."""
    span = np.zeros(n_rivers)
    if len(ends):
        np.maximum.at(span, codes, ends)
    return np.concatenate([[0.0], np.cumsum(span + 1.0)[:-1]]) if n_rivers else span


# ================================================================= overlay
def overlay(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Return the elementary intervals of two chainage tables (river_id, from_m, to_m).

    Each table's intervals must not overlap within a river.

    Returns
    -------
    DataFrame
        ``river_id``, ``from_m``, ``to_m``, ``li`` and ``ri`` (row positions in
        ``left`` and ``right``, -1 where the table does not cover the
        interval), for every interval at least one table covers.
    """
    rid = pd.concat([left["river_id"], right["river_id"]]).astype(str)
    codes, uniques = pd.factorize(rid, sort=True)
    lc, rc = codes[: len(left)], codes[len(left) :]
    ends = np.concatenate([left["to_m"].to_numpy(dtype=float), right["to_m"].to_numpy(dtype=float)])
    offset = _river_offsets(codes, len(uniques), ends)
    lf, lt = _on_axis(left, offset[lc])
    rf, rt = _on_axis(right, offset[rc])
    a, b, c = _elementary(np.concatenate([lf, lt, rf, rt]), np.concatenate([lc, lc, rc, rc]))
    mid = (a + b) / 2
    li, ri = _cover(lf, lt, mid), _cover(rf, rt, mid)
    use = (li >= 0) | (ri >= 0)
    return pd.DataFrame(
        {
            "river_id": np.asarray(uniques, dtype=object)[c[use]],
            "from_m": a[use] - offset[c[use]],
            "to_m": b[use] - offset[c[use]],
            "li": li[use],
            "ri": ri[use],
        }
    )


def _on_axis(frame: pd.DataFrame, offset: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return a table's ``from_m`` and ``to_m`` on the common axis."""
    return (
        frame["from_m"].to_numpy(dtype=float) + offset,
        frame["to_m"].to_numpy(dtype=float) + offset,
    )


def _elementary(pts: FloatArray, river: IntArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Return the intervals between consecutive distinct points of each river: (from, to, river)."""
    order = np.lexsort((pts, river))
    pts, river = pts[order], river[order]
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = (river[1:] != river[:-1]) | (pts[1:] - pts[:-1] > EPS_M)
    pts, river = pts[keep], river[keep]
    same = river[1:] == river[:-1]
    return pts[:-1][same], pts[1:][same], river[:-1][same]


def _cover(f: FloatArray, t: FloatArray, mid: FloatArray) -> IntArray:
    """Return the row of ``(f, t)`` holding each point ``mid``; -1 where none does."""
    if not len(f):
        return np.full(len(mid), -1, dtype=np.int64)
    o = np.argsort(f, kind="stable")
    pos = np.searchsorted(f[o], mid, side="right") - 1
    ok = pos >= 0
    idx = np.where(ok, o[np.clip(pos, 0, None)], -1)
    ok &= np.where(ok, t[np.clip(idx, 0, None)] > mid, False)
    return np.where(ok, idx, -1).astype(np.int64)


# ===================================================================== cut
def cut(pieces: gpd.GeoDataFrame, queries: pd.DataFrame, metric: pyproj.CRS) -> ObjArray:
    """Cut river stretches ``queries`` (river_id, from_m, to_m) out of ``pieces``.

    ``pieces`` tile (part of) each river: ``river_id``, ``from_m``, ``to_m`` and
    line geometry in any CRS, the river between those chainages. Chainage
    within a piece is measured in ``metric`` and scaled to the piece's
    ``to_m - from_m``; cut points are interpolated on the pieces' own
    coordinates, so the result keeps their CRS and vertices.

    Returns
    -------
    ndarray
        One LineString or MultiLineString per query (None where no piece
        covers it).
    """
    out = np.full(len(queries), None, dtype=object)
    if not len(queries) or not len(pieces):
        return out
    lines = _Lines(pieces, metric)
    q, p = lines.overlapping(queries)
    if not len(q):
        return out
    return lines.cut(queries, q, p, out)


class _Lines:
    """The pieces' vertices and parts with their chainage, on one axis over all rivers."""

    def __init__(self, pieces: gpd.GeoDataFrame, metric: pyproj.CRS) -> None:
        pcs = pieces.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
        geoms = pcs.geometry.to_numpy()
        if pcs.crs is None:
            msg = "the plan's lines have no CRS"
            raise CRSError(msg)
        mgeoms = pcs.geometry.to_crs(metric).to_numpy()
        parts, self.piece_of = shapely.get_parts(geoms, return_index=True)
        self.xy, part_of = shapely.get_coordinates(parts, return_index=True)
        self.mxy = shapely.get_coordinates(shapely.get_parts(mgeoms))
        new_part = np.ones(len(self.xy), dtype=bool)
        new_part[1:] = part_of[1:] != part_of[:-1]
        self.chain = self._vertex_chainage(pcs, new_part, self.piece_of[part_of])
        # monotone key over all rivers: chainage plus a per-river offset
        self.rcodes, runiq = pd.factorize(pcs["river_id"].astype(str), sort=True)
        self.runiq = pd.Index(runiq)
        hi = pcs["to_m"].to_numpy(dtype=float)
        self.offset = _river_offsets(self.rcodes, len(runiq), hi)
        self.key = self.chain + self.offset[self.rcodes[self.piece_of[part_of]]]
        self._parts(new_part)

    def _vertex_chainage(
        self, pcs: gpd.GeoDataFrame, new_part: NDArray[np.bool_], vpiece: IntArray
    ) -> FloatArray:
        """Return the chainage of every vertex (parts of a piece chained without their gaps)."""
        nv = len(self.xy)
        step = np.zeros(nv)
        step[1:] = np.hypot(np.diff(self.mxy[:, 0]), np.diff(self.mxy[:, 1]))
        step[new_part] = 0.0
        cum = np.cumsum(step)
        start_of_piece = np.ones(nv, dtype=bool)
        start_of_piece[1:] = vpiece[1:] != vpiece[:-1]
        base = np.maximum.accumulate(np.where(start_of_piece, cum, -np.inf))
        along = cum - base
        plen = np.zeros(len(pcs))
        np.maximum.at(plen, vpiece, along)
        lo = pcs["from_m"].to_numpy(dtype=float)
        hi = pcs["to_m"].to_numpy(dtype=float)
        scale = np.where(plen > 0, (hi - lo) / np.where(plen > 0, plen, 1.0), 0.0)
        return lo[vpiece] + along * scale[vpiece]

    def _parts(self, new_part: NDArray[np.bool_]) -> None:
        """Note each part's vertex range, chainage range and continuity with the previous part."""
        mxy = self.mxy
        self.pstart = np.flatnonzero(new_part)
        self.pend = np.r_[self.pstart[1:], len(self.xy)] - 1
        self.p_c0, self.p_c1 = self.chain[self.pstart], self.chain[self.pend]
        self.p_river = self.rcodes[self.piece_of]
        pstart, pend, p_river = self.pstart, self.pend, self.p_river
        self.joined = np.zeros(len(pstart), dtype=bool)
        self.joined[1:] = (p_river[1:] == p_river[:-1]) & (
            np.hypot(mxy[pstart[1:], 0] - mxy[pend[:-1], 0], mxy[pstart[1:], 1] - mxy[pend[:-1], 1])
            < 1e-6
        )

    def overlapping(self, queries: pd.DataFrame) -> tuple[IntArray, IntArray]:
        """Return the (query, part) pairs that overlap, by query then part."""
        q_code = self.runiq.get_indexer(pd.Index(queries["river_id"].astype(str)))
        qa = queries["from_m"].to_numpy(dtype=float)
        qb = queries["to_m"].to_numpy(dtype=float)
        left = pd.DataFrame({"q": np.arange(len(queries)), "r": q_code})
        right = pd.DataFrame({"p": np.arange(len(self.pstart)), "r": self.p_river})
        pairs = left[q_code >= 0].merge(right, on="r", how="inner")
        q = pairs["q"].to_numpy()
        p = pairs["p"].to_numpy()
        ok = (self.p_c1[p] > qa[q] + 1e-9) & (self.p_c0[p] < qb[q] - 1e-9)
        q, p = q[ok], p[ok]
        order = np.lexsort((p, q))
        return q[order], p[order]

    def _interp(self, s: IntArray, at: FloatArray) -> FloatArray:
        """Return the point at chainage ``at`` on the vertex pair starting at ``s``."""
        chain, xy = self.chain, self.xy
        d = chain[s + 1] - chain[s]
        t = np.where(d > 0, (at - chain[s]) / np.where(d > 0, d, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        return xy[s] + (xy[s + 1] - xy[s]) * t[:, None]

    def cut(self, queries: pd.DataFrame, q: IntArray, p: IntArray, out: ObjArray) -> ObjArray:
        """Fill ``out`` with the lines of the overlapping pairs ``(q, p)``, one per query."""
        qa = queries["from_m"].to_numpy(dtype=float)
        qb = queries["to_m"].to_numpy(dtype=float)
        a = np.maximum(qa[q], self.p_c0[p])
        b = np.minimum(qb[q], self.p_c1[p])
        off = self.offset[self.p_river[p]]
        v0, v1 = self.pstart[p], self.pend[p]
        i0 = np.maximum(np.searchsorted(self.key, a + off, side="right"), v0 + 1)
        i1 = np.minimum(np.searchsorted(self.key, b + off, side="left"), v1)
        i1 = np.maximum(i1, i0)
        pa = self._interp(np.clip(i0 - 1, v0, v1 - 1), a)
        pb = self._interp(np.clip(i1 - 1, v0, v1 - 1), b)
        cont = np.zeros(len(q), dtype=bool)
        cont[1:] = (q[1:] == q[:-1]) & (p[1:] == p[:-1] + 1) & self.joined[p[1:]]
        lines = self._linestrings(i0, i1, pa, pb, cont)
        return _per_query(lines, q[~cont], out)

    def _linestrings(
        self, i0: IntArray, i1: IntArray, pa: FloatArray, pb: FloatArray, cont: NDArray[np.bool_]
    ) -> ObjArray:
        """Return the lines: each pair's start, inner vertices and end; continued pairs joined."""
        n_inner = i1 - i0
        n_pts = n_inner + 2 - cont
        first = np.concatenate([[0], np.cumsum(n_pts)[:-1]])
        coords = np.empty((int(n_pts.sum()), 2))
        coords[first + n_pts - 1] = pb
        coords[first[~cont]] = pa[~cont]
        owner = np.repeat(np.arange(len(i0)), n_inner)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
        coords[first[owner] + (~cont[owner]).astype(np.int64) + k] = self.xy[i0[owner] + k]
        line_no = np.cumsum(~cont) - 1
        return shapely.linestrings(coords, indices=np.repeat(line_no, n_pts))


def _per_query(lines: ObjArray, line_q: IntArray, out: ObjArray) -> ObjArray:
    """Put each query's line into ``out``: a LineString, or a MultiLineString of several."""
    nq = len(out)
    counts = np.bincount(line_q, minlength=nq)
    single = np.flatnonzero(counts == 1)
    first_line = np.searchsorted(line_q, np.arange(nq))
    out[single] = lines[first_line[single]]
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        sel = np.isin(line_q, multi)
        _, dense = np.unique(line_q[sel], return_inverse=True)
        out[multi] = shapely.multilinestrings(lines[sel], indices=dense)
    return out
