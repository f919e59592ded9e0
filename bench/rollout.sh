#!/usr/bin/env bash
# Rollouts (issue 13) at 100,000 devices: (1) publishing in two phases (phases=1,100%, a long soak: the rollout's
# 100,000 members and the one-device first phase), then POST /api/v1/rollouts/{id}/advance, which opens the second
# phase and offers the update to its first batch (OTA_ROLLOUT_OFFER_BATCH, 10,000); then a device of the phase outside
# the batch checks (it is offered the update at that check), and the reconciler's ticks offer the rest, a batch each;
# twice, the second superseding 100,000 pending rows. Timed by curl (the server answers after its commit) and by the
# tick driver, against psql baselines of the same rows in
# the same run: INSERT ... SELECT into an empty copy of device_updates (as schedule.sh's) and into device_updates
# itself, rolled back. (2) The reconciler's tick with 1,000 rollouts in progress (100 devices each; nothing changed,
# then 10 of them changed before each tick, so that it counts those again), with one rollout whose open phase holds
# all 100,000 devices (unchanged, then changed before each tick), and with none: RolloutTicks.java runs the server's
# own context (jobs off) over the bench database and calls RolloutReconciler.tick() directly; baseline: a select 1 in
# a transaction of the same context.
#
#   bench/rollout.sh            (after ./mvnw -q -B -ntp -DskipTests package)
#
# Settings: DEVICES=100000 ROLLOUTS=1000 PER_ROLLOUT=100 CHANGED=10 TICKS=20 WARMUP_TICKS=5 README=1 (0: do not touch
# bench/README.md)
source "$(dirname "$0")/lib.sh"

DEVICES="${DEVICES:-100000}"
ROLLOUTS="${ROLLOUTS:-1000}"
PER_ROLLOUT="${PER_ROLLOUT:-100}"
TICKS="${TICKS:-20}"
CHANGED="${CHANGED:-10}"
WARMUP_TICKS="${WARMUP_TICKS:-5}"
DB=javia_bench_rollout
((ROLLOUTS * PER_ROLLOUT <= DEVICES)) || die "ROLLOUTS × PER_ROLLOUT ($((ROLLOUTS * PER_ROLLOUT))) exceeds DEVICES"

require psql curl java unzip python3
require_server_jar
bench_setup rollout

# The bench server's timers off (the heartbeat flush, the offline sweep, the reconciler): nothing ticks beside the
# timed actions, nor takes the advisory lock from the tick driver. No device calls in this bench.
export OTA_JOBS_ENABLED=false
start_server "$DB" "$(free_port 18095)" "alter database $DB set log_min_duration_statement = 100"
log "seeding $DEVICES devices with SQL over $(wc -w <<<"$BENCH_ZONES") zones"
seed_devices "$DB" "$DEVICES" v1.0.0
for v in v1.1.0 v1.2.0 v1.3.0; do
    bench_tool package "$WORK/update_$v.zip" "$v" scheduled 4096 >/dev/null
done
sql "$DB" -c "vacuum analyze"
wait_quiet

# POST /api/v1/rollouts/ID/ACTION with the admin key; fails on anything but 200; prints curl's total time (s).
action() {
    local id="$1" what="$2" out
    out="$(curl -sS -o "$WORK/action.json" -w '%{http_code} %{time_total}' -X POST -H "X-API-Key: $ADMIN_KEY" \
        "$SERVER_URL/api/v1/rollouts/$id/$what")"
    [[ "${out%% *}" == 200 ]] || { cat "$WORK/action.json" >&2; die "$what of rollout $id answered ${out%% *}"; }
    echo "${out##* }"
}
count() { sql "$DB" -c "select count(*) from $1"; }

# The server jar's classes and libraries, unpacked once per jar, for RolloutTicks.java.
classes="$BENCH_CACHE/server-classes"
if [[ ! -f "$classes/.from" || "$(cat "$classes/.from")" != "$(stat -c %Y-%s "$SERVER_JAR")" ]]; then
    rm -rf "$classes" && mkdir -p "$classes"
    (cd "$classes" && unzip -q "$SERVER_JAR" 'BOOT-INF/*')
    stat -c %Y-%s "$SERVER_JAR" >"$classes/.from"
fi
tick_driver() {  # tick_driver OUT WARMUP COUNT [--spring.property=value ...]: ticks, then as many select 1, in the server's context
    local out="$1" warmup="$2" count="$3"
    shift 3
    env TICK_CHANGES="${TICK_CHANGES:-0}" OTA_ADMIN_API_KEY="$ADMIN_KEY" OTA_ENROLLMENT_KEY="$ENROLLMENT_KEY" \
        SPRING_DATASOURCE_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB" SPRING_DATASOURCE_USERNAME="$PGUSER" \
        OTA_STORAGE_PATH="$WORK/server/packages" \
        java -cp "$classes/BOOT-INF/classes:$classes/BOOT-INF/lib/*" "$BENCH_DIR/RolloutTicks.java" \
        "$out" "$warmup" "$count" "$@" >>"$WORK/ticks.log" 2>&1 \
        || { tail -40 "$WORK/ticks.log" >&2; die "RolloutTicks failed"; }
}
# ---- 1. publishing in two phases, and advancing to the second
: >"$WORK/rows"
log_mark="$(pg_log_mark)"
previous=""
rollouts=()
for version in v1.1.0 v1.2.0; do
    pending_before="$(count "device_updates where status = 'pending'")"
    log "publishing $version to $DEVICES devices in phases 1,100% ($pending_before pending rows)"
    publish "$WORK/update_$version.zip" "$version" scheduled "phases=1,100%" "soak=30d"
    rollout="$(json_field rollout.id <<<"$PUBLISHED")"
    update="$(json_field update.id <<<"$PUBLISHED")"
    offered1="$(json_field scheduled_devices <<<"$PUBLISHED")"
    members="$(count "rollout_devices where rollout_id = '$rollout'")"
    [[ "$members" == "$DEVICES" && "$offered1" == 1 ]] || die "$version: $members members, $offered1 offered in phase 1"
    log "advancing rollout $rollout to its second phase"
    advance_seconds="$(action "$rollout" advance)"
    phase="$(json_field current_phase <<<"$(cat "$WORK/action.json")")"
    batch="$(count "device_updates where update_id = '$update' and status = 'pending' and rollout_id = '$rollout'")"
    # a device of the phase whose batch has not come checks at once: offered the update at that check
    early="$(sql "$DB" -c "select ('x' || right(d.device_uuid::text, 12))::bit(48)::bigint from rollout_devices rd
                           join devices d on d.id = rd.device_id
                           where rd.rollout_id = '$rollout' and not rd.offered limit 1")"
    out="$(curl -sS -o "$WORK/check.json" -w '%{http_code} %{time_total}' -H "X-API-Key: dvt_bench_$early" \
        "$SERVER_URL/api/v1/devices/$(sql "$DB" -c "select $(bench_uuid_sql "$early")")/updates/check")"
    [[ "${out%% *}" == 200 && "$(json_field update.version <"$WORK/check.json")" == "$version" ]] \
        || die "$version: device $early was not offered it at its check: $(cat "$WORK/check.json")"
    early_seconds="${out##* }"
    # the ticks that follow offer the rest of the phase, a batch each
    log "ticks offering the rest of phase 2, a batch each"
    tick_driver "$WORK/offer-ticks-$version.txt" 0 "$(( (DEVICES + 9999) / 10000 + 1 ))"
    offer_ticks="$(awk '$1 == "tick" && $8 > 0 {n++; ms += $2} END {printf "%d %.3f", n, ms / 1000}' "$WORK/offer-ticks-$version.txt")"
    pending="$(count "device_updates where update_id = '$update' and status = 'pending' and rollout_id = '$rollout'")"
    superseded="-"
    [[ -z "$previous" ]] || superseded="$(count "device_updates where update_id = '$previous' and status = 'superseded'")"
    [[ "$phase" == 1 && "$pending" == "$DEVICES" ]] || die "$version: phase $phase, $pending pending after the advance and its ticks"
    echo "$version|$PUBLISH_SECONDS|$members|$offered1|$advance_seconds|$pending|$superseded|$pending_before|$batch|$early_seconds|$offer_ticks" >>"$WORK/rows"
    previous="$update"
    rollouts+=("$rollout")
    first_rollout="${first_rollout:-$rollout}" first_update="${first_update:-$update}"
done
pg_log_since "$log_mark" "$DB" >"$WORK/slow.log"

# Baselines, psql alone. The advance's rows are the second phase's members of the first rollout: "copy" inserts them
# into an empty copy of device_updates (copy_ms, as schedule.sh's); "in place" into device_updates itself as the
# publications left it, in a transaction rolled back, after the UPDATE that supersedes the pending rows (what the
# second advance also did) and with the UPDATE of their rollout_devices rows (the advance marks them offered)
# timed apart. The publication's baseline is schedule.sh's: every device into the empty copy.
log "baselines: INSERT ... SELECT from psql"
phase2="from rollout_devices rd join devices d on d.id = rd.device_id where rd.rollout_id = '$first_rollout' and rd.phase = 1"
copy1="$(copy_ms "$DB" all "$first_update" "$phase2")"
copy2="$(copy_ms "$DB" all "$first_update" "$phase2")"
mark="update rollout_devices set offered = not offered where rollout_id = '$first_rollout' and phase = 1;"
read -r sup1 ins1 mark1 <<<"$(in_place_ms "$DB" "$phase2" "$first_rollout" "$mark")"
read -r sup2 ins2 mark2 <<<"$(in_place_ms "$DB" "$phase2" "$first_rollout" "$mark")"
fleet1="$(copy_ms "$DB" all "$first_update")"
fleet2="$(copy_ms "$DB" all "$first_update")"
phase2_rows="$(sql "$DB" -c "select count(*) $phase2")"

# ---- 2. the reconciler's tick
# The first rollout's offers were all superseded by the second's: the ticks that offered the second's batches
# finished it (no device of its open phase needs it any more); if not, cancelling it takes none back. Either way one
# rollout is left in progress with all 100,000 devices in its open phase, for a tick of its own.
[[ "$(sql "$DB" -c "select state from rollouts where id = '${rollouts[0]}'")" == finished ]] \
    || action "${rollouts[0]}" cancel >/dev/null
wait_quiet
log "ticks with one rollout in progress, $DEVICES devices in its open phase"
tick_driver "$WORK/ticks-1.txt" "$WARMUP_TICKS" "$TICKS"
log "ticks with that rollout's open phase changed before each (one device's row rewritten as a report would)"
TICK_CHANGES=1 tick_driver "$WORK/ticks-1c.txt" "$WARMUP_TICKS" "$TICKS"
# Cancelling the second takes its 100,000 offers back (one UPDATE): timed too; it leaves no rollout in progress.
log "cancelling the second rollout"
cancel_seconds="$(action "${rollouts[1]}" cancel)"
withdrawn="$(count "device_updates where update_id = '$previous' and status = 'superseded'")"

wait_quiet
log "ticks with no rollout in progress"
tick_driver "$WORK/ticks-0.txt" "$WARMUP_TICKS" "$TICKS"

# One rollout of PER_ROLLOUT devices published through the API (devices 1..PER_ROLLOUT, one phase, a long soak: every
# member offered, nothing to judge for 30 days); the others cloned from it with SQL, each with its own update (a
# version of its own), its own PER_ROLLOUT devices, their rollout_devices and device_updates rows as the first's.
log "publishing one rollout to $PER_ROLLOUT devices, cloning $((ROLLOUTS - 1)) more with SQL"
targets="$(sql "$DB" -c "select string_agg($(bench_uuid_sql n), ',') from generate_series(1, $PER_ROLLOUT) n")"
publish "$WORK/update_v1.3.0.zip" v1.3.0 scheduled "target_devices=$targets" "phases=100%" "soak=30d"
template="$(json_field rollout.id <<<"$PUBLISHED")"
[[ "$(json_field scheduled_devices <<<"$PUBLISHED")" == "$PER_ROLLOUT" ]] || die "v1.3.0 was offered to other than $PER_ROLLOUT devices"
clone_start=$SECONDS
sql "$DB" <<SQL
create temporary table clones as
select k, gen_random_uuid() as update_id, gen_random_uuid() as rollout_id,
       array(select $(bench_uuid_sql n) from generate_series((k - 1) * $PER_ROLLOUT + 1, k * $PER_ROLLOUT) n) as uuids
from generate_series(2, $ROLLOUTS) k;
insert into updates
select (jsonb_populate_record(null::updates, to_jsonb(u) || jsonb_build_object(
            'id', c.update_id, 'version', 'v1.3.' || c.k, 'version_patch', c.k,
            'storage_key', u.storage_key || '.' || c.k, 'target_devices', to_jsonb(c.uuids)))).*
from updates u, clones c join rollouts t on t.id = '$template' where u.id = t.update_id;
insert into rollouts
select (jsonb_populate_record(null::rollouts, to_jsonb(t) || jsonb_build_object(
            'id', c.rollout_id, 'update_id', c.update_id,
            'target', jsonb_set(t.target, '{device_uuids}', to_jsonb(c.uuids))))).*
from rollouts t, clones c where t.id = '$template';
insert into rollout_devices (rollout_id, device_id, phase, offered)
select c.rollout_id, d.id, 0, true from clones c join devices d on d.device_uuid = any(c.uuids);
insert into device_updates
select (jsonb_populate_record(null::device_updates, to_jsonb(p) || jsonb_build_object(
            'id', gen_random_uuid(), 'device_id', d.id, 'update_id', c.update_id, 'rollout_id', c.rollout_id))).*
from clones c join devices d on d.device_uuid = any(c.uuids)
cross join lateral (select * from device_updates where rollout_id = '$template' limit 1) p;
vacuum analyze;
SQL
clone_seconds=$((SECONDS - clone_start))
running="$(count "rollouts where state = 'running'")"
offers="$(count "device_updates du join rollouts r on r.id = du.rollout_id where r.state = 'running' and du.status = 'pending'")"
[[ "$running" == "$ROLLOUTS" && "$offers" == $((ROLLOUTS * PER_ROLLOUT)) ]] \
    || die "$running rollouts running with $offers pending offers, not $ROLLOUTS with $((ROLLOUTS * PER_ROLLOUT))"
wait_quiet
log "ticks with $ROLLOUTS rollouts in progress"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
machine_before="$(machine_ticks)" wall_before="$(date +%s.%N)"
tick_driver "$WORK/ticks-n.txt" "$WARMUP_TICKS" "$TICKS"
machine_after="$(machine_ticks)" wall_after="$(date +%s.%N)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
log "ticks with $CHANGED of the $ROLLOUTS rollouts changed before each"
TICK_CHANGES="$CHANGED" tick_driver "$WORK/ticks-nc.txt" "$WARMUP_TICKS" "$TICKS"
busy="$(awk -v a="$machine_before" -v b="$machine_after" -v s="$wall_before" -v e="$wall_after" -v n="$(nproc)" \
    'BEGIN {printf "%.0f%%", 100 * (b - a) / 100 / (e - s) / n}')"
# Where a tick's time goes: three more ticks (after as many warm-up) with every statement of the driver's sessions in
# PostgreSQL's log (log_min_duration_statement = 0 for its connections only; this run is not in the figures above).
log "three traced ticks: every statement's duration from PostgreSQL's log"
trace_mark="$(pg_log_mark)"
tick_driver "$WORK/ticks-trace.txt" 3 3 "--spring.datasource.hikari.data-source-properties.options=-c log_min_duration_statement=0"
pg_log_since "$trace_mark" "$DB" >"$WORK/trace.log"
# Each tick begins with its advisory lock (its bind: a prepared statement is not parsed again); the ticks' statements (parse, bind and execute summed) by kind, averaged
# over the last three ticks, and what is left of the tick's time for the server's own work.
python3 - "$WORK/trace.log" "$WORK/ticks-trace.txt" >"$WORK/trace.md" <<'PY'
import re, sys
log, ticks_file = sys.argv[1:]
entry = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ UTC \[\d+\] \S*\s*LOG:  duration: ([0-9.]+) ms  (parse|bind|execute)"
                   r"[^:]*: (.*?)(?=^\d{4}-\d\d-\d\d |\Z)", re.S | re.M)
kinds = [("the advisory lock", r"pg_try_advisory_xact_lock"),
         ("locking the scheduled and running rollouts (for update)", r"select id from rollouts where state in"),
         ("scheduled rollouts due", r"r\.state = 'scheduled'"),
         ("the kept counts that are stale (reading rollout_changes)", r"with changed as \(delete from rollout_changes"),
         ("counting stale open phases again (PhaseTally.count)", r"insert into rollout_tallies"),
         ("the kept counts of rollouts no longer running, dropped", r"delete from rollout_tallies"),
         ("reading the kept counts", r"select \* from rollout_tallies"),
         ("rollouts with devices to offer (top-up)", r"not rd\.offered and rd\.phase <= r\.current_phase"),
         ("running rollouts", r"r\.state = 'running'"),
         ("open offers (capped rollouts)", r"from device_updates\s+where rollout_id = any"),
         ("BEGIN / COMMIT and the rest", r"")]
ticks, done = [], False
for ms, step, text in entry.findall(open(log, encoding="utf-8", errors="replace").read()):
    if re.match(r"\s*select 1\s*$", text) and ticks:
        done = True
    if done:
        continue
    if "pg_try_advisory_xact_lock" in text and step == "bind":
        ticks.append({})
    if not ticks:
        continue
    kind = next(name for name, pattern in kinds if re.search(pattern, text))
    ticks[-1][kind] = ticks[-1].get(kind, 0.0) + float(ms)
last = ticks[-3:]
measured = [float(l.split()[1]) for l in open(ticks_file) if l.startswith("tick ")]
if len(last) < 3 or not measured:
    print("(the trace found %d ticks: none shown)" % len(ticks))
    sys.exit(0)
total = sum(measured) / len(measured)
print("| one tick's statements (mean of the last 3 of %d traced ticks) | ms in PostgreSQL |" % len(ticks))
print("| --- | ---: |")
sql_total = 0.0
for name, _ in kinds:
    ms = sum(t.get(name, 0.0) for t in last) / len(last)
    sql_total += ms
    if ms:
        print("| %s | %.1f |" % (name, ms))
print("| all statements / the tick as the driver timed it / the rest (the server: mapping rows, judging, the round "
      "trips) | %.1f / %.1f / %.1f |" % (sql_total, total, total - sql_total))
PY
table="$WORK/table.md"
python3 - "$WORK/rows" "$copy1" "$copy2" "$sup1" "$ins1" "$mark1" "$sup2" "$ins2" "$mark2" "$fleet1" "$fleet2" \
    "$phase2_rows" "$cancel_seconds" "$withdrawn" "$WORK/ticks-0.txt" "$WORK/ticks-n.txt" "$ROLLOUTS" "$PER_ROLLOUT" "$WORK/ticks-1.txt" \
    "$WORK/ticks-1c.txt" "$WORK/ticks-nc.txt" "$CHANGED" \
    >"$table" <<'PY'
import sys
args = sys.argv[1:]
rows_file = args[0]
copy1, copy2, sup1, ins1, mark1, sup2, ins2, mark2, fleet1, fleet2 = (float(a) / 1000 for a in args[1:11])
phase2_rows, cancel, withdrawn, ticks0, ticksn, rollouts, per, ticks1, ticks1c, ticksnc, changed_n = args[11:22]
copy, fleet = min(copy1, copy2), min(fleet1, fleet2)
rows_devices = [l.split("|")[5] for l in open(rows_file)][-1]
insert, supersede, mark = min(ins1, ins2), min(sup1, sup2), min(mark1, mark2)
n = lambda v: "{:,}".format(int(v))

print("| step | request to answer (s) | devices | ratio to the copy | ratio in place |")
print("| --- | ---: | ---: | ---: | ---: |")
for line in open(rows_file):
    v, pub, members, offered1, adv, pending, sup, before, batch, early, offer_ticks = line.strip().split("|")
    ticks_n, ticks_s = offer_ticks.split()
    print("| publish %s, phases 1,100%% (the rollout's members; phase 1 offered) | %.3f | %s members, %s offered "
          "| %.1f× (every device) | |" % (v, float(pub), n(members), offered1, float(pub) / fleet))
    in_place = insert + mark + (supersede if sup != "-" else 0)
    what = "" if sup == "-" else ", superseding their pending rows"
    print("| **advance %s to phase 2** (opens it to %s devices; offers the first batch%s) | **%.3f** | %s pending "
          "| %.2f× | %.2f× |" % (v, n(int(pending) - int(offered1)), what, float(adv), n(batch), float(adv) / copy,
                                  float(adv) / in_place))
    print("| **a device of phase 2 outside that batch checks at once** (offered the update at its check) | **%.3f** "
          "| 1 | | |" % float(early))
    print("| the ticks after it offer the rest of phase 2, a batch each (%s ticks; their time in all)%s | %.3f | "
          "%s pending | %.1f× | %.1f× |" % (ticks_n, what, float(ticks_s), n(pending), float(ticks_s) / copy,
                                           float(ticks_s) / in_place))
print("| cancel v1.2.0 (its %s offers taken back) | %.3f | | | |" % (n(withdrawn), float(cancel)))
print("| baseline, copy: psql INSERT ... SELECT of phase 2's %s rows into an empty copy (twice) | %.3f / %.3f | | 1.0× | |"
      % (n(phase2_rows), copy1, copy2))
print("| baseline, copy: the same for every device (schedule.sh's baseline; twice) | %.3f / %.3f | | (publish: 1.0×) | |"
      % (fleet1, fleet2))
print("| baseline, in place: psql UPDATE superseding the pending rows + INSERT ... SELECT of phase 2's rows + UPDATE of "
      "their rollout_devices, rolled back (twice) | %.3f + %.3f + %.3f / %.3f + %.3f + %.3f | | | 1.0× "
      "(the first advance: INSERT + UPDATE of rollout_devices) |" % (sup1, ins1, mark1, sup2, ins2, mark2))
print()

def read(path):
    ticks, warm, select1, changed = [], [], [], 0
    for line in open(path):
        f = line.split()
        if f[0] in ("tick", "warmup-tick"):
            (ticks if f[0] == "tick" else warm).append(float(f[1]))
            if f[2] != "true" or any(int(x) for x in f[3:]):
                changed += 1
        elif f[0] == "select1":
            select1.append(float(f[1]))
    return ticks, warm, select1, changed

def pct(values, p):
    values = sorted(values)
    return values[max(0, -(-len(values) * p // 100) - 1)]

t0, w0, s0, c0 = read(ticks0)
tn, wn, sn, cn = read(ticksn)
t1, w1, s1, c1 = read(ticks1)
t1c, w1c, _, c1c = read(ticks1c)
tnc, wnc, _, cnc = read(ticksnc)
print("| tick (`RolloutReconciler.tick()` in the server's context) | calls | p50 ms | p95 ms | min / max ms | first warm-up "
      "tick ms | ticks that skipped or changed something | p50 against `select 1` / against no rollout |")
print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
for name, t, w, c in ((("**%s rollouts in progress, %s devices each, nothing to change**" % (n(rollouts), per)), tn, wn, cn),
                      ("%s rollouts in progress, %s of them changed before each tick (counted again)" % (n(rollouts), changed_n), tnc, wnc, cnc),
                      ("one rollout in progress, its open phase %s devices (v1.2.0 after its advance), nothing changed" % n(rows_devices), t1, w1, c1),
                      ("the same, its open phase changed before each tick (all %s devices counted again)" % n(rows_devices), t1c, w1c, c1c),
                      ("no rollout in progress", t0, w0, c0)):
    print("| %s | %d | %.1f | %.1f | %.1f / %.1f | %.1f | %d | %.0f× / %.1f× |" % (
        name, len(t), pct(t, 50), pct(t, 95), min(t), max(t), w[0], c, pct(t, 50) / pct(s0, 50), pct(t, 50) / pct(t0, 50)))
print("| baseline: `select 1` in a transaction, same context | %d | %.2f | %.2f | %.2f / %.2f | | | 1× |" % (
    len(s0), pct(s0, 50), pct(s0, 95), min(s0), max(s0)))
PY

slow="$(python3 "$BENCH_DIR/pg-log.py" --by-statement "$WORK/slow.log")"
{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
    echo
    echo "$DEVICES devices over $(wc -w <<<"$BENCH_ZONES") IANA zones, all on v1.0.0; the bench server's jobs off"
    echo "(\`OTA_JOBS_ENABLED=false\`). Publish and actions: curl's total time (the server answers after its commit);"
    echo "ratios to the faster run of each psql baseline. Ticks: $TICKS after $WARMUP_TICKS warm-up, p50/p95 by nearest"
    echo "rank. The $ROLLOUTS rollouts: one published through the API to $PER_ROLLOUT devices (one phase, soak 30d), $((ROLLOUTS - 1))"
    echo "cloned from it with SQL in ${clone_seconds} s (their own update, devices, rollout_devices and device_updates rows);"
    echo "$offers pending offers. Load average (1, 5, 15 min) before and after the ticks: $load_before, $load_after;"
    echo "the whole machine was $busy busy (of $(nproc) cores) during the tick driver's run (its start-up included)."
    echo
    cat "$table"
    echo
    echo "Three more ticks with every statement of the driver's sessions logged (not in the table above; logging costs"
    echo "time of its own):"
    echo
    cat "$WORK/trace.md"
    if [[ -n "$slow" ]]; then
        echo
        echo "The server's statements over 100 ms during the publications, advances and the ticks that offered the rest"
        echo "(PostgreSQL's log, this database only), by statement:"
        echo
        echo "$slow"
    fi
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name rollout)" "$WORK/result.md"
exit 0
