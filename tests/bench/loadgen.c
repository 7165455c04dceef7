/*
 * loadgen.c - a small HTTP/1.1 keep-alive load generator that reads a
 * precomputed list of request paths (GitHub issue 19: "measure the server,
 * not the load generator").
 *
 * For: tests/bench/bench-lookup.sh. wrk's Lua client, picking from a
 * million-entry Lua table, stalls itself in garbage collection and raised
 * the measured p99 of an unchanged server from ~2 ms to >100 ms; h2load -i
 * walks the list from its first entry in every connection, so 64
 * connections ask for the same path at about the same time (the working
 * set shrinks 64-fold). This client does neither: one thread, one epoll
 * loop, N persistent connections, and ONE cursor over the list shared by
 * all of them, so the request stream seen by the server is the list itself
 * (pre-shuffled uniform or Zipf, made by the script with a fixed seed).
 * Per request it does no allocation and touches only the next list entry
 * (a sequential read), whatever the list's length.
 * Not for: ctest, TLS, pipelining, chunked bodies (origind never sends
 * them to a GET of an asset), anything but loopback benchmarking.
 *
 * Usage: loadgen -c CONNS -d SECONDS [-s START] [-T TIMEOUT_S] -i FILE http://HOST:PORT
 *   FILE: one request path per line ("/assets/a/....css"), used in order
 *   from line START (0), wrapping around. Prints one line of key=value:
 *   requests rps seconds p50_ms p90_ms p99_ms p999_ms max_ms mean_ms
 *   non2xx errors timeouts client_cpu_s (user+sys of this process: if it
 *   approaches seconds, the client, not the server, is the limit).
 *   Latency is from the request's write to its response's last byte,
 *   histogram at 1 us resolution below 10 ms, 100 us above (to 100 s).
 *   Exit 0 on a run with answers, 1 on usage or setup errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FINE_US   10000u     /* 1 us buckets below 10 ms */
#define COARSE_US 100u       /* then 100 us buckets */
#define MAX_US    100000000u /* up to 100 s */
#define HIST_N    (FINE_US + (MAX_US - FINE_US) / COARSE_US + 1)
#define RBUF      16384
#define MAX_CONNS 4096

struct conn {
    int fd;
    int busy; /* a request is in flight */
    int hdr_done;
    unsigned status;
    uint64_t body_left;
    size_t rlen;
    char wbuf[1200];
    size_t wlen, woff;
    double t_send;
    char rbuf[RBUF];
};

static char *list_buf;
static uint32_t *line_off;
static uint16_t *line_len;
static size_t n_lines, cursor;
static struct sockaddr_in addr;
static char host_hdr[128];
static uint32_t *hist;
static uint64_t done_n, non2xx, errors, timeouts;
static double lat_sum, lat_max;
static int epfd;
static double t_start, t_end, timeout_s = 10;
static char scratch[1 << 16];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
    fprintf(stderr, "loadgen: %s: %s\n", msg, strerror(errno));
    exit(1);
}

static void load_list(const char *file)
{
    FILE *f = fopen(file, "rb");
    struct stat sb;
    size_t i, start, cap;

    if (f == NULL || fstat(fileno(f), &sb) != 0)
        die(file);
    list_buf = malloc((size_t)sb.st_size + 1);
    if (list_buf == NULL || fread(list_buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
        die("read list");
    fclose(f);
    list_buf[sb.st_size] = '\n';
    cap = 1024;
    line_off = malloc(cap * sizeof(*line_off));
    line_len = malloc(cap * sizeof(*line_len));
    start = 0;
    for (i = 0; i <= (size_t)sb.st_size; i++) {
        if (list_buf[i] != '\n')
            continue;
        if (i > start && i - start < 1024 && list_buf[start] == '/') {
            if (n_lines == cap) {
                cap *= 2;
                line_off = realloc(line_off, cap * sizeof(*line_off));
                line_len = realloc(line_len, cap * sizeof(*line_len));
                if (line_off == NULL || line_len == NULL)
                    die("realloc");
            }
            line_off[n_lines] = (uint32_t)start;
            line_len[n_lines] = (uint16_t)(i - start);
            n_lines++;
        }
        start = i + 1;
    }
    if (n_lines == 0) {
        fprintf(stderr, "loadgen: %s: no path lines\n", file);
        exit(1);
    }
}

static void record(double lat)
{
    uint64_t us = (uint64_t)(lat * 1e6);
    size_t b;

    if (us < FINE_US)
        b = (size_t)us;
    else if (us < MAX_US)
        b = FINE_US + (size_t)((us - FINE_US) / COARSE_US);
    else
        b = HIST_N - 1;
    hist[b]++;
    lat_sum += lat;
    if (lat > lat_max)
        lat_max = lat;
}

static double pct_ms(double q)
{
    uint64_t want = (uint64_t)((double)done_n * q), seen = 0;
    size_t b;

    for (b = 0; b < HIST_N; b++) {
        seen += hist[b];
        if (seen > want || (seen == done_n && seen > 0))
            return b < FINE_US ? (double)b / 1e3
                               : (double)(FINE_US + (b - FINE_US) * COARSE_US) / 1e3;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->busy = 0;
}

static int conn_open(struct conn *c)
{
    int one = 1;
    struct epoll_event ev = {0};

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
    return 0;
}

static void want_out(struct conn *c, int on)
{
    struct epoll_event ev = {0};

    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is left of c's request; returns -1 on a broken connection. */
static int conn_flush(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            want_out(c, 1);
            return 0;
        }
        if (w <= 0)
            return -1;
        c->woff += (size_t)w;
    }
    return 0;
}

/* Starts the next request of the list on c (reconnecting if needed). */
static void conn_next(struct conn *c)
{
    size_t i;
    int n;

    if (c->fd < 0 && conn_open(c) != 0) {
        errors++;
        return;
    }
    i = cursor;
    cursor = cursor + 1 == n_lines ? 0 : cursor + 1;
    n = snprintf(c->wbuf, sizeof(c->wbuf), "GET %.*s HTTP/1.1\r\nHost: %s\r\n\r\n",
                 (int)line_len[i], list_buf + line_off[i], host_hdr);
    c->wlen = (size_t)n;
    c->woff = 0;
    c->rlen = 0;
    c->hdr_done = 0;
    c->busy = 1;
    c->t_send = now_s();
    if (conn_flush(c) != 0) {
        errors++;
        conn_close(c);
    }
}

/* Parses the response head in c->rbuf once complete; 1 done, 0 need more, -1 bad. */
static int parse_head(struct conn *c)
{
    char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    char *p;
    size_t head, have;
    int has_len = 0;

    if (end == NULL)
        return c->rlen == RBUF ? -1 : 0;
    head = (size_t)(end - c->rbuf) + 4;
    if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.", 7) != 0)
        return -1;
    c->status = (unsigned)strtoul(c->rbuf + 9, NULL, 10);
    c->body_left = 0;
    for (p = memchr(c->rbuf, '\n', head); p != NULL && p < end;
         p = memchr(p + 1, '\n', (size_t)(end - p))) {
        if (strncasecmp(p + 1, "content-length:", 15) == 0) {
            c->body_left = strtoull(p + 16, NULL, 10);
            has_len = 1;
        }
    }
    if (!has_len && c->status != 304 && c->status != 204 && c->status >= 200)
        return -1;
    c->hdr_done = 1;
    have = c->rlen - head;
    if (have > c->body_left)
        return -1; /* bytes beyond the answer: never sent without pipelining */
    c->body_left -= have;
    return 1;
}

static void complete(struct conn *c, double t)
{
    c->busy = 0;
    if (t <= t_end && c->t_send >= t_start) {
        done_n++;
        record(t - c->t_send);
        if (c->status < 200 || c->status >= 400)
            non2xx++;
    }
}

static void on_readable(struct conn *c, double t)
{
    for (;;) {
        ssize_t r;

        if (!c->hdr_done) {
            int ph;

            r = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, 0);
            if (r > 0) {
                c->rlen += (size_t)r;
                ph = parse_head(c);
                if (ph < 0)
                    goto broken;
                if (ph == 0)
                    continue;
            }
        } else {
            size_t want = c->body_left < sizeof(scratch) ? (size_t)c->body_left : sizeof(scratch);

            r = want == 0 ? 1 : recv(c->fd, scratch, want, 0);
            if (r > 0 && want > 0)
                c->body_left -= (uint64_t)r;
        }
        if (r == 0)
            goto broken;
        if (r < 0)
            return; /* EAGAIN (or an error seen on the next call) */
        if (c->hdr_done && c->body_left == 0) {
            complete(c, t);
            if (t < t_end)
                conn_next(c);
            return;
        }
    }
broken:
    if (c->busy)
        errors++;
    conn_close(c);
    if (t < t_end)
        conn_next(c);
}

int main(int argc, char **argv)
{
    int conns = 64, i, opt;
    double secs = 10;
    const char *file = NULL, *url;
    struct conn *cs;
    struct epoll_event evs[256];
    unsigned port;
    char hostbuf[64];
    struct rusage ru;
    size_t start = 0;

    while ((opt = getopt(argc, argv, "c:d:i:s:T:")) != -1) {
        switch (opt) {
        case 'c':
            conns = (int)strtol(optarg, NULL, 10);
            break;
        case 'd':
            secs = strtod(optarg, NULL);
            break;
        case 'i':
            file = optarg;
            break;
        case 's':
            start = strtoull(optarg, NULL, 10);
            break;
        case 'T':
            timeout_s = strtod(optarg, NULL);
            break;
        default:
            goto usage;
        }
    }
    if (file == NULL || optind + 1 != argc || conns < 1 || conns > MAX_CONNS || secs <= 0)
        goto usage;
    url = argv[optind];
    if (strncmp(url, "http://", 7) != 0 || sscanf(url + 7, "%63[0-9.]:%u", hostbuf, &port) != 2 ||
        port == 0 || port > 65535)
        goto usage;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, hostbuf, &addr.sin_addr) != 1)
        goto usage;
    snprintf(host_hdr, sizeof(host_hdr), "%s:%u", hostbuf, port);
    load_list(file);
    cursor = start % n_lines;
    hist = calloc(HIST_N, sizeof(*hist));
    cs = calloc((size_t)conns, sizeof(*cs));
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (hist == NULL || cs == NULL || epfd < 0)
        die("setup");
    for (i = 0; i < conns; i++) {
        cs[i].fd = -1;
        if (conn_open(&cs[i]) != 0)
            die("connect");
    }
    t_start = now_s();
    t_end = t_start + secs;
    for (i = 0; i < conns; i++)
        conn_next(&cs[i]);
    for (;;) {
        int n = epoll_wait(epfd, evs, 256, 50), k;
        double t = now_s();

        for (k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;

            if (c->fd < 0)
                continue;
            if ((evs[k].events & EPOLLOUT) && c->woff < c->wlen) {
                if (conn_flush(c) != 0) {
                    errors++;
                    conn_close(c);
                    continue;
                }
                if (c->woff == c->wlen)
                    want_out(c, 0);
            }
            if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(c, t);
        }
        if (t >= t_end) {
            int busy = 0;

            for (i = 0; i < conns; i++)
                if (cs[i].busy && cs[i].fd >= 0)
                    busy = 1;
            if (!busy)
                break;
        }
        for (i = 0; i < conns; i++) {
            if (cs[i].busy && t - cs[i].t_send > timeout_s) {
                timeouts++;
                conn_close(&cs[i]);
                if (t < t_end)
                    conn_next(&cs[i]);
            } else if (!cs[i].busy && cs[i].fd < 0 && t < t_end) {
                conn_next(&cs[i]);
            }
        }
        if (t > t_end + timeout_s)
            break;
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("requests=%llu rps=%.0f seconds=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f max_ms=%.3f mean_ms=%.3f non2xx=%llu errors=%llu timeouts=%llu "
           "client_cpu_s=%.3f list=%zu\n",
           (unsigned long long)done_n, (double)done_n / secs, secs, pct_ms(0.50), pct_ms(0.90),
           pct_ms(0.99), pct_ms(0.999), lat_max * 1e3,
           done_n ? lat_sum / (double)done_n * 1e3 : 0.0, (unsigned long long)non2xx,
           (unsigned long long)errors, (unsigned long long)timeouts,
           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
           n_lines);
    return done_n > 0 ? 0 : 1;
usage:
    fprintf(stderr, "usage: loadgen -c CONNS -d SECONDS [-s START] [-T TIMEOUT_S] -i FILE "
                    "http://IPV4:PORT\n");
    return 1;
}
