/*
 * store_internal.h - declarations shared by the store's own .c files.
 *
 * For: the fault-injection hooks and the variant decoder, which store.c and
 * store_codec.c both use. Not for: anything outside store/ (use store.h).
 */
#ifndef ORIGIND_STORE_INTERNAL_H
#define ORIGIND_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* 1 if an armed fault at point fires now (its countdown reached zero);
 * always 0 in a build without ORIGIND_TEST_HOOKS (store_fault.c). */
int store__fault_hit(enum store_fault_point point);

/* malloc through the ALLOC fault point. Returns NULL and sets *err to
 * STORE_EFAULT (injected) or STORE_ENOMEM (real failure); caller frees. */
void *store__alloc(size_t n, int *err);

#ifdef ORIGIND_TEST_HOOKS
/* Arms fault counters from a spec such as "commit:3" or "write:1,alloc:5".
 * Unknown or malformed items are ignored. Test builds only. */
void store__fault_from_env(const char *spec);
#endif

/* Decodes data (enc: STORE_ENC_GZIP or STORE_ENC_BR) in a streaming pass,
 * hashing the output, and checks it is exactly size bytes with SHA-256
 * digest. Never produces more than size + 1 bytes. Trailing bytes after the
 * compressed stream are refused.
 * Returns STORE_OK, STORE_EVARIANT, STORE_EINVAL (bad enc), STORE_ENOMEM,
 * STORE_EFAULT. */
int store__variant_verify(int enc, const void *data, size_t len, uint64_t size,
                          const unsigned char digest[STORE_DIGEST_LEN]);

#endif /* ORIGIND_STORE_INTERNAL_H */
