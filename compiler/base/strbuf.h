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
/* inline: the lexer and the JSON writer put single bytes in their loops */
static inline void strbuf_putc(struct strbuf *sb, char c)
{
  if (sb->len + 2 <= sb->cap) {
    sb->data[sb->len++] = c;
    sb->data[sb->len] = 0;
  } else
    strbuf_put(sb, &c, 1);
}
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
const char *strbuf_cstr(struct strbuf *sb);   /* "" when empty */

#endif
