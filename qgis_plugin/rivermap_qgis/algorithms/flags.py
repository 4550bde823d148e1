"""Flags (需关注河流): the rivers whose responsibility at a level needs redrawing.

:func:`rivermap.pipeline.flag_rivers` at one level (or every level) with the
thresholds given, as ``rivermap flags``. The result is written again with
these flags (the ``flags`` layer, and the rivers layer whose style highlights
them), and the table for a meeting when asked (``.xlsx`` or ``.csv``, words in
the language chosen). The work is :func:`rivermap_qgis.steps.flags`.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingOutputNumber

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

__all__ = ["FlagsAlgorithm"]

_LAYERS = ["rivers", "flags"]


class FlagsAlgorithm(RivermapAlgorithm):
    """Flag the rivers whose responsibility is split in a way a planner should look at."""

    NAME = "flags"
    TITLE = ("需关注河流", "Flags")
    HELP_ZH = (
        "找出某一级（或每一级）责任划分需要调整的河流：跨越多个单元且各占相当份额、沿边界流动、"
        "离开后又进入同一单元、或留下零碎河段；给出严重程度和调整建议。"
        "结果连同这些标记重新写出（河流图层按严重程度突出显示），可另存为表格供会议使用。"
    )
    HELP_EN = (
        "Finds the rivers whose responsibility at a level (or at every level) needs a look: "
        "they cross units with significant shares, run along a boundary, re-enter a unit they "
        "left, or leave slivers; each with a severity and a proposal. The result is written "
        "again with these flags (the rivers layer highlights them by severity), and the table "
        "for a meeting when asked."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        params = options()
        add_result(self)
        add_text(self, "LEVEL", both("级别（空：每一级）", "Level (empty: every level)"))
        add_number(
            self, "MIN_SHARE", both("零碎份额", "Sliver share"), params["MIN_SHARE"], maximum=1.0
        )
        add_number(
            self, "MIN_LENGTH_M", both("零碎长度（米）", "Sliver length, m"), params["MIN_LENGTH_M"]
        )
        add_lang(self)
        add_output(
            self,
            "OUTPUT",
            both("带标记的结果", "Result with these flags"),
            "GeoPackage (*.gpkg)",
            layers=_LAYERS,
        )
        add_output(
            self,
            "TABLE",
            both("需关注河流表", "Flags table"),
            "XLSX (*.xlsx);;CSV (*.csv)",
            optional=True,
        )
        self.addOutput(
            QgsProcessingOutputNumber(
                "FLAGGED", both("标记数（河流×级别）", "flags (river × level)")
            )
        )

    def work(self, run: Run) -> dict[str, Any]:
        """Flag and write (in rivermap), and load the GeoPackage."""
        job = {
            "options": {
                "min_share": run.number("MIN_SHARE"),
                "min_length_m": run.number("MIN_LENGTH_M"),
            },
            "result": run.package("RESULT"),
            "level": run.text("LEVEL"),
            "output": run.output("OUTPUT"),
            "table": run.optional_output("TABLE"),
        }
        results = run.execute("flags", job)
        return {**results, **run.load(results["OUTPUT"], _LAYERS, "OUTPUT")}
