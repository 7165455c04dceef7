/*
 * crash_writer.c - the victim of the crash test: writes random blobs,
 * variants and releases into a store as fast as it can, and after each
 * commit has returned prints (and flushes) one line per item it made durable.
 *
 * For: tests/crash/crash-test.sh, which kills it with SIGKILL at random
 * moments and then checks with crash_check that every printed item survived.
 * Not for: anything else; it never stops on its own.
 *
 * Usage: crash_writer DIR RUN   (RUN: a number making this run's content unique)
 * Lines: B <hex> <size>          a blob committed
 *        V <hex> <enc>           a variant committed
 *        P <path> <hex>          a path bound by a committed release
 *        R <id> <files>          a release committed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "store.h"

#define MAX_BATCH 8
#define MAX_SIZE  (32 * 1024)

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void fill(unsigned char *buf, size_t len, uint64_t *x)
{
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = (unsigned char)next_rand(x);
}

/* gzip of in into out (cap bytes); returns the length or 0. */
static size_t gzip_into(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    size_t n = 0;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) == Z_STREAM_END)
        n = cap - zs.avail_out;
    deflateEnd(&zs);
    return n;
}

int main(int argc, char **argv)
{
    static unsigned char bufs[MAX_BATCH][MAX_SIZE], gz[MAX_SIZE + 1024];
    unsigned char digests[MAX_BATCH][STORE_DIGEST_LEN];
    size_t sizes[MAX_BATCH];
    struct store *st;
    char *end;
    unsigned long run;
    uint64_t x;
    unsigned iter;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: crash_writer DIR RUN\n");
        return 2;
    }
    run = strtoul(argv[2], &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "crash_writer: bad RUN\n");
        return 2;
    }
    rc = store_open(argv[1], NULL, &st);
    if (rc != STORE_OK) {
        fprintf(stderr, "crash_writer: open: %s\n", store_strerror(rc));
        return 1;
    }
    x = 0x9e3779b97f4a7c15ull * (run + 1);
    for (iter = 0;; iter++) {
        struct store_batch *b;
        char hex[STORE_HEX_LEN + 1];
        unsigned n = 1 + (unsigned)(next_rand(&x) % MAX_BATCH), i;
        size_t gz_len = 0;
        int text = (int)(next_rand(&x) % 2);

        for (i = 0; i < n; i++) {
            sizes[i] = 1 + (size_t)(next_rand(&x) % MAX_SIZE);
            if (text && i == 0) {
                size_t k;

                /* Compressible, so it gets a gzip variant. */
                for (k = 0; k < sizes[i]; k++)
                    bufs[i][k] = (unsigned char)("abcdefgh\n"[(k + iter) % 9]);
                bufs[i][0] = (unsigned char)iter;
                bufs[i][sizes[i] - 1] = (unsigned char)run;
            } else {
                fill(bufs[i], sizes[i], &x);
            }
            store_sha256(bufs[i], sizes[i], digests[i]);
        }
        if (text)
            gz_len = gzip_into(bufs[0], sizes[0], gz, sizeof(gz));
        rc = store_batch_begin(st, &b);
        for (i = 0; rc == STORE_OK && i < n; i++)
            rc = store_batch_put(b, digests[i], bufs[i], sizes[i], NULL);
        if (rc == STORE_OK && gz_len > 0)
            rc = store_batch_put_variant(b, digests[0], STORE_ENC_GZIP, gz, gz_len, NULL);
        if (rc == STORE_OK) {
            rc = store_batch_commit(b);
        } else {
            store_batch_abort(b);
        }
        if (rc != STORE_OK) {
            fprintf(stderr, "crash_writer: batch: %s\n", store_strerror(rc));
            return 1;
        }
        for (i = 0; i < n; i++) {
            store_digest_to_hex(digests[i], hex);
            printf("B %s %zu\n", hex, sizes[i]);
        }
        if (gz_len > 0) {
            store_digest_to_hex(digests[0], hex);
            printf("V %s %d\n", hex, STORE_ENC_GZIP);
        }
        fflush(stdout);

        /* Every third round, a release of this round's blobs. */
        if (iter % 3 == 2) {
            struct store_file files[MAX_BATCH];
            char paths[MAX_BATCH][64], id[64];

            for (i = 0; i < n; i++) {
                snprintf(paths[i], sizeof(paths[i]), "/crash/%lu/%u/%u.bin", run, iter, i);
                files[i].path = paths[i];
                files[i].path_len = strlen(paths[i]);
                memcpy(files[i].digest, digests[i], STORE_DIGEST_LEN);
                files[i].type = "application/octet-stream";
                files[i].type_len = strlen(files[i].type);
            }
            snprintf(id, sizeof(id), "run%lu-%u", run, iter);
            rc = store_publish(st, id, strlen(id), files, n, (int64_t)iter, NULL, NULL, NULL);
            if (rc != STORE_OK) {
                fprintf(stderr, "crash_writer: publish: %s\n", store_strerror(rc));
                return 1;
            }
            for (i = 0; i < n; i++) {
                store_digest_to_hex(digests[i], hex);
                printf("P %s %s\n", paths[i], hex);
            }
            printf("R %s %u\n", id, n);
            fflush(stdout);
        }
    }
}
