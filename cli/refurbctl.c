/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl: the command-line client of refurbd's API. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rctl-client.h"
#include "rctl-config.h"
#include "rctl-pdf.h"
#include "rctl-profile.h"
#include "rctl-intake.h"
#include "rctl-ledger.h"
#include "rctl-remote.h"
#include "rctl.h"
#include "rf-util.h"

enum {
        OPT_SOCKET = 0x100,
        OPT_CONFIG,
        OPT_JSON,
        OPT_LANG,
        OPT_VERSION,
        OPT_VERIFY,
        OPT_VERIFY_PERCENT,
        OPT_WAIT,
        OPT_LIMIT,
        OPT_CA,
        OPT_SIGNATURE,
        OPT_LOGO,
        OPT_FROM_DIR,
        OPT_URL,
        OPT_TOKEN_FILE,
        OPT_CA_FILE,
        OPT_ROLE,
};

struct args {
        const char *socket;
        const char *config;
        const char *lang;
        const char *logo; /* cert pdf --logo */
        const char *url, *token_file, *ca_file; /* a remote bench */
        bool help, version;
        char **pos; /* the command and its arguments, in order (argc entries) */
        int n_pos;
};

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret) {
        char *end = NULL;
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || !end || *end || v < min || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_args(struct rctl_ctx *ctx, int argc, char **argv, struct args *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "socket", required_argument, NULL, OPT_SOCKET },
                { "config", required_argument, NULL, OPT_CONFIG },
                { "json", no_argument, NULL, OPT_JSON },
                { "lang", required_argument, NULL, OPT_LANG },
                { "verify", required_argument, NULL, OPT_VERIFY },
                { "verify-percent", required_argument, NULL, OPT_VERIFY_PERCENT },
                { "wait", no_argument, NULL, OPT_WAIT },
                { "limit", required_argument, NULL, OPT_LIMIT },
                { "output", required_argument, NULL, 'o' },
                { "ca", required_argument, NULL, OPT_CA },
                { "signature", required_argument, NULL, OPT_SIGNATURE },
                { "logo", required_argument, NULL, OPT_LOGO },
                { "from-dir", required_argument, NULL, OPT_FROM_DIR },
                { "url", required_argument, NULL, OPT_URL },
                { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
                { "ca-file", required_argument, NULL, OPT_CA_FILE },
                { "role", required_argument, NULL, OPT_ROLE },
                RCTL_INTAKE_OPTIONS,
                {},
        };
        enum rf_lang lang = ctx->lang;
        int c;

        opterr = 0;
        /* "-": arguments that are not options come back in order (code 1),
         * so options may stand before or after the command. */
        while ((c = getopt_long(argc, argv, "-:ho:", options, NULL)) != -1) {
                switch (c) {
                case 1:
                        a->pos[a->n_pos++] = optarg;
                        break;
                case 'h':
                        a->help = true;
                        break;
                case OPT_VERSION:
                        a->version = true;
                        break;
                case OPT_SOCKET:
                        a->socket = optarg;
                        break;
                case OPT_CONFIG:
                        a->config = optarg;
                        break;
                case OPT_JSON:
                        ctx->json = true;
                        break;
                case OPT_LANG:
                        if (rf_lang_from_string(optarg, &ctx->lang) < 0)
                                return rctl_usage_error(ctx, RF_TR(lang, "--lang vaut fr ou en, pas « %s ».",
                                                                   "--lang is fr or en, not '%s'."),
                                                        optarg);
                        break;
                case OPT_VERIFY:
                        if (strcmp(optarg, "full") != 0 && strcmp(optarg, "sample") != 0)
                                return rctl_usage_error(ctx, RF_TR(lang, "--verify vaut full ou sample, pas « %s ».",
                                                                   "--verify is full or sample, not '%s'."),
                                                        optarg);
                        ctx->verify = optarg;
                        ctx->given |= RCTL_OPT_VERIFY;
                        break;
                case OPT_VERIFY_PERCENT:
                        if (parse_uint(optarg, 1, 100, &ctx->verify_percent) < 0)
                                return rctl_usage_error(ctx,
                                                        RF_TR(lang, "--verify-percent attend un nombre de 1 à 100, pas « %s ».",
                                                              "--verify-percent takes a number from 1 to 100, not '%s'."),
                                                        optarg);
                        ctx->given |= RCTL_OPT_VERIFY_PERCENT;
                        break;
                case OPT_WAIT:
                        ctx->wait = true;
                        ctx->given |= RCTL_OPT_WAIT;
                        break;
                case OPT_LIMIT:
                        if (parse_uint(optarg, 1, 99999, &ctx->limit) < 0)
                                return rctl_usage_error(ctx,
                                                        RF_TR(lang, "--limit attend un nombre de 1 à 99999, pas « %s ».",
                                                              "--limit takes a number from 1 to 99999, not '%s'."),
                                                        optarg);
                        ctx->given |= RCTL_OPT_LIMIT;
                        break;
                case 'o':
                        ctx->output = optarg;
                        ctx->given |= RCTL_OPT_OUTPUT;
                        break;
                case OPT_CA:
                        ctx->ca = optarg;
                        ctx->given |= RCTL_OPT_CA;
                        break;
                case OPT_SIGNATURE:
                        ctx->signature = optarg;
                        ctx->given |= RCTL_OPT_SIGNATURE;
                        break;
                case OPT_FROM_DIR:
                        ctx->from_dir = optarg;
                        ctx->given |= RCTL_OPT_FROM_DIR;
                        break;
                case OPT_LOGO:
                        a->logo = optarg;
                        break;
                case OPT_URL:
                        a->url = optarg;
                        break;
                case OPT_TOKEN_FILE:
                        a->token_file = optarg;
                        break;
                case OPT_CA_FILE:
                        a->ca_file = optarg;
                        break;
                case OPT_ROLE:
                        ctx->role = optarg;
                        ctx->given |= RCTL_OPT_ROLE;
                        break;
                case RCTL_INTAKE_OPT_BASE ... RCTL_INTAKE_OPT_BASE + RCTL_IN_N - 1:
                        ctx->intake[c - RCTL_INTAKE_OPT_BASE] = optarg;
                        break;
                case ':':
                        return rctl_usage_error(ctx, RF_TR(lang, "il manque la valeur de l'option %s.",
                                                           "option %s needs a value."),
                                                argv[optind - 1]);
                default:
                        if (optopt)
                                return rctl_usage_error(ctx, RF_TR(lang, "option inconnue -%c.", "unknown option -%c."),
                                                        optopt);
                        return rctl_usage_error(ctx, RF_TR(lang, "option inconnue %s.", "unknown option %s."),
                                                argv[optind - 1]);
                }
        }
        /* After "--": arguments only. */
        for (int i = optind; i < argc; i++)
                a->pos[a->n_pos++] = argv[i];
        return 0;
}

/* Where the API is: --socket, else APISocket= of the configuration, else
 * the default. An unreadable --config is an error; a missing default
 * configuration is not. */
static int find_socket(const struct rctl_ctx *ctx, const struct args *a, char **ret) {
        _cleanup_free_ char *value = NULL;

        if (a->socket) {
                *ret = strdup(a->socket);
                return *ret ? 0 : rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Mémoire insuffisante.", "Out of memory."));
        }
        const char *config = a->config ? a->config : RCTL_DEFAULT_CONFIG;
        int r = rctl_config_api_socket(config, &value);
        if (r == -ENOMEM)
                return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Mémoire insuffisante.", "Out of memory."));
        if (r < 0 && a->config)
                return rctl_fail(ctx,
                                 RF_TR(ctx->lang, "Impossible de lire la configuration %s : %s.",
                                       "Cannot read the configuration %s: %s."),
                                 config, strerror(-r));
        *ret = value ? TAKE_PTR(value) : strdup(RCTL_DEFAULT_SOCKET);
        return *ret ? 0 : rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Mémoire insuffisante.", "Out of memory."));
}

static int oom(const struct rctl_ctx *ctx) {
        return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Mémoire insuffisante.", "Out of memory."));
}

/* An environment variable; NULL when unset or empty. */
static const char *env_value(const char *name) {
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

/* A remote bench (docs/network-api.md): check the URL, read the token,
 * check the trusted certificates, before anything is sent. */
static int connect_remote(const struct rctl_ctx *ctx, const struct args *a, const char *url, const char *what,
                          struct rctl_client **ret) {
        enum rf_lang lang = ctx->lang;
        const char *token_file = a->token_file ? a->token_file : env_value("REFURB_TOKEN_FILE");
        const char *ca_file = a->ca_file ? a->ca_file : env_value("REFURB_CA_FILE");
        _cleanup_free_ char *base = NULL;
        _cleanup_secret_ char *token = NULL;
        _cleanup_client_ struct rctl_client *c = NULL;
        char err[1024];
        bool tls = false;

        int r = rctl_check_url(url, what, lang, &base, &tls, err, sizeof(err));
        if (r == -ENOMEM)
                return oom(ctx);
        if (r < 0)
                return rctl_usage_error(ctx, "%s", err);
        if (a->ca_file && !tls)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang, "--ca-file ne sert qu'avec une adresse https://.",
                                              "--ca-file only goes with an https:// address."));
        if (token_file) {
                r = rctl_read_token_file(token_file, lang, &token, err, sizeof(err));
                if (r < 0)
                        return rctl_fail(ctx, "%s", err);
        }
        if (ca_file && tls) {
                r = rctl_check_ca_file(ca_file, lang, err, sizeof(err));
                if (r < 0)
                        return rctl_fail(ctx, "%s", err);
        }
        if (rctl_client_new(base, NULL, token, lang, &c) < 0 || (ca_file && tls && rctl_client_set_ca_file(c, ca_file) < 0))
                return oom(ctx);
        *ret = TAKE_PTR(c);
        return 0;
}

/* The client: a remote bench with --url (or REFURB_URL, unless --socket or
 * --config name the local daemon), else the Unix socket. */
static int connect_client(const struct rctl_ctx *ctx, const struct args *a, struct rctl_client **ret) {
        enum rf_lang lang = ctx->lang;
        bool local = a->socket || a->config;
        _cleanup_free_ char *socket_path = NULL;

        if (a->url && local)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang, "--url ne s'emploie pas avec --socket ni --config (qui désignent le démon de cette machine).",
                                              "--url does not go with --socket or --config (which name this machine's daemon)."));
        if (a->url)
                return connect_remote(ctx, a, a->url, "--url", ret);
        if (!local && env_value("REFURB_URL"))
                return connect_remote(ctx, a, env_value("REFURB_URL"), "REFURB_URL", ret);
        if (a->token_file || a->ca_file)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang, "--token-file et --ca-file ne servent qu'avec --url : le socket Unix n'a besoin ni de jeton ni de TLS.",
                                              "--token-file and --ca-file only go with --url: the Unix socket needs no token and no TLS."));
        int r = find_socket(ctx, a, &socket_path);
        if (r != 0)
                return r;
        if (rctl_client_new("http://localhost", socket_path, NULL, lang, ret) < 0)
                return oom(ctx);
        return 0;
}

static const struct {
        const char *name;
        int (*run)(struct rctl_ctx *ctx, int argc, char **argv);
} commands[] = {
        { "status", rctl_cmd_status }, { "bays", rctl_cmd_bays },     { "devices", rctl_cmd_devices },
        { "erase", rctl_cmd_erase },   { "jobs", rctl_cmd_jobs },     { "job", rctl_cmd_job },
        { "cancel", rctl_cmd_cancel }, { "watch", rctl_cmd_watch },   { "cert", rctl_cmd_cert },
        { "ledger", rctl_cmd_ledger }, { "donor", rctl_cmd_donor },   { "asset", rctl_cmd_asset },
        { "report", rctl_cmd_report }, { "export", rctl_cmd_export },   { "token", rctl_cmd_token },
};

static int run(struct rctl_ctx *ctx, int argc, char **argv, struct args *args) {
        struct args a = *args;
        int r;

        if (rctl_profile_is_command(argc, argv))
                return rctl_profile_main(ctx, argc, argv);
        r = parse_args(ctx, argc, argv, &a);
        if (r != 0)
                return r;
        if (a.help || (a.n_pos > 0 && strcmp(a.pos[0], "help") == 0)) {
                rctl_help(ctx->lang);
                return RCTL_EXIT_OK;
        }
        if (a.version) {
                printf("refurbctl %s\n", REFURB_VERSION);
                return RCTL_EXIT_OK;
        }
        if (a.n_pos == 0)
                return rctl_usage_error(ctx, "%s", RF_TR(ctx->lang, "quelle commande ?", "which command?"));

        int (*cmd)(struct rctl_ctx *, int, char **) = NULL;
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(a.pos[0], commands[i].name) == 0)
                        cmd = commands[i].run;
        if (!cmd)
                return rctl_usage_error(ctx,
                                        RF_TR(ctx->lang,
                                              "commande inconnue « %s » (status, bays, devices, erase, jobs, job, cancel, watch, cert, ledger, donor, asset, report, export, profile, token).",
                                              "unknown command '%s' (status, bays, devices, erase, jobs, job, cancel, watch, cert, ledger, donor, asset, report, export, profile, token)."),
                                        a.pos[0]);

        bool cert_pdf = a.n_pos >= 2 && strcmp(a.pos[0], "cert") == 0 && strcmp(a.pos[1], "pdf") == 0;
        bool cert_validate = a.n_pos >= 2 && strcmp(a.pos[0], "cert") == 0 && strcmp(a.pos[1], "validate") == 0;
        bool intake = cert_validate || cmd == rctl_cmd_donor || cmd == rctl_cmd_asset || cmd == rctl_cmd_report ||
                      cmd == rctl_cmd_export || cmd == rctl_cmd_token;
        if (!intake && rctl_intake_options_given(ctx))
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "cette option ne s'emploie qu'avec donor, asset, report, cert validate ou token create.",
                                              "this option only goes with donor, asset, report, cert validate or token create."));
        if (a.logo && !cert_pdf)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "--logo ne s'emploie qu'avec « cert pdf ».",
                                              "--logo only goes with 'cert pdf'."));
        _cleanup_client_ struct rctl_client *client = NULL;
        r = connect_client(ctx, &a, &client);
        if (r != 0)
                return r;
        ctx->client = client;
        r = cert_pdf        ? rctl_cert_pdf(ctx, a.logo, a.n_pos - 1, a.pos + 1)
            : cert_validate ? rctl_cert_validate(ctx, a.n_pos - 1, a.pos + 1)
                            : cmd(ctx, a.n_pos, a.pos);
        ctx->client = NULL;
        /* Refused by a remote bench for the token or its role: say so in
         * the exit code too. */
        if (r == RCTL_EXIT_FAILED && client->denied == 401)
                return RCTL_EXIT_UNAUTHENTICATED;
        if (r == RCTL_EXIT_FAILED && client->denied == 403)
                return RCTL_EXIT_FORBIDDEN;
        return r;
}

int main(int argc, char **argv) {
        struct rctl_ctx ctx = {
                .lang = rf_lang_from_env(),
                .tty = isatty(STDOUT_FILENO) == 1,
        };
        const char *no_color = getenv("NO_COLOR");
        ctx.colors = ctx.tty && !(no_color && *no_color) && !rf_streq_ptr(getenv("TERM"), "dumb");

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "%s\n", RF_TR(ctx.lang, "Impossible d'initialiser libcurl.", "Cannot initialise libcurl."));
                return RCTL_EXIT_FAILED;
        }
        /* Freed explicitly: clang-tidy's analyser does not follow the
         * cleanup attribute. */
        struct args args = { .pos = calloc((size_t) argc + 1, sizeof(char *)) };
        int r = args.pos ? run(&ctx, argc, argv, &args)
                         : rctl_fail(&ctx, "%s", RF_TR(ctx.lang, "Mémoire insuffisante.", "Out of memory."));
        free(args.pos);
        curl_global_cleanup();

        if (fflush(stdout) == EOF || ferror(stdout)) {
                if (errno != EPIPE)
                        fprintf(stderr, "%s\n",
                                RF_TR(ctx.lang, "Impossible d'écrire la sortie.", "Cannot write the output."));
                return RCTL_EXIT_FAILED;
        }
        return r;
}
