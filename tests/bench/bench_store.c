/*
 * bench_store.c - speed figures for store/: batched commits, the missing
 * check, lookups at 10k vs 1M blobs, and SHA-256 throughput.
 *
 * For: tests/bench/bench-store.sh, which also measures `openssl speed` and
 * records results in RESULTS.md. Not for: ctest (a benchmark, not a test;
 * it takes minutes and its figures depend on the machine).
 *
 * Usage: bench_store DIR [OPENSSL_SHA256_KBYTES_PER_S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "store.h"

#define COMMIT_BLOBS 10000
#define BATCH_DEF    500
#define MISSING_N    100000
#define LOOKUPS      1000000
#define SMALL_LEN    64

/* CPU time of this process: on a shared machine, what `openssl speed`
 * measures by default (user time), so the two compare fairly. */
static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = (unsigned char)rnd(&x);
}

static int die(const char *what, int rc)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, store_strerror(rc));
    exit(1);
}

/* Puts blobs [from, to) of SMALL_LEN bytes (seeded by index) in batches. */
static void put_small(struct store *st, size_t from, size_t to, unsigned char (*d)[32])
{
    unsigned char buf[SMALL_LEN];
    size_t i;
    int rc;

    for (i = from; i < to;) {
        struct store_batch *b;
        size_t end = i + 10000 < to ? i + 10000 : to;

        rc = store_batch_begin(st, &b);
        if (rc != STORE_OK)
            die("batch_begin", rc);
        for (; i < end; i++) {
            fill(buf, sizeof(buf), 1000000000ull + i);
            store_sha256(buf, sizeof(buf), d[i]);
            rc = store_batch_put(b, d[i], buf, sizeof(buf), NULL);
            if (rc != STORE_OK)
                die("batch_put", rc);
        }
        rc = store_batch_commit(b);
        if (rc != STORE_OK)
            die("commit", rc);
    }
}

/* Random lookups among the first n blobs; returns lookups per CPU-second. */
static double lookups(struct store *st, unsigned char (*d)[32], size_t n)
{
    struct store_reader *r;
    struct store_blob blob;
    uint64_t x = 12345, sum = 0;
    double t0, t1;
    size_t i;
    int rc;

    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        die("reader", rc);
    /* Warm the map: one pass over the keys in random order. */
    for (i = 0; i < n; i++)
        store_get_blob(r, d[rnd(&x) % n], STORE_ENC_IDENTITY, &blob);
    t0 = cpu_s();
    for (i = 0; i < LOOKUPS; i++) {
        rc = store_get_blob(r, d[rnd(&x) % n], STORE_ENC_IDENTITY, &blob);
        if (rc != STORE_OK)
            die("get_blob", rc);
        sum += ((const unsigned char *)blob.data)[0];
    }
    t1 = cpu_s();
    store_reader_end(r);
    if (sum == 1)
        puts(""); /* keep the reads */
    return LOOKUPS / (t1 - t0);
}

int main(int argc, char **argv)
{
    struct store *st;
    struct store_options o = {0};
    char dir[512];
    unsigned char *pool, (*d)[32], *miss;
    size_t *off, *len, i, bytes = 0, present = 0;
    double t0, t1, c0, c1, rate, ms, l10k, l1m, hash_mbs;
    double openssl_kbs = argc > 2 ? strtod(argv[2], NULL) : 0;
    uint64_t x = 42;
    size_t batch = BATCH_DEF;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_store DIR [OPENSSL_SHA256_KBYTES_PER_S]\n");
        return 2;
    }
    o.map_size = 8ull << 30;
    if (getenv("BENCH_STORE_BATCH") != NULL) /* blobs per commit, default 500 */
        batch = strtoul(getenv("BENCH_STORE_BATCH"), NULL, 10);
    if (batch < 1)
        batch = BATCH_DEF;

    /* 1. 10,000 blobs of 1..64 KiB, batches of BATCH, durable commits. */
    snprintf(dir, sizeof(dir), "%s/commit", argv[1]);
    rc = store_open(dir, &o, &st);
    if (rc != STORE_OK)
        die("open", rc);
    pool = malloc(65536 + COMMIT_BLOBS);
    d = malloc(sizeof(*d) * (LOOKUPS > MISSING_N ? LOOKUPS : MISSING_N));
    off = malloc(sizeof(*off) * COMMIT_BLOBS);
    len = malloc(sizeof(*len) * COMMIT_BLOBS);
    miss = malloc(MISSING_N);
    fill(pool, 65536 + COMMIT_BLOBS, 7);
    for (i = 0; i < COMMIT_BLOBS; i++) {
        off[i] = i;
        len[i] = 1024 + (size_t)(rnd(&x) % (65536 - 1024 + 1));
        bytes += len[i];
        store_sha256(pool + off[i], len[i], d[i]); /* the client's digests */
    }
    t0 = clock_mono_s();
    c0 = cpu_s();
    for (i = 0; i < COMMIT_BLOBS;) {
        struct store_batch *b;
        size_t end = i + batch;

        rc = store_batch_begin(st, &b);
        if (rc != STORE_OK)
            die("batch_begin", rc);
        for (; i < end && i < COMMIT_BLOBS; i++) {
            rc = store_batch_put(b, d[i], pool + off[i], len[i], NULL);
            if (rc != STORE_OK)
                die("batch_put", rc);
        }
        rc = store_batch_commit(b);
        if (rc != STORE_OK)
            die("commit", rc);
    }
    t1 = clock_mono_s();
    c1 = cpu_s();
    rate = COMMIT_BLOBS / (t1 - t0);
    printf("commit: %d blobs (%.1f MiB, 1-64 KiB) in batches of %zu: %.3f s wall (%.3f s CPU) = "
           "%.0f blobs/s (%.0f MiB/s)  target >= 10000 blobs/s: %s\n",
           COMMIT_BLOBS, bytes / 1048576.0, batch, t1 - t0, c1 - c0, rate,
           bytes / 1048576.0 / (t1 - t0), rate >= 10000 ? "PASS" : "FAIL");

    if (getenv("BENCH_STORE_COMMIT_ONLY") != NULL) { /* for profiling the commit phase */
        store_close(st);
        return 0;
    }

    /* 2. Missing check: the 10,000 present + 90,000 absent digests. */
    for (i = COMMIT_BLOBS; i < MISSING_N; i++)
        fill(d[i], 32, i);
    t0 = clock_mono_s();
    rc = store_missing(st, (const unsigned char(*)[32])d, MISSING_N, miss);
    t1 = clock_mono_s();
    if (rc != STORE_OK)
        die("missing", rc);
    for (i = 0; i < MISSING_N; i++)
        present += !miss[i];
    ms = (t1 - t0) * 1000;
    printf("missing: %d digests (%zu present) in %.1f ms  target < 100 ms: %s\n", MISSING_N,
           present, ms, ms < 100 && present == COMMIT_BLOBS ? "PASS" : "FAIL");
    store_close(st);

    /* 3. Lookups at 10,000 vs 1,000,000 small blobs. */
    snprintf(dir, sizeof(dir), "%s/lookup", argv[1]);
    rc = store_open(dir, &o, &st);
    if (rc != STORE_OK)
        die("open", rc);
    put_small(st, 0, 10000, d);
    l10k = lookups(st, d, 10000);
    put_small(st, 10000, LOOKUPS, d);
    l1m = lookups(st, d, LOOKUPS);
    printf("lookups (per CPU-second, random digests): %.0f/s at 10,000 blobs, %.0f/s at 1,000,000 "
           "blobs: ratio %.2f  "
           "(within 10%%: %s)\n",
           l10k, l1m, l1m / l10k, l1m / l10k >= 0.9 ? "yes" : "no");
    store_close(st);

    /* 4. SHA-256 of large blobs (what put does) vs openssl speed. */
    {
        size_t big = 64u << 20;
        unsigned char *buf = malloc(big), out[32];
        int k, reps = 8;

        fill(buf, big, 3);
        store_sha256(buf, big, out); /* warm */
        t0 = clock_mono_s();
        c0 = cpu_s();
        for (k = 0; k < reps; k++)
            store_sha256(buf, big, out);
        t1 = clock_mono_s();
        c1 = cpu_s();
        printf("sha256: %.0f MB/s wall-clock on 64 MiB blobs\n",
               (double)big * reps / (t1 - t0) / 1e6);
        hash_mbs = (double)big * reps / (c1 - c0) / 1e6;
        if (openssl_kbs > 0)
            printf("sha256: %.0f MB/s per CPU-second on 64 MiB blobs; openssl speed -evp sha256 "
                   "(16 KiB, CPU time): "
                   "%.0f MB/s; ratio %.2f  target >= 0.90: %s\n",
                   hash_mbs, openssl_kbs / 1000, hash_mbs / (openssl_kbs / 1000),
                   hash_mbs / (openssl_kbs / 1000) >= 0.9 ? "PASS" : "FAIL");
        else
            printf("sha256: %.0f MB/s on 64 MiB blobs (no openssl figure given)\n", hash_mbs);
        free(buf);
    }
    free(pool);
    free(d);
    free(off);
    free(len);
    free(miss);
    return 0;
}
