"""Tests for the GCJ-02 <-> WGS84 transform in :mod:`rivermap._gcj02`."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray

from rivermap._gcj02 import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

EARTH_RADIUS_M = 6371008.8

Transform = Callable[[ArrayLike, ArrayLike], tuple[NDArray[np.float64], NDArray[np.float64]]]


def _haversine_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    p = np.pi / 180.0
    lo1, la1, lo2, la2 = (np.asarray(v, dtype=np.float64) for v in (lon1, lat1, lon2, lat2))
    h = (
        np.sin((la2 - la1) * p / 2.0) ** 2
        + np.cos(la1 * p) * np.cos(la2 * p) * np.sin((lo2 - lo1) * p / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))


# ---------------------------------------------------------------------------
# Published reference vectors, (wgs_lon, wgs_lat, gcj_lon, gcj_lat).
# ---------------------------------------------------------------------------

# googollee/eviltransform, python/test.py (identical in go/transform_test.go, c/test.c,
# javascript/test.js and csharp/EvilTransformUnitTest.cs). The source lists them as
# (wgsLat, wgsLng, gcjLat, gcjLng) with full double precision; reordered here to lon/lat.
EVILTRANSFORM_VECTORS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]

# wandergis/coordtransform, README.md ("wgs84togcj02(116.404, 39.915)" example output,
# printed to full double precision).
COORDTRANSFORM_VECTORS = [
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Beijing
]

# hujiulong/gcoord, test/unit/crs/WGS84.spec.ts, test "WGS84 to GCJ02" at lon 123, lat 45;
# printed to 8 decimals (truncated), so compared at 1e-8 deg (about 1 mm).
GCOORD_FORWARD = (123.0, 45.0, 123.00607541, 45.00197815)

# hujiulong/gcoord, test/unit/crs/GCJ02.spec.ts, test "GCJ02 to WGS84" at lon 123, lat 45. gcoord's
# own inverse iterates only until the residual is < 1e-6 deg, so its output is compared
# at 1e-6 deg (about 0.1 m).
GCOORD_INVERSE = (123.0, 45.0, 122.99395597, 44.99804071)  # (gcj_lon, gcj_lat, wgs...)

FULL_PRECISION_VECTORS = EVILTRANSFORM_VECTORS + COORDTRANSFORM_VECTORS

# 1e-9 deg is about 0.1 mm; the full-precision vectors are in fact reproduced to ~1 ulp.
FULL_PRECISION_TOL_DEG = 1e-9


@pytest.mark.parametrize("direction", ["forward", "inverse"])
@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), FULL_PRECISION_VECTORS)
def test_matches_published_vectors(
    direction: str, wlon: float, wlat: float, glon: float, glat: float
) -> None:
    # The published GCJ-02 values were produced by the forward formula from these WGS84
    # points, so the exact inverse must recover them (eviltransform itself only asks
    # for 0.5 m; we ask for 1e-9 deg, about 0.1 mm).
    if direction == "forward":
        (lon, lat), want = wgs84_to_gcj02(wlon, wlat), (glon, glat)
    else:
        (lon, lat), want = gcj02_to_wgs84(glon, glat), (wlon, wlat)
    assert abs(float(lon) - want[0]) < FULL_PRECISION_TOL_DEG
    assert abs(float(lat) - want[1]) < FULL_PRECISION_TOL_DEG


def test_forward_matches_gcoord_vector() -> None:
    wlon, wlat, glon, glat = GCOORD_FORWARD
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert abs(float(lon) - glon) < 1e-8
    assert abs(float(lat) - glat) < 1e-8


def test_inverse_matches_gcoord_vector() -> None:
    glon, glat, wlon, wlat = GCOORD_INVERSE
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert abs(float(lon) - wlon) < 1e-6
    assert abs(float(lat) - wlat) < 1e-6
    assert float(_haversine_m(lon, lat, wlon, wlat)) < 0.1


def test_published_vectors_vectorized() -> None:
    ref = np.array(FULL_PRECISION_VECTORS)
    lon, lat = wgs84_to_gcj02(ref[:, 0], ref[:, 1])
    np.testing.assert_allclose(lon, ref[:, 2], rtol=0, atol=FULL_PRECISION_TOL_DEG)
    np.testing.assert_allclose(lat, ref[:, 3], rtol=0, atol=FULL_PRECISION_TOL_DEG)
    ilon, ilat = gcj02_to_wgs84(ref[:, 2], ref[:, 3])
    np.testing.assert_allclose(ilon, ref[:, 0], rtol=0, atol=FULL_PRECISION_TOL_DEG)
    np.testing.assert_allclose(ilat, ref[:, 1], rtol=0, atol=FULL_PRECISION_TOL_DEG)


# ---------------------------------------------------------------------------
# Round trips (hypothesis). Stay 0.02 deg inside the rectangle: within ~0.01 deg of its
# edge a point and its image can fall on different sides and the round trip is undefined.
# ---------------------------------------------------------------------------

MARGIN = 0.02
china_lon = st.floats(72.004 + MARGIN, 137.8347 - MARGIN, allow_nan=False)
china_lat = st.floats(0.8293 + MARGIN, 55.8271 - MARGIN, allow_nan=False)
ROUND_TRIP_TOL_DEG = 1e-9  # about 0.1 mm (the brief asks for 1e-7)


@pytest.mark.parametrize(
    ("there", "back"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_wgs84, wgs84_to_gcj02)],
    ids=["wgs-gcj-wgs", "gcj-wgs-gcj"],
)
@settings(max_examples=500, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip(there: Any, back: Any, lon: float, lat: float) -> None:
    x, y = there(lon, lat)
    rlon, rlat = back(x, y)
    assert abs(float(rlon) - lon) < ROUND_TRIP_TOL_DEG
    assert abs(float(rlat) - lat) < ROUND_TRIP_TOL_DEG


@settings(max_examples=50, deadline=None)
@given(
    lons=st.lists(china_lon, min_size=1, max_size=40),
    lats=st.lists(china_lat, min_size=1, max_size=40),
)
def test_round_trip_arrays(lons: list[float], lats: list[float]) -> None:
    n = min(len(lons), len(lats))
    lon = np.array(lons[:n])
    lat = np.array(lats[:n])
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    np.testing.assert_allclose(wlon, lon, rtol=0, atol=ROUND_TRIP_TOL_DEG)
    np.testing.assert_allclose(wlat, lat, rtol=0, atol=ROUND_TRIP_TOL_DEG)


def test_inverse_beats_one_step_approximation() -> None:
    # The common "gcj - offset(gcj)" approximation is off by metres; the iterated inverse
    # must do much better, which shows the iteration is actually running.
    glon, glat = 116.38404722455657, 39.91334545536069
    wlon, wlat = 116.377817, 39.911954
    approx_lon = glon - (float(wgs84_to_gcj02(glon, glat)[0]) - glon)
    approx_lat = glat - (float(wgs84_to_gcj02(glon, glat)[1]) - glat)
    assert float(_haversine_m(approx_lon, approx_lat, wlon, wlat)) > 0.05
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert float(_haversine_m(lon, lat, wlon, wlat)) < 1e-4


def test_round_trip_dense_grid() -> None:
    lon, lat = np.meshgrid(np.linspace(73.0, 135.0, 157), np.linspace(3.0, 54.0, 131))
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.max(np.abs(wlon - lon)) < 1e-11
    assert np.max(np.abs(wlat - lat)) < 1e-11


# ---------------------------------------------------------------------------
# Offset sanity, out-of-China behaviour.
# ---------------------------------------------------------------------------

CITIES = {
    "Beijing": (116.40, 39.90),
    "Shanghai": (121.47, 31.23),
    "Guangzhou": (113.26, 23.13),
    "Chengdu": (104.07, 30.67),
    "Wuhan": (114.30, 30.59),
    "Harbin": (126.64, 45.76),
    "Urumqi": (87.62, 43.83),
    "Lhasa": (91.11, 29.65),
    "Kunming": (102.83, 25.04),
    "Haikou": (110.35, 20.02),
}


@pytest.mark.parametrize("city", sorted(CITIES))
def test_offset_magnitude_in_cities(city: str) -> None:
    lon, lat = CITIES[city]
    glon, glat = wgs84_to_gcj02(lon, lat)
    d = float(_haversine_m(lon, lat, glon, glat))
    assert 100.0 < d < 700.0


def test_offset_bounded_over_whole_rectangle() -> None:
    lon, lat = np.meshgrid(np.linspace(72.004, 137.8347, 200), np.linspace(0.8293, 55.8271, 200))
    glon, glat = wgs84_to_gcj02(lon, lat)
    d = _haversine_m(lon, lat, glon, glat)
    assert np.all(d > 0.0)
    assert np.all(d < 800.0)
    assert np.median(d) > 100.0


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (9.52, 47.14),  # Vaduz
        (139.7, 35.7),  # Tokyo
        (183.0, 45.0),  # from hujiulong/gcoord test/unit/crs/WGS84.spec.ts
        (-74.0, 40.7),  # New York
        (116.4, -39.9),  # southern hemisphere mirror of Beijing
        (116.4, 60.0),  # north of the rectangle
    ],
)
def test_outside_china_unchanged_exactly(lon: float, lat: float) -> None:
    assert bool(out_of_china(lon, lat))
    for func in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        assert float(out_lon) == lon
        assert float(out_lat) == lat


def test_out_of_china_rectangle_edges_inclusive() -> None:
    lon = np.array([72.004, 72.0039, 137.8347, 137.8348, 100.0, 100.0, 100.0, 100.0])
    lat = np.array([30.0, 30.0, 30.0, 30.0, 0.8293, 0.8292, 55.8271, 55.8272])
    expected = np.array([False, True, False, True, False, True, False, True])
    np.testing.assert_array_equal(out_of_china(lon, lat), expected)


def test_mixed_inside_outside_array() -> None:
    lon = np.array([9.52, 116.377817, 139.7])
    lat = np.array([47.14, 39.911954, 35.7])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon[0] == 9.52
    assert glat[0] == 47.14
    assert glon[2] == 139.7
    assert glat[2] == 35.7
    assert abs(glon[1] - 116.38404722455657) < FULL_PRECISION_TOL_DEG
    assert abs(glat[1] - 39.91334545536069) < FULL_PRECISION_TOL_DEG


# ---------------------------------------------------------------------------
# Shapes, dtypes, scalars, NaN.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_scalar_input_gives_0d_float64(func: Transform) -> None:
    lon, lat = func(116.4, 39.9)
    for arr in (lon, lat):
        assert isinstance(arr, np.ndarray)
        assert arr.shape == ()
        assert arr.dtype == np.float64
    assert float(lon) != 116.4
    assert float(lat) != 39.9


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_integer_input(func: Transform) -> None:
    lon, lat = func(np.array([116, 121]), np.array([40, 31]))
    assert lon.dtype == np.float64
    ref_lon, ref_lat = func(np.array([116.0, 121.0]), np.array([40.0, 31.0]))
    np.testing.assert_array_equal(lon, ref_lon)
    np.testing.assert_array_equal(lat, ref_lat)


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_1d_and_2d_shapes_match_elementwise(func: Transform) -> None:
    rng = np.random.default_rng(20240501)
    lon = rng.uniform(75.0, 135.0, size=(4, 6))
    lat = rng.uniform(5.0, 53.0, size=(4, 6))
    lon2, lat2 = func(lon, lat)
    lon1, lat1 = func(lon.ravel(), lat.ravel())
    assert lon2.shape == lat2.shape == (4, 6)
    assert lon1.shape == lat1.shape == (24,)
    np.testing.assert_array_equal(lon2.ravel(), lon1)
    np.testing.assert_array_equal(lat2.ravel(), lat1)
    for i in range(4):
        for j in range(6):
            s_lon, s_lat = func(lon[i, j], lat[i, j])
            assert float(s_lon) == lon2[i, j]
            assert float(s_lat) == lat2[i, j]
    assert not np.any(lon2 == lon)


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_inputs_not_modified(func: Transform) -> None:
    lon = np.array([116.4, 121.47])
    lat = np.array([39.9, 31.23])
    lon0, lat0 = lon.copy(), lat.copy()
    func(lon, lat)
    np.testing.assert_array_equal(lon, lon0)
    np.testing.assert_array_equal(lat, lat0)


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_broadcasting(func: Transform) -> None:
    lon = np.array([110.0, 115.0, 120.0])
    lat = 30.0
    blon, blat = func(lon, lat)
    assert blon.shape == blat.shape == (3,)
    flon, flat = func(lon, np.full(3, 30.0))
    np.testing.assert_array_equal(blon, flon)
    np.testing.assert_array_equal(blat, flat)


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_nan_and_inf_propagate_without_warnings(func: Transform) -> None:
    lon = np.array([[np.nan, 116.4, 116.4], [np.inf, 121.47, np.nan]])
    lat = np.array([[39.9, np.nan, 39.9], [31.23, 31.23, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_lon, out_lat = func(lon, lat)
        assert out_lon.shape == (2, 3)
        nan_scalar = func(np.nan, np.nan)
    assert np.isnan(out_lon[0, 0])
    assert np.isnan(out_lat[0, 1])
    assert np.isnan(out_lon[1, 2])
    assert np.isnan(out_lat[1, 2])
    assert np.isinf(out_lon[1, 0])
    # A NaN in one coordinate leaves the other one untouched.
    assert out_lat[0, 0] == 39.9
    assert out_lon[0, 1] == 116.4
    # Finite points in the same array are still transformed.
    assert out_lon[0, 2] != 116.4
    assert out_lon[1, 1] != 121.47
    ref_lon, ref_lat = func(116.4, 39.9)
    assert out_lon[0, 2] == float(ref_lon)
    assert out_lat[0, 2] == float(ref_lat)
    assert np.isnan(nan_scalar[0])
    assert np.isnan(nan_scalar[1])


def test_empty_arrays() -> None:
    for func in (wgs84_to_gcj02, gcj02_to_wgs84):
        lon, lat = func(np.empty((0,)), np.empty((0,)))
        assert lon.shape == lat.shape == (0,)
        assert lon.dtype == np.float64


# ---------------------------------------------------------------------------
# BD-09 (Baidu).
# ---------------------------------------------------------------------------

# wandergis/coordtransform, README.md: gcj02tobd09(116.404, 39.915) and
# bd09togcj02(116.404, 39.915), printed to full double precision (the same values
# are in hutool's CoordinateUtilTest). bd09togcj02 there is Baidu's one-step
# approximate inverse; rivermap's inverse is exact, and within 3e-6 deg of it.
COORDTRANSFORM_GCJ_TO_BD = (116.404, 39.915, 116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD_TO_GCJ = (116.404, 39.915, 116.39762729119315, 39.90865673957631)
BD09_ROUND_TRIP_TOL_DEG = 1e-6  # the brief's bound; the iteration reaches 1e-10


def test_gcj02_to_bd09_matches_published_pair() -> None:
    glon, glat, blon, blat = COORDTRANSFORM_GCJ_TO_BD
    lon, lat = gcj02_to_bd09(glon, glat)
    assert float(lon) == pytest.approx(blon, abs=1e-12)
    assert float(lat) == pytest.approx(blat, abs=1e-12)
    back = bd09_to_gcj02(blon, blat)
    assert float(back[0]) == pytest.approx(glon, abs=1e-10)
    assert float(back[1]) == pytest.approx(glat, abs=1e-10)


def test_bd09_to_gcj02_refines_the_published_one_step_inverse() -> None:
    blon, blat, glon, glat = COORDTRANSFORM_BD_TO_GCJ
    lon, lat = bd09_to_gcj02(blon, blat)
    # close to Baidu's approximation, and exact where it is not
    assert abs(float(lon) - glon) < 3e-6
    assert abs(float(lat) - glat) < 3e-6
    f_lon, f_lat = gcj02_to_bd09(lon, lat)
    assert abs(float(f_lon) - blon) < 1e-10
    assert abs(float(f_lat) - blat) < 1e-10
    a_lon, a_lat = gcj02_to_bd09(glon, glat)  # the approximation does not round-trip as well
    assert max(abs(float(a_lon) - blon), abs(float(a_lat) - blat)) > 1e-8


@pytest.mark.parametrize(
    ("there", "back"),
    [
        (gcj02_to_bd09, bd09_to_gcj02),
        (bd09_to_gcj02, gcj02_to_bd09),
        (wgs84_to_bd09, bd09_to_wgs84),
    ],
    ids=["gcj-bd-gcj", "bd-gcj-bd", "wgs-bd-wgs"],
)
@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_bd09_round_trip(there: Any, back: Any, lon: float, lat: float) -> None:
    x, y = there(lon, lat)
    rlon, rlat = back(x, y)
    assert abs(float(rlon) - lon) < BD09_ROUND_TRIP_TOL_DEG
    assert abs(float(rlat) - lat) < BD09_ROUND_TRIP_TOL_DEG


def test_bd09_offset_is_hundreds_of_metres_and_arrays_keep_shape() -> None:
    lon = np.array([[116.404, 121.47], [113.26, 104.07]])
    lat = np.array([[39.915, 31.23], [23.13, 30.67]])
    blon, blat = wgs84_to_bd09(lon, lat)
    assert blon.shape == blat.shape == (2, 2)
    metres = _haversine_m(lon, lat, blon, blat)
    assert np.all((metres > 300) & (metres < 1500)), metres
    wlon, wlat = bd09_to_wgs84(blon, blat)
    np.testing.assert_allclose(wlon, lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(wlat, lat, rtol=0, atol=1e-9)
    nan_lon, nan_lat = bd09_to_gcj02(np.nan, 30.0)  # BD-09 mixes the two: both NaN
    assert np.isnan(nan_lon)
    assert np.isnan(nan_lat)
