/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rf-x509.h"

#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "rf-cms.h"
#include "rf-macro.h"
#include "rf-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_NAME *, X509_NAME_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_EXTENSION *, X509_EXTENSION_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_INTEGER *, ASN1_INTEGER_free)

/* X.520 upper bound for CN and O (RFC 5280 ub-common-name, ub-organization-name). */
#define NAME_MAX_CHARS 64

/* A memory BIO that held key material: wiped before it is freed. */
static void cleanse_mem_biop(BIO **b) {
        if (!*b)
                return;
        BUF_MEM *m = NULL;
        if (BIO_get_mem_ptr(*b, &m) == 1 && m && m->data)
                OPENSSL_cleanse(m->data, m->length);
        BIO_free(*b);
}

/* Append a name entry, cut to 64 characters (not bytes). */
static int name_add(X509_NAME *name, const char *field, const char *value) {
        size_t bytes = 0, chars = 0;
        while (value[bytes] && chars < NAME_MAX_CHARS) {
                bytes++;
                while (((unsigned char) value[bytes] & 0xc0) == 0x80)
                        bytes++;
                chars++;
        }
        if (bytes > INT_MAX)
                return -EINVAL;
        if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, (const unsigned char *) value, (int) bytes, -1,
                                       0) != 1) {
                ERR_clear_error();
                return -EINVAL;
        }
        return 0;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, const struct rf_x509_ext *e) {
        _cleanup_(X509_EXTENSION_freep) X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, e->nid, e->value);
        if (!ext || X509_add_ext(cert, ext, -1) != 1) {
                ERR_clear_error();
                return -EINVAL;
        }
        return 0;
}

int rf_x509_self_signed(EVP_PKEY *key, const char *common_name, const char *organisation, unsigned days,
                        const struct rf_x509_ext *exts, size_t n_exts, X509 **ret) {
        if (!key || !common_name || !*common_name || days == 0 || days > 36500 || (n_exts && !exts) || !ret)
                return -EINVAL;
        _cleanup_(X509_freep) X509 *cert = X509_new();
        _cleanup_(X509_NAME_freep) X509_NAME *name = X509_NAME_new();
        uint8_t serial[16];
        if (!cert || !name)
                return -ENOMEM;

        int r = rf_random_bytes(serial, sizeof(serial));
        if (r < 0)
                return r;
        serial[0] &= 0x7f; /* positive, as RFC 5280 requires */
        serial[0] |= 0x01; /* never zero, and always 16 significant bytes */
        _cleanup_(BN_freep) BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
        _cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
        if (!sn)
                return -ENOMEM;

        r = name_add(name, "CN", common_name);
        if (r == 0 && organisation && *organisation)
                r = name_add(name, "O", organisation);
        if (r < 0)
                return r;

        time_t now = rf_now_sec();
        if (X509_set_version(cert, X509_VERSION_3) != 1 || X509_set_serialNumber(cert, sn) != 1 ||
            X509_set_subject_name(cert, name) != 1 || X509_set_issuer_name(cert, name) != 1 ||
            !X509_time_adj_ex(X509_getm_notBefore(cert), -1, 0, &now) ||
            !X509_time_adj_ex(X509_getm_notAfter(cert), (int) days, 0, &now) || X509_set_pubkey(cert, key) != 1) {
                ERR_clear_error();
                return -EIO;
        }

        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
        for (size_t i = 0; i < n_exts; i++) {
                r = add_ext(cert, &ctx, &exts[i]);
                if (r < 0)
                        return r;
        }
        if (X509_sign(cert, key, EVP_sha256()) <= 0) {
                ERR_clear_error();
                return -EIO;
        }
        *ret = TAKE_PTR(cert);
        return 0;
}

int rf_x509_write_key(const char *path, EVP_PKEY *key) {
        _cleanup_(cleanse_mem_biop) BIO *b = BIO_new(BIO_s_mem());
        char *p = NULL;

        if (!path || !key)
                return -EINVAL;
        if (!b)
                return -ENOMEM;
        /* Unencrypted PKCS#8: the file's mode and the state directory's
         * protect it, and the daemon starts unattended. */
        if (PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        long n = BIO_get_mem_data(b, &p);
        if (n <= 0 || !p)
                return -EIO;
        /* rf_write_file_atomic() creates the temporary file with mkostemp()
         * (O_EXCL, mode 0600) and sets the mode before writing anything. */
        return rf_write_file_atomic(path, p, (size_t) n, 0600);
}

int rf_x509_write_cert(const char *path, X509 *cert) {
        _cleanup_free_ char *pem = NULL;
        if (!path || !cert)
                return -EINVAL;
        int r = rf_cert_to_pem(cert, &pem);
        if (r < 0)
                return r;
        return rf_write_file_atomic(path, pem, strlen(pem), 0644);
}
