/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* First: glib redefines MIN/MAX (after #undef); the reverse order warns. */
#include "rf-macro.h"

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "rf-i18n.h"

/* A4 documents drawn with cairo (PDF surface) and pango, shared by the
 * erasure certificate and the donation report. Text is always laid out as
 * plain text (never Pango markup): whatever a string holds, it is shown,
 * not interpreted. Every string is cleaned first (valid UTF-8, control
 * characters shown as spaces, length capped). */

/* The fonts: DejaVu, from the Debian package fonts-dejavu-core, named
 * explicitly so that the result does not depend on fontconfig's default. */
#define RPT_FONT_SANS "DejaVu Sans"
#define RPT_FONT_MONO "DejaVu Sans Mono"

/* A4 in points; margins. */
#define RPT_PAGE_W 595.2756
#define RPT_PAGE_H 841.8898
#define RPT_MARGIN 42.0
#define RPT_CONTENT_W (RPT_PAGE_W - 2 * RPT_MARGIN)
/* Room kept at the bottom of every page for the footer. */
#define RPT_FOOTER_H 54.0
#define RPT_BOTTOM (RPT_PAGE_H - RPT_MARGIN - RPT_FOOTER_H)

/* Longest text laid out at once, and longest value of a field (label and
 * value rows), in characters. */
#define RPT_MAX_TEXT 1500
#define RPT_MAX_FIELD 300

struct rpt_rgb {
        double r, g, b;
};

#define RPT_INK ((struct rpt_rgb) { 0.10, 0.11, 0.13 })
#define RPT_GREY ((struct rpt_rgb) { 0.38, 0.40, 0.44 })
#define RPT_RULE ((struct rpt_rgb) { 0.78, 0.80, 0.83 })
#define RPT_ACCENT ((struct rpt_rgb) { 0.09, 0.29, 0.47 })
#define RPT_GREEN ((struct rpt_rgb) { 0.09, 0.50, 0.24 })
#define RPT_RED ((struct rpt_rgb) { 0.75, 0.12, 0.12 })
#define RPT_AMBER ((struct rpt_rgb) { 0.66, 0.40, 0.00 })
#define RPT_WHITE ((struct rpt_rgb) { 1, 1, 1 })

struct rpt_style {
        const char *family;
        double size; /* points */
        bool bold;
        struct rpt_rgb colour;
};

enum rpt_align {
        RPT_LEFT = 0,
        RPT_CENTER,
        RPT_RIGHT,
};

struct rpt_doc;
/* Draws the footer of the page being finished (d->page is its number). */
typedef void (*rpt_footer_fn)(struct rpt_doc *d, void *userdata);

struct rpt_doc {
        cairo_surface_t *surface;
        cairo_t *cr;
        PangoContext *pango;
        enum rf_lang lang;
        double y;  /* cursor: top of the next element, points from the top */
        int page;  /* 1-based */
        rpt_footer_fn footer;
        void *footer_data;
        char running_head[200]; /* at the top of the pages after the first */
        int write_error; /* first error of the output stream, negative errno */
        char *buf;       /* the PDF bytes */
        size_t len, cap;
};

/* Start a PDF in memory. title/subject/author go into the PDF metadata
 * (cleaned); create_date is an ISO 8601 time or NULL: given, the PDF does
 * not depend on when it was drawn. */
int rpt_doc_open(struct rpt_doc *d, enum rf_lang lang, const char *title, const char *author, const char *create_date);
/* Finish the last page and the document; *ret (malloc'd) and *ret_len get
 * the PDF bytes. */
int rpt_doc_finish(struct rpt_doc *d, char **ret, size_t *ret_len);
void rpt_doc_close(struct rpt_doc *d);

/* Start a new page when less than h points are left above the footer.
 * Returns true when it did. */
bool rpt_doc_need(struct rpt_doc *d, double h);

/* s cleaned for display (malloc'd; NULL when out of memory): invalid UTF-8
 * replaced, control characters (C0, DEL, C1, line and paragraph separators,
 * bidirectional overrides) as spaces, at most max characters ("…" at the
 * end when cut). NULL s gives "". */
char *rpt_clean(const char *s, size_t max);

/* Draw text (cleaned) at x, y (top left) in a box width wide; at most
 * max_lines lines (0: no limit), the last one ends with "…" when the text
 * is longer. Returns the height used. draw=false only measures. */
double rpt_text(struct rpt_doc *d, const struct rpt_style *st, double x, double y, double width, enum rpt_align align,
                int max_lines, const char *text, bool draw);

void rpt_set_colour(cairo_t *cr, struct rpt_rgb c);
void rpt_hline(struct rpt_doc *d, double x0, double x1, double y, double width, struct rpt_rgb c);
void rpt_rect(struct rpt_doc *d, double x, double y, double w, double h, struct rpt_rgb fill);
void rpt_frame(struct rpt_doc *d, double x, double y, double w, double h, double line, struct rpt_rgb c);

/* A section title with a rule under it; moves the cursor. */
void rpt_section(struct rpt_doc *d, const char *title);
/* "label   value" with labels in a column label_w wide; value wraps on at
 * most max_lines lines. Moves the cursor. value NULL or "" shows "—". */
void rpt_field(struct rpt_doc *d, double label_w, const char *label, const char *value, int max_lines,
               const struct rpt_style *value_style);

/* A QR code (error correction M, 8-bit mode) of text, size points wide,
 * quiet zone included. -EINVAL when it cannot be encoded. */
int rpt_qr(struct rpt_doc *d, const char *text, double x, double y, double size);

/* Load a PNG logo: -ENOENT / -EIO / -EINVAL (not a PNG) / -EFBIG (larger
 * than 4096 pixels on a side). */
int rpt_logo_load(const char *path, cairo_surface_t **ret);
/* Draw it scaled into the box (aspect kept, top left); returns the width used. */
double rpt_logo_draw(struct rpt_doc *d, cairo_surface_t *logo, double x, double y, double max_w, double max_h);

/* "22/11/2026 03:10 (CET)" (fr) or "2026-11-22 03:10 (CET)" (en) in local
 * time, from ISO 8601 UTC; "—" when NULL, the cleaned text when it is not
 * a time. */
void rpt_format_time(const char *iso, enum rf_lang lang, char *out, size_t outlen);
/* Free the process-wide caches of pango, fontconfig and cairo, so that a
 * leak checker sees only real leaks. Call once at exit, when no document is
 * being drawn (tests, rpt-bench); a later document would rebuild them. */
void rpt_release_caches(void);

/* Strict "YYYY-MM-DDTHH:MM:SSZ" (what certificates hold) -> time; -EINVAL. */
int rpt_iso_to_time(const char *iso, time_t *ret);
/* 500107862016 -> "500 107 862 016" (narrow no-break spaces in French,
 * commas in English). */
void rpt_format_count(long long v, enum rf_lang lang, char *out, size_t outlen);

DEFINE_TRIVIAL_CLEANUP_FUNC(cairo_surface_t *, cairo_surface_destroy)
