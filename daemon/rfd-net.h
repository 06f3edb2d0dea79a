/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stdbool.h>

struct event_base;
struct rfd_config;

/* The TCP listeners of the API ([API] Listen=, docs/network-api.md): one
 * evhttp per listener, TLS (OpenSSL through libevent's bufferevent_openssl)
 * unless TLS=no, which the configuration allows on loopback addresses only.
 * The certificate is CertificateFile/KeyFile, or StateDirectory/tls/
 * bench-tls.pem and bench-tls.key, made on first start (self-signed ECDSA
 * P-256, 10 years, SANs: host name, localhost, 127.0.0.1, ::1, the
 * non-wildcard Listen= addresses), key mode 0600. */

struct rfd_net;

/* Bind every Listen= address of config and route their requests to cb
 * with cb_arg; the request's listener is told by rfd_net_request_is_tls().
 * Returns 0 (also when there is no Listen=: *ret is then a listener-less
 * object), -EADDRINUSE & co. with err naming the address, -EINVAL/-EIO with
 * err naming the certificate or key file that is unusable. */
int rfd_net_new(struct event_base *base, const struct rfd_config *config, const char *state_dir,
                void (*cb)(struct evhttp_request *req, void *arg), void *cb_arg, struct rfd_net **ret,
                char *err, size_t errlen);
void rfd_net_free(struct rfd_net *n);

/* SHA-256 fingerprint of the TLS certificate, 64 hex digits, or NULL
 * without TLS. */
const char *rfd_net_tls_sha256(const struct rfd_net *n);
/* The addresses actually listened on ("0.0.0.0:8443"), NULL-terminated. */
char *const *rfd_net_addresses(const struct rfd_net *n);
/* Whether req came in on a TLS listener (so cookies get "Secure"). */
bool rfd_net_request_is_tls(const struct rfd_net *n, struct evhttp_request *req);
