"""The summary ``rivermap run`` and ``rivermap demo`` print after a job.

``make demo`` runs the embedded Zhejiang project (``data/zhejiang.toml``):
validate → assign → flags → redivide → chiefs → map → atlas, into ``out/demo``.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rivermap.responsibility import Responsibility
from rivermap.text import join_list, level_label, term

if TYPE_CHECKING:
    from rivermap.project import Project, RunReport

__all__ = ["print_summary", "shown_path", "summarise_by_level"]


def summarise_by_level(resp: Responsibility, level: str) -> pd.DataFrame:
    """Kilometres of river and number of reaches per unit of ``level``.

    Parameters
    ----------
    resp
        A result of :func:`rivermap.assign`.
    level
        One of ``resp.levels``.

    Returns
    -------
    DataFrame
        ``unit_id``, ``name``, ``river_km``, ``n_reaches``, sorted by ``river_km``
        (largest first); units without river are left out. Boundary reaches
        count half for each side.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> summarise_by_level(resp, "city")["name"].iloc[0]
    '杭州市'
    """
    units = resp.units
    table = units.loc[units["level"] == level].assign(river_km=units["river_length_m"] / 1000.0)
    table = table.loc[table["river_km"] > 0, ["unit_id", "name", "river_km", "n_reaches"]]
    return table.sort_values(["river_km", "unit_id"], ascending=[False, True], ignore_index=True)


def print_summary(project: Project, report: RunReport, *, demo: bool = False) -> None:
    """Print what a run did: totals, per unit of the second-finest level, chief levels, files.

    Words come from :data:`rivermap.text.TERMS` (``msg.summary.*``) in the
    project's language; output files are shown relative to the working
    directory when they are under it.

    Parameters
    ----------
    project
        The :class:`rivermap.project.Project` that ran.
    report
        Its :class:`rivermap.project.RunReport`.
    demo
        Say that the data is the embedded demo.
    """
    lang = project.lang
    resp: Responsibility = report.result
    embedded = term("msg.summary.embedded", lang) if demo else ""
    print(term("msg.summary.title", lang, name=project.name) + embedded)
    _print_totals(resp, report.problems, lang)
    _print_per_unit(resp, lang)
    _print_chief_levels(resp, lang)
    print("\n  " + term("msg.summary.findings", lang))
    for key, value in report.findings.items():
        print(f"    {_pad(term(f'msg.finding.{key}', lang), 28)} {value}")
    print("\n  " + term("msg.summary.outputs", lang))
    for path in report.files:
        print(f"    {shown_path(path)}")
    total = sum(report.seconds.values())
    print("\n  " + term("msg.summary.time", lang, s=f"{total:.1f}"))


def _print_totals(resp: Responsibility, problems: Any, lang: str) -> None:
    """Print the units per level, the rivers and reaches, and the validation result."""
    s = resp.summary
    units = resp.units
    counts = join_list(
        (
            term(
                "msg.summary.unit_count",
                lang,
                n=int((units["level"] == lv).sum()),
                level=level_label(lv, lang),
            )
            for lv in resp.levels
        ),
        lang,
    )
    print(f"  {_pad(term('msg.summary.units', lang), 10)} {counts}")
    totals = term(
        "msg.summary.river_totals",
        lang,
        rivers=s["n_rivers"],
        km=f"{s['total_length_m'] / 1000:,.1f}",
        reaches=s["n_reaches"],
        boundary=s["n_boundary_reaches"],
    )
    print(f"  {_pad(term('msg.summary.rivers', lang), 10)} {totals}")
    label = _pad(term("msg.summary.validate", lang), 10)
    if problems is not None and len(problems):
        print(f"  {label} {term('msg.summary.problems', lang, n=len(problems))}")
        print(problems.to_string(index=False))
    else:
        print(f"  {label} {term('msg.summary.clean', lang)}")


def _print_per_unit(resp: Responsibility, lang: str) -> None:
    """Print kilometres and reaches per unit of the second-finest level."""
    levels = resp.levels
    by = levels[-2] if len(levels) > 1 else levels[0]
    label = term("msg.summary.per_level", lang, level=level_label(by, lang))
    reaches = term("msg.summary.reaches", lang)
    print(f"\n  {_pad(label, 24)}{'km':>8} {reaches:>8}")
    for row in summarise_by_level(resp, by).to_dict("records"):
        print(
            f"    {_pad(str(row['name']), 10)} {_pad(str(row['unit_id']), 9)} "
            f"{float(row['river_km']):>8.1f} {int(row['n_reaches']):>8}"
        )


def _print_chief_levels(resp: Responsibility, lang: str) -> None:
    """Print the rivers whose chief sits above the finest level, longest first."""
    finest = resp.levels[-1]
    riv = resp.rivers
    above = riv.loc[riv["chief_level"].notna() & (riv["chief_level"] != finest)]
    heading = term("msg.summary.above", lang, level=level_label(finest, lang), n=len(above))
    print("\n  " + heading)
    names = dict(zip(resp.units["unit_id"], resp.units["name"], strict=True))
    chief_level = term("msg.summary.chief_level", lang)
    for r in above.sort_values("length_m", ascending=False).to_dict("records"):
        chief = names.get(r["chief_unit"], "—") if isinstance(r["chief_unit"], str) else "—"
        river = r["name"] if isinstance(r["name"], str) else r["river_id"]
        shown_level = level_label(str(r["chief_level"]), lang)
        print(
            f"    {_pad(river, 20)} {float(r['length_m']) / 1000:>7.1f} km  "
            f"{chief_level} {_pad(shown_level, 14)} {chief}"
        )


def shown_path(path: Any) -> Path:
    """Return ``path`` resolved, relative to the working directory when it is under it.

    Examples
    --------
    >>> import os
    >>> shown_path(os.path.join("data", "..", "out", "map.html")).as_posix()
    'out/map.html'
    """
    full = Path(path).resolve()
    try:
        return full.relative_to(Path.cwd().resolve())
    except ValueError:
        return full


def _pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)
