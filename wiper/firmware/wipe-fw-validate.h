/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wipe-fw-run.h"

/* A firmware command that reports success proves nothing: the media is read
 * back. Before the erase, a keyed random sample of 1 MiB units (always the
 * first and the last MiB) is read and each 64 KiB block hashed (SHA-256);
 * blocks holding one repeated byte (blank) carry no evidence, so when the
 * caller can write, they get a canary (AES-256-CTR keystream of the sample
 * key) first. After the erase, the same blocks are read again and must
 * hold zeros, ones, or at least not their former content. A lying drive,
 * one that acknowledges an erase and keeps the data, fails here.
 *
 * Order in a job: hidden areas removed and the device rescanned, then
 * wipe_fw_sample_before(), the firmware erase, wipe_fw_sample_after(). */

#define WIPE_FW_SAMPLE_UNIT ((uint64_t) 1024 * 1024)
#define WIPE_FW_SAMPLE_BLOCK ((uint64_t) 64 * 1024)
#define WIPE_FW_SAMPLE_KEY_SIZE 32

/* Device access. read/write transfer the whole range or fail with a
 * negative errno. Buffers are 4096-byte aligned, offsets and lengths
 * multiples of 512. write may be NULL (no canaries); when given, the data
 * must be on the media when wipe_fw_sample_before() returns (O_DIRECT and
 * a cache flush). */
struct wipe_fw_io {
        int (*read)(void *userdata, uint64_t offset, void *buf, size_t len);
        int (*write)(void *userdata, uint64_t offset, const void *buf, size_t len);
        void *userdata;
};

struct wipe_fw_sample;

/* size: bytes of the device (multiple of 512); percent 0..100 of the 1 MiB
 * units besides the first and last MiB; key: random, per job (recorded so
 * that anyone can recompute which units were sampled). */
int wipe_fw_sample_new(uint64_t size, unsigned percent, const uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE],
                       struct wipe_fw_sample **ret);
void wipe_fw_sample_free(struct wipe_fw_sample *s);
static inline void wipe_fw_sample_freep(struct wipe_fw_sample **p) {
        if (*p)
                wipe_fw_sample_free(*p);
}
#define _cleanup_wipe_fw_sample_ __attribute__((cleanup(wipe_fw_sample_freep)))

/* Is 1 MiB unit u of n_units in the sample? */
bool wipe_fw_sample_selected(const struct wipe_fw_sample *s, uint64_t unit);
size_t wipe_fw_sample_n_blocks(const struct wipe_fw_sample *s);

int wipe_fw_sample_before(struct wipe_fw_sample *s, const struct wipe_fw_io *io);

struct wipe_fw_check {
        bool passed;
        bool conclusive;         /* some block held data or a canary before */
        uint64_t blocks;         /* blocks read back */
        uint64_t informative;    /* of which held data or a canary before */
        uint64_t canaries;       /* of which got a canary */
        uint64_t unchanged;      /* informative blocks that still hold it */
        uint64_t unexpected;     /* blocks that are not zeros / ones as expected */
        uint64_t read_errors;
        uint64_t first_bad;      /* byte offset of the first failing block */
        uint64_t bytes_read;
        char detail[256];
};

int wipe_fw_sample_after(const struct wipe_fw_sample *s, const struct wipe_fw_io *io, enum wipe_fw_expect expect,
                         struct wipe_fw_check *ret);

json_t *wipe_fw_check_to_json(const struct wipe_fw_check *c);
const char *wipe_fw_expect_to_string(enum wipe_fw_expect e);
