/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proof of content: the written system's own files say what it holds. Every
 * file is opened through openat2(RESOLVE_IN_ROOT): the image decides where
 * its symlinks point, but never outside itself. */
#include "img-proof.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "img-proof-private.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"

#define DPKG_STATUS_PATH "var/lib/dpkg/status"
#define DPKG_STATUS_MAX (64 * MiB)
#define HOSTNAME_MAX_FILE (64 * KiB)
#define HOSTNAME_MAX 253

/* ---- files of the written system -------------------------------------- */

static int openat2_in_root(int rootfd, const char *path, uint64_t flags) {
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        /* EAGAIN: a rename raced the lookup; try again, a few times */
        for (unsigned attempt = 0;; attempt++) {
                long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
                if (fd >= 0)
                        return (int) fd;
                if ((errno != EAGAIN && errno != EINTR) || attempt >= 16)
                        return negative_errno();
        }
}

int proof_open_dir_in_root(int rootfd, const char *path) {
        return openat2_in_root(rootfd, path, O_RDONLY | O_DIRECTORY);
}

int proof_read_in_root(int rootfd, const char *path, bool nofollow, size_t max, char **ret, size_t *ret_len) {
        struct stat st, st2;

        /* Look first (O_PATH opens nothing), so that a FIFO or a device node
         * planted in the image is never opened for reading. */
        _cleanup_close_ int pfd = openat2_in_root(rootfd, path, O_PATH | (nofollow ? O_NOFOLLOW : 0));
        if (pfd < 0)
                return pfd;
        if (fstat(pfd, &st) < 0)
                return negative_errno();
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;

        _cleanup_close_ int fd = openat2_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
        if (fd < 0)
                return fd;
        if (fstat(fd, &st2) < 0)
                return negative_errno();
        if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino || !S_ISREG(st2.st_mode))
                return -EBADFD; /* changed between the look and the open */

        size_t cap = MIN((size_t) st2.st_size, max) + 1, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap > max)
                                return -EFBIG; /* grew while we read */
                        size_t ncap = MIN(cap * 2, max + 1);
                        char *n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (len > max)
                return -EFBIG;
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

const char *proof_strerror(int r, char *buf, size_t buflen) {
        switch (r) {
        case -ENOENT:
                return "absent";
        case -ELOOP:
                return "lien symbolique refusé";
        case -EISDIR:
                return "est un dossier";
        case -EBADFD:
                return "n'est pas un fichier ordinaire";
        case -EFBIG:
                return "trop grand";
        case -ENOTDIR:
                return "chemin invalide (un élément n'est pas un dossier)";
        case -ENOSYS:
                return "openat2() indisponible (noyau antérieur à 5.6)";
        default:
                snprintf(buf, buflen, "illisible (%s)", strerror(-r));
                return buf;
        }
}

/* ---- messages and record helpers -------------------------------------- */

/* In place: bytes that are not valid UTF-8, and control characters, become
 * '?'. Strings from the image go into records and messages. */
static void sanitize_utf8(char *s) {
        unsigned char *p = (unsigned char *) s;
        while (*p) {
                size_t n = 0;
                uint32_t cp = 0;
                if (*p < 0x20 || *p == 0x7f) {
                        *p++ = '?';
                        continue;
                }
                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if ((*p & 0xe0) == 0xc0)
                        n = 2, cp = *p & 0x1fu;
                else if ((*p & 0xf0) == 0xe0)
                        n = 3, cp = *p & 0x0fu;
                else if ((*p & 0xf8) == 0xf0)
                        n = 4, cp = *p & 0x07u;
                size_t k = 1;
                for (; n > 0 && k < n && (p[k] & 0xc0) == 0x80; k++)
                        cp = cp << 6 | (p[k] & 0x3fu);
                bool ok = n > 0 && k == n && !(n == 2 && cp < 0x80) && !(n == 3 && cp < 0x800) &&
                          !(n == 4 && cp < 0x10000) && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) &&
                          !(cp >= 0x80 && cp < 0xa0);
                if (!ok) {
                        *p++ = '?';
                        continue;
                }
                p += n;
        }
}

char *proof_strdupf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        return n < 0 ? NULL : s;
}

int proof_missing_add(struct proof_missing *m, const char *fmt, ...) {
        va_list ap;
        _cleanup_free_ char *item = NULL;
        va_start(ap, fmt);
        int n = vasprintf(&item, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        sanitize_utf8(item);

        size_t sep = m->len > 0 ? 3 : 0;
        char *t = realloc(m->text, m->len + sep + (size_t) n + 1);
        if (!t)
                return -ENOMEM;
        if (sep)
                memcpy(t + m->len, " ; ", sep);
        memcpy(t + m->len + sep, item, (size_t) n + 1);
        m->text = t;
        m->len += sep + (size_t) n;
        return 0;
}

static void missing_done(struct proof_missing *m) {
        free(m->text);
        *m = (struct proof_missing){ 0 };
}

int proof_json_set_str(json_t *o, const char *key, const char *s) {
        json_t *v;
        if (s) {
                _cleanup_free_ char *clean = strdup(s);
                if (!clean)
                        return -ENOMEM;
                sanitize_utf8(clean);
                v = json_string(clean);
        } else
                v = json_null();
        if (!v || json_object_set_new(o, key, v) < 0)
                return -ENOMEM;
        return 0;
}

static int set_bool(json_t *o, const char *key, bool b) {
        return json_object_set_new(o, key, json_boolean(b)) < 0 ? -ENOMEM : 0;
}

/* ---- the checks ------------------------------------------------------- */

static bool dpkg_is_installed(const char *name, void *userdata) {
        return img_dpkg_find(userdata, name) != NULL;
}

static int check_requirements(const struct img_dpkg *d, const struct img_profile *p, json_t *packages,
                              struct proof_missing *missing, unsigned *problems) {
        for (size_t i = 0; i < p->n_requires; i++) {
                const struct img_requirement *req = &p->requires[i];
                _cleanup_json_ json_t *o = json_object();
                if (!o)
                        return -ENOMEM;
                int r = proof_json_set_str(o, "requirement", req->text);
                if (r < 0)
                        return r;

                const char *alt = img_requirement_satisfied(req, dpkg_is_installed, (void *) d);
                const struct img_pkg *pkg = alt ? img_dpkg_find(d, alt) : NULL;
                if (pkg) {
                        if ((r = proof_json_set_str(o, "satisfied_by", alt)) < 0 ||
                            (r = proof_json_set_str(o, "version", pkg->version)) < 0 ||
                            (r = proof_json_set_str(o, "architecture", pkg->arch)) < 0)
                                return r;
                        /* alt is a virtual package: name the real one */
                        size_t base = strcspn(alt, ":");
                        if ((strlen(pkg->name) != base || strncmp(pkg->name, alt, base) != 0) &&
                            (r = proof_json_set_str(o, "provided_by", pkg->name)) < 0)
                                return r;
                } else {
                        if ((r = set_bool(o, "missing", true)) < 0)
                                return r;
                        if ((r = proof_missing_add(missing, "paquet absent : %s", req->text)) < 0)
                                return r;
                        (*problems)++;
                }
                if (json_array_append(packages, o) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* hostname(5): the first line that is neither empty nor a comment. */
static char *hostname_from_file(char *text) {
        for (char *line = text; line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                while (*line == ' ' || *line == '\t')
                        line++;
                size_t n = strlen(line);
                while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                if (n > 0 && line[0] != '#')
                        return line;
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

static int check_hostname(int rootfd, const char *expected, json_t *record, struct proof_missing *missing,
                          unsigned *problems) {
        _cleanup_json_ json_t *o = json_object();
        _cleanup_free_ char *text = NULL;
        char ebuf[128];
        if (!o)
                return -ENOMEM;

        int rr = proof_read_in_root(rootfd, "etc/hostname", false, HOSTNAME_MAX_FILE, &text, NULL), r;
        if (rr == -ENOMEM)
                return rr;
        const char *found = rr >= 0 ? hostname_from_file(text) : NULL;
        if (found && strlen(found) > HOSTNAME_MAX) {
                found = NULL;
                rr = -EFBIG;
        }

        if (expected && (r = proof_json_set_str(o, "expected", expected)) < 0)
                return r;
        if ((r = proof_json_set_str(o, "found", found)) < 0)
                return r;
        if (expected) {
                bool ok = found && streq(found, expected);
                if ((r = set_bool(o, "ok", ok)) < 0)
                        return r;
                if (!ok) {
                        (*problems)++;
                        if (found)
                                r = proof_missing_add(missing, "nom d'hôte : %s au lieu de %s", found, expected);
                        else if (rr >= 0)
                                r = proof_missing_add(missing, "nom d'hôte : /etc/hostname vide au lieu de %s", expected);
                        else
                                r = proof_missing_add(missing, "nom d'hôte : /etc/hostname %s au lieu de %s",
                                                      proof_strerror(rr, ebuf, sizeof(ebuf)), expected);
                        if (r < 0)
                                return r;
                }
        }
        return json_object_set(record, "hostname", o) < 0 ? -ENOMEM : 0;
}

static int fail_unreadable(char **ret_missing, int r, const char *fmt, ...) _printf_(3, 4);
static int fail_unreadable(char **ret_missing, int r, const char *fmt, ...) {
        if (ret_missing) {
                va_list ap;
                va_start(ap, fmt);
                if (vasprintf(ret_missing, fmt, ap) < 0)
                        *ret_missing = NULL;
                va_end(ap);
        }
        return r;
}

int img_proof_check(const char *root, const struct img_profile *p, const char *expected_hostname, json_t **ret_record,
                    char **ret_missing) {
        _cleanup_(img_dpkg_clear) struct img_dpkg d = { 0 };
        _cleanup_(missing_done) struct proof_missing missing = { 0 };
        _cleanup_free_ char *status = NULL;
        size_t status_len = 0;
        unsigned problems = 0;
        char ebuf[128], perr[512];
        int r;

        if (ret_record)
                *ret_record = NULL;
        if (ret_missing)
                *ret_missing = NULL;
        if (!root || !p || !ret_record)
                return -EINVAL;

        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = negative_errno();
                return fail_unreadable(ret_missing, r, "système écrit illisible : %s : %s", root,
                                       proof_strerror(r, ebuf, sizeof(ebuf)));
        }

        /* The one file everything else rests on: no symlink at all. */
        r = proof_read_in_root(rootfd, DPKG_STATUS_PATH, true, DPKG_STATUS_MAX, &status, &status_len);
        if (r < 0)
                return fail_unreadable(ret_missing, r, "système écrit illisible : /%s %s (dans %s)", DPKG_STATUS_PATH,
                                       proof_strerror(r, ebuf, sizeof(ebuf)), root);
        r = img_dpkg_parse(status, status_len, &d, perr, sizeof(perr));
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_unreadable(ret_missing, r, "système écrit illisible : /var/lib/dpkg/%s", perr);

        char sha[65];
        if ((r = rf_sha256_hex(status, status_len, sha)) < 0)
                return r;

        _cleanup_json_ json_t *record = json_object();
        _cleanup_json_ json_t *packages = json_array();
        _cleanup_json_ json_t *browsers = json_array();
        if (!record || !packages || !browsers)
                return -ENOMEM;

        if ((r = check_requirements(&d, p, packages, &missing, &problems)) < 0)
                return r;
        r = proof_check_browsers(rootfd, &d, p, browsers, &missing);
        if (r == -EINVAL)
                return fail_unreadable(ret_missing, r, "profil %s : SearchURL « %s » inutilisable (URL http(s) attendue)",
                                       p->path ? p->path : "?", p->search_url ? p->search_url : "");
        if (r < 0)
                return r;
        problems += (unsigned) r;
        if ((r = check_hostname(rootfd, expected_hostname, record, &missing, &problems)) < 0)
                return r;

        if (json_object_set(record, "packages", packages) < 0 || json_object_set(record, "browsers", browsers) < 0 ||
            (p->search_engine && proof_json_set_str(record, "search_engine", p->search_engine) < 0) ||
            proof_json_set_str(record, "dpkg_status_sha256", sha) < 0 ||
            json_object_set_new(record, "packages_installed", json_integer((json_int_t) d.n)) < 0 ||
            set_bool(record, "ok", problems == 0) < 0)
                return -ENOMEM;

        if (ret_missing && problems > 0) {
                *ret_missing = TAKE_PTR(missing.text);
                missing.len = 0;
        }
        *ret_record = TAKE_PTR(record);
        return problems == 0 ? 1 : 0;
}
