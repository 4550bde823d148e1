"""The data of the web map's editing mode (``D.edit``, read by ``static/edit.js``).

The editing mode redraws a plan's segments as lines a planner clicks to split,
reassign and merge, previews the result in the page and exports the edits as
GeoJSON for :meth:`rivermap.Plan.apply_edits`. It needs more than the plan
layer draws:

* the segments' lines simplified to about a metre (the plan layer's lines are
  simplified to the map's display tolerance, up to 300 m), so that a point
  snapped onto a drawn line lies within a metre or two of the river and its
  chainage, ``from_m + fraction × (to_m − from_m)`` along the drawn line, is
  what :meth:`~rivermap.Plan.apply_edits` finds for it;
* the chainages where the responsible unit changes along each river (the
  plan's ``baseline``), onto which a split within 2 m moves, as in
  :mod:`rivermap._edits`;
* the units of the plan's level (ids, names and their colours on the map),
  to reassign a segment to;
* the plan's identity (:attr:`~rivermap.Plan.plan_id`,
  :attr:`~rivermap.Plan.content_hash`), written into the exported file so that
  the edits are applied only to the plan they were drawn on;
* whether the display is GCJ-02 (``basemap="gaode"``): the page then turns
  its points back into WGS84 before writing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap.crs import wgs84_to_gcj02
from rivermap.errors import CRSError, ParameterError
from rivermap.maps import _style
from rivermap.maps._offline import encode_geometries
from rivermap.params import EDIT_TOLERANCE_M
from rivermap.text import text_or

__all__ = ["EDIT_DECIMALS", "EDIT_SIMPLIFY_M", "check_edit", "edit_payload"]

#: The editable lines are simplified to this many metres (the plan layer's to the map's tolerance).
EDIT_SIMPLIFY_M = 1.0
#: Decimal degrees kept for the editable lines (about 0.1 m).
EDIT_DECIMALS = 6
_M_PER_DEG = 111_320.0


def check_edit(edit: Any, plan: Any) -> bool:
    """Return ``edit`` checked: a bool, and True only with a plan.

    Raises
    ------
    TypeError
        ``edit`` is not a bool.
    ParameterError
        ``edit=True`` without a plan.

    Examples
    --------
    >>> check_edit(False, None)
    False
    """
    if not isinstance(edit, bool | np.bool_):
        msg = f"edit must be True or False, not {type(edit).__name__}"
        raise TypeError(msg)
    if edit and plan is None:
        msg = (
            "edit=True needs a plan to edit: pass plan=rivermap.redivide(...) "
            "or rivermap.read_plan('plan.gpkg') (on the command line: --plan PLAN.gpkg --edit)"
        )
        raise ParameterError(msg)
    return bool(edit)


def edit_payload(
    plan: Any, *, levels: Sequence[str], units: gpd.GeoDataFrame, gcj: bool
) -> dict[str, Any]:
    """Return ``D.edit``: the editable segments, the units to give them to, the plan's identity.

    Parameters
    ----------
    plan
        A :class:`rivermap.Plan`.
    levels
        The map's levels, top to bottom (``D.reaches[j].u`` follows them).
    units
        The map's units in display degrees (``unit_id``, ``level``, polygons),
        to colour the plan level's units as the plan layer does.
    gcj
        Whether the display is GCJ-02.

    Returns
    -------
    dict
        ``plan`` (``id``, ``hash``, ``level``, ``policy``), ``levelIndex``
        (the plan's level among ``levels``, -1 when the map lacks it),
        ``gcj``, ``factor`` (of the encoded lines), ``segments`` (``s``,
        ``r``, ``a``, ``b``, ``u`` per segment in the plan's order),
        ``lines`` (their encoded lines), ``units`` (``[id, name]`` of the
        level's units, by name), ``colours`` (by unit id), ``changes``
        (per river, the chainages where the responsible unit changes) and
        ``tolerance`` (how far, in metres, a loaded edit's point may lie from
        the rivers, as :meth:`rivermap.Plan.apply_edits` allows by default).
    """
    segs = plan.segments
    if segs.crs is None:
        msg = "plan.segments has no CRS; the editing mode needs one to place the segments"
        raise CRSError(msg)
    shown = wgs84_to_gcj02(segs) if gcj else segs.to_crs(4326)
    geoms = np.asarray(shown.geometry.values, dtype=object)
    geoms = shapely.simplify(geoms, EDIT_SIMPLIFY_M / _M_PER_DEG, preserve_topology=False)
    level = str(plan.level)
    at_level = units[units["level"].astype(str) == level]
    colours = _style.colour_units(at_level) if len(at_level) else pd.Series(dtype=object)
    return {
        "plan": {
            "id": plan.plan_id,
            "hash": plan.content_hash,
            "level": level,
            "policy": str(plan.policy),
        },
        "levelIndex": list(levels).index(level) if level in levels else -1,
        "gcj": bool(gcj),
        "factor": 10**EDIT_DECIMALS,
        "segments": _segments(segs),
        "lines": encode_geometries(geoms, EDIT_DECIMALS),
        "units": _level_units(plan.units, level),
        "colours": {str(k): str(v) for k, v in colours.items()},
        "changes": _unit_changes(plan.baseline),
        "tolerance": EDIT_TOLERANCE_M,
    }


def _segments(segs: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Return every segment as the editor reads it: id, river, from/to (m) and unit."""
    return [
        {
            "s": str(sid),
            "r": str(rid),
            "a": round(float(a), 3),
            "b": round(float(b), 3),
            "u": text_or(uid),
        }
        for sid, rid, a, b, uid in zip(
            segs["segment_id"].tolist(),
            segs["river_id"].tolist(),
            segs["from_m"].tolist(),
            segs["to_m"].tolist(),
            segs["unit_id"].tolist(),
            strict=True,
        )
    ]


def _level_units(units: pd.DataFrame, level: str) -> list[list[str]]:
    """Return ``[unit_id, name]`` of the plan's units at ``level``, by name."""
    mine = units[units["level"].astype(str) == level]
    rows = [
        [str(uid), text_or(name, str(uid))]
        for uid, name in zip(mine["unit_id"].tolist(), mine["name"].tolist(), strict=True)
    ]
    return sorted(rows, key=lambda r: (r[1], r[0]))


def _unit_changes(baseline: pd.DataFrame) -> dict[str, list[float]]:
    """Return, per river, the chainages of the baseline's stretch ends (sorted, to the mm).

    A split within 2 m of one of them moves onto it (``_snap_to_change`` in
    :mod:`rivermap._edits`, whose ends these are).
    """
    if baseline.empty:
        return {}
    ends = pd.DataFrame(
        {
            "r": np.r_[baseline["river_id"].astype(str), baseline["river_id"].astype(str)],
            "m": np.r_[
                baseline["from_m"].to_numpy(dtype=float), baseline["to_m"].to_numpy(dtype=float)
            ].round(3),
        }
    ).drop_duplicates()
    return {str(r): sorted(g.tolist()) for r, g in ends.groupby("r", sort=True)["m"]}
