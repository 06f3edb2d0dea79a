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
#include "rctl.h"
#include "rf-util.h"

#define DEFAULT_CONFIG REFURB_SYSCONFDIR "/refurbd/refurbd.conf"

static void help(enum rf_lang lang) {
        if (lang == RF_LANG_EN)
                fputs("Usage: refurbctl [OPTIONS] COMMAND [ARGUMENTS]\n"
                      "\n"
                      "Drive the refurbd erasure bench.\n"
                      "\n"
                      "Commands:\n"
                      "  status                       the bench: name, version, uptime, bays, running jobs\n"
                      "  bays                         one line per bay with its state\n"
                      "  devices                      every drive of the machine, erasable or why not\n"
                      "  erase DEVICE                 erase a drive (/dev/sdb or sdb) and print the job number\n"
                      "      [--verify full|sample] [--verify-percent N] [--wait]\n"
                      "  jobs [--limit N]             the jobs, newest first\n"
                      "  job ID                       one job in detail, with its exceptions\n"
                      "  cancel ID                    cancel a running job\n"
                      "  watch                        live view of the bays (Ctrl-C to quit)\n"
                      "  cert list                    the certificates issued\n"
                      "  cert show ID                 one certificate in words\n"
                      "  cert export ID --output DIR  write ID.json, ID.json.p7s and bench.crt into DIR\n"
                      "  cert verify FILE|ID [--ca CERT.pem] [--signature FILE.p7s]\n"
                      "                               check a certificate's signature\n"
                      "  cert pdf ID [--output FILE|DIR] [--logo PNG] [--ca CERT.pem]\n"
                      "                               verify a certificate, then print it as a PDF (ID.pdf)\n"
                      "  ledger verify [--from-dir DIR] [--ca CERT.pem] [HEAD.json]\n"
                      "                               check the whole chain of certificates (exit 1 on any problem)\n"
                      "  ledger export --output DIR   write every certificate and a signed head statement into DIR\n"
                      "  donor add --organisation O --reference REF --date YYYY-MM-DD [--contact C] [--address A]\n"
                      "  donor list | donor show REF  the donations recorded\n"
                      "  asset add TAG --type desktop|laptop|drive [--donor REF] [--maker M] [--model M] [--serial S]\n"
                      "      [--grade A|B|C|D] [--destination D] [--intake-date YYYY-MM-DD] [--recipient REF]\n"
                      "  asset list | show TAG | link TAG DEVICE | certificate TAG\n"
                      "  cert validate ID --name N [--title T]   a supervisor's signed validation\n"
                      "  report donation REF [--pdf FILE]        counts and drives to destroy\n"
                      "  export assets|certificates [--output FILE]   CSV (UTF-8 with BOM)\n"
                      "  profile list [DIR] | show FILE | validate FILE [--files] [--trusted-keys DIR]\n"
                      "  profile sign --key KEY.pem FILE         image profiles and their signatures (no daemon)\n"
                      "\n"
                      "Options:\n"
                      "  --socket PATH     refurbd's API socket (default: APISocket= of the\n"
                      "                    configuration, else " RCTL_DEFAULT_SOCKET ")\n"
                      "  --config FILE     refurbd's configuration (default " DEFAULT_CONFIG ")\n"
                      "  --json            print the API's JSON (for scripts)\n"
                      "  --lang fr|en      language of the messages (default: from LANG)\n"
                      "  -h, --help        this help\n"
                      "  --version         the version\n"
                      "\n"
                      "Exit status: 0 success, 1 the operation failed, 2 wrong command line.\n"
                      "See refurbctl(1).\n",
                      stdout);
        else
                fputs("Utilisation : refurbctl [OPTIONS] COMMANDE [ARGUMENTS]\n"
                      "\n"
                      "Pilote le banc d'effacement refurbd.\n"
                      "\n"
                      "Commandes :\n"
                      "  status                       le banc : nom, version, durée de service, baies, effacements en cours\n"
                      "  bays                         une ligne par baie avec son état\n"
                      "  devices                      tous les disques de la machine, effaçables ou pourquoi pas\n"
                      "  erase DISQUE                 effacer un disque (/dev/sdb ou sdb) ; affiche le numéro de tâche\n"
                      "      [--verify full|sample] [--verify-percent N] [--wait]\n"
                      "  jobs [--limit N]             les tâches, les plus récentes d'abord\n"
                      "  job N°                       une tâche en détail, avec ses exceptions\n"
                      "  cancel N°                    annuler une tâche en cours\n"
                      "  watch                        suivi en direct des baies (Ctrl-C pour quitter)\n"
                      "  cert list                    les certificats émis\n"
                      "  cert show ID                 un certificat en clair\n"
                      "  cert export ID --output RÉP  écrit ID.json, ID.json.p7s et bench.crt dans RÉP\n"
                      "  cert verify FICHIER|ID [--ca CERT.pem] [--signature FICHIER.p7s]\n"
                      "                               vérifie la signature d'un certificat\n"
                      "  cert pdf ID [--output FICHIER|RÉP] [--logo PNG] [--ca CERT.pem]\n"
                      "                               vérifie un certificat puis l'imprime en PDF (ID.pdf)\n"
                      "  ledger verify [--from-dir RÉP] [--ca CERT.pem] [TÊTE.json]\n"
                      "                               vérifie toute la chaîne des certificats (sortie 1 au moindre problème)\n"
                      "  ledger export --output RÉP   écrit tous les certificats et une déclaration de tête signée dans RÉP\n"
                      "  donor add --organisation O --reference RÉF --date AAAA-MM-JJ [--contact C] [--address A]\n"
                      "  donor list | donor show RÉF  les dons enregistrés\n"
                      "  asset add ÉTIQ --type desktop|laptop|drive [--donor RÉF] [--maker M] [--model M] [--serial S]\n"
                      "      [--grade A|B|C|D] [--destination D] [--intake-date AAAA-MM-JJ] [--recipient RÉF]\n"
                      "  asset list | show ÉTIQ | link ÉTIQ DISQUE | certificate ÉTIQ\n"
                      "  cert validate ID --name N [--title T]   validation signée par un responsable\n"
                      "  report donation RÉF [--pdf FICHIER]     décomptes et disques à détruire\n"
                      "  export assets|certificates [--output FICHIER]   CSV (UTF-8 avec BOM)\n"
                      "  profile list [RÉP] | show FICHIER | validate FICHIER [--files] [--trusted-keys RÉP]\n"
                      "  profile sign --key CLÉ.pem FICHIER      profils d'image et leurs signatures (sans démon)\n"
                      "\n"
                      "Options :\n"
                      "  --socket CHEMIN   socket de l'API de refurbd (par défaut : APISocket= de la\n"
                      "                    configuration, sinon " RCTL_DEFAULT_SOCKET ")\n"
                      "  --config FICHIER  configuration de refurbd (par défaut " DEFAULT_CONFIG ")\n"
                      "  --json            affiche le JSON de l'API (pour les scripts)\n"
                      "  --lang fr|en      langue des messages (par défaut : selon LANG)\n"
                      "  -h, --help        cette aide\n"
                      "  --version         la version\n"
                      "\n"
                      "Code de sortie : 0 réussite, 1 l'opération a échoué, 2 ligne de commande incorrecte.\n"
                      "Voir refurbctl(1).\n",
                      stdout);
}

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
};

struct args {
        const char *socket;
        const char *config;
        const char *lang;
        const char *logo; /* cert pdf --logo */
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
        const char *config = a->config ? a->config : DEFAULT_CONFIG;
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

static const struct {
        const char *name;
        int (*run)(struct rctl_ctx *ctx, int argc, char **argv);
} commands[] = {
        { "status", rctl_cmd_status }, { "bays", rctl_cmd_bays },     { "devices", rctl_cmd_devices },
        { "erase", rctl_cmd_erase },   { "jobs", rctl_cmd_jobs },     { "job", rctl_cmd_job },
        { "cancel", rctl_cmd_cancel }, { "watch", rctl_cmd_watch },   { "cert", rctl_cmd_cert },
        { "ledger", rctl_cmd_ledger }, { "donor", rctl_cmd_donor },   { "asset", rctl_cmd_asset },
        { "report", rctl_cmd_report }, { "export", rctl_cmd_export },
};

static int run(struct rctl_ctx *ctx, int argc, char **argv, struct args *args) {
        _cleanup_free_ char *socket_path = NULL;
        struct args a = *args;
        int r;

        if (rctl_profile_is_command(argc, argv))
                return rctl_profile_main(ctx, argc, argv);
        r = parse_args(ctx, argc, argv, &a);
        if (r != 0)
                return r;
        if (a.help || (a.n_pos > 0 && strcmp(a.pos[0], "help") == 0)) {
                help(ctx->lang);
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
                                              "commande inconnue « %s » (status, bays, devices, erase, jobs, job, cancel, watch, cert, ledger, donor, asset, report, export, profile).",
                                              "unknown command '%s' (status, bays, devices, erase, jobs, job, cancel, watch, cert, ledger, donor, asset, report, export, profile)."),
                                        a.pos[0]);

        bool cert_pdf = a.n_pos >= 2 && strcmp(a.pos[0], "cert") == 0 && strcmp(a.pos[1], "pdf") == 0;
        bool cert_validate = a.n_pos >= 2 && strcmp(a.pos[0], "cert") == 0 && strcmp(a.pos[1], "validate") == 0;
        bool intake = cert_validate || cmd == rctl_cmd_donor || cmd == rctl_cmd_asset || cmd == rctl_cmd_report ||
                      cmd == rctl_cmd_export;
        if (!intake && rctl_intake_options_given(ctx))
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "cette option ne s'emploie qu'avec donor, asset, report ou cert validate.",
                                              "this option only goes with donor, asset, report or cert validate."));
        if (a.logo && !cert_pdf)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "--logo ne s'emploie qu'avec « cert pdf ».",
                                              "--logo only goes with 'cert pdf'."));
        r = find_socket(ctx, &a, &socket_path);
        if (r != 0)
                return r;
        _cleanup_client_ struct rctl_client *client = NULL;
        if (rctl_client_new("http://localhost", socket_path, NULL, ctx->lang, &client) < 0)
                return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Mémoire insuffisante.", "Out of memory."));
        ctx->client = client;
        r = cert_pdf        ? rctl_cert_pdf(ctx, a.logo, a.n_pos - 1, a.pos + 1)
            : cert_validate ? rctl_cert_validate(ctx, a.n_pos - 1, a.pos + 1)
                            : cmd(ctx, a.n_pos, a.pos);
        ctx->client = NULL;
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
