#!/usr/bin/env bash
# Open streams and push (issue 15): COUNT (10,000) idle dashboard streams (GET /events, one signed-in session's
# cookie) and then COUNT idle device waits (GET /api/v1/devices/{uuid}/wait, each bench device with its own token)
# held by one server, with what the server holds before (idle, the baseline of the same run), with them open and
# after: heap used after a full GC, RSS, threads, descriptors, established connections, and per connection. One more
# of each past the limit (the answer and its Retry-After). Then, with the COUNT waits still held, ROUNDS urgent
# updates published to one more device that holds its wait: publish -> its wait answered -> its check has the offer
# (median / p95). Loopback only; every connection is the bench's, closed at the end. Prints the tables and writes
# them into bench/README.md.
#
#   bench/streams_bench.sh      (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings (environment): COUNT=10000 ROUNDS=20 RATE=250 (connections opened a second: each dashboard stream's
# request reads its session from PostgreSQL and writes its last access back, so a burst of thousands at once waits
# for the pool) SESSIONS=100 (signed-in sessions the streams are spread over, as operators' browsers: streams of one
# session wait for each other on its row) KINDS='sse wait' (wait: the device waits alone, against the idle server)
# SECTION (the README section to write; default streams)
# SERVER_JAVA_OPTS='' README=1 (0: do not touch bench/README.md)
source "$(dirname "$0")/lib.sh"

COUNT="${COUNT:-10000}"
ROUNDS="${ROUNDS:-20}"
RATE="${RATE:-250}"
SESSIONS="${SESSIONS:-100}"
KINDS="${KINDS:-sse wait}"
DB=javia_bench_streams
((COUNT <= 20000)) || die "COUNT is bounded to 20,000"

require psql curl java jcmd python3 ss unzip flock
require_server_jar
bench_setup streams

# A descriptor a connection on each side (the clients' process and the server), in this shell's limit, which both
# inherit.
need=$((2 * COUNT + 2000))
if (($(ulimit -n) < need)); then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
(($(ulimit -n) >= need)) || log "the open-file limit is $(ulimit -n) (hard $(ulimit -Hn)), under the $need wanted"
fd_limit="$(ulimit -n)"

port="$(free_port 18300)"
# The waits are held for the longest hold (10 minutes) so that none ends while it is measured; one wait more than
# COUNT may be held (the latency's device), so that the limit's refusal is measured at COUNT + 2.
export OTA_PUSH_HOLD=10m OTA_PUSH_MAX_WAITS=$((COUNT + 1)) OTA_DASHBOARD_MAX_STREAMS="$COUNT"
start_server "$DB" "$port"
seed_devices "$DB" $((COUNT + 2)) v1.0.0

# What the server holds, one "key value" a line (as slow-clients.sh reads it).
server_state() {
    jcmd "$SERVER_PID" GC.run >/dev/null
    sleep 1
    echo "connections $(ss -Htn state established "( sport = :$port )" | wc -l)"
    echo "descriptors $(ls "/proc/$SERVER_PID/fd" | wc -l)"
    echo "threads $(ls "/proc/$SERVER_PID/task" | wc -l)"
    jcmd "$SERVER_PID" GC.heap_info | awk '/total .* used/ {for (i = 1; i <= NF; i++) if ($i == "used") u = $(i + 1);
        gsub(/K,?/, "", u); printf "heap_kb %.0f\n", u; exit}'
    echo "rss_kb $(rss_kb "$SERVER_PID")"
}
# hold KIND NAME ARGS...: COUNT connections of KIND held by streams.py in the background until all are open.
hold() {
    local kind="$1" name="$2"
    shift 2
    python3 "$BENCH_DIR/streams.py" hold --port "$port" --kind "$kind" --count "$COUNT" --duration 900 --rate "$RATE" \
        --ready-file "$WORK/$name.ready" "$@" >"$WORK/$name.json" &
    hold_pid=$!
    track "$hold_pid"
    for _ in $(seq 1 1200); do [[ -f "$WORK/$name.ready" ]] && break; sleep 0.5; done
    [[ -f "$WORK/$name.ready" ]] || log "the $COUNT $kind connections did not all open within 600 s: measuring anyway"
    sleep 3
}
release() {
    kill -TERM "$hold_pid" 2>/dev/null || true
    wait "$hold_pid" || true
    for _ in $(seq 1 60); do (($(ss -Htn state established "( sport = :$port )" | wc -l) < 10)) && break; sleep 0.5; done
    # a stream whose page left is noticed at its next keep-alive (20 s): until then it holds its descriptor and heap
    local idle_fds
    idle_fds="$(awk '$1 == "descriptors" {print $2}' "$WORK/state-idle")"
    for _ in $(seq 1 180); do (($(ls "/proc/$SERVER_PID/fd" | wc -l) <= idle_fds + 50)) && break; sleep 0.5; done
}
# past KIND PATH KEY_HEADER: the answer to one more than the limit: "status retry-after".
past() {
    curl -sS -o /dev/null -D "$WORK/past.head" -w '%{http_code}' "${@}" --max-time 5 || true
    echo " $(awk 'tolower($1) == "retry-after:" {print $2}' "$WORK/past.head" | tr -d '\r')"
}

log "warm-up: a few hundred requests of each kind"
for n in $(seq 1 200); do
    curl -sS -o /dev/null -H "X-API-Key: dvt_bench_$n" "$SERVER_URL/api/v1/devices/00000000-0000-7000-8000-$(printf %012x "$n")/updates/check"
done
cursor="$(curl -sS -H "X-API-Key: dvt_bench_1" "$SERVER_URL/api/v1/devices/00000000-0000-7000-8000-000000000001/updates/check" \
    | json_field push_cursor)"
[[ "$cursor" =~ ^[0-9a-f]{16}$ ]] || die "the check answered no push_cursor ('$cursor'): a server before push?"
# signed in SESSIONS times: the sign-in form's CSRF token, then the session cookie; stream i carries session i mod SESSIONS
sign_in() {
    local jar="$WORK/cookies" csrf
    rm -f "$jar"
    csrf="$(curl -sS -c "$jar" "$SERVER_URL/sign-in" | sed -nE 's/.*name="_csrf" value="([^"]+)".*/\1/p' | head -1)"
    curl -sS -o /dev/null -b "$jar" -c "$jar" --data-urlencode "key=$ADMIN_KEY" --data-urlencode "_csrf=$csrf" \
        "$SERVER_URL/sign-in"
    awk '$6 == "JAVIA_SESSION" {print $7}' "$jar"
}
for _ in $(seq 1 "$SESSIONS"); do echo "JAVIA_SESSION=$(sign_in)"; done >"$WORK/sessions"
session="$(head -1 "$WORK/sessions" | cut -d= -f2)"
[[ -n "$session" ]] || die "the sign-in gave no session cookie"
timeout 3 curl -sS -N -H "Cookie: JAVIA_SESSION=$session" "$SERVER_URL/events" >"$WORK/one-stream" 2>/dev/null || true
grep -q "event:open" "$WORK/one-stream" || die "a dashboard stream did not open: $(head -c 300 "$WORK/one-stream")"
packing=()
for v in $(seq 1 "$ROUNDS"); do
    bench_tool package "$WORK/update_v2.0.$v.zip" "v2.0.$v" urgent 4096 >/dev/null &
    packing+=($!)
    if ((${#packing[@]} == 4)); then wait "${packing[@]}"; packing=(); fi
done
((${#packing[@]} == 0)) || wait "${packing[@]}"

wait_quiet
load_at_start="$(cut -d' ' -f1 /proc/loadavg)"
server_state >"$WORK/state-idle"

past_sse="-"
if [[ " $KINDS " == *" sse "* ]]; then
    log "$COUNT dashboard streams"
    hold sse sse --cookies "$WORK/sessions"
    server_state >"$WORK/state-sse"
    past_sse="$(past -H "Cookie: JAVIA_SESSION=$session" "$SERVER_URL/events")"
    release
    server_state >"$WORK/state-between"
else
    cp "$WORK/state-idle" "$WORK/state-between"
fi

log "$COUNT device waits"
hold wait wait --cursor "$cursor" --first 1
server_state >"$WORK/state-wait"
log "$ROUNDS publishes to device $((COUNT + 1)) while it and $COUNT others wait"
python3 "$BENCH_DIR/streams.py" latency --port "$port" --rounds "$ROUNDS" --device $((COUNT + 1)) --zips "$WORK" \
    --admin-key "$ADMIN_KEY" >"$WORK/latency.json"
# the latency device's wait is over: hold one for it, then one more device is past the limit
n=$((COUNT + 1))
own="$(curl -sS -H "X-API-Key: dvt_bench_$n" "$SERVER_URL/api/v1/devices/00000000-0000-7000-8000-$(printf %012x $n)/updates/check" \
    | json_field push_cursor)"
curl -sS -o /dev/null --max-time 30 -H "X-API-Key: dvt_bench_$n" \
    "$SERVER_URL/api/v1/devices/00000000-0000-7000-8000-$(printf %012x $n)/wait?cursor=$own" &
extra_pid=$!
track "$extra_pid"
sleep 1
n=$((COUNT + 2))
past_wait="$(past -H "X-API-Key: dvt_bench_$n" "$SERVER_URL/api/v1/devices/00000000-0000-7000-8000-$(printf %012x $n)/wait?cursor=$cursor")"
wait "$extra_pid" || true
release
server_state >"$WORK/state-after"

python3 - "$WORK" "$COUNT" "$past_sse" "$past_wait" >"$WORK/tables.md" <<'PY'
import json, sys
work, count, past_sse, past_wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def state(name):
    return {k: int(v) for k, v in (line.split() for line in open("%s/state-%s" % (work, name)) if line.strip())}
import os
with_sse = os.path.exists(work + "/state-sse")
idle, between, wait, after = (state(n) for n in ("idle", "between", "wait", "after"))
sse = state("sse") if with_sse else None
held = {"wait": json.load(open(work + "/wait.json"))}
if with_sse:
    held["sse"] = json.load(open(work + "/sse.json"))
    print("| the server | idle (baseline) | %s dashboard streams | between | %s device waits | after |" % (format(count, ","), format(count, ",")))
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    columns = (idle, sse, between, wait, after)
else:
    print("| the server | idle (baseline) | %s device waits | after |" % format(count, ","))
    print("| --- | ---: | ---: | ---: |")
    columns = (idle, wait, after)
for key, label in (("connections", "established connections on its port"), ("descriptors", "open descriptors"),
                   ("threads", "threads"), ("heap_kb", "heap used after a full GC, MB"), ("rss_kb", "RSS, MB")):
    f = (lambda v: "%.0f" % (v / 1024)) if key.endswith("_kb") else (lambda v: str(v))
    print("| %s | %s |" % (label, " | ".join(f(s[key]) for s in columns)))
print()
print("| per open connection (against the idle baseline) | heap after a full GC | RSS | threads |")
print("| --- | ---: | ---: | ---: |")
for name, s, base in ((("dashboard stream", sse, idle),) if with_sse else ()) + (("device wait", wait, between),):
    n = max(1, s["connections"] - base["connections"])
    print("| %s (%s open) | %.1f KB | %.1f KB | %+d in all |" % (name, format(n, ","), (s["heap_kb"] - base["heap_kb"]) / n,
          (s["rss_kb"] - base["rss_kb"]) / n, s["threads"] - base["threads"]))
print()
for kind, label, past in (("sse", "dashboard streams", past_sse), ("wait", "device waits", past_wait)):
    if kind not in held:
        continue
    h = held[kind]
    code, _, retry = past.strip().partition(" ")
    print("%s: %s wanted, %s open at once (answers %s, %s seconds to open all), failed connects %d; one more past the limit: %s, Retry-After %s." % (
        label.capitalize(), format(h["wanted"], ","), format(h["open_peak"], ","),
        ", ".join("%s x%d" % kv for kv in sorted(h["status"].items())), h["seconds_to_open"], h["failed"], code, retry or "none"))
    print()
rounds = json.load(open(work + "/latency.json"))
ok = [r for r in rounds if r["ok"]]
def pct(values, p):
    values = sorted(values)
    return values[max(0, min(len(values) - 1, int(round(p / 100.0 * len(values) + 0.5)) - 1))] if values else float("nan")
print("Publish -> the device's wait answered, with %s other waits held: %d publishes (%d as expected), an urgent update to that device alone." % (format(count, ","), len(rounds), len(ok)))
print()
print("| from | median ms | p95 ms | max ms |")
print("| --- | ---: | ---: | ---: |")
for key, label in (("publish_ms", "the publish request sent -> answered (201)"),
                   ("wake_after_publish_start_ms", "the publish request sent -> the wait answered check_now"),
                   ("wake_after_publish_answer_ms", "the publish answered -> the wait answered"),
                   ("offer_after_publish_start_ms", "the publish request sent -> the device's check holds the offer")):
    v = [r[key] for r in ok if r[key] is not None]
    print("| %s | %.0f | %.0f | %.0f |" % (label, pct(v, 50), pct(v, 95), max(v) if v else float("nan")))
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance), settings: the database,"
    echo "keys and port, OTA_PUSH_HOLD=10m (no wait ends while measured), OTA_PUSH_MAX_WAITS=$((COUNT + 1)),"
    echo "OTA_DASHBOARD_MAX_STREAMS=$COUNT; JVM flags: ${SERVER_JAVA_OPTS:-none}; open-file limit $fd_limit;"
    echo "connections opened $RATE a second, the streams over $SESSIONS signed-in sessions; load average at the start $load_at_start (other work on the machine)."
    echo
    cat "$WORK/tables.md"
} >"$WORK/section.md"
cat "$WORK/section.md"
[[ "${README:-1}" == 0 ]] || readme_put "${SECTION:-$(section_name streams)}" "$WORK/section.md"
