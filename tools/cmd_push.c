/*
 * cmd_push.c - `origin-ingest push`: walk and hash the build, name every
 * file, compress and compute deltas, then push to every node (directly, or
 * through seed nodes) and publish, and write the manifest once every node
 * has the whole release.
 *
 * For: the order of a push's phases and its progress output.
 * Not for: HTTP (node.c), seeds (seed.c), hashing (hash.c), naming
 * (naming.c), compression (compress.c, delta.c), options (opts.c).
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

/* ------------------------------------------------------------------ */
/* Progress glue                                                        */

static void hash_tick(void *arg, const struct ingest_hash_progress *hp)
{
    struct run_state *st = arg;
    char extra[96], hb[32];

    snprintf(extra, sizeof(extra), "%zu/%zu files, %s", hp->files, st->site->nfiles,
             ingest_human_bytes(hp->bytes, hb, sizeof(hb)));
    ingest_progress_bar(&st->prog, "hashing ", hp->files, st->site->nfiles, extra);
}

static void comp_tick(void *arg, size_t done, size_t total)
{
    struct run_state *st = arg;
    char extra[64];

    snprintf(extra, sizeof(extra), "%zu/%zu blobs", done, total);
    ingest_progress_bar(&st->prog, "compress", done, total, extra);
}

/* ingest_deltas' warnings: a line of progress (stderr), never a failure. */
static void delta_warn(void *arg, const char *msg)
{
    struct run_state *st = arg;

    ingest_progress_line(&st->prog, "%s", msg);
}

static void net_tick(void *arg)
{
    struct run_state *st = arg;
    struct ingest_node *nodes;
    size_t n, i;
    uint64_t done = 0, total = 0;
    char extra[256];
    size_t off = 0;

    if (!st->prog.tty)
        return;
    nodes = ingest_client_nodes(st->client, &n);
    extra[0] = '\0';
    for (i = 0; i < n; i++) {
        char hb[32];
        int w;

        done += nodes[i].bytes_progress;
        total += nodes[i].bytes_planned;
        w = snprintf(extra + off, sizeof(extra) - off, "%s#%zu %s%s", i ? " " : "", i + 1,
                     ingest_human_bytes(nodes[i].bytes_progress, hb, sizeof(hb)),
                     nodes[i].failed ? " (failed)" : "");
        if (w < 0 || (size_t)w >= sizeof(extra) - off)
            break;
        off += (size_t)w;
    }
    ingest_progress_bar(&st->prog, "sending ", done, total ? total : 1, extra);
}

/* Names every file (published path and type). Returns INGEST_EXIT_OK,
 * INGEST_EXIT_LOCAL (a name that cannot be published) or INGEST_EXIT_USAGE
 * (a path the server reserves, api_path_reserved: each such file named). */
static int name_files(struct run_state *st)
{
    struct ingest_site *s = st->site;
    size_t i, reserved = 0;
    char err[600];

    for (i = 0; i < s->nfiles; i++) {
        struct ingest_file *f = &s->files[i];

        f->type = ingest_mime_type(f->rel, strlen(f->rel));
        f->path = ingest_name_path(st->cfg->prefix, f->rel, f->digest, st->cfg->keep_names, err,
                                   sizeof(err));
        if (f->path == NULL) {
            ingest_progress_error(&st->prog, "%s", err);
            return INGEST_EXIT_LOCAL;
        }
        if (api_path_reserved(f->path, strlen(f->path))) {
            ingest_progress_error(&st->prog,
                                  "%s would publish at %s, a path the server answers itself "
                                  "(reserved: " API_RESERVED_HEALTHZ " and " API_RESERVED_PREFIX
                                  "...): rename it or change --prefix",
                                  f->rel, f->path);
            reserved++;
        }
    }
    return reserved > 0 ? INGEST_EXIT_USAGE : INGEST_EXIT_OK;
}

/* ORIGIN_INGEST_TIMING=1: phase durations on stderr (for profiling). */
static int timing_on = -1;
static double timing_last;

static void timing(const char *phase)
{
    double now = clock_mono_s();

    if (timing_on < 0) {
        const char *e = getenv("ORIGIN_INGEST_TIMING");

        timing_on = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
        timing_last = now;
    }
    if (timing_on && phase != NULL)
        fprintf(stderr, "origin-ingest: timing: %-10s %8.1f ms\n", phase,
                (now - timing_last) * 1000.0);
    timing_last = now;
}

/* The release probe of a push, on a thread and a client of its own while
 * the directory is walked and hashed (it needs no digest to ask). */
struct probe_job {
    struct cfg *cfg;
    struct ingest_client *client;
    pthread_t tid;
    int started;
};

static void *probe_main(void *arg)
{
    struct probe_job *j = arg;

    if (j->client != NULL)
        ingest_client_probe(j->client, j->cfg->val[O_RELEASE]);
    return NULL;
}

/* Starts j (a failure only means no probe: every node is then pushed). */
static void probe_start(struct probe_job *j, struct cfg *cfg)
{
    memset(j, 0, sizeof(*j));
    j->cfg = cfg;
    /* no retries: best effort: a node that does not answer at once is pushed
     * as usual, and the push's own phases retry it (and count the retries) */
    j->client = ingest_client_reader((const char *const *)cfg->nodes, cfg->nnodes, cfg->token,
                                     cfg->val[O_CACERT], 1, 0);
    if (j->client != NULL && pthread_create(&j->tid, NULL, probe_main, j) == 0)
        j->started = 1;
}

/* Waits for j's thread (before any other libcurl client starts: curl's
 * global init is not safe beside running transfers in every libcurl). */
static void probe_join(struct probe_job *j)
{
    if (j->started)
        pthread_join(j->tid, NULL);
    j->started = 0;
}

/* Waits for j; then marks unchanged in c every node whose probed release
 * digest is want (NULL: none). Frees j's client. */
static void probe_finish(struct probe_job *j, struct ingest_client *c, const char *want)
{
    struct ingest_node *pn;
    size_t n = 0, i;

    probe_join(j);
    if (j->client != NULL && c != NULL && want != NULL) {
        pn = ingest_client_nodes(j->client, &n);
        for (i = 0; i < n; i++) {
            if (!pn[i].failed && strcmp(pn[i].probed, want) == 0)
                ingest_client_set_unchanged(c, i, want);
        }
    }
    ingest_client_free(j->client);
    j->client = NULL;
}

int ingest_cmd_push(struct cfg *cfg)
{
    struct ingest_site site;
    struct run_state st;
    struct ingest_walk_opts wo;
    struct ingest_compress_stats cs;
    struct ingest_delta_stats ds;
    struct ingest_node *nodes = NULL;
    struct probe_job probe;
    size_t nn = 0, i;
    char err[700], hb[32], hb2[32];
    int rc;
    double t_hash = 0;

    memset(&site, 0, sizeof(site));
    site.root_fd = -1;
    memset(&st, 0, sizeof(st));
    memset(&cs, 0, sizeof(cs));
    memset(&ds, 0, sizeof(ds));
    st.cfg = cfg;
    st.site = &site;
    st.t0 = clock_mono_s();
    ingest_progress_init(&st.prog, cfg->quiet);

    wo.include_hidden = cfg->include_hidden;
    wo.quiet = cfg->quiet;
    timing(NULL);
    memset(&probe, 0, sizeof(probe));
#ifdef ORIGIND_TEST_HOOKS
    if (!cfg->dry_run && getenv("ORIGIN_INGEST_TEST_PAUSE_MS") == NULL)
#else
    if (!cfg->dry_run)
#endif
        probe_start(&probe, cfg); /* tests that pause change the files: probe after */
    rc = ingest_walk(&site, cfg->dir, &wo, err, sizeof(err));
    if (rc != INGEST_EXIT_OK) {
        ingest_progress_error(&st.prog, "%s", err);
        goto out;
    }
    if (site.hidden_skipped > 0)
        ingest_progress_line(&st.prog,
                             "note: %zu hidden entr%s (dotfiles/dot-directories) skipped; "
                             "--include-hidden publishes them",
                             site.hidden_skipped, site.hidden_skipped == 1 ? "y" : "ies");
    if (site.nfiles == 0) {
        ingest_progress_error(&st.prog, "%s has no files to publish", cfg->dir);
        rc = INGEST_EXIT_USAGE;
        goto out;
    }
    timing("walk");
    rc = ingest_hash_files(&site, cfg->threads, hash_tick, &st, err, sizeof(err));
    if (rc != INGEST_EXIT_OK) {
        ingest_progress_error(&st.prog, "%s", err);
        goto out;
    }
    timing("hash");
    rc = name_files(&st);
    if (rc != INGEST_EXIT_OK)
        goto out;
    ingest_site_index_blobs(&site);
    timing("name+index");
    t_hash = clock_mono_s() - st.t0;
    ingest_progress_line(&st.prog, "hashed %zu files (%zu distinct), %s in %.2f s", site.nfiles,
                         site.nblobs, ingest_human_bytes(site.bytes, hb, sizeof(hb)), t_hash);

    if (cfg->dry_run) {
        if (cfg->val[O_MANIFEST_OUT] != NULL) {
            rc = ingest_manifest_write(&site, cfg->val[O_MANIFEST_OUT], cfg->mfmt,
                                       cfg->val[O_PUBLIC_BASE], err, sizeof(err));
            if (rc != INGEST_EXIT_OK) {
                ingest_progress_error(&st.prog, "%s", err);
                goto out;
            }
        }
        rc = INGEST_EXIT_OK;
        goto summary;
    }

#ifdef ORIGIND_TEST_HOOKS /* a test build only: never in a release binary */
    {
        const char *pause = getenv("ORIGIN_INGEST_TEST_PAUSE_MS"); /* window to change files */
        unsigned long long ms;

        if (pause != NULL && ingest_parse_uint(pause, 0, 600000, &ms) == 0) {
            /* the line tells the test the window is open (no fixed sleep there) */
            fprintf(stderr, "origin-ingest: test pause %llu ms\n", ms);
            usleep((useconds_t)(ms * 1000));
        }
    }
#endif

    probe_join(&probe);
    {
        struct ingest_client_opts co;

        memset(&co, 0, sizeof(co));
        co.token = cfg->token;
        co.cacert = cfg->val[O_CACERT];
        co.jobs = cfg->jobs;
        co.retries = cfg->retries;
        co.bundle_bytes = cfg->bundle_bytes;
        co.bundle_files = 4000;
        co.tick = net_tick;
        co.tick_arg = &st;
        st.client = ingest_client_new((const char *const *)cfg->nodes, cfg->nnodes, &site, &co);
    }
    if (st.client == NULL) {
        ingest_progress_error(&st.prog, "cannot start libcurl");
        rc = INGEST_EXIT_LOCAL;
        goto out;
    }
    nodes = ingest_client_nodes(st.client, &nn);

    timing("client");
    {
        /* a node that already holds this exact release needs nothing more */
        unsigned char d[STORE_DIGEST_LEN];
        char hex[STORE_HEX_LEN + 1];
        int have = ingest_release_digest(&site, d) == 0;

        if (have)
            store_digest_to_hex(d, hex);
        if (probe.client == NULL && getenv("ORIGIN_INGEST_TEST_PAUSE_MS") != NULL) {
            probe_start(&probe, cfg);
            probe_join(&probe);
        }
        probe_finish(&probe, st.client, have ? hex : NULL);
    }
    timing("probe");
    ingest_client_missing(st.client);
    timing("missing");
    for (i = 0; i < nn; i++) {
        if (nodes[i].unchanged)
            ingest_progress_line(&st.prog, "node %s already holds release %s (digest %.16s...)",
                                 nodes[i].url, cfg->val[O_RELEASE], nodes[i].digest);
        else if (!nodes[i].failed)
            ingest_progress_line(&st.prog, "node %s lacks %zu of %zu blobs", nodes[i].url,
                                 nodes[i].missing, site.nblobs);
    }

    if (cfg->br || cfg->gzip || cfg->zstd) {
        struct ingest_compress_opts copt;
        double t = clock_mono_s();

        copt.br = cfg->br;
        copt.gzip = cfg->gzip;
        copt.zstd = cfg->zstd;
        copt.cache_dir = cfg->cache_dir;
        copt.threads = cfg->threads;
        rc = ingest_compress(&site, &copt, comp_tick, &st, &cs, err, sizeof(err));
        if (rc != INGEST_EXIT_OK) {
            ingest_progress_error(&st.prog, "%s", err);
            ingest_client_fail_all(st.client, INGEST_EXIT_LOCAL, err);
            goto report;
        }
        if (cs.blobs > 0)
            ingest_progress_line(&st.prog,
                                 "compression: %zu blobs, %zu variants computed, %zu from "
                                 "cache, %zu kept, %.2f s",
                                 cs.blobs, cs.compressed, cs.cache_hits, cs.kept,
                                 clock_mono_s() - t);
        if (cs.cache_errors > 0)
            ingest_progress_line(&st.prog, "warning: %zu compression cache entries not written",
                                 cs.cache_errors);
    }

    timing("compress");
    if (cfg->seed_nodes > 0 && cfg->seed_nodes < nn) {
        struct ingest_seed_report sr;

        ingest_seed_upload(st.client, cfg->seed_nodes, &sr);
        ingest_progress_line(&st.prog,
                             "seed push: %zu seed node%s uploaded to, %zu node%s fetched in %zu "
                             "round%s, %zu uploaded to directly",
                             sr.seeds, sr.seeds == 1 ? "" : "s", sr.fetchers,
                             sr.fetchers == 1 ? "" : "s", sr.rounds, sr.rounds == 1 ? "" : "s",
                             sr.fallbacks);
    } else {
        ingest_client_upload(st.client);
    }
    timing("upload");
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed)
            continue;
        if (nodes[i].seed_role == INGEST_ROLE_FETCHED)
            ingest_progress_line(&st.prog,
                                 "node %s: fetched %zu blobs, %zu variants, %s from other nodes",
                                 nodes[i].url, nodes[i].fetched, nodes[i].fetched_variants,
                                 ingest_human_bytes(nodes[i].fetched_bytes, hb, sizeof(hb)));
        if (nodes[i].seed_role == INGEST_ROLE_DIRECT)
            ingest_progress_line(&st.prog, "node %s: uploaded to directly: %s", nodes[i].url,
                                 nodes[i].fetch_note);
        if (nodes[i].blobs_sent + nodes[i].variants_sent > 0)
            ingest_progress_line(&st.prog, "node %s: sent %zu blobs, %zu variants, %s%s",
                                 nodes[i].url, nodes[i].blobs_sent, nodes[i].variants_sent,
                                 ingest_human_bytes(nodes[i].bytes_sent, hb, sizeof(hb)),
                                 nodes[i].retries ? " (with retries)" : "");
    }

    /* Dictionary deltas, before the publish: a release is served with them
     * from the moment it is visible, the same on every node. */
    if (cfg->dict_deltas > 0) {
        struct ingest_delta_opts dopt;
        double t = clock_mono_s();

        dopt.back = cfg->dict_deltas;
        dopt.release = cfg->val[O_RELEASE];
        dopt.token = cfg->token;
        dopt.cacert = cfg->val[O_CACERT];
        dopt.threads = cfg->threads;
        rc = ingest_deltas(&site, nodes, nn, &dopt, delta_warn, &st, &ds, err, sizeof(err));
        if (rc != INGEST_EXIT_OK) {
            ingest_progress_error(&st.prog, "%s", err);
            ingest_client_fail_all(st.client, INGEST_EXIT_LOCAL, err);
            goto report;
        }
        if (ds.kept > 0)
            ingest_progress_line(&st.prog,
                                 "dictionary deltas: %zu of %zu kept, %s (best variant %s), "
                                 "%zu uploads, %.2f s",
                                 ds.kept, ds.pairs, ingest_human_bytes(ds.bytes, hb, sizeof(hb)),
                                 ingest_human_bytes(ds.br_bytes, hb2, sizeof(hb2)), ds.sent,
                                 clock_mono_s() - t);
        timing("deltas");
    }

    /* Nothing that changed since it was hashed may be published. */
    if (ingest_files_unchanged(&site, cfg->threads, err, sizeof(err)) != 0)
        ingest_client_fail_all(st.client, INGEST_EXIT_LOCAL, err);

    timing("recheck");
    ingest_client_publish(st.client, cfg->val[O_RELEASE]);
    timing("publish");
    for (i = 0; i < nn; i++) {
        if (!nodes[i].failed)
            ingest_progress_line(&st.prog, "node %s: release %s %s", nodes[i].url,
                                 cfg->val[O_RELEASE],
                                 nodes[i].published == 1 ? "published" : "already published");
    }

report:
    rc = ingest_combine_exit(nodes, nn);
    ingest_print_failures(&st, nodes, nn);
    if (rc == INGEST_EXIT_OK && cfg->val[O_MANIFEST_OUT] != NULL) {
        rc = ingest_manifest_write(&site, cfg->val[O_MANIFEST_OUT], cfg->mfmt,
                                   cfg->val[O_PUBLIC_BASE], err, sizeof(err));
        if (rc != INGEST_EXIT_OK)
            ingest_progress_error(&st.prog, "%s", err);
    }

summary : {
    double el = clock_mono_s() - st.t0;
    uint64_t sent = 0;
    struct buf per = {0};

    for (i = 0; i < nn; i++) {
        sent += nodes[i].bytes_sent;
        ingest_buf_addf(&per, "%s%zu", i ? "/" : "", nodes[i].blobs_sent);
    }
    if (cfg->dry_run)
        ingest_progress_line(&st.prog, "dry run (no node contacted): %zu files, %s, %.2f s",
                             site.nfiles, ingest_human_bytes(site.bytes, hb, sizeof(hb)), el);
    else
        ingest_progress_line(
            &st.prog, "%s release %s: %zu files, new blobs per node %s, %s sent, %.2f s",
            rc == INGEST_EXIT_OK ? "pushed" : "FAILED to push", cfg->val[O_RELEASE], site.nfiles,
            per.data ? per.data : "-", ingest_human_bytes(sent, hb, sizeof(hb)), el);
    buf_free(&per);
    if (cfg->json) {
        json_t *doc =
            json_pack("{s:s?, s:b, s:i, s:I, s:I, s:I, s:f, s:f, s:{s:I, s:I, s:I, s:I}}",
                      "release", cfg->val[O_RELEASE], "dry_run", cfg->dry_run, "exit", rc, "files",
                      (json_int_t)site.nfiles, "blobs", (json_int_t)site.nblobs, "bytes",
                      (json_int_t)site.bytes, "seconds", el, "hash_seconds", t_hash, "compression",
                      "blobs", (json_int_t)cs.blobs, "computed", (json_int_t)cs.compressed,
                      "cached", (json_int_t)cs.cache_hits, "kept", (json_int_t)cs.kept);

        {
            unsigned char d[STORE_DIGEST_LEN];
            char hex[STORE_HEX_LEN + 1];

            if (ingest_release_digest(&site, d) == 0) {
                store_digest_to_hex(d, hex);
                json_object_set_new(doc, "digest", json_string(hex));
            }
        }
        json_object_set_new(doc, "deltas",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "pairs", (json_int_t)ds.pairs,
                                      "kept", (json_int_t)ds.kept, "sent", (json_int_t)ds.sent,
                                      "refused", (json_int_t)ds.refused, "bytes",
                                      (json_int_t)ds.bytes));
        {
            uint64_t up = 0;

            for (i = 0; i < nn; i++)
                up += nodes[i].bytes_uploaded;
            json_object_set_new(doc, "seed_nodes", json_integer((json_int_t)cfg->seed_nodes));
            json_object_set_new(doc, "uploaded_bytes", json_integer((json_int_t)up));
        }
        json_object_set_new(doc, "nodes", ingest_nodes_json(nodes, nn));
        ingest_emit_json(doc);
    }
}
out:
    probe_finish(&probe, NULL, NULL);
    ingest_client_free(st.client);
    if (site.root_fd >= 0)
        close(site.root_fd);
    ingest_site_free(&site);
    return rc;
}
