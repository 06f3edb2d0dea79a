/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to rctl-profile.c and rctl-profile-check.c. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "img-sign.h"
#include "rctl.h"

#define RCTL_PROFILE_DEFAULT_DIR REFURB_SYSCONFDIR "/refurbd/profiles"
#define RCTL_PROFILE_DEFAULT_TRUSTED_KEYS REFURB_SYSCONFDIR "/refurbd/trusted-keys"
#define RCTL_PROFILE_MAX_SIZE ((size_t) (1024 * 1024))
#define OOM(ctx) rctl_fail(ctx, "%s", RF_TR((ctx)->lang, "Mémoire insuffisante.", "Out of memory."))

/* The command line of "profile". */
struct rctl_profile_opts {
        const char *trusted_keys;
        const char *key;
        bool files;
        bool trusted_given;
        char **pos;
        int n_pos;
};

/* One profile checked as the bench would: read once, signature, parse,
 * expiry. */
struct rctl_profile_check {
        const char *path;
        char *text;
        size_t len;
        int read_r;
        int sig_r;
        struct img_signature_info info;
        struct img_profile *p;
        bool expired;
        char sig_err[512];
        char err[512]; /* reading or parsing */
};

/* Check path against t (NULL: trust_err says why there is no trust store). */
void rctl_profile_check(const char *path, const struct img_trust *t, const char *trust_err,
                        struct rctl_profile_check *c);
void rctl_profile_check_done(struct rctl_profile_check *c);
/* Valid UTF-8 without control characters. */
bool rctl_profile_text_ok(const char *s);
/* Read, signed by a trusted key, well formed and not expired. */
bool rctl_profile_check_ok(const struct rctl_profile_check *c);
/* A signature verdict (img_verify_detached() code) in words. */
const char *rctl_profile_sig_words(enum rf_lang lang, int r);
json_t *rctl_profile_check_json(const struct rctl_profile_check *c);
int rctl_profile_load_trust(const struct rctl_profile_opts *o, struct img_trust **ret, char *err, size_t errlen);

int rctl_profile_show(struct rctl_ctx *ctx, const struct rctl_profile_opts *o);
int rctl_profile_validate(struct rctl_ctx *ctx, const struct rctl_profile_opts *o);
