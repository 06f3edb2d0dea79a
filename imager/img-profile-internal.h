/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to img-profile.c (the INI reader) and img-profile-keys.c (the
 * keys and their values). */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "img-profile.h"
#include "rf-macro.h"

enum img_profile_section {
        SECTION_NONE = 0,
        SECTION_PROFILE,
        SECTION_IMAGE,
        SECTION_SOFTWARE,
        SECTION_BROWSER,
        SECTION_HOOKS,
        _SECTION_MAX,
};

enum img_profile_key {
        KEY_NAME,
        KEY_VERSION,
        KEY_DESCRIPTION,
        KEY_TARGET,
        KEY_MIN_DISK_SIZE,
        KEY_EXPIRES,
        KEY_LOCATION,
        KEY_SHA256,
        KEY_COMPRESSION,
        KEY_BMAP,
        KEY_BMAP_SHA256,
        KEY_ROOT_PARTITION,
        KEY_REQUIRE,
        KEY_SEARCH_ENGINE,
        KEY_SEARCH_URL,
        KEY_RUN,
        KEY_TIMEOUT,
        _KEY_MAX,
};

struct img_profile_parser {
        struct img_profile *profile;
        const char *file;
        char *base_dir; /* absolute: relative locations are resolved against it */
        unsigned line;
        enum img_profile_section section;
        unsigned section_line[_SECTION_MAX]; /* 0: not seen */
        unsigned key_line[_KEY_MAX];         /* 0: not given */
        bool compression_given;
        size_t n_hooks;
        char *err;
        size_t errlen;
};

/* "file:line: message" (or "file: message" when line is 0) in err;
 * returns -EINVAL. */
int img_profile_fail_at(const struct img_profile_parser *p, unsigned line, const char *fmt, ...) _printf_(3, 4);
#define pfail(p, ...) img_profile_fail_at((p), (p)->line, __VA_ARGS__)

const char *img_profile_section_name(enum img_profile_section s);
/* One "Key=Value" of the current section (value stripped, non-NULL). */
int img_profile_key(struct img_profile_parser *p, const char *key, const char *value);
/* After the last line: required keys, defaults. */
int img_profile_finish(struct img_profile_parser *p);
void img_requirement_done(struct img_requirement *r);

static inline bool img_is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline bool img_is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* 1..max characters, each alphanumeric or in extra. */
static inline bool img_word_valid(const char *s, size_t max, const char *extra) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (!img_is_alnum(*s) && !strchr(extra, *s))
                        return false;
        return true;
}

static inline bool img_is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Trim in place: returns the first non-blank character. */
static inline char *img_strip(char *s) {
        while (img_is_space(*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && img_is_space(s[n - 1]))
                s[--n] = '\0';
        return s;
}
