/* A growable byte string in an arena, for emitters that print code or JSON. */
#ifndef ZSC_STRBUF_H
#define ZSC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "arena.h"

struct strbuf {
  struct arena *arena;
  char *data;                  /* always NUL-terminated when len > 0 */
  size_t len, cap;
};

void strbuf_init(struct strbuf *sb, struct arena *a);
void strbuf_put(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
const char *strbuf_cstr(struct strbuf *sb);   /* "" when empty */

#endif
