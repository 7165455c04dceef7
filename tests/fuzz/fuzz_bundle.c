/*
 * fuzz_bundle.c - libFuzzer driver: the upload bundle of POST /v1/bundle
 * (kind | sha256 | be64 length | bytes records), framed exactly as
 * server/admin.c's do_bundle() does it (static there; mirrored, see
 * tests/fuzz/README.md), then put in one store batch and committed to a
 * scratch store.
 *
 * Asserts: framing never reads past the body; a record whose bytes do not
 * hash to its digest is refused (EDIGEST) unless that digest is already
 * stored or earlier in the same bundle (then it is a documented no-op that
 * does not read the bytes: store.h, store_put_blob), a variant that does not decode to
 * its blob is refused (EVARIANT), and after a commit every identity record is
 * readable with exactly its bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "store.h"

#define BUNDLE_HDR_LEN (1 + STORE_DIGEST_LEN + 8)
#define MAX_BLOB       (1u << 20)

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
 * (records body[0..upto)). */
static int already_there(const unsigned char *body, uint64_t upto, const unsigned char *digest)
{
    struct store_reader *rd = NULL;
    struct store_blob bl;
    uint64_t off = 0;
    int found = 0;

    CHECK(store_reader_begin(st, &rd) == STORE_OK);
    found = store_get_blob(rd, digest, STORE_ENC_IDENTITY, &bl) == STORE_OK && bl.data != NULL;
    store_reader_end(rd);
    while (!found && off < upto) {
        uint64_t len = 0;
        int i;

        for (i = 0; i < 8; i++)
            len = (len << 8) | body[off + 1 + STORE_DIGEST_LEN + i];
        if (body[off] == STORE_ENC_IDENTITY && memcmp(body + off + 1, digest, STORE_DIGEST_LEN) == 0)
            found = 1;
        off += BUNDLE_HDR_LEN + len;
    }
    return found;
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *body = (unsigned char *)fuzz_exact((const char *)data, size);
    uint64_t off = 0;
    struct store_batch *b = NULL;
    struct store_reader *rd = NULL;
    int err, ok = 1;

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    if (body == NULL)
        return 0;
    while (off < size) { /* framing pass: 400/413 before any store call */
        uint64_t len;

        if (size - off < BUNDLE_HDR_LEN || body[off] > STORE_ENC_BR)
            goto out;
        len = be64(body + off + 1 + STORE_DIGEST_LEN);
        if (len > size - off - BUNDLE_HDR_LEN || len > MAX_BLOB)
            goto out;
        off += BUNDLE_HDR_LEN + len;
    }
    CHECK(off == size);
    if (store_batch_begin(st, &b) != STORE_OK)
        goto out;
    for (off = 0; off < size;) {
        int kind = body[off], made = 0;
        const unsigned char *digest = body + off + 1;
        uint64_t len = be64(body + off + 1 + STORE_DIGEST_LEN);
        const unsigned char *p = body + off + BUNDLE_HDR_LEN;
        unsigned char real[STORE_DIGEST_LEN];

        if (kind == STORE_ENC_IDENTITY) {
            int there = already_there(body, off, digest);

            err = store_batch_put(b, digest, p, (size_t)len, &made);
            store_sha256(p, (size_t)len, real);
            if (memcmp(real, digest, STORE_DIGEST_LEN) != 0 && !there)
                CHECK(err == STORE_EDIGEST);
            if (err == STORE_OK)
                CHECK(made == !there);
        } else {
            err = store_batch_put_variant(b, digest, kind, p, (size_t)len, &made);
        }
        if (err != STORE_OK) {
            CHECK(err == STORE_EDIGEST || err == STORE_EVARIANT || err == STORE_ENOTFOUND ||
                  err == STORE_EFULL || err == STORE_ETOOBIG);
            ok = 0;
            break;
        }
        off += BUNDLE_HDR_LEN + len;
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
    for (off = 0; off < size;) {
        uint64_t len = be64(body + off + 1 + STORE_DIGEST_LEN);
        struct store_blob bl;

        if (body[off] == STORE_ENC_IDENTITY) {
            unsigned char real[STORE_DIGEST_LEN];

            /* the stored bytes are the ones that hash to the digest */
            CHECK(store_get_blob(rd, body + off + 1, STORE_ENC_IDENTITY, &bl) == STORE_OK);
            store_sha256(bl.data, bl.len, real);
            CHECK(memcmp(real, body + off + 1, STORE_DIGEST_LEN) == 0);
        }
        off += BUNDLE_HDR_LEN + len;
    }
    store_reader_end(rd);
out:
    free(body);
    return 0;
}
