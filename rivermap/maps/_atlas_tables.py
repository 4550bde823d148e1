"""The tables under a unit's map: its reaches and, with a plan, its proposed segments.

:func:`unit_tables` builds them as rows of strings; :func:`draw_table_chunk`
sets some rows of one on a page, with column widths from the longest cell of
each column (capped per kind of column) and cells cut with "…" where they do
not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rivermap.maps._atlas_canvas import Canvas
from rivermap.maps._atlas_data import AtlasData
from rivermap.maps._atlas_pages import MARGIN, ROW, Chunk
from rivermap.maps._atlas_text import CELL_PAD_EM, PT_MM, em, fit, level_name
from rivermap.text import reason_labels, term, text_or

#: Font size of table text, in points.
TABLE_PT = 6.5
# Widest a column of each kind grows, in ems (numbers are never cut).
_MAX_COL_EM = {"river": 13.0, "unit": 11.0, "chief": 9.0, "flags": 10.0, "id": 10.0}
_MAX_OTHER_EM = 30.0
_CELL_INSET = 0.8  # mm between a cell's edge and its text
_HEADER_FILL = "#dfe6ee"
_STRIPE_FILL = "#f3f3f3"


@dataclass
class Table:
    """One table: titles (first and continued), column headers, kinds and rows of strings.

    A column's kind sets its widest width; ``"num"`` columns are right-aligned.
    """

    title: str
    title_cont: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[str]]


# ==================================================================== content
def unit_tables(data: AtlasData, unit: str, reaches: np.ndarray) -> list[Table]:
    """Return the reach table of ``unit`` (reach positions ``reaches``), then the plan's, if any."""
    tables = [reach_table(data, reaches)]
    if data.plan is not None:
        tables.append(segment_table(data, data.plan_segments_in(unit)))
    return tables


def reach_table(data: AtlasData, rows_idx: np.ndarray) -> Table:
    """River, from–to, length, the unit at every level, the chief and the flags, by river."""
    lang = data.lang
    reaches = data.reaches
    order = np.lexsort(
        (reaches["from_m"].to_numpy()[rows_idx], data.reach_names[rows_idx].astype(str))
    )
    columns = [
        (term("ui.river", lang), "river"),
        (term("atlas.from_to_km", lang), "num"),
        (term("atlas.length_km", lang), "num"),
    ]
    columns += [(level_name(lv, lang), "unit") for lv in data.levels]
    if data.chiefs.enabled:
        columns.append((term("ui.chief", lang), "chief"))
    if data.has_flags:
        columns.append((term("ui.flag", lang), "flags"))
    from_m = reaches["from_m"].to_numpy()
    to_m = reaches["to_m"].to_numpy()
    length = reaches["length_m"].to_numpy()
    rows: list[list[str]] = []
    for r in rows_idx[order].tolist():
        row = [str(data.reach_names[r]), _km_range(from_m[r], to_m[r]), _km(length[r])]
        row += [data.cell_unit(lv, r) for lv in data.levels]
        if data.chiefs.enabled:
            row.append(data.chiefs.cell(r))
        if data.has_flags:
            reasons = data.flags.get(str(data.reach_river[r]), [])
            row.append(reason_labels(",".join(reasons), lang))
        rows.append(row)
    return _table("atlas.reaches_table", "atlas.reaches_table_cont", lang, columns, rows)


def segment_table(data: AtlasData, idx: np.ndarray) -> Table:
    """Return the plan segments ``idx``: id, river, from–to, length and the responsible unit."""
    assert data.plan is not None
    lang = data.lang
    columns = [
        (term("atlas.segment", lang), "id"),
        (term("ui.river", lang), "river"),
        (term("atlas.from_to_km", lang), "num"),
        (term("atlas.length_km", lang), "num"),
        (term("ui.responsible", lang), "unit"),
    ]
    rows = [
        [
            str(s.segment_id),
            data.river_names.get(str(s.river_id), str(s.river_id)),
            _km_range(float(s.from_m), float(s.to_m)),
            _km(float(s.length_m)),
            _segment_unit(data, s.unit_name, s.unit_id),
        ]
        for s in data.plan.iloc[idx].sort_values(["river_id", "from_m"]).itertuples(index=False)
    ]
    level = level_name(data.plan_level or "", lang)
    return _table(
        "atlas.segments_table", "atlas.segments_table_cont", lang, columns, rows, level=level
    )


def _table(
    title: str,
    title_cont: str,
    lang: str,
    columns: list[tuple[str, str]],
    rows: list[list[str]],
    **fill: str,
) -> Table:
    """Return a :class:`Table` titled by terms ``title``/``title_cont``, of (header, kind)."""
    return Table(
        term(title, lang, **fill),
        term(title_cont, lang, **fill),
        [header for header, _ in columns],
        [kind for _, kind in columns],
        rows,
    )


def _segment_unit(data: AtlasData, unit_name: object, unit_id: object) -> str:
    """Return the plan's own unit name, else the unit's name from the data, else a dash."""
    uid = text_or(unit_id)
    return text_or(unit_name) or (data.unit_name(uid) if uid is not None else "—")


def _km(metres: float) -> str:
    return f"{metres / 1000:.2f}"


def _km_range(from_m: float, to_m: float) -> str:
    return f"{_km(from_m)}–{_km(to_m)}"


# ==================================================================== drawing
def draw_table_chunk(c: Canvas, table: Table, chunk: Chunk, y_top: float) -> float:
    """Set the rows of ``chunk`` under a title and a header from ``y_top`` down.

    Returns the height (mm from the bottom of the page) below the chunk.
    """
    widths = column_widths(table, c.w - 2 * MARGIN)
    total = sum(widths)
    y = y_top
    title = table.title_cont if chunk.continued else table.title
    c.text(MARGIN, y - ROW / 2, title, size=8, ha="left", va="center")
    y -= ROW
    c.rect(MARGIN, y - ROW, total, ROW, _HEADER_FILL)
    _draw_row(c, table.headers, widths, ["head"] * len(widths), y)
    y -= ROW
    for k, row in enumerate(table.rows[chunk.start : chunk.stop]):
        if k % 2 == 1:
            c.rect(MARGIN, y - ROW, total, ROW, _STRIPE_FILL)
        _draw_row(c, row, widths, table.kinds, y)
        y -= ROW
    c.hline(MARGIN, y, total)
    return y


def _draw_row(c: Canvas, cells: list[str], widths: list[float], kinds: list[str], y: float) -> None:
    """One table line whose top is at ``y``; numbers right-aligned, the rest left."""
    x = MARGIN
    for cell, width, kind in zip(cells, widths, kinds, strict=True):
        right = kind == "num"
        c.text(
            x + width - _CELL_INSET if right else x + _CELL_INSET,
            y - ROW / 2,
            fit(cell, width, TABLE_PT),
            size=TABLE_PT,
            ha="right" if right else "left",
            va="center",
        )
        x += width


def column_widths(table: Table, width_mm: float) -> list[float]:
    """Column widths (mm) from the longest cell, capped per kind, fitted to ``width_mm``.

    Narrow tables widen their text columns by at most half again and stay
    narrower than the page; wide ones shrink (and their cells are cut with "…").
    """
    ems = []
    for j, (head, kind) in enumerate(zip(table.headers, table.kinds, strict=True)):
        cap = _MAX_COL_EM.get(kind, _MAX_OTHER_EM)
        longest = max([em(head, limit=cap)] + [em(r[j], limit=cap) for r in table.rows])
        ems.append(min(longest, cap) + CELL_PAD_EM + 0.6)
    em_mm = TABLE_PT * PT_MM
    widths = [e * em_mm for e in ems]
    natural = sum(widths)
    if natural > width_mm:
        return [w * width_mm / natural for w in widths]
    text_cols = [j for j, k in enumerate(table.kinds) if k != "num"] or list(range(len(ems)))
    extra = min((width_mm - natural) / len(text_cols), 0.5 * max(widths))
    for j in text_cols:
        widths[j] += min(extra, 0.5 * widths[j])
    return widths
