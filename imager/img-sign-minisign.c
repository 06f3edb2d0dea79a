/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minisign public keys and signatures (img-sign.h), checked with OpenSSL:
 *
 *   key.pub:   "untrusted comment: …" then base64 of "Ed" | keynum[8] | pk[32]
 *   x.minisig: "untrusted comment: …"
 *              base64 of alg[2] | keynum[8] | signature[64]
 *              "trusted comment: …"
 *              base64 of the global signature over signature[64] | trusted comment
 *
 * alg "Ed" signs the file itself, "ED" its BLAKE2b-512 digest. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "img-sign-internal.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define PUB_BYTES (2 + IMG_MINISIGN_KEYNUM_BYTES + 32)
#define SIG_BYTES (2 + IMG_MINISIGN_KEYNUM_BYTES + 64)

int img_base64_decode_exact(const char *s, size_t slen, uint8_t *out, size_t want) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t pad = 0;

        if (slen == 0 || slen % 4 != 0 || slen / 4 * 3 > 1024 || slen / 4 * 3 < want)
                return -EINVAL;
        while (pad < 2 && s[slen - 1 - pad] == '=')
                pad++;
        for (size_t i = 0; i < slen - pad; i++)
                if (!s[i] || !strchr(alphabet, s[i]))
                        return -EINVAL;
        if (slen / 4 * 3 - pad != want)
                return -EINVAL;

        uint8_t buf[1024];
        if (EVP_DecodeBlock(buf, (const unsigned char *) s, (int) slen) != (int) (slen / 4 * 3))
                return -EINVAL;
        memcpy(out, buf, want);
        return 0;
}

static void keynum_to_id(const uint8_t keynum[static IMG_MINISIGN_KEYNUM_BYTES], char out[static 17]) {
        uint64_t v = 0;
        for (int i = IMG_MINISIGN_KEYNUM_BYTES - 1; i >= 0; i--)
                v = v << 8 | keynum[i];
        snprintf(out, 17, "%016" PRIX64, v);
}

/* Next line of text (without "\n" nor a trailing "\r"); false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len) {
        if (*pos >= len)
                return false;
        const char *start = text + *pos;
        const char *nl = memchr(start, '\n', len - *pos);
        size_t n = nl ? (size_t) (nl - start) : len - *pos;
        *pos += n + (nl ? 1 : 0);
        if (n > 0 && start[n - 1] == '\r')
                n--;
        *line = start;
        *line_len = n;
        return true;
}

static bool has_prefix(const char *line, size_t n, const char *prefix) {
        size_t p = strlen(prefix);
        return n >= p && memcmp(line, prefix, p) == 0;
}

/* The key of a .pub file: an optional "untrusted comment:" line, the key in
 * base64, then only blank lines. */
static bool pub_decode(const char *text, size_t len, uint8_t raw[static PUB_BYTES]) {
        const char *line = NULL;
        size_t n = 0, pos = 0;

        if (!next_line(text, len, &pos, &line, &n))
                return false;
        if (has_prefix(line, n, UNTRUSTED_PREFIX) && !next_line(text, len, &pos, &line, &n))
                return false;
        if (img_base64_decode_exact(line, n, raw, PUB_BYTES) < 0)
                return false;
        for (const char *rest; next_line(text, len, &pos, &rest, &n);)
                if (n > 0)
                        return false;
        return true;
}

static char printable(uint8_t c) {
        return c >= 0x20 && c < 0x7f ? (char) c : '?';
}

int img_minisign_key_parse(const char *file, const char *text, size_t len, struct img_trust_key *k, char *err,
                           size_t errlen) {
        uint8_t raw[PUB_BYTES];

        if (!pub_decode(text, len, raw)) {
                img_sign_errorf(err, errlen,
                                "%s : clé publique minisign illisible (attendu : « untrusted comment: … » puis la clé "
                                "en base64, comme l'écrit minisign -G)",
                                file);
                return -EINVAL;
        }
        if (memcmp(raw, "Ed", 2) != 0) {
                img_sign_errorf(err, errlen, "%s : algorithme de clé minisign « %c%c » inconnu (Ed attendu)", file,
                                printable(raw[0]), printable(raw[1]));
                return -EINVAL;
        }
        k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 2 + IMG_MINISIGN_KEYNUM_BYTES, 32);
        if (!k->pkey) {
                ERR_clear_error();
                img_sign_errorf(err, errlen, "%s : clé publique minisign refusée par OpenSSL", file);
                return -EINVAL;
        }
        k->minisign = true;
        memcpy(k->keynum, raw + 2, IMG_MINISIGN_KEYNUM_BYTES);
        keynum_to_id(k->keynum, k->key_id);
        return 0;
}

/* Length of the UTF-8 character at s (at most len bytes), 0 when invalid
 * (overlong, surrogate, beyond U+10FFFF) or a control character. */
static size_t utf8_char(const unsigned char *s, size_t len) {
        size_t n;
        uint32_t cp;
        if (s[0] < 0x80)
                return s[0] < 0x20 || s[0] == 0x7f ? 0 : 1;
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        if (len < n)
                return 0;
        for (size_t k = 1; k < n; k++) {
                if ((s[k] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[k] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
                return 0;
        return n;
}

/* s (len bytes) as printable UTF-8 into out (size bytes, NUL-terminated):
 * tabs become spaces, other control characters and invalid bytes '?';
 * cut at a character boundary. */
static void printable_utf8(const char *s, size_t len, char *out, size_t size) {
        const unsigned char *u = (const unsigned char *) s;
        size_t i = 0, o = 0;
        while (i < len) {
                size_t n = utf8_char(u + i, len - i);
                size_t w = n ? n : 1;
                if (o + w >= size)
                        break;
                if (n)
                        memcpy(out + o, s + i, n);
                else
                        out[o] = s[i] == '\t' ? ' ' : '?';
                o += w;
                i += n ? n : 1;
        }
        out[o] = '\0';
}

/* The four lines of a .minisig. */
struct minisig {
        uint8_t sig[SIG_BYTES];
        uint8_t global[64];
        const char *comment; /* trusted comment, not NUL-terminated */
        size_t comment_len;
};

static int minisig_parse(const char *sig_name, const char *text, size_t len, struct minisig *m, char *err,
                         size_t errlen) {
        const char *line = NULL;
        size_t n = 0, pos = 0;
        const char *what = NULL;

        if (!next_line(text, len, &pos, &line, &n) || !has_prefix(line, n, UNTRUSTED_PREFIX))
                what = "la ligne 1 doit commencer par « untrusted comment: »";
        else if (!next_line(text, len, &pos, &line, &n) || img_base64_decode_exact(line, n, m->sig, SIG_BYTES) < 0)
                what = "la ligne 2 n'est pas une signature en base64 (74 octets)";
        else if (!next_line(text, len, &pos, &line, &n) || !has_prefix(line, n, TRUSTED_PREFIX))
                what = "la ligne 3 doit commencer par « trusted comment: »";
        else {
                m->comment = line + strlen(TRUSTED_PREFIX);
                m->comment_len = n - strlen(TRUSTED_PREFIX);
                if (!next_line(text, len, &pos, &line, &n) || img_base64_decode_exact(line, n, m->global, 64) < 0)
                        what = "la ligne 4 n'est pas la signature globale en base64 (64 octets)";
        }
        for (const char *rest; !what && next_line(text, len, &pos, &rest, &n);)
                if (n > 0)
                        what = "texte après la ligne 4";
        if (!what && memchr(m->comment, '\0', m->comment_len))
                what = "octet nul dans le commentaire de confiance";
        if (!what && memcmp(m->sig, "Ed", 2) != 0 && memcmp(m->sig, "ED", 2) != 0)
                what = "algorithme de signature inconnu (Ed ou ED attendu)";
        if (what) {
                img_sign_errorf(err, errlen, "signature illisible : %s : %s", sig_name, what);
                return -EINVAL;
        }
        return 0;
}

int img_minisign_verify(const struct img_trust *t, const char *sig_name, const char *text, size_t text_len,
                        const void *data, size_t len, struct img_signature_info *info, char *err, size_t errlen) {
        struct minisig m = {};
        int r = minisig_parse(sig_name, text, text_len, &m, err, errlen);
        if (r < 0)
                return r;

        char key_id[17];
        keynum_to_id(m.sig + 2, key_id);
        const struct img_trust_key *key = NULL;
        for (size_t i = 0; i < t->n_keys && !key; i++)
                if (t->keys[i].minisign && memcmp(t->keys[i].keynum, m.sig + 2, IMG_MINISIGN_KEYNUM_BYTES) == 0)
                        key = &t->keys[i];
        if (!key) {
                img_sign_errorf(err, errlen, "%s : signé par la clé minisign %s qui n'est pas dans %s", sig_name,
                                key_id, t->dir);
                return -ENOKEY;
        }

        uint8_t digest[64];
        const void *msg = data;
        size_t msg_len = len;
        if (m.sig[1] == 'D') {
                unsigned dlen = 0;
                if (EVP_Digest(data, len, digest, &dlen, EVP_blake2b512(), NULL) != 1 || dlen != sizeof(digest)) {
                        ERR_clear_error();
                        img_sign_errorf(err, errlen, "%s : BLAKE2b-512 indisponible dans OpenSSL", sig_name);
                        return -EIO;
                }
                msg = digest;
                msg_len = sizeof(digest);
        }
        r = img_ed25519_verify(key->pkey, m.sig + 2 + IMG_MINISIGN_KEYNUM_BYTES, 64, msg, msg_len);
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : vérification impossible (OpenSSL)", sig_name);
                return r;
        }
        if (r == 0) {
                img_sign_errorf(err, errlen,
                                "signature invalide : le profil a été modifié après signature (%s, clé %s de %s)",
                                sig_name, key_id, key->file);
                return -EBADMSG;
        }

        /* The global signature covers the signature and the trusted comment. */
        uint8_t global_msg[64 + IMG_SIG_MAX_SIZE];
        if (m.comment_len > IMG_SIG_MAX_SIZE)
                return -EINVAL;
        memcpy(global_msg, m.sig + 2 + IMG_MINISIGN_KEYNUM_BYTES, 64);
        memcpy(global_msg + 64, m.comment, m.comment_len);
        r = img_ed25519_verify(key->pkey, m.global, sizeof(m.global), global_msg, 64 + m.comment_len);
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : vérification impossible (OpenSSL)", sig_name);
                return r;
        }
        if (r == 0) {
                img_sign_errorf(err, errlen,
                                "signature invalide : le commentaire de confiance de %s a été modifié après signature",
                                sig_name);
                return -EBADMSG;
        }

        if (info) {
                *info = (struct img_signature_info) {};
                snprintf(info->key_id, sizeof(info->key_id), "%s", key_id);
                snprintf(info->key_file, sizeof(info->key_file), "%s", key->file);
                snprintf(info->format, sizeof(info->format), "minisign");
                /* Shown to people and put in JSON. */
                printable_utf8(m.comment, m.comment_len, info->trusted_comment, sizeof(info->trusted_comment));
        }
        return 0;
}
