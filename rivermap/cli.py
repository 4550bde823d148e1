"""The ``rivermap`` command line: a thin layer over the library.

Exit codes: 0 ok, 1 problems found (validate, flags, chiefs), 2 user error (one
line on stderr, no traceback). Every command takes ``--lang zh|en`` for its
messages and outputs, and every command that writes takes ``--overwrite``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from rivermap.errors import RivermapError, RivermapWarning

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

_EXAMPLES: dict[str, str] = {
    "demo": """\
example:
  rivermap demo --out out/demo --overwrite
""",
    "init": """\
example:
  rivermap init rivermap.toml        # then edit it and: rivermap run rivermap.toml
""",
    "run": """\
example:
  rivermap run data/zhejiang.toml --overwrite
  rivermap run rivermap.toml --out out/2026-11 --lang en
""",
    "validate": """\
example:
  rivermap validate data/zhejiang_rivers_admin.gpkg data/zhejiang_rivers_admin.gpkg --merge-by name
  rivermap validate rivers.shp admin.gpkg --levels district,street,community --encoding gbk

exit codes: 0 clean, 1 problems found, 2 unusable input
""",
    "assign": """\
example:
  rivermap assign data/zhejiang_rivers_admin.gpkg data/zhejiang_rivers_admin.gpkg \\
      --merge-by name -o out/responsibility.gpkg --chiefs data/zhejiang_chiefs_example.csv
  rivermap assign rivers.shp admin.gpkg --levels district,street,community -o out.gpkg \\
      --boundary-tol-m 20 --boundary-policy bank --overwrite
""",
    "flags": """\
example:
  rivermap flags out/demo/responsibility.gpkg --level district -o out/flags.xlsx

exit codes: 0 nothing flagged, 1 rivers flagged, 2 unusable input
""",
    "redivide": """\
example:
  rivermap redivide out/demo/responsibility.gpkg --level district --policy majority \\
      -o out/plan.gpkg --table out/plan.xlsx
  rivermap redivide out.gpkg --level street -o plan.gpkg --current official.gpkg \\
      --current-unit-col unit_id --edits edits.geojson
""",
    "map": """\
example:
  rivermap map out/demo/responsibility.gpkg -o out/map.html
  rivermap map out.gpkg -o map.html --level street --plan plan.gpkg --lang en
""",
    "atlas": """\
example:
  rivermap atlas out/demo/responsibility.gpkg -o out/atlas.pdf --by district
  rivermap atlas out.gpkg -o atlas.pdf --by street --paper A3 --chiefs chiefs.csv
""",
    "chiefs": """\
example:
  rivermap chiefs out/demo/responsibility.gpkg data/zhejiang_chiefs_example.csv \\
      -o out/chiefs.xlsx --hotline 12345

exit codes: 0 no gaps, 1 gaps or conflicts found, 2 unusable input
""",
}
_EPILOG_MAIN = """\
examples:
  rivermap demo                           # the whole job on the embedded Zhejiang data
  rivermap init rivermap.toml             # a commented project file for your own data
  rivermap run rivermap.toml              # validate, assign, flags, plan, map and atlas
  rivermap validate rivers.gpkg units.gpkg --levels district,street,community

Run 'rivermap COMMAND --help' for the options and an example of each command.
exit codes: 0 ok, 1 problems found (validate, flags, chiefs), 2 user error
"""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one line, as every rivermap error does."""

    def error(self, message: str) -> Any:  # argparse's own signature returns NoReturn
        self.exit(EXIT_USAGE, f"rivermap: error: {message} (see '{self.prog} --help')\n")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rivers")
    g.add_argument("--rivers-layer", help="layer of RIVERS (default: its first line layer)")
    g.add_argument("--id-col", help="river id column (default: generated R00001 …)")
    g.add_argument("--name-col", help="river name column (default: name, 名称, 河流名称 …)")
    g.add_argument(
        "--merge-by", help="join arcs sharing this column's value into one river, e.g. name"
    )
    g = p.add_argument_group("units")
    g.add_argument(
        "--levels",
        help="level names top to bottom, comma-separated "
        "(default: the polygon layers of UNITS in file order); with --level-col, "
        "name=value pairs such as country=2,wahlkreis=6,gemeinde=8",
    )
    g.add_argument("--level-col", help="column with each unit's level, when UNITS is one layer")
    g.add_argument("--units-layer", help="the layer holding every level (with --level-col)")
    g.add_argument("--unit-id-col", help="unit id column (default: unit_id, *_adcode, code, id …)")
    g.add_argument("--unit-name-col", help="unit name column (default: name, *_name, 名称 …)")
    g.add_argument(
        "--parent",
        default="auto",
        help="auto | codes | containment | a parent-id column (default: auto)",
    )
    g = p.add_argument_group("both")
    g.add_argument("--encoding", help="text encoding of shapefiles (default: .cpg or detected)")
    g.add_argument(
        "--crs",
        help="CRS of files without one, e.g. EPSG:4326, or GCJ-02 to "
        "convert Gaode/AMap coordinates",
    )


def _line_and_polygon_layers(path: str) -> tuple[list[str], list[str]]:
    import pyogrio

    try:
        info = pyogrio.list_layers(path)
    except Exception:  # not a multi-layer file; the readers report real problems
        return [], []
    lines = [str(n) for n, t in info if t and "LineString" in str(t)]
    polys = [str(n) for n, t in info if t and "Polygon" in str(t)]
    return lines, polys


def _read_inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    from rivermap.io import read_rivers, read_units

    rivers_layer = args.rivers_layer
    lines, polys = _line_and_polygon_layers(args.rivers)
    if rivers_layer is None and lines and len(lines) + len(polys) > 1:
        rivers_layer = lines[0]
    rivers = read_rivers(
        args.rivers,
        layer=rivers_layer,
        id_col=args.id_col,
        name_col=args.name_col,
        merge_by=args.merge_by,
        encoding=args.encoding,
        crs=args.crs,
    )
    levels: list[str] | dict[str, str]
    if args.levels:
        items = [s.strip() for s in args.levels.split(",") if s.strip()]
        if any("=" in item for item in items):
            levels = dict(item.split("=", 1) if "=" in item else (item, item) for item in items)
        else:
            levels = items
    elif args.level_col:
        msg = "--level-col needs --levels naming the levels top to bottom"
        raise RivermapError(msg)
    else:
        _, polys = _line_and_polygon_layers(args.units)
        if not polys:
            msg = f"{args.units}: give --levels (top to bottom); the file has no polygon layers"
            raise RivermapError(msg)
        levels = polys
    units = read_units(
        args.units,
        levels=levels,
        id_cols=args.unit_id_col,
        name_cols=args.unit_name_col,
        parent=args.parent,
        level_col=args.level_col,
        layer=args.units_layer,
        encoding=args.encoding,
        crs=args.crs,
    )
    return rivers, units


def _print_table(df: pd.DataFrame, *, columns: Sequence[str] | None = None) -> None:
    if df.empty:
        return
    shown = df[list(columns)] if columns else df
    with pd.option_context(
        "display.max_rows", 200, "display.max_colwidth", 80, "display.width", 160
    ):
        print(shown.to_string(index=False))


def _add_assign_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("assignment")
    g.add_argument(
        "--min-reach-m",
        type=float,
        default=50.0,
        help="merge pieces shorter than this into a neighbour (default: 50)",
    )
    g.add_argument(
        "--boundary-tol-m",
        type=float,
        default=20.0,
        help="distance to a boundary that counts as running along it (default: 20)",
    )
    g.add_argument(
        "--boundary-min-m",
        type=float,
        default=200.0,
        help="shortest stretch along a boundary that is a boundary reach (default: 200)",
    )
    g.add_argument(
        "--boundary-policy",
        choices=["bank", "parent", "lead"],
        default="bank",
        help="who answers for a boundary reach (default: bank, each side its bank)",
    )
    g.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="threads to use (default: every core)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a positive whole number, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _t(args: argparse.Namespace, zh: str, en: str) -> str:
    """The message in the language asked for with ``--lang``."""
    return en if getattr(args, "lang", "zh") == "en" else zh


def _cmd_validate(args: argparse.Namespace) -> int:
    from rivermap.validate import validate_inputs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RivermapWarning)
        rivers, units = _read_inputs(args)
    read_notes = [str(w.message) for w in caught if issubclass(w.category, RivermapWarning)]
    report = validate_inputs(rivers, units, read_notes=read_notes)
    levels = " > ".join(units.levels)
    if report.empty:
        print(
            _t(
                args,
                f"通过：{len(rivers)} 条河流，{len(units)} 个单元（{levels}），未发现问题",
                f"OK: {len(rivers)} rivers, {len(units)} units in levels {levels}; "
                "no problems found",
            )
        )
        return EXIT_OK
    _print_table(report)
    print(
        _t(args, f"\n发现 {len(report)} 个问题", f"\n{len(report)} problem(s) found"),
        file=sys.stderr,
    )
    return EXIT_PROBLEMS


def _cmd_assign(args: argparse.Namespace) -> int:
    from rivermap.assign import assign
    from rivermap.io import check_output

    out = check_output(args.output, overwrite=args.overwrite)
    rivers, units = _read_inputs(args)
    units.require_consistent()
    resp = assign(
        rivers,
        units,
        min_reach_m=args.min_reach_m,
        boundary_tol_m=args.boundary_tol_m,
        boundary_min_m=args.boundary_min_m,
        boundary_policy=args.boundary_policy,
        progress=not args.quiet,
        workers=args.workers,
    )
    if args.chiefs:
        resp = resp.with_chiefs(args.chiefs)
    resp.to_file(out, overwrite=args.overwrite)
    if not args.quiet:
        s = resp.summary
        km = s["total_length_m"] / 1000
        print(
            _t(
                args,
                f"{s['n_rivers']} 条河流，{s['n_reaches']} 个河段（界河段 "
                f"{s['n_boundary_reaches']} 个），共 {km:,.1f} km → {out}",
                f"{s['n_rivers']} rivers, {s['n_reaches']} reaches "
                f"({s['n_boundary_reaches']} boundary), {km:,.1f} km → {out}",
            )
        )
        if resp.roster is not None:
            gaps = len(resp.roster_report())
            print(_t(args, f"河长名录问题 {gaps} 个", f"{gaps} roster problem(s)"))
    return EXIT_OK


def _cmd_flags(args: argparse.Namespace) -> int:
    from rivermap.flags import reasons_zh, write_flags
    from rivermap.io import check_output
    from rivermap.responsibility import read_responsibility

    if args.output:
        check_output(args.output, overwrite=args.overwrite)
    resp = read_responsibility(args.gpkg)
    _check_level(args.gpkg, resp.levels, args.level, "--level")
    table = resp.flags(args.level, min_share=args.min_share, min_length_m=args.min_length_m)
    if args.output:
        write_flags(table, args.output, lang=args.lang, overwrite=args.overwrite)
    if not args.quiet and len(table):
        zh = args.lang == "zh"
        shown = pd.DataFrame(
            {
                "河流" if zh else "river": table["name"].fillna(table["river_id"]),
                "级别" if zh else "level": table["level"],
                "原因" if zh else "reasons": (
                    table["reasons"].map(reasons_zh) if zh else table["reasons"]
                ),
                "严重度" if zh else "severity": table["severity"].round(2),
                "单元" if zh else "units": table["unit_names"],
                "建议" if zh else "proposal": table["proposal_zh" if zh else "proposal"],
            }
        )
        _print_table(shown)
    print(
        _t(args, f"需关注的河流 {len(table)} 处", f"{len(table)} river(s) flagged"),
        file=sys.stderr if len(table) else sys.stdout,
    )
    return EXIT_PROBLEMS if len(table) else EXIT_OK


def _cmd_redivide(args: argparse.Namespace) -> int:
    from rivermap.io import check_output
    from rivermap.redivide import redivide
    from rivermap.responsibility import read_responsibility

    out = check_output(args.output, overwrite=args.overwrite)
    if args.table:
        check_output(args.table, overwrite=args.overwrite)
    resp = read_responsibility(args.gpkg)
    _check_level(args.gpkg, resp.levels, args.level, "--level")
    plan = redivide(
        resp,
        level=args.level,
        policy=args.policy,
        min_segment_m=args.min_segment_m,
        min_share=args.min_share,
        current=args.current,
        current_id_col=args.current_id_col,
        current_unit_col=args.current_unit_col,
        tolerance_m=args.tolerance_m,
    )
    if args.edits:
        plan = plan.apply_edits(args.edits, tolerance_m=args.tolerance_m)
    plan.to_file(out, overwrite=args.overwrite)
    if args.table:
        plan.write_tables(args.table, lang=args.lang, overwrite=args.overwrite)
    if not args.quiet:
        diff = plan.diff()
        print(repr(plan))
        print(repr(diff))
        if len(diff.unmatched):
            print(_t(args, "未能对应到河流的现行河段：", "official segments matching no river:"))
            _print_table(diff.unmatched)
        print(_t(args, f"已写出 {out}", f"wrote {out}"))
    return EXIT_OK


def _cmd_map(args: argparse.Namespace) -> int:
    from rivermap.io import check_output
    from rivermap.maps import responsibility_map, save_html
    from rivermap.redivide import read_plan
    from rivermap.responsibility import read_responsibility

    out = check_output(args.output, overwrite=args.overwrite)
    resp = read_responsibility(args.gpkg)
    _check_level(args.gpkg, resp.levels, args.level, "--level")
    if args.chiefs:
        resp = resp.with_chiefs(args.chiefs)
    basemap: str | None = None if args.basemap == "none" else args.basemap
    if basemap == "tianditu" and args.tianditu_key:
        basemap = f"tianditu:{args.tianditu_key}"
    m = responsibility_map(
        resp,
        level=args.level,
        basemap=basemap,
        lang=args.lang,
        flags=not args.no_flags,
        plan=read_plan(args.plan) if args.plan else None,
        simplify_m=args.simplify_m,
    )
    save_html(m, out, overwrite=args.overwrite)
    if not args.quiet:
        size = out.stat().st_size / 1e6
        print(_t(args, f"已写出 {out}（{size:.2f} MB）", f"wrote {out} ({size:.2f} MB)"))
    return EXIT_OK


def _cmd_atlas(args: argparse.Namespace) -> int:
    from rivermap.io import check_output
    from rivermap.maps import atlas
    from rivermap.redivide import read_plan
    from rivermap.responsibility import read_responsibility

    out = check_output(args.output, overwrite=args.overwrite)
    resp = read_responsibility(args.gpkg)
    _check_level(args.gpkg, resp.levels, args.by, "--by")
    atlas(
        resp,
        out,
        by=args.by,
        lang=args.lang,
        paper=args.paper,
        orientation=args.orientation,
        plan=read_plan(args.plan) if args.plan else None,
        chiefs=args.chiefs,
        overwrite=args.overwrite,
        progress=not args.quiet,
        title=args.title,
        credit=args.credit,
        empty_units=args.empty_units,
    )
    if not args.quiet:
        print(_t(args, f"已写出 {out}", f"wrote {out}"))
    return EXIT_OK


def _cmd_chiefs(args: argparse.Namespace) -> int:
    from rivermap.chiefs import roster_workbook, write_table
    from rivermap.io import check_output
    from rivermap.responsibility import read_responsibility

    if args.output:
        check_output(args.output, overwrite=args.overwrite)
    resp = read_responsibility(args.gpkg).with_chiefs(args.roster)
    report = resp.roster_report(lang=args.lang)
    if not args.quiet:
        _print_table(report, columns=["reason", "unit_name", "name", "river_name", "detail"])
    if args.output:
        sheets = roster_workbook(resp, hotline=args.hotline, lang=args.lang, report=report)
        write_table(sheets, args.output, overwrite=args.overwrite, lang=args.lang)
    print(
        _t(args, f"河长名录问题 {len(report)} 个", f"{len(report)} roster problem(s)"),
        file=sys.stderr if len(report) else sys.stdout,
    )
    return EXIT_PROBLEMS if len(report) else EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from rivermap.project import write_template

    out = write_template(args.path, overwrite=args.overwrite)
    print(
        _t(
            args,
            f"已写出 {out}：编辑后运行 rivermap run {out}",
            f"wrote {out}: edit it, then run: rivermap run {out}",
        )
    )
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from rivermap.project import load_project

    project = load_project(args.project, output=args.out)
    if args.lang is not None:
        project = dataclasses.replace(project, lang=args.lang)
    return _run_and_report(project, args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from rivermap.datasets import project_path
    from rivermap.project import load_project

    project = load_project(project_path("zhejiang"), output=args.out)
    if args.lang is not None:
        project = dataclasses.replace(project, lang=args.lang)
    return _run_and_report(project, args, demo=True)


def _run_and_report(project: Any, args: argparse.Namespace, *, demo: bool = False) -> int:
    from rivermap.demo import print_summary
    from rivermap.project import run_project

    args.lang = project.lang
    echo = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    report = run_project(project, overwrite=args.overwrite, progress=not args.quiet, echo=echo)
    print_summary(project, report, demo=demo)
    return EXIT_OK


def _check_level(path: str, levels: Sequence[str], level: str | None, option: str) -> None:
    if level is not None and level not in levels:
        msg = f"{path}: {option} {level!r} is not a level of this file; levels: {', '.join(levels)}"
        raise RivermapError(msg)


def _add_common(
    p: argparse.ArgumentParser, *, writes: bool = True, lang_default: str | None = "zh"
) -> None:
    g = p.add_argument_group("general")
    g.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=lang_default,
        help="language of messages and outputs / 语言 (default: "
        + (lang_default or "the project's")
        + ")",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bars, fewer messages")
    if writes:
        g.add_argument("--overwrite", action="store_true", help="replace outputs that exist")


def _add_output(
    p: argparse.ArgumentParser, metavar: str, what: str, *, required: bool = True
) -> None:
    p.add_argument("-o", "--output", required=required, metavar=metavar, help=what)


def _add_gpkg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "gpkg", metavar="OUT.gpkg", help="a result written by 'rivermap assign' or 'run'"
    )


def _setup_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", metavar="PROJECT.toml", help="the project file (see 'rivermap init')")
    p.add_argument("--out", help="output folder (default: the project's [project] output)")
    _add_common(p, lang_default=None)


def _setup_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    _add_common(p, lang_default=None)


def _setup_init(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "path", nargs="?", default="rivermap.toml", help="where to write (default: rivermap.toml)"
    )
    _add_common(p)


def _setup_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("rivers", metavar="RIVERS", help="river lines (any vector file)")
    p.add_argument("units", metavar="UNITS", help="administrative units")
    _add_input_options(p)
    _add_common(p, writes=False)


def _setup_assign(p: argparse.ArgumentParser) -> None:
    _setup_validate(p)
    _add_output(p, "OUT.gpkg", "the GeoPackage to write (reaches, rivers, units, flags)")
    _add_assign_options(p)
    p.add_argument("--chiefs", metavar="ROSTER", help="a chief roster (CSV/XLSX) to join")
    p.add_argument("--overwrite", action="store_true", help="replace OUT.gpkg if it exists")


def _setup_flags(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("--level", help="one level (default: every level)")
    p.add_argument("--min-share", type=float, default=0.05, help="sliver share (default: 0.05)")
    p.add_argument(
        "--min-length-m", type=float, default=200.0, help="sliver length, m (default: 200)"
    )
    _add_output(p, "FLAGS.xlsx", "also write the table (.xlsx or .csv)", required=False)
    _add_common(p)


def _setup_redivide(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("--level", required=True, help="the level whose units get the segments")
    _add_output(p, "PLAN.gpkg", "the plan to write (segments and diff)")
    p.add_argument("--policy", choices=["split", "majority", "parent"], default="split")
    p.add_argument("--min-segment-m", type=float, default=200.0, help="(default: 200)")
    p.add_argument("--min-share", type=float, default=0.05, help="(default: 0.05)")
    p.add_argument("--current", metavar="SEGMENTS", help="the official segmentation to diff")
    p.add_argument("--current-id-col", help="segment id column of --current")
    p.add_argument("--current-unit-col", help="responsible unit column of --current")
    p.add_argument("--edits", metavar="EDITS.geojson", help="a planner's edits to apply")
    p.add_argument(
        "--tolerance-m", type=float, default=50.0, help="snapping distance, m (default: 50)"
    )
    p.add_argument("--table", metavar="PLAN.xlsx", help="also write segments and diff as a table")
    _add_common(p)


def _setup_map(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    _add_output(p, "MAP.html", "the HTML file to write (self-contained, works offline)")
    p.add_argument("--level", help="colour rivers by this level (default: the finest)")
    p.add_argument(
        "--basemap",
        choices=["none", "osm", "tianditu", "gaode"],
        default="none",
        help="background tiles; all but none need a network (default: none)",
    )
    p.add_argument("--tianditu-key", help="天地图 key for --basemap tianditu")
    p.add_argument("--no-flags", action="store_true", help="do not highlight flagged rivers")
    p.add_argument("--plan", metavar="PLAN.gpkg", help="show a plan's segments")
    p.add_argument("--chiefs", metavar="ROSTER", help="show the chiefs of a roster")
    p.add_argument("--simplify-m", type=float, help="display simplification, m (default: auto)")
    _add_common(p)


def _setup_atlas(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    _add_output(p, "ATLAS.pdf", "the PDF to write")
    p.add_argument("--by", help="one page per unit of this level (default: second-finest)")
    p.add_argument("--paper", choices=["A4", "A3"], default="A4")
    p.add_argument("--orientation", choices=["auto", "portrait", "landscape"], default="auto")
    p.add_argument("--plan", metavar="PLAN.gpkg", help="mark a plan's segments")
    p.add_argument("--chiefs", metavar="ROSTER", help="name the chiefs of a roster")
    p.add_argument("--title", help="title of the overview page")
    p.add_argument("--credit", help="data source line of the overview page")
    p.add_argument("--empty-units", action="store_true", help="a page for units with no river")
    _add_common(p)


def _setup_chiefs(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("roster", metavar="ROSTER", help="the chief roster (CSV/XLSX, GBK or UTF-8)")
    _add_output(p, "REPORT.xlsx", "write gaps, chiefs and signboards (.xlsx)", required=False)
    p.add_argument("--hotline", help="hotline for the signboards")
    _add_common(p)


_COMMANDS: list[
    tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = [
    (
        "demo",
        "the whole job on the embedded Zhejiang data / 内置浙江数据演示",
        _setup_demo,
        _cmd_demo,
    ),
    ("init", "write a commented project file / 生成项目文件模板", _setup_init, _cmd_init),
    ("run", "run a project file end to end / 按项目文件运行全部步骤", _setup_run, _cmd_run),
    (
        "validate",
        "report every problem in rivers and units / 检查输入数据",
        _setup_validate,
        _cmd_validate,
    ),
    (
        "assign",
        "split rivers into reaches, assign responsibility / 划分河段与责任单元",
        _setup_assign,
        _cmd_assign,
    ),
    (
        "flags",
        "rivers whose responsibility needs redrawing / 需调整的河流",
        _setup_flags,
        _cmd_flags,
    ),
    (
        "redivide",
        "propose a redivision, diff it, apply edits / 河段调整方案",
        _setup_redivide,
        _cmd_redivide,
    ),
    ("map", "an interactive offline HTML map / 交互式离线地图", _setup_map, _cmd_map),
    ("atlas", "a printable PDF atlas / 打印图册", _setup_atlas, _cmd_atlas),
    (
        "chiefs",
        "check a chief roster: gaps and conflicts / 河长名录核查",
        _setup_chiefs,
        _cmd_chiefs,
    ),
]


def _build_parser() -> argparse.ArgumentParser:
    from rivermap import __version__

    parser = _Parser(
        prog="rivermap",
        description="River-chief (河长制) responsibility mapping / 河长制责任划分工具",
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rivermap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text, setup, func in _COMMANDS:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        setup(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Examples
    --------
    >>> from rivermap.datasets import get_path
    >>> demo = str(get_path("zhejiang"))
    >>> main(["validate", demo, demo, "--merge-by", "name"])
    通过：11 条河流，102 个单元（province > city > district），未发现问题
    0
    >>> main(["validate", demo, demo, "--merge-by", "name", "--lang", "en"])
    OK: 11 rivers, 102 units in levels province > city > district; no problems found
    0
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except RivermapError as exc:
        print(f"rivermap: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"rivermap: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rivermap: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
