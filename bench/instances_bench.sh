#!/usr/bin/env bash
# Two server instances against one, in the same run: checkin.sh's fleet (DEVICES seeded by SQL, 10% with an update
# pending) and its mix (a device's heartbeat, then its check, each request for a random device with its own token),
# sent by one wrk at (a) one instance, (b) two instances over the same database, each wrk thread's connections to one
# of them (checkin.lua's BENCH_ADDRS: no proxy in front, whose own CPU would come out of the same two cores and blur
# what the second instance changes; one wrk, so one latency histogram), alternating (a) and (b). Prints check-ins/s, p50/p99,
# the CPU of each server process, of PostgreSQL and of the rest of the machine, the ratio two / one, and where the limit
# is; writes the table into bench/README.md.
#
#   bench/instances_bench.sh    (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings (environment): DEVICES=10000 DURATION=25 (s per phase) WARMUP=20 (s of each instance's warm-up sweep)
# WARMUP_MAX=240 (s of warm-up at most) CONNECTIONS=64
# THREADS=2 (wrk's; with two instances, half of them to each) PAIRS=2 (one-instance phase then two-instance phase, this
# many times: a drift of the machine shows, and the ratio is of the means) IDLE_AFTER=11 (s after each phase before
# the CPU and PostgreSQL's counters per check-in are read: the heartbeat batches' flush, and backends publish their
# counters 10 s after going idle) OTA_DB_POOL_SIZE=16 (each instance's) README=1
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-10000}"
DURATION="${DURATION:-25}"
WARMUP="${WARMUP:-20}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PAIRS="${PAIRS:-2}"
IDLE_AFTER="${IDLE_AFTER:-11}"
# as in checkin.sh: the fleet calls far more often than every five minutes, but the devices it has not reached yet
# must not be swept offline during a phase
export OTA_MISSEDHEARTBEATS="${OTA_MISSEDHEARTBEATS:-1000}"
DB=javia_bench_instances

require wrk psql curl java unzip python3
require_server_jar
bench_setup instances
((THREADS % 2 == 0)) || die "THREADS must be even: half of wrk's threads go to each instance"

start_server "$DB" "$(free_port 18120)"
pid_a="$SERVER_PID"; url_a="$SERVER_URL"
checkin_fleet "$DB" "$DEVICES"
SERVER_LOG="$WORK/server/server-b.log" launch_server "$DB" "$(free_port $((${url_a##*:} + 1)))"
pid_b="$SERVER_PID"; url_b="$SERVER_URL"
SERVER_URL="$url_a"
checkin_fleet_answers "$url_a"
checkin_fleet_answers "$url_b"
addr_a="${url_a#http://}"; addr_b="${url_b#http://}"

# run_load NAME MODE SECONDS ADDRS: one wrk run of checkin.lua, its threads spread over ADDRS (host:port,...);
# appends a row to $WORK/rows: wrk's RESULT and SENT, and the CPU ticks of each instance, PostgreSQL's backends of
# the bench database, the machine and wrk over the window (its wall time: wrk's start and exit included), and of the
# instances and PostgreSQL IDLE_AFTER s later.
# PostgreSQL's counters of the bench database: transactions, rows fetched, rows updated; the backends open on it.
pg_counters() {
    sql "$DB" -F ' ' -c "select 'xact=' || (xact_commit + xact_rollback), 'fetched=' || tup_fetched, 'updated=' || tup_updated,
        'backends=' || numbackends from pg_stat_database where datname = current_database()"
}
run_load() {
    local name="$1" mode="$2" seconds="$3" addrs="$4" out="$WORK/wrk-$1.txt" a0 b0 p0 m0 w0 a1 b1 p1 m1 w1 c0 c1
    c0="$(pg_counters)"
    a0="$(cpu_ticks "$pid_a")"; b0="$(cpu_ticks "$pid_b")"; p0="$(pg_ticks "$DB")"; m0="$(machine_ticks)"; w0="$(date +%s.%N)"
    local TIMEFORMAT='%U %S'
    { time BENCH_MODE="$mode" BENCH_DEVICES="$DEVICES" BENCH_THREADS="$THREADS" BENCH_SWEEP_START="${SWEEP_START:-0}" BENCH_ADDRS="$addrs" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s -s "$BENCH_DIR/checkin.lua" "$url_a" >"$out"; } 2>"$out.time"
    a1="$(cpu_ticks "$pid_a")"; b1="$(cpu_ticks "$pid_b")"; p1="$(pg_ticks "$DB")"; m1="$(machine_ticks)"; w1="$(date +%s.%N)"
    grep -q '^RESULT' "$out" || { cat "$out" >&2; die "wrk printed no result for $name"; }
    c1="$(pg_counters)"
    [[ "$name" == warmup-* ]] || sleep "$IDLE_AFTER"
    c1="$(paste -d' ' <(tr ' ' '\n' <<<"$c0") <(tr ' ' '\n' <<<"$c1") <(tr ' ' '\n' <<<"$(pg_counters)") | awk -F'[ =]' '
        $1 == "backends" {printf "backends=%d ", $4; next} {printf "pg_%s=%d ", $1, $6 - $2}')"
    echo "$name $(grep '^RESULT' "$out" | cut -d' ' -f2-) $c1 a_window=$((a1 - a0)) b_window=$((b1 - b0)) pg_window=$((p1 - p0)) machine=$((m1 - m0)) window_s=$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}') wrk_cpu=$(awk '{print $1 + $2}' "$out.time") a_ticks=$(($(cpu_ticks "$pid_a") - a0)) b_ticks=$(($(cpu_ticks "$pid_b") - b0)) pg_ticks=$(($(pg_ticks "$DB") - p0)) $(grep '^SENT' "$out" | cut -d' ' -f2- | tr ' ' '\n' | awk -F= -v a="$addr_a" '{s[$1 == a ? "sent_a" : "sent_b"] += $2} END {printf "sent_a=%d sent_b=%d", s["sent_a"], s["sent_b"]}')" >>"$WORK/rows"
    log "$name: $(tail -1 "$WORK/rows" | cut -d' ' -f2-3)"
}

wait_quiet
# Warm-up: each instance alone sweeps the fleet (every device calls it once: both hold every device's token, as
# behind a balancer that sends a device to either), then rounds of the mix at both until the JIT compilers of both
# are quiet (under 3% of a core in a 10 s round), at most WARMUP_MAX s in all. Not measured.
: >"$WORK/rows"
warm_start=$SECONDS
log "warm-up: ${WARMUP} s sweep at each instance alone, then 10 s rounds of the mix at both until their JITs are quiet"
# sweep ADDR NAME: WARMUP s sweeps at ADDR, each going on where the last stopped, until every device has called it
# (at most WARMUP_MAX s); prints the devices swept
sweep() {
    local addr="$1" name="$2" swept=0 round=0 start=$SECONDS
    while ((swept < DEVICES && SECONDS - start < ${WARMUP_MAX:-240})); do
        round=$((round + 1))
        SWEEP_START=$swept run_load "warmup-sweep-$name-$round" sweep "$WARMUP" "$addr"
        swept=$((swept + $(grep "^warmup-sweep-$name-$round " "$WORK/rows" | sed 's/.*requests=\([0-9]*\).*/\1/') / 2))
    done
    echo "$swept"
}
swept_a="$(sweep "$addr_a" a)"; swept_b="$(sweep "$addr_b" b)"
swept=$((swept_a < swept_b ? swept_a : swept_b))
((swept >= DEVICES)) || log "the warm-up sweeps reached $swept devices of $DEVICES: some tokens will be looked up in the phases"
round=0
while :; do
    round=$((round + 1))
    ja="$(jit_ticks "$pid_a")"; jb="$(jit_ticks "$pid_b")"
    run_load "warmup-mix-$round" mix 10 "$addr_a,$addr_b"
    ja=$(($(jit_ticks "$pid_a") - ja)); jb=$(($(jit_ticks "$pid_b") - jb))
    jit_pct=$(( (ja > jb ? ja : jb) * 100 / ($(getconf CLK_TCK) * 10) ))
    log "warm-up round $round: the busier JIT at ${jit_pct}% of a core"
    ((jit_pct < 3)) && break
    ((SECONDS - warm_start < ${WARMUP_MAX:-240})) || { log "warm-up stopped at WARMUP_MAX with a JIT at ${jit_pct}%"; break; }
done
warmup_note="$((SECONDS - warm_start)) s of warm-up (each instance alone swept $swept devices; then $round rounds of the mix at both, the busier JIT at ${jit_pct}% of a core in the last)"
: >"$WORK/rows"

log "$PAIRS times a phase of ${DURATION} s at one instance, then one at two (${CONNECTIONS} connections, ${THREADS} wrk threads)"
for pair in $(seq 1 "$PAIRS"); do
    run_load "one-$pair" mix "$DURATION" "$addr_a"
    run_load "two-$pair" mix "$DURATION" "$addr_a,$addr_b"
done

server_log_errors="$(cat "$WORK"/server/server*.log | grep -c -E ' ERROR |Exception' || true)"
# the two instances' heartbeat flushes update the same devices rows: a deadlock between them is retried at the next
# flush (Heartbeats keeps the batch), but each costs a deadlock_timeout (1 s) of both flushes' locks
flush_deadlocks="$(cat "$WORK"/server/server*.log | grep -c 'heartbeat flush failed.*deadlock detected' || true)"
table="$WORK/table.md"
python3 - "$WORK/rows" "$(getconf CLK_TCK)" "$(nproc)" "$CONNECTIONS" >"$table" <<'PY'
import sys
rows_file, hz, cores, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = []
for line in open(rows_file):
    parts = line.split()
    r = {k: float(v) for k, v in (p.split("=", 1) for p in parts[1:])}
    r["name"] = parts[0]
    r["secs"] = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / r["secs"]
    rows.append(r)
ones = [r for r in rows if r["name"].startswith("one")]
twos = [r for r in rows if r["name"].startswith("two")]
one_rps = sum(r["rps"] for r in ones) / len(ones)
two_rps = sum(r["rps"] for r in twos) / len(twos)
def label(name):
    kind, pair = name.split("-")
    return "%s (%s)" % ("one instance" if kind == "one" else "two instances", pair)
def share(ticks, r):
    return 100.0 * ticks / hz / r["window_s"] / cores
print("| phase | check-ins/s (heartbeat + check) | requests/s | p50 ms | p99 ms | errors | split (instance A / B) "
      "| ratio to one (mean of its phases) | server CPU µs per check-in (A + B) | PostgreSQL CPU µs per check-in "
      "| PostgreSQL transactions / rows fetched / rows updated per check-in (backends) "
      "| CPU of %d cores: A / B / PostgreSQL / wrk / others | machine busy |" % cores)
print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |")
for r in rows:
    checkins = r["requests"] / 2
    errors = r["non2xx"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    sent = r["sent_a"] + r["sent_b"]
    split = "%.0f%% / %.0f%%" % (100 * r["sent_a"] / sent, 100 * r["sent_b"] / sent) if sent else "-"
    others = max(0.0, r["machine"] - r["a_window"] - r["b_window"] - r["pg_window"] - r["wrk_cpu"] * hz)
    print("| %s | %s | %s | %.2f | %.2f | %d | %s | %.2f | %.0f | %.0f | %.2f / %.2f / %.2f (%d) | %.0f%% / %.0f%% / %.0f%% / %.0f%% / %.0f%% | %.0f%% |" % (
        label(r["name"]), "{:,.0f}".format(r["rps"] / 2), "{:,.0f}".format(r["rps"]), r["p50_us"] / 1000,
        r["p99_us"] / 1000, errors, split, r["rps"] / one_rps,
        (r["a_ticks"] + r["b_ticks"]) / hz * 1e6 / checkins, r["pg_ticks"] / hz * 1e6 / checkins,
        r["pg_xact"] / checkins, r["pg_fetched"] / checkins, r["pg_updated"] / checkins, r["backends"],
        share(r["a_window"], r), share(r["b_window"], r), share(r["pg_window"], r), share(r["wrk_cpu"] * hz, r),
        share(others, r), share(r["machine"], r)))
def total(rs):
    t = {k: sum(r[k] for r in rs) for k in ("a_window", "b_window", "pg_window", "machine", "window_s")}
    t["wrk"] = sum(r["wrk_cpu"] for r in rs) * hz
    t["others"] = max(0.0, t["machine"] - t["a_window"] - t["b_window"] - t["pg_window"] - t["wrk"])
    return t
def pct(ticks, t):
    return 100.0 * ticks / hz / t["window_s"] / cores
print()
print("**Two instances / one: %.2f** (mean check-ins/s of the two-instance phases against that of the one-instance phases)." % (two_rps / one_rps))
# Where the limit is: the machine's cores when they are (nearly) all busy, and who holds them; else the closed loop.
verdicts = []
for name, rs in (("one instance", ones), ("two instances", twos)):
    t = total(rs)
    takers = ", ".join("%s %.0f%%" % kv for kv in sorted([("the server%s" % ("s" if rs is twos else ""), pct(t["a_window"] + t["b_window"], t)),
                       ("PostgreSQL", pct(t["pg_window"], t)), ("wrk", pct(t["wrk"], t)), ("other processes", pct(t["others"], t))],
                       key=lambda kv: -kv[1]))
    busy = pct(t["machine"], t)
    if busy >= 90:
        verdicts.append("with %s the machine's %d cores (%.0f%% busy: %s)" % (name, cores, busy, takers))
    else:
        verdicts.append("with %s not the cores (%.0f%% busy: %s) but the closed loop: each of wrk's %d connections waits"
                        " for its answer (the database's round trips, locks) before its next request" % (name, busy, takers, connections))
verdict = "; ".join(verdicts)
if two_rps / one_rps < 1.1:
    verdict += "; a second instance on the same cores adds no CPU, only a second JVM and pool competing for it"
print()
print("Where the limit is: %s." % verdict)
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
    echo
    echo "Settings: $DEVICES devices seeded by SQL ($CHECKIN_PENDING with an update pending), checkin.lua's mix (a heartbeat,"
    echo "then the same device's check: one check-in is the two requests), wrk -t$THREADS -c$CONNECTIONS keep-alive, ${DURATION} s a phase"
    echo "after $warmup_note; with two instances each wrk thread's"
    echo "$((CONNECTIONS / THREADS)) connections go to one of them (no proxy between). Both instances run throughout (in the one-instance"
    echo "phases B is idle), alternating, $PAIRS of each; each instance with pool ${OTA_DB_POOL_SIZE:-16}, JVM flags '${SERVER_JAVA_OPTS:-none}'; wrk and PostgreSQL on the same $(nproc) cores."
    echo
    cat "$table"
    echo
    echo "CPU and PostgreSQL's counters per check-in (pg_stat_database) include the ${IDLE_AFTER} s after each phase (the heartbeat"
    echo "batches' flush; backends publish their counters when idle); backends: the bench database's at the end of the phase."
    echo "The shares of the cores are of the wrk window."
    echo "Server log lines with ERROR/Exception (both instances): $server_log_errors, of which heartbeat flushes failed on a"
    echo "deadlock between the instances (kept, written at the next flush): $flush_deadlocks."
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name instances)" "$WORK/result.md"
exit 0
