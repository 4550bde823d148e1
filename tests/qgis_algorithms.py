"""The plugin's algorithms run through ``processing.run`` inside headless QGIS (see qgis_headless).

Each check runs one algorithm on the demo's files named by the session's
configuration and reports what QGIS got: the results, the features of the
layers written, the layers loaded into the project and their renderers, or
the message of the exception raised. Outputs go to the folder
``config["out"]``. The session runs every check twice, with rivermap in
QGIS's Python and in another Python; the tests compare both with what the
library gives for the same input. Imported only inside the QGIS session.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

__all__ = ["CHECKS"]


def _layer_counts(results: dict[str, Any]) -> dict[str, int]:
    """Return the features of every layer output (``"path|layername=x"``) of ``results``."""
    from qgis.core import QgsVectorLayer

    out = {}
    for key, value in results.items():
        if isinstance(value, str) and "|layername=" in value:
            out[key] = QgsVectorLayer(value, key, "ogr").featureCount()
    return out


def _run(algorithm: str, parameters: dict[str, Any], *, load: bool = False) -> dict[str, Any]:
    """Run an algorithm; return its numbers and files, and the features of its layers."""
    import processing
    from qgis.core import QgsProcessingFeedback

    class Feedback(QgsProcessingFeedback):
        """Keeps the warnings pushed to the log."""

        def __init__(self) -> None:
            super().__init__()
            self.warnings: list[str] = []

        def pushWarning(self, text: str) -> None:
            self.warnings.append(text)
            super().pushWarning(text)

    feedback = Feedback()
    runner = processing.runAndLoadResults if load else processing.run
    start = time.perf_counter()
    results = runner(algorithm, parameters, feedback=feedback)
    seconds = time.perf_counter() - start
    plain = {k: v for k, v in results.items() if isinstance(v, str | int | float) or v is None}
    counts = _layer_counts(plain)
    return {"results": plain, "counts": counts, "seconds": seconds, "warnings": feedback.warnings}


def _error(algorithm: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run an algorithm that must fail; return the type and message of what it raised."""
    import processing

    try:
        processing.run(algorithm, parameters)
    except Exception as exc:
        return {"type": type(exc).__name__, "message": str(exc)}
    return {"type": None, "message": None}


def _out(config: dict[str, Any], name: str) -> str:
    return str(Path(config["out"]) / name)


def _memory_copy(uri: str, name: str, *, degenerate: bool = False) -> Any:
    """Return an in-memory copy of a layer (which the algorithms must write out to read).

    ``degenerate``: add a river whose line is one point twice, which rivermap
    drops with a warning.
    """
    from qgis.core import QgsFeature, QgsFeatureRequest, QgsGeometry, QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(uri, name, "ogr")
    copy = layer.materialize(QgsFeatureRequest())
    copy.setName(name)
    if degenerate:
        feature = QgsFeature(copy.fields())
        feature.setAttribute("name", "degenerate")
        point = copy.extent().center()
        feature.setGeometry(
            QgsGeometry.fromWkt(f"LINESTRING({point.x()} {point.y()}, {point.x()} {point.y()})")
        )
        copy.dataProvider().addFeatures([feature])
    QgsProject.instance().addMapLayer(copy, False)
    return copy


def check_assign_layers(config: dict[str, Any]) -> dict[str, Any]:
    """Assign with one layer per level (out of order), the rivers in memory; load the result.

    The rivers have one more, degenerate, which rivermap drops with a warning.
    """
    from qgis.core import QgsProject, QgsWkbTypes

    data = config["data_gpkg"]
    rivers = _memory_copy(f"{data}|layername=rivers", "rivers in memory", degenerate=True)
    params = {
        "RIVERS": rivers,
        "MERGE_BY": "name",
        "UNITS_LAYERS": [f"{data}|layername={lv}" for lv in ("district", "province", "city")],
        "OUTPUT": _out(config, "assign_layers.gpkg"),
    }
    out = _run("rivermap:assign", params, load=True)
    tree = QgsProject.instance().layerTreeRoot().findLayers()
    out["loaded"] = [
        {
            "name": node.layer().name(),
            "geometry": QgsWkbTypes.geometryDisplayString(node.layer().geometryType()),
            "renderer": node.layer().renderer().type() if node.layer().isSpatial() else None,
        }
        for node in tree
    ]
    return out


def check_assign_one_layer(config: dict[str, Any]) -> dict[str, Any]:
    """Assign with one units layer holding every level and a level field."""
    data = config["data_gpkg"]
    params = {
        "RIVERS": f"{data}|layername=rivers",
        "MERGE_BY": "name",
        "UNITS": config["units_one"],
        "LEVEL_COL": "level",
        "LEVELS": "province,city,district",
        "UNIT_ID_COL": "unit_id",
        "UNIT_NAME_COL": "name",
        "PARENT": "parent_id",
        "OUTPUT": _out(config, "assign_one.gpkg"),
    }
    return _run("rivermap:assign", params)


def check_assign_bad(config: dict[str, Any]) -> dict[str, Any]:
    """Assign with a river id field whose values repeat: rivermap's error, one line."""
    data = config["data_gpkg"]
    params = {
        "RIVERS": f"{data}|layername=rivers",
        "ID_COL": "name",
        "UNITS_LAYERS": [f"{data}|layername={lv}" for lv in ("province", "city", "district")],
        "OUTPUT": _out(config, "assign_bad.gpkg"),
    }
    return _error("rivermap:assign", params)


def _result(config: dict[str, Any]) -> str:
    return f"{config['demo_gpkg']}|layername=reaches"


def check_flags(config: dict[str, Any]) -> dict[str, Any]:
    """Flag the district level; write the result with the flags, and the table."""
    params = {
        "RESULT": _result(config),
        "LEVEL": "district",
        "MIN_SHARE": 0.1,
        "OUTPUT": _out(config, "flags.gpkg"),
        "TABLE": _out(config, "flags.xlsx"),
    }
    return _run("rivermap:flags", params)


def check_flags_bad(config: dict[str, Any]) -> dict[str, Any]:
    """Run flags on a file that is not a rivermap result, and at a level that does not exist."""
    return {
        "not_a_result": _error(
            "rivermap:flags",
            {
                "RESULT": f"{config['data_gpkg']}|layername=rivers",
                "OUTPUT": _out(config, "flags_bad.gpkg"),
            },
        ),
        "level": _error(
            "rivermap:flags",
            {
                "RESULT": _result(config),
                "LEVEL": "ward",
                "OUTPUT": _out(config, "flags_bad.gpkg"),
            },
        ),
    }


class _Recorder:
    """A feedback that records the progress, and cancels at its first step when asked."""

    @staticmethod
    def new(*, cancel_at_first: bool = False) -> Any:
        from qgis.core import QgsProcessingFeedback

        class Recorder(QgsProcessingFeedback):
            def __init__(self) -> None:
                super().__init__()
                self.steps: list[float] = []
                self.texts: list[str] = []
                self.progressChanged.connect(self.steps.append)

            def setProgressText(self, text: str) -> None:
                self.texts.append(text)
                if cancel_at_first:
                    self.cancel()

        return Recorder()


def _cancelled(algorithm: str, parameters: dict[str, Any], feedback: Any) -> dict[str, Any]:
    """Run an algorithm with ``feedback``; return the message raised, the time, the output."""
    import processing

    start = time.perf_counter()
    try:
        processing.run(algorithm, parameters, feedback=feedback)
        message = None
    except Exception as exc:
        message = str(exc)
    seconds = time.perf_counter() - start
    return {"message": message, "seconds": seconds, "written": Path(parameters["OUTPUT"]).exists()}


def check_progress(config: dict[str, Any]) -> dict[str, Any]:
    """Run flags recording its progress; then cancel flags before it starts, assign at its start."""
    import processing
    from qgis.core import QgsProcessingFeedback

    feedback = _Recorder.new()
    params = {"RESULT": _result(config), "OUTPUT": _out(config, "progress.gpkg")}
    processing.run("rivermap:flags", params, feedback=feedback)
    before = QgsProcessingFeedback()
    before.cancel()
    at_first = _Recorder.new(cancel_at_first=True)
    data = config["data_gpkg"]
    assign = {
        "RIVERS": f"{data}|layername=rivers",
        "MERGE_BY": "name",
        "UNITS_LAYERS": [f"{data}|layername={lv}" for lv in ("province", "city", "district")],
    }
    return {
        "steps": feedback.steps,
        "texts": feedback.texts,
        "before": _cancelled(
            "rivermap:flags", {**params, "OUTPUT": _out(config, "cancelled.gpkg")}, before
        ),
        "at_first": _cancelled(
            "rivermap:assign", {**assign, "OUTPUT": _out(config, "cancelled.gpkg")}, at_first
        ),
        "at_first_texts": at_first.texts,
    }


def check_bug(config: dict[str, Any]) -> dict[str, Any]:
    """Run a job no step knows: a bug, which comes back with its traceback."""
    from rivermap_qgis import library

    outcome = library.backend().run({"step": "no such step"}, lambda p, t: None, lambda: False)
    return {"keys": sorted(outcome), "bug": outcome.get("bug")}


def check_redivide(config: dict[str, Any]) -> dict[str, Any]:
    """Redivide at the district level by majority, with a planner's split point."""
    params = {
        "RESULT": _result(config),
        "LEVEL": "district",
        "POLICY": 1,  # majority
        "EDITS": config["edits"],
        "OUTPUT": _out(config, "plan.gpkg"),
        "TABLE": _out(config, "plan.xlsx"),
    }
    return _run("rivermap:redivide", params)


def check_route(config: dict[str, Any]) -> dict[str, Any]:
    """Route the synthetic month's tickets (a CSV table in GCJ-02) with the example roster."""
    params = {
        "RESULT": _result(config),
        "EVENTS": config["events_csv"],
        "EVENTS_CRS": 1,  # gcj02
        "CHIEFS": config["roster"],
        "OUTPUT": _out(config, "routed.gpkg"),
        "TABLE": _out(config, "routed.xlsx"),
    }
    return _run("rivermap:route", params)


def check_patrols(config: dict[str, Any]) -> dict[str, Any]:
    """Judge the synthetic month's GPX tracks (a folder) against the default duties."""
    params = {
        "RESULT": _result(config),
        "TRACKS_FOLDER": config["tracks_dir"],
        "CHIEFS": config["roster"],
        "START": "2026-11-01",
        "END": "2026-11-30",
        "OUTPUT": _out(config, "patrols.xlsx"),
        "LAYER": _out(config, "patrols.gpkg"),
    }
    return _run("rivermap:patrols", params)


def check_bulletin(config: dict[str, Any]) -> dict[str, Any]:
    """Make the month's bulletin from tickets in memory (a table) and tracks as points."""
    from urllib.parse import quote

    from qgis.core import QgsProject, QgsVectorLayer

    events = _memory_copy(config["events_csv"], "tickets in memory")
    x, y = quote("经度"), quote("纬度")
    uri = (
        f"file://{config['tracks_csv']}?type=csv&encoding=UTF-8&xField={x}&yField={y}&crs=EPSG:4326"
    )
    tracks = QgsVectorLayer(uri, "tracks", "delimitedtext")
    QgsProject.instance().addMapLayer(tracks, False)
    params = {
        "RESULT": _result(config),
        "MONTH": config["month"],
        "EVENTS": events,
        "EVENTS_CRS": 1,
        "TRACKS": tracks,
        "CHIEFS": config["roster"],
        "LEVEL": "district",
        "OUTPUT": _out(config, "bulletin.html"),
        "TABLE": _out(config, "bulletin.xlsx"),
    }
    out = _run("rivermap:bulletin", params)
    out["tracks"] = tracks.featureCount() if tracks.isValid() else None
    return out


def check_webmap(config: dict[str, Any]) -> dict[str, Any]:
    """Export the web map with the district plan, in English."""
    params = {
        "RESULT": _result(config),
        "PLAN": f"{config['plan_gpkg']}|layername=segments",
        "LANG": 1,
        "OUTPUT": _out(config, "map.html"),
    }
    return _run("rivermap:webmap", params)


def check_atlas(config: dict[str, Any]) -> dict[str, Any]:
    """Export the atlas by city."""
    params = {"RESULT": _result(config), "BY": "city", "OUTPUT": _out(config, "atlas.pdf")}
    return _run("rivermap:atlas", params)


CHECKS = {
    "assign_layers": check_assign_layers,
    "assign_one_layer": check_assign_one_layer,
    "assign_bad": check_assign_bad,
    "flags": check_flags,
    "flags_bad": check_flags_bad,
    "progress": check_progress,
    "bug": check_bug,
    "redivide": check_redivide,
    "route": check_route,
    "patrols": check_patrols,
    "bulletin": check_bulletin,
    "webmap": check_webmap,
    "atlas": check_atlas,
}
