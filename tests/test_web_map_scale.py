"""The web map at national scale: halos graded by severity, labels that never overlap, canvases.

The fast tests use the demo with its district plan and computed flags, drawn
as SVG (its size) and on canvas (``CANVAS_THRESHOLD`` patched to 0). The
all-China tests (``slow``) build the map of ``../shared/data/china`` with a
district plan and flags, as ``benchmarks/bench_map.py`` does, and skip without
it. Browser tests use Debian's chromium through Playwright with the network
blocked (``tests/browser.py``).
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

import rivermap as rm
from rivermap.maps import responsibility_map, save_html, web
from rivermap.maps.web import flag_scale
from tests import browser as br
from tests.conftest import SHARED_DATA
from tests.test_web_map import meta_of, rendered

REASON = br.unavailable_reason()
needs_browser = pytest.mark.skipif(REASON is not None, reason=REASON or "")
CHINA = SHARED_DATA / "china" / "china_rivers_admin.gpkg"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo_plan(demo: rm.Responsibility) -> Any:
    return rm.redivide(demo, level="district")


def _meta(m: Any) -> dict[str, Any]:
    return meta_of(rendered(m))[0]


@pytest.fixture(scope="module")
def svg_page(demo, demo_plan, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "svg.html"
    return save_html(responsibility_map(demo, plan=demo_plan), path)


@pytest.fixture(scope="module")
def canvas_page(demo, demo_plan, tmp_path_factory) -> Path:
    """Return the demo drawn as a national map is: on canvas."""
    path = tmp_path_factory.mktemp("scale") / "canvas.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(web, "CANVAS_THRESHOLD", 0)
        return save_html(responsibility_map(demo, plan=demo_plan), path)


# ------------------------------------------------------------- no browser
def _is_nice(v: float) -> bool:
    mantissa = v / 10 ** math.floor(math.log10(v))
    return any(math.isclose(mantissa, m) for m in (1, 2, 5))


def test_default_threshold_halos_a_minority_of_the_demo(demo, demo_plan) -> None:
    table = demo.flags("district")
    assert len(table) == 9  # of 11 rivers: the halo used to be on almost all of them
    scale = flag_scale(table["severity"].tolist())
    assert scale is not None
    assert scale["threshold"] == 10
    assert scale["stops"] == [0, 1, 2, 5, 10, 20]
    assert [g[0] for g in scale["grades"]] == [0, 10, 20, 50]
    shown = table[table["severity"] >= scale["threshold"]]
    assert 0 < len(shown) < len(demo.rivers) / 2
    assert set(shown["name"].dropna()) >= {"富春江", "钱塘江"}
    meta = _meta(responsibility_map(demo, plan=demo_plan))
    assert meta["flagScale"] == scale
    assert _meta(responsibility_map(demo, flags=False))["flagScale"] is None


@given(
    st.lists(
        st.floats(min_value=1e-6, max_value=1e4) | st.sampled_from([0.0, None, math.nan]),
        max_size=60,
    )
)
def test_flag_scale_on_any_severities(values: list[float | None]) -> None:
    scale = flag_scale(values)  # type: ignore[arg-type]
    finite = [v for v in values if v is not None and math.isfinite(v)]
    positive = [v for v in finite if v > 0]
    if not positive:
        assert scale is None
        return
    assert scale is not None
    stops, threshold = scale["stops"], scale["threshold"]
    assert stops[0] == 0
    assert all(a < b for a, b in itertools.pairwise(stops))
    assert all(_is_nice(v) for v in stops[1:])
    assert stops[-1] <= max(positive) * (1 + 1e-9)
    assert threshold in stops
    shown = sum(v >= threshold for v in finite)
    if np.quantile(finite, 0.75) > 0:  # rounded down from it: at least a quarter are shown
        assert shown >= len(finite) / 4
    else:  # most have no severity: those that have one
        assert shown == len(positive)
    breaks = [g[0] for g in scale["grades"]]
    assert breaks[0] == 0
    assert breaks[1] == threshold
    assert all(a < b for a, b in itertools.pairwise(breaks))
    assert all(_is_nice(v) for v in breaks[1:])


def test_labels_come_largest_unit_and_longest_segment_first(demo, demo_plan) -> None:
    meta = _meta(responsibility_map(demo, plan=demo_plan, flags=False))
    units = demo.units.to_crs(4326)
    area = dict(zip(units["unit_id"], shapely.area(units.geometry.to_numpy()), strict=True))
    for layer in meta["unitLayers"]:
        ids = [lab[2] for lab in layer["labels"]]
        assert sorted(ids) == sorted(layer["ids"])
        assert [area[i] for i in ids] == sorted((area[i] for i in ids), reverse=True)
        assert all(len(lab) == 5 and lab[3] > 0 and lab[4] > 0 for lab in layer["labels"])
    segs = demo_plan.segments.set_index("segment_id")
    lengths = [
        segs.loc[lab[2], "to_m"] - segs.loc[lab[2], "from_m"] for lab in meta["plan"]["labels"]
    ]
    assert lengths == sorted(lengths, reverse=True)


def test_canvas_above_the_threshold_of_reaches_and_segments(demo, demo_plan, monkeypatch) -> None:
    lines = len(demo.reaches) + len(demo_plan.segments)
    assert not _meta(responsibility_map(demo, plan=demo_plan, flags=False))["canvas"]
    monkeypatch.setattr(web, "CANVAS_THRESHOLD", lines)
    assert not _meta(responsibility_map(demo, plan=demo_plan, flags=False))["canvas"]
    monkeypatch.setattr(web, "CANVAS_THRESHOLD", lines - 1)
    assert _meta(responsibility_map(demo, plan=demo_plan, flags=False))["canvas"]
    assert not _meta(responsibility_map(demo, flags=False))["canvas"]  # the reaches alone: fewer


# ----------------------------------------------------------------- labels
_BOXES = """() => {
    const c = rivermap.maps[0].map.getContainer(), at = c.getBoundingClientRect();
    const box = e => {
        const r = e.getBoundingClientRect();
        return [r.left - at.left, r.top - at.top, r.right - at.left, r.bottom - at.top];
    };
    return {
        labels: [...c.querySelectorAll(".rm-label")].map(e => [e.textContent, ...box(e)]),
        controls: [...c.querySelectorAll(".leaflet-control")].map(box)
                  .filter(b => b[2] > b[0] && b[3] > b[1]),
        size: [at.width, at.height],
    };
}"""


def _meet(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_overlaps(page: Any) -> tuple[int, list[Any]]:
    """Return how many pairs of shown labels overlap (or meet a control), and the labels."""
    got = page.evaluate(_BOXES)
    labels = got["labels"]
    boxes = [lab[1:] for lab in labels]
    bad = sum(_meet(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    bad += sum(_meet(a, c) for a in boxes for c in got["controls"])
    width, height = got["size"]
    bad += sum(not (b[0] >= 0 and b[1] >= 0 and b[2] <= width and b[3] <= height) for b in boxes)
    return bad, labels


def _zoom(page: Any, centre: tuple[float, float], by: float) -> None:
    page.evaluate(
        """async ([c, by]) => { const map = rivermap.maps[0].map;
            const done = new Promise(r => map.once("moveend", r));
            map.setView(c, map.getZoom() + by, {animate: false}); await done;
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); }""",
        [list(centre), by],
    )


@needs_browser
@pytest.mark.parametrize("kind", ["svg", "canvas"])
def test_labels_never_overlap(chromium, svg_page, canvas_page, kind) -> None:
    page, log, _ = br.open_map(chromium, svg_page if kind == "svg" else canvas_page)
    try:
        page.wait_for_timeout(50)
        bad, labels = label_overlaps(page)
        assert bad == 0
        assert len(labels) >= 15
        names = [lab[0] for lab in labels]
        assert "浙江省" in names  # the largest unit comes first
        _zoom(page, (30.25, 120.15), 2)  # Hangzhou
        bad, closer = label_overlaps(page)
        assert bad == 0
        assert len(closer) >= 15
        assert any(lab[0].startswith("R0") for lab in closer)  # plan segment ids where they fit
        assert log.errors == []
    finally:
        page.close()


# ------------------------------------------------------------------- flags
_GROUP = """() => {
    const g = document.querySelector(".rm-flags-group"), input = g.querySelector("input");
    return {
        title: g.querySelector(".rm-group-title").textContent,
        value: g.querySelector(".rm-flag-value").textContent,
        grades: [...g.querySelectorAll(".rm-flag-grade")].map(e => e.textContent),
        halos: document.querySelectorAll("path.rm-halo").length,
        graded: [0, 1, 2, 3].map(i => document.querySelectorAll("path.rm-halo-" + i).length),
        slider: [input.value, input.max, input.getAttribute("aria-valuetext")],
    };
}"""


@needs_browser
def test_halos_follow_the_threshold_slider(chromium, demo, svg_page) -> None:
    page, log, _ = br.open_map(chromium, svg_page)
    try:
        table = demo.flags("district")
        g = page.evaluate(_GROUP)
        assert g["title"] == "需关注的河流（按严重程度） 显示 4 / 9 条"
        assert g["value"] == "10"
        assert g["halos"] == int((table["severity"] >= 10).sum()) == 4
        assert g["graded"] == [0, 3, 1, 0]  # 10–20: three rivers, 20–50: 富春江
        assert g["grades"] == ["≥ 50 (0)", "20–50 (1)", "10–20 (3)", "< 10 (0)"]
        assert g["slider"] == ["4", "5", "严重程度 ≥ 10"]
        page.focus(".rm-flag-threshold input")
        page.keyboard.press("Home")  # every flagged river
        g = page.evaluate(_GROUP)
        assert (g["value"], g["halos"], g["graded"]) == ("全部", 9, [5, 3, 1, 0])
        assert g["title"].endswith("显示 9 / 9 条")
        page.keyboard.press("End")  # the most severe stop: 20
        g = page.evaluate(_GROUP)
        assert (g["value"], g["halos"]) == ("20", 1)
        # hidden from the layer control, the halos come back when the slider moves
        page.evaluate("() => { const h = rivermap.maps[0]; h.map.removeLayer(h.layers.flags); }")
        assert page.evaluate(_GROUP)["halos"] == 0
        page.keyboard.press("ArrowLeft")
        assert page.evaluate(_GROUP)["halos"] == 4
        # the other language: the group is made again, at the same threshold
        page.click(".rm-lang")
        g = page.evaluate(_GROUP)
        assert g["title"] == "Flagged rivers by severity 4 of 9 shown"
        assert (g["value"], g["halos"]) == ("10", 4)
        assert g["slider"][2] == "Severity ≥ 10"
        assert page.locator(".rm-flags-group").count() == 1
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_a_river_below_the_threshold_still_shows_its_flag(chromium, demo, svg_page) -> None:
    table = demo.flags("district")
    mild = str(table[table["severity"] < 10]["river_id"].iloc[0])
    page, log, _ = br.open_map(chromium, svg_page)
    try:
        page.evaluate("() => { rivermap.maps[0].map._fadeAnimated = false; }")
        page.evaluate("(r) => { rivermap.maps[0].riverIndex[r][0].openPopup(); }", mild)
        popup = page.locator(".leaflet-popup-content .rm-flag")
        popup.wait_for(timeout=5000)
        assert "严重程度" in popup.inner_text()
        assert (
            page.evaluate(
                "(r) => rivermap.maps[0].layers.flags.getLayers().some(l => l.rmRiver === r)", mild
            )
            is False
        )
        assert log.errors == []
    finally:
        page.close()


# ----------------------------------------------------------------- canvas
_ORDER = """() => {
    const h = rivermap.maps[0], lines = h.riverLayer.getLayers()[0]._renderer, out = [];
    for (let o = lines._drawFirst; o; o = o.next) out.push(o.layer.options.rmRank);
    return out;
}"""

# a page point 3 px to the side of the middle of segment j's longest edge: on the
# 8 px plan line, off the 3 px river drawn over it
_BESIDE = """(j) => {
    const h = rivermap.maps[0], map = h.map, seg = h.segmentLayers[j];
    let ll = seg.getLatLngs(); if (Array.isArray(ll[0])) ll = ll[0];
    let best = 0, len = -1;
    for (let i = 0; i + 1 < ll.length; i++) {
        const d = map.distance(ll[i], ll[i + 1]); if (d > len) { best = i; len = d; }
    }
    const a0 = ll[best], a1 = ll[best + 1];
    const mid = L.latLng((a0.lat + a1.lat) / 2, (a0.lng + a1.lng) / 2);
    map.setView(mid, 13, {animate: false});
    const a = map.latLngToContainerPoint(ll[best]), b = map.latLngToContainerPoint(ll[best + 1]);
    const p = map.latLngToContainerPoint(mid), n = Math.hypot(b.x - a.x, b.y - a.y);
    const r = map.getContainer().getBoundingClientRect();
    const dx = 3 * (b.y - a.y) / n, dy = 3 * (b.x - a.x) / n;
    return [r.left + p.x - dx, r.top + p.y + dy, r.left + p.x, r.top + p.y];
}"""


@needs_browser
def test_heavy_layers_share_one_canvas_in_their_order(chromium, canvas_page) -> None:
    page, log, _ = br.open_map(chromium, canvas_page)
    try:
        assert page.evaluate("rivermap.maps[0].D.canvas")
        assert page.locator("path.rm-reach, path.rm-halo, path.rm-segment").count() == 0
        assert page.locator(".leaflet-pane canvas").count() == 2  # the units, and the lines
        ranks = page.evaluate(_ORDER)
        assert ranks == sorted(ranks)
        assert {1, 3} <= set(ranks)  # plan under halos under rivers
        assert any(2 <= r < 3 for r in ranks)
        # a layer shown again goes back to its place, not on top
        page.evaluate(
            """() => { const h = rivermap.maps[0];
                       h.map.removeLayer(h.layers.plan); h.map.addLayer(h.layers.plan);
                       h.map.removeLayer(h.layers.flags); h.map.addLayer(h.layers.flags); }"""
        )
        assert page.evaluate(_ORDER) == ranks
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_the_mouse_reaches_layers_on_lower_canvases(chromium, demo_plan, canvas_page) -> None:
    page, log, _ = br.open_map(chromium, canvas_page)
    try:
        page.evaluate("() => { rivermap.maps[0].map._fadeAnimated = false; }")
        j = int(np.argmax(demo_plan.segments["length_m"].to_numpy()))
        sid = str(demo_plan.segments["segment_id"].iloc[j])
        x, y, cx, cy = page.evaluate(_BESIDE, j)
        page.wait_for_timeout(50)
        page.mouse.move(x - 1, y - 1)
        page.mouse.move(x, y)
        tip = page.locator(".leaflet-tooltip")
        tip.first.wait_for(timeout=3000)
        assert f"方案河段 {sid}" in tip.first.inner_text()
        page.mouse.click(cx, cy)  # on the river itself: the river's popup
        assert "河段:" in page.locator(".leaflet-popup-content").inner_text()
        # a unit, on the lowest canvas, far from any line: its popup
        page.evaluate("() => { rivermap.maps[0].map.closePopup(); }")
        xy = page.evaluate(
            """() => { const h = rivermap.maps[0], u = h.unitIndex["330482"].layer, map = h.map;
                       map.fitBounds(u.getBounds(), {animate: false});
                       const p = map.latLngToContainerPoint(u.getCenter());
                       const r = map.getContainer().getBoundingClientRect();
                       return [r.left + p.x, r.top + p.y]; }"""
        )
        page.wait_for_timeout(50)
        page.mouse.click(*xy)
        assert "平湖市" in page.locator(".leaflet-popup-content").inner_text()
        assert log.errors == []
    finally:
        page.close()


_SAME = """async (steps) => {
    const h = rivermap.maps[0], map = h.map, canvases = map._rmCanvases;
    let used = 0;
    canvases.forEach(r => { const use = r._rmUsePrepared;
        r._rmUsePrepared = function () { const ok = use.call(this); used += ok; return ok; };
    });
    const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const same = [];
    for (const [c, z] of steps) {
        map.setView(c, map.getZoom(), {animate: false}); await frames();
        const done = new Promise(r => map.once("zoomend", r));
        map.setZoom(z); await done; await frames();
        const shown = canvases.map(r => r._container.toDataURL());
        canvases.forEach(r => { r._updatePaths(); }); await frames();  // drawn again, whole
        same.push(canvases.map((r, i) => r._container.toDataURL() === shown[i]));
    }
    return {used, same};
}"""


@needs_browser
def test_a_zoom_drawn_during_its_animation_is_the_same_picture(chromium, canvas_page) -> None:
    page, log, _ = br.open_map(chromium, canvas_page)
    try:
        steps = [[[30.0, 120.0], 9], [[30.0, 120.0], 10], [[29.5, 119.5], 9], [[30.0, 120.0], 8]]
        got = page.evaluate(_SAME, steps)
        assert got["same"] == [[True, True]] * len(steps)
        assert got["used"] == 2 * len(steps)  # both canvases, every zoom
        assert log.errors == []
    finally:
        page.close()


# --------------------------------------------------------------- all China
@pytest.fixture(scope="module")
def china_page(tmp_path_factory) -> Path:
    if not CHINA.exists():
        pytest.skip(f"{CHINA} is not present")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rm.RivermapWarning)  # municipality ids renamed
        units = rm.read_units(CHINA, levels=["province", "city", "district"])
    resp = rm.assign(rm.read_rivers(CHINA, layer="rivers"), units)
    plan = rm.redivide(resp, level="district")
    path = tmp_path_factory.mktemp("china") / "china.html"
    return save_html(responsibility_map(resp, plan=plan), path)


_DRAWN = """() => {
    const h = rivermap.maps[0], out = {vertices: 0, drawn: 0};
    Object.values(h.unitIndex).forEach(u => {
        out.vertices += u.layer._rmM.n;
        (u.layer._rings || []).forEach(r => { out.drawn += r.length; });
    });
    return out;
}"""


@pytest.mark.slow
@needs_browser
def test_china_opens_on_canvas_with_a_minority_haloed(chromium, china_page) -> None:
    page, log, _ = br.open_map(chromium, china_page)
    try:
        assert log.errors == []
        assert log.blocked == []
        D = page.evaluate("rivermap.maps[0].D")
        assert D["canvas"]
        threshold = D["flagScale"]["threshold"]
        assert threshold == 10
        severe = {r for r, f in D["flags"].items() if (f["severity"] or 0) >= threshold}
        haloed = page.evaluate(
            "() => rivermap.maps[0].layers.flags.getLayers().map(l => l.rmRiver)"
        )
        assert set(haloed) == severe
        assert len(severe) < 0.2 * len(D["rivers"]) < len(D["flags"])
        # the units are drawn with the vertices that show at this zoom, not all of them
        drawn = page.evaluate(_DRAWN)
        assert drawn["drawn"] < 0.2 * drawn["vertices"]
    finally:
        page.close()


@pytest.mark.slow
@needs_browser
def test_china_labels_never_overlap(chromium, china_page) -> None:
    page, log, _ = br.open_map(chromium, china_page)
    try:
        bad, labels = label_overlaps(page)
        assert bad == 0
        assert len(labels) >= 30
        assert {"四川省", "湖北省"} <= {lab[0] for lab in labels}
        _zoom(page, (30.6, 114.3), 3)  # Wuhan
        bad, closer = label_overlaps(page)
        assert bad == 0
        assert len(closer) >= 60
        assert log.errors == []
    finally:
        page.close()
