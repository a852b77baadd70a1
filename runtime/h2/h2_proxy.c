/* The exchange sink of HTTP/2 streams: how proxy.c's upstream answer goes
 * out on a stream instead of the connection's out buffer. The head is
 * submitted at once, the body bytes wait in the stream's relay buffer until
 * DATA frames took them (the client's window decides), and only then does
 * the proxy read more from the upstream. */
#include <errno.h>
#include <string.h>

#include "h2_internal.h"
#include "../encode.h"
#include "../proxy_msg.h"
#include "../response.h"

static int h2_proxy_head(struct worker *w, struct exchange *ex, const struct http1_response *ur)
{
  struct h2_stream *st = h2_stream_of(ex);
  if (proxy_response_from_upstream(w, ex, ur) < 0)
    return -1;
  int head = ex->req.method_len == 4 && memcmp(ex->req.method, "HEAD", 4) == 0;
  int with_body = ur->body != HTTP1_BODY_NONE && !head;
  int64_t length = proxy_response_length(ur);
  int encoded = encode_begin(w, ex, ex->resp, length, ex->resp_first);
  if (encoded < 0)
    return -1;
  if (with_body) {
    st->src = H2_SRC_RELAY;
    st->relay_start = st->relay_len = 0;
  }
  /* the head goes out now, before any body: an encoded one declares no length */
  return h2_head_submit(st, ex->resp, encoded ? -1 : length, 0, with_body) < 0 ? -1 : 0;
}

static int h2_proxy_data(struct worker *w, struct exchange *ex, const char *data, size_t len)
{
  (void)w;
  struct h2_stream *st = h2_stream_of(ex);
  if (st->relay_start > 0) {
    memmove(st->relay, st->relay + st->relay_start, st->relay_len - st->relay_start);
    st->relay_len -= st->relay_start;
    st->relay_start = 0;
  }
  if (st->src != H2_SRC_RELAY || len > H2_RELAY_CAP - st->relay_len)
    return -ENOSPC;
  memcpy(st->relay + st->relay_len, data, len);
  st->relay_len += len;
  return 0;
}

static void h2_proxy_resume(struct h2_stream *st)
{
  if (st->deferred) {
    st->deferred = 0;
    nghttp2_session_resume_data(st->h->session, st->id);
  }
}

static void h2_proxy_push(struct worker *w, struct exchange *ex, int done)
{
  (void)w;
  struct h2_stream *st = h2_stream_of(ex);
  st->relay_eof |= done;
  st->relay_wait = 1;
  /* nothing to send (no body, or none this time): the proxy goes on after this round */
  if (st->src != H2_SRC_RELAY || st->relay_len == st->relay_start)
    st->relay_drained = 1;
  h2_proxy_resume(st);
  h2_conn_flush(st->h);
}

static void h2_proxy_fail(struct worker *w, struct exchange *ex, int status)
{
  (void)w;
  struct h2_stream *st = h2_stream_of(ex);
  if (st->answered || !ex->resp) {
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  /* Caddy's answer: the status, no body */
  response_init(ex->resp, status);
  int head = ex->req.method_len == 4 && memcmp(ex->req.method, "HEAD", 4) == 0;
  if (h2_head_submit(st, ex->resp, head ? -1 : 0, 0, 0) < 0)
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
}

static void h2_proxy_errors(struct worker *w, struct exchange *ex)
{
  (void)w;
  struct h2_stream *st = h2_stream_of(ex);
  if (st->answered || !ex->resp) {
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  h2_stream_answer(st);
}

static void h2_proxy_cut(struct worker *w, struct exchange *ex)
{
  (void)w;
  struct h2_stream *st = h2_stream_of(ex);
  h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);   /* Go's reverse proxy aborts the stream */
  h2_conn_flush(st->h);
}

static void h2_proxy_finish(struct worker *w, struct exchange *ex)
{
  struct h2_stream *st = h2_stream_of(ex);
  ex->up = NULL;
  ex->phase = EXCHANGE_IDLE;
  exchange_detach(w->exchanges, ex);
  st->relay_eof = 1;
  st->relay_wait = 0;
  h2_proxy_resume(st);
  h2_conn_flush(st->h);
}

const struct exchange_sink h2_proxy_sink = {
  .head = h2_proxy_head, .data = h2_proxy_data, .push = h2_proxy_push, .fail = h2_proxy_fail, .errors = h2_proxy_errors,
  .cut = h2_proxy_cut, .finish = h2_proxy_finish,
};

/* streams whose relayed bytes were all taken: their upstreams read on */
void h2_proxy_after_send(struct h2_conn *h)
{
  for (struct h2_stream *st = h->streams; st; st = st->next)
    if (st->relay_drained && st->relay_wait && st->ex.up) {
      st->relay_drained = st->relay_wait = 0;
      proxy_on_client_sent(h->w, &st->ex);
    }
}

void h2_proxy_settle(struct h2_stream *st)
{
  if (st->ex.up && st->relay_eof && st->relay_len == st->relay_start)
    proxy_on_client_sent(st->h->w, &st->ex);
}
