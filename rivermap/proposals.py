"""The proposal a flag carries: where to cut a river, what to give to whom, in words.

For the flagged rivers of one level, :func:`rivermap.flags.flags` resolves the
level runs as :func:`rivermap.redivide` would with ``policy="majority"`` (see
:func:`rivermap.runs.resolve`) and hands the resolved runs and segments here.

:func:`proposal_fields` gives the machine-readable proposal per river: how
many segments it keeps, the chainages of its cuts and the stretches it gives
to another unit. :func:`proposal_texts` says the same in a sentence, in
Chinese and English, from four parts: keep the river whole or split it (with
the first segments named), the stretches to reassign, the 界河 stretches, and
the common parent as an alternative. Each part is computed for all rivers as
arrays and filled into the sentence templates of :mod:`rivermap.text`
(``proposal.*``) with :func:`rivermap.text.fill`; numbers are formatted only
where they are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rivermap.runs import EPS_M, block_codes, first_per, join_groups
from rivermap.text import fill, list_separator, term, texts

__all__ = ["proposal_fields", "proposal_texts"]

#: Segments named in a proposal, and cuts listed.
_SHOWN_SEGMENTS = 4
_SHOWN_CUTS = 6


# ================================================================== helpers
def river_pos(frame: pd.DataFrame, rivers: pd.Index) -> np.ndarray:
    """Return the position in ``rivers`` of each row's river (rows grouped by river), or -1."""
    rid = frame["river_id"].to_numpy(dtype=object)
    if not len(rid):
        return np.empty(0, dtype=np.int64)
    code, starts = block_codes(rid)
    return np.asarray(rivers.get_indexer(pd.Index(rid[starts])), dtype=np.int64)[code]


def _per_river_text(values: Any, pos: np.ndarray, n: int, sep: str) -> np.ndarray:
    """Join ``values`` with ``sep`` per river position (0..n-1); "" where a river has none."""
    out = np.full(n, "", dtype=object)
    ok = pos >= 0
    joined = join_groups(np.asarray(values, dtype=object)[ok], pos[ok], sep)
    out[joined.index.to_numpy(dtype=np.int64)] = joined.to_numpy(dtype=object)
    return out


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    """Format floats with ``spec`` (e.g. ``"{:.1f}"``) as an object array."""
    return np.asarray(pd.Series(values, dtype=float).map(spec.format), dtype=object)


def _km(values: Any) -> np.ndarray:
    return _fmt(np.asarray(values, dtype=float) / 1000, "{:,.1f}")


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
    out = parts[0]
    for part in parts[1:]:
        both = (out != "") & (part != "")
        out = np.where(both, out + sep + part, out + part).astype(object)
    return out


# ========================================================= machine fields
def proposal_fields(runs: pd.DataFrame, segs: pd.DataFrame, rivers: pd.Index) -> pd.DataFrame:
    """Return ``n_segments``, ``split_at_m`` and ``reassign`` per river (as in the flags table)."""
    n = len(rivers)
    spos = river_pos(segs, rivers)
    n_seg = np.bincount(spos[spos >= 0], minlength=n)
    s_from = segs["from_m"].to_numpy(dtype=float)
    s_to = segs["to_m"].to_numpy(dtype=float)
    same_next = np.zeros(len(segs), dtype=bool)
    same_next[:-1] = spos[1:] == spos[:-1]
    nxt = np.append(s_from[1:], np.nan)
    with np.errstate(invalid="ignore"):
        cut = same_next & (np.abs(nxt - s_to) <= EPS_M)
    split_at = _per_river_text(_fmt(s_to[cut], "{:.1f}"), spos[cut], n, ";")
    return pd.DataFrame(
        {"n_segments": n_seg, "split_at_m": split_at, "reassign": _reassign(runs, rivers)},
        index=rivers,
    )


def _reassign(runs: pd.DataFrame, rivers: pd.Index) -> np.ndarray:
    """Return ``"from_m-to_m:unit;..."`` per river: the stretches given to another unit."""
    n = len(rivers)
    unit = runs["unit"].to_numpy(dtype=object)
    changed = np.flatnonzero((runs["unit"] != runs["holder"]).to_numpy(dtype=bool))
    if not len(changed):
        return np.full(n, "", dtype=object)
    # consecutive changed runs going to the same unit are one stretch
    rpos = river_pos(runs, rivers)[changed]
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


class _Names:
    """Unit names by id: the id where there is no name, "?" where there is no id."""

    def __init__(self, unit_name: pd.Series) -> None:
        self.index = pd.Index(unit_name.index)
        self.values = np.asarray(unit_name.to_numpy(dtype=object), dtype=object)

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=object)
        at = self.index.get_indexer(pd.Index(ids, dtype=object))
        out = np.where(at >= 0, self.values[np.clip(at, 0, None)], np.nan).astype(object)
        missing = pd.isna(out)
        out[missing] = ids[missing]
        out[pd.isna(out)] = "?"
        return np.asarray(pd.Series(out, dtype=object).astype(str), dtype=object)


def proposal_texts(
    table: pd.DataFrame, segs: pd.DataFrame, runs: pd.DataFrame, unit_name: pd.Series
) -> tuple[list[str], list[str]]:
    """Return the English and Chinese proposal text, one per river of ``table``.

    Parameters
    ----------
    table
        The flags being built: ``river_id``, ``split_at_m``, ``parent_unit``
        and ``n_units`` per river.
    segs, runs
        The segments and resolved runs of the proposal (``policy="majority"``).
    unit_name
        Unit names by unit id.
    """
    rivers = pd.Index(table["river_id"].astype(str).to_numpy(dtype=object))
    names = _Names(unit_name)
    seg = _segment_parts(segs, rivers, names)
    parts = _Parts(
        **seg,
        cuts=_cut_parts(table),
        **_move_parts(runs, rivers, names),
        **_boundary_parts(runs, rivers, names),
        parent=_parent_part(table, names),
    )
    return _sentence(parts, "en").tolist(), _sentence(parts, "zh").tolist()


def _segment_parts(segs: pd.DataFrame, rivers: pd.Index, names: _Names) -> dict[str, np.ndarray]:
    """Return the number of segments, whether one unit keeps the river, and the first segments."""
    n = len(rivers)
    spos = river_pos(segs, rivers)
    s_unit = segs["unit"].to_numpy(dtype=object)
    n_seg = np.bincount(spos[spos >= 0], minlength=n)
    ucode = pd.factorize(s_unit)[0]
    pairs = pd.Series(spos * (ucode.max(initial=0) + 2) + ucode + 1).drop_duplicates()
    n_distinct = np.bincount(spos[pairs.index.to_numpy()], minlength=n)
    first_seg = first_per(spos, n)
    only = np.full(n, "", dtype=object)
    has_seg = first_seg >= 0
    only[has_seg] = names(s_unit[first_seg[has_seg]])
    # labels of the first segments of rivers that are split
    seg_start = np.zeros(len(spos), dtype=np.int64)
    seg_start[spos >= 0] = first_seg[spos[spos >= 0]]
    rank = np.arange(len(spos)) - seg_start
    shown = np.flatnonzero((spos >= 0) & (rank < _SHOWN_SEGMENTS))
    shown = shown[n_distinct[spos[shown]] != 1]
    label = (
        names(s_unit[shown])
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


def _cut_parts(table: pd.DataFrame) -> np.ndarray:
    """Return the first cuts of every river in km, ``", "``-joined (" …" when there are more)."""
    n = len(table)
    cut = pd.Series(table["split_at_m"].astype(str).to_numpy(dtype=object)).str.split(";").explode()
    cut = cut[(cut.notna() & (cut != "")).to_numpy()]
    cut_rank = cut.groupby(level=0).cumcount().to_numpy()
    n_cuts = np.bincount(cut.index.to_numpy(dtype=np.int64), minlength=n)
    first = cut[cut_rank < _SHOWN_CUTS]
    metres = np.fromiter(map(float, first.to_numpy(dtype=object)), dtype=float, count=len(first))
    shown_km = pd.Series(metres / 1000, index=first.index).map("{:,.1f}".format)
    shown = _per_river_text(shown_km, shown_km.index.to_numpy(dtype=np.int64), n, ", ")
    return shown + np.where(n_cuts > _SHOWN_CUTS, " …", "").astype(object)


def _move_parts(runs: pd.DataFrame, rivers: pd.Index, names: _Names) -> dict[str, np.ndarray]:
    """Return the stretches given to another unit: how many, km in all, and the first one."""
    n = len(rivers)
    rpos = river_pos(runs, rivers)
    moved = (runs["unit"] != runs["holder"]).to_numpy(dtype=bool) & (
        runs["state"].to_numpy(dtype=object) == "unit"
    )
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
    out["from"][has] = names(runs["holder"].to_numpy(dtype=object)[first])
    out["to"][has] = names(runs["unit"].to_numpy(dtype=object)[first])
    return {
        "n_moves": n_moves,
        "move_km": out["km"],
        "move_span": out["span"],
        "move_from": out["from"],
        "move_to": out["to"],
    }


def _boundary_parts(runs: pd.DataFrame, rivers: pd.Index, names: _Names) -> dict[str, np.ndarray]:
    """Return the km along boundaries and the first boundary's two sides."""
    n = len(rivers)
    rpos = river_pos(runs, rivers)
    bpos = np.where(runs["state"].to_numpy(dtype=object) == "boundary", rpos, -1)
    has = np.bincount(bpos[bpos >= 0], minlength=n) > 0
    km = np.full(n, "", dtype=object)
    km[has] = _km(_sum_per(runs["length_m"].to_numpy(dtype=float), bpos, n)[has])
    first = first_per(bpos, n)[has]
    pair = np.full(n, "", dtype=object)
    pair[has] = (
        names(runs["side_a"].to_numpy(dtype=object)[first])
        + "/"
        + names(runs["side_b"].to_numpy(dtype=object)[first])
    )
    return {"boundary_km": km, "boundary_pair": pair}


def _parent_part(table: pd.DataFrame, names: _Names) -> np.ndarray:
    """Return the common parent's name for rivers of several units ("" otherwise)."""
    parent = texts(table["parent_unit"].to_numpy(dtype=object), missing="")
    ok = (parent != "") & (table["n_units"].to_numpy() > 1)
    out = np.full(len(table), "", dtype=object)
    out[ok] = names(parent[ok])
    return out


def _sentence(p: _Parts, lang: str) -> np.ndarray:
    """Return the proposal sentence of every river in ``lang``."""
    split = (p.n_seg > 0) & ~p.whole
    more = np.where(p.n_seg > _SHOWN_SEGMENTS, " …", "").astype(object)
    n_txt = texts(pd.Series(p.n_seg).astype(str))
    labels = p.labels[0 if lang == "zh" else 1]
    keep = _where(p.whole, fill("proposal.whole", lang, unit=p.only))
    keep = _where(
        split,
        fill("proposal.split", lang, cuts=p.cuts, n=n_txt, segments=labels, more=more),
        keep,
    )
    extra = _where(
        p.n_moves > 1,
        fill(
            "proposal.reassign_more",
            lang,
            all=texts(pd.Series(p.n_moves).astype(str)),
            others=texts(pd.Series(p.n_moves - 1).astype(str)),
        ),
    )
    move = _where(
        p.n_moves > 0,
        fill(
            "proposal.reassign",
            lang,
            span=p.move_span,
            old=p.move_from,
            new=p.move_to,
            extra=extra,
            km=p.move_km,
        ),
    )
    bnd = _where(
        p.boundary_km != "",
        fill("proposal.boundary", lang, km=p.boundary_km, pair=p.boundary_pair),
    )
    par = _where(p.parent != "", fill("proposal.parent", lang, parent=p.parent))
    out = join_nonempty([keep, move, bnd, par], term("proposal.sep", lang))
    if lang == "en":  # a sentence starts with a capital
        s = pd.Series(out)
        out = texts(s.str[:1].str.upper() + s.str[1:])
    return _where(out != "", out + term("proposal.end", lang))
