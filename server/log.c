/*
 * log.c - diagnostics on stderr and the access log.
 *
 * Not for: metrics (metrics.c) or anything a client sent beyond the escaped
 * request path. The access log is written from libmicrohttpd's completion
 * callbacks on many threads; a mutex serialises the stdio buffer.
 */
#include "log.h"

#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The one process-wide setting of this module: the level, an atomic so any
 * thread may read it without a lock. */
static atomic_int log_level_current = LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    atomic_store(&log_level_current, (int)level);
}

int log_level_parse(const char *s)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0)
            return i;
    }
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    int n, m;
    va_list ap;

    if ((int)level > atomic_load(&log_level_current))
        return;
    n = snprintf(line, sizeof(line), "origind: %s: ", level_names[level]);
    if (n < 0)
        return;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    n += m;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}

struct access_log {
    pthread_mutex_t lock;
    FILE *f;
    char *path; /* NULL for stdout */
    int dirty;
};

struct access_log *access_log_open(const char *path)
{
    struct access_log *al = calloc(1, sizeof(*al));

    if (al == NULL)
        return NULL;
    pthread_mutex_init(&al->lock, NULL);
    if (strcmp(path, "-") == 0) {
        al->f = stdout;
    } else {
        al->path = strdup(path);
        if (al->path == NULL)
            goto fail;
        al->f = fopen(path, "ae");
        if (al->f == NULL) {
            log_error("cannot open access log %s: %s", path, strerror(errno));
            goto fail;
        }
    }
    setvbuf(al->f, NULL, _IOFBF, 64 * 1024);
    return al;
fail:
    free(al->path);
    pthread_mutex_destroy(&al->lock);
    free(al);
    return NULL;
}

int access_log_reopen(struct access_log *al)
{
    FILE *f;
    int rc = 0;

    if (al == NULL || al->path == NULL)
        return 0;
    f = fopen(al->path, "ae");
    if (f == NULL) {
        log_error("cannot reopen access log %s: %s", al->path, strerror(errno));
        return -1;
    }
    setvbuf(f, NULL, _IOFBF, 64 * 1024);
    pthread_mutex_lock(&al->lock);
    if (fclose(al->f) != 0)
        rc = -1;
    al->f = f;
    al->dirty = 0;
    pthread_mutex_unlock(&al->lock);
    return rc;
}

void access_log_tick(struct access_log *al)
{
    if (al == NULL)
        return;
    pthread_mutex_lock(&al->lock);
    if (al->dirty) {
        fflush(al->f);
        al->dirty = 0;
    }
    pthread_mutex_unlock(&al->lock);
}

void access_log_close(struct access_log *al)
{
    if (al == NULL)
        return;
    fflush(al->f);
    if (al->path != NULL)
        fclose(al->f);
    free(al->path);
    pthread_mutex_destroy(&al->lock);
    free(al);
}

void access_log_write(struct access_log *al, const struct access_record *rec)
{
    char path[HTTP_PATH_MAX * 2], method[64], when[32];
    struct timespec ts;
    struct tm tm;

    if (al == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    if (strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        when[0] = '\0';
    http_log_escape(rec->path, rec->path_len, path, sizeof(path));
    http_log_escape(rec->method, rec->method_len, method, sizeof(method));
    pthread_mutex_lock(&al->lock);
    fprintf(al->f, "%s.%03ldZ %s %s %s %s %u %llu %lluus %s\n", when, ts.tv_nsec / 1000000L,
            rec->listener, rec->remote, method, path, rec->status, (unsigned long long)rec->bytes,
            (unsigned long long)rec->duration_us, rec->cache);
    al->dirty = 1;
    pthread_mutex_unlock(&al->lock);
}
