#!/usr/bin/env bash
# Issue 18's delta figures, on the protocol module alone (no server, no database):
#  1. a one-file change in a 55 MB release: the delta's bytes, the full package's, the ratio (target <= 5%, aim <= 1%);
#  2. deltas from 5 bases to a 256 MB package, built one after the other: wall seconds (target <= 10 s);
#  3. the peak RSS (VmHWM) of a separate JVM applying a delta whose patch is against a 100 MB file, with the agent's
#     flags (deploy/agent/jvm.options) and with -Xmx32m, against the same JVM idle (target <= 64 MiB).
# Inputs are generated from fixed seeds (bench/DeltaBench.java). Prints the table and writes it into bench/README.md.
#
#   bench/delta_bench.sh        # ~3 min; builds protocol/ first (./mvnw -pl protocol -am compile)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
require java javac
bench_setup delta

log "compiling protocol/ and the bench tool"
(cd "$REPO_DIR" && ./mvnw -q -B -ntp -pl protocol -am compile \
    dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=runtime >/dev/null)
CP="$REPO_DIR/protocol/target/classes:$(cat "$WORK/cp.txt")"
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$CP" "$BENCH_DIR/DeltaBench.java"
CP="$WORK/classes:$CP"
tool() { java -Xmx3g -cp "$CP" DeltaBench "$@"; }
# the agent's flags, one per line, comments dropped: what run-agent passes as an @argfile
mapfile -t AGENT_FLAGS < <(grep -v '^\s*#' "$REPO_DIR/deploy/agent/jvm.options" | sed '/^\s*$/d')

wait_quiet
log "1. one-file change in a 55 MB release"
mkdir -p "$WORK/size"
read -r _ delta _ full < <(tool size "$WORK/size")
rm -rf "$WORK/size"

log "2. deltas from 5 bases to a 256 MB package"
mkdir -p "$WORK/bases"
tool bases "$WORK/bases" >"$WORK/bases.txt"
rm -rf "$WORK/bases"
cat "$WORK/bases.txt" >&2

log "3. applying a patch against a 100 MB file in a separate JVM"
mkdir -p "$WORK/apply"
tool prepare "$WORK/apply" >"$WORK/prepare.txt"
hwm() { java "$@" | awk '/^hwm_kb/ {print $2}'; }
idle_agent="$(hwm "${AGENT_FLAGS[@]}" -cp "$CP" DeltaBench idle)"
apply_agent_out="$(java "${AGENT_FLAGS[@]}" -cp "$CP" DeltaBench apply "$WORK/apply")"
idle_32="$(hwm -Xmx32m -cp "$CP" DeltaBench idle)"
apply_32_out="$(java -Xmx32m -cp "$CP" DeltaBench apply "$WORK/apply")"
apply_agent="$(awk '/^hwm_kb/ {print $2}' <<<"$apply_agent_out")"
apply_32="$(awk '/^hwm_kb/ {print $2}' <<<"$apply_32_out")"
secs_agent="$(awk '/^seconds/ {print $2}' <<<"$apply_agent_out")"
secs_32="$(awk '/^seconds/ {print $2}' <<<"$apply_32_out")"
patch_delta="$(awk '{print $2}' "$WORK/prepare.txt")"

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
table="$WORK/table.md"
{
    echo "### $(section_name delta)"
    echo
    echo "$(machine_line); $(date -u +%Y-%m-%d)."
    echo
    echo "| what | measured | target |"
    echo "| --- | --- | --- |"
    echo "| one-file change in a 55 MB release: delta / full package | $delta / $full bytes = $(awk -v d="$delta" -v f="$full" 'BEGIN {printf "%.3f%%", 100 * d / f}') | ≤ 5% (aim ≤ 1%) |"
    awk '/^base/ {printf "| delta from %s to v2.0.0 (256 MB): bytes, whole / patched / copied files, seconds | %d (%.2f%%), %d / %d / %d, %s s | |\n", $2, $4, 100 * $4 / $14, $6, $8, $10, $12}' "$WORK/bases.txt"
    echo "| 5 deltas to a 256 MB package, built one after the other | $(awk '/^total_seconds/ {print $2}' "$WORK/bases.txt") s | ≤ 10 s |"
    echo "| applying a delta (${patch_delta} bytes) patching a 100 MB file, agent's jvm.options: VmHWM (idle JVM, same flags) | $(mib "$apply_agent") MiB ($(mib "$idle_agent") MiB), ${secs_agent} s | ≤ 64 MiB |"
    echo "| the same with -Xmx32m: VmHWM (idle JVM, same flags) | $(mib "$apply_32") MiB ($(mib "$idle_32") MiB), ${secs_32} s | ≤ 64 MiB |"
} >"$table"
cat "$table"
if [[ "${README:-1}" != 0 ]]; then readme_put "$(section_name delta)" "$table"; fi
