"""Stay and delay distributions drawn by the kernels (codes shared by kernel.py and
cases.py)."""

from __future__ import annotations

from numba import njit

FIXED, EXPONENTIAL, LOGNORMAL, GAMMA = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def draw_stay(rng, dist, p1, p2):
    if dist == FIXED:
        return p1
    if dist == EXPONENTIAL:
        return rng.exponential(p1)
    if dist == LOGNORMAL:
        return rng.lognormal(p1, p2)
    return rng.gamma(p1, p2)


@njit(cache=True, nogil=True)
def draw_length_biased(rng, dist, p1, p2):
    """A stay drawn with probability proportional to its length (what a snapshot sees)."""
    if dist == FIXED:
        return p1
    if dist == EXPONENTIAL:
        return rng.gamma(2.0, p1)
    if dist == LOGNORMAL:
        return rng.lognormal(p1 + p2 * p2, p2)
    return rng.gamma(p1 + 1.0, p2)
