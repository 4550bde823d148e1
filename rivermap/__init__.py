"""rivermap: river-chief (河长制) responsibility mapping.

Split rivers at administrative boundaries into reaches, name the responsible
unit and chief at every level, flag cross-unit stretches and propose a
redivision, and make offline web maps and printable atlases.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from rivermap import chiefs, crs, datasets, synth
from rivermap.assign import assign
from rivermap.chiefs import read_chiefs
from rivermap.errors import (
    CRSError,
    DataError,
    OutputExistsError,
    RivermapError,
    RivermapWarning,
    SchemaError,
    TopologyError,
)
from rivermap.io import read_rivers, read_units
from rivermap.redivide import Plan, PlanDiff, read_plan, redivide
from rivermap.responsibility import Responsibility, read_responsibility
from rivermap.units import AdminUnits

if TYPE_CHECKING:
    from rivermap import maps


def __getattr__(name: str) -> Any:
    # rivermap.maps brings folium and matplotlib: imported on first use only
    if name == "maps":
        return importlib.import_module("rivermap.maps")
    msg = f"module 'rivermap' has no attribute {name!r}"
    raise AttributeError(msg)


try:
    __version__ = version("rivermap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "AdminUnits",
    "CRSError",
    "DataError",
    "OutputExistsError",
    "Plan",
    "PlanDiff",
    "Responsibility",
    "RivermapError",
    "RivermapWarning",
    "SchemaError",
    "TopologyError",
    "__version__",
    "assign",
    "chiefs",
    "crs",
    "datasets",
    "maps",
    "read_chiefs",
    "read_plan",
    "read_responsibility",
    "read_rivers",
    "read_units",
    "redivide",
    "synth",
]
