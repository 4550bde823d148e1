"""What the atlas reads from a Responsibility: its tables in a metric CRS, and every lookup.

:class:`AtlasData` projects the units, reaches and plan segments into the
drawing CRS once and answers the questions the pages ask: which unit is on
each side of a reach at a level, which reaches belong to a unit, what colour
key a reach takes, what the table cells say. Names are kept in full for the
tables (which cut them to their cells); what is drawn elsewhere is cut by
:func:`rivermap.text.clip_label` (:meth:`AtlasData.unit_label`,
:meth:`AtlasData.river_label`), so that a name of 10,000 characters is drawn
as fast as a short one, and without directional overrides, which would turn
the rest of its line around (a PDF line is laid out as a whole).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap.errors import CRSError, require_columns
from rivermap.maps import _style
from rivermap.maps._atlas_text import all_labels
from rivermap.params import check_level
from rivermap.text import (
    chief_title,
    clip_label,
    is_missing,
    level_label,
    term,
    text_or,
    texts,
)

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

#: Colour key of a reach whose two banks belong to different units.
BOUNDARY = "<boundary>"
#: Colour key of a reach outside every unit.
OUTSIDE = "<outside>"
#: Overview colour key of a reach with no chief level (or outside every unit).
NO_CHIEF = "<none>"
# A plan segment counts as in a unit when at least this many metres of it are.
_PLAN_INSIDE_M = 1.0


class AtlasData:
    """The responsibility tables in a metric CRS, with every lookup the pages need.

    ``by`` is the level with a page per unit; reaches are coloured by the level
    below it (``by`` itself at the finest level), or by ``colour_level``.
    """

    def __init__(
        self,
        resp: Responsibility,
        *,
        by: str,
        lang: str,
        plan: Any,
        chiefs: Any,
        colour_level: str | None = None,
    ) -> None:
        self.lang = lang
        self.levels: tuple[str, ...] = tuple(resp.levels)
        self.by = check_level(by, self.levels, name="by")
        self.sub = _level_below(self.levels, by) if colour_level is None else colour_level
        if resp.crs is None:
            msg = "the responsibility result has no CRS; assign rivers and units that have one"
            raise CRSError(msg)
        self.crs = _drawing_crs(resp)
        self.summary = resp.summary
        self.units = _units_by_id(resp.units, self.crs)
        self._units_at: dict[str, gpd.GeoDataFrame] = {}
        self.names = {
            uid: text_or(name, uid)
            for uid, name in zip(self.units.index, self.units["name"], strict=True)
        }
        self.anc = _ancestors(self.units, self.levels)
        self.reaches = resp.reaches.to_crs(self.crs).reset_index(drop=True)
        self.reach_geoms: np.ndarray = self.reaches.geometry.to_numpy()
        self.sides = self._sides()
        self._read_rivers(resp.rivers)
        self.reach_river = self.reaches["river_id"].astype(str).to_numpy()
        self.reach_names = np.array(
            [self.river_names.get(r, r) for r in self.reach_river], dtype=object
        )
        self.has_flags = callable(getattr(resp, "flags", None))
        self.flags = _river_flags(resp, by)
        self.chiefs = ChiefLookup.build(resp, self.reaches, chiefs, self.sub)
        self.plan = _plan_segments(plan, self.crs)
        self.plan_level = None if plan is None else str(getattr(plan, "level", ""))
        self._tree: shapely.STRtree | None = None

    def _read_rivers(self, rivers: pd.DataFrame) -> None:
        """Each river's chief level and display name; the set of unnamed rivers."""
        ids = rivers["river_id"].astype(str)
        self.chief_level = dict(zip(ids, rivers["chief_level"], strict=True))
        self.river_names = {
            rid: text_or(name, term("atlas.unnamed", self.lang, id=rid))
            for rid, name in zip(ids, rivers["name"], strict=True)
        }
        self.unnamed = {
            rid for rid, name in zip(ids, rivers["name"], strict=True) if is_missing(name)
        }

    def _sides(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per level, the unit on each side of every reach (the same twice unless they differ)."""
        left = self.reaches["left_unit"].astype(object)
        right = self.reaches["right_unit"].astype(object)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for lv in self.levels:
            col = self.reaches[lv].astype(object)
            has = col.notna()
            a = np.array(col.where(has, left.map(self.anc[lv])), dtype=object)
            b = np.array(col.where(has, right.map(self.anc[lv])), dtype=object)
            # one side known only (outer border): both sides are that unit
            a_none = pd.isna(a)
            b_none = pd.isna(b)
            a[a_none] = b[a_none]
            b[b_none] = a[b_none]
            out[lv] = (a, b)
        return out

    # ------------------------------------------------------------------ units
    def units_at(self, level: str) -> gpd.GeoDataFrame:
        """Return the units of ``level`` (computed once per level; do not modify)."""
        if level not in self._units_at:
            self._units_at[level] = self.units[self.units["level"] == level]
        return self._units_at[level]

    def unit_name(self, uid: str) -> str:
        """Return the unit's name in full (tables cut it to their cells)."""
        return self.names.get(uid, uid)

    def unit_label(self, uid: str) -> str:
        """Return the unit's name as maps, legends and headings draw it (see :func:`clip_label`)."""
        return clip_label(self.unit_name(uid))

    def river_label(self, rid: str) -> str:
        """Return the river's name as a map draws it (see :func:`clip_label`)."""
        return clip_label(self.river_names.get(rid, rid))

    def parts_of(self, unit: str) -> gpd.GeoDataFrame:
        """Return the units at the colour level inside ``unit`` (itself at the finest level)."""
        if self.sub == self.by:
            return self.units_at(self.by).loc[[unit]]
        anc = self.anc[self.by]
        subs = self.units_at(self.sub)
        return subs[[anc.get(str(u)) == unit for u in subs.index]]

    def colour_of_units(self, units: gpd.GeoDataFrame) -> dict[str, str]:
        if len(units) == 0:
            return {}
        colours = _style.colour_units(units.reset_index(drop=True))
        return {str(k): str(v) for k, v in colours.items()}

    def extent(self) -> tuple[float, float, float, float]:
        geoms = self.units.geometry.to_numpy()
        if len(geoms) == 0:
            geoms = self.reach_geoms
        b = shapely.total_bounds(geoms)
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])

    # ---------------------------------------------------------------- reaches
    def members(self, level: str) -> dict[str, np.ndarray]:
        """Reach positions per unit of ``level`` (a boundary reach belongs to both sides)."""
        a, b = self.sides[level]
        idx = np.arange(len(a))
        frame = pd.DataFrame(
            {"unit": np.concatenate([a, b]), "reach": np.concatenate([idx, idx])}
        ).dropna()
        frame = frame.drop_duplicates()
        return {
            str(u): np.sort(g["reach"].to_numpy(dtype=np.int64))
            for u, g in frame.groupby("unit", sort=True)
        }

    def colour_keys(self, level: str, rows: np.ndarray) -> np.ndarray:
        """Return the reaches' colour keys at ``level``: unit, :data:`BOUNDARY`, :data:`OUTSIDE`."""
        a, b = self.sides[level]
        a = a[rows]
        b = b[rows]
        out = np.where(pd.isna(a), OUTSIDE, a).astype(object)
        differ = ~pd.isna(a) & ~pd.isna(b) & (a != b)
        out[differ] = BOUNDARY
        return out

    def chief_keys(self) -> np.ndarray:
        """Every reach's overview colour key: its river's chief level, or :data:`NO_CHIEF`."""
        chief = pd.Series(self.reach_river).map(self.chief_level).astype(object)
        outside = self.reaches["kind"].astype(str).to_numpy() == "outside"
        key = np.where(chief.notna().to_numpy() & ~outside, chief.to_numpy(), NO_CHIEF)
        return key.astype(object)

    def cell_unit(self, level: str, row: int) -> str:
        """Table cell: the unit of reach ``row`` at ``level``, both banks' when they differ."""
        a, b = self.sides[level]
        ua, ub = a[row], b[row]
        if pd.isna(ua):
            return "—"
        if ua == ub:
            return self.unit_name(ua)
        # both banks stay readable when a name is long: each is cut on its own
        return f"{self.unit_label(ua)} / {self.unit_label(ub)}"

    @property
    def reach_tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.reach_geoms)
        return self._tree

    # ------------------------------------------------------------------- plan
    def plan_segments_in(self, unit: str) -> np.ndarray:
        """Positions of the plan segments that run through ``unit`` (none without a plan)."""
        if self.plan is None or unit not in self.units.index:
            return np.empty(0, dtype=np.int64)
        poly = self.units.geometry[unit]
        geoms = self.plan.geometry.to_numpy()
        hit = np.flatnonzero(shapely.intersects(geoms, poly))
        if len(hit) == 0:
            return hit
        inside = shapely.length(shapely.intersection(geoms[hit], poly))
        return hit[inside > _PLAN_INSIDE_M]

    # ------------------------------------------------------------------- font
    def texts(self) -> list[str]:
        """Every string from the data that may be drawn (for the font subset)."""
        out: list[str] = list(self.names.values())
        out += list(self.river_names.values())
        out += all_labels()
        out += [level_label(lv, self.lang) for lv in self.levels]
        out += [chief_title(lv, self.lang) for lv in self.levels]
        out += self.chiefs.texts()
        for reasons in self.flags.values():
            out.extend(reasons)
        if self.plan is not None:
            out += self.plan["segment_id"].astype(str).tolist()
            out += self.plan["unit_name"].astype(str).tolist()
        return out


# ==================================================================== loading
def _level_below(levels: Sequence[str], level: str) -> str:
    """Return the next finer level, or ``level`` itself when it is the finest."""
    i = levels.index(level)
    return levels[i + 1] if i + 1 < len(levels) else level


def _drawing_crs(resp: Responsibility) -> pyproj.CRS:
    """Return a projected CRS in metres to draw in: the one :func:`rivermap.assign` measured in.

    That is the data's own CRS when it is a true metric one (not web Mercator),
    else a Gauss-Krüger or UTM zone (see :func:`rivermap.crs.metric_crs`).
    """
    metric = resp.summary.get("metric_crs")
    if metric:
        return pyproj.CRS.from_user_input(metric)
    from rivermap.crs import metric_crs

    return metric_crs(resp.units)


def _units_by_id(units: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Return the units in ``crs``, indexed by their ``unit_id`` as text (kept as a column too)."""
    units = units.to_crs(crs)
    units["unit_id"] = units["unit_id"].astype(str)
    return units.set_index("unit_id", drop=False)


def _ancestors(units: gpd.GeoDataFrame, levels: Sequence[str]) -> dict[str, dict[str, str]]:
    """For each level, ``unit_id -> the unit's ancestor (or itself) at that level``."""
    ids = units["unit_id"].astype(str)
    parent = pd.Series(units["parent_id"].astype(object).to_numpy(), index=ids.to_numpy())
    parent = parent.where(parent.notna(), None).map(lambda v: None if v is None else str(v))
    level_of = pd.Series(units["level"].astype(str).to_numpy(), index=ids.to_numpy())
    out: dict[str, dict[str, str]] = {}
    for i, lv in enumerate(levels):
        own = level_of.index[level_of == lv]
        anc = pd.Series(own, index=own, dtype=object)
        for deeper in levels[i + 1 :]:
            below = level_of.index[level_of == deeper]
            anc = pd.concat([anc, parent[below].map(anc).dropna()])
        out[lv] = {str(k): str(v) for k, v in anc.items()}
    return out


def _river_flags(resp: Responsibility, level: str) -> dict[str, list[str]]:
    """``river_id -> flag reasons at level`` from ``resp.flags`` (empty when unavailable)."""
    method = getattr(resp, "flags", None)
    if not callable(method):
        return {}
    table = method(level=level)
    if table is None or len(table) == 0 or "reasons" not in table.columns:
        return {}
    if "level" in table.columns:
        table = table[table["level"].astype(str) == level]
    out: dict[str, list[str]] = {}
    for rid, reasons in zip(table["river_id"].astype(str), table["reasons"], strict=True):
        if not is_missing(reasons):
            items = [r.strip() for r in str(reasons).split(",") if r.strip()]
            out.setdefault(rid, [])
            out[rid] += [r for r in items if r not in out[rid]]
    return out


@dataclass
class ChiefLookup:
    """The chief of every reach at one level, as :meth:`Responsibility.with_chiefs` names them."""

    column: np.ndarray | None = None

    @property
    def enabled(self) -> bool:
        return self.column is not None

    @classmethod
    def build(
        cls,
        resp: Responsibility,
        reaches: gpd.GeoDataFrame,
        chiefs: Any,
        level: str,
    ) -> ChiefLookup:
        col = f"chief_{level}"
        if chiefs is None and col not in reaches.columns:
            chiefs = resp.roster
        if chiefs is not None:
            named = resp.with_chiefs(chiefs).reaches
            by_reach = dict(zip(named["reach_id"].astype(str), named[col], strict=True))
            values = reaches["reach_id"].astype(str).map(by_reach)
        elif col in reaches.columns:
            values = reaches[col]
        else:
            return cls()
        return cls(column=np.array([_people(v) for v in values], dtype=object))

    def texts(self) -> list[str]:
        return [] if self.column is None else [str(v) for v in self.column]

    def cell(self, row: int) -> str:
        assert self.column is not None
        return str(self.column[row])


def _people(value: Any) -> str:
    """Return a chief cell: ``"A;B"`` (both banks) shown as ``"A / B"``, nobody as a dash."""
    people = text_or(value, "")
    return " / ".join(part.strip() or "—" for part in people.split(";"))


def _plan_segments(plan: Any, crs: pyproj.CRS) -> gpd.GeoDataFrame | None:
    """Return the plan's segments in ``crs``, checked, with text ids and a ``unit_name`` column."""
    if plan is None:
        return None
    segments = getattr(plan, "segments", None)
    if not isinstance(segments, gpd.GeoDataFrame):
        msg = "plan: expected a rivermap Plan (an object with a `segments` GeoDataFrame)"
        raise TypeError(msg)
    need = ("segment_id", "river_id", "from_m", "to_m", "length_m", "unit_id")
    require_columns(segments.columns, need, "plan.segments")
    if segments.crs is None:
        msg = "plan.segments has no CRS"
        raise CRSError(msg)
    seg = segments.to_crs(crs).reset_index(drop=True)
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["river_id"] = seg["river_id"].astype(str)
    seg["unit_id"] = texts(seg["unit_id"])
    seg["unit_name"] = texts(seg["unit_name"], "") if "unit_name" in seg.columns else ""
    return seg
