/* Responses on an HTTP/2 stream: the header list as Go's server sends it
 * (":status", the fields sorted and lowercased without the connection-
 * specific ones, then content-length and date) and the body's DATA frames,
 * written straight into the connection's out buffer from the stream's
 * memory, a file (pread: only as fast as the client's window and the out
 * buffer allow) or the bytes an upstream relayed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "h2_internal.h"
#include "../access_log.h"
#include "../encode.h"
#include "../files_parts.h"
#include "../response.h"

#define H2_FRAME_HEAD 9

/* RFC 9113 8.2.2: fields HTTP/2 has no place for */
static int h2_connection_specific(const char *name, size_t len)
{
  static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                      "transfer-encoding", "upgrade"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (http1_token_eq(name, len, names[i]))
      return 1;
  return 0;
}

struct h2_nv_list {
  nghttp2_nv nv[RESPONSE_MAX_HEADERS + 3];
  size_t count;
  char *store;                 /* lowercased names and cleaned values */
  size_t used, cap;
};

/* a field with its name lowercased and CR, LF and NUL in the value made
 * spaces, as the HTTP/1.x writer does; dropped when the storage is full */
static void h2_nv_add(struct h2_nv_list *l, const char *name, size_t name_len, const char *value,
                      size_t value_len)
{
  if (name_len + value_len > l->cap - l->used)
    return;
  char *n = l->store + l->used, *v = n + name_len;
  for (size_t i = 0; i < name_len; i++)
    n[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
  for (size_t i = 0; i < value_len; i++)
    v[i] = value[i] == '\r' || value[i] == '\n' || value[i] == '\0' ? ' ' : value[i];
  l->used += name_len + value_len;
  l->nv[l->count++] = (nghttp2_nv){(uint8_t *)n, (uint8_t *)v, name_len, value_len,
                                   NGHTTP2_NV_FLAG_NONE};
}

static ssize_t h2_head_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                            size_t length, uint32_t *flags, nghttp2_data_source *source,
                            void *user_data)
{
  (void)session, (void)stream_id, (void)buf, (void)user_data;
  struct h2_stream *st = source->ptr;
  uint64_t avail = 0;
  int eof = 1;
  if (st->ex.enc) {
    if (h2_encode_refill(st) < 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    struct encode_staged *sg = encode_staged(st->ex.enc);
    avail = sg->len - sg->start;
    eof = sg->ended;
  } else if (st->src == H2_SRC_MEM)
    avail = st->body_len - st->mem_off;
  else if (st->src == H2_SRC_FILE)
    avail = st->file_left;
  else if (st->src == H2_SRC_RELAY) {
    avail = st->relay_len - st->relay_start;
    eof = st->relay_eof;
  }
  if (avail == 0 && !eof) {
    st->deferred = 1;   /* resumed when the upstream pushes more */
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = avail < length ? (size_t)avail : length;
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (eof && n == avail)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

int h2_head_read_parts(struct h2_stream *st, char *out, size_t length)
{
  struct files_piece piece;
  while (length > 0) {
    files_parts_piece(st->ex.resp, st->file_off, &piece);
    size_t n;
    if (piece.mem) {
      n = piece.mem_len < length ? piece.mem_len : length;
      if (n == 0)
        return -1;
      memcpy(out, piece.mem, n);
    } else {
      n = piece.file_len < length ? (size_t)piece.file_len : length;
      if (pread(st->fd, out, n, (off_t)piece.file_off) != (ssize_t)n)
        return -1;
    }
    out += n;
    length -= n;
    st->file_off += n;
    st->file_left -= n;
  }
  return 0;
}

/* the bytes of one DATA frame, after its frame head, taken from the source
 * only now that there is room for them */
int h2_head_send_data(nghttp2_session *session, nghttp2_frame *frame, const uint8_t *framehd,
                      size_t length, nghttp2_data_source *source, void *user_data)
{
  (void)session, (void)frame;
  struct conn *c = ((struct h2_conn *)user_data)->c;
  struct h2_stream *st = source->ptr;
  if (H2_FRAME_HEAD + length > CONN_OUT_CAP - c->out_len)
    return NGHTTP2_ERR_WOULDBLOCK;
  char *p = c->out + c->out_len;
  if (st->ex.enc) {
    struct encode_staged *sg = encode_staged(st->ex.enc);
    memcpy(p + H2_FRAME_HEAD, sg->data + sg->start, length);
    sg->start += length;
  } else if (st->src == H2_SRC_FILE && st->ex.resp && st->ex.resp->part_count) {
    if (h2_head_read_parts(st, p + H2_FRAME_HEAD, length) < 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  } else if (st->src == H2_SRC_FILE && length > 0) {
    ssize_t got = pread(st->fd, p + H2_FRAME_HEAD, length, (off_t)st->file_off);
    if (got != (ssize_t)length)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   /* the file shrank: the stream is reset */
    st->file_off += length;
    st->file_left -= length;
  } else if (st->src == H2_SRC_MEM) {
    memcpy(p + H2_FRAME_HEAD, st->body + st->mem_off, length);
    st->mem_off += length;
  } else if (st->src == H2_SRC_RELAY) {
    memcpy(p + H2_FRAME_HEAD, st->relay + st->relay_start, length);
    st->relay_start += length;
    if (st->relay_start == st->relay_len) {
      st->relay_start = st->relay_len = 0;
      st->relay_drained = st->relay_wait;   /* the proxy reads more after this send */
    }
  }
  memcpy(p, framehd, H2_FRAME_HEAD);
  c->out_len += H2_FRAME_HEAD + length;
  return 0;
}

int h2_head_submit(struct h2_stream *st, const struct response *resp, int64_t content_length,
                   int bare, int with_body)
{
  /* the relay buffer is free until the body starts: the fields are kept there */
  struct h2_nv_list l = {.store = st->relay, .cap = H2_RELAY_CAP};
  char status[8];
  int n = snprintf(status, sizeof status, "%03d", resp->status % 1000);
  h2_nv_add(&l, ":status", 7, status, (size_t)n);
  size_t order[RESPONSE_MAX_HEADERS];
  response_sort(resp, order);
  for (size_t i = 0; i < resp->header_count; i++) {
    const struct response_header *h = &resp->headers[order[i]];
    if (response_name_valid(h->name, h->name_len) && !h2_connection_specific(h->name, h->name_len))
      h2_nv_add(&l, h->name, h->name_len, h->value, h->value_len);
  }
  char length[24];
  if (content_length >= 0 && !response_header_get(resp, "Content-Length")) {
    n = snprintf(length, sizeof length, "%lld", (long long)content_length);
    h2_nv_add(&l, "content-length", 14, length, (size_t)n);
  }
  if (!bare && !response_header_get(resp, "Date"))
    h2_nv_add(&l, "date", 4, response_date_now(), 29);
  nghttp2_data_provider prd = {.source.ptr = st, .read_callback = h2_head_read};
  access_log_answer(st->h->w, st->h->c, &st->ex, resp);
  st->answered = 1;
  int rc = nghttp2_submit_response(st->h->session, st->id, l.nv, l.count, with_body ? &prd : NULL);
  return rc == 0 ? 0 : -EINVAL;
}

/* the plain answer Go gives to a request it cannot serve (400, 413, 431, 500) */
void h2_head_error(struct h2_stream *st, int status)
{
  if (st->answered) {
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);   /* its head is out: only a reset says it failed */
    return;
  }
  struct response r;
  response_init_error(&r, status);
  memcpy(st->body, r.body, r.body_len);
  st->body_len = r.body_len;
  st->mem_off = 0;
  st->src = H2_SRC_MEM;
  st->body_discard = 1;
  st->waiting_body = 0;
  exchange_detach(st->h->w->exchanges, &st->ex);
  if (h2_head_submit(st, &r, (int64_t)r.body_len, 1, 1) < 0)
    h2_head_reset(st, NGHTTP2_INTERNAL_ERROR);
}

void h2_head_reset(struct h2_stream *st, uint32_t code)
{
  st->answered = 1;
  st->body_discard = 1;
  st->waiting_body = 0;
  exchange_detach(st->h->w->exchanges, &st->ex);
  nghttp2_submit_rst_stream(st->h->session, NGHTTP2_FLAG_NONE, st->id, code);
}
