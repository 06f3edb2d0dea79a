/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Canonical JSON as defined by RFC 8785 (JSON Canonicalization Scheme):
 * object members sorted by their names compared as UTF-16 code units, no
 * insignificant whitespace, strings escaped minimally (\" \\ \b \f \n \r \t,
 * other control characters as \u00XX lower case), numbers in the ECMAScript
 * shortest form (integers printed as integers; non-finite numbers are
 * refused with -EDOM). Returns a NUL-terminated malloc'd string. */
int rf_json_canonical(const json_t *value, char **ret, size_t *ret_len);

/* Parse JSON text from an untrusted source: refuses duplicate keys and NUL
 * bytes, keeps integers exact. On error returns -EINVAL and writes
 * "line L, column C: message" into err (if err is not NULL). */
int rf_json_parse(const char *text, size_t len, json_t **ret, char *err, size_t errlen);

/* Helpers that never fail silently: return "" / 0 when the member is
 * missing or of another type. */
const char *rf_json_str(const json_t *obj, const char *key);
long long rf_json_int(const json_t *obj, const char *key);

/* Cleanup for json_t pointers. */
static inline void rf_json_decrefp(json_t **p) {
        if (*p)
                json_decref(*p);
}
#define _cleanup_json_ __attribute__((cleanup(rf_json_decrefp)))
