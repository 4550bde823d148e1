"""GeoPackages that open in QGIS: one geometry type per layer, styles from the maps' definitions.

No QGIS is needed here: the styles are read as XML and the files with sqlite3
and pyogrio (``tests/test_qgis.py`` loads them in headless QGIS).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import LineString, box

import rivermap as rm
from rivermap import _qgis, _styles
from rivermap._qml import mm, quoted_string
from rivermap.cli import main
from rivermap.datasets import get_path, project_path
from rivermap.errors import OutputExistsError
from rivermap.maps import qgis_styles, responsibility_map
from rivermap.project import load_project, run_project
from rivermap.units import AdminUnits
from tests.test_web_map import meta_of, rendered

DEMO = str(get_path("zhejiang"))
DATA = project_path("zhejiang").parent
#: Geometry types a layer may declare in gpkg_geometry_columns.
ONE_TYPE = {"POINT", "LINESTRING", "MULTILINESTRING", "MULTIPOLYGON"}
#: The same types as GDAL's ogrinfo names them.
ONE_TYPE_OGRINFO = {"Point", "Line String", "Multi Line String", "Multi Polygon"}


# ==================================================================== helpers
def geometry_columns(path: Path) -> dict[str, tuple[str, str]]:
    """Return ``{layer: (geometry column, declared type)}`` from gpkg_geometry_columns."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns"
        ).fetchall()
    return {t: (c, g) for t, c, g in rows}


def style_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Return the rows of the layer_styles table by layer name."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM layer_styles").fetchall()
    return {r["f_table_name"]: dict(r) for r in rows}


def categories(qml: str) -> dict[str, tuple[str, ET.Element]]:
    """Return a categorized renderer's ``{value: (label, symbol)}``."""
    root = ET.fromstring(qml)
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert renderer.get("type") == "categorizedSymbol"
    symbols = {s.get("name"): s for s in renderer.iter("symbol")}
    return {
        str(c.get("value")): (str(c.get("label")), symbols[c.get("symbol")])
        for c in renderer.iter("category")
    }


def option(sym: ET.Element, name: str) -> str:
    """Return an option of a symbol's first symbol layer."""
    for opt in sym.iter("Option"):
        if opt.get("name") == name:
            return str(opt.get("value"))
    raise KeyError(name)


def hex_of(rgba: str) -> str:
    """Return ``r,g,b,a`` as ``#rrggbb``."""
    r, g, b, _ = (int(v) for v in rgba.split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


def aliases(qml: str) -> dict[str, str]:
    return {str(a.get("field")): str(a.get("name")) for a in ET.fromstring(qml).iter("alias")}


# =============================================================== the demo run
@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``rivermap run`` on the demo project, routed reports as a GeoPackage, with .qml files."""
    folder = tmp_path_factory.mktemp("run")
    text = project_path("zhejiang").read_text(encoding="utf-8")
    for name in ("zhejiang_rivers_admin.gpkg", "zhejiang_chiefs_example.csv"):
        text = text.replace(f'"{name}"', f'"{(DATA / name).as_posix()}"')
    text = text.replace('output = "../out/demo"', f'output = "{(folder / "out").as_posix()}"')
    text = text.replace('routed = "routed.xlsx"', 'routed = "routed.gpkg"')
    for slow in ("map", "atlas", "signboards"):
        text = re.sub(rf'^{slow} = ".*"$', f"{slow} = false", text, flags=re.M)
    text += "qml = true\n"
    path = folder / "project.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["run", str(path), "--quiet"]) == 0
    return folder / "out"


def test_every_layer_of_every_package_of_the_run_has_one_geometry_type(demo_run: Path) -> None:
    packages = sorted(demo_run.glob("*.gpkg"))
    assert [p.name for p in packages] == [
        "plan_district.gpkg",
        "responsibility.gpkg",
        "routed.gpkg",
    ]
    for path in packages:
        declared = geometry_columns(path)
        assert declared, path
        for layer, (column, kind) in declared.items():
            assert kind in ONE_TYPE, (path.name, layer, kind)
            assert pyogrio.read_info(path, layer=layer)["geometry_type"] != "Unknown"
            geoms = pyogrio.read_dataframe(path, layer=layer).geometry.dropna()
            types = {t.upper() for t in geoms.geom_type}
            assert types <= {kind}, (path.name, layer, types)
            assert column == "geom"
        with sqlite3.connect(path) as db:  # GeoPackage 1.3: no warning in QGIS 3.22
            assert db.execute("PRAGMA user_version").fetchone()[0] == 10300
    resp = geometry_columns(demo_run / "responsibility.gpkg")
    assert resp["rivers"][1] == "MULTILINESTRING"  # the river's whole line
    assert resp["units"][1] == "MULTIPOLYGON"
    assert geometry_columns(demo_run / "routed.gpkg")["events"][1] == "POINT"


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed")
def test_ogrinfo_reports_one_geometry_type_for_every_layer(demo_run: Path) -> None:
    # GDAL's own tool, as a planner would try it: never "Unknown (any)"
    for path in sorted(demo_run.glob("*.gpkg")):
        done = subprocess.run(
            ["ogrinfo", "-ro", "-so", "-al", str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        blocks = re.split(r"^Layer name: ", done.stdout, flags=re.M)[1:]
        found = {b.split("\n", 1)[0]: re.search(r"^Geometry: (.+)$", b, re.M) for b in blocks}
        kinds = {layer: m.group(1) if m else "None" for layer, m in found.items()}
        with_geometry = {layer for layer, kind in kinds.items() if kind != "None"}
        assert with_geometry == set(geometry_columns(path)), (path.name, kinds)
        for layer in with_geometry:
            assert kinds[layer] in ONE_TYPE_OGRINFO, (path.name, layer, kinds[layer])


def test_every_styled_layer_has_a_default_style_that_parses(demo_run: Path) -> None:
    expected = {
        "responsibility.gpkg": {"reaches", "rivers", "units", "flags", "roster"},
        "plan_district.gpkg": {"segments", "changes", "unit_changes", "unmatched"},
        "routed.gpkg": {"events"},
    }
    for name, layers in expected.items():
        path = demo_run / name
        rows = style_rows(path)
        assert set(rows) == layers
        spatial = geometry_columns(path)
        for layer, row in rows.items():
            assert row["useAsDefault"] == 1
            assert row["f_table_schema"] == ""
            assert row["f_table_catalog"] == ""
            assert row["f_geometry_column"] == (spatial[layer][0] if layer in spatial else "")
            root = ET.fromstring(row["styleQML"])
            assert root.tag == "qgis"
            assert " / " in row["description"]  # Chinese / English
            qml = demo_run / f"{Path(name).stem}.{layer}.qml"
            assert qml.read_text(encoding="utf-8") == row["styleQML"]


def test_the_run_refuses_an_existing_qml_before_any_work(demo_run: Path, tmp_path: Path) -> None:
    project = load_project(project_path("zhejiang"), output=tmp_path / "out")
    project = dataclasses.replace(project, qml=True)
    assert "responsibility.units.qml" in project.qml_files()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "responsibility.units.qml").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"responsibility\.units\.qml"):
        run_project(project)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["responsibility.units.qml"]
    assert not load_project(project_path("zhejiang")).qml  # off unless asked


def test_a_project_file_takes_qml_only_as_true_or_false(tmp_path: Path) -> None:
    text = project_path("zhejiang").read_text(encoding="utf-8")  # ends with [outputs]
    bad = tmp_path / "p.toml"
    bad.write_text(text + 'qml = "yes"\n', encoding="utf-8")
    with pytest.raises(rm.SchemaError, match=r"\[outputs\] qml must be bool"):
        load_project(bad)


# ============================================================== round trip
def test_responsibility_round_trip_and_the_rivers_whole_lines(
    demo: rm.Responsibility, tmp_path: Path
) -> None:
    resp = demo.with_chiefs(rm.chiefs.example_roster_path())
    out = resp.to_file(tmp_path / "r.gpkg")
    back = rm.read_responsibility(out)
    assert list(back.reaches.columns) == list(resp.reaches.columns)  # no colour column
    assert list(back.units.columns) == list(resp.units.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.rivers), pd.DataFrame(resp.rivers), check_dtype=False
    )
    assert back.reaches["reach_id"].tolist() == resp.reaches["reach_id"].tolist()
    assert back.roster is not None
    assert len(back.roster) == len(resp.roster)
    rivers = gpd.read_file(out, layer="rivers")
    lengths = shapely.length(resp.reaches.geometry.to_numpy())  # degrees: the same either way
    reach_km = pd.Series(lengths, index=resp.reaches["river_id"]).groupby(level=0).sum()
    river_km = pd.Series(shapely.length(rivers.geometry.to_numpy()), index=rivers["river_id"])
    assert np.allclose(river_km[reach_km.index], reach_km, rtol=1e-9)
    merged = shapely.get_num_geometries(rivers.geometry.to_numpy())
    assert (merged <= resp.reaches.groupby("river_id").size()[rivers["river_id"]].to_numpy()).all()


def test_a_layer_of_lines_only_is_written_as_lines(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"unit_id": ["A"], "name": ["a"], "level": ["town"], "parent_id": [None]},
        geometry=[box(0, 0, 10, 10)],
        crs=3857,
    )
    rivers = gpd.GeoDataFrame(
        {"river_id": ["r"], "name": ["R"]}, geometry=[LineString([(1, 1), (9, 9)])], crs=3857
    )
    out = rm.assign(rivers, AdminUnits(frame, ["town"])).to_file(tmp_path / "one.gpkg")
    declared = geometry_columns(out)
    assert declared["reaches"][1] == "LINESTRING"
    assert declared["units"][1] == "MULTIPOLYGON"


# =================================================== same colours as the web map
def test_reach_and_unit_colours_are_the_web_maps(demo: rm.Responsibility) -> None:
    meta, _ = meta_of(rendered(responsibility_map(demo, level="district", flags=False)))
    layer = next(u for u in meta["unitLayers"] if u["level"] == "district")
    web = dict(zip(layer["ids"], layer["colours"], strict=True))
    cats = categories(qgis_styles(demo, level="district")["reaches"])
    ours = {
        value.removeprefix("unit:"): hex_of(option(sym, "line_color"))
        for value, (_, sym) in cats.items()
        if value.startswith("unit:")
    }
    assert ours == web
    assert set(ours.values()) <= set(_styles.PALETTE)
    assert meta["styles"] == _styles.web_styles()  # the map's line styles are these


def test_plan_segment_colours_are_the_web_maps(demo: rm.Responsibility, tmp_path: Path) -> None:
    plan = rm.redivide(demo, level="district")
    meta, _ = meta_of(rendered(responsibility_map(demo, level="district", plan=plan)))
    web = {s["u"]: s["c"] for s in meta["plan"]["segments"] if s["c"]}
    out = plan.to_file(tmp_path / "plan.gpkg", units=demo.units)
    cats = categories(style_rows(out)["segments"]["styleQML"])
    ours = {v: hex_of(option(sym, "line_color")) for v, (_, sym) in cats.items() if v}
    assert {u: ours[u] for u in web} == web
    segments = gpd.read_file(out, layer="segments")
    assert (segments["colour"].dropna() == segments["unit_id"].map(web).dropna()).all()
    assert rm.read_plan(out).segments.columns.tolist()[-1] == "geometry"  # colour not read back


def test_boundary_reaches_dashed_outside_dotted_as_on_the_web_map(demo: rm.Responsibility) -> None:
    cats = categories(qgis_styles(demo)["reaches"])
    for kind, colour in (
        ("boundary", _styles.BOUNDARY_COLOUR),
        ("outside", _styles.OUTSIDE_COLOUR),
    ):
        label, sym = cats[f"kind:{kind}"]
        style = _styles.REACH_STYLES[kind]
        assert label == rm.text.term(f"kind.{kind}", "zh")
        assert option(sym, "use_custom_dash") == "1"
        assert style.dash is not None
        assert option(sym, "customdash") == ";".join(f"{mm(d):g}" for d in style.dash)
        assert option(sym, "line_width") == f"{mm(style.width):g}"
        assert hex_of(option(sym, "line_color")) == colour
    assert _styles.REACH_STYLES["boundary"].leaflet()["dashArray"] == "7 5"
    static = Path(rm.__file__).parent / "maps" / "static"
    scripts = "".join(p.read_text(encoding="utf-8") for p in static.glob("*.js"))
    assert '"7 5"' not in scripts
    assert '"2 4"' not in scripts


def test_flag_halos_in_the_web_maps_grades(demo: rm.Responsibility) -> None:
    flags = demo.flags("district")
    qml = qgis_styles(demo, level="district", flags=flags)["flags"]
    root = ET.fromstring(qml)
    top = root.find("renderer-v2/rules/rule")
    assert top is not None
    assert top.get("filter") == "\"level\" = 'district'"
    grades = rm.maps.web.flag_scale(flags["severity"].tolist())
    assert grades is not None
    symbols = {s.get("name"): s for s in root.iter("symbol")}
    colours = [hex_of(option(symbols[r.get("symbol")], "line_color")) for r in top.findall("rule")]
    assert colours == [g[1] for g in grades["grades"]]


def test_units_outlined_per_level_and_labelled_in_the_cjk_font(demo: rm.Responsibility) -> None:
    root = ET.fromstring(qgis_styles(demo, level="city")["units"])
    rules = root.findall("renderer-v2/rules/rule")
    assert [r.get("filter") for r in rules] == [f"\"level\" = '{lv}'" for lv in demo.levels]
    symbols = {s.get("name"): s for s in root.iter("symbol")}
    for i, rule in enumerate(rules):
        colour, width = _styles.unit_outline(i, len(demo.levels))
        sym = symbols[rule.get("symbol")]
        assert hex_of(option(sym, "outline_color")) == colour
        assert option(sym, "outline_width") == f"{mm(width):g}"
    tinted = symbols[rules[1].get("symbol")].find(".//Option[@name='fillColor']")
    assert tinted is not None  # the city level is filled with its colour column
    fonts = {t.get("fontFamily") for t in root.iter("text-style")}
    assert fonts == {_styles.LABEL_FONT}


def test_aliases_read_in_chinese_first(demo: rm.Responsibility) -> None:
    styles = qgis_styles(demo.with_chiefs(rm.chiefs.example_roster_path()))
    reaches = aliases(styles["reaches"])
    assert reaches["reach_id"] == "河段编码 / Reach ID"
    assert reaches["district"] == "区县单位编码 / district unit ID"
    assert reaches["chief_district"].startswith("县级河长 / ")
    assert aliases(styles["units"])["name"] == "单位名称 / Unit"
    assert aliases(styles["rivers"])["lead_share_city"] == "主要单位占比（市） / Lead share (city)"
    assert aliases(styles["roster"])["name"] == "姓名 / Name"


def test_many_units_are_coloured_by_palette_colour(
    demo: rm.Responsibility, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_qgis, "MAX_CATEGORIES", 5)
    out = demo.to_file(tmp_path / "many.gpkg", level="district")
    qml = style_rows(out)["reaches"]["styleQML"]
    assert '"colour"' in ET.fromstring(qml).find("renderer-v2").get("attr")  # type: ignore[union-attr]
    values = {v.removeprefix("unit:") for v in categories(qml) if v.startswith("unit:")}
    assert values <= set(_styles.PALETTE)
    assert len(values) >= 3
    reaches = gpd.read_file(out, layer="reaches")
    inside = reaches["kind"] == "inside"
    assert set(reaches.loc[inside, "colour"]) <= values


def test_events_coloured_by_status(demo: rm.Responsibility, demo_run: Path) -> None:
    events = rm.read_events(demo_run / "synthetic" / "events.csv", crs="gcj02")
    routed = rm.route_events(demo, events)
    cats = categories(qgis_styles(routed, lang="en")["events"])
    assert {v: hex_of(option(s, "color")) for v, (_, s) in cats.items() if v} == dict(
        _styles.STATUS_COLOURS
    )
    assert cats["closed"][0] == "closed"
    assert cats[""][0] == rm.text.term("ui.no_status", "en")


# ================================================================ hostile text
HOSTILE = ["<script>alert(1)</script>", "A & B", 'it\'s "quoted"', "ctrl\x01char", "back\\slash"]


def test_hostile_names_give_valid_xml(tmp_path: Path) -> None:
    x0, y0 = 0.0, 0.0
    frame = gpd.GeoDataFrame(
        {
            "unit_id": [f"u{i}" for i in range(len(HOSTILE))],
            "name": HOSTILE,
            "level": ["town"] * len(HOSTILE),
            "parent_id": [None] * len(HOSTILE),
        },
        geometry=[box(x0 + 10 * i, y0, x0 + 10 * i + 10, y0 + 10) for i in range(len(HOSTILE))],
        crs=3857,
    )
    rivers = gpd.GeoDataFrame(
        {"river_id": ["r&<'\""], "name": ["</qgis>"]},
        geometry=[LineString([(1, 5), (49, 5)])],
        crs=3857,
    )
    resp = rm.assign(rivers, AdminUnits(frame, ["town"]))
    out = resp.to_file(tmp_path / "hostile.gpkg", qml=True)
    for layer, row in style_rows(out).items():
        ET.fromstring(row["styleQML"])  # parses
        ET.fromstring((tmp_path / f"hostile.{layer}.qml").read_text(encoding="utf-8"))
    labels = {label for label, _ in categories(style_rows(out)["reaches"]["styleQML"]).values()}
    assert {"<script>alert(1)</script>", "A & B", 'it\'s "quoted"', "ctrlchar"} <= labels
    root = ET.fromstring(style_rows(out)["units"]["styleQML"])
    assert {r.get("filter") for r in root.iter("rule")} == {"\"level\" = 'town'"}
    assert quoted_string("it's") == "'it''s'"


# ==================================================================== the CLI
ASSIGN = ["assign", DEMO, DEMO, "--merge-by", "name", "--quiet"]


def test_assign_qml_writes_the_files_and_refuses_to_overwrite(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "resp.gpkg"
    assert main([*ASSIGN, "-o", str(out), "--qml", "--level", "city"]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.qml"))
    assert written == [f"resp.{n}.qml" for n in ("flags", "reaches", "rivers", "units")]
    assert "市" in style_rows(out)["reaches"]["description"]
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    out.unlink()  # only the .qml files are left in the way
    assert main([*ASSIGN, "-o", str(out), "--qml"]) == 2
    err = capsys.readouterr().err
    assert "resp.reaches.qml" in err
    assert "overwrite" in err
    assert not out.exists()
    del before["resp.gpkg"]
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert main([*ASSIGN, "-o", str(out), "--qml", "--overwrite"]) == 0
    assert main([*ASSIGN, "-o", str(tmp_path / "x.gpkg"), "--level", "county"]) == 2
    assert "--level" in capsys.readouterr().err


def test_qml_needs_a_geopackage_output(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([*ASSIGN, "-o", str(tmp_path / "r.parquet"), "--qml"]) == 2
    assert "--qml" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_redivide_and_route_write_their_qml(demo_run: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    gpkg = str(demo_run / "responsibility.gpkg")
    plan = tmp_path / "plan.gpkg"
    argv = ["redivide", gpkg, "--level", "city", "-o", str(plan), "--qml", "--quiet"]
    assert main(argv) == 0
    assert (tmp_path / "plan.segments.qml").exists()
    events = str(demo_run / "synthetic" / "events.csv")
    routed = tmp_path / "routed.gpkg"
    code = main(["route", gpkg, events, "--crs", "gcj02", "-o", str(routed), "--qml", "--quiet"])
    assert code in (0, 1)
    assert (tmp_path / "routed.events.qml").read_text(encoding="utf-8") == (
        style_rows(routed)["events"]["styleQML"]
    )
    assert main(["route", gpkg, events, "-o", str(tmp_path / "r.xlsx"), "--qml"]) == 2
    assert "--qml" in capsys.readouterr().err


def test_qgis_styles_needs_a_result() -> None:
    with pytest.raises(TypeError, match="Responsibility, a Plan or routed reports"):
        qgis_styles(pd.DataFrame())  # type: ignore[arg-type]
