#!/usr/bin/env bash
# Sourced by scripts/test.sh: makes a PostgreSQL test database available if this machine has
# PostgreSQL, and exports MOISSON_TEST_POSTGRES_URL. Otherwise it exports
# MOISSON_TEST_POSTGRES_SKIP, the reason the PostgreSQL tests will be skipped (CI never skips).

pg_role=moisson_test
pg_db=moisson_test
pg_port=${MOISSON_TEST_PG_PORT:-5432}

_moisson_pg_unavailable() {
  export MOISSON_TEST_POSTGRES_SKIP="$1"
  echo "PostgreSQL tests: $1" >&2
}

_moisson_pg_prepare() {
  if [ -n "${MOISSON_TEST_POSTGRES_URL:-}" ]; then
    return 0
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1 && [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ]; then
    echo "CI: installing PostgreSQL from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || { _moisson_pg_unavailable "could not install PostgreSQL"; return 0; }
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    _moisson_pg_unavailable "PostgreSQL is not installed (pg_lsclusters not found)"
    return 0
  fi
  local cluster version name status
  cluster=$(pg_lsclusters --no-header | sort -k1,1nr | head -1)
  if [ -z "$cluster" ]; then
    _moisson_pg_unavailable "PostgreSQL is installed but has no cluster"
    return 0
  fi
  read -r version name pg_port status _ <<<"$cluster"
  if [ "$status" != "online" ]; then
    echo "starting PostgreSQL $version/$name" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start \
      || { _moisson_pg_unavailable "could not start PostgreSQL $version/$name"; return 0; }
  fi
  local as_postgres=(runuser -u postgres --)
  if [ "$(id -u)" != 0 ]; then
    if [ "$(id -un)" = postgres ]; then as_postgres=(); else
      _moisson_pg_unavailable "cannot create the test role: run as root or postgres, or set MOISSON_TEST_POSTGRES_URL"
      return 0
    fi
  fi
  "${as_postgres[@]}" psql -q -p "$pg_port" -v ON_ERROR_STOP=1 postgres >/dev/null <<SQL || { _moisson_pg_unavailable "could not create the test role/database"; return 0; }
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$pg_role') THEN
    CREATE ROLE $pg_role LOGIN PASSWORD '$pg_role' CREATEDB;
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $pg_db OWNER $pg_role' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$pg_db')\gexec
SQL
  export MOISSON_TEST_POSTGRES_URL="postgresql+asyncpg://$pg_role:$pg_role@127.0.0.1:$pg_port/$pg_db"
}

_moisson_pg_prepare
