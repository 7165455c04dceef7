/*
 * pool.h - origin-ingest's thread pool (pool.c): run n independent calls on
 * a few threads.
 *
 * Thread-safety: ingest_pool_run may be called from any thread; fn runs on
 * the workers concurrently (it must only touch what its i owns, or lock).
 */
#ifndef ORIGIN_INGEST_POOL_H
#define ORIGIN_INGEST_POOL_H

#include <stddef.h>

/* Number of online cores (at least 1). */
unsigned ingest_cpu_count(void);

/* Calls fn(arg, i, worker) for every i in [0, n) on `threads` worker threads
 * (worker is 0..threads-1, for per-thread scratch space). fn returns 0 to go
 * on, non-zero to stop: no new i is started and that value is returned.
 * While waiting, the calling thread runs tick(tick_arg) about every 100 ms
 * (tick may be NULL). Returns 0 when every call returned 0. */
int ingest_pool_run(unsigned threads, size_t n, int (*fn)(void *arg, size_t i, unsigned worker),
                    void *arg, void (*tick)(void *tick_arg), void *tick_arg);

#endif
