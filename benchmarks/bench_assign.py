"""Benchmark rivermap.assign against the usual ways of splitting rivers by polygons.

Every method runs in a fresh worker process on the same synthetic city (written
once to GeoParquet), ``--runs`` times; the table gives the median wall time (until
the method returns its result: freeing it afterwards is not timed), the peak
memory the method added on top of the loaded data (resident set, MB), the time
relative to ``geopandas.overlay`` at the finest level, and the time relative to
the floor (reading the rivers and summing their lengths).

Each worker first runs its method once on the first 100 rivers, so that one-time
costs of a process (PROJ's database, GEOS, rivermap's compiled kernels loaded
from numba's cache) are left out for every method alike. The line "first call
in a fresh process" shows rivermap.assign without that warm-up. rivermap.assign
uses every core by default (``workers=None``); "1 thread" shows it on one.

    python benchmarks/bench_assign.py                 # sizes S, M and M-dense
    python benchmarks/bench_assign.py --sizes S M L   # L needs several GB
    RIVERMAP_PG_DSN=postgresql://... python benchmarks/bench_assign.py   # adds PostGIS

Sizes: S = 500 communities / 2,000 rivers, M = 5,000 / 20,000, L = 50,000 / 200,000.
M-dense is M with unit outlines of about 160 vertices a community instead of 7
(:func:`densify_outlines`: the same polygons, neighbours still sharing every
vertex), as boundaries digitised from a survey are: it shows the costs that grow
with boundary vertices rather than with rivers.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# name: (communities, rivers, vertices of a community's outline; None: as make_city makes them)
SIZES: dict[str, tuple[int, int, int | None]] = {
    "S": (500, 2_000, None),
    "M": (5_000, 20_000, None),
    "M-dense": (5_000, 20_000, 160),
    "L": (50_000, 200_000, None),
}
LEVELS = ("district", "street", "community")
FLOOR = "read + total length (floor)"


# ----------------------------------------------------------------------- methods
# A method gets the rivers, the units and the data folder, and returns what to time.
Runner = Callable[[], object]
Method = Callable[[Any, Any, Path], Runner]
WARM_RIVERS = 100


def _read(data: Path) -> tuple[Any, Any]:
    import geopandas as gpd

    return gpd.read_parquet(data / "rivers.parquet"), gpd.read_parquet(data / "units.parquet")


def m_floor(rivers: Any, frame: Any, data: Path) -> Runner:
    """Time the floor: reading the rivers and summing their lengths."""
    import geopandas as gpd

    def run() -> object:
        return float(gpd.read_parquet(data / "rivers.parquet").length.sum())

    return run


def m_assign(workers: int | None) -> Method:
    """Time rivermap.assign (three levels, boundary reaches) on ``workers`` threads."""

    def make(rivers: Any, frame: Any, data: Path) -> Runner:
        from rivermap.assign import assign
        from rivermap.units import AdminUnits

        units = AdminUnits(frame, LEVELS)
        return lambda: assign(rivers, units, workers=workers)

    return make


def m_overlay(level: str) -> Method:
    """Time geopandas.overlay of the rivers with the units of one level."""

    def make(rivers: Any, frame: Any, data: Path) -> Runner:
        import geopandas as gpd

        polys = frame.loc[frame["level"] == level, ["unit_id", "geometry"]]
        lines = rivers[["river_id", "geometry"]]
        return lambda: gpd.overlay(lines, polys, how="intersection", keep_geom_type=True)

    return make


def m_sjoin(rivers: Any, frame: Any, data: Path) -> Runner:
    """Time a spatial join of rivers and communities, then the pairs' intersections."""
    import geopandas as gpd
    import shapely

    polys = frame.loc[frame["level"] == "community", ["unit_id", "geometry"]]
    polys = polys.reset_index(drop=True)
    lines = rivers[["river_id", "geometry"]].reset_index(drop=True)

    def run() -> object:
        pairs = gpd.sjoin(lines, polys, predicate="intersects")
        geoms = shapely.intersection(
            lines.geometry.values[pairs.index.to_numpy()],
            polys.geometry.values[pairs["index_right"].to_numpy()],
        )
        return shapely.length(geoms).sum()

    return run


def m_postgis(rivers: Any, frame: Any, data: Path) -> Runner:  # pragma: no cover - optional
    """Time PostGIS's ST_Intersection join (the query only; loading is left out)."""
    import psycopg

    dsn = os.environ["RIVERMAP_PG_DSN"]
    polys = frame.loc[frame["level"] == "community"]
    conn = psycopg.connect(dsn, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_rivers; DROP TABLE IF EXISTS bench_units;")
        cur.execute("CREATE TABLE bench_rivers (river_id text, geom geometry)")
        cur.execute("CREATE TABLE bench_units (unit_id text, geom geometry)")
        with cur.copy("COPY bench_rivers FROM STDIN") as cp:
            for rid, wkb in zip(rivers["river_id"], rivers.geometry.to_wkb(hex=True), strict=True):
                cp.write_row((rid, wkb))
        with cur.copy("COPY bench_units FROM STDIN") as cp:
            for uid, wkb in zip(polys["unit_id"], polys.geometry.to_wkb(hex=True), strict=True):
                cp.write_row((uid, wkb))
        cur.execute("CREATE INDEX ON bench_rivers USING gist (geom)")
        cur.execute("CREATE INDEX ON bench_units USING gist (geom)")
        cur.execute("ANALYZE bench_rivers; ANALYZE bench_units;")

    def run() -> object:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT r.river_id, u.unit_id, ST_Length(ST_Intersection(r.geom, u.geom)) "
                "FROM bench_rivers r JOIN bench_units u ON ST_Intersects(r.geom, u.geom)"
            )
            return len(cur.fetchall())

    return run


# name: (method, warm up first)
METHODS: dict[str, tuple[Method, bool]] = {
    FLOOR: (m_floor, True),
    "rivermap.assign (3 levels + boundary)": (m_assign(None), True),
    "rivermap.assign, 1 thread": (m_assign(1), True),
    "rivermap.assign, first call in a fresh process": (m_assign(None), False),
    **{f"geopandas.overlay ({lv})": (m_overlay(lv), True) for lv in LEVELS},
    "sjoin + shapely.intersection (community)": (m_sjoin, True),
    "PostGIS ST_Intersection join (query only)": (m_postgis, True),
}
BASELINE = "geopandas.overlay (community)"


# ----------------------------------------------------------------------- workers
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_rss_mb() -> float:
    """Return the peak resident set of this process (VmHWM), in MB.

    Not ``ru_maxrss``: Linux carries that over from the parent across exec, so a
    worker would report the benchmark driver's own peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3  # kB
    msg = "no VmHWM in /proc/self/status"  # pragma: no cover - Linux only
    raise RuntimeError(msg)


def _reset_peak() -> None:
    """Start the peak over from the current resident set (Linux 4.0+).

    Memory that loading and warming up freed is first handed back to the system
    (glibc's malloc_trim), so that no method is credited with releasing it.
    """
    ctypes.CDLL(None).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def worker(method: str, data: Path) -> dict[str, float]:
    """Run ``method`` once in this process; return its seconds and added peak memory (MB)."""
    make, warm = METHODS[method]
    rivers, frame = _read(data)
    if warm:
        make(rivers.iloc[:WARM_RIVERS], frame, data)()
    run = make(rivers, frame, data)
    _reset_peak()
    before = _rss_mb()
    t0 = time.perf_counter()
    result = run()  # kept until the clock stops: freeing the result is not the method's work
    seconds = time.perf_counter() - t0
    peak_mb = max(_peak_rss_mb() - before, 0.0)
    del result
    return {"seconds": seconds, "peak_mb": peak_mb}


def measure(method: str, data: Path, runs: int) -> dict[str, float] | None:
    """Run ``method`` ``runs`` times, each in a fresh process; return the medians (None: failed)."""
    results = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", method, "--data", str(data)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"  {method}: failed\n{proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return None
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_mb": statistics.median(r["peak_mb"] for r in results),
    }


def densify_outlines(geoms: Any, step_m: float) -> Any:
    """Return polygons ``geoms`` with a vertex at least every ``step_m`` along their outlines.

    Each edge is cut into equal pieces, computed from its lexicographically
    smaller end whichever way a ring runs along it, so that two neighbours that
    share an edge get the same new vertices, bit for bit (``shapely.segmentize``
    computes them from each ring's own direction: the two sides would differ in
    the last bits). Every original vertex is kept; the polygons do not change.

    >>> from shapely import box
    >>> a, b = densify_outlines(np.array([box(0, 0, 1, 3), box(1, 0, 2, 3)]), 1.0)
    >>> [len(g.exterior.coords) for g in (a, b)], a.area
    ([9, 9], 3.0)
    >>> sorted(set(a.exterior.coords) & set(b.exterior.coords))
    [(1.0, 0.0), (1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]
    """
    import shapely

    kind, coords, offsets = shapely.to_ragged_array(np.asarray(geoms, dtype=object))
    ring_off = offsets[0].astype(np.int64)
    ring_of = np.repeat(np.arange(len(ring_off) - 1), np.diff(ring_off))
    same = ring_of[1:] == ring_of[:-1]
    a, b, edge_ring = coords[:-1][same], coords[1:][same], ring_of[:-1][same]
    flip = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    p, q = np.where(flip[:, None], b, a), np.where(flip[:, None], a, b)
    n = np.maximum(np.ceil(np.hypot(*(q - p).T) / step_m), 1).astype(np.int64)
    edge = np.repeat(np.arange(len(n)), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)  # point k of its edge, from a
    from_p = np.where(flip[edge], n[edge] - k, k)
    points = p[edge] + (q[edge] - p[edge]) * (from_p / n[edge])[:, None]
    points[k == 0] = a  # an edge starts at its own vertex, exactly
    per_ring = np.bincount(edge_ring, weights=n, minlength=len(ring_off) - 1).astype(np.int64)
    new_off = np.r_[0, np.cumsum(per_ring + 1)]
    out = np.empty((int(new_off[-1]), 2))
    out[np.arange(len(points)) + edge_ring[edge]] = points  # room for each ring's closing vertex
    out[new_off[1:] - 1] = coords[ring_off[1:] - 1]
    dense = shapely.from_ragged_array(kind, out, (new_off, *offsets[1:]))
    if kind == shapely.GeometryType.MULTIPOLYGON:  # polygons come back as they were
        single = shapely.get_num_geometries(dense) == 1
        dense[single] = shapely.get_geometry(dense[single], 0)
    return dense


def make_data(size: str, root: Path) -> Path:
    """Write the synthetic city of ``size`` as GeoParquet under ``root``; return its folder."""
    from rivermap.synth import make_city

    n_comm, n_riv, outline = SIZES[size]
    rivers, frame = make_city(n_comm, n_riv, seed=0)
    if outline is not None:
        perimeter = frame.loc[frame["level"] == "community"].length.mean()
        frame["geometry"] = densify_outlines(frame.geometry.to_numpy(), perimeter / (outline - 1))
    out = root / size
    out.mkdir(parents=True, exist_ok=True)
    rivers.to_parquet(out / "rivers.parquet")
    frame.to_parquet(out / "units.parquet")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one table per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "M-dense"], choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--methods", nargs="+", default=None, help="method names to run (default: all available)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return 0
    methods = args.methods or list(METHODS)
    if "RIVERMAP_PG_DSN" not in os.environ:
        methods = [m for m in methods if not m.startswith("PostGIS")]
    with tempfile.TemporaryDirectory(prefix="rivermap-bench-") as tmp:
        for size in args.sizes:
            data = make_data(size, Path(tmp))
            print(f"\n## size {size}: {_describe(size, data)} (median of {args.runs} runs)\n")
            _print_table({m: measure(m, data, args.runs) for m in methods})
            sys.stdout.flush()
    return 0


def _describe(size: str, data: Path) -> str:
    """Say what the city of ``size`` (written in ``data``) holds."""
    import shapely

    n_comm, n_riv, _ = SIZES[size]
    rivers, frame = _read(data)
    outlines = shapely.get_num_coordinates(frame.loc[frame["level"] == "community"].geometry)
    vertices = shapely.get_num_coordinates(rivers.geometry.to_numpy()).sum()
    return (
        f"{n_comm:,} communities ({outlines.mean():.0f} outline vertices each), "
        f"{n_riv:,} rivers ({vertices / 1e6:.1f} million vertices)"
    )


def _print_table(rows: dict[str, dict[str, float] | None]) -> None:
    """Print the medians, and each method's speed against overlay and time against the floor."""
    base, floor = rows.get(BASELINE), rows.get(FLOOR)
    print(
        f"| {'method':48s} | {'seconds':>8s} | {'peak MB':>8s} | {'vs overlay':>10s} "
        f"| {'vs floor':>8s} |"
    )
    print(f"|{'-' * 50}|{'-' * 10}|{'-' * 10}|{'-' * 12}|{'-' * 10}|")
    for m, r in rows.items():
        if r is None:
            print(f"| {m:48s} | {'failed':>8s} | {'':>8s} | {'':>10s} | {'':>8s} |")
            continue
        ratio = f"{base['seconds'] / r['seconds']:.2f}x" if base else "n/a"
        over = f"{r['seconds'] / floor['seconds']:.2f}x" if floor else "n/a"
        print(
            f"| {m:48s} | {r['seconds']:8.2f} | {r['peak_mb']:8.0f} | {ratio:>10s} | {over:>8s} |"
        )


if __name__ == "__main__":
    sys.exit(main())
