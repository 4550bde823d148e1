"""What the maps of the atlas show, layer by layer.

* :func:`draw_overview_map`: every river coloured by its chief level over the
  units of the top two levels;
* :func:`draw_unit_map`: one unit, its parts tinted, its reaches coloured by
  the responsible unit one level down, neighbours greyed, flagged rivers
  haloed, a plan's split points marked;
* :func:`draw_responsibility_map`: the whole area coloured at one level, for
  :func:`rivermap.maps.plot_responsibility`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from rivermap.maps import _style
from rivermap.maps._atlas_canvas import Canvas, Fonts, add_lines, add_polygons, tint
from rivermap.maps._atlas_data import NO_CHIEF, OUTSIDE, AtlasData
from rivermap.maps._atlas_draw import (
    CONTEXT_RIVER,
    ChiefStyle,
    add_legend,
    centred_text,
    chief_styles,
    draw_reaches,
    draw_split_points,
    draw_units,
    label_places,
    legend_line,
    north_arrow,
    reach_legend,
    river_labels,
    scale_bar,
    tint_units,
    unit_places,
)
from rivermap.maps._atlas_text import PT_MM, em, level_name
from rivermap.text import term

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# How many river names a map shows at most (the longest rivers): the overview and
# plot_responsibility, a unit's map.
_OVERVIEW_LABELS = 40
_UNIT_MAP_LABELS = 60
# plot_responsibility names the units only when there are at most this many.
_MAX_UNIT_NAMES = 120
# Tint of the halo under flagged rivers.
_FLAG_TINT = 0.35
_NEIGHBOUR_FILL = "#e9e9e9"
_NEIGHBOUR_EDGE = "#b5b5b5"


# =================================================================== overview
def draw_overview_map(ax: Axes, c: Canvas, data: AtlasData) -> None:
    """Rivers by chief level over the top two levels' units, with names and a legend."""
    xmin, _, xmax, _ = c.fit_view(ax, data.extent())
    tol = (xmax - xmin) / 2500
    levels = data.levels
    second = data.units_at(levels[1]) if len(levels) > 1 else data.units_at(levels[0])
    tops = data.units_at(levels[0])
    draw_units(ax, second, tol, facecolors="#f7f7f2", edgecolors="#9a9a9a", linewidths=0.5)
    draw_units(ax, tops, tol, facecolors="none", edgecolors="#222222", linewidths=1.2)
    key = data.chief_keys()
    styles = chief_styles(levels, data.lang)
    _draw_rivers_by_chief(ax, data, key, styles)
    label_places(ax, *unit_places(data, second), c.fp(8), color="#333333", zorder=5)
    if len(levels) > 1 and len(tops) > 1:
        label_places(ax, *unit_places(data, tops), c.fp(11), color="#000000", zorder=5, alpha=0.6)
    with_chief = np.flatnonzero(key != NO_CHIEF)
    river_labels(ax, data, with_chief, c.fp(6.5), max_labels=_OVERVIEW_LABELS)
    handles, labels = _chief_legend(key, styles, data.lang)
    add_legend(
        ax,
        handles,
        labels,
        c.fp(7),
        title=term("atlas.chief_level", data.lang),
        title_fontproperties=c.fp(7.5),
    )
    scale_bar(ax, c.metres_per_mm(ax), c.fp(6), data.lang)
    north_arrow(ax, c.fp(8), data.lang)


def _draw_rivers_by_chief(
    ax: Axes, data: AtlasData, key: np.ndarray, styles: dict[str, ChiefStyle]
) -> None:
    """Reaches without a chief first, then the finest chief level up to the top."""
    for k in [NO_CHIEF, *reversed(list(styles))]:
        sel = np.flatnonzero(key == k)
        if len(sel) == 0:
            continue
        style = styles.get(k)
        add_lines(
            ax,
            data.reach_geoms[sel],
            colors=_style.OUTSIDE_COLOUR if style is None else style.colour,
            linewidths=0.6 if style is None else style.width,
            zorder=3,
        )


def _chief_legend(
    key: np.ndarray, styles: dict[str, ChiefStyle], lang: str
) -> tuple[list[Any], list[str]]:
    present = set(key.tolist())
    shown = [style for k, style in styles.items() if k in present]
    handles = [legend_line(color=s.colour, lw=s.width) for s in shown]
    labels = [s.label for s in shown]
    if NO_CHIEF in present:
        handles.append(legend_line(color=_style.OUTSIDE_COLOUR, lw=0.6))
        labels.append(term("atlas.outside", lang))
    return handles, labels


# ================================================================== unit map
def draw_unit_map(ax: Axes, c: Canvas, data: AtlasData, unit: str, members: np.ndarray) -> None:
    """Draw the map of ``unit`` and its reaches (positions ``members``), legend and all."""
    view = _unit_view(ax, c, data.units.geometry[unit])
    xmin, _, xmax, _ = view.bounds
    tol = (xmax - xmin) / 2500
    neighbours = _neighbours(data, unit, view)
    parts = data.parts_of(unit)
    colours = data.colour_of_units(parts)
    _draw_areas(ax, data, unit, neighbours, parts, colours, tol)
    has_context = _draw_context_reaches(ax, data, members, view)
    flagged = _draw_flagged(ax, data, members)
    key = data.colour_keys(data.sub, members)
    draw_reaches(ax, data, members, key, colours, width=1.6)
    points = _split_points(data, unit)
    plan_handle = draw_split_points(ax, points) if len(points) else None
    if data.sub != data.by:
        _label_parts(ax, c, data, parts)
    _label_neighbours(ax, c, data, neighbours, view)
    river_labels(ax, data, members, c.fp(7), max_labels=_UNIT_MAP_LABELS)
    if len(members) == 0:
        _no_rivers_note(ax, c, data.lang)
    handles, labels = reach_legend(data, key, colours, max_units=16, context=has_context)
    _add_unit_extras(handles, labels, data.lang, flagged=flagged, plan_handle=plan_handle)
    add_legend(ax, handles, labels, c.fp(6.5), ncol=2 if len(handles) > 9 else 1)
    scale_bar(ax, c.metres_per_mm(ax), c.fp(6), data.lang)
    north_arrow(ax, c.fp(8), data.lang)


def _draw_areas(
    ax: Axes,
    data: AtlasData,
    unit: str,
    neighbours: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame,
    colours: dict[str, str],
    tol: float,
) -> None:
    """Neighbours in grey, the unit's parts tinted in their colours, the unit's outline."""
    draw_units(
        ax, neighbours, tol, facecolors=_NEIGHBOUR_FILL, edgecolors=_NEIGHBOUR_EDGE, linewidths=0.6
    )
    tint_units(ax, parts, tol, colours, alpha=0.12, edgecolors="#8c8c8c", linewidths=0.4)
    outline = shapely.simplify(data.units.geometry[unit], tol)
    add_polygons(ax, [outline], facecolors="none", edgecolors="#111111", linewidths=1.4, zorder=2.5)


def _add_unit_extras(
    handles: list[Any], labels: list[str], lang: str, *, flagged: bool, plan_handle: Any
) -> None:
    """Legend entries for the flag halo and the plan's split points, when the map has them."""
    if flagged:
        handles.append(legend_line(color=_flag_halo(), lw=4.5))
        labels.append(term("ui.flagged", lang))
    if plan_handle is not None:
        handles.append(plan_handle)
        labels.append(term("atlas.plan_points", lang))


def _unit_view(ax: Axes, c: Canvas, geom: Any) -> Any:
    """Fit the axes to ``geom`` with a 4 % margin; returns the view as a box."""
    ub = shapely.bounds(geom)
    pad = 0.04 * max(ub[2] - ub[0], ub[3] - ub[1], 1.0)
    bounds = (ub[0] - pad, ub[1] - pad, ub[2] + pad, ub[3] + pad)
    return shapely.box(*c.fit_view(ax, bounds))


def _neighbours(data: AtlasData, unit: str, view: Any) -> gpd.GeoDataFrame:
    """Return the other units of level ``by`` in view."""
    level_units = data.units_at(data.by)
    near = level_units[level_units.geometry.intersects(view)]
    return near[near.index != unit]


def _draw_context_reaches(ax: Axes, data: AtlasData, members: np.ndarray, view: Any) -> bool:
    """Reaches in view that are not the unit's, in a pale blue; whether there were any."""
    in_view = data.reach_tree.query(view, predicate="intersects")
    context = np.setdiff1d(in_view, members)
    if len(context):
        add_lines(ax, data.reach_geoms[context], colors=CONTEXT_RIVER, linewidths=0.7, zorder=2.8)
    return len(context) > 0


def _flag_halo() -> tuple[float, float, float, float]:
    return tint(_style.FLAG_COLOUR, _FLAG_TINT)


def _draw_flagged(ax: Axes, data: AtlasData, members: np.ndarray) -> bool:
    """Draw a wide halo under the reaches of flagged rivers; return whether there were any."""
    flagged = np.isin(data.reach_river[members], list(data.flags))
    if flagged.any():
        add_lines(
            ax, data.reach_geoms[members[flagged]], colors=_flag_halo(), linewidths=4.5, zorder=2.9
        )
    return bool(flagged.any())


def _split_points(data: AtlasData, unit: str) -> np.ndarray:
    """Return the distinct ends (to 0.1 m) of the plan segments through ``unit``, as ``(n, 2)``."""
    idx = data.plan_segments_in(unit)
    if data.plan is None or len(idx) == 0:
        return np.empty((0, 2))
    geoms = data.plan.geometry.to_numpy()[idx]
    ends = shapely.get_coordinates(shapely.boundary(geoms))
    return np.unique(np.round(ends, 1), axis=0) if len(ends) else ends


def _label_parts(ax: Axes, c: Canvas, data: AtlasData, parts: gpd.GeoDataFrame) -> None:
    """Name the unit's parts, smaller where a name is wider than its part on paper."""
    size_mm = np.sqrt(shapely.area(parts.geometry.to_numpy())) / c.metres_per_mm(ax)
    fonts = [
        c.fp(8 if em(data.unit_label(uid)) * 8 * PT_MM < 1.3 * mm else 5.5)
        for uid, mm in zip(parts.index, size_mm, strict=True)
    ]
    label_places(ax, *unit_places(data, parts), fonts, color="#3a3a3a", zorder=4, alpha=0.9)


def _label_neighbours(
    ax: Axes, c: Canvas, data: AtlasData, neighbours: gpd.GeoDataFrame, view: Any
) -> None:
    """Name the neighbours that show at least 1 % of the view, inside the view."""
    if len(neighbours) == 0:
        return
    clipped = shapely.intersection(neighbours.geometry.to_numpy(), view)
    shown = shapely.area(clipped) > 0.01 * view.area
    label_places(
        ax,
        [data.unit_label(uid) for uid in neighbours.index[shown]],
        shapely.point_on_surface(clipped[shown]),
        c.fp(7.5),
        color="#8a8a8a",
        zorder=4,
    )


def _no_rivers_note(ax: Axes, c: Canvas, lang: str) -> None:
    note = term("atlas.no_rivers_here", lang)
    centred_text(ax, 0.5, 0.5, note, c.fp(10), color="#555555", transform=ax.transAxes)


# ========================================================= plot_responsibility
def draw_responsibility_map(ax: Axes, data: AtlasData, fp: Fonts) -> None:
    """Units at ``data.by`` tinted and named, reaches in their responsible unit's colour."""
    lang = data.lang
    lv = data.by
    units = data.units_at(lv)
    colours = data.colour_of_units(units)
    xmin, ymin, xmax, ymax = data.extent()
    span = max(xmax - xmin, ymax - ymin, 1.0)
    pad = 0.03 * span
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal", adjustable="box")
    tol = span / 3000
    tint_units(ax, units, tol, colours, alpha=0.18, edgecolors="#7a7a7a", linewidths=0.5)
    top = data.units_at(data.levels[0])
    draw_units(ax, top, tol, facecolors="none", edgecolors="#333333", linewidths=1.0)
    rows = np.arange(len(data.reaches))
    key = data.colour_keys(lv, rows)
    draw_reaches(ax, data, rows, key, colours, width=1.3)
    if len(units) <= _MAX_UNIT_NAMES:
        label_places(ax, *unit_places(data, units), fp(7), color="#444444", zorder=4)
    inside = np.flatnonzero(key != OUTSIDE)
    river_labels(ax, data, inside, fp(7), max_labels=_OVERVIEW_LABELS)
    handles, labels = reach_legend(data, key, colours, max_units=12)
    add_legend(ax, handles, labels, fp(7))
    ax.set_title(term("atlas.plot_title", lang, level=level_name(lv, lang)), fontproperties=fp(9))
    ax.set_xticks([])
    ax.set_yticks([])
