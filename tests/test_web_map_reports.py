"""Tickets (工单) and patrol tracks on the web map: encoded, checked, and drawn in a real browser.

The tables are built here in the shape of ``rivermap.route_events`` and
``rivermap.patrol_coverage`` (their schemas are the contract). The browser
tests use Debian's chromium through Playwright with the network blocked (see
tests/browser.py) and skip with the reason when either is missing.
"""

from __future__ import annotations

import json
import re
import sys
import time
import types
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.ops
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

import rivermap as rm
from rivermap import params, text
from rivermap.crs import wgs84_to_gcj02
from rivermap.maps import _offline, _reports_layers, _style, responsibility_map, save_html
from rivermap.maps._reports_script import REPORTS_JS
from rivermap.maps.web import script_texts
from tests import browser as br

SCRIPT_TAG = "<script>alert(1)</script>"
IMG_TAG = "</script><img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}}{% if 1 %}x{% endif %}"
NOTE = "<b>合成演示数据</b> {{note}}"
STATUSES = tuple(_style.STATUS_COLOURS)
SOURCES = ("12345", "12319", "patrol", "qr", "superior", "media", "public")
CATEGORIES = ("mixed_sewage", "outfall", "houseboat", "encroachment", "farming", "litter")


# ----------------------------------------------------------- hand-built tables
def routed_events(resp: rm.Responsibility, n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """Return ``n`` tickets routed as ``rivermap.route_events`` routes them: near reaches, matched.

    Tickets cycle through the six statuses; every one lies 0–40 m from the
    reach it names, in EPSG:4326.
    """
    rng = np.random.default_rng(seed)
    reaches = resp.reaches.to_crs(4326).reset_index(drop=True)
    names = resp.units.set_index("unit_id")["name"]
    pick = rng.choice(len(reaches), n, replace=n > len(reaches))
    r = reaches.iloc[pick].reset_index(drop=True)
    frac = rng.uniform(0.1, 0.9, n)
    points = shapely.line_interpolate_point(np.asarray(r.geometry.values), frac, normalized=True)
    x = shapely.get_x(points) + rng.normal(0, 0.0002, n)
    y = shapely.get_y(points) + rng.normal(0, 0.0002, n)
    reported = pd.Timestamp("2026-03-01 08:00") + pd.to_timedelta(
        rng.integers(0, 30 * 24 * 60, n), unit="min"
    )
    status = np.array(STATUSES, dtype=object)[np.arange(n) % len(STATUSES)]
    finished = np.isin(status, ["closed", "archived"])
    category = np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)]
    none = pd.Series([None] * n, dtype=object)
    frame = pd.DataFrame(
        {
            "event_id": [f"EV{i:05d}" for i in range(n)],
            "reported_at": reported,
            "source": np.array(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), n)],
            "category": category,
            "status": status,
            "deadline": (reported + pd.Timedelta(days=7)).normalize(),
            "closed_at": pd.Series(reported + pd.Timedelta(days=3)).where(finished),
            "description": [
                f"{river}第{i}号排口附近发现问题，请尽快核查处理"
                for i, river in enumerate(r["name"].fillna(r["river_id"]))
            ],
            "reach_id": r["reach_id"].to_numpy(),
            "river_id": r["river_id"].to_numpy(),
            "river": r["name"].to_numpy(),
            "chainage_m": r["from_m"].to_numpy() + frac * r["length_m"].to_numpy(),
            "offset_m": rng.uniform(2, 40, n),
            "side": np.array(["left", "right"], dtype=object)[np.arange(n) % 2],
            "kind": r["kind"].to_numpy(),
            **{lv: r[lv].to_numpy() for lv in resp.levels},
            "responsible": r["responsible"].to_numpy(),
            "responsible_name": names.reindex(r["responsible"].astype(str)).to_numpy(),
            "chief": np.array(["张三", "李四", "王五"], dtype=object)[np.arange(n) % 3],
            "chief_level": "district",
            "chief_phone": [f"0571-8800{i % 100:02d}" for i in range(n)],
            "match": "spatial",
            "reason": none,
            "ambiguous": False,
            "candidates": none.copy(),
            "duplicate_of": none.copy(),
            "extra_column": "ignored",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs=4326)


def small_events(resp: rm.Responsibility) -> gpd.GeoDataFrame:
    """Return 30 tickets: every status, no status, unmatched, no location, ambiguous, hostile."""
    ev = routed_events(resp, 30, seed=1)
    ev.loc[6, "status"] = None
    ev.loc[[7, 8, 9], "match"] = "unmatched"
    ev.loc[[7, 8, 9], "reason"] = ["too_far", "outside", "no_location"]
    ev.loc[[7, 8, 9], ["chief", "chief_phone"]] = None
    ev.loc[9, "geometry"] = None
    ev.loc[10, "ambiguous"] = True
    ev.loc[10, "candidates"] = "reach_a#1;reach_b#2"
    ev.loc[11, "duplicate_of"] = "EV00002"
    ev.loc[12, ["description", "river"]] = [SCRIPT_TAG, IMG_TAG]
    ev.loc[13, ["description", "river", "event_id"]] = [IMG_TAG, SCRIPT_TAG, TEMPLATE]
    ev.loc[14, "match"] = "qr"
    ev.loc[15, ["match", "status"]] = ["declared", "in_progress"]
    return ev


def hand_patrols(resp: rm.Responsibility) -> gpd.GeoDataFrame:
    """Return six judged patrols: two valid, three invalid lines or points, one with no track."""
    lines = resp.reaches.sort_values("length_m", ascending=False).geometry.to_numpy()[:4]
    tracks = [shapely.ops.substring(g, 0.1, 0.5, normalized=True) for g in lines]
    start = pd.Timestamp("2026-03-02 09:00")
    frame = pd.DataFrame(
        {
            "patrol_id": [f"P{i}" for i in range(1, 7)],
            "person": ["张三", "李四", "王五", "赵六", "钱七", SCRIPT_TAG],
            "started_at": [start + pd.Timedelta(hours=i) for i in range(6)],
            "ended_at": [start + pd.Timedelta(hours=i, minutes=50) for i in range(6)],
            "minutes": [50.0, 72.4, 4.0, 0.0, 30.0, 41.0],
            "km": [3.21, 4.5, 6.0, 0.0, 1.0, 2.0],
            "n_points": [200, 260, 12, 1, 0, 90],
            "speed_kmh": [3.9, 3.7, 48.0, np.nan, np.nan, 2.9],
            "on_river_share": [0.95, 0.9, 0.8, np.nan, np.nan, 0.1],
            "own_share": [0.42, 0.31, 0.05, np.nan, np.nan, 0.0],
            "valid": [True, True, False, False, False, False],
            "reasons": [np.nan, np.nan, "short_time,too_fast", "one_point", "time_order",
                        f"off_river,{IMG_TAG}"],
        }
    )  # fmt: skip
    one_point = shapely.get_point(lines[3], 0)
    geometry = [*tracks[:3], one_point, LineString(), tracks[3]]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=resp.crs)


# ----------------------------------------------------------- reading the page
def payload_of(html: str) -> dict[str, Any]:
    """Return the data of the ``rivermap.reports(...)`` call in a rendered page."""
    start = html.index("rivermap.reports(")
    i = html.index(", ", start) + 2
    data, _ = json.JSONDecoder().raw_decode(html, i)
    return data  # type: ignore[no-any-return]


def unpack(column: dict[str, Any], n: int) -> list[Any]:
    """Return a column of the payload as a list (the inverse of ``_reports_layers._column``)."""
    if "s" not in column:
        return list(column["v"])
    digits, w = _reports_layers._DIGITS, column["w"]
    out: list[Any] = []
    for i in range(n):
        x = 0
        for ch in column["s"][i * w : (i + 1) * w]:
            x = x * len(digits) + digits.index(ch)
        out.append(None if x == 0 else x - 1 + column["o"])
    if "d" in column:
        return [None if v is None else column["d"][v] for v in out]
    return out


def decode_points(text_: str, factor: float) -> list[tuple[float, float]]:
    """Decode an encoded polyline into [(lat, lng)]."""
    out, i, lat, lng = [], 0, 0, 0
    while i < len(text_):
        vals = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(text_[i]) - 63
                i += 1
                result |= (b & 31) << shift
                shift += 5
                if b < 32:
                    break
            vals.append(~(result >> 1) if result & 1 else result >> 1)
        lat += vals[0]
        lng += vals[1]
        out.append((lat / factor, lng / factor))
    return out


def tickets_of(html: str) -> pd.DataFrame:
    """Return the located tickets of a page, one row each, with every column unpacked."""
    data = payload_of(html)["events"]
    n = data["n"]
    lat_lng = decode_points(data["pts"], data["factor"])
    rows = {key: unpack(col, n) for key, col in data["cols"].items()}
    status = data["status"]
    codes = unpack({k: v for k, v in status.items() if k != "d"}, n)
    rows["status"] = [status["d"][k] for k in codes]
    rows["colour"] = [status["c"][k] for k in codes]
    rows["flags"] = unpack(data["flags"], n)
    return pd.DataFrame(rows).assign(lat=[p[0] for p in lat_lng], lng=[p[1] for p in lat_lng])


def rendered(m: Any) -> str:
    return m.get_root().render()  # type: ignore[no-any-return]


def layer_names(html: str) -> list[str]:
    """Return the overlay names of the layer control, in order."""
    from html import unescape

    control = html[html.index("overlays :") : html.index("L.control.layers")]
    return [unescape(json.loads(f'"{n}"')) for n in re.findall(r'"((?:[^"\\]|\\.)*)" :', control)]


# ------------------------------------------------------------ the data, no browser
@pytest.mark.parametrize("lang", params.LANGS)
def test_every_located_ticket_is_written_once_with_its_words(demo, lang) -> None:
    ev = small_events(demo)
    html = rendered(responsibility_map(demo, flags=False, lang=lang, events=ev))
    data = payload_of(html)["events"]
    got = tickets_of(html).set_index("id")
    located = ev[ev.geometry.notna()].set_index("event_id")
    assert data["n"] == len(got) == len(located) == 29
    assert data["noLocation"] == 1
    assert data["noLocationText"] == text.term("ui.no_location_count", lang, n=1)
    assert sorted(got.index) == sorted(located.index)
    # points to 5 decimals, in any order
    assert np.allclose(got["lat"], located.geometry.y.reindex(got.index), atol=1e-5)
    assert np.allclose(got["lng"], located.geometry.x.reindex(got.index), atol=1e-5)
    for eid, row in located.iterrows():
        mine = got.loc[eid]
        code = text.text_or(row["status"])
        want = (
            text.term("ui.no_status", lang) if code is None else text.term(f"status.{code}", lang)
        )
        assert mine["status"] == want
        assert mine["colour"] == _style.STATUS_COLOURS.get(code, _style.NO_STATUS_COLOUR)
        assert mine["src"] == text.term(f"source.{row['source']}", lang)
        assert mine["cat"] == text.term(f"category.{row['category']}", lang)
        assert mine["sd"] == text.term(f"side.{row['side']}", lang)
        assert mine["mt"] == text.term(f"match.{row['match']}", lang)
        assert mine["rv"] == text.text_or(row["river"], row["river_id"])  # an unnamed river
        assert mine["rc"] == row["reach_id"]
        assert mine["ch"] == round(row["chainage_m"])
        assert mine["flags"] == (row["match"] == "unmatched") + 2 * bool(row["ambiguous"])
    assert got.loc["EV00007", "rs"] == text.term("route.too_far", lang)
    assert got.loc["EV00010", "cand"] == text.join_list(["reach_a#1", "reach_b#2"], lang)
    assert got.loc["EV00001", "cl"] == text.chief_title("district", lang)
    # times: minutes after the first day, as the script formats them
    t0 = pd.Timestamp(data["base"], unit="m")
    when = t0 + pd.to_timedelta(got.loc["EV00000", "t"], unit="m")
    assert when == located.loc["EV00000", "reported_at"]
    # the columns nobody filled are left out; the popup words are the tables' headers
    assert "dup" in data["cols"]  # one duplicate
    keys = payload_of(html)["eventKeys"]
    assert keys["reason"] == text.header("reason", lang, table="events")
    assert keys["chainage_m"] == text.term("col.chainage_m", lang)


def test_columns_of_few_values_are_written_once() -> None:
    assert _reports_layers._column(["a", "a", "b", None, "a"]) == {
        "d": ["a", "b"],
        "o": 0,
        "w": 1,
        "s": "$$%#$",
    }
    assert _reports_layers._column(["x", "y"]) == {"v": ["x", "y"]}
    assert _reports_layers._columns({"none": [None, None], "absent": None, "k": [1, 2]}).keys() == {
        "k"
    }
    assert set(_reports_layers._DIGITS).isdisjoint('"\\<>&{')


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(10**9), 10**9)), max_size=60))
def test_packed_integers_round_trip(values) -> None:
    packed = _reports_layers._packed(values)
    assert len(packed["s"]) == packed["w"] * len(values)
    assert unpack(packed, len(values)) == values
    assert _offline.js_literal(packed["s"]) == json.dumps(packed["s"])  # nothing escaped


def test_html_size_per_thousand_tickets(demo) -> None:
    def size(events: gpd.GeoDataFrame | None) -> int:
        return len(rendered(responsibility_map(demo, flags=False, events=events)).encode())

    many, few = routed_events(demo, 5000), routed_events(demo, 1000)
    per_1000 = (size(many) - size(few)) / 4
    bare = (size(many.drop(columns="description")) - size(few.drop(columns="description"))) / 4
    print(
        f"\nHTML per 1,000 tickets: {per_1000 / 1000:.1f} kB, {bare / 1000:.1f} kB of it without"
        f" descriptions (the demo map alone: {size(None) / 1000:.0f} kB)"
    )
    assert per_1000 < 120_000  # 27-character Chinese descriptions are more than half of it
    assert bare < 50_000


def test_tracks_are_drawn_in_degrees_from_any_crs(demo) -> None:
    patrols = hand_patrols(demo).to_crs(3857)
    html = rendered(responsibility_map(demo, flags=False, patrols=patrols))
    data = payload_of(html)["patrols"]
    assert data["n"] == 6
    lines = data["lines"]
    assert [bool(g) for g in lines] == [True, True, True, False, False, True]
    lat, lng = decode_points(lines[0][0], data["factor"])[0]
    minx, miny, maxx, maxy = demo.reaches.to_crs(4326).total_bounds
    assert miny - 0.01 < lat < maxy + 0.01
    assert minx - 0.01 < lng < maxx + 0.01
    assert [p[0] for p in data["points"]] == [3]  # the one-point track
    cols = {k: unpack(c, 6) for k, c in data["cols"].items()}
    assert cols["ok"] == [1, 1, 0, 0, 0, 0]
    assert cols["why"][2] == text.code_labels("short_time,too_fast", "zh", "patrol")
    assert cols["why"][5].endswith(IMG_TAG)  # an unknown code reads as itself
    assert cols["km"][0] == 3.21
    assert cols["min"][1] == 72


def test_events_in_a_metric_crs_are_drawn_in_degrees(demo) -> None:
    ev = small_events(demo)
    want = tickets_of(rendered(responsibility_map(demo, flags=False, events=ev)))
    got = tickets_of(rendered(responsibility_map(demo, flags=False, events=ev.to_crs(4549))))
    assert np.allclose(got["lat"], want["lat"], atol=2e-5)
    assert np.allclose(got["lng"], want["lng"], atol=2e-5)


def test_gaode_basemap_shifts_tickets_to_gcj02(demo) -> None:
    ev = small_events(demo)
    got = tickets_of(rendered(responsibility_map(demo, flags=False, events=ev, basemap="gaode")))
    shifted = wgs84_to_gcj02(ev[ev.geometry.notna()]).set_index("event_id")
    got = got.set_index("id")
    assert np.allclose(got["lng"], shifted.geometry.x.reindex(got.index), atol=1e-5)


def test_layers_and_legend_words_and_the_page_stays_offline(demo) -> None:
    for lang in params.LANGS:
        m = responsibility_map(
            demo, flags=False, lang=lang, events=small_events(demo), patrols=hand_patrols(demo)
        )
        html = rendered(m)
        names = layer_names(html)
        assert names[-2:] == [text.term("ui.patrols", lang), text.term("ui.events", lang)]
        assert _offline.is_strictly_offline(m)
        assert _offline.external_urls(html) == []
        assert html.count("RM.reports = function") == 1
        assert SCRIPT_TAG not in html
        assert IMG_TAG not in html
        assert TEMPLATE not in html


def test_a_map_without_reports_has_none_of_their_script(demo) -> None:
    html = rendered(responsibility_map(demo, flags=False))
    assert "rivermap.reports(" not in html
    assert "RM.reports = function" not in html


def test_the_script_finds_every_word_it_uses() -> None:
    used = set(re.findall(r"\bT\.(\w+)", REPORTS_JS))
    assert {"events", "valid_patrol", "unmatched_events", "zoom_in"} <= used
    for lang in params.LANGS:
        assert used <= set(script_texts(lang)), used - set(script_texts(lang))
    keys = set(re.findall(r"\bK\.(\w+)", REPORTS_JS))
    assert keys <= set(_reports_layers._EVENT_KEYS) | set(_reports_layers._PATROL_KEYS)


# ------------------------------------------------------ the note and synthetic data
@pytest.mark.parametrize("lang", params.LANGS)
def test_synthetic_tables_bring_the_notice(demo, lang) -> None:
    ev = small_events(demo)
    ev.attrs["synthetic"] = True
    data = payload_of(rendered(responsibility_map(demo, flags=False, lang=lang, events=ev)))
    assert data["note"] == text.term("msg.synthetic", lang)
    patrols = hand_patrols(demo)
    patrols.attrs["synthetic"] = True
    coverage = types.SimpleNamespace(patrols=patrols)
    data = payload_of(rendered(responsibility_map(demo, flags=False, lang=lang, patrols=coverage)))
    assert data["note"] == text.term("msg.synthetic", lang)
    data = payload_of(rendered(responsibility_map(demo, flags=False, events=ev, note="mine")))
    assert data["note"] == "mine"


def test_a_note_alone_is_a_banner_without_layers(demo) -> None:
    html = rendered(responsibility_map(demo, flags=False, note=NOTE))
    data = payload_of(html)
    assert data["note"] == NOTE
    assert data["events"] is None
    assert data["patrols"] is None
    assert text.term("ui.events", "zh") not in layer_names(html)
    assert "<b>合成" not in html  # the note reaches the page as escaped JSON only


# ------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": [1, 2]}, "events must be a GeoDataFrame of reports .* not list"),
        ({"events": pd.DataFrame({"event_id": ["a"]})}, "events must be .* not DataFrame"),
        ({"events": "events.csv"}, "events must be .* not str"),
        ({"patrols": "tracks.gpx"}, "patrols must be a PatrolCoverage .* not str"),
        ({"patrols": types.SimpleNamespace(patrols=[1])}, "patrols must be .* not SimpleNamespace"),
        ({"note": 3}, "note must be a string or None, not int"),
    ],
)
def test_a_wrong_type_is_a_type_error(demo, kwargs, message) -> None:
    with pytest.raises(TypeError, match=message):
        responsibility_map(demo, flags=False, **kwargs)


def test_tables_without_their_ids_are_schema_errors(demo) -> None:
    with pytest.raises(rm.SchemaError, match="events: missing column.*'event_id'"):
        responsibility_map(demo, events=small_events(demo).drop(columns="event_id"))
    with pytest.raises(rm.SchemaError, match="patrols: missing column.*'patrol_id'"):
        responsibility_map(demo, patrols=hand_patrols(demo).drop(columns="patrol_id"))


def test_located_tickets_without_a_crs_are_a_crs_error(demo) -> None:
    ev = small_events(demo)
    ev = gpd.GeoDataFrame(pd.DataFrame(ev).drop(columns="geometry"), geometry=list(ev.geometry))
    with pytest.raises(rm.CRSError, match="events has no CRS"):
        responsibility_map(demo, flags=False, events=ev)
    nowhere = ev.set_geometry(gpd.GeoSeries([None] * len(ev)))
    data = payload_of(rendered(responsibility_map(demo, flags=False, events=nowhere)))
    assert data["events"]["n"] == 0
    assert data["events"]["noLocation"] == len(ev)


@pytest.fixture
def fake_analyses(monkeypatch) -> dict[str, list[Any]]:
    """Stand in for rivermap.routing and rivermap.patrols; record their calls."""
    calls: dict[str, list[Any]] = {"route_events": [], "patrol_coverage": []}

    def route_events(resp, events):  # type: ignore[no-untyped-def]
        calls["route_events"].append((resp, events))
        return small_events(resp)

    def patrol_coverage(resp, points):  # type: ignore[no-untyped-def]
        calls["patrol_coverage"].append((resp, points))
        return types.SimpleNamespace(patrols=hand_patrols(resp))

    monkeypatch.setitem(
        sys.modules, "rivermap.routing", types.SimpleNamespace(route_events=route_events)
    )
    monkeypatch.setitem(
        sys.modules, "rivermap.patrols", types.SimpleNamespace(patrol_coverage=patrol_coverage)
    )
    return calls


def test_reports_as_read_are_routed_and_tracks_judged(demo, fake_analyses) -> None:
    read = small_events(demo)[["event_id", "reported_at", "description", "geometry"]]
    points = gpd.GeoDataFrame(
        {"patrol_id": ["P1", "P1"], "person": ["a", "a"], "time": pd.to_datetime(["2026", "2026"])},
        geometry=[Point(120, 30), Point(120.01, 30)],
        crs=4326,
    )
    html = rendered(responsibility_map(demo, flags=False, events=read, patrols=points))
    assert [(r, e is read) for r, e in fake_analyses["route_events"]] == [(demo, True)]
    assert [(r, p is points) for r, p in fake_analyses["patrol_coverage"]] == [(demo, True)]
    data = payload_of(html)
    assert data["events"]["n"] == 29
    assert data["patrols"]["n"] == 6


def test_a_bad_argument_is_found_before_any_routing(demo, fake_analyses) -> None:
    read = small_events(demo).drop(columns="match")
    with pytest.raises(rm.ParameterError, match="^lang "):
        responsibility_map(demo, lang="fr", events=read)
    with pytest.raises(TypeError, match="note must be"):
        responsibility_map(demo, events=read, note=b"bytes")
    assert fake_analyses["route_events"] == []


# ---------------------------------------------------------------- in a browser
REASON = br.unavailable_reason()
needs_browser = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def small_pages(demo, tmp_path_factory) -> dict[str, Path]:
    """Return the demo with the 30 tickets, the six patrols and a hostile note, in zh and en."""
    folder = tmp_path_factory.mktemp("reports")
    return {
        lang: save_html(
            responsibility_map(
                demo,
                flags=False,
                lang=lang,
                events=small_events(demo),
                patrols=hand_patrols(demo),
                note=NOTE,
            ),
            folder / f"reports_{lang}.html",
        )
        for lang in params.LANGS
    }


def open_ticket(page: Any, event_id: str, *, hover: bool = False) -> Any:
    """Centre the map on a ticket at zoom 14 and click it (or hover); return the popup."""
    page.evaluate("() => { rivermap.maps[0].map.closePopup(); }")
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
    x, y = page.evaluate(
        """(id) => {
            const h = rivermap.maps[0], E = h.reports.payload.events;
            const i = E.cols.id.v.indexOf(id);
            let found = null;
            h.map.setView(h.layers.events.rmLatLng(i), 14, {animate: false});
            h.layers.events.eachLayer((l) => { if (l.rmIndex === i) found = l; });
            const p = h.map.latLngToContainerPoint(found.getLatLng());
            const r = h.map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        event_id,
    )
    if hover:
        page.mouse.move(1, 1)
        page.mouse.move(x, y)
        tip = page.locator(".leaflet-tooltip.leaflet-tooltip-top").filter(has_text=event_id)
        tip.wait_for(timeout=5000)
        return tip
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    return popup


def open_patrol(page: Any, j: int) -> Any:
    """Click the middle of patrol ``j``'s track at zoom 13; return its popup."""
    page.evaluate("() => { rivermap.maps[0].map.closePopup(); }")
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
    x, y = page.evaluate(
        """(j) => {
            const h = rivermap.maps[0];
            let found = null;
            h.layers.patrols.eachLayer((l) => { if (l.rmIndex === j) found = l; });
            let ll = found.getLatLngs ? found.getLatLngs() : [found.getLatLng()];
            while (Array.isArray(ll[0])) ll = ll[0];
            const at = ll[Math.floor(ll.length / 2)];
            h.map.setView(at, 13, {animate: false});
            const p = h.map.latLngToContainerPoint(at);
            const r = h.map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        j,
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    return popup


def svg_attrs(page: Any, selector: str, attr: str) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        selector, "(els, a) => els.map((e) => e.getAttribute(a))", attr
    )


@needs_browser
def test_tickets_and_tracks_are_drawn_in_their_colours(chromium, demo, small_pages) -> None:
    page, log, seconds = br.open_map(chromium, small_pages["zh"])
    try:
        assert (log.blocked, log.failed, log.errors, log.dialogs) == ([], [], [], [])
        ev = small_events(demo)
        located = ev[ev.geometry.notna()]
        assert page.locator("path.rm-event").count() == len(located) == 29
        for code in (*STATUSES, None):
            cls = code or "none"
            want = (located["status"] == code).sum() if code else located["status"].isna().sum()
            fills = svg_attrs(page, f"path.rm-event.rm-status-{cls}", "fill")
            assert len(fills) == want > 0, code
            assert set(fills) == {_style.STATUS_COLOURS.get(code or "", _style.NO_STATUS_COLOUR)}
        strokes = svg_attrs(page, "path.rm-event.rm-unmatched", "stroke")
        assert strokes == [_style.UNMATCHED_COLOUR] * 2  # the third has no location
        assert svg_attrs(page, "path.rm-event.rm-ambiguous", "stroke-dasharray") == ["3 2"]
        assert svg_attrs(page, "path.rm-patrol-valid", "stroke") == [_style.VALID_PATROL_COLOUR] * 2
        dashes = svg_attrs(page, "path.rm-patrol-invalid", "stroke-dasharray")
        assert dashes == ["6 5"] * 3  # two lines and the one-point track; no track, no line
        legend = page.locator(".rm-legend").inner_text()
        assert f"{text.term('ui.events', 'zh')} (29)" in legend
        assert f"{text.term('status.in_progress', 'zh')} (6)" in legend
        assert f"{text.term('ui.unmatched_events', 'zh')} (2)" in legend
        assert text.term("ui.no_location_count", "zh", n=1) in legend
        assert f"{text.term('ui.valid_patrol', 'zh')} (2)" in legend
        assert f"{text.term('ui.invalid_patrol', 'zh')} (4)" in legend
        banner = page.locator(".rm-banner")
        assert banner.inner_text() == NOTE  # as text, braces and tags included
        layers = page.locator(".leaflet-control-layers").bounding_box()
        assert layers["y"] >= banner.bounding_box()["height"]  # the controls moved below it
        br.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(br.ARTIFACTS / "reports_map.png"))
        print(f"\nthe demo with 30 tickets and 6 patrols opened in {seconds:.2f} s")
        # the layer control turns both layers off and on
        for name, selector, n in (
            ("ui.events", "path.rm-event", 29),
            ("ui.patrols", ".rm-patrol", 5),
        ):
            box = page.locator(".leaflet-control-layers-overlays label").filter(
                has_text=text.term(name, "zh")
            )
            box.click()
            assert page.locator(selector).count() == 0
            box.click()
            assert page.locator(selector).count() == n
        assert log.errors == []
    finally:
        page.close()


def expected_words(ev: gpd.GeoDataFrame, eid: str, lang: str) -> list[str]:
    row = ev.set_index("event_id").loc[eid]
    return [
        eid,
        text.header("reported_at", lang, table="events"),
        row["reported_at"].strftime("%Y-%m-%d %H:%M"),
        text.term(f"source.{row['source']}", lang),
        text.term(f"category.{row['category']}", lang),
        text.term(f"status.{row['status']}", lang),
        text.text_or(row["river"], row["river_id"]),
        row["reach_id"],
        f"K{round(row['chainage_m']) // 1000}+",
        text.term(f"side.{row['side']}", lang),
        row["responsible_name"],
        text.term(f"match.{row['match']}", lang),
        text.header("chief", lang, table="events"),
        text.header("deadline", lang, table="events"),
    ]


def switch_language(page: Any, lang: str, levels: list[str]) -> None:
    """Press the page's language button; check every fixed word changed to ``lang``."""
    page.click(".rm-lang")
    assert page.evaluate("() => rivermap.maps[0].lang") == lang
    assert page.title() == text.term("ui.title", lang)
    assert page.locator(".rm-lang").inner_text() == text.term("ui.lang_switch", lang)
    assert page.get_attribute(".rm-search input", "placeholder") == text.term("ui.search", lang)
    names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [n.strip() for n in names] == [
        *(text.term("ui.unit_layer", lang, level=text.level_label(lv, lang)) for lv in levels),
        text.term("ui.rivers", lang),
        text.term("ui.patrols", lang),
        text.term("ui.events", lang),
    ]
    legend = page.locator(".rm-legend").inner_text()
    assert text.term("ui.legend", lang) in legend
    assert text.term("ui.events", lang) in legend
    assert text.term("ui.valid_patrol", lang) in legend
    assert page.locator(".rm-legend").count() == 1
    popup = page.evaluate(
        "() => { const h = rivermap.maps[0]; return h.reachPopup(h.D.reaches[0]).textContent; }"
    )
    assert text.term("ui.reach", lang) in popup
    assert all(text.level_label(lv, lang) in popup for lv in levels)


@needs_browser
@pytest.mark.parametrize(("made", "lang"), [("zh", "zh"), ("en", "en"), ("zh", "en"), ("en", "zh")])
def test_ticket_popups_speak_the_map_language(chromium, demo, small_pages, made, lang) -> None:
    """Made in one language, or switched to the other in the page: every word follows."""
    ev = small_events(demo)
    page, log, _ = br.open_map(chromium, small_pages[made])
    try:
        if made != lang:
            switch_language(page, lang, list(demo.levels))
        popup = open_ticket(page, "EV00015")
        got = popup.inner_text()
        for word in expected_words(ev, "EV00015", lang):
            assert word in got, (word, got)
        row = ev.set_index("event_id").loc["EV00015"]
        assert f"{row['chief']} ({text.chief_title('district', lang)})" in got
        assert row["chief_phone"] in got
        # unmatched: the match and the reason, in words
        got = open_ticket(page, "EV00007").inner_text()
        assert text.term("match.unmatched", lang) in got
        assert text.term("route.too_far", lang) in got
        assert text.header("reason", lang, table="events") in got
        # ambiguous: the flag and the other candidate reaches
        got = open_ticket(page, "EV00010").inner_text()
        assert text.header("ambiguous", lang, table="events") in got
        assert text.join_list(["reach_a#1", "reach_b#2"], lang) in got
        got = open_ticket(page, "EV00011").inner_text()
        assert text.header("duplicate_of", lang, table="events") in got
        assert "EV00002" in got
        got = open_ticket(page, "EV00006").inner_text()
        assert text.term("ui.no_status", lang) in got
        # a patrol's popup: valid or not, and why not
        got = open_patrol(page, 2).inner_text()
        assert text.term("ui.invalid_patrol", lang) in got
        assert text.code_labels("short_time,too_fast", lang, "patrol") in got
        assert text.header("speed_kmh", lang, table="patrols") in got
        assert "48" in got
        assert "5%" in got
        assert log.errors == []
        assert log.dialogs == []
    finally:
        page.close()


@needs_browser
def test_hostile_strings_show_as_text_and_run_nothing(chromium, small_pages) -> None:
    page, log, _ = br.open_map(chromium, small_pages["zh"])
    try:
        got = open_ticket(page, "EV00012").inner_text()
        assert SCRIPT_TAG in got
        assert IMG_TAG in got
        got = open_ticket(page, TEMPLATE).inner_text()
        assert SCRIPT_TAG in got
        assert IMG_TAG in got
        assert TEMPLATE in got
        page.keyboard.press("Escape")
        tip = open_ticket(page, "EV00012", hover=True).inner_text()
        assert IMG_TAG in tip
        got = open_patrol(page, 5).inner_text()
        assert SCRIPT_TAG in got
        assert IMG_TAG in got
        assert page.locator(".rm-banner b").count() == 0
        assert page.locator("img[src='x']").count() == 0
        assert page.locator(".leaflet-popup-content script").count() == 0
        assert log.dialogs == []
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()


def _drawn(page: Any) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const cl = [...document.querySelectorAll('.rm-cluster')].map((e) => +e.textContent);
            return {zoom: rivermap.maps[0].map.getZoom(), clusters: cl,
                    singles: document.querySelectorAll('path.rm-event').length};
        }"""
    )


def _set_view(page: Any, lat: float, lng: float, zoom: float) -> None:
    page.evaluate(
        """([lat, lng, z]) => new Promise((done) => {
            const map = rivermap.maps[0].map;
            map.once('moveend', () => requestAnimationFrame(() => done()));
            map.setView([lat, lng], z, {animate: false});
        })""",
        [lat, lng, zoom],
    )


@pytest.fixture(scope="module")
def many_page(demo, tmp_path_factory) -> tuple[Path, int]:
    ev = routed_events(demo, 5000, seed=7)
    ev.loc[ev.index[:10], "geometry"] = None
    ev.loc[ev.index[10:60], ["match", "reason"]] = ["unmatched", "too_far"]
    path = tmp_path_factory.mktemp("many") / "tickets_5000.html"
    return save_html(responsibility_map(demo, flags=False, events=ev), path), 4990


@needs_browser
def test_thousands_of_tickets_are_clustered_and_split_when_zoomed(chromium, many_page) -> None:
    path, located = many_page
    page, log, seconds = br.open_map(chromium, path)
    try:
        assert (log.blocked, log.errors) == ([], [])
        lat, lng = page.evaluate(
            "() => { const c = rivermap.maps[0].layers.events.rmBounds().getCenter();"
            " return [c.lat, c.lng]; }"
        )
        _set_view(page, lat, lng, 7)
        low = _drawn(page)
        assert low["clusters"]
        assert min(low["clusters"]) >= 2
        assert sum(low["clusters"]) + low["singles"] == located
        assert len(low["clusters"]) + low["singles"] < 300
        assert page.locator(".rm-cluster.rm-cluster-bad").count() >= 1  # unmatched inside
        # clicking the biggest cluster zooms in and splits it
        biggest = max(low["clusters"])
        page.evaluate(
            "() => { window.rmMoved = new Promise((done) =>"
            " rivermap.maps[0].map.once('moveend', () => requestAnimationFrame(done))); }"
        )
        cluster = page.locator(".rm-cluster").filter(has_text=re.compile(f"^{biggest}$")).first
        cluster.dispatch_event("click")  # a click on it, wherever its neighbours overlap it
        page.evaluate("() => window.rmMoved")
        high = _drawn(page)
        assert high["zoom"] > low["zoom"]
        assert max(high["clusters"], default=0) < biggest
        assert len(high["clusters"]) + high["singles"] >= 2
        # from the street zoom on, every ticket is drawn on its own
        one = page.evaluate(
            "() => { const p = rivermap.maps[0].layers.events.rmLatLng(0); return [p[0], p[1]]; }"
        )
        _set_view(page, *one, _reports_layers.CLUSTER_MAX_ZOOM)
        street = _drawn(page)
        assert street["clusters"] == []
        assert street["singles"] > 0
        print(f"\n5,000 tickets opened in {seconds:.2f} s; {len(low['clusters'])} clusters at z7")
        assert log.errors == []
        assert log.dialogs == []
    finally:
        page.close()


@needs_browser
def test_twenty_thousand_tickets_open_and_redraw_smoothly(chromium, demo, tmp_path) -> None:
    path = save_html(
        responsibility_map(demo, flags=False, events=routed_events(demo, 20_000, seed=3)),
        tmp_path / "tickets_20000.html",
    )
    page, log, seconds = br.open_map(chromium, path)
    try:
        assert (log.blocked, log.errors) == ([], [])
        lat, lng = page.evaluate(
            "() => { const c = rivermap.maps[0].layers.events.rmBounds().getCenter();"
            " return [c.lat, c.lng]; }"
        )
        times = []
        for zoom in (8, 9, 10, 11, 12, 13, 12, 10, 8):
            t0 = time.perf_counter()
            _set_view(page, lat, lng, zoom)
            times.append(time.perf_counter() - t0)
        size = path.stat().st_size
        print(
            f"\n20,000 tickets: {size / 1e6:.2f} MB, opened in {seconds:.2f} s, "
            f"slowest zoom redraw {max(times) * 1000:.0f} ms"
        )
        assert seconds < 20
        assert max(times) < 2.0
        assert log.errors == []
    finally:
        page.close()


def test_what_has_no_words_is_made_once_for_both_languages(demo, monkeypatch) -> None:
    located, tracks = [], []
    real_located, real_of = _reports_layers._located, _reports_layers._Patrols.of
    monkeypatch.setattr(
        _reports_layers, "_located", lambda ev: [located.append(1), real_located(ev)][1]
    )
    monkeypatch.setattr(
        _reports_layers._Patrols, "of", staticmethod(lambda p: [tracks.append(1), real_of(p)][1])
    )
    coverage = types.SimpleNamespace(patrols=hand_patrols(demo))
    html = rendered(
        responsibility_map(demo, flags=False, events=small_events(demo), patrols=coverage)
    )
    assert (len(located), len(tracks)) == (1, 1)
    other = payload_of(html)["i18n"]["en"]
    assert set(other["events"]) <= {"noLocationText", "status", "cols"}
    assert "pts" not in other["events"]
    assert set(other["patrols"]) <= {"cols"}
    assert set(other["patrols"]["cols"]) == {"why"}
