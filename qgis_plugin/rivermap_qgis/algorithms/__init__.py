"""rivermap's Processing algorithms, one module each."""

from __future__ import annotations

from rivermap_qgis.algorithms.assign import AssignAlgorithm
from rivermap_qgis.algorithms.atlas import AtlasAlgorithm
from rivermap_qgis.algorithms.bulletin import BulletinAlgorithm
from rivermap_qgis.algorithms.flags import FlagsAlgorithm
from rivermap_qgis.algorithms.patrols import PatrolsAlgorithm
from rivermap_qgis.algorithms.redivide import RedivideAlgorithm
from rivermap_qgis.algorithms.route import RouteAlgorithm
from rivermap_qgis.algorithms.webmap import WebMapAlgorithm

__all__ = ["ALGORITHMS"]

#: Every algorithm class the provider registers.
ALGORITHMS = [
    AssignAlgorithm,
    FlagsAlgorithm,
    RedivideAlgorithm,
    RouteAlgorithm,
    PatrolsAlgorithm,
    BulletinAlgorithm,
    WebMapAlgorithm,
    AtlasAlgorithm,
]
