#!/usr/bin/env bash
# Agent footprint: the real agent (pi-agent/target/pi-agent.jar) with the JVM flags its systemd unit starts it with
# (deploy/agent/jvm.options, which run-agent passes to java; the ones pi-agent/README.md documents) against a local server, idle for
# 60 s at the seed's five-minute intervals: RSS (VmRSS, sampled every second), CPU (utime+stime from /proc/PID/stat
# over the window), threads. Then the bytes on the wire of one steady-state exchange (a heartbeat, whose reply answers the update check, on
# the new TCP connection a device opens every five minutes, until the server closes it), captured with tcpdump on
# loopback, projected to an hour and a month. The idle part runs twice: with the documented flags, and with an
# AppCDS archive of the agent's classes made by a training run of the same jar (CDS=0 skips it); the table shows
# both and their ratio.
#
#   bench/agent.sh              (after ./mvnw -q -B -ntp -DskipTests package; needs tcpdump for the traffic part)
#
# Settings: IDLE_SECONDS=60 SETTLE_SECONDS=15 (after the first exchange, before the window) CLOSE_WAIT=75 (s to
# wait for the server to close the exchange's connection) AGENT_JAR=pi-agent/target/pi-agent.jar README=1
source "$(dirname "$0")/lib.sh"

IDLE_SECONDS="${IDLE_SECONDS:-60}"
SETTLE_SECONDS="${SETTLE_SECONDS:-15}"
CLOSE_WAIT="${CLOSE_WAIT:-75}"
JVM_OPTIONS="$REPO_DIR/deploy/agent/jvm.options"
DB=javia_bench_agent

require psql curl java unzip python3
require_server_jar
AGENT_JAR="${AGENT_JAR:-$REPO_DIR/pi-agent/target/pi-agent.jar}"
[[ -f "$AGENT_JAR" ]] || die "no agent jar at $AGENT_JAR: build first with ./mvnw -q -B -ntp -DskipTests package"
bench_setup agent

# The documented flags: deploy/agent/jvm.options, the one place they are kept (one word per flag here).
AGENT_FLAGS="$("$REPO_DIR/deploy/unit-jvm-options.sh" "$JVM_OPTIONS" 2>/dev/null)" || die "no JVM flags in $JVM_OPTIONS: the agent's JVM flags are read from it"

start_server "$DB" "$(free_port 18120)"
cp "$AGENT_JAR" "$WORK/pi-agent.jar"

# A sandbox device with release v1.0.0 installed (pi-agent/README.md, "Running it against a local server").
sb="$WORK/device"
mkdir -p "$sb/opt/javia/releases/v1.0.0" "$sb/home" "$sb/var/lib/javia-agent"
echo "print('v1.0.0')" >"$sb/opt/javia/releases/v1.0.0/client.py"
ln -s releases/v1.0.0 "$sb/opt/javia/current" && echo v1.0.0 >"$sb/opt/javia/VERSION"
cat >"$sb/agent.env" <<EOF
SERVER_URL=$SERVER_URL
API_KEY=$ENROLLMENT_KEY
DEVICE_TIMEZONE=Europe/Berlin
INSTALL_DIR=$sb/opt/javia
STATE_DIR=$sb/var/lib/javia-agent
DEVICE_UUID_FILE=$sb/home/.javia_device_uuid
ALSA_DIR=$sb/no-asound
EOF
sandbox_path="$PATH"
[[ -d "$REPO_DIR/deploy/sandbox/bin" ]] && sandbox_path="$REPO_DIR/deploy/sandbox/bin:$PATH"

start_agent() {
    # shellcheck disable=SC2086
    env ENV_FILE="$sb/agent.env" SANDBOX_LOG="$sb/commands.log" PATH="$sandbox_path" \
        java $AGENT_FLAGS -jar "$WORK/pi-agent.jar" >>"$WORK/agent.log" 2>&1 &
    AGENT_PID=$!
    track "$AGENT_PID"
}
stop_agent() {
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
}
# Waits until the server has recorded a heartbeat of the device after SINCE (the check follows it at once).
wait_exchange() {
    local since="$1" deadline=$((SECONDS + 60))
    until [[ "$(sql "$DB" -c "select count(*) from devices where last_seen > '$since'")" == 1 ]]; do
        kill -0 "$AGENT_PID" 2>/dev/null || { tail -30 "$WORK/agent.log" >&2; die "the agent exited"; }
        ((SECONDS < deadline)) || { tail -30 "$WORK/agent.log" >&2; die "the agent did not check in within 60 s"; }
        sleep 0.5
    done
}

# Part 1: idle footprint. measure_idle LABEL: one start of the agent with $AGENT_FLAGS, to its first check-in (the
# wall time from the start, and the CPU it took), 15 s to settle, then the idle window; the figures go into
# variables suffixed _LABEL.
measure_idle() {
    local label="$1"
    wait_quiet
    local t_start started c0 c1 w0 w1 r max_rss=0 hz
    t_start="$(sql "$DB" -c "select now()")"
    started="$(date +%s.%N)"
    start_agent
    wait_exchange "$t_start"
    local checkin_s
    checkin_s="$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')"
    log "[$label] agent pid $AGENT_PID registered and checked in after $checkin_s s; settling ${SETTLE_SECONDS} s"
    sleep "$SETTLE_SECONDS"
    hz="$(getconf CLK_TCK)"
    c0="$(cpu_ticks "$AGENT_PID")"; w0="$(date +%s.%N)"
    : >"$WORK/rss-$label.txt"
    for _ in $(seq 1 "$IDLE_SECONDS"); do
        r="$(rss_kb "$AGENT_PID")"; echo "$r" >>"$WORK/rss-$label.txt"
        ((r > max_rss)) && max_rss=$r
        sleep 1
    done
    c1="$(cpu_ticks "$AGENT_PID")"; w1="$(date +%s.%N)"
    printf -v "rss_end_$label" '%s' "$(rss_kb "$AGENT_PID")"
    printf -v "max_rss_$label" '%s' "$max_rss"
    printf -v "hwm_$label" '%s' "$(awk '/^VmHWM/ {print $2}' "/proc/$AGENT_PID/status")"
    printf -v "threads_$label" '%s' "$(awk '/^Threads/ {print $2}' "/proc/$AGENT_PID/status")"
    printf -v "checkin_s_$label" '%s' "$checkin_s"
    printf -v "start_cpu_$label" '%s' "$(awk -v t="$c0" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')"
    printf -v "window_ticks_$label" '%s' "$((c1 - c0))"
    printf -v "cpu_pct_$label" '%s' "$(awk -v t=$((c1 - c0)) -v hz="$hz" -v a="$w0" -v b="$w1" 'BEGIN {printf "%.2f", 100 * t / hz / (b - a)}')"
    # Java heap (young + old generations) and metaspace, committed and used, from GC.heap_info.
    printf -v "heap_$label" '%s' "$(jcmd "$AGENT_PID" GC.heap_info 2>/dev/null | awk '
        /generation +total/ {for (i = 1; i <= NF; i++) {if ($i == "total") t += $(i + 1); if ($i == "used") u += $(i + 1)}}
        /Metaspace +used/ {for (i = 1; i <= NF; i++) {if ($i == "used") mu = $(i + 1); if ($i == "committed") mc = $(i + 1)}}
        END {gsub(/K,?/, "", mu); gsub(/K,?/, "", mc); printf "heap %.1f MB committed, %.1f MB used; metaspace %.1f MB committed, %.1f MB used", t / 1024, u / 1024, mc / 1024, mu / 1024}' || true)"
    stop_agent
}
hz="$(getconf CLK_TCK)"
measure_idle plain

# Part 1b: the same with class-data sharing of the agent's own classes (AppCDS, Java 17's dynamic archive). A
# training run to the first check-in and a few seconds more writes the archive at its exit
# (-XX:ArchiveClassesAtExit); the measured run maps it (-XX:SharedArchiveFile, -Xshare:auto: a missing or stale
# archive is ignored, never a failed start). CDS=0 skips it.
if [[ "${CDS:-1}" == 1 ]]; then
    AGENT_FLAGS_MAIN="$AGENT_FLAGS"
    rm -f "$WORK/agent.jsa"
    AGENT_FLAGS="$AGENT_FLAGS_MAIN -XX:ArchiveClassesAtExit=$WORK/agent.jsa"
    t_start="$(sql "$DB" -c "select now()")"
    start_agent
    wait_exchange "$t_start"
    sleep 5
    stop_agent
    [[ -s "$WORK/agent.jsa" ]] || die "the training run wrote no archive at $WORK/agent.jsa (see $WORK/agent.log)"
    jsa_bytes="$(stat -c %s "$WORK/agent.jsa")"
    log "AppCDS archive: $jsa_bytes bytes"
    AGENT_FLAGS="$AGENT_FLAGS_MAIN -XX:SharedArchiveFile=$WORK/agent.jsa -Xshare:auto"
    measure_idle cds
    AGENT_FLAGS="$AGENT_FLAGS_MAIN"
fi
rss_end="$rss_end_plain"; max_rss="$max_rss_plain"; hwm="$hwm_plain"; threads="$threads_plain"
cpu_pct="$cpu_pct_plain"; heap="$heap_plain"
requests_idle="$(grep -c -E 'heartbeat|check' "$WORK/agent.log" || true)"

# Part 2: one steady-state exchange on the wire. A restarted agent (already registered) sends its heartbeat and
# update check at once, on a new connection, as a device does every five minutes; the server closes the idle
# connection after its keep-alive timeout. Everything between the first SYN and the last FIN/ACK is counted.
traffic=""
if command -v tcpdump >/dev/null 2>&1; then
    port="${SERVER_URL##*:}"
    tcpdump -i lo -s 0 -U -w "$WORK/exchange.pcap" "tcp port $port" 2>"$WORK/tcpdump.log" &
    TCPDUMP_PID=$!
    track "$TCPDUMP_PID"
    sleep 1
    t_start="$(sql "$DB" -c "select now()")"
    start_agent
    wait_exchange "$t_start"
    log "exchange sent; waiting up to ${CLOSE_WAIT} s for the server to close the connection"
    for _ in $(seq 1 "$CLOSE_WAIT"); do
        sleep 1
        python3 "$BENCH_DIR/pcap-bytes.py" --closed "$WORK/exchange.pcap" && break
    done
    stop_agent
    sleep 1
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
    traffic="$(python3 "$BENCH_DIR/pcap-bytes.py" "$WORK/exchange.pcap")"
else
    traffic="(tcpdump is not installed: apt-get install tcpdump)"
fi

# Where the RSS goes: the same agent once more with Native Memory Tracking (which costs a little itself), after the
# same settling time; the committed memory of each category.
nmt=""
if [[ "${NMT:-1}" == 1 ]]; then
    AGENT_FLAGS_MAIN="$AGENT_FLAGS"
    AGENT_FLAGS="$AGENT_FLAGS -XX:NativeMemoryTracking=summary"
    t_start="$(sql "$DB" -c "select now()")"
    start_agent
    wait_exchange "$t_start"
    sleep "$SETTLE_SECONDS"
    nmt_rss="$(rss_kb "$AGENT_PID")"
    nmt="$(jcmd "$AGENT_PID" VM.native_memory summary 2>/dev/null | awk -v rss="$nmt_rss" '
        /^-/ && /committed=/ {
            name = $0; sub(/^- */, "", name); sub(/ *\(.*/, "", name)
            c = $0; sub(/.*committed=/, "", c); sub(/KB.*/, "", c)
            printf "| %s | %.1f |\n", name, c / 1024 }
        /^Total:/ {c = $0; sub(/.*committed=/, "", c); sub(/KB.*/, "", c); total = c}
        END {printf "| **total committed (NMT)** | **%.1f** |\n| RSS of this run (VmRSS) | %.1f |\n", total / 1024, rss / 1024}' | sort -t'|' -k3 -rn | awk -F'|' '$3 + 0 >= 0.5 || /total|RSS/')"
    stop_agent
    AGENT_FLAGS="$AGENT_FLAGS_MAIN"
fi

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line)."
    echo
    echo "Agent: $(basename "$AGENT_JAR") ($(stat -c %s "$AGENT_JAR") bytes; $(jar_provenance "$AGENT_JAR")), flags from deploy/agent/jvm.options:"
    echo "\`$AGENT_FLAGS\`; heartbeat and check every 300 s (defaults), tick 15 s, no GPIO, no ALSA."
    echo "Window: ${IDLE_SECONDS} s, starting ${SETTLE_SECONDS} s after its first check-in."
    echo
    mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b}'; }
    if [[ "${CDS:-1}" == 1 ]]; then
        echo "| figure | documented flags | + AppCDS | AppCDS / documented | target |"
        echo "| --- | ---: | ---: | ---: | --- |"
        echo "| RSS at the end of the window (VmRSS) | $(mib "$rss_end_plain") MiB ($rss_end_plain kB) | $(mib "$rss_end_cds") MiB ($rss_end_cds kB) | $(ratio "$rss_end_cds" "$rss_end_plain") | ≤ 64 MiB (65,536 kB) |"
        echo "| RSS max during the window / peak since start (VmHWM) | $(mib "$max_rss_plain") / $(mib "$hwm_plain") MiB | $(mib "$max_rss_cds") / $(mib "$hwm_cds") MiB | $(ratio "$hwm_cds" "$hwm_plain") (peak) | |"
        echo "| CPU over the window (utime+stime, % of one core) | ${cpu_pct_plain}% ($window_ticks_plain ticks of 1/$hz s) | ${cpu_pct_cds}% ($window_ticks_cds ticks) | | < 1% |"
        echo "| CPU from start to the window (start-up, registration, first exchange) | $start_cpu_plain s | $start_cpu_cds s | $(ratio "$start_cpu_cds" "$start_cpu_plain") | |"
        echo "| wall time from start to the first check-in | $checkin_s_plain s | $checkin_s_cds s | $(ratio "$checkin_s_cds" "$checkin_s_plain") | |"
        echo "| threads | $threads_plain | $threads_cds | | |"
        echo "| Java memory at the end (GC.heap_info) | ${heap_plain:-n/a} | ${heap_cds:-n/a} | | |"
        echo
        echo "AppCDS: a training run of the same jar and flags to its first check-in and 5 s more, with"
        echo "\`-XX:ArchiveClassesAtExit=agent.jsa\` (archive $jsa_bytes bytes), then the measured run with"
        echo "\`-XX:SharedArchiveFile=agent.jsa -Xshare:auto\`."
    else
        echo "| figure | value | target |"
        echo "| --- | ---: | --- |"
        echo "| RSS at the end of the window (VmRSS) | $(mib "$rss_end") MiB ($rss_end kB) | ≤ 64 MiB (65,536 kB) |"
        echo "| RSS max during the window / peak since start (VmHWM) | $(mib "$max_rss") MiB / $(mib "$hwm") MiB | |"
        echo "| CPU over the window (utime+stime, % of one core) | ${cpu_pct}% ($window_ticks_plain ticks of 1/$hz s) | < 1% |"
        echo "| CPU spent from start to the window (start-up, registration, first exchange) | $start_cpu_plain s | |"
        echo "| threads | $threads | |"
        echo "| Java memory at the end (GC.heap_info) | ${heap:-n/a} | |"
    fi
    if [[ -n "$nmt" ]]; then
        echo
        echo "Where the memory goes: the same agent again with \`-XX:NativeMemoryTracking=summary\`, ${SETTLE_SECONDS} s after"
        echo "its first check-in (NMT's own bookkeeping is included; committed is not all resident):"
        echo
        echo "| category | committed MB |"
        echo "| --- | ---: |"
        echo "$nmt"
    fi
    echo
    echo "$traffic"
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name agent)" "$WORK/result.md"
exit 0
