/*
 * prune.c - `origin-ingest prune`: the fleet-wide retention policy.
 *
 * For: which releases to keep (--keep-last, --keep-newer-than, --keep, on
 * the union of every node's list), refusing a policy that keeps nothing,
 * sending one prune set to every node, the dry-run report and the exit
 * code. Not for: option parsing (opts.c's table), HTTP, retries, TLS
 * and the API version check (node.c), the request and answer bodies
 * (api/api_prune.c), nor what a node does with the set (store_prune).
 *
 * Nodes that disagree: the releases considered are the union of every
 * node's list (a release that reached only some nodes counts); its time is
 * the earliest "created" any node reports. The kept set is computed once on
 * that union, and every node gets the same prune set: a node that lacks a
 * release of the set records a tombstone for it ("absent"), so catch-up
 * from a peer never brings it back. Any node that cannot list its releases
 * stops the command before anything changes (the set would be computed on
 * part of the fleet). A node that fails the prune itself is named; running
 * the same command again lists it with the releases it still has, so the
 * union and the set are the same, and finishes the job (nodes already done
 * answer "already").
 */
#include "prune.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "ingest.h"
#include "node.h"
#include "promote.h"

/* ------------------------------------------------------------------ */
/* Policy                                                               */

int64_t ingest_prune_duration(const char *s)
{
    char *end;
    unsigned long long v;
    int64_t mult;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] < '0' || s[0] > '9' || end[0] == '\0' || end[1] != '\0')
        return -1;
    switch (*end) {
    case 'd':
        mult = 86400;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'm':
        mult = 60;
        break;
    case 's':
        mult = 1;
        break;
    default:
        return -1;
    }
    if (v > (unsigned long long)(INT64_MAX / mult))
        return -1;
    return (int64_t)v * mult;
}

int ingest_prune_policy_empty(const struct ingest_prune_policy *p)
{
    return p->keep_last == 0 && p->newer_than < 0 && p->nkeep == 0 && p->keep_promoted == 0;
}

const char *ingest_keep_why_name(unsigned i)
{
    static const char *const names[INGEST_KEEP_WHY_COUNT] = {
        "keep-last", "newer-than", "keep", "promoted", "after-promotion", "live", "floor"};

    return i < INGEST_KEEP_WHY_COUNT ? names[i] : "?";
}

int ingest_prune_merge(struct ingest_prune_rel **rels, size_t *n, const char *id, int64_t created)
{
    struct ingest_prune_rel *g;
    size_t j;

    for (j = 0; j < *n; j++) {
        if (strcmp((*rels)[j].id, id) == 0) {
            if (created < (*rels)[j].created)
                (*rels)[j].created = created;
            return 0;
        }
    }
    g = realloc(*rels, (*n + 1) * sizeof(*g));
    if (g == NULL)
        return -1;
    *rels = g;
    memset(&g[*n], 0, sizeof(g[*n]));
    snprintf(g[*n].id, sizeof(g[*n].id), "%s", id);
    g[*n].created = created;
    (*n)++;
    return 0;
}

static int cmp_newest_first(const void *pa, const void *pb)
{
    const struct ingest_prune_rel *a = pa, *b = pb;

    if (a->created != b->created)
        return a->created > b->created ? -1 : 1;
    return strcmp(b->id, a->id);
}

size_t ingest_prune_decide(struct ingest_prune_rel *rels, size_t n,
                           const struct ingest_prune_policy *p, int64_t now)
{
    size_t i, j, kept = 0;

    if (n > 0)
        qsort(rels, n, sizeof(*rels), cmp_newest_first);
    for (i = 0; i < n; i++) {
        rels[i].why = i < p->keep_last ? INGEST_KEEP_LAST : 0;
        if (p->newer_than >= 0 && rels[i].created > now - p->newer_than)
            rels[i].why |= INGEST_KEEP_NEWER;
        for (j = 0; j < p->nkeep; j++)
            if (strcmp(p->keep[j], rels[i].id) == 0)
                rels[i].why |= INGEST_KEEP_ID;
        rels[i].keep = rels[i].why != 0;
        kept += rels[i].keep != 0;
    }
    return kept;
}

static struct ingest_prune_rel *find_rel(struct ingest_prune_rel *rels, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(rels[i].id, id) == 0)
            return &rels[i];
    return NULL;
}

size_t ingest_prune_decide_promoted(struct ingest_prune_rel *rels, size_t n,
                                    const struct ingest_prune_policy *p,
                                    const struct store_promotion *hist, size_t nhist)
{
    struct ingest_prune_rel *r;
    size_t i, j, distinct = 0, kept = 0;

    if (nhist > 0) {
        int64_t after = hist[0].promoted_at;

        r = find_rel(rels, n, hist[0].release);
        if (r != NULL) {
            r->why |= INGEST_KEEP_LIVE;
            if (r->created < after)
                after = r->created;
        }
        r = hist[0].floor[0] != '\0' ? find_rel(rels, n, hist[0].floor) : NULL;
        if (r != NULL)
            r->why |= INGEST_KEEP_FLOOR;
        for (i = 0; i < nhist && distinct < p->keep_promoted; i++) {
            for (j = 0; j < i && strcmp(hist[j].release, hist[i].release) != 0; j++)
                ;
            if (j < i)
                continue; /* promoted again later: counted once */
            distinct++;
            r = find_rel(rels, n, hist[i].release);
            if (r != NULL)
                r->why |= INGEST_KEEP_PROMOTED;
        }
        for (i = 0; p->keep_promoted > 0 && i < n; i++)
            if (rels[i].created > after)
                rels[i].why |= INGEST_KEEP_AFTER;
    }
    for (i = 0; i < n; i++) {
        rels[i].keep = rels[i].why != 0;
        kept += rels[i].keep != 0;
    }
    return kept;
}

/* ------------------------------------------------------------------ */
/* The run                                                              */

static int cmp_promotion_desc(const void *a, const void *b)
{
    return -store_promotion_cmp(a, b);
}

/* Every promotion any node remembers, newest first, into *out (malloc'd,
 * caller frees; identical records once). Returns the count. */
static size_t merge_histories(const struct ingest_promotions *ps, size_t nn,
                              struct store_promotion **out)
{
    size_t i, k, n = 0, total = 0;
    struct store_promotion *all;

    for (i = 0; i < nn; i++)
        total += ps[i].n;
    all = ingest_xcalloc(total + 1, sizeof(*all));
    for (i = 0; i < nn; i++)
        for (k = 0; k < ps[i].n; k++)
            all[n++] = ps[i].hist[k];
    if (n > 1)
        qsort(all, n, sizeof(*all), cmp_promotion_desc);
    for (i = k = 0; i < n; i++)
        if (k == 0 || store_promotion_cmp(&all[k - 1], &all[i]) != 0)
            all[k++] = all[i];
    *out = all;
    return k;
}

/* "keep-last, live" for why into buf. */
static const char *why_text(unsigned why, char *buf, size_t cap)
{
    unsigned i;
    size_t len = 0;

    buf[0] = '\0';
    for (i = 0; i < INGEST_KEEP_WHY_COUNT; i++)
        if (why & (1u << i))
            len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? ", " : "",
                                    ingest_keep_why_name(i));
    return buf;
}

struct run {
    const struct ingest_prune_opts *o;
    struct ingest_prune_rel *rels;
    size_t nrels;
    json_t **answers; /* per node: its answer as the report shows it */
    int oom;
};

static int on_release(void *arg, size_t node, const char *id, int64_t created, uint64_t files)
{
    struct run *r = arg;

    (void)node;
    (void)files;
    if (ingest_prune_merge(&r->rels, &r->nrels, id, created) != 0) {
        r->oom = 1;
        return -1;
    }
    return 0;
}

static void on_pruned(void *arg, size_t node, const struct api_prune_answer *a)
{
    struct run *r = arg;
    const char *url = r->o->fleet.nodes[node];
    json_t *rels = json_array(), *doc;
    size_t k;

    if (rels == NULL) {
        r->oom = 1;
        return;
    }
    for (k = 0; k < a->n; k++)
        json_array_append_new(rels, json_pack("{s:s,s:s,s:I,s:I,s:I}", "id", a->releases[k].id,
                                              "state", store_prune_state_name(a->releases[k].state),
                                              "blobs", (json_int_t)a->releases[k].blobs, "variants",
                                              (json_int_t)a->releases[k].variants, "bytes",
                                              (json_int_t)a->releases[k].bytes));
    doc = json_pack("{s:b,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:b}", "dry_run", a->dry_run,
                    "releases", rels, "pruned", (json_int_t)a->tot.pruned, "already",
                    (json_int_t)a->tot.already, "absent", (json_int_t)a->tot.absent, "blobs",
                    (json_int_t)a->tot.blobs, "variants", (json_int_t)a->tot.variants, "bytes",
                    (json_int_t)a->tot.bytes, "paths_gone", (json_int_t)a->tot.paths_gone, "node",
                    url, "ok", 1);
    if (doc == NULL)
        r->oom = 1;
    r->answers[node] = doc;
}

/* The text report of one node's answer doc (as on_pruned built it), in
 * node order. */
static void print_answer(const struct ingest_prune_opts *o, const json_t *doc)
{
    const json_t *e;
    size_t k;

#define N(obj, key) ((unsigned long long)json_integer_value(json_object_get(obj, key)))
    printf("node %s: %s %llu releases (%llu already, %llu absent), %llu blobs, %llu bytes\n",
           json_string_value(json_object_get(doc, "node")), o->dry_run ? "would prune" : "pruned",
           N(doc, "pruned"), N(doc, "already"), N(doc, "absent"), N(doc, "blobs"), N(doc, "bytes"));
    json_array_foreach(json_object_get(doc, "releases"), k, e)
    {
        printf("  %s %s: %llu blobs, %llu bytes\n", json_string_value(json_object_get(e, "id")),
               json_string_value(json_object_get(e, "state")), N(e, "blobs"), N(e, "bytes"));
    }
#undef N
}

int ingest_prune_run(const struct ingest_prune_opts *o)
{
    struct ingest_client *client = NULL;
    struct ingest_node *nodes;
    struct run r;
    struct ingest_promotions *ps = NULL;
    struct store_promotion *hist = NULL;
    size_t nhist = 0;
    const char **ids = NULL;
    json_t *report = NULL, *keep, *prune, *nodes_out, *whys;
    char *body = NULL;
    size_t nn, i, nkept, nprune = 0, body_len = 0;
    int rc = INGEST_EXIT_OK;
    int64_t now = (int64_t)time(NULL);

    memset(&r, 0, sizeof(r));
    r.o = o;
    client = ingest_client_reader(o->fleet.nodes, o->fleet.nnodes, o->fleet.token, o->fleet.cacert,
                                  1, o->fleet.retries);
    if (client == NULL) {
        fprintf(stderr, "origin-ingest prune: cannot start libcurl\n");
        return INGEST_EXIT_LOCAL;
    }
    nodes = ingest_client_nodes(client, &nn);

    /* 1. Every node's releases: all of them, or nothing changes. */
    ingest_client_list_releases(client, on_release, &r);
    if (r.oom)
        goto oom;
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed) {
            fprintf(stderr, "origin-ingest prune: node %s: listing releases: %s; nothing pruned\n",
                    o->fleet.nodes[i], nodes[i].error);
            rc = INGEST_EXIT_NODE;
        }
    }
    if (rc != INGEST_EXIT_OK)
        goto out;
    /* and what they promoted: the live release is never pruned */
    ps = ingest_xcalloc(nn, sizeof(*ps));
    ingest_promotions_read(client, ps);
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed) {
            fprintf(stderr,
                    "origin-ingest prune: node %s: reading promotions: %s; nothing pruned\n",
                    o->fleet.nodes[i], nodes[i].error);
            rc = INGEST_EXIT_NODE;
        }
    }
    if (rc != INGEST_EXIT_OK)
        goto out;
    nhist = merge_histories(ps, nn, &hist);
    if (o->policy.keep_promoted > 0 && nhist == 0)
        fprintf(stderr, "origin-ingest prune: note: no node has a promotion: --keep-promoted "
                        "keeps nothing\n");

    /* 2. The kept set: the union of the policies, on the union of lists. */
    ingest_prune_decide(r.rels, r.nrels, &o->policy, now);
    nkept = ingest_prune_decide_promoted(r.rels, r.nrels, &o->policy, hist, nhist);
    if (r.nrels > 0 && nkept == 0) {
        fprintf(stderr,
                "origin-ingest prune: refusing: the policy keeps none of the %zu "
                "releases on the nodes\n",
                r.nrels);
        rc = INGEST_EXIT_USAGE;
        goto out;
    }

    /* 3. The same set to every node. */
    ids = calloc(r.nrels + 1, sizeof(*ids));
    r.answers = calloc(nn + 1, sizeof(*r.answers));
    report = json_pack("{s:b,s:[],s:{},s:[],s:[]}", "dry_run", o->dry_run, "keep", "why", "prune",
                       "nodes");
    if (ids == NULL || r.answers == NULL || report == NULL)
        goto oom;
    keep = json_object_get(report, "keep");
    prune = json_object_get(report, "prune");
    nodes_out = json_object_get(report, "nodes");
    whys = json_object_get(report, "why");
    for (i = 0; i < r.nrels; i++) {
        json_array_append_new(r.rels[i].keep ? keep : prune, json_string(r.rels[i].id));
        if (!r.rels[i].keep)
            ids[nprune++] = r.rels[i].id;
        if (r.rels[i].keep) {
            json_t *reasons = json_array();
            unsigned b;

            for (b = 0; b < INGEST_KEEP_WHY_COUNT; b++)
                if (r.rels[i].why & (1u << b))
                    json_array_append_new(reasons, json_string(ingest_keep_why_name(b)));
            json_object_set_new(whys, r.rels[i].id, reasons);
        }
    }
    body = api_prune_request_encode(ids, nprune, o->dry_run, &body_len);
    if (body == NULL)
        goto oom;
    if (!o->json) {
        char wbuf[200];

        printf("%s %zu of %zu releases, keeping %zu, on %zu nodes\n",
               o->dry_run ? "would prune" : "pruning", nprune, r.nrels, nkept, nn);
        for (i = 0; i < r.nrels; i++)
            if (r.rels[i].keep)
                printf("  keep %s: %s\n", r.rels[i].id,
                       why_text(r.rels[i].why, wbuf, sizeof(wbuf)));
    }
    if (nprune > 0)
        ingest_client_prune(client, body, body_len, on_pruned, &r);
    if (r.oom)
        goto oom;
    for (i = 0; i < nn && nprune > 0; i++) {
        if (nodes[i].failed || r.answers[i] == NULL) {
            const char *why = nodes[i].failed ? nodes[i].error : "no answer";

            fprintf(stderr, "origin-ingest prune: node %s failed: %s\n", o->fleet.nodes[i], why);
            json_array_append_new(nodes_out, json_pack("{s:s,s:b,s:s}", "node", o->fleet.nodes[i],
                                                       "ok", 0, "error", why));
            rc = INGEST_EXIT_NODE;
        } else {
            if (!o->json)
                print_answer(o, r.answers[i]);
            json_array_append(nodes_out, r.answers[i]);
        }
    }
    if (o->json) {
        json_dumpf(report, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
    if (rc != INGEST_EXIT_OK)
        fprintf(stderr, "origin-ingest prune: not every node pruned the set; run the same "
                        "command again to finish\n");
    goto out;
oom:
    fprintf(stderr, "origin-ingest prune: out of memory\n");
    rc = INGEST_EXIT_LOCAL;
out:
    for (i = 0; r.answers != NULL && i < nn; i++)
        json_decref(r.answers[i]);
    free(r.answers);
    free(ps);
    free(hist);
    json_decref(report);
    free(body);
    free(ids);
    free(r.rels);
    ingest_client_free(client);
    return rc;
}
