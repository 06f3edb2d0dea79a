/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The overwrite pattern: the AES-256-CTR keystream of a fresh random key
 * and IV. Byte n of the device receives byte n of the keystream, i.e. the
 * output of `openssl enc -aes-256-ctr -K KEY -iv IV` on zeros, so anyone
 * can regenerate the pattern from the record with stock tools. The counter
 * is the 128-bit big-endian IV plus offset/16. */

#define WIPE_KEY_SIZE 32
#define WIPE_IV_SIZE 16

struct wipe_keystream;

int wipe_keystream_new(const uint8_t key[WIPE_KEY_SIZE], const uint8_t iv[WIPE_IV_SIZE],
                       struct wipe_keystream **ret);
void wipe_keystream_free(struct wipe_keystream *ks);
static inline void wipe_keystream_freep(struct wipe_keystream **p) {
        if (*p)
                wipe_keystream_free(*p);
}
#define _cleanup_wipe_keystream_ __attribute__((cleanup(wipe_keystream_freep)))

/* Fill buf with the keystream bytes [offset, offset+len). offset must be a
 * multiple of 16. Not thread-safe: one keystream object per thread. */
int wipe_keystream_fill(struct wipe_keystream *ks, uint64_t offset, void *buf, size_t len);

/* Compare buf with the keystream at offset. Returns 0 when equal, 1 when
 * different (then *ret_first_mismatch is the offset, relative to buf, of
 * the first differing byte), <0 on error. */
int wipe_keystream_compare(struct wipe_keystream *ks, uint64_t offset, const void *buf, size_t len,
                           size_t *ret_first_mismatch);
