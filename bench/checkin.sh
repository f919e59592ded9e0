#!/usr/bin/env bash
# Check-in load: 100,000 seeded devices (10% with a pending update), wrk sending heartbeats (whose reply answers the
# update check: what an agent sends every five minutes), update checks alone and the first protocol's mix (one
# heartbeat then the same device's check), each request for a random device with its own token;
# baseline in the same run: the server's trivial liveness endpoint. Prints requests/s, p50/p99 and the ratio to the
# baseline, with the CPU each process spent, and writes the table into bench/README.md.
#
#   bench/checkin.sh            (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings (environment): DEVICES=100000 DURATION=20 (s per scenario) WARMUP=60 (s at least; WARMUP_MAX=300)
# CONNECTIONS=64 THREADS=2 IDLE_AFTER=11 (s of idle after each scenario before counters are read)
# PACED_DEVICES=1000000 PACED_CONNECTIONS=256 (heartbeat-paced: the rate of that many devices calling every five
# minutes, over that many connections) OTA_MISSEDHEARTBEATS=1000 (the bench server's offline threshold)
# OTA_DB_POOL_SIZE=16 SERVER_JAVA_OPTS='' (JVM flags of the server; default: none, as shipped) README=1 (0: do not
# touch bench/README.md) PROFILE=1 (also record a JFR CPU profile of the heartbeat and print its hot frames).
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-100000}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-60}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PACED_DEVICES="${PACED_DEVICES:-1000000}"
PACED_CONNECTIONS="${PACED_CONNECTIONS:-256}"
# The bench fleet does not call every five minutes: the offline sweep would mark the devices the warm-up has not
# reached (at a million, most of them) offline during the measurement, and each one's next heartbeat would then be
# a status change. The server is told to wait 1,000 missed heartbeats instead of 3.
export OTA_MISSEDHEARTBEATS="${OTA_MISSEDHEARTBEATS:-1000}"
DB=javia_bench_checkin

require wrk psql curl java unzip python3
require_server_jar
bench_setup checkin

# PostgreSQL logs this database's statements over 500 ms and lock waits over deadlock_timeout (1 s), and (set on its
# tables below) every autovacuum and autoanalyze: the table after the run lists them by scenario, to tell where a
# latency tail came from. Logging only: nothing that is measured changes.
start_server "$DB" "$(free_port 18080)" \
    "alter database $DB set log_min_duration_statement = 500; alter database $DB set log_lock_waits = on"

checkin_fleet "$DB" "$DEVICES"
pending="$CHECKIN_PENDING"
sql "$DB" <<'SQL'
alter table devices set (log_autovacuum_min_duration = 0);
alter table device_updates set (log_autovacuum_min_duration = 0);
SQL
checkin_fleet_answers "$SERVER_URL"

# PostgreSQL's own counters of the bench database: transactions, rows and index scans (pg_stat_*), one
# "key value" a line. Backends publish them at most once a second while busy and 10 s after going idle, so each
# scenario is followed by an idle pause before its counters (and CPU times: deferred writes count) are read.
pg_counters() {
    sql "$DB" -F ' ' <<'SQL'
select 'xact', xact_commit + xact_rollback from pg_stat_database where datname = current_database()
union all select 'tup_returned', tup_returned from pg_stat_database where datname = current_database()
union all select 'tup_fetched', tup_fetched from pg_stat_database where datname = current_database()
union all select 'tup_updated', tup_updated from pg_stat_database where datname = current_database()
union all select 'blks_hit', blks_hit from pg_stat_database where datname = current_database()
union all select 'hot_upd', sum(n_tup_hot_upd) from pg_stat_user_tables
union all select 'wal', pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')
union all select 'idx:' || indexrelname, idx_scan from pg_stat_user_indexes
union all select 'seq:' || relname, seq_scan from pg_stat_user_tables;
SQL
}
IDLE_AFTER="${IDLE_AFTER:-11}"

# Kernel TCP counters (all of the machine): retransmitted segments, SYN retransmits, retransmit timeouts. On
# loopback a retransmit means a dropped segment (e.g. a full accept queue): a one-second stall for that request.
tcp_counters() {
    nstat -asz TcpRetransSegs TcpExtTCPSynRetrans TcpExtTCPTimeouts 2>/dev/null | awk 'NR > 1 {printf "%s ", $2} END {print ""}'
}

# CPU ticks of the server's threads by group (request threads, GC, JIT, scheduler, ...), "group ticks" a line.
thread_ticks() {
    local task
    for task in /proc/"$SERVER_PID"/task/*; do
        printf '%s|%s\n' "$(cat "$task/comm" 2>/dev/null)" "$(sed 's/.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13}')"
    done | awk -F'|' '
        $1 ~ /^http-nio/ {g = "request threads (http-nio)"}
        $1 ~ /^(GC Thread|G1 )/ {g = "GC"}
        $1 ~ /^C[12] Compiler/ {g = "JIT compilers"}
        $1 ~ /^scheduling/ {g = "scheduler (heartbeat flush, sweeps)"}
        $1 ~ /^Hikari/ {g = "Hikari pool threads"}
        $1 !~ /^(http-nio|GC Thread|G1 |C[12] Compiler|scheduling|Hikari)/ {g = "other JVM threads"}
        {t[g] += $2} END {for (k in t) print k "|" t[k]}' | sort
}

# run_wrk NAME MODE SECONDS [CLOSE]: one wrk run; appends a row to $WORK/rows (name rps p50 p99 errors cpu shares)
# and its PostgreSQL counters to $WORK/counters-NAME.
run_wrk() {
    local name="$1" mode="$2" seconds="$3" close="${4:-0}" out s0 p0 m0 s1 p1 m1 line
    out="$WORK/wrk-$name.txt"
    pg_counters >"$WORK/counters-$name.0"
    thread_ticks >"$WORK/threads-$name.0"
    s0="$(cpu_ticks "$SERVER_PID")"; p0="$(pg_ticks "$DB")"; m0="$(machine_ticks)"
    local tcp0 tcp1
    read -r -a tcp0 <<<"$(tcp_counters) 0 0 0"
    local TIMEFORMAT='%U %S' started
    started="$(date +%s.%N)"
    { time BENCH_MODE="$mode" BENCH_DEVICES="$DEVICES" BENCH_CLOSE="$close" BENCH_SWEEP_START="${SWEEP_START:-0}" \
        BENCH_DELAY_MS="${DELAY_MS:-0}" BENCH_THREADS="$THREADS" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s -s "$BENCH_DIR/checkin.lua" "$SERVER_URL" \
        >"$out" ; } 2>"$out.time"
    s1="$(cpu_ticks "$SERVER_PID")"; p1="$(pg_ticks "$DB")"; m1="$(machine_ticks)"
    read -r -a tcp1 <<<"$(tcp_counters) 0 0 0"
    local s1w="$s1" p1w="$p1"
    if [[ "$name" != warmup-* ]]; then
        sleep "$IDLE_AFTER"
        s1="$(cpu_ticks "$SERVER_PID")"; p1="$(pg_ticks "$DB")"
        pg_counters >"$WORK/counters-$name.1"
        thread_ticks >"$WORK/threads-$name.1"
        echo "$name $started $(date +%s.%N)" >>"$WORK/windows"
    fi
    line="$(grep '^RESULT' "$out")" || { cat "$out" >&2; die "wrk printed no result for $name"; }
    echo "$name $line server_ticks=$((s1 - s0)) pg_ticks=$((p1 - p0)) server_window=$((s1w - s0)) pg_window=$((p1w - p0)) retrans=$((tcp1[0] - tcp0[0])) syn_retrans=$((tcp1[1] - tcp0[1])) rto=$((tcp1[2] - tcp0[2])) machine_ticks=$((m1 - m0)) wrk_cpu=$(awk '{print $1 + $2}' "$out.time")" \
        >>"$WORK/rows"
}

wait_quiet
# Warm-up: rounds of the mix over every device in turn (so that each device has called once, as in a fleet where
# all call every five minutes) and of each scenario, until the JIT compilers are quiet (under 3% of a core in a
# round) and every device was seen; at least WARMUP s, at most WARMUP_MAX s.
if [[ "${PROFILE:-0}" == 1 ]]; then
    jcmd "$SERVER_PID" JFR.start name=init settings=profile >/dev/null
    jcmd "$SERVER_PID" JFR.stop name=init >/dev/null
fi
: >"$WORK/rows"
warm_start=$SECONDS; swept=0; round=0
while :; do
    round=$((round + 1))
    j0="$(jit_ticks "$SERVER_PID")"
    SWEEP_START=$swept run_wrk "warmup-sweep-$round" sweep 10
    swept=$((swept + $(grep "^warmup-sweep-$round " "$WORK/rows" | sed 's/.*requests=\([0-9]*\).*/\1/') / 2))
    for mode in baseline heartbeat check mix; do run_wrk "warmup-$mode-$round" "$mode" 3; done
    j1="$(jit_ticks "$SERVER_PID")"
    jit_pct=$(( (j1 - j0) * 100 / ($(getconf CLK_TCK) * 22) ))
    log "warm-up round $round: $swept device exchanges swept, JIT compilers at ${jit_pct}% of a core"
    if (( SECONDS - warm_start >= WARMUP && swept >= DEVICES && jit_pct < 3 )); then break; fi
    if (( SECONDS - warm_start >= ${WARMUP_MAX:-300} )); then log "warm-up stopped at WARMUP_MAX with the JIT at ${jit_pct}%"; break; fi
done
warmup_note="$((SECONDS - warm_start)) s of warm-up ($round rounds; every device swept: $((swept >= DEVICES ? 1 : 0)), JIT at ${jit_pct}% of a core in the last round)"
: >"$WORK/rows"
scenarios_log_mark="$(pg_log_mark)"

for scenario in baseline heartbeat heartbeat-reconnect heartbeat-paced check mix baseline-again; do
    log "running $scenario for ${DURATION} s (${CONNECTIONS} connections, ${THREADS} wrk threads)"
    case "$scenario" in
        heartbeat-reconnect) run_wrk heartbeat-reconnect heartbeat "$DURATION" 1 ;;
        # what a fleet of PACED_DEVICES sends (one heartbeat each per five minutes), on new connections
        # (more connections than the others, so that a request's own latency shortens each one's period little)
        heartbeat-paced) CONNECTIONS="$PACED_CONNECTIONS" DELAY_MS=$((PACED_CONNECTIONS * 300 * 1000 / PACED_DEVICES)) \
            run_wrk heartbeat-paced heartbeat "$DURATION" 1 ;;
        baseline-again) run_wrk baseline-again baseline "$DURATION" ;;
        *) run_wrk "$scenario" "$scenario" "$DURATION" ;;
    esac
done
pg_log_since "$scenarios_log_mark" "$DB" >"$WORK/pg.log"

# PROFILE=1: one more heartbeat run under a JFR recording, after the measured scenarios and in its own row: a recording costs
# a little, and the first one in a JVM re-instruments JDK classes, which throws away compiled code (it was started
# and stopped once before the warm-up for that reason).
if [[ "${PROFILE:-0}" == 1 ]]; then
    log "running heartbeat-profiled for ${DURATION} s under JFR"
    jcmd "$SERVER_PID" JFR.start name=bench settings=profile filename="$WORK/mix.jfr" >/dev/null
    run_wrk heartbeat-profiled heartbeat "$DURATION"
    jcmd "$SERVER_PID" JFR.stop name=bench >/dev/null
fi

# PROFILE=1: every statement the server sends for one heartbeat and one check, with PostgreSQL's timings. The bench
# database logs all statements from new sessions on; the pool's sessions are ended so that it opens new ones.
trace_requests() {
    local n uuid kind mark
    sql "$DB" -c "alter database $DB set log_min_duration_statement = 0"
    sql "$DB" -c "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = '$DB' and pid <> pg_backend_pid()" >/dev/null
    sleep 2
    for _ in 1 2 3; do curl -s -o /dev/null -H "X-API-Key: dvt_bench_12" "$SERVER_URL/api/v1/devices/$(printf '00000000-0000-7000-8000-%012x' 12)/updates/check"; done
    sleep 2
    : >"$WORK/trace.md"
    for n in 20 21; do
        uuid="$(printf '00000000-0000-7000-8000-%012x' "$n")"
        version=v1.1.0; ((n % 10 == 0)) && version=v1.0.0
        for kind in heartbeat check; do
            mark="$(pg_log_mark)"
            if [[ "$kind" == heartbeat ]]; then
                curl -s -o /dev/null -H "X-API-Key: dvt_bench_$n" -H 'Content-Type: application/json' \
                    -d "{\"current_version\":\"$version\",\"status\":\"online\"}" "$SERVER_URL/api/v1/devices/$uuid/heartbeat"
            else
                curl -s -o /dev/null -H "X-API-Key: dvt_bench_$n" "$SERVER_URL/api/v1/devices/$uuid/updates/check"
            fi
            sleep 2.5   # a batched heartbeat is written within the flush interval: wait for it
            pg_log_since "$mark" "$DB" | python3 "$BENCH_DIR/pg-trace.py" "$kind of device $n ($([[ $version == v1.0.0 ]] && echo update pending || echo up to date))" >>"$WORK/trace.md"
        done
    done
    sql "$DB" -c "alter database $DB reset log_min_duration_statement"
}
if [[ "${PROFILE:-0}" == 1 ]]; then
    if [[ -r "$PG_LOG" ]]; then trace_requests; else log "cannot read $PG_LOG: no statement trace"; fi
fi

rows_after="$(sql "$DB" -c "select count(*) from devices where last_seen > now() - interval '10 minutes'")"
server_log_errors="$(grep -c -E ' ERROR |Exception' "$WORK/server/server.log" || true)"

table="$WORK/table.md"
python3 - "$WORK/rows" "$DURATION" "$(getconf CLK_TCK)" "$(nproc)" >"$table" <<'PY'
import sys
rows_file, duration, hz, cores = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = []
for line in open(rows_file):
    parts = line.split()
    f = dict(p.split("=", 1) for p in parts[2:])
    f = {k: float(v) for k, v in f.items()}
    f["name"] = parts[0]
    rows.append(f)
base = next(r for r in rows if r["name"] == "baseline")
base_rps = base["requests"] / (base["duration_us"] / 1e6)
# A device's five-minute exchange: one heartbeat (its reply answers the check), or the mix's two requests.
per_exchange = {"heartbeat": 1, "heartbeat-reconnect": 1, "heartbeat-paced": 1, "heartbeat-profiled": 1, "mix": 2}
print("| scenario | requests/s | device exchanges/s | p50 ms | p99 ms | max ms | errors (non-2xx, socket) "
      "| TCP retransmits (SYN) | ratio to baseline "
      "| server CPU µs/req | PostgreSQL CPU µs/req | CPU used: server / PostgreSQL / wrk / others (of %d cores) |" % cores)
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in rows:
    secs = r["duration_us"] / 1e6
    rps = r["requests"] / secs
    errors = "%d, %d" % (r["non2xx"], r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"])
    server_s = r["server_ticks"] / hz
    pg_s = r["pg_ticks"] / hz
    server_w = r["server_window"] / hz
    pg_w = r["pg_window"] / hz
    others_s = max(0.0, r["machine_ticks"] / hz - server_w - pg_w - r["wrk_cpu"])
    exchanges = "{:,.0f}".format(rps / per_exchange[r["name"]]) if r["name"] in per_exchange else "-"
    print("| %s | %s | %s | %.2f | %.2f | %.1f | %s | %d (%d) | %.3f | %.0f | %.0f | %.0f%% / %.0f%% / %.0f%% / %.0f%% |" % (
        r["name"], "{:,.0f}".format(rps), exchanges, r["p50_us"] / 1000, r["p99_us"] / 1000, r["max_us"] / 1000, errors,
        r.get("retrans", 0), r.get("syn_retrans", 0),
        rps / base_rps, server_s * 1e6 / max(r["requests"], 1), pg_s * 1e6 / max(r["requests"], 1),
        100 * server_w / secs / cores, 100 * pg_w / secs / cores, 100 * r["wrk_cpu"] / secs / cores,
        100 * others_s / secs / cores))
PY

# Per request: PostgreSQL transactions, rows and index scans, from the counters' differences.
python3 - "$WORK" <<'PY' >"$WORK/counters.md"
import os, sys
work = sys.argv[1]
rows = [l.split()[0] for l in open(os.path.join(work, "rows"))]
def read(path):
    out = {}
    for line in open(path):
        if line.strip():
            k, v = line.rsplit(" ", 1)
            out[k] = float(v or 0)
    return out
requests = {}
for line in open(os.path.join(work, "rows")):
    parts = line.split()
    requests[parts[0]] = float(dict(p.split("=", 1) for p in parts[2:] if "=" in p)["requests"])
print("| scenario | transactions/req | rows fetched/req | rows updated/req (HOT) | WAL bytes/req | index scans/req | sequential scans |")
print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
for name in rows:
    a, b = read(os.path.join(work, "counters-%s.0" % name)), read(os.path.join(work, "counters-%s.1" % name))
    d = {k: b.get(k, 0) - a.get(k, 0) for k in b}
    n = requests[name] or 1
    idx = ", ".join("%s %.2f" % (k[4:], v / n) for k, v in sorted(d.items(), key=lambda kv: -kv[1])
                    if k.startswith("idx:") and v / n >= 0.005) or "-"
    seq = sum(v for k, v in d.items() if k.startswith("seq:"))
    print("| %s | %.2f | %.2f | %.3f (%.3f) | %.0f | %s | %d |" % (name, d["xact"] / n, d["tup_fetched"] / n,
          d["tup_updated"] / n, d["hot_upd"] / n, d.get("wal", 0) / n, idx, seq))
PY

# Server CPU per request by thread group.
python3 - "$WORK" "$(getconf CLK_TCK)" <<'PY' >"$WORK/threads.md"
import os, sys
work, hz = sys.argv[1], int(sys.argv[2])
names, requests = [], {}
for line in open(os.path.join(work, "rows")):
    parts = line.split()
    names.append(parts[0])
    requests[parts[0]] = float(dict(p.split("=", 1) for p in parts[2:] if "=" in p)["requests"])
def read(path):
    return {k: float(v) for k, v in (l.strip().split("|") for l in open(path) if l.strip())}
groups = ["request threads (http-nio)", "GC", "JIT compilers", "scheduler (heartbeat flush, sweeps)", "Hikari pool threads", "other JVM threads"]
print("| scenario | " + " | ".join(groups) + " |")
print("| --- |" + " ---: |" * len(groups))
for name in names:
    a, b = read(os.path.join(work, "threads-%s.0" % name)), read(os.path.join(work, "threads-%s.1" % name))
    n = requests[name] or 1
    print("| %s | " % name + " | ".join("%.0f" % ((b.get(g, 0) - a.get(g, 0)) / hz * 1e6 / n) for g in groups) + " |")
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
    echo
    echo "Settings: $DEVICES devices ($pending with an update pending), ${DURATION} s per scenario after"
    echo "$warmup_note, wrk -t$THREADS -c$CONNECTIONS (keep-alive; heartbeat-reconnect: a new connection for every"
    echo "device's heartbeat, as devices calling every five minutes do; heartbeat-paced: the same at the rate of"
    echo "$PACED_DEVICES devices calling every five minutes, $PACED_CONNECTIONS connections each pausing between requests), server as shipped (JVM flags: '${SERVER_JAVA_OPTS:-none}', pool ${OTA_DB_POOL_SIZE:-16})."
    echo "PostgreSQL: shared_buffers $(sql "$DB" -c 'show shared_buffers'); this database's tables and indexes $(sql "$DB" -c "select pg_size_pretty(pg_database_size(current_database()))")."
    echo "wrk runs on the same $(nproc) cores as the server and PostgreSQL; 'others' is the rest of the machine's busy"
    echo "time in the same window (other work on a shared machine: it takes cores from the figures)."
    echo
    cat "$table"
    echo
    echo "Server and PostgreSQL CPU µs/req include the ${IDLE_AFTER} s after each scenario (deferred writes); the shares are of the wrk window only."
    echo
    echo "Server CPU µs per request by thread group (same windows, threads' utime+stime from /proc):"
    echo
    cat "$WORK/threads.md"
    echo
    echo "PostgreSQL's counters for the same windows (pg_stat_database / pg_stat_user_tables / pg_stat_user_indexes; WAL is"
    echo "the whole cluster's, pg_current_wal_lsn; read"
    echo "${IDLE_AFTER} s after each scenario so that deferred writes are counted):"
    echo
    cat "$WORK/counters.md"
    echo
    echo "After the run: $rows_after devices seen in the last 10 minutes; server log lines with ERROR/Exception: $server_log_errors."
    echo
    pg_events="$(python3 "$BENCH_DIR/pg-log.py" "$WORK/pg.log" "$WORK/windows")"
    echo "PostgreSQL's log during the measured scenarios (each with the ${IDLE_AFTER} s after it): statements over 500 ms, lock"
    if [[ -n "$pg_events" ]]; then
        echo "waits over 1 s, every autovacuum and autoanalyze of this database's tables:"
        echo
        echo "$pg_events"
    else
        echo "waits over 1 s, every autovacuum and autoanalyze of this database's tables: none."
    fi
} >"$WORK/result.md"

echo
cat "$WORK/result.md"

if [[ "${PROFILE:-0}" == 1 ]]; then
    {
        echo
        echo "Profile of the heartbeat (PROFILE=1: JFR, settings=profile, over the heartbeat-profiled row's ${DURATION} s):"
        echo
        "$BENCH_DIR/jfr-top.sh" "$WORK/mix.jfr"
        echo
        echo "Statements per request (PROFILE=1: the bench database logs every statement, log_min_duration_statement=0):"
        cat "$WORK/trace.md" 2>/dev/null
    } >"$WORK/profile.md"
    cat "$WORK/profile.md"
    cat "$WORK/profile.md" >>"$WORK/result.md"
    [[ -n "${PROFILE_OUT:-}" ]] && cp "$WORK/profile.md" "$PROFILE_OUT" && cp "$WORK/mix.jfr" "${PROFILE_OUT%.md}.jfr"
fi

[[ "${README:-1}" == 1 ]] && readme_put "$(section_name checkin)" "$WORK/result.md"
exit 0
