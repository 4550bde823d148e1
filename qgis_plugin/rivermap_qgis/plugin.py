"""The plugin QGIS starts: registers the Processing provider, or says how to install rivermap.

``initProcessing`` (called by QGIS, and by ``qgis_process``) looks for a
Python where rivermap runs (:func:`rivermap_qgis.library.start`: a Python of
rivermap's own, else QGIS's where that is safe). When there is one, the
provider with every algorithm is added to the Processing registry and, when
the system has no CJK font, rivermap's Noto Sans CJK is registered with Qt.
When there is none, no provider is added and nothing of rivermap is imported;
``initGui`` shows in the message bar one line with the install command for
this system, and a button with the commands for Debian/Ubuntu and for Windows
(OSGeo4W, standalone installers). The same text goes to the log panel (tab
"rivermap").
"""

from __future__ import annotations

from typing import Any

from qgis.core import Qgis, QgsApplication, QgsMessageLog

from rivermap_qgis import library

__all__ = ["RivermapPlugin"]

#: The log panel's tab.
LOG_TAG = "rivermap"


class RivermapPlugin:
    """Adds the rivermap Processing provider to QGIS."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.provider: Any = None
        self.problem: str | None = None
        self.font: str | None = None
        self._started = False

    def initProcessing(self) -> None:  # noqa: N802 - the name QGIS calls
        """Find where rivermap runs and register the provider (once)."""
        if self._started:
            return
        self._started = True
        found = library.start()
        if found.backend is None:
            self.problem = str(found.problem)
            _, details = library.install_help(self.problem)
            QgsMessageLog.logMessage(details, LOG_TAG, Qgis.Warning)
            return
        from rivermap_qgis.fonts import register_cjk_font
        from rivermap_qgis.provider import RivermapProvider

        info = found.backend.info
        self.font = register_cjk_font(info.get("font"), str(info.get("font_family")))
        self.provider = RivermapProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 - the name QGIS calls
        """Register the provider, or show how to install rivermap in the message bar."""
        self.initProcessing()
        if self.problem is not None and self.iface is not None:
            self._show_install_help(self.problem)

    def _show_install_help(self, problem: str) -> None:
        from qgis.PyQt.QtWidgets import QMessageBox, QPushButton

        short, details = library.install_help(problem)
        bar = self.iface.messageBar()
        item = bar.createMessage("rivermap", short)
        button = QPushButton("详情 / Details", item)
        button.clicked.connect(
            lambda: QMessageBox.information(self.iface.mainWindow(), "rivermap", details)
        )
        item.layout().addWidget(button)
        bar.pushWidget(item, Qgis.Warning)

    def unload(self) -> None:
        """Remove the provider; forget the Python found (it is looked for again on reload)."""
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        library.forget()
