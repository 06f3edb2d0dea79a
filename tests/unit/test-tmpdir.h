/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Temporary directories for unit tests: made under /tmp, removed with
 * everything in them. */

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdio.h>
#include <stdint.h>
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

/* A test fixture that is just one temporary directory, for cmocka's
 * setup/teardown: test_dir_setup(state, "test-NAME"). */
struct test_dir_fixture {
        char dir[64];
};

static inline int test_dir_setup(void **state, const char *name) {
        struct test_dir_fixture *f = calloc(1, sizeof(*f));
        if (!f)
                return -1;
        if (test_mkdtemp(f->dir, sizeof(f->dir), name) < 0) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static inline int test_dir_teardown(void **state) {
        struct test_dir_fixture *f = *state;
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

/* "DIR/name", malloc'd; aborts when out of memory. */
static inline char *test_path_in(const struct test_dir_fixture *f, const char *name) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", f->dir, name) < 0)
                abort();
        return p;
}
