"""Interactive maps: offline, escaped, coloured, in a real browser with the network blocked.

The browser tests use Debian's chromium through Playwright (see tests/browser.py)
and skip with the reason when either is missing. Screenshots go to
``out/test-artifacts/`` (printed; not committed).
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Polygon, box

import rivermap as rm
from rivermap import params, text
from rivermap.crs import wgs84_to_gcj02
from rivermap.maps import _offline, _style, responsibility_map, save_html
from rivermap.maps.web import BASEMAPS, _simplify_coverage, script_texts
from tests import browser as br
from tests.conftest import tiny_units_frame

HOSTILE_RIVER = "<img src=x onerror=alert(1)>"
HOSTILE_UNIT = "</script><script>alert(2)</script>\"'&"
TEMPLATE_NAME = "{{7*7}}{% if 1 %}x{% endif %}{# c #}"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo() -> rm.Responsibility:
    return rm.assign(*rm.datasets.load_demo())


def hand_flags(resp: rm.Responsibility, level: str) -> pd.DataFrame:
    """Return a flags table in the shape of ``resp.flags()``: rivers crossing units at ``level``."""
    r = resp.reaches
    r = r[r[level].notna()]
    names = resp.units.set_index("unit_id")["name"]
    rows = []
    for rid, grp in r.groupby("river_id", sort=True):
        per = grp.groupby(level, sort=False)["length_m"].sum()
        if len(per) < 2:
            continue
        shares = per / per.sum()
        rows.append(
            {
                "river_id": rid,
                "name": grp["name"].iloc[0],
                "level": level,
                "units": ";".join(per.index),
                "unit_names": ";".join(names.reindex(per.index).fillna("").astype(str)),
                "shares": ";".join(f"{s:.3f}" for s in shares),
                "lengths_m": ";".join(f"{v:.0f}" for v in per),
                "handovers": len(per) - 1,
                "reasons": "crosses,boundary",
                "severity": float(1 - shares.max()),
                "proposal": f"Split {rid} into {len(per)} segments",
                "proposal_zh": f"将{rid}分为{len(per)}段",
            }
        )
    return pd.DataFrame(rows)


def hostile_resp() -> rm.Responsibility:
    frame = tiny_units_frame()
    frame.loc[frame["unit_id"] == "330602", "name"] = HOSTILE_UNIT
    frame.loc[frame["unit_id"] == "330603", "name"] = TEMPLATE_NAME
    x0, y0 = 540_000.0, 3_320_000.0
    rivers = gpd.GeoDataFrame(
        {"river_id": ["evil", "tmpl"], "name": [HOSTILE_RIVER, TEMPLATE_NAME]},
        geometry=[
            LineString([(x0 + 1000, y0 + 500), (x0 + 3000, y0 + 500)]),
            LineString([(x0 + 500, y0 + 1500), (x0 + 3500, y0 + 1500)]),
        ],
        crs=frame.crs,
    )
    return rm.assign(rivers, rm.AdminUnits(frame, ["district", "street"]))


def hostile_flags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "river_id": ["evil"],
            "level": ["street"],
            "units": ["330602001;330603001"],
            "unit_names": [f"{HOSTILE_UNIT};b"],
            "shares": ["0.5;0.5"],
            "lengths_m": ["1000;1000"],
            "handovers": [1],
            "reasons": ["crosses"],
            "severity": [0.5],
            "proposal": [HOSTILE_RIVER],
            "proposal_zh": [HOSTILE_RIVER],
        }
    )


def hostile_chiefs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["330602001", "330603001"],
            "level": ["street", "street"],
            "unit_name": ["a", "b"],
            "name": [HOSTILE_RIVER, "王五"],
            "title": [HOSTILE_UNIT, "街道办主任"],
            "phone": ["<b>1</b>", "0575-1"],
            "role": ["河长", "河长"],
            "river_id": [np.nan, "evil"],
            "since": ["2020-01-01", "2021-01-01"],
        }
    )


def rendered(m: object) -> str:
    return m.get_root().render()  # type: ignore[attr-defined,no-any-return]


def meta_of(html: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """Return the two JSON arguments of rivermap.build(...) in a rendered page."""
    import json

    start = html.index("rivermap.build(")
    decoder = json.JSONDecoder()
    i = html.index(",", start) + 2
    meta, end = decoder.raw_decode(html, i)
    geoms, _ = decoder.raw_decode(html, end + 2)
    return meta, geoms


def layer_names(html: str) -> list[str]:
    """Return the overlay names of the layer control, in order."""
    import json
    from html import unescape

    control = html[html.index("overlays :") : html.index("L.control.layers")]
    return [unescape(json.loads(f'"{n}"')) for n in re.findall(r'"((?:[^"\\]|\\.)*)" :', control)]


def decode(text: str, factor: float) -> list[tuple[float, float]]:
    """Decode a polyline into [(lat, lng)] (the inverse of _offline.encode_geometries)."""
    out, i, lat, lng = [], 0, 0, 0
    while i < len(text):
        vals = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(text[i]) - 63
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


# ------------------------------------------------------------- HTML, no browser
def test_demo_map_is_self_contained_and_small(demo, tmp_path) -> None:
    out = save_html(
        responsibility_map(demo, flags=hand_flags(demo, "district")), tmp_path / "m.html"
    )
    html = out.read_text(encoding="utf-8")
    assert out.stat().st_size <= 3_000_000
    assert _offline.external_urls(html) == []
    assert "cdn.jsdelivr" not in html
    assert "code.jquery" not in html
    assert "bootstrap" not in html
    assert "Leaflet 1.9" in html  # inlined from xstatic-leaflet
    assert "url(images/" not in html  # Leaflet's CSS images are data: URIs


def test_external_urls_finds_loads_not_links() -> None:
    html = (
        '<link rel="stylesheet" href="https://a/x.css"><script src="//b/y.js"></script>'
        '<style>.a{background:url("http://c/z.png")}</style><a href="https://leafletjs.com">L</a>'
    )
    assert _offline.external_urls(html) == ["//b/y.js", "http://c/z.png", "https://a/x.css"]


def test_save_html_is_atomic_and_refuses_to_overwrite(demo, tmp_path) -> None:
    m = responsibility_map(demo, flags=False)
    path = save_html(m, tmp_path / "map.html")
    with pytest.raises(rm.OutputExistsError):
        save_html(m, path)
    assert save_html(m, path, overwrite=True) == path
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    with pytest.raises(TypeError, match=r"folium\.Map"):
        save_html("not a map", tmp_path / "x.html")  # type: ignore[arg-type]


def test_save_html_warns_when_a_plugin_pulls_from_a_cdn(demo, tmp_path) -> None:
    from folium.plugins import MiniMap

    m = responsibility_map(demo, flags=False)
    MiniMap().add_to(m)
    with pytest.warns(rm.RivermapWarning, match="will not work offline"):
        save_html(m, tmp_path / "map.html")


def test_bad_arguments_raise_clear_errors(demo) -> None:
    with pytest.raises(rm.ParameterError, match="'province', 'city', 'district'; got 'street'"):
        responsibility_map(demo, level="street")
    with pytest.raises(rm.ParameterError, match="'zh', 'en'; got 'fr'"):
        responsibility_map(demo, lang="fr")
    with pytest.raises(rm.ParameterError, match="'osm', 'tianditu', 'gaode'; got 'google'"):
        responsibility_map(demo, basemap="google")
    with pytest.raises(rm.ParameterError, match="simplify_m"):
        responsibility_map(demo, simplify_m=-1.0)
    with pytest.raises(TypeError, match="simplify_m"):
        responsibility_map(demo, simplify_m="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="basemap must be a string"):
        responsibility_map(demo, basemap=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="flags must be"):
        responsibility_map(demo, flags="yes")  # type: ignore[arg-type]
    with pytest.raises(rm.SchemaError, match="river_id"):
        responsibility_map(demo, flags=pd.DataFrame({"x": [1]}))
    with pytest.raises(rm.SchemaError, match="unit_id"):
        responsibility_map(demo, chiefs=pd.DataFrame({"name": ["a"]}))
    with pytest.raises(TypeError, match="plan must be"):
        responsibility_map(demo, plan=object())


def test_tianditu_needs_a_key(demo, monkeypatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(rm.ParameterError, match="TIANDITU_KEY"):
        responsibility_map(demo, basemap="tianditu")
    html = rendered(responsibility_map(demo, basemap="tianditu:abc123", flags=False))
    assert "tianditu.gov.cn" in html
    assert "tk=abc123" in html
    monkeypatch.setenv("TIANDITU_KEY", "k9")
    assert "tk=k9" in rendered(responsibility_map(demo, basemap="tianditu", flags=False))


def test_osm_basemap_adds_tiles_and_none_adds_none(demo) -> None:
    assert "tile.openstreetmap.org" in rendered(
        responsibility_map(demo, basemap="osm", flags=False)
    )
    html = rendered(responsibility_map(demo, flags=False))
    assert "tile" not in " ".join(re.findall(r"L\.tileLayer\([^)]*", html))
    assert "L.tileLayer(" not in html


def test_gaode_shifts_geometry_to_gcj02(demo) -> None:
    _plain_meta, plain = meta_of(rendered(responsibility_map(demo, flags=False)))
    _gaode_meta, gaode = meta_of(rendered(responsibility_map(demo, basemap="gaode", flags=False)))
    assert "autonavi.com" in rendered(responsibility_map(demo, basemap="gaode", flags=False))
    first = demo.reaches.iloc[[0]]
    start = shapely.get_coordinates(first.geometry.values[0])[0]
    shifted = shapely.get_coordinates(wgs84_to_gcj02(first).geometry.values[0])[0]
    tol = 1.5 / gaode["factor"]
    lat, lng = decode(gaode["reaches"][0][0], gaode["factor"])[0]
    assert abs(lng - shifted[0]) < tol
    assert abs(lat - shifted[1]) < tol
    lat0, lng0 = decode(plain["reaches"][0][0], plain["factor"])[0]
    assert abs(lng0 - start[0]) < tol
    assert abs(lat0 - start[1]) < tol
    assert abs(lng - lng0) > 10 * tol  # GCJ-02 moves points by hundreds of metres


def test_neighbouring_units_differ_and_reaches_take_their_units_colour(demo) -> None:
    meta, _ = meta_of(rendered(responsibility_map(demo, level="district", flags=False)))
    units = demo.units[demo.units["level"] == "district"].to_crs(4326).reset_index(drop=True)
    layer = next(u for u in meta["unitLayers"] if u["level"] == "district")
    colour = dict(zip(layer["ids"], layer["colours"], strict=True))
    pairs = _style.adjacency(units.geometry.values)
    assert len(pairs) > 100
    ids = units["unit_id"].to_numpy()
    assert all(colour[ids[a]] != colour[ids[b]] for a, b in pairs)
    assert set(colour.values()) <= set(_style.PALETTE)
    for p, (_, reach) in zip(meta["reaches"], demo.reaches.iterrows(), strict=True):
        if isinstance(reach["district"], str):
            assert p["c"] == colour[reach["district"]]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6))
def test_colour_graph_is_proper_on_random_planar_graphs(seed) -> None:
    rng = np.random.default_rng(seed)
    pts = rng.random((30, 2))
    tri = shapely.delaunay_triangles(shapely.multipoints(pts), only_edges=True)
    edges_geom = shapely.get_parts(tri)
    coords = shapely.get_coordinates(edges_geom).reshape(-1, 2, 2)
    index = {tuple(p): i for i, p in enumerate(pts.tolist())}
    edges = np.array([[index[tuple(a)], index[tuple(b)]] for a, b in coords.tolist()])
    colours = _style.colour_graph(len(pts), edges)
    assert (colours[edges[:, 0]] != colours[edges[:, 1]]).all()
    assert colours.max() < 6  # smallest-last colouring of a planar graph


def test_coverage_simplify_keeps_shared_edges() -> None:
    # a wiggly east-west boundary, with a T-junction at x=5 where two northern units meet
    xs = np.linspace(0, 10, 201)
    wiggle = [(float(x), 5 + 0.05 * np.sin(7 * x)) for x in xs]
    south = Polygon([(0, 0), (10, 0), *reversed(wiggle)])
    west = Polygon([*wiggle[:101], (5, 10), (0, 10)])
    east = Polygon([*wiggle[100:], (10, 10), (5, 10)])
    geoms = np.array([south, west, east], dtype=object)

    def overlap_and_gap(parts) -> tuple[float, float]:  # type: ignore[no-untyped-def]
        total = sum(p.area for p in parts)
        union = shapely.union_all(parts).area
        return total - union, 100 - union

    together = _simplify_coverage(geoms, 0.2)
    assert (
        shapely.get_num_coordinates(together).sum() < 0.3 * shapely.get_num_coordinates(geoms).sum()
    )
    overlap, gap = overlap_and_gap(together)
    assert abs(overlap) < 1e-9
    assert abs(gap) < 1e-9
    overlap, gap = overlap_and_gap(shapely.simplify(geoms, 0.2))  # each on its own
    assert overlap > 1e-4 or gap > 1e-4


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-179.9, 179.9), st.floats(-89.9, 89.9)), min_size=2, max_size=30),
    st.integers(0, 6),
)
def test_encoded_polylines_round_trip(points, decimals) -> None:
    line = LineString(points)
    (parts,) = _offline.encode_geometries([line], decimals)
    got = decode(parts[0], 10**decimals)
    want = [
        (round(y * 10**decimals) / 10**decimals, round(x * 10**decimals) / 10**decimals)
        for x, y in points
    ]
    assert np.allclose(got, want, atol=1e-9)


def test_encoded_polygons_keep_holes_and_parts() -> None:
    shell = box(0, 0, 4, 4)
    holed = shell.difference(box(1, 1, 2, 2))
    multi = shapely.MultiPolygon([box(10, 10, 11, 11), box(12, 12, 13, 13)])
    out = _offline.encode_geometries([holed, multi, None, shapely.LineString()], 4)
    assert [len(p) for p in out[0]] == [2]  # one polygon: shell and hole
    assert [len(p) for p in out[1]] == [1, 1]
    assert out[2] == []
    assert out[3] == []
    hole = decode(out[0][0][1], 1e4)
    assert len(hole) == 5
    assert set(hole) == {(1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (2.0, 2.0)}


def test_hostile_strings_never_reach_the_page_as_markup() -> None:
    resp = hostile_resp()
    html = rendered(
        responsibility_map(resp, level="street", flags=hostile_flags(), chiefs=hostile_chiefs())
    )
    for raw in (HOSTILE_RIVER, "<script>alert(2)", "<b>1</b>"):
        assert raw not in html
    assert "{{7*7}}" not in html
    assert "{%" not in html.split("rivermap.build(", 1)[1]
    meta, _ = meta_of(html)
    assert meta["rivers"]["evil"] == HOSTILE_RIVER  # the text itself survives, as data
    assert meta["units"]["330603"][0] == TEMPLATE_NAME


def test_js_literal_escapes_script_and_template_breakers() -> None:
    import json

    s = "</script><!-- {{x}} {%y%} {#z#} \u2028 & > ok"
    lit = _offline.js_literal({"a": s})
    assert "<" not in lit
    assert ">" not in lit
    assert "&" not in lit
    assert "{{" not in lit
    assert "{%" not in lit
    assert "{#" not in lit
    assert json.loads(lit) == {"a": s}


def test_flags_true_false_and_frame(demo) -> None:
    table = hand_flags(demo, "district")
    meta, _ = meta_of(rendered(responsibility_map(demo, flags=table)))
    assert set(meta["flags"]) == set(table["river_id"])
    entry = meta["flags"]["富春江"]
    assert entry["proposal"].startswith("将富春江")
    assert abs(sum(u[2] for u in entry["units"]) - 1) < 0.01
    assert entry["reasons"] == ["跨界", "界河"]
    en, _ = meta_of(rendered(responsibility_map(demo, flags=table, lang="en")))
    assert en["flags"]["富春江"]["proposal"].startswith("Split")
    assert en["flags"]["富春江"]["reasons"] == ["crosses units", "runs along a boundary"]
    none, _ = meta_of(rendered(responsibility_map(demo, flags=False)))
    assert none["flags"] == {}
    other_level = table.assign(level="city")
    kept, _ = meta_of(rendered(responsibility_map(demo, flags=other_level)))
    assert set(kept["flags"]) == set(table["river_id"])  # no row at this level: all are kept
    if hasattr(demo, "flags"):
        computed = demo.flags("district")
        auto, _ = meta_of(rendered(responsibility_map(demo, level="district")))
        assert set(auto["flags"]) == set(computed["river_id"].astype(str))


def test_chiefs_from_argument_and_from_roster(demo) -> None:
    chiefs = pd.DataFrame(
        {
            "unit_id": ["330111", "330111"],
            "level": ["district", "district"],
            "unit_name": ["富阳区", "富阳区"],
            "name": ["张三", "李四"],
            "title": ["区长", "副区长"],
            "phone": ["0571-1", "0571-2"],
            "role": ["总河长", "河长"],
            "river_id": [np.nan, "富春江"],
            "since": ["2020", "2021"],
        }
    )
    meta, _ = meta_of(rendered(responsibility_map(demo, chiefs=chiefs, flags=False)))
    assert meta["chiefs"]["330111"] == [["张三", "区长", "0571-1", "总河长"]]
    assert meta["chiefs"]["330111\x01富春江"] == [["李四", "副区长", "0571-2", "河长"]]
    with_roster = rm.Responsibility(
        demo.reaches,
        demo.rivers,
        demo.units,
        levels=demo.levels,
        crs=demo.crs,
        params=demo.params,
        summary=demo.summary,
        roster=chiefs,
    )
    meta2, _ = meta_of(rendered(responsibility_map(with_roster, flags=False)))
    assert meta2["chiefs"] == meta["chiefs"]


def test_plan_layer_with_segment_ids(demo) -> None:
    r = demo.reaches
    segs = r[r["river_id"] == "富春江"].copy()
    segments = gpd.GeoDataFrame(
        {
            "segment_id": [f"S{i:02d}" for i in range(len(segs))],
            "river_id": segs["river_id"].to_numpy(),
            "name": segs["name"].to_numpy(),
            "from_m": segs["from_m"].to_numpy(),
            "to_m": segs["to_m"].to_numpy(),
            "length_m": segs["length_m"].to_numpy(),
            "unit_id": segs["city"].to_numpy(),
            "unit_name": ["x"] * len(segs),
        },
        geometry=segs.geometry.to_numpy(),
        crs=demo.crs,
    )
    plan = types.SimpleNamespace(segments=segments, level="city")
    html = rendered(responsibility_map(demo, plan=plan, flags=False))
    meta, geoms = meta_of(html)
    assert [s["s"] for s in meta["plan"]["segments"]] == list(segments["segment_id"])
    assert len(geoms["plan"]) == len(segments)
    labels = meta["plan"]["labels"]  # longest segment first: it keeps its label where they meet
    assert sorted(lab[2] for lab in labels) == sorted(segments["segment_id"])
    lengths = dict(zip(segments["segment_id"], segments["to_m"] - segments["from_m"], strict=True))
    assert [lengths[lab[2]] for lab in labels] == sorted(lengths.values(), reverse=True)
    assert "调整方案河段" in html  # the layer control entry


def test_english_labels(demo) -> None:
    meta, _ = meta_of(rendered(responsibility_map(demo, lang="en", flags=False)))
    assert meta["texts"]["river"] == "River"
    assert [lv["label"] for lv in meta["levels"]] == ["province", "city", "district"]
    zh, _ = meta_of(rendered(responsibility_map(demo, flags=False)))
    assert [lv["label"] for lv in zh["levels"]] == ["省", "市", "区县"]


def _city_plan(demo: rm.Responsibility) -> types.SimpleNamespace:
    """Return a plan at the city level: the reaches of 富春江 as segments."""
    segs = demo.reaches[demo.reaches["river_id"] == "富春江"]
    segments = gpd.GeoDataFrame(
        {
            "segment_id": [f"S{i:02d}" for i in range(len(segs))],
            "river_id": segs["river_id"].to_numpy(),
            "from_m": segs["from_m"].to_numpy(),
            "to_m": segs["to_m"].to_numpy(),
            "unit_id": segs["city"].to_numpy(),
        },
        geometry=segs.geometry.to_numpy(),
        crs=demo.crs,
    )
    return types.SimpleNamespace(segments=segments, level="city")


@pytest.mark.parametrize("lang", params.LANGS)
def test_map_words_are_the_words_of_rivermap_text(demo, lang) -> None:
    html = rendered(
        responsibility_map(
            demo, flags=hand_flags(demo, "district"), plan=_city_plan(demo), lang=lang
        )
    )
    meta, _ = meta_of(html)
    words = meta["texts"]
    assert words == script_texts(lang)
    ui = [key for key in text.TERMS if key.startswith("ui.")]
    assert ui
    assert all(words[key.removeprefix("ui.")] == text.term(key, lang) for key in ui)
    # reach kinds: the words of the kind column, the first letter raised to start a line
    for key, kind in (("boundary_reach", "boundary"), ("outside_reach", "outside")):
        word = text.term(f"kind.{kind}", lang)
        assert words[key] == word[:1].upper() + word[1:]
    reasons = [text.term("reason.crosses", lang), text.term("reason.boundary", lang)]
    assert meta["flags"]["富春江"]["reasons"] == reasons
    assert reasons[0] == ("跨界" if lang == "zh" else "crosses units")
    levels = [text.level_label(lv, lang) for lv in demo.levels]
    assert [lv["label"] for lv in meta["levels"]] == levels
    assert meta["levelLabel"] == text.level_label("district", lang)
    assert meta["planLevelLabel"] == text.level_label("city", lang)
    count = text.term("ui.legend_units_count", lang, level=levels[-1], n=len(meta["legend"]))
    assert meta["legendTitle"] == text.term("ui.legend_units", lang) + count
    chief_unit = demo.rivers.set_index("river_id")["chief_unit"].dropna()
    assert meta["riverUnits"] == {str(k): str(v) for k, v in chief_unit.items()}
    # the page title and the layer control
    assert f"<title>{text.term('ui.title', lang)}</title>" in html
    assert layer_names(html) == [
        *(text.term("ui.unit_layer", lang, level=lv) for lv in levels),
        *(text.term(key, lang) for key in ("ui.plan", "ui.rivers", "ui.flagged")),
    ]


def _apply_diff(target, diff):  # type: ignore[no-untyped-def]
    """Do in Python what applyDiff in map.js does: write diff into target, key by key."""
    for key, value in diff.items():
        k = int(key) if isinstance(target, list) else key
        here = target[k] if isinstance(target, list) or k in target else None
        if isinstance(value, dict) and isinstance(here, dict | list):
            _apply_diff(here, value)
        else:
            target[k] = value


def test_the_other_language_is_in_the_page(demo) -> None:
    """The words the switch swaps in turn the zh page's words into the en page's, and back."""
    kwargs = {"flags": hand_flags(demo, "district"), "plan": _city_plan(demo)}
    zh, _ = meta_of(rendered(responsibility_map(demo, lang="zh", **kwargs)))
    en, _ = meta_of(rendered(responsibility_map(demo, lang="en", **kwargs)))
    assert zh["lang"] == "zh"
    assert set(zh["i18n"]) == {"en"}
    assert set(en["i18n"]) == {"zh"}
    words = ("texts", "title", "levels", "levelLabel", "legendTitle", "planLevelLabel")
    words += ("layerNames", "flags")
    switched = {k: zh[k] for k in words}
    _apply_diff(switched, zh["i18n"]["en"])
    assert switched == {k: en[k] for k in words}
    _apply_diff(switched, en["i18n"]["zh"])
    assert switched == {k: zh[k] for k in words}
    # language-free data is not repeated
    assert "reaches" not in zh["i18n"]["en"]
    assert "units" not in zh["i18n"]["en"]


_LEAVES = st.one_of(st.text(max_size=3), st.integers(0, 3), st.none())
_TREES = st.recursive(
    _LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2), children, max_size=3)
    ),
    max_leaves=12,
)


def _reworded(draw, value):  # type: ignore[no-untyped-def]
    """Draw a tree of the same shape as ``value``, some leaves and list lengths changed."""
    if isinstance(value, dict):
        out = {k: _reworded(draw, v) for k, v in value.items()}
        out.update(draw(st.dictionaries(st.text(max_size=2), _LEAVES, max_size=1)))
        return out
    if isinstance(value, list):
        if draw(st.booleans()):
            return draw(st.lists(_LEAVES, max_size=3))
        return [_reworded(draw, v) for v in value]
    return draw(_LEAVES) if draw(st.booleans()) else value


@given(st.dictionaries(st.text(max_size=2), _TREES, max_size=4), st.data())
def test_language_diff_turns_one_into_the_other(mine, data) -> None:
    import copy

    from rivermap.maps.web import language_diff

    other = _reworded(data.draw, mine)
    target = copy.deepcopy(mine)
    _apply_diff(target, language_diff(mine, other))
    assert target == other


def test_language_diff_refuses_a_change_of_shape() -> None:
    from rivermap.maps.web import language_diff

    with pytest.raises(TypeError, match=r"\['a'\]"):
        language_diff({"a": ["x"]}, {"a": {"0": "y"}})


def test_the_script_finds_every_word_it_uses() -> None:
    used = set(re.findall(r"\bT\.(\w+)", _offline.RIVERMAP_JS))
    assert {"boundary_reach", "outside", "flag", "reasons", "search"} <= used
    for lang in params.LANGS:
        assert used <= set(script_texts(lang)), used - set(script_texts(lang))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lang": "fr"}, "lang"),
        ({"lang": None}, "lang"),
        ({"level": "ward"}, "level"),
        ({"basemap": "google"}, "basemap"),
        ({"basemap": "bing:KEY"}, "basemap"),
        ({"simplify_m": float("nan")}, "simplify_m"),
        ({"simplify_m": float("inf")}, "simplify_m"),
    ],
)
def test_a_bad_argument_is_a_parameter_error(demo, kwargs, name) -> None:
    with pytest.raises(rm.ParameterError, match=f"^{name} ") as info:
        responsibility_map(demo, **kwargs)
    assert isinstance(info.value, ValueError)


def test_basemaps_are_the_params_choices() -> None:
    assert BASEMAPS == params.BASEMAPS


def test_metric_crs_input_is_drawn_in_degrees() -> None:
    resp = hostile_resp()  # EPSG:4549 metres
    _, geoms = meta_of(rendered(responsibility_map(resp, flags=False)))
    lat, lng = decode(geoms["reaches"][0][0], geoms["factor"])[0]
    assert 29 < lat < 31
    assert 120 < lng < 121


def test_notebook_repr_embeds_the_offline_page(demo) -> None:
    snippet = responsibility_map(demo, flags=False)._repr_html_()
    assert snippet.startswith("<div")
    assert "<iframe srcdoc=" in snippet
    assert "Leaflet 1.9" in snippet
    assert "cdn.jsdelivr" not in snippet


def test_legend_groups_and_collapses_when_long(demo) -> None:
    district, _ = meta_of(rendered(responsibility_map(demo, flags=False)))
    n_district = int((demo.units.query("level == 'district'")["river_length_m"] > 0).sum())
    assert n_district > 12
    assert len(district["legend"]) == n_district  # under the cap of 40
    assert district["legendCollapsed"] is True
    assert district["legendTitle"] == f"责任单位颜色（区县，{n_district}）"
    city, _ = meta_of(rendered(responsibility_map(demo, level="city", lang="en", flags=False)))
    assert 0 < len(city["legend"]) <= 12
    assert city["legendCollapsed"] is False
    assert city["legendTitle"] == f"Responsible-unit colours (city, {len(city['legend'])})"
    # the legend lists units by river length, longest first
    lengths = demo.units.set_index("unit_id")["river_length_m"]
    got = [lengths[uid] for uid, _ in city["legend"]]
    assert got == sorted(got, reverse=True)
    for lang in ("zh", "en"):
        texts = script_texts(lang)
        keys = ("legend_styles", "legend_collapse", "legend_expand", "legend_expand_hint")
        assert all(texts[k] for k in keys)
    assert script_texts("zh")["legend_expand"] != script_texts("en")["legend_expand"]


# ---------------------------------------------------------------- in a browser
REASON = br.unavailable_reason()
needs_browser = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def demo_page_file(demo, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("map") / "demo.html"
    return save_html(responsibility_map(demo, flags=hand_flags(demo, "district")), path)


def _click_river(page, river_id: str) -> None:  # type: ignore[no-untyped-def]
    """Click the middle vertex of the longest reach of a river."""
    x, y = page.evaluate(
        """(rid) => {
            const h = rivermap.maps[0], map = h.map;
            const layers = h.riverIndex[rid];
            let best = null, bestLen = -1;
            for (const l of layers) {
                let ll = l.getLatLngs(); while (Array.isArray(ll[0])) ll = ll[0];
                if (ll.length > bestLen) { best = ll; bestLen = ll.length; }
            }
            const target = best[Math.floor(best.length / 2)];
            map.setView(target, 11, {animate: false});
            const p = map.latLngToContainerPoint(target);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        river_id,
    )
    page.mouse.click(x, y)


@needs_browser
def test_demo_opens_offline_with_every_reach_drawn(chromium, demo, demo_page_file) -> None:
    page, log, seconds = br.open_map(chromium, demo_page_file)
    try:
        assert log.blocked == []
        assert log.failed == []
        assert log.errors == []
        assert page.locator("path.rm-reach").count() == len(demo.reaches)
        n_boundary = int((demo.reaches["kind"] == "boundary").sum())
        assert page.locator("path.rm-reach.rm-boundary").count() == n_boundary
        # a halo per flagged river at least as severe as the threshold
        meta = page.evaluate("rivermap.maps[0].D")
        least = meta["flagScale"]["threshold"]
        severe = [f for f in meta["flags"].values() if f["severity"] >= least]
        assert page.locator("path.rm-halo").count() == len(severe) > 0
        assert page.locator("path.rm-flagged").count() > len(severe)
        assert page.locator(".leaflet-control-scale").count() == 1
        assert page.locator(".leaflet-control-layers-overlays label").count() == 5
        assert page.locator(".rm-legend .rm-item").count() > 5
        assert page.locator(".rm-label").count() > 10  # unit names in view
        br.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = br.ARTIFACTS / "demo_map.png"
        page.screenshot(path=str(shot))
        print(f"\nscreenshot of the demo map: {shot} (opened in {seconds:.2f} s)")
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


@needs_browser
def test_clicking_a_flagged_river_opens_its_popup(chromium, demo_page_file) -> None:
    page, log, _ = br.open_map(chromium, demo_page_file)
    try:
        _click_river(page, "富春江")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert "富春江" in text
        assert "将富春江分为" in text  # the proposal
        assert "跨界" in text  # reason.crosses, as the flags table words it
        assert "%" in text
        assert page.locator(".leaflet-popup-content .rm-flag tr").count() >= 2
        assert log.errors == []
    finally:
        page.close()


@pytest.fixture(scope="module")
def search_page_file(demo, tmp_path_factory) -> Path:
    """Return a demo page with the example roster and a district plan (every kind of result)."""
    from rivermap.chiefs import example_roster_path

    resp = demo.with_chiefs(example_roster_path())
    plan = rm.redivide(resp, level="district")
    path = tmp_path_factory.mktemp("map") / "search.html"
    return save_html(responsibility_map(resp, plan=plan, flags=False), path)


def _results(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".rm-search li.rm-result").all_inner_texts()


def _popup_text(page) -> str:  # type: ignore[no-untyped-def]
    """Return the text of the open popup (once the one it replaced has faded out)."""
    page.wait_for_function(
        "document.querySelectorAll('.leaflet-popup-content').length === 1", timeout=5000
    )
    return page.locator(".leaflet-popup-content").inner_text()


@needs_browser
def test_search_finds_a_river_by_name_with_its_chief_unit(chromium, demo, search_page_file) -> None:
    page, log, _ = br.open_map(chromium, search_page_file)
    try:
        page.fill(".rm-search input", "富春")
        first = page.locator(".rm-search li.rm-result").first
        assert first.locator(".rm-name").inner_text() == "富春江"
        assert first.locator(".rm-kind").inner_text() == "河流"
        unit = demo.rivers.set_index("river_id").loc["富春江", "chief_unit"]
        name = demo.units.set_index("unit_id").loc[unit, "name"]
        assert first.locator(".rm-where").inner_text() == name  # tells same-named rivers apart
        first.click()
        assert "富春江" in _popup_text(page)
        assert page.locator(".rm-search li").count() == 0  # the list closes after a choice
        page.fill(".rm-search input", "西湖")
        west = page.locator(".rm-search li.rm-result").first
        assert west.locator(".rm-name").inner_text() == "西湖区"
        assert west.locator(".rm-where").inner_text() == "杭州市"  # the parent unit
        page.fill(".rm-search input", "no such river 不存在")
        assert page.locator(".rm-search li.rm-none").count() == 1
        page.keyboard.press("Escape")
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_search_by_chief_reach_and_segment_id(chromium, demo, search_page_file) -> None:
    page, log, _ = br.open_map(chromium, search_page_file)
    try:
        page.fill(".rm-search input", "西湖区河长")
        hit = page.locator(".rm-search li.rm-result").first
        assert hit.locator(".rm-kind").inner_text() == "河长"
        assert "西湖区" in hit.locator(".rm-where").inner_text()
        page.keyboard.press("Enter")
        assert "西湖区" in _popup_text(page)
        reach = str(demo.reaches["reach_id"].iloc[7])
        page.fill(".rm-search input", reach)
        assert _results(page)[0].startswith(reach)
        page.keyboard.press("Enter")
        assert reach in _popup_text(page)
        page.fill(".rm-search input", "富春江-2")
        seg = page.locator(".rm-search li.rm-result").first
        assert seg.locator(".rm-name").inner_text() == "富春江-2"
        assert seg.locator(".rm-kind").inner_text() == "方案河段"
        seg.click()
        page.locator(".leaflet-popup-content, .leaflet-tooltip").first.wait_for(timeout=5000)
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_search_keys_and_more_line(chromium, search_page_file) -> None:
    page, log, _ = br.open_map(chromium, search_page_file)
    try:
        page.fill(".rm-search input", "江")
        assert len(_results(page)) == 12
        more = page.locator(".rm-search li.rm-more")
        assert more.count() == 1
        assert "更多" in more.inner_text()
        more.click()
        assert len(_results(page)) > 12
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        active = page.locator(".rm-search li.rm-active")
        assert active.count() == 1
        chosen = active.locator(".rm-name").inner_text()
        assert (
            chosen
            == page.locator(".rm-search li.rm-result").nth(1).locator(".rm-name").inner_text()
        )
        page.keyboard.press("Enter")
        assert chosen in _popup_text(page)
        assert page.locator(".rm-search li").count() == 0
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_hostile_names_show_as_text_and_run_nothing(chromium, tmp_path) -> None:
    resp = hostile_resp()
    path = save_html(
        responsibility_map(resp, level="street", flags=hostile_flags(), chiefs=hostile_chiefs()),
        tmp_path / "hostile.html",
    )
    page, log, _ = br.open_map(chromium, path)
    try:
        _click_river(page, "evil")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert HOSTILE_RIVER in text  # shown as text
        assert "<b>1</b>" in text  # a chief's phone, as text
        page.fill(".rm-search input", "{{7")
        assert page.locator(".rm-search li.rm-result").filter(has_text=TEMPLATE_NAME).count() >= 1
        page.fill(".rm-search input", "<img")
        names = page.locator(".rm-search li.rm-result .rm-name").all_inner_texts()
        assert names.count(HOSTILE_RIVER) >= 1  # the river (and whatever else bears the name)
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("script:text('alert(2)')").count() == 0
        assert log.dialogs == []
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()


@needs_browser
def test_map_shows_inline_in_a_notebook_page(chromium, demo, tmp_path) -> None:
    snippet = responsibility_map(demo, flags=False)._repr_html_()
    page_file = tmp_path / "notebook.html"
    page_file.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{snippet}</body></html>",
        encoding="utf-8",
    )
    page = chromium.new_page()
    blocked: list[str] = []
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("file:", "data:", "about:"))
            else (blocked.append(r.request.url), r.abort())
        ),
    )
    try:
        page.goto(page_file.as_uri())
        frame = page.frame_locator("iframe")
        frame.locator("path.rm-reach").first.wait_for(state="attached", timeout=10_000)
        assert frame.locator("path.rm-reach").count() == len(demo.reaches)
        assert blocked == []
    finally:
        page.close()


def test_hostile_level_names_reach_the_layer_control_as_text() -> None:
    frame = tiny_units_frame()
    levels = ["{{7*7}}", "<i>s{%x%}</i>"]
    frame["level"] = frame["level"].map({"district": levels[0], "street": levels[1]})
    x0, y0 = 540_000.0, 3_320_000.0
    rivers = gpd.GeoDataFrame(
        {"river_id": ["a"], "name": ["A"]},
        geometry=[LineString([(x0 + 1000, y0 + 500), (x0 + 3000, y0 + 500)])],
        crs=frame.crs,
    )
    resp = rm.assign(rivers, rm.AdminUnits(frame, levels))
    html = rendered(responsibility_map(resp, flags=False))
    control = html[html.index("overlays :") : html.index("L.control.layers")]
    assert "<i>" not in html
    assert "\\u0026#123;\\u0026#123;7*7\\u0026#125;\\u0026#125;" in control  # entities, as text
    meta, _ = meta_of(html)
    assert [lv["label"] for lv in meta["levels"]] == levels


# ------------------------------------------------------------------- legend
LEGEND_BOXES = """() => {
    const c = rivermap.maps[0].map.getContainer().getBoundingClientRect();
    const box = document.querySelector(".rm-legend");
    const l = box.getBoundingClientRect();
    const body = box.querySelector(".rm-legend-body");
    const layers = document.querySelector(".leaflet-control-layers").getBoundingClientRect();
    const list = box.querySelector(".rm-units-list");
    const toggle = box.querySelector(".rm-legend-toggle");
    return {
        map: [c.left, c.top, c.right, c.bottom], legend: [l.left, l.top, l.right, l.bottom],
        layersBottom: layers.bottom, collapsed: box.classList.contains("rm-collapsed"),
        listShown: !!list && list.getBoundingClientRect().height > 0,
        scroll: [body.scrollHeight, body.clientHeight],
        overflowY: getComputedStyle(body).overflowY,
        toggle: toggle ? [toggle.textContent, toggle.getAttribute("aria-expanded")] : null,
        styles: Array.from(box.querySelectorAll(".rm-styles-group .rm-item"))
            .map(e => e.textContent),
    };
}"""


def _inside(inner: list[float], outer: list[float]) -> bool:
    left, top, right, bottom = inner
    return left >= outer[0] and top >= outer[1] and right <= outer[2] and bottom <= outer[3]


@needs_browser
@pytest.mark.parametrize("viewport", [(1200, 900), (800, 450)])
def test_legend_stays_inside_the_map_and_toggles(chromium, demo, demo_page_file, viewport) -> None:
    page, log, _ = br.open_map(chromium, demo_page_file, width=viewport[0], height=viewport[1])
    try:
        page.wait_for_timeout(50)  # the legend is fitted once the layer control is in place
        shut = page.evaluate(LEGEND_BOXES)
        assert shut["collapsed"]  # more than 12 districts: opens collapsed
        assert not shut["listShown"]
        assert shut["toggle"] == ["展开 ▾", "false"]
        assert shut["styles"] == ["界河段", "区域外河段"]  # flags: a group of their own
        assert _inside(shut["legend"], shut["map"])
        page.click(".rm-legend-toggle")
        opened = page.evaluate(LEGEND_BOXES)
        assert not opened["collapsed"]
        assert opened["listShown"]
        assert opened["toggle"] == ["收起 ▴", "true"]
        assert _inside(opened["legend"], opened["map"])
        assert opened["legend"][1] >= opened["layersBottom"]  # below the layer control
        assert opened["legend"][3] - opened["legend"][1] > shut["legend"][3] - shut["legend"][1]
        assert opened["overflowY"] == "auto"
        districts = demo.units[demo.units["level"] == "district"]
        listed = page.locator(".rm-legend .rm-units-list .rm-item")
        assert listed.count() == min(int((districts["river_length_m"] > 0).sum()), 40)
        if viewport[1] < 600:  # too short for the whole list: it scrolls inside the box
            assert opened["scroll"][0] > opened["scroll"][1]
            page.mouse.move(opened["legend"][0] + 20, opened["legend"][3] - 20)
            zoom = page.evaluate("rivermap.maps[0].map.getZoom()")
            page.mouse.wheel(0, 400)
            page.wait_for_timeout(100)
            assert page.evaluate("document.querySelector('.rm-legend-body').scrollTop") > 0
            assert page.evaluate("rivermap.maps[0].map.getZoom()") == zoom  # map did not zoom
        else:
            assert opened["scroll"][0] <= opened["scroll"][1] + 1  # fits: no scrolling
        page.click(".rm-legend-toggle")
        again = page.evaluate(LEGEND_BOXES)
        assert again["collapsed"]
        assert again["legend"] == shut["legend"]
        if viewport == (1200, 900):
            br.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(br.ARTIFACTS / "legend_collapsed.png"))
            # a map shorter than the window (embedded in a page): the bound follows the map
            page.click(".rm-legend-toggle")
            page.evaluate(
                """() => { const m = rivermap.maps[0].map;
                           m.getContainer().style.height = "420px"; m.invalidateSize(); }"""
            )
            small = page.evaluate(LEGEND_BOXES)
            assert small["map"][3] - small["map"][1] == 420
            assert not small["collapsed"]
            assert _inside(small["legend"], small["map"])
            assert small["legend"][1] >= small["layersBottom"]
            assert small["scroll"][0] > small["scroll"][1]
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()


@needs_browser
def test_short_legend_opens_expanded_in_english(chromium, demo, tmp_path) -> None:
    path = save_html(
        responsibility_map(demo, level="city", lang="en", flags=False), tmp_path / "city.html"
    )
    page, log, _ = br.open_map(chromium, path, width=1200, height=900)
    try:
        page.wait_for_timeout(50)
        box = page.evaluate(LEGEND_BOXES)
        assert not box["collapsed"]
        assert box["listShown"]
        assert box["toggle"] == ["Hide ▴", "true"]
        assert box["styles"] == ["Boundary reach", "Outside all units"]  # no flags, no plan
        assert _inside(box["legend"], box["map"])
        page.get_by_role("button", name="Hide the list of unit colours").click()
        assert page.evaluate(LEGEND_BOXES)["toggle"] == ["Show ▾", "false"]
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_hostile_unit_names_in_the_legend_are_text(chromium, tmp_path) -> None:
    path = save_html(
        responsibility_map(hostile_resp(), level="district", flags=False), tmp_path / "h.html"
    )
    page, log, _ = br.open_map(chromium, path, width=800, height=600)
    try:
        text = page.locator(".rm-legend .rm-units-list").inner_text()
        assert HOSTILE_UNIT in text
        assert TEMPLATE_NAME in text
        assert page.locator(".rm-legend script").count() == 0
        assert log.dialogs == []
        assert log.errors == []
    finally:
        page.close()


_REACH_POINT = """([j, frac]) => {
    // centre the map on reach j's longest segment and return the page point at frac along it
    const h = rivermap.maps[0], map = h.map;
    let ll = h.reachLayers[j].getLatLngs();
    if (Array.isArray(ll[0])) ll = ll.reduce((a, b) => (b.length > a.length ? b : a));
    let best = 0, bestLen = -1;
    for (let i = 0; i + 1 < ll.length; i++) {
        const d = map.distance(ll[i], ll[i + 1]);
        if (d > bestLen) { best = i; bestLen = d; }
    }
    const a = ll[best], b = ll[best + 1];
    const at = L.latLng(a.lat + frac * (b.lat - a.lat), a.lng + frac * (b.lng - a.lng));
    map.setView(at, 14, {animate: false});
    const p = map.latLngToContainerPoint(at), r = map.getContainer().getBoundingClientRect();
    return [r.left + p.x, r.top + p.y];
}"""


def _drawn_over(reaches: gpd.GeoDataFrame) -> set[str]:
    """Return the reaches that share more than 10 m with a reach of another river."""
    metric = reaches.to_crs(reaches.estimate_utm_crs())
    geoms = metric.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(shapely.buffer(geoms, 1.0), predicate="intersects")
    rivers = metric["river_id"].to_numpy()
    pairs = [(i, k) for i, k in zip(left, right, strict=True) if rivers[i] != rivers[k]]
    out = set()
    for i, k in pairs:
        shared = shapely.length(shapely.intersection(geoms[i], shapely.buffer(geoms[k], 1.0)))
        if shared > 10.0:
            out.add(str(metric["reach_id"].iloc[i]))
    return out


@needs_browser
def test_clicks_on_dashed_reaches_open_their_popups(chromium, demo, demo_page_file) -> None:
    page, log, _ = br.open_map(chromium, demo_page_file)
    try:
        dashed = np.flatnonzero(demo.reaches["kind"].isin(["boundary", "outside"]).to_numpy())
        assert len(dashed) > 20
        missed, other = [], []
        # a closed popup fades out for 200 ms over what is under it: make it go at once
        page.evaluate("() => { rivermap.maps[0].map._fadeAnimated = false; }")
        for n, j in enumerate(dashed):
            page.evaluate("() => { rivermap.maps[0].map.closePopup(); }")
            x, y = page.evaluate(_REACH_POINT, [int(j), (0.31, 0.5, 0.77)[n % 3]])
            page.wait_for_timeout(100)  # as a person would: not during the last pan
            page.mouse.click(x, y)
            shown = page.evaluate(
                "() => { const p = rivermap.maps[0].map._popup;"
                " return p && p.isOpen() ? p._contentNode.textContent : ''; }"
            )
            reach = str(demo.reaches["reach_id"].iloc[j])
            if f"河段:{reach}起止" in shown:
                continue
            # a river drawn over another (R00012 lies on R00001) may take the click
            (other if "河段:" in shown else missed).append(reach)
        assert missed == [], f"{len(missed)} of {len(dashed)} clicks missed: {missed}"
        assert set(other) <= _drawn_over(demo.reaches)
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_tooltips_fit_the_viewport_and_do_not_pile_up(chromium, demo, tmp_path) -> None:
    from rivermap.chiefs import example_roster_path

    resp = demo.with_chiefs(example_roster_path())
    path = save_html(responsibility_map(resp, lang="en"), tmp_path / "en.html")
    page, log, _ = br.open_map(chromium, path, width=900, height=600)
    try:
        sizes = []
        page.evaluate("() => { rivermap.maps[0].map._fadeAnimated = false; }")  # closed = gone
        for j in range(0, len(demo.reaches), 9):
            page.evaluate("() => { rivermap.maps[0].map.eachLayer(l => { l.closeTooltip(); }); }")
            x, y = page.evaluate(_REACH_POINT, [j, 0.5])
            # move the reach to an edge or a corner of the map, then hover it there
            dx, dy = ((-430, 0), (430, 0), (0, -280), (0, 280), (-420, -270))[j % 5]
            page.evaluate(
                f"() => {{ rivermap.maps[0].map.panBy([{-dx}, {-dy}], {{animate: false}}); }}"
            )
            page.mouse.move(x + dx - 2, y + dy - 2)
            page.mouse.move(x + dx, y + dy)
            tip = page.locator(".leaflet-tooltip.rm-tooltip")
            if tip.count() != 1:
                continue
            box = tip.bounding_box()
            sizes.append((box["width"], box["height"]))
            assert box["x"] >= 0
            assert box["y"] >= 0
            assert box["x"] + box["width"] <= 900
            assert box["y"] + box["height"] <= 600
        assert len(sizes) > 8
        widths = [w for w, _ in sizes]
        assert min(widths) > 150  # never squeezed into a column
        assert max(h for _, h in sizes) <= 0.45 * 600 + 1
        # search a unit twice: its popup opens, and no tooltip is left behind
        for name in ("West Lake", "西湖区", "上城区"):
            page.fill(".rm-search input", name)
            page.keyboard.press("Enter")
        page.hover(".rm-search input")  # off the map's layers
        assert page.locator(".leaflet-tooltip:not(.rm-label)").count() == 0
        assert page.locator(".leaflet-popup").count() <= 1
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_on_a_phone_no_control_covers_another(chromium, demo_page_file) -> None:
    page, log, _ = br.open_map(chromium, demo_page_file, width=390, height=844)
    try:
        layers = page.locator(".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in (layers.get_attribute("class") or "")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll(
                '.rm-search, .rm-lang, .leaflet-control-layers, .rm-fs, .leaflet-control-zoom,'
                + ' .rm-legend')].map(e => { const r = e.getBoundingClientRect();
                return [e.className, r.left, r.top, r.right, r.bottom]; })"""
        )
        assert len(boxes) == 6
        for i, (name, *a) in enumerate(boxes):
            assert a[0] >= 0
            assert a[2] <= 390, name
            for other, *b in boxes[i + 1 :]:
                apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                assert apart, (name, other)
        # and the search lists its results below its box
        page.fill(".rm-search input", "江")
        assert page.locator(".rm-search li.rm-result").count() > 0
        assert log.errors == []
    finally:
        page.close()
