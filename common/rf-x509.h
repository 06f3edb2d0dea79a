/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

/* Self-signed certificates and their files: the bench's signing identity
 * (rf-cms.c) and its TLS certificate (daemon/rfd-tls.c). */

/* One X.509 v3 extension in OpenSSL's configuration syntax:
 * { NID_key_usage, "critical,digitalSignature" }, { NID_subject_alt_name,
 * "DNS:bench,IP:127.0.0.1" }... */
struct rf_x509_ext {
        int nid;
        const char *value;
};

/* A self-signed X.509 v3 certificate of key, signed with SHA-256: a
 * random positive 128-bit serial, subject = issuer = CN common_name and O
 * organisation (when not NULL or empty; each cut to 64 characters as X.520
 * allows), valid from a day ago (clocks differ) for days days, with the
 * extensions exts[0..n_exts). -EINVAL for a name or extension OpenSSL
 * refuses, -ENOMEM, -EIO. */
int rf_x509_self_signed(EVP_PKEY *key, const char *common_name, const char *organisation, unsigned days,
                        const struct rf_x509_ext *exts, size_t n_exts, X509 **ret);

/* The private key as unencrypted PKCS#8 PEM in path, written atomically
 * with mode 0600 (the temporary file too); the PEM text is wiped from
 * memory afterwards. */
int rf_x509_write_key(const char *path, EVP_PKEY *key);

/* The certificate as PEM in path, written atomically, mode 0644. */
int rf_x509_write_cert(const char *path, X509 *cert);
