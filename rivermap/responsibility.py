"""The result of :func:`rivermap.assign`: reaches, rivers and units with their chiefs' shares.

:class:`Responsibility` holds three tables and a summary; it writes them to one
GeoPackage (layers ``reaches``, ``rivers``, ``units`` and ``metadata``) and
:func:`read_responsibility` reads them back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from rivermap import _qgis
from rivermap import chiefs as _chiefs
from rivermap import flags as _flags
from rivermap._package import (
    _json_default,
    metadata_table,
    open_package,
    read_simple_geometries,
    write_layer,
)
from rivermap.errors import DataError, ParameterError, SchemaError, format_ids
from rivermap.io import atomic_output, check_output
from rivermap.params import FENCE, MIN_LENGTH_M, MIN_PEOPLE, MIN_SHARE, check_lang, check_level
from rivermap.text import level_label, term

__all__ = ["Responsibility", "read_responsibility", "write_folder_tables"]

_FORMAT = "rivermap.responsibility"
_FORMAT_VERSION = 1
_LAYERS = ("reaches", "rivers", "units", "metadata")
#: Columns the file's layers carry for their QGIS styles, dropped when read back.
_STYLE_COLUMNS = {"reaches": ["colour"], "units": ["colour"]}


@dataclass(frozen=True, eq=False, repr=False)
class Responsibility:
    """Who is responsible for which stretch of which river.

    Built by :func:`rivermap.assign`; read back with :func:`read_responsibility`.
    A result is a frozen dataclass: its tables are shared, not copied, so
    passing a result around costs nothing. Treat the tables as read-only and
    make a changed result with :func:`dataclasses.replace` (as
    :meth:`with_chiefs` does); pandas' copy-on-write keeps a table you derive
    from one of them (``resp.reaches[...]``, ``.assign(...)``) from changing it.

    Parameters
    ----------
    reaches
        One row per reach: ``reach_id``, ``river_id``, ``name``, ``from_m``,
        ``to_m``, ``length_m`` (metres along the river), ``kind`` (``"inside"``,
        ``"boundary"`` or ``"outside"``), one column per level with that level's
        ``unit_id``, ``left_unit``, ``right_unit``, ``boundary_level``,
        ``responsible`` and the reach geometry in the caller's CRS.
    rivers
        One row per river: ``river_id``, ``name``, ``length_m``, ``chief_level``,
        ``chief_unit`` and, per level, ``n_units_<level>``, ``lead_<level>`` and
        ``lead_share_<level>`` (share of the river's length, 0–1).
    units
        One row per unit: ``unit_id``, ``name``, ``level``, ``parent_id``,
        ``river_length_m``, ``n_rivers``, ``n_reaches``, ``boundary_length_m`` and
        the unit's outline (geometry, in the reaches' CRS).
    levels
        Level names, top to bottom.
    crs
        The CRS of the reach geometries (the rivers' CRS).
    params
        The parameters :func:`rivermap.assign` ran with.
    summary
        Counts and lengths: ``n_rivers``, ``n_reaches``, ``n_boundary_reaches``,
        ``total_length_m``, ``inside_length_m``, ``boundary_length_m``,
        ``outside_length_m``, ``slivers_merged`` (short pieces merged into a
        neighbour), ``sliver_length_m`` (metres that changed hands that way),
        ``metric_crs`` and ``parameters`` (the same as :attr:`params`).
    roster
        The chief roster joined by :meth:`with_chiefs` (as from
        :func:`rivermap.read_chiefs`), or None.
    """

    reaches: gpd.GeoDataFrame
    rivers: pd.DataFrame
    units: gpd.GeoDataFrame
    _: dataclasses.KW_ONLY
    levels: tuple[str, ...]
    crs: pyproj.CRS | None
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    roster: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        """Normalize the levels, the CRS and the summary (which carries the parameters)."""
        crs = None if self.crs is None else pyproj.CRS.from_user_input(self.crs)
        params = dict(self.params)
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "crs", crs)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "summary", {**self.summary, "parameters": dict(params)})

    # ----------------------------------------------------------------- region
    def within(self, unit_id: str) -> Responsibility:
        """Return the part of the result in one unit: a province, city or district.

        The reaches whose unit at the unit's level is ``unit_id``, with the
        boundary reaches on its border (both banks' rivers are shown); the
        unit and every unit below it; the rivers those reaches belong to,
        their totals unchanged (a river that leaves the unit keeps its whole
        length and chief level). The roster and parameters are kept; the
        summary counts the region's rivers and reaches and names it
        (``summary["region"]``).

        Raises
        ------
        ParameterError
            ``unit_id`` is not a unit of the result (the message offers the
            first units of the top level).

        Examples
        --------
        >>> import rivermap as rm
        >>> resp = rm.assign(*rm.datasets.load_demo())
        >>> hz = resp.within("330100")  # 杭州市
        >>> hz.units["level"].value_counts().to_dict()
        {'district': 13, 'city': 1}
        >>> hz.reaches["city"].value_counts(dropna=False).to_dict()  # NaN: 界河 on its border
        {'330100': 44, nan: 2}
        """
        from rivermap.runs import region_rows

        uid = str(unit_id)
        known = self.units["unit_id"].astype(str)
        if not (known == uid).any():
            top = self.units.loc[self.units["level"] == self.levels[0]]
            shown = [f"{u} {n}" for u, n in zip(top["unit_id"], top["name"], strict=True)]
            msg = (
                f"region {uid!r} is not a unit of this result; the {self.levels[0]} units are "
                f"{format_ids(shown)} (any level's unit_id will do)"
            )
            raise ParameterError(msg)
        in_reaches, in_units = region_rows(self.reaches, self.units, uid)
        reaches = self.reaches.loc[in_reaches]
        rivers = self.rivers.loc[self.rivers["river_id"].isin(set(reaches["river_id"]))]
        kind, length = reaches["kind"], reaches["length_m"]
        summary = {
            **self.summary,
            "region": uid,
            "n_rivers": len(rivers),
            "n_reaches": len(reaches),
            "n_boundary_reaches": int((kind == "boundary").sum()),
            "total_length_m": float(rivers["length_m"].sum()),
            **{f"{k}_length_m": float(length[kind == k].sum()) for k in ("inside", "boundary")},
            "outside_length_m": 0.0,
        }
        return dataclasses.replace(
            self, reaches=reaches, rivers=rivers, units=self.units.loc[in_units], summary=summary
        )

    # ----------------------------------------------------------------- chiefs
    def with_chiefs(self, chiefs: Any) -> Responsibility:
        """Name the chief (河长) of every reach at every level.

        Parameters
        ----------
        chiefs
            A roster: as from :func:`rivermap.read_chiefs`, or anything it
            reads (a CSV/XLSX path or a DataFrame), resolved against these
            units and rivers.

        Returns
        -------
        Responsibility
            A new result with the roster (:attr:`roster`, normalized) whose
            ``reaches`` gain, per level, ``chief_<level>`` (the person's name),
            ``chief_<level>_title`` and ``chief_<level>_phone``, and whose
            ``rivers`` gain ``chief_name``, ``chief_title`` and
            ``chief_phone`` for the chief at the river's chief level (NaN
            above the top level). A person named for the reach's river in that
            unit answers before the unit's general chief; roles rank 河长 >
            总河长 > 河段长 > 副总河长 > 副河长 (see :mod:`rivermap.chiefs`). A
            boundary reach whose sides differ at a level has both sides'
            chiefs, ``"LEFT;RIGHT"``. NaN where nobody is listed (see
            :meth:`roster_report`). Calling it again replaces the chiefs.

        Raises
        ------
        SchemaError
            Bad roster rows (see :func:`rivermap.read_chiefs`).

        Examples
        --------
        >>> import rivermap as rm
        >>> from rivermap.chiefs import example_roster_path
        >>> resp = rm.assign(*rm.datasets.load_demo())
        >>> resp = resp.with_chiefs(example_roster_path())
        >>> canal = resp.reaches.set_index("reach_id").loc["京杭运河(江南运河)#1"]
        >>> str(canal["chief_city"]), str(canal["chief_district"])
        ('杭州市京杭运河河长', '上城区河长')
        """
        return _chiefs.with_chiefs(self, chiefs)

    @property
    def chiefs(self) -> pd.DataFrame:
        """Per person in the roster: what they answer for.

        Columns ``name``, ``title``, ``phone``, ``role`` (all the person's
        roles), ``units`` (unit names) and ``unit_ids``, ``levels``,
        ``rivers`` (names of the rivers they are chief of on some reach) and
        ``river_ids``, ``km`` (river length they answer for, a boundary reach
        shared with the other side counting half), ``n_reaches`` and
        ``boundary_km`` (length of the boundary reaches they share with a
        neighbouring unit's chief). Several values are joined by ``";"``. One
        row per person (same name and phone), in roster order; people who
        answer for no reach have ``km`` 0.

        Raises
        ------
        SchemaError
            When there is no roster (call :meth:`with_chiefs` first).

        Examples
        --------
        >>> import rivermap as rm
        >>> from rivermap.chiefs import example_roster_path
        >>> resp = rm.assign(*rm.datasets.load_demo()).with_chiefs(example_roster_path())
        >>> people = resp.chiefs.set_index("name")
        >>> int(people.loc["西湖区河长", "n_reaches"]), people.loc["西湖区河长", "rivers"]
        (6, '富春江;R00003')
        """
        return _chiefs.chiefs_table(self)

    def roster_report(
        self,
        *,
        max_km: float | None = None,
        max_reaches: int | None = None,
        fence: float = FENCE,
        min_people: int = MIN_PEOPLE,
        lang: str = "zh",
    ) -> pd.DataFrame:
        """Gaps and conflicts of the roster, one table with a ``reason`` column.

        Reasons (``code``, then the ``reason`` label in ``lang``):

        * ``no_chief`` (有河段无河长): a unit with river reaches and no chief for
          some or all of them (one row per unit; ``river_id`` lists them);
        * ``no_river`` (河长所在单位无河流): a general chief whose unit has no
          river reach;
        * ``conflict`` (一河多长): two or more people listed as 河长 for the same
          river in the same unit (breaks 一河一长; ``name`` lists them);
        * ``river_not_in_unit`` (所任河流不流经本单位): a chief named for a river
          that does not pass through their unit;
        * ``overload`` (负责河段数或长度异常): a person whose km or number of
          reaches at a level is an outlier among that level's chiefs.

        Parameters
        ----------
        max_km, max_reaches
            Fixed limits for ``overload`` (at every level). By default each
            level's limit is Tukey's upper fence ``Q3 + fence·IQR`` of the
            values of the chiefs at that level who hold any reach.
        fence
            The IQR multiple of the default limits. 3 is Tukey's "far out"
            fence: lengths per chief are right-skewed (a district on a long
            river holds much more than its neighbours), so the usual 1.5 flags
            ordinary chiefs, while 3 flags only people whose load stands out
            even for a skewed distribution.
        min_people
            Levels with fewer chiefs holding reaches than this get no default
            limit: the quartiles of a handful of values are too unstable to call
            anyone an outlier (the top level usually has a few people only).
        lang
            ``"zh"`` or ``"en"``: language of ``reason`` and ``detail``.

        Returns
        -------
        DataFrame
            ``reason``, ``code``, ``level``, ``unit_id``, ``unit_name``,
            ``name`` (the person or people), ``river_id``, ``river_name``,
            ``km``, ``n_reaches``, ``detail`` (a sentence); empty when the
            roster has no gap.

        Examples
        --------
        >>> import rivermap as rm
        >>> from rivermap.chiefs import example_roster_path
        >>> resp = rm.assign(*rm.datasets.load_demo()).with_chiefs(example_roster_path())
        >>> report = resp.roster_report(lang="en")
        >>> sorted(set(report["code"]))
        ['no_river', 'overload']
        >>> report.loc[report["code"] == "no_river", "unit_name"].tolist()
        ['宁波市', '温州市', '绍兴市', '舟山市', '台州市', '丽水市']
        """
        return _chiefs.roster_report(
            self,
            max_km=max_km,
            max_reaches=max_reaches,
            fence=fence,
            min_people=min_people,
            lang=lang,
        )

    def signboards(
        self,
        level: str,
        *,
        hotline: str | dict[str, str] | None = None,
        supervisor: str | dict[str, str] | None = _chiefs.SUPERVISOR,
        per: str = "river",
        lang: str = "zh",
    ) -> pd.DataFrame:
        """Rows of the river chief signboards (河长公示牌) of the rivers at ``level``.

        Parameters
        ----------
        level
            A level name: one row per river whose chief level it is.
        hotline
            The supervision hotline (监督电话): one text for every board, or
            ``{unit_id: text}`` by the river's chief unit.
        supervisor
            The supervising unit (监督单位): a template with ``{unit}`` (the
            river's chief unit) and ``{parent}`` (its parent unit), e.g.
            ``"{parent}河长制办公室"``; or ``{unit_id: text}``; or None.
        per
            ``"river"`` (default): a board per river whose chief level is
            ``level``. ``"stretch"`` (一河一长 at village level): a board per
            river and unit of ``level`` it runs through, its ends the first and
            last chainage of the stretch (桩号 ``K1+350``), its length and
            chiefs those of the stretch (see :func:`rivermap.chiefs.signboards`).
        lang
            ``"zh"``: place names like ``杭州市余杭区``; ``"en"``: ``余杭区, 杭州市``.

        Returns
        -------
        DataFrame
            ``river_id``, ``river`` (name, or id when unnamed), ``board_id``
            (the code a QR on the board carries, ``UNIT:RIVER``, which
            :func:`rivermap.route_events` reads), ``chief_level``,
            ``chief_unit``, ``chief_unit_name``, ``start`` and ``end`` (the
            units nearest the river's first and last point, named from the
            level below ``level`` down), ``length_km``, then per level
            ``chief_<level>``, ``chief_<level>_title``, ``chief_<level>_phone``
            (the distinct chiefs along the river, upstream first, joined by
            ``";"``), ``supervisor`` and ``hotline``. Write it with
            :func:`rivermap.chiefs.write_table` (CSV or XLSX, Chinese headers).

        Examples
        --------
        >>> import rivermap as rm
        >>> from rivermap.chiefs import example_roster_path
        >>> resp = rm.assign(*rm.datasets.load_demo()).with_chiefs(example_roster_path())
        >>> boards = resp.signboards("city", hotline="12345").set_index("river")
        >>> boards.loc["常山江(马金溪)", ["chief_city", "supervisor", "hotline"]].tolist()
        ['衢州市河长', '衢州市河长制办公室', '12345']
        """
        return _chiefs.signboards(
            self, level, hotline=hotline, supervisor=supervisor, per=per, lang=lang
        )

    def flags(
        self,
        level: str | None = None,
        *,
        min_share: float = MIN_SHARE,
        min_length_m: float = MIN_LENGTH_M,
    ) -> pd.DataFrame:
        """Find the rivers whose responsibility at a level needs redrawing (:func:`rivermap.flags`).

        One row per flagged (river, level), most severe first: the units along
        the river with their shares, ``handovers``, ``reasons`` (any of
        ``crosses``, ``boundary``, ``reenters``, ``slivers``), ``severity`` and a
        proposal in English and Chinese with machine-readable fields.

        Parameters
        ----------
        level
            One of :attr:`levels`; None (default) flags every level.
        min_share
            A unit's holding is significant when it is at least this share of
            the river's length (0–1) ...
        min_length_m
            ... and at least this many metres; also the least length along
            boundaries that raises ``boundary``.

        Examples
        --------
        >>> import rivermap as rm
        >>> resp = rm.assign(*rm.datasets.load_demo())
        >>> flagged = resp.flags("district")
        >>> {"京杭运河(江南运河)", "富春江"} <= set(flagged["name"])
        True
        """
        return _flags.flags(self, level, min_share=min_share, min_length_m=min_length_m)

    # ---------------------------------------------------------------- display
    def __repr__(self) -> str:
        """Summarize the result on one line."""
        s = self.summary
        return (
            f"Responsibility({s.get('n_rivers', 0)} rivers, {s.get('n_reaches', 0)} reaches, "
            f"{s.get('n_boundary_reaches', 0)} boundary; "
            f"{s.get('total_length_m', 0.0) / 1000:.1f} km; levels={list(self.levels)})"
        )

    def _repr_html_(self) -> str:
        """Summarize the result as a small bilingual table, for notebooks."""
        rows = [(_both(k), v) for k, v in _summary_rows(self.summary)]
        rows.append((_both("result.levels"), " > ".join(self.levels)))
        for level, count in self.rivers["chief_level"].value_counts(dropna=False).items():
            label = str(level) if isinstance(level, str) else "none"
            shown = f"{label} {level_label(label, 'zh')}" if isinstance(level, str) else label
            rows.append((f"{_both('result.chief_level')}: {shown}", f"{int(count):,}"))
        body = "".join(
            f"<tr><td style='text-align:left'>{escape(k)}</td>"
            f"<td style='text-align:right'>{escape(v)}</td></tr>"
            for k, v in rows
        )
        crs = escape(self.crs.to_string()) if self.crs is not None else "no CRS"
        return f"<div><b>Responsibility</b> ({crs})<table>{body}</table></div>"

    # -------------------------------------------------------------------- I/O
    def to_file(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        flags: pd.DataFrame | None = None,
        level: str | None = None,
        lang: str = "zh",
        qml: bool = False,
    ) -> Path:
        """Write the result to a GeoPackage that opens styled in QGIS, atomically.

        Layers ``reaches`` (lines), ``rivers`` (each river's whole line),
        ``units`` (polygons), ``flags`` (the flagged river's line; not read
        back, as it is recomputed), ``roster`` when chiefs were joined, and
        ``metadata`` (levels, CRS, parameters, summary as JSON); each layer
        has one geometry type. ``layer_styles`` holds every layer's default
        QGIS style, drawn as the web map draws the result (see
        :mod:`rivermap._qgis`): ``reaches`` and ``units`` carry the web map's
        ``colour`` of their unit at ``level`` for it. The file is written
        beside ``path`` under a temporary name and moved into place when
        complete.

        Parameters
        ----------
        path
            The ``.gpkg`` file to write.
        overwrite
            Replace an existing file (and ``.qml`` files); without it an
            existing one raises :class:`~rivermap.errors.OutputExistsError`.
        flags
            The flags table to store, as from :meth:`flags`; by default
            :meth:`flags` at every level with the default thresholds.
        level
            The level whose units colour the reaches and whose flags are
            haloed in the QGIS styles; by default the finest.
        lang
            ``"zh"`` or ``"en"``: the words of the styles' legends (the
            field aliases name both).
        qml
            Also write each style as ``<stem>.<layer>.qml`` beside ``path``.

        Returns
        -------
        Path
            ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rivermap.assign import assign
        >>> from rivermap.units import AdminUnits
        >>> import geopandas as gpd
        >>> from shapely import LineString, box
        >>> frame = gpd.GeoDataFrame({"unit_id": ["A"], "name": ["a"], "level": ["town"],
        ...     "parent_id": [None]}, geometry=[box(0, 0, 10, 10)], crs=3857)
        >>> rivers = gpd.GeoDataFrame({"river_id": ["r"], "name": ["R"]},
        ...     geometry=[LineString([(1, 1), (9, 9)])], crs=3857)
        >>> resp = assign(rivers, AdminUnits(frame, ["town"]))
        >>> out = resp.to_file(pathlib.Path(tempfile.mkdtemp()) / "resp.gpkg")
        >>> read_responsibility(out).reaches["town"].tolist()
        ['A']
        >>> pyogrio.read_info(out, layer="rivers")["geometry_type"]
        'LineString'
        """
        final = check_output(path, overwrite=overwrite, kind="gpkg")
        level = check_level(self.levels[-1] if level is None else level, self.levels)
        lang = check_lang(lang)
        if qml:
            _qgis.check_qml(final, "responsibility", overwrite=overwrite)
        flags = self.flags() if flags is None else flags
        layers = _qgis.responsibility_package(self, flags, level=level, lang=lang)
        meta = {**self._metadata(), "styles": {"level": level, "columns": _STYLE_COLUMNS}}
        with contextlib.ExitStack() as stack:
            if qml:
                stack.enter_context(_qgis.write_qml(final, layers, overwrite=overwrite))
            tmp = stack.enter_context(atomic_output(final, overwrite=overwrite))
            _qgis.write_package(tmp, layers)
            write_layer(metadata_table(meta), tmp, "metadata")
        return final

    def _metadata(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "levels": list(self.levels),
            "crs": self.crs.to_wkt() if self.crs is not None else None,
            "params": self.params,
            "summary": self.summary,
        }

    def _metadata_table(self) -> pd.DataFrame:
        return metadata_table(self._metadata())


def read_responsibility(path: str | os.PathLike[str]) -> Responsibility:
    """Read a :class:`Responsibility` written by :meth:`Responsibility.to_file`.

    Parameters
    ----------
    path
        A GeoPackage with layers ``reaches``, ``rivers``, ``units`` and
        ``metadata``; or a folder written by
        :func:`rivermap.scale.assign_to_parquet` (see :func:`write_folder_tables`).

    Returns
    -------
    Responsibility

    Raises
    ------
    DataError
        When the file cannot be read.
    SchemaError
        When it lacks a layer or is not a rivermap responsibility file.
    """
    p = Path(path)
    if p.is_dir():
        return _read_folder(p)
    layers, meta = open_package(
        p,
        fmt=_FORMAT,
        layers=_LAYERS,
        what="responsibility file",
        hint="write one with Responsibility.to_file",
    )
    levels = tuple(meta["levels"])
    styled = meta.get("styles", {}).get("columns", {})
    reaches = read_simple_geometries(p, "reaches").drop(columns=styled.get("reaches", []))
    rivers = pd.DataFrame(pyogrio.read_dataframe(p, layer="rivers", read_geometry=False))
    units = read_simple_geometries(p, "units").drop(columns=styled.get("units", []))
    roster = None
    if "roster" in layers:
        # the roster is all text; a column with no value at all comes back as object
        roster = pd.DataFrame(pyogrio.read_dataframe(p, layer="roster", read_geometry=False))
        roster = roster.astype("str").where(roster.notna())
    crs = pyproj.CRS.from_wkt(meta["crs"]) if meta.get("crs") else None
    if crs is not None:
        reaches = reaches.set_crs(crs, allow_override=True)
        units = units.set_crs(crs, allow_override=True)
    return Responsibility(
        reaches,
        rivers,
        units,
        levels=levels,
        crs=crs,
        params=meta.get("params", {}),
        summary=meta.get("summary", {}),
        roster=roster,
    )


#: The files of a result folder beside the reaches' ``part-*.parquet``.
_FOLDER_FILES = ("_rivers.parquet", "_units.parquet", "_metadata.json")


def write_folder_tables(
    resp: Responsibility,
    folder: Path,
    *,
    tiles: list[dict[str, Any]] | None = None,
    seconds: dict[str, float] | None = None,
) -> None:
    """Write the rivers, units and metadata of ``resp`` into a result folder.

    A result folder holds the reaches as GeoParquet files ``part-NNNNN.parquet``
    (written as they come, by :func:`rivermap.scale.assign_to_parquet`), and
    beside them ``_rivers.parquet``, ``_units.parquet`` (GeoParquet) and
    ``_metadata.json`` (levels, CRS, parameters, summary; ``tiles``: the
    rivers, vertices, reaches, units and seconds of each tile; ``seconds``:
    the phases of the run). Readers of Parquet datasets skip names that begin
    with ``_``, so ``geopandas.read_parquet(folder)`` reads the reaches alone.
    The two tables are written at once, on two threads.
    """
    with ThreadPoolExecutor(1) as pool:
        units = pool.submit(resp.units.to_parquet, folder / _FOLDER_FILES[1], index=False)
        resp.rivers.to_parquet(folder / _FOLDER_FILES[0], index=False)
        units.result()
    meta = {**resp._metadata(), "tiles": tiles or [], "seconds": seconds or {}}
    text = json.dumps(meta, ensure_ascii=False, indent=1, default=_json_default)
    (folder / _FOLDER_FILES[2]).write_text(text, encoding="utf-8")


def _read_folder(p: Path) -> Responsibility:
    """Read a result folder (see :func:`write_folder_tables`)."""
    meta_path = p / _FOLDER_FILES[2]
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        ok = meta.get("format") == _FORMAT
    except (OSError, ValueError, AttributeError) as exc:
        msg = (
            f"{p}: not a rivermap result folder ({meta_path.name}: {exc}); "
            "write one with rivermap.scale.assign_to_parquet"
        )
        raise SchemaError(msg) from exc
    if not ok:
        msg = f"{meta_path}: does not describe a rivermap responsibility"
        raise SchemaError(msg)
    crs = pyproj.CRS.from_wkt(meta["crs"]) if meta.get("crs") else None
    parts = sorted(p.glob("part-*.parquet"))
    try:
        with ThreadPoolExecutor(_THREADS) as pool:
            read_units = pool.submit(gpd.read_parquet, p / _FOLDER_FILES[1])
            rivers = pd.read_parquet(p / _FOLDER_FILES[0])
            reaches = _read_reaches(parts, rivers, crs, pool)
            units = read_units.result()
    except Exception as exc:  # pyarrow raises many types for damaged files
        msg = f"{p}: a file of the result cannot be read ({exc})"
        raise DataError(msg) from exc
    return Responsibility(
        reaches,
        rivers,
        units,
        levels=tuple(meta["levels"]),
        crs=crs,
        params=meta.get("params", {}),
        summary=meta.get("summary", {}),
    )


#: Threads that read a result folder (decoding WKB and taking rows release the GIL).
_THREADS = 2


def _read_reaches(
    parts: list[Path], rivers: pd.DataFrame, crs: pyproj.CRS | None, pool: ThreadPoolExecutor
) -> gpd.GeoDataFrame:
    """Read the reaches' files as one table, in the rivers' order (tiles write their own).

    The files are read as Arrow tables and put in order there, column by
    column, before pandas sees them; the lines are decoded from WKB a file at
    a time on the pool's threads and reordered as objects. The same frame as
    reading each file with ``geopandas.read_parquet``, concatenating and
    reordering, which :func:`_read_reaches_frames` still does when the files'
    columns differ in type (a tile whose column was all empty).
    """
    tables = [pq.read_table(f) for f in parts]
    schemas = [t.schema.remove_metadata() for t in tables]
    if not tables or any(not s.equals(schemas[0]) for s in schemas) or not _wkb_lines(tables[0]):
        return _read_reaches_frames(parts, rivers, crs)
    table = pa.concat_tables(tables)
    try:
        known = pa.array(rivers["river_id"], from_pandas=True)
        at = pc.index_in(table["river_id"], value_set=known).fill_null(-1).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return _read_reaches_frames(parts, rivers, crs)
    order = np.argsort(at, kind="stable")
    lines = pool.map(lambda c: shapely.from_wkb(np.asarray(c)), table["geometry"].chunks)
    names = [n for n in table.column_names if n != "geometry"]
    indices = pa.array(order)
    columns = list(pool.map(lambda n: pc.take(table[n], indices), names))
    frame = pa.table(dict(zip(names, columns, strict=True)), metadata=table.schema.metadata)
    reaches = frame.to_pandas().reset_index(drop=True)
    geometry = np.concatenate([np.empty(0, dtype=object), *lines])[order]
    reaches.insert(table.column_names.index("geometry"), "geometry", geometry)
    return gpd.GeoDataFrame(reaches, geometry="geometry", crs=crs)


def _wkb_lines(table: pa.Table) -> bool:
    """Tell whether a GeoParquet table keeps its lines in a ``geometry`` column as WKB."""
    geo = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    column = geo.get("columns", {}).get("geometry", {})
    return bool(geo.get("primary_column") == "geometry" and column.get("encoding") == "WKB")


def _read_reaches_frames(
    parts: list[Path], rivers: pd.DataFrame, crs: pyproj.CRS | None
) -> gpd.GeoDataFrame:
    """Read the reaches' files one by one as frames, in the rivers' order."""
    reaches = pd.concat([gpd.read_parquet(f) for f in parts], ignore_index=True)
    at = pd.Index(rivers["river_id"]).get_indexer(reaches["river_id"])
    reaches = reaches.iloc[np.argsort(at, kind="stable")].reset_index(drop=True)
    return gpd.GeoDataFrame(reaches, geometry="geometry", crs=crs)


def _both(key: str) -> str:
    """Return a term in English, then Chinese (``rivers 河流``)."""
    return f"{term(key, 'en')} {term(key, 'zh')}"


def _summary_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Return ``(term key, value)`` rows of a summary, lengths in km."""
    km = 1000.0
    return [
        ("result.rivers", f"{s.get('n_rivers', 0):,}"),
        ("result.reaches", f"{s.get('n_reaches', 0):,}"),
        ("result.boundary_reaches", f"{s.get('n_boundary_reaches', 0):,}"),
        ("result.total_length", f"{s.get('total_length_m', 0.0) / km:,.1f} km"),
        ("result.boundary_length", f"{s.get('boundary_length_m', 0.0) / km:,.1f} km"),
        ("result.outside_length", f"{s.get('outside_length_m', 0.0) / km:,.1f} km"),
        (
            "result.slivers",
            f"{s.get('slivers_merged', 0):,} ({s.get('sliver_length_m', 0.0):,.0f} m)",
        ),
    ]
