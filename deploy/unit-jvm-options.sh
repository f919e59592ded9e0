#!/usr/bin/env bash
# Prints the agent's JVM options on one line (what goes between "java" and "-jar"): deploy/agent/jvm.options is the
# one place they are kept (run-agent passes it to java as an @argfile), and the demo, bench/agent.sh, verify-units.sh
# and the protocol's AgentHeapTests read them through this script.
#
#   deploy/unit-jvm-options.sh                                      deploy/agent/jvm.options
#   deploy/unit-jvm-options.sh FILE.options                         an argfile of that syntax (a release's own)
#   deploy/unit-jvm-options.sh deploy/systemd/javia-ota-agent.service
#       a unit: its ExecStart's own java flags (a unit that runs java), or, when ExecStart is run-agent, the
#       jvm.options run-agent uses: the one beside run-agent in that tree (usr/lib/javia-agent/ of a root setup.sh
#       filled), else this checkout's deploy/agent/jvm.options
#
# The argfile reader takes what the agent's files use: flags separated by spaces or newlines, "#" to the end of the
# line a comment; it refuses quotes (java would read them, this script would not). Exits 1 with no flags.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -le 1 ]] || { echo "usage: $0 [UNIT_FILE | JVM_OPTIONS_FILE]" >&2; exit 2; }
file="${1:-$here/agent/jvm.options}"
[[ -r "$file" ]] || { echo "$0: $file is not a readable file" >&2; exit 2; }

argfile_flags() {
  if grep -v '^[[:space:]]*#' "$1" | sed 's/#.*//' | grep -q "[\"']"; then
    echo "$0: $1 quotes a flag; this reader does not parse quotes: write one plain flag per line" >&2
    exit 2
  fi
  sed 's/#.*//' "$1" | tr -s ' \t\n' '   ' | sed 's/^ *//; s/ *$//'
}

case "$file" in
  *.service)
    exec_line="$(sed -n 's/^ExecStart=//p' "$file" | head -n 1)"
    if [[ "$exec_line" == */run-agent* ]]; then
      # a unit inside an install root (e.g. ROOT/etc/systemd/system/x.service) uses ROOT/usr/lib/javia-agent
      root="$(cd "$(dirname "$file")" && pwd)"
      root="${root%/etc/systemd/system}"
      installed="$root${exec_line%%/run-agent*}/jvm.options"
      if [[ "$root" != "$(cd "$(dirname "$file")" && pwd)" && -r "$installed" ]]; then
        options="$(argfile_flags "$installed")"
      else
        options="$(argfile_flags "$here/agent/jvm.options")"
      fi
    else
      options="$(sed -n 's/^ExecStart=[^ ]*java \(.*\) -jar .*/\1/p' "$file" | head -n 1)"
    fi ;;
  *) options="$(argfile_flags "$file")" ;;
esac
[[ -n "$options" ]] || exit 1
printf '%s\n' "$options"
