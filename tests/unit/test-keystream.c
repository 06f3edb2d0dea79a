/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-keystream.h"

/* Reference vectors produced once with the stock tool:
 *   head -c 8192 /dev/zero | openssl enc -aes-256-ctr -nosalt \
 *        -K 000102...1e1f -iv f0f1f2...feff | xxd -p */
static const char ref_key[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char ref_iv[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const char ref_at_0[] = "9200cd8d239680cb5a69e65440326314ca5f7b40f12a34c16ea755214a77"
                               "868e996c215b1418f598788520109554f28f"; /* bytes 0..47 */
static const char ref_at_4080[] = "960f93ac91e776dd565d8ad036715373f7e258c6f47a661e7f2412aee883"
                                  "5f6c"; /* bytes 4080..4111 */
/* Same key, IV 00000000000000ff fffffffffffffffe: the counter carries from
 * the low 64 bits into the high ones after two blocks. Bytes 0..63. */
static const char carry_iv[] = "00000000000000fffffffffffffffffe";
static const char ref_carry[] = "680a942debeffaadeca41e2a885431624af318c9e0b6a3f58d4f015b1858"
                                "9e56183c487bd9d28ff92c8c3194e613a13c63d599631d1e1df1878c9033"
                                "59e8c189";

static void unhex(const char *hex, uint8_t *out, size_t len) {
        assert_int_equal(rf_hex_decode(hex, out, len), 0);
}

static struct wipe_keystream *ks_from_hex(const char *key_hex, const char *iv_hex) {
        uint8_t key[WIPE_KEY_SIZE], iv[WIPE_IV_SIZE];
        struct wipe_keystream *ks = NULL;

        unhex(key_hex, key, sizeof(key));
        unhex(iv_hex, iv, sizeof(iv));
        assert_int_equal(wipe_keystream_new(key, iv, &ks), 0);
        assert_non_null(ks);
        return ks;
}

static void test_openssl_enc_vectors(void **state) {
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = ks_from_hex(ref_key, ref_iv);
        uint8_t expect[64], got[64];

        unhex(ref_at_0, expect, 48);
        assert_int_equal(wipe_keystream_fill(ks, 0, got, 48), 0);
        assert_memory_equal(got, expect, 48);

        /* Crosses the 4 KiB boundary; the second half is byte 4096.. */
        unhex(ref_at_4080, expect, 32);
        assert_int_equal(wipe_keystream_fill(ks, 4080, got, 32), 0);
        assert_memory_equal(got, expect, 32);
        assert_int_equal(wipe_keystream_fill(ks, 4096, got, 16), 0);
        assert_memory_equal(got, expect + 16, 16);

        /* Going back to an earlier offset re-seeks. */
        unhex(ref_at_0, expect, 48);
        assert_int_equal(wipe_keystream_fill(ks, 16, got, 32), 0);
        assert_memory_equal(got, expect + 16, 32);
}

static void test_counter_carry(void **state) {
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = ks_from_hex(ref_key, carry_iv);
        uint8_t expect[64], got[64];

        unhex(ref_carry, expect, sizeof(expect));
        assert_int_equal(wipe_keystream_fill(ks, 0, got, 64), 0);
        assert_memory_equal(got, expect, 64);
        /* Starting past the wrap: the counter is computed by wipe_keystream,
         * not by OpenSSL incrementing it. */
        assert_int_equal(wipe_keystream_fill(ks, 32, got, 32), 0);
        assert_memory_equal(got, expect + 32, 32);
        assert_int_equal(wipe_keystream_fill(ks, 48, got, 16), 0);
        assert_memory_equal(got, expect + 48, 16);
}

/* Reference: EVP over zeros from offset 0, in one go. */
static uint8_t *evp_reference(const uint8_t *key, const uint8_t *iv, size_t len) {
        uint8_t *zeros = calloc(1, len), *out = malloc(len);
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int outl = 0;

        assert_non_null(zeros);
        assert_non_null(out);
        assert_non_null(ctx);
        assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv), 1);
        assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, zeros, (int) len), 1);
        assert_int_equal(outl, (int) len);
        EVP_CIPHER_CTX_free(ctx);
        free(zeros);
        return out;
}

static void test_matches_evp(void **state) {
        uint8_t key[WIPE_KEY_SIZE], iv[WIPE_IV_SIZE];
        const size_t total = 2 * 1024 * 1024;
        static const uint64_t offsets[] = { 0, 16, 4096, 65536 - 16, 65536, 1024 * 1024 + 48 };
        static const size_t lengths[] = { 1, 15, 16, 17, 4095, 65537, 200003, 131072 };

        assert_int_equal(rf_random_bytes(key, sizeof(key)), 0);
        assert_int_equal(rf_random_bytes(iv, sizeof(iv)), 0);
        _cleanup_free_ uint8_t *ref = evp_reference(key, iv, total);
        _cleanup_free_ uint8_t *buf = malloc(total);
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = NULL;
        assert_non_null(buf);
        assert_int_equal(wipe_keystream_new(key, iv, &ks), 0);

        for (size_t i = 0; i < ELEMENTSOF(offsets); i++)
                for (size_t j = 0; j < ELEMENTSOF(lengths); j++) {
                        assert_true(offsets[i] + lengths[j] <= total);
                        memset(buf, 0x5a, lengths[j] + 1);
                        assert_int_equal(wipe_keystream_fill(ks, offsets[i], buf, lengths[j]), 0);
                        assert_memory_equal(buf, ref + offsets[i], lengths[j]);
                        /* Not a byte more. */
                        assert_int_equal(buf[lengths[j]], 0x5a);
                }
}

static void test_offset_consistency(void **state) {
        uint8_t key[WIPE_KEY_SIZE], iv[WIPE_IV_SIZE];
        const size_t total = 1024 * 1024;
        static const uint64_t xs[] = { 16, 4096, 65536, 65552, 512 * 1024 + 32, 1024 * 1024 - 16 };

        assert_int_equal(rf_random_bytes(key, sizeof(key)), 0);
        assert_int_equal(rf_random_bytes(iv, sizeof(iv)), 0);
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = NULL;
        assert_int_equal(wipe_keystream_new(key, iv, &ks), 0);
        _cleanup_free_ uint8_t *whole = malloc(total), *part = malloc(total);
        assert_non_null(whole);
        assert_non_null(part);
        assert_int_equal(wipe_keystream_fill(ks, 0, whole, total), 0);

        for (size_t i = 0; i < ELEMENTSOF(xs); i++) {
                size_t n = total - xs[i];
                assert_int_equal(wipe_keystream_fill(ks, xs[i], part, n), 0);
                assert_memory_equal(part, whole + xs[i], n);
        }
        /* Two objects with the same key and IV agree. */
        _cleanup_wipe_keystream_ struct wipe_keystream *ks2 = NULL;
        assert_int_equal(wipe_keystream_new(key, iv, &ks2), 0);
        assert_int_equal(wipe_keystream_fill(ks2, 4096, part, 4096), 0);
        assert_memory_equal(part, whole + 4096, 4096);
}

static void test_fill_rejects_bad_args(void **state) {
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = ks_from_hex(ref_key, ref_iv);
        uint8_t buf[64];

        assert_int_equal(wipe_keystream_fill(ks, 8, buf, 16), -EINVAL);
        assert_int_equal(wipe_keystream_fill(NULL, 0, buf, 16), -EINVAL);
        assert_int_equal(wipe_keystream_fill(ks, 0, buf, 0), 0);
        assert_int_equal(wipe_keystream_new(NULL, NULL, NULL), -EINVAL);
}

static void test_compare(void **state) {
        uint8_t key[WIPE_KEY_SIZE], iv[WIPE_IV_SIZE];
        const size_t total = 300000; /* several 64 KiB scratch rounds + a tail */
        static const size_t flips[] = { 0, 1, 65535, 65536, 65537, 131072 + 7, 299999 };

        assert_int_equal(rf_random_bytes(key, sizeof(key)), 0);
        assert_int_equal(rf_random_bytes(iv, sizeof(iv)), 0);
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = NULL;
        assert_int_equal(wipe_keystream_new(key, iv, &ks), 0);
        _cleanup_free_ uint8_t *buf = malloc(total);
        assert_non_null(buf);
        const uint64_t base = 8192;
        assert_int_equal(wipe_keystream_fill(ks, base, buf, total), 0);

        size_t m = 12345;
        assert_int_equal(wipe_keystream_compare(ks, base, buf, total, &m), 0);
        assert_int_equal(m, 12345); /* untouched when equal */

        for (size_t i = 0; i < ELEMENTSOF(flips); i++) {
                buf[flips[i]] ^= 0x01;
                assert_int_equal(wipe_keystream_compare(ks, base, buf, total, &m), 1);
                assert_int_equal(m, flips[i]);
                /* A second flip further on: still the first one reported. */
                if (flips[i] + 100 < total) {
                        buf[flips[i] + 100] ^= 0x80;
                        assert_int_equal(wipe_keystream_compare(ks, base, buf, total, &m), 1);
                        assert_int_equal(m, flips[i]);
                        buf[flips[i] + 100] ^= 0x80;
                }
                buf[flips[i]] ^= 0x01;
        }
        assert_int_equal(wipe_keystream_compare(ks, base, buf, total, NULL), 0);

        /* Unaligned sub-range compare (not needed by the engine, but
         * compare() positions itself on any offset). */
        assert_int_equal(wipe_keystream_compare(ks, base + 5, buf + 5, 1000, &m), 0);
        /* Wrong offset: differs at once. */
        assert_int_equal(wipe_keystream_compare(ks, base + 16, buf, 1000, &m), 1);
        assert_int_equal(m, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_openssl_enc_vectors),
                cmocka_unit_test(test_counter_carry),
                cmocka_unit_test(test_matches_evp),
                cmocka_unit_test(test_offset_consistency),
                cmocka_unit_test(test_fill_rejects_bad_args),
                cmocka_unit_test(test_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
