/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pages, plain-text layout, rules, QR codes and logos for the PDF reports. */
#include "rf-macro.h" /* before glib: MIN/MAX */

#include <cairo-pdf.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rpt-draw.h"

/* Largest PDF accepted in memory. */
#define RPT_MAX_PDF (64u * 1024u * 1024u)

static cairo_status_t write_cb(void *userdata, const unsigned char *data, unsigned int length) {
        struct rpt_doc *d = userdata;

        if (d->write_error)
                return CAIRO_STATUS_WRITE_ERROR;
        if (length > RPT_MAX_PDF - d->len) {
                d->write_error = -EFBIG;
                return CAIRO_STATUS_WRITE_ERROR;
        }
        if (d->len + length > d->cap) {
                size_t cap = MAX(d->cap * 2, (size_t) 64 * 1024);
                while (cap < d->len + length)
                        cap *= 2;
                char *b = realloc(d->buf, cap);
                if (!b) {
                        d->write_error = -ENOMEM;
                        return CAIRO_STATUS_WRITE_ERROR;
                }
                d->buf = b;
                d->cap = cap;
        }
        memcpy(d->buf + d->len, data, length);
        d->len += length;
        return CAIRO_STATUS_SUCCESS;
}

int rpt_iso_to_time(const char *s, time_t *ret) {
        struct tm tm = { 0 };
        int v[6];
        static const int at[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };

        if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
            s[19] != 'Z')
                return -EINVAL;
        for (int i = 0; i < 6; i++) {
                v[i] = 0;
                for (int k = 0; k < len[i]; k++) {
                        char c = s[at[i] + k];
                        if (c < '0' || c > '9')
                                return -EINVAL;
                        v[i] = v[i] * 10 + (c - '0');
                }
        }
        if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
                return -EINVAL;
        tm.tm_year = v[0] - 1900;
        tm.tm_mon = v[1] - 1;
        tm.tm_mday = v[2];
        tm.tm_hour = v[3];
        tm.tm_min = v[4];
        tm.tm_sec = v[5];
        *ret = timegm(&tm);
        return 0;
}

char *rpt_clean(const char *s, size_t max) {
        if (!s)
                return strdup("");
        size_t n = strnlen(s, max * 4 + 4);
        gchar *valid = g_utf8_make_valid(s, (gssize) n);
        GString *out = g_string_sized_new(n + 4);
        size_t count = 0;

        for (const gchar *p = valid; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);
                if (count == max) {
                        g_string_append(out, "…");
                        break;
                }
                bool control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
                               (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
                if (control)
                        g_string_append_c(out, ' ');
                else
                        g_string_append_unichar(out, c);
                count++;
        }
        g_free(valid);
        gchar *g = g_string_free(out, FALSE);
        char *r = strdup(g);
        g_free(g);
        return r;
}

int rpt_doc_open(struct rpt_doc *d, enum rf_lang lang, const char *title, const char *author, const char *create_date) {
        time_t t;

        *d = (struct rpt_doc) { .lang = lang, .y = RPT_MARGIN, .page = 1 };
        d->surface = cairo_pdf_surface_create_for_stream(write_cb, d, RPT_PAGE_W, RPT_PAGE_H);
        if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS)
                return -ENOMEM;
        cairo_pdf_surface_restrict_to_version(d->surface, CAIRO_PDF_VERSION_1_5);
        _cleanup_free_ char *t_clean = rpt_clean(title, 200), *a_clean = rpt_clean(author, 200);
        if (!t_clean || !a_clean)
                return -ENOMEM;
        cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE, t_clean);
        if (*a_clean)
                cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_AUTHOR, a_clean);
        cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR, "refurb " REFURB_VERSION);
        if (create_date && rpt_iso_to_time(create_date, &t) == 0)
                cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATE_DATE, create_date);

        d->cr = cairo_create(d->surface);
        if (cairo_status(d->cr) != CAIRO_STATUS_SUCCESS)
                return -ENOMEM;
        d->pango = pango_cairo_create_context(d->cr);
        if (!d->pango)
                return -ENOMEM;
        cairo_font_options_t *fo = cairo_font_options_create();
        cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
        cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
        pango_cairo_context_set_font_options(d->pango, fo);
        cairo_font_options_destroy(fo);
        return 0;
}

void rpt_doc_close(struct rpt_doc *d) {
        if (d->pango)
                g_object_unref(d->pango);
        if (d->cr)
                cairo_destroy(d->cr);
        if (d->surface)
                cairo_surface_destroy(d->surface);
        free(d->buf);
        *d = (struct rpt_doc) { 0 };
}

static void end_page(struct rpt_doc *d) {
        if (d->footer)
                d->footer(d, d->footer_data);
}

bool rpt_doc_need(struct rpt_doc *d, double h) {
        if (d->y + h <= RPT_BOTTOM)
                return false;
        end_page(d);
        cairo_show_page(d->cr);
        d->page++;
        d->y = RPT_MARGIN;
        if (d->running_head[0]) {
                const struct rpt_style st = { RPT_FONT_SANS, 7.5, false, RPT_GREY };
                d->y += rpt_text(d, &st, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1, d->running_head, true) + 2;
                rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, d->y, 0.5, RPT_RULE);
                d->y += 8;
        }
        return true;
}

int rpt_doc_finish(struct rpt_doc *d, char **ret, size_t *ret_len) {
        end_page(d);
        cairo_show_page(d->cr);
        cairo_surface_finish(d->surface);
        if (d->write_error)
                return d->write_error;
        cairo_status_t st = cairo_surface_status(d->surface);
        if (st == CAIRO_STATUS_NO_MEMORY)
                return -ENOMEM;
        if (st != CAIRO_STATUS_SUCCESS || cairo_status(d->cr) != CAIRO_STATUS_SUCCESS)
                return -EIO;
        *ret = TAKE_PTR(d->buf);
        *ret_len = d->len;
        d->len = d->cap = 0;
        return 0;
}

void rpt_set_colour(cairo_t *cr, struct rpt_rgb c) {
        cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

double rpt_text(struct rpt_doc *d, const struct rpt_style *st, double x, double y, double width, enum rpt_align align,
                int max_lines, const char *text, bool draw) {
        _cleanup_free_ char *clean = rpt_clean(text, RPT_MAX_TEXT);
        int w = 0, h = 0;

        if (!clean)
                return 0;
        PangoLayout *l = pango_layout_new(d->pango);
        PangoFontDescription *fd = pango_font_description_new();
        pango_font_description_set_family_static(fd, st->family);
        pango_font_description_set_absolute_size(fd, st->size * PANGO_SCALE);
        pango_font_description_set_weight(fd, st->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
        pango_layout_set_font_description(l, fd);
        pango_font_description_free(fd);
        pango_layout_set_width(l, (int) (width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        if (max_lines > 0) {
                pango_layout_set_height(l, -max_lines);
                pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        }
        pango_layout_set_alignment(l, align == RPT_CENTER  ? PANGO_ALIGN_CENTER
                                      : align == RPT_RIGHT ? PANGO_ALIGN_RIGHT
                                                           : PANGO_ALIGN_LEFT);
        pango_layout_set_text(l, clean, -1);
        pango_layout_get_size(l, &w, &h);
        if (draw) {
                rpt_set_colour(d->cr, st->colour);
                cairo_move_to(d->cr, x, y);
                pango_cairo_show_layout(d->cr, l);
        }
        g_object_unref(l);
        return (double) h / PANGO_SCALE;
}

void rpt_hline(struct rpt_doc *d, double x0, double x1, double y, double width, struct rpt_rgb c) {
        cairo_save(d->cr);
        rpt_set_colour(d->cr, c);
        cairo_set_line_width(d->cr, width);
        cairo_move_to(d->cr, x0, y);
        cairo_line_to(d->cr, x1, y);
        cairo_stroke(d->cr);
        cairo_restore(d->cr);
}

void rpt_rect(struct rpt_doc *d, double x, double y, double w, double h, struct rpt_rgb fill) {
        rpt_set_colour(d->cr, fill);
        cairo_rectangle(d->cr, x, y, w, h);
        cairo_fill(d->cr);
}

void rpt_frame(struct rpt_doc *d, double x, double y, double w, double h, double line, struct rpt_rgb c) {
        cairo_save(d->cr);
        rpt_set_colour(d->cr, c);
        cairo_set_line_width(d->cr, line);
        cairo_rectangle(d->cr, x, y, w, h);
        cairo_stroke(d->cr);
        cairo_restore(d->cr);
}

void rpt_section(struct rpt_doc *d, const char *title) {
        const struct rpt_style st = { RPT_FONT_SANS, 10.5, true, RPT_ACCENT };

        rpt_doc_need(d, 46); /* the title and at least a line or two */
        d->y += 7;
        double h = rpt_text(d, &st, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1, title, true);
        d->y += h + 2;
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, d->y, 0.6, RPT_RULE);
        d->y += 4;
}

void rpt_field(struct rpt_doc *d, double label_w, const char *label, const char *value, int max_lines,
               const struct rpt_style *value_style) {
        const struct rpt_style lst = { RPT_FONT_SANS, 8.5, false, RPT_GREY };
        const struct rpt_style vst = { RPT_FONT_SANS, 9, false, RPT_INK };
        const struct rpt_style *vs = value_style ? value_style : &vst;
        _cleanup_free_ char *v = rpt_clean(value && *value ? value : "—", RPT_MAX_FIELD);
        double vx = RPT_MARGIN + label_w, vw = RPT_CONTENT_W - label_w;

        if (!v)
                return;
        double vh = rpt_text(d, vs, vx, d->y, vw, RPT_LEFT, max_lines, v, false);
        rpt_doc_need(d, vh + 2.5);
        double lh = rpt_text(d, &lst, RPT_MARGIN, d->y + (vs->size - lst.size) * 0.8, label_w - 8, RPT_LEFT, 2, label,
                             true);
        (void) rpt_text(d, vs, vx, d->y, vw, RPT_LEFT, max_lines, v, true);
        d->y += MAX(lh, vh) + 2.5;
}

int rpt_qr(struct rpt_doc *d, const char *text, double x, double y, double size) {
        QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!q)
                return errno == ENOMEM ? -ENOMEM : -EINVAL;
        int w = q->width, quiet = 4;
        double m = size / (w + 2 * quiet);

        rpt_rect(d, x, y, size, size, RPT_WHITE);
        cairo_set_source_rgb(d->cr, 0, 0, 0);
        for (int row = 0; row < w; row++)
                for (int col = 0; col < w;) {
                        if (!(q->data[row * w + col] & 1)) {
                                col++;
                                continue;
                        }
                        int start = col;
                        while (col < w && (q->data[row * w + col] & 1))
                                col++;
                        /* A hair wider than the module: no seams between runs. */
                        cairo_rectangle(d->cr, x + (quiet + start) * m, y + (quiet + row) * m, (col - start) * m,
                                        m + 0.02);
                }
        cairo_fill(d->cr);
        QRcode_free(q);
        return 0;
}

int rpt_logo_load(const char *path, cairo_surface_t **ret) {
        if (access(path, R_OK) < 0)
                return negative_errno();
        cairo_surface_t *s = cairo_image_surface_create_from_png(path);
        cairo_status_t st = cairo_surface_status(s);
        if (st != CAIRO_STATUS_SUCCESS) {
                cairo_surface_destroy(s);
                return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : st == CAIRO_STATUS_READ_ERROR ? -EIO : -EINVAL;
        }
        int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
        if (w < 1 || h < 1 || w > 4096 || h > 4096) {
                cairo_surface_destroy(s);
                return w < 1 || h < 1 ? -EINVAL : -EFBIG;
        }
        *ret = s;
        return 0;
}

double rpt_logo_draw(struct rpt_doc *d, cairo_surface_t *logo, double x, double y, double max_w, double max_h) {
        double w = cairo_image_surface_get_width(logo), h = cairo_image_surface_get_height(logo);
        double scale = MIN(max_w / w, max_h / h);

        cairo_save(d->cr);
        cairo_translate(d->cr, x, y);
        cairo_scale(d->cr, scale, scale);
        cairo_set_source_surface(d->cr, logo, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(d->cr), CAIRO_FILTER_GOOD);
        cairo_paint(d->cr);
        cairo_restore(d->cr);
        return w * scale;
}

void rpt_format_time(const char *iso, enum rf_lang lang, char *out, size_t outlen) {
        time_t t;
        struct tm tm;

        if (!iso || !*iso) {
                snprintf(out, outlen, "—");
                return;
        }
        if (rpt_iso_to_time(iso, &t) < 0 || !localtime_r(&t, &tm) ||
            strftime(out, outlen, RF_TR(lang, "%d/%m/%Y à %H:%M (%Z)", "%Y-%m-%d %H:%M (%Z)"), &tm) == 0) {
                _cleanup_free_ char *clean = rpt_clean(iso, 40);
                snprintf(out, outlen, "%s", clean ? clean : "?");
        }
}

void rpt_format_count(long long v, enum rf_lang lang, char *out, size_t outlen) {
        char digits[32], tmp[96];
        const char *sep = RF_TR(lang, "\u202f", ",");
        size_t n, pos = 0;

        snprintf(digits, sizeof(digits), "%lld", v < 0 ? 0 : v);
        n = strlen(digits);
        for (size_t i = 0; i < n && pos + 8 < sizeof(tmp); i++) {
                if (i > 0 && (n - i) % 3 == 0) {
                        memcpy(tmp + pos, sep, strlen(sep));
                        pos += strlen(sep);
                }
                tmp[pos++] = digits[i];
        }
        tmp[pos] = '\0';
        snprintf(out, outlen, "%s", tmp);
}

void rpt_release_caches(void) {
        pango_cairo_font_map_set_default(NULL);
        cairo_debug_reset_static_data();
        FcFini();
}
