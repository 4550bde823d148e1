"""Well-known binary (WKB) of lines, written straight from their coordinates.

A tile of :func:`rivermap.scale.assign_to_parquet` writes its reach lines to
GeoParquet and keeps nothing of them. Making a shapely geometry of every reach
and encoding it again (``shapely.to_wkb``) took as long as the rest of the
tile's writing; here one compiled pass writes the bytes from the ragged
coordinates the engine cuts the reaches into
(:func:`rivermap._kernels.reach_lines`), into one buffer that Arrow takes as it
is (:func:`wkb_lines`, no copy).

The bytes are those of ``shapely.to_wkb`` for a 2D line (tests compare them):
little-endian (byte order 1), then the type as a 32-bit integer (2 for a
LineString, 5 for a MultiLineString), then for a LineString its number of
points and the points as pairs of 64-bit floats, and for a MultiLineString its
number of lines and each line's own WKB.

>>> import numpy as np, shapely
>>> coords = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 2.0]])
>>> lines = wkb_lines(coords, np.array([0, 3, 5]), np.array([1, 1]))
>>> [shapely.from_wkb(b).wkt for b in lines.wkb.to_pylist()], lines.bounds.tolist()
(['LINESTRING (0 0, 1 0, 1 1)', 'LINESTRING (2 2, 3 2)'], [0.0, 0.0, 3.0, 2.0])
>>> multi = wkb_lines(coords, np.array([0, 3, 5]), np.array([2]))
>>> multi.wkb[0].as_py() == shapely.to_wkb(shapely.from_wkb(multi.wkb[0].as_py())), multi.types
(True, ('MultiLineString',))
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
from numpy.typing import NDArray

from rivermap._kernels import _jit
from rivermap._version import rivermap_version

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_LINESTRING, _MULTILINESTRING = 2, 5
_HEADER = 9  # byte order (1 byte), type and count (4 bytes each)
_POINT = 16  # two 64-bit floats


@_jit
def _put_header(out: np.ndarray, at: int, kind: int, count: int) -> int:
    """Write a WKB header (little-endian, ``kind``, ``count``) at ``at``; return where it ends."""
    out[at] = 1
    for b in range(4):
        out[at + 1 + b] = (kind >> (8 * b)) & 0xFF
        out[at + 5 + b] = (count >> (8 * b)) & 0xFF
    return at + _HEADER


@_jit
def lines_wkb(
    coords: np.ndarray, offsets: np.ndarray, n_lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the WKB of geometries made of lines, in one buffer; where each starts; their box.

    ``coords`` (n, 2) are the lines' vertices (C order), ``offsets`` where each
    line starts (one more than there are lines), and ``n_lines`` how many lines
    each geometry has, in order: one makes a LineString, more a MultiLineString.
    The box (xmin, ymin, xmax, ymax) is NaN without vertices.
    """
    points = coords.reshape(-1).view(np.uint8)  # 16 bytes a vertex, little-endian
    n = len(n_lines)
    starts = np.empty(n + 1, dtype=np.int64)
    size = 0
    line = 0
    for g in range(n):
        starts[g] = size
        k = n_lines[g]
        size += _HEADER if k > 1 else 0
        for j in range(line, line + k):
            size += _HEADER + _POINT * (offsets[j + 1] - offsets[j])
        line += k
    starts[n] = size
    out = np.empty(size, dtype=np.uint8)
    at = 0
    line = 0
    for g in range(n):
        k = n_lines[g]
        if k > 1:
            at = _put_header(out, at, _MULTILINESTRING, k)
        for j in range(line, line + k):
            a, b = offsets[j], offsets[j + 1]
            at = _put_header(out, at, _LINESTRING, b - a)
            out[at : at + _POINT * (b - a)] = points[_POINT * a : _POINT * b]
            at += _POINT * (b - a)
        line += k
    box = np.full(4, np.nan)
    if len(coords):
        box[0], box[1] = coords[0, 0], coords[0, 1]
        box[2], box[3] = coords[0, 0], coords[0, 1]
    for i in range(len(coords)):
        box[0], box[1] = min(box[0], coords[i, 0]), min(box[1], coords[i, 1])
        box[2], box[3] = max(box[2], coords[i, 0]), max(box[3], coords[i, 1])
    return out, starts, box


@dataclass(frozen=True)
class WKBLines:
    """Lines as WKB in an Arrow array, with what GeoParquet's metadata says of them.

    ``bounds`` is the box of every vertex (NaN without lines), ``types`` the
    geometry types present, by name, sorted (as geopandas writes them).
    """

    wkb: pa.Array
    bounds: FloatArray
    types: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.wkb)

    def take(self, at: IntArray) -> WKBLines:
        """Return lines ``at``, a permutation of these (the types and the box stay)."""
        return WKBLines(self.wkb.take(pa.array(at)), self.bounds, self.types)

    @staticmethod
    def concat(parts: Sequence[WKBLines]) -> WKBLines:
        """Return the lines of ``parts`` one after the other."""
        boxes = np.array([p.bounds for p in parts]).reshape(-1, 4)
        with warnings.catch_warnings():  # all NaN: no lines at all
            warnings.simplefilter("ignore", RuntimeWarning)
            bounds = np.r_[np.nanmin(boxes[:, :2], axis=0), np.nanmax(boxes[:, 2:], axis=0)]
        types = tuple(sorted({t for p in parts for t in p.types}))
        return WKBLines(pa.concat_arrays([p.wkb for p in parts]), bounds, types)


def wkb_lines(coords: FloatArray, offsets: IntArray, n_lines: IntArray) -> WKBLines:
    """Return lines as WKB, one item a geometry, in an Arrow ``large_binary`` array.

    ``coords`` (n, 2) are the vertices, ``offsets`` where each line starts, and
    ``n_lines`` the lines of each geometry (see :func:`lines_wkb`).
    """
    xy = np.ascontiguousarray(coords, dtype="<f8")
    data, starts, bounds = lines_wkb(xy, offsets.astype(np.int64), n_lines)
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(n_lines), [None, pa.py_buffer(starts), pa.py_buffer(data)]
    )
    types = (("LineString",) if (n_lines == 1).any() else ()) + (
        ("MultiLineString",) if (n_lines > 1).any() else ()
    )
    return WKBLines(array, bounds, types)


def geoparquet_table(columns: dict[str, Any], lines: WKBLines, crs: Any) -> pa.Table:
    """Return a GeoParquet table: ``columns`` (a pandas frame's, as Arrow makes them), then lines.

    The ``geo`` metadata is GeoParquet 1.1's, as geopandas writes it: the
    geometry column ``geometry`` in WKB, its CRS as PROJJSON (None without
    one), its types and box.
    """
    table = pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)
    table = table.append_column("geometry", lines.wkb)
    column: dict[str, Any] = {"encoding": "WKB", "crs": None, "geometry_types": list(lines.types)}
    if crs is not None:
        column["crs"] = _without_member_ids(pyproj.CRS.from_user_input(crs).to_json_dict())
    if np.isfinite(lines.bounds).all():
        column["bbox"] = [float(v) for v in lines.bounds]
    geo = {
        "primary_column": "geometry",
        "columns": {"geometry": column},
        "version": "1.1.0",
        "creator": {"library": "rivermap", "version": rivermap_version()},
    }
    metadata = {**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()}
    return table.replace_schema_metadata(metadata)


def _without_member_ids(crs: dict[str, Any]) -> dict[str, Any]:
    """Return PROJJSON ``crs`` without the ids of datum ensembles' members, as geopandas writes it.

    PROJ releases older than an ensemble member's id do not know it, and refuse
    the CRS (GDAL and geopandas leave them out for that reason).
    """
    for key, value in crs.items():
        if isinstance(value, dict):
            _without_member_ids(value)
        elif key == "members" and isinstance(value, list):
            for member in value:
                member.pop("id", None)
    return crs


def write_geoparquet(table: pa.Table, path: Path) -> None:
    """Write a table of :func:`geoparquet_table` to ``path``.

    The lines are neither dictionary-encoded nor given statistics: WKB values
    are all different, and their minimum and maximum bytes say nothing
    (pyarrow tries a dictionary on every column first, then gives up).
    """
    plain = [c for c in table.column_names if c != "geometry"]
    pq.write_table(table, path, use_dictionary=plain, write_statistics=plain)
