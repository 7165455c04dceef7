/*
 * store_fault.c - the store's fault-injection counters: the only mutable
 * process-wide state in the store, and only in test builds.
 *
 * With ORIGIND_TEST_HOOKS defined (CMake option of the same name, ON for
 * scripts/test.sh), store__fault_hit() counts down the points armed by
 * store_fault_set() or ORIGIND_FAULT. Without it (release and package
 * builds) nothing can be armed: store__fault_hit() is always 0 and
 * store_test_hooks() says so.
 *
 * Not for: real allocation failures (store__alloc reports those as
 * STORE_ENOMEM in every build).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#ifdef ORIGIND_TEST_HOOKS

static _Atomic unsigned fault_countdown[STORE_FAULT_COUNT];
static _Atomic uint64_t faults_fired;

int store_test_hooks(void)
{
    return 1;
}

void store_fault_set(enum store_fault_point point, unsigned countdown)
{
    if ((unsigned)point < STORE_FAULT_COUNT)
        atomic_store(&fault_countdown[point], countdown);
}

int store__fault_hit(enum store_fault_point point)
{
    unsigned v = atomic_load(&fault_countdown[point]);

    while (v != 0) {
        if (atomic_compare_exchange_weak(&fault_countdown[point], &v, v - 1)) {
            if (v == 1)
                atomic_fetch_add(&faults_fired, 1);
            return v == 1;
        }
    }
    return 0;
}

uint64_t store_faults_fired(void)
{
    return atomic_load(&faults_fired);
}

void store__fault_from_env(const char *spec)
{
    static const char *const names[STORE_FAULT_COUNT] = {"alloc", "write", "commit"};
    const char *p = spec;

    while (p != NULL && *p != '\0') {
        const char *colon = strchr(p, ':');
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        int point;

        if (colon != NULL && colon < end) {
            for (point = 0; point < STORE_FAULT_COUNT; point++) {
                size_t n = strlen(names[point]);

                if ((size_t)(colon - p) == n && memcmp(p, names[point], n) == 0) {
                    char *num_end;
                    unsigned long v = strtoul(colon + 1, &num_end, 10);

                    if (num_end == end && num_end != colon + 1 && v <= 0xffffffffu)
                        store_fault_set((enum store_fault_point)point, (unsigned)v);
                }
            }
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
}

#else /* a release build: no hooks */

int store_test_hooks(void)
{
    return 0;
}

int store__fault_hit(enum store_fault_point point)
{
    (void)point;
    return 0;
}

uint64_t store_faults_fired(void)
{
    return 0;
}

#endif
