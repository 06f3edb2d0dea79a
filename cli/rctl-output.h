/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rf-i18n.h"

/* Output helpers of refurbctl: safe access to untrusted JSON members,
 * terminal-safe strings, aligned tables, local times. */

/* Members of an untrusted object: NULL (or -ENOENT / -EINVAL) when the
 * member is missing, null or of another type. Never crash on non-objects. */
const char *rctl_jstr(const json_t *obj, const char *key);
json_t *rctl_jobj(const json_t *obj, const char *key);
json_t *rctl_jarr(const json_t *obj, const char *key);
/* Integer member; reals are refused (-EINVAL), as are negative values when
 * the caller asks for a count. */
int rctl_jint(const json_t *obj, const char *key, long long *ret);
/* Integer or real member. */
int rctl_jnum(const json_t *obj, const char *key, double *ret);
/* Member by dotted path: "device.serial". */
json_t *rctl_jpath(const json_t *obj, const char *path);
const char *rctl_jpath_str(const json_t *obj, const char *path);

/* Copy of s where control characters (C0, DEL, C1) are replaced by '?', so
 * that text from the daemon (a USB drive's model string...) cannot drive the
 * terminal. jansson strings are valid UTF-8. Returns NULL on OOM. */
char *rctl_sanitize(const char *s);
/* Display width, counted in code points. */
size_t rctl_width(const char *s);

/* "22/11/2026 14:05" (fr) or "2026-11-22 14:05" (en) in local time from an
 * API time "2026-11-22T02:10:00Z"; "—" for NULL; the (sanitised) text
 * itself when it is not a time. */
void rctl_format_time(const char *iso, enum rf_lang lang, char *out, size_t outlen);
/* "42 %" (fr) or "42%" (en); the value is floored so 100 is only shown
 * at the end. */
void rctl_format_percent(double percent, enum rf_lang lang, char *out, size_t outlen);

/* Width of the terminal on stdout (80 when unknown). */
size_t rctl_terminal_columns(void);
/* Write at most max code points of s to f; returns how many were written. */
size_t rctl_put_cut(FILE *f, const char *s, size_t max);

/* 0..10: which tenth of the way a percentage is (clamped, NaN-safe). */
int rctl_percent_tenth(double percent);

/* Print a JSON value on stdout: indented or on one line. */
int rctl_print_json(const json_t *v, bool pretty);

/* Colours, only used when stdout is a terminal. */
#define RCTL_GREEN "\033[32m"
#define RCTL_RED "\033[31m"
#define RCTL_BOLD "\033[1m"
#define RCTL_RESET "\033[0m"

/* A table printed with aligned columns (two spaces between columns, the
 * last one not padded). Cells are sanitised when added. */
struct rctl_table;
int rctl_table_new(size_t n_columns, const char *const *headers, struct rctl_table **ret);
void rctl_table_free(struct rctl_table *t);
static inline void rctl_table_freep(struct rctl_table **t) {
        if (*t)
                rctl_table_free(*t);
}
#define _cleanup_table_ __attribute__((cleanup(rctl_table_freep)))
/* Add a row of n_columns cells (NULL cells print as "—"). */
int rctl_table_add(struct rctl_table *t, const char *const *cells);
/* Colour (an escape sequence, or NULL) of one cell of the last row. */
void rctl_table_color(struct rctl_table *t, size_t column, const char *color);
/* Print to f. max_width > 0 cuts lines to that many columns; line_prefix
 * (may be NULL) is written at the start of every line (the watch view
 * clears each line with it); colours are used only if colors. Returns the
 * number of lines printed. */
size_t rctl_table_print(const struct rctl_table *t, FILE *f, bool header, size_t max_width, const char *line_prefix,
                        bool colors);
size_t rctl_table_rows(const struct rctl_table *t);
