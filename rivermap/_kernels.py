"""Compiled loops of the assign engine (numba).

The engine's hot paths walk millions of river segments. Written as numpy
expressions they pass over the data a dozen times and hold large temporaries;
here each is one pass, compiled once by numba and cached on disk, and run
without the GIL so that :func:`rivermap.assign` threads work in parallel.

Every kernel takes and returns plain numpy arrays; the geometry decisions
(what is a crossing, which side is entered, the stretch of a segment near an
edge) are documented in :mod:`rivermap.assign`, and the tests check the
kernels against direct numpy and shapely computations.
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


def _jit(func: _F) -> _F:
    """Compile ``func`` without the GIL (threads run kernels in parallel), cached on disk.

    Compiling takes about 15 s, once; later processes load the machine code
    from numba's cache (beside this file, or in the user's cache folder).
    """
    try:
        return cast(_F, njit(cache=True, nogil=True)(func))
    except RuntimeError:  # pragma: no cover - no writable cache folder anywhere
        return cast(_F, njit(nogil=True)(func))


@_jit
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``a`` with room for at least ``n`` items (at least twice as many)."""
    out = np.empty(max(2 * len(a), n, 16), dtype=a.dtype)
    out[: len(a)] = a
    return out


@_jit
def segments(
    coords: np.ndarray,
    metric: np.ndarray,
    coord_part: np.ndarray,
    part_river: np.ndarray,
    same_crs: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """River segments from the vertices of line parts, with chainage.

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


@_jit
def scan(
    xy: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    part: np.ndarray,
    cell_start: np.ndarray,
    owner: np.ndarray,
    sub: np.ndarray,
    box: np.ndarray,
    sub_dir: np.ndarray,
    parent: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    shared: np.ndarray,
    origin_x: float,
    origin_y: float,
    cell: float,
    n_x: int,
    n_y: int,
    tol: float,
    unknown: int,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """Crossings of river segments with boundary sub-edges, and the stretches near them.

    ``xy`` holds the river segments (x0, y0, x1, y1); ``sub`` the boundary
    sub-edges, ``sub_dir`` their lengths and unit directions (length, ux, uy),
    and ``box`` their boxes padded by ``tol`` (x0, y0, x1, y1), each
    registered under every cell it touches of a grid of ``cell`` metres (cell
    ``k``, ``ix * n_y + iy``, holds ``owner[cell_start[k]:cell_start[k + 1]]``).
    Segments are looked up ``RUN_SEGMENTS`` at a time by the box of the run; a
    (run, sub-edge) pair found in several cells is taken in the cell holding the
    lower left corner of the boxes' overlap.

    Returns
    -------
    cross_seg, cross_chain, cross_units
        One row per crossing: the segment, the chainage there, and the units
        entered and left there (``unknown`` unless the river crosses a shared
        edge cleanly). A collinear overlap gives its two ends, ``unknown``.
    near_seg, near_t0, near_t1, near_edge, near_same
        One row per (segment, sub-edge) with a non-empty stretch of the segment
        within ``tol`` of the sub-edge: the segment's parameters of that stretch,
        the edge, and whether the segment points the edge's way. Empty when
        ``tol`` is 0.
    """
    n = len(start)
    cap = max(1024, n // 4)
    c_seg = np.empty(cap, dtype=np.int64)
    c_chain = np.empty(cap)
    c_ent = np.empty(cap, dtype=np.int64)
    c_ext = np.empty(cap, dtype=np.int64)
    n_c = 0
    n_seg = np.empty(cap, dtype=np.int64)
    n_t0 = np.empty(cap)
    n_t1 = np.empty(cap)
    n_edge = np.empty(cap, dtype=np.int64)
    n_same = np.empty(cap, dtype=np.bool_)
    n_n = 0
    cand = np.empty(256, dtype=np.int64)
    near_on = tol > 0
    tol2 = tol * tol
    k0 = 0
    while k0 < n:
        # a run: up to RUN_SEGMENTS consecutive segments of one part
        k1 = k0 + 1
        while k1 < n and k1 - k0 < RUN_SEGMENTS and part[k1] == part[k0]:
            k1 += 1
        rx0, ry0, rx1, ry1 = np.inf, np.inf, -np.inf, -np.inf
        for k in range(k0, k1):
            rx0 = min(rx0, xy[k, 0], xy[k, 2])
            rx1 = max(rx1, xy[k, 0], xy[k, 2])
            ry0 = min(ry0, xy[k, 1], xy[k, 3])
            ry1 = max(ry1, xy[k, 1], xy[k, 3])
        ix0 = max(math.floor((rx0 - origin_x) / cell), 0)
        iy0 = max(math.floor((ry0 - origin_y) / cell), 0)
        ix1 = min(math.floor((rx1 - origin_x) / cell), n_x - 1)
        iy1 = min(math.floor((ry1 - origin_y) / cell), n_y - 1)
        n_cand = 0
        for ix in range(ix0, ix1 + 1):
            for iy in range(iy0, iy1 + 1):
                key = ix * n_y + iy
                for pos in range(cell_start[key], cell_start[key + 1]):
                    s = owner[pos]
                    if rx0 > box[s, 2] or box[s, 0] > rx1 or ry0 > box[s, 3] or box[s, 1] > ry1:
                        continue
                    cx = math.floor((max(rx0, box[s, 0]) - origin_x) / cell)
                    cy = math.floor((max(ry0, box[s, 1]) - origin_y) / cell)
                    if cx != ix or cy != iy:
                        continue
                    if n_cand == len(cand):
                        cand = _grow(cand, n_cand + 1)
                    cand[n_cand] = s
                    n_cand += 1
        for k in range(k0, k1):
            if not n_cand or end[k] <= start[k]:
                continue
            px, py = xy[k, 0], xy[k, 1]
            rx, ry = xy[k, 2] - px, xy[k, 3] - py
            sx0, sx1 = min(xy[k, 0], xy[k, 2]), max(xy[k, 0], xy[k, 2])
            sy0, sy1 = min(xy[k, 1], xy[k, 3]), max(xy[k, 1], xy[k, 3])
            seglen = end[k] - start[k]
            rr = rx * rx + ry * ry
            for j in range(n_cand):
                s = cand[j]
                if sx0 > box[s, 2] or box[s, 0] > sx1 or sy0 > box[s, 3] or box[s, 1] > sy1:
                    continue
                edge = parent[s]
                qx, qy = sub[s, 0], sub[s, 1]
                sx, sy = sub[s, 2] - qx, sub[s, 3] - qy
                wx, wy = qx - px, qy - py
                slen, ux, uy = sub_dir[s, 0], sub_dir[s, 1], sub_dir[s, 2]
                dx, dy = px - qx, py - qy
                a0, a1 = dx * ux + dy * uy, rx * ux + ry * uy
                c0, c1 = -dx * uy + dy * ux, -rx * uy + ry * ux
                # The segment's ends lie c0 and c0 + c1 from the edge's line. Both on one
                # side, clear of rounding: no crossing; clear of tol too: no stretch either.
                may_cross = may_near = True
                if c0 * (c0 + c1) > 0:
                    d_min = min(abs(c0), abs(c0 + c1))
                    d_max = max(abs(c0), abs(c0 + c1))
                    may_cross = d_min <= 1e-8 * d_max + 1e-12
                    may_near = d_min <= tol + 1e-9 * (tol + d_max) + 1e-9
                if not may_cross and not (near_on and may_near):
                    continue
                # ---- crossing (one row, or two for a collinear overlap)
                if n_c + 2 > len(c_seg):
                    c_seg = _grow(c_seg, n_c + 2)
                    c_chain = _grow(c_chain, n_c + 2)
                    c_ent = _grow(c_ent, n_c + 2)
                    c_ext = _grow(c_ext, n_c + 2)
                if may_cross:
                    denom = rx * sy - ry * sx
                    scale = math.sqrt(rr * (sx * sx + sy * sy))
                    if abs(denom) > PARALLEL_EPS * scale:
                        t = (wx * sy - wy * sx) / denom
                        u = (wx * ry - wy * rx) / denom
                        if -PARAM_EPS <= t <= 1 + PARAM_EPS and -PARAM_EPS <= u <= 1 + PARAM_EPS:
                            clean = CLEAN_EPS < t < 1 - CLEAN_EPS and CLEAN_EPS < u < 1 - CLEAN_EPS
                            entered = exited = unknown
                            if clean and shared[edge]:
                                # cross(edge, river) > 0 (denom < 0): into the edge's left side
                                entered = left[edge] if denom < 0 else right[edge]
                                exited = right[edge] if denom < 0 else left[edge]
                            c_seg[n_c] = k
                            c_chain[n_c] = start[k] + min(max(t, 0.0), 1.0) * seglen
                            c_ent[n_c], c_ext[n_c] = entered, exited
                            n_c += 1
                    else:
                        # collinear: the edge's ends projected on the segment, where they overlap it
                        off = abs(wx * ry - wy * rx) / math.sqrt(rr)
                        if off <= 1e-9 * max(1.0, math.sqrt(rr)):
                            ta = (wx * rx + wy * ry) / rr
                            tb = ((wx + sx) * rx + (wy + sy) * ry) / rr
                            lo_t = max(min(ta, tb), 0.0)
                            hi_t = min(max(ta, tb), 1.0)
                            if lo_t <= hi_t:
                                c_seg[n_c] = k
                                c_chain[n_c] = start[k] + lo_t * seglen
                                c_ent[n_c], c_ext[n_c] = unknown, unknown
                                c_seg[n_c + 1] = k
                                c_chain[n_c + 1] = start[k] + hi_t * seglen
                                c_ent[n_c + 1], c_ext[n_c + 1] = unknown, unknown
                                n_c += 2
                if not near_on or not may_near:
                    continue
                # ---- the stretch within tol: the line clipped by the edge's stadium
                r_lo, r_hi = 0.0, 1.0
                for which in range(2):
                    if which == 0:
                        v0, v1, vmin, vmax = a0, a1, 0.0, slen
                    else:
                        v0, v1, vmin, vmax = c0, c1, -tol, tol
                    if v1 == 0:
                        if vmin <= v0 <= vmax:
                            t_lo, t_hi = -np.inf, np.inf
                        else:
                            t_lo, t_hi = np.inf, -np.inf
                    else:
                        ta = (vmin - v0) / v1
                        tb = (vmax - v0) / v1
                        t_lo, t_hi = min(ta, tb), max(ta, tb)
                    r_lo, r_hi = max(r_lo, t_lo), min(r_hi, t_hi)
                lo_n, hi_n = np.inf, -np.inf
                if r_lo <= r_hi:
                    lo_n, hi_n = r_lo, r_hi
                for which in range(2):
                    if which == 0:
                        ex, ey = px - qx, py - qy
                    else:
                        ex, ey = px - (qx + sx), py - (qy + sy)
                    bb = 2.0 * (ex * rx + ey * ry)
                    cc = ex * ex + ey * ey - tol2
                    disc = bb * bb - 4.0 * rr * cc
                    if disc >= 0:
                        root = math.sqrt(disc)
                        d_lo = max((-bb - root) / (2.0 * rr), 0.0)
                        d_hi = min((-bb + root) / (2.0 * rr), 1.0)
                        if d_lo <= d_hi:
                            lo_n, hi_n = min(lo_n, d_lo), max(hi_n, d_hi)
                if hi_n > lo_n:
                    if n_n == len(n_seg):
                        n_seg = _grow(n_seg, n_n + 1)
                        n_t0 = _grow(n_t0, n_n + 1)
                        n_t1 = _grow(n_t1, n_n + 1)
                        n_edge = _grow(n_edge, n_n + 1)
                        n_same = _grow(n_same, n_n + 1)
                    n_seg[n_n] = k
                    n_t0[n_n] = lo_n
                    n_t1[n_n] = hi_n
                    n_edge[n_n] = edge
                    n_same[n_n] = rx * sx + ry * sy >= 0
                    n_n += 1
        k0 = k1
    return (
        c_seg[:n_c].copy(),
        c_chain[:n_c].copy(),
        np.column_stack((c_ent[:n_c], c_ext[:n_c])),
        n_seg[:n_n].copy(),
        n_t0[:n_n].copy(),
        n_t1[:n_n].copy(),
        n_edge[:n_n].copy(),
        n_same[:n_n].copy(),
    )


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
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """Cut every river into pieces at its cuts, and label what the cuts tell.

    A river is cut at both ends, where each of its parts starts, at every
    crossing and at both ends of every boundary stretch (all inputs sorted by
    river). Cuts closer than ``cut_eps`` are one cut. A piece inside a stretch
    is a boundary piece with that stretch's units; a piece that starts at a
    single crossing lies in the unit entered there, and one that ends at a
    single crossing in the unit left there. The rest keep ``unknown``
    as their unit, and the point in their middle (metric CRS) is returned for a
    point-in-polygon test. A river of zero length is one zero-length piece.

    Returns
    -------
    river, lo, hi, kind, unit, left, right
        The pieces, sorted by river and chainage.
    mid_x, mid_y
        The middle of every piece (NaN where the unit is known).
    """
    n_rivers = len(length)
    # a river has one piece fewer than cuts, or one piece when of zero length
    cap = len(cross_river) + 2 * len(st_river) + len(part_river) + n_rivers + 16
    p_river = np.empty(cap, dtype=np.int64)
    p_lo = np.empty(cap)
    p_hi = np.empty(cap)
    p_kind = np.empty(cap, dtype=np.int64)
    p_unit = np.empty(cap, dtype=np.int64)
    p_left = np.empty(cap, dtype=np.int64)
    p_right = np.empty(cap, dtype=np.int64)
    p_x = np.empty(cap)
    p_y = np.empty(cap)
    n_p = 0
    chain = np.empty(64)
    ent = np.empty((64, 2), dtype=np.int64)
    group = np.empty(64, dtype=np.int64)
    i_part = i_cross = i_st = 0
    for r in range(n_rivers):
        top = length[r]
        # ---- gather this river's cuts
        n_cross = 0
        while i_cross + n_cross < len(cross_river) and cross_river[i_cross + n_cross] == r:
            n_cross += 1
        n_part = 0
        while i_part + n_part < len(part_river) and part_river[i_part + n_part] == r:
            n_part += 1
        n_st = 0
        while i_st + n_st < len(st_river) and st_river[i_st + n_st] == r:
            n_st += 1
        need = 2 + n_part + n_cross + 2 * n_st
        if need >= len(chain):
            chain = np.empty(2 * need)
            ent = np.empty((2 * need, 2), dtype=np.int64)
            group = np.empty(2 * need, dtype=np.int64)
        ent[:need] = unknown
        chain[0], chain[1] = 0.0, top
        m = 2
        for k in range(i_part, i_part + n_part):
            chain[m] = part_chain[k]
            m += 1
        for k in range(i_cross, i_cross + n_cross):
            chain[m] = cross_chain[k]
            ent[m, 0], ent[m, 1] = cross_units[k, 0], cross_units[k, 1]
            m += 1
        for k in range(i_st, i_st + n_st):
            chain[m], chain[m + 1] = st_lo[k], st_hi[k]
            m += 2
        for k in range(m):
            c = min(max(chain[k], 0.0), top)
            if c <= cut_eps:
                c = 0.0
            if c >= top - cut_eps:
                c = top
            chain[k] = c
        order = np.argsort(chain[:m], kind="mergesort")
        # ---- cuts closer than cut_eps are one; a cut made of several says nothing
        n_groups = 0
        for k in range(m):
            if k == 0 or chain[order[k]] - chain[order[k - 1]] > cut_eps:
                group[n_groups] = k
                n_groups += 1
        group[n_groups] = m
        # ---- pieces between consecutive cuts: the unit entered at the start, or left at the end
        first_piece = n_p
        seg = seg_first[r]
        st = i_st
        for g in range(n_groups - 1):
            a, b = group[g], group[g + 1]
            unit = ent[order[a], 0] if b == a + 1 else unknown
            if unit == unknown and group[g + 2] == b + 1:
                unit = ent[order[b], 1]
            p_river[n_p], p_lo[n_p], p_hi[n_p] = r, chain[order[a]], chain[order[b]]
            p_kind[n_p], p_unit[n_p] = inside, unit
            p_left[n_p], p_right[n_p] = none, none
            p_x[n_p], p_y[n_p] = np.nan, np.nan
            n_p += 1
        if n_p == first_piece:  # a river of zero length
            p_river[n_p], p_lo[n_p], p_hi[n_p] = r, 0.0, 0.0
            p_kind[n_p], p_unit[n_p] = inside, unknown
            p_left[n_p], p_right[n_p] = none, none
            n_p += 1
        # ---- label: boundary pieces from the stretches; the middle of the unknown ones
        for q in range(first_piece, n_p):
            mid = (p_lo[q] + p_hi[q]) / 2
            while st < i_st + n_st and st_hi[st] <= mid:
                st += 1
            if st < i_st + n_st and st_lo[st] <= mid:
                p_kind[q], p_unit[q] = boundary, none
                p_left[q], p_right[q] = st_left[st], st_right[st]
                continue
            if p_unit[q] != unknown:
                continue
            while seg < seg_last[r] and seg_end[seg] <= mid:
                seg += 1
            seglen = seg_end[seg] - seg_start[seg]
            t = (mid - seg_start[seg]) / seglen if seglen > 0 else 0.0
            t = min(max(t, 0.0), 1.0)
            p_x[q] = xy[seg, 0] + t * (xy[seg, 2] - xy[seg, 0])
            p_y[q] = xy[seg, 1] + t * (xy[seg, 3] - xy[seg, 1])
        i_part += n_part
        i_cross += n_cross
        i_st += n_st
    return (
        p_river[:n_p].copy(),
        p_lo[:n_p].copy(),
        p_hi[:n_p].copy(),
        p_kind[:n_p].copy(),
        p_unit[:n_p].copy(),
        p_left[:n_p].copy(),
        p_right[:n_p].copy(),
        p_x[:n_p].copy(),
        p_y[:n_p].copy(),
    )


@_jit
def _same(
    kind: np.ndarray, unit: np.ndarray, left: np.ndarray, right: np.ndarray, a: int, b: int
) -> bool:
    return kind[a] == kind[b] and unit[a] == unit[b] and left[a] == left[b] and right[a] == right[b]


@_jit
def merge_runs(
    river: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    kind: np.ndarray,
    unit: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
) -> np.ndarray:
    """Join consecutive pieces of a river with the same responsibility, in place.

    Returns the indices of the pieces that remain (each now reaching to the end
    of its run: ``hi`` is updated).
    """
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
def merge_slivers(
    river: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    kind: np.ndarray,
    unit: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    min_m: float,
) -> np.ndarray:
    """Give reaches shorter than ``min_m`` the responsibility of a neighbour, in place.

    Reaches of at least ``min_m`` are anchors; a river with none keeps its
    longest reach (the first on a tie) as its anchor. A run of short reaches
    between two anchors joins them both when they agree, else the longer (the
    previous one on a tie); before the first or after the last anchor it joins
    that anchor. Returns a mask of the reaches whose responsibility changed.
    """
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
    """The vertices of every reach, cut from the river's own coordinates.

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
        # the start point
        seglen = seg_end[sa] - seg_start[sa]
        t = (lo[q] - seg_start[sa]) / seglen if seglen > 0 else 0.0
        t = min(max(t, 0.0), 1.0)
        coords[m, 0] = oxy[sa, 0] + t * (oxy[sa, 2] - oxy[sa, 0])
        coords[m, 1] = oxy[sa, 1] + t * (oxy[sa, 3] - oxy[sa, 1])
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
        # the end point
        seglen = seg_end[sb] - seg_start[sb]
        t = (hi[q] - seg_start[sb]) / seglen if seglen > 0 else 0.0
        t = min(max(t, 0.0), 1.0)
        coords[m, 0] = oxy[sb, 0] + t * (oxy[sb, 2] - oxy[sb, 0])
        coords[m, 1] = oxy[sb, 1] + t * (oxy[sb, 3] - oxy[sb, 1])
        m += 1
    offsets[n_off] = m
    return coords[:m].copy(), offsets[: n_off + 1].copy(), n_lines


@_jit
def near_stretches(
    seg: np.ndarray,
    t0: np.ndarray,
    t1: np.ndarray,
    edge: np.ndarray,
    same: np.ndarray,
    seg_river: np.ndarray,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    edge_left: np.ndarray,
    edge_right: np.ndarray,
    min_m: float,
    bridge_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge the near intervals of each river per pair of units into stretches.

    The intervals (sorted by river, as :func:`scan` gives them) of one river
    along edges between the same two units ``pa < pb`` are merged where they
    overlap or lie less than ``bridge_m`` apart; merged stretches shorter than
    ``min_m`` are dropped. ``vote`` sums the length of the intervals with ``pa``
    on the river's left, less those with it on the right.

    Returns
    -------
    river, pa, pb, lo, hi, vote
        One row per stretch, sorted by river, pair and chainage.
    """
    n = len(seg)
    o_river = np.empty(n, dtype=np.int64)
    o_pa = np.empty(n, dtype=np.int64)
    o_pb = np.empty(n, dtype=np.int64)
    o_lo = np.empty(n)
    o_hi = np.empty(n)
    o_vote = np.empty(n)
    n_out = 0
    n_codes = 2
    for k in range(len(edge_left)):
        n_codes = max(n_codes, edge_left[k] + 2, edge_right[k] + 2)
    # scratch for one river's rows, grown as needed
    c0 = np.empty(64)
    c1 = np.empty(64)
    key = np.empty(64, dtype=np.int64)
    vote = np.empty(64)
    group = np.empty(64, dtype=np.int64)
    order = np.empty(64, dtype=np.int64)
    keys = np.empty(65, dtype=np.int64)
    count = np.empty(65, dtype=np.int64)
    a = 0
    while a < n:
        river = seg_river[seg[a]]
        b = a
        while b < n and seg_river[seg[b]] == river:
            b += 1
        m = b - a
        if m > len(c0):
            c0, c1, vote = np.empty(2 * m), np.empty(2 * m), np.empty(2 * m)
            key = np.empty(2 * m, dtype=np.int64)
            group = np.empty(2 * m, dtype=np.int64)
            order = np.empty(2 * m, dtype=np.int64)
            keys = np.empty(2 * m + 1, dtype=np.int64)
            count = np.empty(2 * m + 1, dtype=np.int64)
        n_keys = 0
        for i in range(m):
            k = a + i
            s = seg[k]
            seglen = seg_end[s] - seg_start[s]
            c0[i] = seg_start[s] + t0[k] * seglen
            c1[i] = seg_start[s] + t1[k] * seglen
            el, er = edge_left[edge[k]], edge_right[edge[k]]
            pa, pb = min(el, er), max(el, er)
            key[i] = (pa + 1) * n_codes + (pb + 1)
            river_left = el if same[k] else er
            # + when the smaller code of the pair lies on the river's left
            vote[i] = (1.0 if river_left == pa else -1.0) * (c1[i] - c0[i])
            g = 0
            while g < n_keys and keys[g] != key[i]:
                g += 1
            if g == n_keys:
                keys[g] = key[i]
                n_keys += 1
            group[i] = g
        # rows by pair of units (pairs in increasing key), then by chainage: a stable
        # counting sort by pair, then insertion sort (rows come nearly in chainage order)
        rank = np.argsort(keys[:n_keys])
        count[: n_keys + 1] = 0
        for i in range(m):
            count[group[i] + 1] += 1
        first = np.empty(n_keys + 1, dtype=np.int64)
        first[0] = 0
        for g in range(n_keys):
            first[g + 1] = first[g] + count[rank[g] + 1]
        slot = np.empty(n_keys, dtype=np.int64)
        for g in range(n_keys):
            slot[rank[g]] = first[g]
        for i in range(m):
            order[slot[group[i]]] = i
            slot[group[i]] += 1
        for g in range(n_keys):
            for i in range(first[g] + 1, first[g + 1]):
                row = order[i]
                j = i
                while j > first[g] and c0[order[j - 1]] > c0[row]:
                    order[j] = order[j - 1]
                    j -= 1
                order[j] = row
        i = 0
        while i < m:
            head = order[i]
            lo, hi, v = c0[head], c1[head], vote[head]
            j = i + 1
            while j < m and key[order[j]] == key[head] and c0[order[j]] <= hi + bridge_m:
                hi = max(hi, c1[order[j]])
                v += vote[order[j]]
                j += 1
            if hi - lo >= min_m:
                o_river[n_out] = river
                o_pa[n_out] = key[head] // n_codes - 1
                o_pb[n_out] = key[head] % n_codes - 1
                o_lo[n_out], o_hi[n_out], o_vote[n_out] = lo, hi, v
                n_out += 1
            i = j
        a = b
    return (
        o_river[:n_out].copy(),
        o_pa[:n_out].copy(),
        o_pb[:n_out].copy(),
        o_lo[:n_out].copy(),
        o_hi[:n_out].copy(),
        o_vote[:n_out].copy(),
    )


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
    half. A credit is a boundary credit when it is a side's half, or the inside
    unit of a reach along the outer border (one side only). Reaches must be
    sorted by river.

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
        b = a
        while b < n and river[b] == river[a]:
            b += 1
        r = river[a]
        for j in range(n_levels):
            m = 0
            # full credits first, then the left and the right halves, each in reach order
            for side in range(3):
                for q in range(a, b):
                    is_b = kind[q] == boundary
                    if side == 0:
                        u = per_level[q, j]
                        if u < 0:
                            continue
                        value = length[q]
                        on_boundary = is_b and (left[q] < 0 or right[q] < 0)
                    else:
                        if not is_b or per_level[q, j] >= 0:
                            continue
                        s = left[q] if side == 1 else right[q]
                        if s < 0 or anc[s, j] < 0:
                            continue
                        u = anc[s, j]
                        value = length[q] / 2
                        on_boundary = True
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
                if (
                    best < 0
                    or totals[i] > totals[best]
                    or (totals[i] == totals[best] and u < units[best])
                ):
                    best = i
            n_units[r, j] = m
            if best >= 0:
                lead[r, j], lead_len[r, j] = units[best], totals[best]
        a = b
    return n_units, lead, lead_len, unit_len, unit_rivers, unit_reaches, unit_boundary_len
