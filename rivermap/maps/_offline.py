"""Everything a rivermap web map needs, inlined so the saved file works offline.

Leaflet's JavaScript and CSS come from the ``xstatic-leaflet`` package (the
Leaflet release folium 0.20 uses), with the images its CSS refers to turned into
``data:`` URIs. The map's own script and style sheet (drawing, search, legend, full screen,
labels) are files in ``static/`` (see :mod:`rivermap.maps._static`), written for
rivermap: they build every
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

from rivermap.maps._static import MAP_SCRIPTS, MAP_STYLES, static_text

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


#: The style sheet of rivermap's controls (``static/map.css``).
RIVERMAP_CSS = "\n".join(static_text(name) for name in MAP_STYLES)
#: The script of every map: ``rivermap.build`` and its plugins (``static/*.js``).
RIVERMAP_JS = "\n".join(static_text(name) for name in MAP_SCRIPTS)
