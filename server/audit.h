/*
 * audit.h - the audit trail of admin writes: one line on stderr per
 * request that uploads (a blob, a variant or a bundle: one line per
 * request, with its counts), publishes or prunes, whatever its outcome,
 * including requests refused for their token's scope. Requests with no
 * valid token are not audited, only counted in /metrics (auth.h): anyone who
 * can reach the port could otherwise fill the log.
 *
 *   origind: audit: 2026-05-01T12:00:00.123Z client=10.0.0.9 token=3f2a9c1e
 *     action=publish subject=r42 status=201 outcome=ok created=1 present=0
 *
 * (one line). token is the fingerprint of auth.h, never the token; subject
 * is the release id, or the digest for a single upload, escaped like the
 * access log's paths. Audit lines are written whatever --log-level says.
 *
 * How a write reaches it: the admin handler fills the request's struct
 * audit_note (action, subject, counts) while answering; admin.c's
 * completion callback then calls audit_write() once, with the final status
 * (499 when the client went away first). A new admin write (prune) only
 * sets its note.
 *
 * Thread-safe (one write(2) per line). Not for: the access log (log.h),
 * deciding who may write (auth.h).
 */
#ifndef ORIGIND_AUDIT_H
#define ORIGIND_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_SUBJECT_MAX 160

/* What an admin write did, gathered while it is answered. action NULL:
 * not a write (no audit line). */
struct audit_note {
    const char
        *action; /* static string: "upload", "upload-variant", "bundle", "publish", "prune" */
    char fp[12]; /* the token's fingerprint, "-" if none */
    char subject[AUDIT_SUBJECT_MAX + 1]; /* release id or digest, "" if none */
    uint64_t created, present;           /* objects created / already present */
};

/* Sets note's subject from s[0..len) (truncated to AUDIT_SUBJECT_MAX). */
void audit_note_subject(struct audit_note *note, const char *s, size_t len);

/* Writes the audit line of note for a request from client (address text)
 * that ended with status (HTTP status; 499: the client went away). */
void audit_write(const struct audit_note *note, const char *client, unsigned status);

#endif /* ORIGIND_AUDIT_H */
