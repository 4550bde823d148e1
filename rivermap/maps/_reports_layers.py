"""Tickets (工单) and patrol tracks (巡河轨迹) on the web map: checked, routed and encoded.

:func:`rivermap.maps.responsibility_map` takes ``events`` (reports routed by
:func:`rivermap.route_events`, or as read, then routed here), ``patrols`` (a
:class:`~rivermap.patrols.PatrolCoverage`, its ``patrols`` table, or track
points as read, then judged here) and a ``note`` for a banner. This module
checks them (:func:`check_reports`), routes and judges what needs it
(:func:`reports_of`) and writes what the map's script draws
(:func:`reports_payloads`, drawn by :data:`~rivermap.maps._reports_script.REPORTS_JS`).

How the data is written
-----------------------
A page with 20,000 tickets must stay small and open fast, so nothing is
written per ticket as an object with named fields:

* **points**: the located tickets, sorted along a Morton (Z-order) curve so
  that neighbours follow each other, as one encoded polyline at 5 decimals
  (about 1 m): each point is its difference from the one before, a few
  characters each;
* **columns**: every popup field is one column over the tickets. A text
  column with few distinct values (sources, categories, rivers, units,
  chiefs) is written as its distinct values once and one small integer per
  ticket; a column of mostly distinct values (ids, descriptions) is written as
  a list. Codes are turned into words here, in the map's language
  (``status.*``, ``source.*``, ``category.*``, ``match.*``, ``route.*``,
  ``side.*``; unknown codes read as themselves, as in the tables), and in the
  other language for the page's language button: only those columns are made
  again, the rest once (:class:`_Tickets`, :class:`_Patrols`). A column
  with no value at all is left out;
* **integers** (those indices, times, metres, flags) are *packed*: one
  string of fixed-width base-88 numbers (:func:`_packed`), one or two
  characters a ticket where a JSON list takes three to seven;
* **times**: minutes after the first report's day (wall-clock time, as
  recorded), formatted by the script;
* **flags**: 1 for an unmatched ticket plus 2 for an ambiguous one.

Tickets without a location are not drawn; the legend counts them. Patrol
tracks are simplified to :data:`TRACK_TOLERANCE_M` and encoded as the map's
other lines are (:func:`~rivermap.maps._offline.encode_geometries`); a track
of one point is drawn as a small circle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from rivermap.errors import require_columns
from rivermap.maps import _style
from rivermap.maps._offline import (
    RawElement,
    _script_safe,
    encode_geometries,
    encode_points,
)
from rivermap.maps._reports_script import REPORTS_CSS, REPORTS_JS
from rivermap.text import (
    chief_title,
    code_labels,
    header,
    is_missing,
    list_separator,
    term,
    text_or,
    texts,
)

__all__ = [
    "CLUSTER_MAX_ZOOM",
    "CLUSTER_THRESHOLD",
    "DESCRIPTION_MAX",
    "TRACK_TOLERANCE_M",
    "Reports",
    "ReportsData",
    "check_reports",
    "reports_of",
    "reports_payloads",
]

#: Above this many located tickets, tickets that would overlap are clustered.
CLUSTER_THRESHOLD = 200
#: From this zoom on (streets), every ticket in view is drawn on its own.
CLUSTER_MAX_ZOOM = 16
#: Descriptions are cut to this many characters (with an ellipsis): the popup shows
#: what a ticket is about; the whole text is in the tickets' table. Descriptions
#: are most of a page's bytes (about 3 bytes a Chinese character).
DESCRIPTION_MAX = 80
#: Patrol tracks are simplified to this many metres for display (GPS error is larger).
TRACK_TOLERANCE_M = 5.0
_DECIMALS = 5
_M_PER_DEG = 111_320.0
#: The digits of packed integers: printable ASCII but for what JSON, a script or
#: :func:`~rivermap.maps._offline.js_literal` escapes (87 of them).
_DIGITS = "".join(chr(c) for c in range(35, 127) if chr(c) not in "&<>\\{")
#: Columns whose words a ticket's popup shows, keyed by their name in the events table.
_EVENT_KEYS = (
    "event_id", "reported_at", "source", "category", "status", "deadline", "closed_at",
    "river", "reach_id", "chainage_m", "offset_m", "side", "responsible_name", "chief",
    "match", "reason", "ambiguous", "candidates", "duplicate_of",
)  # fmt: skip
_PATROL_KEYS = (
    "patrol_id", "person", "time", "minutes", "km", "speed_kmh", "own_share",
    "on_river_share", "reasons",
)  # fmt: skip
ToDisplay = Callable[[gpd.GeoDataFrame, str], gpd.GeoDataFrame]


# ------------------------------------------------------------ arguments
@dataclass(frozen=True)
class Reports:
    """Routed tickets, judged patrols and the banner's text, ready to draw."""

    events: gpd.GeoDataFrame | None
    patrols: gpd.GeoDataFrame | None
    note: str | None


def check_reports(events: Any, patrols: Any, note: Any) -> None:
    """Raise TypeError for an ``events``, ``patrols`` or ``note`` of the wrong type.

    Examples
    --------
    >>> check_reports(None, None, "synthetic data")
    >>> check_reports([1, 2], None, None)
    Traceback (most recent call last):
    ...
    TypeError: events must be a GeoDataFrame of reports (...), not list
    """
    if events is not None and not isinstance(events, gpd.GeoDataFrame):
        msg = (
            "events must be a GeoDataFrame of reports (from rivermap.route_events, "
            f"or as read by rivermap.read_events), not {type(events).__name__}"
        )
        raise TypeError(msg)
    if patrols is not None and not isinstance(_patrol_table(patrols), gpd.GeoDataFrame):
        msg = (
            "patrols must be a PatrolCoverage (from rivermap.patrol_coverage), its "
            "'patrols' GeoDataFrame, or track points as read by rivermap.read_patrols; "
            f"not {type(patrols).__name__}"
        )
        raise TypeError(msg)
    if note is not None and not isinstance(note, str):
        msg = f"note must be a string or None, not {type(note).__name__}"
        raise TypeError(msg)


def _patrol_table(patrols: Any) -> Any:
    """Return the patrols table of a PatrolCoverage, or ``patrols`` itself when it is a frame."""
    return patrols if isinstance(patrols, pd.DataFrame) else getattr(patrols, "patrols", None)


def reports_of(resp: Any, events: Any, patrols: Any, note: str | None, lang: str) -> Reports | None:
    """Route the tickets and judge the patrols that need it; None when there is nothing to add.

    Tickets without a ``match`` column are routed with
    :func:`rivermap.routing.route_events`, track points (no ``valid`` column)
    judged with :func:`rivermap.patrols.patrol_coverage`. Without a ``note``,
    tables marked ``attrs["synthetic"]`` bring the synthetic-data notice
    (``msg.synthetic``).
    """
    routed = None if events is None else _routed(resp, events)
    judged = None if patrols is None else _judged(resp, patrols)
    text = text_or(note)
    sources = (events, routed, _patrol_table(patrols), judged)
    if text is None and any(_synthetic(x) for x in sources):
        text = term("msg.synthetic", lang)
    if routed is None and judged is None and text is None:
        return None
    return Reports(routed, judged, text)


def in_language(reports: Reports, lang: str, other: str) -> Reports:
    """Return ``reports`` as made for ``other``: the synthetic-data notice in that language.

    A note given by the caller stays as it was written.
    """
    if reports.note is not None and reports.note == term("msg.synthetic", lang):
        return dataclasses.replace(reports, note=term("msg.synthetic", other))
    return reports


def _synthetic(table: Any) -> bool:
    attrs = getattr(table, "attrs", None)
    return isinstance(attrs, dict) and bool(attrs.get("synthetic"))


def _routed(resp: Any, events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the tickets routed to their reach and chief (routing them when they are not)."""
    if "match" not in events.columns:
        from rivermap.routing import route_events

        events = route_events(resp, events)
    require_columns(events.columns, ("event_id", "match"), "events")
    return events


def _judged(resp: Any, patrols: Any) -> gpd.GeoDataFrame:
    """Return one row per patrol, judged (judging track points when they are not)."""
    table = _patrol_table(patrols)
    if "valid" not in table.columns:
        from rivermap.patrols import patrol_coverage

        table = patrol_coverage(resp, table).patrols
    require_columns(table.columns, ("patrol_id", "valid"), "patrols")
    return table


# --------------------------------------------------------------- element
class ReportsData(MacroElement):
    """The tickets, patrols and banner of a map, drawn by ``rivermap.reports``.

    Its script follows the map's ``rivermap.build`` call and is added verbatim
    (never compiled as a Jinja template); the script and style that draw it go
    into the page head once.
    """

    _template = Template("")

    def __init__(self, data: MacroElement, payload: str) -> None:
        super().__init__()
        self._name = "RivermapReports"
        self.data = data
        self.payload = payload

    def render(self, **kwargs: Any) -> Any:
        """Add the drawing script to the page head and the call with the data to its script."""
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium maps always have one
            msg = "the rivermap reports must be added to a map inside a branca Figure"
            raise TypeError(msg)
        assets = f"<style>{REPORTS_CSS}</style>\n<script>{_script_safe(REPORTS_JS)}</script>"
        figure.header.add_child(RawElement(assets), name="rivermap_reports_assets")
        script = (
            f"var {self.get_name()} = rivermap.reports({self.data.get_name()}, {self.payload});\n"
        )
        figure.script.add_child(RawElement(script), name=self.get_name())
        return super().render(**kwargs)


# --------------------------------------------------------------- payload
def reports_payloads(
    reports: Reports, lang: str, langs: Sequence[str], to_display: ToDisplay
) -> dict[str, dict[str, Any]]:
    """Return what ``rivermap.reports`` draws in each of ``langs``: tickets, patrols, note, words.

    ``reports`` were made in ``lang`` (see :func:`in_language`). ``to_display``
    moves a table to the map's coordinates (EPSG:4326, or GCJ-02 on a 高德
    basemap) and raises :class:`~rivermap.errors.CRSError` for a table without
    a CRS. The tables are moved, and everything without words (points, tracks,
    times, numbers, names) is made, once for all the languages.
    """
    events = patrols = None
    if reports.events is not None:
        events = _Tickets.of(_displayed(reports.events, "events", to_display))
    if reports.patrols is not None:
        patrols = _Patrols.of(_displayed(reports.patrols, "patrols", to_display))
    return {
        other: _payload(in_language(reports, lang, other).note, other, events, patrols)
        for other in langs
    }


def _payload(
    note: str | None, lang: str, events: _Tickets | None, patrols: _Patrols | None
) -> dict[str, Any]:
    """Return the payload in ``lang``: the tables' parts made once, with that language's words."""
    return {
        "note": note,
        "digits": _DIGITS,
        "events": None if events is None else events.payload(lang),
        "patrols": None if patrols is None else patrols.payload(lang),
        "eventKeys": {c: header(c, lang, table="events") for c in _EVENT_KEYS},
        "patrolKeys": {c: header(c, lang, table="patrols") for c in _PATROL_KEYS},
        "colours": {
            "unmatched": _style.UNMATCHED_COLOUR,
            "ambiguous": _style.AMBIGUOUS_COLOUR,
            "cluster": _style.CLUSTER_COLOUR,
            "valid": _style.VALID_PATROL_COLOUR,
            "invalid": _style.INVALID_PATROL_COLOUR,
        },
        "marker": dict(_style.EVENT_MARKER),
    }


def _displayed(table: gpd.GeoDataFrame, what: str, to_display: ToDisplay) -> gpd.GeoDataFrame:
    """Return ``table`` in display coordinates; a table with no geometry at all needs no CRS."""
    geoms = np.asarray(table.geometry.values, dtype=object)
    if table.crs is None and bool(shapely.is_missing(geoms).all() | (len(geoms) == 0)):
        return table
    return to_display(table, what)


@dataclass(frozen=True)
class _Tickets:
    """The located tickets in Z order, and what the script reads of them that has no words."""

    table: pd.DataFrame  # the located tickets' columns, in the order of ``shape``'s points
    missing: int  # tickets without a location
    shape: dict[str, Any]
    cols: dict[str, dict[str, Any]]

    @staticmethod
    def of(events: gpd.GeoDataFrame) -> _Tickets:
        """Locate and order the tickets; encode their points, flags, times, numbers and names."""
        x, y, rows = _located(events)
        order = _morton_order(x, y)
        x, y, rows = x[order], y[order], rows[order]
        table = pd.DataFrame(events.drop(columns=events.geometry.name)).iloc[rows]
        table = table.reset_index(drop=True)
        base = _base_minute(table.get("reported_at"))
        shape = {
            "n": len(rows),
            "noLocation": len(events) - len(rows),
            "factor": 10**_DECIMALS,
            "pts": encode_points(np.round(x, _DECIMALS), np.round(y, _DECIMALS), _DECIMALS),
            "base": base,
            "flags": _packed(_flags(table).tolist()),
            "cluster": len(rows) > CLUSTER_THRESHOLD,
            "clusterMaxZoom": CLUSTER_MAX_ZOOM,
        }
        return _Tickets(table, len(events) - len(rows), shape, _event_columns(table, base))

    def payload(self, lang: str) -> dict[str, Any]:
        """Return the tickets as the script reads them, with the words of ``lang``."""
        return {
            **self.shape,
            "noLocationText": term("ui.no_location_count", lang, n=self.missing),
            "status": _statuses(self.table.get("status"), len(self.table), lang),
            "cols": {**self.cols, **_event_words(self.table, lang)},
        }


def _located(events: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return longitude, latitude and row position of every ticket with a location."""
    geoms = np.asarray(events.geometry.values, dtype=object)
    present = ~shapely.is_missing(geoms)
    present[present] = ~shapely.is_empty(geoms[present])
    rows = np.flatnonzero(present)
    points = shapely.centroid(geoms[rows])  # a point is its own centroid
    x, y = shapely.get_x(points), shapely.get_y(points)
    finite = np.isfinite(x) & np.isfinite(y)
    return x[finite], y[finite], rows[finite]


def _morton_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the order of points along a Z-order curve over their extent (16 bits an axis).

    Examples
    --------
    >>> _morton_order(np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])).tolist()
    [2, 1, 0, 3]
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)

    def cells(v: np.ndarray) -> np.ndarray:
        span = float(v.max() - v.min()) or 1.0
        q = np.floor((v - v.min()) / span * 65535).astype(np.uint64)
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            q = (q | (q << np.uint64(shift))) & np.uint64(mask)
        return q

    return np.argsort(cells(x) | (cells(y) << np.uint64(1)), kind="stable")


# ----------------------------------------------------------- ticket columns
def _statuses(values: Any, n: int, lang: str) -> dict[str, Any]:
    """Return the statuses present: words, colours and class names, and one index per ticket.

    Known statuses come in their order (:data:`~rivermap.maps._style.STATUS_COLOURS`),
    then unknown ones (read as themselves, grey), then a missing status.
    """
    codes = [None] * n if values is None else _text_values(values)
    present = set(codes)
    known = [c for c in _style.STATUS_COLOURS if c in present]
    unknown = sorted(c for c in present if c is not None and c not in _style.STATUS_COLOURS)
    entries: list[str | None] = [*known, *unknown, *([None] if None in present else [])]
    index = {code: k for k, code in enumerate(entries)}
    return {
        "d": [_status_word(c, lang) for c in entries],
        "c": [_style.STATUS_COLOURS.get(c or "", _style.NO_STATUS_COLOUR) for c in entries],
        "k": [c if c in _style.STATUS_COLOURS else "other" if c else "none" for c in entries],
        **_packed([index[c] for c in codes]),
    }


def _status_word(code: str | None, lang: str) -> str:
    if code is None:
        return term("ui.no_status", lang)
    return term(f"status.{code}", lang) if code in _style.STATUS_COLOURS else code


def _flags(table: pd.DataFrame) -> np.ndarray:
    """Return 1 for every unmatched ticket plus 2 for every ambiguous one."""
    n = len(table)
    unmatched = np.array([v == "unmatched" for v in _text_values(table["match"])], dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    if "ambiguous" in table.columns:
        values = table["ambiguous"].to_numpy(dtype=object)
        ambiguous = np.array([not is_missing(v) and bool(v) for v in values], dtype=bool)
    return unmatched.astype(np.int64) + 2 * ambiguous.astype(np.int64)


def _event_columns(table: pd.DataFrame, base: int) -> dict[str, dict[str, Any]]:
    """Return the tickets' popup columns without words (absent columns are left out)."""
    found: dict[str, list[Any] | None] = {
        "id": _texts(table, "event_id"),
        "t": _minutes(table.get("reported_at"), base),
        "dl": _minutes(table.get("deadline"), base),
        "ct": _minutes(table.get("closed_at"), base),
        "desc": _texts(table, "description", cut=DESCRIPTION_MAX),
        "rv": _texts(table, "river", fallback="river_id"),
        "rc": _texts(table, "reach_id"),
        "ch": _rounded(table.get("chainage_m")),
        "off": _rounded(table.get("offset_m")),
        "un": _texts(table, "responsible_name", fallback="responsible"),
        "cf": _texts(table, "chief"),
        "ph": _texts(table, "chief_phone"),
        "dup": _texts(table, "duplicate_of"),
    }
    return _columns(found)


def _event_words(table: pd.DataFrame, lang: str) -> dict[str, dict[str, Any]]:
    """Return the tickets' popup columns of words in ``lang`` (absent columns are left out)."""
    sep = list_separator(lang)
    found: dict[str, list[Any] | None] = {
        "src": _words(table, "source", lang),
        "cat": _words(table, "category", lang),
        "sd": _words(table, "side", lang),
        "cl": _mapped(_texts(table, "chief_level"), lambda v: chief_title(v, lang)),
        "mt": _words(table, "match", lang),
        "rs": _words(table, "reason", lang, prefix="route"),
        "cand": _mapped(_texts(table, "candidates"), lambda v: sep.join(_parts(v))),
    }
    return _columns(found)


def _columns(found: dict[str, list[Any] | None]) -> dict[str, dict[str, Any]]:
    """Return the columns that have a value, each as :func:`_column` writes it."""
    out = {}
    for key, values in found.items():
        if values is not None and any(v is not None for v in values):
            out[key] = _column(values)
    return out


def _column(values: Sequence[Any]) -> dict[str, Any]:
    """Return a column as the script reads it: packed integers, distinct texts, or a list.

    Integers are packed (:func:`_packed`); texts with fewer distinct values
    than half the rows become ``d`` (the distinct texts) and the packed index
    of each row's text; other columns are a list ``v``.

    Examples
    --------
    >>> _column(["a", "b", "a", None, "a"])
    {'d': ['a', 'b'], 'o': 0, 'w': 1, 's': '$%$#$'}
    >>> _column(["x1", "x2"]), _column([1.5, None])
    ({'v': ['x1', 'x2']}, {'v': [1.5, None]})
    """
    if all(v is None or isinstance(v, int) for v in values):
        return _packed(values)
    if not all(v is None or isinstance(v, str) for v in values):
        return {"v": list(values)}
    codes, distinct = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=True)
    if 2 * len(distinct) >= len(values):
        return {"v": list(values)}
    return {
        "d": [str(v) for v in distinct],
        **_packed([None if c < 0 else c for c in codes.tolist()]),
    }


def _packed(values: Sequence[int | None]) -> dict[str, Any]:
    """Return integers as fixed-width base-88 numbers in one string: ``{"o", "w", "s"}``.

    A value ``v`` is written as ``v - o + 1`` in ``w`` digits of
    :data:`_DIGITS` (most significant first); 0 is a missing value. Nothing in
    the string needs escaping in JSON or in a script, so it costs ``w`` bytes a
    row.

    Examples
    --------
    >>> _packed([3, None, 5, 200])
    {'o': 3, 'w': 2, 's': "#$###'%="}
    """
    ints = np.array([0 if v is None else v for v in values], dtype=np.int64)
    ok = np.array([v is not None for v in values], dtype=bool)
    low = int(ints[ok].min()) if ok.any() else 0
    codes = np.where(ok, ints - low + 1, 0)
    base = len(_DIGITS)
    width = 1
    while base**width <= int(codes.max(initial=0)):
        width += 1
    places = base ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (codes[:, None] // places[None, :]) % base
    alphabet = np.frombuffer(_DIGITS.encode("ascii"), dtype=np.uint8)
    return {"o": low, "w": width, "s": alphabet[digits].tobytes().decode("ascii")}


def _text_values(values: Any) -> list[str | None]:
    """Return values as text, None where missing."""
    return [None if v is None else str(v) for v in texts(np.asarray(values, dtype=object))]


def _texts(
    table: pd.DataFrame, column: str, *, fallback: str | None = None, cut: int | None = None
) -> list[str | None] | None:
    """Return a column as text (the ``fallback`` column where it is missing), cut to ``cut``."""
    if column not in table.columns and (fallback is None or fallback not in table.columns):
        return None
    values: list[str | None] = [None] * len(table)
    if column in table.columns:
        values = _text_values(table[column])
    if fallback is not None and fallback in table.columns:
        other = _text_values(table[fallback])
        values = [v if v is not None else o for v, o in zip(values, other, strict=True)]
    if cut is not None:
        values = [v if v is None or len(v) <= cut else v[:cut] + "…" for v in values]
    return values


def _mapped(values: list[str | None] | None, word: Callable[[str], str]) -> list[str | None] | None:
    """Apply ``word`` to every distinct value (missing values stay missing)."""
    if values is None:
        return None
    lookup = {v: word(v) for v in set(values) if v is not None}
    return [None if v is None else lookup[v] for v in values]


def _words(
    table: pd.DataFrame, column: str, lang: str, *, prefix: str | None = None
) -> list[str | None] | None:
    """Return a column of codes as the words of the terms ``<prefix>.<code>``."""
    return _mapped(_texts(table, column), lambda v: code_labels(v, lang, prefix or column))


def _parts(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _rounded(values: Any, digits: int = 0) -> list[Any] | None:
    """Return numbers rounded to ``digits`` (integers for 0), None where missing."""
    if values is None:
        return None
    numbers = pd.to_numeric(pd.Series(values).astype(object), errors="coerce").to_numpy(float)
    ok = np.isfinite(numbers)
    rounded = np.round(numbers, digits)
    cast = int if digits == 0 else float
    return [cast(v) if good else None for v, good in zip(rounded.tolist(), ok, strict=True)]


# ------------------------------------------------------------------ times
def _times(values: Any) -> np.ndarray:
    """Return values as wall-clock ``datetime64[m]`` (NaT where missing or unreadable)."""
    series = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = series.astype(object).where(~pd.isna(series), None)
        try:
            series = pd.to_datetime(series, errors="coerce", format="mixed")
        except (TypeError, ValueError):  # zones that differ: read as Beijing time
            series = pd.to_datetime(series, errors="coerce", format="mixed", utc=True)
            series = series.dt.tz_convert("Asia/Shanghai")
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return series.to_numpy(dtype="datetime64[m]")


def _base_minute(values: Any) -> int:
    """Return the minute (since 1970) at the start of the first day in ``values``; 0 if none."""
    if values is None:
        return 0
    stamps = _times(values)
    stamps = stamps[~np.isnat(stamps)]
    if len(stamps) == 0:
        return 0
    return int(stamps.min().astype("datetime64[D]").astype("datetime64[m]").astype(np.int64))


def _minutes(values: Any, base: int) -> list[int | None] | None:
    """Return times as minutes after ``base``, None where missing."""
    if values is None:
        return None
    stamps = _times(values)
    ints = stamps.astype(np.int64) - base
    return [None if bad else int(v) for v, bad in zip(ints.tolist(), np.isnat(stamps), strict=True)]


# ---------------------------------------------------------------- patrols
@dataclass(frozen=True)
class _Patrols:
    """The patrols' tracks and points, and what the script reads of them that has no words."""

    table: pd.DataFrame
    shape: dict[str, Any]
    cols: dict[str, dict[str, Any]]

    @staticmethod
    def of(patrols: gpd.GeoDataFrame) -> _Patrols:
        """Encode every patrol's track, its point when it has only one, and its popup numbers."""
        geoms = np.asarray(patrols.geometry.values, dtype=object)
        lines = shapely.simplify(geoms, TRACK_TOLERANCE_M / _M_PER_DEG, preserve_topology=False)
        lines = shapely.transform(lines, lambda c: np.round(c, _DECIMALS))
        points = [
            [
                j,
                round(float(shapely.get_y(g)), _DECIMALS),
                round(float(shapely.get_x(g)), _DECIMALS),
            ]
            for j, g in enumerate(geoms)
            if g is not None and shapely.get_type_id(g) == 0 and not shapely.is_empty(g)
        ]
        base = _base_minute(patrols.get("started_at"))
        valid = patrols["valid"].to_numpy(dtype=object)
        found: dict[str, list[Any] | None] = {
            "id": _texts(patrols, "patrol_id"),
            "who": _texts(patrols, "person"),
            "t0": _minutes(patrols.get("started_at"), base),
            "t1": _minutes(patrols.get("ended_at"), base),
            "min": _rounded(patrols.get("minutes")),
            "km": _rounded(patrols.get("km"), 2),
            "v": _rounded(patrols.get("speed_kmh"), 1),
            "riv": _rounded(patrols.get("on_river_share"), 3),
            "own": _rounded(patrols.get("own_share"), 3),
            "ok": [int(not is_missing(v) and bool(v)) for v in valid],
        }
        shape = {
            "n": len(patrols),
            "factor": 10**_DECIMALS,
            "base": base,
            "lines": encode_geometries(lines, _DECIMALS),
            "points": points,
        }
        return _Patrols(
            pd.DataFrame(patrols.drop(columns=patrols.geometry.name)), shape, _columns(found)
        )

    def payload(self, lang: str) -> dict[str, Any]:
        """Return the patrols as the script reads them, with the words of ``lang``."""
        words = _columns({"why": _words(self.table, "reasons", lang, prefix="patrol")})
        return {**self.shape, "cols": {**self.cols, **words}}
