/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wipe-keystream.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"

/* The keystream is produced by encrypting zeros: EVP reads them from this
 * read-only buffer, small enough to stay in the CPU cache, and writes the
 * keystream straight into the caller's buffer (one memory pass). */
#define KS_CHUNK ((size_t) 64 * 1024)
static const uint8_t zeros[KS_CHUNK];

struct wipe_keystream {
        EVP_CIPHER_CTX *ctx;
        uint8_t iv[WIPE_IV_SIZE];
        uint8_t *scratch; /* KS_CHUNK bytes, for compare() */
};

int wipe_keystream_new(const uint8_t key[WIPE_KEY_SIZE], const uint8_t iv[WIPE_IV_SIZE],
                       struct wipe_keystream **ret) {
        if (!key || !iv || !ret)
                return -EINVAL;

        struct wipe_keystream *ks = calloc(1, sizeof(*ks));
        if (!ks)
                return -ENOMEM;
        memcpy(ks->iv, iv, WIPE_IV_SIZE);
        ks->ctx = EVP_CIPHER_CTX_new();
        ks->scratch = malloc(KS_CHUNK);
        if (!ks->ctx || !ks->scratch) {
                wipe_keystream_free(ks);
                return -ENOMEM;
        }
        /* Key schedule once; fill() only resets the counter. */
        if (EVP_EncryptInit_ex(ks->ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1) {
                wipe_keystream_free(ks);
                return -EIO;
        }
        *ret = ks;
        return 0;
}

void wipe_keystream_free(struct wipe_keystream *ks) {
        if (!ks)
                return;
        EVP_CIPHER_CTX_free(ks->ctx);
        free(ks->scratch);
        OPENSSL_cleanse(ks->iv, sizeof(ks->iv));
        free(ks);
}

/* counter = IV + block, 128-bit big-endian with wrap-around, as CTR mode
 * in OpenSSL increments it. */
static void counter_at(const uint8_t iv[WIPE_IV_SIZE], uint64_t block, uint8_t out[WIPE_IV_SIZE]) {
        unsigned carry = 0;

        for (int i = WIPE_IV_SIZE - 1; i >= 0; i--) {
                unsigned add = i >= WIPE_IV_SIZE - 8 ? (unsigned) ((block >> (8 * (WIPE_IV_SIZE - 1 - i))) & 0xff) : 0;
                unsigned s = iv[i] + add + carry;
                out[i] = (uint8_t) s;
                carry = s >> 8;
        }
}

/* Position the cipher at byte offset (any value). */
static int seek(struct wipe_keystream *ks, uint64_t offset) {
        uint8_t ctr[WIPE_IV_SIZE];
        int outl = 0;

        counter_at(ks->iv, offset / 16, ctr);
        if (EVP_EncryptInit_ex(ks->ctx, NULL, NULL, NULL, ctr) != 1)
                return -EIO;
        size_t skip = offset % 16;
        if (skip > 0) {
                uint8_t discard[16];
                if (EVP_EncryptUpdate(ks->ctx, discard, &outl, zeros, (int) skip) != 1 || outl != (int) skip)
                        return -EIO;
        }
        return 0;
}

static int generate(struct wipe_keystream *ks, uint8_t *out, size_t len) {
        while (len > 0) {
                size_t n = MIN(len, KS_CHUNK);
                int outl = 0;
                if (EVP_EncryptUpdate(ks->ctx, out, &outl, zeros, (int) n) != 1 || outl != (int) n)
                        return -EIO;
                out += n;
                len -= n;
        }
        return 0;
}

int wipe_keystream_fill(struct wipe_keystream *ks, uint64_t offset, void *buf, size_t len) {
        if (!ks || (!buf && len > 0) || offset % 16 != 0)
                return -EINVAL;
        if (len == 0)
                return 0;
        int r = seek(ks, offset);
        if (r < 0)
                return r;
        return generate(ks, buf, len);
}

int wipe_keystream_compare(struct wipe_keystream *ks, uint64_t offset, const void *buf, size_t len,
                           size_t *ret_first_mismatch) {
        const uint8_t *p = buf;

        if (!ks || (!buf && len > 0))
                return -EINVAL;
        if (len == 0)
                return 0;
        int r = seek(ks, offset);
        if (r < 0)
                return r;
        for (size_t done = 0; done < len;) {
                size_t n = MIN(len - done, KS_CHUNK);
                r = generate(ks, ks->scratch, n);
                if (r < 0)
                        return r;
                if (memcmp(ks->scratch, p + done, n) != 0) {
                        size_t i = 0;
                        while (ks->scratch[i] == p[done + i])
                                i++;
                        if (ret_first_mismatch)
                                *ret_first_mismatch = done + i;
                        return 1;
                }
                done += n;
        }
        return 0;
}
