"""Random streams: one root SeedSequence per run, one child per replicate, one stream per
mechanism.

Replicate i uses `SeedSequence(seed).spawn(replicates)[i]`, which is `SeedSequence(seed,
spawn_key=(i,))` whatever the number of replicates. Each mechanism draws from that child's
own child with a fixed number from `STREAMS`, so adding a mechanism (a new number) never
shifts the draws of the others. Never renumber an entry.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS: dict[str, int] = {
    "arrivals": 0,  # inter-arrival gaps of book-ins
    "stays": 1,  # length of stay of each arrival
    "removal": 2,  # removal-or-release decision of each arrival
    "initial": 3,  # stays and decisions of initial_detained
    "uncertainty": 4,  # parameter draws; one sub-stream per dotted key
    "stream_class": 5,  # which book-in stream an arrival belongs to (only with streams)
    "pathway": 6,  # case pathway of each book-in (only with [pathways])
    "court": 7,  # judges' time per detained case (only with [courts])
    "documents": 8,  # travel-document group and delay of each removal order (only with
    # [travel_documents])
    "transfers": 9,  # whether an admission is transferred, and how (only with
    # [transport.transfers])
    # The arrest side (only with [arrests]); 10+ so that other new mechanisms can take 6-9.
    "arrest_attempts": 10,  # gaps between attempted arrests (restarted each day)
    "arrest_class": 11,  # source and criminality of an attempted arrest
    "arrest_booked_in": 12,  # whether an arrest is to be booked into detention
    # Removal-or-release decision drawn when a stay ends, instead of the one drawn at
    # book-in (only for classes with a removal_share_schedule: a share by decision date).
    "removal_at_decision": 13,
}


def replicate_seed(seed: int, replicate: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(replicate,))


def stream(seed: int, replicate: int, name: str) -> np.random.Generator:
    ss = np.random.SeedSequence(seed, spawn_key=(replicate, STREAMS[name]))
    return np.random.Generator(np.random.PCG64(ss))


def key_stream(seed: int, replicate: int, key: str) -> np.random.Generator:
    """The uncertainty stream of one dotted key: stable when other keys are added."""
    sub = zlib.crc32(key.encode("utf-8"))
    ss = np.random.SeedSequence(seed, spawn_key=(replicate, STREAMS["uncertainty"], sub))
    return np.random.Generator(np.random.PCG64(ss))
