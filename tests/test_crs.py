"""Metric CRS choice and GCJ-02 conversion of geometries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point

import rivermap as rm
from rivermap import _gcj02
from rivermap.crs import gcj02_to_wgs84, metric_crs, wgs84_to_gcj02


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (75.2, 39.5, 4534),  # Kashgar, CM 75E
        (87.6, 43.8, 4538),  # Ürümqi, CM 87E
        (116.4, 39.9, 4548),  # Beijing, CM 117E
        (120.58, 30.0, 4549),  # Shaoxing, CM 120E
        (126.6, 45.8, 4551),  # Harbin, CM 126E
        (134.0, 48.0, 4554),  # Fuyuan, CM 135E
    ],
)
def test_gauss_kruger_zone_inside_china(lon, lat, epsg):
    got = metric_crs(gpd.GeoSeries([Point(lon, lat)], crs=4326))
    assert got.to_epsg() == epsg
    assert got.name.startswith("CGCS2000 / 3-degree Gauss-Kruger CM")
    assert f"CM {3 * round(lon / 3)}E" in got.name


def test_utm_outside_china_and_southern_hemisphere():
    assert metric_crs(gpd.GeoSeries([Point(9.52, 47.14)], crs=4326)).to_epsg() == 32632
    assert metric_crs(gpd.GeoSeries([Point(151.2, -33.9)], crs=4326)).to_epsg() == 32756


def test_metric_crs_of_projected_input_and_several_frames():
    a = gpd.GeoSeries([Point(540_000, 3_320_000)], crs=4549)
    b = gpd.GeoSeries([Point(120.7, 30.1)], crs=4326)
    assert metric_crs(a, b).to_epsg() == 4549


def test_metric_crs_errors():
    with pytest.raises(rm.CRSError, match="no coordinate reference system"):
        metric_crs(gpd.GeoSeries([Point(0, 0)]))
    with pytest.raises(rm.CRSError, match="empty"):
        metric_crs(gpd.GeoSeries([], crs=4326))


def test_lengths_in_metric_crs_match_geodesic():
    line = gpd.GeoSeries([LineString([(120.5, 30.0), (120.7, 30.1)])], crs=4326)
    planar = float(line.to_crs(metric_crs(line)).length.iloc[0])
    geod = line.crs.get_geod()
    geodesic = geod.geometry_length(line.iloc[0])
    assert planar == pytest.approx(geodesic, rel=2e-4)


def test_gcj02_geometry_round_trip_and_input_untouched():
    wgs = gpd.GeoDataFrame(
        {"name": ["绍兴"]}, geometry=[LineString([(120.58, 30.0), (120.6, 30.02)])], crs=4326
    )
    gcj = wgs84_to_gcj02(wgs)
    back = gcj02_to_wgs84(gcj)
    np.testing.assert_allclose(
        np.asarray(back.geometry.iloc[0].coords),
        np.asarray(wgs.geometry.iloc[0].coords),
        atol=1e-9,
    )
    # The offset is several hundred metres, as published for GCJ-02.
    shift = gcj.to_crs(4549).geometry.iloc[0].hausdorff_distance(wgs.to_crs(4549).geometry.iloc[0])
    assert 300 < shift < 700
    assert wgs.geometry.iloc[0].coords[0] == (120.58, 30.0)


def test_gcj02_leaves_points_outside_china_unchanged():
    vaduz = gpd.GeoDataFrame(geometry=[Point(9.52, 47.14)], crs=4326)
    assert gcj02_to_wgs84(vaduz).geometry.iloc[0].equals(Point(9.52, 47.14))
    assert bool(_gcj02.out_of_china(9.52, 47.14))


def test_read_rivers_with_gcj02_crs():
    wgs_line = LineString([(120.58, 30.0), (120.6, 30.02)])
    lon, lat = _gcj02.wgs84_to_gcj02(*np.asarray(wgs_line.coords).T)
    gcj = gpd.GeoDataFrame(
        {"name": ["若耶溪"]}, geometry=[LineString(np.column_stack([lon, lat]))], crs=4326
    )
    for spelling in ("GCJ-02", "gcj02"):
        rivers = rm.read_rivers(gcj, crs=spelling)
        assert rivers.crs.to_epsg() == 4326
        np.testing.assert_allclose(
            np.asarray(rivers.geometry.iloc[0].coords), np.asarray(wgs_line.coords), atol=1e-9
        )


def test_metric_input_keeps_its_crs_but_web_mercator_does_not():
    swiss = gpd.GeoSeries([Point(2_758_000, 1_222_000)], crs=2056)
    assert metric_crs(swiss).to_epsg() == 2056
    mercator = gpd.GeoSeries([Point(120.6, 30.0)], crs=4326).to_crs(3857)
    assert metric_crs(mercator).to_epsg() == 4549
    feet = gpd.GeoSeries([Point(2_000_000, 500_000)], crs=2263)  # NY state plane, US feet
    assert 32601 <= metric_crs(feet).to_epsg() <= 32660  # feet are not metres: a UTM zone


def test_rivers_far_from_the_units_warn_and_none_near_is_an_error():
    zj = rm.datasets.get_path("zhejiang")
    rivers = rm.read_rivers(zj, layer="rivers", merge_by="name")
    units = rm.read_units(zj, levels=["province", "city", "district"])
    # Liechtenstein's axes swapped stay within the degree ranges: only the extent tells
    far = rivers.head(2).copy()
    far.geometry = [
        LineString([(47.10, 9.50), (47.20, 9.55)]),
        LineString([(47.0, 9.4), (47.1, 9.6)]),
    ]
    far["river_id"] = ["far1", "far2"]
    mixed = gpd.GeoDataFrame(pd.concat([rivers, far], ignore_index=True), crs=rivers.crs)
    with pytest.warns(
        rm.RivermapWarning,
        match=r"rivers.\): 2 of 13 river\(s\) lie far from every unit of .*: ids .far1., .far2.",
    ):
        resp = rm.assign(mixed, units)
    assert resp.rivers.set_index("river_id").loc[["far1", "far2"], "chief_level"].isna().all()
    with pytest.raises(
        rm.CRSError, match=r"none of the 2 river\(s\) comes near the units.*swapped"
    ):
        rm.assign(far, units)
    # a projected copy of the units is compared in the rivers' CRS: nothing to say
    rm.assign(rivers, rm.AdminUnits(units.frame.to_crs(4549), units.levels))
