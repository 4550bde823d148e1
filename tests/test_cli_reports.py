"""The command line of reports and patrols: ``rivermap route`` and ``rivermap patrols``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rivermap.chiefs import example_roster_path
from rivermap.cli import main

EVENTS = """工单编号,上报时间,问题类型,状态,经度,纬度,河流
A1,2026-11-02 09:00,河岸垃圾,办结,120.1429,30.2970,
A2,2026-11-03 10:00,排污口,办理中,121.5,28.0,
A3,2026/11/4 8:00,沉船,登记,,,京杭运河(江南运河)
"""


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory, demo) -> Path:
    path = tmp_path_factory.mktemp("cli") / "resp.gpkg"
    demo.to_file(path)
    return path


def test_route_writes_a_workbook_in_chinese_and_exits_1_with_unmatched(
    gpkg, tmp_path, capsys
) -> None:
    events = tmp_path / "ev.csv"
    events.write_text(EVENTS, encoding="utf-8")
    out = tmp_path / "routed.xlsx"
    code = main(["route", str(gpkg), str(events), "--chiefs", str(example_roster_path()),
                 "-o", str(out)])  # fmt: skip
    assert code == 1
    said = capsys.readouterr().out
    assert "3 条工单：2 条找到应办河长，1 条未匹配" in said
    table = pd.read_excel(out, dtype=str)
    assert table["应办河长"].tolist()[0] == "拱墅区河长"
    assert table["匹配方式"].tolist() == ["按位置", "未匹配", "按填报河段/河流"]
    assert table["未匹配原因"].tolist()[1] == "离河流过远"
    # The output exists: refused without --overwrite, exit 2 and one line.
    assert main(["route", str(gpkg), str(events), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("rivermap: error:")
    assert "exists" in err[0]


def test_route_to_a_geopackage_keeps_codes(gpkg, tmp_path) -> None:
    events = tmp_path / "ev.csv"
    events.write_text(EVENTS, encoding="utf-8")
    out = tmp_path / "routed.gpkg"
    assert main(["route", str(gpkg), str(events), "-o", str(out), "--quiet"]) == 1
    import geopandas as gpd

    back = gpd.read_file(out, layer="events")
    assert back["match"].tolist() == ["spatial", "unmatched", "declared"]
    assert back.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--max-dist-m", "-3"], "--max-dist-m"),
        (["--crs", "mars"], "mars"),
    ],
)
def test_route_bad_options_exit_2_with_one_line(gpkg, tmp_path, capsys, argv, needle) -> None:
    events = tmp_path / "ev.csv"
    events.write_text(EVENTS, encoding="utf-8")
    assert main(["route", str(gpkg), str(events), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("rivermap: error:")
    assert needle in err[0]


def test_route_bad_file_names_the_rows(gpkg, tmp_path, capsys) -> None:
    events = tmp_path / "ev.csv"
    events.write_text(EVENTS.replace("2026/11/4 8:00", "yesterday"), encoding="utf-8")
    assert main(["route", str(gpkg), str(events)]) == 2
    err = capsys.readouterr().err
    assert "ev.csv" in err
    assert "row 4" in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def month(tmp_path_factory, demo) -> dict[str, Path]:
    """Write a synthetic month of tickets and tracks for the demo (with its roster)."""
    from rivermap.synth import write_month

    resp = demo.with_chiefs(example_roster_path())
    return write_month(resp, tmp_path_factory.mktemp("month"), month="2026-11")


def test_patrols_command_writes_the_workbook_and_exits_1_when_duties_are_unmet(
    gpkg, month, tmp_path, capsys
) -> None:
    out = tmp_path / "patrols.xlsx"
    argv = ["patrols", str(gpkg), str(month["tracks"]), "--chiefs", str(example_roster_path()),
            "--start", "2026-11-01", "--end", "2026-11-30", "-o", str(out)]  # fmt: skip
    assert main(argv) == 1
    said = capsys.readouterr().out
    assert "次巡河，有效" in said
    sheets = pd.read_excel(out, sheet_name=None, dtype=str)
    assert list(sheets) == ["巡河考核", "巡河记录", "巡查河段", "巡河要求"]
    duty = sheets["巡河考核"]
    assert {"应巡次数", "已巡次数", "是否达标"} <= set(duty.columns)
    # Chiefs who never patrolled are in the table with 0 valid patrols.
    assert (duty["已巡次数"] == "0").any()


def test_patrols_bad_duties_file_exits_2_naming_the_row(gpkg, month, tmp_path, capsys) -> None:
    duties = tmp_path / "duties.csv"
    duties.write_text("级别,周期,最少次数\n县级,每月,1\n村级,每日,1\n", encoding="utf-8")
    argv = ["patrols", str(gpkg), str(month["tracks"]), "--duties", str(duties)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "duties.csv" in err[0]
    assert "rows 3" in err[0]


def test_bulletin_command_writes_page_and_workbook(gpkg, month, tmp_path, capsys) -> None:
    page, book = tmp_path / "b.html", tmp_path / "b.xlsx"
    argv = ["bulletin", str(gpkg), "--events", str(month["events"]), "--events-crs", "gcj02",
            "--patrols", str(month["tracks"]), "--chiefs", str(example_roster_path()),
            "--month", "2026-11", "--level", "district", "--note", "<b>试运行</b>",
            "-o", str(page), "-o", str(book)]  # fmt: skip
    assert main(argv) == 1  # some districts were silent all month
    said = capsys.readouterr().out
    assert "2026-11 通报：90 个单位参与排名" in said
    text = page.read_text(encoding="utf-8")
    assert "&lt;b&gt;试运行&lt;/b&gt;" in text
    assert "<b>试运行" not in text
    sheets = pd.read_excel(book, sheet_name=None)
    assert len(sheets["排名"]) == 90
    assert sheets["说明"].iloc[0, 0] == "<b>试运行</b>"
    argv = ["bulletin", str(gpkg), "--month", "2026-11", "--lang", "en", "--weights",
            "completion=1", "-o", str(tmp_path / "empty.html")]  # fmt: skip
    assert main(argv) == 1  # no data: every unit is silent
    assert "score = 1 × completion + 0 × closure_rate_all" in (tmp_path / "empty.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--month", "Nov"], "YYYY-MM"),
        (["--month", "2026-11", "--weights", "completion=x"], "--weights"),
        (["--month", "2026-11", "--weights", "speed=1"], "unknown indicator"),
        (["--month", "2026-11", "--weights", "completion=0"], "above 0"),
        (["--month", "2026-11", "--level", "planet"], "level"),
        (["--month", "2026-11", "--events", "missing.csv"], "missing.csv"),
    ],
)
def test_bulletin_bad_options_exit_2_with_one_line(gpkg, tmp_path, capsys, argv, needle) -> None:
    exists = tmp_path / "b.html"
    exists.write_text("earlier", encoding="utf-8")
    assert main(["bulletin", str(gpkg), *argv, "-o", str(tmp_path / "new.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert needle in err[0]
    assert main(["bulletin", str(gpkg), "--month", "2026-11", "-o", str(tmp_path / "b.pdf")]) == 2
    assert ".html (the page) or .xlsx" in capsys.readouterr().err
    assert main(["bulletin", str(gpkg), "--month", "2026-11", "-o", str(exists)]) == 2
    assert exists.read_text(encoding="utf-8") == "earlier"
    assert not (tmp_path / "new.html").exists()


def test_project_routes_and_judges_real_paths(gpkg, month, tmp_path) -> None:
    from rivermap.datasets import get_path
    from rivermap.project import load_project, run_project

    demo = get_path("zhejiang")
    project = tmp_path / "p.toml"
    project.write_text(
        f"""
[project]
output = "out"
[rivers]
path = "{demo.as_posix()}"
merge_by = "name"
[units]
path = "{demo.as_posix()}"
levels = ["province", "city", "district"]
[chiefs]
roster = "{example_roster_path().as_posix()}"
[events]
path = "{month["events"].as_posix()}"
crs = "gcj02"
[patrols]
path = "{month["tracks"].as_posix()}"
start = "2026-11-01"
end = "2026-11-30"
[duties]
rules = [{{ level = "县级", period = "周", min_count = 1 }}]
[outputs]
map = false
atlas = false
""",
        encoding="utf-8",
    )
    report = run_project(load_project(project))
    names = {p.name for p in report.files}
    assert {"routed.xlsx", "patrols.xlsx"} <= names
    assert "synthetic" not in names
    assert report.findings["unmatched"] > 0
    duty = pd.read_excel(tmp_path / "out" / "patrols.xlsx", sheet_name="巡河要求", dtype=str)
    assert duty["考核周期"].tolist() == ["周"]


def test_project_needs_a_path_or_a_synthetic_month(tmp_path) -> None:
    from rivermap.datasets import get_path
    from rivermap.errors import SchemaError
    from rivermap.project import load_project

    demo = get_path("zhejiang")
    project = tmp_path / "p.toml"
    project.write_text(
        f'[rivers]\npath = "{demo.as_posix()}"\n[units]\npath = "{demo.as_posix()}"\n'
        'levels = ["province", "city", "district"]\n[events]\ncrs = "gcj02"\n',
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=r"\[events\] needs path"):
        load_project(project)


def test_project_synthetic_month_is_checked_before_any_work(tmp_path) -> None:
    from rivermap.datasets import get_path
    from rivermap.errors import SchemaError
    from rivermap.project import load_project

    demo = get_path("zhejiang")
    project = tmp_path / "p.toml"
    project.write_text(
        f'[rivers]\npath = "{demo.as_posix()}"\n[units]\npath = "{demo.as_posix()}"\n'
        'levels = ["province", "city", "district"]\n[patrols]\nsynthetic = "2026-13"\n',
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=r"\[patrols\] synthetic = '2026-13'"):
        load_project(project)


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ('[bulletin]\nmonth = "2026-11"\nweights = { speed = 1 }\n', "unknown indicator"),
        ('[bulletin]\nmonth = "2026-11"\nweights = { completion = -1 }\n', "0 or more"),
        ('[bulletin]\nlevel = "district"\n', "month"),
        ('[signboards]\ncolour = "red"\n', "unknown key 'colour'"),
    ],
)
def test_project_bulletin_and_signboards_are_checked_before_any_work(
    tmp_path, section, needle
) -> None:
    from rivermap.datasets import get_path
    from rivermap.errors import SchemaError
    from rivermap.project import load_project

    demo = get_path("zhejiang")
    project = tmp_path / "p.toml"
    project.write_text(
        f'[rivers]\npath = "{demo.as_posix()}"\n[units]\npath = "{demo.as_posix()}"\n'
        f'levels = ["province", "city", "district"]\n{section}',
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=needle) as caught:
        load_project(project)
    assert "p.toml" in str(caught.value)


def test_project_writes_signboards_with_the_roster_hotline(tmp_path) -> None:
    from pypdf import PdfReader

    from rivermap.datasets import get_path
    from rivermap.project import load_project, run_project

    demo = get_path("zhejiang")
    project = tmp_path / "p.toml"
    project.write_text(
        f'[rivers]\npath = "{demo.as_posix()}"\nlayer = "rivers"\nmerge_by = "name"\n'
        f'[units]\npath = "{demo.as_posix()}"\nlevels = ["province", "city", "district"]\n'
        f'[chiefs]\nroster = "{example_roster_path().as_posix()}"\nhotline = "96345"\n'
        '[signboards]\nlevel = "district"\nnote = "试行稿"\n'
        "[outputs]\nmap = false\natlas = false\n",
        encoding="utf-8",
    )
    run_project(load_project(project, output=tmp_path / "out"))
    pages = [p.extract_text() for p in PdfReader(tmp_path / "out" / "signboards.pdf").pages]
    assert len(pages) == 2  # the district level's boards
    assert all("监督电话：96345" in text and "试行稿" in text for text in pages)
