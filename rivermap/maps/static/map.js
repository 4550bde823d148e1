(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  // Scripts loaded after this one add a function here; rivermap.build calls each
  // with the map's handle once the layers are built.
  RM.plugins = RM.plugins || [];

  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  RM.el = el;

  function fmtKm(m) { return (m / 1000).toFixed(m < 10000 ? 2 : 1); }
  function row(parent, key, value, cls) {
    var r = el("div", "rm-row" + (cls ? " " + cls : ""), null, parent);
    el("span", "rm-key", key + ":", r);
    el("span", null, value, r);
    return r;
  }

  // encoded-polyline string -> [[lat, lng], ...]
  function decode(str, factor) {
    var i = 0, lat = 0, lng = 0, out = [], n = str.length, b;
    function next() {
      var value = 0, scale = 1;
      do {
        b = str.charCodeAt(i++) - 63;
        value += (b & 31) * scale;
        scale *= 32;
      } while (b >= 32);
      return value % 2 ? -(value + 1) / 2 : value / 2;
    }
    while (i < n) {
      lat += next();
      lng += next();
      out.push([lat / factor, lng / factor]);
    }
    return out;
  }
  RM.decode = decode;

  // Leaflet's layer control writes names as HTML: every name it gets is escaped.
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  RM.escapeHtml = escapeHtml;

  // Write ``diff`` into ``target`` (objects and arrays changed in place, key by
  // key, so that every reference to them sees the change); ``undo`` gets the
  // values replaced, a diff that changes them back.
  function applyDiff(target, diff, undo) {
    Object.keys(diff).forEach(function (k) {
      var v = diff[k], t = target[k];
      var nested = v !== null && typeof v === "object" && !Array.isArray(v) &&
        t !== null && typeof t === "object";
      if (nested) {
        undo[k] = {};
        applyDiff(t, v, undo[k]);
      } else {
        undo[k] = t === undefined ? null : t;
        target[k] = v;
      }
    });
  }
  RM.applyDiff = applyDiff;

  // Every layer control made on a map is kept on it (map.rmLayerControl), folded
  // where the map is narrower than 640 px.
  if (L.Control.Layers && !L.Control.Layers.prototype.rmKept) {
    var layersOnAdd = L.Control.Layers.prototype.onAdd;
    L.Control.Layers.prototype.onAdd = function (map) {
      if (map.getContainer().clientWidth < 640) this.options.collapsed = true;
      map.rmLayerControl = this;
      return layersOnAdd.call(this, map);
    };
    L.Control.Layers.prototype.rmKept = true;
  }

  // rivermap's tooltips (class rm-tooltip) are kept inside the map: Leaflet puts a
  // sticky tooltip beside the cursor, centred on it, which near an edge runs off it.
  if (L.Tooltip && !L.Tooltip.prototype.rmClamped) {
    var setPosition = L.Tooltip.prototype._setPosition;
    L.Tooltip.prototype._setPosition = function (pos) {
      setPosition.call(this, pos);
      if (!this._map || !/\brm-tooltip\b/.test(this.options.className || "")) return;
      var box = this._container, size = this._map.getSize(), m = 4;
      var at = L.DomUtil.getPosition(box), cp = this._map.layerPointToContainerPoint(at);
      var w = box.offsetWidth, h = box.offsetHeight;
      var dx = Math.max(m - cp.x, Math.min(0, size.x - m - w - cp.x));
      var dy = Math.max(m - cp.y, Math.min(0, size.y - m - h - cp.y));
      if (dx || dy) L.DomUtil.setPosition(box, at.add([dx, dy]));
    };
    L.Tooltip.prototype.rmClamped = true;
  }
  function lineLatLngs(parts, f) {
    var ll = parts.map(function (p) { return decode(p, f); });
    return ll.length === 1 ? ll[0] : ll;
  }
  function polyLatLngs(polys, f) {
    return polys.map(function (rings) { return rings.map(function (r) { return decode(r, f); }); });
  }

  RM.build = function (map, D, G) {
    var T = D.texts, levels = D.levels, units = D.units;
    var chiefs = D.chiefs || {}, flags = D.flags || {}, rivers = D.rivers;
    var container = map.getContainer();
    container.classList.add("rm-map");
    if (D.bounds) map.fitBounds(D.bounds, { animate: false, padding: [8, 8] });

    function pane(name, z, passive) {
      var p = map.createPane(name);
      p.style.zIndex = z;
      if (passive) p.style.pointerEvents = "none";
      return name;
    }
    pane("rm-units", 350);
    pane("rm-plan", 380);
    pane("rm-flags", 390, true);
    var unitRenderer = L.canvas({ pane: "rm-units", padding: 0.3 });
    var riverRenderer = D.canvasRivers ? L.canvas({ padding: 0.3 }) : L.svg({ padding: 0.3 });

    function unitName(id) { var u = units[id]; return u ? u[0] : (id === null ? "" : String(id)); }
    function unitPath(id) {
      var names = [], seen = 0;
      while (id !== null && id !== undefined && units[id] && seen < 12) {
        names.unshift(units[id][0]); id = units[id][2]; seen += 1;
      }
      return names.join(" › ");
    }
    function chiefsOf(unitId, riverId) {
      return chiefs[unitId + "\u0001" + riverId] || chiefs[unitId] || [];
    }
    function chiefText(c) {
      // c: [name, title, phone, role]
      var s = c[0];
      var extra = [c[3], c[1]].filter(function (x) { return x; }).join(", ");
      if (extra) s += " (" + extra + ")";
      if (c[2]) s += " " + T.phone + " " + c[2];
      return s;
    }
    function chiefLine(parent, c) {
      el("div", "rm-chief", T.chief + ": " + chiefText(c), parent);
    }
    // the reach's unit at every level, with at most maxChiefs chiefs each (then "…")
    function someChiefs(parent, list, maxChiefs, line) {
      list.slice(0, maxChiefs).forEach(line);
      if (list.length > maxChiefs) el("div", "rm-chief", "… +" + (list.length - maxChiefs), parent);
    }
    function unitsLines(parent, p, maxChiefs) {
      levels.forEach(function (lv, i) {
        var id = p.u[i];
        var r;
        if (id !== null && id !== undefined) {
          r = row(parent, lv.label, unitName(id));
          someChiefs(r, chiefsOf(id, p.r), maxChiefs, function (c) { chiefLine(r, c); });
        } else if (p.k === "b" && (p.L !== null || p.R !== null)) {
          var li = D.ancestors[p.L] ? D.ancestors[p.L][i] : null;
          var ri = D.ancestors[p.R] ? D.ancestors[p.R][i] : null;
          var left = li === null || li === undefined ? T.outside : unitName(li);
          var right = ri === null || ri === undefined ? T.outside : unitName(ri);
          r = row(parent, lv.label, T.left_bank + " " + left + " | " + T.right_bank + " " + right);
          [li, ri].forEach(function (id2) {
            if (id2 === null || id2 === undefined) return;
            someChiefs(r, chiefsOf(id2, p.r), maxChiefs, function (c) {
              el("div", "rm-chief", unitName(id2) + " " + T.chief + ": " + chiefText(c), r);
            });
          });
        } else {
          row(parent, lv.label, T.outside);
        }
      });
    }
    function reachTip(p) {
      var d = el("div", "rm-tip");
      el("div", "rm-title", rivers[p.r] || p.r, d);
      row(d, T.from_to, fmtKm(p.a) + "–" + fmtKm(p.b) + " " + T.km);
      if (p.k === "b") el("div", "rm-row", T.boundary_reach, d);
      unitsLines(d, p, 2);
      var f = flags[p.r];
      if (f) el("div", "rm-row rm-flag", T.flag + ": " + f.reasons.join(T.list_sep), d);
      return d;
    }
    function flagBlock(parent, f) {
      var b = el("div", "rm-flag", null, parent);
      el("div", "rm-title", T.flag + " (" + D.levelLabel + ")", b);
      el("div", "rm-key", T.units_along + ":", b);
      var t = el("table", null, null, b);
      f.units.forEach(function (u) {
        var tr = el("tr", null, null, t);
        el("td", null, u[1], tr);
        el("td", "rm-num", u[2] === null ? "" : (100 * u[2]).toFixed(1) + "%", tr);
        el("td", "rm-num", u[3] === null ? "" : fmtKm(u[3]) + " " + T.km, tr);
        var cs = u[0] === null ? [] : chiefsOf(u[0], f.river);
        el("td", "rm-chief", cs.slice(0, 1).map(function (c) {
          return c[2] ? c[0] + " " + c[2] : c[0];
        }).join(""), tr);
      });
      if (f.handovers !== null) row(b, T.handovers, f.handovers);
      row(b, T.reasons, f.reasons.join(T.list_sep));
      if (f.severity !== null) row(b, T.severity, f.severity.toFixed(2));
      if (f.proposal) row(b, T.proposal, f.proposal);
    }
    function reachPopup(p) {
      var d = el("div", "rm-tip");
      el("div", "rm-title", rivers[p.r] || p.r, d);
      row(d, T.reach, p.i);
      row(d, T.from_to, fmtKm(p.a) + "–" + fmtKm(p.b) + " " + T.km +
          " (" + T.length + " " + fmtKm(p.b - p.a) + " " + T.km + ")");
      if (p.k === "b") el("div", "rm-row", T.boundary_reach, d);
      unitsLines(d, p, Infinity);
      if (flags[p.r]) flagBlock(d, flags[p.r]);
      return d;
    }
    function unitTip(id) {
      var d = el("div", "rm-tip");
      el("div", "rm-title", unitName(id), d);
      var path = unitPath(units[id] ? units[id][2] : null);
      if (path) el("div", "rm-row", path, d);
      chiefsOf(id, null).forEach(function (c) { chiefLine(d, c); });
      return d;
    }

    var layers = {}, labelGroups = [], unitIndex = {}, riverIndex = {};
    var reachLayers = [], segmentLayers = [];  // by position in D.reaches, D.plan.segments

    // ---------------------------------------------------------------- units
    D.unitLayers.forEach(function (ul, li) {
      var group = L.featureGroup();
      var poly = L.featureGroup();
      var geoms = G.units[li];
      ul.ids.forEach(function (id, j) {
        if (!geoms[j].length) return;
        var layer = L.polygon(polyLatLngs(geoms[j], G.factor), {
          renderer: unitRenderer, pane: "rm-units", color: ul.colour, weight: ul.weight,
          opacity: 0.85, fill: true, fillColor: ul.colours[j] || ul.colour, fillOpacity: ul.fill
        });
        unitIndex[id] = { layer: layer, group: group };
        // a click names the unit; a hover tooltip would follow the cursor over the whole map
        layer.bindPopup(function () { return unitTip(id); }, { maxWidth: 360 });
        poly.addLayer(layer);
      });
      group.addLayer(poly);
      var labels = L.layerGroup();
      group.addLayer(labels);
      labelGroups.push({ group: group, labels: labels, points: ul.labels,
                         text: function (id) { return unitName(id); }, shown: "" });
      layers["units:" + ul.level] = group;
    });

    // --------------------------------------------------------------- rivers
    var flagged = [];
    function reachStyle(p) {
      var cls = "rm-reach" + (flags[p.r] ? " rm-flagged" : "");
      if (p.k === "b") {
        return { color: D.colours.boundary, weight: 3.5, opacity: 0.95, dashArray: "7 5",
                 className: cls + " rm-boundary" };
      }
      if (p.k === "o") {
        return { color: D.colours.outside, weight: 2, opacity: 0.9, dashArray: "2 4",
                 className: cls + " rm-outside" };
      }
      return { color: p.c || D.colours.outside, weight: 3, opacity: 0.95, className: cls };
    }
    var riverLayer = L.featureGroup();
    function bindReach(layer, p) {
      layer.bindTooltip(function () { return reachTip(p); },
                        { sticky: true, className: "rm-tooltip" });
      layer.bindPopup(function () { return reachPopup(p); },
                      { minWidth: 280, maxWidth: 440, maxHeight: 440 });
      layer.rmReach = p;
    }
    D.reaches.forEach(function (p, j) {
      if (!G.reaches[j].length) return;
      var style = reachStyle(p);
      style.renderer = riverRenderer;
      var layer = L.polyline(lineLatLngs(G.reaches[j], G.factor), style);
      (riverIndex[p.r] = riverIndex[p.r] || []).push(layer);
      reachLayers[j] = layer;
      bindReach(layer, p);
      if (p.k !== "i" && !D.canvasRivers) {
        // A dashed SVG line takes clicks on its dashes only: an unseen wide line
        // above it takes them along its whole length (canvas hit-tests the whole line).
        var hit = L.polyline(layer.getLatLngs(), {
          renderer: riverRenderer, weight: 14, opacity: 0, className: "rm-hit"
        });
        hit.rmShown = layer;
        bindReach(hit, p);
        riverLayer.addLayer(hit);
      }
      if (flags[p.r]) flagged.push(layer);
      riverLayer.addLayer(layer);
    });
    layers.rivers = riverLayer;
    var halo = L.layerGroup();
    flagged.forEach(function (layer) {
      halo.addLayer(L.polyline(layer.getLatLngs(), {
        pane: "rm-flags", color: D.colours.flag, weight: 10, opacity: 0.35, interactive: false,
        className: "rm-halo"
      }));
    });
    layers.flags = halo;

    // ----------------------------------------------------------------- plan
    if (D.plan) {
      var planGroup = L.featureGroup();
      var segPoints = [];
      var segLayer = L.featureGroup();
      D.plan.segments.forEach(function (p, j) {
        if (!G.plan[j].length) return;
        var layer = L.polyline(lineLatLngs(G.plan[j], G.factor), {
          pane: "rm-plan", color: p.c || D.colours.plan, weight: 8, opacity: 0.45,
          className: "rm-segment"
        });
        layer.bindTooltip(function () {
          var d = el("div", "rm-tip");
          el("div", "rm-title", T.segment + " " + p.s, d);
          el("div", "rm-row", rivers[p.r] || p.n || p.r, d);
          row(d, T.from_to, fmtKm(p.a) + "–" + fmtKm(p.b) + " " + T.km);
          row(d, D.planLevelLabel, p.un || unitName(p.u));
          if (p.u !== null) chiefsOf(p.u, p.r).forEach(function (c) { chiefLine(d, c); });
          return d;
        }, { sticky: true });
        segLayer.addLayer(layer);
        segmentLayers[j] = layer;
      });
      planGroup.addLayer(segLayer);
      var planLabels = L.layerGroup();
      planGroup.addLayer(planLabels);
      labelGroups.push({ group: planGroup, labels: planLabels, points: D.plan.labels,
                         text: function (id) { return id; }, shown: "", max: 60 });
      layers.plan = planGroup;
    }

    // --------------------------------------------------------------- labels
    var MAX_LABELS = D.maxLabels || 150;
    function refreshLabels() {
      var b = map.getBounds();
      labelGroups.forEach(function (g) {
        if (!map.hasLayer(g.group)) { return; }
        var pts = g.points.filter(function (pt) { return b.contains([pt[0], pt[1]]); });
        var key = pts.length > (g.max || MAX_LABELS) ? ""
          : pts.map(function (pt) { return pt[2]; }).join("\u0001");
        if (key === g.shown) return;
        g.shown = key;
        g.labels.clearLayers();
        if (!key) return;
        pts.forEach(function (pt) {
          var t = L.tooltip({ permanent: true, direction: "center", className: "rm-label",
                              interactive: false })
            .setLatLng([pt[0], pt[1]]).setContent(el("span", null, g.text(pt[2])));
          g.labels.addLayer(t);
        });
      });
    }
    map.on("moveend zoomend overlayadd", refreshLabels);
    map.on("overlayadd", function () { setTimeout(refreshLabels, 0); });
    labelGroups.forEach(function (g) {
      g.group.on("add", function () { g.shown = null; setTimeout(refreshLabels, 0); });
      g.group.on("remove", function () { g.shown = ""; g.labels.clearLayers(); });
    });

    var handle = {
      map: map, D: D, G: G, T: T, container: container, layers: layers,
      riverIndex: riverIndex, unitIndex: unitIndex, reachLayers: reachLayers,
      segmentLayers: segmentLayers, riverLayer: riverLayer, flagged: flagged,
      labelGroups: labelGroups, refreshLabels: refreshLabels, texts: T,
      unitName: unitName, unitPath: unitPath, chiefsOf: chiefsOf, chiefText: chiefText,
      reachPopup: reachPopup, unitTip: unitTip
    };
    // The page's language can change (handle.setLang): T is then changed in place,
    // so text made on demand (tooltips, popups) reads the new words; what a plugin
    // built once, it relabels in a function given to handle.onLang.
    var langHooks = [];
    handle.lang = D.lang || "zh";
    handle.onLang = function (fn) { langHooks.push(fn); };
    handle.setLang = function (lang) {
      var diff = (D.i18n || {})[lang];
      if (lang === handle.lang || !diff) return;
      var undo = {};
      applyDiff(D, diff, undo);
      D.i18n[handle.lang] = undo;  // what brings the language back
      delete D.i18n[lang];
      handle.lang = D.lang = lang;
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
      if (D.title) document.title = D.title;
      relabelLayers();
      langHooks.forEach(function (fn) { fn(lang); });
    };
    // The layer control (folium's, made after this function) names the layers in
    // the page's language; narrow screens get it folded so that it covers nothing.
    function relabelLayers() {
      var control = map.rmLayerControl;
      if (!control) return;
      var keys = [];
      [handle.layers, (handle.reports || {}).layers || {}].forEach(function (ls) {
        Object.keys(ls).forEach(function (k) { keys.push([ls[k], k]); });
      });
      control._layers.forEach(function (o) {
        keys.forEach(function (pair) {
          if (pair[0] === o.layer && D.layerNames[pair[1]]) o.name = escapeHtml(D.layerNames[pair[1]]);
        });
      });
      control._update();
    }
    handle.relabelLayers = relabelLayers;
    // the plan's segment lines (inside layers.plan): the editing mode (edit.js) swaps them
    handle.planSegments = D.plan ? segLayer : null;
    // the other scripts of the map (search, controls, editor…) in the order they registered
    RM.plugins.forEach(function (plugin) { plugin(handle); });
    RM.maps = RM.maps || [];
    RM.maps.push(handle);
    map.whenReady(function () { setTimeout(refreshLabels, 0); });
    return handle;
  };
})();
