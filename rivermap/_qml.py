"""QGIS layer styles (QML) built as XML, without QGIS.

A QML document is what QGIS writes with *Save Style…* and reads on opening a
layer whose GeoPackage holds a default style: a ``<qgis>`` element with the
renderer (``<renderer-v2>``: one symbol, categories of an expression's value,
or rules), the labels (``<labeling>``), the attribute aliases (``<aliases>``)
and the geometry type. The functions here build those elements with
:mod:`xml.etree.ElementTree`, which escapes every attribute, so a name from
the data (``<script>``, ``&``, quotes) is text in the document, never markup;
characters XML 1.0 cannot hold (control characters, lone surrogates) are
dropped. Expressions quote names and strings as QGIS's own
``QgsExpression.quotedColumnRef`` and ``quotedString`` do.

Only the elements and options rivermap sets are written; QGIS fills in its
defaults for the rest, as it does for a style saved by an older version. The
format is QGIS 3's (3.22 and later read it). Widths and sizes are in
millimetres (:func:`mm`: CSS pixels at 96 an inch), so a map printed from QGIS
keeps the web map's proportions.

Examples
--------
>>> line = symbol("line", "0", [line_layer("#1f77b4", 0.8)])
>>> qml = document("line", single(line), aliases=[("name", "river / 河流")])
>>> qml.startswith("<!DOCTYPE qgis")
True
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Rule",
    "categorized",
    "document",
    "fill_layer",
    "label_settings",
    "line_layer",
    "marker_layer",
    "mm",
    "quoted_column",
    "quoted_string",
    "rule_based",
    "rule_labeling",
    "simple_labeling",
    "single",
    "symbol",
]

#: The QGIS version the documents say they come from (the oldest that reads them).
QGIS_VERSION = "3.22.0"
#: Millimetres per CSS pixel (96 pixels an inch).
MM_PER_PX = 25.4 / 96
#: QGIS's geometry type numbers (``QgsWkbTypes::GeometryType``).
GEOMETRY_TYPES = {"point": 0, "line": 1, "polygon": 2, "none": 4}
#: Data-defined property keys of symbol layers (``QgsSymbolLayer::Property``).
_PROPERTY_KEYS = {"fill": "fillColor", "outline": "outlineColor", "outline_width": "outlineWidth"}
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def mm(px: float) -> float:
    """Return CSS pixels in millimetres, rounded to a hundredth.

    >>> mm(3.0), mm(96.0)
    (0.79, 25.4)
    """
    return round(px * MM_PER_PX, 2)


def clean(text: Any) -> str:
    r"""Return ``text`` as a string XML 1.0 can hold (control characters dropped).

    >>> clean("a\x00b\tc")
    'ab\tc'
    """
    return _BAD_XML.sub("", str(text))


def quoted_column(name: str) -> str:
    """Return a field reference in a QGIS expression.

    >>> quoted_column('a"b')
    '"a""b"'
    """
    return '"' + clean(name).replace('"', '""') + '"'


def quoted_string(text: str) -> str:
    r"""Return a string literal in a QGIS expression.

    >>> print(quoted_string("it's a\\b"))
    'it''s a\\b'
    """
    body = clean(text).replace("\\", "\\\\").replace("'", "''")
    return "'" + body.replace("\n", "\\n").replace("\t", "\\t") + "'"


def colour(hex_colour: str, opacity: float = 1.0) -> str:
    """Return ``#rrggbb`` and an opacity as QGIS writes colours: ``r,g,b,a``.

    >>> colour("#1f77b4", 0.5)
    '31,119,180,128'
    """
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * opacity)}"


# ===================================================================== symbols
def _element(tag: str, attrs: dict[str, Any] | None = None, **more: Any) -> ET.Element:
    """Return an element whose attributes are cleaned text (ElementTree escapes them)."""
    return ET.Element(tag, {k: clean(v) for k, v in {**(attrs or {}), **more}.items()})


def _options(values: dict[str, Any]) -> ET.Element:
    """Return ``<Option type="Map">`` holding each value as a string option."""
    node = _element("Option", type="Map")
    for key, value in values.items():
        node.append(_element("Option", type="QString", name=key, value=_text(value)))
    return node


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _data_defined(expressions: dict[str, str]) -> ET.Element:
    """Return ``<data_defined_properties>``: ``{property: expression}``, each active."""
    outer = _element("data_defined_properties")
    top = _element("Option", type="Map")
    top.append(_element("Option", type="QString", name="name", value=""))
    props = _element("Option", type="Map", name="properties")
    for key, expression in expressions.items():
        prop = _element("Option", type="Map", name=_PROPERTY_KEYS.get(key, key))
        prop.append(_element("Option", type="bool", name="active", value="true"))
        prop.append(_element("Option", type="QString", name="expression", value=expression))
        prop.append(_element("Option", type="int", name="type", value="3"))
        props.append(prop)
    top.append(props)
    top.append(_element("Option", type="QString", name="type", value="collection"))
    outer.append(top)
    return outer


def _symbol_layer(cls: str, options: dict[str, Any], defined: dict[str, str]) -> ET.Element:
    node = _element("layer", {"class": cls, "enabled": "1", "pass": "0", "locked": "0"})
    node.append(_options(options))
    if defined:
        node.append(_data_defined(defined))
    return node


def line_layer(
    hex_colour: str,
    width_mm: float,
    dash_mm: Sequence[float] | None = None,
    *,
    opacity: float = 1.0,
    cap: str = "round",
) -> ET.Element:
    """Return a simple line symbol layer: colour, width and dashes in millimetres."""
    options: dict[str, Any] = {
        "line_color": colour(hex_colour, opacity),
        "line_width": width_mm,
        "line_width_unit": "MM",
        "line_style": "solid",
        "capstyle": "flat" if dash_mm else cap,
        "joinstyle": "round",
        "use_custom_dash": bool(dash_mm),
    }
    if dash_mm:
        options |= {"customdash": ";".join(f"{d:g}" for d in dash_mm), "customdash_unit": "MM"}
    return _symbol_layer("SimpleLine", options, {})


def fill_layer(
    fill: str | None,
    outline: str | None,
    width_mm: float = 0.26,
    *,
    fill_opacity: float = 1.0,
    outline_opacity: float = 1.0,
    defined: dict[str, str] | None = None,
) -> ET.Element:
    """Return a simple fill symbol layer; None leaves out the fill or the outline.

    ``defined`` maps ``"fill"`` (or another property) to a QGIS expression that
    sets it per feature.
    """
    options: dict[str, Any] = {
        "color": colour(fill, fill_opacity) if fill else "0,0,0,0",
        "style": "solid" if fill or defined else "no",
        "outline_color": colour(outline, outline_opacity) if outline else "0,0,0,0",
        "outline_style": "solid" if outline else "no",
        "outline_width": width_mm,
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }
    return _symbol_layer("SimpleFill", options, defined or {})


def marker_layer(
    fill: str,
    size_mm: float,
    *,
    outline: str = "#ffffff",
    outline_mm: float = 0.3,
    fill_opacity: float = 1.0,
    defined: dict[str, str] | None = None,
) -> ET.Element:
    """Return a circle marker symbol layer; ``defined`` as for :func:`fill_layer`."""
    options: dict[str, Any] = {
        "name": "circle",
        "color": colour(fill, fill_opacity),
        "outline_color": colour(outline),
        "outline_style": "solid",
        "outline_width": outline_mm,
        "outline_width_unit": "MM",
        "size": size_mm,
        "size_unit": "MM",
    }
    return _symbol_layer("SimpleMarker", options, defined or {})


def symbol(kind: str, name: str, layers: Sequence[ET.Element], *, alpha: float = 1.0) -> ET.Element:
    """Return a ``line``, ``fill`` or ``marker`` symbol of symbol layers drawn in order."""
    node = _element(
        "symbol", type=kind, name=name, alpha=f"{alpha:g}", clip_to_extent="1", force_rhr="0"
    )
    node.extend(layers)
    return node


# =================================================================== renderers
def single(sym: ET.Element) -> ET.Element:
    """Return a renderer that draws every feature with one symbol."""
    sym.set("name", "0")
    node = _element("renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0")
    symbols = _element("symbols")
    symbols.append(sym)
    node.append(symbols)
    return node


def categorized(
    expression: str,
    categories: Sequence[tuple[str, str, ET.Element]],
    other: tuple[str, ET.Element] | None = None,
) -> ET.Element:
    """Return a renderer drawing each value of ``expression`` with its own symbol.

    ``categories`` are ``(value, legend label, symbol)``; ``other`` is the
    ``(label, symbol)`` of every other value (NULL too): QGIS's category with
    an empty value.
    """
    node = _element(
        "renderer-v2",
        type="categorizedSymbol",
        attr=expression,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
    )
    cats, symbols = _element("categories"), _element("symbols")
    entries = list(categories) + ([("", other[0], other[1])] if other is not None else [])
    for i, (value, label, sym) in enumerate(entries):
        sym.set("name", str(i))
        cats.append(_element("category", value=value, label=label, symbol=str(i), render="true"))
        symbols.append(sym)
    node.extend([cats, symbols])
    return node


@dataclass
class Rule:
    """A rule of a rule-based renderer: a filter, a legend label, a symbol, and rules below."""

    filter: str | None
    label: str
    symbol: ET.Element | None = None
    children: list[Rule] = field(default_factory=list)


def rule_based(rules: Sequence[Rule]) -> ET.Element:
    """Return a renderer drawing each feature with the symbols of the rules it matches."""
    node = _element(
        "renderer-v2", type="RuleRenderer", symbollevels="0", enableorderby="0", forceraster="0"
    )
    root = _element("rules", key=_key())
    symbols = _element("symbols")
    for rule in rules:
        root.append(_rule(rule, symbols))
    node.extend([root, symbols])
    return node


def _rule(rule: Rule, symbols: ET.Element) -> ET.Element:
    attrs = {"key": _key(), "label": rule.label}
    if rule.filter is not None:
        attrs["filter"] = rule.filter
    if rule.symbol is not None:
        attrs["symbol"] = str(len(symbols))
        rule.symbol.set("name", attrs["symbol"])
        symbols.append(rule.symbol)
    node = _element("rule", attrs)
    for child in rule.children:
        node.append(_rule(child, symbols))
    return node


def _key() -> str:
    return "{" + str(uuid.uuid4()) + "}"


# ===================================================================== labels
def label_settings(
    field_name: str,
    *,
    font: str,
    size_pt: float,
    text_colour: str,
    geometry: str,
    buffer_mm: float = 0.8,
    bold: bool = False,
    priority: int = 5,
    merge_lines: bool = False,
) -> ET.Element:
    """Return a label's ``<settings>``: a field's text, its font, a white buffer, placement.

    Lines are labelled along the line, curved; polygons inside, around a point.
    """
    settings = _element("settings", calloutType="simple")
    style = _element(
        "text-style",
        fieldName=field_name,
        isExpression="0",
        fontFamily=font,
        fontSize=f"{size_pt:g}",
        fontSizeUnit="Point",
        fontWeight="75" if bold else "50",
        textColor=colour(text_colour),
        textOpacity="1",
        namedStyle="Bold" if bold else "Regular",
    )
    style.append(
        _element(
            "text-buffer",
            bufferDraw="1" if buffer_mm > 0 else "0",
            bufferSize=f"{buffer_mm:g}",
            bufferSizeUnits="MM",
            bufferColor="255,255,255,255",
            bufferOpacity="0.9",
            bufferNoFill="1",
            bufferJoinStyle="128",
        )
    )
    settings.append(style)
    placement = {"line": "3", "polygon": "1", "point": "0"}.get(geometry, "0")
    settings.append(
        _element(
            "placement",
            placement=placement,
            placementFlags="10",
            priority=str(priority),
            maxCurvedCharAngleIn="25",
            maxCurvedCharAngleOut="-25",
            centroidInside="1",
            fitInPolygonOnly="0",
            repeatDistance="0",
        )
    )
    settings.append(
        _element(
            "rendering",
            drawLabels="1",
            mergeLines="1" if merge_lines else "0",
            obstacle="1",
            upsidedownLabels="0",
            displayAll="0",
            labelPerPart="0",
        )
    )
    return settings


def simple_labeling(settings: ET.Element) -> ET.Element:
    """Return labels drawn with one setting for every feature."""
    node = _element("labeling", type="simple")
    node.append(settings)
    return node


def rule_labeling(rules: Sequence[tuple[str, str, ET.Element]]) -> ET.Element:
    """Return labels by rule: ``(filter, description, settings)``."""
    node = _element("labeling", type="rule-based")
    root = _element("rules", key=_key())
    for filt, description, settings in rules:
        rule = _element("rule", key=_key(), filter=filt, description=description)
        rule.append(settings)
        root.append(rule)
    node.append(root)
    return node


# =================================================================== document
def document(
    geometry: str,
    renderer: ET.Element | None,
    *,
    labeling: ET.Element | None = None,
    aliases: Sequence[tuple[str, str]] = (),
    opacity: float = 1.0,
) -> str:
    """Return a QML document: renderer, labels and field aliases of one layer.

    Parameters
    ----------
    geometry
        ``"point"``, ``"line"``, ``"polygon"`` or ``"none"`` (a table).
    renderer
        From :func:`single`, :func:`categorized` or :func:`rule_based`; None
        for a table.
    labeling
        From :func:`simple_labeling` or :func:`rule_labeling`.
    aliases
        ``(field, alias)``: what the attribute table and forms show as the
        field's name.
    opacity
        The layer's opacity.
    """
    root = _element(
        "qgis",
        version=QGIS_VERSION,
        styleCategories="AllStyleCategories",
        labelsEnabled="1" if labeling is not None else "0",
        hasScaleBasedVisibilityFlag="0",
        readOnly="0",
    )
    if renderer is not None:
        root.append(renderer)
    if labeling is not None:
        root.append(labeling)
    if geometry != "none":
        blend = _element("layerOpacity")
        blend.text = f"{opacity:g}"
        root.append(blend)
    names = _element("aliases")
    for i, (name, alias) in enumerate(aliases):
        names.append(_element("alias", field=name, index=str(i), name=alias))
    root.append(names)
    kind = _element("layerGeometryType")
    kind.text = str(GEOMETRY_TYPES[geometry])
    root.append(kind)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"
