/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Ed25519 signatures on profiles, with standard tools (docs/refurb-profile.5):
 *
 *  - OpenSSL: FILE.sig holds the 64-byte raw signature made by
 *      openssl pkeyutl -sign -rawin -inkey dsi.key -in FILE -out FILE.sig
 *    (or `refurbctl profile sign --key dsi.key FILE`); trusted keys are
 *    PEM public keys "*.pem" (openssl pkey -pubout).
 *  - minisign: FILE.minisig made by `minisign -S -m FILE`; trusted keys are
 *    minisign public key files "*.pub". Both the legacy ("Ed") and the
 *    prehashed ("ED", BLAKE2b-512) signatures are accepted; the global
 *    signature over the trusted comment is checked too.
 *
 * The bench trusts only the keys in its trusted-keys folder
 * (/etc/refurbd/trusted-keys/). Key id: for OpenSSL keys the first 16 hex
 * digits of SHA-256 of the raw 32-byte public key; for minisign keys the
 * key id minisign prints (16 hex digits, as in the file). */

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

struct img_trust;

/* Load every *.pem and *.pub of dir. A malformed key file is an error
 * naming the file. An empty or missing folder gives an empty trust store
 * (every signature is then refused with a reason saying so). */
int img_trust_load(const char *dir, struct img_trust **ret, char *err, size_t errlen);
void img_trust_free(struct img_trust *t);
size_t img_trust_count(const struct img_trust *t);
static inline void img_trust_freep(struct img_trust **p) {
        if (*p)
                img_trust_free(*p);
}
#define _cleanup_img_trust_ __attribute__((cleanup(img_trust_freep)))

struct img_signature_info {
        char key_id[17];        /* hex */
        char key_file[256];     /* basename of the trusted key file */
        char format[16];        /* "openssl-ed25519" or "minisign" */
        char trusted_comment[256]; /* minisign only, else "" */
};

/* Verify data (the exact bytes of the signed file) against the signature
 * next to path: path.sig or path.minisig (read here, at most 4 KiB).
 *   0        good signature by a trusted key (*info filled)
 *   -ENOENT  no signature file ("profil non signé")
 *   -ENOKEY  signed, but by no trusted key
 *   -EBADMSG signature does not match the bytes (tampered)
 *   -EINVAL  malformed signature file
 * err receives a one-line French reason naming the files. */
int img_verify_detached(const struct img_trust *t, const char *path, const void *data, size_t len,
                        struct img_signature_info *info, char *err, size_t errlen);

/* Sign data with an Ed25519 private key (PEM, unencrypted), write
 * path.sig atomically (0644). Returns the key id in key_id. */
int img_sign_detached(const char *key_pem_path, const char *path, const void *data, size_t len,
                      char key_id[static 17], char *err, size_t errlen);

#include <time.h>
#include "img-profile.h"

/* Read path ONCE (<= 1 MiB), verify its detached signature on those bytes
 * against t, parse the same bytes, then check expiry at now:
 * -EKEYEXPIRED ("profil expiré depuis le ..."); the img_verify_detached()
 * codes; -EINVAL malformed (err has file:line). */
int img_profile_load_verified(const char *path, const struct img_trust *t, time_t now, struct img_profile **ret,
                              struct img_signature_info *info, char *err, size_t errlen);
