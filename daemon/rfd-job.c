/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One erasure job: a worker thread runs the wiper; the loop thread follows
 * its progress with a timer reading atomics, and finishes the job (record,
 * certificate) when the worker signals the end through an event. */
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-cert.h"
#include "rfd-log.h"
#include "rfd-manager.h"
#include "wipe-check.h"
#include "wipe-lock.h"

#define TICK_USEC 500000

static const char *phase_string(int phase) {
        switch (phase) {
        case WIPE_PHASE_WRITE:
                return "write";
        case WIPE_PHASE_FLUSH:
                return "flush";
        case WIPE_PHASE_VERIFY:
                return "verify";
        default:
                return "done";
        }
}

static void progress_now(const struct rfd_job *job, int *ret_phase, uint64_t *ret_done, uint64_t *ret_total) {
        int phase = atomic_load(&job->progress.phase);
        uint64_t done, total;
        if (phase == WIPE_PHASE_VERIFY || phase == WIPE_PHASE_DONE) {
                done = atomic_load(&job->progress.bytes_verified);
                total = atomic_load(&job->progress.verify_total);
        } else {
                done = atomic_load(&job->progress.bytes_written);
                total = job->rec.size;
        }
        *ret_phase = phase;
        *ret_done = done;
        *ret_total = total;
}

/* Phase name, done and total of what runs now: the erasure, or the imaging
 * after it (its phases are numbered after the erasure's for the rate). */
static const char *progress_view(const struct rfd_job *job, int *ret_phase, uint64_t *ret_done, uint64_t *ret_total) {
        const char *name = NULL;
        if (rfd_job_image_progress(job, &name, ret_done, ret_total)) {
                *ret_phase = 100 + atomic_load(&job->img_progress.phase);
                return name;
        }
        progress_now(job, ret_phase, ret_done, ret_total);
        return phase_string(*ret_phase);
}

json_t *rfd_job_to_json(const struct rfd_job *job) {
        json_t *v = rfd_job_record_to_json(&job->rec);
        if (!v)
                return NULL;
        const struct wipe_device *dev = job->device;
        json_object_set_new(v, "device",
                            json_pack("{s:s?, s:s?, s:s?, s:s}", "vendor", dev ? dev->vendor : NULL, "model",
                                      dev ? dev->model : NULL, "serial", dev ? dev->serial : NULL, "identity_source",
                                      dev ? wipe_identity_source_to_string(dev->identity_source) : "unknown"));
        if (job->content_fr)
                json_object_set_new(v, "content_before_fr", json_string(job->content_fr));
        if (!rfd_job_state_is_final(job->rec.state) || (job->imaging && !job->image_state)) {
                int phase;
                uint64_t done, total;
                const char *phase_name = progress_view(job, &phase, &done, &total);
                double pct = total > 0 ? 100.0 * (double) done / (double) total : 0.0;
                json_t *p = json_object();
                json_object_set_new(p, "phase", json_string(phase_name));
                json_object_set_new(p, "done", json_integer((json_int_t) done));
                json_object_set_new(p, "total", json_integer((json_int_t) total));
                json_object_set_new(p, "percent", json_real((double) ((int64_t) (pct * 10.0)) / 10.0));
                json_object_set_new(p, "rate_bytes_per_second", json_integer((json_int_t) job->rate));
                if (job->rate > 1.0 && total >= done)
                        json_object_set_new(p, "eta_seconds",
                                            json_integer((json_int_t) ((double) (total - done) / job->rate)));
                else
                        json_object_set_new(p, "eta_seconds", json_null());
                json_object_set_new(v, "progress", p);
        }
        rfd_job_image_decorate(job->m, job, job->rec.id, v);
        return v;
}

json_t *rfd_job_record_view(struct rfd_manager *m, const struct rfd_job_record *rec) {
        for (struct rfd_job *j = m->jobs; j; j = j->next)
                if (j->rec.id == rec->id)
                        return rfd_job_to_json(j);
        json_t *v = rfd_job_record_to_json(rec), *dev = NULL;
        if (v && rec->device_id > 0 && rfd_store_device_brief(m->store, rec->device_id, &dev) >= 0)
                json_object_set_new(v, "device", dev);
        if (v)
                rfd_job_image_decorate(m, NULL, rec->id, v);
        return v;
}

static void job_publish(struct rfd_job *job) {
        json_t *v = rfd_job_to_json(job);
        if (v)
                rfd_events_publish(job->m, "job", v);
}

static void job_store(struct rfd_job *job) {
        int r = rfd_store_job_update(job->m->store, &job->rec);
        if (r < 0)
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id, "cannot record the job: %s",
                            strerror(-r));
}

static void tick_cb(evutil_socket_t fd, short what, void *userdata) {
        struct rfd_job *job = userdata;
        int phase;
        uint64_t done, total, now = rf_now_usec();

        (void) progress_view(job, &phase, &done, &total);
        if (!job->imaging) {
                job->rec.bytes_written = atomic_load(&job->progress.bytes_written);
                job->rec.bytes_verified = atomic_load(&job->progress.bytes_verified);
        }

        if (phase != job->last_phase) {
                job->rate = 0;
                job->last_done = done;
                job->last_usec = now;
                job->last_phase = phase;
                if (phase == WIPE_PHASE_VERIFY && job->rec.state == RFD_JOB_ERASING) {
                        job->rec.state = RFD_JOB_VERIFYING;
                        job_store(job);
                        rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id,
                                    "written and flushed, verifying");
                        rfd_events_publish_bay_name(job->m, job->rec.bay);
                }
        } else if (now > job->last_usec) {
                double inst = (double) (done - job->last_done) * 1e6 / (double) (now - job->last_usec);
                job->rate = job->rate <= 0 ? inst : 0.6 * job->rate + 0.4 * inst;
                job->last_done = done;
                job->last_usec = now;
        }
        /* Keep the record close to the truth: after a crash the interrupted
         * job shows how far it went. */
        if (++job->ticks % 10 == 0 && !job->imaging)
                job_store(job);
        job_publish(job);
        rfd_events_publish_bay_name(job->m, job->rec.bay);
}

static void *worker(void *userdata) {
        struct rfd_job *job = userdata;

        int r = wipe_erase_run(job->fd, job->device, &job->opts, &job->progress, &job->result);
        job->run_rc = r;
        if (r >= 0 && job->result.stop == WIPE_STOP_NONE && job->result.error == 0) {
                /* What does libblkid still find? Nothing, or the job fails. */
                job->check_rc = wipe_check_signatures(job->fd, &job->signatures_after);
        }
        event_active(job->done_ev, EV_TIMEOUT, 0);
        return NULL;
}

static void job_issue_certificate(struct rfd_job *job) {
        struct rfd_manager *m = job->m;
        char *const empty[] = { NULL };
        _cleanup_json_ json_t *asset = NULL;
        /* The asset the drive belongs to, created on the spot for a drive
         * nobody linked (docs/intake.md): every certificate names one. */
        if (job->rec.device_id > 0) {
                int ra = rfd_store_asset_for_device(m->store, job->rec.device_id, true, &asset);
                if (ra < 0)
                        rfd_log_dev(LOG_WARNING, job->rec.bay, job->rec.devnode, job->rec.id,
                                    "asset of the drive unknown: %s", strerror(-ra));
        }
        struct rfd_cert_input in = {
                .asset = asset,
                .config = m->config,
                .device = job->device,
                .content_before = job->content_fr,
                .job = &job->rec,
                .erase = &job->result,
                .signatures_after = job->check_rc < 0 ? NULL : (job->signatures_after ? job->signatures_after : empty),
                .bench_cert_sha256 = m->cert_sha256,
        };
        _cleanup_free_ char *id = NULL;
        int r = rfd_cert_issue(m->store, m->key, m->cert, &in, &id);
        if (r < 0) {
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id, "certificate not issued: %s",
                            strerror(-r));
                free(job->rec.reason);
                if (asprintf(&job->rec.reason, "certificat non émis : %s", strerror(-r)) < 0)
                        job->rec.reason = NULL;
                return;
        }
        free(job->rec.certificate_id);
        job->rec.certificate_id = TAKE_PTR(id);
}

static void set_reason(struct rfd_job *job, const char *reason) {
        free(job->rec.reason);
        job->rec.reason = reason ? strdup(reason) : NULL;
}

static void done_cb(evutil_socket_t fd, short what, void *userdata) {
        struct rfd_job *job = userdata;
        struct rfd_manager *m = job->m;

        if (job->thread_started)
                pthread_join(job->thread, NULL);
        job->thread_started = false;
        evtimer_del(job->tick_ev);

        const struct wipe_erase_result *er = &job->result;
        job->rec.ended_at = rf_now_sec();
        if (er->size > 0)
                job->rec.size = er->size;
        free(job->rec.method);
        job->rec.method = strdup(er->overwrite_ran || !er->firmware_ran ? "overwrite-aes256ctr"
                                                                        : wipe_method_to_string(er->method));
        json_decref(job->rec.exceptions);
        if (er->overwrite_ran) {
                job->rec.bytes_written = er->overwrite.bytes_written;
                job->rec.bytes_verified = er->overwrite.bytes_verified;
                job->rec.exceptions = wipe_erase_exceptions_to_json(&er->overwrite);
        } else {
                job->rec.bytes_written = 0;
                job->rec.bytes_verified = er->validation_ran ? er->validation.bytes_read : 0;
                job->rec.exceptions = json_array();
        }
        if (!job->rec.exceptions)
                job->rec.exceptions = json_array();
        if (er->fallback_reason[0])
                rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id, "no firmware erase: %s",
                            er->fallback_reason);
        if (er->to_destroy)
                rfd_log_dev(LOG_WARNING, job->rec.bay, job->rec.devnode, job->rec.id,
                            "the drive reports it is failing (SMART): to be destroyed, not reused");
        free(job->rec.result);
        job->rec.result = strdup("not-erased");

        bool certify = false;
        if (job->run_rc < 0) {
                char buf[256];
                job->rec.state = RFD_JOB_FAILED;
                snprintf(buf, sizeof(buf), "l'effacement n'a pas pu démarrer : %s", strerror(-job->run_rc));
                set_reason(job, buf);
        } else if (job->check_rc < 0 && job->result.stop == WIPE_STOP_NONE && job->result.error == 0) {
                job->rec.state = RFD_JOB_FAILED;
                char buf[256];
                snprintf(buf, sizeof(buf), "le contrôle après effacement a échoué : %s", strerror(-job->check_rc));
                set_reason(job, buf);
                certify = job->result.overwrite_ran || job->result.firmware_ran;
        } else if (job->result.stop == WIPE_STOP_REMOVED || atomic_load(&job->removed)) {
                job->rec.state = RFD_JOB_INTERRUPTED;
                set_reason(job, "disque retiré pendant le travail");
        } else if (job->result.stop == WIPE_STOP_CANCELLED) {
                if (job->stopping_daemon) {
                        job->rec.state = RFD_JOB_INTERRUPTED;
                        set_reason(job, "arrêt du démon pendant le travail");
                } else {
                        job->rec.state = RFD_JOB_CANCELLED;
                        set_reason(job, "annulé par un technicien");
                }
        } else {
                /* The run went through (possibly with exceptions): the
                 * certificate says exactly what happened. */
                char *const empty[] = { NULL };
                struct rfd_cert_input in = {
                        .config = m->config,
                        .device = job->device,
                        .content_before = job->content_fr,
                        .job = &job->rec,
                        .erase = &job->result,
                        .signatures_after = job->check_rc < 0 ? NULL : (job->signatures_after ? job->signatures_after : empty),
                        .bench_cert_sha256 = m->cert_sha256,
                };
                _cleanup_free_ char *why = NULL;
                /* rfd_cert_result_detail() looks at the final state: assume done. */
                job->rec.state = RFD_JOB_DONE;
                if (rfd_cert_result_detail(&in, &why) == 1) {
                        free(job->rec.result);
                        job->rec.result = strdup("erased");
                        set_reason(job, NULL);
                } else {
                        job->rec.state = RFD_JOB_FAILED;
                        set_reason(job, why ? why : "effacement incomplet");
                }
                certify = true;
        }
        if (certify)
                job_issue_certificate(job);
        job_store(job);

        /* Erased and certified: the bay's profile is written next, the job
         * goes on with the drive still held. */
        if (job->rec.state == RFD_JOB_DONE && job->profile && !job->stopping_daemon && !m->stopping &&
            rfd_job_image_start(job) == 0)
                return;
        rfd_job_finish(job);
}

void rfd_job_finish(struct rfd_job *job) {
        struct rfd_manager *m = job->m;

        /* Drop our cached pages and release the drive (and its lock). */
        (void) ioctl(job->fd, BLKFLSBUF, 0);
        closep(&job->fd);
        job->fd = -1;

        rfd_log_dev(job->rec.state == RFD_JOB_DONE && !job->rec.reason ? LOG_INFO : LOG_WARNING, job->rec.bay,
                    job->rec.devnode,
                    job->rec.id, "job %s: %s%s%s (%" PRIu64 " bytes written, %" PRIu64 " verified, %zu exception(s))%s%s",
                    rfd_job_state_to_string(job->rec.state), job->rec.result, job->rec.reason ? ", " : "",
                    job->rec.reason ? job->rec.reason : "", job->rec.bytes_written, job->rec.bytes_verified,
                    job->result.overwrite.n_exceptions, job->rec.certificate_id ? ", certificate " : "",
                    job->rec.certificate_id ? job->rec.certificate_id : "");
        job_publish(job);
        rfd_manager_job_finished(m, job);
}

int rfd_job_new(struct rfd_manager *m, struct rfd_dev *d, const char *bay, int fd, enum wipe_verify_mode verify,
                unsigned verify_percent, struct rfd_job **ret) {
        struct rfd_job *job = calloc(1, sizeof(*job));
        if (!job)
                return -ENOMEM;
        job->m = m;
        job->fd = -1;
        job->last_phase = -1;
        atomic_init(&job->cancel, false);
        atomic_init(&job->removed, false);

        int r = wipe_device_new(m->udev, d->dev->syspath, &job->device);
        if (r < 0) {
                rfd_job_free(job);
                return r;
        }
        (void) wipe_device_probe_content(job->device);
        job->content_fr = rfd_content_summary(job->device);

        uint64_t size = 0;
        unsigned lss = 0;
        r = wipe_fd_geometry(fd, &size, &lss);
        if (r < 0 || size == 0) {
                rfd_job_free(job);
                return r < 0 ? r : -ENOMEDIUM;
        }
        if (lss > 0)
                job->device->logical_sector_size = lss;

        r = wipe_erase_opts_init(&job->opts);
        if (r < 0) {
                rfd_job_free(job);
                return r;
        }
        job->opts.method = m->config->erase_method;
        job->opts.validate_percent = m->config->validate_percent;
        job->opts.overwrite.verify = verify;
        /* Two generator threads per bay: with several bays at once, more buys
         * nothing and costs buffers (bench/README.md). */
        job->opts.overwrite.generator_threads = 2;
        job->opts.overwrite.verify_percent = verify == WIPE_VERIFY_FULL ? 100 : verify_percent;
        job->opts.cancel = &job->cancel;
        job->opts.removed = &job->removed;
        job->opts.password_set_before = rfd_job_password_set;
        job->opts.password_cleared = rfd_job_password_cleared;
        job->opts.userdata = job;
        char *sysfs_dir = NULL;
        if (asprintf(&sysfs_dir, "/sys/class/block/%s", job->device->sysname) < 0) {
                rfd_job_free(job);
                return -ENOMEM;
        }
        job->opts.sysfs_dir = sysfs_dir;

        json_t *dj = wipe_device_to_json(job->device);
        r = dj ? rfd_store_upsert_device(m->store, dj, &job->rec.device_id) : -ENOMEM;
        json_decref(dj);
        if (r < 0) {
                rfd_job_free(job);
                return r;
        }

        char key[2 * WIPE_KEY_SIZE + 1], iv[2 * WIPE_IV_SIZE + 1];
        rf_hex_encode(job->opts.overwrite.key, WIPE_KEY_SIZE, key);
        rf_hex_encode(job->opts.overwrite.iv, WIPE_IV_SIZE, iv);
        job->rec.bay = bay ? strdup(bay) : NULL;
        for (size_t i = 0; bay && i < m->config->n_bays; i++)
                if (strcmp(m->config->bays[i].name, bay) == 0 && m->config->bays[i].profile)
                        job->profile = strdup(m->config->bays[i].profile);
        job->rec.devnode = strdup(job->device->devnode);
        job->rec.state = RFD_JOB_QUEUED;
        job->rec.method = strdup("overwrite-aes256ctr");
        job->rec.verify_mode = strdup(verify == WIPE_VERIFY_FULL ? "full" : "sample");
        job->rec.verify_percent = job->opts.overwrite.verify_percent;
        job->rec.size = size;
        job->rec.pattern_key = strdup(key);
        job->rec.pattern_iv = strdup(iv);
        job->rec.exceptions = json_array();
        r = rfd_store_job_insert(m->store, &job->rec);
        if (r < 0) {
                rfd_job_free(job);
                return r;
        }

        job->done_ev = event_new(m->base, -1, 0, done_cb, job);
        job->tick_ev = event_new(m->base, -1, EV_PERSIST, tick_cb, job);
        if (!job->done_ev || !job->tick_ev) {
                rfd_job_free(job);
                return -ENOMEM;
        }
        job->fd = fd;
        *ret = job;
        return 0;
}

int rfd_job_start(struct rfd_job *job) {
        job->rec.state = RFD_JOB_ERASING;
        job->rec.started_at = rf_now_sec();
        job_store(job);
        job->last_usec = rf_now_usec();

        int r = -pthread_create(&job->thread, NULL, worker, job);
        if (r < 0) {
                job->run_rc = r;
                event_active(job->done_ev, EV_TIMEOUT, 0);
                return r;
        }
        job->thread_started = true;
        const struct timeval tv = { .tv_sec = 0, .tv_usec = TICK_USEC };
        evtimer_add(job->tick_ev, &tv);
        job_publish(job);
        return 0;
}

void rfd_job_cancel(struct rfd_job *job, bool removed) {
        if (removed)
                atomic_store(&job->removed, true);
        atomic_store(&job->cancel, true);
}

void rfd_job_free(struct rfd_job *job) {
        if (!job)
                return;
        if (job->thread_started) {
                atomic_store(&job->cancel, true);
                pthread_join(job->thread, NULL);
        }
        if (job->done_ev)
                event_free(job->done_ev);
        if (job->tick_ev)
                event_free(job->tick_ev);
        closep(&job->fd);
        free((char *) job->opts.sysfs_dir);
        wipe_erase_result_clear(&job->result);
        wipe_strv_free(job->signatures_after);
        rfd_job_record_clear(&job->rec);
        rfd_job_image_clear(job);
        wipe_device_free(job->device);
        free(job->content_fr);
        free(job);
}
