/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CSV exports of the intake records (docs/intake.md, "Exports"): RFC 4180
 * (CRLF line ends, fields with a comma, quote, CR or LF between double
 * quotes, quotes doubled), UTF-8 with a byte order mark so that
 * spreadsheets open accents right; a cell that would start with = + - @
 * gets a leading apostrophe so that no donor text becomes a formula. */
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rfd-api-intake.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"

struct column {
        const char *header;
        const char *key;  /* member of the row; "a.b" for a member of an object member */
};

static const struct column asset_columns[] = {
        { "tag", "tag" },
        { "type", "type" },
        { "donor_reference", "donor.reference" },
        { "donor_organisation", "donor.organisation" },
        { "intake_date", "intake_date" },
        { "maker", "maker" },
        { "model", "model" },
        { "serial", "serial" },
        { "grade", "grade" },
        { "destination", "destination" },
        { "recipient_ref", "recipient_ref" },
        { "auto", "auto" },
        { "drive_serials", "drive_serials" },
        { "created_at", "created_at" },
        {},
};

static const struct column cert_columns[] = {
        { "id", "id" },
        { "seq", "seq" },
        { "kind", "kind" },
        { "created_at", "created_at" },
        { "serial", "serial" },
        { "model", "model" },
        { "result", "result" },
        { "asset_tag", "asset_tag" },
        { "donor_reference", "donor_reference" },
        { "subject_id", "subject_id" },
        { "sha256", "sha256" },
        {},
};

static void csv_field(FILE *f, const char *s) {
        bool quote = strpbrk(s, ",\"\r\n") != NULL;
        bool guard = strchr("=+-@", s[0]) != NULL && s[0] != '\0';
        if (quote)
                fputc('"', f);
        if (guard)
                fputc('\'', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        if (quote)
                fputc('"', f);
}

static void csv_value(FILE *f, const json_t *row, const char *key) {
        char buf[64];
        const char *dot = strchr(key, '.');
        const json_t *v;
        if (dot) {
                snprintf(buf, sizeof(buf), "%.*s", (int) (dot - key), key);
                v = json_object_get(json_object_get(row, buf), dot + 1);
        } else
                v = json_object_get(row, key);
        if (json_is_string(v))
                csv_field(f, json_string_value(v));
        else if (json_is_integer(v))
                fprintf(f, "%lld", (long long) json_integer_value(v));
        else if (json_is_boolean(v))
                fputs(json_is_true(v) ? "1" : "0", f);
}

/* The whole CSV text of rows. */
static int csv_text(const json_t *rows, const struct column *cols, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0, i;
        const json_t *row;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("\xef\xbb\xbf", f);
        for (const struct column *c = cols; c->header; c++)
                fprintf(f, "%s%s", c == cols ? "" : ",", c->header);
        fputs("\r\n", f);
        json_array_foreach(rows, i, row) {
                for (const struct column *c = cols; c->header; c++) {
                        if (c != cols)
                                fputc(',', f);
                        csv_value(f, row, c->key);
                }
                fputs("\r\n", f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

void rfd_api_export(struct rfd_manager *m, struct evhttp_request *req, const char *name) {
        _cleanup_json_ json_t *rows = NULL;
        _cleanup_free_ char *text = NULL;
        const struct column *cols;
        size_t len = 0;
        int r;

        if (strcmp(name, "assets.csv") == 0) {
                r = rfd_store_assets_json(m->store, &rows);
                cols = asset_columns;
        } else if (strcmp(name, "certificates.csv") == 0) {
                r = rfd_store_certs_export_json(m->store, &rows);
                cols = cert_columns;
        } else {
                return rfd_http_reply_not_found(req, "export inconnu (assets.csv, certificates.csv)",
                                                "unknown export (assets.csv, certificates.csv)");
        }
        if (r >= 0)
                r = csv_text(rows, cols, &text, &len);
        if (r < 0) {
                rfd_log(LOG_ERR, "export %s: %s", name, strerror(-r));
                return rfd_http_reply_error(req, 500, "internal", "erreur des enregistrements", "records error", NULL);
        }
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Disposition",
                          strcmp(name, "assets.csv") == 0 ? "attachment; filename=\"assets.csv\""
                                                          : "attachment; filename=\"certificates.csv\"");
        rfd_http_reply_bytes(req, 200, "text/csv; charset=utf-8; header=present", text, len);
}
