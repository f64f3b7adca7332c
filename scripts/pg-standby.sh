#!/usr/bin/env bash
# A PostgreSQL streaming-replication hot standby of the local cluster, for the read-replica tests and CI
# (docs/operations.md, "Read replicas"). Idempotent: when a standby already answers on the standby port,
# it does nothing.
#
#   scripts/pg-standby.sh            make (or restart) the standby and wait until it is in recovery
#   scripts/pg-standby.sh stop       stop it (its data directory and replication slot stay)
#   scripts/pg-standby.sh remove     stop it, delete its data directory and drop its replication slot
#
# What "make" does, each step skipped when already done:
#   1. pg_hba.conf of the primary allows replication connections from 127.0.0.1 (trust, as the test
#      cluster does for ordinary connections); the primary is reloaded after the line is added;
#   2. pg_basebackup -R -X stream -C -S toudai_standby copies the primary into STANDBY_DIR (owned by
#      postgres) and writes standby.signal and primary_conninfo; the physical replication slot keeps
#      the primary from recycling WAL the standby has not received yet (the test cluster keeps no
#      extra WAL otherwise: wal_keep_size = 0), so a standby paused by a test never falls off;
#   3. a postgresql.conf of its own (Debian keeps the primary's under /etc, not in the data directory):
#      port, socket directory, and the settings a hot standby must have at least as high as its
#      primary (max_connections, max_worker_processes, max_wal_senders, max_prepared_transactions,
#      max_locks_per_transaction), read from the primary;
#   4. pg_ctl start as user postgres, then wait until pg_is_in_recovery() answers true.
#
# Environment: PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432), STANDBY_PORT (5433),
# STANDBY_DIR (/var/lib/postgresql/toudai-standby), PG_BIN (newest /usr/lib/postgresql/*/bin),
# PG_HBA (the primary's hba_file, asked from the primary). Runs as root (it edits pg_hba.conf and runs
# the server as postgres) or as postgres (then pg_hba.conf must already allow replication).
set -euo pipefail

PRIMARY_HOST="${PRIMARY_HOST:-127.0.0.1}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
STANDBY_PORT="${STANDBY_PORT:-5433}"
STANDBY_DIR="${STANDBY_DIR:-/var/lib/postgresql/toudai-standby}"
SLOT="${STANDBY_SLOT:-toudai_standby}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
LOG="${STANDBY_DIR}.log"
HBA_LINE="host replication all 127.0.0.1/32 trust"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

primary_sql() {
  psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -Atqc "$1"
}

standby_in_recovery() {
  [ "$(psql -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]
}

stop_standby() {
  if [ -f "$STANDBY_DIR/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR" -m fast -w stop || true
  fi
}

drop_slot() {
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
               WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
}

case "${1:-start}" in
  stop) stop_standby; exit 0 ;;
  remove) stop_standby; rm -rf "$STANDBY_DIR" "$LOG"; drop_slot; echo "standby removed"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|remove]" >&2; exit 2 ;;
esac

if standby_in_recovery; then
  echo "a hot standby already answers on 127.0.0.1:${STANDBY_PORT}; nothing to do"
  exit 0
fi
pg_isready -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -q || {
  echo "the primary does not answer on ${PRIMARY_HOST}:${PRIMARY_PORT}; start it first" >&2
  exit 1
}

# 1. The primary accepts replication connections from 127.0.0.1.
PG_HBA="${PG_HBA:-$(primary_sql 'SHOW hba_file')}"
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$PG_HBA"; then
  echo "adding '${HBA_LINE}' to ${PG_HBA} and reloading the primary"
  printf '%s\n' "$HBA_LINE" >>"$PG_HBA"
  primary_sql 'SELECT pg_reload_conf()' >/dev/null
  sleep 1 # the postmaster re-reads pg_hba.conf asynchronously after the reload signal
fi

# 2. A base backup, unless a usable one is there (a standby that was only stopped starts again as is).
if [ ! -f "$STANDBY_DIR/standby.signal" ]; then
  stop_standby
  rm -rf "$STANDBY_DIR"
  drop_slot
  install -d -o postgres -g postgres -m 700 "$STANDBY_DIR"
  echo "pg_basebackup of ${PRIMARY_HOST}:${PRIMARY_PORT} into ${STANDBY_DIR} (slot ${SLOT})"
  as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$STANDBY_DIR" \
    -R -X stream -C -S "$SLOT" --checkpoint=fast
fi

# 3. Its own configuration (a Debian cluster's postgresql.conf lives in /etc, so the copy has none).
{
  echo "# written by scripts/pg-standby.sh: a hot standby of ${PRIMARY_HOST}:${PRIMARY_PORT}"
  echo "port = ${STANDBY_PORT}"
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '/var/run/postgresql'"
  echo "hba_file = '${PG_HBA}'"
  echo "hot_standby = on"
  echo "hot_standby_feedback = on"
  echo "shared_buffers = 64MB"
  for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    echo "${name} = $(primary_sql "SHOW ${name}")"
  done
} | as_postgres tee "$STANDBY_DIR/postgresql.conf" >/dev/null
as_postgres touch "$STANDBY_DIR/pg_ident.conf"

# 4. Start it and wait until it is a hot standby that answers.
stop_standby
install -o postgres -g postgres -m 640 /dev/null "$LOG.tmp" && mv "$LOG.tmp" "$LOG"
as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR" -o "-p ${STANDBY_PORT}" -l "$LOG" -w -t 60 start >/dev/null
for _ in $(seq 1 60); do
  if standby_in_recovery; then
    echo "hot standby of ${PRIMARY_HOST}:${PRIMARY_PORT} answering on 127.0.0.1:${STANDBY_PORT} (data ${STANDBY_DIR}, log ${LOG})"
    exit 0
  fi
  sleep 1
done
echo "the standby did not enter recovery within 60 s; see ${LOG}" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
