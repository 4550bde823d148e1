"""Level runs and credits: a river seen at one level, the library under flags, plans and chiefs.

A :class:`~rivermap.Responsibility` cuts every river into reaches whose unit is
the same at *every* level. At one level many neighbouring reaches share their
unit, so the analyses first merge them into **runs** (:func:`level_runs`):
maximal stretches of one river with one *state* at that level,

* ``unit``: held by one unit (a reach inside a unit of the level, or a
  boundary reach whose two sides belong to the same unit there);
* ``boundary``: along the boundary between two units of the level (a 界河
  stretch), with ``side_a`` (left bank) and ``side_b`` (right bank);
* ``gap``: outside every unit of the level. Gaps cut a river into *blocks*.

**Credits** (:func:`credits_of`) say how much of each river each unit holds
at the level: a run credits its unit in full, a boundary run half to each
side; the unit holding most is the river's *lead*. A holding is
*significant* (:func:`significant_units`) when it is at least ``min_share`` of
the river and ``min_length_m`` long, or is the lead.

:func:`resolve` gives every run one unit under a redivision policy (``split``,
``majority`` or ``parent``, see :func:`rivermap.redivide`) and merges the
result into segments; :func:`merge_short` joins stretches that are too short
into their longer neighbour; :func:`lowest_common_ancestor` finds the
``parent`` policy's unit. :func:`unit_table` is the one table of units
(``unit_id``, ``name``, ``level``, ``parent_id``) the analyses read.

Every function works on whole tables at once: rows are sorted by river and
chainage, rivers are numbered as contiguous blocks of rows, and per-river
results come from integer group keys, never a Python loop over rivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rivermap.errors import require_columns
from rivermap.text import is_missing, texts

__all__ = [
    "EPS_M",
    "ancestor_at",
    "block_codes",
    "credits_of",
    "empty_frame",
    "first_per",
    "join_groups",
    "level_runs",
    "lowest_common_ancestor",
    "merge_short",
    "resolve",
    "significant_units",
    "unit_table",
]

#: Chainages closer than this (metres) are the same point.
EPS_M = 1e-6


def empty_frame(**dtypes: Any) -> pd.DataFrame:
    """Return an empty table with these columns and dtypes, e.g. ``empty_frame(share=float)``."""
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in dtypes.items()})


def unit_table(units: Any) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Return the units' ``unit_id``, ``name``, ``level`` and ``parent_id``, and the levels.

    Parameters
    ----------
    units
        A :class:`~rivermap.Responsibility` (its ``units`` and ``levels``), an
        :class:`~rivermap.AdminUnits` (its ``frame`` and ``levels``) or a
        DataFrame with ``unit_id``, ``name``, ``level`` and optionally
        ``parent_id`` (levels in order of first appearance).

    Returns
    -------
    tuple
        The table, one row per unit in the input's order, ids as text and
        missing text as None; and the level names, top to bottom.

    Raises
    ------
    SchemaError
        A DataFrame lacks ``unit_id``, ``name`` or ``level``.
    TypeError
        ``units`` is none of these.
    """
    if isinstance(units, pd.DataFrame):
        table = units
        require_columns(table.columns, ("unit_id", "name", "level"), "units")
        levels = tuple(dict.fromkeys(table["level"].astype(str)))
    elif hasattr(units, "levels") and isinstance(getattr(units, "frame", None), pd.DataFrame):
        table, levels = units.frame, tuple(units.levels)  # AdminUnits
    elif hasattr(units, "levels") and isinstance(getattr(units, "units", None), pd.DataFrame):
        table, levels = units.units, tuple(units.levels)  # Responsibility
    else:
        msg = (
            "units must be an AdminUnits, a Responsibility or a DataFrame, "
            f"got {type(units).__name__}"
        )
        raise TypeError(msg)
    parent = (
        table["parent_id"] if "parent_id" in table.columns else pd.Series(None, index=table.index)
    )
    out = pd.DataFrame(
        {
            "unit_id": texts(table["unit_id"].astype(str)),
            "name": texts(table["name"]),
            "level": texts(table["level"]),
            "parent_id": texts(parent),
        }
    )
    return out, tuple(str(lv) for lv in levels)


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


def block_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Find the blocks of equal consecutive values: (code per row, first row of each block)."""
    new = np.ones(len(values), dtype=bool)
    new[1:] = values[1:] != values[:-1]
    return np.cumsum(new) - 1, np.flatnonzero(new)


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
        return texts(reaches[name].to_numpy(dtype=object)[order])

    anc = ancestor_at(units, level)
    anc_index = pd.Index(anc.index)
    anc_values = np.append(anc.to_numpy(dtype=object), np.array([None], dtype=object))

    def lifted(name: str) -> np.ndarray:
        return anc_values[anc_index.get_indexer(pd.Index(col(name), dtype=object))]

    state, owner, side_a, side_b = _holders(
        col(level), col("kind") == "boundary", lifted("left_unit"), lifted("right_unit")
    )
    river = np.asarray(pd.Series(reaches["river_id"].to_numpy()[order]).astype(str), dtype=object)
    from_m = reaches["from_m"].to_numpy(dtype=float)[order]
    to_m = reaches["to_m"].to_numpy(dtype=float)[order]
    # a new run where the river or the state, unit or sides change ("" for missing)
    new_run = np.zeros(len(river), dtype=bool)
    new_run[:1] = True
    for values in (river, state, owner, side_a, side_b):
        v = np.where(~is_missing(values), values, "")
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


def _holders(
    unit: np.ndarray, boundary: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return each reach's state at a level, the unit holding it, and a 界河 reach's sides.

    ``unit`` is the reach's unit at the level; ``a`` and ``b`` the left and
    right units of a boundary reach lifted to the level. A boundary reach whose
    two sides (or only side) are one unit at the level is held by it; with two
    units it is a ``"boundary"`` run between them; with none it is a ``"gap"``.
    """
    unit_ok, a_ok, b_ok = ~is_missing(unit), ~is_missing(a), ~is_missing(b)
    on_bnd = ~unit_ok & boundary
    same = a_ok & b_ok & (a == b)
    owner = unit.copy()
    take_a = on_bnd & a_ok & (~b_ok | same)
    owner[take_a] = a[take_a]
    take_b = on_bnd & b_ok & ~a_ok
    owner[take_b] = b[take_b]
    both = on_bnd & a_ok & b_ok & ~same
    state = np.where(~is_missing(owner), "unit", np.where(both, "boundary", "gap")).astype(object)
    none = np.full(len(both), None, dtype=object)
    return state, owner, np.where(both, a, none), np.where(both, b, none)


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
        return empty_frame(
            river_id=object, unit=object, length_m=float, share=float, order=np.int64, lead=bool
        )
    # runs are sorted by river: number the rivers by block
    river_ids = runs["river_id"].to_numpy(dtype=object)
    rcode, rstart = block_codes(river_ids)
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
    pair_first = first_per(pd.Index(sums.index).get_indexer(key), len(sums))
    pr = rows_river[order][pair_first]
    pu = unit[order][pair_first]
    plen = sums.to_numpy(dtype=float)
    pfirst = firsts.to_numpy(dtype=float)
    o = np.lexsort((pfirst, pr))
    pr, pu, plen = pr[o], pu[o], plen[o]
    _, blocks = block_codes(pr)
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
    """Tell where a unit's holding is significant (see the module docstring)."""
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

    The steps, in order: a 界河 run goes to the side holding more of the
    river (ties: the smaller id); under ``majority`` and ``parent`` a run of a
    unit whose holding is not significant goes to the nearer significant
    neighbour holding more; stretches shorter than ``min_segment_m`` join
    their longer neighbour (:func:`merge_short`); under ``parent`` a river
    still held by several units goes to their lowest common ancestor.
    """
    runs = runs[runs["state"] != "gap"].reset_index(drop=True).copy()
    runs["holder"] = runs["unit"].where(
        runs["state"] == "unit", runs["side_a"].fillna("") + ";" + runs["side_b"].fillna("")
    )
    held = _Held(credits, runs)
    runs["unit"] = _boundary_to_larger_side(runs, held)
    if policy in ("majority", "parent") and len(runs):
        sig = significant_units(credits, min_share, min_segment_m).to_numpy(bool)
        runs["unit"] = _slivers_to_neighbours(runs, held, sig, credits)
    runs["unit"] = merge_short(runs, min_segment_m)
    if policy == "parent" and len(runs):
        runs["unit"] = _rivers_to_parent(runs, units, levels)
    return runs, _segments_of(runs)


class _Held:
    """How much of each run's river a unit holds: credits looked up by (river, unit)."""

    def __init__(self, credits: pd.DataFrame, runs: pd.DataFrame) -> None:
        # rivers numbered over credits and runs, units over credits
        c_river = credits["river_id"].to_numpy(dtype=object)
        r_river = runs["river_id"].to_numpy(dtype=object)
        rcodes = pd.factorize(np.concatenate([c_river, r_river]))[0]
        self.run_river = rcodes[len(c_river) :]
        c_units, uniq = pd.factorize(credits["unit"].to_numpy(dtype=object))
        self.units = pd.Index(uniq, dtype=object)
        self.width = len(uniq) + 1
        self.pairs = pd.Index(rcodes[: len(c_river)] * self.width + c_units)
        self.length = np.append(credits["length_m"].to_numpy(dtype=float), -1.0)

    def row(self, unit: pd.Series) -> np.ndarray:
        """Return the credits row of each run's (river, unit); -1 where there is none."""
        u = self.units.get_indexer(pd.Index(unit.to_numpy(dtype=object), dtype=object))
        at = self.pairs.get_indexer(self.run_river * self.width + u)
        return np.where(u >= 0, at, -1)

    def metres(self, unit: pd.Series) -> np.ndarray:
        """Return the metres of each run's river that ``unit`` holds (-1 where none)."""
        return self.length[self.row(unit)]


def _first_wins(a: pd.Series, b: pd.Series, len_a: np.ndarray, len_b: np.ndarray) -> np.ndarray:
    """Tell where ``a`` holds more than ``b`` or as much with the smaller id."""
    ties = (a.fillna("").astype(str) <= b.fillna("").astype(str)).to_numpy()
    return (len_a > len_b) | ((len_a == len_b) & ties)


def _boundary_to_larger_side(runs: pd.DataFrame, held: _Held) -> np.ndarray:
    """Return the runs' units with every 界河 run given to the side holding more."""
    unit = runs["unit"].to_numpy(dtype=object)
    bnd = (runs["state"] == "boundary").to_numpy()
    if not bnd.any():
        return unit
    a, b = runs["side_a"], runs["side_b"]
    pick_a = _first_wins(a, b, held.metres(a), held.metres(b))
    side = np.where(pick_a, a.to_numpy(dtype=object), b.to_numpy(dtype=object))
    return np.where(bnd, side, unit)


def _slivers_to_neighbours(
    runs: pd.DataFrame, held: _Held, significant: np.ndarray, credits: pd.DataFrame
) -> np.ndarray:
    """Return the runs' units with runs of non-significant units given to a neighbour.

    The neighbour is the nearest significant unit upstream or downstream in
    the same block, the one holding more (ties: the smaller id); a block with
    no significant unit goes to the river's lead unit.
    """
    is_sig = np.append(significant, False)[held.row(runs["unit"])]
    sig_unit = runs["unit"].where(is_sig)
    prev_u = sig_unit.groupby(runs["block"]).ffill()
    next_u = sig_unit.groupby(runs["block"]).bfill()
    has_p, has_n = prev_u.notna().to_numpy(), next_u.notna().to_numpy()
    take_prev = has_p & (
        ~has_n | _first_wins(prev_u, next_u, held.metres(prev_u), held.metres(next_u))
    )
    lead = credits[credits["lead"]].set_index("river_id")["unit"]
    fallback = runs["river_id"].map(lead).to_numpy(dtype=object)
    new = np.where(
        take_prev,
        prev_u.to_numpy(dtype=object),
        np.where(has_n, next_u.to_numpy(dtype=object), fallback),
    )
    return np.where(is_sig, runs["unit"].to_numpy(dtype=object), new)


def _rivers_to_parent(runs: pd.DataFrame, units: pd.DataFrame, levels: Sequence[str]) -> np.ndarray:
    """Return the runs' units with every river of several units given to their common ancestor."""
    unit = runs["unit"].to_numpy(dtype=object)
    n_units = runs.groupby("river_id")["unit"].nunique()
    sel = runs["river_id"].isin(n_units[n_units > 1].index).to_numpy()
    if not sel.any():
        return unit
    members = runs.loc[sel, ["river_id", "unit"]].drop_duplicates()
    lca = lowest_common_ancestor(units, members.set_index("river_id")["unit"], levels)
    parent = runs["river_id"].map(lca)
    ok = sel & parent.notna().to_numpy()
    return np.where(ok, parent.to_numpy(dtype=object), unit)


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
    side_a = texts(runs["side_a"].to_numpy(dtype=object))
    side_b = texts(runs["side_b"].to_numpy(dtype=object))
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
        return empty_frame(
            river_id=object,
            from_m=float,
            to_m=float,
            length_m=float,
            unit=object,
            block=np.int64,
            boundary_m=float,
            holders=object,
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


def first_per(pos: np.ndarray, n: int) -> np.ndarray:
    """Row of the first occurrence of each position 0..n-1; -1 where none."""
    first = np.full(n, -1, dtype=np.int64)
    ok = np.flatnonzero(pos >= 0)
    uniq, at = np.unique(pos[ok], return_index=True)
    first[uniq] = ok[at]
    return first


def region_rows(
    reaches: pd.DataFrame, units: pd.DataFrame, unit_id: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return which reaches and which units lie in the region ``unit_id``.

    A reach lies in the region when its unit at the region's level is the
    region, or when it is a boundary reach with the region on one bank (a
    border river is shown from both sides). The units are the region and
    everything below it.

    Returns
    -------
    (ndarray of bool, ndarray of bool)
        Masks over ``reaches`` and over ``units``.
    """
    level = str(units.loc[units["unit_id"].astype(str) == unit_id, "level"].iloc[0])
    anc = ancestor_at(units, level)
    in_units = (anc == unit_id).to_numpy()
    in_reaches = (reaches[level].astype(object) == unit_id).to_numpy(dtype=bool, copy=True)
    for side in ("left_unit", "right_unit"):
        if side in reaches.columns:
            banks = reaches[side].to_numpy(dtype=object)
            up = anc.reindex(pd.Index(banks, dtype=object)).to_numpy(dtype=object)
            in_reaches |= up == unit_id
    return in_reaches, in_units
