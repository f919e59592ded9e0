#!/usr/bin/env python3
"""Clients of bench/slow-clients.sh, on raw sockets (standard library only).

  slow-clients.py slow   --port P --connections N [--interval S] --duration S [--ready-file F]
      keeps N connections open that send a request head one byte every S seconds (each connection at its own
      phase) and never finish it; a connection the server closes is opened again at once, as an attacker would.
      Prints a JSON summary: connections opened, how the server ended them (408 answer, close, reset), how long they
      lived, connect failures.
  slow-clients.py normal --port P --rate R --duration S [--timeout S] [--devices N]
      a device fleet's calls at R a second (open loop), each on a new connection: the heartbeat of device
      1..N of lib.sh's seed_devices (token dvt_bench_<n>), or GET /actuator/health/liveness without --devices.
      Prints a JSON summary: requests, answered 200, failures by kind, latency percentiles of the answered ones.
"""
import argparse
import asyncio
import json
import random
import signal
import sys
import time


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


async def slow(args):
    head = ("GET /actuator/health/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client\r\n"
            "X-Slow: ").encode()
    stats = {"opened": 0, "answered_408": 0, "answered_other": 0, "closed": 0, "reset": 0, "connect_failed": 0,
             "open_now": 0, "open_peak": 0}
    lifetimes = []
    # at most this many connection attempts in flight: the kernel's accept queue is finite on both sides
    connecting = asyncio.Semaphore(args.connect_concurrency)
    # SIGTERM ends the run early (every connection looks at the clock at least once an interval)
    stop_at = [time.monotonic() + args.duration]
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: stop_at.__setitem__(0, 0))
    ready = asyncio.Event()

    async def one_slot(slot):
        # spread the first connections over the ramp, and each connection's bytes over the interval
        await asyncio.sleep(slot / args.ramp)
        while time.monotonic() < stop_at[0]:
            async with connecting:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port), 10)
                except (OSError, asyncio.TimeoutError):
                    stats["connect_failed"] += 1
                    await asyncio.sleep(0.5)
                    continue
            stats["opened"] += 1
            stats["open_now"] += 1
            stats["open_peak"] = max(stats["open_peak"], stats["open_now"])
            if stats["opened"] >= args.connections:
                ready.set()
            opened = time.monotonic()
            ended_by_server = True
            try:
                writer.write(head)
                await writer.drain()
                await asyncio.sleep(random.uniform(0, args.interval))
                while True:
                    if time.monotonic() >= stop_at[0]:
                        ended_by_server = False
                        break
                    try:
                        data = await asyncio.wait_for(reader.read(4096), args.interval)
                    except asyncio.TimeoutError:
                        writer.write(b"a")
                        await writer.drain()
                        continue
                    if not data:
                        stats["closed"] += 1
                    elif data.startswith(b"HTTP/1.1 408"):
                        stats["answered_408"] += 1
                    else:
                        stats["answered_other"] += 1
                    break
            except (ConnectionError, OSError):
                stats["reset"] += 1
            finally:
                stats["open_now"] -= 1
                if ended_by_server:
                    lifetimes.append(time.monotonic() - opened)
                writer.close()

    async def write_ready():
        await ready.wait()
        if args.ready_file:
            with open(args.ready_file, "w") as f:
                f.write("%d\n" % stats["open_now"])

    tasks = [asyncio.create_task(one_slot(i)) for i in range(args.connections)]
    marker = asyncio.create_task(write_ready())
    await asyncio.gather(*tasks)
    marker.cancel()
    stats["lifetime_p50_s"] = percentile(lifetimes, 50)
    stats["lifetime_p99_s"] = percentile(lifetimes, 99)
    stats["lifetime_max_s"] = max(lifetimes) if lifetimes else None
    print(json.dumps(stats))


async def normal(args):
    results = []  # (kind, latency seconds)

    async def one(n):
        if args.devices:
            device = random.randint(1, args.devices)
            body = '{"current_version":"v1.0.0","status":"online"}'
            request = ("POST /api/v1/devices/00000000-0000-7000-8000-%012x/heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "X-API-Key: dvt_bench_%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                       "Connection: close\r\n\r\n%s" % (device, device, len(body), body))
        else:
            request = "GET /actuator/health/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        start = time.monotonic()

        async def exchange():
            reader, writer = await asyncio.open_connection(args.host, args.port)
            try:
                writer.write(request.encode())
                await writer.drain()
                return await reader.read()  # Connection: close: the answer ends with the connection
            finally:
                writer.close()

        try:
            answer = await asyncio.wait_for(exchange(), args.timeout)
            status = answer[9:12].decode(errors="replace") if answer.startswith(b"HTTP/1.1 ") else "none"
            results.append(("ok" if status == "200" else "status_" + status, time.monotonic() - start))
        except asyncio.TimeoutError:
            results.append(("timeout", time.monotonic() - start))
        except ConnectionRefusedError:
            results.append(("refused", time.monotonic() - start))
        except (ConnectionError, OSError):
            results.append(("reset", time.monotonic() - start))

    tasks = []
    begin = time.monotonic()
    total = int(args.rate * args.duration)
    for n in range(total):
        # open loop: the n-th call leaves at n / rate, whatever the earlier ones are doing
        delay = begin + n / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    ok = [latency * 1000 for kind, latency in results if kind == "ok"]
    failures = {}
    for kind, _ in results:
        if kind != "ok":
            failures[kind] = failures.get(kind, 0) + 1
    print(json.dumps({"requests": len(results), "ok": len(ok), "failures": failures,
                      "p50_ms": percentile(ok, 50), "p90_ms": percentile(ok, 90), "p99_ms": percentile(ok, 99),
                      "max_ms": max(ok) if ok else None}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["slow", "normal"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--ramp", type=float, default=2000.0, help="new slow connections a second at the start")
    parser.add_argument("--connect-concurrency", type=int, default=500)
    parser.add_argument("--ready-file")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--devices", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(slow(args) if args.mode == "slow" else normal(args))


if __name__ == "__main__":
    sys.exit(main())
