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
decides). Among the candidates the nearest reach wins (ties: the lower
reach). Without a location, a reach given by id wins; a river or a signboard
leaves the report on the river as a whole: the board's unit, or the river's
chief unit (the lowest unit every named river shares), answers.

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
rather than a silent guess. Reports of one category on the same river within
``duplicate_m`` and ``duplicate_hours`` of an earlier one are marked
``duplicate_of`` it.

Everything is vectorised: the reaches near every report come from one lookup
of the reaches' straight segments (:class:`rivermap._near.ReachIndex`: a grid of
1 km cells, then numpy projects each point on its candidate segments), and
every step after it works on arrays of (report, reach) pairs. Duplicates are
found by sorting the reports of each river and category by chainage, a window
per report. A million reports against all of China take about 7 s on two cores
(``benchmarks/bench_route.py``).
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

from rivermap._arrays import argmin_per
from rivermap._near import ReachIndex, metric_crs_of, metric_points
from rivermap.crs import check_crs
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
    join_groups,
    lowest_common_ancestor,
    unit_table,
)
from rivermap.text import is_missing

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["MATCHES", "REASONS", "ROUTE_COLUMNS", "route_events", "write_events"]

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
        Reports of one category on one river this close in space and time
        are possible duplicates of the earliest.

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
        ``duplicate_of``. Added text columns hold None where empty.

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
      event_id      reach_id district      match   reason
    0        a  京杭运河(江南运河)#2   330105    spatial     None
    1        b          None     None  unmatched  too_far
    """
    limits = _Limits(
        check_length("max_dist_m", max_dist_m),
        check_length("ambiguous_m", ambiguous_m),
        check_length("duplicate_m", duplicate_m),
        check_number("duplicate_hours", duplicate_hours),
    )
    ev = _events_frame(events, resp.levels)
    net = _network(resp)
    xy, scale = _event_points(ev, net.crs)
    pairs, near = _candidates(ev, xy, scale, net, limits)
    chosen = _choose(pairs, len(ev))
    out = _assemble(ev, chosen, _place(near, chosen, net), net)
    _river_level(out, ev, pairs, chosen, net)
    _ambiguity(out, chosen, near, net, limits.ambiguous_m)
    _match_and_reason(out, xy, chosen, resp.roster is not None)
    out["duplicate_of"] = _texts(_duplicates(out, xy, scale, limits), out.index)
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
    segments: ReachIndex
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
        segments=ReachIndex.of(geoms),
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


def _event_points(ev: gpd.GeoDataFrame, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Return the reports' coordinates in ``crs`` (NaN where missing) and the local scale there."""
    geoms = np.asarray(ev.geometry.to_numpy(), dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any() and not (shapely.get_type_id(geoms[ok]) == 0).all():
        geoms = geoms.copy()
        geoms[ok] = shapely.point_on_surface(geoms[ok])
    return metric_points(geoms, ev.crs, crs)


# ================================================================ candidates
def _near_segments(
    xy: np.ndarray, scale: np.ndarray, events: np.ndarray, within: np.ndarray, net: _Network
) -> pd.DataFrame:
    """Return (event, reach, dist, along, sign) for the reaches within ``within`` m of each."""
    near = net.segments.near(xy[events], scale[events], within)
    near["point"] = events[near["point"].to_numpy()]
    return near.rename(columns={"point": "event"})


def _candidates(
    ev: gpd.GeoDataFrame,
    xy: np.ndarray,
    scale: np.ndarray,
    net: _Network,
    limits: _Limits,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the candidate pairs of every report, and the reaches near every located one.

    Candidates (``event, reach, dist, via, rank``): a report with a usable
    hint keeps only its hinted reaches (a board code before a reach or river;
    ``dist`` NaN without a point); the others the reaches within
    ``max_dist_m``. Near (``event, reach, dist, along, sign``, one row per
    report and reach, from its nearest segment): for a located report, the
    candidates within ``ambiguous_m`` of its nearest one, from which the
    choice is placed and its ambiguity judged, in one query of the segments.
    """
    hinted = _hint_pairs(ev, net)
    e, r = hinted["event"].to_numpy(), hinted["reach"].to_numpy()
    has_point = ~np.isnan(xy[e, 0])
    dist = np.full(len(hinted), np.nan)
    at = e[has_point]
    dist[has_point] = shapely.distance(shapely.points(xy[at]), net.geoms[r[has_point]]) / scale[at]
    hinted["dist"] = dist
    has_hint = np.zeros(len(ev), dtype=bool)
    has_hint[e] = True
    spatial = np.flatnonzero(~np.isnan(xy[:, 0]) & ~has_hint)
    reach_of = hinted[has_point].groupby("event")["dist"].min()
    located = np.concatenate([spatial, reach_of.index.to_numpy()])
    within = (
        np.concatenate([np.full(len(spatial), limits.max_dist_m), reach_of.to_numpy()])
        + limits.ambiguous_m
    )
    near = _near_segments(xy, scale, located, within, net)
    by_hint = has_hint[near["event"].to_numpy()]
    named = pd.MultiIndex.from_frame(near[["event", "reach"]]).isin(
        pd.MultiIndex.from_frame(hinted[["event", "reach"]])
    )
    near = near[~by_hint | named].reset_index(drop=True)
    close = near[~has_hint[near["event"].to_numpy()] & (near["dist"] <= limits.max_dist_m)]
    pairs = close[["event", "reach", "dist"]].assign(via=_VIA_SPATIAL, rank=3)
    return pd.concat([hinted, pairs], ignore_index=True), near


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
def _choose(pairs: pd.DataFrame, n: int) -> pd.DataFrame:
    """Return the chosen (reach, dist, via) per report: ``reach`` -1 where none.

    The nearest candidate wins (ties: the lower reach). A report with a hint
    but no point is chosen only when it names one reach by id.
    """
    e = pairs["event"].to_numpy(dtype=np.int64)
    reach = pairs["reach"].to_numpy(dtype=np.int64)
    dist = pairs["dist"].to_numpy(dtype=float)
    best = argmin_per(e, dist, reach)
    event = e[best]
    counts = np.bincount(e, minlength=n)[event]
    # Without a point, only a reach given by id is chosen; a river or board stands whole.
    by_reach = pairs["rank"].to_numpy()[best] == _RANK_REACH
    pick = ~np.isnan(dist[best]) | (by_reach & (counts == 1))
    out_reach = np.full(n, -1, dtype=np.int64)
    out_dist = np.full(n, np.nan)
    out_via = np.full(n, -1, dtype=np.int64)
    out_reach[event[pick]] = reach[best][pick]
    out_dist[event[pick]] = dist[best][pick]
    out_via[event] = pairs["via"].to_numpy(dtype=np.int64)[best]
    return pd.DataFrame({"reach": out_reach, "dist": out_dist, "via": out_via})


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


def _place(near: pd.DataFrame, chosen: pd.DataFrame, net: _Network) -> _Placed:
    """Return the chainage and bank of every report that has a reach and a point."""
    n = len(chosen)
    chainage = np.full(n, np.nan)
    side = np.full(n, None, dtype=object)
    mine = near[near["reach"].to_numpy() == chosen["reach"].to_numpy()[near["event"].to_numpy()]]
    e, r = mine["event"].to_numpy(), mine["reach"].to_numpy()
    lengths = net.reaches["length_m"].to_numpy(dtype=float)[r]
    share = np.divide(
        mine["along"].to_numpy(), net.lengths[r], out=np.zeros(len(r)), where=net.lengths[r] > 0
    )
    chainage[e] = net.reaches["from_m"].to_numpy(dtype=float)[r] + np.minimum(share, 1) * lengths
    side[e] = _sides(mine["sign"].to_numpy())
    return _Placed(chainage, side)


def _by_side(values: np.ndarray, side: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Pick the left or right part of ``"LEFT;RIGHT"`` values by bank, in ``rows``; keep the rest.

    ``rows`` marks the rows that may hold two parts and have a bank: reports
    on boundary reaches.
    """
    out = np.asarray(values, dtype=object).copy()
    at = np.flatnonzero(rows)
    text = pd.Series(out[at], dtype=object)
    two = text.str.contains(";", regex=False, na=False).to_numpy()
    if two.any():
        parts = text[two].str.split(";")
        pick = np.where(side[at[two]] == "left", parts.str[0], parts.str[-1]).astype(object)
        pick[pick == ""] = None
        out[at[two]] = pick
    return out


def _assemble(
    ev: gpd.GeoDataFrame, chosen: pd.DataFrame, placed: _Placed, net: _Network
) -> gpd.GeoDataFrame:
    """Return the reports with the chosen reach's ids, place, units and chiefs."""
    reach = chosen["reach"].to_numpy()
    has = reach >= 0
    take = np.where(has, reach, 0)

    def col(name: str) -> np.ndarray:
        if name not in net.reaches.columns:
            return np.full(len(ev), None, dtype=object)
        values = net.reaches[name].to_numpy(dtype=object)[take]
        values[~has] = None
        return values

    side = placed.side
    boundary = col("boundary_level")
    bank = has & ~is_missing(boundary)  # boundary reaches: the rows a bank may decide
    banked = bank & ~is_missing(side)
    out: dict[str, Any] = {
        "reach_id": col("reach_id"),
        "river_id": col("river_id"),
        "river": col("name"),
        "chainage_m": placed.chainage_m,
        "offset_m": chosen["dist"].to_numpy(dtype=float),
        "side": side,
        "kind": col("kind"),
    }
    responsible = col("responsible")
    for level in net.levels:
        out[level] = col(level)
    for level in net.chief_levels:
        out[f"chief_{level}"] = _by_side(col(f"chief_{level}"), side, banked)
        out[f"chief_{level}_phone"] = _by_side(col(f"chief_{level}_phone"), side, banked)
    out["responsible"] = _by_side(responsible, side, banked)
    _fill_banks(out, boundary, net)
    _name_and_chief(out, bank, net)
    columns = {c: ev[c] for c in ev.columns if c != ev.geometry.name}
    # Series of a stated dtype: pandas infers nothing (inferring 1M object cells is slow).
    added = {c: pd.Series(v, index=ev.index, dtype=np.asarray(v).dtype) for c, v in out.items()}
    frame = pd.DataFrame({**columns, **added})
    return gpd.GeoDataFrame(frame, geometry=ev.geometry.to_numpy(), crs=ev.crs)


def _joined_names(names: pd.Series) -> str | None:
    """Return the names of one report's unit(s), ``;``-joined (None when none is known)."""
    return ";".join(names.fillna("")) if names.notna().any() else None


def _fill_banks(out: dict[str, Any], boundary: np.ndarray, net: _Network) -> None:
    """Fill the levels a bank decided (at and below the boundary level) from its unit, in place.

    A boundary reach holds no unit at and below its boundary level; once the
    bank names the responsible unit, those levels are that unit and its
    ancestors. Without a bank (``"LEFT;RIGHT"`` stays) they stay empty.
    """
    at = np.flatnonzero(~is_missing(boundary))
    unit = pd.Series(out["responsible"][at], dtype=object)
    decided = ~(unit.str.contains(";", regex=False, na=True).to_numpy())
    at, unit = at[decided], unit[decided]
    if not len(at):
        return
    below = np.zeros(len(at), dtype=bool)
    for level in net.levels:
        below |= boundary[at] == level
        values = np.asarray(out[level], dtype=object)
        values[at[below]] = unit.map(net.ancestors[level]).to_numpy()[below]
        out[level] = values


def _name_and_chief(out: dict[str, Any], bank: np.ndarray, net: _Network) -> None:
    """Fill ``responsible_name`` and the chief of the responsible unit, in place.

    ``bank`` marks the rows that may hold two units (a boundary reach without
    a bank): those are named ``"LEFT;RIGHT"``, and so are their chiefs.
    """
    unit = pd.Series(out["responsible"], dtype=object)
    name = unit.map(net.unit_name).to_numpy(dtype=object)
    level = unit.map(net.unit_level).to_numpy(dtype=object)
    at = np.flatnonzero(bank)
    both = at[unit.iloc[at].str.contains(";", regex=False, na=False).to_numpy()]
    if len(both):  # boundary reaches without a bank: a few reports, both units named
        parts = unit.iloc[both].str.split(";")
        level[both] = parts.str[0].map(net.unit_level).to_numpy(dtype=object)
        names = parts.explode().map(net.unit_name).astype(object)
        name[both] = names.groupby(level=0).agg(_joined_names).to_numpy(dtype=object)
    chief = np.full(len(name), None, dtype=object)
    phone = np.full(len(name), None, dtype=object)
    for lv in net.chief_levels:
        here = level == lv
        chief[here] = out[f"chief_{lv}"][here]
        phone[here] = out[f"chief_{lv}_phone"][here]
    missing = is_missing(chief)
    chief[missing] = None
    phone[missing] = None
    level[is_missing(out["responsible"])] = None
    out.update(responsible_name=name, chief=chief, chief_level=level, chief_phone=phone)


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
    events = joined.index.to_numpy().astype(np.int64)
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
    routed = {c: out[c].to_numpy(dtype=object)[events] for c in out.columns}
    _name_and_chief(routed, np.zeros(len(events), dtype=bool), net)
    for c in ("responsible_name", "chief", "chief_level", "chief_phone"):
        out.loc[events, c] = routed[c]


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
    out: gpd.GeoDataFrame, chosen: pd.DataFrame, near: pd.DataFrame, net: _Network,
    ambiguous_m: float,
) -> None:  # fmt: skip
    """Mark reports with a reach of another responsible unit almost as near, in place.

    A report whose hint named its candidates weighs only those (``near`` holds
    no other); the others weigh every reach within ``ambiguous_m`` of their
    distance to the nearest.
    """
    out["ambiguous"] = False
    out["candidates"] = _texts(np.full(len(out), None, dtype=object), out.index)
    e = near["event"].to_numpy()
    reach, best = chosen["reach"].to_numpy()[e], chosen["dist"].to_numpy()[e]
    other = (near["reach"].to_numpy() != reach) & (near["dist"].to_numpy() <= best + ambiguous_m)
    near = near[other & (reach >= 0)]
    e, r = near["event"].to_numpy(), near["reach"].to_numpy()
    sign = near["sign"].to_numpy()
    who = _by_side(net.reaches["responsible"].to_numpy(dtype=object)[r], _sides(sign), sign != 0)
    differs = _as_text(who) != _as_text(out["responsible"].to_numpy(dtype=object)[e])
    if not differs.any():
        return
    ids = net.reaches["reach_id"].astype("str").to_numpy(dtype=object)[r[differs]]
    joined = join_groups(ids, e[differs], ";", unique=True)
    out.loc[joined.index.to_numpy(), "ambiguous"] = True
    out.loc[joined.index.to_numpy(), "candidates"] = joined.to_numpy()


def _texts(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Return text as an object column, None where empty (as every column routing adds)."""
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object)


def _as_text(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as strings, missing text as ``""``, for elementwise comparison."""
    text = pd.Series(values, dtype=object)
    return text.where(~is_missing(values), "").astype("str").to_numpy()


def _match_and_reason(
    out: gpd.GeoDataFrame, xy: np.ndarray, chosen: pd.DataFrame, has_roster: bool
) -> None:
    """Fill ``match`` and, for reports nobody can act on, ``reason``, in place."""
    via = chosen["via"].to_numpy()
    match = np.where(via >= 0, _VIA_NAMES[np.maximum(via, 0)], "unmatched").astype(object)
    reason = np.full(len(out), None, dtype=object)
    has_point = ~np.isnan(xy[:, 0])
    found = via >= 0
    reason[~found & ~has_point] = "no_location"
    reason[~found & has_point] = "too_far"
    nobody = found & is_missing(out["responsible"].to_numpy(dtype=object))
    reason[nobody] = np.where(has_point[nobody], "outside", "no_location")
    if has_roster:
        no_chief = found & ~nobody & is_missing(out["chief"].to_numpy(dtype=object))
        reason[no_chief] = "no_chief"
    match[reason != None] = "unmatched"  # noqa: E711 - an elementwise comparison
    out["match"] = _texts(match, out.index)
    out["reason"] = _texts(reason, out.index)


def _duplicates(
    out: gpd.GeoDataFrame, xy: np.ndarray, scale: np.ndarray, limits: _Limits
) -> np.ndarray:
    """Return, per report, the earliest report of its category close along its river and in time.

    Two reports are close when they lie on the same river within
    ``duplicate_m`` of each other (along the river and as the crow flies) and
    within ``duplicate_hours``. Sorting by river, category and chainage turns
    the search into one window per report, without a spatial index.
    """
    result = np.full(len(out), None, dtype=object)
    if "category" not in out.columns or "reported_at" not in out.columns:
        return result
    chainage = out["chainage_m"].to_numpy(dtype=float)
    river = out["river_id"].to_numpy(dtype=object)
    category = out["category"].to_numpy(dtype=object)
    at = np.flatnonzero(~np.isnan(chainage) & ~is_missing(river) & ~is_missing(category))
    if len(at) < 2:
        return result
    group = pd.factorize(
        pd.Series(river[at]).astype(str) + "\0" + pd.Series(category[at]).astype(str)
    )[0]
    gap = np.nanmax(chainage[at]) + 4 * limits.duplicate_m + 1.0
    key = group * gap + chainage[at]
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    lo = np.searchsorted(sorted_key, sorted_key - limits.duplicate_m, side="left")
    count = np.arange(len(order)) - lo
    i = np.repeat(np.arange(len(order)), count)
    j = np.repeat(lo, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    a, b = at[order[i]], at[order[j]]  # b lies up to duplicate_m before a along the river
    t = pd.to_datetime(out["reported_at"]).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    apart = np.hypot(*(xy[a] - xy[b]).T) / scale[a]
    close = (apart <= limits.duplicate_m) & (np.abs(t[a] - t[b]) <= limits.duplicate_hours * 3.6e12)
    a, b = a[close], b[close]
    later = np.where((t[a] > t[b]) | ((t[a] == t[b]) & (a > b)), a, b)
    first = np.where(later == a, b, a)
    order = np.lexsort((first, t[first], later))
    later, first = later[order], first[order]
    pick = np.unique(later, return_index=True)[1]
    result[later[pick]] = out["event_id"].astype("str").to_numpy(dtype=object)[first[pick]]
    return result


def write_events(
    routed: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    overwrite: bool = False,
    qml: bool = False,
) -> Path:
    """Write routed reports: a GeoPackage/GeoJSON for GIS, or a workbook/CSV for people.

    A ``.gpkg`` or ``.geojson`` keeps the codes and column names (and the
    points); a ``.gpkg``'s ``events`` layer (points) opens in QGIS coloured
    by status as on the web map, its legend in ``lang`` (see
    :mod:`rivermap._qgis`), and with ``qml`` the style is also written as
    ``<stem>.events.qml`` beside it. A ``.xlsx`` or ``.csv`` has words in
    ``lang`` and, when the reports are synthetic
    (``routed.attrs["synthetic"]``), says so in a column of every row.

    Returns
    -------
    Path
        The file written, atomically (an existing file only with ``overwrite``).
    """
    from rivermap.io import atomic_output, write_tables
    from rivermap.text import level_label, localize, term

    target = Path(path)
    if target.suffix.lower() == ".gpkg":
        return _write_events_gpkg(routed, target, lang=lang, overwrite=overwrite, qml=qml)
    if target.suffix.lower() in (".geojson", ".json"):
        with atomic_output(target, overwrite=overwrite) as tmp:
            frame = routed.copy()
            frame["ambiguous"] = frame["ambiguous"].astype(bool)
            frame.to_file(tmp, driver="GeoJSON")
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
    # A column of the input whose name is one of rivermap's headers keeps its cells, renamed.
    seen = pd.Index(sheet.columns).duplicated(keep="first")
    names = [str(c) for c in sheet.columns]
    sheet.columns = pd.Index(
        [term("col.input", lang, name=c) if dup else c for c, dup in zip(names, seen, strict=True)]
    )
    return write_tables({term("sheet.events", lang): sheet}, target, overwrite=overwrite)


def _write_events_gpkg(
    routed: gpd.GeoDataFrame, target: Path, *, lang: str, overwrite: bool, qml: bool
) -> Path:
    """Write routed reports as a GeoPackage of points with their QGIS style."""
    import contextlib

    from rivermap import _qgis
    from rivermap.io import atomic_output, check_output

    check_output(target, overwrite=overwrite, kind="gpkg")
    if qml:
        _qgis.check_qml(target, "events", overwrite=overwrite)
    layers = _qgis.events_package(routed, lang=lang)
    with contextlib.ExitStack() as stack:
        if qml:
            stack.enter_context(_qgis.write_qml(target, layers, overwrite=overwrite))
        tmp = stack.enter_context(atomic_output(target, overwrite=overwrite))
        _qgis.write_package(tmp, layers)
    return target
