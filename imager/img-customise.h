/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Customising the written system: its root filesystem is mounted in a
 * private mount namespace of the calling thread (so nothing outside sees
 * it, and nothing stays mounted if the process dies), grown to its
 * partition, then the post-image hooks run, then the proof of content.
 *
 * Hooks (docs/hooks.md): the executables of hooks_dir (or those the
 * profile names), in run-parts order (names of A-Z a-z 0-9 _ -), each in
 * its own PID namespace with stdin /dev/null, stdout+stderr captured (last
 * 16 KiB kept), killed with everything it started when its time limit
 * passes. Environment:
 *   REFURB_ROOT          mount point of the written root filesystem
 *   REFURB_DEVICE        the drive (/dev/sdb)
 *   REFURB_PARTITION     the root partition (/dev/sdb2)
 *   REFURB_ASSET_TAG     the asset's tag (RB-00017)
 *   REFURB_HOSTNAME      host name to give (derived from the tag)
 *   REFURB_PROFILE, REFURB_PROFILE_VERSION
 *   REFURB_SEARCH_ENGINE, REFURB_SEARCH_URL (empty when the profile has none)
 *   REFURB_LANG          fr
 *   PATH=/usr/sbin:/usr/bin:/sbin:/bin, LANG=C.UTF-8
 * A hook exiting non-zero, killed, or timed out fails the customisation. */

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "img-fit.h"
#include "img-profile.h"

struct img_customise_opts {
        const char *devnode;          /* whole disk */
        const char *part_devnode;     /* root partition */
        const struct img_profile *profile;
        const char *hooks_dir;        /* e.g. /usr/lib/refurb/hooks/post-image.d */
        const char *asset_tag;
        const char *run_dir;          /* where to make the mount point, e.g. /run/refurbd */
        bool grow_fs;                 /* grow ext4 to the partition */
        struct img_fit_result *fit;   /* fs sizes filled when grow_fs */
        atomic_bool *cancel;          /* checked between hooks; may be NULL */
};

struct img_hook_result {
        char name[128];
        int exit_status;      /* exit code, or 128+signal */
        bool timed_out;
        double seconds;
        char *output;         /* tail of stdout+stderr, UTF-8 sanitised */
};

struct img_customise_result {
        char hostname[64];
        struct img_hook_result *hooks;
        size_t n_hooks;
        json_t *content;          /* img_proof_check record */
        char *missing;            /* French, NULL when everything is there */
        int error;                /* 0 or negative errno */
        char detail[512];         /* French: what failed (hook name and exit, mount error...) */
};
void img_customise_result_clear(struct img_customise_result *r);

/* The host name given to an asset: the tag, lowercase, characters outside
 * a-z 0-9 - replaced by '-', trimmed to 63, "poste" when nothing is left. */
void img_hostname_from_tag(const char *tag, char out[static 64]);

/* Moves the calling thread into a new mount namespace (unshare
 * CLONE_NEWNS|CLONE_FS): call it from a thread that ends afterwards, or a
 * process of its own. Returns 0 when it ran (r->error says whether it
 * succeeded), <0 when it could not start. */
int img_customise_run(const struct img_customise_opts *o, struct img_customise_result *r);

json_t *img_hooks_to_json(const struct img_customise_result *r);
