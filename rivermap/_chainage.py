"""Stretches of rivers by chainage: overlaying two tables of them, cutting their lines.

A *stretch* is ``(river_id, from_m, to_m)``: metres along the river, measured
in the metric CRS the engine used.

* **Overlay.** :func:`overlay` cuts two tables of stretches at every end of
  either and says which row of each covers each elementary interval. Rivers
  are laid end to end on one axis (a per-river offset added to the chainage),
  so one sort and one search serve every river.
* **Cut.** :func:`cut` cuts the lines of stretches out of the pieces that tile
  the rivers: every vertex gets its chainage (metric length along the piece,
  scaled to the piece's chainage), cut points are interpolated on the pieces'
  own coordinates, so the lines keep their CRS and vertices.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap.errors import CRSError
from rivermap.runs import EPS_M

__all__ = ["FloatArray", "IntArray", "ObjArray", "cut", "overlay"]

ObjArray = NDArray[np.object_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _river_offsets(codes: IntArray, n_rivers: int, ends: FloatArray) -> FloatArray:
    """Return where each river starts on the common axis: each river's span plus 1 m apart."""
    span = np.zeros(n_rivers)
    if len(ends):
        np.maximum.at(span, codes, ends)
    return np.concatenate([[0.0], np.cumsum(span + 1.0)[:-1]]) if n_rivers else span


def overlay(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Return the elementary intervals of two chainage tables (river_id, from_m, to_m).

    Each table's intervals must not overlap within a river.

    Returns
    -------
    DataFrame
        ``river_id``, ``from_m``, ``to_m``, ``li`` and ``ri`` (row positions in
        ``left`` and ``right``, -1 where the table does not cover the
        interval), for every interval at least one table covers.
    """
    rid = pd.concat([left["river_id"], right["river_id"]]).astype(str)
    codes, uniques = pd.factorize(rid, sort=True)
    lc, rc = codes[: len(left)], codes[len(left) :]
    ends = np.concatenate([left["to_m"].to_numpy(dtype=float), right["to_m"].to_numpy(dtype=float)])
    offset = _river_offsets(codes, len(uniques), ends)
    lf, lt = _on_axis(left, offset[lc])
    rf, rt = _on_axis(right, offset[rc])
    a, b, c = _elementary(np.concatenate([lf, lt, rf, rt]), np.concatenate([lc, lc, rc, rc]))
    mid = (a + b) / 2
    li, ri = _cover(lf, lt, mid), _cover(rf, rt, mid)
    use = (li >= 0) | (ri >= 0)
    return pd.DataFrame(
        {
            "river_id": np.asarray(uniques, dtype=object)[c[use]],
            "from_m": a[use] - offset[c[use]],
            "to_m": b[use] - offset[c[use]],
            "li": li[use],
            "ri": ri[use],
        }
    )


def _on_axis(frame: pd.DataFrame, offset: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return a table's ``from_m`` and ``to_m`` on the common axis."""
    return (
        frame["from_m"].to_numpy(dtype=float) + offset,
        frame["to_m"].to_numpy(dtype=float) + offset,
    )


def _elementary(pts: FloatArray, river: IntArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Return the intervals between consecutive distinct points of each river: (from, to, river)."""
    order = np.lexsort((pts, river))
    pts, river = pts[order], river[order]
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = (river[1:] != river[:-1]) | (pts[1:] - pts[:-1] > EPS_M)
    pts, river = pts[keep], river[keep]
    same = river[1:] == river[:-1]
    return pts[:-1][same], pts[1:][same], river[:-1][same]


def _cover(f: FloatArray, t: FloatArray, mid: FloatArray) -> IntArray:
    """Return the row of ``(f, t)`` holding each point ``mid``; -1 where none does."""
    if not len(f):
        return np.full(len(mid), -1, dtype=np.int64)
    o = np.argsort(f, kind="stable")
    pos = np.searchsorted(f[o], mid, side="right") - 1
    ok = pos >= 0
    idx = np.where(ok, o[np.clip(pos, 0, None)], -1)
    ok &= np.where(ok, t[np.clip(idx, 0, None)] > mid, False)
    return np.where(ok, idx, -1).astype(np.int64)


def cut(pieces: gpd.GeoDataFrame, queries: pd.DataFrame, metric: pyproj.CRS) -> ObjArray:
    """Cut river stretches ``queries`` (river_id, from_m, to_m) out of ``pieces``.

    ``pieces`` tile (part of) each river: ``river_id``, ``from_m``, ``to_m`` and
    line geometry in any CRS, the river between those chainages. Chainage
    within a piece is measured in ``metric`` and scaled to the piece's
    ``to_m - from_m``; cut points are interpolated on the pieces' own
    coordinates, so the result keeps their CRS and vertices.

    Returns
    -------
    ndarray
        One LineString or MultiLineString per query (None where no piece
        covers it).
    """
    out = np.full(len(queries), None, dtype=object)
    if not len(queries) or not len(pieces):
        return out
    lines = _Lines(pieces, metric)
    q, p = lines.overlapping(queries)
    if not len(q):
        return out
    return lines.cut(queries, q, p, out)


def _parts_of(geoms: ObjArray) -> tuple[ObjArray, IntArray]:
    """Return the lines' parts and the line each comes from (a LineString is its own part)."""
    single = shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING
    if single.all() and not shapely.is_empty(geoms).any():
        return geoms, np.arange(len(geoms))
    parts, piece_of = shapely.get_parts(geoms, return_index=True)
    return parts, np.asarray(piece_of, dtype=np.int64)


def _metric_xy(xy: FloatArray, parts: ObjArray, crs: pyproj.CRS, metric: pyproj.CRS) -> FloatArray:
    """Return the vertices ``xy`` (of ``parts``, in ``crs``) in the metric CRS.

    The same numbers as ``GeoSeries.to_crs`` gives (it transforms every
    vertex with this transformer, and keeps the geometries where the CRSs are
    the same), without making the geometries.
    """
    if crs.is_exact_same(metric):
        return xy
    if shapely.has_z(parts).any():  # three dimensions: as geopandas transforms them
        moved = gpd.GeoSeries(parts, crs=crs).to_crs(metric).to_numpy()
        return shapely.get_coordinates(moved)
    to_metric = pyproj.Transformer.from_crs(crs, metric, always_xy=True)
    mx, my = to_metric.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([mx, my])


class _Lines:
    """The pieces' vertices and parts with their chainage, on one axis over all rivers."""

    def __init__(self, pieces: gpd.GeoDataFrame, metric: pyproj.CRS) -> None:
        if pieces.crs is None:
            msg = "the plan's lines have no CRS"
            raise CRSError(msg)
        # pieces by river (ids as text, sorted) and chainage
        codes, runiq = pd.factorize(pieces["river_id"].astype(str), sort=True)
        lo = pieces["from_m"].to_numpy(dtype=float)
        order = np.lexsort((lo, codes))
        self.rcodes, self.runiq = codes[order], pd.Index(runiq)
        lo, hi = lo[order], pieces["to_m"].to_numpy(dtype=float)[order]
        geoms = pieces.geometry.to_numpy()[order]
        parts, self.piece_of = _parts_of(geoms)
        self.xy, part_of = shapely.get_coordinates(parts, return_index=True)
        self.mxy = _metric_xy(self.xy, parts, pieces.crs, metric)
        new_part = np.ones(len(self.xy), dtype=bool)
        new_part[1:] = part_of[1:] != part_of[:-1]
        self.chain = self._vertex_chainage(lo, hi, new_part, self.piece_of[part_of])
        # monotone key over all rivers: chainage plus a per-river offset
        self.offset = _river_offsets(self.rcodes, len(runiq), hi)
        self.key = self.chain + self.offset[self.rcodes[self.piece_of[part_of]]]
        self._parts(new_part)

    def _vertex_chainage(
        self, lo: FloatArray, hi: FloatArray, new_part: NDArray[np.bool_], vpiece: IntArray
    ) -> FloatArray:
        """Return the chainage of every vertex (parts of a piece chained without their gaps)."""
        nv = len(self.xy)
        step = np.zeros(nv)
        step[1:] = np.hypot(np.diff(self.mxy[:, 0]), np.diff(self.mxy[:, 1]))
        step[new_part] = 0.0
        cum = np.cumsum(step)
        start_of_piece = np.ones(nv, dtype=bool)
        start_of_piece[1:] = vpiece[1:] != vpiece[:-1]
        base = np.maximum.accumulate(np.where(start_of_piece, cum, -np.inf))
        along = cum - base
        plen = np.zeros(len(lo))
        starts = np.flatnonzero(start_of_piece)
        if len(starts):  # a piece's vertices are contiguous: its length is their largest
            plen[vpiece[starts]] = np.maximum(np.maximum.reduceat(along, starts), 0.0)
        scale = np.where(plen > 0, (hi - lo) / np.where(plen > 0, plen, 1.0), 0.0)
        return lo[vpiece] + along * scale[vpiece]

    def _parts(self, new_part: NDArray[np.bool_]) -> None:
        """Note each part's vertex range, chainage range and continuity with the previous part."""
        mxy = self.mxy
        self.pstart = np.flatnonzero(new_part)
        self.pend = np.r_[self.pstart[1:], len(self.xy)] - 1
        self.p_c0, self.p_c1 = self.chain[self.pstart], self.chain[self.pend]
        self.p_river = self.rcodes[self.piece_of]
        pstart, pend, p_river = self.pstart, self.pend, self.p_river
        self.joined = np.zeros(len(pstart), dtype=bool)
        self.joined[1:] = (p_river[1:] == p_river[:-1]) & (
            np.hypot(mxy[pstart[1:], 0] - mxy[pend[:-1], 0], mxy[pstart[1:], 1] - mxy[pend[:-1], 1])
            < 1e-6
        )

    def overlapping(self, queries: pd.DataFrame) -> tuple[IntArray, IntArray]:
        """Return the (query, part) pairs that overlap, by query then part."""
        q_code = self.runiq.get_indexer(pd.Index(queries["river_id"].astype(str)))
        qa = queries["from_m"].to_numpy(dtype=float)
        qb = queries["to_m"].to_numpy(dtype=float)
        left = pd.DataFrame({"q": np.arange(len(queries)), "r": q_code})
        right = pd.DataFrame({"p": np.arange(len(self.pstart)), "r": self.p_river})
        pairs = left[q_code >= 0].merge(right, on="r", how="inner")
        q = pairs["q"].to_numpy()
        p = pairs["p"].to_numpy()
        ok = (self.p_c1[p] > qa[q] + 1e-9) & (self.p_c0[p] < qb[q] - 1e-9)
        q, p = q[ok], p[ok]
        order = np.lexsort((p, q))
        return q[order], p[order]

    def _interp(self, s: IntArray, at: FloatArray) -> FloatArray:
        """Return the point at chainage ``at`` on the vertex pair starting at ``s``."""
        chain, xy = self.chain, self.xy
        d = chain[s + 1] - chain[s]
        t = np.where(d > 0, (at - chain[s]) / np.where(d > 0, d, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        return xy[s] + (xy[s + 1] - xy[s]) * t[:, None]

    def cut(self, queries: pd.DataFrame, q: IntArray, p: IntArray, out: ObjArray) -> ObjArray:
        """Fill ``out`` with the lines of the overlapping pairs ``(q, p)``, one per query."""
        qa = queries["from_m"].to_numpy(dtype=float)
        qb = queries["to_m"].to_numpy(dtype=float)
        a = np.maximum(qa[q], self.p_c0[p])
        b = np.minimum(qb[q], self.p_c1[p])
        off = self.offset[self.p_river[p]]
        v0, v1 = self.pstart[p], self.pend[p]
        i0 = np.maximum(np.searchsorted(self.key, a + off, side="right"), v0 + 1)
        i1 = np.minimum(np.searchsorted(self.key, b + off, side="left"), v1)
        i1 = np.maximum(i1, i0)
        pa = self._interp(np.clip(i0 - 1, v0, v1 - 1), a)
        pb = self._interp(np.clip(i1 - 1, v0, v1 - 1), b)
        cont = np.zeros(len(q), dtype=bool)
        cont[1:] = (q[1:] == q[:-1]) & (p[1:] == p[:-1] + 1) & self.joined[p[1:]]
        lines = self._linestrings(i0, i1, pa, pb, cont)
        return _per_query(lines, q[~cont], out)

    def _linestrings(
        self, i0: IntArray, i1: IntArray, pa: FloatArray, pb: FloatArray, cont: NDArray[np.bool_]
    ) -> ObjArray:
        """Return the lines: each pair's start, inner vertices and end; continued pairs joined."""
        n_inner = i1 - i0
        n_pts = n_inner + 2 - cont
        first = np.concatenate([[0], np.cumsum(n_pts)[:-1]])
        coords = np.empty((int(n_pts.sum()), 2))
        coords[first + n_pts - 1] = pb
        coords[first[~cont]] = pa[~cont]
        owner = np.repeat(np.arange(len(i0)), n_inner)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
        coords[first[owner] + (~cont[owner]).astype(np.int64) + k] = self.xy[i0[owner] + k]
        line_no = np.cumsum(~cont) - 1
        return shapely.linestrings(coords, indices=np.repeat(line_no, n_pts))


def _per_query(lines: ObjArray, line_q: IntArray, out: ObjArray) -> ObjArray:
    """Put each query's line into ``out``: a LineString, or a MultiLineString of several."""
    nq = len(out)
    counts = np.bincount(line_q, minlength=nq)
    single = np.flatnonzero(counts == 1)
    first_line = np.searchsorted(line_q, np.arange(nq))
    out[single] = lines[first_line[single]]
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        sel = np.isin(line_q, multi)
        _, dense = np.unique(line_q[sel], return_inverse=True)
        out[multi] = shapely.multilinestrings(lines[sel], indices=dense)
    return out
