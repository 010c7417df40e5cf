"""Cases and courts: how a detained case ends (pathways and their shares), the immigration
judges hearing the detained docket, and the travel documents a removal order waits for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import AfterValidator, Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation, violations_error
from ..schema.stays import StayDistribution
from ..schema.steps import Steps
from . import transport
from .constraint import Constraint, days_with, drop_uncertainty
from .detention import draw_stay, stay_parameters
from .officers import LEDGER_COLUMNS, LEDGER_METRIC_SET
from .outputs import (
    Breakdown,
    DailyColumns,
    Definitions,
    MetricSet,
    StageOutputs,
    ratio,
    reported_days,
)
from .volume import VolumeFn, first_of, supplied

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput

if TYPE_CHECKING:
    from ..scenario import Scenario

# ICE detention statistics FY24, sheet "ATD EOFY24": average length in program of active
# participants on 30 Sep 2024 (589.11 days over 179,071 participants).
ATD_DAYS_IN_PROGRAM = 589.1


class Pathway(StrictModel):
    """One case pathway `[pathways.NAME]`: how a detained case ends and how long it takes."""

    stay: StayDistribution | None = Field(
        None,
        description="Days from admission to the decision (for a court pathway: to "
        "joining the judges' docket, default 0). Required unless court or diversion.",
    )
    outcome: Literal["removal", "release", "voluntary_departure"] | None = Field(
        None,
        description='"removal" (a removal order: travel document, then a seat), '
        '"release" (bond, parole, relief) or "voluntary_departure" (leaves at once at own '
        "expense). Required unless diversion.",
    )
    counts_as_removal: bool | None = Field(
        None,
        description="Whether the exit counts in removals_per_day. Default: true for "
        "removal, false otherwise (voluntary departures and returns are not ICE removals); "
        "never true for release.",
    )
    court: bool = Field(
        False,
        description="The detained immigration-court docket: after "
        "`stay`, the case waits for a judge in [courts] and is decided when "
        "the judge completes it.",
    )
    diversion: bool = Field(
        False,
        description="Alternatives to detention: diverted at "
        "book-in, never takes a bed; counted in atd_diversions_per_day.",
    )
    days_in_program: float | None = Field(
        None,
        gt=0,
        description="With diversion: days each diversion spends in alternatives "
        "to detention, charged in full to the atd_days volume on the day of the diversion "
        f"(default {ATD_DAYS_IN_PROGRAM}).",
        json_schema_extra=meta(
            "days",
            "ICE detention statistics FY24 (data/raw/ice-detention-stats, sheet ATD "
            "EOFY24): average length in program of the 179,071 active participants on "
            "30 Sep 2024, 589.1 days; an elapsed time of those enrolled, equal to the mean "
            "duration only for exponential durations (VERIFY)",
        ),
    )

    def violations(self) -> list[Violation]:
        return self.diversion_violations() if self.diversion else self.detained_violations()

    def diversion_violations(self) -> list[Violation]:
        """A diversion never takes a bed: no stay, outcome or court."""
        found = [
            Violation(
                (k,), NO_VALUE, "not allowed with diversion = true (a diversion never takes a bed)"
            )
            for k in ("stay", "outcome", "counts_as_removal")
            if getattr(self, k) is not None
        ]
        if self.court:
            found.append(Violation(("court",), True, "not allowed with diversion = true"))
        return found

    def detained_violations(self) -> list[Violation]:
        found = []
        if self.days_in_program is not None:
            found.append(
                Violation(
                    ("days_in_program",),
                    self.days_in_program,
                    "only allowed with diversion = true (days in alternatives to detention)",
                )
            )
        if self.outcome is None:
            found.append(
                Violation(
                    ("outcome",),
                    NO_VALUE,
                    "required key is missing (unless diversion = true); must be one of "
                    '"removal", "release", "voluntary_departure"',
                )
            )
        if self.stay is None and not self.court:
            found.append(
                Violation(
                    ("stay",),
                    NO_VALUE,
                    "required key is missing (unless court = true or diversion = true); "
                    "must be a table with keys dist, mean, sd",
                )
            )
        if self.outcome == "release" and self.counts_as_removal is True:
            found.append(
                Violation(
                    ("counts_as_removal",),
                    True,
                    'not allowed with outcome = "release"; a release is never a removal',
                )
            )
        return found

    def atd_days(self) -> float:
        """Participant-days in ATD one diversion of this pathway commits to."""
        return ATD_DAYS_IN_PROGRAM if self.days_in_program is None else self.days_in_program


def _shares_sum_to_one(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-9:
        raise violations_error(
            [Violation((), NO_VALUE, f"the shares must sum to 1 (they sum to {total:g})")]
        )
    return shares


# One `[pathway_shares.KEY]` table: pathway -> share of the class's book-ins.
PathwayShareTable = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=1)]], AfterValidator(_shares_sum_to_one)
]


class JudgeStep(StrictModel):
    day: int = Field(ge=0, description="First day the judge count applies (integer in [0, days)).")
    judges: int = Field(
        ge=0, description="Judges from this day on.", json_schema_extra=meta("judges")
    )


# TRAC: about 290 completions per judge per quarter; a quarter is 365.25 / 4 days.
COMPLETIONS_PER_JUDGE_DAY = 290 / (365.25 / 4)


class Courts(StrictModel):
    """Immigration judges hearing the detained docket: an M/M/c queue (c = judges, each
    completing detained cases at completions_per_judge_per_day x detained_docket_share),
    first come first served."""

    judges: int = Field(
        682,
        ge=0,
        description="Immigration judges at the start.",
        json_schema_extra=meta(
            "judges", "682 in Dec 2023, CRS R47637; capped at 800 by the 2025 law", varies=True
        ),
    )
    judges_schedule: Steps[JudgeStep] = Field(
        default_factory=list,
        description="Steps in the judge count; a cut interrupts no "
        "hearing, an increase starts cases at once.",
    )
    completions_per_judge_per_day: float = Field(
        round(COMPLETIONS_PER_JUDGE_DAY, 3),
        gt=0,
        description="Cases a judge completes per day on all dockets.",
        json_schema_extra=meta(
            "cases/judge/day",
            "TRAC: about 290 per judge per quarter (FY2024 Q1 pace), / 91.3 days",
            varies=True,
        ),
    )
    detained_docket_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Share of judges' capacity given to the detained docket.",
        json_schema_extra=meta(
            "share",
            "assumption: the detained docket is a "
            "small part of judges' work (VERIFY against EOIR "
            "detained completions)",
            varies=True,
        ),
    )
    completion_time: Literal["exponential", "fixed"] = Field(
        "exponential",
        description="Distribution of a judge's time per case, mean 1 / "
        "(completions_per_judge_per_day x detained_docket_share).",
    )


class DocumentGroup(StrictModel):
    """A group of countries of return `[travel_documents.groups.NAME]`."""

    share: float = Field(
        ge=0,
        le=1,
        description="Share of removal orders in this group (shares sum to 1).",
        json_schema_extra=meta("share"),
    )
    delay: StayDistribution | None = Field(
        None,
        description="Days from the removal order until the travel document is ready "
        "(absent: none needed, e.g. Mexico).",
    )
    uncooperative: bool = Field(
        False,
        description="Lever: a country slow to issue documents; its delays are "
        "multiplied by travel_documents.uncooperative_delay_factor.",
    )


class TravelDocuments(StrictModel):
    """Travel documents: a removal order waits, in its bed, for the document of its country
    group before it queues for a seat."""

    groups: dict[Name, DocumentGroup] = Field(
        min_length=1,
        description="Country groups `[travel_documents.groups.NAME]`, shares summing to 1.",
    )
    uncooperative_delay_factor: float = Field(
        4.0,
        ge=1,
        description="Multiplier of the delay of groups marked uncooperative.",
        json_schema_extra=meta(
            "factor",
            "assumption; 13 recalcitrant and 17 at-risk countries in 2020, CRS IF11025",
            varies=True,
        ),
    )

    def violations(self) -> list[Violation]:
        total = sum(g.share for g in self.groups.values())
        if abs(total - 1.0) <= 1e-9:
            return []
        message = f"the groups' shares must sum to 1 (they sum to {total:g})"
        return [Violation(("groups",), NO_VALUE, message)]


# --- cost volumes and constraints ---


def _case_volume(name: str) -> VolumeFn:
    """A volume another mechanism supplies, else the column of the case side's per-day
    volumes (`daily_case_volumes`) of that name."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        v = getattr(out, "daily_case_volumes", None)
        return None if v is None else getattr(v, name)

    return first_of(supplied(name), get)


# What costs can be charged on, per reported day (costs.py gathers every stage's): time
# integrals of cases before a judge, waiting on the docket and waiting in a bed for a travel
# document, and the participant-days on ATD committed by the day's diversions.
VOLUMES: dict[str, VolumeFn] = {
    name: _case_volume(name)
    for name in ("court_days", "atd_days", "docket_days", "document_wait_days")
}

# Judges when judges are relaxed: every case reaches a judge as it joins the docket.
UNLIMITED_JUDGES = 2**31 - 1


def _relax_judges(data: dict[str, Any]) -> None:
    courts = data["courts"]
    courts["judges"] = UNLIMITED_JUDGES
    for step in courts.get("judges_schedule") or []:
        step["judges"] = UNLIMITED_JUDGES
    drop_uncertainty(data, "courts.judges")


def _relax_documents(data: dict[str, Any]) -> None:
    """No document delay: every removal order's document is ready at once. Group shares (and
    so modes) are kept; the uncooperative flags lose their effect with the delays."""
    for name, group in data["travel_documents"]["groups"].items():
        group.pop("delay", None)
        drop_uncertainty(data, f"travel_documents.groups.{name}.delay")
    drop_uncertainty(data, "travel_documents.uncooperative_delay_factor")


def _has_court(sc: Scenario) -> bool:
    return sc.courts is not None and any(p.court for p in sc.pathways.values())


def _has_document_delay(sc: Scenario) -> bool:
    td = sc.travel_documents
    return td is not None and any(g.delay is not None and g.share > 0 for g in td.groups.values())


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        name="judges",
        meaning="some time in the day with a case waiting on the docket, so every judge "
        "busy (with a court pathway and [courts])",
        relaxed_as="every case reaches a judge as it joins the docket (2^31 - 1 judges, "
        "schedule included; hearing times unchanged)",
        applies=_has_court,
        relax=_relax_judges,
        binding=lambda out: days_with(out, "daily_case_volumes", "docket_days"),
        position=4,
        optional=True,
    ),
    Constraint(
        name="documents",
        meaning="some time in the day with someone in a bed waiting for a travel "
        "document (with a document group that has a delay)",
        relaxed_as="no travel-document delay (orders ready at once; groups and "
        "their modes unchanged)",
        applies=_has_document_delay,
        relax=_relax_documents,
        binding=lambda out: days_with(out, "daily_case_volumes", "document_wait_days"),
        position=5,
        optional=True,
    ),
)


# --- metrics and daily tables ---


# Reported when the scenario configures a case-side mechanism ([pathways], [courts],
# [travel_documents], transport modes, intake or transfers). With the case side,
# removals_per_day counts only exits whose pathway has counts_as_removal = true, and
# wait_for_transport_days runs from the travel document being ready (the wait for the
# document is wait_for_documents_days). Transfers and diversions are counted here because
# the engine counts them with the case side's day counts.
METRICS: Definitions = {
    "voluntary_departures_per_day": (
        "persons/day",
        "exits of voluntary_departure pathways per day",
    ),
    "departures_not_removals_per_day": (
        "persons/day",
        "people leaving the country from a "
        "bed without counting as ICE removals "
        "(counts_as_removal = false), per day",
    ),
    "atd_diversions_per_day": (
        "persons/day",
        "book-ins diverted to alternatives to detention (never in a bed), per day",
    ),
    "transfers_per_day": ("persons/day", "admissions transferred between facilities, per day"),
    "court_completions_per_day": ("cases/day", "detained cases completed by judges, per day"),
    "court_queue": ("cases", "time-average number of detained cases waiting for a judge"),
    "in_court": ("cases", "time-average number of detained cases before a judge"),
    "court_wait_days": (
        "days",
        "mean days from joining the docket to a judge, of cases that reached one",
    ),
    "judges": ("judges", "time-average judges"),
    "waiting_for_documents": (
        "persons",
        "time-average number in beds waiting for a travel document",
    ),
    "wait_for_documents_days": (
        "days",
        "mean days from removal order to travel document, of orders made",
    ),
}


def metrics(out: Any) -> dict[str, float]:
    """The case-side metrics of one replicate (NaN stands for null)."""
    days = reported_days(out)
    x = out.daily_cases
    a = out.acc_cases
    return {
        "voluntary_departures_per_day": x.voluntary_departures.sum() / days,
        "departures_not_removals_per_day": x.departures_not_removals.sum() / days,
        "atd_diversions_per_day": x.diverted.sum() / days,
        "transfers_per_day": x.transfers.sum() / days,
        "court_completions_per_day": x.court_completions.sum() / days,
        "court_queue": a.area_court_queue / days,
        "in_court": a.area_in_court / days,
        "court_wait_days": ratio(a.sum_court_wait, a.n_court_started),
        "judges": a.area_judges / days,
        "waiting_for_documents": a.area_docs / days,
        "wait_for_documents_days": ratio(a.sum_doc_delay, a.n_docs_ready),
    }


# Per-pathway metrics (block "pathways" of summary.json).
PATHWAY_METRICS: Definitions = {
    "book_ins_per_day": ("persons/day", "book-ins drawn into the pathway, per day"),
    "exits_per_day": ("persons/day", "people of the pathway leaving a bed, per day"),
    "length_of_stay_days": ("days", "mean days in a bed of those who left one"),
}
# Names of the two pseudo-pathways decided by detention.removal_share (the initial
# population, and every book-in when no [pathways] are given).
REMOVAL_SHARE_PATHWAYS = ["by_removal_share.release", "by_removal_share.removal"]


def pathway_names(sc: Any) -> list[str]:
    return [*sc.pathways, *REMOVAL_SHARE_PATHWAYS]


def pathway_metrics(out: Any) -> dict[str, dict[str, float]]:
    days = reported_days(out)
    a = out.acc_pathways
    return {
        name: {
            "book_ins_per_day": a.entered[p] / days,
            "exits_per_day": a.exits[p] / days,
            "length_of_stay_days": ratio(a.sum_los[p], a.exits[p]),
        }
        for p, name in enumerate(pathway_names(out.scenario))
    }


# The engine's case-side day counts and time integrals, by the same names.
CASE_DAILY: Definitions = {
    "diverted": ("persons/day", "book-ins diverted to alternatives to detention"),
    "voluntary_departures": ("persons/day", "exits of voluntary_departure pathways"),
    "departures_not_removals": ("persons/day", "exits that do not count as removals"),
    "court_completions": ("cases/day", "detained cases completed by judges"),
    "court_queue": ("cases", "cases waiting for a judge at the end of the day"),
    "in_court": ("cases", "cases before a judge at the end of the day"),
    "waiting_for_documents": ("persons", "people waiting for a travel document, end of day"),
    "transfers": ("persons/day", "admissions transferred between facilities"),
    "judges": ("judges", "judges at the end of the day"),
}
CASE_DAILY_VOLUMES: Definitions = {
    "court_days": ("case-days", "time integral of cases before a judge"),
    "docket_days": ("case-days", "time integral of cases waiting on the docket"),
    "document_wait_days": ("person-days", "time integral of people waiting for a document"),
    "atd_days": ("participant-days", "participant-days committed by the day's diversions"),
    "escorted_trips_intake": ("trips/day", "escorted intake trips"),
    "escorted_trips_transfers": ("trips/day", "escorted transfer trips"),
}

OUTPUTS = StageOutputs(
    metric_sets=(MetricSet("cases", METRICS, metrics), LEDGER_METRIC_SET),
    breakdowns=(Breakdown("pathways", "cases", PATHWAY_METRICS, pathway_metrics),),
    daily=(
        DailyColumns(
            "daily_cases",
            "cases",
            CASE_DAILY,
            lambda out: [getattr(out.daily_cases, c) for c in CASE_DAILY],
        ),
        LEDGER_COLUMNS,
        DailyColumns(
            "daily_cases",
            "cases",
            CASE_DAILY_VOLUMES,
            lambda out: [getattr(out.daily_case_volumes, c) for c in CASE_DAILY_VOLUMES],
        ),
    ),
)


# --- engine input and kernel helpers ---
# A person on the case side carries one int32 tag through the kernel's heap and queues:
#
#     tag = class | pathway | group | stage   (bit fields, stage in the lowest two bits; the
#                                              widths hold n_pathways and n_groups + 1: tag_layout)
#
# `pathway` indexes the scenario's pathways and, after them, two pseudo-pathways decided as
# in the contract's model by `removal_share` (offsets PW_BY_SHARE_RELEASE, PW_BY_SHARE_REMOVAL):
# those of people in beds at the start, and of every arrival when no [pathways] are given.
# `group` is the travel-document group (n_groups while not yet drawn); `stage` is what the
# person's heap entry ends: S_STAY (the stay before the decision, or before joining the
# docket), S_COURT (a judge's hearing), S_DOCS (the wait for a travel document), S_READY (a
# stay decided in a removal order whose travel document needs no wait). A stay that ends in a
# removal order without a judge is one heap entry, S_DOCS or S_READY, whose document was
# drawn when it was pushed (engine/kernel.py).

# Stages of a heap entry
S_STAY, S_COURT, S_DOCS, S_READY = 0, 1, 2, 3

# Outcomes of a pathway
O_REMOVAL, O_RELEASE, O_VOLUNTARY = 0, 1, 2
OUTCOMES = {"removal": O_REMOVAL, "release": O_RELEASE, "voluntary_departure": O_VOLUNTARY}

# Columns of path_i (int64[n_pathways, N_PATH_I]); path_f (float64[n_pathways, N_PATH_F])
# holds the stay's (p1, p2) and, for a diversion, the participant-days in ATD it commits to
PF_P1, PF_P2, PF_ATD_DAYS = range(3)
N_PATH_F = 3
PI_DIST, PI_OUTCOME, PI_COUNTS, PI_COURT, PI_DIVERSION, PI_HAS_STAY = range(6)
N_PATH_I = 6

# Pseudo-pathways after the scenario's own: index n_real + offset
PW_BY_SHARE_RELEASE, PW_BY_SHARE_REMOVAL = 0, 1

# Entries of court_f (float64[N_COURT_F])
CF_RATE, CF_FIXED = range(2)
N_COURT_F = 2

# Columns of doc_f (float64[n_groups, N_DOC_F]) and doc_i (int64[n_groups, N_DOC_I])
DF_CUM, DF_P1, DF_P2, DF_FACTOR = range(4)
N_DOC_F = 4
DI_DIST, DI_HAS_DELAY, DI_MODE = range(3)
N_DOC_I = 3


class CasesInput(NamedTuple):
    """Pathways, the judges and travel documents (layouts above); inert unless `on`."""

    on: bool
    path_cum: np.ndarray  # float64[K, P]: cumulative pathway shares of each class
    path_i: np.ndarray  # int64[P + 2, N_PATH_I]: pathways, then the two decided by
    path_f: np.ndarray  # float64[P + 2, N_PATH_F]   removal_share (release, removal)
    judges_by_day: np.ndarray  # int64[warmup+days]
    court_f: np.ndarray  # float64[N_COURT_F]
    doc_f: np.ndarray  # float64[G, N_DOC_F]: travel-document groups
    doc_i: np.ndarray  # int64[G, N_DOC_I]
    tag_bits: tuple[int, int]  # the person tag's (pathway bits, group bits): tag_layout


class CaseDayCounts(NamedTuple):
    """int64[days] each: the case side's flows and end-of-day stocks."""

    diverted: np.ndarray  # book-ins diverted to alternatives to detention
    voluntary_departures: np.ndarray
    departures_not_removals: np.ndarray  # exits that do not count as removals
    court_completions: np.ndarray
    court_queue: np.ndarray  # end of day
    in_court: np.ndarray  # end of day
    waiting_for_documents: np.ndarray  # end of day
    transfers: np.ndarray
    judges: np.ndarray  # end of day


class CaseDayVolumes(NamedTuple):
    """float64[days] each, for costs and constraints."""

    court_days: np.ndarray  # integral of cases before a judge
    docket_days: np.ndarray  # integral of cases waiting on the docket (every judge busy)
    document_wait_days: np.ndarray  # integral of people in beds waiting for a document
    atd_days: np.ndarray  # participant-days committed by the day's diversions
    escorted_trips_intake: np.ndarray  # admissions / persons_per_trip
    escorted_trips_transfers: np.ndarray  # transfers / persons_per_trip


class CaseTotals(NamedTuple):
    area_court_queue: float
    sum_court_wait: float
    n_court_started: float
    area_docs: float
    sum_doc_delay: float
    n_docs_ready: float
    area_judges: float
    area_in_court: float


class PathwayTotals(NamedTuple):
    """float64[pathways + 2] each."""

    entered: np.ndarray
    exits: np.ndarray
    sum_los: np.ndarray


def resolve_share_key(cls: str, shares: dict[str, Any]) -> str | None:
    """The [pathway_shares] entry of a book-in class "a.b": "a.b", then "a", then
    "default" (None when none exists)."""
    for key in (cls, cls.split(".")[0], "default"):
        if key in shares:
            return key
    return None


def pathway_arrays(sc: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(path_cum, path_i, path_f): each class's cumulative pathway shares, and the pathways
    followed by the two decided by removal_share."""
    names = list(sc.pathways)
    n_real = len(names)
    path_i = np.zeros((n_real + 2, N_PATH_I), dtype=np.int64)
    path_f = np.zeros((n_real + 2, N_PATH_F), dtype=np.float64)
    for j, name in enumerate(names):
        pw = sc.pathways[name]
        outcome = pw.outcome or "release"
        counts = pw.counts_as_removal
        if counts is None:
            counts = outcome == "removal"
        path_i[j, PI_OUTCOME] = OUTCOMES[outcome]
        path_i[j, PI_COUNTS] = int(counts)
        path_i[j, PI_COURT] = int(pw.court)
        path_i[j, PI_DIVERSION] = int(pw.diversion)
        if pw.diversion:
            path_f[j, PF_ATD_DAYS] = pw.atd_days()
        if pw.stay is not None:
            code, p1, p2 = stay_parameters(pw.stay.dist, pw.stay.mean, pw.stay.sd)
            path_i[j, PI_DIST], path_i[j, PI_HAS_STAY] = code, 1
            path_f[j, PF_P1], path_f[j, PF_P2] = p1, p2
    path_i[n_real + PW_BY_SHARE_RELEASE, PI_OUTCOME] = O_RELEASE
    path_i[n_real + PW_BY_SHARE_REMOVAL, PI_OUTCOME] = O_REMOVAL
    path_i[n_real + PW_BY_SHARE_REMOVAL, PI_COUNTS] = 1

    classes = [name for name, _ in sc.classes()]
    path_cum = np.zeros((len(classes), n_real), dtype=np.float64)
    for c, cls in enumerate(classes):
        if n_real:
            key = resolve_share_key(cls, sc.pathway_shares)
            assert key is not None  # validated
            row = sc.pathway_shares[key]
            path_cum[c] = np.cumsum([row.get(name, 0.0) for name in names])
    return path_cum, path_i, path_f


def court_arrays(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(judges_by_day from the start of warm-up, court_f); no judges without [courts]."""
    warmup, days = sc.scenario.warmup_days, sc.scenario.days
    judges = np.zeros(warmup + days, dtype=np.int64)
    court_f = np.ones(N_COURT_F, dtype=np.float64)
    if sc.courts is not None:
        judges[:] = sc.courts.judges
        for step in sc.courts.judges_schedule:
            judges[warmup + step.day :] = step.judges
        court_f[CF_RATE] = sc.courts.completions_per_judge_per_day * sc.courts.detained_docket_share
        court_f[CF_FIXED] = float(sc.courts.completion_time == "fixed")
    return judges, court_f


def document_arrays(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(doc_f, doc_i): each travel-document group's cumulative share, delay and removal
    mode; one group without a delay when there are no [travel_documents]."""
    td = sc.travel_documents
    groups = list(td.groups.items()) if td else []
    doc_f = np.zeros((max(len(groups), 1), N_DOC_F), dtype=np.float64)
    doc_i = np.zeros((max(len(groups), 1), N_DOC_I), dtype=np.int64)
    doc_f[:, DF_CUM] = 1.0
    doc_f[:, DF_FACTOR] = 1.0
    doc_i[:, DI_MODE] = transport.default_mode(sc)
    total = 0.0
    modes = transport.group_modes(sc, [gname for gname, _ in groups])
    for j, (_, grp) in enumerate(groups):
        total += grp.share
        doc_f[j, DF_CUM] = total
        doc_i[j, DI_MODE] = modes[j]
        if grp.delay is not None:
            code, p1, p2 = stay_parameters(grp.delay.dist, grp.delay.mean, grp.delay.sd)
            doc_i[j, DI_DIST], doc_i[j, DI_HAS_DELAY] = code, 1
            doc_f[j, DF_P1], doc_f[j, DF_P2] = p1, p2
            if grp.uncooperative:
                doc_f[j, DF_FACTOR] = td.uncooperative_delay_factor  # type: ignore[union-attr]
    return doc_f, doc_i


def engine_input(sc: Scenario) -> CasesInput:
    """Pathways, judges and travel documents as the kernel's arrays. A scenario without the
    case side gets inert arrays and on = False."""
    path_cum, path_i, path_f = pathway_arrays(sc)
    judges, court_f = court_arrays(sc)
    doc_f, doc_i = document_arrays(sc)
    layout = tag_layout(len(sc.classes()), path_i.shape[0], doc_f.shape[0] + 1)
    return CasesInput(
        sc.has_case_side(), path_cum, path_i, path_f, judges, court_f, doc_f, doc_i, layout
    )


def tag_bits(n):
    """Bits that hold 0 ... n - 1 (at least one): a field's width in a tag."""
    b = 1
    while (1 << b) < n:
        b += 1
    return b


def tag_layout(n_class, n_path, n_g1):
    """(pathway bits, group bits) of the tags of a run; ValueError when its classes,
    pathways and groups do not fit in an int32 tag."""
    pb, gb = tag_bits(n_path), tag_bits(n_g1)
    if 2 + gb + pb + tag_bits(n_class) > 31:
        raise ValueError(
            f"{n_class} classes x {n_path} pathways x {n_g1} document groups do not fit the "
            "kernel's 31-bit person tag"
        )
    return pb, gb


# Bit fields, not products of the counts: unpacking is shifts and masks, not integer
# divisions (two per heap event otherwise).
@njit(cache=True, nogil=True, inline="always")
def pack(c, p, g, stage, pb, gb):
    return np.int32((((((c << pb) | p) << gb) | g) << 2) | stage)


@njit(cache=True, nogil=True, inline="always")
def unpack(tag, pb, gb):
    """(class, pathway, group, stage) of a tag (pb, gb: tag_layout)."""
    stage = tag & 3
    g = (tag >> 2) & ((1 << gb) - 1)
    rest = tag >> (2 + gb)
    return rest >> pb, rest & ((1 << pb) - 1), g, stage


@njit(cache=True, nogil=True, inline="always")  # per event: see engine/events.py
def draw_pathway(rng, path_cum, c):
    """Pathway of an arrival of class c: one uniform against the class's cumulative
    shares (the last pathway takes any rounding remainder)."""
    u = rng.random()
    n = path_cum.shape[1]
    for p in range(n - 1):
        if u < path_cum[c, p]:
            return p
    return n - 1


@njit(cache=True, nogil=True)
def documents_drawn(doc_f, doc_i):
    """Whether a removal order draws its travel document (not when there is one group
    without a delay: no [travel_documents])."""
    return not (doc_f.shape[0] == 1 and doc_i[0, DI_HAS_DELAY] == 0)


# Plain functions of a uniform drawn by the event loop: handed no random generator, they have
# no reference count that Numba's pruning leaves behind (see engine/events.py).
@njit(cache=True, nogil=True)
def document_group(u, doc_f):
    """Travel-document group of a removal order, for its uniform u against the groups'
    cumulative shares (the last group takes any rounding remainder)."""
    n = doc_f.shape[0]
    for j in range(n - 1):
        if u < doc_f[j, DF_CUM]:
            return j
    return n - 1


@njit(cache=True, nogil=True, inline="always")  # per event: see engine/events.py
def draw_document(rng, docs_drawn, doc_f, doc_i):
    """(group, delay in days) of a removal order's travel document, on the documents' own
    generator: a uniform for the group, then its delay if the group has one (group 0 and no
    delay when nothing is drawn: no [travel_documents])."""
    if not docs_drawn:
        return 0, 0.0
    g = document_group(rng.random(), doc_f)
    if doc_i[g, DI_HAS_DELAY] == 0:
        return g, 0.0
    p1, p2 = doc_f[g, DF_P1], doc_f[g, DF_P2]
    return g, doc_f[g, DF_FACTOR] * draw_stay(rng, doc_i[g, DI_DIST], p1, p2)


@njit(cache=True, nogil=True, inline="always")  # per event: see engine/events.py
def court_service(rng, court_f):
    """A judge's time on one detained case (days)."""
    if court_f[CF_FIXED] > 0.0:
        return 1.0 / court_f[CF_RATE]
    return rng.exponential(1.0 / court_f[CF_RATE])
