/* HTTP/2 streams: the worker's pool of them, the request fields a stream
 * gathers (copied out of the session into the stream's header storage), and
 * the exchange each one runs: the compiled program as for HTTP/1.1, then a
 * local answer (respond, files, errors) or an upstream one once the request
 * body is complete. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h2_internal.h"
#include "../encode.h"
#include "../loader.h"
#include "../errors.h"
#include "../response.h"

/* buffers whose touched pages past this go back on release */
#define H2_TRIM_BYTES (64 * 1024)

static void *h2_map(size_t size)
{
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int h2_stream_pool_init(struct h2_pool *pool)
{
  pool->streams = h2_map(sizeof(struct h2_stream) * H2_POOL_STREAMS);
  pool->bufs = h2_map((size_t)H2_STREAM_BUFS * H2_POOL_STREAMS);
  if (!pool->streams || !pool->bufs)
    return -ENOMEM;
  for (unsigned i = 0; i < H2_POOL_STREAMS; i++)
    pool->free[i] = H2_POOL_STREAMS - 1 - i;
  pool->free_count = H2_POOL_STREAMS;
  return 0;
}

void h2_stream_pool_fini(struct h2_pool *pool)
{
  if (pool->streams)
    munmap(pool->streams, sizeof(struct h2_stream) * H2_POOL_STREAMS);
  if (pool->bufs)
    munmap(pool->bufs, (size_t)H2_STREAM_BUFS * H2_POOL_STREAMS);
  pool->streams = NULL;
  pool->bufs = NULL;
}

struct h2_stream *h2_stream_open(struct h2_conn *h, int32_t id)
{
  struct h2_pool *pool = h->w->h2;
  if (pool->free_count == 0)
    return NULL;
  unsigned slot = pool->free[--pool->free_count];
  struct h2_stream *st = &pool->streams[slot];
  memset(st, 0, offsetof(struct h2_stream, ex.target));   /* the URI buffer is written before use */
  memset(&st->h, 0, sizeof *st - offsetof(struct h2_stream, h));
  st->ex.target_len = 0;
  st->ex.file_fd = -1;
  st->ex.sink = &h2_proxy_sink;
  st->h = h;
  st->id = id;
  st->slot = slot;
  st->fd = -1;
  st->head = pool->bufs + (size_t)slot * H2_STREAM_BUFS;
  st->body = st->head + H2_HEAD_CAP;
  st->relay = st->body + H2_BODY_CAP;
  st->next = h->streams;
  if (h->streams)
    h->streams->prev = st;
  h->streams = st;
  h->stream_count++;
  nghttp2_session_set_stream_user_data(h->session, id, st);
  return st;
}

/* gives back the pages a large header list, body or relay touched */
static void h2_stream_trim(struct h2_stream *st)
{
  if (st->head_len > H2_TRIM_BYTES)
    madvise(st->head + H2_TRIM_BYTES, H2_HEAD_CAP - H2_TRIM_BYTES, MADV_DONTNEED);
  if (st->body_len > H2_TRIM_BYTES)
    madvise(st->body + H2_TRIM_BYTES, H2_BODY_CAP - H2_TRIM_BYTES, MADV_DONTNEED);
}

void h2_stream_free(struct h2_stream *st)
{
  struct h2_conn *h = st->h;
  struct worker *w = h->w;
  auth_cancel(&st->ex);
  proxy_detach(w, &st->ex);
  encode_end(&st->ex);
  st->ex.phase = EXCHANGE_IDLE;
  exchange_detach(w->exchanges, &st->ex);
  if (st->fd >= 0)
    close(st->fd);
  st->fd = -1;
  h->body_bytes -= st->body_held;
  if (st->prev)
    st->prev->next = st->next;
  else
    h->streams = st->next;
  if (st->next)
    st->next->prev = st->prev;
  h->stream_count--;
  h2_stream_trim(st);
  w->h2->free[w->h2->free_count++] = st->slot;
}

/* copies bytes into the header storage; -1 when it is full */
static int h2_stream_keep(struct h2_stream *st, const uint8_t *s, size_t len, uint32_t *at)
{
  if (len > H2_HEAD_CAP - st->head_len)
    return -1;
  *at = (uint32_t)st->head_len;
  memcpy(st->head + st->head_len, s, len);
  st->head_len += len;
  return 0;
}

static int h2_name_is(const uint8_t *name, size_t len, const char *lit)
{
  return len == strlen(lit) && memcmp(name, lit, len) == 0;
}

static int h2_stream_pseudo(struct h2_stream *st, const uint8_t *name, size_t name_len,
                            const uint8_t *value, size_t value_len)
{
  struct h2_field *f = h2_name_is(name, name_len, ":method") ? &st->method :
                       h2_name_is(name, name_len, ":path") ? &st->path :
                       h2_name_is(name, name_len, ":authority") ? &st->authority :
                       h2_name_is(name, name_len, ":scheme") ? &st->scheme : NULL;
  if (!f)
    return 0;   /* nghttp2 refuses unknown pseudo-fields before they get here */
  if (h2_stream_keep(st, value, value_len, &f->value) < 0)
    return -1;
  f->value_len = (uint32_t)value_len;
  st->has_method |= f == &st->method;
  st->has_path |= f == &st->path;
  st->has_authority |= f == &st->authority;
  return 0;
}

int h2_stream_add_field(struct h2_stream *st, const uint8_t *name, size_t name_len,
                        const uint8_t *value, size_t value_len)
{
  /* RFC 9113 6.5.2: each field counts its name, its value and 32 bytes */
  st->list_size += name_len + value_len + 32;
  if (st->list_size > H2_MAX_LIST) {
    st->too_big = 1;   /* Go answers 431; far past it is an HPACK bomb */
    if (st->list_size > 4 * (size_t)H2_MAX_LIST) {
      st->h->calm = 1;
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }
  if (st->too_big)
    return 0;
  if (name_len && name[0] == ':') {
    if (h2_stream_pseudo(st, name, name_len, value, value_len) < 0)
      st->too_big = 1;
    return 0;
  }
  if (st->field_count == HTTP_MAX_HEADERS || name_len + value_len > H2_HEAD_CAP - st->head_len) {
    st->too_big = 1;
    return 0;
  }
  struct h2_field *f = &st->fields[st->field_count++];
  f->name = (uint32_t)st->head_len;
  f->name_len = (uint32_t)name_len;
  memcpy(st->head + st->head_len, name, name_len);
  response_canonicalize(st->head + st->head_len, name_len);   /* as Go's handlers see names */
  st->head_len += name_len;
  h2_stream_keep(st, value, value_len, &f->value);
  f->value_len = (uint32_t)value_len;
  return 0;
}

static int h2_field_is(const struct h2_stream *st, const struct h2_field *f, const char *lit)
{
  return http1_token_eq(st->head + f->name, f->name_len, lit);
}

/* RFC 9113 8.2.3: cookie fields split by the client are one field again,
 * joined with "; ", as Go joins them; -1 when storage runs out */
static int h2_stream_join_cookies(struct h2_stream *st)
{
  size_t first = SIZE_MAX, kept = 0;
  uint32_t at = (uint32_t)st->head_len;
  for (size_t i = 0; i < st->field_count; i++) {
    struct h2_field *f = &st->fields[i];
    if (!h2_field_is(st, f, "cookie")) {
      st->fields[kept++] = *f;
      continue;
    }
    size_t need = f->value_len + (first == SIZE_MAX ? 0 : 2);
    if (need > H2_HEAD_CAP - st->head_len)
      return -1;
    if (first != SIZE_MAX)
      memcpy(st->head + st->head_len, "; ", 2), st->head_len += 2;
    memmove(st->head + st->head_len, st->head + f->value, f->value_len);
    st->head_len += f->value_len;
    if (first == SIZE_MAX) {
      first = kept;
      st->fields[kept++] = *f;
    }
  }
  st->field_count = kept;
  if (first != SIZE_MAX) {
    st->fields[first].value = at;
    st->fields[first].value_len = (uint32_t)(st->head_len - at);
  }
  return 0;
}

static int64_t h2_parse_length(const char *s, size_t len)
{
  int64_t v = 0;
  if (len == 0 || len > 18)
    return -2;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -2;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* the request as exec.c and the proxy read it: HTTP/1.1 semantics, the
 * authority as Host (or the Host field when it is absent, as Go takes it) */
static int h2_stream_build_request(struct h2_stream *st)
{
  struct http_request *req = &st->ex.req;
  memset(req, 0, sizeof *req);
  if (!st->has_method || h2_stream_join_cookies(st) < 0)
    return -EINVAL;
  req->method = st->head + st->method.value;
  req->method_len = st->method.value_len;
  req->target = st->has_path ? st->head + st->path.value : "";
  req->target_len = st->has_path ? st->path.value_len : 0;
  req->version_minor = 1;
  req->http2 = 1;
  req->keep_alive = 1;
  req->content_length = -1;
  if (st->has_authority) {
    req->host = st->head + st->authority.value;
    req->host_len = st->authority.value_len;
  }
  for (size_t i = 0; i < st->field_count; i++) {
    const struct h2_field *f = &st->fields[i];
    req->headers[i] = (struct http_header){st->head + f->name, f->name_len,
                                           st->head + f->value, f->value_len};
    if (!req->host && h2_field_is(st, f, "host")) {
      req->host = st->head + f->value;
      req->host_len = f->value_len;
    }
    if (h2_field_is(st, f, "content-length"))
      req->content_length = h2_parse_length(st->head + f->value, f->value_len);
  }
  req->header_count = st->field_count;
  return req->content_length < -1 ? -EINVAL : 0;
}

static int h2_is_method(const struct http_request *req, const char *m)
{
  return req->method_len == strlen(m) && memcmp(req->method, m, req->method_len) == 0;
}

/* RESPOND, FILE, NEXT and trapped decisions: the answer is submitted now and
 * the decision goes back (a respond body is copied to the stream) */
void h2_stream_answer(struct h2_stream *st)
{
  struct worker *w = st->h->w;
  struct response *r = st->ex.resp;
  r->file_fd = -1;
  if (errors_response(w->blob, &w->cage, st->h->c->server, &st->ex.req, &st->h->c->info, st->ex.dec, w->files,
                      r) < 0) {
    h2_head_error(st, 500);
    return;
  }
  if (!st->ex.dec->trapped && st->ex.dec->action == ZS_ACT_ABORT) {   /* abort in an error route */
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  int head = h2_is_method(&st->ex.req, "HEAD");
  r->head_request = head;
  int64_t length = response_content_length(r);
  int file = st->ex.dec->action == ZS_ACT_FILE && !st->ex.dec->trapped;
  if (encode_begin(w, &st->ex, r, file ? length : -1, r->file_fd >= 0 ? 0 : r->body_len) < 0) {
    if (r->file_fd >= 0)
      close(r->file_fd);
    h2_head_error(st, 500);
    return;
  }
  st->body_discard = 1;   /* a request body is not read by these */
  if (r->file_fd >= 0 && !head && r->file_len > 0) {
    st->src = H2_SRC_FILE;
    st->fd = r->file_fd;
    st->file_off = r->part_count ? 0 : r->file_offset;   /* parts: the position in the body */
    st->file_left = r->file_len;
  } else if (r->file_fd >= 0) {
    close(r->file_fd);
  } else if ((!head || st->ex.enc) && r->body_len > 0 && r->body_len <= H2_BODY_CAP) {
    memcpy(st->body, r->body, r->body_len);
    st->body_len = r->body_len;
    st->src = H2_SRC_MEM;
  }
  if (r->precompressed && length > 4096)
    length = -1;   /* Go's HTTP/2 declares a length ServeContent left out only for what it buffered */
  if (st->ex.enc && (length = h2_encode_prepare(st, head, file)) == -2) {
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  if (h2_head_submit(st, r, length, 0, st->src != H2_SRC_NONE) < 0)
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
  /* Caddy's "close" asks Go to end the connection: in HTTP/2 a graceful
   * GOAWAY, sent once this answer is out */
  st->goaway_after = st->ex.dec->action == ZS_ACT_RESPOND_CLOSE;
  if (st->src != H2_SRC_FILE || !r->part_count)
    exchange_detach(w->exchanges, &st->ex);   /* multipart: its ranges are read as it goes out */
}

static int h2_stream_expects_continue(const struct h2_stream *st)
{
  for (size_t i = 0; i < st->field_count; i++)
    if (h2_field_is(st, &st->fields[i], "expect") &&
        http1_token_eq(st->head + st->fields[i].value, st->fields[i].value_len, "100-continue"))
      return 1;
  return 0;
}

/* the body is wanted: a client holding it back for "100-continue" sends it
 * now, as Go's server says 100 when a handler starts reading */
static void h2_stream_continue(struct h2_stream *st)
{
  static const nghttp2_nv status = {(uint8_t *)":status", (uint8_t *)"100", 7, 3, NGHTTP2_NV_FLAG_NONE};
  nghttp2_submit_headers(st->h->session, NGHTTP2_FLAG_NONE, st->id, NULL, &status, 1, NULL);
}

/* request_body's max_size ran out: Caddy's 413 error, through the error
 * routes; the rest of the body is not read */
static void h2_stream_too_large(struct h2_stream *st)
{
  st->waiting_body = 0;
  exchange_body_too_large(&st->ex);
  h2_stream_answer(st);
}

/* reverse_proxy: the upstream is asked once the body is complete */
static void h2_stream_begin_proxy(struct h2_stream *st, int end_stream)
{
  struct worker *w = st->h->w;
  if (proxy_prepare(w, &st->ex, st->ex.dec) < 0) {
    h2_head_error(st, 500);
    return;
  }
  if (st->ex.req.content_length > PROXY_MAX_BODY) {
    h2_head_error(st, 413);
    return;
  }
  /* request_body max_size: Caddy's 413 error, before anything goes up */
  int64_t limit = st->ex.dec->max_body;
  if (limit > 0 && (st->ex.req.content_length > limit || (int64_t)st->body_len > limit)) {
    h2_stream_too_large(st);
    return;
  }
  st->waiting_body = 1;
  if (end_stream)
    h2_stream_body_done(st);
  else if (h2_stream_expects_continue(st))
    h2_stream_continue(st);
}

static void h2_stream_run(struct h2_stream *st, int end_stream);

/* a basic_auth password was verified: the request runs again from the start */
static void h2_stream_auth_resume(struct worker *w, struct exchange *ex)
{
  (void)w;
  struct h2_stream *st = (struct h2_stream *)(void *)ex;   /* the exchange is its first member */
  st->ex.phase = EXCHANGE_IDLE;
  st->waiting_body = 0;
  h2_stream_run(st, st->end_stream);
  h2_conn_flush(st->h);
}

/* the program waits for a password to be verified off the worker; a body
 * is gathered meanwhile, in case the answer is an upstream's */
static void h2_stream_begin_auth(struct h2_stream *st, struct exec_auth *auth)
{
  st->ex.auth.resume = h2_stream_auth_resume;
  if (auth_submit(st->h->w, &st->ex, auth) < 0) {
    h2_head_error(st, st->ex.auth.waits >= AUTH_MAX_WAITS ? 500 : 503);
    return;
  }
  st->ex.phase = EXCHANGE_AUTH_WAIT;
  st->waiting_body = 1;
}

static void h2_stream_run(struct h2_stream *st, int end_stream)
{
  struct worker *w = st->h->w;
  struct exec_decision *dec = st->ex.dec;
  struct exec_auth auth;
  auth_exec_prepare(w, &st->ex, &auth);
  int rc = exec_request_auth(w->blob, &w->cage, st->h->c->server, &st->ex.req, &st->h->c->info, dec, &auth);
  if (rc < 0)
    h2_head_error(st, rc == -EINVAL ? 400 : rc == -E2BIG || rc == -ENOSPC ? 431 : 500);
  else if (!dec->trapped && dec->action == ZS_ACT_AUTH_WAIT)
    h2_stream_begin_auth(st, &auth);
  else if (!dec->trapped && dec->action == ZS_ACT_PROXY)
    h2_stream_begin_proxy(st, end_stream);
  else if (!dec->trapped && dec->action == ZS_ACT_ABORT)
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);   /* Go resets a stream whose handler aborted */
  else
    h2_stream_answer(st);
}

void h2_stream_headers_done(struct h2_stream *st, int end_stream)
{
  struct worker *w = st->h->w;
  st->dispatched = 1;
  if (st->too_big) {
    h2_head_error(st, 431);
    return;
  }
  if (h2_stream_build_request(st) < 0) {
    h2_head_error(st, 400);
    return;
  }
  long long max_body = w->opt->max_body > 0 ? w->opt->max_body : (10 << 20);
  if (st->ex.req.content_length > max_body) {
    h2_head_error(st, 413);
    return;
  }
  if (exchange_attach(w->exchanges, &st->ex) < 0) {
    h2_head_reset(st, NGHTTP2_REFUSED_STREAM);
    return;
  }
  auth_exchange_reset(&st->ex.auth);
  h2_stream_run(st, end_stream);
}

void h2_stream_data(struct h2_stream *st, const uint8_t *data, size_t len)
{
  struct h2_conn *h = st->h;
  if (st->body_discard || !st->waiting_body)
    return;
  int64_t limit = st->ex.dec && st->ex.phase != EXCHANGE_AUTH_WAIT ? st->ex.dec->max_body : 0;
  if (len > PROXY_MAX_BODY - st->body_len || len > H2_BODY_BUDGET - h->body_bytes) {
    h2_head_error(st, 413);
    return;
  }
  if (limit > 0 && (int64_t)(st->body_len + len) > limit) {
    h2_stream_too_large(st);
    return;
  }
  memcpy(st->body + st->body_len, data, len);
  st->body_len += len;
  st->body_held += len;
  h->body_bytes += len;
}

void h2_stream_body_done(struct h2_stream *st)
{
  st->end_stream = 1;
  if (!st->waiting_body || st->body_discard || st->ex.phase == EXCHANGE_AUTH_WAIT)
    return;
  st->waiting_body = 0;
  struct http_request *req = &st->ex.req;
  /* Go's transport sends a length for a body, and 0 for an empty one only
   * on the methods that carry one */
  if (st->body_len > 0 || req->content_length >= 0)
    req->content_length = (int64_t)st->body_len;
  else if (h2_is_method(req, "POST") || h2_is_method(req, "PUT") || h2_is_method(req, "PATCH"))
    req->content_length = 0;
  st->ex.phase = EXCHANGE_PROXY;
  st->ex.resp_keep_alive = 1;
  proxy_start(st->h->w, st->h->c, &st->ex, st->body, st->body_len);
}
