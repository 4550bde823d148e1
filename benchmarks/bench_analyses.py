"""Time the analyses of a national result: reading it, units, within, flags and redivide.

    python benchmarks/make_country.py                      # once: benchmarks/data/country
    python benchmarks/bench_analyses.py                    # assigns it once, then times
    python benchmarks/bench_analyses.py --country benchmarks/data/country-small

The country (``rivermap.synth.make_country``, written by make_country.py) is
assigned once with ``rivermap.scale.assign_to_parquet`` into ``result.parquet``
inside its folder (kept for later runs; ``--reassign`` makes it again). Then
one process reads the result back (``rivermap.read_responsibility``) and times,
one after the other:

- ``resp.units`` (the per-unit sums, built on first use);
- ``resp.within(unit)`` for the first province (the subset the web map's
  ``region=`` draws);
- ``resp.flags(level)`` at every level (default thresholds);
- ``rivermap.redivide(resp, level=...)`` at every level below the top, with
  the default policy.

Each line gives the wall seconds, the rows returned and the process's peak
resident memory so far (VmHWM). The machine's load average is printed first
and last: other work on the machine slows every figure down.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COUNTRY = ROOT / "benchmarks" / "data" / "country"


def peak_mb() -> float:
    """Return the process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(label: str, call: Callable[[], Any], rows: Callable[[Any], int]) -> Any:
    """Run ``call``, print its wall seconds, rows and the peak memory so far; return its value."""
    start = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - start
    print(f"| {label} | {seconds:.2f} | {rows(value):,} | {peak_mb():,.0f} |", flush=True)
    return value


def result_folder(country: Path, *, reassign: bool) -> Path:
    """Return the country's result folder, assigning it first when missing."""
    import geopandas as gpd

    from rivermap import scale
    from rivermap.synth import COUNTRY_LEVELS
    from rivermap.units import AdminUnits

    out = country / "result.parquet"
    if out.exists() and not reassign:
        return out
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    units = AdminUnits(gpd.read_parquet(country / "units.parquet"), COUNTRY_LEVELS)
    scale.assign_to_parquet(country / "rivers.parquet", units, out, tiles="auto", progress=True)
    print(f"assigned the country in {time.perf_counter() - start:.1f} s (not timed below)")
    return out


def main() -> None:
    """Assign the country once if needed, then time each analysis of its result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--country", type=Path, default=COUNTRY, help="make_country.py's folder")
    parser.add_argument("--reassign", action="store_true", help="assign the result again")
    args = parser.parse_args()
    import rivermap as rm

    folder = result_folder(args.country, reassign=args.reassign)
    print(f"load average {os.getloadavg()[0]:.2f}\n")
    print("| step | seconds | rows | peak MB |\n|---|---:|---:|---:|")
    resp = timed(
        "read_responsibility", lambda: rm.read_responsibility(folder), lambda r: len(r.reaches)
    )
    timed("resp.units", lambda: resp.units, len)
    top = resp.units.loc[resp.units["level"] == resp.levels[0], "unit_id"].iloc[0]
    timed(f"resp.within({top!r})", lambda: resp.within(str(top)), lambda r: len(r.reaches))
    for level in resp.levels:
        timed(f"resp.flags({level!r})", lambda lv=level: resp.flags(lv), len)
    for level in resp.levels[1:]:
        timed(
            f"rm.redivide(level={level!r})",
            lambda lv=level: rm.redivide(resp, level=lv),
            lambda p: len(p.segments),
        )
    print(f"\nload average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
