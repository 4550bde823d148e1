"""The summary ``rivermap run`` and ``rivermap demo`` print after a job.

``make demo`` runs the embedded Zhejiang project (``data/zhejiang.toml``):
validate → assign → flags → redivide → chiefs → map → atlas, into ``out/demo``.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from rivermap.responsibility import Responsibility

__all__ = ["print_summary", "summarise_by_level"]


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
    table = units.loc[units["level"] == level, ["unit_id", "name", "river_length_m", "n_reaches"]]
    table = table.assign(river_km=table.pop("river_length_m") / 1000.0)
    table = table.loc[table["river_km"] > 0]
    return table.sort_values(["river_km", "unit_id"], ascending=[False, True]).reset_index(
        drop=True
    )[["unit_id", "name", "river_km", "n_reaches"]]


def print_summary(project: Any, report: Any, *, demo: bool = False) -> None:
    """Print what a run did: totals, per unit of the second-finest level, chief levels, files.

    Parameters
    ----------
    project
        The :class:`rivermap.project.Project` that ran.
    report
        Its :class:`rivermap.project.RunReport`.
    demo
        Say that the data is the embedded demo.
    """
    zh = project.lang == "zh"
    resp: Responsibility = report.result
    s = resp.summary
    levels = resp.levels
    units = resp.units
    print(f"rivermap: {project.name}" + (" (内置真实数据 / embedded real data)" if demo else ""))
    counts = ", ".join(f"{int((units['level'] == lv).sum())} {lv}" for lv in levels)
    print(f"  {_pad('单元' if zh else 'units', 10)} {counts}")
    km = s["total_length_m"] / 1000
    print(
        f"  {_pad('河流' if zh else 'rivers', 10)} "
        + (
            f"{s['n_rivers']} 条，{km:,.1f} km；{s['n_reaches']} 个河段（界河段 "
            f"{s['n_boundary_reaches']} 个）"
            if zh
            else f"{s['n_rivers']}, {km:,.1f} km; {s['n_reaches']} reaches "
            f"({s['n_boundary_reaches']} boundary)"
        )
    )
    problems = report.problems
    if problems is not None and len(problems):
        print(
            f"  {_pad('数据检查' if zh else 'validate', 10)} "
            + (f"发现 {len(problems)} 个问题：" if zh else f"{len(problems)} problem(s):")
        )
        print(problems.to_string(index=False))
    else:
        clean = "未发现问题" if zh else "no problems"
        print(f"  {_pad('数据检查' if zh else 'validate', 10)} {clean}")

    from rivermap.maps._style import level_label

    lang = "zh" if zh else "en"
    by = levels[-2] if len(levels) > 1 else levels[0]
    table = summarise_by_level(resp, by)
    label = f"各{level_label(by, lang)}" if zh else f"per {by}"
    print(f"\n  {_pad(label + ':', 24)}{'km':>8} {'河段' if zh else 'reaches':>8}")
    for row in table.to_dict("records"):
        print(
            f"    {_pad(str(row['name']), 10)} {_pad(str(row['unit_id']), 9)} "
            f"{float(row['river_km']):>8.1f} {int(row['n_reaches']):>8}"
        )

    finest = levels[-1]
    riv = resp.rivers
    above = riv.loc[riv["chief_level"].notna() & (riv["chief_level"] != finest)]
    print(
        "\n  "
        + (
            f"河长层级在{level_label(finest, lang)}以上的河流（{len(above)} 条）:"
            if zh
            else f"rivers whose chief level is above {finest} ({len(above)}):"
        )
    )
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    for r in above.sort_values("length_m", ascending=False).to_dict("records"):
        chief = names.get(r["chief_unit"], "—") if isinstance(r["chief_unit"], str) else "—"
        river = r["name"] if isinstance(r["name"], str) else r["river_id"]
        chief_level = str(r["chief_level"])
        shown_level = (
            f"{level_label(chief_level.split(':', 1)[1], lang)}以上"
            if zh and chief_level.startswith("above:")
            else level_label(chief_level, lang)
        )
        print(
            f"    {_pad(river, 20)} {float(r['length_m']) / 1000:>7.1f} km  "
            f"{'河长层级' if zh else 'chief level'} {_pad(shown_level, 14)} {chief}"
        )

    print("\n  " + ("发现:" if zh else "findings:"))
    labels_zh = {
        "validation problems": "数据问题",
        "flags": "需关注的河流",
        "segments that change hands": "方案中易主的河段",
        "roster gaps": "河长名录问题",
    }
    for key, value in report.findings.items():
        print(f"    {_pad(labels_zh.get(key, key) if zh else key, 28)} {value}")
    print("\n  " + ("输出文件:" if zh else "outputs:"))
    for path in report.files:
        print(f"    {path}")
    total = sum(report.seconds.values())
    print(f"\n  {'用时' if zh else 'time'} {total:.1f} s")


def _pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)
