/*
 * hostport.h - splitting "HOST:PORT" and "[V6ADDR]:PORT" into the host
 * and the port, with one set of rules for every option that takes one
 * (--peers-dns, --nodes-dns, the listen addresses).
 *
 * The rules: a string starting with '[' has its host up to the first ']',
 * which must be followed by ':'; any other string has its host up to its
 * last ':' (so "::1:80" splits as "::1" and 80). The host is not empty;
 * nothing more is checked of it (resolving or parsing it is the caller's
 * business). The port is one or more ASCII digits and nothing else
 * (leading zeros allowed), at most 65535, and not 0 unless
 * HOSTPORT_PORT_ZERO is given.
 *
 * For: syntax. Not for: resolving (server/discover.c) or length limits of a
 * caller's buffers (callers check host_len and port_len against theirs).
 *
 * Pure (libc only), no state: every function may be called from any thread.
 */
#ifndef ORIGIND_HOSTPORT_H
#define ORIGIND_HOSTPORT_H

#include <stddef.h>

/* A split HOST:PORT; the pointers point into the string split (borrowed:
 * valid as long as it is). */
struct hostport {
    const char *host; /* without the brackets */
    size_t host_len;  /* >= 1 */
    const char *port; /* the digits as written */
    size_t port_len;  /* >= 1 */
    unsigned port_num;
    int bracketed; /* 1 for "[HOST]:PORT" */
};

/* Flags of hostport_split(). */
#define HOSTPORT_PORT_ZERO 0x1u /* accept port 0 (a listener: the kernel picks one) */

/* Splits s[0..len) (need not be NUL-terminated) by the rules above.
 * Returns 0 with *out filled, or -1 (s breaks a rule; *out not written). */
int hostport_split(const char *s, size_t len, unsigned flags, struct hostport *out);

#endif /* ORIGIND_HOSTPORT_H */
