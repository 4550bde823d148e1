"""Route every report (hotline ticket, patrol finding, signboard scan) to its reach and chief.

:func:`route_events` answers, for each report, *which reach is this about, and
which chief must act on it*. A report finds its reach in one of three ways,
tried in this order:

1. **A signboard code** (``board_hint``, the QR code on a 公示牌:
   ``UNIT:RIVER``) names a river and a unit: the candidates are that river's
   reaches held by the unit (at its level, or on one bank). ``match`` is
   ``qr``.
2. **A reach or river given with the report** (``reach_hint``: a
   ``reach_id``; ``river_hint``: a ``river_id`` or a river name): the
   candidates are that reach, or the river's reaches. ``match`` is
   ``declared``.
3. **The location alone**: every reach within ``max_dist_m`` of the point is
   a candidate. ``match`` is ``spatial``.

A hint that names nothing known is ignored with a warning (the location
decides). Among the candidates the nearest reach wins; with a hint but no
location, a single candidate reach wins, and several leave the report on the
river as a whole, with the units all candidates share.

Where the report lies
---------------------
Points and reaches are projected to the responsibility's metric CRS. Distances
there are divided by the projection's local scale factor at the point
(:meth:`pyproj.Proj.get_factors`), so ``max_dist_m`` means metres on the
ground even when one projection spans all of China. The point's position along
the reach gives ``chainage_m`` (the reach's ``from_m`` plus its share of
``length_m``), its distance ``offset_m``, and the sign of the cross product of
the reach's direction and the offset gives the bank (``side``: ``left`` or
``right``, facing downstream along the river's chainage).

Who must act
------------
The report takes the reach's unit at every level. On a boundary reach (界河)
shared by bank (``responsible`` is ``"LEFT;RIGHT"``), the bank the report lies
on decides the unit at the boundary level and the responsible unit. The
``chief`` who must act is the chief of the responsible unit (``chief_level``
is its level), when the responsibility has a roster.

``match`` is ``unmatched`` when nobody can be named, with a ``reason``:
``no_location`` (no point and no usable hint), ``too_far`` (no reach within
``max_dist_m``), ``outside`` (the nearest reach lies outside every unit) or
``no_chief`` (the roster names no chief for the responsible unit). The reach
found is kept, so that a planner sees where the report was.

A report is ``ambiguous`` when a reach held by another unit lies within
``ambiguous_m`` of its distance to the nearest reach: near a boundary or a
confluence. ``candidates`` lists those reaches, so that a planner sees them
rather than a silent guess. Reports of one category within ``duplicate_m`` and
``duplicate_hours`` of an earlier one are marked ``duplicate_of`` it.

Everything is vectorised: candidates come from one :class:`shapely.STRtree`
query for all points, and every step after it works on arrays of
(report, reach) pairs.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap.crs import check_crs, metric_crs
from rivermap.errors import RivermapWarning, SchemaError, format_ids
from rivermap.events import read_events, split_board
from rivermap.params import (
    AMBIGUOUS_M,
    DUPLICATE_H,
    DUPLICATE_M,
    MAX_DIST_M,
    check_length,
    check_number,
)
from rivermap.runs import (
    ancestor_at,
    first_per,
    join_groups,
    lowest_common_ancestor,
    unit_table,
)
from rivermap.text import is_missing

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = [
    "MATCHES",
    "REASONS",
    "ROUTE_COLUMNS",
    "metric_crs_of",
    "metric_points",
    "route_events",
    "write_events",
]

#: How a report found its reach.
MATCHES: tuple[str, ...] = ("qr", "declared", "spatial", "unmatched")
#: Why a report is unmatched.
REASONS: tuple[str, ...] = ("no_location", "too_far", "outside", "no_chief")
#: Columns :func:`route_events` adds (per level, the unit and, with a roster,
#: ``chief_<level>`` and ``chief_<level>_phone`` follow ``kind``).
ROUTE_COLUMNS: tuple[str, ...] = (
    "reach_id",
    "river_id",
    "river",
    "chainage_m",
    "offset_m",
    "side",
    "kind",
    "responsible",
    "responsible_name",
    "chief",
    "chief_level",
    "chief_phone",
    "match",
    "reason",
    "ambiguous",
    "candidates",
    "duplicate_of",
)
_VIA_SPATIAL, _VIA_DECLARED, _VIA_QR = 0, 1, 2
_RANK_REACH = 1  # the rank of a reach_hint among the hints (board 0, reach 1, river 2)
_VIA_NAMES = np.array(["spatial", "declared", "qr"], dtype=object)


def route_events(
    resp: Responsibility,
    events: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    max_dist_m: float = MAX_DIST_M,
    ambiguous_m: float = AMBIGUOUS_M,
    duplicate_m: float = DUPLICATE_M,
    duplicate_hours: float = DUPLICATE_H,
) -> gpd.GeoDataFrame:
    """Route every report to its reach, units and chief (see the module docstring).

    Parameters
    ----------
    resp
        The responsibility (with its roster, for the chiefs).
    events
        Reports as from :func:`rivermap.read_events` (not modified), or a path
        it reads. Routing a routed table again routes it afresh.
    max_dist_m
        How far from the nearest reach a report may lie and be routed by its
        location alone.
    ambiguous_m
        A reach of another unit within this many metres of the nearest
        reach's distance makes the report ``ambiguous``.
    duplicate_m, duplicate_hours
        Reports of one category this close in space and time are possible
        duplicates of the earliest.

    Returns
    -------
    GeoDataFrame
        The reports, in their order and CRS (a column of theirs named like
        one routing adds is kept as ``<name>_input``), with the columns of
        :data:`ROUTE_COLUMNS` added after theirs: ``reach_id``, ``river_id``,
        ``river`` (name), ``chainage_m``, ``offset_m``, ``side``, ``kind``,
        the unit at every level (a column per level), with a roster
        ``chief_<level>`` and ``chief_<level>_phone``, then ``responsible``,
        ``responsible_name``, ``chief``, ``chief_level``, ``chief_phone``,
        ``match``, ``reason``, ``ambiguous``, ``candidates`` and
        ``duplicate_of``.

    Raises
    ------
    SchemaError
        ``events`` has no ``event_id`` column.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely import Point
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> events = gpd.GeoDataFrame(
    ...     {"event_id": ["a", "b"], "reported_at": pd.to_datetime(["2026-11-02", "2026-11-03"])},
    ...     geometry=[Point(120.1429, 30.2970), Point(121.5, 28.0)], crs=4326)
    >>> routed = route_events(resp, events)
    >>> routed[["event_id", "reach_id", "district", "match", "reason"]]
      event_id     reach_id district      match   reason
    0        a  京杭运河(江南运河)#2   330105    spatial      NaN
    1        b          NaN      NaN  unmatched  too_far
    """
    limits = _Limits(
        check_length("max_dist_m", max_dist_m),
        check_length("ambiguous_m", ambiguous_m),
        check_length("duplicate_m", duplicate_m),
        check_number("duplicate_hours", duplicate_hours),
    )
    ev = _events_frame(events, resp.levels)
    net = _network(resp)
    points, scale = _event_points(ev, net.crs)
    pairs = _candidates(ev, points, scale, net, limits.max_dist_m)
    chosen, close = _choose(pairs, len(ev), limits.ambiguous_m)
    placed = _place(points, chosen, net)
    out = _assemble(ev, chosen, placed, net)
    _river_level(out, ev, pairs, chosen, net)
    _ambiguity(out, close, points, net)
    _match_and_reason(out, ev, points, chosen, resp.roster is not None)
    out["duplicate_of"] = _duplicates(ev, points, scale, limits)
    tail = ["match", "reason", "ambiguous", "candidates", "duplicate_of"]
    out = out[[c for c in out.columns if c not in tail] + tail]
    out.attrs.update(ev.attrs)
    out.attrs["levels"] = tuple(resp.levels)
    return out


@dataclass(frozen=True)
class _Limits:
    """The distances and times of one routing run."""

    max_dist_m: float
    ambiguous_m: float
    duplicate_m: float
    duplicate_hours: float


@dataclass(frozen=True)
class _Network:
    """The reaches as routing sees them: metric lines, a tree, and their tables."""

    crs: pyproj.CRS
    reaches: pd.DataFrame  # without geometry, positional index
    geoms: np.ndarray  # metric LineStrings
    lengths: np.ndarray  # their metric lengths
    tree: shapely.STRtree
    levels: tuple[str, ...]
    chief_levels: tuple[str, ...]  # levels with chief columns
    units: pd.DataFrame  # unit_id, name, level, parent_id
    ancestors: dict[str, pd.Series]  # level -> (unit_id -> its ancestor at that level)
    unit_level: dict[str, str]
    unit_name: dict[str, str]
    river_names: pd.DataFrame  # key (river_id or name) -> river_id
    river_chief_unit: dict[str, str | None]


def _events_frame(events: Any, levels: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Return the reports to route: read from a path, copied, without earlier routing."""
    if isinstance(events, str | os.PathLike):
        events = read_events(events)
    if not isinstance(events, gpd.GeoDataFrame):
        msg = (
            "route_events: events must be a GeoDataFrame as from rivermap.read_events "
            f"(or a path), got {type(events).__name__}"
        )
        raise TypeError(msg)
    if "event_id" not in events.columns:
        msg = (
            "route_events: the events have no event_id column; read them with "
            f"rivermap.read_events (columns are {format_ids(list(events.columns), limit=12)})"
        )
        raise SchemaError(msg)
    check_crs(events, "events")
    routed = [*ROUTE_COLUMNS, *levels]
    routed += [c for c in events.columns if str(c).startswith("chief_")]
    clash = [c for c in routed if c in events.columns]
    if "match" in events.columns:  # routed before: routed afresh
        return events.drop(columns=clash).reset_index(drop=True)
    # As read, every column is the user's: one named like a routed column is kept renamed.
    return events.rename(columns={c: f"{c}_input" for c in clash}).reset_index(drop=True)


def _network(resp: Responsibility) -> _Network:
    """Project the reaches to the responsibility's metric CRS and index them."""
    reaches = resp.reaches.reset_index(drop=True)
    crs = metric_crs_of(resp)
    geoms = np.asarray(reaches.geometry.to_crs(crs).to_numpy(), dtype=object)
    units, levels = unit_table(resp)
    rivers = resp.rivers
    names = pd.concat(
        [
            pd.DataFrame({"key": rivers["river_id"], "river_id": rivers["river_id"]}),
            pd.DataFrame({"key": rivers["name"], "river_id": rivers["river_id"]}),
        ]
    ).astype("str")
    names = names[~is_missing(names["key"].to_numpy(dtype=object))].drop_duplicates()
    chief_levels = tuple(lv for lv in levels if f"chief_{lv}" in reaches.columns)
    return _Network(
        crs=crs,
        reaches=pd.DataFrame(reaches.drop(columns=reaches.geometry.name)),
        geoms=geoms,
        lengths=shapely.length(geoms),
        tree=shapely.STRtree(geoms),
        levels=levels,
        chief_levels=chief_levels,
        units=units,
        ancestors={level: ancestor_at(units, level) for level in levels},
        unit_level=dict(zip(units["unit_id"], units["level"], strict=True)),
        unit_name=dict(zip(units["unit_id"], units["name"], strict=True)),
        river_names=names,
        river_chief_unit=dict(
            zip(
                rivers["river_id"].astype("str"),
                rivers["chief_unit"].astype(object).where(rivers["chief_unit"].notna(), None),
                strict=True,
            )
        ),
    )


def metric_crs_of(resp: Responsibility) -> pyproj.CRS:
    """Return the metric CRS assign used, or one chosen for the reaches."""
    stored = (resp.summary or {}).get("metric_crs")
    return pyproj.CRS.from_user_input(stored) if stored else metric_crs(resp.reaches)


def _event_points(ev: gpd.GeoDataFrame, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Return the reports' points in ``crs`` (None where missing) and the local scale there."""
    geoms = np.asarray(ev.geometry.to_numpy(), dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any() and not (shapely.get_type_id(geoms[ok]) == 0).all():
        geoms = geoms.copy()
        geoms[ok] = shapely.point_on_surface(geoms[ok])
    return metric_points(geoms, ev.crs, crs)


def metric_points(geoms: np.ndarray, src: Any, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Return points projected from ``src`` to ``crs``, and the projection's scale at each.

    Missing or empty points stay None (scale 1). Dividing a distance measured
    in ``crs`` near a point by its scale gives metres on the ground, so one
    projection serves data as wide as China.
    """
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points = np.full(len(geoms), None, dtype=object)
    scale = np.ones(len(geoms))
    if not ok.any():
        return points, scale
    lonlat = gpd.GeoSeries(geoms[ok], crs=src).to_crs(4326)
    points[ok] = gpd.GeoSeries(lonlat.to_numpy(), crs=4326).to_crs(crs).to_numpy()
    if crs.is_projected:
        xy = shapely.get_coordinates(lonlat.to_numpy())
        factors = pyproj.Proj(crs).get_factors(xy[:, 0], xy[:, 1])
        k = (np.asarray(factors.meridional_scale) + np.asarray(factors.parallel_scale)) / 2
        scale[ok] = np.where(np.isfinite(k) & (k > 0), k, 1.0)
    return points, scale


# ================================================================ candidates
def _candidates(
    ev: gpd.GeoDataFrame,
    points: np.ndarray,
    scale: np.ndarray,
    net: _Network,
    max_dist_m: float,
) -> pd.DataFrame:
    """Return (event, reach, distance, via) pairs: hinted reaches, else reaches near the point.

    A report with a usable hint keeps only its hinted pairs (a board code
    before a reach or river); the others keep the reaches within
    ``max_dist_m`` of their point. ``dist`` is NaN for a report without a point.
    """
    hinted = _hint_pairs(ev, net)
    has_hint = np.zeros(len(ev), dtype=bool)
    has_hint[hinted["event"].to_numpy()] = True
    located = np.flatnonzero(~pd.isna(points) & ~has_hint)
    ev_i, re_j = net.tree.query(
        points[located], predicate="dwithin", distance=max_dist_m * scale[located].max(initial=1)
    )
    spatial = pd.DataFrame(
        {"event": located[ev_i], "reach": re_j.astype(np.int64), "via": _VIA_SPATIAL, "rank": 3}
    )
    pairs = pd.concat([hinted, spatial], ignore_index=True)
    e, r = pairs["event"].to_numpy(), pairs["reach"].to_numpy()
    pts = points[e]
    dist = np.full(len(pairs), np.nan)
    has_point = ~pd.isna(pts)
    dist[has_point] = (
        shapely.distance(pts[has_point], net.geoms[r[has_point]]) / scale[e][has_point]
    )
    pairs["dist"] = dist
    return pairs[~((pairs["via"] == _VIA_SPATIAL) & (pairs["dist"] > max_dist_m))]


def _hint_pairs(ev: gpd.GeoDataFrame, net: _Network) -> pd.DataFrame:
    """Return (event, reach, via) for the reaches the reports' hints name, best hint only."""
    parts = [_board_pairs(ev, net), _reach_pairs(ev, net), _river_pairs(ev, net)]
    pairs = pd.concat(parts, ignore_index=True)
    # One kind of hint per report: the first that named something (board, reach, river).
    rank = pairs.groupby("event")["rank"].transform("min")
    pairs = pairs[pairs["rank"] == rank]
    return pairs.drop_duplicates(["event", "reach"]).reset_index(drop=True)


def _hint_column(ev: gpd.GeoDataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions and texts of the reports whose ``column`` holds a hint."""
    if column not in ev.columns:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    values = ev[column].to_numpy(dtype=object)
    at = np.flatnonzero(~is_missing(values))
    return at, pd.Series(values[at], dtype=object).astype("str").str.strip().to_numpy(dtype=object)


def _warn_unknown(column: str, texts: np.ndarray, known: np.ndarray) -> None:
    """Warn that some hints name nothing known (they are ignored; the location decides)."""
    if (~known).any():
        bad = sorted(set(texts[~known].tolist()))
        warnings.warn(
            f"route_events: {int((~known).sum())} report(s) give a {column} that names no "
            f"{'reach' if column == 'reach_hint' else 'river'} of the responsibility: "
            f"{format_ids(bad)}; their location decides",
            RivermapWarning,
            stacklevel=4,
        )


def _reach_pairs(ev: gpd.GeoDataFrame, net: _Network) -> pd.DataFrame:
    """Return the pairs of ``reach_hint``: the reach itself."""
    at, texts = _hint_column(ev, "reach_hint")
    pos = pd.Index(net.reaches["reach_id"].astype("str")).get_indexer(pd.Index(texts))
    _warn_unknown("reach_hint", texts, pos >= 0)
    ok = pos >= 0
    return pd.DataFrame({"event": at[ok], "reach": pos[ok], "via": _VIA_DECLARED, "rank": 1})


def _river_pairs(ev: gpd.GeoDataFrame, net: _Network) -> pd.DataFrame:
    """Return the pairs of ``river_hint`` (an id or a name): every reach of those rivers."""
    at, texts = _hint_column(ev, "river_hint")
    hints = pd.DataFrame({"event": at, "key": texts.astype("str")})
    rivers = hints.merge(net.river_names, on="key", how="inner")
    _warn_unknown("river_hint", texts, np.isin(at, rivers["event"].to_numpy()))
    return _reaches_of(rivers[["event", "river_id"]], net).assign(via=_VIA_DECLARED, rank=2)


def _board_pairs(ev: gpd.GeoDataFrame, net: _Network) -> pd.DataFrame:
    """Return the pairs of ``board_hint``: the board's river, where its unit holds it."""
    at, texts = _hint_column(ev, "board_hint")
    boards = split_board(pd.Series(texts, dtype=object)).astype(object)
    boards["event"] = at
    boards = boards.dropna(subset=["river_id"])
    boards["river_id"] = boards["river_id"].astype("str")
    boards = boards[boards["river_id"].isin(net.river_chief_unit)]
    _warn_unknown("board_hint", texts, np.isin(at, boards["event"].to_numpy()))
    pairs = _reaches_of(boards[["event", "river_id"]], net)
    held = _held_by(net)
    pairs = pairs.merge(boards[["event", "unit_id"]], on="event")
    inside = pairs.merge(held, on=["reach", "unit_id"], how="inner")[["event", "reach"]]
    # A board whose unit holds none of its river's reaches stands for the whole river.
    whole = pairs[~pairs["event"].isin(inside["event"])][["event", "reach"]]
    return pd.concat([inside, whole], ignore_index=True).assign(via=_VIA_QR, rank=0)


def _reaches_of(rivers: pd.DataFrame, net: _Network) -> pd.DataFrame:
    """Return (event, reach) for every reach of each report's ``river_id``."""
    reach_river = pd.DataFrame(
        {"river_id": net.reaches["river_id"].astype("str"), "reach": np.arange(len(net.reaches))}
    )
    return rivers.merge(reach_river, on="river_id", how="inner")[["event", "reach"]]


def _held_by(net: _Network) -> pd.DataFrame:
    """Return (reach, unit_id) for every unit that holds a reach at some level or bank."""
    cols = [*net.levels, "left_unit", "right_unit"]
    frames = [
        pd.DataFrame({"reach": np.arange(len(net.reaches)), "unit_id": net.reaches[c]})
        for c in cols
        if c in net.reaches.columns
    ]
    held = pd.concat(frames, ignore_index=True).dropna()
    return held.astype({"unit_id": "str"}).drop_duplicates()


# ===================================================================== choice
def _choose(pairs: pd.DataFrame, n: int, ambiguous_m: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the chosen pair per report (``reach`` -1 where none) and the close pairs.

    The nearest candidate wins (ties: the reach listed first). A report with a
    hint but no point is chosen only when it has one candidate. Close pairs
    are those within ``ambiguous_m`` of the chosen distance, chosen included.
    """
    order = np.lexsort((pairs["reach"].to_numpy(), pairs["dist"].to_numpy(), pairs["event"]))
    pairs = pairs.iloc[order].reset_index(drop=True)
    e = pairs["event"].to_numpy()
    counts = np.bincount(e, minlength=n)
    first = first_per(e, n)
    pick = first >= 0
    no_point = pick.copy()
    no_point[pick] = np.isnan(pairs["dist"].to_numpy()[first[pick]])
    # Without a point, only a reach given by id is chosen; a river or board stands whole.
    by_reach = pick.copy()
    by_reach[pick] = pairs["rank"].to_numpy()[first[pick]] == _RANK_REACH
    pick &= ~no_point | (by_reach & (counts == 1))
    chosen = pd.DataFrame({"reach": -1, "dist": np.nan, "via": -1}, index=pd.RangeIndex(n))
    at = np.flatnonzero(pick)
    chosen.loc[at, "reach"] = pairs["reach"].to_numpy()[first[at]]
    chosen.loc[at, "dist"] = pairs["dist"].to_numpy()[first[at]]
    chosen["via"] = -1
    has = first >= 0
    chosen.loc[has, "via"] = pairs["via"].to_numpy()[first[has]]
    best = chosen["dist"].to_numpy()[e]
    close = pairs[pairs["dist"].to_numpy() <= best + ambiguous_m]
    return chosen, close


def _locate(points: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each point's distance along its line and its side (+1 left, -1 right, 0 on it)."""
    along = shapely.line_locate_point(geoms, points)
    total = shapely.length(geoms)
    step = np.minimum(1.0, total / 2)
    a = shapely.get_coordinates(shapely.line_interpolate_point(geoms, np.maximum(along - step, 0)))
    b = shapely.get_coordinates(
        shapely.line_interpolate_point(geoms, np.minimum(along + step, total))
    )
    foot = shapely.get_coordinates(shapely.line_interpolate_point(geoms, along))
    p = shapely.get_coordinates(points)
    cross = (b[:, 0] - a[:, 0]) * (p[:, 1] - foot[:, 1]) - (b[:, 1] - a[:, 1]) * (
        p[:, 0] - foot[:, 0]
    )
    return along, np.sign(cross)


def _sides(sign: np.ndarray) -> np.ndarray:
    """Return ``"left"`` for +1, ``"right"`` for -1 and None for 0."""
    out = np.full(len(sign), None, dtype=object)
    out[sign > 0] = "left"
    out[sign < 0] = "right"
    return out


@dataclass(frozen=True)
class _Placed:
    """Where each chosen report lies on its reach (NaN where unplaced)."""

    chainage_m: np.ndarray
    side: np.ndarray  # object: "left", "right" or None


def _place(points: np.ndarray, chosen: pd.DataFrame, net: _Network) -> _Placed:
    """Return the chainage and bank of every report that has a reach and a point."""
    n = len(chosen)
    reach = chosen["reach"].to_numpy()
    at = np.flatnonzero((reach >= 0) & ~pd.isna(points))
    chainage = np.full(n, np.nan)
    side = np.full(n, None, dtype=object)
    if len(at):
        r = reach[at]
        along, sign = _locate(points[at], net.geoms[r])
        lengths = net.reaches["length_m"].to_numpy(dtype=float)[r]
        share = np.divide(along, net.lengths[r], out=np.zeros(len(at)), where=net.lengths[r] > 0)
        chainage[at] = net.reaches["from_m"].to_numpy(dtype=float)[r] + share * lengths
        side[at] = _sides(sign)
    return _Placed(chainage, side)


# ================================================================== assembly
def _by_side(values: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Pick the left or right part of ``"LEFT;RIGHT"`` values by bank; keep the others."""
    out = np.asarray(values, dtype=object).copy()
    text = pd.Series(out, dtype=object)
    two = text.str.contains(";", regex=False, na=False).to_numpy() & np.isin(
        side, ["left", "right"]
    )
    if two.any():
        parts = text[two].str.split(";")
        pick = np.where(side[two] == "left", parts.str[0], parts.str[-1]).astype(object)
        pick[pick == ""] = None
        out[two] = pick
    return out


def _assemble(
    ev: gpd.GeoDataFrame, chosen: pd.DataFrame, placed: _Placed, net: _Network
) -> gpd.GeoDataFrame:
    """Return the reports with the chosen reach's ids, place, units and chiefs."""
    reach = chosen["reach"].to_numpy()
    has = reach >= 0
    rows = net.reaches.iloc[np.where(has, reach, 0)].reset_index(drop=True)
    rows[~has] = None

    def col(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=object) if name in rows.columns else np.full(len(ev), None)

    side = placed.side
    out: dict[str, Any] = {
        "reach_id": col("reach_id"),
        "river_id": col("river_id"),
        "river": col("name"),
        "chainage_m": placed.chainage_m,
        "offset_m": chosen["dist"].to_numpy(dtype=float),
        "side": side,
        "kind": col("kind"),
    }
    boundary = col("boundary_level")
    for level in net.levels:
        unit = col(level)
        at = np.flatnonzero(boundary == level)
        unit[at] = _by_side(col("responsible")[at], side[at])
        out[level] = unit
    for level in net.chief_levels:
        out[f"chief_{level}"] = _by_side(col(f"chief_{level}"), side)
        out[f"chief_{level}_phone"] = _by_side(col(f"chief_{level}_phone"), side)
    out["responsible"] = _by_side(col("responsible"), side)
    _fill_banks(out, boundary, net)
    routed = pd.DataFrame(out)
    _name_and_chief(routed, net)
    return gpd.GeoDataFrame(pd.concat([pd.DataFrame(ev), routed], axis=1), crs=ev.crs)


def _joined_names(names: pd.Series) -> str | None:
    """Return the names of one report's unit(s), ``;``-joined (None when none is known)."""
    return ";".join(names.fillna("")) if names.notna().any() else None


def _fill_banks(out: dict[str, Any], boundary: np.ndarray, net: _Network) -> None:
    """Fill the levels a bank decided (at and below the boundary level) from its unit, in place."""
    resolved = (
        ~is_missing(boundary)
        & ~pd.Series(out["responsible"], dtype=object)
        .astype("str")
        .str.contains(";", regex=False)
        .to_numpy()
        & ~is_missing(out["responsible"])
    )
    if not resolved.any():
        return
    unit = pd.Series(out["responsible"][resolved], dtype=object)
    below = np.zeros(resolved.sum(), dtype=bool)
    for level in net.levels:
        below |= boundary[resolved] == level
        values = np.asarray(out[level], dtype=object)
        values[np.flatnonzero(resolved)[below]] = unit.map(net.ancestors[level]).to_numpy()[below]
        out[level] = values


def _name_and_chief(routed: pd.DataFrame, net: _Network) -> None:
    """Fill ``responsible_name`` and the chief of the responsible unit, in place."""
    resp_unit = routed["responsible"].astype(object)
    name = resp_unit.map(net.unit_name).astype(object)
    level = resp_unit.map(net.unit_level)
    both = resp_unit.str.contains(";", regex=False, na=False).to_numpy()
    if both.any():  # boundary reaches without a bank: a few reports, both units named
        parts = resp_unit[both].str.split(";")
        level[both] = parts.str[0].map(net.unit_level)
        names = parts.explode().map(net.unit_name).astype(object)
        name[both] = names.groupby(level=0).agg(_joined_names)
    routed["responsible_name"] = name
    chief = pd.Series(None, index=routed.index, dtype=object)
    phone = pd.Series(None, index=routed.index, dtype=object)
    for lv in net.chief_levels:
        here = (level == lv).to_numpy()
        chief[here] = routed.loc[here, f"chief_{lv}"]
        phone[here] = routed.loc[here, f"chief_{lv}_phone"]
    routed["chief"] = chief.where(~is_missing(chief.to_numpy(dtype=object)))
    routed["chief_level"] = level.where(resp_unit.notna())
    routed["chief_phone"] = phone.where(routed["chief"].notna())


def _river_level(
    out: gpd.GeoDataFrame,
    ev: gpd.GeoDataFrame,
    pairs: pd.DataFrame,
    chosen: pd.DataFrame,
    net: _Network,
) -> None:
    """Route hinted reports without a point and with several candidates to the river, in place.

    Such a report is the river's as a whole: the responsible unit is a board
    code's own unit, or else the river's chief unit (the lowest unit every
    named river shares), with its ancestors at the levels above and the
    chiefs the candidate reaches name for those units; ``river_id`` and ``river`` name the
    river(s).
    """
    waiting = np.flatnonzero((chosen["reach"].to_numpy() < 0) & (chosen["via"].to_numpy() >= 0))
    sub = pairs[pairs["event"].isin(waiting)]
    if sub.empty:
        return
    e = sub["event"].to_numpy()
    cand = net.reaches.iloc[sub["reach"].to_numpy()].reset_index(drop=True)
    rivers = cand["river_id"].astype("str").to_numpy(dtype=object)
    joined = join_groups(rivers, e, ";", unique=True)
    events = joined.index.to_numpy()
    out.loc[events, "river_id"] = joined.to_numpy()
    names = cand["name"].astype(object).where(cand["name"].notna(), rivers)
    out.loc[events, "river"] = join_groups(names.to_numpy(), e, ";", unique=True).to_numpy()
    chief_units = pd.Series(pd.Series(rivers).map(net.river_chief_unit).to_numpy(), index=e)
    lca = lowest_common_ancestor(net.units, chief_units.dropna(), net.levels).reindex(events)
    board = _board_units(ev, events, net)
    responsible = board.where(board.notna(), lca)
    out.loc[events, "responsible"] = responsible.to_numpy()
    for level in net.levels:
        unit = responsible.map(net.ancestors[level])
        out.loc[events, level] = unit.to_numpy()
        if level in net.chief_levels:
            mine = cand[level].astype(object).to_numpy() == unit.reindex(e).to_numpy()
            for suffix in ("", "_phone"):
                col = cand[f"chief_{level}{suffix}"].to_numpy(dtype=object)
                chief = pd.Series(col[mine], index=e[mine]).groupby(level=0).first()
                out.loc[events, f"chief_{level}{suffix}"] = chief.reindex(events).to_numpy()
    routed = pd.DataFrame(out.loc[events])
    _name_and_chief(routed, net)
    cols = ["responsible_name", "chief", "chief_level", "chief_phone"]
    out.loc[events, cols] = routed[cols].to_numpy()


def _board_units(ev: gpd.GeoDataFrame, events: np.ndarray, net: _Network) -> pd.Series:
    """Return the unit of each report's board code (None without one), for ``events``."""
    out = pd.Series(None, index=events, dtype=object)
    if "board_hint" not in ev.columns or not len(events):
        return out
    boards = split_board(ev["board_hint"].iloc[events].astype(object).reset_index(drop=True))
    units = boards["unit_id"].astype(object).to_numpy()
    known = np.array([u in net.unit_level for u in units], dtype=bool)
    out[known] = units[known]
    return out


def _ambiguity(
    out: gpd.GeoDataFrame, close: pd.DataFrame, points: np.ndarray, net: _Network
) -> None:
    """Mark reports with a reach of another responsible unit almost as near, in place."""
    out["ambiguous"] = False
    out["candidates"] = None
    if close.empty:
        return
    e = close["event"].to_numpy()
    r = close["reach"].to_numpy()
    _, sign = _locate(points[e], net.geoms[r])
    side = _sides(sign)
    who = _by_side(net.reaches["responsible"].to_numpy(dtype=object)[r], side)
    mine = out["responsible"].to_numpy(dtype=object)[e]
    other = _as_text(who) != _as_text(mine)
    if not other.any():
        return
    ids = net.reaches["reach_id"].astype("str").to_numpy(dtype=object)[r[other]]
    joined = join_groups(ids, e[other], ";", unique=True)
    out.loc[joined.index.to_numpy(), "ambiguous"] = True
    out.loc[joined.index.to_numpy(), "candidates"] = joined.to_numpy()


def _as_text(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as strings, missing text as ``""``, for elementwise comparison."""
    text = pd.Series(values, dtype=object)
    return text.where(~is_missing(values), "").astype("str").to_numpy()


def _match_and_reason(
    out: gpd.GeoDataFrame,
    ev: gpd.GeoDataFrame,
    points: np.ndarray,
    chosen: pd.DataFrame,
    has_roster: bool,
) -> None:
    """Fill ``match`` and, for reports nobody can act on, ``reason``, in place."""
    via = chosen["via"].to_numpy()
    match = np.where(via >= 0, _VIA_NAMES[np.maximum(via, 0)], "unmatched").astype(object)
    reason = np.full(len(out), None, dtype=object)
    has_point = ~pd.isna(points)
    found = via >= 0
    reason[~found & ~has_point] = "no_location"
    reason[~found & has_point] = "too_far"
    nobody = found & is_missing(out["responsible"].to_numpy(dtype=object))
    reason[nobody] = np.where(has_point[nobody], "outside", "no_location")
    if has_roster:
        no_chief = found & ~nobody & is_missing(out["chief"].to_numpy(dtype=object))
        reason[no_chief] = "no_chief"
    match[reason != None] = "unmatched"  # noqa: E711 - an elementwise comparison
    out["match"] = match
    out["reason"] = reason


def _duplicates(
    ev: gpd.GeoDataFrame, points: np.ndarray, scale: np.ndarray, limits: _Limits
) -> np.ndarray:
    """Return, per report, the earliest report of its category close in space and time."""
    out = np.full(len(ev), None, dtype=object)
    if "category" not in ev.columns or "reported_at" not in ev.columns:
        return out
    at = np.flatnonzero(~pd.isna(points))
    tree = shapely.STRtree(points[at])
    i, j = tree.query(
        points[at], predicate="dwithin", distance=limits.duplicate_m * scale[at].max(initial=1)
    )
    i, j = at[i], at[j]
    t = pd.to_datetime(ev["reported_at"]).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    cat = ev["category"].astype("str").to_numpy(dtype=object)
    earlier = (t[j] < t[i]) | ((t[j] == t[i]) & (j < i))
    keep = (
        earlier
        & (j != i)
        & (cat[i] == cat[j])
        & ~is_missing(ev["category"].to_numpy(dtype=object)[i])
        & (np.abs(t[i] - t[j]) <= limits.duplicate_hours * 3.6e12)
        & (shapely.distance(points[i], points[j]) / scale[i] <= limits.duplicate_m)
    )
    i, j = i[keep], j[keep]
    if not len(i):
        return out
    order = np.lexsort((j, t[j], i))
    i, j = i[order], j[order]
    first = np.unique(i, return_index=True)[1]
    out[i[first]] = ev["event_id"].astype("str").to_numpy(dtype=object)[j[first]]
    return out


def write_events(
    routed: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    overwrite: bool = False,
) -> Path:
    """Write routed reports: a GeoPackage/GeoJSON for GIS, or a workbook/CSV for people.

    A ``.gpkg`` or ``.geojson`` keeps the codes and column names (and the
    points); a ``.xlsx`` or ``.csv`` has words in ``lang`` and, when the
    reports are synthetic (``routed.attrs["synthetic"]``), says so in a
    column of every row.

    Returns
    -------
    Path
        The file written, atomically (an existing file only with ``overwrite``).
    """
    from rivermap.io import atomic_output, write_tables
    from rivermap.text import level_label, localize, term

    target = Path(path)
    if target.suffix.lower() in (".gpkg", ".geojson", ".json"):
        driver = "GPKG" if target.suffix.lower() == ".gpkg" else "GeoJSON"
        with atomic_output(target, overwrite=overwrite) as tmp:
            frame = routed.copy()
            frame["ambiguous"] = frame["ambiguous"].astype(bool)
            frame.to_file(tmp, driver=driver, layer="events" if driver == "GPKG" else None)
        return target
    table = routed.copy()
    if routed.attrs.get("synthetic"):
        both = f"{term('msg.synthetic', 'zh')} / {term('msg.synthetic', 'en')}"
        table.insert(0, "synthetic", both)
    xy = shapely.get_coordinates(table.geometry.to_crs(4326).to_numpy(), include_z=False)
    has = ~(shapely.is_missing(table.geometry.to_numpy()) | table.geometry.is_empty.to_numpy())
    table["lon"], table["lat"] = np.nan, np.nan
    table.loc[has, "lon"], table.loc[has, "lat"] = xy[:, 0], xy[:, 1]
    levels = [lv for lv in routed.attrs.get("levels", ()) if lv in table.columns]
    table = table.rename(
        columns={lv: term("col.level_unit", lang, level=level_label(lv, lang)) for lv in levels}
    )
    sheet = localize(table, lang, table="events")
    return write_tables({term("sheet.events", lang): sheet}, target, overwrite=overwrite)
