/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing the ext4 filesystem of a fitted root partition, before it is
 * mounted: e2fsck -f -p, then resize2fs to fill the partition. */
#include "img-fit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rf-macro.h"

/* Cuts a UTF-8 character left incomplete at the end of s by a truncation
 * (the record is JSON: its strings must be valid UTF-8). */
static void utf8_trim_partial(char *s) {
        size_t n = strlen(s), i = n;
        while (i > 0 && n - i < 3 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return;
        unsigned char lead = (unsigned char) s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (need > 1 && n - (i - 1) < need)
                s[i - 1] = '\0';
}

_printf_(2, 3) static void set_detail(struct img_fit_result *res, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
        va_end(ap);
        utf8_trim_partial(res->detail);
}

#define EXT4_MAGIC 0xEF53
#define EXT4_SB_OFFSET 1024
#define EXT4_FEATURE_INCOMPAT_64BIT 0x80

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* Block count and block size from the superblock of the fs on devnode. */
static int ext4_sb_geometry(const char *devnode, uint64_t *ret_blocks, uint64_t *ret_block_size) {
        _cleanup_close_ int fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        uint8_t sb[1024];
        ssize_t n = pread(fd, sb, sizeof(sb), EXT4_SB_OFFSET);
        if (n < 0)
                return negative_errno();
        if (n != (ssize_t) sizeof(sb))
                return -EIO;
        if ((sb[0x38] | sb[0x39] << 8) != EXT4_MAGIC)
                return -EMEDIUMTYPE;
        uint32_t log = le32(sb + 0x18);
        if (log > 6) /* 1 KiB .. 64 KiB */
                return -EBADMSG;
        uint64_t blocks = le32(sb + 0x04);
        if (le32(sb + 0x60) & EXT4_FEATURE_INCOMPAT_64BIT)
                blocks |= (uint64_t) le32(sb + 0x150) << 32;
        *ret_blocks = blocks;
        *ret_block_size = 1024ULL << log;
        return 0;
}

/* Run argv (absolute path), its stdout+stderr collected (the end kept in
 * out); returns its exit status, or a negative errno. */
static int run_tool(char *const argv[], char *out, size_t outlen) {
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return negative_errno();
        _cleanup_close_ int rd = pipefd[0];
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
        char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL };
        pid_t pid;
        int k = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (k != 0)
                return -k;
        size_t len = 0;
        char buf[4096];
        for (;;) {
                ssize_t n = read(rd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (ssize_t i = 0; i < n && outlen > 1; i++) {
                        if (len + 1 >= outlen) {
                                memmove(out, out + outlen / 2, len - outlen / 2);
                                len -= outlen / 2;
                        }
                        out[len++] = buf[i] == '\n' || buf[i] == '\t' ? ' ' : buf[i];
                }
        }
        if (outlen > 0)
                out[MIN(len, outlen - 1)] = '\0';
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int img_fit_grow_ext4(const char *part_devnode, struct img_fit_result *res) {
        if (!part_devnode || !res)
                return -EINVAL;
        uint64_t blocks = 0, bsize = 0;
        int r = ext4_sb_geometry(part_devnode, &blocks, &bsize);
        if (r == -EMEDIUMTYPE) {
                set_detail(res, "%s : pas un système de fichiers ext4 : agrandissement non pris en charge",
                           part_devnode);
                return -EOPNOTSUPP;
        }
        if (r < 0) {
                set_detail(res, "%s : superbloc ext4 illisible (%s)", part_devnode, strerror(-r));
                return r;
        }
        res->fs_size_before = blocks * bsize;

        uint64_t part_size = 0;
        {
                _cleanup_close_ int pfd = open(part_devnode, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (pfd < 0 || ioctl(pfd, BLKGETSIZE64, &part_size) < 0) {
                        r = negative_errno();
                        set_detail(res, "%s : taille inconnue (%s)", part_devnode, strerror(-r));
                        return r;
                }
        }
        if (part_size / bsize < blocks) {
                set_detail(res,
                           "%s : le système de fichiers (%" PRIu64 " blocs de %" PRIu64
                           " octets) dépasse la partition (%" PRIu64 " octets)",
                           part_devnode, blocks, bsize, part_size);
                return -ENOSPC;
        }
        if (part_size / bsize > blocks) {
                /* resize2fs wants a freshly checked filesystem: e2fsck -f -p
                 * first (0: clean, 1: fixed, 2: fixed, reboot advised —
                 * all fine for a filesystem nobody has mounted). Offline,
                 * so no CAP_SYS_RESOURCE is needed as for the online ioctl,
                 * and a damaged image is caught before it is customised. */
                char out[512] = "";
                char *const fsck[] = { "/sbin/e2fsck", "-f", "-p", (char *) part_devnode, NULL };
                int st = run_tool(fsck, out, sizeof(out));
                if (st < 0 || st > 2) {
                        set_detail(res, "%s : e2fsck a échoué (%s) : %s", part_devnode,
                                   st < 0 ? strerror(-st) : "code de sortie", out);
                        utf8_trim_partial(res->detail);
                        return st < 0 ? st : -EUCLEAN;
                }
                char *const grow[] = { "/sbin/resize2fs", (char *) part_devnode, NULL };
                st = run_tool(grow, out, sizeof(out));
                if (st != 0) {
                        set_detail(res, "%s : resize2fs a échoué (%s%d) : %s", part_devnode,
                                   st < 0 ? "erreur " : "code ", st, out);
                        return st < 0 ? st : -EIO;
                }
                r = ext4_sb_geometry(part_devnode, &blocks, &bsize);
                if (r < 0) {
                        set_detail(res, "%s : superbloc ext4 illisible (%s)", part_devnode, strerror(-r));
                        return r;
                }
        }
        res->fs_size_after = blocks * bsize;
        return 0;
}
