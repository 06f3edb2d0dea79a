/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "test-tmpdir.h"
#include "rf-util.h"
#include "rfd-config.h"

static int setup(void **state) {
        return test_dir_setup(state, "test-config");
}

static int teardown(void **state) {
        return test_dir_teardown(state);
}

static char *write_in(const struct test_dir_fixture *f, const char *name, const char *text) {
        char *p = test_path_in(f, name);
        assert_int_equal(rf_write_file_atomic(p, text, strlen(text), 0644), 0);
        return p;
}

static void mkdir_in(const struct test_dir_fixture *f, const char *name) {
        _cleanup_free_ char *p = test_path_in(f, name);
        assert_int_equal(mkdir(p, 0755), 0);
}

static struct rfd_config *parse_ok(const char *text) {
        struct rfd_config *c = NULL;
        char err[512] = "";
        int r = rfd_config_parse_string("refurbd.conf", text, &c, err, sizeof(err));
        if (r < 0)
                fail_msg("parse failed (%d): %s", r, err);
        assert_non_null(c);
        return c;
}

static void test_full_config(void **state) {
        (void) state;
        _cleanup_rfd_config_ struct rfd_config *c = parse_ok(
                "# refurbd configuration\n"
                "[Daemon]\n"
                "StateDirectory=/srv/refurbd\n"
                "APISocket = /run/refurbd/other.sock\n"
                "BenchName=atelier-1\n"
                "Organisation=Association Réemploi  \n"
                "\tLocation =  Villeurbanne\n"
                "Technician=Camille\n"
                "\n"
                "; Erasure\n"
                "[Erase]\n"
                "Verify=sample\n"
                "VerifyPercent=25\n"
                "\n"
                "[Bay baie-1]\n"
                "MatchDevice=/dev/loop3\n"
                "Policy=auto\n"
                "\n"
                "[Bay usb_front.2]\n"
                "MatchPath=pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0\n"
                "MatchDevice=/dev/sd[b-z]\n");

        assert_string_equal(c->path, "refurbd.conf");
        assert_string_equal(c->state_directory, "/srv/refurbd");
        assert_string_equal(c->api_socket, "/run/refurbd/other.sock");
        assert_string_equal(c->bench_name, "atelier-1");
        assert_string_equal(c->organisation, "Association Réemploi");
        assert_string_equal(c->location, "Villeurbanne");
        assert_string_equal(c->technician, "Camille");
        assert_int_equal(c->verify, WIPE_VERIFY_SAMPLE);
        assert_int_equal(c->verify_percent, 25);

        assert_int_equal(c->n_bays, 2);
        assert_string_equal(c->bays[0].name, "baie-1");
        assert_string_equal(c->bays[0].match_device, "/dev/loop3");
        assert_null(c->bays[0].match_path);
        assert_int_equal(c->bays[0].policy, RFD_POLICY_AUTO);
        assert_string_equal(c->bays[0].file, "refurbd.conf");
        assert_int_equal(c->bays[0].line, 15);

        assert_string_equal(c->bays[1].name, "usb_front.2");
        assert_string_equal(c->bays[1].match_path, "pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0");
        assert_string_equal(c->bays[1].match_device, "/dev/sd[b-z]");
        assert_int_equal(c->bays[1].policy, RFD_POLICY_CONFIRM);
        assert_int_equal(c->bays[1].line, 19);
}

static void test_defaults(void **state) {
        (void) state;
        _cleanup_rfd_config_ struct rfd_config *c = parse_ok("");
        char host[256] = "";
        assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
        host[64] = '\0';

        assert_string_equal(c->state_directory, "/var/lib/refurbd");
        assert_string_equal(c->api_socket, "/run/refurbd/api.sock");
        assert_string_equal(c->bench_name, host[0] ? host : "refurb");
        assert_string_equal(c->organisation, "");
        assert_string_equal(c->location, "");
        assert_string_equal(c->technician, "");
        assert_int_equal(c->verify, WIPE_VERIFY_FULL);
        assert_int_equal(c->verify_percent, 10);
        assert_int_equal(c->n_bays, 0);
        assert_null(c->bays);
}

/* Last assignment wins; an empty value restores the default. */
static void test_last_wins_and_reset(void **state) {
        (void) state;
        _cleanup_rfd_config_ struct rfd_config *c = parse_ok("\xef\xbb\xbf[Daemon]\r\n"
                                                             "BenchName=one\r\n"
                                                             "BenchName=two\r\n"
                                                             "StateDirectory=/tmp/x\n"
                                                             "StateDirectory=\n"
                                                             "Organisation=Org\n"
                                                             "Organisation=\n"
                                                             "[Erase]\n"
                                                             "VerifyPercent=50\n"
                                                             "VerifyPercent=\n"
                                                             "Verify=sample\n"
                                                             "Verify=\n"
                                                             "[Bay a]\n"
                                                             "MatchDevice=/dev/sdb\n"
                                                             "Policy=auto\n"
                                                             "Policy=\n"
                                                             "[Bay a]\n"
                                                             "MatchPath=p\n"
                                                             "MatchDevice=\n");
        assert_string_equal(c->bench_name, "two");
        assert_string_equal(c->state_directory, "/var/lib/refurbd");
        assert_string_equal(c->organisation, "");
        assert_int_equal(c->verify_percent, 10);
        assert_int_equal(c->verify, WIPE_VERIFY_FULL);
        assert_int_equal(c->n_bays, 1);
        assert_int_equal(c->bays[0].policy, RFD_POLICY_CONFIRM);
        assert_null(c->bays[0].match_device);
        assert_string_equal(c->bays[0].match_path, "p");
        assert_int_equal(c->bays[0].line, 17);
}

static void test_dropins(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *main_path = write_in(f, "refurbd.conf",
                                                  "[Daemon]\n"
                                                  "BenchName=main\n"
                                                  "Organisation=Asso\n"
                                                  "[Bay b1]\n"
                                                  "MatchDevice=/dev/loop1\n"
                                                  "[Bay b2]\n"
                                                  "MatchDevice=/dev/loop2\n");
        mkdir_in(f, "refurbd.conf.d");
        _cleanup_free_ char *p20 = write_in(f, "refurbd.conf.d/20-late.conf",
                                            "[Daemon]\n"
                                            "BenchName=late\n"
                                            "[Bay b1]\n"
                                            "Policy=auto\n");
        _cleanup_free_ char *p10 = write_in(f, "refurbd.conf.d/10-early.conf",
                                            "[Daemon]\n"
                                            "BenchName=early\n"
                                            "Location=Lyon\n"
                                            "[Erase]\n"
                                            "Verify=sample\n"
                                            "[Bay b3]\n"
                                            "MatchPath=pci-*\n");
        /* Not drop-ins: wrong suffix, hidden. */
        _cleanup_free_ char *p1 = write_in(f, "refurbd.conf.d/30-x.conf.bak", "garbage\n");
        _cleanup_free_ char *p2 = write_in(f, "refurbd.conf.d/.40-hidden.conf", "garbage\n");
        _cleanup_free_ char *p3 = write_in(f, "refurbd.conf.d/README", "garbage\n");

        _cleanup_rfd_config_ struct rfd_config *c = NULL;
        char err[512] = "";
        int r = rfd_config_load(main_path, false, &c, err, sizeof(err));
        if (r < 0)
                fail_msg("load failed: %s", err);

        assert_string_equal(c->path, main_path);
        assert_string_equal(c->bench_name, "late");
        assert_string_equal(c->organisation, "Asso");
        assert_string_equal(c->location, "Lyon");
        assert_int_equal(c->verify, WIPE_VERIFY_SAMPLE);
        assert_int_equal(c->n_bays, 3);
        assert_string_equal(c->bays[0].name, "b1");
        assert_string_equal(c->bays[0].match_device, "/dev/loop1");
        assert_int_equal(c->bays[0].policy, RFD_POLICY_AUTO);
        assert_string_equal(c->bays[0].file, p20);
        assert_int_equal(c->bays[0].line, 3);
        assert_string_equal(c->bays[1].name, "b2");
        assert_string_equal(c->bays[1].file, main_path);
        assert_int_equal(c->bays[1].line, 6);
        assert_string_equal(c->bays[2].name, "b3");
        assert_string_equal(c->bays[2].match_path, "pci-*");
        assert_string_equal(c->bays[2].file, p10);
}

static void test_dropin_errors(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *main_path = write_in(f, "refurbd.conf", "[Daemon]\nBenchName=main\n");
        mkdir_in(f, "refurbd.conf.d");
        _cleanup_free_ char *p = write_in(f, "refurbd.conf.d/50-bad.conf", "[Erase]\n\nVerifyPercent=0\n");

        _cleanup_rfd_config_ struct rfd_config *c = NULL;
        char err[512] = "", expected[512];
        assert_int_equal(rfd_config_load(main_path, false, &c, err, sizeof(err)), -EINVAL);
        assert_null(c);
        snprintf(expected, sizeof(expected), "%s:3: VerifyPercent= must be an integer from 1 to 100, not '0'", p);
        assert_string_equal(err, expected);

        /* A bay defined in the main file and left without a match by a
         * drop-in is reported where it was last defined. */
        assert_int_equal(unlink(p), 0);
        _cleanup_free_ char *q = write_in(f, "refurbd.conf.d/60-bay.conf", "# bay\n[Bay x]\nMatchDevice=\n");
        _cleanup_free_ char *m2 = write_in(f, "refurbd.conf", "[Bay x]\nMatchDevice=/dev/sdb\n");
        assert_int_equal(rfd_config_load(main_path, false, &c, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected), "%s:2: [Bay x] has neither MatchDevice= nor MatchPath=", q);
        assert_string_equal(err, expected);
}

static void test_missing_and_big_files(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *missing = test_path_in(f, "nothere.conf");
        _cleanup_rfd_config_ struct rfd_config *c = NULL;
        char err[512] = "", expected[512];

        assert_int_equal(rfd_config_load(missing, false, &c, err, sizeof(err)), -ENOENT);
        assert_null(c);
        snprintf(expected, sizeof(expected), "%s: cannot read: No such file or directory", missing);
        assert_string_equal(err, expected);

        /* Allowed to be missing: defaults, drop-ins still read. */
        mkdir_in(f, "nothere.conf.d");
        _cleanup_free_ char *d = write_in(f, "nothere.conf.d/a.conf", "[Daemon]\nTechnician=Sam\n");
        assert_int_equal(rfd_config_load(missing, true, &c, err, sizeof(err)), 0);
        assert_string_equal(c->technician, "Sam");
        assert_string_equal(c->state_directory, "/var/lib/refurbd");
        rfd_config_free(TAKE_PTR(c));

        /* Over 1 MiB. */
        static char text[1024 * 1024 + 2];
        const size_t big = sizeof(text) - 1;
        memset(text, '#', big);
        text[big] = '\0';
        _cleanup_free_ char *big_path = write_in(f, "big.conf", text);
        assert_int_equal(rfd_config_load(big_path, false, &c, err, sizeof(err)), -EFBIG);
        snprintf(expected, sizeof(expected), "%s: file is larger than 1 MiB", big_path);
        assert_string_equal(err, expected);
        assert_int_equal(rfd_config_parse_string("big.conf", text, &c, err, sizeof(err)), -EFBIG);

        /* A directory where the file should be. */
        _cleanup_free_ char *dir = test_path_in(f, "nothere.conf.d");
        assert_true(rfd_config_load(dir, false, &c, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, "cannot read"));
}

static void test_nul_byte(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *p = test_path_in(f, "nul.conf");
        assert_int_equal(rf_write_file_atomic(p, "[Daemon]\nBench\0Name=x\n", 22, 0644), 0);
        _cleanup_rfd_config_ struct rfd_config *c = NULL;
        char err[512] = "", expected[512];
        assert_int_equal(rfd_config_load(p, false, &c, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected), "%s:2: line contains a NUL byte", p);
        assert_string_equal(err, expected);
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                const char *message;
        } cases[] = {
                { "[Daemon]\nBenchName=a\n\n[Erase]\nVerify=full\n\n[Bay baie-1]\nPolcy=auto\n",
                  "refurbd.conf:8: unknown key 'Polcy' in section [Bay baie-1]" },
                { "[Bay baie-1]\nMatchDevice=/dev/sdb\nPolicy=sometimes\n",
                  "refurbd.conf:3: Policy= must be 'auto' or 'confirm', not 'sometimes'" },
                { "[Daemon]\nthis is not a setting\n", "refurbd.conf:2: line is not 'Key=Value' or '[Section]'" },
                { "[Daemon]\n=value\n", "refurbd.conf:2: line is not 'Key=Value' or '[Section]'" },
                { "[Daemon]\nBench Name=x\n", "refurbd.conf:2: line is not 'Key=Value' or '[Section]'" },
                { "[Daemon\n", "refurbd.conf:1: line is not 'Key=Value' or '[Section]'" },
                { "\n\n[Bay]\nMatchDevice=/dev/sdb\n", "refurbd.conf:3: [Bay] needs a name: [Bay NAME]" },
                { "[Bay a/b]\n", "refurbd.conf:1: bay name 'a/b' must be 1 to 64 letters, digits, '-', '_' or '.'" },
                { "[Bay a b]\n", "refurbd.conf:1: bay name 'a b' must be 1 to 64 letters, digits, '-', '_' or '.'" },
                { "[Erase]\nVerifyPercent=0\n",
                  "refurbd.conf:2: VerifyPercent= must be an integer from 1 to 100, not '0'" },
                { "[Erase]\nVerifyPercent=101\n",
                  "refurbd.conf:2: VerifyPercent= must be an integer from 1 to 100, not '101'" },
                { "[Erase]\nVerifyPercent=-5\n",
                  "refurbd.conf:2: VerifyPercent= must be an integer from 1 to 100, not '-5'" },
                { "[Erase]\nVerifyPercent=10%\n",
                  "refurbd.conf:2: VerifyPercent= must be an integer from 1 to 100, not '10%'" },
                { "[Erase]\nVerify=none\n", "refurbd.conf:2: Verify= must be 'full' or 'sample', not 'none'" },
                { "[Erase]\nVerifyPercnt=5\n", "refurbd.conf:2: unknown key 'VerifyPercnt' in section [Erase]" },
                { "[Daemon]\nStateDir=/x\n", "refurbd.conf:2: unknown key 'StateDir' in section [Daemon]" },
                { "[Daemon]\nstatedirectory=/x\n",
                  "refurbd.conf:2: unknown key 'statedirectory' in section [Daemon]" },
                { "[Daemon]\nStateDirectory=var/lib/refurbd\n",
                  "refurbd.conf:2: StateDirectory= must be an absolute path, not 'var/lib/refurbd'" },
                { "[Daemon]\nAPISocket=api.sock\n", "refurbd.conf:2: APISocket= must be an absolute path, not 'api.sock'" },
                { "[Daemon]\nAPISocket=/run/refurbd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
                  "refurbd.conf:2: APISocket= is too long (at most 107 bytes)" },
                { "[Daemon]\nBenchName=0123456789012345678901234567890123456789012345678901234567890123456789\n",
                  "refurbd.conf:2: BenchName= is too long (at most 64 bytes)" },
                { "[Daemon]\nTechnician=a\tb\n", "refurbd.conf:2: Technician= contains a control character" },
                { "[Bay x]\nMatchDevice=sdb\n",
                  "refurbd.conf:2: MatchDevice= must be an absolute path or glob such as /dev/sdb, not 'sdb'" },
                { "[Bay x]\nMatchPath=pci 0\n", "refurbd.conf:2: MatchPath= must not contain blanks: 'pci 0'" },
                { "[Daemons]\n", "refurbd.conf:1: unknown section [Daemons]" },
                { "[Daemon x]\n", "refurbd.conf:1: [Daemon] takes no name, found 'x'" },
                { "[Erase now]\n", "refurbd.conf:1: [Erase] takes no name, found 'now'" },
                { "[Disk sda]\n", "refurbd.conf:1: unknown section [Disk sda]" },
                { "# comment\nBenchName=x\n",
                  "refurbd.conf:2: 'BenchName=' comes before any section ([Daemon], [Erase], [Image], [API] or "
                  "[Bay NAME])" },
                { "[Daemon]\nLocation=\xff\n", "refurbd.conf:2: line is not valid UTF-8" },
                { "[Daemon]\nLocation=\xed\xa0\x80\n", "refurbd.conf:2: line is not valid UTF-8" },
                /* Bays without a match, reported at their section line. */
                { "[Daemon]\n\n[Bay one]\nPolicy=auto\n[Erase]\n",
                  "refurbd.conf:3: [Bay one] has neither MatchDevice= nor MatchPath=" },
                { "[Bay one]\nMatchDevice=/dev/sdb\n[Bay two]\nMatchDevice=/dev/sdb\n",
                  "refurbd.conf:3: [Bay two] has the same MatchDevice= as [Bay one]" },
                { "[Bay one]\nMatchPath=p\n[Bay two]\nMatchDevice=/dev/sdc\nMatchPath=p\n",
                  "refurbd.conf:3: [Bay two] has the same MatchPath= as [Bay one]" },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct rfd_config *c = NULL;
                char err[512] = "";
                int r = rfd_config_parse_string("refurbd.conf", cases[i].text, &c, err, sizeof(err));
                if (r != -EINVAL || strcmp(err, cases[i].message) != 0)
                        fail_msg("case %zu: got %d '%s', expected '%s'", i, r, err, cases[i].message);
                assert_null(c);
        }
}

static void test_long_lines(void **state) {
        (void) state;
        struct rfd_config *c = NULL;
        char err[512] = "";
        static char text[4096 + 32];
        const size_t n = 4096;

        /* Exactly 4096 bytes: fine (a comment). */
        strcpy(text, "[Daemon]\n");
        memset(text + 9, '#', n);
        strcpy(text + 9 + n, "\n");
        assert_int_equal(rfd_config_parse_string("refurbd.conf", text, &c, err, sizeof(err)), 0);
        rfd_config_free(TAKE_PTR(c));

        /* 4097: refused, even without a final newline. */
        memset(text + 9, '#', n + 1);
        text[9 + n + 1] = '\0';
        assert_int_equal(rfd_config_parse_string("refurbd.conf", text, &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "refurbd.conf:2: line is longer than 4096 bytes");
        assert_null(c);
}

static void test_no_error_buffer(void **state) {
        (void) state;
        struct rfd_config *c = NULL;
        assert_int_equal(rfd_config_parse_string("x", "[Nope]\n", &c, NULL, 0), -EINVAL);
        assert_int_equal(rfd_config_parse_string("x", "[Bay a]\n", &c, NULL, 0), -EINVAL);
        char tiny[8];
        assert_int_equal(rfd_config_parse_string("refurbd.conf", "[Nope]\n", &c, tiny, sizeof(tiny)), -EINVAL);
        assert_string_equal(tiny, "refurbd");
        assert_null(c);
        assert_int_equal(rfd_config_parse_string(NULL, "", &c, NULL, 0), -EINVAL);
        rfd_config_free(NULL);
}

static void test_policy_to_string(void **state) {
        (void) state;
        assert_string_equal(rfd_policy_to_string(RFD_POLICY_AUTO), "auto");
        assert_string_equal(rfd_policy_to_string(RFD_POLICY_CONFIRM), "confirm");
}

static void test_api(void **state) {
        (void) state;
        _cleanup_rfd_config_ struct rfd_config *c = parse_ok("[API]\n"
                                                             "Listen=0.0.0.0:8443\n"
                                                             "Listen = [::]:8443\n"
                                                             "Listen=127.0.0.1:8080\n"
                                                             "TLS=yes\n"
                                                             "CertificateFile=/etc/refurbd/tls.pem\n"
                                                             "KeyFile=/etc/refurbd/tls.key\n"
                                                             "WebDirectory=/srv/web\n"
                                                             "SessionHours=168\n");
        assert_int_equal(c->n_api_listen, 3);
        assert_string_equal(c->api_listen[0], "0.0.0.0:8443");
        assert_string_equal(c->api_listen[1], "[::]:8443");
        assert_string_equal(c->api_listen[2], "127.0.0.1:8080");
        assert_string_equal(c->api_listen_where[0], "refurbd.conf:2");
        assert_string_equal(c->api_listen_where[2], "refurbd.conf:4");
        assert_true(c->api_tls);
        assert_string_equal(c->api_certificate_file, "/etc/refurbd/tls.pem");
        assert_string_equal(c->api_key_file, "/etc/refurbd/tls.key");
        assert_string_equal(c->web_directory, "/srv/web");
        assert_int_equal(c->session_hours, 168);
}

static void test_api_defaults_and_resets(void **state) {
        (void) state;
        _cleanup_rfd_config_ struct rfd_config *d = parse_ok("");
        assert_int_equal(d->n_api_listen, 0);
        assert_null(d->api_listen);
        assert_true(d->api_tls);
        assert_null(d->api_certificate_file);
        assert_null(d->api_key_file);
        assert_string_equal(d->web_directory, REFURB_WEBDIR);
        assert_int_equal(d->session_hours, 12);

        /* Listen= empty forgets the earlier ones; WebDirectory= empty: no
         * pages; TLS=no on loopback addresses only. */
        _cleanup_rfd_config_ struct rfd_config *c = parse_ok("[API]\n"
                                                             "Listen=0.0.0.0:8443\n"
                                                             "Listen=\n"
                                                             "Listen=127.0.0.1:8080\n"
                                                             "Listen=127.1.2.3:8081\n"
                                                             "Listen=[::1]:8080\n"
                                                             "TLS=no\n"
                                                             "WebDirectory=\n"
                                                             "SessionHours=5\n"
                                                             "SessionHours=\n");
        assert_int_equal(c->n_api_listen, 3);
        assert_string_equal(c->api_listen[0], "127.0.0.1:8080");
        assert_string_equal(c->api_listen_where[0], "refurbd.conf:4");
        assert_false(c->api_tls);
        assert_null(c->web_directory);
        assert_int_equal(c->session_hours, 12);

        /* TLS=no then TLS=yes (a drop-in, say): a wildcard is fine again. */
        _cleanup_rfd_config_ struct rfd_config *t = parse_ok("[API]\nTLS=no\nListen=[::]:8443\nTLS=\n");
        assert_true(t->api_tls);
}

static void test_api_errors(void **state) {
        static const struct {
                const char *text;
                const char *message;
        } cases[] = {
                { "[API]\nTLS=no\nListen=0.0.0.0:8080\n",
                  "refurbd.conf:3: Listen=0.0.0.0:8080 is not a loopback address: TLS=no is allowed only when every "
                  "Listen= is in 127.0.0.0/8 or ::1" },
                { "[API]\nListen=127.0.0.1:8080\nListen=[::]:8080\n\nTLS=off\n",
                  "refurbd.conf:3: Listen=[::]:8080 is not a loopback address: TLS=no is allowed only when every "
                  "Listen= is in 127.0.0.0/8 or ::1" },
                { "[API]\nListen=192.168.1.10:8080\nTLS=no\n",
                  "refurbd.conf:2: Listen=192.168.1.10:8080 is not a loopback address: TLS=no is allowed only when "
                  "every Listen= is in 127.0.0.0/8 or ::1" },
                { "[API]\nListen=localhost:8443\n",
                  "refurbd.conf:2: Listen= must be an IP address and a port such as 0.0.0.0:8443, [::]:8443 or "
                  "127.0.0.1:8080, not 'localhost:8443'" },
                { "[API]\nListen=0.0.0.0\n",
                  "refurbd.conf:2: Listen= must be an IP address and a port such as 0.0.0.0:8443, [::]:8443 or "
                  "127.0.0.1:8080, not '0.0.0.0'" },
                { "[API]\nListen=0.0.0.0:65536\n",
                  "refurbd.conf:2: Listen= must be an IP address and a port such as 0.0.0.0:8443, [::]:8443 or "
                  "127.0.0.1:8080, not '0.0.0.0:65536'" },
                { "[API]\nListen=::1:8443\n",
                  "refurbd.conf:2: Listen= must be an IP address and a port such as 0.0.0.0:8443, [::]:8443 or "
                  "127.0.0.1:8080, not '::1:8443'" },
                { "[API]\nListen=[::ffff:127.0.0.1]:8443\n",
                  "refurbd.conf:2: Listen= must be an IP address and a port such as 0.0.0.0:8443, [::]:8443 or "
                  "127.0.0.1:8080, not '[::ffff:127.0.0.1]:8443'" },
                { "[API]\nListen=0.0.0.0:0\n",
                  "refurbd.conf:2: Listen= needs a port from 1 to 65535, not '0.0.0.0:0'" },
                { "[API]\nListen=0.0.0.0:8443\nListen=0.0.0.0:08443\n",
                  "refurbd.conf:3: Listen=0.0.0.0:08443 is the same address as Listen=0.0.0.0:8443 (refurbd.conf:2)" },
                { "[API]\nTLS=maybe\n", "refurbd.conf:2: TLS= must be 'yes' or 'no', not 'maybe'" },
                { "[API]\nSessionHours=0\n",
                  "refurbd.conf:2: SessionHours= must be an integer from 1 to 168, not '0'" },
                { "[API]\nSessionHours=169\n",
                  "refurbd.conf:2: SessionHours= must be an integer from 1 to 168, not '169'" },
                { "[API]\nSessionHours=1h\n",
                  "refurbd.conf:2: SessionHours= must be an integer from 1 to 168, not '1h'" },
                { "[API]\nSessionHours=0012\n",
                  "refurbd.conf:2: SessionHours= must be an integer from 1 to 168, not '0012'" },
                { "[API]\nWebDirectory=web\n", "refurbd.conf:2: WebDirectory= must be an absolute path, not 'web'" },
                { "[API]\nCertificateFile=/etc/x.pem\n",
                  "refurbd.conf: [API] CertificateFile= is set but KeyFile= is not: give the certificate and its "
                  "private key" },
                { "[API]\nKeyFile=/etc/x.key\n",
                  "refurbd.conf: [API] KeyFile= is set but CertificateFile= is not: give the certificate and its "
                  "private key" },
                { "[API]\nPort=8443\n", "refurbd.conf:2: unknown key 'Port' in section [API]" },
                { "[API x]\n", "refurbd.conf:1: [API] takes no name, found 'x'" },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct rfd_config *c = NULL;
                char err[512] = "";
                int r = rfd_config_parse_string("refurbd.conf", cases[i].text, &c, err, sizeof(err));
                if (r != -EINVAL || strcmp(err, cases[i].message) != 0)
                        fail_msg("case %zu: got %d '%s', expected '%s'", i, r, err, cases[i].message);
                assert_null(c);
        }

        /* At most 16 Listen=. */
        char text[1024] = "[API]\n";
        for (int i = 0; i < 17; i++)
                snprintf(text + strlen(text), sizeof(text) - strlen(text), "Listen=127.0.0.%d:8443\n", i + 1);
        struct rfd_config *c = NULL;
        char err[512] = "";
        assert_int_equal(rfd_config_parse_string("refurbd.conf", text, &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "refurbd.conf:18: too many Listen= addresses (at most 16)");
}

/* TLS=no in the main file, a public Listen= in a drop-in: refused, naming
 * the drop-in's line. */
static void test_api_dropin_tls(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *main_conf = write_in(f, "refurbd.conf", "[API]\nTLS=no\nListen=127.0.0.1:8080\n");
        mkdir_in(f, "refurbd.conf.d");
        _cleanup_free_ char *dropin =
                write_in(f, "refurbd.conf.d/50-net.conf", "# network\n[API]\nListen=0.0.0.0:8080\n");
        struct rfd_config *c = NULL;
        char err[512] = "", expected[512];
        assert_int_equal(rfd_config_load(main_conf, false, &c, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected),
                 "%s:3: Listen=0.0.0.0:8080 is not a loopback address: TLS=no is allowed only when every Listen= is "
                 "in 127.0.0.0/8 or ::1",
                 dropin);
        assert_string_equal(err, expected);
        assert_null(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_config),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_last_wins_and_reset),
                cmocka_unit_test_setup_teardown(test_dropins, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_and_big_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_long_lines),
                cmocka_unit_test(test_no_error_buffer),
                cmocka_unit_test(test_policy_to_string),
                cmocka_unit_test(test_api),
                cmocka_unit_test(test_api_defaults_and_resets),
                cmocka_unit_test(test_api_errors),
                cmocka_unit_test_setup_teardown(test_api_dropin_tls, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
