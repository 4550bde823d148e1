"""Clean up after a crash (issue #18): scratch names carry the process id; the next run sweeps.

Unit tests of :mod:`rivermap._scratch` (names, which entries a sweep removes,
the four places that make scratch entries), then the real command line killed
with SIGKILL during ``assign -o``, ``atlas`` and ``run``. A killed process runs
no ``finally``, so its scratch entries stay; the same command run again must
succeed, remove them, say so, and leave nothing else with the prefix.

To kill each command while its scratch entry is on disk, whatever the
machine's load, the killed run is the real ``rivermap.cli.main`` in a child
process whose ``os.replace`` waits before moving a scratch entry into place:
the test kills it as soon as the entry holds data, so at the latest just
before the move. The run after it is ``python -m rivermap.cli``, untouched.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

import rivermap as rm
from rivermap._scratch import PREFIX, _host, is_running, owner, scratch_dir, scratch_file, sweep
from rivermap.errors import RivermapWarning
from rivermap.io import atomic_output

DEMO = str(rm.datasets.get_path("zhejiang"))
no_sigkill = pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SIGKILL")
#: The real CLI, whose moves of a scratch entry into place wait to be killed.
HELD_CLI = textwrap.dedent(
    """
    import os, sys, time
    replace = os.replace
    def held(src, dst):
        if ".rivermap-" in os.fspath(src):
            time.sleep(600)
        replace(src, dst)
    os.replace = held
    from rivermap.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


# ------------------------------------------------------------------ helpers
def dead_pid() -> int:
    """Return the id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not is_running(proc.pid)
    return proc.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """Yield the id of a running process other than this one."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def scratch_name(pid: int, rest: str) -> str:
    """Return a scratch name as process ``pid`` of this machine makes it."""
    return f"{PREFIX}{pid}-{_host()}-{rest}"


def with_prefix(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(PREFIX))


# --------------------------------------------------------------- unit tests
def test_scratch_names_carry_the_prefix_the_pid_and_the_machine(tmp_path: Path) -> None:
    pid = os.getpid()
    tmp = scratch_file(tmp_path / "sub" / "钱塘江.gpkg")
    assert re.fullmatch(rf"\.rivermap-{pid}-[0-9a-f]{{6}}-钱塘江\.[^.]+\.gpkg", tmp.name)
    assert tmp.parent == tmp_path / "sub"
    assert tmp.stat().st_size == 0
    staging = scratch_dir(tmp_path / "out")
    assert re.fullmatch(rf"\.rivermap-{pid}-[0-9a-f]{{6}}-out\.[^.]+", staging.name)
    assert staging.is_dir()
    assert staging.parent == tmp_path
    assert owner(tmp.name) == owner(staging.name) == pid
    assert tmp.name.split("-")[2] == staging.name.split("-")[2]  # one machine, one tag


def test_owner_knows_only_scratch_names_of_this_machine() -> None:
    mine = scratch_name(4242, "out.k2x9.gpkg-journal")
    assert owner(mine) == 4242
    host = mine.split("-")[2]
    other = "000000" if host != "000000" else "ffffff"
    for name in [
        f".rivermap-4242-{other}-out.k2x9.gpkg",  # another machine's (a shared folder)
        ".out.k2x9.gpkg",  # an old-style temp file: whose, nobody knows
        ".rivermap-notes",
        f".rivermap-0-{host}-out.k2x9.gpkg",
        f".rivermap-99999999999-{host}-out.k2x9.gpkg",
        "rivermap-4242-" + host + "-out.gpkg",  # not hidden: not ours
    ]:
        assert owner(name) is None, name


def test_sweep_removes_a_dead_process_leftovers_and_keeps_the_rest(
    tmp_path: Path, live_pid: int
) -> None:
    dead = dead_pid()
    leftovers = [
        scratch_name(dead, "out.a1b2.gpkg"),
        *(scratch_name(dead, "out.a1b2.gpkg" + side) for side in ("-journal", "-wal", "-shm")),
        scratch_name(dead, "out.c3d4"),  # a staging folder, with a file in it
    ]
    kept = [
        scratch_name(live_pid, "out.e5f6.gpkg"),  # another run at work
        scratch_name(live_pid, "run.g7h8"),
        scratch_name(os.getpid(), "atlas.i9j0.pdf"),  # this process's own
        ".out.k1l2.gpkg",
        ".rivermap-notes",
        ".hidden",
        "out.gpkg",
    ]
    for name in leftovers + kept:
        (tmp_path / name).write_bytes(b"x")
    for name in (leftovers[-1], kept[1]):
        (tmp_path / name).unlink()
        (tmp_path / name).mkdir()
        (tmp_path / name / "reaches.gpkg").write_bytes(b"x")
    with pytest.warns(RivermapWarning) as caught:
        removed = sweep(tmp_path)
    assert sorted(p.name for p in removed) == sorted(leftovers)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
    assert (tmp_path / kept[1] / "reaches.gpkg").exists()
    (message,) = [str(w.message) for w in caught]
    assert message.startswith(f"{tmp_path}: removed 5 leftover(s) of an interrupted rivermap run")
    assert f"(pid {dead})" in message
    assert all(repr(name) in message for name in leftovers)


def test_sweep_quiet_a_missing_folder_and_nothing_to_do(tmp_path: Path) -> None:
    dead = dead_pid()
    (tmp_path / scratch_name(dead, "f.x.ttf")).write_bytes(b"x")
    assert [p.name for p in sweep(tmp_path, quiet=True)] == [scratch_name(dead, "f.x.ttf")]
    assert sweep(tmp_path) == []  # no warning: pytest makes one an error
    assert sweep(tmp_path / "missing") == []


def test_atomic_output_sweeps_first_and_discards_sqlite_files_on_failure(tmp_path: Path) -> None:
    left = tmp_path / scratch_name(dead_pid(), "old.z.gpkg")
    left.write_bytes(b"x")
    with pytest.warns(RivermapWarning, match="removed 1 leftover"), pytest.raises(RuntimeError):
        fail_halfway(tmp_path / "out.gpkg")
    assert list(tmp_path.iterdir()) == []


def fail_halfway(out: Path) -> None:
    """Fail while writing ``out`` as GDAL would, the scratch file and SQLite's files made."""
    with atomic_output(out) as tmp:
        assert owner(tmp.name) == os.getpid()
        assert not tmp.exists()  # for GDAL to create
        for name in (tmp.name, tmp.name + "-journal", tmp.name + "-wal"):
            (out.parent / name).write_bytes(b"half")
        raise RuntimeError


def test_a_tracks_folder_is_written_through_a_scratch_folder(tmp_path: Path) -> None:
    from rivermap._synth_reports import _write_gpx

    left = tmp_path / scratch_name(dead_pid(), "tracks.q.old")
    left.mkdir()
    tracks = gpd.GeoDataFrame(
        {
            "patrol_id": ["P1", "P1"],
            "person": ["张三", "张三"],
            "time": pd.to_datetime(["2026-11-02 09:00", "2026-11-02 09:01"]),
        },
        geometry=[Point(120.1, 30.2), Point(120.11, 30.21)],
        crs="EPSG:4326",
    )
    with pytest.warns(RivermapWarning, match=re.escape(repr(left.name))):
        _write_gpx(tracks, tmp_path / "tracks")
    assert [p.name for p in tmp_path.iterdir()] == ["tracks"]
    assert [p.name for p in (tmp_path / "tracks").iterdir()] == ["P1.gpx"]


def test_the_font_cache_is_swept_without_a_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rivermap.maps import _fonts

    monkeypatch.setattr(_fonts, "_cache_dir", lambda: tmp_path)  # an empty cache
    left = tmp_path / scratch_name(dead_pid(), "NotoSansCJKsc-x.y.ttf")
    left.write_bytes(b"x")
    font = _fonts.font_for(["钱塘江"])  # no warning: pytest would make it an error
    assert [p.name for p in tmp_path.iterdir()] == [font.name]


# ------------------------------------------------------------ SIGKILL tests
def start_held(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """Start the real CLI, its moves of scratch entries into place held."""
    return subprocess.Popen(
        [sys.executable, "-c", HELD_CLI, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def written(folder: Path) -> bool:
    """Whether ``folder`` holds a scratch folder or a scratch file with data in it."""
    for path in folder.glob(f"{PREFIX}*"):
        try:
            if path.is_dir() or path.stat().st_size > 0:
                return True
        except FileNotFoundError:  # moved or unlinked since the listing
            continue
    return False


def kill_when_written(proc: subprocess.Popen[str], folder: Path) -> list[str]:
    """SIGKILL ``proc`` once its scratch entry in ``folder`` holds data; return the leftovers."""
    import signal

    deadline = time.monotonic() + 300  # a guard for a stuck machine, not a speed test
    while not written(folder):
        if proc.poll() is not None:
            pytest.fail(f"exit {proc.returncode} before any scratch entry: {proc.communicate()[1]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no scratch entry in {folder} after 300 s")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    left = with_prefix(folder)
    assert left
    assert all(owner(name) == proc.pid for name in left), left
    return left


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rivermap.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_swept(
    done: subprocess.CompletedProcess[str], folder: Path, pid: int, left: list[str]
) -> None:
    """Check that the run after the kill succeeded, removed ``left`` and said so."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"removed {len(left)} leftover(s) of an interrupted rivermap run" in done.stderr
    assert f"(pid {pid})" in done.stderr
    assert all(repr(name) in done.stderr for name in left[:5])
    assert with_prefix(folder) == []


@no_sigkill
@pytest.mark.parametrize("earlier", [False, True], ids=["new", "earlier output kept"])
def test_sigkill_during_assign(tmp_path: Path, earlier: bool) -> None:
    out = tmp_path / "out.gpkg"
    args = ["assign", DEMO, DEMO, "--merge-by", "name", "-o", str(out), "--quiet"]
    if earlier:
        assert run_cli(args, tmp_path).returncode == 0
        before = out.read_bytes()
        args.append("--overwrite")
    proc = start_held(args, tmp_path)
    left = kill_when_written(proc, tmp_path)
    if earlier:
        assert out.read_bytes() == before
    else:
        assert not out.exists()
    done = run_cli(args, tmp_path)
    assert_swept(done, tmp_path, proc.pid, left)
    assert rm.read_responsibility(out).reaches.shape[0] > 0


@no_sigkill
def test_sigkill_during_atlas(tmp_path: Path, demo: rm.Responsibility) -> None:
    gpkg = demo.to_file(tmp_path / "in" / "responsibility.gpkg")
    pdf = tmp_path / "print" / "atlas.pdf"
    args = ["atlas", str(gpkg), "-o", str(pdf), "--by", "province", "--quiet"]
    pdf.parent.mkdir()
    proc = start_held(args, tmp_path)
    left = kill_when_written(proc, pdf.parent)
    assert not pdf.exists()
    done = run_cli(args, tmp_path)
    assert_swept(done, pdf.parent, proc.pid, left)
    assert pdf.read_bytes().startswith(b"%PDF")


@no_sigkill
def test_sigkill_during_run(tmp_path: Path) -> None:
    project = tmp_path / "job.toml"
    project.write_text(
        textwrap.dedent(
            f"""
            [project]
            output = "out"
            lang = "en"
            [rivers]
            path = {DEMO!r}
            layer = "rivers"
            merge_by = "name"
            [units]
            path = {DEMO!r}
            levels = ["province", "city", "district"]
            [outputs]
            map = false
            atlas = false
            """
        ),
        encoding="utf-8",
    )
    args = ["run", str(project), "--quiet"]
    proc = start_held(args, tmp_path)
    left = kill_when_written(proc, tmp_path)
    assert len(left) == 1
    assert (tmp_path / left[0]).is_dir()  # the staging folder
    assert not (tmp_path / "out").exists()
    done = run_cli(args, tmp_path)
    assert_swept(done, tmp_path, proc.pid, left)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "flags.xlsx",
        "responsibility.gpkg",
    ]
