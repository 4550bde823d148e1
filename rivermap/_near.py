"""Points near reaches: nearest reach, distance, chainage and bank, in numpy.

Routing a million reports, or judging a month of patrol tracks, asks the same
question of many points: *which reaches lie within so many metres, how far,
where along them, and on which bank*. GEOS answers it one point and one line at
a time (``distance``, ``line_locate_point``), which costs microseconds per call
on long lines. :class:`ReachIndex` answers it for all points at once:

1. every reach is split into its straight segments (``a`` → ``b``), each
   knowing its reach and the distance along the reach at ``a`` (parts of a
   MultiLineString follow each other, as :func:`shapely.line_locate_point`
   measures them);
2. the segments whose boxes meet the box of the point ± the radius are the
   candidates: looked up in a grid of 1 km cells (each segment listed in every
   cell its box, grown by the radius, touches), or for a radius over 1 km in
   one :class:`shapely.STRtree` query of boxes; no exact test in GEOS;
3. numpy projects each point on its candidate segments: the foot of the
   perpendicular (clamped to the segment) gives the distance and the position
   along the reach, and the sign of the cross product of the segment's
   direction and the offset gives the bank (+1 left, -1 right, facing the
   direction of the line);
4. per point and reach, the nearest segment answers.

Distances are measured in a metric CRS and divided by the projection's local
scale factor at the point (:func:`metric_points`), so that a radius means
metres on the ground even when one projection spans all of China.

Examples
--------
>>> from shapely import LineString
>>> index = ReachIndex.of(np.array([LineString([(0, 0), (100, 0)])], dtype=object))
>>> index.near(np.array([[30.0, 5.0], [50.0, -20.0]]), np.ones(2), np.full(2, 10.0))
   point  reach  dist  along  sign
0      0      0   5.0   30.0   1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap._arrays import argmin_per
from rivermap.crs import metric_crs

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["GRID_M", "ReachIndex", "box_pairs", "metric_crs_of", "metric_points"]


@dataclass(frozen=True)
class ReachIndex:
    """Every straight segment of every reach, for exact point-to-line arithmetic in numpy.

    ``start`` is the distance along the reach (metric CRS) at ``a``: along a
    MultiLineString, parts follow each other as :func:`shapely.line_locate_point`
    measures them.
    """

    a: np.ndarray  # (n, 2) first points
    b: np.ndarray  # (n, 2) second points
    reach: np.ndarray  # the reach of each segment
    start: np.ndarray  # distance along the reach at a
    tree: shapely.STRtree

    @classmethod
    def of(cls, geoms: np.ndarray) -> ReachIndex:
        """Split the reaches' lines into segments and index them."""
        parts, reach = shapely.get_parts(geoms, return_index=True)
        coords, part = shapely.get_coordinates(parts, return_index=True)
        same = part[1:] == part[:-1]
        a, b, seg_part = coords[:-1][same], coords[1:][same], part[:-1][same]
        length = np.hypot(*(b - a).T)
        before = np.cumsum(length) - length  # all segments before this one
        first_seg = np.searchsorted(seg_part, seg_part)
        part_len = np.bincount(seg_part, weights=length, minlength=len(parts))
        part_before = np.cumsum(part_len) - part_len
        first_part = np.searchsorted(reach, reach)
        offset = part_before - part_before[first_part]  # earlier parts of the same reach
        start = before - before[first_seg] + offset[seg_part]
        tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
        return cls(a, b, reach[seg_part].astype(np.int64), start, tree)

    def project(self, xy: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return distance, distance along the reach, and side (+1 left, -1 right) of xy on seg."""
        a, d = self.a[seg], self.b[seg] - self.a[seg]
        rel = xy - a
        sq = (d * d).sum(axis=1)
        t = np.clip(
            np.divide((rel * d).sum(axis=1), sq, out=np.zeros(len(seg)), where=sq > 0), 0, 1
        )
        dist = np.hypot(*(rel - t[:, None] * d).T)
        cross = d[:, 0] * rel[:, 1] - d[:, 1] * rel[:, 0]
        return dist, self.start[seg] + t * np.sqrt(sq), np.sign(cross)

    def near(self, xy: np.ndarray, scale: np.ndarray, within: np.ndarray) -> pd.DataFrame:
        """Return the reaches within ``within`` metres (on the ground) of each point.

        Parameters
        ----------
        xy
            The points, ``(n, 2)`` in the index's metric CRS.
        scale
            The projection's scale at each point (:func:`metric_points`).
        within
            The radius for each point, in metres on the ground.

        Returns
        -------
        DataFrame
            One row per point and reach within reach: ``point`` (row of
            ``xy``), ``reach``, ``dist`` (m on the ground), ``along`` (distance
            along the reach in the metric CRS, to its nearest segment's foot)
            and ``sign`` (+1 left, -1 right, 0 on the line), from the reach's
            nearest segment (ties: the first).
        """
        i, seg = self.candidates(xy, within * scale)
        dist, along, sign = self.project(xy[i], seg)
        dist = dist / scale[i]
        keep = dist <= within[i]
        point, reach, seg = i[keep], self.reach[seg[keep]], seg[keep]
        key = point * np.int64(self.reach.max(initial=0) + 1) + reach
        first = argmin_per(key, dist[keep], seg)
        return pd.DataFrame(
            {"point": point[first], "reach": reach[first], "dist": dist[keep][first],
             "along": along[keep][first], "sign": sign[keep][first]}
        )  # fmt: skip

    def candidates(self, xy: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (point, segment) for every segment whose box meets the box ``radius`` round xy.

        Points whose radius is at most :data:`GRID_M` are looked up in a grid of
        cells of that size, in which each segment is listed in every cell its
        box, grown by the largest such radius, touches: one sort and two
        binary searches, no geometry made. Others go through the STRtree.
        """
        small = radius <= GRID_M
        grid = np.flatnonzero(small)
        i, seg = _grid_pairs(self.a, self.b, xy[grid], radius[grid])
        rest = np.flatnonzero(~small)
        k, tseg = box_pairs(self.tree, xy[rest], radius[rest])
        return np.concatenate([grid[i], rest[k]]), np.concatenate([seg, tseg])


#: The cell of the grid :meth:`ReachIndex.candidates` looks points up in (m).
GRID_M = 1000.0


def _grid_pairs(
    a: np.ndarray, b: np.ndarray, xy: np.ndarray, radius: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (point, segment) pairs whose boxes meet, through a grid of GRID_M cells."""
    if not len(xy):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    grow = float(radius.max())
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    c0 = np.floor((lo - grow) / GRID_M).astype(np.int64)
    c1 = np.floor((hi + grow) / GRID_M).astype(np.int64)
    nx, ny = c1[:, 0] - c0[:, 0] + 1, c1[:, 1] - c0[:, 1] + 1
    count = nx * ny
    owner = np.repeat(np.arange(len(a)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    keys = (c0[owner, 0] + k % nx[owner]) * (1 << 32) + (c0[owner, 1] + k // nx[owner])
    order = np.argsort(keys, kind="stable")
    keys, owner = keys[order], owner[order]
    cell = np.floor(xy / GRID_M).astype(np.int64)
    at = cell[:, 0] * (1 << 32) + cell[:, 1]
    first = np.searchsorted(keys, at, "left")
    n = np.searchsorted(keys, at, "right") - first
    i = np.repeat(np.arange(len(xy)), n)
    seg = owner[np.repeat(first - np.cumsum(n) + n, n) + np.arange(n.sum())]
    r = radius[i]
    meets = (
        (xy[i, 0] + r >= lo[seg, 0])
        & (xy[i, 0] - r <= hi[seg, 0])
        & (xy[i, 1] + r >= lo[seg, 1])
        & (xy[i, 1] - r <= hi[seg, 1])
    )
    return i[meets], seg[meets]


def metric_crs_of(resp: Responsibility) -> pyproj.CRS:
    """Return the metric CRS assign used, or one chosen for the reaches."""
    stored = (resp.summary or {}).get("metric_crs")
    return pyproj.CRS.from_user_input(stored) if stored else metric_crs(resp.reaches)


def metric_points(geoms: np.ndarray, src: Any, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Return the coordinates of points projected from ``src`` to ``crs``, and the scale at each.

    Missing or empty points are rows of NaN (scale 1). Dividing a distance
    measured in ``crs`` near a point by its scale gives metres on the ground,
    so one projection serves data as wide as China. Coordinates go through
    :class:`pyproj.Transformer` as arrays; no geometry is made.

    Returns
    -------
    tuple of ndarray
        ``(xy, scale)``: ``(n, 2)`` coordinates in ``crs`` and ``(n,)`` scales.
    """
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    xy = np.full((len(geoms), 2), np.nan)
    scale = np.ones(len(geoms))
    if not ok.any():
        return xy, scale
    lonlat = shapely.get_coordinates(geoms[ok])
    source = pyproj.CRS.from_user_input(src)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    if not source.equals(pyproj.CRS.from_epsg(4326)):
        lon, lat = pyproj.Transformer.from_crs(source, 4326, always_xy=True).transform(lon, lat)
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    xy[ok] = np.column_stack([x, y])
    if crs.is_projected:
        factors = pyproj.Proj(crs).get_factors(lon, lat)
        k = (np.asarray(factors.meridional_scale) + np.asarray(factors.parallel_scale)) / 2
        scale[ok] = np.where(np.isfinite(k) & (k > 0), k, 1.0)
    return xy, scale


def box_pairs(
    tree: shapely.STRtree, xy: np.ndarray, radius: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (row of xy, tree item) for items whose box meets the box of ``radius`` around xy.

    Only boxes are compared (no exact geometry test in GEOS): the caller
    measures the pairs exactly with numpy, which is faster for points.
    """
    boxes = shapely.box(xy[:, 0] - radius, xy[:, 1] - radius, xy[:, 0] + radius, xy[:, 1] + radius)
    i, j = tree.query(boxes)
    return i.astype(np.int64), j.astype(np.int64)
