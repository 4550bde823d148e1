"""Flags: hand-built rivers with known answers, the Zhejiang demo and Liechtenstein."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import LineString, box

import rivermap as rm
from rivermap.errors import OutputExistsError
from rivermap.flags import FLAG_COLUMNS, REASONS, flags, write_flags
from rivermap.text import level_label, reason_labels
from rivermap.units import AdminUnits

CRS = "EPSG:4549"  # CGCS2000 GK CM 120E, metres
X0, Y0 = 500_000.0, 3_300_000.0


def b(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(*xy: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def strip_units() -> AdminUnits:
    """City C > districts A (x 0-7000), S (x 7000-7500), B (x 7500-10000); y 0-2000.

    A second city D (x 10000-12000) holds one district E, so C and D share only
    the province P above them.
    """
    rows = [
        ("P", "province", None, b(0, 0, 12000, 2000)),
        ("C", "city", "P", b(0, 0, 10000, 2000)),
        ("D", "city", "P", b(10000, 0, 12000, 2000)),
        ("A", "district", "C", b(0, 0, 7000, 2000)),
        ("S", "district", "C", b(7000, 0, 7500, 2000)),
        ("B", "district", "C", b(7500, 0, 10000, 2000)),
        ("E", "district", "D", b(10000, 0, 12000, 2000)),
    ]
    frame = gpd.GeoDataFrame(
        {
            "unit_id": [r[0] for r in rows],
            "name": [f"{r[0]}区" for r in rows],
            "level": [r[1] for r in rows],
            "parent_id": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=CRS,
    )
    return AdminUnits(frame, ("province", "city", "district"))


def rivers_of(geoms: dict[str, shapely.Geometry], crs: str = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"river_id": list(geoms), "name": [f"{k}河" for k in geoms]},
        geometry=list(geoms.values()),
        crs=crs,
    )


#: 70% in A, 5% in S, 25% in B: a 10 km river straight across the city.
THROUGH = line((0, 1000), (10000, 1000))
#: Along the A|S boundary (x = 7000), zigzagging within 5 m of it.
ALONG = line((7005, 100), (6995, 700), (7005, 1300), (6995, 1900))
#: From A into S and back into A.
LOOP = line((5000, 500), (7300, 500), (7300, 1500), (5000, 1500))
#: Inside A only.
INSIDE = line((1000, 200), (3000, 300))


@pytest.fixture(scope="module")
def resp() -> rm.Responsibility:
    rivers = rivers_of({"through": THROUGH, "along": ALONG, "loop": LOOP, "inside": INSIDE})
    return rm.assign(rivers, strip_units())


def row(table: pd.DataFrame, river_id: str, level: str = "district") -> pd.Series:
    sel = table[(table["river_id"] == river_id) & (table["level"] == level)]
    assert len(sel) == 1, f"{river_id} at {level}: {len(sel)} rows"
    return sel.iloc[0]


# ----------------------------------------------------------------- hand-built
def test_shares_70_25_5(resp: rm.Responsibility) -> None:
    table = flags(resp, "district", min_share=0.1)
    r = row(table, "through")
    assert r["units"] == "A;S;B"
    assert r["unit_names"] == "A区;S区;B区"
    assert r["shares"] == "0.700;0.050;0.250"
    assert r["lengths_m"] == "7000.0;500.0;2500.0"
    assert r["handovers"] == 2
    assert r["n_units"] == 3
    assert r["lead_unit"] == "A"
    assert r["lead_share"] == pytest.approx(0.7)
    # A and B significant at 0.1; S (5%) is a sliver
    assert r["reasons"] == "crosses,slivers"
    assert r["n_slivers"] == 1
    assert r["sliver_m"] == pytest.approx(500.0)
    # the proposal (policy majority): S goes to A, one cut at 7.5 km
    assert r["reassign"] == "7000.0-7500.0:A"
    assert r["split_at_m"] == "7500.0"
    assert r["n_segments"] == 2
    assert r["parent_unit"] == "C"
    assert "S区" in r["proposal"]
    assert "A区" in r["proposal"]
    assert "划归A区" in r["proposal_zh"]
    # severity = 10 * 0.3 (held by others) + 5 * 0 + 2 handovers
    assert r["severity"] == pytest.approx(5.0)


def test_min_share_decides_what_is_significant(resp: rm.Responsibility) -> None:
    low = row(flags(resp, "district", min_share=0.04), "through")
    assert low["reasons"] == "crosses"  # S at 5% is now significant
    assert low["reassign"] == ""
    assert low["split_at_m"] == "7000.0;7500.0"
    high = row(flags(resp, "district", min_share=0.3), "through")
    assert high["reasons"] == "slivers"  # only the lead unit is significant
    assert high["n_slivers"] == 2
    assert high["reassign"] == "7000.0-10000.0:A"
    # min_length_m: 500 m is too short to be significant even at a low share
    long_only = row(flags(resp, "district", min_share=0.01, min_length_m=600), "through")
    assert long_only["reasons"] == "crosses,slivers"


def test_boundary(resp: rm.Responsibility) -> None:
    table = flags(resp, "district")
    r = row(table, "along")
    assert "boundary" in r["reasons"].split(",")
    assert r["boundary_m"] == pytest.approx(shapely.length(ALONG), rel=1e-6)
    assert set(r["units"].split(";")) == {"A", "S"}
    # both banks credited half
    assert [float(s) for s in r["shares"].split(";")] == pytest.approx([0.5, 0.5], abs=1e-3)
    assert "界河" in r["proposal_zh"]
    # at city level both banks are in C: nothing to flag
    assert not ((table["river_id"] == "along") & (table["level"] == "city")).any()
    assert flags(resp, "city")["river_id"].tolist() == []


def test_reenters(resp: rm.Responsibility) -> None:
    r = row(flags(resp, "district"), "loop")
    assert r["units"] == "A;S"
    assert r["handovers"] == 2
    assert r["reasons"] == "crosses,reenters"
    # 1600 m of 5600 m in S
    assert r["lengths_m"] == "4000.0;1600.0"
    assert r["split_at_m"] == "2000.0;3600.0"


def test_river_inside_one_unit_is_not_flagged(resp: rm.Responsibility) -> None:
    table = flags(resp)
    assert "inside" not in set(table["river_id"])
    assert set(table["level"]) == {"district"}


def test_columns_types_and_order(resp: rm.Responsibility) -> None:
    table = flags(resp)
    assert tuple(table.columns) == FLAG_COLUMNS
    assert (np.diff(table["severity"].to_numpy()) <= 0).all()
    for col in ("river_id", "name", "level", "units", "shares", "reasons", "proposal"):
        assert table[col].map(type).eq(str).all(), col
    assert table["handovers"].dtype == np.int64
    for reasons in table["reasons"]:
        parts = reasons.split(",")
        assert parts == [r for r in REASONS if r in parts]
    # deterministic
    pd.testing.assert_frame_equal(table, flags(resp))


def test_empty_result_keeps_columns() -> None:
    rivers = rivers_of({"inside": INSIDE})
    table = rm.assign(rivers, strip_units()).flags()
    assert table.empty
    assert tuple(table.columns) == FLAG_COLUMNS


def test_method_and_function_agree(resp: rm.Responsibility) -> None:
    pd.testing.assert_frame_equal(
        resp.flags("district", min_share=0.1), flags(resp, "district", min_share=0.1)
    )


def test_bad_arguments(resp: rm.Responsibility) -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        flags(resp, "street")
    with pytest.raises(ValueError, match="min_share"):
        flags(resp, min_share=1.5)
    with pytest.raises(ValueError, match="min_length_m"):
        flags(resp, min_length_m=-1)
    with pytest.raises(TypeError, match="min_share"):
        flags(resp, min_share="0.1")  # type: ignore[arg-type]


def test_same_answer_in_lonlat(resp: rm.Responsibility) -> None:
    rivers = rivers_of({"through": THROUGH, "loop": LOOP}).to_crs(4490)
    units = strip_units()
    lonlat = rm.assign(rivers, units)
    r = row(flags(lonlat, "district", min_share=0.1), "through")
    assert r["reasons"] == "crosses,slivers"
    assert [float(s) for s in r["shares"].split(";")] == pytest.approx([0.7, 0.05, 0.25], abs=2e-3)


# ----------------------------------------------------------------- real data
def test_zhejiang_canal_and_fuchun_flagged_at_district(demo: rm.Responsibility) -> None:
    table = demo.flags("district")
    by_name = table.set_index("name")
    for name in ("京杭运河(江南运河)", "富春江"):
        assert name in by_name.index, name
        r = by_name.loc[name]
        assert "crosses" in r["reasons"].split(",")
        assert r["n_units"] >= 5
        assert r["handovers"] >= 5
        # shares are of the river's length and agree with the engine's lead share
        lead = demo.rivers.set_index("name").loc[name, "lead_share_district"]
        assert r["lead_share"] == pytest.approx(lead, abs=1e-9)
        assert max(float(s) for s in r["shares"].split(";")) == pytest.approx(lead, abs=5e-4)
        assert r["parent_unit"] == "330000"


def test_zhejiang_every_level(demo: rm.Responsibility) -> None:
    table = demo.flags()
    assert set(table["level"]) <= set(demo.levels)
    assert set(demo.flags("city")["river_id"]) == set(
        table.loc[table["level"] == "city", "river_id"]
    )
    # a river flagged at a level has more than one unit there or runs along a boundary
    for r in table.itertuples():
        assert r.n_units >= 2 or r.n_slivers > 0, r.river_id
    # lengths add up to the length held inside the units at that level
    lengths = table["lengths_m"].str.split(";").map(lambda xs: sum(float(x) for x in xs))
    river_len = table["river_id"].map(demo.rivers.set_index("river_id")["length_m"])
    assert (lengths <= river_len + 1.0).all()


def test_liechtenstein_wahlkreis_crossings() -> None:
    rivers, units = rm.datasets.load("liechtenstein")
    resp = rm.assign(rivers, units)
    table = resp.flags("wahlkreis")
    crossing = set(table.loc[table["reasons"].str.contains("crosses"), "river_id"])
    # independently: overlay the rivers with the two Wahlkreise
    crs = resp.summary["metric_crs"]
    wk = units.at_level("wahlkreis").to_crs(crs)
    ov = gpd.overlay(
        rivers.to_crs(crs)[["river_id", "geometry"]],
        wk[["unit_id", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    held = ov.assign(len=ov.length).groupby(["river_id", "unit_id"])["len"].sum().unstack()
    total = rivers.to_crs(crs).set_index("river_id").length
    share = held.div(total.reindex(held.index), axis=0)
    expected = set(held.index[((held >= 200) & (share >= 0.05)).sum(axis=1) >= 2].astype(str))
    assert expected == {"Binnenkanal", "Rhein"}
    assert crossing == expected


# -------------------------------------------------------------------- export
@pytest.mark.parametrize(("lang", "first"), [("zh", "河流编码"), ("en", "River ID")])
def test_write_csv(
    resp: rm.Responsibility, tmp_path: pytest.TempPathFactory, lang: str, first: str
) -> None:
    table = flags(resp)
    out = write_flags(table, tmp_path / "flags.csv", lang=lang)  # type: ignore[operator]
    back = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.columns[0] == first
    assert back.iloc[:, 0].tolist() == table["river_id"].tolist()
    assert len(back.columns) == len(FLAG_COLUMNS)
    with pytest.raises(OutputExistsError):
        write_flags(table, out)
    write_flags(table.head(1), out, overwrite=True)
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 1


def test_write_xlsx(demo: rm.Responsibility, tmp_path: pytest.TempPathFactory) -> None:
    table = demo.flags()
    out = write_flags(table, tmp_path / "flags.xlsx")  # type: ignore[operator]
    back = pd.read_excel(out, dtype=str)
    assert "建议" in back.columns
    assert back.shape[0] == len(table)
    assert back["河流编码"].tolist() == table["river_id"].tolist()
    # reasons and levels are written as words, the same words as on the map
    assert back["问题"].tolist() == [reason_labels(r, "zh") for r in table["reasons"]]
    assert set(back["级别"]) == {level_label(lv, "zh") for lv in table["level"]}
    with pytest.raises(rm.errors.ParameterError, match=r"\.csv or \.xlsx"):
        write_flags(table, tmp_path / "flags.txt")  # type: ignore[operator]
    with pytest.raises(ValueError, match="lang"):
        write_flags(table, tmp_path / "f2.csv", lang="fr")  # type: ignore[operator]


def test_responsibility_file_has_flags_layer(
    resp: rm.Responsibility, tmp_path: pytest.TempPathFactory
) -> None:
    out = resp.to_file(tmp_path / "resp.gpkg")  # type: ignore[operator]
    layers = {str(x) for x in pyogrio.list_layers(out)[:, 0]}
    assert "flags" in layers
    stored = pyogrio.read_dataframe(out, layer="flags", read_geometry=False)
    assert stored["river_id"].tolist() == resp.flags()["river_id"].tolist()
    assert list(stored.columns) == list(FLAG_COLUMNS)
    # and files without a flags layer still read
    old = tmp_path / "old.gpkg"  # type: ignore[operator]
    for layer in ("reaches", "rivers", "units", "metadata"):
        frame = pyogrio.read_dataframe(
            out, layer=layer, read_geometry=layer in ("reaches", "units")
        )
        pyogrio.write_dataframe(frame, old, layer=layer, driver="GPKG", promote_to_multi=True)
    again = rm.read_responsibility(old)
    pd.testing.assert_frame_equal(again.flags(), resp.flags())


def test_flags_on_a_city_are_consistent(city: rm.Responsibility) -> None:
    table = flags(city)
    assert len(table) > 100
    # every unit list, share list and length list has one entry per unit
    n = table["n_units"].to_numpy()
    for col in ("units", "unit_names", "shares", "lengths_m"):
        assert (table[col].str.count(";").to_numpy() + 1 == n).all(), col
    # the proposal's cut points are where its segments meet
    split = table[table["n_segments"] > 1]
    assert (split["split_at_m"].str.count(";") + 1 <= split["n_segments"]).all()
    assert table["proposal"].str.len().gt(0).all()
    assert table["proposal_zh"].str.endswith("。").all()
    assert table["proposal"].str[:1].str.isupper().all()
