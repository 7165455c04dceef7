/*
 * clock.h - the monotonic clock (CLOCK_MONOTONIC): time that only moves
 * forward, for deadlines, timeouts, durations and rates.
 *
 * For: measuring intervals. Not for: wall-clock time (dates in headers,
 * log and audit lines use CLOCK_REALTIME or time()), whose value means
 * something outside the process; a monotonic value means nothing alone:
 * only differences between two readings of one boot do.
 *
 * Pure (libc only), no state: every function may be called from any thread.
 * None fails (CLOCK_MONOTONIC always exists on Linux).
 */
#ifndef ORIGIND_CLOCK_H
#define ORIGIND_CLOCK_H

#include <stdint.h>

/* The monotonic clock in nanoseconds, microseconds and milliseconds (each
 * the nanoseconds divided down, so all three agree on one reading). */
uint64_t clock_mono_ns(void);
uint64_t clock_mono_us(void);
uint64_t clock_mono_ms(void);

/* The monotonic clock in seconds, for printing elapsed times and rates. */
double clock_mono_s(void);

#endif /* ORIGIND_CLOCK_H */
