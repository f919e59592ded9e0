#!/usr/bin/env python3
"""Bytes on the wire of the TCP connections in a pcap written by tcpdump -i lo (agent.sh).

pcap-bytes.py FILE            a markdown table: per connection and direction, packets, TCP payload and IP bytes
                              (IP + TCP headers + payload), the HTTP requests seen, and the projection of one
                              exchange to an hour (12 exchanges) and a 30-day month
pcap-bytes.py --closed FILE   exit 0 when some connection has been opened (SYN) and closed (FIN both ways)
"""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_len = {1: 14, 113: 16, 0: 4, 276: 20}.get(linktype)
    if link_len is None:
        sys.exit("unsupported link type %d" % linktype)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < incl:
            break
        ip = frame[link_len:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:]
        sport, dport = struct.unpack(">HH", tcp[:4])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        payload = ip[ihl + doff:total]
        yield sport, dport, flags, total, payload


def connections(path):
    conns = {}
    server_port = None
    for sport, dport, flags, total, payload in packets(path):
        if flags & 0x02 and not flags & 0x10:  # SYN without ACK: the client opens
            server_port = dport
        if server_port is None:
            continue
        if dport == server_port:
            key, direction = sport, "up"
        elif sport == server_port:
            key, direction = dport, "down"
        else:
            continue
        c = conns.setdefault(key, {"up": [0, 0, 0], "down": [0, 0, 0], "syn": False, "fin": set(), "requests": [],
                                   "stream": {"up": b"", "down": b""}})
        c["stream"][direction] += payload
        c[direction][0] += 1
        c[direction][1] += len(payload)
        c[direction][2] += total
        if flags & 0x02 and not flags & 0x10:
            c["syn"] = True
        if flags & 0x01:
            c["fin"].add(direction)
        if direction == "up" and payload[:4] in (b"GET ", b"POST", b"PUT ", b"PATC"):
            c["requests"].append(payload.split(b"\r\n", 1)[0].decode("ascii", "replace"))
    return conns


def messages(stream):
    """Splits an HTTP/1.1 byte stream into (head, body) pairs (Content-Length or chunked bodies)."""
    out = []
    while stream:
        end = stream.find(b"\r\n\r\n")
        if end < 0:
            break
        head, rest = stream[:end + 4], stream[end + 4:]
        lower = head.lower()
        length = 0
        if b"content-length:" in lower:
            length = int(lower.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            body, stream = rest[:length], rest[length:]
        elif b"transfer-encoding: chunked" in lower:
            body = b""
            while True:
                line_end = rest.find(b"\r\n")
                size = int(rest[:line_end].split(b";")[0], 16)
                chunk_total = line_end + 2 + size + 2
                body += rest[:chunk_total]
                rest = rest[chunk_total:]
                if size == 0:
                    break
            stream = rest
        else:
            body, stream = b"", rest
        out.append((head, body))
    return out


def main():
    if sys.argv[1] == "--closed":
        conns = connections(sys.argv[2])
        sys.exit(0 if any(c["syn"] and c["fin"] == {"up", "down"} for c in conns.values()) else 1)
    conns = connections(sys.argv[1])
    print("One exchange on the wire (tcpdump on loopback, plain HTTP, from SYN to the last FIN/ACK):")
    print()
    print("| connection | requests | direction | packets | TCP payload bytes | IP bytes (headers + payload) |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    up = down = packets_total = 0
    for port, c in sorted(conns.items()):
        reqs = "; ".join(r.replace("00000000-", "…")[:70] for r in c["requests"]) or "-"
        closed = "opened and closed" if c["syn"] and c["fin"] == {"up", "down"} else "incomplete"
        for d, label in (("up", "device → server"), ("down", "server → device")):
            print("| :%d (%s) | %s | %s | %d | %d | %d |" % (port, closed, reqs if d == "up" else "", label,
                                                        c[d][0], c[d][1], c[d][2]))
        up += c["up"][2]
        down += c["down"][2]
        packets_total += c["up"][0] + c["down"][0]
    per_exchange = up + down
    eth = per_exchange + 18 * packets_total  # Ethernet header and FCS per frame
    hour = 12
    month = 12 * 24 * 30
    print()
    print("| projection (one exchange, a device's heartbeat and update check, every 5 min: 12 an hour) | sent | received | total |")
    print("| --- | ---: | ---: | ---: |")
    print("| one exchange, IP bytes | %d B | %d B | %d B |" % (up, down, per_exchange))
    print("| an hour | %.1f KB | %.1f KB | %.1f KB |" % (up * hour / 1e3, down * hour / 1e3, per_exchange * hour / 1e3))
    print("| a 30-day month | %.2f MB | %.2f MB | **%.2f MB** |" % (up * month / 1e6, down * month / 1e6,
                                                                    per_exchange * month / 1e6))
    print("| a 30-day month with Ethernet framing (+18 B a packet) | | | %.2f MB |" % (eth * month / 1e6))
    print()
    print("What the TCP payload is (HTTP/1.1 as sent; bytes of each message's head and body):")
    print()
    print("| direction | message | head bytes | body bytes |")
    print("| --- | --- | ---: | ---: |")
    for port, c in sorted(conns.items()):
        for d, label in (("up", "device → server"), ("down", "server → device")):
            for head, body in messages(c["stream"][d]):
                first = head.split(b"\r\n", 1)[0].decode("ascii", "replace").replace("00000000-", "…")
                print("| %s | `%s` | %d | %d |" % (label, first[:60], len(head), len(body)))
    print()
    print("Headers of the exchange, verbatim:")
    print()
    print("```")
    for port, c in sorted(conns.items()):
        for d in ("up", "down"):
            for head, body in messages(c["stream"][d]):
                text = head.decode("ascii", "replace").rstrip()
                # the device's token is a secret even on a bench server: show its length only
                text = "\n".join(l if not l.lower().startswith("x-api-key:") else
                                 "X-API-Key: <token, %d characters>" % len(l.split(":", 1)[1].strip())
                                 for l in text.split("\r\n"))
                print(text)
                if body:
                    print(body.decode("utf-8", "replace"))
                print()
    print("```")
    print()
    print("Not included: TLS (an HTTPS server adds its handshake to every new connection, typically 4-7 KB with a")
    print("certificate chain, far less with session resumption), DNS lookups of the server's name, Wi-Fi framing,")
    print("and the one-off registration and any update download.")


if __name__ == "__main__":
    main()
