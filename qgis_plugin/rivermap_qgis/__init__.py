"""rivermap for QGIS: a Processing provider over the rivermap library (河长制责任划分).

QGIS imports this package and calls :func:`classFactory`. The package is named
``rivermap_qgis``, not ``rivermap``: QGIS imports a plugin under its folder's
name, and a plugin called ``rivermap`` would hide the rivermap library it
calls. Nothing here imports the library at import time, so that the plugin
loads, and explains how to install rivermap, when the library is missing.
"""

from __future__ import annotations

from typing import Any


def classFactory(iface: Any) -> Any:  # noqa: N802 - the name QGIS calls
    """Return the plugin for QGIS's interface ``iface`` (None in ``qgis_process``)."""
    from rivermap_qgis.plugin import RivermapPlugin

    return RivermapPlugin(iface)
