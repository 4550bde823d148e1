"""The proposal a flag carries: where to cut a river, what to give to whom, in words.

For the flagged rivers of one level, :func:`rivermap.flags.flags` resolves the
level runs as :func:`rivermap.redivide` would with ``policy="majority"`` (see
:func:`rivermap.runs.resolve`) and hands the resolved runs and segments here.

:func:`proposals` gives the machine-readable proposal per river (how many
segments it keeps, the chainages of its cuts and the stretches it gives to
another unit) and says the same in a sentence, in Chinese and English, from
four parts: keep the river whole or split it (with the first segments named),
the stretches to reassign, the 界河 stretches, and the common parent as an
alternative. Each part is computed for all rivers as arrays and filled into
the sentence templates of :mod:`rivermap.text` (``proposal.*``) with
:func:`rivermap.text.fill`; numbers are formatted only where they are shown.
Runs, segments and units come as integers (:class:`rivermap.runs.Coded`):
ids and names are looked up only for what a sentence names.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rivermap.runs import BOUNDARY, EPS_M, UNIT, Coded, first_per, join_groups
from rivermap.text import list_separator, term, texts

__all__ = ["fixed", "join_nonempty", "proposals"]

#: Segments named in a proposal, and cuts listed.
_SHOWN_SEGMENTS = 4
_SHOWN_CUTS = 6


# ================================================================== helpers
def fixed(values: Any, decimals: int, *, grouping: bool = False) -> np.ndarray:
    """Format numbers as ``"{:.<decimals>f}"`` (``"{:,.<decimals>f}"`` with grouping), as objects.

    Many numbers of a small range (shares, km) are looked up in a table of
    the texts of every multiple of 10^-decimals: a number rounds to the
    nearest multiple exactly as ``format`` rounds it unless it lies within
    10^-6 of halfway (those, and everything else, go through ``format``).

    Examples
    --------
    >>> fixed([0.5, 1234.56, 0.0005], 1, grouping=True).tolist()
    ['0.5', '1,234.6', '0.0']
    """
    spec = ("{:,.%df}" if grouping else "{:.%df}") % decimals
    x = np.asarray(values, dtype=float).reshape(-1)
    out = np.empty(len(x), dtype=object)
    scaled = x * 10.0**decimals
    with np.errstate(invalid="ignore"):
        near = np.abs(scaled - np.floor(scaled) - 0.5) <= 1e-6
        table = ~np.signbit(x) & (scaled <= _TABLE_MAX) & ~near
    if table.any() and scaled[table].max() + 1 <= table.sum() / 4:  # a table is cheaper
        multiple = np.rint(scaled[table]).astype(np.int64)
        texts_of = list(map(spec.format, np.arange(multiple.max() + 1) / 10.0**decimals))
        out[table] = np.array(texts_of, dtype=object)[multiple]
    else:
        table[:] = False
    out[~table] = list(map(spec.format, x[~table].tolist()))
    return out


#: The largest multiple of 10^-decimals :func:`fixed` looks up in a table.
_TABLE_MAX = 100_000


def _km(values: Any) -> np.ndarray:
    return fixed(np.asarray(values, dtype=float) / 1000, 1, grouping=True)


def _count_text(values: np.ndarray) -> np.ndarray:
    """Return integers as text, an object array."""
    ints = np.asarray(values).reshape(-1)
    if len(ints) > 1000 and ints.min() >= 0 and ints.max() < len(ints):
        return np.array([str(i) for i in range(int(ints.max()) + 1)], dtype=object)[ints]
    return np.array(list(map(str, ints.tolist())), dtype=object).reshape(-1)


def _per_river_text(values: Any, pos: np.ndarray, n: int, sep: str) -> np.ndarray:
    """Join ``values`` with ``sep`` per river position (0..n-1); "" where a river has none."""
    out = np.full(n, "", dtype=object)
    ok = pos >= 0
    joined = join_groups(np.asarray(values, dtype=object)[ok], pos[ok], sep)
    out[joined.index.to_numpy(dtype=np.int64)] = joined.to_numpy(dtype=object)
    return out


def _sum_per(values: np.ndarray, pos: np.ndarray, n: int) -> np.ndarray:
    """Sum per position (pandas' groupby summation, as the per-river groupby it replaces)."""
    ok = pos >= 0
    sums = pd.Series(np.asarray(values, dtype=float)[ok]).groupby(pos[ok]).sum()
    return sums.reindex(pd.RangeIndex(n), fill_value=0.0).to_numpy(dtype=float)


def _where(mask: np.ndarray, text: Any, other: Any = "") -> np.ndarray:
    """Return ``text`` where ``mask``, else ``other``, as an object array."""
    return np.where(np.asarray(mask, dtype=bool), text, other).astype(object)


def join_nonempty(parts: Sequence[np.ndarray], sep: str) -> np.ndarray:
    """Join the non-empty strings of each row of ``parts`` with ``sep``."""
    tokens = [parts[0]]
    seen = parts[0] != ""
    for part in parts[1:]:
        filled = part != ""
        tokens += [_where(seen & filled, sep), part]
        seen = seen | filled
    return _rows(tokens, len(parts[0]))


# ========================================================= the whole proposal
def proposals(
    runs: pd.DataFrame,
    segs: pd.DataFrame,
    pos: np.ndarray,
    coded: Coded,
    *,
    parent: np.ndarray,
    n_units: np.ndarray,
) -> dict[str, np.ndarray]:
    """Return the proposal of every flagged river: its fields and its sentences.

    Parameters
    ----------
    runs, segs
        The resolved runs and the segments of the proposal
        (:func:`rivermap.runs.resolve` with ``policy="majority"``), as integers.
    pos
        Per river code, the river's row in the flags table (-1: not flagged).
    coded
        The result's ids (:class:`rivermap.runs.Coded`).
    parent, n_units
        Per flagged river, the code of the common parent of its units (-1:
        none) and how many units hold it.

    Returns
    -------
    dict
        ``n_segments``, ``split_at_m`` and ``reassign`` (see
        :func:`rivermap.flags.flags`), ``proposal`` and ``proposal_zh``.
    """
    n = len(parent)
    spos = pos[segs["river"].to_numpy()]
    cut_pos, cut_text = _cuts(segs, spos)
    parts = _Parts(
        **_segment_parts(segs, spos, n, coded),
        cuts=_cut_parts(cut_pos, cut_text, n),
        **_move_parts(runs, pos, n, coded),
        **_boundary_parts(runs, pos, n, coded),
        parent=_parent_part(parent, n_units, coded),
    )
    return {
        "n_segments": np.bincount(spos[spos >= 0], minlength=n),
        "split_at_m": _per_river_text(cut_text, cut_pos, n, ";"),
        "reassign": _reassign(runs, pos, n, coded),
        "proposal": _sentence(parts, "en"),
        "proposal_zh": _sentence(parts, "zh"),
    }


def _cuts(segs: pd.DataFrame, spos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the cuts between consecutive segments: their rivers' rows and chainages as text."""
    s_from = segs["from_m"].to_numpy(dtype=float)
    s_to = segs["to_m"].to_numpy(dtype=float)
    same_next = np.zeros(len(segs), dtype=bool)
    same_next[:-1] = spos[1:] == spos[:-1]
    nxt = np.append(s_from[1:], np.nan)
    with np.errstate(invalid="ignore"):
        cut = same_next & (np.abs(nxt - s_to) <= EPS_M)
    return spos[cut], fixed(s_to[cut], 1)


def _reassign(runs: pd.DataFrame, pos: np.ndarray, n: int, coded: Coded) -> np.ndarray:
    """Return ``"from_m-to_m:unit;..."`` per river: the stretches given to another unit."""
    unit = runs["unit"].to_numpy()
    changed = np.flatnonzero(unit != runs["holder"].to_numpy())
    if not len(changed):
        return np.full(n, "", dtype=object)
    # consecutive changed runs going to the same unit are one stretch
    rpos = pos[runs["river"].to_numpy()][changed]
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
    ids = np.array([str(u) for u in coded.decode(c_unit[first])], dtype=object).reshape(-1)
    text = fixed(c_from[first], 1) + "-" + fixed(c_to[last], 1) + ":" + ids
    return _per_river_text(text, rpos[first], n, ";")


# ==================================================================== words
@dataclass(frozen=True)
class _Parts:
    """The pieces of every river's proposal, one array entry per river ("" where none)."""

    n_seg: np.ndarray
    whole: np.ndarray  # the river stays with one unit
    only: np.ndarray  # ... this one
    labels: np.ndarray  # the first segments, "unit a–b km"
    cuts: np.ndarray  # the first cuts, in km
    n_moves: np.ndarray
    move_km: np.ndarray
    move_span: np.ndarray
    move_from: np.ndarray
    move_to: np.ndarray
    boundary_km: np.ndarray
    boundary_pair: np.ndarray
    parent: np.ndarray


def _segment_parts(
    segs: pd.DataFrame, spos: np.ndarray, n: int, coded: Coded
) -> dict[str, np.ndarray]:
    """Return the number of segments, whether one unit keeps the river, and the first segments."""
    s_unit = segs["unit"].to_numpy()
    n_seg = np.bincount(spos[spos >= 0], minlength=n)
    pairs = pd.Series(spos * (int(s_unit.max(initial=0)) + 2) + s_unit + 1).drop_duplicates()
    n_distinct = np.bincount(spos[pairs.index.to_numpy()], minlength=n)
    first_seg = first_per(spos, n)
    only = np.full(n, "", dtype=object)
    has_seg = first_seg >= 0
    only[has_seg] = coded.names(s_unit[first_seg[has_seg]])
    # labels of the first segments of rivers that are split
    seg_start = np.zeros(len(spos), dtype=np.int64)
    seg_start[spos >= 0] = first_seg[spos[spos >= 0]]
    rank = np.arange(len(spos)) - seg_start
    shown = np.flatnonzero((spos >= 0) & (rank < _SHOWN_SEGMENTS))
    shown = shown[n_distinct[spos[shown]] != 1]
    label = (
        coded.names(s_unit[shown])
        + " "
        + _km(segs["from_m"].to_numpy(dtype=float)[shown])
        + "–"
        + _km(segs["to_m"].to_numpy(dtype=float)[shown])
        + " km"
    )
    labels = np.stack(
        [_per_river_text(label, spos[shown], n, list_separator(lang)) for lang in ("zh", "en")]
    )
    return {
        "n_seg": n_seg,
        "whole": (n_seg > 0) & (n_distinct == 1),
        "only": only,
        "labels": labels,
    }


def _cut_parts(cut_pos: np.ndarray, cut_text: np.ndarray, n: int) -> np.ndarray:
    """Return the first cuts of every river in km, ``", "``-joined (" …" when there are more).

    The km are those of the cuts as ``split_at_m`` shows them (metres, rounded to 0.1).
    """
    n_cuts = np.bincount(cut_pos, minlength=n)
    starts = np.append(0, np.cumsum(n_cuts))[cut_pos]
    first = np.arange(len(cut_pos)) - starts < _SHOWN_CUTS
    metres = np.array(cut_text[first], dtype=float)
    shown = _per_river_text(_km(metres), cut_pos[first], n, ", ")
    return shown + np.where(n_cuts > _SHOWN_CUTS, " …", "").astype(object)


def _move_parts(runs: pd.DataFrame, pos: np.ndarray, n: int, coded: Coded) -> dict[str, np.ndarray]:
    """Return the stretches given to another unit: how many, km in all, and the first one."""
    rpos = pos[runs["river"].to_numpy()]
    unit, holder = runs["unit"].to_numpy(), runs["holder"].to_numpy()
    moved = (unit != holder) & (runs["state"].to_numpy() == UNIT)
    mpos = np.where(moved, rpos, -1)
    n_moves = np.bincount(mpos[mpos >= 0], minlength=n)
    has = n_moves > 0
    first = first_per(mpos, n)[has]
    out = {k: np.full(n, "", dtype=object) for k in ("km", "span", "from", "to")}
    out["km"][has] = _km(_sum_per(runs["length_m"].to_numpy(dtype=float), mpos, n)[has])
    out["span"][has] = (
        _km(runs["from_m"].to_numpy(dtype=float)[first])
        + "–"
        + _km(runs["to_m"].to_numpy(dtype=float)[first])
    )
    out["from"][has] = coded.names(holder[first])
    out["to"][has] = coded.names(unit[first])
    return {
        "n_moves": n_moves,
        "move_km": out["km"],
        "move_span": out["span"],
        "move_from": out["from"],
        "move_to": out["to"],
    }


def _boundary_parts(
    runs: pd.DataFrame, pos: np.ndarray, n: int, coded: Coded
) -> dict[str, np.ndarray]:
    """Return the km along boundaries and the first boundary's two sides."""
    rpos = pos[runs["river"].to_numpy()]
    bpos = np.where(runs["state"].to_numpy() == BOUNDARY, rpos, -1)
    has = np.bincount(bpos[bpos >= 0], minlength=n) > 0
    km = np.full(n, "", dtype=object)
    km[has] = _km(_sum_per(runs["length_m"].to_numpy(dtype=float), bpos, n)[has])
    first = first_per(bpos, n)[has]
    pair = np.full(n, "", dtype=object)
    pair[has] = (
        coded.names(runs["side_a"].to_numpy()[first])
        + "/"
        + coded.names(runs["side_b"].to_numpy()[first])
    )
    return {"boundary_km": km, "boundary_pair": pair}


def _parent_part(parent: np.ndarray, n_units: np.ndarray, coded: Coded) -> np.ndarray:
    """Return the common parent's name for rivers of several units ("" otherwise)."""
    ok = (parent >= 0) & (n_units > 1)
    out = np.full(len(parent), "", dtype=object)
    out[ok] = coded.names(parent[ok])
    return out


def _sentence(p: _Parts, lang: str) -> np.ndarray:
    """Return the proposal sentence of every river in ``lang``."""
    split = (p.n_seg > 0) & ~p.whole
    more = np.where(p.n_seg > _SHOWN_SEGMENTS, " …", "").astype(object)
    labels = p.labels[0 if lang == "zh" else 1]
    keep = _filled(p.whole, "proposal.whole", lang, unit=p.only)
    keep[split] = _filled(
        split, "proposal.split", lang, cuts=p.cuts, n=p.n_seg, segments=labels, more=more
    )[split]
    extra = _filled(
        p.n_moves > 1, "proposal.reassign_more", lang, all=p.n_moves, others=p.n_moves - 1
    )
    move = _filled(
        p.n_moves > 0,
        "proposal.reassign",
        lang,
        span=p.move_span,
        old=p.move_from,
        new=p.move_to,
        extra=extra,
        km=p.move_km,
    )
    bnd = _filled(
        p.boundary_km != "", "proposal.boundary", lang, km=p.boundary_km, pair=p.boundary_pair
    )
    par = _filled(p.parent != "", "proposal.parent", lang, parent=p.parent)
    out = join_nonempty([keep, move, bnd, par], term("proposal.sep", lang))
    if lang == "en":  # a sentence starts with a capital
        s = pd.Series(out)
        out = texts(s.str[:1].str.upper() + s.str[1:])
    return _rows([out, _where(out != "", term("proposal.end", lang))], len(out))


def _filled(mask: np.ndarray, key: str, lang: str, **fields: Any) -> np.ndarray:
    """Return the term ``key`` filled with ``fields`` where ``mask``, "" elsewhere.

    As :func:`rivermap.text.fill` (the template's fields in order, their spec
    ignored), for the masked rows only; integer fields are written as text.
    """
    rows = np.flatnonzero(mask)
    parts: list[Any] = []
    for literal, name, _spec, _conv in string.Formatter().parse(term(key, lang)):
        parts.append(literal)
        if name is not None:
            value = fields[name]
            if np.ndim(value):
                value = np.asarray(value)[rows]
                value = _count_text(value) if value.dtype.kind in "iu" else value
            parts.append(value)
    out = np.full(len(mask), "", dtype=object)
    out[rows] = _rows(parts, len(rows))
    return out


def _rows(parts: Sequence[Any], n: int) -> np.ndarray:
    """Concatenate texts row by row: each part one text per row, or one text for all.

    One C-level join of the whole table, cut at the rows' ends (``+`` row by
    row where a text holds NUL itself).
    """
    table = np.empty((n, len(parts) + 1), dtype=object)
    for i, part in enumerate(parts):
        table[:, i] = part
    table[:, -1] = "\x00"
    joined = "".join(table.ravel().tolist()).split("\x00")[:-1]
    if len(joined) == n:
        return np.array(joined, dtype=object).reshape(-1)
    out: Any = np.full(n, "", dtype=object)
    for part in parts:
        out = out + part
    return np.asarray(out, dtype=object)
