/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img-sign.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "test-tmpdir.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char profile_text[] = "[Profile]\nName=classe\nVersion=1\nExpires=2026-10-31\n"
                                   "[Image]\nLocation=x.img.zst\nSHA256=" H1 "\nBmap=x.bmap\nBmapSHA256=" H1 "\n";

struct fixture {
        char dir[64];
        char trusted[128];
        char profile[128];
        char key[128];
        EVP_PKEY *pkey;
};

static char *path_in(const struct fixture *f, const char *name) {
        char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
        return p;
}

static void write_file(const char *path, const void *data, size_t len) {
        assert_int_equal(rf_write_file_atomic(path, data, len, 0644), 0);
}

static void write_pem(EVP_PKEY *pkey, const char *path, bool private_key, const EVP_CIPHER *cipher) {
        _cleanup_(BIO_freep) BIO *b = BIO_new_file(path, "w");
        assert_non_null(b);
        if (private_key)
                assert_int_equal(PEM_write_bio_PrivateKey(b, pkey, cipher, (unsigned char *) (cipher ? "secret" : NULL),
                                                          cipher ? 6 : 0, NULL, NULL),
                                 1);
        else
                assert_int_equal(PEM_write_bio_PUBKEY(b, pkey), 1);
}

static EVP_PKEY *new_key(void) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        assert_non_null(k);
        return k;
}

static void sign_raw(EVP_PKEY *pkey, const void *data, size_t len, uint8_t sig[static 64]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t n = 64;
        assert_non_null(ctx);
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey), 1);
        assert_int_equal(EVP_DigestSign(ctx, sig, &n, data, len), 1);
        assert_int_equal(n, 64);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f || test_mkdtemp(f->dir, sizeof(f->dir), "test-img-sign") < 0) {
                free(f);
                return -1;
        }
        snprintf(f->trusted, sizeof(f->trusted), "%s/trusted-keys", f->dir);
        snprintf(f->profile, sizeof(f->profile), "%s/classe.profile", f->dir);
        snprintf(f->key, sizeof(f->key), "%s/dsi.key", f->dir);
        if (mkdir(f->trusted, 0755) < 0)
                return -1;
        f->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        if (!f->pkey)
                return -1;
        *state = f;
        write_pem(f->pkey, f->key, true, NULL);
        _cleanup_free_ char *pub = NULL;
        assert_true(asprintf(&pub, "%s/dsi.pem", f->trusted) > 0);
        write_pem(f->pkey, pub, false, NULL);
        write_file(f->profile, profile_text, strlen(profile_text));
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->dir);
        EVP_PKEY_free(f->pkey);
        free(f);
        return 0;
}

static void expected_key_id(EVP_PKEY *pkey, char out[static 17]) {
        uint8_t raw[32];
        size_t n = sizeof(raw);
        char hex[65];
        assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, raw, &n), 1);
        assert_int_equal(rf_sha256_hex(raw, n, hex), 0);
        memcpy(out, hex, 16);
        out[16] = '\0';
}

static void sign_and_verify(void **state) {
        struct fixture *f = *state;
        _cleanup_img_trust_ struct img_trust *t = NULL;
        struct img_signature_info info;
        char err[512] = "", key_id[17] = "", expected[17];
        size_t len = strlen(profile_text);

        assert_int_equal(img_sign_detached(f->key, f->profile, profile_text, len, key_id, err, sizeof(err)), 0);
        expected_key_id(f->pkey, expected);
        assert_string_equal(key_id, expected);
        _cleanup_free_ char *sig_path = path_in(f, "classe.profile.sig");
        struct stat st;
        assert_int_equal(stat(sig_path, &st), 0);
        assert_int_equal(st.st_size, 64);
        assert_int_equal(st.st_mode & 0777, 0644);

        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), 0);
        assert_int_equal(img_trust_count(t), 1);
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), 0);
        assert_string_equal(info.key_id, expected);
        assert_string_equal(info.key_file, "dsi.pem");
        assert_string_equal(info.format, "openssl-ed25519");
        assert_string_equal(info.trusted_comment, "");

        /* One flipped bit anywhere: refused as modified. */
        _cleanup_free_ char *copy = strdup(profile_text);
        assert_non_null(copy);
        for (size_t i = 0; i < len; i += 7) {
                copy[i] ^= 0x01;
                err[0] = '\0';
                assert_int_equal(img_verify_detached(t, f->profile, copy, len, &info, err, sizeof(err)), -EBADMSG);
                assert_non_null(strstr(err, "signature invalide : le profil a été modifié après signature"));
                copy[i] ^= 0x01;
        }
        /* One byte more or less. */
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len - 1, &info, err, sizeof(err)), -EBADMSG);

        /* A signature made by stock OpenSSL the same way verifies too. */
        uint8_t sig[64];
        sign_raw(f->pkey, profile_text, len, sig);
        write_file(sig_path, sig, sizeof(sig));
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), 0);
}

static void unknown_key_and_missing(void **state) {
        struct fixture *f = *state;
        _cleanup_img_trust_ struct img_trust *t = NULL, *empty = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *other = new_key();
        struct img_signature_info info;
        char err[512] = "";
        size_t len = strlen(profile_text);
        uint8_t sig[64];

        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), 0);
        /* No signature at all. */
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "profil non signé : classe.profile.sig absent"));

        /* Signed by a key that is not trusted: a raw signature names no
         * key, so this reads as "modified, or another key". */
        _cleanup_free_ char *sig_path = path_in(f, "classe.profile.sig");
        sign_raw(other, profile_text, len, sig);
        write_file(sig_path, sig, sizeof(sig));
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, f->trusted));
        /* With no OpenSSL key trusted at all: -ENOKEY. */
        _cleanup_free_ char *nowhere = path_in(f, "does-not-exist");
        assert_int_equal(img_trust_load(nowhere, &empty, err, sizeof(err)), 0);
        assert_int_equal(img_trust_count(empty), 0);
        assert_int_equal(img_verify_detached(empty, f->profile, profile_text, len, &info, err, sizeof(err)), -ENOKEY);
        assert_non_null(strstr(err, "aucune clé de confiance"));
        assert_non_null(strstr(err, nowhere));

        /* Malformed: not 64 bytes. */
        write_file(sig_path, sig, 63);
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "classe.profile.sig fait 63 octets"));
        write_file(sig_path, "", 0);
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EINVAL);
        /* Too big to be a signature. */
        _cleanup_free_ char *big = calloc(1, 5000);
        assert_non_null(big);
        write_file(sig_path, big, 5000);
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EINVAL);
}

static void trust_store_errors(void **state) {
        struct fixture *f = *state;
        char err[512] = "";
        struct img_trust *t = NULL;

        /* A private key among the trusted ones. */
        _cleanup_free_ char *priv = NULL, *junk = NULL, *ec = NULL, *ignored = NULL;
        assert_true(asprintf(&priv, "%s/oops.pem", f->trusted) > 0);
        write_pem(f->pkey, priv, true, NULL);
        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), -EINVAL);
        assert_null(t);
        assert_non_null(strstr(err, "oops.pem contient une clé privée"));
        assert_int_equal(unlink(priv), 0);

        /* Garbage, then another algorithm. */
        assert_true(asprintf(&junk, "%s/junk.pem", f->trusted) > 0);
        write_file(junk, "hello\n", 6);
        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "junk.pem : pas une clé publique PEM lisible"));
        assert_int_equal(unlink(junk), 0);

        _cleanup_(EVP_PKEY_freep) EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(p256);
        assert_true(asprintf(&ec, "%s/ec.pem", f->trusted) > 0);
        write_pem(p256, ec, false, NULL);
        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "ec.pem : clé EC, une clé Ed25519 est attendue"));
        assert_int_equal(unlink(ec), 0);

        /* Other names are ignored. */
        assert_true(asprintf(&ignored, "%s/README", f->trusted) > 0);
        write_file(ignored, "x", 1);
        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), 0);
        assert_int_equal(img_trust_count(t), 1);
        img_trust_free(t);
}

static void signing_errors(void **state) {
        struct fixture *f = *state;
        char err[512] = "", key_id[17];
        _cleanup_free_ char *enc = path_in(f, "enc.key"), *ec = path_in(f, "ec.key"), *sig = NULL;

        /* An encrypted key is refused without asking for a passphrase. */
        write_pem(f->pkey, enc, true, EVP_aes_256_cbc());
        assert_int_equal(img_sign_detached(enc, f->profile, "x", 1, key_id, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "non chiffrée"));
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(p256);
        write_pem(p256, ec, true, NULL);
        assert_int_equal(img_sign_detached(ec, f->profile, "x", 1, key_id, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "une clé Ed25519 est attendue"));
        assert_int_equal(img_sign_detached(f->trusted, f->profile, "x", 1, key_id, err, sizeof(err)) < 0, 1);
        sig = path_in(f, "classe.profile.sig");
        assert_int_equal(access(sig, F_OK), -1);
}

/* ---- minisign ------------------------------------------------------------ */

static void b64(const uint8_t *data, size_t len, char *out) {
        assert_true(EVP_EncodeBlock((unsigned char *) out, data, (int) len) > 0);
}

/* Write KEY.pub for pkey with keynum, and a .minisig of data next to path. */
static void minisign_pub(const char *pub_path, EVP_PKEY *pkey, const uint8_t keynum[8]) {
        uint8_t raw[42];
        size_t n = 32;
        char text[256], enc[64];
        uint64_t id = 0;
        raw[0] = 'E';
        raw[1] = 'd';
        memcpy(raw + 2, keynum, 8);
        assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, raw + 10, &n), 1);
        b64(raw, sizeof(raw), enc);
        for (int i = 7; i >= 0; i--)
                id = id << 8 | keynum[i];
        int k = snprintf(text, sizeof(text), "untrusted comment: minisign public key %016" PRIX64 "\n%s\n", id, enc);
        write_file(pub_path, text, (size_t) k);
}

static void minisign_sig(const char *sig_path, EVP_PKEY *pkey, const uint8_t keynum[8], bool prehash,
                         const char *data, size_t len, const char *comment) {
        uint8_t sig[74], global[64], digest[64], gmsg[64 + 256];
        unsigned dlen = 0;
        char text[1024], s1[128], s2[128];

        sig[0] = 'E';
        sig[1] = prehash ? 'D' : 'd';
        memcpy(sig + 2, keynum, 8);
        if (prehash) {
                assert_int_equal(EVP_Digest(data, len, digest, &dlen, EVP_blake2b512(), NULL), 1);
                sign_raw(pkey, digest, dlen, sig + 10);
        } else
                sign_raw(pkey, data, len, sig + 10);
        size_t clen = strlen(comment);
        assert_true(clen <= 256);
        memcpy(gmsg, sig + 10, 64);
        for (size_t i = 0; i < clen; i++)
                gmsg[64 + i] = (uint8_t) comment[i];
        sign_raw(pkey, gmsg, 64 + clen, global);
        b64(sig, sizeof(sig), s1);
        b64(global, sizeof(global), s2);
        int k = snprintf(text, sizeof(text),
                         "untrusted comment: signature from minisign secret key\n%s\ntrusted comment: %s\n%s\n", s1,
                         comment, s2);
        write_file(sig_path, text, (size_t) k);
}

static void minisign(void **state) {
        struct fixture *f = *state;
        static const uint8_t keynum[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
        static const uint8_t other_keynum[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *mk = new_key();
        _cleanup_free_ char *pub = NULL, *sig = path_in(f, "classe.profile.minisig");
        struct img_signature_info info;
        char err[512] = "";
        size_t len = strlen(profile_text);
        const char *comment = "timestamp:1790000000\tfile:classe.profile\thashed";

        assert_true(asprintf(&pub, "%s/dsi-minisign.pub", f->trusted) > 0);
        minisign_pub(pub, mk, keynum);
        _cleanup_img_trust_ struct img_trust *t = NULL;
        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), 0);
        assert_int_equal(img_trust_count(t), 2);

        for (int prehash = 0; prehash <= 1; prehash++) {
                minisign_sig(sig, mk, keynum, prehash, profile_text, len, comment);
                memset(&info, 0, sizeof(info));
                int r = img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err));
                if (r != 0)
                        fail_msg("%s: %s", prehash ? "ED" : "Ed", err);
                assert_string_equal(info.format, "minisign");
                assert_string_equal(info.key_id, "1122334455667788");
                assert_string_equal(info.key_file, "dsi-minisign.pub");
                /* Tabs (as minisign writes them) shown as spaces. */
                assert_string_equal(info.trusted_comment, "timestamp:1790000000 file:classe.profile hashed");

                _cleanup_free_ char *copy = strdup(profile_text);
                copy[3] ^= 0x20;
                assert_int_equal(img_verify_detached(t, f->profile, copy, len, &info, err, sizeof(err)), -EBADMSG);
                assert_non_null(strstr(err, "signature invalide : le profil a été modifié après signature"));
        }

        /* The trusted comment changed after signing. */
        _cleanup_free_ char *text = NULL;
        size_t tlen = 0;
        assert_int_equal(rf_read_file(sig, 4096, &text, &tlen), 0);
        char *tc = strstr(text, "timestamp:1790000000");
        assert_non_null(tc);
        tc[10] = '2';
        write_file(sig, text, tlen);
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "commentaire de confiance de classe.profile.minisig"));

        /* A key id that is not trusted. */
        minisign_sig(sig, mk, other_keynum, true, profile_text, len, "c");
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -ENOKEY);
        assert_non_null(strstr(err, "signé par la clé minisign 0807060504030201 qui n'est pas dans"));
        assert_non_null(strstr(err, f->trusted));
        /* The right key id but another key. */
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *impostor = new_key();
        minisign_sig(sig, impostor, keynum, true, profile_text, len, "c");
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EBADMSG);

        /* Malformed files. */
        static const char *const broken[] = {
                "",
                "untrusted comment: x\n",
                "untrusted comment: x\nnot base64!\ntrusted comment: c\nAAAA\n",
                "comment: x\nRUQ=\ntrusted comment: c\nAAAA\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(broken); i++) {
                write_file(sig, broken[i], strlen(broken[i]));
                assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)),
                                 -EINVAL);
                assert_non_null(strstr(err, "signature illisible : classe.profile.minisig"));
        }
        /* Unknown algorithm. */
        {
                uint8_t raw[74] = { 'X', 'x' }, zero[64] = { 0 };
                char enc[128], enc2[128], doc[512];
                b64(raw, sizeof(raw), enc);
                b64(zero, sizeof(zero), enc2);
                int k = snprintf(doc, sizeof(doc), "untrusted comment: x\n%s\ntrusted comment: c\n%s\n", enc, enc2);
                write_file(sig, doc, (size_t) k);
                assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)),
                                 -EINVAL);
                assert_non_null(strstr(err, "algorithme de signature inconnu"));
        }

        /* A broken .pub file in the store. */
        write_file(pub, "untrusted comment: x\nAAAA\n", 26);
        img_trust_free(TAKE_PTR(t));
        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "dsi-minisign.pub : clé publique minisign illisible"));
}

/* A good .sig next to a bad .minisig (or the reverse) is enough. */
static void both_formats(void **state) {
        struct fixture *f = *state;
        static const uint8_t keynum[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
        _cleanup_img_trust_ struct img_trust *t = NULL;
        _cleanup_free_ char *sig = path_in(f, "classe.profile.sig"), *msig = path_in(f, "classe.profile.minisig");
        struct img_signature_info info;
        char err[512] = "", key_id[17];
        size_t len = strlen(profile_text);

        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), 0);
        assert_int_equal(img_sign_detached(f->key, f->profile, profile_text, len, key_id, err, sizeof(err)), 0);
        minisign_sig(msig, f->pkey, keynum, true, profile_text, len, "c");
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), 0);
        assert_string_equal(info.format, "openssl-ed25519");
        write_file(sig, "short", 5);
        assert_int_equal(img_verify_detached(t, f->profile, profile_text, len, &info, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "classe.profile.sig fait 5 octets"));
}

static void load_verified(void **state) {
        struct fixture *f = *state;
        _cleanup_img_trust_ struct img_trust *t = NULL;
        struct img_signature_info info;
        char err[512] = "", key_id[17];
        size_t len = strlen(profile_text);
        const time_t before = 1793491199; /* 2026-10-31T23:59:59Z, last second */

        assert_int_equal(img_trust_load(f->trusted, &t, err, sizeof(err)), 0);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                assert_int_equal(img_profile_load_verified(f->profile, t, before, &p, &info, err, sizeof(err)),
                                 -ENOENT);
                assert_null(p);
        }
        assert_int_equal(img_sign_detached(f->key, f->profile, profile_text, len, key_id, err, sizeof(err)), 0);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                assert_int_equal(img_profile_load_verified(f->profile, t, before, &p, &info, err, sizeof(err)), 0);
                assert_string_equal(p->name, "classe");
                assert_string_equal(info.key_id, key_id);
                _cleanup_free_ char *img = path_in(f, "x.img.zst");
                assert_string_equal(p->image.resolved, img);
        }
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                assert_int_equal(img_profile_load_verified(f->profile, t, before + 1, &p, NULL, err, sizeof(err)),
                                 -EKEYEXPIRED);
                assert_null(p);
                assert_non_null(strstr(err, "profil expiré depuis le 2026-10-31"));
        }
        /* Modified after signing. */
        _cleanup_free_ char *changed = strdup(profile_text);
        changed[strlen("[Profile]\nName=c")] = 'k';
        write_file(f->profile, changed, len);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                assert_int_equal(img_profile_load_verified(f->profile, t, before, &p, &info, err, sizeof(err)),
                                 -EBADMSG);
                assert_null(p);
        }
        /* Signed but malformed: the parser's file:line message. */
        const char bad[] = "[Profile]\nName=x\nVersion=1\nColour=blue\n";
        write_file(f->profile, bad, strlen(bad));
        assert_int_equal(img_sign_detached(f->key, f->profile, bad, strlen(bad), key_id, err, sizeof(err)), 0);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                char expected[256];
                assert_int_equal(img_profile_load_verified(f->profile, t, before, &p, &info, err, sizeof(err)),
                                 -EINVAL);
                snprintf(expected, sizeof(expected), "%s:4: clé « Colour » inconnue", f->profile);
                assert_non_null(strstr(err, expected));
        }
        /* Too big to be a profile. */
        _cleanup_free_ char *huge = calloc(1, 1024 * 1024 + 1);
        write_file(f->profile, huge, 1024 * 1024 + 1);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                assert_int_equal(img_profile_load_verified(f->profile, t, before, &p, &info, err, sizeof(err)),
                                 -EINVAL);
                assert_non_null(strstr(err, "1 Mio"));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(sign_and_verify, setup, teardown),
                cmocka_unit_test_setup_teardown(unknown_key_and_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(trust_store_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(signing_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(minisign, setup, teardown),
                cmocka_unit_test_setup_teardown(both_formats, setup, teardown),
                cmocka_unit_test_setup_teardown(load_verified, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
