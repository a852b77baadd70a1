/* Caddyfile tokens and the lexer that produces them (Caddy's lexer.go rules:
 * quotes, backticks, heredocs, comments, line continuations). Environment
 * expansion happens before lexing (env.c); imports are the parser's job. */
#ifndef ZSC_FRONTEND_LEXER_H
#define ZSC_FRONTEND_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"

enum lexer_quote { LEXER_UNQUOTED = 0, LEXER_QUOTED = '"', LEXER_BACKTICK = '`', LEXER_HEREDOC = '<' };

struct token {
  const char *text;            /* NUL-terminated */
  const char *file;
  int line, col;
  char quote;                  /* enum lexer_quote */
  const char **imports;        /* import chain, "FILE:LINE (import[ NAME])" */
  int nimports;
  const char *snippet;         /* name of the snippet the token was defined in, or NULL */
};

struct token_list {
  struct token *items;
  size_t count, cap;
};

struct lexer_error {
  const char *msg;             /* Caddy's wording */
  struct srcpos pos;
};

/* Tokenizes text (already env-expanded), appending to out; -1 with err set on error. */
int lexer_tokenize(struct arena *a, const char *text, size_t len, const char *file,
                   struct token_list *out, struct lexer_error *err);

/* Caddy's isNextOnNewLine: different file or import chain, or t1 ends before t2's line. */
bool token_next_on_new_line(const struct token *t1, const struct token *t2);
bool token_is(const struct token *t, const char *text);   /* text equal and unquoted */

/* {$VAR} and {$VAR:default} expansion on raw bytes, one level (env.c). */
char *env_expand(struct arena *a, const char *text, size_t len, size_t *out_len);

#endif
