/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurb-wipe's options. */
#include "refurb-wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libudev.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rf-i18n.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-erase.h"
#include "wipe-lock.h"
#include "wipe-overwrite-internal.h"
#include "wipe-overwrite.h"
#include "wipe-safety.h"

void refurb_wipe_usage(FILE *f, enum rf_lang lang) {
        fprintf(f, "%s: refurb-wipe [--method=auto|overwrite] [--validate-percent=N] [--verify=full|sample|none]\n"
                   "                   [--verify-percent=N] [--block-size=BYTES] [--threads=N] [--json] [--yes]\n"
                   "                   DEVICE\n"
                   "       refurb-wipe --verify-only --key=HEX --iv=HEX [--verify=full|sample] [...] DEVICE\n",
                "Usage");
        fputs(RF_TR(lang,
                    "Efface DEVICE (disque entier ou fichier) : commande d'effacement du disque vérifiée par\n"
                    "relecture quand il en a une (--method=auto), sinon une passe du flux AES-256-CTR, vidage\n"
                    "du cache, relecture et comparaison. Tout le contenu est détruit : --yes est requis.\n",
                    "Erases DEVICE (whole disk or file): the drive's own erase command checked by reading back\n"
                    "when it has one (--method=auto), else one pass of the AES-256-CTR keystream, a cache flush,\n"
                    "a read-back and compare. Everything is destroyed: --yes is required.\n"),
              f);
}

static int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        char *end = NULL;

        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        uint64_t mult = 1;
        if (*end == 'K' || *end == 'k')
                mult = KiB;
        else if (*end == 'M' || *end == 'm')
                mult = MiB;
        else if (*end == 'G' || *end == 'g')
                mult = GiB;
        if (mult != 1)
                end++;
        if (*end != '\0' || v > max / mult)
                return -EINVAL;
        *ret = (uint64_t) v * mult;
        return 0;
}

/* 0: go on, 1: done (help), <0: usage error. */
/* The buffer ring holds 2 x (threads + 2) blocks: keep it under 1 GiB. */
#define MAX_RING_BYTES (1024 * MiB)

int refurb_wipe_parse_args(int argc, char **argv, enum rf_lang lang, struct args *a) {
        enum { OPT_VERIFY = 0x100, OPT_PERCENT, OPT_BLOCK, OPT_THREADS, OPT_JSON, OPT_YES, OPT_VERIFY_ONLY, OPT_KEY,
               OPT_IV, OPT_METHOD, OPT_VALIDATE };
        static const struct option options[] = {
                { "verify", required_argument, NULL, OPT_VERIFY },
                { "verify-percent", required_argument, NULL, OPT_PERCENT },
                { "block-size", required_argument, NULL, OPT_BLOCK },
                { "threads", required_argument, NULL, OPT_THREADS },
                { "json", no_argument, NULL, OPT_JSON },
                { "yes", no_argument, NULL, OPT_YES },
                { "verify-only", no_argument, NULL, OPT_VERIFY_ONLY },
                { "key", required_argument, NULL, OPT_KEY },
                { "iv", required_argument, NULL, OPT_IV },
                { "method", required_argument, NULL, OPT_METHOD },
                { "validate-percent", required_argument, NULL, OPT_VALIDATE },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        uint64_t v = 0;
        int c;

        *a = (struct args) { .verify = WIPE_VERIFY_FULL, .verify_percent = 10, .validate_percent = 10 };
        while ((c = getopt_long(argc, argv, "hV", options, NULL)) >= 0) {
                switch (c) {
                case OPT_VERIFY:
                        if (strcmp(optarg, "full") == 0)
                                a->verify = WIPE_VERIFY_FULL;
                        else if (strcmp(optarg, "sample") == 0)
                                a->verify = WIPE_VERIFY_SAMPLE;
                        else if (strcmp(optarg, "none") == 0)
                                a->verify = WIPE_VERIFY_NONE;
                        else {
                                fprintf(stderr, RF_TR(lang, "--verify : « %s » inconnu (full, sample ou none)\n",
                                                      "--verify: unknown '%s' (full, sample or none)\n"),
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_PERCENT:
                        if (parse_uint(optarg, 100, &v) < 0 || v < 1) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--verify-percent : un entier de 1 à 100",
                                              "--verify-percent: an integer from 1 to 100"));
                                return -EINVAL;
                        }
                        a->verify_percent = (unsigned) v;
                        break;
                case OPT_METHOD:
                        if (strcmp(optarg, "auto") == 0)
                                a->method = WIPE_ERASE_AUTO;
                        else if (strcmp(optarg, "overwrite") == 0)
                                a->method = WIPE_ERASE_OVERWRITE;
                        else {
                                fprintf(stderr, RF_TR(lang, "--method : « %s » inconnu (auto ou overwrite)\n",
                                                      "--method: unknown '%s' (auto or overwrite)\n"),
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_VALIDATE:
                        if (parse_uint(optarg, 100, &v) < 0) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--validate-percent : un entier de 0 à 100",
                                              "--validate-percent: an integer from 0 to 100"));
                                return -EINVAL;
                        }
                        a->validate_percent = (unsigned) v;
                        break;
                case OPT_BLOCK:
                        if (parse_uint(optarg, 256 * MiB, &v) < 0 || v < 4096 || v % 4096 != 0) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--block-size : multiple de 4096, au plus 256M",
                                              "--block-size: a multiple of 4096, at most 256M"));
                                return -EINVAL;
                        }
                        a->block_size = (size_t) v;
                        break;
                case OPT_THREADS:
                        if (parse_uint(optarg, 64, &v) < 0 || v < 1) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--threads : un entier de 1 à 64",
                                              "--threads: an integer from 1 to 64"));
                                return -EINVAL;
                        }
                        a->threads = (unsigned) v;
                        break;
                case OPT_JSON:
                        a->json = true;
                        break;
                case OPT_YES:
                        a->yes = true;
                        break;
                case OPT_VERIFY_ONLY:
                        a->verify_only = true;
                        break;
                case OPT_KEY:
                        if (rf_hex_decode(optarg, a->key, sizeof(a->key)) < 0) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--key : 64 chiffres hexadécimaux", "--key: 64 hex digits"));
                                return -EINVAL;
                        }
                        a->have_key = true;
                        break;
                case OPT_IV:
                        if (rf_hex_decode(optarg, a->iv, sizeof(a->iv)) < 0) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--iv : 32 chiffres hexadécimaux", "--iv: 32 hex digits"));
                                return -EINVAL;
                        }
                        a->have_iv = true;
                        break;
                case 'h':
                        refurb_wipe_usage(stdout, lang);
                        return 1;
                case 'V':
                        printf("refurb-wipe %s\n", REFURB_VERSION);
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (optind != argc - 1) {
                refurb_wipe_usage(stderr, lang);
                return -EINVAL;
        }
        a->device = argv[optind];
        if (a->verify_only != (a->have_key && a->have_iv) || (!a->verify_only && (a->have_key || a->have_iv))) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang,
                              "--verify-only va avec --key et --iv (ceux du certificat), et eux seulement avec lui",
                              "--verify-only goes with --key and --iv (from the certificate), and they only with it"));
                return -EINVAL;
        }
        if (a->verify_only && a->verify == WIPE_VERIFY_NONE) {
                fprintf(stderr, "%s\n", RF_TR(lang, "--verify-only : --verify=none n'a pas de sens",
                                              "--verify-only: --verify=none makes no sense"));
                return -EINVAL;
        }
        if (a->block_size && a->threads && 2 * ((uint64_t) a->threads + 2) * a->block_size > MAX_RING_BYTES) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "--threads × --block-size : plus de 1 Gio de tampons, réduisez l'un des deux",
                              "--threads × --block-size: over 1 GiB of buffers, lower one of them"));
                return -EINVAL;
        }
        return 0;
}

