"""Benchmark rivermap.scale (tiles on threads, on Dask) against rivermap.assign in memory.

Every method runs in a fresh process on the synthetic city of size L (50,000
communities, 200,000 rivers; ``make_city`` as in bench_assign.py), written once
by ``rivermap.scale.prepare``. The driver samples the resident memory of that
process and of all its children (a LocalCluster's worker processes) every 20 ms
with psutil, looking for new children every 0.2 s (listing them reads all of
/proc: at every sample it took a tenth of a core, which the methods share on a
small machine); "tree peak" is the largest sum seen over the whole run, data
loading and cluster included. "seconds" is the assign call alone: each process
first runs its method on 100 rivers, so that loading PROJ, GEOS and the
compiled kernels is left out for every method alike, and a cluster is started
before the clock. On Dask, every worker first runs the tiles' own code
(``scale.assign_to_parquet`` on those 100 rivers, read from GeoParquet, in the
worker's process), and the client then runs the same call on the cluster: the
warm-up is the same for 1 and 2 workers, worker by worker. Each result's
digest (every reach with its line, the rivers and units tables, the summary)
is compared with the in-memory engine's: "same" means identical to the bit.

The speed-up of 2 Dask workers over 1 comes from a process of its own that
starts both clusters (1 and 2 worker processes, one thread each), warms both
as above, and then times the same call on each in turn, ``--pairs`` times
(default 3): alternating, so that other work on a shared machine weighs on
both alike. It reports every run with its phases (the client's plan, the
tiles, the client's tables and files), the sums of the tiles' wall and CPU
seconds and the load average, and the ratio of the medians.

    python benchmarks/bench_scale.py                        # size L
    python benchmarks/bench_scale.py --size M               # 5,000 / 20,000: a minute
    python benchmarks/bench_scale.py --pairs 5              # more runs of Dask 1 vs 2
    python benchmarks/bench_scale.py --national benchmarks/data/country

``--national PATH`` (the folder benchmarks/make_country.py writes) adds the tiled
engine on the national case, and a projection of it onto a cluster of N
workers from its per-tile times (the assumptions are printed with it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import heapq
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = {"M": (5_000, 20_000), "L": (50_000, 200_000)}
LEVELS = ("district", "street", "community")
WARM_RIVERS = 100
METHODS = (
    "rivermap.assign (in memory, every core)",
    "scale.assign (tiles on threads, result in memory)",
    "scale.assign_to_parquet (tiles on threads)",
    "scale.assign_to_parquet, Dask 1 worker",
    "scale.assign_to_parquet, Dask 2 workers",
)
NATIONAL = "scale.assign_to_parquet, national (tiles on threads)"
PAIRS = "Dask 1 and 2 workers, alternating"


# ----------------------------------------------------------------------- workers
def digest(resp: Any) -> str:
    """Return a hash of every reach (with its line), the rivers and units tables and summary."""
    import pandas as pd
    import shapely

    h = hashlib.sha256()
    for table in (resp.reaches, resp.rivers, resp.units):
        plain = table.drop(columns="geometry") if "geometry" in table.columns else table
        h.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
        if "geometry" in table.columns:
            h.update(b"".join(shapely.to_wkb(table.geometry.to_numpy())))
    h.update(json.dumps(resp.summary, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _warm(small: Path, units: Path, levels: list[str]) -> None:
    """Run the tiles' code in this process (a Dask worker) on a few rivers, as a warm-up.

    ``scale.assign_to_parquet`` on threads here reads the rivers from
    GeoParquet, loads the units and runs the engine and the writers: every
    module and compiled kernel a tile uses is loaded, in every worker alike.
    """
    from rivermap import scale

    out = Path(tempfile.mkdtemp(prefix="rivermap-bench-warm-")) / "warm.parquet"
    scale.assign_to_parquet(small, units, out, levels=levels, workers=1)
    shutil.rmtree(out.parent, ignore_errors=True)


def _warm_data(data: Path) -> Path:
    """Return a GeoParquet file of the first rivers of ``data``, written once, for warm-ups."""
    import geopandas as gpd

    small = data / "warm_rivers.parquet"
    if not small.exists():
        rivers = gpd.read_parquet(data / "rivers.parquet").iloc[:WARM_RIVERS]
        rivers.to_parquet(small, write_covering_bbox=True)
    return small


def worker(method: str, data: Path, levels: list[str]) -> dict[str, Any]:
    """Run ``method`` once in this process; return its seconds, digest and tiles."""
    import geopandas as gpd

    import rivermap as rm
    from rivermap import scale
    from rivermap.units import AdminUnits

    units = AdminUnits(gpd.read_parquet(data / "units.parquet"), levels)
    rivers_path = data / "rivers.parquet"
    out = Path(tempfile.mkdtemp(prefix="rivermap-bench-scale-")) / "out.parquet"
    client = _cluster(method, data, units, levels)
    warm = gpd.read_parquet(rivers_path).iloc[:WARM_RIVERS] if "national" not in method else None
    if warm is not None and client is None:
        rm.assign(warm, units)
    rivers: Any = gpd.read_parquet(rivers_path) if method == METHODS[0] else rivers_path
    t0 = time.perf_counter()
    if method == METHODS[0]:
        resp = rm.assign(rivers, units)
    elif method == METHODS[1]:
        resp = scale.assign(rivers, units)
    elif client is not None:
        scale_call(data, units, out, client)
    else:
        scale.assign_to_parquet(rivers, units, out)
    seconds = time.perf_counter() - t0
    result: dict[str, Any] = {"seconds": seconds}
    if method not in METHODS[:2]:
        meta = json.loads((out / "_metadata.json").read_text(encoding="utf-8"))
        result |= {"tiles": meta["tiles"], "phases": meta["seconds"]}
        resp = rm.read_responsibility(out) if method != NATIONAL else None
    result["n_rivers"] = len(resp.rivers) if resp is not None else meta["summary"]["n_rivers"]
    result["digest"] = digest(resp) if resp is not None else ""
    if client is not None:
        _close(client)
    shutil.rmtree(out.parent, ignore_errors=True)
    return result


def _cluster(method: str, data: Path, units: Any, levels: list[str]) -> Any:
    """Start the LocalCluster a Dask method runs on (None for the others), warmed."""
    if "Dask" not in method:
        return None
    n = int(method.split("Dask ")[1].split(maxsplit=1)[0])
    return _warm_cluster(n, data, units, levels)


def _warm_cluster(n: int, data: Path, units: Any, levels: list[str]) -> Any:
    """Return a client of a LocalCluster of ``n`` one-thread worker processes, warmed.

    Every worker runs the tiles' code on a few rivers (:func:`_warm`); then the
    client runs ``scale.assign_to_parquet`` on them on the cluster.
    """
    from distributed import Client, LocalCluster

    from rivermap import scale

    cluster = LocalCluster(  # no dashboard; the scheduler's HTTP server on a free port
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
    )
    client = Client(cluster)
    small = _warm_data(data)
    client.run(_warm, small, data / "units.parquet", levels)
    out = Path(tempfile.mkdtemp(prefix="rivermap-bench-warm-")) / "warm.parquet"
    scale.assign_to_parquet(small, units, out, scheduler=client)
    shutil.rmtree(out.parent, ignore_errors=True)
    return client


def _close(client: Any) -> None:
    """Close a client and the LocalCluster it was made for."""
    cluster = client.cluster
    client.close()
    cluster.close()


def dask_pairs(data: Path, levels: list[str], pairs: int) -> dict[str, Any]:
    """Time the same call on a cluster of 1 and of 2 workers in turn, ``pairs`` times.

    Both clusters are started and warmed alike first. Returns every run: its
    seconds, the phases of ``_metadata.json``, the sums of the tiles' wall and
    CPU seconds, the 1-minute load average when it started, and whether its
    digest equals the in-memory result's (``reference``, computed here once).
    """
    import os

    import geopandas as gpd

    import rivermap as rm
    from rivermap.units import AdminUnits

    units = AdminUnits(gpd.read_parquet(data / "units.parquet"), levels)
    clients = {n: _warm_cluster(n, data, units, levels) for n in (1, 2)}
    runs = []
    try:
        for i in range(pairs):
            for n, client in clients.items():
                out = Path(tempfile.mkdtemp(prefix="rivermap-bench-pair-")) / "out.parquet"
                load = os.getloadavg()[0]
                t0 = time.perf_counter()
                scale_call(data, units, out, client)
                seconds = time.perf_counter() - t0
                meta = json.loads((out / "_metadata.json").read_text(encoding="utf-8"))
                run = {"pair": i, "workers": n, "seconds": seconds, "load": load}
                run |= {"phases": meta["seconds"], "tiles": meta["tiles"]}
                if i == pairs - 1:
                    run["digest"] = digest(rm.read_responsibility(out))
                shutil.rmtree(out.parent, ignore_errors=True)
                runs.append(run)
    finally:
        for client in clients.values():
            _close(client)
    reference = digest(rm.assign(gpd.read_parquet(data / "rivers.parquet"), units))
    return {"runs": runs, "reference": reference}


def scale_call(data: Path, units: Any, out: Path, client: Any) -> None:
    """Run the call every Dask run times: the rivers' file to a result folder."""
    from rivermap import scale

    scale.assign_to_parquet(data / "rivers.parquet", units, out, scheduler=client)


# ------------------------------------------------------------------------ driver
def measure(method: str, data: Path, levels: list[str], pairs: int = 0) -> dict[str, Any] | None:
    """Run ``method`` in a fresh process; add the peak resident memory of its process tree.

    The Dask pairs report no memory, and are not sampled: the sampling would
    take from the cores that two workers share on a 2-core machine, and not
    from one worker's.
    """
    argv = [sys.executable, __file__, "--worker", method, "--data", str(data)]
    argv += ["--levels", ",".join(levels), "--pairs", str(pairs)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0 if method == PAIRS else _tree_peak(proc)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        print(f"  {method}: failed\n{stderr.strip()[-2000:]}", file=sys.stderr)
        return None
    return json.loads(stdout.strip().splitlines()[-1]) | {"peak_mb": peak / 1e6}


def _tree_peak(proc: subprocess.Popen[str]) -> int:
    """Return the largest resident memory of ``proc`` and its children seen until it ends."""
    import psutil

    tree = psutil.Process(proc.pid)
    peak, members, n = 0, [tree], 0
    while proc.poll() is None:
        if n % 10 == 0:  # new children (a cluster's workers) every 0.2 s
            try:
                members = [tree, *tree.children(recursive=True)]
            except psutil.Error:  # the process ended meanwhile
                break
        rss = 0
        for member in members:
            with contextlib.suppress(psutil.Error):  # a child ended while being read
                rss += member.memory_info().rss
        peak, n = max(peak, rss), n + 1
        time.sleep(0.02)
    return peak


def make_data(size: str, root: Path) -> Path:
    """Write the synthetic city of ``size`` with rivermap.scale.prepare; return its folder."""
    from rivermap.scale import prepare
    from rivermap.synth import make_city
    from rivermap.units import AdminUnits

    n_comm, n_riv = SIZES[size]
    rivers, frame = make_city(n_comm, n_riv, seed=0)
    out = root / size
    prepare(rivers, AdminUnits(frame, LEVELS), out)
    return out


def print_rows(rows: dict[str, dict[str, Any] | None], reference: str | None) -> None:
    """Print one table: seconds, tree peak, rivers per second, and whether results agree."""
    print(f"| {'method':52s} | {'seconds':>8s} | {'tree peak MB':>12s} | {'rivers/s':>9s} | same |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 14}|{'-' * 11}|------|")
    ref = rows.get(reference or "")
    for m, r in rows.items():
        if r is None:
            print(f"| {m:52s} | {'failed':>8s} | {'':>12s} | {'':>9s} |      |")
            continue
        same = (
            ""
            if ref is None or not r["digest"]
            else ("yes" if r["digest"] == ref["digest"] else "NO")
        )
        rate = r["n_rivers"] / r["seconds"]
        print(
            f"| {m:52s} | {r['seconds']:8.2f} | {r['peak_mb']:12,.0f} | {rate:9,.0f} | {same:4s} |"
        )
    sys.stdout.flush()


def tile_summary(rows: dict[str, dict[str, Any] | None]) -> None:
    """Print, per tiled method, where the tiles' time went (summed over tiles)."""
    print("\n| method | tiles | read s | load s | engine s | write s | wall s | CPU s |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for m, r in rows.items():
        if not r or "tiles" not in r:
            continue
        t = r["tiles"]
        sums = {k: sum(x.get(k, 0.0) for x in t) for k in ("read", "load", "engine", "write")}
        wall, cpu = sum(x["seconds"] for x in t), sum(x["cpu_seconds"] for x in t)
        cells = " | ".join(f"{v:.1f}" for v in sums.values())
        print(f"| {m} | {len(t)} | {cells} | {wall:.1f} | {cpu:.1f} |")


def print_pairs(result: dict[str, Any] | None) -> None:
    """Print the alternating runs of Dask 1 and 2 workers, and the speed-up of the medians.

    "files" is the rest of a run: writing the rivers and units tables and the
    metadata, and moving the folder into place.
    """
    if result is None:
        return
    import statistics

    runs = result["runs"]
    print(f"\n## {PAIRS}\n")
    head = "| pair | workers | seconds | plan | tiles | tables | files | tiles' wall s | CPU s |"
    print(head + " load |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in runs:
        ph = r["phases"]
        files = r["seconds"] - sum(ph.values())
        wall = sum(t["seconds"] for t in r["tiles"])
        cpu = sum(t["cpu_seconds"] for t in r["tiles"])
        cells = [ph["plan"], ph["tiles"], ph["tables"], files, wall, cpu, r["load"]]
        print(
            f"| {r['pair']} | {r['workers']} | {r['seconds']:.2f} | "
            + " | ".join(f"{c:.2f}" for c in cells)
            + " |"
        )
    one = [r["seconds"] for r in runs if r["workers"] == 1]
    two = [r["seconds"] for r in runs if r["workers"] == 2]
    m1, m2 = statistics.median(one), statistics.median(two)
    each = ", ".join(f"{a / b:.2f}" for a, b in zip(one, two, strict=True))
    same = all(r["digest"] == result["reference"] for r in runs if "digest" in r)
    print(
        f"\nDask, 2 workers vs 1: {m1:.2f} s / {m2:.2f} s = {m1 / m2:.2f}x faster "
        f"(medians of {len(one)} runs each; pair by pair {each}); the last results "
        f"{'equal' if same else 'DIFFER FROM'} the in-memory engine's to the bit"
    )


def project(run: dict[str, Any], threads: int) -> None:
    """Print the national run's time projected onto N workers, from its per-tile times.

    A tile's time is its wall seconds here, or its CPU seconds (what a worker
    with a core of its own would take, without the contention of this machine),
    both are shown.
    """
    for key in ("seconds", "cpu_seconds"):
        _project(run, threads, key)


def _project(run: dict[str, Any], threads: int, key: str) -> None:
    tiles = sorted((t[key] for t in run["tiles"]), reverse=True)
    phases = run["phases"]
    serial = run["seconds"] - phases["tiles"]  # the plan, the tables and writing them
    what = "wall seconds here" if key == "seconds" else "CPU seconds (no contention)"
    print(
        f"\nNational case here: {run['seconds']:.1f} s in all; plan {phases['plan']:.1f} s, "
        f"tiles {phases['tiles']:.1f} s ({len(tiles)} tiles on {threads} threads, "
        f"{sum(tiles):.1f} tile-seconds, the longest {tiles[0]:.1f} s), tables and files "
        f"{serial - phases['plan']:.1f} s. Projection from the tiles' {what}:\n"
    )
    print("| workers | projected seconds | of which tiles |")
    print("|--------:|------------------:|---------------:|")
    for n in (1, 2, 4, 8, 16, 32, 64, 128):
        load = [0.0] * n  # longest tile first onto the least loaded worker (LPT)
        for t in tiles:
            heapq.heapreplace(load, load[0] + t)
        makespan = max(load)
        print(f"| {n:7d} | {serial + makespan:17.1f} | {makespan:14.1f} |")
    if key == "seconds":
        return
    print(
        "\n"
        "Assumptions: a worker runs one tile at a time as fast as a core did here (wall tile "
        f"times were measured with {threads} tiles at once on this machine, each on one "
        "thread, so they include its contention; CPU times leave it out); tiles are handed "
        "out longest first with no wait between them (Dask's scheduler adds a few ms a task);"
        " every worker reads the rivers and writes its parts on a shared file system as fast "
        "as the local disk here, and receives the units once (scattered) before its first "
        "tile; the plan (scanning the rivers, preparing every unit), the tables at the end and "
        "writing them stay on the client, as measured. Beyond about as many workers as tiles, only "
        "smaller tiles help."
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="L")
    parser.add_argument("--national", type=Path, help="the folder make_country.py writes")
    parser.add_argument("--skip-city", action="store_true", help="only the national case")
    parser.add_argument(
        "--pairs", type=int, default=3, help="alternating runs of Dask 1 and 2 workers (0: none)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--levels", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        levels = args.levels.split(",")
        if args.worker == PAIRS:
            print(json.dumps(dask_pairs(args.data, levels, args.pairs)))
        else:
            print(json.dumps(worker(args.worker, args.data, levels)))
        return 0
    import os

    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_city:
        with tempfile.TemporaryDirectory(prefix="rivermap-bench-scale-") as tmp:
            n_comm, n_riv = SIZES[args.size]
            data = make_data(args.size, Path(tmp))
            print(f"\n## size {args.size}: {n_comm:,} communities, {n_riv:,} rivers\n")
            rows = {m: measure(m, data, list(LEVELS)) for m in METHODS}
            print_rows(rows, METHODS[0])
            tile_summary(rows)
            if args.pairs:
                print_pairs(measure(PAIRS, data, list(LEVELS), args.pairs))
    if args.national:
        meta = json.loads((args.national / "country.json").read_text(encoding="utf-8"))
        print(f"\n## national: {meta['units']} units, {sum(meta['rivers'].values()):,} rivers\n")
        run = measure(NATIONAL, args.national, meta["levels"])
        print_rows({NATIONAL: run}, None)
        tile_summary({NATIONAL: run})
        if run is not None:
            project(run, os.cpu_count() or 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
