/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <syslog.h>

#include "rf-macro.h"

/* Log to stderr; under systemd (JOURNAL_STREAM set) with "<N>" priority
 * prefixes so journald keeps the levels, otherwise with a timestamp.
 * LOG_DEBUG lines are printed only when REFURBD_DEBUG is set. Messages for
 * a device or job say which one: use rfd_log_dev(). */
void rfd_log(int level, const char *fmt, ...) _printf_(2, 3);
/* "[baie-1 /dev/loop3 job 12] message" */
void rfd_log_dev(int level, const char *bay, const char *devnode, long long job, const char *fmt, ...)
        _printf_(5, 6);
