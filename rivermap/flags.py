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
from rivermap.proposals import join_nonempty, proposal_fields, proposal_texts
from rivermap.runs import (
    EPS_M,
    block_codes,
    credits_of,
    empty_frame,
    join_groups,
    level_runs,
    lowest_common_ancestor,
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
    river_len = pd.Series(
        rivers["length_m"].to_numpy(dtype=float), index=rivers["river_id"].astype(str)
    )
    names = pd.Series(rivers["name"].to_numpy(dtype=object), index=rivers["river_id"].astype(str))
    parts = []
    for lv in levels:
        runs = level_runs(resp.reaches, resp.units, lv, river_len)
        parts.append(_flags_at(runs, resp.units, lv, (min_share, min_length_m), names, resp.levels))
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
    rows, numbered here so that per-river sums group by integers, not strings.
    """

    index: pd.Index  # river ids, in credits order
    cr_code: np.ndarray  # per credit row: position in index
    cr_starts: np.ndarray  # first credit row of each river
    run_pos: np.ndarray  # per run: position in index, -1 for rivers without credits
    run_first: np.ndarray  # per river: its first run

    @classmethod
    def of(cls, cr: pd.DataFrame, runs: pd.DataFrame) -> _Rivers:
        cr_rid = cr["river_id"].to_numpy(dtype=object)
        cr_code, cr_starts = block_codes(cr_rid)
        index = pd.Index(cr["river_id"].iloc[cr_starts].to_numpy(), dtype=cr["river_id"].dtype)
        run_rid = runs["river_id"].to_numpy(dtype=object)
        run_code, run_starts = block_codes(run_rid)
        at = pd.Index(run_rid[run_starts]).get_indexer(pd.Index(cr_rid[cr_starts]))
        run_of = np.full(len(run_starts), -1, dtype=np.int64)
        run_of[at] = np.arange(len(index))
        return cls(index, cr_code, cr_starts, run_of[run_code], run_starts[at])

    def sum(self, values: Any, at: np.ndarray) -> np.ndarray:
        """Sum values per river (pandas' summation, as a groupby by river id)."""
        ok = at >= 0
        sums = pd.Series(np.asarray(values, dtype=float)[ok]).groupby(at[ok]).sum()
        return sums.reindex(pd.RangeIndex(len(self.index)), fill_value=0.0).to_numpy(dtype=float)

    def count(self, at: np.ndarray) -> np.ndarray:
        """Count rows per river."""
        return np.bincount(at[at >= 0], minlength=len(self.index))


def _flags_at(
    runs: pd.DataFrame,
    units: pd.DataFrame,
    level: str,
    thresholds: tuple[float, float],
    names: pd.Series,
    levels: tuple[str, ...],
) -> pd.DataFrame:
    """Return the flags of one level: measures, reasons, severity, units and proposal."""
    min_share, min_length_m = thresholds
    cr = credits_of(runs)
    if cr.empty:
        return _empty_flags()
    cr["significant"] = significant_units(cr, min_share, min_length_m)
    riv = _Rivers.of(cr, runs)
    m = _measures(runs, cr, riv)
    reasons = _reasons(m, min_length_m)
    flagged = reasons != ""
    if not flagged.any():
        return _empty_flags()
    keep = riv.index[flagged]
    unit_name = pd.Series(
        units["name"].to_numpy(dtype=object), index=units["unit_id"].astype(str).to_numpy()
    )
    cr_keep = cr[flagged[riv.cr_code]]
    # the proposal: what redivide(policy="majority") gives for these rivers
    run_keep = runs[(riv.run_pos >= 0) & flagged[np.clip(riv.run_pos, 0, None)]]
    pruns, psegs = resolve(
        run_keep,
        cr_keep,
        units,
        policy="majority",
        min_share=min_share,
        min_segment_m=min_length_m,
        levels=levels,
    )
    members = pd.Series(
        cr_keep["unit"].to_numpy(dtype=object), index=cr_keep["river_id"].to_numpy()
    )
    columns: dict[str, Any] = {
        "river_id": keep.astype(str),
        "name": names.reindex(keep).to_numpy(dtype=object),
        "level": level,
        **_unit_lists(cr_keep, riv.cr_code[flagged[riv.cr_code]], unit_name),
        **{col: values[flagged] for col, values in m.items() if col in FLAG_COLUMNS},
        "reasons": reasons[flagged],
        "severity": np.round(_severity(m)[flagged], 3),
        **{
            str(col): values.to_numpy()
            for col, values in proposal_fields(pruns, psegs, keep).reindex(keep).items()
        },
        "parent_unit": lowest_common_ancestor(units, members, levels)
        .reindex(keep)
        .to_numpy(dtype=object),
    }
    out = pd.DataFrame(columns)
    out["proposal"], out["proposal_zh"] = proposal_texts(out, psegs, pruns, unit_name)
    return _typed(out)


def _measures(runs: pd.DataFrame, cr: pd.DataFrame, riv: _Rivers) -> dict[str, np.ndarray]:
    """Return the per-river measures of one level: units, lead, handovers, boundaries, slivers."""
    sig = cr["significant"].to_numpy(dtype=bool)
    is_lead = cr["lead"].to_numpy(dtype=bool)
    cr_len = cr["length_m"].to_numpy(dtype=float)
    state = runs["state"].to_numpy(dtype=object)
    run_len = runs["length_m"].to_numpy(dtype=float)
    m = {
        "n_units": np.diff(np.r_[riv.cr_starts, len(cr)]).astype(np.int64),
        "n_significant": np.add.reduceat(sig.astype(np.int64), riv.cr_starts),
        "lead_unit": cr["unit"].to_numpy(dtype=object)[is_lead],
        "lead_share": cr["share"].to_numpy(dtype=float)[is_lead],
        "lead_m": cr_len[is_lead],
        "held_m": riv.sum(cr_len, riv.cr_code),
        "river_m": runs["river_length_m"].to_numpy(dtype=float)[riv.run_first],
        "boundary_m": riv.sum(run_len, np.where(state == "boundary", riv.run_pos, -1)),
    }
    return m | _sequence_measures(runs, cr, riv, sig)


def _sequence_measures(
    runs: pd.DataFrame, cr: pd.DataFrame, riv: _Rivers, sig: np.ndarray
) -> dict[str, np.ndarray]:
    """Return handovers, re-entries and slivers from the sequence of units along each river.

    界河 runs and gaps do not interrupt the sequence of held units.
    """
    own = runs["state"].to_numpy(dtype=object) == "unit"
    ucodes, uniq = pd.factorize(runs["unit"].to_numpy(dtype=object))
    width = len(uniq) + 1
    o_riv, o_unit = riv.run_pos[own], ucodes[own]
    new = np.ones(len(o_riv), dtype=bool)
    new[1:] = (o_riv[1:] != o_riv[:-1]) | (o_unit[1:] != o_unit[:-1])
    s_riv, s_unit = o_riv[new], o_unit[new]
    dup = pd.Series(s_riv * width + s_unit).duplicated().to_numpy()
    # (river, unit) as one integer; units held only along boundaries get keys of their own
    cr_ucode = pd.Index(uniq).get_indexer(pd.Index(cr["unit"].to_numpy(dtype=object)))
    pair = riv.cr_code * width + cr_ucode
    pair = pd.Index(np.where(cr_ucode >= 0, pair, -1 - np.arange(len(pair))))
    at = pair.get_indexer(o_riv * width + o_unit)
    sliver_at = np.where(np.where(at >= 0, sig[np.clip(at, 0, None)], True), -1, o_riv)
    return {
        "handovers": np.clip(riv.count(s_riv) - 1, 0, None).astype(np.int64),
        "reenters": riv.count(s_riv[dup]) > 0,
        "n_slivers": riv.count(sliver_at).astype(np.int64),
        "sliver_m": riv.sum(runs["length_m"].to_numpy(dtype=float)[own], sliver_at),
    }


def _reasons(m: dict[str, np.ndarray], min_length_m: float) -> np.ndarray:
    """Return the comma-joined reasons of every river ("" where it is not flagged)."""
    masks = (
        m["n_significant"] >= 2,
        m["boundary_m"] >= min_length_m - EPS_M,
        m["reenters"],
        m["n_slivers"] > 0,
    )
    parts = [
        np.where(mask, name, "").astype(object) for name, mask in zip(REASONS, masks, strict=True)
    ]
    return join_nonempty(parts, ",")


def _severity(m: dict[str, np.ndarray]) -> np.ndarray:
    """Return 10 · share held by others + 5 · share along boundaries + handovers."""
    total = m["river_m"]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_other = np.where(total > 0, (m["held_m"] - m["lead_m"]) / total, 0.0)
        s_bnd = np.where(total > 0, m["boundary_m"] / total, 0.0)
    return _W_OTHER * s_other + _W_BOUNDARY * s_bnd + m["handovers"].astype(float)


def _unit_lists(cr: pd.DataFrame, code: np.ndarray, unit_name: pd.Series) -> dict[str, np.ndarray]:
    """Return the ``";"``-joined units, names, shares and lengths of every river, in order."""
    crk = cr.assign(
        uname=cr["unit"].map(unit_name).fillna(cr["unit"]).astype(str),
        share_s=cr["share"].map("{:.3f}".format),
        len_s=cr["length_m"].map("{:.1f}".format),
    )
    return {
        col: join_groups(crk[src].to_numpy(dtype=object), code, ";").to_numpy(dtype=object)
        for col, src in (
            ("units", "unit"),
            ("unit_names", "uname"),
            ("shares", "share_s"),
            ("lengths_m", "len_s"),
        )
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
