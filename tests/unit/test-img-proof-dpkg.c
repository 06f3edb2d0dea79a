/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "img-proof-private.h"
#include "img-proof.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "test-img-proof-data.h"

/* ---- dpkg status ------------------------------------------------------- */

static void dpkg_parse(void **state) {
        (void) state;
        _cleanup_(img_dpkg_clear) struct img_dpkg d = { 0 };
        char err[256] = "";
        assert_int_equal(img_dpkg_parse(STATUS, strlen(STATUS), &d, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        /* okular (config-files) and atril (half-configured) are not installed */
        assert_int_equal(d.n, 5);
        for (size_t i = 1; i < d.n; i++)
                assert_true(strcmp(d.pkgs[i - 1].name, d.pkgs[i].name) <= 0);

        const struct img_pkg *p = img_dpkg_find(&d, "evince");
        assert_non_null(p);
        assert_string_equal(p->version, "43.1-2+b1");
        assert_string_equal(p->arch, "amd64");
        assert_null(p->provides);
        assert_null(img_dpkg_find(&d, "okular"));
        assert_null(img_dpkg_find(&d, "atril"));
        assert_null(img_dpkg_find(&d, "Package"));

        /* Provides, also across a continuation line, without the version */
        p = img_dpkg_find(&d, "www-browser");
        assert_non_null(p);
        assert_string_equal(p->name, "firefox-esr");
        p = img_dpkg_find(&d, "libc-virtual");
        assert_non_null(p);
        assert_string_equal(p->name, "libc6");
        assert_string_equal(p->provides[0], "libc6-amd64");
        assert_string_equal(p->provides[1], "libc-virtual");
        assert_null(p->provides[2]);

        /* multi-arch qualifiers */
        p = img_dpkg_find(&d, "libc6:i386");
        assert_non_null(p);
        assert_string_equal(p->version, "2.36-9+deb12u3"); /* "hold ok installed" counts */
        assert_string_equal(img_dpkg_find(&d, "libc6:amd64")->arch, "amd64");
        assert_null(img_dpkg_find(&d, "libc6:arm64"));
        assert_non_null(img_dpkg_find(&d, "libc6:any"));
        assert_non_null(img_dpkg_find(&d, "fonts-dejavu:amd64")); /* Architecture: all */
        assert_non_null(img_dpkg_find(&d, "www-browser:amd64"));
        assert_null(img_dpkg_find(&d, "www-browser:i386"));
        assert_null(img_dpkg_find(&d, ""));
        assert_null(img_dpkg_find(&d, ":amd64"));

        /* empty input: nothing installed */
        _cleanup_(img_dpkg_clear) struct img_dpkg e = { 0 };
        assert_int_equal(img_dpkg_parse("", 0, &e, err, sizeof(err)), 0);
        assert_int_equal(e.n, 0);
        assert_null(img_dpkg_find(&e, "evince"));
}

static void assert_malformed(const char *text, size_t len, const char *expected) {
        struct img_dpkg d = { 0 };
        char err[256] = "";
        int r = img_dpkg_parse(text, len, &d, err, sizeof(err));
        if (r != -EINVAL || strncmp(err, expected, strlen(expected)) != 0)
                fail_msg("« %s »: r=%d err=« %s », expected « %s... »", text, r, err, expected);
        assert_null(d.pkgs);
        assert_int_equal(d.n, 0);
}
#define MALFORMED(text, expected) assert_malformed(text, sizeof(text) - 1, expected)

static void dpkg_malformed(void **state) {
        (void) state;
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion 1.0\n",
                  "status:3: ligne sans « : » hors d'une continuation : « Version 1.0 »");
        MALFORMED(" continuation\nPackage: a1\n", "status:1: ligne de continuation");
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion: 1\n\n"
                  "Status: install ok installed\nVersion: 2\n",
                  "status:5: paragraphe sans champ Package");
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion: 1\0\n", "status:3: octet NUL (colonne 11)");
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion: 1\npackage: b2\n",
                  "status:4: champ Package en double (déjà ligne 1)");
        MALFORMED("Package: a1\n more\nStatus: install ok installed\n", "status:2: champ Package sur plusieurs lignes");
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion: 1\nProvides: b2, c3 | d4\n",
                  "status:4: Provides : « c3 | d4 »");
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion: 1\nProvides: b2,, c3\n",
                  "status:4: Provides : nom de paquet invalide");
        MALFORMED("Package: a1\nStatus: installed\nVersion: 1\n", "status:2: Status « installed » : trois mots");
        MALFORMED("Package: a1\nStatus: install ok installed\n", "status:1: paquet installé a1 sans champ Version");
        MALFORMED("Package: a1\nVersion: 1\n", "status:1: paquet a1 sans champ Status");
        MALFORMED("Package: Evince\nStatus: install ok installed\nVersion: 1\n",
                  "status:1: nom de paquet invalide « Evince »");
        MALFORMED("Package: a1\nStatus: install ok installed\nVersion: 1 2\n", "status:3: version invalide « 1 2 »");
        MALFORMED("Package: a1\n-Bad: x\n", "status:2: nom de champ invalide « -Bad »");

        /* a line, or a field with its continuations, over 1 MiB */
        size_t big = 1024 * 1024 + 16;
        _cleanup_free_ char *t = malloc(2 * big);
        assert_non_null(t);
        int n = snprintf(t, 64, "Package: a1\nDescription: ");
        memset(t + n, 'x', big);
        assert_malformed(t, (size_t) n + big, "status:2: ligne trop longue");
        n = snprintf(t, 64, "Package: a1\nDescription: x\n");
        size_t len = (size_t) n;
        while (len < big + big / 16) {
                strcpy(t + len, " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n");
                len += 65;
        }
        assert_malformed(t, len, "status:");
        struct img_dpkg d = { 0 };
        char err[256];
        assert_int_equal(img_dpkg_parse(t, len, &d, err, sizeof(err)), -EINVAL);
        assert_contains(err, "champ trop long");
}

static void dpkg_caps(void **state) {
        (void) state;
        const size_t stanza = 64;
        size_t cap = 100001 * stanza;
        _cleanup_free_ char *t = malloc(cap);
        assert_non_null(t);
        size_t len = 0;
        for (unsigned i = 0; i < 100000; i++)
                len += (size_t) snprintf(t + len, cap - len, "Package: p%06u\nStatus: install ok installed\nVersion: 1\n\n",
                                         99999 - i);

        struct img_dpkg d = { 0 };
        char err[256] = "";
        uint64_t t0 = rf_now_usec();
        assert_int_equal(img_dpkg_parse(t, len, &d, err, sizeof(err)), 0);
        uint64_t t1 = rf_now_usec();
        assert_int_equal(d.n, 100000);
        uint64_t t2 = rf_now_usec();
        for (unsigned i = 0; i < 100000; i += 97) {
                char name[16];
                snprintf(name, sizeof(name), "p%06u", i);
                assert_non_null(img_dpkg_find(&d, name));
        }
        uint64_t t3 = rf_now_usec();
        print_message("100000 packages (%zu bytes) parsed in %llu ms; 1031 lookups in %llu us\n", len,
                      (unsigned long long) (t1 - t0) / 1000, (unsigned long long) (t3 - t2));
        img_dpkg_clear(&d);
        assert_null(d.pkgs);

        /* one more stanza: refused, even when not installed */
        len += (size_t) snprintf(t + len, cap - len, "Package: zz\nStatus: purge ok not-installed\n");
        assert_int_equal(img_dpkg_parse(t, len, &d, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "status:400001: plus de 100000 paquets");

        /* 64 MiB + 1 */
        size_t huge = 64 * 1024 * 1024 + 1;
        _cleanup_free_ char *h = calloc(1, huge);
        assert_non_null(h);
        assert_int_equal(img_dpkg_parse(h, huge, &d, err, sizeof(err)), -EFBIG);
        assert_non_null(strstr(err, "64 Mio au plus"));
}

/* The machine's own status file, written by dpkg: must parse, and hold dpkg. */
static void dpkg_real(void **state) {
        (void) state;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (rf_read_file("/var/lib/dpkg/status", 64 * 1024 * 1024, &text, &len) < 0)
                skip();
        _cleanup_(img_dpkg_clear) struct img_dpkg d = { 0 };
        char err[256] = "";
        uint64_t t0 = rf_now_usec();
        if (img_dpkg_parse(text, len, &d, err, sizeof(err)) < 0)
                fail_msg("/var/lib/dpkg/status: %s", err);
        print_message("/var/lib/dpkg/status: %zu installed, %zu bytes, %llu ms\n", d.n, len,
                      (unsigned long long) (rf_now_usec() - t0) / 1000);
        assert_non_null(img_dpkg_find(&d, "dpkg"));
}

/* ---- URLs -------------------------------------------------------------- */

static void url_hosts(void **state) {
        (void) state;
        static const struct {
                const char *url;
                const char *host;
        } ok[] = {
                { "https://www.qwant.com/?q={searchTerms}", "www.qwant.com" },
                { "HTTPS://WWW.Qwant.COM./?q=x", "www.qwant.com" },
                { "http://qwant.com:8443", "qwant.com" },
                { "https://[::1]:443/x", "[::1]" },
                { "https://www.qwant.com\\@evil.com/", "www.qwant.com" },
        };
        static const char *const bad[] = {
                "ftp://www.qwant.com/", "https://", "https:///www.qwant.com", "https://www.qwant.com@evil.com/",
                "https://user:pw@www.qwant.com/", "https://www.qw%61nt.com/", "https://www.qw\tant.com/",
                " https://www.qwant.com/", "https://www.qwant.com:99999/", "https://www.qwant.com:8o/",
                "https://www..qwant.com/", "https://{host}/", "https://wwẃ.qwant.com/", "www.qwant.com",
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *h = NULL;
                assert_int_equal(proof_url_host(ok[i].url, &h), 0);
                assert_string_equal(h, ok[i].host);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *h = NULL;
                if (proof_url_host(bad[i], &h) != -EINVAL)
                        fail_msg("%s accepted as %s", bad[i], h);
        }

        assert_true(proof_host_matches("www.qwant.com", "www.qwant.com"));
        assert_true(proof_host_matches("qwant.com", "www.qwant.com"));
        assert_true(proof_host_matches("api.qwant.com", "www.qwant.com"));
        assert_false(proof_host_matches("www.qwant.com.evil.com", "www.qwant.com"));
        assert_false(proof_host_matches("evilqwant.com", "www.qwant.com"));
        assert_false(proof_host_matches("www.google.com", "www.qwant.com"));
        assert_true(proof_host_matches("search.example.co.uk", "www.example.co.uk"));
        assert_false(proof_host_matches("www.evil.co.uk", "www.example.co.uk"));
        assert_false(proof_host_matches("10.0.0.2", "10.0.0.1"));
        assert_false(proof_host_matches("com", "www.qwant.com"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(dpkg_parse),
                cmocka_unit_test(dpkg_malformed),
                cmocka_unit_test(dpkg_caps),
                cmocka_unit_test(dpkg_real),
                cmocka_unit_test(url_hosts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
