/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* refurb-wipe's command line. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rf-i18n.h"
#include "wipe-erase.h"
#include "wipe-overwrite.h"

#define EXIT_INCOMPLETE 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 3

struct args {
        enum wipe_verify_mode verify;
        unsigned verify_percent;
        size_t block_size;
        unsigned threads;
        bool json;
        bool yes;
        bool verify_only;
        bool have_key, have_iv;
        enum wipe_erase_choice method;
        unsigned validate_percent;
        uint8_t key[WIPE_KEY_SIZE];
        uint8_t iv[WIPE_IV_SIZE];
        const char *device;
};

void refurb_wipe_usage(FILE *f, enum rf_lang lang);
/* 0, or -EINVAL after printing what is wrong; 1 when --help was printed. */
int refurb_wipe_parse_args(int argc, char **argv, enum rf_lang lang, struct args *a);
