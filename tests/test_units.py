"""AdminUnits: hierarchy from codes and containment, topology checks."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import affinity, box

import rivermap as rm
from rivermap.units import AdminUnits, code_key, parents_from_codes
from tests.conftest import tiny_units_frame

LEVELS = ["province", "city", "district"]


def test_code_and_containment_hierarchies_agree_on_the_demo():
    path = rm.datasets.get_path("zhejiang")
    by_code = rm.read_units(path, levels=LEVELS, parent="codes")
    by_area = rm.read_units(path, levels=LEVELS, parent="containment")
    a = by_code.frame.set_index("unit_id")["parent_id"]
    b = by_area.frame.set_index("unit_id")["parent_id"]
    pd.testing.assert_series_equal(a, b)
    assert a.notna().sum() == 101  # 11 cities + 90 districts have a parent
    assert set(by_code.children("330600")) == {
        "330602",
        "330603",
        "330604",
        "330624",
        "330681",
        "330683",
    }


def test_auto_parent_uses_containment_when_codes_do_not_nest():
    _, units = rm.datasets.load("liechtenstein")
    assert all(units.parent(u) is not None for u in units.at_level("gemeinde")["unit_id"])
    assert units.validate().empty


def test_codes_parent_raises_for_codes_that_do_not_nest():
    frame = tiny_units_frame()
    frame.loc[frame["unit_id"] == "330603002", "unit_id"] = "999999002"
    districts = frame[frame.level == "district"]
    streets = frame[frame.level == "street"]
    with pytest.raises(rm.TopologyError, match="999999002"):
        rm.read_units(
            {"district": districts, "street": streets},
            levels=["district", "street"],
            parent="codes",
        )


def test_code_key_and_prefix_matching():
    assert code_key("330602001000") == "330602001"
    assert code_key("330602001001") == "330602001001"
    assert code_key("3306") is None
    assert parents_from_codes(["330602001", "330603007"], ["330602", "330603"]) == [
        "330602",
        "330603",
    ]


def test_hierarchy_navigation(tiny_units):
    assert tiny_units.levels == ("district", "street")
    assert tiny_units.parent("330602001") == "330602"
    assert tiny_units.parent("330602") is None
    assert tiny_units.children("330602") == ["330602001", "330602002"]
    assert tiny_units.ancestors("330603002") == ["330603"]
    assert tiny_units.lca(["330602001", "330602002"]) == "330602"
    assert tiny_units.lca(["330602001", "330603001"]) is None
    assert tiny_units.lca(["330602001"]) == "330602001"
    table = tiny_units.ancestor_table()
    assert table.loc["330603001"].tolist() == ["330603", "330603001"]
    assert table.loc["330603"].tolist() == ["330603", None]
    with pytest.raises(KeyError, match="nope"):
        tiny_units.parent("nope")


def test_lca_on_the_demo():
    _, units = rm.datasets.load_demo()
    assert units.lca(["330602", "330681"]) == "330600"
    assert units.lca(["330602", "330106"]) == "330000"
    assert units.level_of(units.lca(["330602", "330106"])) == "province"


def test_tiny_units_are_clean(tiny_units):
    assert tiny_units.validate().empty


def _units_from(frame: gpd.GeoDataFrame) -> rm.AdminUnits:
    return rm.AdminUnits(frame, ["district", "street"])


def test_validate_finds_planted_overlap_gap_and_misplaced_child():
    frame = tiny_units_frame()
    geoms = frame.set_index("unit_id").geometry
    x0, y0 = 540_000.0, 3_320_000.0
    # 府山街道 grows 100 m north into 塔山街道: a 2000 m × 100 m overlap.
    frame.loc[frame.unit_id == "330602001", "geometry"] = box(x0, y0, x0 + 2000, y0 + 1100)
    # 华舍街道 shrinks 200 m from the north: a 2000 m × 200 m gap in 柯桥区.
    frame.loc[frame.unit_id == "330603002", "geometry"] = box(
        x0 + 2000, y0 + 1000, x0 + 4000, y0 + 1800
    )
    # 柯桥街道 slides 500 m east, a quarter of it now outside 柯桥区.
    frame.loc[frame.unit_id == "330603001", "geometry"] = affinity.translate(
        geoms["330603001"], xoff=500
    )
    report = _units_from(frame).validate()
    by = dict(list(report.groupby("problem")))
    assert set(by) == {"overlap", "gap", "outside_parent"}

    overlap = by["overlap"].iloc[0]
    assert {overlap.unit_id, overlap.other_id} == {"330602001", "330602002"}
    assert overlap.area_m2 == pytest.approx(2000 * 100)

    gap = by["gap"].set_index("unit_id")
    # 柯桥区 loses the 200 m strip and the 500 m strip left by the slid street.
    assert gap.loc["330603", "area_m2"] == pytest.approx(2000 * 200 + 500 * 1000)
    outside = by["outside_parent"].iloc[0]
    assert outside.unit_id == "330603001"
    assert outside.area_m2 == pytest.approx(500 * 1000)
    assert outside.share == pytest.approx(0.25)


def test_validate_ignores_digitising_noise():
    frame = tiny_units_frame()
    x0, y0 = 540_000.0, 3_320_000.0
    # A 1 m wobble: 2000 m² of overlap, below the 1 ha default.
    frame.loc[frame.unit_id == "330602001", "geometry"] = box(x0, y0, x0 + 2000, y0 + 1001)
    assert _units_from(frame).validate().empty
    assert not _units_from(frame).validate(min_area_m2=100).empty


def test_validate_finds_duplicates_orphans_and_code_mismatch():
    frame = tiny_units_frame()
    dup = frame[frame.unit_id == "330602001"].copy()
    orphan = frame[frame.unit_id == "330603002"].copy()
    orphan["unit_id"] = "330603003"
    orphan["parent_id"] = "330699"
    frame = pd.concat([frame, dup, orphan], ignore_index=True)
    # A street whose code says 越城区 but which lies in 柯桥区.
    frame.loc[frame.unit_id == "330603002", "parent_id"] = "330603"
    frame.loc[frame.unit_id == "330603002", "unit_id"] = "330602009"
    report = _units_from(gpd.GeoDataFrame(frame, crs=4549)).validate()
    problems = set(zip(report.problem, report.unit_id, strict=True))
    assert ("duplicate_id", "330602001") in problems
    assert ("orphan", "330603003") in problems
    assert ("code_mismatch", "330602009") in problems


def test_validate_reports_every_problem_at_once():
    frame = tiny_units_frame()
    frame.loc[frame.unit_id == "330602001", "parent_id"] = "nowhere"
    frame.loc[frame.unit_id == "330603001", "parent_id"] = None
    report = _units_from(frame).validate()
    assert sorted(report.loc[report.problem == "orphan", "unit_id"]) == ["330602001", "330603001"]


def test_require_consistent_raises_with_ids(tiny_units):
    tiny_units.require_consistent()
    frame = tiny_units_frame()
    frame = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)
    with pytest.raises(rm.SchemaError, match="duplicate unit_id '330602001'"):
        _units_from(gpd.GeoDataFrame(frame, crs=4549)).require_consistent()
    frame = tiny_units_frame()
    frame.loc[frame.unit_id == "330602001", "parent_id"] = "330699"
    with pytest.raises(rm.TopologyError, match="330602001"):
        _units_from(frame).require_consistent()


def test_schema_errors_name_what_is_wrong():
    frame = tiny_units_frame()
    with pytest.raises(rm.SchemaError, match="missing column.*parent_id"):
        rm.AdminUnits(frame.drop(columns="parent_id"), ["district", "street"])
    with pytest.raises(rm.SchemaError, match="'street'.*not among"):
        rm.AdminUnits(frame, ["district"])
    with pytest.raises(rm.CRSError, match="units has no coordinate reference system"):
        rm.AdminUnits(frame.set_crs(None, allow_override=True), ["district", "street"])
    with pytest.raises(TypeError, match="GeoDataFrame"):
        rm.AdminUnits(pd.DataFrame(frame), ["district", "street"])


def test_to_crs_keeps_the_hierarchy(tiny_units):
    wgs = tiny_units.to_crs(4326)
    assert wgs.crs.to_epsg() == 4326
    assert wgs.children("330602") == tiny_units.children("330602")
    assert wgs.validate().empty


def test_exclave_is_one_unit():
    _, units = rm.datasets.load("liechtenstein")
    frame = units.frame
    multi = frame[frame.geometry.geom_type == "MultiPolygon"]
    parts = multi.geometry.apply(lambda g: len(g.geoms))
    assert (parts > 1).any()  # some Gemeinden have exclaves
    assert frame["unit_id"].is_unique


def test_no_units_give_empty_codes_and_depths() -> None:
    frame = gpd.GeoDataFrame(
        {"unit_id": [], "name": [], "level": [], "parent_id": []}, geometry=[], crs=4326
    )
    units = AdminUnits(frame, ("district",))
    order, anc = units.ancestor_codes()
    assert order.shape == (0,)
    assert anc.shape == (0, 1)
    assert units.depths().shape == (0,)
