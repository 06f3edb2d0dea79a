/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Post-image hooks: listing (run-parts rules) and running each one as PID 1
 * of its own PID namespace, so that nothing it starts outlives it.
 *
 *   runner thread ── fork ──> helper (outside the namespace)
 *                               unshare(CLONE_NEWPID), fork ──> hook (PID 1)
 *
 * The helper enforces the time limit (SIGKILL to the hook, which takes the
 * whole namespace with it), reaps the hook (which only becomes reapable
 * once every process of its namespace is gone) and reports the wait status
 * on a pipe. Both die with their parent (PR_SET_PDEATHSIG): nothing
 * survives the daemon either. The runner reads the output and, as a last
 * resort, kills the helper when it overstays. */
#include "img-hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"

/* How long past its limit the runner waits for the helper's report before
 * killing it (the helper itself kills at the limit). */
#define HOOK_GRACE_SEC 10

bool img_hook_name_valid(const char *name) {
        if (!name || !name[0] || strlen(name) > 127)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == '-'))
                        return false;
        return true;
}

void img_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, img_strv_free)

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* 0 when dir/name is an executable regular file; else <0 and why. */
static int hook_usable(int dirfd, const char *name, const char **why) {
        struct stat st;
        if (fstatat(dirfd, name, &st, 0) < 0) {
                *why = errno == ENOENT ? "absent" : "illisible";
                return negative_errno();
        }
        if (!S_ISREG(st.st_mode)) {
                *why = "pas un fichier ordinaire";
                return -EINVAL;
        }
        if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
                *why = "pas exécutable";
                return -EACCES;
        }
        return 0;
}

int img_hooks_list(const char *dir, char *const *names, char ***ret, char *err, size_t errlen) {
        if (!dir || !ret)
                return -EINVAL;
        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                int r = negative_errno();
                snprintf(err, errlen, "dossier des crochets %s : %s", dir, strerror(-r));
                return r;
        }
        _cleanup_(img_strv_freep) char **list = calloc(IMG_HOOKS_MAX + 1, sizeof(char *));
        if (!list)
                return -ENOMEM;
        size_t n = 0;

        if (names) {
                for (char *const *p = names; *p; p++) {
                        const char *why = NULL;
                        if (n >= IMG_HOOKS_MAX) {
                                snprintf(err, errlen, "le profil nomme plus de %d crochets", IMG_HOOKS_MAX);
                                return -E2BIG;
                        }
                        if (!img_hook_name_valid(*p)) {
                                snprintf(err, errlen,
                                         "crochet « %.64s » du profil : nom invalide (A-Z a-z 0-9 _ - attendus)", *p);
                                return -EINVAL;
                        }
                        int r = hook_usable(dirfd, *p, &why);
                        if (r < 0) {
                                snprintf(err, errlen, "crochet « %s » du profil : %s dans %s", *p, why, dir);
                                return r;
                        }
                        if (!(list[n++] = strdup(*p)))
                                return -ENOMEM;
                }
        } else {
                int fd = dup(dirfd);
                if (fd < 0)
                        return negative_errno();
                _cleanup_closedir_ DIR *d = fdopendir(fd);
                if (!d) {
                        int r = negative_errno();
                        close(fd);
                        return r;
                }
                struct dirent *de;
                while ((de = readdir(d))) {
                        const char *why = NULL;
                        if (!img_hook_name_valid(de->d_name) || hook_usable(dirfd, de->d_name, &why) < 0)
                                continue;
                        if (n >= IMG_HOOKS_MAX) {
                                snprintf(err, errlen, "%s : plus de %d crochets", dir, IMG_HOOKS_MAX);
                                return -E2BIG;
                        }
                        if (!(list[n++] = strdup(de->d_name)))
                                return -ENOMEM;
                }
                qsort(list, n, sizeof(char *), cmp_str);
        }
        *ret = TAKE_PTR(list);
        return 0;
}

void img_hook_result_clear(struct img_hook_result *h) {
        if (!h)
                return;
        free(h->output);
        *h = (struct img_hook_result){ 0 };
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_valid_len(const uint8_t *p, size_t n) {
        uint8_t c = p[0];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                len = 2, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
                len = 3, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
                len = 4, cp = c & 0x07, min = 0x10000;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return len;
}

char *img_utf8_sanitise(const uint8_t *data, size_t len) {
        size_t i = 0;
        /* A character cut by the start of the kept tail. */
        while (i < len && i < 3 && (data[i] & 0xC0) == 0x80)
                i++;
        /* Worst case: every byte becomes U+FFFD (3 bytes). */
        char *out = malloc((len - i) * 3 + 1);
        if (!out)
                return NULL;
        size_t o = 0;
        while (i < len) {
                size_t l = utf8_valid_len(data + i, len - i);
                if (l == 0) {
                        memcpy(out + o, "\xEF\xBF\xBD", 3);
                        o += 3;
                        i++;
                } else if (l == 1) {
                        uint8_t c = data[i++];
                        out[o++] = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F ? '?' : (char) c;
                } else {
                        memcpy(out + o, data + i, l);
                        o += l;
                        i += l;
                }
        }
        out[o] = '\0';
        return out;
}

/* ---- Running -------------------------------------------------------- */

struct hook_report {
        int32_t stage;     /* 0: the hook ran; 1: unshare failed; 2: fork failed */
        int32_t err;       /* errno of the failure */
        int32_t wstatus;
        int32_t timed_out;
};

/* The last IMG_HOOK_OUTPUT_MAX bytes of the output. */
struct tail {
        uint8_t buf[IMG_HOOK_OUTPUT_MAX];
        size_t head;   /* next write position */
        size_t total;
};

static void tail_add(struct tail *t, const uint8_t *p, size_t n) {
        if (n >= sizeof(t->buf)) {
                p += n - sizeof(t->buf);
                t->total += n - sizeof(t->buf);
                n = sizeof(t->buf);
        }
        size_t first = MIN(n, sizeof(t->buf) - t->head);
        memcpy(t->buf + t->head, p, first);
        memcpy(t->buf, p + first, n - first);
        t->head = (t->head + n) % sizeof(t->buf);
        t->total += n;
}

static char *tail_text(const struct tail *t) {
        size_t n = MIN(t->total, sizeof(t->buf));
        uint8_t *lin = malloc(n ? n : 1);
        if (!lin)
                return NULL;
        size_t start = (t->head + sizeof(t->buf) - n) % sizeof(t->buf);
        size_t first = MIN(n, sizeof(t->buf) - start);
        memcpy(lin, t->buf + start, first);
        memcpy(lin + first, t->buf, n - first);
        char *s = img_utf8_sanitise(lin, n);
        free(lin);
        return s;
}

static int pidfd_open_sys(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static uint64_t now_msec(void) {
        return rf_now_usec() / 1000;
}

/* Async-signal-safe "what: errno N\n" on fd 2 (the hook's output). */
static void child_report_errno(const char *what, int e) {
        char buf[160];
        size_t n = 0;
        for (const char *p = what; *p && n < sizeof(buf) - 16; p++)
                buf[n++] = *p;
        const char *mid = " : errno ";
        for (const char *p = mid; *p; p++)
                buf[n++] = *p;
        char digits[12];
        size_t d = 0;
        unsigned u = e < 0 ? 0U : (unsigned) e;
        do {
                digits[d++] = (char) ('0' + u % 10);
                u /= 10;
        } while (u && d < sizeof(digits));
        while (d)
                buf[n++] = digits[--d];
        buf[n++] = '\n';
        ssize_t w = write(STDERR_FILENO, buf, n);
        (void) w;
}

/* The hook: PID 1 of the new namespace. Never returns. */
_Noreturn static void hook_child(const char *path, char *const *argv, char *const *env, int devnull, int out) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) setsid();
        if (chdir("/") < 0)
                _exit(127);
        if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
                _exit(127);
        (void) syscall(SYS_close_range, 3U, ~0U, 0U);
        /* Nothing of the daemon's signal handling leaks into the hook. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        sigset_t all;
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        execve(path, argv, env);
        child_report_errno("exécution du crochet impossible", errno);
        _exit(127);
}

static void helper_report(int fd, const struct hook_report *rep) {
        ssize_t w = write(fd, rep, sizeof(*rep));
        (void) w;
}

/* The helper: outside the namespace, parent of the hook. Never returns. */
_Noreturn static void helper_child(pid_t runner, const char *path, char *const *argv, char *const *env, int devnull,
                                   int out, int report, unsigned timeout_sec) {
        struct hook_report rep = { 0 };
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != runner)
                _exit(1);
        if (unshare(CLONE_NEWPID) < 0) {
                rep = (struct hook_report){ .stage = 1, .err = errno };
                helper_report(report, &rep);
                _exit(1);
        }
        pid_t hook = fork();
        if (hook < 0) {
                rep = (struct hook_report){ .stage = 2, .err = errno };
                helper_report(report, &rep);
                _exit(1);
        }
        if (hook == 0) {
                close(report);
                hook_child(path, argv, env, devnull, out);
        }
        close(out);
        close(devnull);

        uint64_t deadline = now_msec() + (uint64_t) timeout_sec * 1000;
        int pfd = pidfd_open_sys(hook);
        int status = 0;
        for (;;) {
                pid_t w = waitpid(hook, &status, WNOHANG);
                if (w == hook)
                        break;
                if (w < 0 && errno != EINTR) {
                        rep = (struct hook_report){ .stage = 2, .err = errno };
                        helper_report(report, &rep);
                        _exit(1);
                }
                uint64_t now = now_msec();
                if (now >= deadline) {
                        /* PID 1 of the namespace: the kernel kills the rest,
                         * and waitpid returns once they are all gone. */
                        (void) kill(hook, SIGKILL);
                        rep.timed_out = 1;
                        while (waitpid(hook, &status, 0) < 0 && errno == EINTR)
                                ;
                        break;
                }
                int left = (int) MIN(deadline - now, (uint64_t) 1000);
                if (pfd >= 0) {
                        struct pollfd p = { .fd = pfd, .events = POLLIN };
                        (void) poll(&p, 1, left);
                } else {
                        struct timespec ts = { .tv_nsec = 20 * 1000000L };
                        (void) nanosleep(&ts, NULL);
                }
        }
        rep.wstatus = status;
        helper_report(report, &rep);
        _exit(0);
}

static void closep_pair(int p[2]) {
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0) {
                        close(p[i]);
                        p[i] = -1;
                }
}

/* Reads the output until the helper is gone (the namespace with it) and
 * the pipe is drained; kills the helper when it overstays. */
static void collect(pid_t helper, int pidfd, int outfd, struct tail *t, uint64_t kill_at_msec) {
        bool helper_gone = false, eof = false;
        uint8_t buf[4096];
        while (!eof) {
                uint64_t now = now_msec();
                if (!helper_gone && now >= kill_at_msec) {
                        (void) kill(helper, SIGKILL);
                        kill_at_msec = UINT64_MAX;
                }
                struct pollfd p[2] = {
                        { .fd = outfd, .events = POLLIN },
                        { .fd = helper_gone ? -1 : pidfd, .events = POLLIN },
                };
                int timeout = helper_gone ? 0 : kill_at_msec == UINT64_MAX ? 1000 : (int) MIN(kill_at_msec - now, 1000);
                int n = poll(p, 2, pidfd >= 0 ? timeout : MIN(timeout, 50));
                if (n < 0 && errno != EINTR)
                        break;
                if (pidfd < 0 && !helper_gone) {
                        siginfo_t si = { 0 };
                        if (waitid(P_PID, (id_t) helper, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == helper)
                                helper_gone = true;
                } else if (n > 0 && (p[1].revents & POLLIN))
                        helper_gone = true;
                if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        ssize_t r = read(outfd, buf, sizeof(buf));
                        if (r > 0)
                                tail_add(t, buf, (size_t) r);
                        else if (r == 0 || (errno != EINTR && errno != EAGAIN))
                                eof = true;
                } else if (helper_gone && n == 0)
                        /* Nothing more to read now, and nobody left to write:
                         * a descriptor passed outside the namespace must not
                         * keep us here. */
                        break;
        }
}

int img_hook_run(const char *dir, const char *name, char *const *env, unsigned timeout_sec,
                 struct img_hook_result *ret, char *err, size_t errlen) {
        if (!dir || !name || !env || !ret || timeout_sec == 0)
                return -EINVAL;
        *ret = (struct img_hook_result){ 0 };
        snprintf(ret->name, sizeof(ret->name), "%s", name);
        if (!img_hook_name_valid(name)) {
                snprintf(err, errlen, "crochet « %.64s » : nom invalide", name);
                return -EINVAL;
        }
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        char *argv[] = { path, NULL };

        _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (devnull < 0)
                return negative_errno();
        int out[2] = { -1, -1 }, rep[2] = { -1, -1 };
        if (pipe2(out, O_CLOEXEC) < 0)
                return negative_errno();
        if (pipe2(rep, O_CLOEXEC) < 0) {
                int r = negative_errno();
                closep_pair(out);
                return r;
        }
        _cleanup_free_ struct tail *t = calloc(1, sizeof(struct tail));
        if (!t) {
                closep_pair(out);
                closep_pair(rep);
                return -ENOMEM;
        }

        uint64_t t0 = rf_now_usec();
        pid_t runner = getpid();
        pid_t helper = fork();
        if (helper < 0) {
                int r = negative_errno();
                closep_pair(out);
                closep_pair(rep);
                snprintf(err, errlen, "crochet %s : fork impossible (%s)", name, strerror(-r));
                return r;
        }
        if (helper == 0) {
                close(out[0]);
                close(rep[0]);
                helper_child(runner, path, argv, env, devnull, out[1], rep[1], timeout_sec);
        }
        close(out[1]);
        close(rep[1]);
        _cleanup_close_ int outfd = out[0];
        _cleanup_close_ int repfd = rep[0];
        _cleanup_close_ int pidfd = pidfd_open_sys(helper);

        collect(helper, pidfd, outfd, t, now_msec() + ((uint64_t) timeout_sec + HOOK_GRACE_SEC) * 1000);

        int hstatus = 0;
        while (waitpid(helper, &hstatus, 0) < 0 && errno == EINTR)
                ;
        ret->seconds = (double) (rf_now_usec() - t0) / 1e6;
        ret->output = tail_text(t);
        if (!ret->output)
                return -ENOMEM;

        struct hook_report report = { 0 };
        ssize_t n;
        do
                n = read(repfd, &report, sizeof(report));
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t) sizeof(report)) {
                /* The helper was killed by the runner: the hook overstayed
                 * even the helper's own limit. */
                ret->timed_out = true;
                ret->exit_status = 128 + SIGKILL;
                return 0;
        }
        if (report.stage != 0) {
                snprintf(err, errlen, "crochet %s : %s impossible (%s)", name,
                         report.stage == 1 ? "espace de noms de PID (unshare CLONE_NEWPID)" : "fork",
                         strerror(report.err));
                return report.err > 0 ? -report.err : -EIO;
        }
        ret->timed_out = report.timed_out != 0;
        if (WIFEXITED(report.wstatus))
                ret->exit_status = WEXITSTATUS(report.wstatus);
        else if (WIFSIGNALED(report.wstatus))
                ret->exit_status = 128 + WTERMSIG(report.wstatus);
        else
                ret->exit_status = 255;
        return 0;
}
