/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl donor | asset | cert validate (docs/intake.md): the intake
 * records of donations and assets, and the supervisor's validation. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rctl-intake.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"

static_assert(RCTL_IN_N <= 24, "ctx->intake is too small");

static const char *const intake_names[RCTL_IN_N] = {
        [RCTL_IN_ORGANISATION] = "--organisation", [RCTL_IN_CONTACT] = "--contact",
        [RCTL_IN_ADDRESS] = "--address",           [RCTL_IN_REFERENCE] = "--reference",
        [RCTL_IN_DATE] = "--date",                 [RCTL_IN_TYPE] = "--type",
        [RCTL_IN_DONOR] = "--donor",               [RCTL_IN_INTAKE_DATE] = "--intake-date",
        [RCTL_IN_MAKER] = "--maker",               [RCTL_IN_MODEL] = "--model",
        [RCTL_IN_SERIAL] = "--serial",             [RCTL_IN_GRADE] = "--grade",
        [RCTL_IN_DESTINATION] = "--destination",   [RCTL_IN_RECIPIENT] = "--recipient",
        [RCTL_IN_NAME] = "--name",                 [RCTL_IN_TITLE] = "--title",
        [RCTL_IN_PDF] = "--pdf",
};

#define BIT(i) (1u << (i))

bool rctl_intake_options_given(const struct rctl_ctx *ctx) {
        for (size_t i = 0; i < RCTL_IN_N; i++)
                if (ctx->intake[i])
                        return true;
        return false;
}

/* Refuse the intake options that the command does not take. */
static int check_intake(const struct rctl_ctx *ctx, const char *command, unsigned allowed) {
        for (unsigned i = 0; i < RCTL_IN_N; i++)
                if (ctx->intake[i] && !(allowed & BIT(i)))
                        return rctl_usage_error(ctx,
                                                RF_TR(ctx->lang, "l'option %s ne s'emploie pas avec « %s ».",
                                                      "option %s does not go with '%s'."),
                                                intake_names[i], command);
        return 0;
}

/* "/v1/<what>/<percent-encoded key><tail>" */
static char *path_of(const char *what, const char *key, const char *tail) {
        size_t n = strlen(key);
        _cleanup_free_ char *enc = malloc(3 * n + 1);
        char *out = NULL;
        if (!enc)
                return NULL;
        char *p = enc;
        for (const unsigned char *k = (const unsigned char *) key; *k; k++) {
                if ((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
                    strchr("-._~", *k))
                        *p++ = (char) *k;
                else
                        p += sprintf(p, "%%%02X", *k);
        }
        *p = '\0';
        if (asprintf(&out, "/v1/%s/%s%s", what, enc, tail ? tail : "") < 0)
                return NULL;
        return out;
}

#define OOM(ctx) rctl_fail(ctx, "%s", RF_TR((ctx)->lang, "Mémoire insuffisante.", "Out of memory."))

static const char *s_or(const json_t *o, const char *key, const char *def) {
        const json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : def;
}

/* Body members from options: {member, RCTL_IN_*}. */
static json_t *body_from(const struct rctl_ctx *ctx, const char *const *members, const int *ids, size_t n) {
        json_t *b = json_object();
        for (size_t i = 0; b && i < n; i++)
                if (ctx->intake[ids[i]] && json_object_set_new(b, members[i], json_string(ctx->intake[ids[i]])) < 0) {
                        json_decref(b);
                        return NULL;
                }
        return b;
}

static void print_donor(const struct rctl_ctx *ctx, const json_t *d) {
        enum rf_lang l = ctx->lang;
        const char *kv[] = {
                RF_TR(l, "Référence", "Reference"),     s_or(d, "reference", NULL),
                "Organisation", s_or(d, "organisation", NULL),
                "Contact",          s_or(d, "contact", NULL),
                RF_TR(l, "Adresse", "Address"),          s_or(d, "address", NULL),
                RF_TR(l, "Date du don", "Donation date"), s_or(d, "date", NULL),
        };
        rctl_print_fields(l, "", kv, ELEMENTSOF(kv) / 2);
        const json_t *assets = json_object_get(d, "assets");
        if (json_is_array(assets)) {
                size_t i;
                const json_t *t;
                printf("%s", RF_TR(l, "Matériels :", "Assets:"));
                json_array_foreach(assets, i, t) printf(" %s", json_is_string(t) ? json_string_value(t) : "?");
                printf("%s\n", json_array_size(assets) ? "" : RF_TR(l, " aucun", " none"));
        }
}

static int donor_add(struct rctl_ctx *ctx) {
        static const char *const members[] = { "organisation", "contact", "address", "reference", "date" };
        static const int ids[] = { RCTL_IN_ORGANISATION, RCTL_IN_CONTACT, RCTL_IN_ADDRESS, RCTL_IN_REFERENCE,
                                   RCTL_IN_DATE };
        _cleanup_json_ json_t *body = body_from(ctx, members, ids, ELEMENTSOF(ids));
        _cleanup_reply_ struct rctl_reply reply = {};
        if (!body)
                return OOM(ctx);
        int r = rctl_send(ctx, "/v1/donors", body, RF_TR(ctx->lang, "Don refusé", "Donation refused"), NULL, &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        printf(RF_TR(ctx->lang, "Don %s enregistré (%s, %s).\n", "Donation %s recorded (%s, %s).\n"),
               s_or(reply.json, "reference", "?"), s_or(reply.json, "organisation", "?"),
               s_or(reply.json, "date", "?"));
        return RCTL_EXIT_OK;
}

static int list_cmd(struct rctl_ctx *ctx, const char *path, const char *member, bool donors) {
        _cleanup_reply_ struct rctl_reply reply = {};
        int r = rctl_fetch(ctx, path, NULL, &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        const json_t *list = json_object_get(reply.json, member);
        rctl_warn_bad_entries(ctx, list, member);
        size_t i;
        const json_t *o;
        if (json_array_size(list) == 0)
                printf("%s\n", donors ? RF_TR(ctx->lang, "Aucun don enregistré.", "No donation recorded.")
                                      : RF_TR(ctx->lang, "Aucun matériel enregistré.", "No asset recorded."));
        json_array_foreach(list, i, o) {
                if (!json_is_object(o))
                        continue;
                if (donors)
                        printf("%-20s %-10s %s\n", s_or(o, "reference", "?"), s_or(o, "date", "?"),
                               s_or(o, "organisation", "?"));
                else
                        printf("%-20s %-8s %-16s %-2s %-13s %s\n", s_or(o, "tag", "?"), s_or(o, "type", "?"),
                               s_or(json_object_get(o, "donor"), "reference", "-"), s_or(o, "grade", "-"),
                               s_or(o, "destination", "-"), s_or(o, "drive_serials", ""));
        }
        return RCTL_EXIT_OK;
}

static int show_cmd(struct rctl_ctx *ctx, const char *what, const char *key, bool donor) {
        _cleanup_free_ char *path = path_of(what, key, NULL);
        _cleanup_reply_ struct rctl_reply reply = {};
        if (!path)
                return OOM(ctx);
        int r = rctl_fetch(ctx, path, NULL, &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        if (donor) {
                print_donor(ctx, reply.json);
                return RCTL_EXIT_OK;
        }
        enum rf_lang l = ctx->lang;
        const json_t *a = reply.json;
        const char *kv[] = {
                RF_TR(l, "Étiquette", "Tag"),            s_or(a, "tag", NULL),
                "Type",                s_or(a, "type", NULL),
                RF_TR(l, "Don", "Donation"),             s_or(json_object_get(a, "donor"), "reference", NULL),
                RF_TR(l, "Donateur", "Donor"),           s_or(json_object_get(a, "donor"), "organisation", NULL),
                RF_TR(l, "Date d'entrée", "Intake date"), s_or(a, "intake_date", NULL),
                RF_TR(l, "Marque", "Maker"),             s_or(a, "maker", NULL),
                RF_TR(l, "Modèle", "Model"),             s_or(a, "model", NULL),
                RF_TR(l, "N° de série", "Serial"),       s_or(a, "serial", NULL),
                "Grade",              s_or(a, "grade", NULL),
                "Destination",  s_or(a, "destination", NULL),
                RF_TR(l, "Réf. bénéficiaire", "Recipient ref."), s_or(a, "recipient_ref", NULL),
        };
        rctl_print_fields(l, "", kv, ELEMENTSOF(kv) / 2);
        const json_t *drives = json_object_get(a, "drives");
        size_t i;
        const json_t *d;
        printf("%s\n", json_array_size(drives) ? RF_TR(l, "Disques :", "Drives:")
                                               : RF_TR(l, "Disques : aucun rattaché", "Drives: none linked"));
        json_array_foreach(drives, i, d) printf("  %-20s %-24s %-10s %s\n", s_or(d, "serial", "?"),
                                                s_or(d, "model", "?"),
                                                s_or(d, "result", RF_TR(l, "non effacé", "not erased")),
                                                s_or(d, "certificate_id", ""));
        return RCTL_EXIT_OK;
}

int rctl_cmd_donor(struct rctl_ctx *ctx, int argc, char **argv) {
        const char *sub = argc >= 2 ? argv[1] : "";
        int r = rctl_check_options(ctx, "donor", 0);
        if (r != 0)
                return r;
        if (strcmp(sub, "add") == 0) {
                r = check_intake(ctx, "donor add",
                                 BIT(RCTL_IN_ORGANISATION) | BIT(RCTL_IN_CONTACT) | BIT(RCTL_IN_ADDRESS) |
                                         BIT(RCTL_IN_REFERENCE) | BIT(RCTL_IN_DATE));
                if (r == 0)
                        r = rctl_check_args(ctx, "donor add", argc - 1, 0, 0);
                return r != 0 ? r : donor_add(ctx);
        }
        if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
                bool show = strcmp(sub, "show") == 0;
                r = check_intake(ctx, sub, 0);
                if (r == 0)
                        r = rctl_check_args(ctx, show ? "donor show" : "donor list", argc - 1, show, show);
                if (r != 0)
                        return r;
                return show ? show_cmd(ctx, "donors", argv[2], true) : list_cmd(ctx, "/v1/donors", "donors", true);
        }
        return rctl_usage_error(ctx, "%s",
                                RF_TR(ctx->lang, "donor add|list|show RÉFÉRENCE", "donor add|list|show REFERENCE"));
}

static int asset_add(struct rctl_ctx *ctx, const char *tag) {
        static const char *const members[] = { "type",  "donor", "intake_date", "maker",        "model",
                                               "serial", "grade", "destination", "recipient_ref" };
        static const int ids[] = { RCTL_IN_TYPE,   RCTL_IN_DONOR, RCTL_IN_INTAKE_DATE, RCTL_IN_MAKER,    RCTL_IN_MODEL,
                                   RCTL_IN_SERIAL, RCTL_IN_GRADE, RCTL_IN_DESTINATION, RCTL_IN_RECIPIENT };
        _cleanup_json_ json_t *body = body_from(ctx, members, ids, ELEMENTSOF(ids));
        _cleanup_reply_ struct rctl_reply reply = {};
        if (!body || json_object_set_new(body, "tag", json_string(tag)) < 0)
                return OOM(ctx);
        int r = rctl_send(ctx, "/v1/assets", body, RF_TR(ctx->lang, "Matériel refusé", "Asset refused"), NULL,
                          &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        printf(RF_TR(ctx->lang, "Matériel %s enregistré (%s, don %s).\n", "Asset %s recorded (%s, donation %s).\n"),
               s_or(reply.json, "tag", "?"), s_or(reply.json, "type", "?"),
               s_or(json_object_get(reply.json, "donor"), "reference", "-"));
        return RCTL_EXIT_OK;
}

static int asset_link(struct rctl_ctx *ctx, const char *tag, const char *device) {
        _cleanup_free_ char *path = path_of("assets", tag, "/link");
        _cleanup_reply_ struct rctl_reply reply = {};
        _cleanup_json_ json_t *body = NULL;
        char sys[64];
        if (device && rctl_device_sysname(device, sys, sizeof(sys)) < 0)
                return rctl_usage_error(ctx, RF_TR(ctx->lang, "« %s » ne désigne pas un disque.",
                                                   "'%s' does not name a drive."),
                                        device);
        if (!device == !ctx->intake[RCTL_IN_SERIAL])
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "asset link ÉTIQUETTE DISQUE, ou --serial N° (un seul des deux)",
                                              "asset link TAG DEVICE, or --serial SERIAL (one of them)"));
        body = device ? json_pack("{s:s}", "device", sys) : json_pack("{s:s}", "serial", ctx->intake[RCTL_IN_SERIAL]);
        if (!path || !body)
                return OOM(ctx);
        int r = rctl_send(ctx, path, body, RF_TR(ctx->lang, "Rattachement refusé", "Link refused"), NULL, &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        printf(RF_TR(ctx->lang, "Disque %s rattaché au matériel %s.\n", "Drive %s linked to asset %s.\n"),
               device ? sys : ctx->intake[RCTL_IN_SERIAL], tag);
        return RCTL_EXIT_OK;
}

/* POST a signed document; its id on stdout (for scripts), what it is on stderr. */
static int issue(struct rctl_ctx *ctx, const char *path, const json_t *body, const char *context, const char *what) {
        _cleanup_reply_ struct rctl_reply reply = {};
        int r = rctl_send(ctx, path, body, context, NULL, &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        fprintf(stderr, "%s\n", what);
        printf("%s\n", s_or(reply.json, "id", "?"));
        return RCTL_EXIT_OK;
}

int rctl_cmd_asset(struct rctl_ctx *ctx, int argc, char **argv) {
        const char *sub = argc >= 2 ? argv[1] : "";
        int r = rctl_check_options(ctx, "asset", 0);
        if (r != 0)
                return r;
        if (strcmp(sub, "add") == 0) {
                r = check_intake(ctx, "asset add",
                                 BIT(RCTL_IN_TYPE) | BIT(RCTL_IN_DONOR) | BIT(RCTL_IN_INTAKE_DATE) | BIT(RCTL_IN_MAKER) |
                                         BIT(RCTL_IN_MODEL) | BIT(RCTL_IN_SERIAL) | BIT(RCTL_IN_GRADE) |
                                         BIT(RCTL_IN_DESTINATION) | BIT(RCTL_IN_RECIPIENT));
                if (r == 0)
                        r = rctl_check_args(ctx, "asset add", argc - 1, 1, 1);
                return r != 0 ? r : asset_add(ctx, argv[2]);
        }
        if (strcmp(sub, "link") == 0) {
                r = check_intake(ctx, "asset link", BIT(RCTL_IN_SERIAL));
                if (r == 0)
                        r = rctl_check_args(ctx, "asset link", argc - 1, 1, 2);
                return r != 0 ? r : asset_link(ctx, argv[2], argc > 3 ? argv[3] : NULL);
        }
        if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0 || strcmp(sub, "certificate") == 0) {
                bool key = strcmp(sub, "list") != 0;
                r = check_intake(ctx, sub, 0);
                if (r == 0)
                        r = rctl_check_args(ctx, sub, argc - 1, key, key);
                if (r != 0)
                        return r;
                if (!key)
                        return list_cmd(ctx, "/v1/assets", "assets", false);
                if (strcmp(sub, "show") == 0)
                        return show_cmd(ctx, "assets", argv[2], false);
                _cleanup_free_ char *path = path_of("assets", argv[2], "/certificate");
                return path ? issue(ctx, path, NULL,
                                    RF_TR(ctx->lang, "Certificat de reconditionnement refusé",
                                          "Refurbishment certificate refused"),
                                    RF_TR(ctx->lang, "Certificat de reconditionnement émis :",
                                          "Refurbishment certificate issued:"))
                            : OOM(ctx);
        }
        return rctl_usage_error(ctx, "%s",
                                RF_TR(ctx->lang, "asset add|list|show|link|certificate ÉTIQUETTE",
                                      "asset add|list|show|link|certificate TAG"));
}

int rctl_cert_validate(struct rctl_ctx *ctx, int argc, char **argv) {
        int r = rctl_check_options(ctx, "cert validate", 0);
        if (r == 0)
                r = check_intake(ctx, "cert validate", BIT(RCTL_IN_NAME) | BIT(RCTL_IN_TITLE));
        if (r == 0)
                r = rctl_check_args(ctx, "cert validate", argc, 1, 1);
        if (r != 0)
                return r;
        _cleanup_free_ char *path = path_of("certificates", argv[1], "/validation");
        _cleanup_json_ json_t *body = json_object();
        if (!path || !body)
                return OOM(ctx);
        if ((ctx->intake[RCTL_IN_NAME] && json_object_set_new(body, "name", json_string(ctx->intake[RCTL_IN_NAME])) < 0) ||
            (ctx->intake[RCTL_IN_TITLE] && json_object_set_new(body, "title", json_string(ctx->intake[RCTL_IN_TITLE])) < 0))
                return OOM(ctx);
        return issue(ctx, path, body, RF_TR(ctx->lang, "Validation refusée", "Validation refused"),
                     RF_TR(ctx->lang, "Validation émise :", "Validation issued:"));
}
