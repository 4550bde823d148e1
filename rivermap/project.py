"""Project files (``rivermap.toml``): a whole job's inputs, parameters and outputs.

A planner keeps one project file beside their data; ``rivermap run
rivermap.toml`` then reads, validates, assigns, flags, redivides and draws the
map and the atlas, writing everything into one output folder. ``rivermap init``
writes a commented :data:`TEMPLATE`.

A project file is one face of :mod:`rivermap.pipeline` (the command line is the
other): :func:`load_project` checks every section and value before any work,
and :func:`run_project` runs the pipeline's steps with the options the
sections give.

Relative paths in a project file are relative to the file's own folder.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from rivermap import params, pipeline
from rivermap._scratch import discard, scratch_dir
from rivermap.errors import OutputExistsError, ParameterError, SchemaError
from rivermap.io import OUTPUT_SUFFIXES
from rivermap.text import term

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_Options = TypeVar("_Options")

__all__ = ["TEMPLATE", "Project", "RunReport", "load_project", "run_project", "write_template"]


def _with_params(text: str) -> str:
    """Return a project file template with the defaults and choices of :mod:`rivermap.params`."""
    p = params
    basemaps = ("none", *("tianditu:<key>" if b == "tianditu" else b for b in p.BASEMAPS))
    return text.format(
        lang=f'"{p.LANG}"',
        langs=" | ".join(p.LANGS),
        min_reach_m=f"{p.MIN_REACH_M:g}",
        boundary_tol_m=f"{p.BOUNDARY_TOL_M:g}",
        boundary_min_m=f"{p.BOUNDARY_MIN_M:g}",
        b_policy=f'"{p.BOUNDARY_POLICY}"',
        b_policies=" | ".join(p.BOUNDARY_POLICIES),
        min_share=f"{p.MIN_SHARE:g}",
        min_length_m=f"{p.MIN_LENGTH_M:g}",
        max_dist_m=f"{p.MAX_DIST_M:g}",
        # a project proposes what flags propose: slivers join the main units
        # (the library's own default, split, cuts wherever the unit changes)
        policy='"majority"',
        policies=" | ".join(p.REDIVIDE_POLICIES),
        min_segment_m=f"{p.MIN_SEGMENT_M:g}",
        tolerance_m=f"{p.EDIT_TOLERANCE_M:g}",
        basemaps=" | ".join(basemaps),
        paper=f'"{p.PAPERS[0]}"',
        papers=" | ".join(p.PAPERS),
        orientation=f'"{p.ORIENTATIONS[0]}"',
        orientations=" | ".join(p.ORIENTATIONS),
    )


#: The commented project file ``rivermap init`` writes; its values are the
#: defaults and its choices those of :mod:`rivermap.params`, but for the plan's
#: policy: ``majority``, the policy of the proposals that flags carry.
TEMPLATE = _with_params(
    """\
# rivermap project file / rivermap 项目文件
# Run it with:  rivermap run rivermap.toml        运行：rivermap run rivermap.toml
# Relative paths are relative to this file's folder. 相对路径相对于本文件所在文件夹。
# Lines starting with # are comments; remove the # to use an option. 去掉 # 即启用该项。

[project]
name = "我的河长制项目 / my river-chief project"
lang = {lang:<24}# {langs}: language of tables, map and atlas 输出语言
output = "out"                 # folder for every output 输出文件夹

[rivers]                       # river lines 河流线
path = "rivers.shp"            # GeoPackage, Shapefile, GeoJSON, GeoParquet …
# layer = "rivers"             # layer of a multi-layer file 图层名
# id_col = "river_id"          # river id column (default: generated R00001 …) 河流编号字段
# name_col = "name"            # river name column (default: name, 名称, 河流名称 …) 河流名称字段
# merge_by = "name"            # join arcs with the same value into one river 按名称合并河段
# encoding = "gbk"             # shapefile text encoding (default: .cpg or detected) 编码
# crs = "GCJ-02"               # CRS of a file without one; GCJ-02 converts Gaode/AMap data 坐标系

[units]                        # administrative units, top level first 行政区划（由上至下）
levels = ["district", "street", "community"]
path = "units.gpkg"            # one layer per level, named as in levels 每级一个图层
# files = {{ district = "district.shp", street = "street.shp", community = "community.shp" }}
# layers = {{ district = "qx", street = "jd", community = "sq" }}   # layer names in path
# level_col = "level"          # or: one layer holding every level, with this column 级别字段
# layer = "admin"              # … in this layer
# id_cols = "code"             # unit id column, or {{ level = column }} 单元编码字段
# name_cols = "name"           # unit name column, or {{ level = column }} 单元名称字段
# parent = "auto"              # auto | codes | containment | a parent-id column 上级关系
# encoding = "gbk"
# crs = "EPSG:4490"

[assign]                       # splitting rivers into reaches 河段划分
min_reach_m = {min_reach_m:<17}# merge shorter pieces into a neighbour 碎段合并阈值（米）
boundary_tol_m = {boundary_tol_m:<14}# within this of a boundary = along it 界河距离容差（米）
boundary_min_m = {boundary_min_m:<14}# shortest boundary reach 界河段最短长度（米）
boundary_policy = {b_policy:<13}# {b_policies}: who answers for a boundary reach 界河责任
# workers = 1                  # threads (default: every core) 线程数（默认：全部核心）
# tiles = "auto"               # in tiles of about N river vertices: bounded memory 分块计算
# scheduler = "tcp://10.0.0.5:8786"   # the tiles on a Dask cluster 在 Dask 集群上计算

[flags]                        # rivers to look at 需关注的河流
min_share = {min_share:<19}# a unit holding less is a sliver 份额阈值
min_length_m = {min_length_m:<16}# … or less than this many metres 长度阈值（米）

[redivide]                     # a proposed redivision 河段调整方案
level = "district"             # the level whose units get the segments 调整层级
policy = {policy:<22}# {policies}
min_segment_m = {min_segment_m}
# min_share = {min_share:<17}# a unit holding less is a sliver 份额阈值
# current = "official_segments.gpkg"   # the official segmentation to compare with 现行河段
# current_id_col = "segment_id"
# current_unit_col = "unit_id"
# edits = "edits.geojson"      # a planner's edits (split / assign / merge) 规划人员的修改
# tolerance_m = {tolerance_m:<15}# how far an edit point may lie from a river 容差（米）

# [chiefs]                     # chief roster (CSV or XLSX, GBK or UTF-8) 河长名录
# roster = "chiefs.csv"
# hotline = "12345"            # hotline printed on signboards 监督电话

# [events]                     # tickets and findings to route 工单（12345/12319、巡河发现、扫码）
# path = "tickets.xlsx"        # CSV/XLSX/GeoJSON/GeoPackage, Chinese or English headers
# crs = "gcj02"                # wgs84 | gcj02 (Gaode 高德) | bd09 (Baidu 百度) | EPSG code
# max_dist_m = {max_dist_m:<13}# farther from every river: unmatched 离河超过此距离不匹配

# [patrols]                    # patrol tracks to judge 巡河轨迹
# path = "tracks/"             # a GPX file or folder, GeoJSON lines, CSV points
# start = "2026-11-01"         # the days counted (default: those of the tracks) 考核起止
# end = "2026-11-30"

# [bulletin]                   # the monthly bulletin 月度通报 (bulletin.html, bulletin.xlsx)
# month = "2026-11"
# level = "community"          # the level ranked (default: the finest) 排名层级
# weights = {{ completion = 0.5, closure_rate_all = 0.3, reporting = 0.2 }}

# [signboards]                 # printable river chief signboards 河长公示牌 (signboards.pdf)
# level = "community"          # the boards of this level's rivers (default: every level)
# hotline = "12345"            # default: that of [chiefs] 监督电话
# url = "https://example.cn/report?board="   # the QR code opens this, the board id appended
# note = "试行稿 / draft"       # a line across the top of every board
# per = "stretch"              # a board per river and unit of level (一河一长 村级分段) | river

# [duties]                     # 巡河要求 (default: the common provincial pattern 默认常见省级要求)
# path = "duties.csv"          # level, period, min_count, months, min_minutes, min_km
# rules = [{{ level = "community", period = "week", min_count = 1, months = "3-12" }}]

[map]                          # the interactive map (one offline HTML file) 交互地图
# level = "street"             # colour rivers by this level (default: the finest) 着色层级
basemap = "none"               # {basemaps}, or several: "osm,tianditu"
                               # (switched in the map, the first shown; gaode only alone;
                               # all but none need a network)
# region = "330100"            # draw one unit only (a province, city …) 只画一个区域

[atlas]                        # the printable PDF atlas 图册
# by = "street"                # one page per unit of this level 分幅层级
paper = {paper:<23}# {papers}
# orientation = {orientation:<15}# {orientations}
# credit = "data: …"           # the data source line on the overview page 数据来源

[outputs]                      # file names in the output folder; false skips one 输出文件
responsibility = "responsibility.gpkg"
flags = "flags.xlsx"
plan = "plan.gpkg"
plan_tables = "plan.xlsx"
chiefs = "chiefs.xlsx"
map = "map.html"
atlas = "atlas.pdf"
# routed = "routed.xlsx"       # with [events] 工单分派结果
# patrols = "patrols.xlsx"     # with [patrols] 巡河考核
# bulletin = "bulletin.html"   # with [bulletin] 月度通报
# bulletin_tables = "bulletin.xlsx"
# signboards = "signboards.pdf"   # with [signboards] 河长公示牌
# qml = true                   # QGIS styles beside each GeoPackage too: <name>.<layer>.qml 样式文件
"""
)

_DEFAULT_OUTPUTS = {
    "responsibility": "responsibility.gpkg",
    "flags": "flags.xlsx",
    "plan": "plan.gpkg",
    "plan_tables": "plan.xlsx",
    "chiefs": "chiefs.xlsx",
    "map": "map.html",
    "atlas": "atlas.pdf",
    "routed": "routed.xlsx",
    "patrols": "patrols.xlsx",
    "synthetic": "synthetic",
    "bulletin": "bulletin.html",
    "bulletin_tables": "bulletin.xlsx",
    "signboards": "signboards.pdf",
}
#: The kind of file each output is (:data:`rivermap.io.OUTPUT_SUFFIXES`); the
#: synthetic output is a folder.
_OUTPUT_KINDS = {
    "responsibility": "gpkg",
    "flags": "tables",
    "plan": "gpkg",
    "plan_tables": "tables",
    "chiefs": "tables",
    "map": "html",
    "atlas": "pdf",
    "routed": "events",
    "patrols": "xlsx",
    "bulletin": "html",
    "bulletin_tables": "xlsx",
    "signboards": "pdf",
}
_SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "project": {"name": str, "lang": str, "output": str},
    "rivers": {
        "path": str,
        "layer": str,
        "id_col": str,
        "name_col": str,
        "merge_by": str,
        "encoding": str,
        "crs": (str, int),
    },
    "units": {
        "levels": (list, dict),
        "path": str,
        "files": dict,
        "layers": dict,
        "level_col": str,
        "layer": str,
        "id_cols": (str, dict),
        "name_cols": (str, dict),
        "parent": str,
        "encoding": str,
        "crs": (str, int),
    },
    "assign": {
        "min_reach_m": (int, float),
        "boundary_tol_m": (int, float),
        "boundary_min_m": (int, float),
        "boundary_policy": str,
        "workers": int,
        "tiles": (str, int),
        "scheduler": str,
    },
    "flags": {"min_share": (int, float), "min_length_m": (int, float)},
    "redivide": {
        "level": str,
        "policy": str,
        "min_segment_m": (int, float),
        "min_share": (int, float),
        "current": str,
        "current_id_col": str,
        "current_unit_col": str,
        "tolerance_m": (int, float),
        "edits": str,
    },
    "chiefs": {"roster": str, "hotline": str},
    "events": {
        "path": str,
        "crs": (str, int),
        "encoding": str,
        "max_dist_m": (int, float),
        "synthetic": str,
    },
    "patrols": {
        "path": str,
        "crs": (str, int),
        "start": str,
        "end": str,
        "patrol_tol_m": (int, float),
        "max_speed_kmh": (int, float),
        "synthetic": str,
    },
    "duties": {"path": str, "rules": list},
    "bulletin": {"month": str, "level": str, "weights": dict},
    "signboards": {"level": str, "hotline": str, "url": str, "note": str, "per": str},
    "map": {"level": str, "basemap": str, "region": str},
    "atlas": {
        "by": str,
        "paper": str,
        "orientation": str,
        "credit": str,
        "title": str,
        "empty_units": bool,
    },
    # a file name, true for the default one or false to skip the output; qml: whether
    # the QGIS styles are also written as .qml files beside each GeoPackage
    "outputs": {**dict.fromkeys(_DEFAULT_OUTPUTS, (str, bool)), "qml": bool},
}
#: A month as a project file names one (the synthetic month of a demo).
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_REQUIRED = {"rivers": ("path",), "units": ("levels",)}
_PATH_KEYS = {
    "rivers": ("path",),
    "units": ("path",),
    "redivide": ("current", "edits"),
    "chiefs": ("roster",),
    "events": ("path",),
    "patrols": ("path",),
    "duties": ("path",),
}
#: The outputs that may be GeoPackages with QGIS styles, and the kind of package each is.
_STYLED_OUTPUTS = {"responsibility": "responsibility", "plan": "plan", "routed": "events"}
#: The options naming a level, checked once the units are read.
_LEVEL_KEYS = (("redivide", "level"), ("map", "level"), ("atlas", "by"))


@dataclass(frozen=True)
class Project:
    """A parsed project file. Build one with :func:`load_project`.

    Attributes
    ----------
    path
        The project file.
    sections
        ``{section: {key: value}}`` with relative paths resolved against the
        file's folder.
    output
        The output folder (an absolute path).
    lang
        ``"zh"`` or ``"en"``.
    outputs
        ``{output: file name}`` of the outputs to write (skipped ones left out).
    qml
        Whether each GeoPackage's QGIS styles are also written beside it as
        ``<stem>.<layer>.qml`` (``[outputs] qml = true``).
    """

    path: Path
    sections: dict[str, dict[str, Any]]
    output: Path
    lang: str = params.LANG
    outputs: dict[str, str] = field(default_factory=dict)
    qml: bool = False

    @property
    def name(self) -> str:
        """Return the project's name (the file's stem when it has none)."""
        return str(self.sections.get("project", {}).get("name", self.path.stem))

    def section(self, name: str) -> dict[str, Any]:
        """Return a copy of one section (empty when absent)."""
        return dict(self.sections.get(name, {}))

    def inputs(self) -> pipeline.Inputs:
        """Return where ``[rivers]`` and ``[units]`` say the data comes from."""
        rivers = self.section("rivers")
        units = self.section("units")
        files, path, layers = (units.pop(key, None) for key in ("files", "path", "layers"))
        source: Any = path
        if files is not None:
            source = dict(files)
        elif layers is not None:
            source = {level: (path, layer) for level, layer in layers.items()}
        return pipeline.Inputs(pipeline.RiverInput(**rivers), pipeline.UnitInput(source, **units))

    def levels_named(self) -> dict[str, str | None]:
        """Return the levels the sections name, by where they are named."""
        return {
            _where(self.path, name, key): self.sections.get(name, {}).get(key)
            for name, key in _LEVEL_KEYS
        }

    def options(self, cls: type[_Options], name: str) -> _Options:
        """Return the options ``cls`` of a step as section ``name`` sets them (defaults elsewhere).

        Examples
        --------
        >>> from rivermap.datasets import project_path
        >>> project = load_project(project_path("zhejiang"))
        >>> project.options(pipeline.RedivideOptions, "redivide").policy
        'majority'
        >>> project.options(pipeline.MapOptions, "map")
        MapOptions(level=None, basemap='none', tianditu_key=None, simplify_m=None, region=None)
        """
        return cls(**self.section(name))

    def qml_files(self) -> list[str]:
        """Return the names of the ``.qml`` files the run writes beside its GeoPackages.

        Examples
        --------
        >>> from rivermap.datasets import project_path
        >>> project = load_project(project_path("zhejiang"))
        >>> project.qml_files()
        []
        >>> import dataclasses
        >>> dataclasses.replace(project, qml=True).qml_files()[:2]
        ['responsibility.reaches.qml', 'responsibility.rivers.qml']
        """
        if not self.qml:
            return []
        from rivermap._qgis import STYLED, qml_paths

        names = []
        for output, kind in _STYLED_OUTPUTS.items():
            name = self.outputs.get(output)
            if name is not None and name.lower().endswith(".gpkg"):
                names += [p.name for p in qml_paths(name, STYLED[kind]).values()]
        return names


# ======================================================================= load
def load_project(
    path: str | os.PathLike[str], *, output: str | os.PathLike[str] | None = None
) -> Project:
    """Read and check a project file.

    Parameters
    ----------
    path
        A ``rivermap.toml``.
    output
        Use this output folder instead of the file's ``[project] output``.

    Returns
    -------
    Project
        With its output folder resolved to an absolute path.

    Raises
    ------
    SchemaError
        Unknown sections or keys, wrong value types, missing required keys,
        input files that do not exist; the message names the file and key.
    ParameterError
        A value out of range or not one of its choices (``[flags] min_share =
        2``, ``[atlas] paper = "A5"``); the message names the file and key.

    Examples
    --------
    >>> from rivermap.datasets import project_path
    >>> project = load_project(project_path("zhejiang"))
    >>> project.section("units")["levels"]
    ['province', 'city', 'district']
    >>> sorted(project.outputs)[:3]
    ['atlas', 'bulletin', 'bulletin_tables']
    >>> project.output.is_absolute() and ".." not in project.output.parts
    True
    """
    p = Path(path)
    sections = _check_sections(p, _read_toml(p))
    root = p.resolve().parent
    _resolve_paths(root, sections)
    _check_files(p, sections)
    meta = sections.get("project", {})
    out_dir = Path(output) if output is not None else _resolve(root, meta.get("output", "out"))
    lang = str(meta.get("lang", params.LANG))
    qml = bool(sections.get("outputs", {}).get("qml", False))
    return Project(p, sections, out_dir.resolve(), lang, _outputs(p, sections), qml)


def _where(path: Path, section: str, key: str) -> str:
    """Return where a value is, for messages: ``rivermap.toml: [flags] min_share``."""
    return f"{path}: [{section}] {key}"


def _read_toml(path: Path) -> dict[str, Any]:
    """Return the parsed TOML of a project file; a SchemaError naming it when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad writes a BOM
    except FileNotFoundError:
        msg = f"{path}: project file not found (write one with 'rivermap init {path}')"
        raise SchemaError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{path}: a project file must be UTF-8 text ({exc.reason} at byte {exc.start})"
        raise SchemaError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read the project file ({exc.strerror})"
        raise SchemaError(msg) from None
    if not text.strip():
        msg = f"{path}: the project file is empty (write one with 'rivermap init {path.name}')"
        raise SchemaError(msg)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise SchemaError(msg) from None


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _resolve_paths(root: Path, sections: dict[str, dict[str, Any]]) -> None:
    """Resolve the input paths of every section against the project file's folder."""
    for name, keys in _PATH_KEYS.items():
        for key in keys:
            if key in sections.get(name, {}):
                sections[name][key] = _resolve(root, sections[name][key])
    units = sections.get("units", {})
    if "files" in units:
        units["files"] = {lv: _resolve(root, f) for lv, f in units["files"].items()}


def _check_files(path: Path, sections: dict[str, dict[str, Any]]) -> None:
    """Refuse input files that do not exist, naming the section and key."""
    named = {
        f"[{name}] {key}": sections.get(name, {}).get(key)
        for name, keys in _PATH_KEYS.items()
        for key in keys
    }
    units = sections.get("units", {})
    named.update({f"[units] files.{lv}": f for lv, f in units.get("files", {}).items()})
    for where, value in named.items():
        if value is not None and not Path(value).exists():
            msg = f"{path}: {where} = {value}: no such file"
            raise SchemaError(msg)
    if "path" not in units and "files" not in units:
        msg = f"{path}: [units] needs path (one layer per level, or level_col) or files"
        raise SchemaError(msg)


def _outputs(path: Path, sections: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Return ``{output: file name}`` of the outputs to write."""
    wanted = {**_DEFAULT_OUTPUTS, **sections.get("outputs", {})}
    wanted.pop("qml", None)  # not a file: see Project.qml_files
    outputs: dict[str, str] = {}
    for key, value in wanted.items():
        if value is True:
            outputs[key] = _DEFAULT_OUTPUTS[key]
        elif isinstance(value, str) and value:
            if Path(value).name != value:
                msg = f"{path}: [outputs] {key} = {value!r}: give a file name, not a path"
                raise SchemaError(msg)
            allowed = OUTPUT_SUFFIXES.get(_OUTPUT_KINDS.get(key, ""), ())
            if allowed and Path(value).suffix.lower() not in allowed:
                msg = f"{path}: [outputs] {key} = {value!r}: write it as {' or '.join(allowed)}"
                raise ParameterError(msg)
            outputs[key] = value
    if "chiefs" not in sections:
        outputs.pop("chiefs", None)
    if "redivide" not in sections:
        outputs.pop("plan", None)
        outputs.pop("plan_tables", None)
    for section, output in (("events", "routed"), ("patrols", "patrols"),
                            ("bulletin", "bulletin"), ("bulletin", "bulletin_tables"),
                            ("signboards", "signboards")):  # fmt: skip
        if section not in sections:
            outputs.pop(output, None)
    if not any("synthetic" in sections.get(s, {}) for s in ("events", "patrols")):
        outputs.pop("synthetic", None)
    return outputs


def _check_sections(path: Path, raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the sections, checked: known sections and keys, types and values, required keys."""
    out: dict[str, dict[str, Any]] = {}
    for name, body in raw.items():
        if name not in _SECTIONS:
            msg = f"{path}: unknown section [{name}]; known: {', '.join(_SECTIONS)}"
            raise SchemaError(msg)
        if not isinstance(body, dict):
            msg = f"{path}: {name} must be a [{name}] section"
            raise SchemaError(msg)
        for key, value in body.items():
            _check_type(path, name, key, value)
        pipeline.check_options(body, partial(_where, path, name))
        out[name] = dict(body)
    for name, keys in _REQUIRED.items():
        for key in keys:
            if key not in out.get(name, {}):
                msg = f"{path}: [{name}] {key} is required"
                raise SchemaError(msg)
    for name in ("events", "patrols"):
        if name in out and ("path" in out[name]) == ("synthetic" in out[name]):
            msg = f"{path}: [{name}] needs path (a file or folder) or synthetic (a month), not both"
            raise SchemaError(msg)
        month = out.get(name, {}).get("synthetic")
        if month is not None and not _MONTH.fullmatch(month):
            msg = f"{path}: [{name}] synthetic = {month!r}: give a month as 'YYYY-MM' (2026-11)"
            raise SchemaError(msg)
    _check_bulletin(path, out)
    return out


def _check_bulletin(path: Path, out: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse a [bulletin] without a month (its own, or a synthetic one) or a bad one."""
    if "bulletin" not in out:
        return
    month = out["bulletin"].get("month") or next(
        (out[s]["synthetic"] for s in ("events", "patrols") if "synthetic" in out.get(s, {})),
        None,
    )
    if month is None or not _MONTH.fullmatch(str(month)):
        msg = f"{path}: [bulletin] month = {month!r}: give the month as 'YYYY-MM' (2026-11)"
        raise SchemaError(msg)
    from rivermap.bulletin_tables import score_rule

    try:
        score_rule(out["bulletin"].get("weights"))
    except (ParameterError, TypeError) as exc:
        raise SchemaError(f"{path}: [bulletin] {exc}") from None


def _check_type(path: Path, name: str, key: str, value: Any) -> None:
    """Refuse an unknown key or a value of the wrong type (a bool is not a number)."""
    known = _SECTIONS[name]
    if key not in known:
        msg = f"{path}: [{name}] unknown key {key!r}; known: {', '.join(known)}"
        raise SchemaError(msg)
    kind = known[key]
    kinds: tuple[type, ...] = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        want = " or ".join(k.__name__ for k in kinds)
        msg = f"{path}: [{name}] {key} must be {want}, not {value!r}"
        raise SchemaError(msg)


def write_template(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the commented :data:`TEMPLATE` to ``path`` (atomically).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_template(pathlib.Path(tempfile.mkdtemp()) / "rivermap.toml")
    >>> "[redivide]" in out.read_text(encoding="utf-8")
    True
    """
    from rivermap.io import atomic_output

    final = Path(path)
    with atomic_output(final, overwrite=overwrite) as tmp:
        tmp.write_text(TEMPLATE, encoding="utf-8")
    return final


# ======================================================================== run
@dataclass
class RunReport:
    """What :func:`run_project` did: the files written, the findings and the timings.

    ``findings`` and ``seconds`` are keyed by step: ``findings`` holds
    ``validation``, ``flags``, ``changes`` (segments that change hands) and
    ``roster`` (gaps of the chief roster) for the steps that ran.
    """

    output: Path
    files: list[Path] = field(default_factory=list)
    findings: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    result: Any = None  # the Responsibility
    problems: Any = None  # the validation report (a DataFrame)


def run_project(
    project: Project,
    *,
    overwrite: bool = False,
    progress: bool = False,
    echo: Callable[[str], None] | None = None,
) -> RunReport:
    """Run a project: validate → assign → flags → redivide → chiefs → map → atlas.

    Every output is written into a staging folder beside the output folder,
    ``.rivermap-<pid>-<host>-<output>.<random>`` (see :mod:`rivermap._scratch`),
    and moved into place only when every step has succeeded, so a failed run
    leaves no half-written output behind. A run killed outright leaves the
    staging folder; the next run removes it, with a
    :class:`~rivermap.errors.RivermapWarning` saying so.

    Parameters
    ----------
    project
        From :func:`load_project`.
    overwrite
        Replace outputs that already exist; without it an existing output
        raises :class:`~rivermap.errors.OutputExistsError` before any work.
    progress
        Show progress bars.
    echo
        Called with one line per step (e.g. ``print``); None is silent.

    Returns
    -------
    RunReport
        The files written, the findings and the timings.
    """
    _refuse_existing(project, overwrite=overwrite)
    out_dir = project.output
    staging = scratch_dir(out_dir)
    run = _Run(project, staging, RunReport(out_dir), progress=progress)
    try:
        _run_steps(run, echo or (lambda _line: None))
        _move_outputs(run)
    finally:
        discard(staging)
    return run.report


def _refuse_existing(project: Project, *, overwrite: bool) -> None:
    """Refuse, before any work, outputs that exist when ``overwrite`` is not given."""
    out_dir = project.output
    files = [*project.outputs.values(), *project.qml_files()]
    existing = [out_dir / f for f in files if (out_dir / f).exists()]
    if existing and not overwrite:
        names = ", ".join(str(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        msg = f"{names}{more} already exist(s); use --overwrite to replace"
        raise OutputExistsError(msg)


@dataclass
class _Run:
    """A run in progress: where it writes, and each step's result for the next."""

    project: Project
    staging: Path
    report: RunReport
    progress: bool = False
    notes: list[str] = field(default_factory=list)
    rivers: Any = None
    units: Any = None
    resp: Any = None
    flags: Any = None
    plan: Any = None
    events: Any = None  # routed reports
    patrols: Any = None  # a PatrolCoverage
    synthetic: dict[str, Path] | None = None  # the synthetic month's files

    def out(self, output: str) -> Path | None:
        """Return where an output is staged, or None when the project skips it."""
        name = self.project.outputs.get(output)
        return None if name is None else self.staging / name


def _run_steps(run: _Run, say: Callable[[str], None]) -> None:
    """Run every step the project asks for, saying and timing each."""
    for name, wanted, step in _STEPS:
        if not wanted(run.project):
            continue
        t0 = time.perf_counter()
        say(f"… {term(f'msg.step.{name}', run.project.lang)}")
        step(run)
        run.report.seconds[name] = time.perf_counter() - t0


def _move_outputs(run: _Run) -> None:
    """Move the staged outputs into the output folder."""
    out_dir = run.report.output
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in [*run.project.outputs.values(), *run.project.qml_files()]:
        src, dst = run.staging / name, out_dir / name
        if src.exists():
            if src.is_dir() and dst.is_dir():
                # a folder cannot replace a folder: the old one moves into staging
                # (removed with it), and the new one takes its place at once; no
                # slow rmtree between the two renames
                os.replace(dst, run.staging / f"{name}.replaced")
            os.replace(src, dst)
            run.report.files.append(dst)


def _read(run: _Run) -> None:
    run.rivers, run.units = pipeline.read_inputs(run.project.inputs(), notes=run.notes)
    pipeline.check_levels(run.units.levels, run.project.levels_named())


def _validate(run: _Run) -> None:
    problems = pipeline.validate(run.rivers, run.units, run.notes)
    run.report.problems = problems
    run.report.findings["validation"] = len(problems)
    run.units.require_consistent()


def _assign(run: _Run) -> None:
    p = run.project
    roster = p.section("chiefs").get("roster")
    options = p.options(pipeline.AssignOptions, "assign")
    run.resp = pipeline.assign(run.rivers, run.units, options, roster=roster, progress=run.progress)
    run.report.result = run.resp


def _flags(run: _Run) -> None:
    p = run.project
    options = p.options(pipeline.FlagOptions, "flags")
    run.flags = pipeline.flag_rivers(run.resp, options, path=run.out("flags"), lang=p.lang)
    run.report.findings["flags"] = len(run.flags)
    path = run.out("responsibility")
    if path is not None:
        level = p.section("map").get("level")  # the QGIS styles colour by the map's level
        pipeline.save_responsibility(
            run.resp, path, flags=run.flags, level=level, lang=p.lang, qml=p.qml
        )


def _redivide(run: _Run) -> None:
    p = run.project
    options = p.options(pipeline.RedivideOptions, "redivide")
    tables = run.out("plan_tables")
    run.plan = pipeline.redivide(
        run.resp, options, path=run.out("plan"), tables=tables, lang=p.lang, qml=p.qml
    )
    run.report.findings["changes"] = len(run.plan.diff().changes)


def _chiefs(run: _Run) -> None:
    p = run.project
    hotline = p.section("chiefs").get("hotline")
    gaps = pipeline.check_roster(run.resp, path=run.out("chiefs"), hotline=hotline, lang=p.lang)
    run.report.findings["roster"] = len(gaps)


#: How many months a synthetic ``[events]``/``[patrols]`` month writes: it and
#: the ones before it, so that the bulletin shows month over month and a trend.
SYNTHETIC_MONTHS = 3


def _synthetic(run: _Run) -> dict[str, Path]:
    """Write (once) the synthetic month a demo project routes and judges; return its files."""
    if run.synthetic is None:
        from rivermap.synth import write_month

        p = run.project
        month = p.section("events").get("synthetic") or p.section("patrols").get("synthetic")
        folder = run.staging / p.outputs.get("synthetic", "synthetic")
        run.synthetic = write_month(run.resp, folder, month=str(month), months=SYNTHETIC_MONTHS)
    return run.synthetic


def _route(run: _Run) -> None:
    p = run.project
    spec = p.section("events")
    synthetic = spec.pop("synthetic", None)
    if synthetic is not None:  # the demo's month, written as Gaode apps record it
        spec.update(path=_synthetic(run)["events"], crs="gcj02")
    run.events = pipeline.route(run.resp, spec.pop("path"), **spec, lang=p.lang)
    run.events.attrs["synthetic"] = synthetic is not None
    out = run.out("routed")
    if out is not None:
        from rivermap.routing import write_events

        write_events(run.events, out, lang=p.lang, qml=p.qml and out.suffix.lower() == ".gpkg")
    run.report.findings["unmatched"] = int((run.events["match"] == "unmatched").sum())


def _patrols(run: _Run) -> None:
    p = run.project
    spec = p.section("patrols")
    synthetic = spec.pop("synthetic", None)
    if synthetic is not None:
        spec["path"] = _synthetic(run)["tracks"]
        import pandas as pd

        last = pd.Period(synthetic, freq="M")
        spec.setdefault("start", str((last - (SYNTHETIC_MONTHS - 1)).start_time.date()))
        spec.setdefault("end", str(last.end_time.date()))
    duties = p.section("duties")
    rules = duties.get("path") or duties.get("rules")
    run.patrols = pipeline.judge_patrols(run.resp, spec.pop("path"), duties=rules, **spec)
    if synthetic is not None:
        run.patrols.patrols.attrs["synthetic"] = True
    out = run.out("patrols")
    if out is not None:
        run.patrols.to_excel(out, lang=p.lang, note=_note(synthetic is not None))
    run.report.findings["short_duty"] = int((run.patrols.people["met"] == False).sum())  # noqa: E712


def _bulletin(run: _Run) -> None:
    from rivermap.bulletin import bulletin

    p = run.project
    spec = p.section("bulletin")
    month = spec.get("month") or next(
        p.section(s)["synthetic"] for s in ("events", "patrols") if "synthetic" in p.section(s)
    )
    synthetic = any("synthetic" in p.section(s) for s in ("events", "patrols"))
    b = bulletin(
        run.resp, events=run.events, patrols=run.patrols, month=month, level=spec.get("level"),
        weights=spec.get("weights"), note=_note(synthetic), lang=p.lang,
    )  # fmt: skip
    for output, write in (("bulletin", b.to_html), ("bulletin_tables", b.to_excel)):
        out = run.out(output)
        if out is not None:
            write(out, lang=p.lang)
    run.report.findings["silent"] = int(b.tables["ranking"]["silent"].sum())


def _signboards(run: _Run) -> None:
    from rivermap.maps.signboards import signboards

    p = run.project
    spec = p.section("signboards")
    hotline = spec.get("hotline") or p.section("chiefs").get("hotline")
    signboards(
        run.resp, run.staging / p.outputs["signboards"], level=spec.get("level"), hotline=hotline,
        url=spec.get("url"), note=spec.get("note"), per=spec.get("per", "river"), lang=p.lang,
    )  # fmt: skip


def _note(synthetic: bool) -> str | None:
    """Return the synthetic-data note in Chinese and English, when the data is synthetic."""
    if not synthetic:
        return None
    return f"{term('msg.synthetic', 'zh')} / {term('msg.synthetic', 'en')}"


def _map(run: _Run) -> None:
    p = run.project
    path = run.staging / p.outputs["map"]
    options = p.options(pipeline.MapOptions, "map")
    synthetic = any("synthetic" in p.section(s) for s in ("events", "patrols"))
    pipeline.draw_map(
        run.resp, path, options, lang=p.lang, flags=run.flags, plan=run.plan,
        events=run.events, patrols=run.patrols, note=_note(synthetic),
    )  # fmt: skip


def _atlas(run: _Run) -> None:
    p = run.project
    path = run.staging / p.outputs["atlas"]
    options = p.options(pipeline.AtlasOptions, "atlas")
    pipeline.make_atlas(run.resp, path, options, lang=p.lang, plan=run.plan, progress=run.progress)


def _always(_project: Project) -> bool:
    return True


#: The steps of a run in order: ``(name, whether the project asks for it, step)``.
_STEPS: list[tuple[str, Callable[[Project], bool], Callable[[_Run], None]]] = [
    ("read", _always, _read),
    ("validate", _always, _validate),
    ("assign", _always, _assign),
    ("flags", _always, _flags),
    ("redivide", lambda p: "redivide" in p.sections, _redivide),
    ("chiefs", lambda p: "roster" in p.section("chiefs"), _chiefs),
    ("route", lambda p: "events" in p.sections, _route),
    ("patrols", lambda p: "patrols" in p.sections, _patrols),
    ("bulletin", lambda p: "bulletin" in p.sections, _bulletin),
    ("map", lambda p: "map" in p.outputs, _map),
    ("atlas", lambda p: "atlas" in p.outputs, _atlas),
    ("signboards", lambda p: "signboards" in p.outputs, _signboards),
]
