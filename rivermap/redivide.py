"""Redivision plans: one responsible unit per segment, a diff, and a planner's edits.

:func:`redivide` turns a :class:`~rivermap.Responsibility` into a
:class:`~rivermap.plan.Plan`: every river (where it lies inside the units) is
cut into segments, each with exactly one responsible unit at the chosen level,
following the principles of 分级负责、分片包干、一河一长. ``plan.diff()``
compares the plan with the current official segmentation (or, without one,
with what the engine found), ``plan.apply_edits`` applies a planner's split
points, reassignments and merges drawn as GeoJSON, and ``plan.to_file`` writes
a GeoPackage that :func:`read_plan` reads back.

Segment geometry is cut from the reaches by chainage: chainages are metres
along the river measured in the metric CRS the engine used
(``resp.summary["metric_crs"]``); the cut lines keep the caller's vertices and
CRS.

One module per concern: this one builds the plan from the level runs of
:mod:`rivermap.runs` (:func:`~rivermap.runs.resolve` gives every run one unit
under the policy); :mod:`rivermap.plan` holds the result (:class:`Plan`,
:class:`PlanDiff`, their files and :func:`read_plan`, all importable from here
too); :mod:`rivermap._current` reads the official segmentation, numbers, names
and cuts segments by chainage, and compares; :mod:`rivermap._edits` applies a
planner's edits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj

from rivermap._current import UNMATCHED, normalise_current
from rivermap._segments import finish_segments, pieces_of, stretches
from rivermap.errors import SchemaError
from rivermap.params import (
    EDIT_TOLERANCE_M,
    MIN_SEGMENT_M,
    MIN_SHARE,
    REDIVIDE_POLICIES,
    REDIVIDE_POLICY,
    check_choice,
    check_length,
    check_level,
    check_share,
)
from rivermap.plan import SEGMENT_COLUMNS, Plan, PlanDiff, read_plan
from rivermap.runs import STATES, Coded, credit_codes, empty_frame, resolve, unit_table
from rivermap.text import texts

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["SEGMENT_COLUMNS", "Plan", "PlanDiff", "read_plan", "redivide"]


def redivide(
    resp: Responsibility,
    *,
    level: str,
    policy: str = REDIVIDE_POLICY,
    min_segment_m: float = MIN_SEGMENT_M,
    min_share: float = MIN_SHARE,
    current: Any = None,
    current_id_col: str | None = None,
    current_unit_col: str | None = None,
    tolerance_m: float = EDIT_TOLERANCE_M,
) -> Plan:
    """Propose a redivision: segments with exactly one responsible unit at ``level``.

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign`.
    level
        The level whose units become responsible (one of ``resp.levels``).
    policy
        * ``"split"`` (default): cut wherever the unit changes; stretches
          shorter than ``min_segment_m`` join their longer neighbour;
        * ``"majority"``: stretches of units whose holding is not significant
          (less than ``min_share`` of the river or less than ``min_segment_m``)
          go to a neighbouring significant unit, so a river whose minor shares
          are all below ``min_share`` stays whole under its lead unit; then as
          ``"split"``;
        * ``"parent"``: as ``"majority"``, then a river still held by more than
          one unit goes whole to their lowest common ancestor (the common
          parent's chief); rivers whose units share no ancestor stay split.

        Under every policy a 界河 stretch (along the boundary between two units
        of the level) goes to the side holding more of the river (ties: the
        smaller unit_id). Stretches outside every unit of the level are not part
        of the plan.
    min_segment_m
        Shortest segment kept (metres of river).
    min_share
        Share of the river's length (0–1) a unit must hold to keep its own
        stretches under ``"majority"`` and ``"parent"``.
    current
        The existing official segmentation (现行河段划分), or None to compare with
        the responsibility the engine found. Either lines (a GeoDataFrame or a
        vector file, any CRS) or a table (a DataFrame, CSV or XLSX) with
        ``river_id``, ``from_m`` and ``to_m`` (metres of chainage); both need a
        responsible unit column (``current_unit_col``, else the first of
        ``unit_id``, the level's name, ``responsible``, ``unit``, ``责任单位编码``,
        ``责任单位``…) and may have an id column (``current_id_col``, else
        ``segment_id``, ``id``, ``河段编码``…; else the row number). Lines are
        matched to the river nearest their middle (or to their ``river_id``); a
        line whose start, middle or end lies more than ``tolerance_m`` from that
        river, or whose ``river_id`` is unknown, is reported in
        ``plan.diff().unmatched``. Units below ``level`` are lifted to their
        ancestor at ``level``.
    current_id_col, current_unit_col
        Column names in ``current`` (see above).
    tolerance_m
        How far (metres) official lines may lie from a river.

    Returns
    -------
    Plan

    Raises
    ------
    ParameterError
        An unknown level or policy, or a threshold out of range.
    SchemaError
        ``current`` lacks a needed column or holds non-numeric chainages.
    CRSError
        ``current`` lines have no CRS.
    TypeError
        ``current`` is neither a frame nor a path.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> plan = redivide(resp, level="district", policy="majority")
    >>> seg = plan.segments
    >>> seg.loc[seg["name"] == "富春江", ["segment_id", "unit_name"]].head(3).to_numpy().tolist()
    [['富春江-1', '桐庐县'], ['富春江-2', '富阳区'], ['富春江-3', '桐庐县']]
    >>> d = plan.diff()
    >>> abs(float(d.units["gained_km"].sum() - d.units["lost_km"].sum())) < 1e-9
    True
    """
    level = check_level(level, resp.levels)
    policy = check_choice("policy", policy, REDIVIDE_POLICIES)
    min_share = check_share("min_share", min_share)
    min_segment_m = check_length("min_segment_m", min_segment_m)
    tolerance_m = check_length("tolerance_m", tolerance_m)
    rivers = resp.rivers
    ids = rivers["river_id"].astype(str)
    river_len = pd.Series(rivers["length_m"].to_numpy(dtype=float), index=ids)
    coded = Coded(resp.reaches, resp.units, river_len)
    runs = coded.runs(level)
    resolved, segs = resolve(
        runs,
        credit_codes(runs, coded.rank),
        coded,
        policy=policy,
        min_share=min_share,
        min_segment_m=min_segment_m,
        levels=resp.levels,
    )
    metric = _metric_of(resp)
    baseline = _baseline(resolved, coded)
    units = unit_table(resp)[0]
    pieces = pieces_of(resp.reaches)
    names = pd.Series(rivers["name"].to_numpy(dtype=object), index=ids)
    stretch = stretches(
        pd.DataFrame(
            {
                "river_id": coded.river_ids[segs["river"].to_numpy()],
                "from_m": segs["from_m"].to_numpy(),
                "to_m": segs["to_m"].to_numpy(),
            }
        ),
        unit_id=pd.Series(coded.decode(segs["unit"].to_numpy()), dtype=object),
    )
    segments = finish_segments(stretch, pieces, metric, names, units, baseline)
    cur, unmatched = None, empty_frame(**UNMATCHED)
    if current is not None:
        cur, unmatched = normalise_current(
            current,
            reaches=pieces,
            river_len=river_len,
            metric=metric,
            units=resp.units,
            level=level,
            id_col=current_id_col,
            unit_col=current_unit_col,
            tol=tolerance_m,
        )
    params = {"min_segment_m": min_segment_m, "min_share": min_share, "tolerance_m": tolerance_m}
    return Plan(
        segments,
        level=level,
        policy=policy,
        params={**params, "levels": list(resp.levels)},
        metric_crs=metric.to_string(),
        units=units,
        baseline=baseline,
        current=cur,
        unmatched=unmatched,
    )


def _metric_of(resp: Responsibility) -> pyproj.CRS:
    """Return the metric CRS the engine measured chainages in."""
    name = resp.summary.get("metric_crs")
    if not name:
        msg = "resp.summary has no metric_crs; rerun rivermap.assign"
        raise SchemaError(msg)
    return pyproj.CRS.from_user_input(name)


def _baseline(resolved: pd.DataFrame, coded: Coded) -> pd.DataFrame:
    """Return who holds what at the level now (``"A;B"``: both banks of a 界河 stretch)."""
    holder = coded.decode(resolved["holder"].to_numpy())
    bnd = resolved["holder"].to_numpy() < 0
    a = coded.decode(resolved["side_a"].to_numpy()[bnd])
    b = coded.decode(resolved["side_b"].to_numpy()[bnd])
    holder[bnd] = texts(a, missing="") + ";" + texts(b, missing="")
    return stretches(
        pd.DataFrame(
            {
                "river_id": coded.river_ids[resolved["river"].to_numpy()],
                "from_m": resolved["from_m"].to_numpy(),
                "to_m": resolved["to_m"].to_numpy(),
            }
        ),
        unit=pd.Series(holder, dtype=object),
        state=pd.Series(STATES[resolved["state"].to_numpy()], dtype=object),
        segment=pd.Series(np.full(len(resolved), None, dtype=object)),
    )
