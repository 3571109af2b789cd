"""A copy of the code the mapping key hashes, which a test edits to stand for a release."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester import mapping_code


class CodeCopy:
    """A copy of the hashed files that the fingerprint reads instead of the real ones."""

    def __init__(self, root: Path) -> None:
        self.files: dict[str, Path] = {}
        for path in mapping_code.code_files():
            name = path.relative_to(mapping_code.ROOT).as_posix()
            copy = root / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
            self.files[name] = copy

    def edit(self, name: str, line: str = "# a new release\n") -> None:
        """Change one hashed file, as a new release would."""
        with self.files[name].open("a") as handle:
            handle.write(line)
        mapping_code.forget()


@pytest.fixture(name="code")
def code_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CodeCopy]:
    """The hashed code, as a copy (:class:`CodeCopy`)."""
    copy = CodeCopy(tmp_path / "code")
    monkeypatch.setattr(mapping_code, "code_files", lambda: sorted(copy.files.values()))
    mapping_code.forget()
    yield copy
    mapping_code.forget()
