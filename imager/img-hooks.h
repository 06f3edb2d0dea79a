/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The post-image hook runner (docs/hooks.md), used by img-customise.c.
 *
 * Each hook runs as PID 1 of a PID namespace of its own (the runner forks a
 * helper, which unshares CLONE_NEWPID and forks the hook): when the hook
 * ends, or is killed at its time limit, the kernel kills everything it
 * started, even processes that called setsid or double-forked. stdin is
 * /dev/null, the working directory /, stdout and stderr go to a pipe (last IMG_HOOK_OUTPUT_MAX bytes
 * kept), the environment is exactly the one given, the signal mask and
 * dispositions are reset, the hook leads a session (and process group) of
 * its own. Needs CAP_SYS_ADMIN (unshare). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "img-customise.h"

#define IMG_HOOKS_MAX 256
#define IMG_HOOK_OUTPUT_MAX (16 * 1024)

/* 1..127 characters of A-Z a-z 0-9 _ - (run-parts' default rule: no dots,
 * so that foo.dpkg-old or README are never run). */
bool img_hook_name_valid(const char *name);

/* The hooks to run, in order, as a NULL-terminated list of names: names
 * (NULL-terminated), each of which must be an executable regular file of
 * dir, or, when names is NULL, every executable regular file of dir with a
 * valid name, sorted byte-wise (run-parts order). err (French) says which
 * hook is missing or why. */
int img_hooks_list(const char *dir, char *const *names, char ***ret, char *err, size_t errlen);
void img_strv_free(char **v);

/* Runs dir/name with env (NULL-terminated "KEY=value") and the time limit.
 * Returns 0 when it ran (ret tells how it ended; ret->output is set),
 * <0 when it could not be started (err, French, says why). */
int img_hook_run(const char *dir, const char *name, char *const *env, unsigned timeout_sec,
                 struct img_hook_result *ret, char *err, size_t errlen);
void img_hook_result_clear(struct img_hook_result *h);

/* A NUL-terminated valid UTF-8 copy of len bytes: invalid sequences become
 * U+FFFD, control characters other than tab, newline and carriage return
 * become '?', continuation bytes at the start (a cut character) are
 * dropped. NULL on allocation failure. */
char *img_utf8_sanitise(const uint8_t *data, size_t len);
