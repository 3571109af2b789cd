"""Benchmark headers name the checkout they measured."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.common import machine, revision


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_revision_says_when_tracked_files_differ_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert revision() == "?"  # not a checkout
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    commit = _git(tmp_path, "rev-parse", "--short", "HEAD")
    (tmp_path / "untracked.txt").write_text("not part of the measure\n")
    assert revision() == commit
    assert machine().endswith(f"commit {commit}")
    (tmp_path / "a.txt").write_text("two\n")
    assert revision() == f"{commit} (+ working tree)"
