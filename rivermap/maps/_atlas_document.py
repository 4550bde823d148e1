"""The atlas as a document: which pages it has, and how each page is composed.

:class:`Document` lists the pages (the overview, then for every unit at level
``by`` its map page and the continuation pages its tables need), collects
every text for the font subset, and renders a page to a matplotlib figure:
title and subtitle, the map, the tables, the footer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from rivermap._version import rivermap_version
from rivermap.maps._atlas_canvas import Canvas
from rivermap.maps._atlas_data import AtlasData
from rivermap.maps._atlas_maps import draw_overview_map, draw_unit_map
from rivermap.maps._atlas_pages import (
    FOOTER_BAND,
    GAP,
    MARGIN,
    TITLE_BAND,
    Orientation,
    Page,
    choose_orientation,
    size_mm,
    unit_pages,
)
from rivermap.maps._atlas_tables import Table, draw_table_chunk, unit_tables
from rivermap.maps._atlas_text import PT_MM, level_name, wrap
from rivermap.text import join_list, term

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_MM_PER_INCH = 25.4
# Names of a few top units make the default title; more make a plain one.
_TITLE_NAMES_MAX = 3
_NOTE_PT = 6
_NOTE_LINE_MM = 3.0


class Document:
    """The pages of an atlas of ``data`` and how to draw each (see :func:`rivermap.maps.atlas`)."""

    def __init__(
        self,
        data: AtlasData,
        *,
        paper: str,
        orientation: Orientation,
        title: str | None,
        credit: str | None,
        date: str,
        empty_units: bool,
    ) -> None:
        self.data = data
        self.paper = paper
        self.orientation: Orientation = orientation
        self.credit = credit
        self.date = date
        self.empty_units = empty_units
        self.title = title if title is not None else self._default_title()
        self.members = data.members(data.by)
        self._tables: dict[str, list[Table]] = {}

    def _default_title(self) -> str:
        """Return the default title: "<top units>河长制责任图册" for up to three, else plain."""
        data = self.data
        names = [data.unit_label(u) for u in data.units_at(data.levels[0]).index]
        if 0 < len(names) <= _TITLE_NAMES_MAX:
            return term("atlas.atlas_title", data.lang, name=join_list(names, data.lang))
        return term("atlas.atlas_title_plain", data.lang)

    # ---------------------------------------------------------------- content
    def page_units(self) -> list[str]:
        """Return the units at level ``by`` that get pages: those with rivers, or all."""
        ids = sorted(str(u) for u in self.data.units_at(self.data.by).index)
        if self.empty_units:
            return ids
        return [u for u in ids if u in self.members]

    def units_without_rivers(self) -> list[str]:
        units = self.data.units_at(self.data.by)
        return sorted(str(u) for u in units.index if str(u) not in self.members)

    def reaches_in(self, unit: str) -> np.ndarray:
        """Positions of the reaches of ``unit`` (a boundary reach is in both units)."""
        return self.members.get(unit, np.empty(0, dtype=np.int64))

    def tables(self, unit: str) -> list[Table]:
        if unit not in self._tables:
            self._tables[unit] = unit_tables(self.data, unit, self.reaches_in(unit))
        return self._tables[unit]

    def pages(self) -> list[Page]:
        """Return the overview, then every unit's map page and continuation pages, numbered."""
        data = self.data
        overview = choose_orientation(shapely.box(*data.extent()), self.paper, self.orientation)
        pages = [Page("overview", None, overview, [])]
        for unit in self.page_units():
            counts = [len(t.rows) for t in self.tables(unit)]
            geom = data.units.geometry[unit]
            orient = choose_orientation(geom, self.paper, self.orientation, counts)
            pages += unit_pages(unit, self.paper, orient, counts)
        for n, page in enumerate(pages, start=1):
            page.number = n
        return pages

    def texts(self) -> list[str]:
        """Every string the pages may draw (for the font subset)."""
        out = [*self.data.texts(), self.title, self.date]
        if self.credit:
            out.append(self.credit)
        for unit in self.page_units():
            for table in self.tables(unit):
                out += [*table.headers, table.title, table.title_cont]
                for row in table.rows:
                    out += row
        return out

    # -------------------------------------------------------------- rendering
    def render(self, page: Page, font: Path) -> Figure:
        """``page`` as a figure of the paper's size, every text in ``font``."""
        from matplotlib.figure import Figure

        w, h = size_mm(self.paper, page.orientation)
        fig = Figure(figsize=(w / _MM_PER_INCH, h / _MM_PER_INCH))
        c = Canvas(fig, w, h, font)
        if page.kind == "overview":
            self._overview_page(c)
        elif page.kind == "unit":
            self._unit_page(c, page)
        else:
            self._table_page(c, page)
        self._footer(c, page)
        return fig

    def _overview_page(self, c: Canvas) -> None:
        _heading(c, self.title, size=18)
        _subheading(c, self._overview_summary(), below=9.5, size=8, color="#333333")
        bottom = self._empty_units_note(c, MARGIN + FOOTER_BAND)
        top = c.h - MARGIN - TITLE_BAND
        ax = c.map_axes(MARGIN, bottom, c.w - 2 * MARGIN, top - bottom)
        draw_overview_map(ax, c, self.data)

    def _overview_summary(self) -> str:
        s = self.data.summary
        return term(
            "atlas.overview_sub",
            self.data.lang,
            rivers=f"{int(s.get('n_rivers', 0)):,}",
            reaches=f"{int(s.get('n_reaches', 0)):,}",
            boundary=f"{int(s.get('n_boundary_reaches', 0)):,}",
            km=f"{float(s.get('total_length_m', 0.0)) / 1000:,.1f}",
            date=self.date,
        )

    def _empty_units_note(self, c: Canvas, bottom: float) -> float:
        """Name the units without a page at ``bottom``; returns the height above the note."""
        data = self.data
        lang = data.lang
        empty = self.units_without_rivers()
        if not empty or self.empty_units:
            return bottom
        note = term(
            "atlas.no_rivers_units", lang, level=level_name(data.by, lang), n=len(empty)
        ) + join_list((data.unit_label(u) for u in empty), lang)
        lines = wrap(note, (c.w - 2 * MARGIN) / (_NOTE_PT * PT_MM))
        c.text(
            MARGIN,
            bottom,
            "\n".join(lines),
            size=_NOTE_PT,
            ha="left",
            va="bottom",
            color="#444444",
            linespacing=1.4,
        )
        return bottom + len(lines) * _NOTE_LINE_MM + 2

    def _unit_page(self, c: Canvas, page: Page) -> None:
        data = self.data
        lang = data.lang
        unit = _page_unit(page)
        _heading(c, term("atlas.unit_title", lang, name=data.unit_label(unit), code=unit), size=14)
        sub = term(
            "atlas.unit_sub", lang, level=level_name(data.sub, lang), by=level_name(data.by, lang)
        )
        _subheading(c, sub, below=8.5, size=7.5, color="#444444")
        top = c.h - MARGIN - TITLE_BAND
        map_bottom = MARGIN + FOOTER_BAND + page.tables_height
        ax = c.map_axes(MARGIN, map_bottom, c.w - 2 * MARGIN, top - map_bottom)
        draw_unit_map(ax, c, data, unit, self.reaches_in(unit))
        self._draw_tables(c, page, map_bottom - GAP)

    def _table_page(self, c: Canvas, page: Page) -> None:
        unit = _page_unit(page)
        title = term(
            "atlas.table_title", self.data.lang, name=self.data.unit_label(unit), code=unit
        )
        _heading(c, title, size=12)
        self._draw_tables(c, page, c.h - MARGIN - TITLE_BAND)

    def _draw_tables(self, c: Canvas, page: Page, y_top: float) -> None:
        tables = self.tables(_page_unit(page))
        y = y_top
        for chunk in page.chunks:
            y = draw_table_chunk(c, tables[chunk.table], chunk, y)

    def _footer(self, c: Canvas, page: Page) -> None:
        lang = self.data.lang
        parts = [term("atlas.made_with", lang, version=rivermap_version())]
        if self.credit:
            parts.append(term("atlas.source", lang, credit=self.credit))
        c.text(MARGIN, MARGIN, "   ".join(parts), size=6, ha="left", va="bottom", color="#555555")
        c.text(
            c.w - MARGIN,
            MARGIN,
            term("atlas.page", lang, n=page.number),
            size=7,
            ha="right",
            va="bottom",
        )


def _page_unit(page: Page) -> str:
    assert page.unit is not None
    return page.unit


def _heading(c: Canvas, text: str, *, size: float) -> None:
    """Write the page title, at the top left inside the margins."""
    c.text(MARGIN, c.h - MARGIN, text, size=size, ha="left", va="top")


def _subheading(c: Canvas, text: str, *, below: float, size: float, color: str) -> None:
    """Write a line under the title, ``below`` mm lower."""
    c.text(MARGIN, c.h - MARGIN - below, text, size=size, ha="left", va="top", color=color)
