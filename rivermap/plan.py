"""The result of :func:`rivermap.redivide`: a plan, its diff, and the plan's file.

:class:`Plan` holds the proposed segments, each with exactly one responsible
unit, and what they are compared with; :class:`PlanDiff` holds what the plan
changes. A plan writes itself to one GeoPackage (:meth:`Plan.to_file`) that
:func:`read_plan` reads back, and its tables for a meeting to XLSX or CSV.
The work is done by the analyses: the diff in :mod:`rivermap._plan_diff`, the
planner's edits in :mod:`rivermap._edits`, the official segmentation in
:mod:`rivermap._current`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from rivermap import _current, _edits, _plan_diff, _qgis
from rivermap._package import metadata_table, open_package, read_simple_geometries, write_layer
from rivermap.io import atomic_output, check_output, write_tables
from rivermap.params import EDIT_TOLERANCE_M, check_lang
from rivermap.runs import empty_frame
from rivermap.text import localize, term, texts

__all__ = ["SEGMENT_COLUMNS", "Plan", "PlanDiff", "read_plan"]

_FORMAT = "rivermap.plan"
_FORMAT_VERSION = 1

#: Columns of :attr:`Plan.segments` (before ``geometry``).
SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "river_id",
    "name",
    "from_m",
    "to_m",
    "length_m",
    "unit_id",
    "unit_name",
    "unit_level",
    "previous",
    "boundary_m",
)


@dataclass(frozen=True)
class PlanDiff:
    """What a plan changes compared with the current segmentation.

    Attributes
    ----------
    changes
        Every stretch that changes hands (GeoDataFrame; geometry where the plan
        covers it): ``river_id``, ``name``, ``from_m``, ``to_m``, ``length_m``,
        ``old_unit`` (``"A;B"`` where both banks held it), ``old_name``,
        ``new_unit``, ``new_name``, ``old_segment``, ``new_segment``.
        ``"(unassigned)"`` stands for no unit on either side.
    units
        Per unit: ``unit_id``, ``name``, ``level``, ``gained_km``, ``lost_km``,
        ``net_km``; a shared stretch counts half for each bank. The row
        ``"(unassigned)"`` balances stretches nobody held before or after, so
        gains equal losses over all rows.
    unmatched
        Official segments that line up with no river: ``segment`` (its id),
        ``river_id``, ``reason``, ``distance_m``.
    """

    changes: gpd.GeoDataFrame
    units: pd.DataFrame
    unmatched: pd.DataFrame

    def __repr__(self) -> str:
        """Summarize the diff on one line."""
        km = float(self.changes["length_m"].sum()) / 1000 if len(self.changes) else 0.0
        return (
            f"PlanDiff({len(self.changes)} stretches change hands, {km:,.1f} km; "
            f"{len(self.units)} units; {len(self.unmatched)} unmatched official segments)"
        )

    def write(
        self, path: str | os.PathLike[str], *, lang: str = "zh", overwrite: bool = False
    ) -> list[Path]:
        """Write the diff for a meeting: XLSX (three sheets) or CSV (three files).

        A ``.xlsx`` gets three sheets, the changes, the units and the unmatched
        official segments (named in ``lang``: 易主河段, 单位增减, 未对应河段); a
        ``.csv`` path gets the changes, and ``<stem>_units.csv`` and
        ``<stem>_unmatched.csv`` beside it. Sheet names, headers and levels are
        Chinese (``lang="zh"``) or English (``"en"``), see
        :func:`rivermap.text.localize`.

        Returns
        -------
        list of Path
            The files written.
        """
        lang = check_lang(lang)
        p = Path(path)
        tables = {"changes": self.changes, "units": self.units, "unmatched": self.unmatched}
        if p.suffix.lower() == ".xlsx":
            return [write_tables(_for_people(tables, lang), p, overwrite=overwrite)]
        out = []
        for key, table in tables.items():
            target = p if key == "changes" else p.with_name(f"{p.stem}_{key}{p.suffix}")
            out.append(write_tables(_for_people({key: table}, lang), target, overwrite=overwrite))
        return out


@dataclass(frozen=True, eq=False, repr=False)
class Plan:
    """A proposed redivision: segments, each with exactly one responsible unit.

    Made by :func:`rivermap.redivide`, changed by :meth:`apply_edits` (which
    returns a new plan), written by :meth:`to_file` and read by
    :func:`read_plan`. A plan is a frozen dataclass: its tables are shared, not
    copied, so reading ``plan.segments`` costs nothing. Treat the tables as
    read-only and make a changed plan with :func:`dataclasses.replace` (as
    :meth:`apply_edits` does); pandas' copy-on-write keeps a table you derive
    from one of them from changing it.

    Parameters
    ----------
    segments
        ``segment_id`` (``"{river_id}-{k}"``, k from 1 in chainage order),
        ``river_id``, ``name``, ``from_m``, ``to_m``, ``length_m``,
        ``unit_id``, ``unit_name``, ``unit_level``, ``previous`` (who held the
        stretch before, ``";"``-joined), ``boundary_m`` (length along
        boundaries between units of the level) and the stretch's geometry in
        the rivers' CRS.
    level
        The level whose units are responsible.
    policy
        The policy that made the plan (``"split"``, ``"majority"``, ``"parent"``).
    params
        ``min_segment_m``, ``min_share``, ``tolerance_m`` and ``levels``.
    log
        One readable line per edit applied, in order.
    edits
        The edits applied, as dicts (``action``, the feature's properties and,
        for points, the snapped ``river_id`` and ``at_m``).
    metric_crs
        The metric CRS chainages are measured in.
    units
        The units: ``unit_id``, ``name``, ``level``, ``parent_id``.
    baseline
        The responsibility the engine found at the plan's level, by chainage:
        ``river_id``, ``from_m``, ``to_m``, ``unit`` (``"A;B"`` for a 界河
        stretch held by both banks), ``state`` and ``segment`` (None).
    current
        The official segmentation compared against, by chainage (the columns
        of ``baseline``, ``segment`` its id), or None.
    unmatched
        Official segments that line up with no river: ``segment``,
        ``river_id``, ``reason``, ``distance_m``.
    """

    segments: gpd.GeoDataFrame
    _: dataclasses.KW_ONLY
    level: str
    policy: str
    params: dict[str, Any]
    metric_crs: str
    units: pd.DataFrame
    baseline: pd.DataFrame
    unmatched: pd.DataFrame
    current: pd.DataFrame | None = None
    log: list[str] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Take the parameters, log and edits as plain lists and dicts of their own."""
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "log", list(self.log))
        object.__setattr__(self, "edits", [dict(e) for e in self.edits])

    @property
    def crs(self) -> pyproj.CRS | None:
        """CRS of the segment geometries (the rivers' CRS)."""
        return self.segments.crs

    @functools.cached_property
    def content_hash(self) -> str:
        """The plan's fingerprint: sha256 (hex) of what its segments say.

        Made of the level, the policy and every segment's id, river, ``from_m``
        and ``to_m`` (rounded to the millimetre) and unit, in order; geometry,
        names, log and parameters do not count. Two plans with the same
        segments have the same hash, and a plan read back with
        :func:`read_plan` keeps it. Edits made on a plan's map carry it, and
        :meth:`apply_edits` refuses them on any other plan.
        """
        s = self.segments
        mm = {
            c: np.round(s[c].to_numpy(dtype=float) * 1000.0).astype(np.int64)
            for c in ("from_m", "to_m")
        }
        rows = [
            [str(sid), str(rid), int(a), int(b), str(uid)]
            for sid, rid, a, b, uid in zip(
                s["segment_id"].tolist(),
                s["river_id"].tolist(),
                mm["from_m"].tolist(),
                mm["to_m"].tolist(),
                s["unit_id"].tolist(),
                strict=True,
            )
        ]
        text = json.dumps(
            {"level": str(self.level), "policy": str(self.policy), "segments": rows},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def plan_id(self) -> str:
        """A readable name of the plan: ``<level>-<first 10 hex digits of content_hash>``.

        Examples
        --------
        >>> import rivermap as rm
        >>> plan = rm.redivide(rm.assign(*rm.datasets.load_demo()), level="district")
        >>> plan.plan_id == "district-" + plan.content_hash[:10]
        True
        """
        return f"{self.level}-{self.content_hash[:10]}"

    def __repr__(self) -> str:
        """Summarize the plan on one line."""
        s = self.segments
        return (
            f"Plan(level={self.level!r}, policy={self.policy!r}: {len(s)} segments on "
            f"{s['river_id'].nunique()} rivers, {float(s['length_m'].sum()) / 1000:,.1f} km; "
            f"{len(self.log)} edits)"
        )

    def diff(self) -> PlanDiff:
        """Compare the plan with the current segmentation.

        Against ``current`` when :func:`rivermap.redivide` was given one, else
        against the responsibility the engine found at the plan's level (a 界河
        stretch held by both banks reads ``"A;B"``).

        Returns
        -------
        PlanDiff
        """
        changes, units = _plan_diff.compare(self)
        return PlanDiff(changes, units, self.unmatched)

    def apply_edits(self, edits: Any, *, tolerance_m: float = EDIT_TOLERANCE_M) -> Plan:
        """Apply a planner's edits; return a new plan (this one is unchanged).

        Parameters
        ----------
        edits
            A GeoJSON FeatureCollection (a dict, or a ``.geojson``/``.json``
            file), a list of features, or a GeoDataFrame (or a vector file).
            GeoJSON coordinates are WGS84 longitude/latitude unless the
            collection has a (legacy) ``crs`` member; a GeoDataFrame's own CRS
            is used. Features are applied in order:

            * a Point with ``action: "split"`` cuts the river nearest to it
              (within ``tolerance_m``; ``river_id`` in the properties picks the
              river) into two segments with the same unit; a point within 2 m
              of a change of responsible unit splits exactly there (the log says
              so), so that a click on a border leaves no sliver;
            * a Point with ``action: "assign"`` and ``unit_id`` gives the
              segment it falls on to that unit;
            * ``action: "merge"`` with ``segment_ids`` (a list, or ids joined by
              ``";"`` or ``","``) merges adjacent segments of one river; the
              merged segment goes to ``unit_id`` if given, else to the unit
              holding most of it. Ids refer to *this* plan's segments.
            * ``action: "merge"`` with a Point (and no ``segment_ids``) joins
              the two neighbouring stretches that meet at the cut nearest the
              point (within ``tolerance_m`` along the river; ``river_id``
              picks the river), including stretches that a split earlier in
              the same edits made and that have no id yet; the joined stretch
              goes to ``unit_id`` if given, else to the unit holding most of it.

            Other properties (``note``, and ``at_m`` written by the map's
            editing mode) are kept in :attr:`edits`. After the edits, segments
            are renumbered ``{river_id}-{k}`` in chainage order.

            A FeatureCollection may say which plan it was drawn on with a
            top-level member ``"rivermap": {"plan_id": ..., "plan_hash": ...,
            "level": ...}`` (the map's editing mode writes it, see
            :attr:`plan_id` and :attr:`content_hash`); edits made on another
            plan are then refused. Collections without it are accepted.
        tolerance_m
            How far (metres) a point may lie from the nearest river, and a
            merge point from the cut it joins.

        Returns
        -------
        Plan
            With :attr:`log` extended by one line per edit.

        Raises
        ------
        ParameterError
            ``tolerance_m`` is negative or not finite.
        SchemaError
            A feature with an unknown action, a missing or unknown
            ``unit_id``/``segment_ids``, the wrong geometry, a point farther
            than ``tolerance_m`` from every river (or, to merge at, from every
            cut), or segments to merge that are not adjacent: the message names
            the feature index. Edits whose ``rivermap.plan_hash`` is not this
            plan's: the message names the file and both plans.
        CRSError
            A GeoDataFrame without a CRS, or an unknown ``crs`` member.
        DataError
            A file that does not exist or cannot be read.

        Examples
        --------
        >>> import rivermap as rm
        >>> plan = rm.redivide(rm.assign(*rm.datasets.load_demo()), level="district")
        >>> edit = {"type": "Feature", "properties": {"action": "merge",
        ...         "segment_ids": ["富春江-1", "富春江-2", "富春江-3"]}, "geometry": None}
        >>> merged = plan.apply_edits({"type": "FeatureCollection", "features": [edit]})
        >>> merged.log[0]
        'edit #0: merge 富春江-1, 富春江-2, 富春江-3 (富春江 0.0–9.8 km) to 330122 (桐庐县)'
        >>> len(plan.segments) - len(merged.segments)
        2
        """
        return _edits.apply_edits(self, edits, tolerance_m=tolerance_m)

    # ------------------------------------------------------------------- I/O
    def to_file(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        units: gpd.GeoDataFrame | None = None,
        lang: str = "zh",
        qml: bool = False,
    ) -> Path:
        """Write the plan to a GeoPackage that opens styled in QGIS, atomically.

        Layers: ``segments`` (lines), ``changes`` (the diff's stretches, lines),
        ``unit_changes`` and ``unmatched`` (tables), and ``baseline``,
        ``current``, ``units`` and ``metadata`` (level, policy, parameters, log
        and edits) so that :func:`read_plan` restores the plan. Each layer has
        one geometry type; ``layer_styles`` holds the QGIS styles of the first
        four (see :mod:`rivermap._qgis`): segments in their unit's colour
        (their ``colour`` column), changes in the plan colour.

        Parameters
        ----------
        path
            The ``.gpkg`` file.
        overwrite
            Replace an existing file (and ``.qml`` files).
        units
            The units' polygons (``resp.units``) to colour the segments as
            the web map does; without them, units that hand a river over to
            each other get different colours.
        lang
            ``"zh"`` or ``"en"``: the words of the styles' legends.
        qml
            Also write each style as ``<stem>.<layer>.qml`` beside ``path``.

        Returns
        -------
        Path
            ``path``.
        """
        final = check_output(path, overwrite=overwrite, kind="gpkg")
        lang = check_lang(lang)
        if qml:
            _qgis.check_qml(final, "plan", overwrite=overwrite)
        layers = _qgis.plan_package(self, units=units, lang=lang)
        tables = {"baseline": self.baseline, "units": self.units}
        if self.current is not None:
            tables["current"] = self.current
        tables["metadata"] = metadata_table(self._metadata())
        with contextlib.ExitStack() as stack:
            if qml:
                stack.enter_context(_qgis.write_qml(final, layers, overwrite=overwrite))
            tmp = stack.enter_context(atomic_output(final, overwrite=overwrite))
            _qgis.write_package(tmp, layers)
            for layer, table in tables.items():
                write_layer(table, tmp, layer)
        return final

    def _metadata(self) -> dict[str, Any]:
        """Return what the metadata layer keeps: level, policy, parameters, log, edits, CRSs."""
        return {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "level": self.level,
            "policy": self.policy,
            "params": self.params,
            "log": self.log,
            "edits": self.edits,
            "metric_crs": self.metric_crs,
            "crs": self.crs.to_wkt() if self.crs is not None else None,
        }

    def write_tables(
        self, path: str | os.PathLike[str], *, lang: str = "zh", overwrite: bool = False
    ) -> Path:
        """Write the segments and the diff to an XLSX (one sheet each) or the segments to a CSV.

        Sheet names, headers and levels are Chinese (``lang="zh"``) or English
        (``"en"``), see :func:`rivermap.text.localize`.

        Returns
        -------
        Path
            ``path``.
        """
        lang = check_lang(lang)
        d = self.diff()
        tables = {
            "segments": self.segments,
            "changes": d.changes,
            "units": d.units,
            "unmatched": d.unmatched,
        }
        if Path(path).suffix.lower() == ".csv":  # one table per CSV: the segments
            tables = {"segments": self.segments}
        return write_tables(_for_people(tables, lang), path, overwrite=overwrite)


def _for_people(tables: Mapping[str, pd.DataFrame], lang: str) -> dict[str, pd.DataFrame]:
    """Return the tables with sheet names, headers, levels and kinds in ``lang``."""
    return {
        term(f"sheet.{key}", lang): localize(table, lang, table="plan")
        for key, table in tables.items()
    }


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a :class:`Plan` written by :meth:`Plan.to_file`.

    Parameters
    ----------
    path
        A GeoPackage with layers ``segments``, ``metadata``, ``baseline``,
        ``units`` and ``unmatched`` (and ``current`` when the plan had one).

    Returns
    -------
    Plan

    Raises
    ------
    DataError
        When the file cannot be read.
    SchemaError
        When it is not a rivermap plan file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import rivermap as rm
    >>> plan = rm.redivide(rm.assign(*rm.datasets.load_demo()), level="city")
    >>> out = plan.to_file(pathlib.Path(tempfile.mkdtemp()) / "plan.gpkg")
    >>> back = read_plan(out)
    >>> back.segments["segment_id"].tolist() == plan.segments["segment_id"].tolist()
    True
    """
    p = Path(path)
    layers, meta = open_package(
        p,
        fmt=_FORMAT,
        layers=("segments", "metadata", "baseline", "units", "unmatched"),
        what="plan file",
        hint="write one with Plan.to_file or rivermap redivide",
    )
    segments = read_simple_geometries(p, "segments")
    if meta.get("crs"):
        segments = segments.set_crs(pyproj.CRS.from_wkt(meta["crs"]), allow_override=True)
    unmatched = _table(p, "unmatched")
    return Plan(
        segments[[*SEGMENT_COLUMNS, "geometry"]],
        level=meta["level"],
        policy=meta["policy"],
        params=meta.get("params", {}),
        log=list(meta.get("log", [])),
        edits=list(meta.get("edits", [])),
        metric_crs=meta["metric_crs"],
        units=_as_built(_table(p, "units")),
        baseline=_as_built(_table(p, "baseline")),
        current=_as_built(_table(p, "current")) if "current" in layers else None,
        unmatched=empty_frame(**_current.UNMATCHED) if unmatched.empty else unmatched,
    )


def _table(path: Path, layer: str) -> pd.DataFrame:
    """Return a layer without geometry."""
    return pd.DataFrame(pyogrio.read_dataframe(path, layer=layer, read_geometry=False))


def _as_built(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with text columns as object arrays, None where missing (as built)."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = texts(out[col])
    return out
