#!/usr/bin/env bash
# Services the tests need, started on a fresh (Debian, root) machine: a local PostgreSQL for the
# competition/database tests. Idempotent: a second call finds everything in place.
#
# It sets up role `phenomap` (password `phenomap`) and database `phenomap_test`, listening on loopback only,
# and writes the URL to .ci/pg-url:
#   postgres://phenomap:phenomap@127.0.0.1:5432/phenomap_test   (the documented default)
# It exports nothing: the tests read PHENOMAP_TEST_PG_URL, or .ci/pg-url when that variable is unset.
# Each test run creates its own fresh schema in that database and drops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

PG_USER=phenomap
PG_PASSWORD=phenomap
PG_DATABASE=phenomap_test
PG_HOST=127.0.0.1

as_postgres() { runuser -u postgres -- "$@"; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "services: installing PostgreSQL (Debian package postgresql)"
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql
fi

# The first cluster Debian created (postgresql-common makes `main` on install); create one if none exists.
read -r PG_VERSION PG_CLUSTER PG_PORT PG_STATUS _ < <(pg_lsclusters --no-header | head -n 1) || true
if [ -z "${PG_VERSION:-}" ]; then
  PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$PG_VERSION" main --start-conf=auto
  read -r PG_VERSION PG_CLUSTER PG_PORT PG_STATUS _ < <(pg_lsclusters --no-header | head -n 1)
fi
if [ "$PG_STATUS" != "online" ]; then
  echo "services: starting PostgreSQL $PG_VERSION/$PG_CLUSTER on port $PG_PORT"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start || service postgresql start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break
  sleep 1
done
pg_isready -h "$PG_HOST" -p "$PG_PORT"

# Role and database (password authentication over TCP on loopback: Debian's default pg_hba.conf).
as_postgres psql -q -p "$PG_PORT" -v ON_ERROR_STOP=1 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1; then
  as_postgres createdb -p "$PG_PORT" -O "$PG_USER" "$PG_DATABASE"
fi

URL="postgres://$PG_USER:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DATABASE"
echo "$URL" > .ci/pg-url
echo "services: PostgreSQL ready at $URL (written to .ci/pg-url)"
