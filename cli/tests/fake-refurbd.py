#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for refurbd's API (docs/api.md) on a Unix socket, to test
refurbctl without root, loop devices or udev.

    fake-refurbd.py SOCKET WORKDIR [SCENARIO]

SCENARIO "normal" (default) answers like the daemon; a job started with
POST .../erase advances by 25 % at each GET of the job and ends "done" with
a certificate. The other scenarios break the API on purpose:
  garbage      every answer is "this is not json"
  huge         every answer is 20 MiB of JSON
  wrongtypes   the right keys with values of the wrong types
  text-error   HTTP 500 with a plain text body
  notobject    answers are JSON arrays
  badevents    an event stream with unreadable events between good ones
  shortstream  the event stream ends after the first events

Certificates are signed with the openssl command (WORKDIR/bench.key,
bench.crt), exactly as the daemon's: canonical JSON, detached CMS.

The network API (docs/network-api.md): /v1/tokens answers on the Unix
socket only. With FAKE_TLS_CERT and FAKE_TLS_KEY (PEM files) the API is also
served with TLS on 127.0.0.1, and with FAKE_HTTP=1 in plain HTTP on
127.0.0.1; there every request needs "Authorization: Bearer <token>" (a
token made by POST /v1/tokens) and is checked against the role, as the
daemon does. The first line printed is "ready", followed by "tls=PORT"
and/or "http=PORT". Every request is logged in WORKDIR/requests.log as
"unix|tls|http METHOD PATH auth=none|ok|bad|other [token=ID]" (never the
token itself).
"""

import base64
import hashlib
import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

SOCKET, WORKDIR = sys.argv[1], sys.argv[2]
SCENARIO = sys.argv[3] if len(sys.argv) > 3 else "normal"
LOCK = threading.Lock()


def canonical(v):
    # RFC 8785 for what the fake uses: ASCII keys, integers, strings.
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout


def make_identity():
    key, crt = os.path.join(WORKDIR, "bench.key"), os.path.join(WORKDIR, "bench.crt")
    if not os.path.exists(crt):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", crt, "-days", "3650", "-subj", "/CN=atelier-test/O=Fake refurb")
    with open(crt) as f:
        pem = f.read()
    der = openssl("x509", "-in", crt, "-outform", "DER")
    return key, crt, pem, hashlib.sha256(der).hexdigest()


KEY, CRT, PEM, FP = make_identity()


def sign(text):
    path = os.path.join(WORKDIR, "to-sign.json")
    with open(path, "wb") as f:
        f.write(text.encode())
    return openssl("cms", "-sign", "-binary", "-in", path, "-signer", CRT, "-inkey", KEY,
                   "-md", "sha256", "-outform", "PEM").decode()


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


DEVICES = [
    {"sysname": "loop3", "devnode": "/dev/loop3", "size": 268435456, "logical_sector_size": 512,
     "physical_sector_size": 512, "vendor": None, "model": "Loop disk", "serial": "LOOP-3F2A",
     "wwn": None, "identity_source": "stand-in", "transport": "loop", "rotational": False,
     "read_only": False, "removable": False, "id_path": None, "backing_file": "/srv/donor-1.img",
     "content": {"pttype": "gpt", "fstype": None, "label": None, "partitions": []},
     "content_summary_fr": "GPT : NTFS « Windows » 105 Mo + ext4",
     "content_summary_en": "GPT: NTFS 'Windows' 105 MB + ext4",
     "bay": "baie-1", "erasable": True, "refusal": None, "job_id": None},
    {"sysname": "sda", "devnode": "/dev/sda", "size": 512110190592, "vendor": "ATA",
     "model": "Samsung SSD 860", "serial": "S3Z9NB0K\x1b[31mEVIL", "identity_source": "udev",
     "transport": "sata", "content_summary_fr": "GPT : ext4 « racine »",
     "content_summary_en": "GPT: ext4 'racine'", "bay": None, "erasable": False,
     "refusal": {"code": "system-disk", "detail": "/ sur /dev/sda2",
                 "message_fr": "/dev/sda porte le système du banc (/ sur /dev/sda2)",
                 "message_en": "/dev/sda holds the bench's system (/ on /dev/sda2)"},
     "job_id": None},
    {"sysname": "loop4", "devnode": "/dev/loop4", "size": 134217728, "vendor": "Kingston",
     "model": "DataTraveler", "serial": "KT-001", "identity_source": "udev", "transport": "usb",
     "content_summary_fr": "ext4 « home »", "content_summary_en": "ext4 'home'", "bay": "baie-2",
     "erasable": False,
     "refusal": {"code": "mounted", "detail": "/dev/loop4 sur /mnt",
                 "message_fr": "/dev/loop4 est monté (/dev/loop4 sur /mnt) : démontez-le d'abord",
                 "message_en": "/dev/loop4 is mounted (/dev/loop4 on /mnt): unmount it first"},
     "job_id": None},
]

STATE = {"jobs": {}, "next_job": 7, "certs": {}, "seq": 0, "tokens": []}
ROLES = ("technician", "supervisor", "dsi", "agent")


def device(name):
    return next((d for d in DEVICES if d["sysname"] == name), None)


def job_json(j):
    out = {k: v for k, v in j.items() if not k.startswith("_")}
    if j["state"] in ("erasing", "verifying"):
        done = j["bytes_written"] if j["state"] == "erasing" else j["bytes_verified"]
        out["progress"] = {"phase": "write" if j["state"] == "erasing" else "verify", "done": done,
                           "total": j["size"], "percent": 100.0 * done / j["size"],
                           "rate_bytes_per_second": 310000000, "eta_seconds": 80}
    return out


def issue_certificate(j):
    STATE["seq"] += 1
    cid = "3f2a9c41-%04x-4abc-8def-0123456789ab" % STATE["seq"]
    doc = {
        "format": "refurb-erasure-certificate/1", "id": cid, "sequence": STATE["seq"],
        "previous_sha256": None, "issued_at": now(),
        "bench": {"name": "atelier-test", "hostname": "fake", "organisation": "Atelier de test",
                  "location": "Lyon", "signer_sha256": FP},
        "operator": {"technician": "Camille"},
        "tool": {"name": "refurb", "version": "0.1.0"},
        "media": {"vendor": None, "model": "Loop disk", "serial": "LOOP-3F2A", "wwn": None,
                  "identity_source": "stand-in", "transport": "loop", "size_bytes": j["size"],
                  "logical_sector_size": 512, "physical_sector_size": 512, "rotational": False,
                  "devnode": j["devnode"], "bay": j["bay"],
                  "content_before": "GPT : NTFS « Windows » 105 Mo + ext4"},
        "sanitization": {"category": "Clear", "standard": "NIST SP 800-88 Rev. 2, IEEE 2883-2022",
                         "method": "overwrite", "technique": "1 passe, flux AES-256-CTR",
                         "passes": 1, "pattern": {"algorithm": "aes-256-ctr", "key": "00" * 32,
                                                  "iv": "11" * 16}},
        "verification": {"method": "read-back comparison with the pattern", "mode": "full",
                         "percent": 100, "bytes_verified": j["size"], "signatures_found_after": []},
        "job": {"id": j["id"], "started_at": j["started_at"], "ended_at": j["ended_at"],
                "bytes_written": j["size"], "state": "done"},
        "exceptions": [], "result": "erased", "result_reason": None,
    }
    text = canonical(doc)
    STATE["certs"][cid] = {"id": cid, "seq": STATE["seq"], "job_id": j["id"], "created_at": now(),
                           "json": text, "signature": sign(text), "signer_certificate": PEM,
                           "sha256": hashlib.sha256(text.encode()).hexdigest(), "serial": "LOOP-3F2A",
                           "model": "Loop disk", "result": "erased"}
    return cid


def advance(j):
    if j["state"] == "erasing":
        j["bytes_written"] = min(j["size"], j["bytes_written"] + j["size"] // 4)
        if j["bytes_written"] == j["size"]:
            j["state"] = "verifying"
    elif j["state"] == "verifying":
        j["bytes_verified"] = min(j["size"], j["bytes_verified"] + j["size"] // 2)
        if j["bytes_verified"] == j["size"]:
            j["state"], j["result"], j["ended_at"] = "done", "erased", now()
            j["certificate_id"] = issue_certificate(j)


def bay(name):
    d = next((d for d in DEVICES if d["bay"] == name), None)
    jobs = [j for j in STATE["jobs"].values() if j["bay"] == name]
    job = max(jobs, key=lambda j: j["id"]) if jobs else None
    state = "empty"
    if d and job:
        state = job["state"]
    elif d and d["refusal"]:
        state = "refused"
    elif d:
        state = "waiting"
    return {"name": name, "policy": "confirm", "match_device": None, "match_path": None,
            "state": state, "device": d, "refusal": d["refusal"] if d else None,
            "job": job_json(job) if job else None}


def error(code, status, fr, en, **extra):
    return status, {"error": {"code": code, "message_fr": fr, "message_en": en, **extra}}


def route(method, path, body):
    path, _, query = path.partition("?")
    seg = [s for s in path.split("/") if s]
    if seg[:1] != ["v1"] or len(seg) < 2:
        return error("not-found", 404, "ressource inconnue", "unknown resource")
    r = seg[1]
    if r == "status" and method == "GET":
        running = sum(1 for j in STATE["jobs"].values() if j["state"] in ("queued", "erasing", "verifying"))
        return 200, {"bench": "atelier-test", "hostname": "fake", "version": "0.1.0",
                     "uptime_seconds": 3725, "organisation": "Atelier de test", "location": "Lyon",
                     "bays": 3, "jobs_running": running, "certificate_sha256": FP,
                     "network": ["127.0.0.1:8443", "[::1]:8443"], "tls_sha256": "ab" * 32}
    if r == "bays" and method == "GET":
        return 200, {"bays": [bay(n) for n in ("baie-1", "baie-2", "baie-3")]}
    if r == "devices" and len(seg) == 2:
        return 200, {"devices": DEVICES}
    if r == "devices" and len(seg) == 4 and seg[3] == "erase":
        if method != "POST":
            return error("method-not-allowed", 405, "méthode", "method")
        d = device(seg[2])
        if not d:
            return error("not-found", 404, "aucun disque « %s » n'est branché sur le banc" % seg[2],
                         "no drive '%s' is plugged into the bench" % seg[2])
        if d["refusal"]:
            ref = d["refusal"]
            return error("refused", 409, ref["message_fr"], ref["message_en"], refusal=ref["code"],
                         detail=ref["detail"])
        if body is None:
            return error("bad-request", 400, "JSON invalide", "invalid JSON")
        jid = STATE["next_job"]
        STATE["next_job"] += 1
        j = {"id": jid, "bay": d["bay"], "devnode": d["devnode"], "device_id": 3, "state": "erasing",
             "method": "overwrite-aes256ctr", "verify_mode": body.get("verify", "full"),
             "verify_percent": body.get("verify_percent", 100), "created_at": now(),
             "started_at": now(), "ended_at": None, "size": d["size"], "bytes_written": 0,
             "bytes_verified": 0, "result": None, "reason": None, "exceptions": [],
             "pattern": {"algorithm": "aes-256-ctr", "key": "00" * 32, "iv": "11" * 16},
             "certificate_id": None, "device": {"vendor": d["vendor"], "model": d["model"],
                                                "serial": d["serial"]}}
        STATE["jobs"][jid] = j
        return 202, {"job": job_json(j)}
    if r == "jobs" and len(seg) == 2:
        jobs = sorted(STATE["jobs"].values(), key=lambda j: -j["id"])
        jobs.append({"id": 3, "bay": "baie-2", "devnode": "/dev/loop9", "state": "failed",
                     "result": "not-erased", "reason": "erreurs d'écriture", "size": 1000,
                     "bytes_written": 420, "created_at": "2026-11-20T09:00:00Z",
                     "started_at": "2026-11-20T09:00:01Z", "certificate_id": "0badc0de-1111",
                     "exceptions": [{"kind": "write-error", "offset": 4096, "length": 512,
                                     "error": "Input/output error"}],
                     "device": {"vendor": "WD", "model": "Blue", "serial": "WX1"}})
        return 200, {"jobs": jobs}
    if r == "jobs" and len(seg) >= 3:
        try:
            jid = int(seg[2])
        except ValueError:
            return error("bad-request", 400, "numéro de travail invalide", "invalid job number")
        if jid == 3:
            return 200, {"job": route("GET", "/v1/jobs", None)[1]["jobs"][-1]}
        j = STATE["jobs"].get(jid)
        if not j:
            return error("not-found", 404, "travail inconnu", "unknown job")
        if len(seg) == 4 and seg[3] == "cancel":
            if j["state"] not in ("erasing", "verifying"):
                return error("conflict", 409, "le travail %d est déjà terminé (%s)" % (jid, j["state"]),
                             "job %d has already ended (%s)" % (jid, j["state"]))
            j["state"], j["result"], j["reason"] = "cancelled", "not-erased", "annulé à la demande"
            return 200, {"job": job_json(j)}
        advance(j)
        return 200, {"job": job_json(j)}
    if r == "certificates" and len(seg) == 2:
        return 200, {"certificates": [{k: c[k] for k in ("id", "seq", "job_id", "created_at", "sha256",
                                                          "serial", "model", "result")}
                                      for c in sorted(STATE["certs"].values(), key=lambda c: -c["seq"])]}
    if r == "certificates" and len(seg) == 3:
        found = [c for cid, c in STATE["certs"].items() if cid.startswith(seg[2])]
        if len(found) != 1 or len(seg[2]) < 4:
            return error("not-found", 404, "certificat inconnu", "unknown certificate")
        c = found[0]
        return 200, {"id": c["id"], "json": c["json"], "signature": c["signature"],
                     "signer_certificate": c["signer_certificate"], "sha256": c["sha256"],
                     "document": json.loads(c["json"])}
    if r == "tokens":
        return route_tokens(method, seg, body)
    if r == "bench" and seg[2:] == ["certificate"]:
        return 200, {"pem": PEM, "sha256": FP}
    return error("not-found", 404, "ressource inconnue", "unknown resource")


def token_public(t):
    return {k: t[k] for k in ("id", "name", "role", "created_at", "last_used_at", "revoked_at")}


def route_tokens(method, seg, body):
    """/v1/tokens (Unix socket only)."""
    if len(seg) == 2 and method == "GET":
        return 200, {"tokens": [token_public(t) for t in STATE["tokens"]]}
    if len(seg) == 2 and method == "POST":
        if not isinstance(body, dict) or body.get("role") not in ROLES:
            return error("bad-request", 400, "rôle invalide", "invalid role", field="role")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 64 or any(ord(c) < 32 for c in name):
            return error("bad-request", 400, "nom invalide", "invalid name", field="name")
        secret = "rfb1_" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        t = {"id": len(STATE["tokens"]) + 1, "name": name, "role": body["role"], "created_at": now(),
             "last_used_at": None, "revoked_at": None,
             "_sha256": hashlib.sha256(secret.encode()).hexdigest()}
        STATE["tokens"].append(t)
        return 201, {"token": {k: t[k] for k in ("id", "name", "role", "created_at")}, "secret": secret}
    if len(seg) == 4 and seg[3] == "revoke" and method == "POST":
        t = next((t for t in STATE["tokens"] if str(t["id"]) == seg[2]), None)
        if not t:
            return error("not-found", 404, "jeton inconnu", "unknown token")
        if t["revoked_at"]:
            return error("conflict", 409, "ce jeton est déjà révoqué", "this token is already revoked")
        t["revoked_at"] = now()
        return 200, {"token": token_public(t)}
    return error("method-not-allowed", 405, "méthode", "method")


def allowed_roles(method, seg):
    """The roles that may call a route over TCP (docs/network-api.md)."""
    r = seg[1] if len(seg) > 1 and seg[0] == "v1" else ""
    staff = ["technician", "supervisor"]
    if r == "tokens":
        return []
    if r == "events":
        return staff + ["dsi"]
    if r in ("bays", "devices", "jobs"):
        return ["technician"] if method == "POST" else staff
    if r in ("certificates", "donors", "reports", "exports", "ledger"):
        return ["supervisor"]
    if r == "profiles":
        return ["dsi"]
    return list(ROLES)


def authenticate(headers):
    """(how, token): how is "ok" (token is then the token), "none", "other" or "bad"."""
    auth = headers.get("Authorization")
    if not auth:
        return "none", None
    if not auth.startswith("Bearer "):
        return "other", None
    digest = hashlib.sha256(auth[7:].encode()).hexdigest()
    t = next((t for t in STATE["tokens"] if t["_sha256"] == digest and not t["revoked_at"]), None)
    if not t:
        return "bad", None
    t["last_used_at"] = now()
    return "ok", t


def wrong_types(v):
    """The same keys, values of other types."""
    if isinstance(v, dict):
        return {k: wrong_types(x) for k, x in v.items()}
    if isinstance(v, list):
        return [wrong_types(x) for x in v] + [None, 3, "junk", [], {}]
    if isinstance(v, str):
        return 12
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return "7"
    return [v]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_VERBOSE"):
            sys.stderr.write("fake-refurbd: " + fmt % args + "\n")

    def send(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refused(self, method):
        """Authentication and roles on TCP, as the daemon: True when answered."""
        kind = self.server.kind
        with LOCK:
            how, tok = ("ok", None) if kind == "unix" else authenticate(self.headers)
            with open(os.path.join(WORKDIR, "requests.log"), "a") as f:
                f.write("%s %s %s auth=%s%s\n" % (kind, method, self.path, how,
                                                   " token=%d" % tok["id"] if tok else ""))
        if kind == "unix":
            return False
        if how != "ok":
            status, doc = error("unauthenticated", 401, "jeton ou session refusé (inconnu, révoqué ou expiré)",
                                "token or session refused (unknown, revoked or expired)")
            data = json.dumps(doc).encode()
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer realm="refurb"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True
        seg = [s for s in self.path.partition("?")[0].split("/") if s]
        roles = allowed_roles(method, seg)
        if tok["role"] in roles:
            return False
        if not roles:
            self.send(403, json.dumps(error("unix-only", 403, "réservé à l'administrateur du banc",
                                            "reserved to the bench's administrator")[1]))
        else:
            self.send(403, json.dumps(error("forbidden", 403, "votre rôle ne permet pas cette action",
                                            "your role does not allow this", role=tok["role"],
                                            allowed=roles)[1]))
        return True

    def answer(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.refused(method):
            return
        if SCENARIO == "garbage":
            return self.send(200, "this is not json")
        if SCENARIO == "huge":
            return self.send(200, '{"pad":"' + "x" * (20 * 1024 * 1024) + '"}')
        if SCENARIO == "text-error":
            return self.send(500, "Internal Server Error\n", "text/plain")
        if SCENARIO == "notobject":
            return self.send(200, "[1,2,3]")
        if self.path.startswith("/v1/events") and method == "GET":
            return self.events()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        with LOCK:
            status, doc = route(method, self.path, body)
        if SCENARIO == "wrongtypes":
            doc = wrong_types(doc)
        self.send(status, json.dumps(doc, ensure_ascii=False) + "\n")

    def do_GET(self):
        self.answer("GET")

    def do_POST(self):
        self.answer("POST")

    def chunk(self, data):
        data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with LOCK:
            text = "".join("event: bay\ndata: %s\n\n" % json.dumps(bay(n))
                           for n in ("baie-1", "baie-2", "baie-3"))
        # Arbitrary chunk boundaries, CRLF line ends for one event.
        for i in range(0, len(text), 7):
            self.chunk(text[i:i + 7])
        self.chunk(": keep-alive\r\n\r\n")
        if SCENARIO == "badevents":
            self.chunk("event: bay\ndata: {not json\n\n")
            self.chunk("event: bay\ndata: [1]\n\n")
            self.chunk("event: mystery\ndata: {}\n\n")
        if SCENARIO == "shortstream":
            self.wfile.write(b"0\r\n\r\n")
            return
        job = {"id": 99, "bay": "baie-3", "devnode": "/dev/loop5", "state": "erasing", "size": 1000,
               "bytes_written": 0, "progress": {"phase": "write", "done": 0, "total": 1000,
                                                "percent": 0.0, "rate_bytes_per_second": 120000000,
                                                "eta_seconds": 40}}
        dev = {"sysname": "loop5", "devnode": "/dev/loop5", "size": 1000, "model": "Test", "serial": "T5",
               "identity_source": "udev"}
        b3 = {"name": "baie-3", "state": "erasing", "device": dev, "refusal": None, "job": job}
        try:
            self.chunk("event: bay\r\ndata: " + json.dumps(b3) + "\r\n\r\n")
            for p in range(0, 101, 20):
                job["progress"]["percent"] = float(p)
                job["progress"]["done"] = p * 10
                text = "event: job\ndata: " + json.dumps(job) + "\n\n"
                half = len(text) // 2
                self.chunk(text[:half])
                time.sleep(0.05)
                self.chunk(text[half:])
                time.sleep(0.1)
            job.pop("progress")
            job.update(state="done", result="erased", certificate_id="3f2a9c41-0001")
            self.chunk("event: job\ndata: " + json.dumps(job) + "\n\n")
            self.chunk("event: device\ndata: " + json.dumps(DEVICES[1]) + "\n\n")
            if SCENARIO == "endstream":
                self.wfile.write(b"0\r\n\r\n")
                return
            while True:
                time.sleep(1)
                self.chunk(": keep-alive\n\n")
        except (BrokenPipeError, ConnectionResetError):
            return


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    kind = "unix"


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, kind, tls):
        self.kind, self.tls = kind, tls
        super().__init__(("127.0.0.1", 0), Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls:
            # The handshake happens in the request's thread, at the first read.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # A client that refuses our certificate ends the handshake: expected.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


if os.path.exists(SOCKET):
    os.unlink(SOCKET)
srv = Server(SOCKET, Handler)
tcp = []
if os.environ.get("FAKE_TLS_CERT"):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.environ["FAKE_TLS_CERT"], os.environ["FAKE_TLS_KEY"])
    tcp.append(TCPServer("tls", tls))
if os.environ.get("FAKE_HTTP"):
    tcp.append(TCPServer("http", None))
for t in tcp:
    threading.Thread(target=t.serve_forever, daemon=True).start()
print(" ".join(["ready"] + ["%s=%d" % (t.kind, t.server_address[1]) for t in tcp]), flush=True)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    pass
