/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PDF certificates and donation reports (report/): rendered, then read back
 * with pdftotext and rasterised with pdftoppm (poppler-utils); skipped when
 * those are missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include "rf-macro.h" /* before glib (via report/): MIN/MAX */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-util.h"
#include "rpt-cert.h"
#include "rpt-donation.h"
#include "rpt-draw.h"
#include "test-tmpdir.h"

struct fixture {
        char dir[64];
};

static bool have(const char *tool) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
        return system(cmd) == 0;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f || test_mkdtemp(f->dir, sizeof(f->dir), "test-pdf") < 0)
                return -1;
        setenv("TZ", "Europe/Paris", 1);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

static void skip_without_poppler(void) {
        if (!have("pdftotext") || !have("pdftoppm")) {
                print_message("pdftotext/pdftoppm (poppler-utils) not found: skipped\n");
                skip();
        }
}

/* A certificate as refurbd issues it (docs/certificate.md). */
static json_t *cert_doc(bool erased, size_t n_exceptions) {
        json_t *exc = json_array();
        for (size_t i = 0; i < n_exceptions; i++)
                json_array_append_new(exc, json_pack("{s:s, s:I, s:I, s:s}", "kind", "write-error", "offset",
                                                     (json_int_t) 1048576 * (json_int_t) (i + 1), "length", (json_int_t) 4096,
                                                     "error", "Input/output error"));
        return json_pack(
                "{s:s, s:s, s:i, s:n, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s, s:s},"
                " s:{s:s, s:s, s:s, s:n, s:s, s:s, s:I, s:b, s:s, s:s, s:s},"
                " s:{s:s, s:s, s:s, s:s, s:n, s:s?},"
                " s:{s:s, s:s, s:i, s:I, s:[]}, s:{s:i, s:s, s:s, s:I, s:s}, s:o, s:{s:b}, s:s, s:s?}",
                "format", "refurb-erasure-certificate/1", "id", "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04", "sequence", 42,
                "previous_sha256", "issued_at", "2026-11-22T02:10:00Z", "bench", "name", "atelier-1", "hostname",
                "banc1", "organisation", "Association Réemploi", "location", "Lyon", "signer_sha256",
                "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12", "operator", "technician",
                "Camille", "tool", "name", "refurb", "version", "0.1.0", "media", "vendor", "ATA", "model",
                "ST500DM002-1BD142", "serial", "Z3T8K1QX", "wwn", "identity_source", "udev", "transport", "sata",
                "size_bytes", (json_int_t) 500107862016, "rotational", 1, "devnode", "/dev/sdb", "bay", "baie-1",
                "content_before", "GPT : NTFS « Windows » 499 Go", "sanitization", "category",
                erased ? "Purge" : "none", "standard", "NIST SP 800-88 Rev. 2, IEEE 2883-2022", "method",
                "nvme-sanitize-crypto", "technique", "commande d'effacement du disque", "passes", "fallback_reason",
                erased ? NULL : "frozen drive", "verification", "method", "read-back", "mode", "sample", "percent", 5,
                "bytes_verified", (json_int_t) 25000000000, "signatures_found_after", "job", "id", 7, "started_at",
                "2026-11-22T00:02:11Z", "ended_at", "2026-11-22T02:09:58Z", "bytes_written",
                (json_int_t) 500107862016, "state", erased ? "done" : "failed", "exceptions", exc, "health",
                "to_destroy", !erased, "result", erased ? "erased" : "not-erased", "result_reason",
                erased ? NULL : "erreurs d'écriture sur 25 zones");
}

static void render_with(const char *dir, json_t *doc, const json_t *validations, enum rf_lang lang, const char *name,
                        char **ret_text, char sha[static 65]) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        char pdf[128], cmd[512];
        size_t len = 0, out_len = 0;

        assert_non_null(doc);
        assert_int_equal(rf_json_canonical(doc, &text, &len), 0);
        json_decref(doc);
        assert_int_equal(rf_sha256_hex(text, len, sha), 0);
        snprintf(pdf, sizeof(pdf), "%s/%s.pdf", dir, name);
        assert_int_equal(rpt_certificate_pdf(text, len, sha, validations, lang, NULL, pdf), 0);

        snprintf(cmd, sizeof(cmd), "pdftoppm -r 50 -png '%s' '%s/%s' && test -s '%s/%s-1.png'", pdf, dir, name, dir, name);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' '%s/%s.txt'", pdf, dir, name);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "%s/%s.txt", dir, name);
        assert_int_equal(rf_read_file(cmd, 1u << 20, &out, &out_len), 0);
        *ret_text = TAKE_PTR(out);

        /* What the QR code says, when a reader is at hand (zbar-tools); it is on
         * the last page, and zbarimg fails for pages without one. */
        if (have("zbarimg")) {
                _cleanup_free_ char *qr = NULL;
                char expected[160];
                snprintf(cmd, sizeof(cmd),
                         "pdftoppm -r 150 -png '%s' '%s/%s-qr' && { zbarimg -q --raw '%s/%s-qr'-*.png > '%s/%s.qr' 2>/dev/null; true; }",
                         pdf, dir, name, dir, name, dir, name);
                assert_int_equal(system(cmd), 0);
                snprintf(cmd, sizeof(cmd), "%s/%s.qr", dir, name);
                assert_int_equal(rf_read_file(cmd, 4096, &qr, NULL), 0);
                snprintf(expected, sizeof(expected), RPT_QR_PREFIX "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04:%s\n", sha);
                assert_string_equal(qr, expected);
        }
}

static void render(const char *dir, json_t *doc, enum rf_lang lang, const char *name, char **ret_text,
                   char sha[static 65]) {
        render_with(dir, doc, NULL, lang, name, ret_text, sha);
}

/* A supervisor's validation of the certificate whose text has SHA-256 sha
 * (docs/intake.md). */
static json_t *validation_doc(const char *sha, const char *name, const char *title) {
        return json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:s, s:s, s:s, s:{s:s, s:s?}, s:s}", "format",
                         "refurb-validation/1", "id", "9a8b7c6d-1111-4222-8333-444455556666", "sequence", 43,
                         "previous_sha256", sha, "issued_at", "2026-11-22T10:00:00Z", "bench", "name", "atelier-1",
                         "certificate_id", "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04", "certificate_sha256", sha,
                         "certificate_format", "refurb-erasure-certificate/1", "validated_by", "name", name, "title",
                         title, "validated_at", "2026-11-22T10:00:00Z");
}

static void test_validation(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *t = NULL, *t2 = NULL, *text = NULL;
        _cleanup_json_ json_t *vals = NULL;
        char sha[65], sha2[65];
        size_t len = 0;

        skip_without_poppler();
        json_t *doc = cert_doc(true, 0);
        assert_int_equal(rf_json_canonical(doc, &text, &len), 0);
        assert_int_equal(rf_sha256_hex(text, len, sha), 0);
        vals = json_pack("[o, o]", validation_doc(sha, "Claire Martin", "Responsable atelier"),
                         validation_doc("00000000000000000000000000000000000000000000000000000000deadbeef", "Mallory",
                                        NULL));
        assert_non_null(vals);
        render_with(f->dir, doc, vals, RF_LANG_FR, "validated", &t, sha2);
        assert_string_equal(sha, sha2);
        assert_non_null(strstr(t, "Validation par un responsable"));
        assert_non_null(strstr(t, "Validé par Claire Martin (Responsable atelier) le 22/11/2026"));
        assert_null(strstr(t, "Mallory")); /* about another text: not printed */
        assert_non_null(strstr(t, "9a8b7c6d-1111-4222-8333-444455556666")); /* the statement's id */

        render_with(f->dir, cert_doc(true, 0), vals, RF_LANG_EN, "validated-en", &t2, sha2);
        assert_non_null(strstr(t2, "Validated by Claire Martin (Responsable atelier) on 2026-11-22"));

        /* Not an array: refused. */
        _cleanup_free_ char *pdf = NULL;
        size_t pdf_len = 0;
        _cleanup_json_ json_t *obj = json_object();
        assert_int_equal(rpt_certificate_pdf_mem(text, len, sha, obj, RF_LANG_FR, NULL, &pdf, &pdf_len), -EINVAL);
}

/* A refurbishment certificate (docs/intake.md). */
static json_t *refurb_doc(void) {
        return json_pack(
                "{s:s, s:s, s:i, s:n, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s},"
                " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s},"
                " s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:s, s:s, s:s, s:b}], s:n, s:s}",
                "format", "refurb-refurbishment-certificate/1", "id", "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04",
                "sequence", 12, "previous_sha256", "issued_at", "2026-11-22T10:00:00Z", "bench", "name", "atelier-1",
                "organisation", "Association Réemploi", "location", "Lyon", "signer_sha256",
                "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12", "operator", "technician",
                "Camille", "asset", "tag", "RB-00017", "type", "laptop", "maker", "Lenovo", "model", "ThinkPad T480",
                "serial", "PF1ABCDE", "grade", "B", "destination", "reuse-family", "intake_date", "2026-11-20",
                "donor", "organisation", "Mairie de Villeurbanne", "reference", "DON-2026-0042", "drives", "serial",
                "Z3T8K1QX", "model", "ST500DM002", "certificate_id", "0b7e41d2-93aa-4c1f-8d0e-5a6b7c8d9e0f",
                "certificate_sha256", "1111111111111111111111111111111111111111111111111111111111111111", "result",
                "erased", "category", "Purge", "to_destroy", 0, "serial", "S3Z9NB0K", "model", "Samsung SSD 860",
                "certificate_id", "c3d4e5f6-1a2b-4c3d-9e8f-7a6b5c4d3e2f", "certificate_sha256",
                "2222222222222222222222222222222222222222222222222222222222222222", "result", "not-erased", "category",
                "none", "to_destroy", 1, "image", "result", "not-erased");
}

static void test_refurbishment(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *t = NULL;
        char sha[65];

        skip_without_poppler();
        render(f->dir, refurb_doc(), RF_LANG_FR, "refurb", &t, sha);
        assert_non_null(strstr(t, "Certificat de reconditionnement"));
        assert_non_null(strstr(t, "RB-00017"));
        assert_non_null(strstr(t, "Mairie de Villeurbanne"));
        assert_non_null(strstr(t, "Z3T8K1QX"));
        assert_non_null(strstr(t, "0b7e41d2-93aa-4c1f-8d0e-5a6b7c8d9e0f"));
        assert_non_null(strstr(t, "1111111111111111111111111111111111111111111111111111111111111111"));
        assert_non_null(strstr(t, "S3Z9NB0K"));
        assert_non_null(strstr(t, "NON EFFACÉ"));
        assert_non_null(strstr(t, "aucune image écrite"));
        assert_non_null(strstr(t, sha));

        /* Drives that are not objects: refused. */
        _cleanup_free_ char *text = NULL, *pdf = NULL;
        size_t len = 0, pdf_len = 0;
        json_t *doc = refurb_doc();
        json_object_set_new(doc, "drives", json_pack("[s]", "x"));
        assert_int_equal(rf_json_canonical(doc, &text, &len), 0);
        json_decref(doc);
        assert_int_equal(rpt_certificate_pdf_mem(text, len, NULL, NULL, RF_LANG_FR, NULL, &pdf, &pdf_len), -EINVAL);
}

static void test_erased_fr(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *t = NULL;
        char sha[65];

        skip_without_poppler();
        render(f->dir, cert_doc(true, 0), RF_LANG_FR, "erased", &t, sha);
        assert_non_null(strstr(t, "Certificat d'effacement de données"));
        assert_non_null(strstr(t, "Z3T8K1QX"));
        assert_non_null(strstr(t, "Effacement cryptographique par le micrologiciel"));
        assert_non_null(strstr(t, "Purge"));
        assert_non_null(strstr(t, "EFFACÉ"));
        assert_null(strstr(t, "NON EFFACÉ"));
        assert_non_null(strstr(t, "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04"));
        assert_non_null(strstr(t, "Validation par un responsable"));
        assert_non_null(strstr(t, "Camille"));
        assert_non_null(strstr(t, "22/11/2026"));
        assert_null(strstr(t, "DÉTRUIRE"));
        assert_non_null(strstr(t, sha)); /* the SHA-256 of the text, printed */
}

static void test_not_erased_en(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *t = NULL;
        char sha[65];

        skip_without_poppler();
        render(f->dir, cert_doc(false, 25), RF_LANG_EN, "failed", &t, sha);
        assert_non_null(strstr(t, "Data erasure certificate"));
        assert_non_null(strstr(t, "Z3T8K1QX"));
        assert_non_null(strstr(t, "NOT ERASED"));
        assert_non_null(strstr(t, "erreurs d'écriture sur 25 zones")); /* result_reason, as signed */
        assert_non_null(strstr(t, "Cryptographic erase by the drive's firmware"));
        assert_non_null(strstr(t, "frozen drive"));                     /* fallback_reason */
        assert_non_null(strstr(t, "Exceptions (25)"));
        assert_non_null(strstr(t, "and 5 more exceptions"));
        assert_non_null(strstr(t, "Write error"));
        assert_non_null(strstr(t, "DRIVE TO DESTROY"));
        assert_non_null(strstr(t, "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04"));
        assert_null(strstr(t, "EFFACÉ"));
}

static void test_hostile(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *t = NULL;
        char serial[6001], sha[65];

        skip_without_poppler();
        memset(serial, 'S', sizeof(serial) - 1);
        memcpy(serial, "LONGSERIAL", 10);
        serial[sizeof(serial) - 1] = '\0';
        json_t *doc = cert_doc(true, 0);
        json_t *media = json_object_get(doc, "media");
        json_object_set_new(media, "serial", json_string(serial));
        json_object_set_new(media, "model", json_string("<b>Evil</b> &amp; <span foreground='red'>x</span>"));
        json_object_set_new(media, "vendor", json_string("\x1b[31mRED\x01\x7f\u202eTXET"));
        json_object_set_new(media, "content_before", json_string("line1\nline2\r\tline3 %s %n"));
        json_object_set_new(json_object_get(doc, "bench"), "organisation", json_string("Org & <Co> \"'"));
        render(f->dir, doc, RF_LANG_FR, "hostile", &t, sha);
        /* Markup shown as text, not interpreted. */
        assert_non_null(strstr(t, "<b>Evil</b> &amp; <span"));
        assert_non_null(strstr(t, "Org & <Co>"));
        assert_non_null(strstr(t, "LONGSERIAL"));
        assert_non_null(strstr(t, "%s %n"));
        /* Control characters never reach the page. */
        assert_null(strchr(t, '\x1b'));
        assert_null(strchr(t, '\x01'));
        assert_null(strstr(t, "\u202e"));
        /* The 6000-character serial is cut (500 characters at most, as text;
         * two lines on the page). */
        char run[601];
        memset(run, 'S', 600);
        run[600] = '\0';
        assert_null(strstr(t, run));
        assert_true(strlen(t) < 20000);
}

static void test_refusals(void **state) {
        _cleanup_free_ char *text = NULL, *pdf = NULL;
        size_t len = 0, pdf_len = 0;
        char sha[65];
        (void) state;

        json_t *doc = cert_doc(true, 0);
        assert_int_equal(rf_json_canonical(doc, &text, &len), 0);
        assert_int_equal(rf_sha256_hex(text, len, sha), 0);
        /* The digest printed must be the text's. */
        char other[65];
        memcpy(other, sha, sizeof(other));
        other[0] = other[0] == '0' ? '1' : '0';
        assert_int_equal(rpt_certificate_pdf_mem(text, len, other, NULL, RF_LANG_FR, NULL, &pdf, &pdf_len), -EBADMSG);
        assert_int_equal(rpt_certificate_pdf_mem(text, len, "zz", NULL, RF_LANG_FR, NULL, &pdf, &pdf_len), -EINVAL);
        assert_int_equal(rpt_certificate_pdf_mem("{", 1, NULL, NULL, RF_LANG_FR, NULL, &pdf, &pdf_len), -EINVAL);
        assert_int_equal(rpt_certificate_pdf_mem(text, len, NULL, NULL, RF_LANG_FR, "/nonexistent.png", &pdf, &pdf_len),
                         -ENOENT);
        /* Same text, same PDF: drawn from the JSON only. */
        _cleanup_free_ char *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        assert_int_equal(rpt_certificate_pdf_mem(text, len, sha, NULL, RF_LANG_FR, NULL, &a, &alen), 0);
        assert_int_equal(rpt_certificate_pdf_mem(text, len, NULL, NULL, RF_LANG_FR, NULL, &b, &blen), 0);
        assert_true(alen > 1000 && memcmp(a, "%PDF-", 5) == 0);
        assert_true(alen == blen && memcmp(a, b, alen) == 0);

        json_object_set_new(doc, "format", json_string("refurb-erasure-certificate/2"));
        free(text);
        text = NULL;
        assert_int_equal(rf_json_canonical(doc, &text, &len), 0);
        assert_int_equal(rpt_certificate_pdf_mem(text, len, NULL, NULL, RF_LANG_FR, NULL, &pdf, &pdf_len), -EPROTONOSUPPORT);
        json_object_set_new(doc, "format", json_string("refurb-erasure-certificate/1"));
        json_object_set_new(doc, "id", json_string("../../etc/passwd"));
        free(text);
        text = NULL;
        assert_int_equal(rf_json_canonical(doc, &text, &len), 0);
        assert_int_equal(rpt_certificate_pdf_mem(text, len, NULL, NULL, RF_LANG_FR, NULL, &pdf, &pdf_len), -EINVAL);
        json_decref(doc);
}

static void test_donation(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *t = NULL;
        char pdf[128], cmd[512];
        size_t len = 0;

        skip_without_poppler();
        json_t *report = json_pack(
                "{s:{s:s, s:s, s:s, s:s}, s:["
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:b},"
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:b},"
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:b}]}",
                "donor", "organisation", "Mairie de Villeurbanne", "contact", "Claire Martin", "reference",
                "DON-2026-0042", "date", "2026-11-20", "drives", "asset_tag", "RB-00017", "serial", "SERIAL-OK-1",
                "model", "ST500DM002", "result", "erased", "category", "Clear", "certificate_id",
                "6f1c2a9e-4b7d-4e0a-9a51-3c2f7d9b1e04", "to_destroy", 0, "asset_tag", "RB-00018", "serial",
                "SERIAL-OK-2", "model", "Samsung SSD 860", "result", "erased", "category", "Purge", "certificate_id",
                "0b7e41d2-93aa-4c1f-8d0e-5a6b7c8d9e0f", "to_destroy", 0, "asset_tag", "RB-00019", "serial",
                "SERIAL-FAILED", "model", "WDC WD10EZEX", "result", "not-erased", "category", "none",
                "certificate_id", "c3d4e5f6-1a2b-4c3d-9e8f-7a6b5c4d3e2f", "to_destroy", 0);
        assert_non_null(report);
        snprintf(pdf, sizeof(pdf), "%s/donation.pdf", f->dir);
        assert_int_equal(rpt_donation_pdf(report, RF_LANG_FR, pdf), 0);
        snprintf(cmd, sizeof(cmd), "pdftoppm -r 50 -png '%s' '%s/donation' && pdftotext -enc UTF-8 '%s' '%s/donation.txt'",
                 pdf, f->dir, pdf, f->dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "%s/donation.txt", f->dir);
        assert_int_equal(rf_read_file(cmd, 1u << 20, &t, &len), 0);
        assert_non_null(strstr(t, "DON-2026-0042"));
        assert_non_null(strstr(t, "Mairie de Villeurbanne"));
        assert_non_null(strstr(t, "RB-00018"));
        assert_non_null(strstr(t, "6f1c2a9e"));
        /* The list of drives to destroy holds the failed one, only it. */
        const char *list = strstr(t, "Disques à détruire physiquement");
        assert_non_null(list);
        assert_non_null(strstr(list, "SERIAL-FAILED"));
        assert_null(strstr(list, "SERIAL-OK-1"));
        assert_null(strstr(list, "SERIAL-OK-2"));

        /* Wrong shapes are refused. */
        char *buf = NULL;
        size_t buf_len = 0;
        json_object_set_new(report, "drives", json_pack("[s]", "not an object"));
        assert_int_equal(rpt_donation_pdf_mem(report, RF_LANG_FR, &buf, &buf_len), -EINVAL);
        json_object_del(report, "donor");
        assert_int_equal(rpt_donation_pdf_mem(report, RF_LANG_FR, &buf, &buf_len), -EINVAL);
        json_decref(report);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_erased_fr, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_erased_en, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_donation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refurbishment, setup, teardown),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        rpt_release_caches(); /* for LeakSanitizer (ASan unit run) */
        return r;
}
