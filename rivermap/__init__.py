"""rivermap: river-chief (河长制) responsibility mapping.

Split rivers at administrative boundaries into reaches, name the responsible
unit and chief at every level, flag cross-unit stretches and propose a
redivision, and make offline web maps and printable atlases.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from rivermap import crs, datasets, synth
from rivermap.assign import assign
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
from rivermap.responsibility import Responsibility, read_responsibility
from rivermap.units import AdminUnits

try:
    __version__ = version("rivermap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "AdminUnits",
    "CRSError",
    "DataError",
    "OutputExistsError",
    "Responsibility",
    "RivermapError",
    "RivermapWarning",
    "SchemaError",
    "TopologyError",
    "__version__",
    "assign",
    "crs",
    "datasets",
    "read_responsibility",
    "read_rivers",
    "read_units",
    "synth",
]
