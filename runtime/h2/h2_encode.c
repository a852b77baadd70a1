/* encode on an HTTP/2 stream: the stream's source (its memory body, a file,
 * an upstream's relayed bytes) compressed a step at a time into the
 * encoder's staging buffer, which DATA frames then take. The content-length
 * Go's server declares for a handler that ended with at most 4 KiB written
 * is computed the same way, by compressing that much before the head. */
#include <string.h>
#include <unistd.h>

#include "h2_internal.h"
#include "../encode.h"
#include "../response.h"

#define H2_GO_BUFFERED 4096          /* Go's handlerChunkWriteSize */

/* the next step of the source, raw: its bytes, how many, and whether the body ends with them */
static int h2_encode_take(struct h2_stream *st, const char **in, size_t *n, int *last)
{
  if (st->src == H2_SRC_MEM) {
    *n = st->body_len - st->mem_off < ENCODE_STEP ? st->body_len - st->mem_off : ENCODE_STEP;
    *in = st->body + st->mem_off;
    st->mem_off += *n;
    *last = st->mem_off == st->body_len;
  } else if (st->src == H2_SRC_FILE) {
    *n = st->file_left < ENCODE_STEP ? (size_t)st->file_left : ENCODE_STEP;
    char *buf = encode_input(st->ex.enc);
    if (st->ex.resp && st->ex.resp->part_count) {   /* multipart/byteranges: heads and ranges */
      if (h2_head_read_parts(st, buf, *n) < 0)
        return -1;
    } else {
      if (*n && pread(st->fd, buf, *n, (off_t)st->file_off) != (ssize_t)*n)
        return -1;   /* the file shrank: the stream is reset */
      st->file_off += *n;
      st->file_left -= *n;
    }
    *in = buf;
    *last = st->file_left == 0;
  } else {
    *n = st->relay_len - st->relay_start < ENCODE_STEP ? st->relay_len - st->relay_start : ENCODE_STEP;
    *in = st->relay + st->relay_start;
    *last = st->relay_eof && st->relay_start + *n == st->relay_len;
  }
  return 0;
}

int h2_encode_refill(struct h2_stream *st)
{
  struct encode_staged *sg = encode_staged(st->ex.enc);
  if (sg->start < sg->len || sg->ended)
    return 0;
  sg->start = sg->len = 0;
  const char *in;
  size_t n;
  int last;
  if (h2_encode_take(st, &in, &n, &last) < 0)
    return -1;
  long out = encode_step(st->ex.enc, in, n, last, sg->data, ENCODE_STAGED_CAP);
  if (out < 0)
    return -1;
  sg->len = (size_t)out;
  sg->ended = last;
  if (st->src == H2_SRC_RELAY) {
    st->relay_start += n;
    if (st->relay_start == st->relay_len) {
      st->relay_start = st->relay_len = 0;
      st->relay_drained = st->relay_wait;   /* the proxy reads more after this send */
    }
  }
  return 0;
}

/* A decision's encoded answer before its head: the first step compressed,
 * and the content-length when that is the whole body and Go would have
 * buffered it. A HEAD answer's body is compressed (and dropped) only as far
 * as that needs; a file's HEAD is the empty stream Caddy's Close writes. */
int64_t h2_encode_prepare(struct h2_stream *st, int head, int file)
{
  struct encode_staged *sg = encode_staged(st->ex.enc);
  if (!head)
    return h2_encode_refill(st) < 0 ? -2 : sg->ended && sg->len <= H2_GO_BUFFERED ? (int64_t)sg->len : -1;
  if (file)
    st->body_len = 0;
  st->src = H2_SRC_MEM;
  size_t total = 0;
  do {
    sg->start = sg->len;   /* taken: what was made is dropped */
    if (h2_encode_refill(st) < 0)
      return -2;
    total += sg->len;
  } while (!sg->ended && total <= H2_GO_BUFFERED);
  st->src = H2_SRC_NONE;
  return sg->ended && total <= H2_GO_BUFFERED && total > 0 ? (int64_t)total : -1;
}
