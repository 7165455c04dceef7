/*
 * fuzz_bundle.c - libFuzzer driver: the upload bundle of POST /v1/bundle
 * (kind | sha256 | be64 length | bytes records), framed by
 * admin_bundle_next() (server/admin_body.c, what do_bundle() calls), then put
 * in one store batch and committed to a scratch store.
 *
 * Asserts: framing never reads past the body, accepts a body exactly when
 * its records tile it, and a rejection carries a reason; a record whose
 * bytes do not hash to its digest is refused (EDIGEST) unless that digest is
 * already stored or earlier in the same bundle (then it is a documented
 * no-op that does not read the bytes: store.h, store_put_blob), a variant
 * that does not decode to its blob is refused (EVARIANT), and after a commit
 * every identity record is readable with exactly its bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_body.h"
#include "fuzz_util.h"
#include "store.h"

#define MAX_BLOB (1u << 20)

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_bundle: property failed: %s (line %d)\n", #c, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct store *st;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    st = fuzz_store_open();
    return 0;
}

/* 1 if digest is committed in the store or was put earlier in this bundle
 * (records body[0..upto), already framed). */
static int already_there(const unsigned char *body, size_t upto, const unsigned char *digest)
{
    struct store_reader *rd = NULL;
    struct store_blob bl;
    struct admin_bundle_record rec;
    size_t off = 0;
    int found = 0;

    CHECK(store_reader_begin(st, &rd) == STORE_OK);
    found = store_get_blob(rd, digest, STORE_ENC_IDENTITY, &bl) == STORE_OK && bl.data != NULL;
    store_reader_end(rd);
    while (!found && admin_bundle_next(body, upto, &off, &rec, NULL, 0) > 0)
        if (rec.kind == STORE_ENC_IDENTITY && memcmp(rec.digest, digest, STORE_DIGEST_LEN) == 0)
            found = 1;
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *body = (unsigned char *)fuzz_exact((const char *)data, size);
    size_t off = 0, prev;
    struct admin_bundle_record rec;
    struct store_batch *b = NULL;
    struct store_reader *rd = NULL;
    char why[ADMIN_WHY_MAX];
    uint64_t count = 0;
    int err, got, ok = 1;

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    if (body == NULL)
        return 0;
    /* framing pass: 400/413 before any store call */
    for (;;) {
        prev = off;
        why[0] = '\0';
        got = admin_bundle_next(body, size, &off, &rec, why, sizeof(why));
        if (got <= 0)
            break;
        CHECK(rec.index == count);
        CHECK(rec.kind < STORE_ENC_COUNT);
        CHECK(rec.digest == body + prev + 1);
        CHECK(rec.data == body + prev + ADMIN_BUNDLE_HDR_LEN);
        CHECK(off == prev + ADMIN_BUNDLE_HDR_LEN + rec.len && off <= size);
        count++;
        if (rec.len > MAX_BLOB)
            goto out; /* 413 */
    }
    if (got < 0) {
        CHECK(why[0] != '\0' && off == prev); /* 400 with a reason */
        goto out;
    }
    CHECK(off == size);
    if (store_batch_begin(st, &b) != STORE_OK)
        goto out;
    off = 0;
    while (admin_bundle_next(body, size, &off, &rec, NULL, 0) > 0) {
        int made = 0;
        unsigned char real[STORE_DIGEST_LEN];

        if (rec.kind == STORE_ENC_IDENTITY) {
            int there = already_there(body, off - ADMIN_BUNDLE_HDR_LEN - rec.len, rec.digest);

            err = store_batch_put(b, rec.digest, rec.data, rec.len, &made);
            store_sha256(rec.data, rec.len, real);
            if (memcmp(real, rec.digest, STORE_DIGEST_LEN) != 0 && !there)
                CHECK(err == STORE_EDIGEST);
            if (err == STORE_OK)
                CHECK(made == !there);
        } else {
            err = store_batch_put_variant(b, rec.digest, (int)rec.kind, rec.data, rec.len, &made);
        }
        if (err != STORE_OK) {
            CHECK(err == STORE_EDIGEST || err == STORE_EVARIANT || err == STORE_ENOTFOUND ||
                  err == STORE_EFULL || err == STORE_ETOOBIG);
            ok = 0;
            break;
        }
    }
    if (!ok) {
        store_batch_abort(b);
        goto out;
    }
    err = store_batch_commit(b);
    CHECK(err == STORE_OK || err == STORE_EFULL);
    if (err != STORE_OK)
        goto out;
    CHECK(store_reader_begin(st, &rd) == STORE_OK);
    off = 0;
    while (admin_bundle_next(body, size, &off, &rec, NULL, 0) > 0) {
        struct store_blob bl;

        if (rec.kind == STORE_ENC_IDENTITY) {
            unsigned char real[STORE_DIGEST_LEN];

            /* the stored bytes are the ones that hash to the digest */
            CHECK(store_get_blob(rd, rec.digest, STORE_ENC_IDENTITY, &bl) == STORE_OK);
            store_sha256(bl.data, bl.len, real);
            CHECK(memcmp(real, rec.digest, STORE_DIGEST_LEN) == 0);
        }
    }
    store_reader_end(rd);
out:
    free(body);
    return 0;
}
