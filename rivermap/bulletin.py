"""The monthly bulletin (一月一通报): its tables, one offline page, and one workbook.

:func:`bulletin` takes a responsibility and a month's reports and patrols, as
read or as already routed and judged, and returns a :class:`Bulletin`: the
tables of :func:`rivermap.bulletin_tables.bulletin_tables` (per unit at every
level, per chief, silent units, month over month, unrouted reports), with
:meth:`Bulletin.to_excel` (a sheet per table, headers in Chinese or English)
and :meth:`Bulletin.to_html` (one self-contained page, printable on A4, drawn
by :mod:`rivermap._bulletin_html` with inline SVG: no script, nothing fetched).

Reports as read are routed with :func:`rivermap.route_events`; track points
are judged with :func:`rivermap.patrol_coverage` over the month and the month
before it (for month over month).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rivermap.bulletin_tables import bulletin_tables, month_span, score_rule
from rivermap.params import check_lang, check_level

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["Bulletin", "bulletin"]


@dataclasses.dataclass(frozen=True)
class Bulletin:
    """A month's bulletin: its tables and how to write them.

    Attributes
    ----------
    tables
        ``units``, ``ranking`` (the units of ``level``, best first),
        ``chiefs``, ``silent``, ``trend``, ``unrouted`` and ``months`` (see
        :func:`rivermap.bulletin_tables.bulletin_tables`).
    month
        ``"YYYY-MM"``.
    level
        The level ranked (the finest by default).
    rule
        The score's rule, printed with the ranking.
    units
        The units' outlines (for the page's small map), in EPSG:4326.
    places
        The names of the top level's units (the title's place when few).
    note
        A line shown on every output (e.g. that the data is synthetic), or None.
    """

    tables: dict[str, pd.DataFrame]
    month: str
    level: str
    rule: str
    units: Any
    places: tuple[str, ...]
    note: str | None = None

    def to_excel(
        self, path: str | os.PathLike[str], *, lang: str = "zh", overwrite: bool = False
    ) -> Path:
        """Write a sheet per table, words in ``lang``; atomically, never over a file unasked."""
        from rivermap._bulletin_html import workbook

        return workbook(self, path, lang=lang, overwrite=overwrite)

    def to_html(
        self, path: str | os.PathLike[str], *, lang: str = "zh", overwrite: bool = False
    ) -> Path:
        """Write the bulletin as one self-contained page (offline, printable on A4)."""
        from rivermap._bulletin_html import write_page

        return write_page(self, path, lang=lang, overwrite=overwrite)


def bulletin(
    resp: Responsibility,
    *,
    events: Any = None,
    patrols: Any = None,
    month: str,
    duties: Any = None,
    level: str | None = None,
    weights: Mapping[str, float] | None = None,
    note: str | None = None,
    lang: str = "zh",
) -> Bulletin:
    """Make the bulletin of ``month`` (see the module docstring).

    Parameters
    ----------
    resp
        The responsibility, with its roster for the chiefs.
    events
        Reports as read (:func:`rivermap.read_events`) or routed
        (:func:`rivermap.route_events`), a path to read, or None.
    patrols
        Track points (:func:`rivermap.read_patrols`), a
        :class:`~rivermap.PatrolCoverage`, its ``people`` table, a path, or None.
    month
        ``"YYYY-MM"``.
    duties
        The patrol duties (:func:`rivermap.read_duties`); the default when None.
    level
        The level ranked; the finest by default.
    weights
        The score's weights (:data:`rivermap.bulletin_tables.WEIGHTS`).
    note
        A line every output shows; when None and the reports or tracks are
        marked synthetic (``attrs["synthetic"]``), the synthetic-data note.
    lang
        Only checked here; the outputs take theirs.

    Returns
    -------
    Bulletin
    """
    check_lang(lang)
    level = check_level(level or resp.levels[-1], resp.levels)
    start, end = month_span(month)
    routed = _routed(resp, events)
    people = _people(resp, patrols, duties, start, end)
    tables = bulletin_tables(resp, routed, people, month, weights=weights)
    units = tables["units"]
    tables["ranking"] = (
        units[units["level"] == level].sort_values(["rank", "name"]).reset_index(drop=True)
    )
    synthetic = any(
        getattr(x, "attrs", {}).get("synthetic") for x in (routed, events, patrols) if x is not None
    )
    if note is None and synthetic:
        from rivermap.text import term

        note = f"{term('msg.synthetic', 'zh')} / {term('msg.synthetic', 'en')}"
    top = resp.units[resp.units["level"] == resp.levels[0]]
    places = tuple(top["name"].astype(str)) if len(top) <= 3 else ()
    outlines = resp.units[resp.units["level"] == level][["unit_id", "name", "geometry"]]
    rule = score_rule(weights)
    return Bulletin(tables, month, level, rule, outlines.to_crs(4326), places, note)


def _routed(resp: Responsibility, events: Any) -> pd.DataFrame | None:
    """Return the reports routed (routing them when they are as read)."""
    if events is None:
        return None
    if isinstance(events, pd.DataFrame) and "match" in events.columns:
        return events
    from rivermap.routing import route_events

    return route_events(resp, events)


def _people(
    resp: Responsibility, patrols: Any, duties: Any, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame | None:
    """Return the per-person, per-period table of the patrols (judging them when needed).

    Track points are judged over the month, and over the month before too when
    they reach back into it (for month over month).
    """
    if patrols is None:
        return None
    people = getattr(patrols, "people", None)
    if people is not None:
        return people
    if isinstance(patrols, pd.DataFrame) and "required" in patrols.columns:
        return patrols
    from rivermap.patrols import patrol_coverage
    from rivermap.tracks import read_patrols

    points = read_patrols(patrols)
    earlier = bool((pd.to_datetime(points["time"]) < start).any())
    first = start - pd.offsets.MonthBegin(1) if earlier else start
    last = end - pd.Timedelta(days=1)
    return patrol_coverage(resp, points, duties=duties, start=first, end=last).people
