"""The engine's exact expectation with unlimited beds: an M_t/G/infinity fluid model.

With no bed limit (and no transport) every booked-in person stays for an independent draw
from the stay distribution, so the expected population at time t is

    E[N(t)] = N0 * Rbar(t) + integral of lambda(s) * Sbar(t - s) ds

where Sbar is the stay survival function and Rbar(t) = (1/m) * integral_t^inf Sbar the
survival of a stationary residual stay (what `initial_detained` draws). Book-in rates are
constant within each day (the scenario's `schedule` steps on whole days), so every quantity
is an exact sum over days of closed-form day kernels. For a lognormal stay with mean m:

    G(x)  = integral_0^x Sbar         = x Sbar(x) + P(x)
    P(x)  = E[X; X <= x]              = m Phi((ln x - mu - s^2) / s)
    M2(x) = E[X^2; X <= x]            = exp(2 mu + 2 s^2) Phi((ln x - mu - 2 s^2) / s)
    Q(x)  = integral_0^x P            = x P(x) - M2(x)

Day d is [d, d+1); like the engine's daily table, `detained[d]` is the expected state at the
end of day d (time d+1), `exits[d]` the expected exits during day d and `los_sum[d]` the
expected sum of completed stays (admission to exit) of those exits, so that a month's ALOS
is sum(los_sum) / sum(exits) over its days (a ratio of expectations; the engine's ratio of
sums converges to it as the population grows).

A gamma stay (shape k = m^2 / sd^2, scale theta = sd^2 / m, as the engine draws it) has the
same structure: Sbar(x) = 1 - P(k, x / theta), P(x) = m P(k + 1, x / theta) and
M2(x) = k (k + 1) theta^2 P(k + 2, x / theta), with P the regularised lower incomplete gamma
function.

Stay parameters may differ by arrival cohort (`cohort` maps each day to a parameter set):
a change in stays applies to people booked in from that day on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import gammainc, ndtr


@dataclass(frozen=True)
class Stay:
    """A lognormal (or gamma) stay distribution given by its mean and sd (days)."""

    mean: float
    sd: float
    dist: str = "lognormal"

    @property
    def mu_sigma(self) -> tuple[float, float]:
        s2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - s2 / 2.0, math.sqrt(s2)

    def _parts(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sbar(x), P(x), M2(x) for x >= 0."""
        x = np.asarray(x, dtype=float)
        if self.dist == "gamma":
            k = (self.mean / self.sd) ** 2
            th = self.sd * self.sd / self.mean
            y = np.maximum(x, 0.0) / th
            return (
                1.0 - gammainc(k, y),
                self.mean * gammainc(k + 1, y),
                k * (k + 1) * th * th * gammainc(k + 2, y),
            )
        mu, s = self.mu_sigma
        with np.errstate(divide="ignore"):
            lx = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), -np.inf)
        z = (lx - mu) / s
        sbar = ndtr(-z)
        p = self.mean * ndtr(z - s)
        m2 = math.exp(2 * mu + 2 * s * s) * ndtr(z - 2 * s)
        return sbar, p, m2

    def G(self, x: np.ndarray) -> np.ndarray:  # noqa: N802 - the maths' name
        sbar, p, _ = self._parts(x)
        return np.asarray(x) * sbar + p

    def Q(self, x: np.ndarray) -> np.ndarray:  # noqa: N802
        _, p, m2 = self._parts(x)
        return np.asarray(x) * p - m2

    def kernels(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Day kernels for one person per day booked in uniformly over day 0, k = 0..n-1.

        pop[k]: expected presence at the end of day k; exit[k]: probability of leaving in
        day k; los[k]: expected completed stay counted in day k's exits.
        """
        x = np.arange(n + 1, dtype=float)
        g = self.G(x)
        pop = np.diff(g)  # G(k+1) - G(k)
        ext = np.empty(n)
        ext[0] = 1.0 - pop[0]
        ext[1:] = pop[:-1] - pop[1:]
        q = self.Q(x)
        dq = np.diff(q)  # Q(k+1) - Q(k)
        los = np.empty(n)
        los[0] = dq[0]
        los[1:] = dq[1:] - dq[:-1]
        return pop, ext, los

    def initial(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The same for one person present at time 0 with a stationary residual stay."""
        x = np.arange(n + 1, dtype=float)
        g = self.G(x)
        q = self.Q(x)
        pop = (self.mean - g[1:]) / self.mean
        ext = np.diff(g) / self.mean
        los = 1.0 - np.diff(q) / self.mean
        return pop, ext, los


@dataclass
class Paths:
    """Expected daily paths (arrays of length n_days)."""

    detained: np.ndarray
    exits: np.ndarray
    los_sum: np.ndarray


def expected_paths(
    rates: np.ndarray,
    stays: list[Stay],
    cohort: np.ndarray | None = None,
    n0: float = 0.0,
    n0_stay: Stay | None = None,
) -> Paths:
    """Expected detained (end of day), exits and stay sums for daily book-in rates.

    rates[d]: book-ins per day during day d; cohort[d]: index into `stays` of the stay
    distribution of those booked in on day d (all 0 if None); n0 people present at time 0
    with stationary residual stays of `n0_stay` (default stays[cohort[0]]).
    """
    rates = np.asarray(rates, dtype=float)
    n = rates.shape[0]
    if cohort is None:
        cohort = np.zeros(n, dtype=int)
    det = np.zeros(n)
    ext = np.zeros(n)
    los = np.zeros(n)
    for i, stay in enumerate(stays):
        r = np.where(cohort == i, rates, 0.0)
        if not r.any():
            continue
        kp, ke, kl = stay.kernels(n)
        det += fftconvolve(r, kp)[:n]
        ext += fftconvolve(r, ke)[:n]
        los += fftconvolve(r, kl)[:n]
    if n0 > 0:
        s0 = n0_stay or stays[int(cohort[0])]
        ip, ie, il = s0.initial(n)
        det += n0 * ip
        ext += n0 * ie
        los += n0 * il
    # fftconvolve leaves round-off of ~1e-12 where the exact value is 0
    return Paths(np.maximum(det, 0.0), np.maximum(ext, 0.0), np.maximum(los, 0.0))


def monthly(
    paths: Paths, month_index: np.ndarray, n_months: int, covered: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly mean detained (ADP) and ALOS of those leaving, from daily paths.

    month_index[d]: month of day d (-1 for days outside every month, e.g. warm-up);
    covered[d]: False for days a partial month's data do not cover.
    """
    keep = month_index >= 0
    if covered is not None:
        keep &= covered
    idx = month_index[keep]
    ndays = np.bincount(idx, minlength=n_months).astype(float)
    adp = np.bincount(idx, weights=paths.detained[keep], minlength=n_months) / ndays
    ex = np.bincount(idx, weights=paths.exits[keep], minlength=n_months)
    ls = np.bincount(idx, weights=paths.los_sum[keep], minlength=n_months)
    with np.errstate(invalid="ignore", divide="ignore"):
        alos = ls / ex
    return adp, alos
