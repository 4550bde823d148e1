"""The engine's compiled kernels against direct shapely computations.

rivermap.assign's own tests check the result (tiling, overlay agreement,
invariance); these check the kernels' intermediate answers one by one, so that
a wrong crossing or near stretch shows up where it is made.
"""

from __future__ import annotations

import importlib
import math

import geopandas as gpd
import numpy as np
import pyproj
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


def _index(edge_xy: np.ndarray) -> engine._EdgeIndex:
    n = len(edge_xy)
    codes = np.arange(n, dtype=np.int64)
    edges = engine._Edges(edge_xy, 2 * codes, 2 * codes + 1, np.ones(n, dtype=bool))
    return engine._EdgeIndex(edges, tol=TOL)


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
    # ---- near: the length of each segment within TOL of each edge
    got_near: dict[tuple[int, int], float] = {}
    for k, t0, t1, edge in zip(near.seg, near.t0, near.t1, near.edge, strict=True):
        assert 0.0 <= t0 < t1 <= 1.0
        got_near[(int(k), int(edge))] = (t1 - t0) * (segs.end[k] - segs.start[k])
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
