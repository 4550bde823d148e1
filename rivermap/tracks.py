"""Patrol tracks (巡河轨迹): one row per track point, from GPX, tables or vector files.

:func:`read_patrols` reads what patrol apps and river chief platforms export
and returns one table of track points: a patrol is one track walked (or
driven) by one person, and its points keep the order they were recorded in.
Points are never sorted by time and nothing is dropped: a track of one point,
or one whose timestamps go backwards, is kept as it is, so that
:func:`rivermap.patrols.patrol_coverage` can report it rather than silently
repair it.

Sources
-------
* **GPX** (1.0 and 1.1, read with :mod:`xml.etree.ElementTree`): every
  ``<trk>`` is one patrol, its ``<trkseg>`` segments joined in order. The
  patrol is named after the file (``walk.gpx`` → ``walk``), or ``walk#1``,
  ``walk#2`` … when the file holds several tracks. The person is the file's
  author (``<metadata><author><name>`` in 1.1, ``<author>`` in 1.0), else
  unknown. Routes and waypoints are ignored. Every point needs a ``<time>``.
  GPX is WGS84, but some Chinese apps write GCJ-02: say so with ``crs=``.
* **Tables** (CSV, XLSX, a DataFrame) and **point features** (GeoJSON,
  GeoPackage …): one row per point, with ``patrol_id`` (巡河编号, 轨迹编号),
  ``person`` (巡河人, 河长), ``time`` (时间, 定位时间, 时间戳) and longitude
  and latitude columns (经度/纬度, lon/lat) or the point geometry. Without a
  patrol id column, a person's points of one day are one patrol, named
  ``person@YYYY-MM-DD``.
* **Line features** (GeoJSON, GeoPackage …): every LineString or
  MultiLineString (its parts joined in order) is one patrol, with properties
  ``patrol_id`` and ``person``, and either a time per vertex (``coordTimes`` or
  ``times``: a list of ISO times, as mapbox ``togeojson`` writes, or a JSON
  text of one) or ``start`` and ``end`` times, between which the vertices'
  times are interpolated by distance along the line. Without an id a line is
  named after the file, as a GPX track is.
* **A folder**: every ``.gpx``, ``.csv``, ``.xlsx``, ``.geojson`` and
  ``.gpkg`` file in it (not in subfolders), in the order of their names. Two
  files giving the same patrol id is an error.

Times are read by :func:`rivermap._tables.parse_times` (a zone is converted
to Beijing time and dropped); a point without a readable time is an error that
names the file, the row or track and point, and the column. Coordinates are
converted to WGS84 from ``crs=`` (GCJ-02, BD-09 or any CRS PROJ knows).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap._tables import (
    Loaded,
    Problems,
    SourceCRS,
    clean_text,
    drop_blank,
    geometries_to_wgs84,
    load,
    lonlat_points,
    map_headers,
    parse_times,
    source_crs,
    vector_points,
)
from rivermap.errors import DataError, ParameterError, SchemaError, format_ids
from rivermap.text import is_missing

__all__ = ["COLUMNS", "FOLDER_SUFFIXES", "read_patrols"]

PathLike: TypeAlias = str | os.PathLike[str]

#: Columns of :func:`read_patrols`' table, in order.
COLUMNS: tuple[str, ...] = ("patrol_id", "person", "time", "seq", "geometry")
#: The files read from a folder.
FOLDER_SUFFIXES: tuple[str, ...] = (".gpx", ".csv", ".xlsx", ".geojson", ".gpkg")

# Header aliases per field; compared after _tables.header_key (lower case, no
# spaces, underscores or hyphens, full-width brackets made half-width).
_HEADERS: dict[str, tuple[str, ...]] = {
    "patrol_id": (
        "patrol_id",
        "track_id",
        "patrol",
        "track",
        "巡河编号",
        "轨迹编号",
        "巡查编号",
        "巡河记录编号",
        "轨迹id",
    ),
    "person": (
        "person",
        "chief",
        "chief_name",
        "patroller",
        "巡河人",
        "巡查人",
        "河长",
        "河长姓名",
        "人员",
        "人员编号",
    ),
    "time": ("time", "timestamp", "datetime", "时间", "定位时间", "时间戳", "采集时间"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "times": ("coordTimes", "coord_times", "times"),
    "start": ("start", "start_time", "started_at", "开始时间", "巡河开始时间"),
    "end": ("end", "end_time", "ended_at", "结束时间", "巡河结束时间"),
}

_GPX_NAMESPACES = ("http://www.topografix.com/GPX/1/1", "http://www.topografix.com/GPX/1/0")
_EARTH_RADIUS_M = 6371008.8
_LINES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING)


class _Part(NamedTuple):
    """The track points of one file: ``patrol_id``, ``person``, ``time``, ``geometry``."""

    where: str
    frame: pd.DataFrame
    crs: str


def read_patrols(
    source: PathLike | pd.DataFrame,
    *,
    crs: Any = None,
    person: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read patrol tracks (巡河轨迹) into one table of track points.

    Parameters
    ----------
    source
        A ``.gpx`` file, a CSV/XLSX table of points, a GeoJSON/GeoPackage (or
        any vector file) of lines or points, a folder of such files, or a
        (Geo)DataFrame (not modified). See the module docstring for what each
        holds.
    crs
        What the coordinates are. None: GPX and longitude/latitude columns are
        WGS84, vector files in their own CRS. ``"GCJ-02"`` (``gaode``,
        ``amap``) or ``"BD-09"`` (``baidu``): converted to WGS84. Any other CRS
        PROJ knows is transformed.
    person
        The person of every track, overriding the file's (for an app export
        of one person's patrols).
    encoding
        Text encoding of CSV files and vector attributes; detected when None.
    layer
        Layer of a multi-layer vector file (GeoPackage); the first when None.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 with a RangeIndex, one row per track point: ``patrol_id``
        (str), ``person`` (str, NaN when unknown), ``time`` (datetime64[ns],
        Beijing time), ``seq`` (int64: 0, 1 … within the patrol, in file
        order) and ``geometry`` (a Point). Patrols follow one another in the
        order they first appear; within a patrol the points are in file order,
        never sorted by time. ``attrs["source_crs"]`` names the input CRS.

    Raises
    ------
    SchemaError
        When a point has no readable time or location, a required column is
        missing, or two files of a folder give the same patrol id.
    DataError
        When a file cannot be read (not GPX/XML, undecodable, empty folder).
    CRSError
        When ``crs=`` is unknown, or a vector file has no CRS.

    Examples
    --------
    >>> import pandas as pd
    >>> points = pd.DataFrame(
    ...     {
    ...         "巡河人": ["张三", "张三", "张三"],
    ...         "定位时间": ["2026-11-03 08:00", "2026-11-03 08:05", "2026-11-03 08:03"],
    ...         "经度": [120.15, 120.151, 120.152],
    ...         "纬度": [30.25, 30.251, 30.252],
    ...     }
    ... )
    >>> read_patrols(points)[["patrol_id", "person", "time", "seq"]]
              patrol_id person                time  seq
    0  张三@2026-11-03     张三 2026-11-03 08:00:00    0
    1  张三@2026-11-03     张三 2026-11-03 08:05:00    1
    2  张三@2026-11-03     张三 2026-11-03 08:03:00    2
    """
    spec = source_crs(crs, "read_patrols")
    if person is not None and (not isinstance(person, str) or is_missing(person.strip())):
        msg = f"person must be a non-empty name (or None: the file's), got {person!r}"
        raise ParameterError(msg)
    person = None if person is None else person.strip()
    if isinstance(source, str | os.PathLike) and Path(source).is_dir():
        parts = _read_folder(Path(source), spec, person, encoding, layer)
    else:
        parts = [_read_one(source, spec, person, encoding, layer)]
    return _finish(parts, person)


def _read_folder(
    folder: Path, spec: SourceCRS, person: str | None, encoding: str | None, layer: str | None
) -> list[_Part]:
    """Read every track file of ``folder``, by name; refuse a patrol id given by two files."""
    files = sorted(
        (f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in FOLDER_SUFFIXES),
        key=lambda f: f.name,
    )
    if not files:
        msg = f"{folder}: no track files ({', '.join(FOLDER_SUFFIXES)}) in this folder"
        raise DataError(msg)
    parts = [_read_one(f, spec, person, encoding, layer) for f in files]
    owner: dict[str, str] = {}
    for part in parts:
        ids = pd.unique(part.frame["patrol_id"].to_numpy(dtype=object))
        clash = [i for i in ids if i in owner]
        if clash:
            msg = (
                f"{folder}: patrol id(s) {format_ids(clash)} are given by both "
                f"{owner[clash[0]]} and {Path(part.where).name}; give every patrol its own id "
                "(a GPX patrol is named after its file)"
            )
            raise SchemaError(msg)
        owner.update(dict.fromkeys(ids, Path(part.where).name))
    return parts


def _read_one(
    source: Any, spec: SourceCRS, person: str | None, encoding: str | None, layer: str | None
) -> _Part:
    """Read one file or DataFrame of tracks."""
    if isinstance(source, str | os.PathLike) and Path(source).suffix.lower() == ".gpx":
        return _read_gpx(Path(source), spec)
    loaded = load(
        source,
        label="patrol points",
        caller="read_patrols",
        encoding=encoding,
        layer=layer,
        vector=True,
    )
    stem = Path(source).stem if isinstance(source, str | os.PathLike) else "patrol"
    geoms = loaded.geometry
    if geoms is not None and np.isin(shapely.get_type_id(geoms), _LINES).any():
        return _read_lines(loaded, spec, stem)
    return _read_points(drop_blank(loaded), spec, person)


def _finish(parts: Sequence[_Part], person: str | None) -> gpd.GeoDataFrame:
    """Join the parts: patrols in order of first appearance, points in file order, ``seq``."""
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    codes, _ = pd.factorize(frame["patrol_id"])
    frame = frame.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
    if person is not None:
        frame["person"] = person
    out = gpd.GeoDataFrame(
        {
            "patrol_id": frame["patrol_id"].astype("str"),
            "person": frame["person"].astype("str"),
            "time": frame["time"].astype("datetime64[ns]"),
            "seq": frame.groupby("patrol_id", sort=False).cumcount().astype("int64"),
        },
        geometry=gpd.GeoSeries(frame["geometry"].to_numpy(dtype=object), crs="EPSG:4326"),
    )
    labels = list(dict.fromkeys(p.crs for p in parts))
    out.attrs["source_crs"] = "; ".join(labels)
    return out


# ---------------------------------------------------------------- GPX files
def _gpx_root(path: Path) -> tuple[ET.Element, str]:
    """Return the root of a GPX file and its namespace prefix (``"{ns}"`` or ``""``)."""
    if not path.exists():
        msg = f"{path}: no such file"
        raise DataError(msg)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: the file is empty (0 bytes)"
        raise DataError(msg)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        msg = f"{path}: not a readable GPX file ({exc})"
        raise DataError(msg) from exc
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "gpx" or (ns and ns not in _GPX_NAMESPACES):
        msg = f"{path}: not a GPX 1.0 or 1.1 file (the root element is {root.tag!r})"
        raise DataError(msg)
    return root, f"{{{ns}}}" if ns else ""


def _gpx_points(root: ET.Element, q: str) -> Iterator[tuple[int, str, Mapping[str, Any]]]:
    """Yield ``(track number, track label, point)`` for every track point, in file order."""
    tracks = root.findall(f"{q}trk")
    for k, trk in enumerate(tracks, 1):
        name = (trk.findtext(f"{q}name") or "").strip()
        label = f"track {k}" + (f" ({name!r})" if name else "")
        for pt in trk.iterfind(f"{q}trkseg/{q}trkpt"):
            yield (
                k,
                label,
                {"lon": pt.get("lon"), "lat": pt.get("lat"), "time": pt.findtext(f"{q}time")},
            )


def _attribute(value: object) -> str | None:
    """Return an XML attribute's text, stripped; None only for an empty one."""
    return str(value).strip() or None


def _read_gpx(path: Path, spec: SourceCRS) -> _Part:
    """Read the tracks of a GPX file: one patrol per ``<trk>``."""
    root, q = _gpx_root(path)
    author = root.findtext(f"{q}metadata/{q}author/{q}name") or root.findtext(f"{q}author")
    n_tracks = len(root.findall(f"{q}trk"))
    points = list(_gpx_points(root, q))
    counter: dict[int, int] = {}
    labels = []
    for k, label, _ in points:
        counter[k] = counter.get(k, 0) + 1
        labels.append(f"{label}, point {counter[k]}")
    cells = pd.DataFrame([p for _, _, p in points], columns=["lon", "lat", "time"], dtype=object)
    fields = {"time": "<time>", "lon": "lon", "lat": "lat"}
    problems = Problems(os.fspath(path), labels, fields, "track point", row_word="")
    # an attribute is there or not: lon="nan" is a value that is not a number, not a gap
    text = {"time": clean_text(cells["time"])}
    text |= {c: cells[c].map(_attribute, na_action="ignore") for c in ("lon", "lat")}
    problems.add(text["time"].isna().to_numpy(), "time", "the point has no <time>")
    times = parse_times(text["time"], problems, "time")
    for c in ("lon", "lat"):
        problems.add(text[c].isna().to_numpy(), c, f"the point has no {c} attribute")
    geometry = lonlat_points(text["lon"], text["lat"], spec, problems)
    problems.raise_any()
    track = np.array([k for k, _, _ in points], dtype=int)
    ids = [path.stem if n_tracks == 1 else f"{path.stem}#{k}" for k in track]
    who = author.strip() if author and author.strip() else np.nan
    frame = pd.DataFrame(
        {"patrol_id": ids, "person": who, "time": times.to_numpy(), "geometry": geometry}
    )
    return _Part(os.fspath(path), frame, spec.label())


# ------------------------------------------------------- tables and points
def _read_points(loaded: Loaded, spec: SourceCRS, person: str | None) -> _Part:
    """Read a table or point features: one row per track point."""
    fields = map_headers(loaded.frame, loaded.where, _HEADERS)
    columns = format_ids([str(c) for c in loaded.frame.columns], limit=20)
    if "time" not in fields:
        msg = (
            f"{loaded.where}: no time column; name it one of "
            f"{format_ids(_HEADERS['time'], limit=8)} (columns are {columns})"
        )
        raise SchemaError(msg)
    if loaded.geometry is None and not ("lon" in fields and "lat" in fields):
        msg = (
            f"{loaded.where}: no longitude and latitude columns; name them one of "
            f"{format_ids(_HEADERS['lon'])} and one of {format_ids(_HEADERS['lat'])} "
            f"(columns are {columns})"
        )
        raise SchemaError(msg)
    problems = Problems(loaded.where, loaded.rows, fields, "track point", loaded.row_word)
    found = {field: clean_text(loaded.frame[col]) for field, col in fields.items()}
    times = parse_times(loaded.frame[fields["time"]], problems, "time")
    problems.add(found["time"].isna().to_numpy(), "time", "the time is empty")
    if loaded.geometry is not None:
        geometry = vector_points(loaded, spec, problems)
        gone = shapely.is_missing(loaded.geometry) | shapely.is_empty(loaded.geometry)
        problems.add(gone, "geometry", "the feature has no point")
    else:
        geometry = lonlat_points(found["lon"], found["lat"], spec, problems)
        gone = (found["lon"].isna() & found["lat"].isna()).to_numpy()
        problems.add(gone, "lon", "no longitude and latitude")
    empty = pd.Series(np.nan, index=found["time"].index, dtype="str")
    who = found.get("person", empty) if person is None else pd.Series(person, index=empty.index)
    ids = _patrol_ids(found, fields, who, times, problems)
    problems.raise_any()
    frame = pd.DataFrame(
        {"patrol_id": ids, "person": who.to_numpy(), "time": times.to_numpy(), "geometry": geometry}
    )
    return _Part(loaded.where, frame, spec.label(loaded.crs))


def _patrol_ids(
    found: Mapping[str, pd.Series],
    fields: Mapping[str, Any],
    person: pd.Series,
    times: pd.Series,
    problems: Problems,
) -> np.ndarray:
    """Return each point's patrol id: the column's, or ``person@YYYY-MM-DD`` without one."""
    if "patrol_id" in fields:
        ids = found["patrol_id"]
        problems.add(ids.isna().to_numpy(), "patrol_id", "the patrol id is empty")
        return ids.to_numpy(dtype=object)
    no_person = person.isna().to_numpy()
    problems.add(
        no_person,
        "person",
        "no person, and the table has no patrol id column to name the patrol by",
    )
    day = pd.Series(times.to_numpy()).dt.strftime("%Y-%m-%d")
    return (person.reset_index(drop=True) + "@" + day).to_numpy(dtype=object)


# -------------------------------------------------------------------- lines
def _read_lines(loaded: Loaded, spec: SourceCRS, stem: str) -> _Part:
    """Read line features: one patrol per LineString or MultiLineString."""
    fields = map_headers(loaded.frame, loaded.where, _HEADERS)
    problems = Problems(loaded.where, loaded.rows, fields, "track", loaded.row_word)
    geoms = np.asarray(loaded.geometry, dtype=object)
    kind = shapely.get_type_id(geoms)
    lines = np.isin(kind, _LINES)
    problems.add(~lines, "geometry", "not a line: put track points in a file of their own")
    geoms = geoms.copy()
    geoms[~lines] = None
    wgs = geometries_to_wgs84(geoms, loaded.crs, spec, loaded.where)
    coords, feature = shapely.get_coordinates(wgs, return_index=True)
    found = {field: clean_text(loaded.frame[col]) for field, col in fields.items()}
    n = len(geoms)
    default = [stem if n == 1 else f"{stem}#{k}" for k in range(1, n + 1)]
    ids = pd.Series(default, dtype="str")  # as a GPX track: the file's stem (#k)
    if "patrol_id" in fields:
        ids = found["patrol_id"].fillna(ids)
    repeated = ids.duplicated(keep=False).to_numpy()
    problems.add(repeated, "patrol_id", [f"patrol id {v!r} is given twice" for v in ids[repeated]])
    times, vertex_problems = _vertex_times(loaded, fields, coords, feature, problems)
    problems.raise_any()
    vertex_problems.raise_any()
    who = found["person"] if "person" in fields else pd.Series(np.nan, index=range(n))
    frame = pd.DataFrame(
        {
            "patrol_id": ids.to_numpy(dtype=object)[feature],
            "person": who.to_numpy(dtype=object)[feature],
            "time": times,
            "geometry": shapely.points(coords),
        }
    )
    return _Part(loaded.where, frame, spec.label(loaded.crs))


def _vertex_times(
    loaded: Loaded,
    fields: Mapping[str, Any],
    coords: np.ndarray,
    feature: np.ndarray,
    problems: Problems,
) -> tuple[np.ndarray, Problems]:
    """Return every vertex's time: from a list of times per line, or interpolated start to end.

    Problems of whole lines go to ``problems``; unreadable times of single
    vertices to the returned collector, which names them ``feature k, point j``.
    """
    n = len(loaded.frame)
    counts = np.bincount(feature, minlength=n)
    point = np.arange(len(feature)) - np.repeat(np.cumsum(counts) - counts, counts)
    labels = [
        f"{loaded.row_word} {loaded.rows[f]}, point {j + 1}"
        for f, j in zip(feature, point, strict=True)
    ]
    per_vertex = Problems(loaded.where, labels, fields, "track point", row_word="")
    if "times" in fields:
        lists = [_time_list(v) for v in loaded.frame[fields["times"]]]
        sizes = np.array([len(t) for t in lists])
        wrong = sizes != counts
        problems.add(
            wrong,
            "times",
            [f"{s} times for {c} points" for s, c in zip(sizes[wrong], counts[wrong], strict=True)],
        )
        if wrong.any():
            return np.full(len(feature), np.datetime64("NaT"), dtype="datetime64[ns]"), per_vertex
        flat = pd.Series([t for ts in lists for t in ts], dtype=object)
        times = parse_times(flat, per_vertex, "times")
        per_vertex.add(clean_text(flat).isna().to_numpy(), "times", "the time is empty")
        return times.to_numpy(dtype="datetime64[ns]"), per_vertex
    if "start" in fields and "end" in fields:
        start = parse_times(loaded.frame[fields["start"]], problems, "start")
        end = parse_times(loaded.frame[fields["end"]], problems, "end")
        for field, when in (("start", start), ("end", end)):
            problems.add(when.isna().to_numpy(), field, f"no {field} time")
        return _interpolated(start, end, coords, feature, counts), per_vertex
    problems.add(
        np.ones(n, dtype=bool),
        "times",
        "no times: give a time per point (coordTimes or times) or start and end",
    )
    return np.full(len(feature), np.datetime64("NaT"), dtype="datetime64[ns]"), per_vertex


def _time_list(value: Any) -> list[Any]:
    """Return a line's vertex times as a flat list (lists per part and JSON text flattened)."""
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            return [t.strip() for t in text.split(";")] if text else []
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return [text]
    return list(_flatten(value))


def _flatten(value: Any) -> Iterator[Any]:
    """Yield the items of nested lists (or arrays) in order; a missing value yields nothing."""
    if isinstance(value, list | tuple | np.ndarray):
        for item in value:
            yield from _flatten(item)
    elif not is_missing(value):
        yield value


def _interpolated(
    start: pd.Series, end: pd.Series, coords: np.ndarray, feature: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Interpolate vertex times from each line's start to its end by distance along the line."""
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    step = np.zeros(len(feature))
    same = feature[1:] == feature[:-1]
    h = (
        np.sin((lat[1:] - lat[:-1]) / 2) ** 2
        + np.cos(lat[1:]) * np.cos(lat[:-1]) * np.sin((lon[1:] - lon[:-1]) / 2) ** 2
    )
    step[1:] = np.where(same, 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(h)), 0.0)
    along = pd.Series(step).groupby(feature).cumsum().to_numpy()
    total = np.bincount(feature, weights=step, minlength=len(counts))[feature]
    point = np.arange(len(feature)) - np.repeat(np.cumsum(counts) - counts, counts)
    even = point / np.maximum(counts[feature] - 1, 1)
    share = np.where(total > 0, along / np.where(total > 0, total, 1.0), even)
    t0 = start.to_numpy(dtype="datetime64[ns]")[feature]
    span = (end.to_numpy(dtype="datetime64[ns]") - start.to_numpy(dtype="datetime64[ns]"))[feature]
    offset = (span.astype("int64") * share).round().astype("int64").astype("timedelta64[ns]")
    return np.where(np.isnat(t0) | np.isnat(span), np.datetime64("NaT"), t0 + offset)
