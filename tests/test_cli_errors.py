"""The error contract of the command line: every bad parameter is exit code 2 and one line.

Every command is driven with every bad value it accepts, through
``rivermap.cli.main``. Whatever finds the problem (argparse, the CLI's early
checks, a project file's checks or the library), the user sees exit code 2,
exactly one ``rivermap: error:`` line on stderr (after the steps ``run``
announces, if any) and no traceback, and no output is written.
"""

from __future__ import annotations

import json

import pytest

import rivermap as rm
from rivermap.cli import main

DEMO = str(rm.datasets.get_path("zhejiang"))
ROSTER = str(rm.chiefs.example_roster_path())

# A project on the embedded data that is quick to run (no map, no atlas);
# each bad project below adds one line to it.
_PROJECT = f"""
[project]
output = "out"
[rivers]
path = "{DEMO}"
layer = "rivers"
merge_by = "name"
[units]
path = "{DEMO}"
levels = ["province", "city", "district"]
[outputs]
map = false
atlas = false
"""
_SECTIONS = ("project", "rivers", "units", "assign", "flags", "redivide", "map", "atlas")
BAD_PROJECTS: dict[str, str] = {
    "share": "[flags]\nmin_share = 2",
    "reach": "[assign]\nmin_reach_m = -1",
    "nan": "[assign]\nboundary_min_m = nan",
    "workers": "[assign]\nworkers = 0",
    "tiles": "[assign]\ntiles = 0",
    "tiles_text": '[assign]\ntiles = "all"',
    "scheduler": '[assign]\nscheduler = "8786"',
    "boundary_policy": '[assign]\nboundary_policy = "river"',
    "policy": '[redivide]\npolicy = "biggest"',
    "tolerance": "[redivide]\ntolerance_m = -5",
    "segment": "[redivide]\nmin_segment_m = inf",
    "paper": '[atlas]\npaper = "A5"',
    "orientation": '[atlas]\norientation = "diagonal"',
    "basemap": '[map]\nbasemap = "bing"',
    "lang": '[project]\nlang = "fr"',
    "redivide_level": '[redivide]\nlevel = "town"',
    "map_level": '[map]\nlevel = "town"',
    "atlas_by": '[atlas]\nby = "town"',
    "output_path": '[outputs]\nflags = "sub/flags.xlsx"',
    "type": '[flags]\nmin_share = "a lot"',
    "bool": "[assign]\nmin_reach_m = true",
    "unknown_key": "[flags]\nmin_shares = 0.1",
}

# The arguments each case of a command starts with.
ASSIGN = ["assign", DEMO, DEMO, "-o", "{out}.gpkg"]
REDIVIDE = ["redivide", "{gpkg}", "--level", "city", "-o", "{out}.gpkg"]
MAP = ["map", "{gpkg}", "-o", "{out}.html"]
ATLAS = ["atlas", "{gpkg}", "-o", "{out}.pdf"]

CASES: list[tuple[list[str], str]] = [
    # demo
    (["demo", "--lang", "fr"], "invalid choice: 'fr'"),
    (["demo", "--out", "{existing_dir}"], "already exist(s); use --overwrite"),
    (["demo", "--workers", "2"], "unrecognized arguments"),
    # init
    (["init", "{existing}.toml"], "exists; pass overwrite=True"),
    (["init", "{out}.toml", "--lang", "xx"], "invalid choice: 'xx'"),
    # run: the project file itself
    (["run", "{tmp}/nope.toml"], "project file not found"),
    (["run", "{toml:binary}"], "a project file must be UTF-8 text"),
    (["run", "{tmp}"], "cannot read the project file"),
    (["run", "{toml:broken}"], "not valid TOML"),
    (["run", "{toml:section}"], "unknown section [rivres]"),
    (["run", "{toml:missing_input}"], "no_rivers.gpkg: no such file"),
    (["run", "{toml:share}", "--lang", "fr"], "invalid choice: 'fr'"),
    (["run", "{toml:ok}", "--out", "{existing_dir}"], "already exist(s); use --overwrite"),
    # run: each bad value, named by file, section and key
    (["run", "{toml:share}"], "[flags] min_share is a share of the river's length (0–1), got 2"),
    (["run", "{toml:reach}"], "[assign] min_reach_m must be a finite non-negative number"),
    (["run", "{toml:nan}"], "[assign] boundary_min_m must be a non-negative number of metres"),
    (["run", "{toml:workers}"], "[assign] workers must be a whole number of 1 or more, got 0"),
    (["run", "{toml:boundary_policy}"], "[assign] boundary_policy must be one of 'bank'"),
    (["run", "{toml:tiles}"], "[assign] tiles must be auto or a whole number of river vertices"),
    (["run", "{toml:tiles_text}"], "of 1 or more, got 'all'"),
    (["run", "{toml:scheduler}"], "[assign] scheduler must be a Dask scheduler's address"),
    (["run", "{toml:policy}"], "[redivide] policy must be one of 'split', 'majority'"),
    (["run", "{toml:tolerance}"], "[redivide] tolerance_m must be a finite non-negative"),
    (["run", "{toml:segment}"], "[redivide] min_segment_m must be a finite non-negative"),
    (["run", "{toml:paper}"], "[atlas] paper must be one of 'A4', 'A3'; got 'A5'"),
    (["run", "{toml:orientation}"], "[atlas] orientation must be one of 'auto'"),
    (["run", "{toml:basemap}"], "[map] basemap must be one of"),
    (["run", "{toml:lang}"], "[project] lang must be one of 'zh', 'en'; got 'fr'"),
    (["run", "{toml:redivide_level}"], "[redivide] level must be one of 'province', 'city'"),
    (["run", "{toml:map_level}"], "[map] level must be one of 'province', 'city', 'district'"),
    (["run", "{toml:atlas_by}"], "[atlas] by must be one of 'province', 'city', 'district'"),
    (["run", "{toml:levels}"], "no layer named 'town'"),
    (["run", "{toml:output_path}"], "give a file name, not a path"),
    (["run", "{toml:type}"], "[flags] min_share must be int or float, not 'a lot'"),
    (["run", "{toml:bool}"], "[assign] min_reach_m must be int or float, not True"),
    (["run", "{toml:unknown_key}"], "[flags] unknown key 'min_shares'"),
    # validate
    (["validate", "missing.gpkg", DEMO], "missing.gpkg: no such file"),
    (["validate", DEMO, "missing.gpkg"], "missing.gpkg: no such file"),
    (["validate", DEMO], "the following arguments are required: UNITS"),
    (["validate", DEMO, DEMO, "--rivers-layer", "nope"], "no layer 'nope'"),
    (["validate", DEMO, DEMO, "--levels", "city,town"], "no layer named 'town'"),
    (["validate", DEMO, DEMO, "--level-col", "admin_level"], "--level-col needs --levels"),
    (["validate", DEMO, DEMO, "--crs", "nonsense"], "crs='nonsense' is not a known CRS"),
    (["validate", DEMO, DEMO, "--encoding", "bogus"], "unknown encoding: bogus"),
    (["validate", DEMO, DEMO, "--parent", "nosuchcol"], "no parent column 'nosuchcol'"),
    (["validate", DEMO, DEMO, "--merge-by", "nope"], "no merge_by column 'nope'"),
    (["validate", DEMO, DEMO, "--lang", "fr"], "invalid choice: 'fr'"),
    # assign
    (["assign", DEMO, DEMO], "the following arguments are required: -o/--output"),
    (
        [*ASSIGN, "--min-reach-m", "-1"],
        "--min-reach-m must be a finite non-negative number of metres, got -1.0",
    ),
    ([*ASSIGN, "--min-reach-m", "nan"], "got nan"),
    ([*ASSIGN, "--min-reach-m", "x"], "invalid float value"),
    ([*ASSIGN, "--boundary-tol-m", "-5"], "--boundary-tol-m"),
    ([*ASSIGN, "--boundary-tol-m", "inf"], "finite"),
    (
        [*ASSIGN, "--boundary-min-m", "nan"],
        "--boundary-min-m must be a non-negative number of metres, got nan",
    ),
    ([*ASSIGN, "--boundary-policy", "river"], "invalid choice: 'river'"),
    ([*ASSIGN, "--workers", "0"], "--workers must be a whole number of 1 or more, got 0"),
    ([*ASSIGN, "--workers", "-3"], "got -3"),
    ([*ASSIGN, "--workers", "two"], "invalid int value"),
    (["assign", DEMO, DEMO, "-o", "{existing}.gpkg"], "exists; pass overwrite=True"),
    (["assign", DEMO, DEMO, "-o", "{out}.shp"], "write this output as .gpkg or .parquet, not .shp"),
    ([*ASSIGN, "--tiles", "0"], "--tiles must be auto or a whole number of river vertices"),
    ([*ASSIGN, "--tiles", "many"], "of 1 or more, got 'many'"),
    ([*ASSIGN, "--scheduler", "localhost:8786"], "--scheduler must be a Dask scheduler's address"),
    (["assign", DEMO, DEMO, "-o", "{existing}.parquet"], "exists; pass overwrite=True"),
    (
        ["assign", DEMO, DEMO, "-o", "{out}.parquet", "--chiefs", ROSTER],
        "--chiefs: a roster is joined to a GeoPackage result",
    ),
    ([*ASSIGN, "--chiefs", "no.csv"], "no.csv: no such file"),
    # flags
    (["flags", "{gpkg}", "--min-share", "2"], "--min-share is a share of the river's length"),
    (["flags", "{gpkg}", "--min-share", "-0.1"], "(0–1), got -0.1"),
    (["flags", "{gpkg}", "--min-share", "nan"], "(0–1), got nan"),
    (["flags", "{gpkg}", "--min-length-m", "-1"], "--min-length-m must be a finite"),
    (["flags", "{gpkg}", "--level", "town"], "--level must be one of 'province', 'city'"),
    (["flags", "missing.gpkg"], "missing.gpkg: no such file"),
    (["flags", "{gpkg}", "-o", "{existing}.xlsx"], "exists; pass overwrite=True"),
    (["flags", "{gpkg}", "-o", "{out}.txt"], "write this output as .csv or .xlsx, not .txt"),
    (["flags", "{gpkg}", "--lang", "de"], "invalid choice: 'de'"),
    # redivide
    (["redivide", "{gpkg}", "-o", "{out}.gpkg"], "the following arguments are required: --level"),
    (["redivide", "{gpkg}", "--level", "town", "-o", "{out}.gpkg"], "--level must be one of"),
    ([*REDIVIDE, "--policy", "biggest"], "invalid choice: 'biggest'"),
    ([*REDIVIDE, "--min-segment-m", "-1"], "--min-segment-m must be a finite non-negative"),
    ([*REDIVIDE, "--min-share", "2"], "--min-share is a share"),
    (
        [*REDIVIDE, "--tolerance-m", "nan"],
        "--tolerance-m must be a finite non-negative number of metres, got nan",
    ),
    (["redivide", "{gpkg}", "--level", "city", "-o", "{existing}.gpkg"], "exists; pass overwrite"),
    ([*REDIVIDE, "--table", "{existing}.xlsx"], "exists; pass overwrite"),
    ([*REDIVIDE, "--table", "{out}.txt"], "write this output as .csv or .xlsx, not .txt"),
    ([*REDIVIDE, "--current", "no.gpkg"], "no.gpkg: no such file"),
    ([*REDIVIDE, "--edits", "no.geojson"], "no.geojson: no such file"),
    ([*REDIVIDE, "--edits", "{edits:action}"], "action.geojson: edit feature #0: unknown action"),
    (["redivide", "missing.gpkg", "--level", "city", "-o", "{out}.gpkg"], "no such file"),
    # map
    ([*MAP, "--level", "town"], "--level must be one of"),
    ([*MAP, "--basemap", "bing"], "invalid choice: 'bing'"),
    ([*MAP, "--basemap", "tianditu"], "needs a"),
    ([*MAP, "--simplify-m", "-1"], "--simplify-m must be"),
    ([*MAP, "--simplify-m", "nan"], "got nan"),
    ([*MAP, "--plan", "no.gpkg"], "no.gpkg: no such file"),
    ([*MAP, "--chiefs", "no.csv"], "no.csv: no such file"),
    (["map", "{gpkg}", "-o", "{existing}.html"], "exists; pass overwrite=True"),
    (["map", "{gpkg}", "-o", "{out}.txt"], "write this output as .html or .htm, not .txt"),
    (["map", "{gpkg}"], "the following arguments are required: -o/--output"),
    # atlas
    ([*ATLAS, "--by", "town"], "--by must be one of 'province'"),
    ([*ATLAS, "--paper", "A5"], "invalid choice: 'A5'"),
    ([*ATLAS, "--orientation", "diagonal"], "invalid choice"),
    ([*ATLAS, "--plan", "no.gpkg"], "no.gpkg: no such file"),
    ([*ATLAS, "--chiefs", "no.csv"], "no.csv: no such file"),
    (["atlas", "{gpkg}", "-o", "{existing}.pdf"], "exists; pass overwrite=True"),
    (["atlas", "{gpkg}", "-o", "{out}.png"], "write this output as .pdf, not .png"),
    # chiefs
    (["chiefs", "{gpkg}", "no.csv"], "no.csv: no such file"),
    (["chiefs", "missing.gpkg", ROSTER], "missing.gpkg: no such file"),
    (["chiefs", "{gpkg}", ROSTER, "-o", "{existing}.xlsx"], "exists; pass overwrite=True"),
    (["chiefs", "{gpkg}", DEMO], "expected a .csv or .xlsx file"),
    (["chiefs", "{gpkg}"], "the following arguments are required: ROSTER"),
]


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    """Return a result of ``rivermap assign`` on the embedded data."""
    out = tmp_path_factory.mktemp("errors") / "responsibility.gpkg"
    assert main(["assign", DEMO, DEMO, "--merge-by", "name", "-o", str(out), "--quiet"]) == 0
    return out


def _projects(tmp_path):
    """Write every project file the cases name; return ``{name: path}``."""
    texts = {name: _with(line) for name, line in BAD_PROJECTS.items()}
    texts["ok"] = _PROJECT
    texts["broken"] = "x = [\n"
    texts["section"] = "[rivres]\n"
    texts["levels"] = _PROJECT.replace('"city", "district"]', '"town"]')
    texts["missing_input"] = _PROJECT.replace(f'path = "{DEMO}"', 'path = "no_rivers.gpkg"', 1)
    paths = {}
    for name, text in texts.items():
        paths[name] = tmp_path / f"{name}.toml"
        paths[name].write_text(text, encoding="utf-8")
    edit = {"type": "Feature", "properties": {"action": "paint"}, "geometry": None}
    (tmp_path / "action.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [edit]}), encoding="utf-8"
    )
    paths["binary"] = tmp_path / "binary.toml"
    paths["binary"].write_bytes(b"[project]\nname = '\xff\xfe'\n")
    return paths


def _with(extra: str) -> str:
    """Return the quick project with ``extra`` (a section header and one key) merged in."""
    header, line = extra.split("\n", 1)
    if header in _PROJECT:
        return _PROJECT.replace(header + "\n", f"{header}\n{line}\n", 1)
    return _PROJECT + f"{header}\n{line}\n"


def _argv(argv, tmp_path, gpkg):
    existing_dir = tmp_path / "done"
    existing_dir.mkdir(exist_ok=True)
    (existing_dir / "responsibility.gpkg").write_bytes(b"")
    for suffix in (".xlsx", ".gpkg", ".html", ".pdf", ".toml", ".parquet"):
        (tmp_path / f"existing{suffix}").write_bytes(b"")
    projects = _projects(tmp_path)
    fields = {
        "{gpkg}": str(gpkg),
        "{out}": str(tmp_path / "out"),
        "{existing}": str(tmp_path / "existing"),
        "{existing_dir}": str(existing_dir),
        "{tmp}": str(tmp_path),
        "{edits:action}": str(tmp_path / "action.geojson"),
        **{f"{{toml:{name}}}": str(path) for name, path in projects.items()},
    }
    out = []
    for arg in argv:
        filled = arg
        for key, value in fields.items():
            filled = filled.replace(key, value)
        out.append(filled)
    return out


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own checks
        return exc.code


def test_every_command_is_in_the_table():
    commands = {argv[0] for argv, _ in CASES}
    assert commands == {
        "demo",
        "init",
        "run",
        "validate",
        "assign",
        "flags",
        "redivide",
        "map",
        "atlas",
        "chiefs",
    }


@pytest.mark.parametrize(("argv", "needle"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_parameter_is_exit_2_and_one_line(argv, needle, tmp_path, gpkg, capsys, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    argv = _argv(argv, tmp_path, gpkg)
    before = set(tmp_path.rglob("*"))
    capsys.readouterr()
    code = _exit_code(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("rivermap: error: ")]
    assert len(errors) == 1, err
    assert needle in errors[0]
    # the one error is the last line; any before it are the steps a run announced
    assert lines[-1] == errors[0]
    assert all(line.startswith("… ") for line in lines[:-1]), err
    # nothing was written: no output, no staging folder
    assert set(tmp_path.rglob("*")) == before


def test_a_bug_is_exit_3_with_a_please_report_line_and_the_traceback(monkeypatch, capsys):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(rm.pipeline, "read_inputs", boom)
    assert main(["validate", DEMO, DEMO, "--lang", "en"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("rivermap: internal error (a bug in rivermap")
    assert "please report" in err
    assert "Traceback" in err
    assert err.rstrip().endswith("ZeroDivisionError: a bug")
    assert main(["validate", DEMO, DEMO]) == 3
    assert "内部错误" in capsys.readouterr().err


def test_an_os_error_is_a_user_error_not_a_bug(monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rm.pipeline, "read_inputs", full)
    assert main(["validate", DEMO, DEMO]) == 2
    err = capsys.readouterr().err
    assert err == "rivermap: error: [Errno 28] No space left on device\n"


def test_a_project_file_saved_with_a_bom_runs(tmp_path, capsys):
    path = tmp_path / "notepad.toml"
    path.write_bytes(b"\xef\xbb\xbf" + _PROJECT.encode("utf-8"))
    assert main(["run", str(path), "--quiet"]) == 0
    assert (tmp_path / "out" / "responsibility.gpkg").exists()


def test_a_project_output_with_a_wrong_suffix_is_refused_before_any_work(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text(_PROJECT + 'flags = "flags.txt"\n', encoding="utf-8")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[outputs] flags = 'flags.txt': write it as .csv or .xlsx" in err
    assert "… " not in err  # no step began
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


@pytest.mark.filterwarnings("default::rivermap.errors.RivermapWarning")
def test_a_warning_is_one_line_without_source_code(tmp_path, capsys):
    rivers = rm.read_rivers(DEMO, layer="rivers").head(3)
    rivers.to_file(tmp_path / "gbk.shp", encoding="gbk", engine="pyogrio")
    (tmp_path / "gbk.cpg").unlink()
    out = tmp_path / "out.gpkg"
    argv = ["assign", str(tmp_path / "gbk.shp"), DEMO, "--levels", "province,city,district"]
    assert main([*argv, "-o", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    said = f"{tmp_path / 'gbk.shp'}: no .cpg file; detected the text encoding GB18030."
    assert err == [f"rivermap: warning: {said} Pass encoding='...' to override."]
