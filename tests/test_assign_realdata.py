"""rivermap.assign on real data: Liechtenstein (OpenStreetMap) and Zhejiang (1:4M)."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest

from rivermap import datasets
from rivermap.assign import assign
from rivermap.units import AdminUnits
from tests.test_assign import assert_matches_overlay


def load(name: str) -> tuple[gpd.GeoDataFrame, AdminUnits]:
    """Rivers (arcs merged by name) and units of an embedded real dataset."""
    return datasets.load(name)


@pytest.fixture(scope="module")
def liechtenstein() -> tuple[gpd.GeoDataFrame, AdminUnits]:
    return load("liechtenstein")


@pytest.fixture(scope="module")
def zhejiang() -> tuple[gpd.GeoDataFrame, AdminUnits]:
    return load("zhejiang")


def test_valorschbach_is_mostly_a_boundary_reach(liechtenstein) -> None:  # type: ignore[no-untyped-def]
    rivers, units = liechtenstein
    reaches = assign(rivers, units).reaches
    valorsch = reaches[reaches["river_id"] == "Valorschbach"]
    share = (
        valorsch.loc[valorsch["kind"] == "boundary", "length_m"].sum() / valorsch["length_m"].sum()
    )
    assert share > 0.9
    sides = set(valorsch["left_unit"].dropna()) | set(valorsch["right_unit"].dropna())
    names = units.frame.set_index("unit_id")["name"]
    assert "Balzers" in {names[s] for s in sides}


def test_rhein_is_largely_the_national_border(liechtenstein) -> None:  # type: ignore[no-untyped-def]
    rivers, units = liechtenstein
    resp = assign(rivers, units)
    rhein = resp.reaches[resp.reaches["river_id"] == "Rhein"]
    border = rhein[
        (rhein["kind"] == "boundary") & (rhein["left_unit"].isna() | rhein["right_unit"].isna())
    ]
    assert border["length_m"].sum() > 0.6 * rhein["length_m"].sum()
    assert (border["boundary_level"] == "country").all()
    row = resp.rivers.set_index("river_id").loc["Rhein"]
    assert row["chief_level"] == "country"


def test_grand_canal_gets_a_chief_above_district(zhejiang) -> None:  # type: ignore[no-untyped-def]
    rivers, units = zhejiang
    resp = assign(rivers, units)
    canal = resp.rivers[resp.rivers["name"].str.startswith("京杭运河")].iloc[0]
    assert canal["n_units_district"] >= 3
    assert canal["chief_level"] in ("city", "province")
    reaches = resp.reaches[resp.reaches["river_id"] == canal["river_id"]]
    assert reaches["district"].nunique() >= 3


@pytest.mark.parametrize("name", ["liechtenstein", "zhejiang"])
def test_real_data_matches_overlay_outside_boundary_reaches(name: str) -> None:
    # Along boundaries the river is often digitised on the border itself, where overlay's
    # answer depends on rounding (it may drop or double such stretches); compare the rivers
    # that have no boundary reach.
    rivers, units = load(name)
    reaches = assign(rivers, units, min_reach_m=0).reaches
    along = set(reaches.loc[reaches["kind"] == "boundary", "river_id"])
    plain = rivers[~rivers["river_id"].isin(along)].reset_index(drop=True)
    assert len(plain) >= 5
    resp = assign(plain, units, boundary_min_m=math.inf, min_reach_m=0)
    assert_matches_overlay(plain, units, resp)
