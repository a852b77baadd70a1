/* Growable arena-backed strings. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, struct arena *a)
{
  memset(sb, 0, sizeof *sb);
  sb->arena = a;
}

static void strbuf_reserve(struct strbuf *sb, size_t extra)
{
  if (sb->len + extra + 1 <= sb->cap)
    return;
  size_t cap = sb->cap ? sb->cap : 256;
  while (cap < sb->len + extra + 1)
    cap *= 2;
  sb->data = arena_grow(sb->arena, sb->data, sb->len + (sb->data != NULL), cap);
  sb->cap = cap;
}

void strbuf_put(struct strbuf *sb, const void *data, size_t len)
{
  strbuf_reserve(sb, len);
  memcpy(sb->data + sb->len, data, len);
  sb->len += len;
  sb->data[sb->len] = 0;
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
  strbuf_put(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
  strbuf_put(sb, &c, 1);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  strbuf_reserve(sb, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->len += (size_t)n;
}

const char *strbuf_cstr(struct strbuf *sb)
{
  return sb->data ? sb->data : "";
}
