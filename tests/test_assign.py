"""Hand-built cases for rivermap.assign, and agreement with geopandas.overlay."""

from __future__ import annotations

import importlib
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely import LineString, MultiLineString, box

from rivermap.assign import assign
from rivermap.errors import CRSError, OutputExistsError, SchemaError
from rivermap.responsibility import Responsibility, read_responsibility
from rivermap.units import AdminUnits

LEVELS = ("district", "street", "community")
X0, Y0 = 500_000.0, 3_300_000.0  # EPSG:4549 (CGCS2000 GK CM 120E), near Shaoxing
CRS = "EPSG:4549"
NO_BOUNDARY = {"boundary_min_m": math.inf, "min_reach_m": 0.0}


def _b(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _line(*xy: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def grid_units(*, exclave: bool = False) -> AdminUnits:
    """Return 2 districts > 2 streets each > 2 communities each, on a grid.

    Districts are x 0-2000 | 2000-4000, y 0-2000; streets split them at y 1000;
    communities split the streets at the middle of x: C111 is the south-west corner.

    With ``exclave``, C111 also owns the square x 2200-2400, y 200-400 inside D2.
    """
    rows: list[tuple[str, str, str | None, shapely.Geometry]] = []
    for d, dx in ((1, 0), (2, 2000)):
        rows.append((f"D{d}", "district", None, _b(dx, 0, dx + 2000, 2000)))
        for s, sy in ((1, 0), (2, 1000)):
            rows.append((f"S{d}{s}", "street", f"D{d}", _b(dx, sy, dx + 2000, sy + 1000)))
            for c, cx in ((1, 0), (2, 1000)):
                geom = _b(dx + cx, sy, dx + cx + 1000, sy + 1000)
                rows.append((f"C{d}{s}{c}", "community", f"S{d}{s}", geom))
    frame = gpd.GeoDataFrame(
        {
            "unit_id": [r[0] for r in rows],
            "name": [r[0].lower() for r in rows],
            "level": [r[1] for r in rows],
            "parent_id": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=CRS,
    )
    if exclave:
        island = _b(2200, 200, 2400, 400)
        geoms = frame.geometry.to_numpy().copy()
        ids = frame["unit_id"].tolist()
        for uid in ("D1", "S11", "C111"):
            i = ids.index(uid)
            geoms[i] = shapely.MultiPolygon([geoms[i], island])
        for uid in ("D2", "S21", "C211"):
            i = ids.index(uid)
            geoms[i] = shapely.difference(geoms[i], island)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=CRS))
    return AdminUnits(frame, LEVELS)


def rivers_of(*geoms: shapely.Geometry, crs: str = CRS) -> gpd.GeoDataFrame:
    ids = [f"r{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"river_id": ids, "name": ids}, geometry=list(geoms), crs=crs)


def one(resp: Responsibility, river_id: str = "r0") -> pd.DataFrame:
    reaches = resp.reaches
    return reaches[reaches["river_id"] == river_id].reset_index(drop=True)


def river_row(resp: Responsibility, river_id: str = "r0") -> pd.Series:
    rivers = resp.rivers
    return rivers[rivers["river_id"] == river_id].iloc[0]


# ------------------------------------------------------------------ hand-built cases
def test_river_inside_one_community() -> None:
    resp = assign(rivers_of(_line((100, 100), (800, 500))), grid_units())
    r = one(resp)
    assert len(r) == 1
    assert r.loc[0, "kind"] == "inside"
    assert (r.loc[0, "district"], r.loc[0, "street"], r.loc[0, "community"]) == (
        "D1",
        "S11",
        "C111",
    )
    assert r.loc[0, "responsible"] == "C111"
    assert r.loc[0, "from_m"] == 0.0
    assert r.loc[0, "to_m"] == pytest.approx(math.hypot(700, 400), rel=1e-12)
    row = river_row(resp)
    assert (row["chief_level"], row["chief_unit"]) == ("community", "C111")
    assert row["lead_share_community"] == pytest.approx(1.0)


def test_river_crossing_two_districts() -> None:
    resp = assign(rivers_of(_line((1500, 500), (2500, 500))), grid_units())
    r = one(resp)
    assert r["community"].tolist() == ["C112", "C211"]
    assert r["district"].tolist() == ["D1", "D2"]
    assert r["from_m"].tolist() == pytest.approx([0, 500])
    assert r["to_m"].tolist() == pytest.approx([500, 1000])
    assert (r["kind"] == "inside").all()
    row = river_row(resp)
    assert row["chief_level"] == "above:district"
    assert pd.isna(row["chief_unit"])
    assert row["n_units_district"] == 2
    assert row["lead_share_district"] == pytest.approx(0.5)


def test_chief_level_is_the_lowest_common_ancestor() -> None:
    # C111 -> C112: both in street S11
    resp = assign(rivers_of(_line((500, 500), (1500, 500))), grid_units())
    row = river_row(resp)
    assert (row["chief_level"], row["chief_unit"]) == ("street", "S11")
    # C111 -> C121: different streets of D1
    resp = assign(rivers_of(_line((500, 500), (500, 1500))), grid_units())
    row = river_row(resp)
    assert (row["chief_level"], row["chief_unit"]) == ("district", "D1")


def test_zigzag_along_a_street_boundary_is_one_boundary_reach() -> None:
    # y = 1000 separates street S11 (south) from S12 (north); zigzag +-8 m every 25 m
    xs = np.arange(100, 901, 25)
    ys = 1000 + np.where(np.arange(len(xs)) % 2 == 0, 8.0, -8.0)
    river = _line(*zip(xs.tolist(), ys.tolist(), strict=True))
    resp = assign(rivers_of(river), grid_units())
    r = one(resp)
    assert len(r) == 1
    reach = r.iloc[0]
    assert reach["kind"] == "boundary"
    assert (reach["left_unit"], reach["right_unit"]) == ("C121", "C111")  # flowing east
    assert reach["district"] == "D1"
    assert pd.isna(reach["street"])
    assert pd.isna(reach["community"])
    assert reach["boundary_level"] == "street"
    assert reach["responsible"] == "C121;C111"
    assert reach["length_m"] == pytest.approx(river.length)
    units = resp.units.set_index("unit_id")
    assert units.loc["S11", "boundary_length_m"] == pytest.approx(river.length)
    assert units.loc["D1", "boundary_length_m"] == 0.0  # the boundary is inside D1
    assert units.loc["C111", "river_length_m"] == pytest.approx(river.length / 2)


def test_boundary_policies() -> None:
    # along the S11|S12 boundary for 800 m, then 1.5 km into C111
    river = _line((100, 1005), (900, 995), (900, 200), (200, 200))
    base = assign(rivers_of(river), grid_units())
    assert one(base).loc[0, "responsible"] == "C121;C111"
    parent = assign(rivers_of(river), grid_units(), boundary_policy="parent")
    assert one(parent).loc[0, "responsible"] == "D1"
    lead = assign(rivers_of(river), grid_units(), boundary_policy="lead")
    assert one(lead).loc[0, "responsible"] == "C111"
    assert one(lead).loc[1, "responsible"] == "C111"
    with pytest.raises(ValueError, match="boundary_policy"):
        assign(rivers_of(river), grid_units(), boundary_policy="river")  # type: ignore[arg-type]


def test_leaving_and_reentering_a_unit() -> None:
    river = _line((200, 500), (1500, 500), (1500, 700), (200, 700))
    resp = assign(rivers_of(river), grid_units())
    r = one(resp)
    assert r["community"].tolist() == ["C111", "C112", "C111"]
    assert r["length_m"].tolist() == pytest.approx([800, 500 + 200 + 500, 800])
    units = resp.units.set_index("unit_id")
    assert units.loc["C111", "n_reaches"] == 2
    assert units.loc["C111", "n_rivers"] == 1
    assert units.loc["C111", "river_length_m"] == pytest.approx(1600)


def test_touching_a_corner_does_not_enter_the_unit() -> None:
    # touches D2 at the single point (2000, 1000), goes from C112 to C122
    river = _line((1800, 500), (2000, 1000), (1800, 1500))
    resp = assign(rivers_of(river), grid_units(), **NO_BOUNDARY)
    r = one(resp)
    assert r["community"].tolist() == ["C112", "C122"]
    assert r["length_m"].sum() == pytest.approx(river.length)
    assert "D2" not in set(r["district"])


def test_crossing_through_a_boundary_vertex() -> None:
    # diagonal through the corner shared by C112, C122, C211, C221
    river = _line((1500, 500), (2500, 1500))
    r = one(assign(rivers_of(river), grid_units(), **NO_BOUNDARY))
    assert r["community"].tolist() == ["C112", "C221"]
    assert r["length_m"].tolist() == pytest.approx([river.length / 2] * 2)


def test_river_vertex_on_a_boundary() -> None:
    river = _line((500, 500), (1000, 500), (1500, 500))
    r = one(assign(rivers_of(river), grid_units(), **NO_BOUNDARY))
    assert r["community"].tolist() == ["C111", "C112"]
    assert r["to_m"].tolist() == pytest.approx([500, 1000])


def test_collinear_stretch_is_counted_once() -> None:
    # along y = 1000 exactly, between C111 (south) and C121 (north)
    river = _line((100, 500), (100, 1000), (900, 1000), (900, 1500))
    r = one(assign(rivers_of(river), grid_units(), **NO_BOUNDARY))
    assert r["length_m"].sum() == pytest.approx(river.length)
    assert not (r["from_m"].diff().iloc[1:] <= 0).any()
    # the stretch on the line goes to one unit only: the smallest unit_id
    assert r["community"].tolist() == ["C111", "C121"]
    assert r["to_m"].tolist() == pytest.approx([1300, 1800])


def test_river_partly_outside_all_units() -> None:
    river = _line((3500, 500), (4500, 500))
    resp = assign(rivers_of(river), grid_units())
    r = one(resp)
    assert r["kind"].tolist() == ["inside", "outside"]
    assert r["community"].iloc[0] == "C212"
    outside = r.iloc[1]
    assert pd.isna(outside["district"])
    assert pd.isna(outside["responsible"])
    assert outside["length_m"] == pytest.approx(500)
    row = river_row(resp)
    assert (row["chief_level"], row["chief_unit"]) == ("community", "C212")
    assert row["lead_share_community"] == pytest.approx(0.5)
    assert resp.summary["outside_length_m"] == pytest.approx(500)


def test_river_entirely_outside() -> None:
    resp = assign(rivers_of(_line((5000, 500), (6000, 500))), grid_units())
    assert one(resp)["kind"].tolist() == ["outside"]
    assert pd.isna(river_row(resp)["chief_level"])


def test_outer_border_is_a_boundary_with_one_side() -> None:
    river = _line((3990, 100), (4005, 600), (3995, 900))  # the east border of D2
    r = one(assign(rivers_of(river), grid_units()))
    assert r["kind"].tolist() == ["boundary"]
    assert r.loc[0, "community"] == "C212"  # filled from the inside unit
    assert r.loc[0, "left_unit"] == "C212"
    assert pd.isna(r.loc[0, "right_unit"])  # flowing north: the outside is on the right
    assert r.loc[0, "responsible"] == "C212"
    assert r.loc[0, "boundary_level"] == "district"


def test_exclave_is_one_unit() -> None:
    units = grid_units(exclave=True)
    river = _line((2100, 300), (2500, 300))
    resp = assign(rivers_of(river), units, **NO_BOUNDARY)
    r = one(resp)
    assert r["community"].tolist() == ["C211", "C111", "C211"]
    assert r["district"].tolist() == ["D2", "D1", "D2"]
    table = resp.units
    assert (table["unit_id"] == "C111").sum() == 1
    assert table.set_index("unit_id").loc["C111", "river_length_m"] == pytest.approx(200)


def test_slivers_are_merged_without_losing_length() -> None:
    # 20 m into C112 and back
    river = _line((500, 500), (1010, 500), (1010, 520), (500, 520))
    kept = assign(rivers_of(river), grid_units(), min_reach_m=0)
    assert one(kept)["community"].tolist() == ["C111", "C112", "C111"]
    resp = assign(rivers_of(river), grid_units(), min_reach_m=50)
    r = one(resp)
    assert r["community"].tolist() == ["C111"]
    assert r["length_m"].sum() == pytest.approx(river.length)
    assert resp.summary["slivers_merged"] == 1
    assert resp.summary["sliver_length_m"] == pytest.approx(10 + 20 + 10)


def test_a_river_of_slivers_only_goes_to_its_longest_piece() -> None:
    # 25 m in C111, then 35 m in C112: no piece reaches min_reach_m; the longer one wins,
    # in the middle of a list of rivers (others before and after it keep their reaches)
    short = _line((975, 500), (1035, 500))
    before, after = _line((100, 100), (900, 100)), _line((1100, 1100), (1900, 1100))
    resp = assign(rivers_of(before, short, after), grid_units(), min_reach_m=50)
    r = resp.reaches.set_index("river_id")
    assert r.loc["r1", "community"] == "C112"
    assert r.loc["r1", "length_m"] == pytest.approx(60)
    assert resp.summary["slivers_merged"] == 1
    assert resp.summary["sliver_length_m"] == pytest.approx(25)
    assert r.loc[["r0", "r2"], "community"].tolist() == ["C111", "C122"]


def test_multilinestring_parts_are_chained_without_the_gap() -> None:
    part1 = [(X0 + 100, Y0 + 100), (X0 + 400, Y0 + 100)]
    part2 = [(X0 + 500, Y0 + 100), (X0 + 1500, Y0 + 100)]
    resp = assign(rivers_of(MultiLineString([part1, part2])), grid_units(), min_reach_m=0)
    r = one(resp)
    assert r["community"].tolist() == ["C111", "C112"]
    assert r["to_m"].tolist() == pytest.approx([800, 1300])
    first = r.geometry.iloc[0]
    assert first.geom_type == "MultiLineString"
    assert first.length == pytest.approx(800)
    assert shapely.get_num_geometries(first) == 2


def test_geometry_comes_back_in_the_callers_crs() -> None:
    river = _line((100, 100), (800, 500), (1500, 600))
    lonlat = rivers_of(river).to_crs(4326)
    resp = assign(lonlat, grid_units())
    reaches = resp.reaches
    assert reaches.crs.to_epsg() == 4326
    start = shapely.get_coordinates(reaches.geometry.iloc[0])[0]
    np.testing.assert_array_equal(start, shapely.get_coordinates(lonlat.geometry.iloc[0])[0])
    assert reaches["length_m"].sum() == pytest.approx(river.length, rel=1e-3)
    # metres of the reach geometry, measured in the metric CRS, match length_m (cut
    # points are interpolated in lon/lat, which moves them by well under a millimetre)
    metric = reaches.to_crs(CRS).length.to_numpy()
    np.testing.assert_allclose(metric, reaches["length_m"], rtol=1e-5)


def test_reaches_tile_each_river() -> None:
    rivers = rivers_of(
        _line((100, 100), (3900, 1900)),
        _line((3500, 500), (4500, 500), (4500, 1500), (3500, 1500)),
        _line((100, 1005), (900, 995), (1900, 1003)),
    )
    resp = assign(rivers, grid_units())
    for river_id, group in resp.reaches.groupby("river_id"):
        length = rivers.set_index("river_id").length[river_id]
        assert group["from_m"].iloc[0] == 0.0
        assert group["to_m"].iloc[-1] == pytest.approx(length, rel=1e-12)
        np.testing.assert_array_equal(group["from_m"].iloc[1:], group["to_m"].iloc[:-1])
        assert group["reach_id"].tolist() == [f"{river_id}#{i + 1}" for i in range(len(group))]


# ------------------------------------------------------------------ input errors
def test_missing_crs_raises() -> None:
    rivers = rivers_of(_line((100, 100), (800, 500)))
    rivers = gpd.GeoDataFrame(rivers.drop(columns="geometry"), geometry=rivers.geometry.values)
    rivers = rivers.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="set_crs"):
        assign(rivers, grid_units())


def test_bad_rivers_raise_schema_errors() -> None:
    a, b = _line((100, 100), (800, 500)), _line((200, 100), (900, 500))
    dup = rivers_of(a, b)
    dup["river_id"] = "same"
    with pytest.raises(SchemaError, match="'same'"):
        assign(dup, grid_units())
    points = rivers_of(shapely.Point(X0, Y0))
    with pytest.raises(SchemaError, match="LineString"):
        assign(points, grid_units())
    with pytest.raises(SchemaError, match="river_id"):
        assign(rivers_of(a).drop(columns="river_id"), grid_units())


def test_bad_arguments() -> None:
    rivers = rivers_of(_line((100, 100), (800, 500)))
    with pytest.raises(TypeError, match="AdminUnits"):
        assign(rivers, grid_units().frame)
    with pytest.raises(ValueError, match="min_reach_m"):
        assign(rivers, grid_units(), min_reach_m=-1)
    with pytest.raises(TypeError, match="rivers"):
        assign(pd.DataFrame(rivers), grid_units())  # type: ignore[arg-type]


# ------------------------------------------------------------------ results and files
def test_round_trip_through_a_geopackage(tmp_path: pytest.TempPathFactory) -> None:
    rivers = rivers_of(
        _line((100, 100), (3900, 1900)),
        _line((3500, 500), (4500, 500)),
        _line((100, 1005), (900, 995), (1900, 1003)),
        MultiLineString(
            [
                [(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 900)],
                [(X0 + 40, Y0 + 950), (X0 + 1900, Y0 + 1900)],
            ]
        ),
    )
    resp = assign(rivers, grid_units())
    path = tmp_path / "out.gpkg"  # type: ignore[operator]
    resp.to_file(path)
    back = read_responsibility(path)
    assert back.levels == resp.levels
    assert back.params == resp.params
    assert back.summary == resp.summary
    assert back.crs == resp.crs
    pd.testing.assert_frame_equal(back.rivers, resp.rivers)
    pd.testing.assert_frame_equal(back.units, resp.units)
    a, b = back.reaches, resp.reaches
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()
    with pytest.raises(OutputExistsError, match="overwrite"):
        resp.to_file(path)
    resp.to_file(path, overwrite=True)
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.gpkg"]


def test_read_responsibility_rejects_other_files(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "other.gpkg"  # type: ignore[operator]
    rivers_of(_line((100, 100), (800, 500))).to_file(path, layer="rivers")
    with pytest.raises(SchemaError, match="missing layer"):
        read_responsibility(path)


def test_repr_html_and_summary() -> None:
    resp = assign(rivers_of(_line((1500, 500), (2500, 500))), grid_units())
    html = resp._repr_html_()
    for word in ("Responsibility", "boundary", "above:district"):
        assert word in html
    assert "2 reaches" in repr(resp)
    s = resp.summary
    assert (s["n_rivers"], s["n_reaches"]) == (1, 2)
    assert s["total_length_m"] == pytest.approx(1000)
    assert s["parameters"]["boundary_policy"] == "bank"


def test_units_table_covers_every_unit() -> None:
    resp = assign(rivers_of(_line((1500, 500), (2500, 500))), grid_units())
    units = resp.units
    assert len(units) == 14
    assert units.columns.tolist() == [
        "unit_id",
        "name",
        "level",
        "parent_id",
        "river_length_m",
        "n_rivers",
        "n_reaches",
        "boundary_length_m",
        "geometry",
    ]
    assert units.crs == resp.reaches.crs
    assert units.geometry.area.sum() > 0
    by_level = units.groupby("level")["river_length_m"].sum()
    assert by_level.to_dict() == pytest.approx(dict.fromkeys(LEVELS, 1000.0))


# ------------------------------------------------------------------ against overlay
def overlay_lengths(rivers: gpd.GeoDataFrame, units: AdminUnits, level: str, crs: str) -> pd.Series:
    """Per (river, unit) lengths by geopandas.overlay, in the metric CRS ``crs``."""
    at = units.at_level(level).to_crs(crs)
    ov = gpd.overlay(
        rivers[["river_id", "geometry"]].to_crs(crs),
        at[["unit_id", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    ov["length_m"] = ov.length
    out = ov.groupby(["river_id", "unit_id"])["length_m"].sum()
    return out[out > 0]


def assign_lengths(resp: Responsibility, level: str) -> pd.Series:
    reaches = resp.reaches
    inside = reaches[reaches["kind"] == "inside"]
    out = inside.groupby(["river_id", level])["length_m"].sum()
    out.index.names = ["river_id", "unit_id"]
    return out[out > 0]


def on_boundaries(rivers: gpd.GeoDataFrame, units: AdminUnits, crs: str) -> set[str]:
    """Rivers where overlay does not measure what the river covers.

    A stretch lying on a unit boundary (collinear with it): overlay counts it in
    both neighbours, or in neither, by rounding; rivermap gives it to one unit.
    A river that doubles back over itself: overlay dissolves the overlap and counts
    it once; rivermap measures along the river. Such rivers are left out.
    """
    lines = shapely.union_all(shapely.boundary(units.frame.to_crs(crs).geometry.values))
    geoms = rivers.to_crs(crs).geometry.values
    shared = shapely.length(shapely.intersection(geoms, lines))
    dissolved = shapely.length(geoms) - np.array([shapely.union_all(g).length for g in geoms])
    return set(rivers.loc[(shared > 1e-6) | (dissolved > 1e-6), "river_id"])


def assert_matches_overlay(
    rivers: gpd.GeoDataFrame, units: AdminUnits, resp: Responsibility
) -> None:
    crs = resp.summary["metric_crs"]
    skip = on_boundaries(rivers, units, crs)
    assert len(skip) < len(rivers) / 2
    for level in units.levels:
        expected = overlay_lengths(rivers, units, level, crs)
        got = assign_lengths(resp, level)
        expected = expected[~expected.index.get_level_values(0).isin(skip)]
        got = got[~got.index.get_level_values(0).isin(skip)]
        joined = pd.concat([expected.rename("overlay"), got.rename("assign")], axis=1)
        joined = joined.fillna(0.0)
        rel = (joined["overlay"] - joined["assign"]).abs() / joined.max(axis=1)
        # pieces of a few micrometres at a shared vertex are noise in both methods
        bad = joined[(rel > 1e-6) & ((joined["overlay"] - joined["assign"]).abs() > 1e-6)]
        assert bad.empty, f"{level}: {len(bad)} (river, unit) lengths differ:\n{bad.head()}"


def test_matches_overlay_on_synthetic_city() -> None:
    from rivermap.synth import make_city

    rivers, frame = make_city(60, 150, seed=3)
    units = AdminUnits(frame, LEVELS)
    resp = assign(rivers, units, **NO_BOUNDARY)
    assert_matches_overlay(rivers, units, resp)
    # with boundary reaches on, the rivers without any still agree with overlay
    full = assign(rivers, units, min_reach_m=0)
    reaches = full.reaches
    plain = set(reaches["river_id"]) - set(reaches.loc[reaches["kind"] == "boundary", "river_id"])
    assert len(plain) > 50
    subset = rivers[rivers["river_id"].isin(plain)].reset_index(drop=True)
    assert_matches_overlay(subset, units, assign(subset, units, min_reach_m=0))


def test_locator_snaps_onto_a_unit_only_when_asked() -> None:
    engine = importlib.import_module("rivermap.assign")
    units = grid_units()
    _, hier = engine._hierarchy(units)
    geoms = engine._unit_geometries_metric(units.frame, hier, pyproj.CRS.from_user_input(CRS))
    locator = engine._UnitLocator(geoms, hier)
    # inside C111; a hair outside the west border; well outside
    x = np.array([X0 + 500, X0 - 1e-7, X0 - 5.0])
    y = np.array([Y0 + 500, Y0 + 500, Y0 + 500])
    c111 = int(np.flatnonzero(hier.ids == "C111")[0])
    assert locator.locate(x, y).tolist() == [c111, c111, -1]
    assert locator.locate(x, y, snap=False).tolist() == [c111, -1, -1]
