/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* One imaging run, shared by refurbd and refurb-image: check the profile's
 * signature and expiry, fetch and verify the image and its bmap, write,
 * read back, fit to the disk, customise (hooks) and prove the content.
 * Nothing is written before the profile, the bmap and the image have all
 * been verified. */

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "img-customise.h"
#include "img-fetch.h"
#include "img-fit.h"
#include "img-profile.h"
#include "img-sign.h"
#include "img-write.h"

struct img_run_opts {
        const char *profile_path;
        const char *trusted_keys_dir;  /* /etc/refurbd/trusted-keys */
        const char *hooks_dir;         /* /usr/lib/refurb/hooks/post-image.d */
        const char *run_dir;           /* /run/refurbd */
        const char *asset_tag;
        const char *devnode;           /* whole disk, held open by the caller (fd) */
        uint64_t min_size_override;    /* 0 */
        unsigned verify_percent;       /* read-back sample, 1..100 (0 = 5) */
        struct img_fetch_opts fetch;   /* cancel and progress inside are used too */
        atomic_bool *cancel;
        atomic_bool *removed;
        struct img_progress *progress;
        bool customise;                /* false: write and verify only */
};

struct img_run_result {
        struct img_profile *profile;         /* as verified; NULL when refused */
        struct img_signature_info signature;
        char image_sha256[65];
        char bmap_sha256[65];
        struct img_write_result write;
        bool write_ran;
        struct img_fit_result fit;
        bool fit_ran;
        struct img_customise_result customise;
        bool customise_ran;
        int error;               /* 0 or negative errno */
        enum img_phase failed_phase;
        char detail[512];        /* French: why it failed */
};
void img_run_result_clear(struct img_run_result *r);

/* *fd: the whole disk opened by wipe_open_exclusive(). Mounting a partition
 * needs the disk's O_EXCL claim given up: before customising, *fd is
 * replaced by a plain descriptor holding the same flock(LOCK_EX) (the old
 * one closed). Returns 0 when the run went through (r->error says whether
 * everything succeeded), <0 when it could not start. */
int img_run(int *fd, const struct img_run_opts *o, struct img_run_result *r);

/* The record kept with the job and put in the refurbishment certificate
 * (docs/imaging.md, "system"). */
json_t *img_run_to_json(const struct img_run_result *r);
