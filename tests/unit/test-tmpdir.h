/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Temporary directories for unit tests: made under /tmp, removed with
 * everything in them. */

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int test_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path);
}

/* "/tmp/NAME.XXXXXX" made into dir (size bytes); 0 or -1. */
static inline int test_mkdtemp(char *dir, size_t size, const char *name) {
        snprintf(dir, size, "/tmp/%s.XXXXXX", name);
        return mkdtemp(dir) ? 0 : -1;
}

static inline void test_rm_rf(const char *dir) {
        nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
