/* HTTP/1.1 heads (RFC 9112): the strict request parser and the upstream
 * response parser, with message framing decided here (Content-Length,
 * Transfer-Encoding) so that no request can be read two ways. Bodies are
 * decoded by http1_chunked.c; nothing here allocates or copies. */
#include "http1.h"

#include <string.h>

struct scan {
  const char *buf;
  size_t len;
  size_t pos;
};

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static int is_tchar(unsigned char c)
{
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return 1;
  if (c >= '0' && c <= '9')
    return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* request-target bytes: visible ASCII, and obs-text as Go's server accepts it */
static int is_target_char(unsigned char c)
{
  return c > 0x20 && c != 0x7f;
}

/* field-value bytes: VCHAR, SP, HTAB, obs-text; no other control characters */
static int is_field_char(unsigned char c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int is_ows(char c)
{
  return c == ' ' || c == '\t';
}

int http1_token_eq(const char *s, size_t len, const char *lit)
{
  size_t n = strlen(lit);
  if (len != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z')
      a = (char)(a + 32);
    if (a != lit[i])
      return 0;
  }
  return 1;
}

/* Calls fn on each element of a comma-separated list, OWS trimmed, empty
 * elements skipped (RFC 9110 §5.6.1) unless keep_empty (framing fields are
 * read strictly); stops at the first non-zero result. */
static int list_each(const char *v, size_t len, int keep_empty,
                     int (*fn)(void *arg, const char *elem, size_t elem_len), void *arg)
{
  size_t i = 0;
  for (;;) {
    size_t start = i;
    while (i < len && v[i] != ',')
      i++;
    size_t end = i;
    while (start < end && is_ows(v[start]))
      start++;
    while (end > start && is_ows(v[end - 1]))
      end--;
    if (end > start || keep_empty) {
      int rc = fn(arg, v + start, end - start);
      if (rc)
        return rc;
    }
    if (i >= len)
      return 0;
    i++;   /* the comma; a trailing one leaves an empty last element */
  }
}

static int match_token(void *arg, const char *elem, size_t elem_len)
{
  return http1_token_eq(elem, elem_len, arg);
}

int http1_list_has(const char *value, size_t len, const char *token)
{
  return list_each(value, len, 0, match_token, (void *)token);
}

/* CRLF; a bare LF or CR is malformed (lenient line endings enable smuggling) */
static int scan_crlf(struct scan *s)
{
  if (s->pos >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos] != '\r')
    return HTTP1_ERR_BAD;
  if (s->pos + 1 >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos + 1] != '\n')
    return HTTP1_ERR_BAD;
  s->pos += 2;
  return 0;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT; anything but 1.0 and 1.1 is a 505 */
static int scan_version(struct scan *s, int *minor)
{
  static const char pattern[] = "HTTP/0.0";
  for (size_t i = 0; i < 8; i++) {
    if (s->pos + i >= s->len)
      return HTTP1_ERR_MORE;
    char c = s->buf[s->pos + i];
    int ok = pattern[i] == '0' ? (c >= '0' && c <= '9') : c == pattern[i];
    if (!ok)
      return HTTP1_ERR_BAD;
  }
  const char *v = s->buf + s->pos;
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
    return HTTP1_ERR_VERSION;
  *minor = v[7] - '0';
  s->pos += 8;
  return 0;
}

/* field-line = field-name ":" OWS field-value OWS CRLF; no obs-fold, no
 * whitespace before the colon. Returns 1 at the empty line ending the head. */
static int scan_header(struct scan *s, struct http_header *h)
{
  if (s->pos >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos] == '\r') {
    int rc = scan_crlf(s);
    return rc ? rc : 1;
  }
  size_t start = s->pos;
  while (s->pos < s->len && is_tchar((unsigned char)s->buf[s->pos]))
    s->pos++;
  if (s->pos >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos] != ':' || s->pos == start)
    return HTTP1_ERR_BAD;
  h->name = s->buf + start;
  h->name_len = s->pos - start;
  s->pos++;
  while (s->pos < s->len && is_ows(s->buf[s->pos]))
    s->pos++;
  start = s->pos;
  while (s->pos < s->len && s->buf[s->pos] != '\r') {
    if (!is_field_char((unsigned char)s->buf[s->pos]))
      return HTTP1_ERR_BAD;
    s->pos++;
  }
  size_t end = s->pos;
  int rc = scan_crlf(s);
  if (rc)
    return rc;
  while (end > start && is_ows(s->buf[end - 1]))
    end--;
  h->value = s->buf + start;
  h->value_len = end - start;
  return 0;
}

static int scan_headers(struct scan *s, struct http_header *headers, size_t *count)
{
  *count = 0;
  for (;;) {
    struct http_header h;
    int rc = scan_header(s, &h);
    if (rc == 1)
      return 0;
    if (rc)
      return rc;
    if (*count == HTTP_MAX_HEADERS)
      return HTTP1_ERR_HEAD_TOO_LARGE;
    headers[(*count)++] = h;
  }
}

/* request-line = method SP request-target SP HTTP-version CRLF */
static int scan_request_line(struct scan *s, struct http_request *out)
{
  /* RFC 9112 §2.2: ignore empty lines before the request line (a CRLF some
   * clients send after a body) */
  while (s->pos < s->len && s->buf[s->pos] == '\r') {
    int rc = scan_crlf(s);
    if (rc)
      return rc;
  }
  size_t start = s->pos;
  while (s->pos < s->len && is_tchar((unsigned char)s->buf[s->pos]))
    s->pos++;
  if (s->pos >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos] != ' ' || s->pos == start)
    return HTTP1_ERR_BAD;
  out->method = s->buf + start;
  out->method_len = s->pos++ - start;
  start = s->pos;
  while (s->pos < s->len && is_target_char((unsigned char)s->buf[s->pos])) {
    if (++s->pos - start > HTTP1_MAX_URI)
      return HTTP1_ERR_URI_TOO_LONG;
  }
  if (s->pos >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos] != ' ' || s->pos == start)
    return HTTP1_ERR_BAD;
  out->target = s->buf + start;
  out->target_len = s->pos++ - start;
  int rc = scan_version(s, &out->version_minor);
  return rc ? rc : scan_crlf(s);
}

/* Content-Length = 1*DIGIT; repeats must agree (RFC 9112 §6.3 item 5) */
static int parse_content_length(const struct http_header *h, int64_t *cl)
{
  if (h->value_len == 0 || h->value_len > 18)
    return HTTP1_ERR_BAD;
  int64_t v = 0;
  for (size_t i = 0; i < h->value_len; i++) {
    char c = h->value[i];
    if (c < '0' || c > '9')
      return HTTP1_ERR_BAD;
    v = v * 10 + (c - '0');
  }
  if (*cl >= 0 && *cl != v)
    return HTTP1_ERR_BAD;
  *cl = v;
  return 0;
}

struct coding_state {
  int seen;            /* Transfer-Encoding headers present */
  int chunked_last;    /* the last coding so far is chunked */
  int others;          /* codings other than chunked */
  int bad;             /* chunked was not last */
};

static int take_coding(void *arg, const char *elem, size_t elem_len)
{
  struct coding_state *st = arg;
  if (elem_len == 0) {
    st->bad = 1;   /* "chunked," or ",chunked": no guessing what a peer made of it */
    return 0;
  }
  if (st->chunked_last)
    st->bad = 1;
  st->chunked_last = http1_token_eq(elem, elem_len, "chunked");
  if (!st->chunked_last)
    st->others = 1;
  return 0;
}

struct framing {
  int64_t content_length;
  struct coding_state te;
  int host_count;
  const struct http_header *host;
  int conn_close, conn_keep_alive;
  int expect_continue, expect_other;
};

static int framing_take(struct framing *f, const struct http_header *h)
{
  if (http1_token_eq(h->name, h->name_len, "content-length"))
    return parse_content_length(h, &f->content_length);
  if (http1_token_eq(h->name, h->name_len, "transfer-encoding")) {
    f->te.seen = 1;
    int before = f->te.chunked_last || f->te.others;
    list_each(h->value, h->value_len, 1, take_coding, &f->te);
    if (!before && !f->te.chunked_last && !f->te.others)
      f->te.bad = 1;   /* an empty Transfer-Encoding */
  } else if (http1_token_eq(h->name, h->name_len, "host")) {
    f->host_count++;
    f->host = h;
  } else if (http1_token_eq(h->name, h->name_len, "connection")) {
    f->conn_close |= http1_list_has(h->value, h->value_len, "close");
    f->conn_keep_alive |= http1_list_has(h->value, h->value_len, "keep-alive");
  } else if (http1_token_eq(h->name, h->name_len, "expect")) {
    if (http1_token_eq(h->value, h->value_len, "100-continue"))
      f->expect_continue = 1;
    else
      f->expect_other = 1;
  }
  return 0;
}

static int framing_scan(struct framing *f, const struct http_header *headers, size_t count)
{
  memset(f, 0, sizeof *f);
  f->content_length = -1;
  for (size_t i = 0; i < count; i++) {
    int rc = framing_take(f, &headers[i]);
    if (rc)
      return rc;
  }
  return 0;
}

static int keep_alive_for(const struct framing *f, int version_minor)
{
  if (f->conn_close)
    return 0;
  return version_minor >= 1 || f->conn_keep_alive;
}

static int host_hex(char c)
{
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* reg-name bytes (RFC 3986 3.2.2): unreserved, sub-delims, '%' of a pct-encoding */
static int is_host_char(unsigned char c)
{
  return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
         (c && strchr("-._~!$&'()*+,;=%", c) != NULL);
}

int http1_host_valid(const char *s, size_t n)
{
  size_t i = 0;
  if (n > 0 && s[0] == '[') {
    const char *end = memchr(s, ']', n);
    if (!end || !memchr(s, ':', (size_t)(end - s)))
      return 0;
    for (i = 1; s + i < end; i++)
      if (!is_host_char((unsigned char)s[i]) && s[i] != ':')
        return 0;
    i++;
  } else {
    for (; i < n && s[i] != ':'; i++) {
      if (!is_host_char((unsigned char)s[i]))
        return 0;
      if (s[i] == '%' && (i + 2 >= n || !host_hex(s[i + 1]) || !host_hex(s[i + 2])))
        return 0;
    }
  }
  if (i == n)
    return 1;
  if (s[i] != ':')
    return 0;
  for (i++; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

static int starts_with_ci(const char *s, size_t n, const char *lit)
{
  size_t k = strlen(lit);
  return n >= k && http1_token_eq(s, k, lit);
}

/* absolute-form = "http" ["s"] "://" authority path-abempty [ "?" query ]:
 * the authority's bytes, and where the origin part starts */
static void target_authority(struct http_request *out, const char **auth, size_t *auth_len)
{
  const char *t = out->target;
  size_t n = out->target_len;
  size_t skip = starts_with_ci(t, n, "http://") ? 7 : starts_with_ci(t, n, "https://") ? 8 : 0;
  *auth = NULL;
  *auth_len = 0;
  out->origin_at = 0;
  if (!skip)
    return;
  size_t end = skip;
  while (end < n && t[end] != '/' && t[end] != '?')
    end++;
  *auth = t + skip;
  *auth_len = end - skip;
  out->origin_at = end;
}

/* RFC 9112 3.2 and 3.2.2: a valid Host field (one, and required for 1.1, as
 * Go requires it), a valid authority, and the authority wins over the field */
static int request_host(struct http_request *out, const struct framing *f)
{
  if (f->host_count > 1 || (out->version_minor == 1 && f->host_count == 0))
    return HTTP1_ERR_BAD;
  if (f->host && !http1_host_valid(f->host->value, f->host->value_len))
    return HTTP1_ERR_BAD;
  const char *auth;
  size_t auth_len;
  target_authority(out, &auth, &auth_len);
  if (auth && !http1_host_valid(auth, auth_len))
    return HTTP1_ERR_BAD;
  out->host = auth_len ? auth : f->host ? f->host->value : NULL;
  out->host_len = auth_len ? auth_len : f->host ? f->host->value_len : 0;
  return 0;
}

/* RFC 9112 §6.1, §6.3 and §3.2: one framing or none, Host for 1.1 */
static int request_semantics(struct http_request *out)
{
  struct framing f;
  int rc = framing_scan(&f, out->headers, out->header_count);
  if (rc)
    return rc;
  rc = request_host(out, &f);
  if (rc)
    return rc;
  if (f.te.seen) {
    if (f.content_length >= 0 || out->version_minor == 0 || f.te.bad)
      return HTTP1_ERR_BAD;
    if (!f.te.chunked_last)
      return HTTP1_ERR_BAD;
    if (f.te.others)
      return HTTP1_ERR_NOT_IMPLEMENTED;
  }
  if (f.expect_other && out->version_minor == 1)
    return HTTP1_ERR_EXPECTATION;
  out->content_length = f.content_length;
  out->chunked = f.te.seen;
  out->keep_alive = keep_alive_for(&f, out->version_minor);
  out->expect_continue = f.expect_continue && out->version_minor == 1;
  return 0;
}

static int parse_request_limited(struct scan *s, struct http_request *out)
{
  int rc = scan_request_line(s, out);
  if (rc)
    return rc;
  rc = scan_headers(s, out->headers, &out->header_count);
  if (rc)
    return rc;
  out->head_len = s->pos;
  rc = request_semantics(out);
  return rc ? rc : (int)s->pos;
}

int http1_parse_request(const char *buf, size_t len, struct http_request *out)
{
  /* Parsing at most HTTP1_MAX_HEAD bytes makes the size limit a property of
   * the bytes, not of how they arrived: every prefix agrees with the whole. */
  struct scan s = {buf, len < HTTP1_MAX_HEAD ? len : HTTP1_MAX_HEAD, 0};
  out->header_count = 0;
  int rc = parse_request_limited(&s, out);
  if (rc == HTTP1_ERR_MORE && len >= HTTP1_MAX_HEAD)
    return HTTP1_ERR_HEAD_TOO_LARGE;
  return rc;
}

int http1_error_status(int result)
{
  switch (result) {
  case HTTP1_ERR_HEAD_TOO_LARGE: return 431;
  case HTTP1_ERR_URI_TOO_LONG: return 414;
  case HTTP1_ERR_NOT_IMPLEMENTED: return 501;
  case HTTP1_ERR_VERSION: return 505;
  case HTTP1_ERR_EXPECTATION: return 417;
  case HTTP1_ERR_BODY_TOO_LARGE: return 413;
  default: return 400;
  }
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF;
 * a missing SP before an empty reason is tolerated, as most clients do */
static int scan_status_line(struct scan *s, struct http1_response *out)
{
  int rc = scan_version(s, &out->version_minor);
  if (rc)
    return rc == HTTP1_ERR_VERSION ? HTTP1_ERR_BAD : rc;
  out->status = 0;
  for (int i = 0; i < 4; i++) {
    if (s->pos >= s->len)
      return HTTP1_ERR_MORE;
    char c = s->buf[s->pos++];
    if (i == 0 ? c != ' ' : (c < '0' || c > '9'))
      return HTTP1_ERR_BAD;
    if (i)
      out->status = out->status * 10 + (c - '0');
  }
  if (out->status < 100)
    return HTTP1_ERR_BAD;
  if (s->pos >= s->len)
    return HTTP1_ERR_MORE;
  if (s->buf[s->pos] == ' ')
    s->pos++;
  else if (s->buf[s->pos] != '\r')
    return HTTP1_ERR_BAD;
  size_t start = s->pos;
  while (s->pos < s->len && s->buf[s->pos] != '\r') {
    if (!is_field_char((unsigned char)s->buf[s->pos]))
      return HTTP1_ERR_BAD;
    s->pos++;
  }
  out->reason = s->buf + start;
  out->reason_len = s->pos - start;
  return scan_crlf(s);
}

/* RFC 9112 §6.3, in its order; both framings at once is refused rather than
 * resolved, since a proxy must not guess where the message ends */
static int response_semantics(struct http1_response *out, int head_request)
{
  struct framing f;
  int rc = framing_scan(&f, out->headers, out->header_count);
  if (rc)
    return rc;
  out->content_length = f.content_length;
  out->keep_alive = keep_alive_for(&f, out->version_minor);
  if (head_request || out->status < 200 || out->status == 204 || out->status == 304) {
    out->body = HTTP1_BODY_NONE;
    return 0;
  }
  if (f.te.seen && f.content_length >= 0)
    return HTTP1_ERR_BAD;
  if (f.te.seen && (f.te.bad || f.te.others || !f.te.chunked_last))
    out->body = HTTP1_BODY_CLOSE;
  else if (f.te.seen)
    out->body = HTTP1_BODY_CHUNKED;
  else if (f.content_length >= 0)
    out->body = HTTP1_BODY_LENGTH;
  else
    out->body = HTTP1_BODY_CLOSE;
  if (out->body == HTTP1_BODY_CLOSE)
    out->keep_alive = 0;
  return 0;
}

int http1_parse_response(const char *buf, size_t len, int head_request,
                         struct http1_response *out)
{
  struct scan s = {buf, len < HTTP1_MAX_HEAD ? len : HTTP1_MAX_HEAD, 0};
  out->header_count = 0;
  int rc = scan_status_line(&s, out);
  if (!rc)
    rc = scan_headers(&s, out->headers, &out->header_count);
  if (rc == HTTP1_ERR_MORE && len >= HTTP1_MAX_HEAD)
    return HTTP1_ERR_HEAD_TOO_LARGE;
  if (rc)
    return rc;
  out->head_len = s.pos;
  rc = response_semantics(out, head_request);
  return rc ? rc : (int)s.pos;
}
