"""The remote ids a run has seen, in 8–16 bytes each instead of ~115 for a set of strings.

A run keeps every remote id its listing returned, to skip repeats and to withdraw what it
did not see (:mod:`harvester.store.withdrawals`). At a million datasets a ``set[str]`` of
UUID-like ids is ~115 MB, and a ``set[int]`` of digests still ~74 MB (a 32-byte int object
and a 16-byte slot, half empty, per id). Here 60-bit digests sit in one flat array of
unsigned 64-bit slots with linear probing, kept at most half full: 16 MB at a million.
Two distinct ids share a digest with probability ~n²/2⁶¹ (4·10⁻⁷ at a million): the cost
would be one dataset not withdrawn, never a dataset withdrawn wrongly.
"""

from __future__ import annotations

import hashlib
from array import array

_MASK = (1 << 60) - 1
_USED = 1 << 60
"""Set in every stored slot, so that 0 marks an empty one whatever the digest."""
_FIRST_SLOTS = 1 << 12


def _digest(remote_id: str) -> int:
    digest = hashlib.blake2b(remote_id.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "little") & _MASK) | _USED


class SeenIds:
    """A set of remote ids that answers ``add``, ``in`` and ``len`` (not iteration)."""

    __slots__ = ("_count", "_slots")

    def __init__(self) -> None:
        self._slots = array("Q", bytes(8 * _FIRST_SLOTS))
        self._count = 0

    def _find(self, key: int) -> int:
        """The slot holding ``key``, or the empty slot where it would go."""
        slots = self._slots
        mask = len(slots) - 1
        index = (key ^ (key >> 29)) & mask
        while True:
            found = slots[index]
            if found == key or found == 0:
                return index
            index = (index + 1) & mask

    def add(self, remote_id: str, /) -> None:
        key = _digest(remote_id)
        index = self._find(key)
        if self._slots[index] == key:
            return
        self._slots[index] = key
        self._count += 1
        if 2 * self._count > len(self._slots):
            self._grow()

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("Q", bytes(16 * len(old)))
        for key in old:
            if key:
                self._slots[self._find(key)] = key

    def __contains__(self, remote_id: object, /) -> bool:
        if not isinstance(remote_id, str):
            return False
        key = _digest(remote_id)
        return self._slots[self._find(key)] == key

    def __len__(self) -> int:
        return self._count
