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

    back = gpd.read_file(out)
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
