/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rf-cms.h"

#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
/* pem.h first: cms.h declares PEM_read_bio_CMS() only after it. */
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rf-x509.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(CMS_ContentInfo *, CMS_ContentInfo_free)

/* PEM files we read are small; anything bigger is not ours. */
#define PEM_MAX_SIZE (256 * 1024)
#define CERT_VALIDITY_DAYS (30 * 365 + 8)

/* A buffer that held key material: wiped before it is freed. */
struct secret {
        char *data;
        size_t len;
};

static void secret_freep(struct secret *s) {
        if (s->data) {
                OPENSSL_cleanse(s->data, s->len);
                free(s->data);
        }
}
#define _cleanup_secret_ _cleanup_(secret_freep)

/* Describe the first OpenSSL error of this thread (with its details, e.g.
 * the certificate verification error) and clear the queue. */
static void openssl_error(char *err, size_t errlen, const char *what) {
        const char *data = NULL;
        int flags = 0;
        unsigned long e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
        char reason[256] = "unknown error";

        if (e != 0) {
                const char *rs = ERR_reason_error_string(e);
                if (rs)
                        snprintf(reason, sizeof(reason), "%s", rs);
                else
                        ERR_error_string_n(e, reason, sizeof(reason));
        }
        if (err && errlen > 0) {
                if (data && (flags & ERR_TXT_STRING) && *data)
                        snprintf(err, errlen, "%s: %s (%s)", what, reason, data);
                else
                        snprintf(err, errlen, "%s: %s", what, reason);
        }
        ERR_clear_error();
}

static void set_err(char *err, size_t errlen, const char *msg) {
        if (err && errlen > 0)
                snprintf(err, errlen, "%s", msg);
}

/* Copy the contents of a memory BIO into a NUL-terminated malloc'd string. */
static int bio_to_string(BIO *b, char **ret) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        if (n < 0 || (n > 0 && !p))
                return -EIO;
        char *s = malloc((size_t) n + 1);
        if (!s)
                return -ENOMEM;
        if (n > 0)
                memcpy(s, p, (size_t) n);
        s[n] = '\0';
        *ret = s;
        return 0;
}

static int no_password_cb(char *buf, int size, int rwflag, void *u) {
        (void) buf;
        (void) size;
        (void) rwflag;
        (void) u;
        return -1; /* encrypted keys are not supported: never prompt */
}

static int load_key(const char *path, EVP_PKEY **ret) {
        _cleanup_secret_ struct secret s = {};
        int r = rf_read_file(path, PEM_MAX_SIZE, &s.data, &s.len);
        if (r < 0)
                return r;
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(s.data, (int) s.len);
        if (!b)
                return -ENOMEM;
        EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, no_password_cb, NULL);
        if (!k) {
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret = k;
        return 0;
}

static int load_cert(const char *path, X509 **ret) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = rf_read_file(path, PEM_MAX_SIZE, &data, &len);
        if (r < 0)
                return r;
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(data, (int) len);
        if (!b)
                return -ENOMEM;
        X509 *c = PEM_read_bio_X509(b, NULL, no_password_cb, NULL);
        if (!c) {
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret = c;
        return 0;
}

/* A self-signed CA certificate that may also sign S/MIME content:
 * "openssl cms -verify" checks the smime_sign purpose, which needs
 * emailProtection whenever extendedKeyUsage is present. */
static int make_cert(EVP_PKEY *key, const char *common_name, const char *organisation, X509 **ret) {
        static const struct rf_x509_ext exts[] = {
                { NID_basic_constraints, "critical,CA:TRUE" },
                { NID_key_usage, "critical,digitalSignature,nonRepudiation,keyCertSign" },
                { NID_ext_key_usage, "emailProtection" },
                { NID_subject_key_identifier, "hash" },
                { NID_authority_key_identifier, "keyid:always" },
        };
        return rf_x509_self_signed(key, common_name, organisation, CERT_VALIDITY_DAYS, exts, ELEMENTSOF(exts), ret);
}

static bool file_exists(const char *path, int *error) {
        struct stat st;
        if (stat(path, &st) == 0)
                return true;
        if (errno != ENOENT)
                *error = negative_errno();
        return false;
}

int rf_identity_load_or_create(const char *dir, const char *common_name, const char *organisation,
                               EVP_PKEY **ret_key, X509 **ret_cert) {
        _cleanup_free_ char *key_path = NULL, *crt_path = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        int r = 0;

        if (!dir || !*dir || !ret_key || !ret_cert)
                return -EINVAL;
        if (asprintf(&key_path, "%s/bench.key", dir) < 0 || asprintf(&crt_path, "%s/bench.crt", dir) < 0)
                return -ENOMEM;

        bool have_key = file_exists(key_path, &r);
        bool have_crt = file_exists(crt_path, &r);
        if (r < 0)
                return r;

        if (have_crt && !have_key)
                /* Never replace a certificate whose key is gone: records
                 * signed with it must stay verifiable. */
                return -ENOKEY;

        if (have_key) {
                r = load_key(key_path, &key);
                if (r < 0)
                        return r;
        }

        if (have_crt) {
                r = load_cert(crt_path, &cert);
                if (r < 0)
                        return r;
                if (X509_check_private_key(cert, key) != 1) {
                        ERR_clear_error();
                        return -EKEYREJECTED;
                }
                *ret_key = TAKE_PTR(key);
                *ret_cert = TAKE_PTR(cert);
                return 0;
        }

        /* First start, or a crash between writing the key and the
         * certificate: (re)create the certificate for the key. */
        if (!common_name || !*common_name)
                return -EINVAL;
        if (!key) {
                r = rf_mkdir_p(dir, 0700);
                if (r < 0)
                        return r;
                key = EVP_EC_gen("P-256");
                if (!key) {
                        ERR_clear_error();
                        return -EIO;
                }
                r = rf_x509_write_key(key_path, key);
                if (r < 0)
                        return r;
        }

        r = make_cert(key, common_name, organisation, &cert);
        if (r < 0)
                return r;
        r = rf_x509_write_cert(crt_path, cert);
        if (r < 0)
                return r;

        *ret_key = TAKE_PTR(key);
        *ret_cert = TAKE_PTR(cert);
        return 0;
}

int rf_cert_fingerprint(X509 *cert, char out[static 65]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (!cert)
                return -EINVAL;
        if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
                ERR_clear_error();
                return -EIO;
        }
        rf_hex_encode(md, 32, out);
        return 0;
}

int rf_cert_to_pem(X509 *cert, char **ret) {
        if (!cert || !ret)
                return -EINVAL;
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        if (!b)
                return -ENOMEM;
        if (PEM_write_bio_X509(b, cert) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        return bio_to_string(b, ret);
}

int rf_cms_sign(EVP_PKEY *key, X509 *cert, const void *data, size_t len, char **ret_pem) {
        const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;

        if (!key || !cert || (!data && len > 0) || len > INT_MAX || !ret_pem)
                return -EINVAL;

        _cleanup_(BIO_free_allp) BIO *in = BIO_new_mem_buf(data ? data : "", (int) len);
        _cleanup_(BIO_free_allp) BIO *out = BIO_new(BIO_s_mem());
        if (!in || !out)
                return -ENOMEM;

        /* CMS_PARTIAL, then an explicit signer: the digest is SHA-256
         * whatever OpenSSL's default for the key type. */
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
        if (!cms || !CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) || CMS_final(cms, in, NULL, flags) != 1 ||
            PEM_write_bio_CMS(out, cms) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        return bio_to_string(out, ret_pem);
}

/* All certificates of a PEM text, each one trusted. */
static int load_trusted(const char *pem, X509_STORE **ret, char *err, size_t errlen) {
        _cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
        size_t len = strlen(pem);
        unsigned n = 0;

        if (!store)
                return -ENOMEM;
        if (len > INT_MAX)
                return -EINVAL;
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(pem, (int) len);
        if (!b)
                return -ENOMEM;
        for (;;) {
                _cleanup_(X509_freep) X509 *c = PEM_read_bio_X509(b, NULL, no_password_cb, NULL);
                if (!c) {
                        unsigned long e = ERR_peek_last_error();
                        if (n > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                                ERR_clear_error(); /* the end of the text */
                                break;
                        }
                        openssl_error(err, errlen, n == 0 ? "no trusted certificate" : "bad trusted certificate");
                        return -EINVAL;
                }
                if (X509_STORE_add_cert(store, c) != 1) {
                        unsigned long e = ERR_peek_last_error();
                        if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
                                openssl_error(err, errlen, "bad trusted certificate");
                                return -EINVAL;
                        }
                        ERR_clear_error(); /* the same certificate twice */
                }
                n++;
        }
        *ret = TAKE_PTR(store);
        return 0;
}

int rf_cms_verify(const void *data, size_t len, const char *sig_pem, const char *trusted_pem,
                  char **ret_signer_pem, char *err, size_t errlen) {
        _cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
        int r;

        ERR_clear_error();
        if ((!data && len > 0) || len > INT_MAX) {
                set_err(err, errlen, "invalid data");
                return -EINVAL;
        }
        if (!sig_pem || strlen(sig_pem) > INT_MAX) {
                set_err(err, errlen, "no signature");
                return -EINVAL;
        }
        if (!trusted_pem) {
                set_err(err, errlen, "no trusted certificate");
                return -EINVAL;
        }

        _cleanup_(BIO_free_allp) BIO *sig = BIO_new_mem_buf(sig_pem, (int) strlen(sig_pem));
        _cleanup_(BIO_free_allp) BIO *content = BIO_new_mem_buf(data ? data : "", (int) len);
        if (!sig || !content)
                return -ENOMEM;

        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = PEM_read_bio_CMS(sig, NULL, no_password_cb, NULL);
        if (!cms) {
                openssl_error(err, errlen, "cannot read the signature");
                return -EINVAL;
        }

        r = load_trusted(trusted_pem, &store, err, errlen);
        if (r < 0)
                return r;

        /* Same checks as "openssl cms -verify -binary": content digest,
         * signature, and the signer's chain up to a trusted certificate
         * for the S/MIME signing purpose. */
        if (CMS_verify(cms, NULL, store, content, NULL, CMS_BINARY | CMS_DETACHED) != 1) {
                openssl_error(err, errlen, "signature verification failed");
                return -EBADMSG;
        }

        if (ret_signer_pem) {
                STACK_OF(X509) *signers = CMS_get0_signers(cms);
                X509 *signer = sk_X509_num(signers) > 0 ? sk_X509_value(signers, 0) : NULL;
                r = signer ? rf_cert_to_pem(signer, ret_signer_pem) : -EIO;
                sk_X509_free(signers);
                if (r < 0) {
                        set_err(err, errlen, "cannot export the signer certificate");
                        return r;
                }
        }
        set_err(err, errlen, "");
        return 0;
}
