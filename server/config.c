/*
 * config.c - the option table and its parser (see config.h).
 *
 * Not for: acting on options (main.c opens files and sockets) or secrets
 * (only file names are configured; the files are read by main.c).
 */
#include "config.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_kind {
    OPT_STR,    /* any non-empty string */
    OPT_ADDR,   /* ADDR:PORT */
    OPT_UINT,   /* decimal, optional K/M/G/T suffix (powers of 1024) */
    OPT_FLAG,   /* no value; sets 1 */
    OPT_LEVEL,  /* a log level name */
    OPT_LIST,   /* repeatable string, appended to cfg->peer[] */
    OPT_ORIGINS /* comma-separated origins, parsed into cfg->cors */
};

struct opt {
    const char *name; /* long option, without "--" */
    const char *env;  /* environment variable, NULL for none */
    const char *def;  /* default as text, NULL for none */
    enum opt_kind kind;
    size_t offset; /* into struct config */
    unsigned cmds; /* enum config_cmd mask */
    uint64_t min, max;
    const char *help;
};

#define STR_FIELD(f) offsetof(struct config, f)
#define ALL_CMDS     (CONFIG_SERVE | CONFIG_FSCK | CONFIG_STATS | CONFIG_BACKUP | CONFIG_SYNC)
#define GiB          (1024ULL * 1024 * 1024)
#define MiB          (1024ULL * 1024)

/* One row per option. "threads" default "0" means: the number of online
 * cores, resolved after parsing. */
static const struct opt options[] = {
    {"store", "ORIGIND_STORE", NULL, OPT_STR, STR_FIELD(store), ALL_CMDS, 0, 0,
     "store directory (created if absent for serve)"},
    {"listen", "ORIGIND_LISTEN", "127.0.0.1:8080", OPT_ADDR, STR_FIELD(listen), CONFIG_SERVE, 0, 0,
     "public listener ADDR:PORT (port 0: any free port)"},
    {"admin-listen", "ORIGIND_ADMIN_LISTEN", "127.0.0.1:8081", OPT_ADDR, STR_FIELD(admin_listen),
     CONFIG_SERVE, 0, 0, "admin listener ADDR:PORT"},
    {"admin-token-file", "ORIGIND_ADMIN_TOKEN_FILE", NULL, OPT_STR, STR_FIELD(admin_token_file),
     CONFIG_SERVE, 0, 0,
     "admin bearer tokens, one a line, all full rights (default: STORE/admin.token, created); "
     "re-read on SIGHUP"},
    {"read-token-file", "ORIGIND_READ_TOKEN_FILE", NULL, OPT_STR, STR_FIELD(read_token_file),
     CONFIG_SERVE, 0, 0,
     "file of read-only admin tokens, one a line (listings, blobs, releases, status, metrics)"},
    {"admin-tls-cert", "ORIGIND_ADMIN_TLS_CERT", NULL, OPT_STR, STR_FIELD(admin_tls_cert),
     CONFIG_SERVE, 0, 0, "PEM certificate chain: the admin listener speaks only HTTPS"},
    {"admin-tls-key", "ORIGIND_ADMIN_TLS_KEY", NULL, OPT_STR, STR_FIELD(admin_tls_key),
     CONFIG_SERVE, 0, 0, "PEM private key of --admin-tls-cert"},
    {"tls-cert", "ORIGIND_TLS_CERT", NULL, OPT_STR, STR_FIELD(tls_cert), CONFIG_SERVE, 0, 0,
     "PEM certificate chain: the public listener speaks only HTTPS"},
    {"tls-key", "ORIGIND_TLS_KEY", NULL, OPT_STR, STR_FIELD(tls_key), CONFIG_SERVE, 0, 0,
     "PEM private key of --tls-cert"},
    {"origin-secret-file", "ORIGIND_ORIGIN_SECRET_FILE", NULL, OPT_STR,
     STR_FIELD(origin_secret_file), CONFIG_SERVE, 0, 0,
     "require X-Origin-Verify: <secret in FILE> on the public listener"},
    {"cors-origin", "ORIGIND_CORS_ORIGIN", NULL, OPT_ORIGINS, STR_FIELD(cors_origin), CONFIG_SERVE,
     0, 0,
     "comma-separated origins (scheme://host[:port]) allowed to read assets cross-origin; "
     "answers then echo the matching Origin with Vary: Origin (the CDN must forward and key on "
     "Origin). Default: Access-Control-Allow-Origin: * on every public answer"},
    {"threads", "ORIGIND_THREADS", "0", OPT_UINT, STR_FIELD(threads), CONFIG_SERVE, 0, 1024,
     "public listener threads (0: one per online core)"},
    {"sendfile-min", "ORIGIND_SENDFILE_MIN", "64K", OPT_UINT, STR_FIELD(sendfile_min), CONFIG_SERVE,
     0, 1ULL << 46,
     "send bodies from this many bytes on (and under --sendfile-max) with sendfile(2), others "
     "from the memory map (0: never sendfile); a pruned store never uses sendfile"},
    {"sendfile-max", "ORIGIND_SENDFILE_MAX", "1M", OPT_UINT, STR_FIELD(sendfile_max), CONFIG_SERVE,
     0, 1ULL << 46,
     "bodies from this many bytes on go from the memory map again (0: no limit); measured on "
     "loopback, sendfile wins at 100 KiB and loses 2.6x at 10 MiB"},
    {"tcp-notsent-lowat", "ORIGIND_TCP_NOTSENT_LOWAT", "512K", OPT_UINT,
     STR_FIELD(tcp_notsent_lowat), CONFIG_SERVE, 0, 1ULL << 30,
     "TCP_NOTSENT_LOWAT of every connection: bytes of an answer queued unsent in the kernel "
     "(fairness between connections; 0: the kernel's default)"},
    {"send-buffer", "ORIGIND_SEND_BUFFER", "0", OPT_UINT, STR_FIELD(send_buffer), CONFIG_SERVE, 0,
     1ULL << 30,
     "SO_SNDBUF of every connection (0: the kernel's autotuning; a fixed buffer caps each "
     "connection at about twice this per round trip)"},
    {"response-cache", "ORIGIND_RESPONSE_CACHE", "64M", OPT_UINT, STR_FIELD(response_cache),
     CONFIG_SERVE, 0, 64 * GiB,
     "memory for ready-made answers of assets up to 256 KiB (and under --sendfile-min) "
     "(0: off)"},
    {"drain-seconds", "ORIGIND_DRAIN_SECONDS", "10", OPT_UINT, STR_FIELD(drain_seconds),
     CONFIG_SERVE, 0, 3600, "after SIGTERM, keep serving (healthz 503) this long"},
    {"access-log", "ORIGIND_ACCESS_LOG", NULL, OPT_STR, STR_FIELD(access_log), CONFIG_SERVE, 0, 0,
     "access log FILE, or - for stdout (default: none); reopened on SIGHUP"},
    {"log-level", "ORIGIND_LOG_LEVEL", "info", OPT_LEVEL, STR_FIELD(log_level), ALL_CMDS, 0, 0,
     "error, warn, info or debug (stderr)"},
    {"max-blob-bytes", "ORIGIND_MAX_BLOB_BYTES", "1G", OPT_UINT, STR_FIELD(max_blob_bytes),
     CONFIG_SERVE | CONFIG_SYNC, 1, 64 * GiB, "largest blob or variant accepted (413 above)"},
    {"max-bundle-bytes", "ORIGIND_MAX_BUNDLE_BYTES", "256M", OPT_UINT, STR_FIELD(max_bundle_bytes),
     CONFIG_SERVE, 1, 64 * GiB, "largest POST /v1/bundle body"},
    {"max-json-bytes", "ORIGIND_MAX_JSON_BYTES", "128M", OPT_UINT, STR_FIELD(max_json_bytes),
     CONFIG_SERVE, 1, 4 * GiB, "largest JSON request body (missing, releases)"},
    {"map-size", "ORIGIND_MAP_SIZE", "64G", OPT_UINT, STR_FIELD(map_size), ALL_CMDS, 64 * 1024,
     1ULL << 46, "store capacity (LMDB map size)"},
    {"max-readers", "ORIGIND_MAX_READERS", "4096", OPT_UINT, STR_FIELD(max_readers), ALL_CMDS, 16,
     1 << 20, "concurrent store readers (bounds in-flight responses)"},
    {"max-connections", "ORIGIND_MAX_CONNECTIONS", "2048", OPT_UINT, STR_FIELD(max_connections),
     CONFIG_SERVE, 1, 1 << 20, "public listener connection cap"},
    {"admin-max-connections", "ORIGIND_ADMIN_MAX_CONNECTIONS", "64", OPT_UINT,
     STR_FIELD(admin_max_connections), CONFIG_SERVE, 1, 4096,
     "admin listener connection cap (one thread each)"},
    {"connection-timeout", "ORIGIND_CONNECTION_TIMEOUT", "90", OPT_UINT,
     STR_FIELD(connection_timeout), CONFIG_SERVE, 76, 86400,
     "seconds an idle connection is kept (>= 76: above the ALB's 60 s)"},
    {"out", "ORIGIND_BACKUP_OUT", NULL, OPT_STR, STR_FIELD(out), CONFIG_BACKUP, 0, 0,
     "backup file to create (must not exist)"},
    {"peer", "ORIGIND_PEERS", NULL, OPT_LIST, STR_FIELD(peer), CONFIG_SERVE, 0, 0,
     "a peer's admin URL (repeatable; env: comma-separated): catch up, then heal misses"},
    {"peers-dns", "ORIGIND_PEERS_DNS", NULL, OPT_STR, STR_FIELD(peers_dns), CONFIG_SERVE, 0, 0,
     "HOST:PORT: every A/AAAA record of HOST is a peer http://ADDR:PORT (https:// with "
     "--admin-tls-cert or --peer-cacert; this node left out), "
     "re-resolved every --peer-interval"},
    {"peer-interval", "ORIGIND_PEER_INTERVAL", "60", OPT_UINT, STR_FIELD(peer_interval),
     CONFIG_SERVE, 1, 86400, "seconds between anti-entropy checks (and --peers-dns lookups)"},
    {"peer-timeout", "ORIGIND_PEER_TIMEOUT", "120", OPT_UINT, STR_FIELD(peer_timeout), CONFIG_SERVE,
     0, 86400,
     "with no full catch-up pass by then, serve a non-empty store anyway (0: wait forever)"},
    {"peer-jobs", "ORIGIND_PEER_JOBS", "8", OPT_UINT, STR_FIELD(peer_jobs),
     CONFIG_SERVE | CONFIG_SYNC, 1, 64, "parallel blob transfers per peer"},
    {"peer-token-file", "ORIGIND_PEER_TOKEN_FILE", NULL, OPT_STR, STR_FIELD(peer_token_file),
     CONFIG_SERVE, 0, 0,
     "the token sent to peers (a read token is enough; default: the first admin token)"},
    {"peer-cacert", "ORIGIND_PEER_CACERT", NULL, OPT_STR, STR_FIELD(peer_cacert),
     CONFIG_SERVE | CONFIG_SYNC, 0, 0,
     "PEM CA file that https:// peers' certificates must chain to (default: the system's CAs)"},
    {"from", "ORIGIND_SYNC_FROM", NULL, OPT_STR, STR_FIELD(from), CONFIG_SYNC, 0, 0,
     "the peer's admin URL to catch up from"},
    {"token-file", "ORIGIND_SYNC_TOKEN_FILE", NULL, OPT_STR, STR_FIELD(token_file), CONFIG_SYNC, 0,
     0, "file holding a token of the peer (a read token is enough)"},
    {"check", NULL, NULL, OPT_FLAG, STR_FIELD(check), CONFIG_SERVE, 0, 0,
     "validate the configuration, print \"configuration OK\" and exit"},
    {"help", NULL, NULL, OPT_FLAG, STR_FIELD(help), ALL_CMDS, 0, 0, "this help"},
    {"version", NULL, NULL, OPT_FLAG, STR_FIELD(version), ALL_CMDS, 0, 0, "print the version"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char *cmd_name(enum config_cmd cmd)
{
    switch (cmd) {
    case CONFIG_SERVE:
        return "serve";
    case CONFIG_FSCK:
        return "fsck";
    case CONFIG_STATS:
        return "stats";
    case CONFIG_BACKUP:
        return "backup";
    case CONFIG_SYNC:
        return "sync";
    }
    return "?";
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int parse_uint(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    uint64_t mul = 1;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = 1024;
        end++;
        break;
    case 'm':
    case 'M':
        mul = MiB;
        end++;
        break;
    case 'g':
    case 'G':
        mul = GiB;
        end++;
        break;
    case 't':
    case 'T':
        mul = GiB * 1024;
        end++;
        break;
    default:
        return -1;
    }
    if (*end != '\0' || (v != 0 && mul > UINT64_MAX / v))
        return -1;
    *out = v * mul;
    return 0;
}

int config_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon, *port_s, *h;
    size_t hlen;
    uint64_t port;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        port_s = close + 2;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        h = s;
        hlen = (size_t)(colon - s);
        port_s = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof(host) || parse_uint(port_s, &port) || port > 65535 ||
        strchr(port_s, 'k') || strpbrk(port_s, "kKmMgGtT"))
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (s[0] != '[') {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            return -1;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            return -1;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
    }
    return 0;
}

/* Stores text value v of row o into cfg after validating it. */
static int set_value(struct config *cfg, const struct opt *o, const char *v, const char *from,
                     char *err, size_t errlen)
{
    char *field = (char *)cfg + o->offset;

    switch (o->kind) {
    case OPT_FLAG:
        *(uint64_t *)(void *)field = 1;
        return 0;
    case OPT_LIST:
        if (v[0] == '\0' || cfg->n_peer >= CONFIG_PEER_MAX) {
            errf(err, errlen, "%s: --%s needs a non-empty value (at most %d times)", from, o->name,
                 CONFIG_PEER_MAX);
            return -1;
        }
        cfg->peer[cfg->n_peer++] = v;
        return 0;
    case OPT_STR:
        if (v[0] == '\0') {
            errf(err, errlen, "%s: --%s needs a non-empty value", from, o->name);
            return -1;
        }
        break;
    case OPT_ADDR: {
        struct sockaddr_storage ss;
        socklen_t len;

        if (config_parse_addr(v, &ss, &len)) {
            errf(err, errlen, "%s: --%s: '%s' is not ADDR:PORT (numeric address)", from, o->name,
                 v);
            return -1;
        }
        break;
    }
    case OPT_ORIGINS: {
        const char *bad = v;
        size_t bad_len = strlen(v);
        int ce = cors_policy_parse(v, strlen(v), &cfg->cors, &bad, &bad_len);

        if (ce != CORS_OK) {
            errf(err, errlen, "%s: --%s: '%.*s': %s", from, o->name, (int)bad_len, bad,
                 cors_strerror(ce));
            return -1;
        }
        break;
    }
    case OPT_LEVEL:
        if (log_level_parse(v) < 0) {
            errf(err, errlen, "%s: --%s: '%s' is not error, warn, info or debug", from, o->name, v);
            return -1;
        }
        break;
    case OPT_UINT: {
        uint64_t n;

        if (parse_uint(v, &n) || n < o->min || n > o->max) {
            errf(err, errlen, "%s: --%s: '%s' is not a number in %llu..%llu", from, o->name, v,
                 (unsigned long long)o->min, (unsigned long long)o->max);
            return -1;
        }
        *(uint64_t *)(void *)field = n;
        return 0;
    }
    }
    *(const char **)(void *)field = v;
    return 0;
}

int config_parse(struct config *cfg, enum config_cmd cmd, int argc, char **argv, char *err,
                 size_t errlen)
{
    size_t k;
    int i;

    memset(cfg, 0, sizeof(*cfg));
    for (k = 0; k < N_OPTIONS; k++) {
        const struct opt *o = &options[k];
        const char *ev;

        if (!(o->cmds & cmd))
            continue;
        if (o->def != NULL && set_value(cfg, o, o->def, "default", err, errlen))
            return -1;
        ev = o->env != NULL ? getenv(o->env) : NULL;
        if (ev != NULL && ev[0] != '\0' && set_value(cfg, o, ev, o->env, err, errlen))
            return -1;
    }
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq;
        const struct opt *o = NULL;
        size_t nlen;

        if (strncmp(a, "--", 2) != 0) {
            errf(err, errlen, "unexpected argument '%s' (see origind %s --help)", a, cmd_name(cmd));
            return -1;
        }
        a += 2;
        eq = strchr(a, '=');
        nlen = eq != NULL ? (size_t)(eq - a) : strlen(a);
        for (k = 0; k < N_OPTIONS; k++) {
            if ((options[k].cmds & cmd) && strlen(options[k].name) == nlen &&
                memcmp(options[k].name, a, nlen) == 0) {
                o = &options[k];
                break;
            }
        }
        if (o == NULL) {
            errf(err, errlen, "unknown option '%s' for origind %s (see --help)", argv[i],
                 cmd_name(cmd));
            return -1;
        }
        if (o->kind == OPT_FLAG) {
            if (eq != NULL) {
                errf(err, errlen, "--%s takes no value", o->name);
                return -1;
            }
        } else if (eq != NULL) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            errf(err, errlen, "--%s needs a value", o->name);
            return -1;
        }
        if (set_value(cfg, o, val, "command line", err, errlen))
            return -1;
    }
    if (cfg->help || cfg->version)
        return 0;
    if (cfg->store == NULL) {
        errf(err, errlen, "--store DIR (or ORIGIND_STORE) is required");
        return -1;
    }
    if (cmd == CONFIG_BACKUP && cfg->out == NULL) {
        errf(err, errlen, "--out FILE (or ORIGIND_BACKUP_OUT) is required");
        return -1;
    }
    if (cmd == CONFIG_SYNC && (cfg->from == NULL || cfg->token_file == NULL)) {
        errf(err, errlen, "--from URL and --token-file FILE are required");
        return -1;
    }
    if ((cfg->admin_tls_cert == NULL) != (cfg->admin_tls_key == NULL)) {
        errf(err, errlen, "--admin-tls-cert and --admin-tls-key go together");
        return -1;
    }
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        errf(err, errlen, "--tls-cert and --tls-key go together");
        return -1;
    }
    if (cmd == CONFIG_SERVE && cfg->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        cfg->threads = n > 0 ? (uint64_t)n : 1;
    }
    return 0;
}

void config_usage(FILE *f, enum config_cmd cmd)
{
    static const char *const synopsis[] = {
        "origind serve --store DIR [options]   serve the public and admin listeners",
        "origind fsck --store DIR              re-hash every blob; exit 0 only if all verify",
        "origind stats --store DIR             print store statistics as JSON",
        "origind backup --store DIR --out FILE write a consistent, compacted hot snapshot",
        "origind sync --store DIR --from URL --token-file FILE   catch up from a peer, once",
    };
    size_t k;
    unsigned c;

    fprintf(f, "usage:\n");
    for (c = 0; c < 5; c++) {
        if (cmd == 0 || cmd == (1u << c))
            fprintf(f, "  %s\n", synopsis[c]);
    }
    if (cmd == 0) {
        fprintf(f, "\nrun 'origind COMMAND --help' for a command's options\n");
        return;
    }
    fprintf(f, "\noptions (each also from the environment variable shown):\n");
    for (k = 0; k < N_OPTIONS; k++) {
        const struct opt *o = &options[k];
        const char *arg = o->kind == OPT_FLAG      ? ""
                          : o->kind == OPT_ADDR    ? " ADDR:PORT"
                          : o->kind == OPT_UINT    ? " N"
                          : o->kind == OPT_ORIGINS ? " LIST"
                                                   : " VALUE";

        if (!(o->cmds & cmd))
            continue;
        fprintf(f, "  --%s%s\n      %s", o->name, arg, o->help);
        if (o->env != NULL)
            fprintf(f, "\n      env %s", o->env);
        if (o->def != NULL)
            fprintf(f, ", default %s", o->def);
        fprintf(f, "\n");
    }
}
