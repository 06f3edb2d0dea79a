/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One erase run: transport, probe (health, hidden areas), plan, firmware
 * method + read-back validation, overwrite fallback. The order follows
 * docs/firmware-erase.md ("Order of a job"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-erase.h"

/* The record's reason when the bus carries no erase command set at all
 * (virtio-blk, loop, regular files). */
#define NO_COMMAND_SET_REASON "pas de commande d'effacement matériel sur ce type de disque"
#define FORCED_OVERWRITE_REASON "overwrite requested by the operator (method overwrite)"

enum step {
        STEP_OVERWRITE, /* go on with the overwrite engine */
        STEP_DONE,      /* erased by the firmware method, validated */
        STEP_STOP,      /* stopped or failed: nothing more may run */
};

static uint64_t ms_since(uint64_t usec) {
        return (rf_now_usec() - usec) / 1000;
}

/* ---- Transport ---- */

static bool is_regular(int fd) {
        struct stat st;
        return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static bool bus_for(const struct wipe_erase_ctx *c, enum wipe_fw_bus *bus) {
        struct wipe_erase_result *r = c->ret;
        enum wipe_transport t = c->dev ? c->dev->transport : WIPE_TRANSPORT_UNKNOWN;

        if (is_regular(c->fd)) {
                snprintf(r->transport_note, sizeof(r->transport_note), "regular file: no firmware commands");
                return false;
        }
        switch (t) {
        case WIPE_TRANSPORT_NVME:
                *bus = WIPE_FW_BUS_NVME;
                return true;
        case WIPE_TRANSPORT_SATA:
        case WIPE_TRANSPORT_SCSI:
        case WIPE_TRANSPORT_USB:
                *bus = WIPE_FW_BUS_SCSI;
                return true;
        default:
                snprintf(r->transport_note, sizeof(r->transport_note), "no firmware commands on this transport (%s)",
                         wipe_transport_to_string(t));
                return false;
        }
}

static void open_transport(struct wipe_erase_ctx *c, struct wipe_fw_transport **own) {
        struct wipe_erase_result *r = c->ret;
        enum wipe_fw_bus bus;

        if (c->opts->transport) {
                wipe_erase_recorder_init(c, c->opts->transport);
                r->transport = true;
                return;
        }
        if (!bus_for(c, &bus))
                return;
        int k = wipe_fw_transport_new_linux(c->fd, bus, own);
        if (k < 0) {
                snprintf(r->transport_note, sizeof(r->transport_note), "%s transport unusable: %s",
                         wipe_fw_bus_to_string(bus), strerror(-k));
                return;
        }
        wipe_erase_recorder_init(c, *own);
        r->transport = true;
}

/* ---- Plan helpers ---- */

static void plan_overwrite_only(struct wipe_plan *p) {
        *p = (struct wipe_plan) {};
        p->steps[p->n_steps++] = (struct wipe_plan_step) {
                .method = WIPE_METHOD_OVERWRITE,
                .category = WIPE_CATEGORY_CLEAR,
                .state = WIPE_STEP_PLANNED,
        };
}

/* --method=overwrite: the overwrite first; what would have run is kept in
 * the record, skipped, with the operator's choice as the reason. */
static void plan_force_overwrite(struct wipe_plan *p) {
        struct wipe_plan n = {};

        plan_overwrite_only(&n);
        for (size_t i = 0; i < p->n_steps && n.n_steps < ELEMENTSOF(n.steps); i++) {
                struct wipe_plan_step s = p->steps[i];
                if (s.method == WIPE_METHOD_OVERWRITE)
                        continue;
                if (s.state == WIPE_STEP_PLANNED || strncmp(s.reason, "not needed", 10) == 0) {
                        s.state = WIPE_STEP_SKIPPED;
                        snprintf(s.reason, sizeof(s.reason), "%s", FORCED_OVERWRITE_REASON);
                }
                n.steps[n.n_steps++] = s;
        }
        *p = n;
}

/* ---- Probe: caps, health, hidden areas, plan ---- */

static void probe_health(struct wipe_erase_ctx *c) {
        struct wipe_erase_result *r = c->ret;
        int k = 0;

        if (r->caps.kind == WIPE_FW_KIND_ATA)
                k = wipe_ata_health(&c->recorder, &r->caps.ata, &r->health);
        else if (r->caps.kind == WIPE_FW_KIND_NVME)
                k = wipe_nvme_health(&c->recorder, &r->health);
        if (k < 0) {
                wipe_erase_device_gone(c, k);
                wipe_fw_health_init(&r->health); /* unknown, not "healthy" */
        }
        r->to_destroy = r->health.known && r->health.failing;
}

static void append_detail(char *buf, size_t len, const char *text) {
        size_t l = strlen(buf);
        if (l + 3 < len)
                snprintf(buf + l, len - l, "%s%s", l ? "; " : "", text);
}

static void probe_hidden(struct wipe_erase_ctx *c) {
        struct wipe_erase_result *r = c->ret;
        struct wipe_ata_caps *ata = &r->caps.ata;
        char msg[200];

        int k = wipe_ata_hidden_areas(&c->recorder, &c->opts->policy.hidden, ata, &r->hidden);
        if (k < 0) {
                if (wipe_erase_device_gone(c, k))
                        return;
                snprintf(r->hidden_detail, sizeof(r->hidden_detail), "hidden-area check failed: %s%s%s",
                         strerror(-k), r->hidden.detail[0] ? ": " : "", r->hidden.detail);
                return;
        }
        r->hidden_checked = true;
        snprintf(r->hidden_detail, sizeof(r->hidden_detail), "%s", r->hidden.detail);
        r->hidden_sectors = r->hidden.hidden_after;

        if (r->hidden.sectors_after != r->hidden.sectors_before) {
                /* The kernel's size is stale after SET MAX / DCO RESTORE. */
                wipe_erase_rescan(c);
                uint64_t size;
                unsigned sector;
                k = wipe_erase_fd_size(c->fd, &size, &sector);
                if (k < 0) {
                        if (wipe_erase_device_gone(c, k))
                                return;
                        r->error = k;
                        snprintf(r->error_detail, sizeof(r->error_detail),
                                 "size unreadable after the hidden-area change: %s", strerror(-k));
                        return;
                }
                r->size = size;
                r->sector_size = sector;
        }

        /* Whatever the drive now shows must be what the overwrite and the
         * validation address. */
        unsigned lss = ata->logical_sector_size ? ata->logical_sector_size : 512;
        uint64_t drive_bytes = ata->sectors * lss;
        if (drive_bytes > r->size) {
                uint64_t missing = (drive_bytes - r->size) / lss;
                r->hidden_sectors += missing;
                snprintf(msg, sizeof(msg),
                         "the system sees %llu bytes, the drive %llu: %llu sectors out of reach until the drive is "
                         "replugged or the bench rebooted",
                         (unsigned long long) r->size, (unsigned long long) drive_bytes, (unsigned long long) missing);
                append_detail(r->hidden_detail, sizeof(r->hidden_detail), msg);
        }
        r->hidden_remains = r->hidden_sectors > 0;
}

static void probe(struct wipe_erase_ctx *c) {
        struct wipe_erase_result *r = c->ret;
        uint64_t t0 = rf_now_usec();

        if (!r->transport) {
                plan_overwrite_only(&r->plan);
                r->caps.kind = WIPE_FW_KIND_NONE;
                snprintf(r->caps.note, sizeof(r->caps.note), "%s", r->transport_note);
                if (strncmp(r->transport_note, "no firmware commands", 20) == 0 ||
                    strncmp(r->transport_note, "regular file", 12) == 0)
                        snprintf(r->fallback_reason, sizeof(r->fallback_reason), "%s", NO_COMMAND_SET_REASON);
                else
                        snprintf(r->fallback_reason, sizeof(r->fallback_reason), "no firmware erase: %s",
                                 r->transport_note);
                return;
        }

        int k = wipe_caps_probe(&c->recorder, &r->caps);
        r->timings.probe_ms = ms_since(t0);
        if (k < 0) {
                if (!wipe_erase_device_gone(c, k)) {
                        r->error = k;
                        snprintf(r->error_detail, sizeof(r->error_detail), "capability probe failed: %s",
                                 strerror(-k));
                }
                return;
        }
        r->caps_probed = true;
        probe_health(c);
        if (wipe_erase_check_stop(c))
                return;

        if (r->caps.kind == WIPE_FW_KIND_ATA) {
                uint64_t t1 = rf_now_usec();
                probe_hidden(c);
                r->timings.hidden_ms = ms_since(t1);
                if (r->stop != WIPE_STOP_NONE || r->error)
                        return;
        }

        k = wipe_method_plan(&r->caps, &c->opts->policy, &r->plan);
        if (k < 0) {
                r->error = k;
                snprintf(r->error_detail, sizeof(r->error_detail), "no plan: %s", strerror(-k));
                return;
        }
        if (c->opts->method == WIPE_ERASE_OVERWRITE)
                plan_force_overwrite(&r->plan);
}

/* ---- Firmware method and validation ---- */

static void fw_progress(unsigned progress, void *userdata) {
        struct wipe_erase_ctx *c = userdata;
        uint64_t size = c->ret->size;

        atomic_store(&c->progress->bytes_written, (uint64_t) ((double) size * progress / 65535.0));
        wipe_erase_report(c, true);
}

static int fw_password_before(const char *serial, const char *password, void *userdata) {
        struct wipe_erase_ctx *c = userdata;
        return c->opts->password_set_before(serial, password, c->opts->userdata);
}

static void fw_password_cleared(const char *serial, void *userdata) {
        struct wipe_erase_ctx *c = userdata;
        c->opts->password_cleared(serial, c->opts->userdata);
}

/* No firmware method in the plan: every distinct reason of the skipped
 * candidates, so that the actionable one ("frozen: replug...") is there
 * even when another candidate comes first. */
static void plan_fallback_reason(struct wipe_erase_result *r) {
        char *buf = r->fallback_reason;
        size_t len = sizeof(r->fallback_reason);

        if (buf[0])
                return;
        snprintf(buf, len, "no firmware erase");
        bool any = false;
        for (size_t i = 0; i < r->plan.n_steps; i++) {
                const struct wipe_plan_step *s = &r->plan.steps[i];
                bool seen = false;
                if (s->state != WIPE_STEP_SKIPPED || !s->reason[0])
                        continue;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = strcmp(r->plan.steps[j].reason, s->reason) == 0;
                if (seen)
                        continue;
                size_t l = strlen(buf);
                if (l + 3 < len)
                        snprintf(buf + l, len - l, "%s%s", any ? "; " : ": ", s->reason);
                any = true;
        }
        if (!any)
                snprintf(buf, len, "no firmware erase available");
}

/* The drive's answer is not trusted: hash a sample now, read it again
 * after the erase. */
static int sample_before(struct wipe_erase_ctx *c, struct wipe_fw_sample **ret_sample) {
        struct wipe_erase_result *r = c->ret;
        const struct wipe_fw_io io = { wipe_erase_io_read, wipe_erase_io_write, c };
        _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;

        int k = rf_random_bytes(r->validation_key, sizeof(r->validation_key));
        if (k >= 0)
                k = wipe_fw_sample_new(r->size, c->opts->validate_percent, r->validation_key, &s);
        if (k >= 0)
                k = wipe_fw_sample_before(s, &io);
        /* The canaries must be on the media before the erase. */
        if (k >= 0 && fdatasync(c->fd) < 0)
                k = negative_errno();
        if (k < 0)
                return k;
        *ret_sample = TAKE_PTR(s);
        return 0;
}

static enum step validate(struct wipe_erase_ctx *c, const struct wipe_fw_sample *s) {
        struct wipe_erase_result *r = c->ret;
        const struct wipe_fw_io io = { wipe_erase_io_read, NULL, c };
        const char *name = wipe_method_to_string(r->firmware.method);
        uint64_t t0 = rf_now_usec();

        atomic_store(&c->progress->bytes_written, r->size);
        atomic_store(&c->progress->bytes_verified, 0);
        atomic_store(&c->progress->verify_total,
                     MIN((uint64_t) wipe_fw_sample_n_blocks(s) * WIPE_FW_SAMPLE_BLOCK, r->size));
        atomic_store(&c->progress->phase, WIPE_PHASE_VERIFY);
        wipe_erase_report(c, true);

        r->validation_expect = r->firmware.expect;
        c->count_blank = true;
        int k = wipe_fw_sample_after(s, &io, r->firmware.expect, &r->validation);
        c->count_blank = false;
        r->timings.validation_ms = ms_since(t0);
        if (r->stop != WIPE_STOP_NONE || wipe_erase_check_stop(c))
                return STEP_STOP; /* an interrupted read-back proves nothing */
        if (k < 0) {
                snprintf(r->validation_note, sizeof(r->validation_note), "read-back impossible: %s", strerror(-k));
                snprintf(r->fallback_reason, sizeof(r->fallback_reason),
                         "%s reported success but the media could not be read back (%s)", name, strerror(-k));
                return STEP_OVERWRITE;
        }
        r->validation_ran = true;
        if (r->validation.passed)
                return STEP_DONE;
        snprintf(r->fallback_reason, sizeof(r->fallback_reason),
                 "%s reported success but the read-back did not confirm it: %s", name, r->validation.detail);
        return STEP_OVERWRITE;
}

static enum step run_firmware(struct wipe_erase_ctx *c) {
        struct wipe_erase_result *r = c->ret;
        const struct wipe_erase_opts *o = c->opts;
        const struct wipe_plan_step *first = wipe_plan_first(&r->plan);

        if (!first || !wipe_method_is_firmware(first->method)) {
                plan_fallback_reason(r);
                return STEP_OVERWRITE;
        }
        const char *name = wipe_method_to_string(first->method);

        uint64_t t0 = rf_now_usec();
        _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;
        int k = sample_before(c, &s);
        r->timings.sample_ms = ms_since(t0);
        if (r->stop != WIPE_STOP_NONE)
                return STEP_STOP;
        if (k < 0) {
                if (wipe_erase_device_gone(c, k))
                        return STEP_STOP;
                snprintf(r->validation_note, sizeof(r->validation_note),
                         "pre-erase sample failed (%s): %s not attempted, it could not have been checked",
                         strerror(-k), name);
                snprintf(r->fallback_reason, sizeof(r->fallback_reason),
                         "%s not attempted: the media could not be sampled before the erase (%s)", name,
                         strerror(-k));
                return STEP_OVERWRITE;
        }
        if (wipe_erase_check_stop(c))
                return STEP_STOP;

        struct wipe_fw_opts fw = {
                .clock = o->clock,
                .cancel = o->cancel,
                .poll_interval_ms = o->poll_interval_ms,
                .max_wait_ms = o->max_wait_ms,
                .on_progress = fw_progress,
                .password_set_before = o->password_set_before ? fw_password_before : NULL,
                .password_cleared = o->password_cleared ? fw_password_cleared : NULL,
                .ata_password = o->ata_password,
                .userdata = c,
        };
        atomic_store(&c->progress->phase, WIPE_PHASE_WRITE);
        atomic_store(&c->progress->bytes_written, 0);
        wipe_erase_report(c, true);

        t0 = rf_now_usec();
        k = wipe_method_run(&c->recorder, &r->caps, &r->plan, &fw, &r->firmware);
        r->timings.firmware_ms = ms_since(t0);
        r->firmware_ran = r->firmware.attempted;
        r->method = first->method;
        if (k < 0) {
                if (k == -ECANCELED)
                        r->stop = WIPE_STOP_CANCELLED;
                else if (!wipe_erase_device_gone(c, k)) {
                        r->error = k;
                        snprintf(r->error_detail, sizeof(r->error_detail), "%s%s", r->firmware.fallback_reason,
                                 k == -EACCES ? ": the drive keeps our temporary ATA password (see "
                                                "docs/firmware-erase.md, recovery)"
                                 : k == -ETIMEDOUT ? ": a sanitize may still be running in the drive, which "
                                                     "refuses writes until it is done (also after a power cycle)"
                                                   : ": no overwrite may follow");
                }
                return STEP_STOP;
        }
        if (!wipe_method_is_firmware(r->firmware.method)) {
                snprintf(r->fallback_reason, sizeof(r->fallback_reason), "%s", r->firmware.fallback_reason);
                return STEP_OVERWRITE;
        }
        if (wipe_erase_check_stop(c))
                return STEP_STOP;
        return validate(c, s);
}

/* ---- Overwrite ---- */

static void run_overwrite(struct wipe_erase_ctx *c) {
        struct wipe_erase_result *r = c->ret;
        struct wipe_overwrite_opts o = c->opts->overwrite;

        r->method = WIPE_METHOD_OVERWRITE;
        if (wipe_erase_check_stop(c))
                return;
        o.cancel = c->opts->cancel;
        o.removed = c->opts->removed;
        o.sysfs_dir = c->opts->sysfs_dir;
        o.on_progress = c->opts->on_progress;
        o.userdata = c->opts->userdata;

        uint64_t t0 = rf_now_usec();
        int k = wipe_overwrite_run(c->fd, r->size, r->sector_size, &o, c->progress, &r->overwrite);
        r->timings.overwrite_ms = ms_since(t0);
        if (k < 0) {
                if (!wipe_erase_device_gone(c, k)) {
                        r->error = k;
                        snprintf(r->error_detail, sizeof(r->error_detail), "the overwrite could not start: %s",
                                 strerror(-k));
                }
                return;
        }
        r->overwrite_ran = true;
        r->overwrite_verify_total = atomic_load(&c->progress->verify_total);
        if (r->overwrite.stop != WIPE_STOP_NONE && r->stop == WIPE_STOP_NONE)
                r->stop = r->overwrite.stop;
}

/* ---- The run ---- */

int wipe_erase_run(int fd, const struct wipe_device *dev, const struct wipe_erase_opts *opts,
                   struct wipe_progress *progress, struct wipe_erase_result *ret) {
        struct wipe_progress local_progress = {};

        if (!ret)
                return -EINVAL;
        *ret = (struct wipe_erase_result) { .method = WIPE_METHOD_OVERWRITE, .category = WIPE_CATEGORY_NONE };
        wipe_fw_health_init(&ret->health);
        if (fd < 0 || !opts || opts->validate_percent > 100)
                return -EINVAL;
        if (!progress)
                progress = &local_progress;
        uint64_t t0 = rf_now_usec();

        int k = wipe_erase_fd_size(fd, &ret->size_before, &ret->sector_size);
        if (k < 0)
                return k;
        if (ret->size_before == 0)
                return -ENOMEDIUM;
        ret->size = ret->size_before;
        ret->validate_percent = opts->validate_percent;
        ret->overwrite_verify = opts->overwrite.verify;
        ret->overwrite_verify_percent = opts->overwrite.verify == WIPE_VERIFY_FULL     ? 100
                                        : opts->overwrite.verify == WIPE_VERIFY_SAMPLE ? opts->overwrite.verify_percent
                                                                                       : 0;
        memcpy(ret->overwrite_key, opts->overwrite.key, sizeof(ret->overwrite_key));
        memcpy(ret->overwrite_iv, opts->overwrite.iv, sizeof(ret->overwrite_iv));

        atomic_store(&progress->phase, WIPE_PHASE_WRITE);
        atomic_store(&progress->bytes_written, 0);
        atomic_store(&progress->bytes_verified, 0);
        atomic_store(&progress->verify_total, 0);
        atomic_store(&progress->n_exceptions, 0);

        struct wipe_erase_ctx c = {
                .fd = fd,
                .dev = dev,
                .opts = opts,
                .progress = progress,
                .ret = ret,
                .clock = opts->clock ? opts->clock : &wipe_fw_clock_system,
        };
        c.clock_start_ms = c.clock->now_ms(c.clock->userdata);
        if (opts->sysfs_dir) {
                _cleanup_free_ char *path = NULL, *value = NULL;
                c.sysfs_watch = asprintf(&path, "%s/size", opts->sysfs_dir) >= 0 && rf_read_line(path, &value) == 0;
        }

        _cleanup_wipe_fw_transport_ struct wipe_fw_transport *own = NULL;
        open_transport(&c, &own);

        if (!wipe_erase_check_stop(&c))
                probe(&c);
        if (ret->stop == WIPE_STOP_NONE && ret->error == 0 && !wipe_erase_check_stop(&c)) {
                enum step s = run_firmware(&c);
                if (s == STEP_OVERWRITE && ret->error == 0)
                        run_overwrite(&c);
        }

        bool complete = wipe_erase_result_complete(ret);
        if (!complete)
                ret->category = WIPE_CATEGORY_NONE;
        else if (wipe_method_is_firmware(ret->method))
                ret->category = ret->firmware.category;
        else
                ret->category = WIPE_CATEGORY_CLEAR;
        ret->timings.total_ms = ms_since(t0);
        atomic_store(&progress->phase, WIPE_PHASE_DONE);
        wipe_erase_report(&c, true);
        return 0;
}
