/*
 * test_store_promote.c - cmocka unit tests for the promotion record
 * (store_promote.c) and its wire forms (api/api_promote.c): the fleet-wide
 * order, recording and refusing (older, unknown, pruned, floor missing or
 * newer), the record surviving a reopen, the history bound, and the
 * release document's exact bytes.
 *
 * For: the store and api libraries on their own, on temporary directories
 * under /tmp. Not for: HTTP or peers (tests/integration/peers/peer_promote.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "store.h"

struct fx {
    char dir[64];
    char sdir[96];
    struct store *st;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static struct store *open_at(const char *dir)
{
    struct store_options o = {0};
    struct store *st = NULL;

    o.map_size = 1ull << 28;
    assert_int_equal(store_open(dir, &o, &st), STORE_OK);
    return st;
}

/* Publishes release id with one file whose bytes are the id. */
static void publish(struct store *st, const char *id, int64_t now)
{
    struct store_file f;
    char path[64];
    int created = 0;

    memset(&f, 0, sizeof(f));
    snprintf(path, sizeof(path), "/%s.js", id);
    store_sha256(id, strlen(id), f.digest);
    assert_int_equal(store_put_blob(st, f.digest, id, strlen(id), NULL), STORE_OK);
    f.path = path;
    f.path_len = strlen(path);
    f.type = "text/javascript";
    f.type_len = strlen(f.type);
    assert_int_equal(store_publish(st, id, strlen(id), &f, 1, now, &created, NULL, NULL), STORE_OK);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/origind-promote-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->sdir, sizeof(fx->sdir), "%s/s", fx->dir);
    fx->st = open_at(fx->sdir);
    publish(fx->st, "r1", 1000);
    publish(fx->st, "r2", 2000);
    publish(fx->st, "r3", 3000);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    store_close(fx->st);
    nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static struct store_promotion promo(uint64_t gen, int64_t at, const char *rel, const char *floor)
{
    struct store_promotion p;

    memset(&p, 0, sizeof(p));
    p.generation = gen;
    p.promoted_at = at;
    snprintf(p.release, sizeof(p.release), "%s", rel);
    snprintf(p.floor, sizeof(p.floor), "%s", floor);
    memset(p.digest, 0xab, sizeof(p.digest));
    return p;
}

static size_t current(struct store *st, struct store_promotion *hist, size_t max)
{
    struct store_reader *r = NULL;
    size_t n = 99;

    assert_int_equal(store_reader_begin(st, &r), STORE_OK);
    assert_int_equal(store_promotion_get(r, hist, max, &n), STORE_OK);
    store_reader_end(r);
    return n;
}

/* The order: generation first; the promoter's time only breaks ties; then ids. */
static void test_order(void **state)
{
    struct store_promotion a = promo(2, 100, "r1", ""), b = promo(1, 999, "r9", "");
    struct store_promotion c = promo(2, 100, "r2", ""), d = promo(2, 100, "r1", "r0");

    (void)state;
    assert_true(store_promotion_cmp(&a, &b) > 0); /* a later clock never beats a generation */
    assert_true(store_promotion_cmp(&b, &a) < 0);
    assert_true(store_promotion_cmp(&c, &a) > 0);
    assert_true(store_promotion_cmp(&d, &a) > 0);
    assert_int_equal(store_promotion_cmp(&a, &a), 0);
}

static void test_record_and_refuse(void **state)
{
    struct fx *fx = *state;
    struct store_promotion hist[4], p;
    int created = -1;

    assert_int_equal(current(fx->st, hist, 4), 0); /* never promoted */
    p = promo(1, 5000, "r2", "r1");
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_OK);
    assert_int_equal(created, 0); /* the same record again */

    p = promo(1, 4000, "r3", ""); /* same generation, earlier promoter clock: older */
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_ECONFLICT);
    p = promo(2, 6000, "nope", "");
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_ENOTFOUND);
    p = promo(2, 6000, "r3", "nope");
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_EMISSING);
    p = promo(2, 6000, "r1", "r3"); /* floor newer than the release */
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_ECONFLICT);
    p = promo(0, 6000, "r3", "");
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_EINVAL);
    assert_int_equal(current(fx->st, hist, 4), 1);
    assert_string_equal(hist[0].release, "r2");
    assert_string_equal(hist[0].floor, "r1");

    p = promo(2, 10, "r1", ""); /* a rollback: older release, newer generation */
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_OK);
    assert_int_equal(current(fx->st, hist, 4), 2);
    assert_string_equal(hist[0].release, "r1");
    assert_string_equal(hist[1].release, "r2");
}

static void test_pruned_and_reopen(void **state)
{
    struct fx *fx = *state;
    struct store_promotion hist[2], p = promo(7, 7000, "r3", "r2");
    struct store_id ids[1] = {{"r1", 2}};
    int created = 0;

    assert_int_equal(store_prune(fx->st, ids, 1, 8000, 0, NULL, NULL, NULL), STORE_OK);
    p = promo(7, 7000, "r1", "");
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_EPRUNED);
    p = promo(7, 7000, "r3", "r2");
    assert_int_equal(store_promote(fx->st, &p, &created), STORE_OK);
    store_close(fx->st);
    fx->st = open_at(fx->sdir);
    assert_int_equal(current(fx->st, hist, 2), 1);
    assert_int_equal(hist[0].generation, 7);
    assert_int_equal(hist[0].promoted_at, 7000);
    assert_string_equal(hist[0].floor, "r2");
}

static void test_history_bound(void **state)
{
    struct fx *fx = *state;
    struct store_promotion *hist = calloc(STORE_PROMOTION_HISTORY + 8, sizeof(*hist));
    struct store_promotion p;
    uint64_t g;

    assert_non_null(hist);
    for (g = 1; g <= STORE_PROMOTION_HISTORY + 5; g++) {
        p = promo(g, 100, g % 2 ? "r2" : "r3", "");
        assert_int_equal(store_promote(fx->st, &p, NULL), STORE_OK);
    }
    assert_int_equal(current(fx->st, hist, STORE_PROMOTION_HISTORY + 8), STORE_PROMOTION_HISTORY);
    assert_int_equal(hist[0].generation, STORE_PROMOTION_HISTORY + 5);
    assert_int_equal(hist[STORE_PROMOTION_HISTORY - 1].generation, 6);
    free(hist);
}

/* The wire forms: the record round-trips; the document's bytes are exact. */
static void test_api(void **state)
{
    struct store_promotion p = promo(3, 1796673307, "r2", "r1"), q, hist[4];
    char doc[512], etag[API_RELEASE_DOC_ETAG_LEN + 1], why[API_WHY_MAX];
    size_t len = 0, n = 0;
    char *text;

    (void)state;
    text = api_promotion_encode(&p, &len);
    assert_non_null(text);
    assert_int_equal(api_promotion_decode(text, len, &q, why, sizeof(why)), 0);
    assert_int_equal(store_promotion_cmp(&p, &q), 0);
    free(text);
    {
        static const char bad[] = "{\"generation\":0,\"release\":\"r\",\"digest\":\"00\","
                                  "\"floor\":null,\"promoted_at\":1}";

        assert_int_equal(api_promotion_decode(bad, strlen(bad), &q, why, sizeof(why)), -1);
    }
    assert_int_equal(api_promotion_decode("[]", 2, &q, why, sizeof(why)), -1);
    text = api_promotion_state_encode(&p, 1, &len);
    assert_non_null(text);
    assert_int_equal(api_promotion_state_decode(text, len, hist, 4, &n, why, sizeof(why)), 0);
    assert_int_equal(n, 1);
    free(text);
    assert_int_equal(api_release_doc(&p, doc, sizeof(doc), &len, etag), 0);
    assert_string_equal(doc, "{\"live\":\"r2\",\"digest\":\"ababababababababababababababab"
                             "ababababababababababababababababab\",\"floor\":\"r1\",\"promoted_"
                             "at\":\"2026-12-07T19:55:07Z\"}");
    assert_int_equal(len, strlen(doc));
    assert_int_equal(strlen(etag), API_RELEASE_DOC_ETAG_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test_setup_teardown(test_record_and_refuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pruned_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_bound, setup, teardown),
        cmocka_unit_test(test_api),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
