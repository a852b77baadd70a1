/* FastCGI records (the FastCGI 1.0 specification) as Caddy's fastcgi client
 * writes and reads them, and the CGI head (RFC 3875 §6) as Go's textproto
 * reads it. Caller buffers only; nothing here knows a connection. */
#include "fastcgi.h"

#include <errno.h>
#include <string.h>

#define FASTCGI_VERSION   1
#define FASTCGI_RESPONDER 1
#define FASTCGI_NO_RECORD ((size_t)-1)

size_t fastcgi_record_header(uint8_t out[FASTCGI_HEADER_LEN], enum fastcgi_type type, size_t content_len)
{
  size_t padding = -content_len & 7;   /* records end on 8 bytes, as Caddy pads them */
  out[0] = FASTCGI_VERSION;
  out[1] = (uint8_t)type;
  out[2] = FASTCGI_REQUEST_ID >> 8;
  out[3] = FASTCGI_REQUEST_ID & 0xff;
  out[4] = (uint8_t)(content_len >> 8);
  out[5] = (uint8_t)content_len;
  out[6] = (uint8_t)padding;
  out[7] = 0;
  return padding;
}

void fastcgi_begin_request(uint8_t out[FASTCGI_BEGIN_LEN])
{
  fastcgi_record_header(out, FASTCGI_BEGIN_REQUEST, FASTCGI_HEADER_LEN);
  memset(out + FASTCGI_HEADER_LEN, 0, FASTCGI_HEADER_LEN);
  out[FASTCGI_HEADER_LEN + 1] = FASTCGI_RESPONDER;
}

void fastcgi_params_init(struct fastcgi_params *p, void *buf, size_t cap)
{
  p->buf = buf;
  p->cap = cap;
  p->len = 0;
  p->record = FASTCGI_NO_RECORD;
}

static size_t params_open_content(const struct fastcgi_params *p)
{
  return p->record == FASTCGI_NO_RECORD ? 0 : p->len - p->record - FASTCGI_HEADER_LEN;
}

/* writes the open record's header now that its length is known, then its padding */
static void params_close(struct fastcgi_params *p)
{
  if (p->record == FASTCGI_NO_RECORD)
    return;
  size_t padding = fastcgi_record_header(p->buf + p->record, FASTCGI_PARAMS, params_open_content(p));
  memset(p->buf + p->len, 0, padding);
  p->len += padding;
  p->record = FASTCGI_NO_RECORD;
}

/* a length: one byte up to 127, else four with the top bit set */
static size_t params_size(uint8_t *out, size_t size)
{
  if (size <= 127) {
    out[0] = (uint8_t)size;
    return 1;
  }
  out[0] = (uint8_t)(0x80 | size >> 24);
  out[1] = (uint8_t)(size >> 16);
  out[2] = (uint8_t)(size >> 8);
  out[3] = (uint8_t)size;
  return 4;
}

int fastcgi_params_put(struct fastcgi_params *p, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
  if (name_len > FASTCGI_MAX_CONTENT - 8)
    return -EINVAL;
  if (8 + name_len + value_len > FASTCGI_MAX_CONTENT)
    value_len = FASTCGI_MAX_CONTENT - 8 - name_len;
  uint8_t sizes[8];
  size_t n = params_size(sizes, name_len);
  n += params_size(sizes + n, value_len);
  size_t pair = n + name_len + value_len;
  int fits = p->record != FASTCGI_NO_RECORD && params_open_content(p) + pair <= FASTCGI_MAX_CONTENT;
  size_t need = pair + (fits ? 0 : 7 + FASTCGI_HEADER_LEN) + 7;   /* 7: padding of the record it lands in */
  if (p->len + need > p->cap)
    return -ENOSPC;
  if (!fits) {
    params_close(p);
    p->record = p->len;
    p->len += FASTCGI_HEADER_LEN;
  }
  memcpy(p->buf + p->len, sizes, n);
  if (name_len)                /* an unset text may be NULL with length 0 */
    memcpy(p->buf + p->len + n, name, name_len);
  if (value_len)
    memcpy(p->buf + p->len + n + name_len, value, value_len);
  p->len += pair;
  return 0;
}

int fastcgi_params_end(struct fastcgi_params *p)
{
  size_t padding = -params_open_content(p) & 7;
  if (p->len + padding + FASTCGI_HEADER_LEN > p->cap || p->len + padding + FASTCGI_HEADER_LEN > 0x7fffffff)
    return -ENOSPC;
  params_close(p);
  fastcgi_record_header(p->buf + p->len, FASTCGI_PARAMS, 0);
  p->len += FASTCGI_HEADER_LEN;
  return (int)p->len;
}

/* a record header: where its content and padding start */
static int stream_header(struct fastcgi_stream *s, const uint8_t *h, struct fastcgi_piece *piece)
{
  if (h[0] != FASTCGI_VERSION)
    return -1;
  if (h[1] == FASTCGI_END_REQUEST) {
    s->ended = 1;
    piece->type = FASTCGI_END_REQUEST;
    return FASTCGI_HEADER_LEN;
  }
  s->type = h[1] == FASTCGI_STDERR ? FASTCGI_STDERR : FASTCGI_STDOUT;
  s->content_left = (uint32_t)h[4] << 8 | h[5];
  s->padding_left = h[6];
  return FASTCGI_HEADER_LEN;
}

int fastcgi_stream_next(struct fastcgi_stream *s, const char *buf, size_t len, struct fastcgi_piece *piece)
{
  *piece = (struct fastcgi_piece){FASTCGI_NONE, NULL, 0};
  if (s->ended)
    return len ? -1 : -2;
  if (len == 0)
    return -2;
  if (s->content_left) {
    size_t n = len < s->content_left ? len : s->content_left;
    *piece = (struct fastcgi_piece){s->type, buf, n};
    s->content_left -= (uint32_t)n;
    return (int)n;               /* at most 65535 */
  }
  if (s->padding_left) {
    size_t n = len < s->padding_left ? len : s->padding_left;
    s->padding_left -= (uint32_t)n;
    return (int)n;
  }
  if (len < FASTCGI_HEADER_LEN)
    return -2;
  return stream_header(s, (const uint8_t *)buf, piece);
}
