"""Redivide (河段调整方案): a plan whose segments each have one responsible unit at a level.

:func:`rivermap.pipeline.redivide`, as ``rivermap redivide``: the proposal by a
policy, compared with the official segmentation when given (a layer of lines,
or a table of chainages), and a planner's edits applied when given: an edits
layer of points with ``action`` split / assign / merge, as the web map's
editing mode downloads them or as drawn in QGIS (see
:meth:`rivermap.Plan.apply_edits`). The plan's segments and the stretches that
change hands are loaded. The work is :func:`rivermap_qgis.steps.redivide`.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
)

from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_choice,
    add_lang,
    add_number,
    add_output,
    add_result,
    add_text,
    both,
    options,
)

__all__ = ["RedivideAlgorithm"]

_POLICIES = {
    "split": "split 单元变化处切分 / cut where the unit changes",
    "majority": "majority 零碎部分归并 / small holdings go to a neighbour",
    "parent": "parent 仍跨单元的河归共同上级 / rivers still shared go to the common parent",
}
_LAYERS = ["segments", "changes"]


class RedivideAlgorithm(RivermapAlgorithm):
    """Propose a redivision at a level, diff it with the official one, apply edits."""

    NAME = "redivide"
    TITLE = ("河段调整方案", "Redivide")
    HELP_ZH = (
        "在某一级提出河段调整方案：每个方案河段只有一个责任单元。可与现行河段划分（线图层或里程表）"
        "比较，并应用规划人员的编辑（点图层，字段 action 为 split 切分、assign 改派、merge 合并，"
        "可来自网页地图的编辑模式）。载入方案河段和易主河段。"
    )
    HELP_EN = (
        "Proposes a redivision at a level: segments with exactly one responsible unit each. "
        "Compares it with the official segmentation when given (lines, or a table of "
        "chainages), and applies a planner's edits when given (points with an action field: "
        "split, assign or merge, as the web map's editing mode downloads them). Loads the "
        "plan's segments and the stretches that change hands."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        params = options()
        add_result(self)
        add_text(self, "LEVEL", both("级别（空：最细一级）", "Level (empty: the finest)"))
        add_choice(
            self,
            "POLICY",
            both("方案规则", "Policy"),
            params["REDIVIDE_POLICIES"],
            params["REDIVIDE_POLICY"],
            _POLICIES,
        )
        add_number(
            self,
            "MIN_SEGMENT_M",
            both("最短河段（米）", "Shortest segment, m"),
            params["MIN_SEGMENT_M"],
        )
        add_number(
            self, "MIN_SHARE", both("零碎份额", "Sliver share"), params["MIN_SHARE"], maximum=1.0
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "CURRENT",
                both("现行河段划分（可选）", "Official segmentation (optional)"),
                [QgsProcessing.TypeVector],
                optional=True,
            )
        )
        for name, label in (
            ("CURRENT_ID_COL", ("现行河段编号字段", "Its segment id field")),
            ("CURRENT_UNIT_COL", ("现行责任单位字段", "Its responsible unit field")),
        ):
            self.addParameter(
                QgsProcessingParameterField(
                    name, both(*label), parentLayerParameterName="CURRENT", optional=True
                )
            )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "EDITS",
                both("规划编辑（点图层，可选）", "Planner's edits (points, optional)"),
                [QgsProcessing.TypeVectorPoint],
                optional=True,
            )
        )
        add_number(
            self,
            "TOLERANCE_M",
            both("吸附距离（米）", "Snapping distance, m"),
            params["EDIT_TOLERANCE_M"],
        )
        add_lang(self)
        add_output(
            self,
            "OUTPUT",
            both("调整方案", "Plan GeoPackage"),
            "GeoPackage (*.gpkg)",
            layers=_LAYERS,
        )
        add_output(
            self,
            "TABLE",
            both("方案表格", "Plan tables"),
            "XLSX (*.xlsx);;CSV (*.csv)",
            optional=True,
        )
        self.addOutput(QgsProcessingOutputNumber("N_SEGMENTS", both("方案河段数", "segments")))

    def work(self, run: Run) -> dict[str, Any]:
        """Propose, apply the edits and write (in rivermap), and load the plan."""
        current = run.source("CURRENT", keep_layer=False)
        edits = run.source("EDITS", ["geojson", "json"], "geojson", keep_layer=False)
        job = {
            "options": {
                "level": run.text("LEVEL"),
                "policy": run.choice("POLICY", run.params["REDIVIDE_POLICIES"]),
                "min_segment_m": run.number("MIN_SEGMENT_M"),
                "min_share": run.number("MIN_SHARE"),
                "current": current[0] if current else None,
                "current_id_col": run.text("CURRENT_ID_COL"),
                "current_unit_col": run.text("CURRENT_UNIT_COL"),
                "tolerance_m": run.number("TOLERANCE_M"),
                "edits": edits[0] if edits else None,
            },
            "result": run.package("RESULT"),
            "output": run.output("OUTPUT"),
            "table": run.optional_output("TABLE"),
        }
        results = run.execute("redivide", job)
        return {**results, **run.load(results["OUTPUT"], _LAYERS, "OUTPUT")}
