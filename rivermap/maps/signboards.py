"""Printable river chief signboards (河长公示牌): one A4 portrait page per board.

:func:`signboards` draws the rows of :meth:`Responsibility.signboards
<rivermap.Responsibility.signboards>` (for one level, or every level in level
order) in the layout river-chief offices post by the water:

1. a title band (河长公示牌);
2. the river's name, its ends (起点/终点), its length and its chief unit;
3. the chiefs at every level, one line per person with title and phone (a
   level without a chief is left out; a board of a responsibility without a
   roster names no chief);
4. the chiefs' duties (河长职责) in one line, the supervising office and the
   supervision hotline (监督电话);
5. a QR code holding ``url`` + the URL-encoded ``board_id`` (or the bare
   ``board_id`` without ``url``), which :func:`rivermap.events.split_board`
   reads back; it carries no personal data;
6. a footer: rivermap and the date.

Pages are drawn with matplotlib as the atlas draws them (no global settings
changed, every text in the atlas's subset of Noto Sans CJK SC, embedded as
TrueType so that the text can be searched and copied). The QR code is drawn
as vector squares (segno makes the matrix), so it stays sharp at any scale.

Names from the data are drawn as :func:`rivermap.text.clip_label` cuts them,
and every line is cut with "…" where it would run past the margin, so that
no text leaves the page whatever its length. A board id too long for any QR
code (version 40 holds 2,331 bytes) is an error before any page is drawn.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from rivermap._version import rivermap_version
from rivermap.errors import SchemaError, format_ids
from rivermap.maps._atlas_canvas import Canvas
from rivermap.maps._atlas_text import fit, wrap
from rivermap.maps._fonts import font_for
from rivermap.params import check_lang, check_level
from rivermap.text import chief_title, clip_label, term, text_or

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rivermap.responsibility import Responsibility

__all__ = ["board_rows", "qr_text", "signboards"]

_W_MM, _H_MM = 210.0, 297.0  # A4 portrait
_MM_PER_INCH = 25.4
_MARGIN = 18.0
_TEXT_W = _W_MM - 2 * _MARGIN
_BAND = 30.0  # height of the title band
_QR_MM = 48.0
_LINE_MM = 7.5
_BODY_PT = 13.0
_SMALL_PT = 11.0
_MIN_PT = 6.0
_CHIEF_ROWS = 16  # chiefs that fit at _SMALL_PT; more are set smaller
_CHIEF_X = (0.0, 38.0, 96.0, 140.0)  # mm from the margin: level, name, title, phone
_CHIEF_W = (38.0, 58.0, 44.0, 34.0)
_BLUE = "#0b4f8a"
_NOTE = "#b42318"  # the note across the top (e.g. an example roster)
_SEP = ";"  # how Responsibility.signboards joins the chiefs of one level


@dataclass
class Board:
    """The texts of one signboard, as drawn."""

    title: str
    river: str
    facts: list[str]
    chiefs: list[tuple[str, ...]]
    duties: str
    contact: list[str]
    qr: str | None
    footer: str
    chiefs_heading: str
    scan: str
    note: str | None = None

    def texts(self) -> list[str]:
        """Return every string the board draws (for the font subset)."""
        chiefs = [cell for line in self.chiefs for cell in line]
        return [self.title, self.river, *self.facts, *chiefs, self.duties, *self.contact,
                self.footer, self.chiefs_heading, self.scan, self.note or ""]  # fmt: skip


def board_rows(
    resp: Responsibility,
    level: str | None = None,
    *,
    hotline: str | dict[str, str] | None = None,
    per: str = "river",
    lang: str = "zh",
) -> pd.DataFrame:
    """Return the signboard rows of ``level``, or of every level in level order.

    Parameters
    ----------
    resp
        The responsibility.
    level
        A level of ``resp``; None for every level.
    hotline, per
        As :meth:`Responsibility.signboards` takes them.
    lang
        ``"zh"`` or ``"en"`` for place names.

    Returns
    -------
    DataFrame
        The rows of :meth:`Responsibility.signboards`, one per board.

    Raises
    ------
    ParameterError
        If ``level`` is not a level of ``resp``.
    """
    levels = tuple(resp.levels)
    wanted = levels if level is None else (check_level(level, levels, name="level"),)
    tables = [resp.signboards(lv, hotline=hotline, per=per, lang=lang) for lv in wanted]
    return pd.concat(tables, ignore_index=True)


def qr_text(board_id: Any, url: str | None = None) -> str | None:
    """Return what a board's QR code holds: ``url`` + the URL-encoded id, or the bare id.

    Parameters
    ----------
    board_id
        The board's code ``UNIT:RIVER``; missing text gives None (no QR code).
    url
        The report page, ending where the id goes, e.g.
        ``https://hz.example.cn/report?board=``.

    Returns
    -------
    str or None

    Examples
    --------
    >>> qr_text("330106:R1", "https://hz.example.cn/report?board=")
    'https://hz.example.cn/report?board=330106%3AR1'
    >>> qr_text("330106:R1")
    '330106:R1'
    """
    code = text_or(board_id)
    if code is None:
        return None
    return code if url is None else url + quote(code, safe="")


def signboards(
    resp: Responsibility,
    path: str | os.PathLike[str],
    *,
    level: str | None = None,
    hotline: str | dict[str, str] | None = None,
    url: str | None = None,
    note: str | None = None,
    per: str = "river",
    lang: str = "zh",
    overwrite: bool = False,
) -> Path:
    """Write a printable PDF of river chief signboards (河长公示牌), one A4 page per board.

    Parameters
    ----------
    resp
        The responsibility; with a roster (:meth:`~Responsibility.with_chiefs`)
        the boards name the chiefs, without one they leave them out.
    path
        The ``.pdf`` file to write (atomically).
    level
        The boards of this level's rivers; None (default) for every level,
        in level order.
    hotline
        The supervision hotline (监督电话): one text, or ``{unit_id: text}``.
    url
        The report page the QR code opens, the board id appended URL-encoded,
        e.g. ``https://hz.example.cn/report?board=``; without it the QR code
        holds the bare board id ``UNIT:RIVER``.
    note
        A line printed across the top of every board, e.g. that the roster is
        an example (``示例名录，非真实人员``); None for none.
    per
        ``"river"`` (default): a board per river at its chief unit;
        ``"stretch"``: a board per river and unit of ``level`` (一河一长 at
        village level), its ends the stretch's chainage (桩号) and its QR code
        that unit's, so that a report made through it routes to the stretch.
    lang
        ``"zh"`` (default) or ``"en"``.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        If ``level`` is not a level of ``resp`` or ``lang`` is unknown.
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False (checked before any work).
    SchemaError
        If a board's QR code cannot hold its id and ``url`` (river ids of
        thousands of characters), before any page is drawn.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> out = signboards(resp, pathlib.Path(tempfile.mkdtemp()) / "boards.pdf", level="district")
    >>> out.read_bytes()[:5]
    b'%PDF-'
    """
    from rivermap.io import check_output

    lang = check_lang(lang)
    final = check_output(path, overwrite=overwrite)
    rows = board_rows(resp, level, hotline=hotline, per=per, lang=lang)
    date = _dt.date.today().isoformat()
    boards = [
        dataclasses.replace(_board(row, tuple(resp.levels), url, lang, date), note=text_or(note))
        for row in _records(rows)
    ]
    _check_qr(boards)
    font = font_for(t for b in boards for t in b.texts())
    _write_pdf(final, boards, font, lang, overwrite=overwrite)
    return final


# ==================================================================== content
def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows as dicts of column → value."""
    return [dict(zip(rows.columns, values, strict=True)) for values in rows.itertuples(False)]


def _board(
    row: dict[str, Any], levels: tuple[str, ...], url: str | None, lang: str, date: str
) -> Board:
    """Return the texts of the board of ``row``."""
    facts = [
        term("board.ends", lang, start=_label(row["start"]), end=_label(row["end"])),
        term("board.length", lang, km=f"{float(row['length_km']):,.2f}"),
        term("board.unit", lang, unit=_label(row["chief_unit_name"])),
    ]
    contact = [term("board.supervisor", lang, supervisor=row["supervisor"])]
    if text_or(row["hotline"]) is not None:
        contact.append(term("board.hotline", lang, hotline=row["hotline"]))
    if text_or(row["supervisor"]) is None:
        contact = contact[1:]
    return Board(
        title=term("board.title", lang),
        river=term("board.river", lang, river=_label(row["river"])),
        facts=facts,
        chiefs=_chief_lines(row, levels, lang),
        duties=term("board.duties", lang),
        contact=contact,
        qr=qr_text(row["board_id"], url),
        footer=term("board.footer", lang, version=rivermap_version(), date=date),
        chiefs_heading=term("board.chiefs", lang),
        scan=term("board.scan", lang),
    )


def _label(value: Any) -> str:
    """Return a name from the data as drawn (see :func:`clip_label`), a dash when missing."""
    return clip_label(str(text_or(value, "—")))


def _check_qr(boards: list[Board]) -> None:
    """Raise :class:`SchemaError` naming the boards whose QR code cannot hold its text."""
    import segno

    too_long = []
    for board in boards:
        if board.qr is not None:
            try:
                _qr_matrix(board.qr)
            except segno.DataOverflowError:
                too_long.append(clip_label(board.qr))
    if too_long:
        msg = (
            f"signboards: {len(too_long)} board(s) have an id too long for a QR code (which "
            f"holds about 2,300 bytes, the url included): {format_ids(too_long)}; give the "
            "rivers short ids (rivermap assign --id-col, or merge by a code column) or a "
            "shorter --url"
        )
        raise SchemaError(msg)


@functools.lru_cache(maxsize=4096)
def _qr_matrix(data: str) -> tuple[tuple[int, ...], ...]:
    """Return the QR code of ``data`` as rows of dark (1) and light (0) modules."""
    import segno

    return tuple(tuple(row) for row in segno.make(data, error="m", micro=False).matrix)


def _chief_lines(row: dict[str, Any], levels: tuple[str, ...], lang: str) -> list[tuple[str, ...]]:
    """Return ``(level, name, title, phone)`` per chief on the board, top level first.

    A level without a chief gives no line; a board without a roster none at all.
    """
    lines: list[tuple[str, ...]] = []
    for lv in levels:
        names = text_or(row.get(f"chief_{lv}"))
        if names is None:
            continue
        titles = str(text_or(row.get(f"chief_{lv}_title"), "")).split(_SEP)
        phones = str(text_or(row.get(f"chief_{lv}_phone"), "")).split(_SEP)
        for i, name in enumerate(names.split(_SEP)):
            title = titles[i] if i < len(titles) else ""
            phone = phones[i] if i < len(phones) else ""
            lines.append((chief_title(lv, lang), name, title, phone))
    return lines


# ================================================================== rendering
def _write_pdf(path: Path, boards: list[Board], font: Path, lang: str, *, overwrite: bool) -> None:
    """Render ``boards``, one page each, into the PDF ``path`` (atomically)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    from rivermap.io import atomic_output

    metadata = {"Title": term("board.title", lang), "Creator": f"rivermap {rivermap_version()}"}
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}),
        atomic_output(path, overwrite=overwrite) as tmp,
        PdfPages(tmp, metadata=metadata) as pdf,
    ):
        for board in boards:
            fig = _render(board, font)
            pdf.savefig(fig)
            fig.clear()


def _render(board: Board, font: Path) -> Figure:
    """Return the page of ``board``: A4 portrait, every text in ``font``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(_W_MM / _MM_PER_INCH, _H_MM / _MM_PER_INCH))
    c = Canvas(fig, _W_MM, _H_MM, font)
    c.rect(0, _H_MM - _BAND, _W_MM, _BAND, _BLUE)
    c.text(_W_MM / 2, _H_MM - _BAND / 2, board.title, size=30, ha="center", va="center",
           color="white")  # fmt: skip
    if board.note:
        c.text(_W_MM / 2, _H_MM - _BAND - 5, fit(board.note, _TEXT_W, 10), size=10,
               ha="center", va="center", color=_NOTE)  # fmt: skip
    y = _H_MM - _BAND - 16
    c.text(_MARGIN, y, fit(board.river, _TEXT_W, 20), size=20, ha="left", va="baseline",
           color=_BLUE)  # fmt: skip
    y = _lines(c, board.facts, y - 11, _BODY_PT)
    if board.chiefs:
        c.hline(_MARGIN, y + 2, _W_MM - 2 * _MARGIN)
        y = _lines(c, [board.chiefs_heading], y - 6, _BODY_PT, color=_BLUE)
        y = _chief_table(c, board.chiefs, y)
    c.hline(_MARGIN, y + 2, _W_MM - 2 * _MARGIN)
    duties = wrap(board.duties, _TEXT_W / (_BODY_PT * 0.3528) - 1)
    y = _lines(c, [line.strip() for line in duties], y - 6, _BODY_PT)
    _lines(c, board.contact, _MARGIN + 20, _BODY_PT, width=_TEXT_W - _QR_MM - 4)
    if board.qr is not None:
        x0 = _W_MM - _MARGIN - _QR_MM
        _draw_qr(fig, board.qr, x0, _MARGIN + 14, _QR_MM)
        c.text(x0 + _QR_MM / 2, _MARGIN + 10, board.scan, size=9, ha="center", va="top")
    c.text(_MARGIN, _MARGIN - 8, board.footer, size=7, ha="left", va="bottom", color="#555555")
    return fig


def _chief_table(c: Canvas, chiefs: list[tuple[str, ...]], y: float) -> float:
    """Set the chiefs in four columns from the baseline ``y``, smaller when there are many.

    Returns the baseline below the table. Lines beyond what fits at
    :data:`_MIN_PT` are left out, the last line saying how many.
    """
    size = max(_MIN_PT, min(_SMALL_PT, _SMALL_PT * _CHIEF_ROWS / max(len(chiefs), 1)))
    fits = int(_CHIEF_ROWS * _SMALL_PT / size)
    shown = chiefs if len(chiefs) <= fits else [*chiefs[: fits - 1], ("…",)]
    step = _LINE_MM * size / _BODY_PT
    for line in shown:
        for x, width, cell in zip(_CHIEF_X, _CHIEF_W, line, strict=False):
            c.text(_MARGIN + x, y, fit(cell, width, size), size=size, ha="left", va="baseline")
        y -= step
    return y


def _lines(
    c: Canvas, lines: list[str], y: float, size: float, color: str = "black", width: float = _TEXT_W
) -> float:
    """Write ``lines`` down from the baseline ``y``, each cut to ``width`` mm; return the next."""
    step = _LINE_MM * size / _BODY_PT
    for line in lines:
        c.text(_MARGIN, y, fit(line, width, size), size=size, ha="left", va="baseline",
               color=color)  # fmt: skip
        y -= step
    return y


def _draw_qr(fig: Figure, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``data`` as black squares in the ``size`` mm square at ``x``, ``y``."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    matrix = _qr_matrix(data)
    n = len(matrix) + 8  # a quiet zone of four modules on every side
    unit = size / n
    verts: list[tuple[float, float]] = []
    for r, row in enumerate(matrix):
        top = y + size - (r + 4) * unit
        for c0, c1 in _runs(row):
            left, right = x + (c0 + 4) * unit, x + (c1 + 4) * unit
            verts += [(left, top), (right, top), (right, top - unit), (left, top - unit), (0, 0)]
    codes = [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO, MplPath.CLOSEPOLY]
    path = MplPath([(vx / _W_MM, vy / _H_MM) for vx, vy in verts], codes * (len(verts) // 5))
    fig.patches.append(
        PathPatch(path, transform=fig.transFigure, facecolor="black", edgecolor="none")
    )


def _runs(row: Any) -> list[tuple[int, int]]:
    """Return the ``[start, stop)`` columns of the runs of dark modules in a matrix row."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            runs.append((start, i))
            start = None
    return runs
