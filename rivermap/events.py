"""Reports (工单): hotline tickets and patrol findings, read into one normalized table.

:func:`read_events` reads the tickets a river chief office receives (12345 and
12319 hotlines, findings on patrol, signboard scans, cases handed down by a
superior, media reports) from whatever system exported them: CSV (UTF-8, with
or without BOM, or GBK/GB18030), XLSX, GeoJSON, GeoPackage or any vector file
:func:`rivermap.io.read_vector` reads, or a (Geo)DataFrame. It returns one row
per ticket with the columns of :data:`COLUMNS`, then every other input column
as it was.

How a table is read
-------------------
Headers are matched to fields by :data:`_HEADERS` (Chinese or English; case,
spaces, underscores and hyphens do not matter; see :mod:`rivermap._tables`).
Rows with every cell empty are skipped. Every cell is checked and all the bad
ones are named in one :class:`~rivermap.errors.SchemaError` (file, column as
written, rows as the user sees them: the header is row 1):

* ``event_id`` must be present and unique; ``reported_at`` present and a
  readable time (:func:`rivermap._tables.parse_times`: ISO, slashed and Chinese
  dates, Excel cells and serial numbers, Unix epoch; zones become Beijing time);
* ``source`` and ``category`` words become codes of :data:`SOURCES` and
  :data:`CATEGORIES` (``12345热线`` → ``12345``, ``偷排`` → ``outfall``); a word
  rivermap does not know is kept as written, since offices name their own
  channels and problem types;
* ``status`` words become codes of :data:`STATUSES`; an unknown status is an
  error, because whether a ticket is still open decides what the analyses
  count (:data:`CLOSED_STATUSES` are done);
* ``deadline`` and ``closed_at`` may be empty, but must be readable times.

Where a ticket is
-----------------
A ticket's location comes from the points of a vector file, or from longitude
and latitude columns (``经度``/``纬度``, ``lon``/``lat`` …). Rows without one
are legal (their reach may be found from a signboard code or a river given
with the ticket, or they stay unmatched as "no location"). ``crs=`` says what
the coordinates are: WGS84 by default for longitude/latitude columns, the
file's own CRS for vector files; ``"GCJ-02"`` (Gaode/AMap) and ``"BD-09"``
(Baidu) are converted by :mod:`rivermap._gcj02`, any other CRS by pyproj. The
result is always EPSG:4326, and ``attrs["source_crs"]`` records what the input
was.

Signboard codes
---------------
A river chief signboard (公示牌) is a river's board in one unit, and its QR
code carries :func:`board_code` ``"UNIT:RIVER"``, bare or inside a URL as the
query parameter ``board=``; :func:`split_board` reads either back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import unquote_plus

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rivermap._tables import (
    Loaded,
    Problems,
    SourceCRS,
    clean_text,
    drop_blank,
    header_key,
    load,
    lonlat_points,
    map_headers,
    parse_times,
    source_crs,
    vector_points,
)
from rivermap.errors import SchemaError, format_ids
from rivermap.text import term

__all__ = [
    "CATEGORIES",
    "CLOSED_STATUSES",
    "COLUMNS",
    "SOURCES",
    "STATUSES",
    "board_code",
    "read_events",
    "split_board",
]

PathLike: TypeAlias = str | os.PathLike[str]

#: Where a report comes from (来源), as codes; words in :mod:`rivermap.text` (``source.<code>``).
SOURCES: tuple[str, ...] = ("12345", "12319", "patrol", "qr", "superior", "media", "public")
#: What a report is about (问题类型), as codes (``category.<code>``).
CATEGORIES: tuple[str, ...] = (
    "mixed_sewage",
    "outfall",
    "houseboat",
    "encroachment",
    "farming",
    "silting",
    "sunken_boat",
    "litter",
    "other",
)
#: Where a ticket stands (状态), in the order a ticket passes them (``status.<code>``).
STATUSES: tuple[str, ...] = (
    "registered",
    "assigned",
    "in_progress",
    "returned",
    "closed",
    "archived",
)
#: Statuses of a ticket that is done.
CLOSED_STATUSES: tuple[str, ...] = ("closed", "archived")
#: Columns of :func:`read_events`' table, in order; other input columns follow.
COLUMNS: tuple[str, ...] = (
    "event_id",
    "reported_at",
    "source",
    "category",
    "status",
    "deadline",
    "closed_at",
    "description",
    "reach_hint",
    "river_hint",
    "board_hint",
    "geometry",
)

# Header aliases per field; compared after _tables.header_key (lower case, no
# spaces, underscores or hyphens, full-width brackets made half-width).
_HEADERS: dict[str, tuple[str, ...]] = {
    "event_id": (
        "event_id",
        "id",
        "ticket",
        "ticket_id",
        "ticket_no",
        "case_id",
        "工单编号",
        "编号",
        "工单号",
        "工单id",
        "事件编号",
        "案件编号",
        "案件号",
    ),
    "reported_at": (
        "reported_at",
        "report_time",
        "reported",
        "time",
        "date",
        "datetime",
        "created_at",
        "上报时间",
        "举报时间",
        "受理时间",
        "发现时间",
        "反映时间",
        "来电时间",
        "登记时间",
        "时间",
        "日期",
    ),
    "source": ("source", "channel", "来源", "问题来源", "工单来源", "事件来源", "渠道", "来源渠道"),
    "category": (
        "category",
        "type",
        "problem_type",
        "问题类型",
        "问题类别",
        "问题分类",
        "事件类型",
        "类型",
        "类别",
    ),
    "status": ("status", "state", "状态", "办理状态", "处理状态", "工单状态"),
    "deadline": ("deadline", "due", "due_at", "办理时限", "时限", "截止时间", "办结时限"),
    "closed_at": ("closed_at", "closed", "finished_at", "办结时间", "完成时间", "结案时间"),
    "description": (
        "description",
        "desc",
        "content",
        "details",
        "问题描述",
        "描述",
        "内容",
        "事件描述",
        "诉求内容",
        "反映内容",
    ),
    "reach_hint": ("reach_hint", "reach_id", "reach", "河段编码", "河段编号", "河段"),
    "river_hint": (
        "river_hint",
        "river",
        "river_id",
        "river_name",
        "河流",
        "河流名称",
        "河流编码",
        "河道",
        "河道名称",
    ),
    "board_hint": (
        "board_hint",
        "board",
        "board_id",
        "signboard",
        "qr",
        "qr_code",
        "公示牌编号",
        "公示牌",
        "二维码",
        "公示牌二维码",
    ),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
}

# Words for codes, besides the code itself and its two words in rivermap.text;
# compared after _tables.header_key.
_SOURCE_WORDS: dict[str, str] = {
    **dict.fromkeys(("12345热线", "12345 hotline", "hotline", "市民热线"), "12345"),
    **dict.fromkeys(("12319热线", "12319 hotline", "城建热线"), "12319"),
    **dict.fromkeys(("巡河", "巡河发现", "河长巡河", "巡查", "巡查发现", "on patrol"), "patrol"),
    **dict.fromkeys(
        ("扫码", "公示牌扫码", "二维码", "扫码举报", "qr code", "scan", "signboard"), "qr"
    ),
    **dict.fromkeys(("上级交办", "交办", "督办", "上级督办", "assigned"), "superior"),
    **dict.fromkeys(("媒体", "媒体曝光", "新闻媒体", "press", "news"), "media"),
    **dict.fromkeys(("群众", "群众举报", "公众", "公众举报", "市民举报", "citizen"), "public"),
}
_CATEGORY_WORDS: dict[str, str] = {
    **dict.fromkeys(("雨污混排", "雨污混接", "混排", "混接", "mixed sewage"), "mixed_sewage"),
    **dict.fromkeys(("排污口", "偷排", "违法排污", "污水直排", "直排", "outfall"), "outfall"),
    **dict.fromkeys(("船屋", "boat house"), "houseboat"),
    **dict.fromkeys(
        ("沿河搭建", "违章搭建", "违建", "违章建筑", "illegal building"), "encroachment"
    ),
    **dict.fromkeys(("养殖", "违规养殖", "畜禽养殖", "farming"), "farming"),
    **dict.fromkeys(("淤塞", "淤积", "河道淤积", "silt"), "silting"),
    **dict.fromkeys(("沉船", "wreck"), "sunken_boat"),
    **dict.fromkeys(
        ("河岸垃圾", "垃圾", "漂浮物", "水面漂浮物", "garbage", "rubbish", "trash"), "litter"
    ),
    **dict.fromkeys(("其他", "其它", "misc"), "other"),
}
_STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(("登记", "待受理", "已登记", "已受理", "受理", "new", "open"), "registered"),
    **dict.fromkeys(("交办", "已交办", "已派单", "派单", "已分派", "dispatched"), "assigned"),
    **dict.fromkeys(("办理中", "处理中", "正在办理", "在办", "processing"), "in_progress"),
    **dict.fromkeys(("退回", "已退回", "被退回", "rejected"), "returned"),
    **dict.fromkeys(
        ("办结", "已办结", "已完成", "完成", "结案", "已结案", "done", "resolved", "completed"),
        "closed",
    ),
    **dict.fromkeys(("归档", "已归档"), "archived"),
}


def _lookup(codes: Sequence[str], family: str, words: Mapping[str, str]) -> dict[str, str]:
    """Map the header keys of every code, its words in both languages, and ``words`` to codes."""
    out = {header_key(w): code for w, code in words.items()}
    for code in codes:
        for word in (code, term(f"{family}.{code}", "zh"), term(f"{family}.{code}", "en")):
            out[header_key(word)] = code
    return out


_SOURCE_LOOKUP = _lookup(SOURCES, "source", _SOURCE_WORDS)
_CATEGORY_LOOKUP = _lookup(CATEGORIES, "category", _CATEGORY_WORDS)
_STATUS_LOOKUP = _lookup(STATUSES, "status", _STATUS_WORDS)
_TEXT_FIELDS = ("description", "reach_hint", "river_hint", "board_hint")


# ------------------------------------------------------------------ reading
def read_events(
    source: PathLike | pd.DataFrame,
    *,
    crs: Any = None,
    encoding: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read reports (hotline tickets, patrol findings) into one normalized table.

    Parameters
    ----------
    source
        A ``.csv`` (UTF-8, with or without BOM, or GBK/GB18030) or ``.xlsx``
        file, a GeoJSON, GeoPackage or any vector file of points, or a
        (Geo)DataFrame (not modified). One row per ticket, with a header row.
        Headers, Chinese or English (case, spaces and underscores do not matter):

        * ``event_id`` (工单编号, 编号, 工单号, 事件编号, 案件编号, id, ticket),
          required, unique;
        * ``reported_at`` (上报时间, 举报时间, 受理时间, 发现时间, 时间,
          time, date), required: ``2026-11-03 14:20``, ``2026/11/3 14:20:00``,
          ``2026年11月3日14时20分``, Excel dates, epoch seconds …;
        * ``source`` (来源), ``category`` (问题类型, 类型), ``status`` (状态),
          ``deadline`` (办理时限, 时限), ``closed_at`` (办结时间, 完成时间),
          ``description`` (问题描述, 内容);
        * ``reach_hint`` (河段编码), ``river_hint`` (河流, 河道名称),
          ``board_hint`` (公示牌编号, 二维码): what the ticket says about
          where it is;
        * longitude ``lon`` (经度, lng, x) and latitude ``lat`` (纬度, y), for
          tables.
    crs
        What the coordinates are. None: longitude/latitude columns are WGS84,
        vector files in their own CRS (one without a CRS raises
        :class:`~rivermap.errors.CRSError`). ``"GCJ-02"`` (``gcj02``,
        ``gaode``, ``amap``) or ``"BD-09"`` (``bd09``, ``baidu``): the Chinese
        offset systems, converted to WGS84. Any other CRS PROJ knows is
        transformed.
    encoding
        Text encoding of a CSV or of a vector file's attributes; detected when None.
    layer
        Layer of a multi-layer vector file (GeoPackage); the first when None.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 with a RangeIndex, the columns of :data:`COLUMNS`:
        ``event_id`` (str), ``reported_at`` (datetime64[ns], Beijing time),
        ``source`` (a code of :data:`SOURCES`, or the word as written),
        ``category`` (a code of :data:`CATEGORIES`, or the word as written),
        ``status`` (a code of :data:`STATUSES`), ``deadline`` and
        ``closed_at`` (datetime64[ns]), ``description``, ``reach_hint``,
        ``river_hint``, ``board_hint`` (str), ``geometry`` (a Point, None
        without a location); missing text is NaN and a missing time NaT. Then
        every other input column as it was (the longitude and latitude columns
        used are dropped; a column whose name is taken gets ``_input`` added).
        ``attrs["source_crs"]`` names the input CRS (``"GCJ-02"``,
        ``"EPSG:4326"`` …).

    Raises
    ------
    SchemaError
        When the id or time column is missing, or cells are bad (empty or
        repeated ids, unreadable times, unknown statuses, coordinates that are
        not numbers or out of range): one message names them all.
    DataError
        When the file cannot be read or decoded.
    CRSError
        When ``crs=`` is unknown, or a vector file has no CRS.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {
    ...         "工单编号": ["A1", "A2"],
    ...         "上报时间": ["2026年11月3日 14:20", "2026-11-04T09:00:00+08:00"],
    ...         "来源": ["12345热线", "巡河发现"],
    ...         "问题类型": ["偷排", "船屋"],
    ...         "状态": ["已办结", ""],
    ...         "经度": [120.15, None],
    ...         "纬度": [30.25, None],
    ...     }
    ... )
    >>> events = read_events(table)
    >>> events[["event_id", "reported_at", "source", "category", "status"]]
      event_id         reported_at  source  category   status
    0       A1 2026-11-03 14:20:00   12345   outfall   closed
    1       A2 2026-11-04 09:00:00  patrol houseboat      NaN
    >>> events.geometry.tolist()
    [<POINT (120.15 30.25)>, None]
    """
    spec = source_crs(crs, "read_events")
    loaded = drop_blank(
        load(
            source,
            label="events",
            caller="read_events",
            encoding=encoding,
            layer=layer,
            vector=True,
        )
    )
    fields = map_headers(loaded.frame, loaded.where, _HEADERS)
    _require_columns(loaded, fields)
    problems = Problems(loaded.where, loaded.rows, fields, "event", loaded.row_word)
    found = {field: clean_text(loaded.frame[col]) for field, col in fields.items()}
    table = _normalized(loaded, fields, found, problems)
    points, label, used = _locations(loaded, fields, found, spec, problems)
    problems.raise_any()
    out = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(points, crs="EPSG:4326"))
    skip = {fields[f] for f in fields if f not in ("lon", "lat") or used}
    for col in loaded.frame.columns:
        if col not in skip:
            name = f"{col}_input" if col in out.columns else col
            out[name] = loaded.frame[col].to_numpy()
    out.attrs["source_crs"] = label
    return out


def _require_columns(loaded: Loaded, fields: Mapping[str, Any]) -> None:
    """Raise SchemaError when the table has no id or no time column."""
    columns = format_ids([str(c) for c in loaded.frame.columns], limit=20)
    for field, what in (("event_id", "ticket id"), ("reported_at", "time reported")):
        if field not in fields:
            msg = (
                f"{loaded.where}: no {what} column; name it one of "
                f"{format_ids(_HEADERS[field], limit=8)} (columns are {columns})"
            )
            raise SchemaError(msg)


_WORD = {"lon": "longitude", "lat": "latitude"}


def _require_pair(loaded: Loaded, fields: Mapping[str, Any]) -> None:
    """Raise SchemaError when a longitude column comes without a latitude column, or vice versa."""
    if "lon" in fields and "lat" in fields:
        return
    have, lack = ("lon", "lat") if "lon" in fields else ("lat", "lon")
    msg = (
        f"{loaded.where}: column {fields[have]!r} gives the {_WORD[have]} but no column "
        f"gives the {_WORD[lack]}; name it one of {format_ids(_HEADERS[lack], limit=8)}"
    )
    raise SchemaError(msg)


def _normalized(
    loaded: Loaded,
    fields: Mapping[str, Any],
    found: Mapping[str, pd.Series],
    problems: Problems,
) -> dict[str, Any]:
    """Return the normalized columns but the geometry, recording bad cells in ``problems``."""
    n = len(loaded.frame)
    empty = pd.Series(np.nan, index=pd.RangeIndex(n), dtype="str")

    def times(field: str, required: bool) -> pd.Series:
        if field not in fields:
            return pd.Series(pd.NaT, index=empty.index, dtype="datetime64[ns]")
        parsed = parse_times(loaded.frame[fields[field]], problems, field)
        if required:
            problems.add(found[field].isna().to_numpy(), field, "the time is empty")
        return parsed

    table: dict[str, Any] = {
        "event_id": _ids(found["event_id"], problems),
        "reported_at": times("reported_at", required=True),
        "source": _coded(found.get("source", empty), _SOURCE_LOOKUP),
        "category": _coded(found.get("category", empty), _CATEGORY_LOOKUP),
        "status": _statuses(found.get("status", empty), problems),
        "deadline": times("deadline", required=False),
        "closed_at": times("closed_at", required=False),
    }
    for field in _TEXT_FIELDS:
        table[field] = found.get(field, empty).astype("str")
    return {k: pd.Series(v).reset_index(drop=True) for k, v in table.items()}


def _ids(ids: pd.Series, problems: Problems) -> pd.Series:
    """Return the ids as text; record empty and repeated ones."""
    problems.add(ids.isna().to_numpy(), "event_id", "the ticket id is empty")
    repeated = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
    if repeated.any():
        first = {v: i for i, v in reversed(list(enumerate(ids))) if isinstance(v, str)}
        problems.add(
            repeated,
            "event_id",
            [
                f"ticket id {v!r} is repeated (first on {problems.name(first[v])})"
                for v in ids[repeated]
            ],
        )
    return ids.astype("str")


def _coded(words: pd.Series, lookup: Mapping[str, str]) -> pd.Series:
    """Return the code of each word, or the word as written when it has none."""
    known = {w: lookup.get(header_key(w), w) for w in words.dropna().unique()}
    return words.map(known).astype("str")


def _statuses(words: pd.Series, problems: Problems) -> pd.Series:
    """Return status codes; record words that name no status."""
    known = {w: _STATUS_LOOKUP.get(header_key(w)) for w in words.dropna().unique()}
    codes = words.map(known)
    bad = (words.notna() & codes.isna()).to_numpy()
    if bad.any():
        accepted = ", ".join(
            f"{term(f'status.{c}', 'zh')} ({term(f'status.{c}', 'en')})" for c in STATUSES
        )
        problems.add(
            bad, "status", [f"unknown status {w!r}; use one of {accepted}" for w in words[bad]]
        )
    return codes.astype("str")


def _locations(
    loaded: Loaded,
    fields: Mapping[str, Any],
    found: Mapping[str, pd.Series],
    spec: SourceCRS,
    problems: Problems,
) -> tuple[np.ndarray, str, bool]:
    """Return each row's WGS84 point (or None), the input CRS, and whether lon/lat were used.

    A vector file's geometries are used when it has any; otherwise the
    longitude and latitude columns, when there are some.
    """
    geoms = loaded.geometry
    if geoms is not None and (~(shapely.is_missing(geoms) | shapely.is_empty(geoms))).any():
        return vector_points(loaded, spec, problems), spec.label(loaded.crs), False
    if "lon" in fields or "lat" in fields:
        _require_pair(loaded, fields)
        return lonlat_points(found["lon"], found["lat"], spec, problems), spec.label(), True
    return np.full(len(loaded.frame), None, dtype=object), spec.label(loaded.crs), False


# ---------------------------------------------------------------- signboards
def board_code(unit_id: str, river_id: str) -> str:
    """Return the code of a river's signboard in one unit: ``"UNIT:RIVER"``.

    :func:`split_board` splits a code at its first ``:``, so the river id may
    hold colons but the unit id may not (rivermap's unit ids never do: ids
    shared by two levels are written ``ID@level``).

    Examples
    --------
    >>> board_code("330106", "R00001")
    '330106:R00001'
    """
    return f"{unit_id}:{river_id}"


_BOARD_PARAM = r"[?&#]board=([^&#]*)"
_URL = r"(?i)^(?:[a-z][a-z0-9+.\-]*://|www\.)"


def split_board(values: pd.Series) -> pd.DataFrame:
    """Read signboard codes back into the unit and the river they name.

    Parameters
    ----------
    values
        Codes ``"UNIT:RIVER"`` (:func:`board_code`), bare or as the ``board=``
        query parameter of a URL (URL-encoded, in the query or after ``#``).

    Returns
    -------
    pandas.DataFrame
        ``unit_id`` and ``river_id`` (str) with ``values``' index; NaN where a
        value is not a code (empty, a URL without ``board=``, no ``:``).

    Examples
    --------
    >>> url = "https://hz.gov.cn/b?board=330106%3A%E8%BF%90"
    >>> split_board(pd.Series(["330106:R00001", url, "x"]))
      unit_id river_id
    0  330106   R00001
    1  330106        运
    2     NaN      NaN
    """
    text = clean_text(pd.Series(values, dtype=object))
    param = text.str.extract(_BOARD_PARAM, expand=False).map(unquote_plus, na_action="ignore")
    is_url = text.str.contains(_URL, regex=True).fillna(False).to_numpy(dtype=bool)
    code = param.where(param.notna(), text.where(~is_url))
    parts = code.str.strip().str.extract(r"^([^:]+):(.+)$")
    out = pd.DataFrame(
        {"unit_id": parts[0].str.strip(), "river_id": parts[1].str.strip()}, index=values.index
    )
    ok = out["unit_id"].notna() & out["river_id"].notna() & (out["river_id"] != "")
    return out.where(ok).astype("str")
