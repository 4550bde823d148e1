"""Export the atlas (打印图册): a PDF with an overview and one page per unit of a level.

:func:`rivermap.pipeline.make_atlas`, as ``rivermap atlas``: each page maps the
unit's reaches coloured by the units below it and lists its rivers, reaches
and chiefs; Chinese text in Noto Sans CJK, embedded and searchable. The work
is :func:`rivermap_qgis.steps.atlas`.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingParameterBoolean

from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_choice,
    add_lang,
    add_output,
    add_result,
    add_text,
    both,
    options,
)
from rivermap_qgis.algorithms.reports import add_chiefs, chiefs_file

__all__ = ["AtlasAlgorithm"]

_ORIENTATIONS = {
    "auto": "自动 / auto",
    "portrait": "纵向 / portrait",
    "landscape": "横向 / landscape",
}


class AtlasAlgorithm(RivermapAlgorithm):
    """Write the printable PDF atlas of a result."""

    NAME = "atlas"
    TITLE = ("导出打印图册", "Export atlas")
    GROUP = "maps"
    HELP_ZH = (
        "把结果导出为可打印的 PDF 图册：一页总览，某一级每个单元一页，地图上河段按下一级单元着色，"
        "并列出河流、河段和河长。中文使用内嵌的思源黑体（Noto Sans CJK），可搜索、可复制。"
    )
    HELP_EN = (
        "Exports the result as a printable PDF atlas: an overview, then a page per unit of a "
        "level, its reaches coloured by the units below it, with its rivers, reaches and "
        "chiefs listed. Chinese text in the embedded Noto Sans CJK, searchable and copyable."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        params = options()
        add_result(self)
        add_text(
            self,
            "BY",
            both(
                "分页级别（空：次细一级）", "One page per unit of (empty: the second-finest level)"
            ),
        )
        add_choice(self, "PAPER", both("纸张", "Paper"), params["PAPERS"], params["PAPERS"][0])
        add_choice(
            self,
            "ORIENTATION",
            both("方向", "Orientation"),
            params["ORIENTATIONS"],
            params["ORIENTATIONS"][0],
            _ORIENTATIONS,
        )
        add_result(self, "PLAN", optional=True)
        add_chiefs(self)
        add_text(self, "TITLE", both("总览页标题", "Title of the overview page"))
        add_text(self, "CREDIT", both("数据来源", "Data source line"))
        self.addParameter(
            QgsProcessingParameterBoolean(
                "EMPTY_UNITS", both("无河流的单元也出页", "A page for units with no river"), False
            )
        )
        add_lang(self)
        add_output(self, "OUTPUT", both("图册", "Atlas"), "PDF (*.pdf)")

    def work(self, run: Run) -> dict[str, Any]:
        """Read the result (and plan), and write the atlas (in rivermap)."""
        job = {
            "options": {
                "by": run.text("BY"),
                "paper": run.choice("PAPER", run.params["PAPERS"]),
                "orientation": run.choice("ORIENTATION", run.params["ORIENTATIONS"]),
                "title": run.text("TITLE"),
                "credit": run.text("CREDIT"),
                "empty_units": run.flag("EMPTY_UNITS"),
                "chiefs": chiefs_file(run),
            },
            "result": run.package("RESULT"),
            "plan": run.optional_package("PLAN"),
            "output": run.output("OUTPUT"),
        }
        return run.execute("atlas", job)
