/* The FastCGI codec: record streams decoded fed whole, split in two at every
 * byte and byte by byte, from buffers that end at a PROT_NONE page; PARAMS
 * records decoded back; the CGI head at every prefix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/fastcgi.h"
#include "guard.h"

static int failures;
static struct guard_buf guard;

#define CHECK(cond, ...)                    \
  do {                                      \
    if (!(cond)) {                          \
      fprintf(stderr, __VA_ARGS__);         \
      fputc('\n', stderr);                  \
      failures++;                           \
    }                                       \
  } while (0)

/* ---- record streams ---- */

/* appends one record (any version) to out; returns the new length */
static size_t rec(char *out, size_t len, int version, int type, const char *content, size_t n, int padding)
{
  uint8_t *h = (uint8_t *)out + len;
  h[0] = (uint8_t)version, h[1] = (uint8_t)type, h[2] = 0, h[3] = 1;
  h[4] = (uint8_t)(n >> 8), h[5] = (uint8_t)n, h[6] = (uint8_t)padding, h[7] = 0;
  memcpy(out + len + 8, content, n);
  memset(out + len + 8 + n, 'P', (size_t)padding);
  return len + 8 + n + (size_t)padding;
}

struct decoded {
  int rc;                      /* 0, or -1 */
  int ended;
  char out[1024], err[256];
  size_t out_len, err_len;
  size_t consumed;
};

/* the proxy's way: unconsumed bytes stay at the front, more are appended */
static void decode_cuts(const char *s, size_t len, const size_t *cuts, size_t ncuts, struct decoded *d)
{
  struct fastcgi_stream st = {0};
  memset(d, 0, sizeof *d);
  size_t start = 0;
  for (size_t i = 0; i < ncuts && !d->rc && !d->ended; i++) {
    const char *win = guard_place(&guard, s + start, cuts[i] - start);
    size_t have = cuts[i] - start, off = 0;
    for (;;) {
      struct fastcgi_piece p;
      int rc = fastcgi_stream_next(&st, win + off, have - off, &p);
      if (rc == -2)
        break;
      if (rc < 0 || (size_t)rc > have - off || (p.len && (p.data < win + off || p.data + p.len > win + off + rc))) {
        d->rc = -1;
        break;
      }
      if (p.type == FASTCGI_STDOUT)
        memcpy(d->out + d->out_len, p.data, p.len), d->out_len += p.len;
      if (p.type == FASTCGI_STDERR)
        memcpy(d->err + d->err_len, p.data, p.len), d->err_len += p.len;
      off += (size_t)rc;
      if (p.type == FASTCGI_END_REQUEST) {
        d->ended = 1;
        break;
      }
    }
    start += off;
  }
  d->consumed = start;
  (void)len;
}

struct stream_case {
  const char *name;
  char bytes[512];
  size_t len;
  int rc, ended;
  const char *out, *err;
};

static void check_stream(const struct stream_case *c)
{
  struct decoded d;
  size_t cuts[2], bytes[512];
  for (size_t k = 0; k <= c->len; k++) {
    cuts[0] = k, cuts[1] = c->len;
    decode_cuts(c->bytes, c->len, cuts, 2, &d);
    int ok = d.rc == c->rc && (c->rc || (d.ended == c->ended && d.out_len == strlen(c->out) &&
             memcmp(d.out, c->out, d.out_len) == 0 && d.err_len == strlen(c->err) &&
             memcmp(d.err, c->err, d.err_len) == 0));
    CHECK(ok, "stream %s split at %zu: rc %d ended %d out '%.*s' err '%.*s'", c->name, k, d.rc, d.ended,
          (int)d.out_len, d.out, (int)d.err_len, d.err);
    if (!ok)
      return;
  }
  for (size_t k = 0; k < c->len; k++)
    bytes[k] = k + 1;
  decode_cuts(c->bytes, c->len, bytes, c->len, &d);
  CHECK(d.rc == c->rc && (c->rc || (d.ended == c->ended && d.out_len == strlen(c->out))),
        "stream %s byte by byte: rc %d ended %d", c->name, d.rc, d.ended);
}

static void check_streams(void)
{
  static struct stream_case cs[8];
  size_t n = 0, l;
  static const char end_body[8] = {0};

  cs[n] = (struct stream_case){.name = "stdout and end", .out = "Status: 200\r\n\r\nhi", .err = "", .ended = 1};
  l = rec(cs[n].bytes, 0, 1, FASTCGI_STDOUT, "Status: 200\r\n\r\nhi", 17, 7);
  l = rec(cs[n].bytes, l, 1, FASTCGI_STDOUT, "", 0, 0);
  cs[n].len = rec(cs[n].bytes, l, 1, FASTCGI_END_REQUEST, end_body, 8, 0);
  n++;
  cs[n] = (struct stream_case){.name = "stderr between", .out = "abcdef", .err = "warn", .ended = 1};
  l = rec(cs[n].bytes, 0, 1, FASTCGI_STDOUT, "abc", 3, 5);
  l = rec(cs[n].bytes, l, 1, FASTCGI_STDERR, "warn", 4, 4);
  l = rec(cs[n].bytes, l, 1, FASTCGI_STDOUT, "def", 3, 0);
  cs[n].len = rec(cs[n].bytes, l, 1, FASTCGI_END_REQUEST, end_body, 8, 0);
  n++;
  /* Caddy reads any other record's content as STDOUT */
  cs[n] = (struct stream_case){.name = "other type as stdout", .out = "xy", .err = "", .ended = 1};
  l = rec(cs[n].bytes, 0, 1, FASTCGI_DATA, "x", 1, 0);
  l = rec(cs[n].bytes, l, 1, 200, "y", 1, 255 - 250);
  cs[n].len = rec(cs[n].bytes, l, 1, FASTCGI_END_REQUEST, end_body, 8, 0);
  n++;
  cs[n] = (struct stream_case){.name = "cut before end", .out = "abc", .err = "", .ended = 0};
  cs[n].len = rec(cs[n].bytes, 0, 1, FASTCGI_STDOUT, "abcdef", 6, 2) - 5;
  n++;
  cs[n] = (struct stream_case){.name = "bad version", .rc = -1};
  l = rec(cs[n].bytes, 0, 1, FASTCGI_STDOUT, "abc", 3, 5);
  cs[n].len = rec(cs[n].bytes, l, 2, FASTCGI_STDOUT, "abc", 3, 5);
  n++;
  for (size_t i = 0; i < n; i++)
    check_stream(&cs[i]);

  /* after END_REQUEST the stream takes nothing more */
  struct fastcgi_stream st = {0};
  struct fastcgi_piece p;
  char buf[32];
  l = rec(buf, 0, 1, FASTCGI_END_REQUEST, end_body, 8, 0);
  CHECK(fastcgi_stream_next(&st, buf, l, &p) == 8 && p.type == FASTCGI_END_REQUEST && st.ended, "end header");
  CHECK(fastcgi_stream_next(&st, buf + 8, l - 8, &p) == -1, "bytes after the end are malformed");
  CHECK(fastcgi_stream_next(&st, buf, 0, &p) == -2, "nothing after the end is more");
}

/* ---- PARAMS ---- */

static size_t get_size(const uint8_t *p, size_t *n)
{
  if (p[0] < 0x80) {
    *n = p[0];
    return 1;
  }
  *n = (size_t)(p[0] & 0x7f) << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
  return 4;
}

/* walks the records: content joined into out; returns the record count, -1 if malformed */
static int params_records(const uint8_t *b, size_t len, uint8_t *out, size_t *out_len)
{
  int count = 0;
  size_t off = 0;
  *out_len = 0;
  while (off < len) {
    size_t n = (size_t)b[off + 4] << 8 | b[off + 5];
    if (b[off] != 1 || b[off + 1] != FASTCGI_PARAMS || b[off + 3] != 1 || (n + b[off + 6]) % 8 || n > FASTCGI_MAX_CONTENT)
      return -1;
    if (n == 0)
      return off + 8 == len ? count + 1 : -1;   /* the empty record ends the stream */
    memcpy(out + *out_len, b + off + 8, n);
    *out_len += n;
    off += 8 + n + b[off + 6];
    count++;
  }
  return -1;
}

static void check_params(void)
{
  static uint8_t buf[200000], joined[200000];
  static char big[70000];
  memset(big, 'v', sizeof big);
  struct fastcgi_params p;
  fastcgi_params_init(&p, buf, sizeof buf);
  CHECK(fastcgi_params_put(&p, "SCRIPT_NAME", 11, "/index.php", 10) == 0, "put");
  CHECK(fastcgi_params_put(&p, "LONG", 4, big, 300) == 0, "put long");
  CHECK(fastcgi_params_put(&p, "HUGE", 4, big, sizeof big) == 0, "put huge");
  CHECK(fastcgi_params_put(&p, "LAST", 4, "", 0) == 0, "put empty");
  int len = fastcgi_params_end(&p);
  size_t jl;
  int records = params_records(buf, (size_t)len, joined, &jl);
  CHECK(records == 4, "records %d", records);   /* two pairs, the cut HUGE, LAST with the end */
  size_t off = 0, n, v;
  const char *names[] = {"SCRIPT_NAME", "LONG", "HUGE", "LAST"};
  size_t values[] = {10, 300, FASTCGI_MAX_CONTENT - 8 - 4, 0};
  for (int i = 0; i < 4 && records > 0; i++) {
    off += get_size(joined + off, &n);
    off += get_size(joined + off, &v);
    CHECK(n == strlen(names[i]) && memcmp(joined + off, names[i], n) == 0 && v == values[i], "pair %d: %zu %zu", i, n, v);
    off += n + v;
  }
  CHECK(off == jl, "pairs fill the content");

  /* a full buffer leaves the records as they were */
  uint8_t small[40];
  fastcgi_params_init(&p, small, sizeof small);
  CHECK(fastcgi_params_put(&p, "A", 1, "b", 1) == 0, "small put");
  size_t before = p.len;
  CHECK(fastcgi_params_put(&p, "NAME", 4, big, 20) == -ENOSPC && p.len == before, "no room");
  CHECK(fastcgi_params_put(&p, big, FASTCGI_MAX_CONTENT, "", 0) == -EINVAL, "name too long");
  len = fastcgi_params_end(&p);
  CHECK(len == 24 && params_records(small, 24, joined, &jl) == 2 && jl == 4, "small end %d", len);

  uint8_t begin[FASTCGI_BEGIN_LEN];
  fastcgi_begin_request(begin);
  CHECK(memcmp(begin, "\1\1\0\1\0\10\0\0\0\1\0\0\0\0\0\0", 16) == 0, "begin request");
}

/* ---- the CGI head ---- */

struct head_case {
  const char *text;
  int at_eof;
  int rc;                      /* the whole text's result; > 0: head length */
  int status, chunked;
  size_t fields;
  const char *first_name, *first_value;
};

static const struct head_case head_cases[] = {
  {"Content-type: text/html\r\n\r\nbody", 0, 27, 200, 0, 1, "Content-type", "text/html"},
  {"Status: 404 Not Found\nX-A:  b \t\n\n", 0, 33, 404, 0, 2, "Status", "404 Not Found"},
  {"status: +301\r\nLocation: /x\r\n\r\n", 0, 30, 301, 0, 2, "status", "+301"},
  {"Transfer-Encoding: chunked\r\n\r\n", 0, 30, 200, 1, 1, "Transfer-Encoding", "chunked"},
  {"Transfer-Encoding: Chunked\r\n\r\n", 0, 30, 200, 0, 1, "Transfer-Encoding", "Chunked"},
  {": skipped\r\nA: 1\r\n\r\n", 0, 19, 200, 0, 1, "A", "1"},
  {"\r\nbody", 0, 2, 200, 0, 0, NULL, NULL},
  {"A: 1\r\nB: 2", 1, 10, 200, 0, 2, "A", "1"},
  {"A: 1\r\n", 1, 6, 200, 0, 1, "A", "1"},
  {"", 1, 0, 200, 0, 0, NULL, NULL},
  {"NoColon\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"A: 1\r\n folded\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {" A: 1\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"A B: 1\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"A: 1\r2\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"Status: abc\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"Status: 99\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"Status: 1000\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"Status:\r\n\r\n", 0, -1, 0, 0, 0, NULL, NULL},
  {"A: 1\r\nB", 1, -1, 0, 0, 0, NULL, NULL},
};

static void check_head(size_t idx, const struct head_case *c)
{
  static struct fastcgi_head h;
  size_t len = strlen(c->text);
  for (size_t k = 0; k < len; k++) {
    int rc = fastcgi_parse_head(guard_place(&guard, c->text, k), k, 0, &h);
    int want_prefix = c->rc < 0 ? -2 : (size_t)c->rc <= k && !c->at_eof ? c->rc : -2;
    CHECK(rc == want_prefix || (c->rc == -1 && rc == -1), "head %zu prefix %zu: %d", idx, k, rc);
  }
  int rc = fastcgi_parse_head(guard_place(&guard, c->text, len), len, c->at_eof, &h);
  CHECK(rc == c->rc, "head %zu: rc %d, want %d", idx, rc, c->rc);
  if (rc < 0 || c->rc < 0)
    return;
  CHECK(h.status == c->status && h.chunked == c->chunked && h.header_count == c->fields,
        "head %zu: status %d chunked %d fields %zu", idx, h.status, h.chunked, h.header_count);
  if (c->first_name && h.header_count)
    CHECK(h.headers[0].name_len == strlen(c->first_name) && memcmp(h.headers[0].name, c->first_name, h.headers[0].name_len) == 0 &&
          h.headers[0].value_len == strlen(c->first_value) && memcmp(h.headers[0].value, c->first_value, h.headers[0].value_len) == 0,
          "head %zu: first field '%.*s: %.*s'", idx, (int)h.headers[0].name_len, h.headers[0].name,
          (int)h.headers[0].value_len, h.headers[0].value);
}

static void check_heads(void)
{
  for (size_t i = 0; i < sizeof head_cases / sizeof head_cases[0]; i++)
    check_head(i, &head_cases[i]);
  static char many[HTTP_MAX_HEADERS * 8 + 16];
  size_t n = 0;
  for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
    n += (size_t)sprintf(many + n, "A: %d\r\n", i % 10);
  n += (size_t)sprintf(many + n, "\r\n");
  static struct fastcgi_head h;
  CHECK(fastcgi_parse_head(many, n, 0, &h) == -3, "too many fields");
}

int main(void)
{
  if (guard_init(&guard, 1 << 16) < 0) {
    perror("guard");
    return 1;
  }
  check_streams();
  check_params();
  check_heads();
  printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
