"""Statistical tests of the engine against queueing theory (issue 2).

Every test runs a dict scenario through the public API (`enforcesim.run`) and compares a
metric with a closed-form value. Each docstring states the theory, the seed, the tolerance
and why that tolerance. The usual tolerance is K_SE = 5 standard errors, the standard error
being the spread of the per-replicate values over sqrt(replicates) (replicates are
independent by construction), so a change of seed fails a correct engine only with
probability ~1e-4 per check. Where the derivation gives an exact value (counts, flows on a
fixed departure grid) the check is exact.

Each check also states the value theory would give if an input were off by 10% (`wrong=`),
and `check` asserts that the simulated value is *outside* the tolerance of that value: the
test can fail, and would fail if e.g. the book-in rate were 10% off.

Seeds are fixed, so the results are reproducible; the seeds are arbitrary (not chosen).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

import enforcesim
from theory_checks import K_SE, check, check_se, erlang_b, erlang_c, mean_se


# --------------------------------------------------------------------------------------------
# Theory
# --------------------------------------------------------------------------------------------
def stay_frozen(stay: dict):
    """The scipy distribution of a length_of_stay table (same parametrisation as the engine)."""
    m = stay["mean"]
    if stay["dist"] == "exponential":
        return stats.expon(scale=m)
    if stay["dist"] == "lognormal":
        s2 = math.log1p((stay["sd"] / m) ** 2)
        return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(m) - s2 / 2))
    if stay["dist"] == "gamma":
        shape = (m / stay["sd"]) ** 2
        return stats.gamma(shape, scale=m / shape)
    raise ValueError(stay["dist"])


def mg_inf_from_empty(stay: dict, lam: float, warmup: float, days: float) -> tuple[float, float]:
    """M/G/inf started empty at -warmup (what a finite warm-up simulates), over [0, days]:
    the expected time-average number in system, lambda/T * int_W^{W+T} E[min(S, x)] dx =
    lambda/T * int_0^{W+T} P(S > u) (W + T - max(u, W)) du; and the expected mean stay of
    the people who left during [0, T]: a departure at d has a stay s < d + W, so stays are
    weighted by T - max(s - W, 0). Both tend to lambda E[S] and E[S] as W grows."""
    w, t = float(warmup), float(days)
    if stay["dist"] == "fixed":
        assert w >= stay["mean"]  # then the population is stationary from day 0
        return lam * stay["mean"], stay["mean"]
    d = stay_frozen(stay)
    area = integrate.quad(lambda u: d.sf(u) * (w + t - max(u, w)), 0, w + t, points=[w], limit=400)[
        0
    ]

    def weight(s):
        return d.pdf(s) * (t - max(s - w, 0.0))

    num = integrate.quad(lambda s: s * weight(s), 0, w + t, points=[w], limit=400)[0]
    den = integrate.quad(weight, 0, w + t, points=[w], limit=400)[0]
    return lam * area / t, num / den


def expected_min_stay(stay: dict, t: float) -> float:
    """E[min(S, t)] = integral_0^t P(S > u) du: the M/G/inf mean at time t from empty is
    lambda * E[min(S, t)]."""
    if stay["dist"] == "fixed":
        return min(stay["mean"], t)
    d = stay_frozen(stay)
    return integrate.quad(d.sf, 0.0, t, limit=200)[0]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def scenario(
    *,
    rate: float,
    stay: dict,
    beds: int | str = "unlimited",
    when_full: str = "release",
    days: int = 365,
    warmup: int = 0,
    seed: int = 0,
    replicates: int = 16,
    **extra,
) -> dict:
    """A dict scenario; `extra` holds whole sections or detention keys (removal_share, ...)."""
    detention = {"beds": beds, "when_full": when_full, "length_of_stay": dict(stay)}
    sections = {}
    for key, value in extra.items():
        if key in ("removal_share", "initial_detained", "beds_schedule"):
            detention[key] = value
        else:
            sections[key] = value
    return {
        "scenario": {
            "name": "theory",
            "days": days,
            "warmup_days": warmup,
            "seed": seed,
            "replicates": replicates,
        },
        "book_ins": {"rate_per_day": rate, **sections.pop("book_ins", {})},
        "detention": detention,
        **sections,
    }


def run(sc: dict):
    return enforcesim.run(sc)


STAYS = {
    "fixed": {"dist": "fixed", "mean": 10.0},
    "exponential": {"dist": "exponential", "mean": 10.0},
    "lognormal": {"dist": "lognormal", "mean": 10.0, "sd": 20.0},  # cv 2: heavy tail
    "gamma": {"dist": "gamma", "mean": 10.0, "sd": 5.0},  # cv 0.5
}


# --------------------------------------------------------------------------------------------
# 1. M/G/infinity
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(STAYS))
def test_mg_infinity_littles_law(name):
    """M/G/inf: mean detained = lambda * E[S] (Little's law), for any stay distribution.

    lambda = 200/day, E[S] = 10 days (fixed; exponential; lognormal sd 20; gamma sd 5),
    beds unlimited, 300 reported days after 200 warm-up days, 16 replicates, seed 11.
    A finite warm-up starts the system empty at -200: stays longer than the time since
    then are missing. That is negligible except for the heavy-tailed lognormal (cv 2,
    E[(S - 200)+] = 0.15 days), where it lowers the expected time-average to 1988.3 and the
    mean stay of leavers to 9.825; the test compares with these exact finite-warm-up values
    (`mg_inf_from_empty`) and also checks that they are within 1% of lambda E[S] = 2000 and
    2% of E[S] = 10. Metrics: `detained` (time average), the mean of daily `detained`,
    length_of_stay_days (the departures of a stationary M/G/inf have stays distributed as
    S), removals_per_day ~ lambda. Tolerance 5 replicate standard errors (se of detained ~
    sqrt(lambda E[S^2] / T / 16) ~ 3-4, 0.2%). A 10% error in lambda (2200) lies > 40 se
    away; in E[S] (LOS 11) > 40 se.
    """
    stay = STAYS[name]
    lam, warmup, days = 200.0, 200, 300
    res = run(scenario(rate=lam, stay=stay, days=days, warmup=warmup, seed=11))
    rm = res.replicate_metrics()
    theory, los = mg_inf_from_empty(stay, lam, warmup, days)
    assert theory == pytest.approx(lam * stay["mean"], rel=0.01)
    assert los == pytest.approx(stay["mean"], rel=0.02)
    check_se(f"{name}: detained", rm["detained"], theory, wrong=1.1 * theory)
    daily = res.daily().groupby("replicate")["detained"].mean()
    check_se(f"{name}: mean daily detained", daily, theory, wrong=1.1 * theory)
    check_se(f"{name}: length_of_stay_days", rm["length_of_stay_days"], los, wrong=1.1 * los)
    check_se(f"{name}: removals_per_day", rm["removals_per_day"], lam, wrong=1.1 * lam)
    assert (rm["turned_away_per_day"] == 0).all() and (rm["waiting_for_bed"] == 0).all()
    assert rm["occupancy"].isna().all()  # unlimited beds: null


def test_mg_infinity_daily_detained_is_poisson():
    """M/G/inf in steady state: the number in system at a fixed time is Poisson(lambda E[S]).

    lambda = 50/day, lognormal stays mean 2 sd 2 (a = 100), 50 warm-up days, 4000 days,
    20 replicates, seed 12. Snapshots: daily `detained` every 20th day (20 mean stays
    apart: in M/G/inf the covariance at lag t is lambda*E[(S - t)+], here < 1e-4 of the
    variance, so the 200 x 20 = 4000 snapshots are practically independent). Checks:
    - sample mean within 5 se (se = sqrt(a / n) = 0.16) of a = 100;
    - index of dispersion var/mean within 5 se of 1, se = sqrt(2 / (n - 1)) = 0.022 (the
      variance of a sample variance of Poisson(100) data is ~ 2 a^2 / n); a binomial or
      deterministic arrival count (dispersion 0) or a doubled variance would fail;
    - Kolmogorov distance max_k |F_n(k) - F(k)| of the empirical cdf from the Poisson(100)
      cdf at the integers below 1.95/sqrt(n) = 0.031 (the 0.1% critical value of the
      continuous KS statistic, conservative for discrete data); a Poisson(110) gives 0.37.
    """
    lam, a = 50.0, 100.0
    stay = {"dist": "lognormal", "mean": 2.0, "sd": 2.0}
    res = run(scenario(rate=lam, stay=stay, days=4000, warmup=50, seed=12, replicates=20))
    d = res.daily()
    x = d.loc[d["day"] % 20 == 19, "detained"].to_numpy(dtype=float)
    n = x.size
    check("poisson snapshot mean", x.mean(), a, K_SE * math.sqrt(a / n), wrong=1.1 * a)
    check(
        "index of dispersion",
        x.var(ddof=1) / x.mean(),
        1.0,
        K_SE * math.sqrt(2 / (n - 1)),
        wrong=0.85,
    )
    grid = np.arange(int(x.min()) - 1, int(x.max()) + 1)
    ecdf = np.searchsorted(np.sort(x), grid, side="right") / n
    ks = float(np.max(np.abs(ecdf - stats.poisson(a).cdf(grid))))
    print(f"KS distance {ks:.4f} (n={n}), critical {1.95 / math.sqrt(n):.4f}")
    assert ks < 1.95 / math.sqrt(n)


# --------------------------------------------------------------------------------------------
# 2. Erlang loss M/G/c/c
# --------------------------------------------------------------------------------------------
LOSS_STAYS = {
    "fixed": {"dist": "fixed", "mean": 2.0},
    "exponential": {"dist": "exponential", "mean": 2.0},
    "lognormal": {"dist": "lognormal", "mean": 2.0, "sd": 4.0},
    "gamma": {"dist": "gamma", "mean": 2.0, "sd": 1.0},
}


def test_erlang_loss_and_insensitivity():
    """M/G/c/c (when_full = "release", no [transport]): turned_away_share = Erlang B(c, a),
    a = lambda E[S], whatever the stay distribution with that mean (insensitivity); and
    occupancy = carried load / c = (1 - B) a / c.

    c = 50 beds, lambda = 25/day, E[S] = 2 days (a = 50, B = 0.10479), stays fixed,
    exponential, lognormal (cv 2) and gamma (cv 0.5); 3000 days after 50 warm-up days
    (25 mean stays), 16 replicates, seed 21 for all four (common random numbers). Tolerance
    5 replicate standard errors (se ~ 0.0004-0.0011 for B, 0.4-1% of it). A 10% error in
    lambda gives B(50, 55) = 0.161, > 50 se away. Insensitivity is checked both as each distribution
    against B and as the spread between distributions (the max - min of the four means
    within 5 * sqrt(2) * the largest se).
    """
    c, lam = 50, 25.0
    a = lam * 2.0
    b = erlang_b(c, a)
    b_wrong = erlang_b(c, 1.1 * a)
    means = {}
    ses = []
    for name, stay in LOSS_STAYS.items():
        res = run(scenario(rate=lam, stay=stay, beds=c, days=3000, warmup=50, seed=21))
        rm = res.replicate_metrics()
        means[name] = check_se(
            f"{name}: turned_away_share", rm["turned_away_share"], b, wrong=b_wrong
        )
        ses.append(mean_se(rm["turned_away_share"])[1])
        occ = (1 - b) * a / c
        check_se(f"{name}: occupancy", rm["occupancy"], occ, wrong=(1 - b_wrong) * 1.1 * a / c)
        check_se(
            f"{name}: turned_away_per_day",
            rm["turned_away_per_day"],
            lam * b,
            wrong=1.1 * lam * b_wrong,
        )
        assert (res.daily()["detained"] <= c).all()
    spread = max(means.values()) - min(means.values())
    print(f"blocking by distribution: {means}, spread {spread:.4g}")
    assert spread <= K_SE * math.sqrt(2) * max(ses)


def test_erlang_b_recursion():
    """The test's own Erlang B against known values (B(1, a) = a/(1+a); B(2, 1) = 0.2;
    B(100, 100) = 0.0757) and against the closed form a^c/c! / sum a^k/k! for small c."""
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(100, 100.0) == pytest.approx(0.0757, abs=1e-4)
    for c, a in [(5, 3.0), (10, 12.0)]:
        terms = [a**k / math.factorial(k) for k in range(c + 1)]
        assert erlang_b(c, a) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho


# --------------------------------------------------------------------------------------------
# 3. M/M/c with a holding queue
# --------------------------------------------------------------------------------------------
def test_mmc_wait_erlang_c():
    """M/M/c (when_full = "wait", exponential stays): with a = lambda/mu, rho = a/c,
    C = Erlang C(c, a); P(all beds busy) = C (time average = what arrivals see, PASTA);
    Wq = C / (c mu - lambda); Lq = lambda Wq.

    c = 20, lambda = 16/day, mean stay 1 day (rho = 0.8, C = 0.2561, Wq = 0.0640 days,
    Lq = 1.024); 5000 days after 100 warm-up days (relaxation time ~ 1/(c mu (1-sqrt rho)^2)
    ~ 4.5 days), 16 replicates, seed 31. P(all busy) is the share of end-of-day snapshots
    with detained == beds. `wait_for_bed_days` is the mean over all admitted (zero waits
    included), so it compares with Wq directly. Tolerance 5 replicate se (se ~ 1-3% of
    each value). A 10% error in lambda (rho 0.88) gives C = 0.43, Wq = 0.18, Lq = 3.2.
    """
    c, lam, mu = 20, 16.0, 1.0
    a = lam / mu
    cp = erlang_c(c, a)
    wq = cp / (c * mu - lam)
    cw = erlang_c(c, 1.1 * a)
    wq_wrong = cw / (c * mu - 1.1 * lam)
    res = run(
        scenario(
            rate=lam,
            stay={"dist": "exponential", "mean": 1 / mu},
            beds=c,
            when_full="wait",
            days=5000,
            warmup=100,
            seed=31,
        )
    )
    rm = res.replicate_metrics()
    d = res.daily()
    busy = (d["detained"] >= c).groupby(d["replicate"]).mean()
    check_se("P(all beds busy) = Erlang C", busy, cp, wrong=cw, max_rel_se=0.05)
    check_se("wait_for_bed_days = Wq", rm["wait_for_bed_days"], wq, wrong=wq_wrong, max_rel_se=0.05)
    check_se(
        "waiting_for_bed = Lq",
        rm["waiting_for_bed"],
        lam * wq,
        wrong=1.1 * lam * wq_wrong,
        max_rel_se=0.05,
    )
    check_se("detained = a", rm["detained"], a, wrong=1.1 * a)
    check_se("admitted_per_day = lambda", rm["admitted_per_day"], lam, wrong=1.1 * lam)
    assert (rm["turned_away_per_day"] == 0).all()
    # Little's law on the holding queue, replicate by replicate (exact up to edge effects).
    little = rm["waiting_for_bed"] / (rm["admitted_per_day"] * rm["wait_for_bed_days"])
    assert np.allclose(little, 1.0, atol=0.02)


# --------------------------------------------------------------------------------------------
# 4. Transport
# --------------------------------------------------------------------------------------------
def test_transport_slack_waits_half_the_gap():
    """Slack transport: removal orders form a Poisson process (ends of stays of a stationary
    M/G/inf); with seats never all taken each waits for the next departure on the grid
    k/f, uniform on (0, 1/f], so the mean wait is 1/(2f); removals_per_day = lambda * share.

    lambda = 100/day, removal_share 0.5, exponential stays mean 5, f = 4 departures/day of
    500 seats (capacity 2000/day against 50 orders/day; a departure sees Poisson(12.5)
    orders), 1000 days after 100 warm-up days, 16 replicates, seed 41. Theory: wait 0.125
    days, removals 50/day, releases 50/day, length_of_stay_days = E[S] + share/(2f) =
    5.0625. Tolerance 5 replicate se (~0.1% of the wait). A 10% error in f gives 0.1136.
    """
    lam, share, f = 100.0, 0.5, 4.0
    res = run(
        scenario(
            rate=lam,
            stay={"dist": "exponential", "mean": 5.0},
            days=1000,
            warmup=100,
            seed=41,
            removal_share=share,
            transport={"departures_per_day": f, "seats_per_departure": 500},
        )
    )
    rm = res.replicate_metrics()
    check_se(
        "wait_for_transport_days",
        rm["wait_for_transport_days"],
        1 / (2 * f),
        wrong=1 / (2 * 1.1 * f),
    )
    check_se("removals_per_day", rm["removals_per_day"], lam * share, wrong=1.1 * lam * share)
    check_se(
        "releases_per_day", rm["releases_per_day"], lam * (1 - share), wrong=1.1 * lam * (1 - share)
    )
    check_se(
        "length_of_stay_days",
        rm["length_of_stay_days"],
        5.0 + share / (2 * f),
        wrong=1.1 * 5.0 + share / (2 * f),
    )
    check_se("detained", rm["detained"], lam * (5.0 + share / (2 * f)), wrong=1.1 * lam * 5.0)


def test_transport_binding_capacity():
    """Binding transport: orders (lambda * share = 60/day) exceed seat capacity f*s = 40/day.
    Once the seat queue is never empty every departure leaves full, so removals_per_day is
    exactly f*s (derivation: 400 departures on t = k/2 in [0, 200), 20 seats each); with
    unlimited beds, detained = the stationary in-stay population (lambda E[S] = 500) + the
    seat queue, which grows at 60 - 40 = 20/day.

    lambda = 100, share 0.6, exponential stays mean 5, f = 2, s = 20, 200 days after 50
    warm-up days (seat queue ~1000 at day 0), 16 replicates, seed 42. The slope of an
    ordinary least-squares line through each replicate's daily `detained` is compared with
    20 within 5 replicate se (the seat queue is a random walk with variance 60/day: se of
    a slope ~ 0.2/day). A 10% error in seat capacity (slope 16) or in the order rate
    (slope 26) fails.
    """
    lam, share, f, s = 100.0, 0.6, 2.0, 20
    res = run(
        scenario(
            rate=lam,
            stay={"dist": "exponential", "mean": 5.0},
            days=200,
            warmup=50,
            seed=42,
            removal_share=share,
            transport={"departures_per_day": f, "seats_per_departure": s},
        )
    )
    rm = res.replicate_metrics()
    assert np.allclose(rm["removals_per_day"], f * s, rtol=0, atol=1e-9), rm["removals_per_day"]
    d = res.daily()
    assert (d["removals"] == f * s).all()
    slopes = d.groupby("replicate")[["day", "detained"]].apply(
        lambda g: np.polyfit(g["day"], g["detained"], 1)[0]
    )
    slope = lam * share - f * s
    check_se("detained slope", slopes, slope, wrong=lam * share - 1.1 * f * s)


# --------------------------------------------------------------------------------------------
# 5. Schedules
# --------------------------------------------------------------------------------------------
def test_book_ins_schedule_step():
    """A book-in schedule step at day 50 (100 -> 300/day): daily book_ins are Poisson(100)
    on days < 50 and Poisson(300) from day 50 on; book_ins_per_day = (50*100 + 50*300)/100.

    100 days, 80 replicates, seed 51. Poisson standard errors are exact: sqrt(rate / n) over
    n replicate-days. Checked: the means before and after the step over all days, and the
    day just before (49) and just after (50) it alone, each within 5 se; and the summary
    metric. A rate 10% off, or a step one day late (day 50 ~ 100), fails.
    """
    res = run(
        scenario(
            rate=100.0,
            stay={"dist": "fixed", "mean": 1.0},
            days=100,
            seed=51,
            replicates=80,
            book_ins={"schedule": [{"day": 50, "rate_per_day": 300.0}]},
        )
    )
    d = res.daily()
    for days, rate in [
        (d["day"] < 50, 100.0),
        (d["day"] >= 50, 300.0),
        (d["day"] == 49, 100.0),
        (d["day"] == 50, 300.0),
    ]:
        x = d.loc[days, "book_ins"]
        check(
            f"book_ins mean on {x.size} replicate-days at rate {rate}",
            x.mean(),
            rate,
            K_SE * math.sqrt(rate / x.size),
            wrong=1.1 * rate,
        )
    rm = res.replicate_metrics()
    check_se("book_ins_per_day", rm["book_ins_per_day"], 200.0, wrong=220.0)


def test_beds_increase_admits_queue_at_once():
    """when_full = "wait": a beds increase admits from the holding queue at once.

    lambda = 50/day, fixed stays of 100 days (nobody leaves before day 100, so no end of
    stay can trigger admissions: only the increase itself can), 100 beds, no warm-up, 40
    days; at day 30 beds become 3000. Exact consequences (no tolerance): at the end of day
    29 detained == 100 and waiting_for_bed == (book-ins of days 0..29) - 100 > 0; at the end
    of day 30 waiting_for_bed == 0, admitted[30] == waiting[29] + book_ins[30] (everyone
    queued and every book-in of day 30), detained[30] == 100 + admitted[30]; the beds
    column is 100 up to day 29 and 3000 from day 30. Seed 52, 8 replicates. Statistical
    part: the queue at the end of day 29 is Poisson(30 lambda) - 100, mean 1400, within 5
    replicate se (~ sqrt(1500/8) ~ 14); a 10% rate error gives 1550. (With exponential
    stays a missing at-once admission would be hidden by the next end of stay, a fraction
    of an hour later: a mutation test showed it, hence the fixed stays.)
    """
    lam, c = 50.0, 100
    res = run(
        scenario(
            rate=lam,
            stay={"dist": "fixed", "mean": 100.0},
            beds=c,
            when_full="wait",
            days=40,
            seed=52,
            replicates=8,
            beds_schedule=[{"day": 30, "beds": 3000}],
        )
    )
    d = res.daily().set_index(["replicate", "day"])
    d29, d30 = d.xs(29, level="day"), d.xs(30, level="day")
    arrived = d["book_ins"].groupby(level="replicate").apply(lambda x: x.iloc[:30].sum())
    w29 = d29["waiting_for_bed"]
    assert (d29["detained"] == c).all()
    assert (w29 == arrived - c).all() and (w29 > 0).all()
    assert (d30["waiting_for_bed"] == 0).all()
    assert (d30["admitted"] == w29 + d30["book_ins"]).all()
    assert (d30["detained"] == c + d30["admitted"]).all()
    assert (d29["beds"] == c).all() and (d30["beds"] == 3000).all()
    check_se("queue at end of day 29", w29, lam * 30 - c, wrong=1.1 * lam * 30 - c)


def test_beds_cut_never_evicts():
    """A bed cut never evicts: detained decays as stays end, it does not drop to the new beds.

    lambda = 100/day, exponential stays mean 20, 5000 beds ("release"), 200 warm-up days
    (detained ~ 2000); at day 50 beds become 500. From then on nobody is admitted until
    detained < 500 (~ day 77), so by memorylessness E[detained at end of day 49 + k |
    D49] = D49 exp(-k/20). Checked per replicate ratio detained[49+k]/detained[49] against
    exp(-k/20) for k = 1 (0.951, not 500/2000) and k = 20 (0.368), within 5 replicate se
    (binomial: se ~ sqrt(p(1-p)/2000/16) ~ 0.001-0.003). A 10% error in the stay mean moves
    the k = 20 ratio to exp(-20/22) = 0.403. Exact parts: no admission and every book-in
    turned away on days 50..70, and detained > beds (occupancy > 1) on day 50. Seed 53.
    """
    res = run(
        scenario(
            rate=100.0,
            stay={"dist": "exponential", "mean": 20.0},
            beds=5000,
            days=80,
            warmup=200,
            seed=53,
            beds_schedule=[{"day": 50, "beds": 500}],
        )
    )
    d = res.daily()
    det = d.pivot(index="replicate", columns="day", values="detained")
    after = d[(d["day"] >= 50) & (d["day"] <= 70)]
    assert (after["admitted"] == 0).all()
    assert (after["turned_away"] == after["book_ins"]).all()
    assert (det[50] > 500).all()
    for k in (1, 20):
        check_se(
            f"detained[{49 + k}] / detained[49]",
            det[49 + k] / det[49],
            math.exp(-k / 20),
            wrong=math.exp(-k / 22),
        )


# --------------------------------------------------------------------------------------------
# 6. removal_share and length of stay
# --------------------------------------------------------------------------------------------
def test_removal_share_and_length_of_stay():
    """removals / (removals + releases) ~ removal_share (each decided case is an independent
    Bernoulli(share)); length_of_stay_days ~ E[S] without [transport]; with transport, the
    removed also hold the bed while waiting for a seat, so the mean over all who left a bed
    is E[S] + share * E[wait] = E[S] + share / (2f) (slack seats, see the transport test).

    lambda = 200/day, share 0.3, exponential stays mean 10, 500 days after 150 warm-up days,
    16 replicates, seed 61; with transport f = 0.5/day (mean wait 1 day), 10000 seats. Both
    runs share the seed, hence the arrivals, stays and decisions (common random numbers), so
    the per-replicate difference of length_of_stay_days is precise: compared with
    share / (2f) = 0.3 within 5 replicate se. Share: binomial se sqrt(p(1-p)/N), N ~ 1.6M
    decisions, but the replicate se is used. A share of 0.33 or a stay mean of 11 fails.
    """
    lam, share, mean, f = 200.0, 0.3, 10.0, 0.5
    base = dict(
        rate=lam,
        stay={"dist": "exponential", "mean": mean},
        days=500,
        warmup=150,
        seed=61,
        removal_share=share,
    )
    rm0 = run(scenario(**base)).replicate_metrics()
    rm1 = run(
        scenario(**base, transport={"departures_per_day": f, "seats_per_departure": 10000})
    ).replicate_metrics()
    for rm in (rm0, rm1):
        got = rm["removals_per_day"] / (rm["removals_per_day"] + rm["releases_per_day"])
        check_se("removal share", got, share, wrong=1.1 * share)
    check_se("LOS without transport", rm0["length_of_stay_days"], mean, wrong=1.1 * mean)
    check_se(
        "wait_for_transport_days",
        rm1["wait_for_transport_days"],
        1 / (2 * f),
        wrong=1 / (2 * 1.1 * f),
    )
    check_se(
        "LOS with transport",
        rm1["length_of_stay_days"],
        mean + share / (2 * f),
        wrong=mean + 1.1 * share / (2 * f),
    )
    check_se(
        "LOS difference (common random numbers)",
        rm1["length_of_stay_days"] - rm0["length_of_stay_days"],
        share / (2 * f),
        wrong=1.1 * share / (2 * f),
        max_rel_se=0.05,
    )


# --------------------------------------------------------------------------------------------
# 7. initial_detained
# --------------------------------------------------------------------------------------------
INIT_STAYS = {
    "lognormal": {"dist": "lognormal", "mean": 30.0, "sd": 60.0},  # cv 2
    "fixed": {"dist": "fixed", "mean": 30.0},
}


@pytest.mark.parametrize("name", list(INIT_STAYS))
def test_initial_detained_is_stationary(name):
    """M/G/inf started at its mean lambda E[S] with stationary residual stays is stationary:
    E[detained(t)] = lambda E[S] for all t >= 0 (initial survivors decay as the equilibrium
    residual survival, new arrivals fill in exactly the complement).

    lambda = 100/day, E[S] = 30 (lognormal sd 60, or fixed), initial_detained = 3000, no
    warm-up, 60 days (two mean stays), 20 replicates, seed 71. The mean over replicates of
    daily `detained` on each of days 0..9, and on days 20, 40, 59, is compared with 3000
    within 5 replicate se (se ~ 3 on day 0 up to ~ 10 on day 59, <= 0.35%). Two wrong
    initialisations, checked by editing a copy of the kernel: residual u * S with S drawn
    from the stay distribution instead of its length-biased version (lognormal day 0 ~ 2640,
    a dip; identical for fixed stays, where length-biasing changes nothing), and full stays
    from day 0 (a rise: 3100 on day 0, 3000 + 100 (d + 1) until day 29); a 10% larger
    initial population (3300) fails too.
    """
    stay = INIT_STAYS[name]
    lam = 100.0
    a = lam * stay["mean"]
    res = run(
        scenario(rate=lam, stay=stay, days=60, seed=71, replicates=20, initial_detained=int(a))
    )
    det = res.daily().pivot(index="replicate", columns="day", values="detained")
    for day in [*range(10), 20, 40, 59]:
        check_se(f"{name}: detained day {day}", det[day], a, wrong=1.1 * a)
    check_se(
        f"{name}: detained (time average)", res.replicate_metrics()["detained"], a, wrong=1.1 * a
    )


@pytest.mark.parametrize("name", list(INIT_STAYS))
def test_empty_start_ramps_up(name):
    """Contrast: M/G/inf started empty (no warm-up, initial_detained 0) ramps up:
    E[detained at end of day d] = lambda E[min(S, d + 1)] (= 100 (d + 1) for fixed S = 30
    until day 29, then 3000; numerically integrated survival for the lognormal).

    Same scenario as the stationary test but without initial_detained; seed 72, 60
    replicates. Days 0, 4, 9, 29 and 59 within 5 replicate se (se ~ sqrt(mean / 60)); day 0
    is far below lambda E[S] (a ramp, unlike the stationary start). A 10% error in lambda
    fails.
    """
    stay = INIT_STAYS[name]
    lam = 100.0
    res = run(scenario(rate=lam, stay=stay, days=60, seed=72, replicates=60))
    det = res.daily().pivot(index="replicate", columns="day", values="detained")
    for day in (0, 4, 9, 29, 59):
        theory = lam * expected_min_stay(stay, day + 1.0)
        check_se(
            f"{name}: empty start, detained day {day}",
            det[day],
            theory,
            wrong=1.1 * theory,
            max_rel_se=0.05,
        )
    assert det[0].mean() < 0.1 * lam * stay["mean"]


# --------------------------------------------------------------------------------------------
# 8. [uncertainty]
# --------------------------------------------------------------------------------------------
def test_uncertainty_stay_mean_spreads_detained():
    """[uncertainty] on detention.length_of_stay.mean ~ uniform(20, 40) in M/G/inf with fixed
    stays: each replicate's detained ~ lambda * (its drawn mean), so across replicates
    `detained` spreads over lambda*20..lambda*40 = 2000..4000, and the summary lo/hi are near
    lambda times the 2.5/97.5% points of the uniform: 2050 and 3950; mean 3000.

    lambda = 100/day, 400 days after 45 warm-up days (longer than any stay, so fixed stays
    are exactly stationary), 200 replicates, seed 81. Tolerance for lo/hi: 4 x the combined
    standard error of a sample 2.5% quantile of 200 uniform draws (lambda*20*sqrt(p(1-p)/n)
    = 22) and the process noise of one replicate's time average (sqrt(lambda E[S^2]/T) <=
    20): 4 * 30 = 120 (6% of the range). Mean: 5 se of the replicate spread (~ 41). The
    interval without uncertainty (same seed, mean 30) must be > 10x narrower. A 10% error
    in lambda moves lo to 2255 and the mean to 3300. Per replicate, detained / lambda is
    checked against the drawn mean (drawn_parameters) within 5 sd of the process noise
    (for fixed stays the relative sd of the time average is ~ 1/sqrt(lambda T) = 0.5%).
    """
    lam, n = 100.0, 200
    base = dict(
        rate=lam, stay={"dist": "fixed", "mean": 30.0}, days=400, warmup=45, seed=81, replicates=n
    )
    unc = scenario(
        **base,
        uncertainty={
            "detention.length_of_stay.mean": {"dist": "uniform", "low": 20.0, "high": 40.0}
        },
    )
    res = run(unc)
    summ = res.summary().loc["detained"]
    tol = 4 * math.hypot(lam * 20 * math.sqrt(0.025 * 0.975 / n), 20.0)
    check("detained lo", summ["lo"], lam * 20.5, tol, wrong=1.1 * lam * 20.5)
    check("detained hi", summ["hi"], lam * 39.5, tol, wrong=1.1 * lam * 39.5)
    check_se("detained mean", res.replicate_metrics()["detained"], lam * 30, wrong=1.1 * lam * 30)
    drawn = res.drawn_parameters()["detention.length_of_stay.mean"].to_numpy()
    assert ((drawn >= 20) & (drawn <= 40)).all()
    ratio = res.replicate_metrics()["detained"].to_numpy() / (lam * drawn)
    assert np.allclose(ratio, 1.0, rtol=0, atol=5 / math.sqrt(lam * 400))
    s0 = run(scenario(**base)).summary().loc["detained"]
    print(
        f"interval width: with uncertainty {summ['hi'] - summ['lo']:.0f}, "
        f"without {s0['hi'] - s0['lo']:.0f}"
    )
    assert (summ["hi"] - summ["lo"]) > 10 * (s0["hi"] - s0["lo"])


def test_uncertainty_on_costs_leaves_other_metrics_unchanged():
    """[uncertainty] on costs.bed_day (triangular 130/152/225) draws from its own key stream,
    so with the same seed every non-cost metric and the whole daily table are identical to
    the run without uncertainty (common random numbers: exact equality, no tolerance);
    cost_total = bed-days x drawn bed_day, so cost_total / (detained x days) equals each
    replicate's draw (rel. 1e-9) and lies in [130, 225].

    A small loss system with transport (all mechanisms used): lambda 50, lognormal stays
    mean 5 sd 4, 300 beds, share 0.7, f = 1, 40 seats, 100 days, 20 warm-up, 12 replicates,
    seed 82.
    """
    base = scenario(
        rate=50.0,
        stay={"dist": "lognormal", "mean": 5.0, "sd": 4.0},
        beds=300,
        days=100,
        warmup=20,
        seed=82,
        replicates=12,
        removal_share=0.7,
        transport={"departures_per_day": 1.0, "seats_per_departure": 40},
        costs={"bed_day": 152.0},
    )
    unc = {
        **base,
        "uncertainty": {
            "costs.bed_day": {"dist": "triangular", "low": 130.0, "mode": 152.0, "high": 225.0}
        },
    }
    r0, r1 = run(base), run(unc)
    m0, m1 = r0.replicate_metrics(), r1.replicate_metrics()
    cost_cols = ["cost_total", "cost_per_removal"]
    other = [c for c in m0.columns if c not in cost_cols]
    assert m0[other].equals(m1[other])
    d0, d1 = r0.daily(), r1.daily()
    non_cost = [c for c in d0.columns if not c.startswith("cost")]
    assert d0[non_cost].equals(d1[non_cost])
    drawn = r1.drawn_parameters()["costs.bed_day"].to_numpy()
    assert ((drawn >= 130) & (drawn <= 225)).all() and np.unique(drawn).size == drawn.size
    implied = m1["cost_total"].to_numpy() / (m1["detained"].to_numpy() * 100)
    assert np.allclose(implied, drawn, rtol=1e-9, atol=0)
    assert not np.allclose(m0["cost_total"], m1["cost_total"])
