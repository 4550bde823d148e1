"""Project files (``rivermap.toml``): a whole job's inputs, parameters and outputs.

A planner keeps one project file beside their data; ``rivermap run
rivermap.toml`` then reads, validates, assigns, flags, redivides and draws the
map and the atlas, writing everything into one output folder. ``rivermap init``
writes a commented :data:`TEMPLATE`.

Relative paths in a project file are relative to the file's own folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rivermap.errors import OutputExistsError, SchemaError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["TEMPLATE", "Project", "RunReport", "load_project", "run_project", "write_template"]

#: The commented project file ``rivermap init`` writes.
TEMPLATE = """\
# rivermap project file / rivermap 项目文件
# Run it with:  rivermap run rivermap.toml        运行：rivermap run rivermap.toml
# Relative paths are relative to this file's folder. 相对路径相对于本文件所在文件夹。
# Lines starting with # are comments; remove the # to use an option. 去掉 # 即启用该项。

[project]
name = "我的河长制项目 / my river-chief project"
lang = "zh"                    # zh | en: language of tables, map and atlas 输出语言
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
# files = { district = "district.shp", street = "street.shp", community = "community.shp" }
# layers = { district = "qx", street = "jd", community = "sq" }   # layer names in path
# level_col = "level"          # or: one layer holding every level, with this column 级别字段
# layer = "admin"              # … in this layer
# id_cols = "code"             # unit id column, or { level = column } 单元编码字段
# name_cols = "name"           # unit name column, or { level = column } 单元名称字段
# parent = "auto"              # auto | codes | containment | a parent-id column 上级关系
# encoding = "gbk"
# crs = "EPSG:4490"

[assign]                       # splitting rivers into reaches 河段划分
min_reach_m = 50               # merge shorter pieces into a neighbour 碎段合并阈值（米）
boundary_tol_m = 20            # within this of a boundary = along it 界河距离容差（米）
boundary_min_m = 200           # shortest boundary reach 界河段最短长度（米）
boundary_policy = "bank"       # bank | parent | lead: who answers for a boundary reach 界河责任
# workers = 1                  # threads (default: every core) 线程数（默认：全部核心）

[flags]                        # rivers to look at 需关注的河流
min_share = 0.05               # a unit holding less is a sliver 份额阈值
min_length_m = 200             # … or less than this many metres 长度阈值（米）

[redivide]                     # a proposed redivision 河段调整方案
level = "district"             # the level whose units get the segments 调整层级
policy = "majority"            # split | majority | parent
min_segment_m = 200
# current = "official_segments.gpkg"   # the official segmentation to compare with 现行河段
# current_id_col = "segment_id"
# current_unit_col = "unit_id"
# edits = "edits.geojson"      # a planner's edits (split / assign / merge) 规划人员的修改

# [chiefs]                     # chief roster (CSV or XLSX, GBK or UTF-8) 河长名录
# roster = "chiefs.csv"
# hotline = "12345"            # hotline printed on signboards 监督电话

[map]                          # the interactive map (one offline HTML file) 交互地图
# level = "street"             # colour rivers by this level (default: the finest) 着色层级
basemap = "none"               # none | osm | gaode | tianditu:<key> (all but none need a network)

[atlas]                        # the printable PDF atlas 图册
# by = "street"                # one page per unit of this level 分幅层级
paper = "A4"                   # A4 | A3
# credit = "data: …"           # the data source line on the overview page 数据来源

[outputs]                      # file names in the output folder; false skips one 输出文件
responsibility = "responsibility.gpkg"
flags = "flags.xlsx"
plan = "plan.gpkg"
plan_tables = "plan.xlsx"
chiefs = "chiefs.xlsx"
map = "map.html"
atlas = "atlas.pdf"
"""

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
    "map": {"level": str, "basemap": str},
    "atlas": {
        "by": str,
        "paper": str,
        "orientation": str,
        "credit": str,
        "title": str,
        "empty_units": bool,
    },
    "outputs": {
        "responsibility": (str, bool),
        "flags": (str, bool),
        "plan": (str, bool),
        "plan_tables": (str, bool),
        "chiefs": (str, bool),
        "map": (str, bool),
        "atlas": (str, bool),
    },
}
_REQUIRED = {"rivers": ("path",), "units": ("levels",)}
_DEFAULT_OUTPUTS = {
    "responsibility": "responsibility.gpkg",
    "flags": "flags.xlsx",
    "plan": "plan.gpkg",
    "plan_tables": "plan.xlsx",
    "chiefs": "chiefs.xlsx",
    "map": "map.html",
    "atlas": "atlas.pdf",
}
_PATH_KEYS = {
    "rivers": ("path",),
    "units": ("path",),
    "redivide": ("current", "edits"),
    "chiefs": ("roster",),
}


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
        The output folder.
    lang
        ``"zh"`` or ``"en"``.
    outputs
        ``{output: file name}`` of the outputs to write (skipped ones left out).
    """

    path: Path
    sections: dict[str, dict[str, Any]]
    output: Path
    lang: str = "zh"
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The project's name (the file's stem when it has none)."""
        return str(self.sections.get("project", {}).get("name", self.path.stem))

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one section (empty when absent)."""
        return dict(self.sections.get(name, {}))


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

    Raises
    ------
    SchemaError
        Unknown sections or keys, wrong value types, missing required keys,
        input files that do not exist; the message names the file and key.

    Examples
    --------
    >>> from rivermap.datasets import project_path
    >>> project = load_project(project_path("zhejiang"))
    >>> project.section("units")["levels"]
    ['province', 'city', 'district']
    >>> sorted(project.outputs)[:3]
    ['atlas', 'chiefs', 'flags']
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{p}: project file not found (write one with 'rivermap init {p}')"
        raise SchemaError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{p}: a project file must be UTF-8 text ({exc.reason} at byte {exc.start})"
        raise SchemaError(msg) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{p}: not valid TOML: {exc}"
        raise SchemaError(msg) from None
    sections = _check_sections(p, raw)
    root = p.resolve().parent
    for name, keys in _PATH_KEYS.items():
        for key in keys:
            if key in sections.get(name, {}):
                sections[name][key] = _resolve(root, sections[name][key])
    units = sections.get("units", {})
    if "files" in units:
        units["files"] = {lv: _resolve(root, f) for lv, f in units["files"].items()}
    for name, keys in _PATH_KEYS.items():
        for key in keys:
            value = sections.get(name, {}).get(key)
            if value is not None and not Path(value).exists():
                msg = f"{p}: [{name}] {key} = {value}: no such file"
                raise SchemaError(msg)
    for lv, f in units.get("files", {}).items():
        if not Path(f).exists():
            msg = f"{p}: [units] files.{lv} = {f}: no such file"
            raise SchemaError(msg)
    if "path" not in units and "files" not in units:
        msg = f"{p}: [units] needs path (one layer per level, or level_col) or files"
        raise SchemaError(msg)
    meta = sections.get("project", {})
    lang = str(meta.get("lang", "zh"))
    if lang not in ("zh", "en"):
        msg = f"{p}: [project] lang must be 'zh' or 'en', not {lang!r}"
        raise SchemaError(msg)
    out_dir = Path(output) if output is not None else _resolve(root, meta.get("output", "out"))
    wanted = {**_DEFAULT_OUTPUTS, **sections.get("outputs", {})}
    outputs: dict[str, str] = {}
    for key, value in wanted.items():
        if value is True:
            outputs[key] = _DEFAULT_OUTPUTS[key]
        elif isinstance(value, str) and value:
            if Path(value).name != value:
                msg = f"{p}: [outputs] {key} = {value!r}: give a file name, not a path"
                raise SchemaError(msg)
            outputs[key] = value
    if "chiefs" not in sections:
        outputs.pop("chiefs", None)
    if "redivide" not in sections:
        outputs.pop("plan", None)
        outputs.pop("plan_tables", None)
    return Project(p, sections, Path(out_dir), lang, outputs)


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _check_sections(path: Path, raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, body in raw.items():
        if name not in _SECTIONS:
            msg = f"{path}: unknown section [{name}]; known: {', '.join(_SECTIONS)}"
            raise SchemaError(msg)
        if not isinstance(body, dict):
            msg = f"{path}: {name} must be a [{name}] section"
            raise SchemaError(msg)
        known = _SECTIONS[name]
        for key, value in body.items():
            if key not in known:
                msg = f"{path}: [{name}] unknown key {key!r}; known: {', '.join(known)}"
                raise SchemaError(msg)
            kinds = known[key]
            if not isinstance(value, kinds) or (
                isinstance(value, bool) and bool not in _tuple(kinds)
            ):
                want = " or ".join(k.__name__ for k in _tuple(kinds))
                msg = f"{path}: [{name}] {key} must be {want}, not {value!r}"
                raise SchemaError(msg)
            if key == "workers" and isinstance(value, int) and value < 1:
                msg = f"{path}: [{name}] workers must be 1 or more, not {value!r}"
                raise SchemaError(msg)
        out[name] = dict(body)
    for name, keys in _REQUIRED.items():
        for key in keys:
            if key not in out.get(name, {}):
                msg = f"{path}: [{name}] {key} is required"
                raise SchemaError(msg)
    return out


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


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


# ======================================================================= run
@dataclass
class RunReport:
    """What :func:`run_project` did: the files written, the findings and the timings."""

    output: Path
    files: list[Path] = field(default_factory=list)
    findings: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
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

    Every output is written into a temporary folder beside the output folder
    and moved into place only when every step has succeeded, so a failed run
    leaves no half-written output behind.

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
    """
    say = echo or (lambda _line: None)
    zh = project.lang == "zh"
    out_dir = project.output
    existing = [out_dir / f for f in project.outputs.values() if (out_dir / f).exists()]
    if existing and not overwrite:
        names = ", ".join(str(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        msg = f"{names}{more} already exist(s); use --overwrite to replace"
        raise OutputExistsError(msg)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    report = RunReport(out_dir)
    try:
        _run_steps(project, staging, report, progress=progress, say=say, zh=zh)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in project.outputs.values():
            src = staging / name
            if src.exists():
                os.replace(src, out_dir / name)
                report.files.append(out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _run_steps(
    project: Project,
    staging: Path,
    report: RunReport,
    *,
    progress: bool,
    say: Callable[[str], None],
    zh: bool,
) -> None:
    import rivermap as rm
    from rivermap.flags import write_flags
    from rivermap.validate import validate_inputs

    lang = project.lang
    outputs = project.outputs

    def step(label_zh: str, label_en: str) -> Callable[[], None]:
        t0 = time.perf_counter()
        say(f"… {label_zh if zh else label_en}")

        def done() -> None:
            report.seconds[label_en] = time.perf_counter() - t0

        return done

    done = step("读取数据", "reading inputs")
    rivers, units = _read_inputs(project)
    done()
    done = step("检查数据", "validating")
    problems = validate_inputs(rivers, units)
    report.problems = problems
    report.findings["validation problems"] = len(problems)
    units.require_consistent()
    done()

    done = step("划分河段", "assigning reaches")
    resp = rm.assign(rivers, units, progress=progress, **project.section("assign"))
    chiefs = project.section("chiefs")
    if "roster" in chiefs:
        resp = resp.with_chiefs(chiefs["roster"])
    report.summary = resp.summary
    report.result = resp
    done()

    done = step("标记需关注河流", "flagging")
    flag_table = resp.flags(None, **project.section("flags"))
    report.findings["flags"] = len(flag_table)
    if "flags" in outputs:
        write_flags(flag_table, staging / outputs["flags"], lang=lang)
    if "responsibility" in outputs:
        resp.to_file(staging / outputs["responsibility"], flags=flag_table)
    done()

    plan = None
    if "redivide" in project.sections:
        done = step("生成调整方案", "redividing")
        params = project.section("redivide")
        edits = params.pop("edits", None)
        level = params.pop("level", resp.levels[-1])
        plan = rm.redivide(resp, level=level, **params)
        if edits is not None:
            plan = plan.apply_edits(edits, tolerance_m=float(params.get("tolerance_m", 50.0)))
        report.findings["segments that change hands"] = len(plan.diff().changes)
        if "plan" in outputs:
            plan.to_file(staging / outputs["plan"])
        if "plan_tables" in outputs:
            plan.write_tables(staging / outputs["plan_tables"], lang=lang)
        done()

    if resp.roster is not None:
        done = step("核查河长名录", "checking the roster")
        gaps = resp.roster_report(lang=lang)
        report.findings["roster gaps"] = len(gaps)
        if "chiefs" in outputs:
            from rivermap.chiefs import roster_workbook, write_table

            sheets = roster_workbook(resp, hotline=chiefs.get("hotline"), lang=lang, report=gaps)
            write_table(sheets, staging / outputs["chiefs"], lang=lang)
        done()

    if "map" in outputs:
        done = step("绘制交互地图", "drawing the map")
        map_opts = project.section("map")
        basemap = map_opts.pop("basemap", "none")
        m = rm.maps.responsibility_map(
            resp,
            basemap=None if basemap in ("none", "") else basemap,
            lang=lang,
            flags=flag_table,
            plan=plan,
            **map_opts,
        )
        rm.maps.save_html(m, staging / outputs["map"])
        done()

    if "atlas" in outputs:
        done = step("生成图册", "making the atlas")
        rm.maps.atlas(
            resp,
            staging / outputs["atlas"],
            lang=lang,
            plan=plan,
            progress=progress,
            **project.section("atlas"),
        )
        done()


def _read_inputs(project: Project) -> tuple[Any, Any]:
    import rivermap as rm

    r = project.section("rivers")
    rivers = rm.read_rivers(r.pop("path"), **r)
    u = project.section("units")
    levels = u.pop("levels")
    files = u.pop("files", None)
    path = u.pop("path", None)
    layers = u.pop("layers", None)
    source: Any
    if files is not None:
        source = dict(files)
    elif layers is not None:
        source = {lv: (path, layer) for lv, layer in layers.items()}
    else:
        source = path
    units = rm.read_units(source, levels=levels, **u)
    return rivers, units
