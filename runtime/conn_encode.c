/* HTTP/1.1 answers through encode: the compressed bytes of a memory body, a
 * file or an upstream's body onto the connection's out buffer, framed as Go
 * frames what Caddy's encode writer hands it. The head waits in the
 * exchange until the first 2 KiB of compressed bytes are made or the body
 * ends (Content-Length then), as Go's buffer before chunking does. Deciding
 * is encode.c's, compressing encode_stream.c's. */
#include <errno.h>
#include <string.h>

#include "conn.h"
#include "encode.h"
#include "response.h"

/* len bytes compressed straight onto out, one chunk when chunked */
static int conn_encode_append(struct conn *c, struct encoder *e, const char *data, size_t len, int last,
                              int chunked)
{
  size_t frame = chunked ? 10 : 0, room = CONN_OUT_CAP - c->out_len;
  if (room < frame + 2 + ENCODE_BOUND(len))
    return -ENOSPC;
  char *at = c->out + c->out_len;
  long n = encode_step(e, data, len, last, at + frame, room - frame - 2);
  if (n <= 0)
    return (int)n;
  if (chunked) {   /* a fixed-width size: the chunk head is written before its length is known */
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
      at[i] = hex[((unsigned long)n >> (28 - 4 * i)) & 0xf];
    memcpy(at + 8, "\r\n", 2);
    memcpy(at + frame + n, "\r\n", 2);
  }
  c->out_len += frame + (size_t)n + (chunked ? 2 : 0);
  return 0;
}

static int conn_encode_chunk(struct conn *c, const char *data, size_t len)
{
  char size[12];
  static const char hex[] = "0123456789abcdef";
  int n = 0;
  for (int shift = 28; shift >= 0; shift -= 4)
    if ((len >> shift) & 0xf || n || shift == 0)
      size[n++] = hex[(len >> shift) & 0xf];
  memcpy(size + n, "\r\n", 2);
  if (conn_append(c, size, (size_t)n + 2) < 0 || conn_append(c, data, len) < 0)
    return -ENOSPC;
  return conn_append(c, "\r\n", 2);
}

/* the head, framed by what was made so far, then those bytes */
static int conn_encode_flush_head(struct conn *c)
{
  struct exchange *ex = c->ex;
  struct response *r = ex->resp;
  struct encode_staged *st = encode_staged(ex->enc);
  int head = r->head_request, length = st->ended && st->len <= ENCODE_GO_BUFFERED;
  int chunked = !head && !length && ex->req.version_minor >= 1;
  int keep = ex->enc_keep_alive && (length || chunked || head);
  struct response_framing f = {.version_minor = ex->req.version_minor, .keep_alive = keep,
                               .content_length = length ? (int64_t)st->len : -1, .chunked = chunked};
  int n = response_write_head(r, &f, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  if (n < 0)
    return n;
  c->out_len += (size_t)n;
  ex->enc_pending = 0;
  ex->enc_chunked = chunked;
  ex->resp_keep_alive = keep;
  if (!keep)
    c->close_after_send = 1;
  int rc = 0;
  if (!head && st->len)
    rc = chunked ? conn_encode_chunk(c, st->data, st->len) : conn_append(c, st->data, st->len);
  if (rc == 0 && chunked && st->ended)
    rc = conn_append(c, "0\r\n\r\n", 5);
  st->len = 0;
  return rc;
}

int conn_encode_feed(struct conn *c, const char *data, size_t len, int last)
{
  struct exchange *ex = c->ex;
  if (!ex->enc_pending) {
    if (ex->resp->head_request)
      return 0;   /* its head is out, and a HEAD answer has no body */
    int rc = conn_encode_append(c, ex->enc, data, len, last, ex->enc_chunked);
    if (rc == 0 && last && ex->enc_chunked)
      rc = conn_append(c, "0\r\n\r\n", 5);
    return rc;
  }
  struct encode_staged *st = encode_staged(ex->enc);
  long n = encode_step(ex->enc, data, len, last, st->data + st->len, ENCODE_STAGED_CAP - st->len);
  if (n < 0)
    return (int)n;
  st->len += (size_t)n;
  st->ended = last;
  if (last || st->len > ENCODE_GO_BUFFERED || (ex->enc_early && st->len))
    return conn_encode_flush_head(c);
  return 0;
}

int conn_encode_release_head(struct conn *c)
{
  return c->ex->enc && c->ex->enc_pending ? conn_encode_flush_head(c) : 0;
}

/* a body in memory, in steps (a HEAD answer's only until its head is out) */
static int conn_encode_memory(struct conn *c, const char *body, size_t len)
{
  size_t off = 0;
  do {
    size_t step = len - off < ENCODE_STEP ? len - off : ENCODE_STEP;
    int rc = conn_encode_feed(c, body + off, step, off + step == len);
    if (rc < 0)
      return rc;
    off += step;
  } while (off < len && (c->ex->enc_pending || !c->ex->resp->head_request));
  return 0;
}

int conn_encode_start(struct worker *w, struct conn *c, struct response *r, int keep_alive)
{
  struct exchange *ex = c->ex;
  int file = ex->dec->action == ZS_ACT_FILE && !ex->dec->trapped;
  int64_t length = file ? response_content_length(r) : -1;   /* file_server sets Content-Length */
  int begun = encode_begin(w, ex, r, length, r->file_fd >= 0 ? 0 : r->body_len);
  if (begun <= 0)
    return begun;
  ex->enc_pending = 1;
  ex->enc_early = 0;
  ex->enc_keep_alive = keep_alive;
  size_t at = c->out_len;
  int rc = 0;
  if (r->file_fd >= 0 && r->head_request)
    rc = conn_encode_feed(c, NULL, 0, 1);   /* Caddy's Close writes the empty stream */
  else if (r->file_fd < 0)
    rc = conn_encode_memory(c, r->body, r->head_request && file ? 0 : r->body_len);
  if (rc < 0) {
    c->out_len = at;   /* nothing of it went out */
    encode_end(ex);
    return -1;
  }
  return 0;
}

int conn_encode_proxy(struct worker *w, struct conn *c, struct exchange *ex, int64_t length, int early)
{
  int rc = encode_begin(w, ex, ex->resp, length, ex->resp_first);
  if (rc <= 0)
    return rc;
  (void)c;
  ex->enc_pending = 1;
  ex->enc_early = early;
  ex->enc_keep_alive = ex->resp_keep_alive;
  return 1;
}
