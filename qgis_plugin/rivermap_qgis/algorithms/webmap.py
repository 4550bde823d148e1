"""Export the web map (交互式离线地图): one HTML file that opens with no network.

:func:`rivermap.pipeline.draw_map`, as ``rivermap map``: the reaches coloured by
their unit at a level, boundary reaches dashed, flagged rivers highlighted, a
plan's segments, the chiefs of a roster, background tiles when asked (they
need a network), and the planner's editing mode on a plan. The page opens in
QGIS's results viewer. The work is :func:`rivermap_qgis.steps.webmap`.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
)

from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_lang,
    add_number,
    add_output,
    add_result,
    add_text,
    both,
    options,
)
from rivermap_qgis.algorithms.reports import add_chiefs, chiefs_file

__all__ = ["WebMapAlgorithm"]

_BASEMAPS = {
    "osm": "OpenStreetMap",
    "tianditu": "天地图 Tianditu（需要密钥 / needs a key）",
    "gaode": "高德 Gaode（不与其他底图同用 / alone only）",
}


class WebMapAlgorithm(RivermapAlgorithm):
    """Write the interactive offline map of a result."""

    NAME = "webmap"
    TITLE = ("导出交互式离线地图", "Export web map")
    GROUP = "maps"
    HELP_ZH = (
        "把结果导出为一个可离线打开的网页地图：河段按某一级责任单元着色，界河段虚线，需关注河流突出显示，"
        "可叠加调整方案、河长名录和在线底图（底图需联网）。勾选“编辑模式”可在网页上切分、改派、"
        "合并方案河段，并下载编辑文件供“河段调整方案”使用。"
    )
    HELP_EN = (
        "Exports the result as one HTML map that opens offline: reaches coloured by their unit "
        "at a level, boundary reaches dashed, flagged rivers highlighted, with a plan, the "
        "chiefs of a roster and background tiles (which need a network) when given. The "
        "editing mode splits, reassigns and merges a plan's segments on the page and downloads "
        "the edits for Redivide."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        add_result(self)
        add_text(
            self, "LEVEL", both("着色级别（空：最细一级）", "Colour by level (empty: the finest)")
        )
        add_result(self, "PLAN", optional=True)
        self.addParameter(
            QgsProcessingParameterBoolean(
                "EDIT", both("编辑模式（需要方案）", "Editing mode (needs a plan)"), False
            )
        )
        add_chiefs(self)
        self.addParameter(
            QgsProcessingParameterEnum(
                "BASEMAP",
                both("在线底图（可多选）", "Background tiles (several allowed)"),
                [_BASEMAPS.get(b, b) for b in options()["BASEMAPS"]],
                allowMultiple=True,
                optional=True,
            )
        )
        add_text(self, "TIANDITU_KEY", both("天地图密钥", "Tianditu key"))
        self.addParameter(
            QgsProcessingParameterBoolean(
                "FLAGS", both("突出显示需关注河流", "Highlight flagged rivers"), True
            )
        )
        add_number(
            self,
            "SIMPLIFY_M",
            both("显示简化（米，空：自动）", "Display simplification, m (empty: auto)"),
            None,
            optional=True,
        )
        add_text(self, "REGION", both("只画此单元（编号）", "Only this unit (its id)"))
        add_lang(self)
        add_output(self, "OUTPUT", both("网页地图", "Web map"), "HTML (*.html)")

    def work(self, run: Run) -> dict[str, Any]:
        """Read the result (and plan), draw and write the map (in rivermap)."""
        basemaps = run.choices("BASEMAP", run.params["BASEMAPS"])
        edit = run.flag("EDIT")
        plan = run.optional_package("PLAN")
        if edit and not plan:
            msg = both("编辑模式需要调整方案", "EDIT needs PLAN: the plan whose segments to edit")
            raise QgsProcessingException(msg)
        job = {
            "options": {
                "level": run.text("LEVEL"),
                "basemap": ",".join(basemaps) or None,
                "tianditu_key": run.text("TIANDITU_KEY"),
                "simplify_m": run.optional_number("SIMPLIFY_M"),
                "region": run.text("REGION"),
            },
            "result": run.package("RESULT"),
            "plan": plan,
            "edit": edit,
            "flags": run.flag("FLAGS"),
            "chiefs": chiefs_file(run),
            "output": run.output("OUTPUT"),
        }
        return run.execute("webmap", job)
