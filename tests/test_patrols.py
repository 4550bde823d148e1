"""Patrol coverage: every validity rule on its own, stretches, duties and 应巡/已巡."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import rivermap as rm
from rivermap.duties import default_duties, read_duties
from rivermap.errors import ParameterError, SchemaError
from rivermap.patrols import patrol_coverage

X0, Y0 = 540_000.0, 3_320_000.0


@pytest.fixture
def tiny(tiny_rivers, tiny_units) -> rm.Responsibility:
    frame = tiny_units.frame
    roster = pd.DataFrame(
        {
            "unit_id": frame["unit_id"],
            "level": frame["level"],
            "name": frame["name"] + "河长",
            "phone": [f"000-{i:04d}" for i in range(len(frame))],
        }
    )
    resp = rm.assign(tiny_rivers, tiny_units)
    return resp.with_chiefs(rm.read_chiefs(roster, units=tiny_units))


def walk(xy0, xy1, *, kmh=4.5, start="2026-11-03 09:00", step_s=20, offset=(0.0, 0.0)):
    """Points from xy0 to xy1 at ``kmh``, one every ``step_s`` seconds, shifted by offset."""
    length = float(np.hypot(xy1[0] - xy0[0], xy1[1] - xy0[1]))
    n = max(int(length / (kmh / 3.6 * step_s)) + 1, 2)
    f = np.linspace(0, 1, n)
    x = xy0[0] + (xy1[0] - xy0[0]) * f + offset[0]
    y = xy0[1] + (xy1[1] - xy0[1]) * f + offset[1]
    t = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * step_s, unit="s")
    return list(zip(x, y, t, strict=True))


def tracks(*patrols) -> gpd.GeoDataFrame:
    """Track points of (patrol_id, person, points) in EPSG:4549, as read_patrols gives them."""
    rows = [(pid, person, t, shapely.Point(x, y), i) for pid, person, pts in patrols
            for i, (x, y, t) in enumerate(pts)]  # fmt: skip
    frame = gpd.GeoDataFrame(
        rows, columns=["patrol_id", "person", "time", "geometry", "seq"], crs=4549
    )
    return frame.to_crs(4326)


# The inside river runs from (X0+200, Y0+200) to (X0+800, Y0+300) in 府山街道 (330602001).
ALONG = ((X0 + 200, Y0 + 200), (X0 + 800, Y0 + 300))
CHIEF = "府山街道河长"
SHORT = [{"level": "street", "period": "week", "min_count": 1, "min_minutes": 5, "min_km": 0.3}]


def judge(tiny, *patrols, duties=SHORT):
    cover = patrol_coverage(
        tiny, tracks(*patrols), duties=duties, start="2026-11-02", end="2026-11-15"
    )
    return cover, cover.patrols.set_index("patrol_id")


def test_a_walk_along_own_river_is_valid_and_follows_the_reach(tiny) -> None:
    cover, p = judge(tiny, ("ok", CHIEF, walk(*ALONG, offset=(0, 10))))
    row = p.loc["ok"]
    assert row["valid"]
    assert pd.isna(row["reasons"])
    assert row["km"] == pytest.approx(0.608, abs=0.01)
    assert row["on_river_share"] == 1.0
    assert row["in_units_share"] == 1.0
    own = tiny.reaches[tiny.reaches["chief_street"].str.contains(CHIEF)]["length_m"].sum()
    assert row["own_km"] == pytest.approx(0.608, abs=0.01)
    assert row["own_share"] == pytest.approx(row["own_km"] * 1000 / own)
    s = cover.stretches
    assert s["reach_id"].tolist() == ["inside#1"]
    assert s["own"].all()
    assert s["from_m"].iloc[0] == pytest.approx(0, abs=2)
    assert s["to_m"].iloc[0] == pytest.approx(608, abs=2)


@pytest.mark.parametrize(
    ("case", "points", "person", "reason"),
    [
        ("short_time", walk(*ALONG, kmh=12), CHIEF, "short_time"),
        ("short_distance", walk(ALONG[0], (X0 + 400, Y0 + 233), kmh=1.0), CHIEF, "short_distance"),
        ("too_fast", walk(*ALONG, kmh=50, step_s=2), CHIEF, "too_fast"),
        ("off_river", walk(*ALONG, offset=(0, 400)), CHIEF, "off_river"),
        ("unknown_person", walk(*ALONG), "路人甲", "unknown_person"),
        ("outside_units", walk(*ALONG), "柯桥街道河长", "outside_units"),
        ("one_point", walk(*ALONG)[:1], CHIEF, "one_point"),
    ],
)
def test_each_rule_alone_makes_a_patrol_invalid(tiny, case, points, person, reason) -> None:
    _, p = judge(tiny, (case, person, points))
    assert not p.loc[case, "valid"]
    assert reason in p.loc[case, "reasons"].split(",")
    if reason not in ("one_point", "too_fast"):  # one point is also short; fast is short in time
        assert p.loc[case, "reasons"] == reason


def test_timestamps_out_of_order_are_reported_not_dropped(tiny) -> None:
    pts = walk(*ALONG)
    pts[3], pts[4] = (pts[3][0], pts[3][1], pts[4][2]), (pts[4][0], pts[4][1], pts[3][2])
    _, p = judge(tiny, ("swapped", CHIEF, pts))
    assert p.loc["swapped", "reasons"] == "time_order"
    assert p.loc["swapped", "n_points"] == len(pts)


def test_required_against_done_per_week_with_people_who_never_patrol(tiny) -> None:
    cover, _ = judge(
        tiny,
        ("w1", CHIEF, walk(*ALONG, start="2026-11-03 09:00")),
        ("w1b", CHIEF, walk(*ALONG, start="2026-11-04 09:00")),
        ("bad", CHIEF, walk(*ALONG, kmh=50, step_s=2, start="2026-11-10 09:00")),
    )
    people = cover.people
    mine = people[people["person"] == CHIEF].set_index("period_start")
    assert mine["required"].tolist() == [1, 1]
    assert mine["done"].tolist() == [2, 0]  # the drive-by does not count
    assert mine["met"].tolist() == [True, False]
    assert mine["last_valid"].iloc[1] == pd.Timestamp("2026-11-04 09:00")
    others = people[people["person"] != CHIEF]
    assert len(others) == 3 * 2
    assert (others["done"] == 0).all()
    assert set(people["level"]) == {"street"}


def test_active_months_and_quarterly_duties(tiny) -> None:
    duties = [
        {"level": "区县", "period": "季度", "min_count": 1},
        {"level": "street", "period": "month", "min_count": 2, "months": "3-10"},
    ]
    cover, _ = judge(tiny, ("w", CHIEF, walk(*ALONG)), duties=duties)
    people = cover.people
    assert (people.loc[people["level"] == "street", "required"] == 0).all()  # November is off
    district = people[people["level"] == "district"]
    # The quarter runs past the last day counted: short so far is not yet unmet.
    assert district["met"].isna().all()
    assert set(district["period"]) == {"quarter"}
    assert (district["required"] == 1).all()


def test_duties_are_checked(tiny) -> None:
    with pytest.raises(SchemaError, match="unknown level"):
        read_duties([{"level": "planet", "period": "week", "min_count": 1}], levels=tiny.levels)
    with pytest.raises(SchemaError, match="min_count"):
        read_duties([{"level": "street", "period": "week", "min_count": 0}], levels=tiny.levels)
    with pytest.raises(SchemaError, match="period"):
        read_duties([{"level": "street", "period": "daily", "min_count": 1}], levels=tiny.levels)
    with pytest.raises(SchemaError, match="twice"):
        read_duties([{"level": "street", "period": "week", "min_count": 1}] * 2, levels=tiny.levels)
    with pytest.raises(SchemaError, match="months"):
        read_duties(
            [{"level": "street", "period": "week", "min_count": 1, "months": "13"}],
            levels=tiny.levels,
        )


def test_default_duties_cover_every_level() -> None:
    levels = ("district", "street", "community")
    table = default_duties(levels).set_index("level")
    assert table.loc["community", "period"] == "week"
    assert table.loc["district", "period"] == "month"
    unknown = default_duties(("land", "gemeinde")).set_index("level")
    assert unknown.loc["gemeinde", "period"] == "week"
    assert unknown.loc["land", "period"] == "month"


def test_input_is_not_modified_and_order_does_not_matter(tiny) -> None:
    frame = tracks(("a", CHIEF, walk(*ALONG)), ("b", CHIEF, walk(*ALONG, kmh=50, step_s=2)))
    before = frame.copy()
    one = patrol_coverage(tiny, frame, duties=SHORT)
    pd.testing.assert_frame_equal(frame, before)
    two = patrol_coverage(tiny, frame.iloc[::-1].reset_index(drop=True), duties=SHORT)
    cols = ["patrol_id", "km", "minutes", "valid", "reasons"]
    a = pd.DataFrame(one.patrols)[cols].sort_values("patrol_id").reset_index(drop=True)
    b = pd.DataFrame(two.patrols)[cols].sort_values("patrol_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_bad_arguments(tiny) -> None:
    with pytest.raises(ParameterError, match="tolerance_m"):
        patrol_coverage(tiny, tracks(("a", CHIEF, walk(*ALONG))), tolerance_m=-5)
    with pytest.raises(ParameterError, match="start"):
        patrol_coverage(tiny, tracks(("a", CHIEF, walk(*ALONG))), start="soon")
    with pytest.raises(TypeError, match="read_patrols"):
        patrol_coverage(tiny, [1])


def test_workbook_in_both_languages(tiny, tmp_path) -> None:
    cover, _ = judge(tiny, ("ok", CHIEF, walk(*ALONG)))
    path = cover.to_excel(tmp_path / "p.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["巡河考核", "巡河记录", "巡查河段", "巡河要求"]
    assert "应巡次数" in sheets["巡河考核"].columns
    assert "已巡次数" in sheets["巡河考核"].columns
    with pytest.raises(rm.errors.OutputExistsError):
        cover.to_excel(path)
    en = pd.read_excel(cover.to_excel(tmp_path / "e.xlsx", lang="en"), sheet_name=None)
    assert "Required patrols" in en["patrol duty"].columns
