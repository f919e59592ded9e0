#!/usr/bin/env bash
# The dashboard's fleet overview of a million devices (issue 15: "renders in <= 500 ms, counts maintained or read from
# indexes, not a scan per view"). DEVICES devices loaded by SQL into a database of this script's own, with the state a
# real fleet's writes leave (kept counts, offline and step times, failed updates); the overview page and its live
# sections timed over HTTP with a signed-in session. Baseline, same run: what the page would cost if it counted
# (count(*) ... group by status, version over the table) and looked for offline devices by scanning, in psql. Then what
# V14's triggers cost a heartbeat flush: a batch of 10,000 devices written as Heartbeats writes them, with and without
# V14's triggers (dropped inside a transaction that is rolled back), nothing changed and 1% changing status.
#
#   bench/overview_bench.sh            (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings: DEVICES=1000000 RUNS=20 (timed requests per page) BATCH=10000 README=1 (0: leave bench/README.md alone)
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-1000000}"
RUNS="${RUNS:-20}"
BATCH="${BATCH:-10000}"
# a name of its own: two runs on one machine never share (or drop) each other's database
DB="javia_bench_overview_$$"

require psql curl java python3
require_server_jar
bench_setup overview

# the jobs off: nothing folds or sweeps beside what is timed (the counts' pending changes are summed on read)
export OTA_JOBS_ENABLED=false
start_server "$DB" "$(free_port 18097)"

log "loading $DEVICES devices (90% online, 5% updating, 5% offline; 12 versions), 100,000 updates of one version"
t0=$SECONDS
sql "$DB" <<SQL
-- the load without the row triggers (one notification per device for the dashboard's streams would flood them);
-- what the triggers keep is then written as they would have: offline and step times here, the counts below
set session_replication_role = replica;
$(bench_fleet_sql "$DEVICES")
insert into updates (id, version, update_type, package_url, sha256, size_bytes, storage_key,
                     version_major, version_minor, version_patch)
values (gen_random_uuid(), 'v2.0.0', 'scheduled', 'bench', repeat('0', 64), 1, 'bench', 2, 0, 0);
insert into device_updates (id, device_id, update_id, status, scheduled_for, started_at, completed_at, error_message,
                            created_at, updated_at)
select gen_random_uuid(), d.id, u.id, case when d.n % 20 = 0 then 'failed' else 'completed' end, now() - interval '2 days',
       now() - interval '2 days', now() - interval '1 day',
       case when d.n % 20 = 0 then 'health check failed: voice-assistant.service is not active' end,
       now() - interval '2 days', now() - interval '1 day' + interval '1 second' * d.n
from (select id, row_number() over () as n from devices limit 100000) d, updates u;
set session_replication_role = origin;
insert into fleet_counts (status, current_version, devices)
select status, coalesce(current_version, ''), count(*) from devices group by 1, 2;
vacuum analyze;
SQL
log "loaded in $((SECONDS - t0)) s"

# a signed-in session, as a browser gets one: the sign-in form's CSRF token, the key posted, the session's cookie
jar="$WORK/cookies"
token="$(curl -sS -c "$jar" "$SERVER_URL/sign-in" | sed -n 's/.*name="_csrf"[^>]*value="\([^"]*\)".*/\1/p' | head -1)"
[[ -n "$token" ]] || die "the sign-in form carries no CSRF token"
code="$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" --data-urlencode "key=$ADMIN_KEY" \
    --data-urlencode "_csrf=$token" "$SERVER_URL/sign-in")"
[[ "$code" == 302 ]] || die "the sign-in answered $code"

# time_pages NAME=PATH[:STATUS]...: RUNS rounds after 5 untimed, each round one timed GET of every page in turn (so that
# a machine whose load drifts weighs on every page alike), each answered STATUS (200); prints per page "NAME p50 p95
# bytes" (ms, nearest rank)
time_pages() {
    local spec name path status i out
    for ((i = 0; i < RUNS + 5; i++)); do
        for spec in "$@"; do
            name="${spec%%=*}" path="${spec#*=}" status=200
            [[ "$path" != *:* ]] || { status="${path##*:}"; path="${path%:*}"; }
            out="$(curl -sS -o "$WORK/page-$name" -w '%{http_code} %{time_total}' -b "$jar" "$SERVER_URL$path")"
            [[ "${out%% *}" == "$status" ]] || die "GET $path answered ${out%% *}"
            ((i < 5)) || echo "${out##* }" >>"$WORK/times-$name"
        done
    done
    for spec in "$@"; do
        name="${spec%%=*}"
        [[ "$spec" == *:* ]] || grep -q 'data-testid="device-count"\|id="fleet-issues"' "$WORK/page-$name" \
            || die "$name is not the overview"
        sort -n "$WORK/times-$name" | awk -v name="$name" -v bytes="$(stat -c %s "$WORK/page-$name")" '{t[NR] = $1 * 1000}
            END {p50 = t[int((NR + 1) / 2)]; p95 = t[int(NR * 0.95 + 0.999)]; printf "%s %.1f %.1f %d\n", name, p50, p95, bytes}'
        rm -f "$WORK/times-$name"
    done
}

# psql_ms SQL: the median of 5 runs of SQL (psql's \timing), after one untimed
psql_ms() {
    local query="$1"
    { echo "$query;"; echo '\timing on'; for _ in 1 2 3 4 5; do echo "$query;"; done; } | sql "$DB" >"$WORK/psql"
    awk '/^Time:/ {print $2}' "$WORK/psql" | sort -n | awk '{t[NR] = $1} END {printf "%.1f\n", t[3]}'
}

wait_quiet
log "timing the overview ($RUNS rounds)"
shown="$(curl -sS -b "$jar" "$SERVER_URL/" | grep -o 'data-testid="device-count">[0-9]*' | grep -o '[0-9]*$')"
[[ "$shown" == "$DEVICES" ]] || die "the overview shows $shown devices, not $DEVICES"
# floor: any signed-in page on this machine now: the session, the layout, no query (a malformed uuid's 400 page)
time_pages page=/ counts=/?part=counts issues=/?part=issues floor=/devices/not-a-uuid:400 >"$WORK/kept"
read -r _ page_p50 page_p95 page_bytes < <(grep '^page ' "$WORK/kept")
read -r _ counts_p50 counts_p95 _ < <(grep '^counts ' "$WORK/kept")
read -r _ issues_p50 issues_p95 _ < <(grep '^issues ' "$WORK/kept")
read -r _ floor_p50 floor_p95 _ < <(grep '^floor ' "$WORK/kept")
# baseline over HTTP: the same page counting per view (fleet_counts replaced by a view that counts the table)
sql "$DB" <<'SQL'
alter table fleet_counts rename to fleet_counts_kept;
create view fleet_counts as
select status, coalesce(current_version, '') as current_version, count(*) as devices from devices group by 1, 2;
SQL
time_pages page=/ counts=/?part=counts >"$WORK/naive"
read -r _ naive_p50 naive_p95 _ < <(grep '^page ' "$WORK/naive")
read -r _ naive_counts_p50 naive_counts_p95 _ < <(grep '^counts ' "$WORK/naive")
sql "$DB" -c "drop view fleet_counts; alter table fleet_counts_kept rename to fleet_counts"

log "baselines in psql: a count per view, issues by scanning"
naive_counts="$(psql_ms "select status, current_version, count(*) from devices group by 1, 2")"
kept_counts="$(psql_ms "select status, current_version, sum(devices) from (select status, current_version, devices from fleet_counts union all select status, current_version, delta from fleet_count_changes) c group by 1, 2")"
naive_offline="$(psql_ms "select device_uuid from devices where status = 'offline' and last_seen < now() - interval '1 day' order by last_seen limit 20")"
indexed_offline="$(psql_ms "select device_uuid from devices where status = 'offline' and offline_since < now() - interval '1 day' order by offline_since limit 20")"

log "heartbeat flush of $BATCH devices, with and without V14's triggers"
# flush_ms CHANGED DROP: the median of 5 flushes of BATCH online devices' last_seen (the shape of Heartbeats' write:
# unnest of the batch), CHANGED of them also moving to offline and back in turn; DROP=1 drops V14's triggers first.
# Each in a transaction rolled back, so that every run writes the same rows.
flush_ms() {
    local changed="$1" drop="$2"
    {
        for _ in 1 2 3 4 5 6; do
            echo "begin;"
            if [[ "$drop" == 1 ]]; then
                echo "drop trigger devices_counted_update on devices; drop trigger devices_mark_since_update on devices;"
            fi
            echo "\\timing on"
            cat <<SQL
update devices d set last_seen = now(), status = case when b.n <= $changed then 'updating' else d.status end
from (select id, row_number() over () as n from devices where status = 'online' limit $BATCH) b where d.id = b.id;
SQL
            echo "\\timing off"
            echo "rollback;"
        done
    } | sql "$DB" >"$WORK/flush"
    awk '/^Time:/ {print $2}' "$WORK/flush" | tail -5 | sort -n | awk '{t[NR] = $1} END {printf "%.1f\n", t[3]}'
}
flush_with="$(flush_ms 0 0)"
flush_without="$(flush_ms 0 1)"
changed=$((BATCH / 100))
flush_changed_with="$(flush_ms "$changed" 0)"
flush_changed_without="$(flush_ms "$changed" 1)"

python3 - "$DEVICES" "$RUNS" "$BATCH" "$changed" "$page_p50" "$page_p95" "$page_bytes" "$counts_p50" "$counts_p95" \
    "$issues_p50" "$issues_p95" "$naive_counts" "$kept_counts" "$naive_offline" "$indexed_offline" "$flush_with" \
    "$flush_without" "$flush_changed_with" "$flush_changed_without" "$floor_p50" "$floor_p95" "$naive_p50" \
    "$naive_p95" "$naive_counts_p50" "$naive_counts_p95" "$(cut -d' ' -f1 /proc/loadavg)" >"$WORK/table" <<'PY'
import sys
a = sys.argv[1:]
devices, runs, batch, changed = int(a[0]), int(a[1]), int(a[2]), int(a[3])
page50, page95, size, counts50, counts95, issues50, issues95 = map(float, a[4:11])
naive, kept, naive_off, idx_off, fw, fwo, fcw, fcwo = map(float, a[11:19])
floor50, floor95, npage50, npage95, ncounts50, ncounts95, load = map(float, a[19:26])
print(f"{devices:,} devices (90% online, 5% updating, 5% offline, 12 versions; 100,000 updates, 5% failed), a signed-in"
      f" session; {runs} timed GETs per page after 5 (curl's total time, loopback); load average {load:.1f} at the end."
      f" Baselines in the same run.\n")
print("| figure | p50 ms | p95 ms |")
print("| --- | ---: | ---: |")
print(f"| overview `GET /` ({size / 1024:.0f} KiB) | {page50:.1f} | {page95:.1f} |")
print(f"| its live counts `GET /?part=counts` | {counts50:.1f} | {counts95:.1f} |")
print(f"| its live issues `GET /?part=issues` | {issues50:.1f} | {issues95:.1f} |")
print(f"| baseline: the overview counting per view (`count(*) ... group by` in place of the kept counts) | {npage50:.1f} | {npage95:.1f} |")
print(f"| baseline: its live counts, counting | {ncounts50:.1f} | {ncounts95:.1f} |")
print(f"| floor: a signed-in page with no query (the 400 page of a malformed uuid) | {floor50:.1f} | {floor95:.1f} |")
print(f"| **overview kept / counting (p50)** | **{page50 / npage50:.2f}** | |")
print()
print("| query (psql, median of 5) | ms |")
print("| --- | ---: |")
print(f"| kept counts (fleet_counts + pending changes) | {kept:.1f} |")
print(f"| baseline: `count(*) ... group by status, current_version` | {naive:.1f} |")
print(f"| offline for more than a day, 20 (index on offline_since) | {idx_off:.1f} |")
print(f"| baseline: the same by last_seen (a scan) | {naive_off:.1f} |")
print()
print(f"| heartbeat flush of {batch:,} devices (median of 5) | with V14's triggers ms | without ms | ratio |")
print("| --- | ---: | ---: | ---: |")
print(f"| last_seen only | {fw:.1f} | {fwo:.1f} | {fw / fwo:.2f} |")
print(f"| {changed:,} of them changing status | {fcw:.1f} | {fcwo:.1f} | {fcw / fcwo:.2f} |")
PY
cat "$WORK/table"
if [[ "${README:-1}" == 1 ]]; then
    { echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."; echo
      cat "$WORK/table"; } >"$WORK/section"
    readme_put "$(section_name overview)" "$WORK/section"
fi
