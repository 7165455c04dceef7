/*
 * hostport.c - HOST:PORT splitting (rules in hostport.h).
 *
 * For: the one HOST:PORT splitter. Not for: what the host may be (a name,
 * an IPv4 or an IPv6 address: callers decide).
 */
#include "hostport.h"

#include <string.h>

int hostport_split(const char *s, size_t len, unsigned flags, struct hostport *out)
{
    struct hostport hp;
    const char *colon;
    unsigned long v = 0;
    size_t i;

    if (s == NULL || len == 0)
        return -1;
    memset(&hp, 0, sizeof(hp));
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);

        if (close == NULL || (size_t)(close - s) + 1 >= len || close[1] != ':')
            return -1;
        hp.host = s + 1;
        hp.host_len = (size_t)(close - hp.host);
        hp.bracketed = 1;
        colon = close + 1;
    } else {
        colon = memrchr(s, ':', len);
        if (colon == NULL)
            return -1;
        hp.host = s;
        hp.host_len = (size_t)(colon - s);
    }
    hp.port = colon + 1;
    hp.port_len = len - (size_t)(hp.port - s);
    if (hp.host_len == 0 || hp.port_len == 0)
        return -1;
    for (i = 0; i < hp.port_len; i++) {
        if (hp.port[i] < '0' || hp.port[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(hp.port[i] - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0 && !(flags & HOSTPORT_PORT_ZERO))
        return -1;
    hp.port_num = (unsigned)v;
    *out = hp;
    return 0;
}
