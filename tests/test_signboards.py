"""Printable river chief signboards (rivermap.maps.signboards): pages, text, QR codes, CLI.

Text and page counts come from pypdf. The QR codes are decoded with zxing-cpp
from pages rendered by poppler's ``pdftoppm`` (Debian ``poppler-utils``); the
tests that need it skip when it is missing.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from pypdf import PdfReader

import rivermap as rm
from rivermap.cli import main
from rivermap.errors import OutputExistsError, ParameterError
from rivermap.events import split_board
from rivermap.maps.signboards import board_rows, qr_text, signboards

URL = "https://hz.example.cn/report?board="
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def staffed(demo):
    """Return the demo with the example roster joined."""
    return demo.with_chiefs(rm.chiefs.example_roster_path())


@pytest.fixture(scope="module")
def boards_pdf(staffed, tmp_path_factory):
    """Return the signboards of every level of the staffed demo, with a report URL."""
    path = tmp_path_factory.mktemp("signs") / "boards.pdf"
    return signboards(staffed, path, hotline="12345", url=URL)


def _pages_text(path: Path) -> list[str]:
    """Return the extracted text of every page of a PDF."""
    return [page.extract_text() for page in PdfReader(path).pages]


def _all_rows(resp: rm.Responsibility) -> pd.DataFrame:
    """Return every level's signboard rows, in level order."""
    return pd.concat([resp.signboards(lv) for lv in resp.levels], ignore_index=True)


def _decode(pdf: Path, page: int, tmp: Path) -> list[str]:
    """Return the texts of the QR codes found on ``page`` (1-based) rendered at 150 dpi."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed")
    stem = tmp / f"pg{page}"
    cmd = [tool, "-r", "150", "-png", "-singlefile", "-f", str(page), "-l", str(page)]
    subprocess.run([*cmd, str(pdf), str(stem)], check=True, capture_output=True)
    image = Image.open(stem.with_suffix(".png"))
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_one_page_per_board_row_of_every_level(staffed, boards_pdf):
    rows = _all_rows(staffed)
    assert len(rows) == 11  # 5 province, 4 city, 2 district rivers in the demo
    assert len(PdfReader(boards_pdf).pages) == len(rows)


def test_one_level_gives_only_its_boards(staffed, tmp_path):
    out = signboards(staffed, tmp_path / "d.pdf", level="district")
    assert len(PdfReader(out).pages) == len(staffed.signboards("district")) == 2


def test_chinese_text_is_extractable_and_in_board_order(staffed, boards_pdf):
    rows = _all_rows(staffed)
    texts = _pages_text(boards_pdf)
    for text, (_, row) in zip(texts, rows.iterrows(), strict=True):
        assert "河长公示牌" in text
        assert row["river"] in text
        assert "监督电话：12345" in text
        assert "河长职责" in text
    first = texts[0]
    chief = rows.loc[0, "chief_province"].split(";")[0]
    assert chief in first
    assert rows.loc[0, "chief_province_phone"].split(";")[0] in first


def test_levels_without_chiefs_are_left_out(demo, tmp_path):
    rows = demo.signboards("district")
    assert rows["chief_district"].isna().all()  # no roster: nobody to name
    out = signboards(demo, tmp_path / "bare.pdf", level="district")
    text = _pages_text(out)[0]
    assert rows.loc[0, "river"] in text
    assert "县级河长" not in text
    assert "河长公示牌" in text


def test_the_qr_code_decodes_to_the_url_and_the_board(staffed, boards_pdf, tmp_path):
    rows = _all_rows(staffed)
    for page in (1, 3, len(rows)):
        board = rows.loc[page - 1, "board_id"]
        found = _decode(boards_pdf, page, tmp_path)
        assert found == [URL + quote(board, safe="")], page
        back = split_board(pd.Series(found))
        unit, river = board.split(":", 1)
        assert back.loc[0, "unit_id"] == unit == rows.loc[page - 1, "chief_unit"]
        assert back.loc[0, "river_id"] == river == rows.loc[page - 1, "river_id"]


def test_without_a_url_the_qr_holds_the_bare_board_id(staffed, tmp_path):
    out = signboards(staffed, tmp_path / "bare.pdf", level="city")
    board = staffed.signboards("city").loc[0, "board_id"]
    found = _decode(out, 1, tmp_path)
    assert found == [board]
    assert split_board(pd.Series(found)).iloc[0].tolist() == board.split(":", 1)


def test_qr_text_encodes_the_board_and_skips_a_missing_one():
    assert qr_text("330106:运 河&x", URL) == URL + "330106%3A%E8%BF%90%20%E6%B2%B3%26x"
    assert split_board(pd.Series([qr_text("330106:运 河&x", URL)])).iloc[0].tolist() == [
        "330106",
        "运 河&x",
    ]
    assert qr_text(float("nan"), URL) is None
    assert qr_text("330106:R1") == "330106:R1"


def test_a_river_named_like_a_script_is_drawn_as_is(staffed, tmp_path):
    rid = staffed.signboards("district").loc[0, "river_id"]
    rivers = staffed.rivers.copy()
    rivers.loc[rivers["river_id"].astype(str) == rid, "name"] = SCRIPT
    reaches = staffed.reaches.copy()
    if "river_name" in reaches.columns:
        reaches.loc[reaches["river_id"].astype(str) == rid, "river_name"] = SCRIPT
    resp = dataclasses.replace(staffed, rivers=rivers, reaches=reaches)
    out = signboards(resp, tmp_path / "x.pdf", level="district", url=URL)
    text = _pages_text(out)[0]
    assert SCRIPT in text
    assert "河长公示牌" in text
    assert _decode(out, 1, tmp_path)[0].startswith(URL)


def test_refuses_to_overwrite_and_checks_the_level(staffed, tmp_path):
    out = tmp_path / "b.pdf"
    out.write_bytes(b"keep")
    with pytest.raises(OutputExistsError):
        signboards(staffed, out, level="district")
    assert out.read_bytes() == b"keep"
    signboards(staffed, out, level="district", overwrite=True)
    assert out.read_bytes().startswith(b"%PDF-")
    with pytest.raises(ParameterError, match="planet"):
        signboards(staffed, tmp_path / "p.pdf", level="planet")
    with pytest.raises(ParameterError, match="planet"):
        board_rows(staffed, "planet")
    assert not (tmp_path / "p.pdf").exists()


def test_english_boards(staffed, tmp_path):
    out = signboards(staffed, tmp_path / "en.pdf", level="city", lang="en", hotline="12345")
    text = _pages_text(out)[0]
    assert "River chief signboard" in text
    assert "Hotline: 12345" in text
    assert "河长公示牌" not in text


def test_cli_writes_the_boards_and_rejects_a_bad_level(staffed, tmp_path, capsys):
    gpkg = tmp_path / "out.gpkg"
    staffed.to_file(gpkg)
    roster = str(rm.chiefs.example_roster_path())
    pdf = tmp_path / "boards.pdf"
    args = ["signboards", str(gpkg), "-o", str(pdf), "--chiefs", roster, "--hotline", "12345"]
    assert main([*args, "--level", "city", "--url", URL]) == 0
    assert str(pdf) in capsys.readouterr().out
    reader = PdfReader(pdf)
    assert len(reader.pages) == len(staffed.signboards("city"))
    assert "12345" in reader.pages[0].extract_text()
    assert main([*args, "--quiet"]) == 2  # exists
    assert main([*args, "--quiet", "--overwrite", "--note", "试行稿 <draft>"]) == 0
    pages = _pages_text(pdf)
    assert len(pages) == len(_all_rows(staffed))
    assert all("试行稿 <draft>" in text for text in pages)  # on every board
    stretch = tmp_path / "stretch.pdf"
    argv = ["signboards", str(gpkg), "-o", str(stretch), "--level", "district", "--per", "stretch"]
    assert main(argv) == 0
    assert len(PdfReader(stretch).pages) == len(staffed.signboards("district", per="stretch"))
    capsys.readouterr()
    bad = tmp_path / "bad.pdf"
    assert main(["signboards", str(gpkg), "-o", str(bad), "--level", "planet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("rivermap: error:")
    assert "planet" in err[0]
    assert not bad.exists()


def test_stretch_boards_cover_every_reach_once_per_side_and_agree_with_an_overlay(staffed):
    """一河一长: a board per river and district it runs through, checked against geopandas."""
    import geopandas as gpd

    boards = staffed.signboards("district", per="stretch")
    reaches = staffed.reaches
    own = reaches[reaches["district"].notna()]
    pairs = set(zip(own["river_id"], own["district"], strict=True))
    split = reaches[reaches["district"].isna() & (reaches["kind"] == "boundary")]
    pairs |= set(zip(split["river_id"], split["left_unit"], strict=True))
    pairs |= set(zip(split["river_id"], split["right_unit"], strict=True))
    assert set(zip(boards["river_id"], boards["chief_unit"], strict=True)) == pairs
    assert boards["board_id"].is_unique
    # Per river, the boards add up to its length inside the districts, a boundary reach once
    # for each bank (the reaches outside Zhejiang have no board).
    per_river = boards.groupby("river_id")["length_km"].sum() * 1000.0
    inside = pd.concat([own, split, split]).groupby("river_id")["length_m"].sum()
    pd.testing.assert_series_equal(
        per_river.sort_index(), inside.sort_index(), check_names=False, rtol=1e-9
    )
    # An independent overlay of the river lines on the districts: the same length per board,
    # up to the boundary reaches (which the overlay splits between the sides as it falls).
    crs = staffed.summary["metric_crs"]  # where rivermap measured the lengths
    lines = staffed.rivers[["river_id"]].merge(
        reaches.dissolve("river_id").reset_index()[["river_id", "geometry"]], on="river_id"
    )
    lines = gpd.GeoDataFrame(lines, geometry="geometry", crs=staffed.crs).to_crs(crs)
    districts = staffed.units[staffed.units["level"] == "district"][["unit_id", "geometry"]]
    cut = gpd.overlay(lines, districts.to_crs(crs), how="intersection", keep_geom_type=True)
    overlay = cut.assign(m=cut.length).groupby(["river_id", "unit_id"])["m"].sum()
    on_line = reaches[reaches["kind"] == "boundary"]  # incl. the province's outline
    slack = on_line.groupby("river_id")["length_m"].sum()
    for row in boards.itertuples():
        got = row.length_km * 1000.0
        want = overlay.get((row.river_id, row.chief_unit), 0.0)
        assert abs(got - want) <= slack.get(row.river_id, 0.0) + 1.0, row.board_id


def test_stretch_boards_name_the_unit_chief_and_route_their_scans_back(staffed, tmp_path):
    boards = staffed.signboards("district", per="stretch")
    row = boards[boards["board_id"] == "330105:京杭运河(江南运河)"].iloc[0]
    assert row["chief_district"] == "拱墅区河长"  # that district's chief only
    assert row["chief_city"] == "杭州市京杭运河河长"
    assert (row["start"], row["end"]) == ("K3+977", "K17+352")  # 桩号 of the stretch
    scans = pd.DataFrame(
        {"event_id": ["s1"], "reported_at": ["2026-11-20 09:30"], "board": [row["board_id"]]}
    )
    routed = rm.route_events(staffed, rm.read_events(scans))
    assert routed.loc[0, "match"] == "qr"
    assert routed.loc[0, "district"] == "330105"
    assert routed.loc[0, "chief"] == "拱墅区河长"
    pdf = signboards(staffed, tmp_path / "s.pdf", level="district", per="stretch", url=URL)
    texts = _pages_text(pdf)
    assert len(texts) == len(boards)
    assert "起点：K0+000" in texts[0]
    assert URL + "330105%3A" in " ".join(_decode(pdf, 2, tmp_path))
    with pytest.raises(ParameterError, match="per"):
        staffed.signboards("district", per="reach")
