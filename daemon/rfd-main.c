/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbd: the bench daemon. One event loop (libevent) handles the udev
 * monitor, signals, timers and the API; erasures run in worker threads. */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <curl/curl.h>
#include <getopt.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "rf-cms.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api.h"
#include "rfd-auth.h"
#include "rfd-log.h"
#include "rfd-manager.h"
#include "rfd-net.h"
#include "rfd-web.h"

struct main_ctx {
        struct event_base *base;
        struct rfd_manager *m;
        struct event *stop_timer;
        struct event *sigs[3];
};

static void help(void) {
        printf("Usage: refurbd [--config FILE] [--check-config]\n\n"
               "Bench daemon of refurb: detects drives plugged into the configured bays,\n"
               "erases and verifies them, and signs a certificate per drive.\n\n"
               "  -c, --config FILE   configuration file (default %s)\n"
               "      --check-config  load the configuration, report errors and exit\n"
               "  -h, --help          this help\n"
               "      --version       print the version\n",
               RFD_DEFAULT_CONFIG);
}

static void stop_poll_cb(evutil_socket_t fd, short what, void *userdata) {
        struct main_ctx *ctx = userdata;
        if (!ctx->m->jobs)
                event_base_loopbreak(ctx->m->base);
}

static void signal_cb(evutil_socket_t sig, short what, void *userdata) {
        struct main_ctx *ctx = userdata;
        struct rfd_manager *m = ctx->m;

        if (sig == SIGHUP) {
                sd_notify(0, "RELOADING=1");
                rfd_log(LOG_INFO, "SIGHUP: reloading %s", m->config_path);
                (void) rfd_manager_reload(m);
                sd_notify(0, "READY=1");
                return;
        }
        if (m->stopping)
                return;
        sd_notify(0, "STOPPING=1");
        unsigned n = rfd_manager_stop_jobs(m);
        rfd_log(LOG_INFO, "%s: stopping%s", strsignal((int) sig), n ? ", interrupting running jobs" : "");
        /* Jobs end through their done events; leave the loop once none is left. */
        ctx->stop_timer = event_new(m->base, -1, EV_PERSIST, stop_poll_cb, ctx);
        const struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };
        if (!ctx->stop_timer || evtimer_add(ctx->stop_timer, &tv) < 0)
                event_base_loopbreak(m->base);
}

static int setup_identity(struct rfd_manager *m) {
        _cleanup_free_ char *cn = NULL;
        if (asprintf(&cn, "refurb bench %s", m->config->bench_name) < 0)
                return -ENOMEM;
        int r = rf_identity_load_or_create(m->config->state_directory, cn, m->config->organisation, &m->key, &m->cert);
        if (r < 0)
                return r;
        r = rf_cert_fingerprint(m->cert, m->cert_sha256);
        if (r < 0)
                return r;
        return rf_cert_to_pem(m->cert, &m->cert_pem);
}

/* A crash during an ATA SECURITY ERASE may leave a drive locked with the
 * temporary password: say which, and where the password is. */
static void warn_ata_passwords(const char *state_dir) {
        _cleanup_closedir_ DIR *d = opendir(state_dir);
        if (!d)
                return;
        for (struct dirent *e; (e = readdir(d));)
                if (strncmp(e->d_name, "ata-password-", 13) == 0)
                        rfd_log(LOG_WARNING,
                                "drive %s may still hold refurb's temporary ATA password (recorded in %s/%s): "
                                "plug it into the bench and it will be unlocked and disabled",
                                e->d_name + 13, state_dir, e->d_name);
}

static int setup(struct main_ctx *ctx) {
        struct rfd_manager *m = ctx->m;
        static const int signals[ELEMENTSOF(ctx->sigs)] = { SIGTERM, SIGINT, SIGHUP };
        unsigned interrupted = 0;

        int r = rfd_store_open(m->config->state_directory, &m->store, &interrupted);
        if (r < 0) {
                rfd_log(LOG_ERR, "%s/refurbd.db: cannot open the records: %s", m->config->state_directory,
                        strerror(-r));
                return r;
        }
        if (interrupted > 0)
                rfd_log(LOG_WARNING, "%u job(s) were running when refurbd stopped: recorded as interrupted",
                        interrupted);

        warn_ata_passwords(m->config->state_directory);

        r = setup_identity(m);
        if (r < 0) {
                rfd_log(LOG_ERR, "%s: cannot load or create the bench's signing key: %s",
                        m->config->state_directory, strerror(-r));
                return r;
        }

        r = rfd_events_new(m, &m->events);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                ctx->sigs[i] = evsignal_new(ctx->base, signals[i], signal_cb, ctx);
                if (!ctx->sigs[i] || evsignal_add(ctx->sigs[i], NULL) < 0)
                        return -EIO;
        }

        r = rfd_udev_start(m);
        if (r < 0) {
                rfd_log(LOG_ERR, "cannot watch block devices: %s", strerror(-r));
                return r;
        }

        r = rfd_auth_new(m->store, m->config->session_hours, &m->auth);
        if (r < 0) {
                rfd_log(LOG_ERR, "cannot load the API tokens: %s", strerror(-r));
                return r;
        }

        r = rfd_api_new(m, m->config->api_socket, &m->api);
        if (r < 0) {
                rfd_log(LOG_ERR, "%s: cannot serve the API: %s", m->config->api_socket, strerror(-r));
                return r;
        }

        if (m->config->n_api_listen > 0 && m->config->web_directory && *m->config->web_directory) {
                r = rfd_web_new(m->config->web_directory, &m->web);
                if (r < 0)
                        rfd_log(LOG_WARNING, "%s: cannot serve the web pages (%s): the network API works without them",
                                m->config->web_directory, strerror(-r));
        }
        char err[1024] = "";
        r = rfd_net_new(ctx->base, m->config, m->config->state_directory, rfd_api_net_request, m, &m->net, err,
                        sizeof(err));
        if (r < 0) {
                rfd_log(LOG_ERR, "cannot serve the network API: %s", err[0] ? err : strerror(-r));
                return r;
        }
        return 0;
}

static void teardown(struct main_ctx *ctx) {
        struct rfd_manager *m = ctx->m;

        /* Anything still running is interrupted and recorded so. */
        if (m->jobs)
                rfd_manager_stop_jobs(m);
        while (m->jobs)
                event_base_loop(ctx->base, EVLOOP_ONCE);
        rfd_net_free(m->net);
        m->net = NULL;
        rfd_api_free(m->api);
        m->api = NULL;
        rfd_web_free(m->web);
        m->web = NULL;
        rfd_events_free(m->events);
        m->events = NULL;
        rfd_udev_stop(m);
        for (size_t i = 0; i < ELEMENTSOF(ctx->sigs); i++)
                if (ctx->sigs[i])
                        event_free(ctx->sigs[i]);
        if (ctx->stop_timer)
                event_free(ctx->stop_timer);
        rfd_auth_free(m->auth);
        m->auth = NULL;
        rfd_store_close(m->store);
        m->store = NULL;
        rfd_manager_free(m);
}

static int run(const char *config_path) {
        char err[1024] = "";
        struct rfd_config *config = NULL;
        int r = rfd_config_load(config_path, false, &config, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "%s\n", err);
                return r;
        }

        r = rf_mkdir_p(config->state_directory, 0700);
        if (r < 0) {
                fprintf(stderr, "%s: cannot create the state directory: %s\n", config->state_directory, strerror(-r));
                rfd_config_free(config);
                return r;
        }

        if (evthread_use_pthreads() < 0) {
                rfd_config_free(config);
                return -EIO;
        }
        struct event_base *base = event_base_new();
        if (!base) {
                rfd_config_free(config);
                return -ENOMEM;
        }

        struct main_ctx ctx = { .base = base };
        r = rfd_manager_new(base, config_path, config, &ctx.m);
        if (r < 0) {
                rfd_config_free(config);
                event_base_free(base);
                return r;
        }

        r = setup(&ctx);
        if (r >= 0) {
                rfd_log(LOG_INFO, "refurbd %s ready: bench '%s', %zu bay(s), API on %s, signer %.16s…",
                        REFURB_VERSION, ctx.m->config->bench_name, ctx.m->n_bays, ctx.m->config->api_socket,
                        ctx.m->cert_sha256);
                sd_notifyf(0, "READY=1\nSTATUS=%zu bay(s), waiting for drives", ctx.m->n_bays);
                event_base_dispatch(base);
                rfd_log(LOG_INFO, "stopped");
        }
        teardown(&ctx);
        event_base_free(base);
        return r;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, 'C' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        const char *config_path = RFD_DEFAULT_CONFIG;
        bool check_only = false;
        int c;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'C':
                        check_only = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("refurbd %s\n", REFURB_VERSION);
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "refurbd: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }

        if (check_only) {
                char err[1024] = "";
                struct rfd_config *config = NULL;
                int r = rfd_config_load(config_path, false, &config, err, sizeof(err));
                if (r < 0) {
                        fprintf(stderr, "%s\n", err);
                        return 1;
                }
                printf("%s: OK, %zu bay(s)\n", config_path, config->n_bays);
                rfd_config_free(config);
                return 0;
        }

        /* Worker threads never get signals: the loop handles them. */
        signal(SIGPIPE, SIG_IGN);
        umask(0022);
        /* Once, before any thread: imaging jobs download with libcurl. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "refurbd: libcurl cannot be initialised\n");
                return 1;
        }
        int r = run(config_path);
        curl_global_cleanup();
        return r < 0 ? 1 : 0;
}
