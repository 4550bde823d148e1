"""The project's own bad-input corpus (``tests/data/bad``, issue #18) through the command line.

Every file of the corpus goes through the commands that read its kind
(``validate``, ``assign -o``, ``chiefs``, ``run``, ``route``, ``patrols``) in
``rivermap.cli.main``, in-process. One table row per file and command states
the exit code a mature tool gives (0 ok, 1 problems found, 2 a user error;
never 3, a bug) and the words its message must hold. For every row:

* no traceback, and only rivermap's own warnings;
* the corpus is not touched (no ``.aux.xml``, no restored ``.shx``, no output);
* exit 2: one ``rivermap: error:`` line, last on stderr, naming the file (or
  the file a project names) and the words; nothing at all is written;
* exit 0 or 1: the outputs exist, with no temporary or hidden file beside
  them; the words are in what was printed or warned; hostile text is kept in
  the output tables, and no XLSX written holds a formula.

The table covers every file of the folder and the README lists every file, so
neither can fall behind the generator (``make_corpus.py``), whose output
names this test also checks.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import openpyxl
import pyogrio
import pytest

from rivermap.cli import main
from rivermap.errors import RivermapWarning

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
GENERATOR = CORPUS / "make_corpus.py"


def _generator() -> Any:
    """Import make_corpus.py (without leaving a __pycache__ in the corpus)."""
    spec = importlib.util.spec_from_file_location("make_corpus", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


MAKE = _generator()
KEPT: dict[str, list[str]] = MAKE.KEPT


class Row(NamedTuple):
    """A corpus file through one command, and what must come of it."""

    file: str
    argv: tuple[str, ...]
    code: int
    words: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    where: str | None = None  # the file the message names, when not ``file``


LEVELS = ("--levels", "province,city,district")
IDS = ("--id-col", "river_id")
V_RIVERS = ("validate", "{f}", "{good}", *IDS, *LEVELS)
A_RIVERS = ("assign", "{f}", "{good}", *IDS, *LEVELS, "-o", "{out}/r.gpkg")
ONE_FILE = ("--level-col", "level", *LEVELS)
V_UNITS = ("validate", "{good}", "{f}", *IDS, *ONE_FILE)
A_UNITS = ("assign", "{good}", "{f}", *IDS, *ONE_FILE, "-o", "{out}/r.gpkg")
V_LAYERS = ("validate", "{good}", "{f}", *IDS)  # levels: the polygon layers of the file
A_LAYERS = ("assign", "{good}", "{f}", *IDS, "-o", "{out}/r.gpkg")
CHIEFS = ("chiefs", "{resp}", "{f}", "-o", "{out}/chiefs.xlsx")
MERGE = ("--merge-by", "name")
A_CHIEFS = ("assign", "{good}", "{good}", *MERGE, "-o", "{out}/r.gpkg", "--chiefs", "{f}")
RUN = ("run", "{f}", "--out", "{out}/run")
ROUTE = ("route", "{resp}", "{f}", "-o", "{out}/routed.xlsx")
PATROLS = ("patrols", "{resp}", "{f}", "-o", "{out}/patrols.xlsx")
NAMES = ("衢江", "常山江(马金溪)")
PARENT = ("--parent", "parent_id")
#: GDAL ends a text at a NUL character: what is before it is kept.
BEFORE_NUL = ("NUL前", "衢", "结尾")

ROWS: list[Row] = [
    # ----------------------------------------------- well-formed: the controls
    Row("good.gpkg", ("validate", "{f}", "{f}", *IDS), 0),
    Row("good.gpkg", ("assign", "{f}", "{f}", *IDS, "-o", "{out}/r.gpkg"), 0, kept=NAMES),
    Row("good_rivers.geojson", V_RIVERS, 0),
    Row("good_units.geojson", V_UNITS, 0),
    Row("good_units.geojson", A_UNITS, 0),
    Row("good_roster.csv", CHIEFS, 0, kept=("衢州市衢江河长",)),
    Row("good_roster.xlsx", CHIEFS, 0, kept=("衢州市衢江河长",)),
    Row("good_project.toml", RUN, 0),
    Row("good_events.csv", ROUTE, 0),
    Row("good_tracks.gpx", PATROLS, 0),
    # ------------------------------------------------------- file formats
    Row("fmt_truncated.gpkg", ("validate", "{f}", "{f}", *IDS), 2),
    Row("fmt_truncated.gpkg", ("assign", "{f}", "{f}", *IDS, "-o", "{out}/r.gpkg"), 2),
    Row("fmt_truncated_rivers.shp", V_RIVERS, 2),
    Row("fmt_truncated_rivers.shp", A_RIVERS, 2),
    Row("fmt_truncated_rivers.geojson", V_RIVERS, 2),
    Row("fmt_truncated_roster.xlsx", CHIEFS, 2),
    Row("fmt_no_dbf.shp", V_RIVERS, 2, ("fmt_no_dbf.dbf",)),
    Row("fmt_no_dbf.shp", A_RIVERS, 2, ("fmt_no_dbf.dbf",)),
    Row("fmt_no_prj.shp", V_RIVERS, 2, (".prj", "--crs")),
    Row("fmt_no_prj.shp", (*V_RIVERS, "--crs", "EPSG:4326"), 0),
    Row("fmt_no_shx.shp", V_RIVERS, 2, (".shx",)),
    Row("fmt_csv_as.xlsx", CHIEFS, 2, ("xlsx",)),
    Row("fmt_csv_as.xlsx", A_CHIEFS, 2, ("xlsx",)),
    Row("fmt_xlsx_as.csv", CHIEFS, 2, ("xlsx",)),
    Row("fmt_geojson_as.csv", V_RIVERS, 2),
    Row("fmt_table_as_rivers.csv", V_RIVERS, 2, ("geometry",)),
    Row("fmt_table_as_rivers.csv", A_RIVERS, 2, ("geometry",)),
    Row("fmt_html_as.gpkg", V_RIVERS, 2),
    Row("fmt_gpkg_as.shp", V_RIVERS, 2, ("GeoPackage",)),
    Row("fmt_zero.gpkg", ("validate", "{f}", "{f}"), 2, ("empty",)),
    Row("fmt_zero.geojson", V_RIVERS, 2, ("empty",)),
    Row("fmt_zero.shp", V_RIVERS, 2, ("empty",)),
    Row("fmt_zero_roster.csv", CHIEFS, 2, ("empty",)),
    Row("fmt_zero_roster.csv", A_CHIEFS, 2, ("empty",)),
    Row("fmt_zero_roster.xlsx", CHIEFS, 2, ("empty",)),
    Row("fmt_zero_project.toml", RUN, 2, ("empty",)),
    Row("fmt_zero_events.csv", ROUTE, 2, ("empty",)),
    Row("fmt_zero_tracks.gpx", PATROLS, 2, ("empty",)),
    Row("fmt_bom_rivers.geojson", V_RIVERS, 0),
    Row("fmt_bom_roster.csv", CHIEFS, 0),
    Row("fmt_bom_project.toml", RUN, 0),
    Row("fmt_bom_events.csv", ROUTE, 0),
    Row("fmt_dir_rivers.gpkg", V_RIVERS, 2),
    Row("fmt_dir_roster.csv", CHIEFS, 2),
    # ---------------------------------------------------------- encodings
    Row("enc_gbk_nocpg.shp", A_RIVERS, 0, kept=NAMES),
    Row("enc_utf8_nocpg.shp", A_RIVERS, 0, kept=NAMES),
    Row("enc_wrong_cpg.shp", V_RIVERS, 2, ("encoding",)),
    Row("enc_wrong_cpg.shp", (*A_RIVERS, "--encoding", "gbk"), 0, kept=NAMES),
    Row("enc_latin1_roster.csv", CHIEFS, 2, ("encoding",)),
    Row("enc_utf16_roster.csv", CHIEFS, 0),  # a UTF-16 BOM says what it is: read
    Row("enc_mixed_roster.csv", CHIEFS, 2, ("row 5",)),
    Row("enc_gbk_roster.csv", CHIEFS, 0, kept=("衢州市衢江河长", "柯城区河长")),
    Row("enc_gbk_project.toml", RUN, 2, ("UTF-8",)),
    Row("enc_gbk_events.csv", ROUTE, 0),
    # ---------------------------------------------------------------- CRS
    Row("crs_none_rivers.fgb", V_RIVERS, 2, ("CRS", "--crs")),
    Row("crs_none_rivers.fgb", (*A_RIVERS, "--crs", "EPSG:4326"), 0),
    Row("crs_swapped_rivers.geojson", V_RIVERS, 2, ("swap", "QJ1")),
    Row("crs_swapped_rivers.geojson", A_RIVERS, 2, ("swap", "QJ1")),
    Row("crs_metres_as_4326.geojson", V_RIVERS, 2, ("QJ1",)),
    Row("crs_metres_as_4326.geojson", A_RIVERS, 2, ("QJ1",)),
    Row("crs_lat95_rivers.geojson", V_RIVERS, 2, ("CSJ",)),
    Row("crs_lat95_rivers.geojson", A_RIVERS, 2, ("CSJ",)),
    Row("crs_gcj02_rivers.geojson", A_RIVERS, 0),
    Row("crs_gcj02_rivers.geojson", (*A_RIVERS, "--crs", "GCJ-02"), 0),
    Row("crs_utm_rivers.shp", A_RIVERS, 0, kept=NAMES),
    Row("crs_prj_garbage.shp", V_RIVERS, 2, (".prj",)),
    Row("crs_far_rivers.geojson", V_RIVERS, 2),
    Row("crs_far_rivers.geojson", A_RIVERS, 2),
    Row("crs_far_units.geojson", V_UNITS, 2),
    Row("crs_units_3857.geojson", A_UNITS, 0),
    # ----------------------------------------------------------- geometry
    Row("geom_nan_vertex.shp", V_RIVERS, 2, ("QJ2",)),
    Row("geom_nan_vertex.shp", A_RIVERS, 2, ("QJ2",)),
    Row("geom_inf_vertex.shp", A_RIVERS, 2, ("QJ2",)),
    Row("geom_nan_endpoint.shp", V_RIVERS, 2, ("CSJ",)),
    Row("geom_nan_endpoint.shp", A_RIVERS, 2, ("CSJ",)),
    Row("geom_nan_token.geojson", V_RIVERS, 2),
    Row("geom_one_point.shp", V_RIVERS, 1, ("CSJ",)),
    Row("geom_one_point.shp", A_RIVERS, 0, ("CSJ",)),
    Row("geom_empty.geojson", V_RIVERS, 1, ("QJ3",)),
    Row("geom_empty.geojson", A_RIVERS, 0, ("QJ3",)),
    Row("geom_null.geojson", V_RIVERS, 1, ("QJ3",)),
    Row("geom_null.geojson", A_RIVERS, 0, ("QJ3",)),
    Row("geom_all_null.geojson", V_RIVERS, 2),
    Row("geom_points_as_rivers.geojson", V_RIVERS, 2, ("Point",)),
    Row("geom_polygons_as_rivers.geojson", V_RIVERS, 2, ("Polygon",)),
    Row("geom_polygons_as_rivers.geojson", A_RIVERS, 2, ("Polygon",)),
    Row("geom_lines_as_units.geojson", V_UNITS, 2, ("district",)),
    Row("geom_lines_as_units.geojson", A_UNITS, 2, ("district",)),
    # a layer that is not polygons is no level, said so (files often hold other layers)
    Row("geom_lines_layer_units.gpkg", V_LAYERS, 1, ("district",)),
    Row("geom_lines_layer_units.gpkg", (*V_LAYERS, *LEVELS), 2, ("district",)),
    Row("geom_lines_layer_units.gpkg", A_LAYERS, 0, ("district",)),
    Row("geom_z_rivers.geojson", A_RIVERS, 0, kept=NAMES),
    Row("geom_zm_rivers.shp", A_RIVERS, 0, kept=NAMES),
    Row("geom_m_rivers.shp", A_RIVERS, 0, kept=NAMES),
    Row("geom_bowtie_units.geojson", V_UNITS, 1, ("330803",)),
    Row("geom_bowtie_units.geojson", A_UNITS, 0, ("330803",)),
    Row("geom_spike_units.geojson", V_UNITS, 1, ("330803",)),
    Row("geom_spike_units.geojson", A_UNITS, 0, ("330803",)),
    Row("geom_nan_units.shp", V_UNITS, 2, ("330803",)),
    Row("geom_spike_rivers.geojson", A_RIVERS, 0),
    Row("geom_dup_vertices.geojson", V_RIVERS, 0),
    Row("geom_dup_vertices.geojson", A_RIVERS, 0),
    Row("geom_zero_length.geojson", V_RIVERS, 1, ("CSJ",)),
    Row("geom_zero_length.geojson", A_RIVERS, 0, ("CSJ",)),
    # -------------------------------------------------------------- units
    Row("units_not_nested.geojson", V_UNITS, 1, ("330802",)),
    Row("units_overlap.geojson", V_UNITS, 1, ("330803",)),
    Row("units_gap.geojson", V_UNITS, 1, ("330800",)),
    Row("units_empty_level.geojson", V_UNITS, 2, ("district", "no units")),
    Row("units_empty_level.gpkg", V_LAYERS, 2, ("district", "no units")),
    Row("units_empty_level.gpkg", (*V_LAYERS, *LEVELS), 2, ("district", "no units")),
    Row("units_same_id.geojson", V_UNITS, 1, ("330800",)),
    Row("units_nan_ids.geojson", V_UNITS, 2, ("unit_id", "开化县")),
    Row("units_dup_ids.geojson", V_UNITS, 1, ("330803",)),
    Row("units_dup_ids.geojson", A_UNITS, 2, ("330803",)),
    Row("units_missing_parent.geojson", (*V_UNITS, *PARENT), 1, ("330824", "339900")),
    Row("units_missing_parent.geojson", (*A_UNITS, *PARENT), 2, ("parent_id", "330824")),
    Row("units_no_name.geojson", V_UNITS, 0),
    Row("units_level_words.geojson", V_UNITS, 2, ("level",)),
    # ------------------------------------------------------------ rosters
    Row("roster_no_name_col.csv", CHIEFS, 2, ("name",)),
    Row("roster_no_unit_col.csv", CHIEFS, 2, ("unit",)),
    Row("roster_unknown_units.csv", CHIEFS, 2, ("339999",)),
    Row("roster_unknown_units.csv", A_CHIEFS, 2, ("339999",)),
    Row("roster_dup_rows.csv", CHIEFS, 0, ("repeated", "7")),
    Row("roster_bad_role.csv", CHIEFS, 2, ("大河长",)),
    Row("roster_bad_date.csv", CHIEFS, 2, ("明年春天",)),
    Row("roster_unknown_river.csv", CHIEFS, 2, ("黄河",)),
    Row("roster_level_mismatch.csv", CHIEFS, 2, ("row 4",)),
    Row("roster_header_only.csv", CHIEFS, 1),
    Row("roster_two_name_cols.csv", CHIEFS, 2, ("姓名",)),
    Row("roster_title_row.xlsx", CHIEFS, 2),
    # ------------------------------------------------------ project files
    Row("project_missing_roster.toml", RUN, 2, where="no_such_roster.csv"),
    Row("project_levels_string.toml", RUN, 2, ("levels",)),
    Row("project_path_number.toml", RUN, 2, ("path",)),
    Row("project_dir_rivers.toml", RUN, 2, where="fmt_dir_rivers.gpkg"),
    Row("project_bad_roster.toml", RUN, 2, ("xlsx",), where="fmt_csv_as.xlsx"),
    Row("project_swapped.toml", RUN, 2, ("swap",), where="crs_swapped_rivers.geojson"),
    Row("project_hostile.toml", RUN, 0, kept=tuple(KEPT["formula"])),
    Row("project_duplicate_key.toml", RUN, 2, ("line",)),
    # ----------------------------------------------- tickets and tracks
    Row("events_no_coords.csv", ROUTE, 1),
    Row("events_swapped.csv", ROUTE, 2, ("swap",)),
    Row("events_lat95.csv", ROUTE, 2, ("纬度",)),
    Row("events_bad_time.csv", ROUTE, 2, ("上报时间",)),
    Row("events_dup_ids.csv", ROUTE, 2, ("GD-001",)),
    Row("text_formula_events.csv", ROUTE, 0, kept=tuple(KEPT["formula"][:4])),
    Row("tracks_truncated.gpx", PATROLS, 2),
    Row("tracks_no_time.gpx", PATROLS, 2, ("time",)),
    Row("tracks_csv_as.gpx", PATROLS, 2),
    Row("tracks_nan.gpx", PATROLS, 2, ("nan",)),
    # ------------------------------------------------------ hostile text
    *(
        Row(f"text_{k}_rivers.geojson", A_RIVERS, 0, kept=tuple(v))
        for k, v in KEPT.items()
        if k != "nul"
    ),
    Row("text_nul_rivers.geojson", A_RIVERS, 0, kept=BEFORE_NUL),
    *(Row(f"text_{k}_roster.csv", CHIEFS, 0, kept=tuple(v)) for k, v in KEPT.items()),
    *(Row(f"text_{k}_units.geojson", A_UNITS, 0, kept=tuple(KEPT[k])) for k in ("html", "formula")),
    *(Row(f"text_{k}_roster.xlsx", CHIEFS, 0, kept=tuple(KEPT[k])) for k in ("html", "formula")),
]


def _id(row: Row) -> str:
    """Return the file and command of a row, and the options that tell its rows apart."""
    argv, tag = row.argv, f"{row.file}-{row.argv[0]}"
    if "--chiefs" in argv:
        tag += "--chiefs"
    if argv == (*V_LAYERS, *LEVELS):
        tag += "--levels"
    for option in ("--crs", "--encoding", "--parent"):
        if option in argv:
            tag += f"{option}={argv[argv.index(option) + 1]}"
    return tag


# ================================================================ fixtures
@pytest.fixture(scope="module")
def resp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the result of ``rivermap assign`` on good.gpkg, rivers merged by name."""
    out = tmp_path_factory.mktemp("corpus_resp") / "resp.gpkg"
    good = str(CORPUS / "good.gpkg")
    assert main(["assign", good, good, *MERGE, "-o", str(out), "--quiet"]) == 0
    return out


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Return every entry under ``folder`` (hidden ones too), files with their size and mtime."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        if p.is_file()
        else (0, 0)
        for p in folder.rglob("*")
    }


def _argv(row: Row, out: Path, resp: Path) -> list[str]:
    fields = {
        "{f}": str(CORPUS / row.file),
        "{good}": str(CORPUS / "good.gpkg"),
        "{out}": str(out),
        "{resp}": str(resp),
    }
    argv = []
    for arg in row.argv:
        filled = arg
        for key, value in fields.items():
            filled = filled.replace(key, value)
        argv.append(filled)
    return [*argv, "--lang", "en", "--quiet"]


def _run(argv: list[str]) -> tuple[int, list[warnings.WarningMessage]]:
    """Run the command line; return its exit code and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own checks
            code = exc.code if isinstance(exc.code, int) else 2
    return code, caught


# =================================================================== the rows
@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_corpus_file(row: Row, tmp_path: Path, resp: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"  # the user's output folder, which exists
    out.mkdir()
    argv = _argv(row, out, resp)
    corpus_before, resp_before = _snapshot(CORPUS), _snapshot(resp.parent)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code, caught = _run(argv)
    printed = capsys.readouterr()
    said = printed.out + printed.err + "".join(f"{w.message}\n" for w in caught)
    assert code in (0, 1, 2), f"exit {code} (3 is a bug):\n{printed.err}"
    assert "Traceback" not in printed.err, printed.err
    others = [f"{w.category.__name__}: {w.message}" for w in caught]
    others = [o for o, w in zip(others, caught, strict=True) if w.category is not RivermapWarning]
    assert not others, f"warnings that are not rivermap's reach the user: {others}"
    assert code == row.code, f"exit {code}, expected {row.code}:\n{said}"
    assert _snapshot(CORPUS) == corpus_before, "the corpus was changed"
    assert _snapshot(resp.parent) == resp_before, "something was written beside OUT.gpkg"
    if code == 2:
        _check_error(row, printed.err)
        assert _snapshot(tmp_path) == before, "an error left files behind"
    else:
        for word in row.words:
            assert word.lower() in said.lower(), f"{word!r} not said:\n{said}"
        _check_outputs(row, argv, out)


def _check_error(row: Row, err: str) -> None:
    """Check the error: one line, the last, naming the file and holding the words (any case)."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("rivermap: error: ")]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], err
    line = errors[0]
    where = row.where or Path(row.file).name
    assert where in line, f"the message does not name {where}: {line}"
    said = re.sub(re.escape(str(CORPUS)) + r"/[^\s:'\"()]*", "", line).lower()  # not in a path
    for word in row.words:
        assert word.lower() in said, f"{word!r} not in: {line}"


def _check_outputs(row: Row, argv: list[str], out: Path) -> None:
    """Check the outputs: there, nothing hidden or temporary beside them, text kept, no formula."""
    wanted = [Path(a) for a in argv if a.startswith(str(out))]
    for path in wanted:
        assert path.exists(), f"{path.name} was not written"
    files = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    stray = [p.name for p in out.rglob("*") if p.name.startswith(".") or "tmp" in p.name.lower()]
    assert not stray, f"temporary or hidden files left: {stray}"
    for book in (p for p in files if p.suffix == ".xlsx"):
        formulas = [c.coordinate for c in _cells(book) if c.data_type == "f"]
        assert not formulas, f"{book.name}: formulas in {formulas[:5]}"
    if row.kept:
        texts = [t for p in files for t in _texts(p)]
        lost = [k[:40] for k in row.kept if not any(k in t for t in texts)]
        assert not lost, f"text lost from the outputs: {lost}"


def _cells(book: Path) -> Iterator[Any]:
    wb = openpyxl.load_workbook(book)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def _texts(path: Path) -> list[str]:
    """Return the text cells of an output table (XLSX, GeoPackage, CSV)."""
    if path.suffix == ".xlsx":
        return [c.value for c in _cells(path) if isinstance(c.value, str)]
    if path.suffix == ".gpkg":
        texts = []
        for layer, _ in pyogrio.list_layers(path):
            frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
            for col in frame.columns:
                texts += [v for v in frame[col] if isinstance(v, str)]
        return texts
    if path.suffix == ".csv":
        return [path.read_text(encoding="utf-8-sig")]
    return []


# ====================================================== the table and the folder
def _corpus_files() -> list[str]:
    skip = {GENERATOR.name, "README.md"}
    return sorted(
        str(p.relative_to(CORPUS).as_posix())
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in skip and "__pycache__" not in p.parts
    )


def _covered(name: str) -> bool:
    """Whether a row runs the file, its folder, or its shapefile's .shp."""
    files = {r.file for r in ROWS}
    top = name.split("/", maxsplit=1)[0]
    return name in files or top in files or f"{Path(name).stem}.shp" in files


def test_the_corpus_has_at_least_80_files() -> None:
    assert len(_corpus_files()) >= 80


def test_every_file_of_the_corpus_is_in_the_table() -> None:
    missing = [name for name in _corpus_files() if not _covered(name)]
    assert not missing
    assert not [r.file for r in ROWS if not (CORPUS / r.file).exists()]


def test_the_readme_lists_every_file() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert not [name for name in _corpus_files() if f"`{name}`" not in readme]


def test_the_generator_makes_this_corpus(tmp_path: Path) -> None:
    """The generator writes the same files and README (bytes may differ with GDAL's version)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyogrio's, under GDAL
        assert MAKE.main([str(tmp_path)]) == 0
    made = sorted(
        str(p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*") if p.is_file()
    )
    assert made == sorted([*_corpus_files(), "README.md"])
    readme = (tmp_path / "README.md").read_bytes()
    assert readme == (CORPUS / "README.md").read_bytes()
