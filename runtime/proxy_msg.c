/* The bytes of a proxied exchange: the request head sent upstream (hop-by-hop
 * headers dropped, X-Forwarded-* set as Caddy sets them) and the response
 * head sent back (upstream headers, header ops, our own framing). The I/O
 * around them is proxy.c's. */
#include "proxy_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "proxy_internal.h"
#include "response.h"

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

static void fields_put(struct proxy_hdr_list *l, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
  if (l->count < l->cap)
    l->items[l->count++] = (struct response_header){name, name_len, value, value_len};
}

/* the request's values of a field: all of them joined by ", " (all) or
 * the last one; len 0 when it has none */
static const char *prior_value(const struct http_request *req, const char *name, int all, struct proxy_hdr_list *l,
                               size_t *len)
{
  const char *first = NULL;
  size_t start = l->store_used, n = 0;
  *len = 0;
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (!http1_token_eq(h->name, h->name_len, name))
      continue;
    if (!all) {
      first = h->value, *len = h->value_len;
      continue;
    }
    if (h->value_len + 2 > l->store_cap - l->store_used)
      return NULL;
    if (n++) {
      memcpy(l->store + l->store_used, ", ", 2);
      l->store_used += 2;
    }
    memcpy(l->store + l->store_used, h->value, h->value_len);
    l->store_used += h->value_len;
  }
  if (all) {
    first = l->store + start;
    *len = l->store_used - start;
  }
  return first;
}

/* Caddy's addForwardedHeaders: the peer, the scheme and the Host, kept from
 * the request only when the peer is a trusted proxy; X-Forwarded-For then
 * appends the peer to what the proxies before it wrote */
static void forwarded_fields(const struct conn *c, const struct http_request *req, int trusted,
                             struct proxy_hdr_list *l)
{
  const char *ip = c->info.remote_ip;
  size_t ip_len = strlen(ip), len = 0;
  const char *prior = trusted ? prior_value(req, "x-forwarded-for", 1, l, &len) : NULL;
  if (prior && len && ip_len + 2 <= l->store_cap - l->store_used) {
    memcpy(l->store + l->store_used, ", ", 2);
    memcpy(l->store + l->store_used + 2, ip, ip_len);
    l->store_used += ip_len + 2;
    fields_put(l, "X-Forwarded-For", 15, prior, len + 2 + ip_len);
  } else {
    fields_put(l, "X-Forwarded-For", 15, ip, ip_len);
  }
  prior = trusted ? prior_value(req, "x-forwarded-proto", 0, l, &len) : NULL;
  if (prior && len)
    fields_put(l, "X-Forwarded-Proto", 17, prior, len);
  else
    fields_put(l, "X-Forwarded-Proto", 17, c->info.tls ? "https" : "http", c->info.tls ? 5 : 4);
  prior = trusted ? prior_value(req, "x-forwarded-host", 0, l, &len) : NULL;
  if (prior && len)
    fields_put(l, "X-Forwarded-Host", 16, prior, len);
  else
    fields_put(l, "X-Forwarded-Host", 16, req->host ? req->host : "", req->host_len);
}

/* Caddy's prepareRequest: after the hop-by-hop fields are gone, an upgrade
 * the client asked for is asked again (Connection: Upgrade, the protocol
 * lowercased), so header_up can still change it */
static void upgrade_fields(const struct http_request *req, struct proxy_hdr_list *l)
{
  size_t room = l->store_cap - l->store_used;
  const char *type = proxy_upgrade_type(req, l->store + l->store_used, room < 64 ? room : 64);
  if (!type)
    return;
  size_t len = strlen(type);
  l->store_used += len + 1;
  fields_put(l, "Connection", 10, "Upgrade", 7);
  fields_put(l, "Upgrade", 7, type, len);
}

/* The fields Caddy's prepareRequest leaves, Host first as Go's transport
 * writes it: the request's Host (the authority of an absolute-form target,
 * else the field), or none (HTTP/1.0) and then the upstream's address.
 * X-Forwarded-Host is the request's Host, empty when there is none. */
static void request_fields(const struct conn *c, const struct http_request *req, int trusted,
                           struct proxy_hdr_list *l)
{
  if (req->host)
    fields_put(l, "Host", 4, req->host, req->host_len);
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    /* Host is written above: a Connection field naming it cannot remove it */
    if (!http1_token_eq(h->name, h->name_len, "host") && !request_header_dropped(req, h))
      fields_put(l, h->name, h->name_len, h->value, h->value_len);
  }
  upgrade_fields(req, l);
  forwarded_fields(c, req, trusted, l);
  if (te_asks_trailers(req))
    fields_put(l, "Te", 2, "trailers", 8);
}

/* the last Host field is the one the ops left (Caddy's ApplyToRequest) */
static const struct response_header *fields_host(const struct proxy_hdr_list *l)
{
  const struct response_header *host = NULL;
  for (size_t i = 0; i < l->count; i++)
    if (http1_token_eq(l->items[i].name, l->items[i].name_len, "host"))
      host = &l->items[i];
  return host && host->value_len ? host : NULL;
}

/* Go's transport sends an empty body's length for the methods servers
 * expect one of (shouldSendContentLength) */
static int method_wants_length(const char *m, size_t n)
{
  return (n == 4 && memcmp(m, "POST", 4) == 0) || (n == 3 && memcmp(m, "PUT", 3) == 0) ||
         (n == 5 && memcmp(m, "PATCH", 5) == 0);
}

int proxy_build_request(const struct conn *c, const struct exchange *ex, const char *dial, int has_body, int64_t body_len,
                        int trusted, struct proxy_hdr_list *fields, const struct proxy_replace *replaces,
                        size_t replace_count, char *buf, size_t cap)
{
  const struct http_request *req = &ex->req;
  struct out_buf o = {buf, cap, 0, 0};
  request_fields(c, req, trusted, fields);
  if (ex->dec && proxy_hdr_apply(fields, ex->dec, ZS_HDR_UP, replaces, replace_count) < 0)
    return -ENOSPC;
  const char *method = req->method;
  size_t method_len = req->method_len;
  if (ex->dec && ex->dec->upstream_method)   /* reverse_proxy rewrite's */
    method = ex->dec->upstream_method, method_len = ex->dec->upstream_method_len;
  out_put(&o, method, method_len);
  out_put(&o, " ", 1);
  out_put(&o, ex->target, ex->target_len);
  out_put(&o, " HTTP/1.1\r\n", 11);
  const struct response_header *host = fields_host(fields);
  if (host)
    out_header(&o, "Host", 4, host->value, host->value_len);
  else
    out_header(&o, "Host", 4, dial, strlen(dial));
  for (size_t i = 0; i < fields->count; i++) {
    const struct response_header *h = &fields->items[i];
    if (!http1_token_eq(h->name, h->name_len, "host"))
      out_header(&o, h->name, h->name_len, h->value, h->value_len);
  }
  if (has_body && body_len < 0)
    out_put(&o, "Transfer-Encoding: chunked\r\n", 28);
  else if (has_body)
    out_printf(&o, "Content-Length: %lld\r\n", (long long)body_len);
  else if (method_wants_length(method, method_len))
    out_put(&o, "Content-Length: 0\r\n", 19);
  out_put(&o, "\r\n", 2);
  return o.overflow ? -ENOSPC : (int)o.len;
}

/* upstream headers to keep: not hop-by-hop, not framing (ours is sent) */
static void collect_response_headers(const struct http1_response *ur, struct response *r)
{
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

/* Our framing, never the upstream's: its length when it gave one (a HEAD or
 * 304 answer keeps the length of the body it did not send), else chunked */
int64_t proxy_response_length(const struct http1_response *ur)
{
  if (ur->body == HTTP1_BODY_LENGTH || (ur->body == HTTP1_BODY_NONE && ur->content_length >= 0 &&
                                        ur->status >= 200 && ur->status != 204))
    return ur->content_length;
  return -1;
}

static void proxy_framing(struct response_framing *f, const struct exchange *ex,
                          const struct http1_response *ur, int client_chunked)
{
  *f = (struct response_framing){.version_minor = ex->req.version_minor,
                                 .keep_alive = ex->resp_keep_alive,
                                 .content_length = proxy_response_length(ur)};
  if (f->content_length < 0 && client_chunked)
    f->chunked = 1;
}

/* header_down edits the upstream's fields alone, before the handler's own
 * response ops (Caddy applies them to res.Header, then copies it) */
static int apply_header_down(struct response *r, const struct exec_decision *dec, const struct proxy_replace *replaces,
                             size_t replace_count)
{
  struct proxy_hdr_list l = {.items = r->headers, .count = r->header_count, .cap = RESPONSE_MAX_HEADERS,
                             .store = r->scratch, .store_cap = sizeof r->scratch, .store_used = r->scratch_used};
  int rc = proxy_hdr_apply(&l, dec, ZS_HDR_DOWN, replaces, replace_count);
  r->header_count = l.count;
  r->scratch_used = l.store_used;
  return rc;
}

int proxy_response_from_upstream(struct worker *w, struct exchange *ex, const struct http1_response *ur)
{
  size_t replace_count;
  const struct proxy_replace *replaces = proxy_replaces(w, ex->proxy_id, &replace_count);
  struct response *r = ex->resp;
  response_init(r, ur->status);
  if (ex->lb.cookie[0])   /* the cookie lb_policy's: set on the writer before the upstream's fields */
    r->headers[r->header_count++] = (struct response_header){"Set-Cookie", 10, ex->lb.cookie, strlen(ex->lb.cookie)};
  collect_response_headers(ur, r);
  if (ex->dec && apply_header_down(r, ex->dec, replaces, replace_count) < 0)
    return -ENOSPC;
  response_apply_ops(r, ex->dec);   /* the exchange's own decision, kept since it ran */
  return 0;
}

int proxy_build_response_head(struct worker *w, struct exchange *ex, const struct http1_response *ur,
                              int client_chunked, char *buf, size_t cap)
{
  (void)w;
  struct response_framing f;
  proxy_framing(&f, ex, ur, client_chunked);
  return response_write_head(ex->resp, &f, buf, cap);
}

int proxy_build_bad_gateway(struct worker *w, const struct exchange *ex, int status, char *buf, size_t cap)
{
  (void)w;
  struct response *r = ex->resp;
  response_init(r, status);
  /* Go: a HEAD answer without a body has no length */
  int head = ex->req.method_len == 4 && memcmp(ex->req.method, "HEAD", 4) == 0;
  struct response_framing f = {.version_minor = ex->req.version_minor,
                               .keep_alive = ex->resp_keep_alive, .content_length = head ? -1 : 0};
  return response_write_head(r, &f, buf, cap);
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
