"""Spreadsheets are data, not code: every table the command line writes, on hostile names.

River, unit and chief names from third-party data may start like a formula
(``=HYPERLINK(…)``, ``+1+1``, ``-2``, ``@SUM(A1)``, a tab or a carriage return
first) or carry markup and right-to-left overrides. The demo is given such
names (rivers, districts, chiefs, tickets), then every command that writes a
table runs on it: ``flags``, ``redivide --table``, ``chiefs``, ``route``,
``patrols``, ``bulletin`` and ``run`` with a project. Every workbook is opened
with openpyxl: no cell is a formula, every text cell that starts like one
carries Excel's quote prefix, and the names read back exactly as rivermap read
them. Every CSV has OWASP's leading ``'`` before a text field that starts
like a formula, and only there, and keeps its rows whole (a carriage return
inside a field is quoted).

The tickets the commands read are :func:`rivermap.synth.make_events`'s,
written as a workbook; the synthetic month's own CSVs are checked on their
own (:func:`test_synthetic_month_csvs_keep_their_rows_and_are_neutralised`).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import rivermap as rm
from rivermap.chiefs import example_roster_path
from rivermap.cli import main
from rivermap.datasets import get_path
from rivermap.errors import RivermapWarning
from rivermap.io import write_tables
from rivermap.synth import make_events, write_month

openpyxl = pytest.importorskip("openpyxl")

#: Names as third-party data may carry them.
HOSTILE = (
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t=1+2",
    "\r=3+4",
    "<script>alert(1)</script>",
    "\u202eexe.txt",
)
#: What makes a spreadsheet read a cell as a formula (OWASP).
FORMULA_START = tuple("=+-@\t\r")
#: District renamed -> hostile name (the roster is renamed alike).
DISTRICTS = {"西湖区": HOSTILE[0], "上城区": HOSTILE[1], "拱墅区": HOSTILE[2],
             "滨江区": HOSTILE[3], "萧山区": HOSTILE[6], "余杭区": HOSTILE[7]}  # fmt: skip
#: Named rivers renamed (the unnamed arcs are named from HOSTILE in turn).
RIVERS = {"衢江": HOSTILE[4], "常山江(马金溪)": HOSTILE[5], "钱塘江": HOSTILE[6],
          "富春江": HOSTILE[7]}  # fmt: skip


def _hostile_data(path: Path) -> Path:
    """Write the demo with hostile river and district names to ``path``."""
    demo = get_path("zhejiang")
    rivers = gpd.read_file(demo, layer="rivers")
    unnamed = rivers.index[rivers["name"].isna()]
    rivers.loc[unnamed, "name"] = [HOSTILE[k % len(HOSTILE)] for k in range(len(unnamed))]
    rivers["name"] = rivers["name"].replace(RIVERS)
    for level in ("province", "city", "district"):
        units = gpd.read_file(demo, layer=level)
        if level == "district":
            units["district_name"] = units["district_name"].replace(DISTRICTS)
        units.to_file(path, layer=level, driver="GPKG")
    rivers.to_file(path, layer="rivers", driver="GPKG")
    return path


def _hostile_roster(path: Path) -> Path:
    """Write the example roster renamed as the data is, with hostile chiefs' names too."""
    roster = pd.read_csv(example_roster_path(), dtype=str, encoding="utf-8-sig")
    roster["单位"] = roster["单位"].replace(DISTRICTS)
    roster["河流"] = roster["河流"].replace(RIVERS)
    for k, name in enumerate(HOSTILE):
        roster.loc[3 * k + 1, "姓名"] = name
    roster.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_ALL)
    return path


def _extra_tickets(path: Path) -> Path:
    """Write tickets whose category, description and river are hostile."""
    rows = [
        {"工单编号": f"H{k}", "上报时间": "2026-11-05 09:00", "问题类型": name, "状态": "办理中",
         "问题描述": name, "经度": 120.1429, "纬度": 30.2970, "河流": name}
        for k, name in enumerate(HOSTILE)
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_ALL)
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run every table-writing command on the hostile demo; return what each wrote."""
    d = tmp_path_factory.mktemp("hostile")
    data = str(_hostile_data(d / "in.gpkg"))
    roster = str(_hostile_roster(d / "roster.csv"))
    gpkg = str(d / "resp.gpkg")
    levels = ["--levels", "province,city,district"]
    assert main(["assign", data, data, "--merge-by", "name", *levels, "-o", gpkg, "--quiet"]) == 0
    resp = rm.read_responsibility(gpkg).with_chiefs(roster)
    month = write_month(resp, d / "month", month="2026-11", n_events=60)
    events = str(write_tables(make_events(resp, month="2026-11", n=60), d / "events.xlsx"))
    tickets = str(_extra_tickets(d / "tickets.csv"))
    out = d / "out"
    runs = {
        "flags": ["flags", gpkg, "--level", "district", "-o", out / "flags.xlsx"],
        "flags_csv": ["flags", gpkg, "--level", "district", "-o", out / "flags.csv"],
        "redivide": ["redivide", gpkg, "--level", "district", "-o", out / "plan.gpkg",
                     "--table", out / "plan.xlsx"],
        "chiefs": ["chiefs", gpkg, roster, "-o", out / "chiefs.xlsx"],
        "route": ["route", gpkg, events, "--crs", "gcj02", "--chiefs", roster,
                  "-o", out / "routed.xlsx"],
        "route_csv": ["route", gpkg, tickets, "--chiefs", roster, "-o", out / "tickets.csv"],
        "route_tickets": ["route", gpkg, tickets, "--chiefs", roster, "-o", out / "tickets.xlsx"],
        "patrols": ["patrols", gpkg, str(month["tracks"]), "--chiefs", roster,
                    "--start", "2026-11-01", "--end", "2026-11-30", "-o", out / "patrols.xlsx"],
        "bulletin": ["bulletin", gpkg, "--events", events, "--events-crs", "gcj02",
                     "--patrols", str(month["tracks"]), "--chiefs", roster, "--month", "2026-11",
                     "--level", "district", "-o", out / "bulletin.xlsx"],
    }  # fmt: skip
    project = d / "p.toml"
    project.write_text(_project(data, roster, events, month["tracks"]), encoding="utf-8")
    runs["run"] = ["run", project]
    with warnings.catch_warnings():
        # as on the command line: a warning (a river hint naming no river) is said, not raised
        warnings.simplefilter("default", RivermapWarning)
        codes = {name: main([str(a) for a in argv] + ["--quiet"]) for name, argv in runs.items()}
    return {"codes": codes, "out": out, "run": d / "run", "resp": resp, "month": month}


def _project(data: str, roster: str, events: str, tracks: Path) -> str:
    """Return a project writing every table of ``run`` (no map, no atlas) into ``run/``."""
    return f"""
[project]
output = "run"
[rivers]
path = "{Path(data).as_posix()}"
merge_by = "name"
[units]
path = "{Path(data).as_posix()}"
levels = ["province", "city", "district"]
[chiefs]
roster = "{Path(roster).as_posix()}"
[events]
path = "{Path(events).as_posix()}"
crs = "gcj02"
[patrols]
path = "{tracks.as_posix()}"
start = "2026-11-01"
end = "2026-11-30"
[redivide]
level = "district"
[bulletin]
month = "2026-11"
level = "district"
[outputs]
map = false
atlas = false
bulletin = false
bulletin_tables = "bulletin.xlsx"
"""


def _workbooks(hostile: dict[str, object]) -> list[Path]:
    folders = [hostile["out"], hostile["run"]]
    return sorted(p for folder in folders for p in Path(str(folder)).glob("*.xlsx"))


def _excel_text(value: str) -> str:
    """Return a cell's text as Excel shows it: OOXML's ``_x000D_`` escapes decoded.

    xlsxwriter writes control characters (a CR) as ``_xHHHH_``, which Excel
    reads back as the character and openpyxl leaves as it is.
    """
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def _cells(path: Path) -> list[object]:
    """Return every non-empty cell of every sheet of the workbook ``path``."""
    book = openpyxl.load_workbook(path)
    try:
        return [
            c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None
        ]
    finally:
        book.close()


def test_every_command_ran_and_wrote_its_tables(hostile) -> None:
    codes = hostile["codes"]
    assert all(code in (0, 1) for code in codes.values()), codes
    names = {p.name for p in _workbooks(hostile)}
    assert {"flags.xlsx", "plan.xlsx", "chiefs.xlsx", "routed.xlsx", "tickets.xlsx",
            "patrols.xlsx", "bulletin.xlsx"} <= names  # fmt: skip
    run = {p.name for p in Path(str(hostile["run"])).glob("*.xlsx")}
    assert {"flags.xlsx", "plan.xlsx", "chiefs.xlsx", "routed.xlsx", "patrols.xlsx",
            "bulletin.xlsx"} <= run  # fmt: skip


def test_no_workbook_holds_a_formula_and_formula_like_text_is_quoted(hostile) -> None:
    books = _workbooks(hostile)
    assert len(books) >= 13
    quoted = 0
    for path in books:
        for cell in _cells(path):
            where = f"{path.name}!{cell.parent.title}!{cell.coordinate}"
            assert cell.data_type != "f", where
            if isinstance(cell.value, str) and _excel_text(cell.value).startswith(FORMULA_START):
                assert cell.quotePrefix, where
                quoted += 1
    assert quoted > 20  # the hostile names did reach the tables


def test_hostile_names_read_back_exactly(hostile) -> None:
    texts: dict[str, set[str]] = {}
    for path in _workbooks(hostile):
        texts[path.name] = {_excel_text(c.value) for c in _cells(path) if isinstance(c.value, str)}
    everything = set().union(*texts.values())
    resp = hostile["resp"]
    assert set(HOSTILE) <= set(resp.rivers["name"])
    assert set(HOSTILE) <= everything  # every name kept as it was read, none altered
    # river names in the plan and the flags; rivers, units and chiefs in the roster report
    assert set(RIVERS.values()) <= texts["plan.xlsx"]
    assert {HOSTILE[0], HOSTILE[1]} <= texts["flags.xlsx"]
    assert set(HOSTILE) <= texts["chiefs.xlsx"]
    assert {name.strip() for name in HOSTILE} <= texts["chiefs.xlsx"]  # a roster is read stripped


def _csv_rows(path: Path) -> list[list[str]]:
    """Return the rows of a CSV rivermap wrote, each of as many fields as the header."""
    text = path.read_bytes().decode("utf-8-sig")  # as written: no newline translation
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert {len(row) for row in rows} == {len(rows[0])}, f"{path.name}: a row was split"
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_neutralised(name: str, rows: list[list[str]]) -> None:
    """Assert that the fields starting like a formula are numbers, and quotes mean that."""
    for field in (field for row in rows for field in row):
        if field.startswith(FORMULA_START):
            assert _is_number(field), f"{name}: {field!r} is written as it is"
        if field.startswith("'"):
            assert field[1:].startswith(FORMULA_START), f"{name}: {field!r} quoted for nothing"


@pytest.mark.parametrize("name", ["flags.csv", "tickets.csv"])
def test_csv_fields_that_start_like_a_formula_get_a_quote(hostile, name) -> None:
    rows = _csv_rows(Path(str(hostile["out"])) / name)
    _check_neutralised(name, rows)
    quoted = {field[1:] for row in rows for field in row if field.startswith("'")}
    assert quoted & {name for name in HOSTILE if name.startswith(FORMULA_START)}


def test_synthetic_month_csvs_keep_their_rows_and_are_neutralised(hostile) -> None:
    month = hostile["month"]
    for key in ("events", "tracks_csv"):
        path = Path(str(month[key]))
        _check_neutralised(path.name, _csv_rows(path))
