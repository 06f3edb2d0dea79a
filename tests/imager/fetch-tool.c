/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Driver of img-fetch for the integration tests:
 *
 *   img-fetch-tool --cache DIR [--ca-file F] [--keep N] [--low-speed-time S] NAME VERSION LOCATION SHA256
 *       img_fetch() then img_cache_prune(); prints
 *       {"path":...,"size":...,"from_cache":...,"resumed":...,"downloaded":...,"sha256":...,"pruned":N}
 *       or the error on stderr (exit 1). SIGTERM/SIGINT set the cancel flag.
 *   img-fetch-tool --sha256 FILE
 *       prints the SHA-256 computed by img_sha256_fd(). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img-fetch.h"
#include "rf-macro.h"

/* The one piece of global state: a signal handler can reach nothing else. */
static atomic_bool cancel_requested;

static void on_signal(int sig) {
        (void) sig;
        atomic_store(&cancel_requested, true);
}

static int usage(void) {
        fprintf(stderr, "usage: img-fetch-tool --cache DIR [--ca-file F] [--keep N] [--low-speed-time S] "
                        "NAME VERSION LOCATION SHA256\n       img-fetch-tool --sha256 FILE\n");
        return 2;
}

static int parse_unsigned(const char *s, unsigned *ret) {
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || !end || *end || end == s || v > 1000000)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int sha256_file(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        char hex[65];
        int k = img_sha256_fd(fd, NULL, NULL, hex);
        if (k < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-k));
                return 1;
        }
        printf("%s\n", hex);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "cache", required_argument, NULL, 'c' },
                { "ca-file", required_argument, NULL, 'a' },
                { "keep", required_argument, NULL, 'k' },
                { "low-speed-time", required_argument, NULL, 'l' },
                { "sha256", required_argument, NULL, 's' },
                {},
        };
        struct img_fetch_opts o = {};
        unsigned keep = 2;
        int c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o.cache_dir = optarg;
                        break;
                case 'a':
                        o.ca_file = optarg;
                        break;
                case 'k':
                        if (parse_unsigned(optarg, &keep) < 0)
                                return usage();
                        o.keep_versions = keep;
                        break;
                case 'l':
                        if (parse_unsigned(optarg, &o.low_speed_seconds) < 0)
                                return usage();
                        break;
                case 's':
                        return sha256_file(optarg);
                default:
                        return usage();
                }
        }
        if (argc - optind != 4)
                return usage();
        const char *name = argv[optind], *version = argv[optind + 1], *location = argv[optind + 2];
        const char *sha = argv[optind + 3];
        char want[65] = "";
        snprintf(want, sizeof(want), "%s", sha);

        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        o.cancel = &cancel_requested;
        struct img_fetch_progress progress = {};
        o.progress = &progress;
        struct img_fetched f = { .fd = -1 };
        char err[1024] = "";
        int k = img_fetch(&o, name, version, location, want, &f, err, sizeof(err));
        if (k < 0) {
                fprintf(stderr, "img_fetch: %s (%s)\n", err, strerror(-k));
                return 1;
        }
        /* What the descriptor gives is what was verified. */
        char again[65];
        k = img_sha256_fd(f.fd, NULL, NULL, again);
        int pruned = o.cache_dir ? img_cache_prune(o.cache_dir, name, keep, version) : 0;
        json_t *j = json_pack("{s:s, s:I, s:b, s:b, s:I, s:s, s:i}", "path", f.path, "size", (json_int_t) f.size,
                              "from_cache", f.from_cache, "resumed", f.resumed, "downloaded",
                              (json_int_t) f.downloaded, "sha256", k < 0 ? "" : again, "pruned", pruned);
        img_fetched_clear(&f);
        if (!j)
                return 1;
        char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        if (!s)
                return 1;
        printf("%s\n", s);
        free(s);
        return 0;
}
