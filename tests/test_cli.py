"""The command line: exit codes, one-line errors, help with examples."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, box

import rivermap as rm
from rivermap.cli import main

DEMO = str(rm.datasets.get_path("zhejiang"))
LIE = str(rm.datasets.get_path("liechtenstein"))
# The Liechtenstein extract keeps every level in one layer, levels by OSM admin_level.
LIE_ARGS = [
    LIE,
    LIE,
    "--level-col",
    "admin_level",
    "--units-layer",
    "admin",
    "--levels",
    "country=2,wahlkreis=6,gemeinde=8",
    "--id-col",
    "osm_id",
]


def test_validate_clean_input_exits_0(capsys):
    code = main(["validate", DEMO, DEMO, "--merge-by", "name", "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no problems found" in out
    assert "province > city > district" in out


def test_validate_problems_exit_1_and_are_listed(capsys):
    code = main(["validate", *LIE_ARGS, "--lang", "en"])
    captured = capsys.readouterr()
    assert code == 1
    # Four waterways of the extract lie wholly outside Liechtenstein.
    assert captured.out.count("river_outside") == 4
    assert "4 problem(s) found" in captured.err


def test_validate_planted_overlap(tmp_path, capsys):
    units = gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["甲", "乙"]},
        geometry=[box(0, 0, 1000, 1000), box(900, 0, 2000, 1000)],
        crs=4549,
    )
    rivers = gpd.GeoDataFrame(
        {"name": ["河"]}, geometry=[LineString([(10, 10), (1500, 500)])], crs=4549
    )
    up, rp = tmp_path / "units.gpkg", tmp_path / "rivers.geojson"
    units.to_file(up, layer="district", engine="pyogrio")
    rivers.to_file(rp, engine="pyogrio")
    assert main(["validate", str(rp), str(up)]) == 1
    out = capsys.readouterr().out
    assert "overlap" in out
    assert "100000" in out.replace(",", "")  # 100 m × 1000 m


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "missing.gpkg", DEMO], "missing.gpkg: no such file"),
        (["validate", DEMO, DEMO, "--rivers-layer", "nope"], "no layer 'nope'"),
        (["validate", DEMO, DEMO, "--levels", "city,town"], "no layer named 'town'"),
        (["validate", DEMO, DEMO, "--id-col", "GBCODE"], "duplicate ids in column 'GBCODE'"),
    ],
)
def test_user_errors_exit_2_with_one_line(args, needle, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", DEMO], "the following arguments are required"),
        (["nonsense"], "invalid choice"),
        (["assign", DEMO, DEMO, "-o", "x.gpkg", "--workers", "two"], "invalid int value"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_exit_code_and_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "rivermap.cli", "validate", "missing.gpkg", DEMO],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("rivermap: error:")


COMMANDS = ["demo", "init", "run", "validate", "assign", "flags", "redivide", "map", "atlas"]


@pytest.mark.parametrize("command", [*COMMANDS, "chiefs"])
def test_every_subcommand_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert f"rivermap {command}" in out
    assert "--lang" in out
    assert "--quiet" in out
    if command != "validate":
        assert "--overwrite" in out


def test_main_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in [*COMMANDS, "chiefs"]:
        assert command in out


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    """``rivermap demo`` once for the module: every output of the Zhejiang project."""
    out = tmp_path_factory.mktemp("cli") / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out


def test_demo_writes_every_output_and_prints_per_city(demo_out, capsys):
    names = {p.name for p in demo_out.iterdir()}
    assert names == {
        "responsibility.gpkg",
        "flags.xlsx",
        "plan_district.gpkg",
        "plan_district.xlsx",
        "chiefs.xlsx",
        "map.html",
        "atlas.pdf",
        "routed.xlsx",
        "patrols.xlsx",
        "synthetic",
        "bulletin.html",
        "bulletin.xlsx",
        "signboards.pdf",
    }
    # The demo's tickets and tracks are synthetic, and every output made from them says so
    # in Chinese and English.
    zh, en = rm.text.TERMS["msg.synthetic"]
    routed = pd.read_excel(demo_out / "routed.xlsx", dtype=str)
    assert (routed["数据说明"] == f"{zh} / {en}").all()
    assert "数据说明（原表）" in routed.columns  # the synthetic file's own note, kept
    assert len(routed) == 3 * 300  # the synthetic month and the two before it
    from pypdf import PdfReader

    boards = [page.extract_text() for page in PdfReader(demo_out / "signboards.pdf").pages]
    assert len(boards) == 11  # a board per river, from the example roster, said on each
    assert all("EXAMPLE: names and phones are not real" in text for text in boards)
    months = pd.read_excel(demo_out / "bulletin.xlsx", sheet_name="逐月", dtype=str)
    assert months["月份"].tolist() == ["2026-09", "2026-10", "2026-11"]
    trend = pd.read_excel(demo_out / "bulletin.xlsx", sheet_name="环比")
    assert trend["本月受理(上月)"].notna().all()  # October is in the data
    about = pd.read_excel(demo_out / "patrols.xlsx", sheet_name="说明", dtype=str)
    assert about.iloc[0, 0] == f"{zh} / {en}"
    page = (demo_out / "map.html").read_text(encoding="utf-8")
    assert zh in page
    assert en in page
    assert {p.name for p in (demo_out / "synthetic").iterdir()} >= {"events.csv", "tracks"}
    resp = rm.read_responsibility(demo_out / "responsibility.gpkg")
    assert resp.summary["n_rivers"] == 11
    assert resp.roster is not None  # the example roster was joined
    # the stored flags are the ones the run computed (and wrote to flags.xlsx)
    import pyogrio

    stored = pyogrio.read_dataframe(demo_out / "responsibility.gpkg", layer="flags")
    assert len(stored) == len(pd.read_excel(demo_out / "flags.xlsx")) > 0
    assert (demo_out / "atlas.pdf").read_bytes().startswith(b"%PDF")
    # A second run without --overwrite refuses before doing any work.
    before = {p.name: p.stat().st_mtime_ns for p in demo_out.iterdir()}
    assert main(["demo", "--out", str(demo_out), "--quiet"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in demo_out.iterdir()} == before
    # no staging folder is left behind
    assert [p.name for p in demo_out.parent.iterdir()] == ["demo"]


def test_demo_summary_in_both_languages(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "zh"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "省 1 个、市 11 个、区县 90 个" in text
    assert "杭州市" in text
    assert "河长层级在区县以上的河流（9 条）" in text
    assert "京杭运河(江南运河)" in text
    assert main(["demo", "--out", str(tmp_path / "en"), "--quiet", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "1 province, 11 city, 90 district" in text
    assert "rivers whose chief level is above district (9)" in text
    assert "per city" in text


def test_flags_exit_1_and_write_a_table(demo_out, tmp_path, capsys):
    out = tmp_path / "flags.csv"
    gpkg = str(demo_out / "responsibility.gpkg")
    assert main(["flags", gpkg, "--level", "district", "-o", str(out), "--lang", "en"]) == 1
    captured = capsys.readouterr()
    assert "river(s) flagged" in captured.err
    assert "富春江" in captured.out
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert "富春江" in set(table.iloc[:, 1]) | set(table.iloc[:, 0])
    assert main(["flags", gpkg, "--level", "town"]) == 2
    assert "--level must be one of 'province', 'city', 'district'; got 'town'" in (
        capsys.readouterr().err
    )


def test_flags_print_reasons_and_levels_in_words(demo_out, capsys):
    gpkg = str(demo_out / "responsibility.gpkg")
    assert main(["flags", gpkg, "--level", "district"]) == 1
    out = capsys.readouterr().out
    assert "区县" in out  # the level, not the code
    assert "跨界" in out  # reasons in Chinese
    assert "crosses" not in out
    assert main(["flags", gpkg, "--level", "district", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "crosses units" in out
    assert "跨界" not in out


def test_redivide_map_atlas_chiefs_from_the_demo_output(demo_out, tmp_path, capsys):
    gpkg = str(demo_out / "responsibility.gpkg")
    plan = tmp_path / "plan.gpkg"
    args = ["redivide", gpkg, "--level", "district", "--policy", "majority", "-o", str(plan)]
    assert main([*args, "--table", str(tmp_path / "plan.xlsx"), "--quiet"]) == 0
    assert rm.read_plan(plan).level == "district"
    assert main([*args, "--quiet"]) == 2  # exists
    html = tmp_path / "map.html"
    assert main(["map", gpkg, "-o", str(html), "--plan", str(plan), "--quiet"]) == 0
    assert "富春江" in html.read_text(encoding="utf-8")
    pdf = tmp_path / "atlas.pdf"
    assert main(["atlas", gpkg, "-o", str(pdf), "--by", "city", "--quiet"]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    roster = str(rm.chiefs.example_roster_path())
    report = tmp_path / "chiefs.xlsx"
    capsys.readouterr()
    assert main(["chiefs", gpkg, roster, "-o", str(report), "--quiet"]) == 1
    assert "河长名录问题 9 个" in capsys.readouterr().err
    sheets = pd.read_excel(report, sheet_name=None)
    assert {"问题", "河长"} <= set(sheets)


def test_init_writes_a_template_that_run_checks(tmp_path, capsys):
    project = tmp_path / "rivermap.toml"
    assert main(["init", str(project)]) == 0
    assert "[rivers]" in project.read_text(encoding="utf-8")
    assert main(["init", str(project)]) == 2  # exists
    capsys.readouterr()
    # the template names files the user must supply: a clear error, exit 2
    assert main(["run", str(project)]) == 2
    err = capsys.readouterr().err
    assert "rivers.shp: no such file" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[rivers]\npath = 1\n", "[rivers] path must be str"),
        ("[rivres]\n", "unknown section [rivres]"),
        ("[rivers]\nnmae = 'x'\n", "unknown key 'nmae'"),
        ("[units]\nlevels = ['a']\npath = 'u.gpkg'\n", "[rivers] path is required"),
        ("x = [\n", "not valid TOML"),
        ("[assign]\nworkers = 0\n", "[assign] workers must be a whole number of 1 or more"),
    ],
)
def test_bad_project_files_exit_2_naming_the_key(tmp_path, text, needle, capsys):
    project = tmp_path / "p.toml"
    project.write_text(text, encoding="utf-8")
    assert main(["run", str(project)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert str(project) in err


def test_run_leaves_no_half_written_output(tmp_path, capsys):
    """A step failing late (a bad edits file) leaves the output folder untouched."""
    data = rm.datasets.get_path("zhejiang").parent
    edits = tmp_path / "edits.geojson"
    edits.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [0, 0]}, '
        '"properties": {"action": "split"}}]}',
        encoding="utf-8",
    )
    project = tmp_path / "p.toml"
    project.write_text(
        f"""
[project]
output = "out"
[rivers]
path = "{data / "zhejiang_rivers_admin.gpkg"}"
layer = "rivers"
merge_by = "name"
[units]
path = "{data / "zhejiang_rivers_admin.gpkg"}"
levels = ["province", "city", "district"]
[redivide]
level = "district"
edits = "edits.geojson"
[outputs]
atlas = false
map = false
""",
        encoding="utf-8",
    )
    assert main(["run", str(project), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "edit feature #0" in err
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edits.geojson", "p.toml"]


def test_assign_writes_a_geopackage_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "resp.gpkg"
    args = [
        "assign",
        *LIE_ARGS,
        "-o",
        str(out),
        "--quiet",
        "--workers",
        "2",
    ]
    assert main(args) == 0
    resp = rm.read_responsibility(out)
    assert resp.levels == ("country", "wahlkreis", "gemeinde")
    assert set(resp.reaches["kind"]) >= {"inside", "boundary"}
    before = out.stat().st_mtime_ns
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.stat().st_mtime_ns == before
    assert main([*args, "--overwrite"]) == 0


def test_template_values_agree_with_params():
    """The values ``rivermap init`` writes are the defaults of rivermap.params."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    from rivermap import params
    from rivermap.project import TEMPLATE

    raw = tomllib.loads(TEMPLATE)
    assert raw["assign"] == {
        "min_reach_m": params.MIN_REACH_M,
        "boundary_tol_m": params.BOUNDARY_TOL_M,
        "boundary_min_m": params.BOUNDARY_MIN_M,
        "boundary_policy": params.BOUNDARY_POLICY,
    }
    assert raw["flags"] == {"min_share": params.MIN_SHARE, "min_length_m": params.MIN_LENGTH_M}
    assert raw["redivide"] == {
        "level": "district",
        "policy": "majority",  # what the flags propose, not the library's default
        "min_segment_m": params.MIN_SEGMENT_M,
    }
    assert raw["project"]["lang"] == params.LANG
    assert raw["atlas"]["paper"] == params.PAPERS[0]
    # the commented choices are params' choices
    assert " | ".join(params.REDIVIDE_POLICIES) in TEMPLATE
    assert " | ".join(params.BOUNDARY_POLICIES) in TEMPLATE


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("assign", ["--min-reach-m", "(default: 50)", "(default: 20)", "(default: 200)"]),
        ("assign", ["{bank,parent,lead}", "(default: bank)"]),
        ("flags", ["(default: 0.05)", "(default: 200)"]),
        ("redivide", ["{split,majority,parent}", "(default: split)", "(default: 50)"]),
        ("map", ["none, osm, tianditu, gaode", "(default: none)"]),
        ("atlas", ["{A4,A3}", "(default: A4)", "{auto,portrait,landscape}"]),
    ],
)
def test_help_shows_the_defaults_and_choices_of_params(command, shown, capsys, monkeypatch):
    """``--help`` reads rivermap.params: a default changed there shows here."""
    from rivermap import params

    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in shown:
        assert text in out
    monkeypatch.setattr(params, "MIN_SHARE", 0.25)
    monkeypatch.setattr(params, "MIN_REACH_M", 75.0)
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 0.05)" not in out
    assert "(default: 50)" not in out or command == "redivide"  # redivide: --tolerance-m 50


def test_run_prints_outputs_relative_to_the_working_directory(demo_out, tmp_path, capsys):
    """Paths under the working directory are shown relative to it, never as data/../out."""
    import os

    from rivermap.demo import print_summary
    from rivermap.project import RunReport, load_project

    project = load_project(rm.datasets.project_path("zhejiang"), output=demo_out)
    assert project.output == demo_out.resolve()
    report = RunReport(
        project.output,
        files=[project.output / "map.html"],
        result=rm.read_responsibility(demo_out / "responsibility.gpkg"),
    )
    cwd = os.getcwd()
    try:
        os.chdir(demo_out.parent)
        print_summary(project, report)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert f"    {os.path.join(demo_out.name, 'map.html')}\n" in out
    assert ".." not in out
