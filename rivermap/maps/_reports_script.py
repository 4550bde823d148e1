"""The script and style that draw tickets and patrol tracks on a rivermap web map.

:func:`rivermap.maps._reports_layers` writes the data; ``rivermap.reports(handle,
R)``, defined here, draws it on the map that ``rivermap.build`` made (``handle``):

* **tickets** (``R.events``) as circles coloured by status, with a red ring
  when unmatched and a dashed dark ring when ambiguous, and a popup and a
  tooltip per ticket;
* **clusters**: when there are many tickets, those that would overlap are
  counted instead. At the map's zoom ``z`` (rounded down) each ticket's Web
  Mercator position in pixels falls in a cell of a 64-pixel grid; a cell with
  one ticket draws it, a cell with more draws one circle at the mean position
  of its tickets with their number (ringed red when one of them is
  unmatched). Clicking a cluster zooms to its tickets. The cells of a zoom are
  computed once (one pass over the points) and kept; after every move only the
  cells in view (with a margin) are drawn, so 20,000 tickets cost a few
  hundred circles at a time. From ``R.events.clusterMaxZoom`` on, every
  ticket in view is drawn on its own;
* **patrol tracks** (``R.patrols``) as lines, valid ones solid, invalid ones
  dashed, a track of one point as a small circle;
* a **banner** across the top of the map (``R.note``), which moves the map's
  top controls down by its height;
* the **legend** groups of both, added to the map's legend.

Every word reaches the page with ``textContent`` or as an attribute; no string
from the data is ever parsed as HTML (clusters are ``L.divIcon`` with an
element, not an HTML string).
"""

from __future__ import annotations

from rivermap.maps._static import static_text

__all__ = ["REPORTS_CSS", "REPORTS_JS"]

#: The style of tickets, clusters, tracks and the banner (``static/reports.css``).
REPORTS_CSS = static_text("reports.css")
#: ``rivermap.reports(handle, R)`` and its helpers (``static/reports.js``).
REPORTS_JS = static_text("reports.js")
