#!/usr/bin/env python3
"""What PostgreSQL logged about a bench database (pg_log_since's output), as a markdown table: statements logged
with their duration (log_min_duration_statement), lock waits (log_lock_waits) and autovacuum or autoanalyze runs.

    pg-log.py [--by-statement] LOG [WINDOWS]

WINDOWS names the scenario each line fell in: "name start end" a line, start and end in epoch seconds.
--by-statement: one row per statement (as shortened) instead of per entry: how many times, total and longest ms.
Prints nothing when LOG holds none of these."""
import datetime
import re
import sys

ENTRY = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] \S*\s*(?:LOG|WARNING):  (.*?)(?=^\d{4}-\d\d-\d\d |\Z)",
                   re.S | re.M)


def short(text, width=110):
    return text if len(text) <= width else text[:width] + "..."


def event(body):
    """(ms, description) of one log entry, or None when it is none of the kinds above."""
    m = re.match(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*|bind [^:]*|parse [^:]*): (.*)", body)
    if m:
        return float(m.group(1)), "`%s`" % short(m.group(2))
    m = re.match(r"process \d+ (still waiting for|acquired) (.*?) after ([0-9.]+) ms", body)
    if m:
        return float(m.group(3)), "lock wait: %s %s" % (m.group(1), short(m.group(2), 80))
    m = re.match(r"automatic (vacuum|analyze) of table \"([^\"]+)\"", body)
    if m:
        elapsed = re.search(r"elapsed: ([0-9.]+) s", body)
        return (float(elapsed.group(1)) * 1000 if elapsed else 0.0), "autovacuum: %s of %s" % (m.group(1), m.group(2))
    return None


def main():
    args = sys.argv[1:]
    by_statement = "--by-statement" in args
    args = [a for a in args if a != "--by-statement"]
    text = open(args[0], encoding="utf-8", errors="replace").read()
    windows = []
    if len(args) > 1:
        for line in open(args[1]):
            name, start, end = line.split()
            windows.append((name, float(start), float(end)))
    rows = []
    for m in ENTRY.finditer(text):
        found = event(" ".join(m.group(2).split()))
        if not found:
            continue
        stamp = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
        during = next((name for name, start, end in windows if start <= stamp.timestamp() <= end), "")
        rows.append((stamp.strftime("%H:%M:%S.%f")[:-3], during, found[0], found[1]))
    if not rows:
        return
    if by_statement:
        kinds = {}
        for stamp, during, ms, what in rows:
            first, count, total, longest = kinds.get(what, (stamp, 0, 0.0, 0.0))
            kinds[what] = (first, count + 1, total + ms, max(longest, ms))
        print("| first (UTC) | times | total ms | longest ms | what |")
        print("| --- | ---: | ---: | ---: | --- |")
        for what, (first, count, total, longest) in kinds.items():
            print("| %s | %d | %.0f | %.0f | %s |" % (first, count, total, longest, what))
        return
    print("| time (UTC) |%s ms | what |" % (" during |" if windows else ""))
    print("| --- |%s ---: | --- |" % (" --- |" if windows else ""))
    for stamp, during, ms, what in rows:
        print("| %s |%s %.0f | %s |" % (stamp, " %s |" % during if windows else "", ms, what))


if __name__ == "__main__":
    main()
