"""Closed forms of queueing theory and the checks of a simulated value against them, shared by
the statistical tests (test_theory.py, test_cases_theory.py, test_arrests_theory.py,
test_sides_together.py).

The usual tolerance is K_SE = 5 standard errors, the standard error being the spread of the
per-replicate values over sqrt(replicates) (replicates are independent by construction), so a
change of seed fails a correct engine only with probability ~1e-4 per check. Each check may
also be given the value theory would give if an input were off by 10% (`wrong=`), and then
asserts that the simulated value is *outside* the tolerance of that value: the test can fail.
"""

from __future__ import annotations

import math

import numpy as np

K_SE = 5.0  # standard errors allowed for a statistical check


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability of waiting in M/M/c (a = lambda / mu < c), from Erlang B."""
    assert a < c
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error over independent replicates (NaN = null, dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    assert v.size >= 2
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def check(what: str, sim: float, theory: float, tol: float, wrong: float | None = None) -> None:
    """|sim - theory| <= tol; and, if `wrong` (theory under a 10% input error) is given, the
    check must be able to tell it apart: |sim - wrong| > tol."""
    msg = f"{what}: simulated {sim:.6g}, theory {theory:.6g}, tolerance {tol:.3g}"
    print(msg)
    assert abs(sim - theory) <= tol, msg
    if wrong is not None:
        assert abs(sim - wrong) > tol, (
            f"{what}: no power: simulated {sim:.6g} is also within {tol:.3g} of {wrong:.6g}, "
            f"the value under a 10% error"
        )


def check_se(
    what: str,
    values,
    theory: float,
    wrong: float | None = None,
    max_rel_se: float | None = 0.02,
    extra_tol: float = 0.0,
) -> float:
    """Replicate mean within K_SE standard errors (+ `extra_tol`, a band that theory leaves
    open) of theory; returns the mean. `max_rel_se` (None: no limit) refuses a run too noisy
    to test anything."""
    m, se = mean_se(values)
    if max_rel_se is not None:
        assert se <= max_rel_se * abs(theory) + 1e-12, f"{what}: se {se:.3g} too large to test"
    check(what, m, theory, K_SE * se + extra_tol, wrong)
    return m


def check_escorts_follow_wald(m, h: float, e: float, s: float, budget: float) -> None:
    """Attempts far above what the officer-hours allow: each arrest costs h hours and, with
    probability s (booked in), e escort hours more. A day ends with total cost C in
    (budget - h - e, budget + e] (the budget stops the next arrest once less than h is left),
    and by Wald's identity E[C] = E[N] (h + s e), so E[arrests a day] lies between
    (budget - h - e) / (h + s e) and (budget + e) / (h + s e). Tolerance: that band + 5 SE;
    the value with escorts 10% heavier must lie outside it. `m` holds the replicate metrics."""
    mu = h + s * e
    lo, hi = (budget - h - e) / mu, (budget + e) / mu
    check_se(
        "ice_arrests_per_day",
        m["ice_arrests_per_day"].to_numpy(),
        (lo + hi) / 2,
        wrong=budget / (h + s * 1.1 * e),
        max_rel_se=None,
        extra_tol=(hi - lo) / 2,
    )
    # arrests and escorts use the whole budget, but for less than one arrest's hours a day
    used = m["officer_hours_arrests_per_day"] + m["officer_hours_escort_per_day"]
    assert ((used > budget - h) & (used <= budget + e)).all()
