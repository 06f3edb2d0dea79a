/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-ata.h"

/* Hidden areas of ATA drives: a Host Protected Area (SET MAX ADDRESS)
 * hides the sectors between the IDENTIFY size and READ NATIVE MAX ADDRESS;
 * a Device Configuration Overlay hides those between the native max and
 * the factory max of DEVICE CONFIGURATION IDENTIFY. Neither is reachable
 * by an overwrite of the block device. After a change, the kernel's idea of
 * the size is stale: the caller rescans the device (sysfs rescan) before
 * overwriting or validating. */

#define LBA_MODE 0x40u

static int read_native_max(const struct wipe_fw_transport *t, uint64_t *ret, char *why, size_t len) {
        struct wipe_ata_cmd cmd = { .command = WIPE_ATA_READ_NATIVE_MAX_EXT, .device = LBA_MODE, .timeout_ms = 15000 };
        struct wipe_ata_result res;
        int r = wipe_fw_ata_ok(t, &cmd, &res);

        if (r < 0) {
                wipe_fw_ata_describe(r, &res, why, len);
                return r;
        }
        if (!res.have_regs || res.lba_partial) {
                snprintf(why, len, "the bridge does not return the 48-bit address");
                return -EOPNOTSUPP;
        }
        *ret = res.lba + 1;
        return 0;
}

static int dco_identify(const struct wipe_fw_transport *t, uint64_t *ret, char *why, size_t len) {
        uint8_t d[512];
        struct wipe_ata_cmd cmd = {
                .command = WIPE_ATA_DCO,
                .feature = WIPE_ATA_DCO_IDENTIFY,
                .count = 1,
                .protocol = WIPE_ATA_PIO_IN,
                .data = d,
                .len = sizeof(d),
                .timeout_ms = 15000,
        };
        struct wipe_ata_result res;
        int r = wipe_fw_ata_ok(t, &cmd, &res);
        if (r < 0) {
                wipe_fw_ata_describe(r, &res, why, len);
                return r;
        }
        if (d[510] == 0xa5) {
                uint8_t sum = 0;
                for (size_t i = 0; i < sizeof(d); i++)
                        sum = (uint8_t) (sum + d[i]);
                if (sum != 0) {
                        snprintf(why, len, "DEVICE CONFIGURATION IDENTIFY data has a bad checksum");
                        return -EBADMSG;
                }
        }
        /* Word 0 = revision, words 3-6 = maximum LBA. */
        uint16_t rev = (uint16_t) (d[0] | d[1] << 8);
        uint64_t max = 0;
        for (int w = 6; w >= 3; w--)
                max = max << 16 | (uint64_t) (d[2 * w] | d[2 * w + 1] << 8);
        if (rev == 0 || rev > 0x0003 || max == 0 || max >> 48) {
                snprintf(why, len, "implausible DEVICE CONFIGURATION IDENTIFY data (revision %u)", rev);
                return -EBADMSG;
        }
        *ret = max + 1;
        return 0;
}

static void append(char *buf, size_t len, const char *what, const char *why) {
        size_t l = strlen(buf);
        if (l + 2 < len)
                snprintf(buf + l, len - l, "%s%s: %s", l ? "; " : "", what, why);
}

int wipe_ata_hidden_areas(const struct wipe_fw_transport *t, const struct wipe_ata_hidden_policy *policy,
                          struct wipe_ata_caps *caps, struct wipe_ata_hidden *ret) {
        if (!t || !policy || !caps || !ret)
                return -EINVAL;
        *ret = (struct wipe_ata_hidden) { .sectors_before = caps->sectors };
        char notes[200] = "", why[96];
        uint64_t native = 0, dco = 0;
        struct wipe_ata_result res;
        int r;

        if (caps->hpa_supported && caps->lba48) {
                r = read_native_max(t, &native, why, sizeof(why));
                if (r < 0)
                        append(notes, sizeof(notes), "READ NATIVE MAX ADDRESS EXT", why);
                else {
                        ret->native_before = native;
                        ret->hpa_found = native > caps->sectors;
                }
        }
        if (caps->dco_supported) {
                r = dco_identify(t, &dco, why, sizeof(why));
                if (r < 0)
                        append(notes, sizeof(notes), "DEVICE CONFIGURATION IDENTIFY", why);
                else {
                        ret->dco_sectors = dco;
                        ret->dco_found = dco > MAX(native, caps->sectors);
                }
        }

        if (ret->hpa_found && policy->remove_hpa) {
                /* SET MAX must immediately follow READ NATIVE MAX. */
                r = read_native_max(t, &native, why, sizeof(why));
                if (r >= 0) {
                        struct wipe_ata_cmd set = {
                                .command = WIPE_ATA_SET_MAX_EXT,
                                .lba = native - 1,
                                .count = policy->hpa_volatile ? 0 : 1, /* VV: keep over power cycles */
                                .device = LBA_MODE,
                                .timeout_ms = 15000,
                        };
                        r = wipe_fw_ata_ok(t, &set, &res);
                        if (r < 0)
                                wipe_fw_ata_describe(r, &res, why, sizeof(why));
                }
                if (r < 0)
                        append(notes, sizeof(notes), "SET MAX ADDRESS EXT", why);
        }

        if (ret->dco_found && policy->dco_restore) {
                /* Refused by the drive while an HPA is set: check first. */
                struct wipe_ata_caps c;
                r = wipe_ata_probe(t, &c);
                if (r >= 0 && native && c.sectors < native)
                        append(notes, sizeof(notes), "DEVICE CONFIGURATION RESTORE",
                               "not tried while an HPA is set");
                else if (r >= 0) {
                        struct wipe_ata_cmd restore = {
                                .command = WIPE_ATA_DCO,
                                .feature = WIPE_ATA_DCO_RESTORE,
                                .timeout_ms = 15000,
                        };
                        r = wipe_fw_ata_ok(t, &restore, &res);
                        if (r < 0) {
                                wipe_fw_ata_describe(r, &res, why, sizeof(why));
                                append(notes, sizeof(notes), "DEVICE CONFIGURATION RESTORE", why);
                        }
                }
        } else if (ret->dco_found)
                append(notes, sizeof(notes), "DCO", "left in place by policy");

        /* What is true now. */
        r = wipe_ata_probe(t, caps);
        if (r < 0) {
                snprintf(ret->detail, sizeof(ret->detail), "IDENTIFY DEVICE after the hidden-area checks failed: %s",
                         strerror(-r));
                return r;
        }
        ret->sectors_after = caps->sectors;
        uint64_t native_after = 0;
        if (caps->hpa_supported && caps->lba48 && read_native_max(t, &native_after, why, sizeof(why)) >= 0)
                native = MAX(native, native_after);
        ret->hpa_removed = ret->hpa_found && caps->sectors >= ret->native_before;
        ret->dco_restored = ret->dco_found && caps->sectors >= dco;

        uint64_t top = MAX(MAX(native, dco), caps->sectors);
        ret->hidden_after = top - caps->sectors;
        if (ret->hidden_after)
                snprintf(ret->detail, sizeof(ret->detail), "hidden area of %llu sectors remains (%s)",
                         (unsigned long long) ret->hidden_after, notes[0] ? notes : "not removed by policy");
        else if (notes[0])
                snprintf(ret->detail, sizeof(ret->detail), "%s", notes);
        return 0;
}
