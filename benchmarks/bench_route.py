"""Time rivermap.route_events, rivermap.patrol_coverage and the bulletin on all of China.

    python benchmarks/bench_route.py                      # 1,000,000 events, 20,000 patrols
    python benchmarks/bench_route.py --events 200000 --patrols 5000 --runs 5
    python benchmarks/bench_route.py --profile            # adds cProfile's top 10 entries

The responsibility is ``rivermap.assign`` of ``../shared/data/china`` (34
provinces > 375 cities > 2,891 districts, 2,983 rivers: about 20,000 reaches)
at its finest level, district; the benchmark says so and exits when the file is
absent. Reading and assigning are timed once and printed, not measured. As the
data has no roster, one is made: a 河长 per district, named ``<district>河长``
(a district name that repeats is prefixed with its city's), attached with
``resp.with_chiefs(rm.read_chiefs(roster, units=resp))``.

Events (a GeoDataFrame in EPSG:4326 with the columns ``rivermap.read_events``
returns): 90 % within 0–300 m (on the ground) of a reach drawn by length, at a
point drawn along it, offset across the river or in a random direction; 5 % at
least 0.05° from every reach; 5 % without a location; ``reported_at`` within
November 2026, a few categories. Patrols (track points as ``rivermap.read_patrols``
returns): tracks of 60–200 points, one every 20 s at 4–5 km/h along a reach
drawn by length (turning back at its ends), a few metres of jitter, walked by
the chief of the reach's district. Making the data is not measured.

The bulletin is timed on what the two made: ``bulletin_tables`` (every
indicator of every unit at every level, month over month and the months
table) and then the page and the workbook of ``rm.bulletin``, ranking the
2,891 districts.

Each operation runs once on a small part (10,000 events, 1 % of the patrols)
to warm up, then ``--runs`` times on everything, in this process; the table
gives the median wall time, the throughput and the peak resident memory the
call added on top of what was loaded (MB; Linux only). No test asserts a
timing.
"""

from __future__ import annotations

import argparse
import cProfile
import ctypes
import io
import os
import pstats
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHINA = ROOT.parent / "shared" / "data" / "china" / "china_rivers_admin.gpkg"
MONTH = ("2026-11-01", "2026-11-30")
CATEGORIES = ("outfall", "litter", "encroachment", "silting", "other")
WARM_EVENTS = 10_000
NEAR_M, FAR_DEG = 300.0, 0.05


# -------------------------------------------------------------------- memory
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_rss_mb() -> float:
    """Return the peak resident set of this process (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3  # kB
    msg = "no VmHWM in /proc/self/status"  # pragma: no cover - Linux only
    raise RuntimeError(msg)


def _reset_peak() -> None:
    """Start the peak over from the current resident set (Linux 4.0+), after malloc_trim."""
    ctypes.CDLL(None).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def measure(run: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any]:
    """Run ``run`` ``runs`` times; return the medians (wall and CPU seconds, added peak MB).

    Also returns the last run's result. CPU time is this process's: on a busy
    machine it stays near the wall time an idle one would show.
    """
    wall, cpu, peaks, out = [], [], [], None
    for _ in range(max(runs, 1)):
        out = None  # the previous result is freed before the peak is reset
        _reset_peak()
        before = _rss_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        out = run()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        peaks.append(max(_peak_rss_mb() - before, 0.0))
    figures = {
        "seconds": statistics.median(wall),
        "cpu": statistics.median(cpu),
        "peak_mb": statistics.median(peaks),
    }
    return figures, out


def profile(run: Callable[[], Any], top: int = 10) -> str:
    """Return cProfile's ``top`` entries by cumulative time for one ``run()``, then rivermap's."""
    prof = cProfile.Profile()
    prof.runcall(run)
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text).sort_stats("cumulative")
    stats.print_stats(top)
    print(f"rivermap's own functions, top {top} by cumulative time:", file=text)
    stats.print_stats(r"rivermap/.*\.py", top)
    site = str(Path(np.__file__).parents[1]) + "/"  # site-packages, shortened away
    return text.getvalue().replace(site, "").replace(str(ROOT) + "/", "")


# ---------------------------------------------------------------------- data
def china() -> Any:
    """Return the responsibility of all of China, at its finest level, with a roster."""
    import rivermap as rm

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rm.RivermapWarning)  # municipality ids renamed
        units = rm.read_units(CHINA, levels=["province", "city", "district"])
    rivers = rm.read_rivers(CHINA, layer="rivers")
    t1 = time.perf_counter()
    resp = rm.assign(rivers, units)
    t2 = time.perf_counter()
    roster = resp.roster if resp.roster is not None else make_roster(resp)
    resp = resp.with_chiefs(rm.read_chiefs(roster, units=resp))
    t3 = time.perf_counter()
    print(f"read {len(rivers):,} rivers, {len(units.frame):,} units: {t1 - t0:.2f} s")
    print(
        f"rm.assign ({' > '.join(resp.levels)}): {len(resp.reaches):,} reaches "
        f"in {t2 - t1:.2f} s (first call in the process)"
    )
    print(f"roster: {len(resp.roster):,} chiefs, attached in {t3 - t2:.2f} s")
    return resp


def make_roster(resp: Any) -> Any:
    """Return one 河长 per unit of the finest level, named after it."""
    import pandas as pd

    units = resp.units
    finest = units[units["level"] == resp.levels[-1]]
    names = finest["name"].astype(str)
    parent = finest["parent_id"].map(units.set_index("unit_id")["name"]).astype(str)
    names = names.where(~names.duplicated(keep=False), parent + names)
    return pd.DataFrame(
        {
            "unit_id": finest["unit_id"].astype(str).to_numpy(),
            "name": (names + "河长").to_numpy(),
            "phone": [f"000-0000-{i:05d}" for i in range(len(finest))],
        }
    )


def _reach_picks(
    resp: Any, n: int, rng: np.random.Generator, held: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n`` reach positions drawn by length (``held``: inside a unit), a fraction along."""
    length = resp.reaches["length_m"].to_numpy(dtype=float)
    if held:
        length = np.where(resp.reaches[resp.levels[-1]].notna().to_numpy(), length, 0.0)
    reach = rng.choice(len(length), size=n, p=length / length.sum())
    return reach, rng.random(n)


def make_events(resp: Any, n: int, seed: int = 0) -> Any:
    """Return ``n`` reports as from ``rivermap.read_events`` (see the module docstring)."""
    import geopandas as gpd
    import pandas as pd
    import pyproj
    import shapely

    from rivermap.events import COLUMNS

    rng = np.random.default_rng(seed)
    geod = pyproj.Geod(ellps="WGS84")
    n_near, n_far = int(n * 0.90), int(n * 0.05)
    lines = resp.reaches.geometry.to_numpy()
    # Near: a point along a reach drawn by length, 0-300 m away on the ground,
    # across the river (its local bearing +-90 degrees) or in any direction.
    reach, frac = _reach_picks(resp, n_near, rng)
    geoms = lines[reach]
    foot = shapely.get_coordinates(shapely.line_interpolate_point(geoms, frac, normalized=True))
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(geoms, np.minimum(frac + 1e-3, 1), normalized=True)
    )
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(geoms, np.maximum(frac - 1e-3, 0), normalized=True)
    )
    bearing, _, _ = geod.inv(behind[:, 0], behind[:, 1], ahead[:, 0], ahead[:, 1])
    across = bearing + rng.choice([-90.0, 90.0], n_near)
    azimuth = np.where(rng.random(n_near) < 0.5, across, rng.uniform(-180, 180, n_near))
    lon, lat, _ = geod.fwd(foot[:, 0], foot[:, 1], azimuth, rng.uniform(0, NEAR_M, n_near))
    near = shapely.points(lon, lat)
    # Far: anywhere in China's box at least FAR_DEG from every reach.
    tree = shapely.STRtree(lines)
    x0, y0, x1, y1 = resp.units.total_bounds
    far = np.empty(0, dtype=object)
    while len(far) < n_far:
        cand = shapely.points(rng.uniform(x0, x1, 2 * n_far), rng.uniform(y0, y1, 2 * n_far))
        hit = np.unique(tree.query(cand, predicate="dwithin", distance=FAR_DEG)[0])
        far = np.concatenate([far, np.delete(cand, hit)])
    points = np.concatenate([near, far[:n_far], np.full(n - n_near - n_far, None)])
    points = points[rng.permutation(n)]
    start = pd.Timestamp(MONTH[0]).value
    seconds = (pd.Timestamp(MONTH[1]).value - start) // 10**9 + 86_400
    table: dict[str, Any] = {
        "event_id": pd.Series([f"E{i:08d}" for i in range(n)], dtype="str"),
        "reported_at": pd.to_datetime(start + rng.integers(0, seconds, n) * 10**9),
        "source": pd.Series(rng.choice(["12345", "12319", "patrol", "public"], n), dtype="str"),
        "category": pd.Series(rng.choice(CATEGORIES, n), dtype="str"),
        "status": pd.Series(rng.choice(["registered", "assigned", "closed"], n), dtype="str"),
        "deadline": pd.NaT,
        "closed_at": pd.NaT,
    }
    for col in ("description", "reach_hint", "river_hint", "board_hint"):
        table[col] = pd.Series(np.nan, index=range(n), dtype="str")
    frame = pd.DataFrame(table)
    for col in ("deadline", "closed_at"):
        frame[col] = frame[col].astype("datetime64[ns]")
    events = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, crs="EPSG:4326"))
    events.attrs["source_crs"] = "EPSG:4326"
    return events[list(COLUMNS)]


def make_patrols(resp: Any, k: int, seed: int = 0) -> Any:
    """Return ``k`` patrols' track points as from ``rivermap.read_patrols``."""
    import geopandas as gpd
    import pandas as pd
    import pyproj
    import shapely

    from rivermap.crs import metric_crs

    rng = np.random.default_rng(seed + 1)
    reaches = resp.reaches
    stored = (resp.summary or {}).get("metric_crs")  # the CRS assign measured in
    crs = pyproj.CRS.from_user_input(stored) if stored else metric_crs(reaches)
    metric = reaches.geometry.to_crs(crs).to_numpy()
    reach, frac = _reach_picks(resp, k, rng, held=True)
    # Ground metres to the projection's metres near each reach: its scale factor.
    mid = shapely.get_coordinates(shapely.centroid(reaches.geometry.to_numpy()[reach]))
    factors = pyproj.Proj(crs).get_factors(mid[:, 0], mid[:, 1])
    scale = (np.asarray(factors.meridional_scale) + np.asarray(factors.parallel_scale)) / 2
    n_pts = rng.integers(60, 201, k)
    pid = np.repeat(np.arange(k), n_pts)
    seq = np.arange(len(pid)) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    speed = rng.uniform(4.0, 5.0, k) / 3.6  # m/s
    length = shapely.length(metric[reach])
    step = rng.choice([-1.0, 1.0], k) * speed * 20 * scale  # projected metres per point
    walked = (frac * length)[pid] + step[pid] * seq
    period = 2 * np.maximum(length, 1e-9)[pid]
    at = walked % period
    at = np.where(at > length[pid], period - at, at)  # turn back at either end
    xy = shapely.get_coordinates(shapely.line_interpolate_point(metric[reach][pid], at))
    xy += rng.normal(0, 3.0, xy.shape) * scale[pid, None]
    points = gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(4326)
    # Daytime starts within the month, a point every 20 s.
    day = pd.Timestamp(MONTH[0]).value + rng.integers(0, 30, k) * 86_400 * 10**9
    started = day + rng.integers(7 * 3600, 17 * 3600, k) * 10**9
    district = reaches[resp.levels[-1]].astype(object).to_numpy()[reach]
    chief = resp.roster.drop_duplicates("unit_id").set_index("unit_id")["name"]
    person = pd.Series(district).astype(str).map(chief).fillna("无名").to_numpy(dtype=object)
    return gpd.GeoDataFrame(
        {
            "patrol_id": pd.Series([f"P{i:07d}" for i in range(k)], dtype=object)[pid].to_numpy(),
            "person": person[pid],
            "time": pd.to_datetime(started[pid] + seq * 20 * 10**9),
            "seq": seq.astype("int64"),
        },
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )


# ---------------------------------------------------------------------- main
def _row(what: str, value: str) -> None:
    print(f"| {what:28s} | {value:>12s} |", flush=True)


def _head(title: str, runs: int) -> None:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\n## {title} (median of {runs} runs; load average {load})\n")
    _row("figure", "value")
    print(f"|{'-' * 30}|{'-' * 14}|")


def _times(fig: dict[str, float], n: int, unit: str) -> None:
    _row("seconds (wall)", f"{fig['seconds']:.2f}")
    _row("seconds (CPU)", f"{fig['cpu']:.2f}")
    _row(f"{unit}/s", f"{n / fig['seconds']:,.0f}")
    _row("peak MB added", f"{fig['peak_mb']:,.0f}")
    _row("peak MB of the process", f"{_peak_rss_mb():,.0f}")  # in the last run


def bench_routing(resp: Any, args: argparse.Namespace) -> Any:
    """Time route_events on ``args.events`` reports and print its table."""
    from rivermap.routing import route_events

    t0 = time.perf_counter()
    events = make_events(resp, args.events, args.seed)
    print(f"\nmade {len(events):,} events in {time.perf_counter() - t0:.1f} s (not measured)")
    route_events(resp, events.iloc[:WARM_EVENTS].reset_index(drop=True))
    fig, routed = measure(lambda: route_events(resp, events), args.runs)
    n = len(events)
    _head("route_events", args.runs)
    _row("reaches", f"{len(resp.reaches):,}")
    _row("events", f"{n:,}")
    _times(fig, n, "events")
    shares = routed["match"].value_counts()
    for match in ("spatial", "declared", "qr"):
        if match in shares:
            _row(f"matched: {match}", f"{shares[match] / n:.1%}")
    reasons = routed["reason"].value_counts()
    for reason, count in reasons.items():
        _row(f"unmatched: {reason}", f"{count / n:.1%}")
    _row("ambiguous", f"{routed['ambiguous'].mean():.1%}")
    _row("duplicate_of set", f"{routed['duplicate_of'].notna().mean():.1%}")
    if args.profile:
        print("\n## cProfile of route_events, top 10 by cumulative time\n\n```")
        print(profile(lambda: route_events(resp, events)).strip())
        print("```")
    return routed


def bench_patrols(resp: Any, args: argparse.Namespace) -> Any:
    """Time patrol_coverage on ``args.patrols`` tracks and print its table."""
    from rivermap.patrols import patrol_coverage

    t0 = time.perf_counter()
    points = make_patrols(resp, args.patrols, args.seed)
    print(
        f"\nmade {args.patrols:,} patrols, {len(points):,} points in "
        f"{time.perf_counter() - t0:.1f} s (not measured)"
    )
    span = {"start": MONTH[0], "end": MONTH[1]}
    warm = points["patrol_id"].isin(points["patrol_id"].unique()[: max(args.patrols // 100, 1)])
    patrol_coverage(resp, points[warm].reset_index(drop=True), **span)
    fig, cov = measure(lambda: patrol_coverage(resp, points, **span), args.runs)
    n = len(points)
    _head("patrol_coverage", args.runs)
    _row("patrols", f"{args.patrols:,}")
    _row("points", f"{n:,}")
    _times(fig, n, "points")
    _row("valid patrols", f"{cov.patrols['valid'].mean():.1%}")
    _row("stretches", f"{len(cov.stretches):,}")
    _row("people x periods", f"{len(cov.people):,}")
    if args.profile:
        print("\n## cProfile of patrol_coverage, top 10 by cumulative time\n\n```")
        print(profile(lambda: patrol_coverage(resp, points, **span)).strip())
        print("```")
    return cov


def bench_bulletin(resp: Any, routed: Any, cover: Any, args: argparse.Namespace) -> None:
    """Time the bulletin's tables, then its page and workbook, and print their table."""
    import tempfile

    import rivermap as rm
    from rivermap.bulletin_tables import bulletin_tables

    people = None if cover is None else cover.people
    fig, tables = measure(lambda: bulletin_tables(resp, routed, people, "2026-11"), args.runs)
    _head("bulletin_tables", args.runs)
    _row("units (every level)", f"{len(tables['units']):,}")
    _row("reports", f"{0 if routed is None else len(routed):,}")
    _row("people x periods", f"{0 if people is None else len(people):,}")
    _times(fig, len(tables["units"]), "units")
    b = rm.bulletin(resp, events=routed, patrols=people, month="2026-11")
    with tempfile.TemporaryDirectory() as tmp:

        def write() -> tuple[Path, Path]:
            page = b.to_html(Path(tmp) / "b.html", overwrite=True)
            return page, b.to_excel(Path(tmp) / "b.xlsx", overwrite=True)

        fig, (page, book) = measure(write, args.runs)
        _head("bulletin page and workbook", args.runs)
        _row("units ranked", f"{len(b.tables['ranking']):,}")
        _times(fig, len(b.tables["ranking"]), "units")
        _row("page MB", f"{page.stat().st_size / 1e6:.2f}")
        _row("workbook MB", f"{book.stat().st_size / 1e6:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="reports (0: none)")
    parser.add_argument("--patrols", type=int, default=20_000, help="patrol tracks (0: none)")
    parser.add_argument("--runs", type=int, default=3, help="runs per operation (median kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 10")
    parser.add_argument("--no-bulletin", action="store_true", help="skip the bulletin's timing")
    args = parser.parse_args(argv)
    if not CHINA.exists():
        print(f"skipping: {CHINA} not found (the benchmark needs all of China)", file=sys.stderr)
        return 0
    resp = china()
    routed = bench_routing(resp, args) if args.events > 0 else None
    cover = bench_patrols(resp, args) if args.patrols > 0 else None
    if not args.no_bulletin:
        bench_bulletin(resp, routed, cover, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
