/* Not a test: handshakes per second over memory, a server tls_conn against
 * the library's client, ECDSA P-256 leaf, TLS 1.3, X25519 (Caddy's first
 * curve). Reports, in CPU time, the pair's rate and the server side's own.
 *   bench_tls_handshake [--resume] [--seconds N] */
#include "tls_test.h"

static SSL_SESSION *ticket;

static int keep_ticket(SSL *ssl, SSL_SESSION *s)
{
  (void)ssl;
  if (ticket)
    SSL_SESSION_free(ticket);
  ticket = s;
  return 1;
}

static double clock_s(clockid_t id)
{
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* the server's share is CPU time: the machine may be shared */
static double now_s(void)
{
  return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static uint8_t in[TLS_CONN_IN_MIN * 16], out[TLS_CONN_OUT_MIN * 2];
static double server_time;

/* the pump of tls_test.h, timing the server's calls */
static int pump_timed(struct test_client *cl, struct tls_conn *s)
{
  char buf[16384];
  for (int round = 0; round < 16; round++) {
    int moved = 0, n;
    if (!SSL_is_init_finished(cl->ssl))
      SSL_do_handshake(cl->ssl);
    while ((n = BIO_read(cl->wbio, buf, sizeof buf)) > 0) {
      double t0 = now_s();
      ssize_t r = tls_conn_feed(s, buf, (size_t)n);
      server_time += now_s() - t0;
      if (r < 0)
        return (int)r;
      moved = 1;
    }
    const uint8_t *p;
    size_t len;
    tls_conn_pending_out(s, &p, &len);
    if (len) {
      BIO_write(cl->rbio, p, (int)len);
      tls_conn_consume_out(s, len);
      moved = 1;
    }
    if (!moved)
      break;
  }
  return s->handshake_done && SSL_is_init_finished(cl->ssl) ? 0 : -1;
}

/* one client handshake on a shared client SSL_CTX (as a load generator
 * would have), reading the server's first bytes so TLS 1.3 tickets arrive */
static int one_handshake(struct tls_ctx *ctx, SSL_CTX *client_ctx, int resume, int *resumed)
{
  struct test_client cl = {.ctx = client_ctx};
  struct tls_conn s;
  cl.ssl = SSL_new(client_ctx);
  cl.rbio = BIO_new(BIO_s_mem());
  cl.wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(cl.ssl, cl.rbio, cl.wbio);
  SSL_set_connect_state(cl.ssl);
  SSL_set_tlsext_host_name(cl.ssl, "example.com");
  if (resume && ticket)
    SSL_set_session(cl.ssl, ticket);
  double t0 = now_s();
  int r = tls_conn_init(&s, ctx, in, sizeof in, out, sizeof out);
  server_time += now_s() - t0;
  if (r == 0)
    r = pump_timed(&cl, &s);
  if (r == 0 && resume) {
    t0 = now_s();
    tls_conn_write(&s, "x", 1);
    server_time += now_s() - t0;
    pump_timed(&cl, &s);
    char b[8];
    SSL_read(cl.ssl, b, sizeof b);
  }
  *resumed = SSL_session_reused(cl.ssl);
  SSL_set_shutdown(cl.ssl, SSL_SENT_SHUTDOWN);
  t0 = now_s();
  tls_conn_free(&s);
  server_time += now_s() - t0;
  SSL_free(cl.ssl);
  ERR_clear_error();
  return r;
}

int main(int argc, char **argv)
{
  int resume = 0;
  double seconds = 3;
  (void)check_failures;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--resume") == 0)
      resume = 1;
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof(argv[++i]);
  }
  struct test_pki pki;
  if (test_pki_open(&pki, "tls-bench") < 0)
    return 1;
  struct tls_ca_leaf leaf = test_issue(&pki, "example.com");
  struct tls_cert_source src = {.chain_pem = leaf.chain_pem, .key_pem = leaf.key_pem};
  static struct tls_ticket_ring ring;
  tls_ticket_ring_init(&ring, 0, 0, time(NULL));
  struct tls_ctx_config cfg = {.certs = &src, .cert_count = 1, .tickets = &ring};
  char err[TLS_REASON_MAX];
  struct tls_ctx *ctx = tls_ctx_new(&cfg, err, sizeof err);
  if (!ctx)
    return fprintf(stderr, "%s\n", err), 1;
  SSL_CTX *client_ctx = SSL_CTX_new(TLS_method());
  SSL_CTX_set_min_proto_version(client_ctx, TLS1_3_VERSION);
  SSL_CTX_set1_curves_list(client_ctx, "X25519");
  SSL_CTX_set_session_cache_mode(client_ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(client_ctx, keep_ticket);
  int resumed = 0, count = 0, resumed_count = 0;
  if (resume)
    one_handshake(ctx, client_ctx, 1, &resumed);   /* get the first ticket */
  server_time = 0;
  double start = clock_s(CLOCK_MONOTONIC), cpu_start = now_s();
  while (clock_s(CLOCK_MONOTONIC) - start < seconds) {
    if (one_handshake(ctx, client_ctx, resume, &resumed) < 0)
      return fprintf(stderr, "handshake failed\n"), 1;
    count++;
    resumed_count += resumed;
  }
  double total = now_s() - cpu_start;
  printf("%s, TLS 1.3 %s, ECDSA P-256, X25519: %d handshakes in %.2f s of CPU: %.0f/s for the pair, "
         "server side %.0f/s (%.1f us each)%s\n",
         tls_library_name(), resume ? "resumed" : "full", count, total, count / total, count / server_time,
         server_time / count * 1e6, resume && resumed_count != count ? " (NOT ALL RESUMED)" : "");
  if (ticket)
    SSL_SESSION_free(ticket);
  SSL_CTX_free(client_ctx);
  tls_ctx_free(ctx);
  tls_ca_leaf_free(&leaf);
  test_pki_close(&pki);
  return 0;
}
