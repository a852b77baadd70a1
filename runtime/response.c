/* Responses as Caddy (Go's net/http) sends them: building one from a decision
 * (respond, the empty 200 of no handler, file_server, a trap's 500), header
 * list edits with Go's canonical field names, the header ops of Caddy's header
 * handler, and the HTTP/1.1 head with headers sorted as Go writes them. */
#include "response.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "files.h"
#include "loader.h"

const char *response_keep(struct response *resp, const char *s, size_t len)
{
  if (len + 1 > sizeof resp->scratch - resp->scratch_used)
    return NULL;
  char *p = resp->scratch + resp->scratch_used;
  memcpy(p, s, len);
  p[len] = '\0';
  resp->scratch_used += len + 1;
  return p;
}

static int response_is_token_byte(unsigned char ch)
{
  static const char extra[] = "!#$%&'*+-.^_`|~";
  return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
         (ch != '\0' && strchr(extra, ch) != NULL);
}

/* Go's textproto.CanonicalMIMEHeaderKey: upper case at the start and after
 * '-', lower case elsewhere; a name with a non-token byte is left as is */
void response_canonicalize(char *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (!response_is_token_byte((unsigned char)p[i]))
      return;
  int upper = 1;
  for (size_t i = 0; i < len; i++) {
    char ch = p[i];
    if (upper && ch >= 'a' && ch <= 'z')
      ch = (char)(ch - 32);
    else if (!upper && ch >= 'A' && ch <= 'Z')
      ch = (char)(ch + 32);
    p[i] = ch;
    upper = ch == '-';
  }
}

static const char *response_canonical(struct response *resp, const char *name, size_t len)
{
  char *p = (char *)response_keep(resp, name, len);
  if (p)
    response_canonicalize(p, len);
  return p;
}

int response_header_add(struct response *resp, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
  if (resp->header_count >= RESPONSE_MAX_HEADERS)
    return -ENOSPC;
  const char *canon = response_canonical(resp, name, name_len);
  if (!canon)
    return -ENOSPC;
  struct response_header *h = &resp->headers[resp->header_count++];
  h->name = canon;
  h->name_len = name_len;
  h->value = value;
  h->value_len = value_len;
  return 0;
}

void response_header_del(struct response *resp, const char *name, size_t name_len)
{
  size_t kept = 0;
  for (size_t i = 0; i < resp->header_count; i++) {
    const struct response_header *h = &resp->headers[i];
    if (h->name_len == name_len && strncasecmp(h->name, name, name_len) == 0)
      continue;
    resp->headers[kept++] = *h;
  }
  resp->header_count = kept;
}

int response_header_set(struct response *resp, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
  response_header_del(resp, name, name_len);
  return response_header_add(resp, name, name_len, value, value_len);
}

static const struct response_header *response_header_find(const struct response *resp, const char *name, size_t len)
{
  for (size_t i = 0; i < resp->header_count; i++)
    if (resp->headers[i].name_len == len && strncasecmp(resp->headers[i].name, name, len) == 0)
      return &resp->headers[i];
  return NULL;
}

const struct response_header *response_header_get(const struct response *resp, const char *name)
{
  return response_header_find(resp, name, strlen(name));
}

void response_init(struct response *resp, int status)
{
  resp->status = status;
  resp->header_count = 0;
  resp->body = NULL;
  resp->body_len = 0;
  resp->file_fd = -1;
  resp->file_offset = 0;
  resp->file_len = 0;
  resp->file_path = NULL;
  resp->file_root = NULL;
  resp->handler_error = 0;
  resp->precompressed = 0;
  resp->scratch_used = 0;
  resp->part_count = 0;
  /* Caddy sets its Server header before any handler runs, so header ops can
   * replace or delete it */
  response_header_add(resp, "Server", 6, "zsrt", 4);
}

/* a REQUIRE_STATUS op's code: 1-5 stands for its class, as Caddy's ResponseMatcher */
static int response_status_matches(int status, const char *code, size_t len)
{
  int want = 0;
  for (size_t i = 0; i < len; i++)
    want = want * 10 + (code[i] - '0');
  return want < 100 ? status / 100 == want : status == want;
}

/* The conditions of one deferred handler's `require`, checked against the
 * response as it stands when the handler's ops come up (Caddy checks at
 * WriteHeader): every header condition, and one of the status codes if any.
 * *next is the first op after the conditions. */
static int response_require_holds(const struct response *resp, const struct exec_decision *dec, size_t *next)
{
  int headers_ok = 1, has_status = 0, status_ok = 0;
  size_t i = *next;
  for (; i < dec->op_count && dec->ops[i].op >= ZS_HDR_REQUIRE_ABSENT; i++) {
    const struct exec_header_op *op = &dec->ops[i];
    if (op->op == ZS_HDR_REQUIRE_STATUS) {
      has_status = 1;
      status_ok |= response_status_matches(resp->status, op->name, op->name_len);
    } else {
      int present = response_header_find(resp, op->name, op->name_len) != NULL;
      headers_ok &= op->op == ZS_HDR_REQUIRE_PRESENT ? present : !present;
    }
  }
  *next = i;
  return headers_ok && (!has_status || status_ok);
}

void response_apply_ops(struct response *resp, const struct exec_decision *dec)
{
  int holds = 1;
  for (size_t i = 0; i < dec->op_count; i++) {
    const struct exec_header_op *op = &dec->ops[i];
    if (op->target || op->dropped)
      continue;                /* a proxy's header_up/header_down: proxy_hdr.c; a deferred op an error dropped */
    if (op->op >= ZS_HDR_REQUIRE_ABSENT) {
      holds = response_require_holds(resp, dec, &i);
      i--;
      continue;
    }
    if (op->required && !holds)
      continue;
    if (op->op == ZS_HDR_SET)
      response_header_set(resp, op->name, op->name_len, op->value, op->value_len);
    else if (op->op == ZS_HDR_ADD)
      response_header_add(resp, op->name, op->name_len, op->value, op->value_len);
    else
      response_header_del(resp, op->name, op->name_len);
  }
}

static int response_ops_touch(const struct exec_decision *dec, const char *name)
{
  size_t len = strlen(name);
  for (size_t i = 0; i < dec->op_count; i++)
    if ((dec->ops[i].op == ZS_HDR_SET || dec->ops[i].op == ZS_HDR_ADD) && !dec->ops[i].required &&
        !dec->ops[i].target && dec->ops[i].name_len == len &&
        strncasecmp(dec->ops[i].name, name, len) == 0)
      return 1;
  return 0;
}

static int response_is_space(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* static_response: a body that looks like JSON is application/json, any
 * other body text/plain, unless a Content-Type was set */
static const char *response_body_type(const char *body, size_t len)
{
  while (len > 0 && response_is_space(body[0]))
    body++, len--;
  while (len > 0 && response_is_space(body[len - 1]))
    len--;
  if (len > 0 && ((body[0] == '{' && body[len - 1] == '}') || (body[0] == '[' && body[len - 1] == ']')))
    return "application/json";
  return "text/plain; charset=utf-8";
}

static void response_from_respond(const struct exec_decision *dec, struct response *out)
{
  out->status = dec->status ? dec->status : 200;
  out->body = dec->body;
  out->body_len = dec->body_len;
  if (dec->body_len > 0 && !response_ops_touch(dec, "Content-Type")) {
    const char *type = response_body_type(dec->body, dec->body_len);
    response_header_add(out, "Content-Type", 12, type, strlen(type));
  }
}

/* Header ops are applied after the handler's own headers: the order of
 * Caddy's deferred header ops, which a Caddyfile uses for deletions */
int response_from_decision(const struct blob *blob, const struct exec_decision *dec,
                           const struct http_request *req, struct files_cache *fc, struct response *out)
{
  response_init(out, 200);
  if (dec->trapped) {
    out->status = 500;
    return 0;
  }
  int rc = 0;
  if (dec->action == ZS_ACT_RESPOND || dec->action == ZS_ACT_RESPOND_CLOSE)
    response_from_respond(dec, out);
  else if (dec->action == ZS_ACT_FILE)
    rc = files_respond(blob, dec, req, fc, out);
  else if (dec->action == ZS_ACT_PROXY)
    return -EINVAL;   /* carried out by the proxy, which applies the ops itself */
  else if (dec->action == ZS_ACT_ERROR)
    out->handler_error = dec->status;   /* the message is the body, for the error routes */
  if (rc < 0)
    return rc;
  response_apply_ops(out, dec);
  return 0;
}

static const char *response_reason(int status)
{
  switch (status) {
#define RESPONSE_STATUS(code, text) case code: return text;
#include "status.def"
#undef RESPONSE_STATUS
  default: return NULL;
  }
}

const char *response_status_text(int status)
{
  const char *text = response_reason(status);
  return text ? text : "";
}

void response_format_date(int64_t t, char out[30])
{
  /* strftime's %a and %b are English in the C locale, which zsrt never leaves */
  struct tm tm;
  time_t tt = (time_t)t;
  gmtime_r(&tt, &tm);
  if (strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
    out[0] = '\0';
}

/* The Date header, formatted once per second per worker thread: the cache is
 * the thread's, so workers share nothing */
const char *response_date_now(void)
{
  static _Thread_local int64_t cached_second = -1;
  static _Thread_local char cached[30];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec != cached_second) {
    response_format_date(now.tv_sec, cached);
    cached_second = now.tv_sec;
  }
  return cached;
}

struct response_writer {
  char *buf;
  size_t cap, len;
  int overflow;
};

static void response_put(struct response_writer *w, const char *s, size_t n)
{
  if (n > w->cap - w->len) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

static void response_put_number(struct response_writer *w, unsigned long long v)
{
  char tmp[24];
  size_t n = sizeof tmp;
  do {
    tmp[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  response_put(w, tmp + n, sizeof tmp - n);
}

/* A field line, with one rule for every response zsrt writes (local,
 * file, proxied, error): a field whose name is not a token is dropped, and
 * CR, LF and NUL in a value become spaces, as Go's headerNewlineToSpace does
 * for CR and LF (NUL too: some parsers end a line there). No header
 * injection, whatever a placeholder or an upstream put in the value. */
int response_name_valid(const char *name, size_t len)
{
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (!response_is_token_byte((unsigned char)name[i]))
      return 0;
  return 1;
}

static void response_put_field(struct response_writer *w, const struct response_header *h)
{
  if (!response_name_valid(h->name, h->name_len))
    return;
  response_put(w, h->name, h->name_len);
  response_put(w, ": ", 2);
  size_t start = w->len;
  response_put(w, h->value, h->value_len);
  if (!w->overflow)
    for (size_t i = start; i < w->len; i++)
      if (w->buf[i] == '\r' || w->buf[i] == '\n' || w->buf[i] == '\0')
        w->buf[i] = ' ';
  response_put(w, "\r\n", 2);
}

/* header indices sorted by name (stable: values of one field keep their order) */
void response_sort(const struct response *resp, size_t *order)
{
  for (size_t i = 0; i < resp->header_count; i++) {
    size_t j = i;
    while (j > 0) {
      const struct response_header *a = &resp->headers[order[j - 1]], *b = &resp->headers[i];
      size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
      int cmp = memcmp(a->name, b->name, n);
      if (cmp < 0 || (cmp == 0 && a->name_len <= b->name_len))
        break;
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
}

int response_has_body(int status)
{
  return !(status / 100 == 1 || status == 204 || status == 304);
}

/* Go counts the bytes a handler writes to fill in Content-Length; a HEAD
 * handler that writes none (no file, empty body) leaves the length unknown,
 * so Go sends no Content-Length at all rather than a wrong 0; ServeContent
 * sets none for a precompressed sidecar (it has a Content-Encoding) */
static int response_length_unknown(const struct response *resp)
{
  return resp->head_request && ((resp->file_fd < 0 && resp->body_len == 0) || resp->precompressed);
}

static void response_put_status_line(struct response_writer *w, int version_minor, int status)
{
  const char *reason = response_reason(status);
  response_put(w, version_minor ? "HTTP/1.1 " : "HTTP/1.0 ", 9);
  response_put_number(w, (unsigned)status);
  response_put(w, " ", 1);
  if (reason) {
    response_put(w, reason, strlen(reason));
  } else {
    response_put(w, "status code ", 12);   /* Go's text for a code it does not know */
    response_put_number(w, (unsigned)status);
  }
  response_put(w, "\r\n", 2);
}

/* Go's order: the handler's fields sorted by name, then Date and
 * Content-Length when the handler did not set them, then Connection and
 * Transfer-Encoding */
int response_write_head(const struct response *resp, const struct response_framing *f,
                        char *buf, size_t cap)
{
  struct response_writer w = { .buf = buf, .cap = cap };
  response_put_status_line(&w, f->version_minor, resp->status);
  size_t order[RESPONSE_MAX_HEADERS];
  response_sort(resp, order);
  for (size_t i = 0; i < resp->header_count; i++)
    response_put_field(&w, &resp->headers[order[i]]);
  if (!f->bare && !response_header_get(resp, "Date")) {
    response_put(&w, "Date: ", 6);
    response_put(&w, response_date_now(), 29);
    response_put(&w, "\r\n", 2);
  }
  if (f->content_length >= 0 && !response_header_get(resp, "Content-Length")) {
    response_put(&w, "Content-Length: ", 16);
    response_put_number(&w, (unsigned long long)f->content_length);
    response_put(&w, "\r\n", 2);
  }
  if (!f->keep_alive) {
    if (f->version_minor >= 1)   /* HTTP/1.0 closes by default: Go says nothing */
      response_put(&w, "Connection: close\r\n", 19);
  } else if (f->version_minor == 0) {
    response_put(&w, "Connection: keep-alive\r\n", 24);
  }
  if (f->chunked)
    response_put(&w, "Transfer-Encoding: chunked\r\n", 28);
  response_put(&w, "\r\n", 2);
  return w.overflow ? -ENOSPC : (int)w.len;
}

int64_t response_content_length(const struct response *resp)
{
  if (!response_has_body(resp->status) || response_length_unknown(resp))
    return -1;
  return (int64_t)(resp->file_fd >= 0 ? resp->file_len : resp->body_len);
}

int response_serialize_head(const struct response *resp, int version_minor, int keep_alive,
                            char *buf, size_t cap)
{
  struct response_framing f = { .version_minor = version_minor, .keep_alive = keep_alive,
                                .content_length = response_content_length(resp) };
  return response_write_head(resp, &f, buf, cap);
}

/* Go's answer to input it cannot serve: text/plain "400 Bad Request", no
 * Server and no Date (the caller writes it with a bare framing) */
void response_init_error(struct response *resp, int status)
{
  response_init(resp, status);
  resp->header_count = 0;
  response_header_add(resp, "Content-Type", 12, "text/plain; charset=utf-8", 25);
  const char *reason = response_reason(status);
  char *body = resp->scratch + resp->scratch_used;
  int n = snprintf(body, sizeof resp->scratch - resp->scratch_used, "%d %s", status,
                   reason ? reason : "");
  resp->body = body;
  resp->body_len = n > 0 ? (size_t)n : 0;
  resp->scratch_used += resp->body_len + 1;
}
