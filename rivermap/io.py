"""Reading rivers and administrative units; text encodings; atomic writes.

Every format GDAL reads through pyogrio (GeoPackage, Shapefile, GeoJSON,
FlatGeobuf …) and GeoParquet are accepted. Inputs are never modified.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from rivermap._geometry import clean_geometries
from rivermap._scratch import discard, scratch_file
from rivermap.crs import check_crs, gcj02_to_wgs84, is_gcj02
from rivermap.errors import (
    CRSError,
    DataError,
    OutputExistsError,
    ParameterError,
    RivermapWarning,
    SchemaError,
    format_ids,
)
from rivermap.units import AdminUnits, assign_parents

__all__ = [
    "NAME_COLUMNS",
    "QGIS_STYLE_TABLE",
    "atomic_output",
    "check_output",
    "data_layer",
    "detect_encoding",
    "neutralise_csv",
    "read_rivers",
    "read_table",
    "read_units",
    "read_vector",
    "write_csv",
    "write_tables",
]

PathLike: TypeAlias = str | os.PathLike[str]
VectorSource: TypeAlias = PathLike | gpd.GeoDataFrame
UnitSource: TypeAlias = (
    VectorSource | Mapping[str, "PathLike | tuple[PathLike, str] | gpd.GeoDataFrame"]
)

#: Columns tried, in order, for a feature's name when ``name_col`` is not given.
NAME_COLUMNS = (
    "name",
    "NAME",
    "Name",
    "名称",
    "河流名称",
    "河名",
    "河流名",
    "river_name",
    "RIVER_NAME",
    "rivername",
    "河段名称",
    "名字",
    "NAME_CH",
    "name_zh",
    "name_cn",
)
_ID_COLUMNS = (
    "unit_id",
    "adcode",
    "ADCODE",
    "code",
    "CODE",
    "行政区划代码",
    "区划代码",
    "代码",
    "编码",
    "id",
    "ID",
    "osm_id",
    "gid",
    "fid",
)
_PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")


# ---------------------------------------------------------------- encodings
def detect_encoding(path: PathLike) -> str | None:
    """Guess the text encoding of a shapefile that has no ``.cpg`` file.

    Chinese shapefiles are usually GBK (GB18030 is its superset) or UTF-8, and
    rarely say which. The ``.dbf`` text is tried as strict UTF-8 first: valid
    UTF-8 with non-ASCII bytes is almost never accidental. Otherwise GB18030
    is used when it decodes.

    Parameters
    ----------
    path
        The ``.shp`` (or ``.dbf``) file.

    Returns
    -------
    str or None
        ``"UTF-8"`` or ``"GB18030"``, or None when a ``.cpg`` file exists, the
        text is plain ASCII, or the file is not a shapefile.
    """
    p = Path(path)
    if p.suffix.lower() not in (".shp", ".dbf"):
        return None
    if any(p.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((p.with_suffix(s) for s in (".dbf", ".DBF") if p.with_suffix(s).exists()), None)
    if dbf is None:
        return None
    raw = dbf.read_bytes()
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) >= 10 else 0
    body = raw[header_len:]
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "UTF-8"
    try:
        body.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return "GB18030"


def _describe(path: PathLike, layer: str | None) -> str:
    return f"{os.fspath(path)}" + (f" (layer {layer!r})" if layer else "")


#: The table of layer styles QGIS saves into a GeoPackage (rivermap's own carry it too):
#: not a layer of data.
QGIS_STYLE_TABLE = "layer_styles"


def read_vector(
    path: PathLike, *, layer: str | None = None, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read one layer of a vector file (anything pyogrio reads, or GeoParquet).

    Parameters
    ----------
    path
        The file. ``.parquet``/``.geoparquet`` is read as GeoParquet.
    layer
        Layer name for multi-layer formats (GeoPackage); the first layer if None
        (the only one besides the QGIS styles, :data:`QGIS_STYLE_TABLE`).
    encoding
        Text encoding of attribute values. For shapefiles without ``.cpg`` the
        encoding is detected (see :func:`detect_encoding`) and a
        :class:`~rivermap.errors.RivermapWarning` says which was used.

    Raises
    ------
    DataError
        If the file does not exist, cannot be read, or the text does not decode.
    """
    where = _describe(path, layer)
    p = Path(path)
    if not p.exists():
        msg = f"{where}: no such file"
        raise DataError(msg)
    if p.suffix.lower() in _PARQUET_SUFFIXES:
        try:
            return gpd.read_parquet(p)
        except Exception as exc:  # pyarrow raises many types for unreadable files
            msg = f"{where}: not a readable GeoParquet file ({exc})"
            raise DataError(msg) from exc
    _check_file(p, where)
    if p.suffix.lower() not in _LEGACY_TEXT:
        encoding = None  # GeoPackage, GeoJSON, FlatGeobuf … are UTF-8 by definition
    elif encoding is None:
        encoding = detect_encoding(p)
        if encoding is not None:
            warnings.warn(
                f"{where}: no .cpg file; detected the text encoding {encoding}. "
                "Pass encoding='...' to override.",
                RivermapWarning,
                stacklevel=3,
            )
    layer = data_layer(p, layer)
    if layer is not None:
        layers = _layers(p)
        if layers and layer not in layers:
            msg = f"{where}: no layer {layer!r}; the file has {format_ids(layers, limit=20)}"
            raise DataError(msg)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyogrio")
            # NaN vertices warn when decoded; check_coordinates names them instead.
            warnings.filterwarnings("ignore", "invalid value", RuntimeWarning, "shapely")
            # Z and M are dropped by clean_geometries, which says nothing: neither do we
            warnings.filterwarnings("ignore", "Measured", UserWarning)
            gdf = _read_layer(p, layer, encoding)
    except UnicodeDecodeError as exc:
        msg = (
            f"{where}: the text is not {encoding or 'in the declared encoding'} "
            f"({exc.reason} at byte {exc.start}); try encoding='gb18030' or encoding='utf-8'"
        )
        raise DataError(msg) from exc
    except LookupError as exc:  # unknown encoding name
        msg = f"{where}: {exc}"
        raise DataError(msg) from exc
    except (RuntimeError, ValueError, OSError, shapely.errors.ShapelyError) as exc:
        # pyogrio's errors, and what GDAL, shapely or pandas raise on a damaged file
        msg = f"{where}: cannot be read as vector data ({str(exc).strip() or type(exc).__name__})"
        raise DataError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = (
            f"{where}: has no geometry (a table, not a map layer); save the data as "
            "GeoPackage, Shapefile or GeoJSON, or a CSV with a WKT column"
        )
        raise SchemaError(msg)
    return gdf


def data_layer(path: PathLike, layer: str | None = None) -> str | None:
    """Return the layer to read: ``layer``, or the only one a file has besides its QGIS styles.

    A GeoPackage whose styles were saved by QGIS (or written by rivermap) holds
    a :data:`QGIS_STYLE_TABLE` table beside its data; it is not a layer to
    read. None leaves the choice to the reader (the first layer).
    """
    if layer is not None or Path(path).suffix.lower() != ".gpkg":
        return layer
    layers = _layers(Path(path))
    data = [name for name in layers if name != QGIS_STYLE_TABLE]
    return data[0] if len(data) == 1 and len(layers) > 1 else None


def _sibling(p: Path, suffix: str) -> bool:
    """Whether the file ``p`` has a sibling with ``suffix`` (any case), as a shapefile part."""
    names = {q.name.lower() for q in p.parent.glob(f"{glob_escape(p.stem)}.*")}
    return f"{p.stem}{suffix}".lower() in names


#: Formats whose text may be in a local encoding (``encoding=`` applies to them only).
_LEGACY_TEXT = frozenset({".shp", ".dbf", ".csv", ".txt", ".tab", ".mif"})

#: How files begin, by what they are: a file whose start says another kind than
#: its suffix is refused with the kind it really is.
_MAGIC = {
    b"SQLite format 3\x00": ("a GeoPackage (SQLite) file", ".gpkg"),
    b"PK\x03\x04": ("a zip archive (an XLSX workbook or a zipped shapefile)", ".xlsx or .zip"),
    b"\x00\x00\x27\x0a": ("a shapefile's .shp", ".shp"),
    b"fgb\x03": ("a FlatGeobuf file", ".fgb"),
    b"PAR1": ("a Parquet file", ".parquet"),
}
_EXPECTED_MAGIC = {".gpkg": b"SQLite format 3\x00", ".shp": b"\x00\x00\x27\x0a", ".fgb": b"fgb\x03"}


def _check_file(p: Path, where: str) -> None:
    """Refuse, with what is wrong, an empty file, one of another kind, or a damaged shapefile."""
    if p.is_dir():
        return
    with p.open("rb") as f:
        head = f.read(16)
    if not head:
        msg = f"{where}: the file is empty (0 bytes)"
        raise DataError(msg)
    expected = _EXPECTED_MAGIC.get(p.suffix.lower())
    if expected is not None and not head.startswith(expected):
        kind = next((k for m, k in _MAGIC.items() if head.startswith(m)), None)
        msg = f"{where}: not a {p.suffix.lower()} file" + (
            f"; it is {kind[0]}: give it the suffix {kind[1]}"
            if kind
            else " (it does not begin as one does); is it damaged or misnamed?"
        )
        raise DataError(msg)
    if p.suffix.lower() == ".shp":
        _check_shapefile_parts(p, where)


def _check_shapefile_parts(p: Path, where: str) -> None:
    """Refuse a shapefile missing its .dbf or .shx, or shorter than its header says.

    GDAL reads a shapefile without .dbf as one without columns, and a cut one
    as fewer or empty shapes: a wrong result, not an error, without this.
    """
    for part, what in ((".dbf", "attribute table"), (".shx", "index")):
        if not _sibling(p, part):
            msg = (
                f"{where}: the shapefile's {what} {p.stem}{part} is missing; copy all its "
                "files together (.shp .shx .dbf .prj .cpg)"
            )
            raise DataError(msg)
    with p.open("rb") as f:
        header = f.read(28)
    declared = 2 * int.from_bytes(header[24:28], "big") if len(header) == 28 else 0
    size = p.stat().st_size
    if size < max(declared, 100):
        msg = (
            f"{where}: the file is cut short ({size:,} of the {declared:,} bytes its header "
            "declares); copy it again"
        )
        raise DataError(msg)


def _read_layer(p: Path, layer: str | None, encoding: str | None) -> pd.DataFrame:
    """Read a layer; a shape GEOS cannot hold (a one-point line) becomes a missing one.

    ``clean_geometries`` then drops such features with a warning naming them,
    instead of the whole file failing with a GEOS message naming none.
    """
    try:
        return gpd.read_file(p, layer=layer, encoding=encoding, engine="pyogrio")
    except shapely.errors.GEOSException:
        meta, _, wkb, _ = pyogrio.raw.read(p, layer=layer, encoding=encoding, read_geometry=True)
        frame = pyogrio.read_dataframe(p, layer=layer, encoding=encoding, read_geometry=False)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=meta["crs"])


def _layers(path: Path) -> list[str]:
    return [name for name, _ in layer_types(path)]


def layer_types(path: PathLike) -> list[tuple[str, str | None]]:
    """Return ``(name, geometry type or None)`` of every layer of a file, in file order.

    A file GDAL cannot list gives ``[]``: its reader reports the real problem.
    pyogrio's warning that M values are not supported is not passed on (the
    readers drop Z and M anyway).
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Measured", UserWarning)
            info = pyogrio.list_layers(path)
    except Exception:  # not a multi-layer source; read_file will report the real problem
        return []
    return [(str(n), None if t is None else str(t)) for n, t in info]


def _resolve_crs(gdf: gpd.GeoDataFrame, crs: Any, where: str) -> gpd.GeoDataFrame:
    """Apply ``crs=``: convert GCJ-02 to WGS84, set a missing CRS, or override one."""
    if is_gcj02(crs):
        return gcj02_to_wgs84(gdf)
    if crs is not None:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            msg = (
                f"{where}: crs={crs!r} is not a known CRS ({exc}); use e.g. 'EPSG:4326' or 'GCJ-02'"
            )
            raise CRSError(msg) from exc
        if gdf.crs is not None and not target.equals(gdf.crs):
            warnings.warn(
                f"{where}: the file says {pyproj.CRS(gdf.crs).to_string()}, "
                f"crs= says {target.to_string()}; using crs=",
                RivermapWarning,
                stacklevel=3,
            )
        return gdf.set_crs(target, allow_override=True)
    if gdf.crs is None and where.lower().endswith(".shp"):
        state = "cannot be read" if _sibling(Path(where), ".prj") else "is missing"
        where = f"{where} (its .prj file {state})"
    check_crs(gdf, where)
    return gdf


def _as_id_strings(values: pd.Series) -> pd.Series:
    """Ids as strings; integral floats lose their '.0' (330602.0 → '330602')."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna() % 1 == 0
        if whole.all():
            return values.astype("Int64").astype(str).where(values.notna(), None)
    return (
        values.astype(object)
        .where(values.notna(), None)
        .map(lambda v: None if v is None else str(v).strip())
    )


def _pick_column(
    gdf: pd.DataFrame, given: str | None, candidates: Sequence[str], what: str, where: str
) -> str | None:
    if given is not None:
        if given not in gdf.columns:
            cols = [c for c in gdf.columns if c != gdf.geometry.name]
            msg = f"{where}: no {what} column {given!r}; columns are {format_ids(cols, limit=20)}"
            raise SchemaError(msg)
        return given
    return next((c for c in candidates if c in gdf.columns), None)


# -------------------------------------------------------------------- rivers
def read_rivers(
    source: VectorSource,
    *,
    layer: str | None = None,
    id_col: str | None = None,
    name_col: str | None = None,
    merge_by: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Read river lines into a frame with ``river_id``, ``name`` and line geometry.

    Parameters
    ----------
    source
        A file (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, GeoParquet …) or a
        GeoDataFrame (copied, never modified).
    layer
        Layer of a multi-layer file.
    id_col
        Column with unique river ids. Without it, ids are ``R00001`` … in file
        order (stable for the same file), or the ``merge_by`` value.
    name_col
        Column with river names; by default the first of :data:`NAME_COLUMNS` present.
    merge_by
        Join the features that share this column's value (e.g. ``"name"``) into
        one river: national and provincial layers store one river as many arcs.
        Arcs that connect become one line; the rest become ordered parts of a
        MultiLineString. Features with no value stay separate.
    encoding
        Text encoding of a shapefile's attributes (detected when there is no ``.cpg``).
    crs
        The CRS of the coordinates when the file has none, or to override it.
        ``"GCJ-02"`` (or ``"gcj02"``) converts Chinese web-map coordinates to
        WGS84 (EPSG:4326).

    Returns
    -------
    GeoDataFrame
        ``river_id`` (str, unique), ``name`` (str or None), the other attribute
        columns, and LineString/MultiLineString geometry without Z/M, in the
        file's CRS (EPSG:4326 after a GCJ-02 conversion).

    Raises
    ------
    CRSError
        The file has no CRS and ``crs`` is not given.
    SchemaError
        Points or polygons instead of lines; duplicate or missing ids; unknown columns.
    DataError
        The file cannot be read or decoded.

    Warns
    -----
    RivermapWarning
        When invalid geometries are repaired or empty ones dropped (with counts and ids).

    Examples
    --------
    >>> import rivermap as rm
    >>> path = rm.datasets.get_path("zhejiang")
    >>> rivers = rm.read_rivers(path, layer="rivers", merge_by="name")
    >>> int(rivers.set_index("river_id").loc["富春江", "n_features"])
    12
    """
    if isinstance(source, gpd.GeoDataFrame):
        where = "rivers"
        gdf = source.copy()
    else:
        where = _describe(source, layer)
        gdf = read_vector(source, layer=layer, encoding=encoding)
    gdf = _resolve_crs(gdf, crs, where)
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")

    id_column = _pick_column(gdf, id_col, (), "id", where)
    name_column = _pick_column(gdf, name_col, NAME_COLUMNS, "name", where)
    if merge_by is not None:
        _pick_column(gdf, merge_by, (), "merge_by", where)

    if id_column is not None:
        ids = _as_id_strings(gdf[id_column])
        _check_ids(ids, where, id_column)
    else:
        ids = pd.Series([f"R{i + 1:05d}" for i in range(len(gdf))], index=gdf.index)
    n_read = len(gdf)
    gdf, ids = clean_geometries(gdf, kind="line", ids=ids, what=where)
    if gdf.empty:
        msg = f"{where}: no river lines" + (
            f" (all {n_read} feature(s) are empty or degenerate)" if n_read else " (no features)"
        )
        raise SchemaError(msg)
    names = (
        gdf[name_column].astype(object).where(gdf[name_column].notna(), None)
        if name_column is not None
        else pd.Series(None, index=gdf.index, dtype=object)
    )
    attrs = gdf.drop(
        columns=[
            c
            for c in (id_column, name_column, "river_id", "name")
            if c is not None and c in gdf.columns
        ]
    )
    out = gpd.GeoDataFrame(
        {"river_id": ids.to_numpy(dtype=object), "name": names.to_numpy(dtype=object)},
        geometry=gpd.GeoSeries(
            _merge_parts(np.asarray(gdf.geometry.values, dtype=object)), crs=gdf.crs
        ),
    )
    for col in attrs.columns:
        if col != attrs.geometry.name:
            out[col] = attrs[col].to_numpy()
    if merge_by is not None:
        key = "name" if merge_by == name_column else merge_by
        out = _merge_rivers(out, key, where, id_given=id_column is not None)
    out = out.reset_index(drop=True)
    out.attrs["source"] = where  # for messages about the rivers as a whole
    return out


def _check_ids(ids: pd.Series, where: str, column: str) -> None:
    if ids.isna().any():
        msg = (
            f"{where}: column {column!r} is empty for {int(ids.isna().sum())} feature(s) "
            f"(rows {format_ids(np.flatnonzero(ids.isna().to_numpy()).tolist())})"
        )
        raise SchemaError(msg)
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        msg = f"{where}: duplicate ids in column {column!r}: {format_ids(dup)}"
        raise SchemaError(msg)


def _merge_parts(geoms: np.ndarray) -> np.ndarray:
    """Merge the parts of MultiLineStrings that join end to end, keeping direction."""
    out = geoms.copy()
    multi = shapely.get_type_id(geoms) == shapely.GeometryType.MULTILINESTRING
    if multi.any():
        directed = shapely.line_merge(geoms[multi], directed=True)
        undirected = shapely.line_merge(geoms[multi])
        fewer = shapely.get_num_geometries(undirected) < shapely.get_num_geometries(directed)
        out[multi] = np.where(fewer, undirected, directed)
        single = shapely.get_num_geometries(out) == 1
        out[multi & single] = shapely.get_geometry(out[multi & single], 0)
    return out


def _order_parts(parts: list[shapely.LineString]) -> list[shapely.LineString]:
    """Chain disconnected parts into a sequence, nearest end to nearest start."""
    if len(parts) <= 1:
        return parts
    starts = np.array([p.coords[0] for p in parts])
    ends = np.array([p.coords[-1] for p in parts])
    # Begin with the part whose start is farthest from every other part's end (the source).
    d = np.hypot(starts[:, None, 0] - ends[None, :, 0], starts[:, None, 1] - ends[None, :, 1])
    np.fill_diagonal(d, np.inf)
    order = [int(np.argmax(d.min(axis=1)))]
    left = set(range(len(parts))) - set(order)
    while left:
        tail = np.array(parts[order[-1]].coords[-1])
        cand = sorted(left)
        dist = np.hypot(*(starts[cand] - tail).T)
        nxt = cand[int(np.argmin(dist))]
        order.append(nxt)
        left.remove(nxt)
    return [parts[i] for i in order]


def _merge_rivers(
    rivers: gpd.GeoDataFrame, key: str, where: str, *, id_given: bool
) -> gpd.GeoDataFrame:
    has_key = rivers[key].notna() & (rivers[key].astype(str).str.strip() != "")
    keep = rivers.loc[~has_key].copy()
    keep["n_features"] = 1
    groups = rivers.loc[has_key]
    rows = []
    for value, grp in groups.groupby(key, sort=True):
        merged = shapely.line_merge(
            shapely.union_all(np.asarray(grp.geometry.values)), directed=False
        )
        if merged.geom_type == "LineString":
            geom = merged
        else:
            geom = shapely.MultiLineString(_order_parts(list(shapely.get_parts(merged))))
        first = grp.iloc[0]
        row = {c: first[c] for c in grp.columns if c != grp.geometry.name}
        row.update(
            river_id=str(value) if not id_given else str(first["river_id"]),
            n_features=len(grp),
            geometry=geom,
        )
        if key == "name":
            row["name"] = str(value)
        rows.append(row)
    merged_gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=rivers.crs) if rows else None
    frames = [f for f in (merged_gdf, keep) if f is not None and len(f)]
    if not frames:
        return rivers.assign(n_features=1)
    out = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=rivers.crs)
    _check_ids(out["river_id"], where, "river_id after merge_by")
    return out


# --------------------------------------------------------------------- units
def read_units(
    source: UnitSource,
    *,
    levels: Sequence[str] | Mapping[str, Any],
    id_cols: str | Mapping[str, str] | None = None,
    name_cols: str | Mapping[str, str] | None = None,
    parent: str = "auto",
    level_col: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
) -> AdminUnits:
    """Read nested administrative units.

    Three input shapes are accepted:

    * a multi-layer file (GeoPackage) with one layer per level, named as in ``levels``;
    * a mapping ``{level: path | (path, layer) | GeoDataFrame}``;
    * one file or GeoDataFrame holding every level, with ``level_col`` naming the
      column that says each unit's level.

    Parameters
    ----------
    source
        See above.
    levels
        Level names from the top (coarsest) to the bottom (finest). With
        ``level_col``, a mapping ``{level name: value in level_col}`` (e.g.
        ``{"country": 2, "wahlkreis": 6, "gemeinde": 8}`` for OpenStreetMap
        ``admin_level``), or a list when the column holds the names themselves.
    id_cols, name_cols
        A column name, or ``{level: column}``. By default ids come from the first
        of ``unit_id``, ``{level}_adcode``, ``{level}_code``, ``adcode``, ``code``,
        ``id``, ``osm_id`` … present, and names from ``name``, ``{level}_name``, ``名称`` ….
    parent
        ``"auto"``: admin codes where every child code extends a parent code,
        else spatial containment (largest overlap); ``"codes"``; ``"containment"``;
        or the name of a column holding the parent's id.
    level_col
        Column with each unit's level (one-layer input).
    layer
        Layer of a one-layer-for-all-levels file.
    encoding
        Text encoding for shapefiles (detected when there is no ``.cpg``).
    crs
        As in :func:`read_rivers`; ``"GCJ-02"`` converts to WGS84.

    Returns
    -------
    AdminUnits

    Examples
    --------
    >>> import rivermap as rm
    >>> path = rm.datasets.get_path("zhejiang")
    >>> units = rm.read_units(path, levels=["province", "city", "district"])
    >>> units
    AdminUnits(province: 1, city: 11, district: 90; crs=EPSG:4326)
    """
    if isinstance(levels, str):
        msg = "levels must be a list of level names (top to bottom), not a single string"
        raise TypeError(msg)
    level_names = [str(lv) for lv in levels]
    if level_col is not None:
        parts, where = _split_by_level_column(source, levels, level_col, layer, encoding)
    elif isinstance(source, Mapping):
        parts, where = _load_level_sources(source, level_names, encoding)
    else:
        parts, where = _load_level_layers(source, level_names, encoding)
    frames: dict[str, gpd.GeoDataFrame] = {}
    target_crs = None
    for lv in level_names:
        gdf = _resolve_crs(parts[lv], crs, where[lv])
        if target_crs is None:
            target_crs = gdf.crs
        elif not pyproj.CRS(gdf.crs).equals(target_crs):
            gdf = gdf.to_crs(target_crs)
        frames[lv] = _standardise_units(gdf, lv, id_cols, name_cols, parent, where[lv])
        if frames[lv].empty:
            msg = (
                f"{where[lv]}: level {lv!r} has no units"
                + (f" (all {len(gdf)} feature(s) are empty)" if len(gdf) else "")
                + "; every level needs at least one polygon"
            )
            raise SchemaError(msg)
    _set_parents(frames, level_names, parent, _label(source))
    _qualify_shared_ids(frames, level_names)
    allunits = pd.concat([frames[lv] for lv in level_names], ignore_index=True)
    gdf_all = gpd.GeoDataFrame(allunits, geometry="geometry", crs=target_crs)
    return AdminUnits(gdf_all, level_names, source=_label(source))


_Parts: TypeAlias = tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]


def _split_by_level_column(
    source: Any,
    levels: Sequence[str] | Mapping[str, Any],
    level_col: str,
    layer: str | None,
    encoding: str | None,
) -> _Parts:
    """Split one file or frame holding every level by the value of its ``level_col``.

    Returns each level's features and where they come from (for messages).
    Features of no declared level are left out, with a warning.
    """
    if isinstance(source, Mapping):
        msg = "level_col= goes with one file or GeoDataFrame holding every level, not a mapping"
        raise TypeError(msg)
    gdf, label = _load_one(source, layer, encoding)
    if level_col not in gdf.columns:
        msg = f"{label}: no level column {level_col!r}"
        raise SchemaError(msg)
    values = dict(levels) if isinstance(levels, Mapping) else {lv: lv for lv in map(str, levels)}
    column = gdf[level_col].astype(str)
    parts: dict[str, gpd.GeoDataFrame] = {}
    where: dict[str, str] = {}
    known = np.zeros(len(gdf), dtype=bool)
    for name, value in values.items():
        mask = (column == str(value)).to_numpy()
        parts[name] = gdf.loc[mask]
        where[name] = f"{label} [{level_col}={value}]"
        known |= mask
    if not known.any():
        msg = (
            f"{label}: column {level_col!r} holds {format_ids(sorted(set(column)))}"
            f"; none is a declared level value {format_ids(list(values.values()))}. "
            "Pass levels={name: value, …} top to bottom"
        )
        raise SchemaError(msg)
    if not known.all():
        other = sorted(set(column) - {str(v) for v in values.values()})
        warnings.warn(
            f"{label}: {int((~known).sum())} feature(s) with {level_col} "
            f"{format_ids(other)} are not among the levels and were left out",
            RivermapWarning,
            stacklevel=3,
        )
    return parts, where


def _load_level_sources(
    source: Mapping[str, Any], level_names: list[str], encoding: str | None
) -> _Parts:
    """Load each level from its own entry of ``{level: path | (path, layer) | GeoDataFrame}``."""
    parts: dict[str, gpd.GeoDataFrame] = {}
    where: dict[str, str] = {}
    for lv in level_names:
        if lv not in source:
            msg = f"units: no source for level {lv!r}; got levels {list(source)}"
            raise SchemaError(msg)
        item, lyr = source[lv], None
        if isinstance(item, tuple):
            item, lyr = item
        parts[lv], where[lv] = _load_one(item, lyr, encoding)
    return parts, where


def _load_level_layers(source: Any, level_names: list[str], encoding: str | None) -> _Parts:
    """Load each level from the layer of the same name of a multi-layer file."""
    if isinstance(source, gpd.GeoDataFrame):
        msg = "one GeoDataFrame with every level needs level_col= naming the level column"
        raise TypeError(msg)
    available = _layers(Path(source))
    absent = [lv for lv in level_names if lv not in available]
    if absent:
        msg = (
            f"{os.fspath(source)}: no layer named {format_ids(absent)}; layers are "
            f"{format_ids(available, limit=20)}. Name the layers as the levels, pass "
            "{level: (path, layer)}, or give level_col= for a one-layer file"
        )
        raise DataError(msg)
    parts: dict[str, gpd.GeoDataFrame] = {}
    where: dict[str, str] = {}
    for lv in level_names:
        parts[lv], where[lv] = _load_one(source, lv, encoding)
    return parts, where


def _set_parents(
    frames: dict[str, gpd.GeoDataFrame], level_names: list[str], parent: str, source: str
) -> None:
    """Fill every level's ``parent_id``: from codes or containment, or the parent column read."""
    if parent in ("auto", "codes", "containment"):
        parents = assign_parents(frames, level_names, parent, source=source)
    else:
        parents = {lv: frames[lv]["parent_id"].tolist() for lv in level_names}
        parents[level_names[0]] = [None] * len(frames[level_names[0]])
    for lv in level_names:
        frames[lv]["parent_id"] = pd.Series(parents[lv], index=frames[lv].index, dtype=object)


def _label(source: Any) -> str:
    if isinstance(source, gpd.GeoDataFrame):
        return "units"
    if isinstance(source, Mapping):
        return "units"
    return os.fspath(source)


def _load_one(item: Any, layer: str | None, encoding: str | None) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(item, gpd.GeoDataFrame):
        return item.copy(), "units"
    return read_vector(item, layer=layer, encoding=encoding), _describe(item, layer)


def _per_level(value: str | Mapping[str, str] | None, level: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.get(level)


def _with_dbf_names(names: Sequence[str]) -> tuple[str, ...]:
    """Add the 10-character forms a shapefile gives long column names (city_adcode → city_adcod)."""
    return tuple(dict.fromkeys([*names, *(n[:10] for n in names if len(n) > 10)]))


def _standardise_units(
    gdf: gpd.GeoDataFrame, level: str, id_cols: Any, name_cols: Any, parent: str, where: str
) -> gpd.GeoDataFrame:
    id_candidates = _with_dbf_names(
        ("unit_id", f"{level}_adcode", f"{level}_code", f"{level}_id", *_ID_COLUMNS)
    )
    name_candidates = _with_dbf_names(
        ("name", f"{level}_name", *NAME_COLUMNS, "行政区划名称", "区划名称")
    )
    id_column = _pick_column(gdf, _per_level(id_cols, level), id_candidates, "id", where)
    name_column = _pick_column(gdf, _per_level(name_cols, level), name_candidates, "name", where)
    if id_column is not None:
        ids = _as_id_strings(gdf[id_column])
        if ids.isna().any():
            empty = ids.isna().to_numpy()
            rows = gdf.index[empty]  # the file's feature order, also after a level split
            names = gdf.loc[empty, name_column] if name_column is not None else rows
            named = [f"{n} (feature {r + 1})" for n, r in zip(names, rows, strict=True)]
            msg = (
                f"{where}: column {id_column!r} is empty for {int(empty.sum())} unit(s): "
                f"{format_ids(named)}"
            )
            raise SchemaError(msg)
    else:
        ids = pd.Series([f"{level}-{i + 1}" for i in range(len(gdf))], index=gdf.index)
    gdf, ids = clean_geometries(gdf, kind="polygon", ids=ids, what=where)
    names = gdf[name_column].astype(str) if name_column is not None else ids
    out = gpd.GeoDataFrame(
        {
            "unit_id": ids.to_numpy(dtype=object),
            "name": names.to_numpy(dtype=object),
            "level": level,
            "parent_id": None,
        },
        geometry=gpd.GeoSeries(np.asarray(gdf.geometry.values), crs=gdf.crs),
    )
    if parent not in ("auto", "codes", "containment"):
        if parent not in gdf.columns:
            msg = f"{where}: no parent column {parent!r}"
            raise SchemaError(msg)
        out["parent_id"] = _as_id_strings(gdf[parent]).to_numpy(dtype=object)
    return out


def _qualify_shared_ids(frames: dict[str, gpd.GeoDataFrame], levels: Sequence[str]) -> None:
    """Rename ids reused at a lower level (municipalities: 110000 is province and city)."""
    seen: set[str] = set()
    renamed: list[str] = []
    for depth, lv in enumerate(levels):
        f = frames[lv]
        clash = f["unit_id"].isin(seen)
        if clash.any():
            mapping = {u: f"{u}@{lv}" for u in f.loc[clash, "unit_id"]}
            renamed += list(mapping)
            f["unit_id"] = f["unit_id"].replace(mapping)
            if depth + 1 < len(levels):
                child = frames[levels[depth + 1]]
                child["parent_id"] = child["parent_id"].replace(mapping)
        seen |= set(f["unit_id"])
    if renamed:
        warnings.warn(
            f"units: {len(renamed)} unit id(s) are used at two levels (e.g. a municipality "
            f"that is both province and city): {format_ids(renamed)}; the lower-level units "
            "were renamed to 'ID@level'",
            RivermapWarning,
            stacklevel=3,
        )


def read_table(path: PathLike, *, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table; CSV text may be UTF-8 (with or without BOM) or GBK.

    Raises
    ------
    DataError
        If the file is missing, of an unknown type, or does not decode.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no such file"
        raise DataError(msg)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(p)
    if suffix not in (".csv", ".txt", ".tsv"):
        msg = f"{p}: expected a .csv or .xlsx file"
        raise DataError(msg)
    return _read_text_table(p, encoding, sep="\t" if suffix == ".tsv" else ",")


def _read_text_table(p: Path, encoding: str | None, sep: str) -> pd.DataFrame:
    """Read a CSV/TSV in ``encoding``, else UTF-8 (BOM or not), UTF-16 with a BOM, or GB18030.

    A text in none of them is refused naming the row where the first encoding
    tried fails; a workbook named ``.csv`` is named as one.
    """
    raw = p.read_bytes()
    if not raw.strip():
        msg = f"{p}: the file is empty; it needs a header row"
        raise DataError(msg)
    if raw.startswith(b"PK\x03\x04"):
        msg = f"{p}: is an XLSX workbook (a zip archive), not a CSV text; give it the .xlsx suffix"
        raise DataError(msg)
    if encoding:
        tried = [encoding]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        tried = ["utf-16"]
    else:
        tried = ["utf-8-sig", "gb18030"]
    first_bad = len(raw)
    for enc in tried:
        try:
            raw.decode(enc)
        except UnicodeDecodeError as exc:
            first_bad = exc.start if first_bad == len(raw) else first_bad  # the first tried
            continue
        except LookupError as exc:
            msg = f"{p}: unknown encoding {enc!r}"
            raise DataError(msg) from exc
        try:
            frame = pd.read_csv(p, dtype=str, encoding=enc, sep=sep, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            msg = f"{p}: not a readable {p.suffix[1:].upper()} table ({exc})"
            raise DataError(msg) from exc
        return _unquoted(frame)
    row = raw[:first_bad].count(b"\n") + 1  # as a spreadsheet numbers it: the header is 1
    known = {"utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}
    names = " nor ".join(known.get(e, e) for e in tried)
    msg = (
        f"{p}: the text is neither {names} (row {row}, byte {first_bad}); save it as "
        "UTF-8, or pass encoding='...' (--encoding)"
    )
    raise DataError(msg)


def _read_workbook(p: Path) -> pd.DataFrame:
    """Read the first sheet of an XLSX file, text as text; a damaged or fake one is a DataError."""
    head = p.read_bytes()[:4]
    if not head:
        msg = f"{p}: the file is empty; it needs a header row"
        raise DataError(msg)
    if head != b"PK\x03\x04":
        msg = (
            f"{p}: not an XLSX workbook (no zip archive inside); if it is a CSV table, "
            "give it the .csv suffix, or save it again from Excel as .xlsx"
        )
        raise DataError(msg)
    try:
        frame = pd.read_excel(p, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl and zipfile raise many types for a damaged file
        msg = f"{p}: not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        raise DataError(msg) from exc
    return _unescaped(frame)


def _unescaped(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn XLSX's escapes of control characters (``_x000D_`` for a CR) back into them.

    Excel and xlsxwriter write a CR or other control character in a cell as
    ``_xHHHH_``; openpyxl leaves the escape as text.
    """
    pattern = r"_x([0-9A-Fa-f]{4})_"
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if _is_text(col) and col.str.contains(r"_x[0-9A-Fa-f]{4}_", regex=True, na=False).any():
            fixed = col.str.replace(pattern, lambda m: chr(int(m[1], 16)), regex=True)
            frame.isetitem(j, fixed.array)
    return frame


# -------------------------------------------------------------------- output
#: The suffixes each kind of output is written with.
OUTPUT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "gpkg": (".gpkg",),
    "parquet": (".parquet",),  # a folder of GeoParquet files (rivermap.scale)
    "responsibility": (".gpkg", ".parquet"),
    "tables": (".csv", ".xlsx"),
    "xlsx": (".xlsx",),
    "html": (".html", ".htm"),
    "pdf": (".pdf",),
    "events": (".gpkg", ".geojson", ".json", ".csv", ".xlsx"),
    "toml": (".toml",),
}


def check_output(path: PathLike, *, overwrite: bool = False, kind: str | None = None) -> Path:
    """Fail early, before any work, on an output that exists or has the wrong suffix.

    Parameters
    ----------
    path
        The output file.
    overwrite
        Whether an existing file may be replaced.
    kind
        A key of :data:`OUTPUT_SUFFIXES`: the suffix must be one of its.

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is False.
    ParameterError
        If the suffix is not one ``kind`` is written with.

    Examples
    --------
    >>> check_output("plan.txt", kind="tables")
    Traceback (most recent call last):
    ...
    rivermap.errors.ParameterError: plan.txt: write this output as .csv or .xlsx, not .txt
    """
    final = Path(path)
    allowed = OUTPUT_SUFFIXES[kind] if kind is not None else ()
    if allowed and final.suffix.lower() not in allowed:
        msg = (
            f"{final}: write this output as {' or '.join(allowed)}, "
            f"not {final.suffix or 'a name without a suffix'}"
        )
        raise ParameterError(msg)
    if final.exists() and not overwrite:
        msg = f"{final}: exists; pass overwrite=True (--overwrite on the command line)"
        raise OutputExistsError(msg)
    return final


@contextlib.contextmanager
def atomic_output(path: PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a scratch path beside ``path``; move it into place only on success.

    The scratch file is ``.rivermap-<pid>-<host>-<stem>.<random><suffix>``
    (see :mod:`rivermap._scratch`); it does not exist yet, so that writers
    such as GDAL create it. On success it replaces ``path`` in one step, so
    readers see the old file or the new one, never half of one; on an
    exception it is removed with SQLite's ``-journal``, ``-wal`` and ``-shm``
    files beside it. A process killed outright leaves it behind: the next
    atomic write into the same folder removes the scratch entries of processes
    that no longer run, with a :class:`~rivermap.errors.RivermapWarning`
    saying which.

    Parameters
    ----------
    path
        The final output file.
    overwrite
        Replace an existing file. Without it an existing file raises
        :class:`~rivermap.errors.OutputExistsError` before any work is done.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_output(out) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> out.read_text()
    'hello'
    """
    final = check_output(path, overwrite=overwrite)
    tmp = scratch_file(final)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        discard(tmp)


#: What makes a spreadsheet read a cell's text as a formula.
_FORMULA_START = frozenset("=+-@\t\r")


def neutralise_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with a ``'`` before every text cell that starts like a formula.

    A spreadsheet opening a CSV runs a cell such as ``=HYPERLINK(…)`` or
    ``@SUM(…)`` as a formula; OWASP's remedy for CSV injection is a leading
    single quote, which the spreadsheet shows as text. Only text cells (and
    headers) starting with ``= + - @``, a tab or a carriage return change;
    numbers, including negative ones, do not. :func:`read_table` removes the
    quote again, so a table rivermap wrote reads back unchanged.

    Examples
    --------
    >>> neutralise_csv(pd.DataFrame({"name": ["=1+1", "钱塘江"], "dz": [-2.5, 1.0]}))
        name   dz
    0  '=1+1 -2.5
    1    钱塘江  1.0
    """
    out = frame.copy()
    out.columns = pd.Index([_quoted(c) for c in out.columns])
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if _is_text(col):
            out.isetitem(j, col.map(_quoted, na_action="ignore").to_numpy(dtype=object))
    return out


def write_csv(frame: pd.DataFrame, path: PathLike) -> None:
    """Write ``frame`` to ``path`` as every CSV rivermap writes: neutralised, UTF-8 with BOM, CRLF.

    The BOM makes Excel read the text as UTF-8; CRLF is Excel's own line end,
    and with it a CR or LF inside a field is quoted, so no row splits; text
    that starts like a formula is quoted (:func:`neutralise_csv`).
    """
    neutralise_csv(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _quoted(value: object) -> object:
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def _unquoted(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_csv` on a table read from CSV (text cells only)."""
    pattern = r"^'(?=[=+\-@\t\r])"
    frame.columns = pd.Index([re.sub(pattern, "", str(c)) for c in frame.columns])
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if _is_text(col):
            frame.isetitem(j, col.str.replace(pattern, "", regex=True).array)
    return frame


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or isinstance(col.dtype, pd.StringDtype)


#: The most rows an Excel sheet holds, its header included.
EXCEL_ROWS = 1_048_576


def _write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame], final: Path) -> None:
    """Write ``sheets`` to the workbook ``path`` with xlsxwriter, a column at a time.

    Text stays text (a name like ``=HYPERLINK(…)`` or a URL is not made live,
    and text that starts like a formula carries Excel's quote prefix);
    times read as times, dates as dates; missing values are empty cells. The
    header row is bold and frozen, and columns are as wide as their header.
    """
    import xlsxwriter

    too_long = [name for name, frame in sheets.items() if len(frame) >= EXCEL_ROWS]
    if too_long:
        msg = (
            f"{final}: sheet(s) {format_ids(too_long)} have more rows than Excel holds "
            f"({EXCEL_ROWS - 1:,}); write a .csv or a GeoPackage instead"
        )
        raise DataError(msg)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    with xlsxwriter.Workbook(str(path), options) as book:
        fmt = {
            "head": book.add_format({"bold": True}),
            "text": book.add_format({"quote_prefix": True}),
            "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        }
        for name, frame in sheets.items():
            sheet = book.add_worksheet(name)
            heads = [str(c) for c in frame.columns]
            sheet.write_row(0, 0, heads, fmt["head"])
            sheet.freeze_panes(1, 0)
            for j, head in enumerate(heads):
                sheet.set_column(j, j, min(max(2.2 * len(head), 8), 40))
                _write_column(sheet, j, frame.iloc[:, j], fmt)


def _write_column(sheet: Any, j: int, values: pd.Series, fmt: Mapping[str, Any]) -> None:
    """Write one column below the header: numbers, times, dates, booleans or text.

    Missing values (None, NaN, NaT, NA) are left as empty cells.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    missing = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(values.dtype):
        cells, write = values.tolist(), sheet.write_boolean
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
        cells = values.dt.to_pydatetime().tolist()
        write = lambda i, j, v: sheet.write_datetime(i, j, v, fmt["time"])  # noqa: E731
    elif pd.api.types.is_numeric_dtype(values.dtype):
        cells, write = values.to_numpy(dtype=float, na_value=0.0).tolist(), sheet.write_number
    else:
        cells, write = values.tolist(), lambda i, j, v: _write_cell(sheet, i, j, v, fmt)
    for i, (v, gone) in enumerate(zip(cells, missing, strict=True), start=1):
        if not gone:
            write(i, j, v)


def _write_cell(sheet: Any, i: int, j: int, v: object, fmt: Mapping[str, Any]) -> None:
    """Write one value of a mixed (object) column; anything unknown as its text."""
    import datetime as dt

    if isinstance(v, str):
        # Text that a spreadsheet would read as a formula (OWASP's CSV/formula
        # injection: = + - @, a tab or CR first) keeps Excel's quote prefix, so that
        # editing the cell cannot turn it into one.
        sheet.write_string(i, j, v, fmt["text"] if v[:1] in _FORMULA_START else None)
    elif isinstance(v, bool | np.bool_):
        sheet.write_boolean(i, j, bool(v))
    elif isinstance(v, int | float | np.integer | np.floating):
        sheet.write_number(i, j, float(v))
    elif isinstance(v, dt.datetime):
        sheet.write_datetime(i, j, pd.Timestamp(v).tz_localize(None).to_pydatetime(), fmt["time"])
    elif isinstance(v, dt.date):
        sheet.write_datetime(i, j, v, fmt["date"])
    else:
        sheet.write_string(i, j, str(v))


def write_tables(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: PathLike,
    *,
    overwrite: bool = False,
    headers: Mapping[str, str] | Callable[[list[str]], list[str]] | None = None,
) -> Path:
    """Write tables for a meeting: one XLSX (a sheet each) or one CSV, atomically.

    Parameters
    ----------
    tables
        A DataFrame, or ``{sheet name: DataFrame}`` (one table only for a CSV).
        Geometry columns are left out.
    path
        A ``.xlsx`` file, or a ``.csv`` (UTF-8 with a BOM, so that Excel shows
        Chinese text).
    overwrite
        Replace an existing file.
    headers
        Column labels: ``{column: label}`` (columns without one keep their
        name), or a function from the list of column names to the labels.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    DataError
        Another suffix, or several tables for a CSV.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_tables(pd.DataFrame({"river": ["钱塘江"]}), out, headers={"river": "河流"})
    >>> out.read_text(encoding="utf-8-sig").splitlines()
    ['河流', '钱塘江']
    """
    final = check_output(path, overwrite=overwrite, kind="tables")
    suffix = final.suffix.lower()
    sheets = dict(tables) if isinstance(tables, Mapping) else {"Sheet1": tables}
    if suffix == ".csv" and len(sheets) != 1:
        msg = f"{final}: a CSV file holds one table; write several tables to .xlsx"
        raise DataError(msg)

    def labelled(frame: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
        names = [str(c) for c in frame.columns]
        if callable(headers):
            frame.columns = pd.Index(headers(names))
        elif headers is not None:
            frame.columns = pd.Index([headers.get(c, c) for c in names])
        return frame

    with atomic_output(final, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            write_csv(labelled(next(iter(sheets.values()))), tmp)
        else:
            _write_workbook(tmp, {str(k)[:31]: labelled(v) for k, v in sheets.items()}, final)
    return final
