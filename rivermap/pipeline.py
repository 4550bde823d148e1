"""The one job both faces run: read → validate → assign → flags → redivide → chiefs → map → atlas.

The command line (:mod:`rivermap.cli`) and project files (:mod:`rivermap.project`)
are two faces of the same steps: each builds an :class:`Inputs` and the options
of a step (:class:`AssignOptions`, :class:`FlagOptions`, …) from its flags or
its sections, and calls the step functions here. A step computes one result
and, when given a path, writes it. Defaults and choices come from
:mod:`rivermap.params`, and :func:`check_options` checks the values a user set
before any work, naming each as the user wrote it (``--min-share`` or
``[flags] min_share``).

:mod:`rivermap.maps` (folium, matplotlib) is imported only by the steps that draw.

Examples
--------
>>> from rivermap.datasets import get_path
>>> demo = get_path("zhejiang")
>>> spec = Inputs(RiverInput(demo, merge_by="name"), UnitInput(demo))
>>> rivers, units = read_inputs(spec)
>>> len(rivers), units.levels
(11, ('province', 'city', 'district'))
>>> check_options({"min_share": 2}, lambda key: f"--{key.replace('_', '-')}")
Traceback (most recent call last):
...
rivermap.errors.ParameterError: --min-share is a share of the river's length (0–1), got 2
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rivermap import params
from rivermap.errors import DataError, ParameterError, RivermapWarning, SchemaError, format_ids

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from rivermap.redivide import Plan
    from rivermap.responsibility import Responsibility
    from rivermap.units import AdminUnits

__all__ = [
    "CHECKS",
    "AssignOptions",
    "AtlasOptions",
    "FlagOptions",
    "Inputs",
    "MapOptions",
    "RedivideOptions",
    "RiverInput",
    "UnitInput",
    "assign",
    "assign_to_parquet",
    "check_levels",
    "check_options",
    "check_qml",
    "check_roster",
    "draw_map",
    "flag_rivers",
    "judge_patrols",
    "make_atlas",
    "read_inputs",
    "redivide",
    "require_files",
    "route",
    "save_responsibility",
    "validate",
]

PathLike = str | os.PathLike[str]


# ====================================================================== inputs
@dataclass(frozen=True)
class RiverInput:
    """Where the rivers come from: ``RIVERS`` and its flags, or ``[rivers]``.

    The fields are :func:`rivermap.read_rivers`'s. Without ``layer``, a file
    holding several layers is read from its first line layer.
    """

    path: PathLike
    layer: str | None = None
    id_col: str | None = None
    name_col: str | None = None
    merge_by: str | None = None
    encoding: str | None = None
    crs: Any = None


@dataclass(frozen=True)
class UnitInput:
    """Where the administrative units come from: ``UNITS`` and its flags, or ``[units]``.

    ``source`` is a file with one layer per level, ``{level: path}`` or
    ``{level: (path, layer)}``, or (with ``level_col``) a file holding every
    level in ``layer``. ``levels`` is a list from the top level down, or
    ``{name: value of level_col}``; without it, the polygon layers of the file
    in file order (or the keys of a ``{level: ...}`` source). The other fields
    are :func:`rivermap.read_units`'s.
    """

    source: Any
    levels: Sequence[str] | Mapping[str, Any] | None = None
    id_cols: str | Mapping[str, str] | None = None
    name_cols: str | Mapping[str, str] | None = None
    parent: str = "auto"
    level_col: str | None = None
    layer: str | None = None
    encoding: str | None = None
    crs: Any = None


@dataclass(frozen=True)
class Inputs:
    """The rivers and the units of a job."""

    rivers: RiverInput
    units: UnitInput


def _kwargs(spec: Any, *skip: str, **given: Any) -> dict[str, Any]:
    """Return the fields of the dataclass ``spec`` but ``skip`` as keyword arguments, and ``given``.

    The inputs and options here are named as the arguments of the functions
    they are for, so a step passes them on as they are.

    Examples
    --------
    >>> _kwargs(FlagOptions(min_share=0.1), "min_length_m", level="city")
    {'min_share': 0.1, 'level': 'city'}
    """
    values = {f.name: getattr(spec, f.name) for f in fields(spec) if f.name not in skip}
    return {**values, **given}


def _spatial_layers(path: Any) -> list[tuple[str, str]]:
    """Return ``(name, geometry type)`` of a file's layers that have geometry, in file order."""
    from rivermap.io import layer_types

    return [(n, t) for n, t in layer_types(path) if t]


def _line_and_polygon_layers(path: Any) -> tuple[list[str], list[str]]:
    """Return the line layers and the polygon layers of a file, in file order."""
    info = _spatial_layers(path)
    lines = [n for n, t in info if "LineString" in t]
    polys = [n for n, t in info if "Polygon" in t]
    return lines, polys


def require_files(*paths: Any) -> None:
    """Refuse, before any work, input files that do not exist (None is no file).

    A ``{level: path}`` or ``{level: (path, layer)}`` source counts as its paths.
    """
    for path in paths:
        if isinstance(path, Mapping):
            require_files(*(v[0] if isinstance(v, tuple) else v for v in path.values()))
        elif isinstance(path, str | os.PathLike) and not Path(path).exists():
            msg = f"{path}: no such file"
            raise DataError(msg)


def _rivers_layer(spec: RiverInput) -> str | None:
    """Return the layer to read: the one given, or the first line layer of a multi-layer file."""
    if spec.layer is not None:
        return spec.layer
    lines, polys = _line_and_polygon_layers(spec.path)
    return lines[0] if lines and len(lines) + len(polys) > 1 else None


def _levels(spec: UnitInput, rivers: RiverInput) -> Sequence[str] | Mapping[str, Any]:
    """Return the levels given, or those the source names (its polygon layers or keys).

    Levels found on their own are the polygon layers. Any other layer with
    geometry (but the rivers' own layer) is left out with a warning naming it,
    never silently: a level saved as lines would otherwise just vanish.
    """
    if spec.levels:
        return spec.levels
    if spec.level_col is not None:
        msg = f"level_col={spec.level_col!r} needs the levels named top to bottom"
        raise ParameterError(msg)
    if isinstance(spec.source, Mapping):
        return list(spec.source)
    same = _same_file(spec.source, rivers.path)
    skip = {_rivers_layer(rivers)} if same else set()
    layers = [(n, t) for n, t in _spatial_layers(spec.source) if n not in skip]
    polys = [n for n, t in layers if "Polygon" in t]
    other = [f"{n} ({t})" for n, t in layers if "Polygon" not in t]
    if other and polys:
        warnings.warn(
            f"{spec.source}: layer(s) {format_ids(other)} are not polygons and are not used "
            f"as levels; the levels are {format_ids(polys)}. If that is wrong, name the "
            "levels top to bottom (--levels, or levels= in the project file)",
            RivermapWarning,
            stacklevel=3,
        )
    if not polys:
        msg = f"{spec.source}: name the levels top to bottom; the file has no polygon layers"
        raise SchemaError(msg)
    return polys


def _same_file(a: Any, b: Any) -> bool:
    """Whether two sources name the same existing file."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except TypeError:  # a GeoDataFrame or a mapping
        return False


def read_inputs(
    spec: Inputs, *, notes: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, AdminUnits]:
    """Read the rivers and the units of ``spec``.

    Parameters
    ----------
    spec
        Where they come from.
    notes
        When given, the messages of the repairs made while reading
        (:class:`~rivermap.errors.RivermapWarning`) are appended to it instead
        of being warned, for :func:`validate` to report.

    Returns
    -------
    tuple
        ``(rivers, units)`` as from :func:`rivermap.read_rivers` and
        :func:`rivermap.read_units`.
    """
    from rivermap.io import read_rivers, read_units

    r, u = spec.rivers, spec.units
    require_files(r.path, u.source)
    with warnings.catch_warnings(record=notes is not None) as caught:
        if notes is not None:
            warnings.simplefilter("always", RivermapWarning)
        rivers = read_rivers(r.path, **_kwargs(r, "path", layer=_rivers_layer(r)))
        units = read_units(u.source, **_kwargs(u, "source", levels=_levels(u, r)))
    _keep_notes(caught or [], notes)
    return rivers, units


def _keep_notes(caught: list[warnings.WarningMessage], notes: list[str] | None) -> None:
    """Append rivermap's warnings to ``notes``; warn the others again."""
    for w in caught:
        if notes is not None and issubclass(w.category, RivermapWarning):
            notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def validate(
    rivers: gpd.GeoDataFrame, units: AdminUnits, notes: Sequence[str] = ()
) -> pd.DataFrame:
    """Return every problem in rivers and units (:func:`rivermap.validate.validate_inputs`)."""
    from rivermap.crs import check_extents
    from rivermap.validate import validate_inputs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RivermapWarning)
        check_extents(rivers, units.frame)  # no river near any unit is an error
    notes = [*notes, *(str(w.message) for w in caught)]
    return validate_inputs(rivers, units, read_notes=notes)


# ===================================================================== options
def _length_or_inf(name: str, value: Any) -> float:
    return params.check_length(name, value, finite=False)


def _workers(name: str, value: Any) -> int | None:
    try:
        return params.check_workers(value)
    except ParameterError:
        msg = f"{name} must be a whole number of 1 or more, got {value!r}"
        raise ParameterError(msg) from None


def _encoding(name: str, value: Any) -> Any:
    """Refuse an encoding Python does not know, before any file is read."""
    import codecs

    try:
        codecs.lookup(str(value))
    except LookupError:
        msg = f"{name}: unknown encoding: {value} (e.g. utf-8, gbk, gb18030)"
        raise ParameterError(msg) from None
    return value


def _basemap(name: str, value: Any) -> Any:
    params.check_basemaps(name, value)  # one name or several, comma-separated
    return value


def _choice(choices: Sequence[str]) -> Callable[[str, Any], str]:
    return lambda name, value: params.check_choice(name, value, choices)


#: The check of every option a user sets, by its name in the library and in
#: project files (the command line spells it with dashes).
CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "min_reach_m": params.check_length,
    "boundary_tol_m": params.check_length,
    "boundary_min_m": _length_or_inf,
    "boundary_policy": _choice(params.BOUNDARY_POLICIES),
    "workers": _workers,
    "min_share": params.check_share,
    "min_length_m": params.check_length,
    "policy": _choice(params.REDIVIDE_POLICIES),
    "min_segment_m": params.check_length,
    "tolerance_m": params.check_length,
    "simplify_m": params.check_length,
    "tiles": params.check_tiles,
    "scheduler": params.check_scheduler,
    "basemap": _basemap,
    "encoding": _encoding,
    "paper": _choice(params.PAPERS),
    "orientation": _choice(params.ORIENTATIONS),
    "lang": _choice(params.LANGS),
    "max_dist_m": params.check_length,
    "patrol_tol_m": params.check_length,
    "max_speed_kmh": params.check_number,
    "per": _choice(params.BOARD_PER),
}


def check_options(values: Mapping[str, Any], name: Callable[[str], str]) -> None:
    """Check every option set in ``values`` (None is unset) before any work.

    Parameters
    ----------
    values
        ``{option: value}``; keys without a check in :data:`CHECKS` are skipped.
    name
        How the user wrote an option, for the message: ``--min-share``,
        ``rivermap.toml: [flags] min_share``.

    Raises
    ------
    ParameterError
        For the first value out of range or not one of its choices.
    """
    for key, value in values.items():
        if key in CHECKS and value is not None:
            CHECKS[key](name(key), value)


def check_levels(levels: Sequence[str], wanted: Mapping[str, str | None]) -> None:
    """Check every level in ``wanted`` (``{how the user wrote it: level}``) against ``levels``."""
    for name, level in wanted.items():
        if level is not None:
            params.check_level(level, levels, name=name)


@dataclass(frozen=True)
class AssignOptions:
    """The options of :func:`rivermap.assign`; the defaults are :mod:`rivermap.params`'s."""

    min_reach_m: float = params.MIN_REACH_M
    boundary_tol_m: float = params.BOUNDARY_TOL_M
    boundary_min_m: float = params.BOUNDARY_MIN_M
    boundary_policy: str = params.BOUNDARY_POLICY
    workers: int | None = None
    tiles: str | int | None = None  # rivermap.scale: tiles of about this many river vertices
    scheduler: str | None = None  # rivermap.scale on a Dask cluster: its address

    @property
    def scaled(self) -> bool:
        """Whether the rivers go through :mod:`rivermap.scale` (in tiles, or on Dask)."""
        return self.tiles is not None or self.scheduler is not None

    def scale_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments of :func:`rivermap.scale.assign` (tiles: auto if unset)."""
        return _kwargs(self, tiles=params.check_tiles("tiles", self.tiles or params.TILES))


@dataclass(frozen=True)
class FlagOptions:
    """The options of :meth:`rivermap.Responsibility.flags`."""

    min_share: float = params.MIN_SHARE
    min_length_m: float = params.MIN_LENGTH_M


@dataclass(frozen=True)
class RedivideOptions:
    """The options of :func:`rivermap.redivide` and of the edits applied after it.

    ``level`` None is the finest level; ``edits`` is a planner's edits file.
    """

    level: str | None = None
    policy: str = params.REDIVIDE_POLICY
    min_segment_m: float = params.MIN_SEGMENT_M
    min_share: float = params.MIN_SHARE
    current: PathLike | None = None
    current_id_col: str | None = None
    current_unit_col: str | None = None
    tolerance_m: float = params.EDIT_TOLERANCE_M
    edits: PathLike | None = None


@dataclass(frozen=True)
class MapOptions:
    """The options of the web map; ``basemap`` None, ``""`` or ``"none"`` is no tiles."""

    level: str | None = None
    basemap: str | None = None
    tianditu_key: str | None = None
    simplify_m: float | None = None
    region: str | None = None

    def basemap_arg(self) -> str | None:
        """Return the ``basemap`` argument of :func:`rivermap.maps.responsibility_map`."""
        basemaps = params.check_basemaps("basemap", self.basemap)
        if not basemaps:
            return None
        if not self.tianditu_key:
            return self.basemap
        return ",".join(
            f"tianditu:{key or self.tianditu_key}" if kind == "tianditu" else kind
            for kind, key in basemaps
        )


@dataclass(frozen=True)
class AtlasOptions:
    """The options of :func:`rivermap.maps.atlas`."""

    by: str | None = None
    paper: str = params.PAPERS[0]
    orientation: str = params.ORIENTATIONS[0]
    title: str | None = None
    credit: str | None = None
    empty_units: bool = False
    chiefs: Any = None


# ======================================================================= steps
def assign(
    rivers: gpd.GeoDataFrame,
    units: AdminUnits,
    options: AssignOptions,
    *,
    roster: Any = None,
    progress: bool = False,
) -> Responsibility:
    """Split the rivers into reaches and assign them; join a chief ``roster`` when given.

    Raises :class:`~rivermap.errors.TopologyError` first when the units do not nest.
    """
    units.require_consistent()
    if options.scaled:
        from rivermap import scale

        resp = scale.assign(rivers, units, **options.scale_kwargs(), progress=progress)
    else:
        from rivermap.assign import assign as assign_reaches

        kwargs = _kwargs(options, "tiles", "scheduler")
        resp = assign_reaches(rivers, units, **kwargs, progress=progress)
    return resp if roster is None else resp.with_chiefs(roster)


def assign_to_parquet(
    spec: Inputs,
    options: AssignOptions,
    path: PathLike,
    *,
    overwrite: bool = False,
    progress: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """Assign in tiles, writing the result folder as it goes (:mod:`rivermap.scale`).

    Rivers in a GeoParquet file with a ``river_id`` column, given with no
    reading option, are streamed from it a tile at a time; units in one
    GeoParquet table (``unit_id``, ``name``, ``level``, ``parent_id``) with the
    levels named are read as they are. Other inputs go through the normal
    readers first. Returns the folder and the result's summary.
    """
    import json

    from rivermap import scale
    from rivermap.io import read_rivers, read_units

    r, u = spec.rivers, spec.units
    require_files(r.path, u.source)
    rivers: Any = r.path
    if not _standard_file(r.path, ("river_id",), _kwargs(r, "path")):
        rivers = read_rivers(r.path, **_kwargs(r, "path", layer=_rivers_layer(r)))
    plain = _kwargs(u, "source", "levels", "parent", "level_col")
    if (
        isinstance(u.levels, list | tuple)
        and u.parent == "auto"
        and u.level_col in (None, "level")
        and _standard_file(u.source, ("unit_id", "name", "level", "parent_id"), plain)
    ):
        units = _read_unit_table(u.source, u.levels)
    else:
        units = read_units(u.source, **_kwargs(u, "source", levels=_levels(u, r)))
    units.require_consistent()
    kwargs = options.scale_kwargs()
    out = scale.assign_to_parquet(
        rivers, units, path, overwrite=overwrite, progress=progress, **kwargs
    )
    meta = json.loads((out / "_metadata.json").read_text(encoding="utf-8"))
    return out, meta["summary"]


def _read_unit_table(path: PathLike, levels: Sequence[str]) -> AdminUnits:
    """Read units kept as one GeoParquet table in the schema of :attr:`AdminUnits.frame`."""
    import geopandas as gpd

    from rivermap.units import AdminUnits

    try:
        frame = gpd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for damaged files
        msg = f"{path}: not a readable GeoParquet file ({exc})"
        raise DataError(msg) from exc
    return AdminUnits(frame, levels, source=os.fspath(path))


def _standard_file(source: Any, columns: Sequence[str], options: Mapping[str, Any]) -> bool:
    """Tell whether ``source`` is a GeoParquet file holding ``columns``, read with no option."""
    if not isinstance(source, str | os.PathLike) or any(v is not None for v in options.values()):
        return False
    if Path(source).suffix.lower() not in (".parquet", ".geoparquet", ".pq"):
        return False
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(source).names
    except Exception:  # not a readable parquet file: the normal reader says why
        return False
    return all(c in names for c in columns)


def check_qml(path: PathLike | None, kind: str, *, overwrite: bool, option: str = "--qml") -> None:
    """Refuse, before any work, QGIS ``.qml`` files without a GeoPackage output, or that exist.

    ``kind`` is ``"responsibility"``, ``"plan"`` or ``"events"``: which
    layers get a ``<stem>.<layer>.qml`` beside ``path``.
    """
    from rivermap._qgis import check_qml as refuse_existing

    if path is None or Path(path).suffix.lower() != ".gpkg":
        msg = (
            f"{option}: QGIS styles are written beside a GeoPackage output (-o OUT.gpkg), "
            f"not {path or 'no output'}"
        )
        raise ParameterError(msg)
    refuse_existing(path, kind, overwrite=overwrite)


def save_responsibility(
    resp: Responsibility,
    path: PathLike,
    *,
    flags: pd.DataFrame | None = None,
    level: str | None = None,
    lang: str = params.LANG,
    qml: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the result (and its ``flags`` table, when computed already) to a GeoPackage.

    Its QGIS styles colour the reaches by ``level`` (None: the finest); with
    ``qml`` they are also written as ``.qml`` files beside it.
    """
    return resp.to_file(path, flags=flags, level=level, lang=lang, qml=qml, overwrite=overwrite)


def flag_rivers(
    resp: Responsibility,
    options: FlagOptions,
    *,
    level: str | None = None,
    path: PathLike | None = None,
    lang: str = params.LANG,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Return the rivers to look at (every level, or ``level``); write the table to ``path``."""
    from rivermap.flags import write_flags

    table = resp.flags(level, **_kwargs(options))
    if path is not None:
        write_flags(table, path, lang=lang, overwrite=overwrite)
    return table


def redivide(
    resp: Responsibility,
    options: RedivideOptions,
    *,
    path: PathLike | None = None,
    tables: PathLike | None = None,
    lang: str = params.LANG,
    qml: bool = False,
    overwrite: bool = False,
) -> Plan:
    """Propose a redivision and apply the edits; write the plan and its tables when asked.

    The plan's GeoPackage colours the segments as the web map does (from
    ``resp``'s units); with ``qml`` its styles are also written as ``.qml``
    files beside it.
    """
    from rivermap.redivide import redivide as propose

    level = options.level if options.level is not None else resp.levels[-1]
    plan = propose(resp, **_kwargs(options, "edits", level=level))
    if options.edits is not None:
        plan = plan.apply_edits(options.edits, tolerance_m=options.tolerance_m)
    if path is not None:
        plan.to_file(path, units=resp.units, lang=lang, qml=qml, overwrite=overwrite)
    if tables is not None:
        plan.write_tables(tables, lang=lang, overwrite=overwrite)
    return plan


def check_roster(
    resp: Responsibility,
    *,
    path: PathLike | None = None,
    hotline: str | None = None,
    lang: str = params.LANG,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Return the gaps of the joined roster; write gaps, chiefs and signboards to ``path``."""
    from rivermap.chiefs import roster_workbook, write_table

    report = resp.roster_report(lang=lang)
    if path is not None:
        sheets = roster_workbook(resp, hotline=hotline, lang=lang, report=report)
        write_table(sheets, path, overwrite=overwrite, lang=lang)
    return report


def draw_map(
    resp: Responsibility,
    path: PathLike,
    options: MapOptions,
    *,
    lang: str = params.LANG,
    flags: bool | pd.DataFrame = True,
    plan: Plan | None = None,
    events: Any = None,
    patrols: Any = None,
    note: str | None = None,
    edit: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the interactive map as one offline HTML file (with routed reports and patrols).

    ``edit=True`` draws ``plan`` in the planner's editing mode.
    """
    from rivermap.maps import responsibility_map, save_html

    kwargs = _kwargs(options, "tianditu_key", basemap=options.basemap_arg())
    if events is not None or patrols is not None or note is not None:
        kwargs.update(events=events, patrols=patrols, note=note)
    if edit:
        kwargs["edit"] = True
    m = responsibility_map(resp, **kwargs, lang=lang, flags=flags, plan=plan)
    return save_html(m, path, overwrite=overwrite)


def make_atlas(
    resp: Responsibility,
    path: PathLike,
    options: AtlasOptions,
    *,
    lang: str = params.LANG,
    plan: Plan | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write the printable PDF atlas."""
    from rivermap.maps import atlas

    kwargs = _kwargs(options, lang=lang, plan=plan, progress=progress, overwrite=overwrite)
    return atlas(resp, path, **kwargs)


def route(
    resp: Responsibility,
    events: PathLike,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    max_dist_m: float = params.MAX_DIST_M,
    path: PathLike | None = None,
    lang: str = params.LANG,
    qml: bool = False,
    overwrite: bool = False,
) -> gpd.GeoDataFrame:
    """Read the reports of ``events``, route them, and write them to ``path`` when given.

    A ``.gpkg`` opens styled in QGIS; ``qml`` also writes its style beside it.
    """
    from rivermap.events import read_events
    from rivermap.routing import route_events, write_events

    routed = route_events(
        resp, read_events(events, crs=crs, encoding=encoding), max_dist_m=max_dist_m
    )
    if path is not None:
        write_events(routed, path, lang=lang, qml=qml, overwrite=overwrite)
    return routed


#: What a bulletin output's suffix writes: the page or the workbook.
BULLETIN_OUTPUTS: dict[str, str] = {".html": "to_html", ".htm": "to_html", ".xlsx": "to_excel"}


def check_bulletin_outputs(paths: Sequence[PathLike], option: str = "-o") -> None:
    """Refuse, before any work, a bulletin output that is neither a page nor a workbook."""
    bad = [str(p) for p in paths if Path(p).suffix.lower() not in BULLETIN_OUTPUTS]
    if bad:
        msg = (
            f"{option}: the bulletin is written as .html (the page) or .xlsx (the workbook); "
            f"got {format_ids(bad)}"
        )
        raise ParameterError(msg)


def make_bulletin(
    resp: Responsibility,
    *,
    events: PathLike | None,
    tracks: PathLike | None,
    month: str,
    events_crs: str | None = None,
    tracks_crs: str | None = None,
    duties: Any = None,
    level: str | None = None,
    weights: Mapping[str, float] | None = None,
    note: str | None = None,
    paths: Sequence[PathLike] = (),
    lang: str = params.LANG,
    overwrite: bool = False,
) -> Any:
    """Read the reports and tracks, make the bulletin of ``month`` and write it to ``paths``."""
    from rivermap.bulletin import bulletin
    from rivermap.events import read_events
    from rivermap.tracks import read_patrols

    check_bulletin_outputs(paths)
    b = bulletin(
        resp,
        events=None if events is None else read_events(events, crs=events_crs),
        patrols=None if tracks is None else read_patrols(tracks, crs=tracks_crs),
        month=month, duties=duties, level=level, weights=weights, note=note, lang=lang,
    )  # fmt: skip
    for path in paths:
        write = getattr(b, BULLETIN_OUTPUTS[Path(path).suffix.lower()])
        write(path, lang=lang, overwrite=overwrite)
    return b


def judge_patrols(
    resp: Responsibility,
    tracks: PathLike,
    *,
    crs: str | None = None,
    duties: Any = None,
    start: Any = None,
    end: Any = None,
    patrol_tol_m: float = params.PATROL_TOL_M,
    max_speed_kmh: float = params.MAX_SPEED_KMH,
    path: PathLike | None = None,
    lang: str = params.LANG,
    overwrite: bool = False,
) -> Any:
    """Read the tracks, judge them against the duties, and write the workbook when given."""
    from rivermap.patrols import patrol_coverage
    from rivermap.tracks import read_patrols

    cover = patrol_coverage(
        resp,
        read_patrols(tracks, crs=crs),
        duties=duties,
        start=start,
        end=end,
        tolerance_m=patrol_tol_m,
        max_speed_kmh=max_speed_kmh,
    )
    if path is not None:
        cover.to_excel(path, lang=lang, overwrite=overwrite)
    return cover
