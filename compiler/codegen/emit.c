/* Output primitives for the generated C: statements preceded by #line when
 * the Caddyfile line they map to is not the one the C compiler expects next,
 * and C string literals. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"

static void emit_indent(struct cg *cg)
{
  for (int i = 0; i < cg->indent; i++)
    strbuf_putc(cg->out, '\t');
}

static void emit_line_directive(struct cg *cg, struct srcpos pos)
{
  if (pos.line <= 0 || !pos.file)
    return;
  /* one directive per attributed line, always: emit_line_sources relies on it */
  strbuf_printf(cg->out, "#line %d ", pos.line);
  emit_cstr(cg->out, pos.file, strlen(pos.file));
  strbuf_putc(cg->out, '\n');
  cg->line = pos.line;
  cg->file = pos.file;
}

/* Lines that come from no Caddyfile token (braces, glue, whole generated
 * functions) are put back on the generated file's own numbering, so neither
 * clang's line info nor the listings credit them to the Caddyfile line
 * before them. An attributed line is exactly one that follows a #line. */
const char *emit_line_sources(struct arena *a, const char *src, const char *own_name)
{
  struct strbuf out;
  strbuf_init(&out, a);
  bool in_caddyfile = false, after_directive = false;
  size_t written = 0;      /* lines of out so far */
  for (const char *p = src; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
    bool directive = strncmp(p, "#line ", 6) == 0;
    if (!directive && !after_directive && in_caddyfile) {
      strbuf_printf(&out, "#line %zu ", written + 2);
      emit_cstr(&out, own_name, strlen(own_name));
      strbuf_putc(&out, '\n');
      written++;
      in_caddyfile = false;
    }
    if (directive)
      in_caddyfile = true;
    after_directive = directive;
    strbuf_put(&out, p, len);
    written++;
    p += len;
  }
  return strbuf_cstr(&out);
}

#define EMIT_WIDTH 110   /* joined statements wrap past this many columns */

/* ends the open statement line, if any */
void emit_flush(struct cg *cg)
{
  if (!cg->open)
    return;
  strbuf_putc(cg->out, '\n');
  if (cg->line > 0)
    cg->line++;
  cg->open = false;
}

static char *emit_format(const char *fmt, va_list ap)
{
  char *text = NULL;
  return vasprintf(&text, fmt, ap) >= 0 ? text : NULL;
}

/* Statements from one Caddyfile line share one C line where they fit, so
 * one #line covers them and the code reads like the directive it is from. */
void emit_stmt(struct cg *cg, struct srcpos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *text = emit_format(fmt, ap);
  va_end(ap);
  if (!text)
    return;
  size_t len = strlen(text);
  bool join = cg->open && pos.line > 0 && pos.line == cg->open_line && cg->indent == cg->open_indent &&
              cg->open_width + 1 + len <= EMIT_WIDTH && cg->file && pos.file && strcmp(cg->file, pos.file) == 0;
  if (join) {
    strbuf_putc(cg->out, ' ');
    cg->open_width += 1 + len;
  } else {
    emit_flush(cg);
    emit_line_directive(cg, pos);
    emit_indent(cg);
    cg->open_width = (size_t)cg->indent * 8 + len;
  }
  bool opens_block = len > 0 && text[len - 1] == '{';
  strbuf_puts(cg->out, text);
  free(text);
  cg->open = !opens_block;
  cg->open_line = pos.line;
  cg->open_indent = cg->indent;
  if (opens_block) {
    strbuf_putc(cg->out, '\n');
    if (cg->line > 0)
      cg->line++;
  }
}

/* a line that carries no code of its own (a brace, a comment) */
void emit_plain(struct cg *cg, const char *fmt, ...)
{
  emit_flush(cg);
  emit_indent(cg);
  va_list ap;
  va_start(ap, fmt);
  char *text = emit_format(fmt, ap);
  va_end(ap);
  strbuf_puts(cg->out, text ? text : "");
  free(text);
  strbuf_putc(cg->out, '\n');
  if (cg->line > 0)
    cg->line++;
}

/* Octal escapes are always three digits, so a following digit can never
 * join them; '?' is escaped so no trigraph can form. */
void emit_cstr(struct strbuf *sb, const char *s, size_t len)
{
  strbuf_putc(sb, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      strbuf_printf(sb, "\\%c", c);
    else if (c == '\n')
      strbuf_puts(sb, "\\n");
    else if (c == '\t')
      strbuf_puts(sb, "\\t");
    else if (c < 0x20 || c >= 0x7f || c == '?')
      strbuf_printf(sb, "\\%03o", c);
    else
      strbuf_putc(sb, (char)c);
  }
  strbuf_putc(sb, '"');
}

const char *cg_cstr(struct cg *cg, const char *s, size_t len)
{
  struct strbuf sb;
  strbuf_init(&sb, cg->a);
  emit_cstr(&sb, s, len);
  return strbuf_cstr(&sb);
}
