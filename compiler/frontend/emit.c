/* The front end's --emit dumps: parsed server blocks with every token's
 * line:col and quoting, and the IR as indented JSON annotated with the
 * Caddyfile position of each value. Both are golden-test formats. */
#include <string.h>

#include "frontend/caddyfile/parser.h"
#include "frontend.h"

int frontend_read_file(struct arena *a, const char *path, char **text, size_t *len, struct diag *d);

static void emit_token(struct strbuf *out, const struct token *t)
{
  static const char *const kinds[] = {['"'] = ":quoted", ['`'] = ":backtick", ['<'] = ":heredoc"};
  strbuf_printf(out, " %d:%d%s=", t->line, t->col, t->quote ? kinds[(unsigned char)t->quote] : "");
  json_write(out, &(struct json){.kind = JSON_STRING, .text = t->text, .len = strlen(t->text)}, false);
  if (t->nimports)
    strbuf_printf(out, "@[%s]", t->imports[t->nimports - 1]);
}

int frontend_emit_ast(struct arena *a, const char *path, struct strbuf *out, struct diag *d)
{
  char *text;
  size_t len;
  if (frontend_read_file(a, path, &text, &len, d) < 0)
    return -1;
  struct frontend_error err = {.arena = a};
  struct block_list blocks = {0};
  if (parser_parse_file(a, path, text, len, &blocks, &err) < 0) {
    diag_error(d, err.pos.file ? err.pos : (struct srcpos){path, 0, 0}, "%s", err.msg);
    return -1;
  }
  for (size_t b = 0; b < blocks.count; b++) {
    struct server_block *sb = &blocks.items[b];
    strbuf_printf(out, "block%s%s keys:", sb->is_named_route ? " named_route" : "", sb->has_braces ? " braces" : "");
    for (size_t k = 0; k < sb->nkeys; k++)
      emit_token(out, &sb->keys[k]);
    strbuf_putc(out, '\n');
    for (size_t s = 0; s < sb->nsegs; s++) {
      strbuf_puts(out, "  segment:");
      for (size_t t = 0; t < sb->segments[s].count; t++)
        emit_token(out, &sb->segments[s].tokens[t]);
      strbuf_putc(out, '\n');
    }
  }
  return 0;
}

static void emit_ir_value(struct strbuf *out, const struct json *v, int depth);

static void emit_ir_pos(struct strbuf *out, const struct json *v)
{
  if (v->pos.file && v->pos.line > 0 && (v->kind != JSON_ARRAY && v->kind != JSON_OBJECT))
    strbuf_printf(out, "  // %s:%d:%d", v->pos.file, v->pos.line, v->pos.col);
}

static void emit_ir_indent(struct strbuf *out, int depth)
{
  strbuf_putc(out, '\n');
  for (int i = 0; i < depth; i++)
    strbuf_putc(out, '\t');
}

static void emit_ir_container(struct strbuf *out, const struct json *v, int depth)
{
  bool obj = v->kind == JSON_OBJECT;
  strbuf_putc(out, obj ? '{' : '[');
  for (size_t i = 0; i < v->count; i++) {
    const struct json *item = obj ? v->members[i].value : v->items[i];
    emit_ir_indent(out, depth + 1);
    if (obj) {
      json_write(out, &(struct json){.kind = JSON_STRING, .text = v->members[i].key, .len = strlen(v->members[i].key)}, false);
      strbuf_puts(out, ": ");
    }
    emit_ir_value(out, item, depth + 1);
    if (i + 1 < v->count)
      strbuf_putc(out, ',');
    emit_ir_pos(out, item);
  }
  if (v->count)
    emit_ir_indent(out, depth);
  strbuf_putc(out, obj ? '}' : ']');
}

static void emit_ir_value(struct strbuf *out, const struct json *v, int depth)
{
  if (v->kind == JSON_ARRAY || v->kind == JSON_OBJECT)
    emit_ir_container(out, v, depth);
  else
    json_write(out, v, false);
}

void frontend_emit_ir(const struct json *ir, struct strbuf *out)
{
  emit_ir_value(out, ir, 0);
  strbuf_putc(out, '\n');
}
