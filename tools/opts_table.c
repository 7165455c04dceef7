/*
 * opts_table.c - origin-ingest's option table: one row per command-line
 * option with its value name, environment variable, default, commands and
 * help line. --help, the man page's OPTIONS section (man/mangen.c) and the
 * parser (common/opt.c) all read it.
 *
 * For: what origin-ingest's options are.
 * Not for: parsing or validating them (opts.c).
 */
#include "opts.h"

/* One row per option, indexed by enum opt_id: name, short name, value
 * name, environment variable, default, commands, help. */
static const struct opt_row rows[O_COUNT] = {
    [O_NODE] = {"node", 0, "URL", "ORIGIN_INGEST_NODES", NULL, CMD_NODES,
                "admin base URL of a node; repeat for each node (env: comma-separated)"},
    [O_NODES_DNS] = {"nodes-dns", 0, "HOST:PORT", "ORIGIN_INGEST_NODES_DNS", NULL, CMD_NODES,
                     "every A/AAAA record of HOST is a node http://ADDR:PORT (https:// with "
                     "--cacert; with --node: both)"},
    [O_TOKEN_FILE] = {"token-file", 0, "FILE", "ORIGIN_INGEST_TOKEN_FILE", NULL, CMD_NODES,
                      "file holding the admin bearer token"},
    [O_RELEASE] = {"release", 0, "ID", "ORIGIN_INGEST_RELEASE", NULL,
                   CMD_PUSH | CMD_VERIFY | CMD_MANIFEST | CMD_PROMOTE,
                   "release id, 1-128 bytes of [A-Za-z0-9._-]"},
    [O_PREFIX] = {"prefix", 0, "PATH", "ORIGIN_INGEST_PREFIX", "/assets", CMD_PUSH | CMD_MANIFEST,
                  "published paths start with PATH (\"\" or \"/\": the root)"},
    [O_KEEP_NAMES] = {"keep-names", 0, NULL, "ORIGIN_INGEST_KEEP_NAMES", NULL,
                      CMD_PUSH | CMD_MANIFEST,
                      "publish names as they are (the build already hashes them; manifest: "
                      "the release was pushed so)"},
    [O_MANIFEST_OUT] = {"manifest-out", 0, "FILE", "ORIGIN_INGEST_MANIFEST_OUT", NULL, CMD_PUSH,
                        "write the JSON manifest (source path -> URL) on success; - for stdout "
                        "(see \"output files\")"},
    [O_MANIFEST_FORMAT] = {"manifest-format", 0, "flat|full", "ORIGIN_INGEST_MANIFEST_FORMAT",
                           "flat", CMD_PUSH | CMD_MANIFEST,
                           "full: per path {url, sha256, size, type, integrity}"},
    [O_PUBLIC_BASE] = {"public-base", 0, "URL", "ORIGIN_INGEST_PUBLIC_BASE", NULL,
                       CMD_PUSH | CMD_MANIFEST,
                       "prefix manifest URLs with URL (e.g. https://cdn.example.com)"},
    [O_COMPRESS] = {"compress", 0, "LIST of br,gzip,zstd|none", "ORIGIN_INGEST_COMPRESS", "br,gzip",
                    CMD_PUSH,
                    "precompressed variants to upload for compressible types (zstd: nodes "
                    "that list it in Origind-Encodings)"},
    [O_DICT_DELTAS] = {"dict-deltas", 0, "N", "ORIGIN_INGEST_DICT_DELTAS", "2", CMD_PUSH,
                       "dcz deltas (RFC 9842) of changed JS, CSS, wasm and JSON files from their "
                       "versions in the N previous releases, 0-16 (0: none)"},
    [O_JOBS] = {"jobs", 0, "N", "ORIGIN_INGEST_JOBS", "4", CMD_PUSH,
                "parallel uploads per node (keep-alive connections), 1-64"},
    [O_RETRIES] = {"retries", 0, "N", "ORIGIN_INGEST_RETRIES", "5", CMD_NODES,
                   "retries of a request after a connection error or 5xx, 0-30"},
    [O_THREADS] = {"threads", 0, "N", "ORIGIN_INGEST_THREADS", "online cores", CMD_PUSH,
                   "threads for hashing and compression, 1-256"},
    [O_CACHE_DIR] = {"cache-dir", 0, "DIR", "ORIGIN_INGEST_CACHE",
                     "${XDG_CACHE_HOME:-$HOME/.cache}/origin-ingest", CMD_PUSH,
                     "compression cache (by digest); \"none\" disables it"},
    [O_INCLUDE_HIDDEN] = {"include-hidden", 0, NULL, "ORIGIN_INGEST_INCLUDE_HIDDEN", NULL, CMD_PUSH,
                          "publish dotfiles and dot-directories too"},
    [O_DRY_RUN] = {"dry-run", 0, NULL, "ORIGIN_INGEST_DRY_RUN", NULL, CMD_PUSH | CMD_PRUNE,
                   "push: hash, name and write the manifest, contact no node; prune: list per "
                   "node what would go, change nothing"},
    [O_JSON] = {"json", 0, NULL, "ORIGIN_INGEST_JSON", NULL, CMD_PUSH | CMD_VERIFY | CMD_PRUNE,
                "print one JSON summary on stdout and nothing else there"},
    [O_QUIET] = {"quiet", 0, NULL, "ORIGIN_INGEST_QUIET", NULL,
                 CMD_PUSH | CMD_VERIFY | CMD_MANIFEST,
                 "no progress or summary on stderr, only errors"},
    [O_BUNDLE_BYTES] = {"bundle-bytes", 0, "N", "ORIGIN_INGEST_BUNDLE_BYTES", "8388608", CMD_PUSH,
                        "most bytes in one bundle request; larger files are uploaded alone"},
    [O_THROUGH] = {"through", 0, "BASE_URL", "ORIGIN_INGEST_THROUGH", NULL, CMD_VERIFY,
                   "then fetch every file through BASE_URL (the CDN), identity, gzip, br, zstd "
                   "and dcz, "
                   "and check the bytes"},
    [O_SAMPLE] = {"sample", 0, "N", "ORIGIN_INGEST_SAMPLE", "all files", CMD_VERIFY,
                  "--through checks N files chosen at random"},
    [O_THROUGH_JOBS] = {"through-jobs", 0, "N", "ORIGIN_INGEST_THROUGH_JOBS", "8", CMD_VERIFY,
                        "--through transfers in flight at once, 1-64"},
    [O_THROUGH_TIMEOUT] = {"through-timeout", 0, "SECONDS", "ORIGIN_INGEST_THROUGH_TIMEOUT", "600",
                           CMD_VERIFY, "--through must finish within SECONDS (0: no limit)"},
    [O_CACERT] = {"cacert", 0, "FILE", "ORIGIN_INGEST_CACERT", "the system's CAs", CMD_NODES,
                  "PEM CA file that https:// nodes' certificates must chain to"},
    [O_MANIFEST] = {"manifest", 0, "FILE", "ORIGIN_INGEST_MANIFEST", NULL, CMD_VERIFY,
                    "also check every node against this full manifest (from push)"},
    [O_KEEP_LAST] = {"keep-last", 0, "N", "ORIGIN_INGEST_KEEP_LAST", NULL, CMD_PRUNE,
                     "keep the N newest releases (of the union of the nodes' lists)"},
    [O_KEEP_NEWER_THAN] = {"keep-newer-than", 0, "DURATION", "ORIGIN_INGEST_KEEP_NEWER_THAN", NULL,
                           CMD_PRUNE, "keep releases created within DURATION: 90d, 12h, 30m, 45s"},
    [O_KEEP] = {"keep", 0, "ID", "ORIGIN_INGEST_KEEP", NULL, CMD_PRUNE,
                "keep this release; repeat for each (env: comma-separated)"},
    [O_SEED_NODES] = {"seed-nodes", 0, "K", "ORIGIN_INGEST_SEED_NODES", "0", CMD_PUSH,
                      "upload new blobs to K nodes only; every other node fetches them from "
                      "those (POST /v1/fetch, verified as an upload), then the release is "
                      "published everywhere; 0: upload to every node"},
    [O_OUT] = {"out", 0, "FILE|-", "ORIGIN_INGEST_OUT", "stdout", CMD_MANIFEST,
               "write the manifest to FILE (atomically, like push --manifest-out; see "
               "\"output files\")"},
    [O_FLOOR] = {"floor", 0, "ID", "ORIGIN_INGEST_FLOOR", "none", CMD_PROMOTE,
                 "the oldest release a browser tab may keep running (not newer than --release)"},
    [O_KEEP_PROMOTED] = {"keep-promoted", 0, "N", "ORIGIN_INGEST_KEEP_PROMOTED", NULL, CMD_PRUNE,
                         "keep the last N promoted releases and everything pushed after the "
                         "newest promotion"},
    [O_HELP] = {"help", 'h', NULL, NULL, NULL, CMD_NODES, "this help"},
    [O_VERSION] = {"version", 0, NULL, NULL, NULL, CMD_NODES, "print the version"},
};

/* Bit b of the CMD_* masks is cmd_names[b]. */
static const char *const cmd_names[] = {"push", "verify", "prune", "manifest", "promote"};

const struct opt_table ingest_opt_table = {rows, O_COUNT, sizeof(rows[0]), cmd_names,
                                           sizeof(cmd_names) / sizeof(cmd_names[0])};
