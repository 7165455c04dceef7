/*
 * fuzz_release_body.c - libFuzzer driver: the release/manifest body of
 * PUT /v1/releases/<id>, parsed and published the way server/admin.c's
 * do_put_release() does it (that function is static and takes an
 * MHD_Connection, so this driver mirrors its parsing step by step; see
 * tests/fuzz/README.md), then store_publish() into a scratch store.
 *
 * Input: first line = the release id (as it arrives in the URL), rest = the
 * JSON body. Three blobs are present in the scratch store (the SHA-256 of "",
 * "a" and "b"), so inputs reach success, 409 conflict, 422 missing and 400
 * bad-entry paths. Asserts that store_publish returns a documented code and
 * that a successful publish can be read back and every path looked up.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, id_len = 0, n, i;
    const char *id_s = NULL;
    char *id = NULL;
    json_error_t jerr;
    json_t *doc = NULL, *files, *f;
    struct store_file *sf = NULL;
    struct store_reader *rd = NULL;
    int err, created = -1;

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    if (!fuzz_field(data, size, &pos, &id_s, &id_len))
        return 0;
    id = fuzz_exact(id_s, id_len);
    if (id == NULL || store_id_valid(id, id_len) != STORE_OK) /* route_of() */
        goto out;
    if (pos > size)
        pos = size;
    doc = json_loadb((const char *)data + pos, size - pos, JSON_REJECT_DUPLICATES, &jerr);
    files = doc != NULL ? json_object_get(doc, "files") : NULL;
    if (!json_is_array(files))
        goto out; /* 400 */
    n = json_array_size(files);
    sf = calloc(n > 0 ? n : 1, sizeof(*sf));
    if (sf == NULL)
        goto out;
    json_array_foreach(files, i, f)
    {
        json_t *p = json_object_get(f, "path"), *h = json_object_get(f, "sha256"),
               *ty = json_object_get(f, "type");

        if (!json_is_string(p) || !json_is_string(h) || !json_is_string(ty) ||
            store_digest_from_hex(json_string_value(h), json_string_length(h), sf[i].digest) !=
                STORE_OK)
            goto out; /* 400 */
        sf[i].path = json_string_value(p);
        sf[i].path_len = json_string_length(p);
        sf[i].type = json_string_value(ty);
        sf[i].type_len = json_string_length(ty);
    }
    problems = 0;
    err = store_publish(st, id, id_len, sf, n, 1700000000, &created, problem_cb, NULL);
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
    json_decref(doc);
    free(sf);
    free(id);
    return 0;
}
