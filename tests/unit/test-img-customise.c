/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img-customise.h"
#include "img-hooks.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "test-tmpdir.h"

/* ---- host names ------------------------------------------------------- */

static void assert_hostname(const char *tag, const char *expected) {
        char out[64];
        memset(out, 'x', sizeof(out));
        img_hostname_from_tag(tag, out);
        assert_string_equal(out, expected);
}

static void hostname_from_tag(void **state) {
        (void) state;
        assert_hostname("RB-00017", "rb-00017");
        assert_hostname("rb-00017", "rb-00017");
        assert_hostname("RB 00017/b", "rb-00017-b");
        assert_hostname("RB_00017.x", "rb-00017-x");
        assert_hostname("", "poste");
        assert_hostname(NULL, "poste");
        assert_hostname("___", "poste");
        assert_hostname("-ab-", "ab");
        /* A multi-byte character is one '-', not one per byte. */
        assert_hostname("Salle\xc3\xa9" "1", "salle-1");
        assert_hostname("\xc3\xa9t\xc3\xa9", "t");

        char longtag[200];
        memset(longtag, 'A', sizeof(longtag) - 1);
        longtag[sizeof(longtag) - 1] = '\0';
        char out[64];
        img_hostname_from_tag(longtag, out);
        assert_int_equal(strlen(out), 63);
        for (size_t i = 0; i < 63; i++)
                assert_int_equal(out[i], 'a');
        /* Cut at 63 right after a '-': no trailing '-'. */
        memset(longtag, 'b', 62);
        longtag[62] = ' ';
        longtag[63] = 'c';
        longtag[64] = '\0';
        img_hostname_from_tag(longtag, out);
        assert_int_equal(strlen(out), 62);
        assert_int_equal(out[61], 'b');
}

/* ---- UTF-8 ------------------------------------------------------------ */

static void utf8_sanitise(void **state) {
        (void) state;
        const struct {
                const char *in;
                size_t len;
                const char *out;
        } cases[] = {
                { "plain text\n", 11, "plain text\n" },
                { "caf\xc3\xa9", 5, "caf\xc3\xa9" },
                { "a\xff" "b", 3, "a\xef\xbf\xbd" "b" },
                { "\xc3", 1, "\xef\xbf\xbd" },                       /* truncated sequence at the end */
                { "\xa9tail", 5, "tail" },                            /* cut character at the start */
                { "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },       /* overlong */
                { "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
                { "a\0b\x1b[0m\tc\r\n", 11, "a?b?[0m\tc\r\n" },
                { "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = img_utf8_sanitise((const uint8_t *) cases[i].in, cases[i].len);
                assert_non_null(s);
                assert_string_equal(s, cases[i].out);
        }
}

/* ---- listing ----------------------------------------------------------- */

static void write_text(const char *path, const char *text, mode_t mode) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        if (fd < 0)
                return;
        size_t len = strlen(text);
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        assert_int_equal(fchmod(fd, mode), 0);
}

static void write_script(const char *dir, const char *name, const char *body, mode_t mode) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        _cleanup_free_ char *text = NULL;
        assert_true(asprintf(&text, "#!/bin/sh\n%s\n", body) > 0);
        write_text(path, text, mode);
}

static void hooks_list(void **state) {
        (void) state;
        char dir[64];
        assert_int_equal(test_mkdtemp(dir, sizeof(dir), "test-hooks"), 0);
        write_script(dir, "20-b", "exit 0", 0755);
        write_script(dir, "10-a", "exit 0", 0755);
        write_script(dir, "README", "not a hook", 0644);
        write_script(dir, "30-c.sh", "exit 0", 0755);        /* a dot: never run */
        write_script(dir, "40-d.dpkg-old", "exit 0", 0755);
        write_script(dir, "50-noexec", "exit 0", 0644);
        write_script(dir, "Z_last", "exit 0", 0700);
        char sub[128];
        snprintf(sub, sizeof(sub), "%s/15-dir", dir);
        assert_int_equal(mkdir(sub, 0755), 0);

        char err[256] = "";
        char **list = NULL;
        assert_int_equal(img_hooks_list(dir, NULL, &list, err, sizeof(err)), 0);
        assert_non_null(list);
        assert_string_equal(list[0], "10-a");
        assert_string_equal(list[1], "20-b");
        assert_string_equal(list[2], "Z_last");
        assert_null(list[3]);
        img_strv_free(list);

        /* The profile's list: its order, each one must be there. */
        char *const named[] = { "20-b", "10-a", NULL };
        list = NULL;
        assert_int_equal(img_hooks_list(dir, named, &list, err, sizeof(err)), 0);
        assert_string_equal(list[0], "20-b");
        assert_string_equal(list[1], "10-a");
        assert_null(list[2]);
        img_strv_free(list);

        char *const missing[] = { "10-a", "99-absent", NULL };
        list = NULL;
        assert_int_equal(img_hooks_list(dir, missing, &list, err, sizeof(err)), -ENOENT);
        assert_null(list);
        assert_non_null(strstr(err, "99-absent"));
        assert_non_null(strstr(err, "absent"));

        char *const noexec[] = { "50-noexec", NULL };
        assert_int_equal(img_hooks_list(dir, noexec, &list, err, sizeof(err)), -EACCES);
        assert_non_null(strstr(err, "50-noexec"));
        assert_non_null(strstr(err, "pas exécutable"));

        char *const badname[] = { "30-c.sh", NULL };
        assert_int_equal(img_hooks_list(dir, badname, &list, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "nom invalide"));

        char *const isdir[] = { "15-dir", NULL };
        assert_int_equal(img_hooks_list(dir, isdir, &list, err, sizeof(err)), -EINVAL);

        snprintf(sub, sizeof(sub), "%s/nonexistent", dir);
        assert_true(img_hooks_list(sub, NULL, &list, err, sizeof(err)) == -ENOENT);
        assert_non_null(strstr(err, "nonexistent"));

        assert_true(img_hook_name_valid("10-hostname"));
        assert_false(img_hook_name_valid(""));
        assert_false(img_hook_name_valid("a b"));
        assert_false(img_hook_name_valid("../x"));
        test_rm_rf(dir);
}

/* ---- running (root: PID namespaces) -------------------------------------- */

static bool need_root(void) {
        if (geteuid() == 0)
                return true;
        print_message("skipped: running hooks needs root (unshare CLONE_NEWPID)\n");
        return false;
}

struct hook_dir {
        char dir[64];
        char marker[128];   /* a symlink to sleep whose path marks its processes */
        char marker_env[160];
};

static void hook_dir_make(struct hook_dir *h) {
        assert_int_equal(test_mkdtemp(h->dir, sizeof(h->dir), "test-hookrun"), 0);
        /* In a subdirectory: not a hook of the folder. */
        snprintf(h->marker, sizeof(h->marker), "%s/m", h->dir);
        assert_int_equal(mkdir(h->marker, 0755), 0);
        snprintf(h->marker, sizeof(h->marker), "%s/m/refurb-test-marker-%d", h->dir, (int) getpid());
        const char *sleep_bin = access("/usr/bin/sleep", X_OK) == 0 ? "/usr/bin/sleep" : "/bin/sleep";
        assert_int_equal(symlink(sleep_bin, h->marker), 0);
        snprintf(h->marker_env, sizeof(h->marker_env), "MARKER=%s", h->marker);
}

/* Processes whose command line holds the marker. */
static int count_marked(const char *marker) {
        _cleanup_closedir_ DIR *d = opendir("/proc");
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                char path[300], buf[4096];
                snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t len = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (len <= 0)
                        continue;
                for (ssize_t i = 0; i < len; i++)
                        if (buf[i] == '\0')
                                buf[i] = ' ';
                buf[len] = '\0';
                if (strstr(buf, marker))
                        n++;
        }
        return n;
}

/* Shell: wait (5 s at most) until the marked sleep runs, or say so and
 * fail. The pattern does not match grep's own command line. */
#define WAIT_MARKER                                                                                 \
        "i=0; while ! grep -aqs 'refurb-test-marke[r]-[0-9]*.1000' /proc/[0-9]*/cmdline; do "        \
        "i=$((i+1)); if [ $i -gt 50 ]; then echo 'marker not started'; exit 9; fi; sleep 0.1; done\n"

static void run_order_env_output(void **state) {
        (void) state;
        if (!need_root())
                skip();
        struct hook_dir h;
        hook_dir_make(&h);
        char log[128];
        snprintf(log, sizeof(log), "%s/order.log", h.dir);
        char log_env[160];
        snprintf(log_env, sizeof(log_env), "LOG=%s", log);
        write_script(h.dir, "20-second", "echo second >>\"$LOG\"", 0755);
        write_script(h.dir, "10-first", "echo first >>\"$LOG\"; echo \"pid=$$\"", 0755);
        write_script(h.dir, "30-third", "echo third >>\"$LOG\"", 0755);

        /* Every hook, in run-parts order. */
        char *const env[] = { log_env, "PATH=/usr/bin:/bin", NULL };
        char **list = NULL;
        char err[256] = "";
        assert_int_equal(img_hooks_list(h.dir, NULL, &list, err, sizeof(err)), 0);
        for (char **p = list; *p; p++) {
                struct img_hook_result r;
                assert_int_equal(img_hook_run(h.dir, *p, env, 10, &r, err, sizeof(err)), 0);
                assert_int_equal(r.exit_status, 0);
                assert_false(r.timed_out);
                assert_string_equal(r.name, *p);
                if (strcmp(*p, "10-first") == 0)
                        assert_string_equal(r.output, "pid=1\n"); /* PID 1 of its own namespace */
                img_hook_result_clear(&r);
        }
        img_strv_free(list);
        _cleanup_free_ char *logged = NULL;
        size_t loglen = 0;
        assert_int_equal(rf_read_file(log, 4096, &logged, &loglen), 0);
        assert_string_equal(logged, "first\nsecond\nthird\n");

        /* The environment is the one given, nothing else (the hook is env
         * itself: a shell would add PWD). stdin is /dev/null. */
        char envlink[128];
        snprintf(envlink, sizeof(envlink), "%s/40-env", h.dir);
        assert_int_equal(symlink("/usr/bin/env", envlink), 0);
        setenv("REFURB_TEST_LEAK", "leaked", 1);
        char *const env2[] = { "REFURB_ROOT=/mnt/x", "ODD=a b=c", "PATH=/usr/bin:/bin", NULL };
        struct img_hook_result r;
        assert_int_equal(img_hook_run(h.dir, "40-env", env2, 10, &r, err, sizeof(err)), 0);
        assert_int_equal(r.exit_status, 0);
        assert_string_equal(r.output, "REFURB_ROOT=/mnt/x\nODD=a b=c\nPATH=/usr/bin:/bin\n");
        img_hook_result_clear(&r);
        unsetenv("REFURB_TEST_LEAK");

        write_script(h.dir, "50-stdin", "if read -r x; then echo \"read:$x\"; else echo eof; fi", 0755);
        assert_int_equal(img_hook_run(h.dir, "50-stdin", env2, 10, &r, err, sizeof(err)), 0);
        assert_string_equal(r.output, "eof\n");
        img_hook_result_clear(&r);

        /* The last 16 KiB of a long output, stdout and stderr together. */
        write_script(h.dir, "60-long",
                     "i=0; while [ $i -lt 2000 ]; do echo \"line $i ......................\"; i=$((i+1)); done; "
                     "echo 'to stderr' >&2; echo END",
                     0755);
        assert_int_equal(img_hook_run(h.dir, "60-long", env2, 30, &r, err, sizeof(err)), 0);
        assert_int_equal(r.exit_status, 0);
        size_t len = strlen(r.output);
        assert_true(len <= IMG_HOOK_OUTPUT_MAX);
        assert_true(len > IMG_HOOK_OUTPUT_MAX - 64);
        assert_non_null(strstr(r.output, "line 1999 "));
        assert_null(strstr(r.output, "line 0 "));
        assert_non_null(strstr(r.output, "to stderr\nEND\n"));
        img_hook_result_clear(&r);
        test_rm_rf(h.dir);
}

static void run_exit_status(void **state) {
        (void) state;
        if (!need_root())
                skip();
        struct hook_dir h;
        hook_dir_make(&h);
        write_script(h.dir, "10-fail", "echo 'quelque chose manque' >&2; exit 3", 0755);
        char *const env[] = { "PATH=/usr/bin:/bin", NULL };
        struct img_hook_result r;
        char err[256] = "";
        assert_int_equal(img_hook_run(h.dir, "10-fail", env, 10, &r, err, sizeof(err)), 0);
        assert_int_equal(r.exit_status, 3);
        assert_false(r.timed_out);
        assert_string_equal(r.output, "quelque chose manque\n");
        img_hook_result_clear(&r);

        char path[128];
        snprintf(path, sizeof(path), "%s/30-noshebang", h.dir);
        write_text(path, "\x7f" "ELF garbage", 0755);
        assert_int_equal(img_hook_run(h.dir, "30-noshebang", env, 10, &r, err, sizeof(err)), 0);
        assert_int_equal(r.exit_status, 127);
        assert_non_null(strstr(r.output, "exécution du crochet impossible"));
        img_hook_result_clear(&r);
        test_rm_rf(h.dir);
}

static void run_timeout_kills_everything(void **state) {
        (void) state;
        if (!need_root())
                skip();
        struct hook_dir h;
        hook_dir_make(&h);
        /* A grandchild that ignores the usual signals, in a session of its
         * own, reparented (double fork), then the hook overstays. */
        write_script(h.dir, "10-slow",
                     "setsid sh -c 'trap \"\" TERM INT HUP QUIT; \"$0\" 1000 & ' \"$MARKER\" &\n"
                     WAIT_MARKER "echo started; sleep 30",
                     0755);
        char *const env[] = { h.marker_env, "PATH=/usr/bin:/bin", NULL };
        struct img_hook_result r;
        char err[256] = "";
        assert_int_equal(img_hook_run(h.dir, "10-slow", env, 1, &r, err, sizeof(err)), 0);
        assert_true(r.timed_out);
        assert_int_equal(r.exit_status, 128 + 9);
        assert_true(r.seconds >= 0.95);
        assert_true(r.seconds < 3.0);
        assert_string_equal(r.output, "started\n");
        assert_int_equal(count_marked(h.marker), 0);
        img_hook_result_clear(&r);
        test_rm_rf(h.dir);
}

static void run_double_fork_gone(void **state) {
        (void) state;
        if (!need_root())
                skip();
        struct hook_dir h;
        hook_dir_make(&h);
        /* The hook succeeds at once, leaving a daemon behind: it must not
         * survive the hook. */
        write_script(h.dir, "10-daemon",
                     "setsid sh -c '\"$0\" 1000 </dev/null >/dev/null 2>&1 & ' \"$MARKER\" &\n"
                     WAIT_MARKER "echo spawned; exit 0",
                     0755);
        char *const env[] = { h.marker_env, "PATH=/usr/bin:/bin", NULL };
        struct img_hook_result r;
        char err[256] = "";
        assert_int_equal(img_hook_run(h.dir, "10-daemon", env, 10, &r, err, sizeof(err)), 0);
        assert_false(r.timed_out);
        assert_int_equal(r.exit_status, 0);
        assert_string_equal(r.output, "spawned\n");
        assert_true(r.seconds < 6.0);
        assert_int_equal(count_marked(h.marker), 0);
        img_hook_result_clear(&r);
        test_rm_rf(h.dir);
}

static void run_without_root_fails_cleanly(void **state) {
        (void) state;
        if (geteuid() == 0) {
                print_message("skipped: checks the refusal when not root\n");
                skip();
        }
        struct hook_dir h;
        hook_dir_make(&h);
        write_script(h.dir, "10-x", "exit 0", 0755);
        char *const env[] = { "PATH=/usr/bin:/bin", NULL };
        struct img_hook_result r;
        char err[256] = "";
        assert_true(img_hook_run(h.dir, "10-x", env, 10, &r, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, "unshare"));
        img_hook_result_clear(&r);
        test_rm_rf(h.dir);
}

static void hooks_json(void **state) {
        (void) state;
        struct img_customise_result r = { 0 };
        r.hooks = calloc(2, sizeof(struct img_hook_result));
        assert_non_null(r.hooks);
        r.n_hooks = 2;
        snprintf(r.hooks[0].name, sizeof(r.hooks[0].name), "10-hostname");
        r.hooks[0].output = strdup("ok\n");
        r.hooks[0].seconds = 0.25;
        snprintf(r.hooks[1].name, sizeof(r.hooks[1].name), "20-slow");
        r.hooks[1].timed_out = true;
        r.hooks[1].exit_status = 137;
        json_t *a = img_hooks_to_json(&r);
        assert_true(json_is_array(a));
        assert_int_equal(json_array_size(a), 2);
        json_t *h0 = json_array_get(a, 0), *h1 = json_array_get(a, 1);
        assert_string_equal(json_string_value(json_object_get(h0, "name")), "10-hostname");
        assert_string_equal(json_string_value(json_object_get(h0, "output")), "ok\n");
        assert_true(json_is_false(json_object_get(h0, "timed_out")));
        assert_true(json_is_true(json_object_get(h1, "timed_out")));
        assert_int_equal(json_integer_value(json_object_get(h1, "exit_status")), 137);
        assert_string_equal(json_string_value(json_object_get(h1, "output")), "");
        json_decref(a);
        img_customise_result_clear(&r);
        assert_null(r.hooks);
        assert_int_equal(r.n_hooks, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(hostname_from_tag),
                cmocka_unit_test(utf8_sanitise),
                cmocka_unit_test(hooks_list),
                cmocka_unit_test(hooks_json),
                cmocka_unit_test(run_order_env_output),
                cmocka_unit_test(run_exit_status),
                cmocka_unit_test(run_timeout_kills_everything),
                cmocka_unit_test(run_double_fork_gone),
                cmocka_unit_test(run_without_root_fails_cleanly),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
