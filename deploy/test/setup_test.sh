#!/usr/bin/env bash
# Tests deploy/setup.sh without a Pi, without systemd and without a server: every run installs into its own
# --root, with the recording systemctl/apt-get of deploy/sandbox/bin and the fake OTA server of
# deploy/test/fake-bin/curl first on PATH. Also runs deploy/verify-units.sh. See --help.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deploy="$(dirname "$here")"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  cat <<'HELP'
Usage: deploy/test/setup_test.sh [TEST_NAME...]

Runs the tests of deploy/setup.sh (all, or the named ones) and deploy/verify-units.sh. Each test gets a fresh
install root under a temporary directory; nothing outside it is touched, and no network is used. setup.sh
installs the agent's real package into that root (the sandbox apt-get runs dpkg --root): the newest
pi-agent/target/javia-ota-agent_*_all.deb (./mvnw -B -ntp -pl pi-agent -am package -DskipTests), or
SETUP_TEST_AGENT_DEB.
Needs: bash, coreutils, dpkg, deb-systemd-helper, and systemd-analyze (for the units).
Exit: 0 when every test passed; 1 otherwise, with what differed.

Against a real server as well (optional): SETUP_TEST_SERVER_URL=http://127.0.0.1:8000 SETUP_TEST_ENROLLMENT_KEY=...
[SETUP_TEST_ADMIN_KEY=...] also runs setup.sh's checks against that server.
HELP
  exit 0
fi

ENROLL="enroll-0123456789abcdef0123456789"
ADMIN="admin-0123456789abcdef0123456789ab"
TOKEN="device-token-0123456789abcdef01234"
URL="http://ota.test:8000"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The agent's package, as the build made it (deploy/test/deb_test.sh tests the package itself).
agent_deb="${SETUP_TEST_AGENT_DEB:-$(ls -t "$deploy"/../pi-agent/target/javia-ota-agent_*_all.deb 2>/dev/null | head -n 1 || true)}"
[[ -n "$agent_deb" && -f "$agent_deb" ]] \
  || { echo "setup_test: no agent package: build it with ./mvnw -B -ntp -pl pi-agent -am package -DskipTests" >&2; exit 1; }
agent_deb="$(cd "$(dirname "$agent_deb")" && pwd)/$(basename "$agent_deb")"
deb_version="$(dpkg-deb -f "$agent_deb" Version)"
release="v${deb_version%%[~+-]*}"
install_call="apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

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
assert_not_contains() { [[ "$1" != *"$2"* ]] || fail "${3:-output} contains '$2'"$'\n'"$1"; }
assert_file() { [[ -f "$1" ]] || fail "missing file $1"; }
assert_no_file() { [[ ! -e "$1" ]] || fail "$1 should not exist"; }
assert_mode() { assert_eq "$(stat -c %a "$1")" "$2" "mode of $1"; }

# new_case: a fresh root, logs and state for one test
new_case() {
  case_dir="$work/$current"
  rm -rf "$case_dir"
  mkdir -p "$case_dir/root"
  root="$case_dir/root"
  calls="$case_dir/calls.log"
  curl_log="$case_dir/curl.log"
  : > "$calls"
  : > "$curl_log"
}

# java_17: the target already has Java 17 (so no apt-get unless a test wants it)
java_17() {
  mkdir -p "$root/usr/bin"
  printf '#!/bin/sh\necho '\''openjdk version "17.0.15" 2025-04-15'\'' >&2\n' > "$root/usr/bin/java"
  chmod 755 "$root/usr/bin/java"
}

# run_setup [ENV=VALUE...] -- [ARGS...]: runs setup.sh in the sandbox; sets $out and $rc
run_setup() {
  local env_args=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do env_args+=("$1"); shift; done
  [[ "${1:-}" == "--" ]] && shift
  set +e
  out="$(env -u SERVER_URL -u API_KEY -u DEVICE_TIMEZONE -u DEVICE_NAME -u GPIO_BUTTON_PIN -u APP_USER \
      -u SERVICE_NAME -u SUDO_USER \
      PATH="$here/fake-bin:$deploy/sandbox/bin:$PATH" SANDBOX_LOG="$calls" SANDBOX_STATE="$case_dir/state" \
      SANDBOX_ROOT="$root" FAKE_CURL_LOG="$curl_log" FAKE_ENROLLMENT_KEY="$ENROLL" FAKE_ADMIN_KEY="$ADMIN" \
      FAKE_DEVICE_TOKEN="$TOKEN" "${env_args[@]}" \
      bash "$deploy/setup.sh" --root "$root" --agent-deb "${agent_deb_arg:-$agent_deb}" "$@" < /dev/null 2>&1)"
  rc=$?
  set -e
}

# snapshot DIR: every file with its mode, size, mtime and checksum (a link: its target), to compare two runs
snapshot() {
  (cd "$1" && find . -type f -o -type l | sort | while read -r f; do
     if [[ -L "$f" ]]; then printf '%s -> %s %s\n' "$f" "$(readlink "$f")" "$(stat -c '%Y' "$f")"
     else printf '%s %s %s\n' "$f" "$(stat -c '%a %s %Y' "$f")" "$(sha256sum < "$f" | cut -c1-16)"; fi; done)
}

mutating_calls() { grep -vE '^systemctl (is-active|is-enabled)' "$calls" || true; }

# ------------------------------------------------------------------------------------------------- tests

test_help() {
  out="$(bash "$deploy/setup.sh" --help)"
  assert_contains "$out" "Usage: sudo deploy/setup.sh"
  assert_contains "$out" "--server-url URL"
}

test_first_install_writes_config_units_and_starts_the_agent() {
  new_case
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL/" --timezone Europe/Berlin --device-name "Kitchen Pi" \
    --gpio-button-pin 17 --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  local env="$root/etc/javia-agent/agent.env"
  assert_file "$env"
  assert_mode "$env" 600
  local config; config="$(cat "$env")"
  assert_contains "$config" $'\nSERVER_URL=http://ota.test:8000\n' "agent.env (trailing slash dropped)"
  assert_contains "$config" $'\nAPI_KEY='"$ENROLL"$'\n' "agent.env"
  assert_contains "$config" $'\nDEVICE_TIMEZONE=Europe/Berlin\n' "agent.env"
  assert_contains "$config" $'\nDEVICE_NAME="Kitchen Pi"\n' "agent.env"
  assert_contains "$config" $'\nGPIO_BUTTON_PIN=17\n' "agent.env"
  assert_contains "$config" $'\nINSTALL_DIR=/opt/javia\n' "agent.env"
  assert_contains "$config" $'\nDEVICE_UUID_FILE=/root/.javia_device_uuid\n' "agent.env"
  assert_contains "$config" $'\nSERVICE_NAME=voice-assistant-client\n' "agent.env"
  assert_eq "$(readlink "$root/opt/javia-agent/current")" "releases/$release" "the agent's current release"
  assert_file "$root/opt/javia-agent/current/pi-agent.jar"
  [[ -d "$root/opt/javia" ]] || fail "install root /opt/javia was not created"
  local uuid; uuid="$(cat "$root/root/.javia_device_uuid")"
  [[ "$uuid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] || fail "not a UUID7: '$uuid'"
  assert_contains "$out" "This Pi is device $uuid"
  assert_file "$root/lib/systemd/system/javia-ota-agent.service"
  assert_contains "$(cat "$root/etc/systemd/system/voice-assistant-client.service")" $'\nUser=pi\n' "client unit"
  local expected_calls
  expected_calls=$'apt-get update -q\napt-get install -y -q --no-install-recommends openjdk-17-jre-headless\n'"$install_call $agent_deb"$'\nsystemctl daemon-reload\nsystemctl is-enabled --quiet javia-ota-agent.service\nsystemctl enable --quiet javia-ota-agent.service\nsystemctl is-active --quiet javia-ota-agent.service\nsystemctl start javia-ota-agent.service\nsystemctl is-enabled --quiet voice-assistant-client.service\nsystemctl enable --quiet voice-assistant-client.service\nsystemctl is-active --quiet voice-assistant-client.service'
  assert_eq "$(cat "$calls")" "$expected_calls" "commands run"
}

test_installed_units_pass_systemd_analyze_verify() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user root
  assert_eq "$rc" 0 "exit status (output: $out)"
  local verify
  verify="$(bash "$deploy/verify-units.sh" "$root"/etc/systemd/system/*.service "$root"/lib/systemd/system/*.service 2>&1)" \
    || fail "installed units fail verification: $verify"
}

test_second_run_changes_nothing() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone Asia/Kolkata --app-user pi
  assert_eq "$rc" 0 "first run (output: $out)"
  local before; before="$(snapshot "$root")"
  : > "$calls"
  sleep 1   # so that a rewritten file would show a new mtime
  run_setup -- -y   # everything from the first run's agent.env
  assert_eq "$rc" 0 "second run (output: $out)"
  assert_eq "$(snapshot "$root")" "$before" "files after the second run"
  assert_eq "$(mutating_calls)" "" "commands other than queries on the second run"
  assert_contains "$out" "Nothing to change"
}

test_second_run_with_same_flags_changes_nothing() {
  new_case
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi --gpio-button-pin 27
  assert_eq "$rc" 0 "first run (output: $out)"
  local before; before="$(snapshot "$root")"
  : > "$calls"
  sleep 1
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi --gpio-button-pin 27
  assert_eq "$rc" 0 "second run (output: $out)"
  assert_eq "$(snapshot "$root")" "$before" "files after the second run"
  assert_eq "$(mutating_calls)" "" "commands other than queries on the second run"
}

test_changed_setting_rewrites_config_keeps_own_lines_and_restarts_agent() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "first run"
  echo "LOG_LEVEL=FINE" >> "$root/etc/javia-agent/agent.env"
  local uuid; uuid="$(cat "$root/root/.javia_device_uuid")"
  : > "$calls"
  run_setup API_KEY="$ENROLL" -- -y --server-url "http://ota2.test:8000"
  assert_eq "$rc" 0 "second run (output: $out)"
  local config; config="$(cat "$root/etc/javia-agent/agent.env")"
  assert_contains "$config" "SERVER_URL=http://ota2.test:8000" "agent.env"
  assert_contains "$config" $'\nLOG_LEVEL=FINE' "agent.env (the operator's own line)"
  assert_eq "$(grep -c '^LOG_LEVEL=' "$root/etc/javia-agent/agent.env")" 1 "LOG_LEVEL lines"
  assert_eq "$(cat "$root/root/.javia_device_uuid")" "$uuid" "device UUID"
  assert_eq "$(mutating_calls)" "systemctl restart javia-ota-agent.service" "commands run"
}

test_wrong_key_installs_nothing() {
  new_case
  run_setup API_KEY="not-the-key-0123456789abcdef01" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "does not know this enrollment key"
  assert_contains "$out" "nothing was installed"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
  assert_eq "$(cat "$calls")" "" "commands run"
}

test_device_token_as_key_is_refused() {
  new_case
  run_setup API_KEY="$TOKEN" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "may not register devices"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
}

test_admin_key_is_refused() {
  new_case
  run_setup API_KEY="$ADMIN" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "this is an admin key"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
}

test_unreachable_server_installs_nothing() {
  new_case
  run_setup API_KEY="$ENROLL" FAKE_SERVER=down -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "cannot reach $URL"
  assert_contains "$out" "Couldn't connect to server"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
  assert_eq "$(cat "$calls")" "" "commands run"
}

test_url_of_another_web_server_is_refused() {
  new_case
  run_setup API_KEY="$ENROLL" FAKE_SERVER=other -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "not a healthy Javia OTA server"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
}

test_malformed_url_is_refused_before_any_request() {
  new_case
  run_setup API_KEY="$ENROLL" -- -y --server-url "ota.test:8000" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "must look like https://"
  assert_eq "$(cat "$curl_log")" "" "requests made"
}

test_missing_settings_are_named_when_not_interactive() {
  new_case
  run_setup -- -y --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "the server URL (--server-url or SERVER_URL)"
  assert_contains "$out" "the enrollment key (API_KEY"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
}

test_key_on_the_command_line_is_refused() {
  new_case
  run_setup -- -y --server-url "$URL" --enrollment-key "$ENROLL"
  assert_eq "$rc" 2 "exit status"
  assert_contains "$out" "shows in ps and shell history"
}

test_key_never_appears_on_a_command_line() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status"
  assert_not_contains "$(cat "$curl_log")" "$ENROLL" "curl's arguments"
  assert_not_contains "$out" "$ENROLL" "setup's output"
}

test_key_from_a_file() {
  new_case
  java_17
  printf '%s\n' "$ENROLL" > "$case_dir/key"
  run_setup -- -y --server-url "$URL" --timezone UTC --app-user pi --enrollment-key-file "$case_dir/key"
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_contains "$(cat "$root/etc/javia-agent/agent.env")" "API_KEY=$ENROLL" "agent.env"
}

test_unknown_timezone_is_refused() {
  new_case
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone Mars/Olympus --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "time zone 'Mars/Olympus' is unknown"
}

test_publisher_keys_and_the_server_ca_are_pinned() {
  new_case
  java_17
  local k1="ed25519:$(head -c 32 /dev/urandom | base64 -w0)" k2="ed25519:$(head -c 32 /dev/urandom | base64 -w0)"
  echo "$k1" > "$case_dir/old.pub"
  echo "$k2" > "$case_dir/new.pub"
  printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' > "$case_dir/ca.pem"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi \
    --publisher-key-file "$case_dir/old.pub,$case_dir/new.pub" --server-ca-file "$case_dir/ca.pem"
  assert_eq "$rc" 0 "exit status (output: $out)"
  local config; config="$(cat "$root/etc/javia-agent/agent.env")"
  assert_contains "$config" $'\nOTA_PUBLISHER_KEYS='"$k1,$k2"$'\n' "agent.env"
  assert_contains "$config" $'\nSERVER_CA_FILE=/etc/javia-agent/server-ca.pem\n' "agent.env"
  cmp -s "$case_dir/ca.pem" "$root/etc/javia-agent/server-ca.pem" || fail "the CA was not copied"
  assert_mode "$root/etc/javia-agent/server-ca.pem" 644
  # a second run without the options keeps what the first pinned
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_contains "$(cat "$root/etc/javia-agent/agent.env")" "OTA_PUBLISHER_KEYS=$k1,$k2" "agent.env, second run"
}

test_a_file_that_is_not_a_publisher_key_is_refused() {
  new_case
  java_17
  echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" > "$case_dir/wrong.pub"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi \
    --publisher-key-file "$case_dir/wrong.pub"
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "is not a publisher public key"
  [[ ! -e "$root/etc/javia-agent/agent.env" ]] || fail "agent.env was written despite the refusal"
  echo "not a certificate" > "$case_dir/ca.pem"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi --server-ca-file "$case_dir/ca.pem"
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "holds no PEM certificate"
}

test_timezone_is_detected_from_the_target() {
  new_case
  java_17
  mkdir -p "$root/etc"
  echo "America/Los_Angeles" > "$root/etc/timezone"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_contains "$(cat "$root/etc/javia-agent/agent.env")" "DEVICE_TIMEZONE=America/Los_Angeles" "agent.env"
}

test_existing_device_uuid_is_kept_and_a_broken_one_refused() {
  new_case
  java_17
  mkdir -p "$root/root"
  echo "0190f7a4-5b6c-7d8e-9f00-112233445566" > "$root/root/.javia_device_uuid"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_eq "$(cat "$root/root/.javia_device_uuid")" "0190f7a4-5b6c-7d8e-9f00-112233445566" "device UUID"
  echo "garbage" > "$root/root/.javia_device_uuid"
  run_setup API_KEY="$ENROLL" -- -y
  assert_eq "$rc" 1 "exit status with a broken UUID file"
  assert_contains "$out" "does not hold a device UUID"
}

test_own_voice_assistant_unit_is_kept() {
  new_case
  java_17
  mkdir -p "$root/etc/systemd/system"
  printf '[Service]\nExecStart=/usr/local/bin/my-assistant\n' > "$root/etc/systemd/system/voice-assistant-client.service"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_contains "$out" "kept       /etc/systemd/system/voice-assistant-client.service"
  assert_eq "$(cat "$root/etc/systemd/system/voice-assistant-client.service")" \
    $'[Service]\nExecStart=/usr/local/bin/my-assistant' "the operator's unit"
}

test_missing_app_user_is_refused() {
  new_case
  mkdir -p "$root/etc"
  printf 'root:x:0:0:root:/root:/bin/bash\n' > "$root/etc/passwd"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "user 'pi' (who runs the voice assistant) does not exist"
}

test_missing_groups_are_left_out_of_the_client_unit() {
  new_case
  java_17
  mkdir -p "$root/etc"
  printf 'root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\n' > "$root/etc/passwd"
  printf 'root:x:0:\naudio:x:29:pi\n' > "$root/etc/group"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_contains "$(cat "$root/etc/systemd/system/voice-assistant-client.service")" \
    $'\nSupplementaryGroups=audio\n' "client unit"
}

test_voice_assistant_starts_when_a_release_is_installed_and_only_once() {
  new_case
  java_17
  mkdir -p "$root/opt/javia/releases/v1.0.0"
  ln -s releases/v1.0.0 "$root/opt/javia/current"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_contains "$(cat "$calls")" $'\nsystemctl start voice-assistant-client.service' "commands run"
  : > "$calls"
  run_setup -- -y
  assert_eq "$rc" 0 "second run (output: $out)"
  assert_eq "$(mutating_calls)" "" "commands other than queries on the second run"
}

test_no_start_calls_no_systemctl() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --no-start --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_eq "$(grep -c '^systemctl' "$calls" || true)" 0 "systemctl calls"
  assert_file "$root/lib/systemd/system/javia-ota-agent.service"
}

test_repository_units_pass_verification() {
  local verify
  verify="$(bash "$deploy/verify-units.sh" 2>&1)" || fail "verify-units.sh failed: $verify"
  assert_contains "$verify" "ok   javia-ota-agent.service"
  assert_contains "$verify" "ok   javia-ota-server.service"
  assert_contains "$verify" "ok   voice-assistant-client.service"
}

test_agent_unit_matches_how_the_agent_notifies_systemd() {
  local unit; unit="$(cat "$deploy/systemd/javia-ota-agent.service")"
  assert_contains "$unit" $'\nType=notify\n' "agent unit"
  assert_contains "$unit" $'\nNotifyAccess=all\n' "agent unit (systemd-notify is a child process)"
  assert_contains "$unit" $'\nWatchdogSec=' "agent unit"
  assert_contains "$unit" $'\nRestart=always\n' "agent unit"
}

test_against_a_real_server() {
  if [[ -z "${SETUP_TEST_SERVER_URL:-}" || -z "${SETUP_TEST_ENROLLMENT_KEY:-}" ]]; then
    echo "    skipped: set SETUP_TEST_SERVER_URL and SETUP_TEST_ENROLLMENT_KEY to run it"
    return 0
  fi
  new_case
  java_17
  local real_path="$deploy/sandbox/bin:$PATH"
  set +e
  out="$(env -u SERVER_URL -u API_KEY PATH="$real_path" SANDBOX_LOG="$calls" SANDBOX_STATE="$case_dir/state" \
    API_KEY="$SETUP_TEST_ENROLLMENT_KEY" bash "$deploy/setup.sh" --root "$root" --agent-deb "$agent_deb" \
    -y --server-url "$SETUP_TEST_SERVER_URL" --timezone UTC --app-user root < /dev/null 2>&1)"; rc=$?
  set -e
  assert_eq "$rc" 0 "exit status against $SETUP_TEST_SERVER_URL (output: $out)"
  set +e
  out="$(env -u SERVER_URL PATH="$real_path" SANDBOX_LOG="$calls" API_KEY="wrong-key-0123456789abcdef0123" \
    bash "$deploy/setup.sh" --root "$case_dir/other" --agent-deb "$agent_deb" -y \
    --server-url "$SETUP_TEST_SERVER_URL" --timezone UTC --app-user root < /dev/null 2>&1)"; rc=$?
  set -e
  assert_eq "$rc" 1 "exit status with a wrong key"
  assert_contains "$out" "does not know this enrollment key"
  if [[ -n "${SETUP_TEST_ADMIN_KEY:-}" ]]; then
    set +e
    out="$(env -u SERVER_URL PATH="$real_path" SANDBOX_LOG="$calls" API_KEY="$SETUP_TEST_ADMIN_KEY" \
      bash "$deploy/setup.sh" --root "$case_dir/admin" --agent-deb "$agent_deb" -y \
      --server-url "$SETUP_TEST_SERVER_URL" --timezone UTC --app-user root < /dev/null 2>&1)"; rc=$?
    set -e
    assert_eq "$rc" 1 "exit status with an admin key"
    assert_contains "$out" "this is an admin key"
  fi
}

# ------------------------------------------------------------------------------------------------- the package

# run_kit_setup KIT [ENV=VALUE...]: setup.sh from a copy of deploy/ under KIT (as copied to a Pi), without
# --agent-deb, so it finds the package itself; sets $out and $rc
run_kit_setup() {
  local kit="$1"; shift
  set +e
  out="$(env -u SERVER_URL -u API_KEY -u SUDO_USER PATH="$here/fake-bin:$deploy/sandbox/bin:$PATH" \
      SANDBOX_LOG="$calls" SANDBOX_STATE="$case_dir/state" SANDBOX_ROOT="$root" FAKE_CURL_LOG="$curl_log" \
      FAKE_ENROLLMENT_KEY="$ENROLL" API_KEY="$ENROLL" "$@" \
      bash "$kit/deploy/setup.sh" --root "$root" -y --server-url "$URL" --timezone UTC --app-user pi < /dev/null 2>&1)"
  rc=$?
  set -e
}

# make_kit: deploy/ copied to $case_dir/kit, as `scp -r deploy ...` leaves it on a Pi
make_kit() {
  kit="$case_dir/kit"
  mkdir -p "$kit"
  cp -r "$deploy" "$kit/deploy"
  rm -rf "$kit/deploy/test"
}

installed_version() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' javia-ota-agent 2>/dev/null || true; }

test_agent_is_installed_from_its_package() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_eq "$(installed_version)" "ii $deb_version" "the agent's package in the root's dpkg database"
  assert_contains "$out" "installed  javia-ota-agent $deb_version"
  assert_eq "$(grep '^apt-get' "$calls")" "$install_call $agent_deb" "apt-get calls"
  assert_file "$root/lib/systemd/system/javia-ota-agent.service"
  assert_file "$root/lib/systemd/system/javia-ota-agent-guard.timer"
  assert_file "$root/usr/lib/javia-agent/run-agent"
  assert_no_file "$root/etc/systemd/system/javia-ota-agent.service"
  assert_eq "$(readlink "$root/opt/javia-agent/current")" "releases/$release" "the agent's current release"
  assert_eq "$(readlink "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service")" \
    /lib/systemd/system/javia-ota-agent.service "the package's enablement of the agent"
  assert_mode "$root/etc/javia-agent/agent.env" 600
}

test_the_package_beside_deploy_is_found_without_agent_deb() {
  new_case
  java_17
  make_kit
  cp "$agent_deb" "$kit/"
  run_kit_setup "$kit"
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_eq "$(installed_version)" "ii $deb_version" "the agent's package"
  assert_contains "$(cat "$calls")" "$install_call $kit/$(basename "$agent_deb")" "commands run"
}

test_no_package_says_how_to_build_one_and_installs_nothing() {
  new_case
  make_kit
  run_kit_setup "$kit"
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "no agent package: build it"
  assert_contains "$out" "--agent-deb FILE"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
  assert_eq "$(cat "$curl_log")" "" "requests made"
}

test_a_package_that_is_not_the_agent_is_refused() {
  new_case
  mkdir -p "$case_dir/other/DEBIAN"
  printf 'Package: something-else\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: not the agent\n' \
    > "$case_dir/other/DEBIAN/control"
  dpkg-deb -b "$case_dir/other" "$case_dir/something-else_1.0_all.deb" >/dev/null
  echo "not a deb" > "$case_dir/broken.deb"
  agent_deb_arg="$case_dir/something-else_1.0_all.deb" run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "is the package something-else, not the agent's (javia-ota-agent)"
  agent_deb_arg="$case_dir/broken.deb" run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "is not a Debian package"
  assert_eq "$(find "$root" -mindepth 1 | wc -l)" 0 "files under the root"
}

test_the_agent_jar_option_points_at_the_package() {
  new_case
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --agent-jar "$case_dir/pi-agent.jar"
  assert_eq "$rc" 2 "exit status"
  assert_contains "$out" "--agent-deb FILE"
}

test_a_newer_package_is_installed_over_the_older_and_keeps_the_settings() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "first run (output: $out)"
  local env_before; env_before="$(cat "$root/etc/javia-agent/agent.env")"
  # the same package with a higher version, as the next build makes it
  dpkg-deb -R "$agent_deb" "$case_dir/newer"
  sed -i "s/^Version: .*/Version: ${deb_version}+next/" "$case_dir/newer/DEBIAN/control"
  dpkg-deb -b "$case_dir/newer" "$case_dir/javia-ota-agent_${deb_version}+next_all.deb" >/dev/null
  : > "$calls"
  agent_deb_arg="$case_dir/javia-ota-agent_${deb_version}+next_all.deb" run_setup -- -y
  assert_eq "$rc" 0 "second run (output: $out)"
  assert_eq "$(installed_version)" "ii ${deb_version}+next" "the agent's package after the second run"
  assert_contains "$out" "installed  javia-ota-agent ${deb_version}+next (was $deb_version)"
  assert_eq "$(mutating_calls)" "$install_call $case_dir/javia-ota-agent_${deb_version}+next_all.deb" \
    "commands run (the package's postinst restarts the agent on a Pi)"
  assert_eq "$(cat "$root/etc/javia-agent/agent.env")" "$env_before" "agent.env"
}

test_an_older_package_leaves_the_newer_installed_one() {
  new_case
  java_17
  dpkg-deb -R "$agent_deb" "$case_dir/newer"
  sed -i "s/^Version: .*/Version: ${deb_version}+next/" "$case_dir/newer/DEBIAN/control"
  dpkg-deb -b "$case_dir/newer" "$case_dir/javia-ota-agent_${deb_version}+next_all.deb" >/dev/null
  agent_deb_arg="$case_dir/javia-ota-agent_${deb_version}+next_all.deb" run_setup API_KEY="$ENROLL" -- -y \
    --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "first run, with the newer package (output: $out)"
  : > "$calls"
  run_setup -- -y
  assert_eq "$rc" 0 "second run, with the older package (output: $out)"
  assert_contains "$out" "kept       javia-ota-agent ${deb_version}+next (newer than $(basename "$agent_deb"))"
  assert_eq "$(installed_version)" "ii ${deb_version}+next" "the agent's package"
  assert_eq "$(mutating_calls)" "" "commands other than queries"
}

test_a_failed_package_install_stops_with_what_to_do() {
  new_case
  java_17
  run_setup API_KEY="$ENROLL" SANDBOX_APT_FAIL="Unable to locate package openjdk-17-jre-headless" -- -y \
    --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 1 "exit status"
  assert_contains "$out" "apt-get install $agent_deb failed"
  assert_eq "$(grep -c '^systemctl' "$calls" || true)" 0 "systemctl calls"
}

test_a_pi_set_up_before_the_package_moves_to_it_and_keeps_the_legacy_jar() {
  new_case
  java_17
  local marker="# Installed by Javia OTA deploy/setup.sh: it rewrites this file; put your changes in a drop-in (systemctl edit)."
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/opt/javia-agent" "$case_dir/state/systemd"
  { echo "$marker"; cat "$deploy/systemd/javia-ota-agent.service"; } > "$root/etc/systemd/system/javia-ota-agent.service"
  ln -s /etc/systemd/system/javia-ota-agent.service "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service"
  echo "legacy jar" > "$root/opt/javia-agent/pi-agent.jar"
  touch "$case_dir/state/systemd/javia-ota-agent.service.enabled" "$case_dir/state/systemd/javia-ota-agent.service.active"
  run_setup API_KEY="$ENROLL" -- -y --server-url "$URL" --timezone UTC --app-user pi
  assert_eq "$rc" 0 "exit status (output: $out)"
  assert_no_file "$root/etc/systemd/system/javia-ota-agent.service"
  assert_eq "$(readlink "$root/etc/systemd/system/multi-user.target.wants/javia-ota-agent.service")" \
    /lib/systemd/system/javia-ota-agent.service "the agent's enablement"
  assert_eq "$(cat "$root/opt/javia-agent/pi-agent.jar")" "legacy jar" "the legacy jar"
  assert_eq "$(readlink "$root/opt/javia-agent/current")" "releases/$release" "the agent's current release"
}

# ------------------------------------------------------------------------------------------------- runner

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
echo "setup_test: $passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
  printf 'failed: %s\n' "${failures[@]%%:*}" | sort -u >&2
  exit 1
fi
