/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The refurbishment certificate of an asset as an A4 PDF, from the signed
 * JSON text only (docs/intake.md, docs/certificate-pdf.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rf-json.h"
#include "rf-util.h"
#include "rpt-cert.h"
#include "rpt-draw.h"
#include "rpt-header.h"
#include "rpt-refurb.h"
#include "rpt-validation.h"
#include "rpt-words.h"

/* Drives listed one by one; the others are counted. */
#define MAX_DRIVES_SHOWN 60
#define LABEL_W 140.0

struct refurb {
        struct rpt_doc doc;
        enum rf_lang lang;
        const json_t *root;
        const char *id; /* checked: hex digits and '-' */
        char sha256[65];
        cairo_surface_t *logo;
        const json_t *validations;
};

static const struct rpt_style st_small = { RPT_FONT_SANS, 6.8, false, RPT_GREY };
static const struct rpt_style st_bold = { RPT_FONT_SANS, 9, true, RPT_INK };
static const struct rpt_style st_mono = { RPT_FONT_MONO, 7.2, false, RPT_INK };
static const struct rpt_style st_label = { RPT_FONT_SANS, 8.5, false, RPT_GREY };

static bool id_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        return n >= 4 && n <= 64 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

static void footer(struct rpt_doc *d, void *userdata) {
        const struct refurb *c = userdata;
        enum rf_lang lang = c->lang;
        char text[900], page[32];
        double top = RPT_PAGE_H - RPT_MARGIN - RPT_FOOTER_H + 14;

        snprintf(text, sizeof(text),
                 RF_TR(lang,
                       "Ce document reproduit le certificat de reconditionnement électronique %s, signé par le banc ; "
                       "seul le certificat électronique fait foi. Pour le vérifier : refurbctl cert verify %s. Chaque "
                       "disque y est désigné par l'empreinte SHA-256 de son certificat d'effacement.",
                       "This document reproduces the electronic refurbishment certificate %s, signed by the bench; "
                       "only the electronic certificate is authoritative. To check it: refurbctl cert verify %s. Each "
                       "drive is named there by the SHA-256 of its erasure certificate."),
                 c->id, c->id);
        snprintf(page, sizeof(page), "Page %d", d->page);
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, top - 6, 0.5, RPT_RULE);
        rpt_text(d, &st_small, RPT_MARGIN, top, RPT_CONTENT_W - 60, RPT_LEFT, 5, text, true);
        rpt_text(d, &st_small, RPT_PAGE_W - RPT_MARGIN - 55, top, 55, RPT_RIGHT, 1, page, true);
}

static void draw_header(struct refurb *c) {
        enum rf_lang lang = c->lang;
        rpt_page_header(&c->doc, c->root, c->logo, lang, RF_TR(lang, "Atelier", "Workshop"), false,
                        RF_TR(lang, "Certificat de reconditionnement", "Refurbishment certificate"),
                        RF_TR(lang, "Établi d'après le certificat électronique signé par le banc : l'appareil, ses "
                                    "disques et l'effacement de chacun.",
                              "Drawn from the electronic certificate signed by the bench: the device, its drives and "
                              "the erasure of each."));
}

static void draw_result(struct refurb *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const char *result = rpt_jstr(c->root, "result");
        bool erased = rpt_result_erased(result);
        const struct rpt_style st_result = { RPT_FONT_SANS, 16, true, RPT_WHITE };
        const struct rpt_style st_reason = { RPT_FONT_SANS, 9, false, RPT_INK };
        const char *why = erased ? RF_TR(lang, "Tous les disques de l'appareil ont été effacés.",
                                         "Every drive of the device was erased.")
                                 : RF_TR(lang, "Au moins un disque de l'appareil n'a pas été effacé : voir la liste.",
                                         "At least one drive of the device was not erased: see the list.");
        double h = 34, left_w = 190;

        rpt_doc_need(d, h);
        rpt_rect(d, RPT_MARGIN, d->y, RPT_CONTENT_W,
                 h, erased ? (struct rpt_rgb) { 0.91, 0.96, 0.92 } : (struct rpt_rgb) { 0.99, 0.92, 0.92 });
        rpt_rect(d, RPT_MARGIN, d->y, left_w, h, erased ? RPT_GREEN : RPT_RED);
        double wh = rpt_text(d, &st_result, RPT_MARGIN, 0, left_w, RPT_CENTER, 1, rpt_result_words(result, lang), false);
        rpt_text(d, &st_result, RPT_MARGIN, d->y + (h - wh) / 2, left_w, RPT_CENTER, 1, rpt_result_words(result, lang),
                 true);
        double th = rpt_text(d, &st_reason, 0, 0, RPT_CONTENT_W - left_w - 20, RPT_LEFT, 2, why, false);
        rpt_text(d, &st_reason, RPT_MARGIN + left_w + 10, d->y + (h - th) / 2, RPT_CONTENT_W - left_w - 20, RPT_LEFT, 2,
                 why, true);
        d->y += h + 8;
}

static const char *type_words(const char *type, enum rf_lang lang) {
        if (rf_streq_ptr(type, "desktop"))
                return RF_TR(lang, "ordinateur de bureau", "desktop computer");
        if (rf_streq_ptr(type, "laptop"))
                return RF_TR(lang, "ordinateur portable", "laptop");
        if (rf_streq_ptr(type, "drive"))
                return RF_TR(lang, "disque seul", "loose drive");
        return type;
}

static void draw_asset(struct refurb *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const json_t *a = rpt_jobj(c->root, "asset"), *donor = rpt_jobj(c->root, "donor");
        const struct rpt_style st_tag = { RPT_FONT_MONO, 11, true, RPT_INK };
        char line[600];

        rpt_section(d, RF_TR(lang, "Appareil", "Device"));
        rpt_field(d, LABEL_W, RF_TR(lang, "Numéro d'inventaire", "Asset tag"), rpt_jstr(a, "tag"), 1, &st_tag);
        rpt_field(d, LABEL_W, "Type", type_words(rpt_jstr(a, "type"), lang), 1, NULL);
        const char *maker = rpt_jstr(a, "maker"), *model = rpt_jstr(a, "model");
        snprintf(line, sizeof(line), "%.200s%s%.200s", maker ? maker : "", maker && model ? " " : "", model ? model : "");
        rpt_field(d, LABEL_W, RF_TR(lang, "Fabricant et modèle", "Make and model"), line, 2, &st_bold);
        rpt_field(d, LABEL_W, RF_TR(lang, "Numéro de série", "Serial number"), rpt_jstr(a, "serial"), 1, NULL);
        if (rpt_jstr(a, "grade"))
                rpt_field(d, LABEL_W, "Grade", rpt_jstr(a, "grade"), 1, NULL);
        if (rpt_jstr(a, "destination"))
                rpt_field(d, LABEL_W, "Destination", rpt_jstr(a, "destination"), 1, NULL);
        if (donor) {
                const char *org = rpt_jstr(donor, "organisation"), *ref = rpt_jstr(donor, "reference");
                snprintf(line, sizeof(line), "%.200s%s%.64s%s", org ? org : "?", ref ? " (" : "", ref ? ref : "",
                         ref ? ")" : "");
        }
        else
                snprintf(line, sizeof(line), "%s", RF_TR(lang, "aucun", "none"));
        rpt_field(d, LABEL_W, RF_TR(lang, "Donateur", "Donor"), line, 2, NULL);
        const json_t *image = json_object_get(c->root, "image");
        if (!image || json_is_null(image))
                snprintf(line, sizeof(line), "%s", RF_TR(lang, "aucune image écrite", "no image written"));
        else if (json_is_string(image))
                snprintf(line, sizeof(line), "%.300s", json_string_value(image));
        else {
                const char *iname = rpt_jstr(image, "name"), *iversion = rpt_jstr(image, "version");
                snprintf(line, sizeof(line), "%.200s%s%.60s", iname ? iname : "?", iversion ? " " : "",
                         iversion ? iversion : "");
        }
        rpt_field(d, LABEL_W, RF_TR(lang, "Image système", "System image"), line, 2, NULL);
}

static void draw_drives(struct refurb *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const json_t *drives = json_object_get(c->root, "drives");
        size_t n = json_array_size(drives), i;
        const double cx[4] = { RPT_MARGIN, RPT_MARGIN + 130, RPT_MARGIN + 262, RPT_MARGIN + 410 };
        const double cw[4] = { 125, 126, 144, RPT_CONTENT_W - 410 };
        const struct rpt_style st_th = { RPT_FONT_SANS, 7.5, true, RPT_GREY };
        const struct rpt_style st_td = { RPT_FONT_SANS, 8, false, RPT_INK };
        const struct rpt_style st_serial = { RPT_FONT_MONO, 8, true, RPT_INK };
        const struct rpt_style st_bad = { RPT_FONT_SANS, 8, true, RPT_RED };
        char title[96];
        json_t *e;

        snprintf(title, sizeof(title), RF_TR(lang, "Disques (%zu)", "Drives (%zu)"), n);
        rpt_section(d, title);
        if (n == 0) {
                d->y += rpt_text(d, &st_label, RPT_MARGIN, d->y, RPT_CONTENT_W, RPT_LEFT, 1,
                                 RF_TR(lang, "aucun disque", "no drive"), true) + 4;
                return;
        }
        const char *head[4] = { RF_TR(lang, "Numéro de série", "Serial number"), RF_TR(lang, "Modèle", "Model"),
                                RF_TR(lang, "Résultat", "Result"), RF_TR(lang, "Catégorie", "Category") };
        for (int k = 0; k < 4; k++)
                rpt_text(d, &st_th, cx[k], d->y, cw[k], RPT_LEFT, 1, head[k], true);
        d->y += 12;
        json_array_foreach(drives, i, e) {
                char line[300];
                if (i >= MAX_DRIVES_SHOWN)
                        break;
                if (rpt_doc_need(d, 34)) {
                        for (int k = 0; k < 4; k++)
                                rpt_text(d, &st_th, cx[k], d->y, cw[k], RPT_LEFT, 1, head[k], true);
                        d->y += 12;
                }
                const char *result = rpt_jstr(e, "result");
                bool ok = rpt_result_erased(result) && !json_is_true(json_object_get(e, "to_destroy"));
                if (i % 2 == 0)
                        rpt_rect(d, RPT_MARGIN, d->y - 1.5, RPT_CONTENT_W, 31, (struct rpt_rgb) { 0.96, 0.96, 0.97 });
                rpt_text(d, &st_serial, cx[0], d->y, cw[0], RPT_LEFT, 1, rpt_jstr(e, "serial") ? rpt_jstr(e, "serial") : "—",
                         true);
                rpt_text(d, &st_td, cx[1], d->y, cw[1], RPT_LEFT, 1, rpt_jstr(e, "model") ? rpt_jstr(e, "model") : "—", true);
                snprintf(line, sizeof(line), "%s%s", rpt_result_words(result, lang),
                         json_is_true(json_object_get(e, "to_destroy")) ? RF_TR(lang, " — À DÉTRUIRE", " — TO DESTROY")
                                                                        : "");
                rpt_text(d, ok ? &st_td : &st_bad, cx[2], d->y, cw[2], RPT_LEFT, 1, line, true);
                rpt_text(d, &st_td, cx[3], d->y, cw[3], RPT_LEFT, 1,
                         rpt_category_words(rpt_jstr(e, "category"), lang), true);
                d->y += 11;
                const char *cid = rpt_jstr(e, "certificate_id"), *csha = rpt_jstr(e, "certificate_sha256");
                snprintf(line, sizeof(line), RF_TR(lang, "certificat %.64s", "certificate %.64s"), cid ? cid : "—");
                rpt_text(d, &st_mono, cx[0] + 6, d->y, RPT_CONTENT_W - 6, RPT_LEFT, 1, line, true);
                d->y += 9;
                snprintf(line, sizeof(line), "SHA-256 %.64s", csha ? csha : "—");
                rpt_text(d, &st_mono, cx[0] + 6, d->y, RPT_CONTENT_W - 6, RPT_LEFT, 1, line, true);
                d->y += 13;
        }
        if (n > MAX_DRIVES_SHOWN) {
                char more[160];
                snprintf(more, sizeof(more),
                         RF_TR(lang, "… et %zu autres disques, dans le certificat électronique.",
                               "… and %zu more drives, in the electronic certificate."),
                         n - MAX_DRIVES_SHOWN);
                rpt_doc_need(d, 12);
                d->y += rpt_text(d, &st_label, RPT_MARGIN, d->y + 2, RPT_CONTENT_W, RPT_LEFT, 1, more, true) + 4;
        }
        d->y += 4;
}

static int draw_record(struct refurb *c) {
        enum rf_lang lang = c->lang;
        return rpt_page_record(&c->doc, c->root, c->validations, c->id, c->sha256, lang,
                               RF_TR(lang, "Technicien", "Technician"), rpt_jstr(rpt_jobj(c->root, "operator"), "technician"),
                               NULL);
}

static int render(struct refurb *c, char **ret, size_t *ret_len) {
        struct rpt_doc *d = &c->doc;
        char title[160];
        int r;

        snprintf(title, sizeof(title), RF_TR(c->lang, "Certificat de reconditionnement %s", "Refurbishment certificate %s"),
                 c->id);
        r = rpt_doc_open(d, c->lang, title, rpt_jstr(rpt_jobj(c->root, "bench"), "organisation"),
                         rpt_jstr(c->root, "issued_at"));
        if (r < 0)
                return r;
        d->footer = footer;
        d->footer_data = c;
        snprintf(d->running_head, sizeof(d->running_head),
                 RF_TR(c->lang, "Certificat de reconditionnement %s (suite)", "Refurbishment certificate %s (continued)"),
                 c->id);
        draw_header(c);
        draw_result(c);
        draw_asset(c);
        draw_drives(c);
        r = draw_record(c);
        if (r < 0)
                return r;
        return rpt_doc_finish(d, ret, ret_len);
}

int rpt_refurbishment_pdf_mem(const char *json_text, size_t len, const char *sha256_hex, const json_t *validations,
                              enum rf_lang lang, const char *logo_png, char **ret, size_t *ret_len) {
        _cleanup_json_ json_t *root = NULL;
        struct refurb c = { .lang = lang, .validations = validations };
        int r;

        if (!json_text || !ret || !ret_len)
                return -EINVAL;
        if (sha256_hex && (strlen(sha256_hex) != 64 || strspn(sha256_hex, "0123456789abcdefABCDEF") != 64))
                return -EINVAL;
        if (validations && !json_is_array(validations))
                return -EINVAL;
        if (rf_json_parse(json_text, len, &root, NULL, 0) < 0 || !json_is_object(root))
                return -EINVAL;
        if (!rf_streq_ptr(rpt_jstr(root, "format"), RPT_REFURB_FORMAT))
                return -EPROTONOSUPPORT;
        c.root = root;
        c.id = rpt_jstr(root, "id");
        if (!id_valid(c.id))
                return -EINVAL;
        const char *result = rpt_jstr(root, "result");
        if (!rf_streq_ptr(result, "erased") && !rf_streq_ptr(result, "not-erased"))
                return -EINVAL;
        const json_t *drives = json_object_get(root, "drives");
        size_t i;
        json_t *e;
        if (!json_is_array(drives))
                return -EINVAL;
        json_array_foreach(drives, i, e)
                if (!json_is_object(e))
                        return -EINVAL;
        r = rf_sha256_hex(json_text, len, c.sha256);
        if (r < 0)
                return r;
        if (sha256_hex && strcasecmp(sha256_hex, c.sha256) != 0)
                return -EBADMSG;
        if (logo_png && (r = rpt_logo_load(logo_png, &c.logo)) < 0)
                return r;
        r = render(&c, ret, ret_len);
        rpt_doc_close(&c.doc);
        if (c.logo)
                cairo_surface_destroy(c.logo);
        return r;
}
