"""Patrol coverage (巡河考核): patrol tracks judged against the duties, 应巡 against 已巡.

:func:`rivermap.pipeline.judge_patrols`, as ``rivermap patrols``: the tracks
are read (:func:`rivermap.read_patrols`) and judged
(:func:`rivermap.patrol_coverage`); the workbook (per person and period, per
patrol, per stretch, the duties) is written, and the patrols' lines, each with
whether it counts and why not, are written to a GeoPackage and loaded when
asked.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingException, QgsProcessingOutputNumber

from rivermap import params, pipeline
from rivermap.io import atomic_output, check_output
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
from rivermap_qgis.algorithms.reports import (
    add_chiefs,
    add_duties,
    add_tracks,
    chiefs_file,
    crs_of,
    tracks_file,
    with_roster,
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
            params.PATROL_TOL_M,
        )
        add_number(
            self,
            "MAX_SPEED_KMH",
            both("最高车速（公里/时）", "Fastest, km/h"),
            params.MAX_SPEED_KMH,
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
        """Read, judge, write and load."""
        tol, speed = run.number("PATROL_TOL_M"), run.number("MAX_SPEED_KMH")
        run.check({"patrol_tol_m": tol, "max_speed_kmh": speed})
        out = str(check_output(run.output("OUTPUT"), overwrite=True, kind="xlsx"))
        layer_path = run.optional_output("LAYER")
        if layer_path:
            check_output(layer_path, overwrite=True, kind="gpkg")
        chiefs, duties = chiefs_file(run), run.text("DUTIES")
        pipeline.require_files(duties)
        run.step(5, "读取结果与轨迹", "reading the result and the tracks")
        tracks = tracks_file(run)
        if tracks is None:
            msg = both("请给出巡河轨迹", "give the patrol tracks: TRACKS or TRACKS_FOLDER")
            raise QgsProcessingException(msg)
        resp = with_roster(run, chiefs)
        run.step(20, "考核巡河", "judging the patrols")
        cover = pipeline.judge_patrols(
            resp,
            tracks,
            crs=crs_of(run, "TRACKS_CRS"),
            duties=duties,
            start=run.text("START"),
            end=run.text("END"),
            patrol_tol_m=tol,
            max_speed_kmh=speed,
            path=out,
            lang=run.lang,
            overwrite=True,
        )
        results: dict[str, Any] = {"OUTPUT": out}
        if layer_path:
            run.step(90, "写出轨迹图层", "writing the patrols layer")
            with atomic_output(layer_path, overwrite=True) as tmp:
                cover.patrols.to_file(tmp, layer="patrols", driver="GPKG")
            results |= {"LAYER": layer_path, **run.load(layer_path, _LAYERS, "LAYER")}
        short = int((cover.people["met"] == False).sum())  # noqa: E712 - True, False or None
        return {**results, "N_PATROLS": len(cover.patrols), "N_SHORT": short}
