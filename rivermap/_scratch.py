"""Scratch files and folders: named for the process that made them, swept once it is gone.

Every output rivermap writes is first made under a scratch name beside it and
moved into place when complete (:func:`rivermap.io.atomic_output`; the
staging folder of :func:`rivermap.project.run_project`). A process killed
outright (SIGKILL, a power cut, "End task") runs no ``finally`` clause, so its
scratch entries would stay for ever. To find them again, every scratch name
says whose it is::

    .rivermap-<pid>-<host>-<stem>.<random><suffix>     a file
    .rivermap-<pid>-<host>-<name>.<random>             a folder

``<pid>`` is the process id; ``<host>`` is six hex digits of a hash of the
machine's name, because two machines writing into one shared folder (or two
containers on one volume) run processes with the same ids; ``<random>`` is
:mod:`tempfile`'s, so two scratch names of one process never collide. SQLite,
under GDAL, adds ``-journal``, ``-wal`` and ``-shm`` files beside a GeoPackage
it writes; their names begin the same way, so they go with it.

Before a scratch entry is made in a folder, :func:`sweep` removes every entry
of that folder whose name carries the prefix, this machine's tag and the id of
a process that no longer runs, and says so: a
:class:`~rivermap.errors.RivermapWarning` naming the folder, the process ids
and the entries. An entry of a running process (another rivermap at work in
the same folder), one made on another machine, and any other name are never
touched. Whether a process runs is asked without signalling it:
``os.kill(pid, 0)`` on POSIX; ``OpenProcess`` and ``GetExitCodeProcess`` on
Windows, where ``os.kill`` would end the process. A process id that a new
process has taken keeps the leftovers until a run after that process ends:
keeping them a while is better than taking a running process's files.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> tmp = scratch_file(folder / "out.gpkg")
>>> owner(tmp.name) == os.getpid(), tmp.suffix
(True, '.gpkg')
>>> sweep(folder)  # our own process runs: nothing is removed
[]
>>> discard(tmp)
>>> list(folder.iterdir())
[]
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import socket
import sys
import tempfile
import warnings
from pathlib import Path

from rivermap.errors import RivermapWarning, format_ids

__all__ = ["PREFIX", "discard", "is_running", "owner", "scratch_dir", "scratch_file", "sweep"]

#: How every scratch name begins.
PREFIX = ".rivermap-"
#: Files SQLite makes beside a database while it writes.
SIDE_FILES = ("-journal", "-wal", "-shm")
_NAME = re.compile(re.escape(PREFIX) + r"([1-9][0-9]{0,9})-([0-9a-f]{6})-")
_MAX_PID = 2**31 - 1


@functools.cache
def _host() -> str:
    """Six hex digits standing for this machine (a hash of its name)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _prefix(name: str) -> str:
    return f"{PREFIX}{os.getpid()}-{_host()}-{name}."


def scratch_file(final: Path, *, quiet: bool = False) -> Path:
    """Sweep ``final``'s folder, then make an empty scratch file for it there.

    Parameters
    ----------
    final
        The file the scratch file will become; its folder is made if missing.
    quiet
        Sweep without a warning (for a cache folder, not the user's outputs).

    Returns
    -------
    Path
        ``.rivermap-<pid>-<host>-<stem>.<random><suffix>`` beside ``final``;
        writers that must create the file themselves (GDAL) unlink it first.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep(final.parent, quiet=quiet)
    fd, name = tempfile.mkstemp(prefix=_prefix(final.stem), suffix=final.suffix, dir=final.parent)
    os.close(fd)
    return Path(name)


def scratch_dir(final: Path) -> Path:
    """Sweep ``final``'s folder, then make a scratch folder for it there.

    Returns
    -------
    Path
        The folder ``.rivermap-<pid>-<host>-<name>.<random>`` beside ``final``.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep(final.parent)
    return Path(tempfile.mkdtemp(prefix=_prefix(final.name), dir=final.parent))


def owner(name: str) -> int | None:
    """Return the process id in a scratch name made on this machine, else None.

    Examples
    --------
    >>> owner(f".rivermap-4242-{_host()}-out.k2x9.gpkg-journal")
    4242
    >>> owner(".out.k2x9.gpkg") is None  # not a scratch name
    True
    """
    found = _NAME.match(name)
    if found is None or found[2] != _host() or int(found[1]) > _MAX_PID:
        return None
    return int(found[1])


def sweep(folder: Path, *, quiet: bool = False) -> list[Path]:
    """Remove the scratch entries in ``folder`` whose process no longer runs.

    Parameters
    ----------
    folder
        The folder to look in (not its subfolders); a missing folder has none.
    quiet
        Do not warn.

    Returns
    -------
    list of Path
        The entries removed, by name.

    Warns
    -----
    RivermapWarning
        When something was removed: the folder, the process ids and the entries.
    """
    try:
        with os.scandir(folder) as listing:
            names = sorted(entry.name for entry in listing)
    except (FileNotFoundError, NotADirectoryError):
        return []
    gone: dict[int, bool] = {}
    removed: list[Path] = []
    pids: set[int] = set()
    for name in names:
        pid = owner(name)
        if pid is None:
            continue
        if pid not in gone:
            gone[pid] = not is_running(pid)
        if gone[pid] and _remove(Path(folder) / name):
            removed.append(Path(folder) / name)
            pids.add(pid)
    if removed and not quiet:
        msg = (
            f"{folder}: removed {len(removed)} leftover(s) of an interrupted rivermap run "
            f"(pid {format_ids(sorted(pids))}): {format_ids([p.name for p in removed])}"
        )
        warnings.warn(msg, RivermapWarning, stacklevel=2)
    return removed


def discard(path: Path) -> None:
    """Remove a scratch file or folder of this process, and SQLite's files beside it."""
    for each in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        _remove(each)


def _remove(path: Path) -> bool:
    """Remove a file, a link or a whole folder; False if it is gone or cannot go (all of it)."""
    folder = path.is_dir() and not path.is_symlink()
    try:
        if folder:
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:  # already gone: another run swept it
        return False
    except OSError:  # a file held open (Windows) or not ours to remove: take what can go
        if folder:
            shutil.rmtree(path, ignore_errors=True)
        return False
    return True


if sys.platform == "win32":  # pragma: no cover - tested on Windows only
    import ctypes
    from ctypes import wintypes

    _QUERY_LIMITED_INFORMATION = 0x1000
    _ACCESS_DENIED = 5
    _STILL_ACTIVE = 259

    def _running(pid: int) -> bool:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
        kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
        handle = kernel32.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:  # no such process, unless we may merely not look at it
            return bool(ctypes.get_last_error() == _ACCESS_DENIED)
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return bool(code.value == _STILL_ACTIVE)
        finally:
            kernel32.CloseHandle(handle)

else:

    def _running(pid: int) -> bool:
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return False
        except OSError:  # it exists but belongs to another user
            return True
        return True


def is_running(pid: int) -> bool:
    """Return whether the process ``pid`` runs on this machine (a zombie counts as running).

    Examples
    --------
    >>> is_running(os.getpid())
    True
    """
    return pid == os.getpid() or _running(pid)
