r"""Finding rivermap for QGIS: in a Python of its own, or in QGIS's; and saying how to install it.

The algorithms' work is done by :mod:`rivermap_qgis.steps`, in one of two places:

* **a Python of rivermap's own** (the way the plugin recommends): a venv with
  rivermap installed, run as a subprocess for each algorithm. The plugin looks
  for ``RIVERMAP_PYTHON`` (environment variable, or the plugin setting
  ``rivermap/python``), then for the venv at ``~/.venvs/rivermap``
  (``%USERPROFILE%\.venvs\rivermap`` on Windows). That Python is any
  Python 3.10 or newer, whatever QGIS's is, and its packages never meet
  QGIS's.
* **QGIS's own Python**, when rivermap imports there (after the folders of
  ``RIVERMAP_PYTHONPATH`` or the setting ``rivermap/pythonpath`` are appended
  to ``sys.path``). On Linux the QGIS program has its own GDAL, GEOS and PROJ
  loaded where every library sees them, and the pip wheels of pyogrio,
  shapely and pyproj, which carry their own copies, would call QGIS's instead
  of theirs (pyogrio then reads GeoPackage lines with a third coordinate of
  NaN): :func:`clashes` finds that case, and the plugin then asks for the venv.

When neither works the plugin still loads, and :func:`install_help` gives
the message it shows, in Chinese and English, with the commands for this
system.

Examples
--------
>>> parse_version("0.10.2rc1") > parse_version("0.9")
True
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

#: The oldest rivermap whose pipeline the steps call.
MIN_RIVERMAP = "0.1.0"
#: The oldest Python rivermap runs on.
MIN_PYTHON = (3, 10)
#: The environment variables and plugin settings that point the plugin at rivermap.
ENV_PYTHON, SETTING_PYTHON = "RIVERMAP_PYTHON", "rivermap/python"
ENV_PATH, SETTING_PATH = "RIVERMAP_PYTHONPATH", "rivermap/pythonpath"
#: The folder holding this package: what the other Python needs on its path.
PLUGINS = str(Path(__file__).resolve().parents[1])
#: Native libraries QGIS links, the symbol that shows one is loaded, the package bundling a copy.
NATIVE = (("pyogrio", "GDALVersionInfo"), ("shapely", "GEOSversion"), ("pyproj", "proj_info"))

__all__ = [
    "ENV_PATH",
    "ENV_PYTHON",
    "MIN_RIVERMAP",
    "Backend",
    "CancelledError",
    "Found",
    "add_paths",
    "backend",
    "clashes",
    "default_python",
    "find",
    "forget",
    "install_help",
    "parse_version",
    "pins",
    "start",
]


class Backend:
    """Where the steps run: QGIS's Python (``python`` None) or another Python, and what it said."""

    def __init__(self, python: str | None, info: dict[str, Any]) -> None:
        self.python = python
        self.info = info

    @property
    def params(self) -> dict[str, Any]:
        """Return the defaults and choices of rivermap's options."""
        return dict(self.info["params"])

    def run(
        self,
        job: dict[str, Any],
        progress: Callable[[float, str], None],
        cancelled: Callable[[], bool],
    ) -> dict[str, Any]:
        """Run a job (see :func:`rivermap_qgis.steps.run_job`); return its outcome.

        The outcome is ``{"results": ...}`` or ``{"error": line}`` (rivermap's
        one-line message), with ``"warnings"``; or ``{"bug": traceback}``.
        ``progress(percent, text)`` is called at each step. When
        ``cancelled()`` turns true, :class:`CancelledError` is raised: at
        once in another Python, which is killed; at the next step in QGIS's.
        """
        if self.python is None:
            from rivermap_qgis import steps

            def report(percent: float, zh: str, en: str) -> None:
                if cancelled():
                    raise CancelledError
                progress(percent, f"{zh} / {en}")

            try:
                return steps.run_job(job, report)
            except CancelledError:
                raise
            except Exception:  # a bug in rivermap or the plugin: its traceback, as from elsewhere
                return {"bug": traceback.format_exc()}
        return _run_elsewhere(self.python, job, progress, cancelled)


class CancelledError(Exception):
    """The user cancelled the algorithm."""


class Found(NamedTuple):
    """What :func:`find` found: where the steps run, or why nowhere."""

    backend: Backend | None
    problem: str | None


def parse_version(text: str) -> tuple[int, ...]:
    """Return the leading numbers of a version (``"0.2.1.dev3"`` → ``(0, 2, 1)``)."""
    out = []
    for part in str(text).split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        out.append(int(digits))
        if len(digits) < len(part):
            break
    return tuple(out)


def _setting(key: str) -> str:
    """Return a plugin setting (empty outside QGIS)."""
    try:
        from qgis.core import QgsSettings
    except ImportError:  # pragma: no cover - always there inside QGIS
        return ""
    return str(QgsSettings().value(key, "") or "")


def default_python() -> Path:
    """Return the Python of the venv the plugin looks for: ``~/.venvs/rivermap``."""
    venv = Path.home() / ".venvs" / "rivermap"
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def _too_old(version: str) -> str | None:
    if parse_version(version) < parse_version(MIN_RIVERMAP) and "unknown" not in version:
        return f"rivermap {version} is too old: the plugin needs {MIN_RIVERMAP} or newer"
    return None


# =========================================================== another Python
def _child_env() -> dict[str, str]:
    """Return the environment of the other Python: this package on its path, none of QGIS's."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    return {**env, "PYTHONPATH": PLUGINS, "PYTHONIOENCODING": "utf-8"}


def _popen(python: str, args: list[str], stderr: Any, cwd: str) -> subprocess.Popen[str]:
    """Start the steps in ``python``, in folder ``cwd`` (``-m`` puts it first on the path)."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window on Windows
    return subprocess.Popen(
        [python, "-m", "rivermap_qgis.steps", *args], stdout=subprocess.PIPE, stderr=stderr,
        text=True, encoding="utf-8", env=_child_env(), cwd=cwd, creationflags=flags,
    )  # fmt: skip


def _run_elsewhere(
    python: str,
    job: dict[str, Any] | None,
    progress: Callable[[float, str], None],
    cancelled: Callable[[], bool],
) -> dict[str, Any]:
    """Run a job (None: ``describe``) in ``python``; pass its progress on; kill it if cancelled."""
    with tempfile.TemporaryDirectory(prefix="rivermap-qgis-") as tmp:
        job_file, out_file, err_file = (Path(tmp) / n for n in ("job.json", "out.json", "err"))
        job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        first = "describe" if job is None else str(job_file)
        with err_file.open("w", encoding="utf-8") as err:
            proc = _popen(python, [first, str(out_file)], err, tmp)
            lines: queue.Queue[str] = queue.Queue()
            reader = threading.Thread(target=_read_lines, args=(proc, lines), daemon=True)
            reader.start()
            while proc.poll() is None or not lines.empty() or reader.is_alive():
                if cancelled():
                    proc.kill()
                    proc.wait()
                    raise CancelledError
                _pass_on(lines, progress)
                time.sleep(0.05)
        if not out_file.exists():
            tail = err_file.read_text(encoding="utf-8", errors="replace")[-2000:]
            return {"bug": f"{python} ended with code {proc.returncode}:\n{tail}"}
        return dict(json.loads(out_file.read_text(encoding="utf-8")))


def _read_lines(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)


def _pass_on(lines: queue.Queue[str], progress: Callable[[float, str], None]) -> None:
    """Pass the progress lines received on (other lines, printed by a library, are dropped)."""
    while not lines.empty():
        try:
            item = json.loads(lines.get_nowait())
            progress(float(item["progress"]), str(item["text"]))
        except (ValueError, KeyError, TypeError):
            continue


def _describe_elsewhere(python: str) -> Found:
    """Ask ``python`` what rivermap it has; return it as the backend, or why it is unusable."""
    if not Path(python).is_file():
        return Found(None, f"{ENV_PYTHON}: no such file {python}")
    try:
        outcome = _run_elsewhere(python, None, lambda p, t: None, lambda: False)
    except OSError as exc:
        return Found(None, f"{python}: cannot run it ({exc})")
    if "results" not in outcome:
        last = str(outcome.get("bug", "")).strip().splitlines()[-1:] or ["no answer"]
        return Found(None, f"{python}: rivermap does not import there ({last[0]})")
    info = outcome["results"]
    old = _too_old(str(info["version"]))
    return Found(None, old) if old else Found(Backend(python, info), None)


# ============================================================== QGIS's Python
def add_paths(texts: list[str]) -> list[str]:
    """Append the folders named in ``texts`` to ``sys.path``; return those that do not exist."""
    missing = []
    for text in texts:
        for item in text.split(os.pathsep):
            folder = os.path.expanduser(item.strip())
            if not folder:
                continue
            if not os.path.isdir(folder):
                missing.append(folder)
            elif folder not in sys.path:
                sys.path.append(folder)
    return missing


def clashes(platform: str | None = None, program: Any = None) -> list[str]:
    """Return the packages whose own native library would give way to QGIS's copy of it.

    On Linux, a library the QGIS program loaded (GDAL, GEOS, PROJ) lends its
    functions to every later library that calls functions of the same name:
    a pip wheel's own copy is then bypassed. Found from the symbols of the
    global scope (``program``: ``dlopen(NULL)`` by default), and the wheels'
    ``<package>.libs`` folders. None on other systems (``platform``:
    ``sys.platform`` by default), whose libraries do not share symbols so.
    """
    if not (platform or sys.platform).startswith("linux"):
        return []
    program = ctypes.CDLL(None) if program is None else program
    out = []
    for package, symbol in NATIVE:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None or not hasattr(program, symbol):
            continue
        if (Path(spec.origin).parents[1] / f"{package}.libs").is_dir():
            out.append(package)
    return out


def _import_here() -> Found:
    """Import rivermap into QGIS's Python, when it is there and safe to use."""
    missing = add_paths([os.environ.get(ENV_PATH, ""), _setting(SETTING_PATH)])
    where = f" ({ENV_PATH}: no such folder {', '.join(missing)})" if missing else ""
    if sys.version_info[:2] < MIN_PYTHON:
        have = ".".join(map(str, sys.version_info[:3]))
        return Found(None, f"QGIS's Python is {have}; rivermap needs 3.10 or newer{where}")
    if importlib.util.find_spec("rivermap") is None:
        return Found(None, f"rivermap is not installed{where}")
    clash = clashes()
    if clash:
        names = ", ".join(clash)
        return Found(None, f"{names} in QGIS's Python would use QGIS's own GDAL/GEOS/PROJ")
    try:
        from rivermap_qgis import steps

        info = steps.describe()
    except Exception as exc:  # a missing dependency, a numpy ABI error …
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Found(None, f"{type(exc).__name__}: {first}{where}")
    old = _too_old(str(info["version"]))
    return Found(None, old) if old else Found(Backend(None, info), None)


# ================================================================== choosing
_FOUND: list[Found] = []


def find() -> Found:
    """Find where the steps run: the Python named, the default venv, or QGIS's own."""
    named = os.environ.get(ENV_PYTHON) or _setting(SETTING_PYTHON)
    if named:
        return _describe_elsewhere(os.path.expanduser(named))
    if default_python().is_file():
        found = _describe_elsewhere(str(default_python()))
        if found.backend is not None:
            return found
    return _import_here()


def start() -> Found:
    """Find the backend once for this QGIS session (again after :func:`forget`)."""
    if not _FOUND:
        _FOUND.append(find())
    return _FOUND[0]


def forget() -> None:
    """Forget the backend found (the plugin is unloaded)."""
    _FOUND.clear()


def backend() -> Backend:
    """Return the backend found by :func:`start`; it must have been found."""
    found = start()
    if found.backend is None:
        raise RuntimeError(found.problem)
    return found.backend


# ============================================================= install help
def pins(numpy_version: str | None) -> str:
    """Return the requirements that keep QGIS's numpy when pip installs into QGIS's Python.

    QGIS's own packages (GDAL's Python, SciPy) are built for its numpy; pip
    would otherwise install the newest over it. A numpy older than 2 also
    needs a pyarrow older than 26, which needs numpy 2 without saying so.

    Examples
    --------
    >>> pins("1.24.2")
    '"numpy==1.24.2" "pyarrow<26"'
    >>> pins("2.1.3")
    '"numpy==2.1.3"'
    >>> pins(None)
    ''
    """
    if not numpy_version:
        return ""
    out = f'"numpy=={numpy_version}"'
    if parse_version(numpy_version) < (2,):
        out += ' "pyarrow<26"'
    return out


def _numpy_version() -> str | None:
    """Return the version of the numpy QGIS's Python imports, or None."""
    try:
        import numpy
    except Exception:  # no numpy, or a broken one
        return None
    return str(numpy.__version__)


def install_help(
    problem: str, platform: str | None = None, numpy_version: str | None = None
) -> tuple[str, str]:
    """Return the message bar's line and the details, in Chinese and English, for ``problem``.

    ``platform`` is ``sys.platform`` by default: the commands differ on Windows.
    """
    windows = (platform or sys.platform).startswith("win")
    if windows:
        venv = r"%USERPROFILE%\.venvs\rivermap"
        command = rf"py -m venv {venv} && {venv}\Scripts\pip install rivermap"
    else:
        command = "python3 -m venv ~/.venvs/rivermap && ~/.venvs/rivermap/bin/pip install rivermap"
    short = (
        f"rivermap 插件需要 Python 包 rivermap，请运行：{command}，然后重启 QGIS。"
        f" / The rivermap plugin needs the Python package rivermap: run {command}, "
        f"then restart QGIS. ({problem})"
    )
    keep = pins(numpy_version or _numpy_version())
    return short, _details(problem, keep)


def _details(problem: str, keep: str) -> str:
    """Return the full instructions for every platform, Chinese first."""
    return f"""\
rivermap 插件找不到可用的 rivermap 包 / The rivermap plugin cannot use the rivermap package:
  {problem}

推荐：把 rivermap 装进它自己的虚拟环境（Python 3.10 或更新），插件会自动找到并在其中运行。
Recommended: install rivermap into a venv of its own (Python 3.10 or newer); the plugin finds
it and runs rivermap there, in a process of its own.

Debian / Ubuntu:
  sudo apt install python3-venv
  python3 -m venv ~/.venvs/rivermap
  ~/.venvs/rivermap/bin/pip install rivermap

Windows（OSGeo4W 或独立安装包；先从 python.org 安装 Python
/ OSGeo4W or the standalone installer; first install Python from python.org）:
  py -m venv %USERPROFILE%\\.venvs\\rivermap
  %USERPROFILE%\\.venvs\\rivermap\\Scripts\\pip install rivermap

其他位置的虚拟环境：在 QGIS 的 设置 ▸ 选项 ▸ 系统 ▸ 环境 中设置
A venv elsewhere: in QGIS, Settings ▸ Options ▸ System ▸ Environment, set
  {ENV_PYTHON} = <that venv>/bin/python   (Windows: <that venv>\\Scripts\\python.exe)

或装进 QGIS 自己的 Python：仅限 Windows（在开始菜单的 OSGeo4W Shell 中运行）。
Linux 上不可行：QGIS 程序自带的 GDAL、GEOS、PROJ 会顶替 pip 安装的 pyogrio、shapely、pyproj
所带的副本，读出的数据会出错。
Or into QGIS's own Python, on Windows only (in the OSGeo4W Shell of the Start menu). Not on
Linux: there the GDAL, GEOS and PROJ the QGIS program loaded would stand in for the copies that
pip's pyogrio, shapely and pyproj bring, and data would be read wrongly.
  python -m pip install rivermap {keep}

然后重启 QGIS。/ Then restart QGIS.
"""
