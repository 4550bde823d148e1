"""Patrol coverage (巡河考核): patrol tracks judged against the duties, 应巡 against 已巡.

:func:`rivermap.pipeline.judge_patrols`, as ``rivermap patrols``: the tracks
are read (:func:`rivermap.read_patrols`) and judged
(:func:`rivermap.patrol_coverage`); the workbook (per person and period, per
patrol, per stretch, the duties) is written, and the patrols' lines, each with
whether it counts and why not, are written to a GeoPackage and loaded when
asked. The work is :func:`rivermap_qgis.steps.patrols`.
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
    add_text,
    both,
    options,
)
from rivermap_qgis.algorithms.reports import (
    add_chiefs,
    add_duties,
    add_tracks,
    chiefs_file,
    crs_of,
    tracks_file,
)

__all__ = ["PatrolsAlgorithm"]

_LAYERS = ["patrols"]


class PatrolsAlgorithm(RivermapAlgorithm):
    """Judge patrol tracks against the duties: who patrolled enough, and which patrols count."""

    NAME = "patrols"
    TITLE = ("巡河考核（应巡/已巡）", "Patrol coverage")
    GROUP = "reports"
    HELP_ZH = (
        "按巡河要求考核巡河轨迹：每次巡河是否有效（点数、时间顺序、人员、时长、距离、车速、"
        "是否沿河、是否在本人单元内），每人每期应巡与已巡次数。写出工作簿，并可写出巡河轨迹图层。"
    )
    HELP_EN = (
        "Judges patrol tracks against the duties: whether each patrol counts (points, time "
        "order, person, duration, distance, speed, along the river, within the person's "
        "units), and per person and period how many patrols were due (应巡) and done (已巡). "
        "Writes the workbook, and the patrols as a layer when asked."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        params = options()
        add_result(self)
        add_tracks(self)
        add_chiefs(self)
        add_duties(self)
        add_text(self, "START", both("起始日期（如 2026-11-01）", "First day, e.g. 2026-11-01"))
        add_text(self, "END", both("截止日期（如 2026-11-30）", "Last day, e.g. 2026-11-30"))
        add_number(
            self,
            "PATROL_TOL_M",
            both("沿河距离（米）", "Along a reach within, m"),
            params["PATROL_TOL_M"],
        )
        add_number(
            self,
            "MAX_SPEED_KMH",
            both("最高车速（公里/时）", "Fastest, km/h"),
            params["MAX_SPEED_KMH"],
        )
        add_lang(self)
        add_output(self, "OUTPUT", both("巡河考核工作簿", "Patrol workbook"), "XLSX (*.xlsx)")
        add_output(
            self,
            "LAYER",
            both("巡河轨迹图层", "Patrols layer"),
            "GeoPackage (*.gpkg)",
            optional=True,
            layers=_LAYERS,
        )
        for name, label in (
            ("N_PATROLS", ("巡河次数", "patrols")),
            ("N_SHORT", ("未达要求人数", "people short of their duty")),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, both(*label)))

    def work(self, run: Run) -> dict[str, Any]:
        """Read, judge and write (in rivermap), and load the patrols' layer when asked."""
        job = {
            "options": {
                "patrol_tol_m": run.number("PATROL_TOL_M"),
                "max_speed_kmh": run.number("MAX_SPEED_KMH"),
            },
            "result": run.package("RESULT"),
            "chiefs": chiefs_file(run),
            "duties": run.text("DUTIES"),
            "start": run.text("START"),
            "end": run.text("END"),
            "output": run.output("OUTPUT"),
            "layer": run.optional_output("LAYER"),
            "crs": crs_of(run, "TRACKS_CRS"),
        }
        tracks = tracks_file(run)
        if tracks is None:
            msg = both("请给出巡河轨迹", "give the patrol tracks: TRACKS or TRACKS_FOLDER")
            raise QgsProcessingException(msg)
        results = run.execute("patrols", {**job, "tracks": tracks})
        if results.get("LAYER"):
            results |= run.load(results["LAYER"], _LAYERS, "LAYER")
        return results
