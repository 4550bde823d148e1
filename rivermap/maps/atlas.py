"""A printable atlas (图册): a multi-page PDF with an overview and a page per unit.

:func:`atlas` writes, in this order,

1. an **overview** page: every river coloured by its chief level (省级、市级 …
   河长), the units of the top two levels with their names, a title, the date,
   the data-source credit and a one-line summary; units without rivers are
   named at the bottom;
2. for every unit at level ``by`` that has rivers (in ``unit_id`` order), a
   **unit page**: the unit's rivers coloured by the responsible unit one level
   below ``by`` (at ``by`` itself when ``by`` is the finest level), boundary
   reaches (界河段) dashed, river names along the lines, the units' names,
   neighbouring units greyed, a legend, a scale bar and a north arrow, and
   under the map a table of the unit's reaches: river, from–to km, length,
   the responsible unit at every level, the chief (when a roster is given)
   and the river's flags at level ``by``. With a ``plan``, a second table lists
   the proposed segments and the map marks their split points. A table that
   does not fit continues on the following pages ("续").

Units at level ``by`` without any river get no page unless
``empty_units=True``; the overview names them either way, so nothing is left
out silently. ``by`` defaults to the second-finest level (``city`` for
province > city > district): a page per city with its rivers coloured by
district is what a river-chief office files. With a single level it is that
level.

The work is split by concern: :mod:`~rivermap.maps._atlas_data` reads the
responsibility tables, :mod:`~rivermap.maps._atlas_pages` lays out pages,
:mod:`~rivermap.maps._atlas_tables` builds and sets the tables,
:mod:`~rivermap.maps._atlas_maps` composes the maps from the helpers in
:mod:`~rivermap.maps._atlas_draw` and :mod:`~rivermap.maps._atlas_canvas`,
:mod:`~rivermap.maps._atlas_document` puts pages together, and
:mod:`~rivermap.maps._atlas_text` lists the words the atlas may draw (all from
:mod:`rivermap.text`) and measures text.

Chinese text is set in Noto Sans CJK SC from the ``noto-cjk-sans-otc``
package (see :mod:`rivermap.maps._fonts`), embedded in the PDF as a subset
TrueType font (``pdf.fonttype`` 42), so the text can be searched and copied.
Nothing here changes matplotlib's global settings: the PDF is drawn on
figures made without :mod:`matplotlib.pyplot`, inside
:func:`matplotlib.rc_context`, and every text artist carries its own font.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rivermap._version import rivermap_version
from rivermap.maps._atlas_canvas import Fonts
from rivermap.maps._atlas_data import AtlasData
from rivermap.maps._atlas_document import Document
from rivermap.maps._atlas_maps import draw_responsibility_map
from rivermap.maps._atlas_pages import PAPER_SIZES, Orientation, Page, paginate, table_lines
from rivermap.maps._fonts import font_for
from rivermap.params import ORIENTATIONS, PAPERS, check_choice, check_lang, check_level

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from rivermap.responsibility import Responsibility

__all__ = [
    "PAPER_SIZES",
    "atlas",
    "default_level",
    "paginate",
    "plot_responsibility",
    "table_lines",
]


def default_level(resp: Responsibility) -> str:
    """Return the level :func:`atlas` makes pages for when ``by`` is not given.

    The second-finest level (a page per city, rivers coloured by district, in a
    province > city > district hierarchy); the only level when there is one.

    Examples
    --------
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> default_level(rm.assign(rivers, units))
    'city'
    """
    levels = tuple(resp.levels)
    return levels[-2] if len(levels) >= 2 else levels[0]


def atlas(
    resp: Responsibility,
    path: str | os.PathLike[str],
    *,
    by: str | None = None,
    lang: str = "zh",
    paper: str = "A4",
    orientation: Orientation = "auto",
    plan: Any = None,
    chiefs: Any = None,
    overwrite: bool = False,
    progress: bool = False,
    title: str | None = None,
    credit: str | None = None,
    date: str | _dt.date | None = None,
    empty_units: bool = False,
) -> Path:
    """Write a printable multi-page PDF atlas (图册) of who is responsible for which reach.

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign` (or :func:`rivermap.read_responsibility`).
        Geometries may be in any CRS; maps are drawn in a projected CRS in metres
        (``resp.summary["metric_crs"]``, or the data's own when projected), so
        the scale bar is true.
    path
        The ``.pdf`` file to write (atomically).
    by
        The level with a page per unit; default :func:`default_level` (the
        second-finest level). Reaches are coloured by the level below it.
    lang
        ``"zh"`` (default) or ``"en"`` for titles, legends and table headers.
        Names come from the data as they are.
    paper
        ``"A4"`` or ``"A3"``.
    orientation
        ``"auto"`` (landscape for units wider than tall, portrait otherwise;
        the overview likewise), ``"portrait"`` or ``"landscape"``.
    plan
        A :class:`rivermap.Plan` (anything with ``segments``, a GeoDataFrame of
        ``segment_id``, ``river_id``, ``from_m``, ``to_m``, ``length_m``,
        ``unit_id`` and geometry, and ``level``): its split points are marked
        on the maps and its segments listed under each unit's reaches.
    chiefs
        A chief roster, as :meth:`Responsibility.with_chiefs` takes it (from
        :func:`rivermap.read_chiefs`, a CSV/XLSX path or a DataFrame). Default:
        the ``chief_<level>`` columns of ``resp.reaches`` when
        :meth:`~Responsibility.with_chiefs` added them, else ``resp.roster``.
        The table's chief column names the chief at the level the reaches
        are coloured by (one below ``by``), both banks' for a boundary reach;
        without any roster there is no chief column.
    overwrite
        Replace an existing file.
    progress
        Show a progress bar (tqdm) over the pages.
    title
        The overview's title; default "<top unit>河长制责任图册".
    credit
        Data-source credit printed on every page, e.g.
        ``rivermap.datasets.attribution("zhejiang")`` for the demo data.
    date
        Date printed on the overview; default today.
    empty_units
        Also give units without rivers a page (a map with the note that no
        river runs there).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        If ``by`` is not a level of ``resp``, or ``lang``, ``paper`` or
        ``orientation`` is not one of the values above (checked before any work).
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False (checked before any work).
    CRSError
        If ``resp`` has no CRS.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> resp = rm.assign(rivers, units)
    >>> out = atlas(resp, pathlib.Path(tempfile.mkdtemp()) / "atlas.pdf", by="province",
    ...             credit=rm.datasets.attribution("zhejiang"))
    >>> out.read_bytes()[:5]
    b'%PDF-'
    """
    from rivermap.io import check_output

    lang = check_lang(lang)
    paper = check_choice("paper", paper.upper() if isinstance(paper, str) else paper, PAPERS)
    orient = cast("Orientation", check_choice("orientation", orientation, ORIENTATIONS))
    by = check_level(_level_or_default(resp, by), tuple(resp.levels), name="by")
    final = check_output(path, overwrite=overwrite)
    data = AtlasData(resp, by=by, lang=lang, plan=plan, chiefs=chiefs)
    doc = Document(
        data,
        paper=paper,
        orientation=orient,
        title=title,
        credit=credit,
        date=_date_text(date),
        empty_units=empty_units,
    )
    pages = doc.pages()
    font = font_for(doc.texts())
    _write_pdf(final, doc, pages, font, overwrite=overwrite, progress=progress)
    return final


def plot_responsibility(
    resp: Responsibility,
    *,
    level: str | None = None,
    ax: Axes | None = None,
    lang: str = "zh",
) -> Axes:
    """Draw the responsibility map on a matplotlib axes (for notebooks and reports).

    Units at ``level`` are tinted so that neighbours differ and named; each
    reach takes the colour of its responsible unit at ``level``; boundary
    reaches (界河段) are dashed black and reaches outside every unit grey.
    Drawn in a projected CRS in metres, with the open CJK font of the atlas
    attached to every text (no global matplotlib settings are changed).

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign`.
    level
        The level whose units colour the reaches; default :func:`default_level`.
    ax
        The axes to draw on; a new figure (through pyplot) when None.
    lang
        ``"zh"`` or ``"en"`` for the legend.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> from matplotlib.figure import Figure
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> resp = rm.assign(rivers, units)
    >>> ax = plot_responsibility(resp, level="city", ax=Figure().add_subplot())
    >>> len(ax.collections) >= 2
    True
    """
    lang = check_lang(lang)
    by = check_level(_level_or_default(resp, level), tuple(resp.levels), name="level")
    data = AtlasData(
        resp,
        by=by,
        lang=lang,
        plan=None,
        chiefs=None,
        colour_level=level,
    )
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 8))
    draw_responsibility_map(ax, data, Fonts(font_for(data.texts())))
    return ax


# ==================================================================== helpers
def _level_or_default(resp: Responsibility, level: str | None) -> str:
    return default_level(resp) if level is None else level


def _date_text(date: str | _dt.date | None) -> str:
    """``date`` as printed: ISO for a date, as given for text, today by default."""
    when = _dt.date.today() if date is None else date
    return when.isoformat() if isinstance(when, _dt.date) else str(when)


def _write_pdf(
    path: Path, doc: Document, pages: list[Page], font: Path, *, overwrite: bool, progress: bool
) -> None:
    """Render ``pages`` into the PDF ``path`` (atomically), fonts embedded as TrueType."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    from rivermap.io import atomic_output

    iterator: Iterable[Page] = pages
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(pages, desc="atlas", unit="page")
    metadata = {"Title": doc.title, "Creator": f"rivermap {rivermap_version()}"}
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}),
        atomic_output(path, overwrite=overwrite) as tmp,
        PdfPages(tmp, metadata=metadata) as pdf,
    ):
        for page in iterator:
            fig = doc.render(page, font)
            pdf.savefig(fig)
            fig.clear()
