/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

/* placeholder, replaced by the real tests */
static void placeholder(void **state) {
        (void) state;
        assert_true(1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(placeholder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
