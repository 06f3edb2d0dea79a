/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rfd-log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *level_name(int level) {
        switch (level) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR:
                return "error";
        case LOG_WARNING:
                return "warning";
        case LOG_NOTICE:
        case LOG_INFO:
                return "info";
        default:
                return "debug";
        }
}

static void vlog_prefixed(int level, const char *prefix, const char *fmt, va_list ap) {
        if (level >= LOG_DEBUG && !getenv("REFURBD_DEBUG"))
                return;

        char msg[2048];
        vsnprintf(msg, sizeof(msg), fmt, ap);

        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>%s%s\n", level, prefix, msg);
        else {
                struct timespec ts;
                struct tm tm;
                char when[32];
                clock_gettime(CLOCK_REALTIME, &ts);
                localtime_r(&ts.tv_sec, &tm);
                strftime(when, sizeof(when), "%H:%M:%S", &tm);
                fprintf(stderr, "%s.%03ld refurbd %s: %s%s\n", when, ts.tv_nsec / 1000000L, level_name(level), prefix,
                        msg);
        }
        fflush(stderr);
}

void rfd_log(int level, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog_prefixed(level, "", fmt, ap);
        va_end(ap);
}

void rfd_log_dev(int level, const char *bay, const char *devnode, long long job, const char *fmt, ...) {
        char prefix[256];
        if (job > 0)
                snprintf(prefix, sizeof(prefix), "[%s %s job %lld] ", bay ? bay : "-", devnode ? devnode : "-", job);
        else
                snprintf(prefix, sizeof(prefix), "[%s %s] ", bay ? bay : "-", devnode ? devnode : "-");
        va_list ap;
        va_start(ap, fmt);
        vlog_prefixed(level, prefix, fmt, ap);
        va_end(ap);
}
