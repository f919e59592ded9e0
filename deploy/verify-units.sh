#!/usr/bin/env bash
# Checks the systemd unit files with `systemd-analyze verify`: syntax, known keys, executables that exist.
# Any warning about a unit counts as a failure: systemd only warns about an unknown or misspelt key and then
# ignores it, which on a Pi would silently drop a setting.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'HELP'
Usage: deploy/verify-units.sh [UNIT_FILE...]

Runs `systemd-analyze verify` on each unit file (default: deploy/systemd/*.service) and fails when it reports
anything, and checks that this machine's java accepts the JVM options of each ExecStart that starts java. Works
without systemd running as PID 1 (a build machine, a container).

The units start /usr/bin/java (Debian's and Raspberry Pi OS's path). On a machine where java lives elsewhere, the
check runs on a copy with the java found on PATH, and says so.

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
  units=("$here"/systemd/*.service)
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

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
    checked="$scratch/$(basename "$unit")"
    sed "s#/usr/bin/java#$java_path#g" "$unit" > "$checked"
    echo "note: /usr/bin/java is missing here; checking $(basename "$unit") with $java_path instead"
  fi
  # The agent's helpers come from its .deb (/usr/lib/javia-agent); on a build machine, check the unit against the
  # same scripts in deploy/agent/.
  if grep -q '/usr/lib/javia-agent/' "$checked" && [[ ! -d /usr/lib/javia-agent ]]; then
    sed "s#/usr/lib/javia-agent/#$here/agent/#g" "$checked" > "$scratch/agent-$(basename "$unit")"
    mv "$scratch/agent-$(basename "$unit")" "$scratch/$(basename "$unit")"
    checked="$scratch/$(basename "$unit")"
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
  # misspelt one, so every JVM option of ExecStart must be known to this machine's java without it ($JAVA_OPTS
  # comes from the unit's environment file at run time).
  jvm_options="$("$(dirname "$0")/unit-jvm-options.sh" "$unit" || true)"
  jvm_options="${jvm_options//\$JAVA_OPTS/}"
  if [[ -n "${jvm_options// /}" ]] && command -v java >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    if ! jvm_output="$(java ${jvm_options//-XX:+IgnoreUnrecognizedVMOptions/} -version 2>&1)"; then
      echo "FAIL $(basename "$unit"): this machine's java refuses its JVM options:" >&2
      printf '%s\n' "$jvm_output" | head -n 5 | sed 's/^/     /' >&2
      failed=1
    fi
  fi
done
exit "$failed"
