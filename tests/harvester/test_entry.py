"""The ``moisson`` command's entry point: what a spawned worker imports before its first task."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
from {module} import {function}
if __name__ == "__main__":
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        asked = "sorted(m for m in __import__('sys').modules if m.startswith(('harvester', 'typer')))"
        print(pool.submit(eval, asked).result())
"""


def _entry() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["scripts"]["moisson"])


def test_the_command_starts_from_the_import_free_entry_module() -> None:
    assert _entry() == "harvester.entry:main"


def test_a_worker_spawned_by_the_command_does_not_import_the_command_line(
    tmp_path: Path,
) -> None:
    """multiprocessing's spawn runs the parent's script again in each child (as
    ``__mp_main__``): the script pip writes for the entry point imports its module there."""
    module, function = _entry().split(":")
    script = tmp_path / "moisson"
    script.write_text(_PROBE.format(module=module, function=function))
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    imported = ast.literal_eval(done.stdout.strip())
    assert "harvester.entry" in imported  # the probe did run the entry's import
    assert "harvester.cli" not in imported
    assert not [name for name in imported if name.startswith("typer")]


def test_the_entry_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from harvester.entry import main; main()", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "harvest" in done.stdout and "serve" in done.stdout
