"""The C heap kept for reuse while the engine runs (:mod:`rivermap._heap`)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from rivermap import _heap

VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


class FakeLibc:
    """Records the calls of kept_heap instead of changing this process's heap."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        """Record a setting."""
        self.calls.append((param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:  # pragma: no cover - kept_heap does not trim
        """Fail: the thresholds, put back, hand the memory back."""
        msg = "kept_heap hands memory back through the thresholds, not malloc_trim"
        raise AssertionError(msg)


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> FakeLibc:
    fake = FakeLibc()
    monkeypatch.setattr(_heap, "_libc", lambda: fake)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return fake


def test_a_heap_that_adapts_is_left_alone(libc: FakeLibc) -> None:
    with _heap.kept_heap():
        pass
    assert libc.calls == []


def test_the_environments_thresholds_come_back(
    libc: FakeLibc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # as Dask's nannies set it
    with _heap.kept_heap():
        assert sorted(libc.calls) == sorted(_heap._KEPT.items())
    restored = dict(libc.calls[len(_heap._KEPT) :])
    assert restored == {_heap._M_TRIM_THRESHOLD: 65536, _heap._M_MMAP_THRESHOLD: 128 * 1024}


def test_a_higher_setting_of_the_environment_is_kept(
    libc: FakeLibc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", str(4 << 30))
    with _heap.kept_heap():
        assert dict(libc.calls)[_heap._M_TRIM_THRESHOLD] == 2**31 - 1  # mallopt's int


def test_the_last_thread_to_leave_restores(libc: FakeLibc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=262144")
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with _heap.kept_heap():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    entered.wait(10)
    with _heap.kept_heap():
        pass
    assert len(libc.calls) == len(_heap._KEPT)  # set once, still held by the other thread
    leave.set()
    thread.join()
    assert dict(libc.calls[len(_heap._KEPT) :]) == {
        _heap._M_TRIM_THRESHOLD: 128 * 1024,
        _heap._M_MMAP_THRESHOLD: 262144,
    }
    assert _heap._HOLDERS.count == 0


FAULTS = """
import resource, numpy as np
from rivermap._heap import kept_heap

def faults(n=200):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        a = np.ones(1 << 17)  # 1 MiB, written: every page touched
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults(5)
outside = faults()
with kept_heap():
    inside = faults()
after = faults()
print(outside, inside, after)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_arrays_reuse_the_heap_under_a_fixed_trim_threshold() -> None:
    """Under Dask's setting every 1 MiB array faults its pages in anew; kept, it does not."""
    env = {"MALLOC_TRIM_THRESHOLD_": "65536", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", FAULTS], env=env, capture_output=True, text=True, check=True
    )
    outside, inside, after = map(int, out.stdout.split())
    assert outside > 200 * 200  # 256 pages an array
    assert inside < outside / 20
    assert after > outside / 2  # the environment's setting is back
