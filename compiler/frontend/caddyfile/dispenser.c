/* Caddy's Dispenser over a token array, line for line in behaviour, so that
 * every adapt function can follow Caddy's UnmarshalCaddyfile of its module.
 * Only unquoted '{' and '}' are structural. */
#include <stdarg.h>
#include <string.h>

#include "base/strbuf.h"
#include "dispenser.h"

__attribute__((format(printf, 2, 0))) static char *fe_vprintf(struct arena *a, const char *fmt, va_list ap)
{
  char small[256];
  if (!fmt)                    /* keeps GCC's format-truncation analysis quiet under -fsanitize */
    return arena_strdup(a, "");
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap2);
  va_end(ap2);
  char *s = arena_alloc(a, (size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

int fe_fail(struct frontend_error *e, struct srcpos pos, const char *fmt, ...)
{
  if (e->msg)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  e->msg = fe_vprintf(e->arena, fmt, ap);
  va_end(ap);
  e->pos = pos;
  return -1;
}

int fe_wrap(struct frontend_error *e, const char *fmt, ...)
{
  if (!e->msg)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *prefix = fe_vprintf(e->arena, fmt, ap);
  va_end(ap);
  e->msg = arena_printf(e->arena, "%s%s", prefix, e->msg);
  return -1;
}

void disp_init(struct dispenser *d, struct arena *a, struct frontend_error *e, struct token *tokens, long count)
{
  *d = (struct dispenser){.arena = a, .err = e, .tokens = tokens, .count = count, .cursor = -1};
}

bool disp_next(struct dispenser *d)
{
  if (d->cursor < d->count - 1) {
    d->cursor++;
    return true;
  }
  return false;
}

bool disp_prev(struct dispenser *d)
{
  if (d->cursor > -1) {
    d->cursor--;
    return true;
  }
  return false;
}

static bool disp_next_on_same_line(struct dispenser *d)
{
  if (d->cursor < 0) {
    d->cursor++;
    return true;
  }
  if (d->cursor >= d->count - 1)
    return false;
  if (!token_next_on_new_line(&d->tokens[d->cursor], &d->tokens[d->cursor + 1])) {
    d->cursor++;
    return true;
  }
  return false;
}

bool disp_next_arg(struct dispenser *d)
{
  if (!disp_next_on_same_line(d))
    return false;
  if (disp_val_is(d, "{")) {
    d->cursor--;               /* a block opening is not an argument */
    return false;
  }
  return true;
}

bool disp_next_line(struct dispenser *d)
{
  if (d->cursor < 0) {
    d->cursor++;
    return true;
  }
  if (d->cursor >= d->count - 1)
    return false;
  if (token_next_on_new_line(&d->tokens[d->cursor], &d->tokens[d->cursor + 1])) {
    d->cursor++;
    return true;
  }
  return false;
}

bool disp_next_block(struct dispenser *d, int initial_nesting)
{
  if (d->nesting > initial_nesting) {
    if (!disp_next(d))
      return false;
    if (disp_val_is(d, "}") && !disp_next_on_same_line(d))
      d->nesting--;
    else if (disp_val_is(d, "{") && !disp_next_on_same_line(d))
      d->nesting++;
    return d->nesting > initial_nesting;
  }
  if (!disp_next_on_same_line(d))
    return false;
  if (!disp_val_is(d, "{")) {
    d->cursor--;
    return false;
  }
  disp_next(d);
  if (disp_val_is(d, "}"))
    return false;
  d->nesting++;
  return true;
}

struct token *disp_token(const struct dispenser *d)
{
  if (d->cursor < 0 || d->cursor >= d->count)
    return NULL;
  return &d->tokens[d->cursor];
}

const char *disp_val(const struct dispenser *d)
{
  struct token *t = disp_token(d);
  return t ? t->text : "";
}

bool disp_val_is(const struct dispenser *d, const char *text)
{
  struct token *t = disp_token(d);
  return t && token_is(t, text);
}

bool disp_is_new_line(const struct dispenser *d)
{
  if (d->cursor == 0)
    return true;
  if (d->cursor < 0 || d->cursor > d->count - 1)
    return false;
  return token_next_on_new_line(&d->tokens[d->cursor - 1], &d->tokens[d->cursor]);
}

bool disp_is_next_on_new_line(const struct dispenser *d)
{
  if (d->cursor < 0)
    return false;
  if (d->cursor == d->count - 1)
    return true;
  if (d->cursor > d->count - 1)
    return false;
  return token_next_on_new_line(&d->tokens[d->cursor], &d->tokens[d->cursor + 1]);
}

bool disp_args(struct dispenser *d, int n, const char **out)
{
  for (int i = 0; i < n; i++) {
    if (!disp_next_arg(d))
      return false;
    out[i] = disp_val(d);
  }
  return true;
}

bool disp_all_args(struct dispenser *d, int n, const char **out)
{
  if (!disp_args(d, n, out))
    return false;
  if (disp_next_arg(d)) {
    disp_prev(d);
    return false;
  }
  return true;
}

int disp_count_remaining_args(struct dispenser *d)
{
  int n = 0;
  while (disp_next_arg(d))
    n++;
  for (int i = 0; i < n; i++)
    disp_prev(d);
  return n;
}

static const char **disp_collect_args(struct dispenser *d, int *n, bool raw)
{
  int count = disp_count_remaining_args(d);
  const char **out = arena_alloc(d->arena, sizeof *out * (size_t)(count + 1));
  for (int i = 0; i < count; i++) {
    disp_next_arg(d);
    struct token *t = disp_token(d);
    out[i] = raw && t->quote == '"' ? arena_printf(d->arena, "\"%s\"", t->text) :
             raw && t->quote == '`' ? arena_printf(d->arena, "`%s`", t->text) : t->text;
  }
  *n = count;
  return out;
}

const char **disp_remaining_args(struct dispenser *d, int *n)
{
  return disp_collect_args(d, n, false);
}

const char **disp_remaining_args_raw(struct dispenser *d, int *n)
{
  return disp_collect_args(d, n, true);
}

struct dispenser disp_next_segment(struct dispenser *d)
{
  struct token_list seg = {0};
  *ARENA_PUSH(d->arena, seg.items, seg.count, seg.cap) = *disp_token(d);
  while (disp_next_arg(d))
    *ARENA_PUSH(d->arena, seg.items, seg.count, seg.cap) = *disp_token(d);
  bool opened = false;
  for (int nesting = d->nesting; disp_next_block(d, nesting);) {
    if (!opened) {
      disp_prev(d);
      *ARENA_PUSH(d->arena, seg.items, seg.count, seg.cap) = *disp_token(d);
      disp_next(d);
      opened = true;
    }
    *ARENA_PUSH(d->arena, seg.items, seg.count, seg.cap) = *disp_token(d);
  }
  if (opened)
    *ARENA_PUSH(d->arena, seg.items, seg.count, seg.cap) = *disp_token(d);
  struct dispenser nd;
  disp_init(&nd, d->arena, d->err, seg.items, (long)seg.count);
  nd.context = d->context;
  return nd;
}

void disp_delete_n(struct dispenser *d, long n)
{
  if (n <= 0 || d->cursor < n - 1 || d->cursor > d->count - 1)
    return;
  memmove(&d->tokens[d->cursor - (n - 1)], &d->tokens[d->cursor + 1], sizeof d->tokens[0] * (size_t)(d->count - d->cursor - 1));
  d->count -= n;
  d->cursor -= n;
}

void disp_reset(struct dispenser *d)
{
  d->cursor = -1;
  d->nesting = 0;
}

struct srcpos disp_pos(const struct dispenser *d)
{
  struct token *t = disp_token(d);
  if (!t && d->count > 0)
    t = &d->tokens[d->cursor < 0 ? 0 : d->count - 1];
  return t ? (struct srcpos){t->file, t->line, t->col} : (struct srcpos){0};
}

static const char *disp_where(struct dispenser *d)
{
  struct token *t = disp_token(d);
  const char *file = t ? t->file : "";
  int line = t ? t->line : 0;
  if (!t || t->nimports == 0)
    return arena_printf(d->arena, ", at %s:%d", file, line);
  struct strbuf sb;
  strbuf_init(&sb, d->arena);
  strbuf_printf(&sb, ", at %s:%d import chain ['", file, line);
  for (int i = 0; i < t->nimports; i++)
    strbuf_printf(&sb, "%s%s", i ? "','" : "", t->imports[i]);
  strbuf_puts(&sb, "']");
  return strbuf_cstr(&sb);
}

int disp_errf(struct dispenser *d, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = fe_vprintf(d->arena, fmt, ap);
  va_end(ap);
  return fe_fail(d->err, disp_pos(d), "%s%s", msg, disp_where(d));
}

int disp_arg_err(struct dispenser *d)
{
  if (disp_val_is(d, "{"))
    return disp_errf(d, "unexpected token '{', expecting argument");
  return disp_errf(d, "wrong argument count or unexpected line ending after '%s'", disp_val(d));
}

int disp_syntax_err(struct dispenser *d, const char *expected)
{
  return disp_errf(d, "syntax error: unexpected token '%s', expecting '%s'", disp_val(d), expected);
}

int disp_wrap(struct dispenser *d, const char *fmt, ...)
{
  if (!d->err->msg)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *prefix = fe_vprintf(d->arena, fmt, ap);
  va_end(ap);
  d->err->msg = arena_printf(d->arena, "%s%s%s", prefix, d->err->msg, disp_where(d));
  return -1;
}
