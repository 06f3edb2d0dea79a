/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP+JSON API (docs/api.md), served by libevent's evhttp on a
 * root-only Unix socket. Every failure answers with an error document. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-intake.h"
#include "rfd-api-certs.h"
#include "rfd-api-ledger.h"
#include "rfd-api-profiles.h"
#include "rfd-api-session.h"
#include "rfd-api.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"
#include "rfd-net.h"


struct rfd_api {
        struct rfd_manager *m;
        struct evhttp *http;
        char *socket_path;
};

struct route_ctx {
        struct rfd_manager *m;
        struct evhttp_request *req;
        const struct rfd_principal *who;
        enum evhttp_cmd_type method;
        char *const *seg;
        size_t n_seg;
        const char *query;
};

static void send_refusal(struct evhttp_request *req, const struct wipe_refusal *r, const char *devnode) {
        char fr[512], en[512];
        rfd_http_reply_error(req, 409, "refused", wipe_refusal_message(r, devnode, RF_LANG_FR, fr, sizeof(fr)),
                   wipe_refusal_message(r, devnode, RF_LANG_EN, en, sizeof(en)),
                   json_pack("{s:s, s:s}", "refusal", wipe_refusal_code_to_string(r->code), "detail", r->detail));
}

static bool require_method(struct route_ctx *c, enum evhttp_cmd_type method) {
        if (c->method == method)
                return true;
        rfd_http_reply_error(c->req, 405, "method-not-allowed", "méthode HTTP non permise pour cette ressource",
                   "HTTP method not allowed for this resource", NULL);
        return false;
}

/* Parse the request body as a JSON object; an empty body gives an empty
 * object. Answers the error itself and returns NULL on failure. */
static bool parse_id(const char *s, int64_t *ret) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || !end || *end || end == s || v <= 0)
                return false;
        *ret = v;
        return true;
}

static void h_status(struct route_ctx *c) {
        struct rfd_manager *m = c->m;
        unsigned running = 0;
        for (struct rfd_job *j = m->jobs; j; j = j->next)
                running++;
        json_t *network = json_array();
        if (m->net)
                for (char *const *a = rfd_net_addresses(m->net); a && *a; a++)
                        json_array_append_new(network, json_string(*a));
        const char *tls = m->net ? rfd_net_tls_sha256(m->net) : NULL;
        rfd_http_reply_json(c->req, 200,
                            json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:b, s:o, s:o}", "bench",
                                      m->config->bench_name, "hostname", m->hostname, "version", REFURB_VERSION,
                                      "uptime_seconds", (json_int_t) (time(NULL) - m->started_at), "organisation",
                                      m->config->organisation, "location", m->config->location, "bays",
                                      (json_int_t) m->n_bays, "jobs_running", (json_int_t) running,
                                      "certificate_sha256", m->cert_sha256, "udevd", !m->monitor_kernel_only,
                                      "tls_sha256", tls ? json_string(tls) : json_null(), "network", network));
}

static void h_bays(struct route_ctx *c) {
        json_t *a = json_array();
        for (size_t i = 0; i < c->m->n_bays; i++)
                json_array_append_new(a, rfd_view_bay(c->m, i));
        rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "bays", a));
}

static void h_devices(struct route_ctx *c) {
        json_t *a = json_array();
        for (size_t i = 0; i < c->m->n_devs; i++)
                json_array_append_new(a, rfd_view_device(c->m, &c->m->devs[i]));
        rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "devices", a));
}

static struct rfd_dev *find_dev_or_404(struct route_ctx *c, const char *name) {
        struct rfd_dev *d = rfd_manager_find_dev(c->m, name);
        if (!d) {
                char fr[300], en[300];
                snprintf(fr, sizeof(fr), "aucun disque « %s » n'est branché sur le banc", name);
                snprintf(en, sizeof(en), "no drive '%s' is plugged into the bench", name);
                rfd_http_reply_not_found(c->req, fr, en);
        }
        return d;
}

static void h_device_erase(struct route_ctx *c, struct rfd_dev *d) {
        _cleanup_json_ json_t *body = rfd_http_read_object(c->req, true);
        if (!body)
                return;
        const char *verify = NULL;
        unsigned percent = 0;
        json_t *v = json_object_get(body, "verify");
        if (v) {
                verify = json_string_value(v);
                if (!verify || (strcmp(verify, "full") != 0 && strcmp(verify, "sample") != 0))
                        return rfd_http_reply_error(c->req, 400, "bad-request", "« verify » doit valoir \"full\" ou \"sample\"",
                                          "'verify' must be \"full\" or \"sample\"", NULL);
        }
        v = json_object_get(body, "verify_percent");
        if (v) {
                if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100)
                        return rfd_http_reply_error(c->req, 400, "bad-request",
                                          "« verify_percent » doit être un entier de 1 à 100",
                                          "'verify_percent' must be an integer from 1 to 100", NULL);
                percent = (unsigned) json_integer_value(v);
        }
        if (d->job) {
                char fr[300], en[300];
                snprintf(fr, sizeof(fr), "un effacement est déjà en cours sur %s (travail %" PRId64 ")", d->dev->devnode,
                         d->job->rec.id);
                snprintf(en, sizeof(en), "an erasure is already running on %s (job %" PRId64 ")", d->dev->devnode,
                         d->job->rec.id);
                return rfd_http_reply_error(c->req, 409, "conflict", fr, en, NULL);
        }

        struct wipe_refusal refusal = { 0 };
        struct rfd_job *job = NULL;
        _cleanup_free_ char *devnode = strdup(d->dev->devnode);
        int r = rfd_manager_start_job(c->m, d, verify, percent, &refusal, &job);
        if (r == 1) {
                char msg[512];
                rfd_log_dev(LOG_WARNING, NULL, devnode, 0, "erase request refused: %s",
                            wipe_refusal_message(&refusal, devnode, RF_LANG_EN, msg, sizeof(msg)));
                return send_refusal(c->req, &refusal, devnode);
        }
        if (r < 0 || !job) {
                char fr[300], en[300];
                snprintf(fr, sizeof(fr), "impossible de démarrer l'effacement de %s : %s", devnode, strerror(-r));
                snprintf(en, sizeof(en), "cannot start the erasure of %s: %s", devnode, strerror(-r));
                return rfd_http_reply_error(c->req, r == -EBUSY ? 409 : 500, r == -EBUSY ? "conflict" : "internal", fr, en,
                                  NULL);
        }
        rfd_http_reply_json(c->req, 202, json_pack("{s:o}", "job", rfd_job_to_json(job)));
}

static void h_devices_sub(struct route_ctx *c) {
        struct rfd_dev *d = find_dev_or_404(c, c->seg[2]);
        if (!d)
                return;
        if (c->n_seg == 3) {
                if (require_method(c, EVHTTP_REQ_GET))
                        rfd_http_reply_json(c->req, 200, rfd_view_device(c->m, d));
                return;
        }
        if (c->n_seg == 4 && strcmp(c->seg[3], "erase") == 0) {
                if (require_method(c, EVHTTP_REQ_POST))
                        h_device_erase(c, d);
                return;
        }
        rfd_http_reply_not_found(c->req, "ressource inconnue", "unknown resource");
}

/* One query parameter, decoded (malloc'd), or NULL when absent. */
static char *query_param(const char *query, const char *name) {
        struct evkeyvalq q = { 0 };
        char *v = NULL;
        if (query && evhttp_parse_query_str(query, &q) == 0) {
                const char *found = evhttp_find_header(&q, name);
                if (found)
                        v = strdup(found);
        }
        evhttp_clear_headers(&q);
        return v;
}

static unsigned query_limit(const char *query) {
        struct evkeyvalq q = { 0 };
        unsigned limit = 0;
        if (query && evhttp_parse_query_str(query, &q) == 0) {
                const char *l = evhttp_find_header(&q, "limit");
                int64_t v;
                if (l && parse_id(l, &v) && v < 100000)
                        limit = (unsigned) v;
        }
        evhttp_clear_headers(&q);
        return limit;
}

static void h_jobs(struct route_ctx *c) {
        struct rfd_manager *m = c->m;
        if (c->n_seg == 2) {
                if (!require_method(c, EVHTTP_REQ_GET))
                        return;
                json_t *a = NULL;
                int r = rfd_store_jobs_json(m->store, query_limit(c->query), &a);
                if (r < 0)
                        return rfd_http_reply_error(c->req, 500, "internal", "lecture des travaux impossible",
                                          "cannot read the jobs", NULL);
                /* Running jobs: live view with progress. */
                size_t i;
                json_t *item;
                json_array_foreach(a, i, item) {
                        int64_t id = json_integer_value(json_object_get(item, "id"));
                        bool live = false;
                        for (struct rfd_job *j = m->jobs; j; j = j->next)
                                if (j->rec.id == id) {
                                        json_array_set_new(a, i, rfd_job_to_json(j));
                                        live = true;
                                }
                        /* Ended jobs: the imaging that followed the erasure, if any. */
                        if (!live)
                                rfd_job_image_decorate(m, NULL, id, item);
                }
                return rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "jobs", a));
        }

        int64_t id;
        if (!parse_id(c->seg[2], &id))
                return rfd_http_reply_error(c->req, 400, "bad-request", "numéro de travail invalide", "invalid job number",
                                  NULL);
        struct rfd_job *running = NULL;
        for (struct rfd_job *j = m->jobs; j; j = j->next)
                if (j->rec.id == id)
                        running = j;

        if (c->n_seg == 3) {
                if (!require_method(c, EVHTTP_REQ_GET))
                        return;
                if (running)
                        return rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "job", rfd_job_to_json(running)));
                struct rfd_job_record rec = { 0 };
                if (rfd_store_job_get(m->store, id, &rec) < 0)
                        return rfd_http_reply_not_found(c->req, "travail inconnu", "unknown job");
                json_t *v = rfd_job_record_view(m, &rec);
                rfd_job_record_clear(&rec);
                return rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "job", v));
        }
        if (c->n_seg == 4 && strcmp(c->seg[3], "cancel") == 0) {
                if (!require_method(c, EVHTTP_REQ_POST))
                        return;
                if (running) {
                        rfd_log_dev(LOG_INFO, running->rec.bay, running->rec.devnode, running->rec.id,
                                    "cancel requested");
                        rfd_job_cancel(running, false);
                        return rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "job", rfd_job_to_json(running)));
                }
                struct rfd_job_record rec = { 0 };
                if (rfd_store_job_get(m->store, id, &rec) < 0)
                        return rfd_http_reply_not_found(c->req, "travail inconnu", "unknown job");
                char fr[200], en[200];
                snprintf(fr, sizeof(fr), "le travail %" PRId64 " est déjà terminé (%s)", id,
                         rfd_job_state_to_string(rec.state));
                snprintf(en, sizeof(en), "job %" PRId64 " has already ended (%s)", id,
                         rfd_job_state_to_string(rec.state));
                rfd_job_record_clear(&rec);
                return rfd_http_reply_error(c->req, 409, "conflict", fr, en, NULL);
        }
        rfd_http_reply_not_found(c->req, "ressource inconnue", "unknown resource");
}

static void h_certificates(struct route_ctx *c) {
        if (!require_method(c, EVHTTP_REQ_GET))
                return;
        if (c->n_seg == 4 && strcmp(c->seg[3], "pdf") == 0)
                return rfd_api_cert_pdf(c->m, c->req, c->seg[2], c->query);
        _cleanup_free_ char *q = query_param(c->query, "q");
        if (c->n_seg == 2 && q)
                return rfd_api_certs_search(c->m, c->req, q);
        if (c->n_seg == 2) {
                json_t *a = NULL;
                if (rfd_store_certs_json(c->m->store, &a) < 0)
                        return rfd_http_reply_error(c->req, 500, "internal", "lecture des certificats impossible",
                                          "cannot read the certificates", NULL);
                return rfd_http_reply_json(c->req, 200, json_pack("{s:o}", "certificates", a));
        }
        if (c->n_seg != 3)
                return rfd_http_reply_not_found(c->req, "ressource inconnue", "unknown resource");

        _cleanup_free_ char *id = NULL, *text = NULL, *sig = NULL, *signer = NULL;
        int r = rfd_store_cert_get(c->m->store, c->seg[2], &id, &text, &sig, &signer);
        if (r == -ENOTUNIQ)
                return rfd_http_reply_error(c->req, 409, "conflict", "plusieurs certificats commencent ainsi : donnez plus de caractères",
                                  "several certificates start like this: give more characters", NULL);
        if (r < 0)
                return rfd_http_reply_not_found(c->req, "certificat inconnu", "unknown certificate");
        char sha[65];
        rf_sha256_hex(text, strlen(text), sha);
        json_t *doc = json_loads(text, 0, NULL);
        json_t *validations = NULL; /* supervisor statements (docs/intake.md) */
        if (rfd_store_cert_validations_json(c->m->store, id, &validations) < 0)
                validations = json_array();
        rfd_http_reply_json(c->req, 200,
                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", id, "json", text, "signature", sig,
                            "signer_certificate", signer, "sha256", sha, "document", doc ? doc : json_null(),
                            "validations", validations ? validations : json_array()));
}

static void h_bench(struct route_ctx *c) {
        if (c->n_seg != 3 || strcmp(c->seg[2], "certificate") != 0)
                return rfd_http_reply_not_found(c->req, "ressource inconnue", "unknown resource");
        if (require_method(c, EVHTTP_REQ_GET))
                rfd_http_reply_json(c->req, 200,
                          json_pack("{s:s, s:s}", "pem", c->m->cert_pem, "sha256", c->m->cert_sha256));
}

static void dispatch(struct route_ctx *c) {
        if (c->n_seg < 2 || strcmp(c->seg[0], "v1") != 0)
                return rfd_http_reply_not_found(c->req, "ressource inconnue (l'API est sous /v1/)",
                                      "unknown resource (the API lives under /v1/)");
        const char *r = c->seg[1];

        if (rfd_api_session(c->m, c->req, c->method, c->seg, c->n_seg, c->who,
                            c->m->net && rfd_net_request_is_tls(c->m->net, c->req)))
                return; /* /v1/session, /v1/tokens */
        if (rfd_api_profiles(c->m, c->req, c->method, c->seg, c->n_seg, c->query))
                return;
        if (strcmp(r, "reports") == 0 && c->n_seg == 5 && strcmp(c->seg[2], "donation") == 0 &&
            strcmp(c->seg[4], "pdf") == 0) {
                if (require_method(c, EVHTTP_REQ_GET))
                        rfd_api_donation_pdf(c->m, c->req, c->seg[3], c->query);
                return;
        }
        if (rfd_api_intake(c->m, c->req, c->method, c->seg, c->n_seg, c->query))
                return; /* donors, assets, reports, exports, validations */
        if (strcmp(r, "status") == 0 && c->n_seg == 2) {
                if (require_method(c, EVHTTP_REQ_GET))
                        h_status(c);
        } else if (strcmp(r, "bays") == 0 && c->n_seg == 2) {
                if (require_method(c, EVHTTP_REQ_GET))
                        h_bays(c);
        } else if (strcmp(r, "devices") == 0 && c->n_seg == 2) {
                if (require_method(c, EVHTTP_REQ_GET))
                        h_devices(c);
        } else if (strcmp(r, "devices") == 0)
                h_devices_sub(c);
        else if (strcmp(r, "jobs") == 0)
                h_jobs(c);
        else if (strcmp(r, "certificates") == 0)
                h_certificates(c);
        else if (strcmp(r, "bench") == 0)
                h_bench(c);
        else if (strcmp(r, "ledger") == 0)
                rfd_api_ledger(c->m, c->req, c->method, c->seg, c->n_seg, c->query);
        else if (strcmp(r, "events") == 0 && c->n_seg == 2) {
                if (require_method(c, EVHTTP_REQ_GET))
                        rfd_events_add_client(c->m, c->req);
        } else
                rfd_http_reply_not_found(c->req, "ressource inconnue", "unknown resource");
}

void rfd_api_path_done(struct rfd_api_path *p) {
        for (size_t i = 0; i < p->n_seg; i++)
                free(p->seg[i]);
        *p = (struct rfd_api_path){ 0 };
}

int rfd_api_path_split(const char *path, struct rfd_api_path *ret) {
        *ret = (struct rfd_api_path){ 0 };
        if (!path || path[0] != '/' || strlen(path) > 1024)
                return -EINVAL;
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
                if (ret->n_seg == RFD_API_MAX_SEGMENTS) {
                        rfd_api_path_done(ret);
                        return -E2BIG;
                }
                size_t len = 0;
                char *seg = evhttp_uridecode(tok, 0, &len);
                /* a decoded NUL or '/' would change what the path names */
                if (!seg || strlen(seg) != len || strchr(seg, '/')) {
                        free(seg);
                        rfd_api_path_done(ret);
                        return -EINVAL;
                }
                ret->seg[ret->n_seg++] = seg;
        }
        return 0;
}

void rfd_api_route(struct rfd_manager *m, struct evhttp_request *req, const struct rfd_principal *who) {
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        _cleanup_(rfd_api_path_done) struct rfd_api_path p = { 0 };
        int r = rfd_api_path_split(uri ? evhttp_uri_get_path(uri) : NULL, &p);
        if (r == -E2BIG)
                return rfd_http_reply_not_found(req, "ressource inconnue", "unknown resource");
        if (r < 0)
                return rfd_http_reply_error(req, r == -ENOMEM ? 500 : 400, r == -ENOMEM ? "internal" : "bad-request",
                                            "chemin de requête invalide", "invalid request path", NULL);
        /* One limit for every route, also those that ignore their body. */
        if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > RFD_HTTP_MAX_BODY)
                return rfd_http_reply_error(req, 413, "too-large", "corps de requête trop grand (64 Kio au plus)",
                                            "request body too large (64 KiB at most)", NULL);
        struct route_ctx c = {
                .m = m,
                .req = req,
                .who = who,
                .method = evhttp_request_get_command(req),
                .seg = p.seg,
                .n_seg = p.n_seg,
                .query = evhttp_uri_get_query(uri),
        };
        dispatch(&c);
}

/* The Unix socket: root, who may do everything. */
static void request_cb(struct evhttp_request *req, void *userdata) {
        struct rfd_api *api = userdata;
        static const struct rfd_principal root = {
                .unix_socket = true,
                .authenticated = true,
                .role = RFD_ROLE_ROOT,
                .name = "root",
                .peer = "unix",
        };
        rfd_api_route(api->m, req, &root);
}

static int bind_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                int r = rf_mkdir_p(dir, 0700);
                if (r < 0)
                        return r;
        }

        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                (void) unlink(path); /* stale socket of a previous run */
        }

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        mode_t old = umask(0177); /* the socket is root-only: 0600 */
        int r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return negative_errno();
        if (listen(fd, 64) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

int rfd_api_new(struct rfd_manager *m, const char *socket_path, struct rfd_api **ret) {
        struct rfd_api *api = calloc(1, sizeof(*api));
        if (!api)
                return -ENOMEM;
        api->m = m;
        api->socket_path = strdup(socket_path);
        api->http = evhttp_new(m->base);
        if (!api->http || !api->socket_path) {
                rfd_api_free(api);
                return -ENOMEM;
        }
        /* Bodies up to 1 MiB are read so that anything over MAX_BODY gets a
         * JSON error document; beyond, libevent answers 413 itself. */
        evhttp_set_max_body_size(api->http, 1024 * 1024);
        evhttp_set_max_headers_size(api->http, 16 * 1024);
        /* Every method reaches the router, which answers 405 with JSON. */
        evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                                      EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
        evhttp_set_timeout(api->http, 60);
        evhttp_set_gencb(api->http, request_cb, api);

        int fd = bind_unix(socket_path);
        if (fd < 0) {
                rfd_api_free(api);
                return fd;
        }
        if (!evhttp_accept_socket_with_handle(api->http, fd)) {
                close(fd);
                rfd_api_free(api);
                return -EIO;
        }
        *ret = api;
        return 0;
}

void rfd_api_free(struct rfd_api *api) {
        if (!api)
                return;
        if (api->http)
                evhttp_free(api->http);
        if (api->socket_path)
                (void) unlink(api->socket_path);
        free(api->socket_path);
        free(api);
}
