"""rivermap's own GeoPackages: a ``metadata`` layer beside the data layers.

:meth:`Responsibility.to_file` and :meth:`Plan.to_file` write them;
:func:`read_responsibility` and :func:`read_plan` read them back through
:func:`open_package`, which checks the layers and the format before any data
is read.

Every layer is written by :func:`write_layer` with one geometry type, so that
GDAL's ``ogrinfo`` and QGIS see one type per layer (never "Unknown (any)",
which QGIS offers as one sub-layer per type): lines are LineString when every
feature is one and MultiLineString otherwise, polygons MultiPolygon, points
Point. Files are GeoPackage 1.3, which the GDAL of QGIS 3.22 reads without
the warning that 1.4 (GDAL 3.12's default) gives it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from rivermap.errors import DataError, SchemaError

__all__ = [
    "GPKG_VERSION",
    "metadata_table",
    "open_package",
    "read_simple_geometries",
    "river_lines",
    "write_layer",
]

#: The GeoPackage version rivermap writes.
GPKG_VERSION = "1.3"


def metadata_table(meta: dict[str, Any]) -> pd.DataFrame:
    """Build the ``metadata`` layer: one row per key, the value as JSON.

    Examples
    --------
    >>> metadata_table({"format": "x", "n": np.int64(3)})["value"].tolist()
    ['"x"', '3']
    """
    return pd.DataFrame(
        {
            "key": list(meta),
            "value": [
                json.dumps(v, ensure_ascii=False, default=_json_default) for v in meta.values()
            ],
        }
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    msg = f"cannot store {type(value).__name__} in the metadata"
    raise TypeError(msg)


def open_package(
    path: str | Path, *, fmt: str, layers: tuple[str, ...], what: str, hint: str
) -> tuple[set[str], dict[str, Any]]:
    """Check a rivermap GeoPackage and read its metadata.

    Parameters
    ----------
    path
        The file.
    fmt
        The ``format`` its metadata must name.
    layers
        Layers it must have (``metadata`` among them).
    what
        What the file is, for messages ("responsibility file", "plan").
    hint
        How to write one, for messages.

    Returns
    -------
    tuple
        The names of its layers, and the metadata.

    Raises
    ------
    DataError
        When it cannot be read as a GeoPackage.
    SchemaError
        When a layer is missing or the metadata names another format.
    """
    p = Path(path)
    try:
        names = {str(name) for name in pyogrio.list_layers(p)[:, 0]}
    except Exception as exc:
        msg = f"{p}: cannot read it as a GeoPackage ({exc})"
        raise DataError(msg) from exc
    missing = [layer for layer in layers if layer not in names]
    if missing:
        msg = f"{p}: not a rivermap {what}; missing layer(s) {', '.join(missing)} ({hint})"
        raise SchemaError(msg)
    rows = pyogrio.read_dataframe(p, layer="metadata", read_geometry=False)
    meta = {str(k): json.loads(v) for k, v in zip(rows["key"], rows["value"], strict=True)}
    if meta.get("format") != fmt:
        msg = f"{p}: the metadata layer does not describe a rivermap {what}"
        raise SchemaError(msg)
    return names, meta


def read_simple_geometries(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """Read a layer, turning one-part multi-geometries back into simple ones.

    A GeoPackage layer holds one geometry type, so lines and polygons were
    written as multi-geometries where any feature needed it.
    """
    frame = pyogrio.read_dataframe(path, layer=layer)
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    geoms = frame.geometry.to_numpy()
    types = shapely.get_type_id(geoms)
    single = np.isin(types, (5, 6)) & (shapely.get_num_geometries(geoms) == 1)
    if single.any():
        geoms = geoms.copy()
        geoms[single] = shapely.get_geometry(geoms[single], 0)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs, index=frame.index))
    return frame


def write_layer(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    layer: str,
    *,
    geometry: str | None = None,
    fid: str | None = None,
) -> None:
    """Write one layer of a rivermap GeoPackage, with one geometry type.

    Parameters
    ----------
    frame
        The layer's rows; a GeoDataFrame for a layer with geometry.
    path
        The GeoPackage (created, as GeoPackage :data:`GPKG_VERSION`, by the
        first layer written).
    layer
        The layer's name.
    geometry
        ``"line"`` (LineString when every feature is one, else
        MultiLineString), ``"polygon"`` (MultiPolygon), ``"point"`` (Point),
        or None for a table without geometry.
    fid
        The name of the feature id column (GDAL's default: ``fid``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely import LineString, MultiLineString
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.gpkg"
    >>> lines = [LineString([(0, 0), (1, 1)]), MultiLineString([[(2, 2), (3, 3)]])]
    >>> write_layer(gpd.GeoDataFrame({"a": [1, 2]}, geometry=lines, crs=3857), out, "x",
    ...             geometry="line")
    >>> pyogrio.read_info(out, layer="x")["geometry_type"]
    'MultiLineString'
    """
    options: dict[str, Any] = {} if fid is None else {"layer_options": {"FID": fid}}
    if not Path(path).exists():
        options["dataset_options"] = {"VERSION": GPKG_VERSION}
    if geometry is None:
        table = pd.DataFrame(frame)
        if isinstance(frame, gpd.GeoDataFrame):
            table = table.drop(columns=[frame.geometry.name])
        pyogrio.write_dataframe(table, path, layer=layer, driver="GPKG", **options)
        return
    kind, promote = _geometry_type(np.asarray(frame.geometry.values, dtype=object), geometry)
    pyogrio.write_dataframe(
        frame,
        path,
        layer=layer,
        driver="GPKG",
        geometry_type=kind,
        promote_to_multi=promote,
        **options,
    )


def _geometry_type(geoms: np.ndarray, geometry: str) -> tuple[str, bool]:
    """Return the layer's geometry type and whether to promote single geometries to multi."""
    if geometry == "point":
        return "Point", False
    if geometry == "polygon":
        return "MultiPolygon", True
    present = geoms[~shapely.is_missing(geoms)]
    if len(present) and bool((shapely.get_type_id(present) == 1).all()):
        return "LineString", False
    return "MultiLineString", True


def river_lines(reaches: gpd.GeoDataFrame, river_ids: Any) -> np.ndarray:
    """Return the whole line of every river in ``river_ids``: its reaches joined end to end.

    A river's reaches, in chainage order, are merged where they meet
    (upstream to downstream, as digitised); a river with no reach gets None.

    Examples
    --------
    >>> from shapely import LineString
    >>> reaches = gpd.GeoDataFrame({"river_id": ["r", "r"], "from_m": [1.0, 0.0]},
    ...     geometry=[LineString([(1, 0), (2, 0)]), LineString([(0, 0), (1, 0)])])
    >>> [None if g is None else g.wkt for g in river_lines(reaches, ["r", "s"])]
    ['LINESTRING (0 0, 1 0, 2 0)', None]
    """
    ids = pd.Index(pd.Series(river_ids, dtype=object).astype(str))
    out = np.full(len(ids), None, dtype=object)
    if not len(reaches):
        return out
    at = ids.get_indexer(reaches["river_id"].astype(str))
    geoms = np.asarray(reaches.geometry.values, dtype=object)
    keep = (at >= 0) & ~shapely.is_missing(geoms)
    order = np.lexsort((reaches["from_m"].to_numpy(dtype=float)[keep], at[keep]))
    parts, part_of = shapely.get_parts(geoms[keep][order], return_index=True)
    if not len(parts):
        return out
    rivers, group = np.unique(at[keep][order][part_of], return_inverse=True)
    lines = shapely.multilinestrings(parts, indices=group)
    out[rivers] = shapely.line_merge(lines, directed=True)
    return out
