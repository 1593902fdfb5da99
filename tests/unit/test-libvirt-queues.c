/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "libvirt-queues.h"
#include "macro.h"

/* The guest-agent job's wall-clock bound: each command gets what is left of LIBVIRT_AGENT_JOB_SEC in
 * whole seconds, at most LIBVIRT_AGENT_TIMEOUT_SEC, none once less than a second is left. */

#define T0 (1000 * USEC_PER_SEC)

static void test_command_timeout(void **state) {
        unsigned long long deadline = T0 + LIBVIRT_AGENT_JOB_SEC * USEC_PER_SEC;

        /* the job's start, and later: each command at most its own bound */
        assert_int_equal(libvirt_agent_command_timeout_sec(T0, deadline), LIBVIRT_AGENT_TIMEOUT_SEC);
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline - 6 * USEC_PER_SEC, deadline),
                        LIBVIRT_AGENT_TIMEOUT_SEC);
        /* near the end: what is left, rounded down, so the job never outlives its bound */
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline - 3 * USEC_PER_SEC - 1, deadline), 3);
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline - 3 * USEC_PER_SEC, deadline), 3);
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline - USEC_PER_SEC, deadline), 1);
        /* less than a second, none, past: no command (0 would tell libvirt not to wait) */
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline - USEC_PER_SEC + 1, deadline), 0);
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline, deadline), 0);
        assert_int_equal(libvirt_agent_command_timeout_sec(deadline + 1, deadline), 0);
        assert_int_equal(libvirt_agent_command_timeout_sec(ULLONG_MAX, 0), 0);
}

/* Commands of 5 s each that all time out, from the job's start: the job sends at most three, and
 * their timeouts add up to the bound, not to more. */
static void test_job_bound(void **state) {
        unsigned long long now = T0, deadline = T0 + LIBVIRT_AGENT_JOB_SEC * USEC_PER_SEC;
        unsigned sent = 0, t;

        while ((t = libvirt_agent_command_timeout_sec(now, deadline)) > 0) {
                now += t * USEC_PER_SEC + 1000; /* the timeout, and the RPC's own millisecond */
                sent++;
        }
        assert_int_equal(sent, 3);
        assert_true(now <= deadline + 3 * 1000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_command_timeout),
                        cmocka_unit_test(test_job_bound),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
