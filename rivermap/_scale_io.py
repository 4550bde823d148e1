"""Where :mod:`rivermap.scale` reads rivers and units from: frames, GeoParquet, GDAL files.

Rivers come from a *source*: a frame in memory, a GeoParquet file or a file
GDAL reads with feature ids (a GeoPackage). A source is scanned once
(:meth:`scan`: per river its id, name, bounding box and vertices, reading no
more than ``BATCH`` rivers' geometry at a time, and checking them there), and
then gives each tile a *reader*: a small picklable callable that a thread or a
Dask worker calls to get that tile's rivers as the engine takes them
(``river_id``, ``name``, geometry), given the threads the tile may use (one in
a Dask task or beside other tiles, where pyarrow's pool of a thread a core
would only contend with the other tiles for the cores). A GeoParquet reader
reads the row groups holding its rows; a GDAL reader reads by the tile's box
through the file's spatial index, or by feature id for a tile of long rivers.

A file's size and modification time are taken when it is opened, and every
read after the scan checks them: a file rewritten while it is being assigned
(re-exported from a desktop GIS, say) would give tiles other rivers than the
plan cut, or the same rivers with other lines.

When the row groups of a GeoParquet file are large and its rivers unordered,
every tile would read most of the file; :func:`route` then writes each tile's
rivers to a file of its own in one more pass over the source, so that a tile
reads only its own.

Units are read whole (the units table of a result holds their outlines).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap._geometry import check_coordinates
from rivermap.assign import _RESERVED, FloatArray, IntArray, ObjArray, _check_rivers
from rivermap.errors import DataError, SchemaError, format_ids
from rivermap.units import AdminUnits

__all__ = ["BATCH", "Scan", "check_ids", "check_stamp", "read_units", "route", "source", "stamp"]

#: Rivers read at once in a scan, and the row groups of the files written here.
BATCH = 10_000
PARQUET = (".parquet", ".geoparquet", ".pq")
# Tiles may read this many times the rivers (in the row groups they touch) without
# routing: a tile reads row groups in parallel with the others and parses its own rows
# only, while routing is one more pass over the file before any tile starts.
_MAX_READS = 8.0
# Files that routing writes at once: a Mac allows a process 256 open files, Linux
# often 1,024; beyond this many tiles, consecutive tiles share a file.
_MAX_OPEN = 64
_NO_RIVER_ID = (
    "no column 'river_id'; write the rivers with rivermap.scale.prepare "
    "(or read them with rivermap.read_rivers)"
)


@dataclass(frozen=True)
class Scan:
    """Pass 1 over the rivers: per river, in file order, what planning needs."""

    ids: ObjArray
    names: ObjArray
    bounds: FloatArray  # (n, 4) in the rivers' CRS
    n_vertices: IntArray

    @staticmethod
    def concat(parts: list[Scan]) -> Scan:
        """Return the scans of consecutive batches as one."""
        if not parts:
            empty = np.empty(0, dtype=object)
            return Scan(empty, empty, np.empty((0, 4)), np.empty(0, dtype=np.int64))
        return Scan(
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.names for p in parts]),
            np.concatenate([p.bounds for p in parts]),
            np.concatenate([p.n_vertices for p in parts]),
        )


# ====================================================================== units
def read_units(units: Any, levels: Sequence[str] | None) -> AdminUnits:
    """Return ``units`` as AdminUnits: as given, or read from a file in the standard schema."""
    if isinstance(units, AdminUnits):
        return units
    if not isinstance(units, str | os.PathLike | tuple):
        msg = (
            "units must be rivermap.AdminUnits or a file of the units table "
            f"(unit_id, name, level, parent_id, polygons), got {type(units).__name__}"
        )
        raise TypeError(msg)
    path, layer = _path_layer(units)
    if levels is None:
        msg = f"{path}: give the level names, top to bottom, with levels=[...]"
        raise SchemaError(msg)
    try:
        if path.suffix.lower() in PARQUET:
            frame = gpd.read_parquet(path)
        else:
            import pyogrio

            frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyarrow and GDAL raise many types for unreadable files
        msg = f"{path}: cannot be read ({str(exc).strip() or type(exc).__name__})"
        raise DataError(msg) from exc
    return AdminUnits(frame, levels, source=str(path))


def _path_layer(value: Any) -> tuple[Path, str | None]:
    """Split a file argument into its path and layer; refuse a file that does not exist."""
    path, layer = (value[0], value[1]) if isinstance(value, tuple) else (value, None)
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file"
        raise DataError(msg)
    return path, layer


# =================================================================== rivers
def source(rivers: Any, levels: tuple[str, ...]) -> Any:
    """Return where the rivers are read from: a frame in memory, a GeoParquet or a GDAL file."""
    if isinstance(rivers, gpd.GeoDataFrame):
        return FrameSource(_check_rivers(rivers, levels))
    if not isinstance(rivers, str | os.PathLike | tuple):
        msg = (
            "rivers must be a GeoDataFrame (see rivermap.read_rivers) or a file of rivers "
            f"(river_id, name, lines), got {type(rivers).__name__}"
        )
        raise TypeError(msg)
    clash = sorted(set(levels) & _RESERVED)
    if clash:
        msg = f"units: level name(s) {format_ids(clash)} clash with reach columns; rename them"
        raise SchemaError(msg)
    path, layer = _path_layer(rivers)
    if path.suffix.lower() in PARQUET:
        return ParquetSource(path)
    return OgrSource(path, layer)


def check_ids(ids: ObjArray, where: str) -> None:
    """Refuse duplicated river ids, across the whole source."""
    dup = pd.Series(ids)[pd.Series(ids).duplicated()]
    if len(dup):
        msg = f"{where}: river_id must be unique; duplicated: {format_ids(dup.unique())}"
        raise SchemaError(msg)


def _scan_frame(frame: gpd.GeoDataFrame, where: str, crs: Any, *, coordinates: bool = True) -> Scan:
    """Check a batch of rivers and return what pass 1 keeps of it."""
    ids = _ids(frame, where)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    bounds = _check_lines(ids, geoms, where, crs, coordinates=coordinates)
    return Scan(
        ids,
        _names(frame).to_numpy(dtype=object),
        bounds,
        shapely.get_num_coordinates(geoms).astype(np.int64),
    )


def _ids(frame: pd.DataFrame, where: str) -> ObjArray:
    """Return the river ids as text; refuse missing ones."""
    ids = frame["river_id"]
    if ids.isna().any():
        rows = np.flatnonzero(ids.isna().to_numpy())
        msg = f"{where}: {len(rows)} river(s) have no river_id (rows {format_ids(rows.tolist())})"
        raise SchemaError(msg)
    return ids.astype(str).to_numpy(dtype=object)


def _check_lines(
    ids: ObjArray, geoms: ObjArray, where: str, crs: Any, *, coordinates: bool = True
) -> FloatArray:
    """Refuse what is not a line with finite coordinates, naming the rivers; return the bounds.

    The coordinates are checked as the readers check them
    (:func:`rivermap._geometry.check_coordinates`: NaN, and degrees out of
    range), unless ``coordinates`` is False (rivers from a frame, which
    :func:`rivermap.read_rivers` checked, as :func:`rivermap.assign` trusts them).
    """
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad |= ~np.isin(shapely.get_type_id(geoms), (1, 5))
    if bad.any():
        msg = (
            f"{where}: every river needs a LineString or MultiLineString; not so for "
            f"river_id {format_ids(ids[bad])}"
        )
        raise SchemaError(msg)
    if coordinates:
        check_coordinates(geoms, crs, pd.Series(ids), where)
    return shapely.bounds(geoms)


def _from_wkb(values: Any) -> ObjArray:
    """Return geometries of WKB; NaN coordinates pass quietly (:func:`_check_lines` names them)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(shapely.from_wkb(values), dtype=object)


def _names(frame: pd.DataFrame) -> pd.Series:
    """Return the ``name`` column as objects, None where missing (or everywhere, without one)."""
    if "name" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    return frame["name"].astype(object).where(frame["name"].notna(), None)


def _standard(frame: pd.DataFrame, geometry: ObjArray, crs: Any) -> gpd.GeoDataFrame:
    """Return rivers read from a file as the engine takes them: river_id, name, geometry."""
    return gpd.GeoDataFrame(
        {
            "river_id": frame["river_id"].astype(str).to_numpy(dtype=object),
            "name": _names(frame).to_numpy(dtype=object),
        },
        geometry=geometry,
        crs=crs,
    )


def stamp(path: Path) -> tuple[int, int]:
    """Return what says a file is as it was: its size and modification time (ns)."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def check_stamp(path: Path, was: tuple[int, int], where: str) -> None:
    """Refuse a file that changed since ``was``: the plan was made from what it held then.

    A file that is not there raises the OSError (a Dask worker that does not
    see it says so, :func:`rivermap.scale._read_tile`).
    """
    if stamp(path) != was:
        msg = (
            f"{where}: the file changed while rivermap was assigning it (its size or time is "
            "not what it was when the tiles were planned); run again on a file that stays as it is"
        )
        raise DataError(msg)


@dataclass(frozen=True)
class FrameSource:
    """Rivers in memory (checked by :func:`rivermap.assign._check_rivers`)."""

    frame: gpd.GeoDataFrame
    where: str = "rivers"

    @property
    def crs(self) -> Any:
        """Return the rivers' CRS."""
        return self.frame.crs

    def scan(self) -> Scan:
        """Return pass 1 of the rivers (see :class:`Scan`)."""
        return _scan_frame(self.frame, self.where, self.crs, coordinates=False)

    def reader(self, rows: IntArray, box: Any = None) -> FrameRows:
        """Return what reads rivers ``rows`` (sent along with their tile)."""
        return FrameRows(self.frame.iloc[rows][["river_id", "name", "geometry"]])


@dataclass(frozen=True)
class FrameRows:
    """Some rivers of a frame in memory."""

    frame: gpd.GeoDataFrame

    def __call__(self, threads: int = 1) -> gpd.GeoDataFrame:
        """Return the rivers."""
        return self.frame.reset_index(drop=True)


@dataclass(frozen=True)
class ParquetRows:
    """Reads some rows of a Parquet file: the row groups holding them, then the rows."""

    path: Path
    groups: list[int]
    take: IntArray  # positions among the rows of those groups
    columns: list[str]  # river_id, [name], the WKB geometry
    crs: Any
    where: str  # the rivers' file, for messages
    stamp: tuple[int, int]  # the file's, when the plan was made

    def __call__(self, threads: int = 1) -> gpd.GeoDataFrame:
        """Return the rivers, checked as a scan checks them (``threads`` > 1: pyarrow's pool)."""
        import pyarrow.parquet as pq

        check_stamp(self.path, self.stamp, self.where)
        pool = threads > 1
        file = pq.ParquetFile(self.path)
        table = file.read_row_groups(self.groups, columns=self.columns, use_threads=pool)
        take = self.take
        if len(take) and (np.diff(take) == 1).all():  # one run of rows: a slice, no copy
            table = table.slice(int(take[0]), len(take))
        else:
            table = table.take(take)
        frame = table.to_pandas(use_threads=pool)
        geometry = _from_wkb(frame.pop(self.columns[-1]).to_numpy())
        _check_lines(_ids(frame, self.where), geometry, self.where, self.crs)
        return _standard(frame, geometry, self.crs)


class ParquetSource:
    """Rivers in a GeoParquet file (geometry as WKB), read in batches and by row groups.

    With a bounding-box column (GeoParquet 1.1's ``covering``), a scan reads
    the ids, names and boxes alone; the rivers' vertices are then estimated
    from the geometry's size in the file's footer, shared out by the boxes'
    half-perimeters (enough to cut tiles), and each tile checks its rivers'
    geometry when it reads them.
    """

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        # absolute: Dask workers read it from their own working folders
        self.path, self.where = path.absolute(), str(path)
        self.stamp = stamp(path)
        try:
            pf = pq.ParquetFile(path)
            geo = json.loads(pf.schema_arrow.metadata[b"geo"])
            column = geo["primary_column"]
            crs = geo["columns"][column].get("crs", "OGC:CRS84")
            covering = geo["columns"][column].get("covering", {}).get("bbox")
        except Exception as exc:  # not parquet, or no GeoParquet metadata
            msg = f"{path}: not a readable GeoParquet file ({exc})"
            raise DataError(msg) from exc
        names = pf.schema_arrow.names
        if "river_id" not in names:
            msg = f"{path}: {_NO_RIVER_ID}"
            raise SchemaError(msg)
        self.columns = ["river_id", *(["name"] if "name" in names else []), column]
        self.bbox = covering["xmin"][0] if covering and covering["xmin"][0] in names else None
        if crs is None:
            msg = f"{path}: the file has no CRS; set it before writing (GeoDataFrame.set_crs)"
            raise SchemaError(msg)
        self.crs = pyproj.CRS.from_user_input(crs)
        meta = pf.metadata
        rows = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        self.offsets = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)

    def scan(self) -> Scan:
        """Return pass 1 of the rivers, ``BATCH`` at a time (see :class:`Scan`)."""
        parts = []
        columns = [*self.columns[:-1], self.bbox] if self.bbox else self.columns
        for i, batch in enumerate(self._batches(columns)):
            where = f"{self.where} (rows {i * BATCH + 1}–{i * BATCH + batch.num_rows})"
            parts.append(self._scan_batch(batch, where))
        scan = Scan.concat(parts)
        check_stamp(self.path, self.stamp, self.where)  # not rewritten while scanned
        if self.bbox is None:
            return scan
        # vertices: the WKB's size (from the file's footer, 16 bytes a vertex) shared out
        # by the rivers' half-perimeters, for cutting tiles
        b = scan.bounds
        spread = np.maximum((b[:, 2] - b[:, 0]) + (b[:, 3] - b[:, 1]), 1e-9)
        total = max(self._geometry_bytes() / 16, 2.0 * len(spread))
        n_vertices = np.maximum(np.round(spread / spread.sum() * total), 2).astype(np.int64)
        return Scan(scan.ids, scan.names, b, n_vertices)

    def _geometry_bytes(self) -> int:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(self.path).metadata
        j = meta.schema.to_arrow_schema().get_field_index(self.columns[-1])
        groups = range(meta.num_row_groups)
        return sum(meta.row_group(i).column(j).total_uncompressed_size for i in groups)

    def _scan_batch(self, batch: Any, where: str) -> Scan:
        frame = batch.select(self.columns[:-1]).to_pandas()
        if self.bbox is None:
            geometry = _from_wkb(batch.column(self.columns[-1]).to_numpy(False))
            return _scan_frame(gpd.GeoDataFrame(frame, geometry=geometry), where, self.crs)
        ids = _ids(frame, where)
        box = batch.column(self.bbox)
        bounds = np.column_stack(
            [box.field(k).to_numpy(False) for k in ("xmin", "ymin", "xmax", "ymax")]
        ).astype(np.float64)
        bad = ~np.isfinite(bounds).all(axis=1)
        if bad.any():
            msg = f"{where}: no finite bounding box for river_id {format_ids(ids[bad])}"
            raise SchemaError(msg)
        vertices = np.zeros(len(ids), dtype=np.int64)  # shared out in scan
        return Scan(ids, _names(frame).to_numpy(dtype=object), bounds, vertices)

    def _batches(self, columns: Sequence[str] | None = None) -> Any:
        import pyarrow.parquet as pq

        columns = list(columns or self.columns)
        return pq.ParquetFile(self.path).iter_batches(batch_size=BATCH, columns=columns)

    def reader(self, rows: IntArray, box: Any = None) -> ParquetRows:
        """Return what reads rivers ``rows``: their row groups, then the rows."""
        groups, take = _rows_in_groups(rows, np.diff(self.offsets))
        return ParquetRows(self.path, groups, take, self.columns, self.crs, self.where, self.stamp)

    def reads(self, tiles: Sequence[IntArray]) -> float:
        """Return how many times over the tiles would read the rivers, row group by row group."""
        sizes = np.diff(self.offsets)
        total = sum(
            int(sizes[np.unique(np.searchsorted(self.offsets, rows, side="right") - 1)].sum())
            for rows in tiles
        )
        return total / max(int(self.offsets[-1]), 1)


def route(src: Any, tiles: Sequence[IntArray], folder: Callable[[], Path]) -> list[Any] | None:
    """Write the tiles' rivers to files of their own when the tiles would read too much.

    For a GeoParquet source whose tiles would read its rivers more than
    ``_MAX_READS`` times over (large row groups, rivers in no spatial order),
    reads it once more and writes the rivers of every tile, in their order,
    into ``tiles-NNNNN.parquet`` files in the folder ``folder()`` makes: a
    file a tile, or, beyond ``_MAX_OPEN`` tiles, consecutive tiles sharing a
    file (each tile then reads the row groups holding its rivers), so that no
    more than ``_MAX_OPEN`` files are open at once. Returns the tiles'
    readers, or None when the source is read as it is.
    """
    if not isinstance(src, ParquetSource) or src.reads(tiles) <= _MAX_READS:
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_stamp(src.path, src.stamp, src.where)

    out = folder()
    per_file = -(-len(tiles) // _MAX_OPEN)  # consecutive tiles sharing a file
    tile_of = np.full(int(src.offsets[-1]), -1, dtype=np.int64)
    for t, rows in enumerate(tiles):
        tile_of[rows] = t
    file_of = np.where(tile_of >= 0, tile_of // per_file, -1)
    writers: dict[int, Any] = {}
    first = 0
    try:
        for batch in src._batches():
            table = pa.Table.from_batches([batch])
            where = file_of[first : first + len(table)]
            first += len(table)
            order = np.argsort(where, kind="stable")
            order = order[where[order] >= 0]
            for part in np.split(order, np.flatnonzero(np.diff(where[order])) + 1):
                if not len(part):
                    continue
                f = int(where[part[0]])
                if f not in writers:
                    writers[f] = pq.ParquetWriter(out / f"tiles-{f:05d}.parquet", table.schema)
                writers[f].write_table(table.take(part))
    finally:
        for w in writers.values():
            w.close()
    check_stamp(src.path, src.stamp, src.where)  # the pass read what the plan scanned
    readers: list[Any] = []
    for f in range(-(-len(tiles) // per_file)):
        path = out / f"tiles-{f:05d}.parquet"
        meta = pq.ParquetFile(path).metadata
        sizes = np.array([meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
        in_file = tile_of[file_of == f]  # the tile of every river of the file, in its order
        by_tile = np.argsort(in_file, kind="stable")  # each tile's positions, ascending
        starts = np.r_[0, np.cumsum(np.bincount(in_file - f * per_file, minlength=per_file))]
        for k in range(min(per_file, len(tiles) - f * per_file)):
            groups, take = _rows_in_groups(by_tile[starts[k] : starts[k + 1]], sizes)
            readers.append(
                ParquetRows(path, groups, take, src.columns, src.crs, src.where, stamp(path))
            )
    return readers


def _rows_in_groups(at: IntArray, sizes: IntArray) -> tuple[list[int], IntArray]:
    """Return the row groups (of ``sizes`` rows) holding rows ``at``, and where those rows are.

    The positions are among the rows of the groups returned, read one after
    the other, as :class:`ParquetRows` takes them.

    Examples
    --------
    >>> groups, take = _rows_in_groups(np.array([1, 7, 8]), np.array([3, 3, 3]))
    >>> groups, take.tolist()
    ([0, 2], [1, 4, 5])
    """
    starts = np.r_[0, np.cumsum(sizes)]
    group = np.searchsorted(starts, at, side="right") - 1
    groups = np.unique(group)
    first = np.r_[0, np.cumsum(sizes[groups])][:-1]  # where each group starts, read alone
    return groups.tolist(), at - starts[group] + first[np.searchsorted(groups, group)]


@dataclass(frozen=True)
class OgrRows:
    """Reads some features of a GDAL file: by their box (its spatial index), or by feature id."""

    path: Path
    layer: str | None
    fids: IntArray
    bbox: tuple[float, float, float, float] | None
    crs: Any
    where: str  # the rivers' file, for messages
    stamp: tuple[int, int]  # the file's, when the plan was made

    def __call__(self, threads: int = 1) -> gpd.GeoDataFrame:
        """Return the rivers, in the order of ``fids``."""
        import pyogrio

        check_stamp(self.path, self.stamp, self.where)
        where = {"fids": self.fids} if self.bbox is None else {"bbox": self.bbox}
        frame = pyogrio.read_dataframe(self.path, layer=self.layer, fid_as_index=True, **where)
        frame = frame.loc[self.fids]
        return _standard(frame, np.asarray(frame.geometry.to_numpy(), dtype=object), self.crs)


class OgrSource:
    """Rivers in a file GDAL reads with feature ids (a GeoPackage), streamed in batches."""

    def __init__(self, path: Path, layer: str | None) -> None:
        import pyogrio

        self.path, self.layer, self.where = path.absolute(), layer, str(path)
        self.stamp = stamp(path)
        try:
            info = pyogrio.read_info(path, layer=layer)
        except Exception as exc:  # GDAL's errors for a file it cannot open
            msg = f"{path}: cannot be read as vector data ({exc})"
            raise DataError(msg) from exc
        if "river_id" not in list(info["fields"]):
            msg = f"{path}: {_NO_RIVER_ID}"
            raise SchemaError(msg)
        if not info["crs"]:
            msg = f"{path}: the file has no CRS"
            raise SchemaError(msg)
        self.crs = pyproj.CRS.from_user_input(info["crs"])
        self.fids = np.empty(0, dtype=np.int64)

    def scan(self) -> Scan:
        """Return pass 1 of the rivers, ``BATCH`` at a time, and keep their feature ids."""
        import pyogrio

        parts, fids = [], []
        with pyogrio.open_arrow(
            self.path, layer=self.layer, return_fids=True, batch_size=BATCH, use_pyarrow=True
        ) as (meta, batches):
            fid_column = meta.get("fid_column") or "OGC_FID"
            geometry_column = meta.get("geometry_name") or "wkb_geometry"
            for i, batch in enumerate(batches):
                frame = batch.to_pandas()
                fids.append(frame.pop(fid_column).to_numpy(dtype=np.int64))
                geometry = _from_wkb(frame.pop(geometry_column).to_numpy())
                where = f"{self.where} (features {i * BATCH + 1}–{i * BATCH + len(frame)})"
                frame = gpd.GeoDataFrame(frame, geometry=geometry)
                parts.append(_scan_frame(frame, where, self.crs))
        self.fids = np.concatenate(fids) if fids else self.fids
        check_stamp(self.path, self.stamp, self.where)  # not rewritten while scanned
        return Scan.concat(parts)

    def reader(self, rows: IntArray, box: FloatArray | None = None) -> OgrRows:
        """Return what reads ``rows``: by the box around them (a compact tile), else by id."""
        bbox = None if box is None else (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        fids = self.fids[rows]
        return OgrRows(self.path, self.layer, fids, bbox, self.crs, self.where, self.stamp)
