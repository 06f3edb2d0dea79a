/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Roles and the policy per route of the network API: the table of
 * docs/network-api.md, row for row. The Unix socket (root) is not
 * checked against it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "rf-macro.h"
#include "rfd-auth.h"

static const char *const role_names[] = {
        [RFD_ROLE_TECHNICIAN] = "technician",
        [RFD_ROLE_SUPERVISOR] = "supervisor",
        [RFD_ROLE_DSI] = "dsi",
        [RFD_ROLE_AGENT] = "agent",
        [RFD_ROLE_ROOT] = "root",
};

static const char *const role_labels_fr[] = {
        [RFD_ROLE_TECHNICIAN] = "technicien",
        [RFD_ROLE_SUPERVISOR] = "superviseur",
        [RFD_ROLE_DSI] = "DSI",
        [RFD_ROLE_AGENT] = "agent",
        [RFD_ROLE_ROOT] = "root",
};

const char *rfd_role_to_string(enum rfd_role r) {
        return (unsigned) r < ELEMENTSOF(role_names) ? role_names[r] : NULL;
}

const char *rfd_role_label_fr(enum rfd_role r) {
        return (unsigned) r < ELEMENTSOF(role_labels_fr) ? role_labels_fr[r] : NULL;
}

int rfd_role_from_string(const char *s, enum rfd_role *ret) {
        if (!s)
                return -EINVAL;
        for (enum rfd_role r = 0; r < _RFD_ROLE_MAX; r++)
                if (strcmp(s, role_names[r]) == 0) {
                        if (ret)
                                *ret = r;
                        return 0;
                }
        return -EINVAL;
}

#define TECH RFD_ROLE_BIT(RFD_ROLE_TECHNICIAN)
#define SUPER RFD_ROLE_BIT(RFD_ROLE_SUPERVISOR)
#define DSI RFD_ROLE_BIT(RFD_ROLE_DSI)
#define ALL RFD_ROLES_ALL
#define NOBODY 0u

#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define DELETE EVHTTP_REQ_DELETE
#define ANY (~0u)

/* A path pattern is the segments after "v1": "*" matches one segment,
 * a final "**" any number of them (none included). */
struct policy_row {
        unsigned methods;
        char path[24];
        unsigned roles;
};

/* First matching row wins. */
static const struct policy_row policy[] = {
        { GET,          "status",                       ALL },
        { GET,          "bench/certificate",            ALL },
        { GET | DELETE, "session",                      ALL },  /* signed in by token or cookie */
        { POST,         "session",                      ALL },  /* the body carries the token */
        { GET,          "bays",                         TECH | SUPER },
        { GET,          "devices",                      TECH | SUPER },
        { GET,          "devices/*",                    TECH | SUPER },
        { GET,          "jobs",                         TECH | SUPER },
        { GET,          "jobs/*",                       TECH | SUPER },
        { GET,          "events",                       TECH | SUPER | DSI },
        { POST,         "devices/*/erase",              TECH },
        { POST,         "jobs/*/cancel",                TECH },
        { POST,         "assets",                       TECH | SUPER },
        { GET,          "assets/*",                     TECH | SUPER },
        { POST,         "assets/*/link",                TECH | SUPER },
        { GET,          "assets",                       SUPER },
        { POST,         "assets/*/certificate",         SUPER },
        { ANY,          "donors/**",                    SUPER },
        { ANY,          "certificates/**",              SUPER },
        { ANY,          "reports/**",                   SUPER },
        { ANY,          "exports/**",                   SUPER },
        { ANY,          "ledger/**",                    SUPER },
        { ANY,          "profiles/**",                  DSI },
        { ANY,          "tokens/**",                    NOBODY },  /* the Unix socket only */
        /* Other methods and sub-paths of the resources above get their
         * 404 or 405, from the router, only where the role sees them. */
        { ANY,          "bays/**",                      TECH | SUPER },
        { ANY,          "devices/**",                   TECH | SUPER },
        { ANY,          "jobs/**",                      TECH | SUPER },
        { ANY,          "assets/**",                    SUPER },
        /* anything else: everyone, to get the same 404 as root */
};

static bool path_matches(const char *pattern, char *const *seg, size_t n_seg) {
        size_t i = 0;
        const char *p = pattern;
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t) (slash - p) : strlen(p);
                if (len == 2 && memcmp(p, "**", 2) == 0)
                        return true;
                if (i == n_seg)
                        return false;
                if (!(len == 1 && p[0] == '*') && (strlen(seg[i]) != len || memcmp(seg[i], p, len) != 0))
                        return false;
                i++;
                if (!slash)
                        return i == n_seg;
                p = slash + 1;
        }
}

unsigned rfd_auth_policy(enum evhttp_cmd_type method, char *const *seg, size_t n_seg) {
        if (!seg || n_seg < 2 || strcmp(seg[0], "v1") != 0)
                return RFD_ROLES_ALL;
        /* HEAD is a GET without the body. */
        unsigned m = method == EVHTTP_REQ_HEAD ? (unsigned) EVHTTP_REQ_GET : (unsigned) method;
        for (size_t i = 0; i < ELEMENTSOF(policy); i++)
                if ((policy[i].methods & m) && path_matches(policy[i].path, seg + 1, n_seg - 1))
                        return policy[i].roles;
        return RFD_ROLES_ALL;
}
