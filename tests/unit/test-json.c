/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "rf-json.h"
#include "rf-util.h"
#include "rf-macro.h"

/* Canonical form of a value, which must succeed. */
static char *canon(const json_t *v) {
        char *s = NULL;
        size_t len = 0;
        assert_int_equal(rf_json_canonical(v, &s, &len), 0);
        assert_non_null(s);
        assert_int_equal(len, strlen(s));
        return s;
}

/* Parse text, canonicalise, compare with expected. */
static void assert_canon_text(const char *text, const char *expected) {
        _cleanup_json_ json_t *v = NULL;
        char err[256] = "";
        int r = rf_json_parse(text, strlen(text), &v, err, sizeof(err));
        if (r < 0)
                fail_msg("parse of %s failed: %s", text, err);
        _cleanup_free_ char *s = canon(v);
        assert_string_equal(s, expected);
}

static double from_bits(uint64_t bits) {
        double d;
        memcpy(&d, &bits, sizeof(d));
        return d;
}

/* RFC 8785 section 3.2.2, the sample input and its canonical form. */
static void test_rfc8785_sample(void **state) {
        (void) state;
        assert_canon_text("{\n"
                          "  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
                          "              2e-3, 0.000000000000000000000000001],\n"
                          "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
                          "  \"literals\": [null, true, false]\n"
                          "}",
                          "{\"literals\":[null,true,false],"
                          "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                          "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 section 3.2.3: names sorted as UTF-16 code units, so the emoji
 * (surrogates D83D DE00) comes before U+FB33. */
static void test_rfc8785_sorting(void **state) {
        (void) state;
        assert_canon_text("{\n"
                          "  \"\\u20ac\": \"Euro Sign\",\n"
                          "  \"\\r\": \"Carriage Return\",\n"
                          "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
                          "  \"1\": \"One\",\n"
                          "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
                          "  \"\\u0080\": \"Control\",\n"
                          "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
                          "}",
                          "{\"\\r\":\"Carriage Return\","
                          "\"1\":\"One\","
                          "\"\xc2\x80\":\"Control\","
                          "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
                          "\"\xe2\x82\xac\":\"Euro Sign\","
                          "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                          "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static void test_sorting_nested_and_prefix(void **state) {
        (void) state;
        assert_canon_text("{\"b\":{\"z\":1,\"y\":[{\"b\":2,\"a\":1}]},\"a\":{},\"ab\":[],\"\":0,\"A\":true}",
                          "{\"\":0,\"A\":true,\"a\":{},\"ab\":[],\"b\":{\"y\":[{\"a\":1,\"b\":2}],\"z\":1}}");
        /* UTF-8 byte order would put U+E000 before U+10000; UTF-16 does not. */
        assert_canon_text("{\"\\ue000\":1,\"\\ud800\\udc00\":2,\"\\uffff\":3,\"\\u00e9\":4}",
                          "{\"\xc3\xa9\":4,\"\xf0\x90\x80\x80\":2,\"\xee\x80\x80\":1,\"\xef\xbf\xbf\":3}");
}

/* RFC 8785 appendix B: IEEE 754 bit patterns and their serialisation. */
static void test_rfc8785_numbers(void **state) {
        static const struct {
                uint64_t bits;
                const char *expected;
        } vectors[] = {
                { 0x0000000000000000, "0" },
                { 0x8000000000000000, "0" },
                { 0x0000000000000001, "5e-324" },
                { 0x8000000000000001, "-5e-324" },
                { 0x7fefffffffffffff, "1.7976931348623157e+308" },
                { 0xffefffffffffffff, "-1.7976931348623157e+308" },
                { 0x4340000000000000, "9007199254740992" },
                { 0xc340000000000000, "-9007199254740992" },
                { 0x4430000000000000, "295147905179352830000" },
                { 0x44b52d02c7e14af5, "9.999999999999997e+22" },
                { 0x44b52d02c7e14af6, "1e+23" },
                { 0x44b52d02c7e14af7, "1.0000000000000001e+23" },
                { 0x444b1ae4d6e2ef4e, "999999999999999700000" },
                { 0x444b1ae4d6e2ef4f, "999999999999999900000" },
                { 0x444b1ae4d6e2ef50, "1e+21" },
                { 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7" },
                { 0x3eb0c6f7a0b5ed8d, "0.000001" },
                { 0x41b3de4355555553, "333333333.3333332" },
                { 0x41b3de4355555554, "333333333.33333325" },
                { 0x41b3de4355555555, "333333333.3333333" },
                { 0x41b3de4355555556, "333333333.3333334" },
                { 0x41b3de4355555557, "333333333.33333343" },
                { 0xbecbf647612f3696, "-0.0000033333333333333333" },
                { 0x43143ff3c1cb0959, "1424953923781206.2" },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
                _cleanup_json_ json_t *v = json_real(from_bits(vectors[i].bits));
                assert_non_null(v);
                _cleanup_free_ char *s = canon(v);
                if (strcmp(s, vectors[i].expected) != 0)
                        fail_msg("%016llx: got %s, expected %s", (unsigned long long) vectors[i].bits, s,
                                 vectors[i].expected);
        }
}

static void test_numbers_by_value(void **state) {
        static const struct {
                double value;
                const char *expected;
        } vectors[] = {
                { 1e21, "1e+21" },
                { 1e20, "100000000000000000000" },
                { 1e-7, "1e-7" },
                { -1e-7, "-1e-7" },
                { 0.000001, "0.000001" },
                { 5e-324, "5e-324" },
                { 1.7976931348623157e308, "1.7976931348623157e+308" },
                { 9007199254740992.0, "9007199254740992" },
                { 295147905179352830000.0, "295147905179352830000" },
                { 333333333.3333333, "333333333.3333333" },
                { 4.5, "4.5" },
                { 4.0, "4" },
                { 0.1, "0.1" },
                { 100.0, "100" },
                { 1.23e-18, "1.23e-18" },
                { 1.5e-323, "1.5e-323" },
                { -0.0, "0" },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
                _cleanup_json_ json_t *v = json_real(vectors[i].value);
                _cleanup_free_ char *s = canon(v);
                assert_string_equal(s, vectors[i].expected);
        }
}

static void test_integers(void **state) {
        (void) state;
        _cleanup_json_ json_t *v = json_pack("[I,I,I,I]", (json_int_t) 0, (json_int_t) -42, (json_int_t) LLONG_MAX,
                                             (json_int_t) LLONG_MIN);
        assert_non_null(v);
        _cleanup_free_ char *s = canon(v);
        assert_string_equal(s, "[0,-42,9223372036854775807,-9223372036854775808]");

        /* Integers stay exact through the parser. */
        assert_canon_text("[9007199254740993,-0,12345678901234567]", "[9007199254740993,0,12345678901234567]");
}

/* jansson cannot hold NaN or infinities (json_real() refuses them), so the
 * -EDOM branch of rf_json_canonical() is only a safety net; check that the
 * premise holds. */
static void test_non_finite_unrepresentable(void **state) {
        (void) state;
        assert_null(json_real(NAN));
        assert_null(json_real(INFINITY));
        assert_null(json_real(-INFINITY));
        _cleanup_json_ json_t *v = json_real(1.0);
        assert_int_equal(json_real_set(v, NAN), -1);
        _cleanup_free_ char *s = canon(v);
        assert_string_equal(s, "1");
}

static void test_string_escaping(void **state) {
        (void) state;
        _cleanup_json_ json_t *v = json_stringn("a\x01\x1f\x7f\"\\/\b\f\n\r\t\xe2\x80\xa8z\0!", 18);
        assert_non_null(v);
        _cleanup_free_ char *s = canon(v);
        assert_string_equal(s, "\"a\\u0001\\u001f\x7f\\\"\\\\/\\b\\f\\n\\r\\t\xe2\x80\xa8z\\u0000!\"");

        /* Names are escaped the same way, and may hold a NUL. */
        _cleanup_json_ json_t *o = json_object();
        assert_int_equal(json_object_setn_new(o, "k\0\x1b", 3, json_null()), 0);
        _cleanup_free_ char *t = canon(o);
        assert_string_equal(t, "{\"k\\u0000\\u001b\":null}");
}

static void test_invalid_utf8_refused(void **state) {
        (void) state;
        char *s = NULL;
        static const char *const bad[] = {
                "\xc3",             /* truncated */
                "\xc0\xaf",         /* overlong */
                "\xed\xa0\x80",     /* surrogate */
                "\xf4\x90\x80\x80", /* beyond U+10FFFF */
                "\x80",             /* lone continuation byte */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_json_ json_t *v = json_stringn_nocheck(bad[i], strlen(bad[i]));
                assert_non_null(v);
                assert_int_equal(rf_json_canonical(v, &s, NULL), -EINVAL);

                _cleanup_json_ json_t *o = json_object();
                assert_int_equal(json_object_set_new_nocheck(o, bad[i], json_true()), 0);
                assert_int_equal(json_object_set_new_nocheck(o, "b", json_true()), 0);
                assert_int_equal(rf_json_canonical(o, &s, NULL), -EINVAL);
        }
        assert_null(s);
}

static void test_canonical_is_idempotent(void **state) {
        (void) state;
        const char *text = "{\"z\":[1.0,2.5e3,-0.0,{\"\\u00e9\":\"\\u001f\"}],\"a\":\"\\u00e9\"}";
        _cleanup_json_ json_t *v = NULL, *w = NULL;
        assert_int_equal(rf_json_parse(text, strlen(text), &v, NULL, 0), 0);
        _cleanup_free_ char *s = canon(v);
        assert_string_equal(s, "{\"a\":\"\xc3\xa9\",\"z\":[1,2500,0,{\"\xc3\xa9\":\"\\u001f\"}]}");
        assert_int_equal(rf_json_parse(s, strlen(s), &w, NULL, 0), 0);
        _cleanup_free_ char *t = canon(w);
        assert_string_equal(s, t);
}

static void assert_parse_error(const char *text, size_t len, const char *expected_prefix, const char *expected_part) {
        _cleanup_json_ json_t *v = NULL;
        char err[256] = "";
        assert_int_equal(rf_json_parse(text, len, &v, err, sizeof(err)), -EINVAL);
        assert_null(v);
        if (strncmp(err, expected_prefix, strlen(expected_prefix)) != 0 || !strstr(err, expected_part))
                fail_msg("error '%s' does not start with '%s' and contain '%s'", err, expected_prefix,
                         expected_part);
}

static void test_parse_errors(void **state) {
        (void) state;
        assert_parse_error("{\n  \"a\": 1,\n  \"a\": 2\n}", 22, "line 3, column ", "duplicate object key");
        assert_parse_error("{\n  \"a\" 1\n}", 11, "line 2, column ", "':' expected");
        assert_parse_error("[1, 2,]", 7, "line 1, column 7:", "");
        assert_parse_error("", 0, "line 1, column 1:", "");
        assert_parse_error("{} x", 4, "line 1, column ", "end of file expected");
        /* NUL bytes: raw, and escaped. */
        assert_parse_error("{\"a\":\n \"b\0c\"}", 13, "line 2, column 4: ", "NUL byte");
        assert_parse_error("[\"b\\u0000c\"]", 12, "line 1, column ", "\\u0000");
        /* Invalid UTF-8 in the text. */
        assert_parse_error("[\"\xff\"]", 5, "line 1, column ", "");

        _cleanup_json_ json_t *v = NULL;
        assert_int_equal(rf_json_parse(NULL, 0, &v, NULL, 0), -EINVAL);
        assert_int_equal(rf_json_parse("[", 1, &v, NULL, 0), -EINVAL);
}

static void test_parse_any_and_exact(void **state) {
        (void) state;
        _cleanup_json_ json_t *a = NULL, *b = NULL, *c = NULL;
        assert_int_equal(rf_json_parse("null", 4, &a, NULL, 0), 0);
        assert_true(json_is_null(a));
        /* Only the given length is parsed. */
        assert_int_equal(rf_json_parse("42 garbage", 2, &b, NULL, 0), 0);
        assert_true(json_is_integer(b));
        assert_int_equal(json_integer_value(b), 42);
        assert_int_equal(rf_json_parse("9223372036854775807", 19, &c, NULL, 0), 0);
        assert_true(json_integer_value(c) == LLONG_MAX);
}

static void test_helpers(void **state) {
        (void) state;
        _cleanup_json_ json_t *o = json_pack("{s:s,s:I,s:f,s:n,s:b}", "s", "text", "i", (json_int_t) -7, "r", 1.5,
                                             "n", "b", 1);
        assert_non_null(o);
        assert_string_equal(rf_json_str(o, "s"), "text");
        assert_string_equal(rf_json_str(o, "i"), "");
        assert_string_equal(rf_json_str(o, "missing"), "");
        assert_string_equal(rf_json_str(NULL, "s"), "");
        assert_int_equal(rf_json_int(o, "i"), -7);
        assert_int_equal(rf_json_int(o, "r"), 0);
        assert_int_equal(rf_json_int(o, "s"), 0);
        assert_int_equal(rf_json_int(o, "missing"), 0);
        _cleanup_json_ json_t *arr = json_array();
        assert_string_equal(rf_json_str(arr, "s"), "");
        assert_int_equal(rf_json_int(arr, "i"), 0);
}

static json_t *nested_arrays(unsigned depth) {
        json_t *v = json_array();
        for (unsigned i = 1; v && i < depth; i++) {
                json_t *w = json_array();
                if (!w || json_array_append_new(w, v) < 0) {
                        json_decref(v);
                        json_decref(w);
                        return NULL;
                }
                v = w;
        }
        return v;
}

/* Depth is bounded (jansson's parser stops at 2048 levels too), which also
 * stops a cycle built in memory. */
static void test_depth_limit(void **state) {
        (void) state;
        char *s = NULL;
        _cleanup_json_ json_t *ok = nested_arrays(2000), *deep = nested_arrays(3000);
        assert_non_null(ok);
        assert_non_null(deep);
        assert_int_equal(rf_json_canonical(ok, &s, NULL), 0);
        assert_int_equal(strlen(s), 4000);
        assert_int_equal(strspn(s, "["), 2000);
        free(s);
        s = NULL;
        assert_int_equal(rf_json_canonical(deep, &s, NULL), -ELOOP);
        assert_null(s);
}

static void test_canonical_args(void **state) {
        (void) state;
        char *s = NULL;
        assert_int_equal(rf_json_canonical(NULL, &s, NULL), -EINVAL);
        _cleanup_json_ json_t *e = json_object();
        _cleanup_free_ char *t = canon(e);
        assert_string_equal(t, "{}");
}

/* One-line text for names and searches (common/rf-util.c). */
static void test_utf8_text_chars(void **state) {
        static const struct {
                const char *s;
                long chars;
        } cases[] = {
                { "écran atelier", 13 }, { "DSI mairie 🏫", 12 }, { "", 0 },
                { "a\nb", -1 },          { "tab\there", -1 },      { "del\x7f", -1 },
                { "c1\xc2\x85", -1 },    { "ls\xe2\x80\xa8", -1 },  { "bidi\xe2\x80\xae", -1 },
                { "iso\xe2\x81\xa6", -1 }, { "\xff\xfe", -1 },       { "over\xc0\xaf", -1 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_int_equal(rf_utf8_text_chars(cases[i].s, strlen(cases[i].s)), cases[i].chars);
        assert_int_equal(rf_utf8_text_chars(NULL, 0), -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc8785_sample),
                cmocka_unit_test(test_rfc8785_sorting),
                cmocka_unit_test(test_sorting_nested_and_prefix),
                cmocka_unit_test(test_rfc8785_numbers),
                cmocka_unit_test(test_numbers_by_value),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_non_finite_unrepresentable),
                cmocka_unit_test(test_string_escaping),
                cmocka_unit_test(test_invalid_utf8_refused),
                cmocka_unit_test(test_canonical_is_idempotent),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_parse_any_and_exact),
                cmocka_unit_test(test_helpers),
                cmocka_unit_test(test_depth_limit),
                cmocka_unit_test(test_canonical_args),
                cmocka_unit_test(test_utf8_text_chars),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
