/* When a connection turns to HTTP/2: the client preface (h2c with prior
 * knowledge, split anywhere), or ALPN "h2" after a TLS handshake, and never
 * a TLS connection that negotiated something else or an HTTP/1.1 request. */
#include <string.h>

#include "runtime/h2/h2.h"
#include "testsuite/check.h"

static int detect(int tls, const char *alpn, const char *bytes, size_t len)
{
  static char in[64];
  struct conn c = {.in = in};
  memcpy(in, bytes, len);
  c.in_len = len;
  c.info.tls = tls;
  snprintf(c.info.tls_alpn, sizeof c.info.tls_alpn, "%s", alpn);
  return h2_conn_detect(&c);
}

int main(void)
{
  static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  size_t n = sizeof preface - 1;
  for (size_t k = 1; k < n; k++)
    CHECK(detect(0, "", preface, k) == -1);   /* every prefix: wait for more */
  CHECK(detect(0, "", preface, n) == 1);
  char more[40];
  memcpy(more, preface, n);
  memcpy(more + n, "\0\0\0\4\0\0\0\0\0", 9);   /* the preface and an empty SETTINGS */
  CHECK(detect(0, "", more, n + 9) == 1);
  CHECK(detect(0, "", "GET / HTTP/1.1\r\n", 16) == 0);
  CHECK(detect(0, "", "PRI * HTTP/1.1\r\n", 16) == 0);
  CHECK(detect(0, "", "P", 1) == -1);
  CHECK(detect(1, "h2", "", 0) == 1);                    /* ALPN decides over TLS */
  CHECK(detect(1, "h2", "GET / HTTP/1.1\r\n", 16) == 1);
  CHECK(detect(1, "http/1.1", preface, n) == 0);
  CHECK(detect(1, "", preface, n) == 0);
  if (check_failures)
    fprintf(stderr, "%d failure(s)\n", check_failures);
  return check_failures ? 1 : 0;
}
