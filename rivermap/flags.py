"""Cross-unit flags: rivers whose responsibility at a level needs redrawing.

:func:`flags` (also :meth:`rivermap.Responsibility.flags`) looks at every river
at one or every level and returns one row per (river, level) whose
responsibility is split in a way a planner must look at:

* ``crosses``: more than one unit holds a *significant* share of the river;
* ``boundary``: the river runs along a boundary between two units of the level
  (a 界河 stretch) for at least ``min_length_m`` in all;
* ``reenters``: the river leaves a unit for another unit and later comes back;
* ``slivers``: pieces held by a unit whose share of the river is not significant.

A unit's holding is *significant* when it is at least ``min_share`` of the
river's length **and** at least ``min_length_m`` long; the lead unit (the one
holding most) always counts as significant. Every other unit that holds a piece
of the river is therefore either significant (it counts for ``crosses``) or a
sliver holder.

Each flag carries a proposal, the one :func:`rivermap.redivide` makes with
``policy="majority"``: slivers go to a neighbouring significant unit, a 界河
stretch to the side holding more of the river, stretches shorter than
``min_length_m`` join their longer neighbour, and the river is cut where the
responsible unit still changes.

The helpers here that cut a river into *runs* at one level are shared with
:mod:`rivermap.redivide`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["FLAG_COLUMNS", "REASONS", "flags", "write_flags"]

#: Reasons a river is flagged, in the order they appear in ``reasons``.
REASONS: tuple[str, ...] = ("crosses", "boundary", "reenters", "slivers")

#: Columns of the flags table, in order.
FLAG_COLUMNS: tuple[str, ...] = (
    "river_id",
    "name",
    "level",
    "units",
    "unit_names",
    "shares",
    "lengths_m",
    "n_units",
    "lead_unit",
    "lead_share",
    "handovers",
    "boundary_m",
    "n_slivers",
    "sliver_m",
    "reasons",
    "severity",
    "proposal",
    "proposal_zh",
    "n_segments",
    "split_at_m",
    "reassign",
    "parent_unit",
)

_TEXT_COLUMNS = frozenset(
    {
        "river_id",
        "name",
        "level",
        "units",
        "unit_names",
        "shares",
        "lengths_m",
        "lead_unit",
        "reasons",
        "proposal",
        "proposal_zh",
        "split_at_m",
        "reassign",
        "parent_unit",
    }
)
_INT_COLUMNS = frozenset({"n_units", "handovers", "n_slivers", "n_segments"})

# Severity weights: see :func:`flags`.
_W_OTHER = 10.0
_W_BOUNDARY = 5.0
# Chainages closer than this (metres) are the same point.
EPS_M = 1e-6

Policy = Literal["split", "majority", "parent"]
POLICIES: tuple[str, ...] = ("split", "majority", "parent")

#: Column headers for tables exported to CSV/XLSX, per language.
HEADERS: dict[str, dict[str, str]] = {
    "zh": {
        "river_id": "河流编码",
        "name": "河流名称",
        "level": "级别",
        "units": "涉及单位编码",
        "unit_names": "涉及单位",
        "shares": "长度占比",
        "lengths_m": "长度(米)",
        "n_units": "单位数",
        "lead_unit": "主要单位",
        "lead_share": "主要单位占比",
        "handovers": "交接次数",
        "boundary_m": "界河长度(米)",
        "n_slivers": "碎段数",
        "sliver_m": "碎段长度(米)",
        "reasons": "问题",
        "severity": "严重程度",
        "proposal": "建议(英文)",
        "proposal_zh": "建议",
        "n_segments": "建议段数",
        "split_at_m": "建议分段点(米)",
        "reassign": "建议调整河段",
        "parent_unit": "共同上级单位",
    },
    "en": {
        "river_id": "River ID",
        "name": "River",
        "level": "Level",
        "units": "Unit IDs (along the river)",
        "unit_names": "Units (along the river)",
        "shares": "Shares of river length",
        "lengths_m": "Lengths (m)",
        "n_units": "Units",
        "lead_unit": "Lead unit",
        "lead_share": "Lead share",
        "handovers": "Handovers",
        "boundary_m": "Along boundaries (m)",
        "n_slivers": "Slivers",
        "sliver_m": "Sliver length (m)",
        "reasons": "Reasons",
        "severity": "Severity",
        "proposal": "Proposal",
        "proposal_zh": "Proposal (Chinese)",
        "n_segments": "Proposed segments",
        "split_at_m": "Split at (m)",
        "reassign": "Reassign (from-to:unit)",
        "parent_unit": "Common parent unit",
    },
}

_REASONS_ZH = {"crosses": "跨界", "boundary": "界河", "reenters": "往复穿越", "slivers": "碎段"}


# ===================================================================== public
def flags(
    resp: Responsibility,
    level: str | None = None,
    *,
    min_share: float = 0.05,
    min_length_m: float = 200.0,
) -> pd.DataFrame:
    """Rivers whose responsibility at a level is split in a way a planner must look at.

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign`.
    level
        One of ``resp.levels``; None (default) flags every level.
    min_share
        A unit's holding is significant when it is at least this share (0–1)
        of the river's length ...
    min_length_m
        ... and at least this many metres. Also the least total length along
        boundaries (metres) that raises ``boundary``, and the shortest segment
        the proposal keeps.

    Returns
    -------
    pandas.DataFrame
        One row per flagged (river, level), most severe first, with columns

        * ``river_id``, ``name``, ``level``;
        * ``units``, ``unit_names``, ``shares`` (0–1 of the river's length, 3
          decimals) and ``lengths_m`` (1 decimal): ``";"``-joined, in the order
          the units first appear along the river. A 界河 stretch credits half its
          length to each side, as in ``resp.rivers``;
        * ``n_units``, ``lead_unit``, ``lead_share``;
        * ``handovers``: how often the responsible unit changes along the river
          (界河 stretches and stretches outside every unit are not counted as
          a unit of their own);
        * ``boundary_m``: length along boundaries between units of the level;
          ``n_slivers`` and ``sliver_m``: pieces held by non-significant units;
        * ``reasons``: comma-separated subset of ``crosses,boundary,reenters,slivers``;
        * ``severity`` = 10 · *s_other* + 5 · *s_boundary* + *handovers*, where
          *s_other* is the share of the river held by units other than the lead
          unit and *s_boundary* the share along boundaries between units of the
          level. A river split half and half with one handover scores 6; a river
          of one unit with a 5% sliver in its middle scores 2.5;
        * ``proposal`` (English) and ``proposal_zh`` (Chinese): readable text;
        * ``n_segments``: segments the proposal keeps; ``split_at_m``: its cuts
          (chainages in metres, ``";"``-joined); ``reassign``: the stretches it
          gives to another unit, as ``"from_m-to_m:unit_id;..."`` (slivers to a
          neighbour, 界河 stretches to one side); ``parent_unit``: the lowest
          common ancestor of the units involved (the ``parent`` policy's
          choice), empty when they share none.

        An empty result keeps these columns.

    Raises
    ------
    ValueError
        When ``level`` is not one of ``resp.levels`` or a threshold is out of range.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> table = flags(resp, "district")
    >>> fuchun = table[table["name"] == "富春江"].iloc[0]
    >>> fuchun["reasons"], int(fuchun["handovers"])
    ('crosses,boundary,reenters,slivers', 17)
    >>> list(table.columns[:4])
    ['river_id', 'name', 'level', 'units']
    """
    check_thresholds(min_share, min_length_m, length_name="min_length_m")
    levels = list(resp.levels) if level is None else [check_level(resp, level)]
    reaches = resp.reaches
    units = resp.units
    river_len = _river_lengths(resp)
    names = _river_names(resp)
    parts = []
    for lv in levels:
        lr = level_runs(reaches, units, lv, river_len)
        parts.append(_flags_at(lr, units, lv, min_share, min_length_m, names, resp.levels))
    out = pd.concat(parts, ignore_index=True) if parts else _empty_flags()
    if out.empty:
        return _empty_flags()
    level_rank = out["level"].map({lv: i for i, lv in enumerate(resp.levels)})
    order = np.lexsort(
        (out["river_id"].to_numpy(dtype=str), level_rank.to_numpy(), -out["severity"])
    )
    return out.iloc[order].reset_index(drop=True)


def write_flags(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    overwrite: bool = False,
) -> Path:
    """Write a flags table to a CSV or XLSX file for a meeting, atomically.

    Parameters
    ----------
    table
        As returned by :func:`flags`.
    path
        A ``.csv`` (UTF-8 with BOM, so Excel shows Chinese) or ``.xlsx`` file.
    lang
        ``"zh"`` (default) or ``"en"``: the language of the column headers.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> table = flags(rm.assign(*rm.datasets.load_demo()), "district")
    >>> out = write_flags(table, pathlib.Path(tempfile.mkdtemp()) / "flags.csv")
    >>> out.read_text(encoding="utf-8-sig").split(",")[:3]
    ['河流编码', '河流名称', '级别']
    """
    return write_tables({"flags": table}, path, lang=lang, overwrite=overwrite)


# ================================================================ shared bits
def join_groups(
    values: Any, keys: Any, sep: str, *, unique: bool = False, sort: bool = True
) -> pd.Series:
    """``sep.join`` of string ``values`` per key, without a Python call per group.

    The same as ``pd.Series(values).groupby(keys, sort=sort).agg(sep.join)``:
    values keep their order within a group, missing keys are dropped, and the
    result is indexed by the keys (sorted, or in order of first appearance).
    With ``unique=True`` a value repeated within a group is kept once (its
    first occurrence).

    Examples
    --------
    >>> join_groups(["a", "b", "c", "a"], ["y", "x", "y", "y"], ";", unique=True).to_dict()
    {'x': 'b', 'y': 'a;c'}
    """
    vals = np.asarray(values, dtype=object)
    codes, uniq = pd.factorize(pd.Series(np.asarray(keys, dtype=object)), sort=sort)
    keep = codes >= 0
    if unique:
        keep &= ~pd.DataFrame({"k": codes, "v": vals}).duplicated().to_numpy()
    codes, vals = codes[keep], vals[keep]
    order = np.argsort(codes, kind="stable")
    codes, vals = codes[order], vals[order]
    index = pd.Index(uniq)
    if not len(vals):
        return pd.Series(np.empty(0, dtype=object), index=index[:0], dtype=object)
    last = np.ones(len(codes), dtype=bool)
    last[:-1] = codes[1:] != codes[:-1]
    # one C-level join of values and separators, cut at the group ends
    tokens = np.empty(2 * len(vals), dtype=object)
    tokens[0::2] = vals
    tokens[1::2] = sep
    tokens[1::2][last] = "\x00"  # (object array: numpy's str arrays would drop NUL)
    parts = "".join(tokens[:-1].tolist()).split("\x00")
    if len(parts) != len(index):  # a value holds NUL itself: join group by group
        bounds = np.flatnonzero(last) + 1
        parts = [sep.join(g) for g in np.split(vals, bounds[:-1])]
    return pd.Series(np.asarray(parts, dtype=object), index=index, dtype=object)


def _block_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the blocks of equal consecutive values: (code per row, first row of each block)."""
    new = np.ones(len(values), dtype=bool)
    new[1:] = values[1:] != values[:-1]
    return np.cumsum(new) - 1, np.flatnonzero(new)


def _objects(values: Any) -> pd.Series:
    """Text as an object Series (NaN for missing): hashing and comparing it is much
    faster than pandas' Arrow-backed ``str`` dtype, which the constructors infer."""
    arr = np.asarray(values, dtype=object).copy()
    arr[pd.isna(arr)] = np.nan
    return pd.Series(arr, dtype=object)


def check_level(resp: Responsibility, level: str) -> str:
    """Return ``level`` when it is one of ``resp.levels``; raise ValueError otherwise."""
    if level not in resp.levels:
        msg = f"level must be one of {', '.join(map(repr, resp.levels))}; got {level!r}"
        raise ValueError(msg)
    return level


def check_thresholds(min_share: float, min_length: float, *, length_name: str) -> None:
    """Check a share in [0, 1] and a non-negative finite length."""
    for label, value in (("min_share", min_share), (length_name, min_length)):
        if not isinstance(value, int | float) or isinstance(value, bool):
            msg = f"{label} must be a number, got {type(value).__name__}"
            raise TypeError(msg)
        if not np.isfinite(value) or value < 0:
            msg = f"{label} must be a non-negative finite number, got {value!r}"
            raise ValueError(msg)
    if min_share > 1:
        msg = f"min_share is a share of the river's length (0–1), got {min_share!r}"
        raise ValueError(msg)


def _river_lengths(resp: Responsibility) -> pd.Series:
    rivers = resp.rivers
    return pd.Series(rivers["length_m"].to_numpy(dtype=float), index=rivers["river_id"].astype(str))


def _river_names(resp: Responsibility) -> pd.Series:
    rivers = resp.rivers
    return pd.Series(rivers["name"].to_numpy(dtype=object), index=rivers["river_id"].astype(str))


def ancestor_at(units: pd.DataFrame, level: str) -> pd.Series:
    """Map every unit_id to its ancestor (or itself) at ``level``; NaN above it."""
    ids = units["unit_id"].astype(str).to_numpy(dtype=object)
    pos = _ancestor_pos(_ancestor_chain(units), units["level"].to_numpy(dtype=object), level)
    out = np.full(len(ids), None, dtype=object)
    out[pos >= 0] = ids[pos[pos >= 0]]
    return pd.Series(out, index=ids, dtype=object)


def _ancestor_chain(units: pd.DataFrame) -> np.ndarray:
    """Row positions of each unit, its parent, grandparent, ... (-1 past the top).

    One row per unit and one column per step up (the unit itself first), as
    many steps as there are levels, plus one.
    """
    ids = pd.Index(units["unit_id"].astype(str).to_numpy(dtype=object))
    parent = np.append(ids.get_indexer(pd.Index(units["parent_id"].to_numpy(dtype=object))), -1)
    cur = np.arange(len(ids))
    cols = []
    for _ in range(units["level"].nunique() + 1):  # a handful of steps, each over all units
        cols.append(cur)
        cur = parent[cur]
        if (cur < 0).all():
            break
    return np.column_stack(cols) if cols else np.empty((len(ids), 0), dtype=np.int64)


def _ancestor_pos(chain: np.ndarray, unit_level: np.ndarray, level: str) -> np.ndarray:
    """Row position of each unit's ancestor (or itself) at ``level``; -1 where none.

    Should a chain meet the level twice (malformed data), the higher one wins.
    """
    n = chain.shape[0]
    if not n or not chain.shape[1]:
        return np.full(n, -1, dtype=np.int64)
    is_lv = np.append(unit_level == level, False)  # position -1: the sentinel
    hit = is_lv[chain]
    last = chain.shape[1] - 1 - np.argmax(hit[:, ::-1], axis=1)
    rows = np.arange(n)
    return np.where(hit[rows, last], chain[rows, last], -1)


def lowest_common_ancestor(
    units: pd.DataFrame, groups: pd.Series, levels: Sequence[str]
) -> pd.Series:
    """Lowest common ancestor of the units in each group.

    ``groups`` holds unit ids indexed by group key (one row per member);
    ``levels`` are the level names, top to bottom. The result maps each group
    key to the deepest unit every member descends from (members themselves
    count), NaN when they share none.
    """
    codes, keys = pd.factorize(groups.index, sort=False)
    out = np.full(len(keys), None, dtype=object)
    ids = units["unit_id"].astype(str).to_numpy(dtype=object)
    chain = _ancestor_chain(units)
    unit_level = units["level"].to_numpy(dtype=object)
    member = pd.Index(ids).get_indexer(pd.Index(groups.to_numpy(dtype=object)))
    ok = codes >= 0
    codes, member = codes[ok], member[ok]
    for lv in levels:  # top to bottom: deeper common ancestors overwrite
        anc = np.append(_ancestor_pos(chain, unit_level, lv), -1)[member]
        lo = np.full(len(keys), np.iinfo(np.int64).max)
        hi = np.full(len(keys), -1)
        np.minimum.at(lo, codes, anc)
        np.maximum.at(hi, codes, anc)
        common = (lo == hi) & (lo >= 0)
        out[common] = ids[lo[common]]
    return pd.Series(out, index=pd.Index(keys), dtype=object)


def level_runs(
    reaches: pd.DataFrame, units: pd.DataFrame, level: str, river_len: pd.Series
) -> pd.DataFrame:
    """Cut every river into runs with one state at ``level``.

    Returns one row per run, rivers in ``river_id`` order and runs in chainage
    order: ``river_id``, ``from_m``, ``to_m``, ``length_m``, ``state``
    (``"unit"``: held by ``unit``; ``"boundary"``: along the boundary between
    ``side_a`` (left) and ``side_b`` (right); ``"gap"``: outside every unit of
    the level), ``block`` (runs of one river between gaps share a block number,
    unique over all rivers) and ``river_length_m``.
    """
    keys = pd.DataFrame(
        {"river_id": reaches["river_id"].to_numpy(), "from_m": reaches["from_m"].to_numpy()}
    )
    order = keys.sort_values(["river_id", "from_m"], kind="stable").index.to_numpy()

    def col(name: str) -> np.ndarray:
        return _nan_to_none(reaches[name].to_numpy(dtype=object)[order])

    anc = ancestor_at(units, level)
    anc_index = pd.Index(anc.index)
    anc_values = np.append(anc.to_numpy(dtype=object), np.array([None], dtype=object))

    def lifted(name: str) -> np.ndarray:
        return anc_values[anc_index.get_indexer(pd.Index(col(name), dtype=object))]

    unit = col(level)
    a, b = lifted("left_unit"), lifted("right_unit")
    unit_ok, a_ok, b_ok = _present(unit), _present(a), _present(b)
    on_bnd = ~unit_ok & (col("kind") == "boundary")
    same = a_ok & b_ok & (a == b)
    owner = unit.copy()
    take_a = on_bnd & a_ok & (~b_ok | same)
    owner[take_a] = a[take_a]
    take_b = on_bnd & b_ok & ~a_ok
    owner[take_b] = b[take_b]
    both = on_bnd & a_ok & b_ok & ~same
    state = np.where(_present(owner), "unit", np.where(both, "boundary", "gap")).astype(object)
    none = np.full(len(both), None, dtype=object)
    side_a = np.where(both, a, none)
    side_b = np.where(both, b, none)
    river = np.asarray(pd.Series(reaches["river_id"].to_numpy()[order]).astype(str), dtype=object)
    from_m = reaches["from_m"].to_numpy(dtype=float)[order]
    to_m = reaches["to_m"].to_numpy(dtype=float)[order]
    # a new run where the river or the state, unit or sides change ("" for missing)
    new_run = np.zeros(len(river), dtype=bool)
    new_run[:1] = True
    for values in (river, state, owner, side_a, side_b):
        v = np.where(_present(values), values, "")
        new_run[1:] |= v[1:] != v[:-1]
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(river)) - 1
    runs = pd.DataFrame(
        {
            "river_id": river[starts],
            "from_m": from_m[starts],
            "to_m": to_m[ends],
            "state": state[starts],
            "unit": owner[starts],
            "side_a": side_a[starts],
            "side_b": side_b[starts],
        }
    )
    runs["length_m"] = runs["to_m"] - runs["from_m"]
    gap = (runs["state"] == "gap").to_numpy()
    first = np.ones(len(starts), dtype=bool)
    first[1:] = river[starts][1:] != river[starts][:-1]
    runs["block"] = np.cumsum(first | gap)
    at = pd.Index(river_len.index).get_indexer(pd.Index(river[starts], dtype=object))
    lengths = np.append(river_len.to_numpy(dtype=float), np.nan)
    runs["river_length_m"] = lengths[at]
    return runs


def _present(values: np.ndarray) -> np.ndarray:
    return ~pd.isna(values)


def _nan_to_none(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=object).copy()
    out[pd.isna(out)] = None
    return out


def credits_of(runs: pd.DataFrame) -> pd.DataFrame:
    """Length each unit holds in each river at the runs' level.

    A run credits its unit in full; a boundary run credits each side half.
    Returns ``river_id``, ``unit``, ``length_m``, ``share`` (of the river's
    length), ``order`` (0, 1, … in order of first appearance along the river)
    and ``lead`` (True for the unit holding most, ties to the smaller id).
    """
    state = runs["state"].to_numpy(dtype=object)
    own = np.flatnonzero(state == "unit")
    bnd = np.flatnonzero(state == "boundary")
    if not len(own) and not len(bnd):
        return pd.DataFrame(
            {
                "river_id": pd.Series(dtype=object),
                "unit": pd.Series(dtype=object),
                "length_m": pd.Series(dtype=float),
                "share": pd.Series(dtype=float),
                "order": pd.Series(dtype=np.int64),
                "lead": pd.Series(dtype=bool),
            }
        )
    # runs are sorted by river: number the rivers by block
    river_ids = runs["river_id"].to_numpy(dtype=object)
    rcode, rstart = _block_codes(river_ids)
    length = runs["length_m"].to_numpy(dtype=float)
    start = runs["from_m"].to_numpy(dtype=float)
    pick = np.concatenate([own, bnd, bnd])
    unit = np.concatenate(
        [
            runs["unit"].to_numpy(dtype=object)[own],
            runs["side_a"].to_numpy(dtype=object)[bnd],
            runs["side_b"].to_numpy(dtype=object)[bnd],
        ]
    )
    rows_len = np.concatenate([length[own], length[bnd] / 2, length[bnd] / 2])
    sub = np.repeat([0, 1, 2], [len(own), len(bnd), len(bnd)])
    rows_river, rows_first = rcode[pick], start[pick]
    ucode, uniq = pd.factorize(unit)
    order = np.lexsort((sub, rows_first, rows_river))
    key = (rows_river * (len(uniq) + 1) + ucode)[order]
    # sum and first chainage per (river, unit), in order of appearance (as groupby does)
    g = pd.Series(rows_len[order]).groupby(key, sort=False)
    sums = g.sum()
    firsts = pd.Series(rows_first[order]).groupby(key, sort=False).min()
    pair_first = _first_per(pd.Index(sums.index).get_indexer(key), len(sums))
    pr = rows_river[order][pair_first]
    pu = unit[order][pair_first]
    plen = sums.to_numpy(dtype=float)
    pfirst = firsts.to_numpy(dtype=float)
    o = np.lexsort((pfirst, pr))
    pr, pu, plen = pr[o], pu[o], plen[o]
    _, blocks = _block_codes(pr)
    rank = np.arange(len(pr)) - np.repeat(blocks, np.diff(np.append(blocks, len(pr))))
    total = runs["river_length_m"].to_numpy(dtype=float)[rstart][pr]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, plen / total, 1.0)
    # the lead: most length, ties to the smaller unit id
    unit_rank = pd.Series(pu).rank(method="dense").to_numpy()
    by_len = np.lexsort((unit_rank, -plen, pr))
    lead = np.zeros(len(pr), dtype=bool)
    lead[by_len[np.r_[True, pr[by_len][1:] != pr[by_len][:-1]]]] = True
    return pd.DataFrame(
        {
            "river_id": river_ids[rstart][pr],
            "unit": pu,
            "length_m": plen,
            "order": rank,
            "share": share,
            "lead": lead,
        }
    )


def significant_units(credits: pd.DataFrame, min_share: float, min_length_m: float) -> pd.Series:
    """True where a unit's holding is significant (see the module docstring)."""
    sig = (credits["share"] >= min_share - 1e-12) & (credits["length_m"] >= min_length_m - EPS_M)
    return sig | credits["lead"]


def resolve(
    runs: pd.DataFrame,
    credits: pd.DataFrame,
    units: pd.DataFrame,
    *,
    policy: str,
    min_share: float,
    min_segment_m: float,
    levels: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give every non-gap run one unit under ``policy``; return (runs, segments).

    The runs gain ``holder`` (who holds the run now: a unit id, or
    ``"A;B"`` for a boundary run) and ``unit`` (who the policy gives it to).
    Segments are the maximal stretches of one unit within a block:
    ``river_id``, ``from_m``, ``to_m``, ``length_m``, ``unit``, ``block``,
    ``boundary_m`` (length along boundaries inside the segment) and ``holders``
    (the runs' holders, ``";"``-joined without repeats).
    """
    runs = runs[runs["state"] != "gap"].reset_index(drop=True).copy()
    holder = runs["unit"].where(
        runs["state"] == "unit", runs["side_a"].fillna("") + ";" + runs["side_b"].fillna("")
    )
    runs["holder"] = holder
    # (river, unit) pairs as integers: rivers numbered over credits and runs, units over credits
    c_river = credits["river_id"].to_numpy(dtype=object)
    r_river = runs["river_id"].to_numpy(dtype=object)
    rcodes = pd.factorize(np.concatenate([c_river, r_river]))[0]
    c_rc, r_rc = rcodes[: len(c_river)], rcodes[len(c_river) :]
    c_unit_codes, c_units = pd.factorize(credits["unit"].to_numpy(dtype=object))
    unit_index = pd.Index(c_units, dtype=object)
    width = len(c_units) + 1
    pair_index = pd.Index(c_rc * width + c_unit_codes)
    credit_len = np.append(credits["length_m"].to_numpy(dtype=float), -1.0)

    def pair_of(unit: pd.Series) -> np.ndarray:
        """Row in credits of each run's (river, unit); -1 where there is none."""
        u = unit_index.get_indexer(pd.Index(unit.to_numpy(dtype=object), dtype=object))
        at = pair_index.get_indexer(r_rc * width + u)
        return np.where(u >= 0, at, -1)

    def credit_of(river: pd.Series, unit: pd.Series) -> np.ndarray:
        return credit_len[pair_of(unit)]

    # 界河 runs go to the side holding more of the river (ties: the smaller id)
    bnd = (runs["state"] == "boundary").to_numpy()
    if bnd.any():
        ca = credit_of(runs["river_id"], runs["side_a"])
        cb = credit_of(runs["river_id"], runs["side_b"])
        pick_a = (ca > cb) | (
            (ca == cb)
            & (runs["side_a"].fillna("").astype(str) <= runs["side_b"].fillna("").astype(str))
        ).to_numpy()
        side = np.where(
            pick_a, runs["side_a"].to_numpy(dtype=object), runs["side_b"].to_numpy(dtype=object)
        )
        runs["unit"] = np.where(bnd, side, runs["unit"].to_numpy(dtype=object))

    if policy in ("majority", "parent") and len(runs):
        sig = np.append(significant_units(credits, min_share, min_segment_m).to_numpy(bool), False)
        is_sig = sig[pair_of(runs["unit"])]
        sig_unit = runs["unit"].where(is_sig)
        prev_u = sig_unit.groupby(runs["block"]).ffill()
        next_u = sig_unit.groupby(runs["block"]).bfill()
        cp = credit_of(runs["river_id"], prev_u)
        cn = credit_of(runs["river_id"], next_u)
        has_p, has_n = prev_u.notna().to_numpy(), next_u.notna().to_numpy()
        take_prev = has_p & (
            ~has_n
            | (cp > cn)
            | (
                (cp == cn)
                & (prev_u.fillna("").astype(str) <= next_u.fillna("").astype(str)).to_numpy()
            )
        )
        lead = credits[credits["lead"]].set_index("river_id")["unit"]
        fallback = runs["river_id"].map(lead).to_numpy(dtype=object)
        new = np.where(
            take_prev,
            prev_u.to_numpy(dtype=object),
            np.where(has_n, next_u.to_numpy(dtype=object), fallback),
        )
        runs["unit"] = np.where(is_sig, runs["unit"].to_numpy(dtype=object), new)

    runs["unit"] = merge_short(runs, min_segment_m)

    if policy == "parent" and len(runs):
        n_units = runs.groupby("river_id")["unit"].nunique()
        multi = n_units[n_units > 1].index
        sel = runs["river_id"].isin(multi).to_numpy()
        if sel.any():
            members = runs.loc[sel, ["river_id", "unit"]].drop_duplicates()
            lca = lowest_common_ancestor(units, members.set_index("river_id")["unit"], levels)
            parent = runs["river_id"].map(lca)
            ok = sel & parent.notna().to_numpy()
            runs["unit"] = np.where(
                ok, parent.to_numpy(dtype=object), runs["unit"].to_numpy(dtype=object)
            )
    return runs, _segments_of(runs)


def merge_short(runs: pd.DataFrame, min_m: float) -> np.ndarray:
    """Units after stretches shorter than ``min_m`` joined their longer neighbour.

    ``runs`` are non-gap runs with ``river_id``, ``block``, ``from_m``,
    ``to_m`` and ``unit``, sorted by chainage. Neighbours are runs of the same
    block; a stretch with no neighbour stays. Shortest stretches go first; a
    tie between neighbours goes upstream. Returns the new unit of every run.
    """
    unit = runs["unit"].to_numpy(dtype=object).copy()
    if not len(runs) or min_m <= 0:
        return unit
    block = runs["block"].to_numpy()
    lo = runs["from_m"].to_numpy(dtype=float)
    hi = runs["to_m"].to_numpy(dtype=float)
    for _ in range(len(runs)):
        # collapse equal neighbours into stretches
        same = np.zeros(len(unit), dtype=bool)
        same[1:] = (block[1:] == block[:-1]) & (unit[1:] == unit[:-1])
        sid = np.cumsum(~same) - 1
        n = int(sid[-1]) + 1
        s_lo = np.full(n, np.inf)
        np.minimum.at(s_lo, sid, lo)
        s_hi = np.full(n, -np.inf)
        np.maximum.at(s_hi, sid, hi)
        s_len = s_hi - s_lo
        s_block = np.empty(n, dtype=block.dtype)
        s_block[sid] = block
        s_unit = np.empty(n, dtype=object)
        s_unit[sid] = unit
        has_p = np.zeros(n, dtype=bool)
        has_p[1:] = s_block[1:] == s_block[:-1]
        has_n = np.zeros(n, dtype=bool)
        has_n[:-1] = has_p[1:]
        cand = (s_len < min_m - EPS_M) & (has_p | has_n)
        if not cand.any():
            break
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), s_len))] = np.arange(n)
        prev_rank = np.r_[np.iinfo(np.int64).max, rank[:-1]]
        next_rank = np.r_[rank[1:], np.iinfo(np.int64).max]
        prev_cand = np.r_[False, cand[:-1]] & has_p
        next_cand = np.r_[cand[1:], False] & has_n
        pick = cand & (~prev_cand | (rank < prev_rank)) & (~next_cand | (rank < next_rank))
        prev_len = np.r_[-1.0, s_len[:-1]]
        next_len = np.r_[s_len[1:], -1.0]
        to_prev = has_p & (~has_n | (prev_len >= next_len))
        target = np.where(to_prev, np.arange(n) - 1, np.arange(n) + 1)
        new_s_unit = s_unit.copy()
        new_s_unit[pick] = s_unit[target[pick]]
        unit = new_s_unit[sid]
    return unit


def _joined_holders(runs: pd.DataFrame, sid: np.ndarray) -> pd.Series:
    """Per segment, the runs' holders split at ";" and joined without repeats."""
    holder = runs["holder"].to_numpy(dtype=object)
    state = runs["state"].to_numpy(dtype=object)
    side_a = _nan_to_none(runs["side_a"].to_numpy(dtype=object))
    side_b = _nan_to_none(runs["side_b"].to_numpy(dtype=object))
    own = state == "unit"
    ids = {*holder[own].tolist(), *side_a[~own].tolist(), *side_b[~own].tolist()} - {None}
    if own.all() or any(";" in str(u) for u in ids):  # general case: split every holder
        tokens = pd.Series(holder).str.split(";").explode()
        return join_groups(tokens.to_numpy(dtype=object), sid[tokens.index], ";", unique=True)
    # a boundary run's holder is "side_a;side_b" ("" for a missing side)
    rows = np.concatenate([np.flatnonzero(own), np.flatnonzero(~own), np.flatnonzero(~own)])
    tok = np.concatenate([holder[own], side_a[~own], side_b[~own]])
    tok[pd.isna(tok)] = ""
    order = np.argsort(rows, kind="stable")
    return join_groups(tok[order], sid[rows[order]], ";", unique=True)


def _segments_of(runs: pd.DataFrame) -> pd.DataFrame:
    if not len(runs):
        return pd.DataFrame(
            {
                "river_id": pd.Series(dtype=object),
                "from_m": pd.Series(dtype=float),
                "to_m": pd.Series(dtype=float),
                "length_m": pd.Series(dtype=float),
                "unit": pd.Series(dtype=object),
                "block": pd.Series(dtype=np.int64),
                "boundary_m": pd.Series(dtype=float),
                "holders": pd.Series(dtype=object),
            }
        )
    unit = runs["unit"].to_numpy(dtype=object)
    block = runs["block"].to_numpy()
    same = np.zeros(len(runs), dtype=bool)
    same[1:] = (block[1:] == block[:-1]) & (unit[1:] == unit[:-1])
    starts = np.flatnonzero(~same)
    ends = np.r_[starts[1:], len(runs)] - 1
    sid = np.cumsum(~same) - 1
    bnd_len = np.where(runs["state"] == "boundary", runs["length_m"], 0.0)
    holders = _joined_holders(runs, sid)
    seg = pd.DataFrame(
        {
            "river_id": runs["river_id"].to_numpy(dtype=object)[starts],
            "from_m": runs["from_m"].to_numpy(dtype=float)[starts],
            "to_m": runs["to_m"].to_numpy(dtype=float)[ends],
            "length_m": 0.0,
            "unit": unit[starts],
            "block": block[starts],
            "boundary_m": np.add.reduceat(bnd_len.astype(float), starts),
            "holders": holders.to_numpy(dtype=object),
        }
    )
    seg["length_m"] = seg["to_m"] - seg["from_m"]
    return seg


# ================================================================== the table
def _flags_at(
    lr: pd.DataFrame,
    units: pd.DataFrame,
    level: str,
    min_share: float,
    min_length_m: float,
    names: pd.Series,
    levels: Sequence[str],
) -> pd.DataFrame:
    cr = credits_of(lr)
    if cr.empty:
        return _empty_flags()
    unit_name = pd.Series(
        units["name"].to_numpy(dtype=object), index=units["unit_id"].astype(str).to_numpy()
    )
    cr["significant"] = significant_units(cr, min_share, min_length_m)
    # Credits and runs come sorted by river: rivers are contiguous blocks of rows,
    # numbered here so that per-river sums group by integers, not strings.
    cr_rid = cr["river_id"].to_numpy(dtype=object)
    cr_code, cr_starts = _block_codes(cr_rid)
    rivers = pd.Index(cr["river_id"].iloc[cr_starts].to_numpy(), dtype=cr["river_id"].dtype)
    n_riv = len(rivers)
    lr_rid = lr["river_id"].to_numpy(dtype=object)
    lr_code, lr_starts = _block_codes(lr_rid)
    lr_pos = pd.Index(lr_rid[lr_starts]).get_indexer(pd.Index(cr_rid[cr_starts]))
    lr_of = np.full(len(lr_starts), -1, dtype=np.int64)  # lr river -> position in rivers
    lr_of[lr_pos] = np.arange(n_riv)
    lr_riv = lr_of[lr_code]  # per run: position in rivers, -1 for rivers without credits

    def per_river(values: Any, at: np.ndarray, how: str = "sum") -> np.ndarray:
        """Sum (pandas' summation, as groupby by river id) or count of values per river."""
        ok = at >= 0
        if how == "size":
            return np.bincount(at[ok], minlength=n_riv)
        sums = pd.Series(np.asarray(values, dtype=float)[ok]).groupby(at[ok]).sum()
        return sums.reindex(pd.RangeIndex(n_riv), fill_value=0.0).to_numpy(dtype=float)

    sig = cr["significant"].to_numpy(dtype=bool)
    n_units = np.diff(np.r_[cr_starts, len(cr)])
    n_sig = np.add.reduceat(sig.astype(np.int64), cr_starts)
    is_lead = cr["lead"].to_numpy(dtype=bool)
    cr_len = cr["length_m"].to_numpy(dtype=float)
    lead_len = cr_len[is_lead]
    total_len = lr["river_length_m"].to_numpy(dtype=float)[lr_starts][lr_pos]
    held = per_river(cr_len, cr_code)

    state = lr["state"].to_numpy(dtype=object)
    lr_len = lr["length_m"].to_numpy(dtype=float)
    is_own = state == "unit"
    boundary_m = per_river(lr_len, np.where(state == "boundary", lr_riv, -1))

    # collapsed sequence of held units (界河 runs and gaps do not interrupt)
    lr_unit = lr["unit"].to_numpy(dtype=object)
    ucodes, uniq_units = pd.factorize(lr_unit)
    o_riv, o_unit = lr_riv[is_own], ucodes[is_own]
    seq_new = np.ones(len(o_riv), dtype=bool)
    seq_new[1:] = (o_riv[1:] != o_riv[:-1]) | (o_unit[1:] != o_unit[:-1])
    s_riv, s_unit = o_riv[seq_new], o_unit[seq_new]
    handovers = np.clip(per_river(None, s_riv, "size") - 1, 0, None)
    dup = pd.Series(s_riv * (len(uniq_units) + 1) + s_unit).duplicated().to_numpy()
    reenters = per_river(None, s_riv[dup], "size") > 0

    cr_ucode = pd.Index(uniq_units).get_indexer(pd.Index(cr["unit"].to_numpy(dtype=object)))
    # (river, unit) as one integer; units held only along boundaries get keys of their own
    pair = cr_code * (len(uniq_units) + 1) + cr_ucode
    pair = pd.Index(np.where(cr_ucode >= 0, pair, -1 - np.arange(len(pair))))
    at = pair.get_indexer(o_riv * (len(uniq_units) + 1) + o_unit)
    own_sig = np.where(at >= 0, sig[np.clip(at, 0, None)], True)
    sliver_at = np.where(own_sig, -1, o_riv)
    n_slivers = per_river(None, sliver_at, "size")
    sliver_m = per_river(lr_len[is_own], sliver_at)

    crosses = n_sig >= 2
    on_boundary = boundary_m >= min_length_m - EPS_M
    slivers = n_slivers > 0
    flagged = crosses | on_boundary | reenters | slivers
    if not flagged.any():
        return _empty_flags()
    keep = rivers[flagged]

    with np.errstate(divide="ignore", invalid="ignore"):
        tl = total_len
        s_other = np.where(tl > 0, (held - lead_len) / tl, 0.0)
        s_bnd = np.where(tl > 0, boundary_m / tl, 0.0)
    severity = _W_OTHER * s_other + _W_BOUNDARY * s_bnd + handovers.astype(float)

    reasons = _join_nonempty(
        [
            _pick(mask, name)
            for name, mask in zip(REASONS, (crosses, on_boundary, reenters, slivers), strict=True)
        ],
        ",",
    )

    cr_keep = flagged[cr_code]
    crk = cr[cr_keep]
    crk = crk.assign(
        uname=crk["unit"].map(unit_name).fillna(crk["unit"]).astype(str),
        share_s=crk["share"].map("{:.3f}".format),
        len_s=crk["length_m"].map("{:.1f}".format),
    )
    rk = cr_code[cr_keep]
    joined = {
        col: join_groups(crk[src].to_numpy(dtype=object), rk, ";").to_numpy(dtype=object)
        for col, src in (
            ("units", "unit"),
            ("unit_names", "uname"),
            ("shares", "share_s"),
            ("lengths_m", "len_s"),
        )
    }

    # the proposal: what redivide(policy="majority") gives for these rivers
    lr_keep = lr[(lr_riv >= 0) & flagged[np.clip(lr_riv, 0, None)]]
    pruns, psegs = resolve(
        lr_keep,
        cr[cr_keep],
        units,
        policy="majority",
        min_share=min_share,
        min_segment_m=min_length_m,
        levels=levels,
    )
    proposal = _proposals(pruns, psegs, keep)
    members = pd.Series(crk["unit"].to_numpy(dtype=object), index=crk["river_id"].to_numpy())
    parent = lowest_common_ancestor(units, members, levels).reindex(keep)

    sel = flagged
    out = pd.DataFrame(
        {
            "river_id": keep.astype(str),
            "name": names.reindex(keep).to_numpy(dtype=object),
            "level": level,
            "units": joined["units"],
            "unit_names": joined["unit_names"],
            "shares": joined["shares"],
            "lengths_m": joined["lengths_m"],
            "n_units": n_units[sel].astype(np.int64),
            "lead_unit": cr["unit"].to_numpy(dtype=object)[is_lead][sel],
            "lead_share": cr["share"].to_numpy(dtype=float)[is_lead][sel],
            "handovers": handovers[sel].astype(np.int64),
            "boundary_m": boundary_m[sel],
            "n_slivers": n_slivers[sel].astype(np.int64),
            "sliver_m": sliver_m[sel],
            "reasons": reasons[sel],
            "severity": np.round(severity[sel], 3),
            "n_segments": proposal["n_segments"].reindex(keep).to_numpy(dtype=np.int64),
            "split_at_m": proposal["split_at_m"].reindex(keep).to_numpy(dtype=object),
            "reassign": proposal["reassign"].reindex(keep).to_numpy(dtype=object),
            "parent_unit": parent.to_numpy(dtype=object),
        }
    )
    out["proposal"], out["proposal_zh"] = _texts(out, psegs, pruns, unit_name)
    return _typed(out)


def _river_pos(frame: pd.DataFrame, rivers: pd.Index) -> np.ndarray:
    """Position in ``rivers`` of each row's river (rows contiguous by river); -1 if absent."""
    rid = frame["river_id"].to_numpy(dtype=object)
    if not len(rid):
        return np.empty(0, dtype=np.int64)
    code, starts = _block_codes(rid)
    return np.asarray(rivers.get_indexer(pd.Index(rid[starts])), dtype=np.int64)[code]


def _per_river_text(values: Any, pos: np.ndarray, n: int, sep: str) -> np.ndarray:
    """``sep``-joined ``values`` per river position (0..n-1), "" where a river has none."""
    out = np.full(n, "", dtype=object)
    ok = pos >= 0
    joined = join_groups(np.asarray(values, dtype=object)[ok], pos[ok], sep)
    out[joined.index.to_numpy(dtype=np.int64)] = joined.to_numpy(dtype=object)
    return out


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """Format floats with ``spec`` (e.g. ``"{:.1f}"``) as an object array."""
    return np.asarray(pd.Series(values, dtype=float).map(spec.format), dtype=object)


def _sum_per(values: np.ndarray, pos: np.ndarray, n: int) -> np.ndarray:
    """Sum per position (pandas' groupby summation, as the per-river groupby it replaces)."""
    ok = pos >= 0
    sums = pd.Series(np.asarray(values, dtype=float)[ok]).groupby(pos[ok]).sum()
    return sums.reindex(pd.RangeIndex(n), fill_value=0.0).to_numpy(dtype=float)


def _first_per(pos: np.ndarray, n: int) -> np.ndarray:
    """Row of the first occurrence of each position 0..n-1; -1 where none."""
    first = np.full(n, -1, dtype=np.int64)
    ok = np.flatnonzero(pos >= 0)
    uniq, at = np.unique(pos[ok], return_index=True)
    first[uniq] = ok[at]
    return first


def _proposals(runs: pd.DataFrame, segs: pd.DataFrame, rivers: pd.Index) -> pd.DataFrame:
    """Machine-readable proposal fields per river."""
    n = len(rivers)
    spos = _river_pos(segs, rivers)
    n_seg = np.bincount(spos[spos >= 0], minlength=n)
    s_from = segs["from_m"].to_numpy(dtype=float)
    s_to = segs["to_m"].to_numpy(dtype=float)
    same_next = np.zeros(len(segs), dtype=bool)
    same_next[:-1] = spos[1:] == spos[:-1]
    nxt = np.append(s_from[1:], np.nan)
    with np.errstate(invalid="ignore"):
        cut = same_next & (np.abs(nxt - s_to) <= EPS_M)
    split_at = _per_river_text(_fmt(s_to[cut], "{:.1f}"), spos[cut], n, ";")

    unit = runs["unit"].to_numpy(dtype=object)
    changed = np.flatnonzero((runs["unit"] != runs["holder"]).to_numpy(dtype=bool))
    reassign = np.full(n, "", dtype=object)
    if len(changed):
        # consecutive changed runs going to the same unit are one stretch
        rpos = _river_pos(runs, rivers)[changed]
        c_unit = unit[changed]
        c_from = runs["from_m"].to_numpy(dtype=float)[changed]
        c_to = runs["to_m"].to_numpy(dtype=float)[changed]
        brk = np.ones(len(changed), dtype=bool)
        brk[1:] = (
            (rpos[1:] != rpos[:-1])
            | (c_unit[1:] != c_unit[:-1])
            | (np.abs(c_from[1:] - c_to[:-1]) > EPS_M)
        )
        first = np.flatnonzero(brk)
        last = np.append(first[1:], len(changed)) - 1
        text = (
            _fmt(c_from[first], "{:.1f}")
            + "-"
            + _fmt(c_to[last], "{:.1f}")
            + ":"
            + np.asarray(pd.Series(c_unit[first], dtype=object).astype(str), dtype=object)
        )
        reassign = _per_river_text(text, rpos[first], n, ";")
    return pd.DataFrame(
        {"n_segments": n_seg, "split_at_m": split_at, "reassign": reassign}, index=rivers
    )


def _texts(
    table: pd.DataFrame, segs: pd.DataFrame, runs: pd.DataFrame, unit_name: pd.Series
) -> tuple[list[str], list[str]]:
    """English and Chinese proposal text, one per flagged river (report text).

    The pieces are computed per river as arrays and joined as numpy object
    arrays; numbers are formatted only where they are shown.
    """
    rivers = pd.Index(table["river_id"].astype(str).to_numpy(dtype=object))
    n = len(rivers)
    name_index = pd.Index(unit_name.index)
    name_values = np.asarray(unit_name.to_numpy(dtype=object), dtype=object)

    def nm(ids: np.ndarray) -> np.ndarray:
        """Unit names; the id where there is no name, "?" where there is no id."""
        ids = np.asarray(ids, dtype=object)
        at = name_index.get_indexer(pd.Index(ids, dtype=object))
        out = np.where(at >= 0, name_values[np.clip(at, 0, None)], np.nan).astype(object)
        missing = pd.isna(out)
        out[missing] = ids[missing]
        out[pd.isna(out)] = "?"
        return np.asarray(pd.Series(out, dtype=object).astype(str), dtype=object)

    def km(values: np.ndarray) -> np.ndarray:
        return _fmt(np.asarray(values, dtype=float) / 1000, "{:,.1f}")

    spos = _river_pos(segs, rivers)
    s_unit = segs["unit"].to_numpy(dtype=object)
    n_seg = np.bincount(spos[spos >= 0], minlength=n)
    ucode = pd.factorize(s_unit)[0]
    pairs = pd.Series(spos * (ucode.max(initial=0) + 2) + ucode + 1).drop_duplicates()
    n_distinct = np.bincount(spos[pairs.index.to_numpy()], minlength=n)
    first_seg = _first_per(spos, n)
    only = np.full(n, "", dtype=object)
    has_seg = first_seg >= 0
    only[has_seg] = nm(s_unit[first_seg[has_seg]])
    # labels of the first four segments of rivers that are split
    seg_start = np.zeros(len(spos), dtype=np.int64)
    seg_start[spos >= 0] = first_seg[spos[spos >= 0]]
    rank = np.arange(len(spos)) - seg_start
    shown_seg = np.flatnonzero((spos >= 0) & (rank < 4))
    shown_seg = shown_seg[n_distinct[spos[shown_seg]] != 1]
    label = (
        nm(s_unit[shown_seg])
        + " "
        + km(segs["from_m"].to_numpy(dtype=float)[shown_seg])
        + "–"
        + km(segs["to_m"].to_numpy(dtype=float)[shown_seg])
        + " km"
    )
    seg_en = _per_river_text(label, spos[shown_seg], n, ", ")
    seg_zh = _per_river_text(label, spos[shown_seg], n, "、")

    rpos = _river_pos(runs, rivers)
    r_unit = runs["unit"].to_numpy(dtype=object)
    r_state = runs["state"].to_numpy(dtype=object)
    r_len = runs["length_m"].to_numpy(dtype=float)
    moved = (runs["unit"] != runs["holder"]).to_numpy(dtype=bool) & (r_state == "unit")
    mpos = np.where(moved, rpos, -1)
    mv_n = np.bincount(mpos[mpos >= 0], minlength=n)
    has_mv = mv_n > 0
    mv_km = np.full(n, "", dtype=object)
    mv_km[has_mv] = km(_sum_per(r_len, mpos, n)[has_mv])
    mfirst = _first_per(mpos, n)[has_mv]
    mv_span = np.full(n, "", dtype=object)
    mv_from = np.full(n, "", dtype=object)
    mv_to = np.full(n, "", dtype=object)
    mv_span[has_mv] = (
        km(runs["from_m"].to_numpy(dtype=float)[mfirst])
        + "–"
        + km(runs["to_m"].to_numpy(dtype=float)[mfirst])
    )
    mv_from[has_mv] = nm(runs["holder"].to_numpy(dtype=object)[mfirst])
    mv_to[has_mv] = nm(r_unit[mfirst])

    bpos = np.where(r_state == "boundary", rpos, -1)
    has_bd = np.bincount(bpos[bpos >= 0], minlength=n) > 0
    bd_km = np.full(n, "", dtype=object)
    bd_km[has_bd] = km(_sum_per(r_len, bpos, n)[has_bd])
    bfirst = _first_per(bpos, n)[has_bd]
    bd_pair = np.full(n, "", dtype=object)
    bd_pair[has_bd] = (
        nm(runs["side_a"].to_numpy(dtype=object)[bfirst])
        + "/"
        + nm(runs["side_b"].to_numpy(dtype=object)[bfirst])
    )

    parent = table["parent_unit"]
    parent_ok = (parent.notna() & (parent.astype(object) != "")).to_numpy(dtype=bool).copy()
    parent_ok &= table["n_units"].to_numpy() > 1
    parent_name = np.full(n, "", dtype=object)
    parent_name[parent_ok] = nm(parent.to_numpy(dtype=object)[parent_ok])

    # the split points shown: the first six cuts, in km
    cut = pd.Series(table["split_at_m"].astype(str).to_numpy(dtype=object)).str.split(";").explode()
    cut = cut[(cut.notna() & (cut != "")).to_numpy()]
    cut_rank = cut.groupby(level=0).cumcount().to_numpy()
    n_cuts = np.bincount(cut.index.to_numpy(dtype=np.int64), minlength=n)
    first6 = cut[cut_rank < 6]
    metres = np.fromiter(map(float, first6.to_numpy(dtype=object)), dtype=float, count=len(first6))
    shown_km = pd.Series(metres / 1000, index=first6.index).map("{:,.1f}".format)
    shown = _per_river_text(shown_km, shown_km.index.to_numpy(dtype=np.int64), n, ", ")
    shown = shown + np.where(n_cuts > 6, " …", "").astype(object)

    n_txt = _obj(pd.Series(n_seg).astype(str))
    more = np.where(n_seg > 4, " …", "").astype(object)
    whole = (n_seg > 0) & (n_distinct == 1)
    split = (n_seg > 0) & ~whole
    only, seg_en, seg_zh = _obj(only), _obj(seg_en), _obj(seg_zh)
    en1 = _pick(whole, "keep the river whole under " + only)
    zh1 = _pick(whole, "整河由" + only + "负责")
    en1 = _pick(
        split, "split into " + n_txt + " segments at " + shown + " km (" + seg_en + more + ")", en1
    )
    zh1 = _pick(split, "在 " + shown + " km 处分为 " + n_txt + " 段（" + seg_zh + more + "）", zh1)

    mv = mv_n > 0
    mv_more = _obj(pd.Series(mv_n - 1).astype(str))
    mv_all = _obj(pd.Series(mv_n).astype(str))
    extra_en = _pick(mv_n > 1, " and " + mv_more + " more")
    extra_zh = _pick(mv_n > 1, "等 " + mv_all + " 处")
    mv_km_t = _obj(mv_km)
    mv_span, mv_from, mv_to = _obj(mv_span), _obj(mv_from), _obj(mv_to)
    en2 = _pick(
        mv,
        "reassign "
        + mv_span
        + " km from "
        + mv_from
        + " to "
        + mv_to
        + extra_en
        + " ("
        + mv_km_t
        + " km in all)",
    )
    zh2 = _pick(
        mv,
        "将 "
        + mv_span
        + " km 由"
        + mv_from
        + "划归"
        + mv_to
        + extra_zh
        + "（共 "
        + mv_km_t
        + " km）",
    )

    bd_km_t, bd_pair = _obj(bd_km), _obj(bd_pair)
    en3 = _pick(
        has_bd,
        bd_km_t + " km runs along boundaries (first " + bd_pair + "): agree bank "
        "duties or give each stretch to the side holding more of the river",
    )
    zh3 = _pick(
        has_bd,
        "界河段共 " + bd_km_t + " km（如" + bd_pair + "）：明确左右岸分工，或划归占比较大的一方",
    )

    en4 = _pick(parent_ok, "or give the river to the common parent " + _obj(parent_name))
    zh4 = _pick(parent_ok, "或由共同上级" + _obj(parent_name) + "统一负责")

    en = _join_nonempty([en1, en2, en3, en4], "; ")
    zh = _join_nonempty([zh1, zh2, zh3, zh4], "；")
    has_en = en != ""
    en_s = pd.Series(en + ".")
    en_out = _pick(has_en, _obj(en_s.str[:1].str.upper() + en_s.str[1:]))
    zh_out = _pick(zh != "", zh + "。")
    return en_out.tolist(), zh_out.tolist()


def _obj(values: Any) -> np.ndarray:
    """Text as a numpy object array, "" where missing (``+`` concatenates elementwise)."""
    out = np.asarray(values, dtype=object).copy()
    out[pd.isna(out)] = ""
    return out


def _pick(mask: np.ndarray, text: Any, other: Any = "") -> np.ndarray:
    """``text`` where ``mask``, else ``other``, as an object array."""
    return np.where(np.asarray(mask, dtype=bool), text, other).astype(object)


def _join_nonempty(parts: Sequence[np.ndarray], sep: str) -> np.ndarray:
    """Join the non-empty strings of each row of ``parts`` with ``sep``."""
    out = parts[0]
    for part in parts[1:]:
        both = (out != "") & (part != "")
        out = np.where(both, out + sep + part, out + part).astype(object)
    return out


def _empty_flags() -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for col in FLAG_COLUMNS:
        if col in _TEXT_COLUMNS:
            data[col] = pd.Series(dtype="str")
        elif col in _INT_COLUMNS:
            data[col] = pd.Series(dtype=np.int64)
        else:
            data[col] = pd.Series(dtype=float)
    return pd.DataFrame(data)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(FLAG_COLUMNS)].copy()
    for col in _TEXT_COLUMNS:
        out[col] = out[col].astype("str")
    return out


# ==================================================================== export
def write_tables(
    tables: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    overwrite: bool = False,
    headers: dict[str, dict[str, str]] | None = None,
) -> Path:
    """Write tables to one XLSX (a sheet each) or CSV (the first table), atomically.

    Geometry columns are dropped; headers are translated with ``headers``
    (``{lang: {column: label}}``, default :data:`HEADERS`); columns without a
    label keep their name.
    """
    from rivermap.io import write_tables as write

    if lang not in ("zh", "en"):
        msg = f"lang must be 'zh' or 'en'; got {lang!r}"
        raise ValueError(msg)
    labels = dict(HEADERS[lang])
    if headers is not None:
        labels.update(headers.get(lang, {}))
    return write(tables, path, overwrite=overwrite, headers=labels)


def reasons_zh(reasons: str) -> str:
    """Translate a ``reasons`` value to Chinese (``"crosses,slivers"`` → ``"跨界、碎段"``)."""
    return "、".join(_REASONS_ZH.get(r, r) for r in reasons.split(",") if r)
