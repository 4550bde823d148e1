"""The printable PDF atlas: pages, Chinese text, embedded font, rendering.

Poppler's ``pdffonts`` and ``pdftoppm`` check the embedded font and the
rendered pages (Debian ``poppler-utils``); the tests that need them skip when
they are missing. Text and page counts come from pypdf.

The rendering check compares page 2 of the demo atlas (Hangzhou, A4 portrait)
with ``tests/data/atlas/demo_page2.png``, rendered at 30 dpi in greyscale: the
mean absolute difference of the pixels must stay under 2.5 % of full scale (the
same page in English differs by about 1.7 %, the next page by about 7.5 %). After
an intended change of the page design, regenerate the reference with::

    RIVERMAP_UPDATE_ATLAS_REFERENCE=1 .venv/bin/pytest tests/test_atlas.py -k reference

and look at the new PNG before committing it.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import types
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from shapely import LineString

import rivermap as rm
from rivermap import params, text
from rivermap.errors import OutputExistsError, ParameterError
from rivermap.maps import _fonts
from rivermap.maps.atlas import atlas, default_level, paginate, plot_responsibility, table_lines

pypdf = pytest.importorskip("pypdf")

REFERENCE = Path(__file__).parent / "data" / "atlas" / "demo_page2.png"
REF_DPI = 30
REF_TOLERANCE = 0.025  # mean absolute grey difference, as a share of full scale
DATE = "2025-06-30"


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (Debian poppler-utils) is not installed")
    return path


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo_resp() -> rm.Responsibility:
    rivers, units = rm.datasets.load_demo()
    return rm.assign(rivers, units)


@pytest.fixture(scope="module")
def demo_pdf(demo_resp: rm.Responsibility, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atlas") / "demo.pdf"
    return atlas(
        demo_resp,
        out,
        orientation="portrait",
        credit=rm.datasets.attribution("zhejiang"),
        date=DATE,
    )


def _tiny_resp() -> rm.Responsibility:
    from tests.conftest import tiny_units_frame

    x0, y0 = 540_000.0, 3_320_000.0
    rivers = gpd.GeoDataFrame(
        {"river_id": ["inside", "crossing", "boundary"], "name": ["内河", "跨区河", "界河"]},
        geometry=[
            LineString([(x0 + 200, y0 + 200), (x0 + 800, y0 + 300)]),
            LineString([(x0 + 1000, y0 + 500), (x0 + 3000, y0 + 500)]),
            LineString([(x0 + 2003, y0 + 100), (x0 + 1998, y0 + 900)]),
        ],
        crs="EPSG:4549",
    )
    return rm.assign(rivers, rm.AdminUnits(tiny_units_frame(), ["district", "street"]))


class _WithFlags:
    """A result whose ``flags`` answers with a given table (a Responsibility is frozen)."""

    def __init__(self, resp: rm.Responsibility, table: pd.DataFrame) -> None:
        self._resp = resp
        self._table = table

    def __getattr__(self, name: str) -> object:
        return getattr(self._resp, name)

    def flags(self, level: str | None = None, **kw: object) -> pd.DataFrame:
        return self._table[self._table["level"] == level]


def _members(resp: rm.Responsibility, level: str) -> dict[str, int]:
    """Reaches per unit at ``level``, counted independently of the atlas code."""
    units = resp.units
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    level_of = dict(zip(units["unit_id"], units["level"], strict=True))

    def up(uid: object) -> object:
        while isinstance(uid, str) and level_of.get(uid) != level:
            uid = parent.get(uid)
        return uid

    counts: dict[str, int] = {}
    for _, r in resp.reaches.iterrows():
        own = r[level]
        sides = {own} if isinstance(own, str) else {up(r["left_unit"]), up(r["right_unit"])}
        for u in sides:
            if isinstance(u, str):
                counts[u] = counts.get(u, 0) + 1
    return counts


def _text(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def _grey_pages(
    path: Path, tmp: Path, *, dpi: int, first: int = 1, last: int | None = None
) -> list[np.ndarray]:
    from PIL import Image

    cmd = [_poppler("pdftoppm"), "-r", str(dpi), "-gray", "-png", "-f", str(first)]
    if last is not None:
        cmd += ["-l", str(last)]
    subprocess.run([*cmd, str(path), str(tmp / "pg")], check=True, capture_output=True)
    files = sorted(tmp.glob("pg-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return [np.asarray(Image.open(f).convert("L"), dtype=np.float64) / 255.0 for f in files]


# --------------------------------------------------------------------- pages
def test_page_count_is_overview_plus_units_plus_continued_tables(
    demo_resp: rm.Responsibility, demo_pdf: Path
) -> None:
    by = default_level(demo_resp)
    assert by == "city"
    counts = _members(demo_resp, by)
    first, cont = table_lines("A4", "portrait")
    expected = 1
    for n in counts.values():
        expected += 1 + math.ceil(max(0, n - (first - 2)) / (cont - 2))
    assert len(counts) == 5  # five Zhejiang cities hold rivers at 1:4M
    assert len(pypdf.PdfReader(demo_pdf).pages) == expected
    texts = _text(demo_pdf)
    # Hangzhou's table does not fit on its map page: a continuation page follows
    assert counts["330100"] > first - 2
    hangzhou = [i for i, t in enumerate(texts) if "杭州市（330100）" in t]
    assert len(hangzhou) == 1 + math.ceil((counts["330100"] - (first - 2)) / (cont - 2))
    assert all("（续）" in texts[i] for i in hangzhou[1:])


def test_paginate_keeps_every_row_once() -> None:
    for counts in ([0], [1], [21], [22], [200], [5, 60, 3]):
        pages = paginate(counts, 23, 54)
        for t, n in enumerate(counts):
            rows = [r for page in pages for (tt, a, b) in page if tt == t for r in range(a, b)]
            assert rows == list(range(n))
        assert all(
            sum(b - a + 2 for _, a, b in page) <= (23 if i == 0 else 54)
            for i, page in enumerate(pages)
        )


def test_orientation_follows_the_unit_shape() -> None:
    from shapely import box

    from rivermap.maps._atlas_pages import choose_orientation

    wide, tall = box(0, 0, 3000, 1000), box(0, 0, 1000, 3000)
    assert choose_orientation(wide, "A4", "auto") == "landscape"
    assert choose_orientation(tall, "A4", "auto") == "portrait"
    assert choose_orientation(box(0, 0, 1000, 1000), "A4", "auto") == "portrait"  # no gain
    assert choose_orientation(wide, "A3", "portrait") == "portrait"  # as asked


def test_table_cells_fit_their_columns() -> None:
    from rivermap.maps._atlas_tables import Table, column_widths
    from rivermap.maps._atlas_text import PT_MM, em, fit, wrap

    name = "京杭运河(江南运河)杭州段上塘河支流"
    cut = fit(name, 20.0, 6.5)
    assert cut.endswith("…")
    assert name.startswith(cut[:-1])
    assert em(cut) * 6.5 * PT_MM <= 20.0
    assert fit("钱塘江", 20.0, 6.5) == "钱塘江"
    assert "".join(wrap(name * 3, 10.0)) == name * 3
    assert all(em(line) <= 10.0 for line in wrap(name * 3, 10.0))
    table = Table(
        "t", "t", ["河流", "长度"], ["river", "num"], [[name, "12.34"], ["钱塘江", "1.00"]]
    )
    wide = column_widths(table, 186.0)
    assert sum(wide) < 186.0  # a narrow table stays narrower than the page
    narrow = column_widths(table, 20.0)
    assert sum(narrow) == pytest.approx(20.0)  # a wide one shrinks to the page


def test_text_holds_chinese_river_and_unit_names(demo_pdf: Path) -> None:
    texts = _text(demo_pdf)
    allt = "\n".join(texts)
    for name in ("钱塘江", "富春江", "京杭运河(江南运河)", "常山江(马金溪)"):
        assert name in allt
    for name in ("浙江省", "杭州市", "衢州市", "西湖区", "柯城区"):
        assert name in allt
    assert "浙江省河长制责任图册" in texts[0]
    assert DATE in texts[0]
    assert "天地图" in texts[0]  # the data credit
    assert "宁波市" in texts[0]  # listed as a city without rivers
    assert "河段表" in texts[1]
    assert re.search(r"0\.00–3\.98\s+3\.98", texts[1])  # a reach row: from–to km and length
    assert "余杭区 / 拱墅区" in texts[1]  # a boundary reach names both sides


def test_cjk_font_is_embedded(demo_pdf: Path) -> None:
    out = subprocess.run(
        [_poppler("pdffonts"), str(demo_pdf)], check=True, capture_output=True, text=True
    ).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        assert "NotoSansCJKsc" in row[0]
        assert "TrueType" in " ".join(row)
        # columns from the right: object ID (2), uni, sub, emb
        assert row[-5] == "yes", f"font not embedded: {row}"
        assert row[-3] == "yes", f"no ToUnicode map: {row}"


def test_pages_render_not_blank(demo_pdf: Path, tmp_path: Path) -> None:
    pages = _grey_pages(demo_pdf, tmp_path, dpi=20)
    assert len(pages) == len(pypdf.PdfReader(demo_pdf).pages)
    for i, img in enumerate(pages, start=1):
        ink = float((img < 0.8).mean())
        assert ink > 0.01, f"page {i} is blank ({ink:.3%} ink)"


def test_page_matches_reference_image(demo_pdf: Path, tmp_path: Path) -> None:
    from PIL import Image

    page, other = _grey_pages(demo_pdf, tmp_path, dpi=REF_DPI, first=2, last=3)
    if os.environ.get("RIVERMAP_UPDATE_ATLAS_REFERENCE"):
        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray((page * 255).round().astype(np.uint8)).save(REFERENCE, optimize=True)
    ref = np.asarray(Image.open(REFERENCE).convert("L"), dtype=np.float64) / 255.0
    assert page.shape == ref.shape
    diff = float(np.abs(page - ref).mean())
    assert diff < REF_TOLERANCE, f"page 2 differs from {REFERENCE.name} by {diff:.3f}"
    # the comparison can tell pages apart: the next page is far from the reference
    assert other.shape == ref.shape
    assert float(np.abs(other - ref).mean()) > REF_TOLERANCE


# ---------------------------------------------------------------- options
def test_english_a3_with_roster_and_plan(demo_resp: rm.Responsibility, tmp_path: Path) -> None:
    from rivermap.chiefs import example_roster_path
    from rivermap.redivide import redivide

    out = atlas(
        demo_resp,
        tmp_path / "en.pdf",
        lang="en",
        paper="A3",
        by="province",
        orientation="portrait",
        date=DATE,
        chiefs=example_roster_path(),
        plan=redivide(demo_resp, level="city"),
    )
    reader = pypdf.PdfReader(out)
    texts = _text(out)
    assert "River chief responsibility atlas: 浙江省" in texts[0]
    assert "Reaches" in texts[1]
    assert "Page 2" in texts[1]
    assert "continued" in texts[-1]
    allt = "".join(texts)
    assert "钱塘江" in allt
    assert "杭州市京杭运河河长" in allt  # the city-level chief of the canal in Hangzhou
    assert "Proposed segments (City)" in allt
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 1191)


def test_chiefs_flags_and_plan(tmp_path: Path) -> None:
    resp = _tiny_resp()
    flags = pd.DataFrame(
        {
            "river_id": ["crossing", "boundary"],
            "level": ["district", "district"],
            "reasons": ["crosses", "boundary"],
        }
    )
    resp = _WithFlags(resp, flags)  # type: ignore[assignment]
    chiefs = pd.DataFrame(
        {
            "unit_id": ["330602001", "330603001", "330602002"],
            "level": ["street", "street", "street"],
            "name": ["张三", "李四", "赵六"],
            "river_id": ["crossing", "crossing", None],
        }
    )
    segments = resp.reaches[["river_id", "from_m", "to_m", "length_m", "geometry"]].copy()
    segments["segment_id"] = [f"方案{i}" for i in range(len(segments))]
    segments["unit_id"] = ["330602", "330602", "330603", "330603"]
    segments["unit_name"] = ["越城区", "越城区", "柯桥区", "柯桥区"]
    plan = types.SimpleNamespace(segments=segments, level="district")
    out = atlas(resp, tmp_path / "tiny.pdf", chiefs=chiefs, plan=plan, date=DATE, progress=True)
    texts = _text(out)
    assert len(texts) == 3  # overview + two districts
    yuecheng = texts[1]
    assert "越城区（330602）" in yuecheng
    assert "张三" in yuecheng  # the crossing river's chief on this side
    assert "李四" not in yuecheng
    assert "跨界" in yuecheng  # flag reasons in Chinese, as rivermap.text words them
    assert text.term("reason.crosses", "zh") == "跨界"
    assert "界河" in yuecheng
    assert "调整方案河段" in yuecheng
    assert "方案0" in yuecheng
    assert "府山街道 / 柯桥街道" in yuecheng  # the boundary reach: both banks
    assert "李四" in texts[2]


def test_empty_units_get_pages_on_request(demo_resp: rm.Responsibility, tmp_path: Path) -> None:
    out = atlas(
        demo_resp,
        tmp_path / "all.pdf",
        by="city",
        empty_units=True,
        orientation="portrait",
        date=DATE,
    )
    texts = _text(out)
    ningbo = [t for t in texts if "宁波市（330200）" in t]
    assert len(ningbo) == 1
    assert "本单位内无河流" in ningbo[0]
    n_cities = int((demo_resp.units["level"] == "city").sum())
    assert sum("河流责任图" in t for t in texts) == n_cities


def test_refuses_to_overwrite_and_leaves_no_temp(
    demo_resp: rm.Responsibility, tmp_path: Path
) -> None:
    out = tmp_path / "a.pdf"
    out.write_text("keep")
    with pytest.raises(OutputExistsError):
        atlas(demo_resp, out)
    assert out.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"by": "street"}, ParameterError, "^by .*'province', 'city', 'district'"),
        ({"paper": "B5"}, ParameterError, "^paper .*'A4', 'A3'"),
        ({"lang": "fr"}, ParameterError, "^lang .*'zh', 'en'"),
        ({"orientation": "upside"}, ParameterError, "^orientation .*portrait"),
        ({"paper": 4}, ParameterError, "^paper "),
        ({"lang": None}, ParameterError, "^lang "),
    ],
)
def test_bad_arguments(
    demo_resp: rm.Responsibility, tmp_path: Path, kwargs: dict[str, str], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        atlas(demo_resp, tmp_path / "x.pdf", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"level": "ward"}, "^level "), ({"lang": "fr"}, "^lang ")]
)
def test_plot_responsibility_bad_arguments(
    demo_resp: rm.Responsibility, kwargs: dict[str, str], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        plot_responsibility(demo_resp, ax=Figure().add_subplot(), **kwargs)  # type: ignore[arg-type]


def test_papers_and_orientations_are_the_params_choices() -> None:
    from rivermap.maps._atlas_pages import PAPER_SIZES, Orientation

    assert tuple(PAPER_SIZES) == params.PAPERS
    assert Orientation.__args__ == params.ORIENTATIONS  # type: ignore[attr-defined]


# ------------------------------------------------------------------- words
def test_atlas_words_are_the_words_of_rivermap_text(
    demo_resp: rm.Responsibility, demo_pdf: Path
) -> None:
    texts = _text(demo_pdf)
    overview = texts[0]
    for lv in demo_resp.levels:  # the legend of chief levels: the chiefs' titles
        assert text.chief_title(lv, "zh") in overview
    assert "县级河长" in overview
    assert "区县级河长" not in overview
    assert text.term("atlas.chief_level", "zh") in overview
    hangzhou = texts[1]
    sub = text.term("atlas.unit_sub", "zh", level="区县", by="市")
    assert sub in hangzhou
    for key in ("ui.river", "ui.flag", "atlas.reaches_table"):
        assert text.term(key, "zh") in hangzhou
    for lv in demo_resp.levels:  # a column per level
        assert text.level_label(lv, "zh") in hangzhou


def test_english_legend_names_the_chiefs_by_their_titles(tmp_path: Path) -> None:
    out = atlas(_tiny_resp(), tmp_path / "en.pdf", lang="en", date=DATE)
    overview = _text(out)[0]
    assert "Street chief" in overview  # chief_title("street", "en"), starting a line
    assert text.chief_title("street", "en") == "street chief"
    assert text.term("atlas.chief_level", "en") in overview


def test_font_subset_holds_every_word_the_atlas_may_draw() -> None:
    from rivermap.maps._atlas_text import all_labels

    chars = set("".join(all_labels()))
    words = [
        text.term(key, lang)
        for key in text.TERMS
        if key.startswith(("atlas.", "ui.", "reason.", "kind."))
        for lang in params.LANGS
    ]
    for lv in [*text.LEVELS, "above:province"]:
        for lang in params.LANGS:
            words += [text.level_label(lv, lang), text.chief_title(lv, lang)]
    missing = {ch for word in words for ch in word} - chars
    assert not missing


def test_no_global_matplotlib_changes(demo_resp: rm.Responsibility, tmp_path: Path) -> None:
    before = dict(matplotlib.rcParams)
    atlas(_tiny_resp(), tmp_path / "t.pdf", date=DATE)
    assert dict(matplotlib.rcParams) == before


# ------------------------------------------------------------------- fonts
def test_missing_glyphs_are_reported() -> None:
    """Tofu does not pass silently: a character the font lacks warns (an error here)."""
    from matplotlib.font_manager import FontProperties

    path = _fonts.font_for(["钱塘江"])
    fig = Figure()
    fig.text(0.5, 0.5, "钱塘江 \N{WATER WAVE}", fontproperties=FontProperties(fname=path))
    with pytest.warns(UserWarning, match="missing from font"):
        fig.savefig(io.BytesIO(), format="png")


def test_font_subset_is_truetype_with_the_characters() -> None:
    from fontTools.ttLib import TTFont

    a = _fonts.font_for(["衢江 婺江"])
    assert a == _fonts.font_for(["衢江 婺江"])  # cached by its characters
    font = TTFont(a)
    try:
        assert "glyf" in font
        assert "CFF " not in font
        cmap = font.getBestCmap()
        assert all(ord(c) in cmap for c in "衢江婺")
        assert font["name"].getDebugName(1) == _fonts.FONT_FAMILY
    finally:
        font.close()


# --------------------------------------------------------------- plot_responsibility
def test_plot_responsibility_on_callers_axes(demo_resp: rm.Responsibility) -> None:
    from matplotlib.collections import LineCollection

    fig = Figure()
    ax = fig.add_subplot()
    got = plot_responsibility(demo_resp, level="district", ax=ax, lang="en")
    assert got is ax
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    n_parts = sum(len(c.get_segments()) for c in lines)
    assert n_parts >= len(demo_resp.reaches)
    labels = [t.get_text() for t in ax.texts]
    assert "西湖区" in labels
    assert "钱塘江" in labels
    fig.savefig(io.BytesIO(), format="png")  # every label has its glyphs (warnings are errors)
