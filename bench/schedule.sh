#!/usr/bin/env bash
# Scheduling: publish an update to 100,000 devices spread over 63 timezones; time from the request
# (POST /api/v1/updates/create, which answers after the device_updates rows are committed) to its answer, then check
# that every row is there and that every zone's scheduled_for is the next 02:00 local (java.time, computed apart from
# the server, and shown with TZ=... date). Three publications: a first one, a second that supersedes 100,000 pending
# rows, an urgent third. Baselines in the same run, from psql: a plain INSERT ... SELECT of the same 100,000 rows into
# an empty copy of device_updates (same indexes, checks, foreign keys, triggers and storage parameters, copied from the
# catalog), and the same UPDATE + INSERT into device_updates itself, rolled back.
#
#   bench/schedule.sh           (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings: DEVICES=100000 README=1 (0: do not touch bench/README.md)
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-100000}"
DB=javia_bench_schedule

require psql curl java unzip python3
require_server_jar
bench_setup schedule

# Statements of the bench database slower than 100 ms go to PostgreSQL's log: where a publication's time goes.
start_server "$DB" "$(free_port 18090)" "alter database $DB set log_min_duration_statement = 100"
log "seeding $DEVICES devices with SQL over $(wc -w <<<"$BENCH_ZONES") zones"
seed_devices "$DB" "$DEVICES" v1.0.0
for v in v1.1.0:scheduled v1.2.0:scheduled v1.3.0:urgent; do
    bench_tool package "$WORK/update_${v%%:*}.zip" "${v%%:*}" "${v##*:}" 4096 >/dev/null
done
# No warm-up publication: the first one also pays for loading and compiling the publishing code, as the first
# publication after a server starts does.
sql "$DB" -c "vacuum analyze"
wait_quiet

: >"$WORK/rows"
previous=""
log_mark="$(pg_log_mark)"
for v in v1.1.0:scheduled v1.2.0:scheduled v1.3.0:urgent; do
    version="${v%%:*}" type="${v##*:}"
    pending_before="$(sql "$DB" -c "select count(*) from device_updates where status = 'pending'")"
    log "publishing $version ($type) to $DEVICES devices ($pending_before pending rows to supersede)"
    publish "$WORK/update_$version.zip" "$version" "$type"
    body="$PUBLISHED"
    scheduled="$(json_field scheduled_devices <<<"$body")"
    id="$(json_field update.id <<<"$body")"
    rows="$(sql "$DB" -c "select count(*) from device_updates where update_id = '$id' and status = 'pending'")"
    superseded="-"
    if [[ -n "$previous" ]]; then
        superseded="$(sql "$DB" -c "select count(*) from device_updates where update_id = '$previous' and status = 'superseded'")"
    fi
    # Every row of a zone has the same instant; check each zone's instant against java.time.
    sql "$DB" -F '|' -c "select d.timezone, to_char(min(du.created_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.USZ'),
                               to_char(min(du.scheduled_for) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.USZ'),
                               count(distinct du.scheduled_for), count(distinct du.created_at)
                          from device_updates du join devices d on d.id = du.device_id
                         where du.update_id = '$id' group by d.timezone order by d.timezone" >"$WORK/zones-$version.txt"
    multi="$(awk -F'|' '$4 != 1 || $5 != 1' "$WORK/zones-$version.txt" | wc -l)"
    if [[ "$type" == scheduled ]]; then
        cut -d'|' -f1-3 "$WORK/zones-$version.txt" | bench_tool window 2 >"$WORK/window-$version.txt" && wrong=0 \
            || wrong="$(grep -c WRONG "$WORK/window-$version.txt")"
    else
        wrong="$(awk -F'|' '$2 != $3' "$WORK/zones-$version.txt" | wc -l)"
    fi
    zones="$(wc -l <"$WORK/zones-$version.txt")"
    echo "$version|$type|$PUBLISH_SECONDS|$scheduled|$rows|$superseded|$pending_before|$zones|$wrong|$multi" >>"$WORK/rows"
    [[ "$rows" == "$DEVICES" && "$scheduled" == "$DEVICES" ]] || die "$version: $scheduled scheduled, $rows rows pending"
    previous="$id"
    first_id="${first_id:-$id}"
done

# Baselines: the same 100,000 rows written by psql alone, in one INSERT ... SELECT (what the server's one set-based
# statement costs at the least). "copy": into an empty copy of device_updates with its indexes, checks, foreign keys,
# triggers and storage parameters (the most favourable case: small fresh indexes). "in place": into device_updates
# itself as the three publications left it, after superseding its 100,000 pending rows as a publication does, in a
# transaction rolled back. The copy is also measured without its foreign keys, and without indexes and foreign keys,
# to show where a row's cost goes.
log "baselines: INSERT ... SELECT of $DEVICES rows from psql"
pg_log_since "$log_mark" "$DB" >"$WORK/slow.log"
baseline1="$(copy_ms "$DB" all "$first_id")"
baseline2="$(copy_ms "$DB" all "$first_id")"
read -r sup1 ins1 <<<"$(in_place_ms "$DB")"
read -r sup2 ins2 <<<"$(in_place_ms "$DB")"
no_fk="$(copy_ms "$DB" no-fk "$first_id")"
bare="$(copy_ms "$DB" bare "$first_id")"

# Independent display of three zones' rows of the first publication with TZ=... date.
tzcheck=""
for zone in America/Los_Angeles Asia/Kathmandu Pacific/Chatham; do
    instant="$(awk -F'|' -v z="$zone" '$1 == z {print $3}' "$WORK/zones-v1.1.0.txt")"
    local_time="$(TZ="$zone" date -d "$instant" '+%Y-%m-%d %H:%M %Z')"
    tzcheck+="$zone: $instant = $local_time; "
done

table="$WORK/table.md"
python3 - "$WORK/rows" "$baseline1" "$baseline2" "$sup1" "$ins1" "$sup2" "$ins2" "$no_fk" "$bare" >"$table" <<'PY'
import sys
rows_file = sys.argv[1]
b1, b2, sup1, ins1, sup2, ins2, no_fk, bare = (float(a) / 1000 for a in sys.argv[2:])
copy = min(b1, b2)
insert, supersede = min(ins1, ins2), min(sup1, sup2)
print("| publication | request to answer (s) | devices scheduled | rows pending | rows superseded | ratio to the copy "
      "| ratio in place | zones checked | zones wrong |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for line in open(rows_file):
    v, t, secs, sched, rows, sup, before, zones, wrong, multi = line.strip().split("|")
    note = "" if multi == "0" else " (%s zones with more than one instant)" % multi
    in_place = insert + (supersede if before != "0" else 0)
    print("| %s %s%s | %.3f | %s | %s | %s | %.1f× | %.1f× | %s | %s%s |" % (v, t, " (supersedes {:,})".format(int(before)) if before != "0" else "",
          float(secs), "{:,}".format(int(sched)), "{:,}".format(int(rows)), sup if sup == "-" else "{:,}".format(int(sup)),
          float(secs) / copy, float(secs) / in_place, zones, wrong, note))
print("| baseline, copy: psql INSERT ... SELECT of the same rows into an empty copy (twice) | %.3f / %.3f | | | | 1.0× | | | |" % (b1, b2))
print("| baseline, in place: psql UPDATE of the pending rows + INSERT ... SELECT into device_updates, rolled back (twice) "
      "| %.3f + %.3f / %.3f + %.3f | | | | | 1.0× | | |" % (sup1, ins1, sup2, ins2))
print()
print("Where a row's cost goes (the copy, once each): with indexes and foreign keys %.3f s; without the two foreign keys "
      "%.3f s; without indexes and foreign keys %.3f s. The foreign keys' per-row checks take %.0f%% of it, the four indexes "
      "%.0f%%, the heap and the SELECT the rest." % (copy, no_fk, bare, 100 * (copy - no_fk) / copy, 100 * (no_fk - bare) / copy))
PY

# The server's statements over 100 ms, in order.
slow="$(python3 "$BENCH_DIR/pg-log.py" "$WORK/slow.log")"

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
    echo
    echo "$DEVICES devices over $(wc -w <<<"$BENCH_ZONES") IANA zones; each publication is one POST /api/v1/updates/create"
    echo "(a 5 KB package; curl's total time, which ends when the server answers after its commit). Ratios are to the"
    echo "faster run of each baseline; in place, a publication that supersedes is compared with the UPDATE + INSERT, the"
    echo "first with the INSERT alone. Zones checked: each zone's scheduled_for against the next 02:00 local computed with java.time"
    echo "outside the server (urgent: due at the moment of publishing). TZ=... date: $tzcheck"
    echo
    cat "$table"
    if [[ -n "$slow" ]]; then
        echo
        echo "The server's statements over 100 ms during the three publications (PostgreSQL's log, this database only):"
        echo
        echo "$slow"
    fi
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name schedule)" "$WORK/result.md"
exit 0
