/* HTTP/1.1 on one client connection: parse as many requests as are buffered,
 * run each through the blob, and queue the answers in order (pipelining);
 * request bodies are discarded, or streamed to an upstream. Errors in the
 * input are answered the way Go's server answers them, then the connection
 * closes. */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access_log.h"
#include "auth_pool.h"
#include "errors.h"
#include "encode.h"
#include "files_parts.h"
#include "h2/h2.h"
#include "loader.h"
#include "proxy.h"
#include "response.h"

struct exchange *conn_exchange_begin(struct worker *w, struct conn *c)
{
  return exchange_attach(w->exchanges, c->ex) < 0 ? NULL : c->ex;
}

void conn_exchange_end(struct worker *w, struct conn *c, struct exchange *ex)
{
  if (ex->dec)
    access_log_answer(w, c, ex, ex->resp);
  encode_end(ex);
  ex->phase = EXCHANGE_IDLE;
  ex->body_stream = 0;   /* what is left of a body is read and dropped */
  ex->tunnel = 0;
  loop_conn_resume(w, c);
  exchange_detach(w->exchanges, ex);
}

static void conn_on_input(struct worker *w, struct conn *c);
static void conn_on_sent(struct worker *w, struct conn *c);

static void conn_worker_fini(struct worker *w)
{
  for (int i = 0; w->conns && i < LOOP_MAX_CONNS; i++)
    if (w->conns[i].used && w->conns[i].ex && w->conns[i].ex->file_fd >= 0)
      close(w->conns[i].ex->file_fd);
  exchange_pool_destroy(w->exchanges);
  w->exchanges = NULL;
  encode_pool_destroy(w->encoders);
  w->encoders = NULL;
}

static const struct loop_module conn_module = {.fini = conn_worker_fini};

/* a chunked file's piece, read (or copied) after room for its size line */
static void conn_frame_file_chunk(struct conn *c, size_t n, int last)
{
  static const char hex[] = "0123456789abcdef";
  char *at = c->out + c->out_len;
  for (int i = 0; i < 8; i++)
    at[i] = hex[(n >> (28 - 4 * i)) & 0xf];
  memcpy(at + 8, "\r\n", 2);
  c->out_len += 10 + n;
  conn_append(c, last ? "\r\n0\r\n\r\n" : "\r\n", last ? 7 : 2);
}

/* how many of n body bytes not read from the file fit the out buffer as
 * the file's bytes go out: compressed, one chunk, or as they are */
static size_t conn_file_room(const struct conn *c, size_t n)
{
  size_t room = CONN_OUT_CAP - c->out_len;
  if (c->ex->enc)
    return ENCODE_BOUND(n) + 17 <= room ? n : 0;
  if (c->ex->file_chunked)
    room = room > 17 ? room - 17 : 0;
  return n < room ? n : room;
}

static int conn_file_emit(struct conn *c, const char *mem, size_t n, int last)
{
  if (c->ex->enc)
    return conn_encode_feed(c, mem, n, last);
  if (c->ex->file_chunked) {
    memcpy(c->out + c->out_len + 10, mem, n);
    conn_frame_file_chunk(c, n, last);
    return 0;
  }
  return conn_append(c, mem, n);
}

/* multipart/byteranges: the part heads at the body's position (file_off)
 * are queued like the file's bytes; 1 when a file range follows (in p), 0
 * when the out buffer is full or the body is complete (then sent) */
static int conn_part_heads(struct worker *w, struct conn *c, struct files_piece *p)
{
  struct exchange *ex = c->ex;
  for (;;) {
    if (ex->file_left == 0) {
      close(ex->file_fd);
      ex->file_fd = -1;
      conn_exchange_end(w, c, ex);
      loop_conn_flush(w, c);
      return 0;
    }
    files_parts_piece(ex->resp, ex->file_off, p);
    if (!p->mem)
      return 1;
    size_t n = conn_file_room(c, p->mem_len);
    if (n == 0) {
      loop_conn_flush(w, c);   /* more once this is sent */
      return 0;
    }
    if (conn_file_emit(c, p->mem, n, n >= ex->file_left) < 0) {
      loop_conn_close(w, c);
      return 0;
    }
    ex->file_off += n;
    ex->file_left -= n;
  }
}

/* reads the next piece of a file body into the free end of the out buffer
 * (or the compressor's input); the next is read only when this one was
 * sent, so a body goes out as fast as the client takes it, LOOP_FILE_CHUNK
 * bytes at a time */
static void conn_read_file(struct worker *w, struct conn *c)
{
  uint64_t off = c->ex->file_off, left = c->ex->file_left;
  if (c->ex->resp && c->ex->resp->part_count) {
    struct files_piece p;
    if (conn_part_heads(w, c, &p) <= 0)
      return;
    off = p.file_off;
    left = p.file_len;
  }
  size_t room = CONN_OUT_CAP - c->out_len;
  if (c->ex->enc) {   /* read for the compressor: what it makes of it must fit the room */
    size_t n = left < ENCODE_STEP ? (size_t)left : ENCODE_STEP;
    while (n > 1024 && ENCODE_BOUND(n) + 17 > room)
      n /= 2;
    if (ENCODE_BOUND(n) + 17 > room) {
      loop_conn_flush(w, c);   /* the part heads filled it: the range is read once they are sent */
      return;
    }
    loop_conn_read_into(w, c, c->ex->file_fd, off, encode_input(c->ex->enc), n);
    return;
  }
  size_t frame = c->ex->file_chunked ? 10 : 0;   /* a chunk's fixed-width size line before the bytes */
  room = conn_file_room(c, room);
  if (room > LOOP_FILE_CHUNK)
    room = LOOP_FILE_CHUNK;
  if (room == 0) {
    loop_conn_flush(w, c);   /* the part heads filled it: the range is read once they are sent */
    return;
  }
  size_t n = left < room ? (size_t)left : room;
  loop_conn_read_into(w, c, c->ex->file_fd, off, c->out + c->out_len + frame, n);
}

/* HTTP/1.1: a connection slot holds the pool's exchange of the same index */
static void conn_on_open(struct worker *w, struct conn *c)
{
  c->ex = &w->exchanges->exchanges[c->index];
  *c->ex = (struct exchange){.file_fd = -1};
}

/* the client is done sending: what is being answered still goes out,
 * except an upstream's answer, which decides itself whether to keep it */
static void conn_on_peer_eof(struct worker *w, struct conn *c)
{
  struct exchange *ex = c->ex;
  if (ex->tunnel) {   /* the client is done: what it sent goes up, then the tunnel ends */
    ex->body_active = 0;
    proxy_on_body(w, ex);
  } else if (ex->body_stream && ex->body_active) {
    log_http_error(&w->log, &ex->req, &c->info, 502, "reverse_proxy: client closed mid-body", 0);
    loop_conn_close(w, c);   /* the body is cut: the upstream must not take it as whole */
  } else if (ex->phase != EXCHANGE_PROXY) {
    c->close_after_send = 1;
  }
}

static enum loop_conn_state conn_state(const struct conn *c)
{
  /* a tunnel, or a body held back while the upstream is full, is not idle */
  if (c->ex->tunnel || c->paused)
    return LOOP_CONN_BUSY;
  if (c->ex->body_active)
    return LOOP_CONN_BODY;
  return c->ex->phase == EXCHANGE_IDLE ? LOOP_CONN_IDLE : LOOP_CONN_BUSY;
}

static void conn_on_file_read(struct worker *w, struct conn *c, int res);
static void conn_on_close(struct worker *w, struct conn *c);

static const struct loop_conn_ops conn_ops = {
  .open = conn_on_open, .input = conn_on_input, .sent = conn_on_sent,
  .file_read = conn_on_file_read, .peer_eof = conn_on_peer_eof, .close = conn_on_close,
  .state = conn_state,
};

int conn_worker_init(struct worker *w)
{
  loop_register_conn_ops(w, &conn_ops);
  int rc = loop_register_module(w, &conn_module);
  if (rc == 0)
    w->exchanges = exchange_pool_create(LOOP_MAX_CONNS);
  if (rc == 0)
    w->encoders = encode_pool_create();
  if (rc == 0 && (!w->exchanges || !w->encoders))
    rc = -ENOMEM;
  if (rc == 0)
    rc = h2_worker_init(w);
  return rc < 0 ? rc : proxy_pool_create(w);
}

/* out space a new request needs: the largest head and memory body */
#define CONN_HEADROOM (EXEC_MAX_BODY + HTTP1_MAX_HEAD)

int conn_append(struct conn *c, const char *data, size_t len)
{
  if (len > CONN_OUT_CAP - c->out_len)
    return -ENOSPC;
  if (len == 0)
    return 0;
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
  return 0;
}

/* the plain answer Go's server gives to input it cannot serve, then close */
void conn_respond_error(struct worker *w, struct conn *c, int status)
{
  if (!conn_exchange_begin(w, c)) {
    loop_conn_close(w, c);
    return;
  }
  struct response *r = c->ex->resp;
  response_init_error(r, status);
  struct response_framing f = {.version_minor = 1, .content_length = -1, .bare = 1};
  int n = response_write_head(r, &f, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  if (n > 0 && r->body_len <= CONN_OUT_CAP - c->out_len - (size_t)n) {
    c->out_len += (size_t)n;
    conn_append(c, r->body, r->body_len);
  }
  c->close_after_send = 1;
  c->ex->body_active = 0;
  conn_exchange_end(w, c, c->ex);
  loop_conn_flush(w, c);
}

/* drops the bytes before in_start when no request points into them */
static void conn_compact(struct conn *c)
{
  if (c->ex->phase == EXCHANGE_PROXY || c->ex->phase == EXCHANGE_AUTH_WAIT || c->in_start == 0)
    return;
  memmove(c->in, c->in + c->in_start, c->in_len - c->in_start);
  c->in_len -= c->in_start;
  c->in_start = 0;
}

/* Content-Length body bytes: skipped, or left in place for an upstream */
static int conn_body_length(struct conn *c, int keep)
{
  size_t avail = c->in_len - c->in_start;
  size_t n = (uint64_t)c->ex->body_left < avail ? (size_t)c->ex->body_left : avail;
  c->in_start += n;
  c->ex->body_left -= (int64_t)n;
  if (keep)
    c->ex->body_kept += n;
  return c->ex->body_left == 0;
}

/* chunked body: decoded, and when kept, moved down to body_start + body_kept */
static int conn_body_chunked(struct conn *c, int keep)
{
  while (c->in_start < c->in_len && !c->ex->chunk.done) {
    const char *data;
    size_t data_len;
    int rc = http1_chunked_decode(&c->ex->chunk, c->in + c->in_start, c->in_len - c->in_start,
                                  &data, &data_len);
    if (rc < 0)
      return rc;
    if (keep && data_len) {
      memmove(c->in + c->ex->body_start + c->ex->body_kept, data, data_len);
      c->ex->body_kept += data_len;
    }
    c->in_start += (size_t)rc;
  }
  return c->ex->chunk.done;
}

/* a streamed body waits in in: too much of it, and the client is not read */
#define CONN_STREAM_HIGH (256 * 1024)
#define CONN_STREAM_LOW  (64 * 1024)

void conn_body_consume(struct worker *w, struct conn *c, size_t n)
{
  struct exchange *ex = c->ex;
  char *at = c->in + ex->body_start;
  memmove(at, at + n, c->in_len - ex->body_start - n);
  c->in_len -= n;
  c->in_start -= n;
  ex->body_kept -= n;
  if (c->in_len - ex->body_start < CONN_STREAM_LOW)
    loop_conn_resume(w, c);
}

void conn_begin_tunnel(struct worker *w, struct conn *c, struct exchange *ex)
{
  (void)w;
  ex->tunnel = 1;
  ex->body_stream = 1;
  ex->body_active = !c->peer_eof;
  ex->body_chunked = 0;
  ex->body_left = INT64_MAX;
  ex->body_start = c->in_start;
  ex->body_kept = 0;
  ex->resp_keep_alive = 0;
  conn_body_length(c, 1);   /* what came after the request is the tunnel's already */
}

/* a streamed body moved on: the upstream sends it, and the client waits
 * while the upstream has not taken CONN_STREAM_HIGH of it */
static void conn_body_streamed(struct worker *w, struct conn *c)
{
  size_t high = CONN_STREAM_HIGH + (c->ex->tunnel ? 0 : w->blob->proxies[c->ex->proxy_id].request_buffers);
  if (c->in_len - c->ex->body_start > high)
    loop_conn_pause(w, c);
  proxy_on_body(w, c->ex);
}

/* advances the current request's body; 1 when it is complete */
static int conn_body_step(struct worker *w, struct conn *c)
{
  int stream = c->ex->body_stream && c->ex->phase == EXCHANGE_PROXY;
  int rc = c->ex->body_chunked ? conn_body_chunked(c, stream) : conn_body_length(c, stream);
  if (rc < 0 && stream) {
    c->ex->body_active = 0;
    if (rc == HTTP1_ERR_BODY_TOO_LARGE && c->ex->body_limited)
      proxy_body_limited(w, c->ex);
    else
      proxy_body_failed(w, c->ex, http1_error_status(rc));
    return -1;
  }
  if (rc < 0) {
    c->close_after_send = 1;   /* the answer is out; the framing is lost */
    c->ex->body_active = 0;
    return -1;
  }
  if (rc == 0) {
    if (stream)
      conn_body_streamed(w, c);
    return 0;
  }
  c->ex->body_active = 0;
  if (stream)
    conn_body_streamed(w, c);
  return 1;
}

static int conn_is_head(const struct http_request *req)
{
  return req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
}

static void conn_start_file(struct worker *w, struct conn *c, struct response *r, int head)
{
  if (head || r->file_len == 0) {
    close(r->file_fd);
    return;
  }
  c->ex->file_fd = r->file_fd;
  c->ex->file_off = r->part_count ? 0 : r->file_offset;   /* parts: the position in the body */
  c->ex->file_left = r->file_len;
  c->ex->phase = EXCHANGE_FILE;
  conn_read_file(w, c);
}

/* RESPOND, FILE, NEXT and trapped decisions: the whole answer is queued now */
static void conn_respond_decision(struct worker *w, struct conn *c)
{
  struct response *r = c->ex->resp;
  r->file_fd = -1;
  c->ex->file_chunked = 0;
  if (errors_response(w->blob, &w->cage, c->server, &c->ex->req, &c->info, c->ex->dec, w->files, r) < 0) {
    conn_respond_error(w, c, 500);
    return;
  }
  if (!c->ex->dec->trapped && c->ex->dec->action == ZS_ACT_ABORT) {   /* abort in an error route */
    c->close_after_send = 1;
    conn_exchange_end(w, c, c->ex);
    return;
  }
  int keep_alive = c->ex->req.keep_alive && !w->stopping && c->ex->dec->action != ZS_ACT_RESPOND_CLOSE &&
                   !(c->ex->req.expect_continue && c->ex->body_active);
  int head = conn_is_head(&c->ex->req);
  r->head_request = head;
  if (conn_encode_start(w, c, r, keep_alive) < 0) {
    if (r->file_fd >= 0)
      close(r->file_fd);
    conn_respond_error(w, c, 500);
    return;
  }
  if (c->ex->enc) {   /* its head and framing are conn_encode.c's */
    if (r->file_fd >= 0)
      conn_start_file(w, c, r, head);
    if (c->ex->phase != EXCHANGE_FILE && c->ex->enc_pending && conn_encode_feed(c, NULL, 0, 1) < 0)
      c->close_after_send = 1;   /* no bytes to send: nothing can be framed */
    if (c->ex->phase != EXCHANGE_FILE)
      conn_exchange_end(w, c, c->ex);
    return;
  }
  /* ServeContent gives a sidecar no length, so Go frames it by what it wrote before the handler
   * ended: on TCP its ReadFrom flushes the head once 512 bytes are copied; over TLS its buffer
   * (2 KiB) decides */
  uint64_t buffered = c->info.tls ? ENCODE_GO_BUFFERED : 511;
  c->ex->file_chunked = r->precompressed && !head && r->file_fd >= 0 && r->file_len > buffered;
  struct response_framing f = {.version_minor = c->ex->req.version_minor, .keep_alive = keep_alive,
                               .content_length = response_content_length(r)};
  if (c->ex->file_chunked) {
    f.content_length = -1;
    f.chunked = c->ex->file_chunked = c->ex->req.version_minor >= 1;
    f.keep_alive = keep_alive = keep_alive && f.chunked;
  }
  int n = response_write_head(r, &f, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  size_t body_len = head ? 0 : r->body_len;
  if (n < 0 || body_len > CONN_OUT_CAP - c->out_len - (size_t)n) {
    if (r->file_fd >= 0)
      close(r->file_fd);
    conn_respond_error(w, c, 500);
    return;
  }
  c->out_len += (size_t)n;
  conn_append(c, r->body, body_len);
  if (!keep_alive)
    c->close_after_send = 1;
  if (r->file_fd >= 0)
    conn_start_file(w, c, r, head);
  /* the answer is queued; a file's goes on until its last byte is read */
  if (c->ex->phase != EXCHANGE_FILE)
    conn_exchange_end(w, c, c->ex);
}

/* request_body max_size under reverse_proxy: Caddy's 413 error (Go's
 * MaxBytesError), for a Content-Length past it before anything goes up, or
 * for a chunked body once it runs past it (the upstream is dropped, or the
 * answer cut when its head is out already). The body is not read on, so
 * the connection closes after the answer, as MaxBytesReader asks. */
void conn_body_too_large(struct worker *w, struct conn *c)
{
  struct exchange *ex = c->ex;
  ex->body_active = 0;
  ex->req.keep_alive = 0;
  exchange_body_too_large(ex);
  conn_answer_error_routes(w, c, ex);   /* keep_alive 0: Connection: close */
}

static void conn_begin_proxy(struct worker *w, struct conn *c)
{
  /* the decision stays with the exchange: the upstream answers after other requests ran */
  if (proxy_prepare(w, c->ex, c->ex->dec) < 0) {
    conn_respond_error(w, c, 500);
    return;
  }
  c->ex->resp_keep_alive = c->ex->req.keep_alive && !w->stopping;
  c->ex->body_start = c->in_start;
  c->ex->body_kept = 0;
  c->ex->phase = EXCHANGE_PROXY;
  /* the body streams up as it comes, any size (Caddy sets no limit) but
   * request_body's max_size: a chunked body stops at it (conn_body_step) */
  c->ex->body_stream = c->ex->body_active;
  int64_t limit = c->ex->dec->max_body;
  c->ex->chunk.max_body = c->ex->body_chunked && limit > 0 ? (uint64_t)limit : 0;
  c->ex->body_limited = c->ex->chunk.max_body > 0;
  if (c->ex->body_active && c->ex->req.expect_continue && c->in_start == c->in_len)
    conn_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  proxy_start(w, c, c->ex, NULL, 0);
}

static void conn_dispatch(struct worker *w, struct conn *c);

/* a basic_auth password was verified: the request runs again from the start,
 * then the connection goes on (its body, pipelined requests) */
static void conn_auth_resume(struct worker *w, struct exchange *ex)
{
  struct conn *c = &w->conns[ex - w->exchanges->exchanges];
  ex->phase = EXCHANGE_IDLE;
  conn_dispatch(w, c);
  conn_on_input(w, c);
}

/* the program waits for a password to be verified off the worker; the
 * request (and its body) stays where it is until then */
static void conn_begin_auth(struct worker *w, struct conn *c, struct exec_auth *auth)
{
  c->ex->auth.resume = conn_auth_resume;
  int rc = auth_submit(w, c->ex, auth);
  if (rc < 0) {
    conn_respond_error(w, c, c->ex->auth.waits >= AUTH_MAX_WAITS ? 500 : 503);
    return;
  }
  c->ex->phase = EXCHANGE_AUTH_WAIT;
}

static void conn_dispatch(struct worker *w, struct conn *c)
{
  if (!conn_exchange_begin(w, c)) {
    loop_conn_close(w, c);
    return;
  }
  struct exec_decision *dec = c->ex->dec;
  struct exec_auth auth;
  auth_exec_prepare(w, c->ex, &auth);
  int rc = exec_request_auth(w->blob, &w->cage, c->server, &c->ex->req, &c->info, dec, &auth);
  if (rc < 0) {
    /* a bad escape or target is Go's 400; a request too big for the view is 431 */
    conn_respond_error(w, c, rc == -EINVAL ? 400 : rc == -E2BIG || rc == -ENOSPC ? 431 : 500);
    return;
  }
  if (!dec->trapped && dec->action == ZS_ACT_AUTH_WAIT) {
    conn_begin_auth(w, c, &auth);   /* what the body is for is known after */
    return;
  }
  long long max_body = w->opt->max_body > 0 ? w->opt->max_body : (10 << 20);
  int proxied = !dec->trapped && dec->action == ZS_ACT_PROXY;
  if (!proxied && c->ex->req.content_length > max_body) {
    conn_respond_error(w, c, 413);   /* a body zsrt only drains: its own limit */
    return;
  }
  if (proxied && dec->max_body > 0 && !c->ex->body_chunked &&
             c->ex->req.content_length > dec->max_body) {
    conn_body_too_large(w, c);
  } else if (proxied) {
    conn_begin_proxy(w, c);
  } else if (!dec->trapped && dec->action == ZS_ACT_ABORT) {
    c->close_after_send = 1;   /* abort: no response; what is queued still goes */
    conn_exchange_end(w, c, c->ex);
  } else
    conn_respond_decision(w, c);
}

/* parses the next buffered request and answers or starts it; 1 to go on */
static int conn_next_request(struct worker *w, struct conn *c)
{
  size_t avail = c->in_len - c->in_start;
  if (avail == 0) {
    c->head_start_ms = 0;
    return 0;
  }
  if (!c->head_start_ms)
    c->head_start_ms = w->now_ms;
  int rc = http1_parse_request(c->in + c->in_start, avail, &c->ex->req);
  if (rc == HTTP1_ERR_MORE)
    return 0;
  if (rc < 0) {
    conn_respond_error(w, c, http1_error_status(rc));
    return 0;
  }
  c->head_start_ms = 0;
  c->in_start += (size_t)rc;
  long long max_body = w->opt->max_body > 0 ? w->opt->max_body : (10 << 20);
  c->ex->body_chunked = c->ex->req.chunked;
  c->ex->body_limited = 0;
  c->ex->body_left = c->ex->req.content_length > 0 ? c->ex->req.content_length : 0;
  c->ex->chunk = (struct http1_chunked){.max_body = (uint64_t)max_body};
  c->ex->body_active = c->ex->body_chunked || c->ex->body_left > 0;
  auth_exchange_reset(&c->ex->auth);
  conn_dispatch(w, c);
  return 1;
}

/* nothing was read as HTTP/1.1 yet: the connection may still turn out to be HTTP/2 */
static int conn_at_start(const struct conn *c)
{
  return c->out_peak == 0 && c->in_start == 0 && c->ex->phase == EXCHANGE_IDLE && !c->ex->dec &&
         !c->ex->body_active;
}

static void conn_on_input(struct worker *w, struct conn *c)
{
  if (conn_at_start(c)) {
    /* HTTP/2: by ALPN on TLS, by prior knowledge where protocols lists h2c (Caddy's default has no h2c) */
    int h2c = c->server < w->blob->config->server_count && (w->blob->servers[c->server].flags & ZS_SERVER_H2C);
    int h2 = c->info.tls || h2c ? h2_conn_detect(c) : 0;
    if (h2 > 0) {
      h2_conn_take(w, c);
      return;
    }
    if (h2 < 0)
      return;   /* so far a prefix of the HTTP/2 preface */
  }
  while (!c->closing && !c->close_after_send && c->ex->phase != EXCHANGE_AUTH_WAIT) {
    if (c->ex->body_active) {
      if (conn_body_step(w, c) <= 0)
        break;
      continue;
    }
    if (c->ex->phase != EXCHANGE_IDLE || c->out_len + CONN_HEADROOM > CONN_OUT_CAP)
      break;
    if (!conn_next_request(w, c))
      break;
  }
  conn_compact(c);
  loop_conn_flush(w, c);
  if (c->close_after_send && !c->closing && !c->send_pending && !c->read_pending && c->out_sent >= c->out_len)
    loop_conn_close(w, c);   /* nothing left to send (abort) */
}

static void conn_on_sent(struct worker *w, struct conn *c)
{
  if (c->ex->phase == EXCHANGE_FILE && c->ex->file_left > 0) {
    conn_read_file(w, c);
    return;
  }
  if (c->ex->phase == EXCHANGE_PROXY) {
    proxy_on_client_sent(w, c->ex);
    return;
  }
  int more = c->in_len > c->in_start;
  if (c->close_after_send || (w->stopping && !more) || (c->peer_eof && !more && !c->ex->body_active)) {
    loop_conn_close(w, c);
    return;
  }
  conn_on_input(w, c);
}

static void conn_on_file_read(struct worker *w, struct conn *c, int res)
{
  if (res <= 0) {
    loop_conn_close(w, c);   /* the file shrank: the framing promised is broken */
    return;
  }
  if (c->ex->enc) {
    if (conn_encode_feed(c, encode_input(c->ex->enc), (size_t)res, (uint64_t)res >= c->ex->file_left) < 0) {
      loop_conn_close(w, c);
      return;
    }
  } else if (c->ex->file_chunked) {
    conn_frame_file_chunk(c, (size_t)res, (uint64_t)res >= c->ex->file_left);
  } else {
    c->out_len += (size_t)res;
  }
  c->ex->file_off += (uint64_t)res;
  c->ex->file_left -= (uint64_t)res;
  if (c->ex->file_left == 0) {
    close(c->ex->file_fd);
    c->ex->file_fd = -1;
    conn_exchange_end(w, c, c->ex);
  } else if (c->out_sent >= c->out_len && !c->send_pending) {
    conn_read_file(w, c);   /* encode kept it all back (the head waits): no send will ask for more */
    return;
  }
  loop_conn_flush(w, c);
}

static void conn_on_close(struct worker *w, struct conn *c)
{
  auth_cancel(c->ex);
  proxy_detach(w, c->ex);
  conn_exchange_end(w, c, c->ex);
  if (c->ex->file_fd >= 0) {
    close(c->ex->file_fd);
    c->ex->file_fd = -1;
  }
}

/* the upstream exchange is over; the connection goes back to reading */
void conn_finish_exchange(struct worker *w, struct conn *c, struct exchange *ex)
{
  ex->up = NULL;
  conn_exchange_end(w, c, ex);
  if (!c->ex->resp_keep_alive)
    c->close_after_send = 1;
  if (c->out_len > c->out_sent)
    loop_conn_flush(w, c);
  else
    conn_on_sent(w, c);
}

void conn_answer_error_routes(struct worker *w, struct conn *c, struct exchange *ex)
{
  ex->up = NULL;
  if (!ex->dec->trapped && ex->dec->action == ZS_ACT_ABORT) {
    c->close_after_send = 1;
    conn_exchange_end(w, c, ex);
  } else {
    conn_respond_decision(w, c);
  }
  if (c->out_len > c->out_sent)
    loop_conn_flush(w, c);
  else
    conn_on_sent(w, c);
}
