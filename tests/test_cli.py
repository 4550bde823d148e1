"""The command line: exit codes, one-line errors, help with examples."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
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
    code = main(["validate", DEMO, DEMO, "--merge-by", "name"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no problems found" in out
    assert "province > city > district" in out


def test_validate_problems_exit_1_and_are_listed(capsys):
    code = main(["validate", *LIE_ARGS])
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


@pytest.mark.parametrize("command", ["validate", "assign", "demo"])
def test_every_subcommand_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert f"rivermap {command}" in out


def test_demo_writes_responsibility_and_prints_per_city(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "1 province, 11 city, 90 district" in text
    assert "杭州市" in text
    assert "京杭运河(江南运河)" in text  # chief level above district
    resp = rm.read_responsibility(out / "responsibility.gpkg")
    assert resp.summary["n_rivers"] == 11
    # A second run without --overwrite refuses before doing any work.
    assert main(["demo", "--out", str(out), "--quiet"]) == 2
    assert "exists" in capsys.readouterr().err


def test_assign_writes_a_geopackage_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "resp.gpkg"
    args = [
        "assign",
        *LIE_ARGS,
        "-o",
        str(out),
        "--quiet",
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
