"""QGIS styles of a result: the layer styles its GeoPackage carries, as QML text.

:meth:`Responsibility.to_file`, :meth:`Plan.to_file` and
:func:`rivermap.routing.write_events` write these styles into the GeoPackage
(QGIS's ``layer_styles`` table, so that each layer opens styled) and, with
``qml=True``, beside it as ``.qml`` files. :func:`qgis_styles` returns them
for other uses: a QGIS project built in code, a style library, a check. How
each layer is drawn is told in :mod:`rivermap._qgis`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from rivermap import _qgis
from rivermap.params import check_lang, check_level
from rivermap.plan import Plan
from rivermap.responsibility import Responsibility

__all__ = ["qgis_styles"]


def qgis_styles(
    result: Responsibility | Plan | gpd.GeoDataFrame,
    *,
    level: str | None = None,
    flags: Any = None,
    units: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> dict[str, str]:
    """Return the QGIS style (QML) of every layer a result writes to its GeoPackage.

    Parameters
    ----------
    result
        A :class:`~rivermap.Responsibility` (layers ``reaches``, ``rivers``,
        ``units``, ``flags`` and, with chiefs, ``roster``); a
        :class:`~rivermap.redivide.Plan` (``segments``, ``changes``,
        ``unit_changes``, ``unmatched``); or routed reports from
        :func:`rivermap.route_events` (``events``).
    level
        For a Responsibility: the level whose units colour the reaches and
        whose flags are haloed (default: the finest).
    flags
        For a Responsibility: its flags table (default: ``result.flags()``).
    units
        For a Plan: the units' polygons (``resp.units``), to colour the
        segments as the web map does.
    lang
        ``"zh"`` or ``"en"``: the words of the legends (field aliases name
        both languages).

    Returns
    -------
    dict
        ``{layer name: QML document}``; save one as ``NAME.qml`` and load it
        in QGIS with *Layer Properties → Style → Load Style*.

    Examples
    --------
    >>> import rivermap as rm
    >>> resp = rm.assign(*rm.datasets.load_demo())
    >>> styles = rm.maps.qgis_styles(resp, level="city")
    >>> sorted(styles)
    ['flags', 'reaches', 'rivers', 'units']
    >>> "界河段" in styles["reaches"] and "Noto Sans CJK SC" in styles["rivers"]
    True
    """
    lang = check_lang(lang)
    if isinstance(result, Responsibility):
        lv = check_level(result.levels[-1] if level is None else level, result.levels)
        table = result.flags() if flags is None else flags
        layers = _qgis.responsibility_package(result, table, level=lv, lang=lang)
    elif isinstance(result, Plan):
        layers = _qgis.plan_package(result, units=units, lang=lang)
    elif isinstance(result, gpd.GeoDataFrame) and "event_id" in result.columns:
        layers = _qgis.events_package(result, lang=lang)
    else:
        msg = (
            "qgis_styles needs a Responsibility, a Plan or routed reports (rivermap.route_events), "
            f"not {type(result).__name__}"
        )
        raise TypeError(msg)
    return {name: layer.qml for name, layer in layers.items() if layer.qml is not None}
