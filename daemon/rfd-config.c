/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rfd-config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-config-internal.h"

static void set_errorf(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void set_errorf(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen > 0)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

int cfg_fail(const struct parser *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (p->err && p->errlen > 0) {
                int n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
                if (n >= 0 && (size_t) n < p->errlen)
                        vsnprintf(p->err + n, p->errlen - (size_t) n, fmt, ap);
        }
        va_end(ap);
        return -EINVAL;
}

bool cfg_is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Trim in place: returns the first non-blank character. */
static char *strip(char *s) {
        while (cfg_is_space(*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && cfg_is_space(s[n - 1]))
                s[--n] = '\0';
        return s;
}

static bool has_control(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool bay_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > BAY_NAME_MAX)
                return false;
        for (; *s; s++)
                if (!is_alnum(*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

int cfg_set_string(char **field, const char *value) {
        char *copy = NULL;
        if (*value) {
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(*field);
        *field = copy;
        return 0;
}

int cfg_set_path(const struct parser *p, const char *key, const char *value, size_t max, char **field) {
        if (*value && value[0] != '/')
                return cfg_fail(p, "%s= must be an absolute path, not '%s'", key, value);
        if (strlen(value) > max)
                return cfg_fail(p, "%s= is too long (at most %zu bytes)", key, max);
        return cfg_set_string(field, value);
}

int cfg_set_text(const struct parser *p, const char *key, const char *value, size_t max, char **field) {
        if (strlen(value) > max)
                return cfg_fail(p, "%s= is too long (at most %zu bytes)", key, max);
        return cfg_set_string(field, value);
}

int cfg_parse_percent(const char *s, unsigned *ret) {
        unsigned v = 0;
        if (!*s || strlen(s) > 3)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*s - '0');
        }
        if (v < 1 || v > 100)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* [Bay NAME] again (same file or a drop-in) continues the same bay. */
static int enter_bay(struct parser *p, const char *name) {
        struct rfd_config *c = p->config;
        size_t i;

        for (i = 0; i < c->n_bays; i++)
                if (strcmp(c->bays[i].name, name) == 0)
                        break;
        if (i == c->n_bays) {
                struct rfd_bay_config *n = reallocarray(c->bays, c->n_bays + 1, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                c->bays = n;
                n[i] = (struct rfd_bay_config) { .policy = RFD_POLICY_CONFIRM };
                n[i].name = strdup(name);
                if (!n[i].name)
                        return -ENOMEM;
                c->n_bays++;
        }

        struct rfd_bay_config *b = &c->bays[i];
        char *file = strdup(p->file);
        if (!file)
                return -ENOMEM;
        free(b->file);
        b->file = file;
        b->line = p->line;
        p->bay = i;
        p->section = SECTION_BAY;
        return 0;
}

static int section_line(struct parser *p, char *l) {
        size_t n = strlen(l);
        if (n < 2 || l[n - 1] != ']')
                return cfg_fail(p, "line is not 'Key=Value' or '[Section]'");
        l[n - 1] = '\0';
        char *inner = strip(l + 1);
        char *arg = inner;
        while (*arg && !cfg_is_space(*arg))
                arg++;
        if (*arg)
                *arg++ = '\0';
        arg = strip(arg);

        static const struct {
                const char *name;
                enum section section;
        } plain[] = {
                { "Daemon", SECTION_DAEMON },
                { "Erase", SECTION_ERASE },
                { "Image", SECTION_IMAGE },
                { "API", SECTION_API },
        };
        for (size_t i = 0; i < ELEMENTSOF(plain); i++) {
                if (strcmp(inner, plain[i].name) != 0)
                        continue;
                if (*arg)
                        return cfg_fail(p, "[%s] takes no name, found '%s'", inner, arg);
                p->section = plain[i].section;
                return 0;
        }
        if (strcmp(inner, "Bay") == 0) {
                if (!*arg)
                        return cfg_fail(p, "[Bay] needs a name: [Bay NAME]");
                if (!bay_name_valid(arg))
                        return cfg_fail(p,
                                    "bay name '%s' must be 1 to %d letters, digits, '-', '_' or '.'",
                                    arg, BAY_NAME_MAX);
                return enter_bay(p, arg);
        }
        if (*arg)
                return cfg_fail(p, "unknown section [%s %s]", inner, arg);
        return cfg_fail(p, "unknown section [%s]", inner);
}

static int parse_line(struct parser *p, char *raw) {
        char *l = strip(raw);

        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[')
                return section_line(p, l);

        char *eq = strchr(l, '=');
        if (!eq)
                return cfg_fail(p, "line is not 'Key=Value' or '[Section]'");
        *eq = '\0';
        char *key = strip(l), *value = strip(eq + 1);
        if (!*key)
                return cfg_fail(p, "line is not 'Key=Value' or '[Section]'");
        for (const char *s = key; *s; s++)
                if (!is_alnum(*s))
                        return cfg_fail(p, "line is not 'Key=Value' or '[Section]'");
        if (has_control(value))
                return cfg_fail(p, "%s= contains a control character", key);

        switch (p->section) {
        case SECTION_DAEMON:
                return rfd_config_daemon_key(p, key, value);
        case SECTION_ERASE:
                return rfd_config_erase_key(p, key, value);
        case SECTION_BAY:
                return rfd_config_bay_key(p, key, value);
        case SECTION_IMAGE:
                return rfd_config_image_key(p, key, value);
        case SECTION_API:
                return rfd_config_api_key(p, key, value);
        case SECTION_NONE:
                break;
        }
        return cfg_fail(p, "'%s=' comes before any section ([Daemon], [Erase], [Image], [API] or [Bay NAME])", key);
}

static int parse_text(struct rfd_config *c, const char *file, const char *text, size_t len, char *err,
                      size_t errlen) {
        struct parser p = {
                .config = c,
                .file = file,
                .err = err,
                .errlen = errlen,
        };
        char line[CONFIG_MAX_LINE + 1];
        size_t pos = 0;

        if (len > CONFIG_MAX_SIZE) {
                set_errorf(err, errlen, "%s: file is larger than 1 MiB", file);
                return -EFBIG;
        }
        /* A UTF-8 byte order mark, as some editors write. */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                pos = 3;

        while (pos < len) {
                const char *start = text + pos;
                const char *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;
                pos += n + (nl ? 1 : 0);
                p.line++;

                if (n > CONFIG_MAX_LINE)
                        return cfg_fail(&p, "line is longer than %d bytes", CONFIG_MAX_LINE);
                if (memchr(start, '\0', n))
                        return cfg_fail(&p, "line contains a NUL byte");
                if (!rf_utf8_valid(start, n))
                        return cfg_fail(&p, "line is not valid UTF-8");
                memcpy(line, start, n);
                line[n] = '\0';
                int r = parse_line(&p, line);
                if (r < 0)
                        return r;
        }
        return 0;
}

static struct rfd_config *config_new(const char *path) {
        struct rfd_config *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->path = strdup(path);
        if (!c->path) {
                free(c);
                return NULL;
        }
        c->verify = WIPE_VERIFY_FULL;
        c->verify_percent = DEFAULT_VERIFY_PERCENT;
        c->erase_method = WIPE_ERASE_AUTO;
        c->validate_percent = DEFAULT_VALIDATE_PERCENT;
        c->image_verify_percent = DEFAULT_IMAGE_VERIFY_PERCENT;
        c->api_tls = true;
        c->session_hours = DEFAULT_SESSION_HOURS;
        return c;
}

/* Checks that need the whole configuration, then defaults. */
static int finish(struct rfd_config *c, char *err, size_t errlen) {
        for (size_t i = 0; i < c->n_bays; i++) {
                const struct rfd_bay_config *b = &c->bays[i];
                if (!b->match_device && !b->match_path) {
                        set_errorf(err, errlen, "%s:%u: [Bay %s] has neither MatchDevice= nor MatchPath=", b->file,
                                   b->line, b->name);
                        return -EINVAL;
                }
                for (size_t j = 0; j < i; j++) {
                        const struct rfd_bay_config *o = &c->bays[j];
                        const char *what = NULL;
                        if (b->match_device && rf_streq_ptr(b->match_device, o->match_device))
                                what = "MatchDevice";
                        else if (b->match_path && rf_streq_ptr(b->match_path, o->match_path))
                                what = "MatchPath";
                        if (what) {
                                set_errorf(err, errlen, "%s:%u: [Bay %s] has the same %s= as [Bay %s]", b->file,
                                           b->line, b->name, what, o->name);
                                return -EINVAL;
                        }
                }
        }

        if (!c->bench_name) {
                char host[256] = "";
                if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
                        snprintf(host, sizeof(host), "refurb");
                host[BENCH_NAME_MAX] = '\0';
                c->bench_name = strdup(host);
                if (!c->bench_name)
                        return -ENOMEM;
        }
        if (!c->state_directory && !(c->state_directory = strdup(DEFAULT_STATE_DIRECTORY)))
                return -ENOMEM;
        if (!c->api_socket && !(c->api_socket = strdup(DEFAULT_API_SOCKET)))
                return -ENOMEM;
        struct {
                char **field;
                const char *value;
        } defaults[] = {
                { &c->profile_directory, DEFAULT_PROFILE_DIRECTORY },
                { &c->trusted_keys_directory, DEFAULT_TRUSTED_KEYS_DIRECTORY },
                { &c->image_cache_directory, DEFAULT_IMAGE_CACHE_DIRECTORY },
                { &c->hooks_directory, REFURB_HOOKSDIR },
        };
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                if (!*defaults[i].field && !(*defaults[i].field = strdup(defaults[i].value)))
                        return -ENOMEM;
        char **texts[] = { &c->organisation, &c->location, &c->technician };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                if (!*texts[i] && !(*texts[i] = strdup("")))
                        return -ENOMEM;
        return rfd_config_api_finish(c, err, errlen);
}

static int parse_file(struct rfd_config *c, const char *path, bool allow_missing, char *err, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = rf_read_file(path, CONFIG_MAX_SIZE, &text, &len);
        if (r == -ENOENT && allow_missing)
                return 0;
        if (r == -EFBIG) {
                set_errorf(err, errlen, "%s: file is larger than 1 MiB", path);
                return r;
        }
        if (r < 0) {
                set_errorf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
                return r;
        }
        return parse_text(c, path, text, len, err, errlen);
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free((void *) names);
}

/* PATH.d/ *.conf, lexical order. */
static int parse_dropins(struct rfd_config *c, const char *path, char *err, size_t errlen) {
        _cleanup_free_ char *dir = NULL;
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        if (asprintf(&dir, "%s.d", path) < 0)
                return -ENOMEM;
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                r = negative_errno();
                set_errorf(err, errlen, "%s: cannot read directory: %s", dir, strerror(-r));
                return r;
        }

        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0) {
                                r = negative_errno();
                                set_errorf(err, errlen, "%s: cannot read directory: %s", dir, strerror(-r));
                        }
                        break;
                }
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                char **nn = (char **) reallocarray((void *) names, n + 1, sizeof(*nn));
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
        if (r == 0 && n > 1)
                qsort((void *) names, n, sizeof(*names), cmp_names);

        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *file = NULL;
                if (asprintf(&file, "%s/%s", dir, names[i]) < 0)
                        r = -ENOMEM;
                else
                        r = parse_file(c, file, false, err, errlen);
        }
        free_names(names, n);
        return r;
}

/* Ownership is handed over explicitly here: clang-tidy's analyser does not
 * follow the cleanup attribute through these calls. */
int rfd_config_load(const char *path, bool allow_missing, struct rfd_config **ret, char *err, size_t errlen) {
        if (!path || !ret)
                return -EINVAL;
        struct rfd_config *c = config_new(path);
        if (!c)
                return -ENOMEM;
        int r = parse_file(c, path, allow_missing, err, errlen);
        if (r == 0)
                r = parse_dropins(c, path, err, errlen);
        if (r == 0)
                r = finish(c, err, errlen);
        if (r < 0) {
                rfd_config_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int rfd_config_parse_string(const char *name, const char *text, struct rfd_config **ret, char *err, size_t errlen) {
        if (!name || !text || !ret)
                return -EINVAL;
        struct rfd_config *c = config_new(name);
        if (!c)
                return -ENOMEM;
        int r = parse_text(c, name, text, strlen(text), err, errlen);
        if (r == 0)
                r = finish(c, err, errlen);
        if (r < 0) {
                rfd_config_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void rfd_config_free(struct rfd_config *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_bays; i++) {
                free(c->bays[i].name);
                free(c->bays[i].match_device);
                free(c->bays[i].match_path);
                free(c->bays[i].profile);
                free(c->bays[i].file);
        }
        free(c->bays);
        free(c->path);
        free(c->state_directory);
        free(c->api_socket);
        free(c->bench_name);
        free(c->organisation);
        free(c->location);
        free(c->technician);
        free(c->profile_directory);
        free(c->trusted_keys_directory);
        free(c->image_cache_directory);
        free(c->hooks_directory);
        free(c->ca_file);
        rfd_config_api_free(c);
        free(c);
}

const char *rfd_policy_to_string(enum rfd_policy p) {
        switch (p) {
        case RFD_POLICY_CONFIRM:
                return "confirm";
        case RFD_POLICY_AUTO:
                return "auto";
        }
        return "unknown";
}
