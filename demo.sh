#!/usr/bin/env bash
# The whole system in one command: builds everything, starts the OTA server on its own database, provisions a
# sandboxed "Pi" with deploy/setup.sh, starts its agent, publishes an update with create_update.sh and shows the
# device going from pending to completed on the new version. See --help.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$top"

usage() {
  cat <<'HELP'
Usage: ./demo.sh [--no-build] [--exit] [--timeout SECONDS]

Runs Javia OTA end to end on this machine, with nothing outside this checkout changed:
  1. builds every module (./mvnw -B -ntp -DskipTests package);
  2. makes sure PostgreSQL answers (the server in SPRING_DATASOURCE_URL, else the local one on port 5432, which it
     starts with pg_ctlcluster when it is down) and creates a database of its own in it, with a new name each run
     (javia_ota_demo_<time>_<random>), which it drops when it stops;
  3. makes a publisher key pair (create_update.sh keygen, in .demo/keys) and starts the server on a free loopback
     port with throwaway keys and that publisher key, storing packages in .demo/packages;
  4. provisions a sandboxed Raspberry Pi under .demo/pi with deploy/setup.sh from the agent's .deb (the Pi runs
     v1.0.0, and pins the publisher key) and starts its agent there: no root, and systemctl, apt-get and pip are
     recording stand-ins (deploy/sandbox/bin; its apt-get installs the .deb into .demo/pi with dpkg --root);
  5. publishes v1.1.0 (urgent, needs the apt package libopus0), signed, with packager/create_update.sh;
  6. polls the server and prints each change until the device reports completed on v1.1.0,
     then prints the curl commands to look around, and keeps everything running until Ctrl-C.

Options:
  --no-build         use the jars already in */target (fails when one is missing)
  --exit             stop everything once the update has completed (for scripts and CI) instead of waiting
  --timeout SECONDS  how long the update may take before the demo gives up (default 300)
  -h, --help         this text

Environment:
  SPRING_DATASOURCE_URL, SPRING_DATASOURCE_USERNAME, SPRING_DATASOURCE_PASSWORD
                     the PostgreSQL to use (default jdbc:postgresql://localhost:5432/..., user postgres, who must
                     be allowed to create databases). The demo never touches a database it did not create: its own
                     is dropped when it stops (also on Ctrl-C or a failure); one that a demo of this checkout left
                     behind (killed, or PostgreSQL down at the end; named in .demo/databases/) is dropped at the
                     next start unless something still uses it
  DEMO_PORT          the server's port (default: a free one)

Needs: Java 17+, curl, PostgreSQL 13+ with its client psql. Everything it writes is in .demo/ (git-ignored);
.demo/demo.env holds the server URL, the keys, the database URL (OTA_DB) and DEVICE_UUID, for the commands in docs/.
Exit: 0 the update completed (with --exit; otherwise Ctrl-C), 1 something failed (the message says what to do).
HELP
}

build=true
wait_at_end=true
timeout=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --no-build) build=false; shift ;;
    --exit) wait_at_end=false; shift ;;
    --timeout)
      [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "demo: --timeout needs a number of seconds" >&2; exit 2; }
      timeout="$2"; shift 2 ;;
    *) echo "demo: unknown argument '$1'; see ./demo.sh --help" >&2; exit 2 ;;
  esac
done

demo="$top/.demo"
started=$SECONDS
server_pid=""
agent_pid=""
short_dir=""
db_name=""   # the database this run created, dropped by cleanup; .demo/databases/NAME says where it is until then

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }
indent() { sed 's/^/    | /'; }
elapsed() { printf '+%ds' $((SECONDS - started)); }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$agent_pid" ]] && kill -0 "$agent_pid" 2>/dev/null; then kill "$agent_pid" 2>/dev/null || true; fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; fi
  for pid in $agent_pid $server_pid; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  [[ -n "$short_dir" ]] && rm -rf "$short_dir"
  if [[ -n "$server_pid$agent_pid" ]]; then
    printf '\ndemo: stopped the server and the agent it started; logs stay in .demo/ (server.log, agent.log)\n' >&2
  fi
  if [[ -n "$db_name" ]]; then
    # its own database, which nothing else uses: connections left (a psql of yours on it) are closed
    if psql_demo -d postgres -c "drop database if exists $db_name with (force)" 2>"$demo/psql.err" \
        || psql_demo -d postgres -c "drop database if exists $db_name" 2>>"$demo/psql.err"; then
      rm -f "$demo/databases/$db_name"
      printf 'demo: dropped its database %s\n' "$db_name" >&2
    else
      printf 'demo: could not drop its database %s (%s); the next ./demo.sh drops it\n' "$db_name" \
        "$(tail -n 1 "$demo/psql.err")" >&2
    fi
  fi
  rm -f "$demo/demo.pid"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------------------ prerequisites
command -v java >/dev/null 2>&1 || die "java was not found: install Java 17 (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless)"
java_major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
[[ -n "$java_major" && "$java_major" -ge 17 ]] || die "java is version ${java_major:-unknown}; Java 17 or newer is needed (sudo apt-get install openjdk-17-jdk-headless)"
command -v curl >/dev/null 2>&1 || die "curl was not found: sudo apt-get install curl"

mkdir -p "$demo/databases"
running_demo() { die "another demo of this checkout is running (pid $(cat "$demo/demo.pid" 2>/dev/null || echo unknown)): stop it with Ctrl-C in its terminal, or kill that pid"; }
# .demo/demo.pid says a demo of this checkout runs; the lock makes its check and its writing one step, so that two
# demos started at once cannot both pass (and then drop each other's database as left behind).
if command -v flock >/dev/null 2>&1; then
  exec 9> "$demo/demo.lock"
  flock -n 9 || running_demo
fi
if [[ -f "$demo/demo.pid" ]] && kill -0 "$(cat "$demo/demo.pid")" 2>/dev/null; then
  running_demo
fi
echo $$ > "$demo/demo.pid"
exec 9>&-
rm -rf "$demo/pi" "$demo/packages" "$demo/app" "$demo/sandbox" "$demo/dist"
rm -f "$demo"/*.log "$demo/demo.env"

# ------------------------------------------------------------------------------------------ 1. build
step "1/6 Building every module (./mvnw -B -ntp -DskipTests package; minutes the first time, log in .demo/build.log)"
if $build; then
  if ! ./mvnw -B -ntp -DskipTests package > "$demo/build.log" 2>&1; then
    grep -E '^\[ERROR\]' "$demo/build.log" | head -n 20 | indent >&2 || tail -n 20 "$demo/build.log" | indent >&2
    die "the build failed (above, and in .demo/build.log): fix it, or run ./mvnw -B -ntp -DskipTests package yourself to see why"
  fi
  info "built"
else
  info "skipped (--no-build)"
fi
server_jar="$(ls server/target/server-*-exec.jar 2>/dev/null | head -n 1 || true)"
agent_jar="pi-agent/target/pi-agent.jar"
agent_deb="$(ls -t pi-agent/target/javia-ota-agent_*_all.deb 2>/dev/null | head -n 1 || true)"
packager_jar="packager/target/create-update.jar"
for jar in "$server_jar" "$agent_jar" "$agent_deb" "$packager_jar"; do
  [[ -n "$jar" && -f "$jar" ]] || die "a build output is missing (${jar:-server/target/server-*-exec.jar or pi-agent/target/javia-ota-agent_*_all.deb}): run ./demo.sh without --no-build"
done

# ------------------------------------------------------------------------------------------ 2. PostgreSQL
step "2/6 PostgreSQL"
configured_url="${SPRING_DATASOURCE_URL:-jdbc:postgresql://localhost:5432/javia_ota}"
db_user="${SPRING_DATASOURCE_USERNAME:-postgres}"
[[ "$configured_url" =~ ^jdbc:postgresql://([^/:?]+|\[[0-9a-fA-F:]+\])(:([0-9]+))?/([^?]*)(\?.*)?$ ]] \
  || die "SPRING_DATASOURCE_URL='$configured_url' is not jdbc:postgresql://HOST[:PORT]/DATABASE[?PARAMS]"
db_host="${BASH_REMATCH[1]}"
db_port="${BASH_REMATCH[3]:-5432}"
db_params="${BASH_REMATCH[5]}"
psql_host="${db_host#[}"; psql_host="${psql_host%]}"
local_db=false
[[ "$psql_host" =~ ^(localhost|127\.0\.0\.1|::1)$ ]] && local_db=true
info "server $psql_host:$db_port, user $db_user"

command -v psql >/dev/null 2>&1 \
  || die "psql was not found: install the PostgreSQL client (sudo apt-get install postgresql-client), and PostgreSQL itself when there is none (sudo apt-get install postgresql)"
export PGCONNECT_TIMEOUT=5
[[ "$db_params" =~ sslmode=([a-z-]+) ]] && export PGSSLMODE="${BASH_REMATCH[1]}"
psql_demo() { PGPASSWORD="${SPRING_DATASOURCE_PASSWORD:-}" psql -X -q -w -v ON_ERROR_STOP=1 -h "$psql_host" -p "$db_port" -U "$db_user" "$@"; }

pg_answers() { psql_demo -d postgres -tAc 'select 1' >/dev/null 2>"$demo/psql.err"; }
if ! pg_answers; then
  if $local_db && grep -qiE 'connection refused|could not connect|no such file' "$demo/psql.err"; then
    # pg_lsclusters: "VERSION NAME PORT STATUS OWNER DATA LOG" for each cluster installed on this machine
    cluster=""
    if command -v pg_lsclusters >/dev/null 2>&1; then
      cluster="$(pg_lsclusters -h 2>/dev/null | awk -v port="$db_port" '$3 == port && $4 ~ /down/ { print $1 " " $2; exit }')"
    fi
    if [[ -z "$cluster" ]]; then
      die "no PostgreSQL answers on $psql_host:$db_port and there is no stopped local cluster on that port to start: install one (sudo apt-get install postgresql), start yours, or point SPRING_DATASOURCE_URL at one"
    fi
    info "not running: starting the local cluster ${cluster/ //}"
    if [[ $EUID -eq 0 ]]; then
      pg_ctlcluster --skip-systemctl-redirect $cluster start 2>&1 | indent || true
    else
      die "PostgreSQL ${cluster/ //} is installed but not running, and starting it needs root: sudo pg_ctlcluster $cluster start (or sudo systemctl start postgresql), then ./demo.sh again"
    fi
    for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
  fi
  if ! pg_answers; then
    cat "$demo/psql.err" | indent >&2
    if grep -qiE 'role .* does not exist' "$demo/psql.err"; then
      die "PostgreSQL has no user $db_user (above): set SPRING_DATASOURCE_USERNAME (and SPRING_DATASOURCE_PASSWORD) to a role that may create databases"
    fi
    if grep -qiE 'password|authentication' "$demo/psql.err"; then
      die "PostgreSQL refused user $db_user (above). Give the demo a role that may create databases: export SPRING_DATASOURCE_USERNAME=... SPRING_DATASOURCE_PASSWORD=... (on a fresh Debian: sudo -u postgres psql -c \"alter user postgres password 'postgres'\" and export SPRING_DATASOURCE_PASSWORD=postgres)"
    fi
    die "PostgreSQL on $psql_host:$db_port does not answer (above): start it, or set SPRING_DATASOURCE_URL to one that runs"
  fi
fi
info "answers"
# What a demo of this checkout left behind (it was killed, or PostgreSQL was down when it stopped). No demo of this
# checkout runs now (checked above), but a server of that run may have survived it: without FORCE, PostgreSQL
# refuses to drop a database that something still uses.
demo_db_pattern='^javia_ota_demo_[0-9]{8}_[0-9]{6}_[0-9a-f]{6}$'
for record in "$demo"/databases/*; do
  [[ -f "$record" ]] || continue
  old_name="$(basename "$record")"
  [[ "$old_name" =~ $demo_db_pattern ]] || { rm -f "$record"; continue; }
  old_where="$(cat "$record")"
  if [[ "$old_where" != "$psql_host:$db_port" ]]; then
    info "an earlier demo left its database $old_name on $old_where: drop it there once nothing uses it (drop database $old_name)"
    rm -f "$record"
  elif psql_demo -d postgres -c "drop database if exists $old_name" 2>"$demo/psql.err"; then
    info "dropped $old_name, which an earlier demo of this checkout left behind"
    rm -f "$record"
  else
    info "left $old_name (from an earlier demo of this checkout) alone: $(head -n 1 "$demo/psql.err" | sed 's/  */ /g'); a later start drops it once nothing uses it"
  fi
done
# A new name each run: another demo on this PostgreSQL (another checkout, another user) keeps its own database.
new_name="javia_ota_demo_$(date -u +%Y%m%d_%H%M%S)_$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
echo "$psql_host:$db_port" > "$demo/databases/$new_name"   # first, so that a crash right after still leaves its name
if ! psql_demo -d postgres -c "create database $new_name" 2>"$demo/psql.err"; then
  rm -f "$demo/databases/$new_name"
  indent < "$demo/psql.err" >&2
  die "cannot create the database $new_name (above): the user $db_user needs CREATEDB (sudo -u postgres psql -c \"alter role $db_user createdb\"), or set SPRING_DATASOURCE_USERNAME to a role that has it"
fi
db_name="$new_name"
demo_url="jdbc:postgresql://$db_host:$db_port/$db_name$db_params"
info "database $db_name created (dropped when the demo stops)"

# ------------------------------------------------------------------------------------------ 3. server
step "3/6 Starting the OTA server"
random_key() {
  if command -v openssl >/dev/null 2>&1; then openssl rand -hex 32
  else od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; fi
}
admin_key="$(random_key)"
enrollment_key="$(random_key)"
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port="${DEMO_PORT:-}"
if [[ -z "$port" ]]; then
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 30000))
    if port_free "$candidate"; then port="$candidate"; break; fi
  done
  [[ -n "$port" ]] || die "found no free port; set DEMO_PORT"
else
  port_free "$port" || die "port $port (DEMO_PORT) is taken: pick another"
fi
url="http://127.0.0.1:$port"
mkdir -p "$demo/packages"
# The publisher's key pair: the server accepts, and the Pi installs, only what it signs (docs/security.md)
rm -rf "$demo/keys"
packager/create_update.sh keygen --out "$demo/keys" --name publisher > "$demo/keygen.log" 2>&1 \
  || { cat "$demo/keygen.log" >&2; die "create_update.sh keygen failed (above)"; }
publisher_key="$(head -n 1 "$demo/keys/publisher.pub")"
OTA_PUBLISHER_KEYS="$publisher_key" \
OTA_ADMIN_API_KEY="$admin_key" OTA_ENROLLMENT_KEY="$enrollment_key" \
  SPRING_DATASOURCE_URL="$demo_url" SPRING_DATASOURCE_USERNAME="$db_user" \
  SPRING_DATASOURCE_PASSWORD="${SPRING_DATASOURCE_PASSWORD:-}" \
  OTA_STORAGE_PATH="$demo/packages" SERVER_PORT="$port" SERVER_ADDRESS=127.0.0.1 \
  OTA_HEARTBEAT_INTERVAL=10s OTA_CHECK_INTERVAL=10s \
  java -jar "$server_jar" > "$demo/server.log" 2>&1 &
server_pid=$!
cat > "$demo/demo.env" <<EOF
# The running demo's server, keys and database (throwaway; new each run, gone when it stops). Use: source .demo/demo.env
export OTA_SERVER_URL=$url
export OTA_ADMIN_API_KEY=$admin_key
export OTA_ENROLLMENT_KEY=$enrollment_key
export OTA_DB=postgresql://$db_user@$db_host:$db_port/$db_name${PGSSLMODE:+?sslmode=$PGSSLMODE}
EOF
if [[ -n "${SPRING_DATASOURCE_PASSWORD:-}" ]]; then
  printf 'export PGPASSWORD=%q\n' "$SPRING_DATASOURCE_PASSWORD" >> "$demo/demo.env"
fi
chmod 600 "$demo/demo.env"
info "pid $server_pid, $url, log .demo/server.log"
ready=false
for _ in $(seq 1 180); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    tail -n 30 "$demo/server.log" | indent >&2
    die "the server stopped while starting (above; whole log in .demo/server.log)"
  fi
  if curl -fsS --max-time 2 "$url/actuator/health/readiness" 2>/dev/null | grep -q '"UP"'; then ready=true; break; fi
  sleep 1
done
$ready || { tail -n 30 "$demo/server.log" | indent >&2; die "the server did not become ready within 180 s (log above and in .demo/server.log)"; }
info "ready after $(elapsed)"

api() { curl -sS --max-time 10 -H "X-API-Key: $admin_key" "$url$1"; }

# ------------------------------------------------------------------------------------------ 4. the sandboxed Pi
step "4/6 Provisioning a sandboxed Raspberry Pi in .demo/pi with deploy/setup.sh, then starting its agent"
pi="$demo/pi"
mkdir -p "$pi/usr/bin" "$pi/opt/javia/releases/v1.0.0" "$demo/sandbox"
ln -s "$(command -v java)" "$pi/usr/bin/java"   # the Pi "has" Java 17, so setup.sh installs none
# The Pi already runs v1.0.0 of the voice assistant, in the layout the agent keeps: releases/<v>, current, VERSION.
cat > "$pi/opt/javia/releases/v1.0.0/client.py" <<'EOF'
print("Javia voice assistant v1.0.0: hello")
EOF
echo "v1.0.0" > "$pi/opt/javia/releases/v1.0.0/VERSION"
ln -s releases/v1.0.0 "$pi/opt/javia/current"
echo "v1.0.0" > "$pi/opt/javia/VERSION"

export SANDBOX_LOG="$demo/pi-commands.log" SANDBOX_STATE="$demo/sandbox" SANDBOX_ROOT="$pi"
: > "$SANDBOX_LOG"
sandbox_path="$top/deploy/sandbox/bin:$PATH"
timezone="$(cat /etc/timezone 2>/dev/null || true)"
[[ -n "$timezone" && -f "/usr/share/zoneinfo/$timezone" ]] || timezone=UTC
PATH="$sandbox_path" API_KEY="$enrollment_key" bash deploy/setup.sh --root "$pi" --non-interactive \
  --server-url "$url" --timezone "$timezone" --device-name demo-pi --app-user pi --agent-deb "$agent_deb" \
  --publisher-key-file "$demo/keys/publisher.pub" < /dev/null 2>&1 | indent || die "deploy/setup.sh failed (above)"
device_uuid="$(tr -d '[:space:]' < "$pi/root/.javia_device_uuid")"
info "(setup.sh's hints above are for a real Pi; here the demo starts the agent itself)"
echo "export DEVICE_UUID=$device_uuid" >> "$demo/demo.env"

# The agent reads the agent.env that setup.sh wrote (SERVER_URL, API_KEY, DEVICE_TIMEZONE, ...). The environment
# wins over that file: here it moves the paths into the sandbox and makes everything fast.
short_dir="$(mktemp -d "${TMPDIR:-/tmp}/javia-demo.XXXXXX")"   # AF_UNIX paths must stay short
# The agent starts as javia-ota-agent.service starts it on a Pi: run-agent runs the guard, then java with the flags
# of jvm.options (setup.sh's copy in the sandbox when it installed one, else this checkout's deploy/agent/).
agent_lib="$pi/usr/lib/javia-agent"
[[ -x "$agent_lib/run-agent" && -f "$agent_lib/jvm.options" ]] || agent_lib="$top/deploy/agent"
[[ -f "$pi/opt/javia-agent/current/pi-agent.jar" || -f "$pi/opt/javia-agent/pi-agent.jar" ]] || die "no agent in $pi/opt/javia-agent (current/pi-agent.jar): setup.sh did not install the agent's package"
env -u NOTIFY_SOCKET PATH="$sandbox_path" \
  ENV_FILE="$pi/etc/javia-agent/agent.env" \
  AGENT_HOME="$pi/opt/javia-agent" AGENT_LIB="$agent_lib" JAVA="$(command -v java)" AGENT_CDS_DIR="$pi/var/cache/javia-agent" \
  AGENT_UNIT_DROPIN_DIR="$pi/etc/systemd/system/javia-ota-agent.service.d" \
  INSTALL_DIR="$pi/opt/javia" STATE_DIR="$pi/var/lib/javia-agent" DEVICE_UUID_FILE="$pi/root/.javia_device_uuid" \
  ACTIVITY_SOCKET="$short_dir/activity.sock" \
  HEARTBEAT_INTERVAL_SECONDS=5 CHECK_INTERVAL_SECONDS=5 TICK_SECONDS=1 \
  URGENT_IDLE_MINUTES=0 SCHEDULED_IDLE_MINUTES=0 HEALTH_CHECK_SECONDS=3 \
  ALSA_STREAMS=none GPIO_BUTTON_PIN= APT_VIA_SYSTEMD_RUN=false \
  sh "$agent_lib/run-agent" \
  > "$demo/agent.log" 2>&1 &
agent_pid=$!
info "agent pid $agent_pid, device $device_uuid, log .demo/agent.log"
registered=false
for _ in $(seq 1 60); do
  kill -0 "$agent_pid" 2>/dev/null || { tail -n 30 "$demo/agent.log" | indent >&2; die "the agent stopped (above; whole log in .demo/agent.log)"; }
  if device_json="$(api "/api/v1/devices/$device_uuid" 2>/dev/null)" && [[ "$device_json" == *'"device_uuid"'* ]]; then
    registered=true; break
  fi
  sleep 1
done
$registered || { tail -n 30 "$demo/agent.log" | indent >&2; die "the device did not register within 60 s (agent log above)"; }
# the first "name":"value" of a JSON answer: the record's own field, not its current_update's of the same name
field() { { grep -o "\"$1\":\"[^\"]*\"" || true; } | head -n 1 | sed 's/^"[^"]*":"\(.*\)"$/\1/'; }
info "registered: $(field device_name <<< "$device_json"), version $(field current_version <<< "$device_json"), $(field status <<< "$device_json")"

# ------------------------------------------------------------------------------------------ 5. publish
step "5/6 Publishing v1.1.0, signed, with packager/create_update.sh (urgent, needs libopus0)"
app="$demo/app/pi_client"
mkdir -p "$app"
cat > "$app/client.py" <<'EOF'
print("Javia voice assistant v1.1.0: hello, and a friendlier greeting")
EOF
echo "# the voice assistant's Python dependencies (installed into the release's own venv)" > "$app/requirements.txt"
OTA_SERVER_URL="$url" OTA_ADMIN_API_KEY="$admin_key" \
  packager/create_update.sh --sign-key "$demo/keys/publisher.key" --source "$app" v1.1.0 \
  "Demo: a friendlier greeting" urgent "libopus0" 2>&1 | indent \
  || die "create_update.sh failed (above)"

# ------------------------------------------------------------------------------------------ 6. watch
started=$SECONDS   # times below count from the publication
step "6/6 Watching the rollout (server status and the agent's UPDATE log lines; gives up after ${timeout} s)"
deadline=$((SECONDS + timeout))
last=""
agent_lines=0
outcome=""
while [[ $SECONDS -lt $deadline ]]; do
  total="$(wc -l < "$demo/agent.log")"
  if [[ "$total" -gt "$agent_lines" ]]; then
    tail -n +"$((agent_lines + 1))" "$demo/agent.log" | head -n "$((total - agent_lines))" | grep 'UPDATE' \
      | sed -E -e 's/^.*(UPDATE)/\1/' -e 's/ \[update_id=[^]]*\]$//' \
      | while IFS= read -r line; do printf '    %-6s agent:  %s\n' "$(elapsed)" "$line"; done || true
    agent_lines="$total"
  fi
  # a page of this update alone: the sed below reads the last status_counts of the answer
  updates="$(api "/api/v1/updates/?version=v1.1.0" 2>/dev/null || true)"
  device_json="$(api "/api/v1/devices/$device_uuid" 2>/dev/null || true)"
  counts="$(sed -n 's/.*"status_counts":{\([^}]*\)}.*/\1/p' <<< "$updates")"
  status=""
  for pair in ${counts//,/ }; do
    [[ "$pair" =~ \"([a-z]+)\":([0-9]+) && "${BASH_REMATCH[2]}" -gt 0 ]] && status="${BASH_REMATCH[1]}"
  done
  version="$(field current_version <<< "$device_json")"
  device_status="$(field status <<< "$device_json")"
  now="update v1.1.0 is ${status:-not scheduled yet} on demo-pi (device on ${version:-?}, ${device_status:-?})"
  if [[ "$now" != "$last" ]]; then
    printf '    %-6s server: %s\n' "$(elapsed)" "$now"
    last="$now"
  fi
  if [[ "$status" == completed && "$version" == v1.1.0 ]]; then outcome=completed; break; fi
  if [[ "$status" == failed ]]; then outcome=failed; break; fi
  kill -0 "$agent_pid" 2>/dev/null || { outcome=agent-died; break; }
  kill -0 "$server_pid" 2>/dev/null || { outcome=server-died; break; }
  sleep 1
done

case "$outcome" in
  completed) ;;
  failed)
    grep -E 'UPDATE|SEVERE|WARNING' "$demo/agent.log" | tail -n 15 | indent >&2
    die "the device reported failed (agent log above, whole log in .demo/agent.log)" ;;
  agent-died) tail -n 30 "$demo/agent.log" | indent >&2; die "the agent stopped (above; .demo/agent.log)" ;;
  server-died) tail -n 30 "$demo/server.log" | indent >&2; die "the server stopped (above; .demo/server.log)" ;;
  *) grep -E 'UPDATE|SEVERE|WARNING' "$demo/agent.log" | tail -n 15 | indent >&2
     die "the update did not complete within $timeout s (agent log above; .demo/agent.log, .demo/server.log). A slow machine? ./demo.sh --timeout 900" ;;
esac

printf '\n\033[1mThe device installed v1.1.0 and reported completed, %d s after the publication.\033[0m\n' $((SECONDS - started))
cat <<EOF

What the sandboxed Pi ran (setup.sh, then the agent; the stand-ins recorded it in .demo/pi-commands.log):
$(grep -vE 'is-(enabled|active)' "$SANDBOX_LOG" | sed 's/^/    /')
Its install root: current -> $(readlink "$pi/opt/javia/current"), releases: $(ls "$pi/opt/javia/releases" | tr '\n' ' ')

Look around (the key is this run's admin key; every value is also in .demo/demo.env):
    Dashboard: $url/   sign in with the admin key: $admin_key
    source .demo/demo.env
    curl -H "X-API-Key: \$OTA_ADMIN_API_KEY" \$OTA_SERVER_URL/api/v1/devices/
    curl -H "X-API-Key: \$OTA_ADMIN_API_KEY" \$OTA_SERVER_URL/api/v1/updates/
    curl -H "X-API-Key: \$OTA_ADMIN_API_KEY" \$OTA_SERVER_URL/api/v1/devices/\$DEVICE_UUID/updates/check
    packager/create_update.sh --sign-key .demo/keys/publisher.key --source .demo/app/pi_client v1.2.0 "Another one" urgent   # the agent installs it too

    API docs:  $url/swagger-ui.html  (Authorize with the admin key)   OpenAPI: $url/v3/api-docs
    Logs:      .demo/server.log  .demo/agent.log
    Next:      README.md, docs/architecture.md, docs/operations.md, docs/troubleshooting.md, docs/security.md
EOF

if $wait_at_end; then
  printf '\nThe server (pid %s) and the agent (pid %s) keep running. Press Ctrl-C to stop both.\n' "$server_pid" "$agent_pid"
  while kill -0 "$server_pid" 2>/dev/null && kill -0 "$agent_pid" 2>/dev/null; do sleep 2; done
  die "the server or the agent stopped; see .demo/server.log and .demo/agent.log"
fi
