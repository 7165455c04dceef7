/*
 * hex.h - hexadecimal: bytes to lower-case digits and digits back to bytes.
 *
 * For: digests as text (store_digest_to_hex), token fingerprints, random
 * tokens, and the digit tables for one-byte escapes ("\xNN" in log lines,
 * "%NN" in URLs). Not for: percent-decoding (pct.h, which reads its digits
 * with hex_value()).
 *
 * Pure (libc only), no state: every function may be called from any thread.
 */
#ifndef ORIGIND_HEX_H
#define ORIGIND_HEX_H

#include <stddef.h>

/* The sixteen digits, lower case ("0123456789abcdef") and upper case
 * ("0123456789ABCDEF"), each NUL-terminated: hex_lower[b >> 4] and
 * hex_lower[b & 15] are the two digits of byte b. */
extern const char hex_lower[17];
extern const char hex_upper[17];

/* The value of one hex digit: 0..15 for '0'-'9', 'a'-'f' and 'A'-'F';
 * -1 for any other c (including EOF and negative chars). */
int hex_value(int c);

/* Writes the n bytes of in as 2 * n lower-case digits and a NUL into
 * out[0..2 * n]: out must hold 2 * n + 1 chars. Never fails. */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* Decodes len digits of in (either case; in need not be NUL-terminated)
 * into len / 2 bytes of out. Returns 0, or -1 when len is odd or a byte is
 * not a hex digit; out is written only on success. */
int hex_decode(const char *in, size_t len, unsigned char *out);

#endif /* ORIGIND_HEX_H */
