/*
 * bench_admin_body.c - speed of api/admin_body.c's canonical-form scanners
 * against its jansson path, on the bodies origin-ingest sends: a 20,000-entry
 * POST /v1/missing ({"digests":[...]}) and PUT /v1/releases/<id>
 * ({"files":[...]}) body, parsed the same number of times each way.
 *
 * For: the figure cited beside the scanners in admin_body.c. Not for: ctest
 * (a benchmark, not a test; its figures depend on the machine).
 *
 * Usage: bench_admin_body [ENTRIES [ROUNDS]]   (defaults 20000 and 20)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_body.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A digest's hex that differs for every i. */
static void hex_of(size_t i, char out[STORE_HEX_LEN + 1])
{
    unsigned char d[STORE_DIGEST_LEN];

    memset(d, 0, sizeof(d));
    memcpy(d, &i, sizeof(i));
    store_digest_to_hex(d, out);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    size_t rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 20;
    size_t cap = 64 + n * 200, len_m = 0, len_r = 0, i, r, got;
    char *missing = malloc(cap), *release = malloc(cap), hex[STORE_HEX_LEN + 1], why[256];
    double t0, fast_m, json_m, fast_r, json_r;

    if (missing == NULL || release == NULL || n == 0 || rounds == 0)
        return 1;
    len_m += (size_t)snprintf(missing, cap, "{\"digests\":[");
    len_r += (size_t)snprintf(release, cap, "{\"files\":[");
    for (i = 0; i < n; i++) {
        hex_of(i, hex);
        len_m += (size_t)snprintf(missing + len_m, cap - len_m, "%s\"%s\"", i ? "," : "", hex);
        len_r += (size_t)snprintf(release + len_r, cap - len_r,
                                  "%s{\"path\":\"/assets/file-%06zu.js\",\"sha256\":\"%s\","
                                  "\"type\":\"text/javascript\"}",
                                  i ? "," : "", i, hex);
    }
    len_m += (size_t)snprintf(missing + len_m, cap - len_m, "]}");
    len_r += (size_t)snprintf(release + len_r, cap - len_r, "]}");

    t0 = now_s();
    for (r = 0; r < rounds; r++) {
        unsigned char(*d)[STORE_DIGEST_LEN] = NULL;

        if (admin_parse_missing_fast(missing, len_m, n + 1, &d, &got) != 0 || got != n)
            return 1;
        free(d);
    }
    fast_m = (now_s() - t0) / (double)rounds;
    t0 = now_s();
    for (r = 0; r < rounds; r++) {
        unsigned char(*d)[STORE_DIGEST_LEN] = NULL;

        if (admin_parse_missing_json(missing, len_m, n + 1, &d, &got, why, sizeof(why)) !=
                ADMIN_BODY_OK ||
            got != n)
            return 1;
        free(d);
    }
    json_m = (now_s() - t0) / (double)rounds;
    t0 = now_s();
    for (r = 0; r < rounds; r++) {
        struct store_file *f = NULL;

        if (admin_parse_release_fast(release, len_r, &f, &got) != 0 || got != n)
            return 1;
        free(f);
    }
    fast_r = (now_s() - t0) / (double)rounds;
    t0 = now_s();
    for (r = 0; r < rounds; r++) {
        struct admin_release rel;

        if (admin_parse_release_json(release, len_r, &rel, why, sizeof(why)) != ADMIN_BODY_OK ||
            rel.n != n)
            return 1;
        admin_release_free(&rel);
    }
    json_r = (now_s() - t0) / (double)rounds;
    printf("%zu entries, %zu rounds, ms per body (scanner / jansson):\n", n, rounds);
    printf("  missing %zu bytes: %.2f / %.2f (%.1fx)\n", len_m, fast_m * 1e3, json_m * 1e3,
           json_m / fast_m);
    printf("  release %zu bytes: %.2f / %.2f (%.1fx)\n", len_r, fast_r * 1e3, json_r * 1e3,
           json_r / fast_r);
    free(missing);
    free(release);
    return 0;
}
