"""The layers of rivermap's GeoPackages and their QGIS styles, drawn as the web map draws them.

A GeoPackage written by :meth:`Responsibility.to_file`, :meth:`Plan.to_file`
or :func:`rivermap.routing.write_events` opens in QGIS styled: each layer's
default style is a row of the ``layer_styles`` table, which QGIS reads when
the layer is loaded (the table and its columns are those QGIS creates when it
saves a style into a GeoPackage). The styles are QML documents
(:mod:`rivermap._qml`) made from the one style definition the web map and the
atlas draw with (:mod:`rivermap._styles`) and the words of
:mod:`rivermap.text`:

* ``reaches``: a categorized renderer on an expression of ``kind`` and the
  unit at the chosen level (the finest by default): boundary reaches (界河段)
  dashed, reaches outside every unit dotted, the others in their unit's
  colour, the colour the web map gives the unit. Up to
  :data:`MAX_CATEGORIES` units the categories are the units, named in the
  legend; above it (a province or the country at its finest levels) they are
  the palette's eight colours, read from the ``colour`` column written into
  the layer, so that a national file's style stays a few kilobytes. River
  names label the reaches (joined where a river's reaches meet).
* ``rivers``: every river's whole line, categorized by chief level in the
  atlas's colours and widths, labelled with the river's name.
* ``units``: a rule per level, outlines darker and wider towards the top
  level as on the web map; the units of the chosen level filled lightly in
  their colour (the ``colour`` column); names labelled, larger for higher
  levels.
* ``flags``: each flagged river's line, a halo by severity at the chosen
  level, in the grades of the web map's halos (:func:`rivermap._styles.flag_scale`).
* ``segments`` (a plan): categorized by unit, in the colours the web map gives
  the plan's units; ``changes`` in the plan colour.
* ``events`` (routed tickets): categorized by status, ringed red when routed
  to no chief, dark when the reach is ambiguous.
* tables (``roster``, ``unit_changes``, ``unmatched``): aliases only.

Every style names its fields in Chinese and English (``<aliases>``, Chinese
first), and labels are set in Noto Sans CJK SC, the atlas's font; QGIS falls
back to a system CJK font where it is not installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from rivermap import _qml, _styles
from rivermap._package import river_lines, write_layer
from rivermap._qml import Rule, mm, quoted_column, quoted_string
from rivermap.io import QGIS_STYLE_TABLE, atomic_output, check_output
from rivermap.text import chief_title, header, level_label, term

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    from rivermap.plan import Plan
    from rivermap.responsibility import Responsibility

__all__ = [
    "MAX_CATEGORIES",
    "STYLE_TABLE",
    "Layer",
    "check_qml",
    "events_package",
    "plan_package",
    "qml_paths",
    "responsibility_package",
    "write_package",
    "write_qml",
]

#: Above this many units at the chosen level, reaches and segments are categorized by
#: palette colour (eight categories) instead of by unit.
MAX_CATEGORIES = 300
#: The table QGIS reads a layer's default style from.
STYLE_TABLE = QGIS_STYLE_TABLE
#: The style's name in QGIS's style manager.
STYLE_NAME = "rivermap"
#: Millimetres per typographic point (the atlas's widths are points on paper).
PT_MM = 25.4 / 72
#: The layers of each kind of package that get a style, in the order written.
STYLED = {
    "responsibility": ("reaches", "rivers", "units", "flags", "roster"),
    "plan": ("segments", "changes", "unit_changes", "unmatched"),
    "events": ("events",),
}


@dataclasses.dataclass
class Layer:
    """A layer of a package: its rows, its geometry kind, its QML and its name for people."""

    frame: pd.DataFrame
    geometry: str | None
    qml: str | None = None
    description: str = ""


# ===================================================================== words
def _both(key: str, **fields: Any) -> str:
    """Return a term in Chinese, then English: ``河段 / Reaches``."""
    zh, en = term(key, "zh", **fields), term(key, "en", **fields)
    return zh if zh == en else f"{zh} / {en}"


def _alias(column: str, levels: Sequence[str], table: str | None, lang: str) -> str:
    """Return a column's header in ``lang``: level columns and per-level counts named by level."""
    if column in levels:
        return term("col.level_unit", lang, level=level_label(column, lang))
    for prefix, key in (
        ("n_units_", "col.n_units"),
        ("lead_share_", "col.lead_share"),
        ("lead_", "col.lead_unit"),
    ):
        rest = column.removeprefix(prefix)
        if rest != column and rest in levels:
            name = term(key, lang)
            return term("col.per_level", lang, name=name, level=level_label(rest, lang))
    return header(column, lang, table=table)


def aliases(
    columns: Iterable[Any], levels: Sequence[str], table: str | None = None
) -> list[tuple[str, str]]:
    """Return ``(field, "中文 / English")`` for every column rivermap has words for.

    Examples
    --------
    >>> aliases(["river_id", "district", "geometry", "own"], ["district"])
    [('river_id', '河流编码 / River ID'), ('district', '区县单位编码 / district unit ID')]
    """
    out = []
    for column in map(str, columns):
        if column == "geometry":
            continue
        zh, en = (_alias(column, levels, table, lang) for lang in ("zh", "en"))
        if zh != column or en != column:
            out.append((column, zh if zh == en else f"{zh} / {en}"))
    return out


# =================================================================== symbols
def _line(hex_colour: str, style: _styles.LineStyle) -> ET.Element:
    """Return a line symbol in a colour and a web map line style."""
    dash = None if style.dash is None else [mm(d) for d in style.dash]
    layer = _qml.line_layer(hex_colour, mm(style.width), dash, opacity=style.opacity)
    return _qml.symbol("line", "0", [layer])


def _name_labels(field: str = "name", *, merge: bool = False) -> ET.Element:
    """Return the labels of river lines: the river's name along the line."""
    settings = _qml.label_settings(
        field,
        font=_styles.LABEL_FONT,
        size_pt=9,
        text_colour=_styles.RIVER_NAME_COLOUR,
        geometry="line",
        merge_lines=merge,
    )
    return _qml.simple_labeling(settings)


def _unit_categories(
    column: str, colours: pd.Series, names: Mapping[str, str], lang: str
) -> tuple[str, list[tuple[str, str, str]]]:
    """Return the value expression and ``(value, label, colour)`` of the unit categories.

    By unit (named) up to :data:`MAX_CATEGORIES` units, else by palette colour
    (the ``colour`` column).
    """
    if len(colours) <= MAX_CATEGORIES:
        pairs = zip(colours.index.astype(str), colours.astype(str), strict=True)
        return quoted_column(column), [(uid, names.get(uid, uid), c) for uid, c in pairs]
    used = set(colours)
    slots = enumerate(_styles.PALETTE)
    cats = [(c, term("qgis.colour_slot", lang, n=i + 1), c) for i, c in slots if c in used]
    return quoted_column("colour"), cats


# ============================================================ responsibility
def responsibility_package(
    resp: Responsibility, flags: pd.DataFrame, *, level: str, lang: str = "zh"
) -> dict[str, Layer]:
    """Return the layers of a responsibility GeoPackage with their styles.

    ``reaches`` and ``units`` gain ``colour`` (the web map's colour of their
    unit at ``level``), ``rivers`` the river's whole line and ``flags`` the
    flagged river's line.
    """
    colours = _styles.level_colours(resp.units, level)
    names = _unit_names(resp.units)
    reaches = resp.reaches.assign(colour=resp.reaches[level].map(colours))
    units = resp.units.assign(colour=resp.units["unit_id"].astype(str).map(colours))
    lines = river_lines(resp.reaches, resp.rivers["river_id"])
    ids = pd.Index(resp.rivers["river_id"].astype(str))
    at = ids.get_indexer(pd.Index(flags["river_id"].astype(str)))
    flag_lines = np.full(len(at), None, dtype=object)
    flag_lines[at >= 0] = lines[at[at >= 0]]
    levels = resp.levels
    layers = {
        "reaches": Layer(reaches, "line"),
        "rivers": Layer(gpd.GeoDataFrame(resp.rivers, geometry=lines, crs=resp.crs), "line"),
        "units": Layer(units, "polygon"),
        "flags": Layer(gpd.GeoDataFrame(flags, geometry=flag_lines, crs=resp.crs), "line"),
    }
    layers["reaches"].qml = _reaches_qml(reaches, levels, level, colours, names, lang)
    layers["rivers"].qml = _rivers_qml(layers["rivers"].frame, levels, lang)
    layers["units"].qml = _units_qml(units, levels, level, lang)
    layers["flags"].qml = _flags_qml(flags, levels, level, lang)
    if resp.roster is not None:
        roster = aliases(resp.roster.columns, levels, "chiefs")
        layers["roster"] = Layer(resp.roster, None, _qml.document("none", None, aliases=roster))
    lv = {"level": level_label(level, "zh")}, {"level": level_label(level, "en")}
    for name, layer in layers.items():
        layer.description = _description(f"qgis.layer.{name}", *lv)
    return layers


def _description(key: str, zh_fields: dict[str, str], en_fields: dict[str, str]) -> str:
    """Return a layer's name in Chinese and English, its level named in each."""
    return f"{term(key, 'zh', **zh_fields)} / {term(key, 'en', **en_fields)}"


def _unit_names(units: pd.DataFrame) -> dict[str, str]:
    ids = units["unit_id"].astype(str)
    names = units["name"].where(units["name"].notna(), ids).astype(str)
    return dict(zip(ids, names, strict=True))


def _reaches_qml(
    reaches: pd.DataFrame,
    levels: Sequence[str],
    level: str,
    colours: pd.Series,
    names: Mapping[str, str],
    lang: str,
) -> str:
    """Return the style of the reaches: kind and unit colour, river names."""
    value, cats = _unit_categories(level, colours, names, lang)
    kind = quoted_column("kind")
    expression = (
        f"CASE WHEN {kind} = 'boundary' THEN 'kind:boundary' "
        f"WHEN {kind} = 'outside' THEN 'kind:outside' ELSE 'unit:' || {value} END"
    )
    styles = _styles.REACH_STYLES
    categories = [
        (
            "kind:boundary",
            term("kind.boundary", lang),
            _line(_styles.BOUNDARY_COLOUR, styles["boundary"]),
        ),
        (
            "kind:outside",
            term("kind.outside", lang),
            _line(_styles.OUTSIDE_COLOUR, styles["outside"]),
        ),
    ]
    categories += [(f"unit:{v}", label, _line(c, styles["inside"])) for v, label, c in cats]
    other = (
        term("qgis.no_unit", lang, level=level_label(level, lang)),
        _line(_styles.OUTSIDE_COLOUR, styles["inside"]),
    )
    return _qml.document(
        "line",
        _qml.categorized(expression, categories, other),
        labeling=_name_labels(merge=True),
        aliases=aliases(reaches.columns, levels),
    )


def _rivers_qml(rivers: pd.DataFrame, levels: Sequence[str], lang: str) -> str:
    """Return the style of the rivers: by chief level, as the atlas's overview draws them."""
    top = levels[0]
    above = _qml.line_layer(_styles.CHIEF_ABOVE_COLOUR, round(_styles.CHIEF_ABOVE_WIDTH * PT_MM, 2))
    categories = [
        (
            f"above:{top}",
            term("atlas.above", lang, level=level_label(top, lang)),
            _qml.symbol("line", "0", [above]),
        )
    ]
    for i, lv in enumerate(levels):
        hex_colour = _styles.CHIEF_LEVEL_COLOURS[i % len(_styles.CHIEF_LEVEL_COLOURS)]
        layer = _qml.line_layer(hex_colour, round(_styles.chief_width(i) * PT_MM, 2))
        categories.append((lv, chief_title(lv, lang), _qml.symbol("line", "0", [layer])))
    other = _qml.line_layer(_styles.OUTSIDE_COLOUR, mm(_styles.REACH_STYLES["outside"].width))
    return _qml.document(
        "line",
        _qml.categorized(
            quoted_column("chief_level"),
            categories,
            (term("kind.outside", lang), _qml.symbol("line", "0", [other])),
        ),
        labeling=_name_labels(),
        aliases=aliases(rivers.columns, levels),
    )


def _units_qml(units: pd.DataFrame, levels: Sequence[str], level: str, lang: str) -> str:
    """Return the style of the units: outlines per level, the chosen level tinted, names."""
    rules, labels = [], []
    alpha = round(255 * _styles.UNIT_FILL_OPACITY)
    for i, lv in enumerate(levels):
        outline, width = _styles.unit_outline(i, len(levels))
        defined = (
            {"fill": f"set_color_part({quoted_column('colour')}, 'alpha', {alpha})"}
            if lv == level
            else None
        )
        layer = _qml.fill_layer(
            None, outline, mm(width), outline_opacity=_styles.UNIT_OUTLINE_OPACITY, defined=defined
        )
        where = f"{quoted_column('level')} = {quoted_string(lv)}"
        label = term("ui.unit_layer", lang, level=level_label(lv, lang))
        rules.append(Rule(where, label, _qml.symbol("fill", "0", [layer])))
        settings = _qml.label_settings(
            "name",
            font=_styles.LABEL_FONT,
            size_pt=max(11.0 - 1.5 * i, 7.0),
            text_colour=outline,
            geometry="polygon",
            bold=i == 0,
            priority=max(9 - i, 1),
        )
        labels.append((where, label, settings))
    return _qml.document(
        "polygon",
        _qml.rule_based(rules),
        labeling=_qml.rule_labeling(labels),
        aliases=aliases(units.columns, levels, "units"),
    )


def _flags_qml(flags: pd.DataFrame, levels: Sequence[str], level: str, lang: str) -> str:
    """Return the style of the flags: a halo per flagged river at ``level``, by severity."""
    at = flags.loc[flags["level"].astype(str) == level] if "level" in flags.columns else flags
    severity = pd.to_numeric(at.get("severity", pd.Series(dtype=float)), errors="coerce")
    scale = _styles.flag_scale([float(v) for v in severity.dropna()])
    where = f"{quoted_column('level')} = {quoted_string(level)}"
    if scale is None:
        halo = _line(_styles.FLAG_COLOUR, _styles.FLAG_HALO)
        rules = [Rule(where, term("ui.flagged", lang), halo)]
    else:
        rules = [
            Rule(where, term("ui.flag_grades", lang), None, _grade_rules(scale["grades"], lang))
        ]
    return _qml.document("line", _qml.rule_based(rules), aliases=aliases(flags.columns, levels))


def _grade_rules(grades: Sequence[Sequence[Any]], lang: str) -> list[Rule]:
    """Return a rule per severity grade: ``[from, colour, width px, opacity]``, least first."""
    sev = quoted_column("severity")
    rules = []
    for i, (start, hex_colour, width, opacity) in enumerate(grades):
        if i == 0:  # below the default threshold, and rivers without a severity
            end = grades[1][0]
            where = f"{sev} IS NULL OR {sev} < {end:g}"
            label = term("qgis.severity_below", lang, value=f"{end:g}")
        else:
            where = f"{sev} >= {start:g}"
            if i + 1 < len(grades):
                where += f" AND {sev} < {grades[i + 1][0]:g}"
            label = f"{term('ui.flag_threshold', lang)} {start:g}"
        style = _styles.LineStyle(float(width), float(opacity))
        rules.append(Rule(where, label, _line(str(hex_colour), style)))
    return rules


# ====================================================================== plan
def plan_package(
    plan: Plan, *, units: gpd.GeoDataFrame | None = None, lang: str = "zh"
) -> dict[str, Layer]:
    """Return the layers of a plan GeoPackage with the styles of its segments and diff.

    ``units`` (polygons, e.g. ``resp.units``) colour the segments as the web
    map does; without them, units that hand a river over to each other get
    different colours. The segments gain ``colour``.
    """
    d = plan.diff()
    colours = _plan_colours(plan, units)
    names = _unit_names(plan.units) if len(plan.units) else {}
    segments = plan.segments.assign(colour=plan.segments["unit_id"].astype(str).map(colours))
    levels = tuple(plan.params.get("levels", ())) or (plan.level,)
    lv = {"level": level_label(plan.level, "zh")}, {"level": level_label(plan.level, "en")}
    layers = {
        "segments": Layer(segments, "line", _segments_qml(segments, colours, names, lang)),
        "changes": Layer(d.changes, "line", _changes_qml(d.changes)),
        "unit_changes": Layer(d.units, None, _table_qml(d.units, levels)),
        "unmatched": Layer(d.unmatched, None, _table_qml(d.unmatched, levels)),
    }
    for name, layer in layers.items():
        layer.description = _description(f"qgis.layer.{name}", *lv)
    return layers


def _table_qml(table: pd.DataFrame, levels: Sequence[str]) -> str:
    return _qml.document("none", None, aliases=aliases(table.columns, levels, "plan"))


def _plan_colours(plan: Plan, units: gpd.GeoDataFrame | None) -> pd.Series:
    """Return the colour of every unit of the plan's level: as the web map's, or by handovers."""
    if units is not None and (units["level"].astype(str) == plan.level).any():
        return _styles.level_colours(units, plan.level)
    ids = plan.units.loc[plan.units["level"].astype(str) == plan.level, "unit_id"].astype(str)
    ids = pd.Index(ids.unique())
    seg = plan.segments.sort_values(["river_id", "from_m"], kind="stable")
    pos = ids.get_indexer(seg["unit_id"].astype(str))
    same = seg["river_id"].to_numpy()[1:] == seg["river_id"].to_numpy()[:-1]
    pairs = np.column_stack([pos[:-1], pos[1:]])[same & (pos[:-1] >= 0) & (pos[1:] >= 0)]
    slots = _styles.colour_graph(len(ids), pairs.astype(np.int64))
    palette = _styles.PALETTE
    return pd.Series([palette[s % len(palette)] for s in slots.tolist()], index=ids, dtype=object)


def _segments_qml(
    segments: pd.DataFrame, colours: pd.Series, names: Mapping[str, str], lang: str
) -> str:
    value, cats = _unit_categories("unit_id", colours, names, lang)
    categories = [(v, label, _line(c, _styles.PLAN_STYLE)) for v, label, c in cats]
    other = (term("ui.plan", lang), _line(_styles.PLAN_COLOUR, _styles.PLAN_STYLE))
    return _qml.document(
        "line",
        _qml.categorized(value, categories, other),
        labeling=_name_labels(),
        aliases=aliases(segments.columns, (), "plan"),
    )


def _changes_qml(changes: pd.DataFrame) -> str:
    return _qml.document(
        "line",
        _qml.single(_line(_styles.PLAN_COLOUR, _styles.PLAN_STYLE)),
        aliases=aliases(changes.columns, (), "plan"),
    )


# ==================================================================== events
def events_package(routed: gpd.GeoDataFrame, *, lang: str = "zh") -> dict[str, Layer]:
    """Return the layer of routed tickets with its style: by status, unmatched ringed red."""
    levels = [lv for lv in routed.attrs.get("levels", ()) if lv in routed.columns]
    marker = _styles.EVENT_MARKER
    match, ambiguous = quoted_column("match"), quoted_column("ambiguous")

    def by_state(unmatched: str, amb: str, plain: str) -> str:
        return (
            f"CASE WHEN {match} = 'unmatched' THEN {unmatched} "
            f"WHEN {ambiguous} THEN {amb} ELSE {plain} END"
        )

    ring = {
        "outline": by_state(
            quoted_string(_qml.colour(_styles.UNMATCHED_COLOUR)),
            quoted_string(_qml.colour(_styles.AMBIGUOUS_COLOUR)),
            "'255,255,255,255'",
        ),
        "outline_width": by_state(
            f"{mm(marker['unmatched_ring'])}",
            f"{mm(marker['ambiguous_ring'])}",
            f"{mm(marker['ring'])}",
        ),
        "size": by_state(
            f"{mm(2 * marker['unmatched_radius'])}",
            f"{mm(2 * marker['radius'])}",
            f"{mm(2 * marker['radius'])}",
        ),
    }

    def dot(hex_colour: str) -> ET.Element:
        layer = _qml.marker_layer(
            hex_colour,
            mm(2 * marker["radius"]),
            outline_mm=mm(marker["ring"]),
            fill_opacity=marker["fill_opacity"],
            defined=ring,
        )
        return _qml.symbol("marker", "0", [layer])

    categories = [
        (code, term(f"status.{code}", lang), dot(c)) for code, c in _styles.STATUS_COLOURS.items()
    ]
    other = (term("ui.no_status", lang), dot(_styles.NO_STATUS_COLOUR))
    frame = routed.copy()
    frame["ambiguous"] = frame["ambiguous"].astype(bool)
    qml = _qml.document(
        "point",
        _qml.categorized(quoted_column("status"), categories, other),
        aliases=aliases(frame.columns, levels, "events"),
    )
    return {"events": Layer(frame, "point", qml, _both("qgis.layer.events"))}


# ===================================================================== write
def write_package(path: Path, layers: Mapping[str, Layer]) -> None:
    """Write the layers, then their styles as QGIS's ``layer_styles`` table (default styles)."""
    for name, layer in layers.items():
        write_layer(layer.frame, path, name, geometry=layer.geometry)
    rows = [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": name,
            "f_geometry_column": "geom" if layer.geometry else "",
            "styleName": STYLE_NAME,
            "styleQML": layer.qml,
            "styleSLD": "",
            "useAsDefault": True,
            "description": layer.description,
            "owner": "",
            "ui": None,
            "update_time": pd.Timestamp.now(tz="UTC"),
        }
        for name, layer in layers.items()
        if layer.qml is not None
    ]
    if rows:
        write_layer(pd.DataFrame(rows), path, STYLE_TABLE, fid="id")


def qml_paths(path: str | os.PathLike[str], names: Sequence[str]) -> dict[str, Path]:
    """Return where the ``.qml`` of each layer goes: ``<stem>.<layer>.qml`` beside ``path``.

    Examples
    --------
    >>> qml_paths("out/plan.gpkg", ["segments"])["segments"].as_posix()
    'out/plan.segments.qml'
    """
    p = Path(path)
    return {name: p.with_name(f"{p.stem}.{name}.qml") for name in names}


def check_qml(
    path: str | os.PathLike[str], kind: str, *, overwrite: bool = False
) -> dict[str, Path]:
    """Refuse, before any work, ``.qml`` files beside ``path`` that exist (without ``overwrite``).

    ``kind`` is a key of :data:`STYLED`; returns the paths.
    """
    paths = qml_paths(path, STYLED[kind])
    for target in paths.values():
        check_output(target, overwrite=overwrite)
    return paths


@contextlib.contextmanager
def write_qml(
    path: str | os.PathLike[str], layers: Mapping[str, Layer], *, overwrite: bool = False
) -> Iterator[list[Path]]:
    """Write the ``.qml`` of every styled layer beside ``path``, each atomically.

    A context manager: the files are written on entry and moved into place
    when the block (which writes ``path`` itself) ends without an error.
    """
    targets = qml_paths(path, [name for name, layer in layers.items() if layer.qml])
    with contextlib.ExitStack() as stack:
        for name, target in targets.items():
            tmp = stack.enter_context(atomic_output(target, overwrite=overwrite))
            tmp.write_text(str(layers[name].qml), encoding="utf-8")
        yield list(targets.values())
