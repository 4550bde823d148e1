"""rivermap: river-chief (河长制) responsibility mapping.

Split rivers at administrative boundaries into reaches, name the responsible
unit and chief at every level, flag cross-unit stretches and propose a
redivision, and make offline web maps and printable atlases.

The public verbs are functions with the data first and options keyword-only:
``read_rivers``, ``read_units``, ``read_chiefs``, ``assign`` (→
:class:`Responsibility`), ``flags``, ``with_chiefs``, ``roster_report``,
``signboards`` (each also a method of the result), ``redivide`` (→
:class:`Plan`), ``read_responsibility`` and ``read_plan``. The modules
``chiefs``, ``crs``, ``datasets``, ``params``, ``synth``, ``text`` and ``maps``
(loaded on first use: it brings folium and matplotlib) hold the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rivermap import chiefs, crs, datasets, params, synth, text
from rivermap._version import rivermap_version
from rivermap.assign import assign
from rivermap.bulletin import Bulletin, bulletin
from rivermap.chiefs import read_chiefs, roster_report, signboards, with_chiefs
from rivermap.duties import read_duties
from rivermap.errors import (
    CRSError,
    DataError,
    OutputExistsError,
    ParameterError,
    RivermapError,
    RivermapWarning,
    SchemaError,
    TopologyError,
)
from rivermap.events import read_events
from rivermap.flags import flags
from rivermap.io import read_rivers, read_units
from rivermap.patrols import PatrolCoverage, patrol_coverage
from rivermap.redivide import Plan, PlanDiff, read_plan, redivide
from rivermap.responsibility import Responsibility, read_responsibility
from rivermap.routing import route_events
from rivermap.tracks import read_patrols
from rivermap.units import AdminUnits

if TYPE_CHECKING:
    from rivermap import maps


def __getattr__(name: str) -> Any:
    # rivermap.maps brings folium and matplotlib: imported on first use only
    if name == "maps":
        return importlib.import_module("rivermap.maps")
    msg = f"module 'rivermap' has no attribute {name!r}"
    raise AttributeError(msg)


__version__ = rivermap_version()

__all__ = [
    "AdminUnits",
    "Bulletin",
    "CRSError",
    "DataError",
    "OutputExistsError",
    "ParameterError",
    "PatrolCoverage",
    "Plan",
    "PlanDiff",
    "Responsibility",
    "RivermapError",
    "RivermapWarning",
    "SchemaError",
    "TopologyError",
    "__version__",
    "assign",
    "bulletin",
    "chiefs",
    "crs",
    "datasets",
    "flags",
    "maps",
    "params",
    "patrol_coverage",
    "read_chiefs",
    "read_duties",
    "read_events",
    "read_patrols",
    "read_plan",
    "read_responsibility",
    "read_rivers",
    "read_units",
    "redivide",
    "roster_report",
    "route_events",
    "signboards",
    "synth",
    "text",
    "with_chiefs",
]
