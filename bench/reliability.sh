#!/usr/bin/env bash
# Issue 11's long checks in one run, and one table of its "done when": ≥ 10,000 requests generated from the API
# document with no 5xx (fuzz.sh), PostgreSQL stopped for 30 s under a fleet's heartbeats and the server killed with
# kill -9 (db-outage.sh, on a PostgreSQL cluster of its own), and heartbeats beside 10,000 slow connections
# (slow-clients.sh). Each script prints its own table and writes it into bench/README.md; this one then reads their
# figures back and prints what each check of the issue asks, what was measured and whether it holds, and writes that
# table into bench/README.md too (section "reliability"). Exits 1 when a check does not hold or a script failed.
#
#   ./mvnw -q -B -ntp -DskipTests package && bench/reliability.sh     # about 12 minutes; needs root (pg_createcluster)
#
# Settings: REQUESTS (fuzz, default 10000) and each script's own (see bench/README.md); README=0 leaves README.md.
source "$(dirname "$0")/lib.sh"

require python3
bench_setup reliability

declare -A RC
for script in fuzz db-outage slow-clients; do
    log "== bench/$script.sh"
    RC[$script]=0
    REQUESTS="${REQUESTS:-10000}" bash "$BENCH_DIR/$script.sh" >"$WORK/$script.out" 2>"$WORK/$script.err" \
        || RC[$script]=$?
    cat "$WORK/$script.out"
    if [[ "${RC[$script]}" != 0 ]]; then
        log "bench/$script.sh exited ${RC[$script]}; the end of its log:"
        tail -n 15 "$WORK/$script.err" >&2
    fi
done

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance)."
    echo
    python3 - "$WORK" "${RC[fuzz]}" "${RC[db-outage]}" "${RC[slow-clients]}" <<'PY'
import re
import sys

work, rcs = sys.argv[1], dict(zip(("fuzz", "db-outage", "slow-clients"), sys.argv[2:5]))
out = {name: open(f"{work}/{name}.out", encoding="utf-8", errors="replace").read() for name in rcs}


def number(text):
    return float(text.replace(",", "").strip().strip("*").split()[0])


def row(text, label):
    """The cells of the markdown table row whose first cell starts with label, or None."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 1 and cells[0].startswith(label):
            return cells
    return None


def bolds(cells):
    return [number(b) for b in re.findall(r"\*\*([\d,.]+)\*\*", " ".join(cells or []))]


checks = []  # (what the issue asks, what was measured, holds)


def check(asked, measure):
    try:
        measured, holds = measure()
    except (TypeError, ValueError, IndexError, AttributeError):
        measured, holds = "not found in the script's output", False
    checks.append((asked, measured, holds))


def fuzz():
    total = int(re.search(r"OpenAPI fuzz: (\d+) requests", out["fuzz"]).group(1))
    five = int(re.search(r"^\s*5xx\s+(\d+)\s*$", out["fuzz"], re.M).group(1))
    failed = int(re.search(r"failed requests: (\d+) of", out["fuzz"]).group(1))
    return (f"{total:,} requests: {five} answered 5xx, {failed} failed a check (no problem detail, a status or a body "
            f"the document does not describe)", total >= 10_000 and five == 0 and failed == 0)


def outage_answers():
    cells = row(out["db-outage"], "heartbeats, PostgreSQL stopping or down")
    sent, ok, unavailable, other, none = (number(c) for c in cells[1:6])
    p99, worst = number(cells[8]), number(cells[9])
    return (f"{sent:,.0f} heartbeats while it was down: {unavailable:,.0f} answered 503 with Retry-After, {ok:,.0f} "
            f"200, {other:,.0f} other answers, {none:,.0f} unanswered; p99 {p99:,.0f} ms, slowest {worst:,.0f} ms",
            other == 0 and none == 0 and p99 <= 2_000 and worst <= 3_000)


def readiness():
    down = number(row(out["db-outage"], "readiness DOWN, after the stop began")[1])
    up = number(row(out["db-outage"], "readiness UP, after PostgreSQL was ready")[1])
    first = number(row(out["db-outage"], "first acknowledged heartbeat, after PostgreSQL was ready")[1])
    return (f"readiness DOWN {down:.2f} s after the stop began, UP {up:.2f} s after PostgreSQL was ready; first "
            f"acknowledged heartbeat {first:.2f} s after it was ready", down <= 2 and up <= 2 and first <= 2)


def outage_lost():
    seen = bolds(row(out["db-outage"], "devices told \"received\" before PostgreSQL was ready"))
    versions = bolds(row(out["db-outage"], "acknowledged version changes missing from the database (5 s after"))
    return (f"{seen[0]:.0f} acknowledged last_seen lost, {versions[0]:.0f} and {versions[1]:.0f} acknowledged version "
            f"changes missing (5 s after / at the end)", seen[0] == 0 and versions == [0, 0])


def kill():
    versions = bolds(row(out["db-outage"], "acknowledged version changes missing from the database (just after"))
    seen = row(out["db-outage"], "devices told \"received\" before the kill")[1]
    return (f"{versions[0]:.0f} and {versions[1]:.0f} acknowledged version changes missing (just after / at the end); "
            f"batched last_seen of the last flush interval lost by design: {seen}", versions == [0, 0])


def slow():
    cells = row(out["slow-clients"], "with 10,000 slow connections") or row(out["slow-clients"], "with ")
    sent, answered = number(cells[1]), number(cells[2])
    return (f"{answered:,.0f} of {sent:,.0f} heartbeats answered beside 10,000 slow connections, p50 / p99 "
            f"{cells[4]} / {cells[6]} ms ({cells[8]} of the same heartbeats alone)", sent > 0 and answered == sent)


check("≥ 10,000 fuzzed requests give 0 5xx", fuzz)
check("database stopped 30 s: fast 503s (about 2 s at most)", outage_answers)
check("readiness says so at once; the first request after the return succeeds", readiness)
check("no acknowledged report or version change lost", outage_lost)
check("kill -9 of the server under load: no acknowledged version change lost", kill)
check("10,000 slow connections shut no one out", slow)

print("| issue 11 asks | measured | holds |")
print("| --- | --- | --- |")
for asked, measured, holds in checks:
    print(f"| {asked} | {measured} | {'**yes**' if holds else '**NO**'} |")
failed_scripts = [f"{name}.sh exited {rc}" for name, rc in rcs.items() if rc != "0"]
if failed_scripts:
    print()
    print("Scripts that failed: " + ", ".join(failed_scripts) + ".")
sys.exit(0 if all(holds for _, _, holds in checks) and not failed_scripts else 1)
PY
} >"$WORK/summary.md" && rc=0 || rc=$?

echo
cat "$WORK/summary.md"
[[ "${README:-1}" == 0 ]] || readme_put "$(section_name reliability)" "$WORK/summary.md"
exit "$rc"
