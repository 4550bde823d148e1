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

The runs and credits these measures are made of come from :mod:`rivermap.runs`,
shared with :mod:`rivermap.redivide` and :mod:`rivermap.chiefs`; the proposal's
fields and sentences from :mod:`rivermap.proposals`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rivermap.io import write_tables
from rivermap.params import MIN_LENGTH_M, MIN_SHARE, check_length, check_level, check_share
from rivermap.proposals import fixed, proposals
from rivermap.runs import (
    BOUNDARY,
    EPS_M,
    UNIT,
    Coded,
    block_codes,
    common_ancestors,
    credit_codes,
    empty_frame,
    join_groups,
    resolve,
    significant_units,
)
from rivermap.text import localize, term

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

_INT_COLUMNS = frozenset({"n_units", "handovers", "n_slivers", "n_segments"})
_FLOAT_COLUMNS = frozenset({"lead_share", "boundary_m", "sliver_m", "severity"})
_TEXT_COLUMNS = frozenset(FLAG_COLUMNS) - _INT_COLUMNS - _FLOAT_COLUMNS

# Severity weights: see :func:`flags`.
_W_OTHER = 10.0
_W_BOUNDARY = 5.0


# ===================================================================== public
def flags(
    resp: Responsibility,
    level: str | None = None,
    *,
    min_share: float = MIN_SHARE,
    min_length_m: float = MIN_LENGTH_M,
) -> pd.DataFrame:
    """Find the rivers whose responsibility at a level is split in a way a planner must look at.

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
    ParameterError
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
    min_share = check_share("min_share", min_share)
    min_length_m = check_length("min_length_m", min_length_m)
    levels = list(resp.levels) if level is None else [check_level(level, resp.levels)]
    rivers = resp.rivers
    ids = rivers["river_id"].astype(str)
    river_len = pd.Series(rivers["length_m"].to_numpy(dtype=float), index=ids)
    coded = Coded(resp.reaches, resp.units, river_len)
    at = pd.Index(ids).get_indexer(pd.Index(coded.river_ids, dtype=object))
    names = np.append(rivers["name"].to_numpy(dtype=object), np.nan)[at]
    parts = []
    for lv in levels:
        runs = coded.runs(lv)
        parts.append(_flags_at(runs, coded, lv, (min_share, min_length_m), names, resp.levels))
    out = pd.concat(parts, ignore_index=True) if parts else _empty_flags()
    if out.empty:
        return _empty_flags()
    level_rank = out["level"].map({lv: i for i, lv in enumerate(resp.levels)})
    # river codes sort as the river ids do
    order = np.lexsort((out["_river"].to_numpy(), level_rank.to_numpy(), -out["severity"]))
    return out.iloc[order].drop(columns="_river").reset_index(drop=True)


def write_flags(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    overwrite: bool = False,
) -> Path:
    """Write a flags table to a CSV or XLSX file for a meeting, atomically.

    Headers, levels and reasons are written in ``lang`` (see
    :func:`rivermap.text.localize`).

    Parameters
    ----------
    table
        As returned by :func:`flags`.
    path
        A ``.csv`` (UTF-8 with BOM, so Excel shows Chinese) or ``.xlsx`` file.
    lang
        ``"zh"`` (default) or ``"en"``.
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
    >>> out.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[2]
    '区县'
    """
    sheet = term("sheet.flags", lang)
    return write_tables({sheet: localize(table, lang)}, path, overwrite=overwrite)


# ================================================================== the table
@dataclass(frozen=True)
class _Rivers:
    """The rivers of one level's credits and where each row of credits and runs belongs.

    Credits and runs come sorted by river: rivers are contiguous blocks of
    rows, numbered here (0, 1, … in credits order) so that per-river sums
    group by small integers.
    """

    codes: np.ndarray  # river codes, in credits order
    cr_code: np.ndarray  # per credit row: position in codes
    cr_starts: np.ndarray  # first credit row of each river
    run_pos: np.ndarray  # per run: position in codes, -1 for rivers without credits
    run_first: np.ndarray  # per river: its first run

    @classmethod
    def of(cls, cr: pd.DataFrame, runs: pd.DataFrame) -> _Rivers:
        cr_river = cr["river"].to_numpy()
        cr_code, cr_starts = block_codes(cr_river)
        codes = cr_river[cr_starts]
        run_river = runs["river"].to_numpy()
        pos_of = np.full(int(max(run_river.max(initial=0), codes.max(initial=0))) + 1, -1)
        pos_of[codes] = np.arange(len(codes))
        run_pos = pos_of[run_river]
        # each river's runs are contiguous: its first run starts its block
        starts = np.flatnonzero(np.r_[True, run_pos[1:] != run_pos[:-1]] & (run_pos >= 0))
        run_first = np.full(len(codes), -1, dtype=np.int64)
        run_first[run_pos[starts]] = starts
        return cls(codes, cr_code, cr_starts, run_pos, run_first)

    def sum(self, values: Any, at: np.ndarray) -> np.ndarray:
        """Sum values per river (pandas' summation, as a groupby by river id)."""
        ok = at >= 0
        sums = pd.Series(np.asarray(values, dtype=float)[ok]).groupby(at[ok]).sum()
        return sums.reindex(pd.RangeIndex(len(self.codes)), fill_value=0.0).to_numpy(dtype=float)

    def count(self, at: np.ndarray) -> np.ndarray:
        """Count rows per river."""
        return np.bincount(at[at >= 0], minlength=len(self.codes))


def _flags_at(
    runs: pd.DataFrame,
    coded: Coded,
    level: str,
    thresholds: tuple[float, float],
    names: np.ndarray,
    levels: tuple[str, ...],
) -> pd.DataFrame:
    """Return the flags of one level: measures, reasons, severity, units and proposal.

    ``runs`` are the level's integer runs (:meth:`rivermap.runs.Coded.runs`),
    ``names`` the river names by river code. The table has a column
    ``_river`` (the river codes) to sort by.
    """
    min_share, min_length_m = thresholds
    cr = credit_codes(runs, coded.rank)
    if cr.empty:
        return _empty_flags()
    cr["significant"] = significant_units(cr, min_share, min_length_m)
    riv = _Rivers.of(cr, runs)
    m = _measures(runs, cr, riv)
    reasons = _reasons(m, min_length_m)
    flagged = reasons != ""
    if not flagged.any():
        return _empty_flags()
    keep = riv.codes[flagged]
    cr_keep = cr[flagged[riv.cr_code]]
    # the proposal: what redivide(policy="majority") gives for these rivers
    run_keep = runs[(riv.run_pos >= 0) & flagged[np.clip(riv.run_pos, 0, None)]]
    pruns, psegs = resolve(
        run_keep,
        cr_keep,
        coded,
        policy="majority",
        min_share=min_share,
        min_segment_m=min_length_m,
        levels=levels,
    )
    pos = np.full(len(coded.river_ids), -1, dtype=np.int64)
    pos[keep] = np.arange(len(keep))
    member = cr_keep["unit"].to_numpy()
    member = np.where(member < coded.n_units, member, -1)
    group = pos[cr_keep["river"].to_numpy()]
    parent = common_ancestors(coded.tree, levels, group, member, len(keep))
    n_units = m["n_units"][flagged]
    columns: dict[str, Any] = {
        "river_id": coded.river_ids[keep],
        "name": names[keep],
        "level": level,
        **_unit_lists(cr_keep, riv.cr_code[flagged[riv.cr_code]], coded),
        **{col: values[flagged] for col, values in m.items() if col in FLAG_COLUMNS},
        "reasons": reasons[flagged],
        "severity": np.round(_severity(m)[flagged], 3),
        **proposals(pruns, psegs, pos, coded, parent=parent, n_units=n_units),
        "parent_unit": coded.decode(parent),
    }
    columns["lead_unit"] = coded.decode(columns["lead_unit"])
    out = _typed(pd.DataFrame(columns))
    out["_river"] = keep
    return out


def _measures(runs: pd.DataFrame, cr: pd.DataFrame, riv: _Rivers) -> dict[str, np.ndarray]:
    """Return the per-river measures of one level: units, lead, handovers, boundaries, slivers."""
    sig = cr["significant"].to_numpy(dtype=bool)
    is_lead = cr["lead"].to_numpy(dtype=bool)
    cr_len = cr["length_m"].to_numpy(dtype=float)
    state = runs["state"].to_numpy()
    run_len = runs["length_m"].to_numpy(dtype=float)
    m = {
        "n_units": np.diff(np.r_[riv.cr_starts, len(cr)]).astype(np.int64),
        "n_significant": np.add.reduceat(sig.astype(np.int64), riv.cr_starts),
        "lead_unit": cr["unit"].to_numpy()[is_lead],
        "lead_share": cr["share"].to_numpy(dtype=float)[is_lead],
        "lead_m": cr_len[is_lead],
        "held_m": riv.sum(cr_len, riv.cr_code),
        "river_m": runs["river_length_m"].to_numpy(dtype=float)[riv.run_first],
        "boundary_m": riv.sum(run_len, np.where(state == BOUNDARY, riv.run_pos, -1)),
    }
    return m | _sequence_measures(runs, cr, riv, sig)


def _sequence_measures(
    runs: pd.DataFrame, cr: pd.DataFrame, riv: _Rivers, sig: np.ndarray
) -> dict[str, np.ndarray]:
    """Return handovers, re-entries and slivers from the sequence of units along each river.

    界河 runs and gaps do not interrupt the sequence of held units.
    """
    own = runs["state"].to_numpy() == UNIT
    unit = runs["unit"].to_numpy()
    width = int(max(unit.max(initial=0), cr["unit"].to_numpy().max(initial=0))) + 1
    o_riv, o_unit = riv.run_pos[own], unit[own]
    new = np.ones(len(o_riv), dtype=bool)
    new[1:] = (o_riv[1:] != o_riv[:-1]) | (o_unit[1:] != o_unit[:-1])
    s_riv, s_unit = o_riv[new], o_unit[new]
    dup = pd.Series(s_riv * width + s_unit).duplicated().to_numpy()
    # (river, unit) as one integer
    pair = pd.Index(riv.cr_code * width + cr["unit"].to_numpy())
    at = pair.get_indexer(o_riv * width + o_unit)
    sliver_at = np.where(np.where(at >= 0, sig[np.clip(at, 0, None)], True), -1, o_riv)
    return {
        "handovers": np.clip(riv.count(s_riv) - 1, 0, None).astype(np.int64),
        "reenters": riv.count(s_riv[dup]) > 0,
        "n_slivers": riv.count(sliver_at).astype(np.int64),
        "sliver_m": riv.sum(runs["length_m"].to_numpy(dtype=float)[own], sliver_at),
    }


#: The reasons text of every combination of the four (bit i: ``REASONS[i]``).
_REASON_TEXT = np.array(
    [",".join(r for i, r in enumerate(REASONS) if mask >> i & 1) for mask in range(16)],
    dtype=object,
)


def _reasons(m: dict[str, np.ndarray], min_length_m: float) -> np.ndarray:
    """Return the comma-joined reasons of every river ("" where it is not flagged)."""
    masks = (
        m["n_significant"] >= 2,
        m["boundary_m"] >= min_length_m - EPS_M,
        m["reenters"],
        m["n_slivers"] > 0,
    )
    bits = sum(np.asarray(mask, dtype=np.int64) << i for i, mask in enumerate(masks))
    return _REASON_TEXT[bits]


def _severity(m: dict[str, np.ndarray]) -> np.ndarray:
    """Return 10 · share held by others + 5 · share along boundaries + handovers."""
    total = m["river_m"]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_other = np.where(total > 0, (m["held_m"] - m["lead_m"]) / total, 0.0)
        s_bnd = np.where(total > 0, m["boundary_m"] / total, 0.0)
    return _W_OTHER * s_other + _W_BOUNDARY * s_bnd + m["handovers"].astype(float)


def _unit_lists(cr: pd.DataFrame, code: np.ndarray, coded: Coded) -> dict[str, np.ndarray]:
    """Return the ``";"``-joined units, names, shares and lengths of every river, in order."""
    unit = cr["unit"].to_numpy()
    texts = {
        "units": coded.decode(unit),
        "unit_names": coded.names(unit),
        "shares": fixed(cr["share"].to_numpy(dtype=float), 3),
        "lengths_m": fixed(cr["length_m"].to_numpy(dtype=float), 1),
    }
    return {
        col: join_groups(values, code, ";").to_numpy(dtype=object) for col, values in texts.items()
    }


def _empty_flags() -> pd.DataFrame:
    """Return the flags table with no row, its columns typed."""
    kinds = {col: "str" if col in _TEXT_COLUMNS else float for col in FLAG_COLUMNS}
    return empty_frame(**(kinds | dict.fromkeys(_INT_COLUMNS, np.int64)))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the table's columns in order, text columns as pandas' text dtype."""
    out = frame[list(FLAG_COLUMNS)].copy()
    for col in _TEXT_COLUMNS:
        out[col] = out[col].astype("str")
    return out
