"""Synthetic hotline tickets and patrol tracks for a :class:`~rivermap.Responsibility`.

Real tickets (工单) and patrol tracks (巡河轨迹) are not public, so the demo and the
tests of routing and patrol checks use a month made up here. Every ticket and every
patrol belongs to a *case* that says what it was made to test, and each table carries
that intention in ``attrs["truth"]``. The same arguments give the same month: all the
draws come from generators seeded by ``seed`` and the month, and reaches, rivers and
people are sorted by id before anything is drawn, so the order of the input tables
does not matter.

Geometry is made in the metric CRS the responsibility was assigned in
(``resp.summary["metric_crs"]``). A point "off a reach" is made by drawing a reach
with probability proportional to its length, a position uniformly along it, and
moving the point perpendicular to the line there, to the left or right of the
direction of flow (the reach's direction, ``from_m`` → ``to_m``). Rejection sampling,
in vectorised batches, keeps a point only when the intended reach is nearer than any
other reach by at least 25 m (more than the router's 15 m ambiguity margin) and the
bank seen from the nearest point of that reach is the intended one.

Tickets (:func:`make_events`)
    ``inside``: 2–60 m off an inside reach. ``boundary_left`` / ``boundary_right``:
    5–40 m off a boundary reach on that bank. ``confluence``: within 30 m of the
    middle of the shortest line between two reaches of different rivers that come
    within 50 m of each other (the pairs come from an STRtree query). ``far``:
    500–3000 m from every reach, inside some unit where possible (points thrown from
    reaches in random directions, kept when far enough). ``outside``: 2–60 m off an
    outside reach and in no unit. ``no_location``: no coordinates, half of them with
    a river's name. ``qr``: a signboard scan with the board code
    ``"<chief unit>:<river_id>"`` of the river, located near the river (a quarter
    have no location). ``declared``: a river's name and a location near it.
    ``duplicate``: a copy of a located ticket, 5–20 m away, 1–48 h later, same
    category. A case the data cannot hold (no boundary or outside reach, no two
    rivers within 50 m) is left out and its tickets go to ``inside``. Times are
    drawn over the days of the month with the hours of a hotline's day; sources,
    categories and statuses from fixed shares; the deadline is 3–15 days after the
    report and closed tickets are closed before it (80 %) or after. The table is
    what an office exports: Chinese headers, times as text, coordinates in GCJ-02
    (as phones record them) rounded to 6 decimals.

Patrols (:func:`make_patrols`)
    The people are the roster's (one per name and phone) who hold reaches of at
    least 200 m: those named in a reach's ``chief_<level>`` (a boundary reach's
    ``"LEFT;RIGHT"`` names its banks' chiefs), else, for deputies, the reaches of
    their unit at their level. About 15 % never patrol. The others patrol at
    their level's rhythm (bottom level 4–5 times a month, the level above twice,
    higher levels once), on one of their reaches drawn by length, starting
    08:00–17:00 local time:
    1–5 km and at least 20 minutes on foot at 3.5–5 km/h on their own bank
    (3–15 m off the line, 12–25 m on a boundary reach, on the side with a unit
    where only one has one) or by boat at 6–10 km/h on the water, out and back
    along a reach shorter than the walk. A point is logged every 10–30 s with a
    smooth GPS error of 3–12 m (three slow sinusoids per axis, periods of 3–15
    min, plus 1 m of white noise). Some patrols are turned into the other cases:
    ``drive_by`` (40–60 km/h for 15–25 min along the connected stretch of the
    river, 10–25 m off it), ``short`` (3–8 min, 150–280 m), ``off_river`` (loops
    of 150–300 m radius around a point 700–1100 m from every reach, in the
    person's units where one is found), ``outside_units`` (a normal walk along
    the nearest inside reach of units not theirs, for bottom-level people),
    ``one_point`` (a single point), ``out_of_order`` (two timestamps 2–4 points
    apart swapped), each about 4 % of the patrols and at least one while a
    normal patrol is left; ``unknown_person`` patrols (about 3 %, at least one)
    are added, along inside reaches, for names not in the roster.
    Tracks are GPS (WGS84) in local time (UTC+8).

Files (:func:`write_month`)
    ``events.csv`` (UTF-8 with BOM), ``tracks.csv`` and ``tracks/<patrol_id>.gpx``
    (GPX 1.1, times in UTC).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap._gcj02 import wgs84_to_gcj02
from rivermap._scratch import discard, scratch_dir
from rivermap.crs import metric_crs
from rivermap.errors import CRSError, DataError, ParameterError, SchemaError
from rivermap.io import atomic_output, check_output, write_csv
from rivermap.params import check_count
from rivermap.text import term, texts

if TYPE_CHECKING:
    import numpy.typing as npt

    from rivermap.responsibility import Responsibility

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
    ObjArray = npt.NDArray[np.object_]

__all__ = ["EVENT_CASES", "PATROL_CASES", "make_events", "make_patrols", "write_month"]

#: The cases of :func:`make_events`, in the order they are made.
EVENT_CASES: tuple[str, ...] = (
    "inside",
    "boundary_left",
    "boundary_right",
    "confluence",
    "far",
    "outside",
    "no_location",
    "qr",
    "declared",
    "duplicate",
)
#: The cases of :func:`make_patrols`.
PATROL_CASES: tuple[str, ...] = (
    "normal",
    "never",
    "drive_by",
    "short",
    "off_river",
    "outside_units",
    "one_point",
    "out_of_order",
    "unknown_person",
)

#: Chinese fragments of ticket descriptions and of names not in any roster.
_PLACES: dict[str, tuple[str, ...]] = {
    "where": (
        "桥下",
        "桥头",
        "埠头边",
        "闸口附近",
        "村口",
        "小区后门外",
        "菜场旁",
        "学校对面",
        "公园步道边",
        "老码头",
        "工业园区旁",
        "绿道边",
        "停车场边",
        "农田边",
    ),
    "lead": ("市民反映：", "群众来电反映：", "网友反映：", "有人反映：", ""),
    "tail": ("，请尽快处理。", "，要求核查处理。", "，影响周边环境。", "。"),
    "mixed_sewage": ("雨水口有生活污水排入河道", "雨污管道混接，雨水口常年流污水"),
    "outfall": ("有排污口排放黑臭污水", "新发现一处暗管排污口"),
    "houseboat": ("有船屋长期停靠", "河面有住人船屋"),
    "encroachment": ("沿河有违章搭建", "有人在河岸私搭棚屋"),
    "farming": ("河道内有网箱养鱼", "河边有人养鸭，粪便入河"),
    "silting": ("河道淤塞，水流不畅", "河床淤积严重，有异味"),
    "sunken_boat": ("有沉船未打捞", "河中有废弃沉船"),
    "litter": ("河岸堆放生活垃圾", "水面漂浮垃圾较多"),
    "other": ("水面发现死鱼", "河水颜色异常"),
    "colon": ("：",),
    "surname": ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"),
    "given": ("建国", "志强", "海峰", "丽华", "国平", "晓东", "红梅", "伟", "静", "磊"),
}

# ---- tickets: shares of the cases (the rest is "inside"), and of the ticket fields
_EVENT_SHARES: dict[str, float] = {
    "boundary_left": 0.06,
    "boundary_right": 0.06,
    "confluence": 0.04,
    "far": 0.05,
    "outside": 0.03,
    "no_location": 0.06,
    "qr": 0.12,
    "declared": 0.08,
    "duplicate": 0.10,
}
_MIN_PER_CASE = 3
_MIN_EVENTS = _MIN_PER_CASE * len(EVENT_CASES)
_SOURCES: dict[str, float] = {
    "12345": 0.55,
    "12319": 0.10,
    "patrol": 0.12,
    "superior": 0.08,
    "media": 0.03,
    "public": 0.12,
}  # "qr" is the source of the qr case only
_CATEGORIES: dict[str, float] = {
    "litter": 0.25,
    "mixed_sewage": 0.15,
    "outfall": 0.13,
    "encroachment": 0.10,
    "farming": 0.07,
    "silting": 0.08,
    "houseboat": 0.05,
    "sunken_boat": 0.04,
    "other": 0.13,
}
_STATUSES: dict[str, float] = {
    "closed": 0.70,
    "archived": 0.08,
    "in_progress": 0.10,
    "assigned": 0.05,
    "returned": 0.03,
    "registered": 0.04,
}
_CLOSED = ("closed", "archived")
#: Relative number of hotline calls in each hour of the day (local time).
_HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 10, 12, 12, 11, 10, 9, 8, 6, 4, 2, 1], dtype=float
)
_INSIDE_M = (2.0, 60.0)
_BOUNDARY_M = (5.0, 40.0)
_PAIR_M = 50.0  # two rivers this close make a confluence …
_CONFLUENCE_M = 30.0  # … and its tickets lie this close to the middle of their gap
_FAR_M = (500.0, 3000.0)
_DUPLICATE_M = (5.0, 20.0)
_DUPLICATE_H = (1.0, 48.0)
_CLEAR_M = 25.0  # a point's reach is nearer than any other by this much
_TRIES = 30  # rounds of rejection sampling

# ---- patrols
_NEVER_SHARE = 0.15
_MIN_REACH_M = 200.0  # people patrol reaches at least this long
_DRIVE_MIN_M = 3000.0  # drives pass along connected stretches at least this long
_SPECIAL_SHARE = 0.04  # of the patrols, for each special case
_WALK_KMH = (3.5, 5.0)
_BOAT_KMH = (6.0, 10.0)
_CAR_KMH = (40.0, 60.0)
_BOAT_SHARE = 0.2
_WALK_KM = (1.0, 5.0)
_MIN_MINUTES = 20.0  # on foot or by boat, a patrol lasts at least this long
_CAR_MINUTES = (15.0, 25.0)
_INTERVAL_S = (10, 30)
_JITTER_M = (3.0, 12.0)
_LOCAL_UTC_H = 8


# =========================================================================== common
def _month(month: Any) -> tuple[np.datetime64, np.datetime64, str]:
    """Return the first second of ``month`` (``"YYYY-MM"``), that of the next, and ``"YYYYMM"``.

    Examples
    --------
    >>> _month("2026-12")
    (np.datetime64('2026-12-01T00:00:00'), np.datetime64('2027-01-01T00:00:00'), '202612')
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})", month) if isinstance(month, str) else None
    if m is None or not 1 <= int(m.group(2)) <= 12:
        msg = f"month must be a month as 'YYYY-MM' (such as '2026-11'), got {month!r}"
        raise ParameterError(msg)
    first = np.datetime64(month, "M")
    return first.astype("datetime64[s]"), (first + 1).astype("datetime64[s]"), m[1] + m[2]


def _rngs(seed: Any, tag: str, stream: int, names: tuple[str, ...]) -> dict[str, Any]:
    """Return one generator per name, seeded by ``seed``, the month and the stream."""
    root = np.random.SeedSequence([check_count("seed", seed), int(tag), stream])
    return {
        name: np.random.default_rng(child)
        for name, child in zip(names, root.spawn(len(names)), strict=True)
    }


def _metric_lines(frame: gpd.GeoDataFrame, crs: pyproj.CRS) -> ObjArray:
    """Return the geometries of ``frame`` in ``crs``, as an object array."""
    return np.asarray(frame.geometry.to_crs(crs).to_numpy(), dtype=object)


@dataclass(frozen=True)
class _Paths:
    """Lines as flat vertex arrays, to find points along them without shapely calls.

    ``along`` is the distance of every vertex along its line, plus the line's
    offset in one global count; the step between two parts of a multi-line, or
    two lines, has length 0, so a search never lands on it.
    """

    xy: FloatArray  # every vertex, line after line
    along: FloatArray  # global distance of each vertex (see above)
    first: IntArray  # per line: its first vertex
    last: IntArray  # per line: its last vertex

    @staticmethod
    def of(lines: ObjArray) -> _Paths:
        """Return the paths of ``lines`` (LineStrings or MultiLineStrings)."""
        parts, owner = shapely.get_parts(lines, return_index=True)
        xy, part = shapely.get_coordinates(parts, return_index=True)
        step = np.hypot(*np.diff(xy, axis=0).T) * (part[1:] == part[:-1])
        line = owner[part]
        count = np.bincount(line, minlength=len(lines))
        first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        return _Paths(
            xy=xy,
            along=np.concatenate([[0.0], np.cumsum(step)]),
            first=first,
            last=np.maximum(first + count - 1, first),
        )

    def frame(self, idx: IntArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return the point ``s`` metres along line ``idx`` and the unit normal to its left.

        ``s`` is clipped to the line; the normal is that of the segment holding
        the point.
        """
        start = self.along[self.first[idx]]
        target = start + np.clip(s, 0.0, self.along[self.last[idx]] - start)
        seg = np.searchsorted(self.along, target, side="right") - 1
        seg = np.clip(seg, self.first[idx], np.maximum(self.last[idx] - 1, self.first[idx]))
        nxt = np.minimum(seg + 1, self.last[idx])
        tangent = self.xy[nxt] - self.xy[seg]
        norm = np.hypot(tangent[:, 0], tangent[:, 1])
        tangent /= np.where(norm > 0, norm, 1.0)[:, None]
        at = self.xy[seg] + tangent * (target - self.along[seg])[:, None]
        return at, np.column_stack([-tangent[:, 1], tangent[:, 0]])


@dataclass(frozen=True)
class _Net:
    """The reaches in metres, sorted by ``reach_id``, with what the samplers need."""

    table: pd.DataFrame  # the reaches' columns, sorted by reach_id (no geometry)
    lines: ObjArray  # reach lines in the metric CRS
    paths: _Paths  # the same lines, for points along them
    length: FloatArray  # their metric lengths
    river: IntArray  # each reach's row in ``rivers`` (-1: none)
    chain: IntArray  # each reach's connected stretch of its river (see _chains)
    chain_m: FloatArray  # the stretches' lengths
    tree: shapely.STRtree  # of ``lines``
    rivers: pd.DataFrame  # river_id, name, chief_unit; sorted by river_id
    units: gpd.GeoDataFrame  # unit_id, level and geometry in the metric CRS
    land: shapely.STRtree  # of the bottom level's units
    metric: pyproj.CRS
    to_wgs: pyproj.Transformer

    def reach_ids(self, idx: IntArray) -> ObjArray:
        """Return the ``reach_id`` of reach positions, None for -1."""
        ids = _or_none(self.table["reach_id"])
        return np.asarray(ids[np.where(idx >= 0, idx, -1)], dtype=object)

    def kind(self, kind: str) -> IntArray:
        """Return the positions of the reaches of ``kind``."""
        return np.flatnonzero(self.table["kind"].to_numpy(dtype=object) == kind)

    def on_land(self, xy: FloatArray) -> BoolArray:
        """Tell which points lie in a unit of the bottom level."""
        pts = shapely.points(xy)
        hit = self.land.query(pts, predicate="within")[0]
        out = np.zeros(len(xy), dtype=bool)
        out[hit] = True
        return out

    def lonlat(self, xy: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return WGS84 longitude and latitude of metric points (NaN stays NaN)."""
        lon, lat = self.to_wgs.transform(xy[:, 0], xy[:, 1])
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _chains(
    table: pd.DataFrame, lines: ObjArray, length: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Return each reach's connected stretch of its river, and the stretches' lengths.

    A river's reaches, in chainage order, belong to one stretch while each ends
    within 1 m of where the next starts; a multi-part reach stands alone.
    """
    order = np.lexsort((table["from_m"].to_numpy(dtype=float), table["river_id"].astype("str")))
    parts = lines[order].copy()
    parts[shapely.get_type_id(parts) != 1] = None
    gap = shapely.distance(shapely.get_point(parts[:-1], -1), shapely.get_point(parts[1:], 0))
    river = table["river_id"].astype("str").to_numpy(dtype=object)[order]
    joined = (np.asarray(gap) < 1.0) & (river[1:] == river[:-1])  # NaN gap: not joined
    chain = np.empty(len(order), dtype=np.int64)
    chain[order] = np.concatenate([[0], np.cumsum(~joined)])
    return chain, np.asarray(np.bincount(chain, weights=length), dtype=float)


def _net(resp: Responsibility) -> _Net:
    """Return the reaches of ``resp`` ready for sampling (see :class:`_Net`)."""
    reaches = resp.reaches
    if reaches.crs is None:
        msg = "the responsibility's reaches have no CRS; set one (reaches.set_crs) first"
        raise CRSError(msg)
    if not len(reaches):
        msg = "the responsibility has no reaches to make tickets or patrols on"
        raise DataError(msg)
    metric = pyproj.CRS.from_user_input(resp.summary.get("metric_crs") or metric_crs(reaches))
    order = np.argsort(reaches["reach_id"].astype("str").to_numpy(dtype=object), kind="stable")
    reaches = reaches.iloc[order].reset_index(drop=True)
    lines = _metric_lines(reaches, metric)
    rivers = pd.DataFrame(
        {c: texts(resp.rivers[c]) for c in ("river_id", "name", "chief_unit")}
    ).astype("str")
    rivers["name"] = rivers["name"].fillna(rivers["river_id"])
    rivers = rivers.sort_values("river_id", kind="stable").reset_index(drop=True)
    units = resp.units if resp.units.crs is not None else resp.units.set_crs(reaches.crs)
    units = gpd.GeoDataFrame(
        {"unit_id": texts(units["unit_id"]), "level": texts(units["level"])},
        geometry=_metric_lines(units, metric),
        crs=metric,
    )
    bottom = units.geometry.to_numpy()[units["level"].to_numpy() == resp.levels[-1]]
    table = pd.DataFrame(reaches.drop(columns=reaches.geometry.name))
    length = np.asarray(shapely.length(lines), dtype=float)
    chain, chain_m = _chains(table, lines, length)
    return _Net(
        table=table,
        lines=lines,
        paths=_Paths.of(lines),
        length=length,
        chain=chain,
        chain_m=chain_m,
        river=pd.Index(rivers["river_id"]).get_indexer(reaches["river_id"].astype("str")),
        tree=shapely.STRtree(lines),
        rivers=rivers,
        units=units,
        land=shapely.STRtree(bottom),
        metric=metric,
        to_wgs=pyproj.Transformer.from_crs(metric, "EPSG:4326", always_xy=True),
    )


def _or_none(values: Any) -> ObjArray:
    """Return ``values`` as an object array with None appended (the value of index -1)."""
    return np.concatenate([np.asarray(values, dtype=object), np.array([None], dtype=object)])


def _weighted(pool: IntArray, weights: FloatArray, m: int, rng: Any) -> IntArray:
    """Draw ``m`` of ``pool`` with probability proportional to ``weights``."""
    w = np.maximum(weights, 0.0)
    p = w / w.sum() if w.sum() > 0 else None
    return np.asarray(rng.choice(pool, size=m, p=p), dtype=np.int64)


# =========================================================================== tickets
def _clear(net: _Net, xy: FloatArray, idx: IntArray, side: IntArray) -> BoolArray:
    """Tell which points have ``idx`` as their clearly nearest reach, on bank ``side``.

    Clearly: every other reach is at least ``_CLEAR_M`` farther. The bank is seen
    from the nearest point of the reach (+1 left of the flow, -1 right).
    """
    pts = shapely.points(xy)
    dist = shapely.distance(pts, net.lines[idx])
    inp, hit = net.tree.query(pts, predicate="dwithin", distance=dist + _CLEAR_M)
    ok = np.ones(len(xy), dtype=bool)
    ok[inp[hit != idx[inp]]] = False
    foot, normal = net.paths.frame(idx, shapely.line_locate_point(net.lines[idx], pts))
    seen = np.sign(np.einsum("ij,ij->i", xy - foot, normal))
    return ok & (seen == side)


def _near(
    net: _Net,
    pool: IntArray,
    k: int,
    offset: tuple[float, float],
    rng: Any,
    *,
    side: int = 0,
    off_land: bool = False,
) -> tuple[IntArray, FloatArray, IntArray]:
    """Draw ``k`` points ``offset`` metres off reaches of ``pool`` (drawn by length).

    ``side`` is +1 (left bank), -1 (right) or 0 (either, drawn). With ``off_land``
    the points must lie in no unit. Returns each point's reach, coordinates and
    bank; fewer than ``k`` when the reaches cannot hold them.
    """
    got: list[tuple[IntArray, FloatArray, IntArray]] = []
    need = k if len(pool) else 0
    for _ in range(_TRIES):
        if need == 0:
            break
        m = 2 * need + 16
        idx = _weighted(pool, net.length[pool], m, rng)
        sides = rng.choice([-1, 1], size=m) if side == 0 else np.full(m, side)
        at, normal = net.paths.frame(idx, rng.uniform(0.0, 1.0, m) * net.length[idx])
        xy = at + normal * (sides * rng.uniform(*offset, m))[:, None]
        ok = _clear(net, xy, idx, sides)
        if off_land:
            ok &= ~net.on_land(xy)
        keep = np.flatnonzero(ok)[:need]
        got.append((idx[keep], xy[keep], sides[keep]))
        need -= len(keep)
    if not got:
        return np.empty(0, np.int64), np.empty((0, 2)), np.empty(0, np.int64)
    return (
        np.concatenate([g[0] for g in got]),
        np.concatenate([g[1] for g in got]),
        np.concatenate([g[2] for g in got]),
    )


def _drafts(
    case: str,
    reach: IntArray,
    xy: FloatArray,
    *,
    side: IntArray | None = None,
    river: IntArray | None = None,
    board: ObjArray | None = None,
    named: BoolArray | None = None,
) -> pd.DataFrame:
    """Return draft tickets of one case: where they are and what they name."""
    n = len(xy)
    return pd.DataFrame(
        {
            "case": np.full(n, case, dtype=object),
            "reach": reach,
            "side": np.zeros(n, np.int64) if side is None else side,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "river": np.full(n, -1, np.int64) if river is None else river,
            "board": np.full(n, None, dtype=object) if board is None else board,
            "named": np.zeros(n, dtype=bool) if named is None else named,
        }
    )


def _on_reaches(net: _Net, case: str, k: int, rng: Any) -> pd.DataFrame:
    """Tickets of ``inside``, ``boundary_left``, ``boundary_right`` or ``outside``."""
    kind, offset, side = {
        "inside": ("inside", _INSIDE_M, 0),
        "boundary_left": ("boundary", _BOUNDARY_M, 1),
        "boundary_right": ("boundary", _BOUNDARY_M, -1),
        "outside": ("outside", _INSIDE_M, 0),
    }[case]
    pool = net.kind(kind)
    if case == "inside" and not len(pool):
        pool = net.kind("boundary")
    idx, xy, sides = _near(net, pool, k, offset, rng, side=side, off_land=case == "outside")
    return _drafts(case, idx, xy, side=sides, river=net.river[idx])


def _confluence_spots(net: _Net) -> FloatArray:
    """Middles of the gaps where reaches of two different rivers come within 50 m.

    One spot per pair of rivers and 100 m cell, so a long parallel stretch does not
    outweigh the rest.
    """
    i, j = net.tree.query(net.lines, predicate="dwithin", distance=_PAIR_M)
    keep = (i < j) & (net.river[i] != net.river[j])
    i, j = i[keep], j[keep]
    if not len(i):
        return np.empty((0, 2))
    gap = shapely.get_coordinates(shapely.shortest_line(net.lines[i], net.lines[j]))
    mid = gap.reshape(-1, 2, 2).mean(axis=1)
    key = pd.DataFrame(
        {
            "a": np.minimum(net.river[i], net.river[j]),
            "b": np.maximum(net.river[i], net.river[j]),
            "x": np.floor(mid[:, 0] / 100.0),
            "y": np.floor(mid[:, 1] / 100.0),
        }
    )
    return np.asarray(mid[~key.duplicated().to_numpy()], dtype=float)


def _confluence(net: _Net, k: int, rng: Any) -> pd.DataFrame:
    """Tickets within 30 m of a confluence; their reach is the nearest one (ties: first)."""
    spots = _confluence_spots(net)
    if not len(spots):
        return _drafts("confluence", np.empty(0, np.int64), np.empty((0, 2)))
    centre = spots[rng.integers(0, len(spots), k)]
    r = _CONFLUENCE_M * np.sqrt(rng.uniform(0.0, 1.0, k))
    angle = rng.uniform(0.0, 2 * np.pi, k)
    xy = centre + np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    # of reaches at the same distance (rivers drawn twice), the first by reach_id
    inp, hit = net.tree.query_nearest(shapely.points(xy), all_matches=True)
    nearest = pd.Series(hit).groupby(inp).min().to_numpy()
    return _drafts("confluence", nearest, xy, river=net.river[nearest])


def _clear_of_reaches(net: _Net, xy: FloatArray, metres: float) -> BoolArray:
    """Tell which points have no reach within ``metres`` (boxes first, then distances)."""
    boxes = shapely.box(xy[:, 0] - metres, xy[:, 1] - metres, xy[:, 0] + metres, xy[:, 1] + metres)
    ok = np.ones(len(xy), dtype=bool)
    near = np.unique(net.tree.query(boxes)[0])
    close = net.tree.query(shapely.points(xy[near]), predicate="dwithin", distance=metres)[0]
    ok[near[close]] = False
    return ok


def _far(net: _Net, k: int, rng: Any) -> pd.DataFrame:
    """Tickets 500–3000 m from every reach, in a unit where the first 3 rounds find some.

    Points are thrown from reaches (drawn by length) in random directions; the
    batch grows as the share that lands far enough shrinks.
    """
    pool = np.arange(len(net.lines))
    found: list[FloatArray] = []
    need = k
    rate = 0.25  # share of the points thrown that land far enough, updated each round
    for attempt in range(_TRIES):
        if need == 0:
            break
        m = int(min(100_000, 1.5 * need / rate + 32))
        idx = _weighted(pool, net.length, m, rng)
        at, _ = net.paths.frame(idx, rng.uniform(0.0, 1.0, m) * net.length[idx])
        angle = rng.uniform(0.0, 2 * np.pi, m)
        dist = rng.uniform(*_FAR_M, m)
        xy = at + dist[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
        ok = _clear_of_reaches(net, xy, _FAR_M[0] + 5.0)
        rate = max(float(ok.mean()), 0.01)
        if attempt < 3:
            ok[ok] = net.on_land(xy[ok])
        keep = np.flatnonzero(ok)[:need]
        found.append(xy[keep])
        need -= len(keep)
    xy = np.concatenate(found) if found else np.empty((0, 2))
    return _drafts("far", np.full(len(xy), -1, np.int64), xy)


def _river_pool(net: _Net, *, boards: bool) -> IntArray:
    """Reaches (not outside) of rivers known to ``resp.rivers``, with a chief unit if ``boards``."""
    ok = (net.table["kind"].to_numpy(dtype=object) != "outside") & (net.river >= 0)
    if boards:
        unit = net.rivers["chief_unit"].notna().to_numpy()
        ok &= np.append(unit, False)[net.river]
    return np.flatnonzero(ok)


def _no_location(net: _Net, k: int, rng: Any) -> pd.DataFrame:
    """Tickets without coordinates; the first half name a river (drawn by length)."""
    pool = _river_pool(net, boards=False)
    named = np.arange(k) < (k + 1) // 2
    if not len(pool):
        named[:] = False
    river = np.full(k, -1, np.int64)
    if named.any():
        river[named] = net.river[_weighted(pool, net.length[pool], int(named.sum()), rng)]
    return _drafts(
        "no_location", np.full(k, -1, np.int64), np.full((k, 2), np.nan), river=river, named=named
    )


def _qr(net: _Net, k: int, rng: Any) -> pd.DataFrame:
    """Signboard scans: the board of the river's chief unit; a quarter without a location."""
    pool = _river_pool(net, boards=True)
    unplaced = max(1, k // 4) if len(pool) else 0
    idx, xy, sides = _near(net, pool, k - unplaced, _INSIDE_M, rng)
    lost = _weighted(pool, net.length[pool], unplaced, rng) if unplaced else idx[:0]
    river = net.river[np.concatenate([idx, lost])]
    board = (
        net.rivers["chief_unit"].to_numpy(dtype=object)[river]
        + ":"
        + net.rivers["river_id"].to_numpy(dtype=object)[river]
    )
    return _drafts(
        "qr",
        np.concatenate([idx, np.full(len(lost), -1, np.int64)]),
        np.concatenate([xy, np.full((len(lost), 2), np.nan)]),
        side=np.concatenate([sides, np.zeros(len(lost), np.int64)]),
        river=river,
        board=np.asarray(board, dtype=object),
    )


def _declared(net: _Net, k: int, rng: Any) -> pd.DataFrame:
    """Tickets that name their river and lie 2–60 m off one of its reaches."""
    pool = _river_pool(net, boards=False)
    idx, xy, sides = _near(net, pool, k, _INSIDE_M, rng)
    named = np.ones(len(idx), dtype=bool)
    return _drafts("declared", idx, xy, side=sides, river=net.river[idx], named=named)


def _case_counts(n: int) -> dict[str, int]:
    """Tickets per case for ``n`` tickets: shares of ``n``, at least 3 each, the rest inside."""
    counts = {c: max(_MIN_PER_CASE, int(share * n)) for c, share in _EVENT_SHARES.items()}
    return {"inside": n - sum(counts.values()), **counts}


def _placed(net: _Net, counts: dict[str, int], rngs: dict[str, Any]) -> pd.DataFrame:
    """Draft tickets of every case but duplicates; inside takes what the others lack."""
    special = {
        "confluence": _confluence,
        "far": _far,
        "no_location": _no_location,
        "qr": _qr,
        "declared": _declared,
    }
    parts = []
    for case in EVENT_CASES[1:-1]:
        if case in special:
            parts.append(special[case](net, counts[case], rngs[case]))
        else:
            parts.append(_on_reaches(net, case, counts[case], rngs[case]))
    short = sum(counts[c] for c in EVENT_CASES[1:-1]) - sum(len(p) for p in parts)
    parts.insert(0, _on_reaches(net, "inside", counts["inside"] + short, rngs["inside"]))
    return pd.concat(parts, ignore_index=True)


def _report_times(n: int, start: np.datetime64, end: np.datetime64, rng: Any) -> Any:
    """``n`` report times in the month, to the minute, in the hours of a hotline's day."""
    days = int((end - start) // np.timedelta64(1, "D"))
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 60, n)
    seconds = rng.integers(0, days, n) * 86400 + hour * 3600 + minute * 60
    return start + seconds.astype("timedelta64[s]")


def _draw(table: dict[str, float], n: int, rng: Any) -> ObjArray:
    """Draw ``n`` codes of ``table`` ({code: share})."""
    codes = np.array(list(table), dtype=object)
    p = np.array(list(table.values()))
    return np.asarray(codes[rng.choice(len(codes), size=n, p=p / p.sum())], dtype=object)


def _duplicates(drafts: pd.DataFrame, k: int, end: np.datetime64, rng: Any) -> pd.DataFrame:
    """Copy ``k`` located tickets: 5–20 m away, 1–48 h later, the same category."""
    hour = np.timedelta64(3600, "s")
    ok = np.flatnonzero(
        drafts["x"].notna().to_numpy() & (drafts["reported"].to_numpy() < end - 2 * hour)
    )
    if not len(ok) or not k:
        return drafts.iloc[:0]
    of = np.sort(rng.choice(ok, size=k, replace=k > len(ok)))
    out = drafts.iloc[of].reset_index(drop=True)
    dist = rng.uniform(*_DUPLICATE_M, k)
    angle = rng.uniform(0.0, 2 * np.pi, k)
    out["x"] = out["x"].to_numpy() + dist * np.cos(angle)
    out["y"] = out["y"].to_numpy() + dist * np.sin(angle)
    left = (end - out["reported"].to_numpy()).astype("timedelta64[s]").astype(np.int64)
    room = left / 3600.0 - 1.0 / 60
    late = rng.uniform(_DUPLICATE_H[0], np.minimum(_DUPLICATE_H[1], room))
    out["reported"] = out["reported"].to_numpy() + (np.round(late * 60) * 60).astype(
        "timedelta64[s]"
    )
    # reported again by someone else: by location only, no board code or river name
    return out.assign(
        case="duplicate", side=0, board=None, named=False, of=drafts["key"].to_numpy()[of]
    )


def _ticket_fields(drafts: pd.DataFrame, rng: Any) -> pd.DataFrame:
    """Add source, status, deadline and closing time (to the minute) to the drafts."""
    n = len(drafts)
    source = _draw(_SOURCES, n, rng)
    source[drafts["case"].to_numpy(dtype=object) == "qr"] = "qr"
    status = _draw(_STATUSES, n, rng)
    reported = drafts["reported"].to_numpy()
    allowed = rng.integers(3, 16, n) * 86400
    late = rng.random(n) < 0.2
    took = np.where(
        late,
        allowed + rng.uniform(3600, 7 * 86400, n),
        rng.uniform(3600, allowed),
    )
    closed = _office_hours(reported + took.astype("timedelta64[s]"), reported, rng)
    closed[~np.isin(status, _CLOSED)] = np.datetime64("NaT")
    return drafts.assign(
        source=source,
        status=status,
        deadline=reported + allowed.astype("timedelta64[s]"),
        closed=closed,
    )


def _office_hours(when: Any, after: Any, rng: Any) -> Any:
    """Move times to a minute of 08:00–18:00 on their day (the next day if not ``after``)."""
    day = when.astype("datetime64[D]").astype("datetime64[s]")
    minute = rng.integers(8 * 60, 18 * 60, len(when)) * 60
    out = day + minute.astype("timedelta64[s]")
    return np.where(out > after, out, out + np.timedelta64(1, "D"))


def _descriptions(drafts: pd.DataFrame, net: _Net, rng: Any) -> ObjArray:
    """Describe each ticket in Chinese: who reports, where (and on which river), what."""
    n = len(drafts)

    def pick(key: str) -> ObjArray:
        words = np.array(_PLACES[key], dtype=object)
        return np.asarray(words[rng.integers(0, len(words), n)], dtype=object)

    lead = pick("lead")
    patrol = drafts["source"].to_numpy(dtype=object) == "patrol"
    lead[patrol] = term("source.patrol", "zh") + _PLACES["colon"][0]
    names = np.append(net.rivers["name"].to_numpy(dtype=object), "")
    river = np.where(drafts["named"].to_numpy(), names[drafts["river"].to_numpy()], "")
    what = np.empty(n, dtype=object)
    category = drafts["category"].to_numpy(dtype=object)
    for code in _CATEGORIES:
        here = np.flatnonzero(category == code)
        words = np.array(_PLACES[code], dtype=object)
        what[here] = words[rng.integers(0, len(words), len(here))]
    return np.asarray(lead + river + pick("where") + what + pick("tail"), dtype=object)


def _minutes_text(values: Any) -> pd.Series:
    """Return times as ``YYYY-MM-DD HH:MM`` text; NaT as missing."""
    return pd.Series(pd.to_datetime(values)).dt.strftime("%Y-%m-%d %H:%M")


def _words(codes: ObjArray, family: str) -> pd.Series:
    """Return the Chinese words of codes of a family of terms (``source``, ``status`` …)."""
    lookup = {c: term(f"{family}.{c}", "zh") for c in pd.unique(codes)}
    return pd.Series(codes, dtype=object).map(lookup)


def _ticket_table(net: _Net, drafts: pd.DataFrame, tag: str) -> pd.DataFrame:
    """Return the export: ids in report order, Chinese headers, GCJ-02; ``attrs["truth"]``."""
    drafts = drafts.sort_values(["reported", "case"], kind="stable").reset_index(drop=True)
    width = max(5, len(str(len(drafts))))
    ids = np.array([f"SYN-{tag}-{i:0{width}d}" for i in range(1, len(drafts) + 1)], dtype=object)
    lon, lat = net.lonlat(drafts[["x", "y"]].to_numpy(dtype=float))
    glon, glat = wgs84_to_gcj02(lon, lat)
    names = _or_none(net.rivers["name"])
    columns = {
        "event_id": ids,
        "reported_at": _minutes_text(drafts["reported"]),
        "source": _words(drafts["source"].to_numpy(dtype=object), "source"),
        "category": _words(drafts["category"].to_numpy(dtype=object), "category"),
        "status": _words(drafts["status"].to_numpy(dtype=object), "status"),
        "deadline": _minutes_text(drafts["deadline"]),
        "closed_at": _minutes_text(drafts["closed"]),
        "description": drafts["description"].to_numpy(dtype=object),
        "lon": np.round(glon, 6),
        "lat": np.round(glat, 6),
        "river_hint": names[np.where(drafts["named"], drafts["river"], -1)],
        "board_hint": drafts["board"].to_numpy(dtype=object),
        "synthetic": _note(),
    }
    headers = {c: term(f"col.{c}", "zh") for c in columns}
    headers["river_hint"] = term("ui.river", "zh")  # 河流, as offices write it
    table = pd.DataFrame({headers[c]: v for c, v in columns.items()})
    rivers = _or_none(net.rivers["river_id"])
    table.attrs["truth"] = pd.DataFrame(
        {
            "event_id": ids,
            "case": drafts["case"].to_numpy(dtype=object),
            "reach_id": net.reach_ids(drafts["reach"].to_numpy()),
            "river_id": rivers[drafts["river"].to_numpy()],
            "side": np.array([None, "left", "right"], dtype=object)[drafts["side"].to_numpy()],
            "true_lon": lon,
            "true_lat": lat,
            "duplicate_of": _originals(drafts, ids),
        }
    )
    return table


def _originals(drafts: pd.DataFrame, ids: ObjArray) -> ObjArray:
    """Return the id of each duplicate's original (None for the others)."""
    position = pd.Series(np.arange(len(drafts)), index=drafts["key"].to_numpy())
    of = drafts["of"].to_numpy(dtype=float)
    copy = ~np.isnan(of)
    out = np.full(len(drafts), None, dtype=object)
    out[copy] = ids[position.loc[of[copy]].to_numpy()]
    return out


def make_events(
    resp: Responsibility, *, month: str = "2026-11", n: int = 300, seed: int = 0
) -> pd.DataFrame:
    """Make a month of synthetic hotline tickets (工单) on the rivers of ``resp``.

    See the module's description for how each case is made.

    Parameters
    ----------
    resp
        A responsibility (any CRS; its reaches, rivers and units are read).
    month
        The month, ``"YYYY-MM"``; report times fall in it (local time, UTC+8).
    n
        Number of tickets, at least 30 (3 of each case). Fewer come back only when
        the reaches cannot hold the located ones.
    seed
        Seed of the random draws; the same arguments give the same table.

    Returns
    -------
    pandas.DataFrame
        One row per ticket, in report order, as an office exports it, with the
        Chinese headers of ``col.event_id`` … : 工单编号 (``SYN-YYYYMM-00001`` …),
        上报时间, 来源, 问题类型, 状态, 办理时限, 办结时间 (text ``YYYY-MM-DD HH:MM``,
        办结时间 empty for open tickets), 问题描述, 经度 and 纬度 (GCJ-02, 6
        decimals; empty without a location), 填报河流 (a river's name or empty),
        公示牌编号 (``unit_id:river_id`` or empty) and 数据说明 (the synthetic-data
        note). ``attrs["truth"]`` holds per ticket, in the same order,
        ``event_id``, ``case`` (one of :data:`EVENT_CASES`), ``reach_id`` (the
        reach meant, None where none), ``river_id``, ``side`` (``"left"``,
        ``"right"`` or None), ``true_lon`` and ``true_lat`` (WGS84, before the
        GCJ-02 shift and rounding) and ``duplicate_of`` (the original's id).

    Raises
    ------
    ParameterError
        If ``month`` is not ``"YYYY-MM"``, ``n`` is below 30 or ``seed`` negative.
    CRSError
        If the reaches have no CRS.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> events = make_events(resp, n=60, seed=1)
    >>> events.columns.tolist()[:4], len(events)
    (['工单编号', '上报时间', '来源', '问题类型'], 60)
    >>> events["工单编号"].iloc[0], events["上报时间"].iloc[0][:7]
    ('SYN-202611-00001', '2026-11')
    >>> sorted(events.attrs["truth"]["case"].unique()) == sorted(EVENT_CASES)
    True
    """
    start, end, tag = _month(month)
    count = check_count("n", n)
    if count < _MIN_EVENTS:
        msg = f"n must be at least {_MIN_EVENTS} (3 tickets of each case), got {n!r}"
        raise ParameterError(msg)
    rngs = _rngs(seed, tag, 0, (*EVENT_CASES, "times", "fields", "words"))
    net = _net(resp)
    counts = _case_counts(count)
    drafts = _placed(net, counts, rngs)
    drafts["reported"] = _report_times(len(drafts), start, end, rngs["times"])
    drafts["category"] = _draw(_CATEGORIES, len(drafts), rngs["times"])
    drafts["of"] = np.nan
    drafts["key"] = np.arange(len(drafts), dtype=float)
    copies = _duplicates(drafts, counts["duplicate"], end, rngs["duplicate"])
    copies = copies.assign(key=-1.0 - np.arange(len(copies)))
    drafts = pd.concat([drafts, copies], ignore_index=True)
    drafts = _ticket_fields(drafts, rngs["fields"])
    drafts["description"] = _descriptions(drafts, net, rngs["words"])
    return _ticket_table(net, drafts, tag)


# =========================================================================== patrols
def _parts(values: Any) -> pd.DataFrame:
    """Split ``"A;B"`` cells: one row per part with its reach, position and count."""
    cells = pd.Series(texts(values, ""), dtype=object).str.split(";").explode()
    reach = cells.index.to_numpy(dtype=np.int64)
    pos = cells.groupby(level=0).cumcount().to_numpy()
    count = np.bincount(reach, minlength=len(values))[reach]
    return pd.DataFrame(
        {"reach": reach, "pos": pos, "count": count, "value": cells.to_numpy(dtype=object)}
    )


def _bank(net: _Net) -> IntArray:
    """Per reach, the only bank with a unit: +1 left, -1 right, 0 both or neither."""
    left = net.table["left_unit"].notna().to_numpy()
    right = net.table["right_unit"].notna().to_numpy()
    boundary = net.table["kind"].to_numpy(dtype=object) == "boundary"
    return np.asarray(boundary * (left.astype(np.int64) - right.astype(np.int64)), dtype=np.int64)


def _named(net: _Net, levels: tuple[str, ...]) -> pd.DataFrame:
    """Who each reach names as its chief at each level: name, phone, level, reach, side.

    A boundary reach names ``"LEFT;RIGHT"``: side +1 for the left bank's chief, -1
    for the right's; 0 where one person holds the whole reach.
    """
    bank = _bank(net)
    parts = []
    for lv in levels:
        col = f"chief_{lv}"
        if col not in net.table.columns:
            continue
        names = _parts(net.table[col])
        phones = _parts(net.table.get(f"{col}_phone", pd.Series("", index=net.table.index)))
        both = names.merge(
            phones[["reach", "pos", "value"]], on=["reach", "pos"], how="left", suffixes=("", "_p")
        )
        # one person for both banks: walk the bank inside the units, if only one is
        side = np.where(both["count"] == 2, np.where(both["pos"] == 0, 1, -1), 0)
        side = np.where(side == 0, bank[both["reach"].to_numpy()], side)
        parts.append(
            pd.DataFrame(
                {
                    "name": both["value"].to_numpy(dtype=object),
                    "phone": texts(both["value_p"], ""),
                    "level": lv,
                    "reach": both["reach"].to_numpy(),
                    "side": side,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[out["name"].fillna("") != ""] if len(out) else out


def _roster_rows(resp: Responsibility) -> pd.DataFrame:
    """Return the roster's rows as text: name, phone, unit_id, level, rank (0: bottom)."""
    roster = resp.roster
    if roster is None:
        msg = (
            "make_patrols needs the chief roster: the people who patrol are its people; "
            "add one with resp.with_chiefs(roster)"
        )
        raise SchemaError(msg)
    rows = pd.DataFrame(
        {c: texts(roster[c], "") for c in ("name", "phone", "unit_id", "level")}, dtype=object
    )
    rank = {lv: len(resp.levels) - 1 - i for i, lv in enumerate(resp.levels)}
    rows = rows[(rows["name"] != "") & rows["level"].isin(rank)]
    return rows.assign(rank=rows["level"].map(rank).astype(np.int64))


def _holdings(rows: pd.DataFrame, net: _Net, levels: tuple[str, ...]) -> pd.DataFrame:
    """Who holds which reach: name, phone, reach, side (of the roster ``rows``).

    A person holds the reaches that name them; a person named on none (a deputy)
    holds the reaches of their unit at their level. Reaches shorter than 200 m
    are left out: a walk on one would mostly leave it.
    """
    key = ["name", "phone", "level"]
    named = _named(net, levels)
    named = named.merge(rows[key].drop_duplicates(), on=key) if len(named) else named
    units = pd.concat(
        [pd.DataFrame({"level": lv, "unit_id": texts(net.table[lv], "")}) for lv in levels]
    )
    units["reach"] = np.tile(np.arange(len(net.table)), len(levels))
    who = rows["name"] + "\x1f" + rows["phone"]
    has = set(named["name"] + "\x1f" + named["phone"]) if len(named) else set()
    deputies = rows[~who.isin(has)].merge(units[units["unit_id"] != ""], on=["level", "unit_id"])
    deputies = deputies.assign(side=_bank(net)[deputies["reach"].to_numpy()])
    cols = ["name", "phone", "reach", "side"]
    held = pd.concat([named[cols], deputies[cols]] if len(named) else [deputies[cols]])
    held = held[net.length[held["reach"].to_numpy()] >= _MIN_REACH_M]
    return held.drop_duplicates(["name", "phone", "reach"], ignore_index=True)


def _people(resp: Responsibility, net: _Net) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the roster's people who hold reaches, and the reaches each holds.

    Returns ``people`` (name, phone, rank: their lowest level, 0 the bottom; units:
    their unit ids) sorted by name and phone, and ``held`` (person: row of
    ``people``, reach, side: the bank they walk, 0 either) sorted by person.
    """
    rows = _roster_rows(resp)
    held = _holdings(rows, net, resp.levels)
    grouped = rows.groupby(["name", "phone"], sort=True)
    people = pd.DataFrame(
        {"rank": grouped["rank"].min(), "units": grouped["unit_id"].agg(lambda u: sorted(set(u)))}
    )
    holders = pd.MultiIndex.from_frame(held[["name", "phone"]])
    people = people[people.index.isin(holders)].reset_index()
    held = pd.DataFrame(
        {
            "person": pd.MultiIndex.from_frame(people[["name", "phone"]]).get_indexer(holders),
            "reach": held["reach"].to_numpy(),
            "side": held["side"].to_numpy(),
        }
    )
    return people, held.sort_values(["person", "reach"], kind="stable").reset_index(drop=True)


def _pick_within(groups: IntArray, weights: FloatArray, draw: IntArray, rng: Any) -> IntArray:
    """For each group in ``draw``, a row of that group drawn by ``weights``.

    ``groups`` is sorted and every group drawn has a row. One searchsorted over the
    cumulative weights, each group's scaled to (0, 1] and shifted by its number.
    """
    w = np.maximum(weights, 1e-9)
    total = np.bincount(groups, weights=w)
    cum = pd.Series(w).groupby(groups).cumsum().to_numpy() / total[groups]
    return np.asarray(
        np.searchsorted(groups + cum, draw + rng.uniform(1e-9, 1.0, len(draw))), dtype=np.int64
    )


def _schedule(
    people: pd.DataFrame, held: pd.DataFrame, net: _Net, days: int, rng: Any
) -> tuple[pd.DataFrame, BoolArray]:
    """One row per patrol at each person's rhythm; and who never patrols (about 15 %).

    Bottom level 4–5 patrols a month, the level above 2, higher levels 1, each on a
    day of its own stretch of the month, on a reach the person holds (by length).
    """
    n = len(people)
    never = np.zeros(n, dtype=bool)
    if n >= 3:
        never[rng.choice(n, size=max(1, round(_NEVER_SHARE * n)), replace=False)] = True
    rank = people["rank"].to_numpy()
    per = np.array([4, 2, 1])[np.minimum(rank, 2)] + (rank == 0) * rng.integers(0, 2, n)
    per[never] = 0
    person = np.repeat(np.arange(n), per)
    k = np.arange(len(person)) - np.repeat(np.cumsum(per) - per, per)
    day = np.floor((k + rng.uniform(0.0, 1.0, len(person))) * days / per[person])
    row = _pick_within(
        held["person"].to_numpy(),
        net.length[held["reach"].to_numpy()],
        person,
        rng,
    )
    plan = pd.DataFrame(
        {
            "person": person,
            "name": people["name"].to_numpy(dtype=object)[person],
            "case": "normal",
            "reach": held["reach"].to_numpy()[row],
            "side": held["side"].to_numpy()[row],
            "day": day.astype(np.int64),
        }
    )
    return plan, never


def _foreign(net: _Net, levels: pd.DataFrame, units: list[str], near: int) -> int:
    """Return the inside reach nearest ``near`` in none of ``units`` (-1: none).

    ``levels`` holds the reaches' unit at every level. Reaches within 2 km are
    searched first, then all.
    """
    inside = net.table["kind"].to_numpy(dtype=object) == "inside"
    inside &= net.length >= _MIN_REACH_M
    close = net.tree.query(net.lines[near], predicate="dwithin", distance=2000.0)
    for found in (close[inside[close]], np.flatnonzero(inside)):
        cand = found[~levels.iloc[found].isin(units).any(axis=1).to_numpy()]
        if len(cand):
            return int(cand[np.argmin(shapely.distance(net.lines[cand], net.lines[near]))])
    return -1


def _outside_units(
    plan: pd.DataFrame, people: pd.DataFrame, net: _Net, levels: tuple[str, ...], k: int, rng: Any
) -> None:
    """Turn ``k`` normal patrols of bottom-level people into walks on a foreign reach."""
    normal = plan["case"].to_numpy() == "normal"
    bottom = people["rank"].to_numpy()[plan["person"].to_numpy()] == 0
    order = rng.permutation(np.flatnonzero(normal & bottom))
    person = plan["person"].to_numpy()
    reach = plan["reach"].to_numpy()
    table = net.table[list(levels)]
    done = 0
    for i in order[: 4 * k]:
        if done == k or normal.sum() - done <= 1:
            break
        other = _foreign(net, table, people["units"].iloc[person[i]], int(reach[i]))
        if other >= 0:
            plan.loc[i, ["case", "reach", "side"]] = ("outside_units", other, 0)
            done += 1


def _anchors(
    plan: pd.DataFrame, rows: IntArray, people: pd.DataFrame, net: _Net, rng: Any
) -> FloatArray:
    """Find a point 700–1100 m from every reach, thrown from each row's reach (NaN: none).

    Each of 12 tries throws 16 points per row still without one; for the first
    half the point must also lie in the person's units.
    """
    geoms = net.units.geometry.to_numpy()
    own = np.array(
        [
            shapely.union_all(geoms[net.units["unit_id"].isin(people["units"].iloc[p]).to_numpy()])
            for p in plan["person"].to_numpy()[rows]
        ],
        dtype=object,
    )
    out = np.full((len(rows), 2), np.nan)
    for attempt in range(12):
        todo = np.flatnonzero(np.isnan(out[:, 0]))
        if not len(todo):
            break
        row = np.repeat(todo, 16)
        reach = plan["reach"].to_numpy()[rows][row]
        at, _ = net.paths.frame(reach, rng.uniform(0.0, 1.0, len(row)) * net.length[reach])
        angle = rng.uniform(0.0, 2 * np.pi, len(row))
        away = rng.uniform(700.0, 1100.0, (len(row), 1))
        xy = at + away * np.column_stack([np.cos(angle), np.sin(angle)])
        pts = shapely.points(xy)
        ok = np.ones(len(row), dtype=bool)
        ok[net.tree.query(pts, predicate="dwithin", distance=700.0)[0]] = False
        ok &= (attempt >= 6) | shapely.contains(own[row], pts)
        first = np.unique(row[ok], return_index=True)
        out[first[0]] = xy[np.flatnonzero(ok)[first[1]]]
    return out


def _specials(
    plan: pd.DataFrame, people: pd.DataFrame, net: _Net, levels: tuple[str, ...], rng: Any
) -> FloatArray:
    """Turn some normal patrols into the special cases; return the off-river anchors.

    Each special case takes about 4 % of the patrols (at least one while a normal
    patrol is left); drives only on rivers with a connected stretch of 3 km. An
    ``off_river`` patrol with no anchor found stays normal. Anchors are NaN but
    for ``off_river`` patrols.
    """
    k = max(1, round(_SPECIAL_SHARE * len(plan)))
    _outside_units(plan, people, net, levels, k, rng)
    anchor = np.full((len(plan), 2), np.nan)
    stretch = net.chain_m[net.chain[plan["reach"].to_numpy()]]
    for case in ("off_river", "drive_by", "short", "one_point", "out_of_order"):
        normal = np.flatnonzero(plan["case"].to_numpy() == "normal")
        pool = normal[stretch[normal] >= _DRIVE_MIN_M] if case == "drive_by" else normal
        size = min(k, len(pool), max(0, len(normal) - 1))
        take = np.sort(rng.choice(pool, size=size, replace=False))
        if case == "off_river":
            anchor[take] = _anchors(plan, take, people, net, rng)
            take = take[~np.isnan(anchor[take, 0])]
        plan.loc[take, "case"] = case
    return anchor


def _unknown(
    plan: pd.DataFrame, resp: Responsibility, net: _Net, days: int, rng: Any
) -> pd.DataFrame:
    """Patrols (about 3 %, at least one) by people whose names are not in the roster."""
    k = max(1, round(0.75 * _SPECIAL_SHARE * len(plan)))
    known = set(texts(resp.roster["name"], "")) if resp.roster is not None else set()
    names = [s + g for s in _PLACES["surname"] for g in _PLACES["given"] if s + g not in known]
    pool = np.flatnonzero(net.table["kind"].to_numpy() != "outside")
    long = pool[net.length[pool] >= _MIN_REACH_M]
    inside = long[net.table["kind"].to_numpy()[long] == "inside"]
    pool = inside if len(inside) else long if len(long) else pool
    return pd.DataFrame(
        {
            "person": -1,
            "name": rng.choice(np.array(names, dtype=object), size=k, replace=k > len(names)),
            "case": "unknown_person",
            "reach": _weighted(pool, net.length[pool], k, rng),
            "side": 0,
            "day": rng.integers(0, days, k),
        }
    )


def _motion(plan: pd.DataFrame, net: _Net, rng: Any) -> pd.DataFrame:
    """How each patrol moves: mode, speed, distance, offset from the line, logging, error."""
    n = len(plan)
    case = plan["case"].to_numpy(dtype=object)
    side = plan["side"].to_numpy()
    boat = (rng.random(n) < _BOAT_SHARE) & (side == 0)
    boat &= np.isin(case, ("normal", "out_of_order", "outside_units", "unknown_person"))
    mode = np.where(boat, "boat", "walk").astype(object)
    mode[case == "drive_by"] = "car"
    kmh = np.select(
        [mode == "boat", mode == "car"],
        [rng.uniform(*_BOAT_KMH, n), rng.uniform(*_CAR_KMH, n)],
        rng.uniform(*_WALK_KMH, n),
    )
    reach_km = net.length[plan["reach"].to_numpy()] / 1000.0
    km = np.minimum(rng.uniform(*_WALK_KM, n), np.maximum(_WALK_KM[0], 2.0 * reach_km))
    radius = rng.uniform(150.0, 300.0, n)
    km = np.where(case == "off_river", 2 * np.pi * radius / 1000.0, km)
    km = np.maximum(km, kmh * _MIN_MINUTES / 60.0)
    km = np.where(mode == "car", kmh * rng.uniform(*_CAR_MINUTES, n) / 60.0, km)
    short = case == "short"
    km[short] = rng.uniform(0.15, 0.28, int(short.sum()))
    kmh[short] = km[short] / (rng.uniform(3.0, 8.0, int(short.sum())) / 60.0)
    interval = rng.integers(_INTERVAL_S[0], _INTERVAL_S[1] + 1, n)
    points = np.maximum(2, np.ceil(km / kmh * 3600.0 / interval) + 1).astype(np.int64)
    points[case == "one_point"] = 1
    bank = np.where(side != 0, side, rng.choice([-1, 1], size=n))
    offset = bank * np.where(side != 0, rng.uniform(12.0, 25.0, n), rng.uniform(3.0, 15.0, n))
    offset = np.where(mode == "boat", rng.uniform(-3.0, 3.0, n), offset)
    offset = np.where(mode == "car", bank * rng.uniform(10.0, 25.0, n), offset)
    return pd.DataFrame(
        {
            "mode": mode,
            "speed": kmh / 3.6,
            "metres": km * 1000.0,
            "radius": radius,
            "interval": interval,
            "points": points,
            "offset": offset,
            "sigma": rng.uniform(*_JITTER_M, n),
            "start": rng.integers(8 * 3600, 17 * 3600 + 1, n),
        }
    )


def _river_line(net: _Net, reach: int, metres: float, rng: Any) -> tuple[Any, float, int]:
    """Return the connected stretch of ``reach``'s river as one line, a start and a direction.

    The start is on ``reach``; the direction is downstream when the rest of the
    line is ``metres`` long.
    """
    rows = np.flatnonzero(net.chain == net.chain[reach])
    rows = rows[np.argsort(net.table["from_m"].to_numpy(dtype=float)[rows], kind="stable")]
    line = shapely.linestrings(shapely.get_coordinates(net.lines[rows]))
    before = net.length[rows][: int(np.flatnonzero(rows == reach)[0])].sum()
    s0 = before + rng.uniform(0.0, net.length[reach])
    return line, float(s0), 1 if shapely.length(line) - s0 >= metres else -1


def _reflect(x: FloatArray, size: FloatArray) -> FloatArray:
    """Fold distances ``x`` into ``[0, size]`` (walking out and back along a line)."""
    span = np.maximum(size, 1e-9)
    u = np.mod(x, 2 * span)
    return np.asarray(np.where(u > span, 2 * span - u, u), dtype=float)


def _jitter(t: FloatArray, pid: IntArray, sigma: FloatArray, rng: Any) -> FloatArray:
    """GPS error: per track and axis three slow sinusoids of RMS ``sigma``, plus 1 m noise."""
    n = len(sigma)
    period = rng.uniform(180.0, 900.0, (n, 2, 3))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 2, 3))
    wave = np.sin(2 * np.pi * t[:, None, None] / period[pid] + phase[pid]).sum(axis=2)
    return np.asarray(
        wave * (sigma * np.sqrt(2.0 / 3.0))[pid][:, None] + rng.normal(0.0, 1.0, (len(t), 2)),
        dtype=float,
    )


def _tracks(
    plan: pd.DataFrame, motion: pd.DataFrame, anchor: FloatArray, net: _Net, rng: Any
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every point of every patrol: its patrol, seconds from the start, metric coordinates."""
    count = motion["points"].to_numpy()
    pid = np.repeat(np.arange(len(plan)), count)
    k = np.arange(len(pid)) - np.repeat(np.cumsum(count) - count, count)
    t = k * motion["interval"].to_numpy()[pid] + np.where(k > 0, rng.integers(0, 2, len(pid)), 0)
    reach = plan["reach"].to_numpy()
    lines = net.lines[reach].copy()
    s0 = rng.uniform(0.0, 1.0, len(plan)) * net.length[reach]
    way = rng.choice([-1, 1], size=len(plan))
    case = plan["case"].to_numpy(dtype=object)
    metres = motion["metres"].to_numpy(dtype=float)
    for i in np.flatnonzero(case == "drive_by"):
        lines[i], s0[i], way[i] = _river_line(net, reach[i], metres[i], rng)
    speed = motion["speed"].to_numpy()
    travel = s0[pid] + (way * speed)[pid] * t
    at, normal = _Paths.of(lines).frame(pid, _reflect(travel, shapely.length(lines)[pid]))
    xy = at + normal * motion["offset"].to_numpy()[pid][:, None]
    loop = case[pid] == "off_river"
    if loop.any():
        radius = motion["radius"].to_numpy()[pid[loop]]
        theta = (way * speed)[pid[loop]] * t[loop] / radius + s0[pid[loop]]
        r = radius * (1.0 + 0.15 * np.sin(3.0 * theta))
        xy[loop] = anchor[pid[loop]] + r[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    xy += _jitter(t.astype(float), pid, motion["sigma"].to_numpy(), rng)
    for i in np.flatnonzero(case == "out_of_order"):
        first = int(np.searchsorted(pid, i))
        a = first + int(rng.integers(1, count[i] - 5))
        b = a + int(rng.integers(2, 5))
        t[[a, b]] = t[[b, a]]
    return pid, t, xy


def _patrol_frame(
    plan: pd.DataFrame,
    motion: pd.DataFrame,
    points: tuple[IntArray, IntArray, FloatArray],
    never: pd.DataFrame,
    net: _Net,
    start: np.datetime64,
    tag: str,
) -> gpd.GeoDataFrame:
    """Return the track points in EPSG:4326 with ids in start order, and ``attrs["truth"]``."""
    pid, t, xy = points
    began = start + (plan["day"].to_numpy() * 86400 + motion["start"].to_numpy()).astype(
        "timedelta64[s]"
    )
    order = np.lexsort((plan["name"].to_numpy(dtype=str), began))
    rank = np.empty(len(plan), dtype=np.int64)
    rank[order] = np.arange(len(plan))
    width = max(4, len(str(len(plan))))
    ids = np.array([f"SYN-{tag}-P{i + 1:0{width}d}" for i in rank], dtype=object)
    row = np.argsort(rank[pid], kind="stable")
    lon, lat = net.lonlat(xy[row])
    frame = gpd.GeoDataFrame(
        {
            "patrol_id": ids[pid[row]],
            "person": plan["name"].to_numpy(dtype=object)[pid[row]],
            "time": (began[pid] + t.astype("timedelta64[s]"))[row],
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    off = plan["case"].to_numpy(dtype=object) == "off_river"
    truth = pd.DataFrame(
        {
            "patrol_id": ids,
            "person": plan["name"].to_numpy(dtype=object),
            "case": plan["case"].to_numpy(dtype=object),
            "reach_id": net.reach_ids(np.where(off, -1, plan["reach"].to_numpy())),
            "mode": motion["mode"].to_numpy(dtype=object),
        }
    ).iloc[order]
    lazy = pd.DataFrame({"patrol_id": None, "person": never["name"], "case": "never"})
    frame.attrs["truth"] = pd.concat([truth, lazy], ignore_index=True)
    return frame


def make_patrols(
    resp: Responsibility, *, month: str = "2026-11", seed: int = 0
) -> gpd.GeoDataFrame:
    """Make a month of synthetic patrol tracks (巡河轨迹) by the chiefs of ``resp``.

    See the module's description for who patrols, how often and how, and for the cases.

    Parameters
    ----------
    resp
        A responsibility with a chief roster (:meth:`~rivermap.Responsibility.with_chiefs`).
    month
        The month, ``"YYYY-MM"``; patrols start in it, 08:00–17:00 local time.
    seed
        Seed of the random draws; the same arguments give the same tracks.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per track point, in EPSG:4326 (GPS, WGS84), ordered by patrol and
        then as logged: ``patrol_id`` (``SYN-YYYYMM-P0001`` …, numbered in order of
        their start), ``person`` (the name), ``time`` (``datetime64``, local time
        UTC+8, without a zone) and ``geometry`` (Point). ``attrs["truth"]`` holds
        one row per patrol: ``patrol_id``, ``person``, ``case`` (one of
        :data:`PATROL_CASES`), ``reach_id`` (the reach walked, None off the
        river) and ``mode`` (``"walk"``, ``"boat"`` or ``"car"``); then one row
        per person who never patrols, with ``case`` ``"never"`` and no
        ``patrol_id``.

    Raises
    ------
    SchemaError
        If ``resp`` has no roster (a ValueError).
    ParameterError
        If ``month`` is not ``"YYYY-MM"`` or ``seed`` is negative.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> resp = resp.with_chiefs(rm.chiefs.example_roster_path())
    >>> tracks = make_patrols(resp, seed=1)
    >>> tracks.columns.tolist(), tracks.crs.to_epsg()
    (['patrol_id', 'person', 'time', 'geometry'], 4326)
    >>> truth = tracks.attrs["truth"]
    >>> sorted(truth["case"].unique()) == sorted(PATROL_CASES)
    True
    """
    start, end, tag = _month(month)
    rngs = _rngs(seed, tag, 1, ("schedule", "cases", "unknown", "motion", "tracks"))
    if resp.roster is None:
        _roster_rows(resp)  # raises the error that says what to do
    net = _net(resp)
    people, held = _people(resp, net)
    days = int((end - start) // np.timedelta64(1, "D"))
    plan, never = _schedule(people, held, net, days, rngs["schedule"])
    anchor = _specials(plan, people, net, resp.levels, rngs["cases"])
    extra = _unknown(plan, resp, net, days, rngs["unknown"])
    plan = pd.concat([plan, extra], ignore_index=True)
    anchor = np.concatenate([anchor, np.full((len(extra), 2), np.nan)])
    motion = _motion(plan, net, rngs["motion"])
    points = _tracks(plan, motion, anchor, net, rngs["tracks"])
    return _patrol_frame(plan, motion, points, people[never], net, start, tag)


# =========================================================================== files
def _note() -> str:
    """Return the synthetic-data note in Chinese and English."""
    return f"{term('msg.synthetic', 'zh')} / {term('msg.synthetic', 'en')}"


def _track_table(tracks: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the track points as a table with Chinese headers and local time as text."""
    columns = {
        "patrol_id": tracks["patrol_id"].to_numpy(dtype=object),
        "person": tracks["person"].to_numpy(dtype=object),
        "time": tracks["time"].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object),
        "lon": np.round(tracks.geometry.x.to_numpy(), 7),
        "lat": np.round(tracks.geometry.y.to_numpy(), 7),
        "synthetic": _note(),
    }
    return pd.DataFrame({term(f"col.{c}", "zh"): v for c, v in columns.items()})


def _gpx_files(tracks: gpd.GeoDataFrame) -> Iterator[tuple[str, str]]:
    """Yield each patrol's id and its GPX 1.1 document (times in UTC)."""
    utc = (tracks["time"] - pd.Timedelta(hours=_LOCAL_UTC_H)).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    utc = utc.to_numpy(dtype=object)
    lat = np.char.mod("%.7f", tracks.geometry.y.to_numpy()).astype(object)
    lon = np.char.mod("%.7f", tracks.geometry.x.to_numpy()).astype(object)
    lines = '      <trkpt lat="' + lat + '" lon="' + lon + '"><time>' + utc + "</time></trkpt>"
    ids = tracks["patrol_id"].to_numpy(dtype=object)
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    last = np.r_[first[1:], len(ids)]
    note = escape(_note())
    for a, b in zip(first.tolist(), last.tolist(), strict=True):
        pid = escape(str(ids[a]))
        person = escape(str(tracks["person"].iat[a]))
        yield (
            str(ids[a]),
            "\n".join(
                [
                    '<?xml version="1.0" encoding="UTF-8"?>',
                    '<gpx version="1.1" creator="rivermap" xmlns="http://www.topografix.com/GPX/1/1">',
                    f"  <metadata>\n    <name>{pid}</name>\n    <desc>{note}</desc>",
                    f"    <author><name>{person}</name></author>\n    <time>{utc[a]}</time>",
                    f"  </metadata>\n  <trk>\n    <name>{pid}</name>\n    <desc>{note}</desc>",
                    "    <trkseg>",
                    *lines[a:b],
                    "    </trkseg>\n  </trk>\n</gpx>\n",
                ]
            ),
        )


def _write_gpx(tracks: gpd.GeoDataFrame, folder: Path) -> None:
    """Write one GPX file per patrol into ``folder``, replacing it whole once all are written."""
    tmp = scratch_dir(folder)
    old = tmp.with_name(tmp.name + ".old")  # a scratch name too: swept if left
    try:
        for pid, text in _gpx_files(tracks):
            (tmp / f"{pid}.gpx").write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        if folder.exists() or folder.is_symlink():
            folder.replace(old)
        tmp.replace(folder)
    finally:
        discard(tmp)
        discard(old)


def _months_together(frames: list[Any]) -> Any:
    """Return the months' tables one after another, their ``attrs["truth"]`` likewise."""
    if len(frames) == 1:
        return frames[0]
    truths = [frame.attrs.pop("truth") for frame in frames]
    out = pd.concat(frames, ignore_index=True)
    out.attrs["truth"] = pd.concat(truths, ignore_index=True)
    return out


def write_month(
    resp: Responsibility,
    folder: str | os.PathLike[str],
    *,
    month: str = "2026-11",
    seed: int = 0,
    n_events: int = 300,
    months: int = 1,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write a synthetic month of tickets and patrol tracks, as offices and apps export them.

    Parameters
    ----------
    resp
        A responsibility with a chief roster (see :func:`make_patrols`).
    folder
        The folder to write into (made if missing).
    month, seed
        As for :func:`make_events` and :func:`make_patrols`.
    n_events
        Number of tickets (``n`` of :func:`make_events`) per month.
    months
        How many months to write, ending with ``month``: each is made as
        :func:`make_events` and :func:`make_patrols` make it (for a bulletin's
        month over month and trend), in one export, oldest first.
    overwrite
        Replace files and a ``tracks`` folder that exist. Without it nothing is
        written when any of them exists.

    Returns
    -------
    dict of str to Path
        ``"events"``: ``events.csv``, the :func:`make_events` table (UTF-8 with a
        BOM, coordinates in GCJ-02); ``"tracks"``: the folder ``tracks`` with one
        GPX 1.1 file per patrol, ``<patrol_id>.gpx`` (the person as the
        metadata's author, the synthetic-data note in Chinese and English as its
        description, one ``trk`` of one ``trkseg``, WGS84, times in UTC);
        ``"tracks_csv"``: ``tracks.csv``, the same points with the headers
        巡河编号, 巡河人, 时间 (local time, ``YYYY-MM-DD HH:MM:SS``), 经度, 纬度
        (WGS84) and 数据说明. Each file is written atomically; the folder is
        written beside and moved into place.

    Raises
    ------
    OutputExistsError
        If an output exists and ``overwrite`` is False (before any work).

    Examples
    --------
    >>> import tempfile, rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> resp = resp.with_chiefs(rm.chiefs.example_roster_path())
    >>> paths = write_month(resp, tempfile.mkdtemp(), n_events=60)
    >>> sorted(p.name for p in paths.values())
    ['events.csv', 'tracks', 'tracks.csv']
    >>> next(paths["tracks"].glob("*.gpx")).name[:12]
    'SYN-202611-P'
    """
    base = Path(folder)
    paths = {
        "events": base / "events.csv",
        "tracks": base / "tracks",
        "tracks_csv": base / "tracks.csv",
    }
    for path in paths.values():
        check_output(path, overwrite=overwrite)
    _month(month)  # checked: "YYYY-MM"
    last = pd.Period(month, freq="M")
    which = [str(last - k) for k in range(check_count("months", months) - 1, -1, -1)]
    if not which:
        msg = f"months must be 1 or more, got {months!r}"
        raise ParameterError(msg)
    events = _months_together([make_events(resp, month=m, n=n_events, seed=seed) for m in which])
    tracks = _months_together([make_patrols(resp, month=m, seed=seed) for m in which])
    with atomic_output(paths["events"], overwrite=overwrite) as tmp:
        write_csv(events, tmp)
    with atomic_output(paths["tracks_csv"], overwrite=overwrite) as tmp:
        write_csv(_track_table(tracks), tmp)
    _write_gpx(tracks, paths["tracks"])
    return paths
