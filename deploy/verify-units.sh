#!/usr/bin/env bash
# Checks the systemd unit files with `systemd-analyze verify`: syntax, known keys, executables that exist.
# Any warning about a unit counts as a failure: systemd only warns about an unknown or misspelt key and then
# ignores it, which on a Pi would silently drop a setting.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'HELP'
Usage: deploy/verify-units.sh [UNIT_FILE...]

Runs `systemd-analyze verify` on each unit file (default: deploy/systemd/*.service and *.timer) and fails when it
reports anything, and checks that this machine's java accepts the JVM options of each unit that starts java (the
agent's: deploy/agent/jvm.options, which run-agent passes to java). Works without systemd running as PID 1 (a build
machine, a container).

The units start /usr/bin/java (Debian's and Raspberry Pi OS's path) and the agent's scripts in /usr/lib/javia-agent
(installed by the .deb). Where those are missing, the check runs on copies that use the java found on PATH and
this checkout's deploy/agent/, and says so.

Needs: systemd-analyze (Debian: apt-get install systemd).
Exit: 0 all units pass, 1 a unit failed, 2 systemd-analyze is missing.
HELP
}

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then usage; exit 0; fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "verify-units: systemd-analyze was not found: install it (Debian/Ubuntu: sudo apt-get install systemd)" >&2
  exit 2
fi

units=("$@")
if [[ ${#units[@]} -eq 0 ]]; then
  units=("$here"/systemd/*.service "$here"/systemd/*.timer)
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# A copy of UNIT in the scratch directory, with the units beside it (a timer is verified with its service).
scratch_copy() {
  local copy
  copy="$scratch/$(basename "$1")"
  if [[ ! -f "$copy" ]]; then
    local sibling
    for sibling in "$(dirname "$1")"/*.service "$(dirname "$1")"/*.timer; do
      [[ -f "$scratch/$(basename "$sibling")" ]] || cp "$sibling" "$scratch/"
    done
  fi
  printf '%s\n' "$copy"
}

failed=0
for unit in "${units[@]}"; do
  if [[ ! -f "$unit" ]]; then
    echo "FAIL $unit: no such file" >&2
    failed=1
    continue
  fi
  checked="$unit"
  if grep -q '/usr/bin/java' "$unit" && [[ ! -x /usr/bin/java ]]; then
    java_path="$(command -v java || true)"
    if [[ -z "$java_path" ]]; then
      echo "FAIL $unit: it starts /usr/bin/java and this machine has no java at all: install a Java 17 runtime" >&2
      failed=1
      continue
    fi
    checked="$(scratch_copy "$unit")"
    sed -i "s#/usr/bin/java#$java_path#g" "$checked"
    echo "note: /usr/bin/java is missing here; checking $(basename "$unit") with $java_path instead"
  fi
  if grep -q '^Exec[A-Za-z]*=/usr/lib/javia-agent/' "$unit" && [[ ! -d /usr/lib/javia-agent ]]; then
    checked="$(scratch_copy "$unit")"
    sed -i "s#/usr/lib/javia-agent/#$here/agent/#g" "$checked"
    echo "note: /usr/lib/javia-agent is not installed here; checking $(basename "$unit") with $here/agent/ instead"
  fi
  # --man=no: the Documentation= man pages need not be installed on a build machine.
  if output="$(systemd-analyze verify --man=no "$checked" 2>&1)" && [[ -z "$output" ]]; then
    echo "ok   $(basename "$unit")"
  else
    echo "FAIL $(basename "$unit"):" >&2
    printf '%s\n' "${output:-systemd-analyze verify failed without a message}" | sed 's/^/     /' >&2
    failed=1
  fi
  # -XX:+IgnoreUnrecognizedVMOptions lets an older Java 17 start without a newer option; it would also hide a
  # misspelt one, so every JVM option must be known to this machine's java without it. The agent's unit runs
  # run-agent, which passes deploy/agent/jvm.options as an @argfile: java itself reads a copy of that file here.
  if [[ "$unit" != *.service ]] || ! command -v java >/dev/null 2>&1; then continue; fi
  if grep -q '^ExecStart=.*/run-agent' "$unit"; then
    grep -v -- '-XX:+IgnoreUnrecognizedVMOptions' "$here/agent/jvm.options" > "$scratch/jvm.options"
    jvm_check=(java "@$scratch/jvm.options" -version)
  else
    jvm_options="$("$here/unit-jvm-options.sh" "$unit" || true)"
    jvm_options="${jvm_options//\$JAVA_OPTS/}"   # from the unit's environment file at run time
    [[ -n "${jvm_options// /}" ]] || continue
    # shellcheck disable=SC2206  # one word per flag
    jvm_check=(java ${jvm_options//-XX:+IgnoreUnrecognizedVMOptions/} -version)
  fi
  if ! jvm_output="$("${jvm_check[@]}" 2>&1)"; then
    echo "FAIL $(basename "$unit"): this machine's java refuses its JVM options:" >&2
    printf '%s\n' "$jvm_output" | head -n 5 | sed 's/^/     /' >&2
    failed=1
  fi
done
exit "$failed"
