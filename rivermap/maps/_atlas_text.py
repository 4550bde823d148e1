"""The words of the atlas, and how much paper a text takes.

Every word the atlas draws comes from :mod:`rivermap.text` (``atlas.`` terms,
the web map's ``ui.`` terms it shares, reasons, levels and chiefs' titles);
:func:`all_labels` lists them all for the font subset. Widths are estimated in
ems of the font size (a CJK character takes a full em, any other about half),
which is all that the table layout and the choice of name sizes need. Measuring
stops at the width that matters (:func:`em`'s ``limit``, :func:`fit`), so a
name of 10,000 characters costs what a short one does.
"""

from __future__ import annotations

import math

from rivermap.text import LEVELS, TERMS, chief_title, level_label, strip_bidi

#: One typographic point in millimetres.
PT_MM = 0.3528
#: Room left around a table cell's text, in ems.
CELL_PAD_EM = 0.9
# Width of a character in em: CJK full width, others about half.
_NARROW_EM = 0.56
_FIRST_CJK = 0x2E80


# ===================================================================== labels
# The terms the atlas may draw: its own, the map's it shares, flag reasons and reach kinds.
_DRAWN_TERMS = ("atlas.", "ui.", "reason.", "kind.")


def all_labels() -> list[str]:
    """Return every word the atlas may draw in both languages, unfilled (for the font subset).

    That is the terms it draws, every known level's name and rank, and the
    parts of a chief's title and of a level above the top one.

    Examples
    --------
    >>> words = "".join(all_labels())
    >>> all(ch in words for ch in "县级河长区域外跨界")
    True
    """
    out = [text for key, pair in TERMS.items() if key.startswith(_DRAWN_TERMS) for text in pair]
    out += [name for names in LEVELS.values() for name in names]
    out += [chief_title("", lang) + level_label("above:", lang) for lang in ("zh", "en")]
    return out


def level_name(level: str, lang: str) -> str:
    """Return a level's name for titles and headers: ``"市"``, ``"City"``."""
    return sentence_case(level_label(level, lang), lang)


def sentence_case(s: str, lang: str) -> str:
    """Return ``s`` to start a line: its first letter upper case in English.

    Examples
    --------
    >>> sentence_case("district chief", "en"), sentence_case("县级河长", "zh")
    ('District chief', '县级河长')
    """
    return s[:1].upper() + s[1:] if lang == "en" else s


# ================================================================== measuring
def _em_char(ch: str) -> float:
    return 1.0 if ord(ch) >= _FIRST_CJK else _NARROW_EM


def em(s: str, limit: float = math.inf) -> float:
    """Return the width of ``s`` in ems, or a width above ``limit`` once it passes it.

    Examples
    --------
    >>> em("钱塘江 2"), em("钱塘江" * 1000, limit=2.0)
    (4.12, 3.0)
    """
    total = 0.0
    for ch in s:
        total += _em_char(ch)
        if total > limit:
            break
    return total


def fit(s: str, width_mm: float, size_pt: float) -> str:
    """Cut ``s`` with an ellipsis so that it fits a cell ``width_mm`` wide at ``size_pt``.

    Directional overrides are dropped (see :func:`rivermap.text.strip_bidi`).

    Examples
    --------
    >>> fit("钱塘江", 30, 8), fit("富" * 10_000, 30, 8)
    ('钱塘江', '富富富富富富富富…')
    """
    s = strip_bidi(s)
    cap = width_mm / (size_pt * PT_MM) - CELL_PAD_EM
    if em(s, limit=cap) <= cap:
        return s
    used = 0.0
    for i, ch in enumerate(s):
        used += _em_char(ch)
        if used > cap - 1.0:
            return s[:i] + "…"
    return s  # not reached: s is wider than cap


def wrap(s: str, cap_em: float) -> list[str]:
    """Break ``s`` into lines of at most ``cap_em`` ems (anywhere: CJK has no spaces)."""
    lines: list[str] = []
    line = ""
    for ch in s:
        if em(line + ch) > cap_em:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines
