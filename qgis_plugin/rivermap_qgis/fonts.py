"""The CJK font for QGIS's labels: registered when the system has none.

rivermap's styles label rivers and units in Chinese with "Noto Sans CJK SC",
the face the atlas uses. Systems without any font covering Simplified Chinese
(a bare Linux, some servers running ``qgis_process``) would draw empty boxes, so
:func:`register_cjk_font` adds rivermap's own copy of Noto Sans CJK (the
``noto-cjk-sans-otc`` package, wherever rivermap runs: the file
:func:`rivermap_qgis.steps.describe` names) to Qt's font database for this
QGIS session. Qt reads the OpenType collection whole; nothing is installed on
the system.
"""

from __future__ import annotations

__all__ = ["has_cjk_font", "register_cjk_font"]


def has_cjk_font() -> bool:
    """Whether Qt knows a font family that writes Simplified Chinese."""
    from qgis.PyQt.QtGui import QFontDatabase

    return bool(QFontDatabase().families(QFontDatabase.SimplifiedChinese))


def register_cjk_font(path: str | None, family: str, *, force: bool = False) -> str | None:
    """Register the font file ``path`` with Qt when no CJK font is known (or ``force``).

    ``path`` is rivermap's Noto Sans CJK (the backend's ``info["font"]``),
    None when the font package is missing where rivermap runs; ``family`` is
    the family rivermap's styles name (``info["font_family"]``).

    Returns
    -------
    str or None
        The family registered (``"Noto Sans CJK SC"``), or None when nothing
        was needed or there is no font file.
    """
    if path is None or (not force and has_cjk_font()):
        return None
    from qgis.PyQt.QtGui import QFontDatabase

    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    return family if family in families else None
