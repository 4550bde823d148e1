"""The C heap while the engine runs: memory kept for reuse, then handed back.

glibc's ``malloc`` serves a large block (128 KiB and more, at first) with a
mapping of its own and unmaps it when freed; touching a fresh mapping costs
one page fault a page. By default it raises that threshold as the process frees
large blocks, so that a program which allocates and frees arrays of the same
size over and over soon serves them from its heap. Setting any of the heap's
thresholds in the environment turns that adaptation off, and Dask's nannies do
so for every worker (``MALLOC_TRIM_THRESHOLD_=65536``, so that freed memory goes
back to the system at once): every array of more than 128 KiB the engine makes
is then a new mapping. On a tile of size L (15,000 rivers) that is more than
100,000 page faults, and a tile took half as long again as in a process left
as it starts (1.4 million faults at L instead of 70,000; a third of the
worker's CPU in the kernel).

:func:`kept_heap` holds the thresholds high while the engine runs (large blocks
from the heap, freed memory kept for the next block) and puts back those of
the environment afterwards, so that what the work freed goes back to the
system as the environment asked. In a process whose thresholds still adapt
(none set in the environment) it changes nothing. Only glibc has these
settings; elsewhere both functions do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["kept_heap", "release_free_memory"]

# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -2, -3, -4
#: Each parameter: its variable, its tunable (GLIBC_TUNABLES) and glibc's default.
_PARAMETERS = {
    _M_TRIM_THRESHOLD: ("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold", 128 * 1024),
    _M_TOP_PAD: ("MALLOC_TOP_PAD_", "glibc.malloc.top_pad", 128 * 1024),
    _M_MMAP_THRESHOLD: ("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold", 128 * 1024),
    _M_MMAP_MAX: ("MALLOC_MMAP_MAX_", "glibc.malloc.mmap_max", 65536),
}
#: While the engine runs: blocks up to 32 MiB (glibc's largest threshold on 64 bits)
#: from the heap, and up to 1 GiB of freed memory kept at its top.
_KEPT = {_M_MMAP_THRESHOLD: 32 * 1024 * 1024, _M_TRIM_THRESHOLD: 1024 * 1024 * 1024}


class _Holders:
    """How many threads run in :func:`kept_heap` now."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0


_HOLDERS = _Holders()


def _libc() -> Any:
    """Return glibc, or None under another C library (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover - tested on Linux
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):  # pragma: no cover - musl
        return None
    return libc


def _c_int(value: int) -> int:
    """Return ``value`` as mallopt takes it: a C int (the environment's may be larger)."""
    return min(value, 2**31 - 1)


def fixed_settings(environ: dict[str, str] | None = None) -> dict[int, int]:
    """Return the heap's settings that the environment fixes, by mallopt parameter.

    An empty result means that glibc still adapts its thresholds.

    Examples
    --------
    >>> fixed_settings({"MALLOC_TRIM_THRESHOLD_": "65536"}) == {_M_TRIM_THRESHOLD: 65536}
    True
    >>> fixed_settings({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=262144"})
    {-3: 262144}
    >>> fixed_settings({"PATH": "/usr/bin"})
    {}
    """
    environ = dict(os.environ) if environ is None else environ
    tunables = dict(
        item.split("=", 1) for item in environ.get("GLIBC_TUNABLES", "").split(":") if "=" in item
    )
    out = {}
    for param, (variable, tunable, _) in _PARAMETERS.items():
        text = environ.get(variable, tunables.get(tunable))
        with contextlib.suppress(TypeError, ValueError):
            out[param] = int(str(text), 0)
    return out


@contextlib.contextmanager
def kept_heap() -> Iterator[None]:
    """Keep freed memory in the heap while the block runs (see the module's notes).

    Threads may nest it: the first to enter sets the thresholds, the last to
    leave puts back the environment's (or glibc's defaults, for those it does not
    set). What the block freed then goes back to the system as the environment
    asks, as soon as the next block is freed at the top of the heap. (Handing
    it all back at once, with ``malloc_trim``, made the next tile fault twice as
    often: 330,000 page faults at L instead of 170,000.)
    """
    fixed = fixed_settings()
    libc = _libc() if fixed else None
    if libc is None:
        yield
        return
    with _HOLDERS.lock:
        _HOLDERS.count += 1
        if _HOLDERS.count == 1:
            for param, value in _KEPT.items():  # never below the environment's own
                libc.mallopt(param, _c_int(max(value, fixed.get(param, 0))))
    try:
        yield
    finally:
        with _HOLDERS.lock:
            _HOLDERS.count -= 1
            if _HOLDERS.count == 0:
                for param in _KEPT:
                    libc.mallopt(param, _c_int(fixed.get(param, _PARAMETERS[param][2])))


def release_free_memory() -> None:
    """Hand the memory that worker threads freed back to the system.

    glibc gives every thread an allocator arena of its own and keeps what is
    freed there for that thread; the results are built on the main thread, so
    without this the threads' freed chunks would add to the peak.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
