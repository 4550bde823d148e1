"""Invariants of rivermap.assign, checked with hypothesis on random rivers."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rivermap.assign import assign
from rivermap.responsibility import Responsibility
from rivermap.units import AdminUnits
from tests.test_assign import CRS, LEVELS, X0, Y0, grid_units

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNITS = grid_units(exclave=True)


@st.composite
def river_sets(draw: st.DrawFn) -> gpd.GeoDataFrame:
    """1-4 random walks over (and a little beyond) the 4 x 2 km grid of units.

    Coordinates avoid exact multiples of a metre, so no vertex lies exactly on a
    boundary: exact ties are decided by rules that a reprojection cannot keep.
    """
    n = draw(st.integers(1, 4))
    lines = []
    for _ in range(n):
        k = draw(st.integers(2, 12))
        xs = draw(st.lists(st.integers(-300, 4300), min_size=k, max_size=k))
        ys = draw(st.lists(st.integers(-300, 2300), min_size=k, max_size=k))
        xy = np.column_stack([xs, ys]).astype(float) + 0.37
        keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
        xy = xy[keep]
        if len(xy) < 2:
            xy = np.array([[100.37, 100.37], [900.37, 700.37]])
        lines.append(shapely.LineString(xy + np.array([X0, Y0])))
    ids = [f"r{i}" for i in range(n)]
    return gpd.GeoDataFrame({"river_id": ids, "name": ids}, geometry=lines, crs=CRS)


def canonical(resp: Responsibility) -> pd.DataFrame:
    cols = [
        "reach_id",
        "river_id",
        "from_m",
        "to_m",
        "kind",
        *LEVELS,
        "left_unit",
        "right_unit",
        "responsible",
    ]
    return resp.reaches[cols].sort_values("reach_id").reset_index(drop=True)


def check_reaches(resp: Responsibility, rivers: gpd.GeoDataFrame) -> None:
    """Check the invariants of every result of ``assign(rivers, ...)`` (in a metric CRS).

    The reaches of each river tile [0, length]; every level credits its units with the
    inside and boundary length; an inside reach has one unit per level, each the
    parent of the next; a boundary reach between two units has their common units
    above its ``boundary_level`` and none from it down, one along the outer border the
    inside unit's and its ancestors; an outside reach has no unit.
    """
    reaches = resp.reaches
    per_river = reaches.groupby("river_id", sort=False)
    lengths = rivers.set_index("river_id").length.loc[list(per_river.groups)].to_numpy()
    assert len(lengths) == len(rivers)
    assert (per_river["from_m"].first() == 0.0).all()
    np.testing.assert_allclose(per_river["to_m"].last(), lengths, rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(per_river["length_m"].sum(), lengths, rtol=1e-9, atol=0.0)
    # in order along each river, each reach starting where the one before ends
    same = reaches["river_id"].to_numpy()[1:] == reaches["river_id"].to_numpy()[:-1]
    np.testing.assert_array_equal(
        reaches["from_m"].to_numpy()[1:][same], reaches["to_m"].to_numpy()[:-1][same]
    )
    assert per_river.ngroups == (~same).sum() + 1
    assert ((reaches["length_m"] > 0) | (reaches["to_m"] == 0)).all()
    # every unit of every level is credited with exactly the inside + boundary length
    credited = resp.units.groupby("level")["river_length_m"].sum()
    covered = reaches.loc[reaches["kind"] != "outside", "length_m"].sum()
    outer = reaches[
        (reaches["kind"] == "boundary")
        & (reaches["left_unit"].isna() | reaches["right_unit"].isna())
    ]
    for level in resp.levels:
        assert credited[level] <= covered * (1 + 1e-12) + 1e-6
        assert credited[level] >= covered - outer["length_m"].sum() / 2 - 1e-6
    check_reach_units(resp)


def check_reach_units(resp: Responsibility) -> None:
    """Check the units of each reach by its kind (see :func:`check_reaches`)."""
    reaches, levels = resp.reaches, list(resp.levels)
    assert set(reaches["kind"]) <= {"inside", "boundary", "outside"}
    filled = reaches[levels].notna().to_numpy()
    sides = reaches[["left_unit", "right_unit"]].notna().to_numpy()
    inside = (reaches["kind"] == "inside").to_numpy()
    assert filled[inside].all()
    assert not sides[inside].any()
    outside = (reaches["kind"] == "outside").to_numpy()
    assert not filled[outside].any()
    assert not sides[outside].any()
    boundary = (reaches["kind"] == "boundary").to_numpy()
    assert sides[boundary].any(axis=1).all()
    depth = reaches["boundary_level"].map({lv: i for i, lv in enumerate(levels)})
    assert depth[boundary].notna().all()
    assert depth[~boundary].isna().all()
    above = np.arange(len(levels))[None, :] < depth.to_numpy()[:, None]
    between = boundary & sides.all(axis=1)
    np.testing.assert_array_equal(filled[between], above[between])
    # along the outer border: the inside unit's ancestors, and the top level
    border = boundary & ~sides.all(axis=1)
    assert filled[border].all()
    assert (depth[border] == 0).all()
    # each level's unit is the parent of the next one's
    parent_of = resp.units.set_index("unit_id")["parent_id"]
    for upper, lower in itertools.pairwise(levels):
        both = reaches[upper].notna() & reaches[lower].notna()
        np.testing.assert_array_equal(
            parent_of.loc[reaches.loc[both, lower]].to_numpy(), reaches.loc[both, upper]
        )


@SETTINGS
@given(rivers=river_sets())
def test_reaches_tile_each_river_and_sum_to_its_length(rivers: gpd.GeoDataFrame) -> None:
    check_reaches(assign(rivers, UNITS), rivers)


@SETTINGS
@given(rivers=river_sets(), seed=st.integers(0, 2**16))
def test_shuffling_rivers_and_units_changes_nothing(rivers: gpd.GeoDataFrame, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = assign(rivers, UNITS)
    frame = UNITS.frame
    shuffled_units = AdminUnits(frame.iloc[rng.permutation(len(frame))], LEVELS)
    shuffled_rivers = rivers.iloc[rng.permutation(len(rivers))]
    other = assign(shuffled_rivers, shuffled_units)
    pd.testing.assert_frame_equal(canonical(base), canonical(other))
    pd.testing.assert_frame_equal(
        base.rivers.sort_values("river_id").reset_index(drop=True),
        other.rivers.sort_values("river_id").reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(base.units, other.units)


@SETTINGS
@given(rivers=river_sets())
def test_lonlat_and_metric_input_agree(rivers: gpd.GeoDataFrame) -> None:
    metric = assign(rivers, UNITS)
    lonlat = assign(rivers.to_crs(4326), UNITS.to_crs(4326))
    a, b = canonical(metric), canonical(lonlat)
    keys = ["reach_id", "kind", *LEVELS, "left_unit", "right_unit", "responsible"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    np.testing.assert_allclose(b["to_m"], a["to_m"], rtol=1e-3, atol=1e-3)
    ua, ub = metric.units, lonlat.units
    np.testing.assert_allclose(ub["river_length_m"], ua["river_length_m"], rtol=1e-3, atol=1e-3)
    pd.testing.assert_series_equal(ua["n_reaches"], ub["n_reaches"])


@SETTINGS
@given(rivers=river_sets())
def test_assigning_the_reaches_again_changes_nothing(rivers: gpd.GeoDataFrame) -> None:
    first = assign(rivers, UNITS)
    reaches = first.reaches
    again_in = gpd.GeoDataFrame(
        {"river_id": reaches["reach_id"], "name": reaches["name"]},
        geometry=reaches.geometry.values,
        crs=reaches.crs,
    )
    again = assign(again_in, UNITS)
    r2 = again.reaches
    assert len(r2) == len(reaches), r2[["river_id", "from_m", "to_m", "kind", *LEVELS]]
    same = ["kind", *LEVELS, "left_unit", "right_unit", "responsible"]
    pd.testing.assert_frame_equal(
        reaches[same].reset_index(drop=True), r2[same].reset_index(drop=True)
    )
    np.testing.assert_allclose(r2["length_m"], reaches["length_m"], rtol=1e-9)


@pytest.mark.parametrize("workers", [1, 2, None])
def test_chunks_and_threads_change_nothing(
    monkeypatch: pytest.MonkeyPatch, workers: int | None
) -> None:
    """Rivers are processed in chunks, on threads: neither may change the result."""
    import importlib

    from rivermap.synth import make_city

    engine = importlib.import_module("rivermap.assign")
    rivers, frame = make_city(200, 400, seed=3)
    units = AdminUnits(frame, LEVELS)
    whole = assign(rivers, units, workers=1)  # about 50,000 vertices: one chunk
    assert whole.summary["slivers_merged"] > 0
    monkeypatch.setattr(engine, "_CHUNK_SEGMENTS", 2_000)
    chunked = assign(rivers, units, workers=workers)
    pd.testing.assert_frame_equal(chunked.reaches, whole.reaches)
    pd.testing.assert_frame_equal(chunked.rivers, whole.rivers)
    pd.testing.assert_frame_equal(chunked.units, whole.units)
    assert chunked.summary == whole.summary


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2"])
def test_bad_workers_are_refused(workers: object) -> None:
    rivers = gpd.GeoDataFrame(
        {"river_id": ["r"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], crs=CRS
    )
    with pytest.raises(ValueError, match="workers"):
        assign(rivers, grid_units(), workers=workers)  # type: ignore[arg-type]
