"""Tests of the synthetic city generator :func:`rivermap.synth.make_city`."""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rivermap.synth import make_city

LEVELS = ("district", "street", "community")
CODE_LENGTH = {"district": 6, "street": 9, "community": 12}


@pytest.fixture(scope="module")
def city() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return make_city(500, 2000, seed=7)


def check_units(units: gpd.GeoDataFrame, counts: dict[str, int] | None = None) -> None:
    """Ids, nesting and tiling of a units frame (the invariants every city must keep)."""
    assert units.columns.tolist() == ["unit_id", "name", "level", "parent_id", "geometry"]
    assert units.crs is not None
    if counts is not None:
        assert units.level.value_counts().to_dict() == counts
    assert set(units.level) <= set(LEVELS)
    assert units.unit_id.is_unique
    assert units.unit_id.str.fullmatch(r"\d+").all()
    assert (units.unit_id.str.len() == units.level.map(CODE_LENGTH)).all()
    assert units.name.str.len().gt(0).all()
    geoms = units.geometry.values
    assert shapely.is_valid(geoms).all()
    assert (~shapely.is_empty(geoms)).all()
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}

    is_district = units.level == "district"
    assert units.parent_id[is_district].isna().all()
    children = units[~is_district]
    parents = units.set_index("unit_id")
    assert children.parent_id.isin(parents.index).all()
    parent_rows = parents.loc[children.parent_id]
    expected_parent_level = children.level.map({"street": "district", "community": "street"})
    assert (parent_rows.level.to_numpy() == expected_parent_level.to_numpy()).all()
    assert all(c.startswith(p) for c, p in zip(children.unit_id, children.parent_id, strict=True))
    child_geoms = children.geometry.values
    outside = shapely.area(shapely.difference(child_geoms, parent_rows.geometry.values))
    assert (outside <= 1e-6 * shapely.area(child_geoms)).all()

    # each level tiles the city: same total area, no overlaps, an exact coverage
    extent_area = shapely.union_all(units.geometry[units.level == "community"].values).area
    for level in LEVELS:
        level_geoms = units.geometry[units.level == level].values
        total = shapely.area(level_geoms).sum()
        assert total == pytest.approx(extent_area, rel=1e-6)
        assert shapely.union_all(level_geoms).area == pytest.approx(total, rel=1e-6)
        assert shapely.coverage_is_valid(level_geoms)


# ------------------------------------------------------------------------------------
# determinism
# ------------------------------------------------------------------------------------


def test_same_seed_same_city() -> None:
    rivers_a, units_a = make_city(80, 60, seed=3)
    rivers_b, units_b = make_city(80, 60, seed=3)
    assert_geodataframe_equal(rivers_a, rivers_b, check_less_precise=False)
    assert_geodataframe_equal(units_a, units_b, check_less_precise=False)


def test_different_seed_different_city() -> None:
    rivers_a, units_a = make_city(80, 60, seed=3)
    rivers_b, units_b = make_city(80, 60, seed=4)
    assert not units_a.geometry.geom_equals_exact(units_b.geometry, 0.0).all()
    assert not rivers_a.geometry.geom_equals_exact(rivers_b.geometry, 0.0).any()


def test_units_do_not_depend_on_rivers() -> None:
    _, units_a = make_city(80, 10, seed=5)
    _, units_b = make_city(80, 300, seed=5, vertices_per_km=10.0, boundary_share=0.5)
    assert_geodataframe_equal(units_a, units_b)


# ------------------------------------------------------------------------------------
# units
# ------------------------------------------------------------------------------------


def test_units_default_city(city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    _, units = city
    check_units(units, {"district": 6, "street": 50, "community": 500})
    assert units.crs.to_epsg() == 4549
    # ordered by level, then id; the first district has the first code
    assert units.level.tolist() == sorted(units.level, key=LEVELS.index)
    for level in LEVELS:
        assert units.unit_id[units.level == level].is_monotonic_increasing
    assert units.unit_id.iloc[0] == "330601"


def test_units_extent_near_shaoxing(city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    _, units = city
    xmin, ymin, xmax, ymax = units.total_bounds
    assert 500_000 < xmin < xmax < 560_000
    assert 3_300_000 < ymin < ymax < 3_360_000
    area = units.area[units.level == "district"].sum()
    assert area == pytest.approx(500 * 800.0**2, rel=0.05)


def test_parents_are_unions_of_children(
    city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> None:
    _, units = city
    children = units[units.level != "district"]
    unions = children.groupby("parent_id").geometry.agg(
        lambda g: shapely.coverage_union_all(g.values)
    )
    parents = units.set_index("unit_id").geometry.loc[unions.index]
    diff = shapely.area(shapely.symmetric_difference(unions.values, parents.values))
    assert (diff <= 1e-9 * shapely.area(parents.values)).all()


def test_units_are_connected(city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    _, units = city
    assert (units.geom_type == "Polygon").all()


@pytest.mark.parametrize(
    ("kwargs", "counts"),
    [
        ({"n_communities": 1}, {"district": 1, "street": 1, "community": 1}),
        ({"n_communities": 2}, {"district": 2, "street": 2, "community": 2}),
        (
            {"n_communities": 40, "n_streets": 1, "n_districts": 1},
            {"district": 1, "street": 1, "community": 40},
        ),
        (
            {"n_communities": 30, "n_streets": 30, "n_districts": 30},
            {"district": 30, "street": 30, "community": 30},
        ),
        (
            {"n_communities": 300, "n_streets": 7, "n_districts": 3},
            {"district": 3, "street": 7, "community": 300},
        ),
        ({"n_communities": 95}, {"district": 2, "street": 9, "community": 95}),
    ],
)
def test_level_counts(kwargs: dict[str, Any], counts: dict[str, int]) -> None:
    rivers, units = make_city(n_rivers=20, **kwargs)
    check_units(units, counts)
    assert len(rivers) == 20


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_communities=st.integers(1, 60),
    street_share=st.floats(0.0, 1.0),
    district_share=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
    size=st.sampled_from([30.0, 800.0, 5000.0]),
)
def test_units_invariants_property(
    n_communities: int, street_share: float, district_share: float, seed: int, size: float
) -> None:
    n_streets = max(1, round(street_share * n_communities))
    n_districts = max(1, round(district_share * n_streets))
    rivers, units = make_city(
        n_communities,
        15,
        n_streets=n_streets,
        n_districts=n_districts,
        seed=seed,
        community_size_m=size,
    )
    check_units(units, {"district": n_districts, "street": n_streets, "community": n_communities})
    assert len(rivers) == 15
    assert shapely.is_valid(rivers.geometry.values).all()
    assert (shapely.get_num_coordinates(rivers.geometry.values) >= 2).all()


def test_other_crs_is_transformed() -> None:
    rivers, units = make_city(60, 30, seed=2, crs="EPSG:4490")
    assert units.crs.to_epsg() == 4490
    assert rivers.crs.to_epsg() == 4490
    lon_min, lat_min, lon_max, lat_max = units.total_bounds
    assert 120.0 < lon_min < lon_max < 121.0
    assert 29.5 < lat_min < lat_max < 30.5
    for level in LEVELS:
        assert shapely.coverage_is_valid(units.geometry[units.level == level].values)


# ------------------------------------------------------------------------------------
# rivers
# ------------------------------------------------------------------------------------


def test_rivers_columns_and_ids(city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, _ = city
    assert rivers.columns.tolist() == ["river_id", "name", "synthetic_kind", "geometry"]
    assert len(rivers) == 2000
    assert rivers.crs.to_epsg() == 4549
    assert rivers.river_id.is_unique
    assert rivers.river_id.tolist() == [f"R{i:06d}" for i in range(1, 2001)]
    assert rivers.name.is_unique
    assert all(re.fullmatch(r"\w+[河江溪港浦渎渠泾]", name) for name in rivers.name)
    assert set(rivers.synthetic_kind) == {"meander", "boundary"}


def test_rivers_geometry(city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, _ = city
    geoms = rivers.geometry.values
    assert (rivers.geom_type == "LineString").all()
    assert shapely.is_valid(geoms).all()
    assert (~shapely.is_empty(geoms)).all()
    assert (shapely.length(geoms) > 0).all()
    # no zero-length steps
    xy, which = shapely.get_coordinates(geoms, return_index=True)
    same_line = which[1:] == which[:-1]
    steps = np.hypot(*np.diff(xy, axis=0).T)[same_line]
    assert steps.min() > 0


@pytest.mark.parametrize("vertices_per_km", [10.0, 40.0, 100.0])
def test_vertex_density(vertices_per_km: float) -> None:
    rivers, _ = make_city(60, 200, seed=1, vertices_per_km=vertices_per_km)
    geoms = rivers.geometry.values
    density = shapely.get_num_coordinates(geoms).sum() / shapely.length(geoms).sum() * 1000
    assert density == pytest.approx(vertices_per_km, rel=0.1)


def test_rivers_cross_many_communities(
    city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> None:
    rivers, units = city
    communities = units.geometry[units.level == "community"].values
    river_idx, _ = shapely.STRtree(communities).query(
        rivers.geometry.values, predicate="intersects"
    )
    crossed = np.bincount(river_idx, minlength=len(rivers))
    assert (crossed >= 3).mean() > 0.3
    assert crossed.max() >= 15
    lengths = rivers.length[rivers.synthetic_kind == "meander"]
    assert lengths.max() > 10_000
    assert lengths.max() <= 30_000 + 1e-6


def test_boundary_rivers_follow_shared_boundaries(
    city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> None:
    rivers, units = city
    boundary = rivers.geometry[rivers.synthetic_kind == "boundary"].values
    assert len(boundary) == round(0.05 * 2000)
    # community boundaries are the linework of every level, as the units nest exactly
    rings = shapely.boundary(units.geometry[units.level == "community"].values)
    linework = shapely.union_all(rings)
    near = shapely.length(shapely.intersection(boundary, shapely.buffer(linework, 5.0)))
    assert (near >= 0.9 * shapely.length(boundary)).all()
    # every vertex within 3 m, and really zigzagging across the line
    points = shapely.points(shapely.get_coordinates(boundary))
    _, off = shapely.STRtree(rings).query_nearest(points, return_distance=True)
    assert off.max() <= 3.0 + 1e-6
    assert np.median(off) > 0.2
    # laid along boundaries shared by two units, not along the city outline
    extent = shapely.coverage_union_all(units.geometry[units.level == "district"].values)
    on_outline = shapely.length(
        shapely.intersection(boundary, shapely.buffer(shapely.boundary(extent), 5.0))
    )
    assert (on_outline <= 0.1 * shapely.length(boundary)).all()
    # runs of several boundary vertices, some along street and district boundaries
    assert np.median(shapely.length(boundary)) > 1000
    streets = shapely.union_all(shapely.boundary(units.geometry[units.level == "street"].values))
    along_street = shapely.length(shapely.intersection(boundary, shapely.buffer(streets, 5.0)))
    assert (along_street >= 0.9 * shapely.length(boundary)).sum() >= 0.3 * len(boundary)


def test_a_few_rivers_leave_the_city(city: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, units = city
    extent = shapely.union_all(units.geometry[units.level == "district"].values)
    meander = rivers.geometry[rivers.synthetic_kind == "meander"].values
    outside = ~shapely.within(meander, extent)
    assert outside.sum() == round(0.02 * len(meander))
    # ... partly: every river has a stretch inside the city
    assert shapely.intersects(meander, extent).all()
    assert (shapely.length(shapely.difference(meander[outside], extent)) > 0).all()


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_boundary_share_extremes(share: float) -> None:
    rivers, _ = make_city(40, 30, seed=4, boundary_share=share, outside_share=0.0)
    expected = {"boundary": 30} if share else {"meander": 30}
    assert rivers.synthetic_kind.value_counts().to_dict() == expected
    assert shapely.is_valid(rivers.geometry.values).all()


def test_no_rivers() -> None:
    rivers, units = make_city(30, 0)
    assert len(rivers) == 0
    assert rivers.columns.tolist() == ["river_id", "name", "synthetic_kind", "geometry"]
    assert len(units) > 0


# ------------------------------------------------------------------------------------
# arguments
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_communities": 0}, "n_communities must be >= 1"),
        ({"n_rivers": -1}, "n_rivers must be >= 0"),
        ({"n_communities": 5, "n_streets": 6}, "n_communities >= n_streets >= n_districts"),
        ({"n_streets": 3, "n_districts": 4}, "n_communities >= n_streets >= n_districts"),
        ({"n_streets": 0}, "n_communities >= n_streets >= n_districts"),
        ({"n_communities": 5000, "n_streets": 2}, "too many"),
        ({"n_communities": 2.5}, "must be an integer"),
        ({"n_rivers": True}, "must be an integer"),
        ({"community_size_m": 0.0}, "community_size_m must be a positive number"),
        ({"vertices_per_km": float("nan")}, "vertices_per_km must be a positive number"),
        ({"boundary_share": 1.5}, "boundary_share must be between 0 and 1"),
        ({"outside_share": -0.1}, "outside_share must be between 0 and 1"),
        ({"crs": "EPSG:99999999"}, "not a CRS"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make_city(**kwargs)


# ------------------------------------------------------------------------------------
# a medium city (about 1 s, so not marked slow)
# ------------------------------------------------------------------------------------


def test_medium_city() -> None:
    rivers, units = make_city(5000, 20000, seed=11)
    check_units(units, {"district": 62, "street": 500, "community": 5000})
    assert len(rivers) == 20000
    assert rivers.river_id.is_unique
    geoms = rivers.geometry.values
    assert shapely.is_valid(geoms).all()
    density = shapely.get_num_coordinates(geoms).sum() / shapely.length(geoms).sum() * 1000
    assert density == pytest.approx(40.0, rel=0.1)
    assert (rivers.synthetic_kind == "boundary").sum() == 1000
