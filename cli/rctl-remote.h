/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rf-i18n.h"

/* Reaching a remote bench (docs/network-api.md, refurbctl --url): the checks
 * made on --url, --token-file and --ca-file before anything is sent. Each
 * function returns 0 or a negative errno and, on failure, writes a whole
 * sentence in the user's language into err. A token never appears in err. */

/* Longest URL accepted. */
#define RCTL_URL_MAX 2048
/* Longest token accepted in a token file (the daemon's are 48 characters). */
#define RCTL_TOKEN_MAX 1024
/* Largest token file and CA file read. */
#define RCTL_TOKEN_FILE_MAX 4096
#define RCTL_CA_FILE_MAX (1024 * 1024)

/* The host is this machine: "localhost", 127.0.0.0/8, ::1 or ::ffff:127.x.y.z
 * (IPv6 with or without brackets). */
bool rctl_host_is_loopback(const char *host);

/* Check a bench's base URL and return it normalised without a trailing
 * slash in *ret: https://HOST[:PORT][/PREFIX], or http:// towards a loopback
 * host only. Errors: -EPROTONOSUPPORT for http:// towards another host
 * (the token would cross the network in clear: TLS is required), -EINVAL
 * for anything else that is not such a URL (other scheme, user name,
 * query, fragment, no host). *ret_tls tells whether it is https. what
 * names where the URL comes from in messages ("--url", "REFURB_URL"). */
int rctl_check_url(const char *url, const char *what, enum rf_lang lang, char **ret, bool *ret_tls, char *err,
                   size_t errlen);

/* Read a token file: a regular file that neither group nor others may
 * access (-EPERM, and the message says "chmod 600 FILE"), of one line of
 * visible ASCII characters; the trailing newline (LF or CRLF) is removed.
 * *ret is freed with rctl_secret_free(). */
int rctl_read_token_file(const char *path, enum rf_lang lang, char **ret, char *err, size_t errlen);

/* A file of trusted certificates for TLS (--ca-file): a readable regular
 * file holding at least one PEM certificate. */
int rctl_check_ca_file(const char *path, enum rf_lang lang, char *err, size_t errlen);

/* Overwrite a secret, then free it. NULL is fine. */
void rctl_secret_free(char *s);
static inline void rctl_secret_freep(char **s) {
        rctl_secret_free(*s);
}
#define _cleanup_secret_ __attribute__((cleanup(rctl_secret_freep)))

/* The words for a call refused for its token (401) or its role (403), from
 * the API's error document (may be NULL or anything): "jeton refusé
 * (inconnu, révoqué ou expiré) …", "votre rôle (technician) ne permet pas
 * …", or, when no token was sent, how to give one. */
void rctl_denied_words(const json_t *doc, long status, bool had_token, const char *method, const char *path,
                       enum rf_lang lang, char *out, size_t outlen);
