/*
 * fuzz_list_params.c - libFuzzer driver: the cursor listing parameters of
 * GET /v1/blobs?after=<hex>&limit=N.
 *
 * Input: the query string. It is split into arguments and each is decoded
 * with http_unescape_inplace the way libmicrohttpd does with origind's
 * unescape callback; then "after" and "limit" are checked by
 * admin_parse_list_params() (server/admin_body.c, what do_list_blobs() calls)
 * and store_list_blobs() runs on a scratch store of 40 blobs. Asserts: a
 * rejection carries a reason, at most limit entries, strictly increasing
 * digests, all after the cursor.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_body.h"
#include "fuzz_util.h"
#include "http.h"
#include "store.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_list_params: property failed: %s (line %d)\n", #c, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct store *st;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsigned char d[STORE_DIGEST_LEN];
    char buf[16];
    int i;

    st = fuzz_store_open();
    for (i = 0; i < 40; i++) {
        int n = snprintf(buf, sizeof(buf), "blob %d", i);

        store_sha256(buf, (size_t)n, d);
        CHECK(store_put_blob(st, d, buf, (size_t)n, NULL) == STORE_OK);
    }
    return 0;
}

struct seen {
    unsigned char last[STORE_DIGEST_LEN];
    const unsigned char *after;
    size_t n;
};

static int list_cb(void *arg, const unsigned char digest[STORE_DIGEST_LEN], uint64_t size,
                   unsigned variants)
{
    struct seen *s = arg;

    if (s->n > 0)
        CHECK(memcmp(s->last, digest, STORE_DIGEST_LEN) < 0);
    if (s->after != NULL)
        CHECK(memcmp(s->after, digest, STORE_DIGEST_LEN) < 0);
    memcpy(s->last, digest, STORE_DIGEST_LEN);
    s->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = fuzz_cstr((const char *)data, size), *save = NULL, *tok;
    const char *after = NULL, *limit_s = NULL;
    unsigned char after_d[STORE_DIGEST_LEN];
    char why[ADMIN_WHY_MAX] = "";
    size_t limit = 0;
    int has_after = 0;
    struct store_reader *rd = NULL;
    struct seen s;

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    if (q == NULL)
        return 0;
    /* libmicrohttpd: split on '&', key[=value], unescape both; first wins */
    for (tok = strtok_r(q, "&", &save); tok != NULL; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = "";

        if (eq != NULL) {
            *eq = '\0';
            val = eq + 1;
            http_unescape_inplace(eq + 1);
        }
        http_unescape_inplace(tok);
        if (after == NULL && strcmp(tok, "after") == 0)
            after = val;
        else if (limit_s == NULL && strcmp(tok, "limit") == 0)
            limit_s = val;
    }
    if (admin_parse_list_params(after, limit_s, after_d, &has_after, &limit, why, sizeof(why)) !=
        ADMIN_BODY_OK) {
        CHECK(why[0] != '\0'); /* 400 with a reason */
        goto out;
    }
    CHECK(limit >= 1 && limit <= ADMIN_LIST_LIMIT_MAX);
    CHECK(limit_s != NULL || limit == ADMIN_LIST_LIMIT_DEF);
    CHECK(has_after == (after != NULL && after[0] != '\0'));
    memset(&s, 0, sizeof(s));
    s.after = has_after ? after_d : NULL;
    CHECK(store_reader_begin(st, &rd) == STORE_OK);
    CHECK(store_list_blobs(rd, s.after, limit, list_cb, &s) == STORE_OK);
    store_reader_end(rd);
    CHECK(s.n <= limit && s.n <= 40);
out:
    free(q);
    return 0;
}
