"""The CJK font for printed maps: Noto Sans CJK SC, subset and converted to TrueType.

matplotlib ships no CJK font, so Chinese labels come out as empty boxes
(matplotlib#22536) unless a font is supplied. rivermap takes Noto Sans CJK
(SIL Open Font License 1.1) from the PyPI package ``noto-cjk-sans-otc``, an
OpenType collection whose faces are CFF-flavoured. Two things follow:

* the collection holds the Japanese, Korean, Simplified and Traditional Chinese
  faces; the Simplified Chinese face ("Noto Sans CJK SC") is picked by name so
  that 直, 骨, 角 … take their mainland forms;
* matplotlib embeds fonts in PDFs as TrueType (``pdf.fonttype`` 42, searchable,
  copyable text) only from ``glyf`` outlines; a CFF font would land in a
  ``FontFile2`` stream, which PDF readers need not accept.

:func:`font_for` therefore cuts the face down to the characters a figure
needs, converts that subset's cubic outlines to quadratic ones (fontTools'
``cu2qu``) and writes a small TrueType file, named by a hash of the
characters, to a cache folder. Building one takes well under a second and
the file is a few hundred kilobytes at most; matplotlib subsets it again when
it writes a PDF.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rivermap._scratch import discard, scratch_file
from rivermap._styles import LABEL_FONT

__all__ = ["FONT_FAMILY", "FONT_PACKAGE", "font_for", "source_font"]

#: The PyPI package (and import name) the font comes from.
FONT_PACKAGE = "noto-cjk-sans-otc"
#: The face used: Noto Sans CJK, mainland (Simplified Chinese) glyph forms (the
#: font every style names, :data:`rivermap._styles.LABEL_FONT`).
FONT_FAMILY = LABEL_FONT
_IMPORT = "noto_cjk_sans_otc"
# Characters every figure may need besides its own text (digits, Latin letters,
# punctuation used in labels and numbers).
_BASE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "–—·…°×（）：，、。；“”‘’《》—→↑"
# Keep at most this many converted subsets in the cache folder.
_CACHE_KEEP = 64
_VERSION = "1"  # bump when the conversion changes


@functools.cache
def source_font() -> tuple[Path, int]:
    """Return the Noto Sans CJK collection file and the index of its SC face.

    Returns
    -------
    (Path, int)

    Raises
    ------
    ImportError
        When ``noto-cjk-sans-otc`` is not installed.
    """
    try:
        import noto_cjk_sans_otc  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - a declared dependency
        msg = (
            f"the printed atlas needs the open CJK font package {FONT_PACKAGE!r}: "
            f"pip install {FONT_PACKAGE}"
        )
        raise ImportError(msg) from exc
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    collection = TTCollection(str(path), lazy=True)
    try:
        for index, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == FONT_FAMILY:
                return path, index
    finally:
        collection.close()
    msg = f"{path}: no face named {FONT_FAMILY!r} in the font collection"  # pragma: no cover
    raise ImportError(msg)  # pragma: no cover


def _cache_dir() -> Path:
    try:
        import matplotlib

        base = Path(matplotlib.get_cachedir())
    except Exception:  # pragma: no cover - matplotlib picks a temp dir itself
        base = Path(tempfile.gettempdir())
    folder = base / "rivermap-fonts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def font_for(texts: Iterable[str]) -> Path:
    """Return a TrueType file holding every character of ``texts`` (and common punctuation).

    Parameters
    ----------
    texts
        Every string the figure will draw.

    Returns
    -------
    Path
        A ``.ttf`` file in the cache folder; pass it to
        ``matplotlib.font_manager.FontProperties(fname=...)``. Characters that
        Noto Sans CJK lacks are left out, and matplotlib warns about them when
        they are drawn.

    Examples
    --------
    >>> from fontTools.ttLib import TTFont
    >>> path = font_for(["钱塘江", "Qiantang River"])
    >>> font = TTFont(path)
    >>> "glyf" in font, ord("钱") in font.getBestCmap()
    (True, True)
    """
    chars = set(_BASE_CHARS)
    for text in texts:
        chars.update(text)
    chars = {c for c in chars if c.isprintable() or c == " "}
    source, index = source_font()
    key = hashlib.sha256(
        f"{_VERSION}|{source.name}|{os.path.getsize(source)}|{index}|".encode()
        + "".join(sorted(chars)).encode("utf-8", "surrogatepass")
    ).hexdigest()[:20]
    folder = _cache_dir()
    out = folder / f"NotoSansCJKsc-{key}.ttf"
    if out.exists():
        return out
    font = _subset_truetype(source, index, chars)
    tmp = scratch_file(out, quiet=True)  # a cache: leftovers go without a word
    try:
        font.save(tmp)
        os.replace(tmp, out)
    finally:
        font.close()
        discard(tmp)
    _prune(folder)
    return out


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("NotoSansCJKsc-*.ttf"), key=lambda p: p.stat().st_mtime)
    for old in files[:-_CACHE_KEEP]:
        # another process may hold or have removed it
        with contextlib.suppress(OSError):
            old.unlink()


def _subset_truetype(source: Path, index: int, chars: set[str]) -> Any:
    """Subset face ``index`` of ``source`` to ``chars`` and give it TrueType outlines."""
    from fontTools import subset  # type: ignore[import-untyped]

    options = subset.Options()
    options.font_number = index
    options.layout_features = []  # simple horizontal text: no OpenType features needed
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.desubroutinize = True
    font = subset.load_font(str(source), options)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        _to_truetype(font)
    except BaseException:
        font.close()
        raise
    return font


def _to_truetype(font: Any) -> None:
    """Replace a font's CFF outlines by quadratic TrueType ones, in place."""
    glyph_order = font.getGlyphOrder()
    glyf = _quadratic_glyphs(font, glyph_order)
    font["loca"] = _new_table("loca")
    font["glyf"] = glyf
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        glyph.recalcBounds(glyf)
        if glyph.numberOfContours:
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    _set_truetype_maxp(font, len(glyph_order))
    _post_with_glyph_names(font["post"], glyph_order)
    font.sfntVersion = "\x00\x01\x00\x00"


def _new_table(tag: str) -> Any:
    from fontTools.ttLib import newTable

    return newTable(tag)


def _quadratic_glyphs(font: Any, glyph_order: list[str]) -> Any:
    """Return a ``glyf`` table of the font's glyphs, cubic curves turned quadratic (cu2qu)."""
    from fontTools.pens.cu2quPen import Cu2QuPen  # type: ignore[import-untyped]
    from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]

    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = _new_table("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    return glyf


# maxp fields that a TrueType font without hinting instructions leaves at zero
_MAXP_ZEROS = (
    "maxTwilightPoints",
    "maxStorage",
    "maxFunctionDefs",
    "maxInstructionDefs",
    "maxStackElements",
    "maxSizeOfInstructions",
    "maxComponentElements",
)


def _set_truetype_maxp(font: Any, num_glyphs: int) -> None:
    """Give ``font`` a version 1.0 (TrueType) ``maxp`` table, its counts computed."""
    maxp = _new_table("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in _MAXP_ZEROS:
        setattr(maxp, field, 0)
    maxp.numGlyphs = num_glyphs
    font["maxp"] = maxp
    maxp.recalc(font)


def _post_with_glyph_names(post: Any, glyph_order: list[str]) -> None:
    """Make ``post`` a format 2 table that carries the glyph names (CFF fonts keep them there)."""
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order
