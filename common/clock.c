/*
 * clock.c - the monotonic clock (clock.h).
 *
 * For: the one place that reads CLOCK_MONOTONIC. Not for: timers or sleeping
 * (callers poll or use their event loop's timeouts).
 */
#include "clock.h"

#include <time.h>

uint64_t clock_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_us(void)
{
    return clock_mono_ns() / 1000;
}

uint64_t clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

double clock_mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
