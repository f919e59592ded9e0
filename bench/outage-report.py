#!/usr/bin/env python3
"""The tables of bench/db-outage.sh, from its work directory: what OutageLoad's devices sent and were told
(load-RUN.csv), when the script stopped and started things (marks-*), the database's rows at chosen moments
(snapshots, *.csv), the server's log (server/server.log) and PostgreSQL's (postgresql.log). Usage: outage-report.py
WORK"""
import collections
import csv
import datetime
import math
import re
import sys

work = sys.argv[1]
server_log = f"{work}/server/server.log"


def marks(name):
    with open(f"{work}/marks-{name}") as f:
        return {k: int(v) for k, v in (line.strip().split("=") for line in f if "=" in line)}


def load(run):
    with open(f"{work}/load-{run}.csv") as f:
        return [dict(r, sent=int(r["sent_ms"]), answered=int(r["answered_ms"]), status=int(r["status"]),
                     device=int(r["device"])) for r in csv.DictReader(f)]


def snapshot(name):
    with open(f"{work}/{name}.csv") as f:
        return {int(n): (seen, version) for n, seen, version in csv.reader(f)}


def micros(iso):
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1_000_000)


def version_step(version):  # "v1.RUN.k" -> k; the seeded v1.0.0 -> 0
    return int(version.rsplit(".", 1)[1]) if version else 0


def pct(values, p):
    if not values:
        return "-"
    values = sorted(values)
    return f"{values[max(0, math.ceil(p / 100 * len(values)) - 1)]:,}"


def row(label, rows):
    waited = sum(1 for r in rows if r["status"] < 0)
    rows = [r for r in rows if r["status"] >= 0]
    answered = [r for r in rows if r["status"] > 0]
    latency = [r["answered"] - r["sent"] for r in answered]
    unavailable = [r for r in rows if r["status"] == 503]
    with_retry = sum(1 for r in unavailable if r["retry_after"])
    other = [r for r in answered if r["status"] not in (200, 503)]
    statuses = ", ".join(f"{n:,}×{s}" for s, n in sorted(collections.Counter(r["status"] for r in other).items()))
    return (f"| {label} | {len(rows):,} | {sum(1 for r in rows if r['status'] == 200):,} | "
            f"{len(unavailable):,} ({with_retry:,}) | {statuses or 0} | "
            f"{sum(1 for r in rows if r['status'] == 0):,} | {waited:,} | "
            f"{pct(latency, 50)} | {pct(latency, 99)} | {max(latency) if latency else '-':,} |")


HEADER = ("| requests sent | requests | 200 | 503 (with Retry-After) | other answers | no answer | held back | p50 ms | "
          "p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")


def acknowledged(rows, before):
    """Per device: the newest last_seen it was told (and when it was told), and its newest acknowledged version."""
    seen, versions = {}, {}
    for r in rows:
        if r["kind"] in ("hb", "hbv") and r["status"] == 200 and r["answered"] < before:
            t = micros(r["last_seen"])
            if t > seen.get(r["device"], (0, 0))[0]:
                seen[r["device"]] = (t, r["answered"])
            if r["kind"] == "hbv":
                versions[r["device"]] = max(versions.get(r["device"], 0), version_step(r["version"]))
    return seen, versions


def lost(seen, versions, db):
    seen_lost = {n: told for n, (t, told) in seen.items() if micros(db[n][0]) < t}
    versions_lost = [n for n, k in versions.items() if version_step(db[n][1]) < k]
    return seen_lost, versions_lost


def log_times(pattern, path=server_log, stamp=lambda line: line.split()[0]):
    """(epoch ms, line) of every line that matches; the server's lines start with an ISO instant."""
    times = []
    with open(path, errors="replace") as f:
        for line in f:
            if re.search(pattern, line):
                try:
                    text = stamp(line).replace("Z", "+00:00").replace(" UTC", "+00:00")
                    times.append((int(datetime.datetime.fromisoformat(text).timestamp() * 1000), line.strip()))
                except ValueError:
                    pass
    return times


def postgresql(pattern, after):
    """When PostgreSQL logged pattern, first time after `after` (its lines start "2026-12-01 21:46:29.123 UTC")."""
    try:
        times = [t for t, _ in log_times(pattern, f"{work}/postgresql.log", lambda line: " ".join(line.split()[:3]))
                 if t >= after]
    except FileNotFoundError:
        return None
    return times[0] if times else None


def first(rows, condition):
    return min((r for r in rows if condition(r)), key=lambda r: r["answered"], default=None)


def seconds(ms):
    return f"{ms / 1000:.2f} s" if ms is not None else "never"


# --- the warm-up: every device must have called once, so that its token is known without the database ---
warm = load(0)
called = {r["device"] for r in warm if r["kind"] in ("hb", "hbv") and r["status"] == 200}
print(f"Warm-up (one interval, not counted below): {len(called):,} devices acknowledged at least once, "
      f"{sum(1 for r in warm if r['kind'] != 'ready' and r['status'] not in (200, -1)):,} heartbeats answered "
      "otherwise or not at all.")
print()

# --- the database stopped ---
m = marks("outage")
down = postgresql(r"database system is shut down", m["stop"]) or m["stopped"]
ready_at = postgresql(r"database system is ready to accept connections", m["start"]) or m["started"]
rows = load(1)
beats = [r for r in rows if r["kind"] in ("hb", "hbv")]
ready = [r for r in rows if r["kind"] == "ready"]
phases = [("before the stop", lambda r: r["sent"] < m["stop"]),
          (f"PostgreSQL stopping or down ({(ready_at - m['stop']) / 1000:.1f} s)",
           lambda r: m["stop"] <= r["sent"] < ready_at),
          ("after it is ready again", lambda r: r["sent"] >= ready_at)]
print(f"**PostgreSQL stopped for {(m['start'] - m['stopped']) / 1000:.0f} s under load** (phases by when a request "
      "was sent, PostgreSQL's times from its log; latency of the requests that were answered; held back: the load "
      "tool already had 4,096 requests waiting, and tried again 250 ms later):")
print()
print(HEADER)
for label, inside in phases:
    print(row(f"heartbeats, {label}", [r for r in beats if inside(r)]))
for label, inside in phases:
    print(row(f"readiness, {label}", [r for r in ready if inside(r)]))
print()


def gist(note):
    found = re.search(r'"(?:detail|error)":"([^"]*)', note)
    return found.group(1) if found else note.strip()


notes = collections.Counter(f"{r['status']} {gist(r['note'])}" for r in beats
                            if r["status"] not in (200, 503, -1) and r["note"])
if notes:
    print("Answers other than 200 and 503, and failures: "
          + "; ".join(f"{n:,}× `{note}`" for note, n in notes.most_common(4)) + ".")
    print()

first_503 = first(beats, lambda r: r["status"] == 503 and r["sent"] >= m["stop"])
ready_down = first(ready, lambda r: r["status"] == 503 and r["sent"] >= m["stop"])
ready_up = first(ready, lambda r: r["status"] == 200 and r["sent"] >= ready_at)
first_ok = first(beats, lambda r: r["status"] == 200 and r["sent"] >= ready_at)
late_503 = sum(1 for r in beats if r["status"] == 503 and r["sent"] >= ready_at)
seen, versions = acknowledged(rows, ready_at)
seen_lost, versions_lost = lost(seen, versions, snapshot("after-return"))
_, all_versions = acknowledged(rows, m["end-outage"])
_, end_versions_lost = lost({}, all_versions, snapshot("end-outage"))
noticed = [t for t, _ in log_times(r"database unavailable \(") if t >= m["stop"]]
back = [t for t, _ in log_times(r"database available again") if t >= m["start"]]
rewritten = [line for t, line in log_times(r"heartbeat flush writes again") if t >= m["start"]]
print("| figure | measured |\n| --- | --- |")
print(f"| PostgreSQL shut down, after the stop began / ready again, after the start began | "
      f"{seconds(down - m['stop'])} / {seconds(ready_at - m['start'])} |")
print(f"| first heartbeat answered 503, after the stop began | "
      f"{seconds(first_503['answered'] - m['stop'] if first_503 else None)} |")
print(f"| readiness DOWN, after the stop began | {seconds(ready_down['answered'] - m['stop'] if ready_down else None)} |")
print(f"| the server's log: outage noticed, after the stop began / over, after PostgreSQL was ready | "
      f"{seconds(noticed[0] - m['stop'] if noticed else None)} / {seconds(back[0] - ready_at if back else None)} |")
print(f"| first acknowledged heartbeat, after PostgreSQL was ready | "
      f"{seconds(first_ok['answered'] - ready_at if first_ok else None)} |")
print(f"| readiness UP, after PostgreSQL was ready | {seconds(ready_up['answered'] - ready_at if ready_up else None)} |")
print(f"| heartbeats sent after PostgreSQL was ready and answered 503 (before the probe saw it) | {late_503:,} |")
print(f"| heartbeats kept through the outage and written after it (the server's log) | "
      f"{rewritten[0].rsplit('devices=', 1)[1] if rewritten else 'none'} |")
print(f"| devices told \"received\" before PostgreSQL was ready whose last_seen was not in the database 5 s after | "
      f"**{len(seen_lost):,}** of {len(seen):,} |")
print(f"| acknowledged version changes missing from the database (5 s after / at the end) | "
      f"**{len(versions_lost):,}** of {len(versions):,} devices / **{len(end_versions_lost):,}** of "
      f"{len(all_versions):,} |")
print()

# --- the server killed ---
m = marks("kill")
rows = load(2)
beats = [r for r in rows if r["kind"] in ("hb", "hbv")]
phases = [("before the kill", lambda r: r["sent"] < m["kill"]),
          (f"server down ({(m['restarted'] - m['kill']) / 1000:.0f} s, restart included)",
           lambda r: m["kill"] <= r["sent"] < m["restarted"]),
          ("after the restart", lambda r: r["sent"] >= m["restarted"])]
print("**The server killed with kill -9 under load, then started again** (same phases):")
print()
print(HEADER)
for label, inside in phases:
    print(row(f"heartbeats, {label}", [r for r in beats if inside(r)]))
print()
seen, versions = acknowledged(rows, m["kill"])
seen_lost, versions_lost = lost(seen, versions, snapshot("after-kill"))
_, all_versions = acknowledged(rows, m["end-kill"])
_, end_versions_lost = lost({}, all_versions, snapshot("end-kill"))
first_ok = first(beats, lambda r: r["status"] == 200 and r["sent"] >= m["kill"])
oldest = max((m["kill"] - told for told in seen_lost.values()), default=None)
print("| figure | measured |\n| --- | --- |")
print(f"| the server started again (liveness), after the kill | {seconds(m['restarted'] - m['kill'])} |")
print(f"| first acknowledged heartbeat, after the kill | "
      f"{seconds(first_ok['answered'] - m['kill'] if first_ok else None)} |")
print(f"| devices told \"received\" before the kill whose last_seen was not in the database (batched: lost by "
      f"design within one flush interval) | {len(seen_lost):,} of {len(seen):,}; the oldest told "
      f"{seconds(oldest)} before the kill |")
print(f"| acknowledged version changes missing from the database (just after the kill / at the end) | "
      f"**{len(versions_lost):,}** of {len(versions):,} devices / **{len(end_versions_lost):,}** of "
      f"{len(all_versions):,} |")
