"""Hostile text where it is drawn: 10,000-character names and right-to-left overrides.

A name of 10,000 characters is drawn cut by :func:`rivermap.text.clip_label`
(atlas, signboards, the web map's labels, tooltips and legend, the
bulletin's chart and subtitle) and kept whole where it is read (the map's
popups and search, tables, files). A right-to-left override (U+202E) in a name
stays inside the name: in the web map's popups and the bulletin page each name
is bidi-isolated, which the browser tests check by where the words after a name
are laid out, against a control line that is not isolated; the atlas and the
signboards, whose PDF lines are laid out whole, draw names without overrides.
"""

from __future__ import annotations

import dataclasses
import html
import re

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from shapely import LineString

import rivermap as rm
from rivermap.errors import SchemaError
from rivermap.maps import responsibility_map, save_html
from rivermap.maps.atlas import atlas
from rivermap.maps.signboards import signboards
from rivermap.text import LABEL_COLUMNS, clip_label, columns, strip_bidi
from tests import browser as br
from tests.conftest import tiny_units_frame

LONG_RIVER = "富" * 10_000
LONG_STREET = "府" * 10_000
LONG_DISTRICT = "Kq" * 5_000
RTL_WEST = "\u202eWEST"
RTL_EAST = "\u202eEAST"
X0, Y0 = 540_000.0, 3_320_000.0
REASON = br.unavailable_reason()
needs_browser = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _resp(names: dict[str, str], river_names: list[str], river_ids: list[str] | None = None):
    """Return conftest's tiny districts and streets renamed, with its three rivers named."""
    units = tiny_units_frame()
    units["name"] = [names.get(u, n) for u, n in zip(units["unit_id"], units["name"], strict=True)]
    rivers = gpd.GeoDataFrame(
        {"river_id": river_ids or ["inside", "crossing", "boundary"], "name": river_names},
        geometry=[
            LineString([(X0 + 200, Y0 + 200), (X0 + 800, Y0 + 300)]),
            LineString([(X0 + 1000, Y0 + 500), (X0 + 3000, Y0 + 500)]),
            LineString([(X0 + 2003, Y0 + 100), (X0 + 1998, Y0 + 900)]),
        ],
        crs="EPSG:4549",
    )
    return rm.assign(rivers, rm.AdminUnits(units, ["district", "street"]))


@pytest.fixture(scope="module")
def long_resp() -> rm.Responsibility:
    """Return a result whose river, street and district have names of 10,000 characters."""
    names = {"330602001": LONG_STREET, "330603": LONG_DISTRICT}
    return _resp(names, [LONG_RIVER, "跨区河", "界河"])


@pytest.fixture(scope="module")
def rtl_resp() -> rm.Responsibility:
    """Two districts whose names start with a right-to-left override, a boundary river between."""
    return _resp({"330602": RTL_WEST, "330603": RTL_EAST}, ["\u202e内河", "跨区河", "\u202e界河"])


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


# ------------------------------------------------------------------ the rule
@given(st.text(max_size=200), st.integers(min_value=1, max_value=60))
def test_clip_label_fits_its_width_and_keeps_what_fits(s: str, width: int) -> None:
    out = clip_label(s, width)
    plain = strip_bidi(s)
    assert columns(out) <= max(width, 1)
    if columns(plain) <= width:
        assert out == plain
    else:
        assert out.endswith("…")
        assert plain.startswith(out[:-1])
        assert clip_label(out, width) == out


def test_clip_label_counts_a_chinese_character_as_two_columns() -> None:
    assert clip_label(LONG_RIVER) == "富" * 19 + "…"
    assert clip_label("x" * 10_000) == "x" * (LABEL_COLUMNS - 1) + "…"
    assert clip_label("钱塘江（富春江段）") == "钱塘江（富春江段）"


# ----------------------------------------------------------------- the atlas
def test_atlas_draws_long_names_cut(long_resp, tmp_path) -> None:
    text = _pdf_text(atlas(long_resp, tmp_path / "a.pdf", date="2025-06-30"))
    assert clip_label(LONG_DISTRICT) in text  # the page title of that district
    assert "富" * 12 in text  # the river's name, on its map and in its table
    assert "富" * (LABEL_COLUMNS // 2) not in text  # …never more than a label holds
    assert "府" * (LABEL_COLUMNS // 2) not in text
    assert "Kq" * LABEL_COLUMNS not in text


def test_atlas_and_signboards_draw_no_override(rtl_resp, tmp_path) -> None:
    """A PDF line is laid out as a whole: an override in a name would turn the title around."""
    text = _pdf_text(atlas(rtl_resp, tmp_path / "a.pdf", date="2025-06-30"))
    assert "\u202e" not in text
    assert "WEST、EAST河长制责任图册" in text  # not 册图任责制长河TSAE、TSEW
    boards = _pdf_text(signboards(rtl_resp, tmp_path / "b.pdf"))
    assert "\u202e" not in boards
    assert "河流名称：内河" in boards


# ------------------------------------------------------------- the signboards
def test_signboards_draw_long_names_cut(long_resp, tmp_path) -> None:
    text = _pdf_text(signboards(long_resp, tmp_path / "b.pdf", level="street"))
    assert "富" * 12 in text
    assert "富" * (LABEL_COLUMNS // 2) not in text
    assert "府" * 12 in text  # the street, the river's chief unit
    assert all(len(line) < 80 for line in text.splitlines())


def test_a_board_id_no_qr_code_holds_is_an_error_before_any_page(tmp_path) -> None:
    resp = _resp({}, ["内河", "跨区河", "界河"], ["r" * 3000, "crossing", "boundary"])
    out = tmp_path / "b.pdf"
    with pytest.raises(SchemaError, match=r"1 board\(s\) have an id too long for a QR code"):
        signboards(resp, out, level="street")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------- the web map
def _meta(m) -> dict:  # type: ignore[type-arg]
    from tests.test_web_map import meta_of, rendered

    return meta_of(rendered(m))[0]


def test_map_payload_clips_drawn_names_and_keeps_them_whole(long_resp) -> None:
    meta = _meta(responsibility_map(long_resp, level="street", flags=False))
    assert meta["rivers"]["inside"] == LONG_RIVER  # popups and the search read this
    assert meta["units"]["330602001"][0] == LONG_STREET
    assert meta["clipped"] == {
        LONG_RIVER: clip_label(LONG_RIVER),
        LONG_STREET: clip_label(LONG_STREET),
        LONG_DISTRICT: clip_label(LONG_DISTRICT),
    }
    short = _meta(responsibility_map(_resp({}, ["内河", "跨区河", "界河"]), level="street"))
    assert short["clipped"] == {}


_RANGE_X = """([sel, needles]) => {
    // the left edge on screen of the first occurrence of each needle in sel's text
    const root = document.querySelector(sel);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const out = {};
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (const s of needles) {
            const at = n.data.indexOf(s);
            if (at < 0 || s in out) continue;
            const r = document.createRange();
            r.setStart(n, at); r.setEnd(n, at + s.length);
            out[s] = Math.min(...Array.from(r.getClientRects(), (q) => q.left));
        }
    }
    return out;
}"""


@needs_browser
def test_map_draws_long_names_cut_and_shows_them_whole_in_popups(
    chromium, long_resp, tmp_path
) -> None:
    path = save_html(
        responsibility_map(long_resp, level="street", flags=False), tmp_path / "m.html"
    )
    page, log, _ = br.open_map(chromium, path)
    try:
        labels = page.evaluate(
            "() => rivermap.maps[0].labelGroups.map(g => g.points.map(p => g.text(p[2])))"
        )
        drawn = [t for group in labels for t in group]
        assert clip_label(LONG_STREET) in drawn
        assert max(len(t) for t in drawn) <= LABEL_COLUMNS
        j = list(long_resp.reaches["river_id"]).index("inside")
        tip = page.evaluate(
            f"() => {{ const l = rivermap.maps[0].reachLayers[{j}]; l.openTooltip(l.getCenter());"
            " return l.getTooltip().getElement().textContent; }"
        )
        assert clip_label(LONG_RIVER) in tip
        assert clip_label(LONG_STREET) in tip
        assert "富" * 20 not in tip
        page.fill(".rm-search input", "富富富")
        assert page.locator(".rm-search li.rm-result .rm-name").first.inner_text() == clip_label(
            LONG_RIVER
        )
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.text_content() or ""
        assert LONG_RIVER in text
        assert LONG_STREET in text
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_map_popup_keeps_a_right_to_left_override_inside_the_name(
    chromium, rtl_resp, tmp_path
) -> None:
    path = save_html(responsibility_map(rtl_resp, level="street", flags=False), tmp_path / "r.html")
    page, log, _ = br.open_map(chromium, path)
    try:
        j = list(rtl_resp.reaches["kind"]).index("boundary")
        page.evaluate(
            f"() => {{ const l = rivermap.maps[0].reachLayers[{j}]; l.openPopup(l.getCenter()); }}"
        )
        page.locator(".leaflet-popup-content").wait_for(timeout=5000)
        # the boundary reach's district row: 左岸 <WEST> | 右岸 <EAST>
        row = page.locator(".leaflet-popup-content .rm-row", has_text="右岸").first
        row.evaluate("e => e.id = 'banks'")
        x = page.evaluate(_RANGE_X, ["#banks", ["WEST", "右岸", "EAST"]])
        assert x["WEST"] < x["右岸"] < x["EAST"]  # read left to right, as written
        assert page.locator("#banks bdi").count() == 2
        # control: the same words in one text node, the override not isolated, turn around
        page.evaluate(
            "() => { const d = document.createElement('div'); d.id = 'plain';"
            " d.textContent = '左岸 \\u202eWEST | 右岸 \\u202eEAST';"
            " document.body.appendChild(d); }"
        )
        y = page.evaluate(_RANGE_X, ["#plain", ["WEST", "右岸", "EAST"]])
        assert y["右岸"] < y["WEST"]
        assert log.errors == []
    finally:
        page.close()


# -------------------------------------------------------------- the bulletin
@pytest.fixture(scope="module")
def hostile_bulletin(demo):
    """Return the demo's bulletin with a district of 10,000 characters and overrides in names."""
    resp = demo.with_chiefs(rm.chiefs.example_roster_path())
    units = resp.units.copy()
    units.loc[units["unit_id"] == "330106", "name"] = LONG_STREET
    units.loc[units["unit_id"] == "330105", "name"] = RTL_WEST
    units.loc[units["level"] == "province", "name"] = RTL_EAST
    b = rm.bulletin(dataclasses.replace(resp, units=units), month="2026-11", level="district")
    # every district with a duty half done, so that the completion chart has a bar each
    ranking = b.tables["ranking"].assign(required=2, done=1, completion=0.5)
    return dataclasses.replace(b, tables={**b.tables, "ranking": ranking})


def test_bulletin_page_cuts_drawn_names_and_isolates_them(hostile_bulletin, tmp_path) -> None:
    text = hostile_bulletin.to_html(tmp_path / "b.html").read_text(encoding="utf-8")
    bars = re.findall(
        r'<text x="\d+" y="\d+" font-size="10" text-anchor="end">([^<]*)</text>', text
    )
    assert clip_label(LONG_STREET) in bars
    assert max(len(b) for b in bars) <= LABEL_COLUMNS
    assert f'<bdi class="cut">{LONG_STREET}</bdi>' in text  # the table keeps it whole
    assert f'<bdi class="cut">{html.escape(RTL_WEST)}</bdi>' in text
    # the subtitle's place, drawn without its override, and isolated all the same
    assert '<div class="sub"><bdi>EAST</bdi> · ' in text


@needs_browser
def test_bulletin_page_stays_on_the_paper(chromium, hostile_bulletin, tmp_path) -> None:
    path = hostile_bulletin.to_html(tmp_path / "b.html")
    page = chromium.new_page(viewport={"width": 900, "height": 1200})
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 900
        assert LONG_STREET in page.inner_text("table")  # whole in the page's text
    finally:
        page.close()
