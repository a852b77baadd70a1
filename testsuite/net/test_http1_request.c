/* The HTTP/1.1 request parser against valid and invalid heads, each fed at
 * every prefix length, every buffer ending right before a PROT_NONE page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/http1.h"
#include "guard.h"

static int failures;
static struct guard_buf guard;

struct req_case {
  const char *text;
  int expect;                  /* 0: the whole text is one head; > 0: head length; < 0: error */
  const char *summary;         /* what a successful parse must read as */
};

#define OK 0
#define H11 "Host: a\r\n"

static const struct req_case cases[] = {
  {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=1 ec=0|Host=a"},
  {"GET / HTTP/1.0\r\n\r\n", OK, "GET|/|0|cl=-1 ch=0 ka=0 ec=0"},
  {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", OK, "GET|/|0|cl=-1 ch=0 ka=1 ec=0|Connection=Keep-Alive"},
  {"GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=0 ec=0|Host=a|Connection=close"},
  {"GET / HTTP/1.1\r\n" H11 "Connection: keep-alive, CLOSE\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=0 ec=0|Host=a|Connection=keep-alive, CLOSE"},
  {"GET / HTTP/1.1\r\n" H11 "X:  \t v a l \t \r\nY:\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=1 ec=0|Host=a|X=v a l|Y="},
  {"POST /u HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\nhello", 48, "POST|/u|1|cl=5 ch=0 ka=1 ec=0|Host=a|Content-Length=5"},
  {"POST /u HTTP/1.1\r\n" H11 "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", OK, "POST|/u|1|cl=5 ch=0 ka=1 ec=0|Host=a|Content-Length=5|content-length=5"},
  {"POST /u HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n", OK, "POST|/u|1|cl=0 ch=0 ka=1 ec=0|Host=a|Content-Length=0"},
  {"POST /u HTTP/1.1\r\n" H11 "Transfer-Encoding: Chunked\r\n\r\n", OK, "POST|/u|1|cl=-1 ch=1 ka=1 ec=0|Host=a|Transfer-Encoding=Chunked"},
  {"PUT /u HTTP/1.1\r\n" H11 "Content-Length: 3\r\nExpect: 100-Continue\r\n\r\n", OK, "PUT|/u|1|cl=3 ch=0 ka=1 ec=1|Host=a|Content-Length=3|Expect=100-Continue"},
  {"PUT /u HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", OK, "PUT|/u|0|cl=-1 ch=0 ka=0 ec=0|Expect=100-continue"},
  {"\r\nGET / HTTP/1.1\r\n" H11 "\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=1 ec=0|Host=a"},
  {"GET /1 HTTP/1.1\r\n" H11 "\r\nGET /2 HTTP/1.1\r\n" H11 "\r\n", 28, "GET|/1|1|cl=-1 ch=0 ka=1 ec=0|Host=a"},
  {"GET /caf\xc3\xa9?q=1&r=%20 HTTP/1.1\r\n" H11 "X: \xff\x80 obs\r\n\r\n", OK, "GET|/caf\xc3\xa9?q=1&r=%20|1|cl=-1 ch=0 ka=1 ec=0|Host=a|X=\xff\x80 obs"},
  {"GET http://a.example/b?c HTTP/1.1\r\nHost: a.example\r\n\r\n", OK, "GET|http://a.example/b?c|1|cl=-1 ch=0 ka=1 ec=0|Host=a.example"},
  {"OPTIONS * HTTP/1.1\r\n" H11 "\r\n", OK, "OPTIONS|*|1|cl=-1 ch=0 ka=1 ec=0|Host=a"},
  {"M-SEARCH /x HTTP/1.1\r\nHost:\r\n\r\n", OK, "M-SEARCH|/x|1|cl=-1 ch=0 ka=1 ec=0|Host="},
  {"GET / HTTP/1.1\r\n" H11 "Expect: 100-continue\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=1 ec=1|Host=a|Expect=100-continue"},

  /* request line */
  {"GET  / HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {" / HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GE(T / HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / http/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1 \r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.10\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/2.0\r\n" H11 "\r\n", HTTP1_ERR_VERSION, NULL},
  {"GET / HTTP/1.2\r\n" H11 "\r\n", HTTP1_ERR_VERSION, NULL},
  {"GET / HTTP/0.9\r\n" H11 "\r\n", HTTP1_ERR_VERSION, NULL},
  {"GET /\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET /a\x01 HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET /a\tb HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET /a\x7f HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"\nGET / HTTP/1.1\r\n" H11 "\r\n", HTTP1_ERR_BAD, NULL},
  /* header fields */
  {"GET / HTTP/1.1\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "X: a\r\n\tb\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n " H11 "\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "Xa\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 ": a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "X(y): a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "X: a\rb\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "X: a\nb\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "X: a\x7f\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "\r\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\n" H11 "\n", HTTP1_ERR_BAD, NULL},
  /* framing */
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: +5\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: 5 5\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: 5,5\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: 0x5\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: 1234567890123456789\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: xchunked\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", HTTP1_ERR_NOT_IMPLEMENTED, NULL},
  {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"PUT / HTTP/1.1\r\n" H11 "Expect: 200-ok\r\n\r\n", HTTP1_ERR_EXPECTATION, NULL},
  /* empty list elements in Transfer-Encoding: a peer may read them otherwise */
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked,\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: ,chunked\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked , \r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip,,chunked\r\n\r\n", HTTP1_ERR_BAD, NULL},
  /* Host: RFC 3986 host [":" port], in the field and in an absolute-form authority */
  {"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=1 ec=0|Host=[::1]:8080"},
  {"GET / HTTP/1.1\r\nHost: 127.0.0.1:\r\n\r\n", OK, "GET|/|1|cl=-1 ch=0 ka=1 ec=0|Host=127.0.0.1:"},
  {"GET / HTTP/1.1\r\nHost: a-b_c~d.ex%41mple!$&'()*+,;=\r\n\r\n", OK,
   "GET|/|1|cl=-1 ch=0 ka=1 ec=0|Host=a-b_c~d.ex%41mple!$&'()*+,;="},
  {"GET / HTTP/1.1\r\nHost: exa mple\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: [a]\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.0\r\nHost: a b\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET http://a:x/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP1_ERR_BAD, NULL},
  {"GET http://a/ HTTP/1.1\r\n\r\n", HTTP1_ERR_BAD, NULL},   /* Go wants Host even then */
};

struct host_case {
  const char *text;
  const char *host;            /* the request's Host, NULL for none */
  const char *origin;          /* the target after an authority */
};

/* the Host the request is routed and forwarded on (RFC 9112 3.2.2) */
static const struct host_case host_cases[] = {
  {"GET http://public.example/x HTTP/1.1\r\nHost: secret.internal\r\n\r\n", "public.example", "/x"},
  {"GET HTTPS://Public.Example:8443?q HTTP/1.1\r\nHost: s\r\n\r\n", "Public.Example:8443", "?q"},
  {"GET http:///x HTTP/1.1\r\nHost: field.example\r\n\r\n", "field.example", "/x"},
  {"GET /x HTTP/1.1\r\nHost: field.example\r\n\r\n", "field.example", "/x"},
  {"GET /x HTTP/1.0\r\n\r\n", NULL, "/x"},
  {"GET http://a.example HTTP/1.0\r\n\r\n", "a.example", ""},
};


static void summarize(const struct http_request *r, char *out, size_t cap)
{
  int n = snprintf(out, cap, "%.*s|%.*s|%d|cl=%lld ch=%d ka=%d ec=%d",
                   (int)r->method_len, r->method, (int)r->target_len, r->target,
                   r->version_minor, (long long)r->content_length, r->chunked,
                   r->keep_alive, r->expect_continue);
  for (size_t i = 0; i < r->header_count && n > 0 && (size_t)n < cap; i++)
    n += snprintf(out + n, cap - (size_t)n, "|%.*s=%.*s", (int)r->headers[i].name_len,
                  r->headers[i].name, (int)r->headers[i].value_len, r->headers[i].value);
}

static int parse_guarded(const char *text, size_t len, struct http_request *req)
{
  return http1_parse_request(guard_place(&guard, text, len), len, req);
}

/* every prefix shorter than the answer must ask for more (or fail the same way) */
static void check_prefixes(size_t idx, const char *text, size_t len, int want, size_t step)
{
  static struct http_request req;
  for (size_t k = 0; k < len; k += (k + step < len && k > 64 && k + 64 < len) ? step : 1) {
    int rc = parse_guarded(text, k, &req);
    int ok = want > 0 ? (k < (size_t)want ? rc == HTTP1_ERR_MORE : rc == want)
                      : (rc == HTTP1_ERR_MORE || rc == want);
    if (!ok) {
      fprintf(stderr, "case %zu: prefix %zu of %zu gave %d, want %d\n", idx, k, len, rc, want);
      failures++;
      return;
    }
  }
}

static void run_case(size_t idx, const char *text, size_t len, int expect, const char *summary)
{
  static struct http_request req;
  static char got[HTTP1_MAX_HEAD + 1024];
  int want = expect == OK ? (int)len : expect;
  int rc = parse_guarded(text, len, &req);
  if (rc != want) {
    fprintf(stderr, "case %zu: rc %d, want %d: %.60s\n", idx, rc, want, text);
    failures++;
    return;
  }
  if (summary) {
    summarize(&req, got, sizeof got);
    if (strcmp(got, summary) != 0) {
      fprintf(stderr, "case %zu:\n  got  %s\n  want %s\n", idx, got, summary);
      failures++;
    }
    if (req.head_len != (size_t)rc) {
      fprintf(stderr, "case %zu: head_len %zu, rc %d\n", idx, req.head_len, rc);
      failures++;
    }
  }
  check_prefixes(idx, text, len, want, len > 4096 ? 509 : 1);
}

/* heads built at run time: limits on the URI, the head and the header count */
static void run_limit_cases(void)
{
  static char big[HTTP1_MAX_HEAD + 4096];
  size_t n;
  n = (size_t)sprintf(big, "GET /%0*d HTTP/1.1\r\nHost: a\r\n\r\n", HTTP1_MAX_URI - 1, 0);
  run_case(1000, big, n, OK, NULL);
  n = (size_t)sprintf(big, "GET /%0*d HTTP/1.1\r\nHost: a\r\n\r\n", HTTP1_MAX_URI, 0);
  run_case(1001, big, n, HTTP1_ERR_URI_TOO_LONG, NULL);
  n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: %0*d\r\n\r\n", HTTP1_MAX_HEAD - 32, 0);
  run_case(1002, big, n, OK, NULL);
  n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: %0*d\r\n\r\n", HTTP1_MAX_HEAD - 31, 0);
  run_case(1003, big, n, HTTP1_ERR_HEAD_TOO_LARGE, NULL);
  n = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
  for (int i = 0; i < HTTP_MAX_HEADERS; i++)
    n += (size_t)sprintf(big + n, "H%d: v\r\n", i);
  memcpy(big + n, "\r\n", 2);
  run_case(1004, big, n + 2, HTTP1_ERR_BAD, NULL); /* no Host */
  n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
  for (int i = 1; i < HTTP_MAX_HEADERS; i++)
    n += (size_t)sprintf(big + n, "H%d: v\r\n", i);
  memcpy(big + n, "\r\n", 2);
  run_case(1005, big, n + 2, OK, NULL);
  n += (size_t)sprintf(big + n, "Hx: v\r\n");
  memcpy(big + n, "\r\n", 2);
  run_case(1006, big, n + 2, HTTP1_ERR_HEAD_TOO_LARGE, NULL);
}

static int is_token_char(char ch)
{
  return ch > 0x20 && ch < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", ch);
}

/* what every successful parse must hold, whatever the input */
static int check_invariants(const char *buf, int rc, const struct http_request *req)
{
  if (req->head_len != (size_t)rc || req->method_len == 0 || req->target_len == 0)
    return 0;
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (h->name < buf || h->value < buf || h->value + h->value_len > buf + rc || h->name_len == 0)
      return 0;
    for (size_t k = 0; k < h->name_len; k++)
      if (!is_token_char(h->name[k]))
        return 0;
    if (h->value_len && (h->value[0] == ' ' || h->value[h->value_len - 1] == ' ' ||
                         h->value[0] == '\t' || h->value[h->value_len - 1] == '\t'))
      return 0;
    for (size_t k = 0; k < h->value_len; k++)
      if (h->value[k] == '\r' || h->value[k] == '\n' || h->value[k] == 0)
        return 0;
  }
  return !(req->chunked && req->content_length >= 0);
}

/* random byte edits of every case: no over-read (guard page), prefixes agree
 * with the whole, and whatever parses holds the invariants */
static void run_mutations(void)
{
  static char text[512];
  static struct http_request req;
  uint32_t seed = 12345;
  for (int round = 0; round < 40; round++) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      size_t len = strlen(cases[i].text);
      if (len >= sizeof text)
        continue;
      memcpy(text, cases[i].text, len);
      for (int m = 0; m < 1 + round % 3; m++) {
        seed = seed * 1103515245u + 12345u;
        static const char alphabet[] = "\r\n :\t\0aZ;,\x80\x7f" "0";
        text[(seed >> 8) % len] = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
      }
      int rc = http1_parse_request(guard_place(&guard, text, len), len, &req);
      if (rc > 0 && !check_invariants(guard_place(&guard, text, len), rc, &req)) {
        fprintf(stderr, "mutation of case %zu breaks an invariant\n", i);
        failures++;
        return;
      }
      int before = failures;
      check_prefixes(3000 + i, text, len, rc, 1);
      if (failures != before)
        return;
    }
  }
}

static void check_status_map(void)
{
  static const int pairs[][2] = {
    {HTTP1_ERR_BAD, 400}, {HTTP1_ERR_HEAD_TOO_LARGE, 431}, {HTTP1_ERR_URI_TOO_LONG, 414},
    {HTTP1_ERR_NOT_IMPLEMENTED, 501}, {HTTP1_ERR_VERSION, 505},
    {HTTP1_ERR_EXPECTATION, 417}, {HTTP1_ERR_BODY_TOO_LARGE, 413},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    if (http1_error_status(pairs[i][0]) != pairs[i][1]) {
      fprintf(stderr, "status for %d: %d\n", pairs[i][0], http1_error_status(pairs[i][0]));
      failures++;
    }
  }
}

static void run_host_cases(void)
{
  static struct http_request req;
  for (size_t i = 0; i < sizeof host_cases / sizeof host_cases[0]; i++) {
    const struct host_case *c = &host_cases[i];
    size_t len = strlen(c->text);
    int rc = parse_guarded(c->text, len, &req);
    const char *origin = req.target + req.origin_at;
    size_t origin_len = req.target_len - req.origin_at;
    int ok = rc == (int)len &&
             (c->host ? req.host && req.host_len == strlen(c->host) &&
                            memcmp(req.host, c->host, req.host_len) == 0
                      : req.host == NULL) &&
             origin_len == strlen(c->origin) && memcmp(origin, c->origin, origin_len) == 0;
    if (!ok) {
      fprintf(stderr, "host case %zu: rc %d host %.*s origin %.*s\n", i, rc, (int)req.host_len,
              req.host ? req.host : "", (int)origin_len, origin);
      failures++;
    }
    check_prefixes(3000 + i, c->text, len, (int)len, 1);
  }
}

int main(void)
{
  if (guard_init(&guard, HTTP1_MAX_HEAD + 4096) != 0) {
    perror("guard");
    return 1;
  }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_case(i, cases[i].text, strlen(cases[i].text), cases[i].expect, cases[i].summary);
  }
  /* the NUL case: strlen stops at the NUL, so give it its real length */
  static const char nul_case[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
  run_case(2000, nul_case, sizeof nul_case - 1, HTTP1_ERR_BAD, NULL);
  run_host_cases();
  run_limit_cases();
  run_mutations();
  check_status_map();
  if (failures)
    fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
