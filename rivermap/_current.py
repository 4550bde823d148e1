"""The official segmentation (现行河段划分) a plan is compared with, by chainage.

:func:`normalise_current` reads the official segments (lines in any CRS, or a
table of chainages ``river_id``, ``from_m``, ``to_m``), finds each one's river
and chainage (a line goes to its ``river_id``, else to the river nearest its
middle, and is located by its two ends), lifts its unit to the plan's level
and sets aside, with a reason, the segments that do not fit: an unknown river,
a line far from every river, a stretch beyond the river's end or of no length,
no responsible unit, an overlap with the segment before, or a unit that is not
among the units (kept, but reported).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap._chainage import FloatArray, ObjArray
from rivermap.errors import CRSError, SchemaError, format_ids
from rivermap.io import read_table, read_vector
from rivermap.runs import EPS_M, ancestor_at, empty_frame
from rivermap.text import is_missing, text_or, texts

__all__ = ["UNMATCHED", "normalise_current"]


#: Columns and dtypes of the official segments that line up with no river.
UNMATCHED: dict[str, Any] = {
    "segment": "str",
    "river_id": "str",
    "reason": "str",
    "distance_m": float,
}

_UNIT_COLS = ("unit_id", "responsible", "unit", "责任单位编码", "责任单位", "单位编码", "单位")
_ID_COLS = ("segment_id", "id", "河段编码", "code", "编码", "fid")
_TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv", ".txt")
_COLUMNS = ["river_id", "from_m", "to_m", "unit", "state", "segment"]


# ================================================================ official
class _Stretches(NamedTuple):
    """Where each official segment lies: river, chainages and distance from the river."""

    river: ObjArray
    lo: FloatArray
    hi: FloatArray
    dist: FloatArray
    by_chainage: bool  # given as river_id, from_m, to_m (not as lines)


def normalise_current(
    current: Any,
    *,
    reaches: gpd.GeoDataFrame,
    river_len: pd.Series,
    metric: pyproj.CRS,
    units: pd.DataFrame,
    level: str,
    id_col: str | None,
    unit_col: str | None,
    tol: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the official segmentation by chainage, and the segments that do not fit.

    Parameters
    ----------
    current
        A GeoDataFrame or DataFrame, or a path to a vector file or a table
        (see :func:`rivermap.redivide`).
    reaches
        The rivers' reaches: ``river_id``, ``from_m``, ``to_m`` and lines.
    river_len
        Each river's length (metres) by ``river_id``.
    metric
        The CRS chainages are measured in.
    units
        The units (``unit_id``, ``level``, ``parent_id``), to lift units to ``level``.
    level
        The plan's level.
    id_col, unit_col
        The id and responsible-unit columns, or None to look for them.
    tol
        How far (metres) official lines may lie from a river.

    Returns
    -------
    tuple of DataFrame
        The segments that fit (``river_id``, ``from_m``, ``to_m``, ``unit``,
        ``state``, ``segment``), and those that do not (``segment``,
        ``river_id``, ``reason``, ``distance_m``).
    """
    frame, where = _load(current)
    ucol, icol = _columns(frame, where, level, id_col, unit_col)
    seg_ids = (
        frame[icol].astype(str).to_numpy(dtype=object)
        if icol
        else np.array([f"row {i + 1}" for i in range(len(frame))], dtype=object)
    )
    unit = texts([text_or(u, "").strip() for u in frame[ucol].to_numpy(dtype=object)])
    found = _stretches(frame, where, seg_ids, reaches, metric)
    length = pd.Series(found.river.astype(str)).map(river_len).to_numpy(dtype=float)
    reasons, lo, hi = _misfits(found, length, tol)
    reasons[is_missing(reasons) & is_missing(unit)] = f"no responsible unit in column {ucol!r}"
    ok = is_missing(reasons)
    unit = _lifted(unit, units, level)
    cur = pd.DataFrame(
        {
            "river_id": found.river.astype(str)[ok],
            "from_m": lo[ok],
            "to_m": hi[ok],
            "unit": unit[ok],
            "segment": seg_ids[ok],
        }
    )
    cur, problems = _without_overlaps(cur, tol)
    problems += _misfit_problems(found, seg_ids, reasons, np.isnan(length))
    problems += _strange_units(cur, set(units["unit_id"].astype(str)))
    cur["state"] = "unit"
    return cur[_COLUMNS], _unmatched_table(problems)


def _load(current: Any) -> tuple[pd.DataFrame, str]:
    """Return the official segments as a (Geo)DataFrame, and how to name them in messages."""
    if isinstance(current, str | os.PathLike):
        p = Path(current)
        frame = read_table(p) if p.suffix.lower() in _TABLE_SUFFIXES else read_vector(p)
        return frame, str(p)
    if isinstance(current, pd.DataFrame):
        return current, "current"
    msg = (
        "current must be a GeoDataFrame, a DataFrame or a path to a vector file or "
        f"a CSV/XLSX table; got {type(current).__name__}"
    )
    raise TypeError(msg)


def _columns(
    frame: pd.DataFrame, where: str, level: str, id_col: str | None, unit_col: str | None
) -> tuple[str, str | None]:
    """Return the responsible-unit column and the id column (None: number the rows)."""
    cols = list(frame.columns)
    wanted = (_UNIT_COLS[0], level, *_UNIT_COLS[1:])
    ucol = unit_col or next((c for c in wanted if c in cols), None)
    if ucol is None or ucol not in cols:
        msg = (
            f"{where}: no responsible-unit column; expected one of "
            f"{format_ids(wanted, limit=10)} "
            f"or current_unit_col=...; the columns are {format_ids(cols, limit=12)}"
        )
        raise SchemaError(msg)
    icol = id_col or next((c for c in _ID_COLS if c in cols), None)
    if icol is not None and icol not in cols:
        msg = (
            f"{where}: no column {icol!r} (current_id_col); "
            f"the columns are {format_ids(cols, limit=12)}"
        )
        raise SchemaError(msg)
    return ucol, icol


def _stretches(
    frame: pd.DataFrame,
    where: str,
    seg_ids: ObjArray,
    reaches: gpd.GeoDataFrame,
    metric: pyproj.CRS,
) -> _Stretches:
    """Return where the official segments lie: from their chainage columns, else their lines."""
    if all(c in frame.columns for c in ("river_id", "from_m", "to_m")):
        lo = pd.to_numeric(frame["from_m"], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(frame["to_m"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(np.isnan(lo) | np.isnan(hi))
        if len(bad):
            msg = (
                f"{where}: from_m/to_m must be numbers (metres); rows "
                f"{format_ids([int(b) + 1 for b in bad])} are not (segments "
                f"{format_ids(seg_ids[bad].tolist())})"
            )
            raise SchemaError(msg)
        river = frame["river_id"].astype(str).to_numpy(dtype=object)
        return _Stretches(river, lo, hi, np.zeros(len(frame)), by_chainage=True)
    if isinstance(frame, gpd.GeoDataFrame):
        return _match_lines(frame, reaches, metric, where)
    msg = (
        f"{where}: give either line geometry or the columns river_id, from_m and to_m; "
        f"the columns are {format_ids(list(frame.columns), limit=12)}"
    )
    raise SchemaError(msg)


def _misfits(
    found: _Stretches, length: FloatArray, tol: float
) -> tuple[ObjArray, FloatArray, FloatArray]:
    """Return why each segment does not fit its river (None where it does), and its chainages.

    ``length`` is the length of each segment's river (NaN: no such river).
    Chainages are put in order and clipped to the river.
    """
    river, dist = found.river, found.dist
    swap = found.lo > found.hi
    lo, hi = np.where(swap, found.hi, found.lo), np.where(swap, found.lo, found.hi)
    reasons = np.full(len(lo), None, dtype=object)
    unknown = np.isnan(length)
    reasons[unknown] = "unknown river_id" if found.by_chainage else "no river within the tolerance"
    far = ~unknown & (dist > tol)
    for i in np.flatnonzero(far):
        reasons[i] = f"{dist[i]:,.1f} m from river {river[i]!r} (tolerance {tol:g} m)"
    beyond = ~unknown & ~far & ((lo < -tol) | (hi > length + tol))
    for i in np.flatnonzero(beyond):
        reasons[i] = (
            f"{lo[i]:,.1f}–{hi[i]:,.1f} m lies beyond the river (length {length[i]:,.1f} m)"
        )
    lo = np.clip(lo, 0, np.where(unknown, np.inf, length))
    hi = np.clip(hi, 0, np.where(unknown, np.inf, length))
    reasons[is_missing(reasons) & (hi - lo <= EPS_M)] = "zero length along the river"
    return reasons, lo, hi


def _misfit_problems(
    found: _Stretches, seg_ids: ObjArray, reasons: ObjArray, unknown: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    """Return a problem for every segment with a reason (lines matching no river have no river)."""
    return [
        {
            "segment": seg_ids[i],
            "river_id": None if unknown[i] and not found.by_chainage else found.river[i],
            "reason": reasons[i],
            "distance_m": float(found.dist[i]) if np.isfinite(found.dist[i]) else np.nan,
        }
        for i in np.flatnonzero(~is_missing(reasons))
    ]


def _lifted(unit: ObjArray, units: pd.DataFrame, level: str) -> ObjArray:
    """Return the units lifted to their ancestor at ``level`` (kept where they have none)."""
    lifted = pd.Series(unit).map(ancestor_at(units, level)).to_numpy(dtype=object)
    return np.where(is_missing(lifted), unit, lifted)


def _without_overlaps(cur: pd.DataFrame, tol: float) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Return the segments in chainage order without overlaps, and the ones dropped.

    A segment reaching back over the one before it by more than ``tol`` is
    dropped; a smaller overlap trims the later segment.
    """
    cur = cur.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    prev_to = cur.groupby("river_id")["to_m"].shift()
    prev_id = cur.groupby("river_id")["segment"].shift()
    overlap = (prev_to - cur["from_m"] > tol).to_numpy()
    problems = [
        {
            "segment": cur.at[i, "segment"],
            "river_id": cur.at[i, "river_id"],
            "reason": f"overlaps segment {prev_id.iloc[i]!r}",
            "distance_m": 0.0,
        }
        for i in np.flatnonzero(overlap)
    ]
    cur = cur[~overlap].reset_index(drop=True)
    prev_to = cur.groupby("river_id")["to_m"].shift()
    cur["from_m"] = np.where(prev_to.notna() & (prev_to > cur["from_m"]), prev_to, cur["from_m"])
    return cur[cur["to_m"] - cur["from_m"] > EPS_M].reset_index(drop=True), problems


def _strange_units(cur: pd.DataFrame, known: set[str]) -> list[dict[str, Any]]:
    """Return a problem for every segment whose unit is not among the units (it is kept)."""
    problems = []
    for u in sorted({str(u) for u in cur["unit"] if str(u) not in known}):
        for s in cur.loc[cur["unit"].astype(str) == u, "segment"].tolist():
            problems.append(
                {
                    "segment": s,
                    "river_id": cur.loc[cur["segment"] == s, "river_id"].iloc[0],
                    "reason": f"unit {u!r} is not among the units (kept as given)",
                    "distance_m": 0.0,
                }
            )
    return problems


def _unmatched_table(problems: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the problems as a table of :data:`UNMATCHED` (text and metres)."""
    unmatched = pd.DataFrame(problems, columns=list(UNMATCHED))
    return empty_frame(**UNMATCHED) if unmatched.empty else unmatched.astype(UNMATCHED)


def _whole_rivers(
    reaches: gpd.GeoDataFrame, metric: pyproj.CRS
) -> tuple[ObjArray, pd.Index, FloatArray]:
    """Return each river whole (in the metric CRS), its id, and its metres of chainage per metre."""
    r = reaches.sort_values(["river_id", "from_m"], kind="stable").reset_index(drop=True)
    rparts, rowidx = shapely.get_parts(r.geometry.to_crs(metric).to_numpy(), return_index=True)
    codes, uniq = pd.factorize(r["river_id"].astype(str), sort=True)
    whole = shapely.multilinestrings(rparts, indices=codes[rowidx])
    total = np.zeros(len(uniq))
    np.maximum.at(total, codes, r["to_m"].to_numpy(dtype=float))
    glen = shapely.length(whole)
    scale = np.where(glen > 0, total / np.where(glen > 0, glen, 1.0), 0.0)
    return whole, pd.Index(uniq), scale


def _match_lines(
    frame: gpd.GeoDataFrame, reaches: gpd.GeoDataFrame, metric: pyproj.CRS, where: str
) -> _Stretches:
    """Return the chainage of official lines along their river (given, else the nearest)."""
    if frame.crs is None:
        msg = f"{where}: the lines have no CRS; set one (e.g. .set_crs('EPSG:4490'))"
        raise CRSError(msg)
    geoms = frame.geometry.to_crs(metric).to_numpy()
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (1, 5)) | shapely.is_empty(geoms))
    if len(bad):
        msg = f"{where}: rows {format_ids([int(b) + 1 for b in bad])} are not lines"
        raise SchemaError(msg)
    whole, uniq, scale = _whole_rivers(reaches, metric)
    start, mid, end = (
        shapely.line_interpolate_point(geoms, t, normalized=True) for t in (0.0, 0.5, 1.0)
    )
    if "river_id" in frame.columns:
        given = frame["river_id"].astype(str).to_numpy(dtype=object)
        idx = uniq.get_indexer(given)
    else:
        given = np.full(len(frame), None, dtype=object)
        pair = shapely.STRtree(whole).query_nearest(mid, all_matches=False)
        idx = np.full(len(frame), -1, dtype=np.int64)
        idx[pair[0]] = pair[1]
    known = idx >= 0
    sel = np.clip(idx, 0, None)
    river = np.where(known, np.asarray(uniq, dtype=object)[sel], given)
    g = whole[sel]
    dist = np.max(np.column_stack([shapely.distance(g, p) for p in (start, mid, end)]), axis=1)
    lo = shapely.line_locate_point(g, start) * scale[sel]
    hi = shapely.line_locate_point(g, end) * scale[sel]
    dist = np.where(known, dist, np.nan)
    return _Stretches(river.astype(object), lo, hi, dist, by_chainage=False)


# ================================================================ segments


# ==================================================================== diff


# ================================================================= overlay


# ===================================================================== cut
