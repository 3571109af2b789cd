"""Where the shared, read-only test material lives (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MOISSON_SHARED", REPO.parent / "shared")).resolve()
FIXTURES = SHARED / "fixtures"
VOCAB = SHARED / "vocab"


def fixture(platform: str, name: str) -> Path:
    """Path of one recorded response in ``../shared/fixtures/<platform>/``."""
    path = FIXTURES / platform / name
    if not path.exists():
        raise FileNotFoundError(f"missing shared fixture {path}")
    return path
