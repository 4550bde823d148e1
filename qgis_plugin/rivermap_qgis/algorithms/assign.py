"""Assign responsibility (划分河段与责任单元): rivers and units → a responsibility GeoPackage.

The units come one of two ways, as :func:`rivermap.read_units` takes them:

* **one layer per level** (``UNITS_LAYERS``): the levels are named by
  ``LEVELS`` (top to bottom; names matching the layers' names pick the
  layers' order), else by the layers' own names, ordered from the layer with
  the fewest units to the one with the most, which is top to bottom for
  nested units;
* **one layer holding every level** (``UNITS``) with a level field
  (``LEVEL_FIELD``), ``LEVELS`` naming the levels top to bottom, or as
  ``name=value`` pairs when the field holds numbers (``city=2,district=3``).

Then :func:`rivermap.pipeline.read_inputs`, :func:`~rivermap.pipeline.assign`
and :func:`~rivermap.pipeline.save_responsibility`, as ``rivermap assign``
(:func:`rivermap_qgis.steps.assign`).
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
)

from rivermap_qgis.algorithms.base import (
    RivermapAlgorithm,
    Run,
    add_choice,
    add_file,
    add_number,
    add_output,
    add_text,
    both,
    options,
)
from rivermap_qgis.steps import parse_levels

__all__ = ["AssignAlgorithm"]

_POLICIES = {
    "bank": "bank 左右岸分别负责 / each side its bank",
    "parent": "parent 共同上级 / the common parent",
    "lead": "lead 占比大的一方 / the side holding more",
}
_LAYERS = ["units", "rivers", "reaches", "flags"]


class AssignAlgorithm(RivermapAlgorithm):
    """Split rivers into reaches at unit boundaries and name the responsible units."""

    NAME = "assign"
    TITLE = ("划分河段与责任单元", "Assign responsibility")
    HELP_ZH = (
        "在行政边界处把每条河流切分为河段，给出每一级的责任单元、界河段和整条河的河长层级，"
        "写出 GeoPackage（河段、河流、行政单元、需关注河流），并按 rivermap 的样式加载。"
        "行政单元可以每级一个图层（自上而下；不填级别时按单元数从少到多排序，图层名即级别名），"
        "也可以一个图层含所有级别并用级别字段区分。"
    )
    HELP_EN = (
        "Splits every river into reaches at the unit boundaries, names the responsible unit "
        "at every level, the boundary reaches and each river's chief level, writes a "
        "GeoPackage (reaches, rivers, units, flags) and loads it with rivermap's styles. Units "
        "come as one layer per level (top to bottom; without LEVELS the layers' names are the "
        "levels, ordered from the fewest units to the most), or as one layer holding every "
        "level with a level field."
    )

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802 - QGIS's name
        """Add the parameters."""
        params = options()
        self._add_rivers()
        self._add_units()
        add_number(
            self, "MIN_REACH_M", both("最短河段（米）", "Shortest reach, m"), params["MIN_REACH_M"]
        )
        add_number(
            self,
            "BOUNDARY_TOL_M",
            both("界河容差（米）", "Boundary tolerance, m"),
            params["BOUNDARY_TOL_M"],
        )
        add_number(
            self,
            "BOUNDARY_MIN_M",
            both("界河段最短长度（米）", "Shortest boundary reach, m"),
            params["BOUNDARY_MIN_M"],
        )
        add_choice(
            self,
            "BOUNDARY_POLICY",
            both("界河段责任", "Who answers for a boundary reach"),
            params["BOUNDARY_POLICIES"],
            params["BOUNDARY_POLICY"],
            _POLICIES,
        )
        add_file(
            self,
            "CHIEFS",
            both("河长名录（CSV/XLSX，可选）", "Chief roster (CSV/XLSX, optional)"),
            "CSV/XLSX (*.csv *.xlsx)",
        )
        add_output(
            self,
            "OUTPUT",
            both("责任划分结果", "Responsibility GeoPackage"),
            "GeoPackage (*.gpkg)",
            layers=_LAYERS,
        )
        for name, label in (
            ("N_RIVERS", ("河流数", "rivers")),
            ("N_REACHES", ("河段数", "reaches")),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, both(*label)))

    def _add_rivers(self) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "RIVERS", both("河流（线图层）", "Rivers (lines)"), [QgsProcessing.TypeVectorLine]
            )
        )
        for name, label in (
            ("ID_COL", ("河流编号字段（可选）", "River id field (default: R00001 …)")),
            ("NAME_COL", ("河流名称字段（可选）", "River name field (default: name, 名称 …)")),
            (
                "MERGE_BY",
                ("按此字段合并为一条河（可选）", "Join arcs sharing this field (e.g. name)"),
            ),
        ):
            self.addParameter(
                QgsProcessingParameterField(
                    name, both(*label), parentLayerParameterName="RIVERS", optional=True
                )
            )

    def _add_units(self) -> None:
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                "UNITS_LAYERS",
                both("行政单元：每级一个图层", "Units: one layer per level"),
                QgsProcessing.TypeVectorPolygon,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "UNITS",
                both("行政单元：一个图层含所有级别", "Units: one layer holding every level"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "LEVEL_COL",
                both("级别字段", "Level field (with one layer)"),
                parentLayerParameterName="UNITS",
                optional=True,
            )
        )
        add_text(
            self,
            "LEVELS",
            both(
                "级别，自上而下，逗号分隔",
                "Levels, top to bottom, "
                "comma-separated (with a level field of numbers: city=2,district=3)",
            ),
        )
        add_text(
            self,
            "UNIT_ID_COL",
            both("单元编号字段（可选）", "Unit id field (default: unit_id, *_adcode, code …)"),
        )
        add_text(
            self, "UNIT_NAME_COL", both("单元名称字段（可选）", "Unit name field (default: name …)")
        )
        add_text(
            self,
            "PARENT",
            both("上级关系", "Parents: auto, codes, containment or a parent-id field"),
            "auto",
        )

    def work(self, run: Run) -> dict[str, Any]:
        """Read, assign and write (in rivermap), and load the GeoPackage."""
        job = {
            "options": {
                "min_reach_m": run.number("MIN_REACH_M"),
                "boundary_tol_m": run.number("BOUNDARY_TOL_M"),
                "boundary_min_m": run.number("BOUNDARY_MIN_M"),
                "boundary_policy": run.choice("BOUNDARY_POLICY", run.params["BOUNDARY_POLICIES"]),
            },
            "output": run.output("OUTPUT"),
            "chiefs": run.text("CHIEFS"),
            "rivers": _rivers(run),
            "units": _units(run),
        }
        results = run.execute("assign", job)
        return {**results, **run.load(results["OUTPUT"], _LAYERS, "OUTPUT")}


def _rivers(run: Run) -> dict[str, Any]:
    """Return where the rivers come from (:class:`rivermap.pipeline.RiverInput`'s fields)."""
    found = run.source("RIVERS")
    if found is None:
        raise QgsProcessingException(both("请选择河流图层", "RIVERS: choose the rivers layer"))
    path, layer = found
    return {
        "path": path,
        "layer": layer,
        "id_col": run.text("ID_COL"),
        "name_col": run.text("NAME_COL"),
        "merge_by": run.text("MERGE_BY"),
    }


def _units(run: Run) -> dict[str, Any]:
    """Return where the units come from (:class:`rivermap.pipeline.UnitInput`'s fields).

    One layer per level, or one layer with a level field.
    """
    levels = parse_levels(run.text("LEVELS"))
    common: dict[str, Any] = {
        "id_cols": run.text("UNIT_ID_COL"),
        "name_cols": run.text("UNIT_NAME_COL"),
        "parent": run.text("PARENT") or "auto",
    }
    single = run.source("UNITS")
    layers = run.layer_files("UNITS_LAYERS") if run.parameters.get("UNITS_LAYERS") else []
    if (single is None) == (not layers):
        zh = "行政单元：请给出每级一个图层，或一个含所有级别的图层，二选一"
        en = "give UNITS_LAYERS (one layer per level) or UNITS (one layer with a level field)"
        raise QgsProcessingException(both(zh, en + (", not both" if layers else "")))
    if single is not None:
        level_col = run.text("LEVEL_COL")
        if level_col is None or levels is None:
            msg = "UNITS: one layer of every level needs LEVEL_COL and LEVELS (top to bottom)"
            raise QgsProcessingException(msg)
        path, layer = single
        return {"source": path, "levels": levels, "level_col": level_col, "layer": layer, **common}
    names, sources = _level_layers(layers, levels)
    return {"source": sources, "levels": names, **common}


def _level_layers(
    layers: list[Any], levels: list[str] | dict[str, str] | None
) -> tuple[list[str], dict[str, Any]]:
    """Return the level names top to bottom and ``{level: (file, layer)}`` of the layers."""
    if isinstance(levels, dict):
        msg = "LEVELS: name=value pairs go with one units layer and its level field"
        raise QgsProcessingException(msg)
    by_name = {name: (path, layer) for path, layer, name, _ in layers}
    if levels is None:
        ordered = sorted(layers, key=lambda item: item[3])  # fewest units first: top level
        levels = [name for _, _, name, _ in ordered]
    elif set(levels) != set(by_name):
        if len(levels) != len(layers):
            msg = f"LEVELS names {len(levels)} level(s) for {len(layers)} units layer(s)"
            raise QgsProcessingException(msg)
        by_name = {
            lv: (path, layer) for lv, (path, layer, _, _) in zip(levels, layers, strict=True)
        }
    if len(by_name) != len(layers):
        msg = "UNITS_LAYERS: two layers have the same name; name the levels with LEVELS"
        raise QgsProcessingException(msg)
    return list(levels), {lv: by_name[lv] if by_name[lv][1] else by_name[lv][0] for lv in levels}
