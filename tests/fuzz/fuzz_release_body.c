/*
 * fuzz_release_body.c - libFuzzer driver: the release/manifest body of
 * PUT /v1/releases/<id>, parsed by server/admin_body.c's
 * admin_parse_release() (the code server/admin.c runs), then published with
 * store_publish() into a scratch store.
 *
 * Input: first line = the release id (as it arrives in the URL), rest = the
 * JSON body. Three blobs are present in the scratch store (the SHA-256 of "",
 * "a" and "b"), so inputs reach success, 409 conflict, 422 missing and 400
 * bad-entry paths. Asserts:
 *  - differential: when the canonical-form scanner admin_parse_release_fast()
 *    accepts, jansson (admin_parse_release_json()) accepts the same bytes
 *    with exactly the same (path, sha256, type) entries in the same order;
 *  - admin_parse_release() accepts exactly when the jansson parser does, with
 *    the same entries;
 *  - store_publish returns a documented code, and a successful publish can be
 *    read back and every path looked up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_body.h"
#include "fuzz_util.h"
#include "store.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_release_body: property failed: %s (line %d)\n", #c, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct store *st;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *seeds[] = {"", "a", "b"};
    unsigned char d[STORE_DIGEST_LEN];
    size_t i;

    st = fuzz_store_open();
    for (i = 0; i < 3; i++) {
        store_sha256(seeds[i], strlen(seeds[i]), d);
        CHECK(store_put_blob(st, d, seeds[i], strlen(seeds[i]), NULL) == STORE_OK);
    }
    return 0;
}

static size_t problems;

static void problem_cb(void *arg, enum store_problem_kind kind, const char *path, size_t path_len,
                       const unsigned char digest[STORE_DIGEST_LEN])
{
    CHECK(kind <= STORE_PROBLEM_BAD_ENTRY);
    if (path != NULL && path_len > 0)
        CHECK(path[0] == path[0] && path[path_len - 1] == path[path_len - 1]);
    problems++;
}

static int file_cb(void *arg, const struct store_file *f)
{
    struct store_asset a;

    CHECK(store_lookup(arg, f->path, f->path_len, &a) == STORE_OK);
    CHECK(memcmp(a.digest, f->digest, STORE_DIGEST_LEN) == 0);
    return 0;
}

/* Both lists hold the same entries, byte for byte. */
static int same_files(const struct store_file *a, const struct store_file *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (a[i].path_len != b[i].path_len || a[i].type_len != b[i].type_len ||
            memcmp(a[i].path, b[i].path, a[i].path_len) != 0 ||
            memcmp(a[i].type, b[i].type, a[i].type_len) != 0 ||
            memcmp(a[i].digest, b[i].digest, STORE_DIGEST_LEN) != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, id_len = 0, blen, nf = 0;
    const char *id_s = NULL, *body;
    char *id = NULL;
    struct store_file *fast = NULL;
    struct admin_release slow = {NULL, 0, NULL}, rel = {NULL, 0, NULL};
    struct store_reader *rd = NULL;
    int fast_ok, slow_err, err, created = -1;
    char why[ADMIN_WHY_MAX];

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    if (!fuzz_field(data, size, &pos, &id_s, &id_len))
        return 0;
    if (pos > size)
        pos = size;
    body = (const char *)data + pos;
    blen = size - pos;

    /* differential: fast scanner against jansson (whatever the id) */
    fast_ok = admin_parse_release_fast(body, blen, &fast, &nf) == 0;
    why[0] = '\0';
    slow_err = admin_parse_release_json(body, blen, &slow, why, sizeof(why));
    if (slow_err != ADMIN_BODY_OK)
        CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
    if (fast_ok) {
        CHECK(slow_err == ADMIN_BODY_OK);
        CHECK(nf == slow.n);
        CHECK(same_files(fast, slow.files, nf));
    }

    id = fuzz_exact(id_s, id_len);
    if (id == NULL || store_id_valid(id, id_len) != STORE_OK) /* route_of() */
        goto out;

    /* the real entry point agrees with jansson */
    err = admin_parse_release(body, blen, &rel, why, sizeof(why));
    CHECK(err == slow_err);
    if (err != ADMIN_BODY_OK)
        goto out; /* 400 / 500 */
    CHECK(rel.files != NULL && rel.n == slow.n && same_files(rel.files, slow.files, rel.n));

    problems = 0;
    err = store_publish(st, id, id_len, rel.files, rel.n, 1700000000, &created, problem_cb, NULL);
    switch (err) {
    case STORE_OK:
        CHECK(created == 0 || created == 1);
        CHECK(problems == 0);
        CHECK(store_reader_begin(st, &rd) == STORE_OK);
        CHECK(store_release_get(rd, id, id_len, NULL, file_cb, rd) == STORE_OK);
        store_reader_end(rd);
        break;
    case STORE_EMISSING:
    case STORE_ECONFLICT:
        CHECK(problems > 0);
        break;
    case STORE_EINVAL:
    case STORE_EFULL:
    case STORE_ETOOBIG:
        break;
    default:
        fprintf(stderr, "store_publish: unexpected %s\n", store_strerror(err));
        abort();
    }
out:
    free(fast);
    admin_release_free(&slow);
    admin_release_free(&rel);
    free(id);
    return 0;
}
