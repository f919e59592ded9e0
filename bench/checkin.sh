#!/usr/bin/env bash
# Check-in load: 100,000 seeded devices (10% with a pending update), wrk sending heartbeats, update checks and the
# agent's mix (one heartbeat then the same device's check), each request for a random device with its own token;
# baseline in the same run: the server's trivial liveness endpoint. Prints requests/s, p50/p99 and the ratio to the
# baseline, with the CPU each process spent, and writes the table into bench/README.md.
#
#   bench/checkin.sh            (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings (environment): DEVICES=100000 DURATION=20 (s per scenario) WARMUP=20 (s) CONNECTIONS=64 THREADS=2
# OTA_DB_POOL_SIZE=16 SERVER_JAVA_OPTS='' (JVM flags of the server; default: none, as shipped) README=1 (0: do not
# touch bench/README.md) PROFILE=1 (also record a JFR CPU profile of the mix and print its hot frames).
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-100000}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-20}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
DB=javia_bench_checkin

require wrk psql curl java unzip python3
require_server_jar
bench_setup checkin

start_server "$DB" "$(free_port 18080)"

log "seeding $DEVICES devices with SQL"
t0=$SECONDS
seed_devices "$DB" "$DEVICES" v1.0.0
bench_tool package "$WORK/update.zip" v1.1.0 scheduled 4096 >/dev/null
publish "$WORK/update.zip" v1.1.0 scheduled
scheduled="$(json_field scheduled_devices <<<"$PUBLISHED")"
[[ "$scheduled" == "$DEVICES" ]] || die "v1.1.0 was scheduled for $scheduled devices, not $DEVICES"
# 90% of the fleet already installed v1.1.0 (device n with n % 10 != 0); the other 10% have it pending.
sql "$DB" <<'SQL'
update device_updates du
   set status = 'completed', started_at = now() - interval '10 minutes', completed_at = now() - interval '5 minutes',
       updated_at = now() - interval '5 minutes'
  from devices d
 where du.device_id = d.id and ('x' || right(d.device_uuid, 12))::bit(48)::bigint % 10 <> 0;
update devices set current_version = 'v1.1.0' where ('x' || right(device_uuid, 12))::bit(48)::bigint % 10 <> 0;
vacuum analyze;
SQL
pending="$(sql "$DB" -c "select count(*) from device_updates where status = 'pending'")"
log "fleet ready in $((SECONDS - t0)) s: $DEVICES devices, $pending with v1.1.0 pending"

# The Lua script's idea of a device must be the server's: one pending and one up-to-date device, by hand.
for n in 10 11; do
    uuid="$(printf '00000000-0000-7000-8000-%012x' "$n")"
    version=v1.1.0; ((n % 10 == 0)) && version=v1.0.0
    code="$(curl -sS -o "$WORK/hb.json" -w '%{http_code}' -H "X-API-Key: dvt_bench_$n" -H 'Content-Type: application/json' \
        -d "{\"current_version\":\"$version\",\"status\":\"online\"}" "$SERVER_URL/api/v1/devices/$uuid/heartbeat")"
    [[ "$code" == 200 ]] || { cat "$WORK/hb.json" >&2; die "heartbeat of device $n answered $code"; }
    available="$(curl -fsS -H "X-API-Key: dvt_bench_$n" "$SERVER_URL/api/v1/devices/$uuid/updates/check" | json_field update_available)"
    expected=False; ((n % 10 == 0)) && expected=True
    [[ "$available" == "$expected" ]] || die "device $n: update_available=$available, expected $expected"
done

# run_wrk NAME MODE SECONDS [CLOSE]: one wrk run; appends a row to $WORK/rows (name rps p50 p99 errors cpu shares).
run_wrk() {
    local name="$1" mode="$2" seconds="$3" close="${4:-0}" out s0 p0 m0 s1 p1 m1 line
    out="$WORK/wrk-$name.txt"
    s0="$(cpu_ticks "$SERVER_PID")"; p0="$(pg_ticks "$DB")"; m0="$(machine_ticks)"
    local TIMEFORMAT='%U %S'
    { time BENCH_MODE="$mode" BENCH_DEVICES="$DEVICES" BENCH_CLOSE="$close" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s -s "$BENCH_DIR/checkin.lua" "$SERVER_URL" \
        >"$out" ; } 2>"$out.time"
    s1="$(cpu_ticks "$SERVER_PID")"; p1="$(pg_ticks "$DB")"; m1="$(machine_ticks)"
    line="$(grep '^RESULT' "$out")" || { cat "$out" >&2; die "wrk printed no result for $name"; }
    echo "$name $line server_ticks=$((s1 - s0)) pg_ticks=$((p1 - p0)) machine_ticks=$((m1 - m0)) wrk_cpu=$(awk '{print $1 + $2}' "$out.time")" \
        >>"$WORK/rows"
}

wait_quiet
log "warming up: ${WARMUP} s of the mix, then ${WARMUP} s of each scenario at a quarter of the time"
: >"$WORK/rows"
run_wrk warmup-mix mix "$WARMUP"
run_wrk warmup-baseline baseline $(((WARMUP + 3) / 4))
run_wrk warmup-heartbeat heartbeat $(((WARMUP + 3) / 4))
run_wrk warmup-check check $(((WARMUP + 3) / 4))
: >"$WORK/rows"

profile_pid=""
for scenario in baseline heartbeat check mix mix-reconnect baseline-again; do
    log "running $scenario for ${DURATION} s (${CONNECTIONS} connections, ${THREADS} wrk threads)"
    case "$scenario" in
        mix)
            if [[ "${PROFILE:-0}" == 1 ]]; then
                jcmd "$SERVER_PID" JFR.start name=bench settings=profile filename="$WORK/mix.jfr" >/dev/null
            fi
            run_wrk mix mix "$DURATION"
            if [[ "${PROFILE:-0}" == 1 ]]; then jcmd "$SERVER_PID" JFR.stop name=bench >/dev/null; fi
            ;;
        mix-reconnect) run_wrk mix-reconnect mix "$DURATION" 1 ;;
        baseline-again) run_wrk baseline-again baseline "$DURATION" ;;
        *) run_wrk "$scenario" "$scenario" "$DURATION" ;;
    esac
done

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
print("| scenario | requests/s | p50 ms | p99 ms | max ms | errors (non-2xx, socket) | ratio to baseline "
      "| server CPU µs/req | PostgreSQL CPU µs/req | CPU used: server / PostgreSQL / wrk / others (of %d cores) |" % cores)
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in rows:
    secs = r["duration_us"] / 1e6
    rps = r["requests"] / secs
    errors = "%d, %d" % (r["non2xx"], r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"])
    server_s = r["server_ticks"] / hz
    pg_s = r["pg_ticks"] / hz
    others_s = max(0.0, r["machine_ticks"] / hz - server_s - pg_s - r["wrk_cpu"])
    print("| %s | %s | %.2f | %.2f | %.1f | %s | %.3f | %.0f | %.0f | %.0f%% / %.0f%% / %.0f%% / %.0f%% |" % (
        r["name"], "{:,.0f}".format(rps), r["p50_us"] / 1000, r["p99_us"] / 1000, r["max_us"] / 1000, errors,
        rps / base_rps, server_s * 1e6 / max(r["requests"], 1), pg_s * 1e6 / max(r["requests"], 1),
        100 * server_s / secs / cores, 100 * pg_s / secs / cores, 100 * r["wrk_cpu"] / secs / cores,
        100 * others_s / secs / cores))
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line)."
    echo
    echo "Settings: $DEVICES devices ($pending with an update pending), ${DURATION} s per scenario after ${WARMUP} s of"
    echo "warm-up, wrk -t$THREADS -c$CONNECTIONS (keep-alive; mix-reconnect: a new connection for every device's"
    echo "heartbeat+check pair), server as shipped (JVM flags: '${SERVER_JAVA_OPTS:-none}', pool ${OTA_DB_POOL_SIZE:-16})."
    echo "wrk runs on the same $(nproc) cores as the server and PostgreSQL; 'others' is the rest of the machine's busy"
    echo "time in the same window (other work on a shared machine: it takes cores from the figures)."
    echo
    cat "$table"
    echo
    echo "After the run: $rows_after devices seen in the last 10 minutes; server log lines with ERROR/Exception: $server_log_errors."
} >"$WORK/result.md"

echo
cat "$WORK/result.md"

if [[ "${PROFILE:-0}" == 1 ]]; then
    echo
    "$BENCH_DIR/jfr-top.sh" "$WORK/mix.jfr" | tee "$WORK/profile.txt"
fi

[[ "${README:-1}" == 1 ]] && readme_put checkin "$WORK/result.md"
exit 0
