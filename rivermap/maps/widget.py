"""The plan editor in Jupyter: the web map's editing mode as an anywidget.

:class:`PlanEditor` shows the map that ``responsibility_map(resp, plan=plan,
edit=True)`` draws, in a notebook cell: the same inlined Leaflet, the same map
scripts (``rivermap/maps/static``) and the same editing mode (``edit.js``), so
nothing is fetched from the network. The widget's ES module
(:data:`PlanEditor._esm`) evaluates Leaflet and the map scripts once per page
(Leaflet inside a function that hides any AMD ``define`` or CommonJS
``exports`` the notebook has, so that it always sets ``window.L``), then builds
the map in the widget's element from the data trait ``_data`` (the map's data
and geometries, as JSON). Every change the planner makes (an edit, an undo, a
note) is sent back as the trait :attr:`PlanEditor.edits`: the GeoJSON
FeatureCollection that "Download edits" saves, which :meth:`PlanEditor.apply`
hands to :meth:`rivermap.Plan.apply_edits`. Edits set from Python go the other
way: the page makes them again on the plan as drawn (``Editor.load`` in
``edit.js``, as its "Load edits" button does with a file) and shows them;
while the page writes the trait, it does not read its own change back, and
the edits it already shows, set again, are not made again. Another view of
the same widget shows the edits made in this one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import pyproj
import shapely
import shapely.geometry
import traitlets

from rivermap._edits import read_edits
from rivermap.maps._edit_layer import check_edit, edit_payload
from rivermap.maps._offline import leaflet_assets
from rivermap.maps._static import MAP_SCRIPTS, MAP_STYLES, static_text
from rivermap.maps.web import _display, _map_data, _options, layer_names
from rivermap.params import EDIT_TOLERANCE_M

if TYPE_CHECKING:
    from rivermap.plan import Plan

__all__ = ["PlanEditor", "widget_esm"]

_RENDER = """
function load() {
  const RM = globalThis.rivermap;
  if (globalThis.L && RM && RM.build && RM.Editor) return;
  (function (define, exports, module) {
/*LEAFLET*/
  }).call(globalThis, undefined, undefined, undefined);
  (function () {
/*SCRIPTS*/
  }).call(globalThis);
}

function render({ model, el }) {
  load();
  const RM = globalThis.rivermap;
  const data = JSON.parse(model.get("_data"));
  const box = document.createElement("div");
  box.className = "rm-widget";
  box.style.position = "relative";
  box.style.width = "100%";
  box.style.height = model.get("height") || "620px";
  el.appendChild(box);
  const map = L.map(box, { zoomSnap: 0.25, maxZoom: 18, center: data.center, zoom: 8 });
  L.control.scale().addTo(map);
  const h = RM.build(map, data.meta, data.geoms);
  const overlays = {};
  data.layers.forEach(function (entry) {
    const layer = h.layers[entry[0]];
    if (!layer) return;
    if (entry[2]) map.addLayer(layer);
    overlays[RM.escapeHtml(entry[1])] = layer;
  });
  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
  h.relabelLayers();
  let syncing = false;
  function shown() {  // edits set from Python or by another view: the map shows them instead
    if (syncing || !h.editor) return;
    const fc = model.get("edits");
    // the edits this map shows, sent back or set again unchanged: nothing to make again
    if (JSON.stringify(fc) === JSON.stringify(h.editor.model.collection())) return;
    h.editor.load(fc);
  }
  if (h.editor) {
    h.editor.onChange(function (fc) {
      syncing = true;
      try {
        model.set("edits", fc);
        model.save_changes();
      } finally {
        syncing = false;
      }
    });
    model.on("change:edits", shown);
    const first = model.get("edits");
    if (first && first.features && first.features.length) shown();
  }
  // a notebook may lay the output out after this: measure the map again then
  requestAnimationFrame(function () {
    map.invalidateSize();
    if (data.meta.bounds) map.fitBounds(data.meta.bounds, { animate: false, padding: [8, 8] });
  });
  return function () {
    model.off("change:edits", shown);
    map.remove();
  };
}

export default { render };
"""


def widget_esm() -> str:
    """Return the widget's ES module: Leaflet, the map scripts and ``render``, all inline.

    Examples
    --------
    >>> esm = widget_esm()
    >>> "export default { render }" in esm and "rivermap.build" in esm
    True
    """
    js, _ = leaflet_assets()
    scripts = "\n".join(static_text(name) for name in MAP_SCRIPTS)
    return _RENDER.replace("/*LEAFLET*/", js).replace("/*SCRIPTS*/", scripts)


def widget_css() -> str:
    """Return the widget's style sheet: Leaflet's (images inline) and the map's."""
    _, css = leaflet_assets()
    return "\n".join([css, *(static_text(name) for name in MAP_STYLES)])


class PlanEditor(anywidget.AnyWidget):
    """Edit a plan's segments on a map in Jupyter; the edits come back as :attr:`edits`.

    The widget is the web map's editing mode (see
    :func:`rivermap.maps.responsibility_map` with ``edit=True``): split a
    plan segment at a clicked point, give a segment to another unit of the
    plan's level, merge neighbouring segments, undo and redo, a note per edit,
    the km per unit as they change, and "Download edits". It loads nothing
    from the network (no basemap).

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign`.
    plan
        The plan to edit (from :func:`rivermap.redivide` or
        :func:`rivermap.read_plan`).
    level
        The level whose units colour the rivers (the finest by default).
    lang
        ``"zh"`` (default) or ``"en"``; the map's button switches.
    flags
        As for :func:`~rivermap.maps.responsibility_map`: flagged rivers are
        haloed, their popups say why.
    chiefs
        A chief roster, as for :func:`~rivermap.maps.responsibility_map`.
    simplify_m
        Display simplification of the units and reaches (the editable
        segments are always simplified to about a metre).
    height
        The CSS height of the map, e.g. ``"620px"``.

    Attributes
    ----------
    edits
        The edits made on the map so far, as the GeoJSON FeatureCollection that
        :meth:`rivermap.Plan.apply_edits` reads (synced from the page after
        every change). Edits set from Python (:meth:`load` checks them first)
        replace those on the map: the map makes them again on the plan as
        drawn and shows them, or, when one cannot be made there, says which
        and keeps its own.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> editor = PlanEditor(resp, rm.redivide(resp, level="district"))
    >>> editor.edits["features"], editor.apply().log
    ([], [])
    """

    _esm = widget_esm()
    _css = widget_css()
    _data = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Unicode("620px").tag(sync=True)
    edits = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        resp: Any,
        plan: Plan,
        *,
        level: str | None = None,
        lang: str = "zh",
        flags: Any = True,
        chiefs: Any = None,
        simplify_m: float | None = None,
        height: str = "620px",
    ) -> None:
        check_edit(True, plan)
        opts = _options(resp, level, None, lang, simplify_m)
        shown = _display(resp, opts)
        meta, geoms = _map_data(resp, shown, opts, flags=flags, plan=plan, chiefs=chiefs)
        meta["edit"] = edit_payload(plan, levels=opts.levels, units=shown.units, gcj=False)
        names = layer_names(opts.levels, opts.lang)
        layers = [
            [f"units:{lv}", names[f"units:{lv}"], i <= opts.level_index]
            for i, lv in enumerate(opts.levels)
        ]
        layers += [["plan", names["plan"], True], ["rivers", names["rivers"], True]]
        if meta["flags"]:
            layers.append(["flags", names["flags"], True])
        minx, miny, maxx, maxy = shown.bounds
        centre = [(miny + maxy) / 2, (minx + maxx) / 2] if shown.finite else [30.0, 120.0]
        data = {"meta": meta, "geoms": geoms, "layers": layers, "center": centre}
        super().__init__(
            _data=json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
            height=str(height),
            edits=_empty(plan),
        )
        self.plan = plan

    def apply(self, *, tolerance_m: float = EDIT_TOLERANCE_M) -> Plan:
        """Return the plan with :attr:`edits` applied (:meth:`rivermap.Plan.apply_edits`)."""
        return self.plan.apply_edits(dict(self.edits), tolerance_m=tolerance_m)

    def load(self, edits: Any, *, tolerance_m: float = EDIT_TOLERANCE_M) -> Plan:
        """Show ``edits`` on the map in place of those made there, to go on from them.

        ``edits`` is anything :meth:`rivermap.Plan.apply_edits` reads (the file
        that "Download edits" saved, a FeatureCollection, a GeoDataFrame). They
        are applied to the plan first, so that edits made on another plan, or
        that cannot be made, raise the error ``apply_edits`` raises and change
        nothing. Returns that plan, as :meth:`apply` would.

        Examples
        --------
        >>> import rivermap as rm
        >>> resp = rm.assign(*rm.datasets.load_demo())
        >>> plan = rm.redivide(resp, level="district")
        >>> editor = PlanEditor(resp, plan)
        >>> merge = {"action": "merge", "segment_ids": ["富春江-1", "富春江-2"]}
        >>> edited = editor.load({"type": "FeatureCollection", "features": [
        ...     {"type": "Feature", "properties": merge, "geometry": None}]})
        >>> [f["properties"]["action"] for f in editor.edits["features"]], len(edited.edits)
        (['merge'], 1)
        """
        edited = self.plan.apply_edits(edits, tolerance_m=tolerance_m)
        features, crs = read_edits(edits)
        to_wgs84 = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)

        def wgs84(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))

        collection = _empty(self.plan)
        collection["features"] = [
            {
                "type": "Feature",
                "properties": {"action": action, **props},
                "geometry": None
                if geom is None
                else shapely.geometry.mapping(shapely.transform(geom, wgs84)),
            }
            for action, geom, props in features
        ]
        self.edits = collection
        return edited


def _empty(plan: Plan) -> dict[str, Any]:
    """Return no edits yet, as the page writes them: the plan named, no features."""
    return {
        "type": "FeatureCollection",
        "rivermap": {"plan_id": plan.plan_id, "plan_hash": plan.content_hash, "level": plan.level},
        "features": [],
    }
