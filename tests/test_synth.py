"""Tests of the synthetic city and country generators of :mod:`rivermap.synth`."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rivermap as rm
from rivermap.crs import metric_crs
from rivermap.synth import COUNTRY_CRS, COUNTRY_LEVELS, make_city, make_country
from rivermap.units import code_key
from tests.test_assign_properties import check_reaches

LEVELS = ("district", "street", "community")
CODE_LENGTH = {"district": 6, "street": 9, "community": 12}
COUNTRY_CODE_LENGTH = {"province": 6, "city": 6, "district": 6, "street": 9, "community": 12}


@pytest.fixture(scope="module")
def city() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return make_city(500, 2000, seed=7)


def check_units(
    units: gpd.GeoDataFrame,
    counts: dict[str, int] | None = None,
    levels: tuple[str, ...] = LEVELS,
    code_length: dict[str, int] = CODE_LENGTH,
) -> None:
    """Ids, nesting and tiling of a units frame (the invariants every city must keep)."""
    assert units.columns.tolist() == ["unit_id", "name", "level", "parent_id", "geometry"]
    assert units.crs is not None
    if counts is not None:
        assert units.level.value_counts().to_dict() == counts
    assert set(units.level) <= set(levels)
    assert units.unit_id.is_unique
    assert units.unit_id.str.fullmatch(r"\d+").all()
    assert (units.unit_id.str.len() == units.level.map(code_length)).all()
    assert units.name.str.len().gt(0).all()
    geoms = units.geometry.values
    assert shapely.is_valid(geoms).all()
    assert (~shapely.is_empty(geoms)).all()
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}

    is_top = units.level == levels[0]
    assert units.parent_id[is_top].isna().all()
    children = units[~is_top]
    parents = units.set_index("unit_id")
    assert children.parent_id.isin(parents.index).all()
    parent_rows = parents.loc[children.parent_id]
    expected_parent_level = children.level.map(dict(zip(levels[1:], levels[:-1], strict=True)))
    assert (parent_rows.level.to_numpy() == expected_parent_level.to_numpy()).all()
    # admin codes nest by prefix (330600 > 330602 > 330602001 ...)
    assert all(
        str(code_key(c)).startswith(str(code_key(p)))
        for c, p in zip(children.unit_id, children.parent_id, strict=True)
    )
    child_geoms = children.geometry.values
    outside = shapely.area(shapely.difference(child_geoms, parent_rows.geometry.values))
    assert (outside <= 1e-6 * shapely.area(child_geoms)).all()

    # each level tiles the city: same total area, no overlaps, an exact coverage
    extent_area = shapely.union_all(units.geometry[units.level == levels[-1]].values).area
    for level in levels:
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


# ------------------------------------------------------------------------------------
# a synthetic country (make_country)
# ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def country() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return make_country(3000, 3000, n_provinces=5, n_cities=12, n_long=6, seed=5)


def test_country_units_nest_exactly(country: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    _, units = country
    counts = {"province": 5, "city": 12, "district": 14, "street": 187, "community": 3000}
    check_units(units, counts, COUNTRY_LEVELS, COUNTRY_CODE_LENGTH)
    admin = rm.AdminUnits(units, COUNTRY_LEVELS)
    admin.require_consistent()
    # no overlap, gap, unit outside its parent nor code that disagrees with containment
    assert admin.validate(min_area_m2=1.0, min_share=0.0).empty
    assert units.unit_id.iloc[0] == "110000"
    assert set(units.unit_id[units.level == "province"].str[2:]) == {"0000"}
    assert set(units.unit_id[units.level == "city"].str[4:]) == {"00"}
    assert units.name[units.level == "province"].str.endswith("省").all()


def test_country_crs_and_extent(country: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, units = country
    assert units.crs == rivers.crs == COUNTRY_CRS
    # the engine measures in the country's own CRS (metres, true to scale)
    assert metric_crs(rivers, units) == COUNTRY_CRS
    area = units.area[units.level == "province"].sum()
    assert area == pytest.approx(3000 * 4000.0**2, rel=0.05)
    lon_min, lat_min, lon_max, lat_max = units.to_crs(4490).total_bounds
    assert 100 < lon_min < 105 < lon_max < 110
    assert 33 < lat_min < 36 < lat_max < 39
    xmin, ymin, xmax, ymax = units.total_bounds
    assert (xmax - xmin) / (ymax - ymin) == pytest.approx(1.4, rel=0.25)


def test_country_ids(country: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, units = country
    assert units.unit_id.is_unique
    assert rivers.columns.tolist() == ["river_id", "name", "synthetic_kind", "geometry"]
    assert rivers.river_id.is_unique
    assert sorted(rivers.river_id) == [f"R{i:06d}" for i in range(1, 3001)]
    assert rivers.synthetic_kind.value_counts().to_dict() == {
        "meander": 2904,
        "boundary": 90,
        "long": 6,
    }
    assert (rivers.geom_type == "LineString").all()
    assert shapely.is_valid(rivers.geometry.values).all()


def test_long_rivers_cross_provinces(country: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, units = country
    long = rivers.geometry[rivers.synthetic_kind == "long"].values
    n_crossed = {}
    for level in ("province", "community"):
        tree = shapely.STRtree(units.geometry[units.level == level].values)
        river, _ = tree.query(long, predicate="intersects")
        n_crossed[level] = np.bincount(river, minlength=len(long))
    assert (n_crossed["province"] >= 2).all()
    assert np.median(n_crossed["province"]) >= 3
    assert (n_crossed["community"] >= 20).all()
    # they flow east, mostly: the mouth lies east of the source
    xy = [shapely.get_coordinates(line) for line in long]
    assert sum(c[-1, 0] > c[0, 0] for c in xy) >= 2 / 3 * len(xy)
    meander = rivers.length[rivers.synthetic_kind == "meander"]
    assert shapely.length(long).min() > 10 * meander.median()


def test_country_boundary_followers(country: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, units = country
    boundary = rivers.geometry[rivers.synthetic_kind == "boundary"].values
    rings = shapely.boundary(units.geometry[units.level == "community"].values)
    points = shapely.points(shapely.get_coordinates(boundary))
    _, off = shapely.STRtree(rings).query_nearest(points, return_distance=True)
    assert off.max() <= 3.0 + 1e-6
    # some along province borders (界河 between provinces), not along the coast
    provinces = units.geometry[units.level == "province"].values
    borders = shapely.buffer(shapely.union_all(shapely.boundary(provinces)), 5.0)
    coast = shapely.buffer(shapely.boundary(shapely.union_all(provinces)), 5.0)
    along = shapely.length(shapely.intersection(boundary, borders)) / shapely.length(boundary)
    assert (along > 0.9).sum() >= 3
    on_coast = shapely.length(shapely.intersection(boundary, coast)) / shapely.length(boundary)
    assert (on_coast <= 0.1).all()


def test_assign_on_a_country(country: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    rivers, units = country
    resp = rm.assign(rivers, rm.AdminUnits(units, COUNTRY_LEVELS))
    check_reaches(resp, rivers)
    kinds = resp.reaches.kind.value_counts()
    assert kinds["boundary"] > 0
    assert kinds["outside"] > 0
    boundary_levels = set(resp.reaches.boundary_level.dropna())
    assert boundary_levels == set(COUNTRY_LEVELS)
    # a long river answers to a province or to the country
    chief = resp.rivers.set_index("river_id").chief_level
    long_ids = rivers.river_id[rivers.synthetic_kind == "long"]
    assert set(chief[long_ids]) <= {"province", "above:province"}
    assert "above:province" in set(chief[long_ids])


def test_same_seed_same_country() -> None:
    rivers_a, units_a = make_country(300, 200, n_provinces=3, seed=3)
    rivers_b, units_b = make_country(300, 200, n_provinces=3, seed=3)
    assert_geodataframe_equal(rivers_a, rivers_b, check_less_precise=False)
    assert_geodataframe_equal(units_a, units_b, check_less_precise=False)
    rivers_c, units_c = make_country(300, 200, n_provinces=3, seed=4)
    assert not units_a.geometry.geom_equals_exact(units_c.geometry, 0.0).all()
    assert not rivers_a.geometry.geom_equals_exact(rivers_c.geometry, 0.0).any()
    _, units_d = make_country(300, 50, n_provinces=3, seed=3, boundary_share=0.5)
    assert_geodataframe_equal(units_a, units_d)


def test_country_default_counts_are_chinas() -> None:
    from rivermap.synth import _country_counts, _country_rivers

    counts = _country_counts(600_000, None, None, None, None)
    assert counts == {
        "province": 31,
        "city": 320,
        "district": 2884,
        "street": 37_500,
        "community": 600_000,
    }
    assert _country_rivers(1_000_000, None, 4000.0, 10.0, 0.03, 0.005) == (30_000, 200)


def test_country_in_another_crs() -> None:
    rivers, units = make_country(200, 50, n_provinces=2, seed=1, crs="EPSG:4490")
    assert units.crs.to_epsg() == rivers.crs.to_epsg() == 4490
    for level in COUNTRY_LEVELS:
        assert shapely.coverage_is_valid(units.geometry[units.level == level].values)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_communities": 0}, "n_communities must be >= 1"),
        ({"n_rivers": -1}, "n_rivers must be >= 0"),
        ({"n_cities": 5, "n_districts": 4}, "n_districts >= n_cities"),
        ({"n_provinces": 90, "n_communities": 200_000}, "at most 89 provinces"),
        ({"n_streets": 2}, "n_communities=1000 is too many for n_streets=2"),
        ({"n_cities": 2.0}, "n_cities must be an integer"),
        ({"n_long": 11}, "n_long must be between 0 and the 10 rivers"),
        ({"community_size_m": -1.0}, "community_size_m must be a positive number"),
        ({"boundary_share": 2.0}, "boundary_share must be between 0 and 1"),
        ({"crs": "EPSG:99999999"}, "not a CRS"),
    ],
)
def test_country_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"n_communities": 1000, "n_rivers": 10, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        make_country(**args)
    assert str(info.value).startswith("make_country: ")


def test_make_country_script_writes_the_agreed_layout(tmp_path: Path) -> None:
    """benchmarks/make_country.py: the files the scale benchmark reads."""
    import pyarrow.parquet as pq

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "make_country.py"
    spec = importlib.util.spec_from_file_location("make_country_script", path)
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = ["--communities", "400", "--rivers", "300", "--seed", "2", "--out", str(tmp_path)]
    assert script.main([*args, "--unit-rows", "100", "--river-rows", "50"]) == 0

    meta = json.loads((tmp_path / "country.json").read_text())
    assert meta["levels"] == list(COUNTRY_LEVELS)
    assert meta["arguments"] == {"n_communities": 400, "n_rivers": 300, "seed": 2}
    units = gpd.read_parquet(tmp_path / "units.parquet")
    rivers = gpd.read_parquet(tmp_path / "rivers.parquet")
    expected_rivers, expected_units = make_country(400, 300, seed=2)
    admin = rm.AdminUnits(units, COUNTRY_LEVELS)
    assert_geodataframe_equal(admin.frame, rm.AdminUnits(expected_units, COUNTRY_LEVELS).frame)
    assert units.crs == COUNTRY_CRS
    # levels one after the other, rivers with a large bounding box first
    depth = units.level.map(COUNTRY_LEVELS.index)
    assert depth.is_monotonic_increasing
    assert rivers.columns.tolist() == ["river_id", "name", "synthetic_kind", "geometry"]
    b = rivers.bounds
    ux0, uy0, ux1, uy1 = units.total_bounds
    large = np.maximum(b.maxx - b.minx, b.maxy - b.miny) > max(ux1 - ux0, uy1 - uy0) / 64
    assert large.iloc[0]
    assert not large.iloc[-1]
    assert (~large).is_monotonic_increasing  # the large ones first
    assert large[rivers.synthetic_kind == "long"].all()
    assert_geodataframe_equal(
        rivers.sort_values("river_id").reset_index(drop=True),
        expected_rivers.sort_values("river_id").reset_index(drop=True),
    )
    # a bbox covering column, row groups of the size asked, and reads by bbox
    for name, rows, n in (("units", 100, len(units)), ("rivers", 50, len(rivers))):
        file = pq.ParquetFile(tmp_path / f"{name}.parquet")
        assert "bbox" in file.schema_arrow.names
        assert file.metadata.num_row_groups == -(-n // rows)
    xmin, ymin, xmax, ymax = rivers.total_bounds
    box = (xmin, ymin, (xmin + xmax) / 2, (ymin + ymax) / 2)
    part = gpd.read_parquet(tmp_path / "rivers.parquet", bbox=box)
    touching = (b.minx <= box[2]) & (b.maxx >= box[0]) & (b.miny <= box[3]) & (b.maxy >= box[1])
    assert set(part.river_id) == set(rivers.river_id[touching])
    assert 0 < len(part) < len(rivers)
