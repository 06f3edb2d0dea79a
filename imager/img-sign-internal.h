/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to img-sign.c (trust store, OpenSSL raw signatures, signing) and
 * img-sign-minisign.c (minisign keys and signatures). */

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "img-sign.h"
#include "rf-macro.h"

#define IMG_SIG_MAX_SIZE 4096
#define IMG_KEY_FILE_MAX_SIZE (16 * 1024)
#define IMG_MINISIGN_KEYNUM_BYTES 8

struct img_trust_key {
        EVP_PKEY *pkey;
        bool minisign;
        uint8_t keynum[IMG_MINISIGN_KEYNUM_BYTES]; /* minisign only */
        char key_id[17];
        char file[256]; /* basename */
};

struct img_trust {
        char *dir;
        struct img_trust_key *keys;
        size_t n_keys;
};

void img_sign_errorf(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);

/* 1: good signature, 0: does not match, <0: OpenSSL failure. */
int img_ed25519_verify(EVP_PKEY *pkey, const uint8_t *sig, size_t sig_len, const void *data, size_t len);

/* A minisign public key file (text of len bytes) into k (pkey, keynum,
 * key_id; file is set by the caller). */
int img_minisign_key_parse(const char *file, const char *text, size_t len, struct img_trust_key *k, char *err,
                           size_t errlen);

/* Verify a .minisig (its text, sig_name for messages) against data. Same
 * codes as img_verify_detached(). */
int img_minisign_verify(const struct img_trust *t, const char *sig_name, const char *text, size_t text_len,
                        const void *data, size_t len, struct img_signature_info *info, char *err, size_t errlen);

/* Strict base64 (no whitespace, padded) of exactly want bytes. */
int img_base64_decode_exact(const char *s, size_t slen, uint8_t *out, size_t want);
