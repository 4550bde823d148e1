"""Level runs and credits (rivermap.runs): the vectorized engine against plain pandas versions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rivermap as rm
from rivermap import runs as runs_mod

# ---------------------------------------------------------------- vectorized helpers
# The runs engine works on arrays (integer codes, joined strings). These tests
# keep the straightforward pandas versions it replaced and check both agree.


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["k1", "k2", "k3", "k4"]),
            st.sampled_from(["a", "b", "c;d", "", "é\x00", "x"]),
        ),
        max_size=30,
    ),
    sep=st.sampled_from([";", ", ", "、"]),
    sort=st.booleans(),
)
def test_join_groups_matches_groupby_agg(rows: list[tuple[str, str]], sep: str, sort: bool) -> None:
    keys = [k for k, _ in rows]
    values = [v for _, v in rows]
    got = runs_mod.join_groups(values, keys, sep, sort=sort)
    want = pd.Series(values, dtype=object).groupby(np.asarray(keys, dtype=object), sort=sort)
    want = want.agg(sep.join) if rows else pd.Series(dtype=object)
    assert got.index.tolist() == want.index.tolist()
    assert got.tolist() == want.tolist()
    uniq = runs_mod.join_groups(values, keys, sep, unique=True, sort=sort)
    ref = {k: sep.join(dict.fromkeys(v for kk, v in rows if kk == k)) for k in dict.fromkeys(keys)}
    assert uniq.to_dict() == ref


def _ancestor_at_slow(units: pd.DataFrame, level: str) -> pd.Series:
    """Walk up parent by parent (the reference for flags.ancestor_at)."""
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"], strict=True))
    lv = dict(zip(units["unit_id"].astype(str), units["level"], strict=True))
    out = {}
    for uid in units["unit_id"].astype(str):
        cur, hit = uid, None
        for _ in range(units["level"].nunique() + 1):
            if not isinstance(cur, str) or cur not in lv:
                break
            if lv[cur] == level:
                hit = cur
            cur = parent.get(cur)
        out[uid] = hit
    return pd.Series(out, dtype=object)


def _credits_slow(runs: pd.DataFrame) -> dict[tuple[str, str], tuple[float, int, bool]]:
    """Per (river, unit): credited length, order of first appearance, lead (plain Python)."""
    out: dict[tuple[str, str], tuple[float, int, bool]] = {}
    for river, grp in runs.groupby("river_id", sort=True):
        held: dict[str, list[float]] = {}
        for rec in grp.sort_values("from_m", kind="stable").to_dict("records"):
            if rec["state"] == "unit":
                held.setdefault(rec["unit"], []).append(rec["length_m"])
            elif rec["state"] == "boundary":
                for side in (rec["side_a"], rec["side_b"]):
                    held.setdefault(side, []).append(rec["length_m"] / 2)
        lead = min(held, key=lambda u: (-sum(held[u]), u))
        for order, (unit, parts) in enumerate(held.items()):
            out[(str(river), unit)] = (sum(parts), order, unit == lead)
    return out


@pytest.mark.parametrize("which", ["demo", "city"])
def test_runs_credits_and_ancestors_match_references(
    which: str, demo: rm.Responsibility, city: rm.Responsibility
) -> None:
    resp = demo if which == "demo" else city
    units = resp.units
    lengths = pd.Series(
        resp.rivers["length_m"].to_numpy(), index=resp.rivers["river_id"].astype(str)
    )
    for lv in resp.levels:
        got = runs_mod.ancestor_at(units, lv)
        want = _ancestor_at_slow(units, lv)
        assert got.index.tolist() == want.index.tolist()
        assert got.tolist() == want.tolist()
        runs = runs_mod.level_runs(resp.reaches, units, lv, lengths)
        # runs tile every river's reaches, and neighbouring runs of a river differ
        assert np.allclose(
            runs.groupby("river_id")["length_m"].sum(),
            resp.reaches.groupby("river_id")["length_m"].sum().reindex(runs["river_id"].unique()),
        )
        same = (runs["river_id"] == runs["river_id"].shift()) & (
            runs[["state", "unit", "side_a", "side_b"]].fillna("")
            == runs[["state", "unit", "side_a", "side_b"]].shift().fillna("")
        ).all(axis=1)
        assert not same.any()
        credits = runs_mod.credits_of(runs)
        ref = _credits_slow(runs)
        assert len(credits) == len(ref)
        for rec in credits.to_dict("records"):
            length, order, lead = ref[(rec["river_id"], rec["unit"])]
            assert rec["length_m"] == pytest.approx(length, rel=1e-12, abs=1e-9)
            assert (rec["order"], rec["lead"]) == (order, lead)


def test_lowest_common_ancestor_matches_reference(city: rm.Responsibility) -> None:
    units = city.units
    levels = city.levels
    reaches = city.reaches
    finest = reaches[["river_id", levels[-1]]].dropna().drop_duplicates()
    groups = pd.Series(
        finest[levels[-1]].to_numpy(dtype=object), index=finest["river_id"].to_numpy()
    )
    got = runs_mod.lowest_common_ancestor(units, groups, levels)
    chains = {lv: _ancestor_at_slow(units, lv) for lv in levels}
    for river, members in groups.groupby(level=0):
        want = None
        for lv in levels:
            anc = {chains[lv].get(u) for u in members}
            if len(anc) == 1 and None not in anc:
                want = anc.pop()
        assert got[river] == want
