/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report of one donation: counts, the table of drives, what to destroy. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rf-util.h"
#include "rpt-donation.h"
#include "rpt-draw.h"
#include "rpt-words.h"

#define LABEL_W 130.0
#define ROW_H 13.0

struct donation {
        struct rpt_doc doc;
        enum rf_lang lang;
        const json_t *donor, *drives;
        char reference[200];
};

static const struct rpt_style st_small = { RPT_FONT_SANS, 6.8, false, RPT_GREY };
static const struct rpt_style st_label = { RPT_FONT_SANS, 8.5, false, RPT_GREY };
static const struct rpt_style st_th = { RPT_FONT_SANS, 7.5, true, RPT_GREY };
static const struct rpt_style st_td = { RPT_FONT_SANS, 8, false, RPT_INK };
static const struct rpt_style st_td_mono = { RPT_FONT_MONO, 7.6, false, RPT_INK };

/* Columns of the table of drives. */
enum { COL_N, COL_TAG, COL_SERIAL, COL_MODEL, COL_RESULT, COL_CATEGORY, COL_CERT, N_COLS };
static const double col_w[N_COLS] = { 18, 76, 104, 142, 68, 48, RPT_CONTENT_W - 456 };

static bool drive_to_destroy(const json_t *drive) {
        return rf_streq_ptr(rpt_jstr(drive, "result"), "not-erased") ||
               json_is_true(json_object_get(drive, "to_destroy"));
}

static void format_date(const char *s, enum rf_lang lang, char *out, size_t outlen) {
        int y, m, dd;
        char tail;

        if (s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) == 3 && m >= 1 && m <= 12 &&
            dd >= 1 && dd <= 31) {
                if (lang == RF_LANG_FR)
                        snprintf(out, outlen, "%02d/%02d/%04d", dd, m, y);
                else
                        snprintf(out, outlen, "%04d-%02d-%02d", y, m, dd);
                return;
        }
        rpt_format_time(s, lang, out, outlen);
}

static void footer(struct rpt_doc *d, void *userdata) {
        const struct donation *dn = userdata;
        enum rf_lang lang = dn->lang;
        char text[600], page[32];
        double top = RPT_PAGE_H - RPT_MARGIN - RPT_FOOTER_H + 14;

        snprintf(text, sizeof(text),
                 RF_TR(lang,
                       "Don %s. Rapport établi d'après les certificats d'effacement signés par le banc : chaque disque "
                       "effacé a son certificat, qui seul fait foi ; « refurbctl cert verify ID » le vérifie, "
                       "« refurbctl cert pdf ID » l'imprime.",
                       "Donation %s. Report drawn from the erasure certificates signed by the bench: every erased "
                       "drive has its certificate, which alone is authoritative; 'refurbctl cert verify ID' checks "
                       "it, 'refurbctl cert pdf ID' prints it."),
                 dn->reference);
        snprintf(page, sizeof(page), "Page %d", d->page);
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, top - 6, 0.5, RPT_RULE);
        rpt_text(d, &st_small, RPT_MARGIN, top, RPT_CONTENT_W - 60, RPT_LEFT, 4, text, true);
        rpt_text(d, &st_small, RPT_PAGE_W - RPT_MARGIN - 55, top, 55, RPT_RIGHT, 1, page, true);
}

static void draw_header(struct donation *dn) {
        struct rpt_doc *d = &dn->doc;
        enum rf_lang lang = dn->lang;
        const struct rpt_style st_title = { RPT_FONT_SANS, 19, true, RPT_INK };
        const struct rpt_style st_org = { RPT_FONT_SANS, 12, true, RPT_ACCENT };
        char date[96];

        d->y += rpt_text(d, &st_org, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1,
                         RF_TR(lang, "Rapport de don", "Donation report"), true);
        d->y += 4;
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, d->y, 1.6, RPT_ACCENT);
        d->y += 12;
        d->y += rpt_text(d, &st_title, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 2,
                         RF_TR(lang, "Effacement des disques d'un don", "Erasure of the drives of a donation"), true);
        d->y += 6;
        format_date(rpt_jstr(dn->donor, "date"), lang, date, sizeof(date));
        rpt_section(d, RF_TR(lang, "Donateur", "Donor"));
        rpt_field(d, LABEL_W, "Organisation", rpt_jstr(dn->donor, "organisation"), 2, NULL);
        rpt_field(d, LABEL_W, "Contact", rpt_jstr(dn->donor, "contact"), 2, NULL);
        rpt_field(d, LABEL_W, RF_TR(lang, "Référence du don", "Donation reference"), rpt_jstr(dn->donor, "reference"),
                  1, NULL);
        rpt_field(d, LABEL_W, RF_TR(lang, "Date du don", "Donation date"), date, 1, NULL);
}

static void tile(struct rpt_doc *d, double x, double w, long long n, const char *label, struct rpt_rgb c) {
        const struct rpt_style st_n = { RPT_FONT_SANS, 20, true, c };
        const struct rpt_style st_l = { RPT_FONT_SANS, 8, false, RPT_GREY };
        char num[32];

        snprintf(num, sizeof(num), "%lld", n);
        rpt_rect(d, x, d->y, w, 52, (struct rpt_rgb) { 0.96, 0.97, 0.98 });
        rpt_rect(d, x, d->y, 3, 52, c);
        rpt_text(d, &st_n, x + 12, d->y + 7, w - 16, RPT_LEFT, 1, num, true);
        rpt_text(d, &st_l, x + 12, d->y + 35, w - 16, RPT_LEFT, 1, label, true);
}

static void draw_summary(struct donation *dn) {
        struct rpt_doc *d = &dn->doc;
        enum rf_lang lang = dn->lang;
        long long erased = 0, failed = 0, pending = 0, destroy = 0, purge = 0, clear = 0;
        size_t i, n = json_array_size(dn->drives);
        json_t *drive;
        char line[300];

        json_array_foreach(dn->drives, i, drive) {
                const char *result = rpt_jstr(drive, "result"), *cat = rpt_jstr(drive, "category");
                if (rf_streq_ptr(result, "erased"))
                        erased++;
                else if (rf_streq_ptr(result, "not-erased"))
                        failed++;
                else
                        pending++;
                destroy += drive_to_destroy(drive);
                if (rf_streq_ptr(result, "erased") && cat && strcasecmp(cat, "purge") == 0)
                        purge++;
                else if (rf_streq_ptr(result, "erased") && cat && strcasecmp(cat, "clear") == 0)
                        clear++;
        }
        rpt_section(d, RF_TR(lang, "En bref", "Summary"));
        rpt_doc_need(d, 80);
        double w = (RPT_CONTENT_W - 3 * 8) / 4;
        tile(d, RPT_MARGIN, w, (long long) n, RF_TR(lang, "disques reçus", "drives received"), RPT_ACCENT);
        tile(d, RPT_MARGIN + (w + 8), w, erased, RF_TR(lang, "effacés", "erased"), RPT_GREEN);
        tile(d, RPT_MARGIN + 2 * (w + 8), w, failed, RF_TR(lang, "non effacés", "not erased"), RPT_RED);
        tile(d, RPT_MARGIN + 3 * (w + 8), w, destroy, RF_TR(lang, "à détruire", "to destroy"), RPT_RED);
        d->y += 52 + 8;
        snprintf(line, sizeof(line),
                 RF_TR(lang, "Effacés selon NIST SP 800-88 : %lld en Purge (micrologiciel), %lld en Clear (réécriture)",
                       "Erased per NIST SP 800-88: %lld as Purge (firmware), %lld as Clear (overwrite)"),
                 purge, clear);
        if (pending > 0) {
                size_t k = strlen(line);
                snprintf(line + k, sizeof(line) - k, RF_TR(lang, " ; %lld en attente d'effacement", "; %lld awaiting erasure"),
                         pending);
        }
        d->y += rpt_text(d, &st_td, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 2, line, true) + 4;
}

static void table_head(struct donation *dn) {
        struct rpt_doc *d = &dn->doc;
        enum rf_lang lang = dn->lang;
        const char *head[N_COLS] = {
                "#",
                RF_TR(lang, "N° d'inventaire", "Asset tag"),
                RF_TR(lang, "N° de série", "Serial"),
                RF_TR(lang, "Modèle", "Model"),
                RF_TR(lang, "Résultat", "Result"),
                RF_TR(lang, "Catégorie", "Category"),
                RF_TR(lang, "Certificat", "Certificate"),
        };
        double x = RPT_MARGIN;

        for (int k = 0; k < N_COLS; k++) {
                rpt_text(d, &st_th, x, d->y, col_w[k] - 5, RPT_LEFT, 1, head[k], true);
                x += col_w[k];
        }
        d->y += 11;
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, d->y, 0.6, RPT_RULE);
        d->y += 3;
}

static void short_id(const char *id, char out[static 9]) {
        size_t n = id ? strlen(id) : 0;
        if (n >= 8 && strspn(id, "0123456789abcdefABCDEF-") == n)
                snprintf(out, 9, "%.8s", id);
        else
                snprintf(out, 9, "—");
}

static void draw_table(struct donation *dn) {
        struct rpt_doc *d = &dn->doc;
        enum rf_lang lang = dn->lang;
        size_t i;
        json_t *drive;

        rpt_section(d, RF_TR(lang, "Disques", "Drives"));
        if (json_array_size(dn->drives) == 0) {
                d->y += rpt_text(d, &st_td, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1,
                                 RF_TR(lang, "Aucun disque dans ce don.", "No drive in this donation."), true);
                return;
        }
        table_head(dn);
        json_array_foreach(dn->drives, i, drive) {
                char num[24], cert[9];
                const char *result = rpt_jstr(drive, "result");
                struct rpt_rgb c = rpt_result_erased(result)              ? RPT_GREEN
                                   : rf_streq_ptr(result, "not-erased") ? RPT_RED
                                                                         : RPT_GREY;
                const struct rpt_style st_res = { RPT_FONT_SANS, 8, true, c };

                if (rpt_doc_need(d, ROW_H))
                        table_head(dn);
                snprintf(num, sizeof(num), "%zu", i + 1);
                short_id(rpt_jstr(drive, "certificate_id"), cert);
                const char *cat = rpt_jstr(drive, "category");
                const char *cells[N_COLS] = {
                        num,
                        rpt_jstr(drive, "asset_tag"),
                        rpt_jstr(drive, "serial"),
                        rpt_jstr(drive, "model"),
                        rpt_result_words(result, lang),
                        cat ? rpt_category_words(cat, lang) : NULL,
                        cert,
                };
                if (i % 2 == 1)
                        rpt_rect(d, RPT_MARGIN, d->y - 2, RPT_CONTENT_W, ROW_H, (struct rpt_rgb) { 0.96, 0.96, 0.97 });
                double x = RPT_MARGIN;
                for (int k = 0; k < N_COLS; k++) {
                        const struct rpt_style *st = k == COL_RESULT                     ? &st_res
                                                     : k == COL_SERIAL || k == COL_CERT ? &st_td_mono
                                                                                         : &st_td;
                        rpt_text(d, st, x, d->y + (st == &st_td_mono ? 0.5 : 0), col_w[k] - 5, RPT_LEFT, 1,
                                 cells[k] && *cells[k] ? cells[k] : "—", true);
                        x += col_w[k];
                }
                if (json_is_true(json_object_get(drive, "to_destroy")) && rpt_result_erased(result)) {
                        const struct rpt_style st_flag = { RPT_FONT_SANS, 8, true, RPT_RED };
                        rpt_text(d, &st_flag, RPT_MARGIN + col_w[COL_N] - 9, d->y, 8, RPT_LEFT, 1, "!", true);
                }
                d->y += ROW_H;
        }
}

static void draw_destroy(struct donation *dn) {
        struct rpt_doc *d = &dn->doc;
        enum rf_lang lang = dn->lang;
        const struct rpt_style st_item = { RPT_FONT_SANS, 9, true, RPT_INK };
        const struct rpt_style st_why = { RPT_FONT_SANS, 8.5, false, RPT_RED };
        size_t i, count = 0;
        json_t *drive;

        rpt_section(d, RF_TR(lang, "Disques à détruire physiquement", "Drives to destroy physically"));
        json_array_foreach(dn->drives, i, drive) {
                char line[700], why[200];
                if (!drive_to_destroy(drive))
                        continue;
                const char *tag = rpt_jstr(drive, "asset_tag"), *serial = rpt_jstr(drive, "serial");
                const char *model = rpt_jstr(drive, "model");
                snprintf(line, sizeof(line), RF_TR(lang, "%.100s — n° de série %.200s — %.200s", "%.100s — serial %.200s — %.200s"),
                         tag && *tag ? tag : "—", serial && *serial ? serial : "?", model && *model ? model : "?");
                bool failed = rf_streq_ptr(rpt_jstr(drive, "result"), "not-erased");
                bool broken = json_is_true(json_object_get(drive, "to_destroy"));
                snprintf(why, sizeof(why), "%s%s%s", failed ? RF_TR(lang, "effacement impossible", "could not be erased") : "",
                         failed && broken ? " ; " : "",
                         broken ? RF_TR(lang, "le disque signale une panne", "the drive reports a failure") : "");
                double h1 = rpt_text(d, &st_item, RPT_MARGIN + 14, 0, RPT_CONTENT_W - 14, RPT_LEFT, 2, line, false);
                rpt_doc_need(d, h1 + 14);
                rpt_frame(d, RPT_MARGIN + 1, d->y + 2, 7, 7, 0.8, RPT_INK); /* a box to tick when done */
                d->y += rpt_text(d, &st_item, RPT_MARGIN + 14, d->y, RPT_CONTENT_W - 14, RPT_LEFT, 2, line, true);
                d->y += rpt_text(d, &st_why, RPT_MARGIN + 14, d->y, RPT_CONTENT_W - 14, RPT_LEFT, 1, why, true) + 5;
                count++;
        }
        if (count == 0)
                d->y += rpt_text(d, &st_td, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1,
                                 RF_TR(lang, "Aucun disque à détruire.", "No drive to destroy."), true) + 4;
        else
                d->y += rpt_text(d, &st_label, RPT_MARGIN, d->y + 2, RPT_CONTENT_W, RPT_LEFT, 3,
                                 RF_TR(lang,
                                       "Ces disques peuvent encore contenir des données : ils ne doivent pas être "
                                       "réemployés ni quitter l'atelier avant leur destruction physique.",
                                       "These drives may still hold data: they must not be reused nor leave the "
                                       "workshop before their physical destruction."),
                                 true) + 6;
}

static void draw_validation(struct donation *dn) {
        struct rpt_doc *d = &dn->doc;
        enum rf_lang lang = dn->lang;
        const struct rpt_style st_box = { RPT_FONT_SANS, 9.5, true, RPT_INK };
        double bh = 84, col = (RPT_CONTENT_W - 20) / 3;

        rpt_doc_need(d, bh + 16);
        d->y += 10;
        double y = d->y;
        rpt_frame(d, RPT_MARGIN, y, RPT_CONTENT_W, bh, 0.8, RPT_GREY);
        rpt_text(d, &st_box, RPT_MARGIN + 10, y + 8, RPT_CONTENT_W - 20, RPT_LEFT, 1,
                 RF_TR(lang, "Validation par un responsable", "Validation by a supervisor"), true);
        const char *cells[3] = { RF_TR(lang, "Nom", "Name"), "Date", "Signature" };
        for (int k = 0; k < 3; k++) {
                double x = RPT_MARGIN + 10 + k * col;
                rpt_text(d, &st_label, x, y + 28, col - 12, RPT_LEFT, 1, cells[k], true);
                rpt_hline(d, x, x + col - 14, y + bh - 14, 0.6, RPT_GREY);
        }
        d->y = y + bh + 6;
}

int rpt_donation_pdf_mem(const json_t *report, enum rf_lang lang, char **ret, size_t *ret_len) {
        struct donation dn = { .lang = lang };
        size_t i;
        json_t *drive;
        char title[300];
        int r;

        if (!ret || !ret_len)
                return -EINVAL;
        dn.donor = rpt_jobj(report, "donor");
        dn.drives = json_is_object(report) ? json_object_get(report, "drives") : NULL;
        if (!dn.donor || !json_is_array(dn.drives))
                return -EINVAL;
        if (json_array_size(dn.drives) > RPT_DONATION_MAX_DRIVES)
                return -E2BIG;
        json_array_foreach(dn.drives, i, drive)
                if (!json_is_object(drive))
                        return -EINVAL;
        _cleanup_free_ char *ref = rpt_clean(rpt_jstr(dn.donor, "reference"), 60);
        if (!ref)
                return -ENOMEM;
        snprintf(dn.reference, sizeof(dn.reference), "%s", *ref ? ref : "—");

        snprintf(title, sizeof(title), RF_TR(lang, "Rapport de don %s", "Donation report %s"), dn.reference);
        r = rpt_doc_open(&dn.doc, lang, title, rpt_jstr(dn.donor, "organisation"), NULL);
        if (r >= 0) {
                dn.doc.footer = footer;
                dn.doc.footer_data = &dn;
                snprintf(dn.doc.running_head, sizeof(dn.doc.running_head),
                         RF_TR(lang, "Rapport de don %s (suite)", "Donation report %s (continued)"), dn.reference);
                draw_header(&dn);
                draw_summary(&dn);
                draw_table(&dn);
                draw_destroy(&dn);
                draw_validation(&dn);
                r = rpt_doc_finish(&dn.doc, ret, ret_len);
        }
        rpt_doc_close(&dn.doc);
        return r;
}

int rpt_donation_pdf(const json_t *report, enum rf_lang lang, const char *out_path) {
        _cleanup_free_ char *pdf = NULL;
        size_t len = 0;

        if (!out_path)
                return -EINVAL;
        int r = rpt_donation_pdf_mem(report, lang, &pdf, &len);
        if (r < 0)
                return r;
        return rf_write_file_atomic(out_path, pdf, len, 0644);
}
