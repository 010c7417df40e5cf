"""Transport: removal departures (one schedule, or several modes such as charter flights and
buses), and the escorted trips of intake and transfers between facilities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation
from .constraint import Constraint, days_with, drop_uncertainty
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
    from ..scenario import Scenario

if TYPE_CHECKING:
    from ..scenario import Scenario


class Escort(StrictModel):
    """An escorted trip: officers x hours per trip, shared by the persons on it. Charged to
    the officer-hours ledger (activity escort_transport); it takes no extra bed time."""

    officers_per_trip: float = Field(
        2.0,
        ge=0,
        description="Officers on each trip.",
        json_schema_extra=meta(
            "officers",
            "assumption: two officers per van, as field officers describe the escort duty",
        ),
    )
    hours_per_trip: float = Field(
        3.0,
        ge=0,
        description="Duration of a trip, return included.",
        json_schema_extra=meta("hours", "assumption, to be calibrated"),
    )
    persons_per_trip: float = Field(
        1.0,
        gt=0,
        description="Persons carried per trip on average.",
        json_schema_extra=meta("persons", "assumption: at-large arrests are mostly moved singly"),
    )


class Transfers(StrictModel):
    """Transfers between facilities: a share of admissions is moved once, by road or by a
    domestic flight. A transfer costs officer-hours at admission and no extra bed time."""

    share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of admissions transferred once.",
        json_schema_extra=meta(
            "share",
            "assumption; reports describe most detained people "
            "as transferred at least once (VERIFY)",
            varies=True,
        ),
    )
    air_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of transfers made by domestic flight (the rest by road).",
        json_schema_extra=meta("share", "assumption"),
    )
    ground: Escort = Field(
        default_factory=lambda: Escort(
            officers_per_trip=2.0, hours_per_trip=6.0, persons_per_trip=10.0
        ),
        description="Road transfers (default 2 officers, 6 hours, 10 persons per trip).",
    )
    air: Escort = Field(
        default_factory=lambda: Escort(
            officers_per_trip=4.0, hours_per_trip=8.0, persons_per_trip=60.0
        ),
        description="Domestic transfer flights (default 4 officers, 8 hours, 60 persons).",
    )


class TransportMode(StrictModel):
    """One way of removing people: scheduled departures with seats (a charter flight, a bus
    to the land border)."""

    departures_per_day: float = Field(
        gt=0,
        description="Departures at t = k / departures_per_day for every integer k.",
        json_schema_extra=meta(
            "departures/day",
            "ICE Air: about 100-150 removal flights a month in 2023 (parameters.md, VERIFY)",
            varies=True,
        ),
    )
    seats_per_departure: int = Field(
        gt=0,
        description="Seats on each departure.",
        json_schema_extra=meta(
            "seats", "135 per charter (ICE Air descriptions, 2017)", varies=True
        ),
    )
    hours_per_departure: float = Field(
        5.0,
        ge=0,
        description="Hours of each departure that carries anyone (flight-hours "
        "of a charter, driving hours of a bus).",
        json_schema_extra=meta(
            "hours",
            "assumption; flight-hours are priced at about $8,600 each (parameters.md, VERIFY)",
        ),
    )
    officers_per_departure: float = Field(
        2.0,
        ge=0,
        description="ICE officers escorting each departure that carries anyone "
        "(contract guards are not counted).",
        json_schema_extra=meta("officers", "assumption"),
    )
    groups: list[str] | None = Field(
        None,
        description="Travel-document groups removed by this mode. Absent: the default "
        "mode, for every group no other mode names (at most one default mode).",
    )
    kind: Literal["flight", "bus"] = Field(
        "flight",
        description='What a departure carrying anyone costs: "flight" (its '
        'hours_per_departure are flight-hours, priced by costs.per_flight_hour) or "bus" '
        "(one bus trip, priced by costs.per_bus_trip; its hours are driving hours, not "
        "priced). Default flight: ICE Air charters carry most removals other than over the "
        "land border.",
    )


class Transport(StrictModel):
    """Removal transport and escorts. The contract's form: scheduled departures
    (`departures_per_day`, `seats_per_departure`); a person ordered removed keeps the bed
    until a seat takes them.
    Extension: several `modes`, intake escorts and transfers."""

    departures_per_day: float | None = Field(
        None,
        gt=0,
        description="Departures at t = k / departures_per_day for every integer "
        "k. Required with seats_per_departure unless `modes` are given (then not allowed).",
        json_schema_extra=meta("departures/day", varies=True),
    )
    seats_per_departure: int | None = Field(
        None,
        gt=0,
        description="Seats on each departure (with departures_per_day).",
        json_schema_extra=meta("seats", varies=True),
    )
    modes: dict[Name, TransportMode] = Field(
        default_factory=dict,
        description="Removal modes `[transport.modes.NAME]` (for "
        "example charter, bus), instead of departures_per_day and seats_per_departure.",
    )
    intake: Escort | None = Field(
        None,
        description="Escort from arrest to the hold room and the detention centre, "
        "charged per admission.",
    )
    transfers: Transfers | None = Field(
        None, description="Transfers between facilities, charged per transferred admission."
    )

    def violations(self) -> list[Violation]:
        return self.form_violations() + self.mode_violations()

    def form_violations(self) -> list[Violation]:
        """Either one departure schedule or named modes; intake or transfers alone are fine."""
        given = [
            k for k in ("departures_per_day", "seats_per_departure") if getattr(self, k) is not None
        ]
        if self.modes:
            return [
                Violation(
                    (k,),
                    getattr(self, k),
                    "not allowed with [transport.modes]: each mode has its own",
                )
                for k in given
            ]
        if len(given) == 1 or not (given or self.intake or self.transfers):
            missing = (
                "seats_per_departure" if given == ["departures_per_day"] else ("departures_per_day")
            )
            allowed = "a number > 0" if missing == "departures_per_day" else "an integer > 0"
            return [
                Violation(
                    (missing,),
                    NO_VALUE,
                    "required key is missing (or give [transport.modes.NAME] tables); "
                    f"must be {allowed}",
                )
            ]
        return []

    def mode_violations(self) -> list[Violation]:
        """At most one default mode (one without groups); each group removed by one mode."""
        found = []
        defaults = [name for name, mode in self.modes.items() if mode.groups is None]
        claimed: dict[str, str] = {}
        for name, mode in self.modes.items():
            for i, group in enumerate(mode.groups or []):
                if group in claimed:
                    found.append(
                        Violation(
                            ("modes", name, "groups", i),
                            group,
                            f"already removed by mode {claimed[group]}; a group uses one mode",
                        )
                    )
                claimed.setdefault(group, name)
        if len(defaults) > 1:
            found.append(
                Violation(
                    ("modes", defaults[1], "groups"),
                    NO_VALUE,
                    f"required: only one mode may be the default (mode {defaults[0]} has no "
                    "groups either)",
                )
            )
        return found

    def mode_list(self) -> list[tuple[str, TransportMode]]:
        """The removal modes in file order; a single departure schedule is one mode named
        "default" that charges no officer-hours."""
        if self.modes:
            return list(self.modes.items())
        if self.departures_per_day is None or self.seats_per_departure is None:
            return []
        return [
            (
                "default",
                TransportMode(
                    departures_per_day=self.departures_per_day,
                    seats_per_departure=self.seats_per_departure,
                    hours_per_departure=0.0,
                    officers_per_departure=0.0,
                ),
            )
        ]


# --- cost volumes and constraints ---


def _mode_col(col: str, kind: str | None = None, escorted: bool = False) -> VolumeFn:
    """Per day, a column of the removal modes' output (`used`: departures carrying anyone;
    `hours`: their hours), summed over the modes of a `kind` ("flight", "bus"; None:
    every mode), or (escorted) over the modes with officers aboard."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        dm = getattr(out, "daily_modes", None)
        tr = out.scenario.transport
        modes = tr.mode_list() if tr is not None else []
        if dm is None or getattr(dm, col).shape[1] != len(modes):  # no modes in the kernel
            return None
        keep = [
            m
            for m, (_, md) in enumerate(modes)
            if (kind is None or md.kind == kind) and (not escorted or md.officers_per_departure > 0)
        ]
        return getattr(dm, col)[:, keep].sum(axis=1)

    return get


def _escort_col(*cols: str) -> VolumeFn:
    """Escorted trips of intake and transfers, which the kernel counts with the case side's
    per-day volumes (`daily_case_volumes`), summed."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        v = getattr(out, "daily_case_volumes", None)
        return None if v is None else np.column_stack([getattr(v, c) for c in cols]).sum(axis=1)

    return get


_TRIPS_DEPARTURES = _mode_col("used", escorted=True)


def _escorted_trips(out: ReplicateOutput) -> np.ndarray | None:
    escorts = _escort_col("escorted_trips_intake", "escorted_trips_transfers")(out)
    deps = _TRIPS_DEPARTURES(out)
    if escorts is None:
        return deps
    return escorts if deps is None else escorts + deps


# What costs can be charged on, per reported day (costs.py gathers every stage's). Removals
# are counted as they leave, by departure or at once.
VOLUMES: dict[str, VolumeFn] = {
    "removals": lambda out: out.daily.removals.astype(np.float64),
    "departures": lambda out: None if out.daily_extra is None else out.daily_extra.departures,
    "escorted_trips": first_of(supplied("escorted_trips"), _escorted_trips),
    "flight_hours": first_of(supplied("flight_hours"), _mode_col("hours", "flight")),
    "bus_trips": first_of(supplied("bus_trips"), _mode_col("used", "bus")),
    "escorted_trips_intake": _escort_col("escorted_trips_intake"),
    "escorted_trips_transfers": _escort_col("escorted_trips_transfers"),
    "escorted_trips_departures": _TRIPS_DEPARTURES,
    "flight_departures": _mode_col("used", "flight"),
}

# Seats per departure when seats are relaxed: every departure takes everyone waiting.
UNLIMITED_SEATS = 2**31 - 1


def _relax_seats(data: dict[str, Any]) -> None:
    tr = data["transport"]
    if tr.get("seats_per_departure") is not None:
        tr["seats_per_departure"] = UNLIMITED_SEATS
    drop_uncertainty(data, "transport.seats_per_departure")
    for name, mode in (tr.get("modes") or {}).items():
        mode["seats_per_departure"] = UNLIMITED_SEATS
        drop_uncertainty(data, f"transport.modes.{name}.seats_per_departure")


def _has_departures(sc: Scenario) -> bool:
    return sc.transport is not None and bool(sc.transport.mode_list())


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        name="seats",
        meaning="a departure in the day left full with people still waiting for a seat",
        relaxed_as="every departure takes everyone waiting (departure times unchanged)",
        applies=_has_departures,
        relax=_relax_seats,
        binding=lambda out: days_with(out, "daily_extra", "seats_short"),
        position=1,
    ),
)


# --- metrics and daily tables ---


METRICS: Definitions = {
    "wait_for_transport_days": (
        "days",
        "mean days from removal order to departure, of those who departed",
    ),
}


def metrics(out: Any) -> dict[str, float]:
    a = out.acc
    return {"wait_for_transport_days": ratio(a.sum_wait_transport, a.n_departed)}


# Per-mode metrics (block "modes" of summary.json, with the case side).
MODE_METRICS: Definitions = {
    "departures_per_day": ("departures/day", "scheduled departures per day"),
    "departures_used_per_day": ("departures/day", "departures carrying anyone, per day"),
    "seated_per_day": ("persons/day", "people seated per day"),
    "removals_per_day": ("persons/day", "of which counted as removals"),
    "seat_use_share": ("share", "seated / (departures x seats)"),
    "wait_for_transport_days": ("days", "mean days from ready to departure"),
    "hours_per_day": ("hours/day", "flight- or driving-hours of departures carrying anyone"),
    "officer_hours_per_day": ("officer-hours/day", "escort officer-hours of those departures"),
}


def mode_names(sc: Any) -> list[str]:
    return [name for name, _ in sc.transport.mode_list()] if sc.transport else []


def mode_metrics(out: Any) -> dict[str, dict[str, float]]:
    days = reported_days(out)
    modes = out.scenario.transport.mode_list() if out.scenario.transport else []
    result = {}
    for m, (name, mode) in enumerate(modes):
        a = out.acc_modes
        result[name] = {
            "departures_per_day": a.departures[m] / days,
            "departures_used_per_day": a.used[m] / days,
            "seated_per_day": a.seated[m] / days,
            "removals_per_day": a.removals[m] / days,
            "seat_use_share": ratio(a.seated[m], a.departures[m] * mode.seats_per_departure),
            "wait_for_transport_days": ratio(a.sum_wait[m], a.seated[m]),
            "hours_per_day": a.hours[m] / days,
            "officer_hours_per_day": a.officer_hours[m] / days,
        }
    return result


OUTPUTS = StageOutputs(
    metric_sets=(MetricSet("contract", METRICS, metrics),),
    breakdowns=(Breakdown("modes", "cases", MODE_METRICS, mode_metrics),),
    daily=(
        DailyColumns(
            "daily",
            "contract",
            {
                "departures": (
                    "departures/day",
                    "scheduled departures in the day, empty ones included",
                )
            },
            lambda out: [out.daily_extra.departures.astype(np.int64)],
        ),
    ),
)


# --- engine input and kernel helpers ---
# Columns of mode_f (float64[n_modes, N_MODE_F])
MF_PER_DAY, MF_SEATS, MF_OFFICER_HOURS, MF_HOURS = range(4)
N_MODE_F = 4

# Entries of escort_f (float64[N_ESCORT_F]): officer-hours per person (EF_INTAKE, EF_GROUND,
# EF_AIR), probabilities of a transfer (EF_P_*), and trips per person (EF_TRIPS_*: 1 /
# persons_per_trip, 0 without that escort)
(
    EF_INTAKE,
    EF_P_GROUND,
    EF_P_AIR,
    EF_GROUND,
    EF_AIR,
    EF_TRIPS_INTAKE,
    EF_TRIPS_GROUND,
    EF_TRIPS_AIR,
) = range(8)
N_ESCORT_F = 8


class TransportInput(NamedTuple):
    """Departures: the contract's one schedule, or (case side) removal modes, and escorts."""

    scheduled: bool  # the contract's departures (departures_per_day, seats) are in force
    departures_per_day: float
    seats: int
    mode_f: np.ndarray  # float64[M, N_MODE_F]: removal modes (M = 0: removals leave at once)
    escort_f: np.ndarray  # float64[N_ESCORT_F]: officer-hours of intake escorts and transfers


class ModeTotals(NamedTuple):
    """float64[modes] each. `departures` counts every scheduled departure, `used` those
    carrying anyone (the only ones that fly or drive, so the only ones charged hours)."""

    departures: np.ndarray
    used: np.ndarray
    seated: np.ndarray
    removals: np.ndarray
    sum_wait: np.ndarray
    hours: np.ndarray
    officer_hours: np.ndarray


class ModeDayVolumes(NamedTuple):
    """float64[days, modes] each: departures carrying anyone, and their hours."""

    used: np.ndarray
    hours: np.ndarray


def removal_modes(sc: Scenario) -> list[tuple[str, TransportMode]]:
    """The removal modes in force. Without the case side the contract's departures run on
    the book-in model's own path instead, and there are none."""
    tr = sc.transport
    return tr.mode_list() if tr is not None and sc.has_case_side() else []


def default_mode(sc: Scenario) -> int:
    """The removal mode of travel-document groups no mode names: the one mode naming no
    groups (mode 0 when every mode names its groups)."""
    modes = removal_modes(sc)
    return next((m for m, (_, md) in enumerate(modes) if md.groups is None), 0)


def group_modes(sc: Scenario, groups: list[str]) -> list[int]:
    """The removal mode of each travel-document group: the mode naming it, or the default."""
    claimed = {g: m for m, (_, md) in enumerate(removal_modes(sc)) for g in (md.groups or [])}
    return [claimed.get(g, default_mode(sc)) for g in groups]


def hours_per_person(e: Escort) -> float:
    """Officer-hours of an escorted trip, per person carried."""
    return e.officers_per_trip * e.hours_per_trip / e.persons_per_trip


def engine_input(sc: Scenario) -> TransportInput:
    """The removal modes and escort hours as the kernel's arrays, and the contract's
    departures, which run as a removal mode instead when the case side is on."""
    tr = sc.transport
    modes = removal_modes(sc)
    mode_f = np.zeros((len(modes), N_MODE_F), dtype=np.float64)
    for m, (_, md) in enumerate(modes):
        mode_f[m] = (
            md.departures_per_day,
            md.seats_per_departure,
            md.officers_per_departure * md.hours_per_departure,
            md.hours_per_departure,
        )
    escort_f = np.zeros(N_ESCORT_F, dtype=np.float64)
    if tr and tr.intake:
        e = tr.intake
        escort_f[EF_INTAKE] = hours_per_person(e)
        escort_f[EF_TRIPS_INTAKE] = 1.0 / e.persons_per_trip
    if tr and tr.transfers:
        x = tr.transfers
        escort_f[EF_P_AIR] = x.share * x.air_share
        escort_f[EF_P_GROUND] = x.share * (1.0 - x.air_share)
        escort_f[EF_AIR] = hours_per_person(x.air)
        escort_f[EF_GROUND] = hours_per_person(x.ground)
        escort_f[EF_TRIPS_AIR] = 1.0 / x.air.persons_per_trip
        escort_f[EF_TRIPS_GROUND] = 1.0 / x.ground.persons_per_trip
    scheduled = tr is not None and tr.departures_per_day is not None and not sc.has_case_side()
    return TransportInput(
        scheduled,
        float(tr.departures_per_day) if scheduled else 1.0,  # type: ignore[union-attr,arg-type]
        int(tr.seats_per_departure) if scheduled else 0,  # type: ignore[union-attr,arg-type]
        mode_f,
        escort_f,
    )


@njit(cache=True, nogil=True)
def transfer_drawn(escort_f):
    """Whether an admission draws a uniform for its transfer (only when transfers are
    configured)."""
    return escort_f[EF_P_AIR] + escort_f[EF_P_GROUND] > 0.0


# A plain function of a uniform drawn by the caller: handed no random generator, it has no
# reference count that Numba's pruning leaves behind, so the event loop pays none per call.
@njit(cache=True, nogil=True)
def escort_hours(u, escort_f, counted, ledger, vols):
    """Officer-hours of one admission: the intake escort, and a transfer for a share of
    admissions, decided by the uniform u (drawn once per admission, only when
    `transfer_drawn`; otherwise any u >= 0 moves no one). When `counted` (a reported day),
    charges them to the day's officer-hours (ledger: its row of the officers' ledger) and
    books the trips (a share 1 / persons_per_trip of a trip each) and the transfer in vols
    (its row of the case side's daily record). Returns the hours, which the caller takes
    from the day's hours left whatever the day."""
    hours = escort_f[EF_INTAKE]
    trips = 0.0
    moved = False
    if u < escort_f[EF_P_AIR]:
        hours += escort_f[EF_AIR]
        trips = escort_f[EF_TRIPS_AIR]
        moved = True
    elif u < escort_f[EF_P_AIR] + escort_f[EF_P_GROUND]:
        hours += escort_f[EF_GROUND]
        trips = escort_f[EF_TRIPS_GROUND]
        moved = True
    if counted:
        if hours > 0.0:
            ledger.escort_transport += hours
        vols.escorted_trips_intake += escort_f[EF_TRIPS_INTAKE]
        vols.escorted_trips_transfers += trips
        if moved:
            vols.transfers += 1
    return hours


@njit(cache=True, nogil=True)
def admission_escort(rng, escort_f, counted, ledger, vols):
    """`escort_hours` of one admission, its uniform drawn from rng when `transfer_drawn`."""
    u = rng.random() if transfer_drawn(escort_f) else 1.0
    return escort_hours(u, escort_f, counted, ledger, vols)


@njit(cache=True, nogil=True, error_model="numpy")  # per_day > 0 (validated)
def next_departure(mode_f, dep_k):
    """Earliest next departure over the modes (lowest mode first on ties): (time, mode)."""
    best = np.inf
    best_m = -1
    for m in range(mode_f.shape[0]):
        t = dep_k[m] / mode_f[m, MF_PER_DAY]
        if t < best:
            best = t
            best_m = m
    return best, best_m
