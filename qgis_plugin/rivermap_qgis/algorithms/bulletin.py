"""The monthly bulletin (月度通报): a page and a workbook of one month's reports and patrols.

:func:`rivermap.pipeline.make_bulletin`, as ``rivermap bulletin``: 应巡/已巡,
办结率, silent units and the ranking of the units of a level, month over month.
The page opens in QGIS's results viewer. The work is
:func:`rivermap_qgis.steps.bulletin`.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingException, QgsProcessingOutputNumber

from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_lang,
    add_output,
    add_result,
    add_text,
    both,
)
from rivermap_qgis.algorithms.reports import (
    add_chiefs,
    add_duties,
    add_events,
    add_tracks,
    chiefs_file,
    crs_of,
    events_file,
    tracks_file,
)

__all__ = ["BulletinAlgorithm"]


class BulletinAlgorithm(RivermapAlgorithm):
    """Make the monthly bulletin of one month: page and workbook."""

    NAME = "bulletin"
    TITLE = ("月度通报", "Monthly bulletin")
    GROUP = "reports"
    HELP_ZH = (
        "生成某月的通报：各单位应巡/已巡、工单办结率、沉默单位（全月无工单也无有效巡河）、"
        "按得分排名（默认 0.5×巡河完成率 + 0.3×办结率 + 0.2×是否有上报）及环比。"
        "网页可离线打开并按 A4 打印，工作簿每张表一页。"
    )
    HELP_EN = (
        "Makes the bulletin of a month: patrols due and done per unit, closure rates of the "
        "reports, silent units (no report and no valid patrol all month), the ranking by a "
        "score (by default 0.5 × patrol completion + 0.3 × closure rate + 0.2 × reporting) and "
        "the change from the month before. The page works offline and prints on A4; the "
        "workbook has a sheet per table."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        add_result(self)
        add_text(self, "MONTH", both("月份（如 2026-11）", "Month, e.g. 2026-11"))
        add_events(self, optional=True)
        add_tracks(self)
        add_chiefs(self)
        add_duties(self)
        add_text(
            self, "LEVEL", both("排名级别（空：最细一级）", "Level ranked (empty: the finest)")
        )
        add_text(
            self,
            "WEIGHTS",
            both("得分权重", "Score weights, e.g. completion=0.6,closure_rate_all=0.4"),
        )
        add_text(self, "NOTE", both("备注（页面与工作簿上显示）", "A note shown on both"))
        add_lang(self)
        add_output(self, "OUTPUT", both("通报网页", "Bulletin page"), "HTML (*.html)")
        add_output(
            self, "TABLE", both("通报工作簿", "Bulletin workbook"), "XLSX (*.xlsx)", optional=True
        )
        self.addOutput(QgsProcessingOutputNumber("N_SILENT", both("沉默单位数", "silent units")))

    def work(self, run: Run) -> dict[str, Any]:
        """Read, make and write the bulletin (in rivermap)."""
        month = run.text("MONTH")
        if month is None:
            raise QgsProcessingException(both("请填写月份", "MONTH: give the month, e.g. 2026-11"))
        job = {
            "month": month,
            "weights": run.text("WEIGHTS"),
            "output": run.output("OUTPUT"),
            "table": run.optional_output("TABLE"),
            "result": run.package("RESULT"),
            "chiefs": chiefs_file(run),
            "duties": run.text("DUTIES"),
            "level": run.text("LEVEL"),
            "note": run.text("NOTE"),
            "events_crs": crs_of(run, "EVENTS_CRS"),
            "tracks_crs": crs_of(run, "TRACKS_CRS"),
        }
        job |= {"events": events_file(run), "tracks": tracks_file(run)}
        return run.execute("bulletin", job)
