"""The diff of a plan: which stretches change hands, and each unit's km gained and lost.

:func:`compare` overlays a plan's segments on what held the rivers before (the
official segmentation, or the responsibility the engine found), keeps the
intervals that change hands, merges touching ones and balances each unit's
km gained and lost (a stretch both banks held counts half for each);
:meth:`rivermap.Plan.diff` wraps the tables in a :class:`rivermap.PlanDiff`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from rivermap._chainage import cut, overlay
from rivermap._segments import UNASSIGNED, by_unit, names_each, pieces_of, river_names
from rivermap.runs import EPS_M
from rivermap.text import texts

if TYPE_CHECKING:
    from rivermap.plan import Plan

__all__ = ["CHANGE_COLUMNS", "UNIT_COLUMNS", "compare"]

#: Columns of :attr:`PlanDiff.changes` (before ``geometry``).
CHANGE_COLUMNS: tuple[str, ...] = (
    "river_id",
    "name",
    "from_m",
    "to_m",
    "length_m",
    "old_unit",
    "old_name",
    "new_unit",
    "new_name",
    "old_segment",
    "new_segment",
)
#: Columns of :attr:`PlanDiff.units`.
UNIT_COLUMNS: tuple[str, ...] = ("unit_id", "name", "level", "gained_km", "lost_km", "net_km")
_KEYS = ["river_id", "old_unit", "new_unit", "old_segment", "new_segment"]


def compare(plan: Plan) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the stretches that change hands and the balance per unit (see :class:`PlanDiff`)."""
    old = plan.baseline if plan.current is None else plan.current
    ch = _merge_neighbours(_changed(old, plan.segments))
    ch["length_m"] = ch["to_m"] - ch["from_m"]
    uname = by_unit(plan.units, "name")
    ch["name"] = ch["river_id"].map(river_names(plan.segments, plan.baseline))
    ch["old_name"] = names_each(ch["old_unit"], uname)
    ch["new_name"] = names_each(ch["new_unit"], uname)
    ch = ch[list(CHANGE_COLUMNS)]
    metric = pyproj.CRS.from_user_input(plan.metric_crs)
    geoms = cut(pieces_of(plan.segments), ch[["river_id", "from_m", "to_m"]], metric)
    changes = gpd.GeoDataFrame(ch, geometry=geoms, crs=plan.segments.crs)
    return changes, _unit_balance(changes, plan.units, uname)


def _changed(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Return the elementary stretches whose unit differs, with both sides' unit and segment."""
    ov = overlay(old, new)
    li, ri = ov["li"].to_numpy(), ov["ri"].to_numpy()

    def pick(table: pd.DataFrame, column: str, rows: np.ndarray) -> np.ndarray:
        out = np.full(len(ov), None, dtype=object)
        out[rows >= 0] = table[column].to_numpy(dtype=object)[rows[rows >= 0]]
        return out

    ov = ov.assign(
        old_unit=texts(pick(old, "unit", li), UNASSIGNED),
        new_unit=texts(pick(new, "unit_id", ri), UNASSIGNED),
        old_segment=pick(old, "segment", li),
        new_segment=pick(new, "segment_id", ri),
    )
    return ov[(ov["old_unit"] != ov["new_unit"]).to_numpy()].reset_index(drop=True)


def _merge_neighbours(ch: pd.DataFrame) -> pd.DataFrame:
    """Return the changes with touching stretches of the same hands and segments merged."""
    if not len(ch):
        return ch
    key = ch[_KEYS].astype(str)
    brk = (key != key.shift()).any(axis=1) | (ch["from_m"] - ch["to_m"].shift()).abs().gt(EPS_M)
    g = ch.groupby(brk.cumsum().to_numpy(), sort=False)
    return g.agg(
        river_id=("river_id", "first"),
        from_m=("from_m", "first"),
        to_m=("to_m", "last"),
        old_unit=("old_unit", "first"),
        new_unit=("new_unit", "first"),
        old_segment=("old_segment", "first"),
        new_segment=("new_segment", "first"),
    ).reset_index(drop=True)


def _unit_balance(ch: pd.DataFrame, units: pd.DataFrame, uname: pd.Series) -> pd.DataFrame:
    """Return km gained, lost and net per unit; a stretch held by both banks counts half each."""
    old = ch[["old_unit", "length_m"]].assign(u=ch["old_unit"].astype(str).str.split(";"))
    old = old.explode("u")
    weight = 1.0 / old.groupby(level=0)["u"].transform("size")
    parts = pd.concat(
        [
            pd.DataFrame({"unit_id": old["u"], "delta": -old["length_m"] * weight}),
            pd.DataFrame({"unit_id": ch["new_unit"], "delta": ch["length_m"]}),
        ]
    )
    per = parts.reset_index(names="stretch").groupby(["stretch", "unit_id"])["delta"].sum()
    gained = per.clip(lower=0).groupby(level="unit_id").sum() / 1000
    lost = (-per).clip(lower=0).groupby(level="unit_id").sum() / 1000
    ids = gained.index.union(lost.index)
    out = pd.DataFrame(
        {
            "unit_id": ids.astype(str),
            "gained_km": gained.reindex(ids, fill_value=0.0).to_numpy(dtype=float),
            "lost_km": lost.reindex(ids, fill_value=0.0).to_numpy(dtype=float),
        }
    )
    out["net_km"] = out["gained_km"] - out["lost_km"]
    out["name"] = names_each(out["unit_id"], uname)
    out["level"] = out["unit_id"].map(by_unit(units, "level"))
    out = out.sort_values(["net_km", "unit_id"], ascending=[False, True], kind="stable")
    return out[list(UNIT_COLUMNS)].reset_index(drop=True)
