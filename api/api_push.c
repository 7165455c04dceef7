/*
 * api_push.c - the node API's push requests (see api.h): the canonical
 * encoders of the POST /v1/missing request and of the PUT
 * /v1/releases/<id> request. Their decoders are admin_body.c's (a fast
 * scanner for exactly what these encoders write, jansson for the rest).
 *
 * For: tools/node.c (origin-ingest's push and verify). Not for: the bundle
 * framing (admin_body.c), answers (api.c, api_answer.c), any transport.
 */
#include "api.h"
#include "api_internal.h"

#include <string.h>

#include <jansson.h>

char *api_missing_request_encode(const unsigned char (*digests)[STORE_DIGEST_LEN], size_t n,
                                 size_t *len)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr != NULL && i < n; i++) {
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(digests[i], hex);
        if (json_array_append_new(arr, json_string(hex)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr != NULL ? api__dump(json_pack("{s:o}", "digests", arr), len) : NULL;
}

char *api_release_request_encode(const struct store_file *files, size_t n, size_t *len)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr != NULL && i < n; i++) {
        const struct store_file *f = &files[i];
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(f->digest, hex);
        if (json_array_append_new(arr,
                                  json_pack("{s:s%,s:s,s:s%,s:I}", "path", f->path, f->path_len,
                                            "sha256", hex, "type", f->type, f->type_len,
                                            "published", (json_int_t)f->published)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr != NULL ? api__dump(json_pack("{s:o}", "files", arr), len) : NULL;
}
