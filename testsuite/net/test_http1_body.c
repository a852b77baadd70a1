/* The chunked decoder (fed whole, split in two at every byte, and byte by
 * byte) and the upstream response parser (at every prefix), all through
 * buffers that end at a PROT_NONE page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/http1.h"
#include "guard.h"

static int failures;
static struct guard_buf guard;

struct chunk_case {
  const char *text;
  const char *body;            /* decoded body, or NULL when an error is expected */
  int error;                   /* the error when body is NULL */
  size_t trailing;             /* bytes after the end of the body that must be left */
  uint64_t max_body;
};

static const struct chunk_case chunk_cases[] = {
  {"5\r\nhello\r\n0\r\n\r\n", "hello", 0, 0, 0},
  {"0\r\n\r\n", "", 0, 0, 0},
  {"5;ext=1\r\nhello\r\n6 ; a=\"b c\"\r\n world\r\n0\r\n\r\n", "hello world", 0, 0, 0},
  {"A\r\n0123456789\r\n0\r\nTrailer: x\r\nT2: y\r\n\r\nEXTRA", "0123456789", 0, 5, 0},
  {"a\r\nabcdefghij\r\n00000\r\n\r\nGET / HTTP/1.1\r\n", "abcdefghij", 0, 16, 0},
  {"00003\r\nabc\r\n1\r\nd\r\n0;last\r\n\r\n", "abcd", 0, 0, 0},
  {"5 \r\nhello\r\n0\r\n\r\n", "hello", 0, 0, 0},
  {"5\r\nhello\r\n0\r\n\r\n", "hello", 0, 0, 5},
  {"5\r\nhello\r\n0\r\n\r\n", NULL, HTTP1_ERR_BODY_TOO_LARGE, 0, 4},
  {"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", NULL, HTTP1_ERR_BODY_TOO_LARGE, 0, 5},
  {"5\r\nhelloX\r\n0\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"5\r\nhello\n0\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"\r\nhello\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {" 5\r\nhello\r\n0\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"g\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"-5\r\nhello\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0x5\r\nhello\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"5\nhello\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"5\r\rhello\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"10000000000000000\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"5;a\x01\r\nhello\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\n x: y\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\nT: a\x01\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\nT: a\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\n\n", NULL, HTTP1_ERR_BAD, 0, 0},
  /* trailer fields are field-name ":" field-value, as in a head */
  {"0\r\nT:\r\n\r\n", "", 0, 0, 0},
  {"0\r\nNoColon\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\nT x: y\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\nT : y\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\nT(: y\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
  {"0\r\nT: y\r\nbare\r\n\r\n", NULL, HTTP1_ERR_BAD, 0, 0},
};

struct feed_result {
  int rc;                      /* 0, or the error */
  int done;
  size_t consumed;
  char body[256];
  size_t body_len;
};

/* feeds one piece; the decoder must take it all unless the body ended */
static void feed(struct http1_chunked *d, const char *piece, size_t len, struct feed_result *r)
{
  size_t off = 0;
  while (off < len && !d->done && r->rc == 0) {
    const char *data;
    size_t data_len;
    int rc = http1_chunked_decode(d, piece + off, len - off, &data, &data_len);
    if (rc < 0) {
      r->rc = rc;
      return;
    }
    if (data_len > (size_t)rc || (data_len && (data < piece + off || data + data_len > piece + off + (size_t)rc)))
      r->rc = 99;   /* data outside what was consumed */
    if (r->body_len + data_len < sizeof r->body) {
      memcpy(r->body + r->body_len, data, data_len);
      r->body_len += data_len;
    }
    off += (size_t)rc;
    r->consumed += (size_t)rc;
  }
  r->done = d->done;
}

/* decodes text cut at the given offsets (sorted, ending with the length) */
static void decode_split(const struct chunk_case *c, const size_t *cuts, size_t ncuts,
                         struct feed_result *r)
{
  struct http1_chunked d = {.max_body = c->max_body};
  memset(r, 0, sizeof *r);
  size_t prev = 0;
  for (size_t i = 0; i < ncuts && !r->rc && !r->done; i++) {
    const char *piece = guard_place(&guard, c->text + prev, cuts[i] - prev);
    feed(&d, piece, cuts[i] - prev, r);
    prev = cuts[i];
  }
}

static int result_ok(const struct chunk_case *c, const struct feed_result *r)
{
  size_t len = strlen(c->text);
  if (!c->body)
    return r->rc == c->error;
  return r->rc == 0 && r->done && r->consumed == len - c->trailing &&
         r->body_len == strlen(c->body) && memcmp(r->body, c->body, r->body_len) == 0;
}

static void check_chunk_case(size_t idx, const struct chunk_case *c)
{
  size_t len = strlen(c->text);
  struct feed_result r;
  size_t cuts[2];
  for (size_t k = 0; k <= len; k++) {
    cuts[0] = k;
    cuts[1] = len;
    decode_split(c, cuts, 2, &r);
    if (!result_ok(c, &r)) {
      fprintf(stderr, "chunk case %zu split at %zu: rc %d done %d consumed %zu body '%.*s'\n",
              idx, k, r.rc, r.done, r.consumed, (int)r.body_len, r.body);
      failures++;
      return;
    }
  }
  size_t bytes[256];
  for (size_t k = 0; k < len; k++)
    bytes[k] = k + 1;
  decode_split(c, bytes, len, &r);
  if (!result_ok(c, &r)) {
    fprintf(stderr, "chunk case %zu byte by byte: rc %d done %d\n", idx, r.rc, r.done);
    failures++;
  }
}

/* an over-long extension and an over-long trailer section are refused */
static void check_chunk_limits(void)
{
  static char text[HTTP1_MAX_HEAD + 64];
  struct http1_chunked d = {0};
  const char *data;
  size_t data_len;
  size_t n = (size_t)sprintf(text, "1;x=");
  memset(text + n, 'a', HTTP1_MAX_CHUNK_LINE);
  n += HTTP1_MAX_CHUNK_LINE;
  if (http1_chunked_decode(&d, text, n, &data, &data_len) != HTTP1_ERR_BAD) {
    fprintf(stderr, "long chunk extension accepted\n");
    failures++;
  }
  memset(&d, 0, sizeof d);
  n = (size_t)sprintf(text, "0\r\nT: ");
  memset(text + n, 'a', HTTP1_MAX_HEAD);
  n += HTTP1_MAX_HEAD;
  if (http1_chunked_decode(&d, text, n, &data, &data_len) != HTTP1_ERR_HEAD_TOO_LARGE) {
    fprintf(stderr, "long trailer accepted\n");
    failures++;
  }
}

struct resp_case {
  const char *text;
  int head;                    /* answer to a HEAD request */
  int expect;                  /* 0: the whole text; < 0: error */
  const char *summary;
};

static const struct resp_case resp_cases[] = {
  {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 0, "200|1|OK|body=1 cl=5 ka=1|Content-Length=5"},
  {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, "200|1|OK|body=2 cl=-1 ka=1|Transfer-Encoding=chunked"},
  {"HTTP/1.1 200 OK\r\n\r\n", 0, 0, "200|1|OK|body=3 cl=-1 ka=0"},
  {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", 0, 0, "200|0|OK|body=1 cl=1 ka=0|Content-Length=1"},
  {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", 0, 0, "200|0|OK|body=1 cl=1 ka=1|Connection=keep-alive|Content-Length=1"},
  {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", 0, 0, "200|1|OK|body=1 cl=1 ka=0|Connection=close|Content-Length=1"},
  {"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", 0, 0, "204|1|No Content|body=0 cl=7 ka=1|Content-Length=7"},
  {"HTTP/1.1 304 Not Modified\r\n\r\n", 0, 0, "304|1|Not Modified|body=0 cl=-1 ka=1"},
  {"HTTP/1.1 100 Continue\r\n\r\n", 0, 0, "100|1|Continue|body=0 cl=-1 ka=1"},
  {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", 1, 0, "200|1|OK|body=0 cl=9 ka=1|Content-Length=9"},
  {"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 0, 0, "404|1||body=1 cl=0 ka=1|Content-Length=0"},
  {"HTTP/1.1 502 \r\nX:  y \r\nContent-Length: 0\r\n\r\n", 0, 0, "502|1||body=1 cl=0 ka=1|X=y|Content-Length=0"},
  {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 0, "200|1|OK|body=3 cl=-1 ka=0|Transfer-Encoding=gzip"},
  {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP", 0, 38, "200|1|OK|body=1 cl=3 ka=1|Content-Length=3"},
  {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 20 OK\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 099 OK\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 2000 OK\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/2 200 OK\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/2.0 200 OK\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 200 OK\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 200 OK\r\nX y: z\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
  {"ICY 200 OK\r\n\r\n", 0, HTTP1_ERR_BAD, NULL},
};

static void summarize(const struct http1_response *r, char *out, size_t cap)
{
  int n = snprintf(out, cap, "%d|%d|%.*s|body=%d cl=%lld ka=%d", r->status, r->version_minor,
                   (int)r->reason_len, r->reason, (int)r->body,
                   (long long)r->content_length, r->keep_alive);
  for (size_t i = 0; i < r->header_count && n > 0 && (size_t)n < cap; i++)
    n += snprintf(out + n, cap - (size_t)n, "|%.*s=%.*s", (int)r->headers[i].name_len,
                  r->headers[i].name, (int)r->headers[i].value_len, r->headers[i].value);
}

static void check_resp_case(size_t idx, const struct resp_case *c)
{
  static struct http1_response resp;
  char got[1024];
  size_t len = strlen(c->text);
  int want = c->expect ? c->expect : (int)len;
  for (size_t k = 0; k <= len; k++) {
    int rc = http1_parse_response(guard_place(&guard, c->text, k), k, c->head, &resp);
    int ok = k == len ? rc == want
           : want > 0 ? (k < (size_t)want ? rc == HTTP1_ERR_MORE : rc == want)
                      : (rc == HTTP1_ERR_MORE || rc == want);
    if (!ok) {
      fprintf(stderr, "resp case %zu: prefix %zu of %zu gave %d, want %d\n", idx, k, len, rc, want);
      failures++;
      return;
    }
  }
  if (!c->summary)
    return;
  summarize(&resp, got, sizeof got);
  if (strcmp(got, c->summary) != 0) {
    fprintf(stderr, "resp case %zu:\n  got  %s\n  want %s\n", idx, got, c->summary);
    failures++;
  }
}

int main(void)
{
  if (guard_init(&guard, HTTP1_MAX_HEAD + 4096) != 0) {
    perror("guard");
    return 1;
  }
  for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++)
    check_chunk_case(i, &chunk_cases[i]);
  check_chunk_limits();
  for (size_t i = 0; i < sizeof resp_cases / sizeof resp_cases[0]; i++)
    check_resp_case(i, &resp_cases[i]);
  if (failures)
    fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
