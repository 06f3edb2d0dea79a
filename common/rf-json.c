/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rf-json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"

/* Canonical JSON (RFC 8785, "JCS"). Everything here is locale independent:
 * numbers are printed and re-read without a radix character. */

/* Deeper values are refused: the jansson decoder stops at 2048 levels, and
 * values built in memory could contain a cycle. */
#define JCS_MAX_DEPTH 2048

struct buf {
        char *data;
        size_t len;
        size_t cap;
};

static int buf_put(struct buf *b, const void *p, size_t n) {
        if (n >= SIZE_MAX / 2 - b->len)
                return -ENOMEM;
        if (b->len + n + 1 > b->cap) {
                size_t cap = MAX(b->cap * 2, b->len + n + 1);
                cap = MAX(cap, (size_t) 256);
                char *d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

static int buf_puts(struct buf *b, const char *s) {
        return buf_put(b, s, strlen(s));
}

/* Decode one strictly valid UTF-8 sequence (no overlong forms, no
 * surrogates, at most U+10FFFF) at s[*i], advancing *i. */
static int utf8_next(const char *s, size_t len, size_t *i, uint32_t *ret) {
        const unsigned char *p = (const unsigned char *) s + *i;
        size_t left = len - *i;
        uint32_t cp, min;
        size_t n;

        if (left == 0)
                return -EINVAL;
        if (p[0] < 0x80) {
                *ret = p[0];
                *i += 1;
                return 0;
        }
        if ((p[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = p[0] & 0x1f;
                min = 0x80;
        } else if ((p[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = p[0] & 0x0f;
                min = 0x800;
        } else if ((p[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = p[0] & 0x07;
                min = 0x10000;
        } else
                return -EINVAL;
        if (left < n)
                return -EINVAL;
        for (size_t k = 1; k < n; k++) {
                if ((p[k] & 0xc0) != 0x80)
                        return -EINVAL;
                cp = (cp << 6) | (p[k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return -EINVAL;
        *ret = cp;
        *i += n;
        return 0;
}

static bool utf8_valid(const char *s, size_t len) {
        size_t i = 0;
        uint32_t cp;

        while (i < len) {
                if ((unsigned char) s[i] < 0x80) {
                        i++;
                        continue;
                }
                if (utf8_next(s, len, &i, &cp) < 0)
                        return false;
        }
        return true;
}

/* The UTF-16 code units of a code point; returns how many (1 or 2). */
static unsigned utf16_units(uint32_t cp, uint16_t u[2]) {
        if (cp < 0x10000) {
                u[0] = (uint16_t) cp;
                return 1;
        }
        cp -= 0x10000;
        u[0] = (uint16_t) (0xd800 + (cp >> 10));
        u[1] = (uint16_t) (0xdc00 + (cp & 0x3ff));
        return 2;
}

struct member {
        const char *key;
        size_t key_len;
        json_t *value;
};

/* Compare two member names (valid UTF-8, checked before sorting) as
 * sequences of UTF-16 code units, as RFC 8785 section 3.2.3 requires. */
static int member_cmp(const void *pa, const void *pb) {
        const struct member *a = pa, *b = pb;
        size_t i = 0, j = 0;

        while (i < a->key_len && j < b->key_len) {
                unsigned char ca = (unsigned char) a->key[i], cb = (unsigned char) b->key[j];
                if (ca < 0x80 && cb < 0x80) {
                        if (ca != cb)
                                return ca < cb ? -1 : 1;
                        i++;
                        j++;
                        continue;
                }

                uint32_t x = 0, y = 0;
                if (utf8_next(a->key, a->key_len, &i, &x) < 0 || utf8_next(b->key, b->key_len, &j, &y) < 0)
                        return 0; /* cannot happen: names were validated */
                if (x == y)
                        continue;

                uint16_t ux[2], uy[2];
                unsigned nx = utf16_units(x, ux), ny = utf16_units(y, uy);
                for (unsigned k = 0; k < nx && k < ny; k++)
                        if (ux[k] != uy[k])
                                return ux[k] < uy[k] ? -1 : 1;
                /* Distinct code points never share all their units. */
                return nx < ny ? -1 : 1;
        }
        if (i < a->key_len)
                return 1;
        if (j < b->key_len)
                return -1;
        return 0;
}

static int put_string(struct buf *b, const char *s, size_t len) {
        if (!utf8_valid(s, len))
                return -EINVAL;

        int r = buf_put(b, "\"", 1);
        size_t start = 0;
        for (size_t i = 0; i < len && r == 0; i++) {
                unsigned char c = (unsigned char) s[i];
                const char *esc = NULL;
                char hex[7];

                switch (c) {
                case '"':
                        esc = "\\\"";
                        break;
                case '\\':
                        esc = "\\\\";
                        break;
                case '\b':
                        esc = "\\b";
                        break;
                case '\f':
                        esc = "\\f";
                        break;
                case '\n':
                        esc = "\\n";
                        break;
                case '\r':
                        esc = "\\r";
                        break;
                case '\t':
                        esc = "\\t";
                        break;
                default:
                        if (c < 0x20) {
                                snprintf(hex, sizeof(hex), "\\u%04x", c);
                                esc = hex;
                        }
                        break;
                }
                if (!esc)
                        continue;
                r = buf_put(b, s + start, i - start);
                if (r == 0)
                        r = buf_puts(b, esc);
                start = i + 1;
        }
        if (r == 0)
                r = buf_put(b, s + start, len - start);
        if (r == 0)
                r = buf_put(b, "\"", 1);
        return r;
}

/* Round-trip check without a radix character: "<mantissa>e<exp>". */
static bool roundtrips(uint64_t mantissa, int exp10, double x) {
        char s[48];
        snprintf(s, sizeof(s), "%" PRIu64 "e%d", mantissa, exp10);
        return strtod(s, NULL) == x;
}

/* Shortest decimal digits of a finite x > 0 that read back as x: on return
 * x == 0.digits * 10^n, digits without trailing zeros (ECMAScript's s, k, n
 * of Number::toString). */
static void shortest_digits(double x, char digits[static 18], int *ret_n) {
        for (int p = 1; p <= 17; p++) {
                char s[48];
                uint64_t m = 0;
                int e = 0;

                /* The correctly rounded p-digit value, as "d.ddde±XX"; the
                 * radix character may depend on the locale, so only the
                 * digits are taken. */
                snprintf(s, sizeof(s), "%.*e", p - 1, x);
                const char *c = s;
                for (; *c && *c != 'e'; c++)
                        if (*c >= '0' && *c <= '9')
                                m = m * 10 + (uint64_t) (*c - '0');
                if (*c == 'e')
                        e = (int) strtol(c + 1, NULL, 10);
                int scale = e - (p - 1); /* x ~ m * 10^scale */

                bool ok = roundtrips(m, scale, x);
                if (!ok) {
                        /* Rounding intervals are not symmetric at powers of
                         * two: the other p-digit neighbour of x may still
                         * read back as x, and then it is the shortest. */
                        char t[48];
                        snprintf(t, sizeof(t), "%" PRIu64 "e%d", m, scale);
                        uint64_t other = strtod(t, NULL) > x ? m - 1 : m + 1;
                        if (other > 0 && roundtrips(other, scale, x)) {
                                m = other;
                                ok = true;
                        }
                }
                if (!ok && p < 17)
                        continue;

                /* p == 17 always round-trips for IEEE doubles. */
                while (m >= 10 && m % 10 == 0) {
                        m /= 10;
                        scale++;
                }
                int k = snprintf(digits, 18, "%" PRIu64, m);
                *ret_n = scale + k;
                return;
        }
}

/* ECMAScript Number.prototype.toString() (ECMA-262, Number::toString) for
 * a finite double, as RFC 8785 section 3.2.2.3 requires. */
static int format_double(double x, char out[static 40]) {
        char digits[18];
        int n = 0;

        if (!isfinite(x))
                return -EDOM;
        if (x == 0) { /* also -0 */
                strcpy(out, "0");
                return 0;
        }

        char *o = out;
        if (x < 0) {
                *o++ = '-';
                x = -x;
        }
        shortest_digits(x, digits, &n);
        int k = (int) strlen(digits);

        if (k <= n && n <= 21) {
                /* Integer: the digits then n - k zeros. */
                memcpy(o, digits, (size_t) k);
                memset(o + k, '0', (size_t) (n - k));
                o[n] = '\0';
        } else if (0 < n && n <= 21) {
                memcpy(o, digits, (size_t) n);
                o[n] = '.';
                memcpy(o + n + 1, digits + n, (size_t) (k - n));
                o[k + 1] = '\0';
        } else if (-6 < n && n <= 0) {
                memcpy(o, "0.", 2);
                memset(o + 2, '0', (size_t) -n);
                memcpy(o + 2 - n, digits, (size_t) k);
                o[2 - n + k] = '\0';
        } else {
                int e = n - 1;
                if (k == 1)
                        snprintf(o, 39, "%ce%c%d", digits[0], e < 0 ? '-' : '+', abs(e));
                else
                        snprintf(o, 39, "%c.%se%c%d", digits[0], digits + 1, e < 0 ? '-' : '+', abs(e));
        }
        return 0;
}

static int put_value(struct buf *b, const json_t *v, unsigned depth);

/* Collect the members of v into m (room for n), sort them, print them. */
static int put_members(struct buf *b, const json_t *v, struct member *m, size_t n, unsigned depth) {
        const char *key;
        size_t key_len, i = 0;
        json_t *value;

        /* The cast only drops const for the iteration macro, which does not
         * modify the object. */
        json_object_keylen_foreach ((json_t *) v, key, key_len, value) {
                if (i >= n)
                        return -EINVAL;
                if (!utf8_valid(key, key_len))
                        return -EINVAL;
                m[i++] = (struct member) { .key = key, .key_len = key_len, .value = value };
        }
        n = i; /* the same, unless the object changed under us */
        if (n > 1)
                qsort(m, n, sizeof(*m), member_cmp);

        int r = buf_put(b, "{", 1);
        for (i = 0; i < n && r == 0; i++) {
                if (i > 0)
                        r = buf_put(b, ",", 1);
                if (r == 0)
                        r = put_string(b, m[i].key, m[i].key_len);
                if (r == 0)
                        r = buf_put(b, ":", 1);
                if (r == 0)
                        r = put_value(b, m[i].value, depth + 1);
        }
        if (r == 0)
                r = buf_put(b, "}", 1);
        return r;
}

static int put_object(struct buf *b, const json_t *v, unsigned depth) {
        size_t n = json_object_size(v);
        if (n == 0)
                return buf_puts(b, "{}");

        /* Freed explicitly: clang-tidy's analyser does not follow the
         * cleanup attribute through the recursion. */
        struct member *m = calloc(n, sizeof(*m));
        if (!m)
                return -ENOMEM;
        int r = put_members(b, v, m, n, depth);
        free(m);
        return r;
}

static int put_value(struct buf *b, const json_t *v, unsigned depth) {
        char num[40];
        int r;

        if (!v)
                return -EINVAL;
        if (depth > JCS_MAX_DEPTH)
                return -ELOOP;

        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return put_object(b, v, depth);
        case JSON_ARRAY:
                r = buf_put(b, "[", 1);
                for (size_t i = 0; i < json_array_size(v) && r == 0; i++) {
                        if (i > 0)
                                r = buf_put(b, ",", 1);
                        if (r == 0)
                                r = put_value(b, json_array_get(v, i), depth + 1);
                }
                return r < 0 ? r : buf_put(b, "]", 1);
        case JSON_STRING:
                return put_string(b, json_string_value(v), json_string_length(v));
        case JSON_INTEGER:
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return buf_puts(b, num);
        case JSON_REAL:
                r = format_double(json_real_value(v), num);
                return r < 0 ? r : buf_puts(b, num);
        case JSON_TRUE:
                return buf_puts(b, "true");
        case JSON_FALSE:
                return buf_puts(b, "false");
        case JSON_NULL:
                return buf_puts(b, "null");
        }
        return -EINVAL;
}

int rf_json_canonical(const json_t *value, char **ret, size_t *ret_len) {
        struct buf b = {};

        if (!value || !ret)
                return -EINVAL;
        int r = put_value(&b, value, 0);
        if (r == 0 && !b.data)
                r = -EINVAL; /* every value prints at least one byte */
        if (r < 0) {
                free(b.data);
                return r;
        }
        if (ret_len)
                *ret_len = b.len;
        *ret = b.data;
        return 0;
}

int rf_json_parse(const char *text, size_t len, json_t **ret, char *err, size_t errlen) {
        json_error_t error;

        if (!text || !ret) {
                if (err && errlen > 0)
                        snprintf(err, errlen, "line 1, column 1: no input");
                return -EINVAL;
        }

        /* jansson stops at a NUL byte with a vague message; say where it is. */
        const char *nul = memchr(text, '\0', len);
        if (nul) {
                unsigned line = 1, column = 1;
                for (const char *c = text; c < nul; c++) {
                        if (*c == '\n') {
                                line++;
                                column = 1;
                        } else if (((unsigned char) *c & 0xc0) != 0x80)
                                column++;
                }
                if (err && errlen > 0)
                        snprintf(err, errlen, "line %u, column %u: NUL byte in the input", line, column);
                return -EINVAL;
        }

        /* No JSON_ALLOW_NUL: "\u0000" in strings is refused too. Integers
         * stay json_int_t (no JSON_DECODE_INT_AS_REAL). */
        json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
        if (!v) {
                if (err && errlen > 0)
                        snprintf(err, errlen, "line %d, column %d: %s", MAX(error.line, 1), MAX(error.column, 1),
                                 error.text);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

const char *rf_json_str(const json_t *obj, const char *key) {
        if (!json_is_object(obj) || !key)
                return "";
        const json_t *v = json_object_get(obj, key);
        return json_is_string(v) ? json_string_value(v) : "";
}

long long rf_json_int(const json_t *obj, const char *key) {
        if (!json_is_object(obj) || !key)
                return 0;
        const json_t *v = json_object_get(obj, key);
        return json_is_integer(v) ? (long long) json_integer_value(v) : 0;
}
