/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "rf-macro.h"

/* The bench's TLS certificate (docs/network-api.md "Configuration") and
 * the server side OpenSSL context of the TCP listeners: TLS 1.2 or later,
 * OpenSSL's default ciphers minus the legacy ones, no compression, no
 * renegotiation. */

struct rfd_tls;

/* cert_file and key_file: the configured PEM files ([API] CertificateFile=,
 * KeyFile=; the certificate file may hold the chain after the
 * certificate), loaded as they are; the key must match the certificate.
 * Both NULL: state_dir/tls/bench-tls.pem and bench-tls.key, loaded when
 * both are there, otherwise (first start) created (self-signed ECDSA P-256, 10 years, SANs: hostname
 * when it is a valid DNS name, localhost, 127.0.0.1, ::1 and the IP
 * addresses in ips, NULL-terminated; key mode 0600 written atomically,
 * directory tls/ mode 0700). On failure err says which file and why. */
int rfd_tls_new(const char *cert_file, const char *key_file, const char *state_dir, const char *hostname,
                char *const *ips, struct rfd_tls **ret, char *err, size_t errlen);
void rfd_tls_free(struct rfd_tls *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rfd_tls *, rfd_tls_free)

/* Create a self-signed certificate and its key as rfd_tls_new() does
 * (overwriting both files). */
int rfd_tls_generate(const char *cert_path, const char *key_path, const char *hostname, char *const *ips,
                     char *err, size_t errlen);

/* SHA-256 of the certificate (DER), 64 lower-case hex digits. */
const char *rfd_tls_sha256(const struct rfd_tls *t);
/* The certificate file in use. */
const char *rfd_tls_certificate_path(const struct rfd_tls *t);
/* Whether rfd_tls_new() created the certificate (first start). */
bool rfd_tls_created(const struct rfd_tls *t);
/* Whether the certificate's notAfter is past. */
bool rfd_tls_expired(const struct rfd_tls *t);
/* The server context; owned by t. */
SSL_CTX *rfd_tls_ctx(const struct rfd_tls *t);
