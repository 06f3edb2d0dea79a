/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpt-bench: issue (canonical JSON + CMS signature) and render N erasure
 * certificates, timing each step (bench/pdf-certificates.sh). Also renders
 * one certificate or donation report from a JSON file (docs/samples/).
 *
 *   rpt-bench [-n N] [--lang fr|en] [--keep DIR] [--csv FILE]
 *   rpt-bench --certificate FILE.json OUT.pdf [--lang fr|en] [--logo PNG]
 *   rpt-bench --donation FILE.json OUT.pdf [--lang fr|en]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-util.h"
#include "rpt-cert.h"
#include "rpt-donation.h"
#include "rpt-draw.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)

static int rm_rf_dir(const char *dir) {
        char path[4096];
        static const char *const files[] = { "bench.key", "bench.crt" };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
                (void) unlink(path);
        }
        return rmdir(dir) < 0 ? negative_errno() : 0;
}

/* A certificate as refurbd issues it; every tenth one not erased. */
static json_t *make_cert(unsigned seq, const char *prev, const char *signer, char id[static 37]) {
        char key[65], iv[33], serial[32], now[21];
        uint8_t raw[48];
        bool failed = seq % 10 == 0;

        if (rf_uuid4(id) < 0 || rf_random_bytes(raw, sizeof(raw)) < 0)
                return NULL;
        rf_hex_encode(raw, 32, key);
        rf_hex_encode(raw + 32, 16, iv);
        snprintf(serial, sizeof(serial), "Z3T8K%05u", seq);
        rf_time_iso8601(rf_now_sec(), now);
        json_t *exc = json_array();
        for (unsigned k = 0; failed && k < 3; k++)
                json_array_append_new(exc, json_pack("{s:s, s:I, s:I, s:s}", "kind", "write-error", "offset",
                                                     (json_int_t) 1048576 * (k + 1), "length", (json_int_t) 4096,
                                                     "error", "Input/output error"));
        return json_pack(
                "{s:s, s:s, s:I, s:s?, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s, s:s},"
                " s:{s:s, s:s, s:s, s:n, s:s, s:s, s:I, s:i, s:i, s:b, s:s, s:s, s:s},"
                " s:{s:s, s:s, s:s, s:s, s:i, s:n, s:{s:s, s:s, s:s}},"
                " s:{s:s, s:s, s:i, s:I, s:[]}, s:{s:i, s:s, s:s, s:I, s:s}, s:o, s:{s:b}, s:n, s:s, s:s?}",
                "format", "refurb-erasure-certificate/1", "id", id, "sequence", (json_int_t) seq, "previous_sha256",
                prev, "issued_at", now, "bench", "name", "atelier-1", "hostname", "banc1", "organisation",
                "Association Réemploi", "location", "Lyon", "signer_sha256", signer, "operator", "technician",
                "Camille", "tool", "name", "refurb", "version", REFURB_VERSION, "media", "vendor", "ATA", "model",
                "ST500DM002-1BD142", "serial", serial, "wwn", "identity_source", "udev", "transport", "sata",
                "size_bytes", (json_int_t) 500107862016, "logical_sector_size", 512, "physical_sector_size", 4096,
                "rotational", 1, "devnode", "/dev/sdb", "bay", "baie-1", "content_before",
                "GPT : NTFS « Windows » 499 Go", "sanitization", "category", failed ? "none" : "Clear", "standard",
                "NIST SP 800-88 Rev. 2, IEEE 2883-2022", "method", "overwrite", "technique",
                "1 passe, flux AES-256-CTR (clé aléatoire propre au travail)", "passes", 1, "fallback_reason",
                "pattern", "algorithm", "aes-256-ctr", "key", key, "iv", iv, "verification", "method",
                "read-back comparison with the pattern", "mode", "full", "percent", 100, "bytes_verified",
                (json_int_t) 500107862016, "signatures_found_after", "job", "id", (int) seq, "started_at", now,
                "ended_at", now, "bytes_written", (json_int_t) 500107862016, "state", failed ? "failed" : "done",
                "exceptions", exc, "health", "to_destroy", 0, "erase_record", "result",
                failed ? "not-erased" : "erased", "result_reason",
                failed ? "erreurs d'écriture sur 3 zones" : NULL);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void stats(const char *what, uint64_t *v, unsigned n) {
        uint64_t sum = 0;
        for (unsigned i = 0; i < n; i++)
                sum += v[i];
        qsort(v, n, sizeof(*v), cmp_u64);
        size_t median = n / 2, p95 = (size_t) n * 95 / 100;
        uint64_t v_median = v[median], v_p95 = v[p95];
        printf("%-8s mean %7.2f ms  median %7.2f ms  p95 %7.2f ms  max %7.2f ms\n", what, (double) sum / n / 1000.0,
               (double) v_median / 1000.0, (double) v_p95 / 1000.0, (double) v[n - 1] / 1000.0);
}

static int bench(unsigned n, enum rf_lang lang, const char *keep, const char *csv_path) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_free_ uint64_t *t_sign = calloc(n, sizeof(uint64_t)), *t_render = calloc(n, sizeof(uint64_t)),
                                *t_total = calloc(n, sizeof(uint64_t));
        _cleanup_fclose_ FILE *csv = NULL;
        char dir[] = "/tmp/rpt-bench.XXXXXX", fp[65], prev[65] = "";
        size_t bytes = 0;
        int r;

        if (!t_sign || !t_render || !t_total)
                return -ENOMEM;
        if (!mkdtemp(dir))
                return negative_errno();
        r = rf_identity_load_or_create(dir, "rpt-bench", "Association Réemploi", &key, &cert);
        if (r >= 0)
                r = rf_cert_fingerprint(cert, fp);
        (void) rm_rf_dir(dir);
        if (r < 0)
                return r;
        if (csv_path && !(csv = fopen(csv_path, "we")))
                return negative_errno();
        if (csv)
                fputs("n,sign_ms,render_ms,total_ms,pdf_bytes\n", csv);

        for (unsigned i = 0; i < n; i++) {
                char id[37];
                _cleanup_free_ char *text = NULL, *sig = NULL, *pdf = NULL;
                size_t len = 0, pdf_len = 0;

                uint64_t t0 = rf_now_usec();
                json_t *doc = make_cert(i + 1, *prev ? prev : NULL, fp, id);
                if (!doc)
                        return -ENOMEM;
                r = rf_json_canonical(doc, &text, &len);
                json_decref(doc);
                if (r < 0)
                        return r;
                if ((r = rf_cms_sign(key, cert, text, len, &sig)) < 0 || (r = rf_sha256_hex(text, len, prev)) < 0)
                        return r;
                uint64_t t1 = rf_now_usec();
                r = rpt_certificate_pdf_mem(text, len, prev, NULL, lang, NULL, &pdf, &pdf_len);
                if (r < 0)
                        return r;
                if (keep) {
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s.pdf", keep, id);
                        if ((r = rf_write_file_atomic(path, pdf, pdf_len, 0644)) < 0)
                                return r;
                }
                uint64_t t2 = rf_now_usec();
                t_sign[i] = t1 - t0;
                t_render[i] = t2 - t1;
                t_total[i] = t2 - t0;
                bytes += pdf_len;
                if (csv)
                        fprintf(csv, "%u,%.3f,%.3f,%.3f,%zu\n", i + 1, t_sign[i] / 1000.0, t_render[i] / 1000.0,
                                t_total[i] / 1000.0, pdf_len);
        }
        printf("%u certificates (%s), mean PDF size %zu bytes\n", n, rf_lang_to_string(lang), bytes / n);
        stats("sign", t_sign, n);
        stats("render", t_render, n);
        stats("total", t_total, n);
        return 0;
}

static int render_file(const char *kind, const char *in, const char *out, enum rf_lang lang, const char *logo) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_t *doc = NULL;
        size_t len = 0;
        char err[200] = "";

        int r = rf_read_file(in, 16u * 1024u * 1024u, &text, &len);
        if (r < 0)
                return r;
        if (strcmp(kind, "certificate") == 0)
                return rpt_certificate_pdf(text, len, NULL, NULL, lang, logo, out);
        if (rf_json_parse(text, len, &doc, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s: %s\n", in, err);
                return -EINVAL;
        }
        return rpt_donation_pdf(doc, lang, out);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "lang", required_argument, NULL, 'l' },   { "keep", required_argument, NULL, 'k' },
                { "csv", required_argument, NULL, 'c' },    { "logo", required_argument, NULL, 'L' },
                { "certificate", no_argument, NULL, 'C' }, { "donation", no_argument, NULL, 'D' },
                {},
        };
        enum rf_lang lang = RF_LANG_FR;
        const char *keep = NULL, *csv = NULL, *logo = NULL, *kind = NULL;
        unsigned long n = 1000;
        int c, r;

        while ((c = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
                switch (c) {
                case 'n':
                        n = strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        if (rf_lang_from_string(optarg, &lang) < 0) {
                                fprintf(stderr, "--lang: fr or en\n");
                                return 2;
                        }
                        break;
                case 'k':
                        keep = optarg;
                        break;
                case 'c':
                        csv = optarg;
                        break;
                case 'L':
                        logo = optarg;
                        break;
                case 'C':
                        kind = "certificate";
                        break;
                case 'D':
                        kind = "donation";
                        break;
                default:
                        return 2;
                }
        }
        if (kind) {
                if (argc - optind != 2) {
                        fprintf(stderr, "usage: rpt-bench --%s FILE.json OUT.pdf\n", kind);
                        return 2;
                }
                r = render_file(kind, argv[optind], argv[optind + 1], lang, logo);
        } else {
                if (n < 1 || n > 1000000) {
                        fprintf(stderr, "-n: 1 to 1000000\n");
                        return 2;
                }
                r = bench((unsigned) n, lang, keep, csv);
        }
        rpt_release_caches();
        if (r < 0) {
                fprintf(stderr, "rpt-bench: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
