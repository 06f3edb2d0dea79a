/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl status, devices, bays. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rctl-output.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-util.h"

static bool expect_list(struct rctl_ctx *ctx, const struct rctl_reply *reply, const char *member, json_t **ret) {
        *ret = rctl_jarr(reply->json, member);
        if (!*ret)
                rctl_fail(ctx,
                          RF_TR(ctx->lang, "Réponse inattendue de refurbd : la liste « %s » manque.",
                                "Unexpected answer from refurbd: the \"%s\" list is missing."),
                          member);
        return *ret;
}

static void format_size(const json_t *obj, enum rf_lang lang, char *out, size_t outlen) {
        long long size;
        if (rctl_jint(obj, "size", &size) == 0 && size >= 0)
                rf_format_bytes((uint64_t) size, lang == RF_LANG_FR, out, outlen);
        else
                snprintf(out, outlen, "?");
}

int rctl_cmd_status(struct rctl_ctx *ctx, int argc, char **argv) {
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        enum rf_lang lang = ctx->lang;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], 0)) || (r = rctl_check_args(ctx, argv[0], argc, 0, 0)))
                return r;
        r = rctl_fetch(ctx, "/v1/status", NULL, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r != 0 || ctx->json)
                return r;

        const json_t *s = reply.json;
        const char *bench = rctl_jstr(s, "bench"), *host = rctl_jstr(s, "hostname");
        char bench_buf[256], uptime[64] = "?", bays[32] = "?", running[32] = "?";
        long long v;

        if (bench && host && *host && strcmp(bench, host) != 0)
                snprintf(bench_buf, sizeof(bench_buf), RF_TR(lang, "%s (machine %s)", "%s (host %s)"), bench, host);
        else
                snprintf(bench_buf, sizeof(bench_buf), "%s", bench ? bench : "?");
        if (rctl_jint(s, "uptime_seconds", &v) == 0 && v >= 0)
                rf_format_duration((uint64_t) v, uptime, sizeof(uptime));
        if (rctl_jint(s, "bays", &v) == 0 && v >= 0)
                snprintf(bays, sizeof(bays), "%lld", v);
        if (rctl_jint(s, "jobs_running", &v) == 0 && v >= 0)
                snprintf(running, sizeof(running), "%lld", v);

        /* The network API (docs/network-api.md): its addresses, and the TLS
         * certificate's fingerprint to compare with --ca-file's. */
        char network[256] = "";
        size_t i, used = 0;
        const json_t *addr;
        json_array_foreach(rctl_jarr(s, "network"), i, addr) {
                const char *a = json_string_value(addr);
                int k = a ? snprintf(network + used, sizeof(network) - used, "%s%s", used ? ", " : "", a) : 0;
                if (k < 0 || (size_t) k >= sizeof(network) - used)
                        break;
                used += (size_t) k;
        }

        const char *org = rctl_jstr(s, "organisation"), *loc = rctl_jstr(s, "location");
        const char *version = rctl_jstr(s, "version");
        const char *fields[] = {
                RF_TR(lang, "Banc", "Bench"),                      bench_buf,
                "Organisation",       org && *org ? org : NULL,
                RF_TR(lang, "Lieu", "Location"),                   loc && *loc ? loc : NULL,
                RF_TR(lang, "Version de refurbd", "refurbd version"), version ? version : "?",
                RF_TR(lang, "En service depuis", "Up for"),        uptime,
                RF_TR(lang, "Baies", "Bays"),                      bays,
                RF_TR(lang, "Effacements en cours", "Erasures running"), running,
                RF_TR(lang, "Certificat du banc (SHA-256)", "Bench certificate (SHA-256)"),
                rctl_jstr(s, "certificate_sha256"),
                RF_TR(lang, "API réseau", "Network API"),          *network ? network : NULL,
                RF_TR(lang, "Certificat TLS (SHA-256)", "TLS certificate (SHA-256)"), rctl_jstr(s, "tls_sha256"),
        };
        rctl_print_fields(lang, NULL, fields, ELEMENTSOF(fields) / 2);
        return RCTL_EXIT_OK;
}

static const char *content_words(const json_t *dev, enum rf_lang lang) {
        const char *s = rctl_jstr(dev, RF_TR(lang, "content_summary_fr", "content_summary_en"));
        if (!s || !*s)
                s = rctl_jstr(dev, RF_TR(lang, "content_summary_en", "content_summary_fr"));
        return s && *s ? s : NULL;
}

int rctl_cmd_devices(struct rctl_ctx *ctx, int argc, char **argv) {
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        enum rf_lang lang = ctx->lang;
        json_t *list;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], 0)) || (r = rctl_check_args(ctx, argv[0], argc, 0, 0)))
                return r;
        r = rctl_fetch(ctx, "/v1/devices", NULL, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r == 0 && !ctx->json && !expect_list(ctx, &reply, "devices", &list))
                r = RCTL_EXIT_FAILED;
        if (r != 0 || ctx->json)
                return r;

        const char *headers[] = {
                RF_TR(lang, "PÉRIPHÉRIQUE", "DEVICE"), RF_TR(lang, "BAIE", "BAY"),
                RF_TR(lang, "TAILLE", "SIZE"),         RF_TR(lang, "DISQUE", "DRIVE"),
                RF_TR(lang, "CONTENU", "CONTENT"),     RF_TR(lang, "ÉTAT", "STATE"),
        };
        _cleanup_table_ struct rctl_table *t = NULL;
        if (rctl_table_new(ELEMENTSOF(headers), headers, &t) < 0)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));

        size_t i;
        json_t *dev;
        rctl_warn_bad_entries(ctx, list, "devices");
        json_array_foreach(list, i, dev) {
                char size[32], identity[512], state[512];
                if (!json_is_object(dev))
                        continue;
                const json_t *erasable = json_is_object(dev) ? json_object_get(dev, "erasable") : NULL;

                format_size(dev, lang, size, sizeof(size));
                rctl_identity_words(dev, lang, identity, sizeof(identity));
                if (json_is_true(erasable))
                        snprintf(state, sizeof(state), "%s", RF_TR(lang, "effaçable", "erasable"));
                else if (rctl_jobj(dev, "refusal"))
                        rctl_refusal_words(rctl_jobj(dev, "refusal"), lang, state, sizeof(state));
                else
                        snprintf(state, sizeof(state), "%s", RF_TR(lang, "non effaçable", "not erasable"));

                const char *devnode = rctl_jstr(dev, "devnode");
                const char *row[] = {
                        devnode ? devnode : rctl_jstr(dev, "sysname"),
                        rctl_jstr(dev, "bay"),
                        size,
                        identity,
                        content_words(dev, lang),
                        state,
                };
                if (rctl_table_add(t, row) < 0)
                        break;
        }
        if (rctl_table_rows(t) == 0)
                printf("%s\n", RF_TR(lang, "Aucun disque.", "No drives."));
        else
                rctl_table_print(t, stdout, true, 0, NULL, false);
        return RCTL_EXIT_OK;
}

int rctl_cmd_bays(struct rctl_ctx *ctx, int argc, char **argv) {
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        enum rf_lang lang = ctx->lang;
        json_t *list;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], 0)) || (r = rctl_check_args(ctx, argv[0], argc, 0, 0)))
                return r;
        r = rctl_fetch(ctx, "/v1/bays", NULL, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r == 0 && !ctx->json && !expect_list(ctx, &reply, "bays", &list))
                r = RCTL_EXIT_FAILED;
        if (r != 0 || ctx->json)
                return r;

        _cleanup_table_ struct rctl_table *t = NULL;
        rctl_warn_bad_entries(ctx, list, "bays");
        if (rctl_bays_table(list, lang, &t) < 0)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        if (rctl_table_rows(t) == 0)
                printf("%s\n", RF_TR(lang, "Aucune baie n'est configurée.", "No bay is configured."));
        else
                rctl_table_print(t, stdout, true, 0, NULL, ctx->colors);
        return RCTL_EXIT_OK;
}

int rctl_bays_table(const json_t *bays, enum rf_lang lang, struct rctl_table **ret) {
        /* The state before the drive: a narrow terminal cuts the end. */
        const char *headers[] = {
                RF_TR(lang, "BAIE", "BAY"),
                RF_TR(lang, "PÉRIPHÉRIQUE", "DEVICE"),
                RF_TR(lang, "ÉTAT", "STATE"),
                RF_TR(lang, "DISQUE", "DRIVE"),
        };
        _cleanup_table_ struct rctl_table *t = NULL;
        int r = rctl_table_new(ELEMENTSOF(headers), headers, &t);
        if (r < 0)
                return r;

        size_t i;
        json_t *bay;
        json_array_foreach(bays, i, bay) {
                const json_t *dev = rctl_jobj(bay, "device");
                char size[32] = "", identity[512] = "", drive[600] = "", state[1024];
                enum rctl_tone tone;

                if (!json_is_object(bay))
                        continue;
                if (dev) {
                        format_size(dev, lang, size, sizeof(size));
                        rctl_identity_words(dev, lang, identity, sizeof(identity));
                        snprintf(drive, sizeof(drive), "%s — %s", size, identity);
                }
                rctl_bay_words(bay, lang, state, sizeof(state), &tone);
                const char *row[] = {
                        rctl_jstr(bay, "name"),
                        dev ? rctl_jstr(dev, "devnode") : "",
                        state,
                        drive,
                };
                r = rctl_table_add(t, row);
                if (r < 0)
                        return r;
                rctl_table_color(t, 2,
                                 tone == RCTL_TONE_GOOD  ? RCTL_GREEN
                                 : tone == RCTL_TONE_BAD ? RCTL_RED
                                                         : NULL);
        }
        *ret = TAKE_PTR(t);
        return 0;
}
