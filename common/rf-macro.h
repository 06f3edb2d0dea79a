/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Cleanup helpers in the style of systemd: a variable declared with one of
 * these attributes is released when it goes out of scope, so functions can
 * return early without goto ladders. Use TAKE_PTR()/TAKE_FD() to hand
 * ownership to the caller. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _nonnull_(...) __attribute__((nonnull(__VA_ARGS__)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* NOLINTBEGIN(bugprone-macro-parentheses): 'type' is a type name */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)        \
        static inline void func##p(type *p) {          \
                if (*p)                                \
                        func(*p);                      \
        }
/* NOLINTEND(bugprone-macro-parentheses) */

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand over ownership: returns the value and resets the variable so that
 * its cleanup handler does nothing. */
#define TAKE_PTR(p)                              \
        ({                                       \
                __typeof__(p) _tp_ = (p);        \
                (p) = NULL;                      \
                _tp_;                            \
        })
#define TAKE_FD(fd)                              \
        ({                                       \
                int _tf_ = (fd);                 \
                (fd) = -1;                       \
                _tf_;                            \
        })

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB ((uint64_t) 1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* Return -errno, never 0, even if errno was not set by a failing call. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
