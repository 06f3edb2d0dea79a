/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The header shared by every sheet. */
#include "rpt-header.h"

#include <stdio.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rpt-cert.h"
#include "rpt-validation.h"
#include "rpt-words.h"

void rpt_page_header(struct rpt_doc *d, const json_t *root, cairo_surface_t *logo, enum rf_lang lang,
                     const char *org_default, bool show_host, const char *title, const char *subtitle) {
        const json_t *bench = rpt_jobj(root, "bench");
        const struct rpt_style st_org = { RPT_FONT_SANS, 13, true, RPT_INK };
        const struct rpt_style st_title = { RPT_FONT_SANS, 18, true, RPT_INK };
        const struct rpt_style st_bold = { RPT_FONT_SANS, 9, true, RPT_INK };
        const struct rpt_style st_label = { RPT_FONT_SANS, 8.5, false, RPT_GREY };
        double x = RPT_MARGIN, y = d->y, h = 0;
        char line[400], issued[96], seq[48] = "?";
        long long v;

        if (logo) {
                x += rpt_logo_draw(d, logo, x, y, 110, 46) + 12;
                h = 46;
        }
        double right_w = 170, text_w = RPT_PAGE_W - RPT_MARGIN - right_w - x - 10;
        const char *org = rpt_jstr(bench, "organisation");
        double th = rpt_text(d, &st_org, x, y, text_w, RPT_LEFT, 2, org ? org : org_default, true);
        const char *name = rpt_jstr(bench, "name"), *host = rpt_jstr(bench, "hostname");
        const char *loc = rpt_jstr(bench, "location");
        bool other_host = show_host && host && !rf_streq_ptr(host, name);
        snprintf(line, sizeof(line), RF_TR(lang, "Banc %.100s%s%.100s%s%s%.100s", "Bench %.100s%s%.100s%s%s%.100s"),
                 name ? name : "?", other_host ? " (" : "", other_host ? host : "", other_host ? ")" : "",
                 loc ? " · " : "", loc ? loc : "");
        th += rpt_text(d, &st_label, x, y + th + 1, text_w, RPT_LEFT, 2, line, true) + 1;

        if (rpt_jint(root, "sequence", &v))
                snprintf(seq, sizeof(seq), "%lld", v);
        snprintf(line, sizeof(line), RF_TR(lang, "Certificat n° %s", "Certificate no. %s"), seq);
        double rh = rpt_text(d, &st_bold, RPT_PAGE_W - RPT_MARGIN - right_w, y, right_w, RPT_RIGHT, 1, line, true);
        rpt_format_time(rpt_jstr(root, "issued_at"), lang, issued, sizeof(issued));
        snprintf(line, sizeof(line), RF_TR(lang, "émis le %s", "issued %s"), issued);
        rh += rpt_text(d, &st_label, RPT_PAGE_W - RPT_MARGIN - right_w, y + rh + 1, right_w, RPT_RIGHT, 2, line, true);

        d->y = y + MAX(h, MAX(th, rh)) + 6;
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, d->y, 1.6, RPT_ACCENT);
        d->y += 10;
        d->y += rpt_text(d, &st_title, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1, title, true);
        d->y += 2;
        d->y += rpt_text(d, &st_label, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 2, subtitle, true);
        d->y += 10;
}

int rpt_page_record(struct rpt_doc *d, const json_t *root, const json_t *validations, const char *id,
                    const char *sha256, enum rf_lang lang, const char *last_label, const char *last_value,
                    const char *qr_note) {
        const struct rpt_style st_small = { RPT_FONT_SANS, 6.8, false, RPT_GREY };
        const struct rpt_style st_mono = { RPT_FONT_MONO, 7.2, false, RPT_INK };
        const struct rpt_style st_label = { RPT_FONT_SANS, 8.5, false, RPT_GREY };
        const double qr = 100, label_w = 108, vw = RPT_CONTENT_W - qr - label_w - 10;
        char qr_text[160], seq[32] = "?";
        long long v;

        double bh = rpt_validation_box(d, validations, id, sha256, false);
        rpt_doc_need(d, 28 + qr + 4 + bh + 6);
        rpt_section(d, RF_TR(lang, "Référence du certificat électronique", "Electronic certificate reference"));
        double top = d->y;
        snprintf(qr_text, sizeof(qr_text), RPT_QR_PREFIX "%s:%s", id, sha256);
        int r = rpt_qr(d, qr_text, RPT_PAGE_W - RPT_MARGIN - qr + 4, top - 2, qr);
        if (r < 0)
                return r;
        if (rpt_jint(root, "sequence", &v))
                snprintf(seq, sizeof(seq), "%lld", v);
        const char *rows[][2] = {
                { RF_TR(lang, "Identifiant", "Identifier"), id },
                { RF_TR(lang, "Numéro d'ordre", "Sequence number"), seq },
                { RF_TR(lang, "SHA-256 du document", "Document SHA-256"), sha256 },
                { RF_TR(lang, "Signataire (SHA-256)", "Signer (SHA-256)"),
                  rpt_jstr(rpt_jobj(root, "bench"), "signer_sha256") },
                { last_label, last_value },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const char *val = rows[i][1] && *rows[i][1] ? rows[i][1] : "—";
                double h = rpt_text(d, &st_mono, RPT_MARGIN + label_w, d->y + 0.5, vw, RPT_LEFT, 2, val, true);
                rpt_text(d, &st_label, RPT_MARGIN, d->y, label_w - 6, RPT_LEFT, 1, rows[i][0], true);
                d->y += MAX(h, 10.0) + 4;
        }
        if (qr_note) {
                rpt_text(d, &st_small, RPT_MARGIN + label_w, d->y + 2, vw, RPT_LEFT, 3, qr_note, true);
                d->y = MAX(d->y + 24, top + qr);
        } else
                d->y = MAX(d->y + 8, top + qr);

        /* The supervisor's validation: signed statements, or by hand. */
        rpt_validation_box(d, validations, id, sha256, true);
        d->y += bh + 6;
        return 0;
}
