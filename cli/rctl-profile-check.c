/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl profile show | validate, and the check of one profile shared
 * with list: read once, signature, parse, expiry, as the bench does. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img-bmap.h"
#include "rctl-output.h"
#include "rctl-profile-internal.h"
#include "rf-json.h"
#include "rf-util.h"

#define BMAP_MAX_SIZE ((size_t) (64 * 1024 * 1024))

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

/* Length of the valid UTF-8 character at s, 0 when invalid or a control
 * character. */
static size_t char_len(const unsigned char *s) {
        size_t n = s[0] < 0x80              ? 1
                   : (s[0] & 0xe0) == 0xc0 ? 2
                   : (s[0] & 0xf0) == 0xe0 ? 3
                   : (s[0] & 0xf8) == 0xf0 ? 4
                                           : 0;
        uint32_t cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
        for (size_t k = 1; k < n; k++) {
                if ((s[k] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[k] & 0x3fu);
        }
        if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || (n == 2 && cp < 0x80) ||
            (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool rctl_profile_text_ok(const char *s) {
        for (const unsigned char *u = (const unsigned char *) s; *u;) {
                size_t n = char_len(u);
                if (n == 0)
                        return false;
                u += n;
        }
        return true;
}

/* In place: invalid UTF-8 and control characters become '?' (names from
 * folders end up in messages and JSON). */
static void scrub(char *s) {
        for (unsigned char *u = (unsigned char *) s; *u;) {
                size_t n = char_len(u);
                if (n == 0)
                        *u++ = '?';
                else
                        u += n;
        }
}

void rctl_profile_check_done(struct rctl_profile_check *c) {
        free(c->text);
        img_profile_free(c->p);
        *c = (struct rctl_profile_check) {};
}

void rctl_profile_check(const char *path, const struct img_trust *t, const char *trust_err,
                        struct rctl_profile_check *c) {
        *c = (struct rctl_profile_check) { .path = path, .sig_r = -ENOENT };
        c->read_r = rf_read_file(path, RCTL_PROFILE_MAX_SIZE, &c->text, &c->len);
        if (c->read_r < 0) {
                snprintf(c->err, sizeof(c->err), "%s : %s", path,
                         c->read_r == -EFBIG ? "fichier de plus de 1 Mio" : strerror(-c->read_r));
                scrub(c->err);
                return;
        }
        if (t)
                c->sig_r = img_verify_detached(t, path, c->text, c->len, &c->info, c->sig_err, sizeof(c->sig_err));
        else {
                c->sig_r = -ENOKEY;
                snprintf(c->sig_err, sizeof(c->sig_err), "%s", trust_err);
        }
        if (img_profile_parse(path, NULL, c->text, c->len, &c->p, c->err, sizeof(c->err)) == 0)
                c->expired = img_profile_expired(c->p, rf_now_sec()) == 1;
        scrub(c->err);
        scrub(c->sig_err);
        scrub(c->info.key_file);
}

bool rctl_profile_check_ok(const struct rctl_profile_check *c) {
        return c->read_r == 0 && c->sig_r == 0 && c->p && !c->expired;
}

static const char *sig_status(int r) {
        switch (r) {
        case 0:
                return "valid";
        case -ENOENT:
                return "unsigned";
        case -ENOKEY:
                return "untrusted";
        case -EBADMSG:
                return "invalid";
        case -EINVAL:
                return "malformed";
        default:
                return "error";
        }
}

const char *rctl_profile_sig_words(enum rf_lang lang, int r) {
        switch (r) {
        case 0:
                return RF_TR(lang, "valide", "valid");
        case -ENOENT:
                return RF_TR(lang, "non signé", "unsigned");
        case -ENOKEY:
                return RF_TR(lang, "clé non reconnue", "untrusted key");
        case -EBADMSG:
                return RF_TR(lang, "INVALIDE", "INVALID");
        case -EINVAL:
                return RF_TR(lang, "illisible", "malformed");
        default:
                return RF_TR(lang, "erreur", "error");
        }
}

static json_t *source_json(const struct img_source *s) {
        return json_pack("{s:s, s:s, s:b, s:s, s:I}", "location", s->location, "resolved", s->resolved, "is_url",
                         s->is_url, "sha256", s->sha256, "line", (json_int_t) s->line);
}

static json_t *profile_json(const struct img_profile *p) {
        _cleanup_json_ json_t *req = json_array(), *hooks = p->hooks ? json_array() : json_null();
        if (!req || !hooks)
                return NULL;
        for (size_t i = 0; i < p->n_requires; i++) {
                json_t *alts = json_array();
                for (char **a = p->requires[i].alternatives; alts && *a; a++)
                        json_array_append_new(alts, json_string(*a));
                if (!alts || json_array_append_new(req, json_pack("{s:s, s:o}", "text", p->requires[i].text,
                                                                  "alternatives", alts)) < 0)
                        return NULL;
        }
        for (char **h = p->hooks; h && *h; h++)
                json_array_append_new(hooks, json_string(*h));
        return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?, s:o, s:s, s:o, s:I, s:O, s:s?, s:s?, s:O, s:I}", "name",
                         p->name, "version", p->version, "description", p->description, "target",
                         img_target_to_string(p->target), "min_disk_size", (json_int_t) p->min_disk_size, "expires",
                         p->expires ? p->expires_text : NULL, "image", source_json(&p->image), "compression",
                         p->compression == IMG_COMPRESSION_ZSTD ? "zstd" : "none", "bmap", source_json(&p->bmap),
                         "root_partition", (json_int_t) p->root_partition, "requires", req, "default_search_engine",
                         p->search_engine, "search_url", p->search_url, "hooks", hooks, "hook_timeout_sec",
                         (json_int_t) p->hook_timeout_sec);
}

json_t *rctl_profile_check_json(const struct rctl_profile_check *c) {
        bool good = c->sig_r == 0;
        json_t *sig = json_pack("{s:b, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "ok", good, "status", sig_status(c->sig_r),
                                "format", good ? c->info.format : NULL, "key_id", good ? c->info.key_id : NULL,
                                "key_file", good ? c->info.key_file : NULL, "trusted_comment",
                                good && c->info.trusted_comment[0] ? c->info.trusted_comment : NULL, "reason",
                                good ? NULL : c->sig_err);
        return json_pack("{s:s, s:b, s:o, s:o, s:s?, s:b}", "file", c->path, "valid", rctl_profile_check_ok(c),
                         "signature", sig ? sig : json_null(), "profile", c->p ? profile_json(c->p) : json_null(),
                         "error", c->p ? NULL : c->err, "expired", c->expired);
}

int rctl_profile_load_trust(const struct rctl_profile_opts *o, struct img_trust **ret, char *err, size_t errlen) {
        return img_trust_load(o->trusted_keys ? o->trusted_keys : RCTL_PROFILE_DEFAULT_TRUSTED_KEYS, ret, err, errlen);
}

/* ---- show, validate ------------------------------------------------------ */

/* "16 Gio (17.2 Go)": the profile's binary unit, then the label's. */
static void format_size(enum rf_lang lang, uint64_t bytes, char *out, size_t outlen) {
        static const char *const fr[] = { "octets", "Kio", "Mio", "Gio", "Tio" };
        static const char *const en[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
        char dec[32];
        unsigned u = 0;
        uint64_t v = bytes;
        while (u < 4 && v >= 1024 && v % 1024 == 0) {
                v /= 1024;
                u++;
        }
        rf_format_bytes(bytes, lang == RF_LANG_FR, dec, sizeof(dec));
        snprintf(out, outlen, "%llu %s (%s)", (unsigned long long) v, lang == RF_LANG_EN ? en[u] : fr[u], dec);
}

static void print_profile(enum rf_lang lang, const struct img_profile *p) {
        char size[96] = "", part[16] = "", timeout[32];
        if (p->min_disk_size)
                format_size(lang, p->min_disk_size, size, sizeof(size));
        if (p->root_partition)
                snprintf(part, sizeof(part), "%u", p->root_partition);
        snprintf(timeout, sizeof(timeout), "%u s", p->hook_timeout_sec);
        const char *kv[] = {
                RF_TR(lang, "Nom", "Name"), p->name,
                "Version", p->version,
                "Description", p->description[0] ? p->description : NULL,
                RF_TR(lang, "Cible", "Target"), img_target_to_string(p->target),
                RF_TR(lang, "Disque minimum", "Minimum disk"), size[0] ? size : NULL,
                RF_TR(lang, "Expire le", "Expires"), p->expires ? p->expires_text : RF_TR(lang, "jamais", "never"),
                "Image", p->image.resolved,
                "SHA256", p->image.sha256,
                "Compression", p->compression == IMG_COMPRESSION_ZSTD ? "zstd" : "none",
                "Bmap", p->bmap.resolved,
                "BmapSHA256", p->bmap.sha256,
                RF_TR(lang, "Partition racine", "Root partition"),
                part[0] ? part : RF_TR(lang, "la dernière", "the last"),
                RF_TR(lang, "Moteur de recherche", "Search engine"), p->search_engine,
                RF_TR(lang, "URL de recherche", "Search URL"), p->search_url,
                RF_TR(lang, "Délai par crochet", "Timeout per hook"), timeout,
        };
        rctl_print_fields(lang, "  ", kv, ELEMENTSOF(kv) / 2);
        printf("  %s\n", RF_TR(lang, "Logiciels exigés :", "Required software:"));
        for (size_t i = 0; i < p->n_requires; i++)
                printf("    %s\n", p->requires[i].text);
        if (p->n_requires == 0)
                printf("    —\n");
        printf("  %s\n", RF_TR(lang, "Crochets :", "Hooks:"));
        for (char **h = p->hooks; h && *h; h++)
                printf("    %s\n", *h);
        if (!p->hooks)
                printf("    %s\n", RF_TR(lang, "tous ceux du dossier des crochets", "every one of the hooks folder"));
}

static void print_signature(enum rf_lang lang, const struct rctl_profile_check *c) {
        if (c->sig_r == 0) {
                printf(RF_TR(lang, "  Signature : valide (%s, clé %s, %s)\n", "  Signature: valid (%s, key %s, %s)\n"),
                       c->info.format, c->info.key_id, c->info.key_file);
                if (c->info.trusted_comment[0])
                        printf(RF_TR(lang, "  Commentaire signé : %s\n", "  Signed comment: %s\n"),
                               c->info.trusted_comment);
        } else
                printf(RF_TR(lang, "  Signature : %s — %s\n", "  Signature: %s — %s\n"),
                       rctl_profile_sig_words(lang, c->sig_r),
                       c->sig_err);
}

int rctl_profile_show(struct rctl_ctx *ctx, const struct rctl_profile_opts *o) {
        enum rf_lang lang = ctx->lang;
        _cleanup_img_trust_ struct img_trust *t = NULL;
        char trust_err[512] = "";
        struct rctl_profile_check c;

        if (rctl_profile_load_trust(o, &t, trust_err, sizeof(trust_err)) < 0)
                t = NULL;
        rctl_profile_check(o->pos[2], t, trust_err, &c);
        int r = c.p ? RCTL_EXIT_OK : RCTL_EXIT_FAILED;
        if (ctx->json) {
                _cleanup_json_ json_t *j = rctl_profile_check_json(&c);
                int e = j ? rctl_emit_json(ctx, j) : OOM(ctx);
                rctl_profile_check_done(&c);
                return e != RCTL_EXIT_OK ? e : r;
        }
        if (!c.p)
                fprintf(stderr, "%s\n", c.err);
        else {
                printf("%s\n", c.path);
                print_profile(lang, c.p);
                print_signature(lang, &c);
                if (c.expired)
                        printf(RF_TR(lang, "  EXPIRÉ depuis le %s\n", "  EXPIRED since %s\n"), c.p->expires_text);
        }
        rctl_profile_check_done(&c);
        return r;
}

/* SHA-256 of a regular file, streamed. */
static int sha256_file(const char *path, char out[static 65]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_free_ uint8_t *buf = malloc(1024 * 1024);
        struct stat st;
        uint8_t digest[32];

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, 1024 * 1024);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(md, buf, (size_t) n) != 1)
                        return -EIO;
        }
        if (EVP_DigestFinal_ex(md, digest, NULL) != 1)
                return -EIO;
        rf_hex_encode(digest, sizeof(digest), out);
        return 0;
}

/* --files: one referenced file; prints a line, adds to files; false when
 * it does not match. */
static bool check_file(struct rctl_ctx *ctx, const char *what, const struct img_source *s, bool bmap,
                       json_t *files) {
        enum rf_lang lang = ctx->lang;
        char found[65] = "", reason[640] = "";
        bool ok = false;

        if (s->is_url) {
                snprintf(reason, sizeof(reason), "%s",
                         RF_TR(lang, "non vérifié : adresse https://, pas un fichier local",
                               "not checked: an https:// address, not a local file"));
                ok = true;
        } else if (!bmap) {
                int r = sha256_file(s->resolved, found);
                if (r < 0)
                        snprintf(reason, sizeof(reason), RF_TR(lang, "illisible : %s", "unreadable: %s"), strerror(-r));
                else if (strcmp(found, s->sha256) != 0)
                        snprintf(reason, sizeof(reason),
                                 RF_TR(lang, "SHA-256 %s, le profil attend %s", "SHA-256 %s, the profile expects %s"),
                                 found, s->sha256);
                else
                        ok = true;
        } else {
                _cleanup_free_ char *text = NULL;
                _cleanup_img_bmap_ struct img_bmap *b = NULL;
                char err[512] = "";
                size_t len = 0;
                int r = rf_read_file(s->resolved, BMAP_MAX_SIZE, &text, &len);
                if (r < 0)
                        snprintf(reason, sizeof(reason), RF_TR(lang, "illisible : %s", "unreadable: %s"),
                                 r == -EFBIG ? RF_TR(lang, "plus de 64 Mio", "more than 64 MiB") : strerror(-r));
                else if (rf_sha256_hex(text, len, found) < 0)
                        snprintf(reason, sizeof(reason), "SHA-256 ?");
                else if (strcmp(found, s->sha256) != 0)
                        snprintf(reason, sizeof(reason),
                                 RF_TR(lang, "SHA-256 %s, le profil attend %s", "SHA-256 %s, the profile expects %s"),
                                 found, s->sha256);
                else if (img_bmap_parse(s->resolved, text, len, &b, err, sizeof(err)) < 0)
                        snprintf(reason, sizeof(reason), RF_TR(lang, "bmap refusée : %s", "bmap refused: %s"), err);
                else {
                        snprintf(reason, sizeof(reason),
                                 RF_TR(lang, "%zu plages, image de %llu octets", "%zu ranges, image of %llu bytes"),
                                 b->n_ranges, (unsigned long long) b->image_size);
                        ok = true;
                }
        }
        json_array_append_new(files, json_pack("{s:s, s:s, s:b, s:s?, s:s}", "what", what, "resolved", s->resolved,
                                               "ok", ok, "sha256", found[0] ? found : NULL, "detail", reason));
        if (!ctx->json) {
                const char *verdict = !ok         ? RF_TR(lang, "REFUSÉ", "REFUSED")
                                      : s->is_url ? NULL
                                                  : RF_TR(lang, "conforme", "matches");
                printf("  %-6s %s — ", what, s->resolved);
                if (verdict && reason[0])
                        printf(RF_TR(lang, "%s : %s\n", "%s: %s\n"), verdict, reason);
                else
                        printf("%s\n", verdict ? verdict : reason);
        }
        return ok;
}

int rctl_profile_validate(struct rctl_ctx *ctx, const struct rctl_profile_opts *o) {
        enum rf_lang lang = ctx->lang;
        _cleanup_img_trust_ struct img_trust *t = NULL;
        _cleanup_json_ json_t *files = json_array();
        char trust_err[512] = "";
        struct rctl_profile_check c;

        if (!files)
                return OOM(ctx);
        if (rctl_profile_load_trust(o, &t, trust_err, sizeof(trust_err)) < 0)
                t = NULL;
        rctl_profile_check(o->pos[2], t, trust_err, &c);
        bool ok = rctl_profile_check_ok(&c);
        if (!ctx->json) {
                printf(RF_TR(lang, "%s : %s\n", "%s: %s\n"), c.path,
                       ok ? RF_TR(lang, "valide", "valid") : RF_TR(lang, "REFUSÉ", "REFUSED"));
                if (c.read_r == 0)
                        print_signature(lang, &c);
                if (c.p)
                        printf(RF_TR(lang, "  Contenu : %s %s, bien formé\n", "  Content: %s %s, well formed\n"),
                               c.p->name, c.p->version);
                else
                        printf(RF_TR(lang, "  Contenu : %s\n", "  Content: %s\n"), c.err);
                if (c.expired)
                        printf(RF_TR(lang, "  Expiration : profil expiré depuis le %s\n",
                                     "  Expiry: profile expired since %s\n"), c.p->expires_text);
                else if (c.p)
                        printf(RF_TR(lang, "  Expiration : %s\n", "  Expiry: %s\n"),
                               c.p->expires ? c.p->expires_text : RF_TR(lang, "jamais", "never"));
        }
        if (o->files && c.p) {
                ok = check_file(ctx, "Image", &c.p->image, false, files) && ok;
                ok = check_file(ctx, "Bmap", &c.p->bmap, true, files) && ok;
        }
        int r = ok ? RCTL_EXIT_OK : RCTL_EXIT_FAILED;
        if (ctx->json) {
                _cleanup_json_ json_t *j = rctl_profile_check_json(&c);
                if (!j || json_object_set(j, "files", o->files ? files : json_null()) < 0 ||
                    json_object_set_new(j, "valid", json_boolean(ok)) < 0) {
                        rctl_profile_check_done(&c);
                        return OOM(ctx);
                }
                int e = rctl_emit_json(ctx, j);
                r = e != RCTL_EXIT_OK ? e : r;
        } else if (!ok) {
                /* The first reason, on stderr too, for scripts and logs. */
                const char *why = c.read_r < 0 || !c.p ? c.err : c.sig_r != 0 ? c.sig_err : NULL;
                if (why)
                        fprintf(stderr, "%s\n", why);
                else if (c.expired)
                        fprintf(stderr, "%s : profil expiré depuis le %s\n", c.path, c.p->expires_text);
                else
                        fprintf(stderr, "%s : %s\n", c.path,
                                RF_TR(lang, "un fichier référencé ne correspond pas",
                                      "a referenced file does not match"));
        }
        rctl_profile_check_done(&c);
        return r;
}
