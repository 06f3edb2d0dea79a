/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisor's box: signed validations, or lines to sign by hand. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rf-util.h"
#include "rpt-validation.h"
#include "rpt-words.h"

#define VALIDATION_FORMAT "refurb-validation/1"
/* Validations listed one by one; the others are counted. */
#define MAX_SHOWN 4

static bool applies(const json_t *v, const char *cert_id, const char *sha256) {
        const char *sha = rpt_jstr(v, "certificate_sha256");
        return json_is_object(v) && rf_streq_ptr(rpt_jstr(v, "format"), VALIDATION_FORMAT) &&
               rf_streq_ptr(rpt_jstr(v, "certificate_id"), cert_id) && sha && sha256 && strcasecmp(sha, sha256) == 0 &&
               rpt_jstr(rpt_jobj(v, "validated_by"), "name");
}

static void validation_line(const json_t *v, enum rf_lang lang, char *out, size_t outlen) {
        const json_t *by = rpt_jobj(v, "validated_by");
        const char *name = rpt_jstr(by, "name"), *title = rpt_jstr(by, "title");
        const char *at = rpt_jstr(v, "validated_at");
        char date[96];

        rpt_format_time(at ? at : rpt_jstr(v, "issued_at"), lang, date, sizeof(date));
        if (title && *title)
                snprintf(out, outlen, RF_TR(lang, "Validé par %.200s (%.200s) le %s", "Validated by %.200s (%.200s) on %s"),
                         name, title, date);
        else
                snprintf(out, outlen, RF_TR(lang, "Validé par %.200s le %s", "Validated by %.200s on %s"), name, date);
}

double rpt_validation_box(struct rpt_doc *d, const json_t *validations, const char *cert_id, const char *sha256,
                          bool draw) {
        enum rf_lang lang = d->lang;
        const struct rpt_style st_box = { RPT_FONT_SANS, 9.5, true, RPT_INK };
        const struct rpt_style st_line = { RPT_FONT_SANS, 9, true, RPT_INK };
        const struct rpt_style st_note = { RPT_FONT_SANS, 6.8, false, RPT_GREY };
        const struct rpt_style st_label = { RPT_FONT_SANS, 8.5, false, RPT_GREY };
        const double x = RPT_MARGIN + 10, w = RPT_CONTENT_W - 20, y0 = d->y;
        size_t i, n = 0;
        json_t *v;

        json_array_foreach(validations, i, v)
                if (applies(v, cert_id, sha256))
                        n++;

        if (n == 0) {
                double bh = 64, col = w / 3;
                if (!draw)
                        return bh;
                rpt_frame(d, RPT_MARGIN, y0, RPT_CONTENT_W, bh, 0.8, RPT_GREY);
                rpt_text(d, &st_box, x, y0 + 8, w, RPT_LEFT, 1,
                         RF_TR(lang, "Validation par un responsable", "Validation by a supervisor"), true);
                const char *cells[3] = { RF_TR(lang, "Nom", "Name"), "Date", "Signature" };
                for (int k = 0; k < 3; k++) {
                        double cx = x + k * col;
                        rpt_text(d, &st_label, cx, y0 + 28, col - 12, RPT_LEFT, 1, cells[k], true);
                        rpt_hline(d, cx, cx + col - 14, y0 + bh - 12, 0.6, RPT_GREY);
                }
                return bh;
        }

        double y = y0 + 8;
        y += rpt_text(d, &st_box, x, y, w, RPT_LEFT, 1, RF_TR(lang, "Validation par un responsable", "Validation by a supervisor"),
                      draw) + 6;
        size_t shown = 0;
        json_array_foreach(validations, i, v) {
                char line[700], note[200];
                if (!applies(v, cert_id, sha256))
                        continue;
                if (shown++ >= MAX_SHOWN)
                        break;
                validation_line(v, lang, line, sizeof(line));
                y += rpt_text(d, &st_line, x, y, w, RPT_LEFT, 2, line, draw) + 1;
                const char *vid = rpt_jstr(v, "id");
                snprintf(note, sizeof(note),
                         RF_TR(lang, "déclaration %.64s, enregistrée et signée par le banc",
                               "statement %.64s, recorded and signed by the bench"),
                         vid ? vid : "?");
                y += rpt_text(d, &st_note, x, y, w, RPT_LEFT, 1, note, draw) + 4;
        }
        if (n > MAX_SHOWN) {
                char more[160];
                snprintf(more, sizeof(more),
                         RF_TR(lang, "… et %zu autres validations, dans le registre du banc.",
                               "… and %zu more validations, in the bench's ledger."),
                         n - MAX_SHOWN);
                y += rpt_text(d, &st_note, x, y, w, RPT_LEFT, 1, more, draw) + 4;
        }
        double bh = y - y0 + 4;
        if (draw)
                rpt_frame(d, RPT_MARGIN, y0, RPT_CONTENT_W, bh, 0.8, RPT_GREY);
        return bh;
}
