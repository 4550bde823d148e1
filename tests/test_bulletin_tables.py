"""The monthly bulletin's indicators, against small cases computed by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point

import rivermap as rm
from rivermap.bulletin_tables import WEIGHTS, bulletin_tables, month_span, score_rule
from rivermap.errors import ParameterError

X0, Y0 = 540_000.0, 3_320_000.0
# 越城区 330602 (west) with streets 330602001 (south), 330602002 (north); 柯桥区 330603 (east)
# with 330603001 (south), 330603002 (north). The inside river lies in 330602001.


@pytest.fixture
def tiny(tiny_rivers, tiny_units) -> rm.Responsibility:
    return rm.assign(tiny_rivers, tiny_units)


def routed(tiny, rows) -> gpd.GeoDataFrame:
    """Route reports given as (id, reported, status, deadline, closed, x, y)."""
    frame = pd.DataFrame(
        rows, columns=["event_id", "reported_at", "status", "deadline", "closed_at", "x", "y"]
    )
    for col in ("reported_at", "deadline", "closed_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["category"] = [f"c{i}" for i in range(len(frame))]  # no duplicates
    xy = zip(frame["x"], frame["y"], strict=True)
    points = [Point(x, y) if pd.notna(x) else None for x, y in xy]
    events = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=points, crs=4549)
    return rm.route_events(tiny, events)


IN_SOUTH_WEST = (X0 + 500, Y0 + 260)  # beside the inside river, in 330602001


def test_received_closed_carried_overdue_and_both_rates(tiny) -> None:
    x, y = IN_SOUTH_WEST
    rows = [
        # reported in October, still open when November began, closed in November (carried)
        ("a", "2026-10-20", "closed", "2026-10-25", "2026-11-05", x, y),
        # reported in October and closed in October: not November's business
        ("b", "2026-10-02", "closed", "2026-10-10", "2026-10-05", x, y),
        # reported and closed in November, 2 days
        ("c", "2026-11-03", "closed", "2026-11-10", "2026-11-05", x, y),
        # reported in November, open at the end, past its deadline: overdue
        ("d", "2026-11-10", "in_progress", "2026-11-20", None, x, y),
        # reported in November, open, deadline in December: open but not overdue
        ("e", "2026-11-28", "assigned", "2026-12-05", None, x, y),
        # reported in December: not counted
        ("f", "2026-12-01", "registered", "2026-12-05", None, x, y),
    ]
    t = bulletin_tables(tiny, routed(tiny, rows), None, "2026-11")["units"].set_index("unit_id")
    street = t.loc["330602001"]
    assert street["received"] == 3  # c, d, e
    assert street["closed"] == 2  # a, c
    assert street["carried"] == 1  # a
    assert street["open_end"] == 2  # d, e
    assert street["overdue"] == 1  # d
    assert street["closure_rate"] == pytest.approx(2 / 3)
    assert street["closure_rate_all"] == pytest.approx(2 / 4)
    assert street["median_days"] == pytest.approx((16 + 2) / 2)  # a: 10-20 → 11-05, c: 2
    # The district above counts the same reports; the other district none.
    assert t.loc["330602", "received"] == 3
    assert t.loc["330603", "received"] == 0


def test_closure_rate_above_one_when_old_reports_close(tiny) -> None:
    x, y = IN_SOUTH_WEST
    rows = [
        ("old1", "2026-09-01", "closed", "2026-09-10", "2026-11-02", x, y),
        ("old2", "2026-10-01", "archived", "2026-10-10", "2026-11-03", x, y),
        ("new", "2026-11-04", "closed", "2026-11-10", "2026-11-06", x, y),
    ]
    street = (
        bulletin_tables(tiny, routed(tiny, rows), None, "2026-11")["units"]
        .set_index("unit_id")
        .loc["330602001"]
    )
    assert street["closure_rate"] == pytest.approx(3.0)  # 3 closed ÷ 1 received
    assert street["closure_rate_all"] == pytest.approx(1.0)  # 3 ÷ (1 + 2 carried)


def test_a_month_with_no_data(tiny) -> None:
    tables = bulletin_tables(tiny, None, None, "2026-11")
    units = tables["units"]
    assert len(units) == len(tiny.units)
    assert (units[["received", "closed", "required", "done"]] == 0).all().all()
    assert units["closure_rate"].isna().all()
    assert units["completion"].isna().all()
    assert units["silent"].all()
    assert len(tables["silent"]) == len(units)
    assert (units["score"] == 0).all()
    assert (units["rank"] == 1).all()
    assert tables["unrouted"].empty


def test_patrols_completion_silence_score_and_rank(tiny) -> None:
    people = pd.DataFrame(
        {
            "person": ["p1", "p2", "p3"],
            "units": ["330602001", "330602002", "330603001"],
            "period_start": pd.to_datetime(["2026-11-01"] * 3).date,
            "period_end": pd.to_datetime(["2026-11-30"] * 3).date,
            "required": [2, 2, 0],  # p3's level has no duty this month
            "done": [1, 3, 0],
            "own_km": [0.5, 1.0, 0.0],
            "last_valid": pd.to_datetime(["2026-11-20", "2026-11-30", None]),
        }
    )
    x, y = IN_SOUTH_WEST
    rows = [("c", "2026-11-03", "closed", "2026-11-10", "2026-11-05", x, y)]
    t = bulletin_tables(tiny, routed(tiny, rows), people, "2026-11")["units"].set_index("unit_id")
    sw, nw, se = t.loc["330602001"], t.loc["330602002"], t.loc["330603001"]
    assert (sw["required"], sw["done"], sw["completion"]) == (2, 1, 0.5)
    assert nw["completion"] == 1.5
    assert np.isnan(se["completion"])
    assert sw["days_since_patrol"] == 10
    assert nw["days_since_patrol"] == 0
    assert not sw["silent"]
    assert not nw["silent"]
    assert se["silent"]
    assert t.loc["330603002", "silent"]
    # score: 0.5 × min(completion, 1) + 0.3 × closure of the workload + 0.2 × reported
    assert sw["score"] == pytest.approx(0.5 * 0.5 + 0.3 * 1.0 + 0.2)
    assert nw["score"] == pytest.approx(0.5 * 1.0)
    assert (sw["rank"], nw["rank"]) == (1, 2)
    assert t.loc["330602", "done"] == 0  # district chiefs are counted in their own rows


def test_unrouted_reports_are_listed(tiny) -> None:
    rows = [
        ("far", "2026-11-03", "registered", "2026-11-10", None, X0 + 500, Y0 + 1500),
        ("nowhere", "2026-11-04", "registered", "2026-11-10", None, None, None),
        ("october", "2026-10-04", "registered", "2026-10-10", None, None, None),
    ]
    unrouted = bulletin_tables(tiny, routed(tiny, rows), None, "2026-11")["unrouted"]
    assert unrouted["event_id"].tolist() == ["far", "nowhere"]
    assert unrouted["reason"].tolist() == ["too_far", "no_location"]


def test_weights_month_and_rule() -> None:
    assert month_span("2026-12")[1] == pd.Timestamp("2027-01-01")
    with pytest.raises(ParameterError, match="YYYY-MM"):
        month_span("November")
    assert score_rule({"completion": 1}) == (
        "score = 1 × completion + 0 × closure_rate_all + 0 × reporting"
    )
    assert set(WEIGHTS) == {"completion", "closure_rate_all", "reporting"}
    with pytest.raises(ParameterError, match="unknown indicator"):
        score_rule({"speed": 1})


def test_chiefs_and_month_over_month(tiny) -> None:
    people = pd.DataFrame(
        {
            "person": ["p1", "p1"],
            "units": ["330602001", "330602001"],
            "period_start": pd.to_datetime(["2026-10-01", "2026-11-01"]).date,
            "period_end": pd.to_datetime(["2026-10-31", "2026-11-30"]).date,
            "required": [2, 2],
            "done": [2, 1],
            "own_km": [1.0, 0.5],
            "last_valid": pd.to_datetime(["2026-10-30", "2026-11-20"]),
        }
    )
    x, y = IN_SOUTH_WEST
    rows = [
        ("oct", "2026-10-03", "closed", "2026-10-10", "2026-10-05", x, y),
        ("nov1", "2026-11-03", "closed", "2026-11-10", "2026-11-05", x, y),
        ("nov2", "2026-11-04", "assigned", "2026-11-10", None, x, y),
    ]
    tables = bulletin_tables(tiny, routed(tiny, rows), people, "2026-11")
    chief = tables["chiefs"].set_index("person").loc["p1"]
    assert (chief["required"], chief["done"], chief["completion"]) == (2, 1, 0.5)
    assert chief["days_since_patrol"] == 10
    trend = tables["trend"].set_index("unit_id").loc["330602001"]
    assert (trend["received"], trend["received_before"], trend["received_change"]) == (2, 1, 1)
    assert (trend["completion"], trend["completion_before"]) == (0.5, 1.0)
    # Without October in the data, the month before is left empty rather than taken as zero.
    november = people.iloc[[1]]
    alone = bulletin_tables(tiny, None, november, "2026-11")["trend"].set_index("unit_id")
    assert np.isnan(alone.loc["330602001", "completion_before"])


def test_a_unit_with_no_chief_and_a_chief_with_no_duty(tiny) -> None:
    """甲 (越城区) has no duty but patrols; 乙 (府山街道) has a duty; 柯桥街道 has no chief."""
    from rivermap.patrols import patrol_coverage

    roster = pd.DataFrame(
        {
            "unit_id": ["330602", "330602001", "330603"],
            "name": ["甲", "乙", "丙"],
            "phone": ["0001", "0002", "0003"],
            "role": ["河长"] * 3,
        }
    )
    resp = tiny.with_chiefs(roster)
    x, y = IN_SOUTH_WEST
    rows = [
        ("west", "2026-11-03", "closed", "2026-11-10", "2026-11-05", x, y),
        ("east", "2026-11-04", "registered", "2026-11-20", None, X0 + 2500, Y0 + 520),
    ]
    reports = routed(resp, rows)
    walk = [(X0 + 200 + 30 * i, Y0 + 200 + 5 * i) for i in range(21)]  # along the inside river
    points = [
        (f"{who}-1", who, pd.Timestamp(day) + pd.Timedelta(seconds=20 * i), Point(px, py))
        for who, day in (("甲", "2026-11-10 09:00"), ("乙", "2026-11-12 09:00"))
        for i, (px, py) in enumerate(walk)
    ]
    tracks = gpd.GeoDataFrame(points, columns=["patrol_id", "person", "time", "geometry"], crs=4549)
    duties = [{"level": "street", "period": "month", "min_count": 2, "min_minutes": 5}]
    cover = patrol_coverage(resp, tracks, duties=duties, start="2026-11-01", end="2026-11-30")
    assert cover.patrols["valid"].all(), cover.patrols[["person", "reasons", "minutes", "km"]]

    tables = bulletin_tables(resp, reports, cover.people, "2026-11")
    units = tables["units"].set_index("unit_id")
    east = units.loc["330603001"]  # no chief: still counted, and named in the unrouted list
    assert east["chief"] is None
    assert (east["received"], east["silent"]) == (1, False)
    assert tables["unrouted"].set_index("event_id").loc["east", "reason"] == "no_chief"
    assert units.loc["330603002", "chief"] is None
    assert units.loc["330603002", "silent"]

    street = units.loc["330602001"]  # 乙: one of two required patrols
    assert (street["chief"], street["required"], street["done"]) == ("乙", 2, 1)
    assert street["completion"] == 0.5
    district = units.loc["330602"]  # 甲: no duty, one patrol counted, no completion rate
    assert (district["chief"], district["required"], district["done"]) == ("甲", 0, 1)
    assert np.isnan(district["completion"])
    assert not district["silent"]
    chiefs = tables["chiefs"].set_index("person")
    assert (chiefs.loc["甲", "required"], chiefs.loc["甲", "done"]) == (0, 1)
    assert np.isnan(chiefs.loc["甲", "completion"])
    assert chiefs.loc["乙", "received"] == 1  # the west report was routed to 乙


def test_months_table_goes_back_as_far_as_the_data(tiny) -> None:
    x, y = IN_SOUTH_WEST
    rows = [
        ("aug", "2026-08-03", "closed", "2026-08-10", "2026-10-05", x, y),
        ("oct", "2026-10-03", "closed", "2026-10-10", "2026-10-05", x, y),
        ("nov", "2026-11-03", "registered", "2026-11-10", None, x, y),
    ]
    months = bulletin_tables(tiny, routed(tiny, rows), None, "2026-11")["months"]
    assert months["month"].tolist() == ["2026-08", "2026-09", "2026-10", "2026-11"]
    by = months.set_index("month")
    assert by["received"].tolist() == [1, 0, 1, 1]
    assert by["carried"].tolist() == [0, 1, 1, 0]  # aug is open through September
    assert by["closed"].tolist() == [0, 0, 2, 0]
    assert by.loc["2026-10", "closure_rate"] == 2.0
    assert by.loc["2026-10", "closure_rate_all"] == 1.0
    assert by["completion"].isna().all()  # no patrol data
    years = bulletin_tables(
        tiny,
        routed(tiny, [("old", "2024-01-03", "registered", "2024-01-10", None, x, y)]),
        None,
        "2026-11",
    )
    assert len(years["months"]) == 6  # at most HISTORY months
    assert bulletin_tables(tiny, None, None, "2026-11")["months"]["month"].tolist() == ["2026-11"]
