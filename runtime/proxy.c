/* reverse_proxy I/O: a per-worker pool of upstream connections (reused while
 * the upstream keeps them alive), connect, send the request, read the answer
 * and relay it to the client one buffer at a time. A failure before any
 * response byte is a 502; on a reused connection it is retried once fresh. */
#include "proxy.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "loader.h"
#include "proxy_internal.h"
#include "proxy_msg.h"

const struct proxy_replace *proxy_replaces(struct worker *w, unsigned proxy_id, size_t *count)
{
  *count = w->proxy && proxy_id < w->proxy->target_count ? w->proxy->replace_counts[proxy_id] : 0;
  return *count ? w->proxy->replaces[proxy_id] : NULL;
}

/* "host:port" or "[v6]:port", as Caddy's dial address */
static int proxy_resolve(const char *dial, struct proxy_target *t)
{
  char host[256];
  const char *colon = strrchr(dial, ':');
  if (!colon || (size_t)(colon - dial) >= sizeof host)
    return -EINVAL;
  size_t hl = (size_t)(colon - dial);
  memcpy(host, dial, hl);
  host[hl] = 0;
  char *h = host;
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    host[hl - 1] = 0;
    h++;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(*h ? h : "localhost", colon + 1, &hints, &res) != 0 || !res)
    return -EHOSTUNREACH;
  memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
  t->addr_len = res->ai_addrlen;
  t->resolved = 1;
  freeaddrinfo(res);
  return 0;
}

static void *proxy_map(size_t size)
{
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void proxy_on_tick(struct worker *w);
static void proxy_on_cqe(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                         int res, unsigned flags);

static const struct loop_module proxy_module = {
  .tick = proxy_on_tick, .busy = proxy_busy, .fini = proxy_pool_destroy,
};

int proxy_pool_create(struct worker *w)
{
  int rc = loop_register_module(w, &proxy_module);
  if (rc < 0)
    return rc;
  loop_register_op(w, (enum loop_op)PROXY_OP_CONNECT, proxy_on_cqe);
  loop_register_op(w, (enum loop_op)PROXY_OP_SEND, proxy_on_cqe);
  loop_register_op(w, (enum loop_op)PROXY_OP_RECV, proxy_on_cqe);
  struct proxy_pool *p = proxy_map(sizeof *p);
  if (!p)
    return -ENOMEM;
  w->proxy = p;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
    p->ups[i].fd = -1;
  p->target_count = w->blob->config ? w->blob->config->proxy_count : 0;
  p->targets = proxy_map(sizeof *p->targets * (p->target_count + 1));
  if (!p->targets)
    return -ENOMEM;
  for (size_t i = 0; i < p->target_count; i++) {
    const char *dial = blob_string(w->blob, w->blob->proxies[i].upstream_str);
    if (proxy_resolve(dial, &p->targets[i]) < 0 && w->id == 0)
      fprintf(stderr, "zsrt: reverse_proxy upstream %s: cannot resolve\n", dial);
  }
  rc = proxy_hdr_compile(w->blob, &p->replaces, &p->replace_counts);
  if (rc == 0)
    rc = proxy_trust_load(w->blob, &p->trust);
  if (rc < 0)
    return rc;
  p->bufs = proxy_map((size_t)PROXY_MAX_UPSTREAM_CONNS * (PROXY_HEAD_CAP + PROXY_IN_CAP));
  if (!p->bufs)
    return -ENOMEM;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    struct upstream *up = &p->ups[i];
    up->index = i;
    up->head = p->bufs + (size_t)i * (PROXY_HEAD_CAP + PROXY_IN_CAP);
    up->in = up->head + PROXY_HEAD_CAP;
  }
  return 0;
}

void proxy_pool_destroy(struct worker *w)
{
  struct proxy_pool *p = w->proxy;
  if (!p)
    return;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
    if (p->ups[i].fd >= 0)
      close(p->ups[i].fd);
  if (p->bufs)
    munmap(p->bufs, (size_t)PROXY_MAX_UPSTREAM_CONNS * (PROXY_HEAD_CAP + PROXY_IN_CAP));
  if (p->targets)
    munmap(p->targets, sizeof *p->targets * (p->target_count + 1));
  proxy_hdr_free(p->replaces, p->replace_counts, p->target_count);
  proxy_trust_free(&p->trust);
  munmap(p, sizeof *p);
  w->proxy = NULL;
}

int proxy_busy(struct worker *w)
{
  int n = 0;
  if (!w->proxy)
    return 0;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
    n += w->proxy->ups[i].pending > 0;
  return n;
}

static void up_release(struct upstream *up)
{
  if (up->fd >= 0)
    close(up->fd);
  up->fd = -1;
  up->state = UP_FREE;
  up->client = NULL;
  up->ex = NULL;
  up->gen++;
}

void proxy_up_close(struct worker *w, struct upstream *up)
{
  if (up->state == UP_FREE || up->state == UP_CLOSING)
    return;
  up->client = NULL;
  up->ex = NULL;
  if (up->pending == 0) {
    up_release(up);
    return;
  }
  up->state = UP_CLOSING;
  shutdown(up->fd, SHUT_RDWR);
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_cancel_fd(sqe, up->fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_IGNORE, 0, 0));
}

/* An idle connection must be silent: bytes (a response to a request we
 * never sent: the upstream read a request body as a second request) or an
 * EOF mean it is not ours to reuse, as Go's transport closes a connection
 * that is readable while idle. */
static int up_idle_is_quiet(struct upstream *up)
{
  char byte;
  ssize_t n = recv(up->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static struct upstream *up_take(struct worker *w, unsigned proxy_id, int allow_reuse)
{
  struct upstream *spare = NULL;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    struct upstream *up = &w->proxy->ups[i];
    if (allow_reuse && up->state == UP_IDLE && up->proxy_id == proxy_id) {
      if (up_idle_is_quiet(up))
        return up;
      up_release(up);
    }
    if (!spare && up->state == UP_FREE)
      spare = up;
  }
  if (!spare) {   /* all taken: give up the oldest idle connection */
    for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
      if (w->proxy->ups[i].state == UP_IDLE && (!spare || w->proxy->ups[i].idle_since_ms < spare->idle_since_ms))
        spare = &w->proxy->ups[i];
    if (spare)
      up_release(spare);
  }
  return spare;
}

void proxy_up_submit(struct worker *w, struct upstream *up, enum loop_op op)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  const struct proxy_target *t = &w->proxy->targets[up->proxy_id];
  if (op == (enum loop_op)PROXY_OP_CONNECT) {
    io_uring_prep_connect(sqe, up->fd, (const struct sockaddr *)&t->addr, t->addr_len);
  } else if (op == (enum loop_op)PROXY_OP_SEND) {
    up->msg = (struct msghdr){.msg_iov = up->iov};
    for (int i = 0; i < UP_SEG_COUNT; i++)   /* what of the frame is not sent yet */
      if (up->seg[i].iov_len)
        up->iov[up->msg.msg_iovlen++] = up->seg[i];
    io_uring_prep_sendmsg(sqe, up->fd, &up->msg, MSG_NOSIGNAL);
  } else {
    io_uring_prep_recv(sqe, up->fd, up->in + up->in_len, PROXY_IN_CAP - up->in_len, 0);
  }
  io_uring_sqe_set_data64(sqe, loop_user_data(op, (uint32_t)up->index, up->gen));
  up->pending++;
}

/* answers the client with Caddy's empty 502 and ends the exchange, or with
 * the server's error routes (Caddy then logs the error at debug level only) */
static void proxy_bad_gateway(struct worker *w, struct conn *c, struct exchange *ex, const char *why)
{
  if (ex->dec && (!ex->sink || ex->sink->errors) &&
      exec_error(w->blob, &w->cage, c->server, &ex->req, &c->info, ex->dec, 502, NULL, 0) == 0) {
    if (ex->sink) {
      ex->sink->errors(w, ex);
      ex->sink->finish(w, ex);
    } else {
      conn_answer_error_routes(w, c, ex);
    }
    return;
  }
  log_http_error(&w->log, &ex->req, &c->info, 502, why, 0);
  if (ex->sink) {
    ex->sink->fail(w, ex, 502);
    ex->sink->finish(w, ex);
    return;
  }
  int n = proxy_build_bad_gateway(w, ex, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  if (n > 0)
    c->out_len += (size_t)n;
  conn_finish_exchange(w, c, ex);
}

static void proxy_launch(struct worker *w, struct conn *c, struct exchange *ex, int allow_reuse)
{
  const struct proxy_target *t = &w->proxy->targets[ex->proxy_id];
  struct upstream *up = t->resolved ? up_take(w, ex->proxy_id, allow_reuse) : NULL;
  if (!up) {
    proxy_bad_gateway(w, c, ex, "reverse_proxy: upstream unavailable");
    return;
  }
  const char *dial = blob_string(w->blob, w->blob->proxies[ex->proxy_id].upstream_str);
  struct proxy_hdr_list fields = {.items = w->proxy->fields, .cap = sizeof w->proxy->fields / sizeof w->proxy->fields[0],
                                  .store = w->proxy->field_store, .store_cap = sizeof w->proxy->field_store};
  size_t replace_count;
  const struct proxy_replace *replaces = proxy_replaces(w, ex->proxy_id, &replace_count);
  int trusted = proxy_trust_peer(&w->proxy->trust, c->server, ex->proxy_id, c->info.remote_ip);
  /* a streamed body keeps the client's framing: its length, or chunked
   * (Go's transport sends a body of unknown length chunked) */
  int64_t length = !ex->body_stream ? (int64_t)ex->body_kept : ex->req.chunked ? -1 : ex->req.content_length;
  int n = proxy_build_request(c, ex, dial, ex->req.content_length >= 0 || ex->req.chunked, length, trusted, &fields, replaces, replace_count, up->head, PROXY_HEAD_CAP);
  if (n < 0 && ex->sink) {
    ex->sink->fail(w, ex, 500);
    ex->sink->finish(w, ex);
    return;
  }
  if (n < 0) {
    conn_respond_error(w, c, 500);
    return;
  }
  *up = (struct upstream){.fd = up->fd, .index = up->index, .gen = up->gen, .head = up->head,
                          .in = up->in, .proxy_id = ex->proxy_id, .client = c, .ex = ex,
                          .head_len = (size_t)n, .reused = up->state == UP_IDLE};
  up->body = ex->body_stream ? NULL : ex->body;
  up->body_len = ex->body_stream ? 0 : ex->body_kept;
  up->body_chunked = ex->body_stream && ex->req.chunked;
  ex->up = up;
  if (up->reused) {
    up->state = UP_SENDING;
    proxy_stream_send(w, up);
    return;
  }
  up->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (up->fd < 0) {
    up_release(up);
    ex->up = NULL;
    proxy_bad_gateway(w, c, ex, "reverse_proxy: upstream unavailable");
    return;
  }
  int one = 1;
  setsockopt(up->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  up->state = UP_CONNECTING;
  proxy_up_submit(w, up, (enum loop_op)PROXY_OP_CONNECT);
}

static int proxy_hex(int ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch |= 32;
  return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* 1 when the percent-encoded raw path decodes to exactly dec */
static int proxy_raw_decodes_to(const char *raw, size_t raw_len, const char *dec, size_t dec_len)
{
  size_t i = 0, j = 0;
  for (; i < raw_len; j++) {
    int ch = (unsigned char)raw[i++];
    if (ch == '%' && i + 1 < raw_len && proxy_hex(raw[i]) >= 0 && proxy_hex(raw[i + 1]) >= 0) {
      ch = proxy_hex(raw[i]) * 16 + proxy_hex(raw[i + 1]);
      i += 2;
    }
    if (j >= dec_len || (unsigned char)dec[j] != ch)
      return 0;
  }
  return j == dec_len;
}

/* The part of the raw path that decodes to the program's path: all of it, or
 * the tail a stripped prefix (handle_path) left. Caddy sends the escaped path
 * as the client wrote it (%2F, %7E, %2e stay), so we send these bytes, not a
 * re-encoding of the decoded path. NULL when no tail matches. */
static const char *proxy_raw_tail(const char *raw, size_t raw_len, const char *dec, size_t dec_len,
                                  size_t *tail_len)
{
  for (size_t i = 0; i < raw_len; i++)
    if (raw[i] == '/' && proxy_raw_decodes_to(raw + i, raw_len - i, dec, dec_len)) {
      *tail_len = raw_len - i;
      return raw + i;
    }
  return NULL;
}

/* the target without the scheme and authority of an absolute-form one (the
 * parser found where they end): upstreams get the origin form, as Go's
 * transport sends it */
static const char *proxy_origin_form(const struct http_request *req, size_t *len)
{
  *len = req->target_len - req->origin_at;
  return req->target + req->origin_at;
}

static int proxy_keep_target(struct exchange *ex, const char *path, size_t path_len, const char *query,
                             size_t query_len)
{
  if (path_len + query_len > EXCHANGE_TARGET_CAP)
    return -ENOSPC;
  memcpy(ex->target, path, path_len);
  if (query_len)
    memcpy(ex->target + path_len, query, query_len);
  ex->target_len = path_len + query_len;
  return 0;
}

int proxy_prepare(struct worker *w, struct exchange *ex, const struct exec_decision *dec)
{
  if (!w->proxy || dec->action_id >= w->proxy->target_count)
    return -EINVAL;
  ex->proxy_id = dec->action_id;
  size_t target_len, tail_len;
  const char *target = proxy_origin_form(&ex->req, &target_len);
  const char *q = memchr(target, '?', target_len);
  size_t path_len = q ? (size_t)(q - target) : target_len;
  size_t qlen = target_len - path_len;
  if (ex->req.origin_at && path_len == 0)   /* "http://host" or "http://host?q": path "/" */
    return proxy_keep_target(ex, "/", 1, q ? q : "", qlen);
  if (target[0] != '/' || !dec->path || dec->path_len == 0)
    return proxy_keep_target(ex, target, target_len, "", 0);
  const char *tail = proxy_raw_tail(target, path_len, dec->path, dec->path_len, &tail_len);
  if (tail)
    return proxy_keep_target(ex, tail, tail_len, q, qlen);
  /* the program made a path the client never sent: encode it */
  int n = proxy_escape_path(dec->path, dec->path_len, ex->target, EXCHANGE_TARGET_CAP);
  if (n < 0 || qlen > EXCHANGE_TARGET_CAP - (size_t)n)
    return -ENOSPC;
  memcpy(ex->target + n, q ? q : "", qlen);
  ex->target_len = (size_t)n + qlen;
  return 0;
}

void proxy_start(struct worker *w, struct conn *c, struct exchange *ex, const char *body,
                 size_t body_len)
{
  if (!ex->body_stream) {
    ex->body = body;
    ex->body_kept = body_len;
  }
  proxy_launch(w, c, ex, 1);
}

/* Go's isReplayable: no body, and a method that is safe to repeat or an
 * Idempotency-Key the client sent to make it so */
static int proxy_method_is(const struct http_request *req, const char *const *names, size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (req->method_len == strlen(names[i]) && memcmp(req->method, names[i], req->method_len) == 0)
      return 1;
  return 0;
}

static int proxy_replayable(const struct http_request *req)
{
  if (req->content_length > 0 || req->chunked)
    return 0;
  static const char *const safe[] = {"GET", "HEAD", "OPTIONS", "TRACE"};
  if (proxy_method_is(req, safe, sizeof safe / sizeof safe[0]))
    return 1;
  for (size_t i = 0; i < req->header_count; i++)
    if (http1_token_eq(req->headers[i].name, req->headers[i].name_len, "idempotency-key") ||
        http1_token_eq(req->headers[i].name, req->headers[i].name_len, "x-idempotency-key"))
      return 1;
  return 0;
}

/* A body on a method whose handlers do not expect one (the classic way to
 * smuggle a second request past a proxy) is often left unread: the upstream
 * then answers it as a request of its own, and that answer may arrive only
 * after the connection was picked again, where the check before reuse cannot
 * see it. Such a connection is closed after its exchange, never pooled;
 * bodies of POST, PUT, PATCH, ... are read by their handlers, and keeping
 * those connections is what keeps a busy API proxy from running out of ports. */
static int proxy_body_may_be_unread(const struct http_request *req)
{
  static const char *const bodiless[] = {"GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"};
  return (req->content_length > 0 || req->chunked) &&
         proxy_method_is(req, bodiless, sizeof bodiless / sizeof bodiless[0]);
}

/* Go's transport (shouldRetryRequest), which is all Caddy retries by default:
 * only on a reused connection that answered nothing; when nothing of the
 * request was written, any request without a body; once it was written,
 * only a replayable one (the upstream may have acted on it) */
static int proxy_may_retry(const struct upstream *up, const struct http_request *req)
{
  if (!up->reused || up->got_bytes)
    return 0;
  if (up->sent == 0)
    return req->content_length <= 0 && !req->chunked;
  return proxy_replayable(req);
}

/* nothing came back on a connection: retry once when Go's transport would */
static void proxy_fail_early(struct worker *w, struct upstream *up, const char *why)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  int retry = c && proxy_may_retry(up, &ex->req);
  proxy_up_close(w, up);
  if (!c)
    return;
  ex->up = NULL;
  if (retry)
    proxy_launch(w, c, ex, 0);
  else
    proxy_bad_gateway(w, c, ex, why);
}

/* the exchange is over: back to the pool when the upstream allows it */
static void proxy_finish(struct worker *w, struct upstream *up)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  /* pooled only when the exchange ended exactly: all of the request sent,
   * all of the response read and nothing after it */
  int exact = up->request_done && !up->send_busy && up->in_start == up->in_len;
  if (up->resp.keep_alive && exact && !(ex && proxy_body_may_be_unread(&ex->req)) &&
      up->state != UP_CLOSING) {
    up->state = UP_IDLE;
    up->client = NULL;
    up->ex = NULL;
    up->idle_since_ms = w->now_ms;
  } else {
    proxy_up_close(w, up);
  }
  if (c) {
    ex->up = NULL;
    if (ex->sink)
      ex->sink->finish(w, ex);
    else
      conn_finish_exchange(w, c, ex);
  }
}

void proxy_cut(struct worker *w, struct conn *c, struct exchange *ex, const char *why)
{
  if (why)
    log_http_error(&w->log, &ex->req, &c->info, ex->resp ? ex->resp->status : 502, why, 0);
  if (ex->sink)
    ex->sink->cut(w, ex);
  else
    loop_conn_close(w, c);
}

/* the upstream is dropped after bytes of its answer went out: the client sees it cut */
static void proxy_abandon(struct worker *w, struct upstream *up, const char *why)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  proxy_up_close(w, up);
  ex->up = NULL;
  proxy_cut(w, c, ex, why);
}

static int relay_bytes(struct worker *w, struct upstream *up, const char *data, size_t len)
{
  if (!len)
    return 0;
  if (up->ex->sink)
    return up->ex->sink->data(w, up->ex, data, len);
  struct conn *c = up->client;
  if (up->ex->enc)
    return conn_encode_feed(c, data, len, 0);
  int chunked = up->client_chunked;
  if (chunked) {
    char size[24];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    conn_append(c, size, (size_t)n);
  }
  conn_append(c, data, len);
  if (chunked)
    conn_append(c, "\r\n", 2);
  return 0;
}

/* moves buffered body bytes to the client; -1 when the body is malformed */
static int relay_body(struct worker *w, struct upstream *up)
{
  const char *data = up->in + up->in_start;
  size_t avail = up->in_len - up->in_start;
  if (up->resp.body == HTTP1_BODY_NONE) {
    /* HEAD, 1xx, 204, 304: nothing follows the head; bytes that do are not
     * a body, and they stay unread so the connection is closed, not pooled */
    up->body_done = 1;
    return up->ex->enc && !up->ex->sink ? conn_encode_feed(up->client, NULL, 0, 1) : 0;
  }
  if (up->resp.body == HTTP1_BODY_CHUNKED) {
    while (up->in_start < up->in_len && !up->chunk.done) {
      size_t n;
      int rc = http1_chunked_decode(&up->chunk, up->in + up->in_start, up->in_len - up->in_start,
                                    &data, &n);
      if (rc < 0 || relay_bytes(w, up, data, n) < 0)
        return -1;
      up->in_start += (size_t)rc;
    }
    up->body_done = up->chunk.done;
  } else if (up->resp.body == HTTP1_BODY_LENGTH) {
    size_t n = (uint64_t)up->body_left < avail ? (size_t)up->body_left : avail;
    if (relay_bytes(w, up, data, n) < 0)
      return -1;
    up->in_start += n;
    up->body_left -= (int64_t)n;
    up->body_done = up->body_left == 0;
  } else {
    if (relay_bytes(w, up, data, avail) < 0)
      return -1;
    up->in_start = up->in_len;
  }
  if (up->body_done && up->client_chunked)
    conn_append(up->client, "0\r\n\r\n", 5);
  if (up->ex->enc && !up->ex->sink)
    return up->body_done ? conn_encode_feed(up->client, NULL, 0, 1) : conn_encode_release_head(up->client);
  return 0;
}

static void proxy_relay(struct worker *w, struct upstream *up)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  if (relay_body(w, up) < 0) {
    proxy_abandon(w, up, "reverse_proxy: malformed response body from upstream: aborting with incomplete response");
    return;
  }
  up->state = UP_CLIENT_WAIT;
  if (ex->sink) {
    ex->sink->push(w, ex, up->body_done);
    return;
  }
  if (c->out_len > c->out_sent)
    loop_conn_flush(w, c);
  else
    proxy_on_client_sent(w, ex);
}

/* a complete head: skip interim answers, send ours, start the body */
static int proxy_take_head(struct worker *w, struct upstream *up, int rc)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  if (up->resp.status == 101) {
    int t = proxy_tunnel_begin(w, up);
    if (t < 0)
      return -1;
    up->in_start += (size_t)rc;
    up->body_left = -1;
    up->body_done = t == 1;   /* refused: the answer is complete */
    return 0;
  }
  if (up->resp.status < 200) {
    up->in_start += (size_t)rc;
    return 1;
  }
  int head = ex->req.method_len == 4 && memcmp(ex->req.method, "HEAD", 4) == 0;
  ex->resp_first = up->in_len - up->in_start - (size_t)rc;
  if (ex->sink) {
    if (ex->sink->head(w, ex, &up->resp) < 0)
      return -1;
  } else {
    int unknown = up->resp.body == HTTP1_BODY_CHUNKED || up->resp.body == HTTP1_BODY_CLOSE;
    if (proxy_response_from_upstream(w, ex, &up->resp) < 0)
      return -1;
    ex->resp->head_request = head;
    /* encode frames the answer itself; Caddy flushes a body of unknown length at once */
    int encoded = conn_encode_proxy(w, c, ex, proxy_response_length(&up->resp), unknown);
    if (encoded < 0)
      return -1;
    if (unknown && !encoded) {
      up->client_chunked = ex->req.version_minor >= 1;
      if (!up->client_chunked)
        ex->resp_keep_alive = 0;
    }
    int n = encoded ? 0 : proxy_build_response_head(w, ex, &up->resp, up->client_chunked, c->out + c->out_len,
                                                    CONN_OUT_CAP - c->out_len);
    if (n < 0)
      return -1;
    c->out_len += (size_t)n;
  }
  up->in_start += (size_t)rc;
  up->body_left = up->resp.content_length;
  up->chunk = (struct http1_chunked){0};
  up->body_done = up->resp.body == HTTP1_BODY_NONE || head;
  if (head)
    up->client_chunked = 0;
  return 0;
}

static void proxy_on_head_bytes(struct worker *w, struct upstream *up)
{
  for (;;) {
    int rc = http1_parse_response(up->in + up->in_start, up->in_len - up->in_start,
                                  up->ex->req.method_len == 4 &&
                                  memcmp(up->ex->req.method, "HEAD", 4) == 0, &up->resp);
    if (rc == HTTP1_ERR_MORE && up->in_len < PROXY_IN_CAP) {
      proxy_up_submit(w, up, (enum loop_op)PROXY_OP_RECV);
      return;
    }
    int taken = rc > 0 ? proxy_take_head(w, up, rc) : -1;
    if (taken < 0) {
      struct conn *c = up->client;
      struct exchange *ex = up->ex;
      proxy_up_close(w, up);
      ex->up = NULL;
      proxy_bad_gateway(w, c, ex, rc == HTTP1_ERR_MORE || rc == HTTP1_ERR_HEAD_TOO_LARGE ? "reverse_proxy: upstream response head too large"
                                  : rc < 0 ? "reverse_proxy: malformed response head from upstream"
                                  : "reverse_proxy: upstream response cannot be relayed");
      return;
    }
    if (taken == 0)
      break;
  }
  proxy_relay(w, up);
}

static void proxy_on_recv(struct worker *w, struct upstream *up, int res)
{
  if (res <= 0 && up->state == UP_HEAD && !up->got_bytes) {
    proxy_fail_early(w, up, "reverse_proxy: upstream closed the connection before answering");
    return;
  }
  if (res < 0 || (res == 0 && up->state == UP_HEAD)) {
    struct conn *c = up->client;
    struct exchange *ex = up->ex;
    int in_head = up->state == UP_HEAD;
    proxy_up_close(w, up);
    ex->up = NULL;
    if (in_head)   /* a cut head: nothing went to the client yet */
      proxy_bad_gateway(w, c, ex, "reverse_proxy: upstream response head cut off");
    else
      proxy_cut(w, c, ex, "reverse_proxy: reading from upstream failed: aborting with incomplete response");
    return;
  }
  if (res == 0) {   /* the end of a close-delimited body, or a cut one */
    up->resp.keep_alive = 0;
    if (up->resp.body != HTTP1_BODY_CLOSE) {
      proxy_abandon(w, up, "reverse_proxy: upstream closed mid-body: aborting with incomplete response");
      return;
    }
    up->body_done = 1;
    if (up->ex->sink) {
      up->state = UP_CLIENT_WAIT;
      up->ex->sink->push(w, up->ex, 1);
      return;
    }
    if (up->client_chunked)
      conn_append(up->client, "0\r\n\r\n", 5);
    if (up->ex->enc && conn_encode_feed(up->client, NULL, 0, 1) < 0) {
      proxy_abandon(w, up, "reverse_proxy: compressing the response failed: aborting with incomplete response");
      return;
    }
    up->state = UP_CLIENT_WAIT;
    loop_conn_flush(w, up->client);
    if (up->client->out_len == up->client->out_sent)
      proxy_on_client_sent(w, up->ex);
    return;
  }
  up->got_bytes = 1;
  up->in_len += (size_t)res;
  if (up->state == UP_HEAD)
    proxy_on_head_bytes(w, up);
  else
    proxy_relay(w, up);
}

/* a send of the request completed: the next piece, the response, or the end
 * of a tunnel whose client is done */
static void proxy_on_sent(struct worker *w, struct upstream *up, int res)
{
  up->send_busy = 0;
  if (res <= 0) {
    if (up->state == UP_SENDING || (up->state == UP_HEAD && !up->got_bytes))
      proxy_fail_early(w, up, "reverse_proxy: writing the request to upstream failed");
    else if (up->tunnel)
      proxy_tunnel_end(w, up, 0);
    else
      up->resp.keep_alive = 0;   /* the answer came; the rest of the body is not wanted */
    return;
  }
  if (!proxy_stream_sent(w, up, (size_t)res))
    return;
  if (up->state == UP_SENDING) {
    up->state = UP_HEAD;
    proxy_up_submit(w, up, (enum loop_op)PROXY_OP_RECV);
  }
  proxy_stream_send(w, up);
  if (up->tunnel && up->request_done)
    proxy_tunnel_end(w, up, 0);
}

static void proxy_on_cqe(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                         int res, unsigned flags)
{
  (void)flags;
  if (!w->proxy)
    return;
  struct upstream *up = &w->proxy->ups[index];
  if (up->gen != gen)
    return;
  up->pending--;
  if (up->state == UP_CLOSING) {
    if (up->pending == 0)
      up_release(up);
    return;
  }
  if (!up->client)
    return;
  if (op == (enum loop_op)PROXY_OP_CONNECT) {
    if (res < 0) {
      proxy_fail_early(w, up, "reverse_proxy: upstream unavailable");
      return;
    }
    up->state = UP_SENDING;
    proxy_stream_send(w, up);
  } else if (op == (enum loop_op)PROXY_OP_SEND) {
    proxy_on_sent(w, up, res);
  } else {
    proxy_on_recv(w, up, res);
  }
}

void proxy_on_client_sent(struct worker *w, struct exchange *ex)
{
  struct upstream *up = ex->up;
  if (!up || up->state != UP_CLIENT_WAIT)
    return;
  if (up->body_done) {
    proxy_finish(w, up);
    return;
  }
  up->in_len = up->in_start = 0;
  up->state = UP_BODY;
  proxy_up_submit(w, up, (enum loop_op)PROXY_OP_RECV);
}

void proxy_detach(struct worker *w, struct exchange *ex)
{
  if (!ex->up)
    return;
  proxy_up_close(w, ex->up);
  ex->up = NULL;
}

static void proxy_on_tick(struct worker *w)
{
  if (!w->proxy)
    return;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    struct upstream *up = &w->proxy->ups[i];
    if (up->state == UP_IDLE && (w->stopping || w->now_ms - up->idle_since_ms > PROXY_IDLE_MS))
      up_release(up);
    else
      proxy_tunnel_tick(w, up);
  }
}
