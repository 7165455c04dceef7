/*
 * prune.c - `origin-ingest prune`: the fleet-wide retention command.
 *
 * For: reading the policy (--keep-last, --keep-newer-than, --keep), asking
 * every node for its releases, computing one prune set from the union of
 * their lists, sending it to every node (POST /v1/prune, dry or not) and
 * reporting per node. Not for: what a node does with the set (store_prune),
 * nor pushing (node.c).
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
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "ingest.h"
#include "prune.h"
#include "store.h"

#define ANSWER_MAX    (64u << 20)
#define LIST_TIMEOUT  60L
#define PRUNE_TIMEOUT 900L
#define TOKEN_MAX     4096

struct rel {
    char id[STORE_ID_MAX + 1];
    int64_t created; /* earliest over the nodes */
    int keep;
};

struct opts {
    const char **nodes;
    size_t nnodes;
    const char **keep;
    size_t nkeep;
    long keep_last;     /* -1: not given */
    int64_t newer_than; /* seconds; -1: not given */
    int dry_run, json;
    const char *token_file, *cacert;
    char token[TOKEN_MAX + 1];
};

struct buf {
    char *p;
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    char *g;

    if (b->len + add > ANSWER_MAX)
        return 0;
    g = realloc(b->p, b->len + add + 1);
    if (g == NULL)
        return 0;
    memcpy(g + b->len, data, add);
    b->p = g;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

/* One admin request: GET (body NULL) or POST body to url+rel. Returns the
 * HTTP status (0: no answer, reason in err) with the answer in *out. */
static long request(const struct opts *o, const char *url, const char *rel, const char *body,
                    long timeout, struct buf *out, char *err, size_t errlen)
{
    char full[4096], auth[TOKEN_MAX + 64];
    struct curl_slist *h = NULL;
    CURL *e = curl_easy_init();
    long status = 0;
    CURLcode cc;

    out->p = NULL;
    out->len = 0;
    if (e == NULL) {
        snprintf(err, errlen, "curl could not start");
        return 0;
    }
    snprintf(full, sizeof(full), "%s%s", url, rel);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->token);
    h = curl_slist_append(h, auth);
    OPENSSL_cleanse(auth, sizeof(auth));
    if (body != NULL)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_URL, full);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (o->cacert != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
    if (body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    cc = curl_easy_perform(e);
    if (cc != CURLE_OK)
        snprintf(err, errlen, "%s", curl_easy_strerror(cc));
    else
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    for (struct curl_slist *s = h; s != NULL; s = s->next)
        OPENSSL_cleanse(s->data, strlen(s->data));
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return status;
}

/* The one-line reason of an error answer. */
static void answer_reason(const struct buf *b, long status, char *err, size_t errlen)
{
    json_t *doc = b->p != NULL ? json_loadb(b->p, b->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(doc, "error"));

    snprintf(err, errlen, "HTTP %ld%s%s", status, msg != NULL ? ": " : "", msg != NULL ? msg : "");
    json_decref(doc);
}

/* "90d", "12h", "30m", "45s" -> seconds; -1 if malformed. */
static int64_t parse_duration(const char *s)
{
    char *end;
    unsigned long long v;
    int64_t mult;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-' || end[0] == '\0' || end[1] != '\0')
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

static int read_token(struct opts *o)
{
    FILE *f = fopen(o->token_file, "re");
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "origin-ingest prune: cannot read token file %s: %s\n", o->token_file,
                strerror(errno));
        return -1;
    }
    n = fread(o->token, 1, TOKEN_MAX, f);
    fclose(f);
    o->token[n] = '\0';
    while (n > 0 && (o->token[n - 1] == '\n' || o->token[n - 1] == '\r' || o->token[n - 1] == ' ' ||
                     o->token[n - 1] == '\t'))
        o->token[--n] = '\0';
    if (n == 0) {
        fprintf(stderr, "origin-ingest prune: token file %s is empty\n", o->token_file);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fputs(
        "usage: origin-ingest prune --node URL [--node URL ...] --token-file FILE\n"
        "         [--keep-last N] [--keep-newer-than DURATION] [--keep ID ...]\n"
        "         [--dry-run] [--json] [--cacert FILE]\n"
        "Keeps the union of the --keep-* sets and prunes every other release on every\n"
        "node. A pruned release is gone for good: its paths answer 410 Gone, its id can\n"
        "never be published again, and blobs no kept release uses are removed.\n"
        "  --node URL              a node's admin URL (repeat; env ORIGIN_INGEST_NODES,\n"
        "                          comma separated)\n"
        "  --token-file FILE       bearer token (env ORIGIN_INGEST_TOKEN_FILE)\n"
        "  --keep-last N           keep the N newest releases (env ORIGIN_INGEST_KEEP_LAST)\n"
        "  --keep-newer-than D     keep releases newer than D: 90d, 12h, 30m, 45s\n"
        "                          (env ORIGIN_INGEST_KEEP_NEWER_THAN)\n"
        "  --keep ID               keep this release (repeat; env ORIGIN_INGEST_KEEP,\n"
        "                          comma separated)\n"
        "  --dry-run               list per node what would go; change nothing\n"
        "                          (env ORIGIN_INGEST_DRY_RUN=1)\n"
        "  --json                  print the result as JSON on stdout (env ORIGIN_INGEST_JSON=1)\n"
        "  --cacert FILE           CA bundle for HTTPS nodes (env ORIGIN_INGEST_CACERT)\n"
        "Exit: 0 every node pruned the same set, 2 usage (or a policy that keeps\n"
        "nothing), 4 a node failed (named; run the same command again).\n",
        f);
}

static int add_str(const char ***arr, size_t *n, const char *s)
{
    const char **g = realloc(*arr, (*n + 1) * sizeof(*g));

    if (g == NULL)
        return -1;
    g[(*n)++] = s;
    *arr = g;
    return 0;
}

/* Returns 0, 1 (--help printed), or -1 (usage error, printed). */
/* Adds the comma- or space-separated items of the environment variable
 * name to arr; *copy holds the split copy (caller frees). Returns 0 or -1. */
static int env_list(const char *name, const char ***arr, size_t *n, char **copy)
{
    const char *env = getenv(name);
    char *save = NULL, *tok;

    if (env == NULL || env[0] == '\0')
        return 0;
    *copy = strdup(env);
    if (*copy == NULL)
        return -1;
    for (tok = strtok_r(*copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
        if (add_str(arr, n, tok) != 0)
            return -1;
    return 0;
}

static int env_flag(const char *name)
{
    const char *env = getenv(name);

    return env != NULL && strcmp(env, "1") == 0;
}

static int parse(struct opts *o, int argc, char **argv, char **nodes_env, char **keep_env)
{
    static const struct option lo[] = {{"node", required_argument, NULL, 'n'},
                                       {"token-file", required_argument, NULL, 't'},
                                       {"keep-last", required_argument, NULL, 'l'},
                                       {"keep-newer-than", required_argument, NULL, 'a'},
                                       {"keep", required_argument, NULL, 'k'},
                                       {"dry-run", no_argument, NULL, 'd'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"cacert", required_argument, NULL, 'c'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *env;
    int c;

    o->keep_last = -1;
    o->newer_than = -1;
    o->token_file = getenv("ORIGIN_INGEST_TOKEN_FILE");
    o->cacert = getenv("ORIGIN_INGEST_CACERT");
    o->dry_run = env_flag("ORIGIN_INGEST_DRY_RUN");
    o->json = env_flag("ORIGIN_INGEST_JSON");
    env = getenv("ORIGIN_INGEST_KEEP_LAST");
    if (env != NULL && env[0] != '\0') {
        char *end;

        errno = 0;
        o->keep_last = strtol(env, &end, 10);
        if (errno != 0 || end == env || *end != '\0' || o->keep_last < 0) {
            fprintf(stderr, "origin-ingest prune: ORIGIN_INGEST_KEEP_LAST wants a number >= 0\n");
            return -1;
        }
    }
    env = getenv("ORIGIN_INGEST_KEEP_NEWER_THAN");
    if (env != NULL && env[0] != '\0') {
        o->newer_than = parse_duration(env);
        if (o->newer_than < 0) {
            fprintf(stderr, "origin-ingest prune: ORIGIN_INGEST_KEEP_NEWER_THAN wants 90d, 12h, "
                            "30m or 45s\n");
            return -1;
        }
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        char *end;

        switch (c) {
        case 'n':
            if (add_str(&o->nodes, &o->nnodes, optarg) != 0)
                return -1;
            break;
        case 't':
            o->token_file = optarg;
            break;
        case 'l':
            errno = 0;
            o->keep_last = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || o->keep_last < 0) {
                fprintf(stderr, "origin-ingest prune: --keep-last wants a number >= 0\n");
                return -1;
            }
            break;
        case 'a':
            o->newer_than = parse_duration(optarg);
            if (o->newer_than < 0) {
                fprintf(stderr, "origin-ingest prune: --keep-newer-than wants 90d, 12h, 30m or "
                                "45s\n");
                return -1;
            }
            break;
        case 'k':
            if (store_id_valid(optarg, strlen(optarg)) != STORE_OK) {
                fprintf(stderr, "origin-ingest prune: --keep %s is not a release id\n", optarg);
                return -1;
            }
            if (add_str(&o->keep, &o->nkeep, optarg) != 0)
                return -1;
            break;
        case 'd':
            o->dry_run = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'c':
            o->cacert = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "origin-ingest prune: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (o->nnodes == 0 && env_list("ORIGIN_INGEST_NODES", &o->nodes, &o->nnodes, nodes_env) != 0)
        return -1;
    if (o->nkeep == 0 && env_list("ORIGIN_INGEST_KEEP", &o->keep, &o->nkeep, keep_env) != 0)
        return -1;
    for (size_t i = 0; i < o->nkeep; i++) {
        if (store_id_valid(o->keep[i], strlen(o->keep[i])) != STORE_OK) {
            fprintf(stderr, "origin-ingest prune: keep %s is not a release id\n", o->keep[i]);
            return -1;
        }
    }
    if (o->nnodes == 0) {
        fprintf(stderr, "origin-ingest prune: at least one --node URL is needed\n");
        return -1;
    }
    if (o->token_file == NULL) {
        fprintf(stderr, "origin-ingest prune: --token-file FILE is needed\n");
        return -1;
    }
    if (o->keep_last <= 0 && o->newer_than < 0 && o->nkeep == 0) {
        fprintf(stderr, "origin-ingest prune: refusing a policy that keeps nothing: give "
                        "--keep-last N (N >= 1), --keep-newer-than or --keep ID\n");
        return -1;
    }
    return 0;
}

static int cmp_newest_first(const void *pa, const void *pb)
{
    const struct rel *a = pa, *b = pb;

    if (a->created != b->created)
        return a->created > b->created ? -1 : 1;
    return strcmp(b->id, a->id);
}

/* Merges node url's release list (answer b) into rels. Returns 0 or -1. */
static int merge_list(const struct buf *b, struct rel **rels, size_t *n, char *err, size_t errlen)
{
    json_t *doc = json_loadb(b->p != NULL ? b->p : "", b->len, 0, NULL), *arr, *e;
    size_t i, j;

    arr = json_object_get(doc, "releases");
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "release list is not {\"releases\":[...]}");
        json_decref(doc);
        return -1;
    }
    json_array_foreach(arr, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        int64_t created = (int64_t)json_integer_value(json_object_get(e, "created"));
        struct rel *g;

        if (id == NULL || store_id_valid(id, strlen(id)) != STORE_OK)
            continue;
        for (j = 0; j < *n && strcmp((*rels)[j].id, id) != 0; j++)
            ;
        if (j < *n) {
            if (created < (*rels)[j].created)
                (*rels)[j].created = created;
            continue;
        }
        g = realloc(*rels, (*n + 1) * sizeof(*g));
        if (g == NULL) {
            json_decref(doc);
            return -1;
        }
        *rels = g;
        memset(&g[*n], 0, sizeof(g[*n]));
        snprintf(g[*n].id, sizeof(g[*n].id), "%s", id);
        g[*n].created = created;
        (*n)++;
    }
    json_decref(doc);
    return 0;
}

int ingest_prune_main(int argc, char **argv)
{
    struct opts o;
    struct rel *rels = NULL;
    size_t nrels = 0, i, j, nkept = 0, nprune = 0;
    json_t *body = NULL, *report = NULL, *nodes_out = NULL;
    char *body_text = NULL, *nodes_env = NULL, *keep_env = NULL, err[512];
    int rc = INGEST_EXIT_OK, pr;
    int64_t now = (int64_t)time(NULL);

    memset(&o, 0, sizeof(o));
    pr = parse(&o, argc, argv, &nodes_env, &keep_env);
    if (pr != 0) {
        rc = pr > 0 ? INGEST_EXIT_OK : INGEST_EXIT_USAGE;
        goto out;
    }
    if (read_token(&o) != 0) {
        rc = INGEST_EXIT_USAGE;
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* 1. Every node's releases: all of them, or nothing changes. */
    for (i = 0; i < o.nnodes; i++) {
        struct buf b;
        long st = request(&o, o.nodes[i], "/v1/releases", NULL, LIST_TIMEOUT, &b, err, sizeof(err));

        if (st != 200) {
            if (st != 0)
                answer_reason(&b, st, err, sizeof(err));
            fprintf(stderr, "origin-ingest prune: node %s: listing releases: %s; nothing pruned\n",
                    o.nodes[i], err);
            free(b.p);
            rc = INGEST_EXIT_NODE;
            goto out;
        }
        if (merge_list(&b, &rels, &nrels, err, sizeof(err)) != 0) {
            fprintf(stderr, "origin-ingest prune: node %s: %s; nothing pruned\n", o.nodes[i], err);
            free(b.p);
            rc = INGEST_EXIT_NODE;
            goto out;
        }
        free(b.p);
    }

    /* 2. The kept set: the union of the three policies, on the union of lists. */
    qsort(rels, nrels, sizeof(*rels), cmp_newest_first);
    for (i = 0; i < nrels; i++) {
        if (o.keep_last > 0 && i < (size_t)o.keep_last)
            rels[i].keep = 1;
        if (o.newer_than >= 0 && rels[i].created > now - o.newer_than)
            rels[i].keep = 1;
        for (j = 0; j < o.nkeep; j++)
            if (strcmp(o.keep[j], rels[i].id) == 0)
                rels[i].keep = 1;
        if (rels[i].keep)
            nkept++;
        else
            nprune++;
    }
    if (nrels > 0 && nkept == 0) {
        fprintf(stderr,
                "origin-ingest prune: refusing: the policy keeps none of the %zu "
                "releases on the nodes\n",
                nrels);
        rc = INGEST_EXIT_USAGE;
        goto out;
    }

    /* 3. The same set to every node. */
    body = json_pack("{s:[],s:b}", "prune", "dry_run", o.dry_run);
    report = json_pack("{s:b,s:[],s:[],s:[]}", "dry_run", o.dry_run, "keep", "prune", "nodes");
    if (body == NULL || report == NULL)
        goto oom;
    for (i = 0; i < nrels; i++) {
        json_array_append_new(json_object_get(report, rels[i].keep ? "keep" : "prune"),
                              json_string(rels[i].id));
        if (!rels[i].keep)
            json_array_append_new(json_object_get(body, "prune"), json_string(rels[i].id));
    }
    body_text = json_dumps(body, JSON_COMPACT);
    if (body_text == NULL)
        goto oom;
    nodes_out = json_object_get(report, "nodes");
    if (!o.json)
        printf("%s %zu of %zu releases, keeping %zu, on %zu nodes\n",
               o.dry_run ? "would prune" : "pruning", nprune, nrels, nkept, o.nnodes);
    for (i = 0; i < o.nnodes && nprune > 0; i++) {
        struct buf b;
        long st =
            request(&o, o.nodes[i], "/v1/prune", body_text, PRUNE_TIMEOUT, &b, err, sizeof(err));
        json_t *ans = st == 200 ? json_loadb(b.p, b.len, 0, NULL) : NULL;

        if (ans == NULL) {
            if (st != 0)
                answer_reason(&b, st, err, sizeof(err));
            fprintf(stderr, "origin-ingest prune: node %s failed: %s\n", o.nodes[i], err);
            json_array_append_new(
                nodes_out, json_pack("{s:s,s:b,s:s}", "node", o.nodes[i], "ok", 0, "error", err));
            rc = INGEST_EXIT_NODE;
        } else {
            json_t *e;
            size_t k;

            if (!o.json) {
                printf("node %s: %s %lld releases (%lld already, %lld absent), %lld blobs, "
                       "%lld bytes\n",
                       o.nodes[i], o.dry_run ? "would prune" : "pruned",
                       (long long)json_integer_value(json_object_get(ans, "pruned")),
                       (long long)json_integer_value(json_object_get(ans, "already")),
                       (long long)json_integer_value(json_object_get(ans, "absent")),
                       (long long)json_integer_value(json_object_get(ans, "blobs")),
                       (long long)json_integer_value(json_object_get(ans, "bytes")));
                json_array_foreach(json_object_get(ans, "releases"), k, e)
                {
                    printf("  %s %s: %lld blobs, %lld bytes\n",
                           json_string_value(json_object_get(e, "id")),
                           json_string_value(json_object_get(e, "state")),
                           (long long)json_integer_value(json_object_get(e, "blobs")),
                           (long long)json_integer_value(json_object_get(e, "bytes")));
                }
            }
            json_object_set_new(ans, "node", json_string(o.nodes[i]));
            json_object_set_new(ans, "ok", json_true());
            json_array_append_new(nodes_out, ans);
        }
        free(b.p);
    }
    if (o.json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
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
    OPENSSL_cleanse(o.token, sizeof(o.token));
    json_decref(body);
    json_decref(report);
    free(body_text);
    free(rels);
    free(o.nodes);
    free(o.keep);
    free(nodes_env);
    free(keep_env);
    return rc;
}
