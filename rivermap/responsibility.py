"""The result of :func:`rivermap.assign`: reaches, rivers and units with their chiefs' shares.

:class:`Responsibility` holds three tables and a summary; it writes them to one
GeoPackage (layers ``reaches``, ``rivers``, ``units`` and ``metadata``) and
:func:`read_responsibility` reads them back.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from rivermap._package import metadata_table, open_package, read_simple_geometries

__all__ = ["Responsibility", "read_responsibility"]

_FORMAT = "rivermap.responsibility"
_FORMAT_VERSION = 1
_LAYERS = ("reaches", "rivers", "units", "metadata")


class Responsibility:
    """Who is responsible for which stretch of which river.

    Built by :func:`rivermap.assign`; read back with :func:`read_responsibility`.

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
        Counts and lengths; see :attr:`summary`.
    roster
        The chief roster joined by :meth:`with_chiefs` (as from
        :func:`rivermap.read_chiefs`), or None.
    """

    def __init__(
        self,
        reaches: gpd.GeoDataFrame,
        rivers: pd.DataFrame,
        units: gpd.GeoDataFrame,
        *,
        levels: tuple[str, ...],
        crs: Any,
        params: dict[str, Any],
        summary: dict[str, Any],
        roster: pd.DataFrame | None = None,
    ) -> None:
        self._reaches = reaches
        self._rivers = rivers
        self._units = units
        self._roster = roster
        self.levels: tuple[str, ...] = tuple(levels)
        self.crs: pyproj.CRS | None = None if crs is None else pyproj.CRS.from_user_input(crs)
        self.params: dict[str, Any] = dict(params)
        self._summary = dict(summary)

    # ----------------------------------------------------------------- tables
    @property
    def reaches(self) -> gpd.GeoDataFrame:
        """Reaches: one row per stretch of a river with one responsibility (a copy)."""
        return self._reaches.copy()

    @property
    def rivers(self) -> pd.DataFrame:
        """Rivers: length, chief level and unit, per-level unit counts and lead shares."""
        return self._rivers.copy()

    @property
    def units(self) -> gpd.GeoDataFrame:
        """Units: parent, river length, number of rivers and reaches, boundary length, outline."""
        return self._units.copy()

    @property
    def roster(self) -> pd.DataFrame | None:
        """The chief roster joined by :meth:`with_chiefs` (a copy), or None."""
        return None if self._roster is None else self._roster.copy()

    @property
    def summary(self) -> dict[str, Any]:
        """Counts and lengths.

        ``n_rivers``, ``n_reaches``, ``n_boundary_reaches``, ``total_length_m``,
        ``inside_length_m``, ``boundary_length_m``, ``outside_length_m``,
        ``slivers_merged`` (short pieces merged into a neighbour),
        ``sliver_length_m`` (metres that changed hands that way), ``metric_crs``
        and ``parameters``.
        """
        out = dict(self._summary)
        out["parameters"] = dict(self.params)
        return out

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
        from rivermap.chiefs import join_chiefs

        reaches, rivers, roster = join_chiefs(self, chiefs)
        return Responsibility(
            gpd.GeoDataFrame(reaches, geometry=reaches.geometry.name, crs=reaches.crs),
            rivers,
            self._units,
            levels=self.levels,
            crs=self.crs,
            params=self.params,
            summary=self._summary,
            roster=roster,
        )

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
        from rivermap.chiefs import chiefs_table

        return chiefs_table(self)

    def roster_report(
        self,
        *,
        max_km: float | None = None,
        max_reaches: int | None = None,
        fence: float = 3.0,
        min_people: int = 8,
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
        from rivermap.chiefs import roster_report

        return roster_report(
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
        supervisor: str | dict[str, str] | None = "{unit}河长制办公室",
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
        lang
            ``"zh"``: place names like ``杭州市余杭区``; ``"en"``: ``余杭区, 杭州市``.

        Returns
        -------
        DataFrame
            ``river_id``, ``river`` (name, or id when unnamed), ``chief_level``,
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
        from rivermap.chiefs import signboards

        return signboards(
            self,
            level,
            hotline=hotline,
            supervisor=supervisor,
            lang=lang,
        )

    def flags(
        self,
        level: str | None = None,
        *,
        min_share: float = 0.05,
        min_length_m: float = 200.0,
    ) -> pd.DataFrame:
        """Rivers whose responsibility at a level needs redrawing (:func:`rivermap.flags.flags`).

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
        from rivermap.flags import flags

        return flags(self, level, min_share=min_share, min_length_m=min_length_m)

    # ---------------------------------------------------------------- display
    def __repr__(self) -> str:
        s = self._summary
        return (
            f"Responsibility({s.get('n_rivers', 0)} rivers, {s.get('n_reaches', 0)} reaches, "
            f"{s.get('n_boundary_reaches', 0)} boundary; "
            f"{s.get('total_length_m', 0.0) / 1000:.1f} km; levels={list(self.levels)})"
        )

    def _repr_html_(self) -> str:
        s = self._summary
        km = 1000.0
        rows = [
            ("rivers 河流", f"{s.get('n_rivers', 0):,}"),
            ("reaches 河段", f"{s.get('n_reaches', 0):,}"),
            ("boundary reaches 界河段", f"{s.get('n_boundary_reaches', 0):,}"),
            ("total length 总长", f"{s.get('total_length_m', 0.0) / km:,.1f} km"),
            ("along boundaries 界河长度", f"{s.get('boundary_length_m', 0.0) / km:,.1f} km"),
            ("outside all units 区域外", f"{s.get('outside_length_m', 0.0) / km:,.1f} km"),
            (
                "slivers merged 碎段合并",
                f"{s.get('slivers_merged', 0):,} ({s.get('sliver_length_m', 0.0):,.0f} m)",
            ),
            ("levels 级别", " > ".join(self.levels)),
        ]
        chiefs = self._rivers["chief_level"].value_counts(dropna=False)
        for level, count in chiefs.items():
            label = str(level) if isinstance(level, str) else "none"
            rows.append((f"chief level 河长级别: {label}", f"{int(count):,}"))
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
    ) -> Path:
        """Write the result to a GeoPackage, atomically.

        Layers ``reaches`` (with geometry), ``rivers``, ``units``, ``flags``
        (not read back, as it is recomputed), ``roster`` when chiefs were
        joined, and ``metadata`` (levels, CRS, parameters, summary as JSON).
        The file is written beside ``path`` under a temporary name and moved
        into place when complete.

        Parameters
        ----------
        path
            The ``.gpkg`` file to write.
        overwrite
            Replace an existing file; without it an existing file raises
            :class:`~rivermap.errors.OutputExistsError`.
        flags
            The flags table to store, as from :meth:`flags`; by default
            :meth:`flags` at every level with the default thresholds.

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
        """
        from rivermap.io import atomic_output

        final = Path(path)
        with atomic_output(final, overwrite=overwrite) as tmp:
            reaches = self._reaches
            pyogrio.write_dataframe(
                reaches, tmp, layer="reaches", driver="GPKG", promote_to_multi=False
            )
            pyogrio.write_dataframe(self._rivers, tmp, layer="rivers", driver="GPKG")
            pyogrio.write_dataframe(
                self._units, tmp, layer="units", driver="GPKG", promote_to_multi=True
            )
            if self._roster is not None:
                pyogrio.write_dataframe(self._roster, tmp, layer="roster", driver="GPKG")
            flags = self.flags() if flags is None else flags
            pyogrio.write_dataframe(flags, tmp, layer="flags", driver="GPKG")
            pyogrio.write_dataframe(self._metadata_table(), tmp, layer="metadata", driver="GPKG")
        return final

    def _metadata_table(self) -> pd.DataFrame:
        meta = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "levels": list(self.levels),
            "crs": self.crs.to_wkt() if self.crs is not None else None,
            "params": self.params,
            "summary": self._summary,
        }
        return metadata_table(meta)


def read_responsibility(path: str | os.PathLike[str]) -> Responsibility:
    """Read a :class:`Responsibility` written by :meth:`Responsibility.to_file`.

    Parameters
    ----------
    path
        A GeoPackage with layers ``reaches``, ``rivers``, ``units`` and ``metadata``.

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
    layers, meta = open_package(
        p,
        fmt=_FORMAT,
        layers=_LAYERS,
        what="responsibility file",
        hint="write one with Responsibility.to_file",
    )
    levels = tuple(meta["levels"])
    reaches = read_simple_geometries(p, "reaches")
    rivers = pd.DataFrame(pyogrio.read_dataframe(p, layer="rivers", read_geometry=False))
    units = read_simple_geometries(p, "units")
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
