/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /var/lib/dpkg/status of the written system: control-file syntax (Debian
 * policy §5.1), read strictly. Only what the proof needs is kept: name,
 * version, architecture and Provides of the installed packages. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img-proof-private.h"
#include "rf-macro.h"
#include "rf-util.h"

#define DPKG_MAX_SIZE (64 * MiB)
#define DPKG_MAX_STANZAS 100000
#define DPKG_MAX_LINE (1 * MiB)   /* librust-*-dev Provides lines reach tens of KiB */
#define DPKG_MAX_FIELD (1 * MiB)  /* a field with its continuation lines */
#define DPKG_MAX_FIELD_NAME 128
#define DPKG_MAX_NAME 256          /* package, version, architecture */
#define DPKG_MAX_PROVIDES 100000   /* per package */

enum field {
        FIELD_PACKAGE,
        FIELD_STATUS,
        FIELD_VERSION,
        FIELD_ARCHITECTURE,
        FIELD_PROVIDES,
        _FIELD_KEPT,
        FIELD_OTHER = _FIELD_KEPT,
        FIELD_NONE,
};

static const char *const field_names[_FIELD_KEPT] = {
        [FIELD_PACKAGE] = "Package",
        [FIELD_STATUS] = "Status",
        [FIELD_VERSION] = "Version",
        [FIELD_ARCHITECTURE] = "Architecture",
        [FIELD_PROVIDES] = "Provides",
};

struct stanza {
        unsigned first_line;   /* 0: no stanza open */
        char *value[_FIELD_KEPT];
        size_t len[_FIELD_KEPT];
        unsigned line[_FIELD_KEPT];
        enum field cur;        /* field continued by a line starting with a blank */
        size_t cur_len;        /* its length so far */
};

struct parser {
        struct img_dpkg *d;
        size_t cap;
        unsigned line;
        unsigned stanzas;
        struct stanza s;
        char *err;
        size_t errlen;
};

static void stanza_reset(struct stanza *s) {
        for (size_t i = 0; i < _FIELD_KEPT; i++)
                free(s->value[i]);
        *s = (struct stanza){ .cur = FIELD_NONE };
}

static void pkg_done(struct img_pkg *p) {
        free(p->name);
        free(p->version);
        free(p->arch);
        if (p->provides)
                for (char **q = p->provides; *q; q++)
                        free(*q);
        free(p->provides);
        *p = (struct img_pkg){ 0 };
}

void img_dpkg_clear(struct img_dpkg *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n; i++)
                pkg_done(&d->pkgs[i]);
        free(d->pkgs);
        *d = (struct img_dpkg){ 0 };
}

static int fail_at(const struct parser *ps, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int fail_at(const struct parser *ps, unsigned line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (ps->err && ps->errlen > 0) {
                int n = snprintf(ps->err, ps->errlen, "status:%u: ", line);
                if (n >= 0 && (size_t) n < ps->errlen)
                        vsnprintf(ps->err + n, ps->errlen - (size_t) n, fmt, ap);
        }
        va_end(ap);
        return -EINVAL;
}

/* Up to 40 bytes of s, printable ASCII only, for messages. */
static const char *excerpt(const char *s, size_t len, char buf[static 48]) {
        size_t n = 0;
        for (size_t i = 0; i < len && n < 40; i++)
                buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        if (len > 40) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n] = '\0';
        return buf;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool is_lower_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Debian policy §5.6.1: [a-z0-9][a-z0-9+.-]+ */
static bool package_name_valid(const char *s, size_t n) {
        if (n < 2 || n > DPKG_MAX_NAME || !is_lower_alnum(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_lower_alnum(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
                        return false;
        return true;
}

/* §5.6.12: [epoch:]upstream[-revision], characters A-Za-z0-9.+~:- */
static bool version_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > DPKG_MAX_NAME)
                return false;
        for (; *s; s++)
                if (!is_lower_alnum(*s) && !(*s >= 'A' && *s <= 'Z') && !strchr(".+~:-", *s))
                        return false;
        return true;
}

static bool arch_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > DPKG_MAX_NAME)
                return false;
        for (; *s; s++)
                if (!is_lower_alnum(*s) && *s != '-')
                        return false;
        return true;
}

/* The field name of a line equals name, ignoring ASCII case. Bounded by n:
 * the line is not NUL-terminated (it points into the whole status file). */
static bool field_is(const char *line, size_t n, const char *name) {
        size_t i = 0;
        for (; i < n && name[i]; i++) {
                char a = line[i], b = name[i];
                if (a >= 'A' && a <= 'Z')
                        a = (char) (a - 'A' + 'a');
                if (b >= 'A' && b <= 'Z')
                        b = (char) (b - 'A' + 'a');
                if (a != b)
                        return false;
        }
        return i == n && name[i] == '\0';
}

static bool field_name_valid(const char *s, size_t n) {
        if (n == 0 || n > DPKG_MAX_FIELD_NAME || s[0] == '#' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ':')
                        return false;
        return true;
}

/* "foo (= 1.2), bar:any , baz" -> NULL-terminated names. */
static int parse_provides(const struct parser *ps, const char *v, char ***ret) {
        size_t n = 0, cap = 0;
        char **list = NULL;
        int r = 0;

        for (const char *item = v; item && r == 0;) {
                const char *comma = strchr(item, ',');
                const char *end = comma ? comma : item + strlen(item);
                while (item < end && is_blank(*item))
                        item++;
                const char *name_end = item;
                while (name_end < end && !is_blank(*name_end) && *name_end != '(')
                        name_end++;
                size_t len = (size_t) (name_end - item);
                /* a ":arch" qualifier is not part of the name */
                const char *colon = memchr(item, ':', len);
                size_t name_len = colon ? (size_t) (colon - item) : len;
                char buf[48];
                if (!package_name_valid(item, name_len)) {
                        r = fail_at(ps, ps->s.line[FIELD_PROVIDES], "Provides : nom de paquet invalide « %s »",
                                    excerpt(item, (size_t) (end - item), buf));
                        break;
                }
                /* after the name: nothing, or one version constraint "(= 1.2)" */
                const char *rest = name_end, *rest_end = end;
                while (rest < rest_end && is_blank(*rest))
                        rest++;
                while (rest_end > rest && is_blank(rest_end[-1]))
                        rest_end--;
                if (rest < rest_end && (rest[0] != '(' || rest_end[-1] != ')' ||
                                        memchr(rest + 1, '(', (size_t) (rest_end - rest - 1)) ||
                                        memchr(rest, ')', (size_t) (rest_end - rest - 1)))) {
                        r = fail_at(ps, ps->s.line[FIELD_PROVIDES], "Provides : « %s » n'est pas « nom » ni « nom (= version) »",
                                    excerpt(item, (size_t) (end - item), buf));
                        break;
                }
                if (n + 2 > cap) {
                        if (n + 1 > DPKG_MAX_PROVIDES) {
                                r = fail_at(ps, ps->s.line[FIELD_PROVIDES], "Provides : plus de %u noms",
                                            (unsigned) DPKG_MAX_PROVIDES);
                                break;
                        }
                        size_t ncap = cap ? cap * 2 : 8;
                        char **nl = reallocarray(list, ncap, sizeof(*nl));
                        if (!nl) {
                                r = -ENOMEM;
                                break;
                        }
                        list = nl;
                        cap = ncap;
                }
                list[n] = rf_memdup_str(item, name_len);
                if (!list[n]) {
                        r = -ENOMEM;
                        break;
                }
                list[++n] = NULL;
                item = comma ? comma + 1 : NULL;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(list[i]);
                free(list);
                return r;
        }
        *ret = list;
        return 0;
}

static int stanza_end(struct parser *ps) {
        struct stanza *s = &ps->s;
        char buf[48];

        if (s->first_line == 0)
                return 0;
        if (++ps->stanzas > DPKG_MAX_STANZAS)
                return fail_at(ps, s->first_line, "plus de %u paquets", (unsigned) DPKG_MAX_STANZAS);
        if (!s->value[FIELD_PACKAGE])
                return fail_at(ps, s->first_line, "paragraphe sans champ Package");
        const char *name = s->value[FIELD_PACKAGE];
        if (!package_name_valid(name, s->len[FIELD_PACKAGE]))
                return fail_at(ps, s->line[FIELD_PACKAGE], "nom de paquet invalide « %s »",
                               excerpt(name, s->len[FIELD_PACKAGE], buf));
        if (!s->value[FIELD_STATUS])
                return fail_at(ps, s->first_line, "paquet %s sans champ Status", name);

        char want[32], flag[32], state[32], extra;
        if (sscanf(s->value[FIELD_STATUS], "%31s %31s %31s %c", want, flag, state, &extra) != 3)
                return fail_at(ps, s->line[FIELD_STATUS], "Status « %s » : trois mots attendus (ex. « install ok installed »)",
                               excerpt(s->value[FIELD_STATUS], s->len[FIELD_STATUS], buf));
        bool installed = (streq(want, "install") || streq(want, "hold")) && streq(flag, "ok") && streq(state, "installed");
        if (!installed) {
                stanza_reset(s);
                return 0;
        }

        const char *version = s->value[FIELD_VERSION];
        if (!version)
                return fail_at(ps, s->first_line, "paquet installé %s sans champ Version", name);
        if (!version_valid(version))
                return fail_at(ps, s->line[FIELD_VERSION], "version invalide « %s »",
                               excerpt(version, s->len[FIELD_VERSION], buf));
        const char *arch = s->value[FIELD_ARCHITECTURE];
        if (arch && !arch_valid(arch))
                return fail_at(ps, s->line[FIELD_ARCHITECTURE], "architecture invalide « %s »",
                               excerpt(arch, s->len[FIELD_ARCHITECTURE], buf));

        _cleanup_free_ char **provides = NULL;
        if (s->value[FIELD_PROVIDES] && s->value[FIELD_PROVIDES][0]) {
                int r = parse_provides(ps, s->value[FIELD_PROVIDES], &provides);
                if (r < 0)
                        return r;
        }

        if (ps->d->n == ps->cap) {
                size_t ncap = ps->cap ? ps->cap * 2 : 256;
                struct img_pkg *n = reallocarray(ps->d->pkgs, ncap, sizeof(*n));
                if (!n) {
                        if (provides)
                                for (char **q = provides; *q; q++)
                                        free(*q);
                        return -ENOMEM;
                }
                ps->d->pkgs = n;
                ps->cap = ncap;
        }
        ps->d->pkgs[ps->d->n++] = (struct img_pkg){
                .name = TAKE_PTR(s->value[FIELD_PACKAGE]),
                .version = TAKE_PTR(s->value[FIELD_VERSION]),
                .arch = TAKE_PTR(s->value[FIELD_ARCHITECTURE]),
                .provides = TAKE_PTR(provides),
        };
        stanza_reset(s);
        return 0;
}

static int field_line(struct parser *ps, const char *line, size_t ll) {
        struct stanza *s = &ps->s;
        char buf[48];

        const char *colon = memchr(line, ':', ll);
        if (!colon)
                return fail_at(ps, ps->line, "ligne sans « : » hors d'une continuation : « %s »", excerpt(line, ll, buf));
        size_t nlen = (size_t) (colon - line);
        if (!field_name_valid(line, nlen))
                return fail_at(ps, ps->line, "nom de champ invalide « %s »", excerpt(line, nlen, buf));

        const char *v = colon + 1, *end = line + ll;
        while (v < end && is_blank(*v))
                v++;
        while (end > v && (is_blank(end[-1]) || end[-1] == '\r'))
                end--;

        if (s->first_line == 0)
                s->first_line = ps->line;
        s->cur = FIELD_OTHER;
        s->cur_len = ll;
        for (size_t i = 0; i < _FIELD_KEPT; i++) {
                if (!field_is(line, nlen, field_names[i]))
                        continue;
                if (s->value[i])
                        return fail_at(ps, ps->line, "champ %s en double (déjà ligne %u)", field_names[i], s->line[i]);
                s->value[i] = rf_memdup_str(v, (size_t) (end - v));
                if (!s->value[i])
                        return -ENOMEM;
                s->len[i] = (size_t) (end - v);
                s->line[i] = ps->line;
                s->cur = (enum field) i;
                break;
        }
        return 0;
}

static int continuation_line(struct parser *ps, const char *line, size_t ll) {
        struct stanza *s = &ps->s;

        if (s->cur == FIELD_NONE)
                return fail_at(ps, ps->line, "ligne de continuation (commençant par une espace) hors d'un champ");
        if (s->cur_len + ll > DPKG_MAX_FIELD)
                return fail_at(ps, ps->line, "champ trop long (plus de %zu octets)", (size_t) DPKG_MAX_FIELD);
        s->cur_len += ll;
        if (s->cur == FIELD_OTHER)
                return 0;
        if (s->cur != FIELD_PROVIDES)
                return fail_at(ps, ps->line, "champ %s sur plusieurs lignes", field_names[s->cur]);

        const char *v = line, *end = line + ll;
        while (v < end && is_blank(*v))
                v++;
        while (end > v && (is_blank(end[-1]) || end[-1] == '\r'))
                end--;
        size_t add = (size_t) (end - v), old = s->len[FIELD_PROVIDES];
        char *n = realloc(s->value[FIELD_PROVIDES], old + add + 2);
        if (!n)
                return -ENOMEM;
        n[old] = ' ';
        memcpy(n + old + 1, v, add);
        n[old + 1 + add] = '\0';
        s->value[FIELD_PROVIDES] = n;
        s->len[FIELD_PROVIDES] = old + 1 + add;
        return 0;
}

static bool line_blank(const char *line, size_t ll) {
        for (size_t i = 0; i < ll; i++)
                if (!is_blank(line[i]) && line[i] != '\r')
                        return false;
        return true;
}

static int pkg_cmp(const void *a, const void *b) {
        const struct img_pkg *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c != 0)
                return c;
        return strcmp(x->arch ? x->arch : "", y->arch ? y->arch : "");
}

int img_dpkg_parse(const char *text, size_t len, struct img_dpkg *ret, char *err, size_t errlen) {
        if (!ret || (!text && len > 0))
                return -EINVAL;
        if (err && errlen > 0)
                err[0] = '\0';

        _cleanup_(img_dpkg_clear) struct img_dpkg d = { 0 };
        struct parser ps = { .d = &d, .err = err, .errlen = errlen, .s = { .cur = FIELD_NONE } };
        int r = 0;

        if (len > DPKG_MAX_SIZE) {
                if (err && errlen > 0)
                        snprintf(err, errlen, "status: %zu octets, 64 Mio au plus", len);
                return -EFBIG;
        }

        for (size_t pos = 0; pos < len && r == 0;) {
                const char *line = text + pos;
                const char *eol = memchr(line, '\n', len - pos);
                size_t ll = eol ? (size_t) (eol - line) : len - pos;
                pos += ll + (eol ? 1 : 0);
                ps.line++;

                const char *nul = memchr(line, '\0', ll);
                if (nul)
                        r = fail_at(&ps, ps.line, "octet NUL (colonne %zu)", (size_t) (nul - line) + 1);
                else if (ll > DPKG_MAX_LINE)
                        r = fail_at(&ps, ps.line, "ligne trop longue (%zu octets, %zu au plus)", ll, (size_t) DPKG_MAX_LINE);
                else if (line_blank(line, ll))
                        r = stanza_end(&ps);
                else if (is_blank(line[0]))
                        r = continuation_line(&ps, line, ll);
                else
                        r = field_line(&ps, line, ll);
        }
        if (r == 0)
                r = stanza_end(&ps);
        stanza_reset(&ps.s);
        if (r < 0)
                return r;

        if (d.n > 1)
                qsort(d.pkgs, d.n, sizeof(*d.pkgs), pkg_cmp);
        *ret = d;
        d = (struct img_dpkg){ 0 };
        return 0;
}

/* name "foo", "foo:amd64" or "foo:any" against a package's architecture;
 * "all" packages count as the native architecture, which matches any. */
static bool arch_matches(const char *qualifier, const char *arch) {
        if (!qualifier || streq(qualifier, "any"))
                return true;
        return arch && (streq(arch, qualifier) || streq(arch, "all"));
}

const struct img_pkg *img_dpkg_find(const struct img_dpkg *d, const char *name) {
        if (!d || !name || !*name)
                return NULL;

        char base[DPKG_MAX_NAME + 1];
        const char *colon = strchr(name, ':');
        size_t blen = colon ? (size_t) (colon - name) : strlen(name);
        if (blen == 0 || blen > DPKG_MAX_NAME)
                return NULL;
        memcpy(base, name, blen);
        base[blen] = '\0';
        const char *qualifier = colon ? colon + 1 : NULL;

        /* lower bound of base among the sorted names */
        size_t lo = 0, hi = d->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(d->pkgs[mid].name, base) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < d->n && streq(d->pkgs[i].name, base); i++)
                if (arch_matches(qualifier, d->pkgs[i].arch))
                        return &d->pkgs[i];

        for (size_t i = 0; i < d->n; i++) {
                if (!d->pkgs[i].provides || !arch_matches(qualifier, d->pkgs[i].arch))
                        continue;
                for (char **q = d->pkgs[i].provides; *q; q++)
                        if (streq(*q, base))
                                return &d->pkgs[i];
        }
        return NULL;
}
