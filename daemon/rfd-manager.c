/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bench's state: bays, devices with a medium, running jobs, and the
 * decisions taken when a drive comes and goes. Runs on the loop thread. */
#include "rfd-manager.h"

#include <errno.h>
#include <event2/event.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-cms.h"
#include "rf-util.h"
#include "rf-macro.h"
#include "rfd-log.h"
#include "wipe-lock.h"

static void bays_free(struct rfd_bay *bays, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(bays[i].name);
                free(bays[i].sysname);
        }
        free(bays);
}

/* (Re)build the bay table and the match table from m->config, keeping the
 * state of bays whose name did not change. */
static int bays_build(struct rfd_manager *m) {
        const struct rfd_config *c = m->config;
        struct rfd_bay *bays = calloc(c->n_bays ? c->n_bays : 1, sizeof(*bays));
        struct wipe_bay_match *matches = calloc(c->n_bays ? c->n_bays : 1, sizeof(*matches));
        if (!bays || !matches) {
                free(bays);
                free(matches);
                return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_bays; i++) {
                bays[i].name = strdup(c->bays[i].name);
                if (!bays[i].name) {
                        bays_free(bays, c->n_bays);
                        free(matches);
                        return -ENOMEM;
                }
                matches[i] = (struct wipe_bay_match){
                        .name = c->bays[i].name,
                        .device_glob = c->bays[i].match_device,
                        .path_glob = c->bays[i].match_path,
                };
        }
        bays_free(m->bays, m->n_bays);
        free(m->bay_matches);
        m->bays = bays;
        m->n_bays = c->n_bays;
        m->bay_matches = matches;
        m->safety.bays = matches;
        m->safety.n_bays = c->n_bays;
        return 0;
}

struct rfd_dev *rfd_manager_find_dev(struct rfd_manager *m, const char *name) {
        if (!name)
                return NULL;
        if (strncmp(name, "/dev/", 5) == 0)
                name += 5;
        for (size_t i = 0; i < m->n_devs; i++)
                if (strcmp(m->devs[i].dev->sysname, name) == 0)
                        return &m->devs[i];
        return NULL;
}

struct rfd_bay *rfd_manager_bay_of(struct rfd_manager *m, const struct rfd_dev *d) {
        if (!d || d->bay < 0 || (size_t) d->bay >= m->n_bays)
                return NULL;
        return &m->bays[d->bay];
}

int rfd_manager_check(struct rfd_manager *m, const struct rfd_dev *d, struct wipe_refusal *ret) {
        return wipe_safety_check(&m->safety, d->dev, ret);
}

/* Put the device's bay in the state it deserves when no job runs. */
static void bay_settle(struct rfd_manager *m, struct rfd_dev *d) {
        struct rfd_bay *b = rfd_manager_bay_of(m, d);
        if (!b)
                return;
        free(b->sysname);
        b->sysname = strdup(d->dev->sysname);
        if (d->job || b->last_job_id > 0)
                b->state = RFD_BAY_JOB;
        else {
                struct wipe_refusal r = { 0 };
                int k = rfd_manager_check(m, d, &r);
                if (k != 0) {
                        if (k < 0) {
                                r.code = WIPE_REFUSAL_BUSY;
                                snprintf(r.detail, sizeof(r.detail), "%s", strerror(-k));
                        }
                        b->state = RFD_BAY_REFUSED;
                        b->refusal = r;
                } else {
                        b->state = RFD_BAY_WAITING;
                        b->refusal = (struct wipe_refusal){ 0 };
                }
        }
}

static void bay_empty(struct rfd_bay *b) {
        b->state = RFD_BAY_EMPTY;
        free(b->sysname);
        b->sysname = NULL;
        b->refusal = (struct wipe_refusal){ 0 };
        b->last_job_id = 0;
}

static void dev_assign_bay(struct rfd_manager *m, struct rfd_dev *d) {
        d->bay = wipe_bay_find(m->bay_matches, m->n_bays, d->dev->devnode, d->dev->id_path);
}

static void dev_remove_at(struct rfd_manager *m, size_t i) {
        wipe_device_free(m->devs[i].dev);
        memmove(&m->devs[i], &m->devs[i + 1], (m->n_devs - i - 1) * sizeof(*m->devs));
        m->n_devs--;
}

int rfd_manager_start_job(struct rfd_manager *m, struct rfd_dev *d, const char *verify, unsigned verify_percent,
                          struct wipe_refusal *refusal, struct rfd_job **ret_job) {
        struct rfd_bay *b = rfd_manager_bay_of(m, d);
        int r;

        if (d->job)
                return -EBUSY;
        if (m->stopping)
                return -ESHUTDOWN;

        /* Re-read the device right now: what is checked is what is erased. */
        _cleanup_wipe_device_ struct wipe_device *fresh = NULL;
        r = wipe_device_new(m->udev, d->dev->syspath, &fresh);
        if (r >= 0) {
                (void) wipe_device_probe_content(fresh);
                wipe_device_free(d->dev);
                d->dev = TAKE_PTR(fresh);
                dev_assign_bay(m, d);
                b = rfd_manager_bay_of(m, d);
        }

        r = rfd_manager_check(m, d, refusal);
        if (r < 0) {
                refusal->code = WIPE_REFUSAL_BUSY;
                snprintf(refusal->detail, sizeof(refusal->detail), "%s", strerror(-r));
                return 1;
        }
        if (r > 0)
                return 1;

        enum wipe_verify_mode mode = m->config->verify;
        unsigned percent = m->config->verify_percent;
        if (verify && strcmp(verify, "full") == 0)
                mode = WIPE_VERIFY_FULL;
        else if (verify && strcmp(verify, "sample") == 0)
                mode = WIPE_VERIFY_SAMPLE;
        if (verify_percent > 0)
                percent = verify_percent;

        _cleanup_close_ int fd = -1;
        r = wipe_open_exclusive(d->dev->devnode, &fd, refusal);
        if (r < 0)
                return 1;
        /* The node must still be the device that was checked. */
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != d->dev->devnum) {
                refusal->code = WIPE_REFUSAL_BUSY;
                snprintf(refusal->detail, sizeof(refusal->detail), "%s",
                         "le périphérique a changé entre le contrôle et l'ouverture");
                return 1;
        }

        struct rfd_job *job = NULL;
        r = rfd_job_new(m, d, b ? b->name : NULL, fd, mode, percent, &job);
        if (r < 0)
                return r;
        fd = -1; /* owned by the job now */
        d->job = job;
        d->last_job_id = job->rec.id;
        if (b) {
                b->last_job_id = job->rec.id;
                b->state = RFD_BAY_JOB;
                b->refusal = (struct wipe_refusal){ 0 };
        }
        job->next = m->jobs;
        m->jobs = job;

        r = rfd_job_start(job);
        if (r < 0) {
                rfd_log_dev(LOG_ERR, job->rec.bay, job->rec.devnode, job->rec.id, "cannot start worker: %s",
                            strerror(-r));
                return r; /* rfd_job_start() finished the job as failed */
        }
        rfd_log_dev(LOG_INFO, job->rec.bay, job->rec.devnode, job->rec.id,
                    "erasure started (%s, serial %s, %s)", job->content_fr ? job->content_fr : "?",
                    d->dev->serial ? d->dev->serial : "?", mode == WIPE_VERIFY_FULL ? "full verification" : "sampled verification");
        if (ret_job)
                *ret_job = job;
        rfd_events_publish_bay_of(m, d);
        return 0;
}

void rfd_manager_job_finished(struct rfd_manager *m, struct rfd_job *job) {
        for (struct rfd_job **p = &m->jobs; *p; p = &(*p)->next)
                if (*p == job) {
                        *p = job->next;
                        break;
                }
        struct rfd_dev *d = NULL;
        for (size_t i = 0; i < m->n_devs; i++)
                if (m->devs[i].job == job)
                        d = &m->devs[i];
        if (d) {
                d->job = NULL;
                rfd_events_publish_bay_of(m, d);
        } else {
                /* The drive went away during the job: publish its former bay. */
                for (size_t i = 0; i < m->n_bays; i++)
                        if (job->rec.bay && strcmp(m->bays[i].name, job->rec.bay) == 0)
                                rfd_events_publish_bay(m, i);
        }
        rfd_job_free(job);
}

char *rfd_content_summary(const struct wipe_device *dev) {
        if (!dev->content_probed)
                return strdup("contenu non examiné (lecture impossible)");
        return wipe_content_summary(&dev->content, true);
}

static void device_inserted(struct rfd_manager *m, struct rfd_dev *d, bool at_startup) {
        rfd_ata_password_recover(m, d->dev);
        (void) wipe_device_probe_content(d->dev);
        dev_assign_bay(m, d);
        d->at_startup = at_startup;
        struct rfd_bay *b = rfd_manager_bay_of(m, d);
        _cleanup_free_ char *summary = rfd_content_summary(d->dev);

        if (!b) {
                rfd_log_dev(LOG_INFO, NULL, d->dev->devnode, 0, "device on no bay (%s), left alone",
                            summary ? summary : "?");
                json_t *v = rfd_view_device(m, d);
                if (v)
                        rfd_events_publish(m, "device", v);
                return;
        }
        b->last_job_id = 0;
        bay_settle(m, d);
        rfd_log_dev(LOG_INFO, b->name, d->dev->devnode, 0, "drive %s: %s %s serial %s, %s",
                    at_startup ? "present at start" : "inserted", d->dev->vendor ? d->dev->vendor : "?",
                    d->dev->model ? d->dev->model : "?", d->dev->serial ? d->dev->serial : "?", summary ? summary : "?");

        if (b->state == RFD_BAY_REFUSED) {
                char msg[512];
                rfd_log_dev(LOG_WARNING, b->name, d->dev->devnode, 0, "refused: %s",
                            wipe_refusal_message(&b->refusal, d->dev->devnode, RF_LANG_EN, msg, sizeof(msg)));
        } else if (!at_startup && m->config->bays[d->bay].policy == RFD_POLICY_AUTO) {
                struct wipe_refusal refusal = { 0 };
                int r = rfd_manager_start_job(m, d, NULL, 0, &refusal, NULL);
                if (r == 1) {
                        char msg[512];
                        b->state = RFD_BAY_REFUSED;
                        b->refusal = refusal;
                        rfd_log_dev(LOG_WARNING, b->name, d->dev->devnode, 0, "refused: %s",
                                    wipe_refusal_message(&refusal, d->dev->devnode, RF_LANG_EN, msg, sizeof(msg)));
                } else if (r < 0)
                        rfd_log_dev(LOG_ERR, b->name, d->dev->devnode, 0, "cannot start the erasure: %s",
                                    strerror(-r));
        }
        rfd_events_publish_bay_of(m, d);
}

static void device_gone(struct rfd_manager *m, size_t i) {
        struct rfd_dev *d = &m->devs[i];
        struct rfd_bay *b = rfd_manager_bay_of(m, d);

        rfd_log_dev(LOG_INFO, b ? b->name : NULL, d->dev->devnode, d->job ? d->job->rec.id : 0, "drive removed%s",
                    d->job ? " during the job" : "");
        if (d->job)
                rfd_job_cancel(d->job, true);
        if (b)
                bay_empty(b);
        size_t bay_index = b ? (size_t) (b - m->bays) : 0;
        dev_remove_at(m, i);
        if (b)
                rfd_events_publish_bay(m, bay_index);
}

void rfd_manager_device_event(struct rfd_manager *m, const char *action, struct wipe_device *dev) {
        size_t i;
        for (i = 0; i < m->n_devs; i++)
                if (strcmp(m->devs[i].dev->sysname, dev->sysname) == 0)
                        break;
        bool known = i < m->n_devs;
        bool startup = strcmp(action, "startup") == 0;

        if (strcmp(action, "remove") == 0 || dev->size == 0) {
                wipe_device_free(dev);
                if (known)
                        device_gone(m, i);
                return;
        }

        if (!known) {
                struct rfd_dev *n = realloc(m->devs, (m->n_devs + 1) * sizeof(*m->devs));
                if (!n) {
                        wipe_device_free(dev);
                        return;
                }
                m->devs = n;
                m->devs[m->n_devs] = (struct rfd_dev){ .dev = dev, .bay = -1 };
                m->n_devs++;
                device_inserted(m, &m->devs[m->n_devs - 1], startup);
                return;
        }

        /* A change on a device that stays: our own writes (udev's watch
         * rule fires when a writer closes), a new partition, a resize. */
        struct rfd_dev *d = &m->devs[i];
        if (d->job) {
                wipe_device_free(dev);
                return;
        }
        (void) wipe_device_probe_content(dev);
        wipe_device_free(d->dev);
        d->dev = dev;
        int old_bay = d->bay;
        dev_assign_bay(m, d);
        if (old_bay != d->bay && old_bay >= 0 && (size_t) old_bay < m->n_bays)
                bay_empty(&m->bays[old_bay]);
        bay_settle(m, d);
        rfd_events_publish_bay_of(m, d);
}

unsigned rfd_manager_stop_jobs(struct rfd_manager *m) {
        unsigned n = 0;
        m->stopping = true;
        for (struct rfd_job *j = m->jobs; j; j = j->next) {
                j->stopping_daemon = true;
                rfd_job_cancel(j, false);
                n++;
        }
        return n;
}

int rfd_manager_reload(struct rfd_manager *m) {
        char err[1024] = "";
        struct rfd_config *c = NULL;
        int r = rfd_config_load(m->config_path, false, &c, err, sizeof(err));
        if (r < 0) {
                rfd_log(LOG_ERR, "reload refused, keeping the running configuration: %s", err);
                return r;
        }
        if (!rf_streq_ptr(c->state_directory, m->config->state_directory) ||
            !rf_streq_ptr(c->api_socket, m->config->api_socket))
                rfd_log(LOG_WARNING, "StateDirectory= and APISocket= changes take effect at the next start");

        /* Keep bay state across the reload by name. */
        size_t old_n = m->n_bays;
        struct rfd_bay *old = m->bays;
        m->bays = NULL;
        m->n_bays = 0;
        struct rfd_config *old_config = m->config;
        m->config = c;
        r = bays_build(m);
        if (r < 0) {
                m->config = old_config;
                m->bays = old;
                m->n_bays = old_n;
                rfd_config_free(c);
                return r;
        }
        for (size_t i = 0; i < m->n_bays; i++)
                for (size_t k = 0; k < old_n; k++)
                        if (strcmp(m->bays[i].name, old[k].name) == 0)
                                m->bays[i].last_job_id = old[k].last_job_id;
        bays_free(old, old_n);
        /* Devices may now sit on another bay, or on none. Keep the string
         * fields of jobs alive: they were copied, not borrowed. */
        for (size_t i = 0; i < m->n_devs; i++) {
                dev_assign_bay(m, &m->devs[i]);
                bay_settle(m, &m->devs[i]);
        }
        rfd_config_free(old_config);
        rfd_log(LOG_INFO, "configuration reloaded: %zu bay(s)", m->n_bays);
        for (size_t i = 0; i < m->n_bays; i++)
                rfd_events_publish_bay(m, i);
        return 0;
}

int rfd_manager_new(struct event_base *base, const char *config_path, struct rfd_config *config,
                    struct rfd_manager **ret) {
        struct rfd_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->base = base;
        m->config = config;
        m->config_path = strdup(config_path);
        m->started_at = time(NULL);
        if (gethostname(m->hostname, sizeof(m->hostname) - 1) < 0)
                snprintf(m->hostname, sizeof(m->hostname), "localhost");
        m->state_dir = strdup(config->state_directory);
        /* The bench's own disks: never erased, whatever the bays say. */
        size_t np = 0;
        static const char *const system_paths[] = { "/", "/boot", "/boot/efi", "/usr", "/var" };
        for (size_t i = 0; i < ELEMENTSOF(system_paths); i++)
                m->protected_paths[np++] = system_paths[i];
        if (m->state_dir)
                m->protected_paths[np++] = m->state_dir;
        m->protected_paths[np] = NULL;
        m->safety = (struct wipe_safety_env){
                .sysfs_root = "/sys",
                .mountinfo_path = "/proc/self/mountinfo",
                .swaps_path = "/proc/swaps",
                .protected_paths = m->protected_paths,
        };

        int r = m->config_path && m->state_dir ? bays_build(m) : -ENOMEM;
        if (r < 0) {
                m->config = NULL;
                rfd_manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

void rfd_manager_free(struct rfd_manager *m) {
        if (!m)
                return;
        while (m->jobs) {
                struct rfd_job *j = m->jobs;
                m->jobs = j->next;
                rfd_job_free(j);
        }
        for (size_t i = 0; i < m->n_devs; i++)
                wipe_device_free(m->devs[i].dev);
        free(m->devs);
        bays_free(m->bays, m->n_bays);
        free(m->bay_matches);
        rfd_config_free(m->config);
        free(m->config_path);
        free(m->state_dir);
        free(m->cert_pem);
        EVP_PKEY_free(m->key);
        X509_free(m->cert);
        free(m);
}
