/*
 * resp_cache.c - the ready-made response cache (resp_cache.h).
 *
 * Measured (tests/bench/RESULTS.md, "Serving"): building a 2 KiB answer
 * took about a third of origind's user-space time per request (a store
 * lookup, an ETag and a date formatted, a response allocated, twelve headers
 * each copied into two allocations); a cached answer is one hash lookup and
 * a reference count under a mutex.
 *
 * Layout: 16 shards, each a fixed table of hash chains and an LRU list; an
 * entry is one allocation (the path follows the struct). Eviction takes the
 * least recently used entries of the shard being filled until it fits its
 * share of the budget.
 *
 * Admission: a path is cached on its second miss within a short window (a
 * direct-mapped table of path fingerprints, about one slot per KiB of the
 * budget): under uniform traffic over far more assets than fit (1,000,000),
 * caching every miss cost 9.6 us per request in copies, allocations and
 * evictions (bench-lookup.sh); a second miss of a path within the window
 * means it is hot.
 */
#include "resp_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS  16
#define BUCKETS 4096 /* per shard: chains stay short up to ~100,000 entries */
/* What an answer costs besides its body: the response struct, its mutex,
 * twelve header structs with their strings, malloc overhead. */
#define RESP_OVERHEAD 1024

struct entry {
    struct entry *hnext;         /* hash chain */
    struct entry *lprev, *lnext; /* LRU list: head most recent */
    uint64_t hash, epoch, born_ns;
    /* [enc]: full answers; [RESP_CACHE_ENCS + enc]: HEAD-only answers */
    struct MHD_Response *resp[2 * RESP_CACHE_ENCS];
    uint64_t len[2 * RESP_CACHE_ENCS];
    unsigned variants;
    int compressible;
    size_t cost;
    size_t path_len;
    char path[];
};

struct shard {
    pthread_mutex_t lock;
    struct entry *bucket[BUCKETS];
    struct entry *head, *tail;
    size_t bytes, entries;
};

struct resp_cache {
    size_t shard_max; /* bytes per shard */
    uint64_t ttl_ns;
    atomic_uint_fast64_t hits, misses;
    _Atomic uint32_t *seen; /* admission fingerprints, n_seen (a power of 2) */
    size_t n_seen;
    struct shard shard[SHARDS];
};

/* FNV-1a, 64 bits: paths are short, this is not a defence against chosen
 * collisions (chains are bounded by the budget, not the hash). */
static uint64_t hash_path(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct resp_cache *resp_cache_new(size_t max_bytes, uint64_t ttl_ns)
{
    struct resp_cache *rc;
    size_t i;

    if (max_bytes == 0)
        return NULL;
    rc = calloc(1, sizeof(*rc));
    if (rc == NULL)
        return NULL;
    rc->shard_max = max_bytes / SHARDS;
    rc->ttl_ns = ttl_ns;
    rc->n_seen = 4096;
    while (rc->n_seen < max_bytes / 1024 && rc->n_seen < ((size_t)1 << 24))
        rc->n_seen <<= 1;
    rc->seen = calloc(rc->n_seen, sizeof(*rc->seen));
    if (rc->seen == NULL) {
        free(rc);
        return NULL;
    }
    atomic_init(&rc->hits, 0);
    atomic_init(&rc->misses, 0);
    for (i = 0; i < SHARDS; i++) {
        if (pthread_mutex_init(&rc->shard[i].lock, NULL) != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&rc->shard[i].lock);
            free(rc->seen);
            free(rc);
            return NULL;
        }
    }
    return rc;
}

static void entry_free(struct entry *e)
{
    int k;

    for (k = 0; k < 2 * RESP_CACHE_ENCS; k++) {
        if (e->resp[k] != NULL)
            MHD_destroy_response(e->resp[k]);
    }
    free(e);
}

/* Unlinks e from its chain and the LRU list and frees it (lock held). */
static void entry_drop(struct shard *s, struct entry *e)
{
    struct entry **pp = &s->bucket[e->hash % BUCKETS];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->lprev != NULL)
        e->lprev->lnext = e->lnext;
    else
        s->head = e->lnext;
    if (e->lnext != NULL)
        e->lnext->lprev = e->lprev;
    else
        s->tail = e->lprev;
    s->bytes -= e->cost;
    s->entries--;
    entry_free(e);
}

static void lru_front(struct shard *s, struct entry *e)
{
    if (s->head == e)
        return;
    e->lprev->lnext = e->lnext; /* e is not the head, so lprev != NULL */
    if (e->lnext != NULL)
        e->lnext->lprev = e->lprev;
    else
        s->tail = e->lprev;
    e->lprev = NULL;
    e->lnext = s->head;
    s->head->lprev = e;
    s->head = e;
}

void resp_cache_free(struct resp_cache *rc)
{
    size_t i;

    if (rc == NULL)
        return;
    for (i = 0; i < SHARDS; i++) {
        struct shard *s = &rc->shard[i];

        while (s->head != NULL)
            entry_drop(s, s->head);
        pthread_mutex_destroy(&s->lock);
    }
    free(rc->seen);
    free(rc);
}

static struct entry *find(struct shard *s, uint64_t h, const char *path, size_t len)
{
    struct entry *e;

    for (e = s->bucket[h % BUCKETS]; e != NULL; e = e->hnext) {
        if (e->hash == h && e->path_len == len && memcmp(e->path, path, len) == 0)
            return e;
    }
    return NULL;
}

/* 1 if e may still be used at epoch / now_ns. */
static int current(const struct resp_cache *rc, const struct entry *e, uint64_t epoch,
                   uint64_t now_ns)
{
    return e->epoch == epoch && now_ns - e->born_ns < rc->ttl_ns;
}

int resp_cache_queue(struct resp_cache *rc, struct MHD_Connection *c, const char *path, size_t len,
                     int head, uint64_t epoch, uint64_t now_ns, resp_cache_choose_fn choose,
                     void *arg, uint64_t *body_len)
{
    uint64_t h;
    struct shard *s;
    struct entry *e;
    struct MHD_Response *resp = NULL;
    int enc, ret = 0;

    if (rc == NULL)
        return 0;
    h = hash_path(path, len);
    s = &rc->shard[(h >> 32) % SHARDS];
    pthread_mutex_lock(&s->lock);
    e = find(s, h, path, len);
    if (e != NULL && !current(rc, e, epoch, now_ns)) {
        entry_drop(s, e);
        e = NULL;
    }
    if (e != NULL) {
        enc = choose(arg, e->variants, e->compressible);
        if (enc >= 0 && enc < RESP_CACHE_ENCS) {
            resp = e->resp[enc];
            if (resp == NULL && head)
                resp = e->resp[RESP_CACHE_ENCS + enc];
            *body_len = e->len[resp == e->resp[enc] ? enc : RESP_CACHE_ENCS + enc];
        }
        if (resp != NULL) {
            ret = MHD_queue_response(c, MHD_HTTP_OK, resp) == MHD_YES ? 1 : -1;
            lru_front(s, e);
        }
    }
    pthread_mutex_unlock(&s->lock);
    atomic_fetch_add_explicit(ret == 1 ? &rc->hits : &rc->misses, 1, memory_order_relaxed);
    return ret;
}

int resp_cache_admit(struct resp_cache *rc, const char *path, size_t len)
{
    uint64_t h;
    uint32_t fp, old;
    _Atomic uint32_t *slot;

    if (rc == NULL)
        return 0;
    h = hash_path(path, len);
    fp = (uint32_t)(h >> 32) | 1U; /* never 0, the empty slot */
    slot = &rc->seen[h & (rc->n_seen - 1)];
    old = atomic_exchange_explicit(slot, fp, memory_order_relaxed);
    return old == fp;
}

void resp_cache_put(struct resp_cache *rc, const char *path, size_t len, int enc, int head_only,
                    unsigned variants, int compressible, uint64_t epoch, uint64_t now_ns,
                    struct MHD_Response *resp, uint64_t body_len)
{
    uint64_t h;
    struct shard *s;
    struct entry *e;
    size_t cost = (head_only ? 0 : (size_t)body_len) + RESP_OVERHEAD;
    int slot = head_only ? RESP_CACHE_ENCS + enc : enc;

    if (rc == NULL || enc < 0 || enc >= RESP_CACHE_ENCS ||
        (!head_only && body_len > RESP_CACHE_MAX_BODY) || cost + sizeof(*e) + len > rc->shard_max) {
        MHD_destroy_response(resp);
        return;
    }
    h = hash_path(path, len);
    s = &rc->shard[(h >> 32) % SHARDS];
    pthread_mutex_lock(&s->lock);
    e = find(s, h, path, len);
    if (e != NULL && (!current(rc, e, epoch, now_ns) || e->variants != variants ||
                      e->compressible != compressible)) {
        entry_drop(s, e); /* older, or made from another snapshot's view of the asset */
        e = NULL;
    }
    if (e != NULL && e->resp[slot] != NULL) {
        pthread_mutex_unlock(&s->lock); /* another request cached it first */
        MHD_destroy_response(resp);
        return;
    }
    if (e == NULL) {
        e = calloc(1, sizeof(*e) + len);
        if (e == NULL) {
            pthread_mutex_unlock(&s->lock);
            MHD_destroy_response(resp);
            return;
        }
        e->hash = h;
        e->epoch = epoch;
        e->born_ns = now_ns;
        e->variants = variants;
        e->compressible = compressible;
        e->path_len = len;
        memcpy(e->path, path, len);
        e->cost = sizeof(*e) + len;
        e->hnext = s->bucket[h % BUCKETS];
        s->bucket[h % BUCKETS] = e;
        e->lnext = s->head;
        if (s->head != NULL)
            s->head->lprev = e;
        s->head = e;
        if (s->tail == NULL)
            s->tail = e;
        s->bytes += e->cost;
        s->entries++;
    } else {
        lru_front(s, e);
    }
    e->resp[slot] = resp;
    e->len[slot] = body_len;
    e->cost += cost;
    s->bytes += cost;
    while (s->bytes > rc->shard_max && s->tail != e)
        entry_drop(s, s->tail);
    pthread_mutex_unlock(&s->lock);
}

void resp_cache_stats(struct resp_cache *rc, struct resp_cache_stats *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (rc == NULL)
        return;
    out->hits = atomic_load_explicit(&rc->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&rc->misses, memory_order_relaxed);
    for (i = 0; i < SHARDS; i++) {
        struct shard *s = &rc->shard[i];

        pthread_mutex_lock(&s->lock);
        out->entries += s->entries;
        out->bytes += s->bytes;
        pthread_mutex_unlock(&s->lock);
    }
}
