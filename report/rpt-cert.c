/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The erasure certificate as an A4 PDF, from the signed JSON text only. */
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

#define CERT_FORMAT "refurb-erasure-certificate/1"
/* Exceptions listed one by one; the others are counted. */
#define MAX_EXCEPTIONS_SHOWN 20
#define LABEL_W 140.0

struct cert {
        struct rpt_doc doc;
        enum rf_lang lang;
        const json_t *root;
        const char *id; /* checked: hex digits and '-' */
        char sha256[65];
        cairo_surface_t *logo;
        const json_t *validations; /* verified by the caller, or NULL */
};

static const struct rpt_style st_small = { RPT_FONT_SANS, 6.8, false, RPT_GREY };
static const struct rpt_style st_bold = { RPT_FONT_SANS, 9, true, RPT_INK };
static const struct rpt_style st_serial = { RPT_FONT_MONO, 9.5, true, RPT_INK };
static const struct rpt_style st_label = { RPT_FONT_SANS, 8.5, false, RPT_GREY };

static bool id_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        return n >= 4 && n <= 64 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

static void footer(struct rpt_doc *d, void *userdata) {
        const struct cert *c = userdata;
        enum rf_lang lang = c->lang;
        char text[1200], page[32];
        double top = RPT_PAGE_H - RPT_MARGIN - RPT_FOOTER_H + 14;

        snprintf(text, sizeof(text),
                 RF_TR(lang,
                       "Ce document reproduit le certificat électronique %s, signé par le banc d'effacement ; seul le "
                       "certificat électronique fait foi. Pour le vérifier : refurbctl cert verify %s — ou, avec les "
                       "fichiers exportés par « refurbctl cert export » : openssl cms -verify -binary -content %s.json "
                       "-in %s.json.p7s -inform PEM -CAfile bench.crt ; puis sha256sum %s.json doit donner l'empreinte "
                       "SHA-256 imprimée ci-dessus, qui est aussi dans le code QR.",
                       "This document reproduces the electronic certificate %s, signed by the erasure bench; only the "
                       "electronic certificate is authoritative. To check it: refurbctl cert verify %s — or, with the "
                       "files exported by 'refurbctl cert export': openssl cms -verify -binary -content %s.json "
                       "-in %s.json.p7s -inform PEM -CAfile bench.crt; then sha256sum %s.json must give the SHA-256 "
                       "printed above, which the QR code also carries."),
                 c->id, c->id, c->id, c->id, c->id);
        snprintf(page, sizeof(page), "Page %d", d->page);
        rpt_hline(d, RPT_MARGIN, RPT_PAGE_W - RPT_MARGIN, top - 6, 0.5, RPT_RULE);
        rpt_text(d, &st_small, RPT_MARGIN, top, RPT_CONTENT_W - 60, RPT_LEFT, 5, text, true);
        rpt_text(d, &st_small, RPT_PAGE_W - RPT_MARGIN - 55, top, 55, RPT_RIGHT, 1, page, true);
}

static void draw_header(struct cert *c) {
        enum rf_lang lang = c->lang;
        const json_t *tool = rpt_jobj(c->root, "tool");
        const char *tname = rpt_jstr(tool, "name"), *tversion = rpt_jstr(tool, "version");
        char line[400];
        snprintf(line, sizeof(line),
                 RF_TR(lang, "Établi d'après le certificat électronique signé par le banc (%.40s %.40s), selon NIST SP 800-88.",
                       "Drawn from the electronic certificate signed by the bench (%.40s %.40s), per NIST SP 800-88."),
                 tname ? tname : "?", tversion ? tversion : "");
        rpt_page_header(&c->doc, c->root, c->logo, lang, RF_TR(lang, "Banc d'effacement", "Erasure bench"), true,
                        RF_TR(lang, "Certificat d'effacement de données", "Data erasure certificate"), line);
}

static void draw_result(struct cert *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const char *result = rpt_jstr(c->root, "result");
        bool erased = rpt_result_erased(result);
        struct rpt_rgb strong = erased ? RPT_GREEN : RPT_RED;
        struct rpt_rgb tint = erased ? (struct rpt_rgb) { 0.91, 0.96, 0.92 } : (struct rpt_rgb) { 0.99, 0.92, 0.92 };
        const struct rpt_style st_result = { RPT_FONT_SANS, 24, true, RPT_WHITE };
        const struct rpt_style st_caption = { RPT_FONT_SANS, 7.5, false, RPT_WHITE };
        const struct rpt_style st_reason = { RPT_FONT_SANS, 9, false, RPT_INK };
        const char *reason = rpt_jstr(c->root, "result_reason");
        double left_w = 190, pad = 10, rx = RPT_MARGIN + left_w + pad, rw = RPT_CONTENT_W - left_w - 2 * pad;
        char text[1200];

        if (erased)
                snprintf(text, sizeof(text), "%s",
                         RF_TR(lang,
                               "Toutes les conditions d'un effacement complet sont remplies : chaque octet écrit puis "
                               "vérifié, aucune erreur, aucune signature de données retrouvée après l'effacement.",
                               "Every condition of a complete erasure holds: every byte written then verified, no "
                               "error, no data signature found after the erasure."));
        else
                snprintf(text, sizeof(text), RF_TR(lang, "Raison : %s", "Reason: %s"),
                         reason && *reason ? reason : RF_TR(lang, "non précisée", "not given"));
        double th = rpt_text(d, &st_reason, rx, 0, rw, RPT_LEFT, 7, text, false);
        double h = MAX(56.0, th + 2 * pad);

        rpt_doc_need(d, h);
        rpt_rect(d, RPT_MARGIN, d->y, RPT_CONTENT_W, h, tint);
        rpt_rect(d, RPT_MARGIN, d->y, left_w, h, strong);
        double wh = rpt_text(d, &st_result, RPT_MARGIN, 0, left_w, RPT_CENTER, 1, rpt_result_words(result, lang), false);
        double ch = rpt_text(d, &st_caption, RPT_MARGIN, 0, left_w, RPT_CENTER, 1, RF_TR(lang, "RÉSULTAT", "RESULT"), false);
        double top = d->y + (h - wh - ch) / 2;
        rpt_text(d, &st_caption, RPT_MARGIN, top, left_w, RPT_CENTER, 1, RF_TR(lang, "RÉSULTAT", "RESULT"), true);
        rpt_text(d, &st_result, RPT_MARGIN, top + ch, left_w, RPT_CENTER, 1, rpt_result_words(result, lang), true);
        rpt_text(d, &st_reason, rx, d->y + (h - th) / 2, rw, RPT_LEFT, 7, text, true);
        d->y += h + 8;

        if (json_is_true(json_object_get(json_object_get(c->root, "health"), "to_destroy"))) {
                const struct rpt_style st_warn = { RPT_FONT_SANS, 9.5, true, RPT_RED };
                const char *w = RF_TR(lang,
                                      "DISQUE À DÉTRUIRE : le disque signale une panne (état SMART ou avertissement "
                                      "critique NVMe). Il doit être détruit physiquement et ne doit pas être réemployé, "
                                      "quel que soit le résultat de l'effacement.",
                                      "DRIVE TO DESTROY: the drive reports a failure (SMART status or NVMe critical "
                                      "warning). It must be physically destroyed and not reused, whatever the result "
                                      "of the erasure.");
                double wh2 = rpt_text(d, &st_warn, RPT_MARGIN + 10, 0, RPT_CONTENT_W - 20, RPT_LEFT, 4, w, false);
                rpt_doc_need(d, wh2 + 16);
                rpt_frame(d, RPT_MARGIN + 0.75, d->y, RPT_CONTENT_W - 1.5, wh2 + 14, 1.5, RPT_RED);
                rpt_text(d, &st_warn, RPT_MARGIN + 10, d->y + 7, RPT_CONTENT_W - 20, RPT_LEFT, 4, w, true);
                d->y += wh2 + 14 + 8;
        }
}

static void draw_drive(struct cert *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const json_t *m = rpt_jobj(c->root, "media");
        const struct rpt_style st_sim = { RPT_FONT_SANS, 9, true, RPT_AMBER };
        char line[600], size[96] = "?";
        long long v;

        rpt_section(d, RF_TR(lang, "Disque", "Drive"));
        const char *vendor = rpt_jstr(m, "vendor"), *model = rpt_jstr(m, "model");
        snprintf(line, sizeof(line), "%.200s%s%.300s", vendor ? vendor : "", vendor && model ? " " : "", model ? model : "");
        rpt_field(d, LABEL_W, RF_TR(lang, "Fabricant et modèle", "Make and model"), line, 2, &st_bold);
        rpt_field(d, LABEL_W, RF_TR(lang, "Numéro de série", "Serial number"), rpt_jstr(m, "serial"), 2, &st_serial);
        if (rf_streq_ptr(rpt_jstr(m, "identity_source"), "stand-in"))
                rpt_field(d, LABEL_W, RF_TR(lang, "Identité", "Identity"),
                          RF_TR(lang, "identité simulée (image disque de démonstration) : ce certificat ne désigne pas "
                                      "un disque physique",
                                "simulated identity (demonstration disk image): this certificate does not name a "
                                "physical drive"),
                          3, &st_sim);
        else if (rpt_jstr(m, "wwn"))
                rpt_field(d, LABEL_W, "WWN", rpt_jstr(m, "wwn"), 1, NULL);
        if (rpt_jint(m, "size_bytes", &v))
                rpt_size_words(v, lang, size, sizeof(size));
        rpt_field(d, LABEL_W, RF_TR(lang, "Capacité", "Capacity"), size, 1, NULL);
        const char *transport = rpt_jstr(m, "transport");
        const json_t *rot = json_object_get(m, "rotational");
        bool physical = transport && !rf_streq_ptr(transport, "loop") && !rf_streq_ptr(transport, "virtio") &&
                        !rf_streq_ptr(transport, "unknown") && json_is_boolean(rot);
        snprintf(line, sizeof(line), "%.200s%s", transport ? rpt_transport_words(transport, lang) : "—",
                 !physical         ? ""
                 : json_is_true(rot) ? RF_TR(lang, " — disque dur", " — hard disk")
                                     : RF_TR(lang, " — mémoire flash (SSD)", " — flash memory (SSD)"));
        rpt_field(d, LABEL_W, RF_TR(lang, "Connexion", "Transport"), line, 1, NULL);
        rpt_field(d, LABEL_W, RF_TR(lang, "Contenu avant effacement", "Content before erasure"),
                  rpt_jstr(m, "content_before"), 3, NULL);

        /* Where the drive came from and where it goes (intake records, signed
         * with the certificate). */
        const json_t *asset = rpt_jobj(c->root, "asset");
        if (!asset)
                return;
        const json_t *donor = rpt_jobj(asset, "donor");
        const char *org = rpt_jstr(donor, "organisation"), *ref = rpt_jstr(donor, "reference");
        snprintf(line, sizeof(line), "%.200s%s%.100s%s", org ? org : RF_TR(lang, "aucun", "none"),
                 ref ? RF_TR(lang, " (don ", " (donation ") : "", ref ? ref : "", ref ? ")" : "");
        rpt_field(d, LABEL_W, RF_TR(lang, "Donateur", "Donor"), line, 2, NULL);
        rpt_field(d, LABEL_W, RF_TR(lang, "Appareil (n° d'inventaire)", "Asset (tag)"), rpt_jstr(asset, "tag"), 1,
                  NULL);
        const char *dest = rpt_jstr(asset, "destination");
        rpt_field(d, LABEL_W, "Destination",
                  !dest                                   ? RF_TR(lang, "non décidée", "not decided")
                  : rf_streq_ptr(dest, "reuse-family")    ? RF_TR(lang, "réemploi : une famille", "reuse: a family")
                  : rf_streq_ptr(dest, "reuse-school")    ? RF_TR(lang, "réemploi : une école", "reuse: a school")
                  : rf_streq_ptr(dest, "recycling")       ? RF_TR(lang, "recyclage", "recycling")
                  : rf_streq_ptr(dest, "destruction")     ? "destruction"
                                                          : dest,
                  1, NULL);
}

static void draw_erasure(struct cert *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const json_t *san = rpt_jobj(c->root, "sanitization"), *job = rpt_jobj(c->root, "job");
        char line[800], start[96], end[96], dur[80] = "";
        long long v;
        time_t t0, t1;

        rpt_section(d, RF_TR(lang, "Effacement", "Erasure"));
        rpt_method_line(rpt_jstr(san, "method"), rpt_jstr(san, "category"), lang, line, sizeof(line));
        rpt_field(d, LABEL_W, RF_TR(lang, "Méthode", "Method"), line, 2, &st_bold);
        rpt_field(d, LABEL_W, "Technique", rpt_jstr(san, "technique"), 3, NULL);
        rpt_field(d, LABEL_W, RF_TR(lang, "Référentiel", "Standard"), rpt_jstr(san, "standard"), 2, NULL);
        const char *fallback = rpt_jstr(san, "fallback_reason");
        if (fallback && *fallback)
                rpt_field(d, LABEL_W, RF_TR(lang, "Pourquoi pas de Purge", "Why no Purge"), fallback, 4, NULL);
        rpt_format_time(rpt_jstr(job, "started_at"), lang, start, sizeof(start));
        rpt_format_time(rpt_jstr(job, "ended_at"), lang, end, sizeof(end));
        if (rpt_iso_to_time(rpt_jstr(job, "started_at"), &t0) == 0 && rpt_iso_to_time(rpt_jstr(job, "ended_at"), &t1) == 0 &&
            t1 >= t0) {
                char human[40];
                rf_format_duration((uint64_t) (t1 - t0), human, sizeof(human));
                snprintf(dur, sizeof(dur), RF_TR(lang, ", durée %s", ", took %s"), human);
        }
        snprintf(line, sizeof(line), "%s → %s%s", start, end, dur);
        rpt_field(d, LABEL_W, RF_TR(lang, "Début → fin", "Start → end"), line, 2, NULL);
        rpt_field(d, LABEL_W, RF_TR(lang, "Technicien", "Technician"),
                  rpt_jstr(rpt_jobj(c->root, "operator"), "technician"), 1, NULL);
        snprintf(line, sizeof(line), "?");
        if (rpt_jint(job, "bytes_written", &v))
                rpt_size_words(v, lang, line, sizeof(line));
        rpt_field(d, LABEL_W, RF_TR(lang, "Données écrites", "Data written"), line, 1, NULL);
}

static void signatures_words(const json_t *sigs, enum rf_lang lang, char *out, size_t outlen) {
        size_t i, pos = 0;
        json_t *s;

        if (!json_is_array(sigs)) {
                snprintf(out, outlen, "%s", RF_TR(lang, "recherche non faite", "not checked"));
                return;
        }
        if (json_array_size(sigs) == 0) {
                snprintf(out, outlen, "%s", RF_TR(lang, "aucune", "none"));
                return;
        }
        out[0] = '\0';
        json_array_foreach(sigs, i, s) {
                if (!json_is_string(s) || pos + 1 >= outlen)
                        continue;
                int k = snprintf(out + pos, outlen - pos, "%s%.100s", pos ? ", " : "", json_string_value(s));
                pos += k > 0 ? MIN((size_t) k, outlen - pos - 1) : 0;
        }
}

static void draw_verification(struct cert *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const json_t *ver = rpt_jobj(c->root, "verification");
        const char *mode = rpt_jstr(ver, "mode"), *expected = rpt_jstr(ver, "expected");
        char line[600], bytes[96] = "?";
        long long pct = 0, v;

        rpt_section(d, RF_TR(lang, "Vérification", "Verification"));
        (void) rpt_jint(ver, "percent", &pct);
        if (rf_streq_ptr(mode, "full"))
                snprintf(line, sizeof(line), "%s",
                         RF_TR(lang, "complète : tout le disque relu et comparé au motif écrit (100 %)",
                               "full: the whole drive read back and compared with the pattern (100%)"));
        else if (rf_streq_ptr(mode, "sample"))
                snprintf(line, sizeof(line),
                         RF_TR(lang, "par échantillon : %lld %% du disque relu, choisi au hasard après l'effacement",
                               "sampled: %lld%% of the drive read back, chosen at random after the erasure"),
                         pct);
        else
                snprintf(line, sizeof(line), RF_TR(lang, "mode inconnu (%.60s)", "unknown mode (%.60s)"), mode ? mode : "?");
        if (expected && *expected) {
                size_t n = strlen(line);
                const char *what = rf_streq_ptr(expected, "zeros")          ? RF_TR(lang, "des zéros", "zeros")
                                   : rf_streq_ptr(expected, "ones")         ? RF_TR(lang, "des uns", "ones")
                                   : rf_streq_ptr(expected, "not-original") ? RF_TR(lang, "aucune donnée d'origine",
                                                                                    "none of the original data")
                                                                            : expected;
                snprintf(line + n, sizeof(line) - n, RF_TR(lang, " ; attendu : %.60s", "; expected: %.60s"), what);
        }
        rpt_field(d, LABEL_W, "Mode", line, 2, NULL);
        if (rpt_jint(ver, "bytes_verified", &v))
                rpt_size_words(v, lang, bytes, sizeof(bytes));
        rpt_field(d, LABEL_W, RF_TR(lang, "Données relues", "Data read back"), bytes, 1, NULL);
        signatures_words(json_object_get(ver, "signatures_found_after"), lang, line, sizeof(line));
        rpt_field(d, LABEL_W, RF_TR(lang, "Signatures après effacement", "Signatures after erasure"), line, 3, NULL);
}

static void draw_exceptions(struct cert *c) {
        struct rpt_doc *d = &c->doc;
        enum rf_lang lang = c->lang;
        const json_t *exc = json_object_get(c->root, "exceptions");
        size_t n = json_is_array(exc) ? json_array_size(exc) : 0, i;
        const double cx[4] = { RPT_MARGIN, RPT_MARGIN + 150, RPT_MARGIN + 265, RPT_MARGIN + 360 };
        const double cw[4] = { 145, 110, 90, RPT_CONTENT_W - 360 };
        const struct rpt_style st_th = { RPT_FONT_SANS, 7.5, true, RPT_GREY };
        const struct rpt_style st_td = { RPT_FONT_SANS, 8, false, RPT_INK };
        char title[96], off[64], len[64];
        json_t *e;

        if (n == 0) {
                rpt_field(d, LABEL_W, "Exceptions", RF_TR(lang, "aucune", "none"), 1, NULL);
                return;
        }
        snprintf(title, sizeof(title), "Exceptions (%zu)", n);
        rpt_section(d, title);
        const char *head[4] = { RF_TR(lang, "Nature", "Kind"), RF_TR(lang, "Position (octet)", "Offset (byte)"),
                                RF_TR(lang, "Longueur (octets)", "Length (bytes)"), RF_TR(lang, "Erreur", "Error") };
        for (int k = 0; k < 4; k++)
                rpt_text(d, &st_th, cx[k], d->y, cw[k], k == 1 || k == 2 ? RPT_RIGHT : RPT_LEFT, 1, head[k], true);
        d->y += 12;
        json_array_foreach(exc, i, e) {
                long long o = -1, l = -1;
                if (i >= MAX_EXCEPTIONS_SHOWN)
                        break;
                if (rpt_doc_need(d, 12)) {
                        for (int k = 0; k < 4; k++)
                                rpt_text(d, &st_th, cx[k], d->y, cw[k], k == 1 || k == 2 ? RPT_RIGHT : RPT_LEFT, 1,
                                         head[k], true);
                        d->y += 12;
                }
                (void) rpt_jint(e, "offset", &o);
                (void) rpt_jint(e, "length", &l);
                rpt_format_count(o, lang, off, sizeof(off));
                rpt_format_count(l, lang, len, sizeof(len));
                const char *err = rpt_jstr(e, "error");
                const char *row[4] = { rpt_exception_words(rpt_jstr(e, "kind"), lang), o < 0 ? "?" : off,
                                       l < 0 ? "?" : len, err ? err : "—" };
                if (i % 2 == 0)
                        rpt_rect(d, RPT_MARGIN, d->y - 1.5, RPT_CONTENT_W, 12, (struct rpt_rgb) { 0.96, 0.96, 0.97 });
                for (int k = 0; k < 4; k++)
                        rpt_text(d, &st_td, cx[k], d->y, cw[k], k == 1 || k == 2 ? RPT_RIGHT : RPT_LEFT, 1, row[k], true);
                d->y += 12;
        }
        if (n > MAX_EXCEPTIONS_SHOWN) {
                char more[160];
                snprintf(more, sizeof(more),
                         RF_TR(lang, "… et %zu autres exceptions, dans le certificat électronique.",
                               "… and %zu more exceptions, in the electronic certificate."),
                         n - MAX_EXCEPTIONS_SHOWN);
                rpt_doc_need(d, 12);
                d->y += rpt_text(d, &st_label, RPT_MARGIN, d->y + 2, RPT_CONTENT_W, RPT_LEFT, 1, more, true) + 4;
        }
}

/* The signed record (id, number, digests) beside the QR code, then the
 * supervisor's box: kept together on one page. */
static int draw_record(struct cert *c) {
        enum rf_lang lang = c->lang;
        return rpt_page_record(&c->doc, c->root, c->validations, c->id, c->sha256, lang,
                               RF_TR(lang, "Certificat précédent", "Previous certificate"), rpt_jstr(c->root, "previous_sha256"),
                               RF_TR(lang, "Le code QR contient l'identifiant et l'empreinte SHA-256 : comparez-les au certificat "
                                     "électronique pour vérifier que ce papier lui correspond.",
                               "The QR code holds the identifier and the SHA-256: compare them with the electronic "
                               "certificate to check that this paper matches it."));
}

static int render(struct cert *c, char **ret, size_t *ret_len) {
        struct rpt_doc *d = &c->doc;
        char title[160];
        int r;

        snprintf(title, sizeof(title), RF_TR(c->lang, "Certificat d'effacement %s", "Erasure certificate %s"), c->id);
        r = rpt_doc_open(d, c->lang, title, rpt_jstr(rpt_jobj(c->root, "bench"), "organisation"),
                         rpt_jstr(c->root, "issued_at"));
        if (r < 0)
                return r;
        d->footer = footer;
        d->footer_data = c;
        snprintf(d->running_head, sizeof(d->running_head),
                 RF_TR(c->lang, "Certificat d'effacement %s (suite)", "Erasure certificate %s (continued)"), c->id);
        draw_header(c);
        draw_result(c);
        draw_drive(c);
        draw_erasure(c);
        draw_verification(c);
        draw_exceptions(c);
        r = draw_record(c);
        if (r < 0)
                return r;
        return rpt_doc_finish(d, ret, ret_len);
}

int rpt_certificate_pdf_mem(const char *json_text, size_t len, const char *sha256_hex, const json_t *validations,
                            enum rf_lang lang, const char *logo_png, char **ret, size_t *ret_len) {
        _cleanup_json_ json_t *root = NULL;
        struct cert c = { .lang = lang, .validations = validations };
        int r;

        if (!json_text || !ret || !ret_len)
                return -EINVAL;
        if (sha256_hex && (strlen(sha256_hex) != 64 || strspn(sha256_hex, "0123456789abcdefABCDEF") != 64))
                return -EINVAL;
        if (rf_json_parse(json_text, len, &root, NULL, 0) < 0 || !json_is_object(root))
                return -EINVAL;
        if (validations && !json_is_array(validations))
                return -EINVAL;
        if (rf_streq_ptr(rpt_jstr(root, "format"), RPT_REFURB_FORMAT))
                return rpt_refurbishment_pdf_mem(json_text, len, sha256_hex, validations, lang, logo_png, ret,
                                                 ret_len);
        if (!rf_streq_ptr(rpt_jstr(root, "format"), CERT_FORMAT))
                return -EPROTONOSUPPORT;
        c.root = root;
        c.id = rpt_jstr(root, "id");
        if (!id_valid(c.id))
                return -EINVAL;
        const char *result = rpt_jstr(root, "result");
        if (!rf_streq_ptr(result, "erased") && !rf_streq_ptr(result, "not-erased"))
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

int rpt_certificate_pdf(const char *json_text, size_t len, const char *sha256_hex, const json_t *validations,
                        enum rf_lang lang, const char *logo_png, const char *out_path) {
        _cleanup_free_ char *pdf = NULL;
        size_t pdf_len = 0;

        if (!out_path)
                return -EINVAL;
        int r = rpt_certificate_pdf_mem(json_text, len, sha256_hex, validations, lang, logo_png, &pdf, &pdf_len);
        if (r < 0)
                return r;
        return rf_write_file_atomic(out_path, pdf, pdf_len, 0644);
}
