"""The garbage collector in long-lived processes."""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Put the objects alive once the process has started (modules, FastAPI's and pydantic's
    validators, the SQL layer: ~170 k) out of the collector's reach, once per process.

    Every full collection had traversed them: 80-120 ms with the event loop stopped, about
    every hundred requests under load, the longest waits of a busy API process. Objects
    made later are collected as before."""
    global _frozen
    if _frozen:
        return
    gc.collect()
    gc.freeze()
    _frozen = True
