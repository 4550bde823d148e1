"""The installed rivermap version, as every output's footer and metadata print it.

One place for it, below every layer, so that the atlas, the signboards, the
bulletin and the package's ``__version__`` agree, including when rivermap runs
from a source tree that was never installed (``"0.0.0+unknown"``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["UNKNOWN", "rivermap_version"]

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
