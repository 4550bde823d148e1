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

Chinese text is set in Noto Sans CJK SC from the ``noto-cjk-sans-otc``
package (see :mod:`rivermap.maps._fonts`), embedded in the PDF as a subset
TrueType font (``pdf.fonttype`` 42), so the text can be searched and copied.
Nothing here changes matplotlib's global settings: the PDF is drawn on
figures made without :mod:`matplotlib.pyplot`, inside
:func:`matplotlib.rc_context`, and every text artist carries its own font.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap.errors import CRSError, RivermapError, SchemaError
from rivermap.maps import _style
from rivermap.maps._fonts import font_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    from rivermap.responsibility import Responsibility

__all__ = ["PAPER_SIZES", "atlas", "default_level", "plot_responsibility"]

#: Paper sizes (width, height) in millimetres, portrait.
PAPER_SIZES: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

Orientation = Literal["auto", "portrait", "landscape"]

# Page layout, in millimetres of paper.
_MARGIN = 12.0
_TITLE_BAND = 16.0
_FOOTER_BAND = 8.0
_ROW = 4.6  # table line height
_TABLE_PT = 6.5  # table font size
_MAP_SHARE_MIN = 0.55  # share of the content height kept for the map on a unit page
_GAP = 3.0
# Landscape only when it draws the unit at least this much larger than portrait.
_LANDSCAPE_GAIN = 1.1
# Width of a character in em: CJK full width, others about half.
_NARROW_EM = 0.56
_CELL_PAD_EM = 0.9
_MAX_COL_EM = {"river": 13.0, "unit": 11.0, "chief": 9.0, "flags": 10.0, "id": 10.0}
# How many river names the overview labels at most (the longest rivers).
_OVERVIEW_LABELS = 40
_LEVEL_COLOURS = ("#b2182b", "#e66101", "#1f78b4", "#33a02c", "#6a3d9a", "#b15928")
_ABOVE_COLOUR = "#000000"
_NEIGHBOUR_FILL = "#e9e9e9"
_NEIGHBOUR_EDGE = "#b5b5b5"
_CONTEXT_RIVER = "#8fa9c4"

_TEXT: dict[str, tuple[str, str]] = {
    "atlas_title": ("{name}河长制责任图册", "River chief responsibility atlas: {name}"),
    "atlas_title_plain": ("河长制责任图册", "River chief responsibility atlas"),
    "unit_title": ("{name}（{code}）河流责任图", "{name} ({code}): rivers and responsibility"),
    "table_title": ("{name}（{code}）（续）", "{name} ({code}), continued"),
    "unit_sub": (
        "河段按{level}责任单位着色；界河段为虚线；灰色为相邻{by}",
        (
            "Reaches coloured by responsible {level}; boundary reaches dashed; "
            "neighbouring {by} units in grey"
        ),
    ),
    "overview_sub": (
        (
            "河流按河长级别着色 · 河流 {rivers} 条，河段 {reaches} 段（界河段 {boundary} 段），"
            "总长 {km} 公里 · 制图日期 {date}"
        ),
        (
            "Rivers coloured by chief level · {rivers} rivers, {reaches} reaches "
            "({boundary} along boundaries), {km} km · {date}"
        ),
    ),
    "plot_title": ("河段按{level}责任单位着色", "Reaches coloured by responsible {level}"),
    "chief_level": ("河长级别", "Chief level"),
    "level_chief": ("{level}级河长", "{level} chief"),
    "above": ("跨{level}（{level}级以上协调）", "Across {level} units (above {level})"),
    "no_chief": ("区域外河段", "Outside all units"),
    "boundary_shared": ("界河段（两岸分别负责）", "Boundary reach (each bank its own)"),
    "other_reaches": ("其他河段", "Other reaches"),
    "more_units": ("…… 其余 {n} 个单位", "… {n} more units"),
    "plan_points": ("方案分段点", "Proposed split points"),
    "made_with": ("制图：rivermap {version}", "Made with rivermap {version}"),
    "source": ("数据来源：{credit}", "Data: {credit}"),
    "page": ("第 {n} 页", "Page {n}"),
    "no_rivers_units": (
        "无河流的{level}（{n} 个，未单独成页）：",
        "{level} units without rivers ({n}, no page of their own): ",
    ),
    "no_rivers_here": ("本单位内无河流。", "No river in this unit."),
    "reaches_table": ("河段表", "Reaches"),
    "reaches_table_cont": ("河段表（续）", "Reaches (continued)"),
    "segments_table": ("调整方案河段（{level}）", "Proposed segments ({level})"),
    "segments_table_cont": (
        "调整方案河段（{level}，续）",
        "Proposed segments ({level}, continued)",
    ),
    "from_to_km": ("起止（公里）", "From–to (km)"),
    "length_km": ("长度（公里）", "Length (km)"),
    "km": ("公里", "km"),
    "m": ("米", "m"),
    "north": ("北", "N"),
    "unnamed": ("未命名 {id}", "unnamed {id}"),
    "segment": ("河段编号", "Segment"),
}


def _t(key: str, lang: str, **kwargs: Any) -> str:
    zh, en = _TEXT[key]
    return (zh if lang == "zh" else en).format(**kwargs)


def _level_name(level: str, lang: str) -> str:
    label = _style.level_label(level, lang)
    return label if lang == "zh" else label.capitalize()


# ================================================================== public API
def default_level(resp: Responsibility) -> str:
    """The level :func:`atlas` makes pages for when ``by`` is not given.

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
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False (checked before any work).
    SchemaError
        If ``by`` is not a level of ``resp``.
    RivermapError
        If ``lang``, ``paper`` or ``orientation`` is not one of the values above.
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
    from rivermap.io import atomic_output, check_output

    lang = _check_choice("lang", lang, ("zh", "en"))
    paper = _check_choice("paper", paper.upper() if isinstance(paper, str) else paper, PAPER_SIZES)
    orientation = _check_choice("orientation", orientation, ("auto", "portrait", "landscape"))  # type: ignore[assignment]
    final = check_output(path, overwrite=overwrite)
    data = _AtlasData(resp, by=by, lang=lang, plan=plan, chiefs=chiefs)
    when = _dt.date.today() if date is None else date
    date_text = when.isoformat() if isinstance(when, _dt.date) else str(when)
    doc = _Document(
        data,
        paper=paper,
        orientation=orientation,
        title=title,
        credit=credit,
        date=date_text,
        empty_units=empty_units,
    )
    pages = doc.pages()

    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    font = font_for(doc.texts())
    iterator: Iterable[_Page] = pages
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(pages, desc="atlas", unit="page")
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}),
        atomic_output(final, overwrite=overwrite) as tmp,
        PdfPages(
            tmp,
            metadata={"Title": doc.title, "Creator": f"rivermap {_version()}"},
        ) as pdf,
    ):
        for page in iterator:
            fig = doc.render(page, font)
            pdf.savefig(fig)
            fig.clear()
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
    from matplotlib.font_manager import FontProperties

    lang = _check_choice("lang", lang, ("zh", "en"))
    data = _AtlasData(resp, by=level, lang=lang, plan=None, chiefs=None, colour_level=level)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 8))
    font = font_for(data.texts())

    def fp(size: float) -> FontProperties:
        return FontProperties(fname=font, size=size)

    lv = data.by
    units = data.units_at(lv)
    colours = data.colour_of_units(units)
    xmin, ymin, xmax, ymax = data.extent()
    pad = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal", adjustable="box")
    tol = max(xmax - xmin, ymax - ymin, 1.0) / 3000
    _add_polygons(
        ax,
        shapely.simplify(units.geometry.to_numpy(), tol),
        facecolors=[_tint(colours[u], 0.18) for u in units.index],
        edgecolors="#7a7a7a",
        linewidths=0.5,
    )
    top = data.units_at(data.levels[0])
    _add_polygons(
        ax,
        shapely.simplify(top.geometry.to_numpy(), tol),
        facecolors="none",
        edgecolors="#333333",
        linewidths=1.0,
    )
    key = data.colour_keys(lv, np.arange(len(data.reaches)))
    _draw_reaches(ax, data, np.arange(len(data.reaches)), key, colours, width=1.3)
    if len(units) <= 120:
        for uid, pt in zip(
            units.index, shapely.point_on_surface(units.geometry.to_numpy()), strict=True
        ):
            ax.text(
                pt.x,
                pt.y,
                data.unit_name(uid),
                fontproperties=fp(7),
                color="#444444",
                ha="center",
                va="center",
                parse_math=False,
                zorder=4,
            )
    inside = np.flatnonzero(key != "<outside>")
    _river_labels(ax, data, inside, fp(7), max_labels=_OVERVIEW_LABELS)
    handles, labels = _reach_legend(data, key, colours, lang, max_units=12)
    if handles:
        ax.legend(handles, labels, prop=fp(7), loc="lower right", framealpha=0.9)
    ax.set_title(_t("plot_title", lang, level=_level_name(lv, lang)), fontproperties=fp(9))
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


# ================================================================= validation
def _check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    options = list(choices)
    if value not in options:
        msg = f"{name}={value!r}: expected one of {', '.join(repr(c) for c in options)}"
        raise RivermapError(msg)
    return str(value)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("rivermap")
    except Exception:  # pragma: no cover - running from a bare source tree
        return "dev"


# ======================================================================= data
class _AtlasData:
    """The responsibility tables in a metric CRS, with every lookup the pages need."""

    def __init__(
        self,
        resp: Responsibility,
        *,
        by: str | None,
        lang: str,
        plan: Any,
        chiefs: Any,
        colour_level: str | None = None,
    ) -> None:
        self.lang = lang
        self.levels: tuple[str, ...] = tuple(resp.levels)
        if by is None:
            by = default_level(resp)
        if by not in self.levels:
            msg = f"by={by!r}: not a level of this result; its levels are {', '.join(self.levels)}"
            raise SchemaError(msg)
        self.by = by
        i = self.levels.index(by)
        self.sub = self.levels[i + 1] if i + 1 < len(self.levels) else by
        if colour_level is not None:
            self.sub = colour_level
        if resp.crs is None:
            msg = "the responsibility result has no CRS; assign rivers and units that have one"
            raise CRSError(msg)
        self.crs = _drawing_crs(resp)
        self.summary = resp.summary
        units = resp.units.to_crs(self.crs)
        units["unit_id"] = units["unit_id"].astype(str)
        self.units = units.set_index("unit_id", drop=False)
        self.names = {
            uid: (str(n) if isinstance(n, str) and n else uid)
            for uid, n in zip(self.units.index, self.units["name"], strict=True)
        }
        self.anc = _ancestors(self.units, self.levels)
        reaches = resp.reaches.to_crs(self.crs).reset_index(drop=True)
        self.reaches = reaches
        self.sides = self._sides(reaches)
        rivers = resp.rivers
        self.chief_level = dict(
            zip(rivers["river_id"].astype(str), rivers["chief_level"], strict=True)
        )
        self.river_names = {
            rid: (str(n) if isinstance(n, str) and n else _t("unnamed", lang, id=rid))
            for rid, n in zip(rivers["river_id"].astype(str), rivers["name"], strict=True)
        }
        self.unnamed = {
            rid
            for rid, n in zip(rivers["river_id"].astype(str), rivers["name"], strict=True)
            if not (isinstance(n, str) and n)
        }
        self.reach_river = reaches["river_id"].astype(str).to_numpy()
        self.reach_names = np.array(
            [self.river_names.get(r, r) for r in self.reach_river], dtype=object
        )
        self.has_flags = callable(getattr(resp, "flags", None))
        self.flags = _river_flags(resp, by) if self.has_flags else {}
        self.chiefs = _ChiefLookup.build(resp, reaches, chiefs, self.sub)
        self.plan = _plan_segments(plan, self.crs)
        self.plan_level = None if plan is None else str(getattr(plan, "level", ""))
        self._tree: shapely.STRtree | None = None

    # -- tables
    def _sides(self, reaches: gpd.GeoDataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per level, the unit on each side of every reach (the same twice unless they differ)."""
        left = reaches["left_unit"].astype(object)
        right = reaches["right_unit"].astype(object)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for lv in self.levels:
            col = reaches[lv].astype(object)
            has = col.notna()
            a = np.array(col.where(has, left.map(self.anc[lv])), dtype=object)
            b = np.array(col.where(has, right.map(self.anc[lv])), dtype=object)
            # one side known only (outer border): both sides are that unit
            a_none = pd.isna(a)
            b_none = pd.isna(b)
            a[a_none] = b[a_none]
            b[b_none] = a[b_none]
            out[lv] = (a, b)
        return out

    def units_at(self, level: str) -> gpd.GeoDataFrame:
        return self.units[self.units["level"] == level]

    def unit_name(self, uid: str) -> str:
        return self.names.get(uid, uid)

    def members(self, level: str) -> dict[str, np.ndarray]:
        """Reach positions per unit of ``level`` (a boundary reach belongs to both sides)."""
        a, b = self.sides[level]
        idx = np.arange(len(a))
        frame = pd.DataFrame(
            {"unit": np.concatenate([a, b]), "reach": np.concatenate([idx, idx])}
        ).dropna()
        frame = frame.drop_duplicates()
        return {
            str(u): np.sort(g["reach"].to_numpy(dtype=np.int64))
            for u, g in frame.groupby("unit", sort=True)
        }

    def colour_keys(self, level: str, rows: np.ndarray) -> np.ndarray:
        """A reach's colour key at ``level``: its unit, ``"<boundary>"`` or ``"<outside>"``."""
        a, b = self.sides[level]
        a = a[rows]
        b = b[rows]
        out = np.where(pd.isna(a), "<outside>", a).astype(object)
        differ = ~pd.isna(a) & ~pd.isna(b) & (a != b)
        out[differ] = "<boundary>"
        return out

    def colour_of_units(self, units: gpd.GeoDataFrame) -> dict[str, str]:
        if len(units) == 0:
            return {}
        colours = _style.colour_units(units.reset_index(drop=True))
        return {str(k): str(v) for k, v in colours.items()}

    def cell_unit(self, level: str, row: int) -> str:
        a, b = self.sides[level]
        ua, ub = a[row], b[row]
        if pd.isna(ua):
            return "—"
        if ua == ub:
            return self.unit_name(ua)
        return f"{self.unit_name(ua)} / {self.unit_name(ub)}"

    def extent(self) -> tuple[float, float, float, float]:
        geoms = self.units.geometry.to_numpy()
        if len(geoms) == 0:
            geoms = self.reaches.geometry.to_numpy()
        b = shapely.total_bounds(geoms)
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])

    @property
    def reach_tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.reaches.geometry.to_numpy())
        return self._tree

    def texts(self) -> list[str]:
        """Every string from the data that may be drawn (for the font subset)."""
        out: list[str] = list(self.names.values())
        out += list(self.river_names.values())
        out += [v for pair in _TEXT.values() for v in pair]
        out += [_style.level_label(lv, self.lang) for lv in self.levels]
        out += [
            _style.reason_label(r, self.lang)
            for r in ("crosses", "boundary", "reenters", "slivers")
        ]
        out += list(_style.ui_texts(self.lang).values())
        out += self.chiefs.texts()
        for reasons in self.flags.values():
            out.extend(reasons)
        if self.plan is not None:
            out += self.plan["segment_id"].astype(str).tolist()
            out += self.plan["unit_name"].astype(str).tolist()
        return out


def _drawing_crs(resp: Responsibility) -> pyproj.CRS:
    """A projected CRS in metres to draw in: the one :func:`rivermap.assign` measured in.

    That is the data's own CRS when it is a true metric one (not web Mercator),
    else a Gauss-Krüger or UTM zone (see :func:`rivermap.crs.metric_crs`).
    """
    metric = resp.summary.get("metric_crs")
    if metric:
        return pyproj.CRS.from_user_input(metric)
    from rivermap.crs import metric_crs

    return metric_crs(resp.units)


def _ancestors(units: gpd.GeoDataFrame, levels: Sequence[str]) -> dict[str, dict[str, str]]:
    """For each level, ``unit_id -> the unit's ancestor (or itself) at that level``."""
    ids = units["unit_id"].astype(str)
    parent = pd.Series(units["parent_id"].astype(object).to_numpy(), index=ids.to_numpy())
    parent = parent.where(parent.notna(), None).map(lambda v: None if v is None else str(v))
    level_of = pd.Series(units["level"].astype(str).to_numpy(), index=ids.to_numpy())
    out: dict[str, dict[str, str]] = {}
    for i, lv in enumerate(levels):
        own = level_of.index[level_of == lv]
        anc = pd.Series(own, index=own, dtype=object)
        for deeper in levels[i + 1 :]:
            below = level_of.index[level_of == deeper]
            anc = pd.concat([anc, parent[below].map(anc).dropna()])
        out[lv] = {str(k): str(v) for k, v in anc.items()}
    return out


def _river_flags(resp: Responsibility, level: str) -> dict[str, list[str]]:
    """``river_id -> flag reasons at level`` from ``resp.flags`` (empty when unavailable)."""
    method = getattr(resp, "flags", None)
    if not callable(method):
        return {}
    table = method(level=level)
    if table is None or len(table) == 0 or "reasons" not in table.columns:
        return {}
    if "level" in table.columns:
        table = table[table["level"].astype(str) == level]
    out: dict[str, list[str]] = {}
    for rid, reasons in zip(table["river_id"].astype(str), table["reasons"], strict=True):
        if isinstance(reasons, str) and reasons:
            items = [r.strip() for r in reasons.split(",") if r.strip()]
            out.setdefault(rid, [])
            out[rid] += [r for r in items if r not in out[rid]]
    return out


@dataclass
class _ChiefLookup:
    """The chief of every reach at one level, as :meth:`Responsibility.with_chiefs` names them."""

    column: np.ndarray | None = None

    @property
    def enabled(self) -> bool:
        return self.column is not None

    @classmethod
    def build(
        cls,
        resp: Responsibility,
        reaches: gpd.GeoDataFrame,
        chiefs: Any,
        level: str,
    ) -> _ChiefLookup:
        col = f"chief_{level}"
        if chiefs is None and col not in reaches.columns:
            chiefs = resp.roster
        if chiefs is not None:
            named = resp.with_chiefs(chiefs).reaches
            by_reach = dict(zip(named["reach_id"].astype(str), named[col], strict=True))
            values = reaches["reach_id"].astype(str).map(by_reach)
        elif col in reaches.columns:
            values = reaches[col]
        else:
            return cls()
        text = values.astype(object).where(values.notna(), None)
        return cls(column=np.array([_people(v) for v in text], dtype=object))

    def texts(self) -> list[str]:
        return [] if self.column is None else [str(v) for v in self.column]

    def cell(self, row: int) -> str:
        assert self.column is not None
        return str(self.column[row])


def _people(value: Any) -> str:
    """A chief cell: ``"A;B"`` (both banks) shown as ``"A / B"``, nobody as a dash."""
    if not isinstance(value, str) or not value.strip():
        return "—"
    return " / ".join(part.strip() or "—" for part in value.split(";"))


def _plan_segments(plan: Any, crs: pyproj.CRS) -> gpd.GeoDataFrame | None:
    if plan is None:
        return None
    segments = getattr(plan, "segments", None)
    if not isinstance(segments, gpd.GeoDataFrame):
        msg = "plan: expected a rivermap Plan (an object with a `segments` GeoDataFrame)"
        raise TypeError(msg)
    need = ["segment_id", "river_id", "from_m", "to_m", "length_m", "unit_id"]
    missing = [c for c in need if c not in segments.columns]
    if missing:
        msg = f"plan.segments: missing column(s) {', '.join(missing)}"
        raise SchemaError(msg)
    if segments.crs is None:
        msg = "plan.segments has no CRS"
        raise CRSError(msg)
    seg = segments.to_crs(crs).reset_index(drop=True)
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["river_id"] = seg["river_id"].astype(str)
    seg["unit_id"] = seg["unit_id"].astype(object).where(seg["unit_id"].notna(), None)
    if "unit_name" not in seg.columns:
        seg["unit_name"] = ""
    seg["unit_name"] = seg["unit_name"].astype(object).where(seg["unit_name"].notna(), "")
    return seg


# =================================================================== paging
@dataclass
class _Table:
    """One table: a title, column headers, kinds (for widths) and rows of strings."""

    title: str
    title_cont: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[str]]


@dataclass
class _Chunk:
    table: int
    start: int
    stop: int
    continued: bool


@dataclass
class _Page:
    kind: Literal["overview", "unit", "table"]
    unit: str | None
    orientation: Literal["portrait", "landscape"]
    chunks: list[_Chunk]
    number: int = 0


def _size_mm(paper: str, orientation: str) -> tuple[float, float]:
    w, h = PAPER_SIZES[paper]
    return (h, w) if orientation == "landscape" else (w, h)


def _content_height(paper: str, orientation: str) -> float:
    _, h = _size_mm(paper, orientation)
    return h - 2 * _MARGIN - _TITLE_BAND - _FOOTER_BAND


def table_lines(paper: str, orientation: str) -> tuple[int, int]:
    """Table lines on a unit's map page and on a continuation page.

    Each table chunk on a page spends two lines on its title and header.

    Examples
    --------
    >>> table_lines("A4", "portrait")
    (23, 54)
    """
    content = _content_height(paper, orientation)
    first = int((content * (1 - _MAP_SHARE_MIN) - _GAP) // _ROW)
    cont = int(content // _ROW)
    return first, cont


def _map_box(paper: str, orientation: str, row_counts: Sequence[int]) -> tuple[float, float]:
    """Width and height (mm) of the map on a unit's first page."""
    w, _ = _size_mm(paper, orientation)
    first, cont = table_lines(paper, orientation)
    chunks = paginate(row_counts, first, cont)[0]
    lines = sum(stop - start + 2 for _, start, stop in chunks)
    return w - 2 * _MARGIN, _content_height(paper, orientation) - (
        lines * _ROW + _GAP if lines else 0.0
    )


def paginate(row_counts: Sequence[int], first: int, cont: int) -> list[list[tuple[int, int, int]]]:
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
    pages: list[list[tuple[int, int, int]]] = [[]]
    avail = first
    for t, n in enumerate(row_counts):
        start = 0
        while start < n:
            if avail < 3:
                pages.append([])
                avail = cont
            take = min(n - start, avail - 2)
            pages[-1].append((t, start, start + take))
            avail -= take + 2
            start += take
    return pages


# ================================================================== document
class _Document:
    def __init__(
        self,
        data: _AtlasData,
        *,
        paper: str,
        orientation: str,
        title: str | None,
        credit: str | None,
        date: str,
        empty_units: bool,
    ) -> None:
        self.data = data
        self.paper = paper
        self.orientation = orientation
        self.credit = credit
        self.date = date
        self.empty_units = empty_units
        lang = data.lang
        tops = data.units_at(data.levels[0])
        top_names = [data.unit_name(u) for u in tops.index]
        if title is not None:
            self.title = title
        elif 0 < len(top_names) <= 3:
            self.title = _t(
                "atlas_title",
                lang,
                name="、".join(top_names) if lang == "zh" else ", ".join(top_names),
            )
        else:
            self.title = _t("atlas_title_plain", lang)
        self.members = data.members(data.by)
        self._tables: dict[str, list[_Table]] = {}

    # -- content
    def page_units(self) -> list[str]:
        units = self.data.units_at(self.data.by)
        ids = sorted(str(u) for u in units.index)
        if self.empty_units:
            return ids
        return [u for u in ids if u in self.members]

    def units_without_rivers(self) -> list[str]:
        units = self.data.units_at(self.data.by)
        return sorted(str(u) for u in units.index if str(u) not in self.members)

    def tables(self, unit: str) -> list[_Table]:
        if unit in self._tables:
            return self._tables[unit]
        data = self.data
        lang = data.lang
        rows_idx = self.members.get(unit, np.empty(0, dtype=np.int64))
        reaches = data.reaches
        order = np.lexsort(
            (reaches["from_m"].to_numpy()[rows_idx], data.reach_names[rows_idx].astype(str))
        )
        rows_idx = rows_idx[order]
        headers = [
            _style.text("river", lang),
            _t("from_to_km", lang),
            _t("length_km", lang),
        ]
        kinds = ["river", "num", "num"]
        for lv in data.levels:
            headers.append(_level_name(lv, lang))
            kinds.append("unit")
        if data.chiefs.enabled:
            headers.append(_style.text("chief", lang))
            kinds.append("chief")
        if data.has_flags:
            headers.append(_style.text("flag", lang))
            kinds.append("flags")
        from_m = reaches["from_m"].to_numpy()
        to_m = reaches["to_m"].to_numpy()
        length = reaches["length_m"].to_numpy()
        sep = "、" if lang == "zh" else ", "
        rows: list[list[str]] = []
        for r in rows_idx.tolist():
            row = [
                str(data.reach_names[r]),
                f"{from_m[r] / 1000:.2f}–{to_m[r] / 1000:.2f}",
                f"{length[r] / 1000:.2f}",
            ]
            row += [data.cell_unit(lv, r) for lv in data.levels]
            if data.chiefs.enabled:
                row.append(data.chiefs.cell(r))
            if "flags" in kinds:
                reasons = data.flags.get(str(data.reach_river[r]), [])
                row.append(sep.join(_style.reason_label(x, lang) for x in reasons))
            rows.append(row)
        out = [
            _Table(
                _t("reaches_table", lang),
                _t("reaches_table_cont", lang),
                headers,
                kinds,
                rows,
            )
        ]
        seg_rows = self.plan_rows(unit)
        if seg_rows is not None:
            level = _level_name(data.plan_level or "", lang)
            out.append(
                _Table(
                    _t("segments_table", lang, level=level),
                    _t("segments_table_cont", lang, level=level),
                    [
                        _t("segment", lang),
                        _style.text("river", lang),
                        _t("from_to_km", lang),
                        _t("length_km", lang),
                        _style.text("responsible", lang),
                    ],
                    ["id", "river", "num", "num", "unit"],
                    seg_rows,
                )
            )
        self._tables[unit] = out
        return out

    def plan_segments_in(self, unit: str) -> np.ndarray:
        data = self.data
        if data.plan is None or unit not in data.units.index:
            return np.empty(0, dtype=np.int64)
        poly = data.units.geometry[unit]
        geoms = data.plan.geometry.to_numpy()
        hit = np.flatnonzero(shapely.intersects(geoms, poly))
        if len(hit) == 0:
            return hit
        inside = shapely.length(shapely.intersection(geoms[hit], poly))
        return hit[inside > 1.0]

    def plan_rows(self, unit: str) -> list[list[str]] | None:
        data = self.data
        if data.plan is None:
            return None
        seg = data.plan
        idx = self.plan_segments_in(unit)
        sub = seg.iloc[idx].sort_values(["river_id", "from_m"])
        rows = []
        for s in sub.itertuples(index=False):
            uid = s.unit_id
            name = (
                str(s.unit_name)
                if s.unit_name
                else (data.unit_name(str(uid)) if uid is not None else "—")
            )
            rows.append(
                [
                    str(s.segment_id),
                    data.river_names.get(str(s.river_id), str(s.river_id)),
                    f"{float(s.from_m) / 1000:.2f}–{float(s.to_m) / 1000:.2f}",
                    f"{float(s.length_m) / 1000:.2f}",
                    name,
                ]
            )
        return rows

    def orientation_for(
        self, geom: Any, row_counts: Sequence[int] = ()
    ) -> Literal["portrait", "landscape"]:
        """The orientation that draws ``geom`` largest beside its first table lines."""
        if self.orientation in ("portrait", "landscape"):
            return self.orientation  # type: ignore[return-value]
        minx, miny, maxx, maxy = shapely.bounds(geom)
        w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        best: tuple[float, str] = (-1.0, "portrait")
        for orient in ("portrait", "landscape"):
            map_w, map_h = _map_box(self.paper, orient, row_counts)
            scale = min(map_w / w, map_h / h)
            if scale > best[0] * _LANDSCAPE_GAIN:
                best = (scale, orient)
        return best[1]  # type: ignore[return-value]

    def pages(self) -> list[_Page]:
        data = self.data
        pages = [_Page("overview", None, self.orientation_for(shapely.box(*data.extent())), [])]
        for unit in self.page_units():
            tables = self.tables(unit)
            counts = [len(t.rows) for t in tables]
            orient = self.orientation_for(data.units.geometry[unit], counts)
            first, cont = table_lines(self.paper, orient)
            for k, chunks in enumerate(paginate(counts, first, cont)):
                pages.append(
                    _Page(
                        "unit" if k == 0 else "table",
                        unit,
                        orient,
                        [_Chunk(t, a, b, continued=a > 0) for t, a, b in chunks],
                    )
                )
        for n, page in enumerate(pages, start=1):
            page.number = n
        return pages

    def texts(self) -> list[str]:
        out = [*self.data.texts(), self.title, self.date]
        if self.credit:
            out.append(self.credit)
        for unit in self.page_units():
            for table in self.tables(unit):
                out += [*table.headers, table.title, table.title_cont]
                for row in table.rows:
                    out += row
        return out

    # -- rendering
    def render(self, page: _Page, font: Path) -> Figure:
        from matplotlib.figure import Figure

        w, h = _size_mm(self.paper, page.orientation)
        fig = Figure(figsize=(w / 25.4, h / 25.4))
        canvas = _Canvas(fig, w, h, font)
        if page.kind == "overview":
            self._render_overview(canvas, page)
        else:
            self._render_unit(canvas, page)
        self._footer(canvas, page)
        return fig

    def _footer(self, c: _Canvas, page: _Page) -> None:
        lang = self.data.lang
        parts = [_t("made_with", lang, version=_version())]
        if self.credit:
            parts.append(_t("source", lang, credit=self.credit))
        c.text(_MARGIN, _MARGIN, "   ".join(parts), size=6, ha="left", va="bottom", color="#555555")
        c.text(
            c.w - _MARGIN, _MARGIN, _t("page", lang, n=page.number), size=7, ha="right", va="bottom"
        )

    def _render_overview(self, c: _Canvas, page: _Page) -> None:
        data = self.data
        lang = data.lang
        s = data.summary
        c.text(_MARGIN, c.h - _MARGIN, self.title, size=18, ha="left", va="top")
        sub = _t(
            "overview_sub",
            lang,
            rivers=f"{int(s.get('n_rivers', 0)):,}",
            reaches=f"{int(s.get('n_reaches', 0)):,}",
            boundary=f"{int(s.get('n_boundary_reaches', 0)):,}",
            km=f"{float(s.get('total_length_m', 0.0)) / 1000:,.1f}",
            date=self.date,
        )
        c.text(_MARGIN, c.h - _MARGIN - 9.5, sub, size=8, ha="left", va="top", color="#333333")
        bottom = _MARGIN + _FOOTER_BAND
        empty = self.units_without_rivers()
        note = ""
        if empty and not self.empty_units:
            sep = "、" if lang == "zh" else ", "
            note = _t(
                "no_rivers_units", lang, level=_level_name(data.by, lang), n=len(empty)
            ) + sep.join(data.unit_name(u) for u in empty)
        note_lines = _wrap(note, (c.w - 2 * _MARGIN) / (6 * 0.3528)) if note else []
        if note_lines:
            c.text(
                _MARGIN,
                bottom,
                "\n".join(note_lines),
                size=6,
                ha="left",
                va="bottom",
                color="#444444",
                linespacing=1.4,
            )
            bottom += len(note_lines) * 3.0 + 2
        top = c.h - _MARGIN - _TITLE_BAND
        ax = c.map_axes(_MARGIN, bottom, c.w - 2 * _MARGIN, top - bottom)
        xmin, _, xmax, _ = _fit_view(data.extent(), ax, c)
        tol = (xmax - xmin) / 2500
        levels = data.levels
        second = data.units_at(levels[1]) if len(levels) > 1 else data.units_at(levels[0])
        tops = data.units_at(levels[0])
        _add_polygons(
            ax,
            shapely.simplify(second.geometry.to_numpy(), tol),
            facecolors="#f7f7f2",
            edgecolors="#9a9a9a",
            linewidths=0.5,
        )
        _add_polygons(
            ax,
            shapely.simplify(tops.geometry.to_numpy(), tol),
            facecolors="none",
            edgecolors="#222222",
            linewidths=1.2,
        )
        # rivers by chief level
        rows = np.arange(len(data.reaches))
        chief = pd.Series(data.reach_river).map(data.chief_level).astype(object)
        outside = data.reaches["kind"].astype(str).to_numpy() == "outside"
        key = np.where(chief.notna().to_numpy() & ~outside, chief.to_numpy(), "<none>")
        key = key.astype(object)
        colours, widths, labels = _chief_styles(levels, lang)
        for k in ["<none>", *reversed(list(colours))]:
            sel = rows[key == k]
            if len(sel) == 0:
                continue
            _add_lines(
                ax,
                data.reaches.geometry.to_numpy()[sel],
                colors=colours.get(k, _style.OUTSIDE_COLOUR),
                linewidths=widths.get(k, 0.6),
                zorder=3,
            )
        # names: second-level units, then rivers
        for uid, pt in zip(
            second.index, shapely.point_on_surface(second.geometry.to_numpy()), strict=True
        ):
            ax.text(
                pt.x,
                pt.y,
                data.unit_name(uid),
                fontproperties=c.fp(8),
                color="#333333",
                ha="center",
                va="center",
                parse_math=False,
                zorder=5,
            )
        if len(levels) > 1 and len(tops) > 1:
            for uid, pt in zip(
                tops.index, shapely.point_on_surface(tops.geometry.to_numpy()), strict=True
            ):
                ax.text(
                    pt.x,
                    pt.y,
                    data.unit_name(uid),
                    fontproperties=c.fp(11),
                    color="#000000",
                    ha="center",
                    va="center",
                    parse_math=False,
                    zorder=5,
                    alpha=0.6,
                )
        _river_labels(
            ax, data, rows[key != "<none>"], c.fp(6.5), max_labels=_OVERVIEW_LABELS, color="#0b3d91"
        )
        from matplotlib.lines import Line2D

        present = set(key.tolist())
        handles = [Line2D([], [], color=colours[k], lw=widths[k]) for k in colours if k in present]
        names = [labels[k] for k in colours if k in present]
        if "<none>" in present:
            handles.append(Line2D([], [], color=_style.OUTSIDE_COLOUR, lw=0.6))
            names.append(_t("no_chief", lang))
        if handles:
            ax.legend(
                handles,
                names,
                prop=c.fp(7),
                loc="lower right",
                framealpha=0.9,
                title=_t("chief_level", lang),
                title_fontproperties=c.fp(7.5),
            )
        _scale_bar(ax, c, lang)
        _north_arrow(ax, c, lang)

    def _render_unit(self, c: _Canvas, page: _Page) -> None:
        data = self.data
        lang = data.lang
        unit = page.unit
        assert unit is not None
        name = data.unit_name(unit)
        tables = self.tables(unit)
        top = c.h - _MARGIN - _TITLE_BAND
        bottom = _MARGIN + _FOOTER_BAND
        if page.kind == "table":
            c.text(
                _MARGIN,
                c.h - _MARGIN,
                _t("table_title", lang, name=name, code=unit),
                size=12,
                ha="left",
                va="top",
            )
            self._tables_at(c, page, tables, top)
            return
        c.text(
            _MARGIN,
            c.h - _MARGIN,
            _t("unit_title", lang, name=name, code=unit),
            size=14,
            ha="left",
            va="top",
        )
        sub_text = _t(
            "unit_sub", lang, level=_level_name(data.sub, lang), by=_level_name(data.by, lang)
        )
        c.text(
            _MARGIN, c.h - _MARGIN - 8.5, sub_text, size=7.5, ha="left", va="top", color="#444444"
        )
        lines = sum(ch.stop - ch.start + 2 for ch in page.chunks)
        table_h = lines * _ROW + (_GAP if lines else 0)
        map_bottom = bottom + table_h
        ax = c.map_axes(_MARGIN, map_bottom, c.w - 2 * _MARGIN, top - map_bottom)
        self._unit_map(ax, c, unit)
        self._tables_at(c, page, tables, map_bottom - _GAP)

    def _unit_map(self, ax: Axes, c: _Canvas, unit: str) -> None:
        data = self.data
        lang = data.lang
        geom = data.units.geometry[unit]
        ub = shapely.bounds(geom)
        span = max(ub[2] - ub[0], ub[3] - ub[1], 1.0)
        pad = 0.04 * span
        xmin, ymin, xmax, ymax = _fit_view(
            (ub[0] - pad, ub[1] - pad, ub[2] + pad, ub[3] + pad), ax, c
        )
        view = shapely.box(xmin, ymin, xmax, ymax)
        tol = (xmax - xmin) / 2500
        level_units = data.units_at(data.by)
        near = level_units[level_units.geometry.intersects(view)]
        others = near[near.index != unit]
        _add_polygons(
            ax,
            shapely.simplify(others.geometry.to_numpy(), tol),
            facecolors=_NEIGHBOUR_FILL,
            edgecolors=_NEIGHBOUR_EDGE,
            linewidths=0.6,
        )
        # sub-units of this unit, tinted with their colour
        if data.sub != data.by:
            anc = data.anc[data.by]
            subs = data.units_at(data.sub)
            subs = subs[[anc.get(str(u)) == unit for u in subs.index]]
        else:
            subs = level_units.loc[[unit]]
        colours = data.colour_of_units(subs)
        _add_polygons(
            ax,
            shapely.simplify(subs.geometry.to_numpy(), tol),
            facecolors=[_tint(colours[u], 0.12) for u in subs.index],
            edgecolors="#8c8c8c",
            linewidths=0.4,
        )
        _add_polygons(
            ax,
            [shapely.simplify(geom, tol)],
            facecolors="none",
            edgecolors="#111111",
            linewidths=1.4,
            zorder=2.5,
        )
        # context reaches (in view, not this unit's), then this unit's
        members = self.members.get(unit, np.empty(0, dtype=np.int64))
        in_view = data.reach_tree.query(view, predicate="intersects")
        context = np.setdiff1d(in_view, members)
        if len(context):
            _add_lines(
                ax,
                data.reaches.geometry.to_numpy()[context],
                colors=_CONTEXT_RIVER,
                linewidths=0.7,
                zorder=2.8,
            )
        flagged = np.isin(data.reach_river[members], list(data.flags))
        if flagged.any():
            _add_lines(
                ax,
                data.reaches.geometry.to_numpy()[members[flagged]],
                colors=_tint(_style.FLAG_COLOUR, 0.35),
                linewidths=4.5,
                zorder=2.9,
            )
        key = data.colour_keys(data.sub, members)
        _draw_reaches(ax, data, members, key, colours, width=1.6)
        # plan split points
        plan_handle = None
        if data.plan is not None:
            idx = self.plan_segments_in(unit)
            if len(idx):
                geoms = data.plan.geometry.to_numpy()[idx]
                ends = (
                    np.concatenate([shapely.get_coordinates(shapely.boundary(g)) for g in geoms])
                    if len(geoms)
                    else np.empty((0, 2))
                )
                if len(ends):
                    ends = np.unique(np.round(ends, 1), axis=0)
                    ax.scatter(
                        ends[:, 0],
                        ends[:, 1],
                        s=14,
                        marker="o",
                        facecolors="white",
                        edgecolors=_style.PLAN_COLOUR,
                        linewidths=1.0,
                        zorder=6,
                    )
                    from matplotlib.lines import Line2D

                    plan_handle = Line2D(
                        [],
                        [],
                        ls="none",
                        marker="o",
                        markerfacecolor="white",
                        markeredgecolor=_style.PLAN_COLOUR,
                        markersize=4,
                    )
        # names
        per_mm = (xmax - xmin) / (ax.get_position().width * c.w)
        sub_geoms = subs.geometry.to_numpy()
        sub_mm = np.sqrt(shapely.area(sub_geoms)) / per_mm  # a unit's size on paper
        for uid, pt, size_mm in zip(
            subs.index, shapely.point_on_surface(sub_geoms), sub_mm, strict=True
        ):
            if data.sub != data.by:
                name_mm = _em(data.unit_name(uid)) * 8 * 0.3528
                ax.text(
                    pt.x,
                    pt.y,
                    data.unit_name(uid),
                    fontproperties=c.fp(8 if name_mm < 1.3 * size_mm else 5.5),
                    color="#3a3a3a",
                    ha="center",
                    va="center",
                    parse_math=False,
                    zorder=4,
                    alpha=0.9,
                )
        if len(others):
            clipped = shapely.intersection(others.geometry.to_numpy(), view)
            area = shapely.area(clipped)
            for uid, g, a in zip(others.index, clipped, area, strict=True):
                if a > 0.01 * view.area:
                    pt = shapely.point_on_surface(g)
                    ax.text(
                        pt.x,
                        pt.y,
                        data.unit_name(uid),
                        fontproperties=c.fp(7.5),
                        color="#8a8a8a",
                        ha="center",
                        va="center",
                        parse_math=False,
                        zorder=4,
                    )
        _river_labels(ax, data, members, c.fp(7), max_labels=60, color="#0b3d91")
        if len(members) == 0:
            ax.text(
                0.5,
                0.5,
                _t("no_rivers_here", lang),
                transform=ax.transAxes,
                fontproperties=c.fp(10),
                ha="center",
                va="center",
                color="#555555",
                parse_math=False,
            )
        handles, labels = _reach_legend(
            data, key, colours, lang, max_units=16, context=len(context) > 0
        )
        if flagged.any():
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color=_tint(_style.FLAG_COLOUR, 0.35), lw=4.5))
            labels.append(_style.text("flagged", lang))
        if plan_handle is not None:
            handles.append(plan_handle)
            labels.append(_t("plan_points", lang))
        if handles:
            ax.legend(
                handles,
                labels,
                prop=c.fp(6.5),
                loc="lower right",
                framealpha=0.9,
                ncol=2 if len(handles) > 9 else 1,
            )
        _scale_bar(ax, c, lang)
        _north_arrow(ax, c, lang)

    def _tables_at(self, c: _Canvas, page: _Page, tables: list[_Table], y_top: float) -> None:
        y = y_top
        width = c.w - 2 * _MARGIN
        for chunk in page.chunks:
            table = tables[chunk.table]
            widths = _column_widths(table, width)
            tw = sum(widths)
            title = table.title_cont if chunk.continued else table.title
            c.text(_MARGIN, y - _ROW / 2, title, size=8, ha="left", va="center")
            y -= _ROW
            c.rect(_MARGIN, y - _ROW, tw, _ROW, "#dfe6ee")
            x = _MARGIN
            for head, wmm in zip(table.headers, widths, strict=True):
                c.text(
                    x + 0.8,
                    y - _ROW / 2,
                    _fit(head, wmm, _TABLE_PT),
                    size=_TABLE_PT,
                    ha="left",
                    va="center",
                )
                x += wmm
            y -= _ROW
            for k, row in enumerate(table.rows[chunk.start : chunk.stop]):
                if k % 2 == 1:
                    c.rect(_MARGIN, y - _ROW, tw, _ROW, "#f3f3f3")
                x = _MARGIN
                for cell, wmm, kind in zip(row, widths, table.kinds, strict=True):
                    if kind == "num":
                        c.text(
                            x + wmm - 0.8,
                            y - _ROW / 2,
                            _fit(cell, wmm, _TABLE_PT),
                            size=_TABLE_PT,
                            ha="right",
                            va="center",
                        )
                    else:
                        c.text(
                            x + 0.8,
                            y - _ROW / 2,
                            _fit(cell, wmm, _TABLE_PT),
                            size=_TABLE_PT,
                            ha="left",
                            va="center",
                        )
                    x += wmm
                y -= _ROW
            c.hline(_MARGIN, y, tw)


# =============================================================== drawing kit
class _Canvas:
    """A page in millimetres: text, rectangles and map axes placed from the bottom-left."""

    def __init__(self, fig: Figure, w: float, h: float, font: Path) -> None:
        self.fig = fig
        self.w = w
        self.h = h
        self.font = font
        self._fps: dict[float, FontProperties] = {}

    def fp(self, size: float) -> FontProperties:
        if size not in self._fps:
            from matplotlib.font_manager import FontProperties

            self._fps[size] = FontProperties(fname=self.font, size=size)
        return self._fps[size]

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
        ax = self.fig.add_axes((x / self.w, y / self.h, w / self.w, h / self.h))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_linewidth(0.6)
        ax.set_facecolor("#ffffff")
        return ax


def _fit_view(bounds: Sequence[float], ax: Axes, c: _Canvas) -> tuple[float, float, float, float]:
    """Grow ``bounds`` to the axes' aspect ratio and set them as the axes' limits."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    bbox = ax.get_position()
    ratio = (bbox.width * c.w) / max(bbox.height * c.h, 1e-9)
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


def _polygon_paths(geoms: Sequence[Any] | np.ndarray) -> tuple[list[Any], np.ndarray]:
    """matplotlib Paths (holes included) for polygons; returns paths and the kept positions."""
    from matplotlib.path import Path as MplPath

    arr = np.asarray(geoms, dtype=object)
    keep = np.flatnonzero(~shapely.is_missing(arr) & ~shapely.is_empty(arr))
    if len(keep) == 0:
        return [], keep
    polys = shapely.get_parts(arr[keep], return_index=True)
    parts, owner = polys
    parts = shapely.get_parts(parts)  # flatten collections
    is_poly = shapely.get_type_id(parts) == 3
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


def _add_polygons(
    ax: Axes,
    geoms: Sequence[Any] | np.ndarray,
    *,
    facecolors: Any,
    edgecolors: Any,
    linewidths: float,
    zorder: float = 1.0,
) -> None:
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


def _line_parts(geoms: Sequence[Any] | np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    arr = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(arr, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)
    parts, owner = parts[ok], owner[ok]
    if len(parts) == 0:
        return [], owner
    _, coords, (offsets,) = shapely.to_ragged_array(parts)
    return np.split(coords, offsets[1:-1]), owner


def _add_lines(
    ax: Axes,
    geoms: Sequence[Any] | np.ndarray,
    *,
    colors: Any,
    linewidths: float,
    zorder: float = 3.0,
    linestyles: Any = "solid",
) -> None:
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


def _draw_reaches(
    ax: Axes,
    data: _AtlasData,
    rows: np.ndarray,
    key: np.ndarray,
    colours: dict[str, str],
    *,
    width: float,
) -> None:
    geoms = data.reaches.geometry.to_numpy()[rows]
    outside = key == "<outside>"
    boundary = key == "<boundary>"
    plain = ~outside & ~boundary
    if outside.any():
        _add_lines(
            ax, geoms[outside], colors=_style.OUTSIDE_COLOUR, linewidths=width * 0.6, zorder=3
        )
    if plain.any():
        cols = [colours.get(str(k), _style.PALETTE[0]) for k in key[plain]]
        _add_lines(ax, geoms[plain], colors=cols, linewidths=width, zorder=3.2)
    if boundary.any():
        _add_lines(ax, geoms[boundary], colors="#ffffff", linewidths=width * 1.2, zorder=3.3)
        _add_lines(
            ax,
            geoms[boundary],
            colors=_style.BOUNDARY_COLOUR,
            linewidths=width,
            zorder=3.4,
            linestyles=(0, (3, 2)),
        )


def _reach_legend(
    data: _AtlasData,
    key: np.ndarray,
    colours: dict[str, str],
    lang: str,
    *,
    max_units: int,
    context: bool = False,
) -> tuple[list[Any], list[str]]:
    from matplotlib.lines import Line2D

    present = list(dict.fromkeys(str(k) for k in key))
    units = sorted((k for k in present if not k.startswith("<")), key=data.unit_name)
    handles: list[Any] = []
    labels: list[str] = []
    for u in units[:max_units]:
        handles.append(Line2D([], [], color=colours.get(u, _style.PALETTE[0]), lw=2))
        labels.append(data.unit_name(u))
    if len(units) > max_units:
        handles.append(Line2D([], [], lw=0))
        labels.append(_t("more_units", lang, n=len(units) - max_units))
    if "<boundary>" in present:
        handles.append(Line2D([], [], color=_style.BOUNDARY_COLOUR, lw=1.6, ls=(0, (3, 2))))
        labels.append(_t("boundary_shared", lang))
    if "<outside>" in present:
        handles.append(Line2D([], [], color=_style.OUTSIDE_COLOUR, lw=1.0))
        labels.append(_t("no_chief", lang))
    if context:
        handles.append(Line2D([], [], color=_CONTEXT_RIVER, lw=0.8))
        labels.append(_t("other_reaches", lang))
    return handles, labels


def _river_labels(
    ax: Axes,
    data: _AtlasData,
    rows: np.ndarray,
    font: FontProperties,
    *,
    max_labels: int,
    color: str = "#0b3d91",
) -> None:
    """Name each river once, along its longest reach among ``rows``, reading upright."""
    from matplotlib import patheffects

    if len(rows) == 0:
        return
    geoms = data.reaches.geometry.to_numpy()[rows]
    lengths = shapely.length(geoms)
    rivers = data.reach_river[rows]
    frame = pd.DataFrame({"pos": np.arange(len(rows)), "river": rivers, "length": lengths})
    frame = frame[~frame["river"].isin(data.unnamed)]  # unnamed rivers: in the tables only
    best = frame.sort_values("length", ascending=False).drop_duplicates("river")
    best = best.head(max_labels)
    xmin, xmax = ax.get_xlim()
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for pos, rid in zip(best["pos"].to_numpy(), best["river"].to_numpy(), strict=True):
        line = geoms[pos]
        if shapely.length(line) < 0.04 * (xmax - xmin):
            continue
        p = shapely.line_interpolate_point(line, [0.45, 0.5, 0.55], normalized=True)
        xy = shapely.get_coordinates(p)
        dx, dy = xy[2] - xy[0]
        angle = math.degrees(math.atan2(dy, dx))
        if angle > 90:
            angle -= 180
        elif angle <= -90:
            angle += 180
        ax.text(
            xy[1, 0],
            xy[1, 1],
            data.river_names.get(str(rid), str(rid)),
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


def _nice(x: float) -> float:
    if x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    base = x / 10**exp
    step = 1.0 if base < 2 else 2.0 if base < 5 else 5.0
    return float(step * 10**exp)


def _scale_bar(ax: Axes, c: _Canvas, lang: str) -> None:
    """A four-part scale bar at the lower left, sized in millimetres of paper."""
    from matplotlib.patches import Rectangle

    xmin, xmax = ax.get_xlim()
    ymin, _ = ax.get_ylim()
    per_mm = (xmax - xmin) / (ax.get_position().width * c.w)  # metres per mm of paper
    length = _nice((xmax - xmin) * 0.2)
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
    unit = _t("km", lang) if km else _t("m", lang)
    scale = 1000.0 if km else 1.0
    for v in (0.0, length / 2, length):
        ax.text(
            x0 + v,
            y0 + h + 0.8 * per_mm,
            f"{v / scale:g}",
            fontproperties=c.fp(6),
            ha="center",
            va="bottom",
            parse_math=False,
            zorder=8,
        )
    ax.text(
        x0 + length / 2,
        y0 - 0.8 * per_mm,
        unit,
        fontproperties=c.fp(6),
        ha="center",
        va="top",
        parse_math=False,
        zorder=8,
    )


def _north_arrow(ax: Axes, c: _Canvas, lang: str) -> None:
    ax.annotate(
        "",
        xy=(0.96, 0.96),
        xytext=(0.96, 0.88),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2, "mutation_scale": 12},
        zorder=8,
    )
    ax.text(
        0.96,
        0.865,
        _t("north", lang),
        transform=ax.transAxes,
        fontproperties=c.fp(8),
        ha="center",
        va="top",
        parse_math=False,
        zorder=8,
    )


def _tint(colour: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (1 - alpha + alpha * r, 1 - alpha + alpha * g, 1 - alpha + alpha * b, 1.0)


def _chief_styles(
    levels: Sequence[str], lang: str
) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    colours: dict[str, str] = {}
    widths: dict[str, float] = {}
    labels: dict[str, str] = {}
    top = levels[0]
    colours[f"above:{top}"] = _ABOVE_COLOUR
    widths[f"above:{top}"] = 2.4
    labels[f"above:{top}"] = _t("above", lang, level=_level_name(top, lang))
    for i, lv in enumerate(levels):
        colours[lv] = _LEVEL_COLOURS[i % len(_LEVEL_COLOURS)]
        widths[lv] = max(2.0 - 0.45 * i, 0.8)
        labels[lv] = _t("level_chief", lang, level=_level_name(lv, lang))
    return colours, widths, labels


# ---------------------------------------------------------------- text fitting
def _em(s: str) -> float:
    return sum(1.0 if ord(ch) >= 0x2E80 else _NARROW_EM for ch in s)


def _fit(s: str, width_mm: float, size_pt: float) -> str:
    """Cut ``s`` with an ellipsis so that it fits ``width_mm`` at ``size_pt``."""
    cap = width_mm / (size_pt * 0.3528) - _CELL_PAD_EM
    if _em(s) <= cap:
        return s
    out = ""
    for ch in s:
        if _em(out + ch) > cap - 1.0:
            break
        out += ch
    return out + "…"


def _wrap(s: str, cap_em: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for ch in s:
        if _em(line + ch) > cap_em:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines


def _column_widths(table: _Table, width_mm: float) -> list[float]:
    """Column widths (mm) from the longest cell, capped per kind, fitted to ``width_mm``.

    Narrow tables widen their text columns by at most half again and stay
    narrower than the page; wide ones shrink (and their cells are cut with "…").
    """
    ems = []
    for j, (head, kind) in enumerate(zip(table.headers, table.kinds, strict=True)):
        longest = max([_em(head)] + [_em(r[j]) for r in table.rows])
        cap = _MAX_COL_EM.get(kind, 30.0)
        ems.append(min(longest, cap) + _CELL_PAD_EM + 0.6)
    em_mm = _TABLE_PT * 0.3528
    widths = [e * em_mm for e in ems]
    natural = sum(widths)
    if natural > width_mm:
        return [w * width_mm / natural for w in widths]
    text_cols = [j for j, k in enumerate(table.kinds) if k != "num"] or list(range(len(ems)))
    extra = min((width_mm - natural) / len(text_cols), 0.5 * max(widths))
    for j in text_cols:
        widths[j] += min(extra, 0.5 * widths[j])
    return widths
