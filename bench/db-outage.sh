#!/usr/bin/env bash
# Faults under load: PostgreSQL stopped for 30 s, then the server killed with kill -9, while a fleet sends heartbeats
# as agents do (OutageLoad.java: 20,000 devices, one heartbeat a minute each, every tenth reporting a new version each
# time, backing off after a failure and not sooner than Retry-After). On a PostgreSQL cluster of this script's own
# (pg_createcluster on a free port, dropped at the end), never the shared one. What the devices were told is compared
# with what the database holds: acknowledged heartbeats (last_seen) and version changes that were lost.
#
#   bench/db-outage.sh          (after ./mvnw -q -B -ntp -DskipTests package; ~4 min)
#
# Settings: DEVICES=20000 INTERVAL=60 (s between a device's heartbeats) VERSION_EVERY=10 BEFORE=20 OUTAGE=30
# AFTER=40 KILL_BEFORE=15 KILL_AFTER=60 (s) README=1 (0: do not touch bench/README.md)
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-20000}"
INTERVAL="${INTERVAL:-60}"
VERSION_EVERY="${VERSION_EVERY:-10}"
BEFORE="${BEFORE:-20}"
OUTAGE="${OUTAGE:-30}"
AFTER="${AFTER:-40}"
KILL_BEFORE="${KILL_BEFORE:-15}"
KILL_AFTER="${KILL_AFTER:-60}"
DB=javia_bench_outage

require pg_createcluster pg_ctlcluster pg_dropcluster psql curl java python3
require_server_jar
bench_setup db-outage

now_ms() { date +%s%3N; }
mark() { echo "$1=$(now_ms)" >>"$WORK/marks-$2"; }

# Every device's row as the database holds it now: n, last_seen (ISO, microseconds), current_version.
snapshot() {
    sql "$DB" -F ',' -c "select ('x' || right(device_uuid, 12))::bit(48)::bigint,
                                to_char(last_seen at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), current_version
                           from devices" >"$WORK/$1.csv"
    mark "$1" "$2"
}

load() {  # load RUN SECONDS: the fleet in the background; sets LOAD_PID
    java "$BENCH_DIR/OutageLoad.java" "$SERVER_URL" "$DEVICES" "$INTERVAL" "$2" "$VERSION_EVERY" "$1" \
        "$WORK/load-$1.csv" 2>>"$WORK/load.log" &
    LOAD_PID=$!
    track "$LOAD_PID"
}

own_cluster "javia_bench_outage_$$" "$(free_port 25432)"
start_server "$DB" "$(free_port 18095)"
log "seeding $DEVICES devices"
seed_devices "$DB" "$DEVICES" v1.0.0
wait_quiet
LOAD_AT_START="$(cut -d" " -f1-3 /proc/loadavg)"

log "warm-up: one interval of the fleet ($INTERVAL s)"
load 0 "$INTERVAL"
wait "$LOAD_PID"

log "database outage: ${BEFORE} s of load, PostgreSQL stopped for ${OUTAGE} s, ${AFTER} s after"
load 1 $((BEFORE + OUTAGE + AFTER))
mark load_start outage
sleep "$BEFORE"
mark stop outage
# shellcheck disable=SC2086
pg_ctlcluster $CLUSTER stop -m fast
mark stopped outage
sleep "$OUTAGE"
mark start outage
# shellcheck disable=SC2086
pg_ctlcluster $CLUSTER start
mark started outage
sleep 5
snapshot after-return outage
wait "$LOAD_PID"
sleep 3
snapshot end-outage outage

log "kill -9 of the server: ${KILL_BEFORE} s of load, then the server killed and started again"
load 2 $((KILL_BEFORE + KILL_AFTER))
mark load_start kill
sleep "$KILL_BEFORE"
mark kill kill
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
snapshot after-kill kill
mark restart kill
launch_server "$DB" "${SERVER_URL##*:}"
mark restarted kill
wait "$LOAD_PID"
sleep 3
snapshot end-kill kill

# PostgreSQL's own word on when it stopped and was ready again; pg_dropcluster removes the log with the cluster.
cp "/var/log/postgresql/postgresql-${CLUSTER% *}-${CLUSTER#* }.log" "$WORK/postgresql.log"

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
    echo
    echo "Settings: $DEVICES devices, a heartbeat every $INTERVAL s each (about $((DEVICES / INTERVAL)) a second; every"
    echo "${VERSION_EVERY}th device reports a new version each time), PostgreSQL $(psql -d postgres -qAtc 'show server_version' | cut -d' ' -f1)"
    echo "in a cluster of the bench's own (stopped with pg_ctlcluster stop -m fast, started again), server as shipped"
    echo "(pool ${OTA_DB_POOL_SIZE:-16}, connection timeout 2 s, probe every 1 s, heartbeat flush every 1 s). Load average"
    echo "(1, 5, 15 min) at the start: $LOAD_AT_START, at the end: $(cut -d" " -f1-3 /proc/loadavg) (other work on this machine)."
    echo
    python3 "$BENCH_DIR/outage-report.py" "$WORK"
} >"$WORK/table.md"
cat "$WORK/table.md"
if [[ "${README:-1}" == 1 ]]; then
    readme_put "$(section_name db-outage)" "$WORK/table.md"
fi
