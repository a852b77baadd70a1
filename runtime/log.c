/* The JSON log line writer (log.h): JSON string escaping, Caddy's field
 * order, and the http.log.error request object. Lines are appended to the
 * caller's buffer and written with one write(2), so lines of different
 * workers never interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

void log_put(struct worker_log *l, const char *s, size_t n)
{
  if (l->full || n > LOG_LINE_MAX - 2 - l->len) {   /* 2: the closing "}\n" */
    l->full = 1;
    return;
  }
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

/* a JSON string: quotes, backslashes and control bytes escaped; other
 * bytes as they are (request bytes may not be UTF-8: Caddy escapes those too,
 * we pass them through as \u00XX to keep the line valid JSON) */
#define LOG_LIT(l, s) log_put(l, s, sizeof(s) - 1)

static int log_plain(unsigned char ch)
{
  return ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\';
}

/* the length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune), 0 if none */
static size_t log_utf8(const unsigned char *s, size_t n)
{
  size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
  if (!len || len > n || (len == 3 && s[0] >= 0xf0))
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  unsigned cp = len == 2 ? (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu)
                : len == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu)
                           : (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
  int ok = len == 2 ? cp >= 0x80 : len == 3 ? cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) : cp >= 0x10000 && cp <= 0x10ffff;
  return ok ? len : 0;
}

void log_put_string(struct worker_log *l, const char *s, size_t n)
{
  size_t start = l->len;
  LOG_LIT(l, "\"");
  for (size_t i = 0; i < n && !l->full;) {
    size_t run = i;
    while (run < n && log_plain((unsigned char)s[run]))
      run++;
    if (run > i) {   /* the common case: a stretch that needs no escape, copied at once */
      log_put(l, s + i, run - i);
      i = run;
      continue;
    }
    size_t rune = (unsigned char)s[i] >= 0x80 ? log_utf8((const unsigned char *)s + i, n - i) : 0;
    if (rune) {        /* zap writes UTF-8 as it is, an invalid byte as U+FFFD */
      log_put(l, s + i, rune);
      i += rune;
      continue;
    }
    unsigned char ch = (unsigned char)s[i++];
    char esc[8];
    if (ch >= 0x80) {
      log_put(l, "\\ufffd", 6);
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      esc[0] = '\\';
      esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
      log_put(l, esc, 2);
    } else if (ch == '"' || ch == '\\') {
      esc[0] = '\\';
      esc[1] = (char)ch;
      log_put(l, esc, 2);
    } else {
      snprintf(esc, sizeof esc, "\\u%04x", ch);
      log_put(l, esc, 6);
    }
  }
  LOG_LIT(l, "\"");
  if (l->full)
    l->len = start;   /* a field is whole or absent */
}

void log_key(struct worker_log *l, const char *key)
{
  LOG_LIT(l, ",");
  log_put_string(l, key, strlen(key));
  LOG_LIT(l, ":");
}

/* a field that fits whole or not at all */
static size_t log_field_start(struct worker_log *l, const char *key)
{
  size_t start = l->len;
  log_key(l, key);
  return start;
}

static void log_field_end(struct worker_log *l, size_t start)
{
  if (l->full)
    l->len = start;
}

void log_begin(struct worker_log *l, const char *level, const char *logger, const char *msg)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  l->len = 0;
  l->full = 0;
  LOG_LIT(l, "{\"level\":");
  log_put_string(l, level, strlen(level));
  log_seconds(l, "ts", (unsigned long long)ts.tv_sec * 1000000000u + (unsigned long long)ts.tv_nsec);
  if (logger) {
    log_key(l, "logger");
    log_put_string(l, logger, strlen(logger));
  }
  log_key(l, "msg");
  log_put_string(l, msg, strlen(msg));
}

void log_str(struct worker_log *l, const char *key, const char *value, size_t len)
{
  size_t start = log_field_start(l, key);
  log_put_string(l, value, len);
  log_field_end(l, start);
}

void log_cstr(struct worker_log *l, const char *key, const char *value)
{
  log_str(l, key, value, strlen(value));
}

/* decimal digits of v at the end of out[24]; where they start (snprintf is
 * the largest cost of an access log line otherwise) */
static char *log_digits(char out[24], unsigned long long v)
{
  char *p = out + 24;
  do
    *--p = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  return p;
}

void log_int(struct worker_log *l, const char *key, long long value)
{
  char num[24];
  char *p = log_digits(num, value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value);
  if (value < 0)
    *--p = '-';
  size_t start = log_field_start(l, key);
  log_put(l, p, (size_t)(num + 24 - p));
  log_field_end(l, start);
}

void log_seconds(struct worker_log *l, const char *key, unsigned long long ns)
{
  char num[48], frac[24];
  char *p = log_digits(num + 24, ns / 1000000000u);   /* whole seconds at num[24..48) */
  size_t whole = (size_t)(num + 48 - p);
  memmove(num, p, whole);
  unsigned long long f = ns % 1000000000u;
  char *q = log_digits(frac, f + 1000000000u) + 1;   /* nine digits, leading zeros kept */
  size_t digits = 9;
  while (digits > 1 && q[digits - 1] == '0')
    digits--;
  num[whole] = '.';
  memcpy(num + whole + 1, q, digits);
  size_t start = log_field_start(l, key);
  log_put(l, num, whole + 1 + digits);
  log_field_end(l, start);
}

/* as zap writes a float (strconv 'f', shortest): no exponent; nanosecond
 * precision is all a duration has */
void log_num(struct worker_log *l, const char *key, double value)
{
  char num[48];
  int n = snprintf(num, sizeof num, "%.9f", value);
  while (n > 1 && num[n - 1] == '0' && num[n - 2] != '.')
    n--;
  size_t start = log_field_start(l, key);
  log_put(l, num, (size_t)n);
  log_field_end(l, start);
}

size_t log_close(struct worker_log *l)
{
  l->full = 0;
  LOG_LIT(l, "}\n");
  return l->len;
}

void log_end(struct worker_log *l)
{
  log_close(l);
  /* stderr may be a pipe or journald: a short write loses the rest of one line */
  ssize_t n = write(STDERR_FILENO, l->buf, l->len);
  (void)n;
  l->len = 0;
}

void log_line(struct worker_log *l, const char *level, const char *logger, const char *msg)
{
  log_begin(l, level, logger, msg);
  log_end(l);
}

#define LOG_URI_MAX   1024

/* Go hides these unless the server says log_credentials: an empty list */
static int log_is_credential(const char *name, size_t len)
{
  static const char *const names[] = {"cookie", "set-cookie", "authorization", "proxy-authorization"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
      return 1;
  return 0;
}

static int log_same_name(const char *a, size_t alen, const char *b, size_t blen)
{
  return alen == blen && strncasecmp(a, b, alen) == 0;
}

void log_header_values(struct worker_log *l, const char *name, size_t name_len, const struct log_header_view *v)
{
  log_put_string(l, name, name_len);
  LOG_LIT(l, ":[");
  if (log_is_credential(name, name_len)) {
    LOG_LIT(l, "]");
    return;
  }
  int first = 1;
  for (size_t j = 0; j < v->count; j++) {
    const char *n, *val;
    size_t nl, vl;
    v->get(v->list, j, &n, &nl, &val, &vl);
    if (!log_same_name(n, nl, name, name_len))
      continue;
    if (!first)
      LOG_LIT(l, ",");
    first = 0;
    log_put_string(l, val, vl);
  }
  LOG_LIT(l, "]");
}

/* {"Name":["value",...],...} as Go's http.Header: one key per name (the
 * first spelling), its values in order; Host is not a header to Go. As many
 * as fit before LOG_TAIL_ROOM. */
void log_header_object(struct worker_log *l, const struct log_header_view *v, size_t tail_room)
{
  LOG_LIT(l, "{");
  int first = 1;
  for (size_t i = 0; i < v->count; i++) {
    const char *n, *val;
    size_t nl, vl;
    v->get(v->list, i, &n, &nl, &val, &vl);
    if (v->skip_host && log_same_name(n, nl, "host", 4))
      continue;
    size_t k = 0;
    for (; k < i; k++) {
      const char *pn, *pv;
      size_t pnl, pvl;
      v->get(v->list, k, &pn, &pnl, &pv, &pvl);
      if (log_same_name(pn, pnl, n, nl))
        break;
    }
    if (k < i)
      continue;   /* already written with the first of its name */
    if (l->len + 6 * (nl + vl) + 8 > LOG_LINE_MAX - tail_room)
      break;
    if (!first)
      LOG_LIT(l, ",");
    first = 0;
    log_header_values(l, n, nl, v);
  }
  LOG_LIT(l, "}");
}

static void log_request_header(const void *list, size_t i, const char **name, size_t *name_len,
                               const char **value, size_t *value_len)
{
  const struct http_header *h = &((const struct http_header *)list)[i];
  *name = h->name;
  *name_len = h->name_len;
  *value = h->value;
  *value_len = h->value_len;
}

static void log_headers(struct worker_log *l, const struct http_request *req)
{
  struct log_header_view v = {.list = req->headers, .count = req->header_count, .get = log_request_header,
                              .skip_host = 1};
  LOG_LIT(l, ",\"headers\":");
  log_header_object(l, &v, LOG_TAIL_ROOM);
}

static const char *log_host(const struct http_request *req, size_t *len)
{
  if (req->host) {   /* the authority of an absolute target or :authority, as Go's r.Host */
    *len = req->host_len;
    return req->host;
  }
  for (size_t i = 0; i < req->header_count; i++)
    if (req->headers[i].name_len == 4 && strncasecmp(req->headers[i].name, "host", 4) == 0) {
      *len = req->headers[i].value_len;
      return req->headers[i].value;
    }
  *len = 0;
  return "";
}

/* Go's tls.ConnectionState as Caddy logs it: version and cipher_suite are
 * the IANA numbers */
static void log_tls(struct worker_log *l, const struct conn_info *conn)
{
  LOG_LIT(l, ",\"tls\":{\"resumed\":");
  if (conn->tls_resumed)
    LOG_LIT(l, "true");
  else
    LOG_LIT(l, "false");
  log_int(l, "version", strcmp(conn->tls_version, "tls1.3") == 0 ? 0x304 : 0x303);
  log_int(l, "cipher_suite", conn->tls_cipher_id);
  log_cstr(l, "proto", conn->tls_alpn);
  log_cstr(l, "server_name", conn->tls_sni);
  LOG_LIT(l, "}");
}

void log_request(struct worker_log *l, const struct http_request *req, const struct conn_info *conn)
{
  char port[8], proto[12];
  snprintf(port, sizeof port, "%u", conn ? conn->remote_port : 0);
  if (req->http2)
    snprintf(proto, sizeof proto, "HTTP/2.0");
  else
    snprintf(proto, sizeof proto, "HTTP/1.%d", req->version_minor);
  size_t host_len;
  const char *host = log_host(req, &host_len);
  LOG_LIT(l, ",\"request\":{\"remote_ip\":");
  log_put_string(l, conn ? conn->remote_ip : "", conn ? strlen(conn->remote_ip) : 0);
  log_str(l, "remote_port", port, strlen(port));
  /* without trusted_proxies the client is the peer (Caddy 2.7 added the field) */
  log_str(l, "client_ip", conn ? conn->remote_ip : "", conn ? strlen(conn->remote_ip) : 0);
  log_str(l, "proto", proto, strlen(proto));
  log_str(l, "method", req->method, req->method_len > 64 ? 64 : req->method_len);
  log_str(l, "host", host, host_len > 256 ? 256 : host_len);
  log_str(l, "uri", req->target, req->target_len > LOG_URI_MAX ? LOG_URI_MAX : req->target_len);
  log_headers(l, req);
  if (conn && conn->tls)
    log_tls(l, conn);
  LOG_LIT(l, "}");
}

void log_http_error(struct worker_log *l, const struct http_request *req,
                    const struct conn_info *conn, int status, const char *msg, double duration)
{
  char id[32];
  snprintf(id, sizeof id, "w%d-%llu", l->worker, ++l->errors);
  log_begin(l, "error", "http.log.error", msg);
  if (req && req->method)
    log_request(l, req, conn);   /* bounded: LOG_TAIL_ROOM is left for the rest */
  log_num(l, "duration", duration);
  log_int(l, "status", status);
  log_cstr(l, "err_id", id);
  log_cstr(l, "err_trace", status == 502 ? "zsrt.reverse_proxy" : "zsrt");
  log_end(l);
}
