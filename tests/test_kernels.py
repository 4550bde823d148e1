"""The engine's compiled kernels against direct shapely computations.

rivermap.assign's own tests check the result (tiling, overlay agreement,
invariance); these check the kernels' intermediate answers one by one, so that
a wrong crossing or near stretch shows up where it is made.
"""

from __future__ import annotations

import importlib
import itertools
import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rivermap import _kernels

engine = importlib.import_module("rivermap.assign")  # the module (rivermap.assign is the function)
CRS = pyproj.CRS.from_epsg(4549)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 20.0

coordinate = st.integers(0, 1500).map(lambda v: v + 0.25)
# edges stay shorter than a grid cell (400 m), so that each is one sub-edge
offset = st.tuples(st.integers(-280, 280), st.integers(-280, 280)).map(
    lambda d: np.array(d, dtype=float) + 0.5
)


@st.composite
def scenes(draw: st.DrawFn) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Draw a few random rivers and a few random boundary edges (shorter than a grid cell).

    Edges run between random points; every other one repeats a river vertex or
    runs along a river segment, so that vertex hits and collinear overlaps occur.
    """
    rivers = []
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(2, 8))
        xy = np.array([[draw(coordinate), draw(coordinate)] for _ in range(k)])
        xy = xy[np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]]
        if len(xy) < 2:
            xy = np.array([[10.25, 10.25], [300.25, 200.25]])
        rivers.append(xy)
    edges = []
    for i in range(draw(st.integers(1, 8))):
        if i % 2 and draw(st.booleans()):
            river = rivers[draw(st.integers(0, len(rivers) - 1))]
            j = draw(st.integers(0, len(river) - 2))
            a, b = river[j], river[j + 1]
            if draw(st.booleans()):  # along the segment, partly
                frac = 0.5  # a power of two keeps the end exactly on the segment
                while np.hypot(*(b - a)) * frac > 390:
                    frac /= 2
                edges.append([*a, *(a + (b - a) * frac)])
                continue
            edges.append([*a, *(a + draw(offset))])  # from a river vertex
            continue
        a = np.array([draw(coordinate), draw(coordinate)])
        edges.append([*a, *(a + draw(offset))])
    lines = gpd.GeoSeries([shapely.LineString(r) for r in rivers], crs=CRS)
    edge_xy = np.array(edges, dtype=float)
    edge_xy = edge_xy[np.any(edge_xy[:, :2] != edge_xy[:, 2:], axis=1)]  # as in real boundaries
    if not len(edge_xy):
        edge_xy = np.array([[50.5, 50.5, 250.5, 50.5]])
    return lines, edge_xy


def _index(edge_xy: np.ndarray, sides: np.ndarray | None = None) -> engine._EdgeIndex:
    """Index edges ``edge_xy``, each between units ``sides`` (left, right): by default its own."""
    n = len(edge_xy)
    codes = np.arange(n, dtype=np.int64)
    if sides is None:
        sides = np.column_stack([2 * codes, 2 * codes + 1])
    edges = engine._Edges(edge_xy, sides[:, 0], sides[:, 1], np.ones(n, dtype=bool))
    return engine._EdgeIndex(edges, tol=TOL)


def _near_rows(near: engine._Near) -> dict[tuple[int, int, int, bool], list[tuple[float, float]]]:
    """Group the near rows by segment, pair of units and side, checking each group's rows apart."""
    rows: dict[tuple[int, int, int, bool], list[tuple[float, float]]] = {}
    for k, t0, t1, pair, pa_left in zip(
        near.seg, near.t0, near.t1, near.pair, near.pa_left, strict=True
    ):
        assert 0.0 <= t0 < t1 <= 1.0
        pa, pb = _kernels.pair_of(int(pair))
        rows.setdefault((int(k), pa, pb, bool(pa_left)), []).append((t0, t1))
    for group in rows.values():  # one row per stretch: none overlaps or touches another
        group.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(group))
    return rows


@SETTINGS
@given(scenes())
def test_scan_finds_every_crossing_and_stretch(
    scene: tuple[gpd.GeoSeries, np.ndarray],
) -> None:
    lines, edge_xy = scene
    segs = engine._river_segments(lines, CRS)
    index = _index(edge_xy)
    assert np.all(index.parent == np.arange(len(edge_xy)))  # one sub-edge per edge here
    (c_river, c_chain, c_units), near = engine._scan_rivers(segs, index, TOL)
    seg_lines = shapely.linestrings(segs.xy.reshape(-1, 2, 2))
    edge_lines = shapely.linestrings(edge_xy.reshape(-1, 2, 2))
    # ---- crossings: the chainage of every point where a segment meets an edge
    expected: list[tuple[int, float]] = []
    for k, seg in enumerate(seg_lines):
        if segs.end[k] <= segs.start[k]:
            continue
        for e in edge_lines:
            hit = shapely.intersection(seg, e)
            if hit.is_empty:
                continue
            for point in shapely.get_parts(
                shapely.boundary(hit) if hit.geom_type.endswith("LineString") else hit
            ):
                expected.append((segs.river[k], segs.start[k] + seg.project(point)))
    got = sorted(zip(c_river.tolist(), c_chain.tolist(), strict=True))
    expected.sort()
    assert len(got) == len(expected)
    for (r0, c0), (r1, c1) in zip(got, expected, strict=True):
        assert r0 == r1
        assert abs(c0 - c1) <= 1e-6
    # ---- the side entered: left of the edge where the river turns left across it
    for row in np.flatnonzero(c_units[:, 0] >= 0):
        river, chain = c_river[row], c_chain[row]
        k = np.flatnonzero((segs.river == river) & (segs.start <= chain) & (chain <= segs.end))
        edge = c_units[row, 0] // 2
        left_entered = c_units[row, 0] % 2 == 0
        r = segs.xy[k[0]]
        e = edge_xy[edge]
        cross = (e[2] - e[0]) * (r[3] - r[1]) - (e[3] - e[1]) * (r[2] - r[0])
        assert left_entered == (cross > 0)
        assert c_units[row, 1] == c_units[row, 0] ^ 1  # left, the other side
    # ---- near: the length of each segment within TOL of each edge (its own pair here)
    got_near = {
        (k, pa // 2): sum(t1 - t0 for t0, t1 in group) * (segs.end[k] - segs.start[k])
        for (k, pa, _, _), group in _near_rows(near).items()
    }
    assert len(got_near) == len(near.seg)  # a segment near an edge is near on one side
    # polygons within and around the exact zone (a buffer's vertices lie on its circle)
    inner = shapely.buffer(edge_lines, TOL - 1e-3, quad_segs=256)
    outer = shapely.buffer(edge_lines, TOL + 1e-3, quad_segs=256)
    for k, seg in enumerate(seg_lines):
        if segs.end[k] <= segs.start[k]:
            continue
        for edge in range(len(edge_lines)):
            length = got_near.get((k, edge), 0.0)
            assert shapely.intersection(seg, inner[edge]).length - 1e-6 <= length, (k, edge)
            assert length <= shapely.intersection(seg, outer[edge]).length + 1e-6, (k, edge)


@SETTINGS
@given(scenes(), st.lists(st.integers(0, 3), min_size=8, max_size=8))
def test_scan_joins_the_stretches_along_one_side_of_a_pair(
    scene: tuple[gpd.GeoSeries, np.ndarray], draws: list[int]
) -> None:
    """Edges share pairs of units, either way round: one row per stretch of each side of a pair."""
    lines, edge_xy = scene
    pairs = np.array([[0, 1], [1, 0], [2, 3], [3, 2]], dtype=np.int64)
    sides = pairs[np.array(draws)[np.arange(len(edge_xy)) % len(draws)]]
    segs = engine._river_segments(lines, CRS)
    _, near = engine._scan_rivers(segs, _index(edge_xy, sides), TOL)
    rows = _near_rows(near)
    seg_lines = shapely.linestrings(segs.xy.reshape(-1, 2, 2))
    edge_lines = shapely.linestrings(edge_xy.reshape(-1, 2, 2))
    inner = shapely.buffer(edge_lines, TOL - 1e-3, quad_segs=256)
    outer = shapely.buffer(edge_lines, TOL + 1e-3, quad_segs=256)
    for k, seg in enumerate(seg_lines):
        if segs.end[k] <= segs.start[k]:
            continue
        r = segs.xy[k, 2:] - segs.xy[k, :2]
        s = edge_xy[:, 2:] - edge_xy[:, :2]
        dot = s @ r
        unsure = np.abs(dot) <= 1e-9 * np.hypot(*r) * np.hypot(s[:, 0], s[:, 1])
        river_left = np.where(dot >= 0, sides[:, 0], sides[:, 1])
        pa_left = river_left == sides.min(axis=1)
        for pa, pb in ((0, 1), (2, 3)):
            for side in (True, False):
                group = rows.get((k, pa, pb, side), [])
                got = sum(t1 - t0 for t0, t1 in group) * (segs.end[k] - segs.start[k])
                of_pair = sides.min(axis=1) == pa
                sure = of_pair & (pa_left == side) & ~unsure
                maybe = of_pair & ((pa_left == side) | unsure)
                low = shapely.intersection(seg, shapely.union_all(inner[sure])).length
                high = shapely.intersection(seg, shapely.union_all(outer[maybe])).length
                assert low - 1e-6 <= got <= high + 1e-6, (k, pa, side)


@SETTINGS
@given(scenes())
def test_segments_chain_each_river_from_zero(scene: tuple[gpd.GeoSeries, np.ndarray]) -> None:
    lines, _ = scene
    segs = engine._river_segments(lines, CRS)
    assert np.allclose(segs.length, shapely.length(lines.to_numpy()), rtol=1e-12, atol=1e-9)
    assert np.all(segs.start[segs.first] == 0.0)
    inner = np.ones(len(segs.start), dtype=bool)
    inner[segs.first] = False
    assert np.all(segs.start[inner] == segs.end[np.flatnonzero(inner) - 1])


def test_chainage_keeps_its_precision_along_a_long_river() -> None:
    # 200,000 segments of 0.1 m and a bit: a plain running sum drifts by about 1e-7 m
    n = 200_000
    x = np.cumsum(np.full(n + 1, 0.1 + 1e-12)) + 500_000.0
    line = gpd.GeoSeries([shapely.LineString(np.column_stack([x, np.full(n + 1, 3.3e6)]))], crs=CRS)
    segs = engine._river_segments(line, CRS)
    steps = np.diff(x)
    for k in range(n // 10, n + 1, n // 10):
        assert abs(segs.end[k - 1] - math.fsum(steps[:k])) < 1e-9


def test_grow_keeps_the_items() -> None:
    a = np.arange(5, dtype=np.int64)
    b = _kernels._grow(a, 40)
    assert len(b) >= 40
    assert np.array_equal(b[:5], a)


def test_a_parallel_segment_is_near_up_to_the_tolerance() -> None:
    # an edge along y = 0 and river segments beside it, all on one side
    edge_xy = np.array([[0.0, 0.0, 300.0, 0.0]])
    rivers = gpd.GeoSeries(
        [
            shapely.LineString([(50.0, TOL - 0.1), (250.0, TOL - 0.1)]),
            shapely.LineString([(50.0, TOL + 0.1), (250.0, TOL + 0.1)]),
            shapely.LineString([(50.0, 5.0), (250.0, 15.0)]),  # slanting, never crossing
        ],
        crs=CRS,
    )
    segs = engine._river_segments(rivers, CRS)
    crossings, near = engine._scan_rivers(segs, _index(edge_xy), TOL)
    assert len(crossings[0]) == 0
    assert sorted(near.seg.tolist()) == [0, 2]
    assert np.allclose(near.t0, 0.0)
    assert np.allclose(near.t1, 1.0)


def test_near_rows_do_not_depend_on_how_the_boundary_is_cut() -> None:
    """One edge, or the same line cut into 40 edges met in any order: the same rows."""
    rivers = gpd.GeoSeries(
        [
            shapely.LineString([(-30.0, 5.0), (120.0, 8.0), (330.0, -12.0)]),  # along, crossing
            shapely.LineString([(300.0, 10.0), (0.0, 10.0)]),  # along, the other way
        ],
        crs=CRS,
    )
    segs = engine._river_segments(rivers, CRS)
    whole = np.array([[0.0, 0.0, 300.0, 0.0]])
    cuts = np.linspace(0.0, 300.0, 41)
    pieces = np.column_stack([cuts[:-1], np.zeros(40), cuts[1:], np.zeros(40)])
    pieces = pieces[np.random.default_rng(0).permutation(40)]
    got = []
    for edge_xy in (whole, pieces):
        sides = np.tile([7, 3], (len(edge_xy), 1))  # unit 7 on the left (y > 0), 3 on the right
        _, near = engine._scan_rivers(segs, _index(edge_xy, sides), TOL)
        got.append(_near_rows(near))
    assert got[0].keys() == got[1].keys()
    for key, rows in got[0].items():
        np.testing.assert_allclose(rows, got[1][key], rtol=0, atol=1e-12)
    # the first river has unit 7 (pb) on its left, the second (running west) unit 3 (pa)
    assert {(k, pa, pb, side) for k, pa, pb, side in got[0]} == {
        (0, 3, 7, False),
        (1, 3, 7, False),
        (2, 3, 7, True),
    }


def test_a_pair_of_units_is_one_number_and_back() -> None:
    for a, b in ((-1, 0), (0, -1), (5, 3), (2**31 - 2, 17)):
        assert _kernels.pair_of(_kernels.pair_key(a, b)) == (min(a, b), max(a, b))
    assert _kernels.pair_key(3, 5) == _kernels.pair_key(5, 3)


def _run_boxes_numpy(coords: np.ndarray, part: np.ndarray, run: int) -> np.ndarray:
    """Return the boxes of runs of ``run`` vertices of each line, in numpy (as run_boxes)."""
    n = len(coords)
    new_part = np.r_[True, part[1:] != part[:-1]]
    part_first = np.flatnonzero(new_part)
    ordinal = np.arange(n) - np.repeat(part_first, np.diff(np.r_[part_first, n]))
    starts = np.flatnonzero(new_part | (ordinal % run == 0))
    lo = np.column_stack([np.minimum.reduceat(coords[:, k], starts) for k in (0, 1)])
    hi = np.column_stack([np.maximum.reduceat(coords[:, k], starts) for k in (0, 1)])
    goes_on = np.flatnonzero(~new_part[starts[1:]])
    nxt = coords[starts[goes_on + 1]]
    lo[goes_on] = np.minimum(lo[goes_on], nxt)
    hi[goes_on] = np.maximum(hi[goes_on], nxt)
    return np.column_stack([lo, hi])


@pytest.mark.parametrize("run", [1, 2, 3, 64])
def test_run_boxes_cover_every_segment_as_numpy_does(run) -> None:
    rng = np.random.default_rng(run)
    sizes = rng.integers(1, 200, 40)
    part = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    coords = rng.normal(size=(len(part), 2)).cumsum(axis=0)
    boxes = _kernels.run_boxes(coords, part, run)
    np.testing.assert_array_equal(boxes, _run_boxes_numpy(coords, part, run))
    # every segment of a line lies in one box
    seg = np.flatnonzero(part[1:] == part[:-1])
    a, b = coords[seg], coords[seg + 1]
    inside = [
        ((boxes[:, :2] <= np.minimum(p, q)) & (np.maximum(p, q) <= boxes[:, 2:])).all(axis=1).any()
        for p, q in zip(a, b, strict=True)
    ]
    assert all(inside)
