/* The CGI response head at the start of a FastCGI STDOUT stream, read as
 * Caddy reads it (Go's textproto.ReadMIMEHeader, then Status and
 * Transfer-Encoding). Zero-copy: the fields point into the caller's bytes. */
#include "fastcgi.h"

#include <string.h>
#include <strings.h>

static int head_token_char(unsigned char c)
{
  return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int head_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* name ":" value, the line without its LF or CRLF; 0, -1 (malformed) or -3 (too many) */
static int head_field(const char *line, size_t len, struct fastcgi_head *out)
{
  const char *colon = memchr(line, ':', len);
  if (colon == NULL)
    return -1;
  size_t name_len = (size_t)(colon - line);
  if (name_len == 0)
    return 0;                  /* Go skips an empty name */
  for (size_t i = 0; i < name_len; i++)
    if (!head_token_char((unsigned char)line[i]))
      return -1;
  const char *v = colon + 1, *end = line + len;
  while (v < end && head_blank(*v))
    v++;
  while (end > v && head_blank(end[-1]))
    end--;
  for (const char *q = v; q < end; q++)
    if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
      return -1;
  if (out->header_count == HTTP_MAX_HEADERS)
    return -3;
  out->headers[out->header_count++] = (struct http_header){line, name_len, v, (size_t)(end - v)};
  return 0;
}

static const struct http_header *head_get(const struct fastcgi_head *h, const char *name)
{
  for (size_t i = 0; i < h->header_count; i++)
    if (h->headers[i].name_len == strlen(name) && strncasecmp(h->headers[i].name, name, h->headers[i].name_len) == 0)
      return &h->headers[i];
  return NULL;
}

/* Status: "404 Not Found": the code before the first space, as strconv.Atoi reads it */
static int head_status(struct fastcgi_head *h)
{
  const struct http_header *st = head_get(h, "Status");
  h->status = 200;
  if (st == NULL)
    return 0;
  const char *p = st->value, *end = st->value + st->value_len, *sp = memchr(p, ' ', st->value_len);
  if (sp != NULL)
    end = sp;
  if (p < end && *p == '+')
    p++;
  int code = 0;
  if (p == end)
    return -1;
  for (; p < end; p++) {
    if (*p < '0' || *p > '9' || code > 999)
      return -1;
    code = code * 10 + (*p - '0');
  }
  if (code < 100 || code > 999)
    return -1;                 /* Go's server refuses to write such a code */
  h->status = code;
  return 0;
}

/* the fields are read: the values Caddy takes from them */
static int head_done(struct fastcgi_head *out)
{
  const struct http_header *te = head_get(out, "Transfer-Encoding");
  out->chunked = te != NULL && te->value_len == 7 && memcmp(te->value, "chunked", 7) == 0;
  return head_status(out);
}

int fastcgi_parse_head(const char *buf, size_t len, int at_eof, struct fastcgi_head *out)
{
  out->header_count = 0;
  out->chunked = 0;
  size_t pos = 0;
  for (;;) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    if (nl == NULL && !at_eof)
      return -2;
    size_t line_end = nl ? (size_t)(nl - buf) : len, next = nl ? line_end + 1 : len;
    size_t line_len = line_end - pos;
    if (line_len && buf[line_end - 1] == '\r' && nl)
      line_len--;
    if (nl == NULL && line_len == 0)
      return head_done(out) < 0 ? -1 : (int)len;    /* STDOUT ended on a line boundary */
    if (line_len == 0)
      return head_done(out) < 0 ? -1 : (int)next;   /* the blank line */
    if (head_blank(buf[pos]))
      return -1;               /* a folded line (or a head starting with one) */
    int rc = head_field(buf + pos, line_len, out);
    if (rc < 0)
      return rc;
    pos = next;
    if (nl == NULL)
      return head_done(out) < 0 ? -1 : (int)len;
  }
}
