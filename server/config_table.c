/*
 * config_table.c - origind's option table: one row per command-line option
 * with its value name, environment variable, default, commands, help line,
 * and how config.c validates and stores it. --help, the man page's OPTIONS
 * section (man/mangen.c) and the parser (common/opt.c) all read it.
 *
 * For: what origind's options are.
 * Not for: parsing or validating them (config.c), acting on them (main.c).
 */
#include "config.h"

#include <stddef.h>

#define FIELD(f) offsetof(struct config, f)
#define ALL_CMDS (CONFIG_SERVE | CONFIG_FSCK | CONFIG_STATS | CONFIG_BACKUP | CONFIG_SYNC)
#define GiB      (1024ULL * 1024 * 1024)

/* "threads" default "0" means: the number of online cores, resolved after
 * parsing. */
static const struct config_opt rows[] = {
    {{"store", 0, "DIR", "ORIGIND_STORE", NULL, ALL_CMDS,
      "store directory (created if absent for serve)"},
     {CONFIG_STR, FIELD(store), 0, 0}},
    {{"listen", 0, "ADDR:PORT", "ORIGIND_LISTEN", "127.0.0.1:8080", CONFIG_SERVE,
      "public listener ADDR:PORT (port 0: any free port)"},
     {CONFIG_ADDR, FIELD(listen), 0, 0}},
    {{"admin-listen", 0, "ADDR:PORT", "ORIGIND_ADMIN_LISTEN", "127.0.0.1:8081", CONFIG_SERVE,
      "admin listener ADDR:PORT"},
     {CONFIG_ADDR, FIELD(admin_listen), 0, 0}},
    {{"admin-token-file", 0, "FILE", "ORIGIND_ADMIN_TOKEN_FILE", NULL, CONFIG_SERVE,
      "admin bearer tokens, one a line, all full rights (default: STORE/admin.token, created); "
      "re-read on SIGHUP"},
     {CONFIG_STR, FIELD(admin_token_file), 0, 0}},
    {{"read-token-file", 0, "FILE", "ORIGIND_READ_TOKEN_FILE", NULL, CONFIG_SERVE,
      "file of read-only admin tokens, one a line (listings, blobs, releases, status, metrics)"},
     {CONFIG_STR, FIELD(read_token_file), 0, 0}},
    {{"admin-tls-cert", 0, "FILE", "ORIGIND_ADMIN_TLS_CERT", NULL, CONFIG_SERVE,
      "PEM certificate chain: the admin listener speaks only HTTPS"},
     {CONFIG_STR, FIELD(admin_tls_cert), 0, 0}},
    {{"admin-tls-key", 0, "FILE", "ORIGIND_ADMIN_TLS_KEY", NULL, CONFIG_SERVE,
      "PEM private key of --admin-tls-cert"},
     {CONFIG_STR, FIELD(admin_tls_key), 0, 0}},
    {{"tls-cert", 0, "FILE", "ORIGIND_TLS_CERT", NULL, CONFIG_SERVE,
      "PEM certificate chain: the public listener speaks only HTTPS"},
     {CONFIG_STR, FIELD(tls_cert), 0, 0}},
    {{"tls-key", 0, "FILE", "ORIGIND_TLS_KEY", NULL, CONFIG_SERVE, "PEM private key of --tls-cert"},
     {CONFIG_STR, FIELD(tls_key), 0, 0}},
    {{"origin-secret-file", 0, "FILE", "ORIGIND_ORIGIN_SECRET_FILE", NULL, CONFIG_SERVE,
      "require X-Origin-Verify: <secret in FILE> on the public listener"},
     {CONFIG_STR, FIELD(origin_secret_file), 0, 0}},
    {{"cors-origin", 0, "LIST", "ORIGIND_CORS_ORIGIN", NULL, CONFIG_SERVE,
      "comma-separated origins (scheme://host[:port]) allowed to read assets cross-origin; "
      "answers then echo the matching Origin with Vary: Origin (the CDN must forward and key on "
      "Origin). Default: Access-Control-Allow-Origin: * on every public answer"},
     {CONFIG_ORIGINS, FIELD(cors_origin), 0, 0}},
    {{"threads", 0, "N", "ORIGIND_THREADS", "0", CONFIG_SERVE,
      "public listener threads (0: one per online core)"},
     {CONFIG_UINT, FIELD(threads), 0, 1024}},
    {{"sendfile-min", 0, "N", "ORIGIND_SENDFILE_MIN", "64K", CONFIG_SERVE,
      "send bodies from this many bytes on (and under --sendfile-max) with sendfile(2), others "
      "from the memory map (0: never sendfile); a pruned store never uses sendfile"},
     {CONFIG_UINT, FIELD(sendfile_min), 0, 1ULL << 46}},
    {{"sendfile-max", 0, "N", "ORIGIND_SENDFILE_MAX", "1M", CONFIG_SERVE,
      "bodies from this many bytes on go from the memory map again (0: no limit); measured on "
      "loopback, sendfile wins at 100 KiB and loses 2.6x at 10 MiB"},
     {CONFIG_UINT, FIELD(sendfile_max), 0, 1ULL << 46}},
    {{"tcp-notsent-lowat", 0, "N", "ORIGIND_TCP_NOTSENT_LOWAT", "512K", CONFIG_SERVE,
      "TCP_NOTSENT_LOWAT of every connection: bytes of an answer queued unsent in the kernel "
      "(fairness between connections; 0: the kernel's default)"},
     {CONFIG_UINT, FIELD(tcp_notsent_lowat), 0, 1ULL << 30}},
    {{"send-buffer", 0, "N", "ORIGIND_SEND_BUFFER", "0", CONFIG_SERVE,
      "SO_SNDBUF of every connection (0: the kernel's autotuning; a fixed buffer caps each "
      "connection at about twice this per round trip)"},
     {CONFIG_UINT, FIELD(send_buffer), 0, 1ULL << 30}},
    {{"response-cache", 0, "N", "ORIGIND_RESPONSE_CACHE", "64M", CONFIG_SERVE,
      "memory for ready-made answers of assets up to 256 KiB (and under --sendfile-min) "
      "(0: off)"},
     {CONFIG_UINT, FIELD(response_cache), 0, 64 * GiB}},
    {{"drain-seconds", 0, "N", "ORIGIND_DRAIN_SECONDS", "10", CONFIG_SERVE,
      "after SIGTERM, keep serving (healthz 503) this long"},
     {CONFIG_UINT, FIELD(drain_seconds), 0, 3600}},
    {{"access-log", 0, "FILE", "ORIGIND_ACCESS_LOG", NULL, CONFIG_SERVE,
      "access log FILE, or - for stdout (default: none); reopened on SIGHUP"},
     {CONFIG_STR, FIELD(access_log), 0, 0}},
    {{"log-level", 0, "LEVEL", "ORIGIND_LOG_LEVEL", "info", ALL_CMDS,
      "error, warn, info or debug (stderr)"},
     {CONFIG_LEVEL, FIELD(log_level), 0, 0}},
    {{"max-blob-bytes", 0, "N", "ORIGIND_MAX_BLOB_BYTES", "1G", CONFIG_SERVE | CONFIG_SYNC,
      "largest blob or variant accepted (413 above)"},
     {CONFIG_UINT, FIELD(max_blob_bytes), 1, 64 * GiB}},
    {{"max-bundle-bytes", 0, "N", "ORIGIND_MAX_BUNDLE_BYTES", "256M", CONFIG_SERVE,
      "largest POST /v1/bundle body"},
     {CONFIG_UINT, FIELD(max_bundle_bytes), 1, 64 * GiB}},
    {{"max-json-bytes", 0, "N", "ORIGIND_MAX_JSON_BYTES", "128M", CONFIG_SERVE,
      "largest JSON request body (missing, releases)"},
     {CONFIG_UINT, FIELD(max_json_bytes), 1, 4 * GiB}},
    {{"map-size", 0, "N", "ORIGIND_MAP_SIZE", "64G", ALL_CMDS, "store capacity (LMDB map size)"},
     {CONFIG_UINT, FIELD(map_size), 64 * 1024, 1ULL << 46}},
    {{"max-readers", 0, "N", "ORIGIND_MAX_READERS", "4096", ALL_CMDS,
      "concurrent store readers (bounds in-flight responses)"},
     {CONFIG_UINT, FIELD(max_readers), 16, 1 << 20}},
    {{"max-connections", 0, "N", "ORIGIND_MAX_CONNECTIONS", "2048", CONFIG_SERVE,
      "public listener connection cap"},
     {CONFIG_UINT, FIELD(max_connections), 1, 1 << 20}},
    {{"admin-max-connections", 0, "N", "ORIGIND_ADMIN_MAX_CONNECTIONS", "64", CONFIG_SERVE,
      "admin listener connection cap (one thread each)"},
     {CONFIG_UINT, FIELD(admin_max_connections), 1, 4096}},
    {{"connection-timeout", 0, "N", "ORIGIND_CONNECTION_TIMEOUT", "90", CONFIG_SERVE,
      "seconds an idle connection is kept (>= 76: above the ALB's 60 s)"},
     {CONFIG_UINT, FIELD(connection_timeout), 76, 86400}},
    {{"out", 0, "FILE", "ORIGIND_BACKUP_OUT", NULL, CONFIG_BACKUP,
      "backup file to create (must not exist)"},
     {CONFIG_STR, FIELD(out), 0, 0}},
    {{"peer", 0, "URL", "ORIGIND_PEERS", NULL, CONFIG_SERVE,
      "a peer's admin URL (repeatable; env: comma-separated): catch up, then heal misses"},
     {CONFIG_LIST, FIELD(peer), 0, 0}},
    {{"peers-dns", 0, "HOST:PORT", "ORIGIND_PEERS_DNS", NULL, CONFIG_SERVE,
      "HOST:PORT: every A/AAAA record of HOST is a peer http://ADDR:PORT (https:// with "
      "--admin-tls-cert or --peer-cacert; this node left out), "
      "re-resolved every --peer-interval"},
     {CONFIG_STR, FIELD(peers_dns), 0, 0}},
    {{"peer-interval", 0, "N", "ORIGIND_PEER_INTERVAL", "60", CONFIG_SERVE,
      "seconds between anti-entropy checks (and --peers-dns lookups)"},
     {CONFIG_UINT, FIELD(peer_interval), 1, 86400}},
    {{"peer-timeout", 0, "N", "ORIGIND_PEER_TIMEOUT", "120", CONFIG_SERVE,
      "with no full catch-up pass by then, serve a non-empty store anyway (0: wait forever)"},
     {CONFIG_UINT, FIELD(peer_timeout), 0, 86400}},
    {{"peer-jobs", 0, "N", "ORIGIND_PEER_JOBS", "8", CONFIG_SERVE | CONFIG_SYNC,
      "parallel blob transfers per peer"},
     {CONFIG_UINT, FIELD(peer_jobs), 1, 64}},
    {{"peer-token-file", 0, "FILE", "ORIGIND_PEER_TOKEN_FILE", NULL, CONFIG_SERVE,
      "the token sent to peers (a read token is enough; default: the first admin token)"},
     {CONFIG_STR, FIELD(peer_token_file), 0, 0}},
    {{"peer-cacert", 0, "FILE", "ORIGIND_PEER_CACERT", NULL, CONFIG_SERVE | CONFIG_SYNC,
      "PEM CA file that https:// peers' certificates must chain to (default: the system's CAs)"},
     {CONFIG_STR, FIELD(peer_cacert), 0, 0}},
    {{"from", 0, "URL", "ORIGIND_SYNC_FROM", NULL, CONFIG_SYNC,
      "the peer's admin URL to catch up from"},
     {CONFIG_STR, FIELD(from), 0, 0}},
    {{"token-file", 0, "FILE", "ORIGIND_SYNC_TOKEN_FILE", NULL, CONFIG_SYNC,
      "file holding a token of the peer (a read token is enough)"},
     {CONFIG_STR, FIELD(token_file), 0, 0}},
    {{"check", 0, NULL, NULL, NULL, CONFIG_SERVE,
      "validate the configuration, print \"configuration OK\" and exit"},
     {CONFIG_FLAG, FIELD(check), 0, 0}},
    {{"help", 'h', NULL, NULL, NULL, ALL_CMDS, "this help"}, {CONFIG_FLAG, FIELD(help), 0, 0}},
    {{"version", 0, NULL, NULL, NULL, ALL_CMDS, "print the version"},
     {CONFIG_FLAG, FIELD(version), 0, 0}},
};

/* Bit b of enum config_cmd is cmd_names[b]. */
static const char *const cmd_names[] = {"serve", "fsck", "stats", "backup", "sync"};

const struct opt_table config_opt_table = {rows, sizeof(rows) / sizeof(rows[0]), sizeof(rows[0]),
                                           cmd_names, sizeof(cmd_names) / sizeof(cmd_names[0])};
