/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

/* Signing identity of a bench: an ECDSA P-256 key and a self-signed X.509
 * certificate, created on first start in dir as bench.key (mode 0600) and
 * bench.crt (0644). common_name / organisation go into the subject.
 * Existing files are loaded and checked to match each other. */
int rf_identity_load_or_create(const char *dir, const char *common_name, const char *organisation,
                               EVP_PKEY **ret_key, X509 **ret_cert);

/* SHA-256 fingerprint of the DER certificate, 64 hex digits. */
int rf_cert_fingerprint(X509 *cert, char out[static 65]);
/* PEM text of a certificate (malloc'd). */
int rf_cert_to_pem(X509 *cert, char **ret);

/* Detached CMS signature (SignedData, binary content, signer certificate
 * included) of data, as PEM text ("-----BEGIN CMS-----"), malloc'd. The
 * result verifies with
 *   openssl cms -verify -binary -content F -in F.p7s -inform PEM -CAfile bench.crt */
int rf_cms_sign(EVP_PKEY *key, X509 *cert, const void *data, size_t len, char **ret_pem);

/* Verify a detached PEM CMS signature over data against the trusted
 * certificate(s) in PEM text trusted_pem. Returns 0 when valid, -EBADMSG
 * when the signature does not match or is not trusted, -EINVAL when the
 * signature text cannot be parsed; a human-readable reason (English,
 * OpenSSL's words) is written into err. If ret_signer_pem is not NULL it
 * receives the signer certificate's PEM. */
int rf_cms_verify(const void *data, size_t len, const char *sig_pem, const char *trusted_pem,
                  char **ret_signer_pem, char *err, size_t errlen);
