"""Patrol duties (巡河要求): how often, when, how long and how far each level's chiefs patrol.

Local rules differ: one county asks its county chiefs to patrol once a
quarter, township chiefs monthly and village chiefs weekly, from March to
December, each patrol at least 30 minutes and 2 km; another asks village
chiefs twice a month, at least 5 minutes and 300 m. So duties are a table, one
row per level:

========== =============================================================
column     meaning
========== =============================================================
level      a level of the responsibility (``district``), or its rank word
           (县级, 乡镇级, 村级 …) or name (区县 …)
period     ``week``, ``month``, ``quarter`` or ``year`` (周, 月, 季度, 年)
min_count  patrols required per period (应巡)
months     the months the duty applies: ``1-12``, ``3-12``, ``3,4,5`` …
min_minutes the shortest patrol that counts, in minutes
min_km     the shortest patrol that counts, in km
========== =============================================================

:data:`DEFAULT_DUTIES` is the pattern common to provincial rules: a
province's chiefs twice a year, a city's once a quarter, a county's
(district's) once a month, a township's (street's) three times a month
(每旬一次), a village's (community's) once a week, all year, each patrol at
least 15 minutes and 0.5 km. Levels rivermap does not know take the duty of
their position from the bottom (the finest level weekly, the one above it
monthly, then quarterly, then twice a year).

Examples
--------
>>> read_duties([{"level": "村级", "period": "每周", "min_count": 1, "months": "3-12",
...               "min_minutes": 30, "min_km": 2}], levels=("district", "street", "community"))
       level period  min_count    months  min_minutes  min_km
0  community   week          1   3-12         30.0     2.0
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rivermap._tables import header_key, load, map_headers
from rivermap.errors import SchemaError, format_ids
from rivermap.params import PERIODS
from rivermap.text import LEVELS, is_missing

__all__ = ["COLUMNS", "DEFAULT_DUTIES", "active_months", "default_duties", "read_duties"]

#: Columns of a duties table, in order.
COLUMNS: tuple[str, ...] = ("level", "period", "min_count", "months", "min_minutes", "min_km")

#: The default duty by known level name: (period, min_count).
DEFAULT_DUTIES: dict[str, tuple[str, int]] = {
    "country": ("year", 2),
    "province": ("year", 2),
    "city": ("quarter", 1),
    "prefecture": ("quarter", 1),
    "district": ("month", 1),
    "county": ("month", 1),
    "township": ("month", 3),
    "town": ("month", 3),
    "street": ("month", 3),
    "subdistrict": ("month", 3),
    "community": ("week", 1),
    "village": ("week", 1),
}
#: The default duty of an unknown level, by position from the bottom.
_BY_POSITION: tuple[tuple[str, int], ...] = (("week", 1), ("month", 1), ("quarter", 1))
_DEFAULT_MINUTES = 15.0
_DEFAULT_KM = 0.5
_ALL_MONTHS = "1-12"

#: Header aliases (read, not written).
_HEADERS: dict[str, tuple[str, ...]] = {
    "level": ("level", "级别", "层级", "河长级别"),
    "period": ("period", "周期", "考核周期", "频次周期"),
    "min_count": ("min_count", "count", "次数", "最少次数", "应巡次数"),
    "months": ("months", "月份", "执行月份", "active_months"),
    "min_minutes": ("min_minutes", "minutes", "最短时长", "时长", "每次最短时长(分钟)"),
    "min_km": ("min_km", "km", "最短里程", "里程", "每次最短里程(公里)"),
}
#: Period words (read, not written).
_PERIOD_WORDS: dict[str, str] = {
    "week": "week", "weekly": "week", "周": "week", "每周": "week",
    "month": "month", "monthly": "month", "月": "month", "每月": "month",
    "quarter": "quarter", "quarterly": "quarter", "季": "quarter", "季度": "quarter",
    "每季": "quarter", "每季度": "quarter",
    "year": "year", "yearly": "year", "annual": "year", "年": "year", "每年": "year",
}  # fmt: skip
#: Words for every month (read, not written).
_MONTH_WORDS: tuple[str, ...] = ("", "all", "全年", "全部", "1-12")
#: What is dropped from a months cell before reading it ("3-12月", "3月, 4月").
_MONTH_NOISE = re.compile(r"[\s月]")


def default_duties(levels: Sequence[str]) -> pd.DataFrame:
    """Return :data:`DEFAULT_DUTIES` for ``levels`` (top to bottom), one row per level.

    Examples
    --------
    >>> default_duties(("province", "city", "district"))[["level", "period", "min_count"]]
          level   period  min_count
    0  province     year          2
    1      city  quarter          1
    2  district    month          1
    """
    rows = []
    for pos, level in enumerate(reversed(levels)):
        period, count = DEFAULT_DUTIES.get(level) or _BY_POSITION[min(pos, 2)]
        rows.append((level, period, count, _ALL_MONTHS, _DEFAULT_MINUTES, _DEFAULT_KM))
    return pd.DataFrame(rows[::-1], columns=list(COLUMNS))


def read_duties(
    source: str | os.PathLike[str] | pd.DataFrame | Sequence[Mapping[str, Any]] | None,
    *,
    levels: Sequence[str],
) -> pd.DataFrame:
    """Read and check a duties table (see the module docstring) for a responsibility's levels.

    Parameters
    ----------
    source
        A CSV/XLSX file, a DataFrame, a list of dicts (a project file's
        ``[[duties]]`` tables), or None for :func:`default_duties`.
    levels
        The responsibility's levels, top to bottom; each row's level must be
        one of them (or its rank word or name).

    Returns
    -------
    DataFrame
        One row per level that has a duty, with :data:`COLUMNS`; ``months``
        in a canonical form (``"3-12"``, ``"1-3,10-12"``; see :func:`active_months`).

    Raises
    ------
    SchemaError
        An unknown level or period, a level given twice, a count that is not
        a whole number of 1 or more, months outside 1–12, negative minimums,
        or a missing ``level``/``period``/``min_count`` column. The message
        names the source, the rows and the column.
    """
    if source is None:
        return default_duties(levels)
    where, frame, rows = _load(source)
    bad: list[str] = []
    out = pd.DataFrame(
        {
            "level": _levels(frame["level"], levels, rows, bad),
            "period": _periods(frame["period"], rows, bad),
            "min_count": _counts(frame["min_count"], rows, bad),
            "months": _months(frame.get("months"), len(frame), rows, bad),
            "min_minutes": _minimums(
                frame.get("min_minutes"), _DEFAULT_MINUTES, rows, bad, "min_minutes"
            ),
            "min_km": _minimums(frame.get("min_km"), _DEFAULT_KM, rows, bad, "min_km"),
        }
    )
    twice = out["level"].duplicated(keep=False) & out["level"].notna()
    if twice.any():
        bad.append(
            f"rows {format_ids(rows[twice.to_numpy()])}, column 'level': a level given twice"
        )
    if bad:
        msg = f"{where}: {len(bad)} bad duty row(s): " + "; ".join(bad[:10])
        raise SchemaError(msg)
    order = {lv: i for i, lv in enumerate(levels)}
    return out.sort_values("level", key=lambda s: s.map(order)).reset_index(drop=True)


def active_months(text: str) -> frozenset[int]:
    """Return the months a canonical ``months`` value names.

    Examples
    --------
    >>> sorted(active_months("1-3,11-12"))
    [1, 2, 3, 11, 12]
    """
    out: set[int] = set()
    for part in str(text).split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return frozenset(out)


def _canonical(months: set[int]) -> str:
    """Return months as ranges: ``{3, 4, 5, 9}`` → ``"3-5,9"``."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][1] + 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    return ",".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs)


def _load(source: Any) -> tuple[str, pd.DataFrame, np.ndarray]:
    """Return a label for messages, the duties with :data:`COLUMNS` as headers, and row numbers."""
    if isinstance(source, Sequence) and not isinstance(source, str):
        if not all(isinstance(r, Mapping) for r in source):
            msg = "duties: a list of duties holds one table (dict) per level"
            raise TypeError(msg)
        source = pd.DataFrame(list(source))
    loaded = load(source, label="duties", caller="read_duties")
    fields = map_headers(loaded.frame, loaded.where, _HEADERS)
    frame = loaded.frame.rename(columns={col: field for field, col in fields.items()})
    missing = [c for c in ("level", "period", "min_count") if c not in frame.columns]
    if missing:
        msg = (
            f"{loaded.where}: no {', '.join(missing)} column; a duties table has the columns "
            f"{', '.join(COLUMNS)} (columns are {format_ids(list(loaded.frame.columns), limit=12)})"
        )
        raise SchemaError(msg)
    return loaded.where, frame, np.asarray(loaded.rows)


def _level_words(levels: Sequence[str]) -> dict[str, str]:
    """Return every word that names one of ``levels``: its name, label and rank words."""
    words: dict[str, str] = {}
    for level in levels:
        label, rank, english = LEVELS.get(level, (level, level, level))
        found = {level, label, rank, english, re.sub(r"\(.*?\)", "", rank)}
        inner = re.search(r"\((.*?)\)", rank)
        if inner:
            found.add(inner.group(1) + rank[-1])
        for word in found:
            words.setdefault(header_key(word), level)
    return words


def _levels(
    values: pd.Series, levels: Sequence[str], rows: np.ndarray, bad: list[str]
) -> pd.Series:
    """Return each row's level name; record rows whose level is unknown."""
    words = _level_words(levels)
    out = values.map(lambda v: words.get(header_key(v)) if not is_missing(v) else None)
    unknown = out.isna().to_numpy()
    if unknown.any():
        bad.append(
            f"rows {format_ids(rows[unknown])}, column 'level': unknown level(s) "
            f"{format_ids(values[unknown].astype(str).unique())}; the levels are "
            f"{', '.join(levels)}"
        )
    return out


def _periods(values: pd.Series, rows: np.ndarray, bad: list[str]) -> pd.Series:
    """Return each row's period code; record rows whose period is unknown."""
    out = values.map(lambda v: _PERIOD_WORDS.get(header_key(v)) if not is_missing(v) else None)
    unknown = out.isna().to_numpy()
    if unknown.any():
        bad.append(
            f"rows {format_ids(rows[unknown])}, column 'period': unknown period(s) "
            f"{format_ids(values[unknown].astype(str).unique())}; use one of {', '.join(PERIODS)}"
        )
    return out


def _counts(values: pd.Series, rows: np.ndarray, bad: list[str]) -> pd.Series:
    """Return each row's required count; record rows that are not whole numbers of 1 or more."""
    num = pd.to_numeric(values, errors="coerce")
    wrong = (num.isna() | (num < 1) | (num % 1 != 0)).to_numpy()
    if wrong.any():
        bad.append(
            f"rows {format_ids(rows[wrong])}, column 'min_count': not a whole number of 1 "
            f"or more ({format_ids(values[wrong].astype(str))})"
        )
    return num.fillna(0).astype(int)


def _months(values: pd.Series | None, n: int, rows: np.ndarray, bad: list[str]) -> list[str]:
    """Return each row's months in canonical form; record rows that name no month 1–12."""
    if values is None:
        return [_ALL_MONTHS] * n
    out = []
    wrong = np.zeros(n, dtype=bool)
    for i, value in enumerate(values.tolist()):
        text = "" if is_missing(value) else str(value).strip()
        if text.lower() in _MONTH_WORDS:
            out.append(_ALL_MONTHS)
            continue
        try:
            months = set(active_months(_MONTH_NOISE.sub("", text).replace("，", ",")))
        except ValueError:
            months = set()
        wrong[i] = not months or not months <= set(range(1, 13))
        out.append(_canonical(months) if not wrong[i] else text)
    if wrong.any():
        bad.append(
            f"rows {format_ids(rows[wrong])}, column 'months': give months 1–12 as "
            "'3-12' or '3,4,5'"
        )
    return out


def _minimums(
    values: pd.Series | None, default: float, rows: np.ndarray, bad: list[str], column: str
) -> pd.Series | float:
    """Return each row's minimum (the default where empty); record negative or bad ones."""
    if values is None:
        return default
    num = pd.to_numeric(values, errors="coerce")
    wrong = (num.isna() & ~values.map(is_missing).astype(bool)) | (num < 0)
    if wrong.any():
        bad.append(
            f"rows {format_ids(rows[wrong.to_numpy()])}, column {column!r}: "
            "not a number of 0 or more"
        )
    return num.fillna(default).astype(float)
