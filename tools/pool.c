/*
 * pool.c - origin-ingest's thread pool: n independent calls spread over a
 * few pthreads, the first non-zero result stops the rest, the calling
 * thread ticks (progress) while it waits.
 *
 * For: hash.c (hashing), compress.c (variants) and delta.c (dcz deltas).
 * Not for: the work itself, or anything that needs a queue fed while it
 * runs (the number of calls is known up front).
 */
#include "pool.h"

#include "ingest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

unsigned ingest_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1u : (unsigned)n;
}

struct pool {
    size_t n;
    atomic_size_t next;
    atomic_int stop;
    int (*fn)(void *, size_t, unsigned);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned running;
};

struct pool_worker {
    struct pool *p;
    unsigned id;
};

static void *pool_main(void *v)
{
    struct pool_worker *w = v;
    struct pool *p = w->p;

    while (atomic_load(&p->stop) == 0) {
        size_t i = atomic_fetch_add(&p->next, 1);
        int r;

        if (i >= p->n)
            break;
        r = p->fn(p->arg, i, w->id);
        if (r != 0) {
            int zero = 0;

            atomic_compare_exchange_strong(&p->stop, &zero, r);
        }
    }
    pthread_mutex_lock(&p->mu);
    p->running--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int ingest_pool_run(unsigned threads, size_t n, int (*fn)(void *arg, size_t i, unsigned worker),
                    void *arg, void (*tick)(void *tick_arg), void *tick_arg)
{
    struct pool p;
    pthread_t *tids;
    struct pool_worker *ws;
    unsigned t, started = 0;

    if (threads < 1)
        threads = 1;
    if (threads > n)
        threads = n > 0 ? (unsigned)n : 1;
    memset(&p, 0, sizeof(p));
    p.n = n;
    atomic_init(&p.next, 0);
    atomic_init(&p.stop, 0);
    p.fn = fn;
    p.arg = arg;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    tids = ingest_xcalloc(threads, sizeof(*tids));
    ws = ingest_xcalloc(threads, sizeof(*ws));
    pthread_mutex_lock(&p.mu);
    for (t = 0; t < threads; t++) {
        ws[t].p = &p;
        ws[t].id = t;
        p.running++;
        if (pthread_create(&tids[t], NULL, pool_main, &ws[t]) != 0) {
            p.running--;
            break;
        }
        started++;
    }
    pthread_mutex_unlock(&p.mu);
    if (started == 0) { /* no thread could start: do it here */
        size_t i;

        for (i = 0; i < n && atomic_load(&p.stop) == 0; i++) {
            int r = fn(arg, i, 0);

            if (r != 0)
                atomic_store(&p.stop, r);
        }
    }
    pthread_mutex_lock(&p.mu);
    while (p.running > 0) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p.cv, &p.mu, &ts);
        if (tick != NULL && p.running > 0) {
            pthread_mutex_unlock(&p.mu);
            tick(tick_arg);
            pthread_mutex_lock(&p.mu);
        }
    }
    pthread_mutex_unlock(&p.mu);
    for (t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    free(ws);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    return atomic_load(&p.stop);
}
