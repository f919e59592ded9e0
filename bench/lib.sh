# Shared plumbing of the bench/ scripts (sourced, not run): a scratch directory, the processes and databases a
# script started (and only those) stopped on exit or Ctrl-C, the server started on loopback with a fresh database,
# devices seeded with SQL, the machine described, and a script's latest table written into bench/README.md.
# shellcheck shell=bash

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
SERVER_JAR="${SERVER_JAR:-$REPO_DIR/server/target/server-0.1.0-SNAPSHOT-exec.jar}"
BENCH_CACHE="${BENCH_CACHE:-/tmp/javia-bench-cache}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning -c log_min_duration_statement=-1}"

# Keys of the bench server only (each at least 24 characters, different from each other).
ADMIN_KEY="bench-admin-key-0123456789abcdef"
ENROLLMENT_KEY="bench-enrollment-key-0123456789abcdef"

BENCH_PIDS=()
BENCH_DBS=()
BENCH_CLUSTERS=()
WORK=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

bench_setup() {
    local name="$1"
    WORK="$(mktemp -d "/tmp/javia-bench-$name.XXXXXX")"
    trap bench_cleanup EXIT
    trap 'log "interrupted"; exit 130' INT TERM
    mkdir -p "$BENCH_CACHE"
}

# Stops what this script started, newest first, by pid; drops its databases and PostgreSQL clusters; removes its
# scratch directory.
bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local i pid
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        pid="${BENCH_PIDS[$i]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
    if [[ "${KEEP_DB:-0}" != 1 ]]; then
        for db in "${BENCH_DBS[@]}"; do
            psql -d postgres -qAtc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
        done
    fi
    local cluster
    for cluster in "${BENCH_CLUSTERS[@]}"; do
        pg_dropcluster --stop "${cluster%% *}" "${cluster#* }" >/dev/null 2>&1 || log "could not drop cluster $cluster"
    done
    if [[ -n "$WORK" && "${KEEP_WORK:-0}" != 1 ]]; then
        rm -rf "$WORK"
    elif [[ -n "$WORK" ]]; then
        log "scratch kept in $WORK"
    fi
    exit "$rc"
}

# Remembers a background process so that cleanup stops it.
track() { BENCH_PIDS+=("$1"); }

require() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (Debian: apt-get install $(apt_name "$tool"))"
    done
}
apt_name() { case "$1" in nginx) echo nginx-light ;; jcmd|jstat|jfr) echo openjdk-17-jdk-headless ;; psql) echo postgresql-client ;; *) echo "$1" ;; esac; }

# BENCH_COMMIT=<commit>: measure the jars built from that commit (git archive into $BENCH_CACHE/src-<sha>, built once)
# instead of the working tree's; what was measured is then exact, whatever anyone rebuilds meanwhile.
build_commit() {
    local sha src
    sha="$(git -C "$REPO_DIR" rev-parse --short=7 "${BENCH_COMMIT}^{commit}")" || die "no commit $BENCH_COMMIT"
    src="$BENCH_CACHE/src-$sha"
    if [[ ! -f "$src/.built" ]]; then
        log "building $sha (git archive into $src, ./mvnw package)"
        rm -rf "$src" && mkdir -p "$src"
        git -C "$REPO_DIR" archive "$sha" | tar -x -C "$src"
        (cd "$src" && ./mvnw -q -B -ntp -DskipTests package) >"$src/build.log" 2>&1 \
            || { tail -30 "$src/build.log" >&2; die "the build of $sha failed"; }
        touch "$src/.built"
    fi
    SERVER_JAR="$src/server/target/server-0.1.0-SNAPSHOT-exec.jar"
    AGENT_JAR="${AGENT_JAR:-$src/pi-agent/target/pi-agent.jar}"
    BENCH_SHA="$sha"
}

require_server_jar() {
    if [[ -n "${BENCH_COMMIT:-}" ]]; then
        build_commit
    fi
    [[ -f "$SERVER_JAR" ]] || die "no server jar at $SERVER_JAR: build first with ./mvnw -q -B -ntp -DskipTests package"
}

# Which code was measured: the commit (BENCH_COMMIT), else HEAD, whether server/ had uncommitted changes, and when
# the jar was built.
# shellcheck disable=SC2120 # the jar is optional: SERVER_JAR by default
jar_provenance() {
    local jar="${1:-$SERVER_JAR}" head dirty=""
    if [[ -n "${BENCH_SHA:-}" ]]; then
        echo "commit $BENCH_SHA (built from git archive)"
        return
    fi
    head="$(git -C "$REPO_DIR" rev-parse --short=7 HEAD 2>/dev/null || echo unknown)"
    [[ -n "$(git -C "$REPO_DIR" status --porcelain -- server protocol pi-agent db 2>/dev/null)" ]] && dirty=", with uncommitted changes"
    echo "working tree at $head$dirty, jar built $(date -u -r "$jar" '+%H:%M UTC')"
}

# The README section of a script: its name, and the commit when BENCH_COMMIT chose one.
section_name() { echo "$1${BENCH_SHA:+ at $BENCH_SHA}"; }

# First port at or above $1 that nothing listens on (loopback).
free_port() {
    local port="$1"
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port"
}

# own_cluster NAME PORT: a PostgreSQL cluster of this script's own (Debian's pg_createcluster, the newest installed
# version) on PORT, trusting loopback, started, dropped on exit; psql and the server then use it (PGPORT). A script that
# stops its database uses one, never the shared cluster. Sets CLUSTER ("VERSION NAME", for pg_ctlcluster $CLUSTER).
own_cluster() {
    local name="$1" port="$2" version
    # shellcheck disable=SC2012 # version directories: plain numbers
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    pg_createcluster "$version" "$name" -p "$port" >/dev/null
    BENCH_CLUSTERS+=("$version $name")
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" "host all all ::1/128 trust" \
        >"/etc/postgresql/$version/$name/pg_hba.conf"
    chown postgres:postgres "/etc/postgresql/$version/$name/pg_hba.conf"
    pg_ctlcluster "$version" "$name" start
    # shellcheck disable=SC2034 # for the caller: pg_ctlcluster $CLUSTER
    CLUSTER="$version $name"
    export PGPORT="$port"
    log "own PostgreSQL cluster $version/$name on port $port"
}

fresh_db() {
    local db="$1"
    psql -d postgres -qAtc "drop database if exists $db with (force)" >/dev/null
    psql -d postgres -qAtc "create database $db" >/dev/null
    BENCH_DBS+=("$db")
}

sql() { local db="$1"; shift; psql -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"; }

# PostgreSQL's own log (Debian's), where statements of a bench database show up when that database's settings ask
# for it (ALTER DATABASE ... SET log_min_duration_statement: the bench database only, never the server's settings).
PG_LOG="${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}"
pg_log_mark() { if [[ -r "$PG_LOG" ]]; then stat -c %s "$PG_LOG"; else echo -1; fi; }
# pg_log_since MARK DB: the log's lines (with their continuations) written since MARK by sessions on DB, and
# autovacuum's lines about DB's tables.
pg_log_since() {
    local mark="$1" db="$2"
    ((mark >= 0)) || return 0
    tail -c +"$((mark + 1))" "$PG_LOG" | awk -v tag="@$db " -v table="\"$db." '
        /^[0-9]{4}-[0-9]{2}-[0-9]{2} / {keep = index($0, tag) > 0 || index($0, table) > 0}
        keep {print}'
}

# start_server DB PORT [SQL]: the server jar (copied, so that a rebuild during the run changes nothing) on loopback
# over a fresh database (SQL, e.g. "alter database ... set ...", runs on it before the server connects); sets
# SERVER_PID and SERVER_URL. SERVER_JAVA_OPTS adds JVM flags (default: none, as shipped).
start_server() {
    local db="$1" port="$2"
    fresh_db "$db"
    [[ -z "${3:-}" ]] || sql "$db" -c "$3"
    mkdir -p "$WORK/server/packages"
    cp "$SERVER_JAR" "$WORK/server/server.jar"
    launch_server "$db" "$port"
}

# launch_server DB PORT: the copied jar over an existing database (again, after a crash, say); its log is appended to
# $WORK/server/server.log (SERVER_LOG: another file, e.g. for a second instance over the same database, which then
# sets SERVER_PID and SERVER_URL in turn). Returns once liveness answers (within SERVER_START_WAIT seconds, default 120).
launch_server() {
    local db="$1" port="$2" server_log="${SERVER_LOG:-$WORK/server/server.log}"
    # shellcheck disable=SC2086
    env OTA_ADMIN_API_KEY="$ADMIN_KEY" OTA_ENROLLMENT_KEY="$ENROLLMENT_KEY" \
        SPRING_DATASOURCE_URL="jdbc:postgresql://$PGHOST:$PGPORT/$db" SPRING_DATASOURCE_USERNAME="$PGUSER" \
        OTA_STORAGE_PATH="$WORK/server/packages" SERVER_PORT="$port" SERVER_ADDRESS=127.0.0.1 \
        OTA_MAX_PACKAGE_SIZE="${OTA_MAX_PACKAGE_SIZE:-400MB}" OTA_DB_POOL_SIZE="${OTA_DB_POOL_SIZE:-16}" \
        java ${SERVER_JAVA_OPTS:-} -jar "$WORK/server/server.jar" >>"$server_log" 2>&1 &
    SERVER_PID=$!
    track "$SERVER_PID"
    SERVER_URL="http://127.0.0.1:$port"
    local wait="${SERVER_START_WAIT:-120}" deadline
    deadline=$((SECONDS + wait))
    until curl -fsS -o /dev/null "$SERVER_URL/actuator/health/liveness" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -40 "$server_log" >&2; die "the server exited"; }
        ((SECONDS < deadline)) || { tail -40 "$server_log" >&2; die "the server did not start in $wait s"; }
        sleep 0.5
    done
    log "server pid $SERVER_PID on $SERVER_URL (db $db, pool ${OTA_DB_POOL_SIZE:-16}, opts '${SERVER_JAVA_OPTS:-}')"
}

# Real IANA zones with whole, half and quarter hour offsets, both hemispheres' DST rules and none.
BENCH_ZONES="UTC Europe/London Europe/Berlin Europe/Paris Europe/Madrid Europe/Rome Europe/Warsaw Europe/Helsinki
Europe/Athens Europe/Istanbul Europe/Moscow Europe/Lisbon Europe/Dublin Atlantic/Reykjavik Atlantic/Azores
America/New_York America/Chicago America/Denver America/Phoenix America/Los_Angeles America/Anchorage
America/Toronto America/Halifax America/St_Johns America/Mexico_City America/Bogota America/Lima America/Santiago
America/Sao_Paulo America/Argentina/Buenos_Aires America/Havana Pacific/Honolulu Pacific/Auckland Pacific/Chatham
Pacific/Fiji Pacific/Apia Pacific/Kiritimati Australia/Sydney Australia/Adelaide Australia/Brisbane Australia/Perth
Australia/Lord_Howe Asia/Tokyo Asia/Seoul Asia/Shanghai Asia/Hong_Kong Asia/Singapore Asia/Kolkata Asia/Kathmandu
Asia/Dhaka Asia/Yangon Asia/Bangkok Asia/Jakarta Asia/Manila Asia/Karachi Asia/Tehran Asia/Dubai Asia/Jerusalem
Asia/Beirut Africa/Cairo Africa/Johannesburg Africa/Lagos Africa/Nairobi Africa/Casablanca"

# Device n (1..N) of the bench fleet: its uuid, token and zone follow from n, so that a wrk Lua script can rebuild
# them without a list. The token is stored as the server stores it: lowercase hex SHA-256 of its UTF-8 text.
bench_uuid_sql() { echo "'00000000-0000-7000-8000-' || lpad(to_hex($1), 12, '0')"; }

# The overview's fleet of $1 devices as SQL for psql (overview_bench.sh, metrics_bench.sh): 90% online, 5% updating
# (installing, in the step for up to 5 h), 5% offline for 1 to 7 days; 12 versions; the zones of BENCH_ZONES; each
# with a token. Run it with the row triggers off (session_replication_role = replica): the caller writes what they
# would have kept.
bench_fleet_sql() {
  local zones
  # shellcheck disable=SC2086 # split on purpose: each zone quoted for SQL
  zones="$(printf "'%s'," $BENCH_ZONES)"
  zones="${zones%,}"
  cat <<SQL
insert into devices (id, device_uuid, device_name, registered_at, last_seen, current_version, timezone, status,
                     metadata, token_hash, token_issued_at, update_step, offline_since, step_since)
select gen_random_uuid(), $(bench_uuid_sql n), 'pi-' || n, now() - interval '30 days',
       case when n % 20 = 1 then now() - interval '1 day' * (1 + n % 7) else now() - interval '1 minute' end,
       'v1.' || (n % 12) || '.0', (array[$zones])[1 + n % $(wc -w <<<"$BENCH_ZONES")],
       case when n % 20 = 1 then 'offline' when n % 20 = 2 then 'updating' else 'online' end, '{}'::jsonb,
       encode(sha256(convert_to('dvt_bench_' || n, 'UTF8')), 'hex'), now() - interval '30 days',
       case when n % 20 = 2 then 'installing' end,
       case when n % 20 = 1 then now() - interval '1 day' * (1 + n % 7) end,
       case when n % 20 = 2 then now() - interval '1 minute' * (n % 300) end
from generate_series(1, $1) as n;
SQL
}

# seed_devices DB N VERSION: N devices registered a minute ago, online, running VERSION, spread over BENCH_ZONES.
seed_devices() {
    local db="$1" n="$2" version="$3" zones
    # shellcheck disable=SC2086 # split on purpose: each zone quoted for SQL
    zones="$(printf "'%s'," $BENCH_ZONES)"
    zones="${zones%,}"
    sql "$db" <<SQL
insert into devices (id, device_uuid, registered_at, last_seen, current_version, timezone, status, metadata,
                     token_hash, token_issued_at)
select gen_random_uuid(), $(bench_uuid_sql n), now() - interval '1 minute', now(), '$version',
       (array[$zones])[1 + n % $(wc -w <<<"$BENCH_ZONES")], 'online', '{}'::jsonb,
       encode(sha256(convert_to('dvt_bench_' || n, 'UTF8')), 'hex'), now() - interval '1 minute'
from generate_series(1, $n) as n;
analyze devices;
SQL
}

# checkin_fleet DB N: checkin.lua's fleet behind the server at SERVER_URL: N devices seeded by SQL on v1.0.0, v1.1.0 (a
# real 4 KiB package) published to all of them through the API, then marked completed by SQL (the device on v1.1.0)
# for device n with n % 10 != 0: the other 10% keep it pending. Sets CHECKIN_PENDING (the pending rows).
checkin_fleet() {
    local db="$1" n="$2" t0=$SECONDS scheduled
    log "seeding $n devices with SQL"
    seed_devices "$db" "$n" v1.0.0
    bench_tool package "$WORK/update.zip" v1.1.0 scheduled 4096 >/dev/null
    publish "$WORK/update.zip" v1.1.0 scheduled
    scheduled="$(json_field scheduled_devices <<<"$PUBLISHED")"
    [[ "$scheduled" == "$n" ]] || die "v1.1.0 was scheduled for $scheduled devices, not $n"
    log "published v1.1.0 to $scheduled devices in ${PUBLISH_SECONDS} s"
    sql "$db" <<'SQL'
update device_updates du
   set status = 'completed', started_at = now() - interval '10 minutes', completed_at = now() - interval '5 minutes',
       updated_at = now() - interval '5 minutes'
  from devices d
 where du.device_id = d.id and ('x' || right(d.device_uuid, 12))::bit(48)::bigint % 10 <> 0;
update devices set current_version = 'v1.1.0' where ('x' || right(device_uuid, 12))::bit(48)::bigint % 10 <> 0;
vacuum analyze;
SQL
    CHECKIN_PENDING="$(sql "$db" -c "select count(*) from device_updates where status = 'pending'")"
    log "fleet ready in $((SECONDS - t0)) s: $n devices, $CHECKIN_PENDING with v1.1.0 pending"
}

# checkin_fleet_answers URL: checkin.lua's idea of a device must be the server's at URL: one pending and one
# up-to-date device, by hand (a heartbeat, then the check's update_available).
checkin_fleet_answers() {
    local url="$1" n uuid version code available expected
    for n in 10 11; do
        uuid="$(printf '00000000-0000-7000-8000-%012x' "$n")"
        version=v1.1.0; ((n % 10 == 0)) && version=v1.0.0
        code="$(curl -sS -o "$WORK/hb.json" -w '%{http_code}' -H "X-API-Key: dvt_bench_$n" -H 'Content-Type: application/json' \
            -d "{\"current_version\":\"$version\",\"status\":\"online\"}" "$url/api/v1/devices/$uuid/heartbeat")"
        [[ "$code" == 200 ]] || { cat "$WORK/hb.json" >&2; die "heartbeat of device $n at $url answered $code"; }
        available="$(curl -fsS -H "X-API-Key: dvt_bench_$n" "$url/api/v1/devices/$uuid/updates/check" | json_field update_available)"
        expected=False; ((n % 10 == 0)) && expected=True
        [[ "$available" == "$expected" ]] || die "device $n at $url: update_available=$available, expected $expected"
    done
}

# The small Java tool beside these scripts, on the protocol classes and Jackson taken from the server jar.
bench_tool() {
    local cp="$BENCH_CACHE/lib"
    mkdir -p "$BENCH_CACHE"
    # several run at once (packages are built in parallel): one extracts, under a lock, while the others wait
    (
        flock 9
        if [[ ! -f "$cp/.from" || "$(cat "$cp/.from")" != "$(stat -c %Y-%s "$SERVER_JAR")" ]]; then
            rm -rf "$cp" && mkdir -p "$cp"
            (cd "$cp" && unzip -qj "$SERVER_JAR" 'BOOT-INF/lib/protocol-*.jar' 'BOOT-INF/lib/jackson-databind-3*.jar' \
                'BOOT-INF/lib/jackson-core-3*.jar' 'BOOT-INF/lib/jackson-annotations-*.jar')
            stat -c %Y-%s "$SERVER_JAR" >"$cp/.from"
        fi
    ) 9>"$BENCH_CACHE/lib.lock"
    java -cp "$(printf '%s:' "$cp"/*.jar)" "$BENCH_DIR/BenchTool.java" "$@"
}

# cached_package SIZE_MIB: the path of a valid v2.0.0 package of SIZE_MIB MiB of random content (fixed seed), built
# once into $BENCH_CACHE and reused by later runs (download.sh, downloads_bench.sh).
cached_package() {
    local size_mib="$1" zip="$BENCH_CACHE/update_v2.0.0-${1}MiB.zip"
    if [[ ! -f "$zip" ]]; then
        log "building a ${size_mib} MiB package (random content, fixed seed) into $zip"
        bench_tool package "$zip.tmp" v2.0.0 scheduled $((size_mib * 1024 * 1024)) >/dev/null
        chmod 644 "$zip.tmp" && mv "$zip.tmp" "$zip"
    fi
    echo "$zip"
}

# publish ZIP VERSION TYPE [FIELD=VALUE...]: POST /api/v1/updates/create with the admin key, with the rollout's form
# fields given (phases=1,100%, soak=30d, ...); fails on anything but 201. Sets PUBLISH_SECONDS (curl's total time)
# and PUBLISHED (the response body). Not in $(...): it sets variables.
publish() {
    local zip="$1" version="$2" type="$3" out field fields=()
    shift 3
    for field in "$@"; do fields+=(-F "$field"); done
    out="$(curl -sS -o "$WORK/publish.json" -w '%{http_code} %{time_total}' -H "X-API-Key: $ADMIN_KEY" \
        -F "package=@$zip;type=application/zip" -F "version=$version" -F "description=bench $version" \
        -F "update_type=$type" ${fields[@]+"${fields[@]}"} "$SERVER_URL/api/v1/updates/create")"
    [[ "${out%% *}" == 201 ]] || { cat "$WORK/publish.json" >&2; die "publishing $version answered ${out%% *}"; }
    PUBLISH_SECONDS="${out##* }"
    PUBLISHED="$(cat "$WORK/publish.json")"
}

# copy_ms DB all|no-fk|bare UPDATE_ID [ROWS]: the milliseconds (psql's \timing) of a plain INSERT ... SELECT of
# pending rows of UPDATE_ID into an empty copy of device_updates: "all" with its indexes, checks, foreign keys,
# triggers and storage parameters (copied from the catalog, so that the copy follows the schema), "no-fk" without
# its foreign keys, "bare" without indexes and foreign keys. ROWS: the FROM clause giving the devices as d (default:
# every device). The least the server's one set-based statement can cost, in the most favourable case (small fresh
# indexes).
copy_ms() {
    local db="$1" mode="$2" update="$3" rows="${4:-from devices d}"
    sql "$db" <<SQL | awk '/^Time:/ {t = $2} END {print t}'
drop table if exists bench_baseline;
create table bench_baseline (like device_updates including defaults including constraints $([[ "$mode" == bare ]] || echo "including indexes"));
-- What LIKE leaves out, copied from the catalog so that the copy follows the schema: foreign keys, triggers,
-- storage parameters such as fillfactor.
do \$\$
declare r record;
begin
    for r in select pg_get_constraintdef(oid) as def from pg_constraint
              where conrelid = 'device_updates'::regclass and contype = 'f' and '$mode' = 'all' loop
        execute 'alter table bench_baseline add ' || r.def;
    end loop;
    for r in select pg_get_triggerdef(oid) as def from pg_trigger
              where tgrelid = 'device_updates'::regclass and not tgisinternal loop
        execute regexp_replace(r.def, ' ON (public\.)?device_updates ', ' ON bench_baseline ');
    end loop;
    for r in select unnest(reloptions) as opt from pg_class where oid = 'device_updates'::regclass loop
        execute 'alter table bench_baseline set (' || r.opt || ')';
    end loop;
end
\$\$;
\timing on
insert into bench_baseline (id, device_id, update_id, status, scheduled_for, created_at, updated_at)
select gen_random_uuid(), d.id, '$update', 'pending', now() + interval '1 day', now(), now() $rows;
\timing off
drop table bench_baseline;
SQL
}

# in_place_ms DB [ROWS [ROLLOUT [SQL]]]: in device_updates itself, as the bench left it, in a transaction rolled back,
# the milliseconds of a plain UPDATE that supersedes every pending row and of an INSERT ... SELECT of pending rows of a
# new update (ROWS: the FROM clause giving the devices as d, default every device; ROLLOUT: their rollout_id), then of
# each statement of SQL (which may use :'baseline_id'); printed on one line. The least the server's statements cost
# in that state.
in_place_ms() {
    local db="$1" rows="${2:-from devices d}" rollout="${3:-}" more="${4:-}"
    # shellcheck disable=SC2016 # ${rollout:+...} expands; the quotes are SQL's
    sql "$db" <<SQL | awk '/^Time:/ {t[++n] = $2} END {for (i = 1; i <= n; i++) printf "%s%s", t[i], (i < n ? " " : "\n")}'
begin;
insert into updates (id, version, update_type, package_url, sha256, size_bytes, storage_key,
                     version_major, version_minor, version_patch)
values (gen_random_uuid(), 'v99.0.0', 'scheduled', 'baseline', repeat('0', 64), 1, 'baseline', 99, 0, 0)
returning id as baseline_id \gset
\timing on
update device_updates set status = 'superseded', updated_at = now() where status = 'pending' and update_id <> :'baseline_id';
insert into device_updates (id, device_id, update_id, status, scheduled_for, created_at, updated_at${rollout:+, rollout_id})
select gen_random_uuid(), d.id, :'baseline_id', 'pending', now() + interval '1 day', now(), now()${rollout:+, '$rollout'} $rows;
$more
\timing off
rollback;
SQL
}

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }

# CPU ticks (user+system, 1/100 s) of one process, and of all backends of one database.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
    local db="$1" total=0 pid
    # backend titles read "postgres: 15/main: USER DB HOST(PORT) STATE" (the cluster part is optional)
    for pid in $(pgrep -f "^postgres: (.*: )?[^ ]+ $db " || true); do
        total=$((total + $(cpu_ticks "$pid")))
    done
    echo "$total"
}
# CPU ticks of one JVM's JIT compiler threads (C1, C2): a warm-up is over when they are nearly idle.
jit_ticks() {
    local t=0 task
    for task in /proc/"$1"/task/*; do
        if grep -q '^C[12] Compiler' "$task/comm" 2>/dev/null; then
            t=$((t + $(sed 's/.*) //' "$task/stat" | awk '{print $12 + $13}')))
        fi
    done
    echo "$t"
}
# Busy ticks of the whole machine (all cores, everything but idle and iowait), from /proc/stat.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# Waits (at most QUIET_WAIT seconds, default 300) until the 1-minute load average is below QUIET_LOAD (default 1.0):
# other work on this machine makes every figure worse, the ratios less so. Goes on regardless after the wait.
wait_quiet() {
    local deadline=$((SECONDS + ${QUIET_WAIT:-300})) load
    while :; do
        load="$(cut -d' ' -f1 /proc/loadavg)"
        awk -v l="$load" -v max="${QUIET_LOAD:-1.0}" 'BEGIN {exit !(l < max)}' && return 0
        if ((SECONDS >= deadline)); then log "load average still $load: measuring anyway (see the 'others' column)"; return 0; fi
        log "load average $load (other work on this machine): waiting for it to drop below ${QUIET_LOAD:-1.0}"
        sleep 15
    done
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

machine_line() {
    local cpu mem pg
    cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    mem="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    pg="$(psql -d postgres -qAtc 'show server_version' 2>/dev/null | cut -d' ' -f1)"
    # shellcheck source=/dev/null
    printf '%s cores (nproc) %s, %s RAM, %s, Java %s, PostgreSQL %s, kernel %s' "$(nproc)" "$cpu" "$mem" \
        "$(. /etc/os-release && echo "$PRETTY_NAME")" \
        "$(java -version 2>&1 | awk -F'"' 'NR==1 {print $2}')" "$pg" "$(uname -r)"
}

# readme_put NAME FILE: replaces the block between "<!-- NAME:begin -->" and "<!-- NAME:end -->" in bench/README.md
# with FILE (appends the block when it is not there yet).
readme_put() {
    local name="$1" file="$2" readme="$BENCH_DIR/README.md"
    [[ -f "$readme" ]] || touch "$readme"
    python3 - "$readme" "$name" "$file" <<'PY'
import re, sys
readme, name, file = sys.argv[1:]
text = open(readme, encoding="utf-8").read()
block = "<!-- %s:begin -->\n%s\n<!-- %s:end -->" % (name, open(file, encoding="utf-8").read().rstrip("\n"), name)
pattern = re.compile(r"<!-- %s:begin -->.*?<!-- %s:end -->" % (re.escape(name), re.escape(name)), re.S)
text = pattern.sub(lambda m: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
open(readme, "w", encoding="utf-8").write(text)
PY
    log "wrote the table into $readme ($name)"
}
