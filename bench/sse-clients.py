#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""N clients of refurbd's event stream (GET /v1/events), for bench/api-load.sh.

Opens N connections (TLS unless --plain) with a bearer token, reads the
Server-Sent Events of all of them with one selector for DURATION seconds
and, for every event whose data carries "ts_usec" (the daemon's
CLOCK_REALTIME time of the event, docs/network-api.md "Events"), records
the delay between that time and the moment the event's last byte was read
(events from before the last client was connected are not counted).
Prints one JSON object: counts, and the delay percentiles of the job events
(progress) and of all events, in milliseconds. Python 3 standard library
only (socket, ssl, selectors).
"""

import argparse
import json
import selectors
import socket
import ssl
import sys
import time

MAX_LINE = 1 << 20  # an event line longer than this is an error


class Client:
    def __init__(self, idx, sock):
        self.idx = idx
        self.sock = sock
        self.buf = b""     # the stream, de-chunked
        self.raw = b""     # bytes as received, after the headers
        self.chunked = False
        self.data_left = 0  # bytes of the current chunk still to come
        self.crlf_left = 0  # then its CRLF
        self.headers_done = False
        self.status = None
        self.event = None
        self.data = []
        self.events = 0
        self.job_events = 0
        self.closed = False
        self.error = None


def connect(args, ctx, idx):
    raw = socket.create_connection((args.host, args.port), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s = ctx.wrap_socket(raw, server_hostname=args.host) if ctx else raw
    req = (f"GET /v1/events HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
           f"Authorization: Bearer {args.token}\r\nAccept: text/event-stream\r\n\r\n")
    s.sendall(req.encode())
    s.setblocking(False)
    return Client(idx, s)


def percentile(sorted_values, p):
    """Nearest rank, in ms rounded to 0.01."""
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return round(sorted_values[k], 2)


def handle_line(c, line, now_us, t0_us, delays_job, delays_all):
    if line == b"":
        if c.data:
            text = b"\n".join(c.data)
            c.data = []
            c.events += 1
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            ts = doc.get("ts_usec") if isinstance(doc, dict) else None
            if isinstance(ts, int) and ts >= t0_us:
                d = (now_us - ts) / 1000.0
                delays_all.append(d)
                if c.event == "job":
                    delays_job.append(d)
                    c.job_events += 1
        c.event = None
        return
    if line.startswith(b":"):
        return
    field, _, value = line.partition(b":")
    if value.startswith(b" "):
        value = value[1:]
    if field == b"event":
        c.event = value.decode("utf-8", "replace")
    elif field == b"data":
        c.data.append(value)


def dechunk(c):
    """Move the payload of the complete chunks of c.raw to c.buf (HTTP/1.1
    chunked transfer coding, as evhttp sends a stream)."""
    while c.raw:
        if c.data_left:
            take = c.raw[:c.data_left]
            c.buf += take
            c.raw = c.raw[len(take):]
            c.data_left -= len(take)
            continue
        if c.crlf_left:
            n = min(c.crlf_left, len(c.raw))
            c.raw = c.raw[n:]
            c.crlf_left -= n
            continue
        nl = c.raw.find(b"\r\n")
        if nl < 0:
            if len(c.raw) > 1024:
                raise ValueError("bad chunk size line")
            return
        size = int(c.raw[:nl].split(b";")[0].strip(), 16)
        c.raw = c.raw[nl + 2:]
        if size == 0:
            raise ValueError("the stream ended (last chunk)")
        c.data_left, c.crlf_left = size, 2


def feed(c, chunk, now_us, t0_us, delays_job, delays_all):
    if not c.headers_done:
        c.raw += chunk
        end = c.raw.find(b"\r\n\r\n")
        if end < 0:
            if len(c.raw) > 65536:
                raise ValueError("response headers too long")
            return
        head = c.raw[:end].decode("latin-1")
        c.raw = c.raw[end + 4:]
        c.headers_done = True
        first = head.split("\r\n", 1)[0].split()
        c.status = int(first[1]) if len(first) > 1 and first[1].isdigit() else None
        if c.status != 200:
            raise ValueError(f"status line {head.splitlines()[0]!r}")
        c.chunked = "transfer-encoding: chunked" in head.lower()
        chunk = b""
    if c.chunked:
        c.raw += chunk
        dechunk(c)
    else:
        c.buf += c.raw + chunk
        c.raw = b""
    while True:
        nl = c.buf.find(b"\n")
        if nl < 0:
            if len(c.buf) > MAX_LINE:
                raise ValueError("event line too long")
            return
        line = c.buf[:nl].rstrip(b"\r")
        c.buf = c.buf[nl + 1:]
        handle_line(c, line, now_us, t0_us, delays_job, delays_all)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=float, default=35.0)
    p.add_argument("--plain", action="store_true", help="plain HTTP instead of TLS")
    p.add_argument("--cafile", help="verify the bench's certificate with this file (default: not verified)")
    args = p.parse_args()

    ctx = None
    if not args.plain:
        if args.cafile:
            ctx = ssl.create_default_context(cafile=args.cafile)
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE

    sel = selectors.DefaultSelector()
    clients = []
    t_connect = time.monotonic()
    for i in range(args.clients):
        c = connect(args, ctx, i)
        clients.append(c)
        sel.register(c.sock, selectors.EVENT_READ, c)
    connect_s = time.monotonic() - t_connect

    # Count only what happened once every client was connected: until then
    # the first ones were not read, and their backlog would be ours.
    t0_us = time.time_ns() // 1000
    delays_job, delays_all = [], []
    end = time.monotonic() + args.duration
    open_clients = len(clients)
    while open_clients and time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, min(1.0, end - time.monotonic()))):
            c = key.data
            while True:  # drain the socket and whatever OpenSSL holds already decrypted
                try:
                    chunk = c.sock.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    break
                except OSError as e:
                    c.error = repr(e)
                    chunk = b""
                now_us = time.time_ns() // 1000
                if not chunk:
                    c.closed = True
                    break
                try:
                    feed(c, chunk, now_us, t0_us, delays_job, delays_all)
                except ValueError as e:
                    c.error = str(e)
                    c.closed = True
                    break
            if c.closed:
                sel.unregister(c.sock)
                c.sock.close()
                open_clients -= 1
    for c in clients:
        if not c.closed:
            sel.unregister(c.sock)
            c.sock.close()

    delays_job.sort()
    delays_all.sort()
    out = {
        "clients": args.clients,
        "tls": not args.plain,
        "duration_s": args.duration,
        "connect_s": round(connect_s, 3),
        "clients_closed_early": sum(1 for c in clients if c.closed),
        "errors": sorted({c.error for c in clients if c.error})[:5],
        "clients_without_job_events": sum(1 for c in clients if c.job_events == 0),
        "events": len(delays_all),
        "job_events": len(delays_job),
        "job_events_per_client_per_s": round(len(delays_job) / args.clients / args.duration, 2),
        "job_p50_ms": percentile(delays_job, 50),
        "job_p99_ms": percentile(delays_job, 99),
        "job_max_ms": round(delays_job[-1], 2) if delays_job else None,
        "all_p50_ms": percentile(delays_all, 50),
        "all_p99_ms": percentile(delays_all, 99),
    }
    json.dump(out, sys.stdout)
    print()
    return 0 if delays_job and not out["clients_closed_early"] else 1


if __name__ == "__main__":
    sys.exit(main())
