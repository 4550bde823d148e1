"""The main job on the embedded real data, as ``make demo`` and ``rivermap demo`` run it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rivermap import datasets
from rivermap.assign import assign
from rivermap.io import check_output
from rivermap.responsibility import Responsibility
from rivermap.validate import validate_inputs

__all__ = ["run_demo", "summarise_by_level"]


def summarise_by_level(resp: Responsibility, level: str) -> pd.DataFrame:
    """Kilometres of river and number of reaches per unit of ``level``.

    Parameters
    ----------
    resp
        A result of :func:`rivermap.assign`.
    level
        One of ``resp.levels``.

    Returns
    -------
    DataFrame
        ``unit_id``, ``name``, ``river_km``, ``n_reaches``, sorted by ``river_km``
        (largest first). Boundary reaches count for both sides.
    """
    units = resp.units
    table = units.loc[units["level"] == level, ["unit_id", "name", "river_length_m", "n_reaches"]]
    table = table.assign(river_km=table.pop("river_length_m") / 1000.0)
    table = table.loc[table["river_km"] > 0]
    return table.sort_values(["river_km", "unit_id"], ascending=[False, True]).reset_index(
        drop=True
    )[["unit_id", "name", "river_km", "n_reaches"]]


def run_demo(out: Path, *, overwrite: bool = False, quiet: bool = False) -> int:
    """Load the Zhejiang demo, validate it, assign responsibility and write the outputs.

    Writes ``out/responsibility.gpkg`` and prints a summary per city: kilometres
    of river, number of reaches, and the rivers whose chief level is above
    district.

    Parameters
    ----------
    out
        Output folder (created if missing).
    overwrite
        Replace existing outputs; without it existing outputs stop the demo
        before any work.
    quiet
        Print only the summary lines.

    Returns
    -------
    int
        The exit code: 0 when the demo data validates cleanly, 1 otherwise.
    """
    gpkg = check_output(out / "responsibility.gpkg", overwrite=overwrite)
    rivers, units = datasets.load_demo()
    report = validate_inputs(rivers, units)
    resp = assign(rivers, units, progress=not quiet)
    resp.to_file(gpkg, overwrite=overwrite)

    s = resp.summary
    frame = units.frame
    print("rivermap demo: Zhejiang / 浙江 (embedded real data)")
    print(
        "  units      "
        + ", ".join(f"{int((frame['level'] == lv).sum())} {lv}" for lv in units.levels)
    )
    print(
        f"  rivers     {s['n_rivers']} ({int(rivers['name'].notna().sum())} named, "
        f"merged by name), {s['total_length_m'] / 1000:,.1f} km; "
        f"{s['n_reaches']} reaches ({s['n_boundary_reaches']} boundary)"
    )
    if report.empty:
        print("  validate   no problems found / 未发现问题")
    else:
        print(f"  validate   {len(report)} problem(s) found / 发现问题:")
        print(report.to_string(index=False))

    print("\n  per city / 各市:            km   reaches")
    for row in summarise_by_level(resp, "city").to_dict("records"):
        print(
            f"    {row['name']:<8} {row['unit_id']:<8} {float(row['river_km']):>8.1f} "
            f"{int(row['n_reaches']):>8}"
        )

    riv = resp.rivers
    above = riv.loc[riv["chief_level"].notna() & (riv["chief_level"] != units.levels[-1])]
    print("\n  rivers whose chief level is above district / 河长层级在区县以上的河流:")
    names = dict(zip(frame["unit_id"], frame["name"], strict=True))
    for r in above.sort_values("length_m", ascending=False).to_dict("records"):
        chief = names.get(r["chief_unit"], "—") if isinstance(r["chief_unit"], str) else "—"
        label = r["name"] if isinstance(r["name"], str) else r["river_id"]
        print(
            f"    {label:<14} {float(r['length_m']) / 1000:>7.1f} km  "
            f"chief level {r['chief_level']:<16} {chief}"
        )
    if not quiet:
        print(f"\n  wrote {gpkg}")
    return 0 if report.empty else 1
