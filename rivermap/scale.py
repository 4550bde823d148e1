"""Assign at province and country scale: the same engine in tiles, on one machine or on Dask.

:func:`assign` gives what :func:`rivermap.assign` gives: the same reach ids,
the same ``from_m``/``to_m`` to the last bits, the same rivers and units
tables. But it never holds the engine's intermediates (segments, boundary
edges, the edge index, reach geometry) for more than a few tiles at a time,
so its working memory is bounded by the tile, not by the country.
:func:`assign_to_parquet` also writes the reaches as it goes, tile by tile, so
that no reach geometry is held at all. Both run the tiles on threads of this
process, or on a Dask cluster (``scheduler=``).

The inputs
----------
Rivers and units in rivermap's standard schema: rivers as
:func:`rivermap.read_rivers` returns them (``river_id``, ``name``, line
geometry), units as one table as :attr:`rivermap.AdminUnits.frame` holds them
(``unit_id``, ``name``, ``level``, ``parent_id``, polygons), with the level
names. Each may be in memory (a GeoDataFrame; an AdminUnits) or a file:
GeoParquet first (read by row groups), or anything GDAL reads with feature
ids, such as a GeoPackage (read by bounding box through its spatial index).
Rivers are streamed; units are read whole, as the units table of the result
holds their outlines anyway (about 1 KB a unit at 50 vertices). Arbitrary
files (shapefiles to merge by name, GBK text, GCJ-02 …) get there through the
normal readers: read them with :func:`rivermap.read_rivers` and
:func:`rivermap.read_units` once, and :func:`prepare` writes the two standard
GeoParquet files, the rivers in Hilbert order in small row groups.

Pass 1: the plan
----------------
The rivers are read 10,000 at a time for their ids, names, bounding boxes
and numbers of vertices; the geometry of no more than that is held at once.
A GeoParquet file with a bounding-box column (GeoParquet 1.1, as
:func:`prepare` writes) gives the boxes without parsing any geometry (the
length of a WKB gives the vertices), and each tile checks its rivers'
geometry types and coordinates when it reads them; otherwise the scan checks
them. Ids are checked across the whole file. The metric CRS is chosen once,
from the extent of every river and unit, by :func:`rivermap.crs.metric_crs`
(so every tile measures in the same CRS, as the whole would). Every unit is
brought into that CRS and made valid once; which units' rings are cut
against (the finest level, and coarser units with gaps) is decided from all
of them, and so is the length of the pieces boundary edges are indexed in.
Rivers are then ordered by the Hilbert curve of their bounding box centres
and cut into tiles of about ``tiles`` river vertices; a river whose box is
much larger than a tile goes into a tile of long rivers, so that it does not
stretch a tile of short ones. Where a GeoParquet file's row groups are large
and its rivers in no spatial order, so that every tile would read most of
the file, one more pass writes each tile's rivers to a file of its own
(:func:`rivermap._scale_io.route`).

Pass 2: the tiles
-----------------
Each tile reads its rivers, brings them into the metric CRS and covers them
with boxes (a river's own box where it is no larger than ``_RUN_M``, else
one per run of ``_RUN_SEGMENTS`` segments), grown by
``2 × boundary_tol_m + 1 m``. It loads the units, at every level, whose
bounding box meets one of these boxes, plus the units whose box holds a
probe point of an edge near the rivers (below), and runs the engine of
:mod:`rivermap.assign` on them with the global settings and one thread (a
Dask worker's processes already fill the cores). Its reaches come back as
arrays (river, chainage, kind, units) with their lines, or, for
:func:`assign_to_parquet`, as arrays alone once the tile has written its
reaches table to ``part-NNNNN.parquet`` (the lines as WKB made straight from
the coordinates the engine cuts, :mod:`rivermap._wkb`).

Why a tile gives the whole country's answer near its rivers
----------------------------------------------------------
Every decision of the engine about a river is made from units near it:

* a crossing or a stretch along a boundary comes from a pair of a river
  segment and a boundary edge whose box, grown by ``boundary_tol_m``, meets the
  segment's box: the edge lies in a unit whose box meets the grown run box,
  and so do the units holding the same edge on its other side;
* a piece's unit is found by a point-in-polygon test of a point on the river
  (or of the units within 1 µm of it): every unit whose closure holds that
  point has its box around it, and a tie goes to the smallest ``unit_id``
  among exactly those units, all loaded;
* the side of an edge that no other ring shares is found by probing points a
  centimetre and ``boundary_tol_m / 2`` off the middle of the edge, which can
  lie far from the river where the edge is long: the probe points of every
  edge near the rivers are computed and the units whose box holds one loaded.

Units loaded but not needed change nothing: they hold no point of these
rivers and no edge near them. The rings cut against, the metric CRS and the
edge pieces are global, and unit codes are those of the whole hierarchy; a
river is processed whole within one tile, so its chief level and its lead
units are decided once.

Collecting
----------
The reach arrays of every tile (56 bytes a reach) are put back in the
rivers' order; the reaches table (from the lines, when kept), the rivers
table, the units table (per-unit sums, counts and boundary lengths) and the
summary are computed from them once, by the same code and in the same order
as :func:`rivermap.assign`, so they equal its tables exactly.
:func:`assign_to_parquet` writes a folder whose ``part-*.parquet`` files are
the reaches (``geopandas.read_parquet(folder)`` reads them as one table, and
``dask_geopandas.read_parquet(f"{folder}/part-*.parquet")`` as one partition a
tile: the folder itself holds the tables below too), with
``_rivers.parquet``, ``_units.parquet`` and ``_metadata.json`` beside them;
:func:`rivermap.read_responsibility` reads the whole folder back.

On Dask
-------
The global settings and the units (as WKB) are scattered to every worker
once; each task reads its own rivers from the file (workers share the file
system) or receives its slice of an in-memory frame, and returns its reach
arrays (with the lines, or having written its part to the shared output
folder). Tasks are not shuffled: the scheduler only hands them out. A task
runs on its worker's one thread, the engine and pyarrow's readers alike
(threads of its own would only take the cores the other workers fill), and
keeps the C heap for reuse while it runs (:mod:`rivermap._heap`): a Dask
nanny starts its worker with a fixed trim threshold, under which every large
array would be a fresh mapping of the kernel, faulted in page by page.

A run on Dask stops, naming what is wrong, rather than finish without some
reaches: before the first task, when a worker runs another rivermap (another
version, or other sources) or none; during a task, when it cannot read the
rivers or write its part (the workers and this machine share no file system),
or when the rivers' file changed since it was scanned; and after the tasks,
when a tile's part is not in the output folder with its number of reaches.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap._arrays import box_hilbert_keys
from rivermap._heap import kept_heap, release_free_memory
from rivermap._kernels import credit_totals, run_boxes
from rivermap._scale_io import BATCH, Scan, check_ids, read_units, route
from rivermap._scale_io import source as read_from
from rivermap._wkb import geoparquet_table, write_geoparquet
from rivermap.assign import (
    _BOUNDARY,
    BoolArray,
    FloatArray,
    IntArray,
    ObjArray,
    _check_parameters,
    _check_rivers,
    _Chunk,
    _Credits,
    _fill_missing_sides,
    _gc_paused,
    _hierarchy,
    _labels,
    _level_columns,
    _Pieces,
    _probe_steps,
    _reach_columns,
    _ring_edges,
    _river_table,
    _run_chunks,
    _Shared,
    _side_probes,
    _sub_edge_m,
    _summary,
    _text_labels,
    _to_metric,
    _unit_geometries_metric,
    _UnitLocator,
    _units_result,
    _units_with_rings,
)
from rivermap.crs import check_extent_bounds, metric_crs
from rivermap.errors import DataError, ParameterError, RivermapWarning, SchemaError, format_ids
from rivermap.params import (
    BOUNDARY_MIN_M,
    BOUNDARY_POLICY,
    BOUNDARY_TOL_M,
    MIN_REACH_M,
    TILES,
    check_scheduler,
    check_tiles,
    check_workers,
)
from rivermap.responsibility import Responsibility, write_folder_tables
from rivermap.units import AdminUnits

__all__ = ["assign", "assign_to_parquet", "prepare"]


# A tile looks for its units around boxes: a river's own box when it is no larger than
# this (metres), else a box for every run of this many segments.
_RUN_M = 2_000.0
_RUN_SEGMENTS = 64
# A river whose box is this many times wider or higher than a tile goes with the long rivers.
_LONG = 4.0
# Tiles of "auto": bounds on the river vertices of a tile, and what a vertex costs (bytes)
# at the peak of a tile: the river, its reaches and its share of the units and edges. The
# whole of size L in memory peaks at about 170 bytes a river vertex (4.3 GB, 26 M vertices),
# units included; 1,000 leaves room for denser units than L's and the country's.
_MIN_TILE, _MAX_TILE = 20_000, 2_000_000
_MANY_TILES = 10_000  # more tiles than this from a given size: warned of
_BYTES_PER_VERTEX = 1_000
_NONE = -1


# ===================================================================== public
def assign(
    rivers: Any,
    units: Any,
    *,
    levels: Sequence[str] | None = None,
    tiles: str | int = TILES,
    scheduler: Any = None,
    min_reach_m: float = MIN_REACH_M,
    boundary_tol_m: float = BOUNDARY_TOL_M,
    boundary_min_m: float = BOUNDARY_MIN_M,
    boundary_policy: str = BOUNDARY_POLICY,
    progress: bool = False,
    workers: int | None = None,
) -> Responsibility:
    """Split rivers into reaches as :func:`rivermap.assign` does, a tile at a time.

    The result equals :func:`rivermap.assign`'s (the same reaches, rivers and
    units tables and summary) for any tile size and on any number of workers;
    the working memory is bounded by the tile (the result itself is not: for
    sizes that do not fit, see :func:`assign_to_parquet`).

    Parameters
    ----------
    rivers
        A GeoDataFrame as from :func:`rivermap.read_rivers`, or a GeoParquet or
        GeoPackage file in that schema (``river_id``, ``name``, lines; a
        ``(path, layer)`` pair names the layer). See :func:`prepare`.
    units
        :class:`rivermap.AdminUnits`, or a file holding one table in the schema
        of :attr:`rivermap.AdminUnits.frame`, with ``levels``.
    levels
        Level names, top to bottom, when ``units`` is a file.
    tiles
        ``"auto"`` (from the memory available), or about how many river
        vertices a tile holds.
    scheduler
        None: tiles run on ``workers`` threads of this process. A
        ``distributed.Client`` or a scheduler's address (``"tcp://…:8786"``):
        tiles run as tasks on that Dask cluster, one thread each.
    min_reach_m, boundary_tol_m, boundary_min_m, boundary_policy
        As :func:`rivermap.assign`.
    progress
        Show a progress bar over the tiles.
    workers
        Threads of this process (None: every core); not used on Dask.

    Returns
    -------
    Responsibility

    Raises
    ------
    ParameterError
        A bad length, policy, tile size, scheduler address or thread count.
    SchemaError, DataError, CRSError
        As :func:`rivermap.assign`, naming the file.

    Examples
    --------
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> tiled = assign(rivers, units, tiles=500)
    >>> whole = rm.assign(rivers, units)
    >>> tiled.reaches["reach_id"].equals(whole.reaches["reach_id"])
    True
    >>> bool((tiled.reaches["to_m"] - whole.reaches["to_m"]).abs().max() < 1e-9)
    True
    """
    options = _options(locals())
    with _client(scheduler) as client:
        run = _setup(rivers, units, levels, client, options)
        collector = _Collector(len(run.scan.ids))
        for tile in _execute(run, client, progress, write_to=None):
            collector.add(tile)
    return _result(run, collector)


def assign_to_parquet(
    rivers: Any,
    units: Any,
    path: str | os.PathLike[str],
    *,
    levels: Sequence[str] | None = None,
    tiles: str | int = TILES,
    scheduler: Any = None,
    overwrite: bool = False,
    min_reach_m: float = MIN_REACH_M,
    boundary_tol_m: float = BOUNDARY_TOL_M,
    boundary_min_m: float = BOUNDARY_MIN_M,
    boundary_policy: str = BOUNDARY_POLICY,
    progress: bool = False,
    workers: int | None = None,
) -> Path:
    """Split rivers into reaches a tile at a time, writing the reaches as they come.

    Writes the folder ``path`` (``….parquet``): the reaches as
    ``part-NNNNN.parquet`` files, one a tile (GeoParquet, in the rivers' CRS),
    and ``_rivers.parquet``, ``_units.parquet`` and ``_metadata.json``, which
    also records each tile's rivers, vertices, units and seconds.
    :func:`rivermap.read_responsibility` reads it back as the
    :class:`~rivermap.Responsibility` that :func:`assign` returns;
    ``geopandas.read_parquet(path)`` reads the reaches alone. The folder is
    built under a scratch name beside ``path`` and moved into place when
    complete. The parameters are :func:`assign`'s.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is False.
    ParameterError
        ``path`` does not end in ``.parquet``; and as :func:`assign`.
    """
    from rivermap._scratch import discard, scratch_dir
    from rivermap.io import check_output

    final = check_output(path, overwrite=overwrite, kind="parquet")
    options = _options(locals())
    clock = _Clock()
    with _client(scheduler) as client:
        run = _setup(rivers, units, levels, client, options)
        clock.lap("plan")
        staging = scratch_dir(final.absolute())  # absolute: Dask workers write into it
        try:
            collector = _Collector(len(run.scan.ids))
            for tile in _execute(run, client, progress, write_to=staging):
                collector.add(tile)
            _check_parts(staging, collector.stats)
            clock.lap("tiles")
            resp = _result(run, collector)
            clock.lap("tables")
            write_folder_tables(resp, staging, tiles=collector.stats, seconds=clock.laps)
            _move_into_place(staging, final, overwrite=overwrite)
        finally:
            discard(staging)
    return final


_SHARED = (
    "on a Dask cluster the workers must see the rivers' file and the output folder at the "
    "same paths as this machine (a shared file system)"
)


class _Clock:
    """Seconds of the phases of a run, as ``_metadata.json`` records them."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the seconds since the last lap as phase ``name``."""
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 3)
        self._t = now


def prepare(
    rivers: gpd.GeoDataFrame,
    units: AdminUnits,
    folder: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Write rivers and units in the standard schema as GeoParquet, for :func:`assign`.

    Read arbitrary files with :func:`rivermap.read_rivers` (``merge_by``,
    ``encoding``, ``crs="GCJ-02"`` …) and :func:`rivermap.read_units` once;
    this writes ``rivers.parquet`` (``river_id``, ``name``, geometry; in the
    Hilbert order of their boxes, in row groups of 10,000, with a bounding-box
    column so that readers can filter by area) and ``units.parquet`` (the
    units table) into ``folder``. The river order changes (the result's rivers
    table follows the file); the ids do not.

    Returns
    -------
    tuple of Path
        The rivers file and the units file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> r, u = prepare(rivers, units, pathlib.Path(tempfile.mkdtemp()))
    >>> resp = assign(r, u, levels=units.levels)
    >>> len(resp.rivers), len(resp.units)
    (11, 102)
    """
    from rivermap.io import atomic_output, check_output

    out = Path(folder)
    paths = [
        check_output(out / n, overwrite=overwrite) for n in ("rivers.parquet", "units.parquet")
    ]
    checked = _check_rivers(rivers, tuple(units.levels))
    b = checked.bounds.to_numpy()
    order = np.argsort(box_hilbert_keys(b), kind="stable")
    table = checked[["river_id", "name", "geometry"]].iloc[order].reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)
    for path, frame in zip(paths, (table, units.frame), strict=True):
        with atomic_output(path, overwrite=overwrite) as tmp:  # whole files or none
            frame.to_parquet(tmp, write_covering_bbox=True, row_group_size=BATCH)
    return paths[0], paths[1]


def _options(given: dict[str, Any]) -> dict[str, Any]:
    """Check the options among the arguments ``given``, before any work.

    Returns the engine's parameters (``params``), ``tiles`` and ``workers``.
    """
    if given["scheduler"] is not None:
        check_scheduler("scheduler", given["scheduler"])
    return {
        "params": _check_parameters(
            given["min_reach_m"],
            given["boundary_tol_m"],
            given["boundary_min_m"],
            given["boundary_policy"],
        ),
        "tiles": check_tiles("tiles", given["tiles"]),
        "workers": check_workers(given["workers"]),
    }


# ====================================================================== pass 1
@dataclass
class _Context:
    """What every tile needs of the whole: scattered once to every Dask worker.

    ``unit_wkb`` holds every unit in the metric CRS, made valid and oriented as
    :func:`rivermap.assign` makes them (WKB keeps every bit); each tile decodes
    the units it loads into geometries of its own, so that tiles on threads
    never share a prepared geometry.
    """

    shared: Any  # rivermap.assign._Shared: metric CRS, parameters, edge pieces
    levels: tuple[str, ...]
    hier: Any  # rivermap.assign._Hierarchy, every unit
    rings: BoolArray  # per unit code: its rings are cut against
    unit_box: FloatArray  # (n_units, 4) bounds in the metric CRS
    unit_wkb: ObjArray
    rivers_crs: pyproj.CRS
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the caches and the lock (a worker builds its own)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, with empty caches."""
        self.__dict__.update(state, _cache={}, _lock=threading.Lock())

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def unit_tree(self) -> shapely.STRtree:
        """Return a tree of the units' boxes; its items are unit codes."""
        return self._cached("tree", lambda: shapely.STRtree(shapely.box(*self.unit_box.T)))

    def unit_labels(self) -> Any:
        """Return the unit ids as the text labels of reach columns."""
        return self._cached("labels", lambda: _labels(self.hier.ids))


@dataclass(frozen=True)
class _Run:
    """A planned run: the context, the rivers' source and scan, the tiles and the threads."""

    ctx: _Context
    source: Any  # _FrameSource, _ParquetSource or _OgrSource
    scan: Scan
    tiles: list[_TilePlan]
    unit_frame: gpd.GeoDataFrame
    threads: int  # tiles at work at once in this process
    inner: int  # threads within a tile


def _setup(
    rivers: Any,
    units: Any,
    levels: Sequence[str] | None,
    client: Any,
    options: dict[str, Any],
) -> _Run:
    """Scan the rivers, prepare the units and plan the tiles (pass 1).

    The units are read (from a file) and their hierarchy built on another
    thread while the rivers are scanned. The rivers' boxes are checked against the units' extent
    (:func:`rivermap.crs.check_extent_bounds`) after the units are prepared,
    even when preparing them failed: rivers far from the units may explain the
    error. Errors come in the order of a single thread: the units', the
    rivers', the extents'.
    """
    params = options["params"]
    names = units.levels if isinstance(units, AdminUnits) else levels or ()
    with ThreadPoolExecutor(1, thread_name_prefix="rivermap-plan") as pool:
        prepared = pool.submit(_units_hierarchy, units, levels)
        try:
            source = read_from(rivers, tuple(str(lv) for lv in names))
            scan = source.scan()
        finally:
            units, (lv, hier) = prepared.result()
    if not len(scan.ids):
        msg = f"{source.where}: no rivers"
        raise SchemaError(msg)
    check_ids(scan.ids, source.where)
    unit_frame = units.frame
    try:
        with _gc_paused():
            crs_metric = metric_crs(_extent(scan.bounds, source.crs), unit_frame)
            ctx = _context(unit_frame, hier, lv, crs_metric, params, source.crs)
    finally:  # the rivers far from the units are named first, as they may explain an error
        check_extent_bounds(
            scan.bounds, scan.ids, source.crs, unit_frame, where=source.where, stacklevel=4
        )
    parallel = _parallel(client, options["workers"])
    tiles = options["tiles"]
    size = tiles if isinstance(tiles, int) else _auto_size(int(scan.n_vertices.sum()), parallel)
    plan = _plan(scan.bounds, scan.n_vertices, size)
    if isinstance(tiles, int) and len(plan) > _MANY_TILES:
        auto = _auto_size(int(scan.n_vertices.sum()), parallel)
        msg = (
            f"tiles={tiles:,} cuts {len(scan.ids):,} rivers into {len(plan):,} tiles of about "
            f"{tiles:,} river vertices each; every tile also loads its units and boundary, "
            f"which makes many small tiles slow (tiles='auto' would make "
            f"{len(_plan(scan.bounds, scan.n_vertices, auto)):,}). tiles is a number of river "
            "vertices a tile holds, not a number of tiles"
        )
        warnings.warn(msg, RivermapWarning, stacklevel=4)
    threads = max(1, min(parallel, len(plan)))
    inner = max(1, parallel // max(len(plan), 1))
    return _Run(ctx, source, scan, plan, unit_frame, threads, inner)


def _units_hierarchy(
    units: Any, levels: Sequence[str] | None
) -> tuple[AdminUnits, tuple[tuple[str, ...], Any]]:
    """Return the units (read from a file if need be), their levels and their hierarchy."""
    units = read_units(units, levels)
    return units, _hierarchy(units)


def _extent(bounds: FloatArray, crs: Any) -> gpd.GeoSeries:
    """Return one line across the extent of boxes ``bounds`` (what :func:`metric_crs` reads)."""
    lo, hi = bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)
    return gpd.GeoSeries([shapely.linestrings([lo, hi])], crs=crs)


def _context(
    unit_frame: gpd.GeoDataFrame,
    hier: Any,
    levels: tuple[str, ...],
    crs_metric: pyproj.CRS,
    params: dict[str, Any],
    rivers_crs: Any,
) -> _Context:
    """Prepare every unit once, in the metric CRS, and what is decided from all of them."""
    geoms = _unit_geometries_metric(unit_frame, hier, crs_metric, workers=2)
    rings = _units_with_rings(geoms, hier)
    ring_mask = np.zeros(len(geoms), dtype=bool)
    ring_mask[rings] = True
    tol_m = params["boundary_tol_m"]
    shared = _Shared(crs_metric, params, _sub_edge_m(geoms[rings], tol_m))
    return _Context(
        shared=shared,
        levels=levels,
        hier=hier,
        rings=ring_mask,
        unit_box=shapely.bounds(geoms),
        unit_wkb=shapely.to_wkb(geoms),
        rivers_crs=pyproj.CRS.from_user_input(rivers_crs),
    )


def _parallel(client: Any, workers: int | None) -> int:
    """Return how many tiles run at once: the Dask workers' threads, or this process's."""
    if client is None:
        return max(1, workers or os.cpu_count() or 1)
    info = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))


# ================================================================== the plan
@dataclass(frozen=True)
class _TilePlan:
    """A tile: the rivers it holds (indices in the rivers' order), and their box if compact."""

    rows: IntArray
    box: FloatArray | None  # None: a tile of long rivers
    vertices: int = 0  # of its rivers, as the scan estimates them


def _plan(bounds: FloatArray, n_vertices: IntArray, size: int) -> list[_TilePlan]:
    """Cut the rivers into tiles of about ``size`` vertices, in the Hilbert order of their boxes.

    A tile's side is estimated as that of a square holding ``size`` vertices at
    the rivers' mean density; rivers whose box is more than ``_LONG`` times that
    wide or high are cut into tiles of their own, apart from the short ones.
    """
    if not len(bounds):
        return []
    key = box_hilbert_keys(bounds)
    w, h = bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]
    area = max(float(np.ptp(bounds[:, [0, 2]]) * np.ptp(bounds[:, [1, 3]])), 1e-12)
    side = np.sqrt(area * size / max(int(n_vertices.sum()), 1))
    long = np.maximum(w, h) > _LONG * side
    tiles = []
    for group in (~long, long):
        rows = np.flatnonzero(group)
        rows = rows[np.argsort(key[rows], kind="stable")]
        cum = np.cumsum(n_vertices[rows])
        # each river goes to the tile its middle vertex falls in
        number = ((cum - n_vertices[rows] / 2) // size).astype(np.int64)
        for part in np.split(rows, np.flatnonzero(np.diff(number)) + 1):
            if len(part):
                b = bounds[part]
                box = np.array([*b[:, :2].min(axis=0), *b[:, 2:].max(axis=0)])
                n = int(n_vertices[part].sum())
                tiles.append(_TilePlan(np.sort(part), None if group is long else box, n))
    return tiles


def _auto_size(total_vertices: int, parallel: int) -> int:
    """Return the river vertices of a tile for ``tiles="auto"``.

    Half the memory available, shared by the tiles at work at once, at
    ``_BYTES_PER_VERTEX`` a vertex; and no more than a quarter of the rivers'
    vertices per tile at work, so that the tiles share the work out evenly; within
    ``_MIN_TILE`` and ``_MAX_TILE``. The size is then evened out so that the
    number of tiles is a multiple of ``parallel``: 13 equal tiles on 2 workers
    would leave one idle for the last.

    Examples
    --------
    >>> _auto_size(26_000_000, 2) <= _MAX_TILE, -(-26_000_000 // _auto_size(26_000_000, 2)) % 2
    (True, 0)
    """
    by_memory = int(_available_memory() / 2 / parallel / _BYTES_PER_VERTEX)
    by_work = total_vertices // (4 * parallel)
    size = min(max(min(by_memory, by_work), _MIN_TILE), _MAX_TILE)
    # as many tiles as a multiple of the tiles at work at once, so that none waits at the end
    n_tiles = -(-total_vertices // size)
    n_tiles = -(-n_tiles // parallel) * parallel
    return int(max(-(-total_vertices // n_tiles), _MIN_TILE)) if total_vertices else size


def _available_memory() -> int:
    """Return the memory available to new work, in bytes (4 GB when it cannot be told)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # psutil comes with the scale extra (distributed)
        pass
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 4 << 30


# ================================================================== the tiles
@dataclass(frozen=True)
class _Tile:
    """A tile's reaches: arrays in the rivers' numbering, and their lines unless written."""

    rows: IntArray  # the rivers, ascending
    pieces: Any  # rivermap.assign._Pieces, ``river`` in the rivers' numbering
    geoms: ObjArray | None  # the reaches' lines; None once written to a part file
    river_length: FloatArray  # per river of ``rows``
    slivers: FloatArray
    sliver_river: IntArray
    levels: tuple[IntArray, IntArray]  # per reach: its unit at every level, its boundary level
    rivers: pd.DataFrame  # the rows of the rivers table, per river of ``rows``
    stats: dict[str, Any]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (from a Dask worker) with each array of codes in the narrowest integers."""
        state = dict(self.__dict__)
        state["pieces"] = _Pieces(*(_narrow(a) for a in self.pieces.columns()))
        state["levels"] = tuple(_narrow(a) for a in self.levels)
        state["rows"], state["sliver_river"] = _narrow(self.rows), _narrow(self.sliver_river)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, the codes back in 64 bits: the same arrays as the tile made."""
        state["pieces"] = _Pieces(*(_widen(a) for a in state["pieces"].columns()))
        state["levels"] = tuple(_widen(a) for a in state["levels"])
        state["rows"], state["sliver_river"] = _widen(state["rows"]), _widen(state["sliver_river"])
        self.__dict__.update(state)


def _narrow(a: np.ndarray) -> np.ndarray:
    """Return 64-bit integers ``a`` in the narrowest integer type that holds them (others as is).

    Examples
    --------
    >>> _narrow(np.array([-1, 5_000])).dtype, _narrow(np.array([0.5])).dtype
    (dtype('int16'), dtype('float64'))
    """
    if a.dtype != np.int64 or not a.size:
        return a
    lo, hi = int(a.min()), int(a.max())
    for kind in (np.int8, np.int16, np.int32):
        if np.iinfo(kind).min <= lo and hi <= np.iinfo(kind).max:
            return a.astype(kind)
    return a


def _widen(a: np.ndarray) -> np.ndarray:
    """Return integers ``a`` as 64-bit integers (others as is): what :func:`_narrow` made narrow."""
    return a.astype(np.int64) if a.dtype.kind == "i" else a


def _run_tile(
    ctx: _Context,
    read: Callable[[int], gpd.GeoDataFrame],
    rows: IntArray,
    number: int,
    write_to: Path | None,
    threads: int,
) -> _Tile:
    """Assign the rivers of one tile against the units near them (see the module's notes).

    The tile also builds its rivers' rows of the rivers table. With
    ``write_to``, its reaches table is written there as ``part-NNNNN.parquet``;
    otherwise the reach lines come back, and the table is built once for every
    tile. The stats say where the tile's time went (wall seconds of reading,
    loading the units, the engine, the rivers' rows and writing) and its CPU
    seconds (this thread's), which contention for the cores does not swell.
    """
    clock, cpu = _Clock(), time.thread_time()
    with kept_heap(), _gc_paused():
        rivers = _read_tile(read, threads, number)
        clock.lap("read")
        job, n_units = _tile_job(ctx, rivers.geometry, wkb=write_to is not None)
        clock.lap("load")
        done = _run_chunks(job, rivers.geometry, False, threads)
        clock.lap("engine")
        labels = _text_labels(rivers, ctx.hier, ctx.unit_labels())
        levels = _level_columns(done.reaches, ctx.hier)
        table = _river_rows(ctx, done, levels[0], labels)
        clock.lap("river_rows")
        if write_to is not None:
            _write_part(ctx, rivers.crs, done, levels, labels, write_to / _part_name(number))
            clock.lap("write")
    r = done.reaches
    stats = {
        "tile": number,
        "rivers": len(rows),
        "vertices": int(shapely.get_num_coordinates(rivers.geometry.to_numpy()).sum()),
        "reaches": len(r.river),
        "units": n_units,
        "seconds": round(sum(clock.laps.values()), 3),
        "cpu_seconds": round(time.thread_time() - cpu, 3),
        **clock.laps,
    }
    return _Tile(
        rows,
        _Pieces(rows[r.river], r.lo, r.hi, r.kind, r.unit, r.left, r.right),
        done.geoms if isinstance(done.geoms, np.ndarray) else None,  # None: written as WKB
        done.river_length,
        done.slivers,
        rows[done.sliver_river],
        levels,
        table,
        stats,
    )


def _read_tile(read: Callable[[int], gpd.GeoDataFrame], threads: int, number: int) -> Any:
    """Return a tile's rivers; a file a worker cannot read is the user's error, named."""
    try:
        return read(threads)
    except OSError as exc:
        where = getattr(read, "where", "rivers")  # every reader of a file has one
        msg = f"{where}: tile {number} could not read its rivers ({exc}); {_SHARED}"
        raise DataError(msg) from exc


def _part_name(number: int) -> str:
    """Return the file name of tile ``number``'s reaches in a result folder."""
    return f"part-{number:05d}.parquet"


def _check_parts(folder: Path, stats: list[dict[str, Any]]) -> None:
    """Refuse to finish a folder whose parts this machine does not see whole.

    A Dask worker writes its tile's part into the output folder as it sees
    it; where the workers and this machine share no file system, the part
    lands elsewhere, and the folder would lack reaches.
    """
    import pyarrow.parquet as pq

    missing = []
    for st in stats:
        part = folder / _part_name(int(st["tile"]))
        try:
            rows = pq.ParquetFile(part).metadata.num_rows
        except (OSError, ValueError):  # no such file, or not a whole Parquet file
            rows = -1
        if rows != st["reaches"]:
            missing.append(part.name)
    if missing:
        msg = (
            f"{folder}: {len(missing)} of {len(stats)} tiles' reaches are not here whole "
            f"({format_ids(missing)}); {_SHARED}"
        )
        raise DataError(msg)


def _credits(r: _Pieces, per_level: IntArray, hier: Any, n_rivers: int) -> _Credits:
    """Return the credits of reaches ``r`` (sorted by river), as :func:`rivermap.assign` sums."""
    return _Credits(
        *credit_totals(
            r.river,
            r.kind,
            r.left,
            r.right,
            r.hi - r.lo,
            per_level,
            hier.anc,
            hier.depth,
            n_rivers,
            _BOUNDARY,
        )
    )


def _river_rows(ctx: _Context, done: Any, per_level: IntArray, labels: Any) -> pd.DataFrame:
    """Return the rows of the rivers table for a tile's rivers, in their order.

    A river is whole in one tile, and every column of its row (length, chief
    level and unit, units, lead and lead share per level) comes from its own
    reaches alone, so the row is the one :func:`rivermap.assign` gives it.
    """
    n = len(done.river_length)
    credits = _credits(done.reaches, per_level, ctx.hier, n)
    return _river_table(n, done.river_length, done.reaches, credits, ctx.hier, ctx.levels, labels)


def _write_part(
    ctx: _Context,
    crs: Any,
    done: Any,
    levels: tuple[IntArray, IntArray],
    labels: Any,
    path: Path,
) -> None:
    """Write a tile's reaches table (as :func:`rivermap.assign` builds it) as GeoParquet.

    The tile's job gave its reach lines as WKB (:mod:`rivermap._wkb`): no line
    is made as a shapely geometry only to be encoded again.
    """
    columns = _reach_columns(done, *levels, ctx.hier, ctx.levels, ctx.shared.params, labels)
    try:
        write_geoparquet(geoparquet_table(columns, done.geoms, crs), path)
    except OSError as exc:
        msg = f"{path}: this tile's reaches could not be written ({exc}); {_SHARED}"
        raise DataError(msg) from exc


def _tile_job(ctx: _Context, geoms: gpd.GeoSeries, *, wkb: bool = False) -> tuple[Any, int]:
    """Load the units a tile needs and build the engine's job; return it and how many units.

    ``wkb``: the job gives the reach lines as WKB, for :func:`_write_part`.
    """
    tol_m = ctx.shared.params["boundary_tol_m"]
    grow = 2 * tol_m + 1.0
    runs = _run_boxes(_to_metric(geoms, ctx.shared.crs)) + np.array([-grow, -grow, grow, grow])
    run_boxes = shapely.box(*runs.T)
    near = np.unique(ctx.unit_tree().query(run_boxes)[1])
    units = np.full(len(ctx.unit_wkb), None, dtype=object)
    units[near] = shapely.from_wkb(ctx.unit_wkb[near])
    edges = _ring_edges(units, near[ctx.rings[near]], ctx.hier)
    probed = np.setdiff1d(_probed_units(ctx, edges, run_boxes, tol_m), near)
    units[probed] = shapely.from_wkb(ctx.unit_wkb[probed])
    locator = _UnitLocator(units, ctx.hier)
    edges = _fill_missing_sides(edges, locator, tol_m)
    return ctx.shared.job(edges, locator, wkb=wkb), len(near) + len(probed)


def _probed_units(ctx: _Context, edges: Any, run_boxes: ObjArray, tol_m: float) -> IntArray:
    """Return the units whose box holds a probe point of an edge near the rivers, short a side.

    An edge is near when its box meets a run box (grown by more than
    ``boundary_tol_m``); its probes are those of
    :func:`rivermap.assign._fill_missing_sides`, on both sides and at both steps.
    """
    todo = np.flatnonzero((edges.left == _NONE) | (edges.right == _NONE))
    if not len(todo):
        return np.empty(0, dtype=np.int64)
    lines = shapely.linestrings(edges.xy[todo].reshape(-1, 2, 2))
    hit = np.unique(shapely.STRtree(lines).query(run_boxes)[1])
    xy = edges.xy[todo[hit]]
    points = [_side_probes(xy, sign, step) for sign in (1.0, -1.0) for step in _probe_steps(tol_m)]
    px = np.concatenate([p[0] for p in points])
    py = np.concatenate([p[1] for p in points])
    return np.unique(ctx.unit_tree().query(shapely.points(px, py))[1])


def _run_boxes(geoms: ObjArray) -> FloatArray:
    """Return boxes (x0, y0, x1, y1) that together cover every segment of lines ``geoms``.

    A line whose box is no wider or higher than ``_RUN_M`` is its own box; a
    longer one is covered run by run: its parts' vertices ``_RUN_SEGMENTS`` at a
    time, each run's box grown to the first vertex of the part's next run.
    """
    bounds = shapely.bounds(geoms)
    long = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) > _RUN_M
    if not long.any():
        return bounds
    coords, part = shapely.get_coordinates(shapely.get_parts(geoms[long]), return_index=True)
    runs = run_boxes(coords, part.astype(np.int64), _RUN_SEGMENTS)
    return np.concatenate([bounds[~long], runs])


# ================================================================= executing
@contextlib.contextmanager
def _client(scheduler: Any) -> Iterator[Any]:
    """Yield the Dask client of ``scheduler`` (None: no Dask); one made here is closed after."""
    if scheduler is None or not isinstance(scheduler, str):
        yield scheduler
        return
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - the scale extra is not installed
        msg = "scheduler= needs Dask: pip install 'rivermap[scale]'"
        raise SchemaError(msg) from exc
    client = Client(scheduler, timeout="20s", set_as_default=False)
    try:
        yield client
    finally:
        client.close()


def _execute(run: _Run, client: Any, progress: bool, write_to: Path | None) -> Iterator[_Tile]:
    """Run every tile, on threads or on Dask; yield them as they finish (any order)."""
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(run.tiles), desc="rivermap.scale", unit="tile")
    with _readers(run, write_to, on_dask=client is not None) as readers:
        tiles = (
            _on_threads(run, readers, write_to)
            if client is None
            else _on_dask(run, client, readers, write_to)
        )
        try:
            for tile in tiles:
                if bar is not None:
                    bar.update(1)
                yield tile
        finally:
            if bar is not None:
                bar.close()


@contextlib.contextmanager
def _readers(run: _Run, write_to: Path | None, *, on_dask: bool) -> Iterator[list[Any]]:
    """Yield what reads each tile's rivers, routed through files of their own where needed.

    Routed files go into ``_tiles`` in the output folder (where Dask workers
    write too), or, on threads, into a scratch folder of the system's
    temporary folder; either is removed when the tiles are done. On Dask
    without an output folder the tiles read the rivers' file as it is: the
    workers see that file, but not this machine's temporary folder.
    """
    from rivermap._scratch import discard, scratch_dir

    made: list[Path] = []
    rows = [t.rows for t in run.tiles]

    def folder() -> Path:
        if write_to is not None:
            made.append(write_to / "_tiles")
            made[-1].mkdir()
        else:
            made.append(scratch_dir(Path(tempfile.gettempdir()) / "rivermap-tiles"))
        return made[-1]

    try:
        routed = None if on_dask and write_to is None else route(run.source, rows, folder)
        yield routed or [run.source.reader(t.rows, t.box) for t in run.tiles]
    finally:
        for path in made:
            discard(path)


def _on_threads(run: _Run, readers: list[Any], write_to: Path | None) -> Iterator[_Tile]:
    """Run the tiles on ``run.threads`` threads, no more tiles at work at once."""

    def work(i: int) -> _Tile:
        return _run_tile(run.ctx, readers[i], run.tiles[i].rows, i, write_to, run.inner)

    if run.threads == 1:
        yield from map(work, range(len(run.tiles)))
        return
    run.ctx.unit_tree()  # built once, before the threads
    run.ctx.unit_labels()
    pending: set[Future[_Tile]] = set()
    upcoming = iter(_largest_first(run.tiles))
    with ThreadPoolExecutor(run.threads, thread_name_prefix="rivermap-tile") as pool:
        try:
            for i in upcoming:
                pending.add(pool.submit(work, i))
                if len(pending) < run.threads:
                    continue
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in finished)
            for f in list(pending):
                yield f.result()
        finally:
            for f in pending:
                f.cancel()
    release_free_memory()


def _on_dask(run: _Run, client: Any, readers: list[Any], write_to: Path | None) -> Iterator[_Tile]:
    """Run the tiles as tasks on a Dask cluster, the context scattered once to every worker."""
    import uuid

    from distributed import as_completed

    _check_workers(client)
    ctx = client.scatter(run.ctx, broadcast=True, hash=False)
    token = uuid.uuid4().hex[:8]
    order = _largest_first(run.tiles)
    futures = [
        client.submit(
            _run_tile,
            ctx,
            readers[i],
            run.tiles[i].rows,
            i,
            write_to,
            1,
            key=f"rivermap-tile-{token}-{i}",
            pure=False,
            priority=len(order) - rank,
        )
        for rank, i in enumerate(order)
    ]
    try:
        for future in as_completed(futures):
            tile = future.result()
            future.release()
            yield tile
    finally:
        client.cancel(futures)
        client.cancel(ctx)


def _check_workers(client: Any) -> None:
    """Refuse a cluster whose workers run another rivermap than this process, or none.

    The tiles would then be cut by other code than the plan and the tables:
    the result would not be :func:`rivermap.assign`'s. The same version with
    other sources (an editable install, a patched copy) counts as another.
    """

    def code() -> str:  # sent by value: rivermap may be missing on a worker
        try:
            from rivermap._version import code_digest, rivermap_version
        except ImportError:
            return "no rivermap"
        return f"rivermap {rivermap_version()} (sources {code_digest()})"

    ours = code()
    other = {worker: theirs for worker, theirs in client.run(code).items() if theirs != ours}
    if other:
        msg = (
            f"scheduler: the Dask workers {format_ids(sorted(other))} run "
            f"{', '.join(sorted(set(other.values())))}, and this machine {ours}; "
            "install the same rivermap on every worker"
        )
        raise ParameterError(msg)


def _largest_first(tiles: list[_TilePlan]) -> list[int]:
    """Return the order to start ``tiles`` in: the most vertices first.

    The tiles at work at once then finish close together: a large tile
    started last would keep one worker busy while the others wait.
    """
    return sorted(range(len(tiles)), key=lambda i: -tiles[i].vertices)


# ================================================================ collecting
class _Collector:
    """The reach arrays of every tile (and their lines, when kept)."""

    def __init__(self, n_rivers: int) -> None:
        self.river_length = np.zeros(n_rivers)
        self.tiles: list[_Tile] = []

    def add(self, tile: _Tile) -> None:
        """Keep a finished tile's reaches."""
        self.river_length[tile.rows] = tile.river_length
        self.tiles.append(tile)

    @property
    def stats(self) -> list[dict[str, Any]]:
        """Return what each tile took, in the order of the tiles."""
        return sorted((t.stats for t in self.tiles), key=lambda st: int(st["tile"]))


def _result(run: _Run, c: _Collector) -> Responsibility:
    """Put the tiles' reaches back in the rivers' order and build the tables, as the whole does.

    The tiles built their rivers' rows of the rivers table; the per-unit sums
    (credited in the rivers' order, so that they add up as the whole adds them),
    the units table, the summary and the reaches table (when the lines were
    kept) come from the same functions as :func:`rivermap.assign`'s, on the
    same arrays in the same order.
    """
    ctx, tiles = run.ctx, c.tiles
    done, (per_level, b_level), kept = _gathered(tiles, c.river_length)
    levels, params, hier = ctx.levels, ctx.shared.params, ctx.hier
    n_rivers = len(c.river_length)
    credits = _credits(done.reaches, per_level, hier, n_rivers)
    rivers = _river_rows_in_order(tiles, n_rivers)
    units = _units_result(credits, hier, levels, run.unit_frame, ctx.rivers_crs)
    summary = _summary(done, n_rivers, ctx.shared.crs, params)
    reaches = gpd.GeoDataFrame(geometry=[], crs=ctx.rivers_crs)  # written tile by tile
    if kept:
        meta = pd.DataFrame({"river_id": run.scan.ids, "name": run.scan.names})
        labels = _text_labels(meta, hier, ctx.unit_labels())
        columns = _reach_columns(done, per_level, b_level, hier, levels, params, labels)
        reaches = gpd.GeoDataFrame(columns, geometry=done.geoms, crs=ctx.rivers_crs)
    return Responsibility(
        reaches, rivers, units, levels=levels, crs=ctx.rivers_crs, params=params, summary=summary
    )


def _gathered(
    tiles: list[_Tile], river_length: FloatArray
) -> tuple[Any, tuple[IntArray, IntArray], bool]:
    """Return the reaches of ``tiles`` by river, their levels, and whether their lines came.

    The reaches come with their lines if every tile kept them; the levels are
    each reach's unit at every level and its boundary level, as the tiles
    found them (:func:`rivermap.assign._level_columns`).
    """
    fields = ("river", "lo", "hi", "kind", "unit", "left", "right")
    pieces = _Pieces(*(np.concatenate([getattr(t.pieces, f) for t in tiles]) for f in fields))
    order = np.argsort(pieces.river, kind="stable")  # a river's reaches stay in chainage order
    levels = tuple(np.concatenate([t.levels[k] for t in tiles])[order] for k in (0, 1))
    slivers = np.concatenate([t.slivers for t in tiles])
    sliver_river = np.concatenate([t.sliver_river for t in tiles])
    s_order = np.argsort(sliver_river, kind="stable")
    kept = all(t.geoms is not None for t in tiles)
    geoms = np.concatenate([t.geoms for t in tiles if t.geoms is not None]) if kept else None
    done = _Chunk(
        pieces.take(order),
        geoms[order] if geoms is not None else np.empty(0, dtype=object),
        river_length,
        slivers[s_order],
        sliver_river[s_order],
    )
    return done, (levels[0], levels[1]), kept


def _river_rows_in_order(tiles: list[_Tile], n_rivers: int) -> pd.DataFrame:
    """Return the rivers table: the tiles' rows, put in the rivers' order."""
    rows = np.concatenate([t.rows for t in tiles])
    at = np.empty(n_rivers, dtype=np.int64)
    at[rows] = np.arange(len(rows))
    table = pd.concat([t.rivers for t in tiles], ignore_index=True)
    return table.take(at).reset_index(drop=True)


def _move_into_place(staging: Path, final: Path, *, overwrite: bool) -> None:
    """Move the finished folder to ``final``, setting an older one aside first."""
    old = staging.with_name(staging.name + "-old")
    if overwrite and final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if old.exists():
        from rivermap._scratch import discard

        discard(old)
