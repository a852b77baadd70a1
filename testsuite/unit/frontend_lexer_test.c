/* Lexer and environment expansion: quoting, backticks, comments, heredocs
 * (and their errors), line continuations and {$VAR:default}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "frontend/caddyfile/lexer.h"


static struct token_list lex(struct arena *a, const char *text, struct lexer_error *err)
{
  struct token_list toks = {0};
  memset(err, 0, sizeof *err);
  lexer_tokenize(a, text, strlen(text), "Caddyfile", &toks, err);
  return toks;
}

static void test_quoting(struct arena *a)
{
  struct lexer_error err;
  struct token_list t = lex(a, "a \"b c\" `d \\\"e` f#g #comment\n\"x\\\"y\" \"\\}\" \"a\"b", &err);
  CHECK(!err.msg && t.count == 8);
  if (t.count != 8)
    return;
  CHECK(!strcmp(t.items[0].text, "a") && t.items[0].quote == 0);
  CHECK(!strcmp(t.items[1].text, "b c") && t.items[1].quote == '"');
  CHECK(!strcmp(t.items[2].text, "d \\\"e") && t.items[2].quote == '`');   /* backticks are raw */
  CHECK(!strcmp(t.items[3].text, "f#g"));                                  /* '#' mid-token is text */
  CHECK(!strcmp(t.items[4].text, "x\"y") && t.items[4].line == 2);
  CHECK(!strcmp(t.items[5].text, "\\}"));                                 /* other escapes kept */
  CHECK(!strcmp(t.items[6].text, "a") && !strcmp(t.items[7].text, "b"));   /* closing quote ends token */
  CHECK(t.items[1].col == 3);
}

static void test_continuation(struct arena *a)
{
  struct lexer_error err;
  struct token_list t = lex(a, "a \\\n b\nc", &err);
  CHECK(t.count == 3 && !token_next_on_new_line(&t.items[0], &t.items[1]));
  CHECK(t.count == 3 && token_next_on_new_line(&t.items[1], &t.items[2]));
  t = lex(a, "\\{x}", &err);
  CHECK(t.count == 1 && !strcmp(t.items[0].text, "\\{x}"));              /* backslash kept */
}

static void test_heredoc(struct arena *a)
{
  struct lexer_error err;
  struct token_list t = lex(a, "respond <<EOF\n    <p>\n\n      x\n    EOF 200\nnext", &err);
  CHECK(!err.msg && t.count == 4);
  if (t.count == 4) {
    CHECK(!strcmp(t.items[1].text, "<p>\n\n  x") && t.items[1].quote == '<');
    CHECK(!strcmp(t.items[2].text, "200") && !token_next_on_new_line(&t.items[1], &t.items[2]));
    CHECK(token_next_on_new_line(&t.items[2], &t.items[3]));
  }
  lex(a, "respond <<<END\nx\nEND", &err);
  CHECK(err.msg && strstr(err.msg, "too many '<' for heredoc on line #1"));
  lex(a, "respond <<END!\nx\nEND!", &err);
  CHECK(err.msg && strstr(err.msg, "must contain only alphanumeric characters, dashes and underscores; got 'END!'"));
  lex(a, "respond <<\nx", &err);
  CHECK(err.msg && strstr(err.msg, "missing opening heredoc marker"));
  lex(a, "a\nrespond <<EOF\n  Hello\n  never", &err);
  CHECK(err.msg && strstr(err.msg, "incomplete heredoc <<EOF on line #4, expected ending marker EOF"));
  lex(a, "respond <<EOF\n  Hello\n# missing EOF\n", &err);
  CHECK(err.msg && strstr(err.msg, "mismatched leading whitespace in heredoc <<EOF on line #2 [  Hello], "
                                   "expected whitespace [# missing ] to match the closing marker"));
  t = lex(a, "respond << x", &err);
  CHECK(!err.msg && t.count == 3 && !strcmp(t.items[1].text, "<<"));
}

static void test_env(struct arena *a)
{
  setenv("ZS_LEXER_TEST_SET", "value", 1);
  setenv("ZS_LEXER_TEST_EMPTY", "", 1);
  unsetenv("ZS_LEXER_TEST_UNSET");
  const char *in = "{$ZS_LEXER_TEST_SET} {$ZS_LEXER_TEST_UNSET:def:ault} {$ZS_LEXER_TEST_EMPTY:x} {$ZS_LEXER_TEST_UNSET} {$} \"{$ZS_LEXER_TEST_SET}\"";
  size_t n;
  char *out = env_expand(a, in, strlen(in), &n);
  CHECK(!strcmp(out, "value def:ault   {$} \"value\""));
  setenv("ZS_LEXER_TEST_NESTED", "{$ZS_LEXER_TEST_SET}", 1);
  out = env_expand(a, "{$ZS_LEXER_TEST_NESTED}", 23, &n);
  CHECK(!strcmp(out, "{$ZS_LEXER_TEST_SET}"));                           /* one level only */
}

int main(void)
{
  struct arena a = {0};
  test_quoting(&a);
  test_continuation(&a);
  test_heredoc(&a);
  test_env(&a);
  arena_reset(&a);
  if (check_failures)
    fprintf(stderr, "%d checks failed\n", check_failures);
  return check_failures ? 1 : 0;
}
