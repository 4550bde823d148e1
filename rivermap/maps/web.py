"""Interactive responsibility maps: one self-contained HTML file that works offline.

:func:`responsibility_map` draws a :class:`~rivermap.Responsibility` on a
:class:`folium.Map`: reaches coloured by their responsible unit (neighbouring
units never share a colour), boundary reaches dashed, flagged rivers haloed,
unit outlines of every level with name labels, an optional plan layer, a
legend, search, full screen and a scale bar, in Chinese or English.
:func:`save_html` writes it as a single file that loads nothing from the
network when the map has no basemap.

Every string from the data reaches the page as JSON inside a script and is put
into the page with ``textContent``; nothing from the data is parsed as HTML.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.map import Layer
from jinja2 import Template

from rivermap.crs import wgs84_to_gcj02
from rivermap.errors import CRSError, RivermapError, RivermapWarning, SchemaError, format_ids
from rivermap.io import atomic_output
from rivermap.maps import _style
from rivermap.maps._offline import (
    RawElement,
    encode_geometries,
    external_urls,
    is_strictly_offline,
    js_literal,
    make_offline,
)

__all__ = ["BASEMAPS", "responsibility_map", "save_html"]

#: Basemaps :func:`responsibility_map` knows; ``None`` (the default) draws no tiles.
BASEMAPS = ("osm", "tianditu", "gaode")

#: Above this many reaches the rivers are drawn on a canvas instead of as SVG paths.
CANVAS_THRESHOLD = 8000

_LEGEND_MAX = 40
#: A legend with more unit colours than this opens collapsed (the river styles stay shown).
_LEGEND_COLLAPSE = 12
_M_PER_DEG = 111_320.0


# ------------------------------------------------------------------ elements
class _RivermapData(MacroElement):
    """The map's data and the call that builds its layers and controls.

    Its script is added verbatim (:class:`RawElement`), never compiled as a
    Jinja template, so no data string can be evaluated by Jinja.
    """

    _template = Template("")

    def __init__(self, meta: str, geoms: str) -> None:
        super().__init__()
        self._name = "RivermapData"
        self.meta = meta
        self.geoms = geoms

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if self._parent is None or not isinstance(figure, Figure):  # pragma: no cover
            msg = "the rivermap data must be added to a map inside a branca Figure"
            raise TypeError(msg)
        script = (
            f"var {self.get_name()} = rivermap.build({self._parent.get_name()}, "
            f"{self.meta}, {self.geoms});\n"
        )
        figure.script.add_child(RawElement(script), name=self.get_name())
        return super().render(**kwargs)


class _RivermapLayer(Layer):
    """One of the layers :class:`_RivermapData` built, for folium's layer control."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "var {{ this.get_name() }} = {{ this.data.get_name() }}.layers[{{ this.key }}];\n"
        "{% endmacro %}"
    )

    def __init__(self, data: _RivermapData, key: str, name: str, *, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RivermapLayer"
        self.data = data
        self.key = js_literal(key)


# ------------------------------------------------------------------- helpers
def _escape_html(value: str) -> str:
    """HTML-escape, and write braces as entities: branca re-reads some output as Jinja."""
    from html import escape

    return escape(value, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _text_or(value: Any, default: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return default
    text = str(value)
    return text if text else default


def _opt_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _opt_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _split(value: Any) -> list[str]:
    text = _opt_text(value)
    if not text:
        return []
    return [part.strip() for part in text.split(";")]


def _to_display_crs(gdf: gpd.GeoDataFrame, gcj: bool, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = (
            f"{what} has no CRS; a map needs one to place it (set it with .set_crs(...) "
            "before rivermap.assign)"
        )
        raise CRSError(msg)
    if gcj:
        return wgs84_to_gcj02(gdf)
    return gdf.to_crs(4326)


def _auto_tolerance_m(bounds: tuple[float, float, float, float]) -> float:
    """Display tolerance in metres: about 1/4000 of the map's extent, 2–300 m."""
    minx, miny, maxx, maxy = bounds
    if not all(map(math.isfinite, bounds)):
        return 10.0
    lat = math.radians((miny + maxy) / 2)
    extent = max((maxx - minx) * _M_PER_DEG * math.cos(lat), (maxy - miny) * _M_PER_DEG)
    return float(min(max(extent / 4000.0, 2.0), 300.0))


def _decimals(tolerance_deg: float) -> int:
    """Decimals that keep rounding well under the simplification tolerance (4–6)."""
    return int(min(max(math.ceil(-math.log10(max(tolerance_deg, 1e-12) / 4)), 4), 6))


def _round(geoms: np.ndarray, decimals: int) -> np.ndarray:
    return np.asarray(shapely.transform(geoms, lambda c: np.round(c, decimals)), dtype=object)


def _simplify_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons of one level together, so shared edges stay shared."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    out = geoms.copy()
    if not ok.any():
        return out
    try:
        out[ok] = shapely.coverage_simplify(geoms[ok], tolerance, simplify_boundary=True)
    except shapely.errors.GEOSException:  # pragma: no cover - GEOS rejects some bad coverages
        out[ok] = shapely.simplify(geoms[ok], tolerance, preserve_topology=True)
    return out


def _parse_basemap(basemap: str | None) -> tuple[str | None, str | None]:
    """``(kind, tianditu key)`` from the ``basemap`` argument."""
    if basemap is None or (isinstance(basemap, str) and basemap.strip().lower() in ("", "none")):
        return None, None
    if not isinstance(basemap, str):
        msg = f"basemap must be a string or None, not {type(basemap).__name__}"
        raise TypeError(msg)
    kind, _, key = basemap.strip().partition(":")
    kind = kind.lower()
    if kind not in BASEMAPS:
        msg = f"basemap={basemap!r} is not known; use None (offline), {', '.join(BASEMAPS)}"
        raise RivermapError(msg)
    if kind == "tianditu":
        key = key.strip() or os.environ.get("TIANDITU_KEY", "").strip()
        if not key:
            msg = (
                "basemap='tianditu' needs a 天地图 (Tianditu) API key: set the environment "
                "variable TIANDITU_KEY, or pass basemap='tianditu:YOUR_KEY' "
                "(get a key at the Tianditu developer site)"
            )
            raise RivermapError(msg)
        return kind, key
    return kind, None


def _add_basemap(m: folium.Map, kind: str, key: str | None, lang: str) -> None:
    if kind == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", max_zoom=19, control=True).add_to(m)
    elif kind == "gaode":
        style, lang_code = "8", ("zh_cn" if lang == "zh" else "en")
        folium.TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang="
            f"{lang_code}&size=1&scale=1&style={style}&x={{x}}&y={{y}}&z={{z}}",
            attr="&copy; 高德地图 AutoNavi",
            name="高德 Gaode",
            subdomains="1234",
            max_zoom=18,
        ).add_to(m)
    elif kind == "tianditu":
        base = (
            "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
        )
        attr = "&copy; 天地图 Tianditu"
        folium.TileLayer(
            base.format(s="{s}", layer="vec", key=key),
            attr=attr,
            name="天地图 Tianditu",
            subdomains="01234567",
            max_zoom=18,
        ).add_to(m)
        note = "cva" if lang == "zh" else "eva"
        folium.TileLayer(
            base.format(s="{s}", layer=note, key=key),
            attr=attr,
            name="天地图注记 labels",
            subdomains="01234567",
            max_zoom=18,
            overlay=True,
            control=False,
        ).add_to(m)


# -------------------------------------------------------------------- inputs
def _flags_table(resp: Any, flags: Any, level: str) -> pd.DataFrame | None:
    if flags is False or flags is None:
        return None
    if flags is True:
        table = resp.flags(level)
    elif isinstance(flags, pd.DataFrame):
        table = flags
    else:
        msg = (
            "flags must be True, False or a DataFrame (from resp.flags()), "
            f"not {type(flags).__name__}"
        )
        raise TypeError(msg)
    if "river_id" not in table.columns:
        msg = (
            f"flags: no 'river_id' column; columns are {format_ids(list(table.columns), limit=20)}"
        )
        raise SchemaError(msg)
    if "level" in table.columns and (table["level"] == level).any():
        table = table[table["level"] == level]
    if "severity" in table.columns:
        table = table.sort_values("severity", ascending=False, kind="stable")
    return table.drop_duplicates("river_id")


def _flag_entries(
    table: pd.DataFrame | None, lang: str, unit_names: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    if table is None or table.empty:
        return {}
    out: dict[str, dict[str, Any]] = {}
    other = "proposal" if lang == "zh" else "proposal_zh"
    mine = "proposal_zh" if lang == "zh" else "proposal"
    for rec in table.to_dict("records"):
        rid = str(rec["river_id"])
        ids = _split(rec.get("units"))
        names = _split(rec.get("unit_names"))
        shares = [_opt_float(s) for s in _split(rec.get("shares"))]
        lengths = [_opt_float(s) for s in _split(rec.get("lengths_m"))]
        n = max(len(ids), len(names))
        rows = []
        for i in range(n):
            uid = ids[i] if i < len(ids) else None
            name = names[i] if i < len(names) and names[i] else unit_names.get(uid or "", uid or "")
            rows.append(
                [
                    uid,
                    name,
                    shares[i] if i < len(shares) else None,
                    lengths[i] if i < len(lengths) else None,
                ]
            )
        reasons = [
            _style.reason_label(r, lang) for r in (_opt_text(rec.get("reasons")) or "").split(",")
        ]
        handovers = _opt_float(rec.get("handovers"))
        out[rid] = {
            "river": rid,
            "units": rows,
            "reasons": [r for r in reasons if r],
            "severity": _opt_float(rec.get("severity")),
            "handovers": None if handovers is None else int(handovers),
            "proposal": _opt_text(rec.get(mine)) or _opt_text(rec.get(other)) or "",
        }
    return out


def _chief_entries(resp: Any, chiefs: pd.DataFrame | None) -> dict[str, list[list[str]]]:
    """``unit_id`` (or ``unit_id\\x01river_id``) -> ``[[name, title, phone, role], ...]``."""
    table = chiefs if chiefs is not None else getattr(resp, "roster", None)
    out: dict[str, list[list[str]]] = {}
    if table is not None:
        if not isinstance(table, pd.DataFrame):
            msg = (
                "chiefs must be a DataFrame (from rivermap.read_chiefs), "
                f"not {type(table).__name__}"
            )
            raise TypeError(msg)
        missing = [c for c in ("unit_id", "name") if c not in table.columns]
        if missing:
            msg = (
                f"chiefs: missing column(s) {', '.join(missing)}; "
                f"columns are {format_ids(list(table.columns), limit=20)}"
            )
            raise SchemaError(msg)
        for rec in table.to_dict("records"):
            uid = _opt_text(rec.get("unit_id"))
            name = _opt_text(rec.get("name"))
            if uid is None or name is None:
                continue
            rid = _opt_text(rec.get("river_id"))
            key = uid if rid is None else f"{uid}\x01{rid}"
            out.setdefault(key, []).append(
                [
                    name,
                    _opt_text(rec.get("title")) or "",
                    _opt_text(rec.get("phone")) or "",
                    _opt_text(rec.get("role")) or "",
                ]
            )
        return out
    # chiefs joined onto the reaches by resp.with_chiefs: chief_<level>[_title|_phone]
    reaches = resp.reaches
    for lv in resp.levels:
        col = f"chief_{lv}"
        if col not in reaches.columns or lv not in reaches.columns:
            continue
        cols = [lv, col] + [c for c in (f"{col}_title", f"{col}_phone") if c in reaches.columns]
        sub = reaches[cols].dropna(subset=[lv, col]).drop_duplicates(lv)
        for rec in sub.to_dict("records"):
            out.setdefault(str(rec[lv]), []).append(
                [
                    str(rec[col]),
                    _opt_text(rec.get(f"{col}_title")) or "",
                    _opt_text(rec.get(f"{col}_phone")) or "",
                    "",
                ]
            )
    return out


# ----------------------------------------------------------------------- API
def responsibility_map(
    resp: Any,
    *,
    level: str | None = None,
    basemap: str | None = None,
    lang: str = "zh",
    flags: bool | pd.DataFrame = True,
    plan: Any = None,
    chiefs: pd.DataFrame | None = None,
    simplify_m: float | None = None,
) -> folium.Map:
    """An interactive map of who is responsible for which reach.

    Rivers are coloured by their responsible unit at ``level``; units that
    touch get different colours (the adjacency graph is coloured), so a change
    of colour along a river is a hand-over. Boundary reaches (界河段) are
    dashed and their tooltips name both banks; flagged rivers have a red halo
    and their popup lists the units, shares, reasons and the proposal. Unit
    outlines of every level are toggleable layers with name labels (shown when
    few enough are in view). A legend, a layer control, search by river or
    unit name, a full-screen button and a scale bar are included.

    The legend shows the river styles first, then the unit colours (units by
    river length, at most 40). With more than 12 units the colour list opens
    collapsed behind a 展开/Show button (it also opens collapsed when it would
    not fit); the legend's height is bounded by the room the map leaves it
    below the layer control (at most 60 % of the map's height) and it scrolls.

    Parameters
    ----------
    resp
        The result of :func:`rivermap.assign` (or :func:`rivermap.read_responsibility`).
    level
        The level whose units colour the rivers; the finest level by default.
    basemap
        ``None`` (default): no tiles, and the saved file makes no network
        request at all. ``"osm"``: OpenStreetMap tiles. ``"tianditu"``: 天地图
        tiles, with the key from the ``TIANDITU_KEY`` environment variable or as
        ``"tianditu:KEY"`` (the key is then written into the page).
        ``"gaode"``: 高德 tiles, which are in GCJ-02; every geometry is shifted
        to GCJ-02 with :func:`rivermap.crs.wgs84_to_gcj02` to line up with them.
    lang
        ``"zh"`` (default) or ``"en"``: labels, tooltips and controls.
    flags
        ``True`` to compute ``resp.flags(level)``, ``False`` for none, or a
        flags DataFrame (``river_id``, ``units``, ``unit_names``, ``shares``,
        ``lengths_m``, ``handovers``, ``reasons``, ``severity``, ``proposal``,
        ``proposal_zh``; a ``level`` column is filtered to ``level``).
    plan
        A plan (from :func:`rivermap.redivide`): an object with ``segments``
        (``segment_id``, ``river_id``, ``from_m``, ``to_m``, ``unit_id`` and
        line geometry; ``name`` and ``unit_name`` optional) and ``level``;
        drawn as a layer with the segment ids.
    chiefs
        The chief roster (``unit_id``, ``name``, and optionally ``title``,
        ``phone``, ``role``, ``river_id``: a chief for one river of the unit).
        By default ``resp.roster``, or the ``chief_<level>`` columns that
        :meth:`~rivermap.Responsibility.with_chiefs` adds to the reaches.
    simplify_m
        Display simplification tolerance in metres; by default about 1/4000 of
        the map's extent (between 2 and 300 m). Units of one level are
        simplified together, so neighbours keep a common edge. Coordinates are
        rounded to match.

    Returns
    -------
    folium.Map
        Shows inline in a notebook; write it with :func:`save_html`.

    Raises
    ------
    RivermapError
        An unknown ``level``, ``lang`` or ``basemap``, or ``"tianditu"`` without a key.
    CRSError
        When the reaches have no CRS.

    Examples
    --------
    >>> import rivermap as rm
    >>> from rivermap.maps import responsibility_map
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> m = responsibility_map(resp, lang="en", flags=False)
    >>> type(m).__name__
    'Map'
    """
    if lang not in ("zh", "en"):
        msg = f"lang={lang!r} is not supported; use 'zh' or 'en'"
        raise RivermapError(msg)
    levels = tuple(resp.levels)
    if level is None:
        level = levels[-1]
    if level not in levels:
        msg = f"level={level!r} is not a level of this result; levels are {', '.join(levels)}"
        raise RivermapError(msg)
    kind, key = _parse_basemap(basemap)
    gcj = kind == "gaode"
    level_index = levels.index(level)

    reaches = _to_display_crs(resp.reaches, gcj, "the reaches")
    units = _to_display_crs(resp.units, gcj, "the units")
    rivers = resp.rivers

    bounds_src = np.concatenate(
        [
            np.asarray(reaches.geometry.values, dtype=object),
            np.asarray(units.geometry.values, dtype=object),
        ]
    )
    bounds = tuple(float(b) for b in shapely.total_bounds(bounds_src))
    tol_m = float(simplify_m) if simplify_m is not None else _auto_tolerance_m(bounds)  # type: ignore[arg-type]
    if not tol_m >= 0:
        msg = f"simplify_m must be a distance in metres >= 0, not {simplify_m!r}"
        raise RivermapError(msg)
    tol_deg = tol_m / _M_PER_DEG
    decimals = _decimals(tol_deg if tol_deg > 0 else 1e-7)

    # ---- units: names, parents, colours, outlines per level
    unit_ids = units["unit_id"].astype(str).to_numpy()
    unit_names = {
        uid: _text_or(name, uid) for uid, name in zip(unit_ids, units["name"].tolist(), strict=True)
    }
    parents = {
        uid: _opt_text(p) for uid, p in zip(unit_ids, units["parent_id"].tolist(), strict=True)
    }
    unit_levels = units["level"].astype(str).to_numpy()
    level_pos = {lv: i for i, lv in enumerate(levels)}
    units_meta = {
        uid: [
            unit_names[uid],
            level_pos.get(lv, -1),
            parents[uid] if parents[uid] in unit_names else None,
        ]
        for uid, lv in zip(unit_ids, unit_levels, strict=True)
    }
    at_level = units[unit_levels == level]
    colours = _style.colour_units(at_level)

    unit_layers_meta: list[dict[str, Any]] = []
    unit_geoms: list[list[list[Any]]] = []
    depth = len(levels)
    for i, lv in enumerate(levels):
        mask = unit_levels == lv
        sub_ids = unit_ids[mask]
        geoms = np.asarray(units.geometry.values[mask], dtype=object)
        simple = _round(_simplify_coverage(geoms, tol_deg) if tol_deg > 0 else geoms, decimals)
        label_pts = shapely.point_on_surface(geoms)
        ok = ~shapely.is_empty(label_pts)
        labels = [
            [round(float(y), decimals), round(float(x), decimals), uid]
            for uid, x, y in zip(
                sub_ids[ok], shapely.get_x(label_pts[ok]), shapely.get_y(label_pts[ok]), strict=True
            )
        ]
        unit_geoms.append(encode_geometries(simple, decimals))
        shade = int(0x33 + (0x99 - 0x33) * (i / max(depth - 1, 1)))
        unit_layers_meta.append(
            {
                "level": lv,
                "colour": f"#{shade:02x}{shade:02x}{shade:02x}",
                "weight": round(2.6 - 1.6 * i / max(depth - 1, 1), 2),
                "fill": 0.10 if lv == level else 0.0,
                "labels": labels,
                "ids": sub_ids.tolist(),
                "colours": [colours.get(uid) if lv == level else None for uid in sub_ids.tolist()],
            }
        )

    # ---- reaches
    geoms = np.asarray(reaches.geometry.values, dtype=object)
    if tol_deg > 0:
        geoms = shapely.simplify(geoms, tol_deg, preserve_topology=False)
    geoms = _round(geoms, decimals)
    kinds = reaches["kind"].astype(str).map({"inside": "i", "boundary": "b", "outside": "o"})
    level_cols = [reaches[lv].tolist() for lv in levels]
    left = (
        reaches["left_unit"].tolist() if "left_unit" in reaches.columns else [None] * len(reaches)
    )
    right = (
        reaches["right_unit"].tolist() if "right_unit" in reaches.columns else [None] * len(reaches)
    )
    reach_props = []
    for j, (rid, river, a, b, k) in enumerate(
        zip(
            reaches["reach_id"].tolist(),
            reaches["river_id"].tolist(),
            reaches["from_m"].tolist(),
            reaches["to_m"].tolist(),
            kinds.tolist(),
            strict=True,
        )
    ):
        ids = [_opt_text(col[j]) for col in level_cols]
        own = ids[level_index]
        reach_props.append(
            {
                "i": str(rid),
                "r": str(river),
                "a": round(float(a), 1),
                "b": round(float(b), 1),
                "k": k if isinstance(k, str) else "o",
                "u": ids,
                "L": _opt_text(left[j]),
                "R": _opt_text(right[j]),
                "c": colours.get(own) if own is not None else None,
            }
        )
    reach_geoms = encode_geometries(geoms, decimals)

    # ancestors of the units on either bank, per level, for boundary tooltips
    sides = {str(p[s]) for p in reach_props for s in ("L", "R") if p[s] is not None}
    ancestors: dict[str, list[str | None]] = {}
    for uid in sides:
        chain: list[str | None] = [None] * depth
        cur: str | None = uid
        guard = 0
        while cur is not None and cur in units_meta and guard < 50:
            pos = units_meta[cur][1]
            if isinstance(pos, int) and 0 <= pos < depth:
                chain[pos] = cur
            cur = parents.get(cur)
            guard += 1
        ancestors[uid] = chain

    river_names = {
        str(rid): _text_or(name, str(rid))
        for rid, name in zip(rivers["river_id"].tolist(), rivers["name"].tolist(), strict=True)
    }
    flag_entries = _flag_entries(_flags_table(resp, flags, level), lang, unit_names)
    flag_entries = {rid: f for rid, f in flag_entries.items() if rid in river_names}
    chief_entries = _chief_entries(resp, chiefs)

    # ---- plan
    plan_meta: dict[str, Any] | None = None
    plan_geoms: list[list[Any]] | None = None
    if plan is not None:
        plan_meta, plan_geoms = _plan_layer(plan, gcj, tol_deg, decimals, units, levels, lang)

    # ---- legend and search
    lengths = (
        at_level.set_index("unit_id")["river_length_m"]
        if "river_length_m" in at_level.columns
        else pd.Series(dtype=float)
    )
    with_rivers = lengths[lengths > 0].sort_values(ascending=False)
    legend = [[str(uid), colours.get(str(uid))] for uid in with_rivers.index[:_LEGEND_MAX]]
    legend_title = _style.text("legend_units", lang) + (
        f"（{_style.level_label(level, lang)}，{len(with_rivers)}）"
        if lang == "zh"
        else f" ({_style.level_label(level, lang)}, {len(with_rivers)})"
    )
    river_word = _style.text("river", lang)
    search = [[name, river_word, "r", rid] for rid, name in river_names.items()]
    search += [
        [unit_names[uid], _style.level_label(lv, lang), "u", uid]
        for uid, lv in zip(unit_ids, unit_levels, strict=True)
    ]

    minx, miny, maxx, maxy = bounds
    finite = all(map(math.isfinite, bounds))
    meta = {
        "texts": _style.ui_texts(lang),
        "levels": [{"key": lv, "label": _style.level_label(lv, lang)} for lv in levels],
        "levelLabel": _style.level_label(level, lang),
        "units": units_meta,
        "ancestors": ancestors,
        "chiefs": chief_entries,
        "flags": flag_entries,
        "rivers": river_names,
        "unitLayers": unit_layers_meta,
        "reaches": reach_props,
        "plan": plan_meta,
        "legend": legend,
        "legendMore": max(len(with_rivers) - _LEGEND_MAX, 0),
        "legendTitle": legend_title,
        "legendCollapsed": len(with_rivers) > _LEGEND_COLLAPSE,
        "search": search,
        "colours": {
            "boundary": _style.BOUNDARY_COLOUR,
            "outside": _style.OUTSIDE_COLOUR,
            "flag": _style.FLAG_COLOUR,
            "plan": _style.PLAN_COLOUR,
        },
        "canvasRivers": len(reaches) > CANVAS_THRESHOLD,
        "bounds": [[miny, minx], [maxy, maxx]] if finite else None,
    }
    geoms_text = js_literal(
        {"factor": 10**decimals, "reaches": reach_geoms, "units": unit_geoms, "plan": plan_geoms}
    )

    centre = [(miny + maxy) / 2, (minx + maxx) / 2] if finite else [30.0, 120.0]
    m = folium.Map(
        location=centre,
        zoom_start=8,
        tiles=None,
        control_scale=True,
        zoom_control=True,
        max_zoom=18,
        zoom_snap=0.25,
    )
    make_offline(m, strict=kind is None)
    title = (
        "河长制责任地图 · rivermap" if lang == "zh" else "River chief responsibility map · rivermap"
    )
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure.title = _escape_html(title)
    if kind is not None:
        _add_basemap(m, kind, key, lang)

    data = _RivermapData(js_literal(meta), geoms_text)
    m.add_child(data, name="rivermap_data")
    level_word = _style.text("units", lang)
    for i, lv in enumerate(levels):
        name = (
            f"{_style.level_label(lv, lang)} {level_word}"
            if lang == "en"
            else f"{_style.level_label(lv, lang)}界"
        )
        m.add_child(
            _RivermapLayer(data, f"units:{lv}", _escape_html(name), show=i <= level_index),
            name=f"rivermap_units_{i}",
        )
    if plan_meta is not None:
        m.add_child(
            _RivermapLayer(data, "plan", _escape_html(_style.text("plan", lang)), show=True),
            name="rivermap_plan",
        )
    m.add_child(
        _RivermapLayer(data, "rivers", _escape_html(_style.text("rivers", lang)), show=True),
        name="rivermap_rivers",
    )
    if flag_entries:
        m.add_child(
            _RivermapLayer(data, "flags", _escape_html(_style.text("flagged", lang)), show=True),
            name="rivermap_flags",
        )
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return m


def _plan_layer(
    plan: Any,
    gcj: bool,
    tol_deg: float,
    decimals: int,
    units: gpd.GeoDataFrame,
    levels: tuple[str, ...],
    lang: str,
) -> tuple[dict[str, Any], list[list[Any]]]:
    segments = getattr(plan, "segments", None)
    if not isinstance(segments, gpd.GeoDataFrame):
        msg = (
            "plan must be a Plan (from rivermap.redivide) with a 'segments' GeoDataFrame, "
            f"not {type(plan).__name__}"
        )
        raise TypeError(msg)
    need = ["segment_id", "river_id", "from_m", "to_m", "unit_id"]
    missing = [c for c in need if c not in segments.columns]
    if missing:
        msg = (
            f"plan.segments: missing column(s) {', '.join(missing)}; "
            f"columns are {format_ids(list(segments.columns), limit=20)}"
        )
        raise SchemaError(msg)
    plan_level = getattr(plan, "level", None)
    segs = _to_display_crs(segments, gcj, "plan.segments")
    unit_levels = units["level"].astype(str).to_numpy()
    if plan_level in levels:
        colours = _style.colour_units(units[unit_levels == plan_level])
    else:
        colours = pd.Series(dtype=object)
    geoms = np.asarray(segs.geometry.values, dtype=object)
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    if tol_deg > 0:
        geoms = shapely.simplify(geoms, tol_deg, preserve_topology=False)
    geoms = _round(geoms, decimals)
    names = segs["name"].tolist() if "name" in segs.columns else [None] * len(segs)
    unit_names = segs["unit_name"].tolist() if "unit_name" in segs.columns else [None] * len(segs)
    props = []
    labels = []
    for j, rec in enumerate(
        segs[["segment_id", "river_id", "from_m", "to_m", "unit_id"]].to_dict("records")
    ):
        uid = _opt_text(rec["unit_id"])
        sid = str(rec["segment_id"])
        props.append(
            {
                "s": sid,
                "r": str(rec["river_id"]),
                "n": _opt_text(names[j]),
                "a": round(float(rec["from_m"]), 1),
                "b": round(float(rec["to_m"]), 1),
                "u": uid,
                "un": _opt_text(unit_names[j]),
                "c": colours.get(uid) if uid is not None else None,
            }
        )
        pt = mids[j]
        if pt is not None and not shapely.is_empty(pt):
            labels.append([round(float(pt.y), decimals), round(float(pt.x), decimals), sid])
    label = (
        _style.level_label(str(plan_level), lang)
        if plan_level is not None
        else _style.text("responsible", lang)
    )
    return {"levelLabel": label, "labels": labels, "segments": props}, encode_geometries(
        geoms, decimals
    )


def save_html(m: folium.Map, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a map as one self-contained HTML file, atomically.

    Leaflet and the map's scripts and styles are inside the file; a map made
    with ``basemap=None`` opens with no network connection at all.

    Parameters
    ----------
    m
        A map from :func:`responsibility_map` (any :class:`folium.Map` works,
        but only rivermap's maps are made offline).
    path
        The ``.html`` file to write.
    overwrite
        Replace an existing file; without it an existing file raises
        :class:`~rivermap.errors.OutputExistsError`.

    Returns
    -------
    Path
        ``path``.

    Warns
    -----
    RivermapWarning
        When a map meant to be offline would still load something from the
        network (e.g. a folium plugin added afterwards links a CDN).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> from rivermap.maps import responsibility_map, save_html
    >>> m = responsibility_map(rm.assign(*rm.datasets.load_demo()), flags=False)
    >>> out = save_html(m, pathlib.Path(tempfile.mkdtemp()) / "map.html")
    >>> out.stat().st_size < 3_000_000
    True
    """
    if not isinstance(m, folium.Map):
        msg = f"save_html expects a folium.Map (from responsibility_map), not {type(m).__name__}"
        raise TypeError(msg)
    html = m.get_root().render()
    if is_strictly_offline(m):
        urls = external_urls(html)
        if urls:
            warnings.warn(
                f"{os.fspath(path)}: the map loads {len(urls)} resource(s) from the network "
                f"and will not work offline: {format_ids(urls)}",
                RivermapWarning,
                stacklevel=2,
            )
    final = Path(path)
    with atomic_output(final, overwrite=overwrite) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return final
