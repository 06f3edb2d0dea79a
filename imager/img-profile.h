/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Image profiles (docs/refurb-profile.5): what the DSI publishes for the
 * bench to write. An INI file like refurbd.conf; see profiles/ for the
 * shipped example.
 *
 *   [Profile]
 *   Name=classe-debian12          (1-64 of A-Z a-z 0-9 . _ -)
 *   Version=2026.11.1             (1-32 of A-Z a-z 0-9 . _ - +)
 *   Description=...               (free text, <= 500)
 *   Target=desktop|laptop|any     (default any)
 *   MinimumDiskSize=16G           (bytes, K/M/G/T suffixes = 1024^n; default 0)
 *   Expires=2027-11-30            (YYYY-MM-DD, end of that day UTC; optional)
 *
 *   [Image]
 *   Location=classe-2026.11.1.img.zst   (https:// URL, absolute path, or a
 *                                        path relative to the profile's folder)
 *   SHA256=<64 hex>               (of the file as fetched)
 *   Compression=zstd|none         (default: zstd when Location ends in .zst)
 *   Bmap=classe-2026.11.1.img.bmap      (same rules as Location)
 *   BmapSHA256=<64 hex>
 *   RootPartition=2               (optional; default: the last partition)
 *
 *   [Software]
 *   Require=libreoffice           (repeatable; "a | b | c" = any of them)
 *
 *   [Browser]
 *   DefaultSearchEngine=Qwant     (optional; checked in the written system)
 *   SearchURL=https://www.qwant.com/?q={searchTerms}
 *
 *   [Hooks]
 *   Run=10-hostname               (repeatable; names in the hooks folder;
 *                                  none = every executable there, run-parts order)
 *   TimeoutSec=300                (per hook, 1..3600, default 300)
 *
 * Strict like the configuration: unknown sections/keys, duplicates of
 * single-valued keys, malformed values are errors "file:line: what". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum img_target {
        IMG_TARGET_ANY = 0,
        IMG_TARGET_DESKTOP,
        IMG_TARGET_LAPTOP,
};

enum img_compression {
        IMG_COMPRESSION_NONE = 0,
        IMG_COMPRESSION_ZSTD,
};

struct img_source {
        char *location;     /* as written in the profile */
        char *resolved;     /* URL, or absolute path (relative ones resolved against the profile's folder) */
        bool is_url;
        char sha256[65];    /* lowercase hex */
        unsigned line;
};

struct img_requirement {
        char *text;           /* "evince | atril | okular" as written (normalised spaces) */
        char **alternatives;  /* NULL-terminated, at least one; Debian package names */
        unsigned line;
};

struct img_profile {
        char *path;           /* file it came from, or the name given to the parser */
        char *name;
        char *version;
        char *description;    /* may be "" */
        enum img_target target;
        uint64_t min_disk_size;
        time_t expires;       /* 0: never */
        char expires_text[11];

        struct img_source image;
        enum img_compression compression;
        struct img_source bmap;
        unsigned root_partition; /* 0: last */

        struct img_requirement *requires;
        size_t n_requires;

        char *search_engine;  /* NULL when not required */
        char *search_url;     /* NULL when not given */

        char **hooks;         /* NULL-terminated; NULL: run every hook of the folder */
        unsigned hook_timeout_sec;
};

/* Parse text (len bytes, not necessarily NUL-terminated). name is used in
 * messages and as ->path; base_dir resolves relative locations (NULL: the
 * folder of name). */
int img_profile_parse(const char *name, const char *base_dir, const char *text, size_t len,
                      struct img_profile **ret, char *err, size_t errlen);
void img_profile_free(struct img_profile *p);
static inline void img_profile_freep(struct img_profile **p) {
        if (*p)
                img_profile_free(*p);
}
#define _cleanup_img_profile_ __attribute__((cleanup(img_profile_freep)))

const char *img_target_to_string(enum img_target t);
/* 1 when expired at now, 0 when not. */
int img_profile_expired(const struct img_profile *p, time_t now);
/* A requirement's alternatives tried in order; name of the one satisfied
 * by is_installed(name, userdata) or NULL. */
const char *img_requirement_satisfied(const struct img_requirement *r,
                                      bool (*is_installed)(const char *name, void *userdata), void *userdata);
