/* Fuzz target: the Caddyfile lexer on raw bytes (quotes, backticks, heredocs,
 * comments, continuations). Tokens must come out in source order. */
#include "fuzz.h"
#include "frontend/caddyfile/lexer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct arena a = {0};
  struct token_list toks = {0};
  struct lexer_error err = {0};
  if (lexer_tokenize(&a, (const char *)data, size, "Caddyfile", &toks, &err) == 0) {
    for (size_t i = 0; i < toks.count; i++) {
      const struct token *t = &toks.items[i];
      /* a position before the previous token's means the lexer lost its place */
      if (!t->text || t->line < 1 || (i > 0 && t->line < toks.items[i - 1].line))
        abort();
    }
  } else if (!err.msg) {
    abort();                   /* a failure must say why */
  }
  arena_reset(&a);
  return 0;
}
