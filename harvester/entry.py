"""The ``moisson`` command's entry point, which imports nothing until the command runs.

Every process the command spawns (mapping workers, HTTP workers) first runs the command's
script again as its ``__mp_main__`` module, and that script imports the entry point's
module. With the entry point in :mod:`harvester.cli`, each worker imported the whole
command line (typer, alembic, every sub-command and what they import) before its first
task: ~1 s of CPU and ~47 MB of memory a mapping worker, beside a 1 M-dataset harvest's
400 MB budget (an HTTP worker imports much of it anyway).
"""

from __future__ import annotations


def main() -> None:
    """Run the ``moisson`` command line."""
    from harvester.cli import app

    app()
