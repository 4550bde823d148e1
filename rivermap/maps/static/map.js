(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  // Scripts loaded after this one add a function here; rivermap.build calls each
  // with the map's handle once the layers are built.
  RM.plugins = RM.plugins || [];

  // An element; its text, if any, is bidi-isolated (as <bdi> is), so that a
  // right-to-left override (U+202E) in a name cannot turn the words around it.
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
      e.style.unicodeBidi = "isolate";
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  RM.el = el;
  // An element holding the page's words with texts from the data among them:
  // ``parts`` are strings (words) and one-element arrays [text] (data), each
  // text from the data in a <bdi> of its own, for the same reason. Nothing is
  // added to the text: what is copied from the page is what the data says.
  function mixed(tag, cls, parts, parent) {
    var e = el(tag, cls, null, parent);
    parts.forEach(function (p) {
      if (Array.isArray(p)) {
        if (p[0] !== null && p[0] !== undefined && p[0] !== "") el("bdi", null, p[0], e);
      } else if (p !== null && p !== undefined && p !== "") {
        e.appendChild(document.createTextNode(String(p)));
      }
    });
    return e;
  }
  RM.mixed = mixed;

  function fmtKm(m) { return (m / 1000).toFixed(m < 10000 ? 2 : 1); }
  // a line "key: value"; an array value is the parts of mixed()
  function row(parent, key, value, cls) {
    var r = el("div", "rm-row" + (cls ? " " + cls : ""), null, parent);
    el("span", "rm-key", key + ":", r);
    if (Array.isArray(value)) mixed("span", null, value, r);
    else el("span", null, value, r);
    return r;
  }
  RM.row = row;

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
  // ------------------------------------------------------ lines and areas
  // Leaflet projects every vertex of every path at each zoom, a new Point per
  // vertex through a logarithm and a sine; at national scale (about a million
  // vertices with the units) that is most of a zoom step. rivermap's lines and
  // areas (RM.line, RM.area) keep their Web Mercator coordinates (0–1 of the
  // world, one Float64Array per path, made once); at a new zoom a path only
  // finds its pixel box, and its vertices are scaled and rounded (into Points
  // it keeps) when it is first drawn in view at that zoom: only those that
  // Douglas–Peucker keeps at LOD_PX pixels at that zoom, found from the
  // tolerance up to which each vertex survives, computed once (importance).
  // Leaflet's own simplification (smoothFactor) at that tolerance drew the same
  // after projecting, clipping and simplifying every vertex at every zoom. The
  // pixels are Leaflet's; a map in another CRS takes Leaflet's way. Leaflet
  // also clips every path up to three times for one zoom (view reset, zoom
  // end, move end): a path does it again only when its projection or its
  // renderer's bounds changed since.
  var D2R = Math.PI / 180, MAX_LAT = 85.0511287798, viewSeq = 0;
  function mercator(latlngs) {
    var rings = [];
    (function collect(a) {
      if (!a.length) return;
      if (a[0] instanceof L.LatLng) rings.push(a); else a.forEach(collect);
    })(latlngs);
    var n = 0;
    rings.forEach(function (r) { n += r.length; });
    var xy = new Float64Array(2 * n), ends = [], box = [Infinity, Infinity, -Infinity, -Infinity];
    var i = 0;
    rings.forEach(function (r) {
      for (var j = 0; j < r.length; j++, i++) {
        var lat = Math.max(Math.min(MAX_LAT, r[j].lat), -MAX_LAT), s = Math.sin(lat * D2R);
        var x = 0.5 + r[j].lng / 360, y = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
        xy[2 * i] = x; xy[2 * i + 1] = y;
        if (x < box[0]) box[0] = x;
        if (y < box[1]) box[1] = y;
        if (x > box[2]) box[2] = x;
        if (y > box[3]) box[3] = y;
      }
      ends.push(i);
    });
    var keep = new Float32Array(n);
    ends.forEach(function (end, k) { importance(xy, k ? ends[k - 1] : 0, end, keep); });
    return { n: n, xy: xy, ends: ends, box: box, keep: keep };
  }
  // Douglas–Peucker once for every tolerance: keep[i] is the largest tolerance
  // (in Web Mercator units) at which vertex i of a ring [start, end) survives
  // (its distance from the chord it splits, capped by its parent's; the ends
  // always survive), so the ring simplified at tolerance t is the vertices with
  // keep > t: the same as Douglas–Peucker run at t, as Leaflet runs it at each zoom.
  function importance(xy, start, end, keep) {
    keep[start] = keep[end - 1] = Infinity;
    var stack = [start, end - 1, Infinity];
    while (stack.length) {
      var cap = stack.pop(), b = stack.pop(), a = stack.pop();
      var ax = xy[2 * a], ay = xy[2 * a + 1], dx = xy[2 * b] - ax, dy = xy[2 * b + 1] - ay;
      var dd = dx * dx + dy * dy, best = -1, far = -1;
      for (var i = a + 1; i < b; i++) {
        var px = xy[2 * i] - ax, py = xy[2 * i + 1] - ay, t = dd ? (px * dx + py * dy) / dd : 0;
        if (t < 0) t = 0; else if (t > 1) t = 1;
        var ex = px - t * dx, ey = py - t * dy, d = ex * ex + ey * ey;
        if (d > far) { far = d; best = i; }
      }
      if (best < 0) continue;
      var imp = Math.min(Math.sqrt(far), cap);
      keep[best] = imp;
      stack.push(a, best, imp, best, b, imp);
    }
  }
  // Vertices closer than this many pixels to the simplified line are not drawn
  // (as Leaflet's smoothFactor, 1 by default).
  var LOD_PX = 1;
  function fastPath(Base) {
    var base = Base.prototype;
    return Base.extend({
      _setLatLngs: function (latlngs) { base._setLatLngs.call(this, latlngs); this._rmM = null; },
      addLatLng: function (latlng, latlngs) {
        this._rmM = null;
        return base.addLatLng.call(this, latlng, latlngs);
      },
      // latlngs changed in place are announced by redraw()
      redraw: function () { this._rmM = null; return base.redraw.call(this); },
      _project: function () {
        var map = this._map;
        if (map.options.crs !== L.CRS.EPSG3857) {
          this._rmStale = false;
          this._rmClip = this._rmView = undefined;
          base._project.call(this);
          return;
        }
        var S = map.options.crs.scale(map.getZoom()), o = map.getPixelOrigin();
        if (this._rmM && this._rmS === S && this._rmOx === o.x && this._rmOy === o.y) return;
        if (!this._rmM) { this._rmM = mercator(this._latlngs); this._rmPts = null; }
        var m = this._rmM;
        this._rmS = S; this._rmOx = o.x; this._rmOy = o.y;
        this._rmView = ++viewSeq;
        this._rings = [];
        this._rmStale = true;
        if (!m.n) return;
        this._rawPxBounds = new L.Bounds(
          [Math.round(S * m.box[0]) - o.x, Math.round(S * m.box[1]) - o.y],
          [Math.round(S * m.box[2]) - o.x, Math.round(S * m.box[3]) - o.y]);
        this._updateBounds();
      },
      _update: function () {
        if (!this._map) return;
        this._rmClipTo(this._renderer._bounds);
        this._updatePath();
      },
      // project (if in view) and clip to the renderer's bounds b, unless done for this view and b
      _rmClipTo: function (b) {
        if (this._rmStale) this._rmProject();
        var c = this._rmClip;
        if (c && b && this._parts && c[0] === this._rmView && c[1] === this._rmStale &&
            c[2] === b.min.x && c[3] === b.min.y && c[4] === b.max.x && c[5] === b.max.y) {
          return;
        }
        if (b && this._rawPxBounds && !this._rmStale && b.contains(this._rawPxBounds)) {
          this._parts = this._rings.slice();  // wholly inside: nothing to clip
        } else {
          this._clipPoints();
        }
        this._simplifyPoints();
        this._rmClip = this._rmView === undefined || !b ? null
          : [this._rmView, this._rmStale, b.min.x, b.min.y, b.max.x, b.max.y];
      },
      _rmProject: function () {
        var b = this._renderer && this._renderer._bounds, w = (this.options.weight || 0) + 1;
        if (!b || !this._pxBounds ||
            !this._pxBounds.intersects(new L.Bounds(b.min.subtract([w, w]), b.max.add([w, w])))) {
          return;  // out of view: projected when it comes into view (or at the next zoom)
        }
        var m = this._rmM, map = this._map, xy = m.xy;
        var S = map.options.crs.scale(map.getZoom()), o = map.getPixelOrigin();
        var pts = this._rmPts;
        if (!pts) {
          pts = this._rmPts = m.ends.map(function (end, k) {
            var a = new Array(end - (k ? m.ends[k - 1] : 0));
            for (var j = 0; j < a.length; j++) a[j] = new L.Point(0, 0);
            return a;
          });
        }
        var rings = new Array(pts.length), keep = m.keep, tol = LOD_PX / S;
        for (var k = 0, i = 0; k < pts.length; k++) {
          var pool = pts[k], ring = [];
          for (var j = 0; j < pool.length; j++, i++) {
            if (keep[i] <= tol) continue;
            var p = pool[ring.length];
            p.x = Math.round(S * xy[2 * i]) - o.x;
            p.y = Math.round(S * xy[2 * i + 1]) - o.y;
            ring.push(p);
          }
          rings[k] = ring;
        }
        this._rings = rings;
        this._rmStale = false;
      },
      // the rings are simplified for the zoom already (keep, above)
      _simplifyPoints: function () {
        if (this._rmView === undefined) base._simplifyPoints.call(this);
      }
    });
  }
  var FastLine = fastPath(L.Polyline), FastArea = fastPath(L.Polygon);
  RM.line = function (latlngs, options) { return new FastLine(latlngs, options); };
  RM.area = function (latlngs, options) { return new FastArea(latlngs, options); };

  // ------------------------------------------------------ canvas redraws
  // Leaflet redraws a canvas at once whenever its view changes (twice for one
  // zoom without animation), and again on the next frame for the paths that
  // changed meanwhile. rivermap's canvases (RM.canvas) redraw once a frame:
  // every change asks for the frame's redraw, the whole canvas when its size
  // or view changed (then nothing narrows it down to a part). Several layers
  // share one canvas (each a full-size bitmap the browser rasterizes and
  // composites every frame of a zoom): a path's options.rmRank sets its place
  // in the drawing order (lower under higher, in the order added within a
  // rank), whatever order the layers are added in and however often.
  var FrameCanvas = L.Canvas.extend({
    _initPath: function (layer) {
      this._rmPrepared = null;
      this._updateDashArray(layer);
      this._layers[L.stamp(layer)] = layer;
      var rank = layer.options.rmRank || 0, tails = this._rmTails = this._rmTails || {};
      var after = null, best = -Infinity;
      Object.keys(tails).forEach(function (r) {
        var v = Number(r);
        if (v <= rank && v > best && tails[r]) { best = v; after = tails[r]; }
      });
      var next = after ? after.next : this._drawFirst;
      var order = layer._order = { layer: layer, prev: after, next: next };
      if (order.next) order.next.prev = order; else this._drawLast = order;
      if (after) after.next = order; else this._drawFirst = order;
      tails[rank] = order;
    },
    _removePath: function (layer) {
      this._rmPrepared = null;
      var order = layer._order, tails = this._rmTails || {}, rank = layer.options.rmRank || 0;
      if (order && tails[rank] === order) {
        var prev = order.prev;
        tails[rank] = prev && (prev.layer.options.rmRank || 0) === rank ? prev : null;
      }
      L.Canvas.prototype._removePath.call(this, layer);
    },
    // a layer brought to the front or back stays within its rank's paths
    _bringToFront: function (layer) { this._removePath(layer); this._initPath(layer); },
    _bringToBack: function () {},
    _updateStyle: function (layer) {
      this._rmPrepared = null;
      L.Canvas.prototype._updateStyle.call(this, layer);
    },
    _updatePaths: function () {
      if (this._postponeUpdatePaths) return;
      for (var id in this._layers) this._layers[id]._update();
      this._rmWhole = true;
      this._redrawBounds = null;
      this._rmRequest();
    },
    _requestRedraw: function (layer) {
      if (!this._map) return;
      if (!this._rmWhole) this._extendRedrawBounds(layer);
      this._rmRequest();
    },
    _rmRequest: function () {
      this._redrawRequest = this._redrawRequest || L.Util.requestAnimFrame(this._redraw, this);
    },
    _redraw: function () {
      if (this._rmWhole) { this._redrawBounds = null; this._rmWhole = false; }
      if (this._rmUsePrepared()) { this._redrawRequest = null; return; }
      L.Canvas.prototype._redraw.call(this);
    },
    _destroyContainer: function () {
      L.Canvas.prototype._destroyContainer.call(this);
      this._redrawRequest = null;
    },
    // Leaflet redraws after a zoom's animation (0.25 s, which the compositor
    // runs while the page waits). Here the frame of the new zoom is drawn on a
    // spare canvas during the animation (right after the zoom starts, when the
    // map already has the new zoom and origin) and rasterized; the redraw at
    // its end copies it, when nothing changed meanwhile.
    getEvents: function () {
      var events = L.Canvas.prototype.getEvents.call(this);
      if (this._zoomAnimated) events.zoomanim = this._rmAnimZoom;
      return events;
    },
    _rmAnimZoom: function (e) {
      this._onAnimZoom(e);
      var self = this;
      this._rmPrepared = null;
      clearTimeout(this._rmTimer);
      if (e.noUpdate) return;  // a pinch, zooming with the fingers: drawn when it ends
      this._rmTimer = setTimeout(function () { self._rmPrepare(); }, 0);
    },
    _rmPrepare: function () {
      var map = this._map, b = this._bounds, c = this._container, id;
      if (!map || !map._animatingZoom || !b || !c) return;
      for (id in this._layers) if (!this._layers[id]._rmClipTo) return;  // a path of Leaflet's
      for (id in this._layers) {
        this._layers[id]._project();
        this._layers[id]._rmClipTo(b);
      }
      var spare = this._rmSpare = this._rmSpare || document.createElement("canvas");
      if (spare.width !== c.width || spare.height !== c.height) {
        spare.width = c.width;
        spare.height = c.height;
      }
      var ctx = spare.getContext("2d"), m = L.Browser.retina ? 2 : 1, own = this._ctx;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, spare.width, spare.height);
      ctx.setTransform(m, 0, 0, m, -m * b.min.x, -m * b.min.y);
      this._ctx = ctx;
      this._redrawBounds = null;
      try { this._draw(); } finally { this._ctx = own; }
      ctx.getImageData(0, 0, 1, 1);  // rasterized now, while the map animates
      var o = map.getPixelOrigin();
      this._rmPrepared = [map.getZoom(), o.x, o.y, b.min.x, b.min.y, c.width, c.height];
    },
    _rmUsePrepared: function () {
      var p = this._rmPrepared, map = this._map, b = this._bounds, c = this._container;
      this._rmPrepared = null;
      if (!p || !map || !b || this._redrawBounds) return false;
      var o = map.getPixelOrigin();
      var now = [map.getZoom(), o.x, o.y, b.min.x, b.min.y, c.width, c.height];
      for (var i = 0; i < now.length; i++) if (now[i] !== p[i]) return false;
      var ctx = this._ctx;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, c.width, c.height);
      ctx.drawImage(this._rmSpare, 0, 0);
      ctx.restore();
      return true;
    },
    _updatePath: function (layer) {
      this._rmPrepared = null;
      L.Canvas.prototype._updatePath.call(this, layer);
    }
  });
  RM.canvas = function (options) { return new FrameCanvas(options); };

  // ------------------------------------------------------ stacked canvases
  // A canvas takes the mouse over its whole area, so a canvas above another
  // (the rivers over the plan, the plan over the units) would hide the lower
  // one's paths from the mouse. A map keeps its canvases in stacking order
  // (pane z-index, then the later one above); where a canvas has none of its
  // own interactive paths under the cursor, the canvases below it (in panes
  // that take pointer events) are asked, top first, as Leaflet asks its paths.
  if (L.Canvas && !L.Canvas.prototype.rmStacked) {
    var C = L.Canvas.prototype, canvasOnAdd = C.onAdd, canvasOnRemove = C.onRemove, seq = 0;
    C.onAdd = function (map) {
      canvasOnAdd.call(this, map);
      var list = map._rmCanvases = map._rmCanvases || [];
      var style = window.getComputedStyle(this.getPane());
      this._rmZ = parseInt(style.zIndex, 10) || 0;
      this._rmPassive = style.pointerEvents === "none";
      this._rmSeq = this._rmSeq || ++seq;
      if (list.indexOf(this) < 0) list.push(this);
      list.sort(function (a, b) { return b._rmZ - a._rmZ || b._rmSeq - a._rmSeq; });
    };
    C.onRemove = function (map) {
      var list = map._rmCanvases || [], i = list.indexOf(this);
      if (i >= 0) list.splice(i, 1);
      canvasOnRemove.call(this, map);
    };
    var hitIn = function (r, point, e) {
      var found = null, moved = e && (e.type === "click" || e.type === "preclick");
      for (var order = r._drawFirst; order; order = order.next) {
        var layer = order.layer;
        if (layer.options.interactive && layer._containsPoint(point) &&
            !(moved && r._map._draggableMoved(layer))) {
          found = layer;
        }
      }
      return found;
    };
    var hitStack = function (r, point, e) {
      var list = (r._map && r._map._rmCanvases) || [r], i = Math.max(list.indexOf(r), 0);
      var own = hitIn(r, point, e);
      for (var k = i + 1; !own && k < list.length; k++) {
        if (!list[k]._rmPassive && list[k]._map) own = hitIn(list[k], point, e);
      }
      return own;
    };
    C._onClick = function (e) {
      var hit = hitStack(this, this._map.mouseEventToLayerPoint(e), e);
      this._fireEvent(hit ? [hit] : false, e);
    };
    C._handleMouseHover = function (e, point) {
      if (this._mouseHoverThrottled) return;
      var candidate = hitStack(this, point, null);
      if (candidate !== this._hoveredLayer) {
        this._handleMouseOut(e);
        if (candidate) {
          L.DomUtil.addClass(this._container, "leaflet-interactive");  // the cursor
          this._fireEvent([candidate], e, "mouseover");
          this._hoveredLayer = candidate;
        }
      }
      this._fireEvent(this._hoveredLayer ? [this._hoveredLayer] : false, e);
      this._mouseHoverThrottled = true;
      var self = this;
      setTimeout(function () { self._mouseHoverThrottled = false; }, 32);
    };
    C.rmStacked = true;
  }

  // ---------------------------------------------------------------- labels
  // Names of units and ids of plan segments, placed so that none overlaps
  // another. A label shows where its unit's (or segment's) box, at this zoom,
  // is at least as wide and as high as the label (a segment: as long); then,
  // greedily in order (the groups: coarser unit levels first, then the plan;
  // within one, larger units and longer segments first, as Python sorts
  // them), where its box, estimated from the text's width in the labels' font
  // and padded by LABEL_GAP px, meets no box already placed nor a control of
  // the map (a grid of LABEL_CELL px finds the neighbours) and lies inside it.
  var LABEL_H = 16, LABEL_PAD = 3, LABEL_GAP = 2, LABEL_CELL = 64;
  // candidates: [{x, y, w}] in container pixels, in priority order; blocked:
  // [left, top, right, bottom] boxes no label may meet -> the indices placed
  RM.placeLabels = function (candidates, width, height, max, blocked) {
    var grid = {}, out = [];
    // call fn with the list of boxes of every grid cell box b covers; false stops
    function cells(b, fn) {
      var x1 = Math.floor(b[2] / LABEL_CELL), y1 = Math.floor(b[3] / LABEL_CELL);
      for (var gx = Math.floor(b[0] / LABEL_CELL); gx <= x1; gx++) {
        for (var gy = Math.floor(b[1] / LABEL_CELL); gy <= y1; gy++) {
          var key = gx + "," + gy;
          if (fn(grid[key] = grid[key] || []) === false) return false;
        }
      }
      return true;
    }
    function meets(b, list) {
      for (var k = 0; k < list.length; k++) {
        var o = list[k];
        if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) return true;
      }
      return false;
    }
    function put(b) { cells(b, function (list) { list.push(b); }); }
    (blocked || []).forEach(put);
    candidates.forEach(function (c, i) {
      if (out.length >= max) return;
      var hw = c.w / 2 + LABEL_GAP, hh = LABEL_H / 2 + LABEL_GAP;
      var b = [c.x - hw, c.y - hh, c.x + hw, c.y + hh];
      if (b[0] < 0 || b[1] < 0 || b[2] > width || b[3] > height) return;
      if (!cells(b, function (list) { return !meets(b, list); })) return;
      put(b);
      out.push(i);
    });
    return out;
  };

  function lineLatLngs(parts, f) {
    var ll = parts.map(function (p) { return decode(p, f); });
    return ll.length === 1 ? ll[0] : ll;
  }
  function polyLatLngs(polys, f) {
    return polys.map(function (rings) { return rings.map(function (r) { return decode(r, f); }); });
  }

  RM.build = function (map, D, G) {
    var T = D.texts, S = D.styles, levels = D.levels, units = D.units;
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
    // Above a size (D.canvas, see CANVAS_THRESHOLD in web.py) the rivers, the
    // flag halos and the plan are drawn on canvases, one per pane, instead of
    // as SVG paths; the units always are.
    var PAD = 0.3, canvas = !!D.canvas;
    function renderer(paneName) {
      var o = { padding: PAD };
      if (paneName) o.pane = paneName;
      return canvas ? RM.canvas(o) : L.svg(o);
    }
    var unitRenderer = RM.canvas({ pane: "rm-units", padding: PAD });
    var riverRenderer = renderer(null);
    // on canvas, the plan, the halos and the rivers share one (RANK: bottom to top)
    var RANK = { plan: 1, halo: 2, river: 3 };
    function lineRenderer(paneName) { return canvas ? riverRenderer : renderer(paneName); }
    // bevelled corners: a canvas rasterizes them in about three quarters of the
    // time round ones take, and at these widths they look the same
    var JOIN = canvas ? "bevel" : "round";

    function unitName(id) { var u = units[id]; return u ? u[0] : (id === null ? "" : String(id)); }
    // A name as drawn (labels, tooltips, the legend): cut with "…" when it is long
    // (D.clipped, by rivermap.text.clip_label); popups and the search show it whole.
    var clipped = D.clipped || {};
    function short(s) {
      return typeof s === "string" && Object.prototype.hasOwnProperty.call(clipped, s)
        ? clipped[s] : s;
    }
    function unitLabel(id) { return short(unitName(id)); }
    function riverName(r) { return rivers[r] || r; }
    // the names of a unit and its parents, top first, as the parts of mixed()
    function unitPath(id) {
      var parts = [], seen = 0;
      while (id !== null && id !== undefined && units[id] && seen < 12) {
        if (parts.length) parts.unshift(" › ");
        parts.unshift([units[id][0]]); id = units[id][2]; seen += 1;
      }
      return parts;
    }
    function chiefsOf(unitId, riverId) {
      return chiefs[unitId + "\u0001" + riverId] || chiefs[unitId] || [];
    }
    // a chief as the parts of mixed(), names cut as drawn when ``cut``
    function chiefText(c, cut) {
      // c: [name, title, phone, role]
      var name = cut ? short : function (x) { return x; };
      var parts = [[name(c[0])]];
      var extra = [c[3], name(c[1])].filter(function (x) { return x; });
      if (extra.length) {
        parts.push(" (");
        extra.forEach(function (x, i) { parts.push(i ? ", " : "", [x]); });
        parts.push(")");
      }
      if (c[2]) parts.push(" " + T.phone + " ", [c[2]]);
      return parts;
    }
    function chiefLine(parent, c, cut) {
      mixed("div", "rm-chief", [T.chief + ": "].concat(chiefText(c, cut)), parent);
    }
    // the reach's unit at every level, with at most maxChiefs chiefs each (then "…")
    function someChiefs(parent, list, maxChiefs, line) {
      list.slice(0, maxChiefs).forEach(line);
      if (list.length > maxChiefs) el("div", "rm-chief", "… +" + (list.length - maxChiefs), parent);
    }
    // a tooltip (``cut``) draws names as labels are drawn, a popup whole
    function unitsLines(parent, p, maxChiefs, cut) {
      var name = cut ? unitLabel : unitName;
      levels.forEach(function (lv, i) {
        var id = p.u[i];
        var r;
        if (id !== null && id !== undefined) {
          r = row(parent, lv.label, name(id));
          someChiefs(r, chiefsOf(id, p.r), maxChiefs, function (c) { chiefLine(r, c, cut); });
        } else if (p.k === "b" && (p.L !== null || p.R !== null)) {
          var li = D.ancestors[p.L] ? D.ancestors[p.L][i] : null;
          var ri = D.ancestors[p.R] ? D.ancestors[p.R][i] : null;
          var left = li === null || li === undefined ? T.outside : [name(li)];
          var right = ri === null || ri === undefined ? T.outside : [name(ri)];
          r = row(parent, lv.label,
                  [T.left_bank + " ", left, " | " + T.right_bank + " ", right]);
          [li, ri].forEach(function (id2) {
            if (id2 === null || id2 === undefined) return;
            someChiefs(r, chiefsOf(id2, p.r), maxChiefs, function (c) {
              var who = [[name(id2)], " " + T.chief + ": "].concat(chiefText(c, cut));
              mixed("div", "rm-chief", who, r);
            });
          });
        } else {
          row(parent, lv.label, T.outside);
        }
      });
    }
    function reachTip(p) {
      var d = el("div", "rm-tip");
      el("div", "rm-title", short(riverName(p.r)), d);
      row(d, T.from_to, fmtKm(p.a) + "–" + fmtKm(p.b) + " " + T.km);
      if (p.k === "b") el("div", "rm-row", T.boundary_reach, d);
      unitsLines(d, p, 2, true);
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
        mixed("td", "rm-chief", cs.length ? [[cs[0][0]], cs[0][2] ? " " : "", [cs[0][2]]] : [], tr);
      });
      if (f.handovers !== null) row(b, T.handovers, f.handovers);
      row(b, T.reasons, f.reasons.join(T.list_sep));
      if (f.severity !== null) row(b, T.severity, f.severity.toFixed(2));
      if (f.proposal) row(b, T.proposal, f.proposal);
    }
    function reachPopup(p) {
      var d = el("div", "rm-tip");
      el("div", "rm-title", riverName(p.r), d);
      row(d, T.reach, p.i);
      row(d, T.from_to, fmtKm(p.a) + "–" + fmtKm(p.b) + " " + T.km +
          " (" + T.length + " " + fmtKm(p.b - p.a) + " " + T.km + ")");
      if (p.k === "b") el("div", "rm-row", T.boundary_reach, d);
      unitsLines(d, p, Infinity, false);
      if (flags[p.r]) flagBlock(d, flags[p.r]);
      return d;
    }
    function unitTip(id) {
      var d = el("div", "rm-tip");
      el("div", "rm-title", unitName(id), d);
      var path = unitPath(units[id] ? units[id][2] : null);
      if (path.length) mixed("div", "rm-row", path, d);
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
        var layer = RM.area(polyLatLngs(geoms[j], G.factor), {
          renderer: unitRenderer, pane: "rm-units", color: ul.colour, weight: ul.weight,
          lineJoin: "bevel",
          opacity: S.unit.opacity, fill: true, fillColor: ul.colours[j] || ul.colour,
          fillOpacity: ul.fill
        });
        unitIndex[id] = { layer: layer, group: group };
        // a click names the unit; a hover tooltip would follow the cursor over the whole map
        layer.bindPopup(function () { return unitTip(id); }, { maxWidth: 360 });
        poly.addLayer(layer);
      });
      group.addLayer(poly);
      labelGroups.push({ group: group, points: ul.labels,
                         text: function (id) { return unitLabel(id); }, shown: null });
      layers["units:" + ul.level] = group;
    });

    // --------------------------------------------------------------- rivers
    var flagged = [];
    // widths, opacities and dashes: D.styles (rivermap._styles, shared with the QGIS styles)
    function reachStyle(p) {
      var cls = "rm-reach" + (flags[p.r] ? " rm-flagged" : "");
      if (p.k === "b") {
        return L.extend({ color: D.colours.boundary, className: cls + " rm-boundary" },
                        S.boundary);
      }
      if (p.k === "o") {
        return L.extend({ color: D.colours.outside, className: cls + " rm-outside" },
                        S.outside);
      }
      return L.extend({ color: p.c || D.colours.outside, className: cls }, S.inside);
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
      style.rmRank = RANK.river;
      style.lineJoin = JOIN;
      var layer = RM.line(lineLatLngs(G.reaches[j], G.factor), style);
      (riverIndex[p.r] = riverIndex[p.r] || []).push(layer);
      reachLayers[j] = layer;
      bindReach(layer, p);
      if (p.k !== "i" && !canvas) {
        // A dashed SVG line takes clicks on its dashes only: an unseen wide line
        // above it takes them along its whole length (canvas hit-tests the whole line).
        var hit = RM.line(layer.getLatLngs(), {
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
    layers.flags = flagHalos(flagged);

    // A halo per flagged river (its reaches as one line) under the rivers, in
    // the style of its severity's grade (D.flagScale.grades: [from, colour,
    // width, opacity]); only rivers at least as severe as the threshold (at
    // first D.flagScale.threshold) are on the layer. The layer's rmThreshold,
    // rmSetThreshold(t) and rmCounts() are the threshold control's (flags.js).
    // Without a scale (no severities) every flagged river has the same halo.
    function flagHalos(reachLayers) {
      var scale = D.flagScale || null, group = L.layerGroup();
      var haloRenderer = lineRenderer("rm-flags");
      var parts = {};
      reachLayers.forEach(function (layer) {
        var ll = layer.getLatLngs(), r = layer.rmReach.r;
        var list = parts[r] = parts[r] || [];
        if (ll.length && !(ll[0] instanceof L.LatLng)) ll.forEach(function (x) { list.push(x); });
        else list.push(ll);
      });
      function grade(sev) {
        var g = 0;
        if (!scale) return 1;
        scale.grades.forEach(function (gr, i) { if (sev >= gr[0]) g = i; });
        return g;
      }
      var halos = Object.keys(parts).map(function (r) {
        var f = flags[r], sev = f && typeof f.severity === "number" ? f.severity : 0;
        return { river: r, severity: sev, grade: grade(sev) };
      });
      // least severe first: drawn first, under the others (a group adds its
      // layers in the order they were made)
      halos.sort(function (a, b) { return a.severity - b.severity; });
      halos.forEach(function (x) {
        var st = scale ? scale.grades[x.grade]
                       : [0, D.colours.flag, S.halo.weight, S.halo.opacity];
        x.layer = RM.line(parts[x.river], {
          renderer: haloRenderer, pane: "rm-flags", color: st[1], weight: st[2], opacity: st[3],
          interactive: false, className: "rm-halo rm-halo-" + x.grade,
          rmRank: RANK.halo + x.grade / 10, lineJoin: JOIN
        });
        x.layer.rmRiver = x.river;
      });
      group.rmThreshold = scale ? scale.threshold : 0;
      group.rmSetThreshold = function (t) {
        group.rmThreshold = t;
        // most severe first, so that each one brought back goes under those shown
        // (on canvas, a grade's rank puts it above the grades below)
        for (var i = halos.length - 1; i >= 0; i--) {
          var x = halos[i], on = group.hasLayer(x.layer), show = x.severity >= t;
          if (show && !on) {
            group.addLayer(x.layer);
            if (x.layer._map && !canvas) x.layer.bringToBack();
          } else if (!show && on) {
            group.removeLayer(x.layer);
          }
        }
      };
      group.rmCounts = function () {
        var grades = (scale ? scale.grades : [0, 0]).map(function () { return [0, 0]; });
        var shown = 0;
        halos.forEach(function (x) {
          var on = group.hasLayer(x.layer);
          grades[x.grade][0] += 1;
          if (on) { grades[x.grade][1] += 1; shown += 1; }
        });
        return { total: halos.length, shown: shown, grades: grades };
      };
      halos.forEach(function (x) { if (x.severity >= group.rmThreshold) group.addLayer(x.layer); });
      return group;
    }

    // ----------------------------------------------------------------- plan
    if (D.plan) {
      var planGroup = L.featureGroup();
      var segLayer = L.featureGroup(), planRenderer = lineRenderer("rm-plan");
      D.plan.segments.forEach(function (p, j) {
        if (!G.plan[j].length) return;
        var layer = RM.line(lineLatLngs(G.plan[j], G.factor), {
          renderer: planRenderer, pane: "rm-plan", color: p.c || D.colours.plan,
          weight: S.plan.weight, opacity: S.plan.opacity, className: "rm-segment",
          rmRank: RANK.plan, lineJoin: JOIN
        });
        // the tooltip (``cut``) draws names as labels are drawn, the popup whole
        var segmentTip = function (cut) {
          var name = cut ? short : function (x) { return x; };
          var d = el("div", "rm-tip");
          mixed("div", "rm-title", [T.segment + " ", [p.s]], d);
          el("div", "rm-row", name(rivers[p.r] || p.n || p.r), d);
          row(d, T.from_to, fmtKm(p.a) + "–" + fmtKm(p.b) + " " + T.km);
          row(d, D.planLevelLabel, name(p.un || unitName(p.u)));
          if (p.u !== null) chiefsOf(p.u, p.r).forEach(function (c) { chiefLine(d, c, cut); });
          return d;
        };
        layer.bindTooltip(function () { return segmentTip(true); }, { sticky: true });
        // a click (or the search, which opens a popup) names it too
        layer.bindPopup(function () { return segmentTip(false); }, { maxWidth: 360 });
        segLayer.addLayer(layer);
        segmentLayers[j] = layer;
      });
      planGroup.addLayer(segLayer);
      labelGroups.push({ group: planGroup, points: D.plan.labels,
                         text: function (id) { return id; }, shown: null });
      layers.plan = planGroup;
    }

    // --------------------------------------------------------------- labels
    // Placed by RM.placeLabels on every move and zoom, as divs in a pane of
    // their own (above the rivers, taking no clicks), kept from one placing to
    // the next when they stay; hidden while the map zooms. A group's points
    // are [lat, lng, id, width°, height°] (size optional: the editor's have
    // none); labelGroups[i].points may be changed in place, then refreshLabels().
    var MAX_LABELS = D.maxLabels || 300;
    var labelPane = map.createPane("rm-labels");
    labelPane.style.zIndex = 450;
    labelPane.style.pointerEvents = "none";
    var labelEls = {}, labelWidths = {}, labelFont = null;
    var measure = document.createElement("canvas").getContext("2d");
    function labelWidth(text) {
      var w = labelWidths[text];
      if (w === undefined) {
        if (!labelFont) {
          var probe = el("div", "rm-label", "", labelPane), cs = window.getComputedStyle(probe);
          labelFont = [cs.fontStyle, cs.fontWeight, cs.fontSize, cs.fontFamily].join(" ");
          labelPane.removeChild(probe);
        }
        measure.font = labelFont;
        w = labelWidths[text] = Math.ceil(measure.measureText(text).width) + 2 * LABEL_PAD;
      }
      return w;
    }
    function labelCandidates() {
      var b = map.getBounds(), s = b.getSouth(), n = b.getNorth(), w = b.getWest(), e = b.getEast();
      var ppd = map.options.crs.scale(map.getZoom()) / 360;  // pixels per degree of longitude
      var out = [];
      labelGroups.forEach(function (g, gi) {
        if (!map.hasLayer(g.group)) return;
        var sized = g.group !== (layers.plan || null);  // units: the name fits in the box
        g.points.forEach(function (pt) {
          if (pt[0] < s || pt[0] > n || pt[1] < w || pt[1] > e) return;
          var text = String(g.text(pt[2])), tw = labelWidth(text);
          if (pt.length > 4) {
            var wx = pt[3] * ppd, hy = pt[4] * ppd / Math.cos(pt[0] * D2R);
            if (sized ? wx < tw || hy < LABEL_H : Math.max(wx, hy) < tw) return;
          }
          var p = map.latLngToContainerPoint([pt[0], pt[1]]);
          out.push({ x: p.x, y: p.y, w: tw, key: gi + "\u0001" + pt[2], text: text, ll: pt });
        });
      });
      return out;
    }
    // the boxes of the map's controls (search, legend, layers…), in map pixels
    function controlBoxes() {
      var at = container.getBoundingClientRect(), out = [];
      var controls = container.querySelectorAll(".leaflet-control, .rm-banner");
      for (var i = 0; i < controls.length; i++) {
        var r = controls[i].getBoundingClientRect();
        if (r.width && r.height) {
          out.push([r.left - at.left, r.top - at.top, r.right - at.left, r.bottom - at.top]);
        }
      }
      return out;
    }
    function refreshLabels() {
      if (map._animatingZoom || !map._loaded) return;
      var size = map.getSize(), cands = labelCandidates(), keep = {};
      RM.placeLabels(cands, size.x, size.y, MAX_LABELS, controlBoxes()).forEach(function (i) {
        var c = cands[i], e = labelEls[c.key];
        if (!e) e = labelEls[c.key] = el("div", "rm-label", c.text, labelPane);
        else if (e.textContent !== c.text) e.textContent = c.text;
        var at = map.latLngToLayerPoint([c.ll[0], c.ll[1]]);
        e.style.transform = "translate3d(" + at.x + "px," + at.y + "px,0) translate(-50%,-50%)";
        keep[c.key] = true;
      });
      Object.keys(labelEls).forEach(function (k) {
        if (!keep[k]) { labelPane.removeChild(labelEls[k]); delete labelEls[k]; }
      });
      labelPane.style.display = "";
    }
    var labelTimer = null;
    function refreshSoon() {
      if (labelTimer !== null) return;
      labelTimer = setTimeout(function () { labelTimer = null; refreshLabels(); }, 0);
    }
    map.on("zoomstart", function () { labelPane.style.display = "none"; });
    map.on("moveend resize", refreshLabels);
    labelGroups.forEach(function (g) { g.group.on("add remove", refreshSoon); });

    var handle = {
      map: map, D: D, G: G, T: T, container: container, layers: layers,
      riverIndex: riverIndex, unitIndex: unitIndex, reachLayers: reachLayers,
      segmentLayers: segmentLayers, riverLayer: riverLayer, flagged: flagged,
      labelGroups: labelGroups, refreshLabels: refreshLabels, texts: T,
      unitName: unitName, unitLabel: unitLabel, riverName: riverName, short: short,
      unitPath: unitPath, chiefsOf: chiefsOf, chiefText: chiefText,
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
