/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurb-image's options. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refurb-image.h"
#include "rf-macro.h"

void refurb_image_usage(FILE *f, enum rf_lang lang) {
        fprintf(f, "%s: refurb-image --profile=FILE [--trusted-keys=DIR] [--cache=DIR] [--ca-file=FILE]\n"
                   "                    [--hooks=DIR] [--asset-tag=TAG] [--no-customise] [--verify-percent=N]\n"
                   "                    [--json] --yes DEVICE\n"
                   "       refurb-image --image=FILE [--compression=zstd|none] --bmap=FILE [--verify-percent=N]\n"
                   "                    [--json] --yes DEVICE\n",
                "Usage");
        fputs(RF_TR(lang,
                    "Écrit sur DEVICE (disque entier ou fichier) l'image système d'un profil signé : signature,\n"
                    "image et bmap vérifiées, écriture des seules plages utiles avec contrôle SHA-256 en route,\n"
                    "relecture d'un échantillon, ajustement au disque, personnalisation, preuve du contenu.\n"
                    "Avec --image et --bmap : écriture et vérification seules, sans profil (essais, mesures).\n"
                    "Tout le contenu du disque est remplacé : --yes est requis.\n",
                    "Writes to DEVICE (whole disk or file) the system image of a signed profile: signature,\n"
                    "image and bmap verified, only the mapped ranges written with SHA-256 checks on the way,\n"
                    "a sample read back, fitted to the disk, customised, its content proven.\n"
                    "With --image and --bmap: writing and verification only, no profile (trials, benchmarks).\n"
                    "The drive's content is replaced: --yes is required.\n"),
              f);
}

static int parse_percent(const char *s, unsigned *ret) {
        char *end = NULL;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < 1 || v > 100)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int check_combination(struct args *a, enum rf_lang lang) {
        bool profile_only = a->trusted_keys || a->cache || a->ca_file || a->hooks || a->asset_tag || !a->customise;
        bool write_only = a->image || a->bmap || a->compression_given;

        if (a->profile && write_only) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "--profile ou --image/--bmap, pas les deux",
                              "--profile or --image/--bmap, not both"));
                return -EINVAL;
        }
        if (!a->profile && !write_only) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "--profile=FICHIER, ou --image=FICHIER et --bmap=FICHIER, est requis",
                              "--profile=FILE, or --image=FILE and --bmap=FILE, is required"));
                return -EINVAL;
        }
        if (write_only && (!a->image || !a->bmap)) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "--image et --bmap vont ensemble", "--image and --bmap go together"));
                return -EINVAL;
        }
        if (write_only && profile_only) {
                fprintf(stderr, "%s\n",
                        RF_TR(lang,
                              "--trusted-keys, --cache, --ca-file, --hooks, --asset-tag et --no-customise vont "
                              "avec --profile",
                              "--trusted-keys, --cache, --ca-file, --hooks, --asset-tag and --no-customise go "
                              "with --profile"));
                return -EINVAL;
        }
        if (a->image && !a->compression_given)
                a->compression = has_suffix(a->image, ".zst") ? IMG_COMPRESSION_ZSTD : IMG_COMPRESSION_NONE;
        return 0;
}

int refurb_image_parse_args(int argc, char **argv, enum rf_lang lang, struct args *a) {
        enum { OPT_PROFILE = 0x100, OPT_KEYS, OPT_CACHE, OPT_CA, OPT_HOOKS, OPT_TAG, OPT_NO_CUSTOMISE, OPT_IMAGE,
               OPT_COMPRESSION, OPT_BMAP, OPT_PERCENT, OPT_YES, OPT_JSON };
        static const struct option options[] = {
                { "profile", required_argument, NULL, OPT_PROFILE },
                { "trusted-keys", required_argument, NULL, OPT_KEYS },
                { "cache", required_argument, NULL, OPT_CACHE },
                { "ca-file", required_argument, NULL, OPT_CA },
                { "hooks", required_argument, NULL, OPT_HOOKS },
                { "asset-tag", required_argument, NULL, OPT_TAG },
                { "no-customise", no_argument, NULL, OPT_NO_CUSTOMISE },
                { "image", required_argument, NULL, OPT_IMAGE },
                { "compression", required_argument, NULL, OPT_COMPRESSION },
                { "bmap", required_argument, NULL, OPT_BMAP },
                { "verify-percent", required_argument, NULL, OPT_PERCENT },
                { "yes", no_argument, NULL, OPT_YES },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        *a = (struct args) { .customise = true };
        while ((c = getopt_long(argc, argv, "hV", options, NULL)) >= 0) {
                switch (c) {
                case OPT_PROFILE:
                        a->profile = optarg;
                        break;
                case OPT_KEYS:
                        a->trusted_keys = optarg;
                        break;
                case OPT_CACHE:
                        a->cache = optarg;
                        break;
                case OPT_CA:
                        a->ca_file = optarg;
                        break;
                case OPT_HOOKS:
                        a->hooks = optarg;
                        break;
                case OPT_TAG:
                        if (!*optarg || strlen(optarg) > 128) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--asset-tag : de 1 à 128 caractères",
                                              "--asset-tag: 1 to 128 characters"));
                                return -EINVAL;
                        }
                        a->asset_tag = optarg;
                        break;
                case OPT_NO_CUSTOMISE:
                        a->customise = false;
                        break;
                case OPT_IMAGE:
                        a->image = optarg;
                        break;
                case OPT_BMAP:
                        a->bmap = optarg;
                        break;
                case OPT_COMPRESSION:
                        if (strcmp(optarg, "zstd") == 0)
                                a->compression = IMG_COMPRESSION_ZSTD;
                        else if (strcmp(optarg, "none") == 0)
                                a->compression = IMG_COMPRESSION_NONE;
                        else {
                                fprintf(stderr, RF_TR(lang, "--compression : « %s » inconnu (zstd ou none)\n",
                                                      "--compression: unknown '%s' (zstd or none)\n"),
                                        optarg);
                                return -EINVAL;
                        }
                        a->compression_given = true;
                        break;
                case OPT_PERCENT:
                        if (parse_percent(optarg, &a->verify_percent) < 0) {
                                fprintf(stderr, "%s\n",
                                        RF_TR(lang, "--verify-percent : un entier de 1 à 100",
                                              "--verify-percent: an integer from 1 to 100"));
                                return -EINVAL;
                        }
                        break;
                case OPT_YES:
                        a->yes = true;
                        break;
                case OPT_JSON:
                        a->json = true;
                        break;
                case 'h':
                        refurb_image_usage(stdout, lang);
                        return 1;
                case 'V':
                        printf("refurb-image %s\n", REFURB_VERSION);
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (optind != argc - 1) {
                refurb_image_usage(stderr, lang);
                return -EINVAL;
        }
        a->device = argv[optind];
        return check_combination(a, lang);
}
