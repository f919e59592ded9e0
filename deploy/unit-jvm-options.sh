#!/usr/bin/env bash
# Prints the JVM options of the java ExecStart of a systemd unit (what goes between "java" and "-jar"): the
# unit is the one place the agent's flags are kept, and the demo, bench/agent.sh and verify-units.sh read them here.
#
#   deploy/unit-jvm-options.sh deploy/systemd/javia-ota-agent.service
#
# Prints nothing and exits 1 when the unit has no such line.
set -euo pipefail
[[ $# == 1 && -r "$1" ]] || { echo "usage: $0 UNIT_FILE (a readable systemd unit)" >&2; exit 2; }
options="$(sed -n 's/^ExecStart=[^ ]*java \(.*\) -jar .*/\1/p' "$1" | head -n 1)"
[[ -n "$options" ]] || exit 1
printf '%s\n' "$options"
