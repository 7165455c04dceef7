/*
 * opts.h - origin-ingest's command line: the commands, the option table
 * (opts_table.c: every option with its environment variable, default,
 * commands and help line; --help, the man page and the parser read it,
 * through common/opt.h), and the validated configuration every command runs
 * from.
 */
#ifndef ORIGIN_INGEST_OPTS_H
#define ORIGIN_INGEST_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "manifest.h"
#include "opt.h"
#include "prune.h"

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
    O_HELP,
    O_VERSION,
    O_COUNT
};

/* The table (opts_table.c): rows indexed by enum opt_id; bit b of the CMD_*
 * masks is cmd_names[b]. */
extern const struct opt_table ingest_opt_table;

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

/* Parses argv (argv[1] is the command, already in c->cmd) and the
 * environment into c. Returns 0 to go on, 1 when --help or --version was
 * printed (exit 0), -1 on a usage error (one line on stderr already). */
int ingest_opts_parse(struct cfg *c, int argc, char **argv);

/* Validates everything before any work: the nodes (--nodes-dns resolved),
 * the token file, every value. Returns INGEST_EXIT_OK or an exit code (the
 * reason on stderr). */
int ingest_opts_validate(struct cfg *c);

/* Frees what ingest_opts_parse and ingest_opts_validate allocated in c. */
void ingest_opts_free(struct cfg *c);

/* Parses the decimal v into *out if lo <= v <= hi. Returns 0, or -1 (out
 * untouched). */
int ingest_parse_uint(const char *v, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out);

#endif
