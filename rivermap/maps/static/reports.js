(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el, NS = "http://www.w3.org/2000/svg";
  var CELL = 64;  // pixels of the clustering grid

  function pad(n, w) { var s = String(n); while (s.length < (w || 2)) s = "0" + s; return s; }
  // minutes after ``base`` (wall-clock minutes since 1970) -> "YYYY-MM-DD HH:MM"
  function when(base, v, dateOnly) {
    if (v === null || v === undefined) return null;
    var d = new Date((base + v) * 60000);
    var day = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    if (dateOnly && !d.getUTCHours() && !d.getUTCMinutes()) return day;
    return day + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  // Columns (see _reports_layers): {v: a list}, packed integers {o, w, s}, or
  // distinct texts d with the packed index of each row's text.
  var DIGIT = new Int16Array(128), BASE = 0;
  function digits(alphabet) {
    BASE = alphabet.length;
    for (var k = 0; k < BASE; k++) DIGIT[alphabet.charCodeAt(k)] = k;
  }
  function num(c, i) {  // packed integer i of column c, or null
    var x = 0, at = i * c.w;
    for (var j = 0; j < c.w; j++) x = x * BASE + DIGIT[c.s.charCodeAt(at + j)];
    return x === 0 ? null : x - 1 + c.o;
  }
  function val(c, i) {
    if (!c) return null;
    if (c.s === undefined) { var x = c.v[i]; return x === undefined ? null : x; }
    var k = num(c, i);
    return c.d && k !== null ? c.d[k] : k;
  }
  // a line "key: value", none without a value; an array value is the parts of RM.mixed
  function row(parent, key, value, cls) {
    if (value === null || value === undefined || value === "") return null;
    var r = el("div", "rm-row" + (cls ? " " + cls : ""), null, parent);
    el("span", "rm-key", key + ":", r);
    if (Array.isArray(value)) RM.mixed("span", null, value, r);
    else el("span", null, value, r);
    return r;
  }
  function chainage(m) {
    if (m === null) return null;
    if (m < 0) return String(m);
    var k = Math.floor(m / 1000);
    return m + " (K" + k + "+" + pad(m - 1000 * k, 3) + ")";
  }
  function percent(x) { return x === null ? null : Math.round(100 * x) + "%"; }
  function dot(parent, colour) {
    var d = el("span", "rm-dot", null, parent);
    d.style.background = colour;
    return d;
  }
  function pane(map, name, z) {
    if (!map.getPane(name)) map.createPane(name).style.zIndex = z;
    return name;
  }
  function latLngs(parts, f) {
    var ll = parts.map(function (p) { return RM.decode(p, f); });
    return ll.length === 1 ? ll[0] : ll;
  }

  // ---------------------------------------------------------------- banner
  function banner(map, text) {
    var box = map.getContainer();
    var b = el("div", "rm-banner", text, box);
    b.setAttribute("role", "note");
    L.DomEvent.disableClickPropagation(b);
    L.DomEvent.disableScrollPropagation(b);
    function place() {
      var tops = box.querySelectorAll(".leaflet-top");
      for (var i = 0; i < tops.length; i++) tops[i].style.top = b.offsetHeight + "px";
    }
    place();
    map.on("resize", place);
    return b;
  }

  // --------------------------------------------------------------- tickets
  function Tickets(h, E, K, colours, M) {
    var map = h.map, T = h.texts, cols = E.cols, st = E.status;
    var ll = RM.decode(E.pts, E.factor), n = ll.length;
    var flags = new Uint8Array(n), status = new Uint16Array(n);
    for (var i0 = 0; i0 < n; i0++) { flags[i0] = num(E.flags, i0); status[i0] = num(st, i0); }
    var X = new Float64Array(n), Y = new Float64Array(n);  // Web Mercator, 0..1
    for (var i = 0; i < n; i++) {
      var s = Math.max(Math.min(Math.sin(ll[i][0] * Math.PI / 180), 0.9999), -0.9999);
      X[i] = (ll[i][1] + 180) / 360;
      Y[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    }
    var renderer = L.svg({ pane: pane(map, "rm-events", 420), padding: 0.3 });
    pane(map, "rm-clusters", 660);  // above the unit names (tooltips, 650), below popups
    // a layerGroup, not a featureGroup: the markers' events stay theirs
    var group = L.layerGroup(), cache = {};

    function style(i) {
      var f = flags[i], bad = f & 1, amb = f & 2, k = status[i];
      return {
        // sizes: M (rivermap._styles.EVENT_MARKER, shared with the QGIS styles)
        renderer: renderer, radius: bad ? M.unmatched_radius : M.radius, opacity: 1,
        fillOpacity: M.fill_opacity,
        fillColor: st.c[k],
        color: bad ? colours.unmatched : amb ? colours.ambiguous : "#ffffff",
        weight: bad ? M.unmatched_ring : amb ? M.ambiguous_ring : M.ring,
        dashArray: amb ? M.ambiguous_dash : null,
        className: "rm-event rm-status-" + st.k[k] + (bad ? " rm-unmatched" : "") +
          (amb ? " rm-ambiguous" : "")
      };
    }
    function title(d, i) {
      var t = el("div", "rm-title", null, d);
      el("span", null, val(cols.id, i), t);
      dot(t, st.c[status[i]]);
      el("span", null, st.d[status[i]], t);
      return t;
    }
    function tip(i) {
      var d = el("div", "rm-tip");
      title(d, i);
      var what = [val(cols.cat, i), val(cols.rv, i)].filter(function (x) { return x; });
      if (what.length) {
        RM.mixed("div", "rm-row", what.reduce(function (out, x, k) {
          return out.concat(k ? [" · ", [x]] : [[x]]);
        }, []), d);
      }
      if (flags[i] & 1) row(d, K.match, val(cols.mt, i), "rm-warn");
      return d;
    }
    function chief(i) {
      var name = val(cols.cf, i);
      if (name === null) return null;
      var level = val(cols.cl, i), phone = val(cols.ph, i);
      // the parts of RM.mixed: each text from the data isolated
      return [[name], level ? " (" : "", [level], level ? ")" : "",
              phone ? " " + T.phone + " " : "", [phone]];
    }
    function popup(i) {
      var d = el("div", "rm-tip rm-event-tip"), f = flags[i];
      title(d, i);
      row(d, K.event_id, val(cols.id, i));
      row(d, K.reported_at, when(E.base, val(cols.t, i), false));
      row(d, K.source, val(cols.src, i));
      row(d, K.category, val(cols.cat, i));
      row(d, K.status, st.d[status[i]]);
      row(d, K.deadline, when(E.base, val(cols.dl, i), true));
      row(d, K.closed_at, when(E.base, val(cols.ct, i), false));
      var desc = val(cols.desc, i);
      if (desc !== null) el("div", "rm-row rm-desc", desc, d);
      row(d, K.river, val(cols.rv, i));
      row(d, K.reach_id, val(cols.rc, i));
      row(d, K.chainage_m, chainage(val(cols.ch, i)));
      row(d, K.offset_m, val(cols.off, i));
      row(d, K.side, val(cols.sd, i));
      row(d, K.responsible_name, val(cols.un, i));
      row(d, K.chief, chief(i), "rm-chief");
      row(d, K.match, val(cols.mt, i), f & 1 ? "rm-warn" : null);
      if (f & 1) row(d, K.reason, val(cols.rs, i), "rm-warn");
      if (f & 2) {
        el("div", "rm-row rm-warn", K.ambiguous, d);
        row(d, K.candidates, val(cols.cand, i), "rm-warn");
      }
      row(d, K.duplicate_of, val(cols.dup, i));
      return d;
    }
    function single(i) {
      var m = L.circleMarker(ll[i], style(i));
      m.rmIndex = i;
      m.bindTooltip(function () { return tip(i); }, { direction: "top", offset: [0, -6] });
      m.bindPopup(function () { return popup(i); },
                  { minWidth: 260, maxWidth: 420, maxHeight: 440 });
      return m;
    }

    // tickets in cells of CELL pixels at zoom z: [{n, x, y, m: members, bad, ll}]
    function cells(z) {
      if (cache[z]) return cache[z];
      var scale = 256 * Math.pow(2, z) / CELL, index = new Map(), out = [];
      for (var i = 0; i < n; i++) {
        var key = Math.floor(X[i] * scale) * 4194304 + Math.floor(Y[i] * scale);
        var c = index.get(key);
        if (c === undefined) {
          c = { key: "c" + z + ":" + key, n: 0, x: 0, y: 0, m: [], bad: 0 };
          index.set(key, c);
          out.push(c);
        }
        c.n += 1; c.x += X[i]; c.y += Y[i]; c.m.push(i);
        if (flags[i] & 1) c.bad += 1;
      }
      out.forEach(function (c) {
        var y = c.y / c.n;
        c.ll = L.latLng(360 / Math.PI * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - 90,
                        c.x / c.n * 360 - 180);
      });
      cache[z] = out;
      return out;
    }
    function cluster(c, z) {
      var size = c.n < 10 ? 28 : c.n < 100 ? 34 : c.n < 1000 ? 40 : 46;
      var inner = el("div", "rm-cluster-inner", String(c.n));
      inner.style.background = colours.cluster;
      if (c.bad) inner.style.borderColor = colours.unmatched;
      var icon = L.divIcon({ html: inner, iconSize: [size, size],
                             className: "rm-cluster" + (c.bad ? " rm-cluster-bad" : "") });
      var m = L.marker(c.ll, { icon: icon, pane: "rm-clusters", title: T.zoom_in, keyboard: false,
                               riseOnHover: true });
      m.rmCount = c.n;
      m.on("click", function () {
        var b = L.latLngBounds(c.m.map(function (i) { return ll[i]; }));
        var to = Math.max(map.getBoundsZoom(b, false, L.point(40, 40)), z + 1);
        map.setView(b.getCenter(), Math.min(to, E.clusterMaxZoom, map.getMaxZoom()));
      });
      return m;
    }
    // What is in view (with a margin): "s<i>" -> ticket i, "c<z>:<cell>" -> a cluster.
    function wanted() {
      var want = new Map(), z = Math.floor(map.getZoom() + 1e-6);
      var view = map.getBounds().pad(0.25);
      if (!E.cluster || z >= E.clusterMaxZoom) {
        for (var i = 0; i < n; i++) if (view.contains(ll[i])) want.set("s" + i, i);
      } else {
        cells(z).forEach(function (c) {
          if (view.contains(c.ll)) want.set(c.n === 1 ? "s" + c.m[0] : c.key, c);
        });
      }
      return { want: want, z: z };
    }
    // Keep what is still wanted (a ticket stays the same marker from one zoom to the
    // next, and one with its popup open stays), remove the rest, add what is new.
    var drawn = new Map();
    function draw() {
      if (!map.hasLayer(group)) return;
      var w = wanted();
      drawn.forEach(function (layer, key) {
        if (w.want.has(key) || layer.isPopupOpen()) return;
        group.removeLayer(layer);
        drawn.delete(key);
      });
      w.want.forEach(function (what, key) {
        if (drawn.has(key)) return;
        var layer = typeof what === "number" ? single(what) : cluster(what, w.z);
        drawn.set(key, layer);
        group.addLayer(layer);
      });
    }
    group.on("add", function (e) { if (e.target === group) { map.on("moveend", draw); draw(); } });
    group.on("remove", function (e) {
      if (e.target !== group) return;
      map.off("moveend", draw);
      group.clearLayers();
      drawn.clear();
    });
    group.rmDraw = draw;
    group.rmLatLng = function (i) { return ll[i]; };
    group.rmBounds = function () { return L.latLngBounds(ll); };
    return group;
  }

  // --------------------------------------------------------------- patrols
  function Patrols(h, P, K, colours) {
    var map = h.map, T = h.texts, cols = P.cols;
    var where = pane(map, "rm-patrols", 405);
    var renderer = P.n > 400 ? L.canvas({ pane: where, padding: 0.3 })
                             : L.svg({ pane: where, padding: 0.3 });
    var group = L.featureGroup(), points = {};
    P.points.forEach(function (p) { points[p[0]] = [p[1], p[2]]; });
    function title(d, j) {
      el("div", "rm-title", val(cols.who, j) || val(cols.id, j), d);
      var ok = val(cols.ok, j) === 1;
      el("div", "rm-row " + (ok ? "rm-ok" : "rm-warn"), ok ? T.valid_patrol : T.invalid_patrol, d);
    }
    function span(j) {
      var a = when(P.base, val(cols.t0, j), false), b = when(P.base, val(cols.t1, j), false);
      if (a && b && a.slice(0, 10) === b.slice(0, 10)) b = b.slice(11);
      return a ? a + (b ? " – " + b : "") : null;
    }
    function tip(j) {
      var d = el("div", "rm-tip");
      title(d, j);
      row(d, K.time, span(j));
      return d;
    }
    function popup(j) {
      var d = el("div", "rm-tip rm-patrol-tip");
      title(d, j);
      row(d, K.patrol_id, val(cols.id, j));
      row(d, K.person, val(cols.who, j));
      row(d, K.time, span(j));
      row(d, K.minutes, val(cols.min, j));
      row(d, K.km, val(cols.km, j));
      row(d, K.speed_kmh, val(cols.v, j));
      row(d, K.own_share, percent(val(cols.own, j)));
      row(d, K.on_river_share, percent(val(cols.riv, j)));
      row(d, K.reasons, val(cols.why, j), "rm-warn");
      return d;
    }
    // A track is drawn twice: the line people see, and under it a wide transparent one
    // that takes the pointer (a dashed SVG line is not there between its dashes).
    function track(j) {
      var ok = val(cols.ok, j) === 1;
      var st = { renderer: renderer, color: ok ? colours.valid : colours.invalid,
                 weight: ok ? 3 : 2.5, opacity: 0.85, dashArray: ok ? null : "6 5",
                 interactive: false,
                 className: "rm-patrol " + (ok ? "rm-patrol-valid" : "rm-patrol-invalid") };
      var hit = { renderer: renderer, weight: 12, opacity: 0, className: "rm-patrol-hit" };
      if (P.lines[j].length) {
        var line = latLngs(P.lines[j], P.factor);
        return [L.polyline(line, hit), L.polyline(line, st)];
      }
      if (!points[j]) return null;
      st.radius = 4; st.fillColor = st.color; st.fillOpacity = 0.5;
      hit.radius = 8; hit.fillOpacity = 0;
      return [L.circleMarker(points[j], hit), L.circleMarker(points[j], st)];
    }
    for (var j = 0; j < P.n; j++) {
      var pair = track(j);
      if (!pair) continue;
      pair[0].rmIndex = pair[1].rmIndex = j;
      pair[0].bindTooltip(tip.bind(null, j), { sticky: true });
      pair[0].bindPopup(popup.bind(null, j), { minWidth: 240, maxWidth: 400 });
      group.addLayer(pair[0]);
      group.addLayer(pair[1]);
    }
    return group;
  }

  // ---------------------------------------------------------------- legend
  function swatch(parent, w) {
    var s = document.createElementNS(NS, "svg");
    s.setAttribute("width", String(w)); s.setAttribute("height", "16");
    parent.appendChild(s);
    return s;
  }
  function item(parent, label, cls) {
    var it = el("div", "rm-item" + (cls ? " " + cls : ""), null, parent);
    var s = swatch(it, cls === "rm-line-item" ? 28 : 16);
    var span = el("span", null, label, it);
    span.title = String(label);
    return s;
  }
  function circleItem(parent, label, fill, stroke, width, dash) {
    var c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", "8"); c.setAttribute("cy", "8"); c.setAttribute("r", "5.5");
    c.setAttribute("fill", fill); c.setAttribute("stroke", stroke);
    c.setAttribute("stroke-width", String(width));
    if (dash) c.setAttribute("stroke-dasharray", dash);
    item(parent, label, "rm-circle-item").appendChild(c);
  }
  function lineItem(parent, label, colour, dash) {
    var l = document.createElementNS(NS, "line");
    l.setAttribute("x1", "1"); l.setAttribute("y1", "8"); l.setAttribute("x2", "27");
    l.setAttribute("y2", "8"); l.setAttribute("stroke", colour);
    l.setAttribute("stroke-width", "3");
    if (dash) l.setAttribute("stroke-dasharray", dash);
    item(parent, label, "rm-line-item").appendChild(l);
  }
  function count(label, n) { return label + " (" + n + ")"; }
  function ticketsLegend(g, E, T, colours) {
    var per = E.status.d.map(function () { return 0; }), bad = 0, amb = 0;
    for (var i = 0; i < E.n; i++) {
      var f = num(E.flags, i);
      per[num(E.status, i)] += 1;
      if (f & 1) bad += 1;
      if (f & 2) amb += 1;
    }
    E.status.d.forEach(function (word, k) {
      if (per[k]) circleItem(g, count(word, per[k]), E.status.c[k], "#ffffff", 1, null);
    });
    var white = "#ffffff";
    if (bad) circleItem(g, count(T.unmatched_events, bad), white, colours.unmatched, 2.5, null);
    if (amb) circleItem(g, count(T.ambiguous_events, amb), white, colours.ambiguous, 1.5, "2 1.5");
    if (E.cluster) el("div", "rm-note", T.cluster_hint, g);
    if (E.noLocation) el("div", "rm-note rm-no-location", E.noLocationText, g);
  }
  function patrolsLegend(g, P, T, colours) {
    var ok = 0;
    for (var j = 0; j < P.n; j++) if (val(P.cols.ok, j) === 1) ok += 1;
    if (ok) lineItem(g, count(T.valid_patrol, ok), colours.valid, null);
    if (P.n - ok) lineItem(g, count(T.invalid_patrol, P.n - ok), colours.invalid, "6 4");
  }
  function legend(h, R) {
    var body = h.legend && h.legend._body, T = h.texts;
    if (!body) return;
    var before = body.querySelector(".rm-units-group");
    function group(cls, title) {
      var g = el("div", "rm-group " + cls);
      el("div", "rm-group-title", title, g);
      body.insertBefore(g, before);
      return g;
    }
    if (R.events) {
      ticketsLegend(group("rm-events-group", count(T.events, R.events.n)), R.events, T, R.colours);
    }
    if (R.patrols) {
      patrolsLegend(group("rm-patrols-group", count(T.patrols, R.patrols.n)), R.patrols, T,
                    R.colours);
    }
  }

  RM.reports = function (h, R) {
    var out = { layers: {}, banner: null };
    digits(R.digits);
    if (R.note) out.banner = banner(h.map, R.note);
    if (R.patrols) out.layers.patrols = Patrols(h, R.patrols, R.patrolKeys, R.colours);
    if (R.events) out.layers.events = Tickets(h, R.events, R.eventKeys, R.colours, R.marker);
    Object.keys(out.layers).forEach(function (k) { h.layers[k] = out.layers[k]; });
    legend(h, R);
    if (h.legend && h.legend._fit) h.legend._fit();
    out.payload = R;
    h.reports = out;
    // the page's language switch: the words of the other language (R.i18n) go in,
    // the ones they replace are kept to come back to
    var current = h.lang;
    h.onLang(function (lang) {
      var diff = (R.i18n || {})[lang];
      if (diff) {
        var undo = {};
        RM.applyDiff(R, diff, undo);
        R.i18n[current] = undo;
        delete R.i18n[lang];
      }
      current = lang;
      if (out.banner) out.banner.textContent = R.note;
      legend(h, R);
      if (h.legend && h.legend._fit) h.legend._fit();
    });
    return out;
  };
})();
