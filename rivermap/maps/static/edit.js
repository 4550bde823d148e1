// The planner's editing mode (rivermap.build's plugin; on when the map has D.edit).
//
// The plan's segments are redrawn, from D.edit's lines (simplified to about a
// metre), as stretches a planner clicks: to split one at a point snapped onto
// the line, to give one to another unit of the plan's level, to merge two
// neighbouring stretches of one river. The page keeps, per river, the list of
// stretches [from_m, to_m, unit] that the edits made, mirroring rivermap's
// Python engine (_edits.py): a split within 2 m of a change of responsible unit
// moves onto it, a split within 1 m of a cut does nothing (the page refuses it),
// a merged stretch goes to the unit the planner chose. An edit replaces one
// river's list by a new one, so undo and redo swap lists; after each, the
// river is redrawn in its units' colours, the segment ids (river-k in chainage
// order, as apply_edits numbers them) relabelled and the km per unit summed.
//
// Chainage along a segment is from_m + fraction × (to_m − from_m), the fraction
// measured along the drawn line in metres (a local equirectangular projection).
//
// "Load edits" shows a file of edits again (Model.replay: each edit made as
// Plan.apply_edits makes it, from the plan as drawn), so that a session goes on
// where an earlier one stopped; the Jupyter widget does the same with edits set
// from Python. "Download edits" writes a GeoJSON FeatureCollection for Plan.apply_edits:
// WGS84 points (a GCJ-02 display is turned back by inverting the published
// forward transform by fixed-point iteration), one feature per edit in order,
// and a top-level "rivermap" member naming the plan (plan_id, plan_hash, level).
// A merge of whole segments of the plan names them (segment_ids); one that
// involves a piece a split made is a Point on the cut between the two.
//
// Every word comes from h.T at render time; every name reaches the page with
// textContent or as an input's value, as the map draws it (a long one cut with
// "…"), and in a sentence in a <bdi> of its own (RM.mixed).
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el, mixed = RM.mixed;
  var SNAP_CUT_M = 1.0, SNAP_CHANGE_M = 2.0, SAME_M = 1e-3, M_PER_DEG = 111320;

  function fill(tpl, fields) {
    return String(tpl).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(fields, k) ? String(fields[k]) : m;
    });
  }
  // ``tpl`` filled as the parts of RM.mixed: a field given as [text] is a text
  // from the data, isolated
  function fillParts(tpl, fields) {
    return String(tpl).split(/(\{\w+\})/).map(function (part) {
      var k = /^\{(\w+)\}$/.exec(part);
      if (!k || !Object.prototype.hasOwnProperty.call(fields, k[1])) return part;
      var v = fields[k[1]];
      return Array.isArray(v) ? v : String(v);
    });
  }
  function num(x, digits) {
    return Number(x).toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    });
  }
  function km(m) { return num(m / 1000, m < 10000 ? 2 : 1); }
  function kChain(m) {
    var whole = Math.round(m), k = Math.floor(whole / 1000);
    return "K" + k + "+" + ("00" + (whole - 1000 * k)).slice(-3);
  }

  // ----------------------------------------------------------- GCJ-02
  // The published forward transform (rivermap/_gcj02.py), and its inverse by
  // fixed-point iteration: w ← w − (f(w) − g) until the step is under 1e-10°.
  var GCJ_A = 6378245.0, GCJ_EE = 0.00669342162296594323;
  function outOfChina(lon, lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }
  function gcjOffset(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0, xp = x * Math.PI, yp = y * Math.PI;
    var common = 20.0 * Math.sin(6.0 * xp) + 20.0 * Math.sin(2.0 * xp);
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dlat += common * 2.0 / 3.0;
    dlat += (20.0 * Math.sin(yp) + 40.0 * Math.sin(yp / 3.0)) * 2.0 / 3.0;
    dlat += (160.0 * Math.sin(yp / 12.0) + 320.0 * Math.sin(yp / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dlon += common * 2.0 / 3.0;
    dlon += (20.0 * Math.sin(xp) + 40.0 * Math.sin(xp / 3.0)) * 2.0 / 3.0;
    dlon += (150.0 * Math.sin(xp / 12.0) + 300.0 * Math.sin(xp / 30.0)) * 2.0 / 3.0;
    var rad = lat / 180.0 * Math.PI, magic = 1.0 - GCJ_EE * Math.sin(rad) * Math.sin(rad);
    var sq = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sq) * Math.PI);
    dlon = (dlon * 180.0) / (GCJ_A / sq * Math.cos(rad) * Math.PI);
    return [dlon, dlat];
  }
  function wgsToGcj(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var d = gcjOffset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }
  function gcjToWgs(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var w = [lon, lat];
    for (var i = 0; i < 30; i++) {
      var g = wgsToGcj(w[0], w[1]), dx = g[0] - lon, dy = g[1] - lat;
      w = [w[0] - dx, w[1] - dy];
      if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break;
    }
    return w;
  }
  RM.gcj = { toGcj: wgsToGcj, toWgs: gcjToWgs };

  // ------------------------------------------------------------ lines
  // A drawn line (parts of [lat, lng]) measured in metres: project a point onto
  // it, find the point at a fraction of its length, cut out the part between two.
  function Line(parts, cos) {
    this.parts = parts;
    this.cos = cos;
    this.cum = [];
    var s = 0, self = this;
    parts.forEach(function (pts) {
      var c = [s];
      for (var i = 1; i < pts.length; i++) { s += self.dist(pts[i - 1], pts[i]); c.push(s); }
      self.cum.push(c);
    });
    this.total = s;
  }
  Line.prototype.xy = function (ll) {
    return [ll[1] * this.cos * M_PER_DEG, ll[0] * M_PER_DEG];
  };
  Line.prototype.dist = function (p, q) {
    var a = this.xy(p), b = this.xy(q);
    return Math.sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]));
  };
  Line.prototype.project = function (ll) {
    var pt = this.xy(ll), best = null, self = this;
    this.parts.forEach(function (pts, p) {
      for (var i = 0; i + 1 < pts.length; i++) {
        var a = self.xy(pts[i]), b = self.xy(pts[i + 1]);
        var dx = b[0] - a[0], dy = b[1] - a[1], len2 = dx * dx + dy * dy;
        var t = len2 > 0 ? ((pt[0] - a[0]) * dx + (pt[1] - a[1]) * dy) / len2 : 0;
        t = Math.max(0, Math.min(1, t));
        var x = a[0] + t * dx - pt[0], y = a[1] + t * dy - pt[1], d = Math.sqrt(x * x + y * y);
        if (best === null || d < best.d) {
          best = { d: d, s: self.cum[p][i] + t * (self.cum[p][i + 1] - self.cum[p][i]),
                   ll: [pts[i][0] + t * (pts[i + 1][0] - pts[i][0]),
                        pts[i][1] + t * (pts[i + 1][1] - pts[i][1])] };
        }
      }
    });
    if (best) best.f = this.total > 0 ? best.s / this.total : 0;
    return best;
  };
  Line.prototype.at = function (f) {
    var s = Math.max(0, Math.min(1, f)) * this.total;
    for (var p = 0; p < this.parts.length; p++) {
      var pts = this.parts[p], c = this.cum[p];
      for (var i = 0; i + 1 < pts.length; i++) {
        if (s <= c[i + 1] + 1e-9 || (p === this.parts.length - 1 && i + 2 === pts.length)) {
          var len = c[i + 1] - c[i], t = len > 0 ? Math.max(0, Math.min(1, (s - c[i]) / len)) : 0;
          return [pts[i][0] + t * (pts[i + 1][0] - pts[i][0]),
                  pts[i][1] + t * (pts[i + 1][1] - pts[i][1])];
        }
      }
    }
    var last = this.parts[this.parts.length - 1];
    return last[last.length - 1];
  };
  Line.prototype.slice = function (f0, f1) {
    var s0 = f0 * this.total, s1 = f1 * this.total, out = [], self = this;
    this.parts.forEach(function (pts, p) {
      var c = self.cum[p];
      if (pts.length < 2 || c[c.length - 1] < s0 || c[0] > s1) return;
      var part = [];
      for (var i = 0; i + 1 < pts.length; i++) {
        var a = c[i], b = c[i + 1];
        if (b < s0 || a > s1) continue;
        var len = b - a;
        var t0 = len > 0 ? Math.max(0, (s0 - a) / len) : 0;
        var t1 = len > 0 ? Math.min(1, (s1 - a) / len) : 1;
        var lerp = function (t) {
          return [pts[i][0] + t * (pts[i + 1][0] - pts[i][0]),
                  pts[i][1] + t * (pts[i + 1][1] - pts[i][1])];
        };
        if (!part.length) part.push(lerp(t0));
        part.push(lerp(t1));
      }
      if (part.length > 1) out.push(part);
    });
    return out;
  };
  RM.Line = Line;

  // ------------------------------------------------------ the plan model
  // Stretches per river, the edits that made them, and the file they make.
  function Model(h, E) {
    var D = h.D, lat0 = D.bounds ? (D.bounds[0][0] + D.bounds[1][0]) / 2 : 30;
    var cos = Math.cos(lat0 * Math.PI / 180), self = this;
    this.E = E;
    this.segs = E.segments;
    this.lines = E.lines.map(function (parts) {
      var lls = parts.map(function (p) { return RM.decode(p, E.factor); });
      return lls.length ? new Line(lls, cos) : null;
    });
    this.orig = {};   // river -> segment positions in chainage order
    this.segs.forEach(function (p, j) { (self.orig[p.r] = self.orig[p.r] || []).push(j); });
    Object.keys(this.orig).forEach(function (r) {
      self.orig[r].sort(function (i, j) { return self.segs[i].a - self.segs[j].a; });
    });
    this.unitNames = {};
    E.units.forEach(function (u) { self.unitNames[u[0]] = u[1]; });
    this.start();
    this.before = this.totals();
  }
  // the plan as drawn, no edit made: river -> [{a, b, u}] in chainage order (never
  // changed in place)
  Model.prototype.start = function () {
    var self = this;
    this.rivers = {};
    Object.keys(this.orig).forEach(function (r) {
      self.rivers[r] = self.orig[r].map(function (j) {
        var p = self.segs[j];
        return { a: p.a, b: p.b, u: p.u };
      });
    });
    this.done = [];
    this.undone = [];
  };
  Model.prototype.segmentsOf = function (r) { return this.orig[r] || []; };
  // the point at chainage m of river r (on the drawn line of the segment holding m)
  Model.prototype.pointAt = function (r, m) {
    var js = this.segmentsOf(r), best = null, self = this;
    js.forEach(function (j) {
      var p = self.segs[j];
      if (!self.lines[j]) return;
      var off = m < p.a ? p.a - m : m > p.b ? m - p.b : 0;
      if (best === null || off < best.off) best = { j: j, off: off };
    });
    if (best === null) return null;
    var p = this.segs[best.j], f = p.b > p.a ? (m - p.a) / (p.b - p.a) : 0;
    return this.lines[best.j].at(f);
  };
  // the chainage of river r nearest a point, the point on the line and its distance (m)
  Model.prototype.locate = function (r, ll) {
    var best = null, self = this;
    this.segmentsOf(r).forEach(function (j) {
      if (!self.lines[j]) return;
      var q = self.lines[j].project(ll);
      if (q && (best === null || q.d < best.d)) {
        var p = self.segs[j];
        best = { d: q.d, ll: q.ll, m: p.a + q.f * (p.b - p.a) };
      }
    });
    return best;
  };
  // the drawn parts of a stretch [a, b] of river r
  Model.prototype.partsOf = function (r, a, b) {
    var out = [], self = this;
    this.segmentsOf(r).forEach(function (j) {
      var p = self.segs[j], line = self.lines[j];
      if (!line || p.b <= a || p.a >= b || p.b <= p.a) return;
      var f0 = (Math.max(a, p.a) - p.a) / (p.b - p.a), f1 = (Math.min(b, p.b) - p.a) / (p.b - p.a);
      line.slice(f0, f1).forEach(function (part) { out.push(part); });
    });
    return out;
  };
  // the stretch at m (on a cut, the one starting there), as _find in _edits.py
  Model.prototype.find = function (r, m) {
    var list = this.rivers[r], k = -1;
    list.forEach(function (st, i) {
      if (st.a <= m + SAME_M && st.b >= m - SAME_M && (k < 0 || st.a >= list[k].a)) k = i;
    });
    return k;
  };
  Model.prototype.totals = function () {
    var out = {}, self = this;
    Object.keys(this.rivers).forEach(function (r) {
      self.rivers[r].forEach(function (st) {
        var u = st.u === null ? "" : st.u;
        out[u] = (out[u] || 0) + (st.b - st.a);
      });
    });
    return out;
  };
  Model.prototype.count = function () {
    var n = 0, self = this;
    Object.keys(this.rivers).forEach(function (r) { n += self.rivers[r].length; });
    return n;
  };
  Model.prototype.isEnd = function (r, m) {
    var self = this;
    return this.segmentsOf(r).some(function (j) {
      return Math.abs(self.segs[j].a - m) <= SAME_M || Math.abs(self.segs[j].b - m) <= SAME_M;
    });
  };
  // ----- the three edits, planned (nothing changes until commit)
  Model.prototype.planSplit = function (r, ll) {
    var loc = this.locate(r, ll);
    if (!loc) return null;
    var m = loc.m, snapped = 0, ch = this.E.changes[r] || [];
    if (ch.length) {
      var near = ch.reduce(function (x, c) { return Math.abs(c - m) < Math.abs(x - m) ? c : x; });
      var moved = Math.abs(near - m);
      if (moved > 0 && moved <= SNAP_CHANGE_M) { m = near; snapped = moved; }
    }
    var k = this.find(r, m), list = this.rivers[r];
    if (k < 0) return null;
    var st = list[k], after = list.slice();
    var onCut = m - st.a < SNAP_CUT_M || st.b - m < SNAP_CUT_M;
    after.splice(k, 1, { a: st.a, b: m, u: st.u }, { a: m, b: st.b, u: st.u });
    return { action: "split", r: r, m: m, snapped: snapped, at: loc.ll, onCut: onCut,
             before: list, after: after, note: "" };
  };
  Model.prototype.planAssign = function (r, k, unit) {
    var list = this.rivers[r], st = list[k], after = list.slice(), mid = (st.a + st.b) / 2;
    after[k] = { a: st.a, b: st.b, u: unit };
    return { action: "assign", r: r, a: st.a, b: st.b, m: mid, u: unit, was: st.u,
             at: this.pointAt(r, mid), before: list, after: after, note: "" };
  };
  // merge stretch k with stretch k + 1 of river r (or up to stretch k1), to unit
  Model.prototype.planMerge = function (r, k, unit, k1) {
    var list = this.rivers[r], last = k1 === undefined ? k + 1 : k1, self = this;
    var x = list[k], y = list[last], after = list.slice();
    after.splice(k, last - k + 1, { a: x.a, b: y.b, u: unit });
    var ids = this.segmentsOf(r).filter(function (j) {
      return self.segs[j].a >= x.a - SAME_M && self.segs[j].b <= y.b + SAME_M;
    }).map(function (j) { return self.segs[j].s; });
    var whole = this.isEnd(r, x.a) && this.isEnd(r, y.b) && ids.length >= 2;
    return { action: "merge", r: r, a: x.a, b: y.b, m: x.b, u: unit, ids: whole ? ids : null,
             at: this.pointAt(r, x.b), before: list, after: after, note: "" };
  };
  // the unit holding most of stretches k to k1 of river r (a merge that names none)
  Model.prototype.longest = function (r, k, k1) {
    var by = {}, best = null;
    this.rivers[r].slice(k, k1 + 1).forEach(function (st) {
      by[st.u] = (by[st.u] || 0) + (st.b - st.a);
      if (best === null || by[st.u] > by[best]) best = st.u;
    });
    return best;
  };
  Model.prototype.commit = function (edit) {
    this.rivers[edit.r] = edit.after;
    this.done.push(edit);
    this.undone = [];
  };
  Model.prototype.undo = function () {
    var e = this.done.pop();
    if (!e) return null;
    this.rivers[e.r] = e.before;
    this.undone.push(e);
    return e;
  };
  Model.prototype.redo = function () {
    var e = this.undone.pop();
    if (!e) return null;
    this.rivers[e.r] = e.after;
    this.done.push(e);
    return e;
  };
  // ----- the file
  Model.prototype.lonLat = function (ll) {
    var p = this.E.gcj ? gcjToWgs(ll[1], ll[0]) : [ll[1], ll[0]];
    return [Math.round(p[0] * 1e7) / 1e7, Math.round(p[1] * 1e7) / 1e7];
  };
  Model.prototype.feature = function (e) {
    var props = { action: e.action, river_id: e.r };
    if (e.action !== "split") props.unit_id = e.u;
    if (e.action === "merge" && e.ids) props.segment_ids = e.ids.slice();
    props.at_m = Math.round(e.m * 10) / 10;
    props.note = e.note || "";
    var point = e.action === "merge" && e.ids ? null : e.at;
    return { type: "Feature", properties: props,
             geometry: point ? { type: "Point", coordinates: this.lonLat(point) } : null };
  };
  Model.prototype.collection = function () {
    var P = this.E.plan;
    return {
      type: "FeatureCollection",
      rivermap: { plan_id: P.id, plan_hash: P.hash, level: P.level },
      features: this.done.map(this.feature, this)
    };
  };
  // ----- edits read back (a file "Download edits" wrote, or set from Python), as
  // Plan.apply_edits reads them: a split or a reassignment at a Point, snapped to
  // the nearest river (its river_id when given) within E.tolerance m; a merge of
  // segment_ids, or at the cut nearest a Point.
  Model.prototype.pointOf = function (g) {
    var c = g && g.type === "Point" && g.coordinates;
    if (!c || c.length < 2 || !isFinite(c[0]) || !isFinite(c[1])) return null;
    var p = this.E.gcj ? wgsToGcj(+c[0], +c[1]) : [+c[0], +c[1]];
    return [p[1], p[0]];
  };
  Model.prototype.placeOf = function (river, ll) {
    var self = this, best = null;
    (river === null ? Object.keys(this.rivers) : [river]).forEach(function (r) {
      var loc = self.locate(r, ll);
      if (loc && (best === null || loc.d < best.d)) best = { r: r, m: loc.m, d: loc.d };
    });
    return best && best.d <= this.E.tolerance ? best : null;
  };
  // the edit a feature makes ({edit}), nothing to do ({}), or why it cannot ({why})
  Model.prototype.fromFeature = function (f) {
    var props = (f && typeof f === "object" && f.properties) || {}, action = props.action;
    var river = props.river_id === undefined || props.river_id === null ? null : String(props.river_id);
    var unit = props.unit_id === undefined || props.unit_id === null ? null : String(props.unit_id);
    if (action !== "split" && action !== "assign" && action !== "merge") return { why: "action" };
    if (river !== null && !this.rivers[river]) return { why: "river" };
    if (unit !== null && !this.unitNames[unit]) return { why: "unit" };
    var e = null, ids = props.segment_ids;
    if (action === "merge" && ids !== undefined && ids !== null) {
      // a list, or ids joined by ";" or ",", as _segment_ids reads them
      ids = typeof ids === "string" ? ids.replace(/,/g, ";").split(";") : Array.isArray(ids) ? ids : [];
      e = this.mergeIds(ids.map(function (s) { return String(s).trim(); }).filter(Boolean), unit);
      if (!e) return { why: "ids" };
    } else {
      var ll = this.pointOf(f.geometry);
      if (!ll) return { why: "point" };
      var at = this.placeOf(river, ll), k = at ? this.find(at.r, at.m) : -1;
      if (k < 0) return { why: "far" };
      if (action === "split") {
        e = this.planSplit(at.r, ll);
        if (!e || e.onCut) return {};  // a cut there already: apply_edits does nothing too
      } else if (action === "assign") {
        if (unit === null) return { why: "unit" };
        e = this.planAssign(at.r, k, unit);
      } else {
        k = this.cutNear(at.r, at.m);
        if (k < 0) return { why: "cut" };
        e = this.planMerge(at.r, k, unit === null ? this.longest(at.r, k, k + 1) : unit);
      }
    }
    e.note = props.note === undefined || props.note === null ? "" : String(props.note);
    return { edit: e };
  };
  // the stretch ending at the cut of river r nearest chainage m, within E.tolerance
  Model.prototype.cutNear = function (r, m) {
    var list = this.rivers[r], k = -1;
    for (var i = 0; i + 1 < list.length; i++) {
      if (Math.abs(list[i].b - list[i + 1].a) > SAME_M) continue;
      if (k < 0 || Math.abs(list[i].b - m) < Math.abs(list[k].b - m)) k = i;
    }
    return k >= 0 && Math.abs(list[k].b - m) <= this.E.tolerance ? k : -1;
  };
  // merge the stretches that the plan's neighbouring segments ids cover, or null
  Model.prototype.mergeIds = function (ids, unit) {
    var self = this, js = this.segs.map(function (p, j) { return j; }).filter(function (j) {
      return ids.indexOf(self.segs[j].s) >= 0;
    });
    if (js.length !== ids.length || js.length < 2) return null;
    var r = this.segs[js[0]].r;
    if (js.some(function (j) { return self.segs[j].r !== r; })) return null;
    js.sort(function (i, j) { return self.segs[i].a - self.segs[j].a; });
    for (var i = 0; i + 1 < js.length; i++) {  // neighbours, as _merge_span wants them
      if (Math.abs(this.segs[js[i]].b - this.segs[js[i + 1]].a) > SAME_M) return null;
    }
    var a = this.segs[js[0]].a, b = this.segs[js[js.length - 1]].b;
    var list = this.rivers[r], k0 = -1, k1 = -1;
    list.forEach(function (st, i) {
      if (Math.abs(st.a - a) <= SAME_M) k0 = i;
      if (Math.abs(st.b - b) <= SAME_M) k1 = i;
    });
    if (k0 < 0 || k1 <= k0) return null;
    return this.planMerge(r, k0, unit === null ? this.longest(r, k0, k1) : unit, k1);
  };
  // make the edits of a collection, in order, from the plan as drawn; on the first
  // that cannot be made, keep the edits as they were and return {n, why} (n from 0)
  Model.prototype.replay = function (features) {
    var kept = { rivers: this.rivers, done: this.done, undone: this.undone };
    this.start();
    for (var i = 0; i < features.length; i++) {
      var got = this.fromFeature(features[i]);
      if (got.why) {
        this.rivers = kept.rivers;
        this.done = kept.done;
        this.undone = kept.undone;
        return { n: i, why: got.why };
      }
      if (got.edit) this.commit(got.edit);
    }
    return null;
  };
  RM.EditModel = Model;

  RM.plugins.push(function (h) {
    if (h.D.edit) h.editor = new Editor(h, h.D.edit);
  });

  // ---------------------------------------------------------- the editor
  function Editor(h, E) {
    var self = this, map = h.map;
    this.h = h;
    this.model = new Model(h, E);
    this.mode = null;        // "split", "assign", "merge" or null
    this.pending = null;     // the edit waiting to be confirmed
    this.picked = null;      // merge: the first stretch chosen {r, st}
    this.message = "";
    this.hooks = [];
    var pane = map.createPane("rm-edit");
    pane.style.zIndex = 450;  // above the rivers, so that a click reaches the segments
    this.group = L.featureGroup();
    this.riverGroups = {};
    var plan = h.layers.plan;
    if (h.planSegments && plan) plan.removeLayer(h.planSegments);
    (plan || map).addLayer(this.group);
    this.labelGroup = h.labelGroups.filter(function (g) { return g.group === plan; })[0] || null;
    this.mark = L.layerGroup().addTo(map);
    Object.keys(this.model.rivers).forEach(function (r) { self.draw(r); });
    this.relabel();
    this.panel = new Panel(this);
    this.panel.addTo(map);
    h.onLang(function () { self.render(); });
    h.container.addEventListener("keydown", function (ev) {
      var tag = ev.target && ev.target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || !(ev.ctrlKey || ev.metaKey)) return;
      var key = ev.key.toLowerCase();
      if (key === "z" && !ev.shiftKey) { ev.preventDefault(); self.undo(); }
      else if (key === "y" || (key === "z" && ev.shiftKey)) { ev.preventDefault(); self.redo(); }
    });
    this.render();
  }
  Editor.prototype.onChange = function (fn) { this.hooks.push(fn); };
  Editor.prototype.changed = function () {
    var fc = this.model.collection();
    this.hooks.forEach(function (fn) { fn(fc); });
  };
  Editor.prototype.colour = function (u) {
    return (u !== null && this.model.E.colours[u]) || this.h.D.colours.plan;
  };
  Editor.prototype.unitName = function (u) {
    if (u === null || u === undefined) return "";
    return this.h.short(this.model.unitNames[u] || this.h.unitName(u));
  };
  Editor.prototype.riverName = function (r) { return this.h.short(this.h.riverName(r)); };
  // the ids apply_edits will give: river-k in chainage order
  Editor.prototype.idOf = function (r, st) {
    return r + "-" + (this.model.rivers[r].indexOf(st) + 1);
  };
  Editor.prototype.draw = function (r) {
    var self = this, g = this.riverGroups[r], picked = this.picked;
    if (!g) { g = this.riverGroups[r] = L.featureGroup(); this.group.addLayer(g); }
    g.clearLayers();
    this.model.rivers[r].forEach(function (st) {
      var parts = self.model.partsOf(r, st.a, st.b);
      if (!parts.length) return;
      var on = picked && picked.r === r && picked.st === st;
      var line = L.polyline(parts, {
        pane: "rm-edit", color: self.colour(st.u), weight: on ? 12 : 8, opacity: on ? 0.95 : 0.6,
        className: "rm-edit-seg" + (on ? " rm-edit-picked" : "")
      });
      line.bindTooltip(function () { return self.tip(r, st); }, { sticky: true, className: "rm-tooltip" });
      line.on("click", function (ev) {
        L.DomEvent.stop(ev);
        self.click(r, st, [ev.latlng.lat, ev.latlng.lng]);
      });
      g.addLayer(line);
    });
  };
  Editor.prototype.tip = function (r, st) {
    var T = this.h.T, d = el("div", "rm-tip");
    el("div", "rm-title", T.segment + " " + this.idOf(r, st), d);
    el("div", "rm-row", this.riverName(r), d);
    el("div", "rm-row", T.from_to + ": " + km(st.a) + "–" + km(st.b) + " " + T.km, d);
    mixed("div", "rm-row", [this.h.D.planLevelLabel + ": ", [this.unitName(st.u)]], d);
    return d;
  };
  Editor.prototype.relabel = function () {
    var g = this.labelGroup;
    if (!g) return;
    var pts = g.points, self = this;
    pts.length = 0;  // the array the label group reads, changed in place
    Object.keys(this.model.rivers).sort().forEach(function (r) {
      self.model.rivers[r].forEach(function (st, k) {
        var ll = self.model.pointAt(r, (st.a + st.b) / 2);
        if (ll) pts.push([ll[0], ll[1], r + "-" + (k + 1)]);
      });
    });
    g.shown = null;
    this.h.refreshLabels();
  };
  Editor.prototype.setMode = function (mode) {
    this.mode = this.mode === mode ? null : mode;
    this.cancel();
    this.h.container.classList.toggle("rm-edit-splitting", this.mode === "split");
  };
  Editor.prototype.cancel = function () {
    var was = this.picked;
    this.pending = null;
    this.picked = null;
    this.message = "";
    this.mark.clearLayers();
    if (was) this.draw(was.r);
    this.render();
  };
  Editor.prototype.click = function (r, st, ll) {
    var k = this.model.rivers[r].indexOf(st);
    if (k < 0 || !this.mode) return;
    this.message = "";
    if (this.mode === "split") this.clickSplit(r, ll);
    else if (this.mode === "assign") this.clickAssign(r, k);
    else this.clickMerge(r, st, k);
    this.render();
  };
  Editor.prototype.clickSplit = function (r, ll) {
    var e = this.model.planSplit(r, ll);
    this.mark.clearLayers();
    if (!e) return;
    this.pending = e;
    L.circleMarker(e.snapped ? this.model.pointAt(r, e.m) : e.at, {
      pane: "markerPane", radius: 7, color: "#000", weight: 2, fillColor: "#fff",
      fillOpacity: 1, interactive: false, className: "rm-edit-mark"
    }).addTo(this.mark);
  };
  Editor.prototype.clickAssign = function (r, k) {
    var st = this.model.rivers[r][k];
    this.pending = { action: "assign", r: r, k: k, st: st, u: null, query: "", note: "" };
  };
  Editor.prototype.clickMerge = function (r, st, k) {
    var p = this.picked;
    if (!p || (p.r === r && p.st === st)) {
      this.pending = null;
      this.picked = p ? null : { r: r, st: st };
      if (p) this.draw(p.r);
      if (this.picked) this.draw(r);
      return;
    }
    var list = this.model.rivers[r], i = list.indexOf(p.st);
    var first = Math.min(i, k);
    if (p.r !== r || Math.abs(i - k) !== 1 || Math.abs(list[first].b - list[first + 1].a) > SAME_M) {
      this.message = this.h.T.edit_not_adjacent;
      return;
    }
    var x = list[first], y = list[first + 1];
    var longer = y.b - y.a > x.b - x.a ? y.u : x.u;
    this.pending = { action: "merge", r: r, k: first, x: x, y: y, u: longer, note: "" };
  };
  // make the edit the panel shows, and apply it
  Editor.prototype.confirm = function () {
    var p = this.pending, m = this.model, e = null;
    if (!p) return;
    if (p.action === "split") { if (p.onCut) return; e = p; }
    else if (p.action === "assign") { if (p.u === null) return; e = m.planAssign(p.r, p.k, p.u); }
    else e = m.planMerge(p.r, p.k, p.u);
    e.note = p.note;
    m.commit(e);
    this.picked = null;
    this.pending = null;
    this.mark.clearLayers();
    this.after(e.r);
  };
  Editor.prototype.after = function (r) {
    this.draw(r);
    this.relabel();
    this.render();
    this.changed();
  };
  Editor.prototype.undo = function () {
    var e = this.model.undo();
    this.cancel();
    if (e) this.after(e.r);
  };
  Editor.prototype.redo = function () {
    var e = this.model.redo();
    this.cancel();
    if (e) this.after(e.r);
  };
  Editor.prototype.describe = function (e) {
    // the parts of RM.mixed
    var T = this.h.T, river = [this.riverName(e.r)];
    if (e.action === "split") return fillParts(T.edit_desc_split, { river: river, m: num(e.m, 1) });
    var f = { river: river, a: km(e.a), b: km(e.b), unit: [this.unitName(e.u)] };
    return fillParts(e.action === "assign" ? T.edit_desc_assign : T.edit_desc_merge, f);
  };
  Editor.prototype.download = function () {
    var fc = this.model.collection();
    var blob = new Blob([JSON.stringify(fc, null, 1)], { type: "application/geo+json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "edits-" + this.model.E.plan.id + ".geojson";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    return fc;
  };
  // show the edits of a GeoJSON FeatureCollection (a downloaded file, or set from
  // Python) in place of those made here; refused, with the reason shown, when it
  // names another plan or one of its edits cannot be made on this map
  Editor.prototype.load = function (fc) {
    var T = this.h.T, P = this.model.E.plan, self = this;
    this.cancel();
    var head = fc && typeof fc === "object" && fc.rivermap;
    var features = fc && typeof fc === "object" && fc.features;
    if (!Array.isArray(features) || fc.type !== "FeatureCollection") {
      this.message = T.edit_load_unreadable;
    } else if (head && typeof head.plan_hash === "string" && head.plan_hash.toLowerCase() !== P.hash) {
      this.message = fill(T.edit_load_other_plan, { plan: String(head.plan_id || head.plan_hash) });
    } else {
      var bad = this.model.replay(features);
      this.message = bad
        ? fill(T.edit_load_failed, { n: bad.n, why: T["edit_why_" + bad.why] })
        : fill(T.edit_loaded, { n: this.model.done.length });
      if (!bad) {
        Object.keys(this.model.rivers).forEach(function (r) { self.draw(r); });
        this.relabel();
        this.changed();
      }
    }
    this.render();
    return this.message;
  };
  Editor.prototype.loadFile = function (file) {
    var self = this, reader = new FileReader();
    reader.onload = function () {
      var fc = null;
      try { fc = JSON.parse(String(reader.result)); } catch (err) { fc = null; }
      self.load(fc);
    };
    reader.readAsText(file);
  };
  // where chainage m of river r is on the screen (container pixels), for tests and tours
  Editor.prototype.screenPoint = function (r, m) {
    var ll = this.model.pointAt(r, m);
    if (!ll) return null;
    var p = this.h.map.latLngToContainerPoint(ll);
    return { x: p.x, y: p.y };
  };
  Editor.prototype.render = function () { if (this.panel) this.panel.render(); };
  RM.Editor = Editor;

  // ------------------------------------------------------------ the panel
  var Panel = L.Control.extend({
    options: { position: "topleft" },
    initialize: function (editor) { this.ed = editor; },
    onAdd: function () {
      var box = el("div", "rm-edit-panel");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      this.box = box;
      this.folded = false;
      this.render();
      return box;
    },
    render: function () {
      var ed = this.ed, T = ed.h.T, box = this.box, self = this;
      if (!box) return;
      box.textContent = "";
      box.classList.toggle("rm-folded", this.folded);
      var head = el("div", "rm-edit-head", null, box);
      el("div", "rm-title", T.edit_panel, head);
      var fold = button(head, this.folded ? T.legend_expand + " ▾" : T.legend_collapse + " ▴",
                        "rm-edit-fold", function () { self.folded = !self.folded; self.render(); });
      fold.setAttribute("aria-expanded", this.folded ? "false" : "true");
      if (this.folded) return;
      el("div", "rm-edit-plan", fill(T.edit_plan, { id: ed.model.E.plan.id }), box);
      var tools = el("div", "rm-edit-tools", null, box);
      ["split", "assign", "merge"].forEach(function (mode) {
        var b = button(tools, T["edit_" + mode], "rm-edit-" + mode, function () { ed.setMode(mode); });
        b.setAttribute("aria-pressed", ed.mode === mode ? "true" : "false");
        b.classList.toggle("rm-on", ed.mode === mode);
      });
      var hist = el("div", "rm-edit-tools", null, box);
      button(hist, "↶ " + T.edit_undo, "rm-edit-undo", function () { ed.undo(); }).disabled =
        !ed.model.done.length;
      button(hist, "↷ " + T.edit_redo, "rm-edit-redo", function () { ed.redo(); }).disabled =
        !ed.model.undone.length;
      button(hist, "⤓ " + T.edit_download, "rm-edit-download", function () { ed.download(); })
        .disabled = !ed.model.done.length;
      var file = el("input", "rm-edit-file", null, hist);
      file.type = "file";
      file.accept = ".geojson,.json,application/geo+json,application/json";
      file.hidden = true;
      file.addEventListener("change", function () { if (file.files[0]) ed.loadFile(file.files[0]); });
      button(hist, "⤒ " + T.edit_load, "rm-edit-load", function () { file.click(); });
      var hint = ed.mode ? T["edit_hint_" + ed.mode] : T.edit_hint_none;
      if (ed.mode === "merge" && ed.picked) {
        hint = fill(T.edit_merge_pick, { seg: ed.idOf(ed.picked.r, ed.picked.st) });
      }
      el("div", "rm-edit-hint", hint, box);
      if (ed.message) el("div", "rm-edit-message", ed.message, box);
      if (ed.pending) pendingBox(ed, box);
      editsList(ed, box);
      kmTable(ed, box);
      el("div", "rm-note", T.edit_preview, box);
    }
  });

  function button(parent, text, cls, fn) {
    var b = el("button", "rm-edit-button " + cls, text, parent);
    b.type = "button";
    b.addEventListener("click", function (ev) { ev.preventDefault(); fn(); });
    return b;
  }
  function noteInput(parent, T, value, onInput, cls) {
    var input = el("input", "rm-edit-note" + (cls ? " " + cls : ""), null, parent);
    input.type = "text";
    input.maxLength = 500;
    input.placeholder = T.edit_note;
    input.setAttribute("aria-label", T.edit_note);
    input.value = value || "";
    input.addEventListener("input", function () { onInput(input.value); });
    return input;
  }

  function pendingBox(ed, box) {
    var p = ed.pending, T = ed.h.T;
    var d = el("div", "rm-edit-pending", null, box);
    var river = ed.riverName(p.r);
    if (p.action === "split") {
      el("div", "rm-title", river, d);
      el("div", "rm-edit-chainage", fill(T.edit_split_at, { m: num(p.m, 1), k: kChain(p.m) }), d);
      if (p.snapped) el("div", "rm-note", fill(T.edit_snapped, { d: num(p.snapped, 2) }), d);
      if (p.onCut) el("div", "rm-edit-message", T.edit_on_cut, d);
    } else if (p.action === "assign") {
      assignChoices(ed, d, p);
    } else {
      mixed("div", "rm-title", [[river], " " + km(p.x.a) + "–" + km(p.y.b) + " " + T.km], d);
      el("div", "rm-key", T.edit_merge_to + ":", d);
      [p.x.u, p.y.u].filter(function (u, i, a) { return a.indexOf(u) === i; }).forEach(function (u) {
        var lab = el("label", "rm-edit-choice", null, d);
        var radio = el("input", null, null, lab);
        radio.type = "radio";
        radio.name = "rm-edit-merge-unit";
        radio.checked = p.u === u;
        radio.addEventListener("change", function () { p.u = u; });
        el("span", null, ed.unitName(u), lab);
      });
    }
    noteInput(d, T, p.note, function (v) { p.note = v; });
    var row = el("div", "rm-edit-tools", null, d);
    var ok = button(row, T.edit_confirm, "rm-edit-confirm", function () { ed.confirm(); });
    ok.disabled = (p.action === "split" && p.onCut) || (p.action === "assign" && p.u === null);
    button(row, T.edit_cancel, "rm-edit-cancel", function () { ed.cancel(); });
  }

  // the units of the plan's level on the reaches under a stretch (both banks of a 界河)
  function touching(ed, r, st) {
    var D = ed.h.D, li = ed.model.E.levelIndex, seen = {}, out = [];
    if (li < 0) return out;
    function add(u) {
      if (u === null || u === undefined || seen[u] || !ed.model.unitNames[u]) return;
      seen[u] = true;
      out.push(u);
    }
    D.reaches.forEach(function (p) {
      if (p.r !== r || p.b <= st.a + SAME_M || p.a >= st.b - SAME_M) return;
      add(p.u[li]);
      [p.L, p.R].forEach(function (side) {
        if (side !== null && side !== undefined && D.ancestors[side]) add(D.ancestors[side][li]);
      });
    });
    return out;
  }

  function assignChoices(ed, d, p) {
    var T = ed.h.T, level = ed.h.D.planLevelLabel;
    mixed("div", "rm-title", [[ed.riverName(p.r)], " " + km(p.st.a) + "–" + km(p.st.b) + " " + T.km], d);
    mixed("div", "rm-note", fillParts(T.edit_now, { unit: [ed.unitName(p.st.u)] }), d);
    function choice(parent, u) {
      var b = button(parent, ed.unitName(u), "rm-edit-unit", function () {
        p.u = u; ed.render();
      });
      b.title = u;
      b.classList.toggle("rm-on", p.u === u);
      b.setAttribute("aria-pressed", p.u === u ? "true" : "false");
    }
    var near = touching(ed, p.r, p.st).filter(function (u) { return u !== p.st.u; });
    if (near.length) {
      el("div", "rm-key", fill(T.edit_touching, { level: level }) + ":", d);
      var list = el("div", "rm-edit-units", null, d);
      near.forEach(function (u) { choice(list, u); });
    }
    var input = el("input", "rm-edit-find", null, d);
    input.type = "search";
    input.placeholder = fill(T.edit_find_unit, { level: level });
    input.setAttribute("aria-label", input.placeholder);
    input.value = p.query;
    var found = el("div", "rm-edit-units rm-edit-found", null, d);
    function search() {
      found.textContent = "";
      var q = input.value.trim().toLowerCase();
      p.query = input.value;
      if (!q) return;
      var hits = ed.model.E.units.filter(function (u) {
        return u[0] !== p.st.u && (u[1].toLowerCase().indexOf(q) >= 0 || u[0].toLowerCase().indexOf(q) >= 0);
      });
      hits.slice(0, 8).forEach(function (u) { choice(found, u[0]); });
      if (!hits.length) el("div", "rm-note", T.no_match, found);
    }
    input.addEventListener("input", search);
    search();
    mixed("div", "rm-edit-picked",
          p.u === null ? [T.edit_no_unit] : fillParts(T.edit_picked, { unit: [ed.unitName(p.u)] }), d);
  }

  function editsList(ed, box) {
    var T = ed.h.T;
    el("div", "rm-group-title", T.edit_list, box);
    if (!ed.model.done.length) { el("div", "rm-note", T.edit_none, box); return; }
    var ol = el("ol", "rm-edit-list", null, box);
    ed.model.done.forEach(function (e) {
      var li = el("li", null, null, ol);
      mixed("div", "rm-edit-desc", ed.describe(e), li);
      noteInput(li, T, e.note, function (v) { e.note = v; ed.changed(); }, "rm-edit-list-note");
    });
  }

  function kmTable(ed, box) {
    var T = ed.h.T, before = ed.model.before, now = ed.model.totals(), rows = [];
    el("div", "rm-group-title", T.edit_km, box);
    el("div", "rm-note", fill(T.edit_count, {
      before: ed.model.segs.length, after: ed.model.count()
    }), box);
    Object.keys(now).concat(Object.keys(before)).forEach(function (u) {
      var a = before[u] || 0, b = now[u] || 0;
      if (Math.abs(b - a) >= 0.5 && rows.every(function (x) { return x.u !== u; })) {
        rows.push({ u: u, a: a, b: b });
      }
    });
    if (!rows.length) { el("div", "rm-note", T.edit_no_change, box); return; }
    rows.sort(function (x, y) { return (y.b - y.a) - (x.b - x.a); });
    var t = el("table", "rm-edit-km", null, box);
    var tr = el("tr", null, null, t);
    [ed.h.D.planLevelLabel, T.edit_before, T.edit_after, T.edit_change].forEach(function (w) {
      el("th", null, w, tr);
    });
    rows.forEach(function (x) {
      var r = el("tr", null, null, t);
      el("td", null, ed.unitName(x.u || null), r);
      el("td", "rm-num", num(x.a / 1000, 2), r);
      el("td", "rm-num", num(x.b / 1000, 2), r);
      var dv = (x.b - x.a) / 1000;
      el("td", "rm-num " + (dv > 0 ? "rm-gain" : "rm-loss"), (dv > 0 ? "+" : "") + num(dv, 2), r);
    });
  }
})();
