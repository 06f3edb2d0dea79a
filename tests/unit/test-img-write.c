/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "img-bmap.h"
#include "img-write.h"
#include "rf-macro.h"
#include "test-tmpdir.h"

#define OLD_BYTE 0xaa

/* Targets and images are regular files in a temporary directory. */
struct fixture {
        char dir[256];
        char target[300];
        char image[300];
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f || test_mkdtemp(f->dir, sizeof(f->dir), "test-img-write") < 0) {
                free(f);
                return -1;
        }
        snprintf(f->target, sizeof(f->target), "%s/target", f->dir);
        snprintf(f->image, sizeof(f->image), "%s/image", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

/* Image bytes: runs of pseudo-random bytes and of repeated text, so that
 * zstd has work to do and nothing is all one byte. */
static uint8_t *make_image(uint64_t size, uint32_t seed) {
        uint8_t *p = malloc(size ? size : 1);
        assert_non_null(p);
        uint32_t x = seed | 1;
        for (uint64_t i = 0; i < size; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                p[i] = (i / 8192) % 3 == 0 ? (uint8_t) ("refurb image "[i % 13]) : (uint8_t) x;
        }
        return p;
}

static void write_file(const char *path, const void *data, size_t len) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
}

static void write_image(const char *path, const uint8_t *img, uint64_t size, enum img_compression c) {
        if (c == IMG_COMPRESSION_NONE) {
                write_file(path, img, size);
                return;
        }
        size_t cap = ZSTD_compressBound(size);
        _cleanup_free_ uint8_t *z = malloc(cap);
        assert_non_null(z);
        size_t n = ZSTD_compress(z, cap, img, size, 3);
        assert_false(ZSTD_isError(n));
        write_file(path, z, n);
}

static void make_target(const char *path, uint64_t size) {
        _cleanup_free_ uint8_t *p = malloc(size ? size : 1);
        assert_non_null(p);
        memset(p, OLD_BYTE, size);
        write_file(path, p, size);
}

static uint8_t *read_file(const char *path, uint64_t *ret_size) {
        struct stat st;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fail_msg("cannot open %s", path);
                return NULL;
        }
        assert_int_equal(fstat(fd, &st), 0);
        uint8_t *p = malloc(st.st_size ? (size_t) st.st_size : 1);
        assert_non_null(p);
        assert_int_equal(pread(fd, p, (size_t) st.st_size, 0), st.st_size);
        *ret_size = (uint64_t) st.st_size;
        return p;
}

struct pair {
        uint64_t first, last;
};

/* A bmap as img_bmap_parse() would give it: ranges hashed from img. */
static struct img_bmap *make_bmap(const uint8_t *img, uint64_t size, uint32_t bs, const struct pair *pairs,
                                  size_t n) {
        struct img_bmap *b = calloc(1, sizeof(*b));
        assert_non_null(b);
        b->image_size = size;
        b->block_size = bs;
        b->blocks_count = (size + bs - 1) / bs;
        b->ranges = calloc(n ? n : 1, sizeof(struct img_bmap_range));
        assert_non_null(b->ranges);
        b->n_ranges = n;
        snprintf(b->version, sizeof(b->version), "2.0");
        for (size_t i = 0; i < n; i++) {
                struct img_bmap_range *r = &b->ranges[i];
                r->first = pairs[i].first;
                r->last = pairs[i].last;
                r->line = (unsigned) (10 + i);
                uint64_t start = r->first * bs, end = MIN((r->last + 1) * bs, size);
                assert_true(start < end);
                assert_int_equal(EVP_Digest(img + start, end - start, r->sha256, NULL, EVP_sha256(), NULL), 1);
                b->mapped_blocks += r->last - r->first + 1;
        }
        return b;
}

static void free_bmap(struct img_bmap *b) {
        free(b->ranges);
        free(b);
}

static bool mapped(const struct img_bmap *b, uint64_t off) {
        for (size_t i = 0; i < b->n_ranges; i++) {
                uint64_t start = b->ranges[i].first * b->block_size;
                uint64_t end = MIN((b->ranges[i].last + 1) * b->block_size, b->image_size);
                if (off >= start && off < end)
                        return true;
        }
        return false;
}

/* Mapped bytes equal the image, every other byte still OLD_BYTE. */
static void assert_target(const char *path, const uint8_t *img, const struct img_bmap *b, uint64_t target_size) {
        uint64_t size = 0;
        _cleanup_free_ uint8_t *t = read_file(path, &size);
        assert_int_equal(size, target_size);
        for (uint64_t i = 0; i < size; i++) {
                uint8_t want = i < b->image_size && mapped(b, i) ? img[i] : OLD_BYTE;
                if (t[i] != want)
                        fail_msg("byte %llu: 0x%02x, expected 0x%02x", (unsigned long long) i, t[i], want);
        }
}

struct run {
        struct img_write_result res;
        struct img_progress progress;
        int ret;
};

static void do_run(const struct fixture *f, const struct img_bmap *b, enum img_compression c, unsigned percent,
                   unsigned buffer_mib, atomic_bool *cancel, atomic_bool *removed, struct run *out) {
        _cleanup_close_ int target = open(f->target, O_RDWR | O_CLOEXEC);
        _cleanup_close_ int image = open(f->image, O_RDONLY | O_CLOEXEC);
        assert_true(target >= 0);
        assert_true(image >= 0);
        *out = (struct run) {};
        struct img_write_opts o = {
                .image_fd = image,
                .compression = c,
                .bmap = b,
                .verify_percent = percent,
                .cancel = cancel,
                .removed = removed,
                .progress = &out->progress,
                .buffer_mib = buffer_mib,
        };
        out->ret = img_write_run(target, &o, &out->res);
}

static void assert_success(const struct run *r, const struct img_bmap *b) {
        if (r->res.error != 0)
                fail_msg("error %d: %s", r->res.error, r->res.error_detail);
        assert_int_equal(r->ret, 0);
        assert_int_equal(r->res.stop, IMG_STOP_NONE);
        assert_int_equal(r->res.bytes_written, img_bmap_mapped_bytes(b));
        assert_int_equal(r->res.ranges_hashed, b->n_ranges);
        assert_int_equal(atomic_load(&r->progress.bytes_written), img_bmap_mapped_bytes(b));
        assert_int_equal(atomic_load(&r->progress.write_total), img_bmap_mapped_bytes(b));
        assert_int_equal(r->res.bytes_verified, atomic_load(&r->progress.verify_total));
        assert_true(r->res.bytes_verified > 0);
}

/* Sparse raw image: 3 ranges, one spanning several 1 MiB buffers; the
 * holes between them stay as they were. Full read-back. */
static void test_raw_sparse(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 12 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 1);
        const struct pair pairs[] = { { 0, 3 }, { 100, 1100 }, { 2000, 2047 }, { 2900, 3071 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, ELEMENTSOF(pairs));
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_NONE);
        make_target(f->target, size + 4096);
        do_run(f, b, IMG_COMPRESSION_NONE, 100, 1, NULL, NULL, &r);
        assert_success(&r, b);
        assert_int_equal(r.res.bytes_verified, img_bmap_mapped_bytes(b));
        assert_int_equal(r.res.verify_percent, 100);
        assert_int_equal(r.res.device_size, size + 4096);
        /* 1 + 4 (1001 blocks = 3.9 MiB) + 1 + 1 chunks */
        assert_int_equal(r.res.chunks_checked, 7);
        assert_target(f->target, img, b, size + 4096);
        free_bmap(b);
}

/* Dense zstd image whose size is not a multiple of the block size: the
 * short last block is written, nothing after it. */
static void test_zstd_dense_odd_size(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 5 * 1024 * 1024 + 1000;
        _cleanup_free_ uint8_t *img = make_image(size, 2);
        const struct pair pairs[] = { { 0, (size + 4095) / 4096 - 1 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, 1);
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_ZSTD);
        make_target(f->target, 7 * 1024 * 1024);
        do_run(f, b, IMG_COMPRESSION_ZSTD, 100, 2, NULL, NULL, &r);
        assert_success(&r, b);
        assert_int_equal(r.res.bytes_written, size);
        assert_int_equal(r.res.bytes_verified, size);
        assert_target(f->target, img, b, 7 * 1024 * 1024);
        free_bmap(b);
}

/* Sparse zstd image, odd size, the last range ending in the short block;
 * the target is exactly the image size (not a multiple of 4096 either).
 * Default sample (5 %): the first and last chunk of every range, a few
 * more. */
static void test_zstd_sparse_sample(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 20 * 1024 * 1024 + 512 + 17;
        _cleanup_free_ uint8_t *img = make_image(size, 3);
        const uint64_t last = (size + 4095) / 4096 - 1;
        const struct pair pairs[] = { { 1, 1 }, { 256, 2815 }, { 4000, 4010 }, { last - 300, last } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, ELEMENTSOF(pairs));
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_ZSTD);
        make_target(f->target, size);
        do_run(f, b, IMG_COMPRESSION_ZSTD, 0, 0, NULL, NULL, &r);
        assert_success(&r, b);
        assert_int_equal(r.res.verify_percent, 5);
        /* ranges of 1, 10, 1, 2 chunks: all firsts and lasts = 6 */
        assert_true(r.res.chunks_checked >= 6);
        assert_true(r.res.bytes_verified < img_bmap_mapped_bytes(b));
        assert_target(f->target, img, b, size);
        free_bmap(b);
}

/* A 512-byte block bmap: ranges that do not start or end on 4096 go
 * through the buffered descriptor, the rest O_DIRECT. */
static void test_small_blocks(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 3 * 1024 * 1024 + 1536;
        _cleanup_free_ uint8_t *img = make_image(size, 4);
        const struct pair pairs[] = { { 1, 3 }, { 5, 6 }, { 9, 2100 }, { 2103, 2200 }, { 6000, 6146 } };
        struct img_bmap *b = make_bmap(img, size, 512, pairs, ELEMENTSOF(pairs));
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_NONE);
        make_target(f->target, 4 * 1024 * 1024);
        do_run(f, b, IMG_COMPRESSION_NONE, 100, 1, NULL, NULL, &r);
        assert_success(&r, b);
        assert_int_equal(r.res.bytes_verified, img_bmap_mapped_bytes(b));
        assert_target(f->target, img, b, 4 * 1024 * 1024);
        free_bmap(b);
}

/* The image read through a pipe (no offsets): same result. */
struct feeder {
        int fd;
        const uint8_t *data;
        size_t len;
};

static void *feed(void *arg) {
        struct feeder *fe = arg;
        for (size_t done = 0; done < fe->len;) {
                ssize_t k = write(fe->fd, fe->data + done, fe->len - done);
                if (k <= 0)
                        break; /* the reader stopped */
                done += (size_t) k;
        }
        close(fe->fd);
        return NULL;
}

static void test_zstd_pipe(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 6 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 5);
        const struct pair pairs[] = { { 10, 20 }, { 1000, 1400 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, ELEMENTSOF(pairs));
        size_t cap = ZSTD_compressBound(size);
        _cleanup_free_ uint8_t *z = malloc(cap);
        assert_non_null(z);
        size_t zn = ZSTD_compress(z, cap, img, size, 1);
        assert_false(ZSTD_isError(zn));
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        struct feeder fe = { .fd = p[1], .data = z, .len = zn };
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, feed, &fe), 0);

        make_target(f->target, size);
        _cleanup_close_ int target = open(f->target, O_RDWR | O_CLOEXEC);
        assert_true(target >= 0);
        struct img_write_result res;
        struct img_write_opts o = {
                .image_fd = p[0],
                .compression = IMG_COMPRESSION_ZSTD,
                .bmap = b,
                .verify_percent = 100,
        };
        assert_int_equal(img_write_run(target, &o, &res), 0);
        close(p[0]);
        pthread_join(t, NULL);
        if (res.error != 0)
                fail_msg("error %d: %s", res.error, res.error_detail);
        assert_int_equal(res.bytes_written, img_bmap_mapped_bytes(b));
        assert_target(f->target, img, b, size);
        free_bmap(b);
}

/* A byte of the image differs from what the bmap says: the run stops at
 * that range, the detail names it and its line; the ranges after it are
 * not written, nor the piece of the range where the hash is compared. */
static void check_mismatch(const struct fixture *f, enum img_compression c) {
        const uint64_t size = 8 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 6);
        const struct pair pairs[] = { { 0, 15 }, { 300, 900 }, { 1500, 1600 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, ELEMENTSOF(pairs));
        struct run r;

        img[600 * 4096 + 123] ^= 0x01; /* inside the second range */
        write_image(f->image, img, size, c);
        make_target(f->target, size);
        do_run(f, b, c, 100, 1, NULL, NULL, &r);
        assert_int_equal(r.ret, 0);
        assert_int_equal(r.res.error, -EBADMSG);
        assert_int_equal(r.res.stop, IMG_STOP_NONE);
        assert_int_equal(r.res.error_offset, 300 * 4096);
        assert_int_equal(r.res.ranges_hashed, 1);
        assert_non_null(strstr(r.res.error_detail, "300-900"));
        assert_non_null(strstr(r.res.error_detail, "ligne 11"));
        assert_int_equal(r.res.bytes_verified, 0);

        uint64_t tsize = 0;
        _cleanup_free_ uint8_t *t = read_file(f->target, &tsize);
        /* The first range may or may not have reached the drive when the
         * stop came (the writers leave at once); if it did, it is right. */
        assert_true(memcmp(t, img, 16 * 4096) == 0 || (t[0] == OLD_BYTE && t[16 * 4096 - 1] == OLD_BYTE));
        for (uint64_t i = 1500 * 4096; i < 1601 * 4096; i++)
                assert_int_equal(t[i], OLD_BYTE);
        /* The last piece of the wrong range was not written either. */
        for (uint64_t i = 900 * 4096; i < 901 * 4096; i++)
                assert_int_equal(t[i], OLD_BYTE);
        free_bmap(b);
}

static void test_mismatch_raw(void **state) {
        check_mismatch(*state, IMG_COMPRESSION_NONE);
}

static void test_mismatch_zstd(void **state) {
        check_mismatch(*state, IMG_COMPRESSION_ZSTD);
}

/* Broken zstd streams, and streams of the wrong length. */
static void check_bad_stream(const struct fixture *f, const uint8_t *z, size_t zn, const uint8_t *img,
                             uint64_t bmap_size, const char *expect) {
        const struct pair pairs[] = { { 0, 1 }, { 200, 300 } };
        struct img_bmap *b = make_bmap(img, bmap_size, 4096, pairs, ELEMENTSOF(pairs));
        struct run r;

        write_file(f->image, z, zn);
        make_target(f->target, 8 * 1024 * 1024);
        do_run(f, b, IMG_COMPRESSION_ZSTD, 0, 1, NULL, NULL, &r);
        assert_int_equal(r.ret, 0);
        assert_int_equal(r.res.error, -EBADMSG);
        if (!strstr(r.res.error_detail, expect))
                fail_msg("'%s' not in: %s", expect, r.res.error_detail);
        free_bmap(b);
}

static void test_bad_zstd(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 4 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 7);
        size_t cap = ZSTD_compressBound(size);
        _cleanup_free_ uint8_t *z = malloc(cap);
        assert_non_null(z);
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        assert_non_null(cc);
        assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
        size_t zn = ZSTD_compress2(cc, z, cap, img, size);
        ZSTD_freeCCtx(cc);
        assert_false(ZSTD_isError(zn));

        /* Cut: the stream ends in the middle of the frame. */
        check_bad_stream(f, z, zn - 100, img, size, "tronquée");
        check_bad_stream(f, z, zn / 2, img, size, "tronquée");
        /* Not zstd at all. */
        check_bad_stream(f, img, 65536, img, size, "corrompue");
        /* Garbage in the middle (the checksum or the block decoder sees it). */
        _cleanup_free_ uint8_t *bad = malloc(zn);
        assert_non_null(bad);
        memcpy(bad, z, zn);
        for (size_t i = zn / 2; i < zn / 2 + 64; i++)
                bad[i] ^= 0x5a;
        check_bad_stream(f, bad, zn, img, size, "corrompue");
        /* Decompresses to more than ImageSize, and to less. */
        check_bad_stream(f, z, zn, img, size - 8192, "dépasse ImageSize");
        _cleanup_free_ uint8_t *big = make_image(size + 8192, 7);
        check_bad_stream(f, z, zn, big, size + 8192, "trop courte");
        /* Garbage after the last frame. */
        _cleanup_free_ uint8_t *trail = malloc(zn + 16);
        assert_non_null(trail);
        memcpy(trail, z, zn);
        memset(trail + zn, 0x42, 16);
        check_bad_stream(f, trail, zn + 16, img, size, "corrompue");
}

/* A raw image that is not ImageSize bytes long is refused before writing. */
static void test_raw_wrong_size(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 2 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 8);
        const struct pair pairs[] = { { 0, 10 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, 1);
        struct run r;

        write_image(f->image, img, size - 4096, IMG_COMPRESSION_NONE);
        make_target(f->target, size);
        do_run(f, b, IMG_COMPRESSION_NONE, 0, 0, NULL, NULL, &r);
        assert_int_equal(r.ret, -EBADMSG);
        assert_int_equal(r.res.error, -EBADMSG);
        assert_non_null(strstr(r.res.error_detail, "ImageSize"));
        assert_target(f->target, img, &(struct img_bmap) { .image_size = size, .block_size = 4096 }, size);
        free_bmap(b);
}

/* A drive smaller than the image: refused, nothing written. */
static void test_target_too_small(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 4 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 9);
        const struct pair pairs[] = { { 0, 10 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, 1);
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_ZSTD);
        make_target(f->target, size - 4096);
        do_run(f, b, IMG_COMPRESSION_ZSTD, 0, 0, NULL, NULL, &r);
        assert_int_equal(r.ret, -ENOSPC);
        assert_int_equal(r.res.error, -ENOSPC);
        assert_int_equal(r.res.device_size, size - 4096);
        assert_non_null(strstr(r.res.error_detail, "plus petit que l'image"));
        assert_target(f->target, img, &(struct img_bmap) { .image_size = size, .block_size = 4096 }, size - 4096);
        free_bmap(b);
}

/* Cancel and removal flags: the run stops, says why, writes nothing. */
static void test_cancel_removed(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 4 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 10);
        const struct pair pairs[] = { { 0, 1023 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, 1);
        atomic_bool yes = true;
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_ZSTD);
        make_target(f->target, size);
        do_run(f, b, IMG_COMPRESSION_ZSTD, 0, 0, &yes, NULL, &r);
        assert_int_equal(r.ret, 0);
        assert_int_equal(r.res.stop, IMG_STOP_CANCELLED);
        assert_int_equal(r.res.error, -ECANCELED);
        assert_int_equal(r.res.bytes_written, 0);
        assert_target(f->target, img, &(struct img_bmap) { .image_size = size, .block_size = 4096 }, size);

        do_run(f, b, IMG_COMPRESSION_ZSTD, 0, 0, NULL, &yes, &r);
        assert_int_equal(r.ret, 0);
        assert_int_equal(r.res.stop, IMG_STOP_REMOVED);
        assert_int_equal(r.res.error, -ENODEV);
        free_bmap(b);
}

/* Cancelled while running: a thread raises the flag once the first bytes
 * are written; the run stops before the end. */
struct canceller {
        struct img_progress *progress;
        atomic_bool *cancel;
        atomic_bool quit;
};

static void *cancel_soon(void *arg) {
        struct canceller *k = arg;
        while (!atomic_load(&k->quit) && atomic_load(&k->progress->bytes_written) == 0)
                usleep(100);
        atomic_store(k->cancel, true);
        return NULL;
}

static void test_cancel_running(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 64 * 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 11);
        const struct pair pairs[] = { { 0, size / 4096 - 1 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, 1);
        atomic_bool cancel = false;

        write_image(f->image, img, size, IMG_COMPRESSION_NONE);
        make_target(f->target, size);
        _cleanup_close_ int target = open(f->target, O_RDWR | O_CLOEXEC);
        _cleanup_close_ int image = open(f->image, O_RDONLY | O_CLOEXEC);
        struct img_progress progress = {};
        struct canceller k = { .progress = &progress, .cancel = &cancel };
        atomic_init(&k.quit, false);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, cancel_soon, &k), 0);
        struct img_write_result res;
        struct img_write_opts o = {
                .image_fd = image,
                .compression = IMG_COMPRESSION_NONE,
                .bmap = b,
                .cancel = &cancel,
                .progress = &progress,
                .buffer_mib = 1,
        };
        assert_int_equal(img_write_run(target, &o, &res), 0);
        atomic_store(&k.quit, true);
        pthread_join(t, NULL);
        /* Either it saw the flag (the usual case), or the machine was so
         * slow that everything went through before the thread woke up. */
        if (res.stop == IMG_STOP_NONE) {
                assert_int_equal(res.error, 0);
                assert_int_equal(res.bytes_written, size);
        } else {
                assert_int_equal(res.stop, IMG_STOP_CANCELLED);
                assert_int_equal(res.error, -ECANCELED);
                assert_true(res.bytes_written < size);
        }
        free_bmap(b);
}

/* Bad arguments and a bmap that points outside the image. */
static void test_invalid(void **state) {
        struct fixture *f = *state;
        const uint64_t size = 1024 * 1024;
        _cleanup_free_ uint8_t *img = make_image(size, 12);
        const struct pair pairs[] = { { 0, 10 }, { 20, 30 } };
        struct img_bmap *b = make_bmap(img, size, 4096, pairs, ELEMENTSOF(pairs));
        struct run r;

        write_image(f->image, img, size, IMG_COMPRESSION_NONE);
        make_target(f->target, size);
        b->ranges[1].first = 5; /* overlaps the first */
        do_run(f, b, IMG_COMPRESSION_NONE, 0, 0, NULL, NULL, &r);
        assert_int_equal(r.ret, -EINVAL);
        assert_non_null(strstr(r.res.error_detail, "ligne 11"));
        b->ranges[1].first = 20;
        b->ranges[1].last = 256; /* past the end */
        do_run(f, b, IMG_COMPRESSION_NONE, 0, 0, NULL, NULL, &r);
        assert_int_equal(r.ret, -EINVAL);
        b->ranges[1].last = 30;
        do_run(f, b, IMG_COMPRESSION_NONE, 101, 0, NULL, NULL, &r);
        assert_int_equal(r.ret, -EINVAL);
        b->block_size = 3000;
        do_run(f, b, IMG_COMPRESSION_NONE, 0, 0, NULL, NULL, &r);
        assert_int_equal(r.ret, -EINVAL);
        assert_target(f->target, img, &(struct img_bmap) { .image_size = size, .block_size = 4096 }, size);

        struct img_write_result res;
        assert_int_equal(img_write_run(-1, &(struct img_write_opts) { .image_fd = 0, .bmap = b }, &res), -EINVAL);
        assert_int_equal(img_write_run(0, NULL, &res), -EINVAL);
        free_bmap(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_raw_sparse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zstd_dense_odd_size, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zstd_sparse_sample, setup, teardown),
                cmocka_unit_test_setup_teardown(test_small_blocks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zstd_pipe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mismatch_raw, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mismatch_zstd, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_zstd, setup, teardown),
                cmocka_unit_test_setup_teardown(test_raw_wrong_size, setup, teardown),
                cmocka_unit_test_setup_teardown(test_target_too_small, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_removed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_running, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
