/*
 * tls_client.c - libcurl's certificate verification, set up one way for
 * origind's peer client and for origin-ingest (rules in tls_client.h).
 *
 * Not for: the server side of TLS (server/tls.c, libmicrohttpd + GnuTLS).
 */
#include "tls_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

CURLcode tls_client_setopt(CURL *e, const char *cacert)
{
    CURLcode rc;

    rc = curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (rc == CURLE_OK && cacert != NULL)
        rc = curl_easy_setopt(e, CURLOPT_CAINFO, cacert);
    return rc;
}

int tls_client_check_cacert(const char *cacert, char *err, size_t errlen)
{
    char buf[8192];
    size_t n;
    FILE *f = fopen(cacert, "r");
    int found = 0;

    if (f == NULL) {
        snprintf(err, errlen, "cannot open CA file %s: %s", cacert, strerror(errno));
        return -1;
    }
    /* a PEM file: look for the first certificate header */
    while (!found && (n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
        buf[n] = '\0';
        found = strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL;
        if (n < sizeof(buf) - 1)
            break;
        /* keep the tail: a header may straddle two reads */
        if (!found && fseek(f, -40L, SEEK_CUR) != 0)
            break;
    }
    fclose(f);
    if (!found) {
        snprintf(err, errlen, "CA file %s holds no PEM certificate", cacert);
        return -1;
    }
    return 0;
}

int tls_client_fatal(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
        return 1;
    default:
        return 0;
    }
}

const char *tls_client_strerror(CURLcode rc, const char *cacert, char *buf, size_t cap)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(buf, cap,
                 "TLS: the node's certificate does not verify against %s%s (wrong CA, wrong "
                 "host name, or expired)",
                 cacert != NULL ? "the CA file " : "the system's CAs",
                 cacert != NULL ? cacert : "; pass --cacert");
        break;
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(buf, cap, "TLS: cannot use the CA file %s", cacert != NULL ? cacert : "(system)");
        break;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(buf, cap,
                 "TLS handshake failed (%s): is the node speaking HTTPS, TLS 1.2 or later?",
                 curl_easy_strerror(rc));
        break;
    default:
        snprintf(buf, cap, "%s", curl_easy_strerror(rc));
        break;
    }
    return buf;
}
