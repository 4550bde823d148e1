"""Colours and line styles of rivermap's maps, and the colouring of units.

Units of one level are coloured by colouring their adjacency graph, so that
two units that touch never share a colour; a river's reaches take the colour of
their responsible unit, and a change of colour along a river is a change of
hands. The maps' words are not here: they come from :mod:`rivermap.text`.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = [
    "AMBIGUOUS_COLOUR",
    "BOUNDARY_COLOUR",
    "CLUSTER_COLOUR",
    "FLAG_COLOUR",
    "INVALID_PATROL_COLOUR",
    "NO_STATUS_COLOUR",
    "OUTSIDE_COLOUR",
    "PALETTE",
    "PLAN_COLOUR",
    "STATUS_COLOURS",
    "UNMATCHED_COLOUR",
    "VALID_PATROL_COLOUR",
    "adjacency",
    "colour_graph",
    "colour_units",
]

#: Eight colours that stay apart on a light background and from the styles
#: below (no red, grey or black): Tableau 10 without red and grey.
PALETTE: tuple[str, ...] = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#9467bd",  # purple
    "#17becf",  # cyan
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#bcbd22",  # olive
)
#: Boundary reaches (界河段): dashed near-black.
BOUNDARY_COLOUR = "#222222"
#: Reaches outside every unit.
OUTSIDE_COLOUR = "#9e9e9e"
#: The halo under flagged rivers.
FLAG_COLOUR = "#e6194b"
#: Proposed plan segments.
PLAN_COLOUR = "#6a3d9a"
#: Ticket markers (工单) by status, in the order a ticket moves through them:
#: the open ones warm or saturated, the finished ones green.
STATUS_COLOURS: dict[str, str] = {
    "registered": "#ff7f00",  # orange: not yet handed to anyone
    "assigned": "#984ea3",  # purple
    "in_progress": "#377eb8",  # blue
    "returned": "#a65628",  # brown: sent back
    "closed": "#4daf4a",  # green
    "archived": "#1b5e20",  # dark green
}
#: A ticket without a status, or with one rivermap does not know.
NO_STATUS_COLOUR = "#9e9e9e"
#: The ring of a ticket routed to no chief (未匹配).
UNMATCHED_COLOUR = "#e41a1c"
#: The dashed ring of a ticket whose reach is ambiguous (位置存疑).
AMBIGUOUS_COLOUR = "#111111"
#: The circles that count tickets too close together to draw apart.
CLUSTER_COLOUR = "#37474f"
#: Patrol tracks that count (solid) and that do not (dashed).
VALID_PATROL_COLOUR = "#00838f"
INVALID_PATROL_COLOUR = "#c51b7d"


# ------------------------------------------------------------------ colouring
def adjacency(
    geoms: Sequence[object] | NDArray[np.object_], *, tolerance: float = 0.0
) -> NDArray[np.int64]:
    """Pairs of geometries that touch (or come within ``tolerance``), as index pairs.

    Parameters
    ----------
    geoms
        Polygons, in any CRS.
    tolerance
        Distance in the geometries' units under which two polygons count as
        neighbours; a small positive value bridges slivers between digitised
        neighbours.

    Returns
    -------
    ndarray
        Shape ``(n_pairs, 2)``, each pair once with ``i < j``.

    Examples
    --------
    >>> from shapely import box
    >>> adjacency([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)]).tolist()
    [[0, 1]]
    """
    arr = np.asarray(geoms, dtype=object)
    if len(arr) == 0:
        return np.empty((0, 2), dtype=np.int64)
    tree = shapely.STRtree(arr)
    if tolerance > 0:
        left, right = tree.query(arr, predicate="dwithin", distance=tolerance)
    else:
        left, right = tree.query(arr, predicate="intersects")
    keep = left < right
    return np.column_stack([left[keep], right[keep]]).astype(np.int64)


def colour_graph(n: int, edges: NDArray[np.int64]) -> NDArray[np.int64]:
    """Colour ``n`` vertices so that the two ends of every edge differ.

    Vertices are coloured in smallest-last order, which needs at most
    (degeneracy + 1) colours: at most 6 for a planar map of units. Among the
    colours free at a vertex the least used so far is taken, so the colours are
    balanced.

    Parameters
    ----------
    n
        Number of vertices.
    edges
        ``(m, 2)`` vertex index pairs.

    Returns
    -------
    ndarray
        A colour number per vertex, from 0.

    Examples
    --------
    >>> import numpy as np
    >>> square = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
    >>> c = colour_graph(4, square)
    >>> bool((c[square[:, 0]] != c[square[:, 1]]).all())
    True
    """
    neighbours = _neighbour_lists(n, edges)
    colours = np.full(n, -1, dtype=np.int64)
    used: list[int] = []
    for v in reversed(_smallest_last(neighbours)):
        taken = {int(colours[w]) for w in neighbours[v]}
        free = [c for c in range(len(used)) if c not in taken]
        if free:
            c = min(free, key=lambda k: (used[k], k))
        else:
            c = len(used)
            used.append(0)
        colours[v] = c
        used[c] += 1
    return colours


def _neighbour_lists(n: int, edges: NDArray[np.int64]) -> list[list[int]]:
    """Return each vertex's distinct neighbours, sorted (self-loops dropped)."""
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in np.asarray(edges, dtype=np.int64).tolist():
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    return [sorted(nb) for nb in neighbours]


def _smallest_last(neighbours: list[list[int]]) -> list[int]:
    """Return the vertices in smallest-last order: each removed at least degree, lazy heap."""
    degree = [len(nb) for nb in neighbours]
    heap = [(d, v) for v, d in enumerate(degree)]
    heapq.heapify(heap)
    removed = [False] * len(neighbours)
    order: list[int] = []
    while heap:
        d, v = heapq.heappop(heap)
        if removed[v] or d != degree[v]:
            continue
        removed[v] = True
        order.append(v)
        for w in neighbours[v]:
            if not removed[w]:
                degree[w] -= 1
                heapq.heappush(heap, (degree[w], w))
    return order


def colour_units(units: gpd.GeoDataFrame, palette: Sequence[str] = PALETTE) -> pd.Series:
    """Return a colour per unit such that touching units differ.

    Parameters
    ----------
    units
        Units of one level (``unit_id`` and polygon geometry, any CRS).
    palette
        Colours to use. Should the graph need more colours than the palette
        has (not for a map of units that tile the plane and a palette of six or
        more), colours repeat.

    Returns
    -------
    Series
        Hex colours indexed by ``unit_id``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> row = gpd.GeoDataFrame({"unit_id": ["a", "b", "c"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> c = colour_units(row)
    >>> c["a"] != c["b"] and c["b"] != c["c"]
    True
    """
    geoms = np.asarray(units.geometry.values, dtype=object)
    if len(geoms) == 0:
        return pd.Series([], index=pd.Index([], name="unit_id"), dtype=object)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    tolerance = 1e-6 * max(maxx - minx, maxy - miny, 1e-12)
    colours = colour_graph(len(geoms), adjacency(geoms, tolerance=tolerance))
    values = [palette[c % len(palette)] for c in colours.tolist()]
    return pd.Series(
        values, index=pd.Index(units["unit_id"].astype(str).to_numpy(), name="unit_id")
    )
