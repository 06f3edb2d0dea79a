/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rctl-output.h"
#include "rctl.h"

int rctl_check_options(const struct rctl_ctx *ctx, const char *command, unsigned allowed) {
        static const struct {
                unsigned flag;
                const char *name;
        } names[] = {
                { RCTL_OPT_VERIFY, "--verify" },       { RCTL_OPT_VERIFY_PERCENT, "--verify-percent" },
                { RCTL_OPT_WAIT, "--wait" },           { RCTL_OPT_LIMIT, "--limit" },
                { RCTL_OPT_OUTPUT, "--output" },       { RCTL_OPT_CA, "--ca" },
                { RCTL_OPT_SIGNATURE, "--signature" }, { RCTL_OPT_ONCE, "--once" },
                { RCTL_OPT_FROM_DIR, "--from-dir" },   { RCTL_OPT_ROLE, "--role" },
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if ((ctx->given & names[i].flag) && !(allowed & names[i].flag))
                        return rctl_usage_error(ctx,
                                                RF_TR(ctx->lang, "l'option %s ne s'emploie pas avec « %s ».",
                                                      "option %s does not go with '%s'."),
                                                names[i].name, command);
        return 0;
}

int rctl_check_args(const struct rctl_ctx *ctx, const char *command, int argc, int min, int max) {
        if (argc - 1 < min)
                return rctl_usage_error(ctx,
                                        RF_TR(ctx->lang, "il manque un argument à « %s ».",
                                              "'%s' needs an argument."),
                                        command);
        if (argc - 1 > max)
                return rctl_usage_error(ctx, RF_TR(ctx->lang, "trop d'arguments pour « %s ».",
                                                   "too many arguments for '%s'."),
                                        command);
        return 0;
}

static int report(struct rctl_ctx *ctx, int r, const char *context, const char *refused_context,
                  const struct rctl_reply *reply) {
        if (ctx->json && reply->api_error && reply->json)
                (void) rctl_print_json(reply->json, ctx->tty);
        bool refused = r == -EBUSY && refused_context && strcmp(reply->code, "refused") == 0;
        rctl_reply_print_error(ctx->client, reply, refused ? refused_context : context);
        return RCTL_EXIT_FAILED;
}

int rctl_fetch(struct rctl_ctx *ctx, const char *path, const char *context, struct rctl_reply *reply) {
        int r = rctl_get(ctx->client, path, reply);
        return r < 0 ? report(ctx, r, context, NULL, reply) : 0;
}

int rctl_send(struct rctl_ctx *ctx, const char *path, const json_t *body, const char *context,
              const char *refused_context, struct rctl_reply *reply) {
        int r = rctl_post(ctx->client, path, body, reply);
        return r < 0 ? report(ctx, r, context, refused_context, reply) : 0;
}

void rctl_warn_bad_entries(const struct rctl_ctx *ctx, const json_t *list, const char *member) {
        size_t i, bad = 0;
        json_t *v;

        json_array_foreach(list, i, v)
                if (!json_is_object(v))
                        bad++;
        if (bad > 0)
                fprintf(stderr,
                        RF_TR(ctx->lang, "Attention : %zu entrée(s) illisible(s) ignorée(s) dans la liste « %s » de refurbd.\n",
                              "Warning: %zu unreadable entr(y/ies) ignored in refurbd's \"%s\" list.\n"),
                        bad, member);
}

int rctl_emit_json(const struct rctl_ctx *ctx, const json_t *v) {
        if (rctl_print_json(v, ctx->tty) < 0)
                return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Impossible d'écrire la sortie.", "Cannot write the output."));
        return RCTL_EXIT_OK;
}

int rctl_parse_job_id(const char *s, long long *ret) {
        char *end = NULL;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno != 0 || !end || *end != '\0' || v <= 0 || v > (1LL << 53))
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool valid_sysname(const char *s) {
        if (!*s || strlen(s) > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("-_.!", *p)))
                        return false;
        return true;
}

int rctl_device_sysname(const char *arg, char *out, size_t outlen) {
        const char *name = arg;
        _cleanup_free_ char *resolved = NULL;

        if (strncmp(arg, "/dev/", 5) == 0) {
                name = arg + 5;
                if (strchr(name, '/')) {
                        /* /dev/disk/by-id/usb-… -> /dev/sdb */
                        resolved = realpath(arg, NULL);
                        if (!resolved || strncmp(resolved, "/dev/", 5) != 0)
                                return -EINVAL;
                        name = resolved + 5;
                }
        }
        if (!valid_sysname(name) || strlen(name) >= outlen)
                return -EINVAL;
        snprintf(out, outlen, "%s", name);
        return 0;
}

void rctl_print_fields(enum rf_lang lang, const char *indent, const char *const *kv, size_t n) {
        size_t width = 0;

        for (size_t i = 0; i < n; i++)
                if (kv[2 * i + 1])
                        width = MAX(width, rctl_width(kv[2 * i]));
        for (size_t i = 0; i < n; i++) {
                if (!kv[2 * i + 1])
                        continue;
                _cleanup_free_ char *value = rctl_sanitize(kv[2 * i + 1]);
                size_t pad = width - rctl_width(kv[2 * i]);
                if (lang == RF_LANG_EN)
                        printf("%s%s:%*s %s\n", indent ? indent : "", kv[2 * i], (int) pad, "", value ? value : "?");
                else
                        printf("%s%s%*s : %s\n", indent ? indent : "", kv[2 * i], (int) pad, "", value ? value : "?");
        }
}
