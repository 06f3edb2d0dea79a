/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <getopt.h>
#include <stdbool.h>

struct rctl_ctx;

/* Intake records (rctl-intake.c, rctl-report.c, docs/intake.md):
 *   donor add|list|show, asset add|list|show|link|certificate,
 *   cert validate, report donation, export assets|certificates. */

/* The options of these commands, kept in ctx->intake[RCTL_IN_*]. */
enum {
        RCTL_IN_ORGANISATION,
        RCTL_IN_CONTACT,
        RCTL_IN_ADDRESS,
        RCTL_IN_REFERENCE,
        RCTL_IN_DATE,
        RCTL_IN_TYPE,
        RCTL_IN_DONOR,
        RCTL_IN_INTAKE_DATE,
        RCTL_IN_MAKER,
        RCTL_IN_MODEL,
        RCTL_IN_SERIAL,
        RCTL_IN_GRADE,
        RCTL_IN_DESTINATION,
        RCTL_IN_RECIPIENT,
        RCTL_IN_NAME,
        RCTL_IN_TITLE,
        RCTL_IN_PDF,
        RCTL_IN_N,
};
#define RCTL_INTAKE_OPT_BASE 0x200
#define RCTL_INTAKE_OPTION(name, id) { name, required_argument, NULL, RCTL_INTAKE_OPT_BASE + (id) }
/* Entries of refurbctl's getopt_long table. */
#define RCTL_INTAKE_OPTIONS                                                                                   \
        RCTL_INTAKE_OPTION("organisation", RCTL_IN_ORGANISATION), RCTL_INTAKE_OPTION("contact", RCTL_IN_CONTACT), \
        RCTL_INTAKE_OPTION("address", RCTL_IN_ADDRESS), RCTL_INTAKE_OPTION("reference", RCTL_IN_REFERENCE),     \
        RCTL_INTAKE_OPTION("date", RCTL_IN_DATE), RCTL_INTAKE_OPTION("type", RCTL_IN_TYPE),                     \
        RCTL_INTAKE_OPTION("donor", RCTL_IN_DONOR), RCTL_INTAKE_OPTION("intake-date", RCTL_IN_INTAKE_DATE),     \
        RCTL_INTAKE_OPTION("maker", RCTL_IN_MAKER), RCTL_INTAKE_OPTION("model", RCTL_IN_MODEL),                 \
        RCTL_INTAKE_OPTION("serial", RCTL_IN_SERIAL), RCTL_INTAKE_OPTION("grade", RCTL_IN_GRADE),               \
        RCTL_INTAKE_OPTION("destination", RCTL_IN_DESTINATION),                                                 \
        RCTL_INTAKE_OPTION("recipient", RCTL_IN_RECIPIENT), RCTL_INTAKE_OPTION("name", RCTL_IN_NAME),           \
        RCTL_INTAKE_OPTION("title", RCTL_IN_TITLE), RCTL_INTAKE_OPTION("pdf", RCTL_IN_PDF)

/* Is c one of these options? Then its value goes to ctx->intake[]. */
#define RCTL_IS_INTAKE_OPT(c) ((c) >= RCTL_INTAKE_OPT_BASE && (c) < RCTL_INTAKE_OPT_BASE + RCTL_IN_N)

/* True when an intake option was given (other commands refuse them). */
bool rctl_intake_options_given(const struct rctl_ctx *ctx);

int rctl_cmd_donor(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_asset(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_report(struct rctl_ctx *ctx, int argc, char **argv);
int rctl_cmd_export(struct rctl_ctx *ctx, int argc, char **argv);
/* refurbctl cert validate ID --name N [--title T]; argv[0] is "validate". */
int rctl_cert_validate(struct rctl_ctx *ctx, int argc, char **argv);
