// Search (rivermap.build's plugin): rivers, units, chiefs, reaches and plan segments.
//
// The index is made once from the map's data: every river (with its chief unit,
// so that twelve rivers named 长江 can be told apart), every unit (with its
// parent), every chief in the roster (with the unit, or the river, they answer
// for), every reach id and every plan segment id. A query matches names and ids
// case-insensitively; results rank by how they match (the whole text, its start,
// anywhere), then by kind in that order, then by name. The first LIMIT show, and
// a last line counts the others and shows LIMIT more when chosen. Up and down
// move through the list, Enter takes the active line (the first by default),
// Escape closes it; choosing a result zooms to it, opens its popup and closes
// the list. A result shows names as the map draws them (a long one cut with
// "…"); the match and the popup it opens use the whole name.
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el;
  var LIMIT = 12;
  var ORDER = { r: 0, u: 1, c: 2, s: 3, x: 4 };

  // [text to match, kind, id, what to show beside it (a function), the name shown]
  function makeIndex(h) {
    var D = h.D, out = [];
    Object.keys(D.rivers).forEach(function (rid) {
      var unit = (D.riverUnits || {})[rid];
      out.push({ q: D.rivers[rid], k: "r", id: rid, name: D.rivers[rid],
                 where: unit ? function () { return h.unitLabel(unit); } : null });
    });
    Object.keys(D.units).forEach(function (uid) {
      var parent = D.units[uid][2];
      out.push({ q: D.units[uid][0], k: "u", id: uid, name: D.units[uid][0],
                 where: parent ? function () { return h.unitLabel(parent); } : null });
    });
    Object.keys(D.chiefs || {}).forEach(function (key) {
      var parts = key.split("\u0001"), unit = parts[0], river = parts[1];
      D.chiefs[key].forEach(function (c) {
        out.push({ q: c[0], k: "c", id: river ? river : unit, unit: unit, river: river,
                   name: c[0], where: function () {
                     var w = h.unitLabel(unit);
                     return river ? [[w], " · ", [h.short(h.riverName(river))]] : w;
                   } });
      });
    });
    D.reaches.forEach(function (p, j) {
      out.push({ q: p.i, k: "x", id: j, name: p.i,
                 where: function () { return h.short(h.riverName(p.r)); } });
    });
    ((D.plan && D.plan.segments) || []).forEach(function (p, j) {
      out.push({ q: p.s, k: "s", id: j, name: p.s,
                 where: function () { return h.short(D.rivers[p.r] || p.n || p.r); } });
    });
    out.forEach(function (e) { e.lq = String(e.q).toLowerCase(); });
    return out;
  }

  function kindLabel(h, e) {
    var T = h.T;
    if (e.k === "r") return T.river;
    if (e.k === "u") {
      var lv = h.D.levels[h.D.units[e.id][1]];
      return lv ? lv.label : "";
    }
    if (e.k === "c") return T.chief;
    if (e.k === "s") return T.segment;
    return T.reach;
  }

  function find(index, q) {
    var hits = [];
    index.forEach(function (e) {
      var at = e.lq.indexOf(q);
      if (at < 0) return;
      hits.push({ e: e, rank: e.lq === q ? 0 : at === 0 ? 1 : 2 });
    });
    hits.sort(function (a, b) {
      return a.rank - b.rank || ORDER[a.e.k] - ORDER[b.e.k] ||
        (a.e.lq < b.e.lq ? -1 : a.e.lq > b.e.lq ? 1 : 0);
    });
    return hits.map(function (x) { return x.e; });
  }

  RM.plugins.push(function (h) {
    var map = h.map, D = h.D, index = null;

    function fit(bounds) {
      map.fitBounds(bounds, { maxZoom: 13, padding: [20, 20] });
    }
    function middle(layer) {
      var lls = layer.getLatLngs();
      while (lls.length && Array.isArray(lls[0])) lls = lls[0];
      return lls[Math.floor(lls.length / 2)];
    }
    function show(layer, group) {
      if (group && !map.hasLayer(group)) map.addLayer(group);
      if (layer.getBounds) fit(layer.getBounds());
      layer.openPopup(layer.getLatLngs ? middle(layer) : undefined);
    }
    function go(e) {
      if (e.k === "r" || (e.k === "c" && e.river)) {
        var ls = h.riverIndex[e.k === "r" ? e.id : e.river] || [];
        if (!ls.length) return;
        if (!map.hasLayer(h.riverLayer)) map.addLayer(h.riverLayer);
        fit(L.featureGroup(ls).getBounds());
        var one = ls[Math.floor(ls.length / 2)];
        one.openPopup(middle(one));
      } else if (e.k === "u" || e.k === "c") {
        var u = h.unitIndex[e.k === "u" ? e.id : e.unit];
        if (!u) return;
        if (!map.hasLayer(u.group)) map.addLayer(u.group);
        fit(u.layer.getBounds());
        u.layer.openPopup(u.layer.getBounds().getCenter());
      } else if (e.k === "x") {
        var reach = (h.reachLayers || [])[e.id];
        if (reach) show(reach, h.riverLayer);
      } else if (e.k === "s") {
        var seg = (h.segmentLayers || [])[e.id];
        if (seg) show(seg, h.layers.plan);
      }
    }
    h.search = go;
    RM.go = go;

    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "rm-search leaflet-bar");
        var input = el("input", null, null, box);
        input.type = "search";
        input.setAttribute("role", "combobox");
        input.setAttribute("aria-autocomplete", "list");
        var list = el("ul", null, null, box);
        list.setAttribute("role", "listbox");
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var hits = [], shown = 0, active = -1;
        function label() {
          input.placeholder = h.T.search;
          input.setAttribute("aria-label", h.T.search);
        }
        function setActive(i) {
          var items = list.querySelectorAll("li.rm-result, li.rm-more");
          if (!items.length) return;
          active = (i + items.length) % items.length;
          items.forEach(function (li, j) { li.classList.toggle("rm-active", j === active); });
          items[active].scrollIntoView({ block: "nearest" });
        }
        function close() { list.textContent = ""; hits = []; shown = 0; active = -1; }
        function choose(e) { close(); input.blur(); go(e); }
        function render() {
          list.textContent = "";
          active = -1;
          hits.slice(0, shown).forEach(function (e) {
            var li = el("li", "rm-result", null, list);
            li.setAttribute("role", "option");
            el("span", "rm-name", h.short(e.name), li);
            el("span", "rm-kind", kindLabel(h, e), li);
            var where = e.where ? e.where() : "";
            if (Array.isArray(where)) RM.mixed("span", "rm-where", where, li);
            else if (where) el("span", "rm-where", where, li);
            li.addEventListener("click", function () { choose(e); });
          });
          if (hits.length > shown) {
            var more = el("li", "rm-more", h.T.search_more.replace("{n}", hits.length - shown), list);
            more.addEventListener("click", function () { shown += LIMIT; render(); input.focus(); });
          }
          if (!hits.length) el("li", "rm-none", h.T.no_match, list);
        }
        function query() {
          var q = input.value.trim().toLowerCase();
          if (!q) { close(); return; }
          index = index || makeIndex(h);
          hits = find(index, q);
          shown = LIMIT;
          render();
        }
        input.addEventListener("input", query);
        input.addEventListener("keydown", function (ev) {
          if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
            ev.preventDefault();
            setActive(active + (ev.key === "ArrowDown" ? 1 : -1));
          } else if (ev.key === "Enter") {
            var items = list.querySelectorAll("li.rm-result, li.rm-more");
            var item = items[active < 0 ? 0 : active];
            if (item) item.click();
          } else if (ev.key === "Escape") {
            close();
          }
        });
        label();
        h.onLang(function () { label(); if (hits.length) render(); });
        return box;
      }
    });
    new Search().addTo(map);
  });
})();
