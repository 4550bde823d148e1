"""A plan's identity (content hash, plan id) and the edits that depend on it: merge at a point."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import rivermap as rm
from rivermap.errors import SchemaError
from rivermap.redivide import Plan, read_plan, redivide
from tests.test_redivide import collection, feature, point, segs


@pytest.fixture(scope="module")
def resp() -> rm.Responsibility:
    from tests.test_flags import INSIDE, LOOP, THROUGH, rivers_of, strip_units

    rivers = rivers_of({"through": THROUGH, "loop": LOOP, "inside": INSIDE})
    return rm.assign(rivers, strip_units())


@pytest.fixture(scope="module")
def plan(resp: rm.Responsibility) -> Plan:
    return redivide(resp, level="district", policy="split", min_segment_m=0)


def signed(plan: Plan, *features: dict[str, object], **member: object) -> dict[str, object]:
    """Return the features as the map's editing mode writes them: with the plan's member."""
    head = {"plan_id": plan.plan_id, "plan_hash": plan.content_hash, "level": plan.level}
    return {**collection(*features), "rivermap": {**head, **member}}


# ---------------------------------------------------------------- identity
def test_hash_is_stable_and_follows_the_segments(plan: Plan, tmp_path: Path) -> None:
    h = plan.content_hash
    assert len(h) == 64
    assert int(h, 16) >= 0
    assert plan.plan_id == f"district-{h[:10]}"
    # a plan read back from its file has the same hash
    back = read_plan(plan.to_file(tmp_path / "plan.gpkg"))
    assert back.content_hash == h
    assert back.plan_id == plan.plan_id
    # log, params and names do not count; segments, units, level and policy do
    assert dataclasses.replace(plan, log=["x"], params={}).content_hash == h
    assert dataclasses.replace(plan, policy="majority").content_hash != h
    seg = plan.segments.copy()
    seg.loc[seg.index[0], "unit_id"] = "B"
    assert dataclasses.replace(plan, segments=seg).content_hash != h

    def moved(to_m: float) -> str:
        seg = plan.segments.copy()
        seg.loc[seg.index[0], "to_m"] = to_m
        return dataclasses.replace(plan, segments=seg).content_hash

    mm = round(float(plan.segments["to_m"].iloc[0]), 3)
    assert moved(mm + 0.0002) == moved(mm - 0.0002)  # under a millimetre apart
    assert moved(mm + 0.002) != moved(mm)
    split = plan.apply_edits(collection(feature({"action": "split"}, point(3000, 1000))))
    assert split.content_hash != h


def test_edits_signed_by_another_plan_are_refused(plan: Plan, tmp_path: Path) -> None:
    edit = feature({"action": "split"}, point(3000, 1000))
    assert len(plan.apply_edits(signed(plan, edit)).segments) == len(plan.segments) + 1
    other = plan.apply_edits(collection(edit))
    path = tmp_path / "edits.geojson"
    path.write_text(json.dumps(signed(other, edit)), encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        plan.apply_edits(path)
    text = str(err.value)
    assert str(path) in text
    assert f"made on plan '{other.plan_id}', not on this plan '{plan.plan_id}'" in text
    # a hash that was changed by hand is refused the same way
    with pytest.raises(SchemaError, match="not on this plan"):
        plan.apply_edits(signed(plan, edit, plan_hash="0" * 64))
    with pytest.raises(SchemaError, match="plan_hash' must be text"):
        plan.apply_edits(signed(plan, edit, plan_hash=12))
    with pytest.raises(SchemaError, match="'rivermap' member must be an object"):
        plan.apply_edits({**collection(edit), "rivermap": "district-1"})
    # without the member (typed by hand, drawn in QGIS) the edits are taken
    assert len(plan.apply_edits(collection(edit)).log) == 1


# ----------------------------------------------------------- merge at a point
def test_merge_at_a_point_joins_the_pieces_of_a_split(plan: Plan) -> None:
    assert segs(plan, "through")[0] == ("through-1", 0.0, 7000.0, "A")
    edited = plan.apply_edits(
        collection(
            feature({"action": "split", "river_id": "through"}, point(2000, 1000)),
            feature({"action": "split", "river_id": "through"}, point(4000, 1000)),
            feature({"action": "assign", "unit_id": "B"}, point(3000, 1000)),
            # 12 m off the cut at 4,000 m: the nearest cut is joined
            feature({"action": "merge", "unit_id": "B"}, point(4012, 1000)),
        )
    )
    assert segs(edited, "through")[:3] == [
        ("through-1", 0.0, 2000.0, "A"),
        ("through-2", 2000.0, 7000.0, "B"),
        ("through-3", 7000.0, 7500.0, "S"),
    ]
    assert edited.log[3] == (
        "edit #3: merge through河 at 4,000.0 m (2.0–7.0 km) to B (B区) (point 0.0 m from the river)"
    )
    assert edited.edits[3]["at_m"] == pytest.approx(4000.0)
    assert edited.edits[3]["river_id"] == "through"


def test_merge_at_a_point_without_a_unit_takes_the_longer_holder(plan: Plan) -> None:
    # through: A 0-7000, S 7000-7500, B 7500-10000; the cut at 7,500 m joins S and B
    edited = plan.apply_edits(collection(feature({"action": "merge"}, point(7500, 1000))))
    assert segs(edited, "through")[1:] == [("through-2", 7000.0, 10000.0, "B")]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (feature({"action": "merge"}, point(5000, 1000)), r"2,000\.0 m from the nearest cut"),
        (feature({"action": "merge"}, point(3000, 1040)), r"the point is 40\.0 m"),
        (feature({"action": "merge", "unit_id": "Q"}, point(7000, 1000)), "'Q' is not among"),
        (feature({"action": "merge"}), "at least two segment ids"),
        (feature({"action": "merge", "river_id": "inside"}, point(2000, 250)), "has no cut"),
        (feature({"action": "merge"}, {"type": "LineString", "coordinates": []}), "needs a Point"),
    ],
)
def test_a_bad_merge_point_is_a_clear_error(
    plan: Plan, edit: dict[str, object], message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        plan.apply_edits(collection(edit), tolerance_m=30)
