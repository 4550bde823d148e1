"""Chief roster: reading, joining chiefs to reaches, gaps and conflicts, signboards."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString

import rivermap as rm
from rivermap.chiefs import (
    COLUMNS,
    REASONS,
    REPORT_COLUMNS,
    ROLES,
    chief_columns,
    example_roster_path,
    read_chiefs,
    write_table,
)
from rivermap.errors import (
    DataError,
    OutputExistsError,
    ParameterError,
    RivermapWarning,
    SchemaError,
)
from rivermap.io import read_table
from rivermap.text import headers
from tests.conftest import tiny_units_frame

X0, Y0 = 540_000.0, 3_320_000.0


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo_chiefs(demo: rm.Responsibility) -> rm.Responsibility:
    return demo.with_chiefs(example_roster_path())


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    """Return the example roster as it is in the file (Chinese headers)."""
    return read_table(example_roster_path())


@pytest.fixture
def tiny() -> rm.Responsibility:
    """Two districts of two streets; a river inside, one crossing, one on the border."""
    rivers = gpd.GeoDataFrame(
        {"river_id": ["inside", "crossing", "boundary"], "name": ["内河", "跨区河", "界河"]},
        geometry=[
            LineString([(X0 + 200, Y0 + 200), (X0 + 800, Y0 + 300)]),
            LineString([(X0 + 1000, Y0 + 500), (X0 + 3000, Y0 + 500)]),
            LineString([(X0 + 2003, Y0 + 100), (X0 + 1998, Y0 + 900)]),
        ],
        crs="EPSG:4549",
    )
    return rm.assign(rivers, rm.AdminUnits(tiny_units_frame(), ["district", "street"]))


def tiny_roster(**extra: list[str]) -> pd.DataFrame:
    rows = {
        "unit_id": ["330602", "330603", "330602001", "330603001"],
        "name": ["越城区河长", "柯桥区河长", "府山街道河长", "柯桥街道河长"],
        "role": ["河长"] * 4,
        "river": [""] * 4,
        "phone": ["000-1", "000-2", "000-3", "000-4"],
    }
    for key, values in extra.items():
        rows[key] = rows[key] + values
    return pd.DataFrame(rows)


# A roster of the demo data written four ways.
ROSTER_EN = pd.DataFrame(
    {
        "unit_id": ["330000", "", "", "330106", ""],
        "unit": ["浙江省", "杭州市", "杭州市", "", "临平区"],
        "level": ["province", "city", "city", "", "district"],
        "name": ["甲", "乙", "丙", "丁", "戊"],
        "title": ["示例职务", "示例职务", "", "示例职务", "示例职务"],
        "phone": ["000-0000-0001", "000-0000-0002", "000-0000-0003", "", "000-0000-0005"],
        "role": ["general chief", "chief", "Chief", "segment chief", "deputy chief"],
        "river": ["", "", "京杭运河(江南运河)", "钱塘江", ""],
        "since": ["2017-01-01", "", "2018-06-30", "", "2020-01-02"],
    }
)
ZH_HEADERS = {
    "unit_id": "单位编码",
    "unit": "单位名称",
    "level": "级别",
    "name": "姓名",
    "title": "职务",
    "phone": "联系电话",
    "role": "角色",
    "river": "河流",
    "since": "任职时间",
}
ROSTER_ZH = ROSTER_EN.rename(columns=ZH_HEADERS).assign(
    级别=["省级", "市级", "市级", "", "县级"],
    角色=["总河长", "河长", "河长", "河段长", "副河长"],
)
EXPECTED = pd.DataFrame(
    {
        "unit_id": ["330000", "330100", "330100", "330106", "330113"],
        "level": ["province", "city", "city", "district", "district"],
        "unit_name": ["浙江省", "杭州市", "杭州市", "西湖区", "临平区"],
        "name": ["甲", "乙", "丙", "丁", "戊"],
        "title": ["示例职务", "示例职务", np.nan, "示例职务", "示例职务"],
        "phone": ["000-0000-0001", "000-0000-0002", "000-0000-0003", np.nan, "000-0000-0005"],
        "role": ["总河长", "河长", "河长", "河段长", "副河长"],
        "river_id": [np.nan, np.nan, "京杭运河(江南运河)", "钱塘江", np.nan],
        "since": ["2017-01-01", np.nan, "2018-06-30", np.nan, "2020-01-02"],
    }
).astype("str")


def write_roster(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding=encoding)
    return path


# ------------------------------------------------------------------- reading
@pytest.mark.parametrize("headers", ["en", "zh"])
@pytest.mark.parametrize(
    ("suffix", "encoding"), [(".csv", "utf-8"), (".csv", "gbk"), (".xlsx", "")]
)
def test_read_chiefs_formats_and_headers(
    demo: rm.Responsibility, tmp_path: Path, headers: str, suffix: str, encoding: str
) -> None:
    frame = ROSTER_EN if headers == "en" else ROSTER_ZH
    path = write_roster(frame, tmp_path / f"roster{suffix}", encoding)
    if encoding == "gbk":  # the file really is GBK, not UTF-8
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    chiefs = read_chiefs(path, units=demo)
    assert list(chiefs.columns) == list(COLUMNS)
    pd.testing.assert_frame_equal(chiefs, EXPECTED)


def test_read_chiefs_is_idempotent_and_accepts_units_and_rivers_separately(
    demo: rm.Responsibility,
) -> None:
    rivers, units = rm.datasets.load_demo()
    once = read_chiefs(ROSTER_EN, units=units, rivers=rivers)
    pd.testing.assert_frame_equal(once, EXPECTED)
    pd.testing.assert_frame_equal(read_chiefs(once, units=demo), once)
    # A units table (as resp.units) works too.
    pd.testing.assert_frame_equal(
        read_chiefs(ROSTER_EN, units=demo.units, rivers=demo.rivers), EXPECTED
    )


def test_read_chiefs_name_forms_levels_roles_and_dates(demo: rm.Responsibility) -> None:
    frame = pd.DataFrame(
        {
            "单位": ["杭州市西湖区", "西湖", "浙江省杭州市", "衢州", "拱墅区"],
            "级别": ["", "区级", "", "市", "District"],
            "姓名": ["a", "b", "c", "d", "e"],
            "角色": ["", "Deputy General Chief", "总河长", "river chief", "segment_chief"],
            "河流": ["", "江南运河", "京杭运河", "常山江", "R00003"],
            "任职时间": ["2021年3月", "2021/3/1", "2021", "2019年12月5日", "2020-01-02 00:00:00"],
        }
    )
    chiefs = read_chiefs(frame, units=demo)
    assert chiefs["unit_id"].tolist() == ["330106", "330106", "330100", "330800", "330105"]
    assert chiefs["role"].tolist() == ["河长", "副总河长", "总河长", "河长", "河段长"]
    assert chiefs["river_id"].tolist()[1:] == [
        "京杭运河(江南运河)",
        "京杭运河(江南运河)",
        "常山江(马金溪)",
        "R00003",
    ]
    assert chiefs["since"].tolist() == ["2021-03", "2021-03-01", "2021", "2019-12-05", "2020-01-02"]


def test_read_chiefs_xlsx_date_cells_and_numeric_codes(
    demo: rm.Responsibility, tmp_path: Path
) -> None:
    frame = pd.DataFrame(
        {
            "unit_id": [330100, 330106],
            "name": ["a", "b"],
            "phone": [13800000000, 13900000000],
            "since": pd.to_datetime(["2021-03-01", "2022-11-30"]),
        }
    )
    chiefs = read_chiefs(write_roster(frame, tmp_path / "r.xlsx"), units=demo)
    assert chiefs["unit_id"].tolist() == ["330100", "330106"]
    assert chiefs["level"].tolist() == ["city", "district"]
    assert chiefs["phone"].tolist() == ["13800000000", "13900000000"]
    assert chiefs["since"].tolist() == ["2021-03-01", "2022-11-30"]
    assert chiefs["role"].tolist() == ["河长", "河长"]  # no role column: 河长


def test_read_chiefs_without_units_takes_ids_as_given() -> None:
    frame = pd.DataFrame(
        {"unit_id": ["u1"], "level": ["town"], "name": ["a"], "river": ["r9"], "unit": ["U"]}
    )
    chiefs = read_chiefs(frame)
    assert chiefs.loc[0, ["unit_id", "level", "unit_name", "river_id"]].tolist() == [
        "u1",
        "town",
        "U",
        "r9",
    ]
    with pytest.raises(SchemaError, match=r"row 0, column 'level': no level"):
        read_chiefs(frame.drop(columns="level"))
    with pytest.raises(SchemaError, match=r"rows 0 give a unit by name only; pass units="):
        read_chiefs(frame.drop(columns="unit_id"))


def test_read_chiefs_bad_rows_name_file_row_and_column(
    demo: rm.Responsibility, tmp_path: Path
) -> None:
    frame = pd.DataFrame(
        {
            "单位": ["杭州市", "不存在市", "杭州市", "西湖区", "杭州市", "杭州市"],
            "级别": ["市级", "", "县级", "", "", "市级"],
            "姓名": ["a", "b", "c", "d", "", "f"],
            "河流": ["", "", "", "黄河", "", ""],
            "角色": ["", "", "", "", "", "组长"],
            "任职时间": ["", "", "", "", "", "昨天"],
        }
    )
    path = write_roster(frame, tmp_path / "名录.csv", "gbk")
    with pytest.raises(SchemaError) as err:
        read_chiefs(path, units=demo)
    msg = str(err.value)
    assert msg.startswith(f"{path}: 6 bad roster row(s)")
    assert "row 3, column '单位': unknown unit '不存在市'" in msg
    assert "row 4, column '级别': 330100 杭州市 (city) is not at level 'district'" in msg
    assert "row 5, column '河流': unknown river '黄河'" in msg
    assert "row 6, column '姓名': the name is empty" in msg
    assert "row 7, column '角色': unknown role '组长'" in msg
    assert "row 7, column '任职时间': cannot read the date '昨天'" in msg


def test_read_chiefs_ambiguous_unit_name() -> None:
    units = pd.DataFrame(
        {
            "unit_id": ["A", "B", "A1", "B1"],
            "name": ["甲县", "乙县", "城关镇", "城关镇"],
            "level": ["county", "county", "town", "town"],
            "parent_id": [None, None, "A", "B"],
        }
    )
    frame = pd.DataFrame({"unit": ["城关镇", "乙县城关镇"], "name": ["x", "y"]})
    with pytest.raises(SchemaError) as err:
        read_chiefs(frame, units=units)
    msg = str(err.value)
    assert re.search(r"row 0, column 'unit': unit name '城关镇' is ambiguous: A1 城关镇", msg)
    assert "B1 城关镇 (town)" in msg
    assert "row 1" not in msg  # the name with its parent is not ambiguous
    ok = read_chiefs(frame.iloc[1:], units=units)
    assert ok["unit_id"].tolist() == ["B1"]


def test_read_chiefs_ambiguous_river_and_id_name_mismatch(demo: rm.Responsibility) -> None:
    rivers = pd.DataFrame({"river_id": ["r1", "r2"], "name": ["清水河", "清水河"]})
    units = demo.units
    frame = pd.DataFrame({"unit_id": ["330100"], "name": ["x"], "river": ["清水河"]})
    with pytest.raises(SchemaError, match=r"river name '清水河' is ambiguous: ids 'r1', 'r2'"):
        read_chiefs(frame, units=units, rivers=rivers)
    assert read_chiefs(frame.assign(river="r2"), units=units, rivers=rivers).loc[0, "river_id"] == (
        "r2"
    )
    mismatch = pd.DataFrame({"unit_id": ["330100"], "unit": ["宁波市"], "name": ["x"]})
    with pytest.raises(
        SchemaError, match=r"unit id '330100' is 杭州市, but the name says '宁波市'"
    ):
        read_chiefs(mismatch, units=units)


def test_read_chiefs_schema_errors(demo: rm.Responsibility, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no column with the chiefs' names"):
        read_chiefs(pd.DataFrame({"unit_id": ["330100"]}), units=demo)
    with pytest.raises(SchemaError, match="no unit column"):
        read_chiefs(pd.DataFrame({"姓名": ["a"]}), units=demo)
    with pytest.raises(SchemaError, match="columns '姓名' and 'name' both give the name"):
        read_chiefs(pd.DataFrame({"姓名": ["a"], "name": ["b"], "unit_id": ["1"]}), units=demo)
    with pytest.raises(rm.DataError, match="no such file"):
        read_chiefs(tmp_path / "missing.csv", units=demo)
    with pytest.raises(TypeError):
        read_chiefs(42, units=demo)  # type: ignore[arg-type]


def test_read_chiefs_many_problems_are_counted(demo: rm.Responsibility) -> None:
    frame = pd.DataFrame({"unit": [f"无名{i}" for i in range(14)], "name": ["x"] * 14})
    with pytest.raises(SchemaError, match=r"14 bad roster row\(s\).*\(14 problems in all\)"):
        read_chiefs(frame, units=demo)


def test_read_chiefs_drops_repeated_rows_with_a_warning(demo: rm.Responsibility) -> None:
    frame = pd.DataFrame({"unit_id": ["330100", "330100", "330106"], "name": ["a", "a", "b"]})
    with pytest.warns(RivermapWarning, match=r"dropped 1 repeated roster row\(s\): rows 1"):
        chiefs = read_chiefs(frame, units=demo)
    assert chiefs["name"].tolist() == ["a", "b"]


# ------------------------------------------------------------ joining chiefs
def test_river_specific_chief_takes_precedence(tiny: rm.Responsibility) -> None:
    roster = tiny_roster(
        unit_id=["330602"],
        name=["跨区河越城段河长"],
        role=["副河长"],
        river=["crossing"],
        phone=["000-9"],
    )
    resp = tiny.with_chiefs(roster)
    r = resp.reaches.set_index("reach_id")
    assert r.loc["crossing#1", "chief_district"] == "跨区河越城段河长"  # specific, even a deputy
    assert r.loc["crossing#1", "chief_district_phone"] == "000-9"
    assert r.loc["inside#1", "chief_district"] == "越城区河长"  # same unit, other river
    assert r.loc["crossing#2", "chief_district"] == "柯桥区河长"  # other unit
    assert r.loc["crossing#1", "chief_street"] == "府山街道河长"


def test_role_ranking_among_general_chiefs(tiny: rm.Responsibility) -> None:
    roster = pd.DataFrame(
        {
            "unit_id": ["330602", "330602", "330602", "330603", "330603"],
            "name": ["副", "总", "河", "柯桥副总", "柯桥副"],
            "role": ["副河长", "总河长", "河长", "副总河长", "副河长"],
        }
    )
    r = tiny.with_chiefs(roster).reaches.set_index("reach_id")
    assert r.loc["inside#1", "chief_district"] == "河"  # 河长 > 总河长 > 副河长
    assert r.loc["crossing#2", "chief_district"] == "柯桥副总"  # 副总河长 > 副河长
    without = tiny.with_chiefs(roster[roster["name"] != "河"]).reaches.set_index("reach_id")
    assert without.loc["inside#1", "chief_district"] == "总"
    assert r["chief_street"].isna().all()  # nobody at street level


def test_boundary_reach_has_both_sides_chiefs_in_bank_order(tiny: rm.Responsibility) -> None:
    resp = tiny.with_chiefs(tiny_roster())
    b = resp.reaches.set_index("reach_id").loc["boundary#1"]
    side = {"330602001": ("越城区河长", "府山街道河长", "000-1", "000-3")}
    side["330603001"] = ("柯桥区河长", "柯桥街道河长", "000-2", "000-4")
    left, right = side[b["left_unit"]], side[b["right_unit"]]
    assert b["chief_district"] == f"{left[0]};{right[0]}"
    assert b["chief_street"] == f"{left[1]};{right[1]}"
    assert b["chief_district_phone"] == f"{left[2]};{right[2]}"
    # One side without a chief stays in place, empty.
    half = tiny.with_chiefs(tiny_roster().iloc[[0, 2]]).reaches.set_index("reach_id")
    expect = ";".join(
        ("越城区河长" if u == "330602001" else "") for u in (b.left_unit, b.right_unit)
    )
    assert half.loc["boundary#1", "chief_district"] == expect


def test_with_chiefs_on_demo(demo: rm.Responsibility, demo_chiefs: rm.Responsibility) -> None:
    reaches = demo_chiefs.reaches.set_index("reach_id")
    # A city-level chief named for the canal precedes 杭州市河长 on the canal only.
    assert reaches.loc["京杭运河(江南运河)#1", "chief_city"] == "杭州市京杭运河河长"
    fuchun = reaches[(reaches["river_id"] == "富春江") & (reaches["city"] == "330100")]
    assert set(fuchun["chief_city"]) == {"杭州市河长"}
    # The 河段长 named for 钱塘江 in 西湖区 answers there, not 西湖区河长.
    xihu = reaches[reaches["district"] == "330106"]
    assert set(xihu.loc[xihu["river_id"] == "钱塘江", "chief_district"]) == {"西湖区钱塘江河段长"}
    assert set(xihu.loc[xihu["river_id"] != "钱塘江", "chief_district"]) == {"西湖区河长"}
    # Every reach inside a unit has a chief at every level.
    inside = reaches[reaches["kind"] != "outside"]
    for lv in demo.levels:
        assert inside[f"chief_{lv}"].notna().all(), lv
    assert reaches.loc[reaches["kind"] == "outside", chief_columns(demo.levels)].isna().all().all()
    # Rivers name the chief at their chief level.
    rivers = demo_chiefs.rivers.set_index("river_id")
    assert rivers.loc["京杭运河(江南运河)", "chief_name"] == "浙江省京杭运河河长"
    assert rivers.loc["R00016", "chief_name"] == "浙江省总河长"  # no 河长 for it: the 总河长
    assert rivers.loc["常山江(马金溪)", "chief_name"] == "衢州市河长"
    assert rivers.loc["R00009", "chief_phone"] == "000-0000-0031"
    # The original is untouched; the geometry stays last; roster is normalized.
    assert "chief_city" not in demo.reaches.columns
    assert demo.roster is None
    assert demo_chiefs.reaches.columns[-1] == "geometry"
    assert list(demo_chiefs.roster.columns) == list(COLUMNS)


def test_with_chiefs_again_replaces_the_chiefs(demo_chiefs: rm.Responsibility) -> None:
    again = demo_chiefs.with_chiefs(
        pd.DataFrame({"unit_id": ["330100"], "name": ["新河长"], "river": ["富春江"]})
    )
    cols = again.reaches.columns
    assert list(cols).count("chief_city") == 1
    assert len(again.roster) == 1
    r = again.reaches
    assert set(r.loc[(r["river_id"] == "富春江") & (r["city"] == "330100"), "chief_city"]) == {
        "新河长"
    }
    assert r.loc[r["river_id"] != "富春江", "chief_city"].isna().all()


def test_chiefs_table(tiny: rm.Responsibility) -> None:
    resp = tiny.with_chiefs(
        tiny_roster(
            unit_id=["330603002"], name=["华舍街道河长"], role=["河长"], river=[""], phone=["000-5"]
        )
    )
    people = resp.chiefs.set_index("name")
    r = tiny.reaches.set_index("reach_id")["length_m"]
    yue = people.loc["越城区河长"]
    assert yue["km"] == pytest.approx((r["inside#1"] + r["crossing#1"] + r["boundary#1"] / 2) / 1e3)
    assert yue["boundary_km"] == pytest.approx(r["boundary#1"] / 1e3)
    assert yue["n_reaches"] == 3
    assert yue["rivers"] == "内河;跨区河;界河"
    assert yue["river_ids"] == "inside;crossing;boundary"
    assert yue["units"] == "越城区"
    assert people.loc["柯桥街道河长", "n_reaches"] == 2
    idle = people.loc["华舍街道河长"]
    assert (idle["km"], idle["n_reaches"], idle["boundary_km"]) == (0.0, 0, 0.0)
    assert pd.isna(idle["rivers"])
    assert list(resp.chiefs.columns[:9]) == [
        "name",
        "title",
        "phone",
        "role",
        "units",
        "unit_ids",
        "levels",
        "rivers",
        "river_ids",
    ]


def test_chiefs_km_adds_up_to_unit_lengths_on_demo(demo_chiefs: rm.Responsibility) -> None:
    people = demo_chiefs.chiefs
    units = demo_chiefs.units
    for lv in ("city", "district"):
        at = people[people["levels"] == lv]
        expected = units.loc[units["level"] == lv, "river_length_m"].sum() / 1000.0
        assert at["km"].sum() == pytest.approx(expected), lv


def test_same_person_in_two_units_is_one_row(tiny: rm.Responsibility) -> None:
    roster = tiny_roster()
    roster.loc[3, ["name", "phone"]] = ["越城区河长", "000-1"]  # also chief of 柯桥街道
    people = tiny.with_chiefs(roster).chiefs.set_index("name")
    assert people.loc["越城区河长", "units"] == "越城区;柯桥街道"
    assert people.loc["越城区河长", "levels"] == "district;street"
    assert len(people) == 3


def test_no_roster_is_an_error(demo: rm.Responsibility) -> None:
    with pytest.raises(SchemaError, match="no chief roster"):
        _ = demo.chiefs
    with pytest.raises(SchemaError, match="no chief roster"):
        demo.roster_report()


# -------------------------------------------------------------------- report
def test_complete_roster_has_an_empty_report(tiny: rm.Responsibility) -> None:
    report = tiny.with_chiefs(tiny_roster()).roster_report()
    assert report.empty
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert REPORT_COLUMNS[:2] == ("reason", "code")


def test_example_roster_report(demo_chiefs: rm.Responsibility) -> None:
    report = demo_chiefs.roster_report()
    no_river = report[report["code"] == "no_river"]
    assert no_river["unit_name"].tolist() == [
        "宁波市",
        "温州市",
        "绍兴市",
        "舟山市",
        "台州市",
        "丽水市",
    ]
    assert set(no_river["reason"]) == {REASONS["no_river"][0]}
    assert not report["code"].isin(["no_chief", "conflict", "river_not_in_unit"]).any()


def test_each_planted_gap_and_conflict_is_found(
    demo: rm.Responsibility, example: pd.DataFrame
) -> None:
    roster = example[example["姓名"] != "余杭区河长"]  # gap: 余杭区 loses its chief
    extra = pd.DataFrame(
        {
            "单位编码": ["330100", "330800", "330200", "330114"],
            "姓名": ["杭州市运河第二河长", "衢州市钱塘江河长", "宁波市副河长", "钱塘区R00016河长"],
            "角色": ["河长", "河长", "副河长", "河长"],
            "河流": ["京杭运河(江南运河)", "钱塘江", "", "R00016"],
        }
    )
    resp = demo.with_chiefs(pd.concat([roster, extra], ignore_index=True))
    report = resp.roster_report(lang="en")
    by = dict(list(report.groupby("code")))

    gap = by["no_chief"]
    assert gap["unit_id"].tolist() == ["330110"]
    units = demo.units.set_index("unit_id")
    assert gap["km"].iloc[0] == pytest.approx(units.loc["330110", "river_length_m"] / 1000)
    assert gap["n_reaches"].iloc[0] == units.loc["330110", "n_reaches"]
    assert gap["river_id"].iloc[0] == "京杭运河(江南运河)"
    assert gap["reason"].iloc[0] == REASONS["no_chief"][1]

    conflict = by["conflict"]
    assert conflict[["unit_id", "river_id", "level"]].values.tolist() == [
        ["330100", "京杭运河(江南运河)", "city"]
    ]
    assert conflict["name"].iloc[0] == "杭州市京杭运河河长;杭州市运河第二河长"

    assert by["river_not_in_unit"][["unit_id", "name"]].values.tolist() == [
        ["330800", "衢州市钱塘江河长"]
    ]
    assert "钱塘江 does not pass through 衢州市" in by["river_not_in_unit"]["detail"].iloc[0]
    # The deputy in 宁波市 joins the 宁波市河长 among chiefs whose unit has no river.
    nb = by["no_river"]
    assert nb.loc[nb["unit_id"] == "330200", "name"].tolist() == ["宁波市河长", "宁波市副河长"]
    # A correct river-specific chief (R00016 runs through 钱塘区) is not reported.
    assert "钱塘区R00016河长" not in set(report["name"])


def test_partial_gap_lists_only_rivers_without_chief(tiny: rm.Responsibility) -> None:
    roster = tiny_roster()
    roster = roster[roster["unit_id"] != "330602"]
    roster = pd.concat(
        [roster, pd.DataFrame({"unit_id": ["330602"], "name": ["内河河长"], "river": ["inside"]})]
    )
    report = tiny.with_chiefs(roster).roster_report()
    gap = report[report["code"] == "no_chief"]
    assert gap["unit_id"].tolist() == ["330602"]
    assert gap["river_id"].iloc[0] == "crossing;boundary"
    assert gap["river_name"].iloc[0] == "跨区河;界河"
    r = tiny.reaches.set_index("reach_id")["length_m"]
    assert gap["km"].iloc[0] == pytest.approx((r["crossing#1"] + r["boundary#1"] / 2) / 1e3)
    assert gap["reason"].iloc[0] == "有河段无河长"


def test_overload_default_fence_and_explicit_limits(demo_chiefs: rm.Responsibility) -> None:
    people = demo_chiefs.chiefs
    district = people[people["levels"] == "district"]
    n = district["n_reaches"].to_numpy(dtype=float)
    q1, q3 = np.percentile(n, [25, 75])
    fence = q3 + 3 * (q3 - q1)
    report = demo_chiefs.roster_report()
    over = report[(report["code"] == "overload") & (report["level"] == "district")]
    assert set(over["name"]) == set(district.loc[district["n_reaches"] > fence, "name"])
    assert len(over) >= 1
    # Explicit limits replace the fence at every level.
    fixed = demo_chiefs.roster_report(max_km=100.0, max_reaches=10_000)
    over = fixed[fixed["code"] == "overload"]
    assert set(over["name"]) == set(people.loc[people["km"] > 100.0, "name"])
    assert all("km" in d for d in over["detail"])
    # Small levels have no default fence.
    none = demo_chiefs.roster_report(min_people=1000)
    assert not (none["code"] == "overload").any()


def test_report_labels_in_both_languages(demo_chiefs: rm.Responsibility) -> None:
    zh = demo_chiefs.roster_report(lang="zh")
    en = demo_chiefs.roster_report(lang="en")
    assert zh["code"].tolist() == en["code"].tolist()
    assert zh["reason"].tolist() == [REASONS[c][0] for c in zh["code"]]
    assert en["reason"].tolist() == [REASONS[c][1] for c in en["code"]]
    with pytest.raises(ValueError, match="lang"):
        demo_chiefs.roster_report(lang="fr")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drop=st.sets(st.sampled_from(range(21, 47)), max_size=6))
def test_dropped_district_chiefs_are_exactly_the_gaps(
    demo: rm.Responsibility, example: pd.DataFrame, drop: set[int]
) -> None:
    # Rows 21..46 of the example are district chiefs; row 46 is 西湖区's 河段长 for 钱塘江.
    assert set(example.iloc[21:47]["级别"]) == {"县级"}
    district_rows = example.iloc[sorted(drop)]
    resp = demo.with_chiefs(example.drop(index=sorted(drop)))
    report = resp.roster_report(min_people=1000)
    gaps = set(report.loc[report["code"] == "no_chief", "unit_id"])
    general = district_rows[district_rows["河流"] == ""]
    assert gaps == set(general["单位编码"].astype(str))


# ---------------------------------------------------------------- signboards
def test_signboards_demo(demo_chiefs: rm.Responsibility) -> None:
    boards = demo_chiefs.signboards("province", hotline="12345")
    rivers = demo_chiefs.rivers
    at = rivers[rivers["chief_level"] == "province"]
    assert boards["river_id"].tolist() == at["river_id"].tolist()
    assert boards["length_km"].to_numpy() == pytest.approx(at["length_m"].to_numpy() / 1000)
    b = boards.set_index("river")
    assert b.loc["钱塘江", "chief_province"] == "浙江省钱塘江河长"
    assert b.loc["钱塘江", "chief_province_phone"] == "000-0000-0003"
    assert b.loc["钱塘江", "chief_city"] == "杭州市河长;嘉兴市河长"
    assert b.loc["钱塘江", "chief_city_phone"] == "000-0000-0007;000-0000-0010"
    assert "西湖区钱塘江河段长" in b.loc["钱塘江", "chief_district"].split(";")
    assert b.loc["京杭运河(江南运河)", "chief_city"].split(";")[0] == "杭州市京杭运河河长"
    assert b["start"].notna().all()
    assert b["end"].notna().all()
    assert b.loc["京杭运河(江南运河)", "start"] == "杭州市上城区"  # its first reach's district
    assert set(b["hotline"]) == {"12345"}
    assert set(b["supervisor"]) == {"浙江省河长制办公室"}
    # Every district chief along a river appears once, upstream first.
    for river, row in b.iterrows():
        names = row["chief_district"].split(";")
        assert len(names) == len(set(names)), river
        assert len(row["chief_district_title"].split(";")) == len(names)

    city = demo_chiefs.signboards(
        "city", supervisor="{parent}河长办", hotline={"330800": "0570-0000000"}, lang="en"
    ).set_index("river_id")
    assert city.index.tolist() == ["常山江(马金溪)", "R00001", "R00003", "R00012"]
    assert city.loc["常山江(马金溪)", "start"] == "开化县"
    assert city.loc["常山江(马金溪)", "supervisor"] == "浙江省河长办"
    assert city.loc["常山江(马金溪)", "hotline"] == "0570-0000000"
    assert city["hotline"].isna().sum() == 3
    assert city.loc["R00003", "river"] == "R00003"  # unnamed: the id


def test_signboards_names_ends_with_parents_in_english(demo_chiefs: rm.Responsibility) -> None:
    en = demo_chiefs.signboards("province", lang="en").set_index("river")
    assert en.loc["京杭运河(江南运河)", "start"] == "上城区, 杭州市"


def test_signboards_without_roster_and_errors(demo: rm.Responsibility) -> None:
    boards = demo.signboards("district", supervisor=None)
    assert boards["river_id"].tolist() == ["R00009", "R00011"]
    assert boards["chief_district"].isna().all()
    assert boards["supervisor"].isna().all()
    assert boards["start"].tolist() == ["桐庐县", "吴兴区"]
    with pytest.raises(ParameterError, match="level must be one of 'province'.*got 'county'"):
        demo.signboards("county")


def test_export_csv_and_xlsx(demo_chiefs: rm.Responsibility, tmp_path: Path) -> None:
    boards = demo_chiefs.signboards("province", hotline="12345")
    csv = write_table(boards, tmp_path / "boards.csv")
    back = read_table(csv)
    assert list(back.columns) == headers(list(boards.columns), "zh", table="chiefs")
    assert back["河流名称"].tolist() == boards["river"].tolist()
    assert back["省级河长"].tolist() == boards["chief_province"].tolist()
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    with pytest.raises(OutputExistsError):
        write_table(boards, csv)
    write_table(boards.iloc[:1], csv, overwrite=True, lang="en")
    assert read_table(csv)["River"].tolist() == boards["river"].iloc[:1].tolist()

    xlsx = write_table(
        {"公示牌": boards, "问题": demo_chiefs.roster_report(), "河长": demo_chiefs.chiefs},
        tmp_path / "report.xlsx",
    )
    sheets = pd.read_excel(xlsx, sheet_name=None, dtype=str)
    assert list(sheets) == ["公示牌", "问题", "河长"]
    assert sheets["公示牌"]["监督电话"].tolist() == ["12345"] * len(boards)
    assert len(sheets["河长"]) == len(demo_chiefs.chiefs)
    with pytest.raises(DataError, match="one table"):
        write_table({"a": boards, "b": boards}, tmp_path / "two.csv")
    with pytest.raises(rm.ParameterError, match=r"\.csv or \.xlsx, not \.txt"):
        write_table(boards, tmp_path / "boards.txt")
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


# ---------------------------------------------------------------- round trip
def test_round_trip_through_geopackage(demo_chiefs: rm.Responsibility, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = rm.read_responsibility(demo_chiefs.to_file(tmp_path / "out.gpkg"))
    cols = chief_columns(demo_chiefs.levels)
    a = demo_chiefs.reaches[["reach_id", *cols]].reset_index(drop=True)
    b = back.reaches[["reach_id", *cols]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.astype(object), b.astype(object))
    pd.testing.assert_frame_equal(
        demo_chiefs.rivers[["chief_name", "chief_title", "chief_phone"]].astype(object),
        back.rivers[["chief_name", "chief_title", "chief_phone"]].astype(object),
    )
    pd.testing.assert_frame_equal(back.roster, demo_chiefs.roster)
    pd.testing.assert_frame_equal(back.chiefs, demo_chiefs.chiefs)
    pd.testing.assert_frame_equal(back.roster_report(), demo_chiefs.roster_report())
    pd.testing.assert_frame_equal(back.signboards("city"), demo_chiefs.signboards("city"))
    # Re-joining the stored roster gives the same chiefs.
    again = back.with_chiefs(back.roster).reaches[["reach_id", *cols]].reset_index(drop=True)
    pd.testing.assert_frame_equal(again.astype(object), b.astype(object))


def test_round_trip_of_a_roster_without_rivers_or_dates(
    tiny: rm.Responsibility, tmp_path: Path
) -> None:
    resp = tiny.with_chiefs(tiny_roster())
    assert resp.roster["river_id"].isna().all()
    back = rm.read_responsibility(resp.to_file(tmp_path / "tiny.gpkg"))
    # An all-empty text column comes back from the GeoPackage as object dtype.
    assert back.roster is not None
    pd.testing.assert_frame_equal(back.roster.astype("str"), resp.roster)
    pd.testing.assert_frame_equal(back.chiefs, resp.chiefs)


# -------------------------------------------------------------- example file
def test_example_roster_is_marked_and_fake(example: pd.DataFrame) -> None:
    assert example["备注"].str.contains("示例").all()
    assert example["备注"].str.contains("EXAMPLE").all()
    assert example["电话"].str.fullmatch(r"000-0000-\d{4}").all()
    assert example["姓名"].str.contains("河长|河段长").all()
    assert (example["姓名"].str[:2] == example["单位"].str[:2]).all()  # made from unit names
    roles = set(example["角色"])
    assert roles <= set(ROLES)
    assert {"总河长", "河长", "副河长", "河段长"} <= roles
    # Several river-specific chiefs, including the canal at city level.
    canal = example[(example["河流"] == "京杭运河(江南运河)") & (example["级别"] == "市级")]
    assert len(canal) == 3


def test_units_are_untouched_by_chiefs(tiny: rm.Responsibility) -> None:
    resp = tiny.with_chiefs(tiny_roster())
    pd.testing.assert_frame_equal(
        pd.DataFrame(resp.units.drop(columns="geometry")),
        pd.DataFrame(tiny.units.drop(columns="geometry")),
    )
    assert resp.units.geometry.geom_equals(tiny.units.geometry).all()


# ------------------------------------------------- vectorized internals vs references
def _ancestors_slow(units: pd.DataFrame, levels: list[str]) -> dict[str, dict[str, object]]:
    """Each unit's ancestor (or itself) at every level, walking up parent by parent."""
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"], strict=True))
    level = dict(zip(units["unit_id"].astype(str), units["level"].astype(str), strict=True))
    out: dict[str, dict[str, object]] = {}
    for uid in level:
        row: dict[str, object] = {}
        cur: object = uid
        for _ in levels:
            if not isinstance(cur, str) or cur not in level:
                break
            row[level[cur]] = cur
            cur = parent.get(cur)
        out[uid] = row
    return out


def test_ancestors_match_reference(demo: rm.Responsibility) -> None:
    from rivermap.chiefs import _ancestors

    levels = list(demo.levels)
    got = _ancestors(demo.units, levels)
    want = _ancestors_slow(demo.units, levels)
    assert got.index.tolist() == list(want)
    for uid, row in want.items():
        for lv in levels:
            value = got.at[uid, lv]
            assert (value if isinstance(value, str) else None) == row.get(lv)


def test_chiefs_table_lists_match_a_plain_python_count(demo_chiefs: rm.Responsibility) -> None:
    table = demo_chiefs.chiefs.set_index("name")
    reaches = demo_chiefs.reaches
    roster = demo_chiefs.roster
    assert roster is not None
    for person in roster["name"].unique():
        rows = roster[roster["name"] == person]
        # distinct values in roster order, ";"-joined, for the roster fields
        for col, field in (("unit_ids", "unit_id"), ("levels", "level"), ("role", "role")):
            assert table.at[person, col] == ";".join(dict.fromkeys(rows[field].astype(str)))
        # the rivers they answer for, in reach order, from the chief columns
        cols = [f"chief_{lv}" for lv in demo_chiefs.levels]
        held = reaches[
            reaches[cols].apply(
                lambda r, who=person: any(who in str(v).split(";") for v in r), axis=1
            )
        ]
        rivers = ";".join(dict.fromkeys(held["river_id"].astype(str)))
        got = table.at[person, "river_ids"]
        assert (got if isinstance(got, str) else "") == rivers


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fence": -1}, "fence must be a finite number of 0 or more"),
        ({"fence": float("nan")}, "fence"),
        ({"min_people": -2}, "min_people must be 0 or more"),
        ({"max_km": float("inf")}, "max_km"),
        ({"max_reaches": -1}, "max_reaches"),
        ({"lang": "fr"}, "lang must be one of 'zh', 'en'"),
    ],
)
def test_roster_report_refuses_bad_arguments(
    demo_chiefs: rm.Responsibility, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        demo_chiefs.roster_report(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="min_people must be a whole number"):
        demo_chiefs.roster_report(min_people=2.5)  # type: ignore[arg-type]
