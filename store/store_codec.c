/*
 * store_codec.c - checks that a precompressed variant (gzip or br) decodes to
 * exactly the blob it claims to encode.
 *
 * For: streaming decode + incremental SHA-256, bounded by the blob's size so
 * a zip bomb costs at most one small buffer. Not for: compressing (that is
 * the ingest tool's job) or any LMDB access (store.c).
 */
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "store_internal.h"

#define CODEC_CHUNK (64 * 1024)

/* Running state of one verification: the hash and the bytes produced so far. */
struct sink {
    EVP_MD_CTX *md;
    uint64_t produced;
    uint64_t size;
};

/* How much output room to offer next: never more than size + 1 - produced in
 * total, so an oversize stream is caught after at most one extra byte. */
static size_t room(const struct sink *s)
{
    uint64_t left = s->size + 1 - s->produced;

    return left < CODEC_CHUNK ? (size_t)left : CODEC_CHUNK;
}

/* Feeds n decoded bytes; returns STORE_EVARIANT once the output is too big. */
static int sink_feed(struct sink *s, const unsigned char *buf, size_t n)
{
    s->produced += n;
    if (s->produced > s->size)
        return STORE_EVARIANT;
    if (n > 0 && EVP_DigestUpdate(s->md, buf, n) != 1)
        return STORE_ENOMEM;
    return STORE_OK;
}

static int verify_gzip(struct sink *s, const unsigned char *in, size_t len, unsigned char *buf)
{
    z_stream zs;
    int rc = STORE_EVARIANT, zrc;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return STORE_ENOMEM;
    zs.next_in = (unsigned char *)in;
    for (;;) {
        /* zlib counts in uInt: feed huge inputs in slices. */
        if (zs.avail_in == 0 && len > 0) {
            size_t take = len > (1u << 30) ? (1u << 30) : len;

            zs.avail_in = (uInt)take;
            len -= take;
        }
        zs.next_out = buf;
        zs.avail_out = (uInt)room(s);
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            rc = STORE_EVARIANT; /* data or stream error */
            goto out;
        }
        rc = sink_feed(s, buf, (size_t)(zs.next_out - buf));
        if (rc != STORE_OK)
            goto out;
        if (zrc == Z_STREAM_END) {
            /* Anything after the gzip member is refused. */
            rc = (zs.avail_in == 0 && len == 0) ? STORE_OK : STORE_EVARIANT;
            goto out;
        }
        if (zrc == Z_BUF_ERROR && zs.avail_in == 0 && len == 0) {
            rc = STORE_EVARIANT; /* truncated stream */
            goto out;
        }
    }
out:
    inflateEnd(&zs);
    return rc;
}

static int verify_br(struct sink *s, const unsigned char *in, size_t len, unsigned char *buf)
{
    BrotliDecoderState *bs;
    BrotliDecoderResult res;
    int rc = STORE_EVARIANT;
    size_t avail_in = len;
    const uint8_t *next_in = in;

    bs = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (bs == NULL)
        return STORE_ENOMEM;
    for (;;) {
        size_t avail_out = room(s);
        uint8_t *next_out = buf;

        res = BrotliDecoderDecompressStream(bs, &avail_in, &next_in, &avail_out, &next_out, NULL);
        if (res == BROTLI_DECODER_RESULT_ERROR) {
            rc = STORE_EVARIANT;
            goto out;
        }
        rc = sink_feed(s, buf, (size_t)(next_out - buf));
        if (rc != STORE_OK)
            goto out;
        if (res == BROTLI_DECODER_RESULT_SUCCESS) {
            rc = avail_in == 0 ? STORE_OK : STORE_EVARIANT; /* trailing garbage */
            goto out;
        }
        if (res == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
            rc = STORE_EVARIANT; /* all input given: truncated */
            goto out;
        }
        /* NEEDS_MORE_OUTPUT: go round with a fresh buffer. */
    }
out:
    BrotliDecoderDestroyInstance(bs);
    return rc;
}

int store__variant_verify(int enc, const void *data, size_t len, uint64_t size,
                          const unsigned char digest[STORE_DIGEST_LEN])
{
    struct sink s;
    unsigned char *buf = NULL;
    unsigned char got[STORE_DIGEST_LEN];
    unsigned int got_len = STORE_DIGEST_LEN;
    int rc;

    if (enc != STORE_ENC_GZIP && enc != STORE_ENC_BR)
        return STORE_EINVAL;
    memset(&s, 0, sizeof(s));
    s.size = size;
    buf = store__alloc(CODEC_CHUNK, &rc);
    if (buf == NULL)
        goto out;
    s.md = EVP_MD_CTX_new();
    if (s.md == NULL || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1) {
        rc = STORE_ENOMEM;
        goto out;
    }
    if (enc == STORE_ENC_GZIP)
        rc = verify_gzip(&s, data, len, buf);
    else
        rc = verify_br(&s, data, len, buf);
    if (rc != STORE_OK)
        goto out;
    if (s.produced != size) {
        rc = STORE_EVARIANT;
        goto out;
    }
    if (EVP_DigestFinal_ex(s.md, got, &got_len) != 1) {
        rc = STORE_ENOMEM;
        goto out;
    }
    rc = memcmp(got, digest, STORE_DIGEST_LEN) == 0 ? STORE_OK : STORE_EVARIANT;
out:
    EVP_MD_CTX_free(s.md);
    free(buf);
    return rc;
}
