#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""refurbctl against a fake refurbd (fake-refurbd.py) on Unix sockets:
words, languages, exit codes, certificates, the live view, and answers that
are broken on purpose (the program must say what is wrong, never crash).

    test-refurbctl.py REFURBCTL FAKE_REFURBD

Exits 77 (skipped) when the openssl command is missing (the fake signs
certificates with it)."""

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REFURBCTL, FAKE = sys.argv[1], sys.argv[2]
FAILURES = []


def check(cond, what, detail=""):
    if cond:
        print("ok    " + what)
    else:
        print("FAIL  " + what + ("\n      " + detail.replace("\n", "\n      ") if detail else ""))
        FAILURES.append(what)


class Fake:
    def __init__(self, tmp, scenario="normal", name=None, env=None):
        name = name or scenario
        self.sock = os.path.join(tmp, name + ".sock")
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log = open(os.path.join(tmp, name + ".log"), "w")
        self.proc = subprocess.Popen([sys.executable, FAKE, self.sock, self.dir, scenario],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=dict(os.environ, **(env or {})))
        words = self.proc.stdout.readline().split()
        if not words or words[0] != "ready":
            raise SystemExit("fake refurbd did not start (see %s)" % self.log.name)
        # TCP listeners: {"tls": port, "http": port}
        self.ports = {k: int(v) for k, v in (w.split("=") for w in words[1:])}

    def requests(self):
        try:
            with open(os.path.join(self.dir, "requests.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def env_for(lang):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "NO_COLOR")}
    env["LANG"] = lang
    env["TZ"] = "CET-1CEST,M3.5.0,M10.5.0/3"
    return env


def where(sock):
    """--socket PATH for a path; a list (--url ... --token-file ...) as is."""
    if sock is None:
        return []
    return ["--socket", sock] if isinstance(sock, str) else list(sock)


def run(args, sock=None, lang="fr_FR.UTF-8", timeout=60, env=None):
    cmd = [REFURBCTL] + where(sock) + args
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(env_for(lang), **(env or {})),
                       timeout=timeout)
    if p.returncode < 0 or p.returncode > 4:
        FAILURES.append("exit status %d for %s" % (p.returncode, args))
        print("FAIL  %s: exit status %d\n%s" % (args, p.returncode, p.stderr))
    return p.returncode, p.stdout, p.stderr


def run_for(args, sock, seconds, lang="fr_FR.UTF-8", sig=signal.SIGINT):
    """Run, send sig after some seconds, return (rc, out, err)."""
    p = subprocess.Popen([REFURBCTL] + where(sock) + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env_for(lang))
    try:
        out, err = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.send_signal(sig)
        out, err = p.communicate(timeout=10)
    return p.returncode, out, err


def run_in_pty(args, sock, seconds):
    pid, fd = pty.fork()
    if pid == 0:
        env = env_for("fr_FR.UTF-8")
        env["TERM"] = "xterm"
        os.execve(REFURBCTL, [REFURBCTL, "--socket", sock] + args, env)
    out = b""
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    os.kill(pid, signal.SIGINT)
    deadline = time.time() + 5
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                pass
    else:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_basics(tmp, fake):
    s = fake.sock
    rc, out, err = run(["status"], s)
    check(rc == 0 and "atelier-test" in out and "En service depuis" in out and "1 h 02 min" in out,
          "status in French", out + err)
    rc, out, _ = run(["status"], s, lang="C")
    check(rc == 0 and "Up for" in out, "status in English with LANG=C", out)
    rc, out, _ = run(["--lang", "en", "status"], s)
    check(rc == 0 and "Bench" in out, "--lang en wins over LANG=fr", out)
    rc, out, _ = run(["status", "--json"], s)
    check(rc == 0 and json.loads(out)["bays"] == 3, "status --json (option after the command)", out)
    rc, out, _ = run(["devices"], s)
    check(rc == 0 and "effaçable" in out and "(identité simulée)" in out and "porte le système" in out
          and "GPT : NTFS « Windows » 105 Mo + ext4" in out, "devices table", out)
    check("\x1b" not in out, "escape sequences from the daemon are neutralised", repr(out))
    rc, out, _ = run(["bays"], s)
    check(rc == 0 and "en attente de confirmation" in out and "refusé (" in out and "vide" in out,
          "bays in words", out)

    rc, _, err = run(["erase", "sda"], s)
    check(rc == 1 and "Effacement de /dev/sda refusé" in err, "refused erase: exit 1, device named", err)
    rc, out, err = run(["--json", "erase", "/dev/loop4"], s)
    check(rc == 1 and json.loads(out)["error"]["refusal"] == "mounted", "--json refused erase", out + err)
    rc, _, err = run(["erase", "nope"], s, lang="C")
    check(rc == 1 and "no drive 'nope'" in err, "unknown device in English", err)
    rc, _, err = run(["erase", "../x"], s)
    check(rc == 2 and "ne désigne pas un disque" in err, "bad device name: usage error", err)
    rc, _, err = run(["erase", "loop3", "--verify", "full", "--verify-percent", "5"], s)
    check(rc == 2, "--verify full with --verify-percent: usage error", err)
    rc, _, err = run(["erase", "loop3", "--verify", "half"], s)
    check(rc == 2, "--verify half: usage error", err)

    rc, out, err = run(["erase", "/dev/loop3", "--wait"], s)
    check(rc == 0 and "tâche n° 7" in out and "vérification" in out and "terminée : EFFACÉ" in out,
          "erase --wait follows the job to the end", out + err)
    rc, out, _ = run(["jobs"], s)
    check(rc == 0 and "3f2a9c41" in out and "NON EFFACÉ" in out and "42 %" in out, "jobs table", out)
    rc, out, _ = run(["job", "3"], s)
    check(rc == 0 and "erreur d'écriture à l'octet 4096, 512 octets" in out, "job with exceptions", out)
    rc, _, err = run(["cancel", "7"], s)
    check(rc == 1 and "déjà terminé" in err and "tâche 7" in err, "cancel of a finished job", err)
    rc, _, err = run(["cancel", "7x"], s)
    check(rc == 2, "cancel of a bad job number: usage error", err)
    rc, _, err = run(["job", "99"], s)
    check(rc == 1 and "Tâche 99" in err, "unknown job", err)

    for args, code in ((["frobnicate"], 2), ([], 2), (["--help"], 0), (["--version"], 0),
                       (["jobs", "--output", "x"], 2), (["status", "extra"], 2), (["cert"], 2),
                       (["--lang", "de", "status"], 2), (["--socket"], 2), (["-x"], 2)):
        rc, out, err = run(args, s)
        check(rc == code, "refurbctl %s: exit %d" % (" ".join(args), code), out + err)


def test_certificates(tmp, fake):
    s = fake.sock
    rc, out, _ = run(["cert", "list"], s)
    check(rc == 0 and "3f2a9c41" in out and "LOOP-3F2A" in out, "cert list", out)
    rc, out, _ = run(["cert", "show", "3f2a"], s)
    check(rc == 0 and "NIST SP 800-88" in out and "Camille" in out and "EFFACÉ" in out, "cert show", out)
    rc, out, _ = run(["--json", "cert", "show", "3f2a"], s)
    api = json.loads(out)
    check(rc == 0 and isinstance(api["json"], str), "cert show --json gives the API document", out)

    exp = os.path.join(tmp, "export dir")
    rc, out, err = run(["cert", "export", "3f2a", "--output", exp], s)
    cid = api["id"]
    jpath = os.path.join(exp, cid + ".json")
    check(rc == 0 and "openssl cms -verify -binary -content" in out, "cert export", out + err)
    with open(jpath, "rb") as f:
        check(f.read() == api["json"].encode(), "exported JSON is the signed text, byte for byte")
    p = subprocess.run(["openssl", "cms", "-verify", "-binary", "-content", jpath, "-in", jpath + ".p7s",
                        "-inform", "PEM", "-CAfile", os.path.join(exp, "bench.crt"), "-out", os.devnull],
                       capture_output=True, text=True)
    check(p.returncode == 0, "stock openssl verifies the export", p.stderr)

    rc, out, err = run(["cert", "verify", jpath], s)
    check(rc == 0 and "Certificat valide : signé par atelier-test, disque LOOP-3F2A, résultat EFFACÉ" in out,
          "cert verify FILE (bench.crt beside it)", out + err)
    rc, out, err = run(["cert", "verify", jpath, "--ca", os.path.join(exp, "bench.crt")], s, lang="C")
    check(rc == 0 and "Valid certificate" in out, "cert verify FILE --ca, in English", out + err)
    rc, out, err = run(["cert", "verify", "3f2a"], s)
    check(rc == 0 and "Certificat valide" in out, "cert verify ID (from the daemon)", out + err)

    bad = os.path.join(tmp, "tampered")
    shutil.copytree(exp, bad)
    bjson = os.path.join(bad, cid + ".json")
    with open(bjson, "r+b") as f:
        text = f.read().replace(b"LOOP-3F2A", b"LOOP-3F2B")
        f.seek(0)
        f.write(text)
    rc, _, err = run(["cert", "verify", bjson], s)
    check(rc == 1 and "Certificat INVALIDE : la signature ne correspond pas au contenu (fichier modifié ?)" in err,
          "tampered certificate is invalid", err)

    other = os.path.join(tmp, "other")
    os.makedirs(other)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", os.path.join(other, "k"), "-out", os.path.join(other, "bench.crt"), "-days", "2",
                    "-subj", "/CN=autre"], check=True, capture_output=True)
    rc, _, err = run(["cert", "verify", jpath, "--ca", os.path.join(other, "bench.crt")], s)
    check(rc == 1 and "pas signé par le banc attendu" in err, "another bench's certificate as anchor", err)
    rc, _, err = run(["cert", "verify", "3f2a", "--ca", os.path.join(other, "bench.crt")], s)
    check(rc == 1 and "INVALIDE" in err, "cert verify ID --ca another bench", err)
    rc, _, err = run(["cert", "export", "3f2a", "--output", other], s)
    check(rc == 1 and "autre banc" in err and not os.path.exists(os.path.join(other, cid + ".json")),
          "export never replaces another bench's bench.crt", err)

    # Signed by the right key, but not canonical.
    nc = os.path.join(tmp, "nc.json")
    with open(nc, "w") as f:
        json.dump(json.loads(api["json"]), f, indent=1)
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", nc, "-signer", os.path.join(fake.dir, "bench.crt"),
                    "-inkey", os.path.join(fake.dir, "bench.key"), "-outform", "PEM", "-out", nc + ".p7s"],
                   check=True, capture_output=True)
    rc, _, err = run(["cert", "verify", nc, "--ca", os.path.join(fake.dir, "bench.crt")], s)
    check(rc == 1 and "canonique" in err, "non-canonical JSON is refused", err)
    rc, _, err = run(["cert", "verify", nc], s)
    check(rc == 1 and "bench.crt" in err, "missing bench.crt is named", err)
    rc, _, err = run(["cert", "verify", "missing.json"], s)
    check(rc == 1 and "introuvable" in err, "missing file", err)
    rc, _, err = run(["cert", "verify", jpath, "--ca", nc], s)
    check(rc == 1 and "Vérification impossible" in err, "unreadable trust anchor", err)


def test_watch(tmp, fake):
    s = fake.sock
    rc, out, err = run_for(["watch"], s, 3)
    check(rc == 0 and "baie-3  terminé : EFFACÉ" in out and "hors baie : /dev/sda" in out
          and "effacement 40 % — 120 Mo/s — reste 40 s" in out, "watch, appended lines, Ctrl-C exits 0",
          out + err)
    rc, out, err = run_for(["watch"], s, 3, sig=signal.SIGTERM)
    check(rc == 0, "watch ends cleanly on SIGTERM", err)
    rc, out, err = run_for(["watch", "--json"], s, 2)
    events = [json.loads(line) for line in out.splitlines()]
    check(rc == 0 and events and all("event" in e and "data" in e for e in events)
          and any(e["event"] == "job" for e in events), "watch --json: one JSON event per line", out)
    rc, out = run_in_pty(["watch"], s, 2.5)
    check(rc == 0 and "\x1b[5A" in out and "\x1b[32m" in out and "Ctrl-C pour quitter" in out,
          "watch on a terminal redraws in place, with colours", repr(out[-500:]))


def test_broken(tmp):
    commands = [["status"], ["devices"], ["bays"], ["jobs"], ["job", "7"], ["erase", "loop3"], ["cancel", "7"],
                ["cert", "list"], ["cert", "show", "3f2a"], ["cert", "verify", "3f2a"],
                ["cert", "export", "3f2a", "-o", os.path.join(tmp, "never")]]
    expect = {"garbage": "Réponse illisible", "huge": "dépasse 16 Mio", "text-error": "erreur HTTP 500",
              "notobject": "un objet JSON était attendu", "wrongtypes": None}
    for scenario, message in expect.items():
        fake = Fake(tmp, scenario)
        try:
            for args in commands:
                rc, out, err = run(args, fake.sock)
                if message:
                    check(rc == 1 and message in err, "%s: %s fails with a reason" % (scenario, " ".join(args)),
                          out + err)
                else:
                    check(rc in (0, 1) and (rc == 0 or err), "%s: %s does not crash" % (scenario, " ".join(args)),
                          out + err)
        finally:
            fake.stop()

    fake = Fake(tmp, "badevents")
    try:
        rc, out, err = run_for(["watch"], fake.sock, 3)
        check(rc == 0 and "2 événement(s) illisible(s)" in err and "terminé : EFFACÉ" in out,
              "unreadable events are reported and skipped", out + err)
    finally:
        fake.stop()
    fake = Fake(tmp, "shortstream")
    try:
        rc, out, err = run_for(["watch"], fake.sock, 10)
        check(rc == 1 and "fermé le flux" in err, "watch: the daemon ends the stream: exit 1", out + err)
    finally:
        fake.stop()

    fake = Fake(tmp, "normal2")
    try:
        p = subprocess.Popen([REFURBCTL, "--socket", fake.sock, "watch"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env_for("fr_FR.UTF-8"))
        time.sleep(1.5)
        fake.stop()
        out, err = p.communicate(timeout=20)
        check(p.returncode == 1 and "coupée" in err, "watch: the daemon dies: exit 1 with a message", out + err)
    finally:
        fake.stop()

    rc, _, err = run(["status"], os.path.join(tmp, "nobody.sock"))
    check(rc == 1 and "Impossible de joindre refurbd sur %s : le socket n'existe pas. Le démon est-il démarré ?"
          % os.path.join(tmp, "nobody.sock") in err, "no daemon: clear message", err)
    rc, _, err = run(["status"], os.path.join(tmp, "nobody.sock"), lang="C")
    check(rc == 1 and "Is the daemon running?" in err, "no daemon, in English", err)


def test_config(tmp, fake):
    conf = os.path.join(tmp, "refurbd.conf")
    with open(conf, "w") as f:
        f.write("[Daemon]\nAPISocket=/nonexistent/api.sock\n")
    os.makedirs(conf + ".d")
    with open(os.path.join(conf + ".d", "50-socket.conf"), "w") as f:
        f.write("# test\n[Daemon]\nAPISocket = %s\n" % fake.sock)
    rc, out, err = run(["--config", conf, "status"])
    check(rc == 0 and "atelier-test" in out, "APISocket= from the configuration and its drop-ins", out + err)
    rc, _, err = run(["--config", os.path.join(tmp, "missing.conf"), "status"])
    check(rc == 1 and "missing.conf" in err, "unreadable --config is an error", err)


def make_cert(directory, cn, san):
    key, crt = os.path.join(directory, cn + ".key"), os.path.join(directory, cn + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=" + cn, "-addext",
                    "subjectAltName=" + san], check=True, capture_output=True)
    return crt, key


def write_secret(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def test_tokens(tmp, fake):
    """token create|list|revoke on the Unix socket."""
    s = fake.sock
    rc, out, err = run(["token", "create", "--role", "technician", "--name", "écran atelier"], s)
    check(rc == 0 and re.fullmatch(r"rfb1_[A-Za-z0-9_-]{43}\n", out) is not None,
          "token create: the secret alone on its line when stdout is not a tty", repr(out) + err)
    check("Jeton n° 1 « écran atelier » (technician) créé." in err and "chmod 600" in err
          and "rfb1_" not in err, "token create: what was made and the chmod 600 hint on stderr", err)
    tech = out.strip()
    rc, out, err = run(["token", "create", "--role", "supervisor", "--name", "bureau"], s)
    sup = out.strip()
    check(rc == 0 and sup.startswith("rfb1_") and sup != tech, "a second token, another secret", out + err)
    rc, out, err = run(["--json", "token", "create", "--role", "dsi", "--name", "DSI mairie"], s)
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc.get("secret", "").startswith("rfb1_") and doc["token"]["role"] == "dsi",
          "token create --json gives the API document", out + err)

    for args, what in ((["token", "create", "--name", "x"], "no --role"),
                       (["token", "create", "--role", "root", "--name", "x"], "--role root"),
                       (["token", "create", "--role", "dsi"], "no --name"),
                       (["token", "create", "--role", "dsi", "--name", "n" * 65], "--name of 65 characters"),
                       (["token", "create", "--role", "dsi", "--name", "a\tb"], "--name with a tab"),
                       (["token", "list", "--role", "dsi"], "token list --role"),
                       (["token", "revoke"], "token revoke without ID"),
                       (["token", "revoke", "abc"], "token revoke abc"),
                       (["token", "create", "--role", "dsi", "--name", "x", "--title", "y"], "--title"),
                       (["token", "frobnicate"], "token frobnicate"),
                       (["status", "--role", "dsi"], "--role with status")):
        rc, out, err = run(args, s)
        check(rc == 2, "usage error: " + what, out + err)
    return tech, sup


def test_remote(tmp):
    """--url, --token-file, --ca-file against the fake over TLS and plain loopback HTTP."""
    certs = os.path.join(tmp, "certs")
    os.makedirs(certs)
    crt, key = make_cert(certs, "banc-test", "DNS:localhost,IP:127.0.0.1,IP:::1")
    other, _ = make_cert(certs, "autre-banc", "DNS:localhost,IP:127.0.0.1")
    fake = Fake(tmp, name="remote", env={"FAKE_TLS_CERT": crt, "FAKE_TLS_KEY": key, "FAKE_HTTP": "1"})
    try:
        tech, sup = test_tokens(tmp, fake)
        https = "https://127.0.0.1:%d" % fake.ports["tls"]
        http = "http://127.0.0.1:%d" % fake.ports["http"]
        ttok = write_secret(os.path.join(tmp, "tech.tok"), tech + "\n")
        stok = write_secret(os.path.join(tmp, "sup.tok"), sup + "\r\n")
        tech_url = ["--url", https, "--token-file", ttok, "--ca-file", crt]
        secrets = (tech, sup)

        def remote(args, conn, **kw):
            rc, out, err = run(args, conn, **kw)
            if any(x in out + err for x in secrets):
                check(False, "the token is never printed: " + " ".join(args), out + err)
            return rc, out, err

        rc, out, err = remote(["status"], tech_url)
        check(rc == 0 and "atelier-test" in out and "API réseau                   : 127.0.0.1:8443, [::1]:8443" in out
              and "Certificat TLS (SHA-256)     : " + "ab" * 32 in out,
              "status over TLS with --ca-file and --token-file; the network API and TLS fingerprint", out + err)
        check("tls GET /v1/status auth=ok token=1" in fake.requests(),
              "the Authorization header arrives, with the token of the file (newline stripped)", fake.requests())
        rc, out, err = remote(["status"], ["--url", "https://localhost:%d/" % fake.ports["tls"],
                                           "--token-file", stok, "--ca-file", crt])
        check(rc == 0 and "atelier-test" in out, "https://localhost:PORT/ and a CRLF token file", out + err)
        rc, out, err = remote(["bays"], tech_url)
        check(rc == 0 and "en attente de confirmation" in out, "bays remotely", out + err)
        rc, out, err = remote(["erase", "loop3", "--wait"], tech_url)
        check(rc == 0 and "terminée : EFFACÉ" in out and "tls POST /v1/devices/loop3/erase auth=ok token=1"
              in fake.requests(), "erase --wait remotely (POST with the token)", out + err)
        rc, out, err = run_for(["watch"], tech_url, 3)
        check(rc == 0 and "baie-3  terminé : EFFACÉ" in out and "tls GET /v1/events auth=ok" in fake.requests(),
              "watch: the event stream over TLS", out + err)

        # Refusals: 403 for the role, 401 for the token, exit codes 4 and 3.
        rc, out, err = remote(["cert", "list"], tech_url)
        check(rc == 4 and "votre rôle (technician) ne permet pas cette action (GET /v1/certificates)" in err
              and "supervisor" in err, "403: the role named, exit 4", out + err)
        rc, out, err = remote(["cert", "list"], ["--url", https, "--token-file", stok, "--ca-file", crt])
        check(rc == 0 and "LOOP-3F2A" in out, "the supervisor may list certificates", out + err)
        rc, out, err = remote(["--lang", "en", "cancel", "7"], ["--url", https, "--token-file", stok,
                                                               "--ca-file", crt])
        check(rc == 4 and "your role (supervisor) does not allow this (POST /v1/jobs/7/cancel)" in err,
              "403 in English", out + err)
        wrong = write_secret(os.path.join(tmp, "wrong.tok"), "rfb1_" + "A" * 43 + "\n")
        rc, out, err = remote(["status"], ["--url", https, "--token-file", wrong, "--ca-file", crt])
        check(rc == 3 and "%s : jeton refusé (inconnu, révoqué ou expiré)" % https in err,
              "401: unknown token, the bench named, exit 3", err)
        rc, out, err = remote(["--lang", "en", "bays"], ["--url", https, "--token-file", wrong, "--ca-file", crt])
        check(rc == 3 and "token refused (unknown, revoked or expired)" in err, "401 in English", err)
        rc, out, err = remote(["status"], ["--url", https, "--ca-file", crt])
        check(rc == 3 and "--token-file" in err and "tls GET /v1/status auth=none" in fake.requests(),
              "401 without a token: how to give one", err)
        rc, out, err = run_for(["watch"], ["--url", https, "--token-file", wrong, "--ca-file", crt], 10)
        check(rc == 3 and "jeton refusé" in err, "watch with a refused token: exit 3", out + err)

        # TLS: the bench's certificate must be trusted.
        rc, out, err = remote(["status"], ["--url", https, "--token-file", ttok, "--ca-file", other])
        check(rc == 1 and "n'est pas reconnu par %s (--ca-file)" % other in err, "a wrong --ca-file is refused",
              err)
        rc, out, err = remote(["status"], ["--url", https, "--token-file", ttok])
        check(rc == 1 and "aucune autorité" in err and "--ca-file" in err,
              "a self-signed bench without --ca-file: the system's CAs refuse it, --ca-file suggested", err)
        rc, out, err = remote(["status"], ["--url", "https://127.0.0.1:%d" % fake.ports["http"],
                                           "--token-file", ttok, "--ca-file", crt])
        check(rc == 1 and "négociation TLS" in err, "https:// to a plain HTTP port: the handshake fails", err)
        rc, out, err = remote(["status"], ["--url", https, "--token-file", ttok, "--ca-file", ttok])
        check(rc == 1 and "aucun certificat PEM" in err, "a --ca-file that holds no certificate", err)

        # Refused before anything is sent.
        before = fake.requests()
        t0 = time.time()
        rc, out, err = remote(["status"], ["--url", "http://192.0.2.7:8080", "--token-file", ttok])
        check(rc == 2 and "TLS est obligatoire" in err and time.time() - t0 < 5,
              "http:// towards another host: refused, TLS required", err)
        rc, out, err = remote(["status"], ["--url", "http://bench.example:8080"], env={})
        check(rc == 2 and "TLS est obligatoire" in err, "http:// towards a host name: refused", err)
        loose = write_secret(os.path.join(tmp, "loose.tok"), tech + "\n", 0o644)
        rc, out, err = remote(["status"], ["--url", https, "--token-file", loose, "--ca-file", crt])
        check(rc == 1 and "chmod 600 %s" % loose in err, "a 0644 token file is refused (chmod 600)", err)
        write_secret(loose, tech + "\n", 0o640)
        rc, out, err = remote(["status"], ["--url", https, "--token-file", loose, "--ca-file", crt])
        check(rc == 1 and "chmod 600" in err, "a 0640 token file is refused", err)
        two = write_secret(os.path.join(tmp, "two.tok"), tech + "\nautre\n")
        rc, out, err = remote(["status"], ["--url", https, "--token-file", two, "--ca-file", crt])
        check(rc == 1 and "plusieurs lignes" in err, "a token file of two lines is refused", err)
        rc, out, err = remote(["status"], ["--url", https, "--token-file", os.path.join(tmp, "none.tok")])
        check(rc == 1 and "none.tok" in err and "n'existe pas" in err, "a missing token file is named", err)
        rc, out, err = remote(["token", "list"], tech_url)
        check(rc == 4 and "uniquement sur le banc lui-même" in err, "token list with --url: said plainly, exit 4",
              err)
        for args in (["--url", "ftp://x"], ["--url", "https://u:p@127.0.0.1:1"], ["--url", "https://h/?a=1"],
                     ["--url", "bench:8443"], ["--url", https, "--socket", fake.sock],
                     ["--token-file", ttok], ["--url", http, "--ca-file", crt]):
            rc, out, err = remote(["status"], args)
            check(rc == 2, "usage error: " + " ".join(args), out + err)
        check(fake.requests() == before, "nothing was sent by the refused command lines",
              fake.requests()[len(before):])

        # Plain HTTP is fine on loopback; the environment.
        rc, out, err = remote(["status"], ["--url", http, "--token-file", stok])
        check(rc == 0 and "atelier-test" in out and "http GET /v1/status auth=ok token=2" in fake.requests(),
              "http:// on 127.0.0.1", out + err)
        env = {"REFURB_URL": https, "REFURB_TOKEN_FILE": stok, "REFURB_CA_FILE": crt}
        rc, out, err = remote(["cert", "list"], None, env=env)
        check(rc == 0 and "LOOP-3F2A" in out, "REFURB_URL, REFURB_TOKEN_FILE, REFURB_CA_FILE", out + err)
        rc, out, err = remote(["bays"], fake.sock, env=env)
        check(rc == 0 and "baie-1" in out, "--socket wins over REFURB_URL", out + err)
        rc, out, err = remote(["status"], None, env=dict(env, REFURB_URL="http://192.0.2.7"))
        check(rc == 2 and "REFURB_URL" in err and "TLS" in err, "REFURB_URL is checked too, and named", err)

        # Revocation ends the token.
        rc, out, err = run(["token", "revoke", "1"], fake.sock)
        check(rc == 0 and "Jeton n° 1 « écran atelier » (technician) révoqué" in out, "token revoke", out + err)
        rc, out, err = remote(["status"], tech_url)
        check(rc == 3 and "jeton refusé (inconnu, révoqué ou expiré)" in err, "a revoked token: 401, exit 3", err)
        rc, out, err = run(["token", "revoke", "1"], fake.sock)
        check(rc == 1 and "déjà révoqué" in err and "jeton n° 1" in err, "revoke twice: 409 named", err)
        rc, out, err = run(["token", "revoke", "99"], fake.sock)
        check(rc == 1 and "inconnu" in err, "revoke an unknown token", err)
        rc, out, err = run(["token", "list"], fake.sock)
        lines = out.splitlines()
        check(rc == 0 and len(lines) == 4 and all(h in lines[0] for h in ("N°", "NOM", "RÔLE", "CRÉÉ", "DERNIER USAGE",
                                                                         "RÉVOQUÉ"))
              and "écran atelier" in lines[1] and "technician" in lines[1] and lines[1].rstrip()[-1].isdigit()
              and "jamais" in lines[3] and lines[3].rstrip().endswith("non"), "token list: the table", out + err)
        rc, out, err = run(["--json", "token", "list"], fake.sock)
        toks = json.loads(out)["tokens"] if rc == 0 else []
        check(len(toks) == 3 and toks[0]["revoked_at"] and toks[0]["last_used_at"], "token list --json", out)
    finally:
        fake.stop()


def main():
    if not shutil.which("openssl"):
        print("openssl not found: skipped")
        return 77
    with tempfile.TemporaryDirectory(prefix="test-refurbctl-") as tmp:
        fake = Fake(tmp)
        try:
            test_basics(tmp, fake)
            test_certificates(tmp, fake)
            test_watch(tmp, fake)
            test_config(tmp, fake)
        finally:
            fake.stop()
        test_broken(tmp)
        test_remote(tmp)
    if FAILURES:
        print("\n%d failure(s)" % len(FAILURES))
        return 1
    return 0


sys.exit(main())
