/* Fuzz target: the TLS-to-HTTP glue (runtime/conn_tls.c) between a real
 * client and the connection slot the protocol reads. The event loop is
 * replaced by a pump that completes each send at once, in pieces. Byte 0
 * picks the mode, byte 1 the piece size; the rest is the payload.
 *   mode 0: the client sends the payload as TLS records; the protocol's
 *           input (c->in) must hold exactly the payload, in order.
 *   mode 1: the server queues the payload in c->out, sealed by the glue;
 *           the client must read exactly the payload, and the protocol's
 *           `sent` is due once, when the last byte has gone.
 *   mode 2: after the handshake, the payload arrives as raw ciphertext:
 *           the glue must fail the connection (closing it) or take it as
 *           records, never write outside c->in or crash.
 * Checks abort, so libFuzzer and the replay both report them. */
#include <stdlib.h>

#include "fuzz.h"
#include "tls_test.h"

#include "runtime/conn_tls.h"
#include "runtime/loop.h"
#include "runtime/site_tls.h"

/* ---- the loop, as conn_tls.c sees it: sends complete when pumped ---- */

static uint8_t sent_bytes[1 << 20];
static size_t sent_len;
static int closed;

void loop_conn_send(struct worker *w, struct conn *c, const void *p, size_t len)
{
  (void)w;
  if (c->send_pending || len > sizeof sent_bytes - sent_len)
    abort();                               /* one send at a time, as the loop allows */
  memcpy(sent_bytes + sent_len, p, len);
  sent_len += len;
  c->send_pending = 1;
}

void loop_conn_close(struct worker *w, struct conn *c)
{
  (void)w;
  c->closing = 1;
  closed = 1;
}

void loop_addr_text(const struct sockaddr_storage *ss, char *out, size_t cap, uint16_t *port)
{
  (void)ss, (void)cap, (void)port;
  out[0] = '\0';
}

/* ---- once: a context, a worker with one connection slot ---- */

static struct tls_ctx *fuzz_ctx;
static struct site_tls sites;
static _Atomic(struct tls_ctx *) server_ctx[1];
static struct worker w;
static struct conn *slot;
static char *conn_in, *conn_out;

static void fuzz_setup(void)
{
  fuzz_ctx = test_scratch_ctx("conn-tls-fuzz", "example.com");
  atomic_store(&server_ctx[0], fuzz_ctx);
  sites.server_count = 1;
  sites.server_ctx = server_ctx;
  w.tls_sites = &sites;
  w.conns = calloc(LOOP_MAX_CONNS, sizeof *w.conns);
  conn_in = malloc(CONN_IN_CAP);
  conn_out = malloc(CONN_OUT_CAP);
  if (!w.conns || !conn_in || !conn_out || conn_tls_worker_init(&w) < 0)
    abort();
  slot = &w.conns[7];
}

/* the sends so far reach the client; each completes whole. Returns the
 * number of times the protocol's `sent` was due. */
static int fuzz_deliver(struct test_client *cl)
{
  int due = 0;
  while (slot->send_pending && !slot->closing) {
    size_t n = sent_len;
    if (BIO_write(cl->rbio, sent_bytes, (int)n) != (int)n)
      abort();
    sent_len = 0;
    slot->send_pending = 0;
    if (conn_tls_sent(&w, slot, (int)n) == 1) {
      slot->out_len = slot->out_sent = 0;
      due++;
    }
  }
  return due;
}

/* the client's records into the glue, piece by piece */
static void fuzz_client_to_server(struct test_client *cl, size_t piece)
{
  char buf[16384];
  int n;
  while (!slot->closing && (n = BIO_read(cl->wbio, buf, sizeof buf)) > 0)
    for (int off = 0; off < n && !slot->closing; off += (int)piece) {
      size_t len = (size_t)(n - off) < piece ? (size_t)(n - off) : piece;
      conn_tls_input(&w, slot, buf + off, len);
      if (slot->in_len > CONN_IN_CAP)
        abort();
    }
}

static int fuzz_handshake(struct test_client *cl, size_t piece)
{
  for (int round = 0; round < 16 && !slot->tls_ready && !slot->closing; round++) {
    SSL_do_handshake(cl->ssl);
    fuzz_client_to_server(cl, piece);
    fuzz_deliver(cl);
  }
  SSL_do_handshake(cl->ssl);
  return slot->tls_ready && SSL_is_init_finished(cl->ssl) ? 0 : -1;
}

static void fuzz_one(const uint8_t *payload, size_t n, int mode, size_t piece, struct test_client *cl)
{
  if (fuzz_handshake(cl, piece) < 0)
    abort();                               /* a genuine client always gets through */
  if (mode == 0) {
    for (size_t off = 0; off < n;) {
      size_t len = n - off < piece ? n - off : piece;
      if (SSL_write(cl->ssl, payload + off, (int)len) != (int)len)
        abort();
      off += len;
      fuzz_client_to_server(cl, piece);
      fuzz_deliver(cl);                      /* session tickets, nothing else */
    }
    if (slot->closing || slot->in_len != n || memcmp(slot->in, payload, n) != 0)
      abort();
  } else if (mode == 1) {
    if (n > 256 * 1024)
      n = 256 * 1024;                        /* the ciphertext must fit the capture */
    memcpy(slot->out, payload, n);
    slot->out_len = n;
    conn_tls_flush(&w, slot);
    int due = fuzz_deliver(cl);
    static uint8_t got[256 * 1024];
    size_t have = 0;
    int r;
    while (have < n && (r = SSL_read(cl->ssl, got + have, (int)(n - have))) > 0)
      have += (size_t)r;
    if (slot->closing || have != n || memcmp(got, payload, n) != 0 || due != (n > 0))
      abort();
  } else {
    fuzz_client_to_server(cl, piece);
    for (size_t off = 0; off < n && !slot->closing; off += piece) {
      size_t len = n - off < piece ? n - off : piece;
      long added = conn_tls_input(&w, slot, (const char *)payload + off, len);
      if (slot->in_len > CONN_IN_CAP || (added < 0 && !slot->closing && !slot->send_pending))
        abort();
      fuzz_deliver(cl);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  (void)check_failures;
  if (!fuzz_ctx)
    fuzz_setup();
  if (size < 2)
    return 0;
  int mode = data[0] % 3;
  size_t piece = 1 + (size_t)data[1] * 97;
  *slot = (struct conn){.fd = -1, .index = 7, .used = 1, .in = conn_in, .out = conn_out};
  sent_len = 0;
  closed = 0;
  if (conn_tls_open(&w, slot) < 0)
    abort();
  struct test_client cl;
  struct test_client_opts o = {.sni = "example.com"};
  test_client_init(&cl, &o);
  fuzz_one(data + 2, size - 2, mode, piece, &cl);
  test_client_free(&cl);
  conn_tls_release(&w, slot);
  return 0;
}
