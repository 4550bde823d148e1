"""GCJ-02 <-> WGS84 coordinate transform.

GCJ-02 (国测局坐标, colloquially "Mars coordinates" / 火星坐标) is the datum mandated for
maps published in mainland China. It is WGS84 with a deliberate, non-linear, smoothly
varying offset of typically 100-700 m, applied by a (nominally secret) algorithm. Web maps
such as Gaode/AMap, Tencent and Google Maps' China tiles are in GCJ-02, so WGS84 data
(GPS tracks, OpenStreetMap, official boundaries re-projected to EPSG:4326) appear shifted
on them unless converted.

The forward transform implemented here is the widely published reverse-engineered formula
(as in ``googollee/eviltransform``, ``wandergis/coordtransform`` and ``hujiulong/gcoord``):
two trigonometric polynomials in ``(lon - 105, lat - 35)`` give an offset in metres that is
converted to degrees on the Krasovsky 1940 ellipsoid (``a = 6378245.0``,
``e^2 = 0.00669342162296594323``). It agrees with the official transform to about a metre.
Points outside a rough bounding rectangle of China are left unchanged.

The inverse has no closed form; :func:`gcj02_to_wgs84` solves ``f(wgs) = gcj`` by
fixed-point iteration, which converges to far below a millimetre in a handful of steps
because the offset varies very slowly with position.

BD-09 (百度坐标) is Baidu Maps' system: GCJ-02 with a second offset of about
500 m, a small rotation and stretch about the origin followed by a shift of
(0.0065°, 0.006°), with ``x_pi = π·3000/180`` (:func:`gcj02_to_bd09`, the
standard published formula). Baidu's published inverse subtracts the same terms
evaluated at the BD-09 point, which is off by up to 2e-6 degrees (0.2 m);
:func:`bd09_to_gcj02` starts from it and refines it by the same fixed-point
iteration as the GCJ-02 inverse, so that the round trip is exact to 1e-10
degrees. BD-09 applies everywhere (Baidu does not test for China).
WGS84 ↔ BD-09 goes through GCJ-02.

All functions are vectorized over numpy arrays of any shape and return ``float64`` arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323

# Bounding rectangle of the published algorithm (inclusive bounds are "in China").
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

# Stopping rule of the inverse iteration (degrees; 1e-10 deg is about 0.01 mm).
_INV_TOL = 1e-10
_INV_MAX_ITER = 30

# Baidu's BD-09 constants: the angular factor and the shift of the origin (degrees).
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON, _BD_DLAT = 0.0065, 0.006


def _as_float_pair(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Broadcast ``lon``/``lat`` together into fresh, writable float64 arrays."""
    lon_b, lat_b = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_b.copy(), lat_b.copy()


def _inside(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Inverse of :func:`out_of_china` on float arrays (NaN counts as outside)."""
    return (lon >= _LON_MIN) & (lon <= _LON_MAX) & (lat >= _LAT_MIN) & (lat <= _LAT_MAX)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Test whether points fall outside the rectangle where GCJ-02 is applied.

    This is the rough rectangle used by the published eviltransform/coordtransform
    algorithm: longitude 72.004..137.8347 and latitude 0.8293..55.8271 (inclusive) count
    as "in China". It is deliberately coarse (it includes e.g. parts of Mongolia, Korea
    and South-East Asia), but it is what GCJ-02 tools agree on.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` where the point is outside the rectangle. NaN coordinates are
        reported as outside.

    Examples
    --------
    >>> out_of_china([116.4, 9.52, 139.7], [39.9, 47.14, 35.7])
    array([False,  True,  True])
    >>> bool(out_of_china(121.47, 31.23))
    False
    """
    lon_a, lat_a = _as_float_pair(lon, lat)
    return np.logical_not(_inside(lon_a, lat_a))


def _offset(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 offset ``(dlon, dlat)`` in degrees at WGS84 ``(lon, lat)``, no masking."""
    x = lon - 105.0
    y = lat - 35.0
    x_pi = x * np.pi
    y_pi = y * np.pi
    common = 20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)

    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += common * 2.0 / 3.0
    dlat += (20.0 * np.sin(y_pi) + 40.0 * np.sin(y_pi / 3.0)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y_pi / 12.0) + 320.0 * np.sin(y_pi / 30.0)) * 2.0 / 3.0

    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common * 2.0 / 3.0
    dlon += (20.0 * np.sin(x_pi) + 40.0 * np.sin(x_pi / 3.0)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x_pi / 12.0) + 300.0 * np.sin(x_pi / 30.0)) * 2.0 / 3.0

    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS84 longitude/latitude to GCJ-02.

    Uses the standard published formula (Krasovsky ellipsoid). Points for which
    :func:`out_of_china` is true, and NaN coordinates, are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitude and latitude in degrees, scalars or arrays of any (mutually
        broadcastable) shape.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        GCJ-02 coordinates with the broadcast shape of the inputs (0-d for scalars).
        The inputs are never modified.

    See Also
    --------
    gcj02_to_wgs84 : The inverse transform.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)  # Beijing
    >>> float(lon), float(lat)
    (116.410244, 39.916404)
    >>> wgs84_to_gcj02([121.5272106, 9.52], [31.1774276, 47.14])  # Shanghai, Vaduz
    (array([121.531542,   9.52    ]), array([31.175304, 47.14    ]))
    """
    lon_a, lat_a = _as_float_pair(lon, lat)
    inside = _inside(lon_a, lat_a)
    if inside.any():
        dlon, dlat = _offset(lon_a[inside], lat_a[inside])
        lon_a[inside] += dlon
        lat_a[inside] += dlat
    return lon_a, lat_a


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert GCJ-02 longitude/latitude to WGS84 (exact inverse by iteration).

    Solves ``wgs84_to_gcj02(w) == (lon, lat)`` for ``w`` by the fixed-point iteration
    ``w <- w - (f(w) - gcj)``, starting from ``gcj - (f(gcj) - gcj)``, until every point
    has moved by less than 1e-10 degrees (about 0.01 mm) or 30 iterations have run;
    in practice 3-5 iterations suffice. The result reproduces the input under
    :func:`wgs84_to_gcj02` to well below a millimetre.

    Points for which :func:`out_of_china` is true (tested on the GCJ-02 input, as the
    published tools do), and NaN coordinates, are returned unchanged. Within about
    0.01 degrees of the rectangle's edge the round trip may therefore not be exact,
    because a point and its image can lie on different sides of the edge.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees, scalars or arrays of any (mutually
        broadcastable) shape.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS84 coordinates with the broadcast shape of the inputs (0-d for scalars).
        The inputs are never modified.

    See Also
    --------
    wgs84_to_gcj02 : The forward transform.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    >>> float(lon), float(lat)
    (116.404000, 39.915000)
    >>> import numpy as np
    >>> glon, glat = wgs84_to_gcj02(np.array([[113.9, 114.0]]), np.array([[22.5, 22.6]]))
    >>> wlon, wlat = gcj02_to_wgs84(glon, glat)
    >>> wlon.shape, bool(np.allclose(wlon, [[113.9, 114.0]], rtol=0, atol=1e-9))
    ((1, 2), True)
    """
    lon_a, lat_a = _as_float_pair(lon, lat)
    inside = _inside(lon_a, lat_a)
    if not inside.any():
        return lon_a, lat_a

    g_lon = lon_a[inside]
    g_lat = lat_a[inside]
    # First guess: subtract the offset evaluated at the GCJ point itself.
    dlon, dlat = _offset(g_lon, g_lat)
    w_lon = g_lon - dlon
    w_lat = g_lat - dlat
    active = np.ones(g_lon.shape, dtype=bool)
    for _ in range(_INV_MAX_ITER):
        a_lon = w_lon[active]
        a_lat = w_lat[active]
        dlon, dlat = _offset(a_lon, a_lat)
        # Residual f(w) - gcj; the fixed-point step is w <- w - residual.
        r_lon = a_lon + dlon - g_lon[active]
        r_lat = a_lat + dlat - g_lat[active]
        w_lon[active] = a_lon - r_lon
        w_lat[active] = a_lat - r_lat
        still = (np.abs(r_lon) >= _INV_TOL) | (np.abs(r_lat) >= _INV_TOL)
        active[active] = still
        if not active.any():
            break

    lon_a[inside] = w_lon
    lat_a[inside] = w_lat
    return lon_a, lat_a


def _to_bd09(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """BD-09 of GCJ-02 ``(lon, lat)`` by Baidu's published formula (float arrays in, new out)."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu Maps).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees, scalars or arrays of any (mutually
        broadcastable) shape.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        BD-09 coordinates with the broadcast shape of the inputs; NaN stays NaN.

    See Also
    --------
    bd09_to_gcj02 : The inverse transform.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> float(lon), float(lat)
    (116.410369, 39.921337)
    """
    lon_a, lat_a = _as_float_pair(lon, lat)
    return _to_bd09(lon_a, lat_a)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert BD-09 (Baidu Maps) longitude/latitude to GCJ-02, exactly.

    Starts from Baidu's published one-step inverse and refines it by the
    fixed-point iteration ``g <- g - (bd09(g) - bd)`` until every point has
    moved by less than 1e-10 degrees (two or three steps), so that
    :func:`gcj02_to_bd09` reproduces the input.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        GCJ-02 coordinates with the broadcast shape of the inputs; NaN stays NaN.

    See Also
    --------
    gcj02_to_bd09 : The forward transform.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.41036949371029, 39.92133699351021)
    >>> float(lon), float(lat)
    (116.404, 39.915)
    """
    b_lon, b_lat = _as_float_pair(lon, lat)
    x, y = b_lon - _BD_DLON, b_lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lon, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_INV_MAX_ITER):
        f_lon, f_lat = _to_bd09(g_lon, g_lat)
        r_lon, r_lat = f_lon - b_lon, f_lat - b_lat
        g_lon, g_lat = g_lon - r_lon, g_lat - r_lat
        if not (np.abs(r_lon) >= _INV_TOL).any() and not (np.abs(r_lat) >= _INV_TOL).any():
            break
    return g_lon, g_lat


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert BD-09 (Baidu Maps) longitude/latitude to WGS84, through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS84 coordinates with the broadcast shape of the inputs.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(120.15, 30.25))
    >>> float(lon), float(lat)
    (120.15, 30.25)
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS84 longitude/latitude to BD-09 (Baidu Maps), through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        BD-09 coordinates with the broadcast shape of the inputs.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(116.404, 39.915)
    >>> float(lon), float(lat)
    (116.416627, 39.9227)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
