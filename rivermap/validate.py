"""Checks of rivers and units together, as ``rivermap validate`` prints them."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap.units import AdminUnits

__all__ = ["validate_inputs"]


def validate_inputs(
    rivers: gpd.GeoDataFrame, units: AdminUnits, *, read_notes: Sequence[str] = ()
) -> pd.DataFrame:
    """Every problem in rivers and units, as one table.

    Parameters
    ----------
    rivers
        Rivers as returned by :func:`rivermap.read_rivers`.
    units
        The administrative units.
    read_notes
        Messages of repairs made while reading (invalid or empty geometries),
        reported as ``repaired`` problems.

    Returns
    -------
    DataFrame
        The columns of :meth:`AdminUnits.validate`; rivers that touch no unit
        are ``river_outside`` rows. Empty when everything is clean.

    Examples
    --------
    >>> import rivermap as rm
    >>> rivers, units = rm.datasets.load_demo()
    >>> validate_inputs(rivers, units).empty
    True
    """
    report = units.validate()
    rows = [
        {
            "problem": "repaired",
            "level": None,
            "unit_id": None,
            "other_id": None,
            "area_m2": np.nan,
            "share": np.nan,
            "detail": note,
        }
        for note in read_notes
    ]
    frame = units.frame
    river_geoms = np.asarray(rivers.to_crs(frame.crs).geometry.values, dtype=object)
    tree = shapely.STRtree(np.asarray(frame.geometry.values, dtype=object))
    hit = np.zeros(len(river_geoms), dtype=bool)
    hit[tree.query(river_geoms, predicate="intersects")[0]] = True
    rows += [
        {
            "problem": "river_outside",
            "level": None,
            "unit_id": None,
            "other_id": rid,
            "area_m2": np.nan,
            "share": np.nan,
            "detail": f"river {rid!r} touches no unit",
        }
        for rid in rivers["river_id"].to_numpy()[~hit]
    ]
    extra = pd.DataFrame(rows, columns=report.columns)
    if extra.empty:
        return report
    if report.empty:
        return extra.reset_index(drop=True)
    return pd.concat([report, extra], ignore_index=True)
