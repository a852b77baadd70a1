/* The formatter: one pass over the runes of the input, taking over every brace,
 * indent and blank line and writing everything else as it stands. Its rules are
 * those of Caddy's caddyfile.Format (v2.11), quirks included, since `zsc fmt`
 * must print what `caddy fmt` prints. It does not check the syntax. */
#include "fmt.h"

#include <stdbool.h>
#include <stdint.h>

#include "rune.h"

/* Caddy stops indenting deeper than this (its issue #4169: a file of open
 * braces would otherwise indent without end). */
#define FMT_MAX_NESTING 10

/* Which quotes are open. A backtick inside a double-quoted string opens a
 * backticked part of it, in which a '"' ends the whole string. */
enum fmt_quote { FMT_QUOTE_NONE, FMT_QUOTE_DOUBLE, FMT_QUOTE_BACKTICK, FMT_QUOTE_DOUBLE_BACKTICK };

/* A heredoc: "<<" seen at the start of a word, its marker being read, or its
 * body being copied until the marker comes back followed by white space. */
enum fmt_heredoc { FMT_HEREDOC_NONE, FMT_HEREDOC_MARKER, FMT_HEREDOC_BODY };

struct fmt {
  struct arena *arena;
  struct strbuf *out;
  uint32_t last;               /* the last rune written */
  bool space;                  /* the rune before was white space (or the input starts) */
  bool line_start;             /* nothing written on the output line yet */
  int newlines;                /* line breaks read and not written yet */
  int nesting;

  /* a '{' read and not written yet: it opens a block if white space follows
   * it, and is part of a word (a placeholder) otherwise */
  bool brace;
  bool brace_written;
  bool brace_space;            /* white space before it on its own line */
  bool brace_own_line;         /* a line break before it */

  bool comment, escaped;
  enum fmt_quote quote;

  enum fmt_heredoc heredoc;
  bool heredoc_escaped;        /* "\<" in this word: "<<" does not open a heredoc */
  uint32_t *marker;
  size_t marker_len, marker_cap;
  uint32_t *window;            /* the last marker_len + 1 runes of the body line */
  size_t window_len, window_head;

  /* A global options block right after top-level imports keeps its '{' on a
   * line of its own; for that the first word of each line is tracked (the
   * words of the plain text: a comment's first word is "#" and what follows
   * the comment, as Caddy counts them). */
  size_t word_len;
  bool word_import;            /* the word so far is a prefix of "import" */
  bool line_word_seen;         /* the line's first word is finished */
  bool line_word_import;       /* and it is "import" */
  bool import_line;            /* the last line with a word began with a top-level import */
};

static void fmt_put(struct fmt *f, uint32_t r)
{
  unsigned char buf[4];
  strbuf_put(f->out, buf, rune_encode(r, buf));
  f->last = r;
}

static void fmt_newline(struct fmt *f)
{
  fmt_put(f, '\n');
  f->line_start = true;
}

static void fmt_indent(struct fmt *f)
{
  for (int i = 0; i < f->nesting; i++)
    fmt_put(f, '\t');
}

/* --- words and lines, for the import rule --- */

static void fmt_word_add(struct fmt *f, uint32_t r)
{
  static const char import[] = "import";
  f->word_import = f->word_import && f->word_len < 6 && r == (uint32_t)import[f->word_len];
  f->word_len++;
}

static void fmt_word_end(struct fmt *f)
{
  if (f->word_len == 0)
    return;
  if (!f->line_word_seen) {
    f->line_word_seen = true;
    f->line_word_import = f->word_import && f->word_len == 6;
  }
  f->word_len = 0;
  f->word_import = true;
}

/* A line without a word leaves the import state alone only while a '{' that
 * stands on a line of its own waits to be written. */
static void fmt_line_end(struct fmt *f)
{
  fmt_word_end(f);
  if (f->line_word_seen)
    f->import_line = f->nesting == 0 && f->line_word_import;
  else if (!f->brace || !f->brace_own_line || f->brace_written)
    f->import_line = false;
  f->line_word_seen = false;
}

/* --- heredocs --- */

static void fmt_marker_add(struct fmt *f, uint32_t r)
{
  uint32_t *slot = ARENA_PUSH(f->arena, f->marker, f->marker_len, f->marker_cap);
  *slot = r;
}

/* Caddy's marker rule: one or more of [A-Za-z0-9_-] */
static bool fmt_marker_valid(const struct fmt *f)
{
  for (size_t i = 0; i < f->marker_len; i++) {
    uint32_t r = f->marker[i];
    if (!((r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-'))
      return false;
  }
  return f->marker_len > 0;
}

static void fmt_heredoc_open(struct fmt *f)
{
  f->heredoc = FMT_HEREDOC_BODY;
  f->window = arena_alloc(f->arena, (f->marker_len + 1) * sizeof *f->window);
  f->window_len = f->window_head = 0;
}

static void fmt_heredoc_close(struct fmt *f)
{
  f->heredoc = FMT_HEREDOC_NONE;
  f->marker_len = 0;
  f->window_len = f->window_head = 0;
}

/* Keeps the last marker_len + 1 runes of the body line; true when they are
 * the marker followed by r, white space, which ends the heredoc. */
static bool fmt_window_push(struct fmt *f, uint32_t r)
{
  size_t cap = f->marker_len + 1;
  if (f->window_len < cap)
    f->window[(f->window_head + f->window_len++) % cap] = r;
  else
    f->window[f->window_head] = r, f->window_head = (f->window_head + 1) % cap;
  if (!rune_is_space(r) || f->window_len < cap)
    return false;
  for (size_t i = 0; i < f->marker_len; i++)
    if (f->window[(f->window_head + i) % cap] != f->marker[i])
      return false;
  return true;
}

/* "<<MARKER\n" opens a heredoc, whose body is copied as it stands; "<<" followed
 * by white space is a plain word. True when r was consumed here. */
static bool fmt_heredoc_rune(struct fmt *f, uint32_t r)
{
  if (f->quote == FMT_QUOTE_NONE && f->heredoc == FMT_HEREDOC_NONE && !f->heredoc_escaped && f->space &&
      f->last == '<' && r == '<') {
    fmt_put(f, r);
    f->heredoc = FMT_HEREDOC_MARKER;
    f->space = false;
    return true;
  }
  if (f->heredoc == FMT_HEREDOC_MARKER) {
    if (r == '\n' && fmt_marker_valid(f)) {
      fmt_heredoc_open(f);
      fmt_put(f, r);
      return true;
    }
    if (r == '\n') {   /* not a marker: the line ends here, with no blank-line count */
      fmt_heredoc_close(f);
      fmt_newline(f);
      return true;
    }
    if (!rune_is_space(r)) {
      fmt_marker_add(f, r);
      fmt_put(f, r);
      return true;
    }
    fmt_heredoc_close(f);   /* a plain word; r is read as usual */
  }
  if (f->heredoc == FMT_HEREDOC_BODY) {
    if (fmt_window_push(f, r)) {
      fmt_heredoc_close(f);   /* the white space after the marker is read as usual */
      return false;
    }
    fmt_put(f, r);
    if (r == '\n')
      f->window_len = f->window_head = 0;
    return true;
  }
  return false;
}

/* --- comments, escapes and quotes: copied as they stand --- */

static enum fmt_quote fmt_quote_backtick(enum fmt_quote q)
{
  switch (q) {
  case FMT_QUOTE_DOUBLE_BACKTICK: return FMT_QUOTE_DOUBLE;
  case FMT_QUOTE_BACKTICK: return FMT_QUOTE_NONE;
  case FMT_QUOTE_DOUBLE: return FMT_QUOTE_DOUBLE_BACKTICK;
  default: return FMT_QUOTE_BACKTICK;
  }
}

/* A backslash writes the space before it at once, so an escape at the start
 * of a line joins the line before, as it does in Caddy. */
static bool fmt_escape_rune(struct fmt *f, uint32_t r)
{
  if (!f->escaped && r == '\\') {
    if (f->space)
      fmt_put(f, ' '), f->space = false;
    fmt_put(f, r);
    f->escaped = true;
    return true;
  }
  if (!f->escaped)
    return false;
  if (r == '<')
    f->heredoc_escaped = true;
  fmt_put(f, r);
  f->escaped = false;
  return true;
}

/* A '"' opens a string only at the start of a word; a backticked string opens
 * anywhere, and its opening backtick gets the space before it but not the
 * line break (Caddy writes it on the line before). */
static bool fmt_quote_rune(struct fmt *f, uint32_t r)
{
  if (r == '`')
    f->quote = fmt_quote_backtick(f->quote);
  if (f->quote == FMT_QUOTE_DOUBLE) {
    if (r == '"')
      f->quote = FMT_QUOTE_NONE;
    fmt_put(f, r);
    return true;
  }
  if (r == '"' && f->quote == FMT_QUOTE_NONE && f->space)
    f->quote = FMT_QUOTE_DOUBLE;
  else if (r == '"' && f->quote == FMT_QUOTE_DOUBLE_BACKTICK)
    f->quote = FMT_QUOTE_NONE;
  if (f->quote != FMT_QUOTE_BACKTICK && f->quote != FMT_QUOTE_DOUBLE_BACKTICK)
    return false;
  if (r == '`' && f->space && !f->line_start)
    fmt_put(f, ' ');
  fmt_put(f, r);
  f->space = false;
  return true;
}

static bool fmt_literal_rune(struct fmt *f, uint32_t r)
{
  if (f->comment) {
    if (r != '\n')
      return fmt_put(f, r), true;
    f->comment = false;   /* the comment's line break is written, not counted */
    f->space = true;
    fmt_newline(f);
    return true;
  }
  return fmt_escape_rune(f, r) || fmt_quote_rune(f, r);
}

/* --- braces and plain text --- */

/* The pending '{' is followed by white space: it opens a block. */
static void fmt_block_open(struct fmt *f)
{
  if (f->nesting == 0 && f->last == '}')
    fmt_newline(f), fmt_newline(f);
  f->brace = false;
  if (f->brace_own_line && f->import_line) {
    if (f->last != '\n')
      fmt_newline(f);
    fmt_indent(f);
  } else if (f->line_start) {
    fmt_indent(f);
  } else if (!f->brace_space || !rune_is_space(f->last)) {
    fmt_put(f, ' ');
  }
  fmt_put(f, '{');
  f->brace_written = true;
  f->brace_own_line = false;
  fmt_newline(f);
  f->newlines = 0;
  if (f->nesting < FMT_MAX_NESTING)
    f->nesting++;
}

/* A '{' is held back until the next rune says whether it opens a block. */
static void fmt_brace_read(struct fmt *f, bool space_prior)
{
  fmt_word_end(f);
  f->brace = true;
  f->brace_space = space_prior && !f->line_start;
  f->brace_own_line = f->newlines > 0;
  if (f->brace_space && f->newlines == 0)
    fmt_put(f, ' ');
  f->brace_written = false;
}

static void fmt_block_close(struct fmt *f)
{
  fmt_word_end(f);
  if (f->last != '\n')
    fmt_newline(f);
  if (f->nesting > 0)
    f->nesting--;
  fmt_indent(f);
  fmt_put(f, '}');
  f->newlines = 0;
}

/* Line breaks read before a word: at most one blank line; a word after a
 * top-level '}' starts a new block after a blank line. */
static void fmt_word_start(struct fmt *f)
{
  for (int i = 0; i < f->newlines && i < 2; i++)
    fmt_newline(f);
  f->newlines = 0;
  if (f->line_start)
    fmt_indent(f);
  if (f->nesting == 0 && f->last == '}' && f->line_start)
    fmt_newline(f), fmt_newline(f);
}

static void fmt_plain_rune(struct fmt *f, uint32_t r)
{
  bool space_prior = f->space;
  f->space = false;
  if (r == '#')
    f->comment = true;
  if (f->brace && space_prior && !f->brace_written)
    fmt_block_open(f);
  if (r == '{') {
    fmt_brace_read(f, space_prior);
    return;
  }
  if (r == '}' && (space_prior || !f->brace)) {
    fmt_block_close(f);
    return;
  }
  fmt_word_start(f);
  if (!f->line_start && space_prior)
    fmt_put(f, ' ');
  if (f->brace && !f->brace_written)   /* "{" inside a word, as in foo{bar} */
    fmt_put(f, '{'), f->brace_written = true;
  if (space_prior && r == '<')   /* a word starting "<" may go on to "<<" */
    f->space = true;
  fmt_word_add(f, r);
  fmt_put(f, r);
  f->line_start = false;
}

static void fmt_space_rune(struct fmt *f, uint32_t r)
{
  fmt_word_end(f);
  f->space = true;
  f->heredoc_escaped = false;
  if (r == '\n') {
    fmt_line_end(f);
    f->newlines++;
  }
}

static void fmt_rune(struct fmt *f, uint32_t r)
{
  if (fmt_heredoc_rune(f, r))
    return;
  if (f->last == '<' && f->space)
    f->space = false;
  if (fmt_literal_rune(f, r))
    return;
  if (rune_is_space(r))
    fmt_space_rune(f, r);
  else
    fmt_plain_rune(f, r);
}

/* bytes.TrimSpace: the bounds of s without white space runes at either end */
static void fmt_trim(const unsigned char *s, size_t *start, size_t *end)
{
  size_t n;
  while (*start < *end && rune_is_space(rune_decode(s + *start, *end - *start, &n)))
    *start += n;
  while (*end > *start && rune_is_space(rune_decode_last(s + *start, *end - *start, &n)))
    *end -= n;
}

void fmt_format(struct arena *a, const char *text, size_t len, struct strbuf *out)
{
  const unsigned char *s = (const unsigned char *)text;
  size_t start = 0, end = len;
  fmt_trim(s, &start, &end);
  struct strbuf body;
  strbuf_init(&body, a);
  struct fmt f = {.arena = a, .out = &body, .space = true, .line_start = true, .word_import = true};
  for (size_t i = start, n; i < end; i += n)
    fmt_rune(&f, rune_decode(s + i, end - i, &n));
  size_t out_start = 0, out_end = body.len;
  if (body.len) {
    fmt_trim((const unsigned char *)body.data, &out_start, &out_end);
    strbuf_put(out, body.data + out_start, out_end - out_start);
  }
  strbuf_putc(out, '\n');
}
