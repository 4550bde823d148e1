"""Interactive responsibility maps: one self-contained HTML file that works offline.

:func:`responsibility_map` draws a :class:`~rivermap.Responsibility` on a
:class:`folium.Map`: reaches coloured by their responsible unit (neighbouring
units never share a colour), boundary reaches dashed, flagged rivers haloed
by severity, unit outlines of every level with name labels, an optional plan
layer, a legend, search, full screen and a scale bar, in Chinese or English.
:func:`save_html` writes it as a single file that loads nothing from the
network when the map has no basemap. Above :data:`CANVAS_THRESHOLD` lines
(all of China: 20,101 reaches and 14,647 plan segments) the rivers, the halos
and the plan share one canvas; how a zoom then stays under half a second is
told in ``static/map.js`` and ``benchmarks/README.md``.

Every string from the data reaches the page as JSON inside a script and is put
into the page with ``textContent``; nothing from the data is parsed as HTML.
Each is bidi-isolated where it is shown (an element of its own, or a
``<bdi>`` inside a sentence), so that a right-to-left override in a name
cannot turn the page's own words around. A name longer than
:func:`rivermap.text.clip_label` keeps is drawn cut (labels, tooltips, the
legend: ``clipped`` in the data, by the full name) and shown whole in popups
and the search.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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

from rivermap import params
from rivermap._version import rivermap_version
from rivermap.crs import wgs84_to_gcj02
from rivermap.errors import (
    CRSError,
    ParameterError,
    RivermapWarning,
    SchemaError,
    format_ids,
    require_columns,
)
from rivermap.io import atomic_output
from rivermap.maps import _reports_layers, _style
from rivermap.maps._edit_layer import check_edit, edit_payload
from rivermap.maps._offline import (
    RawElement,
    encode_geometries,
    external_urls,
    is_strictly_offline,
    js_literal,
    make_offline,
)
from rivermap.maps._style import flag_scale
from rivermap.params import check_lang, check_length, check_level
from rivermap.text import (
    TERMS,
    clip_label,
    level_label,
    list_separator,
    reason_labels,
    term,
    text_or,
    texts,
)

__all__ = ["BASEMAPS", "MAX_MAP_FEATURES", "responsibility_map", "save_html"]

#: Basemaps :func:`responsibility_map` knows (:data:`rivermap.params.BASEMAPS`);
#: ``None`` (the default) draws no tiles.
BASEMAPS = params.BASEMAPS

#: Above this many lines (reaches and plan segments together) the rivers, the flag
#: halos and the plan are drawn on a canvas instead of as SVG paths. On synthetic
#: cities (``make_city``) with a plan, an animated zoom step took 0.41 s (slowest
#: 0.46 s) as SVG at 2,817 lines and 0.46 s (0.61 s) at 6,260, 0.30 s on canvas.
CANVAS_THRESHOLD = 3000

_LEGEND_MAX = 40
#: A legend with more unit colours than this opens collapsed (the river styles stay shown).
_LEGEND_COLLAPSE = 12
_M_PER_DEG = 111_320.0
#: Reach kinds as the map's script knows them.
_KIND_CODES = {"inside": "i", "boundary": "b", "outside": "o"}
_COLOURS = {
    "boundary": _style.BOUNDARY_COLOUR,
    "outside": _style.OUTSIDE_COLOUR,
    "flag": _style.FLAG_COLOUR,
    "plan": _style.PLAN_COLOUR,
}


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


class _MeetingData(MacroElement):
    """What the print view prints besides the map: the data's credit and rivermap's version.

    Kept in ``rivermap.meeting`` under the map's name (its container's id), set
    before the map is built, for ``meeting.js``; like the map's data, written
    verbatim, never through Jinja.
    """

    _template = Template("")

    def __init__(self, credit: str | None) -> None:
        super().__init__()
        self._name = "RivermapMeeting"
        self.credit = credit

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if self._parent is None or not isinstance(figure, Figure):  # pragma: no cover
            msg = "the rivermap meeting data must be added to a map inside a branca Figure"
            raise TypeError(msg)
        data = {"credit": self.credit, "tool": f"rivermap {rivermap_version()}"}
        script = (
            "(rivermap.meeting = rivermap.meeting || {})"
            f"[{js_literal(self._parent.get_name())}] = {js_literal(data)};\n"
        )
        figure.script.add_child(RawElement(script), name=self.get_name())
        return super().render(**kwargs)


class _RivermapLayer(Layer):
    """One of the layers :class:`_RivermapData` (or the reports) built, for the layer control."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "var {{ this.get_name() }} = {{ this.data.get_name() }}.layers[{{ this.key }}];\n"
        "{% endmacro %}"
    )

    def __init__(self, data: MacroElement, key: str, name: str, *, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RivermapLayer"
        self.data = data
        self.key = js_literal(key)


# ----------------------------------------------------------------------- API
def responsibility_map(
    resp: Any,
    *,
    level: str | None = None,
    basemap: str | Sequence[str] | None = None,
    lang: str = "zh",
    flags: bool | pd.DataFrame = True,
    plan: Any = None,
    chiefs: pd.DataFrame | None = None,
    simplify_m: float | None = None,
    events: gpd.GeoDataFrame | None = None,
    patrols: Any = None,
    note: str | None = None,
    edit: bool = False,
    region: str | None = None,
) -> folium.Map:
    """Draw an interactive map of who is responsible for which reach.

    Rivers are coloured by their responsible unit at ``level``; units that
    touch get different colours (the adjacency graph is coloured), so a change
    of colour along a river is a hand-over. Boundary reaches (界河段) are
    dashed and their tooltips name both banks. Flagged rivers at least as
    severe as a threshold have a red halo, darker and wider as severity grows;
    a slider in the legend sets the threshold (see :func:`flag_scale` for its
    default and the grades), and every flagged river's popup lists the units,
    shares, reasons, severity and the proposal. Unit outlines of every level
    are toggleable layers with name labels, shown where a name fits in its
    unit and meets no other name (coarser levels and larger units first); a
    click on a unit names it, its parents and its chiefs. A legend, a layer
    control, a full-screen button, a scale bar and a search are included: by
    the name of a river (shown with its chief unit), a unit (with its parent)
    or a chief, or by a reach or plan segment id; arrow keys move through the
    results.

    The legend shows the river styles first, then the unit colours (units by
    river length, at most 40). With more than 12 units the colour list opens
    collapsed behind a 展开/Show button (it also opens collapsed when it would
    not fit); the legend's height is bounded by the room the map leaves it
    below the layer control (at most 60 % of the map's height) and it scrolls.

    Reports (工单) and patrol tracks are two more layers. Tickets are circles
    coloured by status, ringed red when routed to no chief and with a dashed
    ring when their reach is ambiguous; where more than 200 would overlap they
    are counted in circles that zoom in when clicked (from zoom 16 on every
    ticket is drawn). Their popups name the ticket, its time, source,
    category and status, the river, reach, chainage and bank, the responsible
    unit, the chief and phone, how it was matched or why not, the other
    candidate reaches and the ticket it may duplicate. Patrol tracks are lines,
    valid ones solid, invalid ones dashed with the reasons in their popup. See
    :mod:`rivermap.maps._reports_layers` for how they are written.

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
        Several, as a list or separated by commas (``"osm,tianditu"``): each
        is a base layer of the layer control (radio buttons), the first shown.
        Every map with tiles also offers 无底图 (No basemap), last unless
        ``"none"`` is named among them (``"none,osm"`` opens without tiles).
        ``gaode`` cannot be mixed with ``osm`` or ``tianditu``: the map is
        shifted to GCJ-02 for it, so the WGS84 tiles would sit off.
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
    events
        Reports routed by :func:`rivermap.route_events` (``event_id``,
        ``reported_at``, ``source``, ``category``, ``status``, ``match``,
        ``reason``, ``ambiguous``, ``river``, ``reach_id``, ``chainage_m``,
        ``side``, ``responsible_name``, ``chief``, ``chief_phone`` … and a
        point geometry in any CRS, EPSG:4326 as a rule), or reports as read by
        :func:`rivermap.read_events` (no ``match`` column), which are routed
        first. Tickets without a location are counted in the legend.
    patrols
        A :class:`~rivermap.patrols.PatrolCoverage` (from
        :func:`rivermap.patrol_coverage`), its ``patrols`` table (one line per
        patrol with ``patrol_id``, ``person``, ``started_at``, ``ended_at``,
        ``minutes``, ``km``, ``speed_kmh``, ``own_share``, ``valid`` and
        ``reasons``), or track points as read by :func:`rivermap.read_patrols`,
        which are judged first.
    note
        Text of a banner across the top of the map. By default, when
        ``events`` or ``patrols`` carry ``attrs["synthetic"]``, the notice
        that the data is synthetic (合成演示数据…).
    edit
        ``True`` (with a ``plan``) opens the planner's editing mode: a side
        panel to split a plan segment at a clicked point (snapped onto the
        line, its chainage shown before confirming), give a segment to another
        unit of the plan's level (one of the units on the reaches under it, or
        any found by name), merge neighbouring segments of one river, undo and
        redo, with the segments' colours and the km per unit following at once
        (a preview computed in the page) and a note per edit. "Download edits"
        saves them as GeoJSON (WGS84, also from a ``"gaode"`` map) that
        :meth:`rivermap.Plan.apply_edits` and ``rivermap redivide --edits``
        take unchanged; the file names the plan (:attr:`rivermap.Plan.plan_id`
        and its content hash) and is refused by any other plan. See
        :mod:`rivermap.maps._edit_layer`; in Jupyter,
        :class:`rivermap.maps.PlanEditor` is the same editor as a widget.
    region
        The ``unit_id`` of one unit (a province, city or district …): draw
        only its part of the result (:meth:`rivermap.Responsibility.within`),
        with the flags of the whole result. A map holds at most
        :data:`MAX_MAP_FEATURES` reaches and units together, which a browser
        draws smoothly; a larger result (a country at village level) is
        refused with a message naming regions to draw instead.

    Returns
    -------
    folium.Map
        Shows inline in a notebook; write it with :func:`save_html`.

    Raises
    ------
    ParameterError
        More than :data:`MAX_MAP_FEATURES` reaches and units, an unknown
        ``region``, an unknown ``level``, ``lang`` or ``basemap`` (or one named twice),
        ``gaode`` with another basemap, ``"tianditu"`` without a key, a
        negative ``simplify_m``, or ``edit=True`` without a ``plan`` (checked
        before any work).
    TypeError
        A ``basemap``, ``flags``, ``plan``, ``chiefs``, ``events``,
        ``patrols`` or ``note`` of the wrong type.
    SchemaError
        Routed ``events`` without ``event_id``, judged ``patrols`` without
        ``patrol_id``.
    CRSError
        When the reaches, or located tickets or tracks, have no CRS.

    Examples
    --------
    >>> import rivermap as rm
    >>> from rivermap.maps import responsibility_map
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> m = responsibility_map(resp, lang="en", flags=False)
    >>> type(m).__name__
    'Map'
    """
    opts = _options(resp, level, basemap, lang, simplify_m)
    edit = check_edit(edit, plan)
    _reports_layers.check_reports(events, patrols, note)
    if region is not None:
        flags = resp.flags(opts.level) if flags is True else flags
        resp = resp.within(region)
    check_map_size(resp)
    reports = _reports_layers.reports_of(resp, events, patrols, note, opts.lang)
    shown = _display(resp, opts)
    meta, geoms = _map_data(resp, shown, opts, flags=flags, plan=plan, chiefs=chiefs)
    if edit:
        meta["edit"] = edit_payload(plan, levels=opts.levels, units=shown.units, gcj=opts.gcj)
    m = _new_map(shown, opts)
    data = _RivermapData(js_literal(meta), js_literal(geoms))
    m.add_child(data, name="rivermap_data")
    _add_layers(m, data, opts, plan=meta["plan"] is not None, flags=bool(meta["flags"]))
    if reports is not None:
        _add_reports(m, data, reports, opts)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return m


# ------------------------------------------------------------------- options
@dataclass(frozen=True)
class _Options:
    """The checked arguments of :func:`responsibility_map`."""

    lang: str
    levels: tuple[str, ...]
    level: str
    basemaps: tuple[tuple[str, str | None], ...]  # (kind, tianditu key); () for no tiles
    simplify_m: float | None

    @property
    def gcj(self) -> bool:
        """Whether geometries are shifted to GCJ-02 (for GCJ-02 tiles: 高德)."""
        return any(kind in params.GCJ02_BASEMAPS for kind, _ in self.basemaps)

    @property
    def level_index(self) -> int:
        """The position of the colouring level among the levels."""
        return self.levels.index(self.level)


#: The most reaches and units, together, that one map inlines.
MAX_MAP_FEATURES = 150_000


def check_map_size(resp: Any) -> None:
    """Refuse a result too large for one page, naming the regions to draw instead.

    The all-China map at district level holds about 23,000 reaches and units;
    a country at village level holds millions, which no browser draws.
    """
    n = len(resp.reaches) + len(resp.units)
    if n <= MAX_MAP_FEATURES:
        return
    top = resp.levels[0]
    counts = resp.reaches[top].value_counts()
    units = resp.units.set_index(resp.units["unit_id"].astype(str))["name"]
    biggest = [f"{u} {text_or(units.get(str(u)), '')}".strip() for u in counts.index[:5]]
    msg = (
        f"the map would hold {len(resp.reaches):,} reaches and {len(resp.units):,} units, "
        f"more than the {MAX_MAP_FEATURES:,} a browser draws smoothly; draw one region with "
        f"region='UNIT_ID' (--region on the command line), e.g. a {top}: "
        f"{format_ids(biggest)} ({len(counts)} in all), or a unit of a lower level"
    )
    raise ParameterError(msg)


def _options(
    resp: Any, level: str | None, basemap: Any, lang: str, simplify_m: float | None
) -> _Options:
    """Check the arguments of :func:`responsibility_map` before any work."""
    lang = check_lang(lang)
    levels = tuple(resp.levels)
    level = check_level(levels[-1] if level is None else level, levels)
    basemaps = _parse_basemap(basemap)
    tol = None if simplify_m is None else check_length("simplify_m", simplify_m)
    return _Options(lang, levels, level, basemaps, tol)


def _parse_basemap(basemap: str | Sequence[str] | None) -> tuple[tuple[str, str | None], ...]:
    """Return the ``(kind, tianditu key)`` of every basemap the argument names, in its order.

    ``()`` is no tiles. A ``"none"`` among others is the map without tiles,
    placed where it was named; the map adds it at the end when it was not.
    Tianditu's key comes from ``"tianditu:KEY"``, else ``$TIANDITU_KEY``.
    """
    out = []
    for kind, given in params.check_basemaps("basemap", basemap):
        key = given
        if kind == "tianditu":
            key = given or os.environ.get("TIANDITU_KEY", "").strip() or None
            if key is None:
                msg = (
                    "basemap='tianditu' needs a Tianditu API key: set the environment "
                    "variable TIANDITU_KEY, or pass basemap='tianditu:YOUR_KEY' "
                    "(get a key at the Tianditu developer site)"
                )
                raise ParameterError(msg)
        out.append((kind, key))
    if out and "none" not in {kind for kind, _ in out}:
        out.append(("none", None))
    return tuple(out)


# ------------------------------------------------------------- display data
@dataclass(frozen=True)
class _Display:
    """The reaches and units in display degrees, and how much to simplify and round them."""

    reaches: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    bounds: tuple[float, float, float, float]
    tol_deg: float
    decimals: int

    @property
    def finite(self) -> bool:
        """Whether there is anything to show (the bounds are finite)."""
        return all(map(math.isfinite, self.bounds))

    def lines(self, geoms: np.ndarray) -> np.ndarray:
        """Return lines simplified to the display tolerance and rounded."""
        if self.tol_deg > 0:
            geoms = shapely.simplify(geoms, self.tol_deg, preserve_topology=False)
        return _round(geoms, self.decimals)


def _display(resp: Any, opts: _Options) -> _Display:
    """Return the reaches and units in display degrees, with the tolerance and decimals."""
    reaches = _to_display_crs(resp.reaches, opts.gcj, "the reaches")
    units = _to_display_crs(resp.units, opts.gcj, "the units")
    every = np.concatenate(
        [
            np.asarray(reaches.geometry.values, dtype=object),
            np.asarray(units.geometry.values, dtype=object),
        ]
    )
    minx, miny, maxx, maxy = (float(b) for b in shapely.total_bounds(every))
    bounds = (minx, miny, maxx, maxy)
    tol_m = opts.simplify_m if opts.simplify_m is not None else _auto_tolerance_m(bounds)
    tol_deg = tol_m / _M_PER_DEG
    decimals = _decimals(tol_deg if tol_deg > 0 else 1e-7)
    return _Display(reaches, units, bounds, tol_deg, decimals)


@dataclass(frozen=True)
class _Units:
    """Every unit's id, level, name and parent, as the map's script reads them."""

    ids: np.ndarray
    levels: np.ndarray
    names: dict[str, str]
    parents: dict[str, str | None]
    meta: dict[str, list[Any]]


def _units_index(units: gpd.GeoDataFrame, levels: Sequence[str]) -> _Units:
    """Return the units by id: ``[name, level position, parent id]`` for the script."""
    ids = units["unit_id"].astype(str).to_numpy()
    names = {uid: text_or(name, uid) for uid, name in zip(ids, units["name"], strict=True)}
    parents = dict(zip(ids, _text_list(units["parent_id"]), strict=True))
    unit_levels = units["level"].astype(str).to_numpy()
    position = {lv: i for i, lv in enumerate(levels)}
    meta = {
        uid: [
            names[uid],
            position.get(lv, -1),
            parents[uid] if parents[uid] in names else None,
        ]
        for uid, lv in zip(ids, unit_levels, strict=True)
    }
    return _Units(ids, unit_levels, names, parents, meta)


def _text_list(values: Any) -> list[str | None]:
    """Return values as text, None where missing (ids, names, from a column)."""
    return [None if v is None else str(v) for v in texts(np.asarray(values, dtype=object))]


def _map_data(
    resp: Any, shown: _Display, opts: _Options, *, flags: Any, plan: Any, chiefs: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return what the map's script draws: its data and the encoded geometries."""
    units = _units_index(shown.units, opts.levels)
    at_level = shown.units[units.levels == opts.level]
    colours = _style.colour_units(at_level)
    unit_layers, unit_geoms = _units_layers(shown, units, opts, colours)
    reaches = _reach_props(shown.reaches, opts, colours)
    rivers = _river_names(resp.rivers)
    plan_meta, plan_geoms = (None, None) if plan is None else _plan_layer(plan, shown, units, opts)
    minx, miny, maxx, maxy = shown.bounds
    flags_table = _flags_table(resp, flags, opts.level)
    chiefs_by_unit = _chief_entries(resp, chiefs)
    words = {
        lang: _page_words(opts, lang, at_level, flags_table, units, plan, rivers)
        for lang in params.LANGS
    }
    meta = {
        **words[opts.lang],
        "lang": opts.lang,
        "i18n": {
            lang: language_diff(words[opts.lang], words[lang])
            for lang in params.LANGS
            if lang != opts.lang
        },
        "units": units.meta,
        "ancestors": _bank_ancestors(reaches, units, len(opts.levels)),
        "chiefs": chiefs_by_unit,
        "rivers": rivers,
        "clipped": clipped_names(
            units.names.values(),
            rivers.values(),
            [c[k] for cs in chiefs_by_unit.values() for c in cs for k in (0, 1)],
            [] if plan_meta is None else [s[k] for s in plan_meta["segments"] for k in ("n", "un")],
        ),
        "unitLayers": unit_layers,
        "reaches": reaches,
        "plan": plan_meta,
        **_legend_units(at_level, colours),
        "riverUnits": _river_units(resp.rivers, units.names),
        "colours": dict(_COLOURS),
        "styles": _style.web_styles(),
        "canvas": len(shown.reaches) + len(plan_geoms or ()) > CANVAS_THRESHOLD,
        "flagScale": flag_scale(_severities(flags_table, rivers)),
        "bounds": [[miny, minx], [maxy, maxx]] if shown.finite else None,
    }
    geoms = {
        "factor": 10**shown.decimals,
        "reaches": encode_geometries(
            shown.lines(np.asarray(shown.reaches.geometry.values, dtype=object)), shown.decimals
        ),
        "units": unit_geoms,
        "plan": plan_geoms,
    }
    return meta, geoms


# ---------------------------------------------------------------- languages
def _page_words(
    opts: _Options,
    lang: str,
    at_level: gpd.GeoDataFrame,
    flags: pd.DataFrame | None,
    units: _Units,
    plan: Any,
    rivers: Mapping[str, str],
) -> dict[str, Any]:
    """Return every part of the page's data that is written in ``lang``.

    The page carries these for its own language in its data and, for the
    other, what differs (:func:`language_diff`), which its language switch
    swaps in (``handle.setLang`` in ``map.js``).
    """
    plan_level = getattr(plan, "level", None) if plan is not None else None
    return {
        "texts": script_texts(lang),
        "title": term("ui.title", lang),
        "levels": [{"key": lv, "label": level_label(lv, lang)} for lv in opts.levels],
        "levelLabel": level_label(opts.level, lang),
        "legendTitle": _legend_title(at_level, opts.level, lang),
        "planLevelLabel": (
            level_label(str(plan_level), lang)
            if plan_level is not None
            else term("ui.responsible", lang)
        ),
        "layerNames": layer_names(opts.levels, lang),
        "flags": {
            rid: f for rid, f in _flag_entries(flags, lang, units.names).items() if rid in rivers
        },
    }


def layer_names(levels: Sequence[str], lang: str) -> dict[str, str]:
    """Return the name in the layer control of every layer a map can have, by its key.

    Examples
    --------
    >>> layer_names(["district"], "en")["units:district"], layer_names([], "zh")["events"]
    ('district units', '工单')
    """
    names = {
        f"units:{lv}": term("ui.unit_layer", lang, level=level_label(lv, lang)) for lv in levels
    }
    return names | {
        "plan": term("ui.plan", lang),
        "rivers": term("ui.rivers", lang),
        "flags": term("ui.flagged", lang),
        "patrols": term("ui.patrols", lang),
        "events": term("ui.events", lang),
    }


def language_diff(mine: Any, other: Any) -> Any:
    """Return what ``other`` changes in ``mine``: dicts and same-length lists by their keys.

    Lists of the same length become ``{"index": change}``, so the page changes
    its arrays in place and every reference to them sees the other language.
    Equal values are left out. Both must have the same shape: a dict where
    the other has a list (or the reverse) raises :class:`TypeError`, since a
    dict of changes to a list could not be told from a dict replacing it.

    Examples
    --------
    >>> language_diff({"a": "一", "b": 1, "c": ["x", "y"]}, {"a": "one", "b": 1, "c": ["x", "z"]})
    {'a': 'one', 'c': {'1': 'z'}}
    """
    diff = _diff(mine, other)
    return {} if diff is _SAME else diff


_SAME = object()


def _diff(mine: Any, other: Any, where: str = "") -> Any:
    if mine == other:
        return _SAME
    kinds = (isinstance(mine, Mapping), isinstance(other, Mapping))
    if (
        isinstance(mine, list | Mapping)
        and isinstance(other, list | Mapping)
        and kinds[0] != kinds[1]
    ):
        msg = f"language_diff: a list in one language is a dict in the other at {where}"
        raise TypeError(msg)
    if isinstance(mine, Mapping) and isinstance(other, Mapping):
        pairs = [(str(k), mine.get(k, _SAME), v) for k, v in other.items()]
    elif isinstance(mine, list) and isinstance(other, list) and len(mine) == len(other):
        pairs = [(str(i), a, b) for i, (a, b) in enumerate(zip(mine, other, strict=True))]
    else:
        return other
    out = {}
    for key, a, b in pairs:
        d = b if a is _SAME else _diff(a, b, f"{where}[{key!r}]")
        if d is not _SAME:
            out[key] = d
    return out


def script_texts(lang: str) -> dict[str, str]:
    """Return the words of the map's script: every ``ui.`` term, by its key without ``ui.``.

    ``list_sep`` is what stands between the items of a list (、 or ", "), as in
    the tables.

    Examples
    --------
    >>> script_texts("zh")["boundary_reach"], script_texts("en")["search"]
    ('界河段', 'Search a river, unit, chief or id…')
    """
    words = {key.removeprefix("ui."): term(key, lang) for key in TERMS if key.startswith("ui.")}
    return words | {"list_sep": list_separator(lang)}


# -------------------------------------------------------------------- units
def _units_layers(
    shown: _Display, units: _Units, opts: _Options, colours: pd.Series
) -> tuple[list[dict[str, Any]], list[list[list[Any]]]]:
    """Return per level the outline layer's data and its encoded polygons."""
    layers: list[dict[str, Any]] = []
    geoms: list[list[list[Any]]] = []
    for i in range(len(opts.levels)):
        layer, encoded = _unit_layer(shown, units, opts, colours, i)
        layers.append(layer)
        geoms.append(encoded)
    return layers, geoms


def _unit_layer(
    shown: _Display, units: _Units, opts: _Options, colours: pd.Series, i: int
) -> tuple[dict[str, Any], list[list[Any]]]:
    """Return the outlines of level number ``i``: style, labels, ids, colours and polygons."""
    lv = opts.levels[i]
    mask = units.levels == lv
    ids = units.ids[mask]
    geoms = np.asarray(shown.units.geometry.values[mask], dtype=object)
    tol, decimals = shown.tol_deg, shown.decimals
    simple = _round(_simplify_coverage(geoms, tol) if tol > 0 else geoms, decimals)
    colour, weight = _style.unit_outline(i, len(opts.levels))
    layer = {
        "level": lv,
        "colour": colour,
        "weight": weight,
        "fill": _style.UNIT_FILL_OPACITY if lv == opts.level else 0.0,
        "labels": _label_points(geoms, ids, decimals),
        "ids": ids.tolist(),
        "colours": [colours.get(uid) if lv == opts.level else None for uid in ids.tolist()],
    }
    return layer, encode_geometries(simple, decimals)


def _label_points(geoms: np.ndarray, ids: np.ndarray, decimals: int) -> list[list[Any]]:
    """Return ``[lat, lng, id, width, height]`` of every polygon's label, largest polygon first.

    The point lies inside the polygon; width and height are its bounding box in
    degrees. The map shows a unit's name only where the name fits in that box
    at the current zoom, and where names would overlap it keeps those that come
    first (larger units), see ``placeLabels`` in ``static/map.js``.

    Examples
    --------
    >>> from shapely import box
    >>> _label_points(np.array([box(0, 0, 1, 1), box(2, 0, 5, 2)]), np.array(["a", "b"]), 4)
    [[1.0, 3.5, 'b', 3.0, 2.0], [0.5, 0.5, 'a', 1.0, 1.0]]
    """
    points = shapely.point_on_surface(geoms)
    ok = ~shapely.is_missing(points) & ~shapely.is_empty(points)
    order = np.flatnonzero(ok)[np.argsort(-shapely.area(geoms[ok]), kind="stable")]
    return _labels(points[order], ids[order], shapely.bounds(geoms[order]), decimals)


def _labels(
    points: np.ndarray, ids: np.ndarray, bounds: np.ndarray, decimals: int
) -> list[list[Any]]:
    """Return ``[lat, lng, id, width, height]`` rows, in the order given."""
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    widths = np.round(np.maximum(bounds[:, 2] - bounds[:, 0], 0.0), 4)
    heights = np.round(np.maximum(bounds[:, 3] - bounds[:, 1], 0.0), 4)
    return [
        [round(float(y), decimals), round(float(x), decimals), str(uid), float(w), float(h)]
        for uid, x, y, w, h in zip(ids, xs, ys, widths, heights, strict=True)
    ]


def _bank_ancestors(
    reaches: list[dict[str, Any]], units: _Units, depth: int
) -> dict[str, list[str | None]]:
    """Return, for the unit on either bank of a reach, its ancestor at every level."""
    sides = sorted({p[s] for p in reaches for s in ("L", "R") if p[s] is not None})
    out: dict[str, list[str | None]] = {}
    for uid in sides:
        chain: list[str | None] = [None] * depth
        cur: str | None = uid
        guard = 0
        while cur is not None and cur in units.meta and guard < 50:
            pos = units.meta[cur][1]
            if isinstance(pos, int) and 0 <= pos < depth:
                chain[pos] = cur
            cur = units.parents.get(cur)
            guard += 1
        out[uid] = chain
    return out


# ------------------------------------------------------------------ reaches
def _reach_props(
    reaches: gpd.GeoDataFrame, opts: _Options, colours: pd.Series
) -> list[dict[str, Any]]:
    """Return every reach as the script reads it: ids, from/to, kind, units, banks, colour."""
    n = len(reaches)
    kinds = reaches["kind"].astype(str).map(_KIND_CODES).tolist()
    by_level = [_text_list(reaches[lv]) for lv in opts.levels]
    left = _text_list(reaches["left_unit"]) if "left_unit" in reaches.columns else [None] * n
    right = _text_list(reaches["right_unit"]) if "right_unit" in reaches.columns else [None] * n
    props = []
    for j, (rid, river, a, b) in enumerate(
        zip(
            reaches["reach_id"].tolist(),
            reaches["river_id"].tolist(),
            reaches["from_m"].tolist(),
            reaches["to_m"].tolist(),
            strict=True,
        )
    ):
        ids = [col[j] for col in by_level]
        own = ids[opts.level_index]
        props.append(
            {
                "i": str(rid),
                "r": str(river),
                "a": round(float(a), 1),
                "b": round(float(b), 1),
                "k": kinds[j] if isinstance(kinds[j], str) else "o",
                "u": ids,
                "L": left[j],
                "R": right[j],
                "c": colours.get(own) if own is not None else None,
            }
        )
    return props


def _river_names(rivers: pd.DataFrame) -> dict[str, str]:
    """Return every river's name by id (its id when it has no name)."""
    return {
        str(rid): text_or(name, str(rid))
        for rid, name in zip(rivers["river_id"].tolist(), rivers["name"].tolist(), strict=True)
    }


def clipped_names(*groups: Iterable[str | None]) -> dict[str, str]:
    """Return ``{name: name as drawn}`` for the names :func:`clip_label` cuts, usually none.

    The map's script draws a name (a unit's label, a legend entry, a
    tooltip) as its entry here when it has one; popups and the search read
    the full name.

    Examples
    --------
    >>> clipped_names(["西湖区", "长" * 30], [None, "西湖区"]) == {"长" * 30: "长" * 19 + "…"}
    True
    """
    out: dict[str, str] = {}
    for group in groups:
        for name in group:
            if name is not None and name not in out and clip_label(name) != name:
                out[name] = clip_label(name)
    return out


# -------------------------------------------------------- legend and search
def _units_with_rivers(at_level: gpd.GeoDataFrame) -> pd.Series:
    """Return the river length of the level's units that have rivers, longest first."""
    lengths = (
        at_level.set_index("unit_id")["river_length_m"]
        if "river_length_m" in at_level.columns
        else pd.Series(dtype=float)
    )
    return lengths[lengths > 0].sort_values(ascending=False)


def _legend_units(at_level: gpd.GeoDataFrame, colours: pd.Series) -> dict[str, Any]:
    """Return the legend's unit colours (by river length) and whether it opens shut."""
    with_rivers = _units_with_rivers(at_level)
    return {
        "legend": [[str(uid), colours.get(str(uid))] for uid in with_rivers.index[:_LEGEND_MAX]],
        "legendMore": max(len(with_rivers) - _LEGEND_MAX, 0),
        "legendCollapsed": len(with_rivers) > _LEGEND_COLLAPSE,
    }


def _legend_title(at_level: gpd.GeoDataFrame, level: str, lang: str) -> str:
    """Return the title of the legend's unit colours: the level and how many units."""
    n = len(_units_with_rivers(at_level))
    count = term("ui.legend_units_count", lang, level=level_label(level, lang), n=n)
    return term("ui.legend_units", lang) + count


def _river_units(rivers: pd.DataFrame, names: Mapping[str, str]) -> dict[str, str]:
    """Return every river's chief unit (the unit its whole length lies in), for search results."""
    if "chief_unit" not in rivers.columns:
        return {}
    units = _text_list(rivers["chief_unit"])
    return {
        str(rid): unit
        for rid, unit in zip(rivers["river_id"].tolist(), units, strict=True)
        if unit is not None and unit in names
    }


# ------------------------------------------------------------- folium objects
def _new_map(shown: _Display, opts: _Options) -> folium.Map:
    """Return an offline folium map centred on the data, titled, with the basemap if any."""
    minx, miny, maxx, maxy = shown.bounds
    centre = [(miny + maxy) / 2, (minx + maxx) / 2] if shown.finite else [30.0, 120.0]
    m = folium.Map(
        location=centre,
        zoom_start=8,
        tiles=None,
        control_scale=False,  # meeting.js adds a metric-only one, which prints too
        zoom_control=True,
        max_zoom=18,
        zoom_snap=0.25,
    )
    make_offline(m, strict=not opts.basemaps)
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure.title = _escape_html(term("ui.title", opts.lang))
    for i, (kind, key) in enumerate(opts.basemaps):
        _add_basemap(m, kind, key, opts.lang, show=i == 0)
    m.add_child(_MeetingData(_data_credit(shown)), name="rivermap_meeting")
    return m


def _data_credit(shown: _Display) -> str | None:
    """Return the data's own credit line (``attrs["attribution"]`` of the reaches or units)."""
    found = []
    for table in (shown.reaches, shown.units):
        credit = text_or(table.attrs.get("attribution"))
        if credit is not None and credit not in found:
            found.append(credit)
    return "; ".join(found) or None


def _add_layers(
    m: folium.Map, data: _RivermapData, opts: _Options, *, plan: bool, flags: bool
) -> None:
    """Add the layers the script builds to the layer control: units, plan, rivers, flags."""
    names = layer_names(opts.levels, opts.lang)
    for i, lv in enumerate(opts.levels):
        key = f"units:{lv}"
        _add_layer(m, data, key, names[key], f"rivermap_units_{i}", show=i <= opts.level_index)
    if plan:
        _add_layer(m, data, "plan", names["plan"], "rivermap_plan")
    _add_layer(m, data, "rivers", names["rivers"], "rivermap_rivers")
    if flags:
        _add_layer(m, data, "flags", names["flags"], "rivermap_flags")


def _add_layer(
    m: folium.Map, data: MacroElement, key: str, name: str, child: str, *, show: bool = True
) -> None:
    m.add_child(_RivermapLayer(data, key, _escape_html(name), show=show), name=child)


def _add_reports(
    m: folium.Map, data: _RivermapData, reports: _reports_layers.Reports, opts: _Options
) -> None:
    """Add the tickets, the patrol tracks and the banner, and their layers to the layer control."""
    payloads = _reports_layers.reports_payloads(
        reports,
        opts.lang,
        params.LANGS,
        lambda table, what: _to_display_crs(table, opts.gcj, what),
    )
    mine = payloads[opts.lang]
    mine["i18n"] = {
        lang: language_diff(mine, words) for lang, words in payloads.items() if lang != opts.lang
    }
    element = _reports_layers.ReportsData(data, js_literal(mine))
    m.add_child(element, name="rivermap_reports")
    names = layer_names(opts.levels, opts.lang)
    if reports.patrols is not None:
        _add_layer(m, element, "patrols", names["patrols"], "rivermap_patrols")
    if reports.events is not None:
        _add_layer(m, element, "events", names["events"], "rivermap_events")


# ----------------------------------------------------------- flags, chiefs
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


def _severities(table: pd.DataFrame | None, rivers: Mapping[str, str]) -> list[float]:
    """Return the severity of every flagged river on the map that has one."""
    if table is None or table.empty or "severity" not in table.columns:
        return []
    on_map = table["river_id"].astype(str).isin(list(rivers))
    values = pd.to_numeric(table.loc[on_map, "severity"], errors="coerce")
    return [float(v) for v in values.dropna()]


def _flag_entries(
    table: pd.DataFrame | None, lang: str, unit_names: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Return the popup of every flagged river: units and shares, reasons, proposal."""
    if table is None or table.empty:
        return {}
    return {
        str(rec["river_id"]): _flag_entry(rec, lang, unit_names) for rec in table.to_dict("records")
    }


def _flag_entry(rec: Mapping[Any, Any], lang: str, unit_names: Mapping[str, str]) -> dict[str, Any]:
    """Return one flagged river's popup data from its row of the flags table."""
    mine, other = ("proposal_zh", "proposal") if lang == "zh" else ("proposal", "proposal_zh")
    handovers = _opt_float(rec.get("handovers"))
    codes = [r.strip() for r in text_or(rec.get("reasons"), "").split(",") if r.strip()]
    return {
        "river": str(rec["river_id"]),
        "units": _flag_units(rec, unit_names),
        "reasons": [reason_labels(code, lang) for code in codes],
        "severity": _opt_float(rec.get("severity")),
        "handovers": None if handovers is None else int(handovers),
        "proposal": text_or(rec.get(mine)) or text_or(rec.get(other)) or "",
    }


def _flag_units(rec: Mapping[Any, Any], unit_names: Mapping[str, str]) -> list[list[Any]]:
    """Return ``[unit id, name, share, metres]`` of every unit along a flagged river."""
    ids = _split(rec.get("units"))
    names = _split(rec.get("unit_names"))
    shares = [_opt_float(s) for s in _split(rec.get("shares"))]
    lengths = [_opt_float(s) for s in _split(rec.get("lengths_m"))]
    rows = []
    for i in range(max(len(ids), len(names))):
        uid = ids[i] if i < len(ids) else None
        name = names[i] if i < len(names) and names[i] else unit_names.get(uid or "", uid or "")
        share = shares[i] if i < len(shares) else None
        length = lengths[i] if i < len(lengths) else None
        rows.append([uid, name, share, length])
    return rows


def _split(value: Any) -> list[str]:
    """Return the parts of a ``;``-separated cell, none when it is missing."""
    cell = text_or(value, "")
    return [part.strip() for part in cell.split(";")] if cell else []


def _chief_entries(resp: Any, chiefs: pd.DataFrame | None) -> dict[str, list[list[str]]]:
    r"""Return ``unit_id`` (or ``unit_id\x01river_id``) -> ``[[name, title, phone, role], ...]``.

    From ``chiefs``, else ``resp.roster``, else the ``chief_<level>`` columns
    that :meth:`~rivermap.Responsibility.with_chiefs` adds to the reaches.
    """
    table = chiefs if chiefs is not None else getattr(resp, "roster", None)
    if table is None:
        return _joined_chiefs(resp)
    if not isinstance(table, pd.DataFrame):
        msg = f"chiefs must be a DataFrame (from rivermap.read_chiefs), not {type(table).__name__}"
        raise TypeError(msg)
    require_columns(table.columns, ("unit_id", "name"), "chiefs")
    out: dict[str, list[list[str]]] = {}
    for rec in table.to_dict("records"):
        uid, name = text_or(rec.get("unit_id")), text_or(rec.get("name"))
        if uid is None or name is None:
            continue
        rid = text_or(rec.get("river_id"))
        key = uid if rid is None else f"{uid}\x01{rid}"
        extra = [text_or(rec.get(c), "") for c in ("title", "phone", "role")]
        out.setdefault(key, []).append([name, *extra])
    return out


def _joined_chiefs(resp: Any) -> dict[str, list[list[str]]]:
    """Return the chiefs in the ``chief_<level>[_title|_phone]`` columns of the reaches."""
    reaches = resp.reaches
    out: dict[str, list[list[str]]] = {}
    for lv in resp.levels:
        col = f"chief_{lv}"
        if col not in reaches.columns or lv not in reaches.columns:
            continue
        cols = [lv, col] + [c for c in (f"{col}_title", f"{col}_phone") if c in reaches.columns]
        sub = reaches[cols].dropna(subset=[lv, col]).drop_duplicates(lv)
        for rec in sub.to_dict("records"):
            extra = [text_or(rec.get(f"{col}_{part}"), "") for part in ("title", "phone")]
            out.setdefault(str(rec[lv]), []).append([str(rec[col]), *extra, ""])
    return out


# --------------------------------------------------------------------- plan
def _plan_layer(
    plan: Any, shown: _Display, units: _Units, opts: _Options
) -> tuple[dict[str, Any], list[list[Any]]]:
    """Return the plan layer's data (segments, their labels, the level) and its lines."""
    segs = _to_display_crs(_plan_segments(plan), opts.gcj, "plan.segments")
    plan_level = getattr(plan, "level", None)
    if plan_level in opts.levels:
        colours = _style.colour_units(shown.units[units.levels == plan_level])
    else:
        colours = pd.Series(dtype=object)
    geoms = np.asarray(segs.geometry.values, dtype=object)
    meta = {
        "labels": _segment_labels(segs, geoms, shown.decimals),
        "segments": _segment_props(segs, colours),
    }
    return meta, encode_geometries(shown.lines(geoms), shown.decimals)


def _plan_segments(plan: Any) -> gpd.GeoDataFrame:
    """Return the plan's segments, checked for the columns the map needs."""
    segments = getattr(plan, "segments", None)
    if not isinstance(segments, gpd.GeoDataFrame):
        msg = (
            "plan must be a Plan (from rivermap.redivide) with a 'segments' GeoDataFrame, "
            f"not {type(plan).__name__}"
        )
        raise TypeError(msg)
    require_columns(
        segments.columns, ("segment_id", "river_id", "from_m", "to_m", "unit_id"), "plan.segments"
    )
    return segments


def _segment_props(segs: gpd.GeoDataFrame, colours: pd.Series) -> list[dict[str, Any]]:
    """Return every plan segment as the script reads it: ids, name, from/to, unit, colour."""
    n = len(segs)
    names = _text_list(segs["name"]) if "name" in segs.columns else [None] * n
    unit_names = _text_list(segs["unit_name"]) if "unit_name" in segs.columns else [None] * n
    unit_ids = _text_list(segs["unit_id"])
    records = segs[["segment_id", "river_id", "from_m", "to_m"]].to_dict("records")
    return [
        {
            "s": str(rec["segment_id"]),
            "r": str(rec["river_id"]),
            "n": names[j],
            "a": round(float(rec["from_m"]), 1),
            "b": round(float(rec["to_m"]), 1),
            "u": unit_ids[j],
            "un": unit_names[j],
            "c": colours.get(unit_ids[j]) if unit_ids[j] is not None else None,
        }
        for j, rec in enumerate(records)
    ]


def _segment_labels(segs: gpd.GeoDataFrame, geoms: np.ndarray, decimals: int) -> list[list[Any]]:
    """Return ``[lat, lng, segment id, width, height]`` of every segment, longest first.

    The point is the middle of the segment's line; width and height are its
    bounding box in degrees (the map labels a segment only where the label fits
    along it, and longer segments first).
    """
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    ok = ~shapely.is_missing(mids) & ~shapely.is_empty(mids)
    length = (segs["to_m"].to_numpy(dtype=float) - segs["from_m"].to_numpy(dtype=float))[ok]
    order = np.flatnonzero(ok)[np.argsort(-length, kind="stable")]
    ids = segs["segment_id"].astype(str).to_numpy()
    return _labels(mids[order], ids[order], shapely.bounds(geoms[order]), decimals)


# ------------------------------------------------------------------- helpers
def _escape_html(value: str) -> str:
    """HTML-escape, and write braces as entities: branca re-reads some output as Jinja."""
    from html import escape

    return escape(value, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _opt_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


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


class _Basemap(Layer):
    """One basemap as a base layer of the layer control: its tile layers in one group.

    Tianditu's roads and its labels are two tile layers that come and go
    together; ``"none"`` is an empty group, the map without tiles. The group
    is marked with its kind (``rmBasemap``), by which ``meeting.js`` names it
    in the page's language and finds its credit for the print view.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "var {{ this.get_name() }} = L.layerGroup({{ this.tiles }});\n"
        "{{ this.get_name() }}.rmBasemap = {{ this.kind }};\n"
        "{% endmacro %}"
    )

    def __init__(
        self, kind: str, tiles: Sequence[tuple[str, dict[str, Any]]], name: str, *, show: bool
    ) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "RivermapBasemap"
        self.kind = js_literal(kind)
        layers = (f"L.tileLayer({js_literal(url)}, {js_literal(opts)})" for url, opts in tiles)
        self.tiles = "[" + ", ".join(layers) + "]"


def _add_basemap(m: folium.Map, kind: str, key: str | None, lang: str, *, show: bool) -> None:
    """Add one basemap (or ``"none"``, no tiles) as a base layer, shown or not."""
    tiles: list[tuple[str, dict[str, Any]]] = []
    if kind == "osm":
        attr = (
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            "contributors"
        )
        tiles.append(
            ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {"attribution": attr, "maxZoom": 19})
        )
    elif kind == "gaode":
        style, lang_code = "8", ("zh_cn" if lang == "zh" else "en")
        url = (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang="
            f"{lang_code}&size=1&scale=1&style={style}&x={{x}}&y={{y}}&z={{z}}"
        )
        opts = {"attribution": "&copy; 高德地图 AutoNavi", "subdomains": "1234", "maxZoom": 18}
        tiles.append((url, opts))
    elif kind == "tianditu":
        base = (
            "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
        )
        opts = {"attribution": "&copy; 天地图 Tianditu", "subdomains": "01234567", "maxZoom": 18}
        tiles.append((base.format(s="{s}", layer="vec", key=key), opts))
        note = "cva" if lang == "zh" else "eva"  # the labels, in the map's language
        tiles.append((base.format(s="{s}", layer=note, key=key), opts))
    name = _escape_html(term(f"ui.basemap_{kind}", lang))
    m.add_child(_Basemap(kind, tiles, name, show=show), name=f"rivermap_basemap_{kind}")


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
