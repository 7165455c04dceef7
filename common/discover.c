/*
 * discover.c - HOST:PORT to node URLs, one per A/AAAA record (discover.h).
 *
 * For: resolving a HOST:PORT (split by common/hostport.c) with
 * getaddrinfo(), numeric URLs, sorting and de-duplicating, recognising
 * this process's own listener.
 * Not for: when to resolve again (peer.c re-resolves every --peer-interval)
 * or what a node URL is used for.
 */
#include "discover.h"

#include "hostport.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HOST_MAX 256
#define PORT_MAX 8

/* Splits "HOST:PORT" / "[V6]:PORT" (common/hostport.h) into NUL-terminated
 * copies that fit host and port. Returns 0 or -1. */
static int split(const char *hp, char host[HOST_MAX], char port[PORT_MAX])
{
    struct hostport h;

    if (hp == NULL || hostport_split(hp, strlen(hp), 0, &h) != 0 || h.host_len >= HOST_MAX ||
        h.port_len >= PORT_MAX)
        return -1;
    memcpy(host, h.host, h.host_len);
    host[h.host_len] = '\0';
    memcpy(port, h.port, h.port_len);
    port[h.port_len] = '\0';
    return 0;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return 0;
}

static unsigned port_of(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return 0;
}

static int is_wildcard(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (a->sa_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
    return 0;
}

/* An address of this host: loopback, or one of its interfaces'. */
static int is_local(const struct sockaddr *a, const struct ifaddrs *ifs)
{
    const struct ifaddrs *i;

    if (a->sa_family == AF_INET &&
        (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127)
        return 1;
    if (a->sa_family == AF_INET6 &&
        IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr))
        return 1;
    for (i = ifs; i != NULL; i = i->ifa_next)
        if (i->ifa_addr != NULL && same_addr(a, i->ifa_addr))
            return 1;
    return 0;
}

/* 1 if candidate is one of the self addresses (same port). */
static int is_self(const struct sockaddr *c, const struct addrinfo *self, const struct ifaddrs *ifs)
{
    const struct addrinfo *s;

    for (s = self; s != NULL; s = s->ai_next) {
        if (port_of(s->ai_addr) != port_of(c))
            continue;
        if (same_addr(s->ai_addr, c))
            return 1;
        if (is_wildcard(s->ai_addr) && is_local(c, ifs))
            return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int discover_resolve(const char *hostport, const char *scheme, const char *self,
                     struct discover_list *out, char *err, size_t errlen)
{
    char host[HOST_MAX], port[PORT_MAX], shost[HOST_MAX], sport[PORT_MAX];
    struct addrinfo hints, *res = NULL, *sres = NULL, *a;
    struct ifaddrs *ifs = NULL;
    struct discover_list l = {NULL, 0};
    size_t cap = 0, i, w;
    int rc = -1, g;

    if (split(hostport, host, port) != 0) {
        snprintf(err, errlen, "'%s' is not HOST:PORT", hostport ? hostport : "");
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        snprintf(err, errlen, "%s does not resolve: %s", host, gai_strerror(g));
        return -1;
    }
    if (self != NULL && split(self, shost, sport) == 0) {
        hints.ai_flags = AI_PASSIVE;
        if (getaddrinfo(shost, sport, &hints, &sres) != 0)
            sres = NULL;
        if (getifaddrs(&ifs) != 0)
            ifs = NULL;
    }
    for (a = res; a != NULL; a = a->ai_next) {
        char num[INET6_ADDRSTRLEN], url[INET6_ADDRSTRLEN + 32];

        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        if (sres != NULL && is_self(a->ai_addr, sres, ifs))
            continue;
        if (getnameinfo(a->ai_addr, a->ai_addrlen, num, sizeof(num), NULL, 0, NI_NUMERICHOST) != 0)
            continue;
        snprintf(url, sizeof(url), a->ai_family == AF_INET6 ? "%s://[%s]:%s" : "%s://%s:%s", scheme,
                 num, port);
        if (l.n == cap) {
            char **nu = realloc(l.url, (cap ? cap * 2 : 8) * sizeof(*nu));

            if (nu == NULL)
                goto nomem;
            l.url = nu;
            cap = cap ? cap * 2 : 8;
        }
        l.url[l.n] = strdup(url);
        if (l.url[l.n] == NULL)
            goto nomem;
        l.n++;
    }
    if (l.n > 1)
        qsort(l.url, l.n, sizeof(*l.url), cmp_str);
    for (i = w = 0; i < l.n; i++) { /* one per address (getaddrinfo repeats them) */
        if (w > 0 && strcmp(l.url[w - 1], l.url[i]) == 0) {
            free(l.url[i]);
            continue;
        }
        l.url[w++] = l.url[i];
    }
    l.n = w;
    *out = l;
    l.url = NULL;
    l.n = 0;
    rc = 0;
    goto out;
nomem:
    snprintf(err, errlen, "out of memory resolving %s", host);
out:
    discover_list_free(&l);
    if (ifs != NULL)
        freeifaddrs(ifs);
    if (sres != NULL)
        freeaddrinfo(sres);
    freeaddrinfo(res);
    return rc;
}

void discover_list_free(struct discover_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->url[i]);
    free(l->url);
    l->url = NULL;
    l->n = 0;
}
