"""The run's seen-id set: set semantics for what runs ask of it, in less memory."""

from __future__ import annotations

import tracemalloc
import uuid

from harvester.seen_ids import SeenIds


def test_answers_membership_and_size_like_a_set() -> None:
    seen = SeenIds()
    assert not seen and len(seen) == 0
    for remote_id in ("a", "b", "a", "ville-de-montreal/arbres", ""):
        seen.add(remote_id)
    assert len(seen) == 4
    assert "a" in seen and "" in seen and "ville-de-montreal/arbres" in seen
    assert "c" not in seen and "A" not in seen and 1 not in seen and None not in seen


def test_distinct_ids_stay_distinct() -> None:
    ids = [str(uuid.UUID(int=n)) for n in range(200_000)]
    seen = SeenIds()
    for remote_id in ids[::2]:
        seen.add(remote_id)
    assert len(seen) == 100_000
    assert all(remote_id in seen for remote_id in ids[::2])
    assert not any(remote_id in seen for remote_id in ids[1::2])


def _allocated(build) -> int:
    tracemalloc.start()
    try:
        kept = build()
        size = tracemalloc.get_traced_memory()[0]
        del kept
        return size
    finally:
        tracemalloc.stop()


def test_uses_well_under_the_memory_of_a_set_of_strings() -> None:
    def strings() -> set[str]:
        return {str(uuid.UUID(int=n * 7919)) for n in range(100_000)}

    def digests() -> SeenIds:
        seen = SeenIds()
        for n in range(100_000):
            seen.add(str(uuid.UUID(int=n * 7919)))
        return seen

    assert _allocated(digests) < 0.25 * _allocated(strings)


def test_grows_past_many_doublings_without_losing_ids() -> None:
    seen = SeenIds()
    ids = [f"jeu-{n}" for n in range(50_000)]
    for remote_id in ids:
        seen.add(remote_id)
        seen.add(remote_id)
    assert len(seen) == 50_000
    assert all(remote_id in seen for remote_id in ids)
    assert sum(f"autre-{n}" in seen for n in range(50_000)) == 0
