"""The web map's editing mode and the Jupyter plan editor, driven by clicks in a real browser.

Chromium runs with the network blocked (tests/browser.py). A planner's session
on the demo (split, reassign, merge a piece with its neighbour, merge two whole
segments, reassign by search, undo, redo, a hostile note, download) must give
a file that ``Plan.apply_edits`` turns into the plan that the same edits made
in Python give: the same segment ids and units, chainages within a few metres.
The widget's ES module is loaded in a page with a minimal fake anywidget model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

import rivermap as rm
from rivermap.cli import main
from rivermap.errors import ParameterError, SchemaError
from rivermap.maps import PlanEditor, responsibility_map, save_html
from rivermap.redivide import Plan
from tests import browser as br
from tests.test_web_map import HOSTILE_UNIT, hostile_resp, meta_of, rendered

REASON = br.unavailable_reason()
needs_browser = pytest.mark.skipif(REASON is not None, reason=REASON or "")
HOSTILE_NOTE = "<img src=x onerror=alert(1)>"
FUCHUN = "富春江"
CANAL = "京杭运河(江南运河)"


@pytest.fixture(scope="module")
def plan(demo: rm.Responsibility) -> Plan:
    return rm.redivide(demo, level="district")


# ------------------------------------------------------------------ helpers
def settle(page: Any) -> None:
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def click_river(page: Any, river: str, m: float, *, zoom: float = 15) -> None:
    """Centre the map on chainage ``m`` of ``river`` and click there with the mouse."""
    pt = page.evaluate(
        """([r, m, z]) => { const h = rivermap.maps[0], ed = h.editor;
            h.map.setView(ed.model.pointAt(r, m), z, { animate: false });
            return ed.screenPoint(r, m); }""",
        [river, m, zoom],
    )
    settle(page)
    box = page.locator(".rm-map").first.bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])


def point_at(plan: Plan, river: str, m: float) -> dict[str, Any]:
    """Return the GeoJSON point at chainage ``m`` of ``river`` on the plan's true lines."""
    seg = plan.segments
    row = seg[(seg["river_id"] == river) & (seg["from_m"] <= m) & (seg["to_m"] >= m)].iloc[0]
    line = gpd.GeoSeries([row.geometry], crs=plan.crs).to_crs(plan.metric_crs).iloc[0]
    frac = (m - row["from_m"]) / (row["to_m"] - row["from_m"])
    pt = shapely.line_interpolate_point(line, frac, normalized=True)
    return shapely.geometry.mapping(gpd.GeoSeries([pt], crs=plan.metric_crs).to_crs(4326).iloc[0])


def feature(props: dict[str, Any], geom: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geom}


def same_plan(a: Plan, b: Plan, *, metres: float) -> None:
    """Assert two plans have the same segment ids and units, chainages within ``metres``."""
    sa, sb = a.segments.reset_index(drop=True), b.segments.reset_index(drop=True)
    assert sa["segment_id"].tolist() == sb["segment_id"].tolist()
    assert sa["unit_id"].tolist() == sb["unit_id"].tolist()
    assert (sa["from_m"] - sb["from_m"]).abs().max() < metres
    assert (sa["to_m"] - sb["to_m"]).abs().max() < metres


def panel(page: Any) -> str:
    return str(page.inner_text(".rm-edit-panel"))


# ----------------------------------------------------------- without a browser
def test_edit_needs_a_plan_and_a_bool(demo: rm.Responsibility, plan: Plan) -> None:
    with pytest.raises(ParameterError, match="edit=True needs a plan"):
        responsibility_map(demo, edit=True)
    with pytest.raises(TypeError, match="edit must be True or False"):
        responsibility_map(demo, plan=plan, edit="yes")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="needs a plan"):
        PlanEditor(demo, None)  # type: ignore[arg-type]


def test_the_page_carries_the_editable_plan(demo: rm.Responsibility, plan: Plan) -> None:
    meta, _ = meta_of(rendered(responsibility_map(demo, plan=plan, edit=True)))
    e = meta["edit"]
    assert e["plan"] == {
        "id": plan.plan_id,
        "hash": plan.content_hash,
        "level": "district",
        "policy": plan.policy,
    }
    assert [s["s"] for s in e["segments"]] == plan.segments["segment_id"].tolist()
    assert len(e["lines"]) == len(plan.segments)
    assert e["levelIndex"] == list(demo.levels).index("district")
    district = set(plan.units.loc[plan.units["level"] == "district", "unit_id"])
    assert {u[0] for u in e["units"]} == district
    assert set(plan.segments["unit_id"]) <= set(e["colours"])
    assert e["changes"][FUCHUN] == sorted(e["changes"][FUCHUN])
    assert e["gcj"] is False
    # without edit=True the page has no editor
    assert "edit" not in meta_of(rendered(responsibility_map(demo, plan=plan)))[0]


def test_widget_traits_round_trip(demo: rm.Responsibility, plan: Plan) -> None:
    editor = PlanEditor(demo, plan, lang="en", height="500px")
    state = editor.get_state()
    assert state["height"] == "500px"
    assert state["edits"]["rivermap"]["plan_hash"] == plan.content_hash
    data = json.loads(state["_data"])
    assert data["meta"]["edit"]["plan"]["id"] == plan.plan_id
    assert [k for k, _, _ in data["layers"]][-3:] == ["plan", "rivers", "flags"]
    assert "export default" in state["_esm"]
    assert "leaflet" in state["_css"]
    # the page sends the edits as the frontend does (a state update from the comm)
    edits = {
        **editor.edits,
        "features": [
            feature(
                {"action": "merge", "segment_ids": ["富春江-1", "富春江-2"], "unit_id": "330122"}
            )
        ],
    }
    editor.set_state({"edits": edits})
    assert editor.edits == edits
    assert editor.apply().segments["segment_id"].tolist() == (
        plan.apply_edits(edits).segments["segment_id"].tolist()
    )
    assert editor.apply().log[0].startswith("edit #0: merge 富春江-1, 富春江-2")
    # from Python: a file read with json, or features built in code
    editor.edits = {"type": "FeatureCollection", "features": []}
    assert editor.apply().log == []


def test_the_command_line_writes_the_editing_mode(
    demo: rm.Responsibility, plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gpkg, plan_file = tmp_path / "resp.gpkg", tmp_path / "plan.gpkg"
    html = tmp_path / "edit.html"
    # checked before any work: no plan (the inputs need not even exist yet)
    assert main(["map", str(gpkg), "-o", str(html), "--edit"]) == 2
    err = capsys.readouterr().err
    assert "--edit needs --plan PLAN.gpkg" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    demo.to_file(gpkg)
    plan.to_file(plan_file)
    argv = ["map", str(gpkg), "-o", str(html), "--plan", str(plan_file), "--edit", "--quiet"]
    assert main([*argv, "--lang", "en", "--no-flags"]) == 0
    meta, _ = meta_of(html.read_text(encoding="utf-8"))
    assert meta["edit"]["plan"]["hash"] == plan.content_hash  # read back: the same plan
    assert meta["lang"] == "en"
    assert main(argv) == 2  # exists
    assert "exists" in capsys.readouterr().err
    # the downloaded file goes to redivide --edits unchanged: the same plan made again takes it
    edits = tmp_path / "edits.geojson"
    merge = {"action": "merge", "segment_ids": ["富春江-1", "富春江-2"], "unit_id": "330122"}
    head = {"plan_id": plan.plan_id, "plan_hash": plan.content_hash, "level": "district"}
    fc = {"type": "FeatureCollection", "rivermap": head, "features": [feature(merge)]}
    edits.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    again = ["redivide", str(gpkg), "--level", "district", "--policy", plan.policy]
    assert main([*again, "--edits", str(edits), "-o", str(tmp_path / "p2.gpkg"), "--quiet"]) == 0
    assert rm.read_plan(tmp_path / "p2.gpkg").log[0].startswith("edit #0: merge 富春江-1, 富春江-2")
    other = [*again[:-1], "majority", "--edits", str(edits), "-o", str(tmp_path / "p3.gpkg")]
    assert main(other) == 2
    err = capsys.readouterr().err
    assert f"these edits were made on plan '{plan.plan_id}', not on this plan" in err
    assert not (tmp_path / "p3.gpkg").exists()


# ------------------------------------------------------------- in a browser
@pytest.fixture(scope="module")
def session(chromium, demo: rm.Responsibility, plan: Plan, tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Run a planner's session on the demo's district plan by clicks; keep what it showed."""
    folder = tmp_path_factory.mktemp("edit")
    path = save_html(responsibility_map(demo, plan=plan, edit=True), folder / "edit.html")
    page, log, _ = br.open_map(chromium, path)
    out: dict[str, Any] = {"texts": {}, "path": path}
    try:
        # 1. split 富春江-4 (9.8–17.8 km, 富阳区) at about 12 km: its chainage shows first
        page.click(".rm-edit-split")
        click_river(page, FUCHUN, 12_000)
        pending = page.inner_text(".rm-edit-pending")
        out["texts"]["split"] = pending
        page.fill(".rm-edit-pending .rm-edit-note", HOSTILE_NOTE)
        page.click(".rm-edit-confirm")
        # 2. give its first piece to 桐庐县, one of the units along it
        page.click(".rm-edit-assign")
        click_river(page, FUCHUN, 11_000)
        out["texts"]["assign"] = page.inner_text(".rm-edit-pending")
        page.click(".rm-edit-pending .rm-edit-unit >> text=桐庐县")
        page.click(".rm-edit-confirm")
        out["texts"]["km_after_assign"] = panel(page)
        # 3. merge 富春江-3 (桐庐县) with that piece: a merge at the cut (the piece has no id)
        page.click(".rm-edit-merge")
        click_river(page, FUCHUN, 9_500)
        click_river(page, FUCHUN, 10_500)
        out["texts"]["merge"] = page.inner_text(".rm-edit-pending")
        page.click(".rm-edit-confirm")
        # a click on a stretch that is not a neighbour says so
        click_river(page, FUCHUN, 3_000)
        click_river(page, FUCHUN, 20_000)
        out["texts"]["not_adjacent"] = panel(page)
        # 4. merge 富春江-1 and 富春江-2, two whole segments, to 桐庐县
        page.click(".rm-edit-merge")  # off
        page.click(".rm-edit-merge")  # on again, nothing picked
        click_river(page, FUCHUN, 3_000)
        click_river(page, FUCHUN, 7_000)
        page.click(".rm-edit-pending label >> text=桐庐县")
        page.click(".rm-edit-confirm")
        # 5. the canal's first segment to 拱墅区, found by name
        page.click(".rm-edit-assign")
        click_river(page, CANAL, 2_000)
        page.fill(".rm-edit-find", "拱墅")
        page.click(".rm-edit-found .rm-edit-unit")
        page.fill(".rm-edit-pending .rm-edit-note", "城区段交拱墅区")
        page.click(".rm-edit-confirm")
        # 6. undo the canal, redo it; then undo and redo by the keyboard
        page.click(".rm-edit-undo")
        out["texts"]["undone"] = panel(page)
        page.click(".rm-edit-redo")
        page.locator(".rm-map").first.focus()
        page.keyboard.press("Control+z")
        out["after_ctrl_z"] = page.evaluate("() => rivermap.maps[0].editor.model.done.length")
        page.keyboard.press("Control+y")
        out["texts"]["final"] = panel(page)
        out["labels"] = page.evaluate("() => rivermap.maps[0].D.plan.labels.map(l => l[2])")
        out["km_cells"] = page.locator(".rm-edit-km td").all_inner_texts()
        out["img"] = page.locator(".rm-edit-panel img").count()
        out["notes"] = page.eval_on_selector_all(
            ".rm-edit-list-note", "els => els.map(e => e.value)"
        )
        out["segment_paths"] = page.locator("path.rm-edit-seg").count()
        br.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(br.ARTIFACTS / "edit_mode.png"))
        # the other language: the panel's words change, the edits stay
        page.evaluate("() => rivermap.maps[0].setLang('en')")
        out["texts"]["english"] = panel(page)
        with page.expect_download() as dl:
            page.click(".rm-edit-download")
        out["filename"] = dl.value.suggested_filename
        out["file"] = folder / "edits.geojson"
        dl.value.save_as(out["file"])
        out["log"] = log
    finally:
        page.close()
    return out


@needs_browser
def test_the_session_runs_clean_offline(session: dict[str, Any]) -> None:
    log = session["log"]
    assert log.errors == []
    assert log.blocked == []
    assert log.dialogs == []  # the hostile note ran nothing
    assert session["img"] == 0
    assert session["notes"][0] == HOSTILE_NOTE  # kept as text, in the input
    assert session["notes"][-1] == "城区段交拱墅区"


@needs_browser
def test_the_panel_shows_chainage_units_and_km(session: dict[str, Any], plan: Plan) -> None:
    t = session["texts"]
    assert "在 12,0" in t["split"]
    assert "米处断开（K12+0" in t["split"]
    assert "河段经过的区县" in t["assign"]
    assert "桐庐县" in t["assign"]
    assert "现为 富阳区" in t["assign"]
    assert "合并后交给" in t["merge"]
    assert "两段不相邻" in t["not_adjacent"]
    # the km table follows the edits: 桐庐县 gains what 富阳区 loses
    assert "桐庐县" in t["km_after_assign"]
    assert "方案河段 81 → 82 段" in t["km_after_assign"]
    undone = t["undone"]
    assert "拱墅区" not in undone.split("各单位河长变化")[1]
    assert session["after_ctrl_z"] == 4
    final = t["final"]
    assert "京杭运河(江南运河) 0.00–3.98 公里改划给 拱墅区" in final
    assert "方案河段 81 → 80 段" in final
    cells = session["km_cells"]
    rows = {cells[i]: cells[i + 1 : i + 4] for i in range(0, len(cells), 4)}
    assert rows["拱墅区"][2] == "+3.98"
    assert rows["上城区"][2] == "-3.98"
    assert float(rows["桐庐县"][2]) == pytest.approx(-float(rows["富阳区"][2]))
    # the labels are the ids apply_edits will give
    assert "富春江-1" in session["labels"]
    assert "富春江-17" in session["labels"]  # 18 segments, +1 split, −2 merges
    assert "富春江-18" not in session["labels"]
    assert "Plan editor" in t["english"]
    assert "Merge 富春江" in t["english"]


@needs_browser
def test_the_download_is_the_plan_python_makes(session: dict[str, Any], plan: Plan) -> None:
    fc = json.loads(session["file"].read_text(encoding="utf-8"))
    assert session["filename"] == f"edits-{plan.plan_id}.geojson"
    assert fc["rivermap"] == {
        "plan_id": plan.plan_id,
        "plan_hash": plan.content_hash,
        "level": "district",
    }
    feats = fc["features"]
    assert [f["properties"]["action"] for f in feats] == [
        "split",
        "assign",
        "merge",
        "merge",
        "assign",
    ]
    assert feats[2]["geometry"]["type"] == "Point"  # a piece of a split has no id
    assert "segment_ids" not in feats[2]["properties"]
    assert feats[3]["geometry"] is None
    assert feats[3]["properties"]["segment_ids"] == ["富春江-1", "富春江-2"]
    assert feats[0]["properties"]["note"] == HOSTILE_NOTE
    at = [f["properties"]["at_m"] for f in feats]
    from_page = plan.apply_edits(session["file"])
    # the same edits made in Python, at the chainages the page showed
    by_hand = plan.apply_edits(
        {
            "type": "FeatureCollection",
            "features": [
                feature({"action": "split", "river_id": FUCHUN}, point_at(plan, FUCHUN, at[0])),
                feature({"action": "assign", "unit_id": "330122"}, point_at(plan, FUCHUN, at[1])),
                feature(
                    {"action": "merge", "unit_id": "330122", "river_id": FUCHUN},
                    point_at(plan, FUCHUN, at[2]),
                ),
                feature(
                    {"action": "merge", "segment_ids": "富春江-1;富春江-2", "unit_id": "330122"}
                ),
                feature({"action": "assign", "unit_id": "330105"}, point_at(plan, CANAL, at[4])),
            ],
        }
    )
    same_plan(from_page, by_hand, metres=3.0)
    fuchun = from_page.segments[from_page.segments["river_id"] == FUCHUN]
    assert fuchun["unit_id"].iloc[:2].tolist() == ["330122", "330122"]
    ends = plan.segments.set_index("segment_id")["to_m"]
    assert fuchun["to_m"].iloc[0] == pytest.approx(ends["富春江-2"])
    assert fuchun["to_m"].iloc[1] == pytest.approx(at[0], abs=3.0)
    assert from_page.edits[0]["note"] == HOSTILE_NOTE
    assert len(from_page.segments) == len(plan.segments) - 1


@needs_browser
def test_a_tampered_download_is_refused(
    session: dict[str, Any], plan: Plan, demo: rm.Responsibility, tmp_path: Path
) -> None:
    fc = json.loads(session["file"].read_text(encoding="utf-8"))

    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / "tampered.geojson"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    bad = json.loads(json.dumps(fc))
    bad["rivermap"]["plan_hash"] = "f" * 64
    with pytest.raises(SchemaError, match=r"tampered\.geojson: these edits were made on plan"):
        plan.apply_edits(write(bad))
    bad = json.loads(json.dumps(fc))
    bad["features"][1]["properties"]["unit_id"] = HOSTILE_UNIT
    with pytest.raises(SchemaError, match=r"edit feature #1: unit_id .* is not among"):
        plan.apply_edits(write(bad))
    bad = json.loads(json.dumps(fc))
    bad["features"][2]["geometry"]["coordinates"] = [0.0, 0.0]
    with pytest.raises(SchemaError, match=r"edit feature #2: the point is"):
        plan.apply_edits(write(bad))
    bad = json.loads(json.dumps(fc))
    bad["features"][3]["properties"]["segment_ids"] = ["富春江-1", "富春江-9"]
    with pytest.raises(SchemaError, match="edit feature #3: .*not adjacent"):
        plan.apply_edits(write(bad))
    other = rm.redivide(demo, level="district", policy="majority")
    with pytest.raises(SchemaError, match=f"not on this plan '{other.plan_id}'"):
        other.apply_edits(session["file"])


def done_count(page: Any) -> int:
    return int(page.evaluate("() => rivermap.maps[0].editor.model.done.length"))


def message_with(page: Any, words: str) -> None:
    """Wait until the editor's message says ``words``."""
    try:
        page.wait_for_function(
            "w => [...document.querySelectorAll('.rm-edit-message')]"
            ".some(e => e.textContent.includes(w))",
            arg=words,
            timeout=10_000,
        )
    except Exception as exc:  # the panel says what it says instead
        raise AssertionError(f"{words!r} not in the panel:\n{panel(page)}") from exc


@needs_browser
def test_a_downloaded_file_loads_back(chromium, session: dict[str, Any], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A later session loads the file: the same edits, ids and km; downloading gives it again."""
    page, log, _ = br.open_map(chromium, session["path"])
    try:
        page.set_input_files(".rm-edit-file", str(session["file"]))
        message_with(page, "已载入 5 项修改")
        labels = page.evaluate("() => rivermap.maps[0].D.plan.labels.map(l => l[2])")
        km_cells = page.locator(".rm-edit-km td").all_inner_texts()
        notes = page.eval_on_selector_all(".rm-edit-list-note", "els => els.map(e => e.value)")
        page.click(".rm-edit-undo")  # the loaded edits are undone and redone as made ones
        assert done_count(page) == 4
        page.click(".rm-edit-redo")
        with page.expect_download() as dl:
            page.click(".rm-edit-download")
        dl.value.save_as(tmp_path / "again.geojson")
        assert log.errors == []
        assert log.blocked == []
        assert log.dialogs == []  # the hostile note ran nothing
        assert page.locator(".rm-edit-panel img").count() == 0
    finally:
        page.close()
    assert sorted(labels) == sorted(session["labels"])
    assert km_cells == session["km_cells"]
    assert notes == session["notes"]
    first = json.loads(session["file"].read_text(encoding="utf-8"))
    again = json.loads((tmp_path / "again.geojson").read_text(encoding="utf-8"))
    assert again["rivermap"] == first["rivermap"]
    for a, b in zip(first["features"], again["features"], strict=True):
        pa, pb = dict(a["properties"]), dict(b["properties"])
        assert pb.pop("at_m") == pytest.approx(pa.pop("at_m"), abs=0.5)
        assert pb == pa
        assert (a["geometry"] is None) == (b["geometry"] is None)


@needs_browser
def test_a_file_the_map_cannot_show_changes_nothing(  # type: ignore[no-untyped-def]
    chromium, session: dict[str, Any], tmp_path: Path
) -> None:
    fc = json.loads(session["file"].read_text(encoding="utf-8"))
    files = {}
    other = json.loads(json.dumps(fc))
    other["rivermap"].update(plan_id="另一方案<b>x</b>", plan_hash="f" * 64)
    files["other"] = other
    unknown = json.loads(json.dumps(fc))
    unknown["features"][3]["properties"]["segment_ids"] = ["富春江-1", "富春江-9"]
    files["ids"] = unknown
    far = json.loads(json.dumps(fc))
    far["features"][0]["geometry"]["coordinates"] = [100.0, 20.0]
    files["far"] = far
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.geojson"
        paths[name].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    paths["garbage"] = tmp_path / "garbage.geojson"
    paths["garbage"].write_text("{not json", encoding="utf-8")
    page, log, _ = br.open_map(chromium, session["path"])
    try:
        page.set_input_files(".rm-edit-file", str(session["file"]))
        message_with(page, "已载入 5 项修改")
        km_cells = page.locator(".rm-edit-km td").all_inner_texts()
        for name, words in (
            ("other", "这些修改是在方案 另一方案<b>x</b> 上做的，不是本方案；未载入"),
            ("ids", "修改 #3 无法在本图上重现（segment_ids 不是本方案同一条河上相接的河段）"),
            ("far", "修改 #0 无法在本图上重现（点位离河流太远）"),
            ("garbage", "无法读取"),
        ):
            page.set_input_files(".rm-edit-file", str(paths[name]))
            message_with(page, words)
            assert done_count(page) == 5, name  # the edits shown before stay
            assert page.locator(".rm-edit-km td").all_inner_texts() == km_cells, name
        assert page.locator(".rm-edit-panel b").count() == 0  # the plan's name is text
        # segment ids joined by ";", as apply_edits also reads them, and no plan named
        merge = {"action": "merge", "segment_ids": " 富春江-1;富春江-2 ", "unit_id": "330122"}
        paths["joined"] = tmp_path / "joined.geojson"
        joined = {"type": "FeatureCollection", "features": [feature(merge)]}
        paths["joined"].write_text(json.dumps(joined, ensure_ascii=False), encoding="utf-8")
        page.set_input_files(".rm-edit-file", str(paths["joined"]))
        message_with(page, "已载入 1 项修改")
        assert "合并 富春江 0.00–" in panel(page)
        assert log.errors == []
    finally:
        page.close()


def test_the_editor_loads_edits_checked_first(
    demo: rm.Responsibility, plan: Plan, tmp_path: Path
) -> None:
    editor = PlanEditor(demo, plan, flags=False)
    merge = {"action": "merge", "segment_ids": ["富春江-1", "富春江-2"], "unit_id": "330122"}
    path = tmp_path / "edits.geojson"
    head = {"plan_id": plan.plan_id, "plan_hash": plan.content_hash, "level": "district"}
    fc = {"type": "FeatureCollection", "rivermap": head, "features": [feature(merge)]}
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    edited = editor.load(path)
    assert editor.edits["rivermap"] == head
    assert editor.edits["features"] == [feature(merge)]
    assert editor.apply().log == edited.log
    # a point given in another CRS reaches the page in WGS84
    pt = gpd.GeoDataFrame(
        {"action": ["split"], "river_id": [FUCHUN]},
        geometry=[shapely.geometry.shape(point_at(plan, FUCHUN, 12_000))],
        crs=4326,
    ).to_crs(4549)
    editor.load(pt)
    lon, lat = editor.edits["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx(point_at(plan, FUCHUN, 12_000)["coordinates"], abs=1e-7)
    # edits of another plan raise apply_edits' error and leave the editor as it was
    other = json.loads(json.dumps(fc))
    other["rivermap"]["plan_hash"] = "f" * 64
    before = editor.edits
    with pytest.raises(SchemaError, match="these edits were made on plan"):
        editor.load(other)
    assert editor.edits == before


@needs_browser
def test_hostile_unit_names_show_as_text(chromium, tmp_path: Path) -> None:
    resp = hostile_resp()
    plan = rm.redivide(resp, level="district")
    path = save_html(
        responsibility_map(resp, level="street", plan=plan, edit=True, flags=False),
        tmp_path / "hostile.html",
    )
    page, log, _ = br.open_map(chromium, path)
    try:
        page.click(".rm-edit-assign")
        ev = plan.segments[plan.segments["river_id"] == "evil"]
        right = ev[ev["unit_id"] == "330603"].iloc[0]
        click_river(page, "evil", (right["from_m"] + right["to_m"]) / 2, zoom=16)
        page.fill(".rm-edit-find", "330602")
        button = page.locator(".rm-edit-found .rm-edit-unit").first
        assert button.inner_text() == HOSTILE_UNIT
        button.click()
        page.fill(".rm-edit-pending .rm-edit-note", HOSTILE_NOTE)
        page.click(".rm-edit-confirm")
        assert HOSTILE_UNIT in panel(page)
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("script:text('alert(2)')").count() == 0
        with page.expect_download() as dl:
            page.click(".rm-edit-download")
        dl.value.save_as(tmp_path / "edits.geojson")
        assert log.dialogs == []
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()
    edited = plan.apply_edits(tmp_path / "edits.geojson")
    assert set(edited.segments.loc[edited.segments["river_id"] == "evil", "unit_id"]) == {"330602"}


@needs_browser
def test_a_gaode_map_writes_wgs84(chromium, demo: rm.Responsibility, plan: Plan, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The display is GCJ-02 (hundreds of metres off); the file's points are WGS84 again."""
    path = save_html(
        responsibility_map(demo, plan=plan, edit=True, basemap="gaode", flags=False),
        tmp_path / "gaode.html",
    )
    page, log, _ = br.open_map(chromium, path)
    try:
        page.click(".rm-edit-split")
        click_river(page, FUCHUN, 40_000)
        page.click(".rm-edit-confirm")
        with page.expect_download() as dl:
            page.click(".rm-edit-download")
        dl.value.save_as(tmp_path / "edits.geojson")
        # the tiles are the only thing the page asked the network for
        assert log.blocked
        assert all("autonavi.com" in url for url in log.blocked)
        assert [e for e in log.errors if "Failed to load resource" not in e] == []
        # loaded back, the WGS84 point goes to GCJ-02 again: the cut where it was
        page.reload()
        page.wait_for_function("() => window.rivermap && rivermap.maps.length > 0")
        page.set_input_files(".rm-edit-file", str(tmp_path / "edits.geojson"))
        message_with(page, "已载入 1 项修改")
        again = page.evaluate("() => rivermap.maps[0].editor.model.collection()")
    finally:
        page.close()
    fc = json.loads((tmp_path / "edits.geojson").read_text(encoding="utf-8"))
    at = fc["features"][0]["properties"]["at_m"]
    assert again["features"][0]["properties"]["at_m"] == pytest.approx(at, abs=0.5)
    edited = plan.apply_edits(fc, tolerance_m=5)  # within 5 m of the river: WGS84 again
    assert "point 0." in edited.log[0] or "point 1." in edited.log[0]
    assert edited.edits[0]["at_m"] == pytest.approx(at, abs=3.0)


def widget_page(path: Path, state: dict[str, Any], edits: dict[str, Any], views: int = 1) -> Path:
    """Write a page that renders the widget's ES module ``views`` times, with a fake model."""
    divs = "<div class='out'></div>" * views
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<style>{state['_css']}</style></head><body>{divs}"
        "<script>window.ESM = "
        + json.dumps(state["_esm"]).replace("<", "\\u003c")
        + "; window.VALUES = "
        + json.dumps({"_data": state["_data"], "edits": edits, "height": state["height"]}).replace(
            "<", "\\u003c"
        )
        + ";</script>"
        """<script type="module">
          const sets = [], saved = [], handlers = {};
          const fire = (k) => (handlers["change:" + k] || []).forEach((fn) => fn());
          const model = {
            get: (k) => window.VALUES[k],
            // as a Backbone model: setting a trait fires its change event at once
            set: (k, v) => { window.VALUES[k] = v; sets.push(k); fire(k); },
            on: (ev, fn) => (handlers[ev] = handlers[ev] || []).push(fn),
            off: (ev, fn) => { handlers[ev] = (handlers[ev] || []).filter((f) => f !== fn); },
            save_changes: () => saved.push(window.VALUES.edits.features.length),
          };
          // the comm bringing a value set in Python
          window.fromPython = (k, v) => { window.VALUES[k] = v; fire(k); };
          window.MODEL = { sets, saved };
          const url = URL.createObjectURL(new Blob([window.ESM], { type: "text/javascript" }));
          const mod = await import(url);
          document.querySelectorAll(".out").forEach((el) => mod.default.render({ model, el }));
        </script></body></html>""",
        encoding="utf-8",
    )
    return path


@needs_browser
def test_the_widget_sends_edits_to_its_model(
    chromium, demo: rm.Responsibility, plan: Plan, tmp_path: Path
) -> None:
    editor = PlanEditor(demo, plan, flags=False, height="700px")
    state = editor.get_state()
    page_file = widget_page(tmp_path / "widget.html", state, state["edits"])
    page, log, _ = br.open_map(chromium, page_file)
    try:
        page.click(".rm-edit-split")
        click_river(page, FUCHUN, 12_000)
        page.click(".rm-edit-confirm")
        page.click(".rm-edit-merge")
        click_river(page, FUCHUN, 3_000)
        click_river(page, FUCHUN, 7_000)
        page.click(".rm-edit-confirm")
        page.click(".rm-edit-undo")
        page.click(".rm-edit-redo")
        edits = page.evaluate("() => window.VALUES.edits")
        # edits set in Python replace those on the map: none, then the two again
        page.evaluate("v => window.fromPython('edits', v)", state["edits"])
        assert done_count(page) == 0
        page.evaluate("v => window.fromPython('edits', v)", edits)
        assert done_count(page) == 2
        model = page.evaluate("() => window.MODEL")
        height = page.evaluate("() => document.querySelector('.rm-widget').style.height")
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()
    assert set(model["sets"]) == {"edits"}
    # after each edit, the undo and the redo; then the page's own copy of each load
    assert model["saved"] == [1, 2, 1, 2, 0, 2]
    assert height == "700px"
    # the edits come back to Python as the comm would bring them
    editor.set_state({"edits": edits})
    edited = editor.apply()
    assert [e["action"] for e in edited.edits] == ["split", "merge"]
    assert len(edited.segments) == len(plan.segments)
    # two views of one editor: an edit in one shows in the other, and the writes stop
    page, log, _ = br.open_map(
        chromium, widget_page(tmp_path / "two.html", state, state["edits"], views=2), height=1500
    )
    try:
        page.click(".rm-edit-merge >> nth=0")
        click_river(page, FUCHUN, 3_000)
        click_river(page, FUCHUN, 7_000)
        page.click(".rm-edit-confirm >> nth=0")
        counts = page.evaluate("() => rivermap.maps.map(h => h.editor.model.done.length)")
        model = page.evaluate("() => window.MODEL")
        assert log.errors == []
    finally:
        page.close()
    assert counts == [1, 1]
    assert model["saved"] in ([1], [1, 1])  # the edit, and at most the other view's copy
    # a new editor given these edits before it is drawn shows them at once
    page, log, _ = br.open_map(chromium, widget_page(tmp_path / "again.html", state, edits))
    try:
        assert done_count(page) == 2
        assert "已载入 2 项修改" in panel(page)
        assert log.errors == []
    finally:
        page.close()


@needs_browser
def test_a_session_on_liechtenstein(chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Split Binnenkanal-2 (Triesen), give its lower part to Vaduz found by name, join it to -3."""
    resp = rm.assign(*rm.datasets.load("liechtenstein"))
    plan = rm.redivide(resp, level="gemeinde", policy="majority")
    seg = plan.segments.set_index("segment_id")
    two, three = seg.loc["Binnenkanal-2"], seg.loc["Binnenkanal-3"]
    at = two["from_m"] + 0.6 * (two["to_m"] - two["from_m"])
    path = save_html(
        responsibility_map(resp, plan=plan, edit=True, lang="en"), tmp_path / "li.html"
    )
    page, log, _ = br.open_map(chromium, path)
    try:
        page.click(".rm-edit-split")
        click_river(page, "Binnenkanal", at, zoom=16)
        assert "Cut at" in page.inner_text(".rm-edit-pending")
        page.click(".rm-edit-confirm")
        page.click(".rm-edit-assign")
        click_river(page, "Binnenkanal", (at + two["to_m"]) / 2, zoom=15)
        page.fill(".rm-edit-find", "vad")
        page.click(".rm-edit-found .rm-edit-unit >> text=Vaduz")
        page.click(".rm-edit-confirm")
        page.click(".rm-edit-merge")
        click_river(page, "Binnenkanal", (at + two["to_m"]) / 2, zoom=15)
        click_river(page, "Binnenkanal", (three["from_m"] + three["to_m"]) / 2, zoom=14)
        page.click(".rm-edit-confirm")
        cells = page.locator(".rm-edit-km td").all_inner_texts()
        with page.expect_download() as dl:
            page.click(".rm-edit-download")
        dl.value.save_as(tmp_path / "edits.geojson")
        assert log.errors == []
        assert log.blocked == []
    finally:
        page.close()
    fc = json.loads((tmp_path / "edits.geojson").read_text(encoding="utf-8"))
    m = [f["properties"]["at_m"] for f in fc["features"]]
    assert m[0] == pytest.approx(at, abs=10.0)  # a click, at zoom 16
    assert fc["features"][2]["geometry"]["type"] == "Point"  # a piece of a split: at the cut
    by_hand = plan.apply_edits(
        [
            feature({"action": "split"}, point_at(plan, "Binnenkanal", m[0])),
            feature({"action": "assign", "unit_id": "48"}, point_at(plan, "Binnenkanal", m[1])),
            feature(
                {"action": "merge", "unit_id": "48", "river_id": "Binnenkanal"},
                point_at(plan, "Binnenkanal", m[2]),
            ),
        ]
    )
    from_page = plan.apply_edits(tmp_path / "edits.geojson")
    same_plan(from_page, by_hand, metres=3.0)
    canal = from_page.segments[from_page.segments["river_id"] == "Binnenkanal"]
    assert canal["unit_id"].tolist()[:3] == ["45", "37", "48"]
    assert canal["to_m"].iloc[1] == pytest.approx(m[0], abs=3.0)
    # the km the page showed: Vaduz gains what Triesen loses
    rows = {cells[i]: cells[i + 1 : i + 4] for i in range(0, len(cells), 4)}
    gained = (two["to_m"] - canal["to_m"].iloc[1]) / 1000
    assert float(rows["Vaduz"][2]) == pytest.approx(gained, abs=0.01)
    assert float(rows["Triesen"][2]) == pytest.approx(-gained, abs=0.01)
