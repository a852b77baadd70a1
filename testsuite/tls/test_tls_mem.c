/* The TLS layer over memory: a server tls_conn against the library's own
 * client, covering the handshake, SNI and ALPN selection, resumption across
 * two contexts sharing a ticket ring, key rotation, client auth modes,
 * renegotiation, garbage and oversized records, close_notify and the
 * bounded output buffer. */
#include <unistd.h>

#include <openssl/x509v3.h>

#include "tls_test.h"

static struct test_pki pki, client_pki, stranger_pki;
static struct tls_ca_leaf leaf_exact, leaf_wild, leaf_default, client_cert, stranger_cert;
static uint8_t in_buf[TLS_CONN_IN_MIN * 8], out_buf[TLS_CONN_OUT_MIN * 2];
static SSL_SESSION *last_session;

static int capture_session(SSL *ssl, SSL_SESSION *s)
{
  (void)ssl;
  if (last_session)
    SSL_SESSION_free(last_session);
  last_session = s;
  return 1;                                /* we keep the reference */
}

static struct tls_ctx *server_ctx(struct tls_ctx_config *cfg)
{
  struct tls_cert_source certs[] = {
    {.chain_pem = leaf_exact.chain_pem, .key_pem = leaf_exact.key_pem},
    {.chain_pem = leaf_wild.chain_pem, .key_pem = leaf_wild.key_pem},
    {.chain_pem = leaf_default.chain_pem, .key_pem = leaf_default.key_pem},
  };
  char err[TLS_REASON_MAX];
  cfg->certs = certs;
  cfg->cert_count = 3;
  if (!cfg->default_sni)
    cfg->default_sni = "default.test";
  struct tls_ctx *ctx = tls_ctx_new(cfg, err, sizeof err);
  if (!ctx)
    fprintf(stderr, "tls_ctx_new: %s\n", err);
  return ctx;
}

/* one handshake; returns the server's result; on success the client and
 * server stay open for the caller (call finish) */
struct session {
  struct test_client cl;
  struct tls_conn s;
  int rc;
};

static void session_open(struct session *x, struct tls_ctx *ctx, const struct test_client_opts *o)
{
  test_client_init(&x->cl, o);
  SSL_CTX_set_session_cache_mode(x->cl.ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(x->cl.ctx, capture_session);
  CHECK(tls_conn_init(&x->s, ctx, in_buf, sizeof in_buf, out_buf, sizeof out_buf) == 0);
  x->rc = test_pump(&x->cl, &x->s);
}

static void session_close(struct session *x)
{
  /* OpenSSL clients forget a session freed without a shutdown: mark one */
  SSL_set_shutdown(x->cl.ssl, SSL_SENT_SHUTDOWN);
  tls_conn_free(&x->s);
  test_client_free(&x->cl);
}

/* plaintext both ways; the client reads what the server wrote (which also
 * delivers TLS 1.3 tickets) */
static int session_exchange(struct session *x)
{
  char buf[64];
  if (SSL_write(x->cl.ssl, "ping", 4) != 4 || test_pump(&x->cl, &x->s) < 0)
    return -1;
  ssize_t n = tls_conn_read(&x->s, buf, sizeof buf);
  if (n != 4 || memcmp(buf, "ping", 4) != 0)
    return -2;
  if (tls_conn_write(&x->s, "pong", 4) != 4 || test_pump(&x->cl, &x->s) < 0)
    return -3;
  int m = SSL_read(x->cl.ssl, buf, sizeof buf);
  return m == 4 && memcmp(buf, "pong", 4) == 0 ? 0 : -4;
}

static int peer_is(struct session *x, const char *host)
{
  X509 *peer = SSL_get_peer_certificate(x->cl.ssl);
  int ok = peer && X509_check_host(peer, host, strlen(host), 0, NULL) == 1;
  X509_free(peer);
  return ok;
}

static void test_handshake(struct tls_ctx *ctx)
{
  int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
  for (int i = 0; i < 2; i++) {
    struct session x;
    struct test_client_opts o = {.sni = "example.com", .version = versions[i], .trust_pem = pki.root_pem};
    session_open(&x, ctx, &o);
    CHECK(x.rc == 0);
    CHECK(SSL_is_init_finished(x.cl.ssl) && SSL_get_verify_result(x.cl.ssl) == X509_V_OK);
    CHECK(peer_is(&x, "example.com"));
    CHECK(session_exchange(&x) == 0);
    struct tls_conn_info info;
    CHECK(tls_conn_info(&x.s, &info) == 0);
    CHECK(strcmp(info.version, i == 0 ? "tls1.3" : "tls1.2") == 0);
    CHECK(strcmp(info.sni, "example.com") == 0);
    CHECK(!info.resumed && !info.peer_cert);
    /* ECDSA leaf: Caddy's first TLS 1.2 suite; TLS 1.3 any AEAD */
    CHECK(i == 0 ? strncmp(info.cipher, "TLS_AES_", 8) == 0 || strncmp(info.cipher, "TLS_CHACHA20", 12) == 0
                 : strcmp(info.cipher, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384") == 0);
    if (check_failures)
      fprintf(stderr, "version %s cipher %s\n", info.version, info.cipher);
    session_close(&x);
  }
}

/* protocols, ciphers and curves: Caddy's defaults, then overridden */
static void test_overrides(void)
{
  static const char *const p384[] = {"p384"}, *const chacha[] = {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"};
  static const struct {
    const char *min, *max;
    const char *const *curves, *const *ciphers;
    int client_version;
    const char *client_groups, *client_ciphers;
    const char *expect_cipher;             /* NULL: refused */
  } cases[] = {
    {NULL, NULL, NULL, NULL, TLS1_3_VERSION, "P-384", NULL, NULL},          /* Caddy: x25519, p256 only */
    {NULL, NULL, NULL, NULL, TLS1_3_VERSION, "P-256", NULL, ""},
    {NULL, NULL, p384, NULL, TLS1_3_VERSION, "P-384", NULL, ""},
    {NULL, NULL, p384, NULL, TLS1_3_VERSION, "X25519", NULL, NULL},
    {"tls1.3", NULL, NULL, NULL, TLS1_2_VERSION, NULL, NULL, NULL},
    {NULL, "tls1.2", NULL, NULL, TLS1_3_VERSION, NULL, NULL, NULL},
    {NULL, NULL, NULL, chacha, TLS1_2_VERSION, NULL, NULL, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {NULL, NULL, NULL, NULL, TLS1_2_VERSION, NULL, "ECDHE-ECDSA-AES128-SHA", NULL},   /* CBC: not a default */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tls_ctx_config cfg = {.protocol_min = cases[i].min, .protocol_max = cases[i].max,
                                 .curves = cases[i].curves, .curve_count = cases[i].curves ? 1 : 0,
                                 .ciphers = cases[i].ciphers, .cipher_count = cases[i].ciphers ? 1 : 0};
    struct tls_ctx *ctx = server_ctx(&cfg);
    struct session x;
    struct test_client_opts o = {.sni = "example.com", .version = cases[i].client_version,
                                 .groups = cases[i].client_groups, .ciphers = cases[i].client_ciphers};
    session_open(&x, ctx, &o);
    struct tls_conn_info info;
    int ok = x.rc == 0 && x.s.handshake_done && tls_conn_info(&x.s, &info) == 0;
    CHECK(ok == (cases[i].expect_cipher != NULL));
    if (ok && cases[i].expect_cipher && cases[i].expect_cipher[0])
      CHECK(strcmp(info.cipher, cases[i].expect_cipher) == 0);
    if (check_failures)
      fprintf(stderr, "override case %zu: rc %d %s\n", i, x.rc, x.s.reason);
    session_close(&x);
    tls_ctx_free(ctx);
  }
}

/* certificates and the trust pool from files, as `tls cert key` and trust_pool file */
static void test_files(void)
{
  char dir[512], chain[600], key[600], trust[600], err[TLS_REASON_MAX];
  test_tmp_name(dir, sizeof dir, "tls-files");
  snprintf(chain, sizeof chain, "%s.crt", dir);
  snprintf(key, sizeof key, "%s.key", dir);
  snprintf(trust, sizeof trust, "%s.ca", dir);
  FILE *f;
  CHECK((f = fopen(chain, "w")) && fputs(leaf_exact.chain_pem, f) >= 0 && fclose(f) == 0);
  CHECK((f = fopen(key, "w")) && fputs(leaf_exact.key_pem, f) >= 0 && fclose(f) == 0);
  CHECK((f = fopen(trust, "w")) && fputs(client_pki.root_pem, f) >= 0 && fclose(f) == 0);
  const char *trust_files[] = {trust};
  struct tls_cert_source src = {.chain_file = chain, .key_file = key};
  struct tls_ctx_config cfg = {.certs = &src, .cert_count = 1, .trust = {.pem_files = trust_files, .pem_file_count = 1}};
  struct tls_ctx *ctx = tls_ctx_new(&cfg, err, sizeof err);
  CHECK(ctx != NULL);
  const struct tls_ca_leaf *certs[] = {&client_cert, &stranger_cert};
  for (int j = 0; ctx && j < 2; j++) {
    struct session x;
    struct test_client_opts o = {.sni = "example.com", .trust_pem = pki.root_pem, .cert = certs[j]};
    session_open(&x, ctx, &o);
    CHECK(j == 0 ? x.rc == 0 && peer_is(&x, "example.com") : x.rc == -EACCES);
    session_close(&x);
  }
  tls_ctx_free(ctx);
  unlink(trust);
  CHECK(tls_ctx_new(&cfg, err, sizeof err) == NULL && strstr(err, trust));   /* a missing file is named */
  unlink(chain);
  unlink(key);
}

static void test_sni(struct tls_ctx *ctx)
{
  static const struct {
    const char *sni, *expect;              /* expect NULL: refused */
  } cases[] = {
    {"example.com", "example.com"},
    {"www.example.com", "www.example.com"},   /* the wildcard */
    {"WWW.Example.COM", "www.example.com"},
    {"a.b.example.com", NULL},                /* one label only */
    {"unknown.test", NULL},
    {NULL, "default.test"},                   /* no SNI: default_sni */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct session x;
    struct test_client_opts o = {.sni = cases[i].sni, .trust_pem = pki.root_pem};
    session_open(&x, ctx, &o);
    if (cases[i].expect) {
      CHECK(x.rc == 0 && peer_is(&x, cases[i].expect));
    } else {
      CHECK(x.rc == -ENOENT);
      CHECK(strstr(x.s.reason, "server name") != NULL);
    }
    if (check_failures)
      fprintf(stderr, "sni case %zu (%s): rc %d %s\n", i, cases[i].sni ? cases[i].sni : "-", x.rc, x.s.reason);
    session_close(&x);
  }
}

static void test_alpn(void)
{
  static const char *const h1_only[] = {"http/1.1"};
  static const char *const h2_only[] = {"h2"};
  static const struct {
    const char *const *server;
    size_t server_count;
    const char *client;
    size_t client_len;
    const char *expect;                    /* "" none; NULL refused */
  } cases[] = {
    {NULL, 0, TEST_ALPN("\x08http/1.1\x02h2"), "h2"},   /* the server's order wins */
    {NULL, 0, TEST_ALPN("\x08http/1.1"), "http/1.1"},
    {NULL, 0, NULL, 0, ""},
    {NULL, 0, TEST_ALPN("\x03" "foo"), NULL},
    {h1_only, 1, TEST_ALPN("\x02h2\x08http/1.1"), "http/1.1"},
    {h2_only, 1, TEST_ALPN("\x08http/1.1"), ""},        /* Go's http/1.1 fallback */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tls_ctx_config cfg = {.alpn = cases[i].server, .alpn_count = cases[i].server_count};
    struct tls_ctx *ctx = server_ctx(&cfg);
    struct session x;
    struct test_client_opts o = {.sni = "example.com", .alpn = cases[i].client, .alpn_len = cases[i].client_len};
    session_open(&x, ctx, &o);
    struct tls_conn_info info;
    if (cases[i].expect) {
      CHECK(x.rc == 0 && tls_conn_info(&x.s, &info) == 0);
      CHECK(info.alpn_len == strlen(cases[i].expect) && memcmp(info.alpn, cases[i].expect, info.alpn_len) == 0);
    } else {
      CHECK(x.rc == -ENOPROTOOPT);
    }
    if (check_failures)
      fprintf(stderr, "alpn case %zu: rc %d %s\n", i, x.rc, x.s.reason);
    session_close(&x);
    tls_ctx_free(ctx);
  }
}

/* a full handshake on `a`, then one resuming its ticket on `b` */
static int resumed_on(struct tls_ctx *a, struct tls_ctx *b, int version, void (*between)(void))
{
  struct session x;
  struct test_client_opts o = {.sni = "example.com", .version = version};
  if (last_session)
    SSL_SESSION_free(last_session);
  last_session = NULL;
  session_open(&x, a, &o);
  int ok = x.rc == 0 && session_exchange(&x) == 0 && last_session;
  struct tls_conn_info info;
  ok = ok && tls_conn_info(&x.s, &info) == 0 && !info.resumed;
  session_close(&x);
  if (!ok)
    return -1;
  if (between)
    between();
  SSL_SESSION *ticket = last_session;
  last_session = NULL;
  o.session = ticket;
  session_open(&x, b, &o);
  ok = x.rc == 0 && session_exchange(&x) == 0 && tls_conn_info(&x.s, &info) == 0;
  int resumed = ok ? info.resumed : -1;
  session_close(&x);
  SSL_SESSION_free(ticket);
  return resumed;
}

/* a client resuming again and again with the ticket of its last
 * resumption (TLS 1.3 tickets are one-use: each resumption must bring one) */
static int resume_chain(struct tls_ctx *a, struct tls_ctx *b, int version, int times)
{
  int resumed = 0;
  struct session full;
  struct test_client_opts first = {.sni = "example.com", .version = version};
  if (last_session)
    SSL_SESSION_free(last_session);
  last_session = NULL;
  session_open(&full, a, &first);
  int ok = full.rc == 0 && session_exchange(&full) == 0 && last_session;
  session_close(&full);
  if (!ok)
    return -1;
  for (int i = 0; i < times; i++) {
    struct session x;
    SSL_SESSION *ticket = last_session;
    last_session = NULL;
    struct test_client_opts o = {.sni = "example.com", .version = version, .session = ticket};
    session_open(&x, i % 2 ? a : b, &o);
    struct tls_conn_info info;
    if (x.rc == 0 && session_exchange(&x) == 0 && tls_conn_info(&x.s, &info) == 0 && info.resumed)
      resumed++;
    if (!last_session)                     /* no fresh ticket: keep the old one */
      last_session = ticket, ticket = NULL;
    session_close(&x);
    if (ticket)
      SSL_SESSION_free(ticket);
  }
  return resumed;
}

static struct tls_ticket_ring ring;
static void rotate_once(void) { tls_ticket_ring_rotate(&ring, time(NULL)); }
static void rotate_twice(void) { rotate_once(), rotate_once(); }

static void test_resumption(void)
{
  CHECK(tls_ticket_ring_init(&ring, 3600, 2, time(NULL)) == 0);
  struct tls_ctx_config cfg = {.tickets = &ring, .session_context = "site-a"};
  struct tls_ctx *a = server_ctx(&cfg), *b = server_ctx(&cfg);   /* two workers */
  int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
  for (int i = 0; i < 2; i++) {
    CHECK(resumed_on(a, b, versions[i], NULL) == 1);
    CHECK(resumed_on(a, b, versions[i], rotate_once) == 1);   /* previous key still opens it */
    CHECK(resumed_on(a, b, versions[i], rotate_twice) == 0);  /* two periods old: full handshake */
    int chain = resume_chain(a, b, versions[i], 4);
    if (chain != 4)
      fprintf(stderr, "version %x: %d of 4 resumed in a chain\n", versions[i], chain);
    CHECK(chain == 4);
  }
  /* the ring's timing: not due, then due */
  int64_t now = time(NULL);
  uint64_t g = atomic_load(&ring.gen);
  CHECK(tls_ticket_ring_tick(&ring, now) == 0 && atomic_load(&ring.gen) == g);
  CHECK(tls_ticket_ring_tick(&ring, now + 3600) == 1 && atomic_load(&ring.gen) == g + 1);
  struct tls_ticket_key k;
  CHECK(tls_ticket_ring_get(&ring, g + 1, &k) == 0 && tls_ticket_ring_get(&ring, g, &k) == 0);
  CHECK(tls_ticket_ring_get(&ring, g - 1, &k) == -ENOENT);
  /* no ring: no tickets, no resumption */
  struct tls_ctx_config plain = {0};
  struct tls_ctx *c = server_ctx(&plain);
  CHECK(resumed_on(c, c, TLS1_2_VERSION, NULL) == -1);   /* no ticket ever arrives */
  tls_ctx_free(a);
  tls_ctx_free(b);
  tls_ctx_free(c);
}

static void test_client_auth(void)
{
  static const struct {
    enum tls_client_auth mode;
    int none, good, stranger;              /* 1 accepted, 0 refused */
  } cases[] = {
    {TLS_CLIENT_AUTH_REQUEST, 1, 1, 1},
    {TLS_CLIENT_AUTH_REQUIRE, 0, 1, 1},
    {TLS_CLIENT_AUTH_VERIFY_IF_GIVEN, 1, 1, 0},
    {TLS_CLIENT_AUTH_REQUIRE_AND_VERIFY, 0, 1, 0},
  };
  const char *trust[] = {client_pki.root_pem};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tls_ctx_config cfg = {.client_auth = cases[i].mode, .client_auth_set = 1,
                                 .trust = {.pems = trust, .pem_count = 1}};
    struct tls_ctx *ctx = server_ctx(&cfg);
    const struct tls_ca_leaf *certs[] = {NULL, &client_cert, &stranger_cert};
    int expect[] = {cases[i].none, cases[i].good, cases[i].stranger};
    for (int v = 0; v < 2; v++) {
      for (int j = 0; j < 3; j++) {
        struct session x;
        struct test_client_opts o = {.sni = "example.com", .cert = certs[j],
                                     .version = v ? TLS1_2_VERSION : TLS1_3_VERSION};
        session_open(&x, ctx, &o);
        struct tls_conn_info info;
        int accepted = x.rc == 0 && x.s.handshake_done;
        CHECK(accepted == expect[j]);
        if (!accepted)
          CHECK(x.rc == -EACCES);
        if (accepted)
          CHECK(tls_conn_info(&x.s, &info) == 0 && info.peer_cert == (j > 0) &&
                info.peer_verified == (j == 1 && cases[i].mode >= TLS_CLIENT_AUTH_VERIFY_IF_GIVEN));
        if (check_failures)
          fprintf(stderr, "client auth mode %d cert %d v%d: rc %d %s\n", cases[i].mode, j, v, x.rc, x.s.reason);
        session_close(&x);
      }
    }
    tls_ctx_free(ctx);
  }
  /* Caddy's default mode with a trust pool: require_and_verify */
  struct tls_ctx_config cfg = {.trust = {.pems = trust, .pem_count = 1}};
  struct tls_ctx *ctx = server_ctx(&cfg);
  struct session x;
  struct test_client_opts o = {.sni = "example.com"};
  session_open(&x, ctx, &o);
  CHECK(x.rc == -EACCES);
  session_close(&x);
  tls_ctx_free(ctx);
}

static void test_renegotiation(struct tls_ctx *ctx)
{
#if defined(OPENSSL_IS_BORINGSSL)
  (void)ctx;
  fprintf(stderr, "renegotiation: BoringSSL clients cannot start one; covered by the s_client test\n");
#else
  struct session x;
  struct test_client_opts o = {.sni = "example.com", .version = TLS1_2_VERSION};
  session_open(&x, ctx, &o);
  CHECK(x.rc == 0 && session_exchange(&x) == 0);
  CHECK(SSL_renegotiate(x.cl.ssl) == 1);
  SSL_do_handshake(x.cl.ssl);
  test_pump(&x.cl, &x.s);
  char buf[64];
  SSL_write(x.cl.ssl, "more", 4);
  test_pump(&x.cl, &x.s);
  ssize_t n = tls_conn_read(&x.s, buf, sizeof buf);
  /* either the library refused it (the client gives up) or we did; never a second handshake */
  CHECK(x.s.handshakes_started == 1 || n < 0);
  CHECK(SSL_renegotiate_pending(x.cl.ssl) || n < 0 || SSL_get_error(x.cl.ssl, -1) != SSL_ERROR_NONE);
  session_close(&x);
#endif
}

static void test_bad_records(struct tls_ctx *ctx)
{
  static const char garbage[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
  static const uint8_t oversized[] = {0x16, 0x03, 0x01, 0xff, 0xff, 0x01};
  static const uint8_t oversized_app[] = {0x17, 0x03, 0x03, 0xff, 0xff, 0x00};
  struct tls_conn s;
  CHECK(tls_conn_init(&s, ctx, in_buf, sizeof in_buf, out_buf, sizeof out_buf) == 0);
  CHECK(tls_conn_feed(&s, garbage, sizeof garbage - 1) == -EPROTO && s.reason[0]);
  CHECK(tls_conn_feed(&s, "x", 1) == -EPROTO);                    /* sticky */
  tls_conn_free(&s);
  CHECK(tls_conn_init(&s, ctx, in_buf, sizeof in_buf, out_buf, sizeof out_buf) == 0);
  CHECK(tls_conn_feed(&s, oversized, sizeof oversized) == -EPROTO);
  tls_conn_free(&s);
  /* an oversized record after the handshake */
  struct session x;
  struct test_client_opts o = {.sni = "example.com"};
  session_open(&x, ctx, &o);
  CHECK(x.rc == 0 && session_exchange(&x) == 0);
  char buf[64];
  CHECK(tls_conn_feed(&x.s, oversized_app, sizeof oversized_app) == sizeof oversized_app);
  CHECK(tls_conn_read(&x.s, buf, sizeof buf) == -EPROTO);
  const uint8_t *p;
  size_t len;
  tls_conn_pending_out(&x.s, &p, &len);
  CHECK((len >= 7 && p[0] == 0x15) || (len >= 5 && p[0] == 0x17)); /* an alert (encrypted in TLS 1.3) */
  session_close(&x);
  /* a record that does not decrypt */
  session_open(&x, ctx, &o);
  CHECK(x.rc == 0 && session_exchange(&x) == 0);
  uint8_t forged[5 + 40] = {0x17, 0x03, 0x03, 0x00, 40};
  CHECK(tls_conn_feed(&x.s, forged, sizeof forged) == sizeof forged);
  CHECK(tls_conn_read(&x.s, buf, sizeof buf) == -EPROTO);
  session_close(&x);
}

static void test_close_notify(struct tls_ctx *ctx)
{
  struct session x;
  struct test_client_opts o = {.sni = "example.com"};
  char buf[64];
  session_open(&x, ctx, &o);
  CHECK(x.rc == 0 && session_exchange(&x) == 0);
  SSL_shutdown(x.cl.ssl);
  test_pump(&x.cl, &x.s);
  CHECK(tls_conn_read(&x.s, buf, sizeof buf) == 0 && x.s.peer_closed);
  CHECK(tls_conn_shutdown(&x.s) == 0);
  CHECK(tls_conn_shutdown(&x.s) == 0);                            /* again: harmless */
  test_pump(&x.cl, &x.s);
  CHECK(SSL_read(x.cl.ssl, buf, sizeof buf) == 0 && SSL_get_error(x.cl.ssl, 0) == SSL_ERROR_ZERO_RETURN);
  session_close(&x);
  /* a peer that just stops: EAGAIN, the loop's idle timeout decides */
  session_open(&x, ctx, &o);
  CHECK(tls_conn_read(&x.s, buf, sizeof buf) == -EAGAIN);
  session_close(&x);
  /* a server that closes first: the client reads close_notify, answers */
  session_open(&x, ctx, &o);
  CHECK(x.rc == 0 && session_exchange(&x) == 0);
  CHECK(tls_conn_shutdown(&x.s) == 0);
  test_pump(&x.cl, &x.s);
  CHECK(SSL_read(x.cl.ssl, buf, sizeof buf) == 0);
  SSL_shutdown(x.cl.ssl);
  test_pump(&x.cl, &x.s);
  CHECK(tls_conn_read(&x.s, buf, sizeof buf) == 0 && x.s.peer_closed);
  session_close(&x);
  struct tls_conn fresh;
  CHECK(tls_conn_init(&fresh, ctx, in_buf, sizeof in_buf, out_buf, sizeof out_buf) == 0);
  CHECK(tls_conn_shutdown(&fresh) == -ENOTCONN);
  tls_conn_free(&fresh);
}

/* 1 MiB through a 17 KiB output buffer: writes take what fits, whole records */
static void test_bounded_out(struct tls_ctx *ctx)
{
  static uint8_t big[1 << 20], got[1 << 20];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7);
  struct session x;
  struct test_client_opts o = {.sni = "example.com"};
  session_open(&x, ctx, &o);
  CHECK(x.rc == 0);
  size_t sent = 0, received = 0;
  int rounds = 0;
  while (received < sizeof big && rounds++ < 10000) {
    ssize_t n = tls_conn_write(&x.s, big + sent, sizeof big - sent);
    CHECK(n > 0 || n == -EAGAIN);
    if (n > 0) {
      CHECK((size_t)n <= sizeof out_buf);
      sent += (size_t)n;
    }
    test_pump(&x.cl, &x.s);
    int m;
    while ((m = SSL_read(x.cl.ssl, got + received, (int)(sizeof got - received))) > 0)
      received += (size_t)m;
  }
  CHECK(received == sizeof big && memcmp(big, got, sizeof big) == 0);
  session_close(&x);
}

static void test_ktls(struct tls_ctx *ctx)
{
  char reason[256];
  int r = tls_ktls_probe(reason, sizeof reason);
  CHECK(r == 0 || r == 1);
  fprintf(stderr, "ktls: %s\n", reason);
  struct tls_conn s;
  CHECK(tls_conn_init(&s, ctx, in_buf, sizeof in_buf, out_buf, sizeof out_buf) == 0);
  CHECK(tls_conn_ktls_offload(&s, -1) == -EOPNOTSUPP && strstr(s.reason, "memory"));
  tls_conn_free(&s);
}

int main(void)
{
  if (test_pki_open(&pki, "tls-server") < 0 || test_pki_open(&client_pki, "tls-client") < 0 ||
      test_pki_open(&stranger_pki, "tls-stranger") < 0)
    return 1;
  leaf_exact = test_issue(&pki, "example.com");
  leaf_wild = test_issue(&pki, "*.example.com");
  leaf_default = test_issue(&pki, "default.test");
  client_cert = test_issue(&client_pki, "client.test");
  stranger_cert = test_issue(&stranger_pki, "client.test");
  fprintf(stderr, "library: %s\n", tls_library_name());

  struct tls_ctx_config cfg = {0};
  struct tls_ctx *ctx = server_ctx(&cfg);
  CHECK(ctx != NULL);
  if (ctx) {
    test_handshake(ctx);
    test_sni(ctx);
    test_alpn();
    test_overrides();
    test_files();
    test_resumption();
    test_client_auth();
    test_renegotiation(ctx);
    test_bad_records(ctx);
    test_close_notify(ctx);
    test_bounded_out(ctx);
    test_ktls(ctx);
  }
  /* a bad configuration is refused with a reason */
  char err[TLS_REASON_MAX];
  static const char *const bad_cipher[] = {"TLS_NOT_A_SUITE"};
  struct tls_cert_source one = {.chain_pem = leaf_exact.chain_pem, .key_pem = leaf_default.key_pem};
  struct tls_ctx_config bad = {.certs = &one, .cert_count = 1};
  CHECK(tls_ctx_new(&bad, err, sizeof err) == NULL && strstr(err, "key"));
  one.key_pem = leaf_exact.key_pem;
  bad.ciphers = bad_cipher, bad.cipher_count = 1;
  CHECK(tls_ctx_new(&bad, err, sizeof err) == NULL && strstr(err, "TLS_NOT_A_SUITE"));

  tls_ctx_free(ctx);
  struct tls_ca_leaf *leaves[] = {&leaf_exact, &leaf_wild, &leaf_default, &client_cert, &stranger_cert};
  for (size_t i = 0; i < 5; i++)
    tls_ca_leaf_free(leaves[i]);
  if (last_session)
    SSL_SESSION_free(last_session);
  test_pki_close(&pki);
  test_pki_close(&client_pki);
  test_pki_close(&stranger_pki);
  printf("%s\n", check_failures ? "FAIL" : "ok");
  return check_failures ? 1 : 0;
}
