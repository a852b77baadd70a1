/* multipart/byteranges: the part heads of Go's mime/multipart writer (fields
 * sorted, CRLF before every boundary but the first) and the walk over a body
 * made of heads and file ranges. */
#include "files_parts.h"

#include <stdio.h>
#include <stdlib.h>

/* the head before part i, or the closing boundary when i == part_count */
static size_t files_parts_head(const struct response *r, unsigned i, char *buf, size_t cap)
{
  int n;
  if (i == r->part_count) {
    n = snprintf(buf, cap, "\r\n--%s--\r\n", r->boundary);
  } else {
    const struct response_part *p = &r->parts[i];
    n = snprintf(buf, cap, "%s--%s\r\nContent-Range: bytes %lld-%lld/%lld\r\nContent-Type: %s\r\n\r\n",
                 i ? "\r\n" : "", r->boundary, (long long)p->start, (long long)(p->start + p->len - 1),
                 (long long)r->part_size, r->part_type ? r->part_type : "");
  }
  return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

uint64_t files_parts_length(const struct response *r)
{
  char buf[400];
  uint64_t total = 0;
  for (unsigned i = 0; i <= r->part_count; i++)
    total += files_parts_head(r, i, buf, sizeof buf) + (i < r->part_count ? (uint64_t)r->parts[i].len : 0);
  return total;
}

void files_parts_piece(const struct response *r, uint64_t pos, struct files_piece *out)
{
  out->mem = out->buf;
  out->mem_len = 0;
  for (unsigned i = 0; i <= r->part_count; i++) {
    size_t h = files_parts_head(r, i, out->buf, sizeof out->buf);
    if (pos < h) {
      out->mem = out->buf + pos;
      out->mem_len = h - pos;
      return;
    }
    pos -= h;
    if (i == r->part_count)
      return;
    if (pos < (uint64_t)r->parts[i].len) {
      out->mem = NULL;
      out->file_off = (uint64_t)r->parts[i].start + pos;
      out->file_len = (uint64_t)r->parts[i].len - pos;
      return;
    }
    pos -= (uint64_t)r->parts[i].len;
  }
}

void files_parts_boundary(char out[64])
{
  unsigned char raw[30];
  arc4random_buf(raw, sizeof raw);
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(out + 2 * i, 3, "%02x", raw[i]);
}
