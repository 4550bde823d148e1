"""Public exceptions and warnings.

Every error rivermap raises for bad input is a :class:`RivermapError`, and each
subclass is also a :class:`ValueError`, so ``except ValueError`` keeps working:
:class:`ParameterError` for a bad argument, :class:`SchemaError`,
:class:`CRSError`, :class:`TopologyError` and :class:`DataError` for bad data,
:class:`OutputExistsError` for an output that would be overwritten. A wrong
*type* of argument is a plain :class:`TypeError`, as in Python itself.
Messages name the file or argument, the column, and the offending ids (the
first five and a count), and say what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "CRSError",
    "DataError",
    "OutputExistsError",
    "ParameterError",
    "RivermapError",
    "RivermapWarning",
    "SchemaError",
    "TopologyError",
    "format_ids",
    "require_columns",
]


class RivermapError(ValueError):
    """Base class of every user-facing rivermap error."""


class ParameterError(RivermapError):
    """An argument a user gave is out of range or not one of its choices.

    Raised by the library's functions for a bad option (``min_share=2``,
    ``policy="biggest"``, ``level="ward"``) and so, through the command line,
    for a bad flag: the CLI turns every :class:`RivermapError` into one line on
    stderr and exit code 2. As a :class:`ValueError`, ``except ValueError``
    keeps working.
    """


class CRSError(RivermapError):
    """A coordinate reference system is missing, unknown or mismatched."""


class SchemaError(RivermapError):
    """Columns, ids or geometry types are not what rivermap needs."""


class TopologyError(RivermapError):
    """Administrative units do not nest or tile as declared."""


class DataError(RivermapError):
    """A file cannot be read, or its content cannot be decoded."""


class OutputExistsError(RivermapError, FileExistsError):
    """An output file exists and ``overwrite`` was not given."""


class RivermapWarning(UserWarning):
    """Something in the input was repaired or dropped; the message says how much."""


def format_ids(ids: Iterable[object], *, limit: int = 5) -> str:
    """Format offending ids as ``'a', 'b', 'c' … (12 in all)``.

    Parameters
    ----------
    ids
        The offending ids, in the order they were found.
    limit
        How many to show before summarising the rest by count.

    Examples
    --------
    >>> format_ids(["a", "b"])
    "'a', 'b'"
    >>> format_ids(range(8), limit=3)
    '0, 1, 2 … (8 in all)'
    >>> format_ids(["x" * 10_000])
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (10,000 characters)"
    """
    items = list(ids)
    shown = ", ".join(_one_id(i) for i in items[:limit])
    if len(items) > limit:
        return f"{shown} … ({len(items)} in all)"
    return shown


#: Longer ids and names are cut in messages (a 10,000-character name is one line, not 60 KB).
_ID_CHARS = 80


def _one_id(item: object) -> str:
    """Return one id as a message shows it: a text quoted, cut past :data:`_ID_CHARS`."""
    if not isinstance(item, str):
        return str(item)
    if len(item) <= _ID_CHARS:
        return repr(item)
    return repr(item[: _ID_CHARS - 20] + "…") + f" ({len(item):,} characters)"


def require_columns(
    columns: Iterable[object], needed: Sequence[str], where: str, *, hint: str = ""
) -> None:
    """Raise :class:`SchemaError` naming the ``needed`` columns that ``columns`` lacks.

    Parameters
    ----------
    columns
        The columns a table has.
    needed
        The columns it must have.
    where
        The file or argument the table came from, for the message.
    hint
        What to do, said after the missing columns; by default the message
        lists the columns the table has.

    Examples
    --------
    >>> require_columns(["unit_id", "geometry"], ["unit_id", "name"], "u.gpkg")
    Traceback (most recent call last):
    ...
    rivermap.errors.SchemaError: u.gpkg: missing column(s) 'name'; columns are 'unit_id', 'geometry'
    """
    have = [str(c) for c in columns]
    missing = [c for c in needed if c not in have]
    if missing:
        then = hint or f"columns are {format_ids(have, limit=20)}"
        msg = f"{where}: missing column(s) {format_ids(missing)}; {then}"
        raise SchemaError(msg)
