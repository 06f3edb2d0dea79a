#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The network API against its contract (docs/network-api.md, docs/api.md).

Run by tests/integration/api-network.sh against a refurbd it started, with
one token per role. Python 3 standard library only (http.client, ssl, json).

For every endpoint of the table ENDPOINTS: no token -> 401 unauthenticated
with WWW-Authenticate; a wrong token -> 401; each role not allowed -> 403
forbidden (or unix-only); each allowed role -> neither 401 nor 403, nor a
5xx; JSON bodies: malformed -> 400, 100 KiB -> 413. Then: 2 MiB bodies,
the session cookie and its CSRF rules, a revoked token, TLS details, and
the daemon still answering at the end.

Every failure is printed and counted; the exit status is 1 when any check
failed, 0 otherwise.
"""

import argparse
import hashlib
import http.client
import json
import re
import secrets
import socket
import ssl
import sys
import time

ROLES = ("technician", "supervisor", "dsi", "agent")
ALL = frozenset(ROLES)
T = frozenset({"technician"})
S = frozenset({"supervisor"})
D = frozenset({"dsi"})
TS = frozenset({"technician", "supervisor"})
TSD = frozenset({"technician", "supervisor", "dsi"})
UNIX = frozenset()  # /v1/tokens: Unix socket only, 403 unix-only for everyone over TCP

# Body kinds: None (GET), "json" (the endpoint reads a JSON object),
# "json?" (an optional JSON object), "none" (a POST that takes no body),
# "sse" (the event stream).
# (method, path, body kind, allowed roles, body sent by the allowed roles)
ENDPOINTS = [
    ("GET", "/v1/status", None, ALL, None),
    ("GET", "/v1/bench/certificate", None, ALL, None),
    ("GET", "/v1/session", None, ALL, None),
    ("GET", "/v1/bays", None, TS, None),
    ("GET", "/v1/devices", None, TS, None),
    ("GET", "/v1/devices/{dev}", None, TS, None),
    ("POST", "/v1/devices/{dev}/erase", "json?", T, {"verify": "sample", "verify_percent": 1}),
    ("GET", "/v1/jobs", None, TS, None),
    ("GET", "/v1/jobs?limit=5", None, TS, None),
    ("GET", "/v1/jobs/{job}", None, TS, None),
    ("POST", "/v1/jobs/{job}/cancel", "none", T, None),
    ("GET", "/v1/events", "sse", TSD, None),
    ("POST", "/v1/donors", "json", S, {}),
    ("GET", "/v1/donors", None, S, None),
    ("GET", "/v1/donors/{ref}", None, S, None),
    ("POST", "/v1/assets", "json", TS, {}),
    ("GET", "/v1/assets", None, S, None),
    ("GET", "/v1/assets/{tag}", None, TS, None),
    ("POST", "/v1/assets/{tag}/link", "json", TS, {}),
    ("POST", "/v1/assets/{tag}/certificate", "none", S, None),
    ("GET", "/v1/certificates", None, S, None),
    ("GET", "/v1/certificates?q=abc", None, S, None),
    ("GET", "/v1/certificates/{cert}", None, S, None),
    ("GET", "/v1/certificates/{cert}/pdf?lang=fr", None, S, None),
    ("POST", "/v1/certificates/{cert}/validation", "json", S, {}),
    ("GET", "/v1/reports/donation/{ref}", None, S, None),
    ("GET", "/v1/reports/donation/{ref}/pdf?lang=en", None, S, None),
    ("GET", "/v1/exports/assets.csv", None, S, None),
    ("GET", "/v1/exports/certificates.csv", None, S, None),
    ("GET", "/v1/ledger", None, S, None),
    ("GET", "/v1/ledger?from=1&limit=10", None, S, None),
    ("POST", "/v1/ledger/head", "none", S, None),
    ("GET", "/v1/ledger/check", None, S, None),
    ("GET", "/v1/profiles", None, D, None),
    ("GET", "/v1/profiles/{profile}", None, D, None),
    ("POST", "/v1/profiles", "json", D, {}),
    ("GET", "/v1/profiles/defaults", None, D, None),
    ("PUT", "/v1/profiles/defaults", "json", D, {}),
    ("GET", "/v1/tokens", None, UNIX, None),
    ("POST", "/v1/tokens", "json", UNIX, {"role": "dsi", "name": "intrus"}),
    ("POST", "/v1/tokens/1/revoke", "none", UNIX, None),
    # the same, spelled so that a check on the raw path would miss it
    ("GET", "/v1/%74okens", None, UNIX, None),
    # last: with a bearer token there is no session to end
    ("DELETE", "/v1/session", None, ALL, None),
]

MALFORMED = [
    ("truncated", b'{"name": "x'),
    ("not an object", b'[1, 2, 3]'),
    ("a string", b'"texte"'),
    ("invalid UTF-8", b'{"name": "\xff\xfe\xc3"}'),
    ("10 000-deep arrays", b"[" * 10000 + b"]" * 10000),
    ("10 000-deep objects", b'{"a":' * 10000 + b"1" + b"}" * 10000),
    ("a NUL byte", b'{"name": "a\x00b"}'),
]


class Checker:
    def __init__(self):
        self.failures = []
        self.passed = 0
        self.current = ""

    def section(self, what):
        self.current = what
        print(f"\n=== CHECK: {what}", flush=True)

    def ok(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"    ok: {what}", flush=True)
        else:
            self.failures.append(f"[{self.current}] {what}: {detail}")
            print(f"    FAIL: {what}: {detail}", flush=True)
        return cond


class Answer:
    def __init__(self, status, headers, body, error=None):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body
        self.error = error  # the exception when no HTTP answer came

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def short(self):
        if self.error is not None:
            return f"no answer ({self.error!r})"
        text = self.body[:240].decode("utf-8", "replace").replace("\n", "\\n")
        return f"{self.status} {text}"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Api:
    def __init__(self, args):
        self.host = args.host
        self.port = args.port
        self.ctx = ssl.create_default_context(cafile=args.cafile)
        self.unix = args.socket

    def conn(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.ctx)

    def request(self, method, path, body=None, headers=None, token=None, cookie=None, timeout=30, conn=None):
        h = {}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if cookie is not None:
            h["Cookie"] = f"refurb_session={cookie}"
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c = conn or self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return Answer(r.status, r.getheaders(), data)
        except (OSError, http.client.HTTPException) as e:
            return Answer(None, [], b"", e)
        finally:
            if conn is None:
                c.close()

    def unix_request(self, method, path, body=None):
        c = UnixHTTPConnection(self.unix)
        try:
            h = {}
            if body is not None:
                body = json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return Answer(r.status, r.getheaders(), r.read())
        finally:
            c.close()


def is_error_doc(a, status=None, code=None):
    """'' when a is an error document (with status and code when given), else why not."""
    if a.error is not None:
        return f"no HTTP answer: {a.error!r}"
    if status is not None and a.status != status:
        return f"status {a.status}, expected {status}: {a.short()}"
    ctype = a.header("Content-Type") or ""
    if not ctype.startswith("application/json"):
        return f"Content-Type '{ctype}', expected application/json: {a.short()}"
    doc = a.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), dict):
        return f"not an error document: {a.short()}"
    e = doc["error"]
    for k in ("code", "message_fr", "message_en"):
        if not isinstance(e.get(k), str) or not e[k]:
            return f"error.{k} missing or empty: {a.short()}"
    if code is not None and e["code"] != code:
        return f"error.code '{e['code']}', expected '{code}': {a.short()}"
    return ""


def check_error(ck, a, status, code, what):
    why = is_error_doc(a, status, code)
    return ck.ok(why == "", what, why)


def fill(path, ids):
    for k, v in ids.items():
        path = path.replace("{" + k + "}", str(v))
    return path


def body_for(kind, sample):
    if kind in ("json", "json?"):
        return sample if sample is not None else {}
    return None


def sse_check(ck, api, path, token, role):
    """An allowed role opens the stream: 200 text/event-stream, a first event
    (one bay event per bay on connect) whose data carries ts_usec."""
    c = api.conn(timeout=10)
    try:
        c.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
        r = c.getresponse()
        ctype = r.getheader("Content-Type") or ""
        if not ck.ok(r.status == 200 and ctype.startswith("text/event-stream"),
                     f"GET {path} as {role}: 200 text/event-stream", f"{r.status} {ctype}"):
            return
        event = data = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            line = r.readline(65536)
            if not line:
                break
            line = line.rstrip(b"\r\n")
            if line.startswith(b"event:"):
                event = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                data = line[5:].strip()
            elif line == b"" and data is not None:
                break
        doc = None
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            pass
        ck.ok(event == "bay" and isinstance(doc, dict), f"GET {path} as {role}: a first 'bay' event",
              f"event {event!r}, data {data!r:.200}")
        if isinstance(doc, dict):
            ts = doc.get("ts_usec")
            now = time.time() * 1e6
            ck.ok(isinstance(ts, int) and abs(now - ts) < 120e6, f"GET {path} as {role}: ts_usec is now",
                  f"ts_usec {ts!r}, now {now:.0f}")
    except (OSError, http.client.HTTPException) as e:
        ck.ok(False, f"GET {path} as {role}", repr(e))
    finally:
        c.close()


def check_endpoints(ck, api, tokens, ids):
    for method, raw_path, kind, allowed, sample in ENDPOINTS:
        path = fill(raw_path, ids)
        ck.section(f"{method} {path} (allowed: {', '.join(sorted(allowed)) or 'Unix socket only'})")
        body = body_for(kind, sample)

        a = api.request(method, path, body=body)
        check_error(ck, a, 401, "unauthenticated", "no token: 401 unauthenticated")
        ck.ok(a.header("WWW-Authenticate") == 'Bearer realm="refurb"', "no token: WWW-Authenticate",
              repr(a.header("WWW-Authenticate")))
        fake = "rfb1_" + secrets.token_urlsafe(32)[:43]
        a = api.request(method, path, body=body, token=fake)
        check_error(ck, a, 401, "unauthenticated", "an unknown rfb1_ token: 401")
        a = api.request(method, path, body=body, headers={"Authorization": "Bearer n'importe quoi"})
        check_error(ck, a, 401, "unauthenticated", "a garbage bearer token: 401")
        a = api.request(method, path, body=body, headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        check_error(ck, a, 401, "unauthenticated", "a Basic authorization: 401")

        for role in ROLES:
            if role in allowed:
                continue
            a = api.request(method, path, body=body, token=tokens[role])
            if allowed == UNIX:
                check_error(ck, a, 403, "unix-only", f"{role}: 403 unix-only")
                continue
            if check_error(ck, a, 403, "forbidden", f"{role}: 403 forbidden"):
                e = a.json()["error"]
                ck.ok(e.get("role") == role and sorted(e.get("allowed") or []) == sorted(allowed),
                      f"{role}: the refusal names the role and the allowed roles",
                      f"role {e.get('role')!r}, allowed {e.get('allowed')!r}")

        for role in sorted(allowed):
            if kind == "sse":
                sse_check(ck, api, path, tokens[role], role)
                continue
            a = api.request(method, path, body=body, token=tokens[role])
            good = a.error is None and a.status not in (401, 403) and a.status < 500
            ck.ok(good, f"{role}: allowed (neither 401, 403 nor 5xx)", a.short())
            if a.error is None and a.status >= 400:
                check_error(ck, a, a.status, None, f"{role}: the {a.status} is an error document")

        if method not in ("POST", "PUT") or not allowed:
            continue
        role = sorted(allowed)[0]
        for what, raw in MALFORMED:
            a = api.request(method, path, body=raw, token=tokens[role])
            if kind == "none":
                # no body is read: ignoring one is fine, failing on it is not
                good = a.error is None and a.status < 500 and (a.status < 400 or is_error_doc(a) == "")
                ck.ok(good, f"{what} body on a body-less POST: ignored or refused cleanly", a.short())
            else:
                check_error(ck, a, 400, "bad-request", f"{what} body: 400 bad-request")
        big = b'{"x": "' + b"a" * (100 * 1024) + b'"}'
        a = api.request(method, path, body=big, token=tokens[role])
        check_error(ck, a, 413, "too-large", "a 100 KiB body: 413 too-large")


def send_huge(api, method, path, token, size):
    """Send size bytes of body over a raw TLS socket; the server may stop
    reading and answer early: whatever comes back is returned."""
    raw = socket.create_connection((api.host, api.port), timeout=15)
    s = api.ctx.wrap_socket(raw, server_hostname=api.host)
    head = (f"{method} {path} HTTP/1.1\r\nHost: {api.host}:{api.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode()
    sent_error = None
    try:
        s.sendall(head)
        chunk = b'{"x": "' + b"a" * (64 * 1024 - 7)
        left = size
        while left > 0:
            n = min(left, len(chunk))
            s.sendall(chunk[:n])
            left -= n
    except OSError as e:
        sent_error = e
    data = b""
    try:
        while len(data) < 65536:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    finally:
        s.close()
    return data, sent_error


def check_huge(ck, api, tokens):
    ck.section("2 MiB bodies: 413, and the daemon answers the next request")
    for method, path, role in (("POST", "/v1/donors", "supervisor"), ("POST", "/v1/assets", "technician"),
                               ("PUT", "/v1/profiles/defaults", "dsi"), ("POST", "/v1/session", None)):
        data, err = send_huge(api, method, path, tokens[role] if role else "x", 2 * 1024 * 1024)
        status = data.split(b"\r\n", 1)[0].decode("latin-1")
        ck.ok(status.startswith("HTTP/1.1 413"), f"{method} {path} with 2 MiB: 413",
              f"status line {status!r} (sending stopped by {err!r})")
        a = api.request("GET", "/v1/status", token=tokens["agent"])
        ck.ok(a.status == 200, "the daemon answers GET /v1/status right after", a.short())


def set_cookie_attrs(value):
    parts = [p.strip() for p in value.split(";")]
    name, _, sid = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip()
    return name, sid, attrs


def check_session(ck, api, tokens, port):
    ck.section("POST /v1/session: bad sign-ins")
    a = api.request("POST", "/v1/session", body={"token": "rfb1_" + "A" * 43})
    check_error(ck, a, 401, "unauthenticated", "an unknown token: 401")
    ck.ok(not a.header_all("Set-Cookie"), "no cookie for an unknown token", repr(a.header_all("Set-Cookie")))
    a = api.request("POST", "/v1/session", body={"token": 12})
    check_error(ck, a, 400, "bad-request", "a number as token: 400")
    a = api.request("POST", "/v1/session", body={"token": tokens["technician"], "colour": "red"})
    check_error(ck, a, 400, "bad-request", "an unknown member: 400")
    for what, raw in MALFORMED:
        a = api.request("POST", "/v1/session", body=raw)
        check_error(ck, a, 400, "bad-request", f"{what} body: 400")
    a = api.request("POST", "/v1/session", body=b'{"token": "' + b"a" * (100 * 1024) + b'"}')
    check_error(ck, a, 413, "too-large", "a 100 KiB body: 413")

    ck.section("POST /v1/session: a cookie HttpOnly, Secure, SameSite=Strict")
    a = api.request("POST", "/v1/session", body={"token": tokens["technician"]})
    doc = a.json() or {}
    ck.ok(a.status == 200 and doc.get("role") == "technician" and doc.get("name") == "écran atelier"
          and isinstance(doc.get("expires_at"), str), "200 {role, name, expires_at}", a.short())
    cookies = a.header_all("Set-Cookie")
    if not ck.ok(len(cookies) == 1, "one Set-Cookie", repr(cookies)):
        return
    name, sid, attrs = set_cookie_attrs(cookies[0])
    ck.ok(name == "refurb_session" and re.fullmatch(r"[A-Za-z0-9_-]{43}", sid) is not None,
          "refurb_session=<43 base64url characters>", cookies[0])
    ck.ok(attrs.get("path") == "/", "Path=/", cookies[0])
    ck.ok("httponly" in attrs, "HttpOnly", cookies[0])
    ck.ok("secure" in attrs, "Secure (TLS listener)", cookies[0])
    ck.ok(attrs.get("samesite", "").lower() == "strict", "SameSite=Strict", cookies[0])

    ck.section("the cookie authenticates, with the token's role")
    a = api.request("GET", "/v1/session", cookie=sid)
    ck.ok(a.status == 200 and (a.json() or {}).get("role") == "technician", "GET /v1/session: technician",
          a.short())
    a = api.request("GET", "/v1/bays", cookie=sid)
    ck.ok(a.status == 200, "GET /v1/bays with the cookie: 200", a.short())
    a = api.request("GET", "/v1/certificates", cookie=sid)
    check_error(ck, a, 403, "forbidden", "GET /v1/certificates with a technician's cookie: 403")
    a = api.request("GET", "/v1/bays", cookie="A" * 43)
    check_error(ck, a, 401, "unauthenticated", "an unknown session id: 401")

    ck.section("CSRF: a state-changing cookie request needs X-Refurb: 1 and its own Origin")
    here = f"https://{api.host}:{port}"
    a = api.request("POST", "/v1/assets", body={}, cookie=sid)
    check_error(ck, a, 403, "csrf", "POST without X-Refurb: 403 csrf")
    a = api.request("POST", "/v1/assets", body={}, cookie=sid, headers={"X-Refurb": "0"})
    check_error(ck, a, 403, "csrf", "POST with X-Refurb: 0: 403 csrf")
    a = api.request("POST", "/v1/assets", body={}, cookie=sid,
                    headers={"X-Refurb": "1", "Origin": "https://evil.example"})
    check_error(ck, a, 403, "csrf", "POST with a foreign Origin: 403 csrf")
    a = api.request("POST", "/v1/assets", body={}, cookie=sid,
                    headers={"X-Refurb": "1", "Origin": f"http://{api.host}:{port + 1}"})
    check_error(ck, a, 403, "csrf", "POST with another port as Origin: 403 csrf")
    a = api.request("POST", "/v1/assets", body={}, cookie=sid, headers={"X-Refurb": "1", "Origin": here})
    ck.ok(a.status == 400, "POST with X-Refurb: 1 and its own Origin passes (400 for the empty asset)",
          a.short())
    a = api.request("POST", "/v1/assets", body={}, cookie=sid, headers={"X-Refurb": "1"})
    ck.ok(a.status == 400, "POST with X-Refurb: 1 and no Origin passes (400 for the empty asset)", a.short())
    a = api.request("POST", "/v1/assets", body={}, token=tokens["technician"],
                    headers={"Origin": "https://evil.example"})
    ck.ok(a.status == 400, "a bearer request needs no X-Refurb (400 for the empty asset)", a.short())
    a = api.request("DELETE", "/v1/session", cookie=sid)
    check_error(ck, a, 403, "csrf", "DELETE /v1/session without X-Refurb: 403 csrf")
    a = api.request("GET", "/v1/session", cookie=sid)
    ck.ok(a.status == 200, "... and the session is still open", a.short())

    ck.section("DELETE /v1/session ends the session at once")
    a = api.request("DELETE", "/v1/session", cookie=sid, headers={"X-Refurb": "1", "Origin": here})
    ck.ok(a.status in (200, 204), "DELETE /v1/session: 200/204", a.short())
    a = api.request("GET", "/v1/session", cookie=sid)
    check_error(ck, a, 401, "unauthenticated", "the ended session's cookie: 401")
    a = api.request("GET", "/v1/bays", cookie=sid)
    check_error(ck, a, 401, "unauthenticated", "the ended session's cookie on /v1/bays: 401")
    a = api.request("GET", "/v1/bays", token=tokens["technician"])
    ck.ok(a.status == 200, "the token itself still works", a.short())


def check_revoked(ck, api):
    ck.section("a revoked token: 401 at once, its sessions end")
    a = api.unix_request("POST", "/v1/tokens", {"role": "technician", "name": "jeton à révoquer"})
    doc = a.json() or {}
    secret = doc.get("secret")
    tid = (doc.get("token") or {}).get("id")
    if not ck.ok(a.status == 201 and isinstance(secret, str) and isinstance(tid, int),
                 "POST /v1/tokens on the Unix socket: 201 {token, secret}", a.short()):
        return
    ck.ok(re.fullmatch(r"rfb1_[A-Za-z0-9_-]{43}", secret) is not None, "secret is rfb1_ + 43 base64url", secret)
    a = api.request("GET", "/v1/bays", token=secret)
    ck.ok(a.status == 200, "the new token works", a.short())
    a = api.request("POST", "/v1/session", body={"token": secret})
    sid = None
    for v in a.header_all("Set-Cookie"):
        name, val, _ = set_cookie_attrs(v)
        if name == "refurb_session":
            sid = val
    ck.ok(a.status == 200 and sid, "a session opened with it", a.short())
    a = api.unix_request("POST", f"/v1/tokens/{tid}/revoke")
    ck.ok(a.status == 200 and ((a.json() or {}).get("token") or {}).get("revoked_at"),
          "POST /v1/tokens/ID/revoke: 200, revoked_at set", a.short())
    a = api.request("GET", "/v1/bays", token=secret)
    check_error(ck, a, 401, "unauthenticated", "the revoked token: 401")
    if sid:
        a = api.request("GET", "/v1/bays", cookie=sid)
        check_error(ck, a, 401, "unauthenticated", "the revoked token's session: 401")
    a = api.request("POST", "/v1/session", body={"token": secret})
    check_error(ck, a, 401, "unauthenticated", "signing in with the revoked token: 401")
    a = api.unix_request("POST", f"/v1/tokens/{tid}/revoke")
    check_error(ck, a, 409, None, "revoking it again: 409")
    a = api.unix_request("POST", "/v1/tokens/999999/revoke")
    check_error(ck, a, 404, "not-found", "revoking an unknown id: 404")
    a = api.unix_request("GET", "/v1/tokens")
    listing = a.body.decode("utf-8", "replace")
    toks = (a.json() or {}).get("tokens") or []
    mine = [t for t in toks if t.get("id") == tid]
    ck.ok(a.status == 200 and len(mine) == 1 and mine[0].get("revoked_at"), "GET /v1/tokens lists it revoked",
          a.short())
    ck.ok(secret not in listing and secret[5:] not in listing, "the listing never shows a secret", "")


def check_tls(ck, api, args):
    ck.section("TLS: the certificate, its fingerprint, plain HTTP on the TLS port")
    try:
        raw = socket.create_connection((api.host, api.port), timeout=10)
        with api.ctx.wrap_socket(raw, server_hostname="localhost") as s:
            der = s.getpeercert(binary_form=True)
            version = s.version()
        ck.ok(True, f"the certificate verifies for the name 'localhost' ({version})")
    except (ssl.SSLError, OSError) as e:
        ck.ok(False, "the certificate verifies for the name 'localhost'", repr(e))
        return
    fp = hashlib.sha256(der).hexdigest()
    a = api.request("GET", "/v1/status", token=args.tokens_doc["agent"])
    st = a.json() or {}
    ck.ok(a.status == 200 and str(st.get("tls_sha256")).lower() == fp, "GET /v1/status: tls_sha256 is the peer's",
          f"{st.get('tls_sha256')!r} vs {fp}")
    ck.ok(f"{api.host}:{api.port}" in (st.get("network") or []), "GET /v1/status: network lists the listener",
          repr(st.get("network")))
    ck.ok(version in ("TLSv1.2", "TLSv1.3"), "TLS 1.2 or 1.3", version)

    with socket.create_connection((api.host, api.port), timeout=10) as s:
        s.sendall(f"GET /v1/status HTTP/1.1\r\nHost: {api.host}:{api.port}\r\n\r\n".encode())
        s.settimeout(5)
        data = b""
        try:
            while len(data) < 4096:
                d = s.recv(4096)
                if not d:
                    break
                data += d
        except OSError:
            pass
    ck.ok(not data.startswith(b"HTTP/") and b"tls_sha256" not in data, "plain HTTP on the TLS port: no HTTP answer",
          repr(data[:120]))
    a = api.request("GET", "/v1/status", token=args.tokens_doc["agent"])
    ck.ok(a.status == 200, "the daemon answers after that", a.short())


def check_misc(ck, api, tokens):
    ck.section("other paths")
    a = api.request("GET", "/v1/nulle-part", token=tokens["supervisor"])
    check_error(ck, a, 404, "not-found", "an unknown /v1 path with a token: 404 not-found")
    a = api.request("GET", "/v1/nulle-part")
    check_error(ck, a, 401, "unauthenticated", "an unknown /v1 path without a token: 401")
    a = api.request("GET", "/v1/bays", token=tokens["technician"], headers={"Authorization": "Bearer"})
    check_error(ck, a, 401, "unauthenticated", "'Authorization: Bearer' without a token: 401")
    for role in ROLES:
        a = api.request("GET", "//v1//tokens", token=tokens[role])
        ck.ok(a.error is None and a.status in (403, 404), f"GET //v1//tokens as {role}: 403 or 404", a.short())
    a = api.request("GET", "/v1/bays?" + "x" * 900, token=tokens["technician"])
    ck.ok(a.error is None and a.status < 500, "a long query string: no 5xx", a.short())
    # a keep-alive connection serves several requests, each checked on its own
    c = api.conn()
    try:
        a1 = api.request("GET", "/v1/bays", token=tokens["technician"], conn=c)
        a2 = api.request("GET", "/v1/certificates", token=tokens["technician"], conn=c)
        a3 = api.request("GET", "/v1/certificates", token=tokens["supervisor"], conn=c)
    finally:
        c.close()
    ck.ok((a1.status, a2.status, a3.status) == (200, 403, 200),
          "one keep-alive connection, three tokens: 200, 403, 200", f"{a1.short()} | {a2.short()} | {a3.short()}")


def prepare_ids(ck, api, args):
    """The identifiers the paths name: the bay's device, a job (one erase
    started on the Unix socket), unknown names elsewhere (404 is fine)."""
    ids = {"dev": args.device, "job": 999999, "ref": "DON-INCONNU", "tag": "INV-INCONNU",
           "cert": "abcd1234", "profile": "inconnu"}
    a = api.unix_request("POST", f"/v1/devices/{args.device}/erase", {"verify": "sample", "verify_percent": 1})
    job = ((a.json() or {}).get("job") or {}).get("id")
    if ck.ok(a.status == 202 and isinstance(job, int), f"an erase of {args.device} started on the Unix socket",
             a.short()):
        ids["job"] = job
    return ids


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--socket", required=True)
    p.add_argument("--tokens", required=True, help="JSON file {role: secret}")
    p.add_argument("--device", required=True, help="sysname of the loop device on the confirm bay")
    p.add_argument("--only", default="", help="comma-separated parts: endpoints,huge,session,revoked,tls,misc")
    args = p.parse_args()
    with open(args.tokens, encoding="utf-8") as f:
        args.tokens_doc = json.load(f)
    tokens = args.tokens_doc
    for r in ROLES:
        if not isinstance(tokens.get(r), str):
            print(f"no token for the role {r} in {args.tokens}", file=sys.stderr)
            return 2
    parts = set(filter(None, args.only.split(","))) or {"endpoints", "huge", "session", "revoked", "tls", "misc"}

    ck = Checker()
    api = Api(args)
    if "tls" in parts:
        check_tls(ck, api, args)
    if "endpoints" in parts:
        ids = prepare_ids(ck, api, args)
        check_endpoints(ck, api, tokens, ids)
    if "session" in parts:
        check_session(ck, api, tokens, args.port)
    if "revoked" in parts:
        check_revoked(ck, api)
    if "misc" in parts:
        check_misc(ck, api, tokens)
    if "huge" in parts:
        check_huge(ck, api, tokens)

    ck.section("the daemon is still alive")
    a = api.request("GET", "/v1/status", token=tokens["technician"])
    ck.ok(a.status == 200 and isinstance((a.json() or {}).get("bench"), str), "GET /v1/status: 200", a.short())

    print(f"\n{ck.passed} checks passed, {len(ck.failures)} failed")
    for f in ck.failures:
        print(f"  FAILED: {f}")
    return 1 if ck.failures else 0


if __name__ == "__main__":
    sys.exit(main())
