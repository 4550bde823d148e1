"""Export the web map (交互式离线地图): one HTML file that opens with no network.

:func:`rivermap.pipeline.draw_map`, as ``rivermap map``: the reaches coloured by
their unit at a level, boundary reaches dashed, flagged rivers highlighted, a
plan's segments, the chiefs of a roster, background tiles when asked (they
need a network), and the planner's editing mode on a plan. The page opens in
QGIS's results viewer.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
)

from rivermap import params, pipeline
from rivermap.io import check_output
from rivermap.redivide import read_plan
from rivermap.responsibility import read_responsibility
from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_lang,
    add_number,
    add_output,
    add_result,
    add_text,
    both,
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
                [_BASEMAPS[b] for b in params.BASEMAPS],
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
        """Read the result (and plan), draw and write the map."""
        basemaps = run.choices("BASEMAP", params.BASEMAPS)
        options = pipeline.MapOptions(
            level=run.text("LEVEL"),
            basemap=",".join(basemaps) or None,
            tianditu_key=run.text("TIANDITU_KEY"),
            simplify_m=run.optional_number("SIMPLIFY_M"),
            region=run.text("REGION"),
        )
        run.check({"basemap": options.basemap, "simplify_m": options.simplify_m})
        edit = run.flag("EDIT")
        plan_path = run.optional_package("PLAN")
        if edit and not plan_path:
            msg = both("编辑模式需要调整方案", "EDIT needs PLAN: the plan whose segments to edit")
            raise QgsProcessingException(msg)
        out = str(check_output(run.output("OUTPUT"), overwrite=True, kind="html"))
        chiefs = chiefs_file(run)
        run.step(5, "读取结果", "reading the result")
        resp = read_responsibility(run.package("RESULT"))
        pipeline.check_levels(resp.levels, {run.label("level"): options.level})
        resp = resp.with_chiefs(chiefs) if chiefs else resp
        plan = read_plan(plan_path) if plan_path else None
        run.step(25, "绘制地图", "drawing the map")
        pipeline.draw_map(
            resp,
            out,
            options,
            lang=run.lang,
            flags=run.flag("FLAGS"),
            plan=plan,
            edit=edit,
            overwrite=True,
        )
        return {"OUTPUT": out}
