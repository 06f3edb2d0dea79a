/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The erasure certificate: decide the result from what happened, build the
 * document (docs/certificate.md), canonicalise, sign and record it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-cert.h"

#define CERT_FORMAT "refurb-erasure-certificate/1"

/* ---- the result ---- */

struct verdict {
        const char *summary; /* the first failing condition, static text */
        FILE *detail;        /* every failing condition, precise; may be NULL */
        unsigned n;
};

static void fail_text(struct verdict *v, const char *summary, const char *text) {
        if (!v->summary)
                v->summary = summary;
        if (v->detail) {
                if (v->n > 0)
                        fputs(" ; ", v->detail);
                fputs(text, v->detail);
        }
        v->n++;
}

/* fail(v, summary, format, ...): one more failing condition. */
#define fail(v, summary, ...)                                       \
        do {                                                        \
                char _text_[1024];                                  \
                snprintf(_text_, sizeof(_text_), __VA_ARGS__);      \
                fail_text((v), (summary), _text_);                  \
        } while (0)

static const char *zones(size_t n) {
        return n == 1 ? "zone" : "zones";
}

static void check_exceptions(const struct wipe_overwrite_result *run, struct verdict *v) {
        size_t count[WIPE_EXC_FLUSH_ERROR + 1] = {};

        for (size_t i = 0; i < run->n_exceptions; i++)
                if ((unsigned) run->exceptions[i].kind < ELEMENTSOF(count))
                        count[run->exceptions[i].kind]++;
                else
                        fail(v, "anomalie inconnue", "anomalie de type inconnu (%d)", (int) run->exceptions[i].kind);

        if (count[WIPE_EXC_WRITE_ERROR] > 0)
                fail(v, "erreurs d'écriture", "%s d'écriture sur %zu %s",
                     count[WIPE_EXC_WRITE_ERROR] == 1 ? "erreur" : "erreurs", count[WIPE_EXC_WRITE_ERROR],
                     zones(count[WIPE_EXC_WRITE_ERROR]));
        if (count[WIPE_EXC_READ_ERROR] > 0)
                fail(v, "erreurs de lecture pendant la vérification", "%s de lecture pendant la vérification sur %zu %s",
                     count[WIPE_EXC_READ_ERROR] == 1 ? "erreur" : "erreurs", count[WIPE_EXC_READ_ERROR],
                     zones(count[WIPE_EXC_READ_ERROR]));
        if (count[WIPE_EXC_MISMATCH] > 0)
                fail(v, "la vérification a trouvé des données différentes du motif",
                     "la vérification a trouvé des données différentes du motif (%zu %s)", count[WIPE_EXC_MISMATCH],
                     zones(count[WIPE_EXC_MISMATCH]));
        if (count[WIPE_EXC_FLUSH_ERROR] > 0 || !run->flushed)
                fail(v, "le vidage du cache du disque a échoué", "le vidage du cache du disque a échoué");
}

static void check_verification(const struct rfd_cert_input *in, const struct wipe_overwrite_result *run, uint64_t size,
                               struct verdict *v) {
        const char *mode = in->job->verify_mode;

        if (run->bytes_verified == 0) {
                fail(v, "aucune donnée relue à la vérification", "aucune donnée relue à la vérification");
                return;
        }
        if (run->bytes_verified > size) {
                fail(v, "compteurs incohérents", "compteurs incohérents : %" PRIu64 " octets relus pour %" PRIu64,
                     run->bytes_verified, size);
                return;
        }
        if (rf_streq_ptr(mode, "full")) {
                if (run->bytes_verified != size || run->verify_percent_effective != 100)
                        fail(v, "vérification incomplète",
                             "vérification incomplète : %" PRIu64 " octets relus sur %" PRIu64, run->bytes_verified,
                             size);
        } else if (rf_streq_ptr(mode, "sample")) {
                /* The sample is verify_percent_effective % of the drive,
                 * rounded: what was read back must be at least that, less
                 * the rounding. */
                unsigned pct = run->verify_percent_effective;
                if (pct < 1 || pct > 100 || (unsigned __int128) run->bytes_verified * 100 <
                                                    (unsigned __int128) (pct - 1) * size + 1)
                        fail(v, "vérification par échantillon incomplète",
                             "vérification par échantillon incomplète : %" PRIu64 " octets relus sur %" PRIu64
                             " (échantillon de %u %%)",
                             run->bytes_verified, size, pct);
        } else
                fail(v, "mode de vérification inconnu", "mode de vérification inconnu : %s", mode ? mode : "aucun");
}

static void check_signatures(char *const *sigs, struct verdict *v) {
        if (!sigs) {
                fail(v, "la recherche de signatures après effacement n'a pas été faite",
                     "la recherche de signatures après effacement n'a pas été faite");
                return;
        }
        if (!sigs[0])
                return;
        if (!v->summary)
                v->summary = "une signature subsiste après effacement";
        if (v->detail) {
                if (v->n > 0)
                        fputs(" ; ", v->detail);
                fputs(sigs[1] ? "des signatures subsistent après effacement : "
                              : "une signature subsiste après effacement : ",
                      v->detail);
                for (size_t i = 0; sigs[i]; i++)
                        fprintf(v->detail, "%s%s", i > 0 ? ", " : "", sigs[i]);
        }
        v->n++;
}

/* A firmware erase: it counts only once the media was read back. */
static void check_firmware(const struct wipe_erase_result *e, struct verdict *v) {
        if (!e->firmware_ran) {
                fail(v, "aucune méthode d'effacement n'a été appliquée", "aucune méthode d'effacement n'a été appliquée");
                return;
        }
        if (!e->validation_ran) {
                fail(v, "l'effacement matériel n'a pas été vérifié par relecture",
                     "l'effacement matériel n'a pas été vérifié par relecture%s%s", e->validation_note[0] ? " : " : "",
                     e->validation_note);
                return;
        }
        if (!e->validation.passed)
                fail(v, "la relecture après l'effacement matériel a échoué",
                     "la relecture après l'effacement matériel a échoué : %s", e->validation.detail);
}

static void check_erase(const struct wipe_erase_result *e, struct verdict *v) {
        if (e->error < 0)
                fail(v, "erreur pendant l'effacement", "erreur pendant l'effacement : %s",
                     e->error_detail[0] ? e->error_detail : strerror(-e->error));
        if (e->hidden_remains)
                fail(v, "une zone cachée du disque n'a pas été effacée",
                     "effacé sauf une zone cachée de %" PRIu64 " secteurs%s%s", e->hidden_sectors,
                     e->hidden_detail[0] ? " : " : "", e->hidden_detail);
        if (!e->overwrite_ran)
                check_firmware(e, v);
        /* The orchestrator's own verdict must agree. */
        if (v->n == 0 && !wipe_erase_result_complete(e))
                fail(v, "effacement incomplet", "effacement incomplet");
}

static int evaluate(const struct rfd_cert_input *in, struct verdict *v) {
        const struct rfd_job_record *job;
        const struct wipe_overwrite_result *run;
        enum wipe_stop stop;

        if (!in || !in->job || (!in->run && !in->erase))
                return -EINVAL;
        job = in->job;
        run = in->erase ? (in->erase->overwrite_ran ? &in->erase->overwrite : NULL) : in->run;
        stop = in->erase ? in->erase->stop : run->stop;
        if (run && run->n_exceptions > 0 && !run->exceptions)
                return -EINVAL;

        /* Stopped before the end: that is the whole story. */
        if (job->state == RFD_JOB_INTERRUPTED) {
                fail(v, "travail interrompu", "travail interrompu%s%s", job->reason ? " : " : "",
                     job->reason ? job->reason : "");
                return 0;
        }
        if (stop == WIPE_STOP_REMOVED) {
                fail(v, "disque retiré pendant le travail", "disque retiré pendant le travail");
                return 0;
        }
        if (stop == WIPE_STOP_CANCELLED || job->state == RFD_JOB_CANCELLED) {
                fail(v, "travail annulé", "travail annulé");
                return 0;
        }
        if (stop == WIPE_STOP_TOO_MANY_ERRORS)
                fail(v, "trop d'erreurs : travail arrêté avant la fin", "trop d'erreurs : travail arrêté avant la fin");
        else if (stop != WIPE_STOP_NONE)
                fail(v, "travail arrêté avant la fin", "travail arrêté avant la fin (%d)", (int) stop);

        if (in->erase)
                check_erase(in->erase, v);

        if (run) {
                check_exceptions(run, v);
                uint64_t size = run->size;
                if (size == 0) {
                        fail(v, "taille du disque inconnue", "taille du disque inconnue (0 octet)");
                        return 0;
                }
                uint64_t expected = in->erase && in->erase->size ? in->erase->size
                                    : (in->device && in->device->size ? in->device->size : job->size);
                if (expected != 0 && expected != size)
                        fail(v, "la taille effacée ne correspond pas à celle du disque",
                             "la taille effacée (%" PRIu64 " octets) ne correspond pas à celle du disque (%" PRIu64 ")",
                             size, expected);
                if (run->bytes_written != size)
                        fail(v, "écriture incomplète", "écriture incomplète : %" PRIu64 " octets écrits sur %" PRIu64,
                             run->bytes_written, size);
                check_verification(in, run, size, v);
        }
        check_signatures(in->signatures_after, v);

        /* A job that failed for a reason the run does not show (e.g. the
         * check after erasure could not run). */
        if (v->n == 0 && job->state == RFD_JOB_FAILED)
                fail(v, "le travail a échoué", "le travail a échoué%s%s", job->reason ? " : " : "",
                     job->reason ? job->reason : "");
        return 0;
}

int rfd_cert_result(const struct rfd_cert_input *in, const char **reason_fr) {
        struct verdict v = {};
        int r = evaluate(in, &v);
        if (r < 0)
                return r;
        if (reason_fr)
                *reason_fr = v.summary;
        return v.n == 0;
}

int rfd_cert_result_detail(const struct rfd_cert_input *in, char **ret_reason_fr) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct verdict v = {};
        int r;

        if (!ret_reason_fr)
                return -EINVAL;
        v.detail = open_memstream(&buf, &len);
        if (!v.detail)
                return -ENOMEM;
        r = evaluate(in, &v);
        if (fclose(v.detail) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        *ret_reason_fr = v.n > 0 ? TAKE_PTR(buf) : NULL;
        return v.n == 0;
}

/* ---- the document ---- */

static json_t *str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

/* Text the bench's configuration may leave empty: null then. */
static json_t *nonempty_or_null(const char *s) {
        return s && *s ? json_string(s) : json_null();
}

static json_t *u64(uint64_t v) {
        return json_integer((json_int_t) MIN(v, (uint64_t) INT64_MAX));
}

static json_t *time_or_null(int64_t t) {
        char buf[21];
        if (t == 0)
                return json_null();
        rf_time_iso8601((time_t) t, buf);
        return json_string(buf);
}

/* An object from {key, value} pairs ending with a NULL key. Any NULL value
 * (allocation failure) fails the whole, and every value is released then. */
struct member {
        const char *key;
        json_t *value;
};

static json_t *object_new(const struct member *m) {
        json_t *o = json_object();
        bool ok = o != NULL;

        for (; m->key; m++) {
                if (!o)
                        json_decref(m->value); /* NULL-safe */
                else if (!m->value || json_object_set_new(o, m->key, m->value) < 0) /* takes the reference anyway */
                        ok = false;
        }
        if (!ok && o) {
                json_decref(o);
                return NULL;
        }
        return o;
}
#define OBJECT(...) object_new((const struct member[]) { __VA_ARGS__, { NULL, NULL } })

static json_t *exceptions_json(const struct wipe_overwrite_result *run) {
        json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < run->n_exceptions; i++) {
                const struct wipe_exception *e = &run->exceptions[i];
                /* strerrordesc_np(): the same English words whatever the
                 * locale, as the document is signed. */
                const char *err = e->error > 0 ? strerrordesc_np(e->error) : NULL;
                json_t *o = OBJECT({ "kind", str_or_null(wipe_exception_kind_to_string(e->kind)) },
                                   { "offset", u64(e->offset) }, { "length", u64(e->length) },
                                   { "error", e->error > 0 ? json_string(err ? err : "unknown error") : json_null() });
                if (json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *signatures_json(char *const *sigs) {
        if (!sigs)
                return json_null(); /* the check was not done */
        json_t *a = json_array();
        for (size_t i = 0; a && sigs[i]; i++)
                if (json_array_append_new(a, json_string(sigs[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

int rfd_cert_build(const struct rfd_cert_input *in, const char *id, int64_t seq, const char *prev_sha256,
                   json_t **ret) {
        _cleanup_free_ char *reason = NULL;
        char hostname[256] = "";
        int r;

        if (!in || !in->config || !in->device || !in->job || (!in->run && !in->erase) || !id || seq < 1 || !ret)
                return -EINVAL;
        if (prev_sha256 && *prev_sha256 && strlen(prev_sha256) != 64)
                return -EINVAL;
        r = rfd_cert_result_detail(in, &reason);
        if (r < 0)
                return r;
        bool erased = r == 1;
        if (gethostname(hostname, sizeof(hostname) - 1) < 0)
                hostname[0] = '\0';

        const struct rfd_config *c = in->config;
        const struct wipe_device *d = in->device;
        const struct rfd_job_record *j = in->job;
        const struct wipe_erase_result *e = in->erase;
        const struct wipe_overwrite_result *run = e ? (e->overwrite_ran ? &e->overwrite : NULL) : in->run;
        bool full = rf_streq_ptr(j->verify_mode, "full");
        bool firmware = e && !e->overwrite_ran && e->firmware_ran;
        const char *category = e ? (erased ? wipe_erase_category_name(e->category) : "none") : "Clear";
        char technique[256];
        if (firmware)
                snprintf(technique, sizeof(technique),
                         "commande d'effacement du disque (%s), confirmée par relecture d'un échantillon",
                         wipe_method_to_string(e->method));
        else
                snprintf(technique, sizeof(technique), "%s",
                         "1 passe, flux AES-256-CTR (clé aléatoire propre au travail)");

        json_t *sanitization = OBJECT(
                { "category", json_string(category) },
                { "standard", json_string("NIST SP 800-88 Rev. 2, IEEE 2883-2022") },
                { "method", json_string(firmware ? wipe_method_to_string(e->method) : "overwrite") },
                { "technique", json_string(technique) },
                { "passes", firmware ? json_null() : json_integer(1) },
                { "pattern", run ? OBJECT({ "algorithm", json_string("aes-256-ctr") },
                                          { "key", str_or_null(j->pattern_key) },
                                          { "iv", str_or_null(j->pattern_iv) })
                                 : json_null() },
                { "fallback_reason", e ? nonempty_or_null(e->fallback_reason) : json_null() });
        json_t *verification;
        if (run)
                verification = OBJECT({ "method", json_string("read-back comparison with the pattern") },
                                      { "mode", str_or_null(j->verify_mode) },
                                      { "percent", json_integer(full ? 100 : run->verify_percent_effective) },
                                      { "bytes_verified", u64(run->bytes_verified) },
                                      { "signatures_found_after", signatures_json(in->signatures_after) });
        else
                verification = OBJECT(
                        { "method", json_string("read-back of a keyed sample after the firmware erase") },
                        { "mode", json_string("sample") },
                        { "percent", json_integer(e ? e->validate_percent : 0) },
                        { "bytes_verified", u64(e && e->validation_ran ? e->validation.bytes_read : 0) },
                        { "expected", json_string(e ? wipe_fw_expect_to_string(e->validation_expect) : "none") },
                        { "signatures_found_after", signatures_json(in->signatures_after) });

        json_t *doc = OBJECT(
                { "format", json_string(CERT_FORMAT) },
                { "id", json_string(id) },
                { "sequence", json_integer(seq) },
                { "previous_sha256", nonempty_or_null(prev_sha256) },
                { "issued_at", time_or_null((int64_t) rf_now_sec()) },
                { "bench", OBJECT({ "name", nonempty_or_null(c->bench_name) },
                                  { "hostname", nonempty_or_null(hostname) },
                                  { "organisation", nonempty_or_null(c->organisation) },
                                  { "location", nonempty_or_null(c->location) },
                                  { "signer_sha256", nonempty_or_null(in->bench_cert_sha256) }) },
                { "operator", OBJECT({ "technician", nonempty_or_null(c->technician) }) },
                { "tool", OBJECT({ "name", json_string("refurb") }, { "version", json_string(REFURB_VERSION) }) },
                { "media", OBJECT({ "vendor", nonempty_or_null(d->vendor) },
                                  { "model", nonempty_or_null(d->model) },
                                  { "serial", nonempty_or_null(d->serial) },
                                  { "wwn", nonempty_or_null(d->wwn) },
                                  { "identity_source", str_or_null(wipe_identity_source_to_string(d->identity_source)) },
                                  { "transport", str_or_null(wipe_transport_to_string(d->transport)) },
                                  { "size_bytes", u64(d->size != 0 ? d->size : j->size) },
                                  { "logical_sector_size", json_integer(d->logical_sector_size) },
                                  { "physical_sector_size", json_integer(d->physical_sector_size) },
                                  { "rotational", json_boolean(d->rotational) },
                                  { "devnode", str_or_null(j->devnode ? j->devnode : d->devnode) },
                                  { "bay", str_or_null(j->bay) },
                                  { "content_before", nonempty_or_null(in->content_before) }) },
                { "sanitization", sanitization },
                { "verification", verification },
                { "job", OBJECT({ "id", json_integer(j->id) },
                                { "started_at", time_or_null(j->started_at) },
                                { "ended_at", time_or_null(j->ended_at) },
                                { "bytes_written", u64(run ? run->bytes_written : 0) },
                                { "state", str_or_null(rfd_job_state_to_string(j->state)) }) },
                { "exceptions", run ? exceptions_json(run) : json_array() },
                { "health", OBJECT({ "to_destroy", json_boolean(e && e->to_destroy) }) },
                { "erase_record", e ? wipe_erase_result_to_json(e) : json_null() },
                { "asset", in->asset ? json_deep_copy(in->asset) : json_null() },
                { "result", json_string(erased ? "erased" : "not-erased") },
                { "result_reason", str_or_null(reason) });
        if (!doc)
                return -ENOMEM;
        *ret = doc;
        return 0;
}

int rfd_cert_issue(struct rfd_store *store, EVP_PKEY *key, X509 *cert, const struct rfd_cert_input *in,
                   char **ret_id) {
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_free_ char *text = NULL, *sig = NULL, *signer = NULL;
        char id[37], fp[65], prev[65], sha[65];
        struct rfd_cert_input input;
        size_t len = 0;
        int64_t seq;
        int r;

        if (!store || !key || !cert || !in || !in->job || !ret_id)
                return -EINVAL;
        /* Only a finished job gets a certificate. */
        if (in->job->id <= 0 || !rfd_job_state_is_final(in->job->state))
                return -EINVAL;

        /* The document names the key that really signs it. */
        r = rf_cert_fingerprint(cert, fp);
        if (r < 0)
                return r;
        if (in->bench_cert_sha256 && *in->bench_cert_sha256 && strcasecmp(in->bench_cert_sha256, fp) != 0)
                return -EINVAL;
        input = *in;
        input.bench_cert_sha256 = fp;

        r = rfd_store_cert_next_seq(store, &seq, prev);
        if (r < 0)
                return r;
        r = rf_uuid4(id);
        if (r < 0)
                return r;
        r = rfd_cert_build(&input, id, seq, prev, &doc);
        if (r < 0)
                return r;
        r = rf_json_canonical(doc, &text, &len);
        if (r < 0)
                return r;
        if (strlen(text) != len)
                return -EINVAL; /* a NUL inside: cannot be stored as text */
        r = rf_cms_sign(key, cert, text, len, &sig);
        if (r < 0)
                return r;
        r = rf_sha256_hex(text, len, sha);
        if (r < 0)
                return r;
        r = rf_cert_to_pem(cert, &signer);
        if (r < 0)
                return r;
        r = rfd_store_cert_insert(store, id, in->job->id, seq, text, sha, sig, signer);
        if (r < 0)
                return r;
        /* Recorded: the job row already points to it, whatever happens now. */
        *ret_id = strdup(id);
        return *ret_id ? 0 : -ENOMEM;
}
