/* Fuzz target: garbage into tls_conn_feed during a handshake. Byte 0 picks
 * the start: odd feeds a genuine ClientHello first (so the bytes land in the
 * middle of a handshake), even feeds the input from the first byte; byte 1
 * picks the piece size. Checks: feed never takes more than it is given,
 * errors are sticky, output stays inside the buffer, nothing leaks. */
#include <stdlib.h>

#include "fuzz.h"
#include "tls_test.h"

static struct tls_ctx *fuzz_ctx;
static uint8_t hello[4096];
static size_t hello_len;

/* once: a CA in a scratch folder, a context, and a real ClientHello */
static void fuzz_setup(void)
{
  fuzz_ctx = test_scratch_ctx("tls-fuzz", "example.com");
  struct test_client cl;
  struct test_client_opts o = {.sni = "example.com", .alpn = TEST_ALPN("\x02h2\x08http/1.1")};
  test_client_init(&cl, &o);
  SSL_do_handshake(cl.ssl);
  int n = BIO_read(cl.wbio, hello, sizeof hello);
  hello_len = n > 0 ? (size_t)n : 0;
  test_client_free(&cl);
}

static int fuzz_feed(struct tls_conn *c, const uint8_t *p, size_t n, size_t piece)
{
  static uint8_t plain[16384];
  for (size_t off = 0; off < n;) {
    size_t len = n - off < piece ? n - off : piece;
    ssize_t t = tls_conn_feed(c, p + off, len);
    if (t < 0)
      return (int)t;
    if ((size_t)t > len)
      abort();
    off += (size_t)t;
    ssize_t r;
    while ((r = tls_conn_read(c, plain, sizeof plain)) > 0)
      ;
    const uint8_t *out;
    size_t out_len;
    tls_conn_pending_out(c, &out, &out_len);
    if (out < c->out || out + out_len > c->out + c->out_cap)
      abort();
    tls_conn_consume_out(c, out_len);
    if (r < 0 && r != -EAGAIN)
      return (int)r;
    if (t == 0 && r == -EAGAIN)
      return 0;                            /* stuck: input full and nothing to read */
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static uint8_t in[TLS_CONN_IN_MIN * 4], out[TLS_CONN_OUT_MIN];
  (void)check_failures;
  if (!fuzz_ctx)
    fuzz_setup();
  if (size < 2)
    return 0;
  struct tls_conn c;
  if (tls_conn_init(&c, fuzz_ctx, in, sizeof in, out, sizeof out) < 0)
    abort();
  size_t piece = 1 + (size_t)data[1] * 64;
  int r = data[0] & 1 ? fuzz_feed(&c, hello, hello_len, hello_len) : 0;
  if (r == 0)
    r = fuzz_feed(&c, data + 2, size - 2, piece);
  if (r < 0 && (tls_conn_feed(&c, "x", 1) != r || !c.reason[0]))
    abort();                               /* failures are sticky and explained */
  tls_conn_free(&c);
  return 0;
}
