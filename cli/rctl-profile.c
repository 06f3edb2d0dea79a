/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl profile list [DIR] | show FILE | validate FILE [--files] | sign --key KEY.pem FILE
 * The DSI's image profiles and their signatures, checked as the bench
 * checks them (refurb-profile(5)). Local files only: no daemon. show and
 * validate are in rctl-profile-check.c. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rctl-output.h"
#include "rctl-profile-internal.h"
#include "rctl-profile.h"
#include "rf-json.h"
#include "rf-util.h"

#define MAX_PROFILES 1000

/* ---- list ------------------------------------------------------------- */

static bool is_profile_name(const char *n) {
        size_t len = strlen(n);
        return n[0] != '.' && len > 8 && strcmp(n + len - 8, ".profile") == 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free((void *) names);
}

/* The *.profile names of dir, sorted; names that are not printable UTF-8
 * are counted in *ret_skipped. */
static int list_dir(const char *dir, char ***ret, size_t *ret_n, size_t *ret_skipped) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        if (!d)
                return negative_errno();
        for (struct dirent *de; r == 0 && (errno = 0, de = readdir(d));) {
                if (!is_profile_name(de->d_name))
                        continue;
                if (!rctl_profile_text_ok(de->d_name)) {
                        (*ret_skipped)++;
                        continue;
                }
                char **nn = n < MAX_PROFILES ? reallocarray((void *) names, n + 1, sizeof(*nn)) : NULL;
                if (!nn || !(nn[n] = strdup(de->d_name))) {
                        if (nn)
                                names = nn;
                        r = n < MAX_PROFILES ? -ENOMEM : -E2BIG;
                        break;
                }
                names = nn;
                n++;
        }
        if (r == 0 && errno != 0)
                r = negative_errno();
        if (r < 0) {
                free_names(names, n);
                return r;
        }
        if (n > 1)
                qsort((void *) names, n, sizeof(*names), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int cmd_list(struct rctl_ctx *ctx, const struct rctl_profile_opts *o) {
        enum rf_lang lang = ctx->lang;
        const char *dir = o->n_pos >= 3 ? o->pos[2] : RCTL_PROFILE_DEFAULT_DIR;
        _cleanup_img_trust_ struct img_trust *t = NULL;
        char trust_err[512] = "";
        char **names = NULL;
        size_t n = 0;

        if (rctl_profile_load_trust(o, &t, trust_err, sizeof(trust_err)) < 0)
                return rctl_fail(ctx, RF_TR(lang, "Clés de confiance refusées : %s", "Trusted keys refused: %s"),
                                 trust_err);
        size_t skipped = 0;
        int r = list_dir(dir, &names, &n, &skipped);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(lang, "Impossible de lire le dossier %s : %s", "Cannot read folder %s: %s"),
                                 dir, r == -E2BIG ? RF_TR(lang, "trop de profils", "too many profiles") : strerror(-r));

        static const char *const headers_fr[] = { "FICHIER", "NOM", "VERSION", "CIBLE", "EXPIRATION", "SIGNATURE" };
        static const char *const headers_en[] = { "FILE", "NAME", "VERSION", "TARGET", "EXPIRES", "SIGNATURE" };
        _cleanup_table_ struct rctl_table *table = NULL;
        _cleanup_json_ json_t *list = json_array();
        if (!list || rctl_table_new(6, lang == RF_LANG_EN ? headers_en : headers_fr, &table) < 0) {
                free_names(names, n);
                return OOM(ctx);
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *path = NULL;
                struct rctl_profile_check c;
                char expires[64], sig[320];
                if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
                        r = -ENOMEM;
                        break;
                }
                rctl_profile_check(path, t, NULL, &c);
                if (ctx->json)
                        r = json_array_append_new(list, rctl_profile_check_json(&c)) < 0 ? -ENOMEM : 0;
                else {
                        snprintf(expires, sizeof(expires), "%s%s",
                                 c.p && c.p->expires ? c.p->expires_text : (c.p ? RF_TR(lang, "jamais", "never") : "—"),
                                 c.expired ? RF_TR(lang, " (EXPIRÉ)", " (EXPIRED)") : "");
                        if (c.sig_r == 0)
                                snprintf(sig, sizeof(sig), "%s (%s %s)", rctl_profile_sig_words(lang, 0), c.info.key_id,
                                         c.info.key_file);
                        else
                                snprintf(sig, sizeof(sig), "%s", rctl_profile_sig_words(lang, c.sig_r));
                        const char *row[] = { names[i],
                                              c.p ? c.p->name : RF_TR(lang, "(malformé)", "(malformed)"),
                                              c.p ? c.p->version : NULL,
                                              c.p ? img_target_to_string(c.p->target) : NULL,
                                              expires,
                                              sig };
                        r = rctl_table_add(table, row);
                        if (r == 0 && !rctl_profile_check_ok(&c))
                                rctl_table_color(table, 5, RCTL_RED);
                }
                rctl_profile_check_done(&c);
        }
        free_names(names, n);
        if (r < 0)
                return OOM(ctx);
        if (skipped > 0)
                fprintf(stderr,
                        RF_TR(lang, "Attention : %zu fichier(s) *.profile de %s ignoré(s), nom illisible.\n",
                              "Warning: %zu *.profile file(s) of %s skipped, unreadable name.\n"),
                        skipped, dir);
        if (ctx->json)
                return rctl_emit_json(ctx, list);
        if (rctl_table_rows(table) == 0) {
                printf(RF_TR(lang, "Aucun profil (*.profile) dans %s.\n", "No profile (*.profile) in %s.\n"), dir);
                return RCTL_EXIT_OK;
        }
        rctl_table_print(table, stdout, true, 0, NULL, ctx->colors);
        return RCTL_EXIT_OK;
}

/* ---- sign ---------------------------------------------------------------- */

/* path as a shell word. */
static void print_shell_word(const char *s) {
        if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+-:@%=,") == strlen(s)) {
                fputs(s, stdout);
                return;
        }
        putchar('\'');
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", stdout);
                else
                        putchar(*s);
        putchar('\'');
}

static int cmd_sign(struct rctl_ctx *ctx, const struct rctl_profile_opts *o) {
        enum rf_lang lang = ctx->lang;
        const char *path = o->pos[2];
        _cleanup_img_profile_ struct img_profile *p = NULL;
        _cleanup_free_ char *text = NULL;
        char err[512] = "", key_id[17] = "";
        size_t len = 0;

        int r = rf_read_file(path, RCTL_PROFILE_MAX_SIZE, &text, &len);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(lang, "Impossible de lire %s : %s", "Cannot read %s: %s"), path,
                                 r == -EFBIG ? RF_TR(lang, "plus de 1 Mio", "more than 1 MiB") : strerror(-r));
        if (img_profile_parse(path, NULL, text, len, &p, err, sizeof(err)) < 0)
                return rctl_fail(ctx, RF_TR(lang, "Profil non signé, il est malformé : %s",
                                            "Profile not signed, it is malformed: %s"), err);
        if (img_profile_expired(p, rf_now_sec()) == 1)
                fprintf(stderr, RF_TR(lang, "Attention : ce profil a expiré le %s ; le banc le refusera.\n",
                                      "Warning: this profile expired on %s; the bench will refuse it.\n"),
                        p->expires_text);
        if (img_sign_detached(o->key, path, text, len, key_id, err, sizeof(err)) < 0)
                return rctl_fail(ctx, RF_TR(lang, "Signature impossible : %s", "Cannot sign: %s"), err);

        if (ctx->json) {
                _cleanup_free_ char *sig = NULL;
                if (asprintf(&sig, "%s.sig", path) < 0)
                        return OOM(ctx);
                _cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "file", path, "signature", sig,
                                                     "format", "openssl-ed25519", "key_id", key_id, "name", p->name,
                                                     "version", p->version);
                return j ? rctl_emit_json(ctx, j) : OOM(ctx);
        }
        printf(RF_TR(lang, "Signé : %s.sig (Ed25519, clé %s) — %s %s\n", "Signed: %s.sig (Ed25519, key %s) — %s %s\n"),
               path, key_id, p->name, p->version);
        printf("%s\n", RF_TR(lang, "Vérification avec OpenSSL (clé publique : openssl pkey -in CLÉ -pubout) :",
                             "Check with OpenSSL (public key: openssl pkey -in KEY -pubout):"));
        printf("  openssl pkeyutl -verify -pubin -inkey %s -rawin -in ",
               RF_TR(lang, "CLÉ_PUBLIQUE.pem", "PUBLIC_KEY.pem"));
        print_shell_word(path);
        printf(" -sigfile ");
        print_shell_word(path);
        printf(".sig\n");
        return RCTL_EXIT_OK;
}

/* ---- command line ---------------------------------------------------------- */

static void help(enum rf_lang lang) {
        if (lang == RF_LANG_EN)
                fputs("Usage: refurbctl profile list [DIR] [--trusted-keys DIR]\n"
                      "       refurbctl profile show FILE [--trusted-keys DIR]\n"
                      "       refurbctl profile validate FILE [--files] [--trusted-keys DIR]\n"
                      "       refurbctl profile sign --key KEY.pem FILE\n"
                      "\n"
                      "The image profiles and their signatures, checked as the bench checks them.\n"
                      "Defaults: DIR " RCTL_PROFILE_DEFAULT_DIR ",\n"
                      "          --trusted-keys " RCTL_PROFILE_DEFAULT_TRUSTED_KEYS ".\n"
                      "validate exits 0 when the profile is valid, 1 when it is refused, 2 on a wrong command line.\n"
                      "See refurb-profile(5).\n",
                      stdout);
        else
                fputs("Utilisation : refurbctl profile list [RÉP] [--trusted-keys RÉP]\n"
                      "              refurbctl profile show FICHIER [--trusted-keys RÉP]\n"
                      "              refurbctl profile validate FICHIER [--files] [--trusted-keys RÉP]\n"
                      "              refurbctl profile sign --key CLÉ.pem FICHIER\n"
                      "\n"
                      "Les profils d'image et leurs signatures, vérifiés comme le banc les vérifie.\n"
                      "Par défaut : RÉP " RCTL_PROFILE_DEFAULT_DIR ",\n"
                      "             --trusted-keys " RCTL_PROFILE_DEFAULT_TRUSTED_KEYS ".\n"
                      "validate sort avec 0 si le profil est valide, 1 s'il est refusé, 2 si la ligne de commande "
                      "est incorrecte.\n"
                      "Voir refurb-profile(5).\n",
                      stdout);
}

enum {
        OPT_JSON = 0x400,
        OPT_LANG,
        OPT_IGNORED,
        OPT_TRUSTED_KEYS,
        OPT_KEY,
        OPT_FILES,
};

/* Global options that take a value, to find the command word. */
static bool takes_value(const char *arg) {
        static const char *const names[] = { "--socket", "--config", "--lang", "--trusted-keys", "--key", "-o",
                                             "--output", "--limit", "--ca", "--signature", "--from-dir", "--logo",
                                             "--verify", "--verify-percent", "--url", "--token-file", "--ca-file",
                                             "--role" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(arg, names[i]) == 0)
                        return true;
        return false;
}

bool rctl_profile_is_command(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0)
                        return i + 1 < argc && strcmp(argv[i + 1], "profile") == 0;
                if (a[0] == '-' && a[1]) {
                        if (takes_value(a))
                                i++;
                        continue;
                }
                return strcmp(a, "profile") == 0;
        }
        return false;
}

static int parse(struct rctl_ctx *ctx, int argc, char **argv, struct rctl_profile_opts *o, bool *help_wanted) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, OPT_JSON },
                { "lang", required_argument, NULL, OPT_LANG },
                { "socket", required_argument, NULL, OPT_IGNORED },
                { "config", required_argument, NULL, OPT_IGNORED },
                { "trusted-keys", required_argument, NULL, OPT_TRUSTED_KEYS },
                { "key", required_argument, NULL, OPT_KEY },
                { "files", no_argument, NULL, OPT_FILES },
                {},
        };
        int c;

        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, "-:h", options, NULL)) != -1) {
                switch (c) {
                case 1:
                        o->pos[o->n_pos++] = optarg;
                        break;
                case 'h':
                        *help_wanted = true;
                        break;
                case OPT_JSON:
                        ctx->json = true;
                        break;
                case OPT_LANG:
                        if (rf_lang_from_string(optarg, &ctx->lang) < 0)
                                return rctl_usage_error(ctx, RF_TR(ctx->lang, "--lang vaut fr ou en, pas « %s ».",
                                                                   "--lang is fr or en, not '%s'."),
                                                        optarg);
                        break;
                case OPT_IGNORED:
                        break;
                case OPT_TRUSTED_KEYS:
                        o->trusted_keys = optarg;
                        o->trusted_given = true;
                        break;
                case OPT_KEY:
                        o->key = optarg;
                        break;
                case OPT_FILES:
                        o->files = true;
                        break;
                case ':':
                        return rctl_usage_error(ctx, RF_TR(ctx->lang, "il manque la valeur de l'option %s.",
                                                           "option %s needs a value."),
                                                argv[optind - 1]);
                default:
                        return rctl_usage_error(ctx,
                                                RF_TR(ctx->lang, "option inconnue %s pour « profile ».",
                                                      "unknown option %s for 'profile'."),
                                                argv[optind - 1]);
                }
        }
        for (int i = optind; i < argc; i++)
                o->pos[o->n_pos++] = argv[i];
        return 0;
}

int rctl_profile_main(struct rctl_ctx *ctx, int argc, char **argv) {
        _cleanup_free_ char **pos = calloc((size_t) argc + 1, sizeof(char *));
        struct rctl_profile_opts o = { .pos = pos };
        bool help_wanted = false;

        if (!pos)
                return OOM(ctx);
        int r = parse(ctx, argc, argv, &o, &help_wanted);
        if (r != 0)
                return r;
        if (help_wanted) {
                help(ctx->lang);
                return RCTL_EXIT_OK;
        }
        /* pos[0] is "profile". */
        if (o.n_pos < 2)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "profile list, show, validate ou sign ?",
                                              "profile list, show, validate or sign?"));
        const char *sub = o.pos[1];
        bool is_list = strcmp(sub, "list") == 0, is_show = strcmp(sub, "show") == 0,
             is_validate = strcmp(sub, "validate") == 0, is_sign = strcmp(sub, "sign") == 0;
        if (!is_list && !is_show && !is_validate && !is_sign)
                return rctl_usage_error(ctx,
                                        RF_TR(ctx->lang,
                                              "sous-commande inconnue « profile %s » (list, show, validate, sign).",
                                              "unknown subcommand 'profile %s' (list, show, validate, sign)."),
                                        sub);
        if (o.files && !is_validate)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "--files ne s'emploie qu'avec « profile validate ».",
                                              "--files only goes with 'profile validate'."));
        if (o.key && !is_sign)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "--key ne s'emploie qu'avec « profile sign ».",
                                              "--key only goes with 'profile sign'."));
        if (o.trusted_given && is_sign)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "--trusted-keys ne s'emploie pas avec « profile sign ».",
                                              "--trusted-keys does not go with 'profile sign'."));
        if (is_sign && !o.key)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "« profile sign » demande --key CLÉ.pem.",
                                              "'profile sign' needs --key KEY.pem."));
        const char *name = is_list ? "profile list" : is_show ? "profile show" : is_validate ? "profile validate"
                                                                                             : "profile sign";
        r = rctl_check_args(ctx, name, o.n_pos - 1, is_list ? 0 : 1, 1);
        if (r != 0)
                return r;
        if (!is_list && !o.pos[2]) /* checked above; said for the analyser */
                return RCTL_EXIT_USAGE;
        if (is_list)
                return cmd_list(ctx, &o);
        if (is_show)
                return rctl_profile_show(ctx, &o);
        if (is_validate)
                return rctl_profile_validate(ctx, &o);
        return cmd_sign(ctx, &o);
}
