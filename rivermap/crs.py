"""Coordinate reference systems: metric CRS choice and the Chinese offset systems.

All lengths in rivermap are metres, computed in a projected CRS picked by
:func:`metric_crs`: the CGCS2000 3-degree Gauss-Krüger zone (EPSG:4534–4554,
the national standard for Chinese large-scale maps) inside China and the UTM
zone elsewhere.

GCJ-02 is the offset coordinate system that Chinese web maps (Gaode/AMap,
Tencent) use, BD-09 Baidu's offset of GCJ-02. PROJ knows neither;
:func:`gcj02_to_wgs84` and :func:`wgs84_to_gcj02` convert geometries with
rivermap's own transform (:mod:`rivermap._gcj02`, which also converts BD-09),
and :func:`parse_chinese_crs` tells which of WGS84, GCJ-02 and BD-09 a
``crs=`` argument names.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap import _gcj02
from rivermap.errors import CRSError, RivermapWarning, format_ids

__all__ = [
    "BD09_NAMES",
    "GCJ02_NAMES",
    "WGS84_NAMES",
    "check_crs",
    "check_extent_bounds",
    "check_extents",
    "gcj02_to_wgs84",
    "is_gcj02",
    "metric_crs",
    "parse_chinese_crs",
    "wgs84_to_gcj02",
]

#: Spellings accepted for the GCJ-02 pseudo-CRS (compared case-insensitively):
#: its names, and the web maps that use it.
GCJ02_NAMES = frozenset({"gcj-02", "gcj02", "gcj_02", "gcj", "gaode", "amap", "autonavi"})
#: Spellings accepted for Baidu's BD-09 pseudo-CRS (compared case-insensitively).
BD09_NAMES = frozenset({"bd-09", "bd09", "bd_09", "bd09ll", "baidu"})
#: Spellings of plain WGS84 longitude/latitude (compared case-insensitively).
WGS84_NAMES = frozenset({"wgs84", "wgs-84", "wgs_84", "wgs 84", "gps", "epsg:4326", "4326"})

_WGS84 = pyproj.CRS.from_epsg(4326)
# EPSG:4534 is CGCS2000 / 3-degree Gauss-Kruger CM 75E; each next code moves 3 degrees east,
# up to EPSG:4554 at CM 135E.
_GK_FIRST_EPSG, _GK_FIRST_CM, _GK_LAST_CM = 4534, 75, 135


def is_gcj02(crs: Any) -> bool:
    """Whether ``crs`` names the GCJ-02 pseudo-CRS (``"GCJ-02"``, ``"gcj02"`` …).

    Examples
    --------
    >>> is_gcj02("GCJ-02"), is_gcj02("EPSG:4326")
    (True, False)
    """
    return isinstance(crs, str) and crs.strip().lower() in GCJ02_NAMES


def parse_chinese_crs(value: Any) -> str | None:
    """Tell which of WGS84, GCJ-02 and BD-09 ``value`` names: ``"wgs84"``, ``"gcj02"``, ``"bd09"``.

    Names are compared case-insensitively, spaces around them ignored
    (:data:`WGS84_NAMES`, :data:`GCJ02_NAMES`, :data:`BD09_NAMES`); the
    integer 4326 is WGS84 too. Anything else (another EPSG code, a
    :class:`pyproj.CRS`, None) is None: a CRS for PROJ to handle, or none.

    Examples
    --------
    >>> parse_chinese_crs("GCJ-02"), parse_chinese_crs("Baidu"), parse_chinese_crs("EPSG:4326")
    ('gcj02', 'bd09', 'wgs84')
    >>> parse_chinese_crs("EPSG:4549") is None, parse_chinese_crs(None) is None
    (True, True)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return "wgs84" if value == 4326 else None
    if not isinstance(value, str):
        return None
    key = value.strip().lower()
    for name, names in (("wgs84", WGS84_NAMES), ("gcj02", GCJ02_NAMES), ("bd09", BD09_NAMES)):
        if key in names:
            return name
    return None


def check_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> pyproj.CRS:
    """Return the CRS of ``gdf`` or raise :class:`CRSError` naming ``what``.

    Parameters
    ----------
    gdf
        Data whose CRS must be set.
    what
        How to name the data in the message, e.g. ``"rivers"`` or a file path.
    """
    if gdf.crs is None:
        msg = (
            f"{what} has no coordinate reference system (CRS). Give it with "
            "crs='EPSG:4326' (WGS84/CGCS2000 longitude-latitude), crs='GCJ-02' (Gaode/AMap "
            "web-map coordinates), or a projected EPSG code (--crs EPSG:4326 on the command "
            "line, crs = … in the project file); or set it with gdf.set_crs(...)."
        )
        raise CRSError(msg)
    return pyproj.CRS.from_user_input(gdf.crs)


def check_extents(
    rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, margin: float = 1.0
) -> None:
    """Warn about rivers far from every unit; raise when no river comes near any.

    A river is far when its bounding box misses the units' bounding box grown
    by ``margin`` times its size on each side. Rivers outside the units are
    normal (they become ``outside`` reaches), and a GCJ-02 offset is a few
    hundred metres; rivers a whole extent away point to a CRS mistake: one
    input in the wrong CRS, or its axes swapped. Every river far away is an
    error, since the result would hold no responsibility at all.

    Parameters
    ----------
    rivers
        With ``river_id``; ``attrs["source"]`` (set by the readers) names them.
    units
        Every unit, in any CRS (compared in the rivers' CRS); ``attrs["source"]``
        names them.
    margin
        How much of the units' extent counts as near, on each side.

    Raises
    ------
    CRSError
        No river comes near the units.

    Warns
    -----
    RivermapWarning
        Naming the rivers far away, when there are some.
    """
    if not len(rivers) or not len(units):
        return
    check_extent_bounds(
        rivers.bounds.to_numpy(),
        rivers["river_id"].to_numpy(),
        rivers.crs,
        units,
        where=rivers.attrs.get("source", "rivers"),
        margin=margin,
        stacklevel=4,
    )


def check_extent_bounds(
    bounds: NDArray[np.float64],
    ids: Any,
    crs: Any,
    units: gpd.GeoDataFrame,
    *,
    where: str = "rivers",
    margin: float = 1.0,
    stacklevel: int = 3,
) -> None:
    """:func:`check_extents` for rivers given by their boxes: ``bounds`` (x0, y0, x1, y1).

    ``ids`` are the rivers' ids, ``crs`` their CRS and ``where`` their name in
    messages; ``stacklevel`` is the warning's, counted from this function.
    """
    if not len(bounds) or not len(units):
        return
    box = units.total_bounds
    if not pyproj.CRS(units.crs).equals(crs):
        to_rivers = pyproj.Transformer.from_crs(units.crs, crs, always_xy=True)
        box = np.array(to_rivers.transform_bounds(*box))
    grow = margin * max(box[2] - box[0], box[3] - box[1])
    b = bounds
    far = (
        (b[:, 2] < box[0] - grow)
        | (b[:, 0] > box[2] + grow)
        | (b[:, 3] < box[1] - grow)
        | (b[:, 1] > box[3] + grow)
    )
    if not far.any():
        return
    u_name = units.attrs.get("source", "units")
    with warnings.catch_warnings():  # boxes of empty geometries are NaN, as total_bounds skips
        warnings.simplefilter("ignore", RuntimeWarning)
        total = np.array([*np.nanmin(b[:, :2], axis=0), *np.nanmax(b[:, 2:], axis=0)])
    extents = (
        f"rivers {_extent(total)}, units {_extent(box)} in the rivers' CRS "
        f"{pyproj.CRS(crs).to_string()}"
    )
    if far.all():
        msg = (
            f"{where}: none of the {len(b)} river(s) comes near the units of {u_name} "
            f"({extents}); is one of them in another CRS than it declares, or are its axes "
            "swapped?"
        )
        raise CRSError(msg)
    warnings.warn(
        f"{where}: {int(far.sum())} of {len(b)} river(s) lie far from every unit of "
        f"{u_name}: ids {format_ids(np.asarray(ids)[far])} ({extents}); they get no "
        "responsible unit",
        RivermapWarning,
        stacklevel=stacklevel,
    )


def _extent(b: NDArray[np.float64]) -> str:
    return f"({b[0]:.6g}, {b[1]:.6g}) – ({b[2]:.6g}, {b[3]:.6g})"


def _lonlat_bounds(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[float, float, float, float]:
    crs = check_crs(gdf, "data")
    minx, miny, maxx, maxy = gdf.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        msg = "cannot choose a metric CRS for empty data"
        raise CRSError(msg)
    if crs.is_geographic:
        return float(minx), float(miny), float(maxx), float(maxy)
    to_ll = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)
    west, south, east, north = to_ll.transform_bounds(minx, miny, maxx, maxy)
    return float(west), float(south), float(east), float(north)


def metric_crs(*data: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """Choose a projected CRS in metres for the combined extent of ``data``.

    Data already in one projected CRS in metres (Gauss-Krüger, UTM, a national
    grid such as EPSG:2056) keeps that CRS; web Mercator does not count, since
    its lengths are stretched by 1/cos(latitude). Otherwise, inside China (the
    centre of the extent within the GCJ-02 China rectangle) this is the
    CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest the
    centre (EPSG:4534–4554, with false easting 500 km, no zone
    prefix). Elsewhere it is the WGS84 UTM zone of the centre.

    Parameters
    ----------
    *data
        One or more GeoDataFrames/GeoSeries with a CRS.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        If any input has no CRS, or all are empty.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> metric_crs(gpd.GeoSeries([Point(120.6, 30.0)], crs=4326)).to_epsg()
    4549
    >>> metric_crs(gpd.GeoSeries([Point(9.52, 47.14)], crs=4326)).to_epsg()
    32632
    """
    if not data:
        msg = "metric_crs needs at least one GeoDataFrame or GeoSeries"
        raise TypeError(msg)
    crss = [check_crs(d, "data") for d in data]
    if all(c.equals(crss[0]) for c in crss) and _is_true_metric(crss[0]):
        return crss[0]
    present = [d for d in data if len(d) and not d.is_empty.all()]
    if not present:
        msg = "cannot choose a metric CRS: every layer given is empty"
        raise CRSError(msg)
    boxes = np.array([_lonlat_bounds(d) for d in present])
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    if not bool(_gcj02.out_of_china(lon, lat)):
        cm = min(max(3 * round(lon / 3), _GK_FIRST_CM), _GK_LAST_CM)
        return pyproj.CRS.from_epsg(_GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3)
    zone = min(math.floor((lon + 180.0) / 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _is_true_metric(crs: pyproj.CRS) -> bool:
    """Tell whether ``crs`` is projected in metres and true to scale locally (not web Mercator)."""
    if not crs.is_projected:
        return False
    units = {axis.unit_name for axis in crs.axis_info}
    if units != {"metre"}:
        return False
    method = crs.coordinate_operation.method_name.lower() if crs.coordinate_operation else ""
    # Normal-aspect Mercator and web Mercator stretch lengths; transverse and oblique don't.
    return not method.startswith(("mercator", "popular visualisation"))


def _transform_lonlat(geoms: NDArray[np.object_], func: Any) -> NDArray[np.object_]:
    def _apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, _apply)


def gcj02_to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convert GCJ-02 longitude/latitude geometries to WGS84 (EPSG:4326).

    Coordinates outside China are unchanged, as in GCJ-02 itself. The inverse
    is exact to better than 1 cm (see :mod:`rivermap._gcj02`).

    Parameters
    ----------
    gdf
        Geometries in GCJ-02 degrees. Its ``crs`` attribute is ignored: GCJ-02
        data is commonly mislabelled as EPSG:4326.

    Returns
    -------
    GeoDataFrame
        A new frame in EPSG:4326; the input is not modified.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(120.5885, 30.0011)], crs=4326)
    >>> p = gcj02_to_wgs84(g).geometry.iloc[0]
    >>> round(p.x, 4), round(p.y, 4)
    (120.5844, 30.0037)
    """
    out = gdf.copy()
    out.geometry.values[:] = _transform_lonlat(
        np.asarray(gdf.geometry.values), _gcj02.gcj02_to_wgs84
    )
    return out.set_crs(_WGS84, allow_override=True)


def wgs84_to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convert geometries to GCJ-02 longitude/latitude (for Gaode/AMap tiles).

    Parameters
    ----------
    gdf
        Geometries in any CRS; they are first reprojected to EPSG:4326.

    Returns
    -------
    GeoDataFrame
        A new frame whose coordinates are GCJ-02 degrees. Its ``crs`` is set to
        EPSG:4326 because PROJ has no GCJ-02; treat it as GCJ-02.
    """
    check_crs(gdf, "data")
    out = gdf.to_crs(_WGS84)
    out.geometry.values[:] = _transform_lonlat(
        np.asarray(out.geometry.values), _gcj02.wgs84_to_gcj02
    )
    return out
