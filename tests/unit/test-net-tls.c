/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bench's TLS certificate (rfd-tls.c): made on first start, loaded,
 * refused with the file names. The listeners are in test-net.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-tls.h"
#include "test-tmpdir.h"

static int setup(void **state) {
        return test_dir_setup(state, "test-net-tls");
}

static int teardown(void **state) {
        return test_dir_teardown(state);
}

/* Certificates */

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(GENERAL_NAMES *, GENERAL_NAMES_free)

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)

static BIO *read_bio(const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        assert_int_equal(rf_read_file(path, 1024 * 1024, &text, &len), 0);
        BIO *b = BIO_new(BIO_s_mem());
        assert_non_null(b);
        assert_int_equal(BIO_write(b, text, (int) len), (int) len);
        return b;
}

static X509 *read_cert(const char *path) {
        _cleanup_(BIO_free_allp) BIO *b = read_bio(path);
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        assert_non_null(x);
        return x;
}

static EVP_PKEY *read_key(const char *path) {
        _cleanup_(BIO_free_allp) BIO *b = read_bio(path);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        assert_non_null(k);
        return k;
}

static void cert_sha256(X509 *x, char out[static 65]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
        assert_int_equal(n, 32);
        rf_hex_encode(md, n, out);
}

/* The SANs as "DNS:name" / "IP:addr", joined by ", ". */
static void cert_sans(X509 *x, char *out, size_t outlen) {
        _cleanup_(GENERAL_NAMES_freep) GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        assert_non_null(gens);
        out[0] = '\0';
        for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
                const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
                char one[128];
                if (g->type == GEN_DNS)
                        snprintf(one, sizeof(one), "DNS:%s", (const char *) ASN1_STRING_get0_data(g->d.dNSName));
                else if (g->type == GEN_IPADD) {
                        int l = ASN1_STRING_length(g->d.iPAddress);
                        char a[INET6_ADDRSTRLEN];
                        assert_non_null(inet_ntop(l == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), a,
                                                  sizeof(a)));
                        snprintf(one, sizeof(one), "IP:%s", a);
                } else
                        snprintf(one, sizeof(one), "?%d", g->type);
                snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? ", " : "", one);
        }
}

static void test_cert_created(void **state) {
        struct test_dir_fixture *f = *state;
        char *const ips[] = { "192.168.1.10", "0.0.0.0", "::", "127.0.0.1", "2001:db8::7", NULL };
        char err[512] = "";
        struct rfd_tls *t = NULL;
        int r = rfd_tls_new(NULL, NULL, f->dir, "banc-1.mairie.example", ips, &t, err, sizeof(err));
        if (r < 0)
                fail_msg("rfd_tls_new: %d %s", r, err);
        assert_true(rfd_tls_created(t));
        assert_false(rfd_tls_expired(t));
        assert_non_null(rfd_tls_ctx(t));
        _cleanup_free_ char *dir = test_path_in(f, "tls"), *cert = test_path_in(f, "tls/bench-tls.pem"),
                            *key = test_path_in(f, "tls/bench-tls.key");
        assert_string_equal(rfd_tls_certificate_path(t), cert);

        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(stat(key, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(stat(cert, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);

        _cleanup_(X509_freep) X509 *x = read_cert(cert);
        char sha[65], sans[1024];
        cert_sha256(x, sha);
        assert_string_equal(rfd_tls_sha256(t), sha);
        assert_int_equal(strlen(rfd_tls_sha256(t)), 64);
        cert_sans(x, sans, sizeof(sans));
        assert_string_equal(sans, "DNS:banc-1.mairie.example, DNS:localhost, IP:127.0.0.1, IP:::1, IP:192.168.1.10, "
                                  "IP:2001:db8::7");

        /* ECDSA P-256, self-signed, CA:FALSE, serverAuth, ~10 years. */
        EVP_PKEY *pub = X509_get0_pubkey(x);
        assert_non_null(pub);
        assert_true(EVP_PKEY_is_a(pub, "EC"));
        char group[64] = "";
        size_t glen = 0;
        assert_int_equal(EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof(group), &glen), 1);
        assert_string_equal(group, "prime256v1");
        assert_int_equal(X509_verify(x, pub), 1);
        assert_int_equal(X509_check_ca(x), 0);
        assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
        int days = 0, secs = 0;
        assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
        assert_true(days >= 3649 && days <= 3651);
        assert_int_equal(X509_check_host(x, "banc-1.mairie.example", 0, 0, NULL), 1);
        assert_int_equal(X509_check_ip_asc(x, "192.168.1.10", 0), 1);
        assert_int_equal(X509_check_ip_asc(x, "0.0.0.0", 0), 0);

        /* The key file is the certificate's key. */
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = read_key(key);
        assert_int_equal(X509_check_private_key(x, k), 1);
        rfd_tls_free(t);

        /* Next start: loaded, same fingerprint, files untouched. */
        struct stat before;
        assert_int_equal(stat(cert, &before), 0);
        assert_int_equal(rfd_tls_new(NULL, NULL, f->dir, "other-name", NULL, &t, err, sizeof(err)), 0);
        assert_false(rfd_tls_created(t));
        assert_string_equal(rfd_tls_sha256(t), sha);
        assert_int_equal(stat(cert, &st), 0);
        assert_int_equal(st.st_ino, before.st_ino);
        rfd_tls_free(t);

        /* The same files named as CertificateFile=/KeyFile=. */
        assert_int_equal(rfd_tls_new(cert, key, NULL, NULL, NULL, &t, err, sizeof(err)), 0);
        assert_false(rfd_tls_created(t));
        assert_string_equal(rfd_tls_sha256(t), sha);
        rfd_tls_free(t);

        /* A lost key: both made again (another fingerprint); a too open
         * directory is closed again. */
        assert_int_equal(unlink(key), 0);
        assert_int_equal(chmod(dir, 0755), 0);
        assert_int_equal(rfd_tls_new(NULL, NULL, f->dir, "", NULL, &t, err, sizeof(err)), 0);
        assert_true(rfd_tls_created(t));
        assert_string_not_equal(rfd_tls_sha256(t), sha);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        rfd_tls_free(t);
        _cleanup_(X509_freep) X509 *x2 = read_cert(cert);
        cert_sans(x2, sans, sizeof(sans));
        /* No valid host name: localhost and the loopback addresses only. */
        assert_string_equal(sans, "DNS:localhost, IP:127.0.0.1, IP:::1");
}

static void test_cert_hostnames(void **state) {
        struct test_dir_fixture *f = *state;
        static const struct {
                const char *hostname;
                const char *sans;
        } cases[] = {
                { "bench", "DNS:bench, DNS:localhost, IP:127.0.0.1, IP:::1" },
                { "localhost", "DNS:localhost, IP:127.0.0.1, IP:::1" },
                { "a,IP:1.2.3.4", "DNS:localhost, IP:127.0.0.1, IP:::1" },
                { "-bad", "DNS:localhost, IP:127.0.0.1, IP:::1" },
                { "bad-.x", "DNS:localhost, IP:127.0.0.1, IP:::1" },
                { "a..b", "DNS:localhost, IP:127.0.0.1, IP:::1" },
                { "écran", "DNS:localhost, IP:127.0.0.1, IP:::1" },
        };
        _cleanup_free_ char *cert = test_path_in(f, "c.pem"), *key = test_path_in(f, "c.key");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char err[512] = "", sans[512];
                assert_int_equal(rfd_tls_generate(cert, key, cases[i].hostname, NULL, err, sizeof(err)), 0);
                _cleanup_(X509_freep) X509 *x = read_cert(cert);
                cert_sans(x, sans, sizeof(sans));
                if (strcmp(sans, cases[i].sans) != 0)
                        fail_msg("'%s': %s", cases[i].hostname, sans);
        }
}

static void test_cert_refused(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *c1 = test_path_in(f, "one.pem"), *k1 = test_path_in(f, "one.key"), *c2 = test_path_in(f, "two.pem"),
                            *k2 = test_path_in(f, "two.key"), *junk = test_path_in(f, "junk.pem"), *enc = test_path_in(f, "enc.key"),
                            *missing = test_path_in(f, "missing.pem"), *chain = test_path_in(f, "chain.pem");
        char err[512] = "", expected[1024];
        struct rfd_tls *t = NULL;
        assert_int_equal(rfd_tls_generate(c1, k1, "one", NULL, err, sizeof(err)), 0);
        assert_int_equal(rfd_tls_generate(c2, k2, "two", NULL, err, sizeof(err)), 0);

        /* A key that is not the certificate's: both files named. */
        assert_int_equal(rfd_tls_new(c1, k2, NULL, NULL, NULL, &t, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected),
                 "la clé privée TLS %s ne correspond pas au certificat %s : donnez la clé de ce certificat", k2, c1);
        assert_string_equal(err, expected);
        assert_null(t);

        assert_int_equal(rfd_tls_new(missing, k1, NULL, NULL, NULL, &t, err, sizeof(err)), -ENOENT);
        snprintf(expected, sizeof(expected), "certificat TLS %s : lecture impossible : No such file or directory",
                 missing);
        assert_string_equal(err, expected);

        assert_int_equal(rf_write_file_atomic(junk, "not PEM\n", 8, 0644), 0);
        assert_int_equal(rfd_tls_new(junk, k1, NULL, NULL, NULL, &t, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected), "certificat TLS %s : aucun certificat PEM lisible", junk);
        assert_memory_equal(err, expected, strlen(expected));
        /* A certificate given as the key. */
        assert_int_equal(rfd_tls_new(c1, c1, NULL, NULL, NULL, &t, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected), "clé privée TLS %s : aucune clé privée PEM lisible", c1);
        assert_memory_equal(err, expected, strlen(expected));

        /* An encrypted key is refused, without asking for a password. */
        {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = read_key(k1);
                _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
                assert_non_null(b);
                assert_int_equal(PEM_write_bio_PrivateKey(b, k, EVP_aes_128_cbc(), (const unsigned char *) "secret", 6,
                                                          NULL, NULL),
                                 1);
                char *data = NULL;
                long len = BIO_get_mem_data(b, &data);
                assert_true(len > 0);
                assert_int_equal(rf_write_file_atomic(enc, data, (size_t) len, 0600), 0);
        }
        assert_int_equal(rfd_tls_new(c1, enc, NULL, NULL, NULL, &t, err, sizeof(err)), -EINVAL);
        snprintf(expected, sizeof(expected),
                 "clé privée TLS %s : aucune clé privée PEM lisible (une clé chiffrée par mot de passe n'est pas "
                 "acceptée)",
                 enc);
        assert_memory_equal(err, expected, strlen(expected));

        /* Over 1 MiB: not read. */
        _cleanup_free_ char *big = calloc(1, 2 * 1024 * 1024);
        assert_non_null(big);
        assert_int_equal(rf_write_file_atomic(junk, big, 2 * 1024 * 1024, 0644), 0);
        assert_int_equal(rfd_tls_new(junk, k1, NULL, NULL, NULL, &t, err, sizeof(err)), -EFBIG);
        snprintf(expected, sizeof(expected),
                 "certificat TLS %s : fichier de plus de 1 Mio, ce n'est pas un fichier PEM", junk);
        assert_string_equal(err, expected);

        /* A certificate followed by its chain loads. */
        _cleanup_free_ char *t1 = NULL, *t2 = NULL, *both = NULL;
        size_t l1 = 0, l2 = 0;
        assert_int_equal(rf_read_file(c1, 65536, &t1, &l1), 0);
        assert_int_equal(rf_read_file(c2, 65536, &t2, &l2), 0);
        assert_true(asprintf(&both, "%s%s", t1, t2) > 0);
        assert_int_equal(rf_write_file_atomic(chain, both, strlen(both), 0644), 0);
        assert_int_equal(rfd_tls_new(chain, k1, NULL, NULL, NULL, &t, err, sizeof(err)), 0);
        rfd_tls_free(t);

        /* StateDirectory/tls not a directory. */
        _cleanup_free_ char *state_dir = test_path_in(f, "state"), *tls = test_path_in(f, "state/tls");
        assert_int_equal(mkdir(state_dir, 0755), 0);
        assert_int_equal(symlink("/tmp", tls), 0);
        t = NULL;
        assert_int_equal(rfd_tls_new(NULL, NULL, state_dir, "x", NULL, &t, err, sizeof(err)), -ENOTDIR);
        assert_null(t);
        assert_int_equal(rfd_tls_new(NULL, k1, state_dir, "x", NULL, &t, err, sizeof(err)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_cert_created, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cert_hostnames, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cert_refused, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
