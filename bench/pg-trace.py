#!/usr/bin/env python3
"""pg-trace.py TITLE < postgres log lines: the statements of one request as a markdown table.

Reads lines logged with log_min_duration_statement = 0 (extended protocol: parse, bind and execute each logged with
their duration) and prints one row per statement executed, with the time PostgreSQL spent in parse + bind + execute.
"""
import re
import sys

title = sys.argv[1]
text = sys.stdin.read()
entries = re.findall(r"duration: ([0-9.]+) ms\s+(parse|bind|execute|statement)([^:]*): (.*?)(?=\n\d{4}-\d\d-\d\d |\Z)",
                     text, re.S)
rows = []
pending = 0.0
for ms, phase, name, stmt in entries:
    stmt = " ".join(stmt.split())
    if phase in ("parse", "bind"):
        pending += float(ms)
        continue
    rows.append((pending + float(ms), stmt))
    pending = 0.0
print()
print("%s: %d statements, %.3f ms inside PostgreSQL" % (title, len(rows), sum(r[0] for r in rows)))
print()
print("| ms (parse+bind+execute) | statement |")
print("| ---: | --- |")
for ms, stmt in rows:
    print("| %.3f | `%s` |" % (ms, stmt[:150] + ("..." if len(stmt) > 150 else "")))
