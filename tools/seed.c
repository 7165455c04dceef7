/*
 * seed.c - `push --seed-nodes K` (seed.h): which nodes the runner uploads
 * to, which nodes fetch from which, round by round, and who falls back to
 * a direct upload.
 *
 * For: the plan only. Not for: requests (node.c runs every upload and
 * POST /v1/fetch), the request body's format (api/api_fetch.c), or exit
 * codes and output (cmd_push.c, report.c).
 */
#include "seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* The seeds: the k healthy, changed nodes lacking the fewest blobs (ties:
 * the first given). Marks them in is_seed; returns how many. */
static size_t pick_seeds(struct ingest_node *nodes, size_t n, unsigned k, unsigned char *is_seed)
{
    size_t picked = 0;

    while (picked < k) {
        size_t i, best = (size_t)-1;

        for (i = 0; i < n; i++) {
            if (nodes[i].failed || nodes[i].unchanged || is_seed[i])
                continue;
            if (best == (size_t)-1 || nodes[i].missing < nodes[best].missing)
                best = i;
        }
        if (best == (size_t)-1)
            break;
        is_seed[best] = 1;
        picked++;
    }
    return picked;
}

/* The digests node nd lacks, in site order (caller frees), their sizes in
 * *sizes and the variants this push holds of each (what a seed was sent
 * with the blob, masks of 1 << STORE_ENC_*) in *vars (caller frees both);
 * *cnt set. */
static unsigned char (*lacked(const struct ingest_site *s, const struct ingest_node *nd,
                              uint64_t **sizes, unsigned **vars, size_t *cnt))[STORE_DIGEST_LEN]
{
    unsigned char(*d)[STORE_DIGEST_LEN] = ingest_xmalloc((nd->missing + 1) * sizeof(*d));
    uint64_t *sz = ingest_xmalloc((nd->missing + 1) * sizeof(*sz));
    unsigned *v = ingest_xcalloc(nd->missing + 1, sizeof(*v));
    size_t b, k = 0;
    int enc;

    for (b = 0; b < s->nblobs && k < nd->missing + 1; b++) {
        if (!nd->lacks[b])
            continue;
        memcpy(d[k], s->blobs[b].digest, STORE_DIGEST_LEN);
        for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++)
            if (s->blobs[b].var[enc].data != NULL)
                v[k] |= 1u << enc;
        sz[k++] = s->blobs[b].size;
    }
    *cnt = k;
    *sizes = sz;
    *vars = v;
    return d;
}

void ingest_seed_upload(struct ingest_client *c, unsigned k, struct ingest_seed_report *rep)
{
    struct ingest_seed_report r;
    struct ingest_node *nodes;
    struct ingest_site *s;
    size_t n, i, j, nsrc = 0, nq = 0, qhead = 0;
    unsigned char *is_seed, *direct;
    size_t *src, *queue;
    char **bodies;
    size_t *lens;

    memset(&r, 0, sizeof(r));
    nodes = ingest_client_nodes(c, &n);
    s = ingest_client_site(c);
    is_seed = ingest_xcalloc(n + 1, 1);
    direct = ingest_xcalloc(n + 1, 1);
    src = ingest_xcalloc(n + 1, sizeof(*src));
    queue = ingest_xcalloc(n + 1, sizeof(*queue));
    bodies = ingest_xcalloc(n + 1, sizeof(*bodies));
    lens = ingest_xcalloc(n + 1, sizeof(*lens));

    r.seeds = pick_seeds(nodes, n, k, is_seed);
    for (i = 0; i < n; i++)
        if (is_seed[i])
            nodes[i].seed_role = INGEST_ROLE_SEED;
    ingest_client_upload_only(c, is_seed);

    /* sources: every healthy node holding every blob of the site */
    for (i = 0; i < n; i++) {
        if (nodes[i].failed)
            continue;
        if (is_seed[i] || nodes[i].unchanged || nodes[i].missing == 0)
            src[nsrc++] = i;
        else
            queue[nq++] = i;
    }
    r.fetchers = nq;
    if (nsrc == 0) {
        for (i = 0; i < nq; i++) {
            direct[queue[i]] = 1;
            snprintf(nodes[queue[i]].fetch_note, sizeof(nodes[queue[i]].fetch_note),
                     "no seed node took the upload");
        }
        qhead = nq;
    }
    while (qhead < nq) {
        size_t take = nsrc * INGEST_SEED_FANOUT, round_src = nsrc;

        if (take > nq - qhead)
            take = nq - qhead;
        r.rounds++;
        for (j = 0; j < take; j++) {
            size_t ni = queue[qhead + j], cnt = 0, m;
            const char *from[INGEST_SEED_SOURCES];
            unsigned char(*d)[STORE_DIGEST_LEN];
            uint64_t *sizes = NULL;
            unsigned *vars = NULL;

            /* its own first source, then the others in turn */
            for (m = 0; m < round_src && m < INGEST_SEED_SOURCES; m++)
                from[m] = nodes[src[(j + m) % round_src]].url;
            d = lacked(s, &nodes[ni], &sizes, &vars, &cnt);
            bodies[ni] = api_fetch_request_encode(
                from, m, (const unsigned char(*)[STORE_DIGEST_LEN])d, sizes, vars, cnt, &lens[ni]);
            free(d);
            free(sizes);
            free(vars);
            nodes[ni].seed_role = INGEST_ROLE_FETCHED;
            if (bodies[ni] == NULL) { /* a source URL the node API cannot carry */
                direct[ni] = 1;
                snprintf(nodes[ni].fetch_note, sizeof(nodes[ni].fetch_note),
                         "a source URL cannot be sent in a fetch request");
            }
        }
        ingest_client_fetch(c, bodies, lens);
        for (j = 0; j < take; j++) {
            size_t ni = queue[qhead + j];

            free(bodies[ni]);
            bodies[ni] = NULL;
            if (nodes[ni].failed || direct[ni])
                continue;
            if (nodes[ni].fetch_refused) {
                direct[ni] = 1;
            } else if (nodes[ni].missing > 0) {
                direct[ni] = 1;
                snprintf(nodes[ni].fetch_note, sizeof(nodes[ni].fetch_note),
                         "%zu blob(s) could not be fetched from any source", nodes[ni].missing);
            } else {
                src[nsrc++] = ni;
            }
        }
        qhead += take;
    }
    for (i = 0; i < n; i++) {
        if (direct[i] && !nodes[i].failed) {
            nodes[i].seed_role = INGEST_ROLE_DIRECT;
            r.fallbacks++;
        }
    }
    if (r.fallbacks > 0)
        ingest_client_upload_only(c, direct);
    free(is_seed);
    free(direct);
    free(src);
    free(queue);
    free(bodies);
    free(lens);
    if (rep != NULL)
        *rep = r;
}
