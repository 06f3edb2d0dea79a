/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The image cache's housekeeping: safe names, per-version locks, retention,
 * and hashing a file. */
#include "img-fetch-cache.h"
#include "img-fetch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rf-macro.h"
#include "rf-util.h"

#define HASH_BUFFER (4 * MiB)
#define COMPONENT_MAX 200
#define PRUNE_MAX_VERSIONS 4096
#define REMOVE_MAX_DEPTH 4

static void md_ctx_freep(EVP_MD_CTX **c) {
        if (*c)
                EVP_MD_CTX_free(*c);
}

int img_cache_check_component(const char *what, const char *s, char *err, size_t errlen) {
        if (!s || !*s) {
                snprintf(err, errlen, "%s vide", what);
                return -EINVAL;
        }
        size_t l = strlen(s);
        if (l > COMPONENT_MAX) {
                snprintf(err, errlen, "%s trop long (%zu caractères, au plus %d)", what, l, COMPONENT_MAX);
                return -EINVAL;
        }
        if (s[0] == '.') {
                snprintf(err, errlen, "%s « %s » refusé : ne doit pas commencer par « . »", what, s);
                return -EINVAL;
        }
        for (const char *c = s; *c; c++) {
                bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                          strchr("._-+~%", *c);
                if (!ok) {
                        snprintf(err, errlen,
                                 "%s « %.80s » refusé : caractère 0x%02x interdit (A-Z a-z 0-9 . _ - + ~ %% seulement)",
                                 what, s, (unsigned char) *c);
                        return -EINVAL;
                }
        }
        return 0;
}

int img_cache_lock(const char *dir, atomic_bool *cancel, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, IMG_CACHE_LOCK_NAME) < 0)
                return -ENOMEM;
        /* img_cache_prune() removes a folder while holding its lock: once
         * ours, the lock file must still be the one at that path. */
        for (unsigned attempt = 0; attempt < 10; attempt++) {
                int r = rf_mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
                _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        if (errno != EWOULDBLOCK && errno != EINTR)
                                return -errno;
                        if (cancel && atomic_load(cancel))
                                return -ECANCELED;
                        struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
                        nanosleep(&ts, NULL);
                }
                struct stat a, b;
                if (fstat(fd, &a) < 0)
                        return -errno;
                if (stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
        }
        return -EAGAIN;
}

int img_sha256_fd(int fd, atomic_bool *cancel, struct img_fetch_progress *progress, char out[static 65]) {
        if (fd < 0)
                return -EBADF;
        _cleanup_free_ uint8_t *buf = malloc(HASH_BUFFER);
        _cleanup_(md_ctx_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!buf || !ctx)
                return -ENOMEM;
        if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                return -EIO;
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        off_t off = 0;
        for (;;) {
                if (cancel && atomic_load(cancel))
                        return -ECANCELED;
                ssize_t n = pread(fd, buf, HASH_BUFFER, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(ctx, buf, (size_t) n) != 1)
                        return -EIO;
                off += n;
                if (progress)
                        atomic_fetch_add(&progress->done, (uint64_t) n);
        }
        uint8_t md[32];
        unsigned mdlen = 0;
        if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
                return -EIO;
        rf_hex_encode(md, sizeof(md), out);
        return 0;
}

/* rm -r of dirfd/name without following symbolic links; the cache only
 * holds a few levels, anything deeper is left (and reported). */
static int remove_tree_at(int parent, const char *name, unsigned depth) {
        if (unlinkat(parent, name, 0) == 0)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return errno == ENOENT ? 0 : -errno;
        if (depth >= REMOVE_MAX_DEPTH)
                return -ELOOP;
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        int dfd = dirfd(d);
        if (dfd < 0)
                return -errno;
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int k = remove_tree_at(dfd, de->d_name, depth + 1);
                if (k < 0 && r == 0)
                        r = k;
        }
        if (r < 0)
                return r;
        return unlinkat(parent, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

struct version_dir {
        char *name;
        struct timespec mtime;
};

static int cmp_newest_first(const void *a, const void *b) {
        const struct version_dir *x = a, *y = b;
        if (x->mtime.tv_sec != y->mtime.tv_sec)
                return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
        if (x->mtime.tv_nsec != y->mtime.tv_nsec)
                return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
        return strcmp(y->name, x->name); /* same instant: the greater name first */
}

static void version_dirs_free(struct version_dir *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

/* The lock of a version folder, or -1 when another fetch uses it (kept). */
static int try_lock_version(int profile_fd, const char *name) {
        _cleanup_free_ char *lock = NULL;
        if (asprintf(&lock, "%s/%s", name, IMG_CACHE_LOCK_NAME) < 0)
                return -1;
        _cleanup_close_ int fd = openat(profile_fd, lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                return -1;
        return TAKE_FD(fd);
}

static int list_versions(int profile_fd, struct version_dir **ret, size_t *ret_n) {
        int fd = dup(profile_fd);
        if (fd < 0)
                return -errno;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        struct version_dir *v = NULL;
        size_t n = 0;
        for (struct dirent *de; (de = readdir(d));) {
                struct stat st;
                if (de->d_name[0] == '.')
                        continue;
                if (fstatat(profile_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (n >= PRUNE_MAX_VERSIONS)
                        break;
                struct version_dir *nv = reallocarray(v, n + 1, sizeof(*v));
                char *name = strdup(de->d_name);
                if (!nv || !name) {
                        free(name);
                        version_dirs_free(nv ? nv : v, n);
                        return -ENOMEM;
                }
                v = nv;
                v[n++] = (struct version_dir) { .name = name, .mtime = st.st_mtim };
        }
        if (v && n > 1)
                qsort(v, n, sizeof(*v), cmp_newest_first);
        *ret = v;
        *ret_n = n;
        return 0;
}

int img_cache_prune(const char *cache_dir, const char *profile_name, unsigned keep, const char *keep_too) {
        char err[256];
        if (!cache_dir || img_cache_check_component("nom du profil", profile_name, err, sizeof(err)) < 0)
                return -EINVAL;
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/%s", cache_dir, profile_name) < 0)
                return -ENOMEM;
        _cleanup_close_ int profile_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (profile_fd < 0)
                return errno == ENOENT ? 0 : -errno;

        struct version_dir *v = NULL;
        size_t n = 0;
        int r = list_versions(profile_fd, &v, &n);
        if (r < 0)
                return r;
        int removed = 0;
        r = 0;
        for (size_t i = keep; i < n; i++) {
                if (keep_too && strcmp(v[i].name, keep_too) == 0)
                        continue;
                _cleanup_close_ int lock = try_lock_version(profile_fd, v[i].name);
                if (lock < 0)
                        continue;
                int k = remove_tree_at(profile_fd, v[i].name, 0);
                if (k < 0 && r == 0)
                        r = k;
                if (k == 0)
                        removed++;
        }
        version_dirs_free(v, n);
        return removed > 0 || r == 0 ? removed : r;
}
