"""The main job on the embedded real data, as ``make demo`` and ``rivermap demo`` run it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rivermap import datasets
from rivermap.crs import metric_crs
from rivermap.validate import validate_inputs

__all__ = ["run_demo"]


def run_demo(out: Path, *, overwrite: bool = False, quiet: bool = False) -> int:
    """Load the Zhejiang demo, validate it and print a summary.

    Parameters
    ----------
    out
        Output folder (created if missing).
    overwrite
        Replace existing outputs.
    quiet
        Print only the summary lines.

    Returns
    -------
    int
        The exit code: 0 when the demo data validates cleanly, 1 otherwise.
    """
    del overwrite  # no file outputs yet
    out.mkdir(parents=True, exist_ok=True)
    rivers, units = datasets.load_demo()
    report = validate_inputs(rivers, units)
    lengths_km = rivers.to_crs(metric_crs(rivers)).length.to_numpy() / 1000.0
    frame = units.frame
    print("rivermap demo: Zhejiang / 浙江 (embedded real data)")
    for level in units.levels:
        print(f"  {level:<10} {int((frame['level'] == level).sum()):>5} units")
    named = int(rivers["name"].notna().sum())
    print(
        f"  rivers     {len(rivers):>5} ({named} named, merged by name), "
        f"{float(np.sum(lengths_km)):,.1f} km in all"
    )
    if not quiet:
        longest = rivers.assign(km=lengths_km).sort_values("km", ascending=False).head(5)
        for r in longest.itertuples():
            print(f"    {r.river_id:<14} {r.km:>8.1f} km")
    if report.empty:
        print("  validate   no problems found / 未发现问题")
        return 0
    print(f"  validate   {len(report)} problem(s) found / 发现问题:")
    print(report.to_string(index=False))
    return 1
