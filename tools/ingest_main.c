/*
 * ingest_main.c - origin-ingest: the deploy-pipeline CLI that pushes a build
 * directory to every origind node and publishes it there (push), checks
 * that every node has a release complete (verify), prunes old releases
 * on every node (prune; the policy is prune.c's), or writes the manifest a
 * push wrote for a release back from a node (manifest).
 *
 * For: the option table (every flag with its environment variable, default
 * and help line), validation before any work, the order of phases, and
 * turning per-node outcomes into one exit code and summary.
 * Not for: HTTP (node.c), hashing (hash.c), naming (naming.c), the
 * retention policy (prune.c).
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

#define CMD_PUSH     1u
#define CMD_VERIFY   2u
#define CMD_PRUNE    4u
#define CMD_MANIFEST 8u
#define CMD_PROMOTE  16u
#define CMD_NODES    (CMD_PUSH | CMD_VERIFY | CMD_PRUNE | CMD_MANIFEST | CMD_PROMOTE)
#define TOKEN_MAX    4096

enum opt_id {
    O_NODE,
    O_NODES_DNS,
    O_TOKEN_FILE,
    O_RELEASE,
    O_PREFIX,
    O_KEEP_NAMES,
    O_MANIFEST_OUT,
    O_MANIFEST_FORMAT,
    O_PUBLIC_BASE,
    O_COMPRESS,
    O_JOBS,
    O_DICT_DELTAS,
    O_RETRIES,
    O_THREADS,
    O_CACHE_DIR,
    O_INCLUDE_HIDDEN,
    O_DRY_RUN,
    O_JSON,
    O_QUIET,
    O_BUNDLE_BYTES,
    O_THROUGH,
    O_SAMPLE,
    O_THROUGH_JOBS,
    O_THROUGH_TIMEOUT,
    O_CACERT,
    O_MANIFEST,
    O_KEEP_LAST,
    O_KEEP_NEWER_THAN,
    O_KEEP,
    O_OUT,
    O_FLOOR,
    O_KEEP_PROMOTED,
    O_SEED_NODES,
    O_COUNT
};

struct opt_row {
    const char *name;
    const char *env;
    const char *metavar; /* NULL: a flag */
    const char *def;     /* shown in --help; NULL: none */
    unsigned cmds;
    const char *help;
};

/* One row per option: name, environment variable, argument, default, commands, help. */
static const struct opt_row opt_table[O_COUNT] = {
    [O_NODE] = {"node", "ORIGIN_INGEST_NODES", "URL", NULL, CMD_NODES,
                "admin base URL of a node; repeat for each node (env: comma-separated)"},
    [O_NODES_DNS] = {"nodes-dns", "ORIGIN_INGEST_NODES_DNS", "HOST:PORT", NULL, CMD_NODES,
                     "every A/AAAA record of HOST is a node http://ADDR:PORT (https:// with "
                     "--cacert; with --node: both)"},
    [O_TOKEN_FILE] = {"token-file", "ORIGIN_INGEST_TOKEN_FILE", "FILE", NULL, CMD_NODES,
                      "file holding the admin bearer token"},
    [O_RELEASE] = {"release", "ORIGIN_INGEST_RELEASE", "ID", NULL,
                   CMD_PUSH | CMD_VERIFY | CMD_MANIFEST | CMD_PROMOTE,
                   "release id, 1-128 bytes of [A-Za-z0-9._-]"},
    [O_PREFIX] = {"prefix", "ORIGIN_INGEST_PREFIX", "PATH", "/assets", CMD_PUSH | CMD_MANIFEST,
                  "published paths start with PATH (\"\" or \"/\": the root)"},
    [O_KEEP_NAMES] = {"keep-names", "ORIGIN_INGEST_KEEP_NAMES", NULL, NULL, CMD_PUSH | CMD_MANIFEST,
                      "publish names as they are (the build already hashes them; manifest: "
                      "the release was pushed so)"},
    [O_MANIFEST_OUT] = {"manifest-out", "ORIGIN_INGEST_MANIFEST_OUT", "FILE", NULL, CMD_PUSH,
                        "write the JSON manifest (source path -> URL) on success; - for stdout "
                        "(see \"output files\")"},
    [O_MANIFEST_FORMAT] = {"manifest-format", "ORIGIN_INGEST_MANIFEST_FORMAT", "flat|full", "flat",
                           CMD_PUSH | CMD_MANIFEST,
                           "full: per path {url, sha256, size, type, integrity}"},
    [O_PUBLIC_BASE] = {"public-base", "ORIGIN_INGEST_PUBLIC_BASE", "URL", NULL,
                       CMD_PUSH | CMD_MANIFEST,
                       "prefix manifest URLs with URL (e.g. https://cdn.example.com)"},
    [O_COMPRESS] = {"compress", "ORIGIN_INGEST_COMPRESS", "LIST of br,gzip,zstd|none", "br,gzip",
                    CMD_PUSH,
                    "precompressed variants to upload for compressible types (zstd: nodes "
                    "that list it in Origind-Encodings)"},
    [O_DICT_DELTAS] = {"dict-deltas", "ORIGIN_INGEST_DICT_DELTAS", "N", "2", CMD_PUSH,
                       "dcz deltas (RFC 9842) of changed JS, CSS, wasm and JSON files from their "
                       "versions in the N previous releases, 0-16 (0: none)"},
    [O_JOBS] = {"jobs", "ORIGIN_INGEST_JOBS", "N", "4", CMD_PUSH,
                "parallel uploads per node (keep-alive connections), 1-64"},
    [O_RETRIES] = {"retries", "ORIGIN_INGEST_RETRIES", "N", "5", CMD_NODES,
                   "retries of a request after a connection error or 5xx, 0-30"},
    [O_THREADS] = {"threads", "ORIGIN_INGEST_THREADS", "N", "online cores", CMD_PUSH,
                   "threads for hashing and compression, 1-256"},
    [O_CACHE_DIR] = {"cache-dir", "ORIGIN_INGEST_CACHE", "DIR",
                     "${XDG_CACHE_HOME:-$HOME/.cache}/origin-ingest", CMD_PUSH,
                     "compression cache (by digest); \"none\" disables it"},
    [O_INCLUDE_HIDDEN] = {"include-hidden", "ORIGIN_INGEST_INCLUDE_HIDDEN", NULL, NULL, CMD_PUSH,
                          "publish dotfiles and dot-directories too"},
    [O_DRY_RUN] = {"dry-run", "ORIGIN_INGEST_DRY_RUN", NULL, NULL, CMD_PUSH | CMD_PRUNE,
                   "push: hash, name and write the manifest, contact no node; prune: list per "
                   "node what would go, change nothing"},
    [O_JSON] = {"json", "ORIGIN_INGEST_JSON", NULL, NULL, CMD_PUSH | CMD_VERIFY | CMD_PRUNE,
                "print one JSON summary on stdout and nothing else there"},
    [O_QUIET] = {"quiet", "ORIGIN_INGEST_QUIET", NULL, NULL, CMD_PUSH | CMD_VERIFY | CMD_MANIFEST,
                 "no progress or summary on stderr, only errors"},
    [O_BUNDLE_BYTES] = {"bundle-bytes", "ORIGIN_INGEST_BUNDLE_BYTES", "N", "8388608", CMD_PUSH,
                        "most bytes in one bundle request; larger files are uploaded alone"},
    [O_THROUGH] = {"through", "ORIGIN_INGEST_THROUGH", "BASE_URL", NULL, CMD_VERIFY,
                   "then fetch every file through BASE_URL (the CDN), identity, gzip, br, zstd "
                   "and dcz, "
                   "and check the bytes"},
    [O_SAMPLE] = {"sample", "ORIGIN_INGEST_SAMPLE", "N", "all files", CMD_VERIFY,
                  "--through checks N files chosen at random"},
    [O_THROUGH_JOBS] = {"through-jobs", "ORIGIN_INGEST_THROUGH_JOBS", "N", "8", CMD_VERIFY,
                        "--through transfers in flight at once, 1-64"},
    [O_THROUGH_TIMEOUT] = {"through-timeout", "ORIGIN_INGEST_THROUGH_TIMEOUT", "SECONDS", "600",
                           CMD_VERIFY, "--through must finish within SECONDS (0: no limit)"},
    [O_CACERT] = {"cacert", "ORIGIN_INGEST_CACERT", "FILE", "the system's CAs", CMD_NODES,
                  "PEM CA file that https:// nodes' certificates must chain to"},
    [O_MANIFEST] = {"manifest", "ORIGIN_INGEST_MANIFEST", "FILE", NULL, CMD_VERIFY,
                    "also check every node against this full manifest (from push)"},
    [O_KEEP_LAST] = {"keep-last", "ORIGIN_INGEST_KEEP_LAST", "N", NULL, CMD_PRUNE,
                     "keep the N newest releases (of the union of the nodes' lists)"},
    [O_KEEP_NEWER_THAN] = {"keep-newer-than", "ORIGIN_INGEST_KEEP_NEWER_THAN", "DURATION", NULL,
                           CMD_PRUNE, "keep releases created within DURATION: 90d, 12h, 30m, 45s"},
    [O_KEEP] = {"keep", "ORIGIN_INGEST_KEEP", "ID", NULL, CMD_PRUNE,
                "keep this release; repeat for each (env: comma-separated)"},
    [O_SEED_NODES] = {"seed-nodes", "ORIGIN_INGEST_SEED_NODES", "K", "0", CMD_PUSH,
                      "upload new blobs to K nodes only; every other node fetches them from "
                      "those (POST /v1/fetch, verified as an upload), then the release is "
                      "published everywhere; 0: upload to every node"},
    [O_OUT] = {"out", "ORIGIN_INGEST_OUT", "FILE|-", "stdout", CMD_MANIFEST,
               "write the manifest to FILE (atomically, like push --manifest-out; see "
               "\"output files\")"},
    [O_FLOOR] = {"floor", "ORIGIN_INGEST_FLOOR", "ID", "none", CMD_PROMOTE,
                 "the oldest release a browser tab may keep running (not newer than --release)"},
    [O_KEEP_PROMOTED] = {"keep-promoted", "ORIGIN_INGEST_KEEP_PROMOTED", "N", NULL, CMD_PRUNE,
                         "keep the last N promoted releases and everything pushed after the "
                         "newest promotion"},
};

struct cfg {
    unsigned cmd;
    const char *val[O_COUNT]; /* string values (borrowed from argv/env) */
    char **nodes;             /* owned list */
    size_t nnodes;
    int nodes_from_argv;
    char *env_nodes; /* owned copy of ORIGIN_INGEST_NODES */
    char **keeps;    /* --keep (owned list) */
    size_t nkeeps;
    int keeps_from_argv;
    char *env_keeps; /* owned copy of ORIGIN_INGEST_KEEP */
    struct ingest_prune_policy policy;
    const char *dir;
    /* Validated. */
    unsigned jobs, retries, threads, through_jobs, through_timeout, seed_nodes, dict_deltas;
    size_t sample;
    uint64_t bundle_bytes;
    int keep_names, include_hidden, dry_run, json, quiet, gzip, br, zstd;
    enum ingest_manifest_format mfmt;
    char *prefix;
    char *cache_dir;
    char token[TOKEN_MAX + 1];
};

static void usage(FILE *out, unsigned cmd)
{
    size_t i;

    if (cmd == CMD_PRUNE)
        fputs("usage: origin-ingest prune --node URL [--node URL ...] --token-file FILE\n"
              "                           [--keep-last N] [--keep-newer-than DURATION] "
              "[--keep ID ...]\n"
              "                           [--keep-promoted N]\n\n"
              "Keeps the union of the --keep-* sets and prunes every other release on every\n"
              "node. A pruned release is gone for good: its paths answer 410 Gone, its id can\n"
              "never be published again, and blobs no kept release uses are removed. The\n"
              "releases considered are the union of every node's list; each node gets the\n"
              "same prune set. A node that cannot list stops the command before anything\n"
              "changes. A policy that keeps nothing is refused. The live release and the\n"
              "floor of the newest promotion (origin-ingest promote) are always kept. Each\n"
              "kept release is listed with why (keep-last, newer-than, keep, promoted,\n"
              "after-promotion, live, floor).\n\n",
              out);
    else if (cmd == CMD_PROMOTE)
        fputs("usage: origin-ingest promote --node URL [--node URL ...] --token-file FILE\n"
              "                             --release ID [--floor ID]\n\n"
              "Run after the HTML deploy: records on every node that release ID is live and,\n"
              "with --floor, the oldest release an open browser tab may keep running. The\n"
              "public listener then answers GET /.well-known/origind/release with it. Refused\n"
              "before anything is recorded unless the release is complete with the same\n"
              "digest on every node, and the floor on every node and not newer. Rolling back\n"
              "is promoting an older release. Running the same command again is a no-op, or\n"
              "finishes a promotion that reached only some nodes. Each promotion carries a\n"
              "generation one above the highest any node holds; nodes keep the newest and\n"
              "peers carry it to nodes that were down or join later (docs/promotion.md).\n\n",
              out);
    else if (cmd == CMD_MANIFEST)
        fputs("usage: origin-ingest manifest --node URL --token-file FILE --release ID\n"
              "                              [--manifest-format flat|full] [--public-base URL]\n"
              "                              [--prefix PATH] [--keep-names] [--out FILE]\n\n"
              "Writes the manifest push --manifest-out wrote for the release, byte for byte,\n"
              "from what the first node that has it lists (paths, SHA-256, types; sizes by\n"
              "HEAD of each blob), so a rollback redeploys old HTML without rebuilding. Give\n"
              "the --prefix, --keep-names, --manifest-format and --public-base the push had:\n"
              "each source path is the published path without PREFIX/ and, unless\n"
              "--keep-names, without the .<16 hex> of the file's own SHA-256 push put in; a\n"
              "path that does not map back is named with the flag to give.\n\n",
              out);
    else if (cmd == CMD_VERIFY)
        fputs("usage: origin-ingest verify --node URL [--node URL ...] --token-file FILE "
              "--release ID [--manifest FILE]\n"
              "                            [--through BASE_URL [--sample N]]\n\n"
              "Exits 0 only if every node has the release complete and every node holds the "
              "same\ncontent under that id (the same release digest: SHA-256 of the sorted "
              "path, sha256,\ntype listing), and with --manifest, the content that full "
              "manifest describes.\nA node that differs is named. The deploy gate before "
              "HTML.\n"
              "Every node's promotion (origin-ingest promote) is reported too; nodes that\n"
              "disagree on it are named and the exit is 4.\n"
              "--through then fetches every file of the release through BASE_URL (the CDN)\n"
              "four times, as CloudFront asks (no Accept-Encoding, \"gzip\", \"br,gzip\") and\n"
              "with \"zstd\", and once more with a dcz dictionary when the node holds a delta,\n"
              "and checks that each answer is a 200 whose bytes, decoded per its\n"
              "Content-Encoding, have the file's SHA-256 and whose Content-Type is the\n"
              "release's; every wrong URL is named (the last gate, after the HTML deploy).\n\n",
              out);
    else
        fputs("usage: origin-ingest push --node URL [--node URL ...] --token-file FILE "
              "--release ID\n"
              "                          [options] DIR\n\n"
              "Hashes every file of DIR, uploads to every node the blobs it lacks, then\n"
              "publishes the release there. Each file is published as PREFIX/relpath with\n"
              "16 hex digits (64 bits) of its SHA-256 before the last extension\n"
              "(css/app.css -> /assets/css/app.3f2a9c1e5b7d0a41.css; no extension or a\n"
              "dotfile: name.<hash>), unless --keep-names.\n\n",
              out);
    fputs("options (each also read from the environment variable shown):\n", out);
    for (i = 0; i < O_COUNT; i++) {
        const struct opt_row *o = &opt_table[i];
        char left[64];

        if (!(o->cmds & cmd))
            continue;
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(out, "  %-30s %s\n  %-30s [%s%s%s]\n", left, o->help, "", o->env,
                o->def ? "; default " : "", o->def ? o->def : "");
    }
    fputs("  --help, --version\n\n", out);
    if (cmd == CMD_PUSH || cmd == CMD_MANIFEST)
        fputs("output files (--manifest-out, --out):\n"
              "  - \"-\" writes the manifest to standard output (push: not with --json);\n"
              "  - a new or regular FILE is replaced atomically: a temporary file in the same\n"
              "    directory, fsync, rename; a reader never sees half a manifest;\n"
              "  - a symlink is written through: it is resolved first, its final target is\n"
              "    replaced atomically in the target's directory, and the link stays; a\n"
              "    dangling symlink creates its target (as a shell's > does);\n"
              "  - a FILE that is, or whose symlink ends at, a directory, a device\n"
              "    (/dev/null), a fifo or a socket, a symlink loop, and /dev/stdout,\n"
              "    /dev/fd/N or /proc/self/fd/N (a descriptor, not a file: give - instead)\n"
              "    are refused with exit 2 before any node is contacted.\n\n",
              out);
    if (cmd == CMD_MANIFEST) {
        fputs("exit status:\n"
              "  0  the manifest was written\n"
              "  2  usage error (bad option, missing argument), a refused --out (see \"output\n"
              "     files\"), or a published path that does not map back to a source path\n"
              "     with the --prefix / --keep-names given, or that is reserved (/healthz,\n"
              "     /.well-known/origind/...: no URL of the release can serve it)\n"
              "  4  no node has the release (\"release ID not found\"), or a node unreachable,\n"
              "     failing after retries, refusing, or answering malformed\n"
              "  5  local error: the manifest or token file cannot be written or read\n",
              out);
        return;
    }
    if (cmd == CMD_PROMOTE) {
        fputs("exit status:\n"
              "  0  every node recorded the promotion (now or before)\n"
              "  2  usage error (bad option, missing argument)\n"
              "  4  refused (release unknown, incomplete, pruned or different on a node; floor\n"
              "     missing or newer than the release; a node unreachable or refusing): one\n"
              "     line, nothing recorded; or a node failed to record it (named; run the same\n"
              "     command again to finish)\n"
              "  5  local error (the token file cannot be read, out of memory)\n",
              out);
        return;
    }
    if (cmd == CMD_PRUNE) {
        fputs("retries: connection errors and HTTP 5xx (but 501, 505, 507) are retried with\n"
              "exponential backoff (250 ms doubling, at most 8 s) and jitter; 4xx never.\n\n"
              "exit status:\n"
              "  0  every node pruned the same set (or, --dry-run, reported it)\n"
              "  2  usage error, or a policy that keeps nothing (none of the nodes' releases)\n"
              "  4  a node unreachable, failing after retries, or refusing (named; run the\n"
              "     same command again to finish)\n"
              "  5  local error (the token file cannot be read, out of memory)\n",
              out);
        return;
    }
    if (cmd == CMD_PUSH)
        fputs("what is published from DIR:\n"
              "  - regular files, visited in name order; empty files are published;\n"
              "    names with spaces or UTF-8 characters work (URLs in the manifest are\n"
              "    percent-encoded); a name that is not UTF-8 or holds a control character,\n"
              "    '\\', '?' or '#' cannot be published: exit 5 before any node is contacted;\n"
              "  - dotfiles and dot-directories are skipped (counted in a note) unless\n"
              "    --include-hidden;\n"
              "  - a symlink resolving inside DIR is followed (published under the link's\n"
              "    name); one pointing outside DIR, a dangling one, or a loop: exit 5;\n"
              "  - fifos, sockets and devices are skipped with a warning;\n"
              "  - a file whose published path would be /healthz or under\n"
              "    /.well-known/origind/ (the server answers those itself, so they can never\n"
              "    be published; check --prefix and --keep-names): exit 2, naming it, before\n"
              "    any node is contacted (--dry-run too);\n"
              "  - an unreadable file or directory: exit 5, naming it, before any node is\n"
              "    contacted;\n"
              "  - files are hashed once, every byte (size and mtime are never trusted);\n"
              "    a file that vanishes or changes after it was hashed (re-checked before\n"
              "    publishing, and by the node's digest check on upload) stops the push with\n"
              "    exit 5 and nothing is published; files created during the push are not\n"
              "    part of the release;\n"
              "  - the manifest is written only when every node published (or --dry-run).\n\n"
              "retries: connection errors and HTTP 5xx (but 501, 505, 507) are retried with\n"
              "exponential backoff (250 ms doubling, at most 8 s) and jitter; 4xx never.\n\n",
              out);
    fputs("exit status:\n"
          "  0  every node acknowledged the whole release (verify: has it complete)\n"
          "  2  usage error (bad option, missing argument)\n",
          out);
    if (cmd == CMD_PUSH)
        fputs("     or a refused --manifest-out (see \"output files\"), or a file that would\n"
              "     publish at a reserved path\n",
              out);
    fputs("  3  conflict: a path is already bound to other bytes on a node\n"
          "  4  a node unreachable, failing after retries, or refusing (401, 4xx, 507)\n"
          "  5  local error: unreadable, unpublishable or changing file, I/O error\n",
          out);
    if (cmd == CMD_VERIFY)
        fputs("  6  --through: the CDN served a file wrong (every wrong URL is named), or the\n"
              "     check did not finish within --through-timeout\n",
              out);
}

static int parse_flag(const char *v, int *out)
{
    if (v == NULL || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
        strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0) {
        *out = 1;
        return 0;
    }
    if (*v == '\0' || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
        strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_uint(const char *v, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char *end = NULL;
    unsigned long long x;

    if (v == NULL || *v == '\0' || *v == '-')
        return -1;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

/* A --compress list: "br", "gzip", "zstd" separated by commas, each at
 * most once. Sets the three flags; returns 0, or -1 for anything else. */
static int parse_codings(const char *v, int *br, int *gzip, int *zstd)
{
    const char *p = v;

    *br = *gzip = *zstd = 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        int *flag = n == 2 && strncmp(p, "br", 2) == 0     ? br
                    : n == 4 && strncmp(p, "gzip", 4) == 0 ? gzip
                    : n == 4 && strncmp(p, "zstd", 4) == 0 ? zstd
                                                           : NULL;

        if (flag == NULL || *flag)
            return -1;
        *flag = 1;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1; /* trailing comma */
    }
    return *br || *gzip || *zstd ? 0 : -1;
}

static void add_str(char ***list, size_t *n, const char *v)
{
    *list = ingest_xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = ingest_xstrdup(v);
}

static void add_node(struct cfg *c, const char *url)
{
    add_str(&c->nodes, &c->nnodes, url);
}

/* The repeatable options (--node, --keep): their list, and where it came from. */
static int list_of(struct cfg *c, size_t k, char ***list, size_t **n, int **from_argv,
                   char ***env_copy)
{
    if (k == O_NODE) {
        *list = c->nodes;
        *n = &c->nnodes;
        *from_argv = &c->nodes_from_argv;
        *env_copy = &c->env_nodes;
        return 1;
    }
    if (k == O_KEEP) {
        *list = c->keeps;
        *n = &c->nkeeps;
        *from_argv = &c->keeps_from_argv;
        *env_copy = &c->env_keeps;
        return 1;
    }
    return 0;
}

static void list_add(struct cfg *c, size_t k, const char *v)
{
    if (k == O_NODE)
        add_str(&c->nodes, &c->nnodes, v);
    else
        add_str(&c->keeps, &c->nkeeps, v);
}

static void free_cfg(struct cfg *c)
{
    size_t i;

    for (i = 0; i < c->nnodes; i++)
        free(c->nodes[i]);
    free(c->nodes);
    free(c->env_nodes);
    for (i = 0; i < c->nkeeps; i++)
        free(c->keeps[i]);
    free(c->keeps);
    free(c->env_keeps);
    free(c->prefix);
    free(c->cache_dir);
    explicit_bzero(c->token, sizeof(c->token));
}

/* Reads the environment, then argv. Returns -1 (after printing) on usage
 * error, 1 if --help/--version was handled, 0 to go on. */
static int parse_args(struct cfg *c, int argc, char **argv)
{
    int i, no_more_opts = 0;
    size_t k;

    for (k = 0; k < O_COUNT; k++) {
        const char *e = getenv(opt_table[k].env);

        char **list, **env_copy;
        size_t *n;
        int *from_argv;

        if (!(opt_table[k].cmds & c->cmd) || e == NULL)
            continue;
        if (list_of(c, k, &list, &n, &from_argv, &env_copy)) {
            char *save = NULL, *tok;

            *env_copy = ingest_xstrdup(e);
            for (tok = strtok_r(*env_copy, ", ", &save); tok != NULL;
                 tok = strtok_r(NULL, ", ", &save))
                list_add(c, k, tok);
            continue;
        }
        c->val[k] = e;
    }
    for (i = 2; i < argc; i++) {
        const char *a = argv[i], *eq, *value = NULL;
        char **list, **env_copy;
        size_t nl, *n;
        int *from_argv;

        if (no_more_opts || a[0] != '-' || strcmp(a, "-") == 0) {
            if (c->cmd != CMD_PUSH || c->dir != NULL) {
                fprintf(stderr, "origin-ingest: unexpected argument: %s\n", a);
                return -1;
            }
            c->dir = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            no_more_opts = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, c->cmd);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("origin-ingest %s\n", ORIGIND_VERSION);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "origin-ingest: unknown option: %s\n", a);
            return -1;
        }
        a += 2;
        eq = strchr(a, '=');
        nl = eq ? (size_t)(eq - a) : strlen(a);
        for (k = 0; k < O_COUNT; k++) {
            if ((opt_table[k].cmds & c->cmd) && strlen(opt_table[k].name) == nl &&
                strncmp(opt_table[k].name, a, nl) == 0)
                break;
        }
        if (k == O_COUNT) {
            fprintf(stderr, "origin-ingest: unknown option: --%.*s (see --help)\n", (int)nl, a);
            return -1;
        }
        if (opt_table[k].metavar == NULL) {
            value = eq ? eq + 1 : "1";
        } else if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "origin-ingest: --%s needs %s\n", opt_table[k].name,
                    opt_table[k].metavar);
            return -1;
        }
        if (list_of(c, k, &list, &n, &from_argv, &env_copy)) {
            if (!*from_argv) { /* the command line replaces the environment's list */
                size_t j;

                for (j = 0; j < *n; j++)
                    free(list[j]);
                *n = 0;
                *from_argv = 1;
            }
            list_add(c, k, value);
            continue;
        }
        c->val[k] = value;
    }
    return 0;
}

static int bad(const char *what, const char *v)
{
    fprintf(stderr, "origin-ingest: invalid %s: %s (see --help)\n", what, v ? v : "(none)");
    return -1;
}

/* Reads the one token of file (common/secret_file.h's rules) into c->token. */
static int read_token(struct cfg *c, const char *file)
{
    char err[512], *tok = NULL;
    size_t len = 0;
    int loose = 0, rc;

    rc = secret_file_read_one(file, &tok, &len, &loose, err, sizeof(err));
    if (rc != SECRET_OK) {
        fprintf(stderr, "origin-ingest: token file: %s\n", err);
        return rc == SECRET_EIO ? INGEST_EXIT_LOCAL : INGEST_EXIT_USAGE;
    }
    if (loose)
        fprintf(stderr,
                "origin-ingest: warning: token file %s is open to others (chmod o-rwx it)\n", file);
    if (len > TOKEN_MAX) {
        secret_free(tok, len);
        fprintf(stderr, "origin-ingest: token file %s: the token is too long\n", file);
        return INGEST_EXIT_USAGE;
    }
    memcpy(c->token, tok, len + 1);
    secret_free(tok, len);
    return INGEST_EXIT_OK;
}

/* Validates everything before any work. Returns an exit code (0: go on). */
static int validate(struct cfg *c)
{
    unsigned long long x;
    size_t i;
    int need_nodes = !(c->cmd == CMD_PUSH && c->val[O_DRY_RUN] != NULL &&
                       parse_flag(c->val[O_DRY_RUN], &c->dry_run) == 0 && c->dry_run);
    const char *v;

#define FLAG(id, field)                                                                            \
    do {                                                                                           \
        if (c->val[id] != NULL && parse_flag(c->val[id], &c->field) != 0)                          \
            return bad("--" #field " value", c->val[id]), INGEST_EXIT_USAGE;                       \
    } while (0)
    FLAG(O_KEEP_NAMES, keep_names);
    FLAG(O_INCLUDE_HIDDEN, include_hidden);
    FLAG(O_DRY_RUN, dry_run);
    FLAG(O_JSON, json);
    FLAG(O_QUIET, quiet);
#undef FLAG
    c->dict_deltas = INGEST_DELTA_BACK_DEFAULT;
    if (c->val[O_DICT_DELTAS] != NULL) {
        if (parse_uint(c->val[O_DICT_DELTAS], 0, INGEST_DELTA_BACK_MAX, &x) != 0)
            return bad("--dict-deltas (0-16)", c->val[O_DICT_DELTAS]), INGEST_EXIT_USAGE;
        c->dict_deltas = (unsigned)x;
    }
    c->jobs = 4;
    if (c->val[O_JOBS] != NULL) {
        if (parse_uint(c->val[O_JOBS], 1, 64, &x) != 0)
            return bad("--jobs", c->val[O_JOBS]), INGEST_EXIT_USAGE;
        c->jobs = (unsigned)x;
    }
    c->seed_nodes = 0;
    if (c->val[O_SEED_NODES] != NULL) {
        if (parse_uint(c->val[O_SEED_NODES], 0, 1000000, &x) != 0)
            return bad("--seed-nodes", c->val[O_SEED_NODES]), INGEST_EXIT_USAGE;
        c->seed_nodes = (unsigned)x;
    }
    c->retries = 5;
    if (c->val[O_RETRIES] != NULL) {
        if (parse_uint(c->val[O_RETRIES], 0, 30, &x) != 0)
            return bad("--retries", c->val[O_RETRIES]), INGEST_EXIT_USAGE;
        c->retries = (unsigned)x;
    }
    c->threads = ingest_cpu_count();
    if (c->val[O_THREADS] != NULL) {
        if (parse_uint(c->val[O_THREADS], 1, 256, &x) != 0)
            return bad("--threads", c->val[O_THREADS]), INGEST_EXIT_USAGE;
        c->threads = (unsigned)x;
    }
    c->bundle_bytes = 8u << 20;
    if (c->val[O_BUNDLE_BYTES] != NULL) {
        if (parse_uint(c->val[O_BUNDLE_BYTES], 4096, 1ull << 30, &x) != 0)
            return bad("--bundle-bytes", c->val[O_BUNDLE_BYTES]), INGEST_EXIT_USAGE;
        c->bundle_bytes = x;
    }
    c->through_jobs = 8;
    if (c->val[O_THROUGH_JOBS] != NULL) {
        if (parse_uint(c->val[O_THROUGH_JOBS], 1, 64, &x) != 0)
            return bad("--through-jobs", c->val[O_THROUGH_JOBS]), INGEST_EXIT_USAGE;
        c->through_jobs = (unsigned)x;
    }
    c->through_timeout = 600;
    if (c->val[O_THROUGH_TIMEOUT] != NULL) {
        if (parse_uint(c->val[O_THROUGH_TIMEOUT], 0, 86400, &x) != 0)
            return bad("--through-timeout", c->val[O_THROUGH_TIMEOUT]), INGEST_EXIT_USAGE;
        c->through_timeout = (unsigned)x;
    }
    c->sample = 0;
    if (c->val[O_SAMPLE] != NULL) {
        if (parse_uint(c->val[O_SAMPLE], 1, 1ull << 32, &x) != 0)
            return bad("--sample", c->val[O_SAMPLE]), INGEST_EXIT_USAGE;
        c->sample = (size_t)x;
    }
    v = c->val[O_THROUGH];
    if (v != NULL && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return bad("--through (http:// or https:// URL)", v), INGEST_EXIT_USAGE;
    c->mfmt = INGEST_MANIFEST_FLAT;
    v = c->val[O_MANIFEST_FORMAT];
    if (v != NULL) {
        if (strcmp(v, "full") == 0)
            c->mfmt = INGEST_MANIFEST_FULL;
        else if (strcmp(v, "flat") != 0)
            return bad("--manifest-format", v), INGEST_EXIT_USAGE;
    }
    c->br = c->gzip = 1;
    c->zstd = 0;
    v = c->val[O_COMPRESS];
    if (v != NULL) {
        c->br = c->gzip = 0;
        if (strcmp(v, "none") != 0 && parse_codings(v, &c->br, &c->gzip, &c->zstd) != 0)
            return bad("--compress", v), INGEST_EXIT_USAGE;
    }
    if (c->cmd == CMD_PUSH || c->cmd == CMD_MANIFEST) {
        char err[256];

        c->prefix =
            ingest_name_prefix(c->val[O_PREFIX] ? c->val[O_PREFIX] : "/assets", err, sizeof(err));
        if (c->prefix == NULL) {
            fprintf(stderr, "origin-ingest: %s\n", err);
            return INGEST_EXIT_USAGE;
        }
        if (c->cmd == CMD_PUSH && c->dir == NULL) {
            fputs("origin-ingest: push needs a directory (see --help)\n", stderr);
            return INGEST_EXIT_USAGE;
        }
        v = c->val[O_CACHE_DIR];
        if (c->cmd == CMD_MANIFEST || (v != NULL && strcmp(v, "none") == 0))
            c->cache_dir = NULL; /* manifest compresses nothing */
        else if (v != NULL && *v != '\0')
            c->cache_dir = ingest_xstrdup(v);
        else
            c->cache_dir = ingest_compress_default_cache();
    }
    if (c->cmd == CMD_PRUNE) {
        c->policy.newer_than = -1;
        if (c->val[O_KEEP_LAST] != NULL) {
            if (parse_uint(c->val[O_KEEP_LAST], 0, 1ull << 40, &x) != 0)
                return bad("--keep-last (a number >= 0)", c->val[O_KEEP_LAST]), INGEST_EXIT_USAGE;
            c->policy.keep_last = x;
        }
        v = c->val[O_KEEP_NEWER_THAN];
        if (v != NULL) {
            c->policy.newer_than = ingest_prune_duration(v);
            if (c->policy.newer_than < 0)
                return bad("--keep-newer-than (90d, 12h, 30m or 45s)", v), INGEST_EXIT_USAGE;
        }
        for (i = 0; i < c->nkeeps; i++) {
            if (store_id_valid(c->keeps[i], strlen(c->keeps[i])) != STORE_OK)
                return bad("--keep (a release id)", c->keeps[i]), INGEST_EXIT_USAGE;
        }
        if (c->val[O_KEEP_PROMOTED] != NULL) {
            if (parse_uint(c->val[O_KEEP_PROMOTED], 0, 1ull << 40, &x) != 0)
                return bad("--keep-promoted (a number >= 0)", c->val[O_KEEP_PROMOTED]),
                       INGEST_EXIT_USAGE;
            c->policy.keep_promoted = x;
        }
        c->policy.keep = (const char *const *)c->keeps;
        c->policy.nkeep = c->nkeeps;
        if (ingest_prune_policy_empty(&c->policy)) {
            fputs("origin-ingest prune: refusing a policy that keeps nothing: give "
                  "--keep-last N (N >= 1), --keep-newer-than, --keep ID or --keep-promoted N\n",
                  stderr);
            return INGEST_EXIT_USAGE;
        }
    }
    if (c->val[O_FLOOR] != NULL && *c->val[O_FLOOR] != '\0' &&
        store_id_valid(c->val[O_FLOOR], strlen(c->val[O_FLOOR])) != STORE_OK)
        return bad("--floor (a release id)", c->val[O_FLOOR]), INGEST_EXIT_USAGE;
    v = c->cmd == CMD_PUSH ? c->val[O_MANIFEST_OUT] : c->cmd == CMD_MANIFEST ? c->val[O_OUT] : NULL;
    if (c->cmd == CMD_PUSH && v != NULL && *v == '\0')
        return bad("--manifest-out (a FILE, or - for stdout)", "\"\""), INGEST_EXIT_USAGE;
    if (v != NULL && *v != '\0') {
        const char *opt = c->cmd == CMD_PUSH ? "--manifest-out" : "--out";
        char err[600];
        int rc;

        if (c->cmd == CMD_PUSH && c->json && strcmp(v, "-") == 0) {
            fputs("origin-ingest: --manifest-out - and --json both write standard output: give "
                  "--manifest-out a file\n",
                  stderr);
            return INGEST_EXIT_USAGE;
        }
        rc = ingest_outfile_check(v, opt, err, sizeof(err));
        if (rc != INGEST_EXIT_OK) {
            fprintf(stderr, "origin-ingest: %s\n", err);
            return rc;
        }
    }
    v = c->val[O_RELEASE];
    if (v != NULL && store_id_valid(v, strlen(v)) != STORE_OK)
        return bad("--release (1-128 bytes of [A-Za-z0-9._-])", v), INGEST_EXIT_USAGE;
    if (!need_nodes)
        return INGEST_EXIT_OK;
    if (c->val[O_NODES_DNS] != NULL) {
        struct discover_list dl;
        char err[300];

        /* nodes whose certificates chain to --cacert speak https (SPEC) */
        if (discover_resolve(c->val[O_NODES_DNS], c->val[O_CACERT] != NULL ? "https" : "http", NULL,
                             &dl, err, sizeof(err)) != 0) {
            fprintf(stderr, "origin-ingest: --nodes-dns: %s\n", err);
            return INGEST_EXIT_NODE;
        }
        for (i = 0; i < dl.n; i++)
            add_node(c, dl.url[i]);
        if (!c->quiet)
            fprintf(stderr, "origin-ingest: --nodes-dns %s: %zu node%s\n", c->val[O_NODES_DNS],
                    dl.n, dl.n == 1 ? "" : "s");
        discover_list_free(&dl);
    }
    if (c->nnodes == 0) {
        fputs("origin-ingest: at least one --node URL (or --nodes-dns HOST:PORT) is needed (see "
              "--help)\n",
              stderr);
        return INGEST_EXIT_USAGE;
    }
    for (i = 0; i < c->nnodes; i++) {
        if (strncmp(c->nodes[i], "http://", 7) != 0 && strncmp(c->nodes[i], "https://", 8) != 0)
            return bad("--node (http:// or https:// URL)", c->nodes[i]), INGEST_EXIT_USAGE;
    }
    if (v == NULL && c->cmd != CMD_PRUNE) {
        fputs("origin-ingest: --release ID is needed (see --help)\n", stderr);
        return INGEST_EXIT_USAGE;
    }
    if (c->val[O_TOKEN_FILE] == NULL) {
        fputs("origin-ingest: --token-file FILE is needed (see --help)\n", stderr);
        return INGEST_EXIT_USAGE;
    }
    if (c->val[O_CACERT] != NULL) {
        char err[512];

        if (tls_client_check_cacert(c->val[O_CACERT], err, sizeof(err)) != 0) {
            fprintf(stderr, "origin-ingest: --cacert: %s\n", err);
            return INGEST_EXIT_USAGE;
        }
    }
    return read_token(c, c->val[O_TOKEN_FILE]);
}

/* ------------------------------------------------------------------ */
/* Progress glue                                                        */

struct run_state {
    struct cfg *cfg;
    struct ingest_progress prog;
    struct ingest_site *site;
    struct ingest_client *client;
    double t0;
};

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

/* ------------------------------------------------------------------ */
/* Summary                                                              */

static const char *outcome(const struct ingest_node *nd)
{
    switch (nd->failed) {
    case 0:
        return nd->published == 1 ? "published" : nd->published == 2 ? "unchanged" : "ok";
    case INGEST_EXIT_CONFLICT:
        return "conflict";
    case INGEST_EXIT_LOCAL:
        return "local-error";
    default:
        return "failed";
    }
}

static int combine_exit(struct ingest_node *nodes, size_t n)
{
    size_t i;
    int local = 0, conflict = 0, node = 0;

    for (i = 0; i < n; i++) {
        local |= nodes[i].failed == INGEST_EXIT_LOCAL;
        conflict |= nodes[i].failed == INGEST_EXIT_CONFLICT;
        node |= nodes[i].failed == INGEST_EXIT_NODE;
    }
    return local      ? INGEST_EXIT_LOCAL
           : conflict ? INGEST_EXIT_CONFLICT
           : node     ? INGEST_EXIT_NODE
                      : INGEST_EXIT_OK;
}

static void print_failures(struct run_state *st, struct ingest_node *nodes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *p, *nl;

        if (!nodes[i].failed)
            continue;
        ingest_progress_error(&st->prog, "node %s: %s: %s", nodes[i].url, outcome(&nodes[i]),
                              nodes[i].error);
        for (p = nodes[i].conflicts.data; p != NULL && *p != '\0'; p = nl + 1) {
            nl = strchr(p, '\n');
            if (nl == NULL)
                break;
            fprintf(stderr, "origin-ingest:   conflict: %.*s\n", (int)(nl - p), p);
        }
    }
}

static json_t *nodes_json(struct ingest_node *nodes, size_t n)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; i < n; i++) {
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "url", nodes[i].url, "outcome",
            outcome(&nodes[i]), "missing", (json_int_t)nodes[i].missing, "blobs_sent",
            (json_int_t)nodes[i].blobs_sent, "variants_sent", (json_int_t)nodes[i].variants_sent,
            "bytes_sent", (json_int_t)nodes[i].bytes_sent, "retries", (json_int_t)nodes[i].retries,
            "files", (json_int_t)nodes[i].verified_files);

        if (nodes[i].digest[0] != '\0')
            json_object_set_new(o, "digest", json_string(nodes[i].digest));
        json_object_set_new(o, "bytes_uploaded", json_integer((json_int_t)nodes[i].bytes_uploaded));
        if (nodes[i].seed_role != INGEST_ROLE_NONE) {
            static const char *const role[] = {"", "seed", "fetched", "direct"};

            json_object_set_new(o, "role", json_string(role[nodes[i].seed_role]));
            json_object_set_new(o, "fetched", json_integer((json_int_t)nodes[i].fetched));
            json_object_set_new(o, "fetched_variants",
                                json_integer((json_int_t)nodes[i].fetched_variants));
            json_object_set_new(o, "fetched_bytes",
                                json_integer((json_int_t)nodes[i].fetched_bytes));
            if (nodes[i].fetch_note[0] != '\0')
                json_object_set_new(o, "fallback", json_string(nodes[i].fetch_note));
        }
        if (nodes[i].failed)
            json_object_set_new(o, "error", json_string(nodes[i].error));
        if (nodes[i].nconflicts > 0) {
            json_t *cs = json_array();
            const char *p = nodes[i].conflicts.data, *nl;

            for (; p != NULL && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
                json_array_append_new(cs, json_stringn(p, (size_t)(nl - p)));
            json_object_set_new(o, "conflicts", cs);
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static void emit_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (text != NULL) {
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    free(text);
    json_decref(doc);
}

/* ------------------------------------------------------------------ */
/* push                                                                 */

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
    double now = ingest_now();

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
    struct ingest_site none; /* zeroed: the probe uploads nothing */
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
    struct ingest_client_opts co;

    memset(j, 0, sizeof(*j));
    j->cfg = cfg;
    j->none.root_fd = -1;
    memset(&co, 0, sizeof(co));
    co.token = cfg->token;
    co.cacert = cfg->val[O_CACERT];
    co.jobs = 1;
    co.retries = 0; /* best effort: a node that does not answer at once is pushed as usual,
                     * and the push's own phases retry it (and count the retries) */
    co.bundle_bytes = 8u << 20;
    co.bundle_files = 1;
    j->client = ingest_client_new((const char *const *)cfg->nodes, cfg->nnodes, &j->none, &co);
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

static int cmd_push(struct cfg *cfg)
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
    const char *pause;
    int rc;
    double t_hash = 0;

    memset(&site, 0, sizeof(site));
    site.root_fd = -1;
    memset(&st, 0, sizeof(st));
    memset(&cs, 0, sizeof(cs));
    memset(&ds, 0, sizeof(ds));
    st.cfg = cfg;
    st.site = &site;
    st.t0 = ingest_now();
    ingest_progress_init(&st.prog, cfg->quiet);

    wo.include_hidden = cfg->include_hidden;
    wo.quiet = cfg->quiet;
    timing(NULL);
    memset(&probe, 0, sizeof(probe));
    if (!cfg->dry_run && getenv("ORIGIN_INGEST_TEST_PAUSE_MS") == NULL)
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
    t_hash = ingest_now() - st.t0;
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

    pause = getenv("ORIGIN_INGEST_TEST_PAUSE_MS"); /* tests only: window to change files */
    if (pause != NULL) {
        unsigned long long ms;

        if (parse_uint(pause, 0, 600000, &ms) == 0) {
            /* the line tells the test the window is open (no fixed sleep there) */
            fprintf(stderr, "origin-ingest: test pause %llu ms\n", ms);
            usleep((useconds_t)(ms * 1000));
        }
    }

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
        double t = ingest_now();

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
                                 cs.blobs, cs.compressed, cs.cache_hits, cs.kept, ingest_now() - t);
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
        double t = ingest_now();

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
                                 ingest_now() - t);
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
    rc = combine_exit(nodes, nn);
    print_failures(&st, nodes, nn);
    if (rc == INGEST_EXIT_OK && cfg->val[O_MANIFEST_OUT] != NULL) {
        rc = ingest_manifest_write(&site, cfg->val[O_MANIFEST_OUT], cfg->mfmt,
                                   cfg->val[O_PUBLIC_BASE], err, sizeof(err));
        if (rc != INGEST_EXIT_OK)
            ingest_progress_error(&st.prog, "%s", err);
    }

summary : {
    double el = ingest_now() - st.t0;
    uint64_t sent = 0;
    struct ingest_buf per = {0};

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
    ingest_buf_free(&per);
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
        json_object_set_new(doc, "nodes", nodes_json(nodes, nn));
        emit_json(doc);
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

/* ------------------------------------------------------------------ */
/* verify                                                               */

/* verify --through: the release's files as the first node lists them (every
 * node was just found to hold the same), fetched through the CDN. Returns an
 * exit code; *doc gets the JSON summary. */
static int verify_through(struct cfg *cfg, struct ingest_progress *prog, json_t **doc)
{
    struct ingest_through_release rel;
    struct ingest_through_opts o;
    struct ingest_through_result res;
    char err[700];
    int r;

    *doc = NULL;
    if (ingest_through_load_release(cfg->nodes[0], cfg->token, cfg->val[O_CACERT],
                                    cfg->val[O_RELEASE], cfg->retries, &rel, err,
                                    sizeof(err)) != 0) {
        ingest_progress_error(prog, "%s", err);
        return INGEST_EXIT_NODE;
    }
    ingest_through_find_dicts(cfg->nodes[0], cfg->token, cfg->val[O_CACERT], &rel);
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
    struct ingest_site none;
    struct ingest_client_opts co;
    struct ingest_client *c;
    struct ingest_node *nodes;
    struct ingest_promotions *ps;
    const struct store_promotion *newest;
    size_t nn, i;
    int rc = INGEST_EXIT_OK;

    *doc = json_array();
    memset(&none, 0, sizeof(none));
    none.root_fd = -1;
    memset(&co, 0, sizeof(co));
    co.token = cfg->token;
    co.cacert = cfg->val[O_CACERT];
    co.jobs = 1;
    co.retries = cfg->retries;
    co.bundle_bytes = 8u << 20;
    co.bundle_files = 1;
    c = ingest_client_new((const char *const *)cfg->nodes, cfg->nnodes, &none, &co);
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
            if (store_promotion_cmp(p, newest) != 0) {
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

static int cmd_verify(struct cfg *cfg)
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
    st.t0 = ingest_now();
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
    rc = combine_exit(nodes, nn);
    print_failures(&st, nodes, nn);
    if (rc == INGEST_EXIT_OK) /* every node answered: what has each promoted? */
        rc = verify_promotions(cfg, &st.prog, &promos);
    if (rc == INGEST_EXIT_OK && cfg->val[O_THROUGH] != NULL)
        rc = verify_through(cfg, &st.prog, &through);
    if (cfg->json) {
        json_t *doc = json_pack("{s:s, s:i, s:b, s:s}", "release", cfg->val[O_RELEASE], "exit", rc,
                                "complete", rc == INGEST_EXIT_OK, "digest", ref);

        json_object_set_new(doc, "nodes", nodes_json(nodes, nn));
        if (promos != NULL)
            json_object_set_new(doc, "promotions", promos);
        promos = NULL;
        if (through != NULL)
            json_object_set_new(doc, "through", through);
        emit_json(doc);
    } else {
        json_decref(through);
    }
    json_decref(promos);
    ingest_client_free(st.client);
    ingest_site_free(&site);
    return rc;
}

/* ------------------------------------------------------------------ */
/* prune                                                                */

static int cmd_prune(struct cfg *cfg)
{
    struct ingest_prune_opts o;

    memset(&o, 0, sizeof(o));
    o.nodes = (const char *const *)cfg->nodes;
    o.nnodes = cfg->nnodes;
    o.token = cfg->token;
    o.cacert = cfg->val[O_CACERT];
    o.retries = cfg->retries;
    o.policy = cfg->policy;
    o.dry_run = cfg->dry_run;
    o.json = cfg->json;
    return ingest_prune_run(&o);
}

/* ------------------------------------------------------------------ */
/* promote                                                              */

static int cmd_promote(struct cfg *cfg)
{
    struct ingest_promote_opts o;

    memset(&o, 0, sizeof(o));
    o.nodes = (const char *const *)cfg->nodes;
    o.nnodes = cfg->nnodes;
    o.token = cfg->token;
    o.cacert = cfg->val[O_CACERT];
    o.retries = cfg->retries;
    o.release = cfg->val[O_RELEASE];
    o.floor = cfg->val[O_FLOOR] != NULL && *cfg->val[O_FLOOR] != '\0' ? cfg->val[O_FLOOR] : NULL;
    return ingest_promote_run(&o);
}

/* ------------------------------------------------------------------ */
/* manifest                                                             */

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

static int cmd_manifest(struct cfg *cfg)
{
    struct manifest_state m;
    struct ingest_site none;
    struct ingest_progress prog;
    struct ingest_client_opts co;
    struct ingest_client *client;
    struct ingest_node *nodes;
    const char *out;
    size_t nn, i;
    int rc;

    memset(&m, 0, sizeof(m));
    memset(&none, 0, sizeof(none));
    none.root_fd = -1;
    m.cfg = cfg;
    ingest_progress_init(&prog, cfg->quiet);
    memset(&co, 0, sizeof(co));
    co.token = cfg->token;
    co.cacert = cfg->val[O_CACERT];
    co.jobs = 4;
    co.retries = cfg->retries;
    co.bundle_bytes = 8u << 20;
    co.bundle_files = 1;
    client = ingest_client_new((const char *const *)cfg->nodes, cfg->nnodes, &none, &co);
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
        rc = combine_exit(nodes, nn);
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

int main(int argc, char **argv)
{
    struct cfg cfg;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    if (argc < 2) {
        fputs("usage: origin-ingest push|verify|prune|manifest|promote [options] (see "
              "origin-ingest push "
              "--help)\n",
              stderr);
        return INGEST_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs("usage: origin-ingest push [options] DIR     push and publish a build\n"
              "       origin-ingest verify [options]       check a release on every node\n"
              "       origin-ingest prune [options]        prune old releases on every node\n"
              "       origin-ingest promote [options]      record the live release on every "
              "node\n"
              "       origin-ingest manifest [options]     the manifest a push wrote, from a "
              "node\n"
              "Run `origin-ingest COMMAND --help` for its options.\n",
              stdout);
        return INGEST_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("origin-ingest %s\n", ORIGIND_VERSION);
        return INGEST_EXIT_OK;
    }
    if (strcmp(argv[1], "push") == 0) {
        cfg.cmd = CMD_PUSH;
    } else if (strcmp(argv[1], "verify") == 0) {
        cfg.cmd = CMD_VERIFY;
    } else if (strcmp(argv[1], "prune") == 0) {
        cfg.cmd = CMD_PRUNE;
    } else if (strcmp(argv[1], "manifest") == 0) {
        cfg.cmd = CMD_MANIFEST;
    } else if (strcmp(argv[1], "promote") == 0) {
        cfg.cmd = CMD_PROMOTE;
    } else {
        fprintf(stderr,
                "origin-ingest: unknown command %s (push, verify, prune, manifest or promote)\n",
                argv[1]);
        return INGEST_EXIT_USAGE;
    }
    rc = parse_args(&cfg, argc, argv);
    if (rc != 0) {
        free_cfg(&cfg);
        return rc > 0 ? INGEST_EXIT_OK : INGEST_EXIT_USAGE;
    }
    rc = validate(&cfg);
    if (rc == INGEST_EXIT_OK)
        rc = cfg.cmd == CMD_PUSH      ? cmd_push(&cfg)
             : cfg.cmd == CMD_VERIFY  ? cmd_verify(&cfg)
             : cfg.cmd == CMD_PRUNE   ? cmd_prune(&cfg)
             : cfg.cmd == CMD_PROMOTE ? cmd_promote(&cfg)
                                      : cmd_manifest(&cfg);
    free_cfg(&cfg);
    return rc;
}
