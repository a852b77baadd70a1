/* The bytes of a proxied exchange: the request head sent upstream (hop-by-hop
 * headers dropped, X-Forwarded-* set as Caddy sets them) and the response
 * head sent back (upstream headers, header ops, our own framing). The I/O
 * around them is proxy.c's. */
#include "proxy_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "loader.h"

struct out_buf {
  char *buf;
  size_t cap, len;
  int overflow;
};

static void out_put(struct out_buf *o, const char *data, size_t len)
{
  if (len > o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  memcpy(o->buf + o->len, data, len);
  o->len += len;
}

static void out_header(struct out_buf *o, const char *name, size_t name_len,
                       const char *value, size_t value_len)
{
  out_put(o, name, name_len);
  out_put(o, ": ", 2);
  out_put(o, value, value_len);
  out_put(o, "\r\n", 2);
}

static void out_printf(struct out_buf *o, const char *fmt, ...)
{
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp)
    o->overflow = 1;
  else
    out_put(o, tmp, (size_t)n);
}

int proxy_is_hop_header(const char *name, size_t len)
{
  static const char *const hop[] = {
    "connection", "proxy-connection", "keep-alive", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
  };
  for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
    if (http1_token_eq(name, len, hop[i]))
      return 1;
  return 0;
}

/* a header named by a Connection header is hop-by-hop too (RFC 9110 §7.6.1) */
static int named_by_connection(const struct http_header *hs, size_t count,
                               const char *name, size_t len)
{
  char lower[64];
  if (len >= sizeof lower)
    return 0;
  for (size_t i = 0; i < len; i++)
    lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
  lower[len] = 0;
  for (size_t i = 0; i < count; i++)
    if (http1_token_eq(hs[i].name, hs[i].name_len, "connection") &&
        http1_list_has(hs[i].value, hs[i].value_len, lower))
      return 1;
  return 0;
}

static int request_header_dropped(const struct http_request *req, const struct http_header *h)
{
  if (proxy_is_hop_header(h->name, h->name_len) ||
      named_by_connection(req->headers, req->header_count, h->name, h->name_len))
    return 1;
  /* Caddy trusts no incoming X-Forwarded-* by default: they are replaced */
  return http1_token_eq(h->name, h->name_len, "x-forwarded-for") ||
         http1_token_eq(h->name, h->name_len, "x-forwarded-proto") ||
         http1_token_eq(h->name, h->name_len, "x-forwarded-host") ||
         http1_token_eq(h->name, h->name_len, "content-length");
}

static const struct http_header *find_header(const struct http_header *hs, size_t count,
                                             const char *lower_name)
{
  for (size_t i = 0; i < count; i++)
    if (http1_token_eq(hs[i].name, hs[i].name_len, lower_name))
      return &hs[i];
  return NULL;
}

/* TE is hop-by-hop, but "trailers" in it says the client takes trailers:
 * that much is passed on, as Caddy (and Go's reverse proxy) do */
static int te_asks_trailers(const struct http_request *req)
{
  for (size_t i = 0; i < req->header_count; i++)
    if (http1_token_eq(req->headers[i].name, req->headers[i].name_len, "te") &&
        http1_list_has(req->headers[i].value, req->headers[i].value_len, "trailers"))
      return 1;
  return 0;
}

int proxy_build_request(const struct conn *c, int has_body, size_t body_len,
                        char *buf, size_t cap)
{
  const struct http_request *req = &c->req;
  struct out_buf o = {buf, cap, 0, 0};
  out_put(&o, req->method, req->method_len);
  out_put(&o, " ", 1);
  out_put(&o, c->op_bytes + c->target_off, c->target_len);
  out_put(&o, " HTTP/1.1\r\n", 11);
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (!request_header_dropped(req, h))
      out_header(&o, h->name, h->name_len, h->value, h->value_len);
  }
  const struct http_header *host = find_header(req->headers, req->header_count, "host");
  out_header(&o, "X-Forwarded-For", 15, c->info.remote_ip, strlen(c->info.remote_ip));
  out_printf(&o, "X-Forwarded-Proto: %s\r\n", c->info.tls ? "https" : "http");
  if (host)
    out_header(&o, "X-Forwarded-Host", 16, host->value, host->value_len);
  if (te_asks_trailers(req))
    out_put(&o, "Te: trailers\r\n", 14);
  if (has_body)
    out_printf(&o, "Content-Length: %zu\r\n", body_len);
  out_put(&o, "\r\n", 2);
  return o.overflow ? -ENOSPC : (int)o.len;
}

static const char *status_text(int status)
{
  static const struct { int code; const char *text; } table[] = {
    {100, "Continue"}, {200, "OK"}, {201, "Created"}, {202, "Accepted"},
    {204, "No Content"}, {206, "Partial Content"}, {301, "Moved Permanently"},
    {302, "Found"}, {303, "See Other"}, {304, "Not Modified"},
    {307, "Temporary Redirect"}, {308, "Permanent Redirect"}, {400, "Bad Request"},
    {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Method Not Allowed"}, {409, "Conflict"}, {410, "Gone"},
    {413, "Request Entity Too Large"}, {418, "I'm a teapot"},
    {429, "Too Many Requests"}, {500, "Internal Server Error"},
    {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].code == status)
      return table[i].text;
  return NULL;
}

static void out_date(struct out_buf *o)
{
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  size_t n = strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  out_header(o, "Date", 4, date, n);
}

/* upstream headers to keep: not hop-by-hop, not framing (ours is sent) */
static void collect_response_headers(const struct http1_response *ur, struct response *r)
{
  r->header_count = 0;
  r->headers[r->header_count++] = (struct response_header){"Server", 6, "zsrt", 4};
  for (size_t i = 0; i < ur->header_count && r->header_count < RESPONSE_MAX_HEADERS; i++) {
    const struct http_header *h = &ur->headers[i];
    if (proxy_is_hop_header(h->name, h->name_len) ||
        named_by_connection(ur->headers, ur->header_count, h->name, h->name_len) ||
        http1_token_eq(h->name, h->name_len, "content-length"))
      continue;
    r->headers[r->header_count++] = (struct response_header){h->name, h->name_len,
                                                             h->value, h->value_len};
  }
}

/* the decision's header ops, rebuilt from the copy the connection kept */
static void apply_kept_ops(struct worker *w, struct conn *c, struct response *r)
{
  struct exec_decision *dec = w->dec;
  dec->op_count = c->op_count;
  for (size_t i = 0; i < c->op_count; i++) {
    const struct conn_op *k = &c->ops[i];
    dec->ops[i] = (struct exec_header_op){k->op, c->op_bytes + k->name_off, k->name_len,
                                          c->op_bytes + k->value_off, k->value_len};
  }
  response_apply_ops(r, dec);
}

static void out_framing(struct out_buf *o, const struct http1_response *ur, int client_chunked)
{
  if (ur->body == HTTP1_BODY_LENGTH || (ur->body == HTTP1_BODY_NONE && ur->content_length >= 0 &&
                                        ur->status >= 200 && ur->status != 204))
    out_printf(o, "Content-Length: %lld\r\n", (long long)ur->content_length);
  else if (client_chunked)
    out_put(o, "Transfer-Encoding: chunked\r\n", 28);
}

int proxy_build_response_head(struct worker *w, struct conn *c, const struct http1_response *ur,
                              int client_chunked, char *buf, size_t cap)
{
  struct response *r = w->resp;
  struct out_buf o = {buf, cap, 0, 0};
  r->status = ur->status;
  collect_response_headers(ur, r);
  apply_kept_ops(w, c, r);
  const char *text = status_text(ur->status);
  out_printf(&o, "HTTP/1.%d %d ", c->req.version_minor, ur->status);
  if (text)
    out_put(&o, text, strlen(text));
  else
    out_put(&o, ur->reason, ur->reason_len);
  out_put(&o, "\r\n", 2);
  int have_date = 0;
  for (size_t i = 0; i < r->header_count; i++) {
    const struct response_header *h = &r->headers[i];
    have_date |= http1_token_eq(h->name, h->name_len, "date");
    out_header(&o, h->name, h->name_len, h->value, h->value_len);
  }
  if (!have_date)
    out_date(&o);
  out_framing(&o, ur, client_chunked);
  if (!c->resp_keep_alive) {
    if (c->req.version_minor >= 1)   /* HTTP/1.0 closes by default: Go says nothing */
      out_put(&o, "Connection: close\r\n", 19);
  } else if (c->req.version_minor == 0) {
    out_put(&o, "Connection: keep-alive\r\n", 24);
  }
  out_put(&o, "\r\n", 2);
  return o.overflow ? -ENOSPC : (int)o.len;
}

int proxy_build_bad_gateway(const struct conn *c, char *buf, size_t cap)
{
  struct out_buf o = {buf, cap, 0, 0};
  out_printf(&o, "HTTP/1.%d 502 Bad Gateway\r\nServer: zsrt\r\n", c->req.version_minor);
  out_date(&o);
  if (!(c->req.method_len == 4 && memcmp(c->req.method, "HEAD", 4) == 0))
    out_put(&o, "Content-Length: 0\r\n", 19);   /* Go: a HEAD answer without a body has no length */
  if (!c->resp_keep_alive && c->req.version_minor >= 1)
    out_put(&o, "Connection: close\r\n", 19);
  out_put(&o, "\r\n", 2);
  return o.overflow ? -ENOSPC : (int)o.len;
}

/* URI chars sent as they are; everything else is percent-encoded */
static int uri_plain(unsigned char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("-._~/!$&'()*+,;=:@", ch));
}

int proxy_escape_path(const char *path, size_t len, char *buf, size_t cap)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)path[i];
    if (n + 3 > cap)
      return -ENOSPC;
    if (uri_plain(ch)) {
      buf[n++] = (char)ch;
    } else {
      buf[n++] = '%';
      buf[n++] = hex[ch >> 4];
      buf[n++] = hex[ch & 15];
    }
  }
  return (int)n;
}
