/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Proof of content: what the written system really holds, read from its
 * files (never trusted: sizes capped, parsers strict), checked against the
 * profile. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "img-profile.h"

struct img_pkg {
        char *name;
        char *version;
        char *arch;
        char **provides;    /* NULL-terminated, may be NULL */
};

struct img_dpkg {
        struct img_pkg *pkgs;   /* installed ones only ("Status: install ok installed"), sorted by name */
        size_t n;
};

/* Parse /var/lib/dpkg/status text (RFC 822 stanzas). A malformed stanza is
 * an error "status:LINE: what". */
int img_dpkg_parse(const char *text, size_t len, struct img_dpkg *ret, char *err, size_t errlen);
void img_dpkg_clear(struct img_dpkg *d);
/* Installed package of that name, or one installed that Provides it. */
const struct img_pkg *img_dpkg_find(const struct img_dpkg *d, const char *name);

/* Check root (the mounted written system) against p:
 *  - every [Software] Require= satisfied (which alternative, its version);
 *  - when p->search_engine is set: every installed browser (firefox-esr,
 *    firefox, chromium) has a policy making it the default search engine,
 *    with a search URL on the engine's host, and at least one browser is
 *    installed;
 *  - /etc/hostname equals expected_hostname (when not NULL).
 * *ret_record (always set on return >= 0) is the "content" member of the
 * refurbishment record (docs/imaging.md); returns 1 when everything is
 * there, 0 when something is missing (*ret_missing: French, "paquet
 * absent : okular | evince ; Firefox : moteur par défaut Google au lieu de
 * Qwant"), <0 when the system cannot be read. */
int img_proof_check(const char *root, const struct img_profile *p, const char *expected_hostname, json_t **ret_record,
                    char **ret_missing);
