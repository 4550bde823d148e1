"""Maps of a :class:`~rivermap.Responsibility`: interactive HTML, a PDF atlas and signboards.

The computation modules of rivermap never import folium or matplotlib; this
subpackage is where rendering lives.
"""

from rivermap.maps.atlas import atlas, plot_responsibility
from rivermap.maps.signboards import signboards
from rivermap.maps.web import responsibility_map, save_html

__all__: list[str] = [
    "atlas",
    "plot_responsibility",
    "responsibility_map",
    "save_html",
    "signboards",
]
