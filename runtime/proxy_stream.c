/* reverse_proxy's request going up: its head, then a body gathered whole
 * (HTTP/2 streams) or streamed from the client's connection as it comes
 * (HTTP/1.1: conn.c keeps the decoded bytes at ex->body_start and stops
 * reading the client while too many wait), re-chunked when the client sent
 * chunked, as Go's transport sends a body of unknown length. One send at a
 * time; a piece leaves the connection's input only once it is all out. */
#include "proxy_internal.h"

#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "loader.h"

static void seg_set(struct upstream *up, int i, const void *p, size_t n)
{
  up->seg[i] = (struct iovec){(void *)p, n};
  up->frame_len += n;
}

/* what of a streamed body is due: all that is kept (once request_buffers of
 * it are, or the body is complete), and the last chunk at its end */
static void stream_frame(struct worker *w, struct upstream *up)
{
  struct exchange *ex = up->ex;
  size_t kept = ex->body_kept;
  int complete = !ex->body_active;
  uint32_t gather = w->blob->proxies[up->proxy_id].request_buffers;
  if (!complete && !up->body_started && kept < gather)
    return;
  if (kept) {
    up->body_started = 1;
    if (up->body_chunked) {
      int n = snprintf(up->chunk_line, sizeof up->chunk_line, "%zx\r\n", kept);
      seg_set(up, UP_SEG_LINE, up->chunk_line, (size_t)n);
    }
    seg_set(up, UP_SEG_DATA, up->client->in + ex->body_start, kept);
    up->frame_data = kept;
    if (up->body_chunked)
      seg_set(up, UP_SEG_CRLF, "\r\n", 2);
  }
  if (complete && up->body_chunked)
    seg_set(up, UP_SEG_LAST, "0\r\n\r\n", 5);
  up->frame_ends = complete;
}

int proxy_stream_send(struct worker *w, struct upstream *up)
{
  if (up->send_busy || up->request_done || !up->client || up->state == UP_CONNECTING ||
      up->state == UP_CLOSING || up->state == UP_FREE || up->state == UP_IDLE)
    return 0;
  memset(up->seg, 0, sizeof up->seg);
  up->frame_len = up->frame_sent = up->frame_data = 0;
  up->frame_ends = 0;
  if (up->sent < up->head_len)
    seg_set(up, UP_SEG_HEAD, up->head + up->sent, up->head_len - up->sent);
  if (up->ex->body_stream) {
    stream_frame(w, up);
  } else {
    if (up->body && up->body_off < up->body_len)
      seg_set(up, UP_SEG_DATA, up->body + up->body_off, up->body_len - up->body_off);
    up->frame_data = up->body_len - up->body_off;
    up->frame_ends = 1;
  }
  if (up->frame_len == 0) {
    up->request_done = up->frame_ends;
    return 0;
  }
  up->send_busy = 1;
  up_submit(w, up, (enum loop_op)PROXY_OP_SEND);
  return 1;
}

int proxy_stream_sent(struct worker *w, struct upstream *up, size_t res)
{
  up->sent += res;
  up->frame_sent += res;
  for (int i = 0; i < UP_SEG_COUNT && res; i++) {
    size_t take = res < up->seg[i].iov_len ? res : up->seg[i].iov_len;
    up->seg[i].iov_base = (char *)up->seg[i].iov_base + take;
    up->seg[i].iov_len -= take;
    res -= take;
  }
  if (up->frame_sent < up->frame_len) {
    up->send_busy = 1;
    up_submit(w, up, (enum loop_op)PROXY_OP_SEND);
    return 0;
  }
  if (up->ex->body_stream && up->frame_ends && !up->ex->lb.consumed && !up->tunnel &&
      (up->state == UP_SENDING || up->state == UP_HEAD)) {
    up->ex->lb.held = up->frame_data;   /* all of it went in one piece: kept until the head comes */
  } else if (up->ex->body_stream) {
    conn_body_consume(w, up->client, up->frame_data);
    up->ex->lb.consumed |= up->frame_data > 0;
  } else
    up->body_off += up->frame_data;
  up->request_done = up->frame_ends;
  return 1;
}

void proxy_stream_release(struct worker *w, struct conn *c, struct exchange *ex)
{
  size_t held = ex->lb.held;
  ex->lb.held = 0;
  if (held && ex->body_stream) {
    conn_body_consume(w, c, held);
    ex->lb.consumed = 1;
  }
}

void proxy_on_body(struct worker *w, struct exchange *ex)
{
  struct upstream *up = ex->up;
  if (!up || !up->client)
    return;
  proxy_stream_send(w, up);
  if (up->tunnel && up->request_done && !up->send_busy)
    proxy_tunnel_end(w, up, 0);
}

void proxy_body_failed(struct worker *w, struct exchange *ex, int status)
{
  struct upstream *up = ex->up;
  struct conn *c = up ? up->client : NULL;
  if (!up || !c)
    return;
  int answered = up->state == UP_CLIENT_WAIT || up->state == UP_BODY || up->tunnel;
  up_close(w, up);
  ex->up = NULL;
  if (answered) {
    proxy_cut(w, c, ex, "reverse_proxy: malformed request body: aborting");
  } else {
    proxy_attempt_end(w, ex, 0);
    conn_respond_error(w, c, status);
  }
}

/* request_body's max_size ran out mid-body: nothing more goes up, the
 * upstream is dropped, and the client gets Caddy's 413 (or a cut answer
 * when the upstream's head is out already) */
void proxy_body_limited(struct worker *w, struct exchange *ex)
{
  struct upstream *up = ex->up;
  struct conn *c = up ? up->client : NULL;
  if (!up || !c)
    return;
  int answered = up->state == UP_CLIENT_WAIT || up->state == UP_BODY;
  up_close(w, up);
  ex->up = NULL;
  if (answered) {
    proxy_cut(w, c, ex, "reverse_proxy: http: request body too large");
  } else {
    proxy_attempt_end(w, ex, 0);
    conn_body_too_large(w, c);
  }
}
