/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the checks refurbctl makes before it talks to a remote
 * bench: --url, --token-file, --ca-file, and the words of 401/403. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "../../tests/unit/test-tmpdir.h"
#include "rctl-remote.h"
#include "rf-json.h"
#include "rf-macro.h"

static void test_loopback(void **state) {
        static const char *const yes[] = { "localhost", "LocalHost", "localhost.", "127.0.0.1", "127.1.2.3",
                                           "::1", "[::1]", "[0:0:0:0:0:0:0:1]", "::ffff:127.0.0.1" };
        static const char *const no[] = { "", "bench", "localhost.example", "10.0.0.1", "128.0.0.1", "0.0.0.0", "::",
                                          "[::2]", "[::1", "::ffff:10.0.0.1", "127.0.0.1.example", "[]",
                                          "1270.0.0.1", "mylocalhost" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_true(rctl_host_is_loopback(yes[i]));
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_false(rctl_host_is_loopback(no[i]));
        assert_false(rctl_host_is_loopback(NULL));
}

static int check_url(const char *url, char **ret, bool *tls, char *err, size_t errlen) {
        *ret = NULL;
        err[0] = '\0';
        return rctl_check_url(url, "--url", RF_LANG_FR, ret, tls, err, errlen);
}

static void test_url(void **state) {
        static const struct {
                const char *url, *normalised;
                bool tls;
        } good[] = {
                { "https://bench:8443", "https://bench:8443", true },
                { "https://bench:8443/", "https://bench:8443", true },
                { "HTTPS://Bench.example:8443//", "https://Bench.example:8443", true },
                { "https://192.0.2.1", "https://192.0.2.1", true },
                { "https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443", true },
                { "https://bench/refurb/", "https://bench/refurb", true },
                { "http://127.0.0.1:8080", "http://127.0.0.1:8080", false },
                { "http://localhost:8080/", "http://localhost:8080", false },
                { "http://[::1]:8080", "http://[::1]:8080", false },
        };
        char err[1024];
        bool tls;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *base = NULL;
                tls = !good[i].tls;
                assert_int_equal(check_url(good[i].url, &base, &tls, err, sizeof(err)), 0);
                assert_string_equal(base, good[i].normalised);
                assert_true(tls == good[i].tls);
        }

        /* In clear towards another host: TLS is required, and said so. */
        static const char *const clear[] = { "http://bench:8080", "http://10.0.0.1", "http://[2001:db8::1]:80",
                                             "http://localhost.evil.example", "http://127.0.0.1.nip.io" };
        for (size_t i = 0; i < ELEMENTSOF(clear); i++) {
                char *base = NULL;
                assert_int_equal(check_url(clear[i], &base, &tls, err, sizeof(err)), -EPROTONOSUPPORT);
                assert_null(base);
                assert_non_null(strstr(err, "TLS est obligatoire"));
                assert_non_null(strstr(err, clear[i]));
        }

        char huge[RCTL_URL_MAX + 16];
        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        memcpy(huge, "https://", 8);
        const struct {
                const char *url, *words;
        } bad[] = {
                { "", "est vide" },
                { "bench:8443", "doit commencer par https://" },
                { "ftp://bench", "doit commencer par https://" },
                { "https://user:pw@bench", "ni nom d'utilisateur" },
                { "https://user@bench", "ni nom d'utilisateur" },
                { "https://bench/?a=1", "ni « ? » ni « # »" },
                { "https://bench/#x", "ni « ? » ni « # »" },
                { "https://bench /", "caractère inattendu à la position 14" },
                { "https://bénch", "caractère inattendu à la position 10" },
                { "https://bench\n", "caractère inattendu" },
                { "https://", "n'est pas une adresse lisible" },
                { "https://:8443", "n'est pas une adresse lisible" },
                { "https://bench:99999", "n'est pas une adresse lisible" },
                { huge, "trop longue" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *base = NULL;
                int r = check_url(bad[i].url, &base, &tls, err, sizeof(err));
                if (r != -EINVAL || !strstr(err, bad[i].words))
                        fail_msg("%s: %d, %s", bad[i].url, r, err);
                assert_null(base);
        }

        /* The name of the source is used in the messages. */
        char *base = NULL;
        assert_int_equal(rctl_check_url("http://bench", "REFURB_URL", RF_LANG_EN, &base, &tls, err, sizeof(err)),
                         -EPROTONOSUPPORT);
        assert_non_null(strstr(err, "REFURB_URL 'http://bench': TLS is required"));
}

static void write_file(const char *path, const char *text, size_t len, mode_t mode) {
        FILE *f = fopen(path, "w");
        if (!f) {
                fail_msg("cannot write %s", path);
                return;
        }
        assert_int_equal(fwrite(text, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static const char TOKEN[] = "rfb1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbC";

static void test_token_file(void **state) {
        char dir[64], path[128], err[1024];
        char *token = NULL;

        assert_int_equal(test_mkdtemp(dir, sizeof(dir), "test-rctl-remote"), 0);
        snprintf(path, sizeof(path), "%s/jeton", dir);

        /* One line; LF or CRLF, or none. */
        static const char *const ends[] = { "\n", "\r\n", "" };
        for (size_t i = 0; i < ELEMENTSOF(ends); i++) {
                char text[128];
                int n = snprintf(text, sizeof(text), "%s%s", TOKEN, ends[i]);
                write_file(path, text, (size_t) n, 0600);
                assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), 0);
                assert_string_equal(token, TOKEN);
                rctl_secret_free(TAKE_PTR(token));
        }
        write_file(path, TOKEN, strlen(TOKEN), 0400);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), 0);
        rctl_secret_free(TAKE_PTR(token));

        /* Readable or writable by others: refused, chmod 600 named, the
         * token never in the message. */
        static const mode_t loose[] = { 0644, 0640, 0604, 0620, 0602, 0660, 0606 };
        for (size_t i = 0; i < ELEMENTSOF(loose); i++) {
                char want[160];
                write_file(path, TOKEN, strlen(TOKEN), loose[i]);
                assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), -EPERM);
                assert_null(token);
                snprintf(want, sizeof(want), "« chmod 600 %s »", path);
                assert_non_null(strstr(err, want));
                snprintf(want, sizeof(want), "(mode %04o)", (unsigned) loose[i]);
                assert_non_null(strstr(err, want));
                assert_null(strstr(err, "rfb1_"));
        }
        write_file(path, TOKEN, strlen(TOKEN), 0644);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_EN, &token, err, sizeof(err)), -EPERM);
        assert_non_null(strstr(err, "may be read by others"));

        /* Contents. */
        static const struct {
                const char *text;
                const char *words;
        } bad[] = {
                { "", "est vide" },
                { "\n", "est vide" },
                { "\r\n", "est vide" },
                { "rfb1_abc\nrfb1_def\n", "contient plusieurs lignes" },
                { "rfb1_abc\n\n", "contient plusieurs lignes" },
                { "rfb1_abc \n", "caractère inattendu (colonne 9)" },
                { " rfb1_abc\n", "caractère inattendu (colonne 1)" },
                { "rfb1_\tabc", "caractère inattendu (colonne 6)" },
                { "rfb1_é", "caractère inattendu (colonne 6)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                write_file(path, bad[i].text, strlen(bad[i].text), 0600);
                int r = rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err));
                if (r != -EINVAL || !strstr(err, bad[i].words) || !strstr(err, path))
                        fail_msg("%zu: %d, %s", i, r, err);
                assert_null(token);
        }
        /* A NUL byte inside. */
        write_file(path, "rfb1_a\0b", 8, 0600);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "colonne 7"));

        /* Sizes: a line longer than a token, a file larger than the limit. */
        _cleanup_free_ char *big = malloc(RCTL_TOKEN_FILE_MAX + 10);
        assert_non_null(big);
        memset(big, 'A', RCTL_TOKEN_FILE_MAX + 10);
        write_file(path, big, RCTL_TOKEN_MAX + 1, 0600);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "trop longue"));
        write_file(path, big, RCTL_TOKEN_MAX, 0600);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), 0);
        assert_int_equal(strlen(token), RCTL_TOKEN_MAX);
        rctl_secret_free(TAKE_PTR(token));
        write_file(path, big, RCTL_TOKEN_FILE_MAX + 10, 0600);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), -EFBIG);
        assert_non_null(strstr(err, "trop grand"));

        /* Not a regular file, missing. */
        assert_int_equal(rctl_read_token_file(dir, RF_LANG_FR, &token, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "n'est pas un fichier ordinaire"));
        snprintf(path, sizeof(path), "%s/absent", dir);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "absent : il n'existe pas"));
        snprintf(path, sizeof(path), "%s/fifo", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(rctl_read_token_file(path, RF_LANG_FR, &token, err, sizeof(err)), -EINVAL);
        assert_null(token);
        test_rm_rf(dir);
}

static void test_ca_file(void **state) {
        static const char pem[] = "# the bench\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        char dir[64], path[128], err[1024];

        assert_int_equal(test_mkdtemp(dir, sizeof(dir), "test-rctl-remote"), 0);
        snprintf(path, sizeof(path), "%s/banc.pem", dir);
        write_file(path, pem, strlen(pem), 0644);
        assert_int_equal(rctl_check_ca_file(path, RF_LANG_FR, err, sizeof(err)), 0);
        write_file(path, "-----BEGIN PRIVATE KEY-----\n", 28, 0600);
        assert_int_equal(rctl_check_ca_file(path, RF_LANG_FR, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "aucun certificat PEM"));
        write_file(path, "", 0, 0644);
        assert_int_equal(rctl_check_ca_file(path, RF_LANG_FR, err, sizeof(err)), -EINVAL);
        assert_int_equal(rctl_check_ca_file(dir, RF_LANG_FR, err, sizeof(err)), -EINVAL);
        snprintf(path, sizeof(path), "%s/absent.pem", dir);
        assert_int_equal(rctl_check_ca_file(path, RF_LANG_FR, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "absent.pem"));
        test_rm_rf(dir);
}

static void denied(const char *doc_text, long status, bool had_token, enum rf_lang lang, const char *want) {
        _cleanup_json_ json_t *doc = doc_text ? json_loads(doc_text, JSON_DECODE_ANY, NULL) : NULL;
        char out[512];

        if (doc_text)
                assert_non_null(doc);
        rctl_denied_words(doc, status, had_token, "GET", "/v1/donors", lang, out, sizeof(out));
        if (strcmp(out, want) != 0)
                fail_msg("got '%s', expected '%s'", out, want);
}

static void test_denied(void **state) {
        denied("{\"error\":{\"code\":\"unauthenticated\"}}", 401, true, RF_LANG_FR,
               "jeton refusé (inconnu, révoqué ou expiré) : demandez-en un nouveau à l'administrateur du banc "
               "(« refurbctl token create » sur le banc)");
        denied(NULL, 401, true, RF_LANG_EN,
               "token refused (unknown, revoked or expired): ask the bench's administrator for a new one "
               "('refurbctl token create' on the bench)");
        denied("[]", 401, false, RF_LANG_FR,
               "ce banc demande un jeton : donnez-le avec --token-file FICHIER (ou REFURB_TOKEN_FILE)");
        denied("{\"error\":{\"code\":\"forbidden\",\"role\":\"technician\",\"allowed\":[\"supervisor\"]}}", 403, true,
               RF_LANG_FR,
               "votre rôle (technician) ne permet pas cette action (GET /v1/donors) ; rôles qui le peuvent : supervisor");
        denied("{\"error\":{\"code\":\"forbidden\",\"role\":\"dsi\",\"allowed\":[\"technician\",\"supervisor\"]}}", 403,
               true, RF_LANG_EN,
               "your role (dsi) does not allow this (GET /v1/donors); roles that may: technician, supervisor");
        /* Untrusted members: anything but a lower-case word is not shown. */
        denied("{\"error\":{\"code\":\"forbidden\",\"role\":\"\\u001b[31mx\",\"allowed\":[1,\"DSI\",null,\"agent\"]}}",
               403, true, RF_LANG_FR,
               "votre rôle (?) ne permet pas cette action (GET /v1/donors) ; rôles qui le peuvent : agent");
        denied("{\"error\":{\"code\":\"forbidden\",\"role\":\"agent\",\"allowed\":\"supervisor\"}}", 403, true, RF_LANG_FR,
               "votre rôle (agent) ne permet pas cette action (GET /v1/donors)");
        denied("{\"error\":{\"code\":\"unix-only\"}}", 403, true, RF_LANG_FR,
               "GET /v1/donors est réservé à l'administrateur, sur le banc lui-même (sudo refurbctl, par le socket "
               "Unix, sans --url)");
        denied("{\"error\":{\"code\":\"csrf\"}}", 403, true, RF_LANG_FR,
               "accès refusé à GET /v1/donors (HTTP 403, code « csrf »)");
        denied("\"text\"", 403, true, RF_LANG_FR, "accès refusé à GET /v1/donors (HTTP 403, code « ? »)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loopback),   cmocka_unit_test(test_url),    cmocka_unit_test(test_token_file),
                cmocka_unit_test(test_ca_file),    cmocka_unit_test(test_denied),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
