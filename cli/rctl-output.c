/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rctl-output.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "rf-macro.h"

const char *rctl_jstr(const json_t *obj, const char *key) {
        if (!json_is_object(obj))
                return NULL;
        const json_t *v = json_object_get(obj, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *rctl_jobj(const json_t *obj, const char *key) {
        if (!json_is_object(obj))
                return NULL;
        json_t *v = json_object_get(obj, key);
        return json_is_object(v) ? v : NULL;
}

json_t *rctl_jarr(const json_t *obj, const char *key) {
        if (!json_is_object(obj))
                return NULL;
        json_t *v = json_object_get(obj, key);
        return json_is_array(v) ? v : NULL;
}

int rctl_jint(const json_t *obj, const char *key, long long *ret) {
        if (!json_is_object(obj))
                return -EINVAL;
        const json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return -ENOENT;
        if (!json_is_integer(v))
                return -EINVAL;
        *ret = json_integer_value(v);
        return 0;
}

int rctl_jnum(const json_t *obj, const char *key, double *ret) {
        if (!json_is_object(obj))
                return -EINVAL;
        const json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return -ENOENT;
        if (!json_is_number(v))
                return -EINVAL;
        double d = json_number_value(v);
        if (!isfinite(d))
                return -EINVAL;
        *ret = d;
        return 0;
}

json_t *rctl_jpath(const json_t *obj, const char *path) {
        const json_t *cur = obj;
        const char *p = path;

        while (cur) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t) (dot - p) : strlen(p);
                char key[64];
                if (n >= sizeof(key) || !json_is_object(cur))
                        return NULL;
                memcpy(key, p, n);
                key[n] = '\0';
                cur = json_object_get(cur, key);
                if (!dot)
                        return (json_t *) cur;
                p = dot + 1;
        }
        return NULL;
}

const char *rctl_jpath_str(const json_t *obj, const char *path) {
        const json_t *v = rctl_jpath(obj, path);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

char *rctl_sanitize(const char *s) {
        if (!s)
                s = "";
        size_t n = strlen(s);
        char *out = malloc(n + 1);
        if (!out)
                return NULL;
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c == '\t' || c == '\n' || c == '\r')
                        out[j++] = ' ';
                else if (c < 0x20 || c == 0x7f)
                        out[j++] = '?';
                else if (c == 0xc2 && i + 1 < n && (unsigned char) s[i + 1] >= 0x80 &&
                         (unsigned char) s[i + 1] <= 0x9f) {
                        /* C1 control characters U+0080..U+009F (CSI is U+009B). */
                        out[j++] = '?';
                        i++;
                } else
                        out[j++] = (char) c;
        }
        out[j] = '\0';
        return out;
}

size_t rctl_width(const char *s) {
        size_t w = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p & 0xc0) != 0x80)
                        w++;
        return w;
}

/* Digits at s[0..n-1] into *ret; false if any is not a digit. */
static bool parse_digits(const char *s, size_t n, int *ret) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return true;
}

static int parse_iso8601(const char *s, time_t *ret) {
        struct tm tm = { 0 };
        int year, mon, day, hour, min, sec;

        if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
            s[16] != ':')
                return -EINVAL;
        if (!parse_digits(s, 4, &year) || !parse_digits(s + 5, 2, &mon) || !parse_digits(s + 8, 2, &day) ||
            !parse_digits(s + 11, 2, &hour) || !parse_digits(s + 14, 2, &min) || !parse_digits(s + 17, 2, &sec))
                return -EINVAL;
        const char *rest = s + 19;
        if (*rest == '.') {
                rest++;
                if (*rest < '0' || *rest > '9')
                        return -EINVAL;
                while (*rest >= '0' && *rest <= '9')
                        rest++;
        }
        if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
                return -EINVAL;
        if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        time_t t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = t;
        return 0;
}

void rctl_format_time(const char *iso, enum rf_lang lang, char *out, size_t outlen) {
        time_t t;
        struct tm tm;

        if (!iso) {
                snprintf(out, outlen, "—");
                return;
        }
        if (parse_iso8601(iso, &t) < 0 || !localtime_r(&t, &tm) ||
            strftime(out, outlen, RF_TR(lang, "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"), &tm) == 0) {
                _cleanup_free_ char *clean = rctl_sanitize(iso);
                snprintf(out, outlen, "%s", clean ? clean : "?");
        }
}

void rctl_format_percent(double percent, enum rf_lang lang, char *out, size_t outlen) {
        if (!isfinite(percent) || percent < 0)
                percent = 0;
        if (percent > 100)
                percent = 100;
        snprintf(out, outlen, RF_TR(lang, "%d %%", "%d%%"), (int) percent /* >= 0: truncation is floor */);
}

int rctl_percent_tenth(double percent) {
        if (!(percent > 0)) /* also NaN */
                return 0;
        if (percent >= 100)
                return 10;
        return (int) (percent / 10);
}

int rctl_print_json(const json_t *v, bool pretty) {
        size_t flags = JSON_REAL_PRECISION(15) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
        _cleanup_free_ char *s = json_dumps(v, flags | JSON_ENCODE_ANY);
        if (!s)
                return -ENOMEM;
        if (puts(s) == EOF || fflush(stdout) == EOF)
                return -EIO;
        return 0;
}

struct rctl_table {
        size_t n_columns;
        size_t n_rows; /* including the header row */
        size_t cap_rows;
        char **cells;          /* n_rows * n_columns */
        const char **colors;   /* same layout */
        size_t *widths;        /* widest data cell of each column */
};

static int table_append(struct rctl_table *t, const char *const *cells) {
        if (t->n_rows == t->cap_rows) {
                size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
                char **c = reallocarray(t->cells, cap * t->n_columns, sizeof(char *));
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                const char **k = reallocarray(t->colors, cap * t->n_columns, sizeof(char *));
                if (!k)
                        return -ENOMEM;
                t->colors = k;
                t->cap_rows = cap;
        }
        size_t base = t->n_rows * t->n_columns;
        for (size_t i = 0; i < t->n_columns; i++) {
                t->cells[base + i] = rctl_sanitize(cells[i] ? cells[i] : "—");
                t->colors[base + i] = NULL;
                if (!t->cells[base + i]) {
                        for (size_t j = 0; j < i; j++)
                                free(t->cells[base + j]);
                        return -ENOMEM;
                }
        }
        if (t->n_rows > 0)
                for (size_t i = 0; i < t->n_columns; i++)
                        t->widths[i] = MAX(t->widths[i], rctl_width(t->cells[base + i]));
        t->n_rows++;
        return 0;
}

int rctl_table_new(size_t n_columns, const char *const *headers, struct rctl_table **ret) {
        if (n_columns == 0)
                return -EINVAL;
        struct rctl_table *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->n_columns = n_columns;
        t->widths = calloc(n_columns, sizeof(size_t));
        if (!t->widths) {
                free(t);
                return -ENOMEM;
        }
        int r = table_append(t, headers);
        if (r < 0) {
                rctl_table_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void rctl_table_free(struct rctl_table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->colors);
        free(t->widths);
        free(t);
}

int rctl_table_add(struct rctl_table *t, const char *const *cells) {
        return table_append(t, cells);
}

void rctl_table_color(struct rctl_table *t, size_t column, const char *color) {
        if (t->n_rows > 1 && column < t->n_columns)
                t->colors[(t->n_rows - 1) * t->n_columns + column] = color;
}

size_t rctl_table_rows(const struct rctl_table *t) {
        return t->n_rows - 1;
}

size_t rctl_terminal_columns(void) {
        struct winsize ws = { 0 };
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col < 20)
                return 80;
        return ws.ws_col;
}

size_t rctl_put_cut(FILE *f, const char *s, size_t max) {
        size_t n = 0, i = 0;
        while (s[i]) {
                if (((unsigned char) s[i] & 0xc0) != 0x80) {
                        if (n == max)
                                break;
                        n++;
                }
                i++;
        }
        fwrite(s, 1, i, f);
        return n;
}

size_t rctl_table_print(const struct rctl_table *t, FILE *f, bool header, size_t max_width, const char *line_prefix,
                        bool colors) {
        size_t lines = 0;

        for (size_t r = header ? 0 : 1; r < t->n_rows; r++) {
                size_t left = max_width > 0 ? max_width : SIZE_MAX;
                size_t n = t->n_columns; /* no padding after the last non-empty cell */
                while (n > 1 && t->cells[r * t->n_columns + n - 1][0] == '\0')
                        n--;
                fputs(line_prefix ? line_prefix : "", f);
                for (size_t c = 0; c < n && left > 0; c++) {
                        const char *cell = t->cells[r * t->n_columns + c];
                        const char *color = colors ? t->colors[r * t->n_columns + c] : NULL;
                        bool last = c + 1 == n;

                        if (c > 0)
                                left -= rctl_put_cut(f, "  ", left);
                        if (r == 0 && colors)
                                fputs(RCTL_BOLD, f);
                        else if (color)
                                fputs(color, f);
                        size_t w = rctl_put_cut(f, cell, left);
                        left -= w;
                        if ((r == 0 && colors) || color)
                                fputs(RCTL_RESET, f);
                        size_t width = MAX(t->widths[c], header ? rctl_width(t->cells[c]) : 0);
                        if (!last)
                                for (; w < width && left > 0; w++, left--)
                                        fputc(' ', f);
                }
                fputc('\n', f);
                lines++;
        }
        return lines;
}
