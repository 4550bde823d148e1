"""Random corruptions of good inputs' bytes: a RivermapError or success, never another exception.

Hypothesis corrupts the corpus's good GeoPackage, roster CSV and roster XLSX
(``tests/data/bad/good*``) with a few operations on their bytes (flip bits,
truncate, insert bytes, delete a run) and reads the result through the
public readers and the command line:

* the GeoPackage through ``rivermap validate`` (which reads the rivers and
  every level, then checks them): exit code 0, 1 or 2, never 3 (a bug);
* the roster through :func:`rivermap.read_chiefs` with the units and rivers
  it refers to; an XLSX is corrupted both as raw bytes (the zip) and inside
  (its worksheet's XML, zipped again, so the XML parser sees the damage).

Examples are derandomized (the same every run) and few, to keep the suite
fast; ``RIVERMAP_FUZZ_EXAMPLES`` raises their number for a longer hunt.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rivermap as rm
from rivermap.cli import main
from rivermap.errors import RivermapError

GOOD = Path(__file__).resolve().parent / "data" / "bad"
EXAMPLES = int(os.environ.get("RIVERMAP_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)

#: One change to a file's bytes: (kind, position, bits or length, bytes inserted).
Op = tuple[str, int, int, bytes]
ops = st.lists(
    st.tuples(
        st.sampled_from(["flip", "truncate", "insert", "delete"]),
        st.integers(min_value=0, max_value=2**31),
        st.integers(min_value=1, max_value=255),
        st.binary(min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=6,
)


def corrupt(data: bytes, changes: list[Op]) -> bytes:
    """Return ``data`` with ``changes`` applied in order (positions wrap around its length).

    Examples
    --------
    >>> corrupt(b"abcdef", [("flip", 0, 1, b""), ("truncate", 4, 1, b"")])
    b'`bcd'
    >>> corrupt(b"abc", [("insert", 1, 1, b"XY"), ("delete", 0, 2, b"")])
    b'Ybc'
    """
    out = bytearray(data)
    for kind, at, n, extra in changes:
        pos = at % max(len(out), 1)
        if kind == "flip" and out:
            out[pos] ^= n
        elif kind == "truncate":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = extra
        elif kind == "delete":
            del out[pos : pos + n]
    return bytes(out)


def _corrupt_inside(book: bytes, member: str, changes: list[Op]) -> bytes:
    """Return the workbook ``book`` with one member's bytes corrupted and the zip made again."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info, corrupt(body, changes) if info.filename == member else body)
    return out.getvalue()


def _corrupt_feature(path: Path, table: str, pick: int, column: str, changes: list[Op]) -> None:
    """Corrupt one feature's geometry blob or name of a GeoPackage, in place.

    The file stays a sound SQLite database, so GDAL opens it and meets the
    damage in the feature itself. The R-tree triggers are dropped first: they
    call spatial SQL functions plain SQLite lacks (the index goes stale, a
    damage of its own).
    """
    with contextlib.closing(sqlite3.connect(path)) as db:
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        fids = [fid for (fid,) in db.execute(f'SELECT fid FROM "{table}"')]
        fid = fids[pick % len(fids)]
        (value,) = db.execute(f'SELECT "{column}" FROM "{table}" WHERE fid = ?', (fid,)).fetchone()
        raw = value.encode("utf-8") if isinstance(value, str) else value
        db.execute(
            f'UPDATE "{table}" SET "{column}" = ? WHERE fid = ?', (corrupt(raw, changes), fid)
        )
        db.commit()


def _quietly(read: Callable[[], object]) -> None:
    """Call ``read``; warnings are allowed (they are messages, not failures)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(RivermapError):  # a user error that says what is wrong
            read()


@pytest.fixture(scope="module")
def resp() -> rm.Responsibility:
    """Return the good corpus's units and rivers assigned, for a roster to refer to."""
    path = GOOD / "good.gpkg"
    rivers = rm.read_rivers(path, layer="rivers", merge_by="name")
    units = rm.read_units(path, levels=["province", "city", "district"])
    return rm.assign(rivers, units)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder for the corrupted files (each example overwrites the last)."""
    return tmp_path_factory.mktemp("fuzz")


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(changes=ops)
def test_a_corrupted_geopackage_is_read_or_refused(changes: list[Op], scratch: Path) -> None:
    path = _write(scratch, "rivers.gpkg", corrupt((GOOD / "good.gpkg").read_bytes(), changes))
    argv = ["validate", str(path), str(path), "--id-col", "river_id", "--quiet", "--lang", "en"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(argv)
    assert code in (0, 1, 2), f"exit {code} for {changes}"


@FUZZ
@given(
    changes=ops,
    table=st.sampled_from(["rivers", "province", "city", "district"]),
    pick=st.integers(min_value=0, max_value=100),
    column=st.sampled_from(["geom", "name"]),
)
def test_a_geopackage_with_a_corrupted_feature_is_read_or_refused(
    changes: list[Op], table: str, pick: int, column: str, scratch: Path
) -> None:
    path = _write(scratch, "feature.gpkg", (GOOD / "good.gpkg").read_bytes())
    _corrupt_feature(path, table, pick, column, changes)
    argv = ["validate", str(path), str(path), "--id-col", "river_id", "--quiet", "--lang", "en"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(argv)
    assert code in (0, 1, 2), f"exit {code} for {table} #{pick} {column}: {changes}"


@FUZZ
@given(changes=ops)
def test_a_corrupted_roster_csv_is_read_or_refused(
    changes: list[Op], resp: rm.Responsibility, scratch: Path
) -> None:
    path = _write(scratch, "roster.csv", corrupt((GOOD / "good_roster.csv").read_bytes(), changes))
    _quietly(lambda: rm.read_chiefs(path, units=resp))


@FUZZ
@given(changes=ops, inside=st.booleans())
def test_a_corrupted_roster_xlsx_is_read_or_refused(
    changes: list[Op], inside: bool, resp: rm.Responsibility, scratch: Path
) -> None:
    book = (GOOD / "good_roster.xlsx").read_bytes()
    data = _corrupt_inside(book, "xl/worksheets/sheet1.xml", changes) if inside else None
    path = _write(scratch, "roster.xlsx", data or corrupt(book, changes))
    _quietly(lambda: rm.read_chiefs(path, units=resp))
