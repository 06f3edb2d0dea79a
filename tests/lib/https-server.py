#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small HTTPS file server for the integration tests (Python stdlib only).

Serves the files of --root on 127.0.0.1 over TLS (--cert/--key), with
Range support (206, 416), and fault injection:

  --cut-after N      cut the connection after N bytes of a response body
  --cut-times K      ... for the next K responses (default 1; -1 = every time)
  --ignore-range     answer 200 with the whole file, whatever Range says
  --stall-after N    stop sending after N bytes of a body, keep the
                     connection open for --stall-seconds (default 60), then cut

The same settings can be changed while it runs through --control FILE, a
JSON object {"cut_after": N, "cut_times": K, "ignore_range": bool,
"stall_after": N, "stall_seconds": S} read
again whenever the file changes (cut_times counts from that moment).

--port 0 (default) lets the kernel choose; the port is printed and written
to --port-file (atomically). Every request is logged to --log as one JSON
object per line: {"method", "path", "range", "status", "sent", "cut",
"client_gone"} ("sent" counts body bytes handed to TLS; a client that
closes early may have read fewer).
"""

import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


class Faults:
    """Fault settings, shared by the request threads."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.cut_after = args.cut_after
        self.cut_times = args.cut_times if args.cut_after is not None else 0
        self.ignore_range = args.ignore_range
        self.stall_after = args.stall_after
        self.stall_seconds = args.stall_seconds
        self.control = args.control
        self.control_stamp = None

    def _reload(self):
        if not self.control:
            return
        try:
            st = os.stat(self.control)
        except FileNotFoundError:
            return
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self.control_stamp:
            return
        self.control_stamp = stamp
        with open(self.control, encoding="utf-8") as f:
            c = json.load(f)
        self.cut_after = c.get("cut_after")
        self.cut_times = int(c.get("cut_times", 1)) if self.cut_after is not None else 0
        self.ignore_range = bool(c.get("ignore_range", False))
        self.stall_after = c.get("stall_after")
        self.stall_seconds = float(c.get("stall_seconds", 60))

    def for_response(self):
        """(cut_after or None, ignore_range, stall_after or None, stall_seconds)
        for the response about to be sent."""
        with self.lock:
            self._reload()
            cut = None
            if self.cut_after is not None and self.cut_times != 0:
                cut = self.cut_after
                if self.cut_times > 0:
                    self.cut_times -= 1
            return cut, self.ignore_range, self.stall_after, self.stall_seconds


def parse_range(value, size):
    """(start, end inclusive) of a single "bytes=A-B" / "bytes=A-" / "bytes=-N"
    range; None when malformed (ignored, as RFC 9110 allows); "unsatisfiable"."""
    if not value.startswith("bytes=") or "," in value:
        return None
    spec = value[len("bytes="):].strip()
    first, sep, last = spec.partition("-")
    if not sep:
        return None
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                return "unsatisfiable"
            return (max(0, size - n), size - 1)
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        return "unsatisfiable"
    if start < 0 or end < start:
        return None
    return (start, min(end, size - 1))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "refurb-test-https/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log says it all
        pass

    def _log(self, status, sent, cut, gone=False):
        entry = {
            "method": self.command,
            "path": self.path,
            "range": self.headers.get("Range"),
            "status": status,
            "sent": sent,
            "cut": cut,
            "client_gone": gone,
        }
        with self.server.log_lock, open(self.server.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def _file(self):
        rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        parts = [p for p in rel.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None
        path = os.path.join(self.server.root, *parts)
        return path if os.path.isfile(path) else None

    def _simple(self, status, body=b"", extra=None):
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._log(status, len(body), False)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self._file()
        if path is None:
            self._simple(404, b"not found\n")
            return
        size = os.path.getsize(path)
        cut, ignore_range, stall, stall_seconds = self.server.faults.for_response()
        if stall is not None:
            cut = stall if cut is None else min(cut, stall)
        rng = None if ignore_range else self.headers.get("Range")
        start, end, status = 0, size - 1, 200
        if rng is not None:
            r = parse_range(rng, size)
            if r == "unsatisfiable":
                self._simple(416, extra={"Content-Range": f"bytes */{size}"})
                return
            if r is not None:
                start, end = r
                status = 206
        length = end - start + 1 if size > 0 else 0
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "none" if ignore_range else "bytes")
        self.send_header("Content-Length", str(length))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            self._log(status, 0, False)
            return
        sent = 0
        limit = length if cut is None else min(length, cut)
        gone = False
        try:
            with open(path, "rb") as f:
                f.seek(start)
                while sent < limit:
                    data = f.read(min(CHUNK, limit - sent))
                    if not data:
                        break
                    self.wfile.write(data)
                    sent += len(data)
            self.wfile.flush()
        except (ConnectionError, ssl.SSLError, TimeoutError):
            # The client went away (it refused the answer, or was cancelled).
            gone = True
            self.close_connection = True
        was_cut = cut is not None and sent < length and not gone
        if was_cut and stall is not None:
            time.sleep(stall_seconds)  # the client sees a silent connection
        self._log(status, sent, was_cut, gone)
        if gone:
            return
        if was_cut:
            # Abrupt end: no TLS close_notify, the client sees a short body.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client going away (cut connections, cancelled downloads) is normal here.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", required=True)
    ap.add_argument("--cut-after", type=int)
    ap.add_argument("--cut-times", type=int, default=1)
    ap.add_argument("--ignore-range", action="store_true")
    ap.add_argument("--stall-after", type=int)
    ap.add_argument("--stall-seconds", type=float, default=60)
    ap.add_argument("--control")
    args = ap.parse_args()

    httpd = Server(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.root = os.path.abspath(args.root)
    httpd.log_path = args.log
    httpd.log_lock = threading.Lock()
    httpd.faults = Faults(args)

    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"listening on https://127.0.0.1:{port}/ (root {httpd.root})", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
