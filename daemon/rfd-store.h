/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Records in SQLite (WAL, synchronous=FULL) in the state directory:
 * devices seen, jobs with their full history, certificates. Every write is
 * one transaction, durable when the call returns. Used from the daemon's
 * loop thread only. */

struct rfd_store;

enum rfd_job_state {
        RFD_JOB_QUEUED = 0,
        RFD_JOB_ERASING,
        RFD_JOB_VERIFYING,
        RFD_JOB_DONE,
        RFD_JOB_FAILED,
        RFD_JOB_CANCELLED,
        RFD_JOB_INTERRUPTED,
};

const char *rfd_job_state_to_string(enum rfd_job_state s);
int rfd_job_state_from_string(const char *s, enum rfd_job_state *ret);
static inline int rfd_job_state_is_final(enum rfd_job_state s) {
        return s >= RFD_JOB_DONE;
}

/* A job row. Strings owned by the struct. */
struct rfd_job_record {
        int64_t id;
        int64_t device_id;
        char *bay;
        char *devnode;
        enum rfd_job_state state;
        char *method;          /* "overwrite-aes256ctr" */
        char *verify_mode;     /* "full" | "sample" */
        unsigned verify_percent;
        int64_t created_at, started_at, ended_at;   /* unix seconds, 0 = not yet */
        uint64_t size;
        uint64_t bytes_written, bytes_verified;
        char *result;          /* NULL until final: "erased" | "not-erased" */
        char *reason;          /* why it failed/was interrupted, plain words (fr) */
        char *pattern_key;     /* hex, recorded so the pattern can be regenerated */
        char *pattern_iv;      /* hex */
        json_t *exceptions;    /* array, never NULL once loaded */
        char *certificate_id;  /* NULL if none */
};
void rfd_job_record_clear(struct rfd_job_record *j);

/* Open (create, migrate) state_dir/refurbd.db. On start every job that was
 * queued, erasing or verifying becomes "interrupted" with the reason
 * "arrêt du démon pendant le travail"; *ret_interrupted receives how many
 * (may be NULL). */
int rfd_store_open(const char *state_dir, struct rfd_store **ret, unsigned *ret_interrupted);
void rfd_store_close(struct rfd_store *s);
static inline void rfd_store_closep(struct rfd_store **p) {
        if (*p)
                rfd_store_close(*p);
}
#define _cleanup_rfd_store_ __attribute__((cleanup(rfd_store_closep)))

/* Insert or update a device by identity (serial+model+wwn, or the stand-in
 * identity); device_json is wipe_device_to_json() output. */
int rfd_store_upsert_device(struct rfd_store *s, const json_t *device_json, int64_t *ret_id);

/* Insert a new job (state queued); fills j->id and j->created_at. */
int rfd_store_job_insert(struct rfd_store *s, struct rfd_job_record *j);
/* Write every mutable field of j (state, times, counters, result, reason,
 * exceptions, certificate id). */
int rfd_store_job_update(struct rfd_store *s, const struct rfd_job_record *j);
int rfd_store_job_get(struct rfd_store *s, int64_t id, struct rfd_job_record *ret);
/* JSON array of jobs, newest first; limit 0 = all. */
int rfd_store_jobs_json(struct rfd_store *s, unsigned limit, json_t **ret);
json_t *rfd_job_record_to_json(const struct rfd_job_record *j);
/* {vendor, model, serial, identity_source} of a recorded device. */
int rfd_store_device_brief(struct rfd_store *s, int64_t id, json_t **ret);

/* Certificates: the canonical JSON text exactly as signed and its PEM
 * signature. seq is 1, 2, ... in issue order; prev_sha256 is the SHA-256 of
 * the previous certificate's JSON text ("" for the first). */
int rfd_store_cert_next_seq(struct rfd_store *s, int64_t *ret_seq, char ret_prev_sha256[static 65]);
int rfd_store_cert_insert(struct rfd_store *s, const char *id, int64_t job_id, int64_t seq, const char *json_text,
                          const char *sha256, const char *sig_pem, const char *signer_pem);
/* Look up by full id or unique prefix (>= 4 characters): -ENOENT when none,
 * -ENOTUNIQ when ambiguous. */
int rfd_store_cert_get(struct rfd_store *s, const char *id_or_prefix, char **ret_id, char **ret_json,
                       char **ret_sig_pem, char **ret_signer_pem);
/* job_id 0: a document of no job, a "refurb-refurbishment-certificate/1" or
 * "refurb-validation/1" (docs/intake.md), chained in the same sequence. */
/* JSON array of {id, seq, job_id (0: none), created_at, sha256, serial, model, result, kind}. */
int rfd_store_certs_json(struct rfd_store *s, json_t **ret);
/* The ledger (docs/ledger.md): JSON array of {seq, id, json, signature,
 * signer_certificate, sha256 (as recorded)} in seq order, from from_seq on,
 * at most limit entries (0 = all). */
int rfd_store_ledger_json(struct rfd_store *s, int64_t from_seq, unsigned limit, json_t **ret);

/* ---- Intake records (docs/intake.md), rfd-store-intake.c ----
 * Donors (one row per donation), assets (a PC or a loose drive, by the tag
 * printed on its label) and the link of a recorded drive to an asset
 * (devices.asset_id). No personal data of the families who receive a
 * device: only an opaque recipient_ref on the asset. */

struct rfd_donor {
        const char *reference;     /* donation reference, unique: [A-Za-z0-9._-]{1,64} */
        const char *organisation;  /* 1..200 characters */
        const char *contact;       /* NULL or <= 200 */
        const char *address;       /* NULL or <= 500 */
        const char *date;          /* YYYY-MM-DD, a real date */
};

struct rfd_asset {
        const char *tag;           /* as printed on the label: [A-Za-z0-9._-]{1,64} */
        const char *type;          /* "desktop" | "laptop" | "drive" */
        const char *donor_reference; /* NULL or an existing donor */
        const char *intake_date;   /* NULL or YYYY-MM-DD */
        const char *maker, *model, *serial; /* NULL or <= 128 */
        const char *grade;         /* NULL or "A" | "B" | "C" | "D" (D: to destroy) */
        const char *destination;   /* NULL or reuse-family|reuse-school|recycling|destruction */
        const char *recipient_ref; /* NULL or an opaque [A-Za-z0-9._-]{1,64} */
};

/* The name of the first invalid member (as in the API: "organisation",
 * "date", ...), NULL when all are valid. */
const char *rfd_donor_invalid_field(const struct rfd_donor *d);
const char *rfd_asset_invalid_field(const struct rfd_asset *a);
bool rfd_intake_date_valid(const char *s);
bool rfd_intake_ref_valid(const char *s);

/* -EINVAL (invalid), -EEXIST (reference or tag taken), -ENOENT (unknown
 * donor for an asset). */
int rfd_store_donor_add(struct rfd_store *s, const struct rfd_donor *d, int64_t *ret_id);
int rfd_store_asset_add(struct rfd_store *s, const struct rfd_asset *a, int64_t *ret_id);
/* {reference, organisation, contact, address, date, created_at, assets: [tag...]}; -ENOENT. */
int rfd_store_donor_get(struct rfd_store *s, const char *reference, json_t **ret);
int rfd_store_donors_json(struct rfd_store *s, json_t **ret);
/* {tag, type, donor: {organisation, reference} | null, intake_date, maker,
 * model, serial, grade, destination, recipient_ref, auto, created_at,
 * drives: [{device_id, serial, model, certificate_id, certificate_sha256,
 * result, category, to_destroy}]} (the last certificate of each drive). */
int rfd_store_asset_get(struct rfd_store *s, const char *tag, json_t **ret);
/* Every asset, as above without drives but with donor, in tag order. */
int rfd_store_assets_json(struct rfd_store *s, json_t **ret);
/* Link a recorded drive to an asset (replaces an earlier link). -ENOENT. */
int rfd_store_asset_link_device(struct rfd_store *s, const char *tag, int64_t device_id);
/* The recorded drive with this serial: -ENOENT, -ENOTUNIQ. */
int rfd_store_device_by_serial(struct rfd_store *s, const char *serial, int64_t *ret_id);
/* The asset a drive belongs to, as the certificate names it:
 * {tag, type, donor: {organisation, reference} | null}. When the drive is
 * not linked: with create_auto, a new asset of type drive tagged
 * "AUTO-<serial>" (or "AUTO-DEV<device id>") is created and linked;
 * without, *ret = NULL and 0 is returned. */
int rfd_store_asset_for_device(struct rfd_store *s, int64_t device_id, bool create_auto, json_t **ret);
/* The input of rpt_donation_pdf() (report/rpt-donation.h). -ENOENT. */
int rfd_store_donation_report(struct rfd_store *s, const char *reference, json_t **ret);
/* Validation statements of a certificate: [{id, seq, created_at, name, title, validated_at}]. */
int rfd_store_cert_validations_json(struct rfd_store *s, const char *cert_id, json_t **ret);
/* Every certificate for the CSV export: [{id, seq, kind, created_at,
 * serial, model, result, asset_tag, donor_reference, sha256}] in seq order. */
int rfd_store_certs_export_json(struct rfd_store *s, json_t **ret);

/* ---- Imaging runs (docs/imaging.md), rfd-store-images.c ---- */
struct rfd_image_update {
        const char *state;           /* running | done | failed | cancelled | interrupted */
        const char *phase;           /* img_phase_to_string() */
        uint64_t bytes_written;
        const char *profile_version; /* NULL: unchanged */
        const char *reason;          /* French, NULL when none */
        const json_t *record;        /* img_run_to_json(); NULL: unchanged */
};
int rfd_store_image_insert(struct rfd_store *s, int64_t job_id, int64_t device_id, const char *profile,
                           int64_t *ret_id);
/* Only a running row changes (-ESTALE otherwise): what ended stays as it ended. */
int rfd_store_image_update(struct rfd_store *s, int64_t id, const struct rfd_image_update *u);
/* {id, job_id, profile, profile_version, state, phase, started_at, ended_at,
 * bytes_written, reason, record}; -ENOENT when none. */
int rfd_store_image_for_job(struct rfd_store *s, int64_t job_id, json_t **ret);
/* The newest imaging run of a drive that ended "done". */
int rfd_store_image_latest_done(struct rfd_store *s, int64_t device_id, json_t **ret);

/* ---- API tokens and settings (docs/network-api.md), rfd-store-access.c ---- */
struct rfd_token_row {
        int64_t id;
        char *name;
        char *role;             /* technician | supervisor | dsi | agent */
        char sha256[65];        /* hex digest of the secret */
        int64_t created_at;
        int64_t last_used_at;   /* 0: never */
        int64_t revoked_at;     /* 0: valid */
};
void rfd_token_row_clear(struct rfd_token_row *t);
/* Fills t->id and t->created_at. -EEXIST for a digest already stored. */
int rfd_store_token_insert(struct rfd_store *s, struct rfd_token_row *t);
/* Every token, oldest first; *ret (malloc'd array of n rows). */
int rfd_store_tokens_load(struct rfd_store *s, struct rfd_token_row **ret, size_t *ret_n);
void rfd_token_rows_free(struct rfd_token_row *rows, size_t n);
/* -ENOENT unknown, -EALREADY already revoked; sets revoked_at = now. */
int rfd_store_token_revoke(struct rfd_store *s, int64_t id, int64_t *ret_revoked_at);
int rfd_store_token_touch(struct rfd_store *s, int64_t id, int64_t when);

/* Key/value settings chosen through the API ("profile.default.desktop"...).
 * get: -ENOENT when unset. set: value NULL unsets. */
int rfd_store_setting_get(struct rfd_store *s, const char *key, char **ret);
int rfd_store_setting_set(struct rfd_store *s, const char *key, const char *value);
