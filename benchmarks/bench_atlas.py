"""Time the printable atlas (rivermap.maps.atlas) on the embedded Zhejiang demo.

The headline figure is the atlas of all 90 districts of Zhejiang: a page for
every district, with or without rivers (``by="district", empty_units=True``),
plus the overview and continued tables. The other rows are the default atlas
(a page per city) and the district atlas without empty districts.

    python benchmarks/bench_atlas.py            # 3 runs each, median wall time
    python benchmarks/bench_atlas.py --runs 1

Each run writes a fresh PDF; the font subset is built once per character set
and cached (the first run pays for it, well under a second).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import pypdf

    import rivermap as rm
    from rivermap.maps.atlas import atlas

    rivers, units = rm.datasets.load_demo()
    resp = rm.assign(rivers, units)
    n_districts = int((resp.units["level"] == "district").sum())
    cases = [
        (
            f"all {n_districts} districts (empty_units=True)",
            {"by": "district", "empty_units": True},
        ),
        ("districts with rivers", {"by": "district"}),
        ("default (a page per city)", {}),
    ]
    credit = rm.datasets.attribution("zhejiang")
    print(f"{'atlas':<40} {'pages':>6} {'median s':>9} {'s/page':>7} {'MB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, kwargs in cases:
            times = []
            out = Path(tmp) / "atlas.pdf"
            for _ in range(args.runs):
                start = time.perf_counter()
                atlas(resp, out, overwrite=True, credit=credit, **kwargs)  # type: ignore[arg-type]
                times.append(time.perf_counter() - start)
            pages = len(pypdf.PdfReader(out).pages)
            med = statistics.median(times)
            size = out.stat().st_size / 1e6
            print(f"{label:<40} {pages:>6} {med:>9.2f} {med / pages:>7.3f} {size:>6.2f}")


if __name__ == "__main__":
    main()
