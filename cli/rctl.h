/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "rctl-client.h"
#include "rf-i18n.h"
#include "rf-macro.h"

#define RCTL_DEFAULT_CONFIG REFURB_SYSCONFDIR "/refurbd/refurbd.conf"

/* Shared state of one refurbctl run, built by main() and passed to the
 * command functions. */

/* Exit codes. Command functions (rctl_cmd_*) return one of these; every
 * other function returns 0 or a negative errno. */
enum {
        RCTL_EXIT_OK = 0,
        RCTL_EXIT_FAILED = 1, /* the operation failed; the reason is on stderr */
        RCTL_EXIT_USAGE = 2,  /* the command line is wrong */
        /* Set by main() when the failure was a refusal of the remote bench
         * (rctl_client.denied), or by "token" with --url. */
        RCTL_EXIT_UNAUTHENTICATED = 3, /* 401: no token, or unknown, revoked or expired */
        RCTL_EXIT_FORBIDDEN = 4,       /* 403: the token's role may not, or Unix socket only */
};

/* Command options given on the command line (bit mask in ctx->given), so a
 * command can refuse those that are not its own. */
enum {
        RCTL_OPT_VERIFY = 1u << 0,
        RCTL_OPT_VERIFY_PERCENT = 1u << 1,
        RCTL_OPT_WAIT = 1u << 2,
        RCTL_OPT_LIMIT = 1u << 3,
        RCTL_OPT_OUTPUT = 1u << 4,
        RCTL_OPT_CA = 1u << 5,
        RCTL_OPT_SIGNATURE = 1u << 6,
        RCTL_OPT_ONCE = 1u << 7,
        RCTL_OPT_FROM_DIR = 1u << 8,
        RCTL_OPT_ROLE = 1u << 9,
};

struct rctl_ctx {
        struct rctl_client *client;
        enum rf_lang lang;
        bool json;   /* --json: print the API's JSON instead of words */
        bool tty;    /* stdout is a terminal */
        bool colors; /* tty, and NO_COLOR is not set */

        unsigned given; /* RCTL_OPT_* */
        const char *verify;      /* "full" | "sample" */
        unsigned verify_percent; /* 1..100 */
        bool wait;
        bool once;
        unsigned limit;
        const char *output;
        const char *ca;
        const char *signature;
        const char *from_dir;
        const char *role; /* token create --role */
        const char *intake[24]; /* intake options by RCTL_IN_* (rctl-intake.h), NULL: not given */
};

/* Print a usage error (and the hint to --help) on stderr; evaluates to
 * RCTL_EXIT_USAGE. The format is usually RF_TR(lang, "…", "…").
 * (Macros rather than variadic functions: clang-tidy 14's va_list checker
 * reports false positives when it analyses several files in one run.) */
#define rctl_usage_error(ctx, ...)                                                                          \
        ({                                                                                                 \
                fputs(RF_TR((ctx)->lang, "refurbctl : ", "refurbctl: "), stderr);                          \
                fprintf(stderr, __VA_ARGS__);                                                              \
                fputs(RF_TR((ctx)->lang, "\nVoir « refurbctl --help ».\n", "\nSee 'refurbctl --help'.\n"), \
                      stderr);                                                                             \
                RCTL_EXIT_USAGE;                                                                           \
        })
/* Print a failure on stderr (a newline is added); evaluates to
 * RCTL_EXIT_FAILED. */
#define rctl_fail(ctx, ...)                           \
        ({                                            \
                (void) (ctx);                         \
                fprintf(stderr, __VA_ARGS__);         \
                fputc('\n', stderr);                  \
                RCTL_EXIT_FAILED;                     \
        })
/* Refuse command options that the command does not take (allowed: mask of
 * RCTL_OPT_*); returns 0 or RCTL_EXIT_USAGE after saying so. */
int rctl_check_options(const struct rctl_ctx *ctx, const char *command, unsigned allowed);
/* Check the number of arguments after the command name. */
int rctl_check_args(const struct rctl_ctx *ctx, const char *command, int argc, int min, int max);

/* GET path. On failure prints the reason (for API errors after context,
 * "context : message") and, with --json, the API's error document; returns
 * 0 or RCTL_EXIT_FAILED. */
int rctl_fetch(struct rctl_ctx *ctx, const char *path, const char *context, struct rctl_reply *reply);
/* Same for POST; refusals by the safety rules (409 "refused") are reported
 * with refused_context when not NULL. */
int rctl_send(struct rctl_ctx *ctx, const char *path, const json_t *body, const char *context,
              const char *refused_context, struct rctl_reply *reply);
/* Warn on stderr about the entries of an API list that are not objects
 * (they are skipped when printing). */
void rctl_warn_bad_entries(const struct rctl_ctx *ctx, const json_t *list, const char *member);
/* Print v as JSON (indented on a terminal, one line otherwise); returns an
 * exit code. */
int rctl_emit_json(const struct rctl_ctx *ctx, const json_t *v);

/* A job number from the command line (1..2^53); -EINVAL otherwise. */
int rctl_parse_job_id(const char *s, long long *ret);
/* "/dev/loop3", "loop3" or a /dev/disk/by-* link -> "loop3" (letters,
 * digits, '-', '_', '.', '!' only). -EINVAL when it cannot name a device. */
int rctl_device_sysname(const char *arg, char *out, size_t outlen);
/* "key : value" lines with the keys aligned (French typography, or
 * "key: value" in English); values are sanitised. NULL values are
 * skipped. kv holds 2*n strings. */
void rctl_print_fields(enum rf_lang lang, const char *indent, const char *const *kv, size_t n);

/* The table of the bays (name, device, size, drive, state in words), as
 * shown by "bays" and "watch"; the state cells are coloured by tone. */
struct rctl_table;
int rctl_bays_table(const json_t *bays, enum rf_lang lang, struct rctl_table **ret);

/* refurbctl --help (rctl-help.c). */
void rctl_help(enum rf_lang lang);

/* Commands; argv[0] is the command name. */
int rctl_cmd_status(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_devices(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_bays(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_erase(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_jobs(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_job(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_cancel(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_watch(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_cert(struct rctl_ctx *ctx, int argc, char **argv);
/* token create|list|revoke (rctl-token.c): Unix socket only. */
int rctl_cmd_token(struct rctl_ctx *ctx, int argc, char **argv);
/* Subcommands of "cert" (rctl-cert.c, rctl-verify.c). */
int rctl_cert_verify(struct rctl_ctx *ctx, int argc, char **argv);
