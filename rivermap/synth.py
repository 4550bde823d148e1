"""Deterministic synthetic cities for tests and benchmarks.

:func:`make_city` builds a fake city near Shaoxing (Zhejiang) in a projected CRS: a
three-level hierarchy of administrative units (district 区 / street 街道 /
community 社区) that tile the city exactly, and a set of meandering rivers, a share of
which run along unit boundaries. Everything is vectorised, so a city of 50,000
communities and 200,000 rivers is built in seconds.

:func:`make_country` builds the national case the same way, with five levels
(province 省 / city 市 / district 区县 / street 街道乡镇 / community 社区村, ids
nested by admin-code prefix) and three kinds of rivers (meandering, along unit
boundaries, and long rivers across several provinces), in an Albers projection for
China (:data:`COUNTRY_CRS`): 600,000 communities and 1,000,000 rivers by default,
built in about two minutes within 5 GB (``benchmarks/make_country.py`` writes it
to GeoParquet).

For a :class:`~rivermap.Responsibility` (of a synthetic city or real data),
:func:`make_events` makes a month of hotline tickets (工单) as an office exports
them, :func:`make_patrols` a month of patrol tracks by the chiefs of its roster,
and :func:`write_month` writes both as files (``events.csv``, ``tracks/*.gpx``,
``tracks.csv``). Each ticket and patrol belongs to a case (inside, boundary bank,
confluence, too far …; normal, drive-by, off the river …) recorded in the
table's ``attrs["truth"]``; :mod:`rivermap._synth_reports` says how they are made.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion

from rivermap._synth_reports import make_events, make_patrols, write_month
from rivermap.errors import CRSError, ParameterError

if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
    GeomArray = npt.NDArray[np.object_]

__all__ = [
    "COUNTRY_CRS",
    "COUNTRY_LEVELS",
    "make_city",
    "make_country",
    "make_events",
    "make_patrols",
    "write_month",
]

# The city is built in this CRS (metres), then transformed to the requested one.
_NATIVE_CRS = "EPSG:4549"
# Centre of the synthetic city in EPSG:4549 (CGCS2000 / 3-degree GK CM 120E), near Shaoxing.
_CENTER_X = 530_000.0
_CENTER_Y = 3_330_000.0

# Admin codes: districts are 6 digits starting at 330601, then 3 digits per level below.
_FIRST_DISTRICT_CODE = 330_601
_MAX_DISTRICTS = 999_999 - _FIRST_DISTRICT_CODE + 1
_MAX_CHILDREN = 999

_LEVELS = ("district", "street", "community")
_LEVEL_SUFFIX = {"district": "区", "street": "街道", "community": "社区"}
_NAME_CHARS = "青山湖塘桥港溪湾梅兰竹松柳桃东西南北新安和平兴福华明光云龙凤金银玉石泉林花园江海"
_RIVER_SUFFIXES = "河江溪港浦渎渠泾"

# Share of boundary-following rivers drawn from each level's unit rings.
_BOUNDARY_LEVEL_P = {"district": 0.3, "street": 0.4, "community": 0.3}


@dataclass(frozen=True)
class _Blob:
    """Where an irregular blob of seeds lies: its centre and its width / height."""

    x: float = _CENTER_X
    y: float = _CENTER_Y
    aspect: float = 1.0

    @property
    def stretch(self) -> float:
        return float(np.sqrt(self.aspect))


#: Levels of :func:`make_country`, top to bottom.
COUNTRY_LEVELS = ("province", "city", "district", "street", "community")
#: The CRS :func:`make_country` builds in: an Albers equal-area conic on CGCS2000
#: (EPSG:4490), standard parallels 25°N and 47°N, central meridian 105°E, the projection
#: of China's national maps. Areas are true; lengths are within 2 % of true between
#: 21°N and 50°N (+2.6 % at 18°N, -3.4 % at 53°N). A single 3-degree Gauss-Krüger zone
#: (the CRS :func:`rivermap.crs.metric_crs` picks) is exact near its central meridian but
#: stretches lengths by about 9 % 30° of longitude away, at China's edges.
COUNTRY_CRS = ProjectedCRS(
    AlbersEqualAreaConversion(25.0, 47.0, 0.0, 105.0),
    geodetic_crs=CRS.from_epsg(4490),
    name="CGCS2000 / China Albers",
)
# The country's centre (105°E, 36°N in COUNTRY_CRS) and its width / height.
_COUNTRY_BLOB = _Blob(0.0, 3_850_000.0, 1.4)
# Default counts: units per parent, by level (China: 600,000 villages and communities,
# 38,600 townships and streets, 2,850 counties, 333 cities, 31 provinces).
_COUNTRY_RATIOS = {"street": 16, "district": 13, "city": 9, "province": 10}
_DEFAULT_PROVINCES = 31
_PLURAL = {
    "province": "provinces",
    "city": "cities",
    "district": "districts",
    "street": "streets",
    "community": "communities",
}
# Admin codes, per level: characters kept of the parent's code, the format of the own
# part, the zeros after it, the first number and the most numbers the format allows.
_COUNTRY_CODES = {
    "province": (0, "%02d", "0000", 11, 89),
    "city": (2, "%02d", "00", 1, 99),
    "district": (4, "%02d", "", 1, 99),
    "street": (6, "%03d", "", 1, 999),
    "community": (9, "%03d", "", 1, 999),
}
# Name suffixes, in turn (districts are mostly counties, communities mostly villages).
_COUNTRY_SUFFIXES = {
    "province": ("省",),
    "city": ("市",),
    "district": ("区", "县", "县"),
    "street": ("街道", "镇", "镇", "乡"),
    "community": ("社区", "村", "村", "村", "村", "村"),
}
# Share of boundary-following rivers drawn from each level's unit rings.
_COUNTRY_BOUNDARY_P = {
    "province": 0.1,
    "city": 0.1,
    "district": 0.2,
    "street": 0.3,
    "community": 0.3,
}


def make_city(
    n_communities: int = 500,
    n_rivers: int = 2000,
    *,
    n_streets: int | None = None,
    n_districts: int | None = None,
    seed: int = 0,
    crs: str = "EPSG:4549",
    community_size_m: float = 800.0,
    vertices_per_km: float = 40.0,
    boundary_share: float = 0.05,
    outside_share: float = 0.02,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build a deterministic synthetic city: rivers and nested administrative units.

    The city is an irregular blob centred near Shaoxing (x ≈ 530 km, y ≈ 3330 km in
    EPSG:4549) whose area is ``n_communities * community_size_m**2``.

    * Communities are the Voronoi cells of a jittered grid of seed points; the cells of
      seeds outside the blob are discarded, so the city outline is the (jagged) outer
      boundary of the kept cells and no cell is clipped. The cells form an exact
      polygonal coverage (neighbours share vertices bit for bit).
    * Streets group contiguous communities (nearest street seed, balanced by a few Lloyd
      iterations); districts group streets the same way. A parent's polygon is the
      coverage union of its children, so every level tiles the city with no gaps or
      overlaps and children nest exactly in their parents.
    * Meandering rivers (``synthetic_kind == "meander"``) follow a correlated random
      walk of the heading plus a sinusoidal meander, with one vertex every
      ``1000 / vertices_per_km`` metres and log-normal lengths between 300 m and 30 km.
      They are truncated to the city, except a share ``outside_share`` of the rivers
      that leave it, which are kept whole and so lie partly outside every unit.
    * Boundary rivers (``synthetic_kind == "boundary"``, a share ``boundary_share``)
      follow a run of 5-50 consecutive vertices of a district, street or community
      ring that is shared with a neighbour, densified and zigzagging 0.5-3 m across it.

    Parameters
    ----------
    n_communities : int, default 500
        Number of communities (lowest level).
    n_rivers : int, default 2000
        Number of rivers.
    n_streets : int, optional
        Number of streets; default ``n_communities // 10`` (at least 2, at most
        ``n_communities``).
    n_districts : int, optional
        Number of districts; default ``max(2, n_streets // 8)`` (at most ``n_streets``).
    seed : int, default 0
        Seed of the random generator; the same arguments give identical output. The
        units depend only on the unit arguments and the seed, not on the river ones.
    crs : str, default "EPSG:4549"
        CRS of both frames. The city is built in metres in EPSG:4549 (CGCS2000 /
        3-degree Gauss-Kruger CM 120E) and transformed if another CRS is asked for;
        the transformation keeps shared vertices shared.
    community_size_m : float, default 800.0
        Typical community diameter in metres; sets the city extent.
    vertices_per_km : float, default 40.0
        River vertex density.
    boundary_share : float, default 0.05
        Fraction of rivers laid along a unit boundary.
    outside_share : float, default 0.02
        Fraction of the meandering rivers left partly outside the city (at most the
        number of rivers that reach the city edge).

    Returns
    -------
    rivers : geopandas.GeoDataFrame
        Columns ``river_id`` (``"R000001"`` …), ``name``, ``synthetic_kind``
        (``"meander"`` or ``"boundary"``) and ``geometry`` (LineString).
    units : geopandas.GeoDataFrame
        Columns ``unit_id``, ``name``, ``level`` (``"district"``, ``"street"``,
        ``"community"``), ``parent_id`` (missing for districts) and ``geometry``
        (Polygon or MultiPolygon). District codes have 6 digits (``"330601"`` …),
        streets append 3 digits to their district's code and communities 3 digits to
        their street's code. Rows are ordered by level, then by id.

    Raises
    ------
    ParameterError
        If a count, size, density or share is out of range (a ValueError).
    CRSError
        If ``crs`` is not a CRS pyproj understands.

    Examples
    --------
    >>> rivers, units = make_city(50, 20, seed=1)
    >>> units.level.value_counts().to_dict()
    {'community': 50, 'street': 5, 'district': 2}
    >>> units.columns.tolist()
    ['unit_id', 'name', 'level', 'parent_id', 'geometry']
    >>> units.unit_id.iloc[0], units.unit_id.iloc[2], units.unit_id.iloc[-1][:6]
    ('330601', '330601001', '330602')
    >>> rivers.columns.tolist()
    ['river_id', 'name', 'synthetic_kind', 'geometry']
    >>> len(rivers), rivers.river_id.iloc[0], rivers.crs.to_epsg()
    (20, 'R000001', 4549)
    >>> rivers.synthetic_kind.value_counts().to_dict()
    {'meander': 19, 'boundary': 1}
    >>> bool(units.is_valid.all()), bool(rivers.is_valid.all())
    (True, True)
    """
    n_streets, n_districts = _check_args(
        n_communities,
        n_rivers,
        n_streets,
        n_districts,
        community_size_m,
        vertices_per_km,
        boundary_share,
        outside_share,
    )
    try:
        target_crs = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises its own CRSError, a RuntimeError
        raise CRSError(f"make_city: crs={crs!r} is not a CRS pyproj understands: {exc}") from exc
    unit_rng, meander_rng, boundary_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    step = 1000.0 / vertices_per_km

    # --- units ---------------------------------------------------------------------
    xy, outer_xy = _seed_points(n_communities, community_size_m, unit_rng)
    cells = _voronoi_cells(xy, outer_xy)
    street_of = _group_contiguous(xy, n_streets, unit_rng)
    street_of, street_geoms = _make_connected(cells, street_of, n_streets)
    street_xy = _group_means(xy, street_of, n_streets)
    district_of_street = _group_contiguous(street_xy, n_districts, unit_rng)
    district_of_street, district_geoms = _make_connected(
        street_geoms, district_of_street, n_districts
    )
    units = _units_frame(
        cells, street_geoms, district_geoms, xy, street_xy, street_of, district_of_street
    )

    # --- rivers --------------------------------------------------------------------
    extent = shapely.coverage_union_all(district_geoms)
    n_boundary = round(boundary_share * n_rivers)
    meander = _meandering_lines(n_rivers - n_boundary, extent, step, outside_share, meander_rng)
    boundary = _boundary_following_lines(n_boundary, units, extent, step, boundary_rng)
    rivers = _rivers_frame({"meander": meander, "boundary": boundary}, boundary_rng, _NATIVE_CRS)
    if target_crs != CRS.from_user_input(_NATIVE_CRS):
        # coordinates are transformed one by one, so shared vertices stay shared
        return rivers.to_crs(target_crs), units.to_crs(target_crs)
    return rivers, units


def make_country(
    n_communities: int = 600_000,
    n_rivers: int = 1_000_000,
    *,
    n_streets: int | None = None,
    n_districts: int | None = None,
    n_cities: int | None = None,
    n_provinces: int | None = None,
    n_long: int | None = None,
    seed: int = 0,
    crs: str | CRS | None = None,
    community_size_m: float = 4000.0,
    vertices_per_km: float = 10.0,
    boundary_share: float = 0.03,
    outside_share: float = 0.005,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build a deterministic synthetic country: five nested levels and its rivers.

    The national case of the scale benchmarks: by default about China's numbers (31
    provinces, 320 cities, 2,884 districts, 37,500 streets, 600,000 communities or
    villages; a million rivers), on a blob of China's area and proportions
    (``n_communities * community_size_m**2``, 1.4 times wider than high) at China's
    place, in :data:`COUNTRY_CRS`. It is built like :func:`make_city`, one more time
    for each level, all levels at once across the country:

    * Communities are the Voronoi cells of a jittered grid (one GEOS call for the
      whole country, about 10 s for 600,000 cells), so every level is an exact
      polygonal coverage and neighbours share vertices bit for bit, across province
      borders too. A country built province by province would have to clip cells at
      the provinces' borders, and the two sides' cells would not share vertices.
    * Streets group contiguous communities, districts streets, cities districts and
      provinces cities (nearest seed, balanced by a few Lloyd iterations, each group
      made connected); a parent is the coverage union of its children.
    * Ids are admin codes nested by prefix, as :func:`rivermap.units.code_key` reads
      them: provinces ``"110000"`` (from 11), cities ``"110100"``, districts
      ``"110101"``, streets ``"110101001"`` and communities ``"110101001001"``;
      children are numbered north-west first within their parent.
    * Rivers are of three kinds (``synthetic_kind``): ``"meander"`` as in
      :func:`make_city` with lengths scaled to the communities (log-normal, median
      ``0.75 * community_size_m``, from 1/8 to 25 community sizes); ``"boundary"``
      (a share ``boundary_share``) zigzagging along 2-8 edges (5-20 km for 4 km
      communities) of a unit's ring shared with a neighbour, from every level (界河
      between provinces, cities … villages); ``"long"``: ``n_long`` rivers that rise
      in the western 30 % of the country and flow east for 0.3-1 times its width (a
      heading diffusion giving a persistence length of twice the width), so that
      each crosses several provinces and hundreds of communities before it is cut
      at the coast (one that crosses no province border is drawn again).

    Parameters
    ----------
    n_communities : int, default 600_000
        Number of communities and villages (lowest level, ``"community"``).
    n_rivers : int, default 1_000_000
        Number of rivers of all kinds.
    n_streets, n_districts, n_cities, n_provinces : int, optional
        Number of units of each level; by default 1/16 of the communities, 1/13 of the
        streets, 1/9 of the districts and 1/10 of the cities (at most 31 provinces),
        each at least 2 and at most the count of the level below, but at least the
        count given for a level above.
    n_long : int, optional
        Number of long rivers; default one per 5,000 rivers (at least 1).
    seed : int, default 0
        Seed of the random generator; the same arguments give identical output. The
        units depend only on the unit arguments and the seed.
    crs : str or pyproj.CRS, optional
        CRS of both frames; default :data:`COUNTRY_CRS`, in which the country is built.
    community_size_m : float, default 4000.0
        Typical community diameter in metres (600,000 of them cover 9.6 million km²).
    vertices_per_km : float, default 10.0
        River vertex density (one vertex every 100 m, a national map's detail).
    boundary_share : float, default 0.03
        Fraction of rivers laid along a unit boundary.
    outside_share : float, default 0.005
        Fraction of the meandering and of the long rivers left partly outside the
        country (international rivers).

    Returns
    -------
    rivers : geopandas.GeoDataFrame
        Columns ``river_id`` (``"R0000001"`` …, 6 digits or more), ``name``,
        ``synthetic_kind`` and ``geometry`` (LineString), in random order.
    units : geopandas.GeoDataFrame
        Columns ``unit_id``, ``name``, ``level`` (:data:`COUNTRY_LEVELS`),
        ``parent_id`` (missing for provinces) and ``geometry`` (Polygon or
        MultiPolygon), ordered by level, then by id: ready for
        ``AdminUnits(units, COUNTRY_LEVELS)``.

    Raises
    ------
    ParameterError
        If a count, size, density or share is out of range (a ValueError).
    CRSError
        If ``crs`` is not a CRS pyproj understands.

    Examples
    --------
    >>> rivers, units = make_country(400, 300, n_provinces=3, seed=1)
    >>> units.level.value_counts().reindex(COUNTRY_LEVELS).to_dict()
    {'province': 3, 'city': 3, 'district': 3, 'street': 25, 'community': 400}
    >>> units.unit_id.iloc[0], units.unit_id.iloc[3], units.unit_id.iloc[-1][:6]
    ('110000', '110100', '130101')
    >>> rivers.synthetic_kind.value_counts().to_dict()
    {'meander': 290, 'boundary': 9, 'long': 1}
    >>> units.crs.name, len(rivers), rivers.river_id.iloc[-1]
    ('CGCS2000 / China Albers', 300, 'R000300')
    """
    counts = _country_counts(n_communities, n_streets, n_districts, n_cities, n_provinces)
    n_boundary, n_long = _country_rivers(
        n_rivers, n_long, community_size_m, vertices_per_km, boundary_share, outside_share
    )
    target_crs = _country_target_crs(crs)
    unit_rng, meander_rng, boundary_rng, long_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    step = 1000.0 / vertices_per_km
    units, extent = _country_units(counts, community_size_m, unit_rng)
    size = community_size_m
    kinds = {
        "meander": _meandering_lines(
            n_rivers - n_boundary - n_long,
            extent,
            step,
            outside_share,
            meander_rng,
            lengths=(0.75 * size, 0.9, 0.125 * size, 25.0 * size),
        ),
        "boundary": _boundary_following_lines(
            n_boundary,
            units,
            extent,
            step,
            boundary_rng,
            weights=_COUNTRY_BOUNDARY_P,
            run_vertices=(3, 9),
        ),
        "long": _long_lines(
            n_long,
            extent,
            units.geometry.values[units["level"].to_numpy() == COUNTRY_LEVELS[0]],
            step,
            outside_share,
            long_rng,
        ),
    }
    rivers = _rivers_frame(kinds, boundary_rng, COUNTRY_CRS)
    if not target_crs.equals(COUNTRY_CRS):
        return rivers.to_crs(target_crs), units.to_crs(target_crs)
    return rivers, units


# ------------------------------------------------------------------------------------
# arguments
# ------------------------------------------------------------------------------------


def _check_args(
    n_communities: int,
    n_rivers: int,
    n_streets: int | None,
    n_districts: int | None,
    community_size_m: float,
    vertices_per_km: float,
    boundary_share: float,
    outside_share: float,
) -> tuple[int, int]:
    """Validate the arguments of :func:`make_city` and fill the default counts."""
    _check_integers(
        "make_city",
        n_communities=n_communities,
        n_rivers=n_rivers,
        n_streets=n_streets,
        n_districts=n_districts,
    )
    if n_communities < 1:
        raise ParameterError(f"make_city: n_communities must be >= 1, got {n_communities}")
    if n_rivers < 0:
        raise ParameterError(f"make_city: n_rivers must be >= 0, got {n_rivers}")
    if n_streets is None:
        n_streets = min(n_communities, max(2, n_communities // 10))
    if n_districts is None:
        n_districts = min(n_streets, max(2, n_streets // 8))
    if not 1 <= n_districts <= n_streets <= n_communities:
        raise ParameterError(
            "make_city: need n_communities >= n_streets >= n_districts >= 1, got "
            f"n_communities={n_communities}, n_streets={n_streets}, n_districts={n_districts}"
        )
    if n_districts > _MAX_DISTRICTS:
        raise ParameterError(
            f"make_city: at most {_MAX_DISTRICTS} districts fit 6-digit codes from "
            f"{_FIRST_DISTRICT_CODE}, got n_districts={n_districts}"
        )
    # Codes give 3 digits per level; ask for at most half the room on average so that
    # the uneven group sizes still fit.
    for child, n_child, parent, n_parent in (
        ("n_streets", n_streets, "n_districts", n_districts),
        ("n_communities", n_communities, "n_streets", n_streets),
    ):
        if n_child > (_MAX_CHILDREN // 2) * n_parent:
            raise ParameterError(
                f"make_city: {child}={n_child} is too many for {parent}={n_parent}; 3-digit "
                f"codes need {child} <= {_MAX_CHILDREN // 2} * {parent}"
            )
    _check_reals(
        "make_city",
        {"community_size_m": community_size_m, "vertices_per_km": vertices_per_km},
        {"boundary_share": boundary_share, "outside_share": outside_share},
    )
    return int(n_streets), int(n_districts)


def _check_integers(func: str, **values: int | None) -> None:
    """Raise unless every value given is an integer (or None)."""
    for arg, value in values.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer)
        ):
            raise ParameterError(f"{func}: {arg} must be an integer, got {value!r}")


def _check_reals(func: str, positive: dict[str, float], shares: dict[str, float]) -> None:
    """Raise unless the ``positive`` values are positive numbers and the ``shares`` in [0, 1]."""
    for arg, fvalue in positive.items():
        if not (np.isfinite(fvalue) and fvalue > 0):
            raise ParameterError(f"{func}: {arg} must be a positive number, got {fvalue!r}")
    for arg, fvalue in shares.items():
        if not 0.0 <= fvalue <= 1.0:
            raise ParameterError(f"{func}: {arg} must be between 0 and 1, got {fvalue!r}")


def _country_counts(
    n_communities: int,
    n_streets: int | None,
    n_districts: int | None,
    n_cities: int | None,
    n_provinces: int | None,
) -> dict[str, int]:
    """Validate the unit counts of :func:`make_country` and fill the defaults (top first)."""
    _check_integers(
        "make_country",
        n_communities=n_communities,
        n_streets=n_streets,
        n_districts=n_districts,
        n_cities=n_cities,
        n_provinces=n_provinces,
    )
    if n_communities < 1:
        raise ParameterError(f"make_country: n_communities must be >= 1, got {n_communities}")
    given = {"street": n_streets, "district": n_districts, "city": n_cities}
    given["province"] = n_provinces
    counts = {"community": int(n_communities)}
    below = counts["community"]
    for i, (level, ratio) in enumerate(_COUNTRY_RATIOS.items()):
        value = given[level]
        if value is None:
            value = min(below, max(2, below // ratio))
            if level == "province":
                value = min(value, _DEFAULT_PROVINCES)
            # at least as many as a level above is asked to have
            above = [v for v in list(given.values())[i + 1 :] if v is not None]
            value = max([value, *above])
        counts[level] = below = int(value)
    args = {lv: f"n_{_PLURAL[lv]}" for lv in COUNTRY_LEVELS}
    if not all(1 <= counts[a] <= counts[b] for a, b in itertools.pairwise(COUNTRY_LEVELS)):
        chain = " >= ".join(args[lv] for lv in reversed(COUNTRY_LEVELS))
        got = ", ".join(f"{args[lv]}={counts[lv]}" for lv in reversed(COUNTRY_LEVELS))
        raise ParameterError(f"make_country: need {chain} >= 1, got {got}")
    if counts["province"] > _COUNTRY_CODES["province"][4]:
        raise ParameterError(
            f"make_country: at most {_COUNTRY_CODES['province'][4]} provinces fit 2-digit codes "
            f"from {_COUNTRY_CODES['province'][3]}, got n_provinces={counts['province']}"
        )
    # ask for at most half the room of the codes on average, so that uneven groups fit
    for parent, child in itertools.pairwise(COUNTRY_LEVELS):
        room = _COUNTRY_CODES[child][4] // 2
        if counts[child] > room * counts[parent]:
            raise ParameterError(
                f"make_country: {args[child]}={counts[child]} is too many for "
                f"{args[parent]}={counts[parent]}; the codes need {args[child]} <= "
                f"{room} * {args[parent]}"
            )
    return {lv: counts[lv] for lv in COUNTRY_LEVELS}


def _country_rivers(
    n_rivers: int,
    n_long: int | None,
    community_size_m: float,
    vertices_per_km: float,
    boundary_share: float,
    outside_share: float,
) -> tuple[int, int]:
    """Validate the river arguments of :func:`make_country`; return the boundary and long counts."""
    _check_integers("make_country", n_rivers=n_rivers, n_long=n_long)
    if n_rivers < 0:
        raise ParameterError(f"make_country: n_rivers must be >= 0, got {n_rivers}")
    _check_reals(
        "make_country",
        {"community_size_m": community_size_m, "vertices_per_km": vertices_per_km},
        {"boundary_share": boundary_share, "outside_share": outside_share},
    )
    n_boundary = round(boundary_share * n_rivers)
    if n_long is None:
        n_long = min(n_rivers - n_boundary, max(1, round(n_rivers / 5000)))
    if not 0 <= n_long <= n_rivers - n_boundary:
        raise ParameterError(
            f"make_country: n_long must be between 0 and the {n_rivers - n_boundary} rivers "
            f"that do not follow a boundary, got n_long={n_long}"
        )
    return n_boundary, int(n_long)


def _country_target_crs(crs: str | CRS | None) -> CRS:
    """Read the ``crs`` argument of :func:`make_country` (None: :data:`COUNTRY_CRS`)."""
    if crs is None:
        return COUNTRY_CRS
    try:
        return CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises its own CRSError, a RuntimeError
        raise CRSError(f"make_country: crs={crs!r} is not a CRS pyproj understands: {exc}") from exc


# ------------------------------------------------------------------------------------
# units
# ------------------------------------------------------------------------------------


def _blob_ratio(
    x: FloatArray, y: FloatArray, shape: FloatArray, radius: float, blob: _Blob
) -> FloatArray:
    """Distance from the centre relative to the blob radius in that direction (< 1 inside).

    ``shape`` holds rows ``(k, amplitude, phase)`` of the harmonics of the radius. A blob
    with ``aspect`` > 1 is that many times wider than high, with the same area.
    """
    dx = (x - blob.x) / blob.stretch
    dy = (y - blob.y) * blob.stretch
    theta = np.arctan2(dy, dx)
    r = np.ones_like(theta)
    for k, amp, phase in shape:
        r += amp * np.cos(k * theta + phase)
    return np.asarray(np.hypot(dx, dy) / (radius * r), dtype=np.float64)


def _seed_points(
    n: int, size: float, rng: np.random.Generator, blob: _Blob = _Blob()
) -> tuple[FloatArray, FloatArray]:
    """Return ``n`` community seeds inside an irregular blob, and the seeds around it.

    The seeds are a jittered square grid; the outer seeds bound the Voronoi cells of the
    kept ones so that no cell has to be clipped.
    """
    ks = np.arange(2.0, 6.0)
    shape = np.column_stack(
        [ks, rng.uniform(0.0, 0.3, ks.size) / ks, rng.uniform(0.0, 2 * np.pi, ks.size)]
    )
    area = n * size * size
    # area of r(θ) = R (1 + Σ a_k cos(kθ + φ_k)) is π R² (1 + Σ a_k² / 2)
    radius = float(np.sqrt(area / (np.pi * (1.0 + 0.5 * np.sum(shape[:, 1] ** 2)))))
    reach = radius * (1.0 + np.sum(shape[:, 1]))
    jitter = rng.uniform(-0.3, 0.3, size=(2, 2 * n + 4096))
    spacing = size
    while True:
        margin = reach + 3.0 * spacing
        wide, high = margin * blob.stretch, margin / blob.stretch
        grid_x, grid_y = np.meshgrid(
            np.arange(-wide, wide + spacing, spacing), np.arange(-high, high + spacing, spacing)
        )
        # enough to bound every inner cell
        near = np.hypot(grid_x / blob.stretch, grid_y * blob.stretch) < margin
        gx = grid_x[near] + blob.x
        gy = grid_y[near] + blob.y
        ratio = _blob_ratio(gx, gy, shape, radius, blob)
        inside = ratio < 1.0
        if inside.sum() >= n:
            break
        spacing *= 0.97
    m = gx.size
    jx = np.resize(jitter[0], m) * spacing
    jy = np.resize(jitter[1], m) * spacing
    pts = np.column_stack([gx + jx, gy + jy])
    inner = np.flatnonzero(inside)
    keep = np.sort(rng.choice(inner, size=n, replace=False))
    return pts[keep], pts[~inside]


def _voronoi_cells(xy: FloatArray, outer_xy: FloatArray) -> GeomArray:
    """Voronoi cells of ``xy`` (in order) in the diagram of ``xy`` and ``outer_xy``."""
    allpts = shapely.multipoints(np.concatenate([xy, outer_xy]))
    cells = shapely.get_parts(shapely.voronoi_polygons(allpts, ordered=True))
    return np.asarray(cells[: len(xy)], dtype=object)


def _group_contiguous(
    xy: FloatArray, k: int, rng: np.random.Generator, iterations: int = 6
) -> IntArray:
    """Label points with the nearest of ``k`` seeds chosen among them (Lloyd-balanced).

    Each seed is always one of the points and is its own nearest seed, so every one of
    the ``k`` groups is non-empty; nearest-seed groups of Voronoi cells are contiguous
    (except in rare degenerate cases).
    """
    n = len(xy)
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    pts = shapely.points(xy)
    seeds = np.sort(rng.choice(n, size=k, replace=False))
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iterations + 1):
        tree = shapely.STRtree(pts[seeds])
        found = tree.query_nearest(pts, all_matches=False)
        labels[found[0]] = found[1]
        if it == iterations:
            break
        # move each seed to the member point nearest to its group's centroid
        centroid = _group_means(xy, labels, k)
        dist = np.hypot(*(xy - centroid[labels]).T)
        order = np.lexsort((dist, labels))
        first = np.searchsorted(labels[order], np.arange(k))
        seeds = order[first]
    return labels


def _group_means(xy: FloatArray, labels: IntArray, k: int) -> FloatArray:
    """Mean point of each of the ``k`` labelled groups."""
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sx = np.bincount(labels, weights=xy[:, 0], minlength=k)
    sy = np.bincount(labels, weights=xy[:, 1], minlength=k)
    return np.column_stack([sx / counts, sy / counts])


def _coverage_union_groups(geoms: GeomArray, labels: IntArray, k: int) -> GeomArray:
    """Coverage union of ``geoms`` grouped by ``labels`` (one vectorised GEOS call)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    counts = np.bincount(labels, minlength=k)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(labels)) - starts[sorted_labels]
    table = np.full((k, int(counts.max())), None, dtype=object)
    table[sorted_labels, pos] = geoms[order]
    return np.asarray(shapely.coverage_union_all(table, axis=1), dtype=object)


def _make_connected(
    geoms: GeomArray, labels: IntArray, k: int, max_rounds: int = 10
) -> tuple[IntArray, GeomArray]:
    """Make every group of a polygon coverage connected; return labels and unions.

    Nearest-seed groups are almost always connected, but a member can touch its group
    only at a corner, or not at all. The members of every part but the largest move to
    the neighbouring group that shares the longest boundary with that part. The loop
    only visits the few disconnected groups.
    """
    labels = labels.copy()
    inner = shapely.point_on_surface(geoms)
    ix, iy = shapely.get_coordinates(inner).T
    for _ in range(max_rounds):
        groups = _coverage_union_groups(geoms, labels, k)
        multi = np.flatnonzero(shapely.get_num_geometries(groups) > 1)
        if not len(multi):
            break
        tree = shapely.STRtree(groups)
        moved = False
        for g in multi.tolist():
            parts = shapely.get_parts(groups[g])
            members = np.flatnonzero(labels == g)
            for part in np.delete(parts, np.argmax(shapely.area(parts))):
                near = tree.query(part, predicate="intersects")
                near = near[near != g]
                shared = shapely.length(
                    shapely.intersection(shapely.boundary(part), shapely.boundary(groups[near]))
                )
                if not len(near) or shared.max() <= 0:
                    continue
                in_part = members[shapely.contains_xy(part, ix[members], iy[members])]
                labels[in_part] = near[np.argmax(shared)]
                moved = True
        if not moved:
            break
    else:
        groups = _coverage_union_groups(geoms, labels, k)
    return labels, groups


def _word(index: IntArray) -> list[str]:
    """Distinct two-character place words (a number is appended once they run out)."""
    n_chars = len(_NAME_CHARS)
    n_words = n_chars * n_chars
    scrambled = (index * 787) % n_words  # 787 is prime and does not divide n_words
    first = scrambled // n_chars
    second = scrambled % n_chars
    rounds = index // n_words
    return [
        _NAME_CHARS[a] + _NAME_CHARS[b] + (str(r + 1) if r else "")
        for a, b, r in zip(first.tolist(), second.tolist(), rounds.tolist(), strict=True)
    ]


def _code_rank(code: npt.NDArray[np.str_]) -> IntArray:
    """Rank of each code in sorted order."""
    rank = np.empty(len(code), dtype=np.int64)
    rank[np.argsort(code)] = np.arange(len(code))
    return rank


def _rank_within(parent: IntArray, xy: FloatArray) -> IntArray:
    """Rank of each child within its parent, north-west first."""
    order = np.lexsort((xy[:, 0], -xy[:, 1], parent))
    sorted_parent = parent[order]
    starts = np.searchsorted(sorted_parent, sorted_parent)
    rank = np.empty(len(parent), dtype=np.int64)
    rank[order] = np.arange(len(parent)) - starts
    return rank


def _units_frame(
    cells: GeomArray,
    street_geoms: GeomArray,
    district_geoms: GeomArray,
    xy: FloatArray,
    street_xy: FloatArray,
    street_of: IntArray,
    district_of_street: IntArray,
) -> gpd.GeoDataFrame:
    """Assemble the units frame with admin-code ids and names."""
    n_districts = len(district_geoms)
    district_xy = _group_means(street_xy, district_of_street, n_districts)
    # districts numbered north-west first, like their children
    district_rank = _rank_within(np.zeros(n_districts, dtype=np.int64), district_xy)
    street_rank = _rank_within(district_of_street, street_xy)
    community_rank = _rank_within(street_of, xy)
    too_many = max(int(street_rank.max()), int(community_rank.max())) + 1
    if too_many > _MAX_CHILDREN:
        raise ParameterError(
            f"make_city: a unit got {too_many} children, more than the {_MAX_CHILDREN} that "
            "3-digit codes allow; ask for more streets or districts"
        )
    district_code = np.char.mod("%d", district_rank + _FIRST_DISTRICT_CODE)
    street_code = np.char.add(
        district_code[district_of_street], np.char.mod("%03d", street_rank + 1)
    )
    community_code = np.char.add(street_code[street_of], np.char.mod("%03d", community_rank + 1))

    # units are named in code order across the whole level so that names rarely repeat
    district_name = np.char.add(_word(_code_rank(district_code)), _LEVEL_SUFFIX["district"])
    street_name = np.char.add(_word(_code_rank(street_code)), _LEVEL_SUFFIX["street"])
    community_name = np.char.add(_word(_code_rank(community_code)), _LEVEL_SUFFIX["community"])

    parts = {
        "district": (district_code, district_name, None, district_geoms),
        "street": (street_code, street_name, district_code[district_of_street], street_geoms),
        "community": (community_code, community_name, street_code[street_of], cells),
    }
    ids: list[str] = []
    names: list[str] = []
    levels: list[str] = []
    parents: list[str | None] = []
    geometry = []
    for level, (code, name, parent, geoms) in parts.items():
        order = np.argsort(code)
        ids += code[order].tolist()
        names += name[order].tolist()
        levels += [level] * len(code)
        parents += [None] * len(code) if parent is None else parent[order].tolist()
        geometry.append(geoms[order])
    return gpd.GeoDataFrame(
        {
            "unit_id": pd.array(ids, dtype="str"),
            "name": pd.array(names, dtype="str"),
            "level": pd.array(levels, dtype="str"),
            "parent_id": pd.array(parents, dtype="str"),
        },
        geometry=np.concatenate(geometry),
        crs=_NATIVE_CRS,
    )


# ------------------------------------------------------------------------------------
# country
# ------------------------------------------------------------------------------------


def _country_units(
    counts: dict[str, int], size: float, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    """Build the levels of ``counts`` (top first) bottom-up; return them and the outline."""
    levels = list(counts)
    bottom = levels[-1]
    xy, outer_xy = _seed_points(counts[bottom], size, rng, _COUNTRY_BLOB)
    geoms = {bottom: _voronoi_cells(xy, outer_xy)}
    points = {bottom: xy}
    parent_of: dict[str, IntArray] = {}
    for parent, child in reversed(list(itertools.pairwise(levels))):
        k = counts[parent]
        labels = _group_contiguous(points[child], k, rng)
        parent_of[child], geoms[parent] = _make_connected(geoms[child], labels, k)
        points[parent] = _group_means(points[child], parent_of[child], k)
    extent = shapely.coverage_union_all(geoms[levels[0]])
    return _nested_units_frame(levels, geoms, points, parent_of), extent


def _nested_units_frame(
    levels: list[str],
    geoms: dict[str, GeomArray],
    points: dict[str, FloatArray],
    parent_of: dict[str, IntArray],
) -> gpd.GeoDataFrame:
    """Assemble the units of :func:`make_country`, ids nested by prefix, by level then id.

    ``parent_of[level]`` gives each unit's parent as a position in the level above.
    """
    codes: dict[str, npt.NDArray[np.str_]] = {}
    rows: list[tuple[npt.NDArray[np.str_], ...]] = []
    for upper, level in zip([None, *levels[:-1]], levels, strict=True):
        n = len(geoms[level])
        parent = parent_of.get(level, np.zeros(n, dtype=np.int64))
        keep, fmt, pad, first, most = _COUNTRY_CODES[level]
        rank = _rank_within(parent, points[level])
        if int(rank.max()) >= most:
            raise ParameterError(
                f"make_country: a unit got {int(rank.max()) + 1} children at level {level!r}, "
                f"more than the {most} that its codes allow; ask for more units above it"
            )
        own = np.char.add(np.char.mod(fmt, rank + first), pad)
        parent_code = codes[upper][parent] if upper else np.full(n, "")
        codes[level] = code = np.char.add(parent_code.astype(f"U{keep}"), own)
        suffixes = np.array(_COUNTRY_SUFFIXES[level])
        code_rank = _code_rank(code)
        name = np.char.add(_word(code_rank), suffixes[code_rank % len(suffixes)])
        order = np.argsort(code)
        rows.append((code[order], name[order], np.full(n, level), parent_code[order]))
    ids, names, level_of, parents = (
        np.concatenate(column).tolist() for column in zip(*rows, strict=True)
    )
    return gpd.GeoDataFrame(
        {
            "unit_id": pd.array(ids, dtype="str"),
            "name": pd.array(names, dtype="str"),
            "level": pd.array(level_of, dtype="str"),
            "parent_id": pd.array([p or None for p in parents], dtype="str"),
        },
        geometry=np.concatenate([geoms[lv][np.argsort(codes[lv])] for lv in levels]),
        crs=COUNTRY_CRS,
    )


# ------------------------------------------------------------------------------------
# rivers
# ------------------------------------------------------------------------------------


def _segment_starts(counts: IntArray) -> IntArray:
    """Offsets of the first element of each segment in a flat array."""
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _random_points_in(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> FloatArray:
    """``n`` uniform random points inside ``polygon`` (rejection sampling)."""
    xmin, ymin, xmax, ymax = shapely.bounds(polygon)
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    while len(out) < n:
        m = max(64, int(1.3 * (n - len(out)) * (xmax - xmin) * (ymax - ymin) / polygon.area))
        cand = np.column_stack([rng.uniform(xmin, xmax, m), rng.uniform(ymin, ymax, m)])
        out = np.concatenate([out, cand[shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _meandering_lines(
    n: int,
    extent: shapely.Geometry,
    step: float,
    outside_share: float,
    rng: np.random.Generator,
    chunk_vertices: int = 4_000_000,
    lengths: tuple[float, float, float, float] = (2000.0, 0.9, 300.0, 30_000.0),
) -> GeomArray:
    """``n`` meandering rivers anchored in ``extent``, truncated to it except a few.

    The heading is a random walk (a correlated random walk of the position) plus a
    sinusoidal meander; every step is ``step`` metres long. The middle vertex of each
    river is put at a random point at least ``step`` inside the city, so that truncating
    to the longest run of vertices inside the city always leaves at least 3 vertices.
    Lengths are log-normal, ``lengths`` = (median, sigma of the log, minimum, maximum)
    in metres.
    """
    if n == 0:
        return np.empty(0, dtype=object)
    median, sigma, shortest, longest = lengths
    length = np.clip(rng.lognormal(np.log(median), sigma, n), shortest, longest)
    n_vertices = np.maximum(np.rint(length / step).astype(np.int64) + 1, 3)
    heading0 = rng.uniform(0.0, 2.0 * np.pi, n)
    amplitude = rng.uniform(0.15, 0.7, n)
    wavelength = rng.uniform(max(150.0, 8.0 * step), max(800.0, 30.0 * step), n)
    phase = rng.uniform(0.0, 2.0 * np.pi, n)
    core = shapely.buffer(extent, -1.01 * step)
    anchor = _random_points_in(core if core.area > 0.05 * extent.area else extent, n, rng)
    walks = _Walks(n_vertices, heading0, amplitude, wavelength, phase, anchor, n_vertices // 2)
    # heading diffusion of 0.1 rad² per km
    return _walk_lines(walks, step, 0.1, extent, outside_share, rng, chunk_vertices)


@dataclass(frozen=True)
class _Walks:
    """The parameters of random-walk rivers, one row per river."""

    n_vertices: IntArray
    heading0: FloatArray  # initial heading (radians, anticlockwise from east)
    amplitude: FloatArray  # of the sinusoidal meander of the heading (radians)
    wavelength: FloatArray  # of the meander (metres)
    phase: FloatArray  # of the meander
    anchor: FloatArray  # (n, 2): where the anchor vertex lies
    anchor_vertex: IntArray  # which vertex of the river lies on its anchor point


def _walk_lines(
    walks: _Walks,
    step: float,
    diffusion: float,
    extent: shapely.Geometry,
    outside_share: float,
    rng: np.random.Generator,
    chunk_vertices: int,
) -> GeomArray:
    """Lay out the random walks (heading ``diffusion`` in rad² per km), then truncate them.

    The rivers are made in chunks of whole rivers (about ``chunk_vertices`` vertices) to
    bound the memory of the temporaries; see :func:`_truncate_to` for the truncation.
    """
    n = len(walks.n_vertices)
    turn_sd = np.sqrt(diffusion * step / 1000.0)
    ends = np.cumsum(walks.n_vertices)
    cuts = np.searchsorted(ends, np.arange(chunk_vertices, int(ends[-1]), chunk_vertices)) + 1
    bounds = np.unique(np.concatenate([[0], cuts[cuts < n], [n]]))
    shapely.prepare(extent)
    lines = []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        nv = walks.n_vertices[lo:hi]
        rid = np.repeat(np.arange(hi - lo), nv)
        starts = _segment_starts(nv)
        k = np.arange(len(rid)) - starts[rid]
        walk = np.cumsum(rng.normal(0.0, turn_sd, len(rid)))
        walk -= walk[starts][rid]
        heading = walk + walks.heading0[lo:hi][rid]
        heading += walks.amplitude[lo:hi][rid] * np.sin(
            (2.0 * np.pi * step) * k / walks.wavelength[lo:hi][rid] + walks.phase[lo:hi][rid]
        )
        del walk, k
        # exclusive cumulative sums within each river, then move the anchor vertex onto
        # the anchor point
        xy = np.empty((len(rid), 2))
        for axis, trig in enumerate((np.cos, np.sin)):
            d = trig(heading) * step
            pos = np.cumsum(d) - d
            pos += (walks.anchor[lo:hi, axis] - pos[starts + walks.anchor_vertex[lo:hi]])[rid]
            xy[:, axis] = pos
        del heading, d, pos
        lines.append(_truncate_to(xy, rid, hi - lo, extent, outside_share, rng))
    return np.concatenate(lines)


def _long_lines(
    n: int,
    extent: shapely.Geometry,
    provinces: GeomArray,
    step: float,
    outside_share: float,
    rng: np.random.Generator,
    max_tries: int = 20,
) -> GeomArray:
    """``n`` long rivers that rise in the west 30 % of ``extent`` and flow east.

    Each is 0.3-1 times as long as ``extent`` is wide, starts heading east (± 0.3 rad)
    and meanders like :func:`_meandering_lines`, with a heading diffusion that gives a
    persistence length of twice the width: it keeps its course across the country.
    A river that crosses no border of the ``provinces`` (when truncated early at the
    coast) is drawn again, up to ``max_tries`` times.
    """
    lines = np.empty(n, dtype=object)
    tree = shapely.STRtree(provinces)
    need = min(2, len(provinces))
    xmin, _, xmax, _ = shapely.bounds(extent)
    # persistence length 2 / diffusion = 2 * width (diffusion in rad² per km)
    diffusion = 1000.0 / (xmax - xmin)
    todo = np.arange(n)
    for _ in range(max_tries):
        if not len(todo):
            break
        walks = _long_walks(len(todo), extent, step, rng)
        lines[todo] = _walk_lines(walks, step, diffusion, extent, outside_share, rng, 4_000_000)
        river, _ = tree.query(lines[todo], predicate="intersects")
        todo = todo[np.bincount(river, minlength=len(todo)) < need]
    return lines


def _long_walks(n: int, extent: shapely.Geometry, step: float, rng: np.random.Generator) -> _Walks:
    """Draw the parameters of ``n`` long rivers (see :func:`_long_lines`)."""
    xmin, ymin, xmax, ymax = shapely.bounds(extent)
    width = xmax - xmin
    length = rng.uniform(0.3, 1.0, n) * width
    n_vertices = np.maximum(np.rint(length / step).astype(np.int64) + 1, 3)
    heading0 = rng.normal(0.0, 0.3, n)
    amplitude = rng.uniform(0.15, 0.5, n)
    wavelength = rng.uniform(max(150.0, 8.0 * step), max(800.0, 30.0 * step), n)
    phase = rng.uniform(0.0, 2.0 * np.pi, n)
    west = shapely.intersection(
        shapely.buffer(extent, -1.01 * step), shapely.box(xmin, ymin, xmin + 0.3 * width, ymax)
    )
    source = _random_points_in(west if west.area > 0 else extent, n, rng)
    return _Walks(
        n_vertices, heading0, amplitude, wavelength, phase, source, np.zeros_like(n_vertices)
    )


def _truncate_to(
    xy: FloatArray,
    river: IntArray,
    n: int,
    extent: shapely.Geometry,
    outside_share: float,
    rng: np.random.Generator,
) -> GeomArray:
    """Lines of ``xy`` cut to the longest run of vertices in ``extent``, but a few.

    ``extent`` must be prepared. Of the rivers that leave it, a share ``outside_share``
    of all ``n`` rivers is kept whole.
    """
    # rivers whose bounding box lies in the city are inside; test the rest vertex-wise
    starts = _segment_starts(np.bincount(river, minlength=n))
    lower = np.minimum.reduceat(xy, starts)
    upper = np.maximum.reduceat(xy, starts)
    suspect = ~shapely.contains(
        extent, shapely.box(lower[:, 0], lower[:, 1], upper[:, 0], upper[:, 1])
    )
    check = suspect[river]
    inside = np.ones(len(river), dtype=bool)
    inside[check] = shapely.contains_xy(extent, xy[check, 0], xy[check, 1])
    del check
    leaving = np.unique(river[~inside])
    n_keep = min(len(leaving), round(outside_share * n))
    whole = np.zeros(n, dtype=bool)
    whole[rng.choice(leaving, size=n_keep, replace=False)] = True

    # runs of consecutive inside vertices; keep the longest of each river
    first = np.ones(len(river), dtype=bool)
    first[1:] = river[1:] != river[:-1]
    run_start = inside & (first | ~np.roll(inside, 1))
    run_id = np.cumsum(run_start) - 1
    run_len = np.bincount(run_id[inside])
    run_river = river[run_start]
    best_order = np.lexsort((-run_len, run_river))
    rivers_with_runs, first_run = np.unique(run_river[best_order], return_index=True)
    best = np.full(n, -1, dtype=np.int64)
    best[rivers_with_runs] = best_order[first_run]
    keep = whole[river] | (inside & (run_id == best[river]))
    # a river whose longest inside run is a single vertex stays whole (rare)
    kept = np.bincount(river[keep], minlength=n)
    keep |= (kept < 2)[river]
    lines = shapely.linestrings(xy[keep], indices=river[keep])

    # a chord between two inside vertices can still cut a corner of the city
    cut = np.flatnonzero(suspect & ~whole)
    cut = cut[~shapely.within(lines[cut], extent)]
    if len(cut):
        # clip 1 cm inside, so that rounding cannot put the new end points outside
        clipped = shapely.intersection(lines[cut], shapely.buffer(extent, -0.01))
        parts, owner = shapely.get_parts(clipped, return_index=True)
        is_line = shapely.get_type_id(parts) == 1
        parts, owner = parts[is_line], owner[is_line]
        longest = np.lexsort((-shapely.length(parts), owner))
        first_of = np.unique(owner[longest], return_index=True)[1]
        lines[cut[owner[longest[first_of]]]] = parts[longest[first_of]]
    return np.asarray(lines, dtype=object)


def _boundary_following_lines(
    n: int,
    units: gpd.GeoDataFrame,
    extent: shapely.Geometry,
    step: float,
    rng: np.random.Generator,
    max_tries: int = 30,
    weights: dict[str, float] = _BOUNDARY_LEVEL_P,
    run_vertices: tuple[int, int] = (5, 50),
) -> GeomArray:
    """``n`` rivers zigzagging (0.5-3 m) along runs of shared unit boundaries.

    A run's ring comes from a level drawn with ``weights`` (level: weight); it has
    between ``run_vertices[0]`` and ``run_vertices[1]`` of the ring's vertices.
    """
    if n == 0:
        return np.empty(0, dtype=object)
    rings = _Rings.of(units, extent, tuple(weights))
    ring, start, size = _pick_runs(n, rings, rng, max_tries, weights, run_vertices)
    run = np.repeat(np.arange(n), size)
    vertex = _run_vertices(rings, ring, start, size, run)
    lines = shapely.segmentize(shapely.linestrings(rings.xy[vertex], indices=run), step)
    return _zigzag(lines, n, rng)


@dataclass(frozen=True)
class _Rings:
    """The exterior rings of every unit, as flat vertex arrays."""

    xy: FloatArray  # the vertices, ring after ring (each closed)
    start: IntArray  # per ring: its first vertex in ``xy``
    n_unique: IntArray  # per ring: its vertices, the closing one not counted
    on_outline: BoolArray  # per vertex: on the city outline
    of_level: dict[str, IntArray]  # the rings of each level

    @staticmethod
    def of(
        units: gpd.GeoDataFrame, extent: shapely.Geometry, levels: tuple[str, ...] = _LEVELS
    ) -> _Rings:
        geoms = np.asarray(units.geometry.array, dtype=object)
        polys, owner = shapely.get_parts(geoms, return_index=True)
        rings = shapely.get_exterior_ring(polys)
        ring_xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        ring_size = np.bincount(ring_of, minlength=len(rings))
        # vertices of the city outline: edges between two of them are not shared
        outline = shapely.get_coordinates(shapely.boundary(extent))
        outline_key = outline[:, 0] + 1j * outline[:, 1]
        poly_level = units["level"].to_numpy()[owner]
        return _Rings(
            xy=ring_xy,
            start=_segment_starts(ring_size),
            n_unique=ring_size - 1,  # rings are closed
            on_outline=np.isin(ring_xy[:, 0] + 1j * ring_xy[:, 1], outline_key),
            of_level={lev: np.flatnonzero(poly_level == lev) for lev in levels},
        )


def _pick_runs(
    n: int,
    rings: _Rings,
    rng: np.random.Generator,
    max_tries: int,
    weights: dict[str, float],
    run_vertices: tuple[int, int],
) -> tuple[IntArray, IntArray, IntArray]:
    """Draw ``n`` runs of ring vertices, none on the city outline (within ``max_tries``).

    A run's ring comes from a level drawn with ``weights`` (level: weight); it has
    ``run_vertices`` (fewest, most) vertices, at most all but one of the ring's.
    Returns each run's ring, first vertex (within the ring) and number of vertices.
    """
    levels = [lev for lev in weights if len(rings.of_level[lev])]
    p = np.array([weights[lev] for lev in levels])
    ring = np.empty(n, dtype=np.int64)
    start = np.empty(n, dtype=np.int64)
    size = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    for attempt in range(max_tries):
        m = len(todo)
        which = rng.choice(len(levels), size=m, p=p / p.sum())
        r = np.empty(m, dtype=np.int64)
        for i, lev in enumerate(levels):
            sel = which == i
            r[sel] = rng.choice(rings.of_level[lev], size=int(sel.sum()))
        cap = np.minimum(run_vertices[1], rings.n_unique[r] - 1)
        low = np.minimum(run_vertices[0], cap)
        size_m = rng.integers(low, cap + 1)
        start_m = rng.integers(0, rings.n_unique[r])
        ring[todo], start[todo], size[todo] = r, start_m, size_m
        # reject runs with an edge on the city outline
        run = np.repeat(np.arange(m), size_m)
        outer = rings.on_outline[_run_vertices(rings, r, start_m, size_m, run)]
        outer_edge = outer[1:] & outer[:-1] & (run[1:] == run[:-1])
        bad = np.bincount(run[1:][outer_edge], minlength=m) > 0
        if attempt == max_tries - 1 or not bad.any():
            break
        todo = todo[bad]
    return ring, start, size


def _run_vertices(
    rings: _Rings, ring: IntArray, start: IntArray, size: IntArray, run: IntArray
) -> IntArray:
    """Index in ``rings.xy`` of every vertex of the runs (``run``: each vertex's run)."""
    j = np.arange(len(run)) - _segment_starts(size)[run]
    vertex = rings.start[ring][run] + (start[run] + j) % rings.n_unique[ring][run]
    return np.asarray(vertex, dtype=np.int64)


def _zigzag(lines: GeomArray, n: int, rng: np.random.Generator) -> GeomArray:
    """Move the vertices of the ``n`` lines across them, by a noisy sine of 0.5-3 m."""
    xy, line = shapely.get_coordinates(lines, return_index=True)
    # unit normals (bisectors at corners) and distance along each line
    first = np.ones(len(line), dtype=bool)
    first[1:] = line[1:] != line[:-1]
    last = np.ones(len(line), dtype=bool)
    last[:-1] = first[1:]
    seg = np.diff(xy, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    # (a zero-length step can only join two lines, where it is not used)
    unit = seg / np.where(seg_len > 0, seg_len, 1.0)[:, None]
    tangent = np.zeros_like(xy)
    tangent[:-1][~last[:-1]] += unit[~last[:-1]]
    tangent[1:][~first[1:]] += unit[~first[1:]]
    norm = np.hypot(tangent[:, 0], tangent[:, 1])
    norm[norm == 0] = 1.0
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / norm[:, None]
    along = np.concatenate([[0.0], np.cumsum(np.where(first[1:], 0.0, seg_len))])
    along -= along[first][np.cumsum(first) - 1]

    amplitude = rng.uniform(0.5, 3.0, n)[line]
    wavelength = rng.uniform(40.0, 200.0, n)[line]
    phase = rng.uniform(0.0, 2.0 * np.pi, n)[line]
    offset = amplitude * np.sin(2.0 * np.pi * along / wavelength + phase)
    offset = np.clip(offset + rng.normal(0.0, 0.2, len(line)), -3.0, 3.0)
    return np.asarray(
        shapely.linestrings(xy + normal * offset[:, None], indices=line), dtype=object
    )


def _rivers_frame(
    kinds: dict[str, GeomArray], rng: np.random.Generator, crs: str | CRS
) -> gpd.GeoDataFrame:
    """Shuffle the kinds of rivers (kind: lines) together and give them ids and names.

    Ids have 6 digits, or as many as the number of rivers needs.
    """
    geoms = np.concatenate(list(kinds.values()))
    kind = np.repeat(np.array(list(kinds)), [len(g) for g in kinds.values()])
    order = rng.permutation(len(geoms))
    index = np.arange(len(geoms))
    n_suffix = len(_RIVER_SUFFIXES)
    suffix = np.array(list(_RIVER_SUFFIXES))[index % n_suffix]
    names = np.char.add(_word(index // n_suffix), suffix) if len(index) else np.array([], str)
    digits = max(6, len(str(len(geoms))))
    return gpd.GeoDataFrame(
        {
            "river_id": pd.array(np.char.mod(f"R%0{digits}d", index + 1).tolist(), dtype="str"),
            "name": pd.array(names.tolist(), dtype="str"),
            "synthetic_kind": pd.array(kind[order].tolist(), dtype="str"),
        },
        geometry=geoms[order],
        crs=crs,
    )
