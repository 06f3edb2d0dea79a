/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Image profiles (img-profile.h, docs/refurb-profile.5): a strict INI
 * reader in the style of refurbd.conf, with French messages "file:line: …".
 * The keys themselves are in img-profile-keys.c. */
#include "img-profile.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img-profile-internal.h"
#include "rf-macro.h"
#include "rf-util.h"

#define PROFILE_MAX_SIZE ((size_t) (1 * MiB))
#define PROFILE_MAX_LINE 4096
#define DEFAULT_HOOK_TIMEOUT 300

static void set_errorf(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void set_errorf(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen > 0)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

int img_profile_fail_at(const struct img_profile_parser *p, unsigned line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (p->err && p->errlen > 0) {
                int n = line > 0 ? snprintf(p->err, p->errlen, "%s:%u: ", p->file, line)
                                 : snprintf(p->err, p->errlen, "%s: ", p->file);
                if (n >= 0 && (size_t) n < p->errlen)
                        vsnprintf(p->err + n, p->errlen - (size_t) n, fmt, ap);
        }
        va_end(ap);
        return -EINVAL;
}

static bool has_control(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static int section_line(struct img_profile_parser *p, char *l) {
        size_t n = strlen(l);
        if (n < 2 || l[n - 1] != ']')
                return pfail(p, "ligne qui n'est ni « Clé=Valeur » ni « [Section] »");
        l[n - 1] = '\0';
        const char *name = img_strip(l + 1);
        for (int s = SECTION_PROFILE; s < _SECTION_MAX; s++) {
                if (strcmp(name, img_profile_section_name((enum img_profile_section) s)) != 0)
                        continue;
                if (p->section_line[s])
                        return pfail(p, "section [%s] en double (déjà ouverte ligne %u)", name, p->section_line[s]);
                p->section_line[s] = p->line;
                p->section = (enum img_profile_section) s;
                return 0;
        }
        return pfail(p, "section [%s] inconnue (Profile, Image, Software, Browser ou Hooks attendue)", name);
}

static int parse_line(struct img_profile_parser *p, char *raw) {
        char *l = img_strip(raw);

        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[')
                return section_line(p, l);

        char *eq = strchr(l, '=');
        if (!eq)
                return pfail(p, "ligne qui n'est ni « Clé=Valeur » ni « [Section] »");
        *eq = '\0';
        char *key = img_strip(l), *value = img_strip(eq + 1);
        if (!*key || !img_word_valid(key, 64, ""))
                return pfail(p, "ligne qui n'est ni « Clé=Valeur » ni « [Section] »");
        if (has_control(value))
                return pfail(p, "%s= contient un caractère de contrôle", key);
        if (p->section == SECTION_NONE)
                return pfail(p, "« %s= » avant toute section ([Profile] attendue en tête)", key);

        return img_profile_key(p, key, value);
}

/* The folder of name, made absolute against the current directory. */
static int make_base_dir(const char *name, const char *base_dir, char **ret) {
        _cleanup_free_ char *dir = NULL;
        char cwd[PATH_MAX];

        if (base_dir)
                dir = strdup(base_dir);
        else {
                const char *slash = strrchr(name, '/');
                dir = slash ? strndup(name, slash == name ? 1 : (size_t) (slash - name)) : strdup(".");
        }
        if (!dir)
                return -ENOMEM;
        if (dir[0] != '/') {
                if (!getcwd(cwd, sizeof(cwd)))
                        return negative_errno();
                char *abs = NULL;
                if (asprintf(&abs, "%s/%s", cwd, dir) < 0)
                        return -ENOMEM;
                free(dir);
                dir = abs;
        }
        *ret = TAKE_PTR(dir);
        return 0;
}

static int parse_text(struct img_profile_parser *p, const char *text, size_t len) {
        char line[PROFILE_MAX_LINE + 1];
        size_t pos = 0;

        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                pos = 3;
        while (pos < len) {
                const char *start = text + pos;
                const char *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;
                pos += n + (nl ? 1 : 0);
                p->line++;

                if (n > PROFILE_MAX_LINE)
                        return pfail(p, "ligne de plus de %d octets", PROFILE_MAX_LINE);
                if (memchr(start, '\0', n))
                        return pfail(p, "la ligne contient un octet nul");
                if (!rf_utf8_valid(start, n))
                        return pfail(p, "la ligne n'est pas de l'UTF-8 valide");
                memcpy(line, start, n);
                line[n] = '\0';
                int r = parse_line(p, line);
                if (r < 0)
                        return r;
        }
        return img_profile_finish(p);
}

int img_profile_parse(const char *name, const char *base_dir, const char *text, size_t len,
                      struct img_profile **ret, char *err, size_t errlen) {
        if (!name || (!text && len > 0) || !ret)
                return -EINVAL;
        if (len > PROFILE_MAX_SIZE) {
                set_errorf(err, errlen, "%s: fichier de plus de 1 Mio (%zu octets)", name, len);
                return -EFBIG;
        }
        struct img_profile *prof = calloc(1, sizeof(*prof));
        if (!prof)
                return -ENOMEM;
        prof->hook_timeout_sec = DEFAULT_HOOK_TIMEOUT;
        struct img_profile_parser p = { .profile = prof, .file = name, .err = err, .errlen = errlen };
        int r = (prof->path = strdup(name)) ? make_base_dir(name, base_dir, &p.base_dir) : -ENOMEM;
        if (r == 0)
                r = parse_text(&p, text ? text : "", len);
        free(p.base_dir);
        if (r < 0) {
                if (r != -EINVAL)
                        set_errorf(err, errlen, "%s: %s", name, strerror(-r));
                img_profile_free(prof);
                return r;
        }
        *ret = prof;
        return 0;
}

void img_profile_free(struct img_profile *p) {
        if (!p)
                return;
        free(p->path);
        free(p->name);
        free(p->version);
        free(p->description);
        free(p->image.location);
        free(p->image.resolved);
        free(p->bmap.location);
        free(p->bmap.resolved);
        for (size_t i = 0; i < p->n_requires; i++)
                img_requirement_done(&p->requires[i]);
        free(p->requires);
        free(p->search_engine);
        free(p->search_url);
        if (p->hooks)
                for (char **h = p->hooks; *h; h++)
                        free(*h);
        free((void *) p->hooks);
        free(p);
}

const char *img_target_to_string(enum img_target t) {
        switch (t) {
        case IMG_TARGET_ANY:
                return "any";
        case IMG_TARGET_DESKTOP:
                return "desktop";
        case IMG_TARGET_LAPTOP:
                return "laptop";
        }
        return "unknown";
}

int img_profile_expired(const struct img_profile *p, time_t now) {
        return p && p->expires != 0 && now > p->expires ? 1 : 0;
}

const char *img_requirement_satisfied(const struct img_requirement *r,
                                      bool (*is_installed)(const char *name, void *userdata), void *userdata) {
        if (!r || !r->alternatives || !is_installed)
                return NULL;
        for (char **a = r->alternatives; *a; a++)
                if (is_installed(*a, userdata))
                        return *a;
        return NULL;
}
