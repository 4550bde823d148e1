"""How big the saved maps are, how fast they open and how fast they zoom in headless Chromium.

    python benchmarks/bench_map.py            # the demo; all China when ../shared/data exists
    python benchmarks/bench_map.py --runs 5 --keep out/bench-map

Every map is drawn with its flags (``resp.flags(level)``) and a plan
(``rm.redivide(resp, level="district")``), as a planner would open it.

The first table gives, for each map, the time to build it in Python, the time
to write the HTML, the file size, and the time from navigation until the page
has built every layer and painted twice (median of ``--runs`` fresh pages,
network blocked), and how the heavy layers are drawn (SVG or canvas).

The second table times zooming. A zoom step is ``map.setZoom(z)`` until
``zoomend`` and the next two animation frames, i.e. until the new view has
been drawn; steps go in from the overview (centred on the middle Yangtze,
where the data is dense) and back out. They are timed without animation (the
work of redrawing) and with Leaflet's 0.25 s zoom animation (what a click on
the + button costs, the animation included). The median and the slowest step
of every run are given. Then the mouse wheel: wheel events every 40 ms for
``--wheel`` seconds over the map's centre, in and out, while the page counts
the animation frames it draws; frames per second and the longest frame.

The all-China map (2,983 rivers, 20,101 reaches, 2,891 districts;
``../shared/data/china``) must open in under 5 s and zoom a step in under
0.5 s. Needs Debian's ``chromium`` and ``pip install playwright``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import browser, open_map, unavailable_reason  # noqa: E402

CHINA = ROOT.parent / "shared" / "data" / "china" / "china_rivers_admin.gpkg"
#: Where the zoom steps are taken: the middle Yangtze (Wuhan), dense in rivers and units.
ZOOM_CENTRE = (30.6, 114.3)

_STEPS_JS = """async ([centre, deltas, animate]) => {
    const map = rivermap.maps[0].map;
    const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    map.fitBounds(rivermap.maps[0].D.bounds, {animate: false, padding: [8, 8]});
    const z0 = map.getZoom();
    map.setView(centre, z0, {animate: false});
    await frames();
    const out = [];
    for (const d of deltas) {
        const z = z0 + d;
        const done = new Promise(r => map.once("zoomend", r));
        const t0 = performance.now();
        map.setZoom(z, {animate: animate});
        await done;
        await frames();
        out.push([z, (performance.now() - t0) / 1000]);
    }
    return out;
}"""

_FRAMES_START_JS = """() => {
    const f = window.__rmFrames = {n: 0, t0: performance.now(), last: performance.now(),
                                   longest: 0, on: true};
    const tick = (t) => {
        if (!f.on) return;
        f.n += 1; f.longest = Math.max(f.longest, t - f.last); f.last = t;
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""

_FRAMES_STOP_JS = """() => new Promise(r => requestAnimationFrame(() => {
    const f = window.__rmFrames; f.on = false;
    r([f.n, (performance.now() - f.t0) / 1000, f.longest / 1000]);
}))"""

#: Zoom steps from the overview: in one at a time, then back out.
DELTAS = (1, 2, 3, 4, 3, 2, 1, 0)


def _demo() -> tuple[Any, Any]:
    import rivermap as rm

    resp = rm.assign(*rm.datasets.load_demo())
    return resp, rm.redivide(resp, level="district")


def _china() -> tuple[Any, Any]:
    import warnings

    import rivermap as rm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rm.RivermapWarning)  # municipality ids renamed
        units = rm.read_units(CHINA, levels=["province", "city", "district"])
    rivers = rm.read_rivers(CHINA, layer="rivers")
    resp = rm.assign(rivers, units)
    return resp, rm.redivide(resp, level="district")


def zoom_steps(page: Any, *, animate: bool) -> list[tuple[float, float]]:
    """Return ``(zoom, seconds)`` of every step of :data:`DELTAS` on an open map."""
    steps = page.evaluate(_STEPS_JS, [list(ZOOM_CENTRE), list(DELTAS), animate])
    return [(float(z), float(s)) for z, s in steps]


def wheel_fps(page: Any, seconds: float) -> tuple[float, float]:
    """Wheel in and out over the map's centre for ``seconds``; return (frames/s, longest frame)."""
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate(_FRAMES_START_JS)
    t0 = time.perf_counter()
    k = 0
    while time.perf_counter() - t0 < seconds:
        # about a zoom level in (8 events), then out, as a hand on the wheel does
        page.mouse.wheel(0, -60 if (k // 8) % 2 == 0 else 60)
        page.wait_for_timeout(40)
        k += 1
    n, elapsed, longest = page.evaluate(_FRAMES_STOP_JS)
    return n / elapsed, float(longest)


def _open_table(label: str, resp: Any, plan: Any, out_dir: Path, runs: int) -> Path:
    from rivermap.maps import responsibility_map, save_html

    t0 = time.perf_counter()
    m = responsibility_map(resp, plan=plan, flags=True)
    t1 = time.perf_counter()
    path = save_html(m, out_dir / f"{label.split(maxsplit=1)[0]}.html", overwrite=True)
    t2 = time.perf_counter()
    times = []
    with browser() as b:
        for _ in range(runs):
            page, log, seconds = open_map(b, path)
            if log.blocked or log.errors:
                print(f"  {label}: blocked {log.blocked[:3]} errors {log.errors[:3]}")
            canvas = page.locator("path.rm-reach").count() == 0
            page.close()
            times.append(seconds)
    print(
        f"| {label:16s} | {len(resp.reaches):7,d} | {len(plan.segments):8,d} "
        f"| {t1 - t0:7.2f} | {t2 - t1:6.2f} | {path.stat().st_size / 1e6:6.2f} "
        f"| {statistics.median(times):15.2f} | {'canvas' if canvas else 'svg':8s} |"
    )
    sys.stdout.flush()
    return path


def _zoom_table(label: str, path: Path, runs: int, wheel: float) -> None:
    plain: list[float] = []
    animated: list[float] = []
    worst: list[float] = []
    fps: list[tuple[float, float]] = []
    with browser() as b:
        for _ in range(runs):
            page, _log, _ = open_map(b, path)
            first = zoom_steps(page, animate=False)
            plain += [s for _, s in first]
            second = zoom_steps(page, animate=True)
            animated += [s for _, s in second]
            worst.append(max(s for _, s in first + second))
            fps.append(wheel_fps(page, wheel))
            page.close()
    print(
        f"| {label:16s} | {statistics.median(plain):11.3f} | {max(plain):10.3f} "
        f"| {statistics.median(animated):13.3f} | {max(animated):12.3f} "
        f"| {statistics.median(f for f, _ in fps):9.1f} | {max(g for _, g in fps):13.3f} |"
    )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wheel", type=float, default=3.0, help="seconds of wheel zooming")
    parser.add_argument("--keep", type=Path, help="folder to keep the HTML files in")
    parser.add_argument("--only", choices=("demo", "china"), help="one map only")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 1
    cases = [] if args.only == "china" else [("demo (Zhejiang)", _demo)]
    if args.only != "demo":
        if CHINA.exists():
            cases.append(("all China", _china))
        else:
            print(f"skipping all China: {CHINA} not found", file=sys.stderr)
    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="rivermap-bench-map-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"| {'map':16s} | {'reaches':>7s} | {'segments':>8s} | {'build s':>7s} | {'save s':>6s} "
        f"| {'MB':>6s} | {'open s (median)':>15s} | {'renderer':8s} |"
    )
    print(f"|{'-' * 18}|{'-' * 9}|{'-' * 10}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 17}|{'-' * 10}|")
    pages = [(label, _open_table(label, *make(), out_dir, args.runs)) for label, make in cases]
    print(
        f"\n| {'map':16s} | {'zoom step s':>11s} | {'slowest s':>10s} "
        f"| {'animated s':>13s} | {'slowest s':>12s} | {'wheel fps':>9s} | {'longest frame':>13s} |"
    )
    print(f"|{'-' * 18}|{'-' * 13}|{'-' * 12}|{'-' * 15}|{'-' * 14}|{'-' * 11}|{'-' * 15}|")
    for label, path in pages:
        _zoom_table(label, path, args.runs, args.wheel)
    print(f"\nHTML files in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
