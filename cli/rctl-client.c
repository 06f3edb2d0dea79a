/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rctl-client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rctl-output.h"
#include "rctl-remote.h"
#include "rf-json.h"
#include "rf-macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)

/* State of one transfer, shared with the libcurl callbacks. */
struct transfer {
        struct rctl_client *client;
        CURL *curl;
        char *buf; /* body (or, for a stream, an error body) */
        size_t len, cap;
        bool too_large;
        /* streaming */
        bool streaming, checked, stream_ok, bad_type;
        const char *content_type;
        rctl_data_cb on_data;
        rctl_stop_cb should_stop;
        void *userdata;
        int cb_error;
        bool stopped;
};

int rctl_client_new(const char *base_url, const char *socket_path, const char *token, enum rf_lang lang,
                    struct rctl_client **ret) {
        if (!base_url || (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0))
                return -EINVAL;
        if (token && strpbrk(token, "\r\n"))
                return -EINVAL;

        struct rctl_client *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->lang = lang;
        c->base_url = strdup(base_url);
        c->socket_path = socket_path ? strdup(socket_path) : NULL;
        c->token = token ? strdup(token) : NULL;
        if (!c->base_url || (socket_path && !c->socket_path) || (token && !c->token)) {
                rctl_client_free(c);
                return -ENOMEM;
        }
        size_t n = strlen(c->base_url);
        while (n > 0 && c->base_url[n - 1] == '/')
                c->base_url[--n] = '\0';
        *ret = c;
        return 0;
}

int rctl_client_set_ca_file(struct rctl_client *c, const char *path) {
        char *copy = path ? strdup(path) : NULL;
        if (path && !copy)
                return -ENOMEM;
        free(c->ca_file);
        c->ca_file = copy;
        return 0;
}

void rctl_client_free(struct rctl_client *c) {
        if (!c)
                return;
        free(c->base_url);
        free(c->socket_path);
        rctl_secret_free(c->token);
        free(c->ca_file);
        free(c);
}

void rctl_reply_clear(struct rctl_reply *r) {
        if (r->json)
                json_decref(r->json);
        *r = (struct rctl_reply) { 0 };
}

/* A macro, not a variadic function: see rctl_fail() in rctl.h. */
#define set_message(r, ...) ((void) snprintf((r)->message, sizeof((r)->message), __VA_ARGS__))

static const char *where(const struct rctl_client *c) {
        return c->socket_path ? c->socket_path : c->base_url;
}

/* Why a connection failed, in words. */
static void errno_words(int e, enum rf_lang lang, const char *fallback, char *out, size_t outlen) {
        const char *s;
        switch (e) {
        case ENOENT:
                s = RF_TR(lang, "le socket n'existe pas", "the socket does not exist");
                break;
        case ECONNREFUSED:
                s = RF_TR(lang, "connexion refusée", "connection refused");
                break;
        case ENOTSOCK:
                s = RF_TR(lang, "ce n'est pas un socket", "this is not a socket");
                break;
        case 0:
                s = fallback && *fallback ? fallback : RF_TR(lang, "raison inconnue", "unknown reason");
                break;
        default:
                s = strerror(e);
        }
        snprintf(out, outlen, "%s", s);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct transfer *t = userdata;
        size_t n = size * nmemb;

        if (t->streaming && !t->checked) {
                long status = 0;
                const char *type = NULL;
                t->checked = true;
                (void) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
                (void) curl_easy_getinfo(t->curl, CURLINFO_CONTENT_TYPE, &type);
                t->stream_ok = status == 200;
                if (t->stream_ok && (!type || strncasecmp(type, t->content_type, strlen(t->content_type)) != 0)) {
                        t->bad_type = true;
                        return 0;
                }
        }
        if (t->streaming && t->stream_ok) {
                int r = t->on_data(ptr, n, t->userdata);
                if (r < 0) {
                        t->cb_error = r;
                        return 0;
                }
                return n;
        }

        if (n > RCTL_MAX_RESPONSE - t->len) {
                t->too_large = true;
                return 0;
        }
        if (t->len + n + 1 > t->cap) {
                size_t cap = MAX(t->cap * 2, t->len + n + 1);
                cap = MAX(cap, (size_t) 4096);
                char *b = realloc(t->buf, cap);
                if (!b)
                        return 0;
                t->buf = b;
                t->cap = cap;
        }
        memcpy(t->buf + t->len, ptr, n);
        t->len += n;
        t->buf[t->len] = '\0';
        return n;
}

static int xferinfo_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
        struct transfer *t = userdata;
        if (t->should_stop && t->should_stop(t->userdata)) {
                t->stopped = true;
                return 1;
        }
        return 0;
}

/* Turn an error document (or any non-2xx body) into the reply. */
static int api_error(struct transfer *t, const char *method, const char *path, struct rctl_reply *reply) {
        enum rf_lang lang = t->client->lang;
        json_t *json = NULL;

        if (t->len > 0 && rf_json_parse(t->buf, t->len, &json, NULL, 0) >= 0) {
                reply->json = json;
                const json_t *e = rctl_jobj(json, "error");
                const char *msg = rctl_jstr(e, RF_TR(lang, "message_fr", "message_en"));
                if (!msg || !*msg)
                        msg = rctl_jstr(e, RF_TR(lang, "message_en", "message_fr"));
                const char *code = rctl_jstr(e, "code");
                const char *refusal = rctl_jstr(e, "refusal");
                if (!refusal)
                        refusal = rctl_jstr(rctl_jobj(e, "refusal"), "code");
                snprintf(reply->code, sizeof(reply->code), "%s", code ? code : "");
                snprintf(reply->refusal, sizeof(reply->refusal), "%s", refusal ? refusal : "");
                if (msg && *msg) {
                        _cleanup_free_ char *clean = rctl_sanitize(msg);
                        reply->api_error = true;
                        set_message(reply, "%s", clean ? clean : "?");
                }
        }
        if (!reply->api_error) {
                if (lang == RF_LANG_EN)
                        set_message(reply, "refurbd answered %s %s with HTTP error %ld and no readable explanation.",
                                    method, path, reply->status);
                else
                        set_message(reply, "refurbd a répondu par l'erreur HTTP %ld à %s %s, sans explication lisible.",
                                    reply->status, method, path);
        }

        if (reply->status == 401 || reply->status == 403) {
                /* Refused for the token or the role: the same words whatever
                 * the command, and an exit code of their own. */
                rctl_denied_words(reply->json, reply->status, t->client->token != NULL, method, path, lang,
                                  reply->message, sizeof(reply->message));
                reply->api_error = true;
                t->client->denied = reply->status;
        }

        switch (reply->status) {
        case 400:
        case 413:
                return -EINVAL;
        case 401:
        case 403:
                return -EPERM;
        case 404:
                return -ENOENT;
        case 409:
                return -EBUSY;
        default:
                return -EIO;
        }
}

static int curl_failure(struct transfer *t, CURLcode res, const char *errbuf, struct rctl_reply *reply) {
        struct rctl_client *c = t->client;
        enum rf_lang lang = c->lang;
        char why[256];

        switch (res) {
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (t->cb_error < 0)
                        return t->cb_error;
                if (t->bad_type) {
                        set_message(reply,
                                    RF_TR(lang, "refurbd a répondu, mais pas par un flux d'événements.",
                                          "refurbd answered, but not with an event stream."));
                        return -EPROTO;
                }
                if (t->too_large || res == CURLE_FILESIZE_EXCEEDED) {
                        set_message(reply,
                                    RF_TR(lang, "La réponse de refurbd dépasse %u Mio : refusée.",
                                          "refurbd's answer is larger than %u MiB: refused."),
                                    RCTL_MAX_RESPONSE / (1024u * 1024u));
                        return -EFBIG;
                }
                set_message(reply, RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        case CURLE_ABORTED_BY_CALLBACK:
                set_message(reply, RF_TR(lang, "Interrompu.", "Interrupted."));
                return -ECANCELED;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: {
                long os_errno = 0;
                (void) curl_easy_getinfo(t->curl, CURLINFO_OS_ERRNO, &os_errno);
                if (os_errno == EACCES || os_errno == EPERM) {
                        set_message(reply,
                                    RF_TR(lang,
                                          "Accès refusé à refurbd sur %s : il faut être root (essayez avec sudo).",
                                          "Access to refurbd on %s denied: root is required (try with sudo)."),
                                    where(c));
                        return -EACCES;
                }
                errno_words((int) os_errno, lang, errbuf, why, sizeof(why));
                set_message(reply,
                            RF_TR(lang, "Impossible de joindre refurbd sur %s : %s. Le démon est-il démarré ?",
                                  "Cannot reach refurbd on %s: %s. Is the daemon running?"),
                            where(c), why);
                return -ENOTCONN;
        }
        case CURLE_OPERATION_TIMEDOUT:
                if (t->streaming)
                        set_message(reply,
                                    RF_TR(lang, "refurbd ne donne plus de nouvelles depuis %ld s (sur %s).",
                                          "No news from refurbd for %ld s (on %s)."),
                                    RCTL_STREAM_SILENCE_SEC, where(c));
                else
                        set_message(reply,
                                    RF_TR(lang, "refurbd n'a pas répondu à temps (sur %s).",
                                          "refurbd did not answer in time (on %s)."),
                                    where(c));
                return -ETIMEDOUT;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
                if (t->streaming && t->stream_ok) {
                        set_message(reply,
                                    RF_TR(lang, "La connexion à refurbd a été coupée (le démon s'est-il arrêté ?).",
                                          "The connection to refurbd was cut (did the daemon stop?)."));
                        return -ECONNRESET;
                }
                set_message(reply,
                            RF_TR(lang, "refurbd a coupé la connexion sans répondre correctement (%s).",
                                  "refurbd closed the connection without a proper answer (%s)."),
                            *errbuf ? errbuf : curl_easy_strerror(res));
                return -EPROTO;
        case CURLE_PEER_FAILED_VERIFICATION:
                if (c->ca_file)
                        set_message(reply,
                                    RF_TR(lang,
                                          "Le certificat TLS présenté par %s n'est pas reconnu par %s (--ca-file) : %s. Est-ce bien ce banc ? Comparez l'empreinte SHA-256 du fichier (openssl x509 -in FICHIER -noout -fingerprint -sha256) à celle que « refurbctl status » affiche sur le banc.",
                                          "The TLS certificate shown by %s is not trusted by %s (--ca-file): %s. Is it really this bench? Compare the file's SHA-256 fingerprint (openssl x509 -in FILE -noout -fingerprint -sha256) with the one 'refurbctl status' shows on the bench."),
                                    where(c), c->ca_file, *errbuf ? errbuf : curl_easy_strerror(res));
                else
                        set_message(reply,
                                    RF_TR(lang,
                                          "Le certificat TLS présenté par %s n'est reconnu par aucune autorité de ce système : %s. Si c'est le certificat du banc (fait par refurbd), donnez-en une copie avec --ca-file FICHIER.pem (sur le banc : /var/lib/refurbd/tls/bench-tls.pem).",
                                          "The TLS certificate shown by %s is trusted by no authority of this system: %s. If it is the bench's own certificate (made by refurbd), give a copy of it with --ca-file FILE.pem (on the bench: /var/lib/refurbd/tls/bench-tls.pem)."),
                                    where(c), *errbuf ? errbuf : curl_easy_strerror(res));
                return -EKEYREJECTED;
        case CURLE_SSL_CACERT_BADFILE:
                set_message(reply,
                            RF_TR(lang, "Impossible d'employer %s (--ca-file) comme certificat de confiance : %s.",
                                  "Cannot use %s (--ca-file) as a trusted certificate: %s."),
                            c->ca_file ? c->ca_file : "?", *errbuf ? errbuf : curl_easy_strerror(res));
                return -EKEYREJECTED;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_USE_SSL_FAILED:
                set_message(reply,
                            RF_TR(lang,
                                  "La négociation TLS avec %s a échoué : %s. Ce qui écoute à cette adresse parle-t-il TLS (refurbd : TLS=yes dans [API]) ?",
                                  "The TLS handshake with %s failed: %s. Does whatever listens there speak TLS (refurbd: TLS=yes in [API])?"),
                            where(c), *errbuf ? errbuf : curl_easy_strerror(res));
                return -EKEYREJECTED;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:
                set_message(reply,
                            RF_TR(lang, "Ce qui écoute sur %s ne parle pas HTTP (%s) : est-ce bien refurbd ?",
                                  "Whatever listens on %s does not speak HTTP (%s): is it refurbd?"),
                            where(c), *errbuf ? errbuf : curl_easy_strerror(res));
                return -EPROTO;
        default:
                set_message(reply,
                            RF_TR(lang, "Échec de la requête vers refurbd sur %s : %s.",
                                  "Request to refurbd on %s failed: %s."),
                            where(c), *errbuf ? errbuf : curl_easy_strerror(res));
                return -EIO;
        }
}

static int perform(struct rctl_client *c, const char *method, const char *path, const char *body,
                   struct transfer *t, struct rctl_reply *reply) {
        enum rf_lang lang = c->lang;
        char errbuf[CURL_ERROR_SIZE] = "";
        _cleanup_free_ char *url = NULL;
        _cleanup_secret_ char *auth = NULL;
        _cleanup_(curl_easy_cleanupp) CURL *curl = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        struct curl_slist *h;
        bool ok = true;

        *reply = (struct rctl_reply) { 0 };
        if (path[0] != '/' || asprintf(&url, "%s%s", c->base_url, path) < 0) {
                url = NULL;
                set_message(reply, RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }
        curl = curl_easy_init();
        if (!curl) {
                set_message(reply, RF_TR(lang, "Impossible d'initialiser libcurl.", "Cannot initialise libcurl."));
                return -ENOMEM;
        }
        t->client = c;
        t->curl = curl;

        h = curl_slist_append(headers, t->streaming ? "Accept: text/event-stream" : "Accept: application/json");
        ok = ok && h;
        headers = h ? h : headers;
        if (body) {
                h = curl_slist_append(headers, "Content-Type: application/json");
                ok = ok && h;
                headers = h ? h : headers;
        }
        h = curl_slist_append(headers, "Expect:");
        ok = ok && h;
        headers = h ? h : headers;
        if (c->token) {
                if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0) {
                        auth = NULL;
                        ok = false;
                } else {
                        h = curl_slist_append(headers, auth);
                        ok = ok && h;
                        headers = h ? h : headers;
                }
        }
        if (!ok) {
                set_message(reply, RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }

        CURLcode res = CURLE_OK;
#define SETOPT(opt, val)                                       \
        do {                                                   \
                if (res == CURLE_OK)                           \
                        res = curl_easy_setopt(curl, opt, val); \
        } while (0)
        SETOPT(CURLOPT_URL, url);
        SETOPT(CURLOPT_ERRORBUFFER, errbuf);
        SETOPT(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
        SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
        if (c->socket_path) {
                SETOPT(CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
                SETOPT(CURLOPT_NOPROXY, "*");
        } else if (strncasecmp(c->base_url, "http://", 7) == 0) {
                /* Plain HTTP is only allowed to this machine
                 * (rctl_check_url()): never through a proxy. */
                SETOPT(CURLOPT_NOPROXY, "*");
        }
        if (c->ca_file) {
                /* This file only, not the system's authorities. */
                SETOPT(CURLOPT_CAINFO, c->ca_file);
                SETOPT(CURLOPT_CAPATH, NULL);
        }
        SETOPT(CURLOPT_USERAGENT, "refurbctl/" REFURB_VERSION);
        SETOPT(CURLOPT_HTTPHEADER, headers);
        SETOPT(CURLOPT_CONNECTTIMEOUT, RCTL_CONNECT_TIMEOUT_SEC);
        if (t->streaming) {
                SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
                SETOPT(CURLOPT_LOW_SPEED_TIME, RCTL_STREAM_SILENCE_SEC);
        } else {
                SETOPT(CURLOPT_TIMEOUT, RCTL_REQUEST_TIMEOUT_SEC);
                SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) RCTL_MAX_RESPONSE);
        }
        SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
        SETOPT(CURLOPT_WRITEDATA, t);
        if (t->should_stop) {
                SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
                SETOPT(CURLOPT_XFERINFODATA, t);
                SETOPT(CURLOPT_NOPROGRESS, 0L);
        }
        if (body) {
                SETOPT(CURLOPT_POST, 1L);
                SETOPT(CURLOPT_POSTFIELDS, body);
                SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
        }
#undef SETOPT
        if (res != CURLE_OK) {
                set_message(reply,
                            RF_TR(lang, "libcurl refuse une option : %s.", "libcurl refuses an option: %s."),
                            curl_easy_strerror(res));
                return -EIO;
        }

        res = curl_easy_perform(curl);
        (void) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
        if (t->streaming && reply->status == 200 && res == CURLE_OK) {
                set_message(reply,
                            RF_TR(lang, "refurbd a fermé le flux d'événements (le démon s'est-il arrêté ?).",
                                  "refurbd closed the event stream (did the daemon stop?)."));
                return -ECONNRESET;
        }
        if (res != CURLE_OK)
                return curl_failure(t, res, errbuf, reply);

        if (reply->status < 200 || reply->status > 299)
                return api_error(t, method, path, reply);

        char err[256] = "";
        json_t *json = NULL;
        if (rf_json_parse(t->buf ? t->buf : "", t->len, &json, err, sizeof(err)) < 0) {
                set_message(reply,
                            RF_TR(lang, "Réponse illisible de refurbd à %s %s : %s.",
                                  "Unreadable answer from refurbd to %s %s: %s."),
                            method, path, t->len == 0 ? RF_TR(lang, "réponse vide", "empty answer") : err);
                return -EPROTO;
        }
        reply->json = json;
        if (!json_is_object(json)) {
                set_message(reply,
                            RF_TR(lang, "Réponse inattendue de refurbd à %s %s : un objet JSON était attendu.",
                                  "Unexpected answer from refurbd to %s %s: a JSON object was expected."),
                            method, path);
                return -EPROTO;
        }
        return 0;
}

int rctl_get(struct rctl_client *c, const char *path, struct rctl_reply *reply) {
        struct transfer t = { 0 };
        int r = perform(c, "GET", path, NULL, &t, reply);
        free(t.buf);
        return r;
}

int rctl_post(struct rctl_client *c, const char *path, const json_t *body, struct rctl_reply *reply) {
        struct transfer t = { 0 };
        _cleanup_free_ char *text = NULL;

        if (body) {
                text = json_dumps(body, JSON_COMPACT);
                if (!text) {
                        *reply = (struct rctl_reply) { 0 };
                        set_message(reply, RF_TR(c->lang, "Mémoire insuffisante.", "Out of memory."));
                        return -ENOMEM;
                }
        }
        int r = perform(c, "POST", path, text ? text : "", &t, reply);
        free(t.buf);
        return r;
}

int rctl_stream(struct rctl_client *c, const char *path, const char *content_type, rctl_data_cb on_data,
                rctl_stop_cb should_stop, void *userdata, struct rctl_reply *reply) {
        struct transfer t = {
                .streaming = true,
                .content_type = content_type,
                .on_data = on_data,
                .should_stop = should_stop,
                .userdata = userdata,
        };
        int r = perform(c, "GET", path, NULL, &t, reply);
        free(t.buf);
        return r;
}

void rctl_reply_print_error(const struct rctl_client *c, const struct rctl_reply *reply, const char *context) {
        /* A refusal for the token or the role names the bench by default. */
        if (!context && (reply->status == 401 || reply->status == 403))
                context = where(c);
        if (reply->api_error && context)
                fprintf(stderr, RF_TR(c->lang, "%s : %s\n", "%s: %s\n"), context, reply->message);
        else
                fprintf(stderr, "%s\n", reply->message);
}
