/*
 * store_util.c - the store's pure helper functions: error strings, encoding
 * and prune-state names, SHA-256 and digests as hex (common/hex.c), the
 * validation of paths, ids and content types, and the fleet-wide order of
 * two promotions.
 *
 * For: functions without state that server/, api/ and tools/ may call
 * freely; nothing here references LMDB, so a program that calls only these
 * links no LMDB code.
 * Not for: anything touching LMDB (store.c) or decoding variants
 * (store_codec.c).
 */
#include <string.h>

#include <openssl/evp.h>

#include "hex.h"
#include "store.h"

const char *store_strerror(int err)
{
    switch (err) {
    case STORE_OK:
        return "success";
    case STORE_ENOTFOUND:
        return "not found";
    case STORE_EDIGEST:
        return "bytes do not hash to the digest they claim";
    case STORE_EVARIANT:
        return "variant does not decode to exactly its blob";
    case STORE_EMISSING:
        return "release names blobs that are not present";
    case STORE_ECONFLICT:
        return "path or release id already bound to other content";
    case STORE_EINVAL:
        return "invalid argument";
    case STORE_ETOOBIG:
        return "over the configured size limit";
    case STORE_EFULL:
        return "store full";
    case STORE_EIO:
        return "I/O error";
    case STORE_ENOMEM:
        return "out of memory";
    case STORE_ECORRUPT:
        return "store damaged or not an origind store";
    case STORE_EBUSY:
        return "too many readers, or the map was resized by another process";
    case STORE_ELOCKED:
        return "store held by another process (one writer per store)";
    case STORE_EFAULT:
        return "injected fault";
    case STORE_EGONE:
        return "gone: every release naming it was pruned";
    case STORE_EPRUNED:
        return "release was pruned and cannot be published again";
    default:
        return "unknown store error";
    }
}

const char *store_encoding_name(int enc)
{
    switch (enc) {
    case STORE_ENC_IDENTITY:
        return "identity";
    case STORE_ENC_GZIP:
        return "gzip";
    case STORE_ENC_BR:
        return "br";
    case STORE_ENC_ZSTD:
        return "zstd";
    default:
        return NULL;
    }
}

int store_encoding_parse(const char *name, size_t len)
{
    if (name == NULL)
        return -1;
    if (len == 8 && memcmp(name, "identity", 8) == 0)
        return STORE_ENC_IDENTITY;
    if (len == 4 && memcmp(name, "gzip", 4) == 0)
        return STORE_ENC_GZIP;
    if (len == 2 && memcmp(name, "br", 2) == 0)
        return STORE_ENC_BR;
    if (len == 4 && memcmp(name, "zstd", 4) == 0)
        return STORE_ENC_ZSTD;
    return -1;
}

void store_sha256(const void *data, size_t len, unsigned char out[STORE_DIGEST_LEN])
{
    unsigned int outlen = STORE_DIGEST_LEN;

    /* One-shot EVP: uses the CPU's SHA extensions where OpenSSL has them. */
    if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1)
        memset(out, 0, STORE_DIGEST_LEN); /* only on OpenSSL allocation failure */
}

int store_digest_from_hex(const char *hex, size_t len, unsigned char out[STORE_DIGEST_LEN])
{
    if (hex == NULL || len != STORE_HEX_LEN || hex_decode(hex, len, out) != 0)
        return STORE_EINVAL;
    return STORE_OK;
}

void store_digest_to_hex(const unsigned char digest[STORE_DIGEST_LEN], char out[STORE_HEX_LEN + 1])
{
    hex_encode(digest, STORE_DIGEST_LEN, out);
}

int store_path_valid(const char *path, size_t len)
{
    size_t i, seg_start;

    if (path == NULL || len < 2 || len > STORE_PATH_MAX || path[0] != '/' || path[len - 1] == '/')
        return STORE_EINVAL;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];

        if (c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#')
            return STORE_EINVAL;
    }
    /* Segments between slashes: none empty (no "//"), none "." or "..". */
    seg_start = 1;
    for (i = 1; i <= len; i++) {
        if (i == len || path[i] == '/') {
            size_t seg_len = i - seg_start;

            if (seg_len == 0)
                return STORE_EINVAL;
            if (seg_len == 1 && path[seg_start] == '.')
                return STORE_EINVAL;
            if (seg_len == 2 && path[seg_start] == '.' && path[seg_start + 1] == '.')
                return STORE_EINVAL;
            seg_start = i + 1;
        }
    }
    return STORE_OK;
}

int store_id_valid(const char *id, size_t len)
{
    size_t i;

    if (id == NULL || len < 1 || len > STORE_ID_MAX)
        return STORE_EINVAL;
    if ((len == 1 && id[0] == '.') || (len == 2 && id[0] == '.' && id[1] == '.'))
        return STORE_EINVAL;
    for (i = 0; i < len; i++) {
        char c = id[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';

        if (!ok)
            return STORE_EINVAL;
    }
    return STORE_OK;
}

int store_type_valid(const char *type, size_t len)
{
    size_t i;

    if (type == NULL || len < 1 || len > STORE_TYPE_MAX)
        return STORE_EINVAL;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)type[i];

        if (c < 0x20 || c > 0x7e)
            return STORE_EINVAL;
    }
    return STORE_OK;
}

/* Case-insensitive equality of s[0..len) and the lower-case literal lit. */
static int ieq(const char *s, size_t len, const char *lit)
{
    size_t i, n = strlen(lit);

    if (len != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* Case-insensitive: does s[0..len) start (prefix) or end (suffix) with lit? */
static int iprefix(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);

    return len >= n && ieq(s, n, lit);
}

static int isuffix(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);

    return len >= n && ieq(s + len - n, n, lit);
}

int store_type_compressible(const char *type, size_t len)
{
    static const char *const exact[] = {
        "application/javascript",
        "application/json",
        "application/xml",
        "application/wasm",
        "image/svg+xml",
        "font/ttf",
        "font/otf",
        "application/vnd.ms-fontobject",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/bmp",
        "application/x-javascript",
        "application/ecmascript",
    };
    size_t i, end;

    if (type == NULL)
        return 0;
    /* The media type: leading blanks skipped, parameters and trailing blanks dropped. */
    while (len > 0 && (type[0] == ' ' || type[0] == '\t')) {
        type++;
        len--;
    }
    end = 0;
    while (end < len && type[end] != ';')
        end++;
    while (end > 0 && (type[end - 1] == ' ' || type[end - 1] == '\t'))
        end--;
    if (iprefix(type, end, "text/") && end > 5)
        return 1;
    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        if (ieq(type, end, exact[i]))
            return 1;
    }
    /* application/<something>+json or +xml (manifest+json, atom+xml, ...) */
    if (iprefix(type, end, "application/") && ((end > 12 + 5 && isuffix(type, end, "+json")) ||
                                               (end > 12 + 4 && isuffix(type, end, "+xml"))))
        return 1;
    return 0;
}

const char *store_prune_state_name(int state)
{
    switch (state) {
    case STORE_PRUNE_PRUNED:
        return "pruned";
    case STORE_PRUNE_ALREADY:
        return "already";
    case STORE_PRUNE_ABSENT:
        return "absent";
    default:
        return NULL;
    }
}

int store_promotion_cmp(const struct store_promotion *a, const struct store_promotion *b)
{
    int c;

    if (a->generation != b->generation)
        return a->generation < b->generation ? -1 : 1;
    if (a->promoted_at != b->promoted_at)
        return a->promoted_at < b->promoted_at ? -1 : 1;
    c = strcmp(a->release, b->release);
    if (c == 0)
        c = strcmp(a->floor, b->floor);
    if (c == 0)
        c = memcmp(a->digest, b->digest, STORE_DIGEST_LEN);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}
