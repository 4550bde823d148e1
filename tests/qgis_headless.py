"""Headless QGIS for the plugin tests and the README's QGIS picture: one session, one process.

QGIS's Python modules come with Debian's ``python3-qgis`` (``apt-get install
qgis python3-qgis qgis-providers``) and are built for the system Python, which
is the venv's Python too on Debian 12 (3.11). A session runs in a subprocess
of the venv's Python, because a ``QgsApplication`` starts once per process and
may crash on its way out: the session writes its report (JSON) first and then
leaves without tearing QGIS down. In that process:

* ``QT_QPA_PLATFORM=offscreen``, and QGIS's folders (the system's
  ``dist-packages``, then Processing's plugin folder) are appended to
  ``sys.path`` after the venv's, so that the venv's numpy, pandas and rivermap
  are the ones used; the system's SciPy, which the venv lacks and which is
  built for the system's numpy 1.x, is kept out (numba would load it and fail);
* the plugin folder ``qgis_plugin/`` is put first, and the plugin is started
  by QGIS's own loader (``qgis.utils.loadPlugin``/``startPlugin``) with a
  stand-in for the interface that has a real message bar;
* the plugin finds rivermap where the check says (:func:`use_backend`): in
  QGIS's own Python (safe here: QGIS is imported as a module, so its GDAL,
  GEOS and PROJ stay out of the global scope), or in another Python named by
  ``RIVERMAP_PYTHON`` (the venv's, as a subprocess per algorithm), and then
  with every ``rivermap`` module hidden from QGIS's Python
  (:func:`hidden_library`), so that the QGIS side is seen not to import it.
  The default venv ``~/.venvs/rivermap`` is never looked at.

:func:`run_session` runs :func:`main` there on a configuration (input files,
output folder, which checks) and returns what each check reported; a check
that raises reports its traceback instead, so one failure hides no other.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "qgis_plugin"
#: Where Debian's python3-qgis puts the ``qgis`` package, and Processing's folder.
QGIS_PYTHON = Path(os.environ.get("RIVERMAP_QGIS_PYTHON", "/usr/lib/python3/dist-packages"))
QGIS_PLUGINS = Path(os.environ.get("RIVERMAP_QGIS_PLUGINS", "/usr/share/qgis/python/plugins"))
#: Modules of the system's folder that must not be picked up (built for its numpy 1.x).
KEPT_OUT = ("scipy",)


def unavailable_reason() -> str | None:
    """Why QGIS cannot run here, or None when it can."""
    core = sorted((QGIS_PYTHON / "qgis").glob("_core.*.so"))
    if not core:
        install = "apt-get install qgis python3-qgis qgis-providers"
        return f"QGIS is not installed ({install}): no {QGIS_PYTHON / 'qgis'}"
    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
    if not any(tag in p.name for p in core):
        return f"QGIS's Python modules are built for another Python ({core[0].name}), not {tag}"
    if not (QGIS_PLUGINS / "processing").is_dir():
        return f"QGIS's Processing plugin is missing: {QGIS_PLUGINS / 'processing'}"
    return None


def run_session(config: dict[str, Any], *, timeout: float = 600) -> dict[str, Any]:
    """Run :func:`main` on ``config`` in a fresh process; return its report."""
    with tempfile.TemporaryDirectory(prefix="rivermap-qgis-") as tmp:
        cfg, report = Path(tmp) / "config.json", Path(tmp) / "report.json"
        cfg.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": tmp}
        for name in ("RIVERMAP_PYTHONPATH", "RIVERMAP_PYTHON"):
            env.pop(name, None)
        done = subprocess.run(
            [sys.executable, __file__, str(cfg), str(report)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if not report.exists():
            end = done.stderr[-4000:]
            msg = f"the QGIS session ended ({done.returncode}) without a report:\n{end}"
            raise RuntimeError(msg)
        return dict(json.loads(report.read_text(encoding="utf-8")))


# ============================================================ inside QGIS
def _start_qgis() -> Any:
    """Start QGIS without a display, and Processing; return the application."""
    for name in KEPT_OUT:
        sys.modules[name] = None  # type: ignore[assignment] # import fails cleanly
    sys.path.append(str(QGIS_PYTHON))
    sys.path.append(str(QGIS_PLUGINS))
    sys.path.append(str(QGIS_PLUGINS.parent))  # QGIS's own Python: pyplugin_installer
    sys.path.insert(0, str(PLUGIN_DIR))
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    return app


class _Iface:
    """What the plugin uses of QGIS's interface: a message bar and a main window."""

    def __init__(self) -> None:
        from qgis.gui import QgsMessageBar

        self.bar = QgsMessageBar()

    def messageBar(self) -> Any:
        """Return the message bar."""
        return self.bar

    def mainWindow(self) -> Any:
        """Return no window (a dialog opens without a parent)."""
        return None


def check_install_zip(config: dict[str, Any]) -> dict[str, Any]:
    """Install the plugin's ZIP as QGIS's "Install from ZIP" does; load the plugin from there.

    The plugin's name is the folder of the shortest ``metadata.txt`` path, and
    the archive is extracted by the installer's own ``unzip``.
    """
    import zipfile

    from pyplugin_installer.unzip import unzip

    with zipfile.ZipFile(config["zip"]) as archive:
        metadata = sorted(n for n in archive.namelist() if n.endswith("metadata.txt"))
    name = os.path.split(metadata[0])[0] if metadata else None
    plugins = Path(config["work"]) / "plugins"
    unzip(config["zip"], str(plugins))
    sys.path.insert(0, str(plugins))  # before qgis_plugin/: the installed copy is loaded
    files = sorted(p.relative_to(plugins).as_posix() for p in plugins.rglob("*") if p.is_file())
    return {"name": name, "files": files}


@contextlib.contextmanager
def hidden_library() -> Iterator[None]:
    """Hide every ``rivermap`` module from this Python: importing any of them fails."""
    saved = {k: v for k, v in sys.modules.items() if k == "rivermap" or k.startswith("rivermap.")}
    for name in [*saved, "rivermap"]:
        sys.modules[name] = None  # type: ignore[assignment] # import rivermap... fails
    try:
        yield
    finally:
        for name in [k for k in sys.modules if k == "rivermap" or k.startswith("rivermap.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def unload_plugin() -> None:
    """Unload the plugin as QGIS does, and forget every module of it: the next load imports anew."""
    import qgis.utils

    if "rivermap_qgis" in qgis.utils.plugins:
        qgis.utils.unloadPlugin("rivermap_qgis")
    for name in [k for k in sys.modules if k == "rivermap_qgis" or k.startswith("rivermap_qgis.")]:
        del sys.modules[name]


def use_backend(python: str | None) -> Any:
    """Make the plugin look again for rivermap: in ``python``, or (None) in QGIS's own Python."""
    from rivermap_qgis import library

    library.forget()
    library.default_python = lambda: Path("/nonexistent/.venvs/rivermap/bin/python")
    if python is None:
        os.environ.pop(library.ENV_PYTHON, None)
    else:
        os.environ[library.ENV_PYTHON] = python
    return library.start()


def _start_plugin() -> dict[str, Any]:
    """Load and start the plugin as QGIS does; return what it showed and registered."""
    import qgis.utils
    from qgis.core import QgsApplication

    iface = _Iface()
    qgis.utils.iface = iface
    qgis.utils.loadPlugin("rivermap_qgis")
    started = qgis.utils.startPlugin("rivermap_qgis")
    plugin = qgis.utils.plugins.get("rivermap_qgis")
    return {
        "started": started,
        "provider": QgsApplication.processingRegistry().providerById("rivermap") is not None,
        "messages": [item.text() for item in iface.bar.items()],
        "problem": getattr(plugin, "problem", None),
    }


def check_missing_library(config: dict[str, Any]) -> dict[str, Any]:
    """Start the plugin where rivermap is nowhere: no provider, the install help shown.

    First with rivermap hidden from QGIS's Python and no other Python
    (``RIVERMAP_PYTHONPATH`` names a folder that exists and one that does
    not), then with ``RIVERMAP_PYTHON`` naming a Python without rivermap.
    """
    extra, gone = config["work"], "/nonexistent/rivermap-site-packages"
    os.environ["RIVERMAP_PYTHONPATH"] = os.pathsep.join([extra, gone])
    try:
        with hidden_library():
            unload_plugin()
            use_backend(None)
            out = _start_plugin()
            unload_plugin()
            use_backend(config["python_without"])
            out["other_python"] = _start_plugin()
            unload_plugin()
    finally:
        del os.environ["RIVERMAP_PYTHONPATH"]
    from rivermap_qgis import library

    return {
        **out,
        "extra_on_path": extra in sys.path,
        "details": library.install_help("x")[1],
        "details_windows": library.install_help("x", "win32", "1.24.2")[1],
        "short_windows": library.install_help("x", "win32", "1.24.2")[0],
    }


def check_plugin(config: dict[str, Any]) -> dict[str, Any]:
    """Start the plugin with rivermap in QGIS's Python; describe the provider and its algorithms."""
    from qgis.core import QgsApplication

    unload_plugin()
    found = use_backend(None)
    out = _start_plugin()
    provider = QgsApplication.processingRegistry().providerById("rivermap")
    from rivermap_qgis import library
    from rivermap_qgis.fonts import has_cjk_font, register_cjk_font

    algorithms = {}
    for alg in provider.algorithms() if provider else []:
        algorithms[alg.id()] = {
            "name": alg.displayName(),
            "group": alg.group(),
            "help": alg.shortHelpString(),
            "parameters": {p.name(): p.description() for p in alg.parameterDefinitions()},
            "defaults": {p.name(): p.defaultValue() for p in alg.parameterDefinitions()},
        }
    info = found.backend.info if found.backend else {}
    return {
        **out,
        "backend": found.backend.python if found.backend else found.problem,
        "clashes": library.clashes(),
        "provider": provider.name() if provider else None,
        "long_name": provider.longName() if provider else None,
        "icon": not provider.icon().isNull() if provider else False,
        "algorithms": algorithms,
        "font": register_cjk_font(info.get("font"), str(info.get("font_family")), force=True),
        "has_cjk_font": has_cjk_font(),
    }


def check_doctests(config: dict[str, Any]) -> dict[str, Any]:
    """Run the doctests of every module of the plugin."""
    import doctest
    import importlib

    out = {}
    for path in sorted((PLUGIN_DIR / "rivermap_qgis").rglob("*.py")):
        parts = path.relative_to(PLUGIN_DIR).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        result = doctest.testmod(importlib.import_module(name), verbose=False)
        out[name] = [result.attempted, result.failed]
    return out


def _describe_layer(layer: Any) -> dict[str, Any]:
    """Return what QGIS makes of a layer: geometry, sub-layers, renderer and its colours."""
    from qgis.core import QgsRenderContext, QgsWkbTypes

    out: dict[str, Any] = {
        "valid": layer.isValid(),
        "features": layer.featureCount(),
        "wkb": QgsWkbTypes.displayString(layer.wkbType()),
        "sublayers": len(layer.dataProvider().subLayers()),
        "renderer": None,
    }
    if layer.isSpatial() and layer.renderer() is not None:
        renderer = layer.renderer()
        context = QgsRenderContext()
        colours = set()
        for symbol in renderer.symbols(context):
            for i in range(symbol.symbolLayerCount()):
                colours.add(symbol.symbolLayer(i).color().name())
        out |= {"renderer": renderer.type(), "colours": sorted(colours)}
        out["labels"] = bool(layer.labelsEnabled())
    return out


def check_demo_gpkg(config: dict[str, Any]) -> dict[str, Any]:
    """Open every layer of the demo GeoPackage as QGIS opens it (default styles applied)."""
    from qgis.core import QgsVectorLayer

    out = {}
    for path in (config["demo_gpkg"], config["plan_gpkg"]):
        probe = QgsVectorLayer(path, "probe", "ogr")
        names = [s.split("!!::!!")[1] for s in probe.dataProvider().subLayers()]
        for name in dict.fromkeys(names):
            layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
            out[f"{Path(path).stem}:{name}"] = _describe_layer(layer)
    return out


def render(config: dict[str, Any], png: str) -> dict[str, Any]:
    """Draw the demo's units and reaches, styled from the GeoPackage, to ``png``."""
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings, QgsVectorLayer
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    path = config["demo_gpkg"]
    layers = [QgsVectorLayer(f"{path}|layername={n}", n, "ogr") for n in ("reaches", "units")]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[1].crs())
    extent = layers[1].extent()
    extent.scale(1.04)
    width, height = config.get("size", (1200, 900))
    settings.setOutputSize(QSize(width, height))
    settings.setExtent(extent)
    settings.setBackgroundColor(QColor("#ffffff"))
    settings.setOutputDpi(96)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    return {"png": png, "size": [image.width(), image.height()], **_pixels(image, config)}


def _pixels(image: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Count the pixels that are not white, and those near each colour of ``config["palette"]``.

    Every second pixel of every second row is looked at.
    """
    palette = [_rgb(c) for c in config.get("palette", [])]
    counts = [0] * len(palette)
    drawn = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            value = image.pixel(x, y) & 0xFFFFFF
            if value == 0xFFFFFF:
                continue
            drawn += 1
            r, g, b = _rgb(value)
            for i, (pr, pg, pb) in enumerate(palette):
                if abs(r - pr) <= 6 and abs(g - pg) <= 6 and abs(b - pb) <= 6:
                    counts[i] += 1
    sampled = ((image.width() + 1) // 2) * ((image.height() + 1) // 2)
    return {"drawn_share": drawn / sampled, "palette_pixels": counts}


def _rgb(colour: str | int) -> tuple[int, int, int]:
    """Return the red, green and blue of ``#rrggbb`` or of ``0xrrggbb``."""
    value = int(colour.lstrip("#"), 16) if isinstance(colour, str) else colour
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def check_render(config: dict[str, Any]) -> dict[str, Any]:
    """Render the demo to the PNG the configuration names."""
    return render(config, config["png"])


def main(config_path: str, report_path: str) -> None:
    """Start QGIS, run the checks the configuration names, write the report, leave."""
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    report: dict[str, Any] = {}
    try:
        app = _start_qgis()  # kept: the application ends when it is collected
        from qgis.core import Qgis

        report["qgis"] = Qgis.QGIS_VERSION
        for name in config["checks"]:
            report[name] = _guarded(CHECKS[name], config)
        report["application"] = type(app).__name__
    except Exception:
        report["error"] = traceback.format_exc()
    Path(report_path).write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # QGIS's teardown may crash; the report is written


def _guarded(check: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> Any:
    try:
        return check(config)
    except Exception:
        return {"error": traceback.format_exc()}


def check_algorithms(config: dict[str, Any]) -> dict[str, Any]:
    """Run every algorithm check twice: rivermap in QGIS's Python, then in ``config["python"]``.

    Each time the plugin is started again as QGIS starts it; the second time
    every rivermap module is hidden from QGIS's Python. Each way writes into
    its own folder, ``work/here`` and ``work/elsewhere``.
    """
    from qgis.core import QgsProject

    from tests import qgis_algorithms

    out = {}
    for way, python in (("here", None), ("elsewhere", config["python"])):
        folder = Path(config["work"], way)
        folder.mkdir(exist_ok=True)
        QgsProject.instance().clear()
        cfg = {**config, "out": str(folder)}
        with hidden_library() if python else contextlib.nullcontext():
            unload_plugin()
            found = use_backend(python)
            started = _start_plugin()
            checks = {k: _guarded(f, cfg) for k, f in qgis_algorithms.CHECKS.items()}
        backend = found.backend.python if found.backend else f"none: {found.problem}"
        out[way] = {"backend": backend, "plugin": started, **checks}
    return out


CHECKS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "install_zip": check_install_zip,
    "missing_library": check_missing_library,
    "plugin": check_plugin,
    "plugin_file": lambda config: sys.modules["rivermap_qgis"].__file__,
    "doctests": check_doctests,
    "demo_gpkg": check_demo_gpkg,
    "render": check_render,
    "algorithms": check_algorithms,
}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1], sys.argv[2])
