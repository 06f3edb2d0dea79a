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
#include "test-tmpdir.h"
#include "test-img-proof-data.h"

/* ---- fake roots -------------------------------------------------------- */

struct fixture {
        char root[64];
        char outside[64];
        struct img_requirement reqs[4];
        struct img_profile p;
};

static void put(const struct fixture *f, const char *rel, const char *content) {
        _cleanup_free_ char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", f->root, rel) > 0);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        assert_int_equal(rf_mkdir_p(path, 0755), 0);
        *slash = '/';
        FILE *fp = fopen(path, "we");
        assert_non_null(fp);
        if (!fp)
                return;
        assert_int_equal(fwrite(content, 1, strlen(content), fp), strlen(content));
        assert_int_equal(fclose(fp), 0);
}

static void put_symlink(const struct fixture *f, const char *rel, const char *target) {
        _cleanup_free_ char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", f->root, rel) > 0);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        assert_int_equal(rf_mkdir_p(path, 0755), 0);
        *slash = '/';
        unlink(path);
        assert_int_equal(symlink(target, path), 0);
}

static void drop(const struct fixture *f, const char *rel) {
        _cleanup_free_ char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", f->root, rel) > 0);
        test_rm_rf(path);
}

static char *alt_evince[] = { "evince", "atril", "okular", NULL };
static char *alt_browser[] = { "www-browser", NULL };
static char *alt_libc[] = { "libc6:i386", NULL };

#define FIREFOX_OK                                                                                         \
        "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\", \"PreventInstalls\": true,\n"         \
        "  \"Add\": [{\"Name\": \"Qwant\", \"URLTemplate\": \"https://www.qwant.com/?q={searchTerms}\"}]}}}\n"

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(test_mkdtemp(f->root, sizeof(f->root), "test-img-proof"), 0);
        assert_int_equal(test_mkdtemp(f->outside, sizeof(f->outside), "test-img-proof-outside"), 0);
        f->reqs[0] = (struct img_requirement){ .text = "evince | atril | okular", .alternatives = alt_evince, .line = 7 };
        f->reqs[1] = (struct img_requirement){ .text = "www-browser", .alternatives = alt_browser, .line = 8 };
        f->reqs[2] = (struct img_requirement){ .text = "libc6:i386", .alternatives = alt_libc, .line = 9 };
        f->p = (struct img_profile){
                .path = "classe.profile",
                .name = "classe",
                .requires = f->reqs,
                .n_requires = 3,
                .search_engine = "Qwant",
                .search_url = "https://www.qwant.com/?q={searchTerms}",
        };
        put(f, "var/lib/dpkg/status", STATUS);
        put(f, "etc/firefox/policies/policies.json", FIREFOX_OK);
        put(f, "etc/hostname", "rb-00017\n");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->root);
        test_rm_rf(f->outside);
        free(f);
        return 0;
}

/* Run the check; returns its result, *record and *missing set. */
static int check(struct fixture *f, const char *hostname, json_t **record, char **missing) {
        int r = img_proof_check(f->root, &f->p, hostname, record, missing);
        if (r >= 0)
                assert_non_null(*record);
        else
                assert_null(*record);
        if (r == 1)
                assert_null(*missing);
        else
                assert_non_null(*missing);
        return r;
}

static const json_t *browser(const json_t *record, const char *name) {
        size_t i;
        const json_t *b;
        json_array_foreach(json_object_get(record, "browsers"), i, b)
                if (streq(rf_json_str(b, "name"), name))
                        return b;
        fail_msg("no browser %s in the record", name);
        return NULL;
}

static void proof_all_ok(void **state) {
        struct fixture *f = *state;
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *missing = NULL;
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);

        const json_t *pk = json_object_get(rec, "packages");
        assert_int_equal(json_array_size(pk), 3);
        const json_t *e = json_array_get(pk, 0);
        assert_string_equal(rf_json_str(e, "requirement"), "evince | atril | okular");
        assert_string_equal(rf_json_str(e, "satisfied_by"), "evince");
        assert_string_equal(rf_json_str(e, "version"), "43.1-2+b1");
        assert_null(json_object_get(e, "missing"));
        e = json_array_get(pk, 1);
        assert_string_equal(rf_json_str(e, "satisfied_by"), "www-browser");
        assert_string_equal(rf_json_str(e, "provided_by"), "firefox-esr");
        assert_string_equal(rf_json_str(e, "version"), "115.9.1esr-1~deb12u1");
        e = json_array_get(pk, 2);
        assert_string_equal(rf_json_str(e, "version"), "2.36-9+deb12u3");
        assert_string_equal(rf_json_str(e, "architecture"), "i386");
        assert_null(json_object_get(e, "provided_by"));

        assert_int_equal(json_array_size(json_object_get(rec, "browsers")), 1);
        const json_t *b = browser(rec, "firefox-esr");
        assert_string_equal(rf_json_str(b, "version"), "115.9.1esr-1~deb12u1");
        assert_string_equal(rf_json_str(b, "policy"), "/etc/firefox/policies/policies.json");
        assert_string_equal(rf_json_str(b, "default_search_engine"), "Qwant");
        assert_string_equal(rf_json_str(b, "search_url"), "https://www.qwant.com/?q={searchTerms}");
        assert_true(json_is_true(json_object_get(b, "ok")));
        assert_null(json_object_get(b, "reason"));

        const json_t *h = json_object_get(rec, "hostname");
        assert_string_equal(rf_json_str(h, "expected"), "rb-00017");
        assert_string_equal(rf_json_str(h, "found"), "rb-00017");
        assert_true(json_is_true(json_object_get(h, "ok")));

        char sha[65];
        assert_int_equal(rf_sha256_hex(STATUS, strlen(STATUS), sha), 0);
        assert_string_equal(rf_json_str(rec, "dpkg_status_sha256"), sha);
        assert_int_equal(rf_json_int(rec, "packages_installed"), 5);
        assert_string_equal(rf_json_str(rec, "search_engine"), "Qwant");
        assert_true(json_is_true(json_object_get(rec, "ok")));

        /* the record is canonical-JSON serialisable (it is signed later) */
        _cleanup_free_ char *canon = NULL;
        assert_int_equal(rf_json_canonical(rec, &canon, NULL), 0);
}

static void proof_missing_package(void **state) {
        struct fixture *f = *state;
        static char *alts[] = { "okular", "kde-okular", NULL };
        f->reqs[0] = (struct img_requirement){ .text = "okular | kde-okular", .alternatives = alts };
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *missing = NULL;
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_string_equal(missing, "paquet absent : okular | kde-okular");
        const json_t *e = json_array_get(json_object_get(rec, "packages"), 0);
        assert_string_equal(rf_json_str(e, "requirement"), "okular | kde-okular");
        assert_true(json_is_true(json_object_get(e, "missing")));
        assert_null(json_object_get(e, "satisfied_by"));
        assert_true(json_is_false(json_object_get(rec, "ok")));
        /* no expected hostname: what is there is recorded, not judged */
        const json_t *h = json_object_get(rec, "hostname");
        assert_string_equal(rf_json_str(h, "found"), "rb-00017");
        assert_null(json_object_get(h, "ok"));
}

/* The browser verdict for one Firefox policy text at path. */
static void firefox_case(struct fixture *f, const char *path, const char *policy, int expected, const char *reason) {
        drop(f, "etc/firefox");
        drop(f, "etc/firefox-esr");
        if (policy)
                put(f, path, policy);
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *missing = NULL;
        assert_int_equal(check(f, "rb-00017", &rec, &missing), expected);
        const json_t *b = browser(rec, "firefox-esr");
        assert_int_equal(json_is_true(json_object_get(b, "ok")), expected);
        if (reason) {
                assert_contains(rf_json_str(b, "reason"), reason);
                assert_contains(missing, "Firefox ESR : ");
                assert_contains(missing, reason);
        }
}

static void proof_firefox(void **state) {
        struct fixture *f = *state;
        const char *etc = "etc/firefox/policies/policies.json", *esr = "etc/firefox-esr/policies/policies.json";

        firefox_case(f, esr, FIREFOX_OK, 1, NULL);
        firefox_case(f, etc, FIREFOX_OK, 1, NULL);
        /* a builtin engine needs no Add */
        firefox_case(f, etc, "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\"}}}", 1, NULL);
        /* same registrable domain */
        firefox_case(f, etc,
                     "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\", \"Add\": [{\"Name\": \"Qwant\", "
                     "\"URLTemplate\": \"https://qwant.com/?q={searchTerms}&client=ext\"}]}}}",
                     1, NULL);

        firefox_case(f, etc, NULL, 0, "pas de politique de moteur de recherche");
        firefox_case(f, etc, "{\"policies\": {\"SearchEngines\": {\"Default\": \"Google\"}}}", 0,
                     "moteur par défaut Google au lieu de Qwant");
        firefox_case(f, esr, "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\",}}", 0,
                     "/etc/firefox-esr/policies/policies.json : JSON invalide");
        firefox_case(f, etc, "{\"policies\": {\"DisableTelemetry\": true}}", 0, "SearchEngines absent");
        firefox_case(f, etc,
                     "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\", \"Add\": [{\"Name\": \"Qwant\", "
                     "\"URLTemplate\": \"https://www.evil.com/?q={searchTerms}\"}]}}}",
                     0, "URL de recherche sur www.evil.com au lieu de www.qwant.com");
        firefox_case(f, etc,
                     "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\", \"Add\": [{\"Name\": \"Qwant\", "
                     "\"URLTemplate\": \"https://www.qwant.com@evil.com/?q={searchTerms}\"}]}}}",
                     0, "invalide");
        firefox_case(f, etc,
                     "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\", \"Add\": [{\"Name\": \"Qwant\", "
                     "\"URLTemplate\": \"http://www.qwant.com/?q={searchTerms}\"}]}}}",
                     0, "en http au lieu de https");
        firefox_case(f, etc,
                     "{\"policies\": {\"SearchEngines\": {\"Default\": \"Qwant\", \"Remove\": [\"Qwant\"]}}}", 0,
                     "retiré par SearchEngines.Remove");
        f->p.search_engine = "Lilo";
        f->p.search_url = "https://search.lilo.org/?q={searchTerms}";
        firefox_case(f, etc, "{\"policies\": {\"SearchEngines\": {\"Default\": \"Lilo\"}}}", 0,
                     "moteur Lilo ni ajouté (SearchEngines.Add) ni intégré à Firefox");
        f->p.search_engine = "Qwant";
        f->p.search_url = "https://www.qwant.com/?q={searchTerms}";

        /* one file wrong, the other right: either is enough */
        put(f, esr, FIREFOX_OK);
        put(f, etc, "{\"policies\": {\"SearchEngines\": {\"Default\": \"Google\"}}}");
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *missing = NULL;
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);
        assert_string_equal(rf_json_str(browser(rec, "firefox-esr"), "policy"), "/etc/firefox-esr/policies/policies.json");
}

#define CHROMIUM_STATUS                                                                 \
        "Package: chromium\nStatus: install ok installed\nArchitecture: amd64\n"        \
        "Version: 123.0.6312.105-1~deb12u1\n"
#define CHROMIUM_OK                                                                                   \
        "{\"DefaultSearchProviderEnabled\": true, \"DefaultSearchProviderName\": \"Qwant\",\n"       \
        " \"DefaultSearchProviderSearchURL\": \"https://www.qwant.com/?q={searchTerms}\"}\n"

static void proof_chromium(void **state) {
        struct fixture *f = *state;
        f->p.n_requires = 0;
        put(f, "var/lib/dpkg/status", CHROMIUM_STATUS);

        json_t *rec = NULL;
        char *missing = NULL;
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_string_equal(missing, "Chromium : pas de politique de moteur de recherche "
                                     "(/etc/chromium/policies/managed absent)");
        const json_t *b = browser(rec, "chromium");
        assert_string_equal(rf_json_str(b, "version"), "123.0.6312.105-1~deb12u1");
        assert_true(json_is_false(json_object_get(b, "ok")));
        json_decref(rec);
        free(missing);

        put(f, "etc/chromium/policies/managed/10-search.json", CHROMIUM_OK);
        assert_int_equal(check(f, NULL, &rec, &missing), 1);
        b = browser(rec, "chromium");
        assert_string_equal(rf_json_str(b, "policy"), "/etc/chromium/policies/managed/10-search.json");
        assert_string_equal(rf_json_str(b, "default_search_engine"), "Qwant");
        assert_true(json_is_true(json_object_get(b, "ok")));
        json_decref(rec);

        /* a later file (name order) overrides, whatever its extension */
        put(f, "etc/chromium/policies/managed/20-local", "{\"DefaultSearchProviderName\": \"Google\"}");
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_string_equal(missing, "Chromium : moteur par défaut Google au lieu de Qwant");
        json_decref(rec);
        free(missing);
        drop(f, "etc/chromium/policies/managed/20-local");

        put(f, "etc/chromium/policies/managed/00-base.json", "{\"DefaultSearchProviderEnabled\": false}");
        put(f, "etc/chromium/policies/managed/30-off.json", "{\"DefaultSearchProviderEnabled\": false}");
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_string_equal(missing, "Chromium : DefaultSearchProviderEnabled n'est pas true");
        json_decref(rec);
        free(missing);
        drop(f, "etc/chromium/policies/managed/30-off.json");

        put(f, "etc/chromium/policies/managed/50-broken.json", "{\"DefaultSearchProviderEnabled\": tru");
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_contains(missing, "Chromium : /etc/chromium/policies/managed/50-broken.json : JSON invalide");
        json_decref(rec);
        free(missing);
        drop(f, "etc/chromium/policies/managed/50-broken.json");

        put(f, "etc/chromium/policies/managed/40-url.json",
            "{\"DefaultSearchProviderSearchURL\": \"https://www.google.com/search?q={searchTerms}\"}");
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_string_equal(missing, "Chromium : URL de recherche sur www.google.com au lieu de www.qwant.com");
        json_decref(rec);
        free(missing);
        drop(f, "etc/chromium/policies/managed/40-url.json");

        /* Firefox and Chromium both installed: both checked */
        _cleanup_free_ char *both = NULL;
        assert_true(asprintf(&both, "%s\n%s", CHROMIUM_STATUS, STATUS) > 0);
        put(f, "var/lib/dpkg/status", both);
        put(f, "etc/firefox/policies/policies.json", "{\"policies\": {\"SearchEngines\": {\"Default\": \"Google\"}}}");
        assert_int_equal(check(f, NULL, &rec, &missing), 0);
        assert_string_equal(missing, "Firefox ESR : moteur par défaut Google au lieu de Qwant");
        assert_true(json_is_true(json_object_get(browser(rec, "chromium"), "ok")));
        json_decref(rec);
        free(missing);
}

static void proof_no_browser(void **state) {
        struct fixture *f = *state;
        f->p.n_requires = 1;
        put(f, "var/lib/dpkg/status", "Package: evince\nStatus: install ok installed\nVersion: 43.1-2+b1\n");
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *missing = NULL;
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 0);
        assert_string_equal(missing, "aucun navigateur installé (firefox-esr, firefox ou chromium) pour le moteur de "
                                     "recherche Qwant");
        assert_int_equal(json_array_size(json_object_get(rec, "browsers")), 0);

        /* no engine required: no browser needed, none judged */
        f->p.search_engine = NULL;
        json_decref(rec);
        free(missing);
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);
        put(f, "var/lib/dpkg/status", STATUS);
        json_decref(rec);
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);
        const json_t *b = browser(rec, "firefox-esr");
        assert_null(json_object_get(b, "ok"));
        assert_null(json_object_get(rec, "search_engine"));
}

static void proof_hostname(void **state) {
        struct fixture *f = *state;
        put(f, "etc/hostname", "debian\n");
        json_t *rec = NULL;
        char *missing = NULL;
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 0);
        assert_string_equal(missing, "nom d'hôte : debian au lieu de rb-00017");
        const json_t *h = json_object_get(rec, "hostname");
        assert_string_equal(rf_json_str(h, "found"), "debian");
        assert_true(json_is_false(json_object_get(h, "ok")));
        json_decref(rec);
        free(missing);

        put(f, "etc/hostname", "# set by the hook\n\n  rb-00017  \n");
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);
        json_decref(rec);

        drop(f, "etc/hostname");
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 0);
        assert_string_equal(missing, "nom d'hôte : /etc/hostname absent au lieu de rb-00017");
        assert_true(json_is_null(json_object_get(json_object_get(rec, "hostname"), "found")));
        json_decref(rec);
        free(missing);

        /* a FIFO is not opened (it would block) */
        char path[128];
        snprintf(path, sizeof(path), "%s/etc/hostname", f->root);
        assert_int_equal(mkfifo(path, 0644), 0);
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 0);
        assert_string_equal(missing, "nom d'hôte : /etc/hostname n'est pas un fichier ordinaire au lieu de rb-00017");
        json_decref(rec);
        free(missing);

        /* control characters in the found name are not copied into the record */
        drop(f, "etc/hostname");
        put(f, "etc/hostname", "rb\x1b[2J-00017\xff\n");
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 0);
        assert_string_equal(rf_json_str(json_object_get(rec, "hostname"), "found"), "rb?[2J-00017?");
        assert_string_equal(missing, "nom d'hôte : rb?[2J-00017? au lieu de rb-00017");
        json_decref(rec);
        free(missing);
}

static void proof_confined(void **state) {
        struct fixture *f = *state;
        json_t *rec = NULL;
        char *missing = NULL;

        /* status -> /etc/passwd: the last component is never a symlink */
        put_symlink(f, "var/lib/dpkg/status", "/etc/passwd");
        assert_int_equal(check(f, NULL, &rec, &missing), -ELOOP);
        assert_contains(missing, "/var/lib/dpkg/status lien symbolique refusé");
        free(missing);

        /* a folder symlink climbing out with ".." stays in the root */
        char outside_status[128];
        snprintf(outside_status, sizeof(outside_status), "%s/status", f->outside);
        FILE *fp = fopen(outside_status, "we");
        assert_non_null(fp);
        if (!fp)
                return;
        fputs(STATUS, fp);
        fclose(fp);
        drop(f, "var/lib/dpkg");
        char target[192];
        snprintf(target, sizeof(target), "../../../../../../../..%s", f->outside);
        put_symlink(f, "var/lib/dpkg", target);
        assert_int_equal(check(f, NULL, &rec, &missing), -ENOENT);
        assert_contains(missing, "système écrit illisible : /var/lib/dpkg/status absent (dans ");
        free(missing);
        put_symlink(f, "var/lib/dpkg", f->outside); /* absolute: the root's own path inside it */
        assert_int_equal(check(f, NULL, &rec, &missing), -ENOENT);
        free(missing);

        /* an absolute folder symlink resolves inside the root */
        put(f, "srv/dpkg/status", STATUS);
        put_symlink(f, "var/lib/dpkg", "/srv/dpkg");
        assert_int_equal(check(f, NULL, &rec, &missing), 1);
        json_decref(rec);

        /* /etc/hostname -> /etc/passwd reads the image's /etc/passwd */
        put(f, "etc/passwd", "rb-00017\n");
        drop(f, "etc/hostname");
        put_symlink(f, "etc/hostname", "/etc/passwd");
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);
        json_decref(rec);
        put_symlink(f, "etc/hostname", "../../../../../../etc/passwd");
        assert_int_equal(check(f, "rb-00017", &rec, &missing), 1);
        json_decref(rec);
}

static void proof_unreadable(void **state) {
        struct fixture *f = *state;
        json_t *rec = NULL;
        char *missing = NULL;

        drop(f, "var/lib/dpkg/status");
        assert_int_equal(check(f, NULL, &rec, &missing), -ENOENT);
        assert_contains(missing, "système écrit illisible : /var/lib/dpkg/status absent (dans /tmp/test-img-proof.");
        free(missing);

        put(f, "var/lib/dpkg/status", "Package: evince\nStatus: install ok installed\nVersion 43\n");
        assert_int_equal(check(f, NULL, &rec, &missing), -EINVAL);
        assert_string_equal(missing, "système écrit illisible : /var/lib/dpkg/status:3: ligne sans « : » hors d'une "
                                     "continuation : « Version 43 »");
        free(missing);

        f->p.search_url = "javascript:alert(1)";
        put(f, "var/lib/dpkg/status", STATUS);
        assert_int_equal(check(f, NULL, &rec, &missing), -EINVAL);
        assert_contains(missing, "profil classe.profile : SearchURL « javascript:alert(1) »");
        free(missing);

        assert_int_equal(img_proof_check("/nonexistent/root", &f->p, NULL, &rec, &missing), -ENOENT);
        assert_null(rec);
        assert_contains(missing, "/nonexistent/root");
        free(missing);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(proof_all_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_missing_package, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_firefox, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_chromium, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_no_browser, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_hostname, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_confined, setup, teardown),
                cmocka_unit_test_setup_teardown(proof_unreadable, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
