/* The chunked transfer coding (RFC 9112 §7.1) as a byte-at-a-time state
 * machine, so a body may arrive split anywhere. Chunk extensions are checked
 * for stray control bytes and ignored; trailers are checked and skipped. */
#include "http1.h"

#include <string.h>

#define HTTP1_MAX_STEP (1u << 30)

enum chunk_state {
  CHUNK_SIZE = 0,       /* first hex digit of a chunk-size */
  CHUNK_SIZE_MORE,      /* further hex digits */
  CHUNK_EXT,            /* after the size: extensions up to CR */
  CHUNK_SIZE_LF,
  CHUNK_DATA,
  CHUNK_DATA_CR,
  CHUNK_DATA_LF,
  CHUNK_TRAILER_START,  /* a trailer field or the final CRLF */
  CHUNK_TRAILER,        /* the field name, up to its colon */
  CHUNK_TRAILER_VALUE,
  CHUNK_TRAILER_LF,
  CHUNK_FINAL_LF,
};

static int hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
    return (c | 0x20) - 'a' + 10;
  return -1;
}

static int is_name_char(unsigned char c)
{
  return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_line_char(unsigned char c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* the size line is complete: a data chunk, or the last-chunk */
static int chunk_size_done(struct http1_chunked *d)
{
  if (d->max_body && d->total + d->chunk_left > d->max_body)
    return HTTP1_ERR_BODY_TOO_LARGE;
  d->state = d->chunk_left ? CHUNK_DATA : CHUNK_TRAILER_START;
  return 0;
}

/* chunk-size = 1*HEXDIG, then BWS ";" extensions or CRLF */
static int step_size(struct http1_chunked *d, char c)
{
  int v = hex_value(c);
  if (v >= 0) {
    if (d->chunk_left >> 56)
      return HTTP1_ERR_BAD;   /* no body is 2^60 bytes long */
    d->chunk_left = d->chunk_left * 16 + (unsigned)v;
    d->state = CHUNK_SIZE_MORE;
    return 0;
  }
  if (d->state == CHUNK_SIZE)
    return HTTP1_ERR_BAD;
  if (c == '\r')
    d->state = CHUNK_SIZE_LF;
  else if (c == ';' || c == ' ' || c == '\t')
    d->state = CHUNK_EXT;
  else
    return HTTP1_ERR_BAD;
  return 0;
}

static int expect_lf(char c)
{
  return c == '\n' ? 0 : HTTP1_ERR_BAD;
}

/* trailer-section = *( field-line CRLF ) CRLF, field-line = field-name ":"
 * field-value: checked as strictly as a head's fields, then not used */
static int trailer_step(struct http1_chunked *d, char c)
{
  if (++d->trailer_len > HTTP1_MAX_HEAD)
    return HTTP1_ERR_HEAD_TOO_LARGE;
  switch (d->state) {
  case CHUNK_TRAILER_START:
    d->state = c == '\r' ? CHUNK_FINAL_LF : CHUNK_TRAILER;
    /* no obs-fold, no empty name */
    return c == '\r' || is_name_char((unsigned char)c) ? 0 : HTTP1_ERR_BAD;
  case CHUNK_TRAILER:
    if (c == ':')
      d->state = CHUNK_TRAILER_VALUE;
    else if (!is_name_char((unsigned char)c))
      return HTTP1_ERR_BAD;   /* a line without a colon, or space before it */
    return 0;
  case CHUNK_TRAILER_VALUE:
    if (c == '\r')
      d->state = CHUNK_TRAILER_LF;
    else if (!is_line_char((unsigned char)c))
      return HTTP1_ERR_BAD;
    return 0;
  case CHUNK_TRAILER_LF:
    d->state = CHUNK_TRAILER_START;
    return expect_lf(c);
  case CHUNK_FINAL_LF:
    if (expect_lf(c))
      return HTTP1_ERR_BAD;   /* not done: a caller that checks done first must not see a body end */
    d->done = 1;
    return 0;
  }
  return HTTP1_ERR_BAD;
}

/* every state but CHUNK_DATA, one byte at a time */
static int chunked_step(struct http1_chunked *d, char c)
{
  switch (d->state) {
  case CHUNK_SIZE:
  case CHUNK_SIZE_MORE:
    if (++d->line_len > HTTP1_MAX_CHUNK_LINE)
      return HTTP1_ERR_BAD;
    return step_size(d, c);
  case CHUNK_EXT:
    if (++d->line_len > HTTP1_MAX_CHUNK_LINE)
      return HTTP1_ERR_BAD;
    if (c == '\r')
      d->state = CHUNK_SIZE_LF;
    else if (!is_line_char((unsigned char)c))
      return HTTP1_ERR_BAD;
    return 0;
  case CHUNK_SIZE_LF:
    d->line_len = 0;
    return expect_lf(c) ? HTTP1_ERR_BAD : chunk_size_done(d);
  case CHUNK_DATA_CR:
    d->state = CHUNK_DATA_LF;
    return c == '\r' ? 0 : HTTP1_ERR_BAD;
  case CHUNK_DATA_LF:
    d->state = CHUNK_SIZE;
    d->chunk_left = 0;
    return expect_lf(c);
  default:
    return trailer_step(d, c);
  }
}

int http1_chunked_decode(struct http1_chunked *d, const char *buf, size_t len,
                         const char **data, size_t *data_len)
{
  size_t i = 0;
  if (len > HTTP1_MAX_STEP)
    len = HTTP1_MAX_STEP;   /* keeps the count inside an int */
  *data = buf;
  *data_len = 0;
  while (i < len && !d->done) {
    if (d->state == CHUNK_DATA) {
      size_t n = len - i < d->chunk_left ? len - i : (size_t)d->chunk_left;
      *data = buf + i;
      *data_len = n;
      d->chunk_left -= n;
      d->total += n;
      if (!d->chunk_left)
        d->state = CHUNK_DATA_CR;
      return (int)(i + n);
    }
    int rc = chunked_step(d, buf[i]);
    if (rc)
      return rc;
    i++;
  }
  return (int)i;
}
