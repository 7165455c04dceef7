/*
 * br_compress.c - test helper: brotli-compresses stdin to stdout (there is
 * no brotli command on the test machines). Not part of the product.
 */
#include <brotli/encode.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    size_t cap = 1 << 20, len = 0, n, out_len;
    unsigned char *in = malloc(cap), *out;

    if (in == NULL)
        return 1;
    while ((n = fread(in + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(in, cap * 2);

            if (bigger == NULL)
                return 1;
            in = bigger;
            cap *= 2;
        }
    }
    out_len = BrotliEncoderMaxCompressedSize(len);
    out = malloc(out_len ? out_len : 16);
    if (out == NULL || !BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
                                              BROTLI_MODE_TEXT, len, in, &out_len, out))
        return 1;
    fwrite(out, 1, out_len, stdout);
    free(in);
    free(out);
    return 0;
}
