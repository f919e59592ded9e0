#!/usr/bin/env bash
# Slow clients: SLOW connections (10,000) that send a request head one byte every INTERVAL seconds and never finish
# it, opened again at once whenever the server closes one (as an attacker would), while a fleet's heartbeats arrive
# at RATE a second, each on a new connection as a device's does. The heartbeats are measured alone first (the
# baseline) and then with the slow clients on, in the same run: answered, failed, latency. Also what the server
# holds (connections, descriptors, threads, heap after a full GC) and how it ended the slow connections. Prints
# the tables and writes them into bench/README.md.
#
#   bench/slow-clients.sh       (after ./mvnw -q -B -ntp -DskipTests package)
#   BENCH_COMMIT=7476d17 bench/slow-clients.sh     (the server before the connection limits: its own section)
#
# Settings (environment): SLOW=10000 INTERVAL=2 (s between a slow connection's bytes) DURATION=30 (s per
# measurement) RATE=20 (heartbeats a second) TIMEOUT=10 (s a heartbeat may take, connecting included)
# DEVICES=1000 SERVER_JAVA_OPTS='' README=1 (0: do not touch bench/README.md) SECTION (the README section to write,
# default slow-clients, or "slow-clients at COMMIT")
source "$(dirname "$0")/lib.sh"

SLOW="${SLOW:-10000}"
INTERVAL="${INTERVAL:-2}"
DURATION="${DURATION:-30}"
RATE="${RATE:-20}"
TIMEOUT="${TIMEOUT:-10}"
DEVICES="${DEVICES:-1000}"
DB=javia_bench_slow_clients

require psql curl java jcmd python3 ss bc
require_server_jar
bench_setup slow-clients

# One descriptor a connection on each side (the clients' process and the server), in this shell's limit, which
# both inherit; the server's JVM raises its own soft limit to the hard one.
need=$((SLOW + 1000))
if (($(ulimit -n) < need)); then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
(($(ulimit -n) >= need)) || log "the open-file limit is $(ulimit -n) (hard $(ulimit -Hn)), under the $need wanted: fewer slow connections will open"
fd_limit="$(ulimit -n)"

port="$(free_port 18200)"
start_server "$DB" "$port"
seed_devices "$DB" "$DEVICES" v1.0.0
tool() { python3 "$BENCH_DIR/slow-clients.py" "$@"; }
heartbeats() { tool normal --port "$port" --rate "$RATE" --duration "$1" --timeout "$TIMEOUT" --devices "$DEVICES"; }
# measured NAME: the heartbeats for DURATION s into NAME.json, and the CPU the server, the slow clients (when they
# run) and the whole machine took meanwhile, in NAME.cpu (ticks of 1/100 s, and the wall time).
measured() {
    local s0 c0 m0 t0
    s0=$(cpu_ticks "$SERVER_PID"); c0=$(cpu_ticks "${slow_pid:-0}"); m0=$(machine_ticks); t0=$(date +%s.%N)
    heartbeats "$DURATION" >"$WORK/$1.json"
    echo "$(($(cpu_ticks "$SERVER_PID") - s0)) $(($(cpu_ticks "${slow_pid:-0}") - c0)) $(($(machine_ticks) - m0))" \
        "$(echo "$(date +%s.%N) - $t0" | bc)" >"$WORK/$1.cpu"
}

# What the server holds: established connections on its port, those of them still in the kernel's accept queue
# (not yet Tomcat's), descriptors, threads, heap used after a full GC (the live set), RSS. One "key value" a line.
server_state() {
    jcmd "$SERVER_PID" GC.run >/dev/null
    echo "connections $(ss -Htn state established "( sport = :$port )" | wc -l)"
    echo "accept_queue $(ss -Hltn "( sport = :$port )" | awk '{print $2; exit}')"
    echo "descriptors $(ls "/proc/$SERVER_PID/fd" | wc -l)"
    echo "threads $(ls "/proc/$SERVER_PID/task" | wc -l)"
    jcmd "$SERVER_PID" GC.heap_info | awk '/total .* used/ {for (i = 1; i <= NF; i++) if ($i == "used") u = $(i + 1);
        gsub(/K,?/, "", u); printf "heap_mb %.0f\n", u / 1024; exit}'
    echo "rss_mb $(($(rss_kb "$SERVER_PID") / 1024))"
}
state() { awk -v k="$2" '$1 == k {print $2}' "$WORK/state-$1"; }

wait_quiet
log "warm-up: heartbeats for 15 s"
heartbeats 15 >/dev/null
server_state >"$WORK/state-before"
log "baseline: $RATE heartbeats a second for $DURATION s, no slow clients"
measured baseline
log_mark="$(wc -l <"$WORK/server/server.log")"

log "opening $SLOW slow connections (one byte every $INTERVAL s each)"
python3 "$BENCH_DIR/slow-clients.py" slow --port "$port" --connections "$SLOW" --interval "$INTERVAL" --duration $((DURATION + 600)) \
    --ready-file "$WORK/slow.ready" >"$WORK/slow.json" &
slow_pid=$!
track "$slow_pid"
for _ in $(seq 1 120); do [[ -f "$WORK/slow.ready" ]] && break; sleep 0.5; done
[[ -f "$WORK/slow.ready" ]] || log "the $SLOW slow connections did not all open within 60 s: measuring anyway"
server_state >"$WORK/state-during"
log "with the slow clients: $RATE heartbeats a second for $DURATION s"
measured attack
server_state >"$WORK/state-after"
kill -TERM "$slow_pid" 2>/dev/null || true
wait "$slow_pid" || true
tail -n +"$((log_mark + 1))" "$WORK/server/server.log" | grep -E "closed slow connections" \
    | sed -E 's/^[0-9-]+T([0-9:]+)[^ ]* +([A-Z]+) .* : /\1 \2 /' | head -20 >"$WORK/server-lines" || true
grep -E "connection ceiling|open-file limit" "$WORK/server/server.log" \
    | sed -E 's/^[0-9-]+T([0-9:]+)[^ ]* +([A-Z]+) .* : /\1 \2 /' | head -3 >"$WORK/server-start" || true

python3 - "$WORK" "$SLOW" "$INTERVAL" "$RATE" "$DURATION" "$TIMEOUT" "$(nproc)" >"$WORK/tables.md" <<'PY'
import json, sys
work, slow, interval, rate, duration, timeout, cores = sys.argv[1:]
base = json.load(open(work + "/baseline.json"))
attack = json.load(open(work + "/attack.json"))
clients = json.load(open(work + "/slow.json"))
def state(name):
    return dict(line.split() for line in open("%s/state-%s" % (work, name)) if line.strip())
before, during, after = state("before"), state("during"), state("after")
def ms(v): return "-" if v is None else "%.1f" % v
def ratio(a, b): return "-" if a is None or b in (None, 0) else "%.2f" % (a / b)
def fails(r): return ", ".join("%s %d" % kv for kv in sorted(r["failures"].items())) or "0"
print("Heartbeats: %s a second for %s s, each on a new connection (open loop), %s s allowed each." % (rate, duration, timeout))
print()
def cpu(name):
    server, clients, machine, wall = open("%s/%s.cpu" % (work, name)).read().split()
    core = lambda ticks: "%.0f%%" % (float(ticks) / float(wall))  # ticks are 1/100 s: % of one core
    return core(server), core(clients) if name != "baseline" else "-", "%.0f%%" % (float(machine) / float(wall) / int(cores))
print("| heartbeats | sent | answered 200 | failed | p50 ms | p90 ms | p99 ms | max ms | p50 / p99 against the baseline | CPU: server, slow clients (%% of a core), whole machine (%% of %s cores) |" % cores)
print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
for name, key, r in (("alone (baseline)", "baseline", base), ("with %s slow connections" % format(int(slow), ","), "attack", attack)):
    print("| %s | %d | %d (%.1f%%) | %s | %s | %s | %s | %s | %s / %s | %s, %s, %s |" % ((name, r["requests"], r["ok"],
          100.0 * r["ok"] / max(1, r["requests"]), fails(r), ms(r["p50_ms"]), ms(r["p90_ms"]), ms(r["p99_ms"]),
          ms(r["max_ms"]), ratio(r["p50_ms"], base["p50_ms"]), ratio(r["p99_ms"], base["p99_ms"])) + cpu(key)))
print()
life = lambda k: "-" if clients[k] is None else "%.1f" % clients[k]
print("Slow connections: %s wanted, one byte of an endless header every %s s each, reopened when the server ends one."
      % (format(int(slow), ","), interval))
print()
print("| opened (with reopenings) | open at once, at most | ended by the server: 408 / closed / reset | other answers | lived p50 / p99 / max s | connects failed |")
print("| ---: | ---: | --- | ---: | --- | ---: |")
print("| %d | %d | %d / %d / %d | %d | %s / %s / %s | %d |" % (clients["opened"], clients["open_peak"],
      clients["answered_408"], clients["closed"], clients["reset"], clients["answered_other"],
      life("lifetime_p50_s"), life("lifetime_p99_s"), life("lifetime_max_s"), clients["connect_failed"]))
print()
print("| the server | before | slow clients open | after the measurement with them |")
print("| --- | ---: | ---: | ---: |")
for key, label in (("connections", "established connections on its port"),
                   ("accept_queue", "of them in the accept queue, not yet accepted"), ("descriptors", "open descriptors"),
                   ("threads", "threads"), ("heap_mb", "heap used after a full GC, MB"), ("rss_mb", "RSS, MB")):
    print("| %s | %s | %s | %s |" % (label, before.get(key, "-"), during.get(key, "-"), after.get(key, "-")))
accepted = lambda st: int(st.get("connections", 0)) - int(st.get("accept_queue", 0))
extra = accepted(during) - accepted(before)
if extra > 0 and "heap_mb" in during:
    print()
    print("Heap per accepted slow connection: (%s - %s) MB / %d connections = **%.1f KB**." % (during["heap_mb"],
          before["heap_mb"], extra, (float(during["heap_mb"]) - float(before["heap_mb"])) * 1024 / extra))
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance), no settings but the"
    echo "database, keys and port, JVM flags: ${SERVER_JAVA_OPTS:-none}; open-file limit $fd_limit for both processes."
    echo
    cat "$WORK/tables.md"
    echo
    echo "The server's log at start, and about slow connections while they ran (UTC):"
    echo
    echo '```'
    cat "$WORK/server-start"
    if [[ -s "$WORK/server-lines" ]]; then cat "$WORK/server-lines"; else echo "(nothing about slow connections)"; fi
    echo '```'
} >"$WORK/section.md"
cat "$WORK/section.md"
[[ "${README:-1}" == 0 ]] || readme_put "${SECTION:-$(section_name slow-clients)}" "$WORK/section.md"
