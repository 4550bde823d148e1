"""Administrative units in a hierarchy of levels, and checks of their topology.

:class:`AdminUnits` holds polygons at named levels, top (coarsest) to bottom
(finest), each unit with a parent at the level above. Parents come from a
column, from official admin codes that nest by prefix (330000 浙江省 > 330600
绍兴市 > 330602 越城区 > 9-digit streets > 12-digit communities), or from
spatial containment (the parent holding the largest share of the child's
area). :meth:`AdminUnits.validate` reports every topology problem at once.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from rivermap.crs import check_crs, metric_crs
from rivermap.errors import SchemaError, TopologyError, format_ids, require_columns
from rivermap.text import level_label, term

__all__ = [
    "UNIT_COLUMNS",
    "AdminUnits",
    "code_key",
    "parents_from_codes",
    "parents_from_containment",
]

#: Columns of :attr:`AdminUnits.frame`, in order.
UNIT_COLUMNS = ("unit_id", "name", "level", "parent_id", "geometry")

# Chinese administrative division codes: 2 digits province, 2 city, 2 county,
# 3 township/street, 3 village/community.
_CODE_SEGMENTS = (2, 2, 2, 3, 3)
_CODE_RE = re.compile(r"^\d{6}(\d{3}){0,2}$")

#: Problems listed by :meth:`AdminUnits.validate`, with their meaning.
PROBLEMS = {
    "duplicate_id": "the same unit_id is used more than once",
    "orphan": "parent_id is missing or names no unit at the level above",
    "outside_parent": "part of the unit lies outside its parent",
    "overlap": "two units of the same level overlap",
    "gap": "part of a parent is covered by none of its children",
    "code_mismatch": "the admin-code parent and the containing parent differ",
    "empty_level": "a declared level has no units",
}


def code_key(code: str) -> str | None:
    """Return the significant prefix of a Chinese admin code, or None if ``code`` isn't one.

    Trailing all-zero segments are dropped: ``330600`` (绍兴市) → ``3306``,
    ``330000`` (浙江省) → ``33``, ``330602001000`` → ``330602001``.

    Examples
    --------
    >>> code_key("330600"), code_key("330602"), code_key("110000"), code_key("abc")
    ('3306', '330602', '11', None)
    """
    if not _CODE_RE.match(code):
        return None
    parts: list[str] = []
    pos = 0
    for width in _CODE_SEGMENTS:
        if pos >= len(code):
            break
        parts.append(code[pos : pos + width])
        pos += width
    while len(parts) > 1 and set(parts[-1]) == {"0"}:
        parts.pop()
    return "".join(parts)


def _positions(sorted_ids: NDArray[np.str_], wanted: NDArray[np.str_]) -> NDArray[np.int64]:
    """Return where each of ``wanted`` is in ``sorted_ids`` (sorted, unique), or -1.

    >>> _positions(np.array(["a", "c", "e"]), np.array(["c", "b", "z", "a"])).tolist()
    [1, -1, -1, 0]
    """
    at = np.minimum(np.searchsorted(sorted_ids, wanted), max(len(sorted_ids) - 1, 0))
    found = sorted_ids[at] == wanted if len(sorted_ids) else np.zeros(len(wanted), dtype=bool)
    return np.where(found, at, -1).astype(np.int64)


def parents_from_codes(child_ids: Sequence[str], parent_ids: Sequence[str]) -> list[str | None]:
    """Match each child code to the parent code that is its longest significant prefix.

    Parameters
    ----------
    child_ids, parent_ids
        Admin codes of the children and of the candidate parents.

    Returns
    -------
    list
        For each child, the parent id, or None where no parent code is a prefix
        or the child id is not an admin code.

    Examples
    --------
    >>> parents_from_codes(["330602", "330102", "999999"], ["330100", "330600"])
    ['330600', '330100', None]
    """
    keyed = sorted(
        ((k, p) for p in parent_ids if (k := code_key(p)) is not None),
        key=lambda kp: -len(kp[0]),
    )
    by_key: dict[str, str] = {}
    for k, p in keyed:
        by_key.setdefault(k, p)
    lengths = sorted({len(k) for k in by_key}, reverse=True)
    out: list[str | None] = []
    for child in child_ids:
        ckey = code_key(child)
        found = None
        if ckey is not None:
            for n in lengths:
                if n <= len(ckey) and (found := by_key.get(ckey[:n])) is not None:
                    break
        out.append(found)
    return out


def parents_from_containment(
    children: gpd.GeoSeries, parents: gpd.GeoSeries, parent_ids: Sequence[str]
) -> tuple[list[str | None], NDArray[np.float64]]:
    """For each child polygon, the parent holding the largest share of its area.

    Parameters
    ----------
    children, parents
        Polygons in the same CRS.
    parent_ids
        Ids aligned with ``parents``.

    Returns
    -------
    (list, ndarray)
        The parent id of each child (None if it overlaps no parent) and the
        share of the child's area inside that parent.
    """
    child_geoms = np.asarray(children.values, dtype=object)
    parent_geoms = np.asarray(parents.values, dtype=object)
    tree = shapely.STRtree(parent_geoms)
    ci, pi = tree.query(child_geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(child_geoms[ci], parent_geoms[pi]))
    result = np.full(len(child_geoms), None, dtype=object)
    share = np.zeros(len(child_geoms))
    if len(ci):
        # Largest area first, then lowest parent position for a deterministic tie-break.
        order = np.lexsort((pi, -area, ci))
        ci_sorted, first = np.unique(ci[order], return_index=True)
        best = order[first]
        child_area = shapely.area(child_geoms[ci_sorted])
        result[ci_sorted] = np.asarray(parent_ids, dtype=object)[pi[best]]
        share[ci_sorted] = np.divide(
            area[best], child_area, out=np.zeros_like(child_area), where=child_area > 0
        )
    return [None if r is None else str(r) for r in result], share


@dataclass(frozen=True)
class _Index:
    level_of: dict[str, str]
    parent_of: dict[str, str | None]
    children_of: dict[str, list[str]]


class AdminUnits:
    """Administrative units in a hierarchy of named levels.

    Parameters
    ----------
    frame
        A GeoDataFrame with columns ``unit_id`` (str), ``name`` (str), ``level``
        (one of ``levels``), ``parent_id`` (the unit_id of the parent at the
        level above; missing for the top level) and polygon ``geometry``, with
        a CRS. A unit made of several polygons (exclaves) is one MultiPolygon.
    levels
        Level names from the top (coarsest) to the bottom (finest), e.g.
        ``("district", "street", "community")``.
    source
        Where the units came from, used in messages.

    Notes
    -----
    The constructor checks the schema (columns, geometry types, CRS, levels)
    and raises :class:`~rivermap.errors.SchemaError` for what would make the
    hierarchy meaningless. Topology problems (overlaps, gaps, orphans,
    duplicate ids) are not raised here: :meth:`validate` lists them all.

    Examples
    --------
    >>> import rivermap as rm
    >>> _, units = rm.datasets.load_demo()
    >>> units.levels
    ('province', 'city', 'district')
    >>> units.parent("330602"), units.ancestors("330602")
    ('330600', ['330600', '330000'])
    >>> units.lca(["330602", "330603"]), units.lca(["330602", "330102"])
    ('330600', '330000')
    """

    def __init__(
        self, frame: gpd.GeoDataFrame, levels: Sequence[str], *, source: str = "units"
    ) -> None:
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = f"AdminUnits needs a GeoDataFrame, got {type(frame).__name__}"
            raise TypeError(msg)
        levels = tuple(str(lv) for lv in levels)
        if not levels or len(set(levels)) != len(levels):
            msg = f"{source}: levels must be distinct names, top to bottom; got {list(levels)}"
            raise SchemaError(msg)
        require_columns(
            frame.columns,
            UNIT_COLUMNS,
            source,
            hint=f"AdminUnits needs {', '.join(UNIT_COLUMNS)} "
            "(use rivermap.read_units to build them from a file)",
        )
        check_crs(frame, source)
        unknown = sorted(set(frame["level"].astype(str).unique()) - set(levels))
        if unknown:
            msg = (
                f"{source}: column 'level' holds {format_ids(unknown)}, which are not among "
                f"the declared levels {list(levels)}"
            )
            raise SchemaError(msg)
        types = frame.geometry.geom_type
        bad = ~types.isin(["Polygon", "MultiPolygon"])
        if bad.any():
            msg = (
                f"{source}: units must be polygons; {int(bad.sum())} are "
                f"{', '.join(sorted(set(types[bad].astype(str))))}: unit_ids "
                f"{format_ids(frame.loc[bad, 'unit_id'])}"
            )
            raise SchemaError(msg)
        out = frame[list(UNIT_COLUMNS)].copy()
        out["unit_id"] = out["unit_id"].astype(str)
        out["name"] = out["name"].astype(str)
        out["level"] = out["level"].astype(str)
        out["parent_id"] = out["parent_id"].astype(object).where(out["parent_id"].notna(), None)
        out.loc[out["parent_id"].notna(), "parent_id"] = out["parent_id"].dropna().astype(str)
        depth = pd.Index(levels).get_indexer(out["level"])  # every level is known (above)
        order = np.lexsort((out["unit_id"].to_numpy(dtype=str), depth))
        self._frame: gpd.GeoDataFrame = out.iloc[order].reset_index(drop=True)
        self._levels = levels
        self.source = source

    # ------------------------------------------------------------------ basics
    @property
    def frame(self) -> gpd.GeoDataFrame:
        """The units: unit_id, name, level, parent_id, geometry (a copy).

        ``attrs["source"]`` names where they came from, for messages.
        """
        out = self._frame.copy()
        out.attrs["source"] = self.source
        return out

    @property
    def levels(self) -> tuple[str, ...]:
        """Level names, top (coarsest) to bottom (finest)."""
        return self._levels

    @property
    def crs(self) -> pyproj.CRS:
        """The CRS of the unit polygons."""
        return pyproj.CRS.from_user_input(self._frame.crs)

    def __len__(self) -> int:
        """Return the number of units, at every level."""
        return len(self._frame)

    def __repr__(self) -> str:
        """Return the units per level and the CRS, on one line."""
        counts = self._frame["level"].value_counts()
        per = ", ".join(f"{lv}: {int(counts.get(lv, 0))}" for lv in self._levels)
        return f"AdminUnits({per}; crs={self.crs.to_string()})"

    def _repr_html_(self) -> str:
        from html import escape

        counts = self._frame["level"].value_counts()
        rows = "".join(
            f"<tr><td>{escape(lv)} {escape(level_label(lv, 'zh'))}</td>"
            f"<td>{int(counts.get(lv, 0))}</td></tr>"
            for lv in self._levels
        )
        head = "".join(
            f"<th>{term(k, 'en')} {term(k, 'zh')}</th>" for k in ("col.level", "col.units_count")
        )
        return (
            f"<b>AdminUnits</b> ({escape(self.crs.to_string())})"
            f"<table><tr>{head}</tr>{rows}</table>"
        )

    @functools.cached_property
    def _index(self) -> _Index:
        """The units' levels, parents and children by unit_id, built on first use.

        Building it walks every unit in Python (about 1 s for a country's
        640,000 units); :func:`rivermap.assign` and :mod:`rivermap.scale` use
        :meth:`ancestor_codes` instead and never need it.
        """
        ids = self._frame["unit_id"].tolist()
        parents = self._frame["parent_id"].tolist()
        levels = self._frame["level"].tolist()
        children: dict[str, list[str]] = {}
        for uid, pid in zip(ids, parents, strict=True):
            if pid is not None:
                children.setdefault(pid, []).append(uid)
        level_of: dict[str, str] = {}
        parent_of: dict[str, str | None] = {}
        for uid, pid, lv in zip(ids, parents, levels, strict=True):
            level_of.setdefault(uid, lv)
            parent_of.setdefault(uid, pid)
        return _Index(level_of, parent_of, children)

    def _check_id(self, unit_id: str) -> str:
        uid = str(unit_id)
        if uid not in self._index.level_of:
            msg = f"unknown unit_id {uid!r} in {self.source}"
            raise KeyError(msg)
        return uid

    # --------------------------------------------------------------- hierarchy
    def level_of(self, unit_id: str) -> str:
        """Return the level of ``unit_id``."""
        return self._index.level_of[self._check_id(unit_id)]

    def name_of(self, unit_id: str) -> str:
        """Return the name of ``unit_id``."""
        uid = self._check_id(unit_id)
        names = self._frame.loc[self._frame["unit_id"] == uid, "name"]
        return str(names.iloc[0])

    def parent(self, unit_id: str) -> str | None:
        """Return the parent's unit_id, or None for a top-level unit or an orphan."""
        return self._index.parent_of[self._check_id(unit_id)]

    def children(self, unit_id: str) -> list[str]:
        """Return the unit ids of the direct children, sorted."""
        return sorted(self._index.children_of.get(self._check_id(unit_id), []))

    def ancestors(self, unit_id: str) -> list[str]:
        """Return the unit ids of the parent, grandparent … up to the top, nearest first."""
        out: list[str] = []
        pid = self.parent(unit_id)
        while pid is not None and pid in self._index.parent_of and pid not in out:
            out.append(pid)
            pid = self._index.parent_of[pid]
        return out

    def lca(self, unit_ids: Iterable[str]) -> str | None:
        """Return the lowest common ancestor (or self) of ``unit_ids``; None if they share none.

        Examples
        --------
        >>> import rivermap as rm
        >>> _, units = rm.datasets.load_demo()
        >>> units.lca(["330602"]), units.lca(["330102", "330105"])
        ('330602', '330100')
        """
        chains = [[self._check_id(u), *self.ancestors(u)] for u in dict.fromkeys(unit_ids)]
        if not chains:
            return None
        common = set(chains[0]).intersection(*map(set, chains[1:]))
        for uid in chains[0]:
            if uid in common:
                return uid
        return None

    def at_level(self, level: str) -> gpd.GeoDataFrame:
        """Return the units of one level (a copy)."""
        if level not in self._levels:
            msg = f"unknown level {level!r}; levels are {list(self._levels)}"
            raise KeyError(msg)
        return self._frame.loc[self._frame["level"] == level].reset_index(drop=True)

    def ancestor_codes(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Return the hierarchy as integers, for vectorized lookups.

        Returns
        -------
        (order, anc)
            ``order`` holds the positions in :attr:`frame` of the units sorted by
            ``unit_id`` (the first of duplicated ids); unit ``k`` in that order
            is code ``k``. ``anc[k, j]`` is the code of unit ``k``'s
            ancestor-or-self at level ``j``, or -1 where it has none (levels
            below its own, a missing parent, or a parent not above it).
        """
        f = self._frame
        ids = f["unit_id"].to_numpy(dtype=str)
        order = np.argsort(ids, kind="stable")
        first = np.ones(len(order), dtype=bool)  # the first of equal ids
        first[1:] = ids[order][1:] != ids[order][:-1]
        order = order[first]
        sorted_ids = ids[order]
        depth = self.depths()[order]
        parent_ids = f["parent_id"].to_numpy(dtype=object)[order]
        has_parent = pd.notna(parent_ids)
        parent = np.full(len(order), -1, dtype=np.int64)
        parent[has_parent] = _positions(sorted_ids, parent_ids[has_parent].astype(str))
        anc = np.full((len(order), len(self._levels)), -1, dtype=np.int64)
        rows = np.arange(len(order))
        cur = rows.copy()
        # Walk up one parent per round for every unit at once; never more rounds
        # than levels, which also stops any cycle.
        for _ in self._levels:
            ok = cur >= 0
            if not ok.any():
                break
            r, c = rows[ok], cur[ok]
            above = depth[c] <= depth[r]  # ignore parents that are not above their child
            anc[r[above], depth[c[above]]] = c[above]
            cur = np.where(ok, parent[np.clip(cur, 0, None)], -1)
        return order.astype(np.int64), anc

    def depths(self) -> NDArray[np.int64]:
        """Return each unit's level as its depth (0 at the top), in the order of :attr:`frame`.

        Examples
        --------
        >>> import rivermap as rm
        >>> _, units = rm.datasets.load_demo()
        >>> units.levels, units.depths()[:3].tolist(), units.frame["level"][:3].tolist()
        (('province', 'city', 'district'), [0, 1, 1], ['province', 'city', 'city'])
        """
        codes, uniques = pd.factorize(self._frame["level"])
        depth_of = {lv: i for i, lv in enumerate(self._levels)}
        return np.array([depth_of[str(lv)] for lv in uniques], dtype=np.int64)[codes]

    def ancestor_table(self) -> pd.DataFrame:
        """One row per unit, one column per level: the ancestor-or-self at that level.

        Columns for levels below a unit's own level hold None.

        Examples
        --------
        >>> import rivermap as rm
        >>> _, units = rm.datasets.load_demo()
        >>> units.ancestor_table().loc["330602"].tolist()
        ['330000', '330600', '330602']
        """
        order, anc = self.ancestor_codes()
        ids = self._frame["unit_id"].to_numpy(dtype=object)[order]
        table = pd.DataFrame(
            {
                lv: np.where(anc[:, j] >= 0, ids[anc[:, j]], None)
                for j, lv in enumerate(self._levels)
            },
            index=pd.Index(ids, name="unit_id"),
            dtype=object,
        )
        return table.where(table.notna(), None)

    def to_crs(self, crs: Any) -> AdminUnits:
        """Return the same units with polygons reprojected to ``crs``."""
        return AdminUnits(self._frame.to_crs(crs), self._levels, source=self.source)

    # ----------------------------------------------------------------- checks
    def require_consistent(self) -> None:
        """Raise if ids are duplicated or parents are missing (what assign cannot work around).

        Raises
        ------
        SchemaError
            Duplicate unit ids.
        TopologyError
            Units whose parent is missing or not at the level above.
        """
        dup = self._frame["unit_id"][self._frame["unit_id"].duplicated()].unique()
        if len(dup):
            msg = f"{self.source}: duplicate unit_id {format_ids(dup)}"
            raise SchemaError(msg)
        orphans = self._orphans()
        if len(orphans):
            pairs = [
                f"{u} → {p if isinstance(p, str) and p else '(none)'}"
                for u, p in zip(orphans["unit_id"], orphans["parent_id"], strict=True)
            ]
            msg = (
                f"{self.source}: {len(orphans)} unit(s) have no parent at the level above "
                f"(their parent_id is no unit of that level): unit → parent_id {format_ids(pairs)}"
            )
            raise TopologyError(msg)

    def _orphans(self) -> pd.DataFrame:
        f = self._frame
        depth = f["level"].map({lv: i for i, lv in enumerate(self._levels)})
        parent_level = f["parent_id"].map(self._index.level_of)
        expected = depth.map(lambda d: self._levels[d - 1] if d > 0 else None)
        bad = (depth > 0) & (parent_level.isna() | (parent_level != expected))
        bad |= (depth == 0) & f["parent_id"].notna()
        return f.loc[bad, ["unit_id", "level", "parent_id"]]

    def validate(
        self,
        *,
        min_area_m2: float = 10_000.0,
        min_share: float = 0.001,
    ) -> pd.DataFrame:
        """Report every topology problem at once.

        Parameters
        ----------
        min_area_m2
            Overlaps, gaps and outside-parent parts smaller than this many square
            metres are digitising noise and are not reported.
        min_share
            Outside-parent parts below this share of the child's area are not reported.

        Returns
        -------
        DataFrame
            One row per problem: ``problem`` (a key of :data:`PROBLEMS`), ``level``,
            ``unit_id``, ``other_id``, ``area_m2``, ``share`` and a readable
            ``detail``. Empty when the units are clean.

        Examples
        --------
        >>> import rivermap as rm
        >>> _, units = rm.datasets.load_demo()
        >>> len(units.validate())
        0
        """
        rows: list[dict[str, Any]] = []
        f = self._frame
        counts = f["level"].value_counts()
        for lv in self._levels:
            if counts.get(lv, 0) == 0:
                rows.append(_problem("empty_level", lv, None, None, detail=f"no units at {lv!r}"))
        dup = f.loc[f["unit_id"].duplicated(keep=False)]
        for uid, grp in dup.groupby("unit_id", sort=True):
            rows.append(
                _problem(
                    "duplicate_id",
                    str(grp["level"].iloc[0]),
                    str(uid),
                    None,
                    detail=f"{uid!r} appears {len(grp)} times",
                )
            )
        for r in self._orphans().itertuples(index=False):
            what = "no parent_id" if r.parent_id is None else f"parent {r.parent_id!r} not found"
            rows.append(_problem("orphan", r.level, r.unit_id, r.parent_id, detail=what))

        if f.empty:
            return pd.DataFrame(rows, columns=_PROBLEM_COLUMNS)
        metric = f.to_crs(metric_crs(f))
        geoms = np.asarray(metric.geometry.values, dtype=object)
        uid = metric["unit_id"].to_numpy(dtype=object)
        lev = metric["level"].to_numpy(dtype=object)
        pos_of = {u: i for i, u in reversed(list(enumerate(uid)))}
        rows += _outside_parent(metric, geoms, pos_of, min_area_m2, min_share)
        for lv in self._levels:
            rows += _overlaps(geoms[lev == lv], uid[lev == lv], lv, min_area_m2)
        rows += _gaps(metric, geoms, pos_of, min_area_m2)
        rows += self._code_mismatches(metric)
        return pd.DataFrame(rows, columns=_PROBLEM_COLUMNS)

    def _code_mismatches(self, metric: gpd.GeoDataFrame) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for upper, lower in itertools.pairwise(self._levels):
            parents = metric.loc[metric["level"] == upper]
            children = metric.loc[metric["level"] == lower]
            if parents.empty or children.empty:
                continue
            by_code = parents_from_codes(children["unit_id"].tolist(), parents["unit_id"].tolist())
            if all(p is None for p in by_code):
                continue  # ids are not admin codes: nothing to compare
            by_area, share = parents_from_containment(
                children.geometry, parents.geometry, parents["unit_id"].tolist()
            )
            for cid, pc, pa, s in zip(children["unit_id"], by_code, by_area, share, strict=True):
                if pc != pa:
                    rows.append(
                        _problem(
                            "code_mismatch",
                            lower,
                            cid,
                            pa,
                            share=float(s),
                            detail=f"code says parent {pc!r}, containment says {pa!r} "
                            f"({s:.1%} of the area)",
                        )
                    )
        return rows


_PROBLEM_COLUMNS = ["problem", "level", "unit_id", "other_id", "area_m2", "share", "detail"]


def _problem(
    problem: str,
    level: object,
    unit_id: object,
    other_id: object,
    *,
    area_m2: float = float("nan"),
    share: float = float("nan"),
    detail: str = "",
) -> dict[str, Any]:
    return {
        "problem": problem,
        "level": level,
        "unit_id": unit_id,
        "other_id": other_id,
        "area_m2": area_m2,
        "share": share,
        "detail": detail,
    }


def _outside_parent(
    metric: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    pos_of: dict[str, int],
    min_area_m2: float,
    min_share: float,
) -> list[dict[str, Any]]:
    pids = metric["parent_id"].to_numpy(dtype=object)
    has = np.array([p is not None and p in pos_of for p in pids], dtype=bool)
    if not has.any():
        return []
    ci = np.flatnonzero(has)
    pi = np.array([pos_of[p] for p in pids[has]], dtype=int)
    outside = shapely.area(shapely.difference(geoms[ci], geoms[pi]))
    child_area = shapely.area(geoms[ci])
    share = np.divide(outside, child_area, out=np.zeros_like(outside), where=child_area > 0)
    bad = (outside >= min_area_m2) & (share >= min_share)
    return [
        _problem(
            "outside_parent",
            str(metric["level"].iat[c]),
            str(metric["unit_id"].iat[c]),
            str(pids[c]),
            area_m2=float(a),
            share=float(s),
            detail=f"{a / 1e6:.3f} km² ({s:.1%}) outside parent {pids[c]!r}",
        )
        for c, a, s in zip(ci[bad], outside[bad], share[bad], strict=True)
    ]


def _overlaps(
    geoms: NDArray[np.object_], ids: NDArray[np.object_], level: str, min_area_m2: float
) -> list[dict[str, Any]]:
    if len(geoms) < 2:
        return []
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="overlaps")
    keep = a < b
    a, b = a[keep], b[keep]
    # 'overlaps' misses a unit lying wholly inside another: add 'contains' pairs.
    c, d = tree.query(geoms, predicate="contains")
    keep = c != d
    a, b = np.concatenate([a, c[keep]]), np.concatenate([b, d[keep]])
    if not len(a):
        return []
    pairs = np.unique(np.sort(np.column_stack([a, b]), axis=1), axis=0)
    area = shapely.area(shapely.intersection(geoms[pairs[:, 0]], geoms[pairs[:, 1]]))
    big = area >= min_area_m2
    return [
        _problem(
            "overlap",
            level,
            str(ids[i]),
            str(ids[j]),
            area_m2=float(ar),
            detail=f"{ids[i]!r} and {ids[j]!r} overlap by {ar / 1e6:.3f} km²",
        )
        for (i, j), ar in zip(pairs[big], area[big], strict=True)
    ]


def _gaps(
    metric: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    pos_of: dict[str, int],
    min_area_m2: float,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    child_rows = metric.loc[metric["parent_id"].notna() & metric["parent_id"].isin(list(pos_of))]
    if child_rows.empty:
        return rows
    union = child_rows.groupby("parent_id", sort=True).geometry.apply(
        lambda s: shapely.union_all(np.asarray(s.values, dtype=object))
    )
    parent_pos = np.array([pos_of[p] for p in union.index], dtype=int)
    gap = shapely.difference(geoms[parent_pos], np.asarray(union.values, dtype=object))
    # Keep only gap parts that are not slivers along the edge.
    parts, owner = shapely.get_parts(gap, return_index=True)
    part_area = shapely.area(parts)
    big = part_area >= min_area_m2
    total = np.bincount(owner[big], weights=part_area[big], minlength=len(union))
    nparts = np.bincount(owner[big], minlength=len(union))
    parent_area = shapely.area(geoms[parent_pos])
    for k in np.flatnonzero(total > 0):
        pid = str(union.index[k])
        rows.append(
            _problem(
                "gap",
                str(metric["level"].iat[parent_pos[k]]),
                pid,
                None,
                area_m2=float(total[k]),
                share=float(total[k] / parent_area[k]),
                detail=f"{total[k] / 1e6:.3f} km² of {pid!r} in {nparts[k]} part(s) "
                "is covered by none of its children",
            )
        )
    return rows


def assign_parents(
    frames: dict[str, gpd.GeoDataFrame], levels: Sequence[str], how: str, *, source: str
) -> dict[str, list[str | None]]:
    """Parents for one-layer-per-level input: ``"codes"``, ``"containment"`` or ``"auto"``.

    ``"auto"`` uses codes when every child's code has a parent code as its
    prefix, and containment otherwise (per pair of levels).
    """
    out: dict[str, list[str | None]] = {levels[0]: [None] * len(frames[levels[0]])}
    for upper, lower in itertools.pairwise(levels):
        parents, children = frames[upper], frames[lower]
        pid = parents["unit_id"].tolist()
        by_code: list[str | None] = []
        if how in ("codes", "auto"):
            by_code = parents_from_codes(children["unit_id"].tolist(), pid)
            if how == "codes" and any(p is None for p in by_code):
                bad = children["unit_id"][[p is None for p in by_code]]
                msg = (
                    f"{source}: {len(bad)} {lower} unit(s) have no {upper} whose admin code "
                    f"is a prefix of theirs: unit_ids {format_ids(bad)}; use parent='containment'"
                )
                raise TopologyError(msg)
        if by_code and all(p is not None for p in by_code):
            out[lower] = by_code
            continue
        if parents.crs != children.crs:
            children = children.to_crs(parents.crs)
        found, _ = parents_from_containment(children.geometry, parents.geometry, pid)
        out[lower] = found
    return out
