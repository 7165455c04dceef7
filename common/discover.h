/*
 * discover.h - DNS discovery of nodes: every A/AAAA record of a name is a
 * node (`origin-ingest --nodes-dns HOST:PORT`, `origind serve --peers-dns
 * HOST:PORT`). That is what an autoscaling group behind a Route 53 record
 * or a Kubernetes headless Service gives.
 *
 * A pure library (libc resolver only, no libmicrohttpd, no globals): both
 * origind and origin-ingest link it. getaddrinfo() reads /etc/hosts and DNS
 * as nsswitch.conf says; with glibc, every /etc/hosts line of a name is
 * returned ("multi on" in host.conf, Debian's default).
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef ORIGIND_DISCOVER_H
#define ORIGIND_DISCOVER_H

#include <stddef.h>

/* A resolved set of node URLs, sorted and without duplicates. */
struct discover_list {
    char **url; /* "SCHEME://ADDR:PORT" (IPv6 as "[ADDR]"), each malloc'd */
    size_t n;
};

/* Resolves hostport ("HOST:PORT", "[V6ADDR]:PORT") into one URL
 * "SCHEME://ADDR:PORT" per distinct address (scheme: "http" or "https").
 * When self is not NULL ("ADDR:PORT", a listener of this process, as given
 * to --admin-listen), addresses that are that listener are left out: the
 * same address and port, or, when self is a wildcard (0.0.0.0, ::), any
 * address of this host's interfaces or loopback with that port.
 * Returns 0 and fills *out (free with discover_list_free(); it may be empty
 * when every address was self), or -1 with err filled (malformed hostport,
 * the name does not resolve, out of memory). *out is written only on
 * success. */
int discover_resolve(const char *hostport, const char *scheme, const char *self,
                     struct discover_list *out, char *err, size_t errlen);

/* Frees every URL and the array; leaves *l empty. NULL-safe on l->url. */
void discover_list_free(struct discover_list *l);

#endif
