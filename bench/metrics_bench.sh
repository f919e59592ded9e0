#!/usr/bin/env bash
# What Prometheus's scrape of /actuator/prometheus costs at a million devices (issue 17: "cheap to scrape at a million
# devices"). The devices of overview_bench.sh's data set (DEVICES devices, 90% online, 5% updating, 5% offline,
# 12 versions, counts kept in fleet_counts) loaded by SQL into a database of this script's own; the scrape timed over
# HTTP with the metrics key; then the refresh's queries (metrics/FleetMetrics, every OTA_METRICS_REFRESH) in psql,
# beside the baseline a naive exporter would run per scrape: count(*) ... group by status, version over the table.
#
#   bench/metrics_bench.sh            (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings: DEVICES=1000000 RUNS=50 (timed scrapes)
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-1000000}"
RUNS="${RUNS:-50}"
DB="javia_bench_metrics_$$"
METRICS_KEY="bench-metrics-key-9f8e7d6c5b4a3210"

require psql curl java python3
require_server_jar
bench_setup metrics

# the jobs on (the refresh is one), every second, so that the gauges show the load soon after it
export OTA_METRICS_KEY="$METRICS_KEY" OTA_METRICS_REFRESH=1s
start_server "$DB" "$(free_port 18098)"

log "loading $DEVICES devices (overview_bench.sh's fleet)"
t0=$SECONDS
sql "$DB" <<SQL
set session_replication_role = replica;
$(bench_fleet_sql "$DEVICES")
set session_replication_role = origin;
insert into fleet_counts (status, current_version, devices)
select status, coalesce(current_version, ''), count(*) from devices group by 1, 2;
vacuum analyze;
SQL
log "loaded in $((SECONDS - t0)) s"

scrape() { curl -sS -H "Authorization: Bearer $METRICS_KEY" -o "$WORK/scrape" -w '%{http_code} %{time_total}' "$SERVER_URL/actuator/prometheus"; }
deadline=$((SECONDS + 30))
until [[ "$(scrape)" == 200* ]] && awk '/^ota_devices\{/ {s += $2} END {exit !(s == '"$DEVICES"')}' "$WORK/scrape"; do
    ((SECONDS < deadline)) || die "the scrape does not show $DEVICES devices after 30 s"
    sleep 1
done
[[ "$(curl -sS -o /dev/null -w '%{http_code}' "$SERVER_URL/actuator/prometheus")" == 401 ]] || die "a scrape without the key was not refused"

wait_quiet
log "timing $RUNS scrapes"
for ((i = 0; i < RUNS + 5; i++)); do
    out="$(scrape)"
    [[ "${out%% *}" == 200 ]] || die "the scrape answered ${out%% *}"
    ((i < 5)) || echo "${out##* }" >>"$WORK/times"
done
bytes="$(stat -c %s "$WORK/scrape")"
series="$(grep -vc '^#' "$WORK/scrape")"
read -r p50 p95 < <(sort -n "$WORK/times" | awk '{t[NR] = $1 * 1000} END {printf "%.1f %.1f\n", t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.999)]}')

psql_ms() {
    local query="$1"
    { echo "$query;"; echo '\timing on'; for _ in 1 2 3 4 5; do echo "$query;"; done; } | sql "$DB" >"$WORK/psql"
    awk '/^Time:/ {print $2}' "$WORK/psql" | sort -n | awk '{t[NR] = $1} END {printf "%.1f\n", t[3]}'
}
log "timing the refresh's queries and the naive count"
kept="$(psql_ms "select status, current_version, sum(devices) from (select status, current_version, devices from fleet_counts union all select status, current_version, delta from fleet_count_changes) c group by 1, 2 having sum(devices) > 0")"
rollouts="$(psql_ms "select state, count(*) from rollouts group by state")"
open="$(psql_ms "select r.id, t.pending from rollouts r join updates u on u.id = r.update_id left join rollout_tallies t on t.rollout_id = r.id where r.state in ('running', 'paused', 'awaiting_approval', 'scheduled')")"
hooks="$(psql_ms "select count(*) from webhook_deliveries where status = 'pending' and attempts > 0")"
naive="$(psql_ms "select status, current_version, count(*) from devices group by 1, 2")"
load="$(cut -d' ' -f1 /proc/loadavg)"

{ echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
  echo "$DEVICES devices; $RUNS timed scrapes after 5 (curl's total time, loopback, metrics key); load average $load at the end."
  echo
  echo "| figure | p50 ms | p95 ms |"
  echo "| --- | ---: | ---: |"
  echo "| \`GET /actuator/prometheus\` ($((bytes / 1024)) KiB, $series series) | $p50 | $p95 |"
  echo
  echo "| query (psql, median of 5) | ms |"
  echo "| --- | ---: |"
  echo "| refresh: kept counts (fleet_counts + pending changes) | $kept |"
  echo "| refresh: rollouts by state | $rollouts |"
  echo "| refresh: open rollouts and their tallies | $open |"
  echo "| refresh: webhook deliveries being retried | $hooks |"
  echo "| baseline, per scrape in a naive exporter: \`count(*) ... group by status, current_version\` | $naive |"
} >"$WORK/table"
cat "$WORK/table"
