"""Colours, line styles and the bilingual labels of rivermap's maps.

Units of one level are coloured by colouring their adjacency graph, so that
two units that touch never share a colour; a river's reaches take the colour of
their responsible unit, and a change of colour along a river is a change of
hands. Every piece of user-interface text has a Chinese and an English form.
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
    "BOUNDARY_COLOUR",
    "FLAG_COLOUR",
    "OUTSIDE_COLOUR",
    "PALETTE",
    "PLAN_COLOUR",
    "adjacency",
    "colour_graph",
    "colour_units",
    "level_label",
    "reason_label",
    "text",
    "ui_texts",
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

_LEVELS_ZH = {
    "country": "国家",
    "province": "省",
    "city": "市",
    "prefecture": "地级市",
    "district": "区县",
    "county": "县",
    "street": "乡镇街道",
    "township": "乡镇",
    "town": "镇",
    "community": "村社区",
    "village": "村",
    "wahlkreis": "选区",
    "gemeinde": "市镇",
}

_REASONS = {
    "crosses": ("跨单位", "crosses units"),
    "boundary": ("界河", "runs along a boundary"),
    "reenters": ("出而复入", "leaves and re-enters"),
    "slivers": ("碎段", "slivers"),
}

#: User-interface text: key -> (Chinese, English).
_TEXT: dict[str, tuple[str, str]] = {
    "rivers": ("河流（按责任单位着色）", "Rivers (coloured by responsible unit)"),
    "flagged": ("需调整的河流", "Flagged rivers"),
    "plan": ("调整方案河段", "Proposed segments"),
    "units": ("行政区", "units"),
    "labels": ("名称", "labels"),
    "river": ("河流", "River"),
    "reach": ("河段", "Reach"),
    "km": ("公里", "km"),
    "from_to": ("起止", "From–to"),
    "length": ("长度", "Length"),
    "responsible": ("责任单位", "Responsible unit"),
    "boundary_reach": ("界河段", "Boundary reach"),
    "left_bank": ("左岸", "Left bank"),
    "right_bank": ("右岸", "Right bank"),
    "outside": ("区域外", "Outside all units"),
    "chief": ("河长", "Chief"),
    "chiefs": ("河长", "Chiefs"),
    "phone": ("电话", "Phone"),
    "flag": ("问题", "Flag"),
    "units_along": ("沿途单位", "Units along the river"),
    "share": ("占比", "Share"),
    "reasons": ("原因", "Reasons"),
    "severity": ("严重程度", "Severity"),
    "proposal": ("建议", "Proposal"),
    "handovers": ("交接次数", "Hand-overs"),
    "segment": ("方案河段", "Segment"),
    "search": ("搜索河流或行政区…", "Search a river or unit…"),
    "no_match": ("无匹配结果", "No match"),
    "legend": ("图例", "Legend"),
    "legend_colour": ("相邻单位颜色不同", "neighbouring units differ"),
    "legend_styles": ("河流样式", "River styles"),
    "legend_units": ("责任单位颜色", "Responsible-unit colours"),
    "legend_collapse": ("收起", "Hide"),
    "legend_expand": ("展开", "Show"),
    "legend_collapse_hint": ("收起单位颜色列表", "Hide the list of unit colours"),
    "legend_expand_hint": ("展开单位颜色列表", "Show the list of unit colours"),
    "more": ("其余", "more"),
    "fullscreen": ("全屏", "Full screen"),
    "exit_fullscreen": ("退出全屏", "Exit full screen"),
    "level": ("级别", "Level"),
    "none": ("无", "none"),
    "unknown": ("未知", "unknown"),
}


def text(key: str, lang: str) -> str:
    """The user-interface text ``key`` in ``lang`` (``"zh"`` or ``"en"``).

    Examples
    --------
    >>> text("river", "zh"), text("river", "en")
    ('河流', 'River')
    """
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def ui_texts(lang: str) -> dict[str, str]:
    """Every user-interface text in ``lang``, by key (sent to the map's script)."""
    return {key: text(key, lang) for key in _TEXT}


def level_label(level: str, lang: str) -> str:
    """A level's display name: the Chinese name of a known level, else the level itself.

    Examples
    --------
    >>> level_label("district", "zh"), level_label("district", "en"), level_label("ward", "zh")
    ('区县', 'district', 'ward')
    """
    if lang == "zh":
        return _LEVELS_ZH.get(level.lower(), level)
    return level


def reason_label(reason: str, lang: str) -> str:
    """A flag reason (``crosses``, ``boundary``, ``reenters``, ``slivers``) for display.

    Examples
    --------
    >>> reason_label("boundary", "zh"), reason_label("reenters", "en")
    ('界河', 'leaves and re-enters')
    >>> reason_label("other", "zh")
    'other'
    """
    zh_en = _REASONS.get(reason.strip())
    if zh_en is None:
        return reason.strip()
    return zh_en[0] if lang == "zh" else zh_en[1]


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
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in np.asarray(edges, dtype=np.int64).tolist():
        if a != b:
            neighbours[a].append(b)
            neighbours[b].append(a)
    degree = [len(set(nb)) for nb in neighbours]
    neighbours = [sorted(set(nb)) for nb in neighbours]
    # smallest-last ordering with a lazy heap
    heap = [(d, v) for v, d in enumerate(degree)]
    heapq.heapify(heap)
    removed = [False] * n
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
    colours = np.full(n, -1, dtype=np.int64)
    used: list[int] = []
    for v in reversed(order):
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


def colour_units(units: gpd.GeoDataFrame, palette: Sequence[str] = PALETTE) -> pd.Series:
    """A colour per unit such that touching units differ.

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
