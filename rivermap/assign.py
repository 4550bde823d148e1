"""Split rivers into reaches at administrative boundaries and find who is responsible.

:func:`assign` is the heart of rivermap. It cuts every river wherever the unit
responsible for it changes at any level, recognises stretches that run along a
boundary (界河, *boundary reaches*), merges slivers, and works out each river's
chief level (河长级别): the level of the lowest common ancestor of every unit the
river runs through.

How it works (and why it is fast)
---------------------------------
Nested levels share boundaries, so rivers are split once, against the boundary
linework of the finest level (plus the rings of coarser units that their
children do not cover), and coarser levels follow from the ancestor table.

1. Rivers and boundaries become numpy segment arrays. Chainage (``from_m`` /
   ``to_m``) is a running sum of segment lengths restarted for every river, so
   short pieces keep their precision; the parts of a MultiLineString are
   chained in order, without counting the gap between them.
2. Every boundary edge is stored once, labelled with the unit on its left and on
   its right (the outer border has a unit on one side only): vertices are
   ranked in lexicographic order and edges found by their two ends in a hash
   table, in one pass over the rings' vertices however dense the outlines are.
   Candidate (river segment, boundary edge) pairs come from a uniform grid
   (each cell's edges side by side in memory), and the exact crossing
   parameters from segment–segment intersection. A river segment collinear
   with an edge is cut at both ends of the overlap.
3. For boundary reaches, each candidate pair also gives the exact sub-interval
   of the river segment lying within ``boundary_tol_m`` of the edge (a line
   clipped by the edge's buffer, a stadium). A segment's intervals along one
   side of one pair of units are joined as they are found (their union does
   not depend on how many vertices the boundary has, and a segment already
   wholly near that side skips the other edges). Intervals of one river with
   the same pair of units are then merged; merged stretches of at least
   ``boundary_min_m`` become boundary reaches, with each unit on the bank
   where more of their length has it.
4. Each river is cut at the sorted crossings and boundary-stretch ends. A piece
   that starts where the river cleanly crosses an edge shared by two units lies
   in the unit entered there; one that ends at such a crossing, in the unit left
   there. Only the other pieces (mostly rivers that cross nothing) are located
   by a point-in-polygon test of their middle point at the finest level
   (coarser levels only where no finest unit covers it). The ancestor table
   gives every other level.
5. Consecutive pieces with the same responsibility become one reach; reaches
   shorter than ``min_reach_m`` are merged into a neighbour; reach geometry is
   cut from the caller's own coordinates, so it comes back in the caller's CRS
   with the original vertices.

The loops over segments and boundary vertices (steps 1–5) are compiled with
numba (:mod:`rivermap._kernels`): one pass each, no Python loop over features,
and no GIL, so that ``workers`` threads share the work (the edges are indexed
on one thread while the other looks for their missing sides). Rivers go
through in chunks of about ``_CHUNK_SEGMENTS`` vertices, which bounds the
memory in use. The first use in a new environment compiles the kernels (about
20 s, once); a new process loads them from numba's cache (about 0.2 s).

Ties are decided deterministically: a piece lying exactly on a boundary (a
river collinear with it) belongs to one unit only, the one with the smallest
``unit_id`` among those whose closure holds the piece's middle point, and
points strictly inside a polygon always win over points on its boundary.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import itertools
import math
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap import _kernels
from rivermap._arrays import box_hilbert_keys, unique_first
from rivermap._heap import kept_heap, release_free_memory
from rivermap._wkb import WKBLines, wkb_lines
from rivermap.crs import check_extents, metric_crs
from rivermap.errors import CRSError, SchemaError, format_ids
from rivermap.params import (
    BOUNDARY_MIN_M,
    BOUNDARY_POLICIES,
    BOUNDARY_POLICY,
    BOUNDARY_TOL_M,
    MIN_REACH_M,
    check_choice,
    check_length,
    check_workers,
)
from rivermap.responsibility import Responsibility
from rivermap.units import AdminUnits

__all__ = ["BOUNDARY_POLICIES", "KINDS", "assign"]

# The values of ``boundary_policy``, as a type: BOUNDARY_POLICIES (re-exported here)
# and every default of assign come from rivermap.params.
BoundaryPolicy = Literal["bank", "parent", "lead"]
_DEFAULT_POLICY = cast(BoundaryPolicy, BOUNDARY_POLICY)
#: Values of the ``kind`` column of :attr:`Responsibility.reaches`.
KINDS: tuple[str, ...] = ("inside", "boundary", "outside")

_INSIDE, _BOUNDARY, _OUTSIDE = 0, 1, 2
_NONE = -1
_UNKNOWN = -2  # a piece's unit is not known from the crossing it starts at
# Cuts closer than this (metres of chainage) are one cut: a river through a boundary
# vertex is found on both edges that meet there.
_CUT_EPS_M = 1e-8
# A point this close to a unit (metres) lies on its boundary.
_ON_BOUNDARY_M = 1e-6
# Boundary edges are indexed in pieces no longer than this (metres).
_SUB_EDGE_M = 400.0
# ... in a grid of at most this many cells per edge (or 2**20), with wider cells if needed.
_MAX_CELLS_PER_EDGE = 8
# About how many river vertices are processed at once (bounds peak memory).
_CHUNK_SEGMENTS = 100_000
# Ring edges are gathered on two threads from this many vertices on.
_SPLIT_VERTICES = 200_000
# Columns that level names must not shadow.
_RESERVED = frozenset(
    {
        "reach_id",
        "river_id",
        "name",
        "from_m",
        "to_m",
        "length_m",
        "kind",
        "left_unit",
        "right_unit",
        "responsible",
        "boundary_level",
        "geometry",
    }
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ObjArray = NDArray[np.object_]


# ===================================================================== public
def assign(
    rivers: gpd.GeoDataFrame,
    units: Any,
    *,
    min_reach_m: float = MIN_REACH_M,
    boundary_tol_m: float = BOUNDARY_TOL_M,
    boundary_min_m: float = BOUNDARY_MIN_M,
    boundary_policy: BoundaryPolicy = _DEFAULT_POLICY,
    progress: bool = False,
    workers: int | None = None,
) -> Responsibility:
    """Split rivers into reaches by administrative unit and assign responsibility.

    Parameters
    ----------
    rivers
        Rivers as from :func:`rivermap.read_rivers`: unique ``river_id``, ``name``
        and LineString/MultiLineString geometry (parts in flow order) in any CRS.
    units
        :class:`rivermap.units.AdminUnits` (polygons at named levels, in any CRS;
        reprojected as needed).
    min_reach_m
        Reaches shorter than this (metres) are merged into their longer
        neighbour; ``resp.summary`` counts them. ``0`` keeps every piece.
    boundary_tol_m
        A river within this distance (metres) of a boundary between two units
        runs along it.
    boundary_min_m
        ... for at least this length (metres) to become a boundary reach (界河).
        ``math.inf`` turns boundary detection off.
    boundary_policy
        Who is responsible for a boundary reach:

        * ``"bank"`` (default): both sides, each for its own bank; ``responsible``
          holds ``"<left_unit>;<right_unit>"``;
        * ``"parent"``: the lowest common ancestor of the two sides (None when
          they share none);
        * ``"lead"``: the side holding more of the river elsewhere (compared at
          the level where the sides differ; ties go to the smaller unit_id).

        The default is ``"bank"`` because that is how the River Chief System
        handles 界河 in practice: each bank's chief answers for their bank
        (左右岸分段负责) and the common superior coordinates. It hides nobody's
        duty, and it does not depend on how the rest of the river happens to be
        split, as ``"lead"`` does; ``"parent"`` moves daily work one level up.
    progress
        Show a progress bar (tqdm) over chunks of rivers.
    workers
        Threads working on chunks of rivers at once; None (the default) uses
        every core. The result is the same whatever the number. Each thread
        holds one chunk's working memory at a time (at 20,000 rivers, 2 threads:
        about 30% faster than 1, and 10–30% more memory at the peak). Pass 1
        where something else already runs several jobs side by side (Dask,
        multiprocessing, a web server).

    Returns
    -------
    Responsibility
        ``reaches`` (one row per reach, geometry in the rivers' CRS), ``rivers``
        (chief level and per-level shares), ``units`` (per-unit lengths) and
        ``summary``.

    Raises
    ------
    ParameterError
        A length that is negative, NaN or (but for ``boundary_min_m``) infinite;
        an unknown ``boundary_policy``; ``workers`` not None nor 1 or more.
    CRSError
        When the rivers or the units have no CRS.
    SchemaError
        Missing columns, duplicate or missing ids, non-line geometries, or a
        level name that clashes with a reach column.
    TypeError
        When ``units`` is not an AdminUnits-like object, or a length is not a number.

    Notes
    -----
    *Per-level columns* of a reach hold that level's ``unit_id``. For a boundary
    reach they hold the unit both sides share at that level, and None where the
    sides differ; ``boundary_level`` names the coarsest level where they differ.
    Along the outer border (a unit on one side only) they hold the inside
    unit's ancestors, and ``boundary_level`` is the top level.

    The *chief level* is the level of the lowest common ancestor of every unit
    the river runs through (both sides of boundary reaches; outside stretches
    do not count). A river through two top-level units gets
    ``"above:<top level>"`` and no chief unit; a river entirely outside, None.

    Lengths in ``rivers`` and ``units`` split a boundary reach half and half
    between its two sides at the levels where they differ. A unit's
    ``boundary_length_m`` is the length of the boundary reaches it lies on at its
    own level.

    Examples
    --------
    Two districts side by side, each one street of one community; one river
    crosses from the first into the second, another runs along their border:

    >>> import geopandas as gpd
    >>> from shapely import LineString, box
    >>> from rivermap.units import AdminUnits
    >>> x, y = 500_000, 3_300_000  # CGCS2000 Gauss-Krüger CM 120E (EPSG:4549), metres
    >>> frame = gpd.GeoDataFrame(
    ...     {"unit_id": ["D1", "D2", "S1", "S2", "C1", "C2"],
    ...      "name": ["d1", "d2", "s1", "s2", "c1", "c2"],
    ...      "level": ["district"] * 2 + ["street"] * 2 + ["community"] * 2,
    ...      "parent_id": [None, None, "D1", "D2", "S1", "S2"]},
    ...     geometry=[box(x, y, x + 1000, y + 1000), box(x + 1000, y, x + 2000, y + 1000)] * 3,
    ...     crs=4549)
    >>> units = AdminUnits(frame, ("district", "street", "community"))
    >>> rivers = gpd.GeoDataFrame(
    ...     {"river_id": ["a", "b"], "name": ["A", "B"]},
    ...     geometry=[LineString([(x + 500, y + 200), (x + 1500, y + 200)]),
    ...               LineString([(x + 1005, y + 300), (x + 995, y + 500),
    ...                           (x + 1005, y + 700), (x + 995, y + 900)])],
    ...     crs=4549)
    >>> resp = assign(rivers, units)
    >>> resp.reaches[["reach_id", "from_m", "to_m", "kind", "street", "responsible"]]
      reach_id  from_m    to_m      kind street responsible
    0      a#1     0.0   500.0    inside     S1          C1
    1      a#2   500.0  1000.0    inside     S2          C2
    2      b#1     0.0   600.7  boundary    NaN       C1;C2
    >>> resp.rivers[["river_id", "chief_level", "chief_unit", "lead_district"]]
      river_id     chief_level chief_unit lead_district
    0        a  above:district        NaN            D1
    1        b  above:district        NaN            D1
    >>> resp.summary["n_boundary_reaches"], resp.summary["total_length_m"]
    (1, 1600.7)
    """
    params = _check_parameters(min_reach_m, boundary_tol_m, boundary_min_m, boundary_policy)
    workers = check_workers(workers)
    levels, hier = _hierarchy(units)
    rivers = _check_rivers(rivers, levels)
    tol_m = params["boundary_tol_m"]  # a float now
    with _gc_paused(), kept_heap():
        unit_frame = units.frame
        check_extents(rivers, unit_frame)
        crs_metric = metric_crs(rivers, unit_frame)
        unit_geoms = _unit_geometries_metric(unit_frame, hier, crs_metric, workers=workers)
        rings = _units_with_rings(unit_geoms, hier)
        shared = _Shared(crs_metric, params, _sub_edge_m(unit_geoms[rings], tol_m))
        locator = _UnitLocator(unit_geoms, hier)
        edges = _ring_edges(unit_geoms, rings, hier, workers=workers)
        job = _prepare_job(shared, edges, locator, workers)
        done = _run_chunks(job, rivers.geometry, progress, workers)
        return _build_result(
            rivers,
            done,
            hier,
            levels,
            params,
            unit_frame=unit_frame,
            crs_metric=crs_metric,
            workers=workers,
        )


# ================================================================ the work
def _prepare_job(
    shared: _Shared, edges: _Edges, locator: _UnitLocator, workers: int | None
) -> _Job:
    """Fill the edges' missing sides and index the edges, at once on two threads.

    The index places edges, whatever units lie on their sides. It is built on
    this thread and the sides are looked for on another (the other way round
    is slower: compiled code allocating on a new thread).
    """
    tol_m = shared.params["boundary_tol_m"]
    if workers == 1 or (os.cpu_count() or 1) == 1:
        return shared.job(_fill_missing_sides(edges, locator, tol_m), locator)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rivermap") as pool:
        filled = pool.submit(_fill_missing_sides, edges, locator, tol_m)
        index = shared.index(edges)
        return shared.job(filled.result(), locator, index)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the engine runs.

    The engine creates a shapely geometry per reach, and each counts towards
    the collector's thresholds; its full passes then walk every live object
    again and again, the more so when earlier results are still alive (10–30%
    of the run at 20,000 rivers). Cycles made meanwhile are collected once the
    collector resumes. This is what :mod:`timeit` does too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class _Shared:
    """What is decided once for all the rivers, and every tile of :mod:`rivermap.scale` shares.

    The metric CRS (every length is measured in it), the checked parameters, and
    how long the pieces that boundary edges are indexed in may be (see
    :func:`_sub_edge_m`): an edge is then cut the same way whichever rivers and
    units are processed together, and crossings come out the same to the bit.
    """

    crs: pyproj.CRS
    params: dict[str, Any]
    sub_m: float

    def index(self, edges: _Edges) -> _EdgeIndex:
        """Return the index of ``edges`` that :meth:`job` uses."""
        return _EdgeIndex(edges, tol=self._tol_m(), sub_m=self.sub_m)

    def job(
        self,
        edges: _Edges,
        locator: _UnitLocator,
        index: _EdgeIndex | None = None,
        *,
        wkb: bool = False,
    ) -> _Job:
        """Return the work of a set of rivers against ``edges`` and ``locator``.

        ``index``: :meth:`index` of the same edges before their missing sides
        were filled (a side moves no edge), or None to make it here. ``wkb``:
        the chunks give their reach lines as WKB (:func:`_reach_wkb`).
        """
        tol_m = self._tol_m()
        if index is None or len(index.left) != len(edges):  # an edge dropped: index again
            index = self.index(edges)
        return _Job(
            crs=self.crs,
            edges=edges,
            index=index.with_sides(edges),
            locator=locator,
            tol_m=tol_m,
            boundary_min_m=self.params["boundary_min_m"] if tol_m > 0 else math.inf,
            min_reach_m=self.params["min_reach_m"],
            wkb=wkb,
        )

    def _tol_m(self) -> float:
        """Return ``boundary_tol_m``, or 0 where boundary reaches are turned off."""
        tol_m, min_m = self.params["boundary_tol_m"], self.params["boundary_min_m"]
        return float(tol_m) if math.isfinite(min_m) and tol_m > 0 else 0.0


@dataclass(frozen=True)
class _Job:
    """What every chunk of rivers shares: the metric CRS, the boundary and the locator."""

    crs: pyproj.CRS
    edges: _Edges
    index: _EdgeIndex
    locator: _UnitLocator
    tol_m: float  # 0 turns boundary detection off
    boundary_min_m: float
    min_reach_m: float
    wkb: bool = False  # the reach lines as WKB (rivermap._wkb), for a writer, not as shapely lines


@dataclass(frozen=True)
class _Chunk:
    """The reaches of a run of consecutive rivers (river indices from 0 at the first)."""

    reaches: _Pieces
    geoms: ObjArray | WKBLines  # shapely lines, or their WKB (_Job.wkb)
    river_length: FloatArray
    slivers: FloatArray  # the length of every sliver that changed hands, in river order
    sliver_river: IntArray  # ... and its river

    def in_order(self, order: IntArray) -> _Chunk:
        """Return this chunk of rivers ``order`` (positions of the rivers) in the rivers' order.

        A river's reaches, and its slivers, stay in the order they came in (the
        summary then adds the slivers' lengths in the same order, to the bit).
        """
        if np.array_equal(order, np.arange(len(order))):
            return self
        river = order[self.reaches.river]
        at = np.argsort(river, kind="stable")
        r = self.reaches
        reaches = _Pieces(
            river[at], r.lo[at], r.hi[at], r.kind[at], r.unit[at], r.left[at], r.right[at]
        )
        length = np.empty_like(self.river_length)
        length[order] = self.river_length
        sliver_river = order[self.sliver_river]
        s_at = np.argsort(sliver_river, kind="stable")
        geoms = self.geoms.take(at) if isinstance(self.geoms, WKBLines) else self.geoms[at]
        return _Chunk(reaches, geoms, length, self.slivers[s_at], sliver_river[s_at])

    @staticmethod
    def concat(chunks: list[_Chunk]) -> _Chunk:
        n_before = np.cumsum([0] + [len(c.river_length) for c in chunks[:-1]])
        fields = ("river", "lo", "hi", "kind", "unit", "left", "right")
        parts = {f: [getattr(c.reaches, f) for c in chunks] for f in fields}
        parts["river"] = [r + k for r, k in zip(parts["river"], n_before, strict=True)]
        wkb = [c.geoms for c in chunks if isinstance(c.geoms, WKBLines)]  # all or none
        return _Chunk(
            _Pieces(*(np.concatenate(parts[f]) for f in fields)),
            WKBLines.concat(wkb) if wkb else np.concatenate([c.geoms for c in chunks]),
            np.concatenate([c.river_length for c in chunks]),
            np.concatenate([c.slivers for c in chunks]),
            np.concatenate([c.sliver_river + k for c, k in zip(chunks, n_before, strict=True)]),
        )


def _assign_chunk(job: _Job, geoms: gpd.GeoSeries) -> _Chunk:
    """Reaches of some rivers: crossings, boundary stretches, pieces, labels, slivers."""
    segs = _river_segments(geoms, job.crs)
    crossings, near = _scan_rivers(segs, job.index, job.tol_m)
    stretches = (
        _boundary_stretches(segs, near, job.boundary_min_m, job.min_reach_m)
        if job.tol_m > 0
        else _Stretches.empty()
    )
    pieces = _cut_pieces(segs, crossings, stretches, job.locator)
    reaches = _merge_runs(pieces)
    reaches, slivers, sliver_river = _merge_slivers(reaches, job.min_reach_m)
    reaches = _merge_runs(reaches)
    lines = _reach_wkb(segs, reaches) if job.wkb else _reach_geometries(segs, reaches)
    return _Chunk(reaches, lines, segs.length, slivers, sliver_river)


def _run_chunks(job: _Job, geoms: gpd.GeoSeries, progress: bool, workers: int | None) -> _Chunk:
    """Rivers in chunks of at most about ``_CHUNK_SEGMENTS`` segments, on a few threads.

    Chunks bound the memory held at once; numpy and GEOS release the GIL, so the
    threads run in parallel. Every river is processed whole within one chunk, so
    the result does not depend on the chunking, nor on the order the rivers go
    through in: along a Hilbert curve (:func:`_space_order`), so that the
    boundary edges a river meets are still in the cache for its neighbours
    (M-dense, one thread: 10-15 % faster), then put back in the rivers' order.
    """
    order = _space_order(geoms)
    return _Chunk.concat(_chunks(job, geoms.iloc[order], progress, workers)).in_order(order)


def _space_order(geoms: gpd.GeoSeries) -> IntArray:
    """Return the order of lines ``geoms`` along a Hilbert curve through their boxes' centres.

    Lines without a box (empty) come last, in their order.
    """
    bounds = shapely.bounds(np.asarray(geoms.to_numpy(), dtype=object))
    return np.argsort(box_hilbert_keys(bounds), kind="stable").astype(np.int64)


def _chunks(job: _Job, geoms: gpd.GeoSeries, progress: bool, workers: int | None) -> list[_Chunk]:
    """Return the chunks of rivers ``geoms``, in their order (see :func:`_run_chunks`)."""
    n_coords = shapely.get_num_coordinates(np.asarray(geoms.to_numpy(), dtype=object))
    workers = max(1, workers or os.cpu_count() or 1)
    target = _CHUNK_SEGMENTS
    if workers > 1:  # at least 4 chunks a thread, so that the threads finish together
        target = min(target, max(int(n_coords.sum()) // (4 * workers), target // 10))
    ranges = list(itertools.pairwise(_chunk_bounds(n_coords, target)))
    workers = min(workers, len(ranges))

    def work(bounds: tuple[int, int]) -> _Chunk:
        return _assign_chunk(job, geoms.iloc[bounds[0] : bounds[1]])

    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(geoms), desc="rivermap.assign", unit="river")
    out: list[_Chunk] = []
    try:
        if workers == 1:
            results: Iterator[_Chunk] = map(work, ranges)
        else:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rivermap")
            results = pool.map(work, ranges)
        for (lo, hi), chunk in zip(ranges, results, strict=True):
            out.append(chunk)
            if bar is not None:
                bar.update(hi - lo)
    finally:
        if workers > 1:
            pool.shutdown(cancel_futures=True)
            release_free_memory()
        if bar is not None:
            bar.close()
    return out


def _chunk_bounds(n_coords: IntArray, target: int) -> list[int]:
    """River index bounds of chunks holding about ``target`` vertices each (at least one)."""
    n = len(n_coords)
    if n == 0:
        return [0, 0]
    cum = np.cumsum(n_coords)
    cuts = np.searchsorted(cum, np.arange(target, int(cum[-1]), target), side="left") + 1
    return sorted({0, n, *(int(c) for c in cuts if 0 < c < n)})


# ============================================================== input checks
def _check_parameters(
    min_reach_m: Any, boundary_tol_m: Any, boundary_min_m: Any, boundary_policy: Any
) -> dict[str, Any]:
    """Return the parameters as :attr:`Responsibility.params` holds them, checked.

    ``boundary_min_m=inf`` is allowed: it turns boundary reaches (界河) off.
    """
    return {
        "min_reach_m": check_length("min_reach_m", min_reach_m),
        "boundary_tol_m": check_length("boundary_tol_m", boundary_tol_m),
        "boundary_min_m": check_length("boundary_min_m", boundary_min_m, finite=False),
        "boundary_policy": check_choice("boundary_policy", boundary_policy, BOUNDARY_POLICIES),
    }


def _check_rivers(rivers: gpd.GeoDataFrame, levels: tuple[str, ...]) -> gpd.GeoDataFrame:
    if not isinstance(rivers, gpd.GeoDataFrame):
        msg = (
            f"rivers must be a GeoDataFrame (see rivermap.read_rivers), got {type(rivers).__name__}"
        )
        raise TypeError(msg)
    if rivers.crs is None:
        msg = (
            "rivers has no coordinate reference system (CRS); set it with "
            "rivers.set_crs(...) or read the file with rivermap.read_rivers(..., crs=...)"
        )
        raise CRSError(msg)
    if "river_id" not in rivers.columns:
        msg = (
            "rivers: missing column 'river_id'; read rivers with rivermap.read_rivers, "
            "which adds it"
        )
        raise SchemaError(msg)
    clash = sorted(set(levels) & _RESERVED)
    if clash:
        msg = f"units: level name(s) {format_ids(clash)} clash with reach columns; rename them"
        raise SchemaError(msg)
    ids = rivers["river_id"]
    if ids.isna().any():
        msg = f"rivers: {int(ids.isna().sum())} rows have no river_id"
        raise SchemaError(msg)
    ids = ids.astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        msg = f"rivers: river_id must be unique; duplicated: {format_ids(dup.unique())}"
        raise SchemaError(msg)
    geoms = rivers.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        msg = f"rivers: empty or missing geometry for river_id {format_ids(ids[missing])}"
        raise SchemaError(msg)
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, (1, 5))  # LineString, MultiLineString
    if bad.any():
        msg = (
            f"rivers: geometries must be LineString or MultiLineString; not so for "
            f"river_id {format_ids(ids[bad])}"
        )
        raise SchemaError(msg)
    out = rivers.copy()
    out["river_id"] = ids.to_numpy()
    if "name" not in out.columns:
        out["name"] = None
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class _Hierarchy:
    """Units as integer codes: ``ids[code]``; ``anc[code, level]`` ancestor-or-self code.

    ``rows[code]`` is the unit's row in the units' frame.
    """

    ids: ObjArray
    names: ObjArray
    depth: IntArray
    anc: IntArray
    rows: IntArray


def _hierarchy(units: Any) -> tuple[tuple[str, ...], _Hierarchy]:
    if not isinstance(units, AdminUnits):
        msg = (
            f"units must be rivermap.AdminUnits (see rivermap.read_units), "
            f"got {type(units).__name__}"
        )
        raise TypeError(msg)
    levels = tuple(str(lv) for lv in units.levels)
    frame = units.frame  # AdminUnits guarantees a CRS
    order, anc = units.ancestor_codes()  # the first of equal ids only
    ids = frame["unit_id"].astype(str)
    if len(order) < len(ids):
        dup = ids[ids.duplicated()]
        msg = f"units: unit_id must be unique; duplicated: {format_ids(dup.unique())}"
        raise SchemaError(msg)
    sorted_ids = ids.to_numpy(dtype=object)[order]
    depth = units.depths()[order]
    names = frame["name"].to_numpy(dtype=object)[order]
    return levels, _Hierarchy(sorted_ids, names, depth, anc, order)


def _to_metric(geoms: gpd.GeoSeries, crs: pyproj.CRS) -> ObjArray:
    if pyproj.CRS.from_user_input(geoms.crs) == crs:
        return np.asarray(geoms.to_numpy(), dtype=object)
    return np.asarray(geoms.to_crs(crs).to_numpy(), dtype=object)


def _unit_geometries_metric(
    frame: gpd.GeoDataFrame, hier: _Hierarchy, crs: pyproj.CRS, *, workers: int | None = 1
) -> ObjArray:
    """Return the units' polygons in ``crs``, by code: made valid, rings oriented (polygon left).

    ``frame`` is the frame ``hier`` was made from (its rows are ``hier.rows``).

    make_valid returns a valid geometry as it is, so only the invalid ones go
    through it. With more than one worker, the rings are oriented on another
    thread while validity is tested (and again for the few made valid).
    """
    geoms = _to_metric(frame.geometry.iloc[hier.rows].reset_index(drop=True), crs)
    if workers == 1 or (os.cpu_count() or 1) == 1:
        invalid = ~shapely.is_valid(geoms)
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        return np.asarray(shapely.orient_polygons(geoms), dtype=object)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rivermap") as pool:
        oriented = pool.submit(shapely.orient_polygons, geoms)
        invalid = ~shapely.is_valid(geoms)
        out = np.asarray(oriented.result(), dtype=object)
    out[invalid] = shapely.orient_polygons(shapely.make_valid(geoms[invalid]))
    return out


# ============================================================ river segments
@dataclass(frozen=True)
class _Segments:
    """River segments in metric coordinates, with chainage and the caller's coordinates."""

    xy: FloatArray  # (n, 4): x0, y0, x1, y1 in the metric CRS
    oxy: FloatArray  # (n, 4): the same vertices in the caller's CRS
    river: IntArray
    part: IntArray
    start: FloatArray  # chainage of the segment's first vertex, restarted per river
    end: FloatArray  # chainage of its last vertex; start[k + 1] == end[k] within a river
    first: IntArray  # per river: index of its first segment
    last: IntArray  # per river: index of its last segment
    length: FloatArray  # per river: length in metres
    offset: FloatArray  # per river: a search key offset (sum of previous lengths + 1)


def _river_segments(geoms: gpd.GeoSeries, crs: pyproj.CRS) -> _Segments:
    original = np.asarray(geoms.to_numpy(), dtype=object)
    if np.all(shapely.get_type_id(original) == 1):  # LineStrings only: no parts to take apart
        parts, part_river = original, np.arange(len(original), dtype=np.int64)
    else:
        parts, part_river = shapely.get_parts(original, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    metric = coords
    same_crs = pyproj.CRS.from_user_input(geoms.crs) == crs
    if not same_crs:
        metric = shapely.get_coordinates(shapely.get_parts(_to_metric(geoms, crs)))
        if len(metric) != len(coords):  # pragma: no cover - to_crs keeps vertices
            msg = "reprojection changed the number of river vertices"
            raise RuntimeError(msg)
    oxy, xy, part, start, end = _kernels.segments(
        coords, metric, coord_part.astype(np.int64), part_river.astype(np.int64), same_crs
    )
    river = part_river[part].astype(np.int64)
    n_rivers = len(geoms)
    counts = np.bincount(river, minlength=n_rivers)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    last = (first + counts - 1).astype(np.int64)
    length = np.zeros(n_rivers)
    has = counts > 0
    length[has] = end[last[has]]
    offset = np.concatenate([[0.0], np.cumsum(length + 1.0)[:-1]])
    return _Segments(
        xy=xy,
        oxy=oxy,
        river=river,
        part=part,
        start=start,
        end=end,
        first=first,
        last=last,
        length=length,
        offset=offset,
    )


# ============================================================ boundary edges
@dataclass(frozen=True)
class _Edges:
    """Unique boundary edges, each with the unit code on its left and right (or -1)."""

    xy: FloatArray  # (n, 4)
    left: IntArray
    right: IntArray
    # Both sides come from rings that share this very edge. Only then does the side a
    # river crosses into name the unit it enters: a side found by a point test (a
    # border, or neighbours whose vertices don't match) may hold for part of the edge.
    shared: BoolArray

    def __len__(self) -> int:
        return len(self.left)


def _ring_edges(
    geoms: ObjArray, codes: IntArray, hier: _Hierarchy, *, workers: int | None = 1
) -> _Edges:
    """Return the edges of the rings of units ``codes``, each once, with the units on its sides.

    Vertices are numbered by their rank in lexicographic (x, y) order (equal
    coordinates, equal numbers: :func:`_vertex_ranks`), and
    :func:`rivermap._kernels.ring_edges` gathers the edges by their two ends, in
    lexicographic order of their ends. Rings are oriented so that the polygon
    lies on the left: a ring drawn along an edge from its smaller end holds its
    left side, one drawn from its larger end its right side. Where several rings
    hold one side, the deepest unit, then the smallest code, holds it. A side no
    ring holds is ``_NONE`` here: :func:`_fill_missing_sides` looks for it.

    With more than one worker and many vertices, the two halves of ``codes``
    are gathered on two threads and their sorted edges merged
    (:func:`rivermap._kernels.merge_edges`): the same edges, in the same order.
    """
    depth, n_codes = hier.depth, len(hier.depth)
    unit_prio = (depth.max(initial=0) - depth) * n_codes + np.arange(n_codes)
    n_vertices = shapely.get_num_coordinates(geoms[codes])
    if workers == 1 or (os.cpu_count() or 1) == 1 or n_vertices.sum() < _SPLIT_VERTICES:
        return _edges_of(geoms, codes, unit_prio)
    half = int(np.searchsorted(np.cumsum(n_vertices), n_vertices.sum() / 2))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rivermap") as pool:
        second = pool.submit(_edges_of, geoms, codes[half:], unit_prio)
        first = _edges_of(geoms, codes[:half], unit_prio)
        a, b = first, second.result()
    xy, left, right = _kernels.merge_edges(
        (a.xy, a.left, a.right), (b.xy, b.left, b.right), unit_prio, _NONE
    )
    return _Edges(xy, left, right, (left != _NONE) & (right != _NONE))


def _edges_of(geoms: ObjArray, codes: IntArray, unit_prio: IntArray) -> _Edges:
    """Return the edges of the rings of units ``codes`` (see :func:`_ring_edges`)."""
    coords, ring_start, ring_unit = _rings(geoms[codes])
    table = _kernels.hash_table(len(coords))
    xy, left, right = _kernels.ring_edges(
        coords, _vertex_ranks(coords), ring_start, codes[ring_unit], unit_prio, _NONE, table
    )
    return _Edges(xy, left, right, (left != _NONE) & (right != _NONE))


def _rings(geoms: ObjArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Return the vertices of the rings of polygons ``geoms``, where each ring starts, its polygon.

    Read as one ragged array (no geometry made on the way) where every geometry
    is a Polygon or MultiPolygon.
    """
    try:
        kind, coords, offsets = shapely.to_ragged_array(geoms)
    except ValueError:  # another kind of geometry among them (make_valid can make them)
        kind = None
    if kind in (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON):
        ring_start, *parts = (np.asarray(o, dtype=np.int64) for o in offsets)
        ring_of = np.arange(len(ring_start) - 1, dtype=np.int64)
        for up in parts:  # the polygon of each ring, then the geometry of each polygon
            ring_of = np.repeat(np.arange(len(up) - 1, dtype=np.int64), np.diff(up))[ring_of]
        return np.ascontiguousarray(coords), ring_start, ring_of
    polys, poly_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(coord_ring, minlength=len(rings))
    return coords, np.r_[0, np.cumsum(counts)].astype(np.int64), poly_geom[ring_poly]


def _vertex_ranks(coords: FloatArray) -> IntArray:
    """Return the rank of every vertex in lexicographic (x, y) order among the distinct ones.

    Equal vertices (-0.0 and 0.0 are equal) have one rank: they are numbered
    first (:func:`rivermap._kernels.vertex_ids`), and only the distinct ones sorted.
    """
    bits = np.ascontiguousarray(coords).view(np.uint64)
    vid, first = _kernels.vertex_ids(bits, _kernels.hash_table(len(coords)))
    # numpy sorts complex numbers by their real part, then their imaginary part
    order = np.argsort(np.ascontiguousarray(coords[first]).view(np.complex128).ravel())
    rank_of_id = np.empty(len(first), dtype=np.int64)
    rank_of_id[order] = np.arange(len(first), dtype=np.int64)
    return rank_of_id[vid]


def _units_with_rings(geoms: ObjArray, hier: _Hierarchy) -> IntArray:
    """Units whose rings are cut against: the finest level, and coarser units with gaps.

    A coarser unit is fully described by its children when their areas add up to
    its own; otherwise (a gap, or no children) its own rings are needed too.
    """
    n_levels = hier.anc.shape[1]
    area = shapely.area(geoms)
    children_area = np.zeros(len(geoms))
    has_parent = hier.depth > 0
    child = np.flatnonzero(has_parent)
    parent = hier.anc[child, hier.depth[child] - 1]
    ok = parent >= 0
    np.add.at(children_area, parent[ok], area[child[ok]])
    gap = (area - children_area) > np.maximum(1e-4 * area, 1.0)
    return np.flatnonzero((hier.depth == n_levels - 1) | gap).astype(np.int64)


def _fill_missing_sides(edges: _Edges, locator: _UnitLocator, tol_m: float) -> _Edges:
    """Find the unit across edges that no other ring shares exactly, by a point test.

    The probes stand off the middle of the edge (:func:`_side_probes`); edges
    with the same unit on both sides are left out of the result.
    """
    xy, left, right = edges.xy, edges.left.copy(), edges.right.copy()
    for arr, other, sign in ((left, right, 1.0), (right, left, -1.0)):
        for step in _probe_steps(tol_m):
            todo = np.flatnonzero(arr == _NONE)
            if not len(todo):
                break
            # probes stand off the edge on purpose: no snapping onto it
            found = locator.locate(*_side_probes(xy[todo], sign, step), snap=False)
            found[found == other[todo]] = _NONE
            arr[todo] = found
    keep = left != right
    return _Edges(xy[keep], left[keep], right[keep], edges.shared[keep])


def _probe_steps(tol_m: float) -> tuple[float, float]:
    """Return how far (m) the probes of :func:`_fill_missing_sides` stand off: near, then far."""
    return 0.01, max(tol_m / 2, 0.01)


def _side_probes(xy: FloatArray, sign: float, step: float) -> tuple[FloatArray, FloatArray]:
    """Return points ``step`` m off the middle of edges ``xy``, left (``sign`` 1) or right (-1)."""
    dx, dy = xy[:, 2] - xy[:, 0], xy[:, 3] - xy[:, 1]
    norm = np.hypot(dx, dy)
    nx, ny = -dy / norm, dx / norm  # unit normal pointing to the left
    mx, my = (xy[:, 0] + xy[:, 2]) / 2, (xy[:, 1] + xy[:, 3]) / 2
    return mx + sign * step * nx, my + sign * step * ny


# ============================================================= unit locator
class _UnitLocator:
    """Point-in-polygon at the finest level, then coarser levels for the rest."""

    def __init__(self, geoms: ObjArray, hier: _Hierarchy) -> None:
        self._geoms = geoms
        self._lock = threading.Lock()
        shapely.prepare(geoms)
        n_levels = hier.anc.shape[1]
        self._levels: list[tuple[IntArray, shapely.STRtree]] = []
        present = ~shapely.is_missing(geoms)  # a tile holds some units only
        for depth in range(n_levels - 1, -1, -1):
            codes = np.flatnonzero((hier.depth == depth) & present).astype(np.int64)
            if len(codes):
                self._levels.append((codes, shapely.STRtree(geoms[codes])))

    def locate(self, x: FloatArray, y: FloatArray, *, snap: bool = True) -> IntArray:
        """Return the unit code holding each point (-1 outside every unit); deterministic on ties.

        With ``snap``, a point outside every unit but within ``_ON_BOUNDARY_M`` of
        one (a river digitised along the border itself) lies in it.
        """
        # GEOS builds a prepared polygon's point index on first use: one thread at a time
        with self._lock:
            return self._locate(x, y, snap)

    def _locate(self, x: FloatArray, y: FloatArray, snap: bool) -> IntArray:
        out = np.full(len(x), _NONE, dtype=np.int64)
        todo = np.arange(len(x))
        pts = shapely.points(x, y) if len(x) else np.empty(0, dtype=object)  # made once
        for codes, tree in self._levels:
            if not len(todo):
                break
            found = self._locate_level(x[todo], y[todo], pts[todo], codes, tree, snap)
            out[todo] = found
            todo = todo[found == _NONE]
        return out

    def _locate_level(
        self,
        x: FloatArray,
        y: FloatArray,
        pts: ObjArray,
        codes: IntArray,
        tree: shapely.STRtree,
        snap: bool,
    ) -> IntArray:
        """Return the unit of level ``codes`` holding each point (x, y), ``pts`` as points."""
        qi, gi = tree.query(pts)
        unit = codes[gi]
        # the units holding each point, on their boundary or inside (one test for the
        # many points outside every candidate); inside wins, then the smallest code
        hit = shapely.intersects_xy(self._geoms[unit], x[qi], y[qi])
        q, u = qi[hit], unit[hit]
        inside = shapely.contains_xy(self._geoms[u], x[q], y[q])
        out = _smallest(len(x), q[inside], u[inside])
        on_boundary = out[q] == _NONE
        out = np.where(out == _NONE, _smallest(len(x), q[on_boundary], u[on_boundary]), out)
        # On a boundary but off by rounding (a river digitised along the border itself)
        rest = np.flatnonzero(out == _NONE) if snap else np.empty(0, dtype=np.int64)
        if len(rest):
            q, g = tree.query(pts[rest], predicate="dwithin", distance=_ON_BOUNDARY_M)
            if len(q):
                best = np.full(len(rest), np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(best, q, codes[g])
                sel = best < np.iinfo(np.int64).max
                out[rest[sel]] = best[sel]
        return out


def _smallest(n: int, point: IntArray, unit: IntArray) -> IntArray:
    """Return the smallest unit code (= smallest unit_id) per point of ``n``, or ``_NONE``."""
    best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, point, unit)
    best[best == np.iinfo(np.int64).max] = _NONE
    return best


# ========================================================== candidate pairs
def _grow_cell(cell: float, span_x: float, span_y: float, limit: int) -> float:
    """Double ``cell`` until a grid over ``span_x`` × ``span_y`` holds at most ``limit`` cells."""
    while (span_x / cell + 2) * (span_y / cell + 2) > limit:
        cell *= 2
    return cell


def _cell_limit(n_edges: int) -> int:
    """Return how many cells a grid indexing ``n_edges`` edges may hold."""
    return max(_MAX_CELLS_PER_EDGE * n_edges, 1 << 20)


def _sub_edge_m(rings: ObjArray, tol_m: float) -> float:
    """How long the pieces that boundary edges are indexed in may be, for the units ``rings``.

    ``_SUB_EDGE_M``, doubled while a grid of that cell over the rings' extent
    would hold more than ``_MAX_CELLS_PER_EDGE`` cells per edge (about half
    their vertices, as neighbours share edges). Decided from every unit whose
    rings are cut against, once, so that a tile of :mod:`rivermap.scale` cuts
    each edge exactly as the whole does.
    """
    if not len(rings):
        return _SUB_EDGE_M
    x0, y0, x1, y1 = shapely.total_bounds(rings)
    n_edges = int(shapely.get_num_coordinates(rings).sum()) // 2
    return _grow_cell(_SUB_EDGE_M, x1 - x0 + 2 * tol_m, y1 - y0 + 2 * tol_m, _cell_limit(n_edges))


class _EdgeIndex:
    """Boundary edges for candidate (river segment, edge) pairs.

    Edges are split into sub-edges no longer than ``sub_m`` (see
    :func:`_sub_edge_m`) so that their boxes stay tight, and the boxes, padded
    by ``tol``, are registered in every cell they touch: cell ``k`` holds rows
    ``cell_start[k]`` to ``cell_start[k + 1] - 1`` of ``cell_rows`` (each a
    copy of a sub-edge and its direction, so that a cell's sub-edges
    lie side by side in memory; ``cell_edge`` their edges). Cells are ``sub_m``
    wide, or wider where these edges span so large an area that the table would
    hold more than ``_MAX_CELLS_PER_EDGE`` cells per edge (the cells decide only
    which pairs are tried, the sub-edges where crossings are computed).
    :func:`rivermap._kernels.scan` looks rivers up in it a run of segments at a
    time. Built by compiled loops (:func:`rivermap._kernels.sub_edges`,
    :func:`~rivermap._kernels.grid_cells`): no per-feature work in Python, no
    geometry objects.
    """

    def __init__(self, edges: _Edges, *, tol: float, sub_m: float = _SUB_EDGE_M) -> None:
        xy = edges.xy
        self.cell = sub_m
        if len(xy):
            x0, y0, x1, y1 = _kernels.segments_box(xy, 0)
            span_x, span_y = float(x1 - x0) + 2 * tol, float(y1 - y0) + 2 * tol
            self.cell = _grow_cell(sub_m, span_x, span_y, _cell_limit(len(xy)))
        self.parent, rows = _kernels.sub_edges(xy, sub_m)
        self.pad = tol
        self.left, self.right, self.shared = edges.left, edges.right, edges.shared
        self.ox = self.oy = 0.0
        self.nx = self.ny = 0
        if len(self.parent):
            x0, y0, x1, y1 = _kernels.segments_box(rows, _kernels.SUB)
            self.ox, self.oy = float(x0 - tol), float(y0 - tol)  # as the kernels pad
            self.nx = math.floor((float(x1 + tol) - self.ox) / self.cell) + 1
            self.ny = math.floor((float(y1 + tol) - self.oy) / self.cell) + 1
        self.grid = (self.ox, self.oy, self.cell, self.nx, self.ny)
        self.cell_start, self.cell_rows, self.cell_edge = _kernels.grid_cells(
            rows, self.parent, self.grid, self.pad
        )

    def with_sides(self, edges: _Edges) -> _EdgeIndex:
        """Return this index of ``edges`` with their sides (the edges themselves unchanged)."""
        out = copy.copy(self)
        out.left, out.right, out.shared = edges.left, edges.right, edges.shared
        return out


# ================================================== crossings and nearness
@dataclass(frozen=True)
class _Near:
    """Stretches of river segments within the tolerance of the edges between two units.

    One row per stretch of a segment's parameters (t0, t1) near one side of
    one pair of units (:func:`rivermap._kernels.scan`).
    """

    seg: IntArray
    t0: FloatArray
    t1: FloatArray
    pair: IntArray  # the pair of units on the edges' sides (rivermap._kernels.pair_key)
    pa_left: BoolArray  # the smaller code of the pair lies on the river's left


def _scan_rivers(
    segs: _Segments, index: _EdgeIndex, tol_m: float
) -> tuple[tuple[IntArray, FloatArray, IntArray], _Near]:
    """Crossings (river, chainage, units entered and left or ``_UNKNOWN``) and near intervals.

    One compiled pass (:func:`rivermap._kernels.scan`) finds the candidate
    (segment, sub-edge) pairs in the grid and, for each, where the segment
    crosses the edge and which stretch of it lies within ``tol_m``.
    """
    c_seg, c_chain, c_units, n_seg, t0, t1, pair, pa_left = _kernels.scan(
        segs.xy,
        segs.start,
        segs.end,
        segs.part,
        (index.cell_start, index.cell_rows, index.cell_edge),
        (index.left, index.right, index.shared),
        index.grid,
        index.pad,
        tol_m,
        _UNKNOWN,
    )
    return (segs.river[c_seg], c_chain, c_units), _Near(n_seg, t0, t1, pair, pa_left)


# ========================================================= boundary stretches
@dataclass(frozen=True)
class _Stretches:
    """Boundary reaches before merging: per river, non-overlapping and sorted."""

    river: IntArray
    lo: FloatArray
    hi: FloatArray
    left: IntArray  # unit on the river's left bank (or -1)
    right: IntArray

    @staticmethod
    def empty() -> _Stretches:
        e = np.empty(0, dtype=np.int64)
        f = np.empty(0, dtype=np.float64)
        return _Stretches(e, f, f, e, e)


def _boundary_stretches(segs: _Segments, near: _Near, min_m: float, bridge_m: float) -> _Stretches:
    """Merge near intervals per (river, pair of units); keep those >= ``min_m`` long.

    Gaps shorter than ``bridge_m`` (the sliver length) between intervals with the
    same pair are bridged. Where stretches with different pairs overlap (at
    junctions of three units), the longer stretch keeps the overlap.
    """
    if not len(near.seg):
        return _Stretches.empty()
    river, pa, pb, lo, hi, vote = _kernels.near_stretches(
        (near.seg, near.t0, near.t1, near.pair, near.pa_left),
        (segs.river, segs.start, segs.end),
        min_m,
        bridge_m,
    )
    if not len(river):
        return _Stretches.empty()
    st = _Candidates(river, pa, pb, lo, hi, vote)
    st = _resolve_overlaps(st, segs.offset, min_m)
    left = np.where(st.vote >= 0, st.pa, st.pb).astype(np.int64)
    right = np.where(st.vote >= 0, st.pb, st.pa).astype(np.int64)
    return _Stretches(st.river, st.lo, st.hi, left, right)


@dataclass(frozen=True)
class _Candidates:
    """Stretches along the boundary of a pair of units ``pa < pb``, before overlaps are settled."""

    river: IntArray
    pa: IntArray
    pb: IntArray
    lo: FloatArray
    hi: FloatArray
    vote: FloatArray  # > 0: ``pa`` on the river's left

    def take(self, idx: IntArray) -> _Candidates:
        return _Candidates(
            self.river[idx], self.pa[idx], self.pb[idx], self.lo[idx], self.hi[idx], self.vote[idx]
        )


def _resolve_overlaps(st: _Candidates, offset: FloatArray, min_m: float) -> _Candidates:
    """Split overlapping stretches of a river; the longest stretch wins each overlap.

    Chainages become one search key per chunk, ``offset[river] + chainage``, which
    keeps rivers apart (offsets grow by each river's length + 1) and sorts by
    river, then chainage.
    """
    k_lo, k_hi = offset[st.river] + st.lo, offset[st.river] + st.hi
    order = np.lexsort((st.pb, st.pa, k_hi, k_lo))
    st, k_lo, k_hi = st.take(order), k_lo[order], k_hi[order]
    if not np.any(k_lo[1:] < np.maximum.accumulate(k_hi)[:-1]):
        return st
    # elementary intervals between all stretch ends (a river's ends are consecutive)
    keys = np.r_[k_lo, k_hi]
    chain = np.r_[st.lo, st.hi]
    river = np.r_[st.river, st.river]
    keys, first_at = unique_first(keys)
    chain, river = chain[first_at], river[first_at]
    # the elementary intervals each stretch covers, and the stretches covering each
    i0 = np.searchsorted(keys, k_lo)
    n = np.searchsorted(keys, k_hi) - i0
    s = np.repeat(np.arange(len(st.lo), dtype=np.int64), n)
    e = np.repeat(i0 - (np.cumsum(n) - n), n) + np.arange(int(n.sum()), dtype=np.int64)
    length = st.hi - st.lo
    order = np.lexsort((st.pb[s], st.pa[s], -length[s], e))
    e, s = e[order], s[order]
    win = np.r_[True, e[1:] != e[:-1]]
    e, s = e[win], s[win]
    # consecutive elementary intervals won by the same stretch join up again
    brk = np.r_[True, (s[1:] != s[:-1]) | (e[1:] != e[:-1] + 1)]
    first = np.flatnonzero(brk)
    last = np.r_[first[1:], len(e)] - 1
    out = st.take(s[first])
    out = _Candidates(out.river, out.pa, out.pb, chain[e[first]], chain[e[last] + 1], out.vote)
    return out.take(np.flatnonzero(out.hi - out.lo >= min_m))


# =================================================================== pieces
@dataclass
class _Pieces:
    """Stretches of rivers with one responsibility; also used for merged reaches."""

    river: IntArray
    lo: FloatArray
    hi: FloatArray
    kind: IntArray
    unit: IntArray  # the deepest unit of an inside piece, else -1
    left: IntArray  # boundary pieces: unit on the left bank
    right: IntArray

    def columns(self) -> tuple[np.ndarray, ...]:
        """Return the arrays, in field order (as the kernels take them)."""
        return (self.river, self.lo, self.hi, self.kind, self.unit, self.left, self.right)

    def take(self, idx: IntArray | BoolArray) -> _Pieces:
        """Return the pieces at ``idx``."""
        return _Pieces(*(column[idx] for column in self.columns()))

    def attributes(self) -> IntArray:
        return np.column_stack([self.kind, self.unit, self.left, self.right])


def _cut_pieces(
    segs: _Segments,
    crossings: tuple[IntArray, FloatArray, IntArray],
    stretches: _Stretches,
    locator: _UnitLocator,
) -> _Pieces:
    """Cut every river at its crossings, stretch ends and part starts, and label the pieces.

    Pieces inside a boundary stretch take its units; a piece that starts at one
    clean crossing, and no other cut, lies in the unit the river crossed into,
    and one that ends at such a crossing in the unit the river leaves there.
    The others are located by a point-in-polygon test of their middle point.
    """
    part_first = np.flatnonzero(np.r_[True, segs.part[1:] != segs.part[:-1]])
    river, lo, hi, kind, unit, left, right, mid_x, mid_y = _kernels.cut_pieces(
        segs.length,
        segs.first,
        segs.last,
        segs.start,
        segs.end,
        segs.xy,
        segs.river[part_first],
        segs.start[part_first],
        *crossings,
        stretches.river,
        stretches.lo,
        stretches.hi,
        stretches.left,
        stretches.right,
        _CUT_EPS_M,
        _UNKNOWN,
        _NONE,
        _INSIDE,
        _BOUNDARY,
    )
    rest = np.flatnonzero(unit == _UNKNOWN)
    unit[rest] = locator.locate(mid_x[rest], mid_y[rest])
    kind[(kind == _INSIDE) & (unit == _NONE)] = _OUTSIDE
    return _Pieces(river, lo, hi, kind, unit, left, right)


# =================================================================== reaches
def _merge_runs(p: _Pieces) -> _Pieces:
    """Join consecutive pieces of a river with the same responsibility (``p`` is reused)."""
    return p.take(_kernels.merge_runs(p.columns()))


def _merge_slivers(r: _Pieces, min_m: float) -> tuple[_Pieces, FloatArray, IntArray]:
    """Give reaches shorter than ``min_m`` the responsibility of a neighbour (``r`` is reused).

    See :func:`rivermap._kernels.merge_slivers`. Returns the reaches, and the
    length and the river of each sliver that changed hands.
    """
    if not len(r.river) or min_m <= 0:
        return r, np.empty(0), np.empty(0, dtype=np.int64)
    moved = _kernels.merge_slivers(r.columns(), min_m)
    return r, (r.hi - r.lo)[moved], r.river[moved]


def _reach_lines(segs: _Segments, r: _Pieces) -> tuple[FloatArray, IntArray, IntArray]:
    """Reach lines cut from the caller's coordinates: vertices, line offsets, lines per reach."""
    return cast(
        tuple[FloatArray, IntArray, IntArray],
        _kernels.reach_lines(
            r.river, r.lo, r.hi, segs.first, segs.last, segs.start, segs.end, segs.part, segs.oxy
        ),
    )


def _reach_wkb(segs: _Segments, r: _Pieces) -> WKBLines:
    """Reach lines as WKB (the bytes of ``shapely.to_wkb``), straight from their coordinates."""
    return wkb_lines(*_reach_lines(segs, r))


def _reach_geometries(segs: _Segments, r: _Pieces) -> ObjArray:
    """Reach lines cut from the caller's coordinates, split at MultiLineString gaps."""
    if not len(r.river):
        return np.empty(0, dtype=object)
    coords, offsets, n_lines = _reach_lines(segs, r)
    lines = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, coords, (offsets,))
    first_line = np.cumsum(n_lines) - n_lines
    single = n_lines == 1
    out = np.empty(len(r.river), dtype=object)
    out[single] = lines[first_line[single]]
    multi = np.flatnonzero(~single)
    if len(multi):
        cnt = n_lines[multi]
        line_idx = np.repeat(first_line[multi], cnt) + (
            np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        )
        out[multi] = shapely.multilinestrings(
            lines[line_idx], indices=np.repeat(np.arange(len(multi)), cnt)
        )
    return out


# ============================================================ result tables
def _labels(values: Any) -> pd.api.extensions.ExtensionArray:
    """Labels as pandas' own string array, to :func:`_take` from."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def _take(labels: pd.api.extensions.ExtensionArray, codes: IntArray) -> pd.Series:
    """Return a text column: ``labels[codes]``, missing (NaN) where a code is negative."""
    return pd.Series(labels.take(codes, allow_fill=True), index=pd.RangeIndex(len(codes)))


def _text(values: Any) -> pd.Series:
    """Return a text column in pandas' own string dtype (missing values are NaN there)."""
    arr = np.asarray(values, dtype=object)
    return pd.Series(arr, dtype="str", index=pd.RangeIndex(len(arr)))


def _level_columns(r: _Pieces, hier: _Hierarchy) -> tuple[IntArray, IntArray]:
    """Return the unit code per reach and level, and the boundary level (-1: not a boundary)."""
    n_levels = hier.anc.shape[1]
    out = np.full((len(r.river), n_levels), _NONE, dtype=np.int64)
    inside = r.kind == _INSIDE
    out[inside] = hier.anc[r.unit[inside]]
    b = r.kind == _BOUNDARY
    left = np.where(r.left[b] >= 0, r.left[b], r.right[b])
    right = np.where(r.right[b] >= 0, r.right[b], r.left[b])
    la, ra = hier.anc[left], hier.anc[right]
    agree = la == ra
    out[b] = np.where(agree, la, _NONE)
    level = np.full(len(r.river), _NONE, dtype=np.int64)
    outer = (r.left[b] < 0) | (r.right[b] < 0)
    differ = ~agree
    first_diff = np.where(differ.any(axis=1), differ.argmax(axis=1), _NONE)
    level[b] = np.where(outer, 0, first_diff)
    return out, level


def _responsible(
    r: _Pieces,
    per_level: IntArray,
    b_level: IntArray,
    hier: _Hierarchy,
    policy: str,
    length: FloatArray,
    unit_ids: pd.api.extensions.ExtensionArray,
) -> pd.Series:
    """Return the ``responsible`` column: a unit_id, or ``"<left>;<right>"`` (bank-split 界河)."""
    code = np.where(r.kind == _INSIDE, r.unit, _NONE)
    b = np.flatnonzero(r.kind == _BOUNDARY)
    left, right = r.left[b], r.right[b]
    one_sided = (left < 0) | (right < 0)
    present = np.where(left >= 0, left, right)
    both: IntArray = np.empty(0, dtype=np.int64)
    if policy == "bank":
        code[b] = np.where(one_sided, present, _NONE)
        both = b[~one_sided]
    elif policy == "parent":
        deepest = np.full(len(r.river), _NONE, dtype=np.int64)  # the deepest shared unit
        for j in range(per_level.shape[1]):
            deepest = np.where(per_level[:, j] >= 0, per_level[:, j], deepest)
        code[b] = np.where(one_sided, present, deepest[b])
    elif len(b):  # "lead": the side holding more of the river at the level where they differ
        inside = r.kind == _INSIDE
        level = np.clip(b_level[b], 0, None)
        totals = _length_by_river_unit(r, inside, length, hier)
        share = []
        for side in (left, right):
            unit_at = hier.anc[np.clip(side, 0, None), level]
            key = pd.MultiIndex.from_arrays([r.river[b], unit_at])
            share.append(totals.reindex(key).fillna(0.0).to_numpy())
        ids = hier.ids.astype(str)
        left_id, right_id = ids[np.clip(left, 0, None)], ids[np.clip(right, 0, None)]
        pick_left = (share[0] > share[1]) | ((share[0] == share[1]) & (left_id <= right_id))
        code[b] = np.where(one_sided, present, np.where(pick_left, left, right))
    out = _take(unit_ids, code)
    if len(both):
        pair = _take(unit_ids, r.left[both]) + ";" + _take(unit_ids, r.right[both])
        out.iloc[both] = pair.to_numpy()
    return out


def _length_by_river_unit(
    r: _Pieces, inside: BoolArray, length: FloatArray, hier: _Hierarchy
) -> pd.Series:
    """Inside length of each river in each unit at every level."""
    anc = hier.anc[r.unit[inside]]
    n_levels = anc.shape[1]
    frame = pd.DataFrame(
        {
            "river": np.tile(r.river[inside], n_levels),
            "unit": anc.T.ravel(),
            "len": np.tile(length[inside], n_levels),
        }
    )
    frame = frame[frame["unit"] >= 0]
    return frame.groupby(["river", "unit"])["len"].sum()


@dataclass(frozen=True)
class _Credits:
    """Reach lengths credited to units (see :func:`rivermap._kernels.credit_totals`).

    A reach credits its unit at every level in full; a boundary reach credits
    each side half at the levels where the sides differ.
    """

    n_units: IntArray  # (n_rivers, n_levels): units credited by a river at each level
    lead: IntArray  # (n_rivers, n_levels): the unit credited most (-1: none)
    lead_len: FloatArray  # (n_rivers, n_levels)
    unit_len: FloatArray  # per unit, at its own level
    unit_rivers: IntArray
    unit_reaches: IntArray
    unit_boundary_len: FloatArray  # full length of the boundary reaches a unit lies on


@dataclass(frozen=True)
class _TextLabels:
    """The labels text columns are taken from, as pandas string arrays."""

    unit_ids: pd.api.extensions.ExtensionArray  # by unit code
    river_ids: pd.api.extensions.ExtensionArray  # by river index
    names: pd.api.extensions.ExtensionArray  # river names by river index


def _build_result(
    rivers: gpd.GeoDataFrame,
    done: _Chunk,
    hier: _Hierarchy,
    levels: tuple[str, ...],
    params: dict[str, Any],
    *,
    unit_frame: gpd.GeoDataFrame,
    crs_metric: pyproj.CRS,
    workers: int | None = 1,
) -> Responsibility:
    """Build the tables of reaches, rivers and units from the merged reaches.

    With more than one worker, the rivers and units tables are built on another
    thread while the reaches table is built on this one.
    """
    labels = _text_labels(rivers, hier)
    per_level, b_level = _level_columns(done.reaches, hier)
    args = (done, per_level, hier, levels, params, labels, unit_frame, (rivers.crs, crs_metric))
    parallel = workers != 1 and (os.cpu_count() or 1) > 1
    # the totals on another thread while the reaches table is built (pyarrow, numba free the GIL)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rivermap") as pool:
        later = pool.submit(_totals, *args) if parallel else None
        columns = _reach_columns(done, per_level, b_level, hier, levels, params, labels)
        reaches = gpd.GeoDataFrame(columns, geometry=done.geoms, crs=rivers.crs)
        totals = later.result() if later is not None else _totals(*args)
    river_table, unit_table, summary = totals
    return Responsibility(
        reaches,
        river_table,
        unit_table,
        levels=levels,
        crs=rivers.crs,
        params=params,
        summary=summary,
    )


def _text_labels(rivers: pd.DataFrame, hier: _Hierarchy, unit_ids: Any = None) -> _TextLabels:
    """Return the labels of units and of ``rivers`` (``unit_ids``: the units' labels, made once)."""
    return _TextLabels(
        unit_ids=_labels(hier.ids) if unit_ids is None else unit_ids,
        river_ids=_labels(rivers["river_id"].to_numpy(dtype=object)),
        names=_labels(rivers["name"].astype(object).where(rivers["name"].notna(), None)),
    )


def _totals(
    done: _Chunk,
    per_level: IntArray,
    hier: _Hierarchy,
    levels: tuple[str, ...],
    params: dict[str, Any],
    labels: _TextLabels,
    unit_frame: gpd.GeoDataFrame,
    crs: tuple[Any, pyproj.CRS],
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    """Return the rivers table, the units table and the summary of every river's reaches.

    ``done`` holds the reaches of all the rivers, sorted by river (its geometries
    are not used); ``crs`` is the rivers' CRS and the metric CRS.
    """
    r = done.reaches
    n_rivers = len(done.river_length)
    credits = _Credits(
        *_kernels.credit_totals(
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
    return (
        _river_table(n_rivers, done.river_length, r, credits, hier, levels, labels),
        _units_result(credits, hier, levels, unit_frame, crs[0]),
        _summary(done, n_rivers, crs[1], params),
    )


def _reach_columns(
    done: _Chunk,
    per_level: IntArray,
    b_level: IntArray,
    hier: _Hierarchy,
    levels: tuple[str, ...],
    params: dict[str, Any],
    labels: _TextLabels,
) -> dict[str, Any]:
    """Return the columns of :attr:`Responsibility.reaches` but its lines, in order.

    The lines are ``done.geoms``: shapely lines for a frame, WKB for a file
    (:func:`rivermap._wkb.geoparquet_table`).
    """
    r = done.reaches
    n = len(r.river)
    length = r.hi - r.lo
    # reach ids: "<river_id>#<k>", k counting the river's reaches from 1
    first_of_river = np.r_[0, np.flatnonzero(r.river[1:] != r.river[:-1]) + 1]
    seq = np.arange(n) - np.repeat(first_of_river, np.diff(np.r_[first_of_river, n])) + 1
    river_col = _take(labels.river_ids, r.river)
    data: dict[str, Any] = {
        "reach_id": river_col + "#" + pd.Series(seq).astype("str"),
        "river_id": river_col,
        "name": _take(labels.names, r.river),
        "from_m": r.lo,
        "to_m": r.hi,
        "length_m": length,
        "kind": _take(_labels(np.asarray(KINDS, dtype=object)), r.kind),
    }
    for j, lv in enumerate(levels):
        data[lv] = _take(labels.unit_ids, per_level[:, j])
    data["left_unit"] = _take(labels.unit_ids, r.left)
    data["right_unit"] = _take(labels.unit_ids, r.right)
    data["boundary_level"] = _take(_labels(levels), b_level)
    data["responsible"] = _responsible(
        r, per_level, b_level, hier, params["boundary_policy"], length, labels.unit_ids
    )
    return data


def _summary(
    done: _Chunk, n_rivers: int, crs_metric: pyproj.CRS, params: dict[str, Any]
) -> dict[str, Any]:
    """Build :attr:`Responsibility.summary`: counts and lengths of the whole run."""
    r = done.reaches
    length = r.hi - r.lo
    return {
        "n_rivers": n_rivers,
        "n_reaches": len(r.river),
        "n_boundary_reaches": int((r.kind == _BOUNDARY).sum()),
        "total_length_m": float(done.river_length.sum()),
        "inside_length_m": float(length[r.kind == _INSIDE].sum()),
        "boundary_length_m": float(length[r.kind == _BOUNDARY].sum()),
        "outside_length_m": float(length[r.kind == _OUTSIDE].sum()),
        "slivers_merged": len(done.slivers),
        "sliver_length_m": float(done.slivers.sum()),
        "metric_crs": crs_metric.to_string(),
        "parameters": dict(params),
    }


def _river_table(
    n_rivers: int,
    river_length: FloatArray,
    r: _Pieces,
    credits: _Credits,
    hier: _Hierarchy,
    levels: tuple[str, ...],
    labels: _TextLabels,
) -> pd.DataFrame:
    """Per river: chief level and unit, and per level the units, the lead and its share."""
    every = np.arange(n_rivers)
    out = pd.DataFrame(
        {
            "river_id": _take(labels.river_ids, every),
            "name": _take(labels.names, every),
            "length_m": river_length,
        }
    )
    # chief: lowest common ancestor of the units touched (inside units, both sides)
    touched = np.r_[r.unit, r.left, r.right]
    t_river = np.r_[r.river, r.river, r.river]
    ok = touched >= 0
    touched, t_river = touched[ok], t_river[ok]
    order = np.argsort(t_river, kind="stable")
    anc, t_river = hier.anc[touched[order]], t_river[order]
    starts = np.flatnonzero(np.r_[True, t_river[1:] != t_river[:-1]]) if len(t_river) else t_river
    # chief level codes: the level's index, len(levels) for above the top, -1 for none
    chief_level = np.full(n_rivers, _NONE, dtype=np.int64)
    chief_unit = np.full(n_rivers, _NONE, dtype=np.int64)
    if len(starts):
        lo = np.minimum.reduceat(anc, starts, axis=0)
        hi = np.maximum.reduceat(anc, starts, axis=0)
        unique = (lo == hi) & (lo >= 0)  # one ancestor at that level for every unit touched
        has = t_river[starts]
        chief_level[has] = len(levels)
        for j in range(len(levels)):
            sel = unique[:, j]
            chief_level[has[sel]] = j
            chief_unit[has[sel]] = lo[sel, j]
    out["chief_level"] = _take(_labels([*levels, f"above:{levels[0]}"]), chief_level)
    out["chief_unit"] = _take(labels.unit_ids, chief_unit)
    for j, lv in enumerate(levels):
        count = credits.n_units[:, j]
        out[f"n_units_{lv}"] = count.astype(np.int64)
        out[f"lead_{lv}"] = _take(labels.unit_ids, credits.lead[:, j])
        with np.errstate(divide="ignore", invalid="ignore"):
            share = credits.lead_len[:, j] / river_length
        out[f"lead_share_{lv}"] = np.where(river_length > 0, share, np.where(count > 0, 1.0, 0.0))
    return out


def _units_result(
    credits: _Credits,
    hier: _Hierarchy,
    levels: tuple[str, ...],
    unit_frame: gpd.GeoDataFrame,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Return the result's units: totals per unit and the outlines, in the rivers' CRS.

    ``unit_frame`` is the frame ``hier`` was made from (its rows are ``hier.rows``).
    """
    ids = hier.ids
    depth_of = hier.depth
    out = pd.DataFrame(
        {
            "unit_id": _text(ids),
            "name": _text(hier.names),
            "level": _text(np.asarray(levels, dtype=object)[depth_of]),
            "river_length_m": credits.unit_len,
            "n_rivers": credits.unit_rivers,
            "n_reaches": credits.unit_reaches,
            "boundary_length_m": credits.unit_boundary_len,
        }
    )
    # the units' outlines in the rivers' CRS, for maps and atlases
    at = hier.rows  # the frame's rows, by code
    parent = unit_frame["parent_id"].to_numpy(dtype=object)[at]
    out.insert(3, "parent_id", _text(np.where(pd.notna(parent), parent, None)))
    geoms = unit_frame.geometry.iloc[at]
    if crs is not None and not pyproj.CRS.from_user_input(unit_frame.crs).equals(crs):
        geoms = geoms.to_crs(crs)
    table = gpd.GeoDataFrame(out, geometry=geoms.to_numpy(), crs=crs)
    # the units' own order: top level first, then unit_id (the order of ``ids`` already)
    order = np.argsort(depth_of, kind="stable")
    return table.iloc[order].reset_index(drop=True)
