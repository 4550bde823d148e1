"""Compiled loops of the assign engine (numba).

The engine's hot paths walk millions of river segments. Written as numpy
expressions they pass over the data a dozen times and hold large temporaries;
here each is one pass, compiled once by numba and cached on disk, and run
without the GIL so that :func:`rivermap.assign` threads work in parallel.

Every public kernel takes and returns plain numpy arrays; the geometry
decisions (what is a crossing, which side is entered, the stretch of a segment
near an edge) are documented in :mod:`rivermap.assign`, and the tests check the
kernels against direct numpy and shapely computations.

Each kernel is a loop that calls named steps, themselves compiled. The steps
of the innermost loops take numbers (a segment or a box as a tuple of four),
not arrays: numba counts the references to every array passed to a function
that branches, an atomic operation that would cost more than the step itself.
Steps that take arrays either do not branch (:func:`_row`, the ``_put_*``
writers), run once per river or per call, or are compiled into their caller
(:func:`_jit_inline`: :func:`_covered` and :func:`_add_near`, which look
through a segment's near rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

_F = TypeVar("_F", bound=Callable[..., Any])

# Tolerances of the geometry decisions (see rivermap.assign).
PARAM_EPS = 1e-9  # intersection parameters this far past a segment's end still count
CLEAN_EPS = 1e-6  # a crossing this far (as a parameter) from every end is clean
PARALLEL_EPS = 1e-12  # sine of the angle below which two segments are parallel
RUN_SEGMENTS = 16  # river segments looked up in the edge grid at a time

# The columns of the sub-edges' rows that scan takes: their ends (x0, y0, x1, y1), and
# their length and direction (ux, uy).
SUB, DIR = 0, 4
CELL_COLUMNS = 7

Quad = tuple[float, float, float, float]  # a segment (x0, y0, x1, y1) or a box
Arrays = tuple[np.ndarray, ...]  # arrays passed or returned together (numba takes tuples)


def _jit(func: _F) -> _F:
    """Compile ``func`` without the GIL (threads run kernels in parallel), cached on disk.

    Compiling takes about 20 s, once; later processes load the machine code
    from numba's cache (beside this file, or in the user's cache folder).
    """
    try:
        return cast(_F, njit(cache=True, nogil=True)(func))
    except RuntimeError:  # pragma: no cover - no writable cache folder anywhere
        return cast(_F, njit(nogil=True)(func))


def _jit_inline(func: _F) -> _F:
    """Compile ``func`` as :func:`_jit` does, into its callers' own code (no call, no refcounts)."""
    try:
        return cast(_F, njit(cache=True, nogil=True, inline="always")(func))
    except RuntimeError:  # pragma: no cover - no writable cache folder anywhere
        return cast(_F, njit(nogil=True, inline="always")(func))


@_jit
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    """Copy ``a`` into a longer array, with room for at least ``n`` items (and twice ``a``)."""
    out = np.empty(max(2 * len(a), n, 16), dtype=a.dtype)
    out[: len(a)] = a
    return out


@_jit
def _grow_rows(a: np.ndarray, n: int) -> np.ndarray:
    """Copy the rows of a 2-d array into one with ``n`` rows."""
    out = np.empty((n, a.shape[1]), dtype=a.dtype)
    out[: len(a)] = a
    return out


@_jit
def _row(a: np.ndarray, i: int) -> Quad:
    """Return row ``i`` of an (n, 4) array as a tuple."""
    return a[i, 0], a[i, 1], a[i, 2], a[i, 3]


@_jit
def _quad(a: np.ndarray, i: int, j: int) -> Quad:
    """Return columns ``j`` to ``j + 3`` of row ``i`` of a 2-d array as a tuple."""
    return a[i, j], a[i, j + 1], a[i, j + 2], a[i, j + 3]


@_jit
def _run_end(values: np.ndarray, a: int) -> int:
    """Return the end of the run of equal values that starts at ``a``."""
    b = a
    while b < len(values) and values[b] == values[a]:
        b += 1
    return b


@_jit
def _first_rows(river: np.ndarray, n_rivers: int) -> np.ndarray:
    """Return where each river's rows start in rows sorted by ``river`` (and where they end)."""
    first = np.zeros(n_rivers + 1, dtype=np.int64)
    for i in range(len(river)):
        first[river[i] + 1] += 1
    for r in range(n_rivers):
        first[r + 1] += first[r]
    return first


@_jit
def _point_at(seg: Quad, seg_start: float, seg_end: float, chain: float) -> tuple[float, float]:
    """Return the point of segment ``seg`` at chainage ``chain``, clamped to the segment."""
    seglen = seg_end - seg_start
    t = (chain - seg_start) / seglen if seglen > 0 else 0.0
    t = min(max(t, 0.0), 1.0)
    return seg[0] + t * (seg[2] - seg[0]), seg[1] + t * (seg[3] - seg[1])


# =========================================================== boundary edges
@_jit
def _slot(a: np.uint64, b: np.uint64, bits: int) -> int:
    """Return a slot (``bits`` bits) of an open-addressing table for the key (a, b)."""
    h = a * np.uint64(0x9E3779B97F4A7C15) ^ (b + np.uint64(0x632BE59BD9B4E019))
    h = (h ^ (h >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
    return int(np.int64(h >> np.uint64(64 - bits)))


def hash_table(n: int) -> np.ndarray:
    """Return an empty open-addressing table for ``n`` keys: a power of two slots, at least 2n.

    Slots hold row numbers (-1: empty), in 32 bits where they fit.
    """
    size = 16
    while size < 2 * n:
        size *= 2
    return np.full(size, -1, dtype=np.int32 if n < 2**31 else np.int64)


@_jit
def _table_bits(table: np.ndarray) -> int:
    """Return how many bits number the slots of ``table`` (see :func:`hash_table`)."""
    bits = 0
    while (1 << bits) < len(table):
        bits += 1
    return bits


@_jit
def vertex_ids(bits: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give the distinct vertices numbers, in order of first appearance.

    ``bits`` holds the vertices (x, y) as the bits of their coordinates (an
    (n, 2) float64 array viewed as uint64); -0.0 and 0.0 are one value.
    ``table`` is ``hash_table(n)``. Returns each vertex's number and the first
    row of each number.
    """
    n = len(bits)
    n_bits = _table_bits(table)
    mask = (1 << n_bits) - 1
    vid = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    n_ids = 0
    for i in range(n):
        x, y = _plus_zero(bits[i, 0]), _plus_zero(bits[i, 1])
        h = _slot(x, y, n_bits)
        while True:
            v = table[h]
            if v < 0:
                table[h], first[n_ids], vid[i] = n_ids, i, n_ids
                n_ids += 1
                break
            if _plus_zero(bits[first[v], 0]) == x and _plus_zero(bits[first[v], 1]) == y:
                vid[i] = v
                break
            h = (h + 1) & mask
    return vid, first[:n_ids].copy()


@_jit
def _plus_zero(bits: np.uint64) -> np.uint64:
    """Return the bits of a float64, those of -0.0 made those of 0.0."""
    return np.uint64(0) if bits == np.uint64(0x8000000000000000) else bits


@_jit
def ring_edges(
    coords: np.ndarray,
    rank: np.ndarray,
    ring_start: np.ndarray,
    ring_unit: np.ndarray,
    unit_prio: np.ndarray,
    none: int,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather the edges of rings, each once, with the unit holding each of its sides.

    ``coords`` are the vertices of the rings, one ring after the other (ring
    ``r`` from row ``ring_start[r]`` to ``ring_start[r + 1] - 1``; ``ring_unit``
    gives each ring's unit); ``rank`` numbers
    them in lexicographic (x, y) order, equal vertices alike. An edge runs from
    its smaller end ``p`` to its larger one ``q``; a ring drawn along it from
    ``p`` holds its left side (rings are oriented with their polygon on the
    left), one drawn from ``q`` its right side. Of the units on one side, the
    one of smallest ``unit_prio`` holds it; ``none`` where no ring does.
    ``table`` is ``hash_table(len(rank))``.

    The edges are found by hashing (:func:`_edge_slots`), then put in
    lexicographic order of their ends, a counting sort by ``p`` and an
    insertion sort by ``q`` of the few edges that share a ``p``.

    Returns
    -------
    xy, left, right
        Per edge: ``p`` and ``q`` (x0, y0, x1, y1); the units on its left and right.
    """
    n_vertices = 0
    for i in range(len(rank)):
        n_vertices = max(n_vertices, rank[i] + 1)
    p, q, start, best = _edge_slots(rank, ring_start, ring_unit, unit_prio, table)
    first = np.zeros(n_vertices + 1, dtype=np.int64)
    for e in range(len(p)):
        first[p[e] + 1] += 1
    for v in range(n_vertices):
        first[v + 1] += first[v]
    order = np.empty(len(p), dtype=np.int64)
    fill = first.copy()  # where the next edge of each p goes
    for e in range(len(p)):
        i = fill[p[e]]
        while i > first[p[e]] and q[order[i - 1]] > q[e]:
            order[i] = order[i - 1]
            i -= 1
        order[i] = e
        fill[p[e]] += 1
    xy = np.empty((len(p), 4))
    sides = np.full((len(p), 2), none, dtype=np.int64)
    for i in range(len(p)):
        e = order[i]
        a, b = start[e], start[e] + 1
        if rank[a] > rank[b]:
            a, b = b, a
        xy[i, 0], xy[i, 1] = coords[a, 0], coords[a, 1]
        xy[i, 2], xy[i, 3] = coords[b, 0], coords[b, 1]
        for side in range(2):
            if best[e, side] >= 0:
                sides[i, side] = ring_unit[best[e, side]]
    return xy, sides[:, 0].copy(), sides[:, 1].copy()


@_jit
def merge_edges(
    a: tuple[np.ndarray, np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray, np.ndarray],
    unit_prio: np.ndarray,
    none: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge two lists of edges as :func:`ring_edges` returns them, each sorted.

    ``a`` and ``b`` are ``(xy, left, right)``; an edge in both (the same ends)
    is kept once, with ``a``'s ends, and on each side the unit of smallest
    ``unit_prio`` (``none`` for no unit). The result is sorted as they are.
    """
    xa, la, ra = a
    xb, lb, rb = b
    n = len(la) + len(lb)
    xy = np.empty((n, 4))
    left = np.empty(n, dtype=np.int64)
    right = np.empty(n, dtype=np.int64)
    i = j = m = 0
    while i < len(la) or j < len(lb):
        order = 1 if i == len(la) else -1 if j == len(lb) else _compare(xa, i, xb, j)
        if order <= 0:
            xy[m] = xa[i]
            left[m], right[m] = la[i], ra[i]
            if order == 0:
                left[m] = _better(la[i], lb[j], unit_prio, none)
                right[m] = _better(ra[i], rb[j], unit_prio, none)
                j += 1
            i += 1
        else:
            xy[m] = xb[j]
            left[m], right[m] = lb[j], rb[j]
            j += 1
        m += 1
    return xy[:m].copy(), left[:m].copy(), right[:m].copy()


@_jit
def _compare(xa: np.ndarray, i: int, xb: np.ndarray, j: int) -> int:
    """Compare rows ``xa[i]`` and ``xb[j]`` lexicographically: -1, 0 or 1."""
    for k in range(4):
        if xa[i, k] < xb[j, k]:
            return -1
        if xa[i, k] > xb[j, k]:
            return 1
    return 0


@_jit
def _better(u: int, v: int, unit_prio: np.ndarray, none: int) -> int:
    """Return the unit of smaller ``unit_prio`` of ``u`` and ``v`` (``none``: no unit)."""
    if u == none:
        return v
    if v == none or unit_prio[u] <= unit_prio[v]:
        return u
    return v


@_jit
def _edge_slots(
    rank: np.ndarray,
    ring_start: np.ndarray,
    ring_unit: np.ndarray,
    unit_prio: np.ndarray,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find the distinct edges of the rings, in order of first appearance (see :func:`ring_edges`).

    Returns per edge its smaller and larger end (ranks), the row of a vertex it
    starts at (the edge runs to the next row), and the ring holding each side
    (the one whose unit has the smallest ``unit_prio``; -1 for none). ``table``
    is ``hash_table(len(rank))``.
    """
    n = len(rank)
    n_bits = _table_bits(table)
    mask = (1 << n_bits) - 1
    p = np.empty(n, dtype=np.int64)
    q = np.empty(n, dtype=np.int64)
    start = np.empty(n, dtype=np.int64)
    best = np.empty((n, 2), dtype=np.int64)
    n_edges = 0
    for r in range(len(ring_start) - 1):
        prio = unit_prio[ring_unit[r]]
        for i in range(ring_start[r], ring_start[r + 1] - 1):
            a, b = rank[i], rank[i + 1]
            if a == b:
                continue
            lo, hi = min(a, b), max(a, b)
            h = _slot(np.uint64(lo), np.uint64(hi), n_bits)
            while table[h] >= 0 and (p[table[h]] != lo or q[table[h]] != hi):
                h = (h + 1) & mask
            e = table[h]
            if e < 0:
                e = n_edges
                table[h], p[e], q[e], start[e] = e, lo, hi, i
                best[e, 0] = best[e, 1] = -1
                n_edges += 1
            side = 1 if a > b else 0
            held = best[e, side]
            if held < 0 or prio < unit_prio[ring_unit[held]]:
                best[e, side] = r
    return p[:n_edges], q[:n_edges], start[:n_edges], best[:n_edges]


# ================================================================ segments
@_jit
def segments(
    coords: np.ndarray,
    metric: np.ndarray,
    coord_part: np.ndarray,
    part_river: np.ndarray,
    same_crs: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Build river segments from the vertices of line parts, with chainage.

    ``coords`` are the vertices in the caller's CRS and ``metric`` the same
    vertices in metres (with ``same_crs``, ``coords`` themselves, and the two
    segment arrays returned are one); ``coord_part`` gives each vertex's part and
    ``part_river`` each part's river (both non-decreasing). The chainage is a
    compensated running sum of segment lengths restarted for every river, so
    that short pieces far along a long river keep their precision.

    Returns
    -------
    oxy, xy, part, start, end
        Per segment: (x0, y0, x1, y1) in the caller's CRS and in metres, its
        part, and the chainage of its first and last vertex.
    """
    n = 0
    for k in range(1, len(coord_part)):
        if coord_part[k] == coord_part[k - 1]:
            n += 1
    oxy = np.empty((n, 4))
    xy = oxy if same_crs else np.empty((n, 4))
    part = np.empty(n, dtype=np.int64)
    start = np.empty(n)
    end = np.empty(n)
    j = 0
    acc = 0.0
    comp = 0.0
    river = -1
    for k in range(1, len(coord_part)):
        p = coord_part[k]
        if p != coord_part[k - 1]:
            continue
        if part_river[p] != river:
            river = part_river[p]
            acc = 0.0
            comp = 0.0
        oxy[j, 0], oxy[j, 1] = coords[k - 1, 0], coords[k - 1, 1]
        oxy[j, 2], oxy[j, 3] = coords[k, 0], coords[k, 1]
        if not same_crs:
            xy[j, 0], xy[j, 1] = metric[k - 1, 0], metric[k - 1, 1]
            xy[j, 2], xy[j, 3] = metric[k, 0], metric[k, 1]
        dx, dy = xy[j, 2] - xy[j, 0], xy[j, 3] - xy[j, 1]
        start[j] = acc
        # Kahan-compensated: chainage at the far end of a long river stays exact to ~1e-12 m
        y = math.sqrt(dx * dx + dy * dy) - comp
        t = acc + y
        comp = (t - acc) - y
        acc = t
        end[j] = acc
        part[j] = p
        j += 1
    return oxy, xy, part, start, end


# ==================================================================== scan
@_jit
def scan(
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    part: np.ndarray,
    cells: tuple[np.ndarray, np.ndarray, np.ndarray],
    sides: tuple[np.ndarray, np.ndarray, np.ndarray],
    grid: tuple[float, float, float, int, int],
    pad: float,
    tol: float,
    unknown: int,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """Find the crossings of river segments with boundary sub-edges, and the stretches near them.

    ``xy`` holds the river segments (x0, y0, x1, y1). The boundary sub-edges
    are registered under every cell they touch of ``grid`` (origin x, origin
    y, cell size, columns ``n_x``, rows ``n_y``); ``cells`` is ``(cell_start,
    rows, edge)``: cell ``k``, ``ix * n_y + iy``, holds ``rows[cell_start[k]:
    cell_start[k + 1]]``, each a sub-edge (see :data:`CELL_COLUMNS`: its ends,
    its length and unit direction; its box is padded by ``pad``), a copy per cell
    so that a cell's sub-edges lie side by side in memory, and ``edge`` the
    edge each row is part of. ``sides`` is the edges' ``(left, right,
    shared)``.

    Segments are looked up ``RUN_SEGMENTS`` at a time by the box of the run
    (:func:`_candidates`). Each segment of the run then meets each candidate
    whose box overlaps its own: :func:`_may_meet` rules most pairs out at once;
    :func:`_intersect` finds where the two cross, and :func:`_near_range` the
    stretch of the segment within ``tol`` of the sub-edge.

    Returns
    -------
    cross_seg, cross_chain, cross_units
        One row per crossing: the segment, the chainage there, and the units
        entered and left there (``unknown`` unless the river crosses a shared
        edge cleanly). A collinear overlap gives its two ends, ``unknown``.
    near_seg, near_t0, near_t1, near_pair, near_pa_left
        The stretches of segments within ``tol`` of edges between a pair of
        units, one row per stretch: the segment's parameters of the stretch,
        the pair of units ``pa < pb`` on the edges' sides (:func:`pair_key`),
        and whether ``pa`` lies on the segment's left. Each row is a whole
        stretch of the union of the segment's parameters within ``tol`` of the
        sub-edges with that pair and that side (:func:`_add_near`): the rows
        do not depend on how the boundary is cut into edges, nor on the order
        in which they are met. Empty when ``tol`` is 0.
    """
    n = len(start)
    cap = max(1024, n // 4)
    i8 = np.int64
    # crossings: segment, chainage, unit entered, unit left
    cross = (
        np.empty(cap, dtype=i8),
        np.empty(cap),
        np.empty(cap, dtype=i8),
        np.empty(cap, dtype=i8),
    )
    # near stretches: segment, its parameters t0 and t1, pair of units, pa on the left
    near = (
        np.empty(cap, dtype=i8),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap, dtype=i8),
        np.empty(cap, dtype=np.bool_),
    )
    n_c = n_n = 0
    cell_start, rows, row_edge = cells
    left, right, shared = sides
    cand = np.empty(256, dtype=np.int64)
    cand_box = np.empty((256, 4))
    k0 = 0
    while k0 < n:
        # a run: up to RUN_SEGMENTS consecutive segments of one part
        k1 = k0 + 1
        while k1 < n and k1 - k0 < RUN_SEGMENTS and part[k1] == part[k0]:
            k1 += 1
        cand, cand_box, n_cand = _candidates(
            xy, k0, k1, cell_start, rows, grid, pad, cand, cand_box
        )
        # room for two crossings and one stretch per (segment, candidate)
        room = 2 * n_cand * (k1 - k0)
        if n_c + room > len(cross[0]):
            cross = _grow_crossings(cross, n_c + room)
        if n_n + room > len(near[0]):
            near = _grow_near(near, n_n + room)
        for k in range(k0, k1):
            if not n_cand or end[k] <= start[k]:
                continue
            k_first = n_n  # the segment's first near row
            seg = _row(xy, k)
            seg_box = _bounds(seg)
            for j in range(n_cand):
                s = cand[j]
                if _apart(seg_box, _row(cand_box, j)):
                    continue
                edge = _quad(rows, s, SUB)
                frame = _edge_frame(seg, edge, rows[s, DIR + 1], rows[s, DIR + 2])
                may_cross, may_near = _may_meet(frame, tol)
                e = row_edge[s]
                if may_cross:
                    hits, t_a, t_b, into = _intersect(seg, edge)
                    units = _sides(into, shared[e], left[e], right[e], unknown)
                    _put_crossings(cross, n_c, k, start[k], end[k], t_a, t_b, units)
                    n_c += hits
                if may_near:
                    # the segment points the edge's way: the edge's left is the river's
                    pair, pa_left = _pair(left[e], right[e], frame[1] >= 0)
                    if _covered(near, k_first, n_n, pair, pa_left):
                        continue  # the whole segment is near that side of the pair already
                    lo, hi = _near_range(seg, edge, frame, rows[s, DIR], tol)
                    if hi > lo:
                        n_n = _add_near(near, n_n, k_first, k, lo, hi, pair, pa_left)
        k0 = k1
    c_seg, c_chain, c_ent, c_ext = cross
    n_seg, n_t0, n_t1, n_pair, n_pa_left = near
    return (
        c_seg[:n_c].copy(),
        c_chain[:n_c].copy(),
        np.column_stack((c_ent[:n_c], c_ext[:n_c])),
        n_seg[:n_n].copy(),
        n_t0[:n_n].copy(),
        n_t1[:n_n].copy(),
        n_pair[:n_n].copy(),
        n_pa_left[:n_n].copy(),
    )


@_jit
def segments_box(rows: np.ndarray, col: int) -> Quad:
    """Return the box (x0, y0, x1, y1) of segments: columns ``col`` to ``col + 3`` of ``rows``.

    ``rows`` must not be empty.
    """
    x0 = x1 = rows[0, col]
    y0 = y1 = rows[0, col + 1]
    for i in range(len(rows)):
        for c in (col, col + 2):
            x0, x1 = min(x0, rows[i, c]), max(x1, rows[i, c])
            y0, y1 = min(y0, rows[i, c + 1]), max(y1, rows[i, c + 1])
    return x0, y0, x1, y1


@_jit
def sub_edges(xy: np.ndarray, sub_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Split edges ``xy`` (x0, y0, x1, y1) into equal sub-edges no longer than ``sub_m``.

    Returns the edge each sub-edge is part of, and the sub-edges' rows (see
    :data:`CELL_COLUMNS`: their ends, their length and unit direction). The
    last sub-edge of an edge ends at ``x0 + 1.0 * (x1 - x0)``.
    """
    n_sub = np.empty(len(xy), dtype=np.int64)
    for e in range(len(xy)):
        length = np.hypot(xy[e, 2] - xy[e, 0], xy[e, 3] - xy[e, 1])
        n_sub[e] = max(math.ceil(length / sub_m), 1)
    parent = np.empty(n_sub.sum(), dtype=np.int64)
    rows = np.empty((len(parent), CELL_COLUMNS))
    s = 0
    for e in range(len(xy)):
        x0, y0, x1, y1 = _row(xy, e)
        dx, dy = x1 - x0, y1 - y0
        for k in range(n_sub[e]):
            f0 = k / n_sub[e]
            f1 = (k + 1) / n_sub[e] if k + 1 < n_sub[e] else 1.0
            a, b, c, d = x0 + f0 * dx, y0 + f0 * dy, x0 + f1 * dx, y0 + f1 * dy
            parent[s] = e
            rows[s, SUB], rows[s, SUB + 1], rows[s, SUB + 2], rows[s, SUB + 3] = a, b, c, d
            length = np.hypot(c - a, d - b)
            rows[s, DIR], rows[s, DIR + 1], rows[s, DIR + 2] = (
                length,
                (c - a) / length,
                (d - b) / length,
            )
            s += 1
    return parent, rows


@_jit
def grid_cells(
    rows: np.ndarray, edge: np.ndarray, grid: tuple[float, float, float, int, int], pad: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Register sub-edges under every cell of ``grid`` their boxes touch, for :func:`scan`.

    ``rows`` are the sub-edges (:data:`CELL_COLUMNS` columns), their boxes
    padded by ``pad``, ``edge`` the edge each is part of, and ``grid`` (origin x, origin
    y, cell size, columns ``n_x``, rows ``n_y``; cell ``ix * n_y + iy`` spans
    ``origin + [ix, ix + 1) * cell`` across). Returns ``cell_start``, and the rows and edges
    of the cells one after the other: cell ``k`` holds rows ``cell_start[k]`` to
    ``cell_start[k + 1] - 1``, in the sub-edges' order (a counting sort, two
    passes over the boxes).
    """
    origin_x, origin_y, cell, n_x, n_y = grid
    cell_start = np.zeros(n_x * n_y + 1, dtype=np.int64)
    cell_rows = np.empty((0, rows.shape[1]))
    cell_edge = np.empty(0, dtype=np.int64)
    slot = cell_start
    for step in range(2):
        if step == 1:  # counts, then where each cell's rows start
            for k in range(n_x * n_y):
                cell_start[k + 1] += cell_start[k]
            cell_rows = np.empty((cell_start[-1], rows.shape[1]))
            cell_edge = np.empty(cell_start[-1], dtype=np.int64)
            slot = cell_start[:-1].copy()
        for s in range(len(rows)):
            x0, y0, x1, y1 = _padded(_quad(rows, s, SUB), pad)
            ix0 = math.floor((x0 - origin_x) / cell)
            iy0 = math.floor((y0 - origin_y) / cell)
            ix1 = math.floor((x1 - origin_x) / cell)
            iy1 = math.floor((y1 - origin_y) / cell)
            for ix in range(ix0, ix1 + 1):
                for iy in range(iy0, iy1 + 1):
                    key = ix * n_y + iy
                    if step == 0:
                        cell_start[key + 1] += 1
                        continue
                    for c in range(rows.shape[1]):
                        cell_rows[slot[key], c] = rows[s, c]
                    cell_edge[slot[key]] = edge[s]
                    slot[key] += 1
    return cell_start, cell_rows, cell_edge


@_jit
def _grow_crossings(
    cross: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Copy the crossings' arrays into longer ones, with room for at least ``n`` rows."""
    seg, chain, ent, ext = cross
    return _grow(seg, n), _grow(chain, n), _grow(ent, n), _grow(ext, n)


@_jit
def _grow_near(
    near: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Copy the near stretches' arrays into longer ones, with room for at least ``n`` rows."""
    seg, t0, t1, pair, pa_left = near
    return _grow(seg, n), _grow(t0, n), _grow(t1, n), _grow(pair, n), _grow(pa_left, n)


@_jit
def _bounds(seg: Quad) -> Quad:
    """Return the box (x0, y0, x1, y1) of segment ``seg``."""
    return min(seg[0], seg[2]), min(seg[1], seg[3]), max(seg[0], seg[2]), max(seg[1], seg[3])


@_jit
def _padded(seg: Quad, pad: float) -> Quad:
    """Return the box (x0, y0, x1, y1) of segment ``seg``, ``pad`` wider on every side."""
    return (
        min(seg[0], seg[2]) - pad,
        min(seg[1], seg[3]) - pad,
        max(seg[0], seg[2]) + pad,
        max(seg[1], seg[3]) + pad,
    )


@_jit
def _apart(a: Quad, b: Quad) -> bool:
    """Tell whether boxes ``a`` and ``b`` (x0, y0, x1, y1) do not overlap."""
    return a[0] > b[2] or b[0] > a[2] or a[1] > b[3] or b[1] > a[3]


@_jit
def _candidates(
    xy: np.ndarray,
    k0: int,
    k1: int,
    cell_start: np.ndarray,
    rows: np.ndarray,
    grid: tuple[float, float, float, int, int],
    pad: float,
    cand: np.ndarray,
    cand_box: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """List the rows of sub-edges whose boxes overlap the box of segments ``k0`` to ``k1 - 1``.

    ``cell_start``, ``rows``, ``grid`` and ``pad`` are as :func:`scan` takes
    them. A sub-edge registered in several of the run's cells is listed once:
    in the cell holding the lower left corner of the two boxes' overlap.
    Returns ``cand`` (the rows) and ``cand_box`` (their padded boxes, which the
    run's segments test next), both grown if needed, and how many they hold.
    """
    origin_x, origin_y, cell, n_x, n_y = grid
    run = (np.inf, np.inf, -np.inf, -np.inf)
    for k in range(k0, k1):
        x0, y0, x1, y1 = run
        run = (
            min(x0, xy[k, 0], xy[k, 2]),
            min(y0, xy[k, 1], xy[k, 3]),
            max(x1, xy[k, 0], xy[k, 2]),
            max(y1, xy[k, 1], xy[k, 3]),
        )
    ix0 = max(math.floor((run[0] - origin_x) / cell), 0)
    iy0 = max(math.floor((run[1] - origin_y) / cell), 0)
    ix1 = min(math.floor((run[2] - origin_x) / cell), n_x - 1)
    iy1 = min(math.floor((run[3] - origin_y) / cell), n_y - 1)
    n_cand = 0
    for ix in range(ix0, ix1 + 1):
        for iy in range(iy0, iy1 + 1):
            key = ix * n_y + iy
            for s in range(cell_start[key], cell_start[key + 1]):
                b = _padded(_quad(rows, s, SUB), pad)
                if _apart(run, b):
                    continue
                cx = math.floor((max(run[0], b[0]) - origin_x) / cell)
                cy = math.floor((max(run[1], b[1]) - origin_y) / cell)
                if cx != ix or cy != iy:
                    continue
                if n_cand == len(cand):
                    cand = _grow(cand, n_cand + 1)
                    cand_box = _grow_rows(cand_box, len(cand))
                cand[n_cand] = s
                cand_box[n_cand, 0], cand_box[n_cand, 1] = b[0], b[1]
                cand_box[n_cand, 2], cand_box[n_cand, 3] = b[2], b[3]
                n_cand += 1
    return cand, cand_box, n_cand


@_jit
def _edge_frame(seg: Quad, edge: Quad, ux: float, uy: float) -> Quad:
    """Place segment ``seg`` in the frame of sub-edge ``edge``, of direction (ux, uy).

    Returns ``a0, a1, c0, c1``: how far the segment's start lies along (a0) and
    across (c0) the sub-edge's line from the sub-edge's start, and how each
    changes from the segment's start to its end (a1, c1).
    """
    px, py = seg[0], seg[1]
    rx, ry = seg[2] - px, seg[3] - py
    dx, dy = px - edge[0], py - edge[1]
    return dx * ux + dy * uy, rx * ux + ry * uy, -dx * uy + dy * ux, -rx * uy + ry * ux


@_jit
def _may_meet(frame: Quad, tol: float) -> tuple[bool, bool]:
    """Tell whether a segment may cross a sub-edge, and whether it may come within ``tol``.

    The segment's ends lie ``c0`` and ``c0 + c1`` from the sub-edge's line (see
    :func:`_edge_frame`). Both on one side, clear of rounding: no crossing;
    clear of ``tol`` too: no stretch either. No stretch at all when ``tol`` is 0.
    """
    c0, c1 = frame[2], frame[3]
    if not c0 * (c0 + c1) > 0:
        return True, tol > 0
    d_min = min(abs(c0), abs(c0 + c1))
    d_max = max(abs(c0), abs(c0 + c1))
    may_cross = d_min <= 1e-8 * d_max + 1e-12
    return may_cross, tol > 0 and d_min <= tol + 1e-9 * (tol + d_max) + 1e-9


@_jit
def _intersect(seg: Quad, edge: Quad) -> tuple[int, float, float, int]:
    """Intersect segment ``seg``, ``p + t r``, with sub-edge ``edge``, ``q + u s``.

    Returns ``hits, t_a, t_b, into``: no hit (0); one crossing (1) at ``t_a``
    (clamped to the segment), with ``into`` +1 where the segment crosses cleanly
    (away from every end) into the edge's left side, -1 into its right side,
    0 when not clean; or a collinear overlap (2) from ``t_a`` to ``t_b``.
    """
    px, py = seg[0], seg[1]
    rx, ry = seg[2] - px, seg[3] - py
    qx, qy = edge[0], edge[1]
    sx, sy = edge[2] - qx, edge[3] - qy
    wx, wy = qx - px, qy - py
    rr = rx * rx + ry * ry
    denom = rx * sy - ry * sx
    scale = math.sqrt(rr * (sx * sx + sy * sy))
    if not abs(denom) > PARALLEL_EPS * scale:
        return _overlap(rx, ry, sx, sy, wx, wy, rr)
    t = (wx * sy - wy * sx) / denom
    u = (wx * ry - wy * rx) / denom
    if not (-PARAM_EPS <= t <= 1 + PARAM_EPS and -PARAM_EPS <= u <= 1 + PARAM_EPS):
        return 0, 0.0, 0.0, 0
    into = 0
    if CLEAN_EPS < t < 1 - CLEAN_EPS and CLEAN_EPS < u < 1 - CLEAN_EPS:
        # cross(edge, river) > 0 (denom < 0): into the edge's left side
        into = 1 if denom < 0 else -1
    t = min(max(t, 0.0), 1.0)
    return 1, t, t, into


@_jit
def _overlap(
    rx: float, ry: float, sx: float, sy: float, wx: float, wy: float, rr: float
) -> tuple[int, float, float, int]:
    """Overlap a segment with a parallel sub-edge, as :func:`_intersect` returns it.

    Where the two lie on one line, the sub-edge's ends projected on the segment
    give the overlap (2 hits); otherwise, or where they do not overlap, 0.
    """
    off = abs(wx * ry - wy * rx) / math.sqrt(rr)
    if not off <= 1e-9 * max(1.0, math.sqrt(rr)):
        return 0, 0.0, 0.0, 0
    ta = (wx * rx + wy * ry) / rr
    tb = ((wx + sx) * rx + (wy + sy) * ry) / rr
    lo_t = max(min(ta, tb), 0.0)
    hi_t = min(max(ta, tb), 1.0)
    if not lo_t <= hi_t:
        return 0, 0.0, 0.0, 0
    return 2, lo_t, hi_t, 0


@_jit
def _sides(into: int, shared: bool, left: int, right: int, unknown: int) -> tuple[int, int]:
    """Return the units entered and left by a crossing ``into`` a side of an edge.

    ``into`` is as :func:`_intersect` gives it. The units are known only for a
    clean crossing of an edge whose two sides share it.
    """
    if into == 0 or not shared:
        return unknown, unknown
    if into > 0:
        return left, right
    return right, left


@_jit
def _put_crossings(
    cross: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    i: int,
    k: int,
    start: float,
    end: float,
    t_a: float,
    t_b: float,
    sides: tuple[int, int],
) -> None:
    """Write rows ``i`` and ``i + 1`` of the crossings: segment ``k`` at ``t_a`` and ``t_b``.

    ``sides`` are the units entered and left. The caller keeps as many rows as
    the pair has hits (and has made room for two).
    """
    seg, chain, ent, ext = cross
    seglen = end - start
    seg[i], chain[i], ent[i], ext[i] = k, start + t_a * seglen, sides[0], sides[1]
    seg[i + 1], chain[i + 1], ent[i + 1], ext[i + 1] = k, start + t_b * seglen, sides[0], sides[1]


@_jit
def _slab(v0: float, v1: float, vmin: float, vmax: float) -> tuple[float, float]:
    """Return the parameters ``t`` (lo, hi) where ``v0 + t * v1`` lies in [vmin, vmax]."""
    if v1 == 0:
        if vmin <= v0 <= vmax:
            return -np.inf, np.inf
        return np.inf, -np.inf
    ta = (vmin - v0) / v1
    tb = (vmax - v0) / v1
    return min(ta, tb), max(ta, tb)


@_jit
def _disc(
    ex: float, ey: float, rx: float, ry: float, rr: float, tol2: float
) -> tuple[float, float]:
    """Return the parameters (lo, hi) of a segment within a disc, clamped to [0, 1].

    The segment runs from ``e`` (relative to the disc's centre) along ``r``;
    ``rr`` is ``r``'s squared length and ``tol2`` the squared radius. Empty
    (lo > hi) where the segment's line misses the disc.
    """
    bb = 2.0 * (ex * rx + ey * ry)
    cc = ex * ex + ey * ey - tol2
    disc = bb * bb - 4.0 * rr * cc
    if not disc >= 0:
        return np.inf, -np.inf
    root = math.sqrt(disc)
    return max((-bb - root) / (2.0 * rr), 0.0), min((-bb + root) / (2.0 * rr), 1.0)


@_jit
def _join(lo: float, hi: float, other: tuple[float, float]) -> tuple[float, float]:
    """Return the smallest interval holding [lo, hi] and ``other`` where that is not empty."""
    if other[0] <= other[1]:
        return min(lo, other[0]), max(hi, other[1])
    return lo, hi


@_jit
def _near_range(seg: Quad, edge: Quad, frame: Quad, slen: float, tol: float) -> tuple[float, float]:
    """Return the parameters (lo, hi) of segment ``seg`` within ``tol`` of sub-edge ``edge``.

    The segment is clipped by the sub-edge's stadium: the rectangle along the
    sub-edge (of length ``slen``; two slabs in its ``frame``, along and across
    it), joined with the discs at its two ends. Empty (lo > hi) when no part of
    the segment is that close.
    """
    a0, a1, c0, c1 = frame
    t_lo, t_hi = _slab(a0, a1, 0.0, slen)
    u_lo, u_hi = _slab(c0, c1, -tol, tol)
    r_lo = max(0.0, t_lo, u_lo)
    r_hi = min(1.0, t_hi, u_hi)
    lo, hi = np.inf, -np.inf
    if r_lo <= r_hi:
        lo, hi = r_lo, r_hi
    px, py = seg[0], seg[1]
    rx, ry = seg[2] - px, seg[3] - py
    qx, qy = edge[0], edge[1]
    sx, sy = edge[2] - qx, edge[3] - qy
    rr = rx * rx + ry * ry
    lo, hi = _join(lo, hi, _disc(px - qx, py - qy, rx, ry, rr, tol * tol))
    lo, hi = _join(lo, hi, _disc(px - (qx + sx), py - (qy + sy), rx, ry, rr, tol * tol))
    return lo, hi


PAIR_BITS = 32  # a pair of unit codes (from -1) is one number: (pa + 1) << 32 | (pb + 1)


@_jit
def pair_key(a: int, b: int) -> int:
    """Return the key of the pair of unit codes ``a`` and ``b`` (either order; -1 for none)."""
    return ((min(a, b) + 1) << PAIR_BITS) | (max(a, b) + 1)


@_jit
def pair_of(key: int) -> tuple[int, int]:
    """Return the pair of unit codes ``pa < pb`` of ``key`` (see :func:`pair_key`)."""
    return (key >> PAIR_BITS) - 1, (key & ((1 << PAIR_BITS) - 1)) - 1


@_jit
def _pair(left: int, right: int, same_dir: bool) -> tuple[int, bool]:
    """Return the key of an edge's pair of units, and whether the smaller lies on a river's left.

    The river runs past the edge the edge's way (``same_dir``: its left is the
    edge's left) or the other way.
    """
    river_left = left if same_dir else right
    return pair_key(left, right), river_left == min(left, right)


@_jit_inline
def _covered(
    near: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    first: int,
    n_n: int,
    pair: int,
    pa_left: bool,
) -> bool:
    """Tell whether a near row from ``first`` on holds a whole segment along ``pair``, that side."""
    _, t0, t1, pairs, sides = near
    for r in range(first, n_n):
        if pairs[r] == pair and sides[r] == pa_left and t0[r] == 0.0 and t1[r] == 1.0:
            return True
    return False


@_jit_inline
def _add_near(
    near: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    n_n: int,
    first: int,
    k: int,
    lo: float,
    hi: float,
    pair: int,
    pa_left: bool,
) -> int:
    """Add segment ``k``'s stretch (lo, hi) along ``pair``, on side ``pa_left``, to the near rows.

    The segment's rows (``first`` to ``n_n - 1``) with one pair and side are
    disjoint: the stretch joins the first it overlaps or touches, with every
    later one it then overlaps (moved out by the segment's last row), or else
    makes a new row. Returns how many rows there are.
    """
    seg, t0, t1, pairs, sides = near
    r = first
    while r < n_n and not (
        pairs[r] == pair and sides[r] == pa_left and lo <= t1[r] and t0[r] <= hi
    ):
        r += 1
    if r == n_n:
        seg[r], t0[r], t1[r], pairs[r], sides[r] = k, lo, hi, pair, pa_left
        return n_n + 1
    lo, hi = min(lo, t0[r]), max(hi, t1[r])
    q = r + 1
    while q < n_n:  # rows before r miss both (lo, hi) and row r, so their union too
        if pairs[q] == pair and sides[q] == pa_left and lo <= t1[q] and t0[q] <= hi:
            lo, hi = min(lo, t0[q]), max(hi, t1[q])
            n_n -= 1
            t0[q], t1[q], pairs[q], sides[q] = t0[n_n], t1[n_n], pairs[n_n], sides[n_n]
        else:
            q += 1
    t0[r], t1[r] = lo, hi
    return n_n


# ============================================================== cut pieces
@_jit
def cut_pieces(
    length: np.ndarray,
    seg_first: np.ndarray,
    seg_last: np.ndarray,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    xy: np.ndarray,
    part_river: np.ndarray,
    part_chain: np.ndarray,
    cross_river: np.ndarray,
    cross_chain: np.ndarray,
    cross_units: np.ndarray,
    st_river: np.ndarray,
    st_lo: np.ndarray,
    st_hi: np.ndarray,
    st_left: np.ndarray,
    st_right: np.ndarray,
    cut_eps: float,
    unknown: int,
    none: int,
    inside: int,
    boundary: int,
) -> Arrays:
    """Cut every river into pieces at its cuts, and label what the cuts tell.

    A river is cut at both ends, where each of its parts starts, at every
    crossing and at both ends of every boundary stretch (all inputs sorted by
    river). Cuts closer than ``cut_eps`` are one cut. A piece inside a stretch
    is a boundary piece with that stretch's units; a piece that starts at a
    single crossing lies in the unit entered there, and one that ends at a
    single crossing in the unit left there. The rest keep ``unknown``
    as their unit, and the point in their middle (metric CRS) is returned for a
    point-in-polygon test. A river of zero length is one zero-length piece.

    Three passes over the rivers: :func:`_gather_cuts`, :func:`_cut_rivers`
    and :func:`_label_pieces`.

    Returns
    -------
    river, lo, hi, kind, unit, left, right
        The pieces, sorted by river and chainage.
    mid_x, mid_y
        The middle of every piece (NaN where the unit is known).
    """
    n_rivers = len(length)
    part_first = _first_rows(part_river, n_rivers)
    cross_first = _first_rows(cross_river, n_rivers)
    st_first = _first_rows(st_river, n_rivers)
    cut_first, chain, ent = _gather_cuts(
        length,
        part_first,
        part_chain,
        cross_first,
        cross_chain,
        cross_units,
        st_first,
        st_lo,
        st_hi,
        cut_eps,
        unknown,
    )
    river, lo, hi, unit = _cut_rivers(cut_first, chain, ent, cut_eps, unknown)
    n_p = len(river)
    kind = np.full(n_p, inside, dtype=np.int64)
    left = np.full(n_p, none, dtype=np.int64)
    right = np.full(n_p, none, dtype=np.int64)
    mid_x, mid_y = np.full(n_p, np.nan), np.full(n_p, np.nan)
    _label_pieces(
        (river, lo, hi, kind, unit, left, right, mid_x, mid_y),
        (st_first, st_lo, st_hi, st_left, st_right),
        (seg_first, seg_last, seg_start, seg_end, xy),
        unknown,
        none,
        boundary,
    )
    return river, lo, hi, kind, unit, left, right, mid_x, mid_y


@_jit
def _gather_cuts(
    length: np.ndarray,
    part_first: np.ndarray,
    part_chain: np.ndarray,
    cross_first: np.ndarray,
    cross_chain: np.ndarray,
    cross_units: np.ndarray,
    st_first: np.ndarray,
    st_lo: np.ndarray,
    st_hi: np.ndarray,
    cut_eps: float,
    unknown: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather the cuts of every river, with the units entered and left at each.

    A river's cuts are its two ends, the start of each part, every crossing and
    both ends of every boundary stretch (each input's rows of river ``r`` run
    from ``*_first[r]`` to ``*_first[r + 1]``), clamped to the river and
    snapped onto its ends within ``cut_eps``. Only a crossing names units;
    every other cut holds ``unknown``.

    Returns
    -------
    cut_first, chain, ent
        Where each river's cuts start (and end); the chainage of every cut;
        the units entered and left there.
    """
    n_rivers = len(length)
    n_cuts = 2 * n_rivers + len(part_chain) + len(cross_chain) + 2 * len(st_lo)
    cut_first = np.empty(n_rivers + 1, dtype=np.int64)
    chain = np.empty(n_cuts)
    ent = np.full((n_cuts, 2), unknown, dtype=np.int64)
    m = 0
    for r in range(n_rivers):
        top = length[r]
        cut_first[r] = m
        chain[m], chain[m + 1] = 0.0, top
        m += 2
        for k in range(part_first[r], part_first[r + 1]):
            chain[m] = part_chain[k]
            m += 1
        for k in range(cross_first[r], cross_first[r + 1]):
            chain[m] = cross_chain[k]
            ent[m, 0], ent[m, 1] = cross_units[k, 0], cross_units[k, 1]
            m += 1
        for k in range(st_first[r], st_first[r + 1]):
            chain[m], chain[m + 1] = st_lo[k], st_hi[k]
            m += 2
        for k in range(cut_first[r], m):
            chain[k] = _snap(chain[k], top, cut_eps)
    cut_first[n_rivers] = m
    return cut_first, chain, ent


@_jit
def _snap(c: float, top: float, cut_eps: float) -> float:
    """Clamp chainage ``c`` to a river of length ``top``, onto its ends within ``cut_eps``."""
    c = min(max(c, 0.0), top)
    if c <= cut_eps:
        c = 0.0
    if c >= top - cut_eps:
        c = top
    return c


@_jit
def _cut_rivers(
    cut_first: np.ndarray, chain: np.ndarray, ent: np.ndarray, cut_eps: float, unknown: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut every river into pieces between consecutive cuts.

    Cuts closer than ``cut_eps`` are one cut, and a cut made of several says
    nothing. A piece lies in the unit entered at its start, else in the unit
    left at its end, else in ``unknown``. A river without pieces (zero length)
    gets one zero-length piece.

    Returns
    -------
    river, lo, hi, unit
        The pieces, sorted by river and chainage.
    """
    n_rivers = len(cut_first) - 1
    cap = len(chain)  # a river has one piece fewer than cuts, and at least two cuts
    river, lo, hi = np.empty(cap, dtype=np.int64), np.empty(cap), np.empty(cap)
    unit = np.empty(cap, dtype=np.int64)
    group = np.empty(cap + 1, dtype=np.int64)
    n_p = 0
    for r in range(n_rivers):
        at = chain[cut_first[r] : cut_first[r + 1]]
        units = ent[cut_first[r] : cut_first[r + 1]]
        order = np.argsort(at, kind="mergesort")
        n_groups = 0
        for k in range(len(at)):
            if k == 0 or at[order[k]] - at[order[k - 1]] > cut_eps:
                group[n_groups] = k
                n_groups += 1
        group[n_groups] = len(at)
        first = n_p
        for g in range(n_groups - 1):
            a, b = group[g], group[g + 1]
            u = units[order[a], 0] if b == a + 1 else unknown
            if u == unknown and group[g + 2] == b + 1:
                u = units[order[b], 1]
            river[n_p], lo[n_p], hi[n_p], unit[n_p] = r, at[order[a]], at[order[b]], u
            n_p += 1
        if n_p == first:  # a river of zero length
            river[n_p], lo[n_p], hi[n_p], unit[n_p] = r, 0.0, 0.0, unknown
            n_p += 1
    return river[:n_p].copy(), lo[:n_p].copy(), hi[:n_p].copy(), unit[:n_p].copy()


@_jit
def _label_pieces(
    pieces: Arrays,
    stretches: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    segs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    unknown: int,
    none: int,
    boundary: int,
) -> None:
    """Label the pieces, in place: boundary pieces, and the middle of the unknown ones.

    ``pieces`` are (river, lo, hi, kind, unit, left, right, mid_x, mid_y);
    ``stretches`` (first, lo, hi, left, right), river ``r``'s from
    ``first[r]``; ``segs`` (first, last, start, end, xy) the rivers' segments.
    A piece whose middle lies in a boundary stretch of its river becomes a
    boundary piece with that stretch's units; a piece still of ``unknown`` unit
    gets the point in its middle.
    """
    river, lo, hi, kind, unit, left, right, mid_x, mid_y = pieces
    st_first, st_lo, st_hi, st_left, st_right = stretches
    seg_first, seg_last, seg_start, seg_end, xy = segs
    st = seg = 0
    for q in range(len(river)):
        r = river[q]
        if q == 0 or r != river[q - 1]:
            st, seg = st_first[r], seg_first[r]
        mid = (lo[q] + hi[q]) / 2
        while st < st_first[r + 1] and st_hi[st] <= mid:
            st += 1
        if st < st_first[r + 1] and st_lo[st] <= mid:
            kind[q], unit[q] = boundary, none
            left[q], right[q] = st_left[st], st_right[st]
            continue
        if unit[q] != unknown:
            continue
        while seg < seg_last[r] and seg_end[seg] <= mid:
            seg += 1
        mid_x[q], mid_y[q] = _point_at(_row(xy, seg), seg_start[seg], seg_end[seg], mid)


# ================================================================= reaches
@_jit
def _same(
    kind: np.ndarray, unit: np.ndarray, left: np.ndarray, right: np.ndarray, a: int, b: int
) -> bool:
    return kind[a] == kind[b] and unit[a] == unit[b] and left[a] == left[b] and right[a] == right[b]


@_jit
def merge_runs(pieces: Arrays) -> np.ndarray:
    """Join consecutive pieces of a river with the same responsibility, in place.

    ``pieces`` are the arrays ``(river, lo, hi, kind, unit, left, right)``.
    Returns the indices of the pieces that remain (each now reaching to the end
    of its run: ``hi`` is updated).
    """
    river, _lo, hi, kind, unit, left, right = pieces
    n = len(river)
    keep = np.empty(n, dtype=np.int64)
    m = 0
    for k in range(n):
        if m and river[k] == river[keep[m - 1]] and _same(kind, unit, left, right, k, keep[m - 1]):
            hi[keep[m - 1]] = hi[k]
            continue
        keep[m] = k
        m += 1
    return keep[:m].copy()


@_jit
def merge_slivers(pieces: Arrays, min_m: float) -> np.ndarray:
    """Give reaches shorter than ``min_m`` the responsibility of a neighbour, in place.

    ``pieces`` are the arrays ``(river, lo, hi, kind, unit, left, right)``.

    Reaches of at least ``min_m`` are anchors; a river with none keeps its
    longest reach (the first on a tie) as its anchor. A run of short reaches
    between two anchors joins them both when they agree, else the longer (the
    previous one on a tie); before the first or after the last anchor it joins
    that anchor. Returns a mask of the reaches whose responsibility changed.
    """
    river, lo, hi, kind, unit, left, right = pieces
    n = len(river)
    moved = np.zeros(n, dtype=np.bool_)
    anchor = np.empty(n, dtype=np.bool_)
    a = 0
    while a < n:
        b = a
        while b < n and river[b] == river[a]:
            b += 1
        longest = a
        any_anchor = False
        for k in range(a, b):
            anchor[k] = hi[k] - lo[k] >= min_m
            any_anchor = any_anchor or anchor[k]
            if hi[k] - lo[k] > hi[longest] - lo[longest]:
                longest = k
        if not any_anchor:
            anchor[longest] = True
        prev = -1
        k = a
        while k < b:
            if anchor[k]:
                prev = k
                k += 1
                continue
            nxt = k
            while nxt < b and not anchor[nxt]:
                nxt += 1
            has_next = nxt < b
            for s in range(k, nxt):
                if prev >= 0 and has_next:
                    agree = _same(kind, unit, left, right, prev, nxt)
                    prefer_prev = agree or hi[prev] - lo[prev] >= hi[nxt] - lo[nxt]
                    target = prev if prefer_prev else nxt
                else:
                    target = prev if prev >= 0 else nxt
                if not _same(kind, unit, left, right, s, target):
                    moved[s] = True
                    kind[s], unit[s] = kind[target], unit[target]
                    left[s], right[s] = left[target], right[target]
            k = nxt
        a = b
    return moved


@_jit
def reach_lines(
    river: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    seg_first: np.ndarray,
    seg_last: np.ndarray,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    part: np.ndarray,
    oxy: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut the vertices of every reach from the river's own coordinates.

    A reach from chainage ``lo`` to ``hi`` runs from its point at ``lo``, through
    every river vertex between, to its point at ``hi``; where it passes the
    gap between two parts of a MultiLineString it starts a new line. Reaches
    must be sorted by river and chainage.

    Returns
    -------
    coords
        (n, 2) vertices in the caller's CRS.
    offsets
        Where each line starts in ``coords`` (one more than there are lines).
    n_lines
        Lines per reach (more than one where a reach spans a gap).
    """
    n = len(river)
    n_lines = np.ones(n, dtype=np.int64)
    n_segs = 0
    for r in range(len(seg_first)):
        n_segs += seg_last[r] - seg_first[r] + 1
    # Reaches share at most their first segment with the one before, and a gap adds
    # one vertex and one line per segment at most.
    coords = np.empty((2 * n_segs + 4 * n + 16, 2))
    offsets = np.empty(n + n_segs + 1, dtype=np.int64)
    m = 0  # vertices written
    n_off = 0
    seg = 0
    for q in range(n):
        r = river[q]
        if q == 0 or r != river[q - 1]:
            seg = seg_first[r]
        while seg < seg_last[r] and seg_end[seg] <= lo[q]:
            seg += 1
        sa = seg  # start <= lo < end (or the river's last segment)
        sb = sa
        while sb < seg_last[r] and seg_end[sb] < hi[q]:
            sb += 1  # start < hi <= end
        offsets[n_off] = m
        n_off += 1
        coords[m, 0], coords[m, 1] = _point_at(_row(oxy, sa), seg_start[sa], seg_end[sa], lo[q])
        m += 1
        # the vertices between; at a gap, the end of the part and a new line
        for k in range(sa + 1, sb + 1):
            if part[k] != part[k - 1]:
                coords[m, 0], coords[m, 1] = oxy[k - 1, 2], oxy[k - 1, 3]
                m += 1
                offsets[n_off] = m
                n_off += 1
                n_lines[q] += 1
            coords[m, 0], coords[m, 1] = oxy[k, 0], oxy[k, 1]
            m += 1
        coords[m, 0], coords[m, 1] = _point_at(_row(oxy, sb), seg_start[sb], seg_end[sb], hi[q])
        m += 1
    offsets[n_off] = m
    return coords[:m].copy(), offsets[: n_off + 1].copy(), n_lines


# ======================================================= boundary stretches
@_jit
def near_stretches(
    near: Arrays,
    segs: Arrays,
    min_m: float,
    bridge_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge the near intervals of each river per pair of units into stretches.

    ``near`` are :func:`scan`'s near rows ``(seg, t0, t1, pair, pa_left)``;
    ``segs`` the segments' ``(river, start, end)`` chainages.

    The intervals (sorted by river, as :func:`scan` gives them) of one river
    along edges between the same two units ``pa < pb`` are merged where they
    overlap or lie less than ``bridge_m`` apart; merged stretches shorter than
    ``min_m`` are dropped. ``vote`` is the length (m) of the stretch's
    intervals with ``pa`` on the river's left, less those with it on the right.

    Three passes: :func:`_intervals` in chainage; :func:`_order_intervals` of
    each river by pair and chainage; and :func:`_merge_intervals`.

    Returns
    -------
    river, pa, pb, lo, hi, vote
        One row per stretch, sorted by river, pair and chainage.
    """
    river, c0, c1, vote = _intervals(near, segs)
    key = near[3]
    order = _order_intervals(river, key, c0)
    return _merge_intervals(order, river, c0, c1, key, vote, min_m, bridge_m)


@_jit
def _intervals(near: Arrays, segs: Arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Turn the near rows into chainage intervals.

    Returns
    -------
    river, c0, c1, vote
        Per row: the river, the chainage interval, and its length, negative
        where ``pa`` lies on the river's right.
    """
    seg, t0, t1, _, pa_left = near
    seg_river, seg_start, seg_end = segs
    n = len(seg)
    river = np.empty(n, dtype=np.int64)
    c0, c1, vote = np.empty(n), np.empty(n), np.empty(n)
    for k in range(n):
        s = seg[k]
        river[k] = seg_river[s]
        seglen = seg_end[s] - seg_start[s]
        c0[k] = seg_start[s] + t0[k] * seglen
        c1[k] = seg_start[s] + t1[k] * seglen
        vote[k] = (c1[k] - c0[k]) if pa_left[k] else (c0[k] - c1[k])
    return river, c0, c1, vote


@_jit
def _order_intervals(river: np.ndarray, key: np.ndarray, c0: np.ndarray) -> np.ndarray:
    """Order each river's intervals by pair of units (increasing key), then by chainage.

    Rows must be sorted by river. Per river, a stable counting sort by pair
    (:func:`_number_pairs`, :func:`_order_by_pair`); then, in one pass, an
    insertion sort of each river's pair by chainage (:func:`_sort_by_chainage`).
    """
    n = len(river)
    order = np.empty(n, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)
    keys = np.empty(n + 1, dtype=np.int64)
    work = np.empty((3, n + 1), dtype=np.int64)  # rank, counts and slots of a river's pairs
    a = 0
    while a < n:
        b = _run_end(river, a)
        n_keys = _number_pairs(key, a, b, group, keys)
        _order_by_pair(order, a, b, group, keys[:n_keys], work)
        a = b
    _sort_by_chainage(order, river, key, c0)
    return order


@_jit
def _number_pairs(key: np.ndarray, a: int, b: int, group: np.ndarray, keys: np.ndarray) -> int:
    """Give the pairs of rows ``a`` to ``b - 1`` numbers, in order of first appearance.

    Writes each row's number into ``group`` and each number's key into
    ``keys``; returns how many pairs there are.
    """
    n_keys = 0
    for i in range(a, b):
        g = 0
        while g < n_keys and keys[g] != key[i]:
            g += 1
        if g == n_keys:
            keys[g] = key[i]
            n_keys += 1
        group[i] = g
    return n_keys


@_jit
def _order_by_pair(
    order: np.ndarray, a: int, b: int, group: np.ndarray, keys: np.ndarray, work: np.ndarray
) -> None:
    """Write rows ``a`` to ``b - 1`` into ``order[a:b]`` by pair, ``keys[group[row]]``, stably.

    ``work`` is room for three arrays of ``len(keys) + 1`` numbers, reused from
    river to river. The (distinct) keys are ranked by an insertion sort: a
    river's pairs are few.
    """
    n_keys = len(keys)
    rank, count, slot = work[0], work[1], work[2]
    for g in range(n_keys):  # rank[j]: the pair with the j-th smallest key
        j = g
        while j > 0 and keys[rank[j - 1]] > keys[g]:
            rank[j] = rank[j - 1]
            j -= 1
        rank[j] = g
    count[: n_keys + 1] = 0
    for i in range(a, b):
        count[group[i]] += 1
    at = a
    for j in range(n_keys):
        slot[rank[j]] = at
        at += count[rank[j]]
    for i in range(a, b):
        order[slot[group[i]]] = i
        slot[group[i]] += 1


@_jit
def _sort_by_chainage(
    order: np.ndarray, river: np.ndarray, key: np.ndarray, c0: np.ndarray
) -> None:
    """Sort each run of ``order`` with one river and pair by ``c0``, in place and stably.

    An insertion sort: the rows come nearly in chainage order.
    """
    for i in range(1, len(order)):
        row = order[i]
        j = i
        while (
            j > 0
            and river[order[j - 1]] == river[row]
            and key[order[j - 1]] == key[row]
            and c0[order[j - 1]] > c0[row]
        ):
            order[j] = order[j - 1]
            j -= 1
        order[j] = row


@_jit
def _merge_intervals(
    order: np.ndarray,
    river: np.ndarray,
    c0: np.ndarray,
    c1: np.ndarray,
    key: np.ndarray,
    vote: np.ndarray,
    min_m: float,
    bridge_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge the ordered intervals of a river and pair closer than ``bridge_m`` into stretches.

    Returns the stretches of at least ``min_m``, as :func:`near_stretches`.
    """
    n = len(order)
    o_river = np.empty(n, dtype=np.int64)
    o_pa, o_pb = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    o_lo, o_hi, o_vote = np.empty(n), np.empty(n), np.empty(n)
    n_out = 0
    i = 0
    while i < n:
        head = order[i]
        lo, hi, v = c0[head], c1[head], vote[head]
        j = i + 1
        while (
            j < n
            and river[order[j]] == river[head]
            and key[order[j]] == key[head]
            and c0[order[j]] <= hi + bridge_m
        ):
            hi = max(hi, c1[order[j]])
            v += vote[order[j]]
            j += 1
        if hi - lo >= min_m:
            o_river[n_out] = river[head]
            o_pa[n_out], o_pb[n_out] = pair_of(key[head])
            o_lo[n_out], o_hi[n_out], o_vote[n_out] = lo, hi, v
            n_out += 1
        i = j
    return (
        o_river[:n_out].copy(),
        o_pa[:n_out].copy(),
        o_pb[:n_out].copy(),
        o_lo[:n_out].copy(),
        o_hi[:n_out].copy(),
        o_vote[:n_out].copy(),
    )


# ================================================================= credits
@_jit
def credit_totals(
    river: np.ndarray,
    kind: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    length: np.ndarray,
    per_level: np.ndarray,
    anc: np.ndarray,
    depth: np.ndarray,
    n_rivers: int,
    boundary: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Credit units with the length of the reaches they hold, per river and per unit.

    At every level, a reach credits its unit there (``per_level``) in full; a
    boundary reach whose sides differ at that level credits each side's unit
    half (:func:`_credit`). A credit is a boundary credit when it is a side's
    half, or the inside unit of a reach along the outer border (one side only).
    Reaches must be sorted by river.

    Returns
    -------
    n_units, lead, lead_len
        (n_rivers, n_levels): how many units a river's credits name at each
        level, the one with the most length (the smallest code on a tie, -1 for
        none) and its length.
    unit_len, unit_rivers, unit_reaches, unit_boundary_len
        Per unit, counting the credits at the unit's own level: the length, the
        rivers, the reaches, and the full length of the boundary reaches.
    """
    n, n_levels = per_level.shape
    n_codes = len(depth)
    n_units = np.zeros((n_rivers, n_levels), dtype=np.int64)
    lead = np.full((n_rivers, n_levels), -1, dtype=np.int64)
    lead_len = np.zeros((n_rivers, n_levels))
    unit_len = np.zeros(n_codes)
    unit_rivers = np.zeros(n_codes, dtype=np.int64)
    unit_reaches = np.zeros(n_codes, dtype=np.int64)
    unit_boundary_len = np.zeros(n_codes)
    seen = np.full(n_codes, -1, dtype=np.int64)  # a unit's slot in this river's totals
    units = np.empty(n_codes, dtype=np.int64)
    totals = np.empty(n_codes)
    a = 0
    while a < n:
        b = _run_end(river, a)
        r = river[a]
        for j in range(n_levels):
            m = 0
            # full credits first, then the left and the right halves, each in reach order
            for side in range(3):
                for q in range(a, b):
                    u, value, on_boundary = _credit(
                        side, kind[q] == boundary, per_level[q, j], left[q], right[q], length[q]
                    )
                    if side > 0 and u >= 0:
                        u = anc[u, j]  # a half goes to the side's unit at this level
                    if u < 0:
                        continue
                    if seen[u] < 0:
                        seen[u] = m
                        units[m], totals[m] = u, 0.0
                        m += 1
                    totals[seen[u]] += value
                    if depth[u] == j:
                        unit_len[u] += value
                        unit_reaches[u] += 1
                        if on_boundary:
                            unit_boundary_len[u] += length[q]
            best = -1
            for i in range(m):
                u = units[i]
                seen[u] = -1
                if depth[u] == j:
                    unit_rivers[u] += 1
                if best < 0 or _beats(totals[i], u, totals[best], units[best]):
                    best = i
            n_units[r, j] = m
            if best >= 0:
                lead[r, j], lead_len[r, j] = units[best], totals[best]
        a = b
    return n_units, lead, lead_len, unit_len, unit_rivers, unit_reaches, unit_boundary_len


@_jit
def _credit(
    side: int, is_boundary: bool, here: int, left: int, right: int, length: float
) -> tuple[int, float, bool]:
    """Return what a reach credits at a level: to whom (-1: none), how much, on a boundary.

    ``side`` 0 is the full credit of ``here``, the reach's unit at the level
    (-1 where a boundary reach's sides differ there); it is a boundary credit
    for a boundary reach with one side only. Sides 1 and 2 are the halves of a
    boundary reach whose sides differ at the level: they go to the ``left`` and
    the ``right`` unit's ancestor at the level (here the unit itself is returned).
    """
    if side == 0:
        return here, length, is_boundary and (left < 0 or right < 0)
    if not is_boundary or here >= 0:
        return -1, 0.0, False
    return left if side == 1 else right, length / 2, True


@_jit
def _beats(total: float, unit: int, best_total: float, best_unit: int) -> bool:
    """Tell whether ``unit`` leads ``best_unit``: more length, or as much and a smaller code."""
    return total > best_total or (total == best_total and unit < best_unit)


# ============================================================= boxes of runs
@_jit
def run_boxes(coords: np.ndarray, part: np.ndarray, run: int) -> np.ndarray:
    """Return boxes (x0, y0, x1, y1) that together cover every segment of some lines.

    ``coords`` are the lines' vertices, ``part`` the line of each (lines one
    after the other). Each line's vertices are taken ``run`` at a time; a run's
    box holds its vertices and, where the line goes on, the next run's first
    vertex (so that the segment between the two runs is covered too).
    """
    n = len(coords)
    n_runs = 0
    for i in range(n):
        if i == 0 or part[i] != part[i - 1]:
            k = 0
        if k % run == 0:
            n_runs += 1
        k += 1
    out = np.empty((n_runs, 4))
    b = -1
    for i in range(n):
        new_part = i == 0 or part[i] != part[i - 1]
        if new_part:
            k = 0
        x, y = coords[i, 0], coords[i, 1]
        if k % run == 0:
            if not new_part:  # the run before goes on to this vertex
                out[b, 0], out[b, 1] = min(out[b, 0], x), min(out[b, 1], y)
                out[b, 2], out[b, 3] = max(out[b, 2], x), max(out[b, 3], y)
            b += 1
            out[b, 0], out[b, 1], out[b, 2], out[b, 3] = x, y, x, y
        else:
            out[b, 0], out[b, 1] = min(out[b, 0], x), min(out[b, 1], y)
            out[b, 2], out[b, 3] = max(out[b, 2], x), max(out[b, 3], y)
        k += 1
    return out
