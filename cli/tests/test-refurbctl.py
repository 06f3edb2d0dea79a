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
    def __init__(self, tmp, scenario="normal"):
        self.sock = os.path.join(tmp, scenario + ".sock")
        self.dir = os.path.join(tmp, scenario)
        os.makedirs(self.dir, exist_ok=True)
        self.log = open(os.path.join(tmp, scenario + ".log"), "w")
        self.proc = subprocess.Popen([sys.executable, FAKE, self.sock, self.dir, scenario],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit("fake refurbd did not start (see %s)" % self.log.name)

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


def run(args, sock=None, lang="fr_FR.UTF-8", timeout=60):
    cmd = [REFURBCTL] + (["--socket", sock] if sock else []) + args
    p = subprocess.run(cmd, capture_output=True, text=True, env=env_for(lang), timeout=timeout)
    if p.returncode < 0 or p.returncode > 2:
        FAILURES.append("exit status %d for %s" % (p.returncode, args))
        print("FAIL  %s: exit status %d\n%s" % (args, p.returncode, p.stderr))
    return p.returncode, p.stdout, p.stderr


def run_for(args, sock, seconds, lang="fr_FR.UTF-8", sig=signal.SIGINT):
    """Run, send sig after some seconds, return (rc, out, err)."""
    p = subprocess.Popen([REFURBCTL, "--socket", sock] + args, stdout=subprocess.PIPE,
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
    if FAILURES:
        print("\n%d failure(s)" % len(FAILURES))
        return 1
    return 0


sys.exit(main())
