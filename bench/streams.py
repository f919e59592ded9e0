#!/usr/bin/env python3
"""Idle connections for bench/streams_bench.sh, on loopback only, bounded in count and time.

  hold    --port P --kind sse|wait --count N [--cookie C | --cookies FILE] [--cursor X] [--first 1] --ready-file F --duration S
          [--rate 250] [--tries 10]
          opens N connections, RATE a second (a refused one is tried again 2 s later, TRIES times in all), (dashboard streams GET /events with the session cookie, or device waits
          GET /api/v1/devices/{uuid}/wait?cursor=X with bench device n's token), reads their answers' heads, keeps
          reading (SSE keep-alives) and opens a wait again when it is answered; writes F once all are open, and a
          JSON summary to stdout when it ends (after S seconds, or SIGTERM).
  latency --port P --rounds N --device n --zips DIR --admin-key K
          N times: the device's check (its push_cursor), its wait held, an urgent update published to it alone
          (curl, the package DIR/update_vX.zip), the wait's answer, then its check with the offer. JSON to stdout.
"""
import argparse, asyncio, json, signal, socket, subprocess, sys, threading, time, http.client


def bench_uuid(n):
    return "00000000-0000-7000-8000-%012x" % n


def token(n):
    return "dvt_bench_%d" % n


# ---------------------------------------------------------------------------------------------------------- hold
class Holder:
    def __init__(self, args):
        self.args = args
        self.status = {}
        self.open = 0
        self.peak = 0
        self.answered = 0
        self.closed = 0
        self.failed = 0
        self.stop = asyncio.Event()
        self.cookies = [line.strip() for line in open(args.cookies)] if args.cookies else [args.cookie]

    def request(self, i):
        a = self.args
        if a.kind == "sse":
            cookie = self.cookies[i % len(self.cookies)]
            return ("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: %s\r\n\r\n"
                    % cookie).encode()
        n = a.first + i
        return ("GET /api/v1/devices/%s/wait?cursor=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\n"
                "Accept: application/json\r\n\r\n" % (bench_uuid(n), a.cursor, token(n))).encode()

    async def one(self, i, opened):
        first = True
        tries = 0
        while not self.stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.args.port)
            except OSError:
                self.failed += 1
                if first:
                    opened.release()
                    first = False
                await asyncio.sleep(1)
                continue
            try:
                writer.write(self.request(i))
                await writer.drain()
                if self.args.kind == "wait":
                    # a wait's answer (its head too) comes when it ends: it counts as open once sent
                    self.open += 1
                    self.peak = max(self.peak, self.open)
                    if first:
                        opened.release()
                        first = False
                    line = await reader.readline()
                    self.open -= 1
                    code = line.split(b" ")[1].decode() if line.count(b" ") >= 1 else "none"
                    self.status[code] = self.status.get(code, 0) + 1
                    if code == "200":
                        self.answered += 1
                    else:
                        self.closed += 1
                        await asyncio.sleep(2)
                    continue
                line = await reader.readline()
                code = line.split(b" ")[1].decode() if line.count(b" ") >= 1 else "none"
                self.status[code] = self.status.get(code, 0) + 1
                while True:  # the head
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                if code != "200":
                    writer.close()
                    tries += 1
                    if tries >= self.args.tries:
                        if first:
                            opened.release()
                            first = False
                        return
                    await asyncio.sleep(2)  # refused (the limit, or the server busy): try again, as a page does
                    continue
                self.open += 1
                self.peak = max(self.peak, self.open)
                if first:
                    opened.release()
                    first = False
                # idle: read what comes (keep-alive comments; a wait's answer, after which it is opened again)
                while not self.stop.is_set():
                    data = await reader.read(4096)
                    if not data:
                        break
                    if self.args.kind == "wait" and b"check_now" in data:
                        self.answered += 1
                        break
                self.open -= 1
                self.closed += 1
            except (OSError, IndexError):
                self.failed += 1
            finally:
                writer.close()

    async def run(self):
        a = self.args
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop.set)
        loop.add_signal_handler(signal.SIGINT, self.stop.set)
        opened = asyncio.Semaphore(0)
        tasks = []
        t0 = time.monotonic()
        for i in range(a.count):
            tasks.append(asyncio.create_task(self.one(i, opened)))
            if i % 10 == 9:
                await asyncio.sleep(10.0 / a.rate)  # opened at RATE a second, as pages and devices come
        for _ in range(a.count):
            await opened.acquire()
        self.open_seconds = time.monotonic() - t0
        with open(a.ready_file, "w") as f:
            f.write(json.dumps({"open": self.open, "status": self.status}))
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=a.duration)
        except asyncio.TimeoutError:
            pass
        self.stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        print(json.dumps({"kind": a.kind, "wanted": a.count, "open_peak": self.peak, "status": self.status,
                          "answered": self.answered, "closed_by_server": self.closed, "failed": self.failed,
                          "seconds_to_open": round(self.open_seconds, 1)}))


# ------------------------------------------------------------------------------------------------------- latency
def get_json(port, path, key, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path, headers={"X-API-Key": key, "Accept": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, json.loads(body) if body else None


def latency(args):
    n = args.device
    uuid, key = bench_uuid(n), token(n)
    rounds = []
    for r in range(args.rounds):
        version = "v2.0.%d" % (r + 1)
        status, check = get_json(args.port, "/api/v1/devices/%s/updates/check" % uuid, key)
        cursor = check["push_cursor"]
        answer = {}

        def wait():
            s, body = get_json(args.port, "/api/v1/devices/%s/wait?cursor=%s" % (uuid, cursor), key)
            answer["at"] = time.monotonic()
            answer["status"], answer["body"] = s, body

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.5)  # the wait is held (the server looks at it at once: a publish before would answer it too)
        t0 = time.monotonic()
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-API-Key: " + args.admin_key,
                              "-F", "package=@%s/update_%s.zip;type=application/zip" % (args.zips, version),
                              "-F", "version=" + version, "-F", "description=push bench " + version,
                              "-F", "update_type=urgent", "-F", "target_devices=" + uuid,
                              "http://127.0.0.1:%d/api/v1/updates/create" % args.port],
                             capture_output=True, text=True)
        t1 = time.monotonic()
        waiter.join(timeout=120)
        woken = answer.get("at")
        s, offer = get_json(args.port, "/api/v1/devices/%s/updates/check" % uuid, key)
        t3 = time.monotonic()
        ok = (out.stdout == "201" and answer.get("status") == 200 and answer["body"]["check_now"]
              and offer["update"] and offer["update"]["version"] == version)
        rounds.append({"ok": bool(ok), "publish_ms": (t1 - t0) * 1000,
                       "wake_after_publish_start_ms": (woken - t0) * 1000 if woken else None,
                       "wake_after_publish_answer_ms": (woken - t1) * 1000 if woken else None,
                       "offer_after_publish_start_ms": (t3 - t0) * 1000})
    print(json.dumps(rounds))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--kind", choices=["sse", "wait"], required=True)
    h.add_argument("--count", type=int, required=True)
    h.add_argument("--cookie", default="")
    h.add_argument("--cookies", default="", help="a file of cookies, one a line: stream i carries line i mod lines")
    h.add_argument("--cursor", default="")
    h.add_argument("--first", type=int, default=1)
    h.add_argument("--ready-file", required=True)
    h.add_argument("--duration", type=float, default=600)
    h.add_argument("--rate", type=float, default=250, help="connections opened a second")
    h.add_argument("--tries", type=int, default=10, help="attempts of a refused connection")
    l = sub.add_parser("latency")
    l.add_argument("--port", type=int, required=True)
    l.add_argument("--rounds", type=int, default=20)
    l.add_argument("--device", type=int, required=True)
    l.add_argument("--zips", required=True)
    l.add_argument("--admin-key", required=True)
    a = p.parse_args()
    if a.count if a.cmd == "hold" else 0:
        if a.count > 20000 or a.duration > 900:
            sys.exit("bounded: at most 20,000 connections and 900 s")
    if a.cmd == "hold":
        asyncio.run(Holder(a).run())
    else:
        latency(a)


if __name__ == "__main__":
    main()
