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

**Integers, not text.** A national result has millions of reaches and
hundreds of thousands of units; comparing, hashing and copying their ids as
Python strings would cost more than all the arithmetic. :class:`Coded` looks
every id up once (Arrow's hash lookup): rivers become their rank among the
river ids (so sorting by code is sorting by id), units their row in the units
table (ids met in the reaches but not in the table, as in a region's result,
get codes after them), states ``UNIT``/``BOUNDARY``/``GAP``. The analyses
(:meth:`Coded.runs`, :func:`credit_codes`, :func:`resolve`) work on these
codes; a tie "to the smaller id" compares the ids' ranks (:attr:`Coded.rank`),
and text comes back only for the rows a table shows. :func:`level_runs` and
:func:`credits_of` give the same tables with ids, for readers and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rivermap.errors import require_columns
from rivermap.text import is_missing, texts

__all__ = [
    "BOUNDARY",
    "EPS_M",
    "GAP",
    "STATES",
    "UNIT",
    "Coded",
    "ancestor_at",
    "block_codes",
    "common_ancestors",
    "credit_codes",
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
    uniq: Any
    if isinstance(keys, np.ndarray) and keys.dtype.kind in "iu":  # no object hashing
        codes, int_keys = pd.factorize(keys, sort=sort)
        uniq = np.asarray(int_keys, dtype=object)
    else:
        codes, uniq = pd.factorize(pd.Series(np.asarray(keys, dtype=object)), sort=sort)
    keep = codes >= 0
    if unique:
        keep &= ~pd.DataFrame({"k": codes, "v": vals}).duplicated().to_numpy()
    codes, vals = codes[keep], vals[keep]
    if len(codes) and (codes[1:] < codes[:-1]).any():
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
    ids = units["unit_id"].astype(str).to_numpy(dtype=object)
    member = pd.Index(ids).get_indexer(pd.Index(groups.to_numpy(dtype=object)))
    ok = codes >= 0
    tree = (_ancestor_chain(units), units["level"].to_numpy(dtype=object))
    pos = common_ancestors(tree, levels, codes[ok], member[ok], len(keys))
    out = np.full(len(keys), None, dtype=object)
    out[pos >= 0] = ids[pos[pos >= 0]]
    return pd.Series(out, index=pd.Index(keys), dtype=object)


def common_ancestors(
    tree: tuple[np.ndarray, np.ndarray],
    levels: Sequence[str],
    group: np.ndarray,
    member: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Row of the lowest common ancestor of each group's members; -1 where they share none.

    ``tree`` is the units' ancestor chain (:func:`_ancestor_chain`) and their
    levels; ``group`` numbers each member's group (0 … ``n_groups`` - 1) and
    ``member`` is its row among the units (-1: not a unit, which shares no
    ancestor with anything).
    """
    chain, unit_level = tree
    out = np.full(n_groups, -1, dtype=np.int64)
    for lv in levels:  # top to bottom: deeper common ancestors overwrite
        anc = np.append(_ancestor_pos(chain, unit_level, lv), -1)[member]
        lo = np.full(n_groups, np.iinfo(np.int64).max)
        hi = np.full(n_groups, -1, dtype=np.int64)
        np.minimum.at(lo, group, anc)
        np.maximum.at(hi, group, anc)
        common = (lo == hi) & (lo >= 0)
        out[common] = lo[common]
    return out


# ============================================================== integer codes
#: Run states as integers; ``STATES[code]`` is the state's name.
UNIT, BOUNDARY, GAP = 0, 1, 2
STATES = np.array(["unit", "boundary", "gap"], dtype=object)


def _as_text(values: Any) -> pa.ChunkedArray | None:
    """Return ``values`` as Arrow text (null where missing), or None when they are not all text."""
    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    try:
        arr = pa.chunked_array([pa.array(values, from_pandas=True)])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if arr.null_count == len(arr):
        return arr.cast(pa.large_string())
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def _lookup(values: Any, ids: np.ndarray, ids_arrow: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return the position of each value among ``ids`` (-1 where absent), and where it is missing.

    Missing text (None, NaN, ``""``) is never found. ``ids`` are distinct.
    """
    arr = _as_text(values)
    if arr is None:  # not text: compare the values as they are
        vals = texts(np.asarray(values, dtype=object))
        pos = pd.Index(ids, dtype=object).get_indexer(pd.Index(vals, dtype=object))
        return pos.astype(np.int64), is_missing(vals)
    pos = pc.index_in(arr, value_set=ids_arrow).fill_null(-1).to_numpy().astype(np.int64)
    missing = pc.fill_null(pc.equal(arr, ""), True).to_numpy()
    return np.where(missing, -1, pos), np.asarray(missing, dtype=bool)


class Coded:
    """A result's reaches sorted by river and chainage, with rivers and units as integers.

    Rivers are numbered in the order of their ids (``river_ids[code]``); units
    by their row in the units table, followed by any other id a level column
    names (a region's result keeps the ids of the units above it, see
    :meth:`rivermap.Responsibility.within`): ``ids[code]``, -1 for none. One
    object serves every level of one analysis.
    """

    def __init__(self, reaches: pd.DataFrame, units: pd.DataFrame, river_len: pd.Series) -> None:
        codes, uniq = pd.factorize(reaches["river_id"], sort=True)
        from_m = reaches["from_m"].to_numpy(dtype=float)
        self.order = np.lexsort((from_m, codes))
        self.reaches = reaches
        self.river = codes[self.order]
        self.river_ids = np.asarray(pd.Index(uniq).astype(str), dtype=object)
        self.from_m = from_m[self.order]
        self.to_m = reaches["to_m"].to_numpy(dtype=float)[self.order]
        kind = reaches["kind"] == "boundary"
        self.boundary = kind.to_numpy(dtype=bool, na_value=False)[self.order]
        at = pd.Index(river_len.index).get_indexer(pd.Index(self.river_ids, dtype=object))
        self.river_m = np.append(river_len.to_numpy(dtype=float), np.nan)[at]
        self.tree = (_ancestor_chain(units), units["level"].to_numpy(dtype=object))
        self.n_units = len(units)
        unit_ids = units["unit_id"].astype(str).to_numpy(dtype=object)
        self._ids = [unit_ids]
        self._arrow = pa.array(unit_ids, type=pa.large_string(), from_pandas=True)
        self._names = units["name"].to_numpy(dtype=object)
        self._columns: dict[str, np.ndarray] = {}
        self._rank: np.ndarray | None = None
        self._shown: np.ndarray | None = None

    @property
    def ids(self) -> np.ndarray:
        """Every unit id, by code."""
        if len(self._ids) > 1:
            self._ids = [np.concatenate(self._ids)]
        return self._ids[0]

    @property
    def rank(self) -> np.ndarray:
        """Each code's place when the ids are sorted as text; -1 for code -1 (the last entry)."""
        ids = self.ids
        if self._rank is None or len(self._rank) != len(ids) + 1:
            try:
                order = np.argsort(ids, kind="stable")
            except TypeError:  # ids that are not all text: compare them as text
                order = np.argsort(np.array([str(u) for u in ids], dtype=object), kind="stable")
            self._rank = np.full(len(ids) + 1, -1, dtype=np.int64)
            self._rank[order] = np.arange(len(ids))
        return self._rank

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Return the ids of ``codes`` (an object array, None for -1)."""
        return _with_none(self.ids)[codes]

    def names(self, codes: np.ndarray) -> np.ndarray:
        """Return the units' names as text: the id where there is no name, ``"?"`` for -1."""
        ids = self.ids
        if self._shown is None or len(self._shown) != len(ids) + 1:
            names = np.concatenate([self._names, ids[self.n_units :]])
            shown = np.where(pd.isna(names), ids, names)
            text = np.asarray(pd.Series(shown, dtype=object).astype(str), dtype=object)
            self._shown = np.append(text, "?")
        return self._shown[codes]

    def codes(self, column: str, *, extend: bool = False) -> np.ndarray:
        """Return the code of a reach column's unit ids, in sorted order (-1: missing).

        Ids not among the units are -1, or, with ``extend``, given codes of their own.
        """
        key = f"{column}+" if extend else column
        if key not in self._columns:
            values = self.reaches[column]
            pos, missing = _lookup(values, self._ids[0], self._arrow)
            other = (pos < 0) & ~missing
            if extend and other.any():
                pos = self._extended(values[other].to_numpy(dtype=object), pos, other)
            self._columns[key] = pos[self.order]
        return self._columns[key]

    def _extended(self, values: np.ndarray, pos: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Give the ``values`` (at ``other``) that name no unit codes after the known ids."""
        known = self.ids
        extra, new = pd.factorize(pd.Index(values, dtype=object))
        at = pd.Index(known, dtype=object).get_indexer(new)
        fresh = at < 0
        at[fresh] = len(known) + np.arange(int(fresh.sum()))
        self._ids.append(np.asarray(new, dtype=object)[fresh])
        pos = pos.copy()
        pos[other] = at[extra]
        return pos

    def ancestors(self, level: str) -> np.ndarray:
        """Code of each code's ancestor (or itself) at ``level``; -1 where none and for -1."""
        pos = _ancestor_pos(*self.tree, level)
        return np.concatenate([pos, np.full(len(self.ids) - self.n_units + 1, -1)])

    def runs(self, level: str) -> pd.DataFrame:
        """Cut every river into runs with one state at ``level`` (see :func:`level_runs`).

        The same runs as :func:`level_runs`, as integers: ``river``, ``from_m``,
        ``to_m``, ``state`` (``UNIT``, ``BOUNDARY``, ``GAP``), ``unit``,
        ``side_a``, ``side_b`` (codes, -1 for none), ``length_m``, ``block``
        and ``river_length_m``.
        """
        unit = self.codes(level, extend=True)
        anc = self.ancestors(level)
        a, b = anc[self.codes("left_unit")], anc[self.codes("right_unit")]
        state, owner, side_a, side_b = _holders(unit, self.boundary, a, b)
        river = self.river
        new_run = np.zeros(len(river), dtype=bool)
        new_run[:1] = True
        for values in (river, state, owner, side_a, side_b):
            new_run[1:] |= values[1:] != values[:-1]
        starts = np.flatnonzero(new_run)
        ends = np.append(starts[1:], len(river)) - 1
        runs = pd.DataFrame(
            {
                "river": river[starts],
                "from_m": self.from_m[starts],
                "to_m": self.to_m[ends],
                "state": state[starts],
                "unit": owner[starts],
                "side_a": side_a[starts],
                "side_b": side_b[starts],
            }
        )
        runs["length_m"] = runs["to_m"] - runs["from_m"]
        first = np.ones(len(starts), dtype=bool)
        first[1:] = river[starts][1:] != river[starts][:-1]
        runs["block"] = np.cumsum(first | (state[starts] == GAP))
        runs["river_length_m"] = self.river_m[river[starts]]
        return runs


def _with_none(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as an object array with None appended (what code -1 decodes to)."""
    return np.concatenate([np.asarray(values, dtype=object), np.array([None], dtype=object)])


def _holders(
    unit: np.ndarray, boundary: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return each reach's state at a level, the unit holding it, and a 界河 reach's sides.

    ``unit`` is the reach's unit at the level; ``a`` and ``b`` the left and
    right units of a boundary reach lifted to the level (codes, -1 for none).
    A boundary reach whose two sides (or only side) are one unit at the level
    is held by it; with two units it is a ``BOUNDARY`` run between them; with
    none it is a ``GAP``.
    """
    a_ok, b_ok = a >= 0, b >= 0
    on_bnd = (unit < 0) & boundary
    same = a_ok & b_ok & (a == b)
    owner = unit.copy()
    take_a = on_bnd & a_ok & (~b_ok | same)
    owner[take_a] = a[take_a]
    take_b = on_bnd & b_ok & ~a_ok
    owner[take_b] = b[take_b]
    both = on_bnd & a_ok & b_ok & ~same
    state = np.where(owner >= 0, UNIT, np.where(both, BOUNDARY, GAP)).astype(np.int8)
    return state, owner, np.where(both, a, -1), np.where(both, b, -1)


def level_runs(
    reaches: pd.DataFrame, units: pd.DataFrame, level: str, river_len: pd.Series
) -> pd.DataFrame:
    """Cut every river into runs with one state at ``level``.

    Returns one row per run, rivers in ``river_id`` order and runs in chainage
    order: ``river_id``, ``from_m``, ``to_m``, ``length_m``, ``state``
    (``"unit"``: held by ``unit``; ``"boundary"``: along the boundary between
    ``side_a`` (left) and ``side_b`` (right); ``"gap"``: outside every unit of
    the level), ``block`` (runs of one river between gaps share a block number,
    unique over all rivers) and ``river_length_m``. (The analyses use the same
    runs as integers, :meth:`Coded.runs`.)
    """
    coded = Coded(reaches, units, river_len)
    runs = coded.runs(level)
    out = pd.DataFrame(
        {
            "river_id": coded.river_ids[runs["river"].to_numpy()],
            "from_m": runs["from_m"].to_numpy(),
            "to_m": runs["to_m"].to_numpy(),
            "state": STATES[runs["state"].to_numpy()],
            **{c: coded.decode(runs[c].to_numpy()) for c in ("unit", "side_a", "side_b")},
        }
    )
    for col in ("length_m", "block", "river_length_m"):
        out[col] = runs[col].to_numpy()
    return out


# ==================================================================== credits
def credits_of(runs: pd.DataFrame) -> pd.DataFrame:
    """Length each unit holds in each river at the runs' level.

    A run credits its unit in full; a boundary run credits each side half.
    Returns ``river_id``, ``unit``, ``length_m``, ``share`` (of the river's
    length), ``order`` (0, 1, … in order of first appearance along the river)
    and ``lead`` (True for the unit holding most, ties to the smaller id).
    ``runs`` are as :func:`level_runs` gives them (the analyses credit the
    integer runs of :meth:`Coded.runs` with :func:`credit_codes`).
    """
    river_ids = runs["river_id"].to_numpy(dtype=object)
    rcode, rstart = block_codes(river_ids)
    sides = [texts(runs[c].to_numpy(dtype=object)) for c in ("unit", "side_a", "side_b")]
    codes, uniq = pd.factorize(np.concatenate(sides))
    rank = np.empty(len(uniq) + 1, dtype=np.int64)
    rank[np.argsort(np.asarray(uniq, dtype=object), kind="stable")] = np.arange(len(uniq))
    rank[-1] = -1
    n = len(runs)
    state = pd.Index(STATES).get_indexer(runs["state"].to_numpy(dtype=object))
    coded = pd.DataFrame(
        {
            "river": rcode,
            "from_m": runs["from_m"].to_numpy(dtype=float),
            "state": state,
            "unit": codes[:n],
            "side_a": codes[n : 2 * n],
            "side_b": codes[2 * n :],
            "length_m": runs["length_m"].to_numpy(dtype=float),
            "river_length_m": runs["river_length_m"].to_numpy(dtype=float),
        }
    )
    cr = credit_codes(coded, rank)
    return pd.DataFrame(
        {
            "river_id": river_ids[rstart][cr["river"].to_numpy()],
            "unit": _with_none(np.asarray(uniq, dtype=object))[cr["unit"].to_numpy()],
            **{c: cr[c].to_numpy() for c in ("length_m", "order", "share", "lead")},
        }
    )


def credit_codes(runs: pd.DataFrame, rank: np.ndarray) -> pd.DataFrame:
    """Length each unit holds in each river, runs and units as integers (see :func:`credits_of`).

    ``runs`` as :meth:`Coded.runs` gives them; ``rank`` orders the unit codes
    as their ids sort (ties for the lead go to the smaller id). Returns
    ``river``, ``unit``, ``length_m``, ``order``, ``share`` and ``lead``,
    rivers in the runs' order and each river's units in order of appearance.
    """
    state = runs["state"].to_numpy()
    own = np.flatnonzero(state == UNIT)
    bnd = np.flatnonzero(state == BOUNDARY)
    if not len(own) and not len(bnd):
        return empty_frame(
            river=np.int64, unit=np.int64, length_m=float, order=np.int64, share=float, lead=bool
        )
    river = runs["river"].to_numpy()
    rcode, rstart = block_codes(river)
    length = runs["length_m"].to_numpy(dtype=float)
    start = runs["from_m"].to_numpy(dtype=float)
    pick = np.concatenate([own, bnd, bnd])
    unit = np.concatenate(
        [
            runs["unit"].to_numpy()[own],
            runs["side_a"].to_numpy()[bnd],
            runs["side_b"].to_numpy()[bnd],
        ]
    )
    rows_len = np.concatenate([length[own], length[bnd] / 2, length[bnd] / 2])
    sub = np.repeat([0, 1, 2], [len(own), len(bnd), len(bnd)])
    rows_river, rows_first = rcode[pick], start[pick]
    order = np.lexsort((sub, rows_first, rows_river))
    # (river, unit) pairs numbered in order of appearance; sums as a groupby does them
    pair = pd.factorize((rows_river * (int(unit.max()) + 2) + unit)[order])[0]
    sums = pd.Series(rows_len[order]).groupby(pair, sort=False).sum().to_numpy(dtype=float)
    firsts = pd.Series(rows_first[order]).groupby(pair, sort=False).min().to_numpy(dtype=float)
    pair_first = np.flatnonzero(np.r_[True, pair[1:] > np.maximum.accumulate(pair)[:-1]])
    pr = rows_river[order][pair_first]
    pu = unit[order][pair_first]
    o = np.lexsort((firsts, pr))
    pr, pu, plen = pr[o], pu[o], sums[o]
    _, blocks = block_codes(pr)
    rank_in_river = np.arange(len(pr)) - np.repeat(blocks, np.diff(np.append(blocks, len(pr))))
    total = runs["river_length_m"].to_numpy(dtype=float)[rstart][pr]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, plen / total, 1.0)
    # the lead: most length, ties to the smaller unit id
    by_len = np.lexsort((rank[pu], -plen, pr))
    lead = np.zeros(len(pr), dtype=bool)
    lead[by_len[np.r_[True, pr[by_len][1:] != pr[by_len][:-1]]]] = True
    return pd.DataFrame(
        {
            "river": river[rstart][pr],
            "unit": pu,
            "length_m": plen,
            "order": rank_in_river,
            "share": share,
            "lead": lead,
        }
    )


def significant_units(credits: pd.DataFrame, min_share: float, min_length_m: float) -> pd.Series:
    """Tell where a unit's holding is significant (see the module docstring)."""
    sig = (credits["share"] >= min_share - 1e-12) & (credits["length_m"] >= min_length_m - EPS_M)
    return sig | credits["lead"]


# ==================================================================== policies
def resolve(
    runs: pd.DataFrame,
    credits: pd.DataFrame,
    coded: Coded,
    *,
    policy: str,
    min_share: float,
    min_segment_m: float,
    levels: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give every non-gap run one unit under ``policy``; return (runs, segments).

    ``runs`` and ``credits`` are integer runs and their credits
    (:meth:`Coded.runs`, :func:`credit_codes`). The runs gain ``holder`` (the
    unit holding a ``UNIT`` run now; -1 for a boundary run, which both banks
    hold) and ``unit`` (who the policy gives it to). Segments are the maximal
    stretches of one unit within a block: ``river``, ``from_m``, ``to_m``,
    ``length_m``, ``unit``, ``block`` and ``boundary_m`` (length along
    boundaries inside the segment).

    The steps, in order: a 界河 run goes to the side holding more of the
    river (ties: the smaller id); under ``majority`` and ``parent`` a run of a
    unit whose holding is not significant goes to the nearer significant
    neighbour holding more; stretches shorter than ``min_segment_m`` join
    their longer neighbour (:func:`merge_short`); under ``parent`` a river
    still held by several units goes to their lowest common ancestor.
    """
    runs = runs[runs["state"].to_numpy() != GAP].reset_index(drop=True)
    unit = runs["unit"].to_numpy()
    runs["holder"] = np.where(runs["state"].to_numpy() == UNIT, unit, -1)
    held = _Held(credits, runs)
    rank = coded.rank
    runs["unit"] = _boundary_to_larger_side(runs, held, rank)
    if policy in ("majority", "parent") and len(runs):
        sig = significant_units(credits, min_share, min_segment_m).to_numpy(bool)
        runs["unit"] = _slivers_to_neighbours(runs, held, sig, credits, rank)
    runs["unit"] = merge_short(runs, min_segment_m)
    if policy == "parent" and len(runs):
        runs["unit"] = _rivers_to_parent(runs, coded, levels)
    return runs, _segments_of(runs)


class _Held:
    """How much of each run's river a unit holds: credits looked up by (river, unit)."""

    def __init__(self, credits: pd.DataFrame, runs: pd.DataFrame) -> None:
        units = credits["unit"].to_numpy()
        self.width = int(max(units.max(initial=0), runs["unit"].to_numpy().max(initial=0))) + 1
        self.pairs = pd.Index(credits["river"].to_numpy() * self.width + units)
        self.run_river = runs["river"].to_numpy()
        self.length = np.append(credits["length_m"].to_numpy(dtype=float), -1.0)

    def row(self, unit: np.ndarray) -> np.ndarray:
        """Return the credits row of each run's (river, unit); -1 where there is none."""
        ok = (unit >= 0) & (unit < self.width)
        at = self.pairs.get_indexer(self.run_river * self.width + np.where(ok, unit, 0))
        return np.where(ok, at, -1)

    def metres(self, unit: np.ndarray) -> np.ndarray:
        """Return the metres of each run's river that ``unit`` holds (-1 where none)."""
        return self.length[self.row(unit)]


def _first_wins(
    a: np.ndarray, b: np.ndarray, len_a: np.ndarray, len_b: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """Tell where ``a`` holds more than ``b`` or as much with the smaller id (none is smallest)."""
    return (len_a > len_b) | ((len_a == len_b) & (rank[a] <= rank[b]))


def _boundary_to_larger_side(runs: pd.DataFrame, held: _Held, rank: np.ndarray) -> np.ndarray:
    """Return the runs' units with every 界河 run given to the side holding more."""
    unit = runs["unit"].to_numpy()
    bnd = runs["state"].to_numpy() == BOUNDARY
    if not bnd.any():
        return unit
    a, b = runs["side_a"].to_numpy(), runs["side_b"].to_numpy()
    pick_a = _first_wins(a, b, held.metres(a), held.metres(b), rank)
    return np.where(bnd, np.where(pick_a, a, b), unit)


def _fill(values: np.ndarray, group: np.ndarray, *, backward: bool = False) -> np.ndarray:
    """Fill the -1 entries of ``values`` from the nearest earlier (later) entry of their group.

    Groups are contiguous; entries with none to fill from stay -1.
    """
    if backward:
        return _fill(values[::-1], group[::-1])[::-1]
    at = np.maximum.accumulate(np.where(values >= 0, np.arange(len(values)), -1))
    ok = at >= 0
    ok[ok] = group[at[ok]] == group[ok]
    return np.where(ok, values[np.clip(at, 0, None)], -1)


def _slivers_to_neighbours(
    runs: pd.DataFrame,
    held: _Held,
    significant: np.ndarray,
    credits: pd.DataFrame,
    rank: np.ndarray,
) -> np.ndarray:
    """Return the runs' units with runs of non-significant units given to a neighbour.

    The neighbour is the nearest significant unit upstream or downstream in
    the same block, the one holding more (ties: the smaller id); a block with
    no significant unit goes to the river's lead unit.
    """
    unit = runs["unit"].to_numpy()
    is_sig = np.append(significant, False)[held.row(unit)]
    sig_unit = np.where(is_sig, unit, -1)
    block = runs["block"].to_numpy()
    prev_u = _fill(sig_unit, block)
    next_u = _fill(sig_unit, block, backward=True)
    has_p, has_n = prev_u >= 0, next_u >= 0
    wins = _first_wins(prev_u, next_u, held.metres(prev_u), held.metres(next_u), rank)
    take_prev = has_p & (~has_n | wins)
    river = runs["river"].to_numpy()
    lead = credits["lead"].to_numpy(dtype=bool)
    lead_of = np.full(int(river.max(initial=0)) + 2, -1, dtype=np.int64)
    lead_of[credits["river"].to_numpy()[lead]] = credits["unit"].to_numpy()[lead]
    new = np.where(take_prev, prev_u, np.where(has_n, next_u, lead_of[river]))
    return np.where(is_sig, unit, new)


def _rivers_to_parent(runs: pd.DataFrame, coded: Coded, levels: Sequence[str]) -> np.ndarray:
    """Return the runs' units with every river of several units given to their common ancestor."""
    unit = runs["unit"].to_numpy()
    river = runs["river"].to_numpy()
    pairs = pd.DataFrame({"river": river, "unit": unit}).drop_duplicates()
    held = pairs["unit"].to_numpy() >= 0
    n_units = np.bincount(pairs["river"].to_numpy()[held], minlength=int(river.max()) + 1)
    sel = n_units[river] > 1
    if not sel.any():
        return unit
    members = pairs[n_units[pairs["river"].to_numpy()] > 1]
    rivers, group = np.unique(members["river"].to_numpy(), return_inverse=True)
    member = members["unit"].to_numpy()
    member = np.where(member < coded.n_units, member, -1)
    lca = common_ancestors(coded.tree, levels, group, member, len(rivers))
    parent = np.full(len(n_units), -1, dtype=np.int64)
    parent[rivers] = lca
    ok = sel & (parent[river] >= 0)
    return np.where(ok, parent[river], unit)


def merge_short(runs: pd.DataFrame, min_m: float) -> np.ndarray:
    """Units after stretches shorter than ``min_m`` joined their longer neighbour.

    ``runs`` are non-gap runs with ``block``, ``from_m``, ``to_m`` and ``unit``
    (ids or codes), sorted by chainage. Neighbours are runs of the same
    block; a stretch with no neighbour stays. Shortest stretches go first; a
    tie between neighbours goes upstream. Returns the new unit of every run.
    """
    unit = runs["unit"].to_numpy().copy()
    if not len(runs) or min_m <= 0:
        return unit
    block = runs["block"].to_numpy()
    lo = runs["from_m"].to_numpy(dtype=float)
    hi = runs["to_m"].to_numpy(dtype=float)
    for _ in range(len(runs)):
        # collapse equal neighbours into stretches
        same = np.zeros(len(unit), dtype=bool)
        same[1:] = (block[1:] == block[:-1]) & (unit[1:] == unit[:-1])
        starts = np.flatnonzero(~same)
        n = len(starts)
        s_len = np.maximum.reduceat(hi, starts) - np.minimum.reduceat(lo, starts)
        has_p = np.zeros(n, dtype=bool)
        has_p[1:] = block[starts][1:] == block[starts][:-1]
        has_n = np.zeros(n, dtype=bool)
        has_n[:-1] = has_p[1:]
        cand = (s_len < min_m - EPS_M) & (has_p | has_n)
        if not cand.any():
            break
        unit = _merge_step(unit, starts, s_len, cand, has_p, has_n)
    return unit


def _merge_step(
    unit: np.ndarray,
    starts: np.ndarray,
    s_len: np.ndarray,
    cand: np.ndarray,
    has_p: np.ndarray,
    has_n: np.ndarray,
) -> np.ndarray:
    """Join each candidate stretch shorter than its candidate neighbours to its longer neighbour."""
    n = len(starts)
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
    s_unit = unit[starts]
    new_s_unit = s_unit.copy()
    new_s_unit[pick] = s_unit[target[pick]]
    return np.repeat(new_s_unit, np.diff(np.append(starts, len(unit))))


def _segments_of(runs: pd.DataFrame) -> pd.DataFrame:
    """Return the maximal stretches of one unit within a block (see :func:`resolve`)."""
    if not len(runs):
        return empty_frame(
            river=np.int64,
            from_m=float,
            to_m=float,
            length_m=float,
            unit=np.int64,
            block=np.int64,
            boundary_m=float,
        )
    unit = runs["unit"].to_numpy()
    block = runs["block"].to_numpy()
    same = np.zeros(len(runs), dtype=bool)
    same[1:] = (block[1:] == block[:-1]) & (unit[1:] == unit[:-1])
    starts = np.flatnonzero(~same)
    ends = np.r_[starts[1:], len(runs)] - 1
    bnd_len = np.where(runs["state"].to_numpy() == BOUNDARY, runs["length_m"].to_numpy(), 0.0)
    seg = pd.DataFrame(
        {
            "river": runs["river"].to_numpy()[starts],
            "from_m": runs["from_m"].to_numpy(dtype=float)[starts],
            "to_m": runs["to_m"].to_numpy(dtype=float)[ends],
            "length_m": 0.0,
            "unit": unit[starts],
            "block": block[starts],
            "boundary_m": np.add.reduceat(bnd_len.astype(float), starts),
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
