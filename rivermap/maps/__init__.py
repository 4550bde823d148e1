"""Maps of a :class:`~rivermap.Responsibility`: interactive HTML and a printable PDF atlas.

The computation modules of rivermap never import folium or matplotlib; this
subpackage is where rendering lives.
"""

from rivermap.maps.atlas import atlas, plot_responsibility
from rivermap.maps.web import responsibility_map, save_html

__all__: list[str] = ["atlas", "plot_responsibility", "responsibility_map", "save_html"]
