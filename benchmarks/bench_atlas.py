"""Time the printable atlas (rivermap.maps.atlas) on the embedded Zhejiang demo.

The headline figure is the atlas of all 90 districts of Zhejiang: a page for
every district, with or without rivers (``by="district", empty_units=True``),
plus the overview and continued tables. The other rows are the default atlas
(a page per city), the district atlas without empty districts, and the
default atlas of the demo with a river (富春江), a city (杭州市) and a
district (西湖区) named with 10,000 characters each: names are drawn as
:func:`rivermap.text.clip_label` cuts them (issue #18: before, the command
line took 18.1 s on those names instead of 3.1 s).

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
from typing import Any


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
            resp,
            {"by": "district", "empty_units": True},
        ),
        ("districts with rivers", resp, {"by": "district"}),
        ("default (a page per city)", resp, {}),
        ("default, three names of 10,000 chars", _long_names(rivers, units), {}),
    ]
    credit = rm.datasets.attribution("zhejiang")
    print(f"{'atlas':<40} {'pages':>6} {'median s':>9} {'s/page':>7} {'MB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, result, kwargs in cases:
            times = []
            out = Path(tmp) / "atlas.pdf"
            for _ in range(args.runs):
                start = time.perf_counter()
                atlas(result, out, overwrite=True, credit=credit, **kwargs)  # type: ignore[arg-type]
                times.append(time.perf_counter() - start)
            pages = len(pypdf.PdfReader(out).pages)
            med = statistics.median(times)
            size = out.stat().st_size / 1e6
            print(f"{label:<40} {pages:>6} {med:>9.2f} {med / pages:>7.3f} {size:>6.2f}")


def _long_names(rivers: Any, units: Any) -> Any:
    """Return the demo assigned with 富春江, 杭州市 and 西湖区 named with 10,000 characters."""
    import rivermap as rm

    rivers = rivers.copy()
    rivers.loc[rivers["name"] == "富春江", "name"] = "富" * 10_000
    frame = units.frame.copy()
    for old, ch in (("杭州市", "杭"), ("西湖区", "西")):
        frame.loc[frame["name"] == old, "name"] = ch * 10_000
    return rm.assign(rivers, rm.AdminUnits(frame, units.levels))


if __name__ == "__main__":
    main()
