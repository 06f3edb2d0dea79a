/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-ata.h"

/* ATA Sanitize Device feature set (ACS-3 §4.19, §7.36). The command
 * returns at once; the operation runs in the drive, which answers only
 * SANITIZE STATUS EXT until it is over (and resumes it after a power
 * cycle). */

#define FAILURE_MODE 0x0010u /* COUNT bit 4: a failure can be cleared by STATUS EXT */

static const char *action_name(enum wipe_ata_sanitize_action a) {
        switch (a) {
        case WIPE_ATA_SANITIZE_ACTION_CRYPTO:
                return "SANITIZE CRYPTO SCRAMBLE EXT";
        case WIPE_ATA_SANITIZE_ACTION_BLOCK:
                return "SANITIZE BLOCK ERASE EXT";
        case WIPE_ATA_SANITIZE_ACTION_OVERWRITE:
                return "SANITIZE OVERWRITE EXT";
        }
        return "SANITIZE";
}

static int sanitize_status(const struct wipe_fw_transport *t, bool clear_failure, struct wipe_ata_result *res) {
        struct wipe_ata_cmd st = {
                .command = WIPE_ATA_SANITIZE,
                .feature = WIPE_ATA_SANITIZE_STATUS,
                .count = clear_failure ? 0x0001 : 0,
                .timeout_ms = 15000,
        };
        return wipe_fw_ata(t, &st, res);
}

int wipe_ata_sanitize(const struct wipe_fw_transport *t, const struct wipe_ata_caps *caps,
                      enum wipe_ata_sanitize_action action, const struct wipe_fw_opts *opts,
                      struct wipe_fw_outcome *out) {
        if (!t || !caps || !out)
                return -EINVAL;
        *out = (struct wipe_fw_outcome) { .expect = WIPE_EXPECT_CHANGED };
        const char *name = action_name(action);

        struct wipe_ata_cmd cmd = { .command = WIPE_ATA_SANITIZE, .count = FAILURE_MODE, .timeout_ms = 30000 };
        bool supported;
        switch (action) {
        case WIPE_ATA_SANITIZE_ACTION_CRYPTO:
                supported = caps->sanitize_crypto;
                cmd.feature = WIPE_ATA_SANITIZE_CRYPTO;
                cmd.lba = WIPE_ATA_SIG_CRYPTO;
                break;
        case WIPE_ATA_SANITIZE_ACTION_BLOCK:
                supported = caps->sanitize_block;
                cmd.feature = WIPE_ATA_SANITIZE_BLOCK;
                cmd.lba = WIPE_ATA_SIG_BLOCK;
                break;
        case WIPE_ATA_SANITIZE_ACTION_OVERWRITE:
                supported = caps->sanitize_overwrite;
                cmd.feature = WIPE_ATA_SANITIZE_OVERWRITE;
                /* Pattern 0 (LBA 31:0), one pass (COUNT 3:0), no invert. */
                cmd.lba = (uint64_t) WIPE_ATA_SIG_OVERWRITE << 32;
                cmd.count |= 0x0001;
                out->expect = WIPE_EXPECT_ZEROS;
                break;
        default:
                return wipe_fw_fail(out, -EINVAL, "unknown sanitize action %d", (int) action);
        }
        if (!caps->sanitize_supported || !supported || !caps->lba48)
                return wipe_fw_fail(out, -EOPNOTSUPP, "%s: not supported (IDENTIFY word 59)", name);

        const struct wipe_fw_clock *clock = wipe_fw_opts_clock(opts);
        uint64_t start = clock->now_ms(clock->userdata);
        struct wipe_ata_result res;
        char desc[96];

        /* A previous failure must be acknowledged before a new start. */
        int r = sanitize_status(t, false, &res);
        if (r < 0) {
                wipe_fw_ata_describe(r, &res, desc, sizeof(desc));
                return wipe_fw_fail(out, r, "SANITIZE STATUS EXT: %s", desc);
        }
        if (!res.have_regs)
                return wipe_fw_fail(out, -EOPNOTSUPP,
                                    "SANITIZE STATUS EXT: the bridge does not return ATA registers, progress "
                                    "cannot be followed");
        if (res.count & WIPE_ATA_SANITIZE_FROZEN)
                return wipe_fw_fail(out, -EPERM,
                                    "%s: sanitize frozen (SANITIZE FREEZE LOCK EXT was issued, by the BIOS?): "
                                    "power-cycle the drive in a hot-swap bay",
                                    name);
        if (res.count & WIPE_ATA_SANITIZE_IN_PROGRESS)
                return wipe_fw_fail(out, -EBUSY, "%s: another sanitize operation is in progress", name);
        if (res.status & WIPE_ATA_STATUS_ERR)
                (void) sanitize_status(t, true, &res);

        wipe_fw_opts_progress(opts, 0);
        r = wipe_fw_ata_ok(t, &cmd, &res);
        if (r < 0) {
                wipe_fw_ata_describe(r, &res, desc, sizeof(desc));
                return wipe_fw_fail(out, r, "%s: %s", name, desc);
        }

        uint64_t deadline = start + wipe_fw_opts_max_wait_ms(opts);
        for (;;) {
                r = sanitize_status(t, false, &res);
                if (r < 0) {
                        wipe_fw_ata_describe(r, &res, desc, sizeof(desc));
                        return wipe_fw_fail(out, r, "%s: SANITIZE STATUS EXT: %s", name, desc);
                }
                if (res.status & WIPE_ATA_STATUS_ERR) {
                        /* LBA 7:0 = reason; 1 = the operation was unsuccessful. */
                        unsigned reason = (unsigned) (res.lba & 0xff);
                        (void) sanitize_status(t, true, &res);
                        out->duration_ms = clock->now_ms(clock->userdata) - start;
                        return wipe_fw_fail(out, -EIO, "%s: the drive reports the operation failed (reason %u)",
                                            name, reason);
                }
                if (!(res.count & WIPE_ATA_SANITIZE_IN_PROGRESS)) {
                        out->duration_ms = clock->now_ms(clock->userdata) - start;
                        if (!(res.count & WIPE_ATA_SANITIZE_DONE))
                                return wipe_fw_fail(out, -EIO,
                                                    "%s: no longer in progress, but the drive does not report "
                                                    "completion without error",
                                                    name);
                        wipe_fw_opts_progress(opts, 65535);
                        return 0;
                }
                wipe_fw_opts_progress(opts, (unsigned) (res.lba & 0xffff));

                uint64_t now = clock->now_ms(clock->userdata);
                if (wipe_fw_opts_cancelled(opts)) {
                        out->duration_ms = now - start;
                        return wipe_fw_fail(out, -ECANCELED,
                                            "%s: cancelled; the drive goes on with the sanitize (also after a "
                                            "power cycle) and refuses other commands until it is done",
                                            name);
                }
                if (now >= deadline) {
                        out->duration_ms = now - start;
                        return wipe_fw_fail(out, -ETIMEDOUT, "%s: still in progress (%u/65535) after %llu min",
                                            name, (unsigned) (res.lba & 0xffff),
                                            (unsigned long long) ((now - start) / 60000u));
                }
                clock->sleep_ms(clock->userdata, wipe_fw_opts_poll_ms(opts));
        }
}
