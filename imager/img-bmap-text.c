/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "img-bmap-text.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "rf-macro.h"
#include "rf-util.h"

static void md_ctx_freep(EVP_MD_CTX **c) {
        if (*c)
                EVP_MD_CTX_free(*c);
}

bool img_bmap_is_ws(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool img_bmap_all_ws(const char *s) {
        for (; *s; s++)
                if (!img_bmap_is_ws(*s))
                        return false;
        return true;
}

char *img_bmap_trim(char *s) {
        while (img_bmap_is_ws(*s))
                s++;
        size_t l = strlen(s);
        while (l > 0 && img_bmap_is_ws(s[l - 1]))
                s[--l] = '\0';
        return s;
}

int img_bmap_parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int img_bmap_file_digest(const char *data, size_t len, const char value[static 65], char out[static 65]) {
        static const char zeros[64] = "0000000000000000000000000000000000000000000000000000000000000000";
        const char *pos = memmem(data, len, value, 64);
        if (!pos)
                return -ENOENT;
        size_t off = (size_t) (pos - data);
        _cleanup_(md_ctx_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t md[32];
        unsigned mdlen = 0;
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, data, off) != 1 ||
            EVP_DigestUpdate(ctx, zeros, sizeof(zeros)) != 1 ||
            EVP_DigestUpdate(ctx, pos + 64, len - off - 64) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 ||
            mdlen != sizeof(md))
                return -EIO;
        rf_hex_encode(md, sizeof(md), out);
        return 0;
}

int img_bmap_prescan(const char *data, size_t len, unsigned *line, const char **what) {
        static const struct {
                const char *text;
                const char *what;
        } refused[] = {
                { "<!DOCTYPE", "déclaration DOCTYPE refusée (ni DTD ni entités)" },
                { "<!ENTITY", "déclaration ENTITY refusée (ni DTD ni entités)" },
        };
        unsigned l = 1;
        for (size_t i = 0; i < len; i++) {
                if (data[i] == '\n') {
                        l++;
                        continue;
                }
                if (data[i] == '\0') {
                        *line = l;
                        *what = "octet nul : texte UTF-8 attendu";
                        return -EBADMSG;
                }
                if (data[i] != '<' || i + 1 >= len || data[i + 1] != '!')
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(refused); j++) {
                        size_t tl = strlen(refused[j].text);
                        if (len - i >= tl && memcmp(data + i, refused[j].text, tl) == 0) {
                                *line = l;
                                *what = refused[j].what;
                                return -EBADMSG;
                        }
                }
        }
        return 0;
}
