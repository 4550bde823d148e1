"""The monthly bulletin's tables (一月一通报): who patrolled, who handled reports, who was silent.

A river-chief office sends out a bulletin every month that ranks its chiefs'
work. :func:`bulletin_tables` computes its tables from the routed reports
(:func:`rivermap.route_events`) and the judged patrols
(:func:`rivermap.patrol_coverage`) of one month.

Per unit, at every level
------------------------
*Patrols*: the unit's chiefs' required patrols (应巡) and valid patrols (已巡)
in the periods of their duty that overlap the month, the completion rate
(巡河完成率, done ÷ required, empty when nothing is required), the km of their
own reaches patrolled against the km of river in the unit, and the days from
the last valid patrol to the month's last day.

*Reports*, routed to the unit (the report's unit at that level):

``received``
    reported in the month;
``closed``
    closed (办结 or 归档) in the month, whenever reported;
``carried``
    reported before the month and still open when it began;
``open_end``
    still open at the month's end;
``overdue``
    still open at the month's end past their deadline;
``closure_rate``
    closed ÷ received: the ratio bulletins print, above 100 % when old
    reports close;
``closure_rate_all``
    closed ÷ (received + carried): the share of the month's workload that
    was closed;
``median_days``
    the median days from report to closure, of the reports closed in the month.

With a roster, each unit's ``chief`` and ``chief_phone`` are those of the
person answering for the unit as a whole (:func:`rivermap.chiefs.unit_chiefs`),
None where the roster names nobody; such a unit's reports still count for it,
and appear among the unrouted reports with the reason ``no_chief``.

A unit is *silent* when it received no report and made no valid patrol all
month. The *score* that ranks the units of a level is a weighted sum of the
completion rate, the closure rate of the workload and whether the unit
reported anything (:data:`WEIGHTS`; rates above 1 count as 1, an empty rate as
0); its rule is returned with the table.

The ``months`` table gives the whole area's totals (a report counted once)
month by month, from the first month the data reaches, at most
:data:`HISTORY` months: the closure trend of the bulletin's page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rivermap.chiefs import unit_chiefs
from rivermap.errors import ParameterError
from rivermap.params import check_number
from rivermap.runs import unit_table

if TYPE_CHECKING:
    from rivermap.responsibility import Responsibility

__all__ = ["CLOSED", "HISTORY", "TREND", "WEIGHTS", "bulletin_tables", "month_span", "score_rule"]

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
#: The statuses of a closed report.
CLOSED: tuple[str, ...] = ("closed", "archived")
#: The default weights of the score: patrol completion, closure of the workload,
#: and reporting anything at all.
WEIGHTS: dict[str, float] = {"completion": 0.5, "closure_rate_all": 0.3, "reporting": 0.2}


def month_span(month: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first instant of ``month`` (``"YYYY-MM"``) and of the month after it.

    Examples
    --------
    >>> month_span("2026-11")
    (Timestamp('2026-11-01 00:00:00'), Timestamp('2026-12-01 00:00:00'))
    """
    if not isinstance(month, str) or not _MONTH.fullmatch(month.strip()):
        msg = f"month must be a month as 'YYYY-MM' (such as '2026-11'), got {month!r}"
        raise ParameterError(msg)
    period = pd.Period(month.strip(), freq="M")
    return period.start_time, (period + 1).start_time


def score_rule(weights: Mapping[str, float] | None = None) -> str:
    """Return the rule of the score, as printed with the ranking.

    Examples
    --------
    >>> score_rule()
    'score = 0.5 × completion + 0.3 × closure_rate_all + 0.2 × reporting'
    """
    w = _weights(weights)
    return "score = " + " + ".join(f"{v:g} × {k}" for k, v in w.items())


def bulletin_tables(
    resp: Responsibility,
    routed: pd.DataFrame | None,
    people: pd.DataFrame | None,
    month: Any,
    *,
    weights: Mapping[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the bulletin's tables for ``month`` (see the module docstring).

    Parameters
    ----------
    resp
        The responsibility (its units and levels).
    routed
        Reports as :func:`rivermap.route_events` returns them, or None.
    people
        The ``people`` table of :func:`rivermap.patrol_coverage` (per person
        and period), or None.
    month
        ``"YYYY-MM"``.
    weights
        The score's weights (keys of :data:`WEIGHTS`); the default when None.

    Returns
    -------
    dict of str to DataFrame
        ``units`` (every unit at every level, with the indicators, ``silent``,
        ``score`` and ``rank`` within its level), ``silent`` (the silent
        units), ``chiefs`` (per chief: patrols, and the reports routed to
        them), ``trend`` (the indicators of :data:`TREND` against the month
        before, empty where the data does not cover it), ``unrouted``
        (the month's reports nobody could be named for) and ``months`` (the
        whole area's totals and rates month by month).
    """
    start, end = month_span(month)
    table = _unit_indicators(resp, routed, people, start, end, weights)
    before = month_span(str(pd.Period(start, freq="M") - 1))
    return {
        "units": table,
        "silent": table[table["silent"]].reset_index(drop=True),
        "chiefs": _chief_indicators(routed, people, start, end),
        "trend": _trend(resp, routed, people, table, before, weights),
        "unrouted": _unrouted(routed, start, end),
        "months": _months(routed, people, start),
    }


def _unit_indicators(
    resp: Responsibility,
    routed: pd.DataFrame | None,
    people: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    weights: Mapping[str, float] | None,
) -> pd.DataFrame:
    """Return every unit's indicators for the month from start to end."""
    units, levels = unit_table(resp)
    table = units[["unit_id", "name", "level", "parent_id"]].copy()
    table = table.merge(_patrols_per_unit(people, start, end), on="unit_id", how="left")
    table = table.merge(_reports_per_unit(routed, levels, start, end), on="unit_id", how="left")
    table["river_km"] = table["unit_id"].map(_river_km(resp)).fillna(0.0).to_numpy()
    if resp.roster is not None:  # the chief answering for the unit; None where nobody is
        chiefs = unit_chiefs(resp).set_index("unit_id")
        for i, col in enumerate(("chief", "chief_phone"), start=2):
            values = table["unit_id"].map(chiefs[col]).astype(object)
            table.insert(i, col, values.where(values.notna(), None))
    return _finish(table, end, weights)


#: How many months, this one included, the ``months`` table goes back at most.
HISTORY = 6


def _months(
    routed: pd.DataFrame | None, people: pd.DataFrame | None, start: pd.Timestamp
) -> pd.DataFrame:
    """Return the whole area's totals per month, up to :data:`HISTORY` months to ``start``'s.

    A month is listed from the first one the reports or the duty periods
    reach; a report counts once, whichever units it lies in.
    """
    this = pd.Period(start, freq="M")
    # The patrols reach back to the end of their first duty period (it may begin long before).
    reached = {"routed": this, "people": this}
    for key, frame, col in (("routed", routed, "reported_at"), ("people", people, "period_end")):
        if frame is not None and pd.to_datetime(frame[col]).notna().any():
            reached[key] = min(this, pd.Period(pd.to_datetime(frame[col]).min(), freq="M"))
    first = max(min(reached.values()), this - (HISTORY - 1))
    months = pd.period_range(first, this, freq="M")
    rows = []
    for m in months:
        m_start, m_end = month_span(str(m))
        row: dict[str, Any] = {"month": str(m)}
        if routed is not None and len(routed):
            flags = _report_flags(routed, m_start, m_end)
            row.update(flags[["received", "closed", "carried", "overdue"]].sum().astype(int))
        if people is not None and len(people) and m >= reached["people"]:
            p = _overlapping(people, m_start, m_end)
            row.update(required=int(p["required"].sum()), done=int(p["done"].sum()))
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("required", "done", "received", "closed", "carried", "overdue"):
        if col not in out.columns:
            out[col] = np.nan
    out["completion"] = _ratio(out["done"], out["required"])
    out["closure_rate"] = _ratio(out["closed"], out["received"])
    out["closure_rate_all"] = _ratio(out["closed"], out["received"] + out["carried"])
    return out


#: The indicators the month-over-month table compares.
TREND = ("received", "closed", "completion", "closure_rate_all", "score")


def _trend(
    resp: Responsibility,
    routed: pd.DataFrame | None,
    people: pd.DataFrame | None,
    table: pd.DataFrame,
    before: tuple[pd.Timestamp, pd.Timestamp],
    weights: Mapping[str, float] | None,
) -> pd.DataFrame:
    """Return each unit's indicators against the month before, where the data covers it.

    Reports cover the month before when one was reported in it; patrols when a
    duty period began before this month. Uncovered indicators are left empty.
    """
    prev = _unit_indicators(resp, routed, people, *before, weights).set_index("unit_id")
    has_reports = routed is not None and bool(
        (pd.to_datetime(routed["reported_at"]) < before[1]).any()
    )
    has_patrols = people is not None and bool(
        (pd.to_datetime(people["period_start"]) < before[1]).any()
    )
    covered = {"received": has_reports, "closed": has_reports,
               "closure_rate_all": has_reports, "completion": has_patrols,
               "score": has_reports and has_patrols}  # fmt: skip
    out = table[["unit_id", "name", "level"]].copy()
    for col in TREND:
        before_values = table["unit_id"].map(prev[col]) if covered[col] else np.nan
        out[col] = table[col].to_numpy()
        out[f"{col}_before"] = before_values
        out[f"{col}_change"] = out[col] - out[f"{col}_before"]
    return out


def _chief_indicators(
    routed: pd.DataFrame | None, people: pd.DataFrame | None, start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:  # fmt: skip
    """Return per chief: required and valid patrols, km, last patrol, and the reports they got."""
    columns = ["person", "phone", "level", "units", "required", "done", "patrolled_km",
               "last_valid", "received", "closed", "overdue"]  # fmt: skip
    if people is None or people.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    p = _overlapping(people, start, end)
    for col in ("phone", "level", "units"):
        if col not in p.columns:
            p[col] = None
    out = p.groupby("person", sort=False).agg(
        phone=("phone", "first"), level=("level", "first"), units=("units", "first"),
        required=("required", "sum"), done=("done", "sum"), patrolled_km=("own_km", "sum"),
        last_valid=("last_valid", "max"),
    )  # fmt: skip
    if routed is not None and not routed.empty and "chief" in routed.columns:
        flags = _report_flags(routed, start, end)
        got = flags[["received", "closed", "overdue"]].groupby(routed["chief"]).sum()
        out = out.join(got)
    for col in ("received", "closed", "overdue"):
        out[col] = out[col].fillna(0).astype(int) if col in out.columns else 0
    out["completion"] = _ratio(out["done"], out["required"])
    out["days_since_patrol"] = (
        (end - pd.Timedelta(days=1)) - pd.to_datetime(out["last_valid"]).dt.normalize()
    ).dt.days
    return out.reset_index()[[*columns, "completion", "days_since_patrol"]]


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Return the weights of the score, checked."""
    if weights is None:
        return dict(WEIGHTS)
    unknown = sorted(set(weights) - set(WEIGHTS))
    if unknown:
        msg = f"weights: unknown indicator(s) {unknown}; use {', '.join(WEIGHTS)}"
        raise ParameterError(msg)
    out = {k: check_number(f"weights[{k!r}]", weights.get(k, 0.0)) for k in WEIGHTS}
    if not sum(out.values()):
        msg = f"weights: give at least one indicator a weight above 0 ({', '.join(WEIGHTS)})"
        raise ParameterError(msg)
    return out


def _overlapping(people: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Return (a copy of) the duty periods of ``people`` that overlap ``[start, end)``."""
    p_start = pd.to_datetime(people["period_start"])
    p_end = pd.to_datetime(people["period_end"]) + pd.Timedelta(days=1)
    return people[(p_start < end) & (p_end > start)].copy()


def _river_km(resp: Responsibility) -> pd.Series:
    """Return the km of river in each unit."""
    units = resp.units
    return pd.Series(
        units["river_length_m"].to_numpy(dtype=float) / 1000.0,
        index=units["unit_id"].astype("str").to_numpy(),
    )


def _patrols_per_unit(
    people: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Return per unit: required and valid patrols, km patrolled, last valid patrol."""
    columns = ["unit_id", "required", "done", "patrolled_km", "last_valid"]
    if people is None or people.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    p = _overlapping(people, start, end)
    p = p.assign(unit_id=p["units"].astype("str").str.split(";")).explode("unit_id")
    return (
        p.groupby("unit_id")
        .agg(
            required=("required", "sum"),
            done=("done", "sum"),
            patrolled_km=("own_km", "sum"),
            last_valid=("last_valid", "max"),
        )
        .reset_index()
    )


def _reports_per_unit(
    routed: pd.DataFrame | None, levels: tuple[str, ...], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Return per unit (a report counts for its unit at every level) the report indicators."""
    names = ["received", "closed", "carried", "open_end", "overdue"]
    if routed is None or routed.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ["unit_id", *names, "days"]})
    flags = _report_flags(routed, start, end)
    frames = []
    for level in levels:
        if level not in routed.columns:
            continue
        unit = routed[level].astype(object).to_numpy()
        has = ~pd.isna(unit)
        frames.append(flags[has].assign(unit_id=unit[has].astype(str)))
    long = pd.concat(frames, ignore_index=True)
    out = long.groupby("unit_id")[names].sum()
    out["median_days"] = long[long["closed"]].groupby("unit_id")["days"].median()
    return out.reset_index()


def _report_flags(routed: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Return, per report, which of the month's counts it falls into."""
    reported = pd.to_datetime(routed["reported_at"])
    closed_at = pd.to_datetime(routed.get("closed_at", pd.Series(pd.NaT, index=routed.index)))
    deadline = pd.to_datetime(routed.get("deadline", pd.Series(pd.NaT, index=routed.index)))
    status = routed.get("status", pd.Series(None, index=routed.index)).astype(object)
    is_closed = status.isin(CLOSED)
    # A closed report without a closing time closed at an unknown time: before the month's end.
    closed_by = closed_at.where(~(is_closed & closed_at.isna()), reported)
    open_at = ~is_closed | (closed_by >= end)
    return pd.DataFrame(
        {
            "received": ((reported >= start) & (reported < end)).to_numpy(),
            "closed": (is_closed & (closed_by >= start) & (closed_by < end)).to_numpy(),
            "carried": ((reported < start) & (~is_closed | (closed_by >= start))).to_numpy(),
            "open_end": ((reported < end) & open_at).to_numpy(),
            "overdue": ((reported < end) & open_at & (deadline < end)).to_numpy(),
            "days": ((closed_by - reported).dt.total_seconds() / 86400.0).to_numpy(),
        },
        index=routed.index,
    )


def _finish(
    table: pd.DataFrame, end: pd.Timestamp, weights: Mapping[str, float] | None
) -> pd.DataFrame:
    """Add the rates, silence, the score and the rank within each level."""
    for col in ("required", "done", "received", "closed", "carried", "open_end", "overdue"):
        table[col] = pd.to_numeric(table[col], errors="coerce").fillna(0).astype(int)
    table["patrolled_km"] = pd.to_numeric(table["patrolled_km"], errors="coerce").fillna(0.0)
    table["completion"] = _ratio(table["done"], table["required"])
    table["closure_rate"] = _ratio(table["closed"], table["received"])
    table["closure_rate_all"] = _ratio(table["closed"], table["received"] + table["carried"])
    last = pd.to_datetime(table["last_valid"])
    table["days_since_patrol"] = ((end - pd.Timedelta(days=1)) - last.dt.normalize()).dt.days
    table["silent"] = (table["received"] == 0) & (table["done"] == 0)
    w = _weights(weights)
    parts = {
        "completion": table["completion"].clip(upper=1).fillna(0.0),
        "closure_rate_all": table["closure_rate_all"].clip(upper=1).fillna(0.0),
        "reporting": (table["received"] > 0).astype(float),
    }
    score = pd.Series(0.0, index=table.index)
    for key, weight in w.items():
        score += weight * parts[key]
    table["score"] = score.round(4)
    table["rank"] = table.groupby("level")["score"].rank(method="min", ascending=False).astype(int)
    return table


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return num ÷ den, NaN where den is 0."""
    den = den.astype(float)
    return (num.astype(float) / den.where(den > 0)).astype(float)


def _unrouted(routed: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Return the month's reports nobody could be named for, with the reason."""
    if routed is None or routed.empty or "match" not in routed.columns:
        return pd.DataFrame(columns=["event_id", "reported_at", "reason"])
    reported = pd.to_datetime(routed["reported_at"])
    month = (reported >= start) & (reported < end) & (routed["match"] == "unmatched")
    keep = [c for c in ("event_id", "reported_at", "source", "category", "status", "reason",
                        "river_id", "reach_id") if c in routed.columns]  # fmt: skip
    return pd.DataFrame(routed.loc[month, keep]).reset_index(drop=True)
