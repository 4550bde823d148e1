"""The ``rivermap`` command line: a thin layer over the library.

Exit codes: 0 ok, 1 problems found (validate), 2 user error (one line on
stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rivermap.errors import RivermapError, RivermapWarning

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

_EPILOG_VALIDATE = """\
example:
  rivermap validate rivers.shp admin.gpkg --levels district,street,community
  rivermap validate data/zhejiang_rivers_admin.gpkg data/zhejiang_rivers_admin.gpkg

exit codes: 0 clean, 1 problems found, 2 unusable input
"""
_EPILOG_ASSIGN = """\
example:
  rivermap assign data/zhejiang_rivers_admin.gpkg data/zhejiang_rivers_admin.gpkg \\
      --merge-by name -o out/responsibility.gpkg
  rivermap assign rivers.shp admin.gpkg --levels district,street,community -o out.gpkg \\
      --boundary-tol-m 20 --boundary-policy bank --overwrite
"""
_EPILOG_DEMO = """\
example:
  rivermap demo --out out/demo
"""
_EPILOG_MAIN = """\
examples:
  rivermap demo                                   # the main job on the embedded Zhejiang data
  rivermap validate rivers.gpkg units.gpkg --levels district,street,community

Run 'rivermap COMMAND --help' for the options of each command.
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


def _cmd_validate(args: argparse.Namespace) -> int:
    from rivermap.validate import validate_inputs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RivermapWarning)
        rivers, units = _read_inputs(args)
    read_notes = [str(w.message) for w in caught if issubclass(w.category, RivermapWarning)]
    report = validate_inputs(rivers, units, read_notes=read_notes)
    if report.empty:
        print(
            f"OK: {len(rivers)} rivers, {len(units)} units in levels "
            f"{' > '.join(units.levels)}; no problems found / 未发现问题"
        )
        return EXIT_OK
    _print_table(report)
    print(f"\n{len(report)} problem(s) found / 发现 {len(report)} 个问题", file=sys.stderr)
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
    )
    resp.to_file(out, overwrite=args.overwrite)
    if not args.quiet:
        s = resp.summary
        print(
            f"{s['n_rivers']} rivers, {s['n_reaches']} reaches "
            f"({s['n_boundary_reaches']} boundary), {s['total_length_m'] / 1000:,.1f} km "
            f"→ {out}"
        )
    return EXIT_OK


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


def _cmd_demo(args: argparse.Namespace) -> int:
    from rivermap.demo import run_demo

    return run_demo(Path(args.out), overwrite=args.overwrite, quiet=args.quiet)


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
    commands: list[tuple[str, str, str, Callable[[argparse.Namespace], int]]] = [
        (
            "demo",
            "run the main job on the embedded Zhejiang data / 用内置浙江数据演示",
            _EPILOG_DEMO,
            _cmd_demo,
        ),
        (
            "validate",
            "report every problem in rivers and units / 检查输入数据",
            _EPILOG_VALIDATE,
            _cmd_validate,
        ),
        (
            "assign",
            "split rivers into reaches and assign responsibility / 划分河段与责任单元",
            _EPILOG_ASSIGN,
            _cmd_assign,
        ),
    ]
    for name, help_text, epilog, func in commands:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        if name in ("validate", "assign"):
            p.add_argument("rivers", metavar="RIVERS", help="river lines (any vector file)")
            p.add_argument("units", metavar="UNITS", help="administrative units")
            _add_input_options(p)
        if name == "assign":
            p.add_argument(
                "-o",
                "--output",
                required=True,
                metavar="OUT.gpkg",
                help="the GeoPackage to write (layers reaches, rivers, units)",
            )
            _add_assign_options(p)
            p.add_argument("--overwrite", action="store_true", help="replace OUT.gpkg if it exists")
            p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
        if name == "demo":
            p.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
            p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
            p.add_argument("--quiet", action="store_true", help="print less")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Examples
    --------
    >>> from rivermap.datasets import get_path
    >>> demo = str(get_path("zhejiang"))
    >>> main(["validate", demo, demo, "--merge-by", "name"])
    OK: 11 rivers, 102 units in levels province > city > district; no problems found / 未发现问题
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
