/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rf-i18n.h"

/* HTTP+JSON client of the refurbd API (docs/api.md), on libcurl.
 *
 * On the bench, the API is reached over the daemon's Unix socket: base URL
 * "http://localhost", socket_path set, no token. A remote bench
 * (docs/network-api.md) is reached with the same code: base URL
 * "https://bench:8443" (checked beforehand by rctl_check_url()), no socket,
 * a bearer token, and optionally a file of trusted certificates. */

#define RCTL_DEFAULT_SOCKET "/run/refurbd/api.sock"
/* Largest answer accepted from the daemon. */
#define RCTL_MAX_RESPONSE (16u * 1024u * 1024u)
#define RCTL_CONNECT_TIMEOUT_SEC 5L
#define RCTL_REQUEST_TIMEOUT_SEC 30L
/* The event stream carries a keep-alive every 15 s: silence for this long
 * means the daemon hangs. */
#define RCTL_STREAM_SILENCE_SEC 60L

struct rctl_client {
        char *base_url;    /* "http://localhost", no trailing slash */
        char *socket_path; /* NULL: plain TCP/TLS to base_url */
        char *token;       /* NULL: no Authorization header; never printed */
        char *ca_file;     /* trusted certificates for TLS; NULL: the system's */
        enum rf_lang lang; /* language of the messages */
        /* 401 or 403 when a call was refused for its token or its role (the
         * last such refusal), else 0: refurbctl's exit code tells so. */
        long denied;
};

/* The outcome of one call. */
struct rctl_reply {
        long status;       /* HTTP status; 0 when the daemon did not answer */
        json_t *json;      /* parsed body (an object), also for API error documents */
        bool api_error;    /* the daemon answered with an error document */
        char code[32];     /* its "code" ("refused", "not-found", ...), or "" */
        char refusal[32];  /* its "refusal" code, or "" */
        /* On failure, in the user's language: the daemon's own message when
         * api_error, else a whole sentence (cannot reach refurbd, ...). */
        char message[1024];
};

int rctl_client_new(const char *base_url, const char *socket_path, const char *token, enum rf_lang lang,
                    struct rctl_client **ret);
/* Trust only the certificates of this PEM file for TLS (the bench's
 * self-signed certificate, or the CA that signed it). */
int rctl_client_set_ca_file(struct rctl_client *c, const char *path);
void rctl_client_free(struct rctl_client *c);
static inline void rctl_client_freep(struct rctl_client **c) {
        if (*c)
                rctl_client_free(*c);
}
#define _cleanup_client_ __attribute__((cleanup(rctl_client_freep)))

void rctl_reply_clear(struct rctl_reply *r);
/* struct rctl_reply reply _cleanup_reply_ = {}: cleared at the end of the scope. */
#define _cleanup_reply_ __attribute__((cleanup(rctl_reply_clear)))

/* GET / POST path ("/v1/status"); body may be NULL (an empty body is sent).
 * Returns 0 on a 2xx answer whose body is a JSON object (in reply->json).
 * Otherwise reply->message says what went wrong and the return value is:
 *   -ENOTCONN   refurbd cannot be reached (socket missing, refused, ...)
 *   -EACCES     the socket is there but we may not use it
 *   -ETIMEDOUT  no answer in time
 *   -EPROTO     the answer is not HTTP, not JSON, or not what the API says
 *   -EFBIG      the answer is larger than RCTL_MAX_RESPONSE
 *   -ENOENT     404, -EBUSY 409, -EINVAL 400/413, -EPERM 401/403 (the
 *               message then says: token refused / "votre rôle (X) ne
 *               permet pas …"; c->denied is set),
 *   -EKEYREJECTED  TLS failed: the bench's certificate is not trusted, or
 *               the TLS handshake failed,
 *   -EIO        other HTTP errors (reply->api_error tells whether the
 *               daemon explained itself). */
int rctl_get(struct rctl_client *c, const char *path, struct rctl_reply *reply);
int rctl_post(struct rctl_client *c, const char *path, const json_t *body, struct rctl_reply *reply);

/* Streaming GET (the event stream): on_data receives the body as it
 * arrives, in arbitrary chunks; a negative return stops the transfer and is
 * returned. should_stop is called regularly (at least once a second, even
 * when nothing arrives); returning true stops with -ECANCELED. No overall
 * time limit, but RCTL_STREAM_SILENCE_SEC of silence fails with
 * -ETIMEDOUT. When the daemon closes the stream, returns -ECONNRESET with a
 * message. content_type is the expected media type. */
typedef int (*rctl_data_cb)(const char *data, size_t len, void *userdata);
typedef bool (*rctl_stop_cb)(void *userdata);
int rctl_stream(struct rctl_client *c, const char *path, const char *content_type, rctl_data_cb on_data,
                rctl_stop_cb should_stop, void *userdata, struct rctl_reply *reply);

/* Print reply->message on stderr; for an API error prefixed with context
 * ("Effacement de /dev/loop3 refusé : <message>"). context may be NULL. */
void rctl_reply_print_error(const struct rctl_client *c, const struct rctl_reply *reply, const char *context);
