/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test driver: fit a written image to its disk, then customise it.
 *
 *   img-customise-tool --profile-text FILE --hooks DIR --asset-tag TAG
 *                      --run-dir DIR [--no-grow] DEVICE
 *
 * The profile is parsed without its signature. DEVICE is held with
 * flock(LOCK_EX) throughout, as img_run() holds it: udev then leaves its
 * partition table alone (no BLKRRPART) while it is fitted and mounted.
 * Prints one JSON object
 * (fit, hostname, hooks, content, missing, error, detail); exit 0 when
 * everything succeeded and nothing is missing, 1 otherwise, 2 on usage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "img-customise.h"
#include "img-fit.h"
#include "img-profile.h"
#include "rf-macro.h"
#include "rf-util.h"

static json_t *fit_json(const struct img_fit_result *f) {
        return json_pack("{s:s, s:b, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "table", f->table_gpt ? "gpt" : "mbr",
                         "backup_moved", f->backup_moved, "partition", (int) f->partno, "partition_node",
                         f->part_devnode, "partition_start", (json_int_t) f->part_start, "partition_size_before",
                         (json_int_t) f->part_size_before, "partition_size_after", (json_int_t) f->part_size_after,
                         "fs_size_before", (json_int_t) f->fs_size_before, "fs_size_after",
                         (json_int_t) f->fs_size_after, "detail", f->detail);
}

static int usage(void) {
        fprintf(stderr, "usage: img-customise-tool --profile-text FILE --hooks DIR --asset-tag TAG --run-dir DIR "
                        "[--no-grow] DEVICE\n");
        return 2;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "profile-text", required_argument, NULL, 'p' },
                { "hooks", required_argument, NULL, 'k' },
                { "asset-tag", required_argument, NULL, 't' },
                { "run-dir", required_argument, NULL, 'r' },
                { "no-grow", no_argument, NULL, 'n' },
                {},
        };
        const char *profile_file = NULL, *hooks = NULL, *tag = NULL, *run_dir = NULL;
        bool grow = true;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        profile_file = optarg;
                        break;
                case 'k':
                        hooks = optarg;
                        break;
                case 't':
                        tag = optarg;
                        break;
                case 'r':
                        run_dir = optarg;
                        break;
                case 'n':
                        grow = false;
                        break;
                default:
                        return usage();
                }
        }
        if (!profile_file || !hooks || !tag || !run_dir || optind != argc - 1)
                return usage();
        const char *device = argv[optind];

        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int k = rf_read_file(profile_file, 1024 * 1024, &text, &len);
        if (k < 0) {
                fprintf(stderr, "%s: %s\n", profile_file, strerror(-k));
                return 1;
        }
        char err[512] = "";
        _cleanup_img_profile_ struct img_profile *p = NULL;
        k = img_profile_parse(profile_file, NULL, text, len, &p, err, sizeof(err));
        if (k < 0) {
                fprintf(stderr, "profil : %s\n", err[0] ? err : strerror(-k));
                return 1;
        }

        _cleanup_close_ int lock = open(device, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (lock < 0 || flock(lock, LOCK_EX) < 0) {
                fprintf(stderr, "%s: %s\n", device, strerror(errno));
                return 1;
        }

        json_t *out = json_object();
        struct img_fit_result fit = { 0 };
        k = img_fit_partition(device, p->root_partition, &fit);
        bool ok = k >= 0;
        if (!ok)
                json_object_set_new(out, "fit_error", json_integer(k));

        struct img_customise_result res = { 0 };
        bool customised = false;
        if (ok) {
                struct img_customise_opts co = {
                        .devnode = device,
                        .part_devnode = fit.part_devnode,
                        .profile = p,
                        .hooks_dir = hooks,
                        .asset_tag = tag,
                        .run_dir = run_dir,
                        .grow_fs = grow,
                        .fit = &fit,
                };
                k = img_customise_run(&co, &res);
                customised = true;
                if (k < 0) {
                        json_object_set_new(out, "customise_error", json_integer(k));
                        ok = false;
                } else if (res.error < 0 || res.missing)
                        ok = false;
        }
        json_object_set_new(out, "fit", fit_json(&fit));
        if (customised) {
                json_object_set_new(out, "hostname", json_string(res.hostname));
                json_object_set_new(out, "hooks", img_hooks_to_json(&res));
                json_object_set_new(out, "content", res.content ? json_incref(res.content) : json_null());
                json_object_set_new(out, "missing", res.missing ? json_string(res.missing) : json_null());
                json_object_set_new(out, "error", json_integer(res.error));
                json_object_set_new(out, "detail", json_string(res.detail));
        }
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', stdout);
        json_decref(out);
        img_customise_result_clear(&res);
        return ok ? 0 : 1;
}
