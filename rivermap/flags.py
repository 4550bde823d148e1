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

from rivermap.errors import DataError

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
    ids = units["unit_id"].astype(str)
    parent = pd.Series(units["parent_id"].to_numpy(dtype=object), index=ids.to_numpy())
    lv = pd.Series(units["level"].to_numpy(dtype=object), index=ids.to_numpy())
    current = pd.Series(ids.to_numpy(dtype=object), index=ids.to_numpy())
    out = pd.Series(np.full(len(ids), None, dtype=object), index=ids.to_numpy())
    for _ in range(units["level"].nunique() + 1):
        at = current.notna() & (current.map(lv) == level).fillna(False).astype(bool)
        out[at.to_numpy()] = current[at.to_numpy()]
        current = current.map(parent)
        if current.isna().all():
            break
    return out


def lowest_common_ancestor(
    units: pd.DataFrame, groups: pd.Series, levels: Sequence[str]
) -> pd.Series:
    """Lowest common ancestor of the units in each group.

    ``groups`` holds unit ids indexed by group key (one row per member);
    ``levels`` are the level names, top to bottom. The result maps each group
    key to the deepest unit every member descends from (members themselves
    count), NaN when they share none.
    """
    keys = pd.Index(groups.index.unique())
    out = pd.Series(np.full(len(keys), None, dtype=object), index=keys)
    for lv in levels:  # top to bottom: deeper common ancestors overwrite
        anc = groups.map(ancestor_at(units, lv))
        g = anc.groupby(level=0)
        common = (g.nunique() == 1) & (g.count() == g.size())
        first = g.first()
        ok = common.reindex(keys).fillna(False).astype(bool).to_numpy()
        out[ok] = first.reindex(keys)[ok]
    return out


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
    r = reaches.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    anc = ancestor_at(units, level)
    unit = r[level].astype(object).where(r[level].notna(), None)
    a = r["left_unit"].astype(object).map(anc)
    b = r["right_unit"].astype(object).map(anc)
    a = a.where(a.notna(), None)
    b = b.where(b.notna(), None)
    on_bnd = unit.isna() & (r["kind"] == "boundary")
    a_ok, b_ok = a.notna(), b.notna()
    owner = unit.copy()
    owner = owner.where(~(on_bnd & a_ok & (~b_ok | (a == b))), a)
    owner = owner.where(~(on_bnd & b_ok & ~a_ok), b)
    both = on_bnd & a_ok & b_ok & (a != b)
    state = np.where(owner.notna(), "unit", np.where(both, "boundary", "gap"))
    side_a = a.where(both, None)
    side_b = b.where(both, None)
    frame = pd.DataFrame(
        {
            "river_id": r["river_id"].astype(str).to_numpy(dtype=object),
            "from_m": r["from_m"].to_numpy(dtype=float),
            "to_m": r["to_m"].to_numpy(dtype=float),
            "state": state.astype(object),
            "unit": owner.to_numpy(dtype=object),
            "side_a": side_a.to_numpy(dtype=object),
            "side_b": side_b.to_numpy(dtype=object),
        }
    )
    key = (
        frame["state"]
        + "|"
        + frame["unit"].fillna("")
        + "|"
        + frame["side_a"].fillna("")
        + "|"
        + frame["side_b"].fillna("")
    )
    new_river = frame["river_id"].ne(frame["river_id"].shift())
    new_run = new_river | key.ne(key.shift())
    run = new_run.cumsum().to_numpy()
    g = frame.groupby(run, sort=False)
    runs = g.first()
    runs["to_m"] = g["to_m"].last()
    runs = runs.reset_index(drop=True)
    runs["length_m"] = runs["to_m"] - runs["from_m"]
    gap = (runs["state"] == "gap").to_numpy()
    first = runs["river_id"].ne(runs["river_id"].shift()).to_numpy()
    runs["block"] = np.cumsum(first | gap)
    runs["river_length_m"] = runs["river_id"].map(river_len).to_numpy(dtype=float)
    return runs


def credits_of(runs: pd.DataFrame) -> pd.DataFrame:
    """Length each unit holds in each river at the runs' level.

    A run credits its unit in full; a boundary run credits each side half.
    Returns ``river_id``, ``unit``, ``length_m``, ``share`` (of the river's
    length), ``order`` (0, 1, … in order of first appearance along the river)
    and ``lead`` (True for the unit holding most, ties to the smaller id).
    """
    own = runs[runs["state"] == "unit"]
    bnd = runs[runs["state"] == "boundary"]
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "river_id": own["river_id"],
                    "unit": own["unit"],
                    "len": own["length_m"],
                    "first": own["from_m"],
                    "sub": 0,
                }
            ),
            pd.DataFrame(
                {
                    "river_id": bnd["river_id"],
                    "unit": bnd["side_a"],
                    "len": bnd["length_m"] / 2,
                    "first": bnd["from_m"],
                    "sub": 1,
                }
            ),
            pd.DataFrame(
                {
                    "river_id": bnd["river_id"],
                    "unit": bnd["side_b"],
                    "len": bnd["length_m"] / 2,
                    "first": bnd["from_m"],
                    "sub": 2,
                }
            ),
        ],
        ignore_index=True,
    )
    if rows.empty:
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
    rows = rows.sort_values(["river_id", "first", "sub"], kind="stable")
    g = rows.groupby(["river_id", "unit"], sort=False)
    out = g.agg(length_m=("len", "sum"), first=("first", "min")).reset_index()
    out = out.sort_values(["river_id", "first"], kind="stable").reset_index(drop=True)
    out["order"] = out.groupby("river_id").cumcount()
    total = runs.groupby("river_id")["river_length_m"].first()
    length = out["river_id"].map(total).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(length > 0, out["length_m"].to_numpy() / length, 1.0)
    by_len = out.assign(neg=-out["length_m"]).sort_values(
        ["river_id", "neg", "unit"], kind="stable"
    )
    lead_idx = by_len.drop_duplicates("river_id").index
    out["lead"] = False
    out.loc[lead_idx, "lead"] = True
    return out.drop(columns="first")


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
    credit = credits.set_index(["river_id", "unit"])["length_m"]

    def credit_of(river: pd.Series, unit: pd.Series) -> np.ndarray:
        key = pd.MultiIndex.from_arrays([river.to_numpy(dtype=object), unit.to_numpy(dtype=object)])
        return credit.reindex(key).fillna(-1.0).to_numpy(dtype=float)

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
        sig = credits[significant_units(credits, min_share, min_segment_m)]
        sig_index = pd.MultiIndex.from_arrays([sig["river_id"], sig["unit"]])
        is_sig = np.asarray(
            pd.MultiIndex.from_arrays([runs["river_id"], runs["unit"]]).isin(sig_index), dtype=bool
        )
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
    sid = np.cumsum(~same) - 1
    bnd_len = np.where(runs["state"] == "boundary", runs["length_m"], 0.0)
    g = runs.assign(bnd=bnd_len).groupby(sid, sort=True)
    seg = g.agg(
        river_id=("river_id", "first"),
        from_m=("from_m", "first"),
        to_m=("to_m", "last"),
        unit=("unit", "first"),
        block=("block", "first"),
        boundary_m=("bnd", "sum"),
        holders=("holder", lambda s: ";".join(dict.fromkeys(";".join(s).split(";")))),
    ).reset_index(drop=True)
    seg["length_m"] = seg["to_m"] - seg["from_m"]
    return seg[["river_id", "from_m", "to_m", "length_m", "unit", "block", "boundary_m", "holders"]]


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
    g = cr.groupby("river_id", sort=True)
    rivers = pd.Index(g.size().index)
    n_units = g.size()
    n_sig = g["significant"].sum()
    lead_row = cr[cr["lead"]].set_index("river_id")
    lead_len = lead_row["length_m"].reindex(rivers)
    total_len = lr.groupby("river_id")["river_length_m"].first().reindex(rivers)
    held = g["length_m"].sum()

    own = lr[lr["state"] == "unit"]
    bnd = lr[lr["state"] == "boundary"]
    boundary_m = bnd.groupby("river_id")["length_m"].sum().reindex(rivers, fill_value=0.0)

    # collapsed sequence of held units (界河 runs and gaps do not interrupt)
    seq_new = own["river_id"].ne(own["river_id"].shift()) | own["unit"].ne(own["unit"].shift())
    seq = own[seq_new.to_numpy()]
    handovers = (seq.groupby("river_id").size() - 1).clip(lower=0).reindex(rivers, fill_value=0)
    reenters = seq.duplicated(["river_id", "unit"]).groupby(seq["river_id"]).any()
    reenters = reenters.reindex(rivers, fill_value=False).astype(bool)

    sig_key = cr.set_index(["river_id", "unit"])["significant"]
    own_sig = sig_key.reindex(pd.MultiIndex.from_arrays([own["river_id"], own["unit"]])).to_numpy()
    sliver_runs = own[~own_sig.astype(bool)]
    n_slivers = sliver_runs.groupby("river_id").size().reindex(rivers, fill_value=0)
    sliver_m = sliver_runs.groupby("river_id")["length_m"].sum().reindex(rivers, fill_value=0.0)

    crosses = n_sig >= 2
    on_boundary = boundary_m >= min_length_m - EPS_M
    slivers = n_slivers > 0
    flagged = crosses | on_boundary | reenters | slivers
    if not flagged.any():
        return _empty_flags()
    keep = rivers[flagged.to_numpy()]

    with np.errstate(divide="ignore", invalid="ignore"):
        tl = total_len.to_numpy(dtype=float)
        s_other = np.where(tl > 0, (held - lead_len).to_numpy(dtype=float) / tl, 0.0)
        s_bnd = np.where(tl > 0, boundary_m.to_numpy(dtype=float) / tl, 0.0)
    severity = _W_OTHER * s_other + _W_BOUNDARY * s_bnd + handovers.to_numpy(dtype=float)

    reasons = pd.Series("", index=rivers, dtype=object)
    for name, mask in zip(REASONS, (crosses, on_boundary, reenters, slivers), strict=True):
        m = mask.to_numpy(dtype=bool)
        reasons[m] = reasons[m] + np.where(reasons[m] == "", "", ",") + name

    crk = cr[cr["river_id"].isin(keep)].sort_values(["river_id", "order"], kind="stable")
    crk = crk.assign(
        uname=crk["unit"].map(unit_name).fillna(crk["unit"]).astype(str),
        share_s=crk["share"].map("{:.3f}".format),
        len_s=crk["length_m"].map("{:.1f}".format),
    )
    gk = crk.groupby("river_id", sort=True)
    joined = pd.DataFrame(
        {
            "units": gk["unit"].agg(";".join),
            "unit_names": gk["uname"].agg(";".join),
            "shares": gk["share_s"].agg(";".join),
            "lengths_m": gk["len_s"].agg(";".join),
        }
    )

    # the proposal: what redivide(policy="majority") gives for these rivers
    lr_keep = lr[lr["river_id"].isin(keep)]
    pruns, psegs = resolve(
        lr_keep,
        cr[cr["river_id"].isin(keep)],
        units,
        policy="majority",
        min_share=min_share,
        min_segment_m=min_length_m,
        levels=levels,
    )
    proposal = _proposals(pruns, psegs, keep)
    members = cr[cr["river_id"].isin(keep)].set_index("river_id")["unit"]
    parent = lowest_common_ancestor(units, members, levels).reindex(keep)

    sel = flagged.to_numpy()
    out = pd.DataFrame(
        {
            "river_id": keep.astype(str),
            "name": names.reindex(keep).to_numpy(dtype=object),
            "level": level,
            "units": joined["units"].reindex(keep).to_numpy(dtype=object),
            "unit_names": joined["unit_names"].reindex(keep).to_numpy(dtype=object),
            "shares": joined["shares"].reindex(keep).to_numpy(dtype=object),
            "lengths_m": joined["lengths_m"].reindex(keep).to_numpy(dtype=object),
            "n_units": n_units.reindex(keep).to_numpy(dtype=np.int64),
            "lead_unit": lead_row["unit"].reindex(keep).to_numpy(dtype=object),
            "lead_share": lead_row["share"].reindex(keep).to_numpy(dtype=float),
            "handovers": handovers.reindex(keep).to_numpy(dtype=np.int64),
            "boundary_m": boundary_m.reindex(keep).to_numpy(dtype=float),
            "n_slivers": n_slivers.reindex(keep).to_numpy(dtype=np.int64),
            "sliver_m": sliver_m.reindex(keep).to_numpy(dtype=float),
            "reasons": reasons.reindex(keep).to_numpy(dtype=object),
            "severity": np.round(severity[sel], 3),
            "n_segments": proposal["n_segments"].reindex(keep).to_numpy(dtype=np.int64),
            "split_at_m": proposal["split_at_m"].reindex(keep).to_numpy(dtype=object),
            "reassign": proposal["reassign"].reindex(keep).to_numpy(dtype=object),
            "parent_unit": parent.to_numpy(dtype=object),
        }
    )
    out["proposal"], out["proposal_zh"] = _texts(out, psegs, pruns, unit_name)
    return _typed(out)


def _proposals(runs: pd.DataFrame, segs: pd.DataFrame, rivers: pd.Index) -> pd.DataFrame:
    """Machine-readable proposal fields per river."""
    n_seg = segs.groupby("river_id").size().reindex(rivers, fill_value=0)
    nxt = segs.groupby("river_id")["from_m"].shift(-1)
    cut = segs[(nxt - segs["to_m"]).abs().le(EPS_M).to_numpy()]
    split_at = (
        cut.assign(s=cut["to_m"].map("{:.1f}".format))
        .groupby("river_id")["s"]
        .agg(";".join)
        .astype(object)
        .reindex(rivers)
        .fillna("")
    )
    changed = runs[(runs["unit"] != runs["holder"]).to_numpy()]
    if changed.empty:
        reassign = pd.Series("", index=rivers, dtype=object)
        return pd.DataFrame({"n_segments": n_seg, "split_at_m": split_at, "reassign": reassign})
    # consecutive changed runs going to the same unit are one stretch
    brk = (
        changed["river_id"].ne(changed["river_id"].shift())
        | changed["unit"].ne(changed["unit"].shift())
        | (changed["from_m"] - changed["to_m"].shift()).abs().gt(EPS_M)
    )
    sid = brk.cumsum()
    stretches = changed.groupby(sid.to_numpy()).agg(
        river_id=("river_id", "first"),
        from_m=("from_m", "first"),
        to_m=("to_m", "last"),
        unit=("unit", "first"),
    )
    text = (
        stretches["from_m"].map("{:.1f}".format)
        + "-"
        + stretches["to_m"].map("{:.1f}".format)
        + ":"
        + stretches["unit"].astype(str)
    )
    reassign = (
        text.groupby(stretches["river_id"].to_numpy())
        .agg(";".join)
        .astype(object)
        .reindex(rivers)
        .fillna("")
    )
    return pd.DataFrame({"n_segments": n_seg, "split_at_m": split_at, "reassign": reassign})


def _texts(
    table: pd.DataFrame, segs: pd.DataFrame, runs: pd.DataFrame, unit_name: pd.Series
) -> tuple[list[str], list[str]]:
    """English and Chinese proposal text, one per flagged river (report text).

    The pieces are computed per river with pandas; only the final sentences are
    put together row by row.
    """
    rivers = pd.Index(table["river_id"].astype(str))

    def nm(ids: pd.Series) -> pd.Series:
        return ids.map(unit_name).fillna(ids).fillna("?").astype(str)

    def km(values: pd.Series) -> pd.Series:
        return (values.astype(float) / 1000).map("{:,.1f}".format)

    def per_river(values: pd.Series, keys: pd.Series, how: Any) -> pd.Series:
        return values.groupby(keys.to_numpy()).agg(how).astype(object).reindex(rivers)

    sg = segs.assign(
        label=nm(segs["unit"]) + " " + km(segs["from_m"]) + "–" + km(segs["to_m"]) + " km"
    )
    first4 = sg[(sg.groupby("river_id").cumcount() < 4).to_numpy()]
    n_seg = segs.groupby("river_id").size().reindex(rivers, fill_value=0).to_numpy()
    n_distinct = segs.groupby("river_id")["unit"].nunique().reindex(rivers, fill_value=0).to_numpy()
    only = per_river(nm(segs["unit"]), segs["river_id"], "first").to_numpy()
    seg_en = per_river(first4["label"], first4["river_id"], ", ".join).to_numpy()
    seg_zh = per_river(first4["label"], first4["river_id"], "、".join).to_numpy()

    moved = runs[((runs["unit"] != runs["holder"]) & (runs["state"] == "unit")).to_numpy()]
    mv_n = moved.groupby("river_id").size().reindex(rivers, fill_value=0).to_numpy()
    mv_km = km(moved.groupby("river_id")["length_m"].sum().reindex(rivers, fill_value=0.0))
    mfirst = moved.drop_duplicates("river_id").set_index("river_id").reindex(rivers)
    mv_span = (km(mfirst["from_m"].fillna(0)) + "–" + km(mfirst["to_m"].fillna(0))).to_numpy()
    mv_from = nm(mfirst["holder"]).to_numpy()
    mv_to = nm(mfirst["unit"]).to_numpy()

    bd = runs[(runs["state"] == "boundary").to_numpy()]
    bd_km = km(bd.groupby("river_id")["length_m"].sum().reindex(rivers, fill_value=0.0))
    bfirst = bd.drop_duplicates("river_id").set_index("river_id").reindex(rivers)
    bd_pair = (nm(bfirst["side_a"]) + "/" + nm(bfirst["side_b"])).to_numpy()
    has_bd = rivers.isin(bd["river_id"])

    parent = table["parent_unit"]
    parent_ok = parent.map(lambda v: isinstance(v, str) and v != "").to_numpy(dtype=bool) & (
        table["n_units"].to_numpy() > 1
    )
    parent_name = nm(parent.where(parent_ok, None)).to_numpy()
    split_at = table["split_at_m"].astype(str).to_numpy()

    en_out: list[str] = []
    zh_out: list[str] = []
    for i in range(len(rivers)):
        en: list[str] = []
        zh: list[str] = []
        n = int(n_seg[i])
        if n and n_distinct[i] == 1:
            en.append(f"keep the river whole under {only[i]}")
            zh.append(f"整河由{only[i]}负责")
        elif n:
            cuts = [c for c in split_at[i].split(";") if c]
            shown = ", ".join(f"{float(c) / 1000:,.1f}" for c in cuts[:6])
            shown += " …" if len(cuts) > 6 else ""
            more = " …" if n > 4 else ""
            en.append(f"split into {n} segments at {shown} km ({seg_en[i]}{more})")
            zh.append(f"在 {shown} km 处分为 {n} 段（{seg_zh[i]}{more}）")
        if mv_n[i]:
            extra_en = f" and {mv_n[i] - 1} more" if mv_n[i] > 1 else ""
            extra_zh = f"等 {mv_n[i]} 处" if mv_n[i] > 1 else ""
            en.append(
                f"reassign {mv_span[i]} km from {mv_from[i]} to {mv_to[i]}{extra_en} "
                f"({mv_km.iloc[i]} km in all)"
            )
            zh.append(
                f"将 {mv_span[i]} km 由{mv_from[i]}划归{mv_to[i]}{extra_zh}"
                f"（共 {mv_km.iloc[i]} km）"
            )
        if has_bd[i]:
            en.append(
                f"{bd_km.iloc[i]} km runs along boundaries (first {bd_pair[i]}): agree bank "
                "duties or give each stretch to the side holding more of the river"
            )
            zh.append(
                f"界河段共 {bd_km.iloc[i]} km（如{bd_pair[i]}）："
                "明确左右岸分工，或划归占比较大的一方"
            )
        if parent_ok[i]:
            en.append(f"or give the river to the common parent {parent_name[i]}")
            zh.append(f"或由共同上级{parent_name[i]}统一负责")
        text = "; ".join(en) + "."
        en_out.append(text[:1].upper() + text[1:] if en else "")
        zh_out.append("；".join(zh) + "。" if zh else "")
    return en_out, zh_out


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
    from rivermap.io import atomic_output

    if lang not in ("zh", "en"):
        msg = f"lang must be 'zh' or 'en'; got {lang!r}"
        raise ValueError(msg)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        msg = f"{p}: write tables to a .csv or .xlsx file"
        raise DataError(msg)
    labels = dict(HEADERS[lang])
    if headers is not None:
        labels.update(headers.get(lang, {}))
    frames = {
        sheet: pd.DataFrame(t.drop(columns=[c for c in t.columns if c == "geometry"])).rename(
            columns=labels
        )
        for sheet, t in tables.items()
    }
    with atomic_output(p, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            next(iter(frames.values())).to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                for sheet, frame in frames.items():
                    frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return p


def reasons_zh(reasons: str) -> str:
    """Translate a ``reasons`` value to Chinese (``"crosses,slivers"`` → ``"跨界、碎段"``)."""
    return "、".join(_REASONS_ZH.get(r, r) for r in reasons.split(",") if r)
