"""Drawing primitives of the atlas: a page in millimetres, and geometries as collections.

:class:`Canvas` places text, rectangles, rules and map axes on a figure in
millimetres from the bottom-left corner of the paper, every text in the
atlas's font. :func:`add_polygons` and :func:`add_lines` draw arrays of shapely
geometries as one matplotlib collection each. matplotlib is imported where it
is used, so importing the atlas stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

_TYPE_LINESTRING = 1
_TYPE_POLYGON = 3


class Fonts:
    """The font file at every size used, one :class:`FontProperties` per size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sizes: dict[float, FontProperties] = {}

    def __call__(self, size: float) -> FontProperties:
        if size not in self._sizes:
            from matplotlib.font_manager import FontProperties

            self._sizes[size] = FontProperties(fname=self.path, size=size)
        return self._sizes[size]


class Canvas:
    """A page ``w`` × ``h`` mm: text, rectangles and map axes placed from the bottom-left."""

    def __init__(self, fig: Figure, w: float, h: float, font: Path) -> None:
        self.fig = fig
        self.w = w
        self.h = h
        self.fp = Fonts(font)

    def text(self, x: float, y: float, s: str, *, size: float, **kwargs: Any) -> None:
        self.fig.text(
            x / self.w, y / self.h, s, fontproperties=self.fp(size), parse_math=False, **kwargs
        )

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        from matplotlib.patches import Rectangle

        self.fig.patches.append(
            Rectangle(
                (x / self.w, y / self.h),
                w / self.w,
                h / self.h,
                transform=self.fig.transFigure,
                facecolor=color,
                edgecolor="none",
                zorder=-1,
            )
        )

    def hline(self, x: float, y: float, w: float) -> None:
        from matplotlib.lines import Line2D

        self.fig.lines.append(
            Line2D(
                [x / self.w, (x + w) / self.w],
                [y / self.h, y / self.h],
                transform=self.fig.transFigure,
                color="#888888",
                lw=0.5,
            )
        )

    def map_axes(self, x: float, y: float, w: float, h: float) -> Axes:
        """Empty axes for a map: no ticks, thin frame, white ground."""
        ax = self.fig.add_axes((x / self.w, y / self.h, w / self.w, h / self.h))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_linewidth(0.6)
        ax.set_facecolor("#ffffff")
        return ax

    def fit_view(self, ax: Axes, bounds: Sequence[float]) -> tuple[float, float, float, float]:
        """Grow ``bounds`` to the axes' aspect ratio and set them as the axes' limits."""
        xmin, ymin, xmax, ymax = (float(v) for v in bounds)
        bbox = ax.get_position()
        ratio = (bbox.width * self.w) / max(bbox.height * self.h, 1e-9)
        w = max(xmax - xmin, 1.0)
        h = max(ymax - ymin, 1.0)
        if w / h < ratio:
            grow = h * ratio - w
            xmin, xmax = xmin - grow / 2, xmax + grow / 2
        else:
            grow = w / ratio - h
            ymin, ymax = ymin - grow / 2, ymax + grow / 2
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal", adjustable="datalim")
        return xmin, ymin, xmax, ymax

    def metres_per_mm(self, ax: Axes) -> float:
        """Map units (metres) per millimetre of paper on the map ``ax``."""
        xmin, xmax = ax.get_xlim()
        return float((xmax - xmin) / (ax.get_position().width * self.w))


def tint(colour: str, alpha: float) -> tuple[float, float, float, float]:
    """``colour`` laid at ``alpha`` over white, as an opaque RGBA tuple."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (1 - alpha + alpha * r, 1 - alpha + alpha * g, 1 - alpha + alpha * b, 1.0)


def add_polygons(
    ax: Axes,
    geoms: Sequence[Any] | np.ndarray,
    *,
    facecolors: Any,
    edgecolors: Any,
    linewidths: float,
    zorder: float = 1.0,
) -> None:
    """Draw polygons (holes included); a list of ``facecolors`` goes one per geometry."""
    from matplotlib.collections import PathCollection

    paths, kept = _polygon_paths(geoms)
    if not paths:
        return
    if isinstance(facecolors, list):
        facecolors = [facecolors[i] for i in kept]
    coll = PathCollection(
        paths,
        facecolors=facecolors,
        edgecolors=edgecolors,
        linewidths=linewidths,
        zorder=zorder,
        transform=ax.transData,
    )
    ax.add_collection(coll, autolim=False)


def add_lines(
    ax: Axes,
    geoms: Sequence[Any] | np.ndarray,
    *,
    colors: Any,
    linewidths: float,
    zorder: float = 3.0,
    linestyles: Any = "solid",
) -> None:
    """Draw lines with round caps; a list or array of ``colors`` goes one per geometry."""
    from matplotlib.collections import LineCollection

    segs, owner = _line_parts(geoms)
    if not segs:
        return
    if isinstance(colors, list | np.ndarray):
        colors = [colors[i] for i in owner]
    coll = LineCollection(
        segs,
        colors=colors,
        linewidths=linewidths,
        zorder=zorder,
        linestyles=linestyles,
        capstyle="round",
        joinstyle="round",
    )
    ax.add_collection(coll, autolim=False)


def _polygon_paths(geoms: Sequence[Any] | np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Return matplotlib Paths (holes included) of polygons, and the positions kept."""
    from matplotlib.path import Path as MplPath

    arr = np.asarray(geoms, dtype=object)
    keep = np.flatnonzero(~shapely.is_missing(arr) & ~shapely.is_empty(arr))
    if len(keep) == 0:
        return [], keep
    parts, owner = shapely.get_parts(arr[keep], return_index=True)
    parts = shapely.get_parts(parts)  # flatten collections
    is_poly = shapely.get_type_id(parts) == _TYPE_POLYGON
    parts, owner = parts[is_poly], owner[is_poly]
    if len(parts) == 0:
        return [], keep[:0]
    _, coords, (ring_off, poly_off) = shapely.to_ragged_array(parts)
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    codes[ring_off[:-1]] = MplPath.MOVETO
    codes[ring_off[1:] - 1] = MplPath.CLOSEPOLY
    starts = ring_off[poly_off]  # coordinate offset of each polygon
    paths: list[Any] = []
    kept: list[int] = []
    for g in np.unique(owner):
        sel = np.flatnonzero(owner == g)
        a, b = starts[sel[0]], starts[sel[-1] + 1]
        paths.append(MplPath(coords[a:b], codes[a:b]))
        kept.append(int(keep[g]))
    return paths, np.asarray(kept, dtype=np.int64)


def _line_parts(geoms: Sequence[Any] | np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the coordinates of every linestring part, and the position of its geometry."""
    arr = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(arr, return_index=True)
    ok = (shapely.get_type_id(parts) == _TYPE_LINESTRING) & ~shapely.is_empty(parts)
    parts, owner = parts[ok], owner[ok]
    if len(parts) == 0:
        return [], owner
    _, coords, (offsets,) = shapely.to_ragged_array(parts)
    return np.split(coords, offsets[1:-1]), owner
