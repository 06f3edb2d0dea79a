/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wipe-fw-run.h"

const struct wipe_fw_clock *wipe_fw_opts_clock(const struct wipe_fw_opts *o) {
        return o && o->clock ? o->clock : &wipe_fw_clock_system;
}

unsigned wipe_fw_opts_poll_ms(const struct wipe_fw_opts *o) {
        return o && o->poll_interval_ms ? o->poll_interval_ms : 2000u;
}

uint64_t wipe_fw_opts_max_wait_ms(const struct wipe_fw_opts *o) {
        return o && o->max_wait_ms ? o->max_wait_ms : (uint64_t) 48 * 3600 * 1000;
}

bool wipe_fw_opts_cancelled(const struct wipe_fw_opts *o) {
        return o && o->cancel && atomic_load(o->cancel);
}

void wipe_fw_opts_progress(const struct wipe_fw_opts *o, unsigned progress) {
        if (o && o->on_progress)
                o->on_progress(progress > 65535u ? 65535u : progress, o->userdata);
}

int wipe_fw_fail(struct wipe_fw_outcome *out, int error, const char *fmt, ...) {
        va_list ap;

        out->error = error;
        va_start(ap, fmt);
        vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
        va_end(ap);
        return error;
}

void wipe_fw_ata_describe(int r, const struct wipe_ata_result *res, char *buf, size_t len) {
        bool device_error = res && (r >= 0 || r == -EIO) && (res->status & (WIPE_ATA_STATUS_ERR | WIPE_ATA_STATUS_DF));

        if (device_error && (res->status & WIPE_ATA_STATUS_ERR) && (res->error & WIPE_ATA_ERROR_ABRT))
                snprintf(buf, len, "aborted by the drive (status 0x%02x, error 0x%02x)", res->status, res->error);
        else if (device_error)
                snprintf(buf, len, "failed (status 0x%02x, error 0x%02x)", res->status, res->error);
        else if (r == -ETIMEDOUT)
                snprintf(buf, len, "timed out");
        else if (r == -EOPNOTSUPP)
                snprintf(buf, len, "ATA pass-through not supported on this path");
        else if (r == -ENODEV)
                snprintf(buf, len, "the drive went away");
        else if (r < 0)
                snprintf(buf, len, "transport error: %s", strerror(-r));
        else
                snprintf(buf, len, "ok");
}

void wipe_fw_health_init(struct wipe_fw_health *h) {
        *h = (struct wipe_fw_health) {
                .critical_warning = -1,
                .percentage_used = -1,
                .reallocated = -1,
                .pending = -1,
                .uncorrectable = -1,
                .power_on_hours = -1,
                .media_errors = -1,
        };
}
