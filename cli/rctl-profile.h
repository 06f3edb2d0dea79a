/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

struct rctl_ctx;

/* refurbctl profile list|show|validate|sign (rctl-profile.c,
 * refurb-profile(5)): local file operations, no daemon. They have options
 * of their own (--trusted-keys, --key, --files), so main() hands them the
 * whole command line before its own parsing. */

/* Whether the command of this command line is "profile". */
bool rctl_profile_is_command(int argc, char **argv);
/* Parse argv (all of it, with the global --json, --lang, --help) and run
 * the subcommand; returns an exit code. */
int rctl_profile_main(struct rctl_ctx *ctx, int argc, char **argv);
