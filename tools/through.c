/*
 * through.c - `verify --through`: fetch a release's files through the CDN
 * with bounded concurrency and time, decode each response as it streams in
 * (gzip with zlib, br with the brotli decoder), hash it, and name every URL
 * whose answer is not the file's bytes (through.h has the rules).
 *
 * For: loading the release's file list and its dictionaries from one node
 * (on node.c's client: the admin API's transport, retries and version
 * check), the fetch plan (files x the Accept-Encoding values), the CDN
 * fetches' libcurl multi loop, streaming decode + SHA-256, the report.
 * Not for: the command line, exit codes (cmd_verify.c), the admin API's
 * requests themselves (node.c).
 */
#include "through.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <brotli/decode.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "ingest.h"
#include "api.h"
#include "api_dict.h"
#include "clock.h"
#include "naming.h"
#include "node.h"

#define ASKS          5
#define ASK_ZSTD      3
#define ASK_DCZ       4 /* only for files with a dictionary */
#define DECODE_CHUNK  65536
#define HEADER_VALUE  256
#define REASON_MAX    640
#define JOBS_MAX      64
#define TRANSFER_SECS 60

/* What is asked, the way CloudFront forwards it (NULL: no header, identity). */
static const char *const ask_value[ASKS] = {NULL, "gzip", "br,gzip", "zstd", "dcz, br, zstd, gzip"};

enum enc { ENC_UNSET, ENC_IDENTITY, ENC_GZIP, ENC_BR, ENC_ZSTD, ENC_DCZ, ENC_OTHER };

struct fetch {
    size_t file; /* index into the caller's files */
    int ask;     /* index into ask_value */
    unsigned attempt;
    CURL *e;
    struct curl_slist *hdr;
    char url_done; /* the URL string below is built */
    char *url;
    char cenc[HEADER_VALUE];
    char ctype[HEADER_VALUE];
    enum enc enc;
    EVP_MD_CTX *md;
    z_stream z;
    int z_init, z_end;
    BrotliDecoderState *br;
    int br_end;
    ZSTD_DCtx *zs; /* zstd and dcz */
    int zs_end;
    unsigned char dcz_hdr[STORE_DCZ_HEADER_LEN];
    size_t dcz_got;
    char reason[REASON_MAX]; /* set when the answer is already known to be wrong */
};

struct run {
    const struct ingest_through_file *files;
    const struct ingest_through_opts *o;
    struct ingest_through_result *res;
    struct buf report;
    unsigned char *decoded; /* DECODE_CHUNK scratch */
};

static const char *ask_name(int ask)
{
    return ask_value[ask] ? ask_value[ask] : "none";
}

static void wrong(struct run *r, const struct fetch *f, const char *reason)
{
    r->res->wrong++;
    ingest_buf_addf(&r->report, "%s (Accept-Encoding: %s): %s\n", f->url, ask_name(f->ask), reason);
    if (!r->o->quiet)
        fprintf(stderr, "origin-ingest: through: WRONG %s (Accept-Encoding: %s): %s\n", f->url,
                ask_name(f->ask), reason);
}

static void copy_value(char *dst, const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= HEADER_VALUE)
        n = HEADER_VALUE - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fetch *f = arg;
    size_t n = size * nmemb;

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new response (100, redirect) */
        f->cenc[0] = f->ctype[0] = '\0';
    } else if (n > 17 && strncasecmp(data, "Content-Encoding:", 17) == 0) {
        copy_value(f->cenc, data + 17, n - 17);
    } else if (n > 13 && strncasecmp(data, "Content-Type:", 13) == 0) {
        copy_value(f->ctype, data + 13, n - 13);
    }
    return n;
}

static void decoder_free(struct fetch *f)
{
    if (f->z_init)
        inflateEnd(&f->z);
    f->z_init = f->z_end = 0;
    if (f->br != NULL)
        BrotliDecoderDestroyInstance(f->br);
    f->br = NULL;
    f->br_end = 0;
    ZSTD_freeDCtx(f->zs);
    f->zs = NULL;
    f->zs_end = 0;
    f->dcz_got = 0;
    EVP_MD_CTX_free(f->md);
    f->md = NULL;
    f->enc = ENC_UNSET;
}

/* Chooses the decoder from Content-Encoding, on the first body bytes. */
static int decoder_start(struct fetch *f)
{
    f->md = EVP_MD_CTX_new();
    if (f->md == NULL || EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) != 1)
        return -1;
    if (f->cenc[0] == '\0' || strcasecmp(f->cenc, "identity") == 0) {
        f->enc = ENC_IDENTITY;
    } else if (strcasecmp(f->cenc, "gzip") == 0) {
        f->enc = ENC_GZIP;
        memset(&f->z, 0, sizeof(f->z));
        if (inflateInit2(&f->z, 16 + MAX_WBITS) != Z_OK)
            return -1;
        f->z_init = 1;
    } else if (strcasecmp(f->cenc, "br") == 0) {
        f->enc = ENC_BR;
        f->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        if (f->br == NULL)
            return -1;
    } else if (strcasecmp(f->cenc, "zstd") == 0 || strcasecmp(f->cenc, "dcz") == 0) {
        f->enc = strcasecmp(f->cenc, "zstd") == 0 ? ENC_ZSTD : ENC_DCZ;
        f->zs = ZSTD_createDCtx();
        /* what a browser decodes: 8 MiB for zstd (RFC 9659), up to 128 MiB for dcz */
        if (f->zs == NULL || ZSTD_isError(ZSTD_DCtx_setParameter(f->zs, ZSTD_d_windowLogMax,
                                                                 f->enc == ENC_ZSTD ? 23 : 27)))
            return -1;
    } else {
        f->enc = ENC_OTHER;
    }
    return 0;
}

/* One ZSTD_decompressStream() step of f's decoder from in into
 * r->decoded, hashed. Returns the bytes it produced, or -1 with f->reason
 * set. */
static long zstd_step(struct fetch *f, struct run *r, ZSTD_inBuffer *in)
{
    ZSTD_outBuffer out = {r->decoded, DECODE_CHUNK, 0};
    size_t zr = ZSTD_decompressStream(f->zs, &out, in);

    if (ZSTD_isError(zr)) {
        snprintf(f->reason, sizeof(f->reason), "Content-Encoding %s does not decode: %s", f->cenc,
                 ZSTD_getErrorName(zr));
        return -1;
    }
    EVP_DigestUpdate(f->md, r->decoded, out.pos);
    if (zr == 0)
        f->zs_end = 1;
    return (long)out.pos;
}

/* Feeds n bytes of a zstd frame (after a dcz header) to f's decoder. */
static void zstd_feed(struct fetch *f, struct run *r, const char *data, size_t n)
{
    ZSTD_inBuffer in = {data, n, 0};
    long got;

    while (in.pos < in.size && f->reason[0] == '\0') {
        if (f->zs_end) {
            snprintf(f->reason, sizeof(f->reason), "bytes after the end of the %s frame", f->cenc);
            return;
        }
        if (zstd_step(f, r, &in) < 0)
            return;
    }
    /* flush what the decoder still holds for a completely given frame */
    while (!f->zs_end && f->reason[0] == '\0') {
        got = zstd_step(f, r, &in);
        if (got < 0 || got < DECODE_CHUNK)
            break; /* an error, or it needs more input */
    }
}

/* A dcz body: its 40-byte header must name the file's dictionary, then the
 * frame decodes with the dictionary's bytes as prefix. */
static void dcz_feed(struct fetch *f, struct run *r, const char *data, size_t n)
{
    const struct ingest_through_file *file = &r->files[f->file];

    if (f->dcz_got < STORE_DCZ_HEADER_LEN) {
        size_t take = STORE_DCZ_HEADER_LEN - f->dcz_got;

        if (take > n)
            take = n;
        memcpy(f->dcz_hdr + f->dcz_got, data, take);
        f->dcz_got += take;
        data += take;
        n -= take;
        if (f->dcz_got < STORE_DCZ_HEADER_LEN)
            return;
        if (file->dict == NULL || memcmp(f->dcz_hdr, STORE_DCZ_MAGIC, 8) != 0 ||
            memcmp(f->dcz_hdr + 8, file->dict_digest, STORE_DIGEST_LEN) != 0) {
            snprintf(f->reason, sizeof(f->reason),
                     "dcz header is not the one of the dictionary offered");
            return;
        }
        if (ZSTD_isError(ZSTD_DCtx_refPrefix(f->zs, file->dict, file->dict_len))) {
            snprintf(f->reason, sizeof(f->reason), "cannot load the dictionary");
            return;
        }
    }
    if (n > 0)
        zstd_feed(f, r, data, n);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fetch *f = ((void **)arg)[0];
    struct run *r = ((void **)arg)[1];
    size_t n = size * nmemb;

    if (f->reason[0] != '\0')
        return n; /* already wrong: drain */
    if (f->enc == ENC_UNSET && decoder_start(f) != 0) {
        snprintf(f->reason, sizeof(f->reason), "cannot start a decoder");
        return n;
    }
    switch (f->enc) {
    case ENC_IDENTITY:
        EVP_DigestUpdate(f->md, data, n);
        break;
    case ENC_GZIP:
        f->z.next_in = (unsigned char *)data;
        f->z.avail_in = (uInt)n;
        while (f->z.avail_in > 0 && !f->z_end) {
            int zr;

            f->z.next_out = r->decoded;
            f->z.avail_out = DECODE_CHUNK;
            zr = inflate(&f->z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END) {
                snprintf(f->reason, sizeof(f->reason), "Content-Encoding gzip does not decode: %s",
                         f->z.msg ? f->z.msg : "zlib error");
                return n;
            }
            EVP_DigestUpdate(f->md, r->decoded, DECODE_CHUNK - f->z.avail_out);
            f->z_end = zr == Z_STREAM_END;
        }
        if (f->z.avail_in > 0)
            snprintf(f->reason, sizeof(f->reason), "bytes after the end of the gzip stream");
        break;
    case ENC_BR: {
        const uint8_t *in = (const uint8_t *)data;
        size_t avail_in = n;

        while ((avail_in > 0 || !f->br_end) && f->reason[0] == '\0') {
            uint8_t *out = r->decoded;
            size_t avail_out = DECODE_CHUNK;
            BrotliDecoderResult br =
                BrotliDecoderDecompressStream(f->br, &avail_in, &in, &avail_out, &out, NULL);

            EVP_DigestUpdate(f->md, r->decoded, DECODE_CHUNK - avail_out);
            if (br == BROTLI_DECODER_RESULT_ERROR) {
                snprintf(f->reason, sizeof(f->reason), "Content-Encoding br does not decode: %s",
                         BrotliDecoderErrorString(BrotliDecoderGetErrorCode(f->br)));
            } else if (br == BROTLI_DECODER_RESULT_SUCCESS) {
                f->br_end = 1;
                if (avail_in > 0)
                    snprintf(f->reason, sizeof(f->reason), "bytes after the end of the br stream");
                break;
            } else if (br == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
                break;
            }
        }
        break;
    }
    case ENC_ZSTD:
        zstd_feed(f, r, data, n);
        break;
    case ENC_DCZ:
        dcz_feed(f, r, data, n);
        break;
    default:
        break;
    }
    return n;
}

static void fetch_reset(struct fetch *f)
{
    decoder_free(f);
    f->cenc[0] = f->ctype[0] = f->reason[0] = '\0';
}

/* Judges a finished transfer. Returns 1 to retry, 0 when judged. */
static int judge(struct run *r, struct fetch *f, CURLcode rc)
{
    const struct ingest_through_file *file = &r->files[f->file];
    unsigned char got[EVP_MAX_MD_SIZE];
    unsigned int glen = 0;
    char reason[REASON_MAX], gh[STORE_HEX_LEN + 1], wh[STORE_HEX_LEN + 1];
    long status = 0;

    curl_easy_getinfo(f->e, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status >= 500) {
        if (f->attempt < r->o->retries && rc != CURLE_OPERATION_TIMEDOUT)
            return 1;
        if (rc != CURLE_OK)
            snprintf(reason, sizeof(reason), "transfer failed: %s", curl_easy_strerror(rc));
        else
            snprintf(reason, sizeof(reason), "status %ld", status);
        wrong(r, f, reason);
        return 0;
    }
    r->res->fetches++;
    if (status != 200) {
        snprintf(reason, sizeof(reason), "status %ld, want 200", status);
        wrong(r, f, reason);
        return 0;
    }
    if (f->enc == ENC_UNSET && f->reason[0] == '\0' && decoder_start(f) != 0) /* empty body */
        snprintf(f->reason, sizeof(f->reason), "cannot start a decoder");
    if (f->reason[0] != '\0') {
        wrong(r, f, f->reason);
        return 0;
    }
    if (f->enc == ENC_OTHER || (f->enc == ENC_BR && f->ask < 2) ||
        (f->enc == ENC_GZIP && f->ask < 1) || (f->enc == ENC_ZSTD && f->ask < ASK_ZSTD) ||
        (f->enc == ENC_DCZ && f->ask != ASK_DCZ) || (f->ask == ASK_ZSTD && f->enc == ENC_BR) ||
        (f->ask == ASK_ZSTD && f->enc == ENC_GZIP)) {
        snprintf(reason, sizeof(reason), "Content-Encoding %s was not offered", f->cenc);
        wrong(r, f, reason);
        return 0;
    }
    if ((f->enc == ENC_GZIP && !f->z_end) || (f->enc == ENC_BR && !f->br_end) ||
        ((f->enc == ENC_ZSTD || f->enc == ENC_DCZ) && !f->zs_end)) {
        snprintf(reason, sizeof(reason), "Content-Encoding %s stream is truncated", f->cenc);
        wrong(r, f, reason);
        return 0;
    }
    if (f->ask == ASK_DCZ && f->enc == ENC_DCZ)
        r->res->dcz_answers++;
    EVP_DigestFinal_ex(f->md, got, &glen);
    if (glen != STORE_DIGEST_LEN || memcmp(got, file->digest, STORE_DIGEST_LEN) != 0) {
        store_digest_to_hex(got, gh);
        store_digest_to_hex(file->digest, wh);
        if (f->enc == ENC_IDENTITY)
            snprintf(reason, sizeof(reason), "identity bytes have sha256 %s, want %s", gh, wh);
        else
            snprintf(reason, sizeof(reason), "%s decodes to sha256 %s, want %s", f->cenc, gh, wh);
        wrong(r, f, reason);
        return 0;
    }
    if (file->type != NULL && strcmp(f->ctype, file->type) != 0) {
        snprintf(reason, sizeof(reason), "Content-Type \"%s\", want \"%s\"", f->ctype, file->type);
        wrong(r, f, reason);
    }
    return 0;
}

/* Appends the standard base64 of in[0..n) to the NUL-terminated out. */
static void b64_append(char *out, size_t cap, const unsigned char *in, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    size_t o = strlen(out), i;

    for (i = 0; i < n && o + 5 < cap; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;

        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[i + 1 < n ? (v >> 6) & 63 : 64]; /* a[64]: the '=' pad */
        out[o++] = a[i + 2 < n ? v & 63 : 64];
    }
    out[o] = '\0';
}

static int start(struct run *r, CURLM *m, struct fetch *f, void **ctx, double deadline)
{
    long left_ms = TRANSFER_SECS * 1000L;

    if (!f->url_done) {
        struct buf u = {0};
        const char *p = r->files[f->file].path;

        ingest_buf_add(&u, r->o->base, strlen(r->o->base));
        ingest_url_encode_path(&u, p, strlen(p));
        f->url = u.data;
        f->url_done = 1;
        if (ask_value[f->ask] != NULL) {
            char h[64];

            snprintf(h, sizeof(h), "Accept-Encoding: %s", ask_value[f->ask]);
            f->hdr = curl_slist_append(NULL, h);
            if (f->ask == ASK_DCZ && f->hdr != NULL) {
                char ad[120];

                snprintf(ad, sizeof(ad), "Available-Dictionary: :");
                b64_append(ad, sizeof(ad), r->files[f->file].dict_digest, STORE_DIGEST_LEN);
                snprintf(ad + strlen(ad), sizeof(ad) - strlen(ad), ":");
                f->hdr = curl_slist_append(f->hdr, ad);
            }
        } else {
            f->hdr = curl_slist_append(NULL, "Accept-Encoding:"); /* none sent */
        }
    }
    if (deadline > 0) {
        double left = deadline - clock_mono_s();

        if (left <= 0)
            return -1;
        if (left * 1000 < (double)left_ms)
            left_ms = (long)(left * 1000) + 1;
    }
    f->e = curl_easy_init();
    if (f->e == NULL || f->hdr == NULL)
        return -1;
    ctx[0] = f;
    ctx[1] = r;
    curl_easy_setopt(f->e, CURLOPT_URL, f->url);
    curl_easy_setopt(f->e, CURLOPT_HTTPHEADER, f->hdr);
    curl_easy_setopt(f->e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(f->e, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(f->e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(f->e, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt(f->e, CURLOPT_PRIVATE, ctx);
    curl_easy_setopt(f->e, CURLOPT_TIMEOUT_MS, left_ms);
    curl_easy_setopt(f->e, CURLOPT_CONNECTTIMEOUT_MS, left_ms < 10000 ? left_ms : 10000L);
    curl_easy_setopt(f->e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->e, CURLOPT_USERAGENT, "origin-ingest-verify-through/" ORIGIND_VERSION);
    curl_easy_setopt(f->e, CURLOPT_PROTOCOLS_STR, "http,https");
    f->attempt++;
    if (curl_multi_add_handle(m, f->e) != CURLM_OK) {
        curl_easy_cleanup(f->e);
        f->e = NULL;
        return -1;
    }
    return 0;
}

/* Which files to check: all, or opts->sample of them at random. Returns a
 * malloc'd array of *count indexes. */
static size_t *choose(size_t n, size_t sample, size_t *count)
{
    size_t *idx = ingest_xmalloc((n ? n : 1) * sizeof(*idx)), i, k;
    uint64_t s = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < n; i++)
        idx[i] = i;
    k = sample == 0 || sample >= n ? n : sample;
    if (k < n) {
        if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
            s ^= (uint64_t)(clock_mono_s() * 1e6);
        for (i = 0; i < k; i++) { /* partial Fisher-Yates, xorshift64 */
            size_t j, t;

            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            j = i + (size_t)(s % (n - i));
            t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
    }
    *count = k;
    return idx;
}

int ingest_through_check(const struct ingest_through_file *files, size_t n,
                         const struct ingest_through_opts *opts, struct ingest_through_result *res)
{
    struct run r;
    struct fetch *fs = NULL;
    void **ctx = NULL;
    size_t *idx = NULL, nidx = 0, nf, next = 0, i, *queue = NULL, qhead = 0, qtail = 0, planned = 0;
    unsigned jobs = opts->jobs < 1 ? 1 : opts->jobs > JOBS_MAX ? JOBS_MAX : opts->jobs;
    double deadline = opts->timeout_s ? clock_mono_s() + opts->timeout_s : 0;
    CURLM *m = NULL;
    int running = 0, in_flight = 0, rc = -1;
    char baseb[2048];
    struct ingest_through_opts o = *opts;
    size_t bl = strlen(opts->base);

    memset(res, 0, sizeof(*res));
    memset(&r, 0, sizeof(r));
    while (bl > 0 && opts->base[bl - 1] == '/')
        bl--;
    if (bl >= sizeof(baseb)) {
        res->report = ingest_xstrdup("--through URL is too long\n");
        return -1;
    }
    memcpy(baseb, opts->base, bl);
    baseb[bl] = '\0';
    o.base = baseb;
    r.files = files;
    r.o = &o;
    r.res = res;
    r.decoded = ingest_xmalloc(DECODE_CHUNK);
    idx = choose(n, opts->sample, &nidx);
    res->files = nidx;
    nf = nidx * ASKS;
    fs = ingest_xcalloc(nf ? nf : 1, sizeof(*fs));
    ctx = ingest_xcalloc(nf ? nf * 2 : 2, sizeof(*ctx));
    queue = ingest_xcalloc(nf ? nf : 1, sizeof(*queue)); /* retries, at most one each in flight */
    for (i = 0; i < nf; i++) {
        fs[i].file = idx[i / ASKS];
        fs[i].ask = (int)(i % ASKS);
        planned += fs[i].ask != ASK_DCZ || files[fs[i].file].dict != NULL;
    }
    m = curl_multi_init();
    if (m == NULL) {
        ingest_buf_addf(&r.report, "cannot start libcurl\n");
        goto out;
    }
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)jobs);
    for (;;) {
        CURLMsg *msg;
        int left;

        while ((unsigned)in_flight < jobs && (qhead < qtail || next < nf)) {
            size_t k = qhead < qtail ? queue[qhead++] : next++;

            if (fs[k].ask == ASK_DCZ && files[fs[k].file].dict == NULL)
                continue; /* nothing to offer */
            if (fs[k].ask == ASK_DCZ && fs[k].attempt == 0)
                res->dcz_asked++;
            if (start(&r, m, &fs[k], &ctx[2 * k], deadline) != 0) {
                res->timed_out = deadline > 0 && clock_mono_s() >= deadline;
                if (!res->timed_out)
                    wrong(&r, &fs[k], "cannot start the transfer");
                else
                    res->wrong++;
                continue;
            }
            in_flight++;
        }
        if (in_flight == 0)
            break;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            void **c;
            struct fetch *f;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            f = c[0];
            if (judge(&r, f, msg->data.result) == 1)
                queue[qtail++] = (size_t)(f - fs);
            curl_multi_remove_handle(m, f->e);
            curl_easy_cleanup(f->e);
            f->e = NULL;
            fetch_reset(f);
            in_flight--;
        }
        if (in_flight > 0)
            curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    if (res->timed_out)
        ingest_buf_addf(&r.report,
                        "time budget of %u s spent: %zu fetches not checked (counted as wrong)\n",
                        opts->timeout_s, planned - res->fetches);
    rc = res->wrong > 0 ? 1 : 0;
out:
    for (i = 0; i < nf; i++) {
        fetch_reset(&fs[i]);
        curl_slist_free_all(fs[i].hdr);
        free(fs[i].url);
    }
    if (m != NULL)
        curl_multi_cleanup(m);
    res->report = r.report.data;
    free(queue);
    free(ctx);
    free(fs);
    free(idx);
    free(r.decoded);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The release's files, from one node                                   */

static int add_file_cb(void *arg, size_t node, const struct api_release *ar)
{
    struct ingest_through_release *rel = arg;
    size_t i;

    (void)node;
    ingest_through_release_free(rel); /* one node: called once */
    rel->cap = ar->n ? ar->n : 1;
    rel->files = ingest_xcalloc(rel->cap, sizeof(*rel->files));
    for (i = 0; i < ar->n; i++) {
        struct ingest_through_file *f = &rel->files[rel->n++];

        f->path = ingest_xstrndup(ar->files[i].path, ar->files[i].path_len);
        memcpy(f->digest, ar->files[i].digest, STORE_DIGEST_LEN);
        f->type = ingest_xstrndup(ar->files[i].type, ar->files[i].type_len);
    }
    return 0;
}

int ingest_through_load_release(struct ingest_client *c, const char *id,
                                struct ingest_through_release *out, char *err, size_t errlen)
{
    struct ingest_through_release rel;
    struct ingest_node *nd;
    size_t n;

    memset(&rel, 0, sizeof(rel));
    ingest_client_get_release(c, id, add_file_cb, &rel);
    nd = ingest_client_nodes(c, &n);
    if (n == 0 || nd[0].failed) {
        if (n > 0)
            ingest_errf(err, errlen, "node %s: %s", nd[0].url, nd[0].error);
        ingest_through_release_free(&rel);
        return -1;
    }
    *out = rel;
    return 0;
}

/* An answer of ingest_client_exchange(): a 200's body, kept. */
struct got {
    long status;
    struct buf body;
};

static int keep_answer(void *arg, size_t node, long status, const char *body, size_t len, char *why,
                       size_t why_size)
{
    struct got *g = arg;

    (void)node;
    (void)why;
    (void)why_size;
    g->status = status;
    g->body.len = 0;
    if (status == 200)
        ingest_buf_add(&g->body, body, len);
    return 0; /* any answer is taken: a file without a dictionary is still checked */
}

/* GET path of the client's node: 1 with a 200's body in *g, else 0. */
static int node_get(struct ingest_client *c, const char *path, struct got *g)
{
    g->status = 0;
    g->body.len = 0;
    ingest_client_exchange(c, "GET", path, NULL, 0, keep_answer, g);
    return g->status == 200;
}

size_t ingest_through_find_dicts(struct ingest_client *c, struct ingest_through_release *rel)
{
    struct got g = {0, {0}};
    size_t i, found = 0;

    for (i = 0; i < rel->n; i++) {
        struct ingest_through_file *f = &rel->files[i];
        unsigned char pred[STORE_DIGEST_LEN], next[STORE_DIGEST_LEN], sum[STORE_DIGEST_LEN];
        struct api_blob_entry ent;
        struct buf q = {0};
        char hex[STORE_HEX_LEN + 1], why[API_WHY_MAX];
        size_t n = 0;
        int k, has_next = 0, zero = 1;

        if (f->type == NULL ||
            !api_dict_eligible(f->path, strlen(f->path), f->type, strlen(f->type)))
            continue;
        /* the listing entry of exactly this digest: after its predecessor */
        memcpy(pred, f->digest, STORE_DIGEST_LEN);
        for (k = STORE_DIGEST_LEN - 1; k >= 0; k--) {
            if (pred[k]-- != 0)
                break;
        }
        for (k = 0; k < STORE_DIGEST_LEN; k++)
            zero &= f->digest[k] == 0;
        store_digest_to_hex(pred, hex);
        ingest_buf_addf(&q, "%s?limit=1%s%s", API_PATH_BLOBS,
                        zero ? "" : "&after=", zero ? "" : hex);
        if (!node_get(c, q.data, &g) ||
            api_blob_page_decode(g.body.data, g.body.len, zero ? NULL : pred, &ent, 1, &n,
                                 &has_next, next, why, sizeof(why)) != 0 ||
            n != 1 || memcmp(ent.digest, f->digest, STORE_DIGEST_LEN) != 0 || ent.ndeltas == 0)
            goto next_file;
        store_digest_to_hex(ent.deltas[0], hex);
        buf_free(&q);
        ingest_buf_addf(&q, "%s/%s", API_PATH_BLOBS, hex);
        if (!node_get(c, q.data, &g))
            goto next_file;
        store_sha256(g.body.data, g.body.len, sum);
        if (memcmp(sum, ent.deltas[0], STORE_DIGEST_LEN) != 0)
            goto next_file;
        f->dict = (unsigned char *)g.body.data; /* owned by rel now */
        f->dict_len = g.body.len;
        memcpy(f->dict_digest, ent.deltas[0], STORE_DIGEST_LEN);
        memset(&g.body, 0, sizeof(g.body));
        found++;
    next_file:
        buf_free(&q);
    }
    buf_free(&g.body);
    return found;
}

void ingest_through_release_free(struct ingest_through_release *rel)
{
    size_t i;

    for (i = 0; i < rel->n; i++) {
        free((char *)rel->files[i].path);
        free((char *)rel->files[i].type);
        free((unsigned char *)rel->files[i].dict);
    }
    free(rel->files);
    memset(rel, 0, sizeof(*rel));
}
