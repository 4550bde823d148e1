"""Geometry hygiene shared by the readers: types, coordinates, emptiness, validity, Z/M.

Every river and unit read passes :func:`clean_geometries` once, in this order:

1. the geometry type (lines for rivers, polygons for units), else an error;
2. the coordinates: a NaN or infinite vertex is an error naming the features
   (GEOS would otherwise fail later with no name, or lengths become NaN); in a
   geographic CRS a longitude outside ±180° or a latitude outside ±90° is an
   error with a hint at the usual cause: axes swapped (latitude first), or
   metres labelled as degrees (a projected CRS mislabelled);
3. Z/M dropped; invalid polygons repaired with ``make_valid``, with a warning
   that counts them; empty, null and zero-length/area features dropped, with a
   warning naming them.
"""

from __future__ import annotations

import warnings
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from rivermap.errors import CRSError, DataError, RivermapWarning, SchemaError, format_ids

__all__ = ["check_coordinates", "clean_geometries", "with_geometry"]

_LINE_TYPES = frozenset({"LineString", "MultiLineString", "LinearRing"})
_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
# Indexed by shapely.get_type_id; the last entry serves id -1 (missing geometry).
_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "",
    ],
    dtype=object,
)


def with_geometry(
    gdf: gpd.GeoDataFrame, geoms: NDArray[np.object_] | gpd.GeoSeries, crs: object | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` whose active geometry column holds ``geoms``."""
    out = gdf.copy()
    name = gdf.geometry.name
    out[name] = gpd.GeoSeries(
        np.asarray(geoms, dtype=object), index=gdf.index, crs=crs if crs is not None else gdf.crs
    )
    return out.set_geometry(name)


def check_coordinates(
    geoms: NDArray[np.object_], crs: object | None, ids: pd.Series, what: str
) -> None:
    """Raise when a vertex is NaN or infinite, or (geographic CRS) outside the globe.

    Parameters
    ----------
    geoms
        2D geometries (missing ones allowed).
    crs
        Their CRS; the range check applies only to a geographic one.
    ids
        The feature ids, aligned with ``geoms``, for the message.
    what
        The file and layer, for the message.

    Raises
    ------
    DataError
        A feature has a NaN or infinite coordinate.
    CRSError
        Longitudes or latitudes out of range, with the likely cause.

    Examples
    --------
    >>> import shapely, pandas as pd
    >>> g = np.array([shapely.LineString([(30.1, 120.2), (30.2, 120.3)])])
    >>> check_coordinates(g, "EPSG:4326", pd.Series(["a"]), "rivers.gpkg")
    Traceback (most recent call last):
    ...
    rivermap.errors.CRSError: rivers.gpkg: 1 feature(s) lie outside longitude ±180° ...
    """
    xy = shapely.get_coordinates(geoms)
    # whole-array tests first (fast); the features at fault only when there are some
    if not np.isfinite(xy).all():
        xy, owner = shapely.get_coordinates(geoms, return_index=True)
        rows = np.unique(owner[~np.isfinite(xy).all(axis=1)])
        msg = (
            f"{what}: {len(rows)} feature(s) have a NaN or infinite coordinate: ids "
            f"{format_ids(ids.iloc[rows])}; fix or delete those vertices"
        )
        raise DataError(msg)
    if crs is None or not _is_geographic(crs) or not len(xy):
        return
    if np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90:
        xy, owner = shapely.get_coordinates(geoms, return_index=True)
        rows = np.unique(owner[(np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)])
        msg = (
            f"{what}: {len(rows)} feature(s) lie outside longitude ±180° / latitude ±90° "
            f"of the declared geographic CRS: ids {format_ids(ids.iloc[rows])}; {_range_hint(xy)}"
        )
        raise CRSError(msg)


def _is_geographic(crs: object) -> bool:
    import pyproj

    return bool(pyproj.CRS.from_user_input(crs).is_geographic)


def _range_hint(xy: NDArray[np.float64]) -> str:
    """Say the likely cause of coordinates out of a geographic CRS's range."""
    x, y = np.abs(xy[:, 0]), np.abs(xy[:, 1])
    if x.max() <= 90 and y.max() <= 180:
        return "the axes look swapped (latitude first): longitude must be x, latitude y"
    if max(x.max(), y.max()) > 1000:
        return (
            "the values look like metres: is a projected CRS labelled as degrees? "
            "Give the right one with crs='EPSG:…' (--crs on the command line)"
        )
    return "check the coordinates and the CRS the file declares"


def _polygonal_parts(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Keep only the polygons of the GeometryCollections that make_valid can return."""
    out = geoms.copy()
    collections = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    if collections.any():
        parts, owner = shapely.get_parts(geoms[collections], return_index=True)
        # Members may themselves be multi-part: flatten once more.
        parts, member = shapely.get_parts(parts, return_index=True)
        owner = owner[member]
        poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
        merged = np.full(int(collections.sum()), None, dtype=object)
        if poly.any():
            grouped = shapely.multipolygons(parts[poly], indices=owner[poly])
            merged[np.unique(owner[poly])] = grouped
        out[collections] = merged
    return out


def clean_geometries(
    gdf: gpd.GeoDataFrame,
    *,
    kind: Literal["line", "polygon"],
    ids: pd.Series,
    what: str,
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Check geometry types, drop Z/M, repair invalid and drop empty geometries.

    Parameters
    ----------
    gdf
        Features as read.
    kind
        ``"line"`` for rivers, ``"polygon"`` for units.
    ids
        The feature ids, aligned with ``gdf``, used in messages.
    what
        How to name the data in messages (usually the file path and layer).

    Returns
    -------
    (GeoDataFrame, Series)
        The cleaned features and their ids (dropped rows removed from both).

    Raises
    ------
    SchemaError
        If a feature has the wrong geometry type (points for rivers, lines for units …).

    Warns
    -----
    RivermapWarning
        Once for the repaired and once for the dropped features, with counts and ids.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    allowed = _LINE_TYPES if kind == "line" else _POLYGON_TYPES
    missing = pd.isna(pd.Series(geoms, index=gdf.index, dtype=object)).to_numpy()
    type_ids = shapely.get_type_id(geoms)
    type_names = _TYPE_NAMES[type_ids]
    wrong = ~missing & ~shapely.is_empty(geoms) & ~np.isin(type_names, list(allowed))
    if wrong.any():
        found = sorted(set(type_names[wrong]))
        expected = "LineString or MultiLineString" if kind == "line" else "Polygon or MultiPolygon"
        msg = (
            f"{what}: {int(wrong.sum())} feature(s) are not {expected} "
            f"(found {', '.join(found)}): ids {format_ids(ids[wrong])}"
        )
        raise SchemaError(msg)

    geoms = shapely.force_2d(geoms)
    check_coordinates(geoms, gdf.crs, ids, what)
    if kind == "line":
        ring = shapely.get_type_id(geoms) == shapely.GeometryType.LINEARRING
        if ring.any():
            coords, index = shapely.get_coordinates(geoms[ring], return_index=True)
            geoms[ring] = shapely.linestrings(coords, indices=index)
    present = ~missing & ~shapely.is_empty(geoms)
    # A line is invalid only when it has fewer than two distinct points: that is
    # degenerate, not repairable. Polygons are repaired with make_valid.
    invalid = present & ~shapely.is_valid(geoms) if kind == "polygon" else np.zeros_like(present)
    if invalid.any():
        geoms[invalid] = _polygonal_parts(shapely.make_valid(geoms[invalid]))
        warnings.warn(
            f"{what}: repaired {int(invalid.sum())} invalid geometr"
            f"{'y' if invalid.sum() == 1 else 'ies'} with make_valid: ids "
            f"{format_ids(ids[invalid])}",
            RivermapWarning,
            stacklevel=3,
        )
    drop = ~present | pd.isna(pd.Series(geoms, dtype=object)).to_numpy()
    drop |= ~drop & shapely.is_empty(geoms)
    measure = shapely.length if kind == "line" else shapely.area
    drop |= ~drop & (measure(np.where(drop, None, geoms)) == 0)
    out = with_geometry(gdf, geoms)
    if drop.any():
        warnings.warn(
            f"{what}: dropped {int(drop.sum())} feature(s) with empty, null or degenerate "
            f"geometry: ids {format_ids(ids[drop])}",
            RivermapWarning,
            stacklevel=3,
        )
        out = out.loc[~drop]
        ids = ids[~drop]
    return out, ids
