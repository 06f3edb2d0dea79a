/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-scsi.h"

static void scsi_string(const uint8_t *p, size_t n, char *out, size_t outlen) {
        size_t k = 0;

        for (size_t i = 0; i < n && k + 1 < outlen; i++)
                out[k++] = p[i] >= 0x20 && p[i] <= 0x7e ? (char) p[i] : '?';
        out[k] = 0;
        while (k > 0 && out[k - 1] == ' ')
                out[--k] = 0;
}

/* 0 when GOOD; -EOPNOTSUPP for ILLEGAL REQUEST; -EIO otherwise. */
static int scsi_simple(const struct wipe_fw_transport *t, const uint8_t *cdb, size_t cdb_len, enum wipe_scsi_dir dir,
                       void *data, size_t len, unsigned timeout_ms, struct wipe_sense *sense) {
        struct wipe_scsi_cmd cmd = {
                .cdb = cdb, .cdb_len = cdb_len, .dir = dir, .data = data, .len = len, .timeout_ms = timeout_ms,
        };
        struct wipe_scsi_result res;

        *sense = (struct wipe_sense) {};
        if (data && dir == WIPE_SCSI_FROM_DEVICE)
                memset(data, 0, len);
        int r = wipe_fw_scsi(t, &cmd, &res);
        if (r < 0)
                return r;
        if (res.status == WIPE_SCSI_GOOD)
                return 0;
        wipe_sense_parse(res.sense, MIN(res.sense_len, sizeof(res.sense)), sense);
        if (res.status == WIPE_SCSI_CHECK_CONDITION && sense->valid && sense->key == WIPE_SENSE_ILLEGAL_REQUEST)
                return -EOPNOTSUPP;
        if (res.status == WIPE_SCSI_CHECK_CONDITION && sense->valid && sense->key == WIPE_SENSE_RECOVERED)
                return 0;
        return -EIO;
}

static int inquiry(const struct wipe_fw_transport *t, bool evpd, uint8_t page, uint8_t *buf, size_t len) {
        uint8_t cdb[6] = { WIPE_SCSI_INQUIRY, evpd ? 1 : 0, page, (uint8_t) (len >> 8), (uint8_t) len, 0 };
        struct wipe_sense s;

        return scsi_simple(t, cdb, sizeof(cdb), WIPE_SCSI_FROM_DEVICE, buf, len, 15000, &s);
}

int wipe_scsi_inquiry_parse(const uint8_t *d, size_t len, struct wipe_scsi_caps *ret) {
        if (!d || !ret || len < 36)
                return -EINVAL;
        if ((d[0] >> 5) == 0x3) /* peripheral qualifier: no device here */
                return -ENODEV;
        ret->device_type = d[0] & 0x1f;
        scsi_string(d + 8, 8, ret->vendor, sizeof(ret->vendor));
        scsi_string(d + 16, 16, ret->product, sizeof(ret->product));
        scsi_string(d + 32, 4, ret->revision, sizeof(ret->revision));
        return 0;
}

/* REPORT SUPPORTED OPERATION CODES, one command with service action:
 * 1 supported, 0 not, <0 the command itself is not supported. */
static int rsoc_one(const struct wipe_fw_transport *t, uint8_t opcode, uint16_t sa) {
        uint8_t buf[64];
        uint8_t cdb[12] = {
                WIPE_SCSI_MAINTENANCE_IN, WIPE_SCSI_RSOC_SA, 0x02 /* reporting options */, opcode,
                (uint8_t) (sa >> 8), (uint8_t) sa, 0, 0, 0, sizeof(buf), 0, 0,
        };
        struct wipe_sense s;
        int r = scsi_simple(t, cdb, sizeof(cdb), WIPE_SCSI_FROM_DEVICE, buf, sizeof(buf), 15000, &s);

        if (r < 0)
                return r;
        uint8_t support = buf[1] & 0x7;
        return support == 3 || support == 5;
}

int wipe_scsi_probe(const struct wipe_fw_transport *t, struct wipe_scsi_caps *ret) {
        if (!t || !ret)
                return -EINVAL;
        *ret = (struct wipe_scsi_caps) {};
        uint8_t buf[252];

        int r = inquiry(t, false, 0, buf, 96);
        if (r < 0)
                return r;
        r = wipe_scsi_inquiry_parse(buf, 96, ret);
        if (r < 0)
                return r;

        /* Supported VPD pages. */
        if (inquiry(t, true, 0x00, buf, sizeof(buf)) >= 0 && buf[1] == 0x00) {
                size_t n = MIN((size_t) (buf[2] << 8 | buf[3]), sizeof(buf) - 4);
                bool has_b1 = false;
                for (size_t i = 0; i < n; i++) {
                        ret->sat = ret->sat || buf[4 + i] == 0x89;
                        has_b1 = has_b1 || buf[4 + i] == 0xb1;
                }
                if (has_b1 && inquiry(t, true, 0xb1, buf, 64) >= 0 && buf[1] == 0xb1) {
                        uint16_t rate = (uint16_t) (buf[4] << 8 | buf[5]);
                        ret->rotation_known = rate == 1 || rate >= 0x0401;
                        ret->non_rotating = rate == 1;
                }
        }

        uint8_t cap[32];
        uint8_t rc16[16] = { WIPE_SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sizeof(cap), 0, 0 };
        struct wipe_sense s;
        if (scsi_simple(t, rc16, sizeof(rc16), WIPE_SCSI_FROM_DEVICE, cap, sizeof(cap), 15000, &s) >= 0) {
                uint64_t last = 0;
                for (size_t i = 0; i < 8; i++)
                        last = last << 8 | cap[i];
                ret->sectors = last + 1;
                ret->logical_sector_size = (unsigned) cap[8] << 24 | (unsigned) cap[9] << 16 |
                                           (unsigned) cap[10] << 8 | cap[11];
        }

        static const uint8_t sas[] = { WIPE_SCSI_SANITIZE_OVERWRITE, WIPE_SCSI_SANITIZE_BLOCK,
                                       WIPE_SCSI_SANITIZE_CRYPTO };
        for (size_t i = 0; i < ELEMENTSOF(sas); i++) {
                r = rsoc_one(t, WIPE_SCSI_SANITIZE, sas[i]);
                if (r < 0)
                        break;
                ret->rsoc_supported = true;
                if (sas[i] == WIPE_SCSI_SANITIZE_OVERWRITE)
                        ret->sanitize_overwrite = r;
                else if (sas[i] == WIPE_SCSI_SANITIZE_BLOCK)
                        ret->sanitize_block = r;
                else
                        ret->sanitize_crypto = r;
        }
        return 0;
}

static int sanitize_cdb(const struct wipe_fw_transport *t, uint8_t sa, const uint8_t *param, size_t plen,
                        struct wipe_sense *s) {
        /* IMMED, AUSE (a failure can be left with EXIT FAILURE MODE). */
        uint8_t cdb[10] = { WIPE_SCSI_SANITIZE, (uint8_t) (0x80 | 0x20 | sa), 0, 0, 0, 0, 0,
                            (uint8_t) (plen >> 8), (uint8_t) plen, 0 };
        return scsi_simple(t, cdb, sizeof(cdb), plen ? WIPE_SCSI_TO_DEVICE : WIPE_SCSI_NONE, (void *) param, plen,
                           60000, s);
}

static bool sanitize_failed_sense(const struct wipe_sense *s) {
        return s->valid && s->asc == 0x31 && s->ascq == 0x03; /* SANITIZE COMMAND FAILED */
}

int wipe_scsi_sanitize(const struct wipe_fw_transport *t, const struct wipe_scsi_caps *caps, uint8_t sa,
                       const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out) {
        if (!t || !caps || !out)
                return -EINVAL;
        *out = (struct wipe_fw_outcome) { .expect = WIPE_EXPECT_CHANGED };
        const char *name;
        bool supported;
        uint8_t param[8] = {};
        size_t plen = 0;
        switch (sa) {
        case WIPE_SCSI_SANITIZE_OVERWRITE:
                name = "SANITIZE OVERWRITE";
                supported = caps->sanitize_overwrite;
                param[0] = 1;    /* one pass, no invert */
                param[3] = 4;    /* pattern length */
                plen = 8;        /* pattern: four zero bytes */
                out->expect = WIPE_EXPECT_ZEROS;
                break;
        case WIPE_SCSI_SANITIZE_BLOCK:
                name = "SANITIZE BLOCK ERASE";
                supported = caps->sanitize_block;
                break;
        case WIPE_SCSI_SANITIZE_CRYPTO:
                name = "SANITIZE CRYPTOGRAPHIC ERASE";
                supported = caps->sanitize_crypto;
                break;
        default:
                return wipe_fw_fail(out, -EINVAL, "SANITIZE: service action 0x%x refused", sa);
        }
        if (!supported)
                return wipe_fw_fail(out, -EOPNOTSUPP, "%s: not supported (REPORT SUPPORTED OPERATION CODES)", name);

        const struct wipe_fw_clock *clock = wipe_fw_opts_clock(opts);
        uint64_t start = clock->now_ms(clock->userdata);
        struct wipe_sense s;
        wipe_fw_opts_progress(opts, 0);
        int r = sanitize_cdb(t, sa, param, plen, &s);
        if (r < 0)
                return wipe_fw_fail(out, r, "%s: %s (sense %x/%02x/%02x)", name,
                                    r == -ETIMEDOUT ? "timed out" : "refused by the device", s.key, s.asc, s.ascq);

        uint64_t deadline = start + wipe_fw_opts_max_wait_ms(opts);
        for (;;) {
                uint8_t sense[252];
                uint8_t rs[6] = { WIPE_SCSI_REQUEST_SENSE, 0, 0, 0, sizeof(sense), 0 };
                r = scsi_simple(t, rs, sizeof(rs), WIPE_SCSI_FROM_DEVICE, sense, sizeof(sense), 15000, &s);
                uint64_t now = clock->now_ms(clock->userdata);
                out->duration_ms = now - start;
                if (r < 0)
                        return wipe_fw_fail(out, r, "%s: REQUEST SENSE failed", name);
                wipe_sense_parse(sense, sizeof(sense), &s);
                if (sanitize_failed_sense(&s)) {
                        (void) sanitize_cdb(t, WIPE_SCSI_SANITIZE_EXIT_FAILURE, NULL, 0, &s);
                        return wipe_fw_fail(out, -EIO, "%s: the device reports the sanitize failed", name);
                }
                bool in_progress = s.valid && s.key == WIPE_SENSE_NOT_READY && s.asc == 0x04 && s.ascq == 0x1b;
                if (!in_progress) {
                        /* Ready again: TEST UNIT READY must agree. */
                        uint8_t tur[6] = { 0 };
                        r = scsi_simple(t, tur, sizeof(tur), WIPE_SCSI_NONE, NULL, 0, 15000, &s);
                        if (r < 0 && sanitize_failed_sense(&s)) {
                                (void) sanitize_cdb(t, WIPE_SCSI_SANITIZE_EXIT_FAILURE, NULL, 0, &s);
                                return wipe_fw_fail(out, -EIO, "%s: the device reports the sanitize failed", name);
                        }
                        if (r < 0)
                                return wipe_fw_fail(out, r, "%s: not ready after the sanitize (sense %x/%02x/%02x)",
                                                    name, s.key, s.asc, s.ascq);
                        wipe_fw_opts_progress(opts, 65535);
                        return 0;
                }
                if (s.progress_valid)
                        wipe_fw_opts_progress(opts, s.progress);
                if (wipe_fw_opts_cancelled(opts))
                        return wipe_fw_fail(out, -ECANCELED, "%s: cancelled; the device goes on with the sanitize",
                                            name);
                if (now >= deadline)
                        return wipe_fw_fail(out, -ETIMEDOUT, "%s: still in progress after %llu min", name,
                                            (unsigned long long) ((now - start) / 60000u));
                clock->sleep_ms(clock->userdata, wipe_fw_opts_poll_ms(opts));
        }
}
