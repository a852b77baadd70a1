/* reverse_proxy I/O: the attempts of an exchange over a proxy's upstreams
 * (proxy_lb.c chooses, proxy_pool.c holds the connections), connect, send
 * the request (proxy_stream.c streams its body), read the answer and relay
 * it to the client one buffer at a time, or tunnel after a 101
 * (proxy_tunnel.c). A failure before any response byte is Caddy's
 * 502/503/504, after the retries Caddy would make. */
#include "proxy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "loader.h"
#include "proxy_health.h"
#include "proxy_internal.h"
#include "proxy_msg.h"

const struct proxy_replace *proxy_replaces(struct worker *w, unsigned proxy_id, size_t *count)
{
  *count = w->proxy && proxy_id < w->proxy->set_count ? w->proxy->replace_counts[proxy_id] : 0;
  return *count ? w->proxy->replaces[proxy_id] : NULL;
}

static void proxy_on_tick(struct worker *w);
static void proxy_on_cqe_up(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen, int res);
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
  loop_register_op(w, (enum loop_op)PROXY_OP_WAIT, proxy_on_cqe);
  struct proxy_pool *p = proxy_map(sizeof *p);
  if (!p)
    return -ENOMEM;
  w->proxy = p;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
    p->ups[i].fd = -1;
  rc = proxy_targets_create(w, p);
  if (rc < 0)
    return rc;
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
    if (p->ups[i].fd >= 0) {
      close(p->ups[i].fd);
      if (p->ups[i].conn_counted && p->targets[p->ups[i].target].host >= 0)
        atomic_fetch_sub(&p->hosts->hosts[p->targets[p->ups[i].target].host].conns, 1);
    }
  if (p->hosts)
    proxy_forget_all(p);
  if (p->bufs)
    munmap(p->bufs, (size_t)PROXY_MAX_UPSTREAM_CONNS * (PROXY_HEAD_CAP + PROXY_IN_CAP));
  if (p->targets)
    munmap(p->targets, sizeof *p->targets * p->target_cap);
  if (p->sets)
    munmap(p->sets, sizeof *p->sets * (p->set_count + 1));
  if (p->lb.key)
    munmap(p->lb.key, 2 * PROXY_LB_KEY_CAP);
  proxy_hosts_destroy(p->own_hosts);
  proxy_hdr_free(p->replaces, p->replace_counts, p->set_count);
  proxy_trust_free(&p->trust);
  munmap(p, sizeof *p);
  w->proxy = NULL;
}

/* Caddy's status for the last failure: 503 when no upstream was available,
 * 504 after a transport timeout, else 502 */
static int proxy_err_status(enum proxy_err err)
{
  return err == PROXY_ERR_NO_UPSTREAM ? 503 : err == PROXY_ERR_TIMEOUT ? 504 : 502;
}

static const char *proxy_err_text(const struct proxy_try *t)
{
  if (t->why)
    return t->why;
  return t->err == PROXY_ERR_NO_UPSTREAM ? "reverse_proxy: no upstreams available"
         : t->err == PROXY_ERR_TIMEOUT   ? "reverse_proxy: upstream timeout"
                                         : "reverse_proxy: upstream unavailable";
}

/* answers the client with Caddy's empty 502/503/504 and ends the exchange,
 * or with the server's error routes (Caddy then logs the error at debug
 * level only) */
static void proxy_bad_gateway(struct worker *w, struct conn *c, struct exchange *ex)
{
  int status = proxy_err_status(ex->lb.err);
  if (!ex->sink)
    proxy_stream_release(w, c, ex);
  if (ex->dec && (!ex->sink || ex->sink->errors) &&
      exec_error(w->blob, &w->cage, c->server, &ex->req, &c->info, ex->dec, status, NULL, 0) == 0) {
    if (ex->sink) {
      ex->sink->errors(w, ex);
      ex->sink->finish(w, ex);
    } else {
      conn_answer_error_routes(w, c, ex);
    }
    return;
  }
  log_http_error(&w->log, &ex->req, &c->info, status, proxy_err_text(&ex->lb), 0);
  if (ex->sink) {
    ex->sink->fail(w, ex, status);
    ex->sink->finish(w, ex);
    return;
  }
  int n = proxy_build_bad_gateway(w, ex, status, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  if (n > 0)
    c->out_len += (size_t)n;
  conn_finish_exchange(w, c, ex);
}

/* ---- attempts: choose, count, fail, try again (Caddy's proxy loop) ---- */

static void proxy_launch(struct worker *w, struct conn *c, struct exchange *ex, int allow_reuse);
static void proxy_arm(struct worker *w, struct upstream *up, int head_starts);

/* the leftmost X-Forwarded-For address when the server trusts the peer
 * (Caddy's client IP), else the peer's */
static void proxy_client_ip(struct worker *w, struct conn *c, struct exchange *ex, struct proxy_lb_request *r)
{
  r->client_ip = c->info.remote_ip;
  r->client_ip_len = strlen(c->info.remote_ip);
  if (!proxy_trust_peer(&w->proxy->trust, c->server, UINT32_MAX, c->info.remote_ip))
    return;
  for (size_t i = 0; i < ex->req.header_count; i++) {
    const struct http_header *h = &ex->req.headers[i];
    if (!http1_token_eq(h->name, h->name_len, "x-forwarded-for"))
      continue;
    const char *v = h->value, *comma = memchr(v, ',', h->value_len);
    size_t n = comma ? (size_t)(comma - v) : h->value_len;
    while (n && (*v == ' ' || *v == '\t'))
      v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
      n--;
    if (n) {
      r->client_ip = v;
      r->client_ip_len = n;
    }
    return;
  }
}

static void proxy_failed(struct worker *w, struct conn *c, struct exchange *ex);

/* one attempt: an available upstream by the policy, then a connection to it */
static void proxy_attempt(struct worker *w, struct conn *c, struct exchange *ex)
{
  struct proxy_pool *p = w->proxy;
  const struct proxy_set *set = &p->sets[ex->proxy_id];
  const struct zs_proxy *rec = proxy_rec(w, ex->proxy_id);
  struct proxy_lb_request r = {.req = &ex->req, .remote_ip = c->info.remote_ip, .secure = c->info.tls};
  proxy_client_ip(w, c, ex, &r);
  if (!r.secure && proxy_trust_peer(&p->trust, c->server, ex->proxy_id, c->info.remote_ip))
    for (size_t i = 0; i < ex->req.header_count; i++)   /* the last X-Forwarded-Proto, as Caddy reads it */
      if (http1_token_eq(ex->req.headers[i].name, ex->req.headers[i].name_len, "x-forwarded-proto"))
        r.secure = ex->req.headers[i].value_len == 5 && memcmp(ex->req.headers[i].value, "https", 5) == 0;
  int i = proxy_lb_select(&p->lb, w->blob, rec, ex->proxy_id, &p->targets[set->first], set->count, &r, ex->lb.cookie);
  if (i < 0) {   /* Caddy keeps an earlier attempt's error: its status and retry rule still apply */
    if (ex->lb.err == PROXY_ERR_NONE) {
      ex->lb.err = PROXY_ERR_NO_UPSTREAM;
      ex->lb.why = NULL;
    }
    proxy_failed(w, c, ex);
    return;
  }
  ex->lb.target = (int)(set->first + (unsigned)i);
  struct proxy_host *h = up_host(w, (unsigned)ex->lb.target);
  if (h)
    atomic_fetch_add(&h->requests, 1);
  ex->lb.counted = 1;
  ex->lb.attempt_ms = w->now_ms;
  proxy_launch(w, c, ex, 1);
}

/* lb_try_interval (possibly 0: the next batch) on a connection slot of its own */
static int proxy_wait(struct worker *w, struct conn *c, struct exchange *ex, unsigned ms)
{
  struct upstream *up = up_take(w, 0, 0);
  if (!up)
    return -EBUSY;
  *up = (struct upstream){.fd = -1, .index = up->index, .gen = up->gen, .head = up->head, .in = up->in,
                          .proxy_id = ex->proxy_id, .client = c, .ex = ex, .state = UP_WAIT};
  up->wait = (struct __kernel_timespec){.tv_sec = ms / 1000, .tv_nsec = (long long)(ms % 1000) * 1000000};
  ex->up = up;
  up_submit(w, up, (enum loop_op)PROXY_OP_WAIT);
  return 0;
}

/* A request goes again only with all of its body: none, one gathered whole
 * (HTTP/2), or a streamed one none of which left the client's input yet
 * (request_buffers held all of it, or nothing was sent); Caddy rewinds a
 * body only when request_buffers read it whole (bodyReadCloser) */
static int proxy_body_resendable(const struct exchange *ex)
{
  return !ex->body_stream || !ex->lb.consumed;
}

/* the attempt failed with ex->lb.err before anything reached the client */
static void proxy_failed(struct worker *w, struct conn *c, struct exchange *ex)
{
  proxy_attempt_end(w, ex, ex->lb.err != PROXY_ERR_NO_UPSTREAM);
  const struct zs_proxy *rec = proxy_rec(w, ex->proxy_id);
  if (!w->stopping && proxy_body_resendable(ex) && proxy_lb_try_again(w->blob, rec, &ex->lb, &ex->req, w->now_ms)) {
    ex->lb.retries++;
    if (proxy_wait(w, c, ex, rec->try_interval_ms) == 0)
      return;
  }
  proxy_bad_gateway(w, c, ex);
}

/* requests queued by max_conns_per_host whose target has room again go
 * (called between completions, never inside a release) */
static void proxy_wake_queued(struct worker *w)
{
  for (int i = 0; w->proxy->queued_count && i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    struct upstream *up = &w->proxy->ups[i];
    if (up->state != UP_QUEUED || !up->client)
      continue;
    struct exchange *ex = up->ex;
    const struct zs_proxy *rec = proxy_rec(w, ex->proxy_id);
    if (proxy_conns_full(w, rec, (unsigned)ex->lb.target) && !proxy_has_idle(w, (unsigned)ex->lb.target))
      continue;
    struct conn *c = up->client;
    up_release(w, up);
    ex->up = NULL;
    proxy_launch(w, c, ex, 1);
  }
}

static void proxy_queue(struct worker *w, struct conn *c, struct exchange *ex)
{
  struct upstream *up = up_take(w, 0, 0);
  if (!up) {
    ex->lb.err = PROXY_ERR_DIAL;
    ex->lb.why = NULL;
    proxy_failed(w, c, ex);
    return;
  }
  *up = (struct upstream){.fd = -1, .index = up->index, .gen = up->gen, .head = up->head, .in = up->in,
                          .proxy_id = ex->proxy_id, .client = c, .ex = ex, .state = UP_QUEUED};
  ex->up = up;
  w->proxy->queued_count++;
}

/* a rewrite to GET or HEAD that changed the request sends it without its
 * body (Caddy's prepareRequest); the client's body is then read and dropped */
static int proxy_body_dropped(const struct exchange *ex)
{
  return ex->dec && ex->dec->upstream_no_body;
}

static void proxy_launch(struct worker *w, struct conn *c, struct exchange *ex, int allow_reuse)
{
  unsigned target = (unsigned)ex->lb.target;
  const struct proxy_target *t = &w->proxy->targets[target];
  const struct zs_proxy *rec = proxy_rec(w, ex->proxy_id);
  allow_reuse = allow_reuse && !(rec->flags & ZS_PROXY_NO_KEEPALIVE);
  if (t->resolved && proxy_conns_full(w, rec, target) && !(allow_reuse && proxy_has_idle(w, target))) {
    proxy_queue(w, c, ex);
    return;
  }
  struct upstream *up = t->resolved ? up_take(w, target, allow_reuse) : NULL;
  if (!up) {
    ex->lb.err = PROXY_ERR_DIAL;
    ex->lb.why = NULL;
    proxy_failed(w, c, ex);
    return;
  }
  struct proxy_hdr_list fields = {.items = w->proxy->fields, .cap = sizeof w->proxy->fields / sizeof w->proxy->fields[0],
                                  .store = w->proxy->field_store, .store_cap = sizeof w->proxy->field_store};
  size_t replace_count;
  const struct proxy_replace *replaces = proxy_replaces(w, ex->proxy_id, &replace_count);
  int trusted = proxy_trust_peer(&w->proxy->trust, c->server, ex->proxy_id, c->info.remote_ip);
  /* a streamed body keeps the client's framing: its length, or chunked
   * (Go's transport sends a body of unknown length chunked) */
  int64_t length = !ex->body_stream ? (int64_t)ex->body_kept : ex->req.chunked ? -1 : ex->req.content_length;
  int has_body = (ex->req.content_length >= 0 || ex->req.chunked) && !proxy_body_dropped(ex);
  int n = proxy_build_request(c, ex, t->dial, has_body, length, trusted,
                              &fields, replaces, replace_count, up->head, PROXY_HEAD_CAP);
  if (n > 0 && (rec->flags & ZS_PROXY_NO_KEEPALIVE)) {   /* Go's DisableKeepAlives asks for a close */
    static const char close_field[] = "Connection: close\r\n\r\n";
    n = (size_t)n - 2 + sizeof close_field - 1 <= PROXY_HEAD_CAP ? n : -ENOSPC;
    if (n > 0) {
      memcpy(up->head + n - 2, close_field, sizeof close_field - 1);
      n += (int)sizeof close_field - 3;
    }
  }
  if (n < 0) {
    proxy_attempt_end(w, ex, 0);
    if (ex->sink) {
      ex->sink->fail(w, ex, 500);
      ex->sink->finish(w, ex);
    } else {
      proxy_stream_release(w, c, ex);
      conn_respond_error(w, c, 500);
    }
    return;
  }
  *up = (struct upstream){.fd = up->fd, .index = up->index, .gen = up->gen, .head = up->head,
                          .in = up->in, .proxy_id = ex->proxy_id, .target = target, .client = c, .ex = ex,
                          .conn_counted = up->conn_counted, .head_len = (size_t)n, .reused = up->state == UP_IDLE};
  up->body = ex->body_stream ? NULL : ex->body;
  up->body_len = ex->body_stream ? 0 : ex->body_kept;
  up->body_chunked = ex->body_stream && ex->req.chunked;
  ex->up = up;
  if (up->reused) {
    up->state = UP_SENDING;
    proxy_stream_send(w, up);
    proxy_arm(w, up, 0);
    return;
  }
  up->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (up->fd < 0) {
    up_release(w, up);
    ex->up = NULL;
    ex->lb.err = PROXY_ERR_DIAL;
    ex->lb.why = NULL;
    proxy_failed(w, c, ex);
    return;
  }
  struct proxy_host *h = up_host(w, target);
  if (h) {
    atomic_fetch_add(&h->conns, 1);
    up->conn_counted = 1;
  }
  proxy_socket_options(up->fd, t->addr.ss_family == AF_UNIX);
  up->state = UP_CONNECTING;
  up->deadline_ms = rec->dial_timeout_ms ? w->now_ms + rec->dial_timeout_ms : 0;
  up_submit(w, up, (enum loop_op)PROXY_OP_CONNECT);
}

void proxy_start(struct worker *w, struct conn *c, struct exchange *ex, const char *body,
                 size_t body_len)
{
  if (proxy_body_dropped(ex)) {
    ex->body_stream = 0;
    body = NULL;
    body_len = 0;
  }
  if (!ex->body_stream) {
    ex->body = body;
    ex->body_kept = body_len;
  }
  ex->lb.start_ms = w->now_ms;
  ex->lb.retries = 0;
  ex->lb.target = -1;
  ex->lb.counted = 0;
  ex->lb.err = PROXY_ERR_NONE;
  ex->lb.why = NULL;
  ex->lb.held = 0;
  ex->lb.consumed = 0;
  ex->lb.cookie[0] = 0;
  proxy_attempt(w, c, ex);
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

/* nothing came back on a connection: Go's own retry on a fresh connection
 * to the same upstream, else a failed attempt (Caddy may try another) */
static void proxy_fail_early(struct worker *w, struct upstream *up, enum proxy_err err, const char *why)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  int retry = c && proxy_may_retry(up, &ex->req);
  up_close(w, up);
  if (!c)
    return;
  ex->up = NULL;
  if (retry) {
    proxy_launch(w, c, ex, 0);
    return;
  }
  ex->lb.err = err;
  ex->lb.why = why;
  proxy_failed(w, c, ex);
}

/* the exchange is over: back to the pool when the upstream allows it */
static void proxy_finish(struct worker *w, struct upstream *up)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  /* pooled only when the exchange ended exactly: all of the request sent,
   * all of the response read and nothing after it; never a tunnel's */
  int exact = up->request_done && !up->send_busy && up->in_start == up->in_len && !up->tunnel;
  if (c)
    proxy_attempt_end(w, ex, 0);
  if (up->resp.keep_alive && exact && !(ex && proxy_body_may_be_unread(&ex->req)) &&
      up->state != UP_CLOSING && proxy_idle_room(w, up)) {
    up->deadline_ms = 0;
    up->state = UP_IDLE;
    up->client = NULL;
    up->ex = NULL;
    up->idle_since_ms = w->now_ms;
  } else {
    up_close(w, up);
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
  proxy_attempt_end(w, ex, 0);
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
  up_close(w, up);
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
  if (up->resp.status >= 200 || up->resp.status == 101) {
    /* the round trip succeeded: no retry will want the body again */
    if (!ex->sink)
      proxy_stream_release(w, c, ex);
    up->deadline_ms = 0;
    /* passive health: a bad status or a slow head counts against the upstream; it is still relayed */
    if (ex->lb.target >= 0 &&
        proxy_lb_unhealthy(w->blob, proxy_rec(w, up->proxy_id), up->resp.status, w->now_ms - ex->lb.attempt_ms))
      proxy_count_failure(w, up->proxy_id, w->proxy->targets[ex->lb.target].host);
  }
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

/* the answer to a HEAD has no body: the method sent up decides (a rewrite's) */
static int proxy_sent_head(const struct exchange *ex)
{
  const char *m = ex->req.method;
  size_t n = ex->req.method_len;
  if (ex->dec && ex->dec->upstream_method)
    m = ex->dec->upstream_method, n = ex->dec->upstream_method_len;
  return n == 4 && memcmp(m, "HEAD", 4) == 0;
}

static void proxy_on_head_bytes(struct worker *w, struct upstream *up)
{
  for (;;) {
    int rc = http1_parse_response(up->in + up->in_start, up->in_len - up->in_start, proxy_sent_head(up->ex),
                                  &up->resp);
    if (rc == HTTP1_ERR_MORE && up->in_len < PROXY_IN_CAP) {
      up_submit(w, up, (enum loop_op)PROXY_OP_RECV);
      return;
    }
    int taken = rc > 0 ? proxy_take_head(w, up, rc) : -1;
    if (taken < 0) {
      struct conn *c = up->client;
      struct exchange *ex = up->ex;
      up_close(w, up);
      ex->up = NULL;
      ex->lb.err = PROXY_ERR_ROUNDTRIP;
      ex->lb.why = rc == HTTP1_ERR_MORE || rc == HTTP1_ERR_HEAD_TOO_LARGE ? "reverse_proxy: upstream response head too large"
                   : rc < 0 ? "reverse_proxy: malformed response head from upstream"
                            : "reverse_proxy: upstream response cannot be relayed";
      proxy_failed(w, c, ex);
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
    proxy_fail_early(w, up, PROXY_ERR_ROUNDTRIP, "reverse_proxy: upstream closed the connection before answering");
    return;
  }
  if (res < 0 || (res == 0 && up->state == UP_HEAD)) {
    struct conn *c = up->client;
    struct exchange *ex = up->ex;
    int in_head = up->state == UP_HEAD;
    up_close(w, up);
    ex->up = NULL;
    if (in_head) {   /* a cut head: nothing went to the client yet */
      ex->lb.err = PROXY_ERR_ROUNDTRIP;
      ex->lb.why = "reverse_proxy: upstream response head cut off";
      proxy_failed(w, c, ex);
    } else {
      proxy_cut(w, c, ex, "reverse_proxy: reading from upstream failed: aborting with incomplete response");
    }
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

/* the request is written: response_header_timeout, and read_timeout, bound the wait */
static uint64_t proxy_head_deadline(struct worker *w, const struct zs_proxy *rec)
{
  unsigned ms = rec->response_header_timeout_ms;
  if (rec->read_timeout_ms && (!ms || rec->read_timeout_ms < ms))
    ms = rec->read_timeout_ms;
  return ms ? w->now_ms + ms : 0;
}

/* the timeout of what the connection waits for now: a send (write_timeout),
 * the head once all of the request is out, or more of the body (read_timeout);
 * none while a streamed body waits for the client's bytes */
static void proxy_arm(struct worker *w, struct upstream *up, int head_starts)
{
  const struct zs_proxy *rec = proxy_rec(w, up->proxy_id);
  if (up->send_busy)
    up->deadline_ms = rec->write_timeout_ms ? w->now_ms + rec->write_timeout_ms : 0;
  else if (up->state == UP_HEAD && up->request_done)
    up->deadline_ms = head_starts ? proxy_head_deadline(w, rec) : up->deadline_ms;
  else if (up->state == UP_BODY)
    up->deadline_ms = rec->read_timeout_ms ? w->now_ms + rec->read_timeout_ms : 0;
  else
    up->deadline_ms = 0;
}

/* a send of the request completed: the next piece, the response, or the end
 * of a tunnel whose client is done */
static void proxy_on_sent(struct worker *w, struct upstream *up, int res)
{
  up->send_busy = 0;
  if (res <= 0) {
    if (up->state == UP_SENDING || (up->state == UP_HEAD && !up->got_bytes))
      proxy_fail_early(w, up, PROXY_ERR_ROUNDTRIP, "reverse_proxy: writing the request to upstream failed");
    else if (up->tunnel)
      proxy_tunnel_end(w, up, 0);
    else
      up->resp.keep_alive = 0;   /* the answer came; the rest of the body is not wanted */
    return;
  }
  int was_done = up->request_done;
  if (!proxy_stream_sent(w, up, (size_t)res)) {
    proxy_arm(w, up, 0);
    return;
  }
  if (up->state == UP_SENDING) {
    up->state = UP_HEAD;
    up_submit(w, up, (enum loop_op)PROXY_OP_RECV);
  }
  proxy_stream_send(w, up);
  if (up->tunnel && up->request_done) {
    proxy_tunnel_end(w, up, 0);
    return;
  }
  proxy_arm(w, up, !was_done && up->request_done);
}

static void proxy_after_cqe(struct worker *w);

static void proxy_on_cqe(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                         int res, unsigned flags)
{
  (void)flags;
  proxy_on_cqe_up(w, op, index, gen, res);
  proxy_after_cqe(w);
}

static void proxy_on_cqe_up(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen, int res)
{
  if (!w->proxy)
    return;
  struct upstream *up = &w->proxy->ups[index];
  if (up->gen != gen)
    return;
  up->pending--;
  if (up->state == UP_CLOSING) {
    if (up->pending == 0)
      up_release(w, up);
    return;
  }
  if (!up->client)
    return;
  if (op == (enum loop_op)PROXY_OP_WAIT) {
    struct conn *c = up->client;
    struct exchange *ex = up->ex;
    up_release(w, up);
    ex->up = NULL;
    proxy_attempt(w, c, ex);
  } else if (op == (enum loop_op)PROXY_OP_CONNECT) {
    if (res < 0) {
      proxy_fail_early(w, up, PROXY_ERR_DIAL, "reverse_proxy: upstream unavailable");
      return;
    }
    up->state = UP_SENDING;
    proxy_stream_send(w, up);
    proxy_arm(w, up, 0);
  } else if (op == (enum loop_op)PROXY_OP_SEND) {
    proxy_on_sent(w, up, res);
  } else {
    proxy_on_recv(w, up, res);
  }
}

static void proxy_after_cqe(struct worker *w)
{
  if (w->proxy && w->proxy->queued_count)
    proxy_wake_queued(w);
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
  if (!up->send_busy)
    proxy_arm(w, up, 0);
  up_submit(w, up, (enum loop_op)PROXY_OP_RECV);
}

void proxy_detach(struct worker *w, struct exchange *ex)
{
  if (ex->lb.counted)
    proxy_attempt_end(w, ex, 0);
  ex->lb.held = 0;   /* the client's input goes with its connection */
  if (!ex->up)
    return;
  up_close(w, ex->up);
  ex->up = NULL;
}

/* a transport timeout: before connecting, a dial error (502); before the
 * head, 504; in the body, the answer is cut */
static void proxy_timed_out(struct worker *w, struct upstream *up)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  enum up_state state = up->state;
  up->deadline_ms = 0;
  if (state == UP_CONNECTING) {
    up->reused = 0;
    proxy_fail_early(w, up, PROXY_ERR_DIAL, "reverse_proxy: upstream dial timeout");
    return;
  }
  if (up->tunnel) {
    proxy_tunnel_end(w, up, 0);
    return;
  }
  up_close(w, up);
  ex->up = NULL;
  if (state == UP_BODY || state == UP_CLIENT_WAIT) {
    proxy_cut(w, c, ex, "reverse_proxy: upstream i/o timeout");
    return;
  }
  ex->lb.err = PROXY_ERR_TIMEOUT;
  ex->lb.why = NULL;
  proxy_failed(w, c, ex);
}

static void proxy_on_tick(struct worker *w)
{
  struct proxy_pool *p = w->proxy;
  if (!p)
    return;
  proxy_forget_due(p, w->now_ms);
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    struct upstream *up = &p->ups[i];
    unsigned idle_ms = up->state == UP_IDLE ? proxy_rec(w, up->proxy_id)->idle_timeout_ms : 0;
    if (up->state == UP_IDLE && (w->stopping || (idle_ms && w->now_ms - up->idle_since_ms > idle_ms)))
      up_release(w, up);
    else if (up->client && up->deadline_ms && w->now_ms >= up->deadline_ms &&
             (up->state == UP_CONNECTING || up->state == UP_SENDING || up->state == UP_HEAD || up->state == UP_BODY))
      proxy_timed_out(w, up);
    else
      proxy_tunnel_tick(w, up);
  }
  proxy_after_cqe(w);
}
