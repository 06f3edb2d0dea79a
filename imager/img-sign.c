/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ed25519 signatures on profiles (img-sign.h): the trust store, raw
 * signatures made by `openssl pkeyutl -sign -rawin`, and signing. minisign
 * is in img-sign-minisign.c. OpenSSL 3 EVP only. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "img-sign-internal.h"
#include "rf-util.h"

#define MAX_TRUSTED_KEYS 256
#define RAW_SIG_BYTES 64

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

void img_sign_errorf(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen > 0)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

static const char *base_name(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash && slash[1] ? slash + 1 : path;
}

int img_ed25519_verify(EVP_PKEY *pkey, const uint8_t *sig, size_t sig_len, const void *data, size_t len) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        int r = EVP_DigestVerify(ctx, sig, sig_len, data, len);
        ERR_clear_error();
        return r == 1 ? 1 : 0;
}

/* First 16 hex digits of SHA-256 of the raw public key. */
static int openssl_key_id(EVP_PKEY *pkey, char out[static 17]) {
        uint8_t raw[32];
        size_t n = sizeof(raw);
        char hex[65];

        if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != sizeof(raw)) {
                ERR_clear_error();
                return -EINVAL;
        }
        int r = rf_sha256_hex(raw, sizeof(raw), hex);
        if (r < 0)
                return r;
        memcpy(out, hex, 16);
        out[16] = '\0';
        return 0;
}

static int pem_key_parse(const char *file, const char *text, size_t len, struct img_trust_key *k, char *err,
                         size_t errlen) {
        if (strstr(text, "PRIVATE KEY")) {
                img_sign_errorf(err, errlen,
                                "%s contient une clé privée : seules les clés publiques vont dans le dossier des clés "
                                "de confiance (openssl pkey -in CLÉ -pubout)",
                                file);
                return -EINVAL;
        }
        _cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(text, (int) len);
        if (!bio)
                return -ENOMEM;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        ERR_clear_error();
        if (!pkey) {
                img_sign_errorf(err, errlen, "%s : pas une clé publique PEM lisible (openssl pkey -pubout)", file);
                return -EINVAL;
        }
        if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
                img_sign_errorf(err, errlen, "%s : clé %s, une clé Ed25519 est attendue", file,
                                EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "inconnue");
                return -EINVAL;
        }
        int r = openssl_key_id(pkey, k->key_id);
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : clé publique Ed25519 illisible", file);
                return r;
        }
        k->pkey = TAKE_PTR(pkey);
        return 0;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free((void *) names);
}

/* The *.pem and *.pub names of dir, sorted; *ret NULL and 0 when dir does
 * not exist. */
static int list_key_files(const char *dir, char ***ret, size_t *ret_n, char *err, size_t errlen) {
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                r = negative_errno();
                img_sign_errorf(err, errlen, "%s : lecture du dossier impossible : %s", dir, strerror(-r));
                return r;
        }
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0) {
                                r = negative_errno();
                                img_sign_errorf(err, errlen, "%s : lecture du dossier impossible : %s", dir,
                                                strerror(-r));
                        }
                        break;
                }
                if (de->d_name[0] == '.' || (!has_suffix(de->d_name, ".pem") && !has_suffix(de->d_name, ".pub")))
                        continue;
                if (n >= MAX_TRUSTED_KEYS) {
                        img_sign_errorf(err, errlen, "%s : plus de %d clés", dir, MAX_TRUSTED_KEYS);
                        r = -E2BIG;
                        break;
                }
                char **nn = reallocarray((void *) names, n + 1, sizeof(*nn));
                if (!nn) {
                        r = -ENOMEM;
                        break;
                }
                names = nn;
                if (!(names[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r < 0) {
                free_names(names, n);
                return r;
        }
        if (n > 1)
                qsort((void *) names, n, sizeof(*names), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int trust_add(struct img_trust *t, const char *dir, const char *name, char *err, size_t errlen) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        struct stat st;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (stat(path, &st) < 0) {
                int r = negative_errno();
                img_sign_errorf(err, errlen, "%s : %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode))
                return 0; /* a folder called x.pem: not a key */
        int r = rf_read_file(path, IMG_KEY_FILE_MAX_SIZE, &text, &len);
        if (r == -EFBIG)
                img_sign_errorf(err, errlen, "%s : fichier de clé de plus de %d Kio", path,
                                IMG_KEY_FILE_MAX_SIZE / 1024);
        else if (r < 0)
                img_sign_errorf(err, errlen, "%s : lecture impossible : %s", path, strerror(-r));
        if (r < 0)
                return r;

        struct img_trust_key k = {};
        snprintf(k.file, sizeof(k.file), "%s", name);
        r = has_suffix(name, ".pem") ? pem_key_parse(path, text, len, &k, err, errlen)
                                     : img_minisign_key_parse(path, text, len, &k, err, errlen);
        if (r < 0)
                return r;
        struct img_trust_key *nk = reallocarray(t->keys, t->n_keys + 1, sizeof(*nk));
        if (!nk) {
                EVP_PKEY_free(k.pkey);
                return -ENOMEM;
        }
        t->keys = nk;
        t->keys[t->n_keys++] = k;
        return 0;
}

int img_trust_load(const char *dir, struct img_trust **ret, char *err, size_t errlen) {
        char **names = NULL;
        size_t n = 0;

        if (!dir || !ret)
                return -EINVAL;
        struct img_trust *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        int r = (t->dir = strdup(dir)) ? list_key_files(dir, &names, &n, err, errlen) : -ENOMEM;
        for (size_t i = 0; r == 0 && i < n; i++)
                r = trust_add(t, dir, names[i], err, errlen);
        free_names(names, n);
        if (r < 0) {
                img_trust_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void img_trust_free(struct img_trust *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_keys; i++)
                EVP_PKEY_free(t->keys[i].pkey);
        free(t->keys);
        free(t->dir);
        free(t);
}

size_t img_trust_count(const struct img_trust *t) {
        return t ? t->n_keys : 0;
}

/* A raw 64-byte signature: it names no key, so every OpenSSL key is tried;
 * when none matches, "modified" and "another key" cannot be told apart. */
static int verify_raw(const struct img_trust *t, const char *sig_name, const uint8_t *sig, size_t sig_len,
                      const void *data, size_t len, struct img_signature_info *info, char *err, size_t errlen) {
        size_t n_openssl = 0;

        if (sig_len != RAW_SIG_BYTES) {
                img_sign_errorf(err, errlen,
                                "signature illisible : %s fait %zu octets, une signature Ed25519 brute en fait %d "
                                "(openssl pkeyutl -sign -rawin)",
                                sig_name, sig_len, RAW_SIG_BYTES);
                return -EINVAL;
        }
        for (size_t i = 0; i < t->n_keys; i++) {
                const struct img_trust_key *k = &t->keys[i];
                if (k->minisign)
                        continue;
                n_openssl++;
                int r = img_ed25519_verify(k->pkey, sig, sig_len, data, len);
                if (r < 0) {
                        img_sign_errorf(err, errlen, "%s : vérification impossible (OpenSSL)", sig_name);
                        return r;
                }
                if (r == 1) {
                        if (info) {
                                *info = (struct img_signature_info) {};
                                snprintf(info->key_id, sizeof(info->key_id), "%s", k->key_id);
                                snprintf(info->key_file, sizeof(info->key_file), "%s", k->file);
                                snprintf(info->format, sizeof(info->format), "openssl-ed25519");
                        }
                        return 0;
                }
        }
        if (n_openssl == 0) {
                img_sign_errorf(err, errlen, "%s : aucune clé de confiance OpenSSL (*.pem) dans %s%s", sig_name,
                                t->dir, t->n_keys == 0 ? " (dossier vide ou absent)" : "");
                return -ENOKEY;
        }
        img_sign_errorf(err, errlen,
                        "signature invalide : le profil a été modifié après signature, ou %s a été fait avec une clé "
                        "qui n'est pas dans %s (%zu clé%s OpenSSL essayée%s)",
                        sig_name, t->dir, n_openssl, n_openssl > 1 ? "s" : "", n_openssl > 1 ? "s" : "");
        return -EBADMSG;
}

/* Read path+suffix: 0, -ENOENT (absent, no message), or another error. */
static int read_sig(const char *path, const char *suffix, char **ret_name, char **ret_text, size_t *ret_len,
                    char *err, size_t errlen) {
        _cleanup_free_ char *sig_path = NULL;
        if (asprintf(&sig_path, "%s%s", path, suffix) < 0)
                return -ENOMEM;
        int r = rf_read_file(sig_path, IMG_SIG_MAX_SIZE, ret_text, ret_len);
        if (r == -ENOENT)
                return r;
        if (r == -EFBIG) {
                img_sign_errorf(err, errlen, "signature illisible : %s fait plus de %d octets", base_name(sig_path),
                                IMG_SIG_MAX_SIZE);
                return -EINVAL;
        }
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : lecture impossible : %s", sig_path, strerror(-r));
                return r;
        }
        *ret_name = strdup(base_name(sig_path));
        if (!*ret_name) {
                free(*ret_text);
                *ret_text = NULL;
                return -ENOMEM;
        }
        return 0;
}

int img_verify_detached(const struct img_trust *t, const char *path, const void *data, size_t len,
                        struct img_signature_info *info, char *err, size_t errlen) {
        _cleanup_free_ char *raw_name = NULL, *raw = NULL, *mini_name = NULL, *mini = NULL;
        size_t raw_len = 0, mini_len = 0;
        char mini_err[512] = "";

        if (!t || !path || (!data && len > 0))
                return -EINVAL;
        int r_raw = read_sig(path, ".sig", &raw_name, &raw, &raw_len, err, errlen);
        if (r_raw < 0 && r_raw != -ENOENT)
                return r_raw;
        int r_mini = read_sig(path, ".minisig", &mini_name, &mini, &mini_len, mini_err, sizeof(mini_err));
        if (r_mini < 0 && r_mini != -ENOENT && r_raw == -ENOENT) {
                img_sign_errorf(err, errlen, "%s", mini_err);
                return r_mini;
        }
        if (r_raw == -ENOENT && r_mini == -ENOENT) {
                const char *name = base_name(path);
                img_sign_errorf(err, errlen, "profil non signé : %s.sig absent (et pas de %s.minisig)", name, name);
                return -ENOENT;
        }

        /* Either signature is enough; otherwise the first one's reason. */
        int r = -ENOENT;
        if (r_raw == 0)
                r = verify_raw(t, raw_name, (const uint8_t *) raw, raw_len, data, len, info, err, errlen);
        if (r != 0 && r_mini == 0) {
                int r2 = img_minisign_verify(t, mini_name, mini, mini_len, data, len, info, mini_err,
                                             sizeof(mini_err));
                if (r2 == 0 || r == -ENOENT) {
                        img_sign_errorf(err, errlen, "%s", r2 == 0 ? "" : mini_err);
                        r = r2;
                }
        }
        return r;
}

static int no_passphrase(char *buf, int size, int rwflag, void *userdata) {
        (void) buf;
        (void) size;
        (void) rwflag;
        (void) userdata;
        return -1;
}

int img_sign_detached(const char *key_pem_path, const char *path, const void *data, size_t len,
                      char key_id[static 17], char *err, size_t errlen) {
        _cleanup_free_ char *text = NULL, *sig_path = NULL;
        size_t text_len = 0;
        uint8_t sig[RAW_SIG_BYTES];
        size_t sig_len = sizeof(sig);

        if (!key_pem_path || !path || (!data && len > 0))
                return -EINVAL;
        int r = rf_read_file(key_pem_path, IMG_KEY_FILE_MAX_SIZE, &text, &text_len);
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : lecture impossible : %s", key_pem_path,
                                r == -EFBIG ? "fichier trop grand pour une clé" : strerror(-r));
                return r;
        }
        _cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(text, (int) text_len);
        if (!bio)
                return -ENOMEM;
        /* No passphrase prompt: an encrypted key is refused. */
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        ERR_clear_error();
        if (!pkey) {
                img_sign_errorf(err, errlen,
                                "%s : pas une clé privée PEM lisible et non chiffrée (openssl genpkey -algorithm "
                                "ed25519 -out %s)",
                                key_pem_path, key_pem_path);
                return -EINVAL;
        }
        if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
                img_sign_errorf(err, errlen, "%s : clé %s, une clé Ed25519 est attendue", key_pem_path,
                                EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "inconnue");
                return -EINVAL;
        }
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
            EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1 || sig_len != sizeof(sig)) {
                ERR_clear_error();
                img_sign_errorf(err, errlen, "%s : la signature Ed25519 a échoué (OpenSSL)", key_pem_path);
                return -EIO;
        }
        r = openssl_key_id(pkey, key_id);
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : clé publique illisible", key_pem_path);
                return r;
        }
        if (asprintf(&sig_path, "%s.sig", path) < 0)
                return -ENOMEM;
        r = rf_write_file_atomic(sig_path, sig, sizeof(sig), 0644);
        if (r < 0) {
                img_sign_errorf(err, errlen, "%s : écriture impossible : %s", sig_path, strerror(-r));
                return r;
        }
        return 0;
}
