"""Everything a rivermap web map needs, inlined so the saved file works offline.

Leaflet's JavaScript and CSS come from the ``xstatic-leaflet`` package (the
Leaflet release folium 0.20 uses), with the images its CSS refers to turned into
``data:`` URIs. The map's own controls (search, legend, full screen, labels) are
the small script and style sheet below, written for rivermap: they build every
piece of text with ``textContent``, never from HTML strings, so names from the
data cannot inject markup.

:func:`make_offline` strips folium's CDN links from a map and adds these assets
to the page head; :func:`external_urls` lists whatever in a rendered page would
still be fetched from the network.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

__all__ = [
    "RIVERMAP_CSS",
    "RIVERMAP_JS",
    "OfflineAssets",
    "RawElement",
    "encode_geometries",
    "encode_points",
    "external_urls",
    "is_strictly_offline",
    "js_literal",
    "leaflet_assets",
    "make_offline",
]


def _leaflet_dir() -> Path:
    try:
        from xstatic.pkg import leaflet  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - a declared dependency
        msg = (
            "rivermap's offline maps need the xstatic-leaflet package "
            "(pip install 'xstatic-leaflet>=1.9')"
        )
        raise ImportError(msg) from exc
    return Path(leaflet.BASE_DIR)


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, ready to inline.

    The CSS's ``url(images/...)`` references become ``data:`` URIs and the
    source-map comments are dropped, so nothing refers to another file.

    Returns
    -------
    tuple of str
        ``(javascript, css)``.

    Examples
    --------
    >>> js, css = leaflet_assets()
    >>> "Leaflet 1.9" in js, "url(images/" in css
    (True, False)
    """
    base = _leaflet_dir()
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def _inline(match: re.Match[str]) -> str:
        image = base / "images" / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", _inline, css)
    css = re.sub(r"/\*# sourceMappingURL=\S+ \*/", "", css)
    return _script_safe(js), _style_safe(css)


def _script_safe(js: str) -> str:
    """Make script text safe inside ``<script>``: no ``</script`` or ``<!--`` can end it."""
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _style_safe(css: str) -> str:
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def js_literal(value: Any) -> str:
    r"""Return JSON for a ``<script>`` block: ``<``, ``>``, ``&`` and line separators escaped.

    Any string, however hostile, stays a string: ``</script>`` cannot close
    the block, and ``{{``/``{%``/``{#`` cannot open a Jinja tag.

    Examples
    --------
    >>> js_literal({"name": "</script><script>alert(1)</script>"})
    '{"name":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # "{{", "{%" and "{#" never occur in JSON outside strings; inside them they would
    # start a Jinja tag should the text ever pass through a template (branca does that).
    text = re.sub(r"\{(?=[{%#])", r"\\u007b", text)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class RawElement(Element):
    """Text put into the page as it is: never compiled as a Jinja template.

    branca compiles the text of an ``Element(...)`` as a template, so data with
    ``{{`` in it would be evaluated; this element outputs its text verbatim.
    """

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class OfflineAssets(MacroElement):
    """Inline Leaflet and rivermap's script and style in the page head."""

    _template = Template("")

    def __init__(self, *, strict: bool = True) -> None:
        super().__init__()
        self._name = "RivermapOfflineAssets"
        self.strict = strict

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium always has one
            msg = "OfflineAssets must be added to a map inside a branca Figure"
            raise TypeError(msg)
        js, css = leaflet_assets()
        head = (
            f"<style>{css}</style>\n<style>{RIVERMAP_CSS}</style>\n"
            f"<script>{js}</script>\n<script>{_script_safe(RIVERMAP_JS)}</script>"
        )
        figure.header.add_child(RawElement(head), name="rivermap_offline_assets")
        return super().render(**kwargs)


def make_offline(m: folium.Map, *, strict: bool = True) -> folium.Map:
    """Drop folium's CDN links from ``m`` and inline Leaflet and rivermap's assets.

    folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs that
    may be unreachable (or, in China, blocked); a rivermap map needs only
    Leaflet, so the links are removed and Leaflet is inlined.

    Parameters
    ----------
    m
        The map, modified in place.
    strict
        Whether the map is meant to load nothing at all from the network
        (no tiles); :func:`is_strictly_offline` reports it.

    Returns
    -------
    folium.Map
        ``m``.
    """
    m.default_js = []
    m.default_css = []
    m.add_child(OfflineAssets(strict=strict), name="rivermap_offline_assets")
    return m


def is_strictly_offline(m: folium.Map) -> bool:
    """Whether ``m`` was made offline by :func:`make_offline` with ``strict=True``."""
    assets = m._children.get("rivermap_offline_assets")
    return isinstance(assets, OfflineAssets) and assets.strict


_URL_ATTR = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*["']?((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)
_IMPORT = re.compile(r"""@import\s+["']((?:https?:)?//[^"']+)""", re.IGNORECASE)


def external_urls(html: str) -> list[str]:
    """URLs a rendered page would load as it opens: scripts, styles, images, CSS ``url()``.

    Links a person may click (``<a href>``) are not loads and are not listed;
    tile URL templates inside scripts are not listed either (a map with
    ``basemap=None`` has none).

    Examples
    --------
    >>> external_urls('<script src="https://cdn.example/x.js"></script><a href="https://x">x</a>')
    ['https://cdn.example/x.js']
    """
    found = _URL_ATTR.findall(html) + _CSS_URL.findall(html) + _IMPORT.findall(html)
    return sorted(set(found))


def encode_geometries(geoms: Any, decimals: int) -> list[list[Any]]:
    """Lines and polygons as encoded-polyline strings, for the map's script to decode.

    Each coordinate is rounded to ``decimals`` decimal degrees, and each line
    or ring is written in the encoded-polyline format (latitude, longitude;
    zig-zag deltas in base-32 characters ``?``–``~``): about four characters a
    vertex instead of twenty in GeoJSON, and much faster for a browser to read.

    Parameters
    ----------
    geoms
        Shapely geometries in longitude/latitude degrees.
    decimals
        Decimal places kept, 0–6.

    Returns
    -------
    list
        Per geometry: for lines, a list of encoded parts; for polygons, a list of
        polygons, each a list of encoded rings (exterior first); ``[]`` when empty.

    Examples
    --------
    >>> from shapely import LineString
    >>> encode_geometries([LineString([(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)])], 5)
    [['_p~iF~ps|U_ulLnnqC_mqNvxq`@']]
    """
    import numpy as np
    import shapely

    if not 0 <= decimals <= 6:
        msg = f"decimals must be 0-6, not {decimals}"
        raise ValueError(msg)
    arr = np.asarray(geoms, dtype=object)
    out: list[list[Any]] = [[] for _ in range(len(arr))]
    if len(arr) == 0:
        return out
    present = ~shapely.is_missing(arr)
    parts, part_of = shapely.get_parts(arr[present], return_index=True)
    part_of = np.flatnonzero(present)[part_of]
    nonempty = ~shapely.is_empty(parts)
    parts, part_of = parts[nonempty], part_of[nonempty]
    types = shapely.get_type_id(parts)
    is_poly = types == 3
    is_line = (types == 1) | (types == 2)
    rings, ring_of = shapely.get_rings(parts[is_poly], return_index=True)
    poly_parts = np.flatnonzero(is_poly)
    seqs = np.concatenate([parts[is_line], rings])
    seq_part = np.concatenate([np.flatnonzero(is_line), poly_parts[ring_of]])
    encoded = _encode_sequences(seqs, decimals)
    # group: line parts are lists of strings; polygon parts are lists of rings
    part_items: list[Any] = [None] * len(parts)
    n_lines = int(is_line.sum())
    for s, p in zip(encoded[:n_lines], seq_part[:n_lines].tolist(), strict=True):
        part_items[p] = s
    for s, p in zip(encoded[n_lines:], seq_part[n_lines:].tolist(), strict=True):
        if part_items[p] is None:
            part_items[p] = []
        part_items[p].append(s)
    for item, g in zip(part_items, part_of.tolist(), strict=True):
        if item is not None:
            out[g].append(item)
    return out


def encode_points(x: Any, y: Any, decimals: int) -> str:
    """Points as one encoded-polyline string: the map's script decodes it as a line's vertices.

    The first point is written as it is, every other as its difference from
    the one before, so points in an order that keeps neighbours together take
    few characters each.

    Parameters
    ----------
    x, y
        Longitudes and latitudes in degrees (finite).
    decimals
        Decimal places kept, 0–6.

    Returns
    -------
    str
        ``""`` for no points.

    Examples
    --------
    >>> encode_points([-120.2, -120.95, -126.453], [38.5, 40.7, 43.252], 5)
    '_p~iF~ps|U_ulLnnqC_mqNvxq`@'
    """
    import numpy as np

    if not 0 <= decimals <= 6:
        msg = f"decimals must be 0-6, not {decimals}"
        raise ValueError(msg)
    coords = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if len(coords) == 0:
        return ""
    return _encode_coords(coords, np.zeros(len(coords), dtype=np.int64), 1, decimals)[0]


def _encode_sequences(seqs: Any, decimals: int) -> list[str]:
    """Return each line or ring of ``seqs`` as an encoded-polyline string."""
    import shapely

    coords, seq_of = shapely.get_coordinates(seqs, return_index=True)
    return _encode_coords(coords, seq_of, len(seqs), decimals)


def _encode_coords(coords: Any, seq_of: Any, n_seqs: int, decimals: int) -> list[str]:
    """Return the encoded-polyline string of each of ``n_seqs`` runs of ``coords`` (x, y)."""
    import numpy as np

    q = np.round(coords[:, ::-1] * 10.0**decimals).astype(np.int64)  # lat, lng
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    starts = np.ones(len(q), dtype=bool)
    starts[1:] = seq_of[1:] != seq_of[:-1]
    deltas[starts] = q[starts]
    values = deltas.ravel()
    zig = np.where(values < 0, ~(values << 1), values << 1)
    chunks = 7  # 35 bits: enough for 180 degrees at 6 decimals
    shifted = np.stack([zig >> (5 * k) for k in range(chunks + 1)], axis=1)
    more = shifted[:, 1:] > 0
    chars = ((shifted[:, :chunks] & 31) | np.where(more, 32, 0)) + 63
    keep = np.ones_like(more)
    keep[:, 1:] = more[:, :-1]
    text = chars[keep].astype(np.uint8).tobytes().decode("ascii")
    per_coord = keep.sum(axis=1).reshape(-1, 2).sum(axis=1)
    lengths = np.bincount(seq_of, weights=per_coord, minlength=n_seqs).astype(np.int64)
    ends = np.cumsum(lengths)
    begins = ends - lengths
    return [text[b:e] for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]


RIVERMAP_CSS = """
.leaflet-container.rm-map { background: #f3f5f7; font: 13px/1.4 "Noto Sans CJK SC",
  "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; }
.rm-tip { max-width: 340px; white-space: normal; }
.rm-tip .rm-title { font-weight: 700; font-size: 14px; margin-bottom: 2px; }
.rm-tip .rm-row { margin: 1px 0; }
.rm-tip .rm-key { color: #555; margin-right: 4px; }
.rm-tip .rm-chief { color: #0b4f8a; }
.rm-tip .rm-flag { margin-top: 6px; padding-top: 4px; border-top: 2px solid #e6194b; }
.rm-tip table { border-collapse: collapse; margin: 2px 0; }
.rm-tip td { padding: 0 6px 0 0; vertical-align: top; }
.rm-tip td.rm-num { text-align: right; white-space: nowrap; }
.rm-tip td:first-child { white-space: nowrap; }
.rm-label { background: rgba(255,255,255,0.75); border: 0; box-shadow: none; padding: 0 3px;
  font-size: 12px; color: #333; }
.rm-label::before { display: none; }
.rm-search { background: #fff; padding: 4px; border-radius: 4px; width: 240px; }
.rm-search input { width: 100%; box-sizing: border-box; font: inherit; padding: 3px 5px; }
.rm-search ul { list-style: none; margin: 2px 0 0 0; padding: 0; max-height: 260px;
  overflow-y: auto; }
.rm-search li { padding: 3px 5px; cursor: pointer; border-top: 1px solid #eee; }
.rm-search li:hover, .rm-search li.rm-active { background: #e8f0fb; }
.rm-search .rm-kind { color: #777; margin-left: 6px; font-size: 11px; }
.rm-legend { background: rgba(255,255,255,0.94); padding: 5px 8px 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.25); max-height: 45vh; max-width: 280px;
  display: flex; flex-direction: column; box-sizing: border-box; font-size: 12px; }
.rm-legend .rm-legend-head { display: flex; align-items: center; gap: 8px; flex: none; }
.rm-legend .rm-title { font-weight: 700; font-size: 13px; margin-right: auto; }
.rm-legend .rm-legend-toggle { font: inherit; font-size: 11px; line-height: 1.2; cursor: pointer;
  padding: 1px 6px; border: 1px solid #bbb; border-radius: 3px; background: #f7f7f7; color: #333;
  white-space: nowrap; }
.rm-legend .rm-legend-toggle:hover, .rm-legend .rm-legend-toggle:focus-visible {
  background: #e8f0fb; border-color: #7a9cc6; }
.rm-legend .rm-legend-body { overflow-y: auto; overflow-x: hidden; min-height: 0; flex: 0 1 auto;
  overscroll-behavior: contain; }
.rm-legend .rm-group { margin-top: 4px; }
.rm-legend .rm-group-title { color: #444; font-weight: 600; font-size: 11px; margin: 2px 0 1px 0; }
.rm-legend .rm-item { display: flex; align-items: center; margin: 1px 0; min-width: 0; }
.rm-legend .rm-item span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rm-legend svg { flex: none; margin-right: 6px; }
.rm-legend .rm-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
  column-gap: 10px; }
.rm-legend .rm-grid svg { margin-right: 4px; }
.rm-legend .rm-note { color: #555; font-size: 11px; margin: 1px 0 2px 0; }
.rm-legend.rm-collapsed .rm-units-list { display: none; }
.rm-fs a { display: flex; align-items: center; justify-content: center; }
.rm-map.rm-pseudo-fullscreen { position: fixed !important; left: 0; top: 0; width: 100% !important;
  height: 100% !important; z-index: 10000; }
"""

RIVERMAP_JS = r"""
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});

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
    function unitsLines(parent, p, withChiefs) {
      levels.forEach(function (lv, i) {
        var id = p.u[i];
        var r;
        if (id !== null && id !== undefined) {
          r = row(parent, lv.label, unitName(id));
          if (withChiefs) {
            chiefsOf(id, p.r).forEach(function (c) { chiefLine(r, c); });
          }
        } else if (p.k === "b" && (p.L !== null || p.R !== null)) {
          var li = D.ancestors[p.L] ? D.ancestors[p.L][i] : null;
          var ri = D.ancestors[p.R] ? D.ancestors[p.R][i] : null;
          var left = li === null || li === undefined ? T.outside : unitName(li);
          var right = ri === null || ri === undefined ? T.outside : unitName(ri);
          r = row(parent, lv.label, T.left_bank + " " + left + " | " + T.right_bank + " " + right);
          if (withChiefs) {
            [li, ri].forEach(function (id2) {
              if (id2 === null || id2 === undefined) return;
              chiefsOf(id2, p.r).forEach(function (c) {
                el("div", "rm-chief", unitName(id2) + " " + T.chief + ": " + chiefText(c), r);
              });
            });
          }
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
      unitsLines(d, p, true);
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
      unitsLines(d, p, true);
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
        layer.bindTooltip(function () { return unitTip(id); }, { sticky: true });
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
    D.reaches.forEach(function (p, j) {
      if (!G.reaches[j].length) return;
      var style = reachStyle(p);
      style.renderer = riverRenderer;
      var layer = L.polyline(lineLatLngs(G.reaches[j], G.factor), style);
      (riverIndex[p.r] = riverIndex[p.r] || []).push(layer);
      layer.bindTooltip(function () { return reachTip(p); }, { sticky: true });
      layer.bindPopup(function () { return reachPopup(p); },
                      { minWidth: 280, maxWidth: 440, maxHeight: 440 });
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
          row(d, D.plan.levelLabel, p.un || unitName(p.u));
          if (p.u !== null) chiefsOf(p.u, p.r).forEach(function (c) { chiefLine(d, c); });
          return d;
        }, { sticky: true });
        segLayer.addLayer(layer);
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

    // --------------------------------------------------------------- search
    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "rm-search leaflet-bar");
        var input = el("input", null, null, box);
        input.type = "search";
        input.placeholder = T.search;
        input.setAttribute("aria-label", T.search);
        var list = el("ul", null, null, box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var current = [];
        function show() {
          var q = input.value.trim().toLowerCase();
          list.textContent = "";
          current = [];
          if (!q) return;
          for (var i = 0; i < D.search.length && current.length < 12; i++) {
            if (D.search[i][0].toLowerCase().indexOf(q) >= 0) current.push(D.search[i]);
          }
          if (!current.length) { el("li", "rm-none", T.no_match, list); return; }
          current.forEach(function (item) {
            var li = el("li", "rm-result", null, list);
            el("span", "rm-name", item[0], li);
            el("span", "rm-kind", item[1], li);
            li.addEventListener("click", function () { go(item); });
          });
        }
        input.addEventListener("input", show);
        input.addEventListener("keydown", function (e) {
          if (e.key === "Enter" && current.length) go(current[0]);
        });
        return box;
      }
    });
    function go(item) {
      if (item[2] === "r") {
        var ls = riverIndex[item[3]] || [];
        if (!ls.length) return;
        var fg = L.featureGroup(ls);
        map.fitBounds(fg.getBounds(), { maxZoom: 12, padding: [20, 20] });
        if (!map.hasLayer(riverLayer)) map.addLayer(riverLayer);
        var first = ls[Math.floor(ls.length / 2)];
        var lls = first.getLatLngs();
        while (lls.length && Array.isArray(lls[0])) lls = lls[0];
        first.openPopup(lls[Math.floor(lls.length / 2)]);
      } else {
        var u = unitIndex[item[3]];
        if (!u) return;
        if (!map.hasLayer(u.group)) map.addLayer(u.group);
        map.fitBounds(u.layer.getBounds(), { maxZoom: 12, padding: [20, 20] });
        u.layer.openTooltip(u.layer.getBounds().getCenter());
      }
    }
    RM.go = go;
    new Search().addTo(map);

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
        document.addEventListener("fullscreenchange", function () {
          a.title = document.fullscreenElement ? T.exit_fullscreen : T.fullscreen;
          map.invalidateSize();
        });
        return bar;
      }
    });
    new Full().addTo(map);

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
        if (kinds.b) item(styles, D.colours.boundary, "7 5", 3, 1, T.boundary_reach);
        if (flagged.length) item(styles, D.colours.flag, null, 8, 0.4, T.flagged);
        if (D.plan) item(styles, D.colours.plan, null, 7, 0.45, T.plan);
        if (kinds.o) item(styles, D.colours.outside, "2 4", 2, 1, T.outside_reach);
        if (styles.childNodes.length === 1) body.removeChild(styles);

        var toggle = null;
        if (D.legend.length) {
          var group = el("div", "rm-group rm-units-group", null, body);
          el("div", "rm-group-title", D.legendTitle, group);
          var fold = el("div", "rm-units-list", null, group);  // what the toggle hides
          el("div", "rm-note", T.legend_colour, fold);
          var list = el("div", D.legend.length > 6 ? "rm-grid" : null, null, fold);
          D.legend.forEach(function (e) { item(list, e[1], null, 4, 1, unitName(e[0]), 16); });
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
    legend._fit();
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
    map.on("resize", legend._fit);
    document.addEventListener("fullscreenchange", function () { setTimeout(legend._fit, 0); });

    RM.maps = RM.maps || [];
    var handle = { map: map, layers: layers, riverIndex: riverIndex, unitIndex: unitIndex,
                   refreshLabels: refreshLabels, legend: legend, texts: T };
    RM.maps.push(handle);
    map.whenReady(function () { setTimeout(refreshLabels, 0); });
    return handle;
  };
})();
"""
