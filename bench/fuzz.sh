#!/usr/bin/env bash
# A long fuzz campaign from the API document: OpenApiFuzzTests (server/src/test) with many more requests than
# `mvn verify` sends (600). Requests are generated from the server's own /v3/api-docs (every operation, its
# parameters and bodies, bent: hostile strings, wrong types, invalid JSON and multipart, odd Content-Types, every
# kind of key) and sent over real sockets to the real server on loopback, over a fresh PostgreSQL database. Prints
# the table (requests by status class, 5xx, refusals that are no problem detail, distinct failures with an example
# request and answer each) and writes it into bench/README.md. Exits 1 when any request failed.
#
#   bench/fuzz.sh                (builds with the Maven wrapper; about 2 minutes for 10,000 requests)
#
# Settings: REQUESTS=10000 SEED=<random; the table names it, SEED=... repeats a run> README=1 (0: leave README.md)
source "$(dirname "$0")/lib.sh"

REQUESTS="${REQUESTS:-10000}"
SEED="${SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}"

require psql java
bench_setup fuzz

log "fuzzing: $REQUESTS requests, seed $SEED (the Maven log goes to $WORK/maven.log)"
report="$REPO_DIR/server/target/fuzz/openapi-fuzz-report.txt"
rm -f "$report"
rc=0
(cd "$REPO_DIR" && ./mvnw -q -B -ntp -pl server -am verify -Dtest=OpenApiFuzzTests \
    -Dsurefire.failIfNoSpecifiedTests=false -Dota.fuzz.requests="$REQUESTS" -Dota.fuzz.seed="$SEED") \
    >"$WORK/maven.log" 2>&1 || rc=$?
if [[ ! -s "$report" ]]; then
    tail -n 40 "$WORK/maven.log" >&2
    KEEP_WORK=1
    die "the fuzz test wrote no report (Maven exit $rc)"
fi

{
    head="$(git -C "$REPO_DIR" rev-parse --short=7 HEAD)"
    dirty=""
    if [[ -n "$(git -C "$REPO_DIR" status --porcelain -- server protocol 2>/dev/null)" ]]; then
        dirty=", with uncommitted changes"
    fi
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); code: working tree at $head$dirty."
    echo "Repeat with: SEED=$SEED REQUESTS=$REQUESTS bench/fuzz.sh"
    echo
    echo '```'
    cat "$report"
    echo '```'
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name fuzz)" "$WORK/result.md"
[[ "$rc" == 0 ]] || { log "requests failed (see the table)"; exit 1; }
exit 0
