"""The QGIS plugin and rivermap's GeoPackages in real, headless QGIS (Debian's qgis, python3-qgis).

One QGIS session runs for the whole module (tests/qgis_headless.py): it
installs the plugin's ZIP and loads the plugin as QGIS does, first where
rivermap is nowhere and then with it, opens the demo's GeoPackages, renders
the demo to a PNG (``out/test-artifacts/qgis_demo.png``), and runs every
algorithm through ``processing.run`` on the demo's files
(tests/qgis_algorithms.py) twice: with rivermap in QGIS's own Python
("here"), and in another Python as the plugin recommends ("elsewhere": the
venv's Python as ``RIVERMAP_PYTHON``, every rivermap module hidden from
QGIS's Python). The tests compare what QGIS reported and the files written
with what the library gives for the same input. Skipped, with the reason,
where QGIS is not installed.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

import rivermap as rm
from rivermap import pipeline
from rivermap.chiefs import example_roster_path
from rivermap.maps._style import PALETTE
from rivermap.synth import write_month
from tests import qgis_headless as qh
from tests.browser import ARTIFACTS

LEVELS = ["province", "city", "district"]
MONTH = "2026-11"
#: Where rivermap ran: in QGIS's own Python, or in the venv's Python as a subprocess.
WAYS = ("here", "elsewhere")
#: The columns of a reach that say what it is and who answers for it.
#: The pip wheels that bring their own GDAL, GEOS and PROJ.
WHEELS = ("pyogrio", "shapely", "pyproj")
REACH_COLUMNS = ["reach_id", "river_id", "kind", *LEVELS, "left_unit", "right_unit", "responsible"]


class Demo:
    """The demo's inputs and results as the library makes them, and the plugin's ZIP."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.data = rm.datasets.get_path("zhejiang")
        rivers = rm.read_rivers(self.data, layer="rivers", merge_by="name")
        self.units = rm.read_units(self.data, levels=LEVELS)
        self.resp = rm.assign(rivers, self.units).with_chiefs(example_roster_path())
        self.gpkg = self.resp.to_file(work / "demo.gpkg")
        self.plan = rm.redivide(self.resp, level="district", policy="majority")
        self.plan_gpkg = self.plan.to_file(work / "plan.gpkg")
        self.units_one = work / "units_one.gpkg"
        self.units.frame.to_file(self.units_one, layer="units", driver="GPKG")
        self.month = write_month(self.resp, work / "month", month=MONTH)
        self.edits = self._edits()
        self.zip = _package_module().package(work / "dist")
        self.png = work / "qgis_demo.png"
        self.python_without = self._python_without()

    def _python_without(self) -> Path:
        """Write a "Python" that has no rivermap: the venv's Python without its site-packages."""
        path = self.work / "python-without-rivermap"
        path.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n', encoding="utf-8")
        path.chmod(0o755)
        return path

    def _edits(self) -> Path:
        """Write a planner's split at the middle of the plan's longest segment (GeoJSON, WGS84)."""
        seg = self.plan.segments.sort_values("length_m").iloc[-1]
        middle = shapely.line_interpolate_point(seg.geometry, 0.5, normalized=True)
        frame = gpd.GeoDataFrame(
            {"action": ["split"], "river_id": [seg["river_id"]]},
            geometry=[middle],
            crs=self.plan.segments.crs,
        ).to_crs(4326)
        path = self.work / "edits.geojson"
        path.write_text(frame.to_json(drop_id=True), encoding="utf-8")
        return path

    def config(self) -> dict[str, Any]:
        """Return the session's configuration: every check, on these files."""
        return {
            "checks": [
                "install_zip",
                "missing_library",
                "plugin",
                "plugin_file",
                "doctests",
                "demo_gpkg",
                "render",
                "algorithms",
            ],
            "work": str(self.work),
            "zip": str(self.zip),
            "data_gpkg": str(self.data),
            "demo_gpkg": str(self.gpkg),
            "plan_gpkg": str(self.plan_gpkg),
            "units_one": str(self.units_one),
            "events_csv": str(self.month["events"]),
            "tracks_dir": str(self.month["tracks"]),
            "tracks_csv": str(self.month["tracks_csv"]),
            "roster": str(example_roster_path()),
            "edits": str(self.edits),
            "month": MONTH,
            "png": str(self.png),
            "palette": list(PALETTE),
            "python": sys.executable,
            "python_without": str(self.python_without),
        }


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    reason = qh.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    return Demo(tmp_path_factory.mktemp("qgis"))


@pytest.fixture(scope="module")
def session(demo_files: Demo) -> dict[str, Any]:
    """Run the one QGIS session of this module; keep its picture in out/test-artifacts."""
    report = qh.run_session(demo_files.config())
    assert "error" not in report, report["error"]
    if demo_files.png.exists():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo_files.png, ARTIFACTS / "qgis_demo.png")
    return report


def part(report: dict[str, Any], *keys: str) -> Any:
    """Return a check's report, failing with its traceback when the check raised."""
    out: Any = report
    for key in keys:
        out = out[key]
        if isinstance(out, dict) and "error" in out and len(out) == 1:
            pytest.fail(f"{'/'.join(keys)} raised in QGIS:\n{out['error']}")
    return out


# ================================================================= the plugin
def test_the_zip_installs_as_qgis_installs_it(session, demo_files: Demo) -> None:
    r = part(session, "install_zip")
    assert r["name"] == "rivermap_qgis"
    assert "rivermap_qgis/metadata.txt" in r["files"]
    assert "rivermap_qgis/algorithms/assign.py" in r["files"]
    assert "rivermap_qgis/steps.py" in r["files"]
    installed = Path(demo_files.work, "plugins", "rivermap_qgis", "__init__.py")
    assert Path(session["plugin_file"]) == installed  # the tests ran the installed copy


def test_without_rivermap_the_plugin_loads_and_says_how_to_install_it(session) -> None:
    r = part(session, "missing_library")
    assert r["started"] is True  # nothing of the plugin imports rivermap
    assert r["provider"] is False
    assert len(r["messages"]) == 1
    line = r["messages"][0]
    venv = "python3 -m venv ~/.venvs/rivermap && ~/.venvs/rivermap/bin/pip install rivermap"
    assert venv in line
    assert "重启 QGIS" in line
    assert "restart QGIS" in line
    assert r["problem"].startswith("rivermap is not installed")
    assert "/nonexistent/rivermap-site-packages" in r["problem"]  # RIVERMAP_PYTHONPATH named
    assert r["extra_on_path"] is True
    for text in (
        "Debian / Ubuntu",
        "sudo apt install python3-venv",
        "RIVERMAP_PYTHON",
        "OSGeo4W",
        "standalone installer",
        "Not on\nLinux",
        "Linux 上不可行",
    ):
        assert text in r["details"], text
    win = r["details_windows"]
    assert r"py -m venv %USERPROFILE%\.venvs\rivermap" in win
    assert 'python -m pip install rivermap "numpy==1.24.2" "pyarrow<26"' in win
    assert r"%USERPROFILE%\.venvs\rivermap\Scripts\pip install rivermap" in r["short_windows"]


def test_a_python_without_rivermap_is_named_in_the_message(session, demo_files: Demo) -> None:
    r = part(session, "missing_library", "other_python")
    assert r["started"] is True
    assert r["provider"] is False
    assert len(r["messages"]) == 1
    assert r["problem"] == (
        f"{demo_files.python_without}: rivermap does not import there "
        "(ModuleNotFoundError: No module named 'rivermap')"
    )
    assert r["problem"] in r["messages"][0]


def test_the_plugin_registers_every_algorithm_with_both_languages(session) -> None:
    r = part(session, "plugin")
    assert r["started"] is True
    assert r["messages"] == []
    assert r["backend"] is None  # rivermap runs in QGIS's own Python
    assert r["clashes"] == []  # QGIS imported as a module keeps its GDAL to itself
    assert r["provider"] == "rivermap 河长制"
    assert r["long_name"].startswith(f"rivermap {rm.__version__} ")
    assert r["icon"] is True
    names = {"assign", "flags", "redivide", "route", "patrols", "bulletin", "webmap", "atlas"}
    assert set(r["algorithms"]) == {f"rivermap:{n}" for n in names}
    for alg in r["algorithms"].values():
        zh, en = alg["name"].split(" / ")
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), alg["name"]
        assert en.isascii(), alg["name"]
        assert en[0].isupper(), alg["name"]
        assert len(alg["help"]) > 150
        assert "<p>" in alg["help"]
        for label in alg["parameters"].values():
            assert " / " in label, label
    assert r["font"] == "Noto Sans CJK SC"
    assert r["has_cjk_font"] is True


def test_the_parameters_defaults_are_rivermaps(session) -> None:
    from rivermap import params

    algs = part(session, "plugin")["algorithms"]
    assign = algs["rivermap:assign"]["defaults"]
    assert assign["MIN_REACH_M"] == params.MIN_REACH_M
    assert assign["BOUNDARY_TOL_M"] == params.BOUNDARY_TOL_M
    assert assign["BOUNDARY_POLICY"] == params.BOUNDARY_POLICIES.index(params.BOUNDARY_POLICY)
    assert algs["rivermap:flags"]["defaults"]["MIN_SHARE"] == params.MIN_SHARE
    assert algs["rivermap:redivide"]["defaults"]["TOLERANCE_M"] == params.EDIT_TOLERANCE_M
    assert algs["rivermap:route"]["defaults"]["MAX_DIST_M"] == params.MAX_DIST_M
    assert algs["rivermap:patrols"]["defaults"]["MAX_SPEED_KMH"] == params.MAX_SPEED_KMH
    assert algs["rivermap:flags"]["defaults"]["LANG"] == params.LANGS.index(params.LANG)


def test_the_plugin_doctests_pass(session) -> None:
    r = part(session, "doctests")
    assert sum(attempted for attempted, _ in r.values()) >= 6
    assert {name: failed for name, (_, failed) in r.items() if failed} == {}


# =========================================== finding rivermap: the clash check
def test_clashes_finds_the_wheels_whose_libraries_qgis_would_replace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    library = _library()
    site = tmp_path / "site"
    for package in WHEELS:
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("", encoding="utf-8")
    (site / "pyogrio.libs").mkdir()  # a wheel bringing its own GDAL
    (site / "pyproj.libs").mkdir()
    specs = {n: importlib.util.spec_from_file_location(n, site / n / "__init__.py") for n in WHEELS}
    monkeypatch.setattr(importlib.util, "find_spec", specs.get)

    class Program:  # the global scope: GDAL and GEOS loaded, PROJ not
        GDALVersionInfo = GEOSversion = object()

    assert library.clashes("linux", Program()) == ["pyogrio"]
    Program.proj_info = object()  # type: ignore[attr-defined]
    assert library.clashes("linux", Program()) == ["pyogrio", "pyproj"]  # shapely: no .libs
    assert library.clashes("win32", Program()) == []
    assert library.clashes("darwin", Program()) == []
    assert library.clashes("linux", object()) == []  # nothing of QGIS loaded


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the clash is Linux's")
def test_clashes_sees_gdal_geos_and_proj_loaded_as_the_qgis_program_loads_them() -> None:
    """In a Python that loads the system's GDAL, GEOS and PROJ globally, as the QGIS program has.

    There pyogrio, shapely and pyproj would call the system's copies (measured:
    pyogrio reads the demo's rivers with a wrong dimension and the process
    aborts), so the plugin must not run rivermap in that Python.
    """
    libs = ("libgdal.so.32", "libgeos_c.so.1", "libproj.so.25")
    code = (
        "import ctypes, sys, json; sys.path.insert(0, sys.argv[1])\n"
        "from rivermap_qgis.library import clashes\n"
        "before = clashes()\n"
        "for name in sys.argv[2:]: ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)\n"
        "print(json.dumps([before, clashes()]))\n"
    )
    args = [sys.executable, "-c", code, str(qh.PLUGIN_DIR), *libs]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
    if "cannot open shared object file" in done.stderr:
        pytest.skip(f"the system's GDAL, GEOS or PROJ is missing: {done.stderr.splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    assert before == []
    wheels = [p for p in WHEELS if _has_own_libs(p)]
    assert wheels, "the venv's pyogrio, shapely and pyproj come with no libraries of their own"
    assert after == wheels


def _has_own_libs(package: str) -> bool:
    """Whether the installed ``package`` is a wheel with its own native libraries."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return False
    return (Path(spec.origin).parents[1] / f"{package}.libs").is_dir()


def test_the_install_help_keeps_qgis_numpy_for_qgis_own_python() -> None:
    library = _library()
    short, details = library.install_help("rivermap is not installed", "linux", "1.24.2")
    assert "~/.venvs/rivermap/bin/pip install rivermap" in short
    assert "(rivermap is not installed)" in short
    assert 'python -m pip install rivermap "numpy==1.24.2" "pyarrow<26"' in details
    assert library.pins("2.1.3") == '"numpy==2.1.3"'


# ============================================================ the GeoPackages
def test_every_layer_of_the_demo_gpkg_has_one_geometry_type_in_qgis(session) -> None:
    r = part(session, "demo_gpkg")
    spatial = {k: v for k, v in r.items() if v["wkb"] != "NoGeometry"}
    assert {"demo:reaches", "demo:rivers", "demo:units", "plan:segments"} <= set(spatial)
    for name, layer in r.items():
        assert layer["valid"], name
        assert layer["sublayers"] == 1, f"{name}: QGIS offers {layer['sublayers']} sub-layers"
        assert layer["wkb"] != "Unknown", name
    assert spatial["demo:units"]["wkb"] == "MultiPolygon"
    assert "LineString" in spatial["demo:rivers"]["wkb"]


def test_the_demo_gpkg_opens_styled_with_the_palette(session) -> None:
    r = part(session, "demo_gpkg")
    for name in ("demo:reaches", "demo:units", "demo:rivers", "plan:segments"):
        assert r[name]["renderer"] not in (None, "singleSymbol"), (name, r[name]["renderer"])
    reaches = r["demo:reaches"]
    assert set(PALETTE) & set(reaches["colours"]), reaches["colours"]
    assert reaches["labels"] is True


def test_the_demo_renders_with_the_styled_reaches(session) -> None:
    r = part(session, "render")
    assert r["size"] == [1200, 900]
    assert r["drawn_share"] > 0.2  # the units cover the province
    used = [c for c, n in zip(PALETTE, r["palette_pixels"], strict=True) if n >= 20]
    assert len(used) >= 3, dict(zip(PALETTE, r["palette_pixels"], strict=True))
    assert (ARTIFACTS / "qgis_demo.png").stat().st_size > 10_000


# ============================================================= the algorithms
def algorithm(session: dict[str, Any], way: str, name: str) -> Any:
    """Return an algorithm check's report, run with rivermap ``way`` (here or elsewhere)."""
    return part(session, "algorithms", way, name)


def same_reaches(path: str, expected: rm.Responsibility) -> None:
    """Assert that the GeoPackage ``path`` holds the reaches of ``expected``, row for row."""
    got = rm.read_responsibility(path).reaches
    want = expected.reaches
    assert len(got) == len(want)
    cols = [c for c in REACH_COLUMNS if c in want.columns]
    left = got[cols].astype(object).where(got[cols].notna(), None).reset_index(drop=True)
    right = want[cols].astype(object).where(want[cols].notna(), None).reset_index(drop=True)
    assert left.to_dict("records") == right.to_dict("records")
    np.testing.assert_allclose(got["from_m"], want["from_m"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got["to_m"], want["to_m"], rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("way", WAYS)
def test_the_plugin_starts_and_the_algorithms_run_where_asked(session, way: str) -> None:
    r = part(session, "algorithms", way)
    assert r["backend"] == (None if way == "here" else sys.executable)
    assert r["plugin"]["started"] is True  # "elsewhere": with no rivermap in QGIS's Python
    assert r["plugin"]["provider"] is True
    assert r["plugin"]["messages"] == []


@pytest.mark.parametrize("way", WAYS)
def test_assign_from_layers_per_level_gives_the_library_result_and_loads_it_styled(
    session, demo_files: Demo, way: str
) -> None:
    r = algorithm(session, way, "assign_layers")
    resp = demo_files.resp
    assert r["results"]["N_REACHES"] == len(resp.reaches)
    assert r["results"]["N_RIVERS"] == len(resp.rivers)
    assert r["counts"]["REACHES"] == len(resp.reaches)
    assert r["counts"]["UNITS"] == len(resp.units)
    same_reaches(r["results"]["OUTPUT"], resp)
    # rivermap's warning, in the log, names the memory layer, not the copy it read
    assert len(r["warnings"]) == 1
    assert r["warnings"][0].startswith("[rivers in memory]: dropped 1 feature(s) with empty")
    loaded = {layer["name"]: layer for layer in r["loaded"]}
    assert {"河段 reaches", "河流 rivers", "行政单元 units", "需关注河流 flags"} <= set(loaded)
    names = [layer["name"] for layer in r["loaded"]]
    assert names.index("行政单元 units") > names.index("河段 reaches")  # polygons below lines
    for name in ("河段 reaches", "行政单元 units"):
        assert loaded[name]["renderer"] not in (None, "singleSymbol"), loaded[name]


@pytest.mark.parametrize("way", WAYS)
def test_assign_from_one_layer_with_a_level_field_gives_the_same_reaches(
    session, demo_files: Demo, way: str
) -> None:
    r = algorithm(session, way, "assign_one_layer")
    assert r["results"]["N_REACHES"] == len(demo_files.resp.reaches)
    same_reaches(r["results"]["OUTPUT"], demo_files.resp)


@pytest.mark.parametrize("way", WAYS)
def test_a_bad_input_raises_rivermaps_message(session, demo_files: Demo, way: str) -> None:
    r = algorithm(session, way, "assign_bad")
    with pytest.raises(rm.RivermapError) as exc:
        rm.read_rivers(demo_files.data, layer="rivers", id_col="name")
    assert r["type"] == "QgsProcessingException"
    assert r["message"] == str(exc.value)
    assert "\n" not in r["message"]
    bad = algorithm(session, way, "flags_bad")
    with pytest.raises(rm.RivermapError) as exc:
        rm.read_responsibility(demo_files.data)
    assert bad["not_a_result"]["type"] == "QgsProcessingException"
    assert bad["not_a_result"]["message"] == str(exc.value)
    assert bad["level"]["message"].startswith("LEVEL (级别")  # named by its parameter
    assert "ward" in bad["level"]["message"]
    assert "district" in bad["level"]["message"]


@pytest.mark.parametrize("way", WAYS)
def test_a_bug_comes_back_with_its_traceback(session, way: str) -> None:
    r = algorithm(session, way, "bug")
    assert r["keys"] == ["bug"]
    assert "Traceback (most recent call last)" in r["bug"]
    assert "KeyError: 'no such step'" in r["bug"]


@pytest.mark.parametrize("way", WAYS)
def test_flags_gives_the_library_flags(session, demo_files: Demo, way: str) -> None:
    r = algorithm(session, way, "flags")
    expected = demo_files.resp.flags("district", min_share=0.1)
    assert r["results"]["FLAGGED"] == len(expected) > 0
    assert r["counts"]["FLAGS"] == len(expected)
    got = gpd.read_file(r["results"]["OUTPUT"], layer="flags")
    assert sorted(zip(got["river_id"], got["level"], strict=True)) == sorted(
        zip(expected["river_id"], expected["level"], strict=True)
    )
    assert Path(r["results"]["TABLE"]).stat().st_size > 0


@pytest.mark.parametrize("way", WAYS)
def test_progress_moves_and_a_cancel_stops_the_algorithm(session, way: str) -> None:
    r = algorithm(session, way, "progress")
    assert r["steps"] == sorted(r["steps"])
    assert r["steps"][-1] == 100
    assert len(r["texts"]) >= 3
    assert all(" / " in text for text in r["texts"])
    for when in ("before", "at_first"):
        assert r[when]["message"] is not None, when
        assert "cancelled" in r[when]["message"]
        # stopped before writing: the other Python was killed, not waited for (it would
        # have written the file), and QGIS's own stopped at the next step
        assert r[when]["written"] is False, when
    assert len(r["at_first_texts"]) == 1  # nothing said after the cancel


@pytest.mark.parametrize("way", WAYS)
def test_redivide_applies_the_edits_layer(session, demo_files: Demo, way: str) -> None:
    r = algorithm(session, way, "redivide")
    plan = rm.redivide(demo_files.resp, level="district", policy="majority")
    edited = plan.apply_edits(demo_files.edits)
    assert len(edited.segments) == len(plan.segments) + 1
    assert r["results"]["N_SEGMENTS"] == len(edited.segments)
    assert r["counts"]["SEGMENTS"] == len(edited.segments)
    got = rm.read_plan(r["results"]["OUTPUT"]).segments
    cols = ["segment_id", "river_id", "unit_id"]
    assert got[cols].to_dict("records") == edited.segments[cols].to_dict("records")
    np.testing.assert_allclose(got["from_m"], edited.segments["from_m"], atol=1e-6)
    np.testing.assert_allclose(got["to_m"], edited.segments["to_m"], atol=1e-6)


@pytest.mark.parametrize("way", WAYS)
def test_route_gives_the_library_routing(session, demo_files: Demo, way: str) -> None:
    r = algorithm(session, way, "route")
    resp = demo_files.resp
    routed = pipeline.route(resp, demo_files.month["events"], crs="gcj02")
    assert r["results"]["N_EVENTS"] == len(routed) == r["counts"]["EVENTS"]
    assert r["results"]["N_UNMATCHED"] == int((routed["match"] == "unmatched").sum())
    got = gpd.read_file(r["results"]["OUTPUT"], layer="events")
    assert list(got["reach_id"].fillna("")) == list(routed["reach_id"].fillna(""))


@pytest.mark.parametrize("way", WAYS)
def test_patrols_gives_the_library_coverage(session, demo_files: Demo, way: str) -> None:
    r = algorithm(session, way, "patrols")
    cover = pipeline.judge_patrols(
        demo_files.resp, demo_files.month["tracks"], start="2026-11-01", end="2026-11-30"
    )
    assert r["results"]["N_PATROLS"] == len(cover.patrols) == r["counts"]["PATROLS"]
    assert r["results"]["N_SHORT"] == int((cover.people["met"] == False).sum())  # noqa: E712


@pytest.mark.parametrize("way", WAYS)
def test_bulletin_from_layers_gives_the_library_bulletin(
    session, demo_files: Demo, way: str
) -> None:
    r = algorithm(session, way, "bulletin")
    assert r["tracks"] == len(rm.read_patrols(demo_files.month["tracks_csv"]))
    b = pipeline.make_bulletin(
        demo_files.resp,
        events=demo_files.month["events"],
        tracks=demo_files.month["tracks_csv"],
        month=MONTH,
        events_crs="gcj02",
        level="district",
    )
    assert r["results"]["N_SILENT"] == int(b.tables["ranking"]["silent"].sum())
    page = Path(r["results"]["OUTPUT"]).read_text(encoding="utf-8")
    assert MONTH in page
    assert "<html" in page
    assert Path(r["results"]["TABLE"]).stat().st_size > 0


@pytest.mark.parametrize("way", WAYS)
def test_webmap_and_atlas_write_their_files(session, way: str) -> None:
    page = Path(algorithm(session, way, "webmap")["results"]["OUTPUT"])
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    pdf = Path(algorithm(session, way, "atlas")["results"]["OUTPUT"])
    assert pdf.read_bytes()[:5] == b"%PDF-"


# ================================================================ the package
def test_make_plugin_zips_the_plugin_for_install_from_zip(tmp_path: Path) -> None:
    package = _package_module()
    first, second = package.package(tmp_path / "a"), package.package(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()  # deterministic
    assert package.version() == rm.__version__  # one version for the library and the plugin
    assert first.name == f"rivermap-qgis-plugin-{rm.__version__}.zip"
    names = zipfile.ZipFile(first).namelist()
    assert names == sorted(names)
    assert all(n.startswith("rivermap_qgis/") for n in names)
    for name in ("metadata.txt", "__init__.py", "icon.svg", "LICENSE", "algorithms/assign.py"):
        assert f"rivermap_qgis/{name}" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    meta = configparser.ConfigParser()  # as QGIS reads it: with % interpolation
    meta.read_string(zipfile.ZipFile(first).read("rivermap_qgis/metadata.txt").decode("utf-8"))
    fields = dict(meta.items("general"))
    assert fields["hasprocessingprovider"] == "yes"
    assert "RIVERMAP_PYTHON" in fields["about"]


def _library() -> Any:
    """Import the plugin's rivermap_qgis.library (it imports no QGIS at import time)."""
    sys.path.insert(0, str(qh.PLUGIN_DIR))
    try:
        from rivermap_qgis import library
    finally:
        sys.path.remove(str(qh.PLUGIN_DIR))
    return library


def _package_module() -> Any:
    """Import qgis_plugin/package.py (a script, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("package", qh.PLUGIN_DIR / "package.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
