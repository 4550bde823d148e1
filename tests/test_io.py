"""Readers: every format, encodings, CRS handling, merging arcs, bad input."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, MultiLineString, Point, Polygon

import rivermap as rm
from rivermap import pipeline
from rivermap.io import atomic_output, detect_encoding, read_table

FORMATS = {
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp"),
    "geojson": ("GeoJSON", ".geojson"),
    "fgb": ("FlatGeobuf", ".fgb"),
    "parquet": (None, ".parquet"),
}


def _write(gdf: gpd.GeoDataFrame, tmp_path: Path, fmt: str, stem: str = "data") -> Path:
    driver, suffix = FORMATS[fmt]
    path = tmp_path / f"{stem}{suffix}"
    if driver is None:
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, driver=driver, engine="pyogrio")
    return path


@pytest.fixture
def demo_rivers_raw() -> gpd.GeoDataFrame:
    return gpd.read_file(rm.datasets.get_path("zhejiang"), layer="rivers")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_read_rivers_every_format(fmt, tmp_path, demo_rivers_raw):
    path = _write(demo_rivers_raw, tmp_path, fmt)
    rivers = rm.read_rivers(path)
    assert len(rivers) == len(demo_rivers_raw)
    assert rivers["river_id"].is_unique
    assert rivers.crs.to_epsg() == 4326
    assert set(rivers.geom_type) <= {"LineString", "MultiLineString"}
    named = rivers["name"].dropna()
    assert "富春江" in set(named)
    # FlatGeobuf reorders features along its spatial index: compare as sorted lengths.
    np.testing.assert_allclose(
        np.sort(shapely.length(rivers.geometry.values)),
        np.sort(shapely.length(demo_rivers_raw.geometry.values)),
        rtol=1e-9,
    )
    merged = rm.read_rivers(path, merge_by="name")
    assert merged.set_index("river_id").loc["富春江", "n_features"] == 12


@pytest.mark.filterwarnings(
    "ignore:Column names longer than 10:UserWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",  # GDAL's note on laundered .dbf names
)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_read_units_every_format(fmt, tmp_path):
    src = rm.datasets.get_path("zhejiang")
    paths = {}
    for level in ("province", "city", "district"):
        layer = gpd.read_file(src, layer=level)
        paths[level] = _write(layer, tmp_path, fmt, stem=level)
    units = rm.read_units(paths, levels=["province", "city", "district"])
    frame = units.frame
    assert frame.groupby("level").size().to_dict() == {"province": 1, "city": 11, "district": 90}
    assert units.parent("330602") == "330600"
    assert units.name_of("330602") == "越城区"


def test_read_rivers_generated_ids_are_stable(demo_rivers_raw, tmp_path):
    path = _write(demo_rivers_raw, tmp_path, "gpkg")
    a, b = rm.read_rivers(path), rm.read_rivers(path)
    assert a["river_id"].tolist() == b["river_id"].tolist()
    assert a["river_id"].iloc[0] == "R00001"


def test_read_rivers_from_geodataframe_does_not_modify_input(demo_rivers_raw):
    before = demo_rivers_raw.copy()
    rm.read_rivers(demo_rivers_raw, merge_by="name")
    pd.testing.assert_frame_equal(pd.DataFrame(before), pd.DataFrame(demo_rivers_raw))


def test_merge_by_name_joins_connected_arcs_and_orders_gaps():
    a = LineString([(0, 0), (1, 0)])
    b = LineString([(1, 0), (2, 0)])
    far = LineString([(5, 0), (6, 0)])
    gdf = gpd.GeoDataFrame(
        {"name": ["甲河", "甲河", "甲河", None]},
        geometry=[b, far, a, LineString([(0, 5), (1, 5)])],
        crs=4549,
    )
    rivers = rm.read_rivers(gdf, merge_by="name")
    jia = rivers.set_index("river_id").loc["甲河"]
    assert jia.geometry.geom_type == "MultiLineString"
    parts = list(jia.geometry.geoms)
    # The connected arcs become one line, and parts follow each other along the river.
    assert [p.length for p in parts] == [2.0, 1.0]
    assert parts[0].coords[-1] == (2.0, 0.0)
    assert parts[1].coords[0] == (5.0, 0.0)
    assert jia.n_features == 3
    assert len(rivers) == 2  # the unnamed feature stays on its own


def test_multilinestring_parts_that_join_are_merged():
    geom = MultiLineString([[(0, 0), (1, 0)], [(1, 0), (1, 1)]])
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[geom], crs=4549)
    out = rm.read_rivers(gdf)
    assert out.geometry.iloc[0].geom_type == "LineString"
    assert out.geometry.iloc[0].length == pytest.approx(2.0)


def test_z_and_m_are_dropped():
    gdf = gpd.GeoDataFrame({"name": ["z"]}, geometry=[LineString([(0, 0, 5), (1, 1, 6)])], crs=4549)
    out = rm.read_rivers(gdf)
    assert not out.has_z.any()


# ------------------------------------------------------------------ encodings
def _gbk_shapefile(tmp_path: Path) -> Path:
    gdf = gpd.GeoDataFrame(
        {"名称": ["曹娥江", "若耶溪"], "code": ["A", "B"]},
        geometry=[
            LineString([(120.5, 30.0), (120.6, 30.1)]),
            LineString([(120.55, 29.9), (120.58, 30.0)]),
        ],
        crs=4326,
    )
    path = tmp_path / "gbk.shp"
    gdf.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def test_gbk_shapefile_without_cpg_is_detected(tmp_path):
    path = _gbk_shapefile(tmp_path)
    assert not path.with_suffix(".cpg").exists()
    assert detect_encoding(path) == "GB18030"
    with pytest.warns(rm.RivermapWarning, match="GB18030"):
        rivers = rm.read_rivers(path, id_col="code")
    assert rivers["name"].tolist() == ["曹娥江", "若耶溪"]


def test_encoding_argument_overrides_detection(tmp_path):
    path = _gbk_shapefile(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rivers = rm.read_rivers(path, id_col="code", encoding="gbk")
    assert rivers["name"].iloc[0] == "曹娥江"


def test_utf8_shapefile_without_cpg_is_detected(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["鉴湖"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326)
    path = tmp_path / "utf8.shp"
    gdf.to_file(path, encoding="UTF-8", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert detect_encoding(path) == "UTF-8"
    with pytest.warns(rm.RivermapWarning, match="UTF-8"):
        assert rm.read_rivers(path)["name"].iloc[0] == "鉴湖"


def test_shapefile_with_cpg_needs_no_detection(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["鉴湖"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326)
    path = tmp_path / "cpg.shp"
    gdf.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").write_text("GBK")
    assert detect_encoding(path) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rm.read_rivers(path)["name"].iloc[0] == "鉴湖"


def test_unknown_encoding_is_a_data_error(tmp_path):
    path = _gbk_shapefile(tmp_path)
    with pytest.raises(rm.DataError, match="gbk.shp"):
        rm.read_rivers(path, encoding="no-such-encoding")


def test_read_table_gbk_and_utf8(tmp_path):
    df = pd.DataFrame({"单位": ["越城区"], "姓名": ["越城区河长"]})
    gbk, utf = tmp_path / "gbk.csv", tmp_path / "utf.csv"
    gbk.write_bytes(df.to_csv(index=False).encode("gbk"))
    utf.write_bytes(df.to_csv(index=False).encode("utf-8-sig"))
    for p in (gbk, utf):
        assert read_table(p).to_dict("records") == [{"单位": "越城区", "姓名": "越城区河长"}]


# ------------------------------------------------------------------ bad input
@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_missing_crs_names_the_file(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(0, 0), (1, 1)])])
    path = tmp_path / "nocrs.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    # GeoJSON implies WGS84, so strip it via a shapefile without .prj instead.
    shp = tmp_path / "nocrs.shp"
    gdf.to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink(missing_ok=True)
    with pytest.raises(rm.CRSError, match=r"nocrs\.shp.*crs="):
        rm.read_rivers(shp)
    out = rm.read_rivers(shp, crs="EPSG:4549")
    assert out.crs.to_epsg() == 4549


def test_crs_argument_overriding_the_file_warns(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326)
    with pytest.warns(rm.RivermapWarning, match="EPSG:4549"):
        out = rm.read_rivers(gdf, crs="EPSG:4549")
    assert out.crs.to_epsg() == 4549


def test_unknown_crs_is_a_crs_error():
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(0, 0), (1, 1)])])
    with pytest.raises(rm.CRSError, match="not-a-crs"):
        rm.read_rivers(gdf, crs="not-a-crs")


def test_duplicate_ids_are_listed():
    gdf = gpd.GeoDataFrame(
        {"rid": ["a", "b", "a", "c", "c"], "name": list("vwxyz")},
        geometry=[LineString([(i, 0), (i, 1)]) for i in range(5)],
        crs=4549,
    )
    with pytest.raises(rm.SchemaError, match=r"duplicate ids in column 'rid': 'a', 'c'"):
        rm.read_rivers(gdf, id_col="rid")


def test_missing_id_values_are_listed():
    gdf = gpd.GeoDataFrame(
        {"rid": ["a", None]}, geometry=[LineString([(0, 0), (1, 1)])] * 2, crs=4549
    )
    with pytest.raises(rm.SchemaError, match="empty for 1"):
        rm.read_rivers(gdf, id_col="rid")


@pytest.mark.parametrize(
    ("geom", "found"),
    [(Point(0, 0), "Point"), (Polygon([(0, 0), (1, 0), (1, 1)]), "Polygon")],
)
def test_wrong_geometry_type_for_rivers(geom, found, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"rid": ["ok", "bad"]}, geometry=[LineString([(0, 0), (1, 1)]), geom], crs=4549
    )
    path = tmp_path / "mixed.gpkg"
    gdf.to_file(path, engine="pyogrio")
    with pytest.raises(rm.SchemaError, match=rf"mixed\.gpkg.*found {found}.*'bad'"):
        rm.read_rivers(path, id_col="rid")


def test_lines_as_units_are_a_schema_error():
    gdf = gpd.GeoDataFrame(
        {"unit_id": ["x"], "name": ["x"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4549
    )
    with pytest.raises(rm.SchemaError, match="Polygon or MultiPolygon.*'x'"):
        rm.read_units({"district": gdf}, levels=["district"])


def test_empty_and_null_geometries_are_dropped_with_one_warning():
    gdf = gpd.GeoDataFrame(
        {"rid": ["ok", "empty", "null", "zero"]},
        geometry=[LineString([(0, 0), (1, 1)]), LineString(), None, LineString([(2, 2), (2, 2)])],
        crs=4549,
    )
    with pytest.warns(rm.RivermapWarning, match=r"dropped 3 .*'empty', 'null', 'zero'") as rec:
        out = rm.read_rivers(gdf, id_col="rid")
    assert len(rec) == 1
    assert out["river_id"].tolist() == ["ok"]


def test_invalid_polygons_are_repaired_with_a_warning():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    good = Polygon([(3, 0), (4, 0), (4, 1), (3, 1)])
    gdf = gpd.GeoDataFrame(
        {"unit_id": ["bow", "good"], "name": ["a", "b"]}, geometry=[bowtie, good], crs=4549
    )
    with pytest.warns(rm.RivermapWarning, match=r"repaired 1 invalid .*'bow'"):
        units = rm.read_units({"district": gdf}, levels=["district"])
    geoms = units.frame.set_index("unit_id").geometry
    assert geoms["bow"].is_valid
    assert geoms["bow"].area == pytest.approx(2.0)
    assert gdf.geometry.iloc[0].equals(bowtie)  # the input is not modified


def test_missing_file_and_layer(tmp_path):
    with pytest.raises(rm.DataError, match="no such file"):
        rm.read_rivers(tmp_path / "nope.gpkg")
    with pytest.raises(rm.DataError, match=r"no layer 'waterways'.*'rivers'"):
        rm.read_rivers(rm.datasets.get_path("zhejiang"), layer="waterways")


def test_unreadable_file_is_a_data_error(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    with pytest.raises(rm.DataError, match=r"broken\.gpkg"):
        rm.read_rivers(path)
    pq = tmp_path / "broken.parquet"
    pq.write_bytes(b"nope")
    with pytest.raises(rm.DataError, match=r"broken\.parquet"):
        rm.read_rivers(pq)


def test_unknown_column_lists_the_columns(demo_rivers_raw):
    with pytest.raises(rm.SchemaError, match=r"no name column 'river'.*'GBCODE'"):
        rm.read_rivers(demo_rivers_raw, name_col="river")


# ------------------------------------------------------------------- units
def test_units_one_layer_with_level_and_parent_columns(tiny_units):
    frame = tiny_units.frame.rename(columns={"unit_id": "code", "parent_id": "up"})
    frame["kind"] = frame.pop("level")
    units = rm.read_units(
        frame, levels=["district", "street"], level_col="kind", id_cols="code", parent="up"
    )
    assert units.parent("330602002") == "330602"
    assert units.children("330603") == ["330603001", "330603002"]


def test_units_one_layer_with_osm_admin_levels():
    _, units = rm.datasets.load("liechtenstein")
    assert units.levels == ("country", "wahlkreis", "gemeinde")
    assert len(units.at_level("gemeinde")) == 11
    # Gemeinden of the Unterland, by containment (OSM ids are not admin codes).
    unterland = units.frame.set_index("name").loc["Wahlkreis Unterland", "unit_id"]
    names = set(units.frame.set_index("unit_id").loc[units.children(unterland), "name"])
    assert names == {"Eschen", "Gamprin", "Mauren", "Ruggell", "Schellenberg"}


def test_ids_shared_across_levels_are_qualified():
    box = shapely.box
    province = gpd.GeoDataFrame(
        {"unit_id": ["110000"], "name": ["北京市"]}, geometry=[box(0, 0, 2, 2)], crs=4549
    )
    city = gpd.GeoDataFrame(
        {"unit_id": ["110000"], "name": ["北京市"]}, geometry=[box(0, 0, 2, 2)], crs=4549
    )
    district = gpd.GeoDataFrame(
        {"unit_id": ["110101", "110102"], "name": ["东城区", "西城区"]},
        geometry=[box(0, 0, 1, 2), box(1, 0, 2, 2)],
        crs=4549,
    )
    with pytest.warns(rm.RivermapWarning, match="110000"):
        units = rm.read_units(
            {"province": province, "city": city, "district": district},
            levels=["province", "city", "district"],
        )
    assert units.parent("110101") == "110000@city"
    assert units.parent("110000@city") == "110000"


def test_read_units_gcj02_matches_tianditu(shared_data):
    """DataV's GCJ-02 Shaoxing districts move onto the 天地图 (WGS84) ones."""
    path = shared_data / "shaoxing_datav" / "330600_full.json"
    raw = rm.read_units({"district": path}, levels=["district"], id_cols="adcode")
    fixed = rm.read_units({"district": path}, levels=["district"], id_cols="adcode", crs="GCJ-02")
    _, demo = rm.datasets.load_demo()
    truth = demo.at_level("district").set_index("unit_id").to_crs(4549)

    def mean_displacement_m(units: rm.AdminUnits) -> float:
        """Median over districts of (symmetric difference area / perimeter)."""
        f = units.frame.set_index("unit_id").to_crs(4549)
        common = f.index.intersection(truth.index)
        assert len(common) == 6
        moved = f.loc[common].symmetric_difference(truth.loc[common]).area
        return float((moved / truth.loc[common].length).median())

    # GCJ-02 is several hundred metres off; what remains after the conversion is
    # DataV's generalisation and boundary changes since 2021 (越城区 491 vs 533 km²).
    assert mean_displacement_m(raw) > 300
    assert mean_displacement_m(fixed) < 0.6 * mean_displacement_m(raw)


# ------------------------------------------------------------------ output
def test_atomic_output_refuses_to_overwrite_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "out.txt"
    with atomic_output(out) as tmp:
        tmp.write_text("first")
    with pytest.raises(rm.OutputExistsError, match="overwrite"), atomic_output(out) as tmp:
        tmp.write_text("second")
    assert out.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_output(out, overwrite=True) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert out.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_write_tables_xlsx_cells_keep_their_type_and_text_stays_text(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x","y")', "https://example.org", None],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "km": [1.5, np.nan, 2.0],
            "ok": [True, False, True],
            "at": pd.to_datetime(["2026-11-01 08:00", None, "2026-11-03 00:00"]).tz_localize(
                "Asia/Shanghai"
            ),
            "mixed": [dt.date(2026, 11, 5), 7, "文本"],
        }
    )
    out = rm.io.write_tables({"表": frame}, tmp_path / "t.xlsx", headers={"name": "名称"})
    sheet = openpyxl.load_workbook(out)["表"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["名称", "count", "km", "ok", "at", "mixed"]
    assert rows[1][:4] == ['=HYPERLINK("http://x","y")', 1, 1.5, True]
    assert sheet["A2"].data_type == "s"  # text, not a formula
    assert sheet["A2"].quotePrefix  # and stays text when the cell is edited
    assert not sheet["A3"].quotePrefix
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert rows[2][:4] == ["https://example.org", None, None, False]
    assert rows[3][0] is None
    assert rows[1][4] == dt.datetime(2026, 11, 1, 8, 0)
    assert rows[2][4] is None
    assert rows[1][5] == dt.datetime(2026, 11, 5)
    assert rows[2][5] == 7
    assert rows[3][5] == "文本"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold


def test_write_tables_refuses_a_sheet_longer_than_excel_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rm.io, "EXCEL_ROWS", 3)
    frame = pd.DataFrame({"a": [1, 2, 3]})
    with pytest.raises(rm.DataError, match=r"t\.xlsx.*'big'.*\.csv"):
        rm.io.write_tables({"small": frame.head(1), "big": frame}, tmp_path / "t.xlsx")
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------- coordinate sanity
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("vertex", [0, 2, -1])
def test_non_finite_vertex_is_a_data_error_naming_the_river(bad, vertex, tmp_path):
    coords = np.array([[120.0, 30.0], [120.1, 30.1], [120.2, 30.0]])
    coords[vertex, 1] = bad
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        line = LineString(coords)
    gdf = gpd.GeoDataFrame(
        {"rid": ["ok", "bad"]}, geometry=[LineString([(120, 30), (121, 31)]), line], crs=4326
    )
    path = _write(gdf, tmp_path, "gpkg")
    with pytest.raises(
        rm.DataError, match=r"data\.gpkg: 1 feature\(s\) have a NaN or infinite.*'bad'"
    ):
        rm.read_rivers(path, id_col="rid")


def test_non_finite_unit_vertex_names_the_unit():
    ring = [(0, 0), (1, 0), (1, np.nan), (0, 1), (0, 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        polygon = Polygon(ring)
    gdf = gpd.GeoDataFrame({"unit_id": ["u1"], "name": ["a"]}, geometry=[polygon], crs=4549)
    with pytest.raises(rm.DataError, match=r"NaN or infinite coordinate: ids 'u1'"):
        rm.read_units({"district": gdf}, levels=["district"])


@pytest.mark.parametrize(
    ("transform", "hint"),
    [
        (
            lambda g: g.map_affine if False else shapely.transform(g, lambda c: c[:, ::-1]),
            "swapped",
        ),
        (lambda g: shapely.transform(g, lambda c: c * 1e5), "look like metres"),
    ],
    ids=["lat-lon", "metres"],
)
def test_out_of_range_degrees_say_the_likely_cause(transform, hint, demo_rivers_raw):
    gdf = demo_rivers_raw.head(3).copy()
    gdf.geometry = transform(gdf.geometry.to_numpy())
    with pytest.raises(rm.CRSError, match=rf"3 feature\(s\) lie outside longitude.*{hint}"):
        rm.read_rivers(gdf)


def test_latitude_95_is_named_and_projected_crs_is_not_range_checked():
    line = LineString([(120.0, 30.0), (120.0, 95.0)])
    with pytest.raises(rm.CRSError, match=r"ids 'R00001'"):
        rm.read_rivers(gpd.GeoDataFrame(geometry=[line], crs=4326))
    far = LineString([(500_000.0, 3_300_000.0), (500_100.0, 3_300_100.0)])
    assert len(rm.read_rivers(gpd.GeoDataFrame(geometry=[far], crs=4549))) == 1


# ------------------------------------------------------ missing or wrong parts
def test_shapefile_without_dbf_is_an_error_not_nameless_rivers(demo_rivers_raw, tmp_path):
    path = _write(demo_rivers_raw.head(3), tmp_path, "shp", stem="r")
    (tmp_path / "r.dbf").unlink()
    with pytest.raises(
        rm.DataError, match=r"r\.shp: the shapefile's attribute table r\.dbf is missing"
    ):
        rm.read_rivers(path)


def test_shapefile_without_prj_says_so(demo_rivers_raw, tmp_path):
    path = _write(demo_rivers_raw.head(3), tmp_path, "shp", stem="r")
    (tmp_path / "r.prj").unlink()
    with pytest.raises(
        rm.CRSError, match=r"r\.shp \(its \.prj file is missing\) has no coordinate"
    ):
        rm.read_rivers(path)
    assert len(rm.read_rivers(path, crs="EPSG:4326")) == 3


def test_table_without_geometry_is_not_rivers(tmp_path):
    path = tmp_path / "rivers.csv"
    path.write_text("name,length\n钱塘江,600\n", encoding="utf-8")
    with pytest.raises(rm.SchemaError, match=r"rivers\.csv: has no geometry"):
        rm.read_rivers(path)


def test_no_river_left_and_a_level_without_units_are_errors(tmp_path):
    empty = gpd.GeoDataFrame({"rid": ["a"]}, geometry=[LineString()], crs=4549)
    with pytest.warns(rm.RivermapWarning), pytest.raises(rm.SchemaError, match="all 1 feature"):
        rm.read_rivers(empty, id_col="rid")
    units = gpd.GeoDataFrame(
        {"unit_id": ["a"], "name": ["A"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs=4549
    )
    none = units.iloc[:0]
    with pytest.raises(rm.SchemaError, match=r"level 'street' has no units"):
        rm.read_units({"district": units, "street": none}, levels=["district", "street"])


def test_a_line_layer_among_auto_detected_levels_is_named_in_a_warning(tmp_path):
    src = rm.datasets.get_path("zhejiang")
    path = tmp_path / "mixed.gpkg"
    for layer in ("rivers", "province", "city", "district"):
        gdf = gpd.read_file(src, layer=layer)
        if layer == "city":
            gdf.geometry = gdf.geometry.boundary
        gdf.to_file(path, layer=layer)
    spec = pipeline.Inputs(
        rivers=pipeline.RiverInput(path, merge_by="name"), units=pipeline.UnitInput(path)
    )
    with pytest.warns(rm.RivermapWarning, match=r"'city \(MultiLineString\)' are not polygons"):
        _, units = pipeline.read_inputs(spec)
    assert units.levels == ("province", "district")
    # the rivers' own layer is no news; another file's is named
    other = pipeline.Inputs(
        rivers=pipeline.RiverInput(src, merge_by="name"), units=pipeline.UnitInput(path)
    )
    with pytest.warns(rm.RivermapWarning, match=r"'rivers \(LineString\)', 'city"):
        pipeline.read_inputs(other)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "the file is empty"),
        (b"name,unit\nA,B\n", "not an XLSX workbook (no zip archive inside)"),
        (b"PK\x03\x04broken", "not a readable XLSX workbook"),
    ],
    ids=["zero-bytes", "csv-renamed", "broken-zip"],
)
def test_unreadable_workbooks_are_data_errors(content, words, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(content)
    with pytest.raises(rm.DataError, match=rf"roster\.xlsx: {re.escape(words)}"):
        read_table(path)


HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx", "a=b", "钱塘江"]


def test_csv_text_that_starts_like_a_formula_is_quoted_and_reads_back(tmp_path):
    frame = pd.DataFrame({"name": HOSTILE, "dz": [-1.5] * len(HOSTILE), "=head": ["v"] * 8})
    out = rm.io.write_tables(frame, tmp_path / "t.csv")
    raw = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert raw["name"].tolist() == ["'" + v for v in HOSTILE[:6]] + HOSTILE[6:]
    assert raw["dz"].tolist() == ["-1.5"] * 8  # numbers are numbers, not text
    assert list(raw.columns)[2] == "'=head"
    back = read_table(out)
    assert back["name"].tolist() == HOSTILE
    assert list(back.columns) == ["name", "dz", "=head"]
