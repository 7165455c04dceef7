/*
 * crash_check.c - the judge of the crash test: opens a store left behind by
 * a SIGKILLed crash_writer, runs store_fsck, and checks that every item the
 * writer reported as committed is there and verifies.
 *
 * For: tests/crash/crash-test.sh. Not for: general store checking (that is
 * `origind fsck`).
 *
 * Usage: crash_check DIR LOG...   Exit 0 if everything verifies. A last line
 * without its newline (the writer died while printing) is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct counts {
    unsigned long blobs, variants, paths, releases, bad;
};

static void on_bad(void *arg, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                   const char *why)
{
    char hex[STORE_HEX_LEN + 1];

    (void)arg;
    store_digest_to_hex(digest, hex);
    fprintf(stderr, "crash_check: fsck: %s enc %d: %s\n", hex, enc, why);
}

static int count_file(void *arg, const struct store_file *f)
{
    (void)f;
    ++*(size_t *)arg;
    return 0;
}

/* Checks one reported line; returns 0 if it verifies. */
static int check_line(struct store_reader *r, const char *line, struct counts *c)
{
    char a[1100], b[100];
    unsigned char d[STORE_DIGEST_LEN], got[STORE_DIGEST_LEN];
    unsigned long num;
    struct store_blob blob;
    struct store_asset asset;

    if (sscanf(line, "B %99s %lu", b, &num) == 2) {
        c->blobs++;
        if (store_digest_from_hex(b, strlen(b), d) != STORE_OK ||
            store_get_blob(r, d, STORE_ENC_IDENTITY, &blob) != STORE_OK || blob.len != num)
            return -1;
        store_sha256(blob.data, blob.len, got);
        return memcmp(got, d, STORE_DIGEST_LEN) == 0 ? 0 : -1;
    }
    if (sscanf(line, "V %99s %lu", b, &num) == 2) {
        c->variants++;
        if (store_digest_from_hex(b, strlen(b), d) != STORE_OK)
            return -1;
        return store_get_blob(r, d, (int)num, &blob) == STORE_OK && blob.len > 0 ? 0 : -1;
    }
    if (sscanf(line, "P %1099s %99s", a, b) == 2) {
        c->paths++;
        if (store_digest_from_hex(b, strlen(b), d) != STORE_OK ||
            store_lookup(r, a, strlen(a), &asset) != STORE_OK)
            return -1;
        return memcmp(asset.digest, d, STORE_DIGEST_LEN) == 0 ? 0 : -1;
    }
    if (sscanf(line, "R %99s %lu", b, &num) == 2) {
        size_t files = 0;

        c->releases++;
        if (store_release_get(r, b, strlen(b), NULL, count_file, &files) != STORE_OK)
            return -1;
        return files == num ? 0 : -1;
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct store *st = NULL;
    struct store_reader *r = NULL;
    struct counts c;
    uint64_t checked = 0;
    int rc, i, status = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: crash_check DIR LOG...\n");
        return 2;
    }
    memset(&c, 0, sizeof(c));
    rc = store_open(argv[1], NULL, &st);
    if (rc != STORE_OK) {
        fprintf(stderr, "crash_check: open: %s\n", store_strerror(rc));
        goto out;
    }
    rc = store_fsck(st, &checked, on_bad, NULL);
    if (rc != STORE_OK) {
        fprintf(stderr, "crash_check: fsck: %s\n", store_strerror(rc));
        goto out;
    }
    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        goto out;
    for (i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        char line[1400];

        if (f == NULL) {
            perror(argv[i]);
            goto out;
        }
        while (fgets(line, sizeof(line), f) != NULL) {
            size_t len = strlen(line);

            if (len == 0 || line[len - 1] != '\n')
                continue; /* torn last line */
            if (check_line(r, line, &c) != 0) {
                fprintf(stderr, "crash_check: %s: reported committed but lost: %s", argv[i], line);
                c.bad++;
            }
        }
        fclose(f);
    }
    printf("crash_check: fsck checked %llu objects; verified %lu blobs, %lu variants, %lu "
           "paths, %lu releases; %lu lost\n",
           (unsigned long long)checked, c.blobs, c.variants, c.paths, c.releases, c.bad);
    status = c.bad == 0 ? 0 : 1;
out:
    store_reader_end(r);
    store_close(st);
    return status;
}
