/*
 * audit.c - writes the audit lines of admin writes (format in audit.h).
 *
 * Not for: collecting what a write did (admin.c fills struct audit_note)
 * or the access log (log.c).
 */
#include "audit.h"

#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void audit_note_subject(struct audit_note *note, const char *s, size_t len)
{
    if (len > AUDIT_SUBJECT_MAX)
        len = AUDIT_SUBJECT_MAX;
    memcpy(note->subject, s, len);
    note->subject[len] = '\0';
}

static const char *outcome_of(unsigned status)
{
    if (status >= 200 && status < 300)
        return "ok";
    if (status == 499)
        return "aborted";
    if (status == 401 || status == 403)
        return "denied";
    if (status >= 500)
        return "failed";
    return "refused";
}

void audit_write(const struct audit_note *note, const char *client, unsigned status)
{
    char line[1024], when[32], subject[AUDIT_SUBJECT_MAX * 4 + 8];
    struct timespec ts;
    struct tm tm;
    size_t off = 0;
    int n;

    if (note == NULL || note->action == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = (int)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - (size_t)n, ".%03ldZ", ts.tv_nsec / 1000000L);
    if (note->subject[0] != '\0')
        http_log_escape(note->subject, strlen(note->subject), subject, sizeof(subject));
    else
        snprintf(subject, sizeof(subject), "-");
    n = snprintf(line, sizeof(line),
                 "origind: audit: %s client=%s token=%s action=%s subject=%s status=%u "
                 "outcome=%s created=%llu present=%llu\n",
                 when, client != NULL && client[0] != '\0' ? client : "-",
                 note->fp[0] != '\0' ? note->fp : "-", note->action, subject, status,
                 outcome_of(status), (unsigned long long)note->created,
                 (unsigned long long)note->present);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    while (off < (size_t)n) {
        ssize_t w = write(STDERR_FILENO, line + off, (size_t)n - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}
