"""What a mapping worker process leaves unimported.

httpx imports its command line (click, pygments, rich) whenever those are installed, as
they are beside Moisson's own command line; a mapping worker imports httpx through the
connectors' modules but never runs a command. Blocking that one optional import keeps
~5 MB and ~80 modules out of every worker. This module imports nothing of Moisson's, so
that it runs before the mapping code is imported.
"""

from __future__ import annotations

import sys

UNUSED_IN_WORKERS = ("httpx._main",)
"""Optional imports whose importer falls back when they fail (``httpx.main`` becomes a
stub that says click is missing)."""


def skip_unused_imports() -> None:
    """Make the imports in :data:`UNUSED_IN_WORKERS` fail fast in this process (a pool's
    ``initializer``: it runs before the worker unpickles its first task)."""
    for name in UNUSED_IN_WORKERS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None blocks an import
