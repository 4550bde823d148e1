"""Maps of a :class:`~rivermap.Responsibility`: web map, PDF atlas, signboards, QGIS styles.

The computation modules of rivermap never import folium or matplotlib; this
subpackage is where rendering lives. :class:`PlanEditor` (the map's editing
mode as a Jupyter widget) is imported on first use, so that importing the maps
does not import ipywidgets.
"""

from typing import Any

from rivermap.maps.atlas import atlas, plot_responsibility
from rivermap.maps.qgis import qgis_styles
from rivermap.maps.signboards import signboards
from rivermap.maps.web import responsibility_map, save_html

__all__: list[str] = [
    "PlanEditor",
    "atlas",
    "plot_responsibility",
    "qgis_styles",
    "responsibility_map",
    "save_html",
    "signboards",
]


def __getattr__(name: str) -> Any:
    """Import :class:`PlanEditor` on first use."""
    if name == "PlanEditor":
        from rivermap.maps.widget import PlanEditor

        return PlanEditor
    msg = f"module 'rivermap.maps' has no attribute {name!r}"
    raise AttributeError(msg)
