/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-ata.h"

/* ATA Security feature set erase (ACS-3 §4.18): a user password must be
 * set for SECURITY ERASE UNIT to be accepted. The password is ours, only
 * for the duration of the erase, and every path out of this file removes
 * it again or says loudly that it could not. */

#define PASSWORD_MAX 32
#define CLEANUP_ATTEMPTS 3

/* SET PASSWORD / UNLOCK / ERASE UNIT / DISABLE PASSWORD: one 512-byte
 * block, word 0 = control (bit 0 identifier: user; bit 1 enhanced erase;
 * bit 8 level: high), words 1-16 = password. */
static int password_command(const struct wipe_fw_transport *t, uint8_t command, bool enhanced, const char *pw,
                            unsigned timeout_ms, struct wipe_ata_result *res) {
        uint8_t buf[512] = {};

        buf[0] = enhanced ? 0x02 : 0x00;
        for (size_t i = 0; i < PASSWORD_MAX && pw[i]; i++) /* padded with zeros, no terminator */
                buf[2 + i] = (uint8_t) pw[i];
        struct wipe_ata_cmd cmd = {
                .command = command,
                .count = 1,
                .protocol = WIPE_ATA_PIO_OUT,
                .data = buf,
                .len = sizeof(buf),
                .timeout_ms = timeout_ms,
        };
        int r = wipe_fw_ata_ok(t, &cmd, res);
        explicit_bzero(buf, sizeof(buf));
        return r;
}

static int fresh_caps(const struct wipe_fw_transport *t, struct wipe_ata_caps *caps) {
        uint8_t id[512];
        struct wipe_ata_result res;
        int r = wipe_ata_identify(t, id, &res);

        return r < 0 ? r : wipe_ata_identify_parse(id, caps);
}

unsigned wipe_ata_security_erase_timeout_ms(const struct wipe_ata_caps *caps, bool enhanced) {
        unsigned minutes = enhanced ? caps->enhanced_erase_minutes : caps->erase_minutes;
        bool over = enhanced ? caps->enhanced_erase_minutes_over : caps->erase_minutes_over;
        const uint64_t day = (uint64_t) 24 * 3600 * 1000;

        if (minutes == 0 || over)
                return (unsigned) day;
        /* The estimate plus a fifth, plus half an hour. */
        uint64_t ms = (uint64_t) minutes * 60000u * 6u / 5u + (uint64_t) 30 * 60000u;
        return (unsigned) MIN(ms, (uint64_t) 3 * day);
}

/* Why the drive cannot take a security erase now; NULL when it can. */
const char *wipe_ata_security_refusal(const struct wipe_ata_caps *c, bool enhanced, int *error) {
        *error = -EOPNOTSUPP;
        if (!c->security_supported)
                return "security feature set not supported (IDENTIFY word 82 bit 1 / word 128 bit 0)";
        if (enhanced && !c->security_enhanced_supported)
                return "enhanced security erase not supported (IDENTIFY word 128 bit 5)";
        *error = -EPERM;
        if (c->security_frozen)
                return "security frozen (the BIOS issued SECURITY FREEZE LOCK): replug the drive in a hot-swap bay "
                       "or suspend/resume the bench, then retry";
        if (c->security_count_expired)
                return "password attempt counter expired: power-cycle the drive";
        *error = -EACCES;
        if (c->security_locked)
                return "locked by a password set by the previous owner: the master password is needed";
        if (c->security_enabled)
                return "a user password is already set (by the previous owner): it must be disabled first";
        return NULL;
}

/* Remove our password if it is set. Returns 0 when the drive was seen
 * without a password; the detail of the failure otherwise. */
static int security_cleanup(const struct wipe_fw_transport *t, const char *pw, const struct wipe_fw_opts *opts,
                            char *detail, size_t len) {
        const struct wipe_fw_clock *clock = wipe_fw_opts_clock(opts);
        struct wipe_ata_result res;
        char why[96] = "";
        int r = -EIO;

        for (unsigned attempt = 0; attempt < CLEANUP_ATTEMPTS; attempt++) {
                if (attempt > 0) /* a drive still busy after a timeout may need time */
                        clock->sleep_ms(clock->userdata, wipe_fw_opts_poll_ms(opts));
                struct wipe_ata_caps c;
                r = fresh_caps(t, &c);
                if (r < 0) {
                        snprintf(why, sizeof(why), "IDENTIFY DEVICE failed: %s", strerror(-r));
                        continue;
                }
                if (!c.security_enabled)
                        return 0;
                if (c.security_locked) {
                        r = password_command(t, WIPE_ATA_SEC_UNLOCK, false, pw, 15000, &res);
                        if (r < 0) {
                                wipe_fw_ata_describe(r, &res, why, sizeof(why));
                                snprintf(why + strlen(why), sizeof(why) - strlen(why), " (SECURITY UNLOCK)");
                                continue;
                        }
                }
                r = password_command(t, WIPE_ATA_SEC_DISABLE_PASSWORD, false, pw, 15000, &res);
                if (r < 0) {
                        wipe_fw_ata_describe(r, &res, why, sizeof(why));
                        snprintf(why + strlen(why), sizeof(why) - strlen(why), " (SECURITY DISABLE PASSWORD)");
                        continue;
                }
                r = fresh_caps(t, &c);
                if (r >= 0 && !c.security_enabled)
                        return 0;
                snprintf(why, sizeof(why), "the drive still reports a password after SECURITY DISABLE PASSWORD");
                r = -EIO;
        }
        snprintf(detail, len, "the temporary password could not be removed: %s", why);
        return r < 0 ? r : -EIO;
}

int wipe_ata_security_recover(const struct wipe_fw_transport *t, const char *password, char *detail, size_t len) {
        if (!t || !password || !*password || strlen(password) > PASSWORD_MAX || !detail)
                return -EINVAL;
        detail[0] = 0;
        struct wipe_ata_caps c;
        int r = fresh_caps(t, &c);
        if (r < 0) {
                snprintf(detail, len, "IDENTIFY DEVICE failed: %s", strerror(-r));
                return r;
        }
        if (!c.security_enabled)
                return 0;
        if (c.security_frozen) {
                snprintf(detail, len, "security frozen: replug the drive in a hot-swap bay or suspend/resume the "
                                      "bench, then retry");
                return -EPERM;
        }
        if (c.security_count_expired) {
                snprintf(detail, len, "password attempt counter expired: power-cycle the drive, then retry");
                return -EPERM;
        }
        struct wipe_fw_opts quick = { .poll_interval_ms = 1 };
        return security_cleanup(t, password, &quick, detail, len);
}

int wipe_ata_security_erase(const struct wipe_fw_transport *t, const struct wipe_ata_caps *caps, bool enhanced,
                            const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out) {
        if (!t || !caps || !out)
                return -EINVAL;
        *out = (struct wipe_fw_outcome) {
                /* Normal erase writes binary zeros (ACS-3 7.41.2); enhanced
                 * writes a vendor pattern or changes the key. */
                .expect = enhanced ? WIPE_EXPECT_CHANGED : WIPE_EXPECT_ZEROS,
        };
        const char *pw = opts && opts->ata_password ? opts->ata_password : WIPE_ATA_DEFAULT_PASSWORD;
        if (!*pw || strlen(pw) > PASSWORD_MAX)
                return wipe_fw_fail(out, -EINVAL, "the temporary password must be 1 to 32 bytes");
        const char *name = enhanced ? "SECURITY ERASE UNIT (enhanced)" : "SECURITY ERASE UNIT";

        /* The caller's caps may be old: the state is read again. */
        struct wipe_ata_caps now;
        int r = fresh_caps(t, &now);
        if (r < 0)
                return wipe_fw_fail(out, r, "IDENTIFY DEVICE failed: %s", strerror(-r));
        int refusal;
        const char *why = wipe_ata_security_refusal(&now, enhanced, &refusal);
        if (why)
                return wipe_fw_fail(out, refusal, "%s: %s", name, why);

        if (opts && opts->password_set_before) {
                r = opts->password_set_before(now.serial, pw, opts->userdata);
                if (r < 0)
                        return wipe_fw_fail(out, r, "%s: the temporary password could not be recorded: %s", name,
                                            strerror(-r));
        }

        const struct wipe_fw_clock *clock = wipe_fw_opts_clock(opts);
        uint64_t start = clock->now_ms(clock->userdata);
        struct wipe_ata_result res;
        char desc[96];
        wipe_fw_opts_progress(opts, 0);

        r = password_command(t, WIPE_ATA_SEC_SET_PASSWORD, false, pw, 15000, &res);
        if (r < 0) {
                wipe_fw_ata_describe(r, &res, desc, sizeof(desc));
                wipe_fw_fail(out, r, "SECURITY SET PASSWORD: %s", desc);
        } else {
                struct wipe_ata_caps c;
                r = fresh_caps(t, &c);
                if (r >= 0 && !c.security_enabled)
                        r = wipe_fw_fail(out, -EIO, "SECURITY SET PASSWORD: accepted, but the drive does not "
                                                    "report security enabled");
                else if (r < 0)
                        wipe_fw_fail(out, r, "IDENTIFY DEVICE after SET PASSWORD failed: %s", strerror(-r));
        }

        if (r >= 0) {
                struct wipe_ata_cmd prep = { .command = WIPE_ATA_SEC_ERASE_PREPARE, .timeout_ms = 15000 };
                r = wipe_fw_ata_ok(t, &prep, &res);
                if (r < 0) {
                        wipe_fw_ata_describe(r, &res, desc, sizeof(desc));
                        wipe_fw_fail(out, r, "SECURITY ERASE PREPARE: %s", desc);
                }
        }
        if (r >= 0) {
                /* PREPARE must be followed immediately by ERASE UNIT. */
                unsigned timeout = wipe_ata_security_erase_timeout_ms(&now, enhanced);
                r = password_command(t, WIPE_ATA_SEC_ERASE_UNIT, enhanced, pw, timeout, &res);
                if (r < 0) {
                        wipe_fw_ata_describe(r, &res, desc, sizeof(desc));
                        wipe_fw_fail(out, r, "%s: %s (timeout %u min)", name, desc, timeout / 60000u);
                }
        }

        /* Every path: the password goes away, or the record stays and the
         * job fails. A successful erase already disabled it (SEC1). */
        char cleanup[200] = "";
        int c = security_cleanup(t, pw, opts, cleanup, sizeof(cleanup));
        out->duration_ms = clock->now_ms(clock->userdata) - start;
        if (c < 0) {
                out->password_left_set = true;
                if (r >= 0)
                        return wipe_fw_fail(out, -EACCES, "%s done, but %s", name, cleanup);
                size_t l = strlen(out->detail);
                snprintf(out->detail + l, sizeof(out->detail) - l, "; %s", cleanup);
                return out->error;
        }
        if (opts && opts->password_cleared)
                opts->password_cleared(now.serial, opts->userdata);
        if (r < 0)
                return out->error;
        wipe_fw_opts_progress(opts, 65535);
        out->error = 0;
        return 0;
}
