/*
 * tls.h - the server side of HTTPS: a listener's certificate and key,
 * checked at start and handed to libmicrohttpd (GnuTLS).
 *
 * With --admin-tls-cert/--admin-tls-key (or --tls-cert/--tls-key for the
 * public listener) that listener speaks only HTTPS: a plain-HTTP request on
 * it is a failed handshake and gets no answer. Protocol versions: TLS 1.3
 * and 1.2 only (TLS_PRIORITIES). The handshake is bounded by the same
 * --connection-timeout as an idle connection, so a client that never
 * finishes it holds its slot (and counts against the connection limits)
 * only that long. libmicrohttpd cannot sendfile() into a TLS session: large
 * bodies are then read from the store's file and encrypted in user space.
 *
 * Not for: the client side (common/tls_client.h).
 */
#ifndef ORIGIND_TLS_H
#define ORIGIND_TLS_H

#include <microhttpd.h>

/* GnuTLS priority string: modern protocol versions only. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls_pair; /* opaque: a certificate chain and its key, in memory */

/* Reads cert_file (PEM: the certificate, then any intermediates) and
 * key_file (PEM private key) for the listener named what ("admin",
 * "public"), and checks that libmicrohttpd was built with TLS, that both
 * parse and that the key belongs to the certificate (an expired
 * certificate is a warning). Returns 0 and *out (free with
 * tls_pair_free), or -1 with a one-line reason logged (not when memory ran
 * out). */
int tls_pair_load(const char *what, const char *cert_file, const char *key_file,
                  struct tls_pair **out);

/* The MHD_start_daemon flags p adds: MHD_USE_TLS, or 0 for NULL (plain). */
unsigned tls_mhd_flags(const struct tls_pair *p);

/* The options for MHD_OPTION_ARRAY: certificate, key and priorities,
 * terminated by MHD_OPTION_END; for NULL just the terminator. Valid while p
 * lives (p must outlive the daemon). */
struct MHD_OptionItem *tls_mhd_options(struct tls_pair *p);

/* Wipes the key and frees p. NULL is a no-op. */
void tls_pair_free(struct tls_pair *p);

#endif /* ORIGIND_TLS_H */
