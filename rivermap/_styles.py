"""The one style definition of rivermap's maps: colours, line styles and the colouring of units.

The web map (:mod:`rivermap.maps.web`, whose script reads the line styles from
its data), the PDF atlas and the QGIS styles written into every GeoPackage
(:mod:`rivermap._qgis`) all draw with the values here, so a unit, a boundary
reach or a flagged river looks the same in the browser, on paper and in QGIS.
:mod:`rivermap.maps._style` re-exports them for the rendering modules.

Units of one level are coloured by colouring their adjacency graph, so that
two units that touch never share a colour; a river's reaches take the colour of
their responsible unit, and a change of colour along a river is a change of
hands. Widths and dashes are in CSS pixels, as Leaflet takes them; the QGIS
styles convert them to millimetres at 96 pixels an inch. The maps' words are
not here: they come from :mod:`rivermap.text`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = [
    "AMBIGUOUS_COLOUR",
    "BOUNDARY_COLOUR",
    "CHIEF_ABOVE_COLOUR",
    "CHIEF_ABOVE_WIDTH",
    "CHIEF_LEVEL_COLOURS",
    "CLUSTER_COLOUR",
    "EVENT_MARKER",
    "FLAG_COLOUR",
    "FLAG_GRADES",
    "FLAG_HALO",
    "INVALID_PATROL_COLOUR",
    "LABEL_FONT",
    "NO_STATUS_COLOUR",
    "OUTSIDE_COLOUR",
    "PALETTE",
    "PLAN_COLOUR",
    "PLAN_STYLE",
    "REACH_STYLES",
    "RIVER_NAME_COLOUR",
    "STATUS_COLOURS",
    "UNIT_FILL_OPACITY",
    "UNIT_OUTLINE_OPACITY",
    "UNMATCHED_COLOUR",
    "VALID_PATROL_COLOUR",
    "LineStyle",
    "adjacency",
    "chief_width",
    "colour_graph",
    "colour_units",
    "flag_scale",
    "level_colours",
    "unit_outline",
    "web_styles",
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


#: The font of every Chinese label: Noto Sans CJK SC (SIL OFL 1.1, from the PyPI
#: package ``noto-cjk-sans-otc``), which the atlas embeds and the QGIS styles name.
LABEL_FONT = "Noto Sans CJK SC"
#: River names on the atlas and in QGIS.
RIVER_NAME_COLOUR = "#0b3d91"
#: Rivers by chief level, top level first (the atlas's overview, QGIS's rivers).
CHIEF_LEVEL_COLOURS: tuple[str, ...] = (
    "#b2182b",
    "#e66101",
    "#1f78b4",
    "#33a02c",
    "#6a3d9a",
    "#b15928",
)
#: Rivers whose chief sits above the top level, and their width (points on paper).
CHIEF_ABOVE_COLOUR = "#000000"
CHIEF_ABOVE_WIDTH = 2.4


@dataclass(frozen=True)
class LineStyle:
    """How a line is drawn: width and dashes in CSS pixels, opacity 0–1."""

    width: float
    opacity: float
    dash: tuple[float, ...] | None = None

    def leaflet(self) -> dict[str, Any]:
        """Return the Leaflet path options: ``weight``, ``opacity`` and ``dashArray``.

        Examples
        --------
        >>> REACH_STYLES["boundary"].leaflet()
        {'weight': 3.5, 'opacity': 0.95, 'dashArray': '7 5'}
        """
        dash = None if self.dash is None else " ".join(f"{d:g}" for d in self.dash)
        return {"weight": self.width, "opacity": self.opacity, "dashArray": dash}


#: Reaches by kind: inside a unit (in the unit's colour), boundary reaches
#: (界河段, dashed, :data:`BOUNDARY_COLOUR`) and reaches outside every unit
#: (dotted, :data:`OUTSIDE_COLOUR`).
REACH_STYLES: dict[str, LineStyle] = {
    "inside": LineStyle(3.0, 0.95),
    "boundary": LineStyle(3.5, 0.95, (7.0, 5.0)),
    "outside": LineStyle(2.0, 0.9, (2.0, 4.0)),
}
#: Plan segments: wide and light, in their unit's colour (:data:`PLAN_COLOUR` without one).
PLAN_STYLE = LineStyle(8.0, 0.45)
#: The halo of a flagged river when no river has a severity (every halo alike).
FLAG_HALO = LineStyle(8.0, 0.35)
#: The halo of a flagged river by grade, ``(colour, width px, opacity)``: below the
#: default threshold, from it, from the next stop up, and from the one after that
#: (see :func:`flag_scale`). Darker, wider and more opaque as severity grows.
FLAG_GRADES: tuple[tuple[str, int, float], ...] = (
    ("#f4a6b7", 4, 0.4),
    ("#e6194b", 6, 0.35),
    ("#c0102e", 9, 0.45),
    ("#7a0016", 12, 0.5),
)
#: The share of flagged rivers at or above the default threshold, before rounding it down.
_FLAG_DEFAULT_QUANTILE = 0.75
#: Ticket markers (工单) on the web map and in QGIS: radius and ring width (px) of a
#: routed ticket (white ring), of one routed to no chief (:data:`UNMATCHED_COLOUR`
#: ring) and of one whose reach is ambiguous (dashed :data:`AMBIGUOUS_COLOUR` ring).
EVENT_MARKER: dict[str, Any] = {
    "radius": 6.0,
    "ring": 1.2,
    "unmatched_radius": 7.0,
    "unmatched_ring": 3.0,
    "ambiguous_ring": 2.0,
    "ambiguous_dash": "3 2",
    "fill_opacity": 0.92,
}
#: Unit outlines: their opacity, and the fill of the units of the coloured level.
UNIT_OUTLINE_OPACITY = 0.85
UNIT_FILL_OPACITY = 0.10


def unit_outline(i: int, depth: int) -> tuple[str, float]:
    """Return the outline colour and width (px) of level number ``i`` of ``depth`` levels.

    The top level is darkest and widest, the finest lightest and thinnest.

    Examples
    --------
    >>> unit_outline(0, 3), unit_outline(2, 3)
    (('#333333', 2.6), ('#999999', 1.0))
    """
    shade = int(0x33 + (0x99 - 0x33) * (i / max(depth - 1, 1)))
    return f"#{shade:02x}{shade:02x}{shade:02x}", round(2.6 - 1.6 * i / max(depth - 1, 1), 2)


def chief_width(i: int) -> float:
    """Return the width (points on paper) of the rivers whose chief level is number ``i``.

    Examples
    --------
    >>> chief_width(0), chief_width(5)
    (2.0, 0.8)
    """
    return max(2.0 - 0.45 * i, 0.8)


def web_styles() -> dict[str, Any]:
    """Return the line styles as the web map's script reads them (Leaflet options).

    Examples
    --------
    >>> web_styles()["outside"]["dashArray"], web_styles()["plan"]["weight"]
    ('2 4', 8.0)
    """
    styles = {kind: style.leaflet() for kind, style in REACH_STYLES.items()}
    return styles | {
        "plan": PLAN_STYLE.leaflet(),
        "halo": FLAG_HALO.leaflet(),
        "unit": {"opacity": UNIT_OUTLINE_OPACITY, "fill": UNIT_FILL_OPACITY},
    }


# ---------------------------------------------------------------- flag halos
def flag_scale(severities: Sequence[float]) -> dict[str, Any] | None:
    """Return the threshold stops, the default threshold and the grades of a map's flag halos.

    The map halos only the flagged rivers whose ``severity`` (see
    :func:`rivermap.flags`) is at least a threshold the reader sets with a
    slider; ``stops`` are its positions: 0 (every flagged river) and the
    values 1, 2 and 5 times a power of ten from the least severity (or the
    default, if lower; at most two powers of ten below it) up to the
    greatest. The default
    ``threshold`` is the upper quartile of the severities rounded down to such
    a value, so that about a quarter to a third of the flagged rivers are
    haloed when the page opens (10 on the demo and on all of China at
    district level: 4 of 11 rivers, and 452 of 2,983). ``grades`` are
    ``[lowest severity, colour, width, opacity]``: below the default, from
    it, and from the next two stops up (10, 20 and 50 when the default is 10).

    None when no river has a positive severity: the map then halos every
    flagged river alike (:data:`FLAG_HALO`) and shows no slider.

    Examples
    --------
    >>> s = flag_scale([24.0, 18.3, 14.6, 13.6, 7.4, 6.2, 3.9, 2.2, 1.5])
    >>> s["stops"], s["threshold"], [g[0] for g in s["grades"]]
    ([0, 1.0, 2.0, 5.0, 10.0, 20.0], 10.0, [0, 10.0, 20.0, 50.0])
    >>> flag_scale([0.12, 0.4, 0.05])["threshold"], flag_scale([]) is None
    (0.2, True)
    """
    values = np.asarray([v for v in severities if v is not None and math.isfinite(v)], dtype=float)
    positive = values[values > 0]
    if not len(positive):
        return None
    quartile = float(np.quantile(values, _FLAG_DEFAULT_QUANTILE))
    default = _nice_floor(quartile if quartile > 0 else float(positive.min()))
    stop = max(min(_nice_floor(float(positive.min())), default), _nice_floor(default / 100))
    stops: list[float] = [0]
    while stop <= positive.max():
        stops.append(stop)
        stop = _nice_next(stop)
    breaks = [0, default, _nice_next(default), _nice_next(_nice_next(default))]
    grades = [[b, *style] for b, style in zip(breaks, FLAG_GRADES, strict=True)]
    return {"stops": stops, "threshold": default, "grades": grades}


def _nice_floor(x: float) -> float:
    """Return the greatest 1, 2 or 5 times a power of ten that is at most ``x`` (> 0).

    >>> _nice_floor(14.6), _nice_floor(165.0), _nice_floor(0.43), _nice_floor(5.0)
    (10.0, 100.0, 0.2, 5.0)
    """
    e = math.floor(math.log10(x))
    if float(f"1e{e + 1}") <= x:  # log10 rounded down just at a power of ten
        e += 1
    for m in (5, 2, 1):
        v = float(f"{m}e{e}")
        if v <= x:
            return v
    return float(f"5e{e - 1}")  # log10 rounded up just below a power of ten


def _nice_next(v: float) -> float:
    """Return the next 1, 2 or 5 times a power of ten after such a value.

    >>> _nice_next(1.0), _nice_next(2.0), _nice_next(5.0), _nice_next(0.5)
    (2.0, 5.0, 10.0, 1.0)
    """
    mantissa, exponent = f"{v:e}".split("e")
    m, e = round(float(mantissa)), int(exponent)
    return float(f"2e{e}") if m == 1 else float(f"5e{e}") if m == 2 else float(f"1e{e + 1}")


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


def level_colours(units: gpd.GeoDataFrame, level: str) -> pd.Series:
    """Return the colour of every unit of ``level`` as the web map gives it.

    The web map colours the units of its level in display degrees (EPSG:4326);
    so does this, whatever the units' CRS, so that a unit has the same palette
    colour on the map, in the atlas and in QGIS.

    Parameters
    ----------
    units
        Units of every level (``unit_id``, ``level`` and polygons, with a CRS).
    level
        The level to colour.

    Returns
    -------
    Series
        Hex colours of :data:`PALETTE` indexed by ``unit_id``.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> colours = level_colours(resp.units, "city")
    >>> len(colours), set(colours) <= set(PALETTE)
    (11, True)
    """
    at = units.loc[units["level"].astype(str) == level]
    if at.crs is not None and not at.crs.equals("EPSG:4326"):
        at = at.to_crs(4326)
    return colour_units(at)
