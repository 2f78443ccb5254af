"""Fitting text into a token budget: the one binary search the prompt, the sources and the wiki share."""
from __future__ import annotations

from typing import Callable


def largest_fitting(n_max: int, fits: Callable[[int], bool]) -> int:
    """The largest ``k`` in ``0..n_max`` with ``fits(k)``, for a ``fits`` true up to some k and false after.

    ``fits(0)`` is taken as true (nothing always fits); about log2(n_max) calls.
    """
    lo, hi = 0, n_max
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
