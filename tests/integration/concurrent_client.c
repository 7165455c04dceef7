/*
 * concurrent_client.c - test driver: many concurrent HTTP clients (libcurl
 * multi, one connection each, keep-alive) fetching published assets and
 * checking every byte, and every third request a random Range.
 *
 * usage: server_concurrent_client BASE_URL CLIENTS TOTAL /path=FILE ...
 * Exit 0 only if every response had the right status, length and bytes.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct asset {
    const char *path;
    unsigned char *data;
    size_t len;
};

struct xfer {
    CURL *easy;
    const struct asset *a;
    size_t first, last; /* expected slice */
    int ranged;
    size_t got;
    int bad;
    char url[2048], range[64];
};

static struct asset *assets;
static size_t n_assets;

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = sz * n, want = x->last - x->first + 1;

    if (x->got + len > want || memcmp(p, x->a->data + x->first + x->got, len) != 0)
        x->bad = 1;
    x->got += len;
    return len;
}

static void start(CURLM *m, struct xfer *x, const char *base, unsigned long k)
{
    x->a = &assets[k % n_assets];
    x->got = 0;
    x->bad = 0;
    x->ranged = (k % 3 == 2) && x->a->len > 1;
    x->first = 0;
    x->last = x->a->len ? x->a->len - 1 : 0;
    snprintf(x->url, sizeof(x->url), "%s%s", base, x->a->path);
    curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT, 120L);
    if (x->ranged) {
        size_t a = (size_t)rand() % x->a->len, b = (size_t)rand() % x->a->len;

        x->first = a < b ? a : b;
        x->last = a < b ? b : a;
        snprintf(x->range, sizeof(x->range), "%zu-%zu", x->first, x->last);
        curl_easy_setopt(x->easy, CURLOPT_RANGE, x->range);
    } else {
        curl_easy_setopt(x->easy, CURLOPT_RANGE, NULL);
    }
    curl_multi_add_handle(m, x->easy);
}

static int load(const char *arg, struct asset *a)
{
    const char *eq = strchr(arg, '=');
    FILE *f;
    long len;

    if (eq == NULL)
        return -1;
    a->path = strndup(arg, (size_t)(eq - arg));
    f = fopen(eq + 1, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
        return -1;
    rewind(f);
    a->len = (size_t)len;
    a->data = malloc(a->len ? a->len : 1);
    if (a->data == NULL || fread(a->data, 1, a->len, f) != a->len)
        return -1;
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long clients, total, started = 0, done = 0, failed = 0, i;
    unsigned long long bytes = 0;
    struct xfer *xs;
    CURLM *m;
    int running = 0;

    if (argc < 5) {
        fprintf(stderr, "usage: %s BASE CLIENTS TOTAL /path=FILE...\n", argv[0]);
        return 2;
    }
    clients = strtoul(argv[2], NULL, 10);
    total = strtoul(argv[3], NULL, 10);
    n_assets = (size_t)(argc - 4);
    assets = calloc(n_assets, sizeof(*assets));
    for (i = 0; i < n_assets; i++) {
        if (load(argv[4 + i], &assets[i]) != 0) {
            fprintf(stderr, "cannot load %s\n", argv[4 + i]);
            return 2;
        }
    }
    srand(42);
    curl_global_init(CURL_GLOBAL_ALL);
    m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)clients);
    xs = calloc(clients, sizeof(*xs));
    for (i = 0; i < clients && started < total; i++) {
        xs[i].easy = curl_easy_init();
        start(m, &xs[i], argv[1], started++);
    }
    do {
        CURLMsg *msg;
        int left;

        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            struct xfer *x;
            long code = 0;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (msg->data.result != CURLE_OK || code != (x->ranged ? 206 : 200) || x->bad ||
                x->got != x->last - x->first + 1) {
                failed++;
                if (failed < 10)
                    fprintf(stderr, "FAIL %s range=%d: curl %d, HTTP %ld, %zu bytes, bad=%d\n",
                            x->url, x->ranged, msg->data.result, code, x->got, x->bad);
            }
            bytes += x->got;
            done++;
            curl_multi_remove_handle(m, x->easy);
            if (started < total)
                start(m, x, argv[1], started++);
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    } while (done < total);
    printf("%lu requests by %lu clients, %llu bytes checked, %lu failed\n", done, clients, bytes,
           failed);
    for (i = 0; i < clients; i++) {
        if (xs[i].easy != NULL)
            curl_easy_cleanup(xs[i].easy);
    }
    curl_multi_cleanup(m);
    curl_global_cleanup();
    free(xs);
    for (i = 0; i < n_assets; i++) {
        free((void *)assets[i].path);
        free(assets[i].data);
    }
    free(assets);
    return failed == 0 ? 0 : 1;
}
