"""Small array helpers for the hot paths.

``np.unique`` in NumPy 2.x can be an order of magnitude slower than a sort for
the integer keys rivermap builds (hundreds of thousands of them), so the engine
uses these instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["unique_first", "unique_inverse", "unique_values"]


def unique_values(a: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return the sorted distinct values of ``a``.

    Examples
    --------
    >>> unique_values(np.array([3, 1, 3, 2]))
    array([1, 2, 3])
    """
    s = np.sort(a)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def unique_first(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return the sorted distinct values of ``a`` and the index of each one's first occurrence.

    Examples
    --------
    >>> unique_first(np.array([3.0, 1.0, 3.0, 2.0]))
    (array([1., 2., 3.]), array([1, 3, 0]))
    """
    order = np.argsort(a, kind="stable")
    s = a[order]
    first = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)
    return s[first], order[first].astype(np.int64)


def unique_inverse(a: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return the sorted distinct values of ``a`` and, per element, the index of its value.

    Examples
    --------
    >>> unique_inverse(np.array([30, 10, 30, 20]))
    (array([10, 20, 30]), array([2, 0, 2, 1]))
    """
    order = np.argsort(a, kind="stable")
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)
    inverse = np.empty(len(a), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return s[new], inverse
