"""Patrol tracks (rivermap.tracks): GPX, point tables, lines, folders; order kept; errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely import LineString, Point

import rivermap as rm
from rivermap._gcj02 import wgs84_to_gcj02
from rivermap.errors import DataError, ParameterError, SchemaError
from rivermap.tracks import _HEADERS, COLUMNS, read_patrols

DATA = Path(__file__).parent / "data" / "reports"
GEOD = pyproj.Geod(ellps="WGS84")

GPX_HEAD = '<?xml version="1.0"?>\n<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'


def _times(frame: pd.DataFrame) -> list[str]:
    """Return the times as ``HH:MM`` strings, in row order."""
    return frame["time"].dt.strftime("%H:%M").tolist()


def _check_schema(tracks: gpd.GeoDataFrame) -> None:
    """Assert the output contract: columns, dtypes, index, CRS."""
    assert list(tracks.columns) == list(COLUMNS)
    assert isinstance(tracks.index, pd.RangeIndex)
    assert tracks.crs.to_epsg() == 4326
    assert pd.api.types.is_string_dtype(tracks["patrol_id"])
    assert pd.api.types.is_string_dtype(tracks["person"])
    assert tracks["time"].dtype == "datetime64[ns]"
    assert tracks["seq"].dtype == "int64"
    assert (tracks.geometry.geom_type == "Point").all()


# -------------------------------------------------------------------- GPX
def test_gpx_11_two_tracks_segments_joined_order_kept() -> None:
    tracks = read_patrols(DATA / "two_tracks.gpx")
    _check_schema(tracks)
    assert tracks.attrs["source_crs"] == "EPSG:4326"
    assert tracks["patrol_id"].tolist() == ["two_tracks#1"] * 5 + ["two_tracks#2"] * 3
    assert set(tracks["person"]) == {"李四"}  # <metadata><author><name>
    assert tracks["seq"].tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    # UTC in the file, Beijing time here; the second track goes back in time and stays so
    assert _times(tracks) == [
        "08:00",
        "08:05",
        "08:10",
        "08:20",
        "08:25",
        "14:00",
        "14:10",
        "14:05",
    ]
    assert tracks.geometry.iloc[3].equals(Point(120.153, 30.253))  # second segment, first point
    assert len(tracks) == 8  # the waypoint and the route are not patrols


def test_gpx_10_single_point_track_is_kept() -> None:
    tracks = read_patrols(DATA / "one_point_v10.gpx")
    _check_schema(tracks)
    assert tracks["patrol_id"].tolist() == ["one_point_v10"]
    assert tracks["person"].tolist() == ["王五"]  # GPX 1.0 <author>
    assert tracks["time"].tolist() == [pd.Timestamp("2026-11-04 08:00")]
    assert tracks["seq"].tolist() == [0]


def test_gpx_in_gcj02_and_person_given(tmp_path: Path) -> None:
    lon, lat = (float(v) for v in wgs84_to_gcj02(120.15, 30.25))
    path = tmp_path / "gaode.gpx"
    path.write_text(
        f"{GPX_HEAD}<trk><trkseg>"
        f'<trkpt lat="{lat}" lon="{lon}"><time>2026-11-03T08:00:00</time></trkpt>'
        "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    plain = read_patrols(path)
    assert plain["person"].isna().all()  # no author
    tracks = read_patrols(path, crs="GCJ-02", person="赵六")
    assert tracks.attrs["source_crs"] == "GCJ-02"
    p = tracks.geometry.iloc[0]
    assert GEOD.inv(p.x, p.y, 120.15, 30.25)[2] < 0.5
    assert tracks["person"].tolist() == ["赵六"]
    assert tracks["time"].iloc[0] == pd.Timestamp("2026-11-03 08:00")  # no zone: as written


def test_gpx_point_without_time_names_file_and_track(tmp_path: Path) -> None:
    path = tmp_path / "walk.gpx"
    path.write_text(
        f"{GPX_HEAD}<trk><name>t1</name><trkseg>"
        '<trkpt lat="30.25" lon="120.15"><time>2026-11-03T08:00:00Z</time></trkpt>'
        "</trkseg></trk><trk><name>晚间</name><trkseg>"
        '<trkpt lat="30.25" lon="120.15"><time>2026-11-03T10:00:00Z</time></trkpt>'
        '<trkpt lat="30.26" lon="120.16"></trkpt>'
        '<trkpt lat="30.27" lon="120.17"><time>yesterday</time></trkpt>'
        "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as info:
        read_patrols(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: 2 bad track point row(s): ")
    assert "track 2 ('晚间'), point 2, column '<time>': the point has no <time>" in msg
    assert "track 2 ('晚间'), point 3, column '<time>': cannot read the time 'yesterday'" in msg


def test_gpx_that_is_not_gpx(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gpx"
    broken.write_text("<gpx><trk>", encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.gpx: not a readable GPX file"):
        read_patrols(broken)
    other = tmp_path / "kml.gpx"
    other.write_text('<kml xmlns="http://www.opengis.net/kml/2.2"/>', encoding="utf-8")
    with pytest.raises(DataError, match=r"not a GPX 1\.0 or 1\.1 file"):
        read_patrols(other)
    with pytest.raises(DataError, match="no such file"):
        read_patrols(tmp_path / "missing.gpx")


# ------------------------------------------------------------ point tables
def test_points_csv_order_kept_patrols_grouped() -> None:
    tracks = read_patrols(DATA / "patrol_points.csv")
    _check_schema(tracks)
    # P-1's third point comes after P-2's in the file; P-1 stays together, in file order
    assert tracks["patrol_id"].tolist() == ["P-1", "P-1", "P-1", "P-2"]
    assert _times(tracks) == ["08:00", "08:10", "08:05", "15:00"]
    assert tracks["seq"].tolist() == [0, 1, 2, 0]
    assert set(tracks["person"]) == {"陈七"}


def test_points_without_patrol_id_are_one_patrol_per_person_and_day() -> None:
    frame = pd.DataFrame(
        {
            "person": ["A", "B", "A", "A"],
            "timestamp": ["2026-11-03 08:00", "2026-11-03 08:00", "2026-11-04 09:00", "07:00"],
            "lng": [120.15, 120.16, 120.17, 120.18],
            "lat": [30.25, 30.26, 30.27, 30.28],
        }
    )
    frame.loc[3, "timestamp"] = "2026-11-03 07:00"
    before = frame.copy()
    tracks = read_patrols(frame)
    pd.testing.assert_frame_equal(frame, before)  # not modified
    assert tracks["patrol_id"].tolist() == [
        "A@2026-11-03",
        "A@2026-11-03",
        "B@2026-11-03",
        "A@2026-11-04",
    ]
    assert _times(tracks) == ["08:00", "07:00", "08:00", "09:00"]  # file order, not time
    assert read_patrols(frame.drop(columns="person"), person="C")["patrol_id"].tolist() == [
        "C@2026-11-03",
        "C@2026-11-03",
        "C@2026-11-03",
        "C@2026-11-04",
    ]
    with pytest.raises(SchemaError, match=r"row 0, column 'person': no person, and the table"):
        read_patrols(frame.drop(columns="person"))


def test_points_errors_name_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text(
        "巡河编号,定位时间,经度,纬度\nP,2026-11-03 08:00,120.1,30.2\nP,早上,120.1,30.2\n"
        ",2026-11-03 08:10,120.1,30.2\nP,2026-11-03 08:20,,\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as info:
        read_patrols(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: 3 bad track point row(s): ")
    assert "row 3, column '定位时间': cannot read the time '早上'" in msg
    assert "row 4, column '巡河编号': the patrol id is empty" in msg
    assert "row 5, column '经度': no longitude and latitude" in msg
    no_time = tmp_path / "no_time.csv"
    no_time.write_text("巡河编号,经度,纬度\nP,120.1,30.2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"no_time\.csv: no time column; name it one of"):
        read_patrols(no_time)
    no_place = tmp_path / "no_place.csv"
    no_place.write_text("巡河编号,时间\nP,2026-11-03\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no longitude and latitude columns"):
        read_patrols(no_place)


def test_point_features_and_every_header_alias(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"track_id": ["T", "T"], "patroller": ["D", "D"], "time": ["2026-11-03 08:00", "08:05"]},
        geometry=[Point(120.15, 30.25), Point(120.16, 30.26)],
        crs=4326,
    )
    gdf.loc[1, "time"] = "2026-11-03T00:05:00Z"
    path = tmp_path / "points.geojson"
    gdf.to_file(path)
    tracks = read_patrols(path)
    assert tracks["patrol_id"].tolist() == ["T", "T"]
    assert _times(tracks) == ["08:00", "08:05"]
    for field in ("patrol_id", "person", "time", "lon", "lat"):
        for alias in _HEADERS[field]:
            columns = {"巡河编号": "P", "河长": "E", "时间": "2026-11-03 08:00", "经度": 120.15}
            columns["纬度"] = 30.25
            key = {"patrol_id": "巡河编号", "person": "河长", "time": "时间"}.get(field)
            key = key or {"lon": "经度", "lat": "纬度"}[field]
            columns[alias] = columns.pop(key)
            got = read_patrols(pd.DataFrame({k: [v] for k, v in columns.items()}))
            assert got.iloc[0][["patrol_id", "person"]].tolist() == ["P", "E"], alias
            assert got.geometry.iloc[0].equals(Point(120.15, 30.25)), alias


# ------------------------------------------------------------------ lines
def test_lines_with_coord_times() -> None:
    tracks = read_patrols(DATA / "track_lines.geojson")
    _check_schema(tracks)
    assert tracks["patrol_id"].tolist() == ["L1"] * 3 + ["L2"] * 4
    assert set(tracks["person"]) == {"赵六"}
    assert _times(tracks) == ["08:00", "08:10", "08:20", "08:00", "08:10", "08:30", "08:40"]
    assert tracks["seq"].tolist() == [0, 1, 2, 0, 1, 2, 3]
    assert tracks.geometry.iloc[6].equals(Point(120.18, 30.25))  # MultiLineString parts joined


def test_lines_with_start_and_end_are_interpolated_by_distance(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"开始时间": ["2026-11-03 08:00"], "结束时间": ["2026-11-03 09:00"], "巡河人": ["F"]},
        geometry=[LineString([(120.10, 30.25), (120.11, 30.25), (120.14, 30.25)])],
        crs=4326,
    )
    path = tmp_path / "walk.geojson"
    gdf.to_file(path)
    tracks = read_patrols(path)
    assert tracks["patrol_id"].tolist() == ["walk"] * 3  # one line: named after the file
    assert _times(tracks) == ["08:00", "08:15", "09:00"]  # a quarter of the way at vertex 2
    assert tracks["person"].tolist() == ["F"] * 3


def test_lines_in_a_projected_crs_and_times_as_json_text(tmp_path: Path) -> None:
    to_gk = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)
    xy = [to_gk.transform(120.15, 30.25), to_gk.transform(120.16, 30.25)]
    gdf = gpd.GeoDataFrame(
        {"patrol_id": ["G"], "times": ['["2026-11-03T08:00:00", "2026-11-03T08:30:00"]']},
        geometry=[LineString(xy)],
        crs=4549,
    )
    path = tmp_path / "gk.gpkg"
    gdf.to_file(path)
    tracks = read_patrols(path)
    assert tracks.attrs["source_crs"] == "EPSG:4549"
    assert _times(tracks) == ["08:00", "08:30"]
    p = tracks.geometry.iloc[0]
    assert GEOD.inv(p.x, p.y, 120.15, 30.25)[2] < 0.01


def test_line_errors(tmp_path: Path) -> None:
    wrong = gpd.GeoDataFrame(
        {"patrol_id": ["A", "A"], "coordTimes": [["2026-11-03T08:00:00Z"] * 2] * 2},
        geometry=[LineString([(120.1, 30.2), (120.2, 30.2), (120.3, 30.2)])] * 2,
        crs=4326,
    )
    with pytest.raises(SchemaError) as info:
        read_patrols(wrong)
    msg = str(info.value)
    assert "row 0, column 'coordTimes': 2 times for 3 points" in msg
    assert "row 1, column 'patrol_id': patrol id 'A' is given twice" in msg
    untimed = gpd.GeoDataFrame(geometry=[LineString([(120.1, 30.2), (120.2, 30.2)])], crs=4326)
    with pytest.raises(SchemaError, match="no times: give a time per point"):
        read_patrols(untimed)
    bad_vertex = gpd.GeoDataFrame(
        {"coordTimes": [["2026-11-03T08:00:00Z", "later"]]},
        geometry=[LineString([(120.1, 30.2), (120.2, 30.2)])],
        crs=4326,
    )
    with pytest.raises(SchemaError, match=r"row 0, point 2, column 'coordTimes': cannot read"):
        read_patrols(bad_vertex)


# ---------------------------------------------------------------- folders
def test_folder_of_files_sorted_by_name(tmp_path: Path) -> None:
    for name in ("two_tracks.gpx", "one_point_v10.gpx", "track_lines.geojson", "patrol_points.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a track", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    shutil.copy(DATA / "two_tracks.gpx", tmp_path / "sub" / "deeper.gpx")  # not read
    tracks = read_patrols(tmp_path)
    _check_schema(tracks)
    assert list(dict.fromkeys(tracks["patrol_id"])) == [
        "one_point_v10",
        "P-1",
        "P-2",
        "L1",
        "L2",
        "two_tracks#1",
        "two_tracks#2",
    ]
    assert len(tracks) == 1 + 4 + 7 + 8
    assert tracks.attrs["source_crs"] == "EPSG:4326"


def test_folder_with_a_patrol_id_in_two_files(tmp_path: Path) -> None:
    shutil.copy(DATA / "patrol_points.csv", tmp_path / "a.csv")
    shutil.copy(DATA / "patrol_points.csv", tmp_path / "b.csv")
    with pytest.raises(
        SchemaError,
        match=re.escape(f"{tmp_path}: patrol id(s) 'P-1', 'P-2' are given by both a.csv and b.csv"),
    ):
        read_patrols(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no track files"):
        read_patrols(empty)


# ---------------------------------------------------------------- options
def test_person_must_be_a_name() -> None:
    with pytest.raises(ParameterError, match="person must be a non-empty name"):
        read_patrols(DATA / "one_point_v10.gpx", person=" ")
    with pytest.raises(TypeError, match="read_patrols: expected a path or a DataFrame"):
        read_patrols(42)  # type: ignore[arg-type]


def test_public_api_and_empty_table(tmp_path: Path) -> None:
    assert rm.read_patrols is read_patrols
    header = tmp_path / "header.csv"
    header.write_text("巡河编号,时间,经度,纬度\n", encoding="utf-8")
    tracks = read_patrols(header)
    assert len(tracks) == 0
    assert list(tracks.columns) == list(COLUMNS)
    assert np.issubdtype(tracks["time"].dtype, np.datetime64)
