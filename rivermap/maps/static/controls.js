// The full-screen button, the language switch and the legend (rivermap.build's plugin).
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el;
  RM.plugins.push(function (h) {
    var map = h.map;
    var D = h.D;
    var T = h.T;
    var container = h.container;
    var flagged = h.flagged;
    var unitName = h.unitName;
    // ----------------------------------------------------------- fullscreen
    var Full = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = el("div", "leaflet-bar rm-fs");
        var a = el("a", "rm-fs-button", null, bar);
        var ns = "http://www.w3.org/2000/svg";
        var icon = document.createElementNS(ns, "svg");
        icon.setAttribute("width", "16"); icon.setAttribute("height", "16");
        icon.setAttribute("viewBox", "0 0 16 16");
        var path = document.createElementNS(ns, "path");
        path.setAttribute("d", "M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4");
        path.setAttribute("fill", "none"); path.setAttribute("stroke", "#333");
        path.setAttribute("stroke-width", "2");
        icon.appendChild(path);
        a.appendChild(icon);
        a.href = "#"; a.title = T.fullscreen; a.setAttribute("role", "button");
        L.DomEvent.on(a, "click", function (e) {
          L.DomEvent.preventDefault(e);
          var native = document.fullscreenEnabled && container.requestFullscreen;
          if (native) {
            if (document.fullscreenElement) document.exitFullscreen();
            else container.requestFullscreen();
          } else {
            container.classList.toggle("rm-pseudo-fullscreen");
            map.invalidateSize();
          }
        });
        function label() {
          a.title = document.fullscreenElement ? T.exit_fullscreen : T.fullscreen;
          a.setAttribute("aria-label", a.title);
        }
        document.addEventListener("fullscreenchange", function () {
          label();
          map.invalidateSize();
        });
        h.onLang(label);
        return bar;
      }
    });
    new Full().addTo(map);

    // ------------------------------------------------------ language switch
    // One file, both languages: the button names the other language and swaps
    // every word of the page (handle.setLang); names from the data stay as they are.
    var Lang = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var button = el("button", "rm-lang");
        button.type = "button";
        function label() {
          button.textContent = T.lang_switch;
          button.title = T.lang_switch_hint;
          button.setAttribute("aria-label", T.lang_switch_hint);
        }
        L.DomEvent.disableClickPropagation(button);
        L.DomEvent.on(button, "click", function (e) {
          L.DomEvent.stop(e);
          h.setLang(h.lang === "zh" ? "en" : "zh");
        });
        label();
        h.onLang(label);
        return button;
      }
    });
    if (D.i18n && Object.keys(D.i18n).length) new Lang().addTo(map);

    // --------------------------------------------------------------- legend
    // Two groups: the river styles (always shown), then the unit colours, which
    // the toggle hides. The legend's height is bounded by the room the map
    // leaves it (recomputed when the map is resized); the body scrolls.
    var Legend = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var box = el("div", "rm-legend");
        L.DomEvent.disableScrollPropagation(box);
        L.DomEvent.disableClickPropagation(box);
        var head = el("div", "rm-legend-head", null, box);
        el("div", "rm-title", T.legend, head);
        var body = el("div", "rm-legend-body", null, box);
        this._body = body;  // where other layers (tickets, patrols) add their groups
        function swatch(parent, colour, dash, width, opacity, len) {
          var ns = "http://www.w3.org/2000/svg";
          var svg = document.createElementNS(ns, "svg");
          svg.setAttribute("width", String(len + 2)); svg.setAttribute("height", "10");
          var line = document.createElementNS(ns, "line");
          line.setAttribute("x1", "1"); line.setAttribute("y1", "5");
          line.setAttribute("x2", String(len + 1)); line.setAttribute("y2", "5");
          line.setAttribute("stroke", colour); line.setAttribute("stroke-width", String(width));
          line.setAttribute("stroke-opacity", String(opacity));
          if (dash) line.setAttribute("stroke-dasharray", dash);
          svg.appendChild(line);
          parent.appendChild(svg);
        }
        function item(parent, colour, dash, width, opacity, label, len) {
          var it = el("div", "rm-item", null, parent);
          swatch(it, colour, dash, width, opacity, len || 26);
          var span = el("span", null, label, it);
          span.title = String(label);  // full text when the column truncates it
          return it;
        }
        var kinds = {};
        D.reaches.forEach(function (p) { kinds[p.k] = true; });
        var styles = el("div", "rm-group rm-styles-group", null, body);
        el("div", "rm-group-title", T.legend_styles, styles);
        var dash = D.styles;  // the map's dashes (rivermap._styles)
        if (kinds.b) item(styles, D.colours.boundary, dash.boundary.dashArray, 3, 1,
                          T.boundary_reach);
        if (D.plan) item(styles, D.colours.plan, null, 7, 0.45, T.plan);
        if (kinds.o) item(styles, D.colours.outside, dash.outside.dashArray, 2, 1,
                          T.outside_reach);
        if (styles.childNodes.length === 1) body.removeChild(styles);

        var toggle = null;
        if (D.legend.length) {
          var group = el("div", "rm-group rm-units-group", null, body);
          el("div", "rm-group-title", D.legendTitle, group);
          var fold = el("div", "rm-units-list", null, group);  // what the toggle hides
          el("div", "rm-note", T.legend_colour, fold);
          var list = el("div", D.legend.length > 6 ? "rm-grid" : null, null, fold);
          D.legend.forEach(function (e) {
            item(list, e[1], null, 4, 1, h.unitLabel(e[0]), 16).lastChild.title = unitName(e[0]);
          });
          if (D.legendMore > 0) el("div", "rm-note", "… " + T.more + " " + D.legendMore, fold);
          toggle = el("button", "rm-legend-toggle", null, head);
          toggle.type = "button";
          L.DomEvent.on(toggle, "click", function (ev) {
            L.DomEvent.stop(ev);
            setCollapsed(!box.classList.contains("rm-collapsed"));
          });
        }
        function setCollapsed(on) {
          box.classList.toggle("rm-collapsed", !!on);
          if (!toggle) return;
          toggle.textContent = on ? T.legend_expand + " ▾" : T.legend_collapse + " ▴";
          toggle.title = on ? T.legend_expand_hint : T.legend_collapse_hint;
          toggle.setAttribute("aria-label", toggle.title);
          toggle.setAttribute("aria-expanded", on ? "false" : "true");
        }
        // the room between the top-right controls and whatever sits below the
        // legend in its corner (the attribution), at most 60 % of the map's height
        function fit() {
          var H = container.clientHeight;
          if (!H) return;
          var top = container.getBoundingClientRect().top;
          var tr = container.querySelector(".leaflet-top.leaflet-right");
          var above = tr ? Math.max(tr.getBoundingClientRect().bottom - top, 0) : 0;
          var below = 0, sib = box.nextSibling;
          for (; sib; sib = sib.nextSibling) {
            if (sib.nodeType === 1) below += sib.getBoundingClientRect().height;
          }
          var margin = parseFloat(window.getComputedStyle(box).marginBottom) || 0;
          var room = H - above - below - margin - 12;
          var cap = H - below - margin - 8;  // never past the top of the map
          var maxH = Math.min(Math.max(room, Math.min(160, cap)), 0.6 * H, cap);
          box.style.maxHeight = Math.max(Math.floor(maxH), 40) + "px";
        }
        this._fit = fit;
        this._setCollapsed = setCollapsed;
        this._fits = function () { return body.scrollHeight <= body.clientHeight + 1; };
        setCollapsed(!!D.legendCollapsed);
        return box;
      }
    });
    var legend = new Legend().addTo(map);
    h.legend = legend;
    legend._fit();
    h.onLang(function () {
      // a legend in the other language, folded or not as this one was
      var folded = legend.getContainer().classList.contains("rm-collapsed");
      map.removeControl(legend);
      legend = h.legend = new Legend().addTo(map);
      legend._setCollapsed(folded);
      legend._fit();
    });
    map.whenReady(function () {
      // after the page's other controls (the layer control) are in place
      setTimeout(function () {
        legend._fit();
        // open by default only when the whole list fits without scrolling
        if (!D.legendCollapsed && container.clientHeight && !legend._fits()) {
          legend._setCollapsed(true);
        }
      }, 0);
    });
    map.on("resize", function () { legend._fit(); });
    document.addEventListener("fullscreenchange", function () {
      setTimeout(function () { legend._fit(); }, 0);
    });
  });
})();
