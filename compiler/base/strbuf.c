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
  sb->data = arena_grow(sb->arena, sb->data, sb->cap, cap);
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

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
  char small[256];
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if ((size_t)n < sizeof small) {
    strbuf_put(sb, small, (size_t)n);
  } else {
    strbuf_reserve(sb, (size_t)n);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, again);
    sb->len += (size_t)n;
  }
  va_end(again);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(sb, fmt, ap);
  va_end(ap);
}

const char *strbuf_cstr(struct strbuf *sb)
{
  return sb->data ? sb->data : "";
}
