"""The installed rivermap version, as every output's footer and metadata print it.

One place for it, below every layer, so that the atlas, the signboards, the
bulletin and the package's ``__version__`` agree, including when rivermap runs
from a source tree that was never installed (``"0.0.0+unknown"``).
"""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["UNKNOWN", "code_digest", "rivermap_version"]

#: The version of a source tree that was never installed.
UNKNOWN = "0.0.0+unknown"


def rivermap_version() -> str:
    """Return the installed rivermap version, or :data:`UNKNOWN`.

    Examples
    --------
    >>> rivermap_version() != ""
    True
    """
    try:
        return version("rivermap")
    except PackageNotFoundError:  # pragma: no cover - a source tree never installed
        return UNKNOWN


@functools.cache
def code_digest() -> str:
    """Return a digest of this rivermap's Python sources (16 hex digits).

    Two processes with the same digest run the same code, whatever their
    version strings say (an editable install, a patched copy).

    Examples
    --------
    >>> len(code_digest()), code_digest() == code_digest()
    (16, True)
    """
    root = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()
