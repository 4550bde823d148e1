"""Judge every patrol track (巡河轨迹) against the duties, and count 应巡 against 已巡.

:func:`patrol_coverage` takes track points (as from
:func:`rivermap.read_patrols`) and answers, per patrol, *where along which
reaches did it go, and does it count*, and per person and period, *how many
patrols were required and how many valid ones were made*.

Along which reaches
-------------------
Points are projected to the responsibility's metric CRS, in time order within
each patrol, and measured against the reaches' segments in numpy
(:mod:`rivermap._near`: distances in metres on the ground, positions along the
reach). A point is *near* a reach within ``tolerance_m``.
A step between two consecutive points counts along a reach where both points
are near it: the step covers the stretch between their positions along the
reach. The stretches of one patrol along one reach are merged into
``from_m``–``to_m`` chainage intervals of the river (:attr:`PatrolCoverage.stretches`).
A step with both points near some reach (not necessarily the same one) counts
as *along a river*.

Whose reaches
-------------
A person (the track's ``person``, matched to the roster by name) owns the
reaches on which the roster names them chief at some level (``chief_<level>``,
either bank of a boundary reach). Their units are the roster's units for them.

Does it count
-------------
A patrol is ``valid`` unless one of these ``reasons`` holds (codes of the
``patrol.*`` terms of :mod:`rivermap.text`):

``one_point``       the track has a single point;
``time_order``      its timestamps go backwards somewhere (in file order);
``unknown_person``  the roster does not know the person (with a roster);
``short_time``      shorter than the duty's ``min_minutes`` for the person's level;
``short_distance``  shorter than the duty's ``min_km``;
``too_fast``        more than half its length at more than ``max_speed_kmh``
                    (faster than walking or a patrol boat: a drive past);
``off_river``       less than ``min_on_river`` of its length along a river;
``outside_units``   less than ``min_in_units`` of its points inside the
                    person's units.

A person's duty is that of their finest level with one.

应巡 and 已巡
-------------
For every person of the roster and every period of their duty (week, month,
quarter or year) that overlaps ``start``–``end``, ``required`` (应巡) is the
duty's ``min_count`` when one of the period's months is active (0 otherwise),
``done`` (已巡) the number of valid patrols that started in it, ``own_km`` the
length of their own reaches those patrols covered, and ``last_valid`` the
start of their latest valid patrol up to the period's end. ``met`` tells
whether ``done`` reaches ``required``; for a period that runs past ``end`` and
is short so far it is None (not over yet). People who never patrolled appear
with ``done`` 0. People whose levels have no duty appear only when they made a
valid patrol: per month, at their finest level, with ``required`` 0, so that
their work is counted too.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap._near import ReachIndex, metric_crs_of, metric_points
from rivermap.duties import active_months, read_duties
from rivermap.errors import require_columns
from rivermap.params import (
    MAX_SPEED_KMH,
    MIN_IN_UNITS_SHARE,
    MIN_ON_RIVER_SHARE,
    PATROL_TOL_M,
    check_length,
    check_number,
    check_share,
)
from rivermap.runs import first_per
from rivermap.text import is_missing
from rivermap.tracks import read_patrols

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["REASONS", "PatrolCoverage", "patrol_coverage"]

#: Why a patrol does not count, in the order they are checked.
REASONS: tuple[str, ...] = (
    "one_point",
    "time_order",
    "unknown_person",
    "short_time",
    "short_distance",
    "too_fast",
    "off_river",
    "outside_units",
)
_PERIOD_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


@dataclasses.dataclass(frozen=True)
class PatrolCoverage:
    """What :func:`patrol_coverage` found: per patrol, per stretch, per person and period.

    Attributes
    ----------
    patrols
        One row per patrol (a GeoDataFrame of its line, in the
        responsibility's CRS): ``patrol_id``, ``person``, ``level`` (the
        person's duty level), ``started_at``, ``ended_at``, ``minutes``,
        ``km``, ``n_points``, ``speed_kmh``, ``fast_share``,
        ``on_river_share``, ``in_units_share``, ``own_km``, ``own_share``
        (of the person's own reach length), ``valid`` and ``reasons``.
    stretches
        One row per patrol and merged stretch of a reach it followed:
        ``patrol_id``, ``person``, ``reach_id``, ``river_id``, ``from_m``,
        ``to_m`` (river chainage), ``length_m`` and ``own``.
    people
        One row per person and period: ``person``, ``phone``, ``level``,
        ``units``, ``period``, ``period_start``, ``period_end``,
        ``required`` (应巡), ``done`` (已巡), ``own_km``, ``last_valid``
        and ``met`` (True or False; None while a period that runs past
        ``end`` is short: it is not over yet).
    duties
        The duties applied, one row per level (see :mod:`rivermap.duties`).
    start, end
        The first and last day counted.
    """

    patrols: gpd.GeoDataFrame
    stretches: pd.DataFrame
    people: pd.DataFrame
    duties: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp

    def to_excel(
        self,
        path: str | os.PathLike[str],
        *,
        lang: str = "zh",
        overwrite: bool = False,
        note: str | None = None,
    ) -> Path:
        """Write the tables to one workbook, words in ``lang`` (sheets 巡河考核, 巡河记录, …).

        ``note`` (e.g. that the tracks are synthetic) becomes a first sheet 说明.

        Returns
        -------
        Path
            The file written (atomically; an existing file only with ``overwrite``).
        """
        from rivermap.io import write_tables
        from rivermap.text import header, localize, term

        about = pd.DataFrame({header("synthetic", lang): [note]}) if note else None
        sheets = {} if about is None else {term("sheet.about", lang): about}
        sheets |= {
            term("sheet.duty", lang): localize(self.people, lang, table="patrols"),
            term("sheet.patrols", lang): localize(self.patrols, lang, table="patrols"),
            term("sheet.stretches", lang): localize(self.stretches, lang, table="patrols"),
            term("sheet.duties", lang): localize(self.duties, lang, table="patrols"),
        }
        return write_tables(sheets, path, overwrite=overwrite)


def patrol_coverage(
    resp: Responsibility,
    patrols: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    duties: Any = None,
    start: Any = None,
    end: Any = None,
    tolerance_m: float = PATROL_TOL_M,
    max_speed_kmh: float = MAX_SPEED_KMH,
    min_on_river: float = MIN_ON_RIVER_SHARE,
    min_in_units: float = MIN_IN_UNITS_SHARE,
) -> PatrolCoverage:
    """Judge every patrol and count 应巡 against 已巡 (see the module docstring).

    Parameters
    ----------
    resp
        The responsibility, with its roster for people, units and duties.
    patrols
        Track points as from :func:`rivermap.read_patrols` (not modified),
        or a path it reads.
    duties
        A duties table, path or list of dicts (see
        :func:`rivermap.read_duties`); None: the default duties.
    start, end
        The first and last day counted (dates or text such as
        ``"2026-11-01"``); by default the days of the first and last patrol.
    tolerance_m
        How near a reach a track point must be to count along it.
    max_speed_kmh
        Faster than this over most of its length, a patrol is a drive past.
    min_on_river, min_in_units
        The shares of a valid patrol's length along rivers and of its points
        inside the person's units.

    Returns
    -------
    PatrolCoverage
    """
    limits = _Limits(
        check_length("tolerance_m", tolerance_m),
        check_number("max_speed_kmh", max_speed_kmh),
        check_share("min_on_river", min_on_river),
        check_share("min_in_units", min_in_units),
    )
    points = _points_frame(patrols)
    duty = read_duties(duties, levels=resp.levels)
    owners = _owners(resp)
    track = _Track.of(points, resp)
    net = _Reaches.of(resp, track, limits.tolerance_m)
    stretches = _stretches(track, net, owners)
    table = _patrol_stats(track, limits)
    table["on_river_share"] = _on_river_share(track, net)
    table["in_units_share"] = _in_units_share(track, resp, owners)
    table = _judge(table, stretches, track, owners, duty, limits)
    table = gpd.GeoDataFrame(table, geometry=_lines(track), crs=track.crs).to_crs(resp.crs)
    first, last = _span(table, start, end)
    people = _people(table, owners, duty, first, last)
    return PatrolCoverage(table, stretches, people, duty, first, last)


@dataclasses.dataclass(frozen=True)
class _Limits:
    """The tolerances and thresholds of one run."""

    tolerance_m: float
    max_speed_kmh: float
    min_on_river: float
    min_in_units: float


def _points_frame(patrols: Any) -> gpd.GeoDataFrame:
    """Return the track points to judge: read from a path, or checked and copied."""
    if isinstance(patrols, str | os.PathLike):
        patrols = read_patrols(patrols)
    if not isinstance(patrols, gpd.GeoDataFrame):
        msg = (
            "patrol_coverage: patrols must be track points as from rivermap.read_patrols "
            f"(or a path), got {type(patrols).__name__}"
        )
        raise TypeError(msg)
    require_columns(
        patrols.columns,
        ("patrol_id", "time"),
        "patrol_coverage: patrols",
        hint="read them with rivermap.read_patrols",
    )
    out = patrols.copy()
    if "person" not in out.columns:
        out["person"] = None
    return out.reset_index(drop=True)


# ==================================================================== people
@dataclasses.dataclass(frozen=True)
class _Owners:
    """The roster's people, their units and the reaches they answer for."""

    people: pd.DataFrame  # person, phone, levels (tuple), units (text)
    units: pd.DataFrame  # person, unit_id
    reaches: pd.DataFrame  # person, reach (position)
    own_km: pd.Series  # person -> km of their own reaches
    known: bool  # whether there is a roster at all


def _owners(resp: Responsibility) -> _Owners:
    """Return who owns what, from the roster and the reaches' chief columns."""
    roster = resp.roster
    if roster is None or roster.empty:
        empty = pd.DataFrame({"person": pd.Series(dtype=object)})
        return _Owners(
            empty.assign(phone=None, levels=None, units=None),
            empty.assign(unit_id=None),
            empty.assign(reach=pd.Series(dtype=np.int64)),
            pd.Series(dtype=float),
            known=False,
        )
    roster = roster.astype({"name": "str", "unit_id": "str"})
    order = {lv: i for i, lv in enumerate(resp.levels)}
    people = roster.groupby("name", sort=False).agg(
        phone=("phone", "first"),
        levels=("level", lambda s: tuple(sorted(set(s), key=lambda v: order.get(v, -1)))),
        units=("unit_id", lambda s: ";".join(dict.fromkeys(s))),
    )
    people = people.reset_index().rename(columns={"name": "person"})
    units = roster[["name", "unit_id"]].drop_duplicates().rename(columns={"name": "person"})
    reaches = resp.reaches.reset_index(drop=True)
    frames = []
    for level in resp.levels:
        col = f"chief_{level}"
        if col in reaches.columns:
            names = reaches[col].astype(object).where(reaches[col].notna())
            split = names.str.split(";").explode().dropna()
            frames.append(pd.DataFrame({"person": split.to_numpy(), "reach": split.index}))
    own = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["person", "reach"])
    )
    own = own[own["person"] != ""].drop_duplicates().astype({"reach": np.int64})
    lengths = reaches["length_m"].to_numpy(dtype=float)
    own_km = (
        pd.Series(lengths[own["reach"].to_numpy()] / 1000.0).groupby(own["person"].to_numpy()).sum()
    )
    return _Owners(people, units, own.reset_index(drop=True), own_km, known=True)


# ===================================================================== tracks
@dataclasses.dataclass(frozen=True)
class _Track:
    """Every patrol's points in time order, projected, with per-patrol facts."""

    ids: np.ndarray  # patrol ids, in order of first appearance
    person: np.ndarray  # per patrol
    time_order_ok: np.ndarray  # per patrol: timestamps never go backwards in file order
    pid: np.ndarray  # per point: patrol position
    t: np.ndarray  # per point: int64 ns
    xy: np.ndarray  # per point: metric coordinates (n, 2), NaN where missing
    scale: np.ndarray  # per point: the projection's scale there
    crs: Any  # the metric CRS

    @classmethod
    def of(cls, points: gpd.GeoDataFrame, resp: Responsibility) -> _Track:
        """Sort the points by patrol (first appearance) and time, and project them."""
        pid, ids = pd.factorize(points["patrol_id"].astype("str"), sort=False)
        t = pd.to_datetime(points["time"]).to_numpy(dtype="datetime64[ns]").astype(np.int64)
        back = np.zeros(len(ids), dtype=bool)
        if len(t) > 1:
            seq = np.lexsort((points.get("seq", pd.Series(np.arange(len(t)))).to_numpy(), pid))
            same = pid[seq][1:] == pid[seq][:-1]
            went_back = same & (np.diff(t[seq]) < 0)
            back[pid[seq][1:][went_back]] = True
        order = np.lexsort((np.arange(len(t)), t, pid))
        crs = metric_crs_of(resp)
        xy, scale = metric_points(points.geometry.to_numpy()[order], points.crs, crs)
        first = first_per(pid, len(ids))
        person = points["person"].to_numpy(dtype=object)[first]
        person = np.array(
            [None if is_missing(v) else str(v) for v in person], dtype=object
        )  # one per patrol
        return cls(
            np.asarray(ids, dtype=object), person, ~back, pid[order], t[order], xy, scale, crs
        )

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the first and second point of every step within a patrol."""
        a = np.arange(len(self.pid) - 1)
        a = a[self.pid[a] == self.pid[a + 1]]
        return a, a + 1


def _patrol_stats(track: _Track, limits: _Limits) -> pd.DataFrame:
    """Return per patrol: points, times, duration, length, speed and the share driven fast."""
    n = len(track.ids)
    a, b = track.steps()
    length = np.nan_to_num(np.hypot(*(track.xy[b] - track.xy[a]).T) / track.scale[a])
    hours = (track.t[b] - track.t[a]) / 3.6e12
    speed = np.divide(length / 1000.0, hours, out=np.full(len(a), np.inf), where=hours > 0)
    speed[length == 0] = 0.0
    fast = np.bincount(track.pid[a], weights=length * (speed > limits.max_speed_kmh), minlength=n)
    km = np.bincount(track.pid[a], weights=length, minlength=n) / 1000.0
    first, last = _ends(track.pid, n)
    started = track.t[first]
    minutes = (track.t[last] - started) / 6e10
    return pd.DataFrame(
        {
            "patrol_id": track.ids,
            "person": track.person,
            "started_at": pd.to_datetime(started),
            "ended_at": pd.to_datetime(track.t[last]),
            "minutes": minutes,
            "km": km,
            "n_points": np.bincount(track.pid, minlength=n),
            "speed_kmh": np.divide(km, minutes / 60, out=np.zeros(n), where=minutes > 0),
            "fast_share": np.divide(fast / 1000.0, km, out=np.zeros(n), where=km > 0),
        }
    )


def _ends(pid: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the first and last point of every patrol (points sorted by patrol)."""
    first = np.searchsorted(pid, np.arange(n), side="left")
    last = np.searchsorted(pid, np.arange(n), side="right") - 1
    return first, last


# ================================================================= stretches
@dataclasses.dataclass(frozen=True)
class _Reaches:
    """The reaches in the metric CRS, indexed, and the points near them."""

    table: pd.DataFrame
    lengths: np.ndarray  # metric length of each reach's line
    near: pd.DataFrame  # point, reach, dist, along, sign: every point within the tolerance

    @classmethod
    def of(cls, resp: Responsibility, track: _Track, tol: float) -> _Reaches:
        """Project the reaches and find the points within ``tol`` metres of each."""
        table = resp.reaches.reset_index(drop=True)
        geoms = np.asarray(table.geometry.to_crs(track.crs).to_numpy(), dtype=object)
        ok = np.flatnonzero(~np.isnan(track.xy[:, 0]))
        index = ReachIndex.of(geoms)
        near = index.near(track.xy[ok], track.scale[ok], np.full(len(ok), tol))
        near["point"] = ok[near["point"].to_numpy()]
        attributes = pd.DataFrame(table.drop(columns=table.geometry.name))
        return cls(attributes, shapely.length(geoms), near)


def _stretches(track: _Track, net: _Reaches, owners: _Owners) -> pd.DataFrame:
    """Return the merged stretches of reaches each patrol followed (see the module docstring)."""
    a, b = track.steps()
    steps = pd.DataFrame({"a": a, "b": b})
    near = net.near[["point", "reach", "along"]]
    along = steps.merge(near.rename(columns={"point": "a"}), on="a").merge(
        near.rename(columns={"point": "b"}), on=["b", "reach"], suffixes=("_a", "_b")
    )
    r = along["reach"].to_numpy()
    pos_a, pos_b = along["along_a"].to_numpy(), along["along_b"].to_numpy()
    lengths = net.table["length_m"].to_numpy(dtype=float)[r]
    factor = np.divide(lengths, net.lengths[r], out=np.zeros(len(r)), where=net.lengths[r] > 0)
    base = net.table["from_m"].to_numpy(dtype=float)[r]
    merged = _merge_intervals(
        pd.DataFrame(
            {
                "patrol": track.pid[along["a"].to_numpy()],
                "reach": r,
                "lo": base + np.minimum(pos_a, pos_b) * factor,
                "hi": base + np.maximum(pos_a, pos_b) * factor,
            }
        )
    )
    patrol, reach = merged["patrol"].to_numpy(), merged["reach"].to_numpy()
    person = track.person[patrol]
    out = pd.DataFrame(
        {
            "patrol_id": track.ids[patrol],
            "person": person,
            "reach_id": net.table["reach_id"].to_numpy(dtype=object)[reach],
            "river_id": net.table["river_id"].to_numpy(dtype=object)[reach],
            "from_m": merged["lo"].to_numpy(dtype=float),
            "to_m": merged["hi"].to_numpy(dtype=float),
            "length_m": (merged["hi"] - merged["lo"]).to_numpy(dtype=float),
        }
    )
    mine = pd.MultiIndex.from_frame(owners.reaches[["person", "reach"]])
    out["own"] = pd.MultiIndex.from_arrays([person, reach]).isin(mine)
    return out


def _merge_intervals(pieces: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping ``lo``–``hi`` intervals per (patrol, reach), without a Python loop."""
    if pieces.empty:
        return pieces
    p = pieces.sort_values(["patrol", "reach", "lo"], kind="stable").reset_index(drop=True)
    key = p["patrol"].astype(np.int64) * (int(p["reach"].max()) + 1) + p["reach"]
    reach_max = p.groupby(key)["hi"].cummax()
    prev = reach_max.groupby(key).shift()
    group = (prev.isna() | (p["lo"] > prev)).cumsum()
    return p.groupby(group).agg(
        patrol=("patrol", "first"), reach=("reach", "first"), lo=("lo", "min"), hi=("hi", "max")
    )


def _on_river_share(track: _Track, net: _Reaches) -> np.ndarray:
    """Return, per patrol, the share of its length whose steps run near reaches.

    A step counts when both its points are near some reach. A patrol without
    length (one point, or standing still) takes the share of its points near one.
    """
    n = len(track.ids)
    is_near = np.zeros(len(track.pid), dtype=bool)
    is_near[net.near["point"].to_numpy()] = True
    a, b = track.steps()
    length = np.nan_to_num(np.hypot(*(track.xy[b] - track.xy[a]).T) / track.scale[a])
    on = np.bincount(track.pid[a], weights=length * (is_near[a] & is_near[b]), minlength=n)
    total = np.bincount(track.pid[a], weights=length, minlength=n)
    by_points = np.bincount(track.pid, weights=is_near, minlength=n) / np.maximum(
        np.bincount(track.pid, minlength=n), 1
    )
    return np.where(total > 0, np.divide(on, total, out=np.zeros(n), where=total > 0), by_points)


def _in_units_share(track: _Track, resp: Responsibility, owners: _Owners) -> np.ndarray:
    """Return, per patrol, the share of its points inside its person's units (NaN if unknown).

    Each point is tested against its person's own units only (usually one),
    with prepared polygons, rather than against every unit.
    """
    n = len(track.ids)
    if not owners.known:
        return np.full(n, np.nan)
    units = resp.units.reset_index(drop=True)
    geoms = np.asarray(units.geometry.to_crs(track.crs).to_numpy(), dtype=object)
    position = pd.Series(np.arange(len(units)), index=units["unit_id"].astype("str").to_numpy())
    theirs = owners.units.assign(unit=owners.units["unit_id"].map(position)).dropna()
    ok = np.flatnonzero(~np.isnan(track.xy[:, 0]))
    points = pd.DataFrame({"point": ok, "person": track.person[track.pid[ok]]})
    pairs = points.merge(theirs[["person", "unit"]], on="person")
    unit = pairs["unit"].to_numpy(dtype=np.int64)
    xy = track.xy[pairs["point"].to_numpy()]
    shapely.prepare(geoms[np.unique(unit)])
    hit = shapely.contains_xy(geoms[unit], xy[:, 0], xy[:, 1])
    inside = np.zeros(len(track.pid), dtype=bool)
    inside[pairs["point"].to_numpy()[hit]] = True
    share = np.bincount(track.pid, weights=inside, minlength=n) / np.maximum(
        np.bincount(track.pid, minlength=n), 1
    )
    known = pd.Index(owners.people["person"]).get_indexer(pd.Index(track.person)) >= 0
    return np.where(known, share, np.nan)


def _lines(track: _Track) -> np.ndarray:
    """Return every patrol's track as a line in time order (a point when it has one)."""
    n = len(track.ids)
    out = np.full(n, None, dtype=object)
    counts = np.bincount(track.pid, minlength=n)
    ok = ~np.isnan(track.xy[:, 0])
    multi = (counts[track.pid] >= 2) & ok
    if multi.any():
        which, index = np.unique(track.pid[multi], return_inverse=True)
        out[which] = shapely.linestrings(track.xy[multi], indices=index)
    single = (counts[track.pid] == 1) & ok
    out[track.pid[single]] = shapely.points(track.xy[single])
    return out


# ===================================================================== judging
def _duty_levels(owners: _Owners, duty: pd.DataFrame) -> pd.Series:
    """Return each person's duty level: their finest level with a duty (None without)."""
    has = set(duty["level"])
    levels = owners.people.set_index("person")["levels"]
    return levels.map(lambda lv: next((x for x in reversed(lv) if x in has), None))


def _judge(
    table: pd.DataFrame,
    stretches: pd.DataFrame,
    track: _Track,
    owners: _Owners,
    duty: pd.DataFrame,
    limits: _Limits,
) -> pd.DataFrame:
    """Add own km and share, the duty level, ``valid`` and ``reasons`` to the patrols."""
    own = stretches[stretches["own"]].groupby("patrol_id")["length_m"].sum() / 1000.0
    table["own_km"] = table["patrol_id"].map(own).fillna(0.0).to_numpy()
    total = table["person"].map(owners.own_km).to_numpy(dtype=float)
    table["own_share"] = np.divide(
        table["own_km"].to_numpy(), total, out=np.full(len(table), np.nan), where=total > 0
    )
    level = table["person"].map(_duty_levels(owners, duty))
    table.insert(2, "level", level)
    rule = duty.set_index("level")
    min_minutes = level.map(rule["min_minutes"]).to_numpy(dtype=float)
    min_km = level.map(rule["min_km"]).to_numpy(dtype=float)
    known = table["person"].isin(owners.people["person"]).to_numpy()
    failed = {
        "one_point": table["n_points"].to_numpy() < 2,
        "time_order": ~track.time_order_ok,
        "unknown_person": ~known if owners.known else np.zeros(len(table), dtype=bool),
        "short_time": table["minutes"].to_numpy() < np.nan_to_num(min_minutes),
        "short_distance": table["km"].to_numpy() < np.nan_to_num(min_km),
        "too_fast": table["fast_share"].to_numpy() > 0.5,
        "off_river": table["on_river_share"].to_numpy() < limits.min_on_river,
        "outside_units": known & (table["in_units_share"].to_numpy() < limits.min_in_units),
    }
    codes = np.full(len(table), "", dtype=object)
    for code in REASONS:
        codes = np.where(failed[code], codes + "," + code, codes)
    reasons = pd.Series(codes, index=table.index).str.lstrip(",")
    table["valid"] = (reasons == "").to_numpy()
    table["reasons"] = reasons.where(~table["valid"])
    return table


def _day(value: Any, name: str) -> pd.Timestamp:
    """Return ``value`` as a day (midnight); raise ParameterError when it is not a date."""
    from rivermap.errors import ParameterError

    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be a date such as '2026-11-01', got {value!r}"
        raise ParameterError(msg) from exc
    if pd.isna(day):
        msg = f"{name} must be a date such as '2026-11-01', got {value!r}"
        raise ParameterError(msg)
    return day.normalize()


def _span(table: pd.DataFrame, start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day counted: as given, or those of the patrols."""
    from rivermap.errors import ParameterError

    if (start is None or end is None) and table.empty:
        msg = "patrol_coverage: no patrols; give start and end to count the duties over"
        raise ParameterError(msg)
    first = _day(start, "start") if start is not None else table["started_at"].min().normalize()
    last = _day(end, "end") if end is not None else table["started_at"].max().normalize()
    if last < first:
        msg = f"end ({last.date()}) is before start ({first.date()})"
        raise ParameterError(msg)
    return first, last


# ====================================================================== people
def _people(
    table: pd.DataFrame,
    owners: _Owners,
    duty: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
) -> pd.DataFrame:
    """Return 应巡 against 已巡 per person and period of their duty (see the module docstring)."""
    level = owners.people["person"].map(_duty_levels(owners, duty)).to_numpy(dtype=object)
    valid = table[table["valid"].to_numpy(dtype=bool)]
    frames = [
        _per_period(owners.people[level == rule["level"]], valid, rule, first, last)
        for rule in duty.to_dict(orient="records")
        if (level == rule["level"]).any()
    ]
    # People without a duty who patrolled all the same: their work counts, month by month.
    free = owners.people[pd.isna(level) & owners.people["person"].isin(valid["person"])]
    finest = free["levels"].map(lambda lv: lv[-1] if len(lv) else None)
    for lv, who in free.groupby(finest.to_numpy(), sort=False):
        rule = {"level": lv, "period": "month", "min_count": 0, "months": "1-12"}
        frames.append(_per_period(who, valid, rule, first, last))
    columns = ["person", "phone", "level", "units", "period", "period_start", "period_end",
               "required", "done", "own_km", "last_valid", "met"]  # fmt: skip
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def _per_period(
    who: pd.DataFrame,
    valid: pd.DataFrame,
    rule: Mapping[Any, Any],
    first: pd.Timestamp,
    last: pd.Timestamp,
) -> pd.DataFrame:
    """Return one row per person of ``who`` and period of ``rule`` overlapping first–last."""
    freq = _PERIOD_FREQ[rule["period"]]
    periods = pd.period_range(first, last, freq=freq)
    months = active_months(rule["months"])
    active = np.array(
        [bool(months & set(pd.period_range(p.start_time, p.end_time, freq="M").month))
         for p in periods],
        dtype=bool,
    )  # fmt: skip
    grid = who[["person", "phone", "units"]].merge(
        pd.DataFrame({"p": periods, "active": active}), how="cross"
    )
    mine = valid[valid["person"].isin(who["person"])]
    key = pd.MultiIndex.from_arrays([mine["person"], mine["started_at"].dt.to_period(freq)])
    done = pd.Series(1, index=key).groupby(level=[0, 1]).sum()
    km = pd.Series(mine["own_km"].to_numpy(), index=key).groupby(level=[0, 1]).sum()
    at = pd.MultiIndex.from_arrays([grid["person"], grid["p"]])
    grid["level"] = rule["level"]
    grid["period"] = rule["period"]
    grid["period_start"] = grid["p"].map(lambda p: p.start_time.normalize())
    grid["period_end"] = grid["p"].map(lambda p: p.end_time.normalize())
    grid["required"] = np.where(grid["active"], int(rule["min_count"]), 0)
    grid["done"] = done.reindex(at).fillna(0).astype(int).to_numpy()
    grid["own_km"] = km.reindex(at).fillna(0.0).to_numpy()
    grid["last_valid"] = _last_before(mine, grid)
    # A period that runs past the last day counted is not over: unmet is not yet failed.
    met = (grid["done"] >= grid["required"]).astype(object)
    met[~met.astype(bool) & (grid["period_end"] > last)] = None
    grid["met"] = met
    grid["period_start"] = grid["period_start"].dt.date
    grid["period_end"] = grid["period_end"].dt.date
    return grid


def _last_before(valid: pd.DataFrame, grid: pd.DataFrame) -> np.ndarray:
    """Return, per grid row, the start of the person's last valid patrol up to the period's end."""
    out = np.full(len(grid), np.datetime64("NaT"), dtype="datetime64[ns]")
    if valid.empty:
        return out
    ordered = valid.sort_values(["person", "started_at"])
    person = ordered["person"].to_numpy(dtype=object)
    times = ordered["started_at"].to_numpy(dtype="datetime64[ns]")
    ends = (grid["period_end"] + pd.Timedelta(days=1)).to_numpy(dtype="datetime64[ns]")
    for name, rows in grid.groupby("person").indices.items():  # one step per person
        mine = times[person == name]
        k = np.searchsorted(mine, ends[rows], side="left")
        out[rows[k > 0]] = mine[k[k > 0] - 1]
    return out
