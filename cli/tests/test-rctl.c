/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of refurbctl's pure helpers: event-stream parser, terminal
 * safety, tables, times, words, configuration reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rctl-config.h"
#include "rctl-output.h"
#include "rctl-sse.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-macro.h"

struct events {
        char log[4096];
        unsigned n;
};

static int record(const char *type, const char *data, size_t len, void *userdata) {
        struct events *e = userdata;
        size_t used = strlen(e->log);
        snprintf(e->log + used, sizeof(e->log) - used, "[%s|%.*s]", type, (int) len, data);
        e->n++;
        return 0;
}

static void feed_in_pieces(const char *text, size_t piece, struct events *e) {
        struct rctl_sse s;
        size_t len = strlen(text);

        rctl_sse_init(&s, 1024, record, e);
        for (size_t i = 0; i < len; i += piece)
                assert_int_equal(rctl_sse_feed(&s, text + i, MIN(piece, len - i)), 0);
        rctl_sse_done(&s);
}

static void test_sse_chunks(void **state) {
        static const char stream[] = "\xef\xbb\xbf: keep-alive\n\n"
                                     "event: bay\ndata: {\"a\":1}\n\n"
                                     "event: job\r\ndata: {\"b\":\r\ndata: 2}\r\n\r\n"
                                     "data:no-space\rid: 5\rretry: 10\rfoo: bar\r\r"
                                     "event: lonely\n\n"
                                     ": comment\n"
                                     "event: device\ndata\n\n"
                                     "event: partial\ndata: never dispatched";
        static const char expected[] = "[bay|{\"a\":1}][job|{\"b\":\n2}][message|no-space][device|]";

        /* Every chunk size gives the same events: boundaries anywhere,
         * even between CR and LF. */
        for (size_t piece = 1; piece <= sizeof(stream); piece++) {
                struct events e = { 0 };
                feed_in_pieces(stream, piece, &e);
                assert_string_equal(e.log, expected);
                assert_int_equal(e.n, 4);
        }
}

static int stop_at_second(const char *type, const char *data, size_t len, void *userdata) {
        unsigned *n = userdata;
        return ++*n == 2 ? -ECANCELED : 0;
}

static void test_sse_limits(void **state) {
        struct rctl_sse s;
        unsigned n = 0;
        char big[200];

        /* A line longer than the limit. */
        memset(big, 'x', sizeof(big));
        rctl_sse_init(&s, 64, stop_at_second, &n);
        assert_int_equal(rctl_sse_feed(&s, "data: ", 6), 0);
        assert_int_equal(rctl_sse_feed(&s, big, sizeof(big)), -EFBIG);
        rctl_sse_done(&s);

        /* Data lines adding up beyond the limit. */
        rctl_sse_init(&s, 64, stop_at_second, &n);
        int r = 0;
        for (int i = 0; i < 10 && r == 0; i++)
                r = rctl_sse_feed(&s, "data: 0123456789\n", 17);
        assert_int_equal(r, -EFBIG);
        rctl_sse_done(&s);

        /* The callback's error stops the parser. */
        rctl_sse_init(&s, 64, stop_at_second, &n);
        assert_int_equal(rctl_sse_feed(&s, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27), -ECANCELED);
        assert_int_equal(n, 2);
        rctl_sse_done(&s);
}

static void test_sanitize_width(void **state) {
        _cleanup_free_ char *a = rctl_sanitize("Disk\x1b[31mRED\x07\tx\xc2\x9b" "2J é");
        assert_string_equal(a, "Disk?[31mRED? x?2J é");
        _cleanup_free_ char *b = rctl_sanitize(NULL);
        assert_string_equal(b, "");
        assert_int_equal(rctl_width("effaçable"), 9);
        assert_int_equal(rctl_width("ÉTAT — 42 %"), 11);
        assert_int_equal(rctl_width(""), 0);
}

static void test_time_percent(void **state) {
        char out[64];

        setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1); /* no tzdata needed */
        tzset();
        rctl_format_time("2026-11-22T13:05:09Z", RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "22/11/2026 14:05");
        rctl_format_time("2026-07-01T23:30:00.250Z", RF_LANG_EN, out, sizeof(out));
        assert_string_equal(out, "2026-07-02 01:30");
        rctl_format_time("hier\x1b[2J", RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "hier?[2J");
        rctl_format_time("2026-13-01T00:00:00Z", RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "2026-13-01T00:00:00Z");
        rctl_format_time(NULL, RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "—");

        rctl_format_percent(42.9, RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "42 %");
        rctl_format_percent(99.99, RF_LANG_EN, out, sizeof(out));
        assert_string_equal(out, "99%");
        rctl_format_percent(-3, RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "0 %");
        rctl_format_percent(1e300, RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "100 %");
        assert_int_equal(rctl_percent_tenth(42.9), 4);
        assert_int_equal(rctl_percent_tenth(1e300), 10);
        assert_int_equal(rctl_percent_tenth(-1e300), 0);
}

static json_t *parse(const char *text) {
        json_t *v = NULL;
        assert_int_equal(rf_json_parse(text, strlen(text), &v, NULL, 0), 0);
        return v;
}

static void test_words(void **state) {
        char out[512];
        enum rctl_tone tone;

        _cleanup_json_ json_t *running = parse(
                "{\"state\":\"erasing\",\"progress\":{\"phase\":\"write\",\"percent\":42.7,"
                "\"rate_bytes_per_second\":310000000,\"eta_seconds\":80}}");
        rctl_job_words(running, RF_LANG_FR, out, sizeof(out), &tone);
        assert_string_equal(out, "effacement 42 % — 310 Mo/s — reste 1 min 20 s");
        assert_int_equal(tone, RCTL_TONE_NEUTRAL);
        rctl_job_words(running, RF_LANG_EN, out, sizeof(out), NULL);
        assert_string_equal(out, "erasing 42% — 310 MB/s — 1 min 20 s left");

        _cleanup_json_ json_t *failed = parse("{\"state\":\"failed\",\"result\":\"not-erased\",\"reason\":\"erreurs d'écriture\"}");
        rctl_job_words(failed, RF_LANG_FR, out, sizeof(out), &tone);
        assert_string_equal(out, "terminé : ÉCHEC (erreurs d'écriture)");
        assert_int_equal(tone, RCTL_TONE_BAD);

        _cleanup_json_ json_t *done = parse("{\"state\":\"done\",\"result\":\"erased\"}");
        rctl_job_words(done, RF_LANG_FR, out, sizeof(out), &tone);
        assert_string_equal(out, "terminé : EFFACÉ");
        assert_int_equal(tone, RCTL_TONE_GOOD);

        /* Wrong types everywhere: words without crashing. */
        _cleanup_json_ json_t *junk = parse("{\"state\":12,\"progress\":[1],\"result\":{}}");
        rctl_job_words(junk, RF_LANG_FR, out, sizeof(out), NULL);
        assert_string_equal(out, "?");
        _cleanup_json_ json_t *not_object = parse("[\"state\"]");
        rctl_bay_words(not_object, RF_LANG_FR, out, sizeof(out), NULL);
        assert_string_equal(out, "?");

        _cleanup_json_ json_t *bay = parse(
                "{\"state\":\"refused\",\"refusal\":{\"code\":\"mounted\",\"detail\":\"/mnt\","
                "\"message_fr\":\"monté\",\"message_en\":\"mounted\"}}");
        rctl_bay_words(bay, RF_LANG_EN, out, sizeof(out), &tone);
        assert_string_equal(out, "refused (mounted)");
        assert_int_equal(tone, RCTL_TONE_BAD);

        _cleanup_json_ json_t *dev = parse(
                "{\"vendor\":\"ATA     \",\"model\":\"ST500\",\"serial\":\"Z1\",\"identity_source\":\"stand-in\"}");
        rctl_identity_words(dev, RF_LANG_FR, out, sizeof(out));
        assert_string_equal(out, "ATA ST500 (n° Z1) (identité simulée)");
}

static void test_table(void **state) {
        const char *headers[] = { "PÉRIPHÉRIQUE", "ÉTAT", "X" };
        const char *row1[] = { "/dev/sda", "effaçable", "" };
        const char *row2[] = { "loop3", NULL, "\x1b[2J" };
        _cleanup_table_ struct rctl_table *t = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        assert_int_equal(rctl_table_new(3, headers, &t), 0);
        assert_int_equal(rctl_table_add(t, row1), 0);
        assert_int_equal(rctl_table_add(t, row2), 0);
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(rctl_table_print(t, f, true, 0, NULL, false), 3);
        fclose(f);
        assert_string_equal(buf, "PÉRIPHÉRIQUE  ÉTAT       X\n"
                                 "/dev/sda      effaçable\n"
                                 "loop3         —          ?[2J\n");
        free(buf);
        buf = NULL;

        /* Cut to 10 columns. */
        f = open_memstream(&buf, &len);
        assert_non_null(f);
        rctl_table_print(t, f, false, 10, ">", false);
        fclose(f);
        assert_string_equal(buf, ">/dev/sda  \n>loop3     \n");
}

static void test_ids(void **state) {
        char name[72];
        long long id;

        assert_int_equal(rctl_device_sysname("/dev/loop3", name, sizeof(name)), 0);
        assert_string_equal(name, "loop3");
        assert_int_equal(rctl_device_sysname("sdb", name, sizeof(name)), 0);
        assert_string_equal(name, "sdb");
        assert_int_equal(rctl_device_sysname("/dev/../etc/passwd", name, sizeof(name)), -EINVAL);
        assert_int_equal(rctl_device_sysname("../sda", name, sizeof(name)), -EINVAL);
        assert_int_equal(rctl_device_sysname("..", name, sizeof(name)), -EINVAL);
        assert_int_equal(rctl_device_sysname("sd a", name, sizeof(name)), -EINVAL);
        assert_int_equal(rctl_device_sysname("", name, sizeof(name)), -EINVAL);

        assert_int_equal(rctl_parse_job_id("12", &id), 0);
        assert_int_equal(id, 12);
        assert_int_equal(rctl_parse_job_id("0", &id), -EINVAL);
        assert_int_equal(rctl_parse_job_id("-3", &id), -EINVAL);
        assert_int_equal(rctl_parse_job_id("12abc", &id), -EINVAL);
        assert_int_equal(rctl_parse_job_id("99999999999999999999", &id), -EINVAL);
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

static void test_config(void **state) {
        char dir[] = "/tmp/test-rctl-XXXXXX";
        char path[128], dropins[160], file[192];
        _cleanup_free_ char *value = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/refurbd.conf", dir);
        snprintf(dropins, sizeof(dropins), "%s.d", path);

        assert_int_equal(rctl_config_api_socket(path, &value), -ENOENT);

        write_text(path, "# comment\n[Bay APISocket]\nAPISocket=/wrong\n[Daemon]\n  APISocket = /run/a.sock  \n");
        assert_int_equal(rctl_config_api_socket(path, &value), 0);
        assert_string_equal(value, "/run/a.sock");
        free(value);
        value = NULL;

        assert_int_equal(mkdir(dropins, 0755), 0);
        snprintf(file, sizeof(file), "%s/20-b.conf", dropins);
        write_text(file, "[Daemon]\nAPISocket=/run/b.sock\n");
        snprintf(file, sizeof(file), "%s/10-x.conf", dropins);
        write_text(file, "[Daemon]\nAPISocket=/run/x.sock\n");
        snprintf(file, sizeof(file), "%s/30-c.conf.bak", dropins);
        write_text(file, "[Daemon]\nAPISocket=/run/ignored.sock\n");
        assert_int_equal(rctl_config_api_socket(path, &value), 0);
        assert_string_equal(value, "/run/b.sock");
        free(value);
        value = NULL;

        write_text(path, "[Daemon]\nBenchName=x\n");
        snprintf(file, sizeof(file), "%s/20-b.conf", dropins);
        unlink(file);
        snprintf(file, sizeof(file), "%s/10-x.conf", dropins);
        unlink(file);
        assert_int_equal(rctl_config_api_socket(path, &value), 0);
        assert_null(value);

        snprintf(file, sizeof(file), "%s/30-c.conf.bak", dropins);
        unlink(file);
        rmdir(dropins);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sse_chunks),  cmocka_unit_test(test_sse_limits),
                cmocka_unit_test(test_sanitize_width), cmocka_unit_test(test_time_percent),
                cmocka_unit_test(test_words),       cmocka_unit_test(test_table),
                cmocka_unit_test(test_ids),         cmocka_unit_test(test_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
