"""What a meeting map needs: print view, permalink, metric scale, basemap switcher, hover.

The HTML tests read the rendered page; the browser tests open the saved map in
headless Chromium with the network blocked (see ``tests/browser.py``), print
it to PDF (page size and text read back with pypdf), and drive it with the
mouse. Screenshots of the print view go to ``out/test-artifacts/``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest

import rivermap as rm
from rivermap import params
from rivermap._version import rivermap_version
from rivermap.cli import main
from rivermap.maps import responsibility_map, save_html, web
from rivermap.maps._offline import is_strictly_offline
from rivermap.text import term
from tests import browser as br

pypdf = pytest.importorskip("pypdf")

#: A data credit with markup and a replacement pattern in it: shown as it is, as text.
CREDIT = "Zhejiang test data <b>&amp;</b> $& rivers"
#: A4 and A3 landscape in PDF points.
A4 = (841.9, 595.3)
A3 = (1190.6, 841.9)
#: What Chromium logs for each tile request the tests block.
BLOCKED_TILE = "Failed to load resource: net::ERR_FAILED"


@pytest.fixture(scope="module")
def demo() -> rm.Responsibility:
    return rm.assign(*rm.datasets.load_demo())


@pytest.fixture(scope="module")
def plan(demo):  # type: ignore[no-untyped-def]
    return rm.redivide(demo, level="district")


def rendered(m: object) -> str:
    return m.get_root().render()  # type: ignore[attr-defined,no-any-return]


def base_layers(html: str) -> list[tuple[str, str, bool]]:
    """Return ``(kind, name, shown)`` of every base layer of the layer control, in order."""
    control = html[html.index("base_layers :") : html.index("overlays :")]
    names = re.findall(r'"((?:[^"\\]|\\.)*)" : (rivermap_basemap_\w+)', control)
    out = []
    for name, var in names:
        kind = re.search(rf"{var}\.rmBasemap = \"(\w+)\"", html)
        assert kind is not None, var
        out.append((kind.group(1), json.loads(f'"{name}"'), f"{var}.addTo(" in html))
    return out


def meeting_data(html: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r"rivermap\.meeting \|\| \{\}\)\[\"map_\w+\"\] = (\{.*?\});\n", html)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


# ------------------------------------------------------------- HTML, no browser
def test_several_basemaps_become_base_layers_with_none(demo) -> None:
    listed = base_layers(
        rendered(responsibility_map(demo, basemap="osm, tianditu:k1", flags=False))
    )
    assert listed == [
        ("osm", "OpenStreetMap 地图", True),
        ("tianditu", "天地图", False),
        ("none", "无底图", False),
    ]
    as_list = responsibility_map(demo, basemap=["osm", "tianditu:k1"], lang="en", flags=False)
    assert base_layers(rendered(as_list)) == [
        ("osm", "OpenStreetMap", True),
        ("tianditu", "Tianditu", False),
        ("none", "No basemap", False),
    ]
    # one basemap can be switched off too; "none" first opens without tiles
    assert [k for k, _, _ in base_layers(rendered(responsibility_map(demo, basemap="gaode")))] == [
        "gaode",
        "none",
    ]
    first_none = responsibility_map(demo, basemap="none,osm", flags=False)
    assert [(k, shown) for k, _, shown in base_layers(rendered(first_none))] == [
        ("none", True),
        ("osm", False),
    ]
    assert not is_strictly_offline(first_none)  # a click on osm loads tiles
    plain = responsibility_map(demo, flags=False)
    assert is_strictly_offline(plain)
    assert ".rmBasemap = " not in rendered(plain)
    assert "L.tileLayer(" not in rendered(plain)


def test_tianditu_keeps_its_labels_and_key_in_one_base_layer(demo, monkeypatch) -> None:
    monkeypatch.setenv("TIANDITU_KEY", "envkey")
    html = rendered(responsibility_map(demo, basemap="tianditu,osm", lang="en", flags=False))
    group = re.search(r"L\.layerGroup\(\[L\.tileLayer\(\"https://t\{s\}\.tianditu[^\n]*", html)
    assert group is not None
    assert group.group(0).count("L.tileLayer(") == 2  # roads and labels come and go together
    assert "LAYER=eva" in group.group(0).replace("\\u0026", "&")  # labels in the map's language
    assert group.group(0).count("tk=envkey") == 2


@pytest.mark.parametrize(
    ("basemap", "needle"),
    [
        ("osm,gaode", "cannot mix gaode with osm: gaode tiles are in GCJ-02"),
        (["gaode", "tianditu:k"], "cannot mix gaode with tianditu"),
        ("osm,osm", "names osm twice"),
        ("osm,google", "'none', 'osm', 'tianditu', 'gaode'; got 'google'"),
    ],
)
def test_bad_basemap_lists_are_refused_before_any_work(demo, monkeypatch, basemap, needle) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the map was drawn before its arguments were checked")

    monkeypatch.setattr(web, "_display", no_work)
    with pytest.raises(rm.ParameterError, match="^basemap ") as info:
        responsibility_map(demo, basemap=basemap)
    assert needle in str(info.value)


def test_check_basemaps_reads_names_commas_and_lists() -> None:
    check = params.check_basemaps
    assert check("basemap", None) == check("basemap", "") == check("basemap", " none ") == ()
    assert check("basemap", "OSM,tianditu:abc,") == (("osm", None), ("tianditu", "abc"))
    assert check("basemap", ["gaode", "none"]) == (("gaode", None), ("none", None))
    with pytest.raises(TypeError, match="a string, a list of strings or None"):
        check("basemap", 3)


def test_scale_bar_is_the_plugins_not_folium(demo) -> None:
    html = rendered(responsibility_map(demo, flags=False))
    assert "L.control.scale()" not in html  # folium's, metric and imperial
    assert "imperial: false" in html  # meeting.js's, metric only


def test_meeting_data_names_the_data_credit_and_version(demo) -> None:
    html = rendered(responsibility_map(demo, flags=False))
    assert meeting_data(html) == {"credit": None, "tool": f"rivermap {rivermap_version()}"}
    reaches = demo.reaches.copy()
    reaches.attrs["attribution"] = CREDIT
    credited = dataclasses.replace(demo, reaches=reaches)
    data = meeting_data(rendered(responsibility_map(credited, flags=False)))
    assert data["credit"] == CREDIT


def test_cli_basemap_takes_several_and_refuses_a_mix(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["map", "x.gpkg", "-o", "x.html", "--basemap", "osm,gaode"])
    assert "cannot mix gaode with osm" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["map", "x.gpkg", "-o", "x.html", "--basemap", "osm,bing:KEY"])
    err = capsys.readouterr().err
    assert "invalid choice: 'bing'" in err
    assert "KEY" not in err  # a key is never echoed
    with pytest.raises(SystemExit):
        main(["map", "--help"])
    assert "several separated by commas" in capsys.readouterr().out


# ---------------------------------------------------------------- in a browser
REASON = br.unavailable_reason()


@pytest.fixture(scope="module")
def plan_page(demo, plan, tmp_path_factory) -> Path:
    """Save the demo with its district plan, in Chinese."""
    path = tmp_path_factory.mktemp("meeting") / "plan.html"
    return save_html(responsibility_map(demo, plan=plan), path)


@pytest.fixture(scope="module")
def english_page(demo, plan, tmp_path_factory) -> Path:
    """Save the demo in English, with a data credit that holds markup."""
    reaches = demo.reaches.copy()
    reaches.attrs["attribution"] = CREDIT
    credited = dataclasses.replace(demo, reaches=reaches)
    path = tmp_path_factory.mktemp("meeting") / "english.html"
    return save_html(responsibility_map(credited, plan=plan, lang="en"), path)


#: The controls nobody can use on paper, and what the paper must show.
CONTROLS = (
    ".leaflet-control-zoom",
    ".rm-search",
    ".leaflet-control-layers",
    ".rm-fs",
    ".rm-lang",
    ".rm-print-button",
    ".rm-legend-toggle",
    ".leaflet-control-attribution",
)
SHOWN = (
    ".rm-sheet-title",
    ".rm-sheet-sub",
    ".rm-sheet-date",
    ".rm-sheet-foot",
    ".rm-legend",
    ".leaflet-control-scale",
    ".rm-north",
)

_VISIBILITY_JS = """([hidden, shown]) => {
    const sheet = document.querySelector('.rm-sheet').getBoundingClientRect();
    const seen = (sel) => {
        const e = document.querySelector(sel);
        if (!e) return 'missing';
        const r = e.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) return 'hidden';
        const inside = r.left >= sheet.left - 1 && r.right <= sheet.right + 1 &&
                       r.top >= sheet.top - 1 && r.bottom <= sheet.bottom + 1;
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return inside && top && e.contains(top) ? 'visible' : 'covered or outside';
    };
    return {hidden: hidden.map(seen), shown: shown.map(seen)};
}"""


def _visibility(page) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    got = page.evaluate(_VISIBILITY_JS, [list(CONTROLS), list(SHOWN)])
    return got["hidden"], got["shown"]


def _pdf(page, path: Path) -> tuple[tuple[float, float], int, str]:  # type: ignore[no-untyped-def]
    page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    reader = pypdf.PdfReader(str(path))
    box = reader.pages[0].mediabox
    # NFKC: the text layer writes some ideographs as their Kangxi radicals
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())
    return (float(box.width), float(box.height)), len(reader.pages), text


def _dark_pixels(png: bytes, box: dict) -> int:  # type: ignore[type-arg]
    """Count the nearly black pixels of a screenshot inside ``box`` (x, y, width, height)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    crop = image.crop((box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]))
    return sum(crop.histogram()[:80])


def test_print_view_a4_hides_the_controls_and_prints_one_a4_page(chromium, plan_page) -> None:
    page, log, _ = br.open_map(chromium, plan_page)
    try:
        assert page.evaluate("() => document.querySelectorAll('.rm-north').length") == 1
        page.click(".rm-print-button a")
        page.wait_for_selector("body.rm-printing .rm-sheet.rm-sheet-a4")
        hidden, shown = _visibility(page)
        assert hidden == ["hidden"] * len(CONTROLS), dict(zip(CONTROLS, hidden, strict=True))
        assert shown == ["visible"] * len(SHOWN), dict(zip(SHOWN, shown, strict=True))
        words = page.evaluate(
            """() => ['.rm-sheet-title', '.rm-sheet-sub', '.rm-sheet-date', '.rm-sheet-foot',
                      '.rm-north', '.leaflet-control-scale'].map(
                s => document.querySelector(s).textContent)"""
        )
        title, sub, date, foot, north, scale = words
        assert title == term("ui.title", "zh")
        assert sub == "按区县着色 · 调整方案：区县"
        assert re.fullmatch(r"制图日期：\d{4}年\d{1,2}月\d{1,2}日", date)
        assert foot == f"制图：rivermap {rivermap_version()}"
        assert north == "北"
        assert re.fullmatch(r"\d+ k?m", scale)  # metric only: one line, no miles or feet
        # the legend prints unfolded, every unit colour in it
        assert page.evaluate(
            """() => { const l = document.querySelector('.rm-legend');
                       const b = l.querySelector('.rm-legend-body');
                       return !l.classList.contains('rm-collapsed') &&
                              b.scrollHeight <= b.clientHeight + 1; }"""
        )
        page.emulate_media(media="print")
        hidden, shown = _visibility(page)
        assert hidden == ["hidden"] * len(CONTROLS)
        assert shown == ["visible"] * len(SHOWN)
        br.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        png = page.screenshot(path=str(br.ARTIFACTS / "meeting_print_a4.png"))
        north_box = page.locator(".rm-north svg").bounding_box()
        assert _dark_pixels(png, north_box) > 60  # the arrow is drawn, not just laid out
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('.rm-print-bar')).display")
            == "none"
        )
        page.emulate_media(media="screen")
        size, pages, _ = _pdf(page, plan_page.with_suffix(".a4.pdf"))
        assert pages == 1
        assert size == pytest.approx(A4, abs=1)
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()


def test_printed_pdf_has_title_legend_scale_north_and_credit_but_no_controls(
    chromium, english_page
) -> None:
    page, log, _ = br.open_map(chromium, english_page)
    try:
        page.evaluate("() => rivermap.maps[0].print.enter('a4')")
        size, pages, text = _pdf(page, english_page.with_suffix(".pdf"))
        assert (pages, size == pytest.approx(A4, abs=1)) == (1, True)
        flat = " ".join(text.split())
        for words in (
            "River chief responsibility map · rivermap",
            "coloured by district · proposed segments: district",
            "Legend",
            "Boundary reach",
            f"Data: {CREDIT}",  # the markup is text
            f"Made with rivermap {rivermap_version()}",
        ):
            assert words in flat, words
        assert re.search(r"Date: \d{1,2} \w+ \d{4}", flat)
        assert re.search(r"\b\d+ k?m\b", flat)
        assert re.search(r"(^|\s)N(\s|$)", text)  # the north arrow's letter
        for control_words in (
            "Rivers (coloured by responsible unit)",  # the layer control
            "中文",  # the language switch
            "Leave the print view",  # the print view's own bar
            "Leaflet",  # the attribution control
            "Hide",  # the legend's toggle
        ):
            assert control_words not in flat, control_words
        assert page.evaluate("() => document.querySelectorAll('.rm-sheet-foot b').length") == 0
        assert log.errors == []
    finally:
        page.close()


def test_print_view_switches_to_a3_relabels_and_leaves(chromium, english_page) -> None:
    page, log, _ = br.open_map(chromium, english_page)
    try:
        before = page.evaluate("() => rivermap.maps[0].map.getSize()")
        page.click(".rm-print-button a")
        page.click(".rm-print-bar button.rm-paper >> text=A3 landscape")
        page.wait_for_selector(".rm-sheet.rm-sheet-a3")
        assert (
            page.evaluate(
                "() => document.querySelector('.rm-paper[aria-pressed=true]').textContent"
            )
            == "A3 landscape"
        )
        size, pages, _ = _pdf(page, english_page.with_suffix(".a3.pdf"))
        assert (pages, size == pytest.approx(A3, abs=1)) == (1, True)
        # the map fills the sheet's map area (Leaflet was told its new size)
        assert page.evaluate(
            """() => { const h = rivermap.maps[0], s = h.map.getSize(), c = h.container;
                       return s.x === c.clientWidth && s.y === c.clientHeight && s.x > 1400; }"""
        )
        page.evaluate("() => rivermap.maps[0].setLang('zh')")  # its button is hidden here
        assert page.inner_text(".rm-sheet-sub") == "按区县着色 · 调整方案：区县"
        assert page.inner_text(".rm-print-exit") == "退出打印视图"
        assert page.inner_text(".rm-north-label") == "北"
        page.keyboard.press("Escape")
        page.wait_for_selector(".rm-sheet", state="detached")
        state = page.evaluate(
            """() => { const h = rivermap.maps[0];
                const display = (s) => getComputedStyle(document.querySelector(s)).display;
                return {size: h.map.getSize(), parent: h.container.parentNode === document.body,
                        page: Array.from(document.querySelectorAll('style')).some(
                            s => s.textContent.startsWith('@page')),
                        zoom: display('.leaflet-control-zoom'), north: display('.rm-north')}; }"""
        )
        assert state == {
            "size": before,
            "parent": True,
            "page": False,
            "zoom": "block",
            "north": "none",
        }
        assert log.errors == []
    finally:
        page.close()


def test_printing_the_ordinary_view_prints_the_print_view(chromium, english_page) -> None:
    page, log, _ = br.open_map(chromium, english_page)
    try:
        size, pages, text = _pdf(page, english_page.with_suffix(".auto.pdf"))
        assert (pages, size == pytest.approx(A4, abs=1)) == (1, True)
        assert "River chief responsibility map" in text
        assert "Rivers (coloured by responsible unit)" not in " ".join(text.split())
        # and the page is back as it was
        assert page.evaluate("() => document.body.classList.contains('rm-printing')") is False
        assert log.errors == []
    finally:
        page.close()


def _open_with_hash(chromium, path: Path, fragment: str):  # type: ignore[no-untyped-def]
    """Open a map, then load it again at ``path#fragment`` (as a shared link opens)."""
    page, log, _ = br.open_map(chromium, path)
    page.goto(path.resolve().as_uri() + "#" + fragment, wait_until="load")
    page.reload(wait_until="load")
    page.wait_for_function("window.rivermap && rivermap.maps && rivermap.maps.length > 0")
    return page, log


_VIEW_JS = """() => { const m = rivermap.maps[0].map, c = m.getCenter();
    const title = document.querySelector('.leaflet-popup .rm-title');
    return {zoom: m.getZoom(), lat: c.lat, lng: c.lng, popup: title ? title.textContent : null,
            hash: location.hash}; }"""


def _a_long_river(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(  # type: ignore[no-any-return]
        """() => { const idx = rivermap.maps[0].riverIndex;
                   return Object.keys(idx).sort((a, b) => idx[b].length - idx[a].length)[0]; }"""
    )


def test_permalink_opens_the_view_and_the_rivers_popup(chromium, plan_page) -> None:
    page, log, _ = br.open_map(chromium, plan_page)
    river = _a_long_river(page)
    page.close()
    fragment = f"10.5/29.6/120.2&river={quote(river, safe='')}"
    page, log = _open_with_hash(chromium, plan_page, fragment)
    try:
        page.wait_for_selector(".leaflet-popup .rm-title")
        view = page.evaluate(_VIEW_JS)
        assert (view["zoom"], view["lat"], view["lng"]) == (10.5, 29.6, 120.2)  # not panned
        assert view["popup"] == river
        # a move rewrites the address (throttled), with the river while its popup is open
        page.evaluate("() => { rivermap.maps[0].map.panBy([150, 80], {animate: false}); }")
        page.wait_for_function("(old) => location.hash !== old", arg=view["hash"])
        moved = page.evaluate(_VIEW_JS)
        zoom, lat, lng = moved["hash"][1:].split("&")[0].split("/")
        assert float(zoom) == moved["zoom"]
        assert abs(float(lat) - moved["lat"]) < 1e-3
        assert abs(float(lng) - moved["lng"]) < 1e-3
        assert moved["hash"].endswith("&river=" + quote(river, safe="()!*'"))
        page.evaluate("() => { rivermap.maps[0].map.closePopup(); }")
        page.wait_for_function("() => !location.hash.includes('river=')")
        # the history keeps one entry: replaceState, not a new page per move
        assert page.evaluate("() => history.length") <= 3
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()


def test_a_hash_with_a_river_alone_fits_it_and_odd_hashes_are_ignored(chromium, plan_page) -> None:
    page, log = _open_with_hash(chromium, plan_page, "river=%E9%92%B1%E5%A1%98%E6%B1%9F")
    try:
        page.wait_for_selector(".leaflet-popup .rm-title")
        assert page.evaluate(_VIEW_JS)["popup"] == "钱塘江"
        inside = page.evaluate(
            """() => { const h = rivermap.maps[0], river = L.featureGroup(h.riverIndex['钱塘江']);
                return h.map.getBounds().contains(river.getBounds()); }"""
        )
        assert inside
        # a hand-edited hash is applied; nonsense changes nothing and breaks nothing
        page.evaluate("() => { location.hash = '#12/30.25/120.15'; }")
        page.wait_for_function("() => rivermap.maps[0].map.getZoom() === 12")
        for odd in (
            "#99/1000/2000",
            "#river=%E0%A4%A",
            "#river=<img src=x onerror=alert(1)>",
            "#abc",
        ):
            page.evaluate("(h) => { location.hash = h; }", odd)
            page.wait_for_timeout(50)
        assert page.evaluate("() => rivermap.maps[0].map.getZoom()") == 12
        assert log.errors == []
        assert log.dialogs == []
    finally:
        page.close()


def _printed_credit(page) -> str:  # type: ignore[no-untyped-def]
    """Return the print view's credit line (entering the print view and leaving it)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => { const h = rivermap.maps[0]; h.print.enter('a4');
            const text = document.querySelector('.rm-sheet-foot').textContent;
            h.print.exit(); return text; }"""
    )


def test_two_basemaps_switch_and_none_removes_the_tiles(chromium, demo, tmp_path) -> None:
    path = save_html(
        responsibility_map(demo, basemap="osm,tianditu:KEY", flags=False), tmp_path / "bm.html"
    )
    page, log, _ = br.open_map(chromium, path)
    state_js = """() => ({
        radios: Array.from(document.querySelectorAll('.leaflet-control-layers-base label')).map(
            l => [l.textContent.trim(), l.querySelector('input').type,
                  l.querySelector('input').checked]),
        layers: document.querySelectorAll('.leaflet-tile-pane .leaflet-layer').length})"""
    try:
        state = page.evaluate(state_js)
        assert state["radios"] == [
            ["OpenStreetMap 地图", "radio", True],
            ["天地图", "radio", False],
            ["无底图", "radio", False],
        ]
        assert state["layers"] == 1
        assert "底图：© OpenStreetMap contributors" in _printed_credit(page)
        page.locator(".leaflet-control-layers-base label", has_text="天地图").click()
        assert page.evaluate(state_js)["layers"] == 2  # roads and labels
        page.locator(".leaflet-control-layers-base label", has_text="无底图").click()
        state = page.evaluate(state_js)
        assert state["layers"] == 0
        assert [r[2] for r in state["radios"]] == [False, False, True]
        assert "底图" not in _printed_credit(page)
        n_blocked = len(log.blocked)
        page.evaluate("() => { rivermap.maps[0].map.panBy([300, 200], {animate: false}); }")
        page.wait_for_timeout(200)
        assert len(log.blocked) == n_blocked  # no tiles asked for any more
        page.click(".rm-lang")
        labels = page.evaluate(state_js)["radios"]
        assert [r[0] for r in labels] == ["OpenStreetMap", "Tianditu", "No basemap"]
        hosts = {re.sub(r"^https://t\d\.", "https://t.", u).split("/")[2] for u in log.blocked}
        assert hosts == {"tile.openstreetmap.org", "t.tianditu.gov.cn"}
        assert set(log.errors) <= {BLOCKED_TILE}
    finally:
        page.close()


#: A point on an inside reach, of a river with several reaches, that no other river's
#: line comes within 16 px of at zoom 12; the map is centred there. Returns
#: ``[river id, reach position, x, y]`` (page pixels).
_LONE_POINT_JS = """() => {
    const h = rivermap.maps[0], map = h.map, Z = 12;
    const flat = (l) => {
        let ll = l.getLatLngs(); while (Array.isArray(ll[0])) ll = ll[0]; return ll; };
    const px = (ll) => map.project(ll, Z);
    const lines = [];
    Object.keys(h.riverIndex).forEach(rid => h.riverIndex[rid].forEach(
        l => lines.push([rid, flat(l).map(px)])));
    const near = (rid, p) => lines.some(([other, pts]) => other !== rid && pts.some(
        (q, k) => k > 0 && L.LineUtil.pointToSegmentDistance(p, pts[k - 1], q) < 16));
    const rivers = Object.keys(h.riverIndex).sort(
        (a, b) => h.riverIndex[b].length - h.riverIndex[a].length);
    for (const rid of rivers) {
        if (h.riverIndex[rid].length < 3) continue;
        for (let j = 0; j < h.riverIndex[rid].length; j++) {
            const layer = h.riverIndex[rid][j], ll = flat(layer);
            if (layer.rmReach.k !== 'i') continue;
            for (let k = 1; k < ll.length; k++) {
                const a = ll[k - 1], b = ll[k];
                const mid = L.latLng((a.lat + b.lat) / 2, (a.lng + b.lng) / 2);
                if (near(rid, px(mid))) continue;
                map.setView(mid, Z, {animate: false});
                const p = map.latLngToContainerPoint(mid);
                const r = map.getContainer().getBoundingClientRect();
                return [rid, j, r.left + p.x, r.top + p.y];
            }
        }
    }
    return null;
}"""
_WEIGHTS_JS = "(rid) => rivermap.maps[0].riverIndex[rid].map(l => l.options.weight)"


def _hover_a_reach(page) -> None:  # type: ignore[no-untyped-def]
    """Hover an inside reach: it and its river light up, and go back when the mouse leaves."""
    river, j, x, y = page.evaluate(_LONE_POINT_JS)
    before = page.evaluate(_WEIGHTS_JS, river)
    page.mouse.move(x, y)
    lit = page.evaluate(_WEIGHTS_JS, river)
    assert lit[j] == before[j] + 4
    others = [b for i, b in enumerate(before) if i != j]
    assert [w for i, w in enumerate(lit) if i != j] == [b + 1.5 for b in others]
    changed = page.evaluate(
        """() => { const h = rivermap.maps[0]; return h.highlight.lit().length; }"""
    )
    assert changed == len(before)  # nothing but the river is restyled
    _leave(page)
    assert page.evaluate(_WEIGHTS_JS, river) == before


def _leave(page) -> None:  # type: ignore[no-untyped-def]
    """Move the mouse off every line and unit: onto the legend."""
    box = page.locator(".rm-legend").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10)
    page.mouse.move(box["x"] + box["width"] / 2 + 2, box["y"] + 12)


def test_hover_lights_the_reach_its_river_a_segment_and_a_unit(chromium, plan_page) -> None:
    page, log, _ = br.open_map(chromium, plan_page)
    try:
        _hover_a_reach(page)
        # a plan segment (fired: on screen the reach above it takes the mouse)
        seg = page.evaluate(
            """() => { const l = rivermap.maps[0].segmentLayers.find(Boolean), w = l.options.weight;
                l.fire('mouseover', {}, true); const lit = l.options.weight;
                l.fire('mouseout', {}, true); return [w, lit, l.options.weight]; }"""
        )
        assert seg[1] == seg[0] + 4
        assert seg[2] == seg[0]
        # a unit, under the mouse away from the rivers: its outline
        unit = page.evaluate(
            """() => { const h = rivermap.maps[0], map = h.map, ul = h.D.unitLayers[2];
                for (const [lat, lng, id] of ul.labels) {
                    map.setView([lat, lng], 10, {animate: false});
                    const p = map.latLngToContainerPoint([lat, lng]);
                    const r = map.getContainer().getBoundingClientRect();
                    const hit = document.elementFromPoint(r.left + p.x, r.top + p.y);
                    if (hit && hit.tagName === 'CANVAS') return [r.left + p.x, r.top + p.y, id,
                        h.unitIndex[id].layer.options.weight, h.unitIndex[id].layer.options.color];
                }
                return null; }"""
        )
        assert unit is not None
        x, y, uid, weight, colour = unit
        page.mouse.move(x, y)
        page.mouse.move(x + 1, y + 1)
        lit = page.evaluate(
            """(uid) => { const h = rivermap.maps[0], l = h.unitIndex[uid].layer;
                return [h.highlight.lit().includes(l), l.options.weight, l.options.color]; }""",
            uid,
        )
        assert lit == [True, max(3, weight * 2), "#0d47a1"]
        _leave(page)
        back = page.evaluate(
            "(uid) => { const o = rivermap.maps[0].unitIndex[uid].layer.options; "
            "return [o.weight, o.color]; }",
            uid,
        )
        assert back == [weight, colour]
        assert log.errors == []
    finally:
        page.close()


def test_hover_works_with_the_canvas_of_national_maps(
    chromium, demo, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(web, "CANVAS_THRESHOLD", 0)  # draw the demo as all China is drawn
    path = save_html(responsibility_map(demo, flags=False), tmp_path / "canvas.html")
    page, log, _ = br.open_map(chromium, path)
    try:
        assert page.evaluate("() => document.querySelectorAll('.rm-reach').length") == 0  # no SVG
        _hover_a_reach(page)
        assert log.errors == []
    finally:
        page.close()
