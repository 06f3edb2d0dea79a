/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl report donation | export (docs/intake.md): the summary of a
 * donation (counts, drives to destroy, optional PDF) and the CSV exports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rctl-intake.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"
#include "rpt-donation.h"

#define OOM(ctx) rctl_fail(ctx, "%s", RF_TR((ctx)->lang, "Mémoire insuffisante.", "Out of memory."))

static const char *s_or(const json_t *o, const char *key, const char *def) {
        const json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : def;
}

static bool drive_to_destroy(const json_t *d) {
        return json_is_true(json_object_get(d, "to_destroy")) || rf_streq_ptr(s_or(d, "result", NULL), "not-erased");
}

/* Count drives by the value of member (NULL -> label_null). */
static void print_counts(const json_t *drives, const char *member, const char *title, const char *label_null) {
        const char *seen[64];
        size_t n_seen = 0, i, k;
        const json_t *d;
        printf("%s\n", title);
        json_array_foreach(drives, i, d) {
                const char *v = s_or(d, member, label_null);
                for (k = 0; k < n_seen && strcmp(seen[k], v) != 0; k++)
                        ;
                if (k < n_seen || n_seen == ELEMENTSOF(seen))
                        continue;
                seen[n_seen++] = v;
                size_t count = 0, j;
                const json_t *e;
                json_array_foreach(drives, j, e) count += strcmp(s_or(e, member, label_null), v) == 0;
                printf("  %-14s %zu\n", v, count);
        }
}

static int report_donation(struct rctl_ctx *ctx, const char *ref) {
        enum rf_lang l = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = {};
        _cleanup_free_ char *path = NULL;
        for (const char *p = ref; *p; p++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *p))
                        return rctl_usage_error(ctx, RF_TR(l, "référence de don invalide « %s ».",
                                                           "invalid donation reference '%s'."),
                                                ref);
        if (asprintf(&path, "/v1/reports/donation/%s", ref) < 0)
                return OOM(ctx);
        int r = rctl_fetch(ctx, path, RF_TR(l, "Rapport du don", "Donation report"), &reply);
        if (r != 0)
                return r;
        const char *pdf = ctx->intake[RCTL_IN_PDF];
        if (pdf) {
                r = rpt_donation_pdf(reply.json, l, pdf);
                if (r < 0)
                        return rctl_fail(ctx, RF_TR(l, "Impossible d'écrire le PDF %s : %s.", "Cannot write the PDF %s: %s."),
                                         pdf, strerror(-r));
        }
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);

        const json_t *donor = json_object_get(reply.json, "donor");
        const json_t *drives = json_object_get(reply.json, "drives");
        printf(RF_TR(l, "Don %s — %s (%s)\n", "Donation %s — %s (%s)\n"), s_or(donor, "reference", "?"),
               s_or(donor, "organisation", "?"), s_or(donor, "date", "?"));
        printf(RF_TR(l, "Disques : %zu\n", "Drives: %zu\n"), json_array_size(drives));
        print_counts(drives, "result", RF_TR(l, "Par résultat :", "By result:"),
                     RF_TR(l, "pas-encore", "not-yet"));
        print_counts(drives, "category", RF_TR(l, "Par catégorie :", "By category:"), "-");
        size_t i, n_destroy = 0;
        const json_t *d;
        json_array_foreach(drives, i, d) n_destroy += drive_to_destroy(d);
        printf(RF_TR(l, "À détruire : %zu\n", "To destroy: %zu\n"), n_destroy);
        json_array_foreach(drives, i, d) if (drive_to_destroy(d)) printf("  %-16s %-20s %s\n", s_or(d, "asset_tag", "-"),
                                                                         s_or(d, "serial", "?"), s_or(d, "model", ""));
        if (pdf)
                printf(RF_TR(l, "PDF écrit : %s\n", "PDF written: %s\n"), pdf);
        return RCTL_EXIT_OK;
}

int rctl_cmd_report(struct rctl_ctx *ctx, int argc, char **argv) {
        int r = rctl_check_options(ctx, "report", 0);
        if (r != 0)
                return r;
        for (unsigned i = 0; i < RCTL_IN_N; i++)
                if (ctx->intake[i] && i != RCTL_IN_PDF)
                        return rctl_usage_error(ctx, "%s",
                                                RF_TR(ctx->lang, "report donation ne prend que --pdf et --json.",
                                                      "report donation only takes --pdf and --json."));
        if (argc < 2 || strcmp(argv[1], "donation") != 0)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "report donation RÉFÉRENCE [--pdf FICHIER]",
                                              "report donation REFERENCE [--pdf FILE]"));
        r = rctl_check_args(ctx, "report donation", argc - 1, 1, 1);
        return r != 0 ? r : report_donation(ctx, argv[2]);
}

struct sink {
        FILE *f;
        bool failed;
};

static int on_csv(const char *data, size_t len, void *userdata) {
        struct sink *s = userdata;
        if (fwrite(data, 1, len, s->f) != len) {
                s->failed = true;
                return -EIO;
        }
        return 0;
}

static bool never_stop(void *userdata) {
        (void) userdata;
        return false;
}

int rctl_cmd_export(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang l = ctx->lang;
        int r = rctl_check_options(ctx, "export", RCTL_OPT_OUTPUT);
        if (r != 0)
                return r;
        if (rctl_intake_options_given(ctx))
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(l, "export ne prend que --output.", "export only takes --output."));
        r = rctl_check_args(ctx, "export", argc, 1, 1);
        if (r != 0)
                return r;
        const char *path;
        if (strcmp(argv[1], "assets") == 0)
                path = "/v1/exports/assets.csv";
        else if (strcmp(argv[1], "certificates") == 0)
                path = "/v1/exports/certificates.csv";
        else
                return rctl_usage_error(ctx, "%s", "export assets|certificates");

        _cleanup_free_ char *tmp = NULL;
        struct sink s = { .f = stdout };
        if (ctx->output) {
                if (asprintf(&tmp, "%s.tmp", ctx->output) < 0)
                        return OOM(ctx);
                s.f = fopen(tmp, "we");
                if (!s.f)
                        return rctl_fail(ctx, RF_TR(l, "Impossible de créer %s : %m.", "Cannot create %s: %m."), tmp);
        }
        _cleanup_reply_ struct rctl_reply reply = {};
        r = rctl_stream(ctx->client, path, "text/csv", on_csv, never_stop, &s, &reply);
        /* The stream client reports the end of a complete answer as a reset. */
        bool ok = (r == 0 || (r == -ECONNRESET && reply.status == 200)) && !s.failed;
        if (ctx->output) {
                ok = fclose(s.f) == 0 && ok;
                if (ok && rename(tmp, ctx->output) < 0)
                        ok = false;
                if (!ok)
                        (void) unlink(tmp);
        }
        if (!ok) {
                if (r < 0 && r != -ECONNRESET)
                        rctl_reply_print_error(ctx->client, &reply, "Export");
                else
                        fprintf(stderr, "%s\n", RF_TR(l, "Impossible d'écrire l'export.", "Cannot write the export."));
                return RCTL_EXIT_FAILED;
        }
        if (ctx->output && !ctx->json)
                fprintf(stderr, RF_TR(l, "Export écrit : %s\n", "Export written: %s\n"), ctx->output);
        return RCTL_EXIT_OK;
}
