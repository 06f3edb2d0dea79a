/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* refurb-image's command line and output. */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "img-fetch.h"
#include "img-write.h"
#include "rf-i18n.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 3

struct args {
        /* write-only mode */
        const char *image;
        const char *bmap;
        enum img_compression compression;
        bool compression_given;
        /* profile mode */
        const char *profile;
        const char *trusted_keys;
        const char *cache;
        const char *ca_file;
        const char *hooks;
        const char *asset_tag;
        bool customise;
        /* both */
        unsigned verify_percent;
        bool yes;
        bool json;
        const char *device;
};

void refurb_image_usage(FILE *f, enum rf_lang lang);
/* 0, or -EINVAL after printing what is wrong; 1 when --help or --version
 * was printed. */
int refurb_image_parse_args(int argc, char **argv, enum rf_lang lang, struct args *a);

/* Progress on stderr from a thread of its own: a line redrawn on a tty,
 * a line every 10 s (and at each phase) otherwise. */
struct reporter;
int reporter_start(struct reporter **ret, enum rf_lang lang, const struct img_progress *progress,
                   const struct img_fetch_progress *fetch);
/* Stops the thread; ends the progress line. */
void reporter_stop(struct reporter *rep);

/* A number with a decimal comma in French. Returns out. */
const char *fmt_num(double v, int decimals, enum rf_lang lang, char *out, size_t len);
