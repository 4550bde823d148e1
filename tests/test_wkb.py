"""rivermap._wkb: WKB written from coordinates is shapely's, and its GeoParquet is geopandas'."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from rivermap._wkb import WKBLines, geoparquet_table, wkb_lines, write_geoparquet

finite = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)
line = st.lists(st.tuples(finite, finite), min_size=2, max_size=6)
geometry = st.lists(line, min_size=1, max_size=3)  # one line, or the lines of a multiline


def ragged(geoms: list[list[list[tuple[float, float]]]]) -> tuple[np.ndarray, ...]:
    """Return the vertices, line offsets and lines per geometry of nested point lists."""
    lines = [ln for g in geoms for ln in g]
    coords = np.array([p for ln in lines for p in ln], dtype=float).reshape(-1, 2)
    offsets = np.r_[0, np.cumsum([len(ln) for ln in lines])].astype(np.int64)
    return coords, offsets, np.array([len(g) for g in geoms], dtype=np.int64)


def shapely_of(geoms: list[list[list[tuple[float, float]]]]) -> np.ndarray:
    """Return the geometries shapely makes of nested point lists."""
    out = [
        shapely.linestrings(g[0])
        if len(g) == 1
        else shapely.multilinestrings([shapely.linestrings(ln) for ln in g])
        for g in geoms
    ]
    return np.array(out, dtype=object)


@settings(max_examples=200, deadline=None)
@given(st.lists(geometry, max_size=8))
def test_the_bytes_are_shapelys(geoms) -> None:
    lines = wkb_lines(*ragged(geoms))
    assert lines.wkb.to_pylist() == list(shapely.to_wkb(shapely_of(geoms)))
    if geoms:
        expected = shapely.total_bounds(shapely_of(geoms))
        np.testing.assert_array_equal(lines.bounds, expected)
        kinds = {"LineString" if len(g) == 1 else "MultiLineString" for g in geoms}
        assert lines.types == tuple(sorted(kinds))
    else:
        assert np.isnan(lines.bounds).all()
        assert lines.types == ()


def test_take_and_concat_keep_the_bytes_the_box_and_the_types() -> None:
    geoms = [[[(0, 0), (1, 1)]], [[(5, 5), (6, 7)], [(8, 8), (9, 9)]], [[(-3, 2), (0, 0)]]]
    a, b = wkb_lines(*ragged(geoms[:2])), wkb_lines(*ragged(geoms[2:]))
    both = WKBLines.concat([a, b])
    expected = list(shapely.to_wkb(shapely_of(geoms)))
    assert both.wkb.to_pylist() == expected
    assert both.bounds.tolist() == [-3, 0, 9, 9]
    assert both.types == ("LineString", "MultiLineString")
    assert both.take(np.array([2, 0, 1])).wkb.to_pylist() == [expected[i] for i in (2, 0, 1)]
    empty = wkb_lines(np.empty((0, 2)), np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int64))
    assert WKBLines.concat([empty, a]).bounds.tolist() == [0, 0, 9, 9]


@pytest.mark.parametrize("crs", [4549, 4326, None])
def test_the_table_reads_back_as_geopandas_writes_it(tmp_path, crs) -> None:
    geoms = [[[(500_000, 3e6), (500_010, 3e6 + 5)]], [[(1, 2), (3, 4)], [(5, 6), (7, 8)]]]
    columns = {"reach_id": ["a#1", "<b>#1"], "from_m": [0.0, 1.5]}
    frame = gpd.GeoDataFrame(pd.DataFrame(columns), geometry=shapely_of(geoms), crs=crs)
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    write_geoparquet(geoparquet_table(columns, wkb_lines(*ragged(geoms)), crs), ours)
    frame.to_parquet(theirs, index=False)
    back = gpd.read_parquet(ours)
    pd.testing.assert_frame_equal(back, gpd.read_parquet(theirs))
    assert back.crs == frame.crs
    geo = [json.loads(pq.read_schema(p).metadata[b"geo"]) for p in (ours, theirs)]
    for g in geo:
        g.pop("creator")
    assert geo[0] == geo[1]
    assert pq.read_table(ours)["geometry"].to_pylist() == list(shapely.to_wkb(frame.geometry))
