/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared between img-proof.c, img-proof-dpkg.c and img-proof-browser.c; not
 * a contract for other modules. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "img-proof.h"

/* ---- files of the written system, confined to it ----------------------- */

/* Read root-relative path ("etc/hostname") through openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): ".." and absolute symlinks stay inside the root.
 * nofollow: a symlink as the last component is refused (-ELOOP). Only
 * regular files are opened for reading (-EISDIR for a directory, -EBADFD for
 * anything else: a FIFO or a device node is never opened for reading).
 * -EFBIG beyond max bytes. The buffer is NUL-terminated. */
int proof_read_in_root(int rootfd, const char *path, bool nofollow, size_t max, char **ret, size_t *ret_len);
/* Open a root-relative directory (same confinement) for reading. */
int proof_open_dir_in_root(int rootfd, const char *path);
/* French description of an error of proof_read_in_root(): "absent",
 * "lien symbolique refusé", ... */
const char *proof_strerror(int r, char *buf, size_t buflen);

/* ---- messages and record helpers -------------------------------------- */

/* The "; "-separated list of what is missing. */
struct proof_missing {
        char *text;
        size_t len;
};
int proof_missing_add(struct proof_missing *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc'd printf, NULL on allocation failure. */
char *proof_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set o[key] to s (json null when s is NULL). Bytes that are not valid UTF-8
 * or are control characters are replaced by '?': the values come from the
 * image. 0 or -ENOMEM. */
int proof_json_set_str(json_t *o, const char *key, const char *s);

/* ---- search engine URLs ----------------------------------------------- */

/* Host of an http(s) URL, lower case, trailing dot removed. Refused
 * (-EINVAL): other schemes, credentials ("user@host"), percent-encoded or
 * non-ASCII hosts, whitespace or control characters anywhere, bad port. */
int proof_url_host(const char *url, char **ret_host);
/* candidate is reference, or shares its registrable domain
 * ("qwant.com" for "www.qwant.com", "example.co.uk" for "www.example.co.uk").
 * IP addresses match only themselves. */
bool proof_host_matches(const char *candidate, const char *reference);

/* ---- browsers ---------------------------------------------------------- */

/* Append one object per installed browser (firefox-esr, firefox, chromium)
 * to browsers. When p->search_engine is set, check each one's policy and add
 * what is wrong to missing (and "no browser installed"); returns the number
 * of problems found (>= 0) or -ENOMEM / -EINVAL (p->search_url unusable). */
int proof_check_browsers(int rootfd, const struct img_dpkg *d, const struct img_profile *p, json_t *browsers,
                         struct proof_missing *missing);

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
