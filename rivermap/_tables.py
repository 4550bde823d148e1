"""Reading tables whose headers may be Chinese or English: rosters, reports, track points.

A reader of a table people made (:func:`rivermap.read_chiefs`,
:func:`rivermap.read_events`, :func:`rivermap.read_patrols`) does the same five
things, and they live here, parameterised by the reader's alias table and the
noun its messages use:

1. **Load** (:func:`load`) a path (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030;
   XLSX; for readers that take them, any vector file) or a DataFrame (copied,
   never modified), and number the rows as the user sees them: in a spreadsheet
   the header is row 1 and the first data row is row 2; in a vector file
   features count from 1; in a DataFrame a row is named by its index label.
2. **Map headers to fields** (:func:`map_headers`): a header and an alias match
   when their keys (:func:`header_key`: lower case; spaces, underscores and
   hyphens removed; full-width brackets made half-width) are equal, so
   ``Event ID``, ``event_id`` and ``EVENT-ID`` are one header. Two columns
   giving the same field is an error, not a guess.
3. **Clean cells** (:func:`clean_text`) by the one missing-text rule
   (:func:`rivermap.text.is_missing`) plus the words spreadsheets write in an
   empty cell (:data:`EMPTY_WORDS`); whole-number floats lose their ``.0``.
4. **Collect problems** (:class:`Problems`) instead of stopping at the first:
   one :class:`~rivermap.errors.SchemaError` names the file, the first ten bad
   cells (row as the user sees it, column as the user wrote it, what is wrong)
   and the count.
5. **Read times** (:func:`parse_times`) and **locations** (:func:`lonlat_points`,
   :func:`geometries_to_wgs84`) into ``datetime64[ns]`` and WGS84 points.

Times
-----
:func:`parse_times` reads a column in bulk, one pass per family of formats,
each pass over the cells no earlier pass could read:

* datetime columns (Excel cells read by pandas, vector-file date fields) are
  taken as they are; those with a time zone are converted;
* numbers: ``20261103`` (eight digits) is a date; a number of 1e9 or more is
  Unix epoch time, in seconds below 1e11 and milliseconds above; a number from
  20000 to 100000 is an Excel serial date (days since 1899-12-30, fractions are
  the time of day: ``46329.6``);
* ISO 8601 with a zone (``2026-11-03T06:20:00Z``, ``…+08:00``);
* ISO 8601 and slashed dates without a zone (``2026-11-03 14:20``,
  ``2026-11-03T14:20:00``, ``2026/11/3 14:20:00``, ``2026-11-03``: midnight);
* year, month, day (and hour, minute, second) as digit groups separated by
  one or two other characters: this reads the Chinese forms
  ``2026年11月3日 14:20``, ``2026年11月3日14时20分`` and ``2026年11月3日``,
  and ``2026.11.3``;
* what is left, one cell at a time, by :class:`pandas.Timestamp` (``3 Nov 2026
  14:20``), except day-first-or-month-first forms such as ``03/11/2026`` and
  cells without a four-digit year, which are refused rather than guessed.

Times with a zone (and epoch times, which are UTC) are converted to China
Standard Time (UTC+8, which has had no daylight saving since 1991) and stored
without a zone, as are times without one: every time rivermap holds is a
naive Beijing time. A cell none of the passes reads is a problem of its row.

Locations
---------
Longitude/latitude cells must be numbers, both present or both empty (a row
with neither has no location, which is legal). In a geographic CRS they must
lie in -180..180 and -90..90; when every latitude is out of range but every
longitude is within ±90 the columns look swapped and the error says so. The
``crs=`` argument of a reader (:func:`source_crs`) names GCJ-02 or BD-09
(:func:`rivermap.crs.parse_chinese_crs`), converted by
:mod:`rivermap._gcj02`, or any CRS PROJ knows, transformed by pyproj.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rivermap import _gcj02
from rivermap.crs import check_crs, parse_chinese_crs
from rivermap.errors import CRSError, SchemaError, format_ids
from rivermap.text import is_missing

__all__ = [
    "EMPTY_WORDS",
    "TABLE_SUFFIXES",
    "Loaded",
    "Problems",
    "SourceCRS",
    "cells",
    "clean_text",
    "drop_blank",
    "geometries_to_wgs84",
    "header_key",
    "load",
    "lonlat_points",
    "map_headers",
    "parse_times",
    "source_crs",
    "vector_points",
]

PathLike: TypeAlias = str | os.PathLike[str]

#: What spreadsheets and pandas write in a cell that holds nothing.
EMPTY_WORDS = ("nan", "None", "<NA>", "NaT")
#: Suffixes read as tables (:func:`rivermap.io.read_table`); others as vector files.
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")

_WGS84 = pyproj.CRS.from_epsg(4326)
#: China Standard Time is UTC+8 (no daylight saving since 1991).
_CST = pd.Timedelta(hours=8)
_TIME_HINT = "write it as 2026-11-03 14:20"


# ----------------------------------------------------------------- loading
class Loaded(NamedTuple):
    """A table as read: where it came from, its cells, and its rows as the user sees them."""

    where: str
    frame: pd.DataFrame
    rows: list[Any]
    row_word: str
    geometry: np.ndarray | None
    crs: pyproj.CRS | None


def load(
    source: Any,
    *,
    label: str,
    caller: str,
    encoding: str | None = None,
    layer: str | None = None,
    vector: bool = False,
) -> Loaded:
    """Read ``source`` and number its rows as the user sees them.

    Parameters
    ----------
    source
        A path (CSV/XLSX; with ``vector``, any file :func:`rivermap.io.read_vector`
        reads) or a DataFrame, which is copied.
    label
        How messages name a DataFrame source (``"roster"``, ``"events"``).
    caller
        The public function, for the TypeError of a wrong type.
    encoding, layer
        As the reader's arguments.
    vector
        Whether vector files and GeoDataFrame geometries are read; without it a
        DataFrame's ``geometry`` column is dropped.

    Returns
    -------
    Loaded
        ``where`` (the path, or ``label``), ``frame`` (attribute columns only),
        ``rows`` (header row 1, data from row 2; features from 1; index labels),
        ``row_word`` (``"row"`` or ``"feature"``), the ``geometry`` array (or
        None) and its ``crs``.
    """
    if isinstance(source, pd.DataFrame):
        return _load_frame(source, label, vector)
    if not isinstance(source, str | os.PathLike):
        msg = f"{caller}: expected a path or a DataFrame, got {type(source).__name__}"
        raise TypeError(msg)
    from rivermap.io import data_layer, read_table, read_vector

    path = Path(source)
    if not vector or path.suffix.lower() in TABLE_SUFFIXES:
        frame = read_table(path, encoding=encoding)
        # The header is row 1 of the spreadsheet; data rows start at row 2.
        return Loaded(os.fspath(source), frame, list(range(2, len(frame) + 2)), "row", None, None)
    layer = data_layer(path, layer)
    where = os.fspath(source) + (f" (layer {layer!r})" if layer else "")
    read = _times_as_written(
        read_vector(path, layer=layer, encoding=encoding), path, layer, encoding
    )
    loaded = _load_frame(read, where, vector=True)
    return loaded._replace(rows=list(range(1, len(read) + 1)), row_word="feature")


def _times_as_written(
    frame: pd.DataFrame, path: Path, layer: str | None, encoding: str | None
) -> pd.DataFrame:
    """Replace a vector file's date and time fields by their text, for :func:`parse_times`.

    GDAL parses them itself, and where a field mixes times with and without a
    zone it takes those without one as UTC: a Beijing time would move by 8
    hours. The fields are read again as the text of the file.
    """
    import pyogrio

    from rivermap.io import detect_encoding

    times = [
        c
        for c in frame.columns
        if c != getattr(frame, "active_geometry_name", None)
        and pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    if not times or path.suffix.lower() in (".parquet", ".geoparquet", ".pq"):
        return frame
    text = pyogrio.read_dataframe(
        path,
        layer=layer,
        encoding=encoding or detect_encoding(path),
        columns=times,
        read_geometry=False,
        datetime_as_string=True,
    )
    frame = frame.copy()
    for c in times:
        frame[c] = text[c].to_numpy(dtype=object)
    return frame


def _load_frame(source: pd.DataFrame, where: str, vector: bool) -> Loaded:
    """Copy a DataFrame's cells; keep its geometry apart (``vector``) or drop it."""
    geometry, crs = None, None
    name = source.active_geometry_name if isinstance(source, gpd.GeoDataFrame) else None
    if vector and name is not None:
        geometry = np.asarray(source[name].to_numpy(), dtype=object)
        crs = None if source.crs is None else pyproj.CRS.from_user_input(source.crs)
    frame = pd.DataFrame(source).copy()
    drop = [c for c in (name, "geometry") if c is not None and c in frame.columns]
    frame = frame.drop(columns=list(dict.fromkeys(drop)))
    return Loaded(where, frame, list(frame.index), "row", geometry, crs)


# ----------------------------------------------------------------- headers
def header_key(text: object) -> str:
    """Return the key a header is compared by: lower case, no spaces, ``_`` or ``-``.

    Full-width brackets count as half-width ones, and a byte-order mark is ignored.

    Examples
    --------
    >>> header_key(" Event_ID "), header_key("上报时间（北京）")
    ('eventid', '上报时间(北京)')
    """
    key = str(text).replace("\ufeff", "").strip().lower()
    key = key.replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-]", "", key)


def map_headers(
    frame: pd.DataFrame, where: str, aliases: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Map each field of ``aliases`` to the column of ``frame`` that gives it.

    Parameters
    ----------
    frame
        The table.
    where
        The file or label, for the message.
    aliases
        ``{field: header aliases}``, compared by :func:`header_key`.

    Returns
    -------
    dict
        ``{field: column as the user wrote it}`` for the fields found.

    Raises
    ------
    SchemaError
        When two columns give the same field.

    Examples
    --------
    >>> map_headers(pd.DataFrame(columns=["ID", "x"]), "t.csv", {"event_id": ("id",)})
    {'event_id': 'ID'}
    """
    lookup = {header_key(a): field for field, names in aliases.items() for a in names}
    fields: dict[str, Any] = {}
    for col in frame.columns:
        field = lookup.get(header_key(col))
        if field is None:
            continue
        if field in fields:
            msg = (
                f"{where}: columns {fields[field]!r} and {col!r} both give the {field}; "
                "keep one of them"
            )
            raise SchemaError(msg)
        fields[field] = col
    return fields


# ------------------------------------------------------------------- cells
def clean_text(values: pd.Series) -> pd.Series:
    """Return cells as stripped text, NaN where text is missing; integral floats lose '.0'.

    Missing follows :func:`rivermap.text.is_missing` once the cells are
    stripped, and the words spreadsheets and pandas write for an empty cell
    (:data:`EMPTY_WORDS`) are missing too.

    Examples
    --------
    >>> clean_text(pd.Series([" a ", "", "nan", None])).tolist()
    ['a', nan, nan, nan]
    >>> clean_text(pd.Series([330106.0, float("nan")])).tolist()
    ['330106', nan]
    """
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    text = values.astype("str").str.strip()
    text = text.where(~text.isin(EMPTY_WORDS))
    return text.where(~is_missing(text.to_numpy(dtype=object)))


def cells(
    frame: pd.DataFrame, fields: Mapping[str, Any], rows: list[Any]
) -> tuple[dict[str, pd.Series], list[Any]]:
    """Return the cleaned cells of every field, and the row numbers, without blank rows.

    A row is blank when every cell of every field is missing.
    """
    found = {field: clean_text(frame[col]) for field, col in fields.items()}
    keep = ~pd.concat(list(found.values()), axis=1).isna().all(axis=1).to_numpy()
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    return {f: s.loc[keep].reset_index(drop=True) for f, s in found.items()}, rows


def drop_blank(loaded: Loaded) -> Loaded:
    """Drop the rows whose every cell is missing and that have no geometry; reset the index."""
    frame = loaded.frame
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        blank &= clean_text(frame[col]).isna().to_numpy()
    if loaded.geometry is not None:
        blank &= shapely.is_missing(loaded.geometry) | shapely.is_empty(loaded.geometry)
    keep = ~blank
    return loaded._replace(
        frame=frame.loc[keep].reset_index(drop=True),
        rows=[r for r, k in zip(loaded.rows, keep, strict=True) if k],
        geometry=None if loaded.geometry is None else loaded.geometry[keep],
    )


class Problems:
    """The bad cells of a table, collected so that one error names them all.

    Parameters
    ----------
    where
        The file or label the table came from.
    rows
        Each row's name as the user sees it (row number, feature number, label).
    fields
        ``{field: column as the user wrote it}``, to name the column of a field.
    noun
        What a row is, for the message: ``"roster"`` reads "bad roster row(s)".
    row_word
        How a row is named before its number (``"row"``, ``"feature"``); empty
        when ``rows`` are whole labels (``"track 2, point 5"``).

    Examples
    --------
    >>> p = Problems("e.csv", [2, 3], {"event_id": "ID"}, "ticket")
    >>> p.add(np.array([False, True]), "event_id", "empty id")
    >>> p.raise_any()
    Traceback (most recent call last):
    ...
    rivermap.errors.SchemaError: e.csv: 1 bad ticket row(s): row 3, column 'ID': empty id
    """

    def __init__(
        self,
        where: str,
        rows: Sequence[Any],
        fields: Mapping[str, Any],
        noun: str,
        row_word: str = "row",
    ) -> None:
        self.where, self.rows, self.fields = where, list(rows), fields
        self.noun, self.row_word = noun, row_word
        self.found: list[tuple[int, str, str]] = []  # (position, column, message)

    def add(self, mask: np.ndarray, field: str, messages: Sequence[str] | str) -> None:
        """Record a problem in ``field`` for every row where ``mask`` is true."""
        column = str(self.fields.get(field, field))
        n = int(mask.sum())
        msgs = [messages] * n if isinstance(messages, str) else list(messages)
        self.found.extend(
            (int(i), column, m) for i, m in zip(np.flatnonzero(mask), msgs, strict=True)
        )

    def name(self, position: int) -> str:
        """Return how the user names the row at ``position`` (``"row 5"``)."""
        return f"{self.row_word} {self.rows[position]}".strip()

    def names(self, positions: Sequence[int]) -> str:
        """Return how the user names the rows at ``positions``: the first ten and a count."""
        if not self.row_word:
            return format_ids([self.rows[i] for i in positions], limit=10)
        return f"{self.row_word}s " + format_ids([self.rows[i] for i in positions], limit=10)

    def raise_any(self) -> None:
        """Raise one SchemaError naming the first ten bad rows and the count, if any."""
        if not self.found:
            return
        found = sorted(self.found, key=lambda p: p[0])
        lines = [f"{self.name(i)}, column {col!r}: {m}" for i, col, m in found[:10]]
        more = f"; … ({len(found)} problems in all)" if len(found) > 10 else ""
        msg = f"{self.where}: {len(found)} bad {self.noun} row(s): " + "; ".join(lines) + more
        raise SchemaError(msg)


# ------------------------------------------------------------------- times
def parse_times(values: pd.Series, problems: Problems, field: str) -> pd.Series:
    """Read a column of times as naive China Standard Time, in bulk (see the module docstring).

    Parameters
    ----------
    values
        The raw cells (text, numbers, datetimes), aligned with ``problems.rows``.
    problems
        Where a cell that is not empty and cannot be read is recorded.
    field
        The field, to name its column in the message.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` with ``values``' index; NaT where the cell is empty
        or unreadable.

    Examples
    --------
    >>> p = Problems("t.csv", [2, 3, 4, 5], {}, "event")
    >>> s = pd.Series(["2026年11月3日14时20分", "2026-11-03T06:20:00Z", "46329.6", ""])
    >>> parse_times(s, p, "reported_at").tolist()  # doctest: +NORMALIZE_WHITESPACE
    [Timestamp('2026-11-03 14:20:00'), Timestamp('2026-11-03 14:20:00'),
     Timestamp('2026-11-03 14:24:00'), NaT]
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return (utc.astype("datetime64[ns]") + _CST).rename(None)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[ns]").rename(None)
    text = clean_text(values).reset_index(drop=True)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    left = text.notna().to_numpy(copy=True)
    for step in (_numeric_times, _zoned_times, _iso_times, _digit_group_times, _one_by_one):
        if not left.any():
            break
        parsed = step(text[left])
        ok = parsed.notna()
        out[parsed.index[ok]] = parsed[ok].to_numpy(dtype="datetime64[ns]")
        left[parsed.index[ok]] = False
    problems.add(left, field, [f"cannot read the time {v!r}; {_TIME_HINT}" for v in text[left]])
    return out.set_axis(values.index)


def _empty_times(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")


def _numeric_times(text: pd.Series) -> pd.Series:
    """Eight-digit dates, Unix epoch seconds or milliseconds, Excel serial dates."""
    out = _empty_times(text.index)
    numeric = text.str.fullmatch(r"[+-]?\d+(?:\.\d+)?").to_numpy(dtype=bool)
    if not numeric.any():
        return out
    digits = text[numeric]
    ymd = digits.str.fullmatch(r"\d{8}").to_numpy(dtype=bool)
    dates = pd.to_datetime(digits[ymd], format="%Y%m%d", errors="coerce")
    number = pd.to_numeric(digits[~ymd], errors="coerce")
    seconds = number[(number >= 1e9) & (number < 1e11)]
    millis = number[number >= 1e11]
    serial = number[(number >= 20000) & (number < 100000)]
    for part in (
        dates,
        pd.to_datetime(seconds * 1000, unit="ms", errors="coerce") + _CST,
        pd.to_datetime(millis, unit="ms", errors="coerce") + _CST,
        pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D").dt.round("ms"),
    ):
        out[part.index] = part.to_numpy(dtype="datetime64[ns]")
    return out


_ZONE = re.compile(r"(?i)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:z|[+-]\d{2}(?::?\d{2})?)$")


def _zoned_times(text: pd.Series) -> pd.Series:
    """ISO 8601 times with a zone (``Z``, ``+08:00``), as China Standard Time."""
    out = _empty_times(text.index)
    zoned = text.str.contains(_ZONE).to_numpy(dtype=bool)
    if zoned.any():
        tight = text[zoned].str.replace(r"\s+(?=[zZ+-][\d:]*$)", "", regex=True)
        utc = pd.to_datetime(tight, format="ISO8601", utc=True, errors="coerce")
        out[tight.index] = (utc.dt.tz_localize(None) + _CST).to_numpy(dtype="datetime64[ns]")
    return out


def _iso_times(text: pd.Series) -> pd.Series:
    """ISO 8601 and slashed dates and times without a zone (a day is needed, not just a month)."""
    with_day = text[text.str.match(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}").to_numpy(dtype=bool)]
    return pd.to_datetime(with_day, format="ISO8601", errors="coerce")


_DIGIT_GROUPS = (
    r"(?P<year>\d{4})\D{1,2}(?P<month>\d{1,2})\D{1,2}(?P<day>\d{1,2})\D{0,2}?"
    r"(?:\s*(?P<hour>\d{1,2})\D{1,2}(?P<minute>\d{1,2})"
    r"(?:\D{1,2}(?P<second>\d{1,2}(?:\.\d+)?))?\D{0,2})?"
)


def _digit_group_times(text: pd.Series) -> pd.Series:
    """Year, month, day (hour, minute, second) as digit groups: ``2026年11月3日14时20分``."""
    parts = text.str.extract(f"^{_DIGIT_GROUPS}$")
    iso = (
        parts["year"]
        + "-"
        + parts["month"].str.zfill(2)
        + "-"
        + parts["day"].str.zfill(2)
        + " "
        + parts["hour"].fillna("0").str.zfill(2)
        + ":"
        + parts["minute"].fillna("0").str.zfill(2)
        + ":"
        + parts["second"].fillna("0").str.zfill(2)
    )
    return pd.to_datetime(iso, format="ISO8601", errors="coerce")


def _one_by_one(text: pd.Series) -> pd.Series:
    """Read what no bulk pass read, cell by cell; refuse day/month-ambiguous or yearless cells."""
    out = _empty_times(text.index)
    stamps: dict[Any, pd.Timestamp] = {}
    for i, value in text.items():
        groups = len(re.findall(r"\d+", value))
        if (
            not re.search(r"\d{4}", value)
            or (groups < 3 and not re.search(r"[A-Za-z]{3}", value))
            or re.match(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", value)
        ):
            continue
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, OverflowError):
            continue
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None) + _CST
        stamps[i] = stamp
    if stamps:
        out[list(stamps)] = np.array(list(stamps.values()), dtype="datetime64[ns]")
    return out


# --------------------------------------------------------------- locations
@dataclasses.dataclass(frozen=True)
class SourceCRS:
    """The coordinate system a reader's ``crs=`` argument names.

    ``offset`` is ``"gcj02"`` or ``"bd09"`` for the Chinese offset systems,
    ``crs`` a CRS PROJ knows; both None when ``crs=`` was not given.
    """

    offset: str | None = None
    crs: pyproj.CRS | None = None

    def label(self, own: pyproj.CRS | None = None) -> str:
        """Return how ``out.attrs["source_crs"]`` records the input CRS."""
        if self.offset is not None:
            return {"gcj02": "GCJ-02", "bd09": "BD-09"}[self.offset]
        crs = self.crs or own or _WGS84
        return crs.to_string()

    def geographic(self, own: pyproj.CRS | None = None) -> bool:
        """Whether coordinates are longitude/latitude in degrees."""
        crs = self.crs or own
        return self.offset is not None or crs is None or crs.is_geographic


def source_crs(value: Any, caller: str) -> SourceCRS:
    """Read a ``crs=`` argument: None, a GCJ-02/BD-09/WGS84 name, or any CRS PROJ knows.

    Raises
    ------
    CRSError
        When PROJ does not know ``value``.

    Examples
    --------
    >>> source_crs("gaode", "read_events").label(), source_crs(None, "read_events").label()
    ('GCJ-02', 'EPSG:4326')
    """
    if value is None:
        return SourceCRS()
    name = parse_chinese_crs(value)
    if name in ("gcj02", "bd09"):
        return SourceCRS(offset=name)
    if name == "wgs84":
        return SourceCRS(crs=_WGS84)
    try:
        return SourceCRS(crs=pyproj.CRS.from_user_input(value))
    except pyproj.exceptions.CRSError as exc:
        msg = (
            f"{caller}: crs={value!r} is not a known CRS ({exc}); use e.g. 'EPSG:4326', "
            "'GCJ-02' (Gaode/AMap) or 'BD-09' (Baidu)"
        )
        raise CRSError(msg) from exc


def _to_wgs84(
    x: np.ndarray, y: np.ndarray, spec: SourceCRS, own: pyproj.CRS | None
) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates to WGS84 longitude/latitude."""
    if spec.offset == "gcj02":
        return _gcj02.gcj02_to_wgs84(x, y)
    if spec.offset == "bd09":
        return _gcj02.bd09_to_wgs84(x, y)
    crs = spec.crs or own
    if crs is None or crs.equals(_WGS84):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lon, lat = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geometries_to_wgs84(
    geoms: np.ndarray, own: pyproj.CRS | None, spec: SourceCRS, where: str
) -> np.ndarray:
    """Return a vector file's geometries in WGS84 (``own``: the file's CRS; ``spec``: ``crs=``).

    Raises
    ------
    CRSError
        When neither the file nor ``crs=`` gives a CRS, or ``crs=`` names
        GCJ-02/BD-09 (longitude/latitude) for a file in a projected CRS.
    """
    if spec.offset is None and spec.crs is None and own is None:
        check_crs(gpd.GeoSeries(geoms), where)  # raises: the file has no CRS
    if spec.offset is not None and own is not None and not own.is_geographic:
        msg = (
            f"{where}: crs={spec.label()!r} names longitude/latitude, but the file is in "
            f"{own.to_string()} (projected); drop crs= or give the file's real CRS"
        )
        raise CRSError(msg)

    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = _to_wgs84(coords[:, 0], coords[:, 1], spec, own)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(geoms, apply), dtype=object)


def vector_points(loaded: Loaded, spec: SourceCRS, problems: Problems) -> np.ndarray:
    """Return the points of a vector file in WGS84; None where a feature has none.

    A one-point MultiPoint is its point; other geometries are recorded in
    ``problems`` (column ``geometry``) and give None.
    """
    geoms = np.asarray(loaded.geometry, dtype=object).copy()
    geoms[shapely.is_empty(geoms)] = None
    kind = shapely.get_type_id(geoms)
    single = (kind == shapely.GeometryType.MULTIPOINT) & (shapely.get_num_geometries(geoms) == 1)
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    kind[single] = shapely.GeometryType.POINT
    bad = (kind != shapely.GeometryType.POINT) & (kind >= 0)
    problems.add(
        bad,
        "geometry",
        [f"a {shapely.GeometryType(k).name.title()} is not a point" for k in kind[bad]],
    )
    geoms[bad] = None
    return geometries_to_wgs84(geoms, loaded.crs, spec, loaded.where)


def lonlat_points(
    lon: pd.Series, lat: pd.Series, spec: SourceCRS, problems: Problems
) -> np.ndarray:
    """Return a WGS84 Point per row of longitude/latitude cells, None where both are empty.

    Parameters
    ----------
    lon, lat
        Cleaned cells (:func:`clean_text`) of the ``lon`` and ``lat`` fields.
    spec
        The ``crs=`` they are in (none: WGS84).
    problems
        Where cells that are not numbers, a coordinate without its partner and
        coordinates out of range are recorded.

    Raises
    ------
    SchemaError
        When every latitude is out of range but every longitude is within
        ±90: the columns look swapped.
    """
    x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
    for values, number, field in ((lon, x, "lon"), (lat, y, "lat")):
        bad = values.notna().to_numpy() & ~np.isfinite(number)
        problems.add(bad, field, [f"{v!r} is not a number" for v in values[bad]])
    given_x, given_y = lon.notna().to_numpy(), lat.notna().to_numpy()
    problems.add(given_x & ~given_y, "lat", "a longitude but no latitude")
    problems.add(given_y & ~given_x, "lon", "a latitude but no longitude")
    both = np.isfinite(x) & np.isfinite(y)
    if spec.geographic():
        _check_ranges(x, y, both, problems)
        both &= (np.abs(x) <= 180) & (np.abs(y) <= 90)
    out = np.full(len(x), None, dtype=object)
    if both.any():
        wx, wy = _to_wgs84(x[both], y[both], spec, None)
        ok = np.isfinite(wx) & np.isfinite(wy)
        lost = np.flatnonzero(both)[~ok]
        problems.add(np.isin(np.arange(len(x)), lost), "lon", "cannot be converted to WGS84")
        out[np.flatnonzero(both)[ok]] = shapely.points(wx[ok], wy[ok])
    return out


def _check_ranges(x: np.ndarray, y: np.ndarray, both: np.ndarray, problems: Problems) -> None:
    """Record coordinates outside -180..180 / -90..90; raise when the columns look swapped."""
    bad_y = both & (np.abs(y) > 90)
    if bad_y.any() and bad_y.sum() == both.sum() and (np.abs(x[both]) <= 90).all():
        lon_col = problems.fields.get("lon", "lon")
        lat_col = problems.fields.get("lat", "lat")
        rows = problems.names(np.flatnonzero(bad_y).tolist())
        msg = (
            f"{problems.where}: every latitude in column {lat_col!r} is outside -90..90 "
            f"({rows}) while every longitude in column {lon_col!r} is within it: the two "
            "columns look swapped; give the longitude column the longitude (east, about "
            "73..135 in China) and the latitude column the latitude"
        )
        raise SchemaError(msg)
    bad_x = both & (np.abs(x) > 180)
    problems.add(bad_x, "lon", [f"longitude {v:g} is outside -180..180" for v in x[bad_x]])
    problems.add(bad_y, "lat", [f"latitude {v:g} is outside -90..90" for v in y[bad_y]])
