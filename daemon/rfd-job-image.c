/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The imaging stage of a job (docs/imaging.md): after the erasure is done
 * and certified, a worker thread runs img_run() on the same drive, still
 * held; the loop thread follows it with the job's tick, records the run,
 * and issues the asset's refurbishment certificate when it succeeded. */
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-profiles.h"
#include "rfd-intake-cert.h"
#include "rfd-log.h"
#include "rfd-manager.h"

#define TICK_USEC 500000

static void *image_worker(void *userdata) {
        struct rfd_job *job = userdata;
        /* img_run() moves this thread into a mount namespace of its own
         * for the customisation: the thread ends right after. */
        job->img_rc = img_run(&job->fd, &job->img_opts, &job->img_result);
        event_active(job->done_ev, EV_TIMEOUT, 0);
        return NULL;
}

bool rfd_job_image_progress(const struct rfd_job *job, const char **ret_phase, uint64_t *ret_done,
                            uint64_t *ret_total) {
        if (!job->imaging || job->image_state)
                return false;
        enum img_phase phase = (enum img_phase) atomic_load(&job->img_progress.phase);
        uint64_t done = 0, total = 0;
        switch (phase) {
        case IMG_PHASE_FETCH:
                done = atomic_load(&job->fetch_progress.done);
                total = atomic_load(&job->fetch_progress.total);
                break;
        case IMG_PHASE_WRITE:
        case IMG_PHASE_FLUSH:
                done = atomic_load(&job->img_progress.bytes_written);
                total = atomic_load(&job->img_progress.write_total);
                break;
        case IMG_PHASE_VERIFY:
                done = atomic_load(&job->img_progress.bytes_verified);
                total = atomic_load(&job->img_progress.verify_total);
                break;
        default:
                break;
        }
        *ret_phase = img_phase_to_string(phase);
        *ret_done = done;
        *ret_total = total;
        return true;
}

static const char *final_state(const struct rfd_job *job) {
        const struct img_run_result *r = &job->img_result;
        if (job->img_rc >= 0 && r->error == 0)
                return "done";
        if (atomic_load(&job->removed) || r->error == -ENODEV || r->write.stop == IMG_STOP_REMOVED)
                return "interrupted";
        if (atomic_load(&job->cancel) || r->error == -ECANCELED)
                return job->stopping_daemon ? "interrupted" : "cancelled";
        return "failed";
}

static void image_store(struct rfd_job *job, const char *state, const char *reason, const json_t *record) {
        struct rfd_image_update u = {
                .state = state,
                .phase = img_phase_to_string((enum img_phase) atomic_load(&job->img_progress.phase)),
                .bytes_written = job->img_result.write.bytes_written,
                .profile_version = job->img_result.profile ? job->img_result.profile->version : NULL,
                .reason = reason,
                .record = record,
        };
        int r = rfd_store_image_update(job->m->store, job->image_run_id, &u);
        if (r < 0)
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id, "cannot record the imaging: %s",
                            strerror(-r));
}

static void issue_refurbishment(struct rfd_job *job) {
        struct rfd_manager *m = job->m;
        _cleanup_free_ char *id = NULL;
        int r = rfd_intake_refurbishment_issue(m->store, m->key, m->cert, m->config, job->asset_tag, &id);
        if (r == -EINPROGRESS) {
                /* Another drive of the same PC is not erased yet: its own
                 * job, or a supervisor, issues the certificate later. */
                rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id,
                            "asset %s: refurbishment certificate waits for its other drives", job->asset_tag);
                return;
        }
        if (r < 0) {
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id,
                            "asset %s: refurbishment certificate not issued: %s", job->asset_tag, strerror(-r));
                return;
        }
        rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id,
                    "asset %s: refurbishment certificate %s issued", job->asset_tag, id);
        job->refurb_cert_id = TAKE_PTR(id);
}

static void image_done_cb(evutil_socket_t fd, short what, void *userdata) {
        struct rfd_job *job = userdata;

        if (job->thread_started)
                pthread_join(job->thread, NULL);
        job->thread_started = false;
        evtimer_del(job->tick_ev);

        const char *state = final_state(job);
        const struct img_run_result *r = &job->img_result;
        char reason[600] = "";
        if (job->img_rc < 0)
                snprintf(reason, sizeof(reason), "l'écriture de l'image n'a pas pu démarrer : %s",
                         strerror(-job->img_rc));
        else if (r->error < 0)
                snprintf(reason, sizeof(reason), "image : %s", r->detail[0] ? r->detail : strerror(-r->error));
        _cleanup_json_ json_t *record = img_run_to_json(r);
        job->image_state = strdup(state);
        image_store(job, state, reason[0] ? reason : NULL, record);

        rfd_log_dev(strcmp(state, "done") == 0 ? LOG_INFO : LOG_WARNING, job->rec.bay, job->rec.devnode, job->rec.id,
                    "imaging %s: profile %s%s%s%s%s", state, job->profile, r->profile ? " version " : "",
                    r->profile ? r->profile->version : "", reason[0] ? ", " : "", reason);
        if (strcmp(state, "done") == 0)
                issue_refurbishment(job);
        rfd_job_finish(job);
}

static int asset_tag_of(struct rfd_job *job, char **ret, bool *ret_laptop) {
        _cleanup_json_ json_t *asset = NULL;
        if (job->rec.device_id <= 0)
                return -ENODATA;
        int r = rfd_store_asset_for_device(job->m->store, job->rec.device_id, true, &asset);
        if (r < 0)
                return r;
        const char *tag = rf_json_str(asset, "tag");
        if (!tag)
                return -ENODATA;
        *ret_laptop = rf_streq_ptr(rf_json_str(asset, "type"), "laptop");
        *ret = strdup(tag);
        return *ret ? 0 : -ENOMEM;
}

/* Profile=default: the default profile the DSI chose for the asset's type
 * (laptop, else desktop). 0 and job->profile replaced; -ENOENT with the
 * reason in job->img_result.detail when none is chosen. */
static int resolve_default(struct rfd_job *job, bool laptop) {
        _cleanup_free_ char *name = NULL;
        int r = rfd_store_setting_get(job->m->store, laptop ? RFD_SETTING_DEFAULT_LAPTOP : RFD_SETTING_DEFAULT_DESKTOP,
                                      &name);
        if (r == -ENOENT)
                snprintf(job->img_result.detail, sizeof(job->img_result.detail),
                         "aucun profil par défaut pour les %s : la DSI doit en choisir un",
                         laptop ? "ordinateurs portables" : "ordinateurs de bureau");
        else if (r < 0)
                snprintf(job->img_result.detail, sizeof(job->img_result.detail),
                         "lecture du profil par défaut impossible : %s", strerror(-r));
        /* A setting is checked when chosen; the store is still outside input. */
        if (r == 0 && (name[0] == '.' || strlen(name) > 64 ||
                       name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")])) {
                snprintf(job->img_result.detail, sizeof(job->img_result.detail),
                         "profil par défaut enregistré invalide : « %.64s »", name);
                r = -EINVAL;
        }
        if (r < 0)
                return r;
        rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id, "Profile=default: %s profile %s",
                    laptop ? "laptop" : "desktop", name);
        free(job->profile);
        job->profile = TAKE_PTR(name);
        return 0;
}

int rfd_job_image_start(struct rfd_job *job) {
        struct rfd_manager *m = job->m;
        const struct rfd_config *c = m->config;

        bool laptop = false;
        int r = asset_tag_of(job, &job->asset_tag, &laptop);
        if (r < 0) {
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id,
                            "no imaging: the drive's asset is unknown: %s", strerror(-r));
                return r;
        }
        int default_rc = strcmp(job->profile, RFD_PROFILE_DEFAULT) == 0 ? resolve_default(job, laptop) : 0;
        _cleanup_free_ char *path = NULL, *run_dir = NULL;
        if (asprintf(&path, "%s/%s.profile", c->profile_directory, job->profile) < 0 ||
            asprintf(&run_dir, "%s/mnt", m->state_dir) < 0)
                return -ENOMEM;
        r = rf_mkdir_p(run_dir, 0700);
        if (r < 0)
                return r;
        r = rfd_store_image_insert(m->store, job->rec.id, job->rec.device_id, job->profile, &job->image_run_id);
        if (r < 0) {
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id, "no imaging: %s", strerror(-r));
                return r;
        }

        atomic_store(&job->img_progress.phase, IMG_PHASE_FETCH);
        job->img_opts = (struct img_run_opts) {
                .profile_path = TAKE_PTR(path),
                .trusted_keys_dir = c->trusted_keys_directory,
                .hooks_dir = c->hooks_directory,
                .run_dir = TAKE_PTR(run_dir),
                .asset_tag = job->asset_tag,
                .devnode = job->rec.devnode,
                .verify_percent = c->image_verify_percent,
                .fetch = {
                        .cache_dir = c->image_cache_directory,
                        .ca_file = c->ca_file,
                        .cancel = &job->cancel,
                        .progress = &job->fetch_progress,
                },
                .cancel = &job->cancel,
                .removed = &job->removed,
                .progress = &job->img_progress,
                .customise = true,
        };
        event_free(job->done_ev);
        job->done_ev = event_new(m->base, -1, 0, image_done_cb, job);
        if (!job->done_ev)
                return -ENOMEM;
        job->imaging = true;
        job->last_phase = -1;
        job->rate = 0;

        if (default_rc < 0) {
                /* Recorded as a failed imaging; the erasure certificate stays as it is. */
                job->img_result.error = default_rc;
                job->img_result.failed_phase = IMG_PHASE_NONE;
                atomic_store(&job->img_progress.phase, IMG_PHASE_NONE);
                event_active(job->done_ev, EV_TIMEOUT, 0);
                return 0;
        }
        r = -pthread_create(&job->thread, NULL, image_worker, job);
        if (r < 0) {
                job->img_rc = r;
                event_active(job->done_ev, EV_TIMEOUT, 0);
                return 0; /* image_done_cb() records why and ends the job */
        }
        job->thread_started = true;
        rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id, "writing profile %s for asset %s",
                    job->profile, job->asset_tag);
        const struct timeval tv = { .tv_sec = 0, .tv_usec = TICK_USEC };
        evtimer_add(job->tick_ev, &tv);
        rfd_events_publish_bay_name(m, job->rec.bay);
        return 0;
}

/* "state" of a job that goes on with imaging: imaging while it runs, then
 * the imaging's end when the erasure was done. */
void rfd_job_image_decorate(struct rfd_manager *m, const struct rfd_job *live, int64_t job_id, json_t *v) {
        json_t *image = NULL;
        if (live && live->imaging && !live->image_state) {
                image = json_pack("{s:s, s:s}", "profile", live->profile, "state", "running");
                json_object_set_new(v, "state", json_string("imaging"));
        } else if (rfd_store_image_for_job(m->store, job_id, &image) < 0)
                return;
        if (!image)
                return;
        const char *state = rf_json_str(image, "state");
        if (state && strcmp(state, "running") != 0 && rf_streq_ptr(rf_json_str(v, "state"), "done")) {
                json_object_set_new(v, "state", json_string(state));
                if (strcmp(state, "done") != 0)
                        json_object_set(v, "reason", json_object_get(image, "reason"));
        }
        if (live && live->refurb_cert_id)
                json_object_set_new(image, "refurbishment_certificate_id", json_string(live->refurb_cert_id));
        json_object_set_new(v, "image", image);
}

void rfd_job_image_clear(struct rfd_job *job) {
        free((char *) job->img_opts.profile_path);
        free((char *) job->img_opts.run_dir);
        job->img_opts = (struct img_run_opts) {};
        img_run_result_clear(&job->img_result);
        free(job->asset_tag);
        free(job->profile);
        free(job->image_state);
        free(job->refurb_cert_id);
        job->asset_tag = job->profile = job->image_state = job->refurb_cert_id = NULL;
}
