// What a map shown in a meeting needs (rivermap.build's plugin): a metric scale
// bar, the basemaps named in the page's language, a highlight under the mouse, a
// permalink in the address and a print view.
//
// Highlight: the layer groups (rivers, plan, units of every level) listen for
// mouseover and mouseout of their members (events propagate from a line or a
// polygon to its groups), so lines added later are covered too. Over a reach,
// that reach is drawn much thicker and its river's other reaches a little
// thicker, all opaque; over a plan segment or a unit, its outline. The styles
// before are kept and put back on mouseout: only the few lines touched are
// restyled (a canvas redraws just their box), nothing else is redrawn.
//
// Permalink: the address ends in #zoom/lat/lng, and &river=<id> (escaped) while
// a reach's popup is open. It is rewritten with history.replaceState at most
// every 300 ms while the map moves; opened with such an address, the map takes
// that view and opens the popup of the river's reach nearest the centre,
// without panning. #river=<id> alone fits the map to the river.
//
// Print view: a sheet of the paper's proportions (A4 or A3 landscape, in mm so
// that the map has the same size on the screen and on paper, where it is
// scaled down to fit the window) holds a title (the map's title, what colours
// it, the plan's level), the date, the map with its legend (unfolded), scale
// bar and north arrow, and a footer with the data's credit, the basemap's and
// rivermap's version. Every interactive control is hidden; a bar above the
// sheet (not printed) switches the paper, prints and leaves. An @page rule sets
// the paper; printing from the ordinary view enters the print view for it.
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el;
  var SVG = "http://www.w3.org/2000/svg";
  var PAPERS = { a4: { size: "A4", key: "print_a4" }, a3: { size: "A3", key: "print_a3" } };

  function svgIcon(parent, d, size) {
    var icon = document.createElementNS(SVG, "svg");
    icon.setAttribute("width", String(size)); icon.setAttribute("height", String(size));
    icon.setAttribute("viewBox", "0 0 16 16");
    icon.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none"); path.setAttribute("stroke", "#333");
    path.setAttribute("stroke-width", "1.6"); path.setAttribute("stroke-linejoin", "round");
    icon.appendChild(path);
    parent.appendChild(icon);
    return icon;
  }

  // A term with its {name} filled in (a function, so that "$&" in a name stays as it is)
  function fill(template, name, value) {
    return template.replace("{" + name + "}", function () { return String(value); });
  }

  // Text of an attribution written as HTML (the basemaps' own, from Python): parsed
  // in an inert document, never put into the page as HTML.
  function plainText(html) {
    if (!html) return "";
    var doc = new DOMParser().parseFromString(String(html), "text/html");
    return (doc.body.textContent || "").replace(/\s+/g, " ").trim();
  }

  // ------------------------------------------------------------ scale bar
  function scaleBar(h) {
    h.scale = L.control.scale({ imperial: false, metric: true, maxWidth: 160,
                                position: "bottomleft" }).addTo(h.map);
  }

  // -------------------------------------------------------------- basemaps
  // The base layers are made after the map is built (folium's layer control): they
  // are named in the page's language when it changes, by the kind they are marked with.
  function basemapNames(h) {
    h.onLang(function () {
      var control = h.map.rmLayerControl;
      if (!control) return;
      var changed = false;
      control._layers.forEach(function (o) {
        var kind = o.layer && o.layer.rmBasemap;
        var name = kind && h.T["basemap_" + kind];
        if (name) { o.name = RM.escapeHtml(name); changed = true; }
      });
      if (changed) control._update();
    });
  }

  // -------------------------------------------------------------- highlight
  function highlight(h) {
    var lit = [];  // [layer, its style before]
    function light(layer, style) {
      var o = layer.options;
      lit.push([layer, { weight: o.weight, opacity: o.opacity, color: o.color }]);
      layer.setStyle(style);
    }
    function restore() {
      var was = lit;
      lit = [];
      was.forEach(function (x) { x[0].setStyle(x[1]); });
    }
    function target(e) { return e.propagatedFrom || e.layer || e.target; }
    h.riverLayer.on("mouseover", function (e) {
      var layer = target(e);
      if (layer && layer.rmShown) layer = layer.rmShown;  // the wide unseen line of a dashed reach
      var p = layer && layer.rmReach;
      if (!p) return;
      restore();
      (h.riverIndex[p.r] || []).forEach(function (other) {
        if (other !== layer) light(other, { weight: other.options.weight + 1.5, opacity: 1 });
      });
      light(layer, { weight: layer.options.weight + 4, opacity: 1 });
    });
    h.riverLayer.on("mouseout", restore);
    if (h.layers.plan) {
      h.layers.plan.on("mouseover", function (e) {
        var layer = target(e);
        if (!layer || !layer.setStyle) return;
        restore();
        light(layer, { weight: layer.options.weight + 4, opacity: 0.85 });
      });
      h.layers.plan.on("mouseout", restore);
    }
    Object.keys(h.layers).forEach(function (key) {
      if (key.indexOf("units:") !== 0) return;
      h.layers[key].on("mouseover", function (e) {
        var layer = target(e);
        if (!layer || !layer.setStyle) return;
        restore();
        light(layer, { weight: Math.max(3, layer.options.weight * 2), opacity: 1,
                       color: "#0d47a1" });
      });
      h.layers[key].on("mouseout", restore);
    });
    function shown() { return lit.map(function (x) { return x[0]; }); }
    h.highlight = { restore: restore, lit: shown };
  }

  // -------------------------------------------------------------- permalink
  function flatLatLngs(lls) {
    var out = [];
    (function walk(a) {
      a.forEach(function (x) { if (Array.isArray(x)) walk(x); else out.push(x); });
    })(lls);
    return out;
  }

  // "#z/lat/lng&river=id" -> {zoom, lat, lng, river}; the view or the river may be missing
  function parseHash(hash) {
    var parts = String(hash || "").replace(/^#/, "").split("&"), out = { river: null };
    var view = /^(\d{1,2}(?:\.\d+)?)\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/.exec(parts[0]);
    if (view && Math.abs(+view[2]) <= 90 && Math.abs(+view[3]) <= 180) {
      out.zoom = +view[1]; out.lat = +view[2]; out.lng = +view[3];
    }
    parts.forEach(function (kv) {
      if (kv.indexOf("river=") !== 0) return;
      try { out.river = decodeURIComponent(kv.slice(6)); } catch (err) { out.river = null; }
    });
    return out;
  }
  RM.parseHash = parseHash;

  function permalink(h) {
    var map = h.map, river = null, timer = null, live = false;
    function hashOf() {
      var c = map.getCenter(), z = map.getZoom();
      var d = Math.max(0, Math.ceil(Math.log(Math.max(z, 1)) / Math.LN2));  // ~a pixel
      var s = "#" + Math.round(z * 100) / 100 + "/" + c.lat.toFixed(d) + "/" + c.lng.toFixed(d);
      return river === null ? s : s + "&river=" + encodeURIComponent(river);
    }
    function write() {
      timer = null;
      var s = hashOf();
      if (s === window.location.hash) return;
      try {
        window.history.replaceState(window.history.state, "", s);
      } catch (err) {
        // a page without an address of its own (a notebook's srcdoc frame) keeps none
      }
    }
    function schedule() { if (live && timer === null) timer = setTimeout(write, 300); }

    // the reach of the river nearest the centre of the view, and the point of it nearest
    function nearest(layers) {
      var c = map.getCenter(), cos = Math.cos(c.lat * Math.PI / 180), best = null, bestD = Infinity;
      layers.forEach(function (layer) {
        flatLatLngs(layer.getLatLngs()).forEach(function (ll) {
          var dx = (ll.lng - c.lng) * cos, dy = ll.lat - c.lat, d = dx * dx + dy * dy;
          if (d < bestD) { bestD = d; best = [layer, ll]; }
        });
      });
      return best;
    }
    function openRiver(rid, fit) {
      var layers = h.riverIndex[rid];
      if (!layers || !layers.length) return;
      if (!map.hasLayer(h.riverLayer)) map.addLayer(h.riverLayer);
      if (fit) {
        map.fitBounds(L.featureGroup(layers).getBounds(),
                      { maxZoom: 13, padding: [20, 20], animate: false });
      }
      var best = nearest(layers), popup = best && best[0].getPopup();
      if (!popup) return;
      var pan = popup.options.autoPan;
      popup.options.autoPan = false;  // the view is the one the address names
      best[0].openPopup(best[1]);
      popup.options.autoPan = pan;
    }
    function apply(hash) {
      var v = parseHash(hash);
      if (v.zoom !== undefined) map.setView([v.lat, v.lng], v.zoom, { animate: false });
      if (v.river !== null) openRiver(v.river, v.zoom === undefined);
    }
    map.on("popupopen", function (e) {
      var src = e.popup && e.popup._source, p = src && (src.rmReach || (src.rmShown || {}).rmReach);
      river = p ? p.r : null;
      schedule();
    });
    map.on("popupclose", function () { river = null; schedule(); });
    map.on("moveend", schedule);
    window.addEventListener("hashchange", function () { apply(window.location.hash); });
    // after the page's script has put the layers on the map and made the layer control
    setTimeout(function () {
      apply(window.location.hash);
      live = true;
    }, 0);
    h.permalink = { hash: hashOf, apply: apply };
  }

  // ------------------------------------------------------------- print view
  var NorthArrow = L.Control.extend({
    options: { position: "topright" },
    onAdd: function () {
      var box = el("div", "rm-north");
      box.setAttribute("role", "img");
      var icon = document.createElementNS(SVG, "svg");
      icon.setAttribute("width", "26"); icon.setAttribute("height", "34");
      icon.setAttribute("viewBox", "0 0 26 34");
      icon.setAttribute("aria-hidden", "true");
      var left = document.createElementNS(SVG, "path");
      left.setAttribute("d", "M13 2 L4 30 L13 24 Z");
      left.setAttribute("fill", "#222");
      var right = document.createElementNS(SVG, "path");
      right.setAttribute("d", "M13 2 L22 30 L13 24 Z");
      right.setAttribute("fill", "#fff"); right.setAttribute("stroke", "#222");
      right.setAttribute("stroke-width", "1.2");
      icon.appendChild(left); icon.appendChild(right);
      box.appendChild(icon);
      this._label = el("div", "rm-north-label", null, box);
      return box;
    },
    label: function (text) {
      this._label.textContent = text;
      this.getContainer().setAttribute("aria-label", text);
    }
  });

  function printView(h) {
    var map = h.map, D = h.D, T = h.T, container = h.container;
    var M = (RM.meeting || {})[container.id] || {};
    var state = null;  // while the print view is shown: what to put back, and its parts

    var north = new NorthArrow().addTo(map);
    north.label(T.north);
    h.onLang(function () { north.label(T.north); });

    function subtitle() {
      var s = fill(T.print_level, "level", D.levelLabel);
      if (D.plan) s += " · " + fill(T.print_plan, "level", D.planLevelLabel);
      return s;
    }
    function basemapCredit() {
      var found = [];
      map.eachLayer(function (layer) {
        if (!layer.rmBasemap || layer.rmBasemap === "none") return;
        layer.eachLayer(function (tiles) {
          var text = plainText(tiles.getAttribution && tiles.getAttribution());
          if (text && found.indexOf(text) < 0) found.push(text);
        });
      });
      return found.join("; ");
    }
    function credits() {
      var out = [];
      if (M.credit) out.push(fill(T.print_source, "credit", M.credit));
      var tiles = basemapCredit();
      if (tiles) out.push(fill(T.print_basemap, "credit", tiles));
      if (M.tool) out.push(fill(T.print_made, "tool", M.tool));
      return out;
    }
    function today() {
      var locale = h.lang === "zh" ? "zh-CN" : "en-GB";
      var parts = { year: "numeric", month: "long", day: "numeric" };
      return new Date().toLocaleDateString(locale, parts);
    }
    // the words of the sheet and the bar, in the page's language
    function label() {
      if (!state) return;
      var s = state;
      s.title.textContent = D.title || T.title;
      s.sub.textContent = subtitle();
      s.date.textContent = fill(T.print_date, "date", today());
      s.foot.textContent = "";
      credits().forEach(function (c) { el("span", null, c, s.foot); });
      Object.keys(PAPERS).forEach(function (p) { s.papers[p].textContent = T[PAPERS[p].key]; });
      s.go.textContent = T.print_go;
      s.exit.textContent = T.print_exit;
      s.hint.textContent = T.print_hint;
      s.bar.setAttribute("aria-label", T.print_view);
    }
    // the sheet scaled to fit the window below the bar, centred
    function place() {
      if (!state) return;
      var sheet = state.sheet, top = state.bar.offsetHeight + 12;
      var w = sheet.offsetWidth, ht = sheet.offsetHeight;
      var s = Math.min(1, (window.innerWidth - 24) / w, (window.innerHeight - top - 12) / ht);
      s = Math.max(s, 0.1);
      sheet.style.transform = "scale(" + s + ")";
      sheet.style.left = Math.max(12, (window.innerWidth - w * s) / 2) + "px";
      sheet.style.top = top + "px";
    }
    // The legend, unfolded, may take the map's height but for the north arrow above it
    // (measured in the sheet's own pixels: on the screen the sheet may be scaled).
    function fitLegend() {
      if (!h.legend) return;
      h.legend._fit();
      if (!state) return;
      var box = h.legend.getContainer(), rect = container.getBoundingClientRect();
      var scale = rect.height / container.clientHeight || 1;
      var above = (north.getContainer().getBoundingClientRect().bottom - rect.top) / scale;
      var margin = parseFloat(window.getComputedStyle(box).marginBottom) || 0;
      var room = container.clientHeight - above - margin - 16;
      box.style.maxHeight = Math.max(Math.floor(room), 60) + "px";
    }
    // the map resized to the sheet (or back), showing what it showed before
    function refit(bounds) {
      map.invalidateSize({ pan: false });
      map.fitBounds(bounds, { animate: false });
    }
    function setPaper(paper) {
      if (!state || !PAPERS[paper]) return;
      var bounds = map.getBounds();
      state.paper = paper;
      state.sheet.className = "rm-sheet rm-sheet-" + paper;
      state.page.textContent = "@page { size: " + PAPERS[paper].size + " landscape; margin: 0; }";
      Object.keys(PAPERS).forEach(function (p) {
        state.papers[p].setAttribute("aria-pressed", p === paper ? "true" : "false");
      });
      refit(bounds);
      place();
      fitLegend();
    }
    function button(parent, cls, onClick) {
      var b = el("button", cls, null, parent);
      b.type = "button";
      b.addEventListener("click", function (e) { e.preventDefault(); onClick(); });
      return b;
    }
    function enter(paper) {
      if (state) { setPaper(paper || state.paper); return; }
      if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen();
      container.classList.remove("rm-pseudo-fullscreen");
      var legendBox = h.legend && h.legend.getContainer();
      var s = state = {
        parent: container.parentNode, next: container.nextSibling,
        folded: !!legendBox && legendBox.classList.contains("rm-collapsed"),
        papers: {}, paper: paper || "a4"
      };
      s.page = el("style", null, null, document.head);
      s.bar = el("div", "rm-print-bar", null, document.body);
      s.bar.setAttribute("role", "toolbar");
      Object.keys(PAPERS).forEach(function (p) {
        s.papers[p] = button(s.bar, "rm-paper", function () { setPaper(p); });
      });
      s.go = button(s.bar, "rm-print-go", function () { window.print(); });
      s.exit = button(s.bar, "rm-print-exit", exit);
      s.hint = el("span", "rm-hint", null, s.bar);
      s.sheet = el("div", "rm-sheet", null, document.body);
      var head = el("div", "rm-sheet-head", null, s.sheet);
      s.title = el("div", "rm-sheet-title", null, head);
      s.sub = el("div", "rm-sheet-sub", null, head);
      s.date = el("div", "rm-sheet-date", null, head);
      s.sheet.appendChild(container);
      s.foot = el("div", "rm-sheet-foot", null, s.sheet);
      document.body.classList.add("rm-printing");
      if (h.legend && h.legend._setCollapsed) h.legend._setCollapsed(false);
      label();
      setPaper(s.paper);
      s.go.focus();
    }
    function exit() {
      if (!state) return;
      var s = state, bounds = map.getBounds();
      state = null;
      if (s.next && s.next.parentNode === s.parent) s.parent.insertBefore(container, s.next);
      else s.parent.appendChild(container);
      [s.sheet, s.bar, s.page].forEach(function (n) { n.parentNode.removeChild(n); });
      document.body.classList.remove("rm-printing");
      if (h.legend && h.legend._setCollapsed) h.legend._setCollapsed(s.folded);
      refit(bounds);
      fitLegend();
      if (h.printButton) h.printButton.focus();
    }
    h.print = { enter: enter, exit: exit, paper: function () { return state && state.paper; } };
    h.onLang(function () { label(); fitLegend(); });
    map.on("baselayerchange", label);
    window.addEventListener("resize", place);
    document.addEventListener("keydown", function (e) {
      if (state && e.key === "Escape") exit();
    });
    // printing from the ordinary view prints the print view (A4), then leaves it
    var auto = false;
    window.addEventListener("beforeprint", function () {
      if (!state) { auto = true; enter("a4"); }
    });
    window.addEventListener("afterprint", function () { if (auto) { auto = false; exit(); } });

    var PrintButton = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = el("div", "leaflet-bar rm-print-button");
        var a = el("a", null, null, bar);
        a.href = "#";
        a.setAttribute("role", "button");
        svgIcon(a, "M4 6V2h8v4M4 12H2V7h12v5h-2M4 10h8v4H4z", 16);
        L.DomEvent.disableClickPropagation(bar);
        L.DomEvent.on(a, "click", function (e) { L.DomEvent.preventDefault(e); enter("a4"); });
        function name() { a.title = T.print_view; a.setAttribute("aria-label", T.print_view); }
        name();
        h.onLang(name);
        h.printButton = a;
        return bar;
      }
    });
    new PrintButton().addTo(map);
  }

  RM.plugins.push(function (h) {
    scaleBar(h);
    basemapNames(h);
    highlight(h);
    permalink(h);
    printView(h);
  });
})();
