/*
 * store_codec.c - checks that a precompressed variant (gzip, br or zstd)
 * decodes to exactly the blob it claims to encode, and that a dictionary
 * delta (RFC 9842 dcz) decodes, with its dictionary, to exactly its target.
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
#include <zstd.h>

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

static uint32_t get_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One zstd frame, nothing after it (no second frame, no skippable frame),
 * with a window of at most 2^wlog_max bytes (what browsers decode: RFC 9659
 * asks for 8 MiB, RFC 9842 more for dcz), decoded with dict[0..dict_len) as
 * a raw-content prefix when dict is not NULL. */
static int verify_zstd(struct sink *s, const unsigned char *in, size_t len, unsigned char *buf,
                       const void *dict, size_t dict_len, int wlog_max)
{
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    ZSTD_inBuffer ib = {in, len, 0};
    size_t zr, frame;
    int rc = STORE_EVARIANT;

    if (dc == NULL)
        return STORE_ENOMEM;
    /* the frame's own length first: trailing bytes or a second frame are refused */
    frame = ZSTD_findFrameCompressedSize(in, len);
    if (ZSTD_isError(frame) || frame != len || len < 4 ||
        (get_u32le(in) & 0xFFFFFFF0u) == 0x184D2A50u /* skippable frame */)
        goto out;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, wlog_max)))
        goto out;
    if (dict != NULL && ZSTD_isError(ZSTD_DCtx_refPrefix(dc, dict, dict_len)))
        goto out;
    for (;;) {
        ZSTD_outBuffer ob = {buf, room(s), 0};

        zr = ZSTD_decompressStream(dc, &ob, &ib);
        if (ZSTD_isError(zr)) {
            rc = STORE_EVARIANT;
            goto out;
        }
        rc = sink_feed(s, buf, ob.pos);
        if (rc != STORE_OK)
            goto out;
        if (zr == 0) { /* frame complete */
            rc = ib.pos == ib.size ? STORE_OK : STORE_EVARIANT;
            goto out;
        }
        if (ib.pos == ib.size && ob.pos < ob.size) {
            rc = STORE_EVARIANT; /* all input given, no progress: truncated */
            goto out;
        }
    }
out:
    ZSTD_freeDCtx(dc);
    return rc;
}

/* The largest window a delta against a dictionary of dict_len bytes may use
 * (RFC 9842 section 4: at least 8 MiB, or 1.25 x the dictionary, at most 128 MiB). */
static int dcz_window_log(size_t dict_len)
{
    uint64_t need = (uint64_t)dict_len + dict_len / 4;
    int wlog = 23;

    while (wlog < 27 && ((uint64_t)1 << wlog) < need)
        wlog++;
    return wlog;
}

/* Shared tail of both checks: decodes with the chosen codec into the sink
 * and compares size and digest. */
static int decode_check(int enc, const void *data, size_t len, uint64_t size,
                        const unsigned char digest[STORE_DIGEST_LEN], const void *dict,
                        size_t dict_len);

int store__variant_verify(int enc, const void *data, size_t len, uint64_t size,
                          const unsigned char digest[STORE_DIGEST_LEN])
{
    if (enc < STORE_ENC_GZIP || enc >= STORE_ENC_COUNT)
        return STORE_EINVAL;
    return decode_check(enc, data, len, size, digest, NULL, 0);
}

int store__delta_verify(const void *data, size_t len, uint64_t size,
                        const unsigned char digest[STORE_DIGEST_LEN], const void *dict,
                        size_t dict_len, const unsigned char dict_digest[STORE_DIGEST_LEN])
{
    const unsigned char *p = data;

    if (len < STORE_DCZ_HEADER_LEN || memcmp(p, STORE_DCZ_MAGIC, 8) != 0 ||
        memcmp(p + 8, dict_digest, STORE_DIGEST_LEN) != 0)
        return STORE_EVARIANT;
    return decode_check(-1, p + STORE_DCZ_HEADER_LEN, len - STORE_DCZ_HEADER_LEN, size, digest,
                        dict != NULL ? dict : "", dict_len);
}

/* enc -1: a dcz frame (zstd with dict as prefix). */
static int decode_check(int enc, const void *data, size_t len, uint64_t size,
                        const unsigned char digest[STORE_DIGEST_LEN], const void *dict,
                        size_t dict_len)
{
    struct sink s;
    unsigned char *buf = NULL;
    unsigned char got[STORE_DIGEST_LEN];
    unsigned int got_len = STORE_DIGEST_LEN;
    int rc;

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
    else if (enc == STORE_ENC_BR)
        rc = verify_br(&s, data, len, buf);
    else if (enc == STORE_ENC_ZSTD)
        rc = verify_zstd(&s, data, len, buf, NULL, 0, 23);
    else
        rc = verify_zstd(&s, data, len, buf, dict, dict_len, dcz_window_log(dict_len));
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
