"""One region of a large result: Responsibility.within, the map's region= and its size guard."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import rivermap as rm
from rivermap.cli import main
from rivermap.maps import responsibility_map, web
from tests.test_web_map import meta_of

HANGZHOU = "330100"


def test_within_keeps_the_region_its_units_and_its_border_rivers(demo: rm.Responsibility) -> None:
    hz = demo.within(HANGZHOU)
    below = demo.units.loc[demo.units["parent_id"] == HANGZHOU, "unit_id"]
    assert set(hz.units["unit_id"]) == {HANGZHOU, *below}
    inside = demo.reaches["city"] == HANGZHOU
    assert set(demo.reaches.loc[inside, "reach_id"]) <= set(hz.reaches["reach_id"])
    border = hz.reaches.loc[hz.reaches["city"].isna()]
    assert (border["kind"] == "boundary").all()
    assert len(border)
    assert all(
        HANGZHOU
        in {demo.units.set_index("unit_id").at[u, "parent_id"] for u in pair if pd.notna(u)}
        for pair in border[["left_unit", "right_unit"]].itertuples(index=False)
    )
    # rivers keep their whole length and chief level
    rivers = demo.rivers.set_index("river_id").loc[hz.rivers["river_id"]]
    assert hz.rivers.set_index("river_id")["length_m"].equals(rivers["length_m"])
    # the province holds every reach but those outside it, and says so in its summary
    zj = demo.within("330000")
    assert zj.reaches.equals(demo.reaches.loc[demo.reaches["kind"] != "outside"])
    assert zj.summary["n_reaches"] == len(zj.reaches) < demo.summary["n_reaches"]
    assert zj.summary["region"] == "330000"


def test_an_unknown_region_names_the_top_units(demo: rm.Responsibility) -> None:
    with pytest.raises(rm.ParameterError, match=r"region '9' is not a unit.*'330000 浙江省'"):
        demo.within("9")


def test_region_map_draws_one_city_with_the_whole_results_flags(demo: rm.Responsibility) -> None:
    meta, _ = meta_of(responsibility_map(demo, region=HANGZHOU).get_root().render())
    assert set(meta["units"]) == set(demo.within(HANGZHOU).units["unit_id"])
    everywhere = demo.flags("district")
    shown = set(demo.within(HANGZHOU).rivers["river_id"])
    assert set(meta["flags"]) <= shown
    assert len(meta["flags"]) == everywhere["river_id"].isin(shown).sum()


def test_a_map_too_large_is_refused_naming_regions(
    demo: rm.Responsibility, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "MAX_MAP_FEATURES", 100)
    with pytest.raises(
        rm.ParameterError,
        match=r"would hold \d+ reaches and 102 units.*region='UNIT_ID'.*'330000 浙江省'",
    ):
        responsibility_map(demo)
    assert responsibility_map(demo, region="330106")  # 西湖区 fits


def test_cli_region(tmp_path, demo: rm.Responsibility, capsys) -> None:  # type: ignore[no-untyped-def]
    gpkg = demo.to_file(tmp_path / "r.gpkg")
    assert main(["map", str(gpkg), "-o", str(tmp_path / "hz.html"), "--region", HANGZHOU]) == 0
    assert main(["map", str(gpkg), "-o", str(tmp_path / "x.html"), "--region", "nope"]) == 2
    assert "region 'nope' is not a unit" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    assert isinstance(gpd.read_file(gpkg, layer="reaches"), gpd.GeoDataFrame)
