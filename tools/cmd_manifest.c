/*
 * cmd_manifest.c - `origin-ingest manifest`: the manifest a push wrote for a
 * release, written again from a node, byte-identical (a rollback needs no
 * rebuild).
 *
 * For: reading the release back and mapping each path to its source name.
 * Not for: the manifest formats (manifest.c), HTTP (node.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "compress.h"
#include "delta.h"
#include "discover.h"
#include "hash.h"
#include "ingest.h"
#include "manifest.h"
#include "mime.h"
#include "naming.h"
#include "outfile.h"
#include "node.h"
#include "progress.h"
#include "promote.h"
#include "prune.h"
#include "through.h"
#include "secret_file.h"
#include "seed.h"
#include "tls_client.h"
#include "walk.h"
#include "cmds.h"
#include "opts.h"
#include "report.h"

struct manifest_state {
    struct cfg *cfg;
    struct ingest_site site; /* files[i]: rel, path, type owned here */
    size_t node;             /* the node whose listing it is */
    int have, rc;
    char err[900];
};

static int by_walk_order(const void *a, const void *b)
{
    return ingest_walk_order_cmp(((const struct ingest_file *)a)->rel,
                                 ((const struct ingest_file *)b)->rel);
}

/* Takes the first node's listing (in node order: nodes answer concurrently,
 * so the first that decoded wins only among equals; check below). */
static int manifest_take(void *arg, size_t node, const struct api_release *r)
{
    struct manifest_state *m = arg;
    size_t i;

    if (m->have && node > m->node)
        return 0;
    for (i = 0; i < m->site.nfiles; i++) {
        free(m->site.files[i].rel);
        free(m->site.files[i].path);
        free((char *)m->site.files[i].type);
    }
    free(m->site.files);
    m->site.files = ingest_xcalloc(r->n ? r->n : 1, sizeof(*m->site.files));
    m->site.nfiles = 0;
    m->have = 1;
    m->node = node;
    m->rc = INGEST_EXIT_OK;
    for (i = 0; i < r->n; i++) {
        struct ingest_file *f = &m->site.files[m->site.nfiles];
        const struct store_file *sf = &r->files[i];

        f->path = ingest_xstrndup(sf->path, sf->path_len);
        f->type = ingest_xstrndup(sf->type, sf->type_len);
        memcpy(f->digest, sf->digest, STORE_DIGEST_LEN);
        m->site.nfiles++;
        f->rel = ingest_name_source(m->cfg->prefix, f->path, f->digest, m->cfg->keep_names, m->err,
                                    sizeof(m->err));
        if (f->rel == NULL) {
            m->rc = INGEST_EXIT_USAGE;
            return 0;
        }
        if (api_path_reserved(f->path, strlen(f->path))) {
            /* published before nodes refused it: no URL can serve it */
            ingest_errf(
                m->err, sizeof(m->err),
                "%s (from %s) is a path the server answers itself (reserved: " API_RESERVED_HEALTHZ
                " and " API_RESERVED_PREFIX "...): no manifest can point at it",
                f->path, f->rel);
            m->rc = INGEST_EXIT_USAGE;
            return 0;
        }
    }
    return 0;
}

int ingest_cmd_manifest(struct cfg *cfg)
{
    struct manifest_state m;
    struct ingest_progress prog;
    struct ingest_client *client;
    struct ingest_node *nodes;
    const char *out;
    size_t nn, i;
    int rc;

    memset(&m, 0, sizeof(m));
    m.cfg = cfg;
    ingest_progress_init(&prog, cfg->quiet);
    client = ingest_client_reader((const char *const *)cfg->nodes, cfg->nnodes, cfg->token,
                                  cfg->val[O_CACERT], 4, cfg->retries);
    if (client == NULL) {
        ingest_progress_error(&prog, "cannot start libcurl");
        return INGEST_EXIT_LOCAL;
    }
    nodes = ingest_client_nodes(client, &nn);
    ingest_client_get_release(client, cfg->val[O_RELEASE], manifest_take, &m);
    if (!m.have) {
        /* no node could say: one line if they all say the same, else each and why */
        size_t same = 0;

        for (i = 0; i < nn; i++)
            same += strcmp(nodes[i].error, nodes[0].error) == 0;
        if (nn > 1 && same == nn)
            ingest_progress_error(&prog, "%s on any of the %zu nodes", nodes[0].error, nn);
        else
            for (i = 0; i < nn; i++)
                ingest_progress_error(&prog, "node %s: %s", nodes[i].url, nodes[i].error);
        rc = ingest_combine_exit(nodes, nn);
        if (rc == INGEST_EXIT_OK)
            rc = INGEST_EXIT_NODE;
        goto out;
    }
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed) /* another node has it: enough for the manifest, but say so */
            ingest_progress_line(&prog, "warning: node %s: %s (the manifest is node %s's)",
                                 nodes[i].url, nodes[i].error, nodes[m.node].url);
        else if (strcmp(nodes[i].digest, nodes[m.node].digest) != 0) {
            ingest_progress_error(&prog,
                                  "node %s holds release %s with digest %.16s..., node %s "
                                  "%.16s...: run origin-ingest verify",
                                  nodes[i].url, cfg->val[O_RELEASE], nodes[i].digest,
                                  nodes[m.node].url, nodes[m.node].digest);
            rc = INGEST_EXIT_NODE;
            goto out;
        }
    }
    if (m.rc != INGEST_EXIT_OK) {
        ingest_progress_error(&prog, "release %s: %s", cfg->val[O_RELEASE], m.err);
        rc = m.rc;
        goto out;
    }
    if (cfg->mfmt == INGEST_MANIFEST_FULL && m.site.nfiles > 0) {
        unsigned char *d = ingest_xmalloc(m.site.nfiles * STORE_DIGEST_LEN);
        uint64_t *sizes = ingest_xcalloc(m.site.nfiles, sizeof(*sizes));

        for (i = 0; i < m.site.nfiles; i++)
            memcpy(d + i * STORE_DIGEST_LEN, m.site.files[i].digest, STORE_DIGEST_LEN);
        ingest_client_blob_sizes(client, m.node, d, m.site.nfiles, sizes);
        for (i = 0; i < m.site.nfiles; i++)
            m.site.files[i].size = sizes[i];
        free(d);
        free(sizes);
        if (nodes[m.node].failed) {
            ingest_progress_error(&prog, "node %s: %s", nodes[m.node].url, nodes[m.node].error);
            rc = nodes[m.node].failed;
            goto out;
        }
    }
    /* push writes the files in the order it walked the directory */
    if (m.site.nfiles > 1)
        qsort(m.site.files, m.site.nfiles, sizeof(*m.site.files), by_walk_order);
    out = cfg->val[O_OUT] != NULL && cfg->val[O_OUT][0] != '\0' ? cfg->val[O_OUT] : "-";
    rc = ingest_manifest_write(&m.site, out, cfg->mfmt, cfg->val[O_PUBLIC_BASE], m.err,
                               sizeof(m.err));
    if (rc != INGEST_EXIT_OK)
        ingest_progress_error(&prog, "%s", m.err);
    else if (strcmp(out, "-") != 0)
        ingest_progress_line(&prog, "release %s: manifest of %zu files written to %s (from %s)",
                             cfg->val[O_RELEASE], m.site.nfiles, out, nodes[m.node].url);
out:
    for (i = 0; i < m.site.nfiles; i++) {
        free(m.site.files[i].rel);
        free(m.site.files[i].path);
        free((char *)m.site.files[i].type);
    }
    free(m.site.files);
    ingest_client_free(client);
    return rc;
}
