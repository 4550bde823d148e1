"""The chief roster (河长名录): the person who answers for every reach at every level.

A roster lists people: the unit they serve (by ``unit_id``, or by name and
level), their name, title, phone and role, and optionally the one river they
were named for (一河一长). :func:`read_chiefs` reads and checks it;
:meth:`rivermap.Responsibility.with_chiefs` puts a person on every reach at
every level; :meth:`~rivermap.Responsibility.roster_report` lists the gaps and
conflicts; :meth:`~rivermap.Responsibility.signboards` gives the rows of the
river chief signboards (河长公示牌); :func:`write_table` exports any of these
tables to CSV or XLSX.

Who is "the" chief of a reach at a level
----------------------------------------
The reach's unit at that level is looked up in the roster:

1. A person named for the reach's river in that unit (a row with a river)
   comes first: the river-specific chief takes precedence over the unit's
   general chief.
2. Otherwise the unit's general chiefs (rows without a river) answer.

Among several people of the same kind (river-specific, or general), roles rank
河长 (chief) > 总河长 (general chief) > 河段长 (segment chief) > 副总河长 (deputy
general chief) > 副河长 (deputy chief), and people of the same role rank in
roster order. A 河长 listed for a unit without a river is that unit's river
chief for all its rivers (the usual pattern at township and village level), so
they answer before the 总河长, who leads the whole system of the unit and answers
where no 河长 is listed (the usual pattern at the top level). Deputies never
answer while a principal is listed.

A boundary reach (界河) whose two sides belong to different units at a level
has both sides' chiefs at that level, ``"LEFT;RIGHT"`` in the order of
``left_unit`` and ``right_unit`` (a side without a chief is left empty), as in
the reach's ``responsible`` column.

People are told apart by name and phone: two rows with the same name and phone
are the same person.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap._tables import Problems, cells, clean_text, header_key, load, map_headers
from rivermap.errors import RivermapWarning, SchemaError, format_ids, require_columns
from rivermap.events import board_code
from rivermap.io import write_tables
from rivermap.params import (
    BOARD_PER,
    FENCE,
    MIN_PEOPLE,
    check_choice,
    check_count,
    check_lang,
    check_level,
    check_number,
)
from rivermap.runs import join_groups, unit_table
from rivermap.text import join_list, level_label, localize, term

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility
    from rivermap.units import AdminUnits

__all__ = [
    "COLUMNS",
    "REASONS",
    "REPORT_COLUMNS",
    "ROLES",
    "SUPERVISOR",
    "chainage_text",
    "chief_columns",
    "chiefs_table",
    "example_roster_path",
    "read_chiefs",
    "roster_report",
    "roster_workbook",
    "signboards",
    "unit_chiefs",
    "with_chiefs",
    "write_table",
]

PathLike: TypeAlias = str | os.PathLike[str]

#: Columns of a normalized roster, in order.
COLUMNS: tuple[str, ...] = (
    "unit_id",
    "level",
    "unit_name",
    "name",
    "title",
    "phone",
    "role",
    "river_id",
    "since",
)

#: Roles, in the order they answer for a reach (see the module docstring),
#: with their English names.
ROLES: dict[str, str] = {
    "河长": "chief",
    "总河长": "general chief",
    "河段长": "segment chief",
    "副总河长": "deputy general chief",
    "副河长": "deputy chief",
}
_ROLE_RANK = {role: i for i, role in enumerate(ROLES)}
#: The role a river-specific conflict (一河一长) is about.
_PRINCIPAL = "河长"

#: Reasons of :func:`roster_report` rows: code -> (Chinese label, English label),
#: as the one vocabulary (:mod:`rivermap.text`, ``roster.<code>``) words them.
REASONS: dict[str, tuple[str, str]] = {
    code: (term(f"roster.{code}", "zh"), term(f"roster.{code}", "en"))
    for code in ("no_chief", "no_river", "conflict", "river_not_in_unit", "overload")
}
#: The supervising unit printed on a signboard (``{unit}``: the river's chief unit).
SUPERVISOR = term("roster.supervisor", "zh")

_EXAMPLE_ROSTER = "zhejiang_chiefs_example.csv"
_SEP = ";"

# Header aliases per field; compared after _header_key (lower case, no spaces,
# underscores or hyphens, full-width brackets made half-width).
_HEADERS: dict[str, tuple[str, ...]] = {
    "unit_id": (
        "unit_id",
        "unit_code",
        "adcode",
        "code",
        "单位编码",
        "单位代码",
        "单位id",
        "行政区划代码",
        "区划代码",
        "行政代码",
        "编码",
        "代码",
    ),
    "unit": (
        "unit",
        "unit_name",
        "单位",
        "单位名称",
        "所在单位",
        "所属单位",
        "行政区",
        "行政区划",
        "行政区名称",
        "行政区划名称",
        "区划名称",
        "地区",
    ),
    "level": ("level", "级别", "层级", "行政级别", "单位级别", "河长级别"),
    "name": ("name", "person", "chief", "chief_name", "姓名", "河长姓名", "名字", "人员"),
    "title": ("title", "position", "post", "job_title", "职务", "职位", "现任职务"),
    "phone": (
        "phone",
        "tel",
        "telephone",
        "mobile",
        "contact",
        "电话",
        "联系电话",
        "手机",
        "手机号",
        "手机号码",
        "联系方式",
    ),
    "role": ("role", "chief_role", "角色", "河长类别", "河长类型", "类别", "身份"),
    "river": (
        "river",
        "river_id",
        "river_name",
        "河流",
        "河流名称",
        "河流编码",
        "河道",
        "河道名称",
        "河湖",
        "河湖名称",
        "河段",
        "河段名称",
        "负责河流",
        "所辖河流",
    ),
    "since": (
        "since",
        "start",
        "start_date",
        "from",
        "任职时间",
        "任职日期",
        "起任时间",
        "上任时间",
        "任命时间",
    ),
}

# Chinese (and a few English) level words -> level names they may denote.
_LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("国家", "国家级", "全国"), ("country", "nation", "national")),
    **dict.fromkeys(("省", "省级", "省区", "自治区"), ("province",)),
    **dict.fromkeys(("市", "市级", "地级", "地市", "地市级", "设区市"), ("city", "prefecture")),
    **dict.fromkeys(
        ("县", "县级", "区", "区级", "县区", "县(市、区)", "县(市、区)级", "县市区", "区县"),
        ("district", "county"),
    ),
    **dict.fromkeys(
        ("乡", "镇", "乡级", "镇级", "乡镇", "乡镇级", "乡镇(街道)", "乡镇(街道)级"),
        ("township", "town", "street", "subdistrict"),
    ),
    **dict.fromkeys(("街道", "街道级"), ("street", "subdistrict", "township", "town")),
    **dict.fromkeys(("村", "村级", "社区", "村(社区)", "村(社区)级"), ("village", "community")),
}
_NAME_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "街道",
    "地区",
    "社区",
    "省",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "旗",
    "盟",
    "村",
)
_ROLE_WORDS: dict[str, str] = {
    **{role: role for role in ROLES},
    **{re.sub(r"[\s_\-]", "", en): zh for zh, en in ROLES.items()},
    "riverchief": "河长",
    "deputyriverchief": "副河长",
    "reachchief": "河段长",
    "generalriverchief": "总河长",
    "deputygeneralriverchief": "副总河长",
}


# ------------------------------------------------------------------ reading
def example_roster_path() -> Path:
    """Path of the example roster for the demo data (placeholder people, fake phones).

    Every name in it is made from a unit name (``杭州市河长``), every phone
    number is ``000-0000-NNNN``: it is an EXAMPLE, not a real roster.

    Examples
    --------
    >>> example_roster_path().name
    'zhejiang_chiefs_example.csv'
    """
    from rivermap.datasets import _data_dir

    return _data_dir() / _EXAMPLE_ROSTER


def read_chiefs(
    source: PathLike | pd.DataFrame,
    *,
    units: AdminUnits | Responsibility | pd.DataFrame | None = None,
    rivers: pd.DataFrame | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a chief roster (河长名录) from CSV or XLSX and check every row.

    Parameters
    ----------
    source
        A ``.csv`` (UTF-8, with or without BOM, or GBK/GB18030) or ``.xlsx``
        file, or a DataFrame (not modified). One row per person and post, with
        a header row. Headers, English or Chinese (case, spaces and
        underscores do not matter):

        * unit: ``unit_id`` (单位编码, 行政区划代码, 代码 …) and/or the unit's
          name ``unit`` (单位, 单位名称, 行政区 …), which may also be written
          with its parents (``杭州市西湖区``) or without its suffix (``西湖``);
        * ``level`` (级别, 层级): a level name, or 省级/市级/县级/乡镇级/村级 …;
          optional when the unit is given by id, or its name is unique;
        * ``name`` (姓名, 河长姓名), required; ``title`` (职务); ``phone``
          (电话, 联系电话);
        * ``role`` (角色, 河长类别): 总河长, 副总河长, 河长, 副河长, 河段长, or
          general chief, deputy general chief, chief, deputy chief, segment
          chief; an empty cell, or no such column, means 河长;
        * ``river`` (河流, 河流名称, 河道), optional: a ``river_id`` or a river
          name (also without its bracketed alias: ``京杭运河`` for
          ``京杭运河(江南运河)``), for people named for one river;
        * ``since`` (任职时间), optional: a date such as ``2021-03-01``,
          ``2021/3/1``, ``2021年3月`` or ``2021``.

        Other columns are ignored. Rows with every cell empty are skipped.
    units
        The units the roster refers to: a :class:`~rivermap.AdminUnits`, a
        :class:`~rivermap.Responsibility` (its units, and its rivers when
        ``rivers`` is None) or a table with ``unit_id``, ``name``, ``level``
        (and ``parent_id``). Needed to resolve unit names; without it, units
        must be given by ``unit_id`` and ``level`` and are not checked.
    rivers
        Rivers with ``river_id`` and ``name`` (as from
        :func:`rivermap.read_rivers`, or ``resp.rivers``). Without them (and
        without a Responsibility), river values are taken as ``river_id``
        unchecked.
    encoding
        Text encoding of a CSV file, when it is neither UTF-8 nor GBK.

    Returns
    -------
    DataFrame
        One row per roster row, in file order, with the columns of
        :data:`COLUMNS`: ``unit_id``, ``level``, ``unit_name``, ``name``
        (the person), ``title``, ``phone``, ``role`` (one of :data:`ROLES`,
        in Chinese), ``river_id`` (NaN for a unit's general chiefs) and
        ``since`` (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; NaN when absent).
        Text columns have the ``str`` dtype with NaN for missing values.
        Reading a normalized roster again gives it back unchanged.

    Raises
    ------
    SchemaError
        No name column or no unit column; two columns meaning the same field;
        or bad rows: an unknown or ambiguous unit, a level that does not match
        the unit, an unknown or ambiguous river, an unknown role, an
        unreadable date, an empty name. The message names the file and, for
        every bad row (the first ten and a count), its row number (the header
        is row 1) and column.
    DataError
        The file is missing or cannot be decoded.

    Warns
    -----
    RivermapWarning
        When identical rows are dropped (with their row numbers).

    Examples
    --------
    >>> import pandas as pd
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> roster = pd.DataFrame({
    ...     "单位": ["杭州市", "杭州市", "西湖区"], "级别": ["市级", "市级", "县级"],
    ...     "姓名": ["杭州市河长", "杭州市运河河长", "西湖区河长"],
    ...     "角色": ["河长", "河长", "河长"], "河流": ["", "京杭运河", ""]})
    >>> chiefs = read_chiefs(roster, units=units, rivers=rivers)
    >>> chiefs[["unit_id", "level", "name", "river_id"]]
      unit_id     level     name    river_id
    0  330100      city    杭州市河长         NaN
    1  330100      city  杭州市运河河长  京杭运河(江南运河)
    2  330106  district    西湖区河长         NaN
    """
    where, frame, rows, *_ = load(source, label="roster", caller="read_chiefs", encoding=encoding)
    fields = map_headers(frame, where, _HEADERS)
    _require_columns(where, frame, fields)
    found, rows = cells(frame, fields, rows)  # the fields' cells, without blank rows
    problems = Problems(where, rows, fields, "roster")
    unit_table, levels = _cleaned_units(units)
    river_table = _river_table(units, rivers)
    empty = pd.Series(np.nan, index=next(iter(found.values())).index, dtype="str")
    by_name = found.get("unit", empty).notna() & found.get("unit_id", empty).isna()
    if unit_table is None and by_name.any():
        msg = (
            f"{where}: rows {format_ids([rows[i] for i in np.flatnonzero(by_name)])} give a "
            "unit by name only; pass units= (an AdminUnits or a Responsibility) to look up "
            "their ids"
        )
        raise SchemaError(msg)
    name = found.get("name", empty)
    problems.add(name.isna().to_numpy(), "name", "the name is empty")
    level = _resolve_levels(found.get("level", empty), levels, problems.add)
    unit_id, unit_name, level = _resolve_units(
        found.get("unit_id", empty), found.get("unit", empty), level, unit_table, problems.add
    )
    out = pd.DataFrame(
        {
            "unit_id": unit_id.to_numpy(),
            "level": level.to_numpy(),
            "unit_name": unit_name.to_numpy(),
            "name": name.to_numpy(),
            "title": found.get("title", empty).to_numpy(),
            "phone": found.get("phone", empty).to_numpy(),
            "role": _resolve_roles(found.get("role", empty), problems.add).to_numpy(),
            "river_id": _resolve_rivers(
                found.get("river", empty), river_table, problems.add
            ).to_numpy(),
            "since": _resolve_dates(found.get("since", empty), problems.add).to_numpy(),
        },
        index=pd.RangeIndex(len(name)),
    ).astype("str")
    problems.raise_any()
    return _drop_repeats(out, where, rows)


def _require_columns(where: str, frame: pd.DataFrame, fields: Mapping[str, Any]) -> None:
    """Raise SchemaError when the roster has no name column or no unit column."""
    columns = format_ids(list(frame.columns), limit=20)
    if "name" not in fields:
        msg = (
            f"{where}: no column with the chiefs' names; name it one of "
            f"{format_ids(_HEADERS['name'], limit=8)} (columns are {columns})"
        )
        raise SchemaError(msg)
    if "unit_id" not in fields and "unit" not in fields:
        msg = (
            f"{where}: no unit column; give the unit's code (one of "
            f"{format_ids(_HEADERS['unit_id'], limit=8)}) or its name (one of "
            f"{format_ids(_HEADERS['unit'], limit=8)}) with its level (one of "
            f"{format_ids(_HEADERS['level'], limit=8)}) (columns are {columns})"
        )
        raise SchemaError(msg)


def _drop_repeats(out: pd.DataFrame, where: str, rows: list[Any]) -> pd.DataFrame:
    """Drop rows identical but for ``since``, with a warning that names them."""
    dup = out.duplicated(subset=[c for c in COLUMNS if c != "since"]).to_numpy()
    if not dup.any():
        return out
    warnings.warn(
        f"{where}: dropped {int(dup.sum())} repeated roster row(s): rows "
        f"{format_ids([rows[i] for i in np.flatnonzero(dup)])}",
        RivermapWarning,
        stacklevel=3,
    )
    return out.loc[~dup].reset_index(drop=True)


def _cleaned_units(units: Any) -> tuple[pd.DataFrame | None, tuple[str, ...]]:
    """Return the units as :func:`rivermap.runs.unit_table` does, cells cleaned; None for None."""
    if units is None:
        return None, ()
    table, levels = unit_table(units)
    return pd.DataFrame({c: clean_text(table[c]) for c in table.columns}), levels


def _river_table(units: Any, rivers: pd.DataFrame | None) -> pd.DataFrame | None:
    if rivers is None and isinstance(getattr(units, "rivers", None), pd.DataFrame):
        rivers = units.rivers  # a Responsibility
    if rivers is None:
        return None
    if not isinstance(rivers, pd.DataFrame):
        msg = f"rivers must be a DataFrame with river_id and name, got {type(rivers).__name__}"
        raise TypeError(msg)
    if "river_id" not in rivers.columns:
        msg = "rivers: no column 'river_id' (read them with rivermap.read_rivers)"
        raise SchemaError(msg)
    names = rivers["name"] if "name" in rivers.columns else pd.Series(np.nan, index=rivers.index)
    return pd.DataFrame(
        {"river_id": clean_text(rivers["river_id"]), "name": clean_text(names)}
    ).reset_index(drop=True)


#: The problem(mask, field, messages) callback of read_chiefs.
Problem: TypeAlias = Callable[[np.ndarray, str, "Sequence[str] | str"], None]


def _resolve_levels(given: pd.Series, levels: tuple[str, ...], problem: Problem) -> pd.Series:
    if not levels:
        return given
    by_key = {lv.lower(): lv for lv in levels}
    mapping: dict[str, str] = {}
    for value in given.dropna().unique():
        key = header_key(value)
        if key in by_key:
            mapping[value] = by_key[key]
            continue
        denotes = _LEVEL_WORDS.get(key, ())
        match = [by_key[w] for w in denotes if w in by_key]
        if match:
            mapping[value] = match[0]
    level = given.map(mapping).astype("str")
    bad = (given.notna() & level.isna()).to_numpy()
    problem(
        bad,
        "level",
        [f"unknown level {v!r}; the levels are {', '.join(levels)}" for v in given[bad]],
    )
    return level


def _strip_suffix(name: str) -> str | None:
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _name_keys(table: pd.DataFrame) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Map unit names to unit ids: full names and names with parents; names without suffix."""
    full: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    name_of = dict(zip(table["unit_id"], table["name"], strict=True))
    parent_of = dict(zip(table["unit_id"], table["parent_id"], strict=True))
    for uid, name in name_of.items():
        if not isinstance(name, str):
            continue
        chain = name
        full.setdefault(name, set()).add(uid)
        stripped = _strip_suffix(name)
        if stripped:
            short.setdefault(stripped, set()).add(uid)
        parent = parent_of.get(uid)
        seen = 0
        while isinstance(parent, str) and parent in name_of and seen < 16:
            chain = f"{name_of[parent]}{chain}"
            full.setdefault(chain, set()).add(uid)
            parent = parent_of.get(parent)
            seen += 1
    return full, short


def _resolve_units(
    ids: pd.Series,
    names: pd.Series,
    level: pd.Series,
    table: pd.DataFrame | None,
    problem: Problem,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return each row's unit id, unit name and level, recording rows that name no unit."""
    missing = (ids.isna() & names.isna()).to_numpy()
    problem(missing, "unit", "no unit: give the unit's id or name")
    if table is None:
        problem(
            (level.isna() & ~pd.Series(missing, index=level.index)).to_numpy(),
            "level",
            "no level: give the unit's level, or pass units= to look it up",
        )
        return ids, names, level
    lookup = _UnitLookup(table)
    out_ids: list[Any] = []
    for pos, (uid, nm, lv) in enumerate(zip(ids, names, level, strict=True)):
        found, complaints = (None, []) if missing[pos] else lookup.row(uid, nm, lv)
        out_ids.append(np.nan if found is None else found)
        for field, message in complaints:
            problem(_one(len(ids), pos), field, message)
    unit_id = pd.Series(out_ids, index=ids.index, dtype="str")
    actual = unit_id.map(lookup.level_of).astype("str")
    clash = (unit_id.notna() & level.notna() & (actual != level)).to_numpy()
    problem(
        clash,
        "level",
        [
            f"unit {u} {lookup.name_of[u]} is at level {lookup.level_of[u]!r}, not {lv!r}"
            for u, lv in zip(unit_id[clash], level[clash], strict=True)
        ],
    )
    return unit_id, unit_id.map(lookup.name_of).astype("str"), actual


class _UnitLookup:
    """Units by id and by name (full, with parents, or without suffix)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.level_of = dict(zip(table["unit_id"], table["level"], strict=True))
        self.name_of = dict(zip(table["unit_id"], table["name"], strict=True))
        self.full, self.short = _name_keys(table)

    def label(self, uids: set[str]) -> str:
        """Return ``id name (level)`` of each unit, for messages."""
        return ", ".join(f"{u} {self.name_of[u]} ({self.level_of[u]})" for u in sorted(uids))

    def named(self, name: Any, level: str | None) -> set[str]:
        """Return the units of this name (at this level, when given)."""
        if not isinstance(name, str):
            return set()
        for keys in (self.full, self.short):
            cand = {u for u in keys.get(name, set()) if level is None or self.level_of[u] == level}
            if cand:
                return cand
        return set()

    def row(self, uid: Any, name: Any, level: Any) -> tuple[str | None, list[tuple[str, str]]]:
        """Return the unit a roster row names, and the (field, message) of what is wrong."""
        lv = level if isinstance(level, str) else None
        by_name = self.named(name, lv)
        if isinstance(uid, str):
            if uid not in self.level_of:
                return None, [("unit_id", f"unknown unit id {uid!r}")]
            if isinstance(name, str) and uid not in by_name and name != self.name_of[uid]:
                said = f"unit id {uid!r} is {self.name_of[uid]}, but the name says {name!r}"
                return uid, [("unit", said)]
            return uid, []
        if len(by_name) == 1:
            return next(iter(by_name)), []
        if by_name:
            said = f"unit name {name!r} is ambiguous: {self.label(by_name)}"
            said += "; give the level or the unit id"
            return None, [("unit", said)]
        elsewhere = self.full.get(name) or self.short.get(name) if isinstance(name, str) else None
        if lv and elsewhere:
            return None, [("level", f"{self.label(elsewhere)} is not at level {lv!r}")]
        at = f" at level {lv!r}" if lv else ""
        return None, [("unit", f"unknown unit {name!r}{at}")]


def _one(n: int, pos: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[pos] = True
    return mask


def _river_keys(table: pd.DataFrame) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """River names -> ids: full names; names without a bracketed alias, and the alias."""
    full: dict[str, set[str]] = {}
    loose: dict[str, set[str]] = {}
    for rid, name in zip(table["river_id"], table["name"], strict=True):
        if not isinstance(name, str):
            continue
        full.setdefault(name, set()).add(rid)
        norm = name.replace("（", "(").replace("）", ")")
        base = re.sub(r"\(.*?\)", "", norm).strip()
        aliases = [a.strip() for a in re.findall(r"\((.*?)\)", norm)]
        for key in {base, *aliases} - {name, ""}:
            loose.setdefault(key, set()).add(rid)
    return full, loose


def _resolve_rivers(given: pd.Series, table: pd.DataFrame | None, problem: Problem) -> pd.Series:
    if table is None or not given.notna().any():
        return given.astype("str")
    ids = set(table["river_id"].dropna())
    full, loose = _river_keys(table)
    mapping: dict[str, str] = {}
    bad: dict[str, str] = {}
    for value in given.dropna().unique():
        if value in ids:
            mapping[value] = value
            continue
        cand = full.get(value) or loose.get(value) or set()
        if len(cand) == 1:
            mapping[value] = next(iter(cand))
        elif cand:
            bad[value] = f"river name {value!r} is ambiguous: ids {format_ids(sorted(cand))}"
        else:
            bad[value] = f"unknown river {value!r} (neither a river_id nor a river name)"
    wrong = given.isin(list(bad)).to_numpy()
    problem(wrong, "river", [bad[v] for v in given[wrong]])
    return given.map(mapping).astype("str")


def _resolve_roles(given: pd.Series, problem: Problem) -> pd.Series:
    keys = given.map(header_key, na_action="ignore")
    role = keys.map(_ROLE_WORDS).astype("str")
    bad = (given.notna() & role.isna()).to_numpy()
    accepted = ", ".join(f"{zh} ({en})" for zh, en in ROLES.items())
    problem(bad, "role", [f"unknown role {v!r}; use one of {accepted}" for v in given[bad]])
    return role.where(given.notna() | bad, _PRINCIPAL).astype("str")


_DATE = re.compile(
    r"^(?P<y>\d{4})(?:\s*[-/.年]\s*(?P<m>\d{1,2})(?:\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?)?\s*月?)?"
    r"(?:\s*年)?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


def _normalize_date(value: str) -> str | None:
    m = _DATE.match(value)
    if m is None:
        if re.fullmatch(r"\d{5}", value):  # an Excel serial day number
            stamp = pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(value))
            return f"{stamp:%Y-%m-%d}"
        return None
    y, mo, d = m.group("y"), m.group("m"), m.group("d")
    try:
        if d is not None and mo is not None:
            return f"{pd.Timestamp(int(y), int(mo), int(d)):%Y-%m-%d}"
        if mo is not None:
            return f"{pd.Timestamp(int(y), int(mo), 1):%Y-%m}"
    except ValueError:
        return None
    return y


def _resolve_dates(given: pd.Series, problem: Problem) -> pd.Series:
    since = given.map(_normalize_date, na_action="ignore").astype("str")
    bad = (given.notna() & since.isna()).to_numpy()
    problem(
        bad,
        "since",
        [f"cannot read the date {v!r}; write it as 2021-03-01" for v in given[bad]],
    )
    return since


# ------------------------------------------------------------- assignments
def _ancestors(units: pd.DataFrame, levels: Sequence[str]) -> pd.DataFrame:
    """Per unit (index unit_id), its ancestor (or itself) at every level; NaN where none."""
    ids = units["unit_id"].astype("str").to_numpy(dtype=object)
    index = pd.Index(ids)
    parent = np.append(index.get_indexer(pd.Index(units["parent_id"].to_numpy(dtype=object))), -1)
    unit_level = np.append(
        units["level"].astype("str").to_numpy(dtype=object), np.array([None], dtype=object)
    )
    values = np.append(ids, np.nan)
    out = np.full((len(ids), len(levels)), np.nan, dtype=object)
    cur = np.arange(len(ids))
    for _ in range(len(levels)):  # one step up per level, over all units at once
        known = cur >= 0
        if not known.any():
            break
        for j, lv in enumerate(levels):
            hit = known & (unit_level[cur] == lv)
            out[hit, j] = values[cur[hit]]
        cur = np.where(known, parent[cur], -1)
    return pd.DataFrame(
        out, index=pd.Index(ids, name="unit_id"), columns=list(levels), dtype=object
    )


def _choose(roster: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the answering row per (unit_id, river_id) of river-specific rows, and per unit_id."""
    r = roster.assign(
        _rank=roster["role"].map(_ROLE_RANK).fillna(len(_ROLE_RANK)),
        _order=np.arange(len(roster)),
    )
    cols = ["name", "title", "phone", "role", "person"]
    specific = r[r["river_id"].notna()].sort_values(["_rank", "_order"], kind="stable")
    specific = specific.drop_duplicates(["unit_id", "river_id"])[["unit_id", "river_id", *cols]]
    general = r[r["river_id"].isna()].sort_values(["_rank", "_order"], kind="stable")
    general = general.drop_duplicates(["unit_id"])[["unit_id", *cols]]
    return specific, general


def _person_key(roster: pd.DataFrame) -> pd.Series:
    return roster["name"].astype("str") + "\x1f" + roster["phone"].astype("str").fillna("")


def _normalized(resp: Responsibility, chiefs: Any) -> pd.DataFrame:
    roster = read_chiefs(chiefs, units=resp)
    return roster.assign(person=_person_key(roster))


def _stored_roster(resp: Responsibility) -> pd.DataFrame:
    roster = resp.roster
    if roster is None:
        msg = "this Responsibility has no chief roster; add one with resp.with_chiefs(roster)"
        raise SchemaError(msg)
    require_columns(roster.columns, COLUMNS, "the stored roster", hint="re-add it with with_chiefs")
    out = pd.DataFrame({c: clean_text(roster[c]) for c in COLUMNS})
    return out.assign(person=_person_key(out))


def _assignments(
    reaches: pd.DataFrame, units: pd.DataFrame, levels: Sequence[str], roster: pd.DataFrame
) -> pd.DataFrame:
    """One row per (reach, level, side) with a unit, and the chief answering there.

    Columns: ``pos`` (reach position), ``river_id``, ``level``, ``side`` (0: the
    reach's own unit or the left side; 1: the right side), ``split`` (a
    boundary reach whose sides differ at this level), ``unit_id``, ``share``
    (1, or 0.5 for each side of a split reach), ``length_m``, ``from_m`` and
    the chief's ``name``, ``title``, ``phone``, ``role``, ``person`` and
    ``specific`` (named for this river). ``unit_id`` is NaN on a side without a
    unit at that level.
    """
    anc = _ancestors(units, levels)
    n = len(reaches)
    pos = np.arange(n)
    kind = reaches["kind"].astype("str").to_numpy(dtype=object)
    left = reaches["left_unit"].astype("str").to_numpy(dtype=object)
    right = reaches["right_unit"].astype("str").to_numpy(dtype=object)
    parts = []
    for lv in levels:
        col = reaches[lv].astype("str")
        own = col.notna().to_numpy()
        split = (~own) & (kind == "boundary") & pd.notna(left) & pd.notna(right)
        side_units = anc[lv]
        lu = pd.Series(left[split]).map(side_units).to_numpy(dtype=object)
        ru = pd.Series(right[split]).map(side_units).to_numpy(dtype=object)
        parts.append(
            pd.DataFrame(
                {
                    "pos": np.concatenate([pos[own], pos[split], pos[split]]),
                    "level": lv,
                    "side": np.repeat([0, 0, 1], [own.sum(), split.sum(), split.sum()]),
                    "split": np.repeat([False, True, True], [own.sum(), split.sum(), split.sum()]),
                    "unit_id": np.concatenate([col.to_numpy(dtype=object)[own], lu, ru]),
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    long["unit_id"] = long["unit_id"].astype("str")
    long["share"] = np.where(long["split"], 0.5, 1.0)
    long["river_id"] = reaches["river_id"].astype("str").to_numpy(dtype=object)[long["pos"]]
    long["length_m"] = reaches["length_m"].to_numpy(dtype=float)[long["pos"]]
    long["from_m"] = reaches["from_m"].to_numpy(dtype=float)[long["pos"]]
    long["level_rank"] = np.repeat(np.arange(len(levels)), [len(p) for p in parts])
    specific, general = _choose(roster)
    cols = ["name", "title", "phone", "role", "person"]
    a = long.merge(specific, on=["unit_id", "river_id"], how="left")
    b = long[["unit_id"]].merge(general, on="unit_id", how="left")
    a["specific"] = a["person"].notna()
    spec = a["specific"].to_numpy(dtype=bool)
    for c in cols:
        value = np.where(spec, a[c].to_numpy(dtype=object), b[c].to_numpy(dtype=object))
        a[c] = pd.Series(value, index=a.index, dtype=object).astype("str")
    return a.sort_values(["pos", "level_rank", "side"], kind="stable").reset_index(drop=True)


def chief_columns(levels: Sequence[str]) -> list[str]:
    """Return the chief columns :meth:`~rivermap.Responsibility.with_chiefs` adds to reaches.

    Examples
    --------
    >>> chief_columns(["city"])
    ['chief_city', 'chief_city_title', 'chief_city_phone']
    """
    return [f"chief_{lv}{s}" for lv in levels for s in ("", "_title", "_phone")]


_RIVER_CHIEF_COLUMNS = ("chief_name", "chief_title", "chief_phone")


def with_chiefs(resp: Responsibility, chiefs: Any) -> Responsibility:
    """Name the chief of every reach at every level: :meth:`rivermap.Responsibility.with_chiefs`.

    Returns a new result (``dataclasses.replace``) whose reaches and rivers
    gain the chief columns and which holds the normalized roster.
    """
    reaches, rivers, roster = join_chiefs(resp, chiefs)
    reaches = gpd.GeoDataFrame(reaches, geometry=reaches.geometry.name, crs=reaches.crs)
    return dataclasses.replace(resp, reaches=reaches, rivers=rivers, roster=roster)


def join_chiefs(
    resp: Responsibility, chiefs: Any
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the reaches and rivers with chief columns, and the normalized roster."""
    roster = _normalized(resp, chiefs)
    levels = resp.levels
    reaches = resp.reaches
    rivers = resp.rivers
    new_cols = chief_columns(levels)
    reaches = reaches.drop(columns=[c for c in new_cols if c in reaches.columns])
    long = _assignments(reaches, resp.units, levels, roster)
    n = len(reaches)
    for lv in levels:
        sub = long[long["level"] == lv]
        single = sub[~sub["split"]]
        left = sub[sub["split"] & (sub["side"] == 0)].set_index("pos")
        right = sub[sub["split"] & (sub["side"] == 1)].set_index("pos").reindex(left.index)
        for suffix, field in (("", "name"), ("_title", "title"), ("_phone", "phone")):
            col = np.full(n, np.nan, dtype=object)
            col[single["pos"].to_numpy()] = single[field].to_numpy(dtype=object)
            lv_, rv_ = left[field].astype("str"), right[field].astype("str")
            pair = (lv_.fillna("") + _SEP + rv_.fillna("")).where(lv_.notna() | rv_.notna())
            col[left.index.to_numpy(dtype=int)] = pair.to_numpy(dtype=object)
            reaches[f"chief_{lv}{suffix}"] = pd.Series(col, index=reaches.index).astype("str")
    geometry = reaches.geometry.name
    reaches = reaches[[c for c in reaches.columns if c != geometry] + [geometry]]

    rivers = rivers.drop(columns=[c for c in _RIVER_CHIEF_COLUMNS if c in rivers.columns])
    specific, general = _choose(roster)
    key = pd.DataFrame(
        {
            "unit_id": clean_text(rivers["chief_unit"]).to_numpy(),
            "river_id": rivers["river_id"].astype("str").to_numpy(),
        }
    )
    a = key.merge(specific, on=["unit_id", "river_id"], how="left")
    b = key[["unit_id"]].merge(general, on="unit_id", how="left")
    for new, field in zip(_RIVER_CHIEF_COLUMNS, ("name", "title", "phone"), strict=True):
        value = a[field].astype("str").where(a["person"].notna(), b[field].astype("str"))
        rivers[new] = value.where(key["unit_id"].notna().to_numpy()).to_numpy()
        rivers[new] = rivers[new].astype("str")
    return reaches, rivers, roster.drop(columns="person")


# --------------------------------------------------------------- per person
def unit_chiefs(resp: Responsibility) -> pd.DataFrame:
    """Return the chief who answers for each unit as a whole, from the roster.

    The unit's general chief when the roster lists one (roles ranked as for
    :func:`with_chiefs`), else its first river-specific chief. Units nobody is
    listed for are left out; so is everything when ``resp`` has no roster.

    Returns
    -------
    DataFrame
        ``unit_id``, ``chief``, ``chief_phone``, one row per unit listed.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo()).with_chiefs(example_roster_path())
    >>> unit_chiefs(resp).set_index("unit_id").loc["330106", "chief"]
    '西湖区河长'
    """
    columns = ["unit_id", "chief", "chief_phone"]
    if resp.roster is None or resp.roster.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    specific, general = _choose(resp.roster.assign(person=_person_key(resp.roster)))
    both = pd.concat([general, specific.drop(columns="river_id")], ignore_index=True)
    both = both.drop_duplicates("unit_id").rename(columns={"name": "chief", "phone": "chief_phone"})
    return both[columns].astype(object).reset_index(drop=True)


def chiefs_table(resp: Responsibility) -> pd.DataFrame:
    """Return per person what they answer for. The engine of :attr:`Responsibility.chiefs`."""
    roster = _stored_roster(resp)
    long = _assignments(resp.reaches, resp.units, resp.levels, roster)
    held = long[long["person"].notna()]
    held = held.sort_values("share", ascending=False, kind="stable").drop_duplicates(
        ["person", "pos"]
    )
    held = held.sort_values(["pos"], kind="stable")
    out = _people(roster)
    out["rivers"], out["river_ids"] = _rivers_per_person(held, resp.rivers, out.index)
    km = (held["share"] * held["length_m"]).groupby(held["person"]).sum() / 1000.0
    n_reaches = held.groupby("person")["pos"].nunique()
    bkm = held[held["split"]].groupby("person")["length_m"].sum() / 1000.0
    out["km"] = km.reindex(out.index).fillna(0.0)
    out["n_reaches"] = n_reaches.reindex(out.index).fillna(0).astype("int64")
    out["boundary_km"] = bkm.reindex(out.index).fillna(0.0)
    text = [c for c in out.columns if c not in ("km", "n_reaches", "boundary_km")]
    out[text] = out[text].astype("str")
    return out.reset_index(drop=True)


def _people(roster: pd.DataFrame) -> pd.DataFrame:
    """Return one row per person: name, phone, and their distinct titles, roles and units."""
    g = roster.groupby("person", sort=False)
    people = pd.Index(g.size().index)

    def joined(column: str) -> Any:
        """Each person's distinct values of ``column`` in roster order; NaN when none."""
        values = roster[column]
        ok = values.notna().to_numpy()
        return (
            join_groups(
                values.to_numpy(dtype=object)[ok],
                roster["person"].to_numpy(dtype=object)[ok],
                _SEP,
                unique=True,
                sort=False,
            )
            .reindex(people)
            .to_numpy(dtype=object)
        )

    return pd.DataFrame(
        {
            "name": g["name"].first(),
            "title": joined("title"),
            "phone": g["phone"].first(),
            "role": joined("role"),
            "units": joined("unit_name"),
            "unit_ids": joined("unit_id"),
            "levels": joined("level"),
        },
        index=people,
    )


def _rivers_per_person(
    held: pd.DataFrame, rivers: pd.DataFrame, people: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """Return the names and the ids of the rivers each person holds a reach of, joined."""
    ids = rivers["river_id"].astype("str")
    river_name = dict(zip(ids, rivers["name"].astype("str").fillna(ids), strict=True))
    pairs = held[["person", "river_id"]].drop_duplicates()
    pair_ids = pairs["river_id"].to_numpy(dtype=object)
    pair_names = np.array([river_name.get(r, r) for r in pair_ids], dtype=object)
    pair_people = pairs["person"].to_numpy(dtype=object)
    return (
        join_groups(pair_names, pair_people, _SEP).reindex(people).to_numpy(),
        join_groups(pair_ids, pair_people, _SEP).reindex(people).to_numpy(),
    )


# ------------------------------------------------------------------- report
#: Columns of :func:`roster_report`, in order.
REPORT_COLUMNS: tuple[str, ...] = (
    "reason",
    "code",
    "level",
    "unit_id",
    "unit_name",
    "name",
    "river_id",
    "river_name",
    "km",
    "n_reaches",
    "detail",
)


def _names(frame: pd.DataFrame, id_col: str) -> dict[str, str]:
    """Map ids to names (the id where the name is missing)."""
    ids = frame[id_col].astype("str")
    return dict(zip(ids, frame["name"].astype("str").fillna(ids), strict=True))


def roster_report(
    resp: Responsibility,
    *,
    max_km: float | None = None,
    max_reaches: int | None = None,
    fence: float = FENCE,
    min_people: int = MIN_PEOPLE,
    lang: str = "zh",
) -> pd.DataFrame:
    """Gaps and conflicts of the roster. The engine of :meth:`Responsibility.roster_report`."""
    check_lang(lang)
    fence = check_number("fence", fence)
    min_people = check_count("min_people", min_people)
    max_km = None if max_km is None else check_number("max_km", max_km)
    max_reaches = None if max_reaches is None else check_count("max_reaches", max_reaches)
    roster = _stored_roster(resp)
    long = _assignments(resp.reaches, resp.units, resp.levels, roster)
    placed = long[long["unit_id"].notna()]
    unit_name = _names(resp.units, "unit_id")
    river_name = _names(resp.rivers, "river_id")
    rows = [
        *_report_gaps(placed, resp.levels, river_name, lang),
        *_report_no_river(placed, roster, lang),
        *_report_conflicts(roster, unit_name, river_name, lang),
        *_report_not_in_unit(placed, roster, river_name, lang),
        *_report_overload(
            placed, roster, resp.levels, (max_km, max_reaches), (fence, min_people), lang
        ),
    ]
    out = pd.DataFrame(rows, columns=[c for c in REPORT_COLUMNS if c not in ("reason",)])
    out["reason"] = out["code"].map(lambda c: term(f"roster.{c}", lang))

    def names_of(ids: Any, table: dict[str, str]) -> Any:
        if not isinstance(ids, str):
            return np.nan
        return _SEP.join(table.get(x, x) for x in ids.split(_SEP))

    out["unit_name"] = out["unit_id"].map(lambda u: names_of(u, unit_name))
    out["river_name"] = out["river_id"].map(lambda r: names_of(r, river_name))
    out = out[list(REPORT_COLUMNS)]
    out["km"] = out["km"].astype(float)
    out["n_reaches"] = out["n_reaches"].astype("Int64")
    text = [c for c in REPORT_COLUMNS if c not in ("km", "n_reaches")]
    out[text] = out[text].astype("str")
    return out.reset_index(drop=True)


def _report_gaps(
    placed: pd.DataFrame, levels: Sequence[str], river_name: dict[str, str], lang: str
) -> list[dict[str, Any]]:
    """Units with reaches and no chief for some or all of them: one row per unit."""
    gap = placed[placed["person"].isna()]
    if not len(gap):
        return []
    gap = gap.assign(km=gap["share"] * gap["length_m"] / 1000.0)
    per_unit = gap.groupby(["level_rank", "unit_id"], sort=True).agg(
        km=("km", "sum"),
        n_reaches=("pos", "nunique"),
        river_id=("river_id", lambda s: _SEP.join(dict.fromkeys(s))),
    )
    rows = []
    for (rank, uid), rec in zip(per_unit.index, per_unit.to_dict("records"), strict=True):
        which = join_list((river_name.get(r, r) for r in str(rec["river_id"]).split(_SEP)), lang)
        n, km = int(rec["n_reaches"]), float(rec["km"])
        detail = term("roster.detail.no_chief", lang, n=n, km=f"{km:.1f}", rivers=which)
        rows.append(
            {
                "code": "no_chief",
                "level": levels[int(rank)],
                "unit_id": uid,
                "name": np.nan,
                "river_id": rec["river_id"],
                "km": km,
                "n_reaches": n,
                "detail": detail,
            }
        )
    return rows


def _report_no_river(placed: pd.DataFrame, roster: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """General chiefs whose unit has no river reach."""
    idle = roster[roster["river_id"].isna() & ~roster["unit_id"].isin(placed["unit_id"].unique())]
    return [
        {
            "code": "no_river",
            "level": rec["level"],
            "unit_id": rec["unit_id"],
            "name": rec["name"],
            "river_id": np.nan,
            "km": 0.0,
            "n_reaches": 0,
            "detail": term("roster.detail.no_river", lang, unit=rec["unit_name"]),
        }
        for rec in idle.to_dict("records")
    ]


def _report_conflicts(
    roster: pd.DataFrame, unit_name: dict[str, str], river_name: dict[str, str], lang: str
) -> list[dict[str, Any]]:
    """一河一长: two or more people listed as 河长 for one river in one unit."""
    named = roster[roster["river_id"].notna() & (roster["role"] == _PRINCIPAL)]
    people = named.groupby(["unit_id", "river_id"], sort=False)["person"].nunique()
    rows = []
    for uid, rid in people.index[people.to_numpy() > 1]:
        grp = named[(named["unit_id"] == uid) & (named["river_id"] == rid)]
        names = list(dict.fromkeys(grp["name"]))
        who = join_list(names, lang)
        unit, river = unit_name.get(uid, uid), river_name.get(rid, rid)
        rows.append(
            {
                "code": "conflict",
                "level": grp["level"].iloc[0],
                "unit_id": uid,
                "name": _SEP.join(names),
                "river_id": rid,
                "km": np.nan,
                "n_reaches": np.nan,
                "detail": term("roster.detail.conflict", lang, who=who, unit=unit, river=river),
            }
        )
    return rows


def _report_not_in_unit(
    placed: pd.DataFrame, roster: pd.DataFrame, river_name: dict[str, str], lang: str
) -> list[dict[str, Any]]:
    """Chiefs named for a river that does not pass through their unit."""
    present = placed[["unit_id", "river_id"]].drop_duplicates().assign(_present=True)
    named = roster[roster["river_id"].notna()].merge(
        present, on=["unit_id", "river_id"], how="left"
    )
    rows = []
    for rec in named[named["_present"].isna()].to_dict("records"):
        river, unit = river_name.get(rec["river_id"], rec["river_id"]), rec["unit_name"]
        rows.append(
            {
                "code": "river_not_in_unit",
                "level": rec["level"],
                "unit_id": rec["unit_id"],
                "name": rec["name"],
                "river_id": rec["river_id"],
                "km": 0.0,
                "n_reaches": 0,
                "detail": term("roster.detail.river_not_in_unit", lang, river=river, unit=unit),
            }
        )
    return rows


def _report_overload(
    placed: pd.DataFrame,
    roster: pd.DataFrame,
    levels: Sequence[str],
    limits: tuple[float | None, int | None],
    fences: tuple[float, int],
    lang: str,
) -> list[dict[str, Any]]:
    """List the people whose km or number of reaches at a level is an outlier at that level.

    ``limits`` are the fixed ``(max_km, max_reaches)``; ``fences`` the
    ``(fence, min_people)`` of the default limits (see :func:`_limit`).
    """
    held = placed[placed["person"].notna()]
    load = (
        held.assign(km=held["share"] * held["length_m"] / 1000.0)
        .groupby(["level_rank", "person"], sort=True)
        .agg(km=("km", "sum"), n_reaches=("pos", "nunique"), name=("name", "first"))
        .reset_index()
    )
    unit_of = _units_per_person(roster)
    rows = []
    for rank, grp in load.groupby("level_rank", sort=True):
        level = levels[int(str(rank))]
        km_limit = _limit(grp["km"], limits[0], *fences)
        n_limit = _limit(grp["n_reaches"], limits[1], *fences)
        over = (grp["km"].to_numpy(dtype=float) > km_limit) | (
            grp["n_reaches"].to_numpy(dtype=float) > n_limit
        )
        for rec in grp[over].to_dict("records"):  # only the people over a limit
            km, n = float(rec["km"]), int(rec["n_reaches"])
            parts = []
            if km > km_limit:
                parts.append(
                    term("roster.detail.over_km", lang, km=f"{km:.1f}", limit=f"{km_limit:.1f}")
                )
            if n > n_limit:
                parts.append(term("roster.detail.over_reaches", lang, n=n, limit=f"{n_limit:.1f}"))
            rows.append(
                {
                    "code": "overload",
                    "level": level,
                    "unit_id": unit_of.get((str(rec["person"]), level), np.nan),
                    "name": rec["name"],
                    "river_id": np.nan,
                    "km": km,
                    "n_reaches": n,
                    "detail": term("proposal.sep", lang).join(parts),
                }
            )
    return rows


def _units_per_person(roster: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Map (person, level) to the ``";"``-joined units the person serves at that level."""
    grouped = roster.groupby(["person", "level"], sort=True)
    group = grouped.ngroup().to_numpy()
    ok = group >= 0
    units = join_groups(roster["unit_id"].to_numpy(dtype=object)[ok], group[ok], _SEP, unique=True)
    keys = grouped.size().index
    return dict(
        zip(
            zip(
                keys.get_level_values(0).astype(str),
                keys.get_level_values(1).astype(str),
                strict=True,
            ),
            units.to_numpy(dtype=object)[np.argsort(units.index.to_numpy())],
            strict=True,
        )
    )


def _limit(values: pd.Series, given: float | None, fence: float, min_people: int) -> float:
    """Return the explicit limit, or Tukey's upper fence Q3 + fence·IQR; inf for small groups."""
    if given is not None:
        return float(given)
    if len(values) < min_people:
        return math.inf
    q1, q3 = np.percentile(values.to_numpy(dtype=float), [25, 75])
    return float(q3 + fence * (q3 - q1))


# --------------------------------------------------------------- signboards
def signboards(
    resp: Responsibility,
    level: str,
    *,
    hotline: str | Mapping[str, str] | None = None,
    supervisor: str | Mapping[str, str] | None = SUPERVISOR,
    per: str = "river",
    lang: str = "zh",
) -> pd.DataFrame:
    """Rows of the river chief signboards. The engine of :meth:`Responsibility.signboards`.

    ``board_id`` (after ``river``) is the code of the board's QR code,
    :func:`rivermap.events.board_code` of the board's unit and the river
    (NaN for a river without a chief unit), which :func:`rivermap.read_events`
    reads back from a scan (``board_hint``).

    ``per="river"``: a board per river whose chief level is ``level``, at its
    chief unit. ``per="stretch"`` (一河一长 at village level): a board per river
    and unit of ``level`` it runs through, for every river: the stretch's
    first and last chainage (桩号 ``K1+350``) as its ends, its length (a
    boundary reach shared by bank counts on both sides' boards), and the chiefs
    of that unit and its ancestors along the stretch.
    """
    check_lang(lang)
    check_choice("per", per, BOARD_PER)
    levels = resp.levels
    check_level(level, levels)
    units = resp.units
    unit_name = dict(zip(units["unit_id"].astype("str"), units["name"].astype("str"), strict=True))
    parent_of = dict(
        zip(units["unit_id"].astype("str"), clean_text(units["parent_id"]), strict=True)
    )
    roster = _stored_roster(resp) if resp.roster is not None else _empty_roster()
    if per == "stretch":
        out, long = _stretch_rows(resp, level, roster)
    else:
        out, long = _river_rows(resp, level, roster, lang)
    out["chief_unit_name"] = out["chief_unit"].map(unit_name)
    out = out[[*_BOARD_HEAD, "chief_unit_name", "start", "end", "length_km"]]
    for lv in levels:
        sub = long[long["level"] == lv].drop_duplicates(["key", "person"])
        keys = sub["key"].to_numpy(dtype=object)
        agg = pd.DataFrame(
            {
                field: join_groups(
                    sub[field].fillna("").to_numpy(dtype=object), keys, _SEP, sort=False
                )
                for field in ("name", "title", "phone")
            }
        )
        for suffix, field in (("", "name"), ("_title", "title"), ("_phone", "phone")):
            vals = out.index.map(agg[field].to_dict()) if len(agg) else np.nan
            col = pd.Series(vals, index=out.index).astype("str")
            out[f"chief_{lv}{suffix}"] = col.where(col.str.strip(_SEP) != "")
    out["supervisor"] = _per_unit(supervisor, out["chief_unit"], unit_name, parent_of)
    out["hotline"] = _per_unit(hotline, out["chief_unit"], unit_name, parent_of)
    text = [c for c in out.columns if c != "length_km"]
    out[text] = out[text].astype("str")
    return out.reset_index(drop=True)


#: The first columns of a board row, before the unit's name, the ends and the length.
_BOARD_HEAD = ("river_id", "river", "board_id", "chief_level", "chief_unit")


def _river_rows(
    resp: Responsibility, level: str, roster: pd.DataFrame, lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return a row per river of chief level ``level``, and its chiefs per (reach, level).

    Both are keyed by ``key`` (the river id): the rows as their index.
    """
    rivers = resp.rivers
    rivers = rivers[rivers["chief_level"].astype("str") == level].reset_index(drop=True)
    reaches = resp.reaches
    reaches = reaches[reaches["river_id"].astype("str").isin(rivers["river_id"].astype("str"))]
    reaches = reaches.reset_index(drop=True)
    long = _assignments(reaches, resp.units, resp.levels, roster)
    long = long[long["person"].notna()].sort_values(["from_m", "side"], kind="stable")
    out = pd.DataFrame(
        {
            "river_id": rivers["river_id"].astype("str"),
            "river": rivers["name"].astype("str").fillna(rivers["river_id"].astype("str")),
            "chief_level": level,
            "chief_unit": clean_text(rivers["chief_unit"]),
        }
    )
    out["board_id"] = [
        board_code(u, r) if isinstance(u, str) else np.nan
        for u, r in zip(out["chief_unit"], out["river_id"], strict=True)
    ]
    start, end = _ends(resp, reaches, out["river_id"], level, lang)
    out["start"] = start
    out["end"] = end
    out["length_km"] = rivers["length_m"].to_numpy(dtype=float) / 1000.0
    out.index = pd.Index(out["river_id"].to_numpy(dtype=object))
    return out, long.assign(key=long["river_id"])


def _stretch_rows(
    resp: Responsibility, level: str, roster: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return a row per river and unit of ``level`` on it, and the chiefs along each stretch.

    Both are keyed by ``key`` (``river`` and ``unit`` joined): the rows as
    their index, in river order and then upstream first.
    """
    levels = resp.levels
    reaches = resp.reaches.reset_index(drop=True)
    long = _assignments(reaches, resp.units, levels, roster)
    mine = long[(long["level"] == level) & pd.notna(long["unit_id"])]
    mine = mine.drop_duplicates(["pos", "unit_id"])[["pos", "river_id", "unit_id"]]
    mine = mine.assign(
        key=mine["river_id"] + "\x1f" + mine["unit_id"],
        from_m=reaches["from_m"].to_numpy(dtype=float)[mine["pos"]],
        to_m=reaches["to_m"].to_numpy(dtype=float)[mine["pos"]],
        length_m=reaches["length_m"].to_numpy(dtype=float)[mine["pos"]],
    )
    rows = mine.groupby("key", sort=False).agg(
        river_id=("river_id", "first"), chief_unit=("unit_id", "first"),
        from_m=("from_m", "min"), to_m=("to_m", "max"), length_m=("length_m", "sum"),
    )  # fmt: skip
    order = pd.Index(resp.rivers["river_id"].astype("str")).get_indexer(pd.Index(rows["river_id"]))
    rows = rows.assign(_order=order).sort_values(["_order", "from_m"], kind="stable")
    names = resp.rivers.set_index(resp.rivers["river_id"].astype("str"))["name"]
    out = pd.DataFrame(
        {
            "river_id": rows["river_id"],
            "river": rows["river_id"].map(names).astype(object).fillna(rows["river_id"]),
            "board_id": [board_code(u, r) for u, r in zip(rows["chief_unit"], rows["river_id"],
                                                           strict=True)],
            "chief_level": level,
            "chief_unit": rows["chief_unit"],
            "start": rows["from_m"].map(chainage_text),
            "end": rows["to_m"].map(chainage_text),
            "length_km": rows["length_m"] / 1000.0,
        },
        index=rows.index,
    )  # fmt: skip
    # The chiefs along a stretch: on its reaches, of its unit and the unit's ancestors.
    along = long[long["person"].notna()].merge(
        mine[["pos", "key", "unit_id"]].rename(columns={"unit_id": "board_unit"}), on="pos"
    )
    anc = _ancestors(resp.units, levels).reindex(along["board_unit"]).to_numpy(dtype=object)
    rank = along["level"].map({lv: i for i, lv in enumerate(levels)}).to_numpy(dtype=int)
    along = along[along["unit_id"].to_numpy(dtype=object) == anc[np.arange(len(along)), rank]]
    return out, along.sort_values(["from_m", "side"], kind="stable")


def chainage_text(metres: float) -> str:
    """Return a chainage as river engineers write it (桩号): km, ``+``, metres.

    Examples
    --------
    >>> chainage_text(1350.4), chainage_text(0.0), chainage_text(12005.0)
    ('K1+350', 'K0+000', 'K12+005')
    """
    m = round(float(metres))
    return f"K{m // 1000}+{m % 1000:03d}"


def _empty_roster() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="str") for c in COLUMNS})
    return out.assign(person=pd.Series(dtype="str"))


def _per_unit(
    value: str | Mapping[str, str] | None,
    unit_ids: pd.Series,
    unit_name: Mapping[str, str],
    parent_of: Mapping[str, Any],
) -> pd.Series:
    if value is None:
        return pd.Series(np.nan, index=unit_ids.index, dtype="str")
    if isinstance(value, Mapping):
        return unit_ids.map(lambda u: value.get(u, np.nan)).astype("str")

    def fill(uid: Any) -> str:
        name = unit_name.get(uid, "") if isinstance(uid, str) else ""
        parent = parent_of.get(uid) if isinstance(uid, str) else None
        pname = unit_name.get(parent, name) if isinstance(parent, str) else name
        return value.format(unit=name, parent=pname)

    return unit_ids.map(fill).astype("str")


def _ends(
    resp: Responsibility, reaches: gpd.GeoDataFrame, river_ids: pd.Series, level: str, lang: str
) -> tuple[list[Any], list[Any]]:
    """Names of the units nearest each river's first and last point."""
    levels = resp.levels
    finest = levels[-1]
    units = resp.units
    units = units[units["geometry"].notna() & ~units.geometry.is_empty]
    if not len(reaches) or not len(units):
        return [np.nan] * len(river_ids), [np.nan] * len(river_ids)
    first = reaches.sort_values("from_m").drop_duplicates("river_id", keep="first")
    last = reaches.sort_values("to_m").drop_duplicates("river_id", keep="last")
    # Units of the finest level (of any level when the finest has none).
    cand = units[units["level"].astype("str") == finest]
    if not len(cand):
        cand = units
    crs = resp.summary.get("metric_crs")
    if reaches.crs is not None and crs:  # project only what the nearest-unit search uses
        first, last, cand = first.to_crs(crs), last.to_crs(crs), cand.to_crs(crs)
    cand_ids = cand["unit_id"].astype("str").to_numpy(dtype=object)
    tree = shapely.STRtree(cand.geometry.to_numpy())
    anc = _ancestors(resp.units, levels)
    name_of = dict(zip(units["unit_id"].astype("str"), units["name"].astype("str"), strict=True))
    below = list(levels[levels.index(level) + 1 :]) or [finest]

    chains = dict(zip(anc.index, anc[below].to_numpy(dtype=object).tolist(), strict=True))

    def label(uid: str) -> str:
        chain = chains.get(uid, [])
        parts = [name_of[u] for u in chain if isinstance(u, str) and u in name_of]
        if not parts:
            parts = [name_of.get(uid, uid)]
        return "".join(parts) if lang == "zh" else ", ".join(reversed(parts))

    def names(points: np.ndarray) -> dict[int, str]:
        src, idx = tree.query_nearest(points, all_matches=False)
        # one label per distinct nearest unit, then one dict entry per point
        used = np.unique(idx)
        labels = np.array([label(str(cand_ids[i])) for i in used], dtype=object)
        return dict(zip(src.tolist(), labels[np.searchsorted(used, idx)].tolist(), strict=True))

    def endpoint(geoms: np.ndarray, which: int) -> np.ndarray:
        multi = shapely.get_type_id(geoms) == shapely.GeometryType.MULTILINESTRING
        lines = geoms.copy()
        if multi.any():
            lines[multi] = shapely.get_geometry(geoms[multi], which)
        return np.asarray(shapely.get_point(lines, which))

    s_pts = endpoint(first.geometry.to_numpy(), 0)
    e_pts = endpoint(last.geometry.to_numpy(), -1)
    s_names = names(s_pts)
    e_names = names(e_pts)
    s_by = {r: s_names.get(i, np.nan) for i, r in enumerate(first["river_id"].astype(str))}
    e_by = {r: e_names.get(i, np.nan) for i, r in enumerate(last["river_id"].astype(str))}
    return [s_by.get(r, np.nan) for r in river_ids], [e_by.get(r, np.nan) for r in river_ids]


# ------------------------------------------------------------------ export
def roster_workbook(
    resp: Responsibility,
    *,
    hotline: str | None = None,
    lang: str = "zh",
    report: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the sheets of a roster check for a meeting: gaps, people, signboards per level.

    Parameters
    ----------
    resp
        A result with a roster (see :meth:`Responsibility.with_chiefs`).
    hotline
        The hotline printed on the signboards.
    lang
        ``"zh"`` or ``"en"``: sheet names and the report's wording.
    report
        The :meth:`~Responsibility.roster_report` when the caller has it already.

    Returns
    -------
    dict
        ``{sheet name: table}``: the :meth:`~Responsibility.roster_report`, the
        :attr:`~Responsibility.chiefs` and the signboards of every level that has
        rivers; write it with :func:`write_table`.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo()).with_chiefs(example_roster_path())
    >>> list(roster_workbook(resp))
    ['问题', '河长', '公示牌-省', '公示牌-市', '公示牌-区县']
    """
    sheets = {
        term("sheet.gaps", lang): resp.roster_report(lang=lang) if report is None else report,
        term("sheet.chiefs", lang): resp.chiefs,
    }
    for level in resp.levels:
        boards = resp.signboards(level, hotline=hotline, lang=lang)
        if len(boards):
            sheets[term("sheet.signboards", lang, level=level_label(level, lang))] = boards
    return sheets


def write_table(
    frames: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: PathLike,
    *,
    overwrite: bool = False,
    lang: str = "zh",
) -> Path:
    """Write a table (signboards, roster report, chiefs) to CSV or XLSX, atomically.

    Parameters
    ----------
    frames
        A DataFrame, or for ``.xlsx`` a mapping ``{sheet name: DataFrame}``
        written as sheets in order.
    path
        ``.csv`` (UTF-8 with BOM, which Excel opens correctly) or ``.xlsx``.
    overwrite
        Replace an existing file; without it an existing file raises
        :class:`~rivermap.errors.OutputExistsError`.
    lang
        ``"zh"`` or ``"en"``: headers (``河流名称``, ``市级河长`` …) and
        levels in that language (see :func:`rivermap.text.localize`).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "boards.csv"
    >>> _ = write_table(pd.DataFrame({"river": ["钱塘江"], "length_km": [151.8]}), out)
    >>> out.read_text(encoding="utf-8-sig").splitlines()[0]
    '河流名称,长度(公里)'
    """
    if isinstance(frames, pd.DataFrame):
        return write_tables(localize(frames, lang, table="chiefs"), path, overwrite=overwrite)
    people = {sheet: localize(f, lang, table="chiefs") for sheet, f in frames.items()}
    return write_tables(people, path, overwrite=overwrite)
