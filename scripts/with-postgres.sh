#!/usr/bin/env bash
# Runs a command with a throw-away local PostgreSQL cluster (Debian's postgresql package) and
# HOTLINE_TEST_POSTGRES_URL pointing at it; the cluster is removed afterwards.
# If HOTLINE_TEST_POSTGRES_URL is already set, that server is used and nothing is started.
set -euo pipefail
if [ -n "${HOTLINE_TEST_POSTGRES_URL:-}" ]; then exec "$@"; fi
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$initdb" ] || initdb=$(command -v initdb || true)
if [ -z "$initdb" ]; then
  echo "with-postgres: no initdb found; install Debian's postgresql package (scripts/system-deps.sh)" >&2
  exit 1
fi
pgbin=$(dirname "$initdb")
dir=$(mktemp -d /tmp/hotline-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U hotline -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
cleanup() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U hotline hotline
export HOTLINE_TEST_POSTGRES_URL="postgresql+asyncpg://hotline@127.0.0.1:$port/hotline"
echo "with-postgres: PostgreSQL on 127.0.0.1:$port" >&2
set +e
"$@"
rc=$?
exit $rc
