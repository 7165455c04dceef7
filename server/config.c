/*
 * config.c - origind's configuration from defaults, the environment and the
 * command line (see config.h): each value checked and stored as its row in
 * config_table.c says; the command line's syntax is common/opt.c's.
 *
 * Not for: the rows (config_table.c), acting on options (main.c opens files
 * and sockets) or secrets (only file names are configured; the files are
 * read by main.c).
 */
#include "config.h"

#include "hostport.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GiB (1024ULL * 1024 * 1024)
#define MiB (1024ULL * 1024)

/* The name of subcommand cmd ("serve"). */
static const char *cmd_name(enum config_cmd cmd)
{
    size_t b;

    for (b = 0; b < config_opt_table.ncmds; b++) {
        if ((unsigned)cmd == 1u << b)
            return config_opt_table.cmd_names[b];
    }
    return "?";
}

static const struct config_opt *row_at(size_t k)
{
    return (const struct config_opt *)(const void *)opt_row_at(&config_opt_table, k);
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
    struct hostport hp;

    if (hostport_split(s, strlen(s), HOSTPORT_PORT_ZERO, &hp) != 0 || hp.host_len >= sizeof(host))
        return -1;
    memcpy(host, hp.host, hp.host_len);
    host[hp.host_len] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (!hp.bracketed) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            return -1;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)hp.port_num);
        *len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            return -1;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)hp.port_num);
        *len = sizeof(*sin6);
    }
    return 0;
}

/* Stores text value v of row r into cfg after validating it. */
static int set_value(struct config *cfg, const struct config_opt *r, const char *v,
                     const char *from, char *err, size_t errlen)
{
    const struct opt_row *o = &r->row;
    char *field = (char *)cfg + r->check.offset;

    switch (r->check.kind) {
    case CONFIG_FLAG:
        *(uint64_t *)(void *)field = 1;
        return 0;
    case CONFIG_LIST:
        if (v[0] == '\0' || cfg->n_peer >= CONFIG_PEER_MAX) {
            errf(err, errlen, "%s: --%s needs a non-empty value (at most %d times)", from, o->name,
                 CONFIG_PEER_MAX);
            return -1;
        }
        cfg->peer[cfg->n_peer++] = v;
        return 0;
    case CONFIG_STR:
        if (v[0] == '\0') {
            errf(err, errlen, "%s: --%s needs a non-empty value", from, o->name);
            return -1;
        }
        break;
    case CONFIG_ADDR: {
        struct sockaddr_storage ss;
        socklen_t len;

        if (config_parse_addr(v, &ss, &len)) {
            errf(err, errlen, "%s: --%s: '%s' is not ADDR:PORT (numeric address)", from, o->name,
                 v);
            return -1;
        }
        break;
    }
    case CONFIG_ORIGINS: {
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
    case CONFIG_LEVEL:
        if (log_level_parse(v) < 0) {
            errf(err, errlen, "%s: --%s: '%s' is not error, warn, info or debug", from, o->name, v);
            return -1;
        }
        break;
    case CONFIG_UINT: {
        uint64_t n;

        if (parse_uint(v, &n) || n < r->check.min || n > r->check.max) {
            errf(err, errlen, "%s: --%s: '%s' is not a number in %llu..%llu", from, o->name, v,
                 (unsigned long long)r->check.min, (unsigned long long)r->check.max);
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
    struct opt_parser p;
    char see[64];
    const char *val;
    size_t k;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    for (k = 0; k < config_opt_table.n; k++) {
        const struct config_opt *r = row_at(k);
        const char *ev;

        if (!(r->row.cmds & cmd))
            continue;
        if (r->row.def != NULL && set_value(cfg, r, r->row.def, "default", err, errlen))
            return -1;
        ev = r->row.env != NULL ? getenv(r->row.env) : NULL;
        if (ev != NULL && ev[0] != '\0' && set_value(cfg, r, ev, r->row.env, err, errlen))
            return -1;
    }
    snprintf(see, sizeof(see), "origind %s", cmd_name(cmd));
    opt_parser_init(&p, &config_opt_table, cmd, see, 0, argc, argv);
    for (;;) {
        rc = opt_next(&p, &k, &val, err, errlen);
        if (rc != OPT_OPTION)
            break;
        if (set_value(cfg, row_at(k), val, "command line", err, errlen))
            return -1;
    }
    if (rc != OPT_END)
        return -1; /* no operands: max_args 0 */
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
    opt_help(f, &config_opt_table, cmd);
}
