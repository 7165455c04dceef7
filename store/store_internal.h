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

/* Bytes of LMDB's meta page 0 that no commit changes: the page header
 * (16: page number, flags, bounds), mm_magic and mm_version (8). The rest
 * (mm_address, mm_mapsize, the two root databases from byte 40, the last
 * page and txn id) is rewritten by every other commit of any writer. */
#define STORE__META_STABLE_LEN 24

/* 1 if a and b (STORE__META_STABLE_LEN bytes each: the start of the data
 * file and of a candidate mapping) are the same environment's meta page 0,
 * whatever commits happened between the two reads; 0 otherwise. */
int store__meta_same_env(const unsigned char *a, const unsigned char *b);

/* 1 if an armed fault at point fires now (its countdown reached zero). */
int store__fault_hit(enum store_fault_point point);

/* malloc through the ALLOC fault point. Returns NULL and sets *err to
 * STORE_EFAULT (injected) or STORE_ENOMEM (real failure); caller frees. */
void *store__alloc(size_t n, int *err);

/* Arms fault counters from a spec such as "commit:3" or "write:1,alloc:5".
 * Unknown or malformed items are ignored. */
void store__fault_from_env(const char *spec);

/* Decodes data (enc: STORE_ENC_GZIP or STORE_ENC_BR) in a streaming pass,
 * hashing the output, and checks it is exactly size bytes with SHA-256
 * digest. Never produces more than size + 1 bytes. Trailing bytes after the
 * compressed stream are refused.
 * Returns STORE_OK, STORE_EVARIANT, STORE_EINVAL (bad enc), STORE_ENOMEM,
 * STORE_EFAULT. */
int store__variant_verify(int enc, const void *data, size_t len, uint64_t size,
                          const unsigned char digest[STORE_DIGEST_LEN]);

#endif /* ORIGIND_STORE_INTERNAL_H */
