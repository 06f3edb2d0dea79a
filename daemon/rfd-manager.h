/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "rfd-config.h"
#include "rfd-store.h"
#include "wipe-device.h"
#include "wipe-erase.h"
#include "wipe-overwrite.h"
#include "wipe-safety.h"
#include "img-run.h"

struct event_base;
struct event;
struct udev;
struct udev_monitor;
struct rfd_api;
struct rfd_events;
struct rfd_auth;
struct rfd_net;
struct rfd_web;

/* What a bay shows. After a job the bay keeps the job's final state until
 * the drive is removed. */
enum rfd_bay_state {
        RFD_BAY_EMPTY = 0,
        RFD_BAY_REFUSED,
        RFD_BAY_WAITING,
        RFD_BAY_JOB, /* see bay->job->rec.state */
};

struct rfd_job;

/* A whole-disk device with a medium, as last seen. */
struct rfd_dev {
        struct wipe_device *dev;
        int bay;               /* index into manager->bays, -1 when on no bay */
        struct rfd_job *job;   /* running job, NULL when none */
        int64_t last_job_id;   /* last job on this device since insertion */
        bool at_startup;       /* already there when the daemon started */
};

struct rfd_bay {
        char *name;
        enum rfd_bay_state state;
        char *sysname;          /* device in the bay, NULL when empty */
        struct wipe_refusal refusal;
        int64_t last_job_id;    /* 0 when none since insertion */
};

struct rfd_job {
        struct rfd_manager *m;
        struct rfd_job_record rec;
        struct wipe_device *device;   /* identity at job start (owned) */
        char *content_fr;
        int fd;
        pthread_t thread;
        bool thread_started;
        struct wipe_erase_opts opts;
        struct wipe_progress progress;
        struct wipe_erase_result result;
        char **signatures_after;
        int run_rc;      /* wipe_overwrite_run() */
        int check_rc;    /* wipe_check_signatures() */
        atomic_bool cancel;
        atomic_bool removed;
        bool stopping_daemon;          /* cancelled because refurbd stops */
        struct event *done_ev;
        struct event *tick_ev;
        /* progress view, computed on the loop thread */
        uint64_t last_done;
        uint64_t last_usec;
        double rate;                   /* bytes/s, smoothed */
        int last_phase;
        unsigned ticks;
        /* Imaging after the erasure (rfd-job-image.c), when the bay has a
         * Profile=: the job stays running until the image is written,
         * customised and checked. */
        char *profile;                 /* profile name, NULL: erase only */
        bool imaging;                  /* the imaging stage started */
        int64_t image_run_id;
        char *asset_tag;
        struct img_run_opts img_opts;
        struct img_run_result img_result;
        struct img_progress img_progress;
        struct img_fetch_progress fetch_progress;
        int img_rc;
        char *image_state;             /* final state of the imaging, NULL while it runs */
        char *refurb_cert_id;          /* refurbishment certificate issued after it */
        struct rfd_job *next;
};

struct rfd_manager {
        struct event_base *base;
        char *config_path;
        struct rfd_config *config;
        struct udev *udev;
        struct udev_monitor *monitor;
        struct event *monitor_ev;
        struct udev_monitor *kernel_monitor;
        struct event *kernel_monitor_ev;
        bool monitor_kernel_only;

        struct rfd_bay *bays;
        size_t n_bays;
        struct wipe_bay_match *bay_matches;
        struct wipe_safety_env safety;
        char *state_dir;
        const char *protected_paths[8];

        struct rfd_dev *devs;
        size_t n_devs;

        struct rfd_job *jobs;          /* running jobs */

        struct rfd_store *store;
        EVP_PKEY *key;
        X509 *cert;
        char cert_sha256[65];
        char *cert_pem;
        char hostname[256];

        struct rfd_api *api;
        struct rfd_events *events;
        struct rfd_auth *auth;         /* tokens and sessions (rfd-auth.c) */
        struct rfd_net *net;           /* TCP/TLS listeners (rfd-net.c), NULL without [API] Listen= */
        struct rfd_web *web;           /* static pages (rfd-web.c), NULL without WebDirectory= */
        time_t started_at;
        bool stopping;
};

/* rfd-manager.c */
int rfd_manager_new(struct event_base *base, const char *config_path, struct rfd_config *config,
                    struct rfd_manager **ret);
void rfd_manager_free(struct rfd_manager *m);
int rfd_manager_reload(struct rfd_manager *m);
/* Ask every running job to stop (the daemon is stopping); returns the
 * number still running. */
unsigned rfd_manager_stop_jobs(struct rfd_manager *m);
struct rfd_dev *rfd_manager_find_dev(struct rfd_manager *m, const char *name);
struct rfd_bay *rfd_manager_bay_of(struct rfd_manager *m, const struct rfd_dev *d);
/* A device appeared, changed or went away (from udev). */
void rfd_manager_device_event(struct rfd_manager *m, const char *action, struct wipe_device *dev);
/* Run the safety rules on d (0 allowed, 1 refused with *ret, <0 error). */
int rfd_manager_check(struct rfd_manager *m, const struct rfd_dev *d, struct wipe_refusal *ret);
/* Start an erasure. verify may be NULL (configuration default). Returns 0
 * with *ret_job, 1 when refused (*refusal filled), -EBUSY when a job runs
 * already, <0 on error. */
int rfd_manager_start_job(struct rfd_manager *m, struct rfd_dev *d, const char *verify, unsigned verify_percent,
                          struct wipe_refusal *refusal, struct rfd_job **ret_job);
/* Called by rfd-job.c when a job reached its final state. */
void rfd_manager_job_finished(struct rfd_manager *m, struct rfd_job *job);

/* What was on the drive, in French, or why it is not known. */
char *rfd_content_summary(const struct wipe_device *dev);

/* rfd-ata-password.c: a drive left locked by an interrupted ATA SECURITY
 * ERASE is unlocked when it comes back. */
void rfd_ata_password_recover(struct rfd_manager *m, const struct wipe_device *dev);

/* rfd-udev.c */
int rfd_udev_start(struct rfd_manager *m);
void rfd_udev_stop(struct rfd_manager *m);

/* rfd-job.c */
int rfd_job_new(struct rfd_manager *m, struct rfd_dev *d, const char *bay, int fd, enum wipe_verify_mode verify,
                unsigned verify_percent, struct rfd_job **ret);
int rfd_job_start(struct rfd_job *job);
void rfd_job_cancel(struct rfd_job *job, bool removed);
void rfd_job_free(struct rfd_job *job);
int rfd_job_password_set(const char *serial, const char *password, void *userdata);
void rfd_job_password_cleared(const char *serial, void *userdata);
/* rfd-job-image.c: start the imaging stage of a job whose erasure is done
 * (0 started, <0 not: the job then ends as it is). */
int rfd_job_image_start(struct rfd_job *job);
/* Imaging progress (phase, done, total) while it runs; false otherwise. */
bool rfd_job_image_progress(const struct rfd_job *job, const char **ret_phase, uint64_t *ret_done,
                            uint64_t *ret_total);
/* Add "image" to a job's JSON and make "state"/"reason" tell the whole job
 * (erasure then imaging). live may be NULL (an ended job, from the store). */
void rfd_job_image_decorate(struct rfd_manager *m, const struct rfd_job *live, int64_t job_id, json_t *v);
void rfd_job_image_clear(struct rfd_job *job);
/* Release the drive, log, publish and hand the job back to the manager. */
void rfd_job_finish(struct rfd_job *job);
/* JOB JSON of docs/api.md (with "progress" while running). */
json_t *rfd_job_to_json(const struct rfd_job *job);
json_t *rfd_job_record_view(struct rfd_manager *m, const struct rfd_job_record *rec);

/* rfd-view.c: JSON views for the API and the events. */
json_t *rfd_view_bay(struct rfd_manager *m, size_t i);
json_t *rfd_view_device(struct rfd_manager *m, const struct rfd_dev *d);
json_t *rfd_view_refusal(const struct wipe_refusal *r, const char *devnode);
const char *rfd_bay_state_string(struct rfd_manager *m, const struct rfd_bay *b);

/* rfd-events.c: Server-Sent Events */
int rfd_events_new(struct rfd_manager *m, struct rfd_events **ret);
void rfd_events_free(struct rfd_events *e);
void rfd_events_publish(struct rfd_manager *m, const char *type, json_t *data /* stolen */);
void rfd_events_publish_bay(struct rfd_manager *m, size_t bay_index);
void rfd_events_publish_bay_of(struct rfd_manager *m, const struct rfd_dev *d);
void rfd_events_publish_bay_name(struct rfd_manager *m, const char *name);
/* Turn this request into an event stream client. */
struct evhttp_request;
void rfd_events_add_client(struct rfd_manager *m, struct evhttp_request *req);

/* rfd-api.c */
int rfd_api_new(struct rfd_manager *m, const char *socket_path, struct rfd_api **ret);
void rfd_api_free(struct rfd_api *api);
