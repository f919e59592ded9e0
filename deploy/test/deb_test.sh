#!/usr/bin/env bash
# Tests the .deb packages of the agent and the server (built by `./mvnw package`, deploy/debian/): lintian, then
# real dpkg installs into scratch roots (dpkg --root with --force-script-chrootless, so the maintainer scripts run
# with $DPKG_ROOT set), the installed units checked with systemd-analyze verify, `remove` and `purge`. See --help.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deploy="$(dirname "$here")"
top="$(dirname "$deploy")"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  cat <<'HELP'
Usage: deploy/test/deb_test.sh [TEST_NAME...]

Runs the tests of the javia-ota-agent and javia-ota-server packages (all, or the named ones). Each install goes
into its own scratch root under a temporary directory, with its own dpkg database; nothing outside it is touched
and nothing is started (a recording systemctl and deb-systemd-invoke are first on PATH, and must stay unused).

The packages: the newest pi-agent/target/javia-ota-agent_*.deb and server/target/javia-ota-server_*.deb (build
them with ./mvnw -B -ntp -pl pi-agent -am package -DskipTests), or DEB_TEST_AGENT_DEB / DEB_TEST_SERVER_DEB.
Needs: dpkg, lintian, systemd-analyze, systemd-sysusers, deb-systemd-helper (Debian: apt-get install lintian
systemd init-system-helpers unzip), a java on PATH. Run as root (dpkg --root with --force-not-root also works as a
user, but the files then belong to that user). The test_under_systemd_* cases run dpkg in a chroot where systemd
"runs" (an overlay of /usr, recording systemctl and deb-systemd-invoke): they need root and mount namespaces
(unshare), and say "skipped" without them. test_server_starts_from_its_installed_jar_and_settings_template starts
the packaged server with its settings template filled in: it needs PostgreSQL on 127.0.0.1:5432 for user postgres
(as the Maven tests do), and says "skipped" without it.
Exit: 0 when every test passed; 1 otherwise, with what differed.
HELP
  exit 0
fi

newest() { ls -t $1 2>/dev/null | head -n 1 || true; }   # $1: a glob
agent_deb="${DEB_TEST_AGENT_DEB:-$(newest "$top/pi-agent/target/javia-ota-agent_*_all.deb")}"
server_deb="${DEB_TEST_SERVER_DEB:-$(newest "$top/server/target/javia-ota-server_*_all.deb")}"
for deb in "$agent_deb" "$server_deb"; do
  [[ -n "$deb" && -f "$deb" ]] || { echo "deb_test: no package found: build them first with ./mvnw -B -ntp -pl pi-agent -am package -DskipTests" >&2; exit 1; }
done
for tool in dpkg dpkg-deb lintian systemd-analyze systemd-sysusers deb-systemd-helper java unzip curl openssl; do
  command -v "$tool" >/dev/null || { echo "deb_test: $tool is needed (see --help)" >&2; exit 1; }
done
agent_version="$(dpkg-deb -f "$agent_deb" Version)"
server_version="$(dpkg-deb -f "$server_deb" Version)"
release="v${agent_version%%[~+-]*}"
echo "deb_test: $(basename "$agent_deb"), $(basename "$server_deb") (agent $agent_version: release $release; server $server_version)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A systemctl and deb-systemd-invoke that record: an install into another root must never start or stop anything.
mkdir -p "$work/bin"
for tool in systemctl deb-systemd-invoke; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/started.log"\n' "$tool" "$work" > "$work/bin/$tool"
  chmod 755 "$work/bin/$tool"
done
: > "$work/started.log"
export PATH="$work/bin:$PATH"

passed=0
failed=0
failures=()
current=""

fail() {
  failures+=("$current: $*")
  echo "    FAIL: $*"
  return 1
}
assert_eq() { [[ "$1" == "$2" ]] || fail "${3:-values differ}: expected '$2', got '$1'"; }
assert_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2'"$'\n'"$1"; }
assert_file() { [[ -f "$1" ]] || fail "missing file ${1#"$root"}"; }
assert_dir() { [[ -d "$1" ]] || fail "missing directory ${1#"$root"}"; }
assert_gone() { [[ ! -e "$1" && ! -L "$1" ]] || fail "${1#"$root"} should not exist"; }
assert_mode() { assert_eq "$(stat -c '%a %u:%g' "$1")" "$2" "mode and owner of ${1#"$root"}"; }
assert_link() { assert_eq "$(readlink "$1" || true)" "$2" "target of ${1#"$root"}"; }

# new_root: an empty scratch root with an empty dpkg database ($root)
new_root() {
  root="$work/$current"
  rm -rf "$root"
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/etc"
  : > "$root/var/lib/dpkg/status"
  : > "$root/var/lib/dpkg/available"
}

# dpkg_root ARGS...: dpkg on the scratch root; the maintainer scripts run here with DPKG_ROOT=$root. Java and
# init-system-helpers are not in the scratch root's database: --force-depends. Sets $out and $rc.
dpkg_root() {
  set +e
  out="$(dpkg --root="$root" --log="$work/dpkg.log" --force-script-chrootless --force-not-root --force-depends \
    "$@" 2>&1)"
  rc=$?
  set -e
}

status_of() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' ' || true; }

# verify_units FILE...: systemd-analyze verify on copies of installed units, their commands resolved inside the
# scratch root (and /usr/bin/java to this machine's java); any output is a failure, as in deploy/verify-units.sh.
verify_units() {
  local dir="$work/$current-units" java_path output
  rm -rf "$dir"; mkdir -p "$dir"
  java_path="$(command -v java)"
  for unit in "$@"; do
    sed -e "s#/usr/lib/javia-agent/#$root/usr/lib/javia-agent/#g" -e "s#/usr/bin/java#$java_path#g" \
      -e "s#/opt/javia-ota/server.jar#$root/opt/javia-ota/server.jar#g" "$unit" > "$dir/$(basename "$unit")"
  done
  if ! output="$(cd "$dir" && systemd-analyze verify --man=no ./* 2>&1)" || [[ -n "$output" ]]; then
    fail "systemd-analyze verify: ${output:-failed without a message}"
  fi
}

# ------------------------------------------------------------------------------------------------- tests

test_lintian_finds_nothing_in_the_agent_package() {
  local report
  report="$(lintian --tag-display-limit 0 -I --pedantic "$agent_deb" 2>&1 | grep -v 'running with root privileges' || true)"
  assert_eq "$report" "" "lintian's tags (explain a tag in deploy/debian/agent/lintian-overrides, or fix it)"
}

test_lintian_finds_nothing_in_the_server_package() {
  local report
  report="$(lintian --tag-display-limit 0 -I --pedantic "$server_deb" 2>&1 | grep -v 'running with root privileges' || true)"
  assert_eq "$report" "" "lintian's tags (explain a tag in deploy/debian/server/lintian-overrides, or fix it)"
}

# main_class JAR: the Main-Class of a jar's manifest
main_class() { unzip -p "$1" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' | sed -n 's/^Main-Class: //p'; }

test_the_packages_carry_the_runnable_jars() {
  new_root
  dpkg-deb -x "$agent_deb" "$root"
  dpkg-deb -x "$server_deb" "$root"
  # the shaded agent (the plain jar has no Main-Class) and Spring Boot's executable jar (not the plain one)
  assert_eq "$(main_class "$root/usr/share/javia-agent/pi-agent.jar")" dev.javia.ota.agent.Main "the agent jar's Main-Class"
  assert_contains "$(main_class "$root/opt/javia-ota/server.jar")" org.springframework.boot.loader "the server jar's Main-Class"
}

test_agent_install_makes_the_first_release_current_and_enables_the_units() {
  new_root
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_eq "$(status_of javia-ota-agent)" "ii" "package status"
  assert_mode "$root/usr/share/javia-agent/pi-agent.jar" "644 0:0"
  assert_mode "$root/usr/lib/javia-agent/run-agent" "755 0:0"
  assert_mode "$root/usr/lib/javia-agent/javia-agent-guard" "755 0:0"
  assert_mode "$root/usr/lib/javia-agent/jvm.options" "644 0:0"
  for unit in javia-ota-agent.service javia-ota-agent-guard.service javia-ota-agent-guard.timer; do
    assert_mode "$root/lib/systemd/system/$unit" "644 0:0"
  done
  assert_mode "$root/etc/javia-agent" "755 0:0"
  assert_mode "$root/var/lib/javia-agent" "755 0:0"
  assert_link "$root/opt/javia-agent/current" "releases/$release"
  assert_eq "$(cat "$root/opt/javia-agent/current/VERSION")" "$release" "VERSION of the release"
  assert_mode "$root/opt/javia-agent/releases/$release/pi-agent.jar" "644 0:0"
  cmp -s "$root/opt/javia-agent/releases/$release/pi-agent.jar" "$root/usr/share/javia-agent/pi-agent.jar" \
    || fail "the release's jar differs from the packaged one"
  assert_gone "$root/opt/javia-agent/previous"
  # dpkg does not own the release: an upgrade must never delete the jar the running agent uses
  assert_eq "$(dpkg-query --admindir="$root/var/lib/dpkg" -L javia-ota-agent | grep -c '^/opt' || true)" 0 \
    "files of the package under /opt"
  assert_link "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service" \
    /lib/systemd/system/javia-ota-agent.service
  assert_link "$root/etc/systemd/system/timers.target.wants/javia-ota-agent-guard.timer" \
    /lib/systemd/system/javia-ota-agent-guard.timer
  assert_eq "$(cat "$work/started.log")" "" "systemctl/deb-systemd-invoke calls for an install into another root"
}

test_agent_installed_units_pass_systemd_analyze_verify() {
  new_root
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  verify_units "$root"/lib/systemd/system/javia-ota-agent*
}

test_agent_remove_stops_nothing_here_and_keeps_settings_state_and_releases() {
  new_root
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  ( umask 077; echo "SERVER_URL=http://ota.test:8000" > "$root/etc/javia-agent/agent.env" )
  echo "format=1" > "$root/var/lib/javia-agent/agent-trial"
  dpkg_root -r javia-ota-agent
  assert_eq "$rc" 0 "dpkg -r (output: $out)"
  assert_eq "$(status_of javia-ota-agent)" "rc" "package status after remove"
  assert_mode "$root/etc/javia-agent/agent.env" "600 0:0"
  assert_file "$root/var/lib/javia-agent/agent-trial"
  assert_link "$root/opt/javia-agent/current" "releases/$release"
  assert_gone "$root/usr/lib/javia-agent/run-agent"
  assert_gone "$root/lib/systemd/system/javia-ota-agent.service"
  assert_gone "$root/usr/share/javia-agent/pi-agent.jar"
  # masked, as deb-systemd-helper does, so a leftover enablement does not point at a missing unit
  assert_link "$root/etc/systemd/system/javia-ota-agent.service" /dev/null
  assert_eq "$(cat "$work/started.log")" "" "systemctl/deb-systemd-invoke calls"
}

test_agent_purge_removes_settings_state_and_releases_and_keeps_the_device_and_the_app() {
  new_root
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  ( umask 077; echo "SERVER_URL=http://ota.test:8000" > "$root/etc/javia-agent/agent.env" )
  echo "format=1" > "$root/var/lib/javia-agent/agent-trial"
  mkdir -p "$root/root" "$root/opt/javia/releases/v1.0.0" "$root/etc/systemd/system/javia-ota-agent.service.d" \
    "$root/var/cache/javia-agent"
  echo "archive" > "$root/var/cache/javia-agent/pi-agent-v0.1.0-1.jsa"
  echo "0190f7a4-5b6c-7d8e-9f00-112233445566" > "$root/root/.javia_device_uuid"
  echo "token" > "$root/root/.javia_device_token"
  echo "key" > "$root/root/device-key.pem"
  ln -s releases/v1.0.0 "$root/opt/javia/current"
  ln -s /opt/javia-agent/current/javia-ota-agent.conf "$root/etc/systemd/system/javia-ota-agent.service.d/50-release.conf"
  dpkg_root -P javia-ota-agent
  assert_eq "$rc" 0 "dpkg -P (output: $out)"
  assert_eq "$(status_of javia-ota-agent)" "" "package status after purge"
  assert_gone "$root/etc/javia-agent"
  assert_gone "$root/var/lib/javia-agent"
  assert_gone "$root/opt/javia-agent"
  assert_gone "$root/var/cache/javia-agent"
  assert_gone "$root/etc/systemd/system/javia-ota-agent.service.d"
  assert_gone "$root/etc/systemd/system/javia-ota-agent.service"
  assert_gone "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service"
  assert_gone "$root/etc/systemd/system/timers.target.wants/javia-ota-agent-guard.timer"
  assert_file "$root/root/.javia_device_uuid"
  assert_file "$root/root/.javia_device_token"
  assert_file "$root/root/device-key.pem"
  assert_link "$root/opt/javia/current" releases/v1.0.0
}

test_agent_reinstall_after_remove_is_enabled_again_and_keeps_the_settings() {
  new_root
  dpkg_root -i "$agent_deb"
  ( umask 077; echo "SERVER_URL=http://ota.test:8000" > "$root/etc/javia-agent/agent.env" )
  dpkg_root -r javia-ota-agent
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i after remove (output: $out)"
  assert_gone "$root/etc/systemd/system/javia-ota-agent.service"
  assert_link "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service" \
    /lib/systemd/system/javia-ota-agent.service
  assert_eq "$(cat "$root/etc/javia-agent/agent.env")" "SERVER_URL=http://ota.test:8000" "agent.env"
}

test_agent_install_over_an_older_release_switches_and_keeps_it_as_previous() {
  new_root
  mkdir -p "$root/opt/javia-agent/releases/v0.0.1"
  echo v0.0.1 > "$root/opt/javia-agent/releases/v0.0.1/VERSION"
  ln -s releases/v0.0.1 "$root/opt/javia-agent/current"
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_link "$root/opt/javia-agent/current" "releases/$release"
  assert_link "$root/opt/javia-agent/previous" releases/v0.0.1
}

test_agent_install_leaves_a_newer_self_updated_agent_current() {
  new_root
  mkdir -p "$root/opt/javia-agent/releases/v99.0.0"
  echo v99.0.0 > "$root/opt/javia-agent/releases/v99.0.0/VERSION"
  ln -s releases/v99.0.0 "$root/opt/javia-agent/current"
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_link "$root/opt/javia-agent/current" releases/v99.0.0
  assert_file "$root/opt/javia-agent/releases/$release/pi-agent.jar"
  assert_gone "$root/opt/javia-agent/previous"
}

test_agent_install_during_a_self_update_trial_leaves_current_to_the_guard() {
  new_root
  mkdir -p "$root/opt/javia-agent/releases/v0.0.1" "$root/opt/javia-agent/releases/v0.0.2" "$root/var/lib/javia-agent"
  echo v0.0.1 > "$root/opt/javia-agent/releases/v0.0.1/VERSION"
  echo v0.0.2 > "$root/opt/javia-agent/releases/v0.0.2/VERSION"
  ln -s releases/v0.0.2 "$root/opt/javia-agent/current"
  ln -s releases/v0.0.1 "$root/opt/javia-agent/previous"
  printf 'format=1\nstate=trial\nfrom=v0.0.1\nto=v0.0.2\n' > "$root/var/lib/javia-agent/agent-trial"
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_contains "$out" "a self-update is on trial: current stays" "dpkg's output"
  assert_link "$root/opt/javia-agent/current" releases/v0.0.2
  assert_link "$root/opt/javia-agent/previous" releases/v0.0.1
  assert_file "$root/opt/javia-agent/releases/$release/pi-agent.jar"
}

test_agent_install_replaces_the_unit_setup_sh_wrote_and_keeps_the_legacy_jar() {
  new_root
  local marker="# Installed by Javia OTA deploy/setup.sh: it rewrites this file; put your changes in a drop-in (systemctl edit)."
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/opt/javia-agent"
  { echo "$marker"; cat "$deploy/systemd/javia-ota-agent.service"; } > "$root/etc/systemd/system/javia-ota-agent.service"
  ln -s /etc/systemd/system/javia-ota-agent.service "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service"
  echo "legacy jar" > "$root/opt/javia-agent/pi-agent.jar"
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_gone "$root/etc/systemd/system/javia-ota-agent.service"
  assert_link "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service" \
    /lib/systemd/system/javia-ota-agent.service
  assert_eq "$(cat "$root/opt/javia-agent/pi-agent.jar")" "legacy jar" "the legacy /opt/javia-agent/pi-agent.jar"
}

test_agent_install_keeps_an_operators_own_unit_in_etc() {
  new_root
  mkdir -p "$root/etc/systemd/system"
  printf '[Service]\nExecStart=/usr/local/bin/my-agent\n' > "$root/etc/systemd/system/javia-ota-agent.service"
  dpkg_root -i "$agent_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_eq "$(cat "$root/etc/systemd/system/javia-ota-agent.service")" \
    $'[Service]\nExecStart=/usr/local/bin/my-agent' "the operator's unit"
}

test_server_install_creates_the_user_and_gives_it_the_settings_and_the_state() {
  new_root
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_eq "$(status_of javia-ota-server)" "ii" "package status"
  local uid gid
  uid="$(awk -F: '$1 == "javia-ota" { print $3 }' "$root/etc/passwd")"
  gid="$(awk -F: '$1 == "javia-ota" { print $3 }' "$root/etc/group")"
  [[ -n "$uid" && -n "$gid" ]] || fail "no user or group javia-ota in the root's /etc/passwd, /etc/group"
  assert_eq "$(awk -F: '$1 == "javia-ota" { print $6 " " $7 }' "$root/etc/passwd")" \
    "/var/lib/javia-ota /usr/sbin/nologin" "home and shell of javia-ota"
  (( uid < 1000 )) || fail "javia-ota is not a system user (uid $uid)"
  assert_mode "$root/etc/javia-ota" "750 0:$gid"
  assert_mode "$root/etc/javia-ota/server.env" "640 0:$gid"
  assert_mode "$root/var/lib/javia-ota" "750 $uid:$gid"
  assert_mode "$root/opt/javia-ota/server.jar" "644 0:0"
  assert_mode "$root/lib/systemd/system/javia-ota-server.service" "644 0:0"
  assert_eq "$(cat "$root/var/lib/dpkg/info/javia-ota-server.conffiles")" /etc/javia-ota/server.env "conffiles"
  assert_contains "$(cat "$root/etc/javia-ota/server.env")" $'\nOTA_ENROLLMENT_KEY=\n' "server.env template"
  assert_link "$root/etc/systemd/system/multi-user.target.wants/javia-ota-server.service" \
    /lib/systemd/system/javia-ota-server.service
  assert_eq "$(cat "$work/started.log")" "" "systemctl/deb-systemd-invoke calls"
}

test_server_installed_unit_passes_systemd_analyze_verify() {
  new_root
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  verify_units "$root/lib/systemd/system/javia-ota-server.service"
}

test_server_remove_keeps_the_edited_settings_and_the_packages_and_purge_removes_them() {
  new_root
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  sed -i 's/^OTA_ENROLLMENT_KEY=$/OTA_ENROLLMENT_KEY=enroll-0123456789abcdef0123456789/' "$root/etc/javia-ota/server.env"
  mkdir -p "$root/var/lib/javia-ota/packages"
  echo zip > "$root/var/lib/javia-ota/packages/v1.0.0.zip"
  dpkg_root -r javia-ota-server
  assert_eq "$rc" 0 "dpkg -r (output: $out)"
  assert_eq "$(status_of javia-ota-server)" "rc" "package status after remove"
  assert_contains "$(cat "$root/etc/javia-ota/server.env")" "OTA_ENROLLMENT_KEY=enroll-0123456789abcdef0123456789" \
    "server.env after remove"
  assert_file "$root/var/lib/javia-ota/packages/v1.0.0.zip"
  assert_gone "$root/opt/javia-ota/server.jar"
  # installing it again keeps the operator's settings (a conffile they edited)
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "dpkg -i after remove (output: $out)"
  assert_contains "$(cat "$root/etc/javia-ota/server.env")" "OTA_ENROLLMENT_KEY=enroll-0123456789abcdef0123456789" \
    "server.env after a reinstall"
  dpkg_root -P javia-ota-server
  assert_eq "$rc" 0 "dpkg -P (output: $out)"
  assert_eq "$(status_of javia-ota-server)" "" "package status after purge"
  assert_gone "$root/etc/javia-ota"
  assert_gone "$root/var/lib/javia-ota"
  assert_gone "$root/etc/systemd/system/multi-user.target.wants/javia-ota-server.service"
  # Debian never deletes a system user
  assert_contains "$(cat "$root/etc/passwd")" "javia-ota:" "/etc/passwd after purge"
}

# The settings template's names are the server's: the installed jar, started the way its unit starts it (the
# template as its environment file, keys and database filled in as docs/operations.md says), becomes ready.
# Needs PostgreSQL on 127.0.0.1:5432 for user postgres (as the Maven tests do); skipped without it.
test_server_starts_from_its_installed_jar_and_settings_template() {
  if ! command -v psql >/dev/null || ! psql -h 127.0.0.1 -U postgres -Atqc 'select 1' >/dev/null 2>&1; then
    echo "    skipped: needs PostgreSQL on 127.0.0.1:5432 (user postgres)"
    return 0
  fi
  new_root
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "dpkg -i (output: $out)" || return 1
  local db="javia_ota_debtest_$(date +%s)_$RANDOM" port="" candidate pid ready=false env_file="$work/$current.env"
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port="$candidate"; break; fi
  done
  [[ -n "$port" ]] || { fail "found no free port"; return 1; }
  sed -e "s/^OTA_ADMIN_API_KEY=$/OTA_ADMIN_API_KEY=$(openssl rand -hex 32)/" \
    -e "s/^OTA_ENROLLMENT_KEY=$/OTA_ENROLLMENT_KEY=$(openssl rand -hex 32)/" \
    -e "s#^SPRING_DATASOURCE_URL=.*#SPRING_DATASOURCE_URL=jdbc:postgresql://127.0.0.1:5432/$db#" \
    -e "s/^SPRING_DATASOURCE_USERNAME=.*/SPRING_DATASOURCE_USERNAME=postgres/" \
    -e "s#^OTA_STORAGE_PATH=.*#OTA_STORAGE_PATH=$root/var/lib/javia-ota/packages#" \
    -e "s/^SERVER_PORT=.*/SERVER_PORT=$port/" "$root/etc/javia-ota/server.env" > "$env_file"
  psql -h 127.0.0.1 -U postgres -qc "create database $db" >/dev/null
  ( set -a; . "$env_file"; set +a; exec java -XX:+ExitOnOutOfMemoryError -jar "$root/opt/javia-ota/server.jar" ) \
    > "$work/$current.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || break
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/actuator/health/readiness" 2>/dev/null | grep -q '"UP"'; then
      ready=true; break
    fi
    sleep 1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db" >/dev/null 2>&1 || true
  $ready || fail "the server from the package did not become ready on port $port: $(tail -n 20 "$work/$current.log")"
}

test_server_install_respects_a_statoverride_on_its_settings() {
  new_root
  dpkg_root -i "$server_deb"
  dpkg-statoverride --root="$root" --add root root 0600 /etc/javia-ota/server.env
  chmod 0600 "$root/etc/javia-ota/server.env"; chown 0:0 "$root/etc/javia-ota/server.env"
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "second dpkg -i (output: $out)"
  assert_mode "$root/etc/javia-ota/server.env" "600 0:0"
}

test_server_upgrade_keeps_the_user_and_the_settings() {
  new_root
  dpkg_root -i "$server_deb"
  local passwd; passwd="$(cat "$root/etc/passwd")"
  echo "SERVER_PORT=9000" >> "$root/etc/javia-ota/server.env"
  dpkg_root -i "$server_deb"
  assert_eq "$rc" 0 "second dpkg -i (output: $out)"
  assert_eq "$(cat "$root/etc/passwd")" "$passwd" "/etc/passwd after a second install"
  assert_contains "$(cat "$root/etc/javia-ota/server.env")" "SERVER_PORT=9000" "server.env"
  assert_eq "$(stat -c %a "$root/etc/javia-ota/server.env")" 640 "mode of server.env"
}

# ------------------------------------------------------------------------------------------------- under systemd
# The maintainer scripts' other branch, for a machine where systemd runs: dpkg inside a chroot whose /run/systemd/
# system exists. The chroot's /usr is an overlay of this machine's (writes land in the test's directory), its
# systemctl and deb-systemd-invoke record instead of acting. Needs root and mount namespaces (unshare); skipped
# without them.

can_chroot() {
  [[ $EUID -eq 0 ]] && command -v unshare >/dev/null && command -v chroot >/dev/null \
    && unshare --mount --fork sh -c 'd="$(mktemp -d)" && mkdir "$d/u" "$d/w" "$d/m" &&
         mount -t overlay overlay -o lowerdir=/usr,upperdir="$d/u",workdir="$d/w" "$d/m"; rc=$?; umount "$d/m" 2>/dev/null; rm -rf "$d"; exit $rc' \
       >/dev/null 2>&1
}

# new_chroot: $root, a chroot with an empty dpkg database, only root in /etc/passwd, and "systemd running"
new_chroot() {
  chroot_dir="$work/$current-chroot"
  rm -rf "$chroot_dir"
  mkdir -p "$chroot_dir/root" "$chroot_dir/upper" "$chroot_dir/work"
  root="$chroot_dir/root"
  mkdir -p "$root/usr" "$root/etc" "$root/dev" "$root/proc" "$root/tmp" "$root/root" "$root/run/systemd/system" \
    "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/var/log"
  : > "$root/var/lib/dpkg/status"
  : > "$root/var/lib/dpkg/available"
  for link in bin lib lib64 sbin; do
    if [[ -L "/$link" ]]; then ln -s "$(readlink "/$link")" "$root/$link"; fi
  done
  for db in passwd group shadow gshadow; do grep '^root:' "/etc/$db" > "$root/etc/$db" || true; done
  cp "$agent_deb" "$root/tmp/agent.deb"
  cp "$server_deb" "$root/tmp/server.deb"
  : > "$root/tmp/calls.log"
}

# in_chroot CMD...: CMD in the chroot, in a mount namespace of its own; sets $out and $rc
in_chroot() {
  set +e
  out="$(unshare --mount --fork sh -c '
    root="$1"; dir="$2"; shift 2
    mount -t overlay overlay -o lowerdir=/usr,upperdir="$dir/upper",workdir="$dir/work" "$root/usr" || exit 90
    mount --rbind /dev "$root/dev" && mount -t proc proc "$root/proc" || exit 90
    mkdir -p "$root/usr/local/sbin"
    for tool in systemctl deb-systemd-invoke; do
      printf "#!/bin/sh\necho \"%s \$*\" >> /tmp/calls.log\n" "$tool" > "$root/usr/local/sbin/$tool"
      chmod 755 "$root/usr/local/sbin/$tool"
    done
    exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/root "$@"
  ' sh "$root" "$chroot_dir" "$@" 2>&1)"
  rc=$?
  set -e
}

# calls: what the maintainer scripts asked of systemd since the last call, without deb-systemd-helper's own
# bookkeeping (its presets and daemon-reloads); then forgets them
calls() {
  grep -vE '^systemctl (--root=/ --system --preset-mode|daemon-reload$)' "$root/tmp/calls.log" || true
  : > "$root/tmp/calls.log"
}

skip_without_chroot() {
  if ! $chroot_ok; then echo "    skipped: needs root and mount namespaces (unshare, overlay)"; return 0; fi
  return 1
}

test_under_systemd_the_agent_and_its_guard_start_once_the_settings_exist_restart_on_upgrade_stop_on_remove() {
  skip_without_chroot && return 0
  new_chroot
  mkdir -p "$root/etc/javia-agent"
  ( umask 077; echo "SERVER_URL=http://ota.test:8000" > "$root/etc/javia-agent/agent.env" )
  in_chroot dpkg --force-depends -i /tmp/agent.deb
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_eq "$(calls)" $'systemctl --system daemon-reload\ndeb-systemd-invoke start javia-ota-agent.service javia-ota-agent-guard.timer' \
    "systemd calls of a first install"
  in_chroot dpkg --force-depends -i /tmp/agent.deb
  assert_eq "$rc" 0 "dpkg -i again (output: $out)"
  assert_eq "$(calls)" $'systemctl --system daemon-reload\ndeb-systemd-invoke restart javia-ota-agent.service javia-ota-agent-guard.timer' \
    "systemd calls of an upgrade"
  in_chroot dpkg -r javia-ota-agent
  assert_eq "$rc" 0 "dpkg -r (output: $out)"
  assert_eq "$(calls)" $'deb-systemd-invoke stop javia-ota-agent-guard.timer javia-ota-agent-guard.service javia-ota-agent.service\nsystemctl --system daemon-reload' \
    "systemd calls of a remove"
  assert_eq "$(cat "$root/etc/javia-agent/agent.env")" "SERVER_URL=http://ota.test:8000" "agent.env after remove"
}

test_under_systemd_the_agent_is_not_started_without_its_settings() {
  skip_without_chroot && return 0
  new_chroot
  in_chroot dpkg --force-depends -i /tmp/agent.deb
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_eq "$(calls)" "systemctl --system daemon-reload" "systemd calls"
  assert_contains "$out" "not started: /etc/javia-agent/agent.env is missing (run deploy/setup.sh)" "dpkg's output"
  # enabled all the same: under systemd deb-systemd-helper asks `systemctl preset` (recorded, filtered by calls)
  assert_contains "$(cat "$root/var/lib/systemd/deb-systemd-helper-enabled/javia-ota-agent.service.dsh-also" 2>/dev/null)" \
    multi-user.target.wants/javia-ota-agent.service "deb-systemd-helper's record of the agent's enablement"
}

test_under_systemd_a_pi_set_up_before_the_package_gets_its_agent_restarted() {
  skip_without_chroot && return 0
  new_chroot
  mkdir -p "$root/etc/javia-agent" "$root/etc/systemd/system"
  echo "SERVER_URL=http://ota.test:8000" > "$root/etc/javia-agent/agent.env"
  { echo "# Installed by Javia OTA deploy/setup.sh: it rewrites this file; put your changes in a drop-in (systemctl edit)."
    cat "$deploy/systemd/javia-ota-agent.service"; } > "$root/etc/systemd/system/javia-ota-agent.service"
  in_chroot dpkg --force-depends -i /tmp/agent.deb
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  # the running agent came from setup.sh's unit and runs the old jar: start would leave it running
  assert_eq "$(calls)" $'systemctl --system daemon-reload\ndeb-systemd-invoke restart javia-ota-agent.service javia-ota-agent-guard.timer' \
    "systemd calls"
}

test_under_systemd_the_server_waits_for_its_settings_restarts_on_upgrade_and_stops_on_remove() {
  skip_without_chroot && return 0
  new_chroot
  in_chroot dpkg --force-depends -i /tmp/server.deb
  assert_eq "$rc" 0 "dpkg -i (output: $out)"
  assert_eq "$(calls)" "systemctl --system daemon-reload" "systemd calls of a first install"
  assert_contains "$out" "set the keys and the database in /etc/javia-ota/server.env, then: systemctl start javia-ota-server"
  assert_contains "$(cat "$root/etc/passwd")" "javia-ota:" "the chroot's /etc/passwd"
  in_chroot dpkg --force-depends -i /tmp/server.deb
  assert_eq "$rc" 0 "dpkg -i again (output: $out)"
  assert_eq "$(calls)" $'systemctl --system daemon-reload\ndeb-systemd-invoke try-restart javia-ota-server.service' \
    "systemd calls of an upgrade"
  in_chroot dpkg -r javia-ota-server
  assert_eq "$rc" 0 "dpkg -r (output: $out)"
  assert_eq "$(calls)" $'deb-systemd-invoke stop javia-ota-server.service\nsystemctl --system daemon-reload' \
    "systemd calls of a remove"
}

# ------------------------------------------------------------------------------------------------- runner

chroot_ok=false
if can_chroot; then chroot_ok=true; fi
if [[ $# -gt 0 ]]; then
  tests=("$@")
else
  mapfile -t tests < <(declare -F | awk '{print $3}' | grep '^test_')
fi
for t in "${tests[@]}"; do
  current="$t"
  echo "  $t"
  before=${#failures[@]}
  "$t" || true   # assertions record failures; a test goes on after one, to show everything that differs
  if [[ ${#failures[@]} -eq $before ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "deb_test: $passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
  printf 'failed: %s\n' "${failures[@]%%:*}" | sort -u >&2
  exit 1
fi
