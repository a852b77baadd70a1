/* An HTTP/2 connection: its nghttp2 server session, the callbacks that
 * carry frames between the session and the connection's buffers, and the
 * loop ops of a connection taken over from HTTP/1.1. Frames are written
 * straight into the out buffer (never more than it holds: the session waits
 * while a slow client drains it); streams are h2_stream.c's. */
#include "h2.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h2_internal.h"

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* after a GOAWAY with an error, input is read and dropped this long before
 * the close, as Go's goAwayTimeout: closing on unread input would reset the
 * connection, and the client would lose the GOAWAY that says why */
#define H2_LINGER_MS 1000

int h2_conn_detect(const struct conn *c)
{
  if (c->info.tls)
    return strcmp(c->info.tls_alpn, "h2") == 0;
  size_t n = c->in_len - c->in_start, want = sizeof h2_preface - 1;
  if (n > want)
    n = want;
  if (memcmp(c->in + c->in_start, h2_preface, n) != 0)
    return 0;
  return n == want ? 1 : -1;
}

/* frames other than DATA: copied into the out buffer, as much as fits */
static ssize_t h2_on_send(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
                          void *user_data)
{
  (void)session, (void)flags;
  struct conn *c = ((struct h2_conn *)user_data)->c;
  size_t room = CONN_OUT_CAP - c->out_len;
  if (room == 0)
    return NGHTTP2_ERR_WOULDBLOCK;
  size_t n = len < room ? len : room;
  memcpy(c->out + c->out_len, data, n);
  c->out_len += n;
  return (ssize_t)n;
}

/* RFC 9113 5.1.1: a HEADERS that opens no stream of ours (none in flight
 * has its id) must name a new one, above every id the client used; nghttp2
 * drops the others silently, Go answers PROTOCOL_ERROR, and so do we */
static int h2_on_begin_frame(nghttp2_session *session, const nghttp2_frame_hd *hd, void *user_data)
{
  struct h2_conn *h = user_data;
  if (hd->type != NGHTTP2_HEADERS || (hd->stream_id & 1) == 0)
    return 0;
  if (hd->stream_id > h->max_stream_id) {
    h->max_stream_id = hd->stream_id;
    return 0;
  }
  if (nghttp2_session_get_stream_user_data(session, hd->stream_id) ||
      nghttp2_session_get_stream_remote_close(session, hd->stream_id) >= 0)
    return 0;   /* trailers, or a stream nghttp2 still holds (it judges those) */
  h->stream_went_down = 1;
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int h2_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
  struct h2_conn *h = user_data;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  if (!h2_stream_open(h, frame->hd.stream_id))   /* every stream of the worker is in flight */
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
  return 0;
}

static int h2_on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                        size_t name_len, const uint8_t *value, size_t value_len, uint8_t flags,
                        void *user_data)
{
  (void)flags, (void)user_data;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;   /* trailers: nothing here reads them */
  struct h2_stream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
  return st ? h2_stream_add_field(st, name, name_len, value, value_len) : 0;
}

static int h2_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
  struct h2_conn *h = user_data;
  struct h2_stream *st = frame->hd.stream_id ?
                         nghttp2_session_get_stream_user_data(session, frame->hd.stream_id) : NULL;
  int end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  switch (frame->hd.type) {
  case NGHTTP2_HEADERS:
    if (st && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
      h2_stream_headers_done(st, end);
    else if (st && end)
      h2_stream_body_done(st);   /* trailers end the body */
    break;
  case NGHTTP2_DATA:
    if (st && end)
      h2_stream_body_done(st);
    break;
  case NGHTTP2_RST_STREAM:
    if (h2_limits_count_reset(h, h->w->now_ms) < 0) {
      h->calm = 1;   /* rapid reset (CVE-2023-44487) */
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    break;
  default:
    break;
  }
  return 0;
}

static int h2_on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                            const uint8_t *data, size_t len, void *user_data)
{
  (void)flags, (void)user_data;
  struct h2_stream *st = nghttp2_session_get_stream_user_data(session, stream_id);
  if (st)
    h2_stream_data(st, data, len);
  return 0;
}

static int h2_on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                              void *user_data)
{
  (void)error_code, (void)user_data;
  struct h2_stream *st = nghttp2_session_get_stream_user_data(session, stream_id);
  if (st) {
    nghttp2_session_set_stream_user_data(session, stream_id, NULL);
    h2_proxy_settle(st);   /* an upstream whose answer was all sent goes back to its pool */
    if (st->goaway_after)
      h2_conn_goaway(st->h);
    h2_stream_free(st);
  }
  return 0;
}

static nghttp2_session_callbacks *h2_callbacks_create(void)
{
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb) != 0)
    return NULL;
  nghttp2_session_callbacks_set_send_callback(cb, h2_on_send);
  nghttp2_session_callbacks_set_send_data_callback(cb, h2_head_send_data);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cb, h2_on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, h2_on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, h2_on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2_on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_on_stream_close);
  return cb;
}

/* done: nothing more will be read or written; closed once out is sent */
static void h2_conn_check_done(struct h2_conn *h)
{
  struct conn *c = h->c;
  if (!nghttp2_session_want_read(h->session) && !nghttp2_session_want_write(h->session))
    h->done = 1;
  if ((c->peer_eof || h->goaway) && h->stream_count == 0 && !nghttp2_session_want_write(h->session))
    h->done = 1;
  if (!h->done || c->send_pending || c->out_sent < c->out_len || h->done_ms)
    return;
  if (!h->linger) {
    loop_conn_close(h->w, c);
    return;
  }
  h->done_ms = h->w->now_ms;   /* the tick closes it */
  h->w->h2->lingering++;
}

void h2_conn_flush(struct h2_conn *h)
{
  if (h->busy || h->in_recv) {
    h->again = 1;   /* the round in progress (or the one after the input) sends it */
    return;
  }
  h->busy = 1;
  do {
    h->again = 0;
    if (nghttp2_session_send(h->session) != 0) {
      h->done = 1;
      break;
    }
    h2_proxy_after_send(h);
  } while (h->again);
  h->busy = 0;
  loop_conn_flush(h->w, h->c);
  h2_conn_check_done(h);
}

void h2_conn_goaway(struct h2_conn *h)
{
  if (h->goaway)
    return;
  h->goaway = 1;
  nghttp2_submit_goaway(h->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(h->session), NGHTTP2_NO_ERROR, NULL, 0);
}

/* a fatal error from the session: GOAWAY when the client should be told
 * why; 0, or -1 when the connection is to be dropped at once */
static int h2_conn_fail(struct h2_conn *h, int error)
{
  int code = h2_limits_goaway_code(h, error);
  h->done = 1;
  if (code < 0)
    return -1;   /* not HTTP/2 after all: nothing is owed to it */
  h->linger = 1;
  nghttp2_session_terminate_session(h->session, (uint32_t)code);
  return 0;
}

static void h2_on_input(struct worker *w, struct conn *c)
{
  struct h2_conn *h = c->proto;
  if (!h->done) {
    h->in_recv = 1;
    ssize_t rv = nghttp2_session_mem_recv(h->session, (const uint8_t *)c->in + c->in_start,
                                          c->in_len - c->in_start);
    h->in_recv = 0;
    if (rv < 0 && h2_conn_fail(h, (int)rv) < 0) {
      loop_conn_close(w, c);
      return;
    }
  }
  c->in_len = c->in_start = 0;   /* the session keeps what it still needs */
  h2_conn_flush(h);
}

/* the out buffer was sent: the session writes more */
static void h2_on_sent(struct worker *w, struct conn *c)
{
  (void)w;
  h2_conn_flush(c->proto);
}

static void h2_on_file_read(struct worker *w, struct conn *c, int res)
{
  (void)res;
  loop_conn_close(w, c);   /* HTTP/2 reads files with pread: no read is ever queued */
}

/* the client sent FIN: no stream can get more of its request, and Go
 * closes the connection when its read side ends */
static void h2_on_peer_eof(struct worker *w, struct conn *c)
{
  loop_conn_close(w, c);
}

static void h2_conn_release(struct h2_conn *h)
{
  if (h->done_ms)
    h->w->h2->lingering--;
  h->done_ms = 0;
  while (h->streams)
    h2_stream_free(h->streams);
  if (h->session)
    nghttp2_session_del(h->session);
  h->session = NULL;
}

static void h2_on_close(struct worker *w, struct conn *c)
{
  (void)w;
  h2_conn_release(c->proto);
}

/* streams waiting on an upstream keep it busy (the proxy times those);
 * streams waiting on the client are timed as a request body is */
static enum loop_conn_state h2_state(const struct conn *c)
{
  const struct h2_conn *h = c->proto;
  if (h->w->stopping && !h->goaway)
    return LOOP_CONN_BUSY;   /* its GOAWAY is owed first */
  if (h->stream_count == 0)
    return nghttp2_session_want_write(h->session) ? LOOP_CONN_BUSY : LOOP_CONN_IDLE;
  for (const struct h2_stream *st = h->streams; st; st = st->next)
    if (st->ex.up)
      return LOOP_CONN_BUSY;
  return LOOP_CONN_BODY;
}

static void h2_on_open(struct worker *w, struct conn *c)
{
  (void)w, (void)c;   /* never accepted as HTTP/2: taken over by h2_conn_take */
}

static const struct loop_conn_ops h2_conn_ops = {
  .open = h2_on_open, .input = h2_on_input, .sent = h2_on_sent, .file_read = h2_on_file_read,
  .peer_eof = h2_on_peer_eof, .close = h2_on_close, .state = h2_state,
};

void h2_conn_take(struct worker *w, struct conn *c)
{
  struct h2_conn *h = &w->h2->conns[c->index];
  *h = (struct h2_conn){.w = w, .c = c};
  if (nghttp2_session_server_new2(&h->session, w->h2->callbacks, h, w->h2->option) != 0) {
    h->session = NULL;
    loop_conn_close(w, c);
    return;
  }
  c->proto = h;
  c->ops = &h2_conn_ops;
  if (h2_limits_submit_settings(h->session) < 0) {
    loop_conn_close(w, c);
    return;
  }
  h2_on_input(w, c);
}

int h2_worker_proxy_busy(const struct worker *w)
{
  for (int i = 0; w->h2 && i < LOOP_MAX_CONNS; i++) {
    const struct conn *c = &w->conns[i];
    if (!c->used || c->ops != &h2_conn_ops)
      continue;
    for (const struct h2_stream *st = ((const struct h2_conn *)c->proto)->streams; st; st = st->next)
      if (st->ex.phase == EXCHANGE_PROXY || st->waiting_body || st->ex.up)
        return 1;
  }
  return 0;
}

/* a stopping worker tells every HTTP/2 client (streams in flight finish);
 * connections that lingered after an error GOAWAY are closed */
static void h2_on_tick(struct worker *w)
{
  if (!w->h2 || (!w->stopping && w->h2->lingering == 0))
    return;
  for (int i = 0; i < LOOP_MAX_CONNS; i++) {
    struct conn *c = &w->conns[i];
    if (!c->used || c->closing || c->ops != &h2_conn_ops)
      continue;
    struct h2_conn *h = c->proto;
    if (h->done_ms && w->now_ms - h->done_ms >= H2_LINGER_MS) {
      loop_conn_close(w, c);
    } else if (w->stopping && !h->goaway) {
      h2_conn_goaway(h);
      h2_conn_flush(h);
    }
  }
}

static void h2_worker_fini(struct worker *w)
{
  struct h2_pool *pool = w->h2;
  if (!pool)
    return;
  for (int i = 0; w->conns && i < LOOP_MAX_CONNS; i++)
    if (w->conns[i].used && w->conns[i].ops == &h2_conn_ops)
      h2_conn_release(w->conns[i].proto);
  h2_stream_pool_fini(pool);
  if (pool->callbacks)
    nghttp2_session_callbacks_del(pool->callbacks);
  if (pool->option)
    nghttp2_option_del(pool->option);
  munmap(pool, sizeof *pool);
  w->h2 = NULL;
}

static const struct loop_module h2_module = {.tick = h2_on_tick, .fini = h2_worker_fini};

int h2_worker_init(struct worker *w)
{
  int rc = loop_register_module(w, &h2_module);
  if (rc < 0)
    return rc;
  void *p = mmap(NULL, sizeof(struct h2_pool), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return -ENOMEM;
  w->h2 = p;
  w->h2->callbacks = h2_callbacks_create();
  w->h2->option = h2_limits_option();
  if (!w->h2->callbacks || !w->h2->option)
    return -ENOMEM;
  return h2_stream_pool_init(w->h2);
}
