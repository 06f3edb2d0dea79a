/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rctl-sse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(char **buf, size_t *cap, size_t need, size_t max) {
        if (need <= *cap)
                return 0;
        if (need > max + 1)
                return -EFBIG;
        size_t n = *cap ? *cap : 256;
        while (n < need)
                n *= 2;
        if (n > max + 1)
                n = max + 1;
        char *b = realloc(*buf, n);
        if (!b)
                return -ENOMEM;
        *buf = b;
        *cap = n;
        return 0;
}

void rctl_sse_init(struct rctl_sse *s, size_t max, rctl_sse_event_cb on_event, void *userdata) {
        *s = (struct rctl_sse) {
                .max = max,
                .on_event = on_event,
                .userdata = userdata,
        };
}

void rctl_sse_done(struct rctl_sse *s) {
        free(s->line);
        free(s->data);
        *s = (struct rctl_sse) { 0 };
}

static int dispatch(struct rctl_sse *s) {
        int r = 0;

        if (s->have_data) {
                /* Drop the LF appended after the last data line. */
                if (s->data_len > 0 && s->data[s->data_len - 1] == '\n')
                        s->data_len--;
                s->data[s->data_len] = '\0';
                r = s->on_event(s->type[0] ? s->type : "message", s->data, s->data_len, s->userdata);
        }
        s->have_data = false;
        s->data_len = 0;
        s->type[0] = '\0';
        return r < 0 ? r : 0;
}

static int process_line(struct rctl_sse *s) {
        const char *line = s->line;
        size_t len = s->line_len;

        if (!s->started) {
                s->started = true;
                if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
                        line += 3;
                        len -= 3;
                }
        }
        if (len == 0)
                return dispatch(s);
        if (line[0] == ':')
                return 0; /* comment, e.g. ": keep-alive" */

        const char *colon = memchr(line, ':', len);
        size_t name_len = colon ? (size_t) (colon - line) : len;
        const char *value = colon ? colon + 1 : line + len;
        size_t value_len = (size_t) (line + len - value);
        if (value_len > 0 && value[0] == ' ') {
                value++;
                value_len--;
        }

        if (name_len == 5 && memcmp(line, "event", 5) == 0) {
                snprintf(s->type, sizeof(s->type), "%.*s", (int) value_len, value);
        } else if (name_len == 4 && memcmp(line, "data", 4) == 0) {
                if (s->data_len + value_len + 1 > s->max)
                        return -EFBIG;
                int r = grow(&s->data, &s->data_cap, s->data_len + value_len + 2, s->max + 1);
                if (r < 0)
                        return r;
                memcpy(s->data + s->data_len, value, value_len);
                s->data_len += value_len;
                s->data[s->data_len++] = '\n';
                s->have_data = true;
        }
        /* "id", "retry" and unknown fields: nothing to do for us. */
        return 0;
}

int rctl_sse_feed(struct rctl_sse *s, const char *buf, size_t len) {
        for (size_t i = 0; i < len; i++) {
                char c = buf[i];

                if (c == '\n' && s->after_cr) {
                        s->after_cr = false;
                        continue;
                }
                s->after_cr = c == '\r';
                if (c == '\n' || c == '\r') {
                        int r = process_line(s);
                        s->line_len = 0;
                        if (r < 0)
                                return r;
                        continue;
                }
                if (s->line_len >= s->max)
                        return -EFBIG;
                int r = grow(&s->line, &s->line_cap, s->line_len + 1, s->max);
                if (r < 0)
                        return r;
                s->line[s->line_len++] = c;
        }
        return 0;
}
