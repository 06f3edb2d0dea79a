/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Incremental parser of a Server-Sent Events stream (the WHATWG "event
 * stream" format): bytes arrive in arbitrary chunks, lines end with LF, CR
 * or CRLF (possibly split across chunks), "event:" and "data:" fields make
 * an event that is dispatched at the blank line, comments (": keep-alive")
 * and unknown fields are ignored. */

/* type is "message" when the event had no "event:" field; data holds the
 * "data:" lines joined with LF, NUL-terminated. A negative return stops the
 * parser and is returned by rctl_sse_feed(). */
typedef int (*rctl_sse_event_cb)(const char *type, const char *data, size_t len, void *userdata);

struct rctl_sse {
        size_t max;             /* longest line / event data accepted */
        rctl_sse_event_cb on_event;
        void *userdata;
        char *line;
        size_t line_len, line_cap;
        char *data;
        size_t data_len, data_cap;
        bool have_data;
        char type[64];
        bool after_cr;          /* the last byte was CR: a following LF belongs to it */
        bool started;           /* the first line (and its possible byte order mark) was seen */
};

void rctl_sse_init(struct rctl_sse *s, size_t max, rctl_sse_event_cb on_event, void *userdata);
/* -EFBIG when a line or an event is longer than max, -ENOMEM, or the
 * callback's negative return. */
int rctl_sse_feed(struct rctl_sse *s, const char *buf, size_t len);
void rctl_sse_done(struct rctl_sse *s);
