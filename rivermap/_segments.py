"""A plan's segments: stretches with one unit each, numbered, named and cut out of the rivers.

:func:`finish_segments` turns stretches with a unit into a plan's segments:
ids ``{river_id}-{k}`` in chainage order, the river's and the unit's names, who
held each stretch before (an overlay with the baseline, see
:func:`rivermap._chainage.overlay`) and its line (:func:`rivermap._chainage.cut`).
:func:`rivermap.redivide` and the planner's edits (:mod:`rivermap._edits`) both
end here. The naming helpers read unit and river names for the plan's tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from rivermap._chainage import FloatArray, IntArray, ObjArray, cut, overlay
from rivermap.runs import join_groups
from rivermap.text import term, text_or, texts

__all__ = [
    "UNASSIGNED",
    "by_unit",
    "finish_segments",
    "names_each",
    "names_of",
    "pieces_of",
    "river_names",
    "stretches",
]

#: The holder of a stretch nobody holds, in the diff.
UNASSIGNED = "(unassigned)"


def by_unit(units: pd.DataFrame, column: str) -> pd.Series:
    """Return a column of the unit table indexed by ``unit_id`` (as text)."""
    return pd.Series(units[column].to_numpy(dtype=object), index=units["unit_id"].astype(str))


def river_names(segments: pd.DataFrame, baseline: pd.DataFrame) -> dict[str, Any]:
    """Return the name of every river of the segments, None for rivers only the baseline has."""
    names = dict(zip(segments["river_id"].astype(str), segments["name"], strict=True))
    for rid in baseline["river_id"].astype(str).unique():
        names.setdefault(rid, None)
    return names


def names_of(units: Any, uname: pd.Series | Mapping[str, Any]) -> str:
    """Return the names of ``";"``-joined unit ids (the id where a unit has no name).

    ``"(unassigned)"`` reads in both languages; missing text gives ``""``.
    """
    ids = text_or(units)
    if ids is None:
        return ""
    if ids == UNASSIGNED:
        return f"{term('plan.unassigned', 'zh')} {term('plan.unassigned', 'en')}"
    return ";".join(str(uname.get(u, u)) for u in ids.split(";"))


def names_each(units: pd.Series, uname: pd.Series) -> list[str]:
    """Return :func:`names_of` of every value, worked out once per distinct value."""
    codes, uniq = pd.factorize(pd.Series(units.to_numpy(dtype=object), dtype=object))
    lookup = dict(zip(uname.index, uname.to_numpy(dtype=object), strict=False))
    if len(lookup) != len(uname):  # repeated unit ids: keep Series.get's answer
        lookup = {u: uname.get(u, u) for u in uname.index.unique()}
    names = np.array([names_of(u, lookup) for u in uniq] + [""], dtype=object)
    return names[codes].tolist()


def stretches(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """Return the ``river_id`` (text), ``from_m`` and ``to_m`` (floats) of rows, and ``columns``."""
    return pd.DataFrame(
        {
            "river_id": frame["river_id"].astype(str),
            "from_m": frame["from_m"].astype(float),
            "to_m": frame["to_m"].astype(float),
            **columns,
        }
    )


def pieces_of(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the stretches of reaches or segments with their lines, to cut stretches from."""
    return gpd.GeoDataFrame(stretches(lines), geometry=lines.geometry.to_numpy(), crs=lines.crs)


def finish_segments(
    frame: pd.DataFrame,
    pieces: gpd.GeoDataFrame,
    metric: pyproj.CRS,
    names: Mapping[str, Any] | pd.Series,
    units: pd.DataFrame,
    baseline: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Return segments numbered, named and cut from stretches with one unit each.

    Parameters
    ----------
    frame
        The stretches and their units (``river_id``, ``from_m``, ``to_m``,
        ``unit_id``), any order.
    pieces
        Lines tiling the rivers (see :func:`cut`).
    metric
        The CRS chainages are measured in.
    names
        River names by ``river_id``.
    units
        The unit table (``unit_id``, ``name``, ``level``).
    baseline
        Who held what before (``river_id``, ``from_m``, ``to_m``, ``unit``,
        ``state``), for ``previous`` and ``boundary_m``.

    Returns
    -------
    GeoDataFrame
        :data:`rivermap.plan.SEGMENT_COLUMNS` and the lines, in the pieces' CRS.
    """
    codes, rivers = pd.factorize(frame["river_id"].astype(str), sort=True)
    order = np.lexsort((frame["from_m"].to_numpy(dtype=float), codes))
    if (order[1:] < order[:-1]).any():  # (a stable sort of rows in order changes nothing)
        frame, codes = frame.iloc[order], codes[order]
    f = frame.reset_index(drop=True)
    # k: 1, 2, … along each river (rivers are contiguous blocks of rows)
    new = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new)
    k = np.arange(len(f)) - np.repeat(starts, np.diff(np.append(starts, len(f)))) + 1
    uid = f["unit_id"].astype(object)
    prev, bnd = _previous(f, baseline)
    name_map = pd.Series(names) if not isinstance(names, pd.Series) else names
    out = pd.DataFrame(
        {
            "segment_id": (f["river_id"].astype(str) + "-" + _count_text(k)).astype("str"),
            "river_id": f["river_id"].astype("str"),
            "name": pd.Series(_lookup(name_map, rivers)[codes], dtype=object).astype("str"),
            "from_m": f["from_m"].astype(float),
            "to_m": f["to_m"].astype(float),
            "length_m": (f["to_m"] - f["from_m"]).astype(float),
            "unit_id": uid.astype("str"),
            "unit_name": _unit_column(uid, units, "name"),
            "unit_level": _unit_column(uid, units, "level"),
            "previous": pd.Series(prev, dtype="str"),
            "boundary_m": bnd,
        }
    )
    geoms = cut(pieces, f[["river_id", "from_m", "to_m"]], metric)
    return gpd.GeoDataFrame(out, geometry=geoms, crs=pieces.crs)


def _count_text(values: np.ndarray) -> np.ndarray:
    """Return integers as text, an object array."""
    return np.array(list(map(str, values.tolist())), dtype=object).reshape(-1)


def _lookup(table: pd.Series, keys: Any) -> ObjArray:
    """Return ``table``'s value of each key (``table.map`` of distinct keys), NaN where none."""
    at = pd.Index(table.index).get_indexer(pd.Index(keys))
    return np.append(table.to_numpy(dtype=object), np.nan)[at]


def _unit_column(uid: pd.Series, units: pd.DataFrame, column: str) -> pd.Series:
    """Return ``column`` of the unit table for every unit id, as text (NaN where unknown)."""
    codes, uniq = pd.factorize(uid)
    values = np.append(_lookup(by_unit(units, column), uniq), np.nan)[codes]
    return pd.Series(values, dtype=object).astype("str")


def _previous(segs: pd.DataFrame, baseline: pd.DataFrame) -> tuple[ObjArray, FloatArray]:
    """Return who held each segment's stretches before, and its length along boundaries."""
    ov = overlay(segs, baseline)
    ov = ov[(ov["li"] >= 0) & (ov["ri"] >= 0)]
    holder = baseline["unit"].to_numpy(dtype=object)[ov["ri"].to_numpy()]
    state = baseline["state"].to_numpy(dtype=object)[ov["ri"].to_numpy()]
    length = (ov["to_m"] - ov["from_m"]).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "seg": ov["li"].to_numpy(),
            "holder": holder,
            "bnd": np.where(state == "boundary", length, 0.0),
        }
    )
    # who held it: every holder's ids ("A;B" for both banks) once, in order of appearance
    tokens, row = _split(np.array(list(map(str, holder.tolist())), dtype=object).reshape(-1))
    prev = join_groups(tokens, frame["seg"].to_numpy()[row], ";", unique=True)
    bnd = frame.groupby("seg")["bnd"].sum()
    idx = pd.RangeIndex(len(segs))
    prev_arr = texts(prev.reindex(idx).to_numpy(dtype=object))
    return prev_arr, bnd.reindex(idx, fill_value=0.0).to_numpy(dtype=float)


def _split(text: ObjArray) -> tuple[ObjArray, IntArray]:
    """Split every text at ``";"``: the pieces in order, and the row each comes from.

    As ``Series.str.split(";").explode()``, splitting only the texts that hold a ``";"``.
    """
    many = np.flatnonzero(np.fromiter((";" in t for t in text), dtype=bool, count=len(text)))
    if not len(many):
        return text, np.arange(len(text))
    pieces = [t.split(";") for t in text[many]]
    counts = np.ones(len(text), dtype=np.int64)
    counts[many] = [len(p) for p in pieces]
    first = np.cumsum(counts) - counts
    tokens = np.empty(int(counts.sum()), dtype=object)
    whole = np.ones(len(text), dtype=bool)
    whole[many] = False
    tokens[first[whole]] = text[whole]
    at = np.repeat(first[many], counts[many]) + _ranks(counts[many])
    tokens[at] = [t for p in pieces for t in p]
    return tokens, np.repeat(np.arange(len(text)), counts)


def _ranks(counts: IntArray) -> IntArray:
    """Return 0, 1, … count - 1 for every count, one after another."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
