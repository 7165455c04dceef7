/*
 * pct.c - percent-decoding (pct.h).
 *
 * For: the one percent-decoder of origind. Not for: deciding which flags a
 * protocol needs (http.c says that for HTTP).
 */
#include "pct.h"

#include "hex.h"

int pct_decode(const char *in, size_t len, char *out, size_t cap, unsigned flags, size_t *out_len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '%') {
            int hi = i + 2 < len ? hex_value((unsigned char)in[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value((unsigned char)in[i + 2]) : -1;

            if (hi < 0 || lo < 0) {
                if (flags & PCT_STRICT)
                    return PCT_EBAD;
            } else if ((hi | lo) != 0 || !(flags & PCT_KEEP_NUL)) {
                c = (unsigned char)(hi * 16 + lo);
                i += 2;
                if (c == '/' && (flags & PCT_NO_SLASH))
                    return PCT_ESLASH;
            }
        }
        if ((c < 0x20 || c == 0x7f) && (flags & PCT_NO_CTL))
            return PCT_ECTL;
        if (n >= cap)
            return PCT_ETOOLONG;
        out[n++] = (char)c;
    }
    *out_len = n;
    return PCT_OK;
}
