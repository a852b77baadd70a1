/* What the TLS tests share: a scratch PKI made by the local CA (a server CA,
 * a client CA and a stranger CA), a client built on the library's own SSL
 * API over memory BIOs, and the pump that moves bytes between it and a
 * server tls_conn until both sides settle. */
#ifndef TLS_TEST_H
#define TLS_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "runtime/tls/tls.h"
#include "runtime/tls/tls_ca.h"
#include "testsuite/check.h"

struct test_pki {
  char dir[512];
  struct tls_ca ca;                        /* signs the server certificates */
  char *root_pem;
};

static inline int test_pki_open(struct test_pki *p, const char *what)
{
  char err[256];
  test_tmp_name(p->dir, sizeof p->dir, what);
  struct tls_ca_config cfg = {.storage = p->dir};
  if (tls_ca_open(&p->ca, &cfg, time(NULL), err, sizeof err) < 0)
    return fprintf(stderr, "ca: %s\n", err), -1;
  p->root_pem = tls_ca_root_pem(&p->ca);
  return 0;
}

static inline void test_pki_close(struct test_pki *p)
{
  char cmd[700];
  tls_ca_close(&p->ca);
  free(p->root_pem);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", p->dir);
}

static inline struct tls_ca_leaf test_issue(struct test_pki *p, const char *name)
{
  struct tls_ca_leaf leaf;
  char err[256];
  const char *names[] = {name};
  if (tls_ca_issue(&p->ca, names, 1, time(NULL), &leaf, err, sizeof err) < 0) {
    fprintf(stderr, "issue %s: %s\n", name, err);
    exit(1);
  }
  return leaf;
}

/* a context serving one leaf for name from a scratch CA that is gone again
 * (the context holds what it needs): the fuzz targets' server; aborts */
static inline struct tls_ctx *test_scratch_ctx(const char *what, const char *name)
{
  struct test_pki pki;
  if (test_pki_open(&pki, what) < 0)
    abort();
  struct tls_ca_leaf leaf = test_issue(&pki, name);
  struct tls_cert_source src = {.chain_pem = leaf.chain_pem, .key_pem = leaf.key_pem};
  struct tls_ctx_config cfg = {.certs = &src, .cert_count = 1};
  char err[TLS_REASON_MAX];
  struct tls_ctx *ctx = tls_ctx_new(&cfg, err, sizeof err);
  tls_ca_leaf_free(&leaf);
  test_pki_close(&pki);
  if (!ctx)
    abort();
  return ctx;
}

/* ---- the client ---- */

struct test_client_opts {
  const char *sni;
  const char *alpn;                        /* wire format, NULL: none */
  size_t alpn_len;
  int version;                             /* 0: any; else TLS1_2_VERSION / TLS1_3_VERSION */
  const char *trust_pem;                   /* root to verify the server with */
  const struct tls_ca_leaf *cert;          /* client certificate */
  SSL_SESSION *session;                    /* to resume */
  const char *groups;                      /* key exchange groups, NULL: the library's */
  const char *ciphers;                     /* TLS 1.2 cipher list, NULL: the library's */
};

struct test_client {
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *rbio, *wbio;
};

static inline int test_pem_into(SSL_CTX *ctx, const char *pem, int as_chain)
{
  BIO *bio = BIO_new_mem_buf(pem, -1);
  X509 *x;
  int n = 0;
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
    if (as_chain)
      n++ == 0 ? SSL_CTX_use_certificate(ctx, x) : SSL_CTX_add_extra_chain_cert(ctx, X509_dup(x));
    else
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x), n++;
    X509_free(x);
  }
  ERR_clear_error();
  BIO_free(bio);
  return n;
}

static inline void test_client_init(struct test_client *cl, const struct test_client_opts *o)
{
  memset(cl, 0, sizeof *cl);
  cl->ctx = SSL_CTX_new(TLS_method());
  if (o->version) {
    SSL_CTX_set_min_proto_version(cl->ctx, (uint16_t)o->version);
    SSL_CTX_set_max_proto_version(cl->ctx, (uint16_t)o->version);
  }
  if (o->trust_pem) {
    test_pem_into(cl->ctx, o->trust_pem, 0);
    SSL_CTX_set_verify(cl->ctx, SSL_VERIFY_PEER, NULL);
  }
  if (o->cert) {
    test_pem_into(cl->ctx, o->cert->chain_pem, 1);
    BIO *kb = BIO_new_mem_buf(o->cert->key_pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    SSL_CTX_use_PrivateKey(cl->ctx, k);
    EVP_PKEY_free(k);
    BIO_free(kb);
  }
  cl->ssl = SSL_new(cl->ctx);
  cl->rbio = BIO_new(BIO_s_mem());
  cl->wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(cl->ssl, cl->rbio, cl->wbio);
  SSL_set_connect_state(cl->ssl);
  if (o->sni)
    SSL_set_tlsext_host_name(cl->ssl, o->sni);
  if (o->alpn)
    SSL_set_alpn_protos(cl->ssl, (const uint8_t *)o->alpn, (unsigned)o->alpn_len);
  if (o->session)
    SSL_set_session(cl->ssl, o->session);
  if (o->groups)
    SSL_set1_curves_list(cl->ssl, o->groups);
  if (o->ciphers)
    SSL_set_cipher_list(cl->ssl, o->ciphers);
}

static inline void test_client_free(struct test_client *cl)
{
  SSL_free(cl->ssl);
  SSL_CTX_free(cl->ctx);
  ERR_clear_error();
}

/* server -> client and client -> server, until nothing moves; returns the
 * server's last error (< 0) or 0 */
static inline int test_pump(struct test_client *cl, struct tls_conn *s)
{
  int server_rc = 0;
  for (int round = 0; round < 64; round++) {
    int moved = 0;
    if (!SSL_is_init_finished(cl->ssl))
      SSL_do_handshake(cl->ssl);
    char buf[16384];
    int n;
    while ((n = BIO_read(cl->wbio, buf, sizeof buf)) > 0) {
      moved = 1;
      for (int off = 0; off < n;) {
        ssize_t t = tls_conn_feed(s, buf + off, (size_t)(n - off));
        if (t < 0) {
          server_rc = (int)t;
          break;
        }
        off += (int)t;
        if (t == 0) {
          char plain[4096];
          while (tls_conn_read(s, plain, sizeof plain) > 0) /* make room */
            ;
        }
      }
      if (server_rc < 0)
        break;
    }
    const uint8_t *p;
    size_t len;
    tls_conn_pending_out(s, &p, &len);
    if (len) {
      moved = 1;
      BIO_write(cl->rbio, p, (int)len);
      tls_conn_consume_out(s, len);
    }
    if (!moved && (server_rc < 0 || (s->handshake_done && SSL_is_init_finished(cl->ssl))))
      break;
    if (!moved && round > 4)
      break;
  }
  ERR_clear_error();
  return server_rc ? server_rc : s->failed;
}

#define TEST_ALPN(s) (s), sizeof(s) - 1

#endif
