/*
 * hex.c - hexadecimal encoding and decoding (hex.h).
 *
 * For: the one hex encoder and decoder of the tree. Not for: what the text
 * means (digests are store.h's, tokens auth.c's).
 */
#include "hex.h"

const char hex_lower[17] = "0123456789abcdef";
const char hex_upper[17] = "0123456789ABCDEF";

int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hex_lower[in[i] >> 4];
        out[2 * i + 1] = hex_lower[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int hex_decode(const char *in, size_t len, unsigned char *out)
{
    size_t i;

    if (len % 2 != 0)
        return -1;
    /* check every digit first: out is written only on success */
    for (i = 0; i < len; i++) {
        if (hex_value((unsigned char)in[i]) < 0)
            return -1;
    }
    for (i = 0; i < len / 2; i++) /* each value 0..15 now */
        out[i] = (unsigned char)((unsigned)hex_value((unsigned char)in[2 * i]) << 4 |
                                 (unsigned)hex_value((unsigned char)in[2 * i + 1]));
    return 0;
}
