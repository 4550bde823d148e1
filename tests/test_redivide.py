"""Plans: policies, stable ids, geometry, current segmentation, diff, edits and files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString

import rivermap as rm
from rivermap.errors import CRSError, OutputExistsError, ParameterError, SchemaError
from rivermap.redivide import SEGMENT_COLUMNS, Plan, read_plan, redivide
from rivermap.text import level_label, term
from tests.test_flags import CRS, INSIDE, LOOP, THROUGH, X0, Y0, rivers_of, strip_units


@pytest.fixture(scope="module")
def resp() -> rm.Responsibility:
    rivers = rivers_of({"through": THROUGH, "loop": LOOP, "inside": INSIDE})
    return rm.assign(rivers, strip_units())


def segs(plan: Plan, river_id: str) -> list[tuple[str, float, float, str]]:
    s = plan.segments
    s = s[s["river_id"] == river_id]
    return [(r.segment_id, round(r.from_m, 3), round(r.to_m, 3), r.unit_id) for r in s.itertuples()]


def point(x: float, y: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [X0 + x, Y0 + y]}


def collection(*features: dict[str, object], crs: str = CRS) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs}},
        "features": list(features),
    }


def feature(props: dict[str, object], geom: dict[str, object] | None = None) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": geom}


# ------------------------------------------------------------------ policies
def test_split_policy(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", policy="split", min_segment_m=200)
    assert segs(plan, "through") == [
        ("through-1", 0.0, 7000.0, "A"),
        ("through-2", 7000.0, 7500.0, "S"),
        ("through-3", 7500.0, 10000.0, "B"),
    ]
    # a stretch shorter than min_segment_m joins its longer neighbour
    coarse = redivide(resp, level="district", policy="split", min_segment_m=600)
    assert segs(coarse, "through") == [
        ("through-1", 0.0, 7500.0, "A"),
        ("through-2", 7500.0, 10000.0, "B"),
    ]
    assert segs(plan, "loop") == [
        ("loop-1", 0.0, 2000.0, "A"),
        ("loop-2", 2000.0, 3600.0, "S"),
        ("loop-3", 3600.0, 5600.0, "A"),
    ]


def test_majority_reassigns_the_sliver(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", policy="majority", min_share=0.1)
    assert segs(plan, "through") == [
        ("through-1", 0.0, 7500.0, "A"),
        ("through-2", 7500.0, 10000.0, "B"),
    ]
    seg = plan.segments.set_index("segment_id")
    assert seg.loc["through-1", "previous"] == "A;S"
    # minor shares all below min_share: the river stays whole under the lead unit
    whole = redivide(resp, level="district", policy="majority", min_share=0.3)
    assert segs(whole, "through") == [("through-1", 0.0, 10000.0, "A")]
    assert segs(whole, "loop") == [("loop-1", 0.0, 5600.0, "A")]


def test_parent_policy(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", policy="parent", min_share=0.1)
    assert segs(plan, "through") == [("through-1", 0.0, 10000.0, "C")]
    assert segs(plan, "inside") == [("inside-1", 0.0, round(INSIDE.length, 3), "A")]
    seg = plan.segments.set_index("segment_id")
    assert seg.loc["through-1", "unit_level"] == "city"
    assert seg.loc["inside-1", "unit_level"] == "district"


def test_every_segment_has_one_unit_and_tiles_the_covered_river(
    demo: rm.Responsibility,
) -> None:
    for policy in ("split", "majority", "parent"):
        plan = redivide(demo, level="district", policy=policy)
        s = plan.segments
        assert tuple(s.columns) == (*SEGMENT_COLUMNS, "geometry")
        assert s["unit_id"].notna().all()
        assert not s["unit_id"].str.contains(";").any()
        assert (s["length_m"] > 0).all()
        # segments never overlap, and cover exactly the river inside the districts
        for _, g in s.groupby("river_id"):
            assert (g["from_m"].to_numpy()[1:] >= g["to_m"].to_numpy()[:-1] - 1e-6).all()
        inside = demo.reaches
        inside = inside[inside["district"].notna() | (inside["kind"] == "boundary")]
        inside = inside[inside["kind"] != "outside"]
        covered = s.groupby("river_id")["length_m"].sum()
        expected = inside.groupby("river_id")["length_m"].sum()
        pd.testing.assert_series_equal(
            covered.sort_index(), expected.sort_index(), check_names=False, atol=1e-6
        )


def test_segment_geometry_is_the_stretch(demo: rm.Responsibility) -> None:
    plan = redivide(demo, level="district")
    s = plan.segments
    assert s.crs == demo.crs
    metric = s.to_crs(demo.summary["metric_crs"])
    # lengths agree with the chainage (to the engine's own precision)
    r = demo.reaches.to_crs(demo.summary["metric_crs"])
    engine_err = float(np.abs(r.length - demo.reaches["length_m"]).max())
    assert np.abs(metric.length - s["length_m"]).max() <= engine_err + 1e-3
    # contiguous segments meet end to start, unless the river itself has a gap there
    rivers, _ = rm.datasets.load_demo()
    river = rivers.set_index("river_id").loc["富春江", "geometry"]
    parts = shapely.get_parts(river)
    part_ends = {tuple(shapely.get_coordinates(q)[-1]) for q in parts}
    part_starts = {tuple(shapely.get_coordinates(q)[0]) for q in parts}
    fc = s[s["name"] == "富春江"].reset_index(drop=True)
    n_meet = 0
    for i in range(len(fc) - 1):
        if abs(fc.at[i, "to_m"] - fc.at[i + 1, "from_m"]) < 1e-9:
            end = shapely.get_coordinates(fc.geometry.iloc[i])[-1]
            start = shapely.get_coordinates(fc.geometry.iloc[i + 1])[0]
            if np.allclose(end, start, rtol=0, atol=1e-9):
                n_meet += 1
            else:
                assert tuple(end) in part_ends
                assert tuple(start) in part_starts
    assert n_meet >= 10
    # the caller's vertices are kept: every segment vertex but the ends is a river vertex
    river_xy = {tuple(p) for p in shapely.get_coordinates(river)}
    inner = shapely.get_coordinates(fc.geometry.iloc[3])[1:-1]
    assert len(inner) > 3
    assert all(tuple(p) in river_xy for p in inner)


def test_geometry_hand_built(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", min_segment_m=0)
    seg = plan.segments.set_index("segment_id")
    g = seg.loc["through-2", "geometry"]
    assert g.equals(LineString([(X0 + 7000, Y0 + 1000), (X0 + 7500, Y0 + 1000)]))
    loop = seg.loc["loop-2", "geometry"]  # 2000-3600 m along the loop, through S
    assert shapely.get_coordinates(loop).tolist() == [
        [X0 + 7000, Y0 + 500],
        [X0 + 7300, Y0 + 500],
        [X0 + 7300, Y0 + 1500],
        [X0 + 7000, Y0 + 1500],
    ]


def test_bad_arguments(resp: rm.Responsibility, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="policy must be one of"):
        redivide(resp, level="district", policy="largest")
    with pytest.raises(ParameterError, match="level must be one of"):
        redivide(resp, level="street")
    with pytest.raises(ParameterError, match="min_segment_m"):
        redivide(resp, level="district", min_segment_m=-5)
    with pytest.raises(ParameterError, match="min_share"):
        redivide(resp, level="district", min_share=1.5)
    plan = redivide(resp, level="district")
    with pytest.raises(ParameterError, match="tolerance_m"):
        plan.apply_edits(collection(), tolerance_m=float("inf"))
    with pytest.raises(ParameterError, match="lang"):
        plan.write_tables(tmp_path / "plan.xlsx", lang="fr")
    with pytest.raises(ParameterError, match="lang"):
        plan.diff().write(tmp_path / "diff.csv", lang="fr")
    assert not list(tmp_path.iterdir())


def test_a_plan_is_a_frozen_dataclass_sharing_its_tables(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", policy="split")
    assert dataclasses.is_dataclass(plan)
    assert plan.segments is plan.segments  # no copy on every read
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.level = "city"  # type: ignore[misc]
    edited = plan.apply_edits(collection(feature({"action": "split"}, point(3000, 1000))))
    # an edit changes the segments, log and edits; the rest is shared
    assert edited.units is plan.units
    assert edited.baseline is plan.baseline
    assert edited.unmatched is plan.unmatched
    assert (plan.log, plan.edits) == ([], [])
    assert len(edited.log) == len(edited.edits) == 1
    renamed = dataclasses.replace(plan, policy="by hand")
    assert renamed.segments is plan.segments
    assert "policy='by hand'" in repr(renamed)


# ------------------------------------------------------------------ stable ids
def test_ids_stable_across_runs_and_input_order(demo: rm.Responsibility) -> None:
    a = redivide(demo, level="district", policy="majority").segments
    b = redivide(demo, level="district", policy="majority").segments
    pd.testing.assert_frame_equal(a, b)
    rivers, units = rm.datasets.load_demo()
    shuffled = rivers.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert shuffled["river_id"].tolist() != rivers["river_id"].tolist()
    c = redivide(rm.assign(shuffled, units), level="district", policy="majority").segments
    cols = ["segment_id", "river_id", "from_m", "to_m", "unit_id"]
    pd.testing.assert_frame_equal(
        a[cols].reset_index(drop=True), c[cols].reset_index(drop=True), atol=1e-6
    )
    for _, g in a.groupby("river_id"):
        k = g["segment_id"].str.rsplit("-", n=1).str[1].astype(int).tolist()
        assert k == list(range(1, len(g) + 1))
        assert g["from_m"].is_monotonic_increasing


# ------------------------------------------------------------------- current
def official_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": ["T1", "T2", "X9", "T3"],
            "river_id": ["through", "through", "nowhere", "loop"],
            "from_m": [0, 5000, 0, 0],
            "to_m": [5000, 10000, 100, 5600],
            "unit_id": ["A", "B", "A", "A"],
        }
    )


def test_diff_against_official_table(resp: rm.Responsibility) -> None:
    plan = redivide(
        resp, level="district", policy="majority", min_share=0.1, current=official_table()
    )
    d = plan.diff()
    ch = d.changes
    through = ch[ch["river_id"] == "through"]
    assert through[["from_m", "to_m", "old_unit", "new_unit"]].values.tolist() == [
        [5000.0, 7500.0, "B", "A"]
    ]
    assert through["old_segment"].tolist() == ["T2"]
    assert through["new_segment"].tolist() == ["through-1"]
    units = d.units.set_index("unit_id")
    # A gains 5-7.5 km of 'through' and the unofficial 'inside'; loses 'loop' 2-3.6 km to S
    assert units.loc["A", "gained_km"] == pytest.approx(2.5 + INSIDE.length / 1000)
    assert units.loc["A", "lost_km"] == pytest.approx(1.6)
    assert units.loc["S", "gained_km"] == pytest.approx(1.6)
    assert units.loc["B", "lost_km"] == pytest.approx(2.5)
    assert d.units["gained_km"].sum() == pytest.approx(d.units["lost_km"].sum())
    # 'inside' has no official segment: it is gained from nobody
    assert units.loc["(unassigned)", "lost_km"] == pytest.approx(INSIDE.length / 1000)
    assert d.unmatched[["segment", "reason"]].values.tolist() == [["X9", "unknown river_id"]]
    assert isinstance(ch, gpd.GeoDataFrame)
    assert ch.geometry.notna().all()


def test_diff_against_official_lines(resp: rm.Responsibility, tmp_path: Path) -> None:
    # official lines drawn in lon/lat, one of them 300 m off the river
    parts = [
        ("T1", "A", shapely.ops.substring(THROUGH, 0, 5000)),
        ("T2", "B", shapely.ops.substring(THROUGH, 5000, 10000)),
        ("FAR", "B", shapely.affinity.translate(shapely.ops.substring(THROUGH, 0, 900), 0, 300)),
    ]
    lines = gpd.GeoDataFrame(
        {"code": [p[0] for p in parts], "责任单位": [p[1] for p in parts]},
        geometry=[p[2] for p in parts],
        crs=CRS,
    ).to_crs(4490)
    path = tmp_path / "official.gpkg"
    lines.to_file(path, driver="GPKG")
    plan = redivide(resp, level="district", policy="majority", min_share=0.1, current=path)
    d = plan.diff()
    through = d.changes[d.changes["river_id"] == "through"]
    assert len(through) == 1
    assert through["from_m"].iloc[0] == pytest.approx(5000, abs=0.01)
    assert through["to_m"].iloc[0] == pytest.approx(7500, abs=1e-6)
    assert d.unmatched["segment"].tolist() == ["FAR"]
    assert d.unmatched["distance_m"].iloc[0] == pytest.approx(300, abs=0.5)
    assert "300" in d.unmatched["reason"].iloc[0]
    with pytest.raises(CRSError):
        redivide(resp, level="district", current=lines.set_crs(None, allow_override=True))


def test_current_errors(resp: rm.Responsibility, tmp_path: Path) -> None:
    table = official_table().rename(columns={"unit_id": "owner"})
    with pytest.raises(SchemaError, match="responsible-unit column"):
        redivide(resp, level="district", current=table)
    plan = redivide(resp, level="district", current=table, current_unit_col="owner")
    assert len(plan.current) == 3
    bad = official_table().assign(from_m=["0", "x", "0", "0"])
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"rows 2 .*'T2'"):
        redivide(resp, level="district", current=path)


@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
def test_a_blank_official_unit_is_missing(
    resp: rm.Responsibility, tmp_path: Path, suffix: str
) -> None:
    """One missing-text rule: a blank unit cell is no unit, in a frame or in a file."""
    table = official_table().assign(unit_id=["A", " ", "A", None])
    current: object = table
    if suffix:
        current = tmp_path / f"official{suffix}"
        if suffix == ".csv":
            table.to_csv(current, index=False)
        else:
            table.to_excel(current, index=False)
    plan = redivide(resp, level="district", current=current)
    assert plan.current["segment"].tolist() == ["T1"]
    unmatched = plan.diff().unmatched.set_index("segment")["reason"]
    assert unmatched["T2"] == unmatched["T3"] == "no responsible unit in column 'unit_id'"


def test_current_units_lifted_to_level(demo: rm.Responsibility) -> None:
    # the engine's own reaches at district level, given as official segments with
    # district units, and then asked about at city level: units lifted to cities
    r = demo.reaches
    r = r[r["district"].notna()]
    table = pd.DataFrame(
        {
            "river_id": r["river_id"],
            "from_m": r["from_m"],
            "to_m": r["to_m"],
            "unit_id": r["district"],
            "segment_id": r["reach_id"],
        }
    )
    plan = redivide(demo, level="city", current=table)
    assert set(plan.current["unit"]) <= set(demo.units.query("level == 'city'")["unit_id"])
    assert plan.diff().unmatched.empty


@settings(max_examples=15, deadline=None)
@given(cut=st.floats(100, 9900), min_seg=st.sampled_from([0.0, 200.0, 600.0]))
def test_diff_totals_balance(cut: float, min_seg: float) -> None:
    resp = _resp_through()
    current = pd.DataFrame(
        {
            "river_id": ["through", "through"],
            "from_m": [0, cut],
            "to_m": [cut, 10000.0],
            "unit_id": ["B", "E"],
        }
    )
    for policy in ("split", "majority", "parent"):
        d = redivide(
            resp, level="district", policy=policy, min_segment_m=min_seg, current=current
        ).diff()
        assert d.units["gained_km"].sum() == pytest.approx(d.units["lost_km"].sum(), abs=1e-9)
        assert d.units["net_km"].sum() == pytest.approx(0.0, abs=1e-9)
        assert d.changes["length_m"].sum() <= 10.0 * 1000 + 1e-6


_CACHE: dict[str, rm.Responsibility] = {}


def _resp_through() -> rm.Responsibility:
    if "r" not in _CACHE:
        _CACHE["r"] = rm.assign(rivers_of({"through": THROUGH}), strip_units())
    return _CACHE["r"]


def test_diff_totals_on_the_demo(demo: rm.Responsibility) -> None:
    for policy in ("split", "majority", "parent"):
        d = redivide(demo, level="district", policy=policy).diff()
        assert len(d.changes)
        assert d.units["gained_km"].sum() == pytest.approx(d.units["lost_km"].sum(), rel=1e-12)
        # a boundary stretch held by both banks shows both
        assert d.changes["old_unit"].str.contains(";").any()


# --------------------------------------------------------------------- edits
def test_edits_split_assign_merge(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", policy="majority", min_share=0.1)
    before = plan.segments
    edited = plan.apply_edits(
        collection(
            feature({"action": "split"}, point(3000, 1003)),
            feature({"action": "assign", "unit_id": "S"}, point(8000, 990)),
        )
    )
    assert segs(edited, "through") == [
        ("through-1", 0.0, 3000.0, "A"),
        ("through-2", 3000.0, 7500.0, "A"),
        ("through-3", 7500.0, 10000.0, "S"),
    ]
    assert len(edited.log) == 2
    assert edited.log[0].startswith("edit #0: split through河 at 3,000.0 m")
    assert "to S (S区)" in edited.log[1]
    assert edited.edits[0]["at_m"] == pytest.approx(3000.0)
    # the old plan is unchanged
    pd.testing.assert_frame_equal(plan.segments, before)
    assert plan.log == []
    # split pieces have the cut geometry
    g = edited.segments.set_index("segment_id").loc["through-1", "geometry"]
    assert g.equals(LineString([(X0, Y0 + 1000), (X0 + 3000, Y0 + 1000)]))


def test_edits_round_trip(resp: rm.Responsibility, tmp_path: Path) -> None:
    plan = redivide(resp, level="district", policy="split")
    split = plan.apply_edits(collection(feature({"action": "split"}, point(3000, 1000))))
    assert len(split.segments) == len(plan.segments) + 1
    # merging the two halves back gives the original plan
    merged = split.apply_edits(
        collection(feature({"action": "merge", "segment_ids": "through-1;through-2"}))
    )
    pd.testing.assert_frame_equal(
        merged.segments.drop(columns="geometry"), plan.segments.drop(columns="geometry")
    )
    # the same line (with a vertex left where the cut was)
    assert merged.segments.geometry.geom_equals(plan.segments.geometry).all()
    assert len(merged.log) == 2
    # the edits survive a file, from a .geojson file in lon/lat
    edits = gpd.GeoDataFrame(
        {"action": ["split", "assign"], "unit_id": [None, "B"]},
        geometry=[shapely.Point(X0 + 3000, Y0 + 1000), shapely.Point(X0 + 1000, Y0 + 1000)],
        crs=CRS,
    ).to_crs(4326)
    path = tmp_path / "edits.geojson"
    path.write_text(edits.to_json(drop_id=True), encoding="utf-8")
    again = plan.apply_edits(path)
    assert segs(again, "through")[:2] == [
        ("through-1", 0.0, 3000.0, "B"),
        ("through-2", 3000.0, 7000.0, "A"),
    ]
    out = again.to_file(tmp_path / "plan.gpkg")
    back = read_plan(out)
    assert back.log == again.log
    assert back.edits == again.edits
    assert (back.level, back.policy) == (again.level, again.policy)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.segments.drop(columns="geometry")),
        pd.DataFrame(again.segments.drop(columns="geometry")),
        check_dtype=False,
    )
    assert back.segments.geometry.geom_equals_exact(again.segments.geometry, 1e-9).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.diff().units), pd.DataFrame(again.diff().units), check_dtype=False
    )
    # and a read plan takes further edits
    more = back.apply_edits(collection(feature({"action": "split"}, point(8000, 1000))))
    assert len(more.segments) == len(back.segments) + 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (feature({"action": "split"}, point(3000, 1500)), r"feature #0: the point is 500\.0 m"),
        (feature({"action": "assign", "unit_id": "Q"}, point(3000, 1000)), "'Q' is not among"),
        (feature({"action": "assign"}, point(3000, 1000)), "needs a 'unit_id'"),
        (feature({"action": "split"}), "needs a Point"),
        (feature({"action": "move"}, point(3000, 1000)), "unknown action 'move'"),
        (feature({"action": "merge", "segment_ids": ["through-1", "through-3"]}), "not adjacent"),
        (feature({"action": "merge", "segment_ids": ["through-1", "loop-1"]}), "different rivers"),
        (feature({"action": "merge", "segment_ids": ["through-1", "nope-7"]}), "'nope-7'"),
        (feature({"action": "merge", "segment_ids": ["through-1"]}), "at least two"),
        (feature({}, point(3000, 1000)), "no 'action'"),
    ],
)
def test_bad_edit_is_a_clear_error_and_changes_nothing(
    resp: rm.Responsibility, edit: dict[str, object], message: str
) -> None:
    plan = redivide(resp, level="district", policy="split", min_segment_m=0)
    before = plan.segments
    good = feature({"action": "split"}, point(1000, 1000))
    with pytest.raises(SchemaError, match=message.replace("#0", "#1")):
        plan.apply_edits(collection(good, edit))
    pd.testing.assert_frame_equal(plan.segments, before)
    assert plan.log == []


def test_split_on_an_existing_cut_does_nothing(resp: rm.Responsibility) -> None:
    plan = redivide(resp, level="district", policy="split", min_segment_m=0)
    same = plan.apply_edits(collection(feature({"action": "split"}, point(7000.4, 1000))))
    assert len(same.segments) == len(plan.segments)
    assert "already a cut" in same.log[0]


@pytest.mark.parametrize(("x", "cut"), [(7001.5, 7000.0), (6998.5, 7000.0), (7003.0, 7003.0)])
def test_a_split_next_to_a_unit_change_snaps_onto_it(
    resp: rm.Responsibility, x: float, cut: float
) -> None:
    """A click within 2 m of the A|S border splits exactly there: no sliver changes hands."""
    plan = redivide(resp, level="district", policy="majority", min_share=0.1)
    assert segs(plan, "through")[0] == ("through-1", 0.0, 7500.0, "A")
    edited = plan.apply_edits(
        collection(feature({"action": "split", "river_id": "through"}, point(x, 1000)))
    )
    assert segs(edited, "through")[:2] == [
        ("through-1", 0.0, cut, "A"),
        ("through-2", cut, 7500.0, "A"),
    ]
    assert ("snapped 1.50 m" in edited.log[0]) == (cut != x)


def test_edits_on_the_demo_in_lonlat(demo: rm.Responsibility) -> None:
    plan = redivide(demo, level="district", policy="majority")
    seg = plan.segments.set_index("segment_id")
    target = seg.loc["富春江-2"]
    metric = demo.summary["metric_crs"]
    line_m = gpd.GeoSeries([target.geometry], crs=demo.crs).to_crs(metric).iloc[0]
    mid = shapely.line_interpolate_point(line_m, 0.5, normalized=True)
    pt = gpd.GeoSeries([mid], crs=metric).to_crs(4326).iloc[0]
    edits = {
        "type": "FeatureCollection",
        "features": [
            feature({"action": "split", "river_id": "富春江"}, shapely.geometry.mapping(pt))
        ],
    }
    edited = plan.apply_edits(json.loads(json.dumps(edits)))
    new = edited.segments.set_index("segment_id")
    assert new.loc["富春江-2", "to_m"] == pytest.approx(
        (target["from_m"] + target["to_m"]) / 2, abs=1.0
    )
    assert new.loc["富春江-3", "from_m"] == new.loc["富春江-2", "to_m"]
    assert len(edited.segments) == len(plan.segments) + 1


# ---------------------------------------------------------------------- files
def test_to_file_layers_and_overwrite(demo: rm.Responsibility, tmp_path: Path) -> None:
    plan = redivide(demo, level="district", policy="majority")
    out = plan.to_file(tmp_path / "plan.gpkg")
    import pyogrio

    layers = {str(x) for x in pyogrio.list_layers(out)[:, 0]}
    assert {"segments", "changes", "unit_changes", "unmatched", "metadata"} <= layers
    with pytest.raises(OutputExistsError):
        plan.to_file(out)
    plan.to_file(out, overwrite=True)
    back = read_plan(out)
    assert back.segments["segment_id"].tolist() == plan.segments["segment_id"].tolist()
    assert back.crs == plan.crs
    with pytest.raises(SchemaError, match="not a rivermap plan"):
        read_plan(demo.to_file(tmp_path / "resp.gpkg"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_tables(demo: rm.Responsibility, tmp_path: Path, lang: str) -> None:
    plan = redivide(demo, level="district", policy="majority")
    d = plan.diff()
    written = d.write(tmp_path / "diff.csv", lang=lang)
    assert [p.name for p in written] == ["diff.csv", "diff_units.csv", "diff_unmatched.csv"]
    changes = pd.read_csv(written[0], encoding="utf-8-sig")
    assert len(changes) == len(d.changes)
    assert ("新单位" if lang == "zh" else "New unit") in changes.columns
    xlsx = d.write(tmp_path / "diff.xlsx", lang=lang)[0]
    sheets = pd.read_excel(xlsx, sheet_name=None)
    # sheet names come from the one vocabulary, in the table's language
    sheet = {key: term(f"sheet.{key}", lang) for key in ("changes", "units", "unmatched")}
    assert set(sheets) == set(sheet.values())
    assert len(sheets[sheet["units"]]) == len(d.units)
    book = plan.write_tables(tmp_path / "plan.xlsx", lang=lang)
    sheets = pd.read_excel(book, sheet_name=None)
    segments = sheets[term("sheet.segments", lang)]
    assert len(segments) == len(plan.segments)
    assert ("河段编码" if lang == "zh" else "Segment ID") in segments.columns
    levels = segments["责任单位级别" if lang == "zh" else "Unit level"]
    assert set(levels) == {level_label("district", lang)}


def test_names_and_previous_holders_match_references(demo: rm.Responsibility) -> None:
    from rivermap._chainage import overlay
    from rivermap._segments import names_each, names_of

    plan = redivide(demo, level="district", policy="majority")
    seg = plan.segments
    uname = pd.Series(demo.units["name"].to_numpy(), index=demo.units["unit_id"].astype(str))
    values = pd.Series([*seg["unit_id"], "330106;330108", "(unassigned)", None, "nope"])
    assert names_each(values, uname) == [names_of(v, uname) for v in values]
    # previous: the baseline holders of each segment's stretches, once each, in order
    base = plan.baseline
    ov = overlay(seg, base)
    ov = ov[(ov["li"] >= 0) & (ov["ri"] >= 0)]
    for i, prev in enumerate(seg["previous"]):
        holders = base["unit"].to_numpy()[ov.loc[ov["li"] == i, "ri"].to_numpy()]
        want = ";".join(dict.fromkeys(";".join(map(str, holders)).split(";")))
        assert prev == want
