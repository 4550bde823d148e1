"""Redivision plans: one responsible unit per segment, a diff, and a planner's edits.

:func:`redivide` turns a :class:`~rivermap.Responsibility` into a
:class:`Plan`: every river (where it lies inside the units) is cut into
segments, each with exactly one responsible unit at the chosen level, following
the principles of 分级负责、分片包干、一河一长. ``plan.diff()`` compares the
plan with the current official segmentation (or, without one, with what the
engine found), ``plan.apply_edits`` applies a planner's split points,
reassignments and merges drawn as GeoJSON, and ``plan.to_file`` writes a
GeoPackage that :func:`read_plan` reads back.

Segment geometry is cut from the reaches by chainage: chainages are metres
along the river measured in the metric CRS the engine used
(``resp.summary["metric_crs"]``); the cut lines keep the caller's vertices and
CRS.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap._package import metadata_table, open_package, read_simple_geometries
from rivermap.errors import CRSError, DataError, SchemaError, format_ids
from rivermap.io import write_tables
from rivermap.params import (
    EDIT_TOLERANCE_M,
    MIN_SEGMENT_M,
    MIN_SHARE,
    REDIVIDE_POLICIES,
    REDIVIDE_POLICY,
    check_choice,
    check_length,
    check_level,
    check_share,
)
from rivermap.runs import EPS_M, ancestor_at, credits_of, join_groups, level_runs, resolve
from rivermap.text import localize, term

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["SEGMENT_COLUMNS", "Plan", "PlanDiff", "read_plan", "redivide"]

_FORMAT = "rivermap.plan"
_FORMAT_VERSION = 1

#: Columns of :attr:`Plan.segments` (before ``geometry``).
SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "river_id",
    "name",
    "from_m",
    "to_m",
    "length_m",
    "unit_id",
    "unit_name",
    "unit_level",
    "previous",
    "boundary_m",
)
_CHANGE_COLUMNS: tuple[str, ...] = (
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
_UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "name",
    "level",
    "gained_km",
    "lost_km",
    "net_km",
)
_UNMATCHED_COLUMNS: tuple[str, ...] = ("segment", "river_id", "reason", "distance_m")
_UNASSIGNED = "(unassigned)"
# A cut closer than this (metres) to an existing cut or a river end does nothing.
_SNAP_CUT_M = 1.0
# A split this close (metres) to a change of responsible unit is moved onto it.
_SNAP_CHANGE_M = 2.0

_UNIT_COLS = ("unit_id", "responsible", "unit", "责任单位编码", "责任单位", "单位编码", "单位")
_ID_COLS = ("segment_id", "id", "河段编码", "code", "编码", "fid")

ObjArray = NDArray[np.object_]
FloatArray = NDArray[np.float64]


# ===================================================================== public
def redivide(
    resp: Responsibility,
    *,
    level: str,
    policy: str = REDIVIDE_POLICY,
    min_segment_m: float = MIN_SEGMENT_M,
    min_share: float = MIN_SHARE,
    current: Any = None,
    current_id_col: str | None = None,
    current_unit_col: str | None = None,
    tolerance_m: float = EDIT_TOLERANCE_M,
) -> Plan:
    """Propose a redivision: segments with exactly one responsible unit at ``level``.

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign`.
    level
        The level whose units become responsible (one of ``resp.levels``).
    policy
        * ``"split"`` (default): cut wherever the unit changes; stretches
          shorter than ``min_segment_m`` join their longer neighbour;
        * ``"majority"``: stretches of units whose holding is not significant
          (less than ``min_share`` of the river or less than ``min_segment_m``)
          go to a neighbouring significant unit, so a river whose minor shares
          are all below ``min_share`` stays whole under its lead unit; then as
          ``"split"``;
        * ``"parent"``: as ``"majority"``, then a river still held by more than
          one unit goes whole to their lowest common ancestor (the common
          parent's chief); rivers whose units share no ancestor stay split.

        Under every policy a 界河 stretch (along the boundary between two units
        of the level) goes to the side holding more of the river (ties: the
        smaller unit_id). Stretches outside every unit of the level are not part
        of the plan.
    min_segment_m
        Shortest segment kept (metres of river).
    min_share
        Share of the river's length (0–1) a unit must hold to keep its own
        stretches under ``"majority"`` and ``"parent"``.
    current
        The existing official segmentation (现行河段划分), or None to compare with
        the responsibility the engine found. Either lines (a GeoDataFrame or a
        vector file, any CRS) or a table (a DataFrame, CSV or XLSX) with
        ``river_id``, ``from_m`` and ``to_m`` (metres of chainage); both need a
        responsible unit column (``current_unit_col``, else the first of
        ``unit_id``, the level's name, ``responsible``, ``unit``, ``责任单位编码``,
        ``责任单位``…) and may have an id column (``current_id_col``, else
        ``segment_id``, ``id``, ``河段编码``…; else the row number). Lines are
        matched to the river nearest their middle (or to their ``river_id``); a
        line whose start, middle or end lies more than ``tolerance_m`` from that
        river, or whose ``river_id`` is unknown, is reported in
        ``plan.diff().unmatched``. Units below ``level`` are lifted to their
        ancestor at ``level``.
    current_id_col, current_unit_col
        Column names in ``current`` (see above).
    tolerance_m
        How far (metres) official lines may lie from a river.

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        An unknown level or policy, or a threshold out of range.
    SchemaError
        ``current`` lacks a needed column or holds non-numeric chainages.
    CRSError
        ``current`` lines have no CRS.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> plan = redivide(resp, level="district", policy="majority")
    >>> seg = plan.segments
    >>> seg.loc[seg["name"] == "富春江", ["segment_id", "unit_name"]].head(3).to_numpy().tolist()
    [['富春江-1', '桐庐县'], ['富春江-2', '富阳区'], ['富春江-3', '桐庐县']]
    >>> d = plan.diff()
    >>> abs(float(d.units["gained_km"].sum() - d.units["lost_km"].sum())) < 1e-9
    True
    """
    level = check_level(level, resp.levels)
    policy = check_choice("policy", policy, REDIVIDE_POLICIES)
    min_share = check_share("min_share", min_share)
    min_segment_m = check_length("min_segment_m", min_segment_m)
    tolerance_m = check_length("tolerance_m", tolerance_m)
    reaches = resp.reaches
    units = resp.units
    rivers = resp.rivers
    river_len = pd.Series(
        rivers["length_m"].to_numpy(dtype=float), index=rivers["river_id"].astype(str)
    )
    runs = level_runs(reaches, units, level, river_len)
    cr = credits_of(runs)
    resolved, segs = resolve(
        runs,
        cr,
        units,
        policy=policy,
        min_share=min_share,
        min_segment_m=min_segment_m,
        levels=resp.levels,
    )
    metric = _metric_of(resp)
    baseline = pd.DataFrame(
        {
            "river_id": resolved["river_id"].astype(str),
            "from_m": resolved["from_m"].astype(float),
            "to_m": resolved["to_m"].astype(float),
            "unit": resolved["holder"].astype(object),
            "state": resolved["state"].astype(object),
            "segment": pd.Series(np.full(len(resolved), None, dtype=object)),
        }
    )
    unit_table = _unit_table(units)
    names = pd.Series(rivers["name"].to_numpy(dtype=object), index=rivers["river_id"].astype(str))
    pieces = gpd.GeoDataFrame(
        {
            "river_id": reaches["river_id"].astype(str),
            "from_m": reaches["from_m"].astype(float),
            "to_m": reaches["to_m"].astype(float),
        },
        geometry=reaches.geometry.to_numpy(),
        crs=reaches.crs,
    )
    frame = pd.DataFrame(
        {
            "river_id": segs["river_id"].astype(str),
            "from_m": segs["from_m"].astype(float),
            "to_m": segs["to_m"].astype(float),
            "unit_id": segs["unit"].astype(object),
        }
    )
    segments = _finish_segments(frame, pieces, metric, names, unit_table, baseline)
    cur, unmatched = (None, _empty(_UNMATCHED_COLUMNS))
    if current is not None:
        cur, unmatched = _normalise_current(
            current,
            reaches=pieces,
            river_len=river_len,
            metric=metric,
            units=units,
            level=level,
            id_col=current_id_col,
            unit_col=current_unit_col,
            tol=tolerance_m,
        )
    params = {
        "min_segment_m": float(min_segment_m),
        "min_share": float(min_share),
        "tolerance_m": float(tolerance_m),
        "levels": list(resp.levels),
    }
    return Plan(
        segments,
        level=level,
        policy=policy,
        params=params,
        log=[],
        edits=[],
        metric_crs=metric.to_string(),
        units=unit_table,
        baseline=baseline,
        current=cur,
        unmatched=unmatched,
    )


def _metric_of(resp: Responsibility) -> pyproj.CRS:
    name = resp.summary.get("metric_crs")
    if not name:
        msg = "resp.summary has no metric_crs; rerun rivermap.assign"
        raise SchemaError(msg)
    return pyproj.CRS.from_user_input(name)


def _unit_table(units: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].astype(str).to_numpy(dtype=object),
            "name": units["name"].astype(object).to_numpy(dtype=object),
            "level": units["level"].astype(object).to_numpy(dtype=object),
            "parent_id": units["parent_id"].astype(object).to_numpy(dtype=object),
        }
    )


# ======================================================================= Plan
@dataclass(frozen=True)
class PlanDiff:
    """What a plan changes compared with the current segmentation.

    Attributes
    ----------
    changes
        Every stretch that changes hands (GeoDataFrame; geometry where the plan
        covers it): ``river_id``, ``name``, ``from_m``, ``to_m``, ``length_m``,
        ``old_unit`` (``"A;B"`` where both banks held it), ``old_name``,
        ``new_unit``, ``new_name``, ``old_segment``, ``new_segment``.
        ``"(unassigned)"`` stands for no unit on either side.
    units
        Per unit: ``unit_id``, ``name``, ``level``, ``gained_km``, ``lost_km``,
        ``net_km``; a shared stretch counts half for each bank. The row
        ``"(unassigned)"`` balances stretches nobody held before or after, so
        gains equal losses over all rows.
    unmatched
        Official segments that line up with no river: ``segment`` (its id),
        ``river_id``, ``reason``, ``distance_m``.
    """

    changes: gpd.GeoDataFrame
    units: pd.DataFrame
    unmatched: pd.DataFrame

    def __repr__(self) -> str:
        km = float(self.changes["length_m"].sum()) / 1000 if len(self.changes) else 0.0
        return (
            f"PlanDiff({len(self.changes)} stretches change hands, {km:,.1f} km; "
            f"{len(self.units)} units; {len(self.unmatched)} unmatched official segments)"
        )

    def write(
        self, path: str | os.PathLike[str], *, lang: str = "zh", overwrite: bool = False
    ) -> list[Path]:
        """Write the diff for a meeting: XLSX (three sheets) or CSV (three files).

        A ``.xlsx`` gets sheets ``changes``, ``units`` and ``unmatched``; a
        ``.csv`` path gets the changes, and ``<stem>_units.csv`` and
        ``<stem>_unmatched.csv`` beside it. Headers are Chinese (``lang="zh"``)
        or English (``"en"``).

        Returns
        -------
        list of Path
            The files written.
        """
        p = Path(path)
        tables = {"changes": self.changes, "units": self.units, "unmatched": self.unmatched}
        if p.suffix.lower() == ".xlsx":
            return [write_tables(_for_people(tables, lang), p, overwrite=overwrite)]
        out = []
        for key, table in tables.items():
            target = p if key == "changes" else p.with_name(f"{p.stem}_{key}{p.suffix}")
            out.append(write_tables(_for_people({key: table}, lang), target, overwrite=overwrite))
        return out


class Plan:
    """A proposed redivision: segments, each with exactly one responsible unit.

    Made by :func:`redivide`, changed by :meth:`apply_edits` (which returns a
    new plan), written by :meth:`to_file` and read by :func:`read_plan`.

    Attributes
    ----------
    level
        The level whose units are responsible.
    policy
        The policy that made the plan (``"split"``, ``"majority"``, ``"parent"``).
    params
        ``min_segment_m``, ``min_share``, ``tolerance_m`` and ``levels``.
    log
        One readable line per edit applied, in order.
    edits
        The edits applied, as dicts (``action``, the feature's properties and,
        for points, the snapped ``river_id`` and ``at_m``).
    metric_crs
        The metric CRS chainages are measured in.
    """

    def __init__(
        self,
        segments: gpd.GeoDataFrame,
        *,
        level: str,
        policy: str,
        params: dict[str, Any],
        log: list[str],
        edits: list[dict[str, Any]],
        metric_crs: str,
        units: pd.DataFrame,
        baseline: pd.DataFrame,
        current: pd.DataFrame | None,
        unmatched: pd.DataFrame,
    ) -> None:
        self._segments = segments
        self.level = level
        self.policy = policy
        self.params = dict(params)
        self._log = list(log)
        self._edits = [dict(e) for e in edits]
        self.metric_crs = metric_crs
        self._units = units
        self._baseline = baseline
        self._current = current
        self._unmatched = unmatched

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """Segments (a copy): ``segment_id`` (``"{river_id}-{k}"``, k from 1 in
        chainage order), ``river_id``, ``name``, ``from_m``, ``to_m``,
        ``length_m``, ``unit_id``, ``unit_name``, ``unit_level``, ``previous``
        (who held the stretch before, ``";"``-joined), ``boundary_m`` (length
        along boundaries between units of the level) and the stretch's geometry
        in the rivers' CRS."""
        return self._segments.copy()

    @property
    def log(self) -> list[str]:
        """One readable line per edit applied (a copy)."""
        return list(self._log)

    @property
    def edits(self) -> list[dict[str, Any]]:
        """The edits applied (a copy)."""
        return [dict(e) for e in self._edits]

    @property
    def crs(self) -> pyproj.CRS | None:
        """CRS of the segment geometries (the rivers' CRS)."""
        return self._segments.crs

    @property
    def current(self) -> pd.DataFrame | None:
        """The official segmentation compared against, by chainage, or None."""
        return None if self._current is None else self._current.copy()

    def __repr__(self) -> str:
        s = self._segments
        return (
            f"Plan(level={self.level!r}, policy={self.policy!r}: {len(s)} segments on "
            f"{s['river_id'].nunique()} rivers, {float(s['length_m'].sum()) / 1000:,.1f} km; "
            f"{len(self._log)} edits)"
        )

    # ------------------------------------------------------------------ diff
    def diff(self) -> PlanDiff:
        """Compare the plan with the current segmentation.

        Against ``current`` when :func:`redivide` was given one, else against
        the responsibility the engine found at the plan's level (a 界河 stretch
        held by both banks reads ``"A;B"``).

        Returns
        -------
        PlanDiff
        """
        old = self._baseline if self._current is None else self._current
        new = self._segments
        ov = _overlay(old, new)
        o_unit = np.full(len(ov), None, dtype=object)
        o_seg = np.full(len(ov), None, dtype=object)
        n_unit = np.full(len(ov), None, dtype=object)
        n_seg = np.full(len(ov), None, dtype=object)
        li, ri = ov["li"].to_numpy(), ov["ri"].to_numpy()
        o_unit[li >= 0] = old["unit"].to_numpy(dtype=object)[li[li >= 0]]
        o_seg[li >= 0] = old["segment"].to_numpy(dtype=object)[li[li >= 0]]
        n_unit[ri >= 0] = new["unit_id"].to_numpy(dtype=object)[ri[ri >= 0]]
        n_seg[ri >= 0] = new["segment_id"].to_numpy(dtype=object)[ri[ri >= 0]]
        o_unit = np.where(pd.isna(o_unit), _UNASSIGNED, o_unit)
        n_unit = np.where(pd.isna(n_unit), _UNASSIGNED, n_unit)
        ov = ov.assign(old_unit=o_unit, new_unit=n_unit, old_segment=o_seg, new_segment=n_seg)
        ch = ov[(ov["old_unit"] != ov["new_unit"]).to_numpy()].reset_index(drop=True)
        if len(ch):
            key = ch[["river_id", "old_unit", "new_unit", "old_segment", "new_segment"]].astype(str)
            brk = (key != key.shift()).any(axis=1) | (ch["from_m"] - ch["to_m"].shift()).abs().gt(
                EPS_M
            )
            g = ch.groupby(brk.cumsum().to_numpy(), sort=False)
            ch = g.agg(
                river_id=("river_id", "first"),
                from_m=("from_m", "first"),
                to_m=("to_m", "last"),
                old_unit=("old_unit", "first"),
                new_unit=("new_unit", "first"),
                old_segment=("old_segment", "first"),
                new_segment=("new_segment", "first"),
            ).reset_index(drop=True)
        ch["length_m"] = ch["to_m"] - ch["from_m"]
        names = _river_name_map(self._segments, self._baseline)
        uname = self._unit_names()
        ch["name"] = ch["river_id"].map(names)
        ch["old_name"] = _names_each(ch["old_unit"], uname)
        ch["new_name"] = _names_each(ch["new_unit"], uname)
        ch = ch[list(_CHANGE_COLUMNS)]
        geoms = _cut(self._pieces(), ch[["river_id", "from_m", "to_m"]], self._metric())
        changes = gpd.GeoDataFrame(ch, geometry=geoms, crs=self._segments.crs)
        return PlanDiff(changes, self._unit_balance(changes, uname), self._unmatched.copy())

    def _unit_balance(self, ch: pd.DataFrame, uname: pd.Series) -> pd.DataFrame:
        old = ch[["old_unit", "length_m"]].assign(
            u=ch["old_unit"].astype(str).str.split(";"),
        )
        old = old.explode("u")
        weight = 1.0 / old.groupby(level=0)["u"].transform("size")
        parts = pd.concat(
            [
                pd.DataFrame({"unit_id": old["u"], "delta": -old["length_m"] * weight}),
                pd.DataFrame({"unit_id": ch["new_unit"], "delta": ch["length_m"]}),
            ]
        )
        parts = parts.reset_index(names="stretch")
        per = parts.groupby(["stretch", "unit_id"])["delta"].sum()
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
        levels = pd.Series(
            self._units["level"].to_numpy(dtype=object), index=self._units["unit_id"].astype(str)
        )
        out["name"] = _names_each(out["unit_id"], uname)
        out["level"] = out["unit_id"].map(levels)
        out = out.sort_values(["net_km", "unit_id"], ascending=[False, True], kind="stable")
        return out[list(_UNIT_COLUMNS)].reset_index(drop=True)

    def _unit_names(self) -> pd.Series:
        return pd.Series(
            self._units["name"].to_numpy(dtype=object), index=self._units["unit_id"].astype(str)
        )

    def _metric(self) -> pyproj.CRS:
        return pyproj.CRS.from_user_input(self.metric_crs)

    def _pieces(self) -> gpd.GeoDataFrame:
        s = self._segments
        return gpd.GeoDataFrame(
            s[["river_id", "from_m", "to_m"]].copy(), geometry=s.geometry.to_numpy(), crs=s.crs
        )

    # ----------------------------------------------------------------- edits
    def apply_edits(self, edits: Any, *, tolerance_m: float = EDIT_TOLERANCE_M) -> Plan:
        """Apply a planner's edits; return a new plan (this one is unchanged).

        Parameters
        ----------
        edits
            A GeoJSON FeatureCollection (a dict, or a ``.geojson``/``.json``
            file), a list of features, or a GeoDataFrame. GeoJSON coordinates
            are WGS84 longitude/latitude unless the collection has a (legacy)
            ``crs`` member; a GeoDataFrame's own CRS is used. Features are
            applied in order:

            * a Point with ``action: "split"`` cuts the river nearest to it
              (within ``tolerance_m``; ``river_id`` in the properties picks the
              river) into two segments with the same unit; a point within 2 m
              of a change of responsible unit splits exactly there (the log says
              so), so that a click on a border leaves no sliver;
            * a Point with ``action: "assign"`` and ``unit_id`` gives the
              segment it falls on to that unit;
            * ``action: "merge"`` with ``segment_ids`` (a list, or ids joined by
              ``";"`` or ``","``) merges adjacent segments of one river; the
              merged segment goes to ``unit_id`` if given, else to the unit
              holding most of it. Ids refer to *this* plan's segments.

            After the edits, segments are renumbered ``{river_id}-{k}`` in
            chainage order.
        tolerance_m
            How far (metres) a point may lie from the nearest river.

        Returns
        -------
        Plan
            With :attr:`log` extended by one line per edit.

        Raises
        ------
        SchemaError
            A feature with an unknown action, a missing or unknown
            ``unit_id``/``segment_ids``, the wrong geometry, a point farther
            than ``tolerance_m`` from every river, or segments to merge that are
            not adjacent. The message names the feature index.

        Examples
        --------
        >>> import rivermap as rm
        >>> plan = redivide(rm.assign(*rm.datasets.load_demo()), level="district")
        >>> seg = plan.segments.set_index("segment_id")
        >>> edit = {"type": "Feature", "properties": {"action": "merge",
        ...         "segment_ids": ["富春江-1", "富春江-2", "富春江-3"]}, "geometry": None}
        >>> merged = plan.apply_edits({"type": "FeatureCollection", "features": [edit]})
        >>> merged.log[0]
        'edit #0: merge 富春江-1, 富春江-2, 富春江-3 (富春江 0.0–9.8 km) to 330122 (桐庐县)'
        >>> len(plan.segments) - len(merged.segments)
        2
        """
        tolerance_m = check_length("tolerance_m", tolerance_m)
        features, crs = _read_edits(edits)
        work = pd.DataFrame(
            {
                "river_id": self._segments["river_id"].astype(str).to_numpy(dtype=object),
                "from_m": self._segments["from_m"].to_numpy(dtype=float),
                "to_m": self._segments["to_m"].to_numpy(dtype=float),
                "unit_id": self._segments["unit_id"].to_numpy(dtype=object),
            }
        )
        known_units = set(self._units["unit_id"].astype(str))
        orig = self._segments.set_index("segment_id")
        uname = self._unit_names()
        log = list(self._log)
        applied = [dict(e) for e in self._edits]
        metric = self._metric()
        locator = _Locator(self._pieces(), metric) if features else None
        rname = _river_name_map(self._segments, self._baseline)
        for i, (action, geom, props) in enumerate(features):
            where = f"edit feature #{i}"
            if action in ("split", "assign"):
                if not isinstance(geom, shapely.Point):
                    got = "no geometry" if geom is None else geom.geom_type
                    msg = f"{where}: action {action!r} needs a Point geometry, got {got}"
                    raise SchemaError(msg)
                assert locator is not None
                river, at_m, dist = locator.locate(
                    geom, crs, river_id=props.get("river_id"), where=where, tol=tolerance_m
                )
                rec = {"action": action, **props, "river_id": river, "at_m": round(at_m, 3)}
                if action == "split":
                    at_m, snapped = _snap_to_change(self._baseline, river, at_m)
                    work, line = _edit_split(work, river, at_m, dist)
                    if snapped:
                        line += f"; snapped {snapped:,.2f} m to where the unit changes"
                else:
                    unit = _edit_unit(props, known_units, where, required=True)
                    work, line = _edit_assign(work, river, at_m, dist, unit, uname)
                log.append(
                    f"{where.replace('edit feature ', 'edit ')}: {line}".replace(
                        "{river}", str(rname.get(river, river))
                    )
                )
            elif action == "merge":
                ids = _segment_ids(props, where)
                unit = _edit_unit(props, known_units, where, required=False)
                work, line = _edit_merge(work, orig, ids, unit, uname, where)
                log.append(f"edit #{i}: {line}")
                rec = {"action": action, **props, "segment_ids": ids}
            else:
                msg = (
                    f"{where}: unknown action {action!r}; use 'split', 'assign' or 'merge' "
                    "(in the feature's properties)"
                )
                raise SchemaError(msg)
            applied.append(_jsonable(rec))
        names = _river_name_map(self._segments, self._baseline)
        segments = _finish_segments(
            work, self._pieces(), metric, names, self._units, self._baseline
        )
        return Plan(
            segments,
            level=self.level,
            policy=self.policy,
            params=self.params,
            log=log,
            edits=applied,
            metric_crs=self.metric_crs,
            units=self._units,
            baseline=self._baseline,
            current=self._current,
            unmatched=self._unmatched,
        )

    # ------------------------------------------------------------------- I/O
    def to_file(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the plan to a GeoPackage, atomically.

        Layers: ``segments`` (lines), ``changes`` (the diff's stretches, lines),
        ``unit_changes`` and ``unmatched`` (tables), and ``baseline``,
        ``current``, ``units`` and ``metadata`` (level, policy, parameters, log
        and edits) so that :func:`read_plan` restores the plan.

        Parameters
        ----------
        path
            The ``.gpkg`` file.
        overwrite
            Replace an existing file.

        Returns
        -------
        Path
            ``path``.
        """
        from rivermap.io import atomic_output, check_output

        final = check_output(path, overwrite=overwrite)
        d = self.diff()
        with atomic_output(final, overwrite=overwrite) as tmp:
            pyogrio.write_dataframe(
                self._segments, tmp, layer="segments", driver="GPKG", promote_to_multi=True
            )
            pyogrio.write_dataframe(
                d.changes, tmp, layer="changes", driver="GPKG", promote_to_multi=True
            )
            for layer, table in (
                ("unit_changes", d.units),
                ("unmatched", d.unmatched),
                ("baseline", self._baseline),
                ("units", self._units),
            ):
                pyogrio.write_dataframe(pd.DataFrame(table), tmp, layer=layer, driver="GPKG")
            if self._current is not None:
                pyogrio.write_dataframe(self._current, tmp, layer="current", driver="GPKG")
            meta = {
                "format": _FORMAT,
                "format_version": _FORMAT_VERSION,
                "level": self.level,
                "policy": self.policy,
                "params": self.params,
                "log": self._log,
                "edits": self._edits,
                "metric_crs": self.metric_crs,
                "crs": self.crs.to_wkt() if self.crs is not None else None,
            }
            pyogrio.write_dataframe(metadata_table(meta), tmp, layer="metadata", driver="GPKG")
        return final

    def write_tables(
        self, path: str | os.PathLike[str], *, lang: str = "zh", overwrite: bool = False
    ) -> Path:
        """Write the segments and the diff to an XLSX (one sheet each) or the segments to a CSV.

        Headers are Chinese (``lang="zh"``) or English (``"en"``).
        """
        d = self.diff()
        tables = {
            "segments": self._segments,
            "changes": d.changes,
            "units": d.units,
            "unmatched": d.unmatched,
        }
        return write_tables(_for_people(tables, lang), path, overwrite=overwrite)


def _for_people(tables: Mapping[str, pd.DataFrame], lang: str) -> dict[str, pd.DataFrame]:
    """Return the tables with sheet names, headers, levels and kinds in ``lang``."""
    return {
        term(f"sheet.{key}", lang): localize(table, lang, table="plan")
        for key, table in tables.items()
    }


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a :class:`Plan` written by :meth:`Plan.to_file`.

    Raises
    ------
    DataError
        When the file cannot be read.
    SchemaError
        When it is not a rivermap plan file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> plan = redivide(rm.assign(*rm.datasets.load_demo()), level="city")
    >>> out = plan.to_file(pathlib.Path(tempfile.mkdtemp()) / "plan.gpkg")
    >>> back = read_plan(out)
    >>> back.segments["segment_id"].tolist() == plan.segments["segment_id"].tolist()
    True
    """
    p = Path(path)
    layers, meta = open_package(
        p,
        fmt=_FORMAT,
        layers=("segments", "metadata", "baseline", "units", "unmatched"),
        what="plan file",
        hint="write one with Plan.to_file or rivermap redivide",
    )
    segments = read_simple_geometries(p, "segments")
    if meta.get("crs"):
        segments = segments.set_crs(pyproj.CRS.from_wkt(meta["crs"]), allow_override=True)
    segments = segments[[*SEGMENT_COLUMNS, "geometry"]]

    def table(layer: str) -> pd.DataFrame:
        return pd.DataFrame(pyogrio.read_dataframe(p, layer=layer, read_geometry=False))

    baseline = _objects(table("baseline"))
    current = _objects(table("current")) if "current" in layers else None
    unmatched = table("unmatched")
    if unmatched.empty:
        unmatched = _empty(_UNMATCHED_COLUMNS)
    return Plan(
        segments,
        level=meta["level"],
        policy=meta["policy"],
        params=meta.get("params", {}),
        log=list(meta.get("log", [])),
        edits=list(meta.get("edits", [])),
        metric_crs=meta["metric_crs"],
        units=_objects(table("units")),
        baseline=baseline,
        current=current,
        unmatched=unmatched,
    )


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object arrays with None for missing (as the plan builds them)."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            vals = out[col].astype(object).to_numpy(dtype=object)
            out[col] = _nones(vals)
    return out


def _finish_segments(
    frame: pd.DataFrame,
    pieces: gpd.GeoDataFrame,
    metric: pyproj.CRS,
    names: Mapping[str, Any] | pd.Series,
    units: pd.DataFrame,
    baseline: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Number, name and cut segments (river_id, from_m, to_m, unit_id)."""
    f = frame.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    k = f.groupby("river_id").cumcount() + 1
    uid = f["unit_id"].astype(object)
    unames = pd.Series(units["name"].to_numpy(dtype=object), index=units["unit_id"].astype(str))
    ulevel = pd.Series(units["level"].to_numpy(dtype=object), index=units["unit_id"].astype(str))
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
            "unit_name": uid.map(unames).astype("str"),
            "unit_level": uid.map(ulevel).astype("str"),
            "previous": pd.Series(prev, dtype="str"),
            "boundary_m": bnd,
        }
    )
    geoms = _cut(pieces, f[["river_id", "from_m", "to_m"]], metric)
    return gpd.GeoDataFrame(out, geometry=geoms, crs=pieces.crs)


def _previous(segs: pd.DataFrame, baseline: pd.DataFrame) -> tuple[ObjArray, FloatArray]:
    """Who held each segment's stretches before, and its length along boundaries."""
    ov = _overlay(segs, baseline)
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
    g = frame.groupby("seg")
    # who held it: every holder's ids ("A;B" for both banks) once, in order of appearance
    text = pd.Series(frame["holder"].to_numpy(dtype=object), dtype=object).map(str)
    tokens = text.str.split(";").explode()
    prev = join_groups(
        tokens.to_numpy(dtype=object), frame["seg"].to_numpy()[tokens.index], ";", unique=True
    )
    bnd = g["bnd"].sum()
    idx = pd.RangeIndex(len(segs))
    prev_arr = prev.reindex(idx).to_numpy(dtype=object)
    return _nones(prev_arr), bnd.reindex(idx, fill_value=0.0).to_numpy(dtype=float)


def _overlay(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Elementary intervals of two chainage tables (river_id, from_m, to_m).

    Each table's intervals must not overlap within a river. Returns
    ``river_id``, ``from_m``, ``to_m``, ``li`` and ``ri`` (row positions in
    ``left`` and ``right``, -1 where the table does not cover the interval),
    for every interval at least one table covers.
    """
    rid = pd.concat([left["river_id"], right["river_id"]]).astype(str)
    codes, uniques = pd.factorize(rid, sort=True)
    lc, rc = codes[: len(left)], codes[len(left) :]
    ends = np.concatenate(
        [
            left["to_m"].to_numpy(dtype=float),
            right["to_m"].to_numpy(dtype=float),
        ]
    )
    span = np.zeros(len(uniques))
    if len(ends):
        np.maximum.at(span, codes, ends)
    offset = np.concatenate([[0.0], np.cumsum(span + 1.0)[:-1]]) if len(uniques) else span

    def keyed(frame: pd.DataFrame, c: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
        return (
            frame["from_m"].to_numpy(dtype=float) + offset[c],
            frame["to_m"].to_numpy(dtype=float) + offset[c],
        )

    lf, lt = keyed(left, lc)
    rf, rt = keyed(right, rc)
    pts = np.concatenate([lf, lt, rf, rt])
    pc = np.concatenate([lc, lc, rc, rc])
    order = np.lexsort((pts, pc))
    pts, pc = pts[order], pc[order]
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = (pc[1:] != pc[:-1]) | (pts[1:] - pts[:-1] > EPS_M)
    pts, pc = pts[keep], pc[keep]
    same = pc[1:] == pc[:-1]
    a, b, c = pts[:-1][same], pts[1:][same], pc[:-1][same]
    mid = (a + b) / 2

    def cover(f: FloatArray, t: FloatArray) -> NDArray[np.int64]:
        if not len(f):
            return np.full(len(mid), -1, dtype=np.int64)
        o = np.argsort(f, kind="stable")
        pos = np.searchsorted(f[o], mid, side="right") - 1
        ok = pos >= 0
        idx = np.where(ok, o[np.clip(pos, 0, None)], -1)
        ok &= np.where(ok, t[np.clip(idx, 0, None)] > mid, False)
        return np.where(ok, idx, -1).astype(np.int64)

    li, ri = cover(lf, lt), cover(rf, rt)
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


# ==================================================================== cutting
def _cut(pieces: gpd.GeoDataFrame, queries: pd.DataFrame, metric: pyproj.CRS) -> ObjArray:
    """Cut river stretches ``queries`` (river_id, from_m, to_m) out of ``pieces``.

    ``pieces`` tile (part of) each river: ``river_id``, ``from_m``, ``to_m`` and
    line geometry in any CRS, the river between those chainages. Chainage
    within a piece is measured in ``metric`` and scaled to the piece's
    ``to_m - from_m``; cut points are interpolated on the pieces' own
    coordinates, so the result keeps their CRS and vertices. Returns one
    LineString or MultiLineString per query (None where no piece covers it).
    """
    nq = len(queries)
    out = np.full(nq, None, dtype=object)
    if not nq or not len(pieces):
        return out
    pcs = pieces.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    geoms = pcs.geometry.to_numpy()
    if pcs.crs is None:
        msg = "the plan's lines have no CRS"
        raise CRSError(msg)
    mgeoms = pcs.geometry.to_crs(metric).to_numpy()
    parts, piece_of = shapely.get_parts(geoms, return_index=True)
    mparts = shapely.get_parts(mgeoms)
    xy, part_of = shapely.get_coordinates(parts, return_index=True)
    mxy = shapely.get_coordinates(mparts)
    nv = len(xy)
    new_part = np.ones(nv, dtype=bool)
    new_part[1:] = part_of[1:] != part_of[:-1]
    step = np.zeros(nv)
    step[1:] = np.hypot(np.diff(mxy[:, 0]), np.diff(mxy[:, 1]))
    step[new_part] = 0.0
    # distance along each piece (parts chained without their gaps)
    vpiece = piece_of[part_of]
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
    chain = lo[vpiece] + along * scale[vpiece]
    # monotone key over all rivers: chainage plus a per-river offset
    rcodes, runiq = pd.factorize(pcs["river_id"].astype(str), sort=True)
    span = np.zeros(len(runiq))
    np.maximum.at(span, rcodes, hi)
    offset = np.concatenate([[0.0], np.cumsum(span + 1.0)[:-1]])
    key = chain + offset[rcodes[vpiece]]
    # parts: vertex ranges, chainage ranges, continuity with the previous part
    pstart = np.flatnonzero(new_part)
    pend = np.r_[pstart[1:], nv] - 1
    p_piece = piece_of
    p_c0, p_c1 = chain[pstart], chain[pend]
    p_river = rcodes[p_piece]
    joined = np.zeros(len(pstart), dtype=bool)
    joined[1:] = (p_river[1:] == p_river[:-1]) & (
        np.hypot(mxy[pstart[1:], 0] - mxy[pend[:-1], 0], mxy[pstart[1:], 1] - mxy[pend[:-1], 1])
        < 1e-6
    )
    # query × part pairs that overlap
    q_code = pd.Index(runiq).get_indexer(pd.Index(queries["river_id"].astype(str)))
    qa = queries["from_m"].to_numpy(dtype=float)
    qb = queries["to_m"].to_numpy(dtype=float)
    left = pd.DataFrame({"q": np.arange(nq), "r": q_code})
    right = pd.DataFrame({"p": np.arange(len(pstart)), "r": p_river})
    pairs = left[q_code >= 0].merge(right, on="r", how="inner")
    q = pairs["q"].to_numpy()
    p = pairs["p"].to_numpy()
    ok = (p_c1[p] > qa[q] + 1e-9) & (p_c0[p] < qb[q] - 1e-9)
    q, p = q[ok], p[ok]
    if not len(q):
        return out
    order = np.lexsort((p, q))
    q, p = q[order], p[order]
    a = np.maximum(qa[q], p_c0[p])
    b = np.minimum(qb[q], p_c1[p])
    off = offset[p_river[p]]
    v0, v1 = pstart[p], pend[p]
    i0 = np.maximum(np.searchsorted(key, a + off, side="right"), v0 + 1)
    i1 = np.minimum(np.searchsorted(key, b + off, side="left"), v1)
    i1 = np.maximum(i1, i0)
    s_a = np.clip(i0 - 1, v0, v1 - 1)
    s_b = np.clip(i1 - 1, v0, v1 - 1)

    def interp(s: NDArray[np.int64], at: FloatArray) -> FloatArray:
        d = chain[s + 1] - chain[s]
        t = np.where(d > 0, (at - chain[s]) / np.where(d > 0, d, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        return xy[s] + (xy[s + 1] - xy[s]) * t[:, None]

    pa, pb = interp(s_a, a), interp(s_b, b)
    cont = np.zeros(len(q), dtype=bool)
    cont[1:] = (q[1:] == q[:-1]) & (p[1:] == p[:-1] + 1) & joined[p[1:]]
    n_inner = i1 - i0
    n_pts = n_inner + 2 - cont
    first = np.concatenate([[0], np.cumsum(n_pts)[:-1]])
    total = int(n_pts.sum())
    coords = np.empty((total, 2))
    coords[first + n_pts - 1] = pb
    coords[first[~cont]] = pa[~cont]
    owner = np.repeat(np.arange(len(q)), n_inner)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
    src = i0[owner] + k
    coords[first[owner] + (~cont[owner]).astype(np.int64) + k] = xy[src]
    line_no = np.cumsum(~cont) - 1
    pt_line = np.repeat(line_no, n_pts)
    lines = shapely.linestrings(coords, indices=pt_line)
    line_q = q[~cont]
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


# ====================================================================== edits
def _read_edits(edits: Any) -> tuple[list[tuple[str, Any, dict[str, Any]]], pyproj.CRS]:
    """Normalise edits to (action, shapely geometry or None, properties) and a CRS."""
    crs = pyproj.CRS.from_epsg(4326)
    if isinstance(edits, gpd.GeoDataFrame):
        if edits.crs is None:
            msg = "edits: the GeoDataFrame has no CRS; set one with .set_crs()"
            raise CRSError(msg)
        crs = pyproj.CRS.from_user_input(edits.crs)
        data: Any = json.loads(edits.to_json(drop_id=True))
    elif isinstance(edits, str | os.PathLike):
        p = Path(edits)
        if not p.exists():
            msg = f"{p}: no such file"
            raise DataError(msg)
        if p.suffix.lower() in (".geojson", ".json"):
            try:
                data = json.loads(p.read_text(encoding="utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                msg = f"{p}: not a readable GeoJSON file ({exc})"
                raise DataError(msg) from exc
        else:
            from rivermap.io import read_vector

            frame = read_vector(p)
            return _read_edits(frame)
    else:
        data = edits
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
    member = data.get("crs")
    if isinstance(member, Mapping):
        name = (member.get("properties") or {}).get("name")
        if name:
            try:
                crs = pyproj.CRS.from_user_input(name)
            except pyproj.exceptions.CRSError as exc:
                msg = f"edits: unknown crs {name!r} ({exc})"
                raise CRSError(msg) from exc
    out: list[tuple[str, Any, dict[str, Any]]] = []
    for i, feat in enumerate(data["features"]):
        if not isinstance(feat, Mapping):
            msg = f"edit feature #{i}: not a GeoJSON feature"
            raise SchemaError(msg)
        props = dict(feat.get("properties") or {})
        action = props.pop("action", None)
        if not isinstance(action, str):
            msg = f"edit feature #{i}: no 'action' property (use 'split', 'assign' or 'merge')"
            raise SchemaError(msg)
        g = feat.get("geometry")
        try:
            geom = shapely.geometry.shape(g) if g else None
        except Exception as exc:
            msg = f"edit feature #{i}: unreadable geometry ({exc})"
            raise SchemaError(msg) from exc
        out.append((action.strip().lower(), geom, props))
    return out, crs


def _edit_unit(props: dict[str, Any], known: set[str], where: str, *, required: bool) -> str | None:
    unit = props.get("unit_id")
    if unit is None or (isinstance(unit, float) and math.isnan(unit)) or unit == "":
        if required:
            msg = f"{where}: action 'assign' needs a 'unit_id' property"
            raise SchemaError(msg)
        return None
    unit = str(unit)
    if unit not in known:
        msg = f"{where}: unit_id {unit!r} is not among the plan's units"
        raise SchemaError(msg)
    return unit


def _segment_ids(props: dict[str, Any], where: str) -> list[str]:
    raw = props.get("segment_ids")
    if isinstance(raw, str):
        ids = [s.strip() for s in raw.replace(",", ";").split(";") if s.strip()]
    elif isinstance(raw, Sequence):
        ids = [str(s) for s in raw]
    else:
        ids = []
    if len(ids) < 2:
        msg = f"{where}: action 'merge' needs 'segment_ids' with at least two segment ids"
        raise SchemaError(msg)
    return ids


def _find(work: pd.DataFrame, river: str, at_m: float) -> int:
    sel = np.flatnonzero(
        (work["river_id"].to_numpy() == river)
        & (work["from_m"].to_numpy() <= at_m + EPS_M)
        & (work["to_m"].to_numpy() >= at_m - EPS_M)
    )
    if not len(sel):  # pragma: no cover - points are snapped onto the plan's segments
        msg = f"no segment of {river!r} at {at_m:,.1f} m"
        raise SchemaError(msg)
    # on a cut: the segment starting there
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
    i = _find(work, river, at_m)
    out = work.copy()
    old = str(out["unit_id"].iloc[i])
    out.at[i, "unit_id"] = unit
    lo, hi = float(out["from_m"].iloc[i]), float(out["to_m"].iloc[i])
    return out, (
        f"assign {{river}} {lo / 1000:,.1f}–{hi / 1000:,.1f} km from {old} to {unit} "
        f"({_names_of(unit, uname)}) (point {dist:,.1f} m from the river)"
    )


def _edit_merge(
    work: pd.DataFrame,
    orig: pd.DataFrame,
    ids: list[str],
    unit: str | None,
    uname: pd.Series,
    where: str,
) -> tuple[pd.DataFrame, str]:
    unknown = [s for s in ids if s not in orig.index]
    if unknown:
        msg = f"{where}: unknown segment id(s) {format_ids(unknown)}"
        raise SchemaError(msg)
    sel = orig.loc[ids].sort_values("from_m")
    rivers = sel["river_id"].unique()
    if len(rivers) > 1:
        msg = f"{where}: segments of different rivers cannot merge ({format_ids(rivers)})"
        raise SchemaError(msg)
    gaps = sel["from_m"].to_numpy()[1:] - sel["to_m"].to_numpy()[:-1]
    if (np.abs(gaps) > EPS_M).any():
        j = int(np.flatnonzero(np.abs(gaps) > EPS_M)[0])
        a, b = sel.index[j], sel.index[j + 1]
        msg = (
            f"{where}: segments {a!r} and {b!r} are not adjacent "
            f"({sel['to_m'].iloc[j]:,.1f} m to {sel['from_m'].iloc[j + 1]:,.1f} m); "
            "merge only neighbouring segments of one river"
        )
        raise SchemaError(msg)
    river = str(rivers[0])
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
    first = int(np.flatnonzero(inside)[0])
    row = work.iloc[[first]].assign(from_m=lo, to_m=hi, unit_id=unit)
    keep = work[~inside]
    out = pd.concat([keep, row], ignore_index=True).sort_values(
        ["river_id", "from_m"], kind="stable", ignore_index=True
    )
    rname = sel["name"].iloc[0] if isinstance(sel["name"].iloc[0], str) else river
    return out, (
        f"merge {', '.join(ids)} ({rname} {lo / 1000:,.1f}–{hi / 1000:,.1f} km) "
        f"to {unit} ({_names_of(unit, uname)})"
    )


def _jsonable(rec: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(rec, ensure_ascii=False, default=str))


# ==================================================================== current
def _normalise_current(
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
    """The official segmentation as (segment, river_id, from_m, to_m, unit) and problems."""
    where = "current"
    if isinstance(current, str | os.PathLike):
        p = Path(current)
        where = str(p)
        if p.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".tsv", ".txt"):
            from rivermap.io import read_table

            frame: pd.DataFrame = read_table(p)
        else:
            from rivermap.io import read_vector

            frame = read_vector(p)
    elif isinstance(current, pd.DataFrame):
        frame = current
    else:
        msg = (
            "current must be a GeoDataFrame, a DataFrame or a path to a vector file or "
            f"a CSV/XLSX table; got {type(current).__name__}"
        )
        raise TypeError(msg)
    cols = list(frame.columns)
    ucol = unit_col or next((c for c in (_UNIT_COLS[0], level, *_UNIT_COLS[1:]) if c in cols), None)
    if ucol is None or ucol not in cols:
        msg = (
            f"{where}: no responsible-unit column; expected one of "
            f"{format_ids([_UNIT_COLS[0], level, *_UNIT_COLS[1:]], limit=10)} "
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
    seg_ids = (
        frame[icol].astype(str).to_numpy(dtype=object)
        if icol
        else np.array([f"row {i + 1}" for i in range(len(frame))], dtype=object)
    )
    unit = frame[ucol].astype(object).to_numpy(dtype=object)
    unit = _nones(unit)
    unit = np.array([None if u is None else str(u).strip() for u in unit], dtype=object)
    problems: list[dict[str, Any]] = []
    has_chain = all(c in cols for c in ("river_id", "from_m", "to_m"))
    if has_chain:
        river = frame["river_id"].astype(str).to_numpy(dtype=object)
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
        dist = np.zeros(len(frame))
    elif isinstance(frame, gpd.GeoDataFrame):
        river, lo, hi, dist = _match_lines(frame, reaches, metric, where)
    else:
        msg = (
            f"{where}: give either line geometry or the columns river_id, from_m and to_m; "
            f"the columns are {format_ids(cols, limit=12)}"
        )
        raise SchemaError(msg)
    # check against the rivers
    swap = lo > hi
    lo, hi = np.where(swap, hi, lo), np.where(swap, lo, hi)
    length = pd.Series(river.astype(str)).map(river_len).to_numpy(dtype=float)
    reasons = np.full(len(frame), None, dtype=object)
    unknown = np.isnan(length)
    reasons[unknown] = "unknown river_id" if has_chain else "no river within the tolerance"
    far = ~unknown & (dist > tol)
    for i in np.flatnonzero(far):
        reasons[i] = f"{dist[i]:,.1f} m from river {river[i]!r} (tolerance {tol:g} m)"
    beyond = ~unknown & ~far & ((lo < -tol) | (hi > length + tol))
    for i in np.flatnonzero(beyond):
        reasons[i] = (
            f"{lo[i]:,.1f}–{hi[i]:,.1f} m lies beyond the river (length {length[i]:,.1f} m)"
        )
    ok = pd.isna(reasons)
    lo = np.clip(lo, 0, np.where(unknown, np.inf, length))
    hi = np.clip(hi, 0, np.where(unknown, np.inf, length))
    short = ok & (hi - lo <= EPS_M)
    reasons[short] = "zero length along the river"
    ok &= ~short
    no_unit = ok & pd.isna(unit)
    reasons[no_unit] = f"no responsible unit in column {ucol!r}"
    ok &= ~no_unit
    # lift finer units to the plan level
    known = set(units["unit_id"].astype(str))
    anc = ancestor_at(units, level)
    lifted = pd.Series(unit).map(anc).to_numpy(dtype=object)
    unit = np.where(pd.isna(lifted), unit, lifted)
    cur = pd.DataFrame(
        {
            "river_id": river.astype(str)[ok],
            "from_m": lo[ok],
            "to_m": hi[ok],
            "unit": unit[ok],
            "segment": seg_ids[ok],
        }
    )
    cur = cur.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    prev_to = cur.groupby("river_id")["to_m"].shift()
    prev_id = cur.groupby("river_id")["segment"].shift()
    overlap = (prev_to - cur["from_m"] > tol).to_numpy()
    for i in np.flatnonzero(overlap):
        problems.append(
            {
                "segment": cur.at[i, "segment"],
                "river_id": cur.at[i, "river_id"],
                "reason": f"overlaps segment {prev_id.iloc[i]!r}",
                "distance_m": 0.0,
            }
        )
    cur = cur[~overlap].reset_index(drop=True)
    # small overlaps within the tolerance: trim the later segment
    prev_to = cur.groupby("river_id")["to_m"].shift()
    cur["from_m"] = np.where(prev_to.notna() & (prev_to > cur["from_m"]), prev_to, cur["from_m"])
    cur = cur[cur["to_m"] - cur["from_m"] > EPS_M].reset_index(drop=True)
    for i in np.flatnonzero(~ok):
        problems.append(
            {
                "segment": seg_ids[i],
                "river_id": None if unknown[i] and not has_chain else river[i],
                "reason": reasons[i],
                "distance_m": float(dist[i]) if np.isfinite(dist[i]) else np.nan,
            }
        )
    strange = sorted({str(u) for u in cur["unit"] if str(u) not in known})
    for u in strange:
        segs = cur.loc[cur["unit"].astype(str) == u, "segment"].tolist()
        for s in segs:
            problems.append(
                {
                    "segment": s,
                    "river_id": cur.loc[cur["segment"] == s, "river_id"].iloc[0],
                    "reason": f"unit {u!r} is not among the units (kept as given)",
                    "distance_m": 0.0,
                }
            )
    unmatched = pd.DataFrame(problems, columns=list(_UNMATCHED_COLUMNS))
    if unmatched.empty:
        unmatched = _empty(_UNMATCHED_COLUMNS)
    else:
        unmatched["segment"] = unmatched["segment"].astype("str")
        unmatched["river_id"] = unmatched["river_id"].astype("str")
        unmatched["reason"] = unmatched["reason"].astype("str")
        unmatched["distance_m"] = unmatched["distance_m"].astype(float)
    cur["state"] = "unit"
    return cur[["river_id", "from_m", "to_m", "unit", "state", "segment"]], unmatched


def _match_lines(
    frame: gpd.GeoDataFrame, reaches: gpd.GeoDataFrame, metric: pyproj.CRS, where: str
) -> tuple[ObjArray, FloatArray, FloatArray, FloatArray]:
    """Chainage of official lines along their river: (river, from_m, to_m, distance)."""
    if frame.crs is None:
        msg = f"{where}: the lines have no CRS; set one (e.g. .set_crs('EPSG:4490'))"
        raise CRSError(msg)
    geoms = frame.geometry.to_crs(metric).to_numpy()
    types = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(types, (1, 5)) | shapely.is_empty(geoms))
    if len(bad):
        msg = f"{where}: rows {format_ids([int(b) + 1 for b in bad])} are not lines"
        raise SchemaError(msg)
    # the whole river per river_id, parts in chainage order
    r = reaches.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    rparts, rowidx = shapely.get_parts(r.geometry.to_crs(metric).to_numpy(), return_index=True)
    codes, uniq = pd.factorize(r["river_id"].astype(str), sort=True)
    whole = shapely.multilinestrings(rparts, indices=codes[rowidx])
    total = np.zeros(len(uniq))
    np.maximum.at(total, codes, r["to_m"].to_numpy(dtype=float))
    glen = shapely.length(whole)
    scale = np.where(glen > 0, total / np.where(glen > 0, glen, 1.0), 0.0)
    end = shapely.line_interpolate_point(geoms, 1.0, normalized=True)
    start = shapely.line_interpolate_point(geoms, 0.0, normalized=True)
    mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    if "river_id" in frame.columns:
        rid = frame["river_id"].astype(str).to_numpy(dtype=object)
        idx = pd.Index(uniq).get_indexer(rid)
    else:
        tree = shapely.STRtree(whole)
        pair = tree.query_nearest(mid, all_matches=False)
        idx = np.full(len(frame), -1, dtype=np.int64)
        idx[pair[0]] = pair[1]
    known = idx >= 0
    sel = np.clip(idx, 0, None)
    river = _nones(np.asarray(uniq, dtype=object)[sel], ~known)
    if "river_id" in frame.columns:
        river = np.where(known, river, frame["river_id"].astype(str).to_numpy(dtype=object))
    g = whole[sel]
    dist = np.max(
        np.column_stack(
            [shapely.distance(g, start), shapely.distance(g, mid), shapely.distance(g, end)]
        ),
        axis=1,
    )
    lo = shapely.line_locate_point(g, start) * scale[sel]
    hi = shapely.line_locate_point(g, end) * scale[sel]
    dist = np.where(known, dist, np.nan)
    return river.astype(object), lo, hi, dist


# ===================================================================== helpers
def _river_name_map(segments: pd.DataFrame, baseline: pd.DataFrame) -> dict[str, Any]:
    names = dict(zip(segments["river_id"].astype(str), segments["name"], strict=True))
    for rid in baseline["river_id"].astype(str).unique():
        names.setdefault(rid, None)
    return names


def _names_of(units: Any, uname: pd.Series | Mapping[str, Any]) -> str:
    if not isinstance(units, str):
        return ""
    if units == _UNASSIGNED:
        return f"{term('plan.unassigned', 'zh')} {term('plan.unassigned', 'en')}"
    return ";".join(str(uname.get(u, u)) for u in units.split(";"))


def _names_each(units: pd.Series, uname: pd.Series) -> list[str]:
    """:func:`_names_of` of every value, worked out once per distinct value."""
    codes, uniq = pd.factorize(pd.Series(units.to_numpy(dtype=object), dtype=object))
    lookup = dict(zip(uname.index, uname.to_numpy(dtype=object), strict=False))
    if len(lookup) != len(uname):  # repeated unit ids: keep Series.get's answer
        lookup = {u: uname.get(u, u) for u in uname.index.unique()}
    names = np.array([_names_of(u, lookup) for u in uniq] + [""], dtype=object)
    return names[codes].tolist()


def _nones(values: Any, mask: Any = None) -> ObjArray:
    """An object array with None where ``mask`` (default: where the value is missing)."""
    out = np.asarray(values, dtype=object).copy()
    out[pd.isna(out) if mask is None else np.asarray(mask, dtype=bool)] = None
    return out


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c.endswith("_m") else "str") for c in columns})
