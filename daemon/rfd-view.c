/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON views of bays and devices, shared by the API and the events. */
#include <string.h>

#include "rf-macro.h"
#include "rfd-log.h"
#include "rfd-manager.h"

json_t *rfd_view_refusal(const struct wipe_refusal *r, const char *devnode) {
        char fr[512], en[512];
        if (!r || r->code == WIPE_REFUSAL_NONE)
                return json_null();
        return json_pack("{s:s, s:s, s:s, s:s}", "code", wipe_refusal_code_to_string(r->code), "detail", r->detail,
                         "message_fr", wipe_refusal_message(r, devnode, RF_LANG_FR, fr, sizeof(fr)), "message_en",
                         wipe_refusal_message(r, devnode, RF_LANG_EN, en, sizeof(en)));
}

static struct rfd_dev *dev_in_bay(struct rfd_manager *m, size_t i) {
        for (size_t k = 0; k < m->n_devs; k++)
                if (m->devs[k].bay == (int) i)
                        return &m->devs[k];
        return NULL;
}

/* Live verdict for a device without a running job. */
static int live_check(struct rfd_manager *m, const struct rfd_dev *d, struct wipe_refusal *r) {
        *r = (struct wipe_refusal){ 0 };
        int k = rfd_manager_check(m, d, r);
        if (k < 0) {
                r->code = WIPE_REFUSAL_BUSY;
                snprintf(r->detail, sizeof(r->detail), "%s", strerror(-k));
                return 1;
        }
        return k;
}

json_t *rfd_view_device(struct rfd_manager *m, const struct rfd_dev *d) {
        json_t *v = wipe_device_to_json(d->dev);
        if (!v)
                return NULL;
        const struct rfd_bay *b = rfd_manager_bay_of(m, d);
        json_object_set_new(v, "bay", b ? json_string(b->name) : json_null());
        if (d->job) {
                json_object_set_new(v, "erasable", json_false());
                json_object_set_new(v, "refusal", json_null());
                json_object_set_new(v, "job_id", json_integer(d->job->rec.id));
                return v;
        }
        struct wipe_refusal r;
        int k = live_check(m, d, &r);
        json_object_set_new(v, "erasable", json_boolean(k == 0));
        json_object_set_new(v, "refusal", k == 0 ? json_null() : rfd_view_refusal(&r, d->dev->devnode));
        json_object_set_new(v, "job_id", d->last_job_id > 0 ? json_integer(d->last_job_id) : json_null());
        return v;
}

const char *rfd_bay_state_string(struct rfd_manager *m, const struct rfd_bay *b) {
        switch (b->state) {
        case RFD_BAY_EMPTY:
                return "empty";
        case RFD_BAY_REFUSED:
                return "refused";
        case RFD_BAY_WAITING:
                return "waiting";
        case RFD_BAY_JOB:
                break;
        }
        return "job";
}

json_t *rfd_view_bay(struct rfd_manager *m, size_t i) {
        const struct rfd_bay *b = &m->bays[i];
        const struct rfd_bay_config *c = &m->config->bays[i];
        struct rfd_dev *d = dev_in_bay(m, i);
        json_t *job = json_null();
        const char *state = "empty";
        json_t *refusal = json_null();

        if (d && d->job) {
                json_decref(job);
                job = rfd_job_to_json(d->job);
                state = rfd_job_state_to_string(d->job->rec.state);
        } else if (d && b->last_job_id > 0) {
                struct rfd_job_record rec = { 0 };
                if (rfd_store_job_get(m->store, b->last_job_id, &rec) >= 0) {
                        json_decref(job);
                        job = rfd_job_record_view(m, &rec);
                        state = rfd_job_state_to_string(rec.state);
                        rfd_job_record_clear(&rec);
                } else
                        state = "waiting";
        } else if (d) {
                struct wipe_refusal r;
                if (live_check(m, d, &r) != 0) {
                        state = "refused";
                        json_decref(refusal);
                        refusal = rfd_view_refusal(&r, d->dev->devnode);
                } else
                        state = "waiting";
        }

        /* The job's JSON tells the whole job (erasure, then imaging). */
        if (json_is_object(job) && json_is_string(json_object_get(job, "state")))
                state = json_string_value(json_object_get(job, "state"));
        return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:o, s:o, s:o}", "name", b->name, "policy",
                         rfd_policy_to_string(c->policy), "match_device", c->match_device, "match_path",
                         c->match_path, "profile", c->profile, "state", state, "device",
                         d ? rfd_view_device(m, d) : json_null(), "refusal", refusal, "job", job ? job : json_null());
}
