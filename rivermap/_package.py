"""rivermap's own GeoPackages: a ``metadata`` layer beside the data layers.

:meth:`Responsibility.to_file` and :meth:`Plan.to_file` write them;
:func:`read_responsibility` and :func:`read_plan` read them back through
:func:`open_package`, which checks the layers and the format before any data
is read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from rivermap.errors import DataError, SchemaError

__all__ = ["metadata_table", "open_package", "read_simple_geometries"]


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
