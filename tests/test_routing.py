"""Routing reports to reaches and chiefs: hand-built cases, and an independent check."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

import rivermap as rm
from rivermap import _gcj02
from rivermap.errors import ParameterError, SchemaError
from rivermap.events import read_events
from rivermap.routing import route_events

X0, Y0 = 540_000.0, 3_320_000.0


def roster(units: rm.AdminUnits) -> pd.DataFrame:
    """One chief per unit, but none for the street 330603001 (柯桥街道)."""
    frame = units.frame
    frame = frame[frame["unit_id"] != "330603001"]
    return pd.DataFrame(
        {
            "unit_id": frame["unit_id"],
            "level": frame["level"],
            "name": frame["name"] + "河长",
            "phone": [f"000-{i:04d}" for i in range(len(frame))],
        }
    )


@pytest.fixture
def tiny(tiny_rivers, tiny_units) -> rm.Responsibility:
    resp = rm.assign(tiny_rivers, tiny_units)
    return resp.with_chiefs(rm.read_chiefs(roster(tiny_units), units=tiny_units))


def events_at(points, crs="EPSG:4549", **columns) -> gpd.GeoDataFrame:
    n = len(points)
    frame = {
        "event_id": [f"e{i}" for i in range(n)],
        "reported_at": pd.date_range("2026-11-02 09:00", periods=n, freq="7D"),
        "category": ["litter"] * n,
    }
    frame.update(columns)
    return gpd.GeoDataFrame(frame, geometry=list(points), crs=crs)


def test_a_point_near_a_river_takes_its_reach_units_and_chief(tiny) -> None:
    # 30 m north of the inside river, 300 m along it.
    line = tiny.reaches.set_index("river_id").loc["inside"].geometry
    p = shapely.line_interpolate_point(line, 300.0)
    out = route_events(tiny, events_at([Point(p.x, p.y + 30)])).iloc[0]
    assert out["river_id"] == "inside"
    assert out["match"] == "spatial"
    assert out["street"] == "330602001"
    assert out["district"] == "330602"
    assert out["responsible"] == "330602001"
    assert out["responsible_name"] == "府山街道"
    assert out["chief"] == "府山街道河长"
    assert out["chief_level"] == "street"
    assert out["chief_district"] == "越城区河长"
    assert 300 < out["chainage_m"] < 306
    # The river runs east-north-east: north of it is the left bank.
    assert out["side"] == "left"
    assert out["offset_m"] == pytest.approx(30 * np.cos(np.arctan2(100, 600)), abs=0.5)
    assert not out["ambiguous"]
    assert pd.isna(out["reason"])


def test_each_bank_of_a_boundary_reach_goes_to_its_own_unit(tiny) -> None:
    # The boundary river runs north along x = X0 + 2000: west is its left bank.
    west, east = route_events(
        tiny, events_at([Point(X0 + 1985, Y0 + 700), Point(X0 + 2015, Y0 + 700)])
    ).to_dict("records")
    assert west["kind"] == east["kind"] == "boundary"
    assert (west["side"], east["side"]) == ("left", "right")
    assert (west["district"], west["street"]) == ("330602", "330602001")
    assert (east["district"], east["street"]) == ("330603", "330603001")
    assert west["responsible"] == "330602001"
    assert west["chief"] == "府山街道河长"
    assert west["chief_district"] == "越城区河长"
    assert west["match"] == "spatial"
    # 柯桥街道 has no chief: the east bank's report says so rather than go to the west's.
    assert east["responsible"] == "330603001"
    assert east["chief_district"] == "柯桥区河长"
    assert east["match"] == "unmatched"
    assert east["reason"] == "no_chief"


def test_beyond_max_dist_is_too_far_and_a_wider_limit_reaches(tiny) -> None:
    far = events_at([Point(X0 + 500, Y0 + 700)])  # about 420 m north of the inside river
    out = route_events(tiny, far).iloc[0]
    assert out["match"] == "unmatched"
    assert out["reason"] == "too_far"
    assert pd.isna(out["reach_id"])
    wide = route_events(tiny, far, max_dist_m=500).iloc[0]
    assert wide["river_id"] == "inside"
    assert wide["match"] == "spatial"


def test_no_location_and_no_hint_is_unmatched_with_a_reason(tiny) -> None:
    out = route_events(tiny, events_at([None])).iloc[0]
    assert out["match"] == "unmatched"
    assert out["reason"] == "no_location"


def test_a_unit_without_a_chief_is_no_chief(tiny, tiny_rivers, tiny_units) -> None:
    # The crossing river's east part lies in 柯桥街道, which has no chief in the roster.
    out = route_events(tiny, events_at([Point(X0 + 2600, Y0 + 510)])).iloc[0]
    assert out["street"] == "330603001"
    assert out["responsible"] == "330603001"
    assert out["match"] == "unmatched"
    assert out["reason"] == "no_chief"
    assert out["reach_id"] is not None
    assert out["chief_district"] == "柯桥区河长"
    # Without a roster there is no chief to miss: the report is routed to its unit.
    plain = rm.assign(tiny_rivers, tiny_units)
    out = route_events(plain, events_at([Point(X0 + 2600, Y0 + 510)])).iloc[0]
    assert out["match"] == "spatial"
    assert out["responsible"] == "330603001"
    assert pd.isna(out["chief"])
    assert "chief_street" not in out.index


def test_confluence_is_ambiguous_with_the_other_units_reach(tiny) -> None:
    # Where the crossing river meets the boundary river, reaches of 330602 and 330603 meet.
    out = route_events(tiny, events_at([Point(X0 + 2000, Y0 + 497)])).iloc[0]
    assert out["ambiguous"]
    others = set(out["candidates"].split(";"))
    assert others
    assert out["reach_id"] not in others


def test_declared_river_wins_over_a_nearer_river(tiny) -> None:
    p = Point(X0 + 1990, Y0 + 520)  # nearest: the boundary river
    out = route_events(tiny, events_at([p], river_hint=["跨区河"])).iloc[0]
    assert out["match"] == "declared"
    assert out["river_id"] == "crossing"


def test_declared_river_without_location_goes_to_the_rivers_chief_unit(demo) -> None:
    canal = demo.rivers.set_index("name").loc["京杭运河(江南运河)"]
    out = route_events(demo, events_at([None], crs=4326, river_hint=["京杭运河(江南运河)"])).iloc[0]
    assert out["match"] == "declared"
    assert pd.isna(out["reach_id"])
    assert out["river_id"] == canal["river_id"]
    assert out["river"] == "京杭运河(江南运河)"
    assert out["responsible"] == canal["chief_unit"] == out[canal["chief_level"]]
    assert out["chief_level"] == canal["chief_level"]


def test_declared_reach_id_without_location(tiny) -> None:
    out = route_events(tiny, events_at([None], reach_hint=["inside#1"])).iloc[0]
    assert out["reach_id"] == "inside#1"
    assert out["match"] == "declared"
    assert out["chief"] == "府山街道河长"
    assert pd.isna(out["chainage_m"])
    # A boundary reach without a point: both banks answer, as on the reach.
    both = route_events(tiny, events_at([None], reach_hint=["boundary#1"])).iloc[0]
    assert both["responsible"] == "330602001;330603001"
    assert both["match"] == "declared"
    assert both["chief"] == "府山街道河长;"
    assert both["chief_level"] == "street"


def test_unknown_hints_warn_and_the_location_decides(tiny) -> None:
    p = Point(X0 + 500, Y0 + 300)
    with pytest.warns(rm.errors.RivermapWarning, match="no river"):
        out = route_events(tiny, events_at([p], river_hint=["无此河"])).iloc[0]
    assert out["match"] == "spatial"
    assert out["river_id"] == "inside"


def test_board_code_routes_to_the_boards_unit(tiny) -> None:
    board = "330603:crossing"
    out = route_events(tiny, events_at([None], board_hint=[board])).iloc[0]
    assert out["match"] == "qr"
    assert out["responsible"] == "330603"
    assert out["chief"] == "柯桥区河长"
    assert out["district"] == "330603"
    url = "https://x.cn/b?board=330602:inside"
    located = route_events(tiny, events_at([Point(X0 + 500, Y0 + 230)], board_hint=[url]))
    assert located["match"].iloc[0] == "qr"
    assert located["chief"].iloc[0] == "府山街道河长"


def test_the_same_point_in_every_crs_routes_the_same(tiny) -> None:
    # The same place as metres (CGCS2000 GK), WGS84, and Gaode (GCJ-02) and Baidu (BD-09)
    # coordinates read from a table: one route.
    p = Point(X0 + 2600, Y0 + 530)
    metric = events_at([p])
    wgs = metric.to_crs(4326)
    lon, lat = wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()
    table = pd.DataFrame(wgs.drop(columns="geometry"))
    frames = [wgs, metric.to_crs(32651)]
    for crs, convert in (("GCJ-02", _gcj02.wgs84_to_gcj02), ("BD-09", _gcj02.wgs84_to_bd09)):
        x, y = convert(lon, lat)
        frames.append(read_events(table.assign(lon=x, lat=y), crs=crs))
    base = route_events(tiny, metric).iloc[0]
    for frame in frames:
        out = route_events(tiny, frame).iloc[0]
        assert out["reach_id"] == base["reach_id"]
        assert out["side"] == base["side"]
        assert out["chainage_m"] == pytest.approx(base["chainage_m"], abs=0.5)
        assert out["offset_m"] == pytest.approx(base["offset_m"], abs=0.5)


def test_duplicates_point_to_the_earliest_report(tiny) -> None:
    p = Point(X0 + 500, Y0 + 300)
    frame = events_at([p, Point(p.x + 20, p.y), Point(p.x + 20, p.y), Point(p.x + 400, p.y)])
    frame["reported_at"] = pd.to_datetime(
        ["2026-11-02 09:00", "2026-11-03 09:00", "2026-11-09 09:00", "2026-11-02 10:00"]
    )
    out = route_events(tiny, frame)
    assert pd.isna(out["duplicate_of"].iloc[0])
    assert out["duplicate_of"].iloc[1] == "e0"
    assert pd.isna(out["duplicate_of"].iloc[2])  # a week later: a new report
    assert pd.isna(out["duplicate_of"].iloc[3])  # 400 m away


def test_routing_keeps_order_columns_and_input(tiny) -> None:
    # A column of the user's named like a level is the user's: kept, renamed.
    frame = events_at([Point(X0 + 500, Y0 + 300), None], extra=["a", "b"], street=["x", "y"])
    before = frame.copy()
    out = route_events(tiny, frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["event_id"].tolist() == ["e0", "e1"]
    assert out["extra"].tolist() == ["a", "b"]
    assert out["street_input"].tolist() == ["x", "y"]
    assert out["street"].tolist()[0] == "330602001"
    again = route_events(tiny, out)
    pd.testing.assert_frame_equal(pd.DataFrame(again), pd.DataFrame(out))


def test_order_of_events_does_not_change_routes(demo) -> None:
    frame = sample_near_reaches(demo, 300, seed=5)
    out = route_events(demo, frame).set_index("event_id")
    shuffled = route_events(demo, frame.sample(frac=1, random_state=1)).set_index("event_id")
    pd.testing.assert_frame_equal(
        pd.DataFrame(out).drop(columns="geometry"),
        pd.DataFrame(shuffled.loc[out.index]).drop(columns="geometry"),
    )


def test_bad_arguments(tiny) -> None:
    with pytest.raises(ParameterError, match="max_dist_m"):
        route_events(tiny, events_at([None]), max_dist_m=-1)
    with pytest.raises(TypeError, match="GeoDataFrame"):
        route_events(tiny, [1, 2])
    with pytest.raises(SchemaError, match="event_id"):
        route_events(tiny, gpd.GeoDataFrame({"x": [1]}, geometry=[None], crs=4326))


def sample_near_reaches(resp: rm.Responsibility, n: int, seed: int) -> gpd.GeoDataFrame:
    """Points within 0–400 m of random reaches of ``resp`` (WGS84)."""
    rng = np.random.default_rng(seed)
    reaches = resp.reaches.to_crs(4549)
    pick = rng.integers(0, len(reaches), n)
    geoms = reaches.geometry.to_numpy()[pick]
    along = shapely.line_interpolate_point(geoms, rng.random(n), normalized=True)
    angle = rng.random(n) * 2 * np.pi
    dist = rng.random(n) * 400
    xy = (
        shapely.get_coordinates(along)
        + np.column_stack([np.cos(angle), np.sin(angle)]) * dist[:, None]
    )
    frame = events_at(shapely.points(xy), crs="EPSG:4549").to_crs(4326)
    frame["reported_at"] = pd.Timestamp("2026-11-01") + pd.to_timedelta(np.arange(n), unit="D")
    return frame


def test_nearest_reach_matches_an_independent_sjoin_nearest(demo) -> None:
    frame = sample_near_reaches(demo, 2000, seed=11)
    out = route_events(demo, frame)
    metric = frame.to_crs(4549)
    reaches = demo.reaches.to_crs(4549)[["reach_id", "geometry"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = gpd.sjoin_nearest(metric, reaches, how="left", max_distance=200, distance_col="d")
    ref = ref[~ref.index.duplicated(keep="first")].sort_index()
    found = out["reach_id"].notna().to_numpy()
    assert (found == ref["reach_id"].notna().to_numpy()).all()
    # Distances agree to centimetres; the reach too, but where two lie equally near.
    # (rivermap's are metres on the ground: the projection's scale, up to 1.0003 here, divided out)
    np.testing.assert_allclose(out["offset_m"][found], ref["d"][found], rtol=5e-4, atol=0.05)
    # The reach is sjoin's, or one exactly as near (the data draws some rivers twice).
    line = reaches.set_index("reach_id").geometry
    ours = line.loc[out["reach_id"][found]].to_numpy()
    theirs = line.loc[ref["reach_id"][found]].to_numpy()
    points = metric.geometry[found].to_numpy()
    np.testing.assert_allclose(
        shapely.distance(points, ours), shapely.distance(points, theirs), atol=1e-6
    )
    assert (out["match"][~found] == "unmatched").all()
    assert (out["reason"][~found] == "too_far").all()
    # Routed reports lie in the unit they are routed to (bank-resolved), as polygons tell.
    units = demo.units[demo.units["level"] == "district"].to_crs(4549)
    inside = gpd.sjoin(metric[found & (out["offset_m"] > 25).to_numpy()], units, predicate="within")
    routed = out.loc[inside.index, "district"]
    agree = (routed.to_numpy() == inside["unit_id"].to_numpy()) | routed.isna().to_numpy()
    assert agree.mean() > 0.95


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.floats(X0 - 300, X0 + 4300), min_size=1, max_size=30),
    ys=st.lists(st.floats(Y0 - 300, Y0 + 2300), min_size=1, max_size=30),
)
def test_route_properties_on_random_points(tiny_routes, xs, ys) -> None:
    # Whatever the points: a routed report's chainage lies within its reach, its offset is
    # the distance shapely measures to that reach, within max_dist_m, and nothing is lost.
    tiny, reaches = tiny_routes
    points = [Point(x, y) for x, y in zip(xs, ys, strict=False)]
    out = route_events(tiny, events_at(points))
    assert len(out) == len(points)
    found = out["reach_id"].notna().to_numpy()
    assert (out["match"][~found] == "unmatched").all()
    rows = reaches.loc[out["reach_id"][found]]
    chainage = out["chainage_m"][found].to_numpy()
    assert (chainage >= rows["from_m"].to_numpy() - 1e-6).all()
    assert (chainage <= rows["to_m"].to_numpy() + 1e-6).all()
    geoms = np.array(points, dtype=object)[found]
    np.testing.assert_allclose(
        out["offset_m"][found].to_numpy(),
        shapely.distance(geoms, rows.geometry.to_numpy()),
        rtol=1e-4,  # metres on the ground: the GK scale, ~1.00002 here, divided out
        atol=1e-6,
    )
    assert (out["offset_m"][found] <= 200 + 1e-9).all()


@pytest.fixture(scope="module")
def tiny_routes():
    from tests.conftest import tiny_units_frame

    x0, y0 = X0, Y0
    rivers = gpd.GeoDataFrame(
        {"river_id": ["inside", "crossing", "boundary"], "name": ["内河", "跨区河", "界河"]},
        geometry=[
            shapely.LineString([(x0 + 200, y0 + 200), (x0 + 800, y0 + 300)]),
            shapely.LineString([(x0 + 1000, y0 + 500), (x0 + 3000, y0 + 500)]),
            shapely.LineString([(x0 + 2003, y0 + 100), (x0 + 1998, y0 + 900)]),
        ],
        crs="EPSG:4549",
    )
    resp = rm.assign(rivers, rm.AdminUnits(tiny_units_frame(), ["district", "street"]))
    return resp, resp.reaches.set_index("reach_id")
