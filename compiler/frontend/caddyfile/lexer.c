/* The Caddyfile lexer: bytes to tokens with file, line, column and quote kind,
 * following Caddy's lexer.go to the letter (quirks included: a backslash is
 * kept except before '"' in quotes, heredoc ends at a suffix match, ...). */
#include <ctype.h>
#include <string.h>

#include "base/strbuf.h"
#include "lexer.h"

struct lexer {
  struct arena *arena;
  const char *text, *file;
  size_t len, pos;
  int line, skipped, col;      /* col of the byte at pos */
  struct lexer_error *err;
  struct token token;          /* the token being built */
  struct strbuf val;
};

static int lexer_getc(struct lexer *lx)
{
  if (lx->pos >= lx->len)
    return -1;
  int ch = (unsigned char)lx->text[lx->pos++];
  lx->col++;
  return ch;
}

static int lexer_fail(struct lexer *lx, const char *msg)
{
  lx->err->msg = msg;
  lx->err->pos = (struct srcpos){lx->file, lx->token.line, lx->token.col};
  return -1;
}

static bool lexer_marker_valid(const char *m)
{
  if (!*m)
    return false;
  for (; *m; m++)
    if (!isalnum((unsigned char)*m) && *m != '_' && *m != '-')
      return false;
  return true;
}

/* Strips the closing marker's indentation from every body line (finalizeHeredoc). */
static int lexer_finish_heredoc(struct lexer *lx, const char *marker)
{
  const char *s = lx->val.data;
  size_t n = lx->val.len, mlen = strlen(marker);
  const char *last_nl = memrchr(s, '\n', n);
  size_t body_end = last_nl ? (size_t)(last_nl - s) + 1 : 0;
  const char *pad = arena_strndup(lx->arena, s + body_end, n - mlen - body_end);
  size_t pad_len = strlen(pad);
  struct strbuf out;
  strbuf_init(&out, lx->arena);
  int line_num = 0;
  for (size_t i = 0; i < body_end; line_num++) {
    const char *nl = memchr(s + i, '\n', body_end - i);
    size_t line_len = (size_t)(nl - (s + i));
    const char *line = s + i;
    i += line_len + 1;
    if (line_len == 0 || (line_len == 1 && line[0] == '\r')) {
      strbuf_putc(&out, '\n');
      continue;
    }
    if (line_len < pad_len || memcmp(line, pad, pad_len) != 0) {
      size_t clean = line_len;
      while (clean && line[clean - 1] == '\r')
        clean--;
      char *msg = arena_printf(lx->arena, "mismatched leading whitespace in heredoc <<%s on line #%d [%.*s], "
                               "expected whitespace [%s] to match the closing marker",
                               marker, lx->line + line_num + 1, (int)clean, line, pad);
      return lexer_fail(lx, msg);
    }
    for (size_t k = pad_len; k < line_len; k++)
      if (line[k] != '\r')
        strbuf_putc(&out, line[k]);
    strbuf_putc(&out, '\n');
  }
  if (out.len && out.data[out.len - 1] == '\n')
    out.len--;
  lx->token.text = arena_strndup(lx->arena, out.data ? out.data : "", out.len);
  return 0;
}

static int lexer_make_token(struct lexer *lx, char quote)
{
  if (quote != LEXER_HEREDOC)
    lx->token.text = arena_strndup(lx->arena, lx->val.data ? lx->val.data : "", lx->val.len);
  lx->token.quote = quote;
  lx->token.file = lx->file;
  return 1;
}

/* Reads the heredoc body after "<<MARKER\n"; returns 1 with the token or -1. */
static int lexer_read_heredoc(struct lexer *lx, const char *marker)
{
  size_t mlen = strlen(marker);
  lx->val.len = 0;
  lx->skipped++;
  for (;;) {
    int ch = lexer_getc(lx);
    if (ch < 0)
      return lexer_fail(lx, arena_printf(lx->arena, "incomplete heredoc <<%s on line #%d, expected ending marker %s",
                                         marker, lx->line + lx->skipped, marker));
    strbuf_putc(&lx->val, (char)ch);
    if (ch == '\n')
      lx->skipped++, lx->col = 0;
    if (lx->val.len >= mlen && memcmp(lx->val.data + lx->val.len - mlen, marker, mlen) == 0) {
      if (lexer_finish_heredoc(lx, marker) < 0)
        return -1;
      lx->line += lx->skipped;
      lx->skipped = 0;
      return lexer_make_token(lx, LEXER_HEREDOC);
    }
  }
}

/* After "<<" at token start: a space ends a plain token, a newline starts a heredoc. */
static int lexer_heredoc_start(struct lexer *lx, int ch)
{
  if (ch == ' ')
    return lexer_make_token(lx, 0);
  if (ch == '\r')
    return 0;
  if (ch != '\n') {
    strbuf_putc(&lx->val, (char)ch);
    return 0;
  }
  lx->col = 0;
  if (lx->val.len == 2)
    return lexer_fail(lx, arena_printf(lx->arena, "missing opening heredoc marker on line #%d; must contain only "
                                       "alphanumeric characters, dashes and underscores; got empty string", lx->line));
  if (lx->val.data[2] == '<')
    return lexer_fail(lx, arena_printf(lx->arena, "too many '<' for heredoc on line #%d; only use two, for example <<END", lx->line));
  const char *marker = arena_strndup(lx->arena, lx->val.data + 2, lx->val.len - 2);
  if (!lexer_marker_valid(marker))
    return lexer_fail(lx, arena_printf(lx->arena, "heredoc marker on line #%d must contain only alphanumeric characters, "
                                       "dashes and underscores; got '%s'", lx->line, marker));
  return lexer_read_heredoc(lx, marker);
}

struct lexer_state {
  bool comment, quoted, bt_quoted, heredoc_escaped, escaped;
};

/* One character inside "..." or `...`; returns 1 when the token closes. */
static int lexer_quoted_char(struct lexer *lx, struct lexer_state *st, int ch)
{
  if (st->quoted && st->escaped) {
    if (ch != '"')
      strbuf_putc(&lx->val, '\\');
    st->escaped = false;
  } else if ((st->quoted && ch == '"') || (st->bt_quoted && ch == '`'))
    return lexer_make_token(lx, (char)ch);
  if (ch == '\n') {
    lx->line += 1 + lx->skipped;
    lx->skipped = 0;
    lx->col = 0;
  }
  strbuf_putc(&lx->val, (char)ch);
  return 0;
}

/* A space character outside quotes; returns 1 when it ends a token. */
static int lexer_space_char(struct lexer *lx, struct lexer_state *st, int ch)
{
  if (ch == '\r')
    return 0;
  if (ch == '\n') {
    if (st->escaped) {
      lx->skipped++;
      st->escaped = false;
    } else {
      lx->line += 1 + lx->skipped;
      lx->skipped = 0;
    }
    lx->col = 0;
    st->comment = false;
  }
  return lx->val.len > 0 ? lexer_make_token(lx, 0) : 0;
}

static int lexer_plain_char(struct lexer *lx, struct lexer_state *st, int ch)
{
  if (ch == '#' && lx->val.len == 0)
    st->comment = true;
  if (st->comment)
    return 0;
  if (lx->val.len == 0) {
    lx->token = (struct token){.line = lx->line, .col = lx->col};
    if (ch == '"' || ch == '`') {
      st->quoted = ch == '"';
      st->bt_quoted = ch == '`';
      return 0;
    }
  }
  if (st->escaped) {
    if (ch == '<')
      st->heredoc_escaped = true;
    else
      strbuf_putc(&lx->val, '\\');
    st->escaped = false;
  }
  strbuf_putc(&lx->val, (char)ch);
  return 0;
}

/* Reads the next token into lx->token: 1 found, 0 end of input, -1 error. */
static int lexer_next(struct lexer *lx)
{
  struct lexer_state st = {0};
  lx->val.len = 0;
  for (;;) {
    int ch = lexer_getc(lx), r;
    if (ch < 0)
      return lx->val.len > 0 ? lexer_make_token(lx, 0) : 0;
    if (!st.quoted && !st.bt_quoted && !st.heredoc_escaped && lx->val.len > 1 &&
        memcmp(lx->val.data, "<<", 2) == 0) {
      if ((r = lexer_heredoc_start(lx, ch)) != 0)
        return r;
      continue;
    }
    if (!st.escaped && !st.bt_quoted && ch == '\\') {
      st.escaped = true;
      continue;
    }
    if (st.quoted || st.bt_quoted)
      r = lexer_quoted_char(lx, &st, ch);
    else if (isspace(ch))
      r = lexer_space_char(lx, &st, ch);
    else
      r = lexer_plain_char(lx, &st, ch);
    if (r)
      return r;
  }
}

int lexer_tokenize(struct arena *a, const char *text, size_t len, const char *file,
                   struct token_list *out, struct lexer_error *err)
{
  struct lexer lx = {.arena = a, .text = text, .len = len, .file = file, .line = 1, .err = err};
  strbuf_init(&lx.val, a);
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    lx.pos = 3;
  for (;;) {
    int r = lexer_next(&lx);
    if (r < 0)
      return -1;
    if (r == 0)
      return 0;
    *ARENA_PUSH(a, out->items, out->count, out->cap) = lx.token;
  }
}

static int token_line_breaks(const struct token *t)
{
  int n = 0;
  for (const char *p = t->text; *p; p++)
    n += *p == '\n';
  return n + (t->quote == LEXER_HEREDOC ? 2 : 0);
}

bool token_next_on_new_line(const struct token *t1, const struct token *t2)
{
  if (strcmp(t1->file, t2->file) != 0 || t1->nimports != t2->nimports)
    return true;
  for (int i = 0; i < t1->nimports; i++)
    if (strcmp(t1->imports[i], t2->imports[i]) != 0)
      return true;
  return t1->line + token_line_breaks(t1) < t2->line;
}

bool token_is(const struct token *t, const char *text)
{
  return t->quote == 0 && strcmp(t->text, text) == 0;
}
