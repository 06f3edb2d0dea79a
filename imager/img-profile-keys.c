/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keys of an image profile and their values (img-profile.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "img-profile-internal.h"

#define NAME_MAX_LEN 64
#define VERSION_MAX_LEN 32
#define DESCRIPTION_MAX_LEN 500
#define MAX_REQUIRES 500
#define MAX_ALTERNATIVES 16
#define MAX_HOOKS 64
#define HOOK_NAME_MAX_LEN 64
#define ENGINE_MAX_LEN 64
#define MAX_HOOK_TIMEOUT 3600
#define MAX_ROOT_PARTITION 128

typedef int (*key_handler)(struct img_profile_parser *p, const char *value);

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_NONE] = "", [SECTION_PROFILE] = "Profile", [SECTION_IMAGE] = "Image",
        [SECTION_SOFTWARE] = "Software", [SECTION_BROWSER] = "Browser", [SECTION_HOOKS] = "Hooks",
};

const char *img_profile_section_name(enum img_profile_section s) {
        return s < _SECTION_MAX ? section_names[s] : "?";
}

/* Debian package names: [a-z0-9][a-z0-9+.-]+ (policy 5.6.1). */
static bool package_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n < 2 || n > 128)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || img_is_digit(s[0])))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || img_is_digit(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-'))
                        return false;
        return true;
}

static int set_string(char **field, const char *value) {
        char *copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* ---- [Profile] ---------------------------------------------------------- */

static int key_name(struct img_profile_parser *p, const char *v) {
        if (!img_word_valid(v, NAME_MAX_LEN, "._-"))
                return pfail(p, "Name= « %s » invalide : 1 à %d lettres, chiffres, « . », « _ » ou « - » attendus", v,
                             NAME_MAX_LEN);
        return set_string(&p->profile->name, v);
}

static int key_version(struct img_profile_parser *p, const char *v) {
        if (!img_word_valid(v, VERSION_MAX_LEN, "._-+"))
                return pfail(p,
                             "Version= « %s » invalide : 1 à %d lettres, chiffres, "
                             "« . », « _ », « - » ou « + » attendus",
                             v, VERSION_MAX_LEN);
        return set_string(&p->profile->version, v);
}

static int key_description(struct img_profile_parser *p, const char *v) {
        if (strlen(v) > DESCRIPTION_MAX_LEN)
                return pfail(p, "Description= trop longue (%zu octets, au plus %d)", strlen(v), DESCRIPTION_MAX_LEN);
        return set_string(&p->profile->description, v);
}

static int key_target(struct img_profile_parser *p, const char *v) {
        if (strcmp(v, "any") == 0)
                p->profile->target = IMG_TARGET_ANY;
        else if (strcmp(v, "desktop") == 0)
                p->profile->target = IMG_TARGET_DESKTOP;
        else if (strcmp(v, "laptop") == 0)
                p->profile->target = IMG_TARGET_LAPTOP;
        else
                return pfail(p, "Target= vaut desktop, laptop ou any, pas « %s »", v);
        return 0;
}

/* Digits, then an optional K/M/G/T (powers of 1024). */
static int parse_size(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        const char *c = s;

        if (!img_is_digit(*c))
                return -EINVAL;
        for (; img_is_digit(*c); c++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*c - '0');
        }
        unsigned shift = 0;
        switch (*c) {
        case '\0':
                break;
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        default:
                return -EINVAL;
        }
        if (*c && c[1])
                return -EINVAL;
        /* At most INT64_MAX: sizes go into JSON and off_t. */
        if (v > ((uint64_t) INT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

static int key_min_disk_size(struct img_profile_parser *p, const char *v) {
        int r = parse_size(v, &p->profile->min_disk_size);
        if (r == -ERANGE)
                return pfail(p, "MinimumDiskSize= « %s » hors limites", v);
        if (r < 0)
                return pfail(p,
                             "MinimumDiskSize= « %s » invalide : un nombre d'octets, suffixes K, M, G ou T "
                             "(1024^n), par exemple 16G",
                             v);
        return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (int64_t) (m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t) d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int key_expires(struct img_profile_parser *p, const char *v) {
        static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool shape = strlen(v) == 10 && v[4] == '-' && v[7] == '-';
        for (size_t i = 0; shape && i < 10; i++)
                if (i != 4 && i != 7 && !img_is_digit(v[i]))
                        shape = false;
        if (!shape)
                return pfail(p, "Expires= « %s » invalide : une date AAAA-MM-JJ attendue", v);

        unsigned y = (unsigned) (v[0] - '0') * 1000 + (unsigned) (v[1] - '0') * 100 + (unsigned) (v[2] - '0') * 10 +
                     (unsigned) (v[3] - '0');
        unsigned m = (unsigned) (v[5] - '0') * 10 + (unsigned) (v[6] - '0');
        unsigned d = (unsigned) (v[8] - '0') * 10 + (unsigned) (v[9] - '0');
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
                return pfail(p, "Expires= « %s » n'est pas une date du calendrier", v);

        int64_t end = (days_from_civil(y, m, d) + 1) * 86400 - 1;
        if ((int64_t) (time_t) end != end)
                return pfail(p, "Expires= « %s » hors limites", v);
        p->profile->expires = (time_t) end;
        memcpy(p->profile->expires_text, v, 11);
        return 0;
}

/* ---- [Image] ------------------------------------------------------------ */

static int sha256_set(struct img_profile_parser *p, const char *key, const char *v, char out[static 65]) {
        if (strlen(v) != 64 || strspn(v, "0123456789abcdefABCDEF") != 64)
                return pfail(p, "%s= invalide : 64 chiffres hexadécimaux attendus (SHA-256), pas « %s »", key, v);
        for (size_t i = 0; i < 64; i++)
                out[i] = (v[i] >= 'A' && v[i] <= 'F') ? (char) (v[i] - 'A' + 'a') : v[i];
        out[64] = '\0';
        return 0;
}

/* https://host[:port]/…: host of letters, digits, '.', '-' or a bracketed
 * IPv6 address; no credentials, no spaces. */
static int check_https_url(struct img_profile_parser *p, const char *key, const char *v) {
        const char *host = v + strlen("https://");
        size_t hlen = strcspn(host, "/?#");
        if (hlen == 0)
                return pfail(p, "%s= « %s » : l'URL n'a pas de nom d'hôte", key, v);
        if (memchr(host, '@', hlen))
                return pfail(p, "%s= « %s » : pas d'identifiants dans l'URL", key, v);
        size_t name_len = hlen;
        if (host[0] == '[') {
                const char *close = memchr(host, ']', hlen);
                if (!close)
                        return pfail(p, "%s= « %s » : adresse IPv6 non fermée par « ] »", key, v);
                for (const char *c = host + 1; c < close; c++)
                        if (!strchr("0123456789abcdefABCDEF:.", *c))
                                return pfail(p, "%s= « %s » : adresse IPv6 invalide", key, v);
                name_len = (size_t) (close - host) + 1;
        } else {
                const char *colon = memchr(host, ':', hlen);
                if (colon)
                        name_len = (size_t) (colon - host);
                for (size_t i = 0; i < name_len; i++)
                        if (!img_is_alnum(host[i]) && host[i] != '.' && host[i] != '-')
                                return pfail(p, "%s= « %s » : nom d'hôte invalide", key, v);
                if (name_len == 0)
                        return pfail(p, "%s= « %s » : l'URL n'a pas de nom d'hôte", key, v);
        }
        if (name_len < hlen) {
                const char *port = host + name_len;
                size_t plen = hlen - name_len - 1;
                if (port[0] != ':' || plen == 0 || plen > 5 || strspn(port + 1, "0123456789") < plen ||
                    strtoul(port + 1, NULL, 10) > 65535 || strtoul(port + 1, NULL, 10) == 0)
                        return pfail(p, "%s= « %s » : port invalide", key, v);
        }
        if (strpbrk(v, " \"<>\\^`{|}"))
                return pfail(p, "%s= « %s » : caractère interdit dans une URL (encodez-le en %%XX)", key, v);
        return 0;
}

/* Drop "." components and repeated slashes of an absolute path. */
static void path_simplify(char *path) {
        char *out = path;
        const char *in = path;
        while (*in) {
                if (in[0] == '/' && (in[1] == '/' || (in[1] == '.' && (in[2] == '/' || in[2] == '\0')))) {
                        in += in[1] == '/' ? 1 : 2;
                        continue;
                }
                *out++ = *in++;
        }
        if (out == path)
                *out++ = '/';
        *out = '\0';
        size_t n = strlen(path);
        if (n > 1 && path[n - 1] == '/')
                path[n - 1] = '\0';
}

static int source_set(struct img_profile_parser *p, const char *key, const char *v, struct img_source *s) {
        _cleanup_free_ char *location = strdup(v), *resolved = NULL;
        if (!location)
                return -ENOMEM;
        const char *sep = strstr(v, "://");
        bool scheme = sep && sep > v &&
                      strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") ==
                              (size_t) (sep - v);

        if (scheme) {
                if (strncmp(v, "https://", 8) != 0) {
                        if (strncasecmp(v, "http://", 7) == 0)
                                return pfail(p, "%s= « %s » refusé : http:// n'est pas chiffré, utilisez https:// ou "
                                             "un chemin de fichier", key, v);
                        return pfail(p, "%s= « %s » refusé : seuls https://, un chemin absolu ou un chemin relatif au "
                                     "dossier du profil sont acceptés", key, v);
                }
                int r = check_https_url(p, key, v);
                if (r < 0)
                        return r;
                resolved = strdup(v);
        } else if (v[0] == '/') {
                resolved = strdup(v);
        } else {
                if (asprintf(&resolved, "%s/%s", p->base_dir, v) < 0)
                        resolved = NULL;
        }
        if (!resolved)
                return -ENOMEM;
        if (!scheme) {
                path_simplify(resolved);
                if (strlen(resolved) >= PATH_MAX)
                        return pfail(p, "%s= « %s » : chemin trop long", key, v);
                const char *last = strrchr(v, '/');
                last = last ? last + 1 : v;
                if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0 || strcmp(resolved, "/") == 0)
                        return pfail(p, "%s= « %s » : un fichier est attendu, pas un dossier", key, v);
        }
        free(s->location);
        free(s->resolved);
        s->location = TAKE_PTR(location);
        s->resolved = TAKE_PTR(resolved);
        s->is_url = scheme;
        s->line = p->line;
        return 0;
}

static int key_location(struct img_profile_parser *p, const char *v) {
        return source_set(p, "Location", v, &p->profile->image);
}

static int key_sha256(struct img_profile_parser *p, const char *v) {
        return sha256_set(p, "SHA256", v, p->profile->image.sha256);
}

static int key_compression(struct img_profile_parser *p, const char *v) {
        if (strcmp(v, "zstd") == 0)
                p->profile->compression = IMG_COMPRESSION_ZSTD;
        else if (strcmp(v, "none") == 0)
                p->profile->compression = IMG_COMPRESSION_NONE;
        else
                return pfail(p, "Compression= vaut zstd ou none, pas « %s »", v);
        p->compression_given = true;
        return 0;
}

static int key_bmap(struct img_profile_parser *p, const char *v) {
        return source_set(p, "Bmap", v, &p->profile->bmap);
}

static int key_bmap_sha256(struct img_profile_parser *p, const char *v) {
        return sha256_set(p, "BmapSHA256", v, p->profile->bmap.sha256);
}

/* Decimal integer in min..max, no sign, no leading zeros beyond "0". */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret) {
        size_t n = strlen(s);
        if (n == 0 || n > 9 || strspn(s, "0123456789") != n || (n > 1 && s[0] == '0'))
                return -EINVAL;
        unsigned long v = strtoul(s, NULL, 10);
        if (v < min || v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

static int key_root_partition(struct img_profile_parser *p, const char *v) {
        if (parse_uint(v, 1, MAX_ROOT_PARTITION, &p->profile->root_partition) < 0)
                return pfail(p, "RootPartition= « %s » invalide : un numéro de partition de 1 à %d attendu", v,
                             MAX_ROOT_PARTITION);
        return 0;
}

/* ---- [Software], [Browser], [Hooks] ------------------------------------- */

void img_requirement_done(struct img_requirement *r) {
        free(r->text);
        if (r->alternatives)
                for (char **a = r->alternatives; *a; a++)
                        free(*a);
        free((void *) r->alternatives);
}

static int key_require(struct img_profile_parser *p, const char *v) {
        struct img_profile *prof = p->profile;
        _cleanup_free_ char *copy = strdup(v);
        struct img_requirement req = { .line = p->line };
        size_t n = 0, text_len = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        if (prof->n_requires >= MAX_REQUIRES)
                return pfail(p, "trop de Require= (au plus %d)", MAX_REQUIRES);
        req.alternatives = calloc(MAX_ALTERNATIVES + 1, sizeof(char *));
        size_t text_size = 3 * strlen(v) + 1; /* "a|b" becomes "a | b" */
        req.text = malloc(text_size);
        if (!req.alternatives || !req.text) {
                img_requirement_done(&req);
                return -ENOMEM;
        }
        for (char *tok = copy, *next; tok; tok = next) {
                next = strchr(tok, '|');
                if (next)
                        *next++ = '\0';
                char *name = img_strip(tok);
                if (!*name)
                        r = pfail(p, "Require= « %s » : alternative vide autour de « | »", v);
                else if (!package_name_valid(name))
                        r = pfail(p, "Require= « %s » : « %s » n'est pas un nom de paquet Debian "
                                  "([a-z0-9][a-z0-9+.-]+)", v, name);
                else if (n >= MAX_ALTERNATIVES)
                        r = pfail(p, "Require= « %s » : plus de %d alternatives", v, MAX_ALTERNATIVES);
                else if (!(req.alternatives[n] = strdup(name)))
                        r = -ENOMEM;
                if (r < 0)
                        break;
                int k = snprintf(req.text + text_len, text_size - text_len, "%s%s", n > 0 ? " | " : "", name);
                if (k < 0 || (size_t) k >= text_size - text_len) {
                        r = -ENOMEM;
                        break;
                }
                text_len += (size_t) k;
                n++;
        }
        if (r == 0) {
                struct img_requirement *nr = reallocarray(prof->requires, prof->n_requires + 1, sizeof(*nr));
                if (!nr)
                        r = -ENOMEM;
                else {
                        prof->requires = nr;
                        prof->requires[prof->n_requires++] = req;
                        return 0;
                }
        }
        img_requirement_done(&req);
        return r;
}

static int key_search_engine(struct img_profile_parser *p, const char *v) {
        if (strlen(v) > ENGINE_MAX_LEN)
                return pfail(p, "DefaultSearchEngine= trop long (au plus %d octets)", ENGINE_MAX_LEN);
        return set_string(&p->profile->search_engine, v);
}

static int key_search_url(struct img_profile_parser *p, const char *v) {
        if (strncmp(v, "https://", 8) != 0)
                return pfail(p, "SearchURL= « %s » : une URL https:// attendue", v);
        if (!strstr(v, "{searchTerms}"))
                return pfail(p, "SearchURL= « %s » : {searchTerms} manque (la place des mots cherchés)", v);
        const char *host = v + 8;
        if (strcspn(host, "/?#") == 0)
                return pfail(p, "SearchURL= « %s » : l'URL n'a pas de nom d'hôte", v);
        if (strpbrk(v, " \"<>\\^`|"))
                return pfail(p, "SearchURL= « %s » : caractère interdit dans une URL", v);
        return set_string(&p->profile->search_url, v);
}

static int key_run(struct img_profile_parser *p, const char *v) {
        struct img_profile *prof = p->profile;
        if (!img_word_valid(v, HOOK_NAME_MAX_LEN, "_-"))
                return pfail(p, "Run= « %s » invalide : nom de crochet de 1 à %d lettres, chiffres, « _ » ou « - »", v,
                             HOOK_NAME_MAX_LEN);
        for (size_t i = 0; i < p->n_hooks; i++)
                if (strcmp(prof->hooks[i], v) == 0)
                        return pfail(p, "Run= « %s » est déjà donné", v);
        if (p->n_hooks >= MAX_HOOKS)
                return pfail(p, "trop de Run= (au plus %d crochets)", MAX_HOOKS);
        char **nh = reallocarray((void *) prof->hooks, p->n_hooks + 2, sizeof(char *));
        if (!nh)
                return -ENOMEM;
        prof->hooks = nh;
        if (!(nh[p->n_hooks] = strdup(v)))
                return -ENOMEM;
        nh[++p->n_hooks] = NULL;
        return 0;
}

static int key_timeout(struct img_profile_parser *p, const char *v) {
        if (parse_uint(v, 1, MAX_HOOK_TIMEOUT, &p->profile->hook_timeout_sec) < 0)
                return pfail(p, "TimeoutSec= « %s » invalide : un nombre de secondes de 1 à %d attendu", v,
                             MAX_HOOK_TIMEOUT);
        return 0;
}

static const struct {
        const char *name;
        key_handler handler;
        enum img_profile_section section;
        bool repeatable;
        bool may_be_empty;
} keys[_KEY_MAX] = {
        [KEY_NAME] = { "Name", key_name, SECTION_PROFILE, false, false },
        [KEY_VERSION] = { "Version", key_version, SECTION_PROFILE, false, false },
        [KEY_DESCRIPTION] = { "Description", key_description, SECTION_PROFILE, false, true },
        [KEY_TARGET] = { "Target", key_target, SECTION_PROFILE, false, false },
        [KEY_MIN_DISK_SIZE] = { "MinimumDiskSize", key_min_disk_size, SECTION_PROFILE, false, false },
        [KEY_EXPIRES] = { "Expires", key_expires, SECTION_PROFILE, false, false },
        [KEY_LOCATION] = { "Location", key_location, SECTION_IMAGE, false, false },
        [KEY_SHA256] = { "SHA256", key_sha256, SECTION_IMAGE, false, false },
        [KEY_COMPRESSION] = { "Compression", key_compression, SECTION_IMAGE, false, false },
        [KEY_BMAP] = { "Bmap", key_bmap, SECTION_IMAGE, false, false },
        [KEY_BMAP_SHA256] = { "BmapSHA256", key_bmap_sha256, SECTION_IMAGE, false, false },
        [KEY_ROOT_PARTITION] = { "RootPartition", key_root_partition, SECTION_IMAGE, false, false },
        [KEY_REQUIRE] = { "Require", key_require, SECTION_SOFTWARE, true, false },
        [KEY_SEARCH_ENGINE] = { "DefaultSearchEngine", key_search_engine, SECTION_BROWSER, false, false },
        [KEY_SEARCH_URL] = { "SearchURL", key_search_url, SECTION_BROWSER, false, false },
        [KEY_RUN] = { "Run", key_run, SECTION_HOOKS, true, false },
        [KEY_TIMEOUT] = { "TimeoutSec", key_timeout, SECTION_HOOKS, false, false },
};

int img_profile_key(struct img_profile_parser *p, const char *key, const char *value) {
        for (int k = 0; k < _KEY_MAX; k++) {
                if (keys[k].section != p->section || strcmp(keys[k].name, key) != 0)
                        continue;
                if (!keys[k].repeatable && p->key_line[k])
                        return pfail(p, "%s= en double (déjà donné ligne %u)", key, p->key_line[k]);
                if (!*value && !keys[k].may_be_empty)
                        return pfail(p, "%s= est vide", key);
                p->key_line[k] = p->line;
                return keys[k].handler(p, value);
        }
        return pfail(p, "clé « %s » inconnue dans la section [%s]", key, section_names[p->section]);
}

int img_profile_finish(struct img_profile_parser *p) {
        static const enum img_profile_key required[] = { KEY_NAME,     KEY_VERSION, KEY_LOCATION,
                                                         KEY_SHA256,   KEY_BMAP,    KEY_BMAP_SHA256 };
        for (size_t i = 0; i < ELEMENTSOF(required); i++) {
                enum img_profile_key k = required[i];
                enum img_profile_section s = keys[k].section;
                if (p->key_line[k])
                        continue;
                if (!p->section_line[s])
                        return img_profile_fail_at(p, 0, "la section [%s] manque (%s= y est obligatoire)",
                                                   section_names[s], keys[k].name);
                return img_profile_fail_at(p, p->section_line[s], "%s= manque dans la section [%s] (obligatoire)",
                                           keys[k].name, section_names[s]);
        }
        struct img_profile *prof = p->profile;
        if (!p->compression_given) {
                size_t n = strlen(prof->image.location);
                prof->compression = n > 4 && strcmp(prof->image.location + n - 4, ".zst") == 0 ? IMG_COMPRESSION_ZSTD
                                                                                               : IMG_COMPRESSION_NONE;
        }
        if (!prof->description && !(prof->description = strdup("")))
                return -ENOMEM;
        return 0;
}
