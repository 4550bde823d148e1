"""The Processing provider "rivermap": one algorithm per step of the library's pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from rivermap_qgis import library
from rivermap_qgis.algorithms import ALGORITHMS

__all__ = ["ICON", "RivermapProvider"]

#: The provider's and the algorithms' icon.
ICON = Path(__file__).with_name("icon.svg")


class RivermapProvider(QgsProcessingProvider):
    """rivermap's algorithms, ids ``rivermap:<name>``."""

    def id(self) -> str:
        """Return the provider's id, the prefix of its algorithms' ids."""
        return "rivermap"

    def name(self) -> str:
        """Return the name shown in the Processing toolbox."""
        return "rivermap 河长制"

    def longName(self) -> str:  # noqa: N802 - QGIS's name
        """Return the name with the version of the rivermap the algorithms run."""
        version = library.backend().info["version"]
        return f"rivermap {version} 河长制责任划分 / river-chief responsibility"

    def icon(self) -> Any:
        """Return the icon of the provider."""
        return QIcon(str(ICON))

    def svgIconPath(self) -> str:  # noqa: N802 - QGIS's name
        """Return the icon's file."""
        return str(ICON)

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS's name
        """Add a new instance of every algorithm."""
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())
