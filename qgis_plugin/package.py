"""Zip the QGIS plugin for QGIS's "Install from ZIP": ``make plugin``.

Writes ``dist/rivermap-qgis-plugin-<version>.zip`` (the version of
``metadata.txt``) holding one top folder, ``rivermap_qgis/``, as QGIS's
installer expects: the plugin's files and the repository's LICENSE, without
``__pycache__`` or other generated files. The archive is the same, byte for
byte, for the same files: entries in name order, every date 1980-01-01, the
same permissions.

Run from the repository root::

    python3 qgis_plugin/package.py [OUT_DIR]
"""

from __future__ import annotations

import configparser
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN = HERE / "rivermap_qgis"
LICENSE = HERE.parent / "LICENSE"
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", "~")


def version() -> str:
    """Return the plugin's version, from ``metadata.txt``."""
    meta = configparser.ConfigParser(interpolation=None)
    meta.read(PLUGIN / "metadata.txt", encoding="utf-8")
    return meta["general"]["version"]


def files() -> list[tuple[Path, str]]:
    """Return ``(file, name in the archive)`` of everything packed, in name order."""
    out = []
    for path in PLUGIN.rglob("*"):
        rel = path.relative_to(PLUGIN)
        if not path.is_file() or _SKIP_DIRS & set(rel.parts) or path.name.startswith("."):
            continue
        if path.name.endswith(_SKIP_SUFFIXES):
            continue
        out.append((path, f"{PLUGIN.name}/{rel.as_posix()}"))
    if LICENSE.exists():
        out.append((LICENSE, f"{PLUGIN.name}/LICENSE"))
    return sorted(out, key=lambda item: item[1])


def package(out_dir: Path) -> Path:
    """Write the archive into ``out_dir``; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"rivermap-qgis-plugin-{version()}.zip"
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w") as archive:
        for path, name in files():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(target)
    return target


if __name__ == "__main__":
    print(package(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
