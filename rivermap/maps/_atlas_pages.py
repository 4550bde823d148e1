"""Page layout of the atlas: paper, the bands of a page, and tables flowing over pages.

All lengths are millimetres of paper. A page has, inside its margins, a
title band at the top, a footer band at the bottom and the content between:
on a unit's first page the map with the first lines of its tables under it,
on the pages that follow ("续") table lines only. Tables are cut into chunks
of whole rows; every chunk spends two lines on its title and header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import shapely

#: Paper sizes (width, height) in millimetres, portrait.
PAPER_SIZES: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

Orientation = Literal["auto", "portrait", "landscape"]
PageOrientation = Literal["portrait", "landscape"]

MARGIN = 12.0
TITLE_BAND = 16.0
FOOTER_BAND = 8.0
#: Height of one table line.
ROW = 4.6
#: Space between the map and the tables.
GAP = 3.0
# Share of the content height kept for the map on a unit's first page.
_MAP_SHARE_MIN = 0.55
# Landscape only when it draws the unit at least this much larger than portrait.
_LANDSCAPE_GAIN = 1.1
# Lines a table chunk spends besides its rows: title and header.
_HEAD_LINES = 2

#: ``(table, start, stop)``: rows ``start:stop`` of table number ``table``.
ChunkSpan = tuple[int, int, int]


@dataclass
class Chunk:
    """Rows ``start:stop`` of table number ``table`` on one page."""

    table: int
    start: int
    stop: int
    continued: bool

    @property
    def lines(self) -> int:
        """Table lines taken: the rows, a title and a header."""
        return self.stop - self.start + _HEAD_LINES


@dataclass
class Page:
    kind: Literal["overview", "unit", "table"]
    unit: str | None
    orientation: PageOrientation
    chunks: list[Chunk]
    number: int = 0

    @property
    def tables_height(self) -> float:
        """Height the tables take under the map of a unit's first page, gap included."""
        return _tables_height(self.chunks)


def size_mm(paper: str, orientation: str) -> tuple[float, float]:
    """Width and height of the paper in ``orientation``."""
    w, h = PAPER_SIZES[paper]
    return (h, w) if orientation == "landscape" else (w, h)


def content_height(paper: str, orientation: str) -> float:
    """Height between the title band and the footer band."""
    _, h = size_mm(paper, orientation)
    return h - 2 * MARGIN - TITLE_BAND - FOOTER_BAND


def table_lines(paper: str, orientation: str) -> tuple[int, int]:
    """Table lines on a unit's map page and on a continuation page.

    Each table chunk on a page spends two lines on its title and header.

    Examples
    --------
    >>> table_lines("A4", "portrait")
    (23, 54)
    """
    content = content_height(paper, orientation)
    first = int((content * (1 - _MAP_SHARE_MIN) - GAP) // ROW)
    cont = int(content // ROW)
    return first, cont


def paginate(row_counts: Sequence[int], first: int, cont: int) -> list[list[ChunkSpan]]:
    """Split tables of ``row_counts`` rows over pages of ``first``, then ``cont`` lines.

    Returns, per page, ``(table, start, stop)`` chunks. Every chunk costs two
    lines (title, header) besides its rows; a table never starts with fewer
    than one row on a page.

    Examples
    --------
    >>> paginate([30], 10, 20)
    [[(0, 0, 8)], [(0, 8, 26)], [(0, 26, 30)]]
    >>> paginate([3, 2], 10, 20)
    [[(0, 0, 3), (1, 0, 2)]]
    >>> paginate([], 10, 20)
    [[]]
    """
    pages: list[list[ChunkSpan]] = [[]]
    avail = first
    for t, n in enumerate(row_counts):
        start = 0
        while start < n:
            if avail <= _HEAD_LINES:
                pages.append([])
                avail = cont
            take = min(n - start, avail - _HEAD_LINES)
            pages[-1].append((t, start, start + take))
            avail -= take + _HEAD_LINES
            start += take
    return pages


def _tables_height(chunks: Sequence[Chunk]) -> float:
    lines = sum(chunk.lines for chunk in chunks)
    return lines * ROW + GAP if lines else 0.0


def _chunks(spans: Sequence[ChunkSpan]) -> list[Chunk]:
    return [Chunk(t, a, b, continued=a > 0) for t, a, b in spans]


def choose_orientation(
    geom: Any, paper: str, orientation: Orientation, row_counts: Sequence[int] = ()
) -> PageOrientation:
    """``orientation`` unless ``"auto"``: then the one that draws ``geom`` largest.

    The map shares the page with the first lines of tables of ``row_counts``
    rows; landscape must draw it :data:`_LANDSCAPE_GAIN` times larger to win.
    """
    if orientation != "auto":
        return orientation
    minx, miny, maxx, maxy = shapely.bounds(geom)
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)

    def scale(orient: PageOrientation) -> float:
        map_w, map_h = _map_box(paper, orient, row_counts)
        return float(min(map_w / w, map_h / h))

    return "landscape" if scale("landscape") > scale("portrait") * _LANDSCAPE_GAIN else "portrait"


def _map_box(paper: str, orientation: str, row_counts: Sequence[int]) -> tuple[float, float]:
    """Width and height of the map on a unit's first page."""
    w, _ = size_mm(paper, orientation)
    first, cont = table_lines(paper, orientation)
    on_first_page = _chunks(paginate(row_counts, first, cont)[0])
    return w - 2 * MARGIN, content_height(paper, orientation) - _tables_height(on_first_page)


def unit_pages(
    unit: str, paper: str, orientation: PageOrientation, row_counts: Sequence[int]
) -> list[Page]:
    """Return a unit's map page and the continuation pages its tables need."""
    first, cont = table_lines(paper, orientation)
    return [
        Page("unit" if k == 0 else "table", unit, orientation, _chunks(spans))
        for k, spans in enumerate(paginate(row_counts, first, cont))
    ]
