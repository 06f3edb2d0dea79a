/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "rf-i18n.h"

/* Plain words for the states of bays and jobs (docs/api.md), for the
 * technicians: "effacement 42 % — 310 Mo/s — reste 1 min 20 s". */

enum rctl_tone {
        RCTL_TONE_NEUTRAL = 0,
        RCTL_TONE_GOOD, /* erased: green on a terminal */
        RCTL_TONE_BAD,  /* failed, refused, interrupted: red */
};

/* One word or two for a job state ("effacement", "terminé", ...); the state
 * itself (sanitised by the table) when unknown. */
const char *rctl_job_state_name(const char *state, enum rf_lang lang);
/* "EFFACÉ" / "NON EFFACÉ" for a job's or certificate's result; NULL when
 * there is none yet. */
const char *rctl_result_words(const char *result, enum rf_lang lang);
/* Progress of a running job: "42 %" (from progress.percent, or the byte
 * counters for a job that ended). "" when unknown. */
void rctl_job_percent(const json_t *job, enum rf_lang lang, char *out, size_t outlen);
/* The whole story of a job in one line: "effacement 42 % — 310 Mo/s —
 * reste 1 min 20 s", "terminé : EFFACÉ", "terminé : ÉCHEC (raison)". */
void rctl_job_words(const json_t *job, enum rf_lang lang, char *out, size_t outlen, enum rctl_tone *ret_tone);
/* Same for a bay: "vide", "en attente de confirmation", "refusé (raison)",
 * or the words of its job. */
void rctl_bay_words(const json_t *bay, enum rf_lang lang, char *out, size_t outlen, enum rctl_tone *ret_tone);
/* A refusal object as text: its message in the language, or code+detail. */
void rctl_refusal_words(const json_t *refusal, enum rf_lang lang, char *out, size_t outlen);
/* "Maxtor STM3500 (n° 9QG3ABCD)", with "(identité simulée)" for stand-in
 * identities; from a DEVICE or the "device" member of a JOB. */
void rctl_identity_words(const json_t *device, enum rf_lang lang, char *out, size_t outlen);
