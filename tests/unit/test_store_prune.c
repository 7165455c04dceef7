/*
 * test_store_prune.c - cmocka unit tests for the store's retention
 * (store_prune.c) and for the Returns lists of store.h that fault injection
 * pins: prune and tombstones, gone paths and re-publishing, dry runs, an
 * injected failure at every write of a prune, reuse of freed space, and the
 * zero-copy permission with its pin.
 *
 * For: the store library on its own, on temporary directories under /tmp.
 * Not for: HTTP (tests/integration/prune_*.sh) or kill -9 (tests/crash).
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
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "clock.h"
#include "store.h"

#define TEST_MAP_SIZE (1ull << 30)

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

static struct store *open_at(const char *dir, unsigned grace, uint64_t max_blob)
{
    struct store_options o = {0};
    struct store *st = NULL;

    o.map_size = TEST_MAP_SIZE;
    o.zero_copy_grace = grace;
    o.max_blob = max_blob;
    assert_int_equal(store_open(dir, &o, &st), STORE_OK);
    return st;
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/origind-prune-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->sdir, sizeof(fx->sdir), "%s/s", fx->dir);
    fx->st = open_at(fx->sdir, 1, 0);
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

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
}

static void put_seed(struct store *st, uint64_t seed, size_t len, unsigned char d[32])
{
    unsigned char *buf = malloc(len ? len : 1);

    assert_non_null(buf);
    fill(buf, len, seed);
    store_sha256(buf, len, d);
    assert_int_equal(store_put_blob(st, d, buf, len, NULL), STORE_OK);
    free(buf);
}

static struct store_file file_of(const char *path, const unsigned char d[32])
{
    struct store_file f;

    memset(&f, 0, sizeof(f));
    f.path = path;
    f.path_len = strlen(path);
    memcpy(f.digest, d, 32);
    f.type = "text/css";
    f.type_len = 8;
    return f;
}

static int publish1(struct store *st, const char *id, const char *path, const unsigned char d[32])
{
    struct store_file f = file_of(path, d);

    return store_publish(st, id, strlen(id), &f, 1, 1000, NULL, NULL, NULL);
}

static int publish2(struct store *st, const char *id, const char *p1, const unsigned char d1[32],
                    const char *p2, const unsigned char d2[32])
{
    struct store_file f[2];

    f[0] = file_of(p1, d1);
    f[1] = file_of(p2, d2);
    return store_publish(st, id, strlen(id), f, 2, 1000, NULL, NULL, NULL);
}

/* Publishes release id with n fresh blobs of len bytes (seeds seed..),
 * at paths prefix0.bin, prefix1.bin, ... */
static void publish_n(struct store *st, const char *id, const char *prefix, int n, uint64_t seed,
                      size_t len)
{
    struct store_file f[32];
    unsigned char d[32][32];
    char paths[32][32];
    int i;

    assert_true(n <= 32);
    for (i = 0; i < n; i++) {
        put_seed(st, seed + (uint64_t)i, len, d[i]);
        snprintf(paths[i], sizeof(paths[i]), "/%s%d.bin", prefix, i);
        f[i] = file_of(paths[i], d[i]);
    }
    assert_int_equal(store_publish(st, id, strlen(id), f, (size_t)n, 1000, NULL, NULL, NULL),
                     STORE_OK);
}

static int lookup(struct store *st, const char *path)
{
    struct store_reader *r;
    struct store_asset a;
    int rc;

    assert_int_equal(store_reader_begin(st, &r), STORE_OK);
    rc = store_lookup(r, path, strlen(path), &a);
    store_reader_end(r);
    return rc;
}

static int has_blob(struct store *st, const unsigned char d[32], int enc)
{
    struct store_reader *r;
    struct store_blob b;
    int rc;

    assert_int_equal(store_reader_begin(st, &r), STORE_OK);
    rc = store_get_blob(r, d, enc, &b);
    store_reader_end(r);
    return rc == STORE_OK;
}

static void assert_fsck_ok(struct store *st)
{
    assert_int_equal(store_fsck(st, NULL, NULL, NULL), STORE_OK);
}

struct seen {
    int n;
    int state[8];
    uint64_t blobs[8], bytes[8];
};

static void on_pruned(void *arg, const char *id, size_t id_len, int state, uint64_t blobs,
                      uint64_t variants, uint64_t bytes)
{
    struct seen *s = arg;

    (void)id;
    (void)id_len;
    (void)variants;
    if (s->n < 8) {
        s->state[s->n] = state;
        s->blobs[s->n] = blobs;
        s->bytes[s->n] = bytes;
    }
    s->n++;
}

static int prune_ids(struct store *st, const char *a, const char *b, int dry, struct seen *seen,
                     struct store_prune_totals *tot)
{
    struct store_id ids[2];
    size_t n = 0;

    ids[n].id = a;
    ids[n++].len = strlen(a);
    if (b != NULL) {
        ids[n].id = b;
        ids[n++].len = strlen(b);
    }
    return store_prune(st, ids, n, 2000, dry, seen != NULL ? on_pruned : NULL, seen, tot);
}

/* Two releases sharing one blob: r1 {/a.css: A, /s.js: S}, r2 {/b.css: B, /s.js: S}. */
static void two_releases(struct store *st, unsigned char A[32], unsigned char B[32],
                         unsigned char S[32])
{
    put_seed(st, 1, 3000, A);
    put_seed(st, 2, 4000, B);
    put_seed(st, 3, 5000, S);
    assert_int_equal(publish2(st, "r1", "/a.css", A, "/s.js", S), STORE_OK);
    assert_int_equal(publish2(st, "r2", "/b.css", B, "/s.js", S), STORE_OK);
}

/* ------------------------------------------------------------------ */

static void test_prune_basic(void **state)
{
    struct fx *fx = *state;
    unsigned char A[32], B[32], S[32];
    struct store_prune_totals tot;
    struct store_stats s;
    struct seen seen = {0};
    struct store_reader *r;
    int64_t when = 0;

    two_releases(fx->st, A, B, S);
    assert_int_equal(prune_ids(fx->st, "r1", NULL, 0, &seen, &tot), STORE_OK);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.state[0], STORE_PRUNE_PRUNED);
    assert_int_equal(seen.blobs[0], 1); /* A only: S is kept by r2 */
    assert_int_equal(seen.bytes[0], 3000);
    assert_int_equal(tot.pruned, 1);
    assert_int_equal(tot.paths_gone, 1);

    assert_int_equal(lookup(fx->st, "/a.css"), STORE_EGONE);
    assert_int_equal(lookup(fx->st, "/s.js"), STORE_OK);
    assert_int_equal(lookup(fx->st, "/b.css"), STORE_OK);
    assert_false(has_blob(fx->st, A, STORE_ENC_IDENTITY));
    assert_true(has_blob(fx->st, S, STORE_ENC_IDENTITY));

    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.releases, 1);
    assert_int_equal(s.blobs, 2);
    assert_int_equal(s.blob_bytes, 9000);
    assert_int_equal(s.paths, 3); /* bound forever */
    assert_int_equal(s.tombstones, 1);
    assert_int_equal(s.pruned_blobs, 1);
    assert_int_equal(s.pruned_bytes, 3000);
    assert_int_equal(s.gone_paths, 1);
    assert_string_equal(s.last_release, "r2");

    /* the tombstone: never published again, whoever asks */
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_release_get(r, "r1", 2, NULL, NULL, NULL), STORE_ENOTFOUND);
    assert_int_equal(store_tombstone_get(r, "r1", 2, &when), STORE_OK);
    assert_int_equal(when, 2000);
    assert_int_equal(store_tombstone_get(r, "r2", 2, NULL), STORE_ENOTFOUND);
    store_reader_end(r);
    put_seed(fx->st, 1, 3000, A);
    assert_int_equal(publish2(fx->st, "r1", "/a.css", A, "/s.js", S), STORE_EPRUNED);
    assert_int_equal(lookup(fx->st, "/a.css"), STORE_EGONE);
    assert_fsck_ok(fx->st);

    /* again: a no-op; an id never here gets its tombstone too */
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(prune_ids(fx->st, "r1", "never", 0, &seen, &tot), STORE_OK);
    assert_int_equal(seen.state[0], STORE_PRUNE_ALREADY);
    assert_int_equal(seen.state[1], STORE_PRUNE_ABSENT);
    assert_int_equal(tot.blobs, 0);
    assert_int_equal(publish1(fx->st, "never", "/n.css", B), STORE_EPRUNED);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.tombstones, 2);
    assert_int_equal(s.releases, 1);
    assert_fsck_ok(fx->st);

    /* refusals */
    assert_int_equal(prune_ids(fx->st, "r2", "r2", 0, NULL, NULL), STORE_EINVAL);
    assert_int_equal(prune_ids(fx->st, "../x", NULL, 0, NULL, NULL), STORE_EINVAL);
    assert_int_equal(store_prune(fx->st, NULL, 1, 0, 0, NULL, NULL, NULL), STORE_EINVAL);
    assert_string_equal(store_prune_state_name(STORE_PRUNE_ABSENT), "absent");
    assert_null(store_prune_state_name(42));
    assert_string_equal(store_strerror(STORE_EPRUNED),
                        "release was pruned and cannot be published again");
}

static void test_prune_gone_republish(void **state)
{
    struct fx *fx = *state;
    unsigned char A[32], B[32], S[32], X[32];
    struct store_stats s;

    two_releases(fx->st, A, B, S);
    assert_int_equal(prune_ids(fx->st, "r1", NULL, 0, NULL, NULL), STORE_OK);
    assert_int_equal(lookup(fx->st, "/a.css"), STORE_EGONE);
    /* other bytes at a gone path: still a conflict */
    put_seed(fx->st, 9, 100, X);
    assert_int_equal(publish1(fx->st, "r3", "/a.css", X), STORE_ECONFLICT);
    /* the same bytes: live again (the blob must be uploaded again first) */
    assert_int_equal(publish1(fx->st, "r3", "/a.css", A), STORE_EMISSING);
    put_seed(fx->st, 1, 3000, A);
    assert_int_equal(publish1(fx->st, "r3", "/a.css", A), STORE_OK);
    assert_int_equal(lookup(fx->st, "/a.css"), STORE_OK);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.gone_paths, 0);
    assert_int_equal(s.releases, 2);
    assert_fsck_ok(fx->st);
}

static void test_prune_dry_run(void **state)
{
    struct fx *fx = *state;
    unsigned char A[32], B[32], S[32];
    struct store_prune_totals tot, wet;
    struct store_stats s1, s2;
    struct seen seen = {0};

    two_releases(fx->st, A, B, S);
    assert_int_equal(store_stats(fx->st, &s1), STORE_OK);
    /* both: every blob goes; S counted once, for r1 */
    assert_int_equal(prune_ids(fx->st, "r1", "r2", 1, &seen, &tot), STORE_OK);
    assert_int_equal(seen.blobs[0], 2);
    assert_int_equal(seen.bytes[0], 8000);
    assert_int_equal(seen.blobs[1], 1);
    assert_int_equal(tot.bytes, 12000);
    assert_int_equal(tot.paths_gone, 3);
    assert_int_equal(store_stats(fx->st, &s2), STORE_OK);
    assert_memory_equal(&s1, &s2, sizeof(s1)); /* nothing changed */
    assert_int_equal(lookup(fx->st, "/a.css"), STORE_OK);
    assert_int_equal(prune_ids(fx->st, "r1", "r2", 0, NULL, &wet), STORE_OK);
    assert_memory_equal(&tot, &wet, sizeof(tot)); /* the dry run told the truth */
    assert_int_equal(store_stats(fx->st, &s2), STORE_OK);
    assert_int_equal(s2.releases, 0);
    assert_int_equal(s2.blobs, 0);
    assert_string_equal(s2.last_release, "");
    assert_fsck_ok(fx->st);
}

#ifdef ORIGIND_TEST_HOOKS
/* Fault injection (store_fault_set) exists only in builds with the test
 * hooks: test_prune_faults and test_returns_lists are compiled, and
 * registered, only there (a Release build has neither). */

/* A failure injected at every write and at the commit: the store stays
 * exactly as before, then the same prune completes. */
static void test_prune_faults(void **state)
{
    struct fx *fx = *state;
    unsigned char A[32], B[32], S[32];
    struct store_stats s0, s;
    int point;

    two_releases(fx->st, A, B, S);
    assert_int_equal(store_stats(fx->st, &s0), STORE_OK);
    for (point = 0; point < STORE_FAULT_COUNT; point++) {
        unsigned n;

        for (n = 1; n < 100; n++) {
            int rc;

            store_fault_set((enum store_fault_point)point, n);
            rc = prune_ids(fx->st, "r1", NULL, 0, NULL, NULL);
            store_fault_set((enum store_fault_point)point, 0);
            if (rc == STORE_OK)
                break;
            assert_int_equal(rc, STORE_EFAULT);
            assert_int_equal(store_stats(fx->st, &s), STORE_OK);
            assert_int_equal(s.releases, s0.releases);
            assert_int_equal(s.blobs, s0.blobs);
            assert_int_equal(s.tombstones, 0);
            assert_int_equal(lookup(fx->st, "/a.css"), STORE_OK);
            assert_fsck_ok(fx->st);
        }
        assert_true(n > 1); /* the fault fired at least once */
        assert_int_equal(lookup(fx->st, "/a.css"), STORE_EGONE);
        assert_fsck_ok(fx->st);
        /* back to the start for the next point */
        store_close(fx->st);
        nftw(fx->sdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        fx->st = open_at(fx->sdir, 1, 0);
        two_releases(fx->st, A, B, S);
    }
}
#endif /* ORIGIND_TEST_HOOKS */

static uint64_t file_size(const char *dir)
{
    char p[160];
    struct stat sb;

    snprintf(p, sizeof(p), "%s/data.mdb", dir);
    assert_int_equal(stat(p, &sb), 0);
    return (uint64_t)sb.st_size;
}

/* Freed space is reused: pushing less than was freed does not grow the
 * data file nor the used part of the map. */
static void test_prune_reuse(void **state)
{
    struct fx *fx = *state;
    struct store_stats s1, s2;
    uint64_t size1;

    publish_n(fx->st, "old", "big", 12, 100, 256 * 1024);
    publish_n(fx->st, "new", "new", 4, 200, 256 * 1024);
    assert_int_equal(prune_ids(fx->st, "old", NULL, 0, NULL, NULL), STORE_OK);
    assert_int_equal(store_stats(fx->st, &s1), STORE_OK);
    size1 = file_size(fx->sdir);
    publish_n(fx->st, "next", "n", 8, 500, 256 * 1024);
    assert_int_equal(store_stats(fx->st, &s2), STORE_OK);
    assert_int_equal(s2.map_used, s1.map_used);
    assert_true(file_size(fx->sdir) <= size1);
    assert_fsck_ok(fx->st);
}

/* The grace of test_zero_copy_pin: long enough that the put "within the
 * grace" finishes inside it under valgrind on a loaded machine. */
#define PIN_GRACE 4

/* The page lifetime rule: a reader told "zero-copy" before a prune keeps the
 * freed pages unused until it ended and the grace passed; after a prune no
 * reader is told "zero-copy" again, even after reopening. */
static void test_zero_copy_pin(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32];
    struct store_reader *zc, *r2;
    struct store_stats s1, s2;
    double ended, left;

    store_close(fx->st);
    fx->st = open_at(fx->sdir, PIN_GRACE, 0);
    publish_n(fx->st, "old", "z", 4, 700, 256 * 1024);
    publish_n(fx->st, "new", "y", 4, 720, 256 * 1024);
    assert_int_equal(store_reader_begin(fx->st, &zc), STORE_OK);
    assert_int_equal(store_zero_copy(zc), 1);
    assert_int_equal(store_zero_copy(zc), 1);
    assert_int_equal(prune_ids(fx->st, "old", NULL, 0, NULL, NULL), STORE_OK);
    assert_int_equal(store_reader_begin(fx->st, &r2), STORE_OK);
    assert_int_equal(store_zero_copy(r2), 0); /* pruned: copies only */
    store_reader_end(r2);
    store_reader_end(zc); /* the kernel may still read its pages for a grace */
    ended = clock_mono_s();

    assert_int_equal(store_stats(fx->st, &s1), STORE_OK);
    put_seed(fx->st, 800, 256 * 1024, d); /* within the grace: not in freed pages */
    assert_int_equal(store_stats(fx->st, &s2), STORE_OK);
    /* a put that outlasted the grace proves nothing: fail by name, not by chance */
    assert_true(clock_mono_s() - ended < PIN_GRACE);
    assert_true(s2.map_used > s1.map_used);

    /* until the grace has passed (measured from the reader's end), no longer */
    left = ended + PIN_GRACE + 0.2 - clock_mono_s();
    if (left > 0) {
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};

        nanosleep(&ts, NULL);
    }
    assert_int_equal(store_stats(fx->st, &s1), STORE_OK);
    put_seed(fx->st, 801, 256 * 1024, d); /* now the freed pages are reused */
    assert_int_equal(store_stats(fx->st, &s2), STORE_OK);
    assert_int_equal(s2.map_used, s1.map_used);

    store_close(fx->st);
    fx->st = open_at(fx->sdir, 1, 0);
    assert_int_equal(store_reader_begin(fx->st, &r2), STORE_OK);
    assert_int_equal(store_zero_copy(r2), 0); /* the marker is on disk */
    store_reader_end(r2);
}

#ifdef ORIGIND_TEST_HOOKS
/* Returns lists of store.h that were missing codes. */
static void test_returns_lists(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32], big[64];
    struct store_reader *r;
    struct store_batch *b;
    struct store *small;
    char sdir[128];
    unsigned char *gz;
    uLongf gzlen;

    /* store_put_blob: EINVAL (NULL data), EFAULT */
    memset(d, 0x11, sizeof(d));
    assert_int_equal(store_put_blob(fx->st, d, NULL, 10, NULL), STORE_EINVAL);
    fill(big, sizeof(big), 5);
    store_sha256(big, sizeof(big), d);
    store_fault_set(STORE_FAULT_WRITE, 1);
    assert_int_equal(store_put_blob(fx->st, d, big, sizeof(big), NULL), STORE_EFAULT);
    store_fault_set(STORE_FAULT_WRITE, 0);

    /* store_reader_begin: EFAULT (fresh store: no pooled reader to reuse) */
    snprintf(sdir, sizeof(sdir), "%s/small", fx->dir);
    small = open_at(sdir, 1, 32);
    store_fault_set(STORE_FAULT_ALLOC, 1);
    assert_int_equal(store_reader_begin(small, &r), STORE_EFAULT);
    store_fault_set(STORE_FAULT_ALLOC, 0);

    /* a reader allocation fails the same way for every call that needs one
     * while the pool is empty: store_missing, store_stats, store_fsck */
    {
        struct store_stats ss;
        unsigned char miss[1];
        unsigned char dd[1][32];

        memset(dd, 0, sizeof(dd));
        store_fault_set(STORE_FAULT_ALLOC, 1);
        assert_int_equal(store_missing(small, (const unsigned char(*)[32])dd, 1, miss),
                         STORE_EFAULT);
        store_fault_set(STORE_FAULT_ALLOC, 1);
        assert_int_equal(store_stats(small, &ss), STORE_EFAULT);
        store_fault_set(STORE_FAULT_ALLOC, 1);
        assert_int_equal(store_fsck(small, NULL, NULL, NULL), STORE_EFAULT);
        store_fault_set(STORE_FAULT_ALLOC, 1);
        assert_int_equal(store_batch_begin(small, &b), STORE_EFAULT);
        store_fault_set(STORE_FAULT_ALLOC, 0);
    }

    /* store_put_variant: ETOOBIG (over max_blob), EFAULT */
    fill(big, 16, 6);
    store_sha256(big, 16, d);
    assert_int_equal(store_put_blob(small, d, big, 16, NULL), STORE_OK);
    gzlen = compressBound(16) + 64;
    gz = malloc(gzlen);
    assert_non_null(gz);
    memset(gz, 0, gzlen);
    assert_int_equal(store_put_variant(small, d, STORE_ENC_GZIP, gz, 40, NULL), STORE_ETOOBIG);
    assert_int_equal(store_put_variant(small, d, 7, gz, 4, NULL), STORE_EINVAL);
    store_fault_set(STORE_FAULT_ALLOC, 1);
    assert_int_equal(store_put_variant(small, d, STORE_ENC_GZIP, gz, 4, NULL), STORE_EFAULT);
    store_fault_set(STORE_FAULT_ALLOC, 0);
    free(gz);

    /* store_batch_commit: an earlier failure is returned, nothing stored */
    assert_int_equal(store_batch_begin(small, &b), STORE_OK);
    fill(big, 20, 7);
    store_sha256(big, 20, d);
    store_fault_set(STORE_FAULT_WRITE, 1);
    assert_int_equal(store_batch_put(b, d, big, 20, NULL), STORE_EFAULT);
    store_fault_set(STORE_FAULT_WRITE, 0);
    assert_int_equal(store_batch_put(b, d, big, 20, NULL), STORE_EFAULT); /* only abort now */
    assert_int_equal(store_batch_commit(b), STORE_EFAULT);
    assert_false(has_blob(small, d, STORE_ENC_IDENTITY));

    /* store_prune: EIO on a read-only store unless dry */
    store_close(small);
    {
        struct store_options o = {0};
        struct store_id id = {"x", 1};

        o.map_size = TEST_MAP_SIZE;
        o.read_only = 1;
        assert_int_equal(store_open(sdir, &o, &small), STORE_OK);
        assert_int_equal(store_prune(small, &id, 1, 0, 0, NULL, NULL, NULL), STORE_EIO);
        assert_int_equal(store_prune(small, &id, 1, 0, 1, NULL, NULL, NULL), STORE_OK);
        store_close(small);
    }
}
#endif /* ORIGIND_TEST_HOOKS */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prune_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_gone_republish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_dry_run, setup, teardown),
#ifdef ORIGIND_TEST_HOOKS
        cmocka_unit_test_setup_teardown(test_prune_faults, setup, teardown),
#endif
        cmocka_unit_test_setup_teardown(test_prune_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_copy_pin, setup, teardown),
#ifdef ORIGIND_TEST_HOOKS
        cmocka_unit_test_setup_teardown(test_returns_lists, setup, teardown),
#endif
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
