"""Write the synthetic country of ``rivermap.synth.make_country`` once, as GeoParquet.

    python benchmarks/make_country.py              # national: 600,000 communities, 1,000,000 rivers
    python benchmarks/make_country.py --small      # 20,000 communities, 40,000 rivers (seconds)
    python benchmarks/make_country.py --communities 100000 --rivers 150000 --out DIR
    python benchmarks/make_country.py --assign     # then rivermap.assign in memory on it
    python benchmarks/make_country.py --assign --reuse   # the files already written

Files, in ``--out`` (default ``benchmarks/data/country``, or ``country-small`` with
``--small``; ``benchmarks/data/`` is ignored by git):

- ``units.parquet``: every level in one table with the columns of ``AdminUnits.frame``
  (``unit_id``, ``name``, ``level``, ``parent_id``, ``geometry``); levels are
  ``rivermap.synth.COUNTRY_LEVELS``, rows ordered by level, then along a Hilbert curve.
- ``rivers.parquet``: ``river_id``, ``name``, ``synthetic_kind``, ``geometry``; the
  rivers whose bounding box is wider or higher than 1/64 of the country's come first
  (the long rivers and a few others), then the others, each part along a Hilbert curve
  of its bounding boxes' centres: only the first row group spans the whole country.
- ``country.json``: the arguments, the CRS (PROJJSON), the counts, the row-group sizes,
  the timings and sizes printed below.

Both tables are GeoParquet 1.1 (WKB) with a ``bbox`` covering column and small row
groups (``--unit-rows``, ``--river-rows``), so that
``geopandas.read_parquet(path, bbox=(xmin, ymin, xmax, ymax))`` reads only the row
groups whose rows lie around that box. The script prints how many it reads for a box of
1 % of the country's area. Read the units back with
``AdminUnits(gpd.read_parquet(path), COUNTRY_LEVELS)``.

It prints the time of each step, the peak memory of the process (VmHWM) and the sizes.
With ``--assign``, a fresh process then reads both files back and runs
``rivermap.assign`` on the whole country in memory (``workers=None``, after a warm-up
on 100 rivers that loads the compiled kernels): the time to read, the wall and CPU
time of ``assign``, the resident memory before it and the process's peak during it,
and the load average of the machine (other work on it slows every figure down).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
NATIONAL = {"n_communities": 600_000, "n_rivers": 1_000_000}
SMALL = {"n_communities": 20_000, "n_rivers": 40_000, "n_provinces": 6}
# Rivers whose bounding box is wider or higher than this share of the country's are
# written first, in row groups of their own.
LARGE_SHARE = 1 / 64


def peak_rss_mb() -> float:
    """Return the peak resident set of this process (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3  # kB
    return float("nan")  # pragma: no cover - not Linux


def rss_mb() -> float:
    """Return the resident set of this process, in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def reset_peak() -> None:
    """Hand freed memory back (glibc's malloc_trim), then restart VmHWM from VmRSS."""
    ctypes.CDLL(None).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def spatial_order(frame: Any, bounds: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
    """Row order along a Hilbert curve of the bounding boxes' centres, ``first`` rows first.

    ``first`` is a sort key applied before the curve (a level's depth, a size class).
    """
    hilbert = frame.geometry.hilbert_distance(total_bounds=bounds, level=16).to_numpy()
    keys = (hilbert,) if first is None else (hilbert, first)
    return np.lexsort(keys)


def write(frame: Any, path: Path, rows: int) -> float:
    """Write ``frame`` as GeoParquet with a bbox covering column; return the seconds."""
    t0 = time.perf_counter()
    frame.to_parquet(
        path,
        index=False,
        compression="zstd",
        write_covering_bbox=True,
        row_group_size=rows,
    )
    return time.perf_counter() - t0


def row_groups_read(path: Path, bounds: np.ndarray, share: float, n_boxes: int = 200) -> float:
    """Median number of row groups a bbox filter reads, over random boxes of ``share`` of the area.

    A row group is read when its ``bbox`` statistics (min of xmin … max of ymax)
    intersect the box, which is what a pyarrow filter on the covering column does.
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    col = {k: names.index(f"bbox.{k}") for k in ("xmin", "ymin", "xmax", "ymax")}
    stats = np.array(
        [
            [
                meta.row_group(g).column(col["xmin"]).statistics.min,
                meta.row_group(g).column(col["ymin"]).statistics.min,
                meta.row_group(g).column(col["xmax"]).statistics.max,
                meta.row_group(g).column(col["ymax"]).statistics.max,
            ]
            for g in range(meta.num_row_groups)
        ]
    )
    xmin, ymin, xmax, ymax = bounds
    w, h = np.sqrt(share) * (xmax - xmin), np.sqrt(share) * (ymax - ymin)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(xmin, xmax - w, n_boxes)
    y0 = rng.uniform(ymin, ymax - h, n_boxes)
    hit = (
        (stats[None, :, 0] <= (x0 + w)[:, None])
        & (stats[None, :, 2] >= x0[:, None])
        & (stats[None, :, 1] <= (y0 + h)[:, None])
        & (stats[None, :, 3] >= y0[:, None])
    )
    return float(np.median(hit.sum(axis=1)))


def make(args: argparse.Namespace) -> dict[str, Any]:
    """Build the country, write it and return what to print and keep in country.json."""
    import shapely

    from rivermap.synth import COUNTRY_LEVELS, make_country

    kwargs: dict[str, Any] = dict(SMALL if args.small else NATIONAL)
    if args.communities is not None:
        kwargs["n_communities"] = args.communities
    if args.rivers is not None:
        kwargs["n_rivers"] = args.rivers
    kwargs["seed"] = args.seed
    t0 = time.perf_counter()
    rivers, units = make_country(**kwargs)
    generate_s = time.perf_counter() - t0
    generate_peak = peak_rss_mb()

    args.out.mkdir(parents=True, exist_ok=True)
    bounds = units.total_bounds
    depth = units["level"].map({lv: i for i, lv in enumerate(COUNTRY_LEVELS)}).to_numpy()
    units = units.iloc[spatial_order(units, bounds, depth)]
    box = shapely.bounds(rivers.geometry.values)
    span = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    large = span > LARGE_SHARE * max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    rivers = rivers.iloc[spatial_order(rivers, bounds, ~large)]
    units_s = write(units, args.out / "units.parquet", args.unit_rows)
    rivers_s = write(rivers, args.out / "rivers.parquet", args.river_rows)
    vertices = shapely.get_num_coordinates(rivers.geometry.values)
    return {
        "arguments": kwargs,
        "levels": list(COUNTRY_LEVELS),
        "crs": units.crs.to_json_dict(),
        "units": units["level"].value_counts().reindex(COUNTRY_LEVELS).to_dict(),
        "rivers": rivers["synthetic_kind"].value_counts().to_dict(),
        "river_vertices": int(vertices.sum()),
        "river_km": round(float(rivers.length.sum() / 1000.0)),
        "river_km_by_kind": (rivers.length.groupby(rivers["synthetic_kind"]).sum() / 1000.0)
        .round()
        .to_dict(),
        "large_rivers": int(large.sum()),
        "unit_row_group_rows": args.unit_rows,
        "river_row_group_rows": args.river_rows,
        "generate_s": round(generate_s, 1),
        "generate_peak_mb": round(generate_peak),
        "write_units_s": round(units_s, 1),
        "write_rivers_s": round(rivers_s, 1),
        "units_mb": round((args.out / "units.parquet").stat().st_size / 1e6, 1),
        "rivers_mb": round((args.out / "rivers.parquet").stat().st_size / 1e6, 1),
        "row_groups_read_1pct": {
            name: row_groups_read(args.out / f"{name}.parquet", bounds, 0.01)
            for name in ("units", "rivers")
        },
    }


def assign_in_memory(folder: Path) -> dict[str, Any]:
    """Read the country in ``folder`` and run rivermap.assign on all of it; return the figures."""
    import geopandas as gpd

    import rivermap as rm
    from rivermap.synth import COUNTRY_LEVELS

    t0 = time.perf_counter()
    rivers = gpd.read_parquet(folder / "rivers.parquet")
    units = rm.AdminUnits(gpd.read_parquet(folder / "units.parquet"), COUNTRY_LEVELS)
    read_s, read_peak = time.perf_counter() - t0, peak_rss_mb()
    rm.assign(rivers.iloc[:100], units)  # loads the compiled kernels
    reset_peak()
    before = rss_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    resp = rm.assign(rivers, units)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "read_s": round(read_s, 1),
        "read_peak_mb": round(read_peak),
        "assign_s": round(wall, 1),
        "assign_cpu_s": round(cpu, 1),
        "rss_before_mb": round(before),
        "assign_peak_mb": round(peak_rss_mb()),
        "rivers_per_s": round(len(rivers) / wall),
        "reaches": len(resp.reaches),
        "boundary_reaches": resp.summary["n_boundary_reaches"],
        "chief_levels": resp.rivers["chief_level"].value_counts().to_dict(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, write the country and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20,000 communities, 40,000 rivers")
    parser.add_argument("--communities", type=int, help="number of communities")
    parser.add_argument("--rivers", type=int, help="number of rivers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="folder (default benchmarks/data/country)")
    parser.add_argument("--unit-rows", type=int, default=10_000, help="rows per row group")
    parser.add_argument("--river-rows", type=int, default=20_000, help="rows per row group")
    parser.add_argument(
        "--assign", action="store_true", help="then time rivermap.assign in memory on it"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the files of --out")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(assign_in_memory(args.worker)))
        return 0
    if args.out is None:
        args.out = DATA / ("country-small" if args.small else "country")
    meta = args.out / "country.json"
    if args.reuse and meta.exists():
        info = json.loads(meta.read_text())
    else:
        t0 = time.perf_counter()
        info = make(args)
        info["total_s"] = round(time.perf_counter() - t0, 1)
        info["peak_mb"] = round(peak_rss_mb())
        print(f"wrote {args.out}")
    if args.assign:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", str(args.out)],
            capture_output=True,
            text=True,
            check=True,
        )
        info["assign_in_memory"] = json.loads(proc.stdout.strip().splitlines()[-1])
    meta.write_text(json.dumps(info, indent=1, ensure_ascii=False))
    for key, value in info.items():
        if key != "crs":
            print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
