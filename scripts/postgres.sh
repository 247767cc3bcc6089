#!/usr/bin/env bash
# Starts this machine's PostgreSQL (Debian's cluster) if it is not running, drops databases
# left by earlier test runs, and prints a URL the tests can create databases with.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null; then
  echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh installs it with SETUP_TESTS=1)" >&2
  exit 1
fi
if [[ -z "$(pg_lsclusters -h)" ]]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >&2
fi
read -r version name port status _ < <(pg_lsclusters -h | head -1)
if [[ "$status" != online* ]]; then
  # Only the URL may reach stdout (callers capture it): pg_ctlcluster prints notes such as
  # "Removed stale pid file." there, and the server must not hold the caller's pipe open.
  pg_ctlcluster "$version" "$name" start >&2
fi
as_postgres() { su postgres -c "psql -p $port -qAt -v ON_ERROR_STOP=1 $*"; }
as_postgres "-c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
for db in $(as_postgres "-c \"SELECT datname FROM pg_database WHERE datname LIKE 'test\_%'\""); do
  as_postgres "-c \"DROP DATABASE IF EXISTS $db\"" >/dev/null
done
echo "postgres://postgres:postgres@127.0.0.1:$port/postgres"
