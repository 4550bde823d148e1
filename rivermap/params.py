"""Every option a user sets: its default, its choices, and the one check for it.

The library's functions, the command line and project files all take their
defaults and choices from here, so a default changed here changes everywhere
and the CLI's ``--help`` never disagrees with the docstrings. Each check raises
:class:`~rivermap.errors.ParameterError` (a :class:`ValueError`) naming the
argument, what it got and what it accepts, and a plain :class:`TypeError` for
a value of the wrong type.

Examples
--------
>>> check_share("min_share", 0.1)
0.1
>>> check_share("min_share", 2)
Traceback (most recent call last):
...
rivermap.errors.ParameterError: min_share is a share of the river's length (0–1), got 2
>>> check_choice("policy", "biggest", REDIVIDE_POLICIES)
Traceback (most recent call last):
...
rivermap.errors.ParameterError: policy must be one of 'split', 'majority', 'parent'; got 'biggest'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rivermap.errors import ParameterError

__all__ = [
    "AMBIGUOUS_M",
    "BASEMAPS",
    "BOUNDARY_MIN_M",
    "BOUNDARY_POLICIES",
    "BOUNDARY_POLICY",
    "BOUNDARY_TOL_M",
    "DUPLICATE_H",
    "DUPLICATE_M",
    "EDIT_TOLERANCE_M",
    "FENCE",
    "GCJ02_BASEMAPS",
    "LANG",
    "LANGS",
    "MAX_DIST_M",
    "MAX_SPEED_KMH",
    "MIN_IN_UNITS_SHARE",
    "MIN_LENGTH_M",
    "MIN_ON_RIVER_SHARE",
    "MIN_PEOPLE",
    "MIN_REACH_M",
    "MIN_SEGMENT_M",
    "MIN_SHARE",
    "ORIENTATIONS",
    "PAPERS",
    "PATROL_TOL_M",
    "PERIODS",
    "REDIVIDE_POLICIES",
    "REDIVIDE_POLICY",
    "TILES",
    "check_basemaps",
    "check_choice",
    "check_count",
    "check_lang",
    "check_length",
    "check_level",
    "check_number",
    "check_scheduler",
    "check_share",
    "check_tiles",
    "check_workers",
]

#: Languages of every table, message, map and atlas.
LANGS: tuple[str, ...] = ("zh", "en")
#: What a signboard stands for: a whole river at its chief unit, or the stretch
#: of a river in one unit of the level (一河一长 at village level).
BOARD_PER: tuple[str, ...] = ("river", "stretch")
LANG = "zh"

# ---------------------------------------------------------------- assign
#: Pieces shorter than this (metres) are merged into a neighbour.
MIN_REACH_M = 50.0
#: Within this distance (metres) of a boundary a river runs along it.
BOUNDARY_TOL_M = 20.0
#: The shortest stretch along a boundary (metres) that is a boundary reach.
BOUNDARY_MIN_M = 200.0
#: Who answers for a boundary reach: each side its bank, the common parent, or
#: the side holding more of the river.
BOUNDARY_POLICIES: tuple[str, ...] = ("bank", "parent", "lead")
BOUNDARY_POLICY = "bank"
#: The size of the tiles of :mod:`rivermap.scale`: ``"auto"`` (from the memory
#: available), or about this many river vertices a tile.
TILES = "auto"

# ----------------------------------------------------------------- flags
#: A unit's holding is significant from this share of the river's length ...
MIN_SHARE = 0.05
#: ... and this many metres.
MIN_LENGTH_M = 200.0

# -------------------------------------------------------------- redivide
#: How a plan gives every stretch one unit.
REDIVIDE_POLICIES: tuple[str, ...] = ("split", "majority", "parent")
REDIVIDE_POLICY = "split"
#: Stretches shorter than this (metres) join their longer neighbour.
MIN_SEGMENT_M = 200.0
#: How far (metres) an edit point or an official segment may lie from a river.
EDIT_TOLERANCE_M = 50.0

# ---------------------------------------------------------------- chiefs
#: The IQR multiple of a level's default overload limit (Tukey's far-out fence).
FENCE = 3.0
#: Levels with fewer chiefs holding reaches get no default overload limit.
MIN_PEOPLE = 8

# ------------------------------------------------------------- rendering
#: Basemaps of the web map (``None``: no tiles, fully offline).
BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "gaode")
#: Basemaps drawn in GCJ-02 (the map shifts every geometry to match them), which
#: therefore cannot share a map with the WGS84 ones.
GCJ02_BASEMAPS: tuple[str, ...] = ("gaode",)
#: Paper sizes and orientations of the atlas.
PAPERS: tuple[str, ...] = ("A4", "A3")
ORIENTATIONS: tuple[str, ...] = ("auto", "portrait", "landscape")

# ------------------------------------------------------------- reporting
#: How far from the nearest reach a report may lie and still be routed to it (m).
MAX_DIST_M = 200.0
#: A report is ambiguous when a reach of another unit lies within this many
#: metres of the distance to the nearest reach.
AMBIGUOUS_M = 15.0
#: Two reports of one category within this distance (m) and …
DUPLICATE_M = 50.0
#: … this many hours of each other are possible duplicates.
DUPLICATE_H = 72.0

# ------------------------------------------------------------- patrolling
#: A track counts along a reach where it stays within this distance of it (m).
PATROL_TOL_M = 50.0
#: Faster than this over most of its length, a track is a drive past (km/h).
MAX_SPEED_KMH = 20.0
#: A valid patrol keeps at least this share of its length along rivers …
MIN_ON_RIVER_SHARE = 0.5
#: … and at least this share of its points inside the person's own units.
MIN_IN_UNITS_SHARE = 0.5
#: The periods a duty is counted over.
PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` when it is one of ``choices``; raise ParameterError otherwise.

    Parameters
    ----------
    name
        The argument's name, as the user wrote it.
    value
        What the user gave.
    choices
        The values accepted.

    Returns
    -------
    str
        ``value``.
    """
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        msg = f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}"
        raise ParameterError(msg)
    return value


def check_basemaps(name: str, value: Any) -> tuple[tuple[str, str | None], ...]:
    """Return the basemaps of a web map as ``(kind, key)`` pairs, in the order given.

    ``value`` is None, one name, names separated by commas (``"osm,tianditu"``)
    or a list of names; a name is one of :data:`BASEMAPS` or ``"none"`` (the
    map without tiles, which every map with tiles also offers), and
    ``tianditu`` may carry its key as ``"tianditu:KEY"`` (else ``key`` is None).
    ``None``, ``""`` and ``"none"`` alone mean no tiles: ``()``; empty names
    (a stray comma) are skipped. A GCJ-02
    basemap (:data:`GCJ02_BASEMAPS`) cannot be mixed with WGS84 ones, since the
    whole map is shifted to GCJ-02 for it.

    Raises
    ------
    ParameterError
        An unknown or repeated name, or GCJ-02 and WGS84 basemaps together.
    TypeError
        Neither a string, a list of strings nor None.

    Examples
    --------
    >>> check_basemaps("basemap", "OSM, tianditu:abc")
    (('osm', None), ('tianditu', 'abc'))
    >>> check_basemaps("basemap", ["none", "osm"]), check_basemaps("basemap", "none")
    ((('none', None), ('osm', None)), ())
    >>> check_basemaps("basemap", "osm,gaode")
    Traceback (most recent call last):
    ...
    rivermap.errors.ParameterError: basemap cannot mix gaode with osm: gaode tiles are in GCJ-02 \
and the map shifts every geometry to GCJ-02 to match them, so WGS84 tiles would sit hundreds \
of metres off; choose gaode alone or the others without it
    """
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        msg = f"{name} must be a string, a list of strings or None, not {type(value).__name__}"
        raise TypeError(msg)
    out: list[tuple[str, str | None]] = []
    for part in parts:
        if not part.strip():  # "", or a stray comma
            continue
        kind, _, key = part.strip().partition(":")
        kind = check_choice(name, kind.strip().lower(), ("none", *BASEMAPS))
        if kind in {k for k, _ in out}:
            msg = f"{name} names {kind} twice; name each basemap once"
            raise ParameterError(msg)
        out.append((kind, key.strip() or None if kind == "tianditu" else None))
    kinds = [k for k, _ in out]
    gcj = [k for k in kinds if k in GCJ02_BASEMAPS]
    wgs = [k for k in kinds if k not in GCJ02_BASEMAPS and k != "none"]
    if gcj and wgs:
        msg = (
            f"{name} cannot mix {', '.join(gcj)} with {', '.join(wgs)}: {gcj[0]} tiles are in "
            f"GCJ-02 and the map shifts every geometry to GCJ-02 to match them, so WGS84 tiles "
            f"would sit hundreds of metres off; choose {gcj[0]} alone or the others without it"
        )
        raise ParameterError(msg)
    return () if kinds in ([], ["none"]) else tuple(out)


def check_lang(lang: Any) -> str:
    """Return ``lang`` when it is ``"zh"`` or ``"en"``; raise ParameterError otherwise.

    Examples
    --------
    >>> check_lang("en")
    'en'
    """
    return check_choice("lang", lang, LANGS)


def check_level(level: Any, levels: Sequence[str], *, name: str = "level") -> str:
    """Return ``level`` when it is one of ``levels``; raise ParameterError otherwise.

    Examples
    --------
    >>> check_level("city", ("province", "city"))
    'city'
    """
    if not isinstance(level, str) or level not in levels:
        msg = f"{name} must be one of {', '.join(map(repr, levels))}; got {level!r}"
        raise ParameterError(msg)
    return level


def _number(name: str, value: Any, what: str) -> float:
    if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
        msg = f"{name} must be {what}, got {type(value).__name__}"
        raise TypeError(msg)
    return float(value)


def check_length(name: str, value: Any, *, finite: bool = True) -> float:
    """Return a non-negative length in metres as a float; raise ParameterError otherwise.

    Parameters
    ----------
    name
        The argument's name.
    value
        What the user gave.
    finite
        Whether infinity is refused (``boundary_min_m=inf`` is allowed: it
        turns boundary reaches off).

    Returns
    -------
    float
        ``value``.
    """
    out = _number(name, value, "a number of metres")
    if math.isnan(out) or out < 0 or (finite and math.isinf(out)):
        kind = "finite non-negative" if finite else "non-negative"
        msg = f"{name} must be a {kind} number of metres, got {value!r}"
        raise ParameterError(msg)
    return out


def check_number(name: str, value: Any) -> float:
    """Return a finite number of 0 or more as a float; raise ParameterError otherwise.

    Examples
    --------
    >>> check_number("fence", 3)
    3.0
    """
    out = _number(name, value, "a number")
    if not math.isfinite(out) or out < 0:
        msg = f"{name} must be a finite number of 0 or more, got {value!r}"
        raise ParameterError(msg)
    return out


def check_count(name: str, value: Any) -> int:
    """Return a whole number of 0 or more; raise ParameterError otherwise.

    Examples
    --------
    >>> check_count("min_people", 8)
    8
    """
    if not isinstance(value, int | np.integer) or isinstance(value, bool):
        msg = f"{name} must be a whole number, got {type(value).__name__}"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be 0 or more, got {value!r}"
        raise ParameterError(msg)
    return int(value)


def check_share(name: str, value: Any) -> float:
    """Return a share of a river's length (0–1) as a float; raise ParameterError otherwise."""
    out = _number(name, value, "a number from 0 to 1")
    if not 0 <= out <= 1:  # NaN fails too
        msg = f"{name} is a share of the river's length (0–1), got {value!r}"
        raise ParameterError(msg)
    return out


def check_workers(workers: Any) -> int | None:
    """Return a thread count of 1 or more (or None: every core); raise ParameterError otherwise.

    Examples
    --------
    >>> check_workers(None), check_workers(2)
    (None, 2)
    """
    if workers is None:
        return None
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        msg = f"workers must be a whole number of 1 or more, or None (every core); got {workers!r}"
        raise ParameterError(msg)
    return workers


def check_tiles(name: str, value: Any) -> str | int:
    """Return a tile size: ``"auto"``, or a whole number of river vertices of 1 or more.

    Examples
    --------
    >>> check_tiles("tiles", "auto"), check_tiles("tiles", 200_000), check_tiles("tiles", "5000")
    ('auto', 200000, 5000)
    >>> check_tiles("--tiles", "big")
    Traceback (most recent call last):
    ...
    rivermap.errors.ParameterError: --tiles must be auto or a whole number of river vertices \
of 1 or more, got 'big'
    """
    number = value
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        number = int(value.strip()) if value.strip().isdigit() else None
    if not isinstance(number, int | np.integer) or isinstance(number, bool) or number < 1:
        msg = f"{name} must be auto or a whole number of river vertices of 1 or more, got {value!r}"
        raise ParameterError(msg)
    return int(number)


def check_scheduler(name: str, value: Any) -> Any:
    """Return a Dask scheduler: an address such as ``tcp://10.0.0.5:8786``, or a ``Client``.

    An address is a string with a scheme (``tcp://``, ``tls://``, ``ucx://``,
    ``inproc://``); a ``distributed.Client`` is passed on as it is.

    Examples
    --------
    >>> check_scheduler("scheduler", "tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    >>> check_scheduler("--scheduler", "127.0.0.1:8786")
    Traceback (most recent call last):
    ...
    rivermap.errors.ParameterError: --scheduler must be a Dask scheduler's address such as \
tcp://10.0.0.5:8786 (or a distributed.Client), got '127.0.0.1:8786'
    """
    if type(value).__name__ == "Client" and type(value).__module__.startswith("distributed"):
        return value
    scheme, sep, rest = value.partition("://") if isinstance(value, str) else ("", "", "")
    if not sep or not rest or scheme not in ("tcp", "tls", "ucx", "inproc", "ws", "wss"):
        msg = (
            f"{name} must be a Dask scheduler's address such as tcp://10.0.0.5:8786 "
            f"(or a distributed.Client), got {value!r}"
        )
        raise ParameterError(msg)
    return value
