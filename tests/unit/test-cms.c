/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
/* pem.h first: cms.h declares PEM_read_bio_CMS() only after it. */
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "test-tmpdir.h"
#include "rf-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)

struct fixture {
        char dir[64];
};

struct identity {
        EVP_PKEY *key;
        X509 *cert;
        char *pem;
};

static void identity_done(struct identity *id) {
        EVP_PKEY_free(id->key);
        X509_free(id->cert);
        free(id->pem);
}

static char *path_in(const struct fixture *f, const char *name) {
        char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
        return p;
}

static void identity_in(const struct fixture *f, const char *sub, const char *cn, const char *org,
                        struct identity *ret) {
        _cleanup_free_ char *dir = path_in(f, sub);
        *ret = (struct identity) {};
        assert_int_equal(rf_identity_load_or_create(dir, cn, org, &ret->key, &ret->cert), 0);
        assert_non_null(ret->key);
        assert_non_null(ret->cert);
        assert_int_equal(rf_cert_to_pem(ret->cert, &ret->pem), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f)
                return -1;
        if (test_mkdtemp(f->dir, sizeof(f->dir), "test-cms") < 0) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

static void write_text(const char *path, const void *data, size_t len) {
        assert_int_equal(rf_write_file_atomic(path, data, len, 0644), 0);
}

static char *read_text(const char *path) {
        char *s = NULL;
        assert_int_equal(rf_read_file(path, 1024 * 1024, &s, NULL), 0);
        return s;
}

static unsigned file_mode(const char *path) {
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        return st.st_mode & 07777;
}

/* The UTF-8 text of a name entry, or "" if absent. */
static void name_entry(X509_NAME *name, int nid, char out[static 256]) {
        out[0] = '\0';
        int i = X509_NAME_get_index_by_NID(name, nid, -1);
        if (i < 0)
                return;
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
        assert_true(n >= 0 && n < 256);
        memcpy(out, utf8, (size_t) n);
        out[n] = '\0';
        OPENSSL_free(utf8);
}

static void test_identity_created(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity id = {};
        identity_in(f, "state/sub", "atelier-1", "Association Réemploi", &id);

        _cleanup_free_ char *key_path = path_in(f, "state/sub/bench.key");
        _cleanup_free_ char *crt_path = path_in(f, "state/sub/bench.crt");
        assert_int_equal(file_mode(key_path), 0600);
        assert_int_equal(file_mode(crt_path), 0644);

        /* ECDSA P-256 key. */
        char group[64] = "";
        assert_true(EVP_PKEY_is_a(id.key, "EC"));
        assert_int_equal(EVP_PKEY_get_group_name(id.key, group, sizeof(group), NULL), 1);
        assert_string_equal(group, "prime256v1");

        /* The file holds the certificate we got back. */
        _cleanup_free_ char *crt_text = read_text(crt_path);
        assert_string_equal(crt_text, id.pem);

        X509 *c = id.cert;
        assert_int_equal(X509_get_version(c), X509_VERSION_3);
        assert_int_equal(X509_get_signature_nid(c), NID_ecdsa_with_SHA256);
        assert_int_equal(X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)), 0);
        char cn[256], o[256];
        name_entry(X509_get_subject_name(c), NID_commonName, cn);
        name_entry(X509_get_subject_name(c), NID_organizationName, o);
        assert_string_equal(cn, "atelier-1");
        assert_string_equal(o, "Association Réemploi");

        /* Self-signed with its own key. */
        EVP_PKEY *pub = X509_get0_pubkey(c);
        assert_int_equal(X509_verify(c, pub), 1);
        assert_int_equal(X509_check_private_key(c, id.key), 1);

        /* 128-bit positive serial. */
        const ASN1_INTEGER *sn = X509_get0_serialNumber(c);
        assert_int_equal(ASN1_STRING_length(sn), 16);
        assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);

        /* Valid since yesterday, for 30 years. */
        time_t now = time(NULL);
        int day = 0, sec = 0;
        assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(c), X509_get0_notAfter(c)), 1);
        assert_true(day >= 30 * 365 + 7 && day <= 30 * 365 + 9);
        assert_true(X509_cmp_time(X509_get0_notBefore(c), &now) < 0);
        time_t earlier = now - 86400 + 60;
        assert_true(X509_cmp_time(X509_get0_notBefore(c), &earlier) < 0);

        /* Extensions. */
        assert_true(X509_get_extension_flags(c) & EXFLAG_CA);
        assert_true(X509_get_extension_flags(c) & EXFLAG_SS);
        uint32_t ku = X509_get_key_usage(c);
        assert_true(ku & KU_DIGITAL_SIGNATURE);
        assert_true(ku & KU_NON_REPUDIATION);
        assert_true(ku & KU_KEY_CERT_SIGN);
        assert_false(ku & KU_KEY_ENCIPHERMENT);
        assert_true(X509_get_extended_key_usage(c) & XKU_SMIME);
        assert_non_null(X509_get0_subject_key_id(c));
        int crit = 0;
        BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(c, NID_basic_constraints, &crit, NULL);
        assert_non_null(bc);
        assert_int_equal(crit, 1);
        BASIC_CONSTRAINTS_free(bc);
        ASN1_BIT_STRING *kus = X509_get_ext_d2i(c, NID_key_usage, &crit, NULL);
        assert_non_null(kus);
        assert_int_equal(crit, 1);
        ASN1_BIT_STRING_free(kus);
        assert_int_equal(X509_check_purpose(c, X509_PURPOSE_SMIME_SIGN, 0), 1);
        assert_int_equal(X509_check_purpose(c, X509_PURPOSE_SMIME_SIGN, 1), 1);
}

static void test_identity_reloaded(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity a = {}, b = {};
        char fa[65], fb[65];

        identity_in(f, "s", "atelier-1", "", &a);
        /* A second start loads the same files, whatever the names now. */
        identity_in(f, "s", "renamed", "Other", &b);
        assert_int_equal(rf_cert_fingerprint(a.cert, fa), 0);
        assert_int_equal(rf_cert_fingerprint(b.cert, fb), 0);
        assert_string_equal(fa, fb);
        assert_true(EVP_PKEY_eq(a.key, b.key) == 1);

        /* No O= when the organisation is empty. */
        assert_int_equal(X509_NAME_get_index_by_NID(X509_get_subject_name(a.cert), NID_organizationName, -1), -1);
}

static void test_identity_names_truncated(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity id = {};
        char cn[200];
        /* 70 two-byte characters: cut at 64 characters, not 64 bytes. */
        cn[0] = '\0';
        for (int i = 0; i < 70; i++)
                strcat(cn, "\xc3\xa9");
        identity_in(f, "s", cn, "Association pour le r\xc3\xa9" "emploi informatique solidaire et la formation", &id);
        char got[256], org[256];
        name_entry(X509_get_subject_name(id.cert), NID_commonName, got);
        assert_int_equal(strlen(got), 128);
        assert_memory_equal(got, cn, 128);
        name_entry(X509_get_subject_name(id.cert), NID_organizationName, org);
        assert_string_equal(org, "Association pour le r\xc3\xa9" "emploi informatique solidaire et la format");
}

static void test_identity_errors(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity a = {}, b = {};
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;

        identity_in(f, "a", "bench-a", "", &a);
        identity_in(f, "b", "bench-b", "", &b);
        _cleanup_free_ char *dir_a = path_in(f, "a"), *crt_a = path_in(f, "a/bench.crt"),
                            *key_a = path_in(f, "a/bench.key");

        /* Certificate of another key. */
        write_text(crt_a, b.pem, strlen(b.pem));
        assert_int_equal(rf_identity_load_or_create(dir_a, "bench-a", "", &key, &cert), -EKEYREJECTED);
        assert_null(key);
        assert_null(cert);

        /* Garbage in the key file. */
        assert_int_equal(rf_write_file_atomic(key_a, "not a key\n", 10, 0600), 0);
        assert_int_equal(rf_identity_load_or_create(dir_a, "bench-a", "", &key, &cert), -EBADMSG);

        /* A certificate whose key is gone is never replaced. */
        assert_int_equal(unlink(key_a), 0);
        assert_int_equal(rf_identity_load_or_create(dir_a, "bench-a", "", &key, &cert), -ENOKEY);
        _cleanup_free_ char *still = read_text(crt_a);
        assert_string_equal(still, b.pem);

        assert_int_equal(rf_identity_load_or_create(dir_a, "", "", &key, &cert), -ENOKEY);
        assert_int_equal(unlink(crt_a), 0);
        assert_int_equal(rf_identity_load_or_create(dir_a, "", "", &key, &cert), -EINVAL);
        assert_int_equal(rf_identity_load_or_create(NULL, "x", "", &key, &cert), -EINVAL);
}

static void test_identity_key_without_cert(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity a = {}, b = {};

        /* As after a crash between writing the key and the certificate. */
        identity_in(f, "a", "bench-a", "", &a);
        _cleanup_free_ char *crt = path_in(f, "a/bench.crt");
        assert_int_equal(unlink(crt), 0);
        identity_in(f, "a", "bench-a", "", &b);
        assert_true(EVP_PKEY_eq(a.key, b.key) == 1);
        assert_int_equal(X509_check_private_key(b.cert, a.key), 1);
        assert_int_not_equal(X509_cmp(a.cert, b.cert), 0); /* a new serial */
}

static void test_fingerprint(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity id = {};
        identity_in(f, "s", "atelier-1", "", &id);

        unsigned char *der = NULL;
        int n = i2d_X509(id.cert, &der);
        assert_true(n > 0);
        char expected[65], got[65];
        assert_int_equal(rf_sha256_hex(der, (size_t) n, expected), 0);
        OPENSSL_free(der);
        assert_int_equal(rf_cert_fingerprint(id.cert, got), 0);
        assert_string_equal(got, expected);
        assert_int_equal(strlen(got), 64);
}

static void test_sign_verify(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity id = {}, other = {};
        identity_in(f, "s", "atelier-1", "Org", &id);
        identity_in(f, "o", "elsewhere", "", &other);

        const char *data = "{\"id\":\"x\",\"result\":\"erased\"}";
        size_t len = strlen(data);
        _cleanup_free_ char *sig = NULL, *signer = NULL;
        char err[512];

        assert_int_equal(rf_cms_sign(id.key, id.cert, data, len, &sig), 0);
        assert_true(strncmp(sig, "-----BEGIN CMS-----\n", 20) == 0);
        assert_non_null(strstr(sig, "-----END CMS-----\n"));

        assert_int_equal(rf_cms_verify(data, len, sig, id.pem, &signer, err, sizeof(err)), 0);
        assert_string_equal(signer, id.pem);
        assert_int_equal(rf_cms_verify(data, len, sig, id.pem, NULL, NULL, 0), 0);

        /* The signature is detached, over exactly these bytes, with SHA-256. */
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(sig, -1);
        CMS_ContentInfo *cms = PEM_read_bio_CMS(b, NULL, NULL, NULL);
        assert_non_null(cms);
        assert_int_equal(CMS_is_detached(cms), 1);
        STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
        assert_int_equal(sk_CMS_SignerInfo_num(sis), 1);
        X509_ALGOR *digest = NULL;
        CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL, &digest, NULL);
        const ASN1_OBJECT *oid = NULL;
        X509_ALGOR_get0(&oid, NULL, NULL, digest);
        assert_int_equal(OBJ_obj2nid(oid), NID_sha256);
        CMS_ContentInfo_free(cms);

        /* One byte changed. */
        char changed[64];
        snprintf(changed, sizeof(changed), "%s", data);
        changed[7] = 'y';
        err[0] = '\0';
        assert_int_equal(rf_cms_verify(changed, len, sig, id.pem, NULL, err, sizeof(err)), -EBADMSG);
        assert_true(strlen(err) > 0);
        print_message("tampered content: %s\n", err);
        /* Truncated. */
        assert_int_equal(rf_cms_verify(data, len - 1, sig, id.pem, NULL, err, sizeof(err)), -EBADMSG);

        /* Not trusted: another bench's certificate. */
        err[0] = '\0';
        assert_int_equal(rf_cms_verify(data, len, sig, other.pem, NULL, err, sizeof(err)), -EBADMSG);
        assert_true(strlen(err) > 0);
        print_message("untrusted signer: %s\n", err);

        /* Unreadable signature or trust anchors. */
        err[0] = '\0';
        assert_int_equal(rf_cms_verify(data, len, "not a signature", id.pem, NULL, err, sizeof(err)), -EINVAL);
        assert_true(strlen(err) > 0);
        assert_int_equal(rf_cms_verify(data, len, id.pem, id.pem, NULL, err, sizeof(err)), -EINVAL);
        assert_int_equal(rf_cms_verify(data, len, sig, "", NULL, err, sizeof(err)), -EINVAL);
        assert_int_equal(rf_cms_verify(data, len, NULL, id.pem, NULL, err, sizeof(err)), -EINVAL);

        /* Empty content signs and verifies too. */
        _cleanup_free_ char *empty_sig = NULL;
        assert_int_equal(rf_cms_sign(id.key, id.cert, "", 0, &empty_sig), 0);
        assert_int_equal(rf_cms_verify("", 0, empty_sig, id.pem, NULL, err, sizeof(err)), 0);
        assert_int_equal(rf_cms_verify("x", 1, empty_sig, id.pem, NULL, err, sizeof(err)), -EBADMSG);
}

/* A record signed before the bench's key was replaced still verifies when
 * the old certificate is kept among the trusted ones. */
static void test_rotated_key(void **state) {
        struct fixture *f = *state;
        _cleanup_(identity_done) struct identity old = {}, cur = {};
        identity_in(f, "old", "atelier-1", "", &old);
        identity_in(f, "new", "atelier-1", "", &cur);

        const char *data = "{\"id\":\"rotated\"}";
        _cleanup_free_ char *sig = NULL, *signer = NULL, *both = NULL, *twice = NULL;
        char err[512];
        assert_int_equal(rf_cms_sign(old.key, old.cert, data, strlen(data), &sig), 0);

        assert_true(asprintf(&both, "%s%s", cur.pem, old.pem) > 0);
        assert_int_equal(rf_cms_verify(data, strlen(data), sig, both, &signer, err, sizeof(err)), 0);
        assert_string_equal(signer, old.pem);

        assert_int_equal(rf_cms_verify(data, strlen(data), sig, cur.pem, NULL, err, sizeof(err)), -EBADMSG);

        /* The same certificate listed twice is harmless. */
        assert_true(asprintf(&twice, "%s%s%s", old.pem, cur.pem, old.pem) > 0);
        assert_int_equal(rf_cms_verify(data, strlen(data), sig, twice, NULL, err, sizeof(err)), 0);

        /* Garbage after the certificates is an error, not ignored. */
        _cleanup_free_ char *bad = NULL;
        assert_true(asprintf(&bad, "%s-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", old.pem) >
                    0);
        assert_int_equal(rf_cms_verify(data, strlen(data), sig, bad, NULL, err, sizeof(err)), -EINVAL);
}

static bool have_openssl(void) {
        return system("command -v openssl >/dev/null 2>&1") == 0;
}

static int openssl_verify(const struct fixture *f, const char *json, const char *p7s, const char *ca) {
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd,
                             "cd '%s' && openssl cms -verify -binary -content '%s' -in '%s' -inform PEM "
                             "-CAfile '%s' -out /dev/null 2>verify.log",
                             f->dir, json, p7s, ca) > 0);
        int status = system(cmd);
        assert_true(status != -1 && WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* The promise made to donors: stock OpenSSL verifies our certificates. */
static void test_openssl_cli(void **state) {
        struct fixture *f = *state;
        if (!have_openssl()) {
                print_message("openssl not found in PATH: command-line verification not checked\n");
                skip();
        }
        _cleanup_(identity_done) struct identity id = {}, old = {};
        identity_in(f, "state", "atelier-1", "Association", &id);
        identity_in(f, "old", "atelier-1", "Association", &old);

        _cleanup_json_ json_t *record = json_pack("{s:s,s:s,s:I,s:f}", "id", "c0ffee", "result", "effacé",
                                                  "size", (json_int_t) 500107862016, "ratio", 0.25);
        assert_non_null(record);
        _cleanup_free_ char *json = NULL, *sig = NULL, *old_sig = NULL, *both = NULL;
        size_t len = 0;
        assert_int_equal(rf_json_canonical(record, &json, &len), 0);
        assert_int_equal(rf_cms_sign(id.key, id.cert, json, len, &sig), 0);
        assert_int_equal(rf_cms_sign(old.key, old.cert, json, len, &old_sig), 0);
        assert_true(asprintf(&both, "%s%s", id.pem, old.pem) > 0);

        _cleanup_free_ char *json_path = path_in(f, "F.json"), *sig_path = path_in(f, "F.json.p7s"),
                            *old_sig_path = path_in(f, "old.json.p7s"), *both_path = path_in(f, "trusted.pem");
        write_text(json_path, json, len);
        write_text(sig_path, sig, strlen(sig));
        write_text(old_sig_path, old_sig, strlen(old_sig));
        write_text(both_path, both, strlen(both));

        assert_int_equal(openssl_verify(f, "F.json", "F.json.p7s", "state/bench.crt"), 0);
        /* Rotation: the old signature with both certificates trusted. */
        assert_int_equal(openssl_verify(f, "F.json", "old.json.p7s", "trusted.pem"), 0);
        assert_int_not_equal(openssl_verify(f, "F.json", "old.json.p7s", "state/bench.crt"), 0);

        /* One byte of the JSON changed. */
        _cleanup_free_ char *tampered = strdup(json);
        tampered[len / 2] ^= 0x01;
        write_text(json_path, tampered, len);
        assert_int_not_equal(openssl_verify(f, "F.json", "F.json.p7s", "state/bench.crt"), 0);
        char err[512];
        assert_int_equal(rf_cms_verify(tampered, len, sig, id.pem, NULL, err, sizeof(err)), -EBADMSG);
        write_text(json_path, json, len);
        assert_int_equal(openssl_verify(f, "F.json", "F.json.p7s", "state/bench.crt"), 0);

        /* One base64 character of the signature value changed: the last
         * bytes of the SignedData are the ECDSA signature's s. Six base64
         * characters back from the end (past '=' padding and line breaks)
         * is well inside it, and away from the last character, whose low
         * bits may be padding. */
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        _cleanup_free_ char *bad_sig = strdup(sig);
        char *c = strstr(bad_sig, "\n-----END CMS-----");
        assert_non_null(c);
        for (unsigned n = 0; n < 6;)
                if (strchr(b64, *--c))
                        n++;
        *c = *c == 'A' ? 'B' : 'A';
        write_text(sig_path, bad_sig, strlen(bad_sig));
        assert_int_not_equal(openssl_verify(f, "F.json", "F.json.p7s", "state/bench.crt"), 0);
        /* Still well-formed: it is the signature check that fails. */
        assert_int_equal(rf_cms_verify(json, len, bad_sig, id.pem, NULL, err, sizeof(err)), -EBADMSG);

        /* And a byte in the middle of the base64 text (the certificate or
         * the signed attributes). */
        free(bad_sig);
        bad_sig = strdup(sig);
        c = bad_sig + strlen(bad_sig) / 2;
        if (*c == '\n')
                c++;
        *c = *c == 'A' ? 'B' : 'A';
        write_text(sig_path, bad_sig, strlen(bad_sig));
        assert_int_not_equal(openssl_verify(f, "F.json", "F.json.p7s", "state/bench.crt"), 0);
        int r = rf_cms_verify(json, len, bad_sig, id.pem, NULL, err, sizeof(err));
        assert_true(r == -EBADMSG || r == -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_identity_created, setup, teardown),
                cmocka_unit_test_setup_teardown(test_identity_reloaded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_identity_names_truncated, setup, teardown),
                cmocka_unit_test_setup_teardown(test_identity_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_identity_key_without_cert, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sign_verify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rotated_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_openssl_cli, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
