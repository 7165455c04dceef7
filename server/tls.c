/*
 * tls.c - loads and checks a TLS listener's certificate and key and turns
 * them into libmicrohttpd options (tls.h). OpenSSL's PEM parser does the
 * checking, so a wrong file fails at start with a reason instead of
 * libmicrohttpd's bare "cannot start".
 *
 * Not for: verifying peers' certificates (common/tls_client.c).
 */
#include "tls.h"

#include "log.h"
#include "secret_file.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_MAX (1024 * 1024)

struct tls_pair {
    char *cert, *key; /* NUL-terminated PEM */
    size_t cert_len, key_len;
    struct MHD_OptionItem opts[4];
};

/* Reads path whole (at most PEM_MAX bytes), NUL-terminated. Returns the
 * malloc'd text or NULL (logged). */
static char *read_pem(const char *what, const char *kind, const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t n;

    if (f == NULL) {
        log_error("%s listener: cannot open TLS %s %s: %s", what, kind, path, strerror(errno));
        return NULL;
    }
    buf = malloc(PEM_MAX + 1);
    if (buf == NULL)
        goto out;
    n = fread(buf, 1, PEM_MAX + 1, f);
    if (ferror(f) || n > PEM_MAX || n == 0) {
        log_error("%s listener: TLS %s %s: %s", what, kind, path,
                  ferror(f) ? "read error"
                  : n == 0  ? "empty"
                            : "larger than 1 MiB");
        OPENSSL_cleanse(buf, PEM_MAX + 1);
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    *len = n;
out:
    fclose(f);
    return buf;
}

int tls_pair_load(const char *what, const char *cert_file, const char *key_file,
                  struct tls_pair **out)
{
    struct tls_pair *p = NULL;
    BIO *cb = NULL, *kb = NULL;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = -1;

    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        log_error("%s listener: this libmicrohttpd was built without TLS (GnuTLS): cannot serve "
                  "HTTPS",
                  what);
        return -1;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    p->cert = read_pem(what, "certificate", cert_file, &p->cert_len);
    if (p->cert == NULL)
        goto out;
    p->key = read_pem(what, "key", key_file, &p->key_len);
    if (p->key == NULL)
        goto out;
    cb = BIO_new_mem_buf(p->cert, (int)p->cert_len);
    kb = BIO_new_mem_buf(p->key, (int)p->key_len);
    if (cb == NULL || kb == NULL)
        goto out;
    x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    if (x == NULL) {
        log_error("%s listener: %s holds no PEM certificate", what, cert_file);
        goto out;
    }
    k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    if (k == NULL) {
        log_error("%s listener: %s holds no unencrypted PEM private key", what, key_file);
        goto out;
    }
    if (X509_check_private_key(x, k) != 1) {
        log_error("%s listener: the key in %s does not belong to the certificate in %s", what,
                  key_file, cert_file);
        goto out;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
        log_warn("%s listener: the certificate in %s has expired: clients will refuse it", what,
                 cert_file);
    p->opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, p->cert};
    p->opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, p->key};
    p->opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
    p->opts[3] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    *out = p;
    p = NULL;
    rc = 0;
out:
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    tls_pair_free(p);
    return rc;
}

unsigned tls_mhd_flags(const struct tls_pair *p)
{
    return p != NULL ? (unsigned)MHD_USE_TLS : 0u;
}

struct MHD_OptionItem *tls_mhd_options(struct tls_pair *p)
{
    static struct MHD_OptionItem none[1] = {{MHD_OPTION_END, 0, NULL}};

    return p != NULL ? p->opts : none;
}

void tls_pair_free(struct tls_pair *p)
{
    if (p == NULL)
        return;
    free(p->cert);
    secret_free(p->key, p->key_len + 1);
    free(p);
}
