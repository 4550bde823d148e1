"""The web map's own scripts and style sheets, kept as files in ``rivermap/maps/static/``.

They ship inside the package and are inlined into every saved map (nothing is
fetched at run time). ``map.js`` defines ``rivermap.build``, which draws the
units, reaches, flags and plan and then calls, in order, the functions that the
scripts loaded after it pushed onto ``rivermap.plugins``; each gets the map's
handle (the Leaflet map, the data, the layers and the helpers that name units
and chiefs). :data:`MAP_SCRIPTS` is that order.
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["MAP_SCRIPTS", "MAP_STYLES", "static_text"]

#: The scripts of every map, in the order they load: the core, then its plugins.
MAP_SCRIPTS = ("map.js", "search.js", "controls.js", "flags.js", "edit.js", "meeting.js")
#: The style sheets of every map.
MAP_STYLES = ("map.css", "flags.css", "edit.css", "meeting.css")


@functools.cache
def static_text(name: str) -> str:
    """Return the text of ``rivermap/maps/static/<name>``.

    Examples
    --------
    >>> "rivermap.build" in static_text("map.js")
    True
    """
    return (resources.files("rivermap.maps") / "static" / name).read_text(encoding="utf-8")
