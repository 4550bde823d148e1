"""What the algorithms ask of rivermap: one function per step, on plain data.

An algorithm's QGIS side (its module in :mod:`rivermap_qgis.algorithms`) turns
its parameters into a *job*: files, options and the names messages give the
parameters, all plain JSON data. :func:`run_job` runs a job with
:mod:`rivermap.pipeline`, as the command line does, and returns the results,
or the one-line message of a :class:`~rivermap.errors.RivermapError`, with
rivermap's warnings. It runs either in QGIS's own Python, or in another Python
that has rivermap (a venv), as ``python -m rivermap_qgis.steps JOB RESULT``:
then progress comes as JSON lines on stdout and the outcome as the JSON file
``RESULT``. Nothing here imports QGIS.

:func:`describe` tells the QGIS side rivermap's version, the defaults and
choices of its options (:mod:`rivermap.params`) and the font for Chinese
labels, so that the plugin keeps no copy of them.

Examples
--------
>>> parse_levels("city, district")
['city', 'district']
>>> parse_levels("country=2,gemeinde=8")
{'country': '2', 'gemeinde': '8'}
"""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["PARAMS", "describe", "main", "parse_levels", "parse_weights", "run_job"]

#: The options of :mod:`rivermap.params` the algorithms show.
PARAMS = (
    "LANG", "LANGS", "MIN_REACH_M", "BOUNDARY_TOL_M", "BOUNDARY_MIN_M", "BOUNDARY_POLICIES",
    "BOUNDARY_POLICY", "MIN_SHARE", "MIN_LENGTH_M", "REDIVIDE_POLICIES", "REDIVIDE_POLICY",
    "MIN_SEGMENT_M", "EDIT_TOLERANCE_M", "BASEMAPS", "PAPERS", "ORIENTATIONS", "MAX_DIST_M",
    "PATROL_TOL_M", "MAX_SPEED_KMH",
)  # fmt: skip

Progress = Callable[[float, str, str], None]


def describe() -> dict[str, Any]:
    """Return rivermap's version, the options' defaults and choices, and the CJK font.

    ``font`` is the file of the font rivermap's styles label with, and
    ``font_family`` its family; ``font`` is None when the font package is
    missing (QGIS then falls back to a system font).
    """
    import rivermap
    from rivermap import params
    from rivermap.maps._fonts import FONT_FAMILY

    try:
        from rivermap.maps._fonts import source_font

        font: str | None = str(source_font()[0])
    except ImportError:
        font = None
    values = {name: getattr(params, name) for name in PARAMS}
    return {
        "version": rivermap.__version__,
        "params": values,
        "font": font,
        "font_family": FONT_FAMILY,
    }


def parse_levels(text: str | None) -> list[str] | dict[str, str] | None:
    """Return ``LEVELS`` as a list, or as ``{name: value}`` when it holds ``name=value`` pairs."""
    items = [s.strip() for s in (text or "").split(",") if s.strip()]
    if not items:
        return None
    if any("=" in item for item in items):
        pairs = (item.partition("=") for item in items)
        return {name.strip(): value.strip() if sep else name.strip() for name, sep, value in pairs}
    return items


def parse_weights(text: str | None) -> dict[str, float] | None:
    """Return ``WEIGHTS`` (``name=number,...``) as a dict; None when not given.

    Examples
    --------
    >>> parse_weights("completion=0.6, closure_rate_all=0.4")
    {'completion': 0.6, 'closure_rate_all': 0.4}
    """
    from rivermap.errors import ParameterError

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
            msg = f"WEIGHTS: give name=number pairs such as completion=0.5, got {item!r}"
            raise ParameterError(msg) from None
    return out


# ===================================================================== jobs
def _label(job: Mapping[str, Any]) -> Callable[[str], str]:
    """Return how messages name an option: its parameter, as the job's labels say."""
    labels = job.get("labels", {})
    return lambda key: labels.get(key, key)


def _check(job: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    from rivermap import pipeline

    pipeline.check_options(values, _label(job))


def _output(path: str, kind: str | None) -> str:
    """Check an output before any work (its suffix); the path QGIS chose is overwritten."""
    from rivermap.io import check_output

    return str(check_output(path, overwrite=True, kind=kind))


def _optional(path: str | None, kind: str | None) -> str | None:
    """Check an optional output (None: not asked for)."""
    return None if path is None else _output(path, kind)


def _result(job: Mapping[str, Any], *, roster: bool = False, level: str | None = None) -> Any:
    """Read the job's result GeoPackage; join its roster; check ``level`` against it."""
    from rivermap import pipeline
    from rivermap.responsibility import read_responsibility

    resp = read_responsibility(job["result"])
    pipeline.check_levels(resp.levels, {_label(job)("level"): level})
    if roster and job.get("chiefs"):
        resp = resp.with_chiefs(job["chiefs"])
    return resp


def assign(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Read rivers and units, assign, write the GeoPackage."""
    from rivermap import pipeline

    options = pipeline.AssignOptions(**job["options"])
    _check(job, dataclasses.asdict(options))
    out = _output(job["output"], "gpkg")
    pipeline.require_files(job.get("chiefs"))
    progress(2, "读取河流与行政单元", "reading rivers and units")
    units = dict(job["units"])
    if isinstance(units["source"], dict):  # {level: [file, layer]}: a (file, layer) each
        units["source"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in units["source"].items()
        }
    inputs = pipeline.Inputs(pipeline.RiverInput(**job["rivers"]), pipeline.UnitInput(**units))
    rivers, admin = pipeline.read_inputs(inputs)
    progress(25, "划分河段", "assigning reaches")
    resp = pipeline.assign(rivers, admin, options, roster=job.get("chiefs"))
    progress(85, "写出 GeoPackage", "writing the GeoPackage")
    pipeline.save_responsibility(resp, out, overwrite=True)
    summary = resp.summary
    return {"OUTPUT": out, "N_RIVERS": summary["n_rivers"], "N_REACHES": summary["n_reaches"]}


def flags(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Flag the rivers; write the result with these flags, and the table when asked."""
    from rivermap import pipeline

    options = pipeline.FlagOptions(**job["options"])
    _check(job, dataclasses.asdict(options))
    out, table = _output(job["output"], "gpkg"), _optional(job.get("table"), "tables")
    progress(5, "读取结果", "reading the result")
    resp = _result(job, level=job.get("level"))
    progress(30, "标记河流", "flagging rivers")
    found = pipeline.flag_rivers(
        resp, options, level=job.get("level"), path=table, lang=job["lang"], overwrite=True
    )
    progress(70, "写出 GeoPackage", "writing the GeoPackage")
    pipeline.save_responsibility(resp, out, flags=found, overwrite=True)
    return {"OUTPUT": out, "TABLE": table, "FLAGGED": len(found)}


def redivide(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Propose a plan, apply the edits, write the plan and its tables."""
    from rivermap import pipeline

    options = pipeline.RedivideOptions(**job["options"])
    _check(job, dataclasses.asdict(options))
    out, tables = _output(job["output"], "gpkg"), _optional(job.get("table"), "tables")
    pipeline.require_files(options.current, options.edits)
    progress(5, "读取结果", "reading the result")
    resp = _result(job, level=options.level)
    progress(20, "提出方案", "proposing the plan")
    plan = pipeline.redivide(resp, options, path=out, tables=tables, lang=job["lang"],
                             overwrite=True)  # fmt: skip
    return {"OUTPUT": out, "TABLE": tables, "N_SEGMENTS": len(plan.segments)}


def route(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Read and route the reports; write them to a GeoPackage, and the table when asked."""
    from rivermap import pipeline
    from rivermap.routing import write_events

    _check(job, {"max_dist_m": job["max_dist_m"]})
    out, table = _output(job["output"], "gpkg"), _optional(job.get("table"), "tables")
    pipeline.require_files(job["events"], job.get("chiefs"))
    progress(5, "读取结果与工单", "reading the result and the reports")
    resp = _result(job, roster=True)
    progress(30, "分派工单", "routing the reports")
    routed = pipeline.route(
        resp, job["events"], crs=job.get("crs"), max_dist_m=job["max_dist_m"], path=out,
        lang=job["lang"], overwrite=True,
    )  # fmt: skip
    if table:
        progress(90, "写出表格", "writing the table")
        write_events(routed, table, lang=job["lang"], overwrite=True)
    unmatched = int((routed["match"] == "unmatched").sum())
    return {"OUTPUT": out, "TABLE": table, "N_EVENTS": len(routed), "N_UNMATCHED": unmatched}


def patrols(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Judge the tracks; write the workbook, and the patrols' lines when asked."""
    from rivermap import pipeline
    from rivermap.io import atomic_output

    options = job["options"]
    _check(job, options)
    out, layer = _output(job["output"], "xlsx"), _optional(job.get("layer"), "gpkg")
    pipeline.require_files(job["tracks"], job.get("chiefs"), job.get("duties"))
    progress(5, "读取结果与轨迹", "reading the result and the tracks")
    resp = _result(job, roster=True)
    progress(20, "考核巡河", "judging the patrols")
    cover = pipeline.judge_patrols(
        resp, job["tracks"], crs=job.get("crs"), duties=job.get("duties"),
        start=job.get("start"), end=job.get("end"), **options, path=out, lang=job["lang"],
        overwrite=True,
    )  # fmt: skip
    if layer:
        progress(90, "写出轨迹图层", "writing the patrols layer")
        with atomic_output(layer, overwrite=True) as tmp:
            cover.patrols.to_file(tmp, layer="patrols", driver="GPKG")
    short = int((cover.people["met"] == False).sum())  # noqa: E712 - True, False or None
    return {"OUTPUT": out, "LAYER": layer, "N_PATROLS": len(cover.patrols), "N_SHORT": short}


def bulletin(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Make the month's bulletin; write the page and the workbook."""
    from rivermap import pipeline
    from rivermap.bulletin_tables import month_span, score_rule

    month_span(job["month"])
    weights = parse_weights(job.get("weights"))
    score_rule(weights)
    paths = [p for p in (job["output"], job.get("table")) if p]
    pipeline.check_bulletin_outputs(paths, "OUTPUT")
    for path in paths:
        _output(path, None)
    pipeline.require_files(job.get("events"), job.get("tracks"), job.get("chiefs"))
    pipeline.require_files(job.get("duties"))
    progress(5, "读取结果、工单与轨迹", "reading the result, reports and tracks")
    resp = _result(job, roster=True, level=job.get("level"))
    progress(20, "编制通报", "making the bulletin")
    b = pipeline.make_bulletin(
        resp, events=job.get("events"), tracks=job.get("tracks"), month=job["month"],
        events_crs=job.get("events_crs"), tracks_crs=job.get("tracks_crs"),
        duties=job.get("duties"), level=job.get("level"), weights=weights,
        note=job.get("note"), paths=paths, lang=job["lang"], overwrite=True,
    )  # fmt: skip
    silent = int(b.tables["ranking"]["silent"].sum())
    return {"OUTPUT": paths[0], "TABLE": job.get("table"), "N_SILENT": silent}


def webmap(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Draw the web map; write the HTML file."""
    from rivermap import pipeline
    from rivermap.redivide import read_plan

    options = pipeline.MapOptions(**job["options"])
    _check(job, dataclasses.asdict(options))
    out = _output(job["output"], "html")
    pipeline.require_files(job.get("chiefs"))
    progress(5, "读取结果", "reading the result")
    resp = _result(job, roster=True, level=options.level)
    plan = read_plan(job["plan"]) if job.get("plan") else None
    progress(25, "绘制地图", "drawing the map")
    pipeline.draw_map(resp, out, options, lang=job["lang"], flags=job["flags"], plan=plan,
                      edit=job["edit"], overwrite=True)  # fmt: skip
    return {"OUTPUT": out}


def atlas(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Draw the atlas; write the PDF."""
    from rivermap import pipeline
    from rivermap.redivide import read_plan

    options = pipeline.AtlasOptions(**job["options"])
    _check(job, dataclasses.asdict(options))
    out = _output(job["output"], "pdf")
    pipeline.require_files(options.chiefs)
    progress(5, "读取结果", "reading the result")
    resp = _result(job, level=options.by)
    plan = read_plan(job["plan"]) if job.get("plan") else None
    progress(15, "绘制图册", "drawing the atlas")
    pipeline.make_atlas(resp, out, options, lang=job["lang"], plan=plan, overwrite=True)
    return {"OUTPUT": out}


#: Every step, by the algorithm's name.
STEPS: dict[str, Callable[[Mapping[str, Any], Progress], dict[str, Any]]] = {
    "assign": assign, "flags": flags, "redivide": redivide, "route": route,
    "patrols": patrols, "bulletin": bulletin, "webmap": webmap, "atlas": atlas,
}  # fmt: skip


def run_job(job: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Run a job; return ``{"results": ...}`` or ``{"error": line}``, and ``"warnings"``.

    A :class:`~rivermap.errors.RivermapError` or an ``OSError`` about a file
    is the user's: its line is returned. Anything else is a bug and raised.
    """
    from rivermap.errors import RivermapError, RivermapWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out: dict[str, Any] = {"results": STEPS[job["step"]](job, progress)}
        except (RivermapError, OSError) as exc:
            out = {"error": str(exc)}
    out["warnings"] = [str(w.message) for w in caught if issubclass(w.category, RivermapWarning)]
    return out


def _print_progress(percent: float, zh: str, en: str) -> None:
    print(json.dumps({"progress": percent, "text": f"{zh} / {en}"}, ensure_ascii=False), flush=True)


def main(argv: list[str]) -> int:
    """Run the job of file ``argv[0]`` (or ``describe``), write the outcome to file ``argv[1]``."""
    job_path, out_path = Path(argv[0]), Path(argv[1])
    try:
        if argv[0] == "describe":
            outcome: dict[str, Any] = {"results": describe()}
        else:
            outcome = run_job(json.loads(job_path.read_text(encoding="utf-8")), _print_progress)
    except Exception:  # a bug in rivermap or the plugin: the traceback goes back to QGIS
        outcome = {"bug": traceback.format_exc()}
    out_path.write_text(json.dumps(outcome, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
