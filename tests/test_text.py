"""One vocabulary (rivermap.text): every term in both languages, and nowhere else.

The words a person reads come from one table. These tests check the table
itself (both languages, the same fields, no two concepts sharing a word within
a family), that no other module of the package carries Chinese words of its
own, and that the tables, the command line and the map say the same word for
the same thing.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rivermap as rm
from rivermap import text
from rivermap.cli import main
from rivermap.flags import REASONS, write_flags
from rivermap.text import LEVELS, TERMS, term

PACKAGE = Path(rm.__file__).parent
#: Chinese words (CJK ideographs), not punctuation.
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Module-level names and functions that hold words rivermap *reads*, or data:
#: header aliases of input files, level words and name suffixes of rosters, the
#: commented project template, data provenance and basemap providers' names.
READ_NOT_WRITTEN: dict[str, set[str]] = {
    "chiefs.py": {
        "ROLES",
        "_PRINCIPAL",
        "_HEADERS",
        "_LEVEL_WORDS",
        "_NAME_SUFFIXES",
        "_ROLE_WORDS",
        "_DATE",
    },
    "io.py": {"NAME_COLUMNS", "_ID_COLUMNS", "_standardise_units"},
    "redivide.py": {"_UNIT_COLS", "_ID_COLS"},
    "_current.py": {"_UNIT_COLS", "_ID_COLS"},
    "project.py": {"TEMPLATE"},
    "datasets/__init__.py": {"DATASETS"},
    "synth.py": {"_LEVEL_SUFFIX", "_NAME_CHARS", "_RIVER_SUFFIXES", "_COUNTRY_SUFFIXES"},
    "maps/web.py": {"_add_basemap"},
    "_tables.py": set(),
    "events.py": {"_HEADERS", "_SOURCE_WORDS", "_CATEGORY_WORDS", "_STATUS_WORDS"},
    "tracks.py": {"_HEADERS"},
    "duties.py": {"_HEADERS", "_PERIOD_WORDS", "_MONTH_WORDS", "_MONTH_NOISE"},
    "_synth_reports.py": {"_PLACES"},
}
#: Terms whose two languages need different fields (Chinese counts all the
#: stretches, English "and N more").
FIELDS_DIFFER = {"proposal.reassign_more"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TERMS))
def test_every_term_has_both_languages_with_the_same_fields(key: str) -> None:
    zh, en = TERMS[key]
    assert zh.strip(), key
    assert en.strip(), key
    # English may name 河长 once; the language switch names the other language in itself
    assert not _HAN.search(en) or "河长" in en or key == "ui.lang_switch", (key, en)
    if key not in FIELDS_DIFFER:
        assert _fields(zh) == _fields(en), key


def test_every_level_has_a_name_a_rank_and_an_english_name() -> None:
    for level, (name, rank, english) in LEVELS.items():
        assert _HAN.search(name), level
        assert _HAN.search(rank), level
        assert english == level


@pytest.mark.parametrize("family", ["kind", "reason", "roster", "policy", "plan_policy", "sheet"])
def test_no_two_concepts_share_a_word(family: str) -> None:
    for lang in ("zh", "en"):
        words = [term(k, lang) for k in TERMS if k.startswith(f"{family}.") and k.count(".") == 1]
        assert len(words) == len(set(words)), (family, lang, words)


def test_the_same_concept_reads_the_same_in_every_family() -> None:
    """Words that several families show for one concept are the same words."""
    same = [
        ("kind.boundary", "ui.boundary_reach", "result.boundary_reaches"),
        ("kind.outside", "ui.outside_reach", "atlas.outside"),
        ("ui.reasons", "col.reasons"),
        ("ui.handovers", "col.handovers"),
        ("ui.severity", "col.severity"),
        ("ui.proposal", "col.proposal_zh"),
        ("ui.responsible", "col.unit_name"),
        ("ui.reach", "result.reaches"),
        ("ui.chief", "col.chief_name"),
        ("ui.km", "atlas.km"),
        ("atlas.chief_level", "col.chief_level", "result.chief_level"),
    ]
    for group in same:
        assert len({term(k, "zh") for k in group}) == 1, group
    for reason in REASONS:
        assert f"reason.{reason}" in TERMS


def test_reasons_and_levels_read_as_words() -> None:
    assert (
        text.reason_labels("crosses,boundary,reenters,slivers", "zh")
        == "跨界、界河、出而复入、碎段"
    )
    assert text.level_label("above:district", "en") == "above district"
    assert text.chief_title("street", "zh") == "乡镇(街道)级河长"
    assert text.header("chief_district_title", "en") == "district chief title"
    with pytest.raises(rm.ParameterError, match="lang"):
        text.term("reason.crosses", "fr")
    with pytest.raises(rm.ParameterError, match="lang"):
        text.level_label("district", "de")


def test_missing_text_has_one_rule() -> None:
    values = ["a", None, float("nan"), pd.NA, "", "0", 0, np.nan]
    assert text.is_missing(np.array(values, dtype=object)).tolist() == [
        False, True, True, True, True, False, False, True,
    ]  # fmt: skip
    assert [text.is_missing(v) for v in values] == text.is_missing(values).tolist()
    assert text.texts(values, missing="").tolist()[:5] == ["a", "", "", "", ""]
    assert text.text_or(float("nan"), "—") == "—"
    assert text.text_or(12) == "12"


def _words_outside_the_table() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "text.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = READ_NOT_WRITTEN.get(rel, set())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for stmt in tree.body:
            names = {getattr(stmt, "name", None)}
            targets = getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
            if names & allowed:
                continue
            for node in ast.walk(stmt):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and _HAN.search(node.value)
                ):
                    found.append(f"{rel}:{node.lineno}: {node.value[:40]!r}")
    return found


def test_no_module_has_words_of_its_own() -> None:
    """Chinese words live in rivermap.text only (words rivermap reads are listed above)."""
    found = _words_outside_the_table()
    assert not found, "move these words into rivermap.text:\n" + "\n".join(found)


def test_a_flags_table_reads_like_the_map_and_the_command_line(
    demo: rm.Responsibility, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reasons of one river read the same in the workbook, on the map and in the CLI."""
    table = demo.flags("district")
    fuchun = table.loc[table["name"] == "富春江"].iloc[0]
    words = text.reason_labels(fuchun["reasons"], "zh")
    assert words == "跨界、界河、出而复入、碎段"
    book = pd.read_excel(write_flags(table, tmp_path / "flags.xlsx"), sheet_name=None)
    sheet = book[term("sheet.flags", "zh")]
    assert sheet.loc[sheet["河流名称"] == "富春江", "问题"].iloc[0] == words
    assert set(sheet["级别"]) == {"区县"}
    out = demo.to_file(tmp_path / "resp.gpkg")
    code = main(["flags", str(out), "--level", "district", "--lang", "zh"])
    printed = capsys.readouterr().out
    assert code == 1
    assert words in printed
    assert "区县" in printed
    html = rm.maps.save_html(
        rm.maps.responsibility_map(demo, level="district", flags=table), tmp_path / "m.html"
    ).read_text(encoding="utf-8")
    for reason in fuchun["reasons"].split(","):
        assert term(f"reason.{reason}", "zh") in html
