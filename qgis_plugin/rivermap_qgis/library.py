"""Finding rivermap in QGIS's Python, and saying how to install it when it is not there.

QGIS runs plugins in its own Python: ``/usr/bin/python3`` with Debian's and
Ubuntu's packages (and qgis.org's), the bundled ``python`` of OSGeo4W and of the
standalone Windows installers. rivermap and its dependencies (numpy, pandas,
geopandas, numba …) must import there. :func:`find` first appends to
``sys.path`` the folders named by the environment variable
``RIVERMAP_PYTHONPATH`` and by the plugin setting ``rivermap/pythonpath``
(several separated by ``os.pathsep``; e.g. the ``site-packages`` of a venv made
with ``--system-site-packages``), after QGIS's own, so that QGIS keeps its
numpy. Then it imports rivermap and its pipeline. When that fails (not
installed, too old, a dependency that does not load, such as a numpy built for
another ABI) the plugin still loads: :func:`install_help` gives the message it
shows, in Chinese and English, with the exact commands for this system. The
commands keep the numpy QGIS's Python has (:func:`pins`): pip would otherwise
install the newest numpy over it, and QGIS's own packages built for the older
one (GDAL's Python, SciPy) would stop loading.

Examples
--------
>>> parse_version("0.10.2rc1") > parse_version("0.9")
True
"""

from __future__ import annotations

import os
import sys
from typing import Any, NamedTuple

#: The oldest rivermap whose pipeline the algorithms call.
MIN_RIVERMAP = "0.1.0"
#: The oldest Python rivermap runs on.
MIN_PYTHON = (3, 10)
#: The environment variable and the plugin setting naming extra folders for sys.path.
ENV_VAR = "RIVERMAP_PYTHONPATH"
SETTING = "rivermap/pythonpath"

__all__ = [
    "ENV_VAR",
    "MIN_RIVERMAP",
    "SETTING",
    "Found",
    "add_paths",
    "find",
    "install_help",
    "parse_version",
]


class Found(NamedTuple):
    """What :func:`find` found: the rivermap module, or why there is none."""

    module: Any
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


def _setting() -> str:
    """Return the plugin setting ``rivermap/pythonpath`` (empty outside QGIS)."""
    try:
        from qgis.core import QgsSettings
    except ImportError:  # pragma: no cover - always there inside QGIS
        return ""
    return str(QgsSettings().value(SETTING, "") or "")


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


def find() -> Found:
    """Import rivermap (after adding the folders of ``RIVERMAP_PYTHONPATH``); say why not."""
    missing = add_paths([os.environ.get(ENV_VAR, ""), _setting()])
    where = f" ({ENV_VAR}: no such folder {', '.join(missing)})" if missing else ""
    if sys.version_info[:2] < MIN_PYTHON:
        have = ".".join(map(str, sys.version_info[:3]))
        return Found(None, f"QGIS's Python is {have}; rivermap needs 3.10 or newer{where}")
    try:
        import rivermap
        import rivermap.pipeline
    except Exception as exc:  # a missing package, a numpy ABI error, a syntax error …
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Found(None, f"{type(exc).__name__}: {first}{where}")
    version = str(getattr(rivermap, "__version__", "0"))
    if parse_version(version) < parse_version(MIN_RIVERMAP) and "unknown" not in version:
        return Found(None, f"rivermap {version} is too old: the plugin needs {MIN_RIVERMAP}")
    return Found(rivermap, None)


def _venv_site_packages() -> str:
    """Return where a venv at ``~/.venvs/rivermap`` keeps its packages, on this Python."""
    major, minor = sys.version_info[:2]
    return os.path.expanduser(f"~/.venvs/rivermap/lib/python{major}.{minor}/site-packages")


def pins(numpy_version: str | None) -> str:
    """Return the requirements that keep QGIS's numpy when pip installs rivermap.

    QGIS's own Python packages (GDAL's, SciPy, matplotlib of the system) are
    built for its numpy; pip would otherwise upgrade numpy to the newest. A
    numpy older than 2 also needs a pyarrow older than 26, which needs numpy 2
    without saying so to pip.

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
    except Exception:  # no numpy, or a broken one: pip may choose
        return None
    return str(numpy.__version__)


def install_help(
    problem: str, platform: str | None = None, numpy_version: str | None = None
) -> tuple[str, str]:
    """Return the message bar's line and the details, in Chinese and English, for ``problem``.

    ``platform`` is ``sys.platform`` and ``numpy_version`` the numpy QGIS
    imports, by default; the commands keep that numpy (:func:`pins`) and
    differ on Windows.
    """
    windows = (platform or sys.platform).startswith("win")
    keep = pins(numpy_version or _numpy_version())
    if windows:
        command = f"python -m pip install rivermap {keep}".strip()
        where_zh = "在 QGIS 附带的 OSGeo4W Shell（开始菜单）中运行"
        where_en = "in the OSGeo4W Shell that comes with QGIS (Start menu), run"
    else:
        command = f"python3 -m pip install --user --break-system-packages rivermap {keep}".strip()
        where_zh = "在终端运行"
        where_en = "in a terminal, run"
    short = (
        f"rivermap 插件需要 Python 包 rivermap：{where_zh} {command}，然后重启 QGIS。"
        f" / The rivermap plugin needs the Python package rivermap: {where_en} "
        f"{command}, then restart QGIS. ({problem})"
    )
    return short, _details(problem, keep)


def _details(problem: str, keep: str) -> str:
    """Return the full instructions for every platform, Chinese first."""
    site = _venv_site_packages()
    return f"""\
rivermap 插件找不到可用的 rivermap 包 / The rivermap plugin cannot use the rivermap package:
  {problem}

QGIS 使用自己的 Python；rivermap 须安装在这个 Python 中（需要 Python 3.10 或更新），
并保留 QGIS 的 numpy 版本。
QGIS runs its own Python; rivermap must be installed into it (Python 3.10 or newer),
keeping QGIS's numpy.

Debian / Ubuntu（QGIS 使用 /usr/bin/python3 / QGIS uses /usr/bin/python3）:
  sudo apt install python3-pip
  python3 -m pip install --user --break-system-packages rivermap {keep}

  或安装到一个能看到 QGIS 系统包的虚拟环境 / or into a venv that sees QGIS's system packages:
  python3 -m venv --system-site-packages ~/.venvs/rivermap
  ~/.venvs/rivermap/bin/pip install rivermap {keep}
  然后在 QGIS 的 设置 ▸ 选项 ▸ 系统 ▸ 环境 中添加变量 / then in QGIS, Settings ▸ Options ▸
  System ▸ Environment, add the variable
  {ENV_VAR} = {site}
  （或这样启动 QGIS / or start QGIS with: {ENV_VAR}={site} qgis）

Windows（OSGeo4W 或独立安装包 / OSGeo4W or the standalone installer）:
  打开开始菜单中 QGIS 附带的 "OSGeo4W Shell"，运行 / open the "OSGeo4W Shell" of this QGIS
  from the Start menu and run:
  python -m pip install rivermap {keep}

然后重启 QGIS。/ Then restart QGIS.
"""
