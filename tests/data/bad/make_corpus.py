"""Write rivermap's own corpus of bad inputs (issue #18) into this folder.

Run it from the repository root::

    .venv/bin/python tests/data/bad/make_corpus.py [FOLDER]

How the corpus is made
----------------------
A *base* is cut from the embedded demo data (``data/zhejiang_rivers_admin.gpkg``):
two rivers of Quzhou (衢江 in three arcs, 常山江 in one; ids ``QJ1`` … ``CSJ``),
the fifteen districts of Quzhou and Jinhua simplified as one coverage (so that
they still tile), and the two cities and the "province" made as the unions of
their districts, so that every level nests exactly. Coordinates are rounded
to 1e-5 degrees. ``good.gpkg`` holds the base; ``good_*`` are the other
well-formed inputs (a roster, a project file, tickets and a patrol track) that
the bad files are variants of.

Each bad file changes one thing of a good one, so that a test knows what its
message must be about: a truncated or misnamed file, an encoding, a CRS, a
geometry, the units' hierarchy, a roster or project file, or hostile text.
Files are written by hand where the fault must be exact (GeoJSON, CSV, TOML,
GPX, and shapefiles, whose ``.shp``/``.shx``/``.dbf`` are packed here byte by
byte so that NaN vertices, M values and GBK text without ``.cpg`` are what
they say), and with pyogrio or openpyxl for GeoPackage, FlatGeobuf and XLSX.

The output is deterministic: GeoPackages get a fixed timestamp
(``OGR_CURRENT_DATE``), workbooks fixed zip dates and properties, shapefiles
a fixed ``.dbf`` date. ``README.md`` is written from the same descriptions, one
line per file. The folder holds only what this script writes: anything else
in it is removed.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[2] / "data" / "zhejiang_rivers_admin.gpkg"
LEVELS = ("province", "city", "district")
GRID = 1e-5  # degrees, about a metre
WGS84_PRJ = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,'
    '298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
#: A river chief's roster header, as offices write it.
ROSTER_HEADER = ("单位编码", "单位", "级别", "姓名", "职务", "电话", "角色", "河流", "任职时间")
_LEVEL_WORDS = {"province": "省级", "city": "市级", "district": "县级"}


# ================================================================ the corpus
class Corpus:
    """The files written so far, each with one line on what is wrong with it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines: dict[str, tuple[str, str]] = {}  # name -> (section, what)
        self.section = ""

    def put(self, name: str, data: bytes | str, what: str) -> Path:
        """Write ``data`` (text as UTF-8) as ``name`` and note what it is."""
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.note(name, what)
        return path

    def note(self, name: str, what: str) -> None:
        """Note a file that a library wrote."""
        self.lines[name] = (self.section, what)

    def put_set(self, stem: str, parts: dict[str, bytes], what: str) -> None:
        """Write the parts of a shapefile (``{".shp": …}``); the ``.shp`` line says what."""
        main = f"{stem}.shp"
        for suffix, data in parts.items():
            name = f"{stem}{suffix}"
            self.put(name, data, what if name == main else f"part of the `{main}` set")
        if main not in self.lines:  # a set without its .shp: the first part says what
            first = f"{stem}{next(iter(parts))}"
            self.lines[first] = (self.section, what)


# ============================================================ the base data
def base() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the base rivers and units (one frame, column ``level``), in EPSG:4326."""
    pyogrio_read = gpd.read_file
    districts = pyogrio_read(DEMO, layer="district")
    districts = districts[districts["city_name"].isin(["衢州市", "金华市"])]
    districts = districts.sort_values("district_adcode").reset_index(drop=True)
    metric = districts.to_crs(32650)
    simple = shapely.coverage_simplify(metric.geometry.values, 1500)
    geoms = gpd.GeoSeries(simple, crs=32650).to_crs(4326).values
    geoms = shapely.set_precision(geoms, GRID)
    ids = districts["district_adcode"].astype(str).to_numpy()
    rows = [("330000", "浙江省", "province", None, shapely.union_all(geoms, grid_size=GRID))]
    for code, name in (("330700", "金华市"), ("330800", "衢州市")):
        inside = geoms[[i.startswith(code[:4]) for i in ids]]
        rows.append((code, name, "city", "330000", shapely.union_all(inside, grid_size=GRID)))
    for i, name, g in zip(ids, districts["district_name"], geoms, strict=True):
        rows.append((i, name, "district", i[:4] + "00", g))
    units = gpd.GeoDataFrame(
        [r[:4] for r in rows],
        columns=["unit_id", "name", "level", "parent_id"],
        geometry=[r[4] for r in rows],
        crs=4326,
    )
    return _base_rivers(), units


def _base_rivers() -> gpd.GeoDataFrame:
    """Return 衢江 (three arcs) and 常山江, simplified to 100 m, with ids QJ1 … CSJ."""
    rivers = gpd.read_file(DEMO, layer="rivers")
    rivers = rivers[rivers["name"].isin(["衢江", "常山江(马金溪)"])].reset_index(drop=True)
    metric = rivers.to_crs(32650).simplify(100)
    geoms = shapely.set_precision(metric.to_crs(4326).values, GRID)
    ids = ["QJ1", "QJ2", "QJ3", "CSJ"]
    return gpd.GeoDataFrame({"river_id": ids, "name": rivers["name"]}, geometry=geoms, crs=4326)


# ================================================================= writers
def _coords(geom: Any) -> Any:
    """Return a geometry's GeoJSON coordinates, rounded to the grid (NaN kept)."""
    mapped = shapely.geometry.mapping(geom)["coordinates"]

    def walk(c: Any) -> Any:
        if isinstance(c, float | int):
            return c if not np.isfinite(c) else round(float(c), 5)
        return [walk(x) for x in c]

    return walk(mapped)


def geojson(features: Iterable[tuple[dict[str, Any], Any]], *, crs: str | None = None) -> str:
    """Return a FeatureCollection of ``(properties, geometry)`` as compact text.

    A geometry is a shapely geometry, None (a null geometry) or a dict written
    as it is (for what shapely cannot hold). ``crs`` adds the old ``crs``
    member that GDAL still honours.
    """
    out = []
    for props, geom in features:
        if geom is None or isinstance(geom, dict):
            g = geom
        else:
            g = {"type": geom.geom_type, "coordinates": _coords(geom)}
        out.append({"type": "Feature", "properties": props, "geometry": g})
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    doc["features"] = out
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def frame_geojson(gdf: gpd.GeoDataFrame, **kwargs: Any) -> str:
    """Return a frame as GeoJSON text (see :func:`geojson`)."""
    cols = [c for c in gdf.columns if c != "geometry"]
    feats = [({c: _plain(r[c]) for c in cols}, r.geometry) for _, r in gdf.iterrows()]
    return geojson(feats, **kwargs)


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def gpkg(corpus: Corpus, name: str, layers: dict[str, gpd.GeoDataFrame], what: str) -> None:
    """Write a GeoPackage with a fixed timestamp."""
    path = corpus.folder / name
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    with warnings.catch_warnings():  # "the extension should be 'gpkg'": it is meant not to be
        warnings.simplefilter("ignore", RuntimeWarning)
        for layer, gdf in layers.items():
            kind = None if len(gdf) else "MultiPolygon"  # an empty layer still says what it holds
            pyogrio.write_dataframe(
                gdf, path, layer=layer, driver="GPKG", append=path.exists(), geometry_type=kind
            )
    corpus.note(name, what)


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    """Return a one-sheet workbook of ``rows`` (text cells as text) with fixed dates."""
    from datetime import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # "=…" stays text: a hostile name, not a formula
    wb.properties.created = wb.properties.modified = datetime(2000, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Return a zip archive with every entry dated 1980-01-01 and fixed properties."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2000-01-01T00:00:00Z", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            dst.writestr(fixed, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return CSV text, quoting only the cells that need it."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in r] for r in rows])
    return buf.getvalue()


# ------------------------------------------------------------- shapefiles
_SHAPE_TYPES = {"point": 1, "line": 3, "polygon": 5, "linez": 13, "linem": 23}


def shapefile(
    records: Sequence[tuple[Sequence[Any], Sequence[np.ndarray] | None]],
    fields: Sequence[tuple[str, int]],
    *,
    kind: str = "line",
    encoding: str = "utf-8",
) -> dict[str, bytes]:
    """Return the ``.shp``, ``.shx`` and ``.dbf`` of ``records`` (``(values, parts)``).

    ``parts`` are arrays of shape (n, 2), (n, 3) with Z and M for ``linez``, or
    (n, 3) with M for ``linem``; None is a null shape. ``fields`` are
    ``(name, width)`` of text fields, written in ``encoding`` with no
    language driver id, as many Chinese tools leave them.
    """
    shape_type = _SHAPE_TYPES[kind]
    contents = [_shape_record(shape_type, parts) for _, parts in records]
    allxy = [p[:, :2] for _, parts in records if parts for p in parts]
    xy = np.vstack(allxy) if allxy else np.zeros((1, 2))
    box = (*np.nanmin(xy, axis=0), *np.nanmax(xy, axis=0))
    shp, shx, offset = bytearray(), bytearray(), 50
    for number, body in enumerate(contents, start=1):
        shp += struct.pack(">2i", number, len(body) // 2) + body
        shx += struct.pack(">2i", offset, len(body) // 2)
        offset += 4 + len(body) // 2
    return {
        ".shp": _shp_header(shape_type, box, 50 + len(shp) // 2) + bytes(shp),
        ".shx": _shp_header(shape_type, box, 50 + len(shx) // 2) + bytes(shx),
        ".dbf": _dbf([values for values, _ in records], fields, encoding),
    }


def _shp_header(shape_type: int, box: Sequence[float], words: int) -> bytes:
    head = struct.pack(">7i", 9994, 0, 0, 0, 0, 0, words)
    return head + struct.pack("<2i4d4d", 1000, shape_type, *box, 0, 0, 0, 0)


def _shape_record(shape_type: int, parts: Sequence[np.ndarray] | None) -> bytes:
    if parts is None:
        return struct.pack("<i", 0)
    pts = np.vstack(parts).astype(float)
    if shape_type == 1:
        return struct.pack("<i2d", 1, *pts[0, :2])
    box = (*np.nanmin(pts[:, :2], axis=0), *np.nanmax(pts[:, :2], axis=0))
    starts = np.cumsum([0] + [len(p) for p in parts[:-1]])
    out = struct.pack("<i4d2i", shape_type, *box, len(parts), len(pts))
    out += struct.pack(f"<{len(parts)}i", *starts) + pts[:, :2].astype("<f8").tobytes()
    for col in range(2, pts.shape[1]):  # Z then M (linez), or M (linem)
        values = pts[:, col]
        out += struct.pack("<2d", values.min(), values.max()) + values.astype("<f8").tobytes()
    return out


def _dbf(rows: Sequence[Sequence[Any]], fields: Sequence[tuple[str, int]], encoding: str) -> bytes:
    """Return a dBASE III table of text fields, dated 2000-01-01, language driver 0."""
    size = 1 + sum(w for _, w in fields)
    header_len = 32 + 32 * len(fields) + 1
    out = bytearray(struct.pack("<4BIHH20x", 3, 100, 1, 1, len(rows), header_len, size))
    for name, width in fields:
        out += struct.pack("<11sc4xBB14x", name.encode("ascii"), b"C", width, 0)
    out += b"\r"
    for row in rows:
        out += b" "
        for (_, width), value in zip(fields, row, strict=True):
            raw = ("" if value is None else str(value)).encode(encoding)[:width]
            out += raw.ljust(width, b" ")
    return bytes(out + b"\x1a")


def line_parts(geom: Any) -> list[np.ndarray]:
    """Return the parts of a (Multi)LineString as coordinate arrays."""
    return [np.asarray(g.coords) for g in getattr(geom, "geoms", [geom])]


def polygon_parts(geom: Any) -> list[np.ndarray]:
    """Return the rings of a (Multi)Polygon, outer rings clockwise, as shapefiles want."""
    rings = []
    for part in getattr(geom, "geoms", [geom]):
        poly = shapely.geometry.polygon.orient(part, sign=-1.0)
        rings += [np.asarray(poly.exterior.coords)]
        rings += [np.asarray(r.coords) for r in poly.interiors]
    return rings


def river_shapefile(
    rivers: gpd.GeoDataFrame,
    *,
    override: dict[str, Sequence[np.ndarray] | None] | None = None,
    dims: Callable[[np.ndarray], np.ndarray] | None = None,
    **kwargs: Any,
) -> dict[str, bytes]:
    """Return a shapefile of rivers (``river_id``, ``name``).

    ``override`` gives some rivers other parts (by id); ``dims`` adds Z/M
    columns to every part.
    """
    records = []
    for r in rivers.itertuples():
        parts = [dims(p) if dims else p for p in line_parts(r.geometry)]
        records.append(((r.river_id, r.name), (override or {}).get(r.river_id, parts)))
    return shapefile(records, [("river_id", 10), ("name", 40)], **kwargs)


# ================================================================ the items
def rivers_json(rivers: gpd.GeoDataFrame, **kwargs: Any) -> str:
    """Return rivers (``river_id``, ``name``) as GeoJSON text."""
    return frame_geojson(rivers[["river_id", "name", "geometry"]], **kwargs)


def units_json(
    units: gpd.GeoDataFrame, columns: Sequence[str] = ("unit_id", "name", "level")
) -> str:
    """Return every level of units in one GeoJSON, with the column ``level``."""
    return frame_geojson(units[[*columns, "geometry"]])


def levels(units: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Return each level's units (``unit_id``, ``name``), as the layers of a GeoPackage."""
    return {
        lv: units.loc[units["level"] == lv, ["unit_id", "name", "geometry"]].reset_index(drop=True)
        for lv in LEVELS
    }


def with_geometry(gdf: gpd.GeoDataFrame, key: str, value: str, geom: Any) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` whose row with ``key == value`` has the geometry ``geom``."""
    out = gdf.copy()
    out.loc[out[key] == value, "geometry"] = geom
    return out


def roster(units: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame) -> list[list[str]]:
    """Return the good roster: a chief for every unit a river crosses, one for each river.

    A unit without a river has no chief: the roster report would list a chief
    of such a unit as a problem.
    """
    rows = [
        ["330000", "浙江省", "省级", "浙江省总河长", "示例职务", "", "总河长", "", "2017-01-01"]
    ]
    wet = units[units.intersects(shapely.union_all(rivers.geometry.values))]
    for u in wet.itertuples():
        rows.append(
            [
                u.unit_id,
                u.name,
                _LEVEL_WORDS[u.level],
                f"{u.name}河长",
                "示例职务",
                "",
                "河长",
                "",
                "2021-03-01",
            ]
        )
    for river in ("衢江", "常山江(马金溪)"):
        rows.append(
            [
                "330800",
                "衢州市",
                "市级",
                f"衢州市{river[:3]}河长",
                "示例职务",
                "",
                "河长",
                river,
                "2021-03-01",
            ]
        )
    for i, row in enumerate(rows, start=1):
        row[5] = f"000-0000-{i:04d}"
    return rows


def project(rivers: str, roster: str | None = "good_roster.csv", units: str = "good.gpkg") -> str:
    """Return a project file on ``rivers``, ``units`` and ``roster``, quick to run (no map)."""
    merge = 'merge_by = "name"' if rivers == "good.gpkg" else 'id_col = "river_id"'
    layer = 'layer = "rivers"\n' if rivers.endswith(".gpkg") else ""
    level_col = "" if units.endswith(".gpkg") else 'level_col = "level"\n'
    chiefs = f'[chiefs]\nroster = "{roster}"\n' if roster else ""
    return f"""# a project of the bad-input corpus; the tests run it with --out
[project]
name = "corpus"
output = "out"
[rivers]
path = "{rivers}"
{layer}{merge}
[units]
path = "{units}"
{level_col}levels = ["province", "city", "district"]
[redivide]
level = "district"
{chiefs}[outputs]
map = false
atlas = false
signboards = false
"""


EVENTS_HEADER = ("工单编号", "上报时间", "来源", "问题类型", "问题描述", "经度", "纬度")


def events(rivers: gpd.GeoDataFrame) -> list[list[Any]]:
    """Return three tickets on 衢江 (on vertices of QJ2) and one on 常山江."""
    qj2 = np.asarray(rivers.geometry[1].coords)
    csj = np.asarray(rivers.geometry[3].coords)
    points = [qj2[10], qj2[20], qj2[30], csj[50]]
    return [
        [
            f"GD-{i:03d}",
            f"2026-11-{i + 2:02d} 09:30",
            "12345热线",
            "垃圾",
            f"第{i}张示例工单",
            f"{x:.5f}",
            f"{y:.5f}",
        ]
        for i, (x, y) in enumerate(points, start=1)
    ]


def gpx(
    points: Sequence[Sequence[float]], *, author: str = "衢州市衢江河长", times: bool = True
) -> str:
    """Return a GPX 1.1 track through ``points`` (lon, lat), a minute apart from 08:00 UTC."""
    pts = "".join(
        f'<trkpt lat="{y}" lon="{x}">'
        + (f"<time>2026-11-05T{8 + i // 60:02d}:{i % 60:02d}:00Z</time>" if times else "")
        + "</trkpt>\n"
        for i, (x, y) in enumerate(points)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="rivermap corpus" xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"<metadata><author><name>{author}</name></author></metadata>\n"
        f"<trk><name>巡河</name><trkseg>\n{pts}</trkseg></trk>\n</gpx>\n"
    )


def track_points(rivers: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """Return the points of a walk along QJ2: its first 30 vertices."""
    return [(round(x, 5), round(y, 5)) for x, y in list(rivers.geometry[1].coords)[:30]]


def _good(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Well-formed inputs (the controls, and what the bad files are variants of)"
    river_layer = rivers[["river_id", "name", "geometry"]]
    gpkg(
        c,
        "good.gpkg",
        {"rivers": river_layer, **levels(units)},
        "nothing: 4 rivers (river_id QJ1-QJ3, CSJ) and layers province, city, district",
    )
    c.put("good_rivers.geojson", rivers_json(rivers), "nothing: the 4 rivers as GeoJSON")
    c.put(
        "good_units.geojson", units_json(units), "nothing: every level in one file, column `level`"
    )
    text = csv_text(ROSTER_HEADER, roster(units, rivers))
    c.put("good_roster.csv", text, "nothing: a chief for every unit, two river chiefs (UTF-8)")
    c.put(
        "good_roster.xlsx",
        xlsx([ROSTER_HEADER, *roster(units, rivers)]),
        "nothing: the roster as XLSX",
    )
    c.put("good_project.toml", project("good.gpkg"), "nothing: a project on good.gpkg")
    c.put(
        "good_events.csv",
        csv_text(EVENTS_HEADER, events(rivers)),
        "nothing: 4 tickets on the rivers",
    )
    c.put("good_tracks.gpx", gpx(track_points(rivers)), "nothing: a 30-minute patrol along 衢江")


def river_set(
    rivers: gpd.GeoDataFrame,
    *,
    prj: str | None = WGS84_PRJ,
    cpg: str | None = "UTF-8",
    encoding: str = "utf-8",
    **kwargs: Any,
) -> dict[str, bytes]:
    """Return a rivers shapefile's parts, with a ``.prj`` and a ``.cpg`` unless None."""
    parts = river_shapefile(rivers, encoding=encoding, **kwargs)
    if prj is not None:
        parts[".prj"] = prj.encode("ascii")
    if cpg is not None:
        parts[".cpg"] = cpg.encode("ascii")
    return parts


def _without(parts: dict[str, bytes], *suffixes: str) -> dict[str, bytes]:
    return {k: v for k, v in parts.items() if k not in suffixes}


def _formats(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "File formats: truncated, parts missing, wrong suffix, empty, BOM, folders"
    good = (c.folder / "good.gpkg").read_bytes()
    c.put(
        "fmt_truncated.gpkg", good[: len(good) * 6 // 10], "good.gpkg cut at 60 % (a broken copy)"
    )
    parts = river_set(rivers)
    parts[".shp"] = parts[".shp"][: len(parts[".shp"]) * 6 // 10]
    c.put_set("fmt_truncated_rivers", parts, "the .shp cut at 60 %; .shx and .dbf whole")
    text = rivers_json(rivers).encode("utf-8")
    c.put("fmt_truncated_rivers.geojson", text[: len(text) // 2], "GeoJSON cut in the middle")
    book = xlsx([ROSTER_HEADER, *roster(units, rivers)])
    c.put("fmt_truncated_roster.xlsx", book[: len(book) // 2], "the roster workbook cut in half")
    c.put_set(
        "fmt_no_dbf",
        _without(river_set(rivers), ".dbf", ".cpg"),
        "a shapefile without its .dbf (ids and names)",
    )
    c.put_set(
        "fmt_no_prj", _without(river_set(rivers), ".prj"), "a shapefile without its .prj (CRS)"
    )
    c.put_set(
        "fmt_no_shx", _without(river_set(rivers), ".shx"), "a shapefile without its .shx index"
    )
    c.put(
        "fmt_csv_as.xlsx",
        csv_text(ROSTER_HEADER, roster(units, rivers)),
        "a CSV roster named .xlsx",
    )
    c.put("fmt_xlsx_as.csv", book, "an XLSX roster named .csv")
    c.put("fmt_geojson_as.csv", rivers_json(rivers), "GeoJSON rivers named .csv")
    table = csv_text(("name", "length_km"), [("衢江", "83.6"), ("常山江", "141.4")])
    c.put("fmt_table_as_rivers.csv", table, "a table without geometry given as rivers")
    html = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n"
    c.put("fmt_html_as.gpkg", html, "an HTML error page saved as .gpkg (a failed download)")
    gpkg(
        c,
        "fmt_gpkg_as.shp",
        {"rivers": rivers[["river_id", "name", "geometry"]]},
        "a GeoPackage of the rivers named .shp",
    )
    _empty_files(c)
    _bom_files(c, rivers, units)
    c.put(
        "fmt_dir_rivers.gpkg/README.txt",
        "a folder named like a GeoPackage\n",
        "a folder where a rivers file is due (this file keeps it in git)",
    )
    c.put(
        "fmt_dir_roster.csv/README.txt",
        "a folder named like a roster\n",
        "a folder where a roster is due (this file keeps it in git)",
    )


def _empty_files(c: Corpus) -> None:
    for name, what in (
        ("fmt_zero.gpkg", "zero bytes, as rivers and units"),
        ("fmt_zero.geojson", "zero bytes, as rivers"),
        ("fmt_zero_roster.csv", "a zero-byte roster"),
        ("fmt_zero_roster.xlsx", "a zero-byte XLSX roster"),
        ("fmt_zero_project.toml", "a zero-byte project file"),
        ("fmt_zero_events.csv", "a zero-byte ticket table"),
        ("fmt_zero_tracks.gpx", "a zero-byte GPX track"),
    ):
        c.put(name, b"", what)
    c.put_set("fmt_zero", {".shp": b"", ".shx": b"", ".dbf": b""}, "a shapefile of zero-byte parts")


BOM = b"\xef\xbb\xbf"


def _bom_files(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    what = "UTF-8 with a byte-order mark, as Notepad and Excel save it (must work)"
    c.put("fmt_bom_rivers.geojson", BOM + rivers_json(rivers).encode(), f"GeoJSON rivers in {what}")
    c.put(
        "fmt_bom_roster.csv",
        BOM + csv_text(ROSTER_HEADER, roster(units, rivers)).encode(),
        f"the roster in {what}",
    )
    c.put("fmt_bom_project.toml", BOM + project("good.gpkg").encode(), f"the project in {what}")
    c.put(
        "fmt_bom_events.csv",
        BOM + csv_text(EVENTS_HEADER, events(rivers)).encode(),
        f"the tickets in {what}",
    )


def _encodings(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Encodings"
    c.put_set(
        "enc_gbk_nocpg",
        river_set(rivers, cpg=None, encoding="gbk"),
        "GBK names, no .cpg, no language driver id (must work: detected)",
    )
    c.put_set(
        "enc_utf8_nocpg", river_set(rivers, cpg=None), "UTF-8 names, no .cpg (must work: detected)"
    )
    c.put_set(
        "enc_wrong_cpg",
        river_set(rivers, cpg="UTF-8", encoding="gbk"),
        "GBK names, but the .cpg says UTF-8",
    )
    latin = csv_text(
        ("unit_id", "level", "name", "title"),
        [
            ("330802", "district", "José Peña", "Jefe del río"),
            ("330803", "district", "Zoë Müller", "Garde-rivière"),
        ],
    )
    c.put("enc_latin1_roster.csv", latin.encode("latin-1"), "a roster in Latin-1 (é, ñ, ë, ü)")
    text = csv_text(ROSTER_HEADER, roster(units, rivers))
    c.put("enc_utf16_roster.csv", text.encode("utf-16"), "the roster in UTF-16 with a BOM")
    lines = text.encode("utf-8").split(b"\r\n")
    lines[4] = lines[4].decode("utf-8").encode("gbk")
    c.put("enc_mixed_roster.csv", b"\r\n".join(lines), "UTF-8, but row 5 in GBK (pasted together)")
    c.put("enc_gbk_roster.csv", text.encode("gbk"), "the roster in GBK (must work)")
    c.put(
        "enc_gbk_project.toml",
        project("good.gpkg").replace("corpus", "语料").encode("gbk"),
        "a project file in GBK, a Chinese name in it",
    )
    c.put(
        "enc_gbk_events.csv",
        csv_text(EVENTS_HEADER, events(rivers)).encode("gbk"),
        "the tickets in GBK (must work)",
    )


def _moved(gdf: gpd.GeoDataFrame, func: Callable[[np.ndarray], np.ndarray]) -> gpd.GeoDataFrame:
    """Return a copy whose coordinates (an array of x, y rows) are changed by ``func``."""
    out = gdf.copy()
    out["geometry"] = shapely.transform(gdf.geometry.values, func)
    return out


#: How far the "far" inputs are moved: from Zhejiang to Xinjiang, in degrees.
FAR = np.array([-30.0, 14.0])


def _gcj02(xy: np.ndarray) -> np.ndarray:
    from rivermap._gcj02 import wgs84_to_gcj02

    return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))


def _crs(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "CRS mistakes"
    path = c.folder / "crs_none_rivers.fgb"
    path.unlink(missing_ok=True)
    nocrs = rivers[["river_id", "name", "geometry"]].set_crs(None, allow_override=True)
    with warnings.catch_warnings():  # "'crs' was not provided": that is the point
        warnings.simplefilter("ignore", UserWarning)
        pyogrio.write_dataframe(nocrs, path)
    c.note(path.name, "FlatGeobuf without a CRS")
    c.put(
        "crs_swapped_rivers.geojson",
        rivers_json(_moved(rivers, lambda xy: xy[:, ::-1])),
        "latitude and longitude swapped",
    )
    metres = rivers.to_crs(32650)
    c.put(
        "crs_metres_as_4326.geojson",
        rivers_json(metres),
        "UTM 50N metres in a GeoJSON, which is WGS84 degrees by definition",
    )
    c.put("crs_lat95_rivers.geojson", rivers_json(_lat95(rivers)), "a vertex of CSJ at latitude 95")
    shifted = _moved(rivers, _gcj02)
    c.put(
        "crs_gcj02_rivers.geojson",
        rivers_json(shifted),
        "GCJ-02 (Gaode) coordinates labelled WGS84, ~500 m off (works; a warning at most)",
    )
    utm = pyproj.CRS.from_epsg(32650).to_wkt("WKT1_ESRI")
    c.put_set(
        "crs_utm_rivers",
        {**river_shapefile(metres), ".prj": utm.encode(), ".cpg": b"UTF-8"},
        "rivers in UTM 50N, the units in WGS84 (must work)",
    )
    c.put_set(
        "crs_prj_garbage",
        river_set(rivers, prj="this is not a projection"),
        "a .prj that holds no CRS",
    )
    far = _moved(rivers, lambda xy: xy + FAR)
    c.put(
        "crs_far_rivers.geojson",
        rivers_json(far),
        "the rivers moved to Xinjiang, far from the units",
    )
    far_units = _moved(units, lambda xy: xy + FAR)
    c.put(
        "crs_far_units.geojson",
        units_json(far_units),
        "the units moved to Xinjiang, far from the rivers",
    )
    c.put(
        "crs_units_3857.geojson",
        geojson(
            [
                ({"unit_id": u.unit_id, "name": u.name, "level": u.level}, u.geometry)
                for u in units.to_crs(3857).itertuples()
            ],
            crs="urn:ogc:def:crs:EPSG::3857",
        ),
        "units in Web Mercator (a GeoJSON crs member), the rivers in WGS84 (must work)",
    )


def _lat95(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    coords = np.asarray(rivers.geometry[3].coords).copy()
    coords[3, 1] = 95.0
    return with_geometry(rivers, "river_id", "CSJ", shapely.LineString(coords))


def _vertex(
    rivers: gpd.GeoDataFrame, rid: str, i: int, x: float | None, y: float | None
) -> list[np.ndarray]:
    """Return the parts of river ``rid`` with vertex ``i`` set to (x, y) where not None."""
    coords = np.asarray(rivers.loc[rivers["river_id"] == rid].geometry.iloc[0].coords).copy()
    if x is not None:
        coords[i, 0] = x
    if y is not None:
        coords[i, 1] = y
    return [coords]


def _geometry(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Geometry"
    nan, inf = float("nan"), float("inf")
    for stem, rid, i, xy, what in (
        ("geom_nan_vertex", "QJ2", 5, (nan, None), "vertex 6 of QJ2 has x = NaN"),
        ("geom_inf_vertex", "QJ2", 5, (None, inf), "vertex 6 of QJ2 has y = inf"),
        ("geom_nan_endpoint", "CSJ", -1, (nan, nan), "the last vertex of CSJ is (NaN, NaN)"),
    ):
        c.put_set(stem, river_set(rivers, override={rid: _vertex(rivers, rid, i, *xy)}), what)
    one = _vertex(rivers, "CSJ", 0, None, None)[0][:1]
    c.put_set(
        "geom_one_point",
        river_set(rivers, override={"CSJ": [one]}),
        "CSJ is a polyline of one point",
    )
    _geometry_json(c, rivers, units)
    _geometry_dims(c, rivers)
    _geometry_units(c, units)


def _geometry_json(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    feats = [({"river_id": r.river_id, "name": r.name}, r.geometry) for r in rivers.itertuples()]
    bad = {
        "type": "LineString",
        "coordinates": [[118.9, 29.0], [float("nan"), 29.1], [119.0, 29.2]],
    }
    text = geojson([*feats[:1], (feats[1][0], bad), *feats[2:]])
    c.put("geom_nan_token.geojson", text, "a NaN token in the coordinates of QJ2 (not JSON)")
    empty = {"type": "LineString", "coordinates": []}
    c.put(
        "geom_empty.geojson",
        geojson([*feats[:2], (feats[2][0], empty), feats[3]]),
        "QJ3 has an empty geometry",
    )
    c.put(
        "geom_null.geojson",
        geojson([*feats[:2], (feats[2][0], None), feats[3]]),
        "QJ3 has a null geometry",
    )
    c.put("geom_all_null.geojson", geojson([(p, None) for p, _ in feats]), "every geometry is null")
    points = [(p, shapely.Point(g.coords[0])) for p, g in feats]
    c.put("geom_points_as_rivers.geojson", geojson(points), "points given as rivers")
    districts = units[units["level"] == "district"]
    polys = [({"river_id": u.unit_id, "name": u.name}, u.geometry) for u in districts.itertuples()]
    c.put("geom_polygons_as_rivers.geojson", geojson(polys), "polygons (districts) given as rivers")
    lines = units.copy()
    lines.loc[lines["level"] == "district", "geometry"] = lines.loc[
        lines["level"] == "district"
    ].boundary
    c.put("geom_lines_as_units.geojson", units_json(lines), "the districts are boundary lines")
    c.put(
        "geom_spike_rivers.geojson",
        rivers_json(_spiked_river(rivers)),
        "QJ2 has a 20 km spike out and back (valid; must work)",
    )
    doubled = rivers.copy()
    doubled["geometry"] = [
        shapely.LineString(np.repeat(np.asarray(g.coords), 3, axis=0)) for g in rivers.geometry
    ]
    c.put("geom_dup_vertices.geojson", rivers_json(doubled), "every vertex three times (must work)")
    point = rivers.geometry[3].coords[0]
    zero = with_geometry(rivers, "river_id", "CSJ", shapely.LineString([point, point, point]))
    c.put("geom_zero_length.geojson", rivers_json(zero), "CSJ is three copies of one point")


def _spiked_river(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    coords = [tuple(p) for p in rivers.geometry[1].coords]
    x, y = coords[20]
    coords[21:21] = [(x + 0.2, y + 0.1), (x, y)]
    return with_geometry(rivers, "river_id", "QJ2", shapely.LineString(coords))


def _geometry_dims(c: Corpus, rivers: gpd.GeoDataFrame) -> None:
    z = rivers.assign(geometry=shapely.force_3d(rivers.geometry.values, 35.0))
    c.put("geom_z_rivers.geojson", rivers_json(z), "3D lines, Z = 35 m (must work)")

    def zm(p: np.ndarray) -> np.ndarray:
        return np.column_stack([p, np.full(len(p), 35.0), np.arange(len(p), dtype=float)])

    def m(p: np.ndarray) -> np.ndarray:
        return np.column_stack([p, np.arange(len(p), dtype=float)])

    c.put_set(
        "geom_zm_rivers",
        river_set(rivers, dims=zm, kind="linez"),
        "PolyLineZ with Z and M values (must work)",
    )
    c.put_set(
        "geom_m_rivers",
        river_set(rivers, dims=m, kind="linem"),
        "PolyLineM, measures only (must work)",
    )


def _geometry_units(c: Corpus, units: gpd.GeoDataFrame) -> None:
    c.put(
        "geom_bowtie_units.geojson",
        units_json(_bent(units, "330803", _bowtie)),
        "district 330803 has two vertices swapped: a small bow-tie (self-intersection)",
    )
    c.put(
        "geom_spike_units.geojson",
        units_json(_bent(units, "330803", _spike)),
        "district 330803 has a zero-width spike (invalid ring)",
    )
    lines = levels(units)
    lines["district"] = lines["district"].assign(geometry=lines["district"].boundary)
    gpkg(c, "geom_lines_layer_units.gpkg", lines, "units whose district layer is lines")
    records = []
    for u in units.itertuples():
        rings = polygon_parts(u.geometry)
        if u.unit_id == "330803":
            rings[0] = rings[0].copy()
            rings[0][4] = (float("nan"), float("nan"))
        records.append(((u.unit_id, u.name, u.level), rings))
    parts = shapefile(records, [("unit_id", 10), ("name", 20), ("level", 10)], kind="polygon")
    c.put_set(
        "geom_nan_units",
        {**parts, ".prj": WGS84_PRJ.encode(), ".cpg": b"UTF-8"},
        "units in one shapefile (column `level`); district 330803 has a NaN vertex",
    )


def _bent(
    units: gpd.GeoDataFrame, uid: str, func: Callable[[np.ndarray], np.ndarray]
) -> gpd.GeoDataFrame:
    """Return units whose ``uid`` has its first exterior ring changed by ``func``."""
    geom = units.loc[units["unit_id"] == uid].geometry.iloc[0]
    poly = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
    ring = func(np.asarray(poly.exterior.coords).copy())
    return with_geometry(
        units, "unit_id", uid, shapely.Polygon(ring, [i.coords for i in poly.interiors])
    )


def _bowtie(ring: np.ndarray) -> np.ndarray:
    ring[[10, 11]] = ring[[11, 10]]
    return ring


def _spike(ring: np.ndarray) -> np.ndarray:
    x, y = ring[10]
    return np.vstack([ring[:11], [(x + 0.05, y + 0.05), (x, y)], ring[11:]])


def _units(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Units (one GeoJSON with every level, column `level`, unless said)"
    ids = units.set_index("unit_id").geometry
    swapped = with_geometry(units, "unit_id", "330802", ids["330702"])
    swapped = with_geometry(swapped, "unit_id", "330702", ids["330802"])
    c.put(
        "units_not_nested.geojson",
        units_json(swapped),
        "districts 330802 and 330702 swapped shapes: each lies in the other city",
    )
    grown = with_geometry(units, "unit_id", "330803", ids["330803"].buffer(0.05))
    c.put(
        "units_overlap.geojson",
        units_json(grown),
        "district 330803 grown by ~5 km over its neighbours",
    )
    c.put(
        "units_gap.geojson",
        units_json(units[units["unit_id"] != "330803"]),
        "district 330803 is missing: a hole in city 330800",
    )
    c.put(
        "units_empty_level.geojson",
        units_json(units[units["level"] != "district"]),
        "no feature has level `district`",
    )
    layers = levels(units)
    layers["district"] = layers["district"].iloc[:0]
    gpkg(c, "units_empty_level.gpkg", layers, "the district layer has no features")
    same = units.copy()
    same.loc[same["unit_id"] == "330881", "unit_id"] = "330800"
    c.put(
        "units_same_id.geojson", units_json(same), "district 江山市 has the id 330800 of its city"
    )
    dup = units.copy()
    dup.loc[dup["unit_id"] == "330822", "unit_id"] = "330803"
    c.put("units_dup_ids.geojson", units_json(dup), "two districts have the id 330803")
    feats = [
        (
            {
                "unit_id": None if u.unit_id == "330824" else int(u.unit_id),
                "name": u.name,
                "level": u.level,
            },
            u.geometry,
        )
        for u in units.itertuples()
    ]
    c.put("units_nan_ids.geojson", geojson(feats), "numeric ids; district 开化县 has none (null)")
    orphan = units.copy()
    orphan.loc[orphan["unit_id"] == "330824", "parent_id"] = "339900"
    c.put(
        "units_missing_parent.geojson",
        units_json(orphan, ("unit_id", "name", "level", "parent_id")),
        "column parent_id; 330824's parent 339900 does not exist",
    )
    c.put("units_no_name.geojson", units_json(units, ("unit_id", "level")), "no name column")
    words = units.assign(level=units["level"].map(_LEVEL_WORDS))
    c.put(
        "units_level_words.geojson",
        units_json(words),
        "the level column says 省级/市级/县级, not the level names given",
    )


def _roster_csv(rows: Sequence[Sequence[Any]], header: Sequence[str] = ROSTER_HEADER) -> str:
    return csv_text(header, rows)


def _column(rows: list[list[str]], col: str, row: int, value: str) -> list[list[str]]:
    """Return ``rows`` with the cell of column ``col`` of data row ``row`` (from 0) set."""
    out = [list(r) for r in rows]
    out[row][ROSTER_HEADER.index(col)] = value
    return out


def _drop_columns(rows: list[list[str]], *cols: str) -> tuple[list[str], list[list[str]]]:
    keep = [i for i, h in enumerate(ROSTER_HEADER) if h not in cols]
    return [ROSTER_HEADER[i] for i in keep], [[r[i] for i in keep] for r in rows]


def _rosters(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Rosters (chiefs CSV/XLSX)"
    rows = roster(units, rivers)
    c.put("roster_no_name_col.csv", csv_text(*_drop_columns(rows, "姓名")), "no column of names")
    c.put(
        "roster_no_unit_col.csv",
        csv_text(*_drop_columns(rows, "单位编码", "单位")),
        "no unit column (neither code nor name)",
    )
    extra = [
        ["339999", "未知县", "县级", "未知县河长", "示例职务", "000-0000-0901", "河长", "", ""],
        ["330899", "", "县级", "无名河长", "示例职务", "000-0000-0902", "河长", "", ""],
    ]
    c.put(
        "roster_unknown_units.csv",
        _roster_csv(rows + extra),
        f"rows {len(rows) + 2} and {len(rows) + 3} name units 339999 and 330899, "
        "which do not exist",
    )
    c.put("roster_dup_rows.csv", _roster_csv(rows[:5] + rows[4:]), "row 7 repeats row 6 exactly")
    c.put(
        "roster_bad_role.csv",
        _roster_csv(_column(rows, "角色", 3, "大河长")),
        "row 5 has the role 大河长, which is none of the roles",
    )
    c.put(
        "roster_bad_date.csv",
        _roster_csv(_column(rows, "任职时间", 3, "明年春天")),
        "row 5 has the date 明年春天",
    )
    c.put(
        "roster_unknown_river.csv",
        _roster_csv(_column(rows, "河流", 3, "黄河")),
        "row 5 names the river 黄河, which is not in the data",
    )
    c.put(
        "roster_level_mismatch.csv",
        _roster_csv(_column(rows, "级别", 2, "县级")),
        "row 4 says city 330700 is a 县级 (district) unit",
    )
    c.put("roster_header_only.csv", _roster_csv([]), "a header and no rows")
    c.put(
        "roster_two_name_cols.csv",
        csv_text([*ROSTER_HEADER, "name"], [[*r, r[3]] for r in rows]),
        "both 姓名 and name: two columns for one field",
    )
    titled = xlsx([["衢州市河长名录（示例）"], ROSTER_HEADER, *rows])
    c.put("roster_title_row.xlsx", titled, "a title row above the header, as offices print them")


def _projects(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Project files (TOML)"
    good = project("good.gpkg")
    c.put(
        "project_missing_roster.toml",
        project("good.gpkg", roster="no_such_roster.csv"),
        "[chiefs] roster names a file that does not exist",
    )
    c.put(
        "project_levels_string.toml",
        good.replace('levels = ["province", "city", "district"]', 'levels = "district"'),
        "[units] levels is a string, not a list",
    )
    c.put(
        "project_path_number.toml",
        good.replace('path = "good.gpkg"\nlayer', "path = 5\nlayer"),
        "[rivers] path is a number",
    )
    c.put("project_dir_rivers.toml", project("fmt_dir_rivers.gpkg"), "[rivers] path names a folder")
    c.put(
        "project_bad_roster.toml",
        project("good.gpkg", roster="fmt_csv_as.xlsx"),
        "[chiefs] roster is a CSV named .xlsx",
    )
    c.put(
        "project_swapped.toml",
        project("crs_swapped_rivers.geojson"),
        "[rivers] are the rivers with latitude and longitude swapped",
    )
    c.put(
        "project_hostile.toml",
        project("text_formula_rivers.geojson", None, "text_formula_units.geojson"),
        "rivers and districts named like formulas (must work, no formula written)",
    )
    c.put(
        "project_duplicate_key.toml",
        good.replace("[redivide]\n", '[redivide]\nlevel = "city"\n'),
        "[redivide] level given twice",
    )


#: Hostile names by kind: rivers, districts and chiefs get them (must work, kept).
HOSTILE: dict[str, list[str]] = {
    "html": [
        '<script>alert("衢江")</script>',
        "<img src=x onerror=alert(1)>",
        "衢江 &amp; <b>粗体</b>",
        "引号\"河'流",
        "</td></tr><tr><td>表格",
        "{{7*7}}${7*7}",
    ],
    "formula": [
        '=HYPERLINK("http://example.com/?q=衢江","点击")',
        "+86-570-0000",
        "-2+3",
        "@SUM(1,1)",
        "\t=1+1 制表",
        "\r=2+2 回车",
    ],
    "rtl": [
        "衢江\u202egpj.exe",
        "\u202e江衢",
        "abc\u200fdef河",
        "\u2066隔离\u2069河",
        "\u200b零宽\u200d河",
        "نهر 河",
    ],
    "long": ["长名" * 5000, "L" * 10000, "衢江", "常山江", "短名", "名"],
    "nul": ["NUL前\x00NUL后", "衢\x00江", "\x00开头", "结尾\x00", "正常河", "另一条"],
    "emoji": ["🌊衢江🐟", "👨\u200d👩\u200d👧河", "🇨🇳河流", "𠀀𪚥河", "😀", "河🏞️"],
    "ctrl": [
        "\x1b[31m红色\x1b[0m河",
        "响铃\x07河",
        "退格\x08河",
        "换页\x0c河",
        "垂直\x0b制表",
        "删除\x7f河",
    ],
}
#: What each kind of hostile name holds, for the README.
WHAT = {
    "html": "HTML: script and img tags, an entity, quotes, template syntax",
    "formula": "formulas: =HYPERLINK(…), a leading +, -, @, tab or CR",
    "rtl": "bidi controls (RTL override U+202E, RLM, isolates), zero-width marks, Arabic",
    "long": "10,000 characters (one Chinese, one a single Latin word)",
    "nul": "NUL characters inside, first and last (GDAL ends a text at a NUL)",
    "emoji": "emoji, a ZWJ family, a flag, CJK beyond the BMP",
    "ctrl": "control characters: a terminal colour escape, BEL, BS, FF, VT, DEL",
}
#: What of each kind must be found in the outputs: the names but for the
#: characters no file format keeps (NUL, and control characters in XLSX),
#: and without the surrounding white space a reader may strip.
KEPT: dict[str, list[str]] = {
    **{k: [n.strip() for n in v] for k, v in HOSTILE.items() if k not in ("nul", "ctrl")},
    "nul": ["NUL前", "NUL后", "开头", "结尾"],
    "ctrl": ["红色", "响铃", "退格", "换页", "垂直", "删除"],
}


def _six(rivers: gpd.GeoDataFrame, names: Sequence[str]) -> gpd.GeoDataFrame:
    """Return six rivers (CSJ cut in three) named ``names``."""
    csj = rivers.geometry[3]
    thirds = [
        shapely.ops.substring(csj, a, b, normalized=True)
        for a, b in ((0, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1))
    ]
    ids = ["QJ1", "QJ2", "QJ3", "CSJ1", "CSJ2", "CSJ3"]
    geoms = [*rivers.geometry[:3], *shapely.set_precision(thirds, GRID)]
    return gpd.GeoDataFrame({"river_id": ids, "name": list(names)}, geometry=geoms, crs=4326)


def _hostile(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Hostile text (must work, the text kept in the outputs, no formula written)"
    rows = roster(units, rivers)
    for kind, names in HOSTILE.items():
        c.put(
            f"text_{kind}_rivers.geojson",
            rivers_json(_six(rivers, names)),
            f"six rivers named with {WHAT[kind]}",
        )
        hostile = [list(r) for r in rows]
        for i, name in enumerate(names):
            hostile[3 + i][3] = name  # the chiefs of six districts
        c.put(
            f"text_{kind}_roster.csv", _roster_csv(hostile), f"six chiefs named with {WHAT[kind]}"
        )
        if kind in ("html", "formula"):
            named = units.copy()
            district = named.index[named["level"] == "district"][:6]
            named.loc[district, "name"] = names
            c.put(
                f"text_{kind}_units.geojson",
                units_json(named),
                f"six districts named with {WHAT[kind]}",
            )
            c.put(
                f"text_{kind}_roster.xlsx",
                xlsx([ROSTER_HEADER, *hostile]),
                f"six chiefs named with {WHAT[kind]}, in a workbook",
            )


def _events(c: Corpus, rivers: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    c.section = "Tickets (route) and patrol tracks (patrols)"
    rows = events(rivers)
    nocoord = [list(r) for r in rows]
    nocoord[1][5:7] = ["", ""]
    c.put("events_no_coords.csv", csv_text(EVENTS_HEADER, nocoord), "ticket GD-002 has no location")
    swapped = [[*r[:5], r[6], r[5]] for r in rows]
    c.put(
        "events_swapped.csv", csv_text(EVENTS_HEADER, swapped), "经度 and 纬度 swapped in every row"
    )
    lat95 = [list(r) for r in rows]
    lat95[2][6] = "95.0"
    c.put("events_lat95.csv", csv_text(EVENTS_HEADER, lat95), "ticket GD-003 at latitude 95")
    late = [list(r) for r in rows]
    late[0][1] = "昨天下午"
    c.put("events_bad_time.csv", csv_text(EVENTS_HEADER, late), "ticket GD-001 reported 昨天下午")
    dup = [list(r) for r in rows]
    dup[3][0] = "GD-001"
    c.put("events_dup_ids.csv", csv_text(EVENTS_HEADER, dup), "two tickets GD-001")
    text = [[*r[:4], HOSTILE["formula"][i], *r[5:]] for i, r in enumerate(rows)]
    c.put(
        "text_formula_events.csv",
        csv_text(EVENTS_HEADER, text),
        "ticket descriptions like formulas (must work, kept, no formula written)",
    )
    good = gpx(track_points(rivers))
    c.put("tracks_truncated.gpx", good[: len(good) // 2], "a GPX file cut in the middle")
    c.put(
        "tracks_no_time.gpx", gpx(track_points(rivers), times=False), "track points without <time>"
    )
    c.put("tracks_csv_as.gpx", csv_text(EVENTS_HEADER, rows), "a CSV table named .gpx")
    nan = [(float("nan"), y) if i == 5 else (x, y) for i, (x, y) in enumerate(track_points(rivers))]
    c.put("tracks_nan.gpx", gpx(nan), 'point 6 has lon="nan"')


# ================================================================ main
def main(argv: Sequence[str]) -> int:
    """Write the corpus into ``argv[0]`` (default: this folder); return 0."""
    folder = Path(argv[0]).resolve() if argv else HERE
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(folder)
    rivers, units = base()
    for make in (
        _good, _formats, _encodings, _crs, _geometry, _units, _rosters, _projects,
        _hostile, _events,
    ):  # fmt: skip
        make(corpus, rivers, units)
    _tidy(folder, corpus)
    (folder / "README.md").write_text(readme(corpus), encoding="utf-8")
    print(f"{len(corpus.lines)} corpus files in {folder}")
    return 0


def _tidy(folder: Path, corpus: Corpus) -> None:
    """Remove what is in the folder but was not written now (items dropped since)."""
    keep = {"make_corpus.py", "README.md", *corpus.lines}
    tops = {name.split("/")[0] for name in keep}
    for path in sorted(folder.iterdir()):
        if path.name not in tops:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def readme(corpus: Corpus) -> str:
    """Return README.md: how to make the corpus, then a line for every file by section."""
    lines = [
        "# The bad-input corpus (issue #18)",
        "",
        "Generated by `make_corpus.py` (run `.venv/bin/python tests/data/bad/make_corpus.py`);",
        "do not edit these files by hand. `tests/test_bad_corpus.py` runs every file through",
        "the command line and states the exit code and the words of the message it expects.",
        "The geometry is cut from `data/zhejiang_rivers_admin.gpkg` (Tianditu boundaries,",
        "1:4M rivers; see `data/README.md` for sources and licences), simplified; the",
        "rosters, tickets and tracks are made up (phones 000-0000-NNNN).",
        "",
    ]
    section = None
    for name, (sec, what) in corpus.lines.items():  # as written: each section in one run
        if sec != section:
            lines += ["", f"## {sec}", ""] if section is not None else [f"## {sec}", ""]
            section = sec
        lines.append(f"- `{name}`: {what}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
