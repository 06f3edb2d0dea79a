/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-fw-validate.h"

/* Unit selection, recomputable from the record:
 *     h = HMAC-SHA256(key, "refurb-fw-sample-v1" || unit, 8 bytes big-endian)
 *     selected = first or last MiB || (first 8 bytes of h) mod 100 < percent
 * Canary of the block at offset o: AES-256-CTR(key, IV = o as 16 bytes
 * big-endian) applied to zeros. */

#define BLOCK_UNIFORM 0x01u
#define BLOCK_CANARY 0x02u

struct sblock {
        uint64_t offset;
        uint32_t len;
        uint8_t flags;
        uint8_t hash[32];
};

struct wipe_fw_sample {
        uint64_t size;
        unsigned percent;
        uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE];
        EVP_MAC_CTX *ctx;
        struct sblock *blocks;
        size_t n_blocks;
        bool taken;
};

static const char domain[] = "refurb-fw-sample-v1";

void wipe_fw_sample_free(struct wipe_fw_sample *s) {
        if (!s)
                return;
        EVP_MAC_CTX_free(s->ctx);
        OPENSSL_cleanse(s->key, sizeof(s->key));
        free(s->blocks);
        free(s);
}

static int unit_hash_selected(struct wipe_fw_sample *s, uint64_t unit) {
        uint8_t msg[sizeof(domain) - 1 + 8], md[32];
        size_t mdlen = 0;

        memcpy(msg, domain, sizeof(domain) - 1);
        for (size_t i = 0; i < 8; i++)
                msg[sizeof(domain) - 1 + i] = (uint8_t) (unit >> (56 - 8 * i));
        if (EVP_MAC_init(s->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(s->ctx, msg, sizeof(msg)) != 1 ||
            EVP_MAC_final(s->ctx, md, &mdlen, sizeof(md)) != 1 || mdlen != sizeof(md))
                return -EIO;
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v = v << 8 | md[i];
        return v % 100 < s->percent;
}

static uint64_t n_units(uint64_t size) {
        return (size + WIPE_FW_SAMPLE_UNIT - 1) / WIPE_FW_SAMPLE_UNIT;
}

/* The last MiB may straddle two units when the size is not a multiple. */
static bool unit_forced(uint64_t size, uint64_t unit) {
        uint64_t n = n_units(size);
        uint64_t last_mib = size > WIPE_FW_SAMPLE_UNIT ? size - WIPE_FW_SAMPLE_UNIT : 0;
        return unit == 0 || unit + 1 == n || unit == last_mib / WIPE_FW_SAMPLE_UNIT;
}

bool wipe_fw_sample_selected(const struct wipe_fw_sample *s, uint64_t unit) {
        for (size_t i = 0; i < s->n_blocks; i++)
                if (s->blocks[i].offset / WIPE_FW_SAMPLE_UNIT == unit)
                        return true;
        return false;
}

size_t wipe_fw_sample_n_blocks(const struct wipe_fw_sample *s) {
        return s ? s->n_blocks : 0;
}

/* The 64 KiB blocks of the selected units. */
static int add_blocks(struct wipe_fw_sample *s) {
        size_t allocated = 0;
        uint64_t size = s->size;

        for (uint64_t u = 0, n = n_units(size); u < n; u++) {
                int sel = unit_forced(size, u) ? 1 : unit_hash_selected(s, u);
                if (sel < 0)
                        return sel;
                if (!sel)
                        continue;
                for (uint64_t off = u * WIPE_FW_SAMPLE_UNIT; off < MIN(size, (u + 1) * WIPE_FW_SAMPLE_UNIT);
                     off += WIPE_FW_SAMPLE_BLOCK) {
                        if (s->n_blocks == allocated) {
                                size_t na = allocated ? allocated * 2 : 64;
                                struct sblock *b = reallocarray(s->blocks, na, sizeof(*b));
                                if (!b)
                                        return -ENOMEM;
                                s->blocks = b;
                                allocated = na;
                        }
                        s->blocks[s->n_blocks++] = (struct sblock) {
                                .offset = off,
                                .len = (uint32_t) MIN(WIPE_FW_SAMPLE_BLOCK, size - off),
                        };
                }
        }
        return 0;
}

int wipe_fw_sample_new(uint64_t size, unsigned percent, const uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE],
                       struct wipe_fw_sample **ret) {
        if (!key || !ret || size == 0 || size % 512 || percent > 100)
                return -EINVAL;
        /* The context keeps its own reference to the MAC. */
        EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
        if (!mac)
                return -EIO;
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);
        if (!ctx)
                return -ENOMEM;
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end(),
        };
        if (EVP_MAC_init(ctx, key, WIPE_FW_SAMPLE_KEY_SIZE, params) != 1) {
                EVP_MAC_CTX_free(ctx);
                return -EIO;
        }
        struct wipe_fw_sample *s = calloc(1, sizeof(*s));
        if (!s) {
                EVP_MAC_CTX_free(ctx);
                return -ENOMEM;
        }
        s->ctx = ctx;
        s->size = size;
        s->percent = percent;
        memcpy(s->key, key, sizeof(s->key));

        /* Explicit ownership: the analyzer loses track of a cleanup
         * attribute through the reallocarray() loop. */
        int r = add_blocks(s);
        if (r < 0) {
                wipe_fw_sample_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

static int sha256(const void *buf, size_t len, uint8_t out[32]) {
        unsigned n = 0;
        return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -EIO;
}

static bool uniform(const uint8_t *b, size_t len, uint8_t *ret_byte) {
        *ret_byte = b[0];
        return len == 0 || (b[0] == b[len - 1] && memcmp(b, b + 1, len - 1) == 0);
}

static int canary(const struct wipe_fw_sample *s, uint64_t offset, uint8_t *buf, size_t len) {
        uint8_t iv[16] = {};
        for (size_t i = 0; i < 8; i++)
                iv[15 - i] = (uint8_t) (offset >> (8 * i));
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        if (!c)
                return -ENOMEM;
        memset(buf, 0, len);
        int outl = 0, ok = EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, s->key, iv) == 1 &&
                           EVP_EncryptUpdate(c, buf, &outl, buf, (int) len) == 1 && (size_t) outl == len;
        EVP_CIPHER_CTX_free(c);
        return ok ? 0 : -EIO;
}

static void freep_aligned(uint8_t **p) {
        free(*p);
}

int wipe_fw_sample_before(struct wipe_fw_sample *s, const struct wipe_fw_io *io) {
        if (!s || !io || !io->read)
                return -EINVAL;
        _cleanup_(freep_aligned) uint8_t *buf = NULL;
        if (posix_memalign((void **) &buf, 4096, WIPE_FW_SAMPLE_BLOCK) != 0)
                return -ENOMEM;

        for (size_t i = 0; i < s->n_blocks; i++) {
                struct sblock *b = &s->blocks[i];
                int r = io->read(io->userdata, b->offset, buf, b->len);
                if (r < 0)
                        return r;
                uint8_t byte;
                b->flags = 0;
                if (uniform(buf, b->len, &byte)) {
                        b->flags |= BLOCK_UNIFORM;
                        if (io->write) {
                                r = canary(s, b->offset, buf, b->len);
                                if (r >= 0)
                                        r = io->write(io->userdata, b->offset, buf, b->len);
                                if (r < 0)
                                        return r;
                                b->flags |= BLOCK_CANARY;
                        }
                }
                r = sha256(buf, b->len, b->hash);
                if (r < 0)
                        return r;
        }
        s->taken = true;
        return 0;
}

static bool all_bytes(const uint8_t *b, size_t len, uint8_t v) {
        uint8_t first;
        return uniform(b, len, &first) && first == v;
}

int wipe_fw_sample_after(const struct wipe_fw_sample *s, const struct wipe_fw_io *io, enum wipe_fw_expect expect,
                         struct wipe_fw_check *ret) {
        if (!s || !io || !io->read || !ret)
                return -EINVAL;
        *ret = (struct wipe_fw_check) { .first_bad = UINT64_MAX };
        if (!s->taken)
                return -ESRCH;
        _cleanup_(freep_aligned) uint8_t *buf = NULL;
        if (posix_memalign((void **) &buf, 4096, WIPE_FW_SAMPLE_BLOCK) != 0)
                return -ENOMEM;

        for (size_t i = 0; i < s->n_blocks; i++) {
                const struct sblock *b = &s->blocks[i];
                bool informative = !(b->flags & BLOCK_UNIFORM) || (b->flags & BLOCK_CANARY);
                bool bad = false;
                ret->blocks++;
                ret->informative += informative;
                ret->canaries += (b->flags & BLOCK_CANARY) != 0;

                int r = io->read(io->userdata, b->offset, buf, b->len);
                if (r < 0) {
                        ret->read_errors++;
                        bad = true;
                } else {
                        ret->bytes_read += b->len;
                        uint8_t h[32];
                        r = sha256(buf, b->len, h);
                        if (r < 0)
                                return r;
                        if (informative && memcmp(h, b->hash, sizeof(h)) == 0) {
                                ret->unchanged++;
                                bad = true;
                        }
                        if ((expect == WIPE_EXPECT_ZEROS && !all_bytes(buf, b->len, 0x00)) ||
                            (expect == WIPE_EXPECT_ONES && !all_bytes(buf, b->len, 0xff))) {
                                ret->unexpected++;
                                bad = true;
                        }
                }
                if (bad && ret->first_bad == UINT64_MAX)
                        ret->first_bad = b->offset;
        }

        ret->conclusive = expect != WIPE_EXPECT_CHANGED || ret->informative > 0;
        ret->passed = ret->conclusive && ret->read_errors == 0 && ret->unchanged == 0 && ret->unexpected == 0;
        if (ret->unchanged)
                snprintf(ret->detail, sizeof(ret->detail),
                         "%llu of %llu sampled blocks still hold their content from before the erase (first at byte "
                         "%llu): the drive reported success but did not erase",
                         (unsigned long long) ret->unchanged, (unsigned long long) ret->blocks,
                         (unsigned long long) ret->first_bad);
        else if (ret->read_errors)
                snprintf(ret->detail, sizeof(ret->detail), "%llu sampled blocks unreadable after the erase",
                         (unsigned long long) ret->read_errors);
        else if (ret->unexpected)
                snprintf(ret->detail, sizeof(ret->detail), "%llu sampled blocks do not hold %s (first at byte %llu)",
                         (unsigned long long) ret->unexpected, wipe_fw_expect_to_string(expect),
                         (unsigned long long) ret->first_bad);
        else if (!ret->conclusive)
                snprintf(ret->detail, sizeof(ret->detail),
                         "inconclusive: every sampled block was blank before the erase and no canary could be written");
        if (ret->first_bad == UINT64_MAX)
                ret->first_bad = 0;
        return 0;
}

const char *wipe_fw_expect_to_string(enum wipe_fw_expect e) {
        switch (e) {
        case WIPE_EXPECT_CHANGED:
                return "no original data";
        case WIPE_EXPECT_ZEROS:
                return "zeros";
        case WIPE_EXPECT_ONES:
                return "ones";
        }
        return "unknown";
}

json_t *wipe_fw_check_to_json(const struct wipe_fw_check *c) {
        if (!c)
                return NULL;
        return json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "passed", c->passed, "conclusive",
                         c->conclusive, "blocks", (json_int_t) c->blocks, "informative", (json_int_t) c->informative,
                         "canaries", (json_int_t) c->canaries, "unchanged", (json_int_t) c->unchanged, "unexpected",
                         (json_int_t) c->unexpected, "read_errors", (json_int_t) c->read_errors, "bytes_read",
                         (json_int_t) c->bytes_read, "detail", c->detail);
}
