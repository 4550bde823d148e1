"""Shared fixtures: tiny hand-built units and rivers, and the shared real data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely import LineString, box

import rivermap as rm
from rivermap.synth import make_city
from rivermap.units import AdminUnits

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def tiny_units_frame(crs: str = "EPSG:4549") -> gpd.GeoDataFrame:
    """Two districts (west, east), each split into two streets (south, north).

    Metric coordinates near Shaoxing in CGCS2000 / 3-degree GK CM 120E. Ids are
    admin codes, so code-prefix and containment parents agree.
    """
    x0, y0 = 540_000.0, 3_320_000.0
    rows = [
        ("330602", "越城区", "district", None, box(x0, y0, x0 + 2000, y0 + 2000)),
        ("330603", "柯桥区", "district", None, box(x0 + 2000, y0, x0 + 4000, y0 + 2000)),
        ("330602001", "府山街道", "street", "330602", box(x0, y0, x0 + 2000, y0 + 1000)),
        ("330602002", "塔山街道", "street", "330602", box(x0, y0 + 1000, x0 + 2000, y0 + 2000)),
        ("330603001", "柯桥街道", "street", "330603", box(x0 + 2000, y0, x0 + 4000, y0 + 1000)),
        (
            "330603002",
            "华舍街道",
            "street",
            "330603",
            box(x0 + 2000, y0 + 1000, x0 + 4000, y0 + 2000),
        ),
    ]
    return gpd.GeoDataFrame(
        rows, columns=["unit_id", "name", "level", "parent_id", "geometry"], crs=crs
    )


@pytest.fixture
def tiny_units() -> rm.AdminUnits:
    return rm.AdminUnits(tiny_units_frame(), ["district", "street"])


@pytest.fixture
def tiny_rivers() -> gpd.GeoDataFrame:
    x0, y0 = 540_000.0, 3_320_000.0
    return gpd.GeoDataFrame(
        {
            "river_id": ["inside", "crossing", "boundary"],
            "name": ["内河", "跨区河", "界河"],
        },
        geometry=[
            LineString([(x0 + 200, y0 + 200), (x0 + 800, y0 + 300)]),
            LineString([(x0 + 1000, y0 + 500), (x0 + 3000, y0 + 500)]),
            LineString([(x0 + 2003, y0 + 100), (x0 + 1998, y0 + 900)]),
        ],
        crs="EPSG:4549",
    )


@pytest.fixture
def shared_data() -> Path:
    """Return the read-only shared datasets; tests that need them skip elsewhere."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo() -> rm.Responsibility:
    """Return the embedded Zhejiang demo, assigned (results are immutable: one for the session)."""
    return rm.assign(*rm.datasets.load_demo())


@pytest.fixture(scope="session")
def city() -> rm.Responsibility:
    """Return a synthetic city of 300 communities and 600 rivers, assigned."""
    rivers, units = make_city(300, 600, seed=3)
    return rm.assign(rivers, AdminUnits(units, ("district", "street", "community")))


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    """Yield headless Chromium with the network blocked (one per test module), or skip."""
    from tests import browser as br

    reason = br.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with br.browser() as b:
        yield b
