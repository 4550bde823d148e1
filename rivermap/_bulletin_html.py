"""The bulletin's page and workbook.

The page is one HTML file with its style inline and its charts and map as
inline SVG: it has no script, loads nothing, and prints on A4. Every string
from the data goes through :func:`html.escape`, and where it stands among the
page's words in a ``<bdi>`` (or an SVG ``<text>`` of its own), so that a
right-to-left override (U+202E) in a name cannot turn the words around it.
Names are drawn as :func:`rivermap.text.clip_label` cuts them in the charts
and the subtitle; the tables keep them whole, a cell showing what fits its
column (the rest is in the page's text, and in the workbook). Sections: the headline figures,
the ranking of the ranked level (with each unit's chief, or 未设河长 where the
roster names none) and the score's rule, two charts (patrol completion by
unit; the whole area's closure and completion rates month by month, as far
back as the data goes, at most six months), a small map of the silent and
lagging units, and the reports nobody could be routed to.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from rivermap._version import rivermap_version
from rivermap.io import atomic_output, write_tables
from rivermap.text import clip_label, header, join_list, level_label, localize, term

if TYPE_CHECKING:
    from rivermap.bulletin import Bulletin

__all__ = ["page", "workbook", "write_page"]

#: The sheets of the workbook: table -> sheet term.
_SHEETS = {
    "ranking": "sheet.bulletin_ranking",
    "units": "sheet.bulletin_units",
    "chiefs": "sheet.bulletin_chiefs",
    "silent": "sheet.bulletin_silent",
    "trend": "sheet.bulletin_trend",
    "unrouted": "sheet.bulletin_unrouted",
    "months": "sheet.bulletin_months",
}
_RANKING_COLUMNS = ("rank", "name", "chief", "score", "required", "done", "completion", "received",
                    "closed", "carried", "closure_rate", "closure_rate_all", "overdue",
                    "days_since_patrol")  # fmt: skip
_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:0;
color:#1f2933;background:#fff}
main{max-width:190mm;margin:0 auto;padding:10mm}
h1{font-size:20pt;margin:0 0 2mm}h2{font-size:13pt;margin:6mm 0 2mm;border-bottom:1px solid #ccd}
.note{background:#fff3cd;border:1px solid #e0c36b;padding:2mm 3mm;margin:2mm 0;font-size:9pt}
.sub{color:#52606d;font-size:10pt}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:2mm}
.fig{border:1px solid #d9e2ec;border-radius:2mm;padding:2mm 3mm}
.fig b{display:block;font-size:15pt}.fig span{font-size:8.5pt;color:#52606d}
table{border-collapse:collapse;width:100%;font-size:8.5pt}
th,td{border-bottom:1px solid #e4e7eb;padding:1mm 1.5mm;text-align:right}
th:nth-child(2),td:nth-child(2),th:nth-child(3),td:nth-child(3){text-align:left}
td:nth-child(2),td:nth-child(3){white-space:nowrap}
bdi.cut{display:inline-block;max-width:42mm;overflow:hidden;text-overflow:ellipsis;
vertical-align:bottom}
table.list th,table.list td{text-align:left}table.list td:first-child{white-space:nowrap}
tr.silent td{color:#b42318}
.rule{font-size:8.5pt;color:#52606d}
svg{width:100%;height:auto}
@page{size:A4;margin:10mm}@media print{main{padding:0}h2{break-after:avoid}}
"""


def workbook(b: Bulletin, path: str | os.PathLike[str], *, lang: str, overwrite: bool) -> Path:
    """Write a sheet per table, headers and codes in ``lang``."""
    sheets: dict[str, pd.DataFrame] = {}
    if b.note:
        sheets[term("sheet.about", lang)] = pd.DataFrame({header("synthetic", lang): [b.note]})
    for table, key in _SHEETS.items():
        sheets[term(key, lang)] = _for_people(b.tables[table], lang)
    return write_tables(sheets, path, overwrite=overwrite)


def _for_people(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return a table with words and headers in ``lang``."""
    return localize(table, lang, table="bulletin")


def write_page(b: Bulletin, path: str | os.PathLike[str], *, lang: str, overwrite: bool) -> Path:
    """Write :func:`page` to ``path``, atomically."""
    text = page(b, lang=lang)
    with atomic_output(path, overwrite=overwrite) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def page(b: Bulletin, *, lang: str = "zh") -> str:
    """Return the bulletin as one HTML page (see the module docstring)."""
    e = html.escape
    level = level_label(b.level, lang)
    title = term("bulletin.title", lang, month=b.month)
    place = join_list((clip_label(p) for p in b.places), lang) if b.places else ""
    head = (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{e(title)}</title><style>{_CSS}</style></head>'
        f"<body><main><h1>{e(title)}</h1>"
    )
    sub = _sentence("bulletin.subtitle", lang, {"name": place}, level=level)
    parts = [head, f'<div class="sub">{sub}</div>']
    if b.note:
        parts.append(f'<div class="note">{e(b.note)}</div>')
    parts += [
        _figures(b, lang),
        f"<h2>{e(term('bulletin.ranking', lang, level=level))}</h2>",
        (
            f'<p class="rule">{e(term("bulletin.rule", lang, rule=b.rule))}<br>'
            f"{e(term('bulletin.rate_note', lang))}</p>"
        ),
        _ranking(b, lang),
        f"<h2>{e(term('bulletin.chart_completion', lang, level=level))}</h2>",
        _completion_chart(b, lang),
        f"<h2>{e(term('bulletin.chart_closure', lang))}</h2>",
        _closure_chart(b, lang),
        f"<h2>{e(term('bulletin.map', lang, level=level))}</h2>",
        _map(b, lang),
        f"<h2>{e(term('bulletin.unrouted', lang))}</h2>",
        _unrouted(b, lang),
        f'<p class="rule">{e(_made(lang))}</p></main></body></html>',
    ]
    return "\n".join(parts)


def _sentence(key: str, lang: str, data: dict[str, str], **words: str) -> str:
    r"""Return the term ``key`` as HTML, escaped, each field of ``data`` in a ``<bdi>``.

    Examples
    --------
    >>> _sentence("bulletin.none", "en", {})
    'none'
    >>> _sentence("msg.wrote", "zh", {"path": "\u202ea<b>"})
    '已写出 <bdi>\u202ea&lt;b&gt;</bdi>'
    """
    marks = {k: f"\x00{i}\x00" for i, k in enumerate(data)}
    out = html.escape(term(key, lang, **marks, **words))
    for k, mark in marks.items():
        out = out.replace(mark, f"<bdi>{html.escape(data[k])}</bdi>")
    return out


def _made(lang: str) -> str:
    """Return the footer line: the tool, its version and today."""
    made = term("bulletin.made_with", lang, version=rivermap_version())
    return f"{made} · {dt.date.today()}"


def _pct(value: float) -> str:
    """Return a rate as a percentage, or a dash when there is none."""
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{100 * value:.0f}%")
    )


def _figures(b: Bulletin, lang: str) -> str:
    """Return the headline figures of the ranked level."""
    t = b.tables["ranking"]
    required, done = int(t["required"].sum()), int(t["done"].sum())
    received, closed = int(t["received"].sum()), int(t["closed"].sum())
    carried = int(t["carried"].sum())
    rate = closed / received if received else float("nan")
    rate_all = closed / (received + carried) if received + carried else float("nan")
    figures = [
        ("bulletin.required", f"{required}"),
        ("bulletin.done", f"{done}"),
        ("bulletin.completion", _pct(done / required if required else float("nan"))),
        ("bulletin.received", f"{received}"),
        ("bulletin.closed", f"{closed}"),
        ("bulletin.closure", f"{_pct(rate)} / {_pct(rate_all)}"),
        ("bulletin.silent", f"{int(t['silent'].sum())} / {len(t)}"),
        ("bulletin.unrouted", f"{len(b.tables['unrouted'])}"),
    ]
    cells = "".join(
        f'<div class="fig"><b>{html.escape(v)}</b><span>{html.escape(term(k, lang))}</span></div>'
        for k, v in figures
    )
    return (
        f'<h2>{html.escape(term("bulletin.headline", lang))}</h2><div class="figures">{cells}</div>'
    )


def _ranking(b: Bulletin, lang: str) -> str:
    """Return the ranking table; silent units in red."""
    t = b.tables["ranking"]
    cols = [c for c in _RANKING_COLUMNS if c in t.columns]
    head = "".join(f"<th>{html.escape(header(c, lang, table='bulletin'))}</th>" for c in cols)
    rows = []
    for rec in t[[*cols, "silent"]].to_dict(orient="records"):
        if "chief" in rec and rec["chief"] is None:
            rec["chief"] = term("bulletin.no_chief", lang)
        cells = "".join(f"<td>{_ranking_cell(c, rec[c])}</td>" for c in cols)
        rows.append(f'<tr class="{"silent" if rec["silent"] else ""}">{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _ranking_cell(column: str, value: object) -> str:
    """Return a ranking cell as HTML: a name or chief whole but shown cut to its column."""
    text = html.escape(_cell(column, value))
    return f'<bdi class="cut">{text}</bdi>' if column in ("name", "chief") else text


def _cell(column: str, value: object) -> str:
    """Return one cell as text: rates as percentages, numbers rounded, empties as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if column in ("completion", "closure_rate", "closure_rate_all") and isinstance(
        value, int | float
    ):
        return _pct(float(value))
    if isinstance(value, float):
        return f"{value:.2f}" if column == "score" else f"{value:.0f}"
    return str(value)


def _bars(labels: list[str], values: list[float], width: int = 700) -> str:
    """Return horizontal bars (0–100 %, longer values clipped) as SVG, labels escaped."""
    row, left = 16, 150
    height = row * len(labels) + 10
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img">']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        share = 0.0 if math.isnan(value) else min(value, 1.0)
        colour = "#2f855a" if share >= 1 else ("#dd6b20" if share >= 0.5 else "#c53030")
        parts.append(
            f'<text x="{left - 6}" y="{y + 11}" font-size="10" text-anchor="end">'
            f"{html.escape(label)}</text>"
            f'<rect x="{left}" y="{y + 2}" width="{share * (width - left - 60):.1f}" height="11" '
            f'fill="{colour}"/><text x="{left + share * (width - left - 60) + 4:.1f}" '
            f'y="{y + 11}" font-size="9">{html.escape(_pct(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _completion_chart(b: Bulletin, lang: str) -> str:
    """Return the patrol completion of the ranked units with a duty, least first (at most 40)."""
    t = b.tables["ranking"]
    t = t[t["required"] > 0].sort_values(["completion", "name"]).head(40)
    if t.empty:
        return f"<p>{html.escape(term('bulletin.none', lang))}</p>"
    names = [clip_label(name) for name in t["name"].astype(str)]
    return _bars(names, t["completion"].astype(float).tolist())


#: The series of the trend chart: column, colour, dash.
_SERIES = (("closure_rate", "#2b6cb0", ""), ("closure_rate_all", "#2f855a", ""),
           ("completion", "#dd6b20", "5 3"))  # fmt: skip


def _closure_chart(b: Bulletin, lang: str) -> str:
    """Return the whole area's rates month by month (the ``months`` table) as an SVG line chart."""
    t = b.tables["months"]
    width, height, left, top, bottom = 700, 200, 50, 10, 40
    values = t[[c for c, _, _ in _SERIES]].to_numpy(dtype=float)
    most = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    top_value = max(1.0, math.ceil(most * 2) / 2)  # up to the next 50 %
    step = (width - left - 40) / max(len(t) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + (height - top - bottom) * (1 - v / top_value)

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img">']
    for share in np.arange(0.0, top_value + 0.01, 0.5 if top_value <= 2 else 1.0):
        _, y = xy(0, share)
        parts.append(f'<line x1="{left}" x2="{width - 40}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d9e2ec"/><text x="{left - 6}" y="{y + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{_pct(share)}</text>')  # fmt: skip
    for i, month in enumerate(t["month"].astype(str)):
        x, _ = xy(i, 0.0)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="9" '
                     f'text-anchor="middle">{html.escape(month)}</text>')  # fmt: skip
    for j, (col, colour, dash) in enumerate(_SERIES):
        shown = [(i, float(v)) for i, v in enumerate(values[:, j]) if np.isfinite(v)]
        line = " ".join("{:.1f},{:.1f}".format(*xy(i, v)) for i, v in shown)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2" '
                     f'stroke-dasharray="{dash}"/>')  # fmt: skip
        for i, v in shown:
            x, y = xy(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'
                         f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="8" '
                         f'fill="{colour}">{_pct(v)}</text>')  # fmt: skip
        lx = left + j * 200
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{lx + 16}" y="{height - 9}" font-size="9">'
                     f"{html.escape(header(col, lang, table='bulletin'))}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _map(b: Bulletin, lang: str) -> str:
    """Return the ranked units as an SVG map: silent red, lagging orange, the others green."""
    states = _states(b.tables["ranking"])
    geoms = b.units.geometry.to_numpy()
    if not len(geoms):
        return f"<p>{html.escape(term('bulletin.none', lang))}</p>"
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    k = math.cos(math.radians((y0 + y1) / 2))
    w, h = 700.0, 700.0 * (y1 - y0) / max((x1 - x0) * k, 1e-9)
    simple = shapely.simplify(geoms, (x1 - x0) / 700)
    parts = [f'<svg viewBox="0 0 {w:.0f} {h:.0f}" role="img">']
    for uid, name, geom in zip(
        b.units["unit_id"].astype(str), b.units["name"], simple, strict=True
    ):
        colour = {"silent": "#c53030", "lagging": "#dd6b20", "ok": "#9ae6b4"}[states.get(uid, "ok")]
        d = _path(geom, x0, y1, w / ((x1 - x0) or 1), k)
        parts.append(
            f'<path d="{d}" fill="{colour}" stroke="#fff" stroke-width="0.6">'
            f"<title>{html.escape(str(name))}</title></path>"
        )
    parts.append("</svg>")
    legend = " ".join(
        f'<span style="color:{c}">■</span> {html.escape(term(k2, lang))}'
        for c, k2 in (("#c53030", "bulletin.legend_silent"), ("#dd6b20", "bulletin.legend_lagging"),
                      ("#9ae6b4", "bulletin.legend_ok"))
    )  # fmt: skip
    return "".join(parts) + f'<p class="rule">{legend}</p>'


def _states(t: pd.DataFrame) -> pd.Series:
    """Return each unit's state (``silent``, ``lagging`` or ``ok``), indexed by unit id.

    Lagging: below its patrol duty, or under half its workload closed.
    """
    completion = t["completion"].to_numpy(dtype=float)
    closure = t["closure_rate_all"].to_numpy(dtype=float)
    lagging = (completion < 1) | (closure < 0.5)  # NaN compares False: nothing to judge
    state = np.where(t["silent"].to_numpy(dtype=bool), "silent", np.where(lagging, "lagging", "ok"))
    return pd.Series(state, index=t["unit_id"].astype(str).to_numpy())


def _path(geom: object, x0: float, y1: float, scale: float, k: float) -> str:
    """Return an SVG path of a polygon's rings (lon scaled by cos(latitude))."""
    rings = shapely.get_rings(geom) if geom is not None else []
    out = []
    for ring in rings:
        xy = shapely.get_coordinates(ring)
        px = (xy[:, 0] - x0) * scale
        py = (y1 - xy[:, 1]) * scale / k
        pts = " ".join(f"{a:.1f},{c:.1f}" for a, c in zip(px, py, strict=True))
        out.append(f"M{pts}Z")
    return " ".join(out)


def _unrouted(b: Bulletin, lang: str) -> str:
    """Return the unrouted reports as a short table (at most 30 rows), or 'none'."""
    t = b.tables["unrouted"]
    if t.empty:
        return f"<p>{html.escape(term('bulletin.none', lang))}</p>"
    shown = localize(t.head(30), lang, table="events")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell('', v))}</td>" for v in rec) + "</tr>"
        for rec in shown.itertuples(index=False)
    )
    more = f'<p class="rule">… {len(t) - 30}</p>' if len(t) > 30 else ""
    return f'<table class="list"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}'
