/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl token create|list|revoke: the access tokens of the network API
 * (docs/network-api.md, "Token management"). /v1/tokens is served on the
 * Unix socket only: with --url, refurbctl says so without asking. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rctl-intake.h"
#include "rctl-output.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"

#define TOKEN_NAME_MAX 64

static const char *const roles[] = { "technician", "supervisor", "dsi", "agent" };

static int oom(struct rctl_ctx *ctx) {
        return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Mémoire insuffisante.", "Out of memory."));
}

/* Only --name among the intake options, and only for "token create". */
static int check_token_options(struct rctl_ctx *ctx, const char *command, bool create) {
        int r = rctl_check_options(ctx, command, create ? RCTL_OPT_ROLE : 0);
        if (r != 0)
                return r;
        for (unsigned i = 0; i < RCTL_IN_N; i++)
                if (ctx->intake[i] && !(create && i == RCTL_IN_NAME))
                        return rctl_usage_error(ctx,
                                                RF_TR(ctx->lang,
                                                      "« %s » ne prend que --role et --name (token create).",
                                                      "'%s' only takes --role and --name (token create)."),
                                                command);
        return 0;
}

/* The secret as the daemon gave it: visible ASCII only, so that it can be
 * printed and stored as one line. */
static bool valid_secret(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 1024)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

static bool valid_name(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || !rf_utf8_valid(s, n) || rctl_width(s) > TOKEN_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] == 0x7f)
                        return false;
        return true;
}

static int token_create(struct rctl_ctx *ctx) {
        enum rf_lang lang = ctx->lang;
        const char *name = ctx->intake[RCTL_IN_NAME];
        bool known = false;

        for (size_t i = 0; i < ELEMENTSOF(roles); i++)
                known = known || rf_streq_ptr(ctx->role, roles[i]);
        if (!ctx->role || !known)
                return rctl_usage_error(ctx,
                                        RF_TR(lang,
                                              "« token create » demande --role technician, supervisor, dsi ou agent%s%s%s.",
                                              "'token create' needs --role technician, supervisor, dsi or agent%s%s%s."),
                                        ctx->role ? RF_TR(lang, " (pas « ", " (not '") : "", ctx->role ? ctx->role : "",
                                        ctx->role ? RF_TR(lang, " »)", "')") : "");
        if (!name)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang,
                                              "« token create » demande --name NOM (à qui ou à quoi sert le jeton, par exemple « écran atelier »).",
                                              "'token create' needs --name NAME (who or what the token is for, for example 'workshop screen')."));
        if (!valid_name(name))
                return rctl_usage_error(ctx,
                                        RF_TR(lang,
                                              "--name : de 1 à %d caractères UTF-8 imprimables sont attendus.",
                                              "--name: 1 to %d printable UTF-8 characters are expected."),
                                        TOKEN_NAME_MAX);

        _cleanup_json_ json_t *body = json_pack("{s:s, s:s}", "role", ctx->role, "name", name);
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        if (!body)
                return oom(ctx);
        int r = rctl_send(ctx, "/v1/tokens", body, RF_TR(lang, "Création du jeton refusée", "Token creation refused"),
                          NULL, &reply);
        if (r != 0)
                return r;

        const char *secret = rctl_jstr(reply.json, "secret");
        const json_t *tok = rctl_jobj(reply.json, "token");
        long long id = 0;
        if (!valid_secret(secret) || rctl_jint(tok, "id", &id) < 0 || id <= 0)
                return rctl_fail(ctx, "%s",
                                 RF_TR(lang,
                                       "Réponse inattendue de refurbd : le jeton créé ou son secret manque ou est illisible. Révoquez-le (refurbctl token list, puis token revoke).",
                                       "Unexpected answer from refurbd: the created token or its secret is missing or unreadable. Revoke it (refurbctl token list, then token revoke)."));
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);

        _cleanup_free_ char *shown = rctl_sanitize(rctl_jstr(tok, "name") ? rctl_jstr(tok, "name") : name);
        const char *role = rctl_jstr(tok, "role");
        _cleanup_free_ char *shown_role = rctl_sanitize(role ? role : ctx->role);
        if (ctx->tty)
                printf(RF_TR(lang,
                             "Jeton n° %lld « %s » (%s) créé. Voici son secret, affiché cette seule fois :\n\n    %s\n\n",
                             "Token %lld '%s' (%s) created. Here is its secret, shown this once only:\n\n    %s\n\n"),
                       id, shown ? shown : "?", shown_role ? shown_role : "?", secret);
        else {
                /* Alone on its line, for "> FILE". */
                printf("%s\n", secret);
                fprintf(stderr, RF_TR(lang, "Jeton n° %lld « %s » (%s) créé.\n", "Token %lld '%s' (%s) created.\n"), id,
                        shown ? shown : "?", shown_role ? shown_role : "?");
        }
        fputs(RF_TR(lang,
                    "Il ne sera plus jamais affiché : conservez-le dans un fichier que vous seul pouvez lire "
                    "(chmod 600 FICHIER, ou dès sa création : (umask 077 && refurbctl token create … > FICHIER)), "
                    "puis : refurbctl --url https://BANC:8443 --token-file FICHIER …\n",
                    "It will never be shown again: keep it in a file only you can read "
                    "(chmod 600 FILE, or from the start: (umask 077 && refurbctl token create … > FILE)), "
                    "then: refurbctl --url https://BENCH:8443 --token-file FILE …\n"),
              stderr);
        return RCTL_EXIT_OK;
}

static int token_list(struct rctl_ctx *ctx) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        _cleanup_table_ struct rctl_table *t = NULL;
        const char *headers[] = {
                RF_TR(lang, "N°", "ID"),          RF_TR(lang, "NOM", "NAME"),
                RF_TR(lang, "RÔLE", "ROLE"),      RF_TR(lang, "CRÉÉ", "CREATED"),
                RF_TR(lang, "DERNIER USAGE", "LAST USED"), RF_TR(lang, "RÉVOQUÉ", "REVOKED"),
        };
        size_t i;
        json_t *tok;

        int r = rctl_fetch(ctx, "/v1/tokens", RF_TR(lang, "Liste des jetons", "Token list"), &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        json_t *list = rctl_jarr(reply.json, "tokens");
        if (!list)
                return rctl_fail(ctx, "%s",
                                 RF_TR(lang, "Réponse inattendue de refurbd : la liste « tokens » manque.",
                                       "Unexpected answer from refurbd: the \"tokens\" list is missing."));
        rctl_warn_bad_entries(ctx, list, "tokens");
        if (json_array_size(list) == 0) {
                printf("%s\n", RF_TR(lang, "Aucun jeton : « refurbctl token create --role … --name … » en crée un.",
                                     "No token: 'refurbctl token create --role … --name …' makes one."));
                return RCTL_EXIT_OK;
        }
        if (rctl_table_new(ELEMENTSOF(headers), headers, &t) < 0)
                return oom(ctx);
        json_array_foreach(list, i, tok) {
                char id[32] = "?", created[64], used[64], revoked[64];
                long long v;
                if (!json_is_object(tok))
                        continue;
                if (rctl_jint(tok, "id", &v) == 0)
                        snprintf(id, sizeof(id), "%lld", v);
                rctl_format_time(rctl_jstr(tok, "created_at"), lang, created, sizeof(created));
                const char *u = rctl_jstr(tok, "last_used_at"), *rv = rctl_jstr(tok, "revoked_at");
                if (u)
                        rctl_format_time(u, lang, used, sizeof(used));
                else
                        snprintf(used, sizeof(used), "%s", RF_TR(lang, "jamais", "never"));
                if (rv)
                        rctl_format_time(rv, lang, revoked, sizeof(revoked));
                else
                        snprintf(revoked, sizeof(revoked), "%s", RF_TR(lang, "non", "no"));
                const char *cells[] = { id, rctl_jstr(tok, "name"), rctl_jstr(tok, "role"), created, used, revoked };
                if (rctl_table_add(t, cells) < 0)
                        return oom(ctx);
                if (rv)
                        rctl_table_color(t, 5, RCTL_RED);
        }
        (void) rctl_table_print(t, stdout, true, 0, NULL, ctx->colors);
        return RCTL_EXIT_OK;
}

static int token_revoke(struct rctl_ctx *ctx, const char *arg) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        char path[64], context[96];
        long long id;

        if (rctl_parse_job_id(arg, &id) < 0)
                return rctl_usage_error(ctx,
                                        RF_TR(lang, "« %s » n'est pas un numéro de jeton (voir « refurbctl token list »).",
                                              "'%s' is not a token number (see 'refurbctl token list')."),
                                        arg);
        snprintf(path, sizeof(path), "/v1/tokens/%lld/revoke", id);
        snprintf(context, sizeof(context), RF_TR(lang, "Révocation du jeton n° %lld", "Revoking token %lld"), id);
        int r = rctl_send(ctx, path, NULL, context, NULL, &reply);
        if (r != 0)
                return r;
        if (ctx->json)
                return rctl_emit_json(ctx, reply.json);
        const json_t *tok = rctl_jobj(reply.json, "token");
        _cleanup_free_ char *name = rctl_sanitize(rctl_jstr(tok, "name") ? rctl_jstr(tok, "name") : "?");
        _cleanup_free_ char *role = rctl_sanitize(rctl_jstr(tok, "role") ? rctl_jstr(tok, "role") : "?");
        printf(RF_TR(lang, "Jeton n° %lld « %s » (%s) révoqué : il ne donne plus accès au banc, ses sessions sont fermées.\n",
                     "Token %lld '%s' (%s) revoked: it no longer gives access to the bench, its sessions are closed.\n"),
               id, name ? name : "?", role ? role : "?");
        return RCTL_EXIT_OK;
}

int rctl_cmd_token(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        const char *sub = argc >= 2 ? argv[1] : "";
        bool create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0, revoke = strcmp(sub, "revoke") == 0;
        char command[32];
        int r;

        if (!create && !list && !revoke)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang, "token create --role RÔLE --name NOM | token list | token revoke N°",
                                              "token create --role ROLE --name NAME | token list | token revoke ID"));
        snprintf(command, sizeof(command), "token %s", sub);
        if ((r = check_token_options(ctx, command, create)) || (r = rctl_check_args(ctx, command, argc - 1, revoke, revoke)))
                return r;
        if (!ctx->client->socket_path) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang,
                              "Les jetons se gèrent uniquement sur le banc lui-même, par son socket Unix : "
                              "lancez « sudo refurbctl token … » sur le banc, sans --url (ni REFURB_URL). "
                              "Rien n'a été envoyé.",
                              "Tokens are managed only on the bench itself, through its Unix socket: "
                              "run 'sudo refurbctl token …' on the bench, without --url (or REFURB_URL). "
                              "Nothing was sent."));
                return RCTL_EXIT_FORBIDDEN;
        }
        if (create)
                return token_create(ctx);
        if (list)
                return token_list(ctx);
        return token_revoke(ctx, argv[2]);
}
