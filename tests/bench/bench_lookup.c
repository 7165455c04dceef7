/*
 * bench_lookup.c - store_lookup() of random published paths at 10,000 and
 * 1,000,000 assets (GitHub issue 6: "the cost must stay flat as the store
 * grows").
 *
 * For: tests/bench/bench-lookup.sh (which also measures the same stores over
 * HTTP) and RESULTS.md "## Lookups". Not for: ctest (a benchmark; figures
 * depend on the machine).
 *
 * Usage: bench_lookup [--build-only [--size N]] [--rounds R] [--lookups L] DIR
 *   Builds DIR/s10000 and DIR/s1000000 (unless DIR/sN/paths.txt exists): N
 *   blobs of 1-2 KiB random bytes, put in batches of 10,000 and published as
 *   releases of 10,000 paths "/assets/a/<hex16>.css" (text/css, no variants),
 *   and writes DIR/sN/paths.txt (one path a line, for the wrk Lua script).
 *   --build-only --size N builds only DIR/sN (N a multiple of 10,000; for
 *   bench-scale.sh's catch-up peers) and exits.
 *   Then, in this one process, alternates 10k, 1M, 10k, 1M... for R rounds
 *   (3) of L lookups (2,000,000) each and prints per-CPU-second medians:
 *     gen      the loop without the lookup (PRNG index -> path string);
 *     lookup   store_lookup() (path -> asset incl. gzip/br variants) in one
 *              long reader;
 *     request  store_reader_begin + store_lookup + store_reader_end, what the
 *              server does per request;
 *   and the ratios 1M/10k. The path of a lookup is generated from a PRNG
 *   index (16 hex digits of a 64-bit mix), so the benchmark's own data is a
 *   few bytes: no key array adds cache misses of its own.
 *   Before measuring, every path of the store is looked up once in order
 *   (page faults of the map are not measured).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "store.h"

#define RELEASE_PATHS 10000
#define PATH_LEN      30 /* "/assets/a/" + 16 hex + ".css" */

static const size_t sizes[2] = {10000, 1000000};

static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The path of asset i: 30 bytes, no NUL. */
static void make_path(uint64_t i, char out[PATH_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h = mix64(i ^ 0x5eed);
    int k;

    memcpy(out, "/assets/a/", 10);
    for (k = 0; k < 16; k++)
        out[10 + k] = hex[(h >> (60 - 4 * k)) & 15];
    memcpy(out + 26, ".css", 4);
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_lookup: %s: %s\n", what, store_strerror(rc));
    exit(1);
}

static void problem(void *arg, enum store_problem_kind kind, const char *path, size_t path_len,
                    const unsigned char digest[STORE_DIGEST_LEN])
{
    (void)arg;
    (void)digest;
    fprintf(stderr, "bench_lookup: publish problem %d: %.*s\n", (int)kind, (int)path_len, path);
}

/* Builds a store of n assets in dir and writes dir/paths.txt. */
static void build(const char *dir, size_t n)
{
    struct store *st;
    struct store_options o = {0};
    struct store_file *files = malloc(sizeof(*files) * RELEASE_PATHS);
    char *paths = malloc((size_t)PATH_LEN * RELEASE_PATHS);
    unsigned char buf[2048];
    char fname[600];
    FILE *pf;
    double t0 = clock_mono_s();
    size_t i, j;
    int rc;

    o.map_size = 8ull << 30;
    rc = store_open(dir, &o, &st);
    if (rc != STORE_OK)
        die("open", rc);
    for (i = 0; i < n; i += RELEASE_PATHS) {
        struct store_batch *b;
        size_t end = i + RELEASE_PATHS < n ? i + RELEASE_PATHS : n;
        char id[32];

        rc = store_batch_begin(st, &b);
        if (rc != STORE_OK)
            die("batch_begin", rc);
        for (j = i; j < end; j++) {
            struct store_file *f = &files[j - i];
            uint64_t x = mix64(j) | 1;
            size_t len = 1024 + (size_t)(mix64(j + 77) % 1025), k;

            for (k = 0; k < len; k += 8) {
                uint64_t v = rnd(&x);
                memcpy(buf + k, &v, 8);
            }
            store_sha256(buf, len, f->digest);
            rc = store_batch_put(b, f->digest, buf, len, NULL);
            if (rc != STORE_OK)
                die("batch_put", rc);
            f->path = paths + (j - i) * PATH_LEN;
            make_path(j, (char *)f->path);
            f->path_len = PATH_LEN;
            f->type = "text/css";
            f->type_len = 8;
        }
        rc = store_batch_commit(b);
        if (rc != STORE_OK)
            die("commit", rc);
        snprintf(id, sizeof(id), "r%06zu", i / RELEASE_PATHS);
        rc = store_publish(st, id, strlen(id), files, end - i, 1700000000 + (int64_t)i, NULL,
                           problem, NULL);
        if (rc != STORE_OK)
            die("publish", rc);
    }
    store_close(st);
    snprintf(fname, sizeof(fname), "%s/paths.txt", dir);
    pf = fopen(fname, "w");
    if (pf == NULL) {
        perror(fname);
        exit(1);
    }
    for (i = 0; i < n; i++) {
        char p[PATH_LEN];

        make_path(i, p);
        fprintf(pf, "%.*s\n", PATH_LEN, p);
    }
    fclose(pf);
    printf("built %s: %zu assets in %.1f s\n", dir, n, clock_mono_s() - t0);
    fflush(stdout);
    free(files);
    free(paths);
}

enum mode { M_GEN, M_LOOKUP, M_REQUEST, M_COUNT };
static const char *const mode_name[M_COUNT] = {"gen", "lookup", "request"};

/* L random lookups in store st of n assets; returns lookups per CPU-second. */
static double measure(struct store *st, size_t n, size_t l, enum mode m, uint64_t seed)
{
    struct store_reader *r = NULL;
    struct store_asset a;
    uint64_t x = seed | 1, sum = 0;
    double c0, c1;
    size_t i;
    int rc;

    if (m == M_LOOKUP && (rc = store_reader_begin(st, &r)) != STORE_OK)
        die("reader", rc);
    c0 = cpu_s();
    for (i = 0; i < l; i++) {
        char p[PATH_LEN];

        make_path(rnd(&x) % n, p);
        if (m == M_GEN) {
            sum += (unsigned char)p[12];
            continue;
        }
        if (m == M_REQUEST && (rc = store_reader_begin(st, &r)) != STORE_OK)
            die("reader", rc);
        rc = store_lookup(r, p, PATH_LEN, &a);
        if (rc != STORE_OK)
            die("lookup", rc);
        sum += a.body[STORE_ENC_IDENTITY].len + a.type_len + (a.body[STORE_ENC_GZIP].data != NULL);
        if (m == M_REQUEST)
            store_reader_end(r);
    }
    c1 = cpu_s();
    if (m == M_LOOKUP)
        store_reader_end(r);
    if (sum == 1)
        puts(""); /* keep the work */
    return (double)l / (c1 - c0);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *top = NULL;
    int build_only = 0, rounds = 3;
    size_t lookups = 2000000, one_size = 0;
    struct store *st[2];
    double res[2][M_COUNT][16], med[2][M_COUNT];
    int a, s, k, rc;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--build-only") == 0)
            build_only = 1;
        else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc)
            rounds = atoi(argv[++a]);
        else if (strcmp(argv[a], "--lookups") == 0 && a + 1 < argc)
            lookups = strtoul(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "--size") == 0 && a + 1 < argc)
            one_size = strtoul(argv[++a], NULL, 10);
        else if (argv[a][0] != '-' && top == NULL)
            top = argv[a];
        else
            top = NULL, a = argc;
    }
    if (top == NULL || rounds < 1 || rounds > 16 || lookups < 1 ||
        (one_size != 0 && (!build_only || one_size % RELEASE_PATHS != 0))) {
        fprintf(stderr, "usage: bench_lookup [--build-only [--size N]] [--rounds R<=16] "
                        "[--lookups L] DIR\n");
        return 2;
    }
    mkdir(top, 0755);
    if (one_size != 0) {
        char dir[512], pf[600];
        struct stat sb;

        snprintf(dir, sizeof(dir), "%s/s%zu", top, one_size);
        snprintf(pf, sizeof(pf), "%s/paths.txt", dir);
        if (stat(pf, &sb) != 0)
            build(dir, one_size);
        return 0;
    }
    for (s = 0; s < 2; s++) {
        char dir[512], pf[600];
        struct stat sb;

        snprintf(dir, sizeof(dir), "%s/s%zu", top, sizes[s]);
        snprintf(pf, sizeof(pf), "%s/paths.txt", dir);
        if (stat(pf, &sb) != 0)
            build(dir, sizes[s]);
    }
    if (build_only)
        return 0;

    for (s = 0; s < 2; s++) {
        char dir[512];
        struct store_reader *r;
        struct store_asset as;
        double t0 = clock_mono_s();
        size_t i;

        snprintf(dir, sizeof(dir), "%s/s%zu", top, sizes[s]);
        rc = store_open(dir, NULL, &st[s]);
        if (rc != STORE_OK)
            die("open", rc);
        /* Warm: every path once, in order (faults the map in). */
        if ((rc = store_reader_begin(st[s], &r)) != STORE_OK)
            die("reader", rc);
        for (i = 0; i < sizes[s]; i++) {
            char p[PATH_LEN];

            make_path(i, p);
            if ((rc = store_lookup(r, p, PATH_LEN, &as)) != STORE_OK)
                die("warm lookup", rc);
        }
        store_reader_end(r);
        printf("warmed %s (%zu paths) in %.2f s\n", dir, sizes[s], clock_mono_s() - t0);
    }
    for (k = 0; k < rounds; k++) {
        for (s = 0; s < 2; s++) {
            int m;

            for (m = 0; m < M_COUNT; m++)
                res[s][m][k] = measure(st[s], sizes[s], lookups, (enum mode)m,
                                       (uint64_t)(k * 7 + s * 3 + m + 1) * 0x9e3779b9ull);
            printf("round %d, %7zu assets: gen %.2f M/s  lookup %.3f M/s  request %.3f M/s (per "
                   "CPU-s)\n",
                   k + 1, sizes[s], res[s][M_GEN][k] / 1e6, res[s][M_LOOKUP][k] / 1e6,
                   res[s][M_REQUEST][k] / 1e6);
            fflush(stdout);
        }
    }
    for (s = 0; s < 2; s++) {
        int m;

        for (m = 0; m < M_COUNT; m++) {
            qsort(res[s][m], (size_t)rounds, sizeof(double), cmp_d);
            med[s][m] = res[s][m][rounds / 2];
        }
        store_close(st[s]);
    }
    printf("\nmedians of %d rounds, %zu random lookups each, per CPU-second:\n", rounds, lookups);
    printf("| measure | 10,000 assets | 1,000,000 assets | ratio 1M/10k |\n|---|---:|---:|---:|\n");
    for (k = 0; k < M_COUNT; k++) {
        printf("| %s | %.3f M/s (%.0f ns) | %.3f M/s (%.0f ns) | %.2f |\n", mode_name[k],
               med[0][k] / 1e6, 1e9 / med[0][k], med[1][k] / 1e6, 1e9 / med[1][k],
               med[1][k] / med[0][k]);
    }
    /* The loop itself (PRNG + path string) subtracted: the store's own cost. */
    for (k = M_LOOKUP; k < M_COUNT; k++) {
        double n10 = 1e9 / med[0][k] - 1e9 / med[0][M_GEN];
        double n1m = 1e9 / med[1][k] - 1e9 / med[1][M_GEN];

        printf("%s minus gen: %.0f ns at 10k, %.0f ns at 1M: ratio (cost) %.2f\n", mode_name[k],
               n10, n1m, n1m / n10);
    }
    return 0;
}
