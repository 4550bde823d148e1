"""The inputs the report algorithms share: reports, patrol tracks, roster, duties, coordinates.

Reports (工单) are a layer of points, or a table with longitude/latitude
columns or only hints (河段编码, 河流, 公示牌编号), as
:func:`rivermap.read_events` reads them. Tracks (巡河轨迹) are a layer (a
GPX file as QGIS opens it, points or lines) or a folder of GPX/CSV/GeoJSON
files, as :func:`rivermap.read_patrols` reads them. The coordinates are those
of the layer, or WGS84 for longitude/latitude tables, unless the Chinese
offset systems are named (GCJ-02 for Gaode and Tencent, BD-09 for Baidu).
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
)

from rivermap_qgis.algorithms.base import Run, add_choice, add_file, both

__all__ = [
    "add_chiefs",
    "add_duties",
    "add_events",
    "add_tracks",
    "chiefs_file",
    "crs_of",
    "events_file",
    "tracks_file",
]

#: What the coordinates are: None is the layer's own CRS (WGS84 for lon/lat tables).
COORDINATES = ("auto", "gcj02", "bd09")
_COORDINATE_LABELS = {
    "auto": "自动：图层坐标系，经纬度表为 WGS84 / auto: the layer's CRS, WGS84 for lon/lat",
    "gcj02": "GCJ-02（高德、腾讯）/ GCJ-02 (Gaode, Tencent)",
    "bd09": "BD-09（百度）/ BD-09 (Baidu)",
}
_EVENT_FORMATS = ["csv", "gpkg", "geojson", "json", "shp"]
_TRACK_FORMATS = ["csv", "gpkg", "geojson", "json"]


def _add_coordinates(alg: QgsProcessingAlgorithm, name: str, what: tuple[str, str]) -> None:
    label = both(f"{what[0]}坐标", f"Coordinates of the {what[1]}")
    add_choice(alg, name, label, COORDINATES, "auto", _COORDINATE_LABELS)


def add_events(alg: QgsProcessingAlgorithm, *, optional: bool = False) -> None:
    """Add the reports layer (points, or a table) and what its coordinates are."""
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "EVENTS",
            both("工单（点图层或表格）", "Reports (points, or a table)"),
            [QgsProcessing.TypeVector],
            optional=optional,
        )
    )
    _add_coordinates(alg, "EVENTS_CRS", ("工单", "reports"))


def add_tracks(alg: QgsProcessingAlgorithm) -> None:
    """Add the tracks: a layer, or a folder of files; and what their coordinates are."""
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "TRACKS",
            both("巡河轨迹图层（GPX、点或线）", "Patrol tracks layer (GPX, points or lines)"),
            [QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorLine],
            optional=True,
        )
    )
    add_file(
        alg,
        "TRACKS_FOLDER",
        both(
            "或：轨迹文件夹（GPX、CSV、GeoJSON）", "or: a folder of track files (GPX, CSV, GeoJSON)"
        ),
        folder=True,
    )
    _add_coordinates(alg, "TRACKS_CRS", ("轨迹", "tracks"))


def add_chiefs(alg: QgsProcessingAlgorithm) -> None:
    """Add the chief roster, to name the chiefs."""
    add_file(
        alg,
        "CHIEFS",
        both("河长名录（CSV/XLSX，可选）", "Chief roster (CSV/XLSX, optional)"),
        "CSV/XLSX (*.csv *.xlsx)",
    )


def add_duties(alg: QgsProcessingAlgorithm) -> None:
    """Add the duties table (巡河要求)."""
    add_file(
        alg,
        "DUTIES",
        both(
            "巡河要求表（可选，默认常见省级要求）",
            "Duties table (optional; default: the common provincial duties)",
        ),
        "CSV/XLSX (*.csv *.xlsx)",
    )


def crs_of(run: Run, name: str) -> str | None:
    """Return what the coordinates are, as rivermap's readers take it (None: the layer's)."""
    value = run.choice(name, COORDINATES)
    return None if value == "auto" else value


def events_file(run: Run) -> str | None:
    """Return the reports as a file of one layer (CSV for a table); None when not given."""
    found = run.source("EVENTS", _EVENT_FORMATS, keep_layer=False)
    return found[0] if found else None


def tracks_file(run: Run) -> str | None:
    """Return the tracks: a GPX or single-layer file, or the folder; None when neither is given."""
    found = run.source("TRACKS", _TRACK_FORMATS, keep_layer=False, whole=(".gpx",))
    folder = run.text("TRACKS_FOLDER")
    if found and folder:
        msg = both("巡河轨迹：图层与文件夹二选一", "give TRACKS or TRACKS_FOLDER, not both")
        raise QgsProcessingException(msg)
    return found[0] if found else folder


def chiefs_file(run: Run) -> str | None:
    """Return the roster's file (rivermap checks that it exists); None when not given."""
    return run.text("CHIEFS")
