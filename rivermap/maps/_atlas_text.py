"""The words of the atlas: its bilingual labels, and how much paper a text takes.

Every fixed string the atlas draws is a (Chinese, English) pair in
:data:`LABELS`, picked and filled in by :func:`label`. Widths are estimated in
ems of the font size (a CJK character takes a full em, any other about half),
which is all that the table layout and the choice of name sizes need.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rivermap.maps import _style

LABELS: dict[str, tuple[str, str]] = {
    "atlas_title": ("{name}河长制责任图册", "River chief responsibility atlas: {name}"),
    "atlas_title_plain": ("河长制责任图册", "River chief responsibility atlas"),
    "unit_title": ("{name}（{code}）河流责任图", "{name} ({code}): rivers and responsibility"),
    "table_title": ("{name}（{code}）（续）", "{name} ({code}), continued"),
    "unit_sub": (
        "河段按{level}责任单位着色；界河段为虚线；灰色为相邻{by}",
        (
            "Reaches coloured by responsible {level}; boundary reaches dashed; "
            "neighbouring {by} units in grey"
        ),
    ),
    "overview_sub": (
        (
            "河流按河长级别着色 · 河流 {rivers} 条，河段 {reaches} 段（界河段 {boundary} 段），"
            "总长 {km} 公里 · 制图日期 {date}"
        ),
        (
            "Rivers coloured by chief level · {rivers} rivers, {reaches} reaches "
            "({boundary} along boundaries), {km} km · {date}"
        ),
    ),
    "plot_title": ("河段按{level}责任单位着色", "Reaches coloured by responsible {level}"),
    "chief_level": ("河长级别", "Chief level"),
    "level_chief": ("{level}级河长", "{level} chief"),
    "above": ("跨{level}（{level}级以上协调）", "Across {level} units (above {level})"),
    "no_chief": ("区域外河段", "Outside all units"),
    "boundary_shared": ("界河段（两岸分别负责）", "Boundary reach (each bank its own)"),
    "other_reaches": ("其他河段", "Other reaches"),
    "more_units": ("…… 其余 {n} 个单位", "… {n} more units"),
    "plan_points": ("方案分段点", "Proposed split points"),
    "made_with": ("制图：rivermap {version}", "Made with rivermap {version}"),
    "source": ("数据来源：{credit}", "Data: {credit}"),
    "page": ("第 {n} 页", "Page {n}"),
    "no_rivers_units": (
        "无河流的{level}（{n} 个，未单独成页）：",
        "{level} units without rivers ({n}, no page of their own): ",
    ),
    "no_rivers_here": ("本单位内无河流。", "No river in this unit."),
    "reaches_table": ("河段表", "Reaches"),
    "reaches_table_cont": ("河段表（续）", "Reaches (continued)"),
    "segments_table": ("调整方案河段（{level}）", "Proposed segments ({level})"),
    "segments_table_cont": (
        "调整方案河段（{level}，续）",
        "Proposed segments ({level}, continued)",
    ),
    "from_to_km": ("起止（公里）", "From–to (km)"),
    "length_km": ("长度（公里）", "Length (km)"),
    "km": ("公里", "km"),
    "m": ("米", "m"),
    "north": ("北", "N"),
    "unnamed": ("未命名 {id}", "unnamed {id}"),
    "segment": ("河段编号", "Segment"),
}

#: One typographic point in millimetres.
PT_MM = 0.3528
#: Room left around a table cell's text, in ems.
CELL_PAD_EM = 0.9
# Width of a character in em: CJK full width, others about half.
_NARROW_EM = 0.56
_FIRST_CJK = 0x2E80


# ===================================================================== labels
def label(key: str, lang: str, **kwargs: Any) -> str:
    """The label ``key`` in ``lang`` (``"zh"`` or ``"en"``) with ``kwargs`` filled in.

    Examples
    --------
    >>> label("page", "en", n=3)
    'Page 3'
    """
    zh, en = LABELS[key]
    return (zh if lang == "zh" else en).format(**kwargs)


def all_labels() -> list[str]:
    """Every label in both languages, unfilled (for the font subset)."""
    return [text for pair in LABELS.values() for text in pair]


def level_name(level: str, lang: str) -> str:
    """A level's name for titles and headers: ``"市"``, ``"City"``."""
    name = _style.level_label(level, lang)
    return name if lang == "zh" else name.capitalize()


def join_names(names: Iterable[str], lang: str) -> str:
    """Names as a list: ``"、"`` between them in Chinese, ``", "`` in English.

    Examples
    --------
    >>> join_names(["西湖区", "上城区"], "zh")
    '西湖区、上城区'
    """
    return ("、" if lang == "zh" else ", ").join(names)


def rivermap_version() -> str:
    """The installed rivermap version, for the footer and the PDF metadata."""
    try:
        from importlib.metadata import version

        return version("rivermap")
    except Exception:  # pragma: no cover - running from a bare source tree
        return "dev"


# ================================================================== measuring
def em(s: str) -> float:
    """The width of ``s`` in ems.

    Examples
    --------
    >>> em("钱塘江 2")
    4.12
    """
    return sum(1.0 if ord(ch) >= _FIRST_CJK else _NARROW_EM for ch in s)


def fit(s: str, width_mm: float, size_pt: float) -> str:
    """Cut ``s`` with an ellipsis so that it fits a cell ``width_mm`` wide at ``size_pt``."""
    cap = width_mm / (size_pt * PT_MM) - CELL_PAD_EM
    if em(s) <= cap:
        return s
    out = ""
    for ch in s:
        if em(out + ch) > cap - 1.0:
            break
        out += ch
    return out + "…"


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
