#!/usr/bin/env bash
# Sets everything up and runs the whole test suite on SQLite and PostgreSQL, then ruff and mypy.
# Extra arguments go to pytest (e.g. scripts/test.sh -k ckan).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

# shellcheck source=scripts/test-postgres.sh
source scripts/test-postgres.sh

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no test: failing" >&2
fi
if [ "$#" -eq 0 ]; then
  .venv/bin/ruff check . || status=1
  .venv/bin/mypy || status=1
fi
exit "$status"
