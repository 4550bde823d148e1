"""Tests of the synthetic tickets and patrols (:mod:`rivermap._synth_reports`).

Every promise of the generator is checked independently of how it was made:
points are converted back from GCJ-02, measured in the responsibility's
metric CRS with shapely's own projection, and the bank is taken from the
direction of the reach at the nearest point. Two responsibilities: the
Zhejiang demo (EPSG:4326, example roster) and a small synthetic city
(EPSG:4549, a roster built from its units).
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import rivermap as rm
from rivermap._gcj02 import gcj02_to_wgs84
from rivermap._synth_reports import EVENT_CASES, PATROL_CASES
from rivermap.synth import make_city, make_events, make_patrols, write_month
from rivermap.text import TERMS, term
from rivermap.units import AdminUnits

HEADERS = [
    "工单编号",
    "上报时间",
    "来源",
    "问题类型",
    "状态",
    "办理时限",
    "办结时间",
    "问题描述",
    "经度",
    "纬度",
    "河流",
    "公示牌编号",
    "数据说明",
]
#: How far off its reach each located case was put (metres).
OFFSETS = {
    "inside": 60.0,
    "boundary_left": 40.0,
    "boundary_right": 40.0,
    "outside": 60.0,
    "qr": 60.0,
    "declared": 60.0,
}
GPX = "{http://www.topografix.com/GPX/1/1}"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo_chiefs(demo: rm.Responsibility) -> rm.Responsibility:
    """Return the Zhejiang demo with the example roster."""
    return demo.with_chiefs(rm.chiefs.example_roster_path())


@pytest.fixture(scope="module")
def city_chiefs() -> rm.Responsibility:
    """Return a small synthetic city in EPSG:4549: a chief per unit, and one deputy."""
    rivers, units = make_city(100, 80, seed=2)
    resp = rm.assign(rivers, AdminUnits(units, ("district", "street", "community")))
    roster = pd.DataFrame(
        {
            "unit_id": units["unit_id"],
            "level": units["level"],
            "name": units["name"] + "河长",
            "phone": [f"1380000{i:04d}" for i in range(len(units))],
        }
    )
    deputy = roster.iloc[[0]].assign(name="城区副河长", phone="13900000000", role="副河长")
    return resp.with_chiefs(pd.concat([roster, deputy], ignore_index=True))


@pytest.fixture(scope="module", params=["demo", "city"])
def resp(
    request: pytest.FixtureRequest, demo_chiefs: rm.Responsibility, city_chiefs: rm.Responsibility
) -> rm.Responsibility:
    """Return each of the two responsibilities."""
    return demo_chiefs if request.param == "demo" else city_chiefs


@pytest.fixture(scope="module")
def events(resp: rm.Responsibility) -> pd.DataFrame:
    """Return a month of tickets (300 on the demo, 120 on the city)."""
    n = 300 if resp.crs.to_epsg() == 4326 else 120
    return make_events(resp, n=n, seed=3)


@pytest.fixture(scope="module")
def patrols(resp: rm.Responsibility) -> gpd.GeoDataFrame:
    """Return a month of patrols."""
    return make_patrols(resp, seed=3)


# ------------------------------------------------------------------- helpers
def metric(resp: rm.Responsibility) -> pyproj.CRS:
    """Return the metric CRS the responsibility was assigned in."""
    return pyproj.CRS.from_user_input(resp.summary["metric_crs"])


def reach_lines(resp: rm.Responsibility) -> pd.Series:
    """Return the reach lines in metres, indexed by reach_id."""
    reaches = resp.reaches.to_crs(metric(resp))
    return pd.Series(reaches.geometry.to_numpy(), index=reaches["reach_id"].to_numpy())


def ticket_points(resp: rm.Responsibility, table: pd.DataFrame) -> np.ndarray:
    """Return the tickets' points in metres, from their GCJ-02 columns (None where empty)."""
    lon, lat = gcj02_to_wgs84(table["经度"].to_numpy(float), table["纬度"].to_numpy(float))
    x, y = pyproj.Transformer.from_crs(4326, metric(resp), always_xy=True).transform(lon, lat)
    pts = shapely.points(np.column_stack([x, y]))
    pts[np.isnan(lon)] = None
    return pts


def side_of(line: shapely.Geometry, point: shapely.Point) -> str:
    """Return the bank of ``point``: left or right of ``line``'s direction at its nearest point."""
    s = line.project(point)
    a = line.interpolate(max(s - 0.5, 0.0))
    b = line.interpolate(min(s + 0.5, line.length))
    foot = line.interpolate(s)
    cross = (b.x - a.x) * (point.y - foot.y) - (b.y - a.y) * (point.x - foot.x)
    return "left" if cross > 0 else "right"


def speeds_kmh(tracks: gpd.GeoDataFrame, crs: pyproj.CRS) -> pd.DataFrame:
    """Return per patrol: points, path metres, seconds and mean speed (by time order)."""
    m = tracks.to_crs(crs)
    rows = []
    for pid, group in m.groupby("patrol_id", sort=False):
        g = group.sort_values("time", kind="stable")
        xy = shapely.get_coordinates(g.geometry.to_numpy())
        metres = float(np.hypot(*np.diff(xy, axis=0).T).sum())
        seconds = (g["time"].max() - g["time"].min()).total_seconds()
        rows.append((pid, len(g), metres, seconds, metres / seconds * 3.6 if seconds else np.nan))
    return pd.DataFrame(rows, columns=["patrol_id", "n", "metres", "seconds", "kmh"])


# ------------------------------------------------------------------- tickets
def test_every_ticket_case_is_present(events: pd.DataFrame) -> None:
    counts = events.attrs["truth"]["case"].value_counts()
    assert set(counts.index) == set(EVENT_CASES)
    assert counts.min() >= 3


def test_the_demo_month_has_its_share_of_each_case(demo_chiefs: rm.Responsibility) -> None:
    counts = make_events(demo_chiefs).attrs["truth"]["case"].value_counts().to_dict()
    assert counts == {
        "inside": 120,
        "qr": 36,
        "duplicate": 30,
        "declared": 24,
        "boundary_left": 18,
        "boundary_right": 18,
        "no_location": 18,
        "far": 15,
        "confluence": 12,
        "outside": 9,
    }


def test_tickets_read_like_an_office_export(events: pd.DataFrame) -> None:
    assert events.columns.tolist() == HEADERS
    n = len(events)
    assert events["工单编号"].tolist() == [f"SYN-202611-{i:05d}" for i in range(1, n + 1)]
    both = f"{term('msg.synthetic', 'zh')} / {term('msg.synthetic', 'en')}"
    assert set(events["数据说明"]) == {both}
    stamp = re.compile(r"2026-11-\d\d \d\d:\d\d")
    assert events["上报时间"].map(lambda v: bool(stamp.fullmatch(v))).all()
    reported = pd.to_datetime(events["上报时间"])
    assert reported.is_monotonic_increasing
    days = (pd.to_datetime(events["办理时限"]) - reported).dt.total_seconds() / 86400
    assert days.between(3, 15).all()
    closed = events["状态"].isin(["办结", "归档"])
    assert events.loc[closed, "办结时间"].notna().all()
    assert events.loc[~closed, "办结时间"].isna().all()
    assert (pd.to_datetime(events.loc[closed, "办结时间"]) > reported[closed]).all()
    assert set(events["状态"]) <= {"办结", "归档", "办理中", "交办", "退回", "登记"}
    assert events["状态"].value_counts().index[0] == "办结"
    assert events["来源"].value_counts().index[0] == "12345热线"
    for header, family in (("问题类型", "category"), ("来源", "source")):
        words = {zh for key, (zh, _) in TERMS.items() if key.startswith(f"{family}.")}
        assert set(events[header]) <= words
    assert events["问题描述"].str.len().min() > 5
    located = events["经度"].notna()
    assert (events.loc[located, "经度"].round(6) == events.loc[located, "经度"]).all()
    assert (events["经度"].isna() == events["纬度"].isna()).all()


def test_located_tickets_lie_off_their_reach_on_the_stated_bank(
    resp: rm.Responsibility, events: pd.DataFrame
) -> None:
    truth = events.attrs["truth"]
    lines = reach_lines(resp)
    tree = shapely.STRtree(lines.to_numpy())
    pts = ticket_points(resp, events)
    placed = truth["case"].isin(list(OFFSETS)) & truth["reach_id"].notna()
    assert placed.sum() > 0.6 * len(truth)
    for i in np.flatnonzero(placed):
        case, reach, side = truth.loc[i, ["case", "reach_id", "side"]]
        line = lines[reach]
        dist = shapely.distance(pts[i], line)
        assert dist <= OFFSETS[case] + 0.5, (case, reach, dist)
        assert side_of(line, pts[i]) == side, (case, reach)
        if case == "boundary_left":
            assert side == "left"
        if case == "boundary_right":
            assert side == "right"
        # no other reach comes close: the router has one answer
        others = tree.query(pts[i], predicate="dwithin", distance=dist + 20.0)
        assert set(lines.index[others]) == {reach}
    kinds = resp.reaches.set_index("reach_id")["kind"]
    assert set(kinds[truth.loc[truth["case"] == "inside", "reach_id"]]) == {"inside"}
    assert set(kinds[truth.loc[truth["case"].str.startswith("boundary"), "reach_id"]]) == {
        "boundary"
    }
    assert set(kinds[truth.loc[truth["case"] == "outside", "reach_id"]]) == {"outside"}


def test_the_true_points_are_the_gcj02_points_back_in_wgs84(events: pd.DataFrame) -> None:
    truth = events.attrs["truth"]
    lon, lat = gcj02_to_wgs84(events["经度"].to_numpy(float), events["纬度"].to_numpy(float))
    located = ~np.isnan(lon)
    assert np.allclose(lon[located], truth["true_lon"][located], atol=2e-6)
    assert np.allclose(lat[located], truth["true_lat"][located], atol=2e-6)
    # GCJ-02 is not WGS84: the table is shifted by hundreds of metres
    shift = np.hypot(
        events["经度"].to_numpy(float) - truth["true_lon"], events["纬度"] - truth["true_lat"]
    )
    assert (shift[located] > 1e-3).all()


def test_far_tickets_are_far_from_every_reach(
    resp: rm.Responsibility, events: pd.DataFrame
) -> None:
    truth = events.attrs["truth"]
    pts = ticket_points(resp, events)[truth["case"] == "far"]
    gaps = shapely.distance(pts[:, None], reach_lines(resp).to_numpy()[None, :]).min(axis=1)
    assert (gaps > 500).all()
    assert (gaps <= 3000).all()
    assert truth.loc[truth["case"] == "far", "reach_id"].isna().all()


def test_confluence_tickets_lie_between_two_rivers(
    resp: rm.Responsibility, events: pd.DataFrame
) -> None:
    truth = events.attrs["truth"]
    pts = ticket_points(resp, events)[truth["case"] == "confluence"]
    reaches = resp.reaches.to_crs(metric(resp))
    for pt in pts:
        near = reaches[reaches.distance(pt) <= 30 + 50 + 1]
        assert near["river_id"].nunique() >= 2


def test_outside_tickets_are_in_no_unit(resp: rm.Responsibility, events: pd.DataFrame) -> None:
    truth = events.attrs["truth"]
    pts = ticket_points(resp, events)[truth["case"] == "outside"]
    units = resp.units.to_crs(metric(resp))
    assert not shapely.contains(units.geometry.to_numpy()[None, :], pts[:, None]).any()


def test_signboard_scans_carry_the_code_of_the_river_chief_unit(
    resp: rm.Responsibility, events: pd.DataFrame
) -> None:
    truth = events.attrs["truth"]
    qr = (truth["case"] == "qr").to_numpy()
    assert set(events.loc[qr, "来源"]) == {"公示牌扫码"}
    assert events.loc[~qr, "公示牌编号"].isna().all()
    chief_unit = resp.rivers.set_index("river_id")["chief_unit"]
    expected = chief_unit[truth.loc[qr, "river_id"]].to_numpy() + ":" + truth.loc[qr, "river_id"]
    assert (events.loc[qr, "公示牌编号"].to_numpy() == expected.to_numpy()).all()
    river_of = resp.reaches.set_index("reach_id")["river_id"]
    placed = qr & truth["reach_id"].notna().to_numpy()
    assert (
        river_of[truth.loc[placed, "reach_id"]].to_numpy() == truth.loc[placed, "river_id"]
    ).all()
    unplaced = qr & events["经度"].isna().to_numpy()
    assert 1 <= unplaced.sum() < qr.sum()


def test_tickets_that_name_a_river_name_the_right_one(
    resp: rm.Responsibility, events: pd.DataFrame
) -> None:
    truth = events.attrs["truth"]
    names = resp.rivers.set_index("river_id")["name"].fillna(pd.Series(resp.rivers["river_id"]))
    declared = (truth["case"] == "declared").to_numpy()
    river_of = resp.reaches.set_index("reach_id")["river_id"]
    assert (
        river_of[truth.loc[declared, "reach_id"]].to_numpy() == truth.loc[declared, "river_id"]
    ).all()
    assert (
        events.loc[declared, "河流"].to_numpy() == names[truth.loc[declared, "river_id"]].to_numpy()
    ).all()
    lost = (truth["case"] == "no_location").to_numpy()
    assert events.loc[lost, "经度"].isna().all()
    named = events.loc[lost, "河流"].notna()
    assert named.sum() > 0
    assert named.sum() - (~named).sum() in (0, 1)
    others = ~(declared | lost)
    assert events.loc[others, "河流"].isna().all()


def test_duplicates_repeat_a_ticket_nearby_and_later(
    resp: rm.Responsibility, events: pd.DataFrame
) -> None:
    truth = events.attrs["truth"]
    pts = ticket_points(resp, events)
    row = pd.Series(np.arange(len(events)), index=events["工单编号"])
    copies = np.flatnonzero(truth["case"] == "duplicate")
    originals = row[truth["duplicate_of"].iloc[copies]].to_numpy()
    assert truth.loc[truth["case"] != "duplicate", "duplicate_of"].isna().all()
    assert (truth["case"].to_numpy()[originals] != "duplicate").all()
    dist = shapely.distance(pts[copies], pts[originals])
    assert ((dist >= 5 - 0.5) & (dist <= 20 + 0.5)).all()
    hours = (
        pd.to_datetime(events["上报时间"].iloc[copies]).to_numpy()
        - pd.to_datetime(events["上报时间"].iloc[originals]).to_numpy()
    ) / np.timedelta64(1, "h")
    assert ((hours >= 1 - 1 / 60) & (hours <= 48)).all()
    same = events["问题类型"].to_numpy()
    assert (same[copies] == same[originals]).all()


def test_tickets_depend_on_the_seed_only(demo_chiefs: rm.Responsibility) -> None:
    one = make_events(demo_chiefs, n=40, seed=5)
    pd.testing.assert_frame_equal(one, make_events(demo_chiefs, n=40, seed=5))
    pd.testing.assert_frame_equal(
        one.attrs["truth"], make_events(demo_chiefs, n=40, seed=5).attrs["truth"]
    )
    assert not one.equals(make_events(demo_chiefs, n=40, seed=6))
    assert not one.equals(make_events(demo_chiefs, n=40, seed=5, month="2026-12"))
    shuffled = dataclasses.replace(
        demo_chiefs,
        reaches=demo_chiefs.reaches.sample(frac=1.0, random_state=1),
        rivers=demo_chiefs.rivers.sample(frac=1.0, random_state=2),
    )
    pd.testing.assert_frame_equal(one, make_events(shuffled, n=40, seed=5))


def test_ticket_arguments_are_checked(demo_chiefs: rm.Responsibility) -> None:
    for month in ("2026-13", "Nov 2026", "2026-1", 202611):
        with pytest.raises(rm.ParameterError, match="month"):
            make_events(demo_chiefs, month=month)
    with pytest.raises(rm.ParameterError, match="at least 30"):
        make_events(demo_chiefs, n=29)
    with pytest.raises(TypeError, match="n must be"):
        make_events(demo_chiefs, n=3.5)
    with pytest.raises(rm.ParameterError, match="seed"):
        make_events(demo_chiefs, seed=-1)


# ------------------------------------------------------------------- patrols
def test_every_patrol_case_is_present(patrols: gpd.GeoDataFrame) -> None:
    truth = patrols.attrs["truth"]
    assert set(truth["case"]) == set(PATROL_CASES)
    assert patrols.columns.tolist() == ["patrol_id", "person", "time", "geometry"]
    assert patrols.crs.to_epsg() == 4326
    assert patrols["time"].dtype.kind == "M"
    ids = truth["patrol_id"].dropna()
    assert ids.tolist() == [f"SYN-202611-P{i:04d}" for i in range(1, len(ids) + 1)]
    assert set(patrols["patrol_id"]) == set(ids)
    assert truth.loc[truth["case"] == "never", "patrol_id"].isna().all()


def test_patrol_speeds_and_lengths_follow_their_case(
    resp: rm.Responsibility, patrols: gpd.GeoDataFrame
) -> None:
    stats = speeds_kmh(patrols, metric(resp)).merge(patrols.attrs["truth"], on="patrol_id")
    by = stats.groupby("case")
    assert (by.get_group("drive_by")["kmh"] > 30).all()
    for case in ("normal", "outside_units", "unknown_person", "off_river"):
        moving = by.get_group(case)
        assert (moving["kmh"] < 12).all(), case
        assert (moving["seconds"] >= 20 * 60).all(), case
    short = by.get_group("short")
    assert (short["metres"] < 300).all()
    assert short["seconds"].between(3 * 60 - 30, 8 * 60 + 30).all()
    assert (by.get_group("one_point")["n"] == 1).all()
    walks = stats[stats["mode"] == "walk"]
    assert walks["kmh"].between(2.5, 7.0).all() or walks["case"].eq("short").any()


def test_only_the_out_of_order_tracks_go_back_in_time(patrols: gpd.GeoDataFrame) -> None:
    truth = patrols.attrs["truth"].set_index("patrol_id")["case"]
    back = patrols.groupby("patrol_id", sort=False)["time"].apply(
        lambda t: bool((t.diff().dt.total_seconds() < 0).any())
    )
    assert set(back[back].index) == set(truth[truth == "out_of_order"].index)
    gaps = patrols.groupby("patrol_id")["time"].diff().dt.total_seconds().dropna()
    ordered = gaps[gaps > 0]
    assert ordered.between(9, 31).mean() > 0.99


def test_tracks_go_where_their_case_says(
    resp: rm.Responsibility, patrols: gpd.GeoDataFrame
) -> None:
    truth = patrols.attrs["truth"].dropna(subset=["patrol_id"]).set_index("patrol_id")
    crs = metric(resp)
    pts = patrols.to_crs(crs)
    lines = reach_lines(resp)
    tree = shapely.STRtree(lines.to_numpy())
    units = resp.units.to_crs(crs).set_index("unit_id").geometry
    roster = resp.roster
    units_of = roster.groupby("name")["unit_id"].agg(set)
    river_of = resp.reaches.set_index("reach_id")["river_id"]
    for pid, group in pts.groupby("patrol_id"):
        case, person, reach = truth.loc[pid, ["case", "person", "reach_id"]]
        g = group.geometry.to_numpy()
        if case == "off_river":
            gap = tree.query_nearest(g, all_matches=False, return_distance=True)[1]
            assert (gap >= 300).mean() > 0.8, pid
            assert (gap <= 1500).all(), pid
            continue
        if case == "drive_by":  # along the river, on and beyond the person's reach
            river = lines[river_of == river_of[reach]].to_numpy()
            assert (shapely.distance(g[:, None], river[None, :]).min(axis=1) <= 50).all(), pid
            continue
        along = shapely.distance(g, lines[reach])
        assert (along <= 50).mean() > 0.9, (pid, case)
        if case == "unknown_person":
            assert person not in set(roster["name"])
            continue
        own = shapely.union_all(units[list(units_of[person])].to_numpy())
        inside = shapely.contains(own, g).mean()
        if case == "outside_units":
            assert inside < 0.2, pid
        elif case in ("normal", "out_of_order", "short"):
            assert inside > 0.6, (pid, case, inside)


def test_people_patrol_at_their_level_rhythm(
    patrols: gpd.GeoDataFrame, resp: rm.Responsibility
) -> None:
    truth = patrols.attrs["truth"]
    known = truth[truth["case"] != "unknown_person"]
    never = known[known["case"] == "never"]
    assert 0.1 <= len(never) / known["person"].nunique() <= 0.2
    assert not set(never["person"]) & set(known.loc[known["case"] != "never", "person"])
    bottom = resp.levels[-1]
    level = resp.roster.groupby("name")["level"].agg(lambda v: bottom if bottom in set(v) else "up")
    counts = known.dropna(subset=["patrol_id"]).groupby("person").size()
    assert counts[level[counts.index] == bottom].between(4, 5).all()
    assert (counts[level[counts.index] != bottom] <= 2).all()
    starts = patrols.groupby("patrol_id")["time"].min()
    hours = starts.dt.hour + starts.dt.minute / 60
    assert hours.between(8, 17).all()
    assert (starts.dt.month == 11).all()


def test_patrols_depend_on_the_seed_and_need_a_roster(demo_chiefs: rm.Responsibility) -> None:
    one = make_patrols(demo_chiefs, seed=1)
    again = make_patrols(demo_chiefs, seed=1)
    pd.testing.assert_frame_equal(one, again)
    pd.testing.assert_frame_equal(one.attrs["truth"], again.attrs["truth"])
    other = make_patrols(demo_chiefs, seed=2)
    assert len(one) != len(other) or not one.geom_equals(other).all()
    shuffled = dataclasses.replace(
        demo_chiefs,
        reaches=demo_chiefs.reaches.sample(frac=1.0, random_state=3),
        roster=demo_chiefs.roster.sample(frac=1.0, random_state=4),
    )
    pd.testing.assert_frame_equal(one, make_patrols(shuffled, seed=1))
    bare = dataclasses.replace(demo_chiefs, roster=None)
    with pytest.raises(ValueError, match="roster"):
        make_patrols(bare)


# --------------------------------------------------------------------- files
def test_write_month_writes_what_the_readers_read(
    demo_chiefs: rm.Responsibility, tmp_path: Path
) -> None:
    paths = write_month(demo_chiefs, tmp_path / "month", n_events=60, seed=4)
    assert set(paths) == {"events", "tracks", "tracks_csv"}
    assert paths["events"].read_bytes()[:3] == b"\xef\xbb\xbf"
    table = pd.read_csv(paths["events"], encoding="utf-8-sig", dtype=str)
    events = make_events(demo_chiefs, n=60, seed=4)
    assert table.columns.tolist() == HEADERS
    assert table["工单编号"].tolist() == events["工单编号"].tolist()
    assert np.allclose(table["经度"].astype(float), events["经度"], equal_nan=True)

    tracks = make_patrols(demo_chiefs, seed=4)
    files = sorted(paths["tracks"].glob("*.gpx"))
    assert [f.stem for f in files] == sorted(tracks["patrol_id"].unique())
    root = ET.parse(files[0]).getroot()
    assert root.tag == f"{GPX}gpx"
    assert root.get("version") == "1.1"
    first = tracks[tracks["patrol_id"] == files[0].stem]
    assert root.findtext(f"{GPX}metadata/{GPX}author/{GPX}name") == first["person"].iloc[0]
    desc = root.findtext(f"{GPX}metadata/{GPX}desc")
    assert term("msg.synthetic", "zh") in desc
    assert term("msg.synthetic", "en") in desc
    points = root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")
    assert len(points) == len(first)
    utc = pd.to_datetime([p.findtext(f"{GPX}time") for p in points]).tz_convert(None)
    assert (utc + pd.Timedelta(hours=8) == pd.DatetimeIndex(first["time"])).all()
    assert np.allclose([float(p.get("lon")) for p in points], first.geometry.x, atol=1e-7)

    csv = pd.read_csv(paths["tracks_csv"], encoding="utf-8-sig", dtype={"时间": str})
    assert csv.columns.tolist()[:5] == ["巡河编号", "巡河人", "时间", "经度", "纬度"]
    assert len(csv) == len(tracks)
    assert csv["时间"].iloc[0] == tracks["time"].iloc[0].strftime("%Y-%m-%d %H:%M:%S")


def test_write_month_never_overwrites_unasked(
    demo_chiefs: rm.Responsibility, tmp_path: Path
) -> None:
    paths = write_month(demo_chiefs, tmp_path, n_events=30, seed=1)
    before = paths["events"].read_bytes()
    stray = paths["tracks"] / "stray.gpx"
    stray.write_text("not a track", encoding="utf-8")
    with pytest.raises(rm.OutputExistsError, match="overwrite"):
        write_month(demo_chiefs, tmp_path, n_events=30, seed=2)
    assert paths["events"].read_bytes() == before
    assert stray.exists()
    write_month(demo_chiefs, tmp_path, n_events=30, seed=2, overwrite=True)
    assert paths["events"].read_bytes() != before
    assert not stray.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_readers_read_the_month_back(demo_chiefs: rm.Responsibility, tmp_path: Path) -> None:
    read_events = getattr(rm, "read_events", None)
    read_patrols = getattr(rm, "read_patrols", None)
    if read_events is None or read_patrols is None:
        pytest.skip("rivermap.read_events and read_patrols are not there yet")
    paths = write_month(demo_chiefs, tmp_path, n_events=60, seed=4)
    events = read_events(paths["events"], crs="GCJ-02")
    truth = make_events(demo_chiefs, n=60, seed=4).attrs["truth"]
    assert events["event_id"].tolist() == truth["event_id"].tolist()
    located = truth["true_lon"].notna().to_numpy()
    assert np.allclose(events.geometry.x[located], truth["true_lon"][located], atol=2e-6)
    made = make_patrols(demo_chiefs, seed=4)
    for pid in made["patrol_id"].unique()[[0, -1]]:  # two GPX files (a folder is slow)
        track = read_patrols(paths["tracks"] / f"{pid}.gpx")
        mine = made[made["patrol_id"] == pid]
        assert set(track["patrol_id"]) == {pid}
        assert track["person"].tolist() == mine["person"].tolist()
        assert (pd.DatetimeIndex(track["time"]) == pd.DatetimeIndex(mine["time"])).all()
        assert np.allclose(track.geometry.x, mine.geometry.x, atol=1e-7)
    table = read_patrols(paths["tracks_csv"])
    assert table["patrol_id"].tolist() == made["patrol_id"].tolist()
    assert (pd.DatetimeIndex(table["time"]) == pd.DatetimeIndex(made["time"])).all()
