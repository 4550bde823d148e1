"""Map drawing helpers of the atlas: units, reaches, names, legends, scale bar, north arrow.

Each helper draws one kind of thing on a map axes in the drawing CRS
(metres); what a map shows and in which order is decided in
:mod:`rivermap.maps._atlas_maps`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap.maps import _style
from rivermap.maps._atlas_canvas import add_lines, add_polygons, tint
from rivermap.maps._atlas_data import BOUNDARY, OUTSIDE, AtlasData
from rivermap.maps._atlas_text import level_name, sentence_case
from rivermap.text import chief_title, term

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

#: Colour of reaches near a unit that are not its own.
CONTEXT_RIVER = "#8fa9c4"
RIVER_NAME_COLOUR = _style.RIVER_NAME_COLOUR
_DASH = (0, (3, 2))


# ====================================================================== units
def draw_units(
    ax: Axes,
    units: gpd.GeoDataFrame,
    tol: float,
    *,
    facecolors: Any,
    edgecolors: str,
    linewidths: float,
    zorder: float = 1.0,
) -> None:
    """Draw the outlines of ``units``, simplified to ``tol`` metres."""
    add_polygons(
        ax,
        shapely.simplify(units.geometry.to_numpy(), tol),
        facecolors=facecolors,
        edgecolors=edgecolors,
        linewidths=linewidths,
        zorder=zorder,
    )


def tint_units(
    ax: Axes,
    units: gpd.GeoDataFrame,
    tol: float,
    colours: dict[str, str],
    *,
    alpha: float,
    edgecolors: str,
    linewidths: float,
) -> None:
    """Fill ``units`` with a light tint (``alpha`` over white) of their colour in ``colours``."""
    draw_units(
        ax,
        units,
        tol,
        facecolors=[tint(colours[u], alpha) for u in units.index],
        edgecolors=edgecolors,
        linewidths=linewidths,
    )


def unit_places(data: AtlasData, units: gpd.GeoDataFrame) -> tuple[list[str], np.ndarray]:
    """Return the names of ``units`` as drawn and a point inside each, for :func:`label_places`."""
    names = [data.unit_label(uid) for uid in units.index]
    return names, shapely.point_on_surface(units.geometry.to_numpy())


def label_places(
    ax: Axes,
    names: Sequence[str],
    points: np.ndarray,
    font: FontProperties | Sequence[FontProperties],
    *,
    color: str,
    zorder: float,
    alpha: float | None = None,
) -> None:
    """Write ``names`` centred on shapely ``points``; ``font`` may be one per name."""
    fonts = font if isinstance(font, Sequence) else [font] * len(names)
    for name, pt, fp in zip(names, points, fonts, strict=True):
        centred_text(ax, pt.x, pt.y, name, fp, color=color, zorder=zorder, alpha=alpha)


def centred_text(
    ax: Axes, x: float, y: float, s: str, font: FontProperties, *, va: str = "center", **kwargs: Any
) -> None:
    """Text centred on ``x`` (and by default on ``y``), taken literally (no mathtext)."""
    ax.text(x, y, s, fontproperties=font, ha="center", va=va, parse_math=False, **kwargs)


# ==================================================================== reaches
def draw_reaches(
    ax: Axes,
    data: AtlasData,
    rows: np.ndarray,
    key: np.ndarray,
    colours: dict[str, str],
    *,
    width: float,
) -> None:
    """Draw reaches ``rows`` by colour key: units' colours, boundary dashed, outside grey."""
    geoms = data.reach_geoms[rows]
    outside = key == OUTSIDE
    boundary = key == BOUNDARY
    plain = ~outside & ~boundary
    if outside.any():
        add_lines(
            ax, geoms[outside], colors=_style.OUTSIDE_COLOUR, linewidths=width * 0.6, zorder=3
        )
    if plain.any():
        cols = [colours.get(str(k), _style.PALETTE[0]) for k in key[plain]]
        add_lines(ax, geoms[plain], colors=cols, linewidths=width, zorder=3.2)
    if boundary.any():
        add_lines(ax, geoms[boundary], colors="#ffffff", linewidths=width * 1.2, zorder=3.3)
        add_lines(
            ax,
            geoms[boundary],
            colors=_style.BOUNDARY_COLOUR,
            linewidths=width,
            zorder=3.4,
            linestyles=_DASH,
        )


def river_labels(
    ax: Axes,
    data: AtlasData,
    rows: np.ndarray,
    font: FontProperties,
    *,
    max_labels: int,
    color: str = RIVER_NAME_COLOUR,
) -> None:
    """Name each river once, along its longest reach among ``rows``, reading upright.

    Only the ``max_labels`` longest rivers are named, none whose reach is
    shorter than 4 % of the map's width, and no unnamed river (those are in the
    tables only).
    """
    from matplotlib import patheffects

    if len(rows) == 0:
        return
    geoms = data.reach_geoms[rows]
    frame = pd.DataFrame(
        {
            "pos": np.arange(len(rows)),
            "river": data.reach_river[rows],
            "length": shapely.length(geoms),
        }
    )
    frame = frame[~frame["river"].isin(data.unnamed)]
    best = frame.sort_values("length", ascending=False).drop_duplicates("river")
    best = best.head(max_labels)
    xmin, xmax = ax.get_xlim()
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for pos, rid in zip(best["pos"].to_numpy(), best["river"].to_numpy(), strict=True):
        line = geoms[pos]
        if shapely.length(line) < 0.04 * (xmax - xmin):
            continue
        x, y, angle = _label_anchor(line)
        ax.text(
            x,
            y,
            data.river_label(str(rid)),
            fontproperties=font,
            color=color,
            rotation=angle,
            rotation_mode="anchor",
            transform_rotates_text=True,
            ha="center",
            va="bottom",
            path_effects=halo,
            parse_math=False,
            zorder=7,
            clip_on=True,
        )


def _label_anchor(line: Any) -> tuple[float, float, float]:
    """Return the middle of ``line`` and its direction there, in degrees turned to read upright."""
    p = shapely.line_interpolate_point(line, [0.45, 0.5, 0.55], normalized=True)
    xy = shapely.get_coordinates(p)
    dx, dy = xy[2] - xy[0]
    angle = math.degrees(math.atan2(dy, dx))
    if angle > 90:
        angle -= 180
    elif angle <= -90:
        angle += 180
    return xy[1, 0], xy[1, 1], angle


def draw_split_points(ax: Axes, points: np.ndarray) -> Any:
    """Mark a plan's split points (an ``(n, 2)`` array); returns their legend handle."""
    ax.scatter(
        points[:, 0],
        points[:, 1],
        s=14,
        marker="o",
        facecolors="white",
        edgecolors=_style.PLAN_COLOUR,
        linewidths=1.0,
        zorder=6,
    )
    return legend_line(
        ls="none",
        marker="o",
        markerfacecolor="white",
        markeredgecolor=_style.PLAN_COLOUR,
        markersize=4,
    )


# ==================================================================== legends
def legend_line(**style: Any) -> Any:
    """Return a legend handle: a line (or marker) drawn with ``style``."""
    from matplotlib.lines import Line2D

    return Line2D([], [], **style)


def add_legend(
    ax: Axes, handles: list[Any], labels: list[str], font: FontProperties, **kwargs: Any
) -> None:
    """Add a legend at the lower right, when there is anything to explain."""
    if handles:
        ax.legend(handles, labels, prop=font, loc="lower right", framealpha=0.9, **kwargs)


def reach_legend(
    data: AtlasData,
    key: np.ndarray,
    colours: dict[str, str],
    *,
    max_units: int,
    context: bool = False,
) -> tuple[list[Any], list[str]]:
    """Legend entries for reaches coloured by ``key``: the units present, then the rest."""
    lang = data.lang
    present = list(dict.fromkeys(str(k) for k in key))
    units = sorted((k for k in present if not k.startswith("<")), key=data.unit_label)
    handles: list[Any] = []
    labels: list[str] = []
    for u in units[:max_units]:
        handles.append(legend_line(color=colours.get(u, _style.PALETTE[0]), lw=2))
        labels.append(data.unit_label(u))
    if len(units) > max_units:
        handles.append(legend_line(lw=0))
        labels.append(term("atlas.more_units", lang, n=len(units) - max_units))
    if BOUNDARY in present:
        handles.append(legend_line(color=_style.BOUNDARY_COLOUR, lw=1.6, ls=_DASH))
        labels.append(term("atlas.boundary_shared", lang))
    if OUTSIDE in present:
        handles.append(legend_line(color=_style.OUTSIDE_COLOUR, lw=1.0))
        labels.append(term("atlas.outside", lang))
    if context:
        handles.append(legend_line(color=CONTEXT_RIVER, lw=0.8))
        labels.append(term("atlas.other_reaches", lang))
    return handles, labels


@dataclass(frozen=True)
class ChiefStyle:
    """How the overview draws the rivers of one chief level."""

    colour: str
    width: float
    label: str


def chief_styles(levels: Sequence[str], lang: str) -> dict[str, ChiefStyle]:
    """Per chief level (``"above:<top>"`` first, then top to bottom), its line style."""
    top = levels[0]
    styles = {
        f"above:{top}": ChiefStyle(
            _style.CHIEF_ABOVE_COLOUR,
            _style.CHIEF_ABOVE_WIDTH,
            term("atlas.above", lang, level=level_name(top, lang)),
        )
    }
    for i, lv in enumerate(levels):
        styles[lv] = ChiefStyle(
            _style.CHIEF_LEVEL_COLOURS[i % len(_style.CHIEF_LEVEL_COLOURS)],
            _style.chief_width(i),
            sentence_case(chief_title(lv, lang), lang),
        )
    return styles


# ================================================================ map furniture
def nice_length(x: float) -> float:
    """Return the largest 1, 2 or 5 × 10ⁿ not above ``x`` (1 for nothing).

    Examples
    --------
    >>> nice_length(3700.0), nice_length(0.0)
    (2000.0, 1.0)
    """
    if x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    base = x / 10**exp
    step = 1.0 if base < 2 else 2.0 if base < 5 else 5.0
    return float(step * 10**exp)


def scale_bar(ax: Axes, per_mm: float, font: FontProperties, lang: str) -> None:
    """Draw a four-part scale bar at the lower left; ``per_mm`` is metres per mm of paper."""
    from matplotlib.patches import Rectangle

    xmin, xmax = ax.get_xlim()
    ymin, _ = ax.get_ylim()
    length = nice_length((xmax - xmin) * 0.2)
    x0 = xmin + 5 * per_mm
    y0 = ymin + 6 * per_mm
    h = 1.2 * per_mm
    ax.add_patch(
        Rectangle(
            (x0 - 2.5 * per_mm, y0 - 4.2 * per_mm),
            length + 5 * per_mm,
            h + 8.2 * per_mm,
            facecolor="white",
            edgecolor="none",
            alpha=0.8,
            zorder=7.5,
        )
    )
    for k in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + k * length / 4, y0),
                length / 4,
                h,
                facecolor="black" if k % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.5,
                zorder=8,
            )
        )
    km = length >= 1000
    scale = 1000.0 if km else 1.0
    for v in (0.0, length / 2, length):
        tick = f"{v / scale:g}"
        centred_text(ax, x0 + v, y0 + h + 0.8 * per_mm, tick, font, va="bottom", zorder=8)
    unit = term("atlas.km" if km else "atlas.m", lang)
    centred_text(ax, x0 + length / 2, y0 - 0.8 * per_mm, unit, font, va="top", zorder=8)


def north_arrow(ax: Axes, font: FontProperties, lang: str) -> None:
    """Draw an arrow pointing up at the top right, with "北" / "N" under it."""
    ax.annotate(
        "",
        xy=(0.96, 0.96),
        xytext=(0.96, 0.88),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2, "mutation_scale": 12},
        zorder=8,
    )
    north = term("atlas.north", lang)
    centred_text(ax, 0.96, 0.865, north, font, va="top", zorder=8, transform=ax.transAxes)
