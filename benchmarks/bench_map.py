"""How big the saved maps are and how fast they open in headless Chromium.

    python benchmarks/bench_map.py            # the demo; all China when ../shared/data exists
    python benchmarks/bench_map.py --runs 5

For each map: the time to build it in Python, the time to write the HTML, the
file size, and the time from navigation until the page has built every layer and
painted twice (median of ``--runs`` fresh pages, network blocked). The all-China
map (2,983 rivers, 2,891 districts; ``../shared/data/china``) must open in under
5 s. Needs Debian's ``chromium`` and ``pip install playwright``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import browser, open_map, unavailable_reason  # noqa: E402

CHINA = ROOT.parent / "shared" / "data" / "china" / "china_rivers_admin.gpkg"


def _demo() -> object:
    import rivermap as rm

    return rm.assign(*rm.datasets.load_demo())


def _china() -> object:
    import warnings

    import rivermap as rm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rm.RivermapWarning)  # municipality ids renamed
        units = rm.read_units(CHINA, levels=["province", "city", "district"])
    rivers = rm.read_rivers(CHINA, layer="rivers")
    return rm.assign(rivers, units)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder to keep the HTML files in")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 1
    from rivermap.maps import responsibility_map, save_html

    cases = [("demo (Zhejiang)", _demo)]
    if CHINA.exists():
        cases.append(("all China", _china))
    else:
        print(f"skipping all China: {CHINA} not found", file=sys.stderr)
    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="rivermap-bench-map-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"| {'map':16s} | {'reaches':>7s} | {'build s':>7s} | {'save s':>6s} "
        f"| {'MB':>6s} | {'open s (median)':>15s} | {'renderer':8s} |"
    )
    print(f"|{'-' * 18}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 17}|{'-' * 10}|")
    for label, make in cases:
        resp = make()
        t0 = time.perf_counter()
        m = responsibility_map(resp)
        t1 = time.perf_counter()
        path = save_html(m, out_dir / f"{label.split()[0]}.html", overwrite=True)
        t2 = time.perf_counter()
        times = []
        with browser() as b:
            for _ in range(args.runs):
                page, log, seconds = open_map(b, path)
                if log.blocked or log.errors:
                    print(f"  {label}: blocked {log.blocked[:3]} errors {log.errors[:3]}")
                svg = page.locator("path.rm-reach").count()
                page.close()
                times.append(seconds)
        n = len(resp.reaches)  # type: ignore[attr-defined]
        print(
            f"| {label:16s} | {n:7,d} | {t1 - t0:7.2f} | {t2 - t1:6.2f} "
            f"| {path.stat().st_size / 1e6:6.2f} | {statistics.median(times):15.2f} "
            f"| {'svg' if svg else 'canvas':8s} |"
        )
        sys.stdout.flush()
    print(f"\nHTML files in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
