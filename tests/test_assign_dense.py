"""rivermap.assign on dense unit outlines: the benchmark's M-dense case, in small.

``benchmarks/bench_assign.py`` densifies the synthetic city's outlines (about
160 vertices a community) to time the costs that grow with boundary vertices.
The vertices it adds lie on the edges, so the reaches must not change: only
the crossings' chainages, computed against shorter edges, may differ in their
last bits.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import shapely

from rivermap.assign import _Hierarchy, _ring_edges, assign
from rivermap.synth import make_city
from rivermap.units import AdminUnits

LEVELS = ("district", "street", "community")
engine = importlib.import_module("rivermap.assign")  # the module (rivermap.assign is the function)


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_assign.py"
    spec = importlib.util.spec_from_file_location("bench_assign_script", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flat_hierarchy(frame: pd.DataFrame) -> _Hierarchy:
    """Return ``frame``'s units as one level."""
    n = len(frame)
    return _Hierarchy(
        frame["unit_id"].to_numpy(dtype=object),
        frame["name"].to_numpy(dtype=object),
        np.zeros(n, dtype=np.int64),
        np.arange(n, dtype=np.int64)[:, None],
        np.arange(n, dtype=np.int64),
    )


def _community_edges(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the lengths of the communities' edges, and which have a unit on one side only."""
    geoms = np.asarray(shapely.orient_polygons(frame.geometry.to_numpy()), dtype=object)
    codes = np.arange(len(frame), dtype=np.int64)
    edges = _ring_edges(geoms, codes, _flat_hierarchy(frame))
    length = np.hypot(edges.xy[:, 2] - edges.xy[:, 0], edges.xy[:, 3] - edges.xy[:, 1])
    return length, ~edges.shared


def test_densified_outlines_are_the_same_polygons_sharing_every_vertex(bench: ModuleType) -> None:
    _, units = make_city(200, 10, seed=3)
    dense = units.copy()
    dense["geometry"] = bench.densify_outlines(units.geometry.to_numpy(), 15.0)
    before = shapely.get_num_coordinates(units.geometry.to_numpy())
    after = shapely.get_num_coordinates(dense.geometry.to_numpy())
    assert np.all(after > 4 * before)
    # the new vertices lie on the edges (to rounding)
    apart = shapely.hausdorff_distance(dense.geometry.to_numpy(), units.geometry.to_numpy())
    assert apart.max() < 1e-6
    assert dense.is_valid.all()
    # neighbours still share every edge: only the city's outline has one side
    communities = units["level"] == "community"
    length, one_sided = _community_edges(dense[communities])
    outline = shapely.coverage_union_all(units.geometry[units["level"] == "district"]).length
    assert length[one_sided].sum() == pytest.approx(outline, rel=1e-9)
    sparse_length, _ = _community_edges(units[communities])
    assert len(length) > 4 * len(sparse_length)
    assert length.sum() == pytest.approx(sparse_length.sum(), rel=1e-9)


def test_assign_finds_the_same_reaches_on_dense_outlines(bench: ModuleType) -> None:
    rivers, units = make_city(300, 400, seed=5, boundary_share=0.2)
    dense = units.copy()
    dense["geometry"] = bench.densify_outlines(units.geometry.to_numpy(), 12.0)
    sparse_result = assign(rivers, AdminUnits(units, LEVELS))
    dense_result = assign(rivers, AdminUnits(dense, LEVELS))
    got, want = dense_result.reaches, sparse_result.reaches
    assert (want["kind"] == "boundary").sum() > 20
    floats = ["from_m", "to_m", "length_m"]
    texts = [c for c in want.columns if c not in {*floats, "geometry"}]
    pd.testing.assert_frame_equal(got[texts], want[texts])
    np.testing.assert_allclose(got[floats], want[floats], rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(
        dense_result.rivers, sparse_result.rivers, check_exact=False, rtol=1e-9
    )
    pd.testing.assert_frame_equal(
        dense_result.units.drop(columns="geometry"),
        sparse_result.units.drop(columns="geometry"),
        check_exact=False,
        rtol=1e-9,
    )


def test_ring_edges_on_two_threads_are_the_same(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both halves of the units gathered apart and merged: the same edges, in the same order."""
    _, units = make_city(200, 10, seed=4)
    units["geometry"] = bench.densify_outlines(units.geometry.to_numpy(), 40.0)
    geoms = np.asarray(shapely.orient_polygons(units.geometry.to_numpy()), dtype=object)
    hier = _Hierarchy(
        units["unit_id"].to_numpy(dtype=object),
        units["name"].to_numpy(dtype=object),
        units["level"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy(dtype=np.int64),
        np.zeros((len(units), 3), dtype=np.int64),
        np.arange(len(units), dtype=np.int64),
    )
    monkeypatch.setattr(engine, "_SPLIT_VERTICES", 0)
    # every level at once: edges held by units of several levels, on both halves
    codes = np.arange(len(units), dtype=np.int64)
    for subset in (codes, codes[units["level"].to_numpy() == "community"], codes[::3]):
        one = _ring_edges(geoms, subset, hier, workers=1)
        two = _ring_edges(geoms, subset, hier, workers=2)
        assert len(one) > 100
        for field in ("xy", "left", "right", "shared"):
            np.testing.assert_array_equal(getattr(two, field), getattr(one, field))
