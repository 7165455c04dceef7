/*
 * fuzz_target.c - libFuzzer driver: request-path normalisation and lookup
 * validation, as both listeners do it before touching the store.
 *
 * Input: a raw request target (what follows the method on the request line).
 * Exercises http_target_path (query/fragment drop, absolute-form,
 * percent-decoding, 414 capacity), http_unescape_inplace (libmicrohttpd's
 * unescape callback), store_path_valid (the lookup gate), store_id_valid and
 * store_digest_from_hex (admin path arguments), http_log_escape (access log).
 * Asserts the properties the server relies on: a decoded path starts with
 * '/', holds no NUL or control byte and fits its buffer; a path that
 * store_path_valid accepts has no dot segment, no "//", no '\\'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http.h"
#include "store.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_target: property failed: %s (line %d)\n", #c, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_store_path(const char *p, size_t len)
{
    size_t i;

    if (store_path_valid(p, len) != STORE_OK)
        return;
    CHECK(len >= 2 && len <= STORE_PATH_MAX && p[0] == '/' && p[len - 1] != '/');
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];

        CHECK(ch >= 0x20 && ch != 0x7f && ch != '\\' && ch != '?' && ch != '#');
        if (ch == '/') {
            CHECK(i + 1 < len && p[i + 1] != '/');
            /* no "." or ".." segment */
            if (i + 2 <= len && p[i + 1] == '.')
                CHECK(!(i + 2 == len || p[i + 2] == '/' ||
                        (p[i + 2] == '.' && (i + 3 == len || p[i + 3] == '/'))));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[HTTP_PATH_MAX], small[16], logbuf[64];
    size_t out_len = 12345, i;
    unsigned char digest[STORE_DIGEST_LEN];
    char *exact = fuzz_exact((const char *)data, size), *cs;
    int rc;

    if (exact == NULL)
        return 0;
    rc = http_target_path(exact, size, out, sizeof(out), &out_len);
    if (rc == HTTP_TARGET_OK) {
        CHECK(out_len >= 1 && out_len <= sizeof(out));
        CHECK(out[0] == '/');
        for (i = 0; i < out_len; i++)
            CHECK((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] != 0x7f);
        check_store_path(out, out_len);
    } else {
        CHECK(rc == HTTP_TARGET_BAD || rc == HTTP_TARGET_TOO_LONG || rc == HTTP_TARGET_SLASH);
        CHECK(out_len == 12345); /* written only on success */
    }
    /* a small buffer: must answer TOO_LONG, never overflow */
    rc = http_target_path(exact, size, small, sizeof(small), &out_len);
    if (rc == HTTP_TARGET_OK)
        CHECK(out_len <= sizeof(small));

    check_store_path(exact, size);
    store_id_valid(exact, size);
    store_type_valid(exact, size);
    store_type_compressible(exact, size);
    store_encoding_parse(exact, size);
    if (store_digest_from_hex(exact, size, digest) == STORE_OK)
        CHECK(size == STORE_HEX_LEN);
    http_log_escape(exact, size, logbuf, sizeof(logbuf));
    CHECK(strlen(logbuf) < sizeof(logbuf));

    cs = fuzz_cstr((const char *)data, size);
    if (cs != NULL) {
        size_t before = strlen(cs), after = http_unescape_inplace(cs);

        CHECK(after <= before);
        CHECK(after == strlen(cs));
        free(cs);
    }
    free(exact);
    return 0;
}
