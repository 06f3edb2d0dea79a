/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "wipe-overwrite-internal.h"
#include "wipe-overwrite.h"

/* Sampled verification chooses 1 MiB units with a keyed hash of the unit
 * index, so that the sample cannot be predicted before the job key exists,
 * and anyone holding the record can recompute it:
 *
 *     h = HMAC-SHA256(key, "refurb-sample-v1" || unit as 8 bytes big-endian)
 *     selected = unit == 0 || unit == n_units - 1 ||
 *                (first 8 bytes of h, big-endian) mod 100 < percent
 */

static const char sample_domain[] = "refurb-sample-v1";

struct wipe_sampler {
        EVP_MAC *mac;
        EVP_MAC_CTX *ctx;
};

void wipe_sampler_free(struct wipe_sampler *s) {
        if (!s)
                return;
        EVP_MAC_CTX_free(s->ctx);
        EVP_MAC_free(s->mac);
        free(s);
}

int wipe_sampler_new(const uint8_t key[WIPE_KEY_SIZE], struct wipe_sampler **ret) {
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end(),
        };

        if (!key || !ret)
                return -EINVAL;
        struct wipe_sampler *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
        s->ctx = s->mac ? EVP_MAC_CTX_new(s->mac) : NULL;
        if (!s->ctx || EVP_MAC_init(s->ctx, key, WIPE_KEY_SIZE, params) != 1) {
                wipe_sampler_free(s);
                return -EIO;
        }
        *ret = s;
        return 0;
}

int wipe_sampler_selected(struct wipe_sampler *s, uint64_t unit, uint64_t n_units, unsigned percent) {
        if (unit == 0 || unit + 1 >= n_units || percent >= 100)
                return 1;
        if (percent == 0)
                return 0;

        uint8_t msg[sizeof(sample_domain) - 1 + 8];
        memcpy(msg, sample_domain, sizeof(sample_domain) - 1);
        for (size_t i = 0; i < 8; i++)
                msg[sizeof(sample_domain) - 1 + i] = (uint8_t) (unit >> (56 - 8 * i));

        uint8_t md[32];
        size_t mdlen = 0;
        /* A NULL key re-initialises the context with the key set before. */
        if (EVP_MAC_init(s->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(s->ctx, msg, sizeof(msg)) != 1 ||
            EVP_MAC_final(s->ctx, md, &mdlen, sizeof(md)) != 1 || mdlen != sizeof(md))
                return -EIO;
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v = v << 8 | md[i];
        OPENSSL_cleanse(md, sizeof(md));
        return v % 100 < percent;
}

bool wipe_sample_selected(const uint8_t key[WIPE_KEY_SIZE], uint64_t unit, uint64_t n_units, unsigned percent) {
        struct wipe_sampler *s = NULL;

        if (unit == 0 || unit + 1 >= n_units || percent >= 100)
                return true;
        /* Fail safe: when the hash cannot be computed, verify the unit. */
        if (wipe_sampler_new(key, &s) < 0)
                return true;
        int r = wipe_sampler_selected(s, unit, n_units, percent);
        wipe_sampler_free(s);
        return r != 0;
}
