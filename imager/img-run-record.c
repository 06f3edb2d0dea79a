/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The record of an imaging run (docs/imaging.md, "system"): what was
 * written, how it was checked, what the hooks did and what the written
 * system holds. Kept with the job and put in the refurbishment
 * certificate. */
#include <string.h>

#include "img-bmap.h"
#include "img-run.h"
#include "rf-macro.h"
#include "rf-util.h"

static json_t *profile_json(const struct img_run_result *r) {
        const struct img_profile *p = r->profile;
        json_t *sig = json_pack("{s:s, s:s, s:s}", "format", r->signature.format, "key_id", r->signature.key_id,
                                "key_file", r->signature.key_file);
        if (sig && r->signature.trusted_comment[0])
                json_object_set_new(sig, "trusted_comment", json_string(r->signature.trusted_comment));
        return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o*}", "name", p->name, "version", p->version, "description",
                         p->description ? p->description : "", "target", img_target_to_string(p->target),
                         "expires", p->expires ? p->expires_text : NULL, "signature", sig);
}

static json_t *image_json(const struct img_run_result *r) {
        const struct img_profile *p = r->profile;
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "location", p->image.location, "sha256", r->image_sha256,
                         "compression", p->compression == IMG_COMPRESSION_ZSTD ? "zstd" : "none", "bmap",
                         p->bmap.location, "bmap_sha256", r->bmap_sha256);
}

static json_t *write_json(const struct img_write_result *w) {
        double rate = w->write_seconds > 0 ? (double) w->bytes_written / w->write_seconds : 0;
        return json_pack("{s:I, s:I, s:f, s:I, s:{s:s, s:I, s:I, s:I, s:I, s:f}}", "device_size",
                         (json_int_t) w->device_size, "bytes_written", (json_int_t) w->bytes_written, "seconds",
                         w->write_seconds, "rate_bytes_per_second", (json_int_t) rate, "verification", "method",
                         "sha256-per-range-on-the-way+read-back-sample", "percent", (json_int_t) w->verify_percent,
                         "ranges_hashed", (json_int_t) w->ranges_hashed, "chunks_read_back",
                         (json_int_t) w->chunks_checked, "bytes_read_back", (json_int_t) w->bytes_verified,
                         "seconds", w->verify_seconds);
}

static json_t *fit_json(const struct img_fit_result *f) {
        return json_pack("{s:s, s:b, s:i, s:s, s:I, s:I, s:I, s:I}", "table", f->table_gpt ? "gpt" : "mbr",
                         "backup_header_moved", f->backup_moved, "partition", (int) f->partno, "partition_node",
                         f->part_devnode, "partition_size_before", (json_int_t) f->part_size_before,
                         "partition_size_after", (json_int_t) f->part_size_after, "filesystem_size_before",
                         (json_int_t) f->fs_size_before, "filesystem_size_after", (json_int_t) f->fs_size_after);
}

json_t *img_run_to_json(const struct img_run_result *r) {
        if (!r)
                return NULL;
        json_t *v = json_object();
        if (!v)
                return NULL;
        json_object_set_new(v, "result", json_string(r->error == 0 ? "ok" : "failed"));
        if (r->error < 0) {
                json_object_set_new(v, "failed_phase", json_string(img_phase_to_string(r->failed_phase)));
                json_object_set_new(v, "detail", json_string(r->detail));
        }
        if (r->profile) {
                json_object_set_new(v, "profile", profile_json(r));
                if (r->image_sha256[0])
                        json_object_set_new(v, "image", image_json(r));
        }
        if (r->write_ran)
                json_object_set_new(v, "write", write_json(&r->write));
        if (r->fit_ran)
                json_object_set_new(v, "fit", fit_json(&r->fit));
        if (r->customise_ran) {
                if (r->customise.hostname[0])
                        json_object_set_new(v, "hostname", json_string(r->customise.hostname));
                json_object_set_new(v, "hooks", img_hooks_to_json(&r->customise));
                if (r->customise.content)
                        json_object_set_new(v, "content", json_incref(r->customise.content));
                if (r->customise.missing)
                        json_object_set_new(v, "missing", json_string(r->customise.missing));
        }
        return v;
}
