/*
 * config.h - origind's command-line/environment configuration, as a table.
 *
 * Every option has one row in config_table.c: long name, value name,
 * environment variable, default, validator and help line. Values come from
 * the default, then the environment, then the command line (last wins;
 * the command line's syntax is common/opt.h's); everything is validated
 * before anything starts.
 */
#ifndef ORIGIND_CONFIG_H
#define ORIGIND_CONFIG_H

#include "cors.h"
#include "opt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* The subcommands; a row says which of them accept it (a bit mask). */
enum config_cmd {
    CONFIG_SERVE = 1 << 0,
    CONFIG_FSCK = 1 << 1,
    CONFIG_STATS = 1 << 2,
    CONFIG_BACKUP = 1 << 3,
    CONFIG_SYNC = 1 << 4,
};

/* Most --peer options (each may also hold comma-separated URLs). */
#define CONFIG_PEER_MAX 16

/* Parsed options. String fields point into argv, the environment or static
 * defaults (borrowed; never freed). */
struct config {
    const char *store;
    const char *listen;
    const char *admin_listen;
    const char *admin_token_file; /* NULL: DIR/admin.token, created if absent */
    const char *read_token_file;  /* NULL: no read-only tokens */
    const char *peer_token_file;  /* NULL: send the first admin token to peers */
    const char *peer_cacert;      /* NULL: the system's CAs verify https:// peers */
    const char *admin_tls_cert;   /* NULL: the admin listener speaks plain HTTP */
    const char *admin_tls_key;
    const char *tls_cert; /* NULL: the public listener speaks plain HTTP */
    const char *tls_key;
    const char *origin_secret_file; /* NULL: no origin secret */
    const char *access_log;         /* NULL: none; "-": stdout */
    const char *cors_origin;        /* NULL: any origin ("*") */
    struct cors_policy cors;        /* cors_origin parsed (n == 0: any origin) */
    const char *log_level;
    const char *out;                   /* backup */
    const char *peer[CONFIG_PEER_MAX]; /* serve --peer (repeatable), ORIGIND_PEERS */
    uint64_t n_peer;
    const char *peers_dns;  /* serve --peers-dns HOST:PORT (NULL: none) */
    uint64_t peer_interval; /* anti-entropy period, seconds */
    uint64_t peer_timeout;  /* catch-up wait before serving anyway (0: forever) */
    uint64_t peer_jobs;     /* parallel blob transfers per peer */
    const char *from;       /* sync */
    const char *token_file; /* sync */
    uint64_t threads;
    uint64_t sendfile_min;      /* bodies >= this go out with sendfile (0: never) */
    uint64_t sendfile_max;      /* ... and < this (0: no limit) */
    uint64_t tcp_notsent_lowat; /* per connection, 0: kernel default */
    uint64_t send_buffer;       /* SO_SNDBUF per connection, 0: autotuning */
    uint64_t response_cache;    /* bytes of resp_cache.h, 0: off */
    uint64_t drain_seconds;
    uint64_t max_blob_bytes;
    uint64_t max_bundle_bytes;
    uint64_t max_json_bytes;
    uint64_t map_size;
    uint64_t max_readers;
    uint64_t max_connections;
    uint64_t admin_max_connections;
    uint64_t connection_timeout;
    uint64_t check;   /* --check: validate, print "configuration OK", exit 0 */
    uint64_t help;    /* --help */
    uint64_t version; /* --version */
};

/* How config.c checks and stores a row's value. */
enum config_kind {
    CONFIG_STR,    /* any non-empty string */
    CONFIG_ADDR,   /* ADDR:PORT */
    CONFIG_UINT,   /* decimal, optional K/M/G/T suffix (powers of 1024), in min..max */
    CONFIG_FLAG,   /* no value (the row's value name is NULL); sets 1 */
    CONFIG_LEVEL,  /* a log level name */
    CONFIG_LIST,   /* repeatable string, appended to cfg->peer[] */
    CONFIG_ORIGINS /* comma-separated origins, parsed into cfg->cors */
};

struct config_check {
    enum config_kind kind;
    size_t offset; /* of the field in struct config */
    uint64_t min, max;
};

/* A row of origind's option table: the engine's row first (opt.h). */
struct config_opt {
    struct opt_row row; /* cmds: enum config_cmd bits */
    struct config_check check;
};

/* The table (config_table.c): rows of struct config_opt; cmd_names[b] is
 * the subcommand of bit b of enum config_cmd. */
extern const struct opt_table config_opt_table;

/* Fills *cfg for subcommand cmd from defaults, the environment and
 * argv[0..argc) (the arguments after the subcommand name). On error returns
 * -1 with a one-line message in err[0..errlen). */
int config_parse(struct config *cfg, enum config_cmd cmd, int argc, char **argv, char *err,
                 size_t errlen);

/* Prints the usage of cmd with every option, its variable and default. */
void config_usage(FILE *f, enum config_cmd cmd);

/* Parses "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0"; numeric
 * addresses only). Returns 0 and fills *ss and *len, or -1. */
int config_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif /* ORIGIND_CONFIG_H */
