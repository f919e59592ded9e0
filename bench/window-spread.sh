#!/usr/bin/env bash
# The 02:00 herd: DEVICES devices in one timezone, a scheduled update published to all of them, and each device's
# update check asked (as the device asks it) when its turn begins. Prints the answers by minute: the busiest minute
# against the fleet / minutes of the spread (an even spread), and against what the server answered before the
# window (every device at 02:00:00, the same minute). Issue 12: "the bench shows the busiest minute".
#
#   bench/window-spread.sh            (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings: DEVICES=100000 ZONE=Europe/Berlin README=1 (0: do not touch bench/README.md)
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-100000}"
ZONE="${ZONE:-Europe/Berlin}"
DB=javia_bench_window

require psql curl java unzip python3
require_server_jar
bench_setup window

start_server "$DB" "$(free_port 18095)"
log "seeding $DEVICES devices in $ZONE"
seed_devices "$DB" "$DEVICES" v1.0.0
sql "$DB" -c "update devices set timezone = '$ZONE'"
sql "$DB" -c "vacuum analyze"
bench_tool package "$WORK/update.zip" v1.1.0 scheduled 4096 >/dev/null
publish "$WORK/update.zip" v1.1.0 scheduled
recorded="$(sql "$DB" -c "select count(distinct scheduled_for) || ' ' || min(scheduled_for) from device_updates")"
log "published v1.1.0 in ${PUBLISH_SECONDS} s; recorded scheduled_for: $recorded (distinct, first)"

t0=$SECONDS
bench_tool turns "$SERVER_URL" 1 "$DEVICES" >"$WORK/turns"
log "asked $DEVICES checks in $((SECONDS - t0)) s"

python3 - "$WORK/turns" "$DEVICES" "$ZONE" >"$WORK/table" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
devices, zone = int(sys.argv[2]), sys.argv[3]
counts = {minute: int(n) for minute, n in rows}
total = sum(counts.values())
busiest_minute, busiest = max(counts.items(), key=lambda kv: kv[1])
first, last = min(counts), max(counts)
minutes = len(counts)
even = total / 120
print(f"{devices:,} devices in {zone}, one scheduled update; each device's check answered (UTC minutes).\n")
print("| figure | measured |")
print("| --- | ---: |")
print(f"| answers | {total:,} |")
print(f"| first and last turn (UTC) | {first} .. {last} |")
print(f"| minutes with at least one turn | {minutes} |")
print(f"| busiest minute ({busiest_minute}) | {busiest:,} devices ({100 * busiest / total:.2f}% of the fleet) |")
print(f"| an even spread over the window's first two hours | {even:,.0f} a minute |")
print(f"| busiest / even | {busiest / even:.2f} |")
print(f"| before the window (every device told 02:00:00 local) | {total:,} in one minute (100%) |")
PY
cat "$WORK/table"
if [[ "${README:-1}" == 1 ]]; then
    { echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."; echo
      cat "$WORK/table"; } >"$WORK/section"
    readme_put "$(section_name window-spread)" "$WORK/section"
fi
