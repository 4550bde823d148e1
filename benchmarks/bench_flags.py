"""Time flags, chiefs and redivision on the demo, a synthetic city and all of China.

    python benchmarks/bench_flags.py              # best of 3 runs per operation
    python benchmarks/bench_flags.py --runs 5 --cases demo city

Cases: ``demo`` (the embedded Zhejiang data, 148 reaches), ``city``
(``rivermap.synth.make_city(2000, 5000)``, about 27,000 reaches) and ``china``
(``../shared/data/china``: 34 provinces > 375 cities > 2,891 districts and
2,983 rivers, about 20,000 reaches; skipped when the file is absent). Building
each case (``rivermap.assign``) is not timed. The chief roster is the example
roster for the demo, and a generated one elsewhere: one 河长 per unit (every
30th unit left out, so the report has gaps) and a river chief for every third
river that has a chief unit.

The table gives, per operation, the best wall time over ``--runs`` runs (the
machine's other work only ever adds time) and the size it worked on. No test
asserts a timing.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
CHINA = ROOT.parent / "shared" / "data" / "china" / "china_rivers_admin.gpkg"


def _demo() -> tuple[Any, Any]:
    import rivermap as rm
    from rivermap.chiefs import example_roster_path

    return rm.assign(*rm.datasets.load_demo()), example_roster_path()


def _city() -> tuple[Any, Any]:
    import rivermap as rm
    from rivermap.synth import make_city
    from rivermap.units import AdminUnits

    rivers, units = make_city(2000, 5000)
    resp = rm.assign(rivers, AdminUnits(units, ("district", "street", "community")))
    return resp, _roster(resp)


def _china() -> tuple[Any, Any]:
    import rivermap as rm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rm.RivermapWarning)  # municipality ids renamed
        units = rm.read_units(CHINA, levels=["province", "city", "district"])
    rivers = rm.read_rivers(CHINA, layer="rivers")
    resp = rm.assign(rivers, units)
    return resp, _roster(resp)


def _roster(resp: Any) -> Any:
    """Return a roster: general chiefs per unit, river chiefs for a third of the rivers."""
    import pandas as pd

    units = resp.units.iloc[[i for i in range(len(resp.units)) if i % 30 != 29]]
    general = pd.DataFrame(
        {
            "unit_id": units["unit_id"].astype(str).to_numpy(),
            "name": [f"{n}河长{i}" for i, n in enumerate(units["name"].astype(str))],
            "title": "主任",
            "phone": [f"000-0000-{i:05d}" for i in range(len(units))],
            "role": "河长",
            "river": "",
        }
    )
    rivers = resp.rivers[resp.rivers["chief_unit"].notna()].iloc[::3]
    specific = pd.DataFrame(
        {
            "unit_id": rivers["chief_unit"].astype(str).to_numpy(),
            "name": [f"专职河长{i}" for i in range(len(rivers))],
            "title": "局长",
            "phone": [f"111-0000-{i:05d}" for i in range(len(rivers))],
            "role": "河长",
            "river": rivers["river_id"].astype(str).to_numpy(),
        }
    )
    return pd.concat([general, specific], ignore_index=True)


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {"demo": _demo, "city": _city, "china": _china}


def _best(fn: Callable[[], T], runs: int) -> tuple[float, T]:
    best = float("inf")
    for _ in range(max(runs, 1)):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


Row = Callable[[str, str, float, str], None]


def _run_case(case: str, resp: Any, roster: Any, runs: int, row: Row) -> None:
    from functools import partial

    from rivermap.chiefs import read_chiefs
    from rivermap.redivide import redivide

    base = f"{len(resp.reaches):,} reaches, {len(resp.units):,} units"
    finest, top = resp.levels[-1], resp.levels[0]
    sec, table = _best(resp.flags, runs)
    row(case, "flags (every level)", sec, f"{base}; {len(table):,} flags")
    for lv in resp.levels:
        sec, table = _best(partial(resp.flags, lv), runs)
        row(case, f"flags ({lv})", sec, f"{len(table):,} flags")
    sec, plan = _best(partial(redivide, resp, level=finest, policy="majority"), runs)
    row(case, f"redivide ({finest}, majority)", sec, f"{len(plan.segments):,} segments")
    sec, plan = _best(partial(redivide, resp, level=finest), runs)
    row(case, f"redivide ({finest}, split)", sec, f"{len(plan.segments):,} segments")
    sec, diff = _best(plan.diff, runs)
    row(case, "plan.diff", sec, f"{len(diff.changes):,} changes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sec, chiefs = _best(partial(read_chiefs, roster, units=resp), runs)
        row(case, "read_chiefs", sec, f"{len(chiefs):,} roster rows")
        sec, with_chiefs = _best(partial(resp.with_chiefs, roster), runs)
    row(case, "with_chiefs", sec, base)
    sec, people = _best(lambda: with_chiefs.chiefs, runs)
    row(case, "chiefs (per person)", sec, f"{len(people):,} people")
    sec, report = _best(with_chiefs.roster_report, runs)
    row(case, "roster_report", sec, f"{len(report):,} rows")
    for lv in (top, finest):
        sec, boards = _best(partial(with_chiefs.signboards, lv), runs)
        row(case, f"signboards ({lv})", sec, f"{len(boards):,} boards")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per operation (best is kept)")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    args = parser.parse_args(argv)

    print(f"| {'case':5s} | {'operation':30s} | {'seconds':>7s} | {'size':36s} |")
    print(f"|{'-' * 7}|{'-' * 32}|{'-' * 9}|{'-' * 38}|")

    def row(case: str, op: str, seconds: float, size: str) -> None:
        print(f"| {case:5s} | {op:30s} | {seconds:7.3f} | {size:36s} |", flush=True)

    for case in args.cases:
        if case == "china" and not CHINA.exists():
            print(f"skipping china: {CHINA} not found", file=sys.stderr)
            continue
        resp, roster = CASES[case]()
        _run_case(case, resp, roster, args.runs, row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
