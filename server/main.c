/*
 * main.c - the origind command: subcommand dispatch (serve, fsck, stats,
 * backup), process lifecycle and signals.
 *
 * `serve` opens the store, reads the admin token and origin secret, binds
 * both listening sockets itself (so a taken port fails loudly: no
 * SO_REUSEPORT), starts the two libmicrohttpd daemons, prints one
 * "listening" line on stderr, and then waits for signals on the main thread
 * with sigtimedwait (no work in signal handlers):
 *   SIGHUP          reopen the access log, re-read the token files
 *   SIGTERM/SIGINT  /healthz turns 503 at once; serve for --drain-seconds
 *                   (a second signal cuts that short); close the listeners;
 *                   let in-flight responses finish (at most 30 s); exit 0.
 *
 * Not for: request handling (public.c, admin.c). Peer catch-up (`sync`,
 * `--peer`) lives in peer.c, peer_sync.c and peer_heal.c, started from serve_main() beside
 * the listeners.
 */
#include "admin_prune.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "peer.h"
#include "secret_file.h"
#include "resp_cache.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECRET_MAX        4096
#define FINISH_TIMEOUT_MS 30000

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Binds and listens on addr (no SO_REUSEPORT: a taken port is an error).
 * Returns the socket or -1 (logged). */
static int listen_on(const char *what, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;

    if (config_parse_addr(addr, &ss, &len) != 0) {
        log_error("%s listener: bad address %s", what, addr);
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_error("%s listener: socket: %s", what, strerror(errno));
        return -1;
    }
    /* SO_REUSEADDR only allows rebinding over TIME_WAIT; Linux still
     * refuses a port another socket is listening on. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        log_error("cannot listen on %s (%s listener): %s", addr, what, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes "SCHEME://ADDR:PORT" of the socket's bound address into out. */
static void bound_url(int fd, const char *scheme, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN];

    snprintf(out, cap, "?");
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        snprintf(out, cap, "%s://%s:%u", scheme, host, ntohs(sin->sin_port));
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(out, cap, "%s://[%s]:%u", scheme, host, ntohs(s6->sin6_port));
    }
}

/* Waits for a signal in set for at most ms milliseconds; 0 on timeout. */
static int wait_signal(const sigset_t *set, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);

    return sig < 0 ? 0 : sig;
}

/* Raises the soft open-file limit to the hard one: every public connection
 * holds a socket, and a large answer in flight a dup of the data file (for
 * sendfile). Warns when the limit is still below what --max-connections
 * may need. */
static void raise_fd_limit(const struct config *cfg)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)cfg->max_connections * 2 + (rlim_t)cfg->admin_max_connections + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need)
        log_warn("open file limit %llu is below the %llu that --max-connections %llu may need",
                 (unsigned long long)rl.rlim_cur, (unsigned long long)need,
                 (unsigned long long)cfg->max_connections);
}

static int serve_main(const struct config *cfg)
{
    struct server srv;
    struct store_options so;
    sigset_t sigs;
    char token_path[4200], store_abs[4096], pub_url[96], adm_url[96];
    struct auth_files af;
    const char *token_file = cfg->admin_token_file;
    int pub_fd = -1, adm_fd = -1, rc = EXIT_FAIL, err, sig;
    int pub_quiesced = 0, adm_quiesced = 0;
    uint64_t deadline;
    long holder = 0;

    memset(&srv, 0, sizeof(srv));
    srv.cfg = cfg;
    srv.started = (int64_t)time(NULL);
    srv.lctx[METRICS_PUBLIC].srv = &srv;
    srv.lctx[METRICS_PUBLIC].which = METRICS_PUBLIC;
    srv.lctx[METRICS_ADMIN].srv = &srv;
    srv.lctx[METRICS_ADMIN].which = METRICS_ADMIN;
    pthread_mutex_init(&srv.conns_lock, NULL);

    /* Signals are taken synchronously by this thread only: block them
     * before any thread starts so every thread inherits the mask. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cfg->origin_secret_file != NULL &&
        auth_read_secret_file(cfg->origin_secret_file, "origin secret", &srv.origin_secret,
                              &srv.origin_secret_len) != 0)
        goto out;
    if (cfg->admin_tls_cert != NULL &&
        tls_pair_load("admin", cfg->admin_tls_cert, cfg->admin_tls_key, &srv.admin_tls) != 0)
        goto out;
    if (cfg->tls_cert != NULL &&
        tls_pair_load("public", cfg->tls_cert, cfg->tls_key, &srv.pub_tls) != 0)
        goto out;
    if (cfg->peer_cacert != NULL) {
        char why[512];

        if (tls_client_check_cacert(cfg->peer_cacert, why, sizeof(why)) != 0) {
            log_error("--peer-cacert: %s", why);
            goto out;
        }
    }
    af.admin = token_file;
    af.read = cfg->read_token_file;
    af.peer = cfg->peer_token_file;
    if (cfg->check) {
        if (token_file != NULL && auth_open(&af, &srv.auth) != 0)
            goto out;
        printf("configuration OK\n");
        rc = EXIT_OK;
        goto out;
    }

    raise_fd_limit(cfg);

    /* A store another server holds is named before its ports are (a second
     * serve on the same store most likely also asks for the same ports). */
    if (store_holder(cfg->store, &holder) == STORE_OK) {
        log_error("store %s is held by another origind (pid %ld): one server per store; stop it "
                  "first, or give this server its own --store",
                  cfg->store, holder);
        goto out;
    }
    /* Sockets first (OpenBSD httpd's order): a taken port fails before the
     * store or a token file is created. */
    pub_fd = listen_on("public", cfg->listen);
    if (pub_fd < 0)
        goto out;
    adm_fd = listen_on("admin", cfg->admin_listen);
    if (adm_fd < 0)
        goto out;

    memset(&so, 0, sizeof(so));
    so.map_size = cfg->map_size;
    so.max_readers = (unsigned)cfg->max_readers;
    so.max_blob = cfg->max_blob_bytes;
    err = store_open(cfg->store, &so, &srv.st);
    if (err == STORE_ELOCKED) {
        holder = 0;
        (void)store_holder(cfg->store, &holder);
        log_error("store %s is held by another origind (pid %ld): one server per store; stop it "
                  "first, or give this server its own --store",
                  cfg->store, holder);
        goto out;
    }
    if (err != STORE_OK) {
        log_error("cannot open store %s: %s", cfg->store, store_strerror(err));
        goto out;
    }
    /* printed paths are absolute, whatever the working directory */
    if (realpath(cfg->store, store_abs) == NULL)
        snprintf(store_abs, sizeof(store_abs), "%s", cfg->store);
    if (token_file == NULL) {
        snprintf(token_path, sizeof(token_path), "%s/admin.token", store_abs);
        token_file = token_path;
        int made = 0;
        char why[512];

        if (secret_file_create(token_file, "admin token file", &made, why, sizeof(why)) !=
            SECRET_OK) {
            if (why[0] != '\0')
                log_error("%s", why);
            goto out;
        }
        if (made)
            log_info("created a random admin token in %s", token_file);
    }
    af.admin = token_file;
    if (auth_open(&af, &srv.auth) != 0)
        goto out;

    if (cfg->access_log != NULL) {
        srv.alog = access_log_open(cfg->access_log);
        if (srv.alog == NULL)
            goto out;
    }
    srv.metrics = metrics_new();
    srv.fetch = peer_fetch_stats_new();
    if (srv.metrics == NULL || srv.fetch == NULL)
        goto out;
    if (cfg->response_cache > 0) {
        srv.rcache = resp_cache_new((size_t)cfg->response_cache, RESP_CACHE_TTL_NS);
        if (srv.rcache == NULL) {
            log_error("cannot allocate the response cache");
            goto out;
        }
    }
    /* before the listeners start: /healthz must never say 200 before the
     * catch-up from the peers has run */
    atomic_store(&srv.catching_up, cfg->n_peer > 0 || cfg->peers_dns != NULL);
    /* srv.peers is written here, before any listener thread exists that
     * reads it (the heal hook); heal jobs only come from requests, so the
     * peer threads need no daemon yet */
    if (peers_start(srv.st, cfg, srv.auth, &srv.catching_up, &srv.peers) != 0)
        goto out;
    if (public_start(&srv, pub_fd) != 0)
        goto out;
    if (admin_start(&srv, adm_fd) != 0)
        goto out;
    bound_url(pub_fd, srv.pub_tls != NULL ? "https" : "http", pub_url, sizeof(pub_url));
    bound_url(adm_fd, srv.admin_tls != NULL ? "https" : "http", adm_url, sizeof(adm_url));
    /* The stable, parseable line tests and scripts wait for. */
    fprintf(stderr, "origind: public %s admin %s store %s token-file %s\n", pub_url, adm_url,
            store_abs, token_file);
    fflush(stderr);
    log_info("serving with %llu public threads, drain %llu s", (unsigned long long)cfg->threads,
             (unsigned long long)cfg->drain_seconds);

    for (;;) {
        sig = wait_signal(&sigs, 1000);
        access_log_tick(srv.alog);
        if (sig == SIGHUP) {
            log_info("SIGHUP: reopening the access log, re-reading the token files");
            access_log_reopen(srv.alog);
            auth_reload(srv.auth);
        } else if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
    }

    atomic_store(&srv.draining, 1);
    log_info("draining: /healthz answers 503; serving for %llu s more",
             (unsigned long long)cfg->drain_seconds);
    deadline = clock_mono_ns() + cfg->drain_seconds * 1000000000ULL;
    while (clock_mono_ns() < deadline) {
        uint64_t left_ms = (deadline - clock_mono_ns()) / 1000000;

        sig = wait_signal(&sigs, left_ms > 1000 ? 1000 : (long)left_ms + 1);
        access_log_tick(srv.alog);
        if (sig == SIGHUP) {
            access_log_reopen(srv.alog);
            auth_reload(srv.auth);
        } else if (sig == SIGTERM || sig == SIGINT) {
            log_info("second signal: ending the drain early");
            break;
        }
    }
    /* Stop accepting: the listening sockets close now, and keep-alive
     * connections are told to close after their current response. */
    atomic_store(&srv.closing, 1);
    /* The libmicrohttpd manual: a quiesced socket must not be closed before
     * MHD_stop_daemon() while its threads run (the fd number could be
     * reused by any open() or dup() meanwhile). shutdown() stops the
     * listening now (new connections are refused) and keeps the fd; it is
     * closed after MHD_stop_daemon() below. */
    if (MHD_quiesce_daemon(srv.public_d) >= 0) {
        shutdown(pub_fd, SHUT_RDWR);
        pub_quiesced = 1;
    }
    if (MHD_quiesce_daemon(srv.admin_d) >= 0) {
        shutdown(adm_fd, SHUT_RDWR);
        adm_quiesced = 1;
    }
    log_info("listeners closed; waiting for %llu in-flight requests",
             (unsigned long long)atomic_load(&srv.in_flight));
    deadline = clock_mono_ns() + (uint64_t)FINISH_TIMEOUT_MS * 1000000ULL;
    while (atomic_load(&srv.in_flight) > 0 && clock_mono_ns() < deadline) {
        struct timespec ts = {0, 20 * 1000000L};

        nanosleep(&ts, NULL);
    }
    /* libmicrohttpd is done with a response once the kernel has its
     * bytes; wait until the clients have them too */
    while (server_unacked_bytes(&srv) > 0 && clock_mono_ns() < deadline) {
        struct timespec ts = {0, 20 * 1000000L};

        nanosleep(&ts, NULL);
    }
    /* resumes any connection still waiting for a heal, before MHD stops;
     * a POST /v1/fetch still pulling stops at its next transfer */
    peer_fetch_stats_stop(srv.fetch);
    peers_stop(srv.peers);
    srv.peers = NULL;
    if (atomic_load(&srv.in_flight) > 0 || server_unacked_bytes(&srv) > 0)
        log_warn("%llu requests still in flight after %d s; closing them",
                 (unsigned long long)atomic_load(&srv.in_flight), FINISH_TIMEOUT_MS / 1000);
    log_info("stopped");
    rc = EXIT_OK;
out:
    peer_fetch_stats_stop(srv.fetch);
    peers_stop(srv.peers);
    /* a quiesced daemon's socket is ours to close, after MHD_stop_daemon;
     * an unquiesced one is closed by libmicrohttpd */
    if (srv.public_d != NULL)
        MHD_stop_daemon(srv.public_d);
    if (srv.admin_d != NULL)
        MHD_stop_daemon(srv.admin_d);
    if ((srv.public_d == NULL || pub_quiesced) && pub_fd >= 0)
        close(pub_fd);
    if ((srv.admin_d == NULL || adm_quiesced) && adm_fd >= 0)
        close(adm_fd);
    resp_cache_free(srv.rcache); /* after the daemons: no request uses it */
    store_close(srv.st);
    access_log_close(srv.alog);
    metrics_free(srv.metrics);
    peer_fetch_stats_free(srv.fetch); /* after the daemons: no fetch runs */
    auth_close(srv.auth);
    tls_pair_free(srv.admin_tls);
    tls_pair_free(srv.pub_tls);
    secret_free(srv.origin_secret, srv.origin_secret_len);
    pthread_mutex_destroy(&srv.conns_lock);
    return rc;
}

/* ------------------------------------------------------------------ */

static int open_existing(const struct config *cfg, struct store **st)
{
    struct store_options so;
    struct stat sb;
    int err;

    if (stat(cfg->store, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        log_error("no store directory %s", cfg->store);
        return -1;
    }
    memset(&so, 0, sizeof(so));
    so.map_size = cfg->map_size;
    so.max_readers = (unsigned)cfg->max_readers;
    so.read_only = 1;
    err = store_open(cfg->store, &so, st);
    if (err != STORE_OK) {
        log_error("cannot open store %s: %s", cfg->store, store_strerror(err));
        return -1;
    }
    return 0;
}

static void fsck_bad(void *arg, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                     const char *why)
{
    char hex[STORE_HEX_LEN + 1];
    unsigned long *bad = arg;

    store_digest_to_hex(digest, hex);
    fprintf(stderr, "origind: fsck: %s %s: %s\n", hex,
            enc < 0 ? "path" : (store_encoding_name(enc) ? store_encoding_name(enc) : "?"), why);
    (*bad)++;
}

static int fsck_main(const struct config *cfg)
{
    struct store *st = NULL;
    uint64_t checked = 0;
    unsigned long bad = 0;
    int err;

    if (open_existing(cfg, &st) != 0)
        return EXIT_FAIL;
    err = store_fsck(st, &checked, fsck_bad, &bad);
    store_close(st);
    if (err == STORE_OK) {
        printf("fsck: %llu objects checked, all verify\n", (unsigned long long)checked);
        return EXIT_OK;
    }
    printf("fsck: %llu objects checked, %lu problems (%s)\n", (unsigned long long)checked, bad,
           store_strerror(err));
    return EXIT_FAIL;
}

static int stats_main(const struct config *cfg)
{
    struct store *st = NULL;
    struct store_stats s;
    json_t *j;
    int err;

    if (open_existing(cfg, &st) != 0)
        return EXIT_FAIL;
    err = store_stats(st, &s);
    store_close(st);
    if (err != STORE_OK) {
        log_error("stats: %s", store_strerror(err));
        return EXIT_FAIL;
    }
    j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:s?,s:I,s:I,s:I,s:o}", "blobs", (json_int_t)s.blobs,
                  "bytes", (json_int_t)s.blob_bytes, "variants", (json_int_t)s.variants,
                  "variant_bytes", (json_int_t)s.variant_bytes, "paths", (json_int_t)s.paths,
                  "releases", (json_int_t)s.releases, "last_release",
                  s.last_release[0] ? s.last_release : NULL, "last_release_time",
                  (json_int_t)s.last_release_time, "map_size", (json_int_t)s.map_size, "map_used",
                  (json_int_t)s.map_used, "retention", admin_retention_json(&s));
    if (j != NULL) { /* dcz deltas: count, and the bytes of the pages they use */
        json_object_set_new(j, "deltas", json_integer((json_int_t)s.deltas));
        json_object_set_new(j, "delta_bytes", json_integer((json_int_t)s.delta_bytes));
    }
    if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
        json_decref(j);
        return EXIT_FAIL;
    }
    json_decref(j);
    printf("\n");
    return EXIT_OK;
}

static int backup_main(const struct config *cfg)
{
    struct store *st = NULL;
    int err, to_stdout = strcmp(cfg->out, "-") == 0;

    if (open_existing(cfg, &st) != 0)
        return EXIT_FAIL;
    err = store_backup(st, to_stdout ? NULL : cfg->out, to_stdout ? STDOUT_FILENO : -1);
    store_close(st);
    if (err != STORE_OK) {
        log_error("backup to %s: %s", cfg->out, store_strerror(err));
        return EXIT_FAIL;
    }
    if (!to_stdout)
        log_info("backup written to %s", cfg->out);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum config_cmd cmd;
        int (*run)(const struct config *);
    } cmds[] = {
        {"serve", CONFIG_SERVE, serve_main},   {"fsck", CONFIG_FSCK, fsck_main},
        {"stats", CONFIG_STATS, stats_main},   {"backup", CONFIG_BACKUP, backup_main},
        {"sync", CONFIG_SYNC, peer_sync_main},
    };
    struct config cfg;
    char err[512];
    size_t i;
    const char *fault = getenv("ORIGIND_FAULT");
    const char *short_timeout = getenv("ORIGIND_TEST_CONNECTION_TIMEOUT");

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        config_usage(argc < 2 ? stderr : stdout, 0);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("origind %s\n", ORIGIND_VERSION);
        return EXIT_OK;
    }
    /* A release build has no fault hooks: a set ORIGIND_FAULT would be a
     * test that silently tests nothing, or a production unit file that
     * someone copied from a test. Refuse rather than guess. */
    if (fault != NULL && !store_test_hooks()) {
        fprintf(stderr,
                "origind: ORIGIND_FAULT is set, but this build has no fault-injection hooks "
                "(built with ORIGIND_TEST_HOOKS=OFF): refusing to start; unset it\n");
        return EXIT_FAIL;
    }
    /* The same rule for the one timing hook: --connection-timeout has a
     * floor of 76 s (above the ALB's 60 s idle timeout), so the tests that
     * prove idle and half-finished connections are closed at the timeout
     * would wait 76 s each; a test build lets them set it in seconds. */
    if (short_timeout != NULL && !store_test_hooks()) {
        fprintf(stderr, "origind: ORIGIND_TEST_CONNECTION_TIMEOUT is set, but this build has no "
                        "test hooks (built with ORIGIND_TEST_HOOKS=OFF): refusing to start; "
                        "unset it\n");
        return EXIT_FAIL;
    }
    if (fault != NULL)
        fprintf(stderr,
                "origind: warning: ORIGIND_FAULT=%s arms store fault injection (test "
                "build)\n",
                fault);
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        if (config_parse(&cfg, cmds[i].cmd, argc - 2, argv + 2, err, sizeof(err)) != 0) {
            fprintf(stderr, "origind %s: %s\n", cmds[i].name, err);
            return EXIT_USAGE;
        }
        if (cfg.help) {
            config_usage(stdout, cmds[i].cmd);
            return EXIT_OK;
        }
        if (cfg.version) {
            printf("origind %s\n", ORIGIND_VERSION);
            return EXIT_OK;
        }
        if (short_timeout != NULL) {
            char *end;
            unsigned long v = strtoul(short_timeout, &end, 10);

            if (*short_timeout == '\0' || *end != '\0' || v < 1 || v > 86400) {
                fprintf(stderr,
                        "origind: ORIGIND_TEST_CONNECTION_TIMEOUT=%s: want seconds, 1 to 86400\n",
                        short_timeout);
                return EXIT_USAGE;
            }
            fprintf(stderr,
                    "origind: warning: ORIGIND_TEST_CONNECTION_TIMEOUT=%lu replaces "
                    "--connection-timeout (test build)\n",
                    v);
            cfg.connection_timeout = v;
        }
        log_set_level((enum log_level)log_level_parse(cfg.log_level));
        return cmds[i].run(&cfg);
    }
    fprintf(stderr, "origind: unknown command '%s'\n", argv[1]);
    config_usage(stderr, 0);
    return EXIT_USAGE;
}
