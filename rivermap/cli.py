"""The ``rivermap`` command line: a thin layer over the library.

Exit codes: 0 ok; 1 problems found (validate, flags, chiefs, route, patrols,
bulletin); 2 a user error: a bad file, bad data or a bad option, one line on
stderr naming the file, column or option and the ids, no traceback; 3 a bug in
rivermap (an exception nobody foresaw): a "please report" line and the
traceback. An error is never exit code 1, which scripts read as "problems
found". Every command takes ``--lang zh|en`` for its messages and outputs, and
every command that writes takes ``--overwrite``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import pandas as pd

from rivermap import params, pipeline
from rivermap.errors import ParameterError, RivermapError, RivermapWarning
from rivermap.text import header, level_label, reason_labels, term

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from rivermap.project import Project
    from rivermap.redivide import Plan
    from rivermap.responsibility import Responsibility

_Spec = TypeVar("_Spec", bound="DataclassInstance")

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

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
  rivermap assign rivers.parquet units.parquet --levels province,city,district,street,community \\
      -o out/country.parquet --tiles auto          # in tiles, written as it goes
  rivermap assign rivers.parquet units.parquet --levels province,city,district,street,community \\
      -o out/country.parquet --scheduler tcp://10.0.0.5:8786   # on a Dask cluster
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
  rivermap map out/demo/responsibility.gpkg -o edit.html --plan out/demo/plan.gpkg --edit
""",
    "atlas": """\
example:
  rivermap atlas out/demo/responsibility.gpkg -o out/atlas.pdf --by district
  rivermap atlas out.gpkg -o atlas.pdf --by street --paper A3 --chiefs chiefs.csv
""",
    "route": """\
example:
  rivermap route out/demo/responsibility.gpkg out/demo/synthetic/events.csv --crs gcj02 \\
      --chiefs data/zhejiang_chiefs_example.csv -o out/routed.xlsx
  rivermap route out.gpkg tickets.xlsx -o routed.gpkg --max-dist-m 300

exit codes: 0 every report routed to a chief, 1 some unmatched, 2 unusable input
""",
    "patrols": """\
example:
  rivermap patrols out/demo/responsibility.gpkg out/demo/synthetic/tracks \\
      --chiefs data/zhejiang_chiefs_example.csv -o out/patrols.xlsx
  rivermap patrols out.gpkg tracks.csv --duties duties.csv --start 2026-11-01 --end 2026-11-30 \
      -o patrols.xlsx

exit codes: 0 every duty met, 1 some person short of their duty, 2 unusable input
""",
    "bulletin": """\
example:
  rivermap bulletin out/demo/responsibility.gpkg --events out/demo/synthetic/events.csv \\
      --events-crs gcj02 --patrols out/demo/synthetic/tracks --month 2026-11 --level district \\
      --chiefs data/zhejiang_chiefs_example.csv -o out/bulletin.html -o out/bulletin.xlsx
  rivermap bulletin out.gpkg --events tickets.xlsx --patrols tracks/ --month 2026-11 \\
      --weights completion=0.6,closure_rate_all=0.4 -o bulletin.html --lang en

exit codes: 0 no silent unit, 1 some unit silent all month, 2 unusable input
""",
    "signboards": """\
example:
  rivermap signboards out/demo/responsibility.gpkg -o out/signboards.pdf \\
      --chiefs data/zhejiang_chiefs_example.csv --hotline 12345
  rivermap signboards out.gpkg -o boards.pdf --level district \\
      --url "https://hz.example.cn/report?board="
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
exit codes: 0 ok, 1 problems found (validate, flags, chiefs, route, patrols, bulletin),
  2 user error (bad file, data or option), 3 a bug in rivermap (please report it)
"""


class _Parser(argparse.ArgumentParser):
    """An argparse parser that exits with code 2 and one line, as every rivermap error does."""

    def error(self, message: str) -> Any:  # argparse's own signature returns NoReturn
        """Print one line naming the command's help, and exit with code 2."""
        self.exit(EXIT_USAGE, f"rivermap: error: {message} (see '{self.prog} --help')\n")


def _msg(args: argparse.Namespace, key: str, **fields: Any) -> str:
    """Return the message ``msg.<key>`` in the language asked for with ``--lang``."""
    return term(f"msg.{key}", args.lang or params.LANG, **fields)


def _both(key: str) -> str:
    """Return the message ``msg.<key>`` in English and Chinese, for ``--help``."""
    return f"{term(f'msg.{key}', 'en')} / {term(f'msg.{key}', 'zh')}"


def _flag(option: str) -> str:
    """Return how an option is written on the command line: ``min_share`` → ``--min-share``."""
    return "--" + option.replace("_", "-")


# ===================================================================== inputs
def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("rivers", metavar="RIVERS", help="river lines (any vector file)")
    p.add_argument("units", metavar="UNITS", help="administrative units")
    g = p.add_argument_group("rivers")
    g.add_argument("--rivers-layer", help="layer of RIVERS (default: its first line layer)")
    g.add_argument("--id-col", help="river id column (default: generated R00001 …)")
    g.add_argument("--name-col", help=term("msg.help.name_col", "en"))
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
    g.add_argument("--unit-name-col", help=term("msg.help.unit_name_col", "en"))
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


def _levels(text: str | None) -> list[str] | dict[str, str] | None:
    """Return ``--levels`` as a list, or as ``{name: value}`` when it holds ``name=value`` pairs."""
    items = [s.strip() for s in (text or "").split(",") if s.strip()]
    if not items:
        return None
    if any("=" in item for item in items):
        pairs = (item.partition("=") for item in items)
        return {name: value if sep else name for name, sep, value in pairs}
    return items


def _spec(cls: type[_Spec], args: argparse.Namespace, **given: Any) -> _Spec:
    """Return the inputs or options ``cls`` from the flags named as its fields, and ``given``.

    Examples
    --------
    >>> _spec(pipeline.FlagOptions, argparse.Namespace(min_share=0.1, min_length_m=100.0))
    FlagOptions(min_share=0.1, min_length_m=100.0)
    """
    names = [f.name for f in dataclasses.fields(cls) if f.name not in given]
    return cls(**{name: getattr(args, name) for name in names}, **given)


def _inputs(args: argparse.Namespace) -> pipeline.Inputs:
    """Return where RIVERS and UNITS come from, as the input flags say."""
    levels = _levels(args.levels)
    if args.level_col and levels is None:
        msg = "--level-col needs --levels naming the levels top to bottom"
        raise ParameterError(msg)
    rivers = _spec(pipeline.RiverInput, args, path=args.rivers, layer=args.rivers_layer)
    units = _spec(
        pipeline.UnitInput,
        args,
        source=args.units,
        levels=levels,
        id_cols=args.unit_id_col,
        name_cols=args.unit_name_col,
        layer=args.units_layer,
    )
    return pipeline.Inputs(rivers, units)


def _open(args: argparse.Namespace, **levels: str | None) -> Responsibility:
    """Read OUT.gpkg and check the levels asked for (``{flag: level}``) against it."""
    from rivermap.responsibility import read_responsibility

    resp = read_responsibility(args.gpkg)
    pipeline.check_levels(resp.levels, {_flag(k): v for k, v in levels.items()})
    return resp


def _plan(args: argparse.Namespace) -> Plan | None:
    """Read the plan of ``--plan``, when given."""
    from rivermap.redivide import read_plan

    return read_plan(args.plan) if args.plan else None


def _before_work(
    args: argparse.Namespace,
    *,
    inputs: Sequence[str | None],
    outputs: Sequence[tuple[str | None, str | None]] = (),
) -> None:
    """Refuse, before any work, missing inputs, and outputs that exist or have a wrong suffix.

    ``outputs`` are ``(path, kind)``, ``kind`` a key of
    :data:`rivermap.io.OUTPUT_SUFFIXES`; a ``None`` path is not written.
    """
    from rivermap.io import check_output

    pipeline.require_files(*inputs)
    for path, kind in outputs:
        if path:
            check_output(path, overwrite=args.overwrite, kind=kind)


def _output(args: argparse.Namespace) -> dict[str, Any]:
    """Return where and how a step writes: ``path``, ``lang`` and ``overwrite`` as the flags say."""
    return {"path": args.output, "lang": args.lang, "overwrite": args.overwrite}


def _print_table(df: pd.DataFrame, *, columns: Sequence[str] | None = None) -> None:
    """Print a table (but for an empty one) as a person reads it: no index, wide columns."""
    if df.empty:
        return
    shown = df[list(columns)] if columns else df
    with pd.option_context(
        "display.max_rows", 200, "display.max_colwidth", 80, "display.width", 160
    ):
        print(shown.to_string(index=False))


def _found(args: argparse.Namespace, key: str, n: int) -> int:
    """Print ``msg.<key>`` for ``n`` problems (on stderr if any); return the exit code."""
    print(_msg(args, key, n=n), file=sys.stderr if n else sys.stdout)
    return EXIT_PROBLEMS if n else EXIT_OK


# =================================================================== commands
def _cmd_validate(args: argparse.Namespace) -> int:
    notes: list[str] = []
    rivers, units = pipeline.read_inputs(_inputs(args), notes=notes)
    report = pipeline.validate(rivers, units, notes)
    if report.empty:
        levels = " > ".join(units.levels)
        print(_msg(args, "validate_ok", rivers=len(rivers), units=len(units), levels=levels))
        return EXIT_OK
    _print_table(report)
    print("\n" + _msg(args, "problems", n=len(report)), file=sys.stderr)
    return EXIT_PROBLEMS


def _cmd_assign(args: argparse.Namespace) -> int:
    _before_work(args, inputs=[args.chiefs], outputs=[(args.output, "responsibility")])
    if args.qml:
        pipeline.check_qml(args.output, "responsibility", overwrite=args.overwrite)
    options = _spec(pipeline.AssignOptions, args)
    resp = None
    if args.output.lower().endswith(".parquet"):
        if args.chiefs:
            msg = (
                "--chiefs: a roster is joined to a GeoPackage result (-o OUT.gpkg); "
                f"check it against {args.output} with 'rivermap chiefs {args.output} ROSTER'"
            )
            raise ParameterError(msg)
        out, s = pipeline.assign_to_parquet(
            _inputs(args), options, args.output, overwrite=args.overwrite, progress=not args.quiet
        )
    else:
        rivers, units = pipeline.read_inputs(_inputs(args))
        pipeline.check_levels(units.levels, {"--level": args.level})
        resp = pipeline.assign(rivers, units, options, roster=args.chiefs, progress=not args.quiet)
        out = pipeline.save_responsibility(
            resp, args.output, level=args.level, lang=args.lang, qml=args.qml,
            overwrite=args.overwrite,
        )  # fmt: skip
        s = resp.summary
    if not args.quiet:
        km = f"{s['total_length_m'] / 1000:,.1f}"
        reaches, boundary = s["n_reaches"], s["n_boundary_reaches"]
        fields = {"rivers": s["n_rivers"], "reaches": reaches, "boundary": boundary}
        used = _peak_memory()
        peak = "" if used is None else _msg(args, "peak_memory", gb=f"{used / 1e9:,.1f}")
        print(_msg(args, "assigned", **fields, km=km, path=out) + peak)
        if resp is not None and resp.roster is not None:
            print(_msg(args, "roster_problems", n=len(resp.roster_report())))
    return EXIT_OK


def _peak_memory() -> int | None:
    """Return the peak resident memory of this process and its largest child so far, in bytes.

    None where it cannot be known (Windows without psutil).

    Linux's ``VmHWM`` for this process (``ru_maxrss`` would carry a parent's
    peak over an ``exec``), elsewhere ``ru_maxrss`` (Windows: the peak working
    set); children (Dask workers of a cluster started here) add their
    ``ru_maxrss`` once they have ended.
    """
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil
        except ImportError:  # psutil comes with rivermap[scale] (distributed)
            return None
        return int(getattr(psutil.Process().memory_info(), "peak_wset", 0)) or None
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    try:
        with open("/proc/self/status") as f:
            own = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):  # not Linux
        pass
    return own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale


def _cmd_flags(args: argparse.Namespace) -> int:
    _before_work(args, inputs=[args.gpkg], outputs=[(args.output, "tables")])
    resp = _open(args, level=args.level)
    options = _spec(pipeline.FlagOptions, args)
    table = pipeline.flag_rivers(resp, options, level=args.level, **_output(args))
    if not args.quiet and len(table):
        _print_table(_flags_for_people(table, args.lang))
    return _found(args, "flagged", len(table))


def _flags_for_people(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the flags table as ``rivermap flags`` prints it: words and headers in ``lang``."""
    proposal = "proposal_zh" if lang == "zh" else "proposal"
    columns = {
        "river": table["name"].fillna(table["river_id"]),
        "level": table["level"].map(lambda v: level_label(str(v), lang)),
        "reasons": table["reasons"].map(lambda v: reason_labels(str(v), lang)),
        "severity": table["severity"].round(2),
        "unit_names": table["unit_names"],
        proposal: table[proposal],
    }
    return pd.DataFrame({header(k, lang): v for k, v in columns.items()})


def _cmd_redivide(args: argparse.Namespace) -> int:
    inputs = [args.gpkg, args.current, args.edits]
    _before_work(args, inputs=inputs, outputs=[(args.output, "gpkg"), (args.table, "tables")])
    if args.qml:
        pipeline.check_qml(args.output, "plan", overwrite=args.overwrite)
    resp = _open(args, level=args.level)
    options = _spec(pipeline.RedivideOptions, args)
    plan = pipeline.redivide(resp, options, tables=args.table, qml=args.qml, **_output(args))
    if not args.quiet:
        diff = plan.diff()
        print(repr(plan))
        print(repr(diff))
        if len(diff.unmatched):
            print(_msg(args, "unmatched"))
            _print_table(diff.unmatched)
        print(_msg(args, "wrote", path=args.output))
    return EXIT_OK


def _cmd_map(args: argparse.Namespace) -> int:
    if args.edit and not args.plan:
        msg = "--edit needs --plan PLAN.gpkg: the plan whose segments to edit"
        raise ParameterError(msg)
    _before_work(args, inputs=[args.gpkg, args.plan, args.chiefs], outputs=[(args.output, "html")])
    resp = _open(args, level=args.level)
    if args.chiefs:
        resp = resp.with_chiefs(args.chiefs)
    options = _spec(pipeline.MapOptions, args)
    flags = not args.no_flags
    out = pipeline.draw_map(
        resp, options=options, flags=flags, plan=_plan(args), edit=args.edit, **_output(args)
    )
    if not args.quiet:
        print(_msg(args, "wrote_size", path=out, mb=f"{out.stat().st_size / 1e6:.2f}"))
    return EXIT_OK


def _cmd_atlas(args: argparse.Namespace) -> int:
    _before_work(args, inputs=[args.gpkg, args.plan, args.chiefs], outputs=[(args.output, "pdf")])
    resp = _open(args, by=args.by)
    options = _spec(pipeline.AtlasOptions, args)
    plan, progress = _plan(args), not args.quiet
    out = pipeline.make_atlas(resp, options=options, plan=plan, progress=progress, **_output(args))
    if not args.quiet:
        print(_msg(args, "wrote", path=out))
    return EXIT_OK


def _cmd_chiefs(args: argparse.Namespace) -> int:
    _before_work(args, inputs=[args.gpkg, args.roster], outputs=[(args.output, "tables")])
    resp = _open(args).with_chiefs(args.roster)
    report = pipeline.check_roster(resp, hotline=args.hotline, **_output(args))
    if not args.quiet:
        _print_table(report, columns=["reason", "unit_name", "name", "river_name", "detail"])
    return _found(args, "roster_problems", len(report))


def _with_roster(args: argparse.Namespace) -> Responsibility:
    """Open OUT.gpkg and join the roster of ``--chiefs``, when given."""
    resp = _open(args)
    return resp.with_chiefs(args.chiefs) if args.chiefs else resp


def _cmd_signboards(args: argparse.Namespace) -> int:
    from rivermap.maps.signboards import signboards

    _before_work(args, inputs=[args.gpkg, args.chiefs], outputs=[(args.output, "pdf")])
    resp = _open(args, level=args.level)
    resp = resp.with_chiefs(args.chiefs) if args.chiefs else resp
    out = signboards(
        resp, level=args.level, hotline=args.hotline, url=args.url, note=args.note,
        per=args.per, **_output(args),
    )  # fmt: skip
    if not args.quiet:
        print(_msg(args, "wrote_size", path=out, mb=f"{out.stat().st_size / 1e6:.2f}"))
    return EXIT_OK


def _cmd_route(args: argparse.Namespace) -> int:
    _before_work(
        args, inputs=[args.gpkg, args.events, args.chiefs], outputs=[(args.output, "events")]
    )
    if args.qml:
        pipeline.check_qml(args.output, "events", overwrite=args.overwrite)
    resp = _with_roster(args)
    routed = pipeline.route(
        resp, args.events, crs=args.crs, encoding=args.encoding, max_dist_m=args.max_dist_m,
        qml=args.qml, **_output(args),
    )  # fmt: skip
    unmatched = int((routed["match"] == "unmatched").sum())
    if not args.quiet:
        n = len(routed)
        ambiguous = int(routed["ambiguous"].sum())
        print(_msg(args, "routed", n=n, matched=n - unmatched, unmatched=unmatched,
                   ambiguous=ambiguous))  # fmt: skip
        if args.output:
            print(_msg(args, "wrote", path=args.output))
    return EXIT_PROBLEMS if unmatched else EXIT_OK


def _cmd_patrols(args: argparse.Namespace) -> int:
    inputs = [args.gpkg, args.tracks, args.chiefs, args.duties]
    _before_work(args, inputs=inputs, outputs=[(args.output, "xlsx")])
    resp = _with_roster(args)
    cover = pipeline.judge_patrols(
        resp, args.tracks, crs=args.crs, duties=args.duties, start=args.start, end=args.end,
        patrol_tol_m=args.patrol_tol_m, max_speed_kmh=args.max_speed_kmh, **_output(args),
    )  # fmt: skip
    short = int((cover.people["met"] == False).sum())  # noqa: E712 - True, False or None
    if not args.quiet:
        valid = int(cover.patrols["valid"].sum())
        print(_msg(args, "patrols_judged", n=len(cover.patrols), valid=valid, short=short))
        if args.output:
            print(_msg(args, "wrote", path=args.output))
    return EXIT_PROBLEMS if short else EXIT_OK


def _cmd_bulletin(args: argparse.Namespace) -> int:
    from rivermap.bulletin_tables import month_span, score_rule

    month_span(args.month)  # options first: a typo costs nothing
    weights = _weights(args.weights)
    score_rule(weights)
    pipeline.check_bulletin_outputs(args.output)
    inputs = [args.gpkg, args.events, args.patrols, args.chiefs, args.duties]
    _before_work(args, inputs=inputs, outputs=[(p, None) for p in args.output])
    resp = _with_roster(args)
    b = pipeline.make_bulletin(
        resp, events=args.events, tracks=args.patrols, month=args.month,
        events_crs=args.events_crs, tracks_crs=args.patrols_crs,
        duties=args.duties, level=args.level, weights=weights, note=args.note,
        paths=args.output, lang=args.lang, overwrite=args.overwrite,
    )  # fmt: skip
    ranking = b.tables["ranking"]
    silent = int(ranking["silent"].sum())
    if not args.quiet:
        print(_msg(args, "bulletin_made", month=b.month, n=len(ranking), silent=silent,
                   unrouted=len(b.tables["unrouted"])))  # fmt: skip
        for path in args.output:
            print(_msg(args, "wrote", path=path))
    return EXIT_PROBLEMS if silent else EXIT_OK


def _weights(text: str | None) -> dict[str, float] | None:
    """Return ``--weights`` (``name=number,...``) as a dict; None when not given.

    Examples
    --------
    >>> _weights("completion=0.6, closure_rate_all=0.4")
    {'completion': 0.6, 'closure_rate_all': 0.4}
    """
    if not text:
        return None
    out: dict[str, float] = {}
    for item in (s.strip() for s in text.split(",") if s.strip()):
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            msg = f"--weights: give name=number pairs such as completion=0.5, got {item!r}"
            raise ParameterError(msg) from None
    return out


def _cmd_init(args: argparse.Namespace) -> int:
    from rivermap.project import write_template

    out = write_template(args.path, overwrite=args.overwrite)
    print(_msg(args, "init_done", path=out))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from rivermap.project import load_project

    return _run_and_report(load_project(args.project, output=args.out), args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from rivermap.datasets import project_path
    from rivermap.project import load_project

    project = load_project(project_path("zhejiang"), output=args.out)
    return _run_and_report(project, args, demo=True)


def _run_and_report(project: Project, args: argparse.Namespace, *, demo: bool = False) -> int:
    from rivermap.demo import print_summary
    from rivermap.project import run_project

    if args.lang is not None:
        project = dataclasses.replace(project, lang=args.lang)
    echo = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    report = run_project(project, overwrite=args.overwrite, progress=not args.quiet, echo=echo)
    print_summary(project, report, demo=demo)
    return EXIT_OK


# ==================================================================== options
def _add_common(
    p: argparse.ArgumentParser, *, writes: bool = True, lang_default: str | None = params.LANG
) -> None:
    shown = lang_default or "the project's"
    g = p.add_argument_group("general")
    g.add_argument(
        "--lang",
        choices=params.LANGS,
        default=lang_default,
        help=f"{_both('help.lang')} (default: {shown})",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bars, fewer messages")
    if writes:
        g.add_argument("--overwrite", action="store_true", help="replace outputs that exist")


def _add_output(
    p: argparse.ArgumentParser, metavar: str, what: str, *, required: bool = True
) -> None:
    p.add_argument("-o", "--output", required=required, metavar=metavar, help=what)


def _add_qml(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--qml",
        action="store_true",
        help="also write the QGIS style of each layer beside the GeoPackage, as "
        "<stem>.<layer>.qml (the GeoPackage holds them as its default styles anyway)",
    )


def _add_gpkg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "gpkg", metavar="OUT.gpkg", help="a result written by 'rivermap assign' or 'run'"
    )


def _number(p: argparse._ActionsContainer, flag: str, default: float | None, what: str) -> None:
    """Add a number option (metres, a share) whose help shows its default."""
    shown = "auto" if default is None else f"{default:g}"
    p.add_argument(flag, type=float, default=default, help=f"{what} (default: {shown})")


def _choices(
    p: argparse._ActionsContainer, flag: str, choices: Sequence[str], default: str, what: str
) -> None:
    """Add an option with choices whose help shows its default."""
    p.add_argument(flag, choices=choices, default=default, help=f"{what} (default: {default})")


def _add_assign_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("assignment")
    _number(
        g, "--min-reach-m", params.MIN_REACH_M, "merge pieces shorter than this into a neighbour, m"
    )
    _number(
        g,
        "--boundary-tol-m",
        params.BOUNDARY_TOL_M,
        "distance to a boundary that counts as running along it, m",
    )
    _number(
        g,
        "--boundary-min-m",
        params.BOUNDARY_MIN_M,
        "shortest stretch along a boundary that is a boundary reach, m",
    )
    _choices(
        g,
        "--boundary-policy",
        params.BOUNDARY_POLICIES,
        params.BOUNDARY_POLICY,
        "who answers for a boundary reach (bank: each side its bank)",
    )
    g.add_argument("--workers", type=int, metavar="N", help="threads to use (default: every core)")
    g.add_argument(
        "--tiles",
        metavar="auto|N",
        help="assign in tiles of about N river vertices (auto: from the memory available); "
        "the working memory is bounded by the tile (default with -o .parquet: auto)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the tiles on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs rivermap[scale])",
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
    _add_inputs(p)
    _add_common(p, writes=False)


def _setup_assign(p: argparse.ArgumentParser) -> None:
    _add_inputs(p)
    _add_output(
        p,
        "OUT.gpkg",
        "the GeoPackage to write (reaches, rivers, units, flags); or OUT.parquet, a folder "
        "written tile by tile (reaches part-*.parquet, _rivers, _units, _metadata)",
    )
    _add_assign_options(p)
    p.add_argument("--chiefs", metavar="ROSTER", help="a chief roster (CSV/XLSX) to join")
    g = p.add_argument_group("QGIS")
    g.add_argument(
        "--level",
        help="colour the reaches by this level's units in the QGIS styles (default: the finest)",
    )
    _add_qml(p)
    _add_common(p)


def _setup_flags(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("--level", help="one level (default: every level)")
    _number(p, "--min-share", params.MIN_SHARE, "sliver share")
    _number(p, "--min-length-m", params.MIN_LENGTH_M, "sliver length, m")
    _add_output(p, "FLAGS.xlsx", "also write the table (.xlsx or .csv)", required=False)
    _add_common(p)


def _setup_redivide(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("--level", required=True, help="the level whose units get the segments")
    _add_output(p, "PLAN.gpkg", "the plan to write (segments and diff)")
    _choices(
        p, "--policy", params.REDIVIDE_POLICIES, params.REDIVIDE_POLICY, "who gets each stretch"
    )
    _number(p, "--min-segment-m", params.MIN_SEGMENT_M, "shortest segment, m")
    _number(p, "--min-share", params.MIN_SHARE, "sliver share")
    p.add_argument("--current", metavar="SEGMENTS", help="the official segmentation to diff")
    p.add_argument("--current-id-col", help="segment id column of --current")
    p.add_argument("--current-unit-col", help="responsible unit column of --current")
    p.add_argument("--edits", metavar="EDITS.geojson", help="a planner's edits to apply")
    _number(p, "--tolerance-m", params.EDIT_TOLERANCE_M, "snapping distance, m")
    p.add_argument("--table", metavar="PLAN.xlsx", help="also write segments and diff as a table")
    _add_qml(p)
    _add_common(p)


def _basemaps(value: str) -> str:
    """Check ``--basemap`` (one name or several, comma-separated); return it as given."""
    choices = ("none", *params.BASEMAPS)
    for part in value.split(","):
        kind = part.partition(":")[0].strip().lower()
        if kind and kind not in choices:  # worded as argparse words any bad choice
            listed = ", ".join(choices)
            msg = f"invalid choice: {kind!r} (choose from {listed}; several: osm,tianditu)"
            raise argparse.ArgumentTypeError(msg)
    try:
        params.check_basemaps("--basemap", value)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--basemap ")) from None
    return value


def _setup_map(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    _add_output(p, "MAP.html", "the HTML file to write (self-contained, works offline)")
    p.add_argument("--level", help="colour rivers by this level (default: the finest)")
    p.add_argument(
        "--basemap",
        type=_basemaps,
        default="none",
        metavar="NAME[,NAME...]",
        help=(
            f"background tiles: {', '.join(('none', *params.BASEMAPS))}, or several separated "
            "by commas (osm,tianditu), which the map switches between, the first shown, "
            "with none among them; gaode mixes with no other; all but none need a network "
            "(default: none)"
        ),
    )
    p.add_argument("--tianditu-key", help=term("msg.help.tianditu_key", "en"))
    p.add_argument("--no-flags", action="store_true", help="do not highlight flagged rivers")
    p.add_argument("--plan", metavar="PLAN.gpkg", help="show a plan's segments")
    p.add_argument(
        "--edit",
        action="store_true",
        help="with --plan: the planner's editing mode (split, reassign, merge; "
        "Download edits gives EDITS.geojson for redivide --edits)",
    )
    p.add_argument("--chiefs", metavar="ROSTER", help="show the chiefs of a roster")
    _number(p, "--simplify-m", None, "display simplification, m")
    p.add_argument(
        "--region",
        metavar="UNIT_ID",
        help="draw only this unit (a province, city, district …) and what lies in it",
    )
    _add_common(p)


def _setup_atlas(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    _add_output(p, "ATLAS.pdf", "the PDF to write")
    p.add_argument("--by", help="one page per unit of this level (default: second-finest)")
    _choices(p, "--paper", params.PAPERS, params.PAPERS[0], "paper size")
    _choices(p, "--orientation", params.ORIENTATIONS, params.ORIENTATIONS[0], "page orientation")
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


def _setup_signboards(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    _add_output(p, "SIGNBOARDS.pdf", "the PDF to write, one A4 page per board")
    p.add_argument("--level", help="the boards of this level's rivers (default: every level)")
    p.add_argument("--hotline", help="the supervision hotline printed on every board")
    p.add_argument("--url", help="report page the QR code opens, the board id appended")
    p.add_argument("--chiefs", metavar="ROSTER", help="name the chiefs of a roster")
    p.add_argument("--note", help="a line across the top of every board, e.g. draft")
    _choices(p, "--per", params.BOARD_PER, "river",
             "a board per river, or per river and unit of --level (stretch)")  # fmt: skip
    _add_common(p)


def _add_reports_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chiefs", metavar="ROSTER", help="the chief roster, to name the chiefs")
    p.add_argument(
        "--crs",
        help="coordinates of the file: wgs84 (default for lon/lat), gcj02 (Gaode), bd09 (Baidu)"
        " or any CRS PROJ knows",
    )


def _setup_route(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("events", metavar="EVENTS", help="tickets: CSV/XLSX/GeoJSON/GeoPackage")
    _add_output(p, "ROUTED.xlsx", "write the routed reports (.xlsx, .csv, .gpkg)", required=False)
    _add_reports_common(p)
    p.add_argument("--encoding", help="text encoding of a CSV that is neither UTF-8 nor GBK")
    _number(p, "--max-dist-m", params.MAX_DIST_M, "how far from a river a report may lie")
    _add_qml(p)
    _add_common(p)


def _setup_patrols(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("tracks", metavar="TRACKS", help="GPX file or folder, GeoJSON lines, CSV points")
    _add_output(p, "PATROLS.xlsx", "write the patrol workbook (.xlsx)", required=False)
    _add_reports_common(p)
    p.add_argument("--duties", metavar="DUTIES", help="duties table (CSV/XLSX); default duties")
    p.add_argument("--start", help="first day counted, e.g. 2026-11-01 (default: first patrol)")
    p.add_argument("--end", help="last day counted, e.g. 2026-11-30 (default: last patrol)")
    _number(p, "--patrol-tol-m", params.PATROL_TOL_M, "how near a reach a track counts along it")
    _number(p, "--max-speed-kmh", params.MAX_SPEED_KMH, "faster than this, a drive past")
    _add_common(p)


def _setup_bulletin(p: argparse.ArgumentParser) -> None:
    _add_gpkg(p)
    p.add_argument("--events", metavar="EVENTS", help="tickets: CSV/XLSX/GeoJSON/GeoPackage")
    p.add_argument("--patrols", metavar="TRACKS", help="GPX file or folder, GeoJSON, CSV points")
    p.add_argument("--month", required=True, help="the month of the bulletin, e.g. 2026-11")
    p.add_argument(
        "-o", "--output", required=True, action="append", metavar="BULLETIN.html|.xlsx",
        help="the page (.html) or the workbook (.xlsx); give -o twice for both",
    )  # fmt: skip
    p.add_argument("--chiefs", metavar="ROSTER", help="the chief roster, to name the chiefs")
    for what in ("events", "patrols"):
        p.add_argument(
            f"--{what}-crs",
            help=f"coordinates of --{what}: wgs84 (default for lon/lat), gcj02 (Gaode), "
            "bd09 (Baidu) or any CRS PROJ knows",
        )
    p.add_argument("--duties", metavar="DUTIES", help="duties table (CSV/XLSX); default duties")
    p.add_argument("--level", help="the level ranked (default: the finest)")
    p.add_argument(
        "--weights",
        help="the score's weights, e.g. completion=0.5,closure_rate_all=0.3,reporting=0.2",
    )
    p.add_argument("--note", help="a line shown on the page and the workbook")
    _add_common(p)


#: ``(name, setup, run)`` of every command; its summary is ``msg.cmd.<name>``.
_COMMANDS: list[
    tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = [
    ("demo", _setup_demo, _cmd_demo),
    ("init", _setup_init, _cmd_init),
    ("run", _setup_run, _cmd_run),
    ("validate", _setup_validate, _cmd_validate),
    ("assign", _setup_assign, _cmd_assign),
    ("flags", _setup_flags, _cmd_flags),
    ("redivide", _setup_redivide, _cmd_redivide),
    ("map", _setup_map, _cmd_map),
    ("atlas", _setup_atlas, _cmd_atlas),
    ("chiefs", _setup_chiefs, _cmd_chiefs),
    ("signboards", _setup_signboards, _cmd_signboards),
    ("route", _setup_route, _cmd_route),
    ("patrols", _setup_patrols, _cmd_patrols),
    ("bulletin", _setup_bulletin, _cmd_bulletin),
]


def _build_parser() -> argparse.ArgumentParser:
    from rivermap import __version__

    parser = _Parser(
        prog="rivermap",
        description=_both("cmd.rivermap"),
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rivermap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, setup, func in _COMMANDS:
        help_text = _both(f"cmd.{name}")
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

    Options a user set are checked (:func:`rivermap.pipeline.check_options`)
    before any work; every :class:`~rivermap.errors.RivermapError` and missing
    or unreadable file is one line on stderr and exit code 2; any other
    exception is a bug: a "please report" line, the traceback and exit code 3.

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
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            pipeline.check_options(vars(args), _flag)
            return int(args.func(args))
    except (RivermapError, OSError) as exc:
        print(f"rivermap: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rivermap: interrupted", file=sys.stderr)
        return 130
    except Exception:  # the edge: anything else is a bug, and said to be one
        return _report_bug(args)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a :class:`~rivermap.errors.RivermapWarning` as one line, ``rivermap: warning: …``.

    Repairs and leftovers removed are news for the user, not for a developer:
    no source file and line. Other warnings keep Python's form.
    """
    if issubclass(category, RivermapWarning):
        print(f"rivermap: warning: {message}", file=file or sys.stderr)
    else:
        warnings._showwarnmsg_impl(  # type: ignore[attr-defined]
            warnings.WarningMessage(message, category, filename, lineno, file, line)
        )


def _report_bug(args: argparse.Namespace) -> int:
    """Print the "please report" line and the traceback of a bug; return exit code 3.

    An exception that is not a :class:`~rivermap.errors.RivermapError` (nor an
    :class:`OSError` about a file) was not foreseen for any input, so it is a
    bug in rivermap, never "problems found" (1) nor a user error (2).
    """
    from rivermap._version import rivermap_version

    lang = getattr(args, "lang", None) or params.LANG
    print(term("msg.bug", lang, version=rivermap_version()), file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
