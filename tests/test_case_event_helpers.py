"""Exact unit tests of the case side's per-event helpers that take scalars and records (the
event loop makes their draws and hands them the uniform): what each decides at the edges
of its probabilities, and what it counts."""

from __future__ import annotations

import numpy as np
import pytest

from enforcesim.engine import events as ev
from enforcesim.engine.invariants import new_queue_flows
from enforcesim.engine.structures import CASE_DAY_RECORD, CASE_TOTALS_RECORD, LEDGER_RECORD
from enforcesim.stages import cases as cs
from enforcesim.stages import transport as tp


def escort_table(p_air: float, p_ground: float) -> np.ndarray:
    f = np.zeros(tp.N_ESCORT_F)
    f[tp.EF_INTAKE] = 4.0
    f[tp.EF_P_AIR], f[tp.EF_P_GROUND] = p_air, p_ground
    f[tp.EF_AIR], f[tp.EF_GROUND] = 10.0, 3.0
    f[tp.EF_TRIPS_INTAKE], f[tp.EF_TRIPS_AIR], f[tp.EF_TRIPS_GROUND] = 0.5, 0.25, 0.125
    return f


@pytest.mark.parametrize(
    ("u", "hours", "trips", "moved"),
    [
        (0.0, 14.0, 0.25, 1),  # u < p_air: an air transfer
        (0.2, 7.0, 0.125, 1),  # u = p_air: not air, a ground transfer
        (0.49, 7.0, 0.125, 1),
        (0.5, 4.0, 0.0, 0),  # u = p_air + p_ground: no transfer, the intake escort only
    ],
)
def test_escort_hours_splits_the_uniform_air_then_ground(u, hours, trips, moved):
    ledger = np.zeros(1, dtype=LEDGER_RECORD)
    vols = np.zeros(1, dtype=CASE_DAY_RECORD)
    got = tp.escort_hours(u, escort_table(0.2, 0.3), True, ledger[0], vols[0])
    assert got == hours
    assert ledger[0]["escort_transport"] == hours
    assert vols[0]["escorted_trips_intake"] == 0.5
    assert vols[0]["escorted_trips_transfers"] == trips
    assert vols[0]["transfers"] == moved


def test_without_transfers_no_uniform_is_drawn_and_nothing_is_counted_outside_the_horizon():
    f = escort_table(0.0, 0.0)
    assert not tp.transfer_drawn(f)
    assert tp.transfer_drawn(escort_table(0.0, 0.1))
    ledger = np.zeros(1, dtype=LEDGER_RECORD)
    vols = np.zeros(1, dtype=CASE_DAY_RECORD)
    assert tp.escort_hours(1.0, f, False, ledger[0], vols[0]) == 4.0  # the loop's u without draw
    assert ledger[0]["escort_transport"] == 0.0
    assert vols[0]["escorted_trips_intake"] == 0.0


def test_document_group_takes_the_first_cumulative_share_above_the_uniform():
    doc_f = np.zeros((3, cs.N_DOC_F))
    doc_f[:, cs.DF_CUM] = [0.4, 0.8, 0.9999]  # the last group takes the rounding remainder
    assert [cs.document_group(u, doc_f) for u in (0.0, 0.4, 0.7999, 0.8, 0.99995)] == [
        0,
        1,
        1,
        2,
        2,
    ]
    doc_i = np.zeros((1, cs.N_DOC_I), dtype=np.int64)
    assert not cs.documents_drawn(doc_f[:1], doc_i)  # one group without a delay: no draw
    doc_i[0, cs.DI_HAS_DELAY] = 1
    assert cs.documents_drawn(doc_f[:1], doc_i)


@pytest.mark.parametrize(
    ("court", "outcome", "stage", "has_modes", "step", "hearings", "documents"),
    [
        (1, cs.O_REMOVAL, cs.S_STAY, True, ev.JOIN_DOCKET, 0, 0),
        (0, cs.O_REMOVAL, cs.S_STAY, True, ev.REMOVAL_ORDER, 0, 0),
        (0, cs.O_RELEASE, cs.S_STAY, True, ev.LEAVE, 0, 0),
        (1, cs.O_VOLUNTARY, cs.S_COURT, True, ev.LEAVE, 1, 0),
        (1, cs.O_REMOVAL, cs.S_COURT, False, ev.REMOVAL_ORDER, 1, 0),
        (0, cs.O_REMOVAL, cs.S_DOCS, True, ev.JOIN_SEAT_QUEUE, 0, 1),
        (0, cs.O_REMOVAL, cs.S_DOCS, False, ev.LEAVE, 0, 1),
    ],
)
def test_case_stage_end(court, outcome, stage, has_modes, step, hearings, documents):
    day = np.zeros(1, dtype=CASE_DAY_RECORD)
    flows = new_queue_flows(1)[0]
    assert ev.case_stage_end(day[0], flows[0], court, outcome, has_modes, stage, 3) == step
    assert flows[0]["hearings_out"] == hearings
    assert day[0]["court_completions"] == hearings
    assert flows[0]["documents_out"] == documents


@pytest.mark.parametrize(
    ("delay", "has_modes", "d", "step", "counted"),
    [
        (2.5, True, 0, ev.WAIT_FOR_DOCUMENT, 1),
        (0.0, True, 0, ev.JOIN_SEAT_QUEUE, 1),
        (0.0, False, 0, ev.LEAVE, 1),
        (2.5, False, -1, ev.WAIT_FOR_DOCUMENT, 0),  # warm-up: decided, not counted
    ],
)
def test_document_ready(delay, has_modes, d, step, counted):
    tot = np.zeros(1, dtype=CASE_TOTALS_RECORD)
    assert ev.document_ready(tot[0], delay, has_modes, d) == step
    assert tot[0]["n_docs_ready"] == counted
    assert tot[0]["sum_doc_delay"] == delay * counted


@pytest.mark.parametrize("n_class, n_path, n_g1", [(1, 2, 1), (2, 9, 4), (3, 17, 33), (40, 64, 65)])
def test_a_person_tag_gives_back_its_class_pathway_group_and_stage(n_class, n_path, n_g1):
    """Every combination (or, for the large layouts, every edge and a grid) packs into a
    non-negative int32 and unpacks to itself; distinct people get distinct tags."""
    pb, gb = cs.tag_layout(n_class, n_path, n_g1)
    seen = set()
    for c in sorted({0, n_class - 1, n_class // 2}):
        for p in sorted({0, 1, n_path - 2, n_path - 1}):
            for g in sorted({0, n_g1 // 2, n_g1 - 1}):
                for stage in (cs.S_STAY, cs.S_COURT, cs.S_DOCS, cs.S_READY):
                    tag = cs.pack(c, p, g, stage, pb, gb)
                    assert 0 <= tag < 2**31  # an int32, never negative
                    assert cs.unpack(tag, pb, gb) == (c, p, g, stage)
                    seen.add(int(tag))
    n = len({0, n_class - 1, n_class // 2}) * len({0, 1, n_path - 2, n_path - 1})
    assert len(seen) == n * len({0, n_g1 // 2, n_g1 - 1}) * 4


def test_a_layout_that_does_not_fit_an_int32_tag_is_refused():
    assert cs.tag_layout(2**10, 2**9, 2**9) == (9, 9)  # 2 + 9 + 9 + 10 = 30 bits
    with pytest.raises(ValueError, match="31-bit person tag"):
        cs.tag_layout(2**10 + 1, 2**10, 2**9)
