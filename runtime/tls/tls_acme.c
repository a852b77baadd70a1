/* TLS-ALPN-01 (RFC 8737) in the TLS listener: a ClientHello that offers only
 * acme-tls/1 is a CA validating a name, answered with the challenge
 * certificate the certificate manager published (found through the
 * context's acme_challenge hook), with acme-tls/1 negotiated, no ticket, and
 * the connection closed once the handshake is done (conn_tls.c). The
 * certificate is set on the connection, so the SNI callback leaves it. */
#include <string.h>

#include <openssl/pem.h>

#include "tls_int.h"

#define TLS_ACME_PEM_MAX 8192

/* the ALPN extension's list is exactly one entry, acme-tls/1 */
static int acme_only(const uint8_t *ext, size_t len)
{
  static const uint8_t want[] = "\x00\x0b\x0a" TLS_ACME_PROTO;
  return ext && len == sizeof want - 1 && memcmp(ext, want, len) == 0;
}

static int acme_use(SSL *ssl, const char *pem, int len)
{
  BIO *bio = BIO_new_mem_buf(pem, len);
  X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  EVP_PKEY *key = x ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  int ok = key && SSL_use_certificate(ssl, x) == 1 && SSL_use_PrivateKey(ssl, key) == 1;
  EVP_PKEY_free(key);
  X509_free(x);
  BIO_free(bio);
  ERR_clear_error();
  return ok ? 0 : -1;
}

int tls_acme_hello(SSL *ssl, struct tls_conn *c, const char *sni, const uint8_t *alpn_ext, size_t alpn_len)
{
  if (!acme_only(alpn_ext, alpn_len))
    return 0;
  char pem[TLS_ACME_PEM_MAX];
  int len = c->ctx->acme_challenge && sni[0] ? c->ctx->acme_challenge(c->ctx->acme_arg, sni, pem, sizeof pem) : -1;
  if (len <= 0 || acme_use(ssl, pem, len) < 0) {
    c->fail_hint = TLS_HINT_NO_CHALLENGE;
    return -1;
  }
  SSL_set_options(ssl, SSL_OP_NO_TICKET);
  c->acme_challenge = 1;
  return 1;
}
