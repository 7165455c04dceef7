/*
 * cmd_verify.c - `origin-ingest verify`: every node has the release complete
 * and the same (its release digest), optionally as a full manifest says,
 * every node's promotion agrees, and with --through every file of the
 * release reaches clients through the CDN with the right bytes.
 *
 * For: the order of verify's checks and its summary.
 * Not for: HTTP (node.c), the CDN client (through.c), options (opts.c).
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
#include "clock.h"
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

/* verify --through: the release's files as the first node lists them (every
 * node was just found to hold the same), fetched through the CDN. Returns an
 * exit code; *doc gets the JSON summary. */
static int verify_through(struct cfg *cfg, struct ingest_progress *prog, json_t **doc)
{
    struct ingest_through_release rel;
    struct ingest_through_opts o;
    struct ingest_through_result res;
    struct ingest_client *c;
    char err[700];
    int r;

    *doc = NULL;
    c = ingest_client_reader((const char *const *)cfg->nodes, 1, cfg->token, cfg->val[O_CACERT], 1,
                             cfg->retries);
    if (c == NULL) {
        ingest_progress_error(prog, "cannot start libcurl");
        return INGEST_EXIT_LOCAL;
    }
    if (ingest_through_load_release(c, cfg->val[O_RELEASE], &rel, err, sizeof(err)) != 0) {
        ingest_progress_error(prog, "%s", err);
        ingest_client_free(c);
        return INGEST_EXIT_NODE;
    }
    ingest_through_find_dicts(c, &rel);
    ingest_client_free(c);
    memset(&o, 0, sizeof(o));
    o.base = cfg->val[O_THROUGH];
    o.jobs = cfg->through_jobs;
    o.retries = cfg->retries;
    o.timeout_s = cfg->through_timeout;
    o.sample = cfg->sample;
    o.quiet = cfg->json; /* the JSON names them */
    r = ingest_through_check(rel.files, rel.n, &o, &res);
    if (r < 0) {
        ingest_progress_error(prog, "through %s: %s", o.base, res.report ? res.report : "failed");
    } else if (r == 0) {
        ingest_progress_line(prog,
                             "through %s: %zu files, %zu responses, all the release's bytes; "
                             "%zu of %zu offers of a dictionary answered dcz",
                             o.base, res.files, res.fetches, res.dcz_answers, res.dcz_asked);
    } else {
        ingest_progress_error(prog, "through %s: %zu of %zu responses WRONG (%zu files checked)%s",
                              o.base, res.wrong, res.files * 4 + res.dcz_asked, res.files,
                              res.timed_out ? "; time budget spent" : "");
    }
    *doc = json_pack("{s:s, s:I, s:I, s:I, s:b, s:I, s:I}", "base", o.base, "files",
                     (json_int_t)res.files, "responses", (json_int_t)res.fetches, "wrong",
                     (json_int_t)res.wrong, "timed_out", res.timed_out, "dcz_asked",
                     (json_int_t)res.dcz_asked, "dcz_answers", (json_int_t)res.dcz_answers);
    if (*doc != NULL) {
        json_t *w = json_array();
        const char *p = res.report, *nl;

        for (; p != NULL && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
            json_array_append_new(w, json_stringn(p, (size_t)(nl - p)));
        json_object_set_new(*doc, "problems", w);
    }
    free(res.report);
    ingest_through_release_free(&rel);
    return r == 0 ? INGEST_EXIT_OK : r < 0 ? INGEST_EXIT_LOCAL : INGEST_EXIT_THROUGH;
}

/* Marks every healthy node whose release digest is not the reference
 * failed, naming both digests. The reference is want (the manifest's) when
 * not NULL, else the digest most healthy nodes hold (ties: the first
 * node's). Writes the reference into ref ("" when no node answered). */
static void check_agreement(struct ingest_node *nodes, size_t nn, const char *release,
                            const char *want, char ref[STORE_HEX_LEN + 1])
{
    size_t i, k, best = 0, best_n = 0;

    ref[0] = '\0';
    if (want != NULL) {
        memcpy(ref, want, STORE_HEX_LEN + 1);
    } else {
        for (i = 0; i < nn; i++) {
            size_t same = 0;

            if (nodes[i].failed)
                continue;
            for (k = 0; k < nn; k++)
                same += !nodes[k].failed && strcmp(nodes[k].digest, nodes[i].digest) == 0;
            if (same > best_n) {
                best_n = same;
                best = i;
            }
        }
        if (best_n == 0)
            return;
        memcpy(ref, nodes[best].digest, STORE_HEX_LEN + 1);
    }
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed || strcmp(nodes[i].digest, ref) == 0)
            continue;
        nodes[i].failed = INGEST_EXIT_NODE;
        if (want != NULL)
            snprintf(nodes[i].error, sizeof(nodes[i].error),
                     "release %s differs from the manifest: digest %.16s..., the manifest's is "
                     "%.16s...",
                     release, nodes[i].digest, ref);
        else
            snprintf(nodes[i].error, sizeof(nodes[i].error),
                     "release %s differs: digest %.16s..., %zu other node(s) hold %.16s...",
                     release, nodes[i].digest, best_n, ref);
    }
}

/* verify's promotion check: what each node has promoted, printed per node;
 * nodes whose current promotion is not the same record as the newest one
 * (or that have none while others have one) are named. Returns
 * INGEST_EXIT_OK when every node that answered agrees, INGEST_EXIT_NODE
 * otherwise; *doc gets the per-node JSON report. */
static int verify_promotions(struct cfg *cfg, struct ingest_progress *prog, json_t **doc)
{
    struct ingest_client *c;
    struct ingest_node *nodes;
    struct ingest_promotions *ps;
    const struct store_promotion *newest;
    size_t nn, i;
    int rc = INGEST_EXIT_OK;

    *doc = json_array();
    c = ingest_client_reader((const char *const *)cfg->nodes, cfg->nnodes, cfg->token,
                             cfg->val[O_CACERT], 1, cfg->retries);
    if (c == NULL)
        return INGEST_EXIT_LOCAL;
    nodes = ingest_client_nodes(c, &nn);
    ps = ingest_xcalloc(nn, sizeof(*ps));
    ingest_promotions_read(c, ps);
    newest = ingest_promotions_newest(ps, nn);
    for (i = 0; i < nn; i++) {
        const struct store_promotion *p = ps[i].n > 0 ? &ps[i].hist[0] : NULL;
        json_t *o;

        if (nodes[i].failed) {
            ingest_progress_error(prog, "node %s: promotion: %s", nodes[i].url, nodes[i].error);
            json_array_append_new(
                *doc, json_pack("{s:s,s:s}", "node", nodes[i].url, "error", nodes[i].error));
            rc = INGEST_EXIT_NODE;
            continue;
        }
        if (p == NULL) {
            o = json_pack("{s:s,s:n}", "node", nodes[i].url, "promotion");
            if (newest != NULL) {
                ingest_progress_error(prog,
                                      "node %s: nothing promoted, other nodes have release %s "
                                      "live (generation %llu)",
                                      nodes[i].url, newest->release,
                                      (unsigned long long)newest->generation);
                rc = INGEST_EXIT_NODE;
            } else {
                ingest_progress_line(prog, "node %s: nothing promoted", nodes[i].url);
            }
        } else {
            char hex[STORE_HEX_LEN + 1];

            store_digest_to_hex(p->digest, hex);
            o = json_pack("{s:s,s:{s:s,s:s,s:o,s:I,s:I}}", "node", nodes[i].url, "promotion",
                          "release", p->release, "digest", hex, "floor",
                          p->floor[0] ? json_string(p->floor) : json_null(), "generation",
                          (json_int_t)p->generation, "promoted_at", (json_int_t)p->promoted_at);
            if (newest != NULL && store_promotion_cmp(p, newest) != 0) {
                ingest_progress_error(prog,
                                      "node %s: promotion differs: release %s live (generation "
                                      "%llu), the newest on the nodes is %s (generation %llu)",
                                      nodes[i].url, p->release, (unsigned long long)p->generation,
                                      newest->release, (unsigned long long)newest->generation);
                rc = INGEST_EXIT_NODE;
            } else {
                ingest_progress_line(
                    prog, "node %s: promoted release %s (generation %llu, floor %s)", nodes[i].url,
                    p->release, (unsigned long long)p->generation, p->floor[0] ? p->floor : "none");
            }
        }
        json_array_append_new(*doc, o);
    }
    free(ps);
    ingest_client_free(c);
    return rc;
}

int ingest_cmd_verify(struct cfg *cfg)
{
    struct ingest_site site;
    struct run_state st;
    struct ingest_client_opts co;
    struct ingest_node *nodes;
    char want[STORE_HEX_LEN + 1] = "", ref[STORE_HEX_LEN + 1] = "";
    size_t nn, i, mfiles = 0;
    int rc;
    json_t *through = NULL, *promos = NULL;

    memset(&site, 0, sizeof(site));
    site.root_fd = -1;
    memset(&st, 0, sizeof(st));
    st.cfg = cfg;
    st.site = &site;
    st.t0 = clock_mono_s();
    ingest_progress_init(&st.prog, cfg->quiet);
    memset(&co, 0, sizeof(co));
    co.token = cfg->token;
    co.cacert = cfg->val[O_CACERT];
    co.jobs = 1;
    co.retries = cfg->retries;
    co.bundle_bytes = 8u << 20;
    co.bundle_files = 1;
    st.client = ingest_client_new((const char *const *)cfg->nodes, cfg->nnodes, &site, &co);
    if (st.client == NULL) {
        ingest_progress_error(&st.prog, "cannot start libcurl");
        return INGEST_EXIT_LOCAL;
    }
    if (cfg->val[O_MANIFEST] != NULL) {
        char err[600];
        unsigned char d[STORE_DIGEST_LEN];

        rc = ingest_manifest_digest(cfg->val[O_MANIFEST], d, &mfiles, err, sizeof(err));
        if (rc != INGEST_EXIT_OK) {
            ingest_progress_error(&st.prog, "%s", err);
            ingest_client_free(st.client);
            return rc;
        }
        store_digest_to_hex(d, want);
    }
    nodes = ingest_client_nodes(st.client, &nn);
    ingest_client_verify(st.client, cfg->val[O_RELEASE]);
    check_agreement(nodes, nn, cfg->val[O_RELEASE], cfg->val[O_MANIFEST] ? want : NULL, ref);
    for (i = 0; i < nn; i++) {
        if (!nodes[i].failed)
            ingest_progress_line(&st.prog, "node %s: release %s complete (%zu files, digest %s)",
                                 nodes[i].url, cfg->val[O_RELEASE], nodes[i].verified_files,
                                 nodes[i].digest);
    }
    rc = ingest_combine_exit(nodes, nn);
    ingest_print_failures(&st, nodes, nn);
    if (rc == INGEST_EXIT_OK) /* every node answered: what has each promoted? */
        rc = verify_promotions(cfg, &st.prog, &promos);
    if (rc == INGEST_EXIT_OK && cfg->val[O_THROUGH] != NULL)
        rc = verify_through(cfg, &st.prog, &through);
    if (cfg->json) {
        json_t *doc = json_pack("{s:s, s:i, s:b, s:s}", "release", cfg->val[O_RELEASE], "exit", rc,
                                "complete", rc == INGEST_EXIT_OK, "digest", ref);

        json_object_set_new(doc, "nodes", ingest_nodes_json(nodes, nn));
        if (promos != NULL)
            json_object_set_new(doc, "promotions", promos);
        promos = NULL;
        if (through != NULL)
            json_object_set_new(doc, "through", through);
        ingest_emit_json(doc);
    } else {
        json_decref(through);
    }
    json_decref(promos);
    ingest_client_free(st.client);
    ingest_site_free(&site);
    return rc;
}
