"""The monthly bulletin: rm.bulletin, its workbook and its offline page in a real browser."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import rivermap as rm
from rivermap.synth import write_month
from tests import browser as br

REASON = br.unavailable_reason()
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def month(demo, tmp_path_factory):
    resp = demo.with_chiefs(rm.chiefs.example_roster_path())
    # A district with a hostile name: it must reach the page as text.
    units = resp.units.copy()
    units.loc[units["unit_id"] == "330105", "name"] = HOSTILE
    resp = dataclasses.replace(resp, units=units)
    files = write_month(resp, tmp_path_factory.mktemp("month"), month="2026-11")
    events = rm.read_events(files["events"], crs="gcj02")
    events.attrs["synthetic"] = True
    tracks = rm.read_patrols(files["tracks"])
    return resp, rm.bulletin(resp, events=events, patrols=tracks, month="2026-11")


def test_bulletin_tables_agree_with_routing_and_patrols(month) -> None:
    _, b = month
    ranking = b.tables["ranking"]
    assert set(ranking["level"]) == {"district"}
    assert ranking["rank"].is_monotonic_increasing
    assert b.level == "district"
    assert "score = 0.5 × completion" in b.rule
    # Every report of November is counted at the top level, or listed as unrouted.
    units = b.tables["units"]
    received = units[units["level"] == "province"]["received"].sum()
    assert received + len(b.tables["unrouted"]) == 300
    assert b.note is not None
    assert "Synthetic" in b.note


def test_workbook_has_a_sheet_per_table_in_chinese(month, tmp_path) -> None:
    _, b = month
    sheets = pd.read_excel(b.to_excel(tmp_path / "b.xlsx"), sheet_name=None)
    assert list(sheets) == [
        "说明",
        "排名",
        "单位指标",
        "河长指标",
        "沉默单位",
        "环比",
        "未分派工单",
        "逐月",
    ]
    assert {"巡河完成率", "办结率", "办结率(含结转)", "得分", "排名", "单位", "河长"} <= set(
        sheets["排名"].columns
    )
    assert "本月受理(上月)" in sheets["环比"].columns
    with pytest.raises(rm.OutputExistsError):
        b.to_excel(tmp_path / "b.xlsx")
    en = pd.read_excel(b.to_excel(tmp_path / "e.xlsx", lang="en"), sheet_name=None)
    assert "Closure rate (with carried)" in en["ranking"].columns


def open_page(chromium, path):
    """Open a page with every request off the file system blocked, and log what it did."""
    page = chromium.new_page(viewport={"width": 900, "height": 1200})
    log = br.PageLog()

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.on("dialog", lambda d: (log.dialogs.append(d.message), d.dismiss()))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, log


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_loads_offline_with_charts_and_hostile_names_as_text(
    month, chromium, tmp_path, lang
) -> None:
    _, b = month
    path = b.to_html(tmp_path / f"bulletin_{lang}.html", lang=lang)
    page, log = open_page(chromium, path)
    try:
        assert log.errors == []
        assert log.blocked == []
        assert log.dialogs == []
        assert page.locator("svg").count() == 3  # two charts and the map
        assert page.locator("svg rect").count() > 10  # bars
        assert page.locator("svg polyline").count() == 3  # the rates month by month
        assert page.locator("svg path").count() == len(b.units)  # a unit each
        text = page.inner_text("body")
        assert HOSTILE in text  # as text, not markup
        assert page.locator("img").count() == 0
        assert ("河长履职情况通报" if lang == "zh" else "River chief bulletin") in text
        assert ("合成演示数据" if lang == "zh" else "Synthetic demo data") in text
        rows = page.locator("table").first.locator("tbody tr").count()
        assert rows == len(b.tables["ranking"])
        br.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(br.ARTIFACTS / f"bulletin_{lang}.png"))
    finally:
        page.close()


def test_bulletin_without_data_and_bad_arguments(demo, tmp_path) -> None:
    b = rm.bulletin(demo, month="2026-11")
    assert b.tables["ranking"]["silent"].all()
    assert b.to_html(tmp_path / "empty.html").stat().st_size > 0
    with pytest.raises(rm.ParameterError, match="YYYY-MM"):
        rm.bulletin(demo, month="Nov")
    with pytest.raises(rm.ParameterError, match="level"):
        rm.bulletin(demo, month="2026-11", level="planet")
