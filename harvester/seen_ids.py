"""The remote ids a run has seen, in about half the memory of a set of strings.

A run keeps every remote id its listing returned, to skip repeats and to withdraw what it
did not see (:mod:`harvester.store.withdrawals`). At a million datasets a ``set[str]`` of
UUID-like ids is ~115 MB; 60-bit digests of them take ~60 MB. Two distinct ids share a
digest with probability ~n²/2⁶¹ (4·10⁻⁷ at a million): the cost would be one dataset not
withdrawn, never a dataset withdrawn wrongly.
"""

from __future__ import annotations

import hashlib

_MASK = (1 << 60) - 1  # 60 bits: two 30-bit digits, the smallest int CPython stores them in


def _digest(remote_id: str) -> int:
    digest = hashlib.blake2b(remote_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _MASK


class SeenIds:
    """A set of remote ids that answers ``add``, ``in`` and ``len`` (not iteration)."""

    __slots__ = ("_digests",)

    def __init__(self) -> None:
        self._digests: set[int] = set()

    def add(self, remote_id: str, /) -> None:
        self._digests.add(_digest(remote_id))

    def __contains__(self, remote_id: object, /) -> bool:
        return isinstance(remote_id, str) and _digest(remote_id) in self._digests

    def __len__(self) -> int:
        return len(self._digests)
