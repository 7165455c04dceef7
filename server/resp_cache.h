/*
 * resp_cache.h - ready-made libmicrohttpd responses for small published
 * assets, so a repeated GET or HEAD of the same path costs no store lookup,
 * no header formatting and no allocation.
 *
 * For: public.c. A libmicrohttpd response is reference-counted and may be
 * queued on many connections at once (MHD_queue_response takes its own
 * reference under the response's mutex); the cache holds one reference per
 * response and queues it under the lock that protects the entry, so an
 * eviction can never free a response between lookup and queueing.
 *
 * What is cached: only 200 answers with every header already added (the
 * validators, Content-Type, Content-Encoding, the cross-origin headers of
 * the any-origin mode and Vary): full answers whose body is a private copy
 * (the response was made with MHD_RESPMEM_MUST_COPY), never a pointer into
 * the store's map (map pages may be freed and reused after the reader that
 * found them ends: store.h, page lifetime rule), and HEAD-only answers of
 * any size, whose body is never read (libmicrohttpd sends a HEAD answer's
 * Content-Length and headers only). One entry per path holds the
 * identity, gzip, br and zstd answers, which of them the store has, and whether
 * the type is compressible, so the encoding is chosen without the store.
 *
 * Staleness: a published path never changes its bytes (store.h); it can
 * only become gone by a prune. An entry remembers store_prune_epoch() at the
 * time its lookup started and is dropped on use once the epoch moved (a
 * prune in this process: the only one that can prune the store, since it
 * holds the store's writer lock); entries also expire ttl_ns after they were
 * made, a backstop that bounds any staleness the epoch would miss.
 *
 * Threading: any thread; 16 shards, each under its own mutex.
 */
#ifndef ORIGIND_RESP_CACHE_H
#define ORIGIND_RESP_CACHE_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

struct resp_cache;

/* How many encodings an entry holds (store.h's STORE_ENC_*: identity,
 * gzip, br, zstd). dcz answers are never cached: they depend on the
 * request's Available-Dictionary. */
#define RESP_CACHE_ENCS 4

/* Creates a cache holding at most max_bytes (bodies plus an estimate of
 * each response's headers and bookkeeping) of answers made at most ttl_ns
 * ago. Returns NULL if max_bytes is 0 (caching off) or memory is short;
 * every function below accepts a NULL cache and then does nothing. */
struct resp_cache *resp_cache_new(size_t max_bytes, uint64_t ttl_ns);

/* Releases the cache's references; responses still queued on connections
 * live until those connections are done with them. NULL is a no-op. */
void resp_cache_free(struct resp_cache *rc);

/* Chooses an encoding for the request: called by resp_cache_queue, with the
 * shard's lock held (it must not call into the cache), with the entry's
 * stored-variants mask (bit e set: encoding e is stored) and its
 * compressible flag. Returns a STORE_ENC_* value (another value: a miss). */
typedef int (*resp_cache_choose_fn)(void *arg, unsigned variants, int compressible);

/* Looks path[0..len) up; if an answer for the encoding choose() picks is
 * cached (for a HEAD request, head != 0, a HEAD-only answer will do),
 * current (epoch equals the entry's, younger than the ttl at now_ns),
 * queues it on c with status 200 and returns 1 with *body_len set to its
 * body length; the caller must not queue anything else. Returns 0 on a miss
 * (nothing queued; *body_len may have been written), -1 if
 * MHD_queue_response failed. A stale entry found is dropped. */
int resp_cache_queue(struct resp_cache *rc, struct MHD_Connection *c, const char *path, size_t len,
                     int head, uint64_t epoch, uint64_t now_ns, resp_cache_choose_fn choose,
                     void *arg, uint64_t *body_len);

/* 1 if an answer for path[0..len), missed just now, should be made for
 * the cache (then with a private copy of its body, see resp_cache_put): the
 * path also missed a short while ago. Records this miss. 0 for a NULL
 * cache. */
int resp_cache_admit(struct resp_cache *rc, const char *path, size_t len);

/* Offers resp, a complete 200 answer for path[0..len) in encoding enc with a
 * private copy of its body_len-byte body (head_only: an answer for HEAD
 * only, of body_len bytes that are never read), made from a lookup that
 * started at epoch; variants and compressible describe the stored asset. Takes over the
 * caller's reference to resp in every case: kept by the cache (evicting the
 * shard's least recently used entries until it fits), or destroyed (cache
 * NULL, enc out of range, a full answer's body larger than
 * RESP_CACHE_MAX_BODY, larger than a shard's budget, the answer already
 * cached, out of memory). An older entry for the path (other
 * epoch, expired, or made from another view of the asset) is replaced. */
void resp_cache_put(struct resp_cache *rc, const char *path, size_t len, int enc, int head_only,
                    unsigned variants, int compressible, uint64_t epoch, uint64_t now_ns,
                    struct MHD_Response *resp, uint64_t body_len);

/* How long an entry is used at most: bounds how long a prune by another
 * process sharing the store goes unseen. */
#define RESP_CACHE_TTL_NS (10ULL * 1000000000ULL)

/* The largest body an entry may hold: larger answers are not cached. */
#define RESP_CACHE_MAX_BODY (256 * 1024)

struct resp_cache_stats {
    uint64_t hits, misses, entries, bytes;
};

/* Hits and misses since resp_cache_new, entries and bytes held now (zeros
 * for NULL). */
void resp_cache_stats(struct resp_cache *rc, struct resp_cache_stats *out);

#endif /* ORIGIND_RESP_CACHE_H */
