/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

struct rctl_ctx;

/* refurbctl ledger verify | export (rctl-ledger.c, docs/ledger.md). */
int rctl_cmd_ledger(struct rctl_ctx *ctx, int argc, char **argv);
