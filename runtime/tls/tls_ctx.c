/* The server context: one library SSL_CTX per certificate, all configured
 * alike (Caddy's protocol, cipher and curve defaults, ALPN, client auth,
 * tickets), and the SNI callback that picks the certificate per handshake. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

struct tls_name_row {
  const char *caddy, *lib;
  int rank;
};
static const struct tls_name_row tls_cipher_rows[] = {
#define TLS_CIPHER(iana, lib, rank) {iana, lib, rank},
#include "tls_names.def"
#undef TLS_CIPHER
};
static const struct tls_name_row tls_curve_rows[] = {
#define TLS_CURVE(caddy, lib, rank) {caddy, lib, rank},
#include "tls_names.def"
#undef TLS_CURVE
};
static const struct {
  const char *caddy;
  int version;
} tls_protocol_rows[] = {
#define TLS_PROTOCOL(caddy, v) {caddy, v},
#include "tls_names.def"
#undef TLS_PROTOCOL
};
#define TLS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int ctx_fail(char *err, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  unsigned long e = ERR_peek_last_error();
  if (e) {
    size_t n = strlen(err);
    if (n + 3 < cap) {
      snprintf(err + n, cap - n, ": ");
      ERR_error_string_n(e, err + n + 2, cap - n - 2);
    }
  }
  ERR_clear_error();
  return -EINVAL;
}

const char *tls_library_name(void)
{
  return TLS_LIBRARY_NAME();
}

/* "a:b:c" from the rows named in `names`, or the default-ranked rows */
static int ctx_join_names(const struct tls_name_row *rows, size_t nrows, const char *const *names, size_t count,
                          char *out, size_t cap, char *err, size_t errcap)
{
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < (count ? count : nrows); i++) {
    const struct tls_name_row *row = NULL;
    for (size_t j = 0; j < nrows && !row; j++) {
      if (count ? strcasecmp(rows[j].caddy, names[i]) == 0 : rows[j].rank == (int)i + 1)
        row = &rows[j];
    }
    if (!row && count)
      return ctx_fail(err, errcap, "unsupported name: %s", names[i]);
    if (!row)
      continue;
    n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? ":" : "", row->lib);
  }
  return n < cap ? 0 : ctx_fail(err, errcap, "name list too long");
}

static int ctx_protocol(const char *name, int fallback)
{
  if (!name)
    return fallback;
  for (size_t i = 0; i < TLS_COUNT(tls_protocol_rows); i++) {
    if (strcmp(tls_protocol_rows[i].caddy, name) == 0)
      return tls_protocol_rows[i].version;
  }
  return -1;
}

/* ---- certificate selection (SNI) ---- */

void tls_name_lower(char *dst, size_t cap, const char *src, size_t len)
{
  size_t n = len < cap - 1 ? len : cap - 1;
  for (size_t i = 0; i < n; i++)
    dst[i] = (char)tolower((unsigned char)src[i]);
  dst[n] = '\0';
}

static long ctx_find_exact(const struct tls_ctx *ctx, const char *name)
{
  for (size_t i = 0; i < ctx->cert_count; i++) {
    for (size_t j = 0; j < ctx->certs[i].name_count; j++) {
      if (strcmp(ctx->certs[i].names[j], name) == 0)
        return (long)i;
    }
  }
  return -1;
}

/* exact name first, then the one-label wildcard (*.example.com covers
 * a.example.com, not a.b.example.com nor example.com), as certmagic does */
static long ctx_find_cert(const struct tls_ctx *ctx, const char *sni)
{
  char name[TLS_NAME_MAX];
  tls_name_lower(name, sizeof name, sni, strlen(sni));
  long i = ctx_find_exact(ctx, name);
  const char *dot = strchr(name, '.');
  if (i < 0 && dot && dot[1] && dot != name) {
    char wild[TLS_NAME_MAX + 2];
    snprintf(wild, sizeof wild, "*%s", dot);
    i = ctx_find_exact(ctx, wild);
  }
  return i;
}

static int ctx_servername_cb(SSL *ssl, int *alert, void *arg)
{
  struct tls_ctx *ctx = arg;
  struct tls_conn *c = SSL_get_app_data(ssl);
  const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  long i;
  if (c && c->acme_challenge)
    return SSL_TLSEXT_ERR_OK;              /* the challenge certificate is set on the connection */
  if (sni && sni[0]) {
    i = ctx_find_cert(ctx, sni);
  } else {
    i = c && c->local_name[0] ? ctx_find_cert(ctx, c->local_name) : -1;
    if (i < 0 && ctx->default_sni[0])
      i = ctx_find_cert(ctx, ctx->default_sni);
    if (i < 0)
      i = (long)ctx->default_cert;         /* an old client: any certificate beats none */
  }
  if (i < 0 || ctx->no_cert) {
    if (c)
      c->fail_hint = TLS_HINT_NO_CERT;
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (SSL_get_SSL_CTX(ssl) != ctx->certs[i].ssl_ctx)
    SSL_set_SSL_CTX(ssl, ctx->certs[i].ssl_ctx);
  return SSL_TLSEXT_ERR_OK;
}

/* ---- ALPN: the first of the server's protocols the client offers ---- */

static int alpn_offered(const uint8_t *in, unsigned inlen, const uint8_t *p, size_t n)
{
  for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
    if (i + 1u + in[i] <= inlen && in[i] == n && memcmp(in + i + 1, p, n) == 0)
      return 1;
  }
  return 0;
}

static int ctx_alpn_cb(SSL *ssl, const uint8_t **out, uint8_t *outlen, const uint8_t *in, unsigned inlen, void *arg)
{
  struct tls_ctx *ctx = arg;
  int h2_server = 0;
  struct tls_conn *conn = SSL_get_app_data(ssl);
  if (conn && conn->acme_challenge && alpn_offered(in, inlen, (const uint8_t *)TLS_ACME_PROTO, 10)) {
    *out = in + 1;                         /* the only protocol offered */
    *outlen = in[0];
    return SSL_TLSEXT_ERR_OK;
  }
  for (size_t i = 0; i < ctx->alpn_len; i += 1u + ctx->alpn[i]) {
    const uint8_t *p = ctx->alpn + i + 1;
    if (alpn_offered(in, inlen, p, ctx->alpn[i])) {
      *out = p;
      *outlen = ctx->alpn[i];
      return SSL_TLSEXT_ERR_OK;
    }
    h2_server |= ctx->alpn[i] == 2 && memcmp(p, "h2", 2) == 0;
  }
  /* Go's rule, so as Caddy: an http/1.1 client of an h2-only server connects without ALPN */
  if (ctx->alpn_len == 0 || (h2_server && alpn_offered(in, inlen, (const uint8_t *)"http/1.1", 8)))
    return SSL_TLSEXT_ERR_NOACK;
  struct tls_conn *c = SSL_get_app_data(ssl);
  if (c)
    c->fail_hint = TLS_HINT_ALPN;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int ctx_alpn_wire(struct tls_ctx *ctx, const struct tls_ctx_config *cfg, char *err, size_t errcap)
{
  static const char *const defaults[] = {"h2", "http/1.1"};
  const char *const *list = cfg->alpn_count ? cfg->alpn : defaults;
  size_t count = cfg->alpn_count ? cfg->alpn_count : 2;
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(list[i]);
    if (n == 0 || n > 255 || ctx->alpn_len + 1 + n > sizeof ctx->alpn)
      return ctx_fail(err, errcap, "bad ALPN protocol: %s", list[i]);
    ctx->alpn[ctx->alpn_len++] = (uint8_t)n;
    memcpy(ctx->alpn + ctx->alpn_len, list[i], n);
    ctx->alpn_len += n;
  }
  return 0;
}

/* ---- client authentication ---- */

static int ctx_verify_none_cb(int preverify_ok, X509_STORE_CTX *store)
{
  (void)preverify_ok, (void)store;
  return 1;                                /* request / require: take any certificate */
}

static int ctx_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct tls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
  if (!preverify_ok && c)
    c->fail_hint = TLS_HINT_CLIENT_CERT;
  return preverify_ok;
}

static int ctx_client_auth_mode(const struct tls_ctx_config *cfg)
{
  size_t trust = cfg->trust.pem_file_count + cfg->trust.pem_count;
  if (cfg->client_auth_set)
    return cfg->client_auth;
  return trust ? TLS_CLIENT_AUTH_REQUIRE_AND_VERIFY : TLS_CLIENT_AUTH_NONE;
}

static const int ctx_verify_flags[] = {
  [TLS_CLIENT_AUTH_NONE] = SSL_VERIFY_NONE,
  [TLS_CLIENT_AUTH_REQUEST] = SSL_VERIFY_PEER,
  [TLS_CLIENT_AUTH_REQUIRE] = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
  [TLS_CLIENT_AUTH_VERIFY_IF_GIVEN] = SSL_VERIFY_PEER,
  [TLS_CLIENT_AUTH_REQUIRE_AND_VERIFY] = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
};

typedef int (*ctx_verify_fn_t)(int, X509_STORE_CTX *);
static ctx_verify_fn_t ctx_verify_fn(enum tls_client_auth mode)
{
  int verifies = mode == TLS_CLIENT_AUTH_VERIFY_IF_GIVEN || mode == TLS_CLIENT_AUTH_REQUIRE_AND_VERIFY;
  return verifies ? ctx_verify_cb : mode ? ctx_verify_none_cb : NULL;
}

/* a policy's client authentication, on a handshake the ClientHello moved to it */
void tls_ctx_set_verify_ssl(SSL *ssl, enum tls_client_auth mode)
{
  SSL_set_verify(ssl, ctx_verify_flags[mode], ctx_verify_fn(mode));
}

static void ctx_set_verify(SSL_CTX *sc, enum tls_client_auth mode)
{
  SSL_CTX_set_verify(sc, ctx_verify_flags[mode], ctx_verify_fn(mode));
}

/* ---- PEM ---- */

/* a file's bytes, NUL-terminated (certificates and keys are small) */
static char *ctx_read_file(const char *path, char *err, size_t errcap)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return ctx_fail(err, errcap, "%s: %s", path, strerror(errno)), NULL;
  size_t cap = 1 << 20, n;
  char *buf = malloc(cap + 1);
  n = buf ? fread(buf, 1, cap, f) : 0;
  int too_big = !feof(f);
  fclose(f);
  if (!buf || too_big) {
    free(buf);
    return ctx_fail(err, errcap, "%s: unreadable or over 1 MiB", path), NULL;
  }
  buf[n] = '\0';
  return buf;
}

/* PEM text from memory or a file; *owned is the buffer to free */
static const char *ctx_pem(const char *pem, const char *file, char **owned, char *err, size_t errcap)
{
  *owned = NULL;
  if (pem)
    return pem;
  if (!file)
    return ctx_fail(err, errcap, "certificate without PEM or file"), NULL;
  return *owned = ctx_read_file(file, err, errcap);
}

static int ctx_add_name(struct tls_site_cert *sc, const char *p, size_t n)
{
  char **names = realloc(sc->names, (sc->name_count + 1) * sizeof *names);
  if (!names)
    return -ENOMEM;
  sc->names = names;
  char *s = malloc(n + 1);
  if (!s)
    return -ENOMEM;
  tls_name_lower(s, n + 1, p, n);
  sc->names[sc->name_count++] = s;
  return 0;
}

/* the DNS and IP names a leaf covers (SANs; the CN when it has none) */
static int ctx_collect_names(struct tls_site_cert *sc, X509 *leaf)
{
  GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
  int r = 0;
  for (size_t i = 0; sans && i < (size_t)sk_GENERAL_NAME_num(sans) && r == 0; i++) {
    const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_DNS) {
      r = ctx_add_name(sc, (const char *)ASN1_STRING_get0_data(gn->d.dNSName), (size_t)ASN1_STRING_length(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN];
      int len = ASN1_STRING_length(gn->d.iPAddress);
      const uint8_t *ip = ASN1_STRING_get0_data(gn->d.iPAddress);
      if ((len == 4 || len == 16) && inet_ntop(len == 4 ? AF_INET : AF_INET6, ip, text, sizeof text))
        r = ctx_add_name(sc, text, strlen(text));
    }
  }
  GENERAL_NAMES_free(sans);
  if (r == 0 && sc->name_count == 0) {
    X509_NAME *subject = X509_get_subject_name(leaf);
    int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    ASN1_STRING *cn = at >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)) : NULL;
    if (cn)
      r = ctx_add_name(sc, (const char *)ASN1_STRING_get0_data(cn), (size_t)ASN1_STRING_length(cn));
  }
  return r;
}

static int ctx_load_chain(struct tls_site_cert *sc, const char *pem, char *err, size_t errcap)
{
  BIO *bio = BIO_new_mem_buf(pem, -1);
  X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  if (!leaf || SSL_CTX_use_certificate(sc->ssl_ctx, leaf) != 1 || ctx_collect_names(sc, leaf) < 0) {
    X509_free(leaf);
    BIO_free(bio);
    return ctx_fail(err, errcap, "no certificate in PEM");
  }
  X509_free(leaf);
  X509 *extra;
  while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
    if (SSL_CTX_add_extra_chain_cert(sc->ssl_ctx, extra) != 1) {
      X509_free(extra);
      BIO_free(bio);
      return ctx_fail(err, errcap, "chain certificate refused");
    }
  }
  ERR_clear_error();                       /* the loop ends on "no start line" */
  BIO_free(bio);
  return 0;
}

static int ctx_load_key(SSL_CTX *sc, const char *pem, char *err, size_t errcap)
{
  BIO *bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  int ok = key && SSL_CTX_use_PrivateKey(sc, key) == 1 && SSL_CTX_check_private_key(sc) == 1;
  EVP_PKEY_free(key);
  return ok ? 0 : ctx_fail(err, errcap, "private key unreadable or not the certificate's");
}

static int ctx_load_cert(struct tls_site_cert *sc, const struct tls_cert_source *src, char *err, size_t errcap)
{
  char *chain_owned, *key_owned;
  const char *chain = ctx_pem(src->chain_pem, src->chain_file, &chain_owned, err, errcap);
  const char *key = chain ? ctx_pem(src->key_pem, src->key_file, &key_owned, err, errcap) : NULL;
  int r = key ? ctx_load_chain(sc, chain, err, errcap) : -EINVAL;
  if (r == 0)
    r = ctx_load_key(sc->ssl_ctx, key, err, errcap);
  free(chain_owned);
  if (chain)
    free(key_owned);
  return r;
}

/* the trust pool, added to the store and the CA name list of one SSL_CTX */
static int ctx_add_trust_pem(SSL_CTX *sc, const char *pem, char *err, size_t errcap)
{
  BIO *bio = BIO_new_mem_buf(pem, -1);
  X509 *ca;
  int count = 0;
  while (bio && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
    int ok = X509_STORE_add_cert(SSL_CTX_get_cert_store(sc), ca) == 1 && SSL_CTX_add_client_CA(sc, ca) == 1;
    X509_free(ca);
    if (!ok) {
      BIO_free(bio);
      return ctx_fail(err, errcap, "trusted CA certificate refused");
    }
    count++;
  }
  ERR_clear_error();
  BIO_free(bio);
  return count ? 0 : ctx_fail(err, errcap, "no certificate in trusted CA PEM");
}

static int ctx_load_trust(SSL_CTX *sc, const struct tls_trust_source *t, char *err, size_t errcap)
{
  for (size_t i = 0; i < t->pem_count; i++) {
    if (ctx_add_trust_pem(sc, t->pems[i], err, errcap) < 0)
      return -EINVAL;
  }
  for (size_t i = 0; i < t->pem_file_count; i++) {
    char *pem = ctx_read_file(t->pem_files[i], err, errcap);
    int r = pem ? ctx_add_trust_pem(sc, pem, err, errcap) : -EINVAL;
    free(pem);
    if (r < 0)
      return r;
  }
  return 0;
}

/* ---- one SSL_CTX, configured as every other of the context ---- */

static int ctx_configure(struct tls_ctx *ctx, SSL_CTX *sc, const struct tls_ctx_config *cfg, char *err, size_t errcap)
{
  char list[1024];
  int min = ctx_protocol(cfg->protocol_min, TLS1_2_VERSION), max = ctx_protocol(cfg->protocol_max, TLS1_3_VERSION);
  if (min < 0 || max < 0 || min > max)
    return ctx_fail(err, errcap, "unsupported protocols %s..%s", cfg->protocol_min ? cfg->protocol_min : "",
                    cfg->protocol_max ? cfg->protocol_max : "");
  if (!SSL_CTX_set_min_proto_version(sc, (uint16_t)min) || !SSL_CTX_set_max_proto_version(sc, (uint16_t)max))
    return ctx_fail(err, errcap, "protocol versions refused");
  ctx->proto_min = min, ctx->proto_max = max;
  if (ctx_join_names(tls_cipher_rows, TLS_COUNT(tls_cipher_rows), cfg->ciphers, cfg->cipher_count, list, sizeof list,
                     err, errcap) < 0)
    return -EINVAL;
  if (SSL_CTX_set_cipher_list(sc, list) != 1)
    return ctx_fail(err, errcap, "cipher suites refused: %s", list);
  snprintf(ctx->cipher_list, sizeof ctx->cipher_list, "%s", list);
  if (ctx_join_names(tls_curve_rows, TLS_COUNT(tls_curve_rows), cfg->curves, cfg->curve_count, list, sizeof list,
                     err, errcap) < 0)
    return -EINVAL;
  if (SSL_CTX_set1_curves_list(sc, list) != 1)
    return ctx_fail(err, errcap, "curves refused: %s", list);
  snprintf(ctx->curve_list, sizeof ctx->curve_list, "%s", list);
  SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                            (ctx->tickets ? 0 : SSL_OP_NO_TICKET));
  SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_max_send_fragment(sc, TLS_RECORD_MAX_PLAIN);
  SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF); /* tickets only: nothing shared but the ring */
  uint8_t sid[32];
  const char *sc_name = cfg->session_context ? cfg->session_context : "zsrt";
  unsigned sid_len = 0;
  if (!EVP_Digest(sc_name, strlen(sc_name), sid, &sid_len, EVP_sha256(), NULL) ||
      SSL_CTX_set_session_id_context(sc, sid, sid_len) != 1)
    return ctx_fail(err, errcap, "session context refused");
  if (ctx->tickets)
    TLS_CTX_SET_TICKET_CB(sc, tls_ticket_cb);
  TLS_CTX_SET_HELLO_CB(sc);
  SSL_CTX_set_tlsext_servername_callback(sc, ctx_servername_cb);
  SSL_CTX_set_tlsext_servername_arg(sc, ctx);
  SSL_CTX_set_alpn_select_cb(sc, ctx_alpn_cb, ctx);
  ctx_set_verify(sc, ctx->client_auth);
  return ctx_load_trust(sc, &cfg->trust, err, errcap);
}

SSL_CTX *tls_ctx_initial(const struct tls_ctx *ctx)
{
  return ctx->certs[ctx->default_cert].ssl_ctx;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
  if (!ctx)
    return;
  for (size_t i = 0; i < ctx->cert_count; i++) {
    SSL_CTX_free(ctx->certs[i].ssl_ctx);
    for (size_t j = 0; j < ctx->certs[i].name_count; j++)
      free(ctx->certs[i].names[j]);
    free(ctx->certs[i].names);
  }
  free(ctx->certs);
  if (ctx->bio_method)
    BIO_meth_free(ctx->bio_method);
  for (size_t i = 0; i < ctx->sni_count; i++)
    free(ctx->sni[i]);
  free(ctx->sni);
  struct tls_ctx *next = ctx->next;
  free(ctx);
  tls_ctx_free(next);
}

BIO_METHOD *tls_conn_bio_method(void);

struct tls_ctx *tls_ctx_new(const struct tls_ctx_config *cfg, char *err, size_t errcap)
{
  if (cfg->cert_count == 0 && !cfg->allow_no_cert)
    return ctx_fail(err, errcap, "no certificate"), NULL;
  struct tls_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx || !(ctx->certs = calloc(cfg->cert_count ? cfg->cert_count : 1, sizeof *ctx->certs)))
    return free(ctx), ctx_fail(err, errcap, "out of memory"), NULL;
  ctx->tickets = cfg->tickets;
  ctx->acme_challenge = cfg->acme_challenge;
  ctx->acme_arg = cfg->acme_arg;
  ctx->client_auth = (enum tls_client_auth)ctx_client_auth_mode(cfg);
  if (cfg->default_sni)
    tls_name_lower(ctx->default_sni, sizeof ctx->default_sni, cfg->default_sni, strlen(cfg->default_sni));
  int r = ctx_alpn_wire(ctx, cfg, err, errcap);
  ctx->bio_method = r == 0 ? tls_conn_bio_method() : NULL;
  if (r == 0 && !ctx->bio_method)
    r = ctx_fail(err, errcap, "BIO method");
  for (size_t i = 0; i < cfg->cert_count && r == 0; i++) {
    struct tls_site_cert *sc = &ctx->certs[ctx->cert_count++];
    sc->ssl_ctx = SSL_CTX_new(TLS_method());
    r = sc->ssl_ctx ? ctx_configure(ctx, sc->ssl_ctx, cfg, err, errcap) : ctx_fail(err, errcap, "SSL_CTX_new");
    if (r == 0)
      r = ctx_load_cert(sc, &cfg->certs[i], err, errcap);
  }
  if (r == 0 && cfg->cert_count == 0) {
    /* one library context without a certificate, so the chain of policies still has its hooks */
    struct tls_site_cert *sc = &ctx->certs[ctx->cert_count++];
    sc->ssl_ctx = SSL_CTX_new(TLS_method());
    r = sc->ssl_ctx ? ctx_configure(ctx, sc->ssl_ctx, cfg, err, errcap) : ctx_fail(err, errcap, "SSL_CTX_new");
    ctx->no_cert = 1;
  }
  long def = r == 0 && ctx->default_sni[0] ? ctx_find_cert(ctx, ctx->default_sni) : -1;
  ctx->default_cert = def >= 0 ? (size_t)def : 0;
  if (r < 0) {
    tls_ctx_free(ctx);
    return NULL;
  }
  return ctx;
}
