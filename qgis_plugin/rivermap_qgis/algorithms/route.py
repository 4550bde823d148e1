"""Route reports (工单分派): each report to its reach, bank, unit at every level, and chief.

:func:`rivermap.pipeline.route`, as ``rivermap route``: the reports are read
(:func:`rivermap.read_events`) and routed
(:func:`rivermap.route_events`); the routed points are written to a
GeoPackage and loaded (styled by status), and to a workbook or CSV with words
in the language chosen when asked. The work is :func:`rivermap_qgis.steps.route`.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingException, QgsProcessingOutputNumber

from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_lang,
    add_number,
    add_output,
    add_result,
    both,
    options,
)
from rivermap_qgis.algorithms.reports import (
    add_chiefs,
    add_events,
    chiefs_file,
    crs_of,
    events_file,
)

__all__ = ["RouteAlgorithm"]

_LAYERS = ["events"]


class RouteAlgorithm(RivermapAlgorithm):
    """Route every report to the reach and chief who must act."""

    NAME = "route"
    TITLE = ("工单分派到河段与河长", "Route reports")
    GROUP = "reports"
    HELP_ZH = (
        "把每条工单（热线、巡河发现、公示牌扫码）分派到河段、岸别、各级责任单元和应处理的河长。"
        "无法分派的工单注明原因（无位置、离河太远、不在任何单元内、单元无河长），"
        "位置存疑（边界、汇合处）的工单列出其他候选河段。坐标为高德/百度坐标时请选择 GCJ-02/BD-09。"
    )
    HELP_EN = (
        "Routes every report (hotline ticket, patrol finding, signboard scan) to its reach, "
        "bank, unit at every level and the chief who must act. A report no chief can take is "
        "unmatched, with the reason; one near a boundary or a confluence is ambiguous and "
        "lists the other candidates. Choose GCJ-02 or BD-09 for Gaode or Baidu coordinates."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        add_result(self)
        add_events(self)
        add_chiefs(self)
        add_number(
            self,
            "MAX_DIST_M",
            both("离河最远距离（米）", "Farthest from a river, m"),
            options()["MAX_DIST_M"],
        )
        add_lang(self)
        add_output(
            self,
            "OUTPUT",
            both("分派结果", "Routed reports"),
            "GeoPackage (*.gpkg)",
            layers=_LAYERS,
        )
        add_output(
            self,
            "TABLE",
            both("分派表", "Routed reports table"),
            "XLSX (*.xlsx);;CSV (*.csv)",
            optional=True,
        )
        for name, label in (
            ("N_EVENTS", ("工单数", "reports")),
            ("N_UNMATCHED", ("未分派", "unmatched")),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, both(*label)))

    def work(self, run: Run) -> dict[str, Any]:
        """Read, route and write (in rivermap), and load the routed reports."""
        job = {
            "max_dist_m": run.number("MAX_DIST_M"),
            "result": run.package("RESULT"),
            "chiefs": chiefs_file(run),
            "output": run.output("OUTPUT"),
            "table": run.optional_output("TABLE"),
            "crs": crs_of(run, "EVENTS_CRS"),
        }
        events = events_file(run)
        if events is None:
            raise QgsProcessingException(run.alg.invalidSourceError(run.parameters, "EVENTS"))
        results = run.execute("route", {**job, "events": events})
        return {**results, **run.load(results["OUTPUT"], _LAYERS, "OUTPUT")}
