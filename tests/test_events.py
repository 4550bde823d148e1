"""Reports (rivermap.events): tickets from every format, times, CRSs, errors, board codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
from shapely import LineString, Point

import rivermap as rm
from rivermap import _tables
from rivermap._gcj02 import wgs84_to_bd09, wgs84_to_gcj02
from rivermap.chiefs import example_roster_path
from rivermap.crs import parse_chinese_crs
from rivermap.errors import CRSError, DataError, SchemaError
from rivermap.events import (
    _CATEGORY_WORDS,
    _HEADERS,
    _SOURCE_WORDS,
    _STATUS_WORDS,
    CATEGORIES,
    CLOSED_STATUSES,
    COLUMNS,
    SOURCES,
    STATUSES,
    board_code,
    read_events,
    split_board,
)
from rivermap.text import term

DATA = Path(__file__).parent / "data" / "reports"
GEOD = pyproj.Geod(ellps="WGS84")
HANGZHOU = (120.15, 30.25)  # WGS84, by the West Lake


def _metres(p: Any, lon: float, lat: float) -> float:
    """Return the distance in metres from point ``p`` to ``(lon, lat)``."""
    return float(GEOD.inv(p.x, p.y, lon, lat)[2])


def _table(**columns: Any) -> pd.DataFrame:
    """Return a one-ticket table with an id and a time, plus ``columns``."""
    base: dict[str, Any] = {"id": ["T1"], "time": ["2026-11-03 14:20"]}
    return pd.DataFrame({**base, **{k: [v] for k, v in columns.items()}})


def _csv(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- formats
def test_utf8_csv_with_chinese_headers() -> None:
    events = read_events(DATA / "events_zh.csv")
    assert list(events.columns) == [*COLUMNS, "所属街道"]
    assert isinstance(events.index, pd.RangeIndex)
    assert events.crs.to_epsg() == 4326
    assert events.attrs["source_crs"] == "EPSG:4326"
    assert events["reported_at"].dtype == "datetime64[ns]"
    assert events["deadline"].dtype == events["closed_at"].dtype == "datetime64[ns]"
    for col in ("event_id", "source", "category", "status", "description", "river_hint"):
        assert pd.api.types.is_string_dtype(events[col]), col
    e = events.set_index("event_id")
    # six spellings of one time; a date alone is midnight; zones become Beijing time
    assert (e.loc["GD-001":"GD-004", "reported_at"] == pd.Timestamp("2026-11-03 14:20")).all()
    assert e.loc["GD-005", "reported_at"] == pd.Timestamp("2026-11-04 00:00")
    assert e.loc["GD-006", "reported_at"] == pd.Timestamp("2026-11-05 09:30")
    assert e.loc["GD-007", "reported_at"] == pd.Timestamp("2026-11-05 09:30")  # 01:30Z
    assert e["source"].tolist() == [
        "12345",
        "patrol",
        "qr",
        "superior",
        "media",
        "public",
        "本地微信群",  # unknown: kept as written
    ]
    assert e["category"].tolist() == [
        "mixed_sewage",
        "outfall",
        "houseboat",
        "encroachment",
        "litter",
        "farming",
        "乱倒建筑垃圾",  # unknown: kept as written
    ]
    assert e["status"].iloc[:6].tolist() == [
        "closed",
        "in_progress",
        "registered",
        "assigned",
        "returned",
        "archived",
    ]
    assert pd.isna(e.loc["GD-007", "status"])
    assert e.loc["GD-001", "deadline"] == e.loc["GD-002", "deadline"] == pd.Timestamp("2026-11-10")
    assert e.loc["GD-006", "closed_at"] == pd.Timestamp("2026-11-06 10:00")
    assert pd.isna(e.loc["GD-002", "closed_at"])
    assert e.loc["GD-002", "reach_hint"] == "R001-3"
    assert e.loc["GD-001", "river_hint"] == "西溪河"
    assert e.loc["GD-004", "board_hint"] == "330106:R002"
    assert e.loc["GD-001", "geometry"].equals(Point(120.15, 30.25))
    assert e.loc["GD-003", "geometry"] is None  # no location: kept
    assert "经度" not in events.columns
    assert "纬度" not in events.columns
    assert e.loc["GD-001", "所属街道"] == "西溪街道"


def test_utf8_with_bom_reads_the_same(tmp_path: Path) -> None:
    text = (DATA / "events_zh.csv").read_text(encoding="utf-8")
    path = tmp_path / "bom.csv"
    path.write_text(text, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(
        pd.DataFrame(read_events(path)), pd.DataFrame(read_events(DATA / "events_zh.csv"))
    )


def test_gbk_csv() -> None:
    raw = (DATA / "events_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    events = read_events(DATA / "events_gbk.csv")
    assert events["event_id"].tolist() == ["G1", "G2", "G3"]
    assert events["reported_at"].tolist() == [
        pd.Timestamp("2026-11-06 08:00"),
        pd.Timestamp("2026-11-06 09:15:30"),
        pd.Timestamp("2026-11-07"),
    ]
    assert events["source"].tolist() == ["12319", "qr", "public"]
    assert events["category"].tolist() == ["silting", "sunken_boat", "other"]
    assert events["status"].tolist() == ["registered", "assigned", "closed"]
    assert events["description"].iloc[0] == "河道淤积严重"
    assert events.geometry.iloc[2] is None


def test_xlsx_with_english_headers_and_excel_cells() -> None:
    events = read_events(DATA / "events_en.xlsx")
    assert list(events.columns) == [*COLUMNS, "Officer"]
    e = events.set_index("event_id")
    assert e.loc["X-1", "reported_at"] == pd.Timestamp("2026-11-03 14:20")  # a datetime cell
    assert e.loc["X-2", "reported_at"] == pd.Timestamp("2026-11-03 14:24")  # serial 46329.6
    assert e.loc["X-3", "reported_at"] == pd.Timestamp("2025-11-03 14:20")  # epoch seconds
    assert e.loc["X-1", "deadline"] == pd.Timestamp("2026-11-10")  # serial 46336
    assert e.loc["X-1", "closed_at"] == pd.Timestamp("2026-11-04 16:00")
    assert e["source"].tolist() == ["12345", "patrol", "public"]  # "hotline" is 12345
    assert e["category"].tolist() == ["litter", "outfall", "mixed_sewage"]
    assert e["status"].tolist() == ["closed", "in_progress", "registered"]
    assert e.loc["X-3", "geometry"] is None
    assert e.loc["X-2", "Officer"] == "Li"


def test_geojson_points_in_gcj02() -> None:
    events = read_events(DATA / "events_gcj02.geojson", crs="GCJ-02")
    assert events.attrs["source_crs"] == "GCJ-02"
    assert events.crs.to_epsg() == 4326
    assert _metres(events.geometry.iloc[0], 120.15, 30.25) < 0.5
    assert _metres(events.geometry.iloc[1], 120.16, 30.26) < 0.5
    assert events.geometry.iloc[2] is None  # a feature without geometry
    assert events["category"].tolist() == ["outfall", "outfall", "other"]
    assert events["地址"].tolist() == ["地址1", "地址2", "不详"]
    # read as WGS84 the same points are a GCJ-02 offset (hundreds of metres) away
    raw = read_events(DATA / "events_gcj02.geojson")
    assert raw.attrs["source_crs"] == "EPSG:4326"
    assert 100 < _metres(raw.geometry.iloc[0], 120.15, 30.25) < 1000


@pytest.mark.parametrize(
    ("crs", "forward"),
    [
        ("GCJ-02", wgs84_to_gcj02),
        ("gcj02", wgs84_to_gcj02),
        ("gaode", wgs84_to_gcj02),
        ("BD-09", wgs84_to_bd09),
        ("bd09", wgs84_to_bd09),
        ("Baidu", wgs84_to_bd09),
    ],
)
def test_offset_systems_convert_a_known_point(crs: str, forward: Any) -> None:
    lon, lat = (float(v) for v in forward(*HANGZHOU))
    events = read_events(_table(经度=lon, 纬度=lat), crs=crs)
    assert _metres(events.geometry.iloc[0], *HANGZHOU) < 0.5
    assert events.attrs["source_crs"] == ("GCJ-02" if forward is wgs84_to_gcj02 else "BD-09")


def test_parse_chinese_crs_names_the_three_systems() -> None:
    assert [parse_chinese_crs(n) for n in ("WGS84", " gcj-02 ", "AMap", "bd09ll", 4326)] == [
        "wgs84",
        "gcj02",
        "gcj02",
        "bd09",
        "wgs84",
    ]
    assert parse_chinese_crs("EPSG:4549") is None
    assert parse_chinese_crs(True) is None


def test_projected_coordinates_and_vector_crs_are_transformed(tmp_path: Path) -> None:
    to_gk = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)
    x, y = to_gk.transform(*HANGZHOU)
    events = read_events(_table(x=x, y=y), crs="EPSG:4549")
    assert events.attrs["source_crs"] == "EPSG:4549"
    assert _metres(events.geometry.iloc[0], *HANGZHOU) < 0.01
    gdf = gpd.GeoDataFrame(_table(), geometry=[Point(x, y)], crs=4549)
    path = tmp_path / "gk.gpkg"
    gdf.to_file(path)
    read = read_events(path)
    assert read.attrs["source_crs"] == "EPSG:4549"
    assert _metres(read.geometry.iloc[0], *HANGZHOU) < 0.01


def test_vector_without_crs_and_unknown_crs_raise() -> None:
    gdf = gpd.GeoDataFrame(_table(), geometry=[Point(*HANGZHOU)])
    with pytest.raises(CRSError, match="events has no coordinate reference system"):
        read_events(gdf)
    assert read_events(gdf, crs="EPSG:4326").geometry.iloc[0].equals(Point(*HANGZHOU))
    with pytest.raises(CRSError, match=r"crs='nowhere' is not a known CRS"):
        read_events(_table(), crs="nowhere")
    projected = gpd.GeoDataFrame(_table(), geometry=[Point(500_000, 3_300_000)], crs=4549)
    with pytest.raises(CRSError, match="names longitude/latitude, but the file is in EPSG:4549"):
        read_events(projected, crs="GCJ-02")


def test_geodataframe_of_points_and_not_points() -> None:
    gdf = gpd.GeoDataFrame(
        _table(lon=1.0),  # a lon column is not used when the geometry is there: kept
        geometry=[Point(*HANGZHOU)],
        crs=4326,
    )
    events = read_events(gdf)
    assert events.geometry.iloc[0].equals(Point(*HANGZHOU))
    assert events["lon"].tolist() == [1.0]
    lines = gpd.GeoDataFrame(
        pd.concat([_table(), _table(id="T2")]),
        geometry=[LineString([(120, 30), (120.1, 30)]), Point(*HANGZHOU)],
        crs=4326,
    )
    with pytest.raises(SchemaError, match=r"row 0, column 'geometry': a Linestring is not a point"):
        read_events(lines)


# ---------------------------------------------------------------- headers
def _value(field: str) -> Any:
    """Return a cell for ``field`` that reads as something known."""
    return {
        "event_id": "T9",
        "reported_at": "2026-11-03 14:20",
        "source": "12345",
        "category": "船屋",
        "status": "办结",
        "deadline": "2026-11-10",
        "closed_at": "2026-11-05",
        "lon": 120.15,
        "lat": 30.25,
    }.get(field, "text")


_ALIASES = [(field, alias) for field, aliases in _HEADERS.items() for alias in aliases]


@pytest.mark.parametrize(("field", "alias"), _ALIASES, ids=[f"{f}-{a}" for f, a in _ALIASES])
def test_every_header_alias(field: str, alias: str) -> None:
    columns: dict[str, Any] = {"工单编号": "T1", "上报时间": "2026-11-03 14:20"}
    if field == "event_id":
        columns.pop("工单编号")
    if field == "reported_at":
        columns.pop("上报时间")
    if field in ("lon", "lat"):
        other = "lat" if field == "lon" else "lon"
        columns[_HEADERS[other][-1]] = _value(other)
    columns[alias.upper() if alias.isascii() else alias] = _value(field)
    events = read_events(pd.DataFrame({k: [v] for k, v in columns.items()}))
    assert list(events.columns) == list(COLUMNS), alias
    got = events.geometry.iloc[0] if field in ("lon", "lat") else events[field].iloc[0]
    expected = {
        "event_id": "T9",
        "reported_at": pd.Timestamp("2026-11-03 14:20"),
        "source": "12345",
        "category": "houseboat",
        "status": "closed",
        "deadline": pd.Timestamp("2026-11-10"),
        "closed_at": pd.Timestamp("2026-11-05"),
        "lon": Point(120.15, 30.25),
        "lat": Point(120.15, 30.25),
    }.get(field, "text")
    assert got == expected, alias


def _words(family: str, codes: tuple[str, ...], extra: dict[str, str]) -> list[tuple[str, str]]:
    """Return every word that must read as a code: the code, its two terms, the extra words."""
    out = list(extra.items())
    for code in codes:
        out += [(code, code), (term(f"{family}.{code}", "zh"), code)]
        out.append((term(f"{family}.{code}", "en"), code))
    return out


@pytest.mark.parametrize(
    ("column", "word", "code"),
    [("来源", w, c) for w, c in _words("source", SOURCES, _SOURCE_WORDS)]
    + [("问题类型", w, c) for w, c in _words("category", CATEGORIES, _CATEGORY_WORDS)]
    + [("状态", w, c) for w, c in _words("status", STATUSES, _STATUS_WORDS)],
)
def test_every_word_reads_as_its_code(column: str, word: str, code: str) -> None:
    field = {"来源": "source", "问题类型": "category", "状态": "status"}[column]
    spaced = f" {word.upper()} " if word.isascii() else word
    assert read_events(_table(**{column: spaced}))[field].iloc[0] == code


def test_the_code_tuples() -> None:
    assert SOURCES == ("12345", "12319", "patrol", "qr", "superior", "media", "public")
    assert CLOSED_STATUSES == ("closed", "archived")
    assert set(CLOSED_STATUSES) <= set(STATUSES)
    assert COLUMNS[0] == "event_id"
    assert COLUMNS[-1] == "geometry"


# ------------------------------------------------------------------ times
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-03 14:20", "2026-11-03 14:20"),
        ("2026-11-03T14:20:00", "2026-11-03 14:20"),
        ("2026/11/3 14:20:00", "2026-11-03 14:20"),
        ("2026-11-03", "2026-11-03 00:00"),
        ("2026年11月3日 14:20", "2026-11-03 14:20"),
        ("2026年11月3日14时20分", "2026-11-03 14:20"),
        ("2026年11月3日14时20分30秒", "2026-11-03 14:20:30"),
        ("2026年11月3日", "2026-11-03 00:00"),
        ("2026.11.3 14:20", "2026-11-03 14:20"),
        ("20261103", "2026-11-03 00:00"),
        ("46329.6", "2026-11-03 14:24"),
        (46329.6, "2026-11-03 14:24"),
        ("1793686800", "2026-11-03 14:20"),  # epoch seconds (UTC 06:20)
        (1793686800, "2026-11-03 14:20"),
        ("1793686800000", "2026-11-03 14:20"),  # epoch milliseconds
        ("2026-11-03T06:20:00Z", "2026-11-03 14:20"),
        ("2026-11-03T14:20:00+08:00", "2026-11-03 14:20"),
        ("2026-11-03 07:20:00 +0100", "2026-11-03 14:20"),
        ("2026-11-03T14:20:00.250", "2026-11-03 14:20:00.250"),
        ("3 Nov 2026 14:20", "2026-11-03 14:20"),
        (pd.Timestamp("2026-11-03 14:20"), "2026-11-03 14:20"),
        (pd.Timestamp("2026-11-03 06:20", tz="UTC"), "2026-11-03 14:20"),
    ],
)
def test_every_time_format(cell: Any, expected: str) -> None:
    problems = _tables.Problems("t", [2], {}, "event")
    got = _tables.parse_times(pd.Series([cell], dtype=object), problems, "reported_at")
    assert not problems.found
    assert got.dtype == "datetime64[ns]"
    assert got.iloc[0] == pd.Timestamp(expected)


def test_datetime_columns_are_read_as_they_are() -> None:
    problems = _tables.Problems("t", [2, 3], {}, "event")
    naive = pd.Series(pd.to_datetime(["2026-11-03 14:20", None]))
    aware = naive.dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
    for column in (naive, aware):
        got = _tables.parse_times(column, problems, "x")
        assert got.dtype == "datetime64[ns]"
        assert got.iloc[0] == pd.Timestamp("2026-11-03 14:20")
        assert pd.isna(got.iloc[1])


@pytest.mark.parametrize("cell", ["03/11/2026", "2026", "2026-13-01", "soon", "12345", "today"])
def test_unreadable_or_ambiguous_times_are_refused(cell: str) -> None:
    problems = _tables.Problems("t.csv", [2], {"reported_at": "时间"}, "event")
    got = _tables.parse_times(pd.Series([cell]), problems, "reported_at")
    assert pd.isna(got.iloc[0])
    assert problems.found == [
        (0, "时间", f"cannot read the time {cell!r}; write it as 2026-11-03 14:20")
    ]


# ----------------------------------------------------------------- errors
def test_unreadable_time_names_file_row_and_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "工单编号,上报时间\nA,2026-11-03\nB,下周二\nC,\n")
    with pytest.raises(SchemaError) as info:
        read_events(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: 2 bad event row(s): ")
    assert "row 3, column '上报时间': cannot read the time '下周二'" in msg
    assert "row 4, column '上报时间': the time is empty" in msg


def test_duplicate_and_empty_ids(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "工单编号,上报时间,内容\nA,2026-11-03,x\nB,2026-11-03,y\nA,2026-11-04,z\n,2026-11-04,w\n",
    )
    with pytest.raises(
        SchemaError,
        match=re.escape(f"{path}: 2 bad event row(s): row 4, column '工单编号': ticket id 'A' is ")
        + r"repeated \(first on row 2\); row 5, column '工单编号': the ticket id is empty",
    ):
        read_events(path)


def test_unknown_status(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,time,status\nA,2026-11-03,closed\nB,2026-11-03,maybe\n")
    with pytest.raises(
        SchemaError,
        match=r"events\.csv: 1 bad event row\(s\): row 3, column 'status': unknown status "
        r"'maybe'; use one of 登记 \(registered\), 交办 \(assigned\)",
    ):
        read_events(path)


def test_other_time_columns_must_be_readable(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,time,办理时限,办结时间\nA,2026-11-03,三天内,2026-11-04\n")
    with pytest.raises(
        SchemaError, match=r"row 2, column '办理时限': cannot read the time '三天内'"
    ):
        read_events(path)


def test_coordinates_out_of_range_or_not_numbers(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "id,time,经度,纬度\nA,2026-11-03,120.1,30.2\nB,2026-11-03,200.5,30.2\n"
        "C,2026-11-03,东经120,30.2\nD,2026-11-03,,30.2\nE,2026-11-03,,\n",
    )
    with pytest.raises(SchemaError) as info:
        read_events(path)
    msg = str(info.value)
    assert f"{path}: 3 bad event row(s)" in msg
    assert "row 3, column '经度': longitude 200.5 is outside -180..180" in msg
    assert "row 4, column '经度': '东经120' is not a number" in msg
    assert "row 5, column '经度': a latitude but no longitude" in msg
    assert "row 6" not in msg  # no location at all is legal


def test_swapped_longitude_and_latitude(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,time,lon,lat\nA,2026-11-03,30.25,120.15\nB,2026-11-03,30.26,120.16\n")
    with pytest.raises(
        SchemaError,
        match=re.escape(
            f"{path}: every latitude in column 'lat' is outside -90..90 (rows 2, 3) while every "
            "longitude in column 'lon' is within it: the two columns look swapped"
        ),
    ):
        read_events(path)


def test_missing_columns(tmp_path: Path) -> None:
    no_id = _csv(tmp_path, "序号,上报时间\n1,2026-11-03\n", "no_id.csv")
    with pytest.raises(SchemaError, match=r"no_id\.csv: no ticket id column; name it one of "):
        read_events(no_id)
    no_time = _csv(tmp_path, "工单编号,内容\nA,x\n", "no_time.csv")
    with pytest.raises(SchemaError, match=r"no_time\.csv: no time reported column"):
        read_events(no_time)
    lon_only = _csv(tmp_path, "id,time,经度\nA,2026-11-03,120\n", "lon.csv")
    with pytest.raises(SchemaError, match="column '经度' gives the longitude but no column gives"):
        read_events(lon_only)
    twice = _csv(tmp_path, "工单编号,id,time\nA,A,2026-11-03\n", "twice.csv")
    with pytest.raises(SchemaError, match="columns '工单编号' and 'id' both give the event_id"):
        read_events(twice)


def test_more_than_ten_problems_are_counted(tmp_path: Path) -> None:
    rows = "".join(f"T{i},bad{i}\n" for i in range(12))
    path = _csv(tmp_path, "id,time\n" + rows)
    with pytest.raises(SchemaError, match=r"12 bad event row\(s\).*row 11.*\(12 problems in all\)"):
        read_events(path)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty; it needs a header row"):
        read_events(empty)
    header = _csv(tmp_path, "工单编号,上报时间,经度,纬度\n", "header.csv")
    events = read_events(header)
    assert len(events) == 0
    assert list(events.columns) == list(COLUMNS)
    assert events["reported_at"].dtype == "datetime64[ns]"
    with pytest.raises(DataError, match="no such file"):
        read_events(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="read_events: expected a path or a DataFrame, got int"):
        read_events(3)  # type: ignore[arg-type]


def test_blank_rows_are_skipped_and_row_numbers_still_count_them(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,time\nA,2026-11-03\n,\nB,never\n")
    with pytest.raises(SchemaError, match=r"row 4, column 'time': cannot read the time 'never'"):
        read_events(path)
    ok = _csv(tmp_path, "id,time\nA,2026-11-03\n,\n", "ok.csv")
    assert read_events(ok)["event_id"].tolist() == ["A"]


def test_inputs_are_not_modified() -> None:
    frame = pd.DataFrame(
        {
            "工单编号": ["A", "B"],
            "上报时间": ["2026-11-03", "2026年11月4日"],
            "状态": ["办结", None],
            "经度": [120.15, None],
            "纬度": [30.25, None],
        },
        index=[10, 11],
    )
    before = frame.copy()
    events = read_events(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert isinstance(events.index, pd.RangeIndex)
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["经度", "纬度"]), geometry=[Point(*HANGZHOU), None], crs=4326
    )
    gbefore = gdf.copy()
    read_events(gdf, crs="GCJ-02")
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(gbefore))
    assert gdf.geometry.iloc[0].equals(Point(*HANGZHOU))


def test_a_dataframe_row_is_named_by_its_index_label() -> None:
    frame = pd.DataFrame({"id": ["A"], "time": ["later"]}, index=["first"])
    with pytest.raises(
        SchemaError, match=r"^events: 1 bad event row\(s\): row first, column 'time'"
    ):
        read_events(frame)


def test_a_column_whose_name_is_taken_is_kept_under_another(tmp_path: Path) -> None:
    path = _csv(tmp_path, 'id,time,geometry\nA,2026-11-03,"POINT (1 2)"\n')
    events = read_events(path)
    assert events["geometry_input"].tolist() == ["POINT (1 2)"]
    assert events.geometry.iloc[0] is None


# ------------------------------------------------------------ board codes
def test_board_codes_bare_and_in_urls() -> None:
    values = pd.Series(
        [
            board_code("330106", "R00001"),
            "https://hz.example.cn/board?x=1&board=330106%3AR00002",
            "https://h5.example.cn/#/scan?board=330106:%E9%92%B1%E5%A1%98%E6%B1%9F",
            "http://example.cn/no-code",
            "not a code",
            None,
            "",
            " 330100@city : R9 ",
        ],
        index=range(10, 18),
    )
    boards = split_board(values)
    assert list(boards.columns) == ["unit_id", "river_id"]
    assert boards.index.tolist() == list(range(10, 18))
    assert boards["unit_id"].tolist()[:3] == ["330106"] * 3
    assert boards["river_id"].tolist()[:3] == ["R00001", "R00002", "钱塘江"]
    assert boards.iloc[3:7].isna().all().all()
    assert boards.iloc[7].tolist() == ["330100@city", "R9"]


def test_signboards_carry_the_board_code_read_back_by_split_board(
    demo: rm.Responsibility,
) -> None:
    resp = demo.with_chiefs(example_roster_path())
    boards = resp.signboards("city")
    assert list(boards.columns[:4]) == ["river_id", "river", "board_id", "chief_level"]
    back = split_board(boards["board_id"])
    assert back["unit_id"].tolist() == boards["chief_unit"].tolist()
    assert back["river_id"].tolist() == boards["river_id"].tolist()
    assert rm.text.header("board_id", "zh") == "公示牌编号"
