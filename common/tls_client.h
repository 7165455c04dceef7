/*
 * tls_client.h - how origind's peer client and origin-ingest verify a
 * node's HTTPS certificate with libcurl: one place for the options, so both
 * clients are equally strict.
 *
 * Verification is never disabled: the peer's certificate must chain to the
 * CA file given (--cacert, --peer-cacert) or, without one, to the system's
 * CAs, and its name or IP address must match the URL's host. TLS 1.2 is
 * the oldest version accepted. A certificate that does not verify is an
 * error for that request, never a retry over plain HTTP.
 */
#ifndef ORIGIND_TLS_CLIENT_H
#define ORIGIND_TLS_CLIENT_H

#include <curl/curl.h>
#include <stddef.h>

/* Sets the verification options on e (call after every curl_easy_reset).
 * cacert: a PEM file of trusted CAs, or NULL for the system's. Returns
 * CURLE_OK or the first option curl refused. */
CURLcode tls_client_setopt(CURL *e, const char *cacert);

/* Checks before any transfer that cacert names a readable file holding at
 * least one PEM certificate. Returns 0, or -1 with a one-line reason in
 * err[0..errlen). */
int tls_client_check_cacert(const char *cacert, char *err, size_t errlen);

/* 1 if rc is a TLS failure that retrying cannot fix (the certificate does
 * not verify, no common protocol version, a bad CA file), else 0. */
int tls_client_fatal(CURLcode rc);

/* A one-line reason for a failed transfer: for the TLS failures above, says
 * which trust store was used (cacert or the system's) and what to do;
 * otherwise curl's message. Writes into buf[0..cap) and returns buf. */
const char *tls_client_strerror(CURLcode rc, const char *cacert, char *buf, size_t cap);

#endif /* ORIGIND_TLS_CLIENT_H */
