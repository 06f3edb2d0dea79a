/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-nvme.h"

/* NVMe erase commands. Format NVM is only ever sent with a Secure Erase
 * Setting of 1 or 2: SES=0 re-formats without erasing anything, and a
 * tool that sent it certified drives that still held their data. */

int wipe_nvme_format_cdw10(const struct wipe_nvme_caps *caps, unsigned ses, uint32_t *ret) {
        if (!caps || !ret)
                return -EINVAL;
        if (ses != WIPE_NVME_SES_USER_DATA && ses != WIPE_NVME_SES_CRYPTO)
                return -EINVAL;
        uint32_t v = (caps->lbaf_index & 0x0fu)                  /* LBAF 3:0 */
                     | (uint32_t) ((caps->flbas >> 4) & 1u) << 4 /* MSET */
                     | (uint32_t) (caps->dps & 0x7u) << 5        /* PI */
                     | (uint32_t) ((caps->dps >> 3) & 1u) << 8   /* PIL */
                     | ses << WIPE_NVME_SES_SHIFT                /* SES */
                     | ((caps->lbaf_index >> 4) & 0x3u) << 12;   /* LBAF 5:4 */
        *ret = v;
        return 0;
}

int wipe_nvme_format(const struct wipe_fw_transport *t, const struct wipe_nvme_caps *caps, unsigned ses,
                     const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out) {
        if (!t || !caps || !out)
                return -EINVAL;
        *out = (struct wipe_fw_outcome) { .expect = WIPE_EXPECT_CHANGED };
        const char *name = ses == WIPE_NVME_SES_CRYPTO ? "Format NVM (SES=2, cryptographic erase)"
                                                       : "Format NVM (SES=1, user data erase)";
        uint32_t cdw10;
        if (wipe_nvme_format_cdw10(caps, ses, &cdw10) < 0)
                return wipe_fw_fail(out, -EINVAL, "Format NVM: secure erase setting %u refused", ses);
        if (!caps->format_supported)
                return wipe_fw_fail(out, -EOPNOTSUPP, "%s: not supported (OACS bit 1 clear)", name);
        if (ses == WIPE_NVME_SES_CRYPTO && !caps->crypto_erase_supported)
                return wipe_fw_fail(out, -EOPNOTSUPP, "%s: cryptographic erase not supported (FNA bit 2 clear)",
                                    name);
        /* Never without an erase, whatever happened above. */
        if (((cdw10 & WIPE_NVME_SES_MASK) >> WIPE_NVME_SES_SHIFT) == 0)
                return wipe_fw_fail(out, -EINVAL, "Format NVM without a secure erase setting refused");

        const struct wipe_fw_clock *clock = wipe_fw_opts_clock(opts);
        uint64_t start = clock->now_ms(clock->userdata);
        uint64_t wait = MIN(wipe_fw_opts_max_wait_ms(opts), (uint64_t) UINT32_MAX);
        struct wipe_nvme_cmd cmd = {
                .opcode = WIPE_NVME_ADMIN_FORMAT_NVM,
                .nsid = caps->nsid,
                .cdw10 = cdw10,
                .timeout_ms = (unsigned) wait,
        };
        struct wipe_nvme_result res;
        wipe_fw_opts_progress(opts, 0);
        int r = wipe_fw_nvme_admin(t, &cmd, &res);
        out->duration_ms = clock->now_ms(clock->userdata) - start;
        if (r < 0)
                return wipe_fw_fail(out, r, "%s: %s", name, r == -ETIMEDOUT ? "timed out" : strerror(-r));
        if (res.status)
                return wipe_fw_fail(out, -EIO, "%s: %s (status 0x%03x)", name, wipe_nvme_status_to_string(res.status),
                                    res.status);

        /* The namespace must still be there, with the same format. */
        struct wipe_nvme_caps after;
        r = wipe_nvme_probe(t, caps->nsid, &after);
        if (r < 0)
                return wipe_fw_fail(out, r, "%s: Identify after the format failed: %s", name, strerror(-r));
        if (after.nsze != caps->nsze || after.lba_size != caps->lba_size)
                return wipe_fw_fail(out, -EIO, "%s: the namespace changed size or format (%llu x %u -> %llu x %u)",
                                    name, (unsigned long long) caps->nsze, caps->lba_size,
                                    (unsigned long long) after.nsze, after.lba_size);
        wipe_fw_opts_progress(opts, 65535);
        return 0;
}

static int sanitize_log(const struct wipe_fw_transport *t, struct wipe_nvme_sanitize_status *st) {
        uint8_t log[512];
        struct wipe_nvme_result res;
        int r = wipe_nvme_get_log(t, WIPE_NVME_LOG_SANITIZE, 0, log, sizeof(log), &res);

        return r < 0 ? r : wipe_nvme_sanitize_status_parse(log, sizeof(log), st);
}

static int sanitize_command(const struct wipe_fw_transport *t, uint32_t cdw10, struct wipe_nvme_result *res) {
        struct wipe_nvme_cmd cmd = {
                .opcode = WIPE_NVME_ADMIN_SANITIZE,
                .cdw10 = cdw10,
                .cdw11 = 0, /* overwrite pattern */
                .timeout_ms = 30000,
        };
        return wipe_fw_nvme_admin(t, &cmd, res);
}

static void exit_failure_mode(const struct wipe_fw_transport *t) {
        struct wipe_nvme_result res;
        (void) sanitize_command(t, WIPE_NVME_SANACT_EXIT_FAILURE | 1u << 3, &res);
}

int wipe_nvme_sanitize(const struct wipe_fw_transport *t, const struct wipe_nvme_caps *caps, unsigned sanact,
                       const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out) {
        if (!t || !caps || !out)
                return -EINVAL;
        *out = (struct wipe_fw_outcome) { .expect = WIPE_EXPECT_CHANGED };
        const char *name;
        bool supported;
        unsigned est_index;
        switch (sanact) {
        case WIPE_NVME_SANACT_CRYPTO:
                name = "Sanitize (crypto erase)";
                supported = caps->sanitize_crypto;
                est_index = 2;
                break;
        case WIPE_NVME_SANACT_BLOCK:
                name = "Sanitize (block erase)";
                supported = caps->sanitize_block;
                est_index = 1;
                break;
        case WIPE_NVME_SANACT_OVERWRITE:
                name = "Sanitize (overwrite)";
                supported = caps->sanitize_overwrite;
                est_index = 0;
                break;
        default:
                return wipe_fw_fail(out, -EINVAL, "Sanitize: action %u refused", sanact);
        }
        if (!supported)
                return wipe_fw_fail(out, -EOPNOTSUPP, "%s: not supported (SANICAP=0x%08x)", name, caps->sanicap);

        const struct wipe_fw_clock *clock = wipe_fw_opts_clock(opts);
        uint64_t start = clock->now_ms(clock->userdata);
        struct wipe_nvme_sanitize_status st;
        int r = sanitize_log(t, &st);
        if (r < 0)
                return wipe_fw_fail(out, r, "%s: Sanitize Status log unreadable: %s", name, strerror(-r));
        if (st.state == WIPE_NVME_SSTAT_IN_PROGRESS)
                return wipe_fw_fail(out, -EBUSY, "%s: another sanitize is in progress", name);
        if (st.state == WIPE_NVME_SSTAT_FAILED)
                exit_failure_mode(t);

        /* AUSE: a failure can be left with Exit Failure Mode, so that the
         * overwrite fallback can run. One overwrite pass of zeros. */
        uint32_t cdw10 = sanact | 1u << 3;
        if (sanact == WIPE_NVME_SANACT_OVERWRITE)
                cdw10 |= 1u << 4;
        struct wipe_nvme_result res;
        wipe_fw_opts_progress(opts, 0);
        r = sanitize_command(t, cdw10, &res);
        if (r < 0)
                return wipe_fw_fail(out, r, "%s: %s", name, r == -ETIMEDOUT ? "timed out" : strerror(-r));
        if (res.status)
                return wipe_fw_fail(out, -EIO, "%s: %s (status 0x%03x)", name, wipe_nvme_status_to_string(res.status),
                                    res.status);

        uint64_t deadline = start + wipe_fw_opts_max_wait_ms(opts);
        for (;;) {
                r = sanitize_log(t, &st);
                uint64_t now = clock->now_ms(clock->userdata);
                out->duration_ms = now - start;
                if (r < 0)
                        return wipe_fw_fail(out, r, "%s: Sanitize Status log unreadable: %s", name, strerror(-r));
                switch (st.state) {
                case WIPE_NVME_SSTAT_DONE:
                case WIPE_NVME_SSTAT_DONE_NO_DEALLOC:
                        if ((st.scdw10 & 0x7u) != sanact)
                                return wipe_fw_fail(out, -EIO,
                                                    "%s: the log reports another sanitize action (SCDW10=0x%x)",
                                                    name, st.scdw10);
                        if (sanact == WIPE_NVME_SANACT_OVERWRITE &&
                            ((caps->dlfeat & 0x7u) == 1 || st.state == WIPE_NVME_SSTAT_DONE_NO_DEALLOC))
                                out->expect = WIPE_EXPECT_ZEROS;
                        wipe_fw_opts_progress(opts, 65535);
                        return 0;
                case WIPE_NVME_SSTAT_FAILED:
                        exit_failure_mode(t);
                        return wipe_fw_fail(out, -EIO, "%s: the controller reports the sanitize failed", name);
                case WIPE_NVME_SSTAT_NEVER:
                        return wipe_fw_fail(out, -EIO,
                                            "%s: accepted, but the log says the drive was never sanitized", name);
                default:
                        break;
                }
                wipe_fw_opts_progress(opts, st.sprog);
                if (st.estimate_s[est_index] != UINT32_MAX && st.estimate_s[est_index] != 0) {
                        /* Twice the drive's own estimate, at least an hour. */
                        uint64_t est = MAX((uint64_t) st.estimate_s[est_index] * 2000u, (uint64_t) 3600000u);
                        deadline = MIN(deadline, start + est);
                }
                if (wipe_fw_opts_cancelled(opts))
                        return wipe_fw_fail(out, -ECANCELED,
                                            "%s: cancelled; the controller goes on with the sanitize (also after "
                                            "a reset)",
                                            name);
                if (now >= deadline)
                        return wipe_fw_fail(out, -ETIMEDOUT, "%s: still in progress (%u/65536) after %llu min",
                                            name, st.sprog, (unsigned long long) ((now - start) / 60000u));
                clock->sleep_ms(clock->userdata, wipe_fw_opts_poll_ms(opts));
        }
}
