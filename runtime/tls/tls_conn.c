/* One TLS connection over the caller's ciphertext buffers: a BIO whose read
 * side drains `in` and whose write side fills `out`, so the event loop moves
 * bytes in and out with no socket, and sends straight from `out`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tls_int.h"

/* ---- the BIO: ciphertext in and out, bounded by the caller's buffers ---- */

static int conn_bio_read(BIO *bio, char *buf, int len)
{
  struct tls_conn *c = BIO_get_data(bio);
  size_t avail = c->in_tail - c->in_head;
  BIO_clear_retry_flags(bio);
  if (avail == 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = avail < (size_t)len ? avail : (size_t)len;
  memcpy(buf, c->in + c->in_head, n);
  c->in_head += n;
  if (c->in_head == c->in_tail)
    c->in_head = c->in_tail = 0;
  return (int)n;
}

static int conn_bio_write(BIO *bio, const char *buf, int len)
{
  struct tls_conn *c = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (c->out_cap - c->out_tail < (size_t)len && c->out_head > 0) {
    memmove(c->out, c->out + c->out_head, c->out_tail - c->out_head);
    c->out_tail -= c->out_head;
    c->out_head = 0;
  }
  size_t room = c->out_cap - c->out_tail;
  if (room == 0) {
    BIO_set_retry_write(bio);
    return -1;
  }
  size_t n = room < (size_t)len ? room : (size_t)len;
  memcpy(c->out + c->out_tail, buf, n);
  c->out_tail += n;
  return (int)n;
}

static long conn_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
  struct tls_conn *c = BIO_get_data(bio);
  (void)num, (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_PENDING:
    return (long)(c->in_tail - c->in_head);
  case BIO_CTRL_WPENDING:
    return (long)(c->out_tail - c->out_head);
  default:
    return 0;
  }
}

static int conn_bio_create(BIO *bio)
{
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD *tls_conn_bio_method(void)
{
  BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | 0x80, "zsrt ciphertext buffers");
  if (m && (!BIO_meth_set_write(m, conn_bio_write) || !BIO_meth_set_read(m, conn_bio_read) ||
            !BIO_meth_set_ctrl(m, conn_bio_ctrl) || !BIO_meth_set_create(m, conn_bio_create))) {
    BIO_meth_free(m);
    m = NULL;
  }
  return m;
}

/* ---- errors ---- */

static void conn_info_cb(const SSL *ssl, int where, int ret)
{
  (void)ret;
  struct tls_conn *c = SSL_get_app_data(ssl);
  if (c && (where & SSL_CB_HANDSHAKE_START))
    c->handshakes_started++;
}

/* the library's reason, with the callbacks' hint turned into an errno */
static int conn_fail(struct tls_conn *c, int fallback, const char *why)
{
  unsigned long e = ERR_peek_error();
  int reason = e ? ERR_GET_REASON(e) : 0;
  int r = fallback;
  if (c->fail_hint == TLS_HINT_NO_CERT)
    r = -ENOENT, why = "no certificate for the requested server name";
  else if (c->fail_hint == TLS_HINT_NO_CHALLENGE)
    r = -ENOENT, why = "acme-tls/1 for a name without a TLS-ALPN-01 challenge";
  else if (c->fail_hint == TLS_HINT_ALPN)
    r = -ENOPROTOOPT, why = "no application protocol in common";
  else if (c->fail_hint == TLS_HINT_CLIENT_CERT || reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
           reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
    r = -EACCES;
  if (why)
    snprintf(c->reason, sizeof c->reason, "%s", why);
  else if (e)
    ERR_error_string_n(e, c->reason, sizeof c->reason);
  else
    snprintf(c->reason, sizeof c->reason, "%s", strerror(-r));
  ERR_clear_error();
  if (!c->failed)
    c->failed = r;
  return c->failed;
}

/* maps the result of an SSL_* call: -EAGAIN to wait for bytes, 0 for a clean
 * close, or the connection's sticky failure */
static int conn_result(struct tls_conn *c, int ret)
{
  switch (SSL_get_error(c->ssl, ret)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    ERR_clear_error();
    return -EAGAIN;
  case SSL_ERROR_ZERO_RETURN:
    c->peer_closed = 1;
    ERR_clear_error();
    return 0;
  case SSL_ERROR_SYSCALL:
    return conn_fail(c, -EPIPE, ERR_peek_error() ? NULL : "connection ended without close_notify");
  default:
    return conn_fail(c, -EPROTO, NULL);
  }
}

/* TLS 1.2 renegotiation: the library refuses it; a second handshake start
 * fails the connection too, whatever the library did with the attempt */
static int conn_check_renegotiation(struct tls_conn *c)
{
  if (c->handshakes_started > 1 && SSL_version(c->ssl) < TLS1_3_VERSION) {
    c->fail_hint = TLS_HINT_NONE;
    return conn_fail(c, -EPROTO, "renegotiation refused");
  }
  return 0;
}

/* ---- the interface ---- */

int tls_conn_init(struct tls_conn *c, struct tls_ctx *ctx, uint8_t *in, size_t in_cap, uint8_t *out, size_t out_cap)
{
  memset(c, 0, sizeof *c);
  if (in_cap < TLS_CONN_IN_MIN || out_cap < TLS_CONN_OUT_MIN)
    return -EINVAL;
  SSL *ssl = SSL_new(tls_ctx_initial(ctx));
  BIO *bio = ssl ? BIO_new(ctx->bio_method) : NULL;
  if (!bio) {
    SSL_free(ssl);
    ERR_clear_error();
    return -ENOMEM;
  }
  *c = (struct tls_conn){.ssl = ssl, .ctx = ctx, .in = in, .in_cap = in_cap, .out = out, .out_cap = out_cap};
  BIO_set_data(bio, c);
  SSL_set_bio(ssl, bio, bio);
  SSL_set_app_data(ssl, c);
  SSL_set_info_callback(ssl, conn_info_cb);
  SSL_set_accept_state(ssl);
  return 0;
}

void tls_conn_set_local_name(struct tls_conn *c, const char *ip)
{
  snprintf(c->local_name, sizeof c->local_name, "%s", ip);
}

void tls_conn_free(struct tls_conn *c)
{
  SSL_free(c->ssl);
  c->ssl = NULL;
}

static int conn_handshake(struct tls_conn *c)
{
  if (c->handshake_done)
    return 1;
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    c->handshake_done = 1;
    return 1;
  }
  r = conn_result(c, r);
  return r == 0 ? conn_fail(c, -EPIPE, "closed during the handshake") : r;
}

ssize_t tls_conn_feed(struct tls_conn *c, const void *bytes, size_t len)
{
  if (c->failed)
    return c->failed;
  if (c->in_head > 0 && c->in_cap - c->in_tail < len) {
    memmove(c->in, c->in + c->in_head, c->in_tail - c->in_head);
    c->in_tail -= c->in_head;
    c->in_head = 0;
  }
  size_t n = c->in_cap - c->in_tail < len ? c->in_cap - c->in_tail : len;
  memcpy(c->in + c->in_tail, bytes, n);
  c->in_tail += n;
  if (!c->handshake_done) {
    int r = conn_handshake(c);
    if (r < 0 && r != -EAGAIN)
      return r;
  }
  return (ssize_t)n;
}

ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t cap)
{
  if (c->failed)
    return c->failed;
  if (c->peer_closed)
    return 0;
  if (!c->handshake_done) {
    int r = conn_handshake(c);
    if (r <= 0)
      return r;
  }
  int n = SSL_read(c->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
  int bad = conn_check_renegotiation(c);
  if (bad)
    return bad;
  return n > 0 ? n : conn_result(c, n);
}

ssize_t tls_conn_write(struct tls_conn *c, const void *plain, size_t len)
{
  if (c->failed)
    return c->failed;
  if (!c->handshake_done)
    return -EAGAIN;
  size_t done = 0;
  /* one record at a time, only when out can hold it whole, so the library
   * never keeps a half-written record of ours it would want retried */
  while (done < len) {
    size_t free_room = c->out_cap - (c->out_tail - c->out_head);
    size_t chunk = len - done < TLS_RECORD_MAX_PLAIN ? len - done : TLS_RECORD_MAX_PLAIN;
    if (free_room < chunk + (TLS_CONN_OUT_MIN - TLS_RECORD_MAX_PLAIN))
      break;
    int n = SSL_write(c->ssl, (const uint8_t *)plain + done, (int)chunk);
    if (n <= 0) {
      int r = conn_result(c, n);
      if (done == 0)
        return r == 0 ? -EPIPE : r;
      break;
    }
    done += (size_t)n;
  }
  return done ? (ssize_t)done : -EAGAIN;
}

void tls_conn_pending_out(const struct tls_conn *c, const uint8_t **ptr, size_t *len)
{
  *ptr = c->out + c->out_head;
  *len = c->out_tail - c->out_head;
}

void tls_conn_consume_out(struct tls_conn *c, size_t n)
{
  size_t have = c->out_tail - c->out_head;
  c->out_head += n < have ? n : have;
  if (c->out_head == c->out_tail)
    c->out_head = c->out_tail = 0;
}

/* May be called again: a close_notify that did not fit in out (-EAGAIN) is
 * written by the next call; waiting for the peer's answer is not an error. */
int tls_conn_shutdown(struct tls_conn *c)
{
  if (c->failed)
    return c->failed;
  if (!c->handshake_done)
    return -ENOTCONN;
  int r = SSL_shutdown(c->ssl);
  if (r >= 0)
    return 0;
  switch (SSL_get_error(c->ssl, r)) {
  case SSL_ERROR_WANT_WRITE:
    ERR_clear_error();
    return -EAGAIN;
  case SSL_ERROR_WANT_READ:
    ERR_clear_error();
    return 0;
  default:
    return conn_fail(c, -EPIPE, NULL);
  }
}

static const char *conn_version_name(int v)
{
  return v == TLS1_3_VERSION ? "tls1.3" : v == TLS1_2_VERSION ? "tls1.2" : "";
}

/* a name in RFC 2253 form (last RDN first, comma-separated), as Go prints pkix.Name */
static void conn_name_text(X509_NAME *name, char *out, size_t cap)
{
  out[0] = '\0';
  BIO *bio = BIO_new(BIO_s_mem());
  if (!bio)
    return;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
    int n = BIO_read(bio, out, (int)cap - 1);
    out[n > 0 ? n : 0] = '\0';
  }
  BIO_free(bio);
}

static void conn_peer_details(X509 *peer, struct tls_conn_info *info)
{
  conn_name_text(X509_get_subject_name(peer), info->peer_subject, sizeof info->peer_subject);
  conn_name_text(X509_get_issuer_name(peer), info->peer_issuer, sizeof info->peer_issuer);
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(peer), NULL);
  char *dec = bn ? BN_bn2dec(bn) : NULL;
  snprintf(info->peer_serial, sizeof info->peer_serial, "%s", dec ? dec : "");
  OPENSSL_free(dec);
  BN_free(bn);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  if (X509_digest(peer, EVP_sha256(), md, &md_len) == 1)
    for (unsigned i = 0; i < md_len && i < 32; i++)
      snprintf(info->peer_fingerprint + 2 * i, 3, "%02x", md[i]);
  ERR_clear_error();
}

int tls_conn_info(const struct tls_conn *c, struct tls_conn_info *info)
{
  memset(info, 0, sizeof *info);
  SSL *ssl = c->ssl;
  const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const uint8_t *alpn = NULL;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
  info->sni = sni ? sni : "";
  info->alpn = alpn_len ? (const char *)alpn : "";
  info->alpn_len = alpn_len;
  info->version = c->handshake_done ? conn_version_name(SSL_version(ssl)) : "";
  info->cipher = cipher ? SSL_CIPHER_standard_name(cipher) : "";
  info->cipher_id = cipher ? (uint16_t)SSL_CIPHER_get_protocol_id(cipher) : 0;
  info->resumed = SSL_session_reused(ssl) == 1;
  X509 *peer = tls_peer_certificate(ssl);
  info->peer_cert = peer != NULL;
  if (peer)
    conn_peer_details(peer, info);
  info->peer_verified = peer && SSL_get_verify_result(ssl) == X509_V_OK &&
                        (c->ctx->client_auth == TLS_CLIENT_AUTH_VERIFY_IF_GIVEN ||
                         c->ctx->client_auth == TLS_CLIENT_AUTH_REQUIRE_AND_VERIFY);
  X509_free(peer);
  return c->handshake_done ? 0 : -EAGAIN;
}
