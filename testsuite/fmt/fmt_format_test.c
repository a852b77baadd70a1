/* The formatter as a library: edge cases of Caddy's formatter (each expected
 * output is what current caddy fmt prints), then random inputs checked for
 * what any output must be (trimmed, valid UTF-8, one final newline) and for
 * the --diff listing giving back both texts. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../check.h"
#include "fmt/fmt.h"
#include "fmt/rune.h"

struct fmt_case {
  const char *what, *in;
  size_t len;
  const char *out;
  size_t out_len;
};

/* string literals with their lengths, so NUL bytes can be in them */
#define FMT_CASE(what, in, out) {what, in, sizeof in - 1, out, sizeof out - 1}

static const struct fmt_case fmt_cases[] = {
  FMT_CASE("empty input", "", "\n"),
  FMT_CASE("only white space", "  \t\n\n ", "\n"),
  FMT_CASE("an invalid byte becomes U+FFFD", "\xff", "\xef\xbf\xbd\n"),
  FMT_CASE("a surrogate is three invalid bytes", "a \xed\xa0\x80", "a \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n"),
  FMT_CASE("Unicode spaces trimmed at both ends", "\xc2\xa0" "a\xe3\x80\x80", "a\n"),
  FMT_CASE("Unicode spaces separate words", "a\xe2\x80\xa8" "b  c\xc2\x85" "d", "a b c d\n"),
  FMT_CASE("CRLF line ends", "a {\r\nb\r\n}\r\n", "a {\n\tb\n}\n"),
  FMT_CASE("CR kept inside quotes", "a \"b\r\nc\"", "a \"b\r\nc\"\n"),
  FMT_CASE("heredoc body kept, braces in it too", "a {\n\tb <<EOF\n  x }\n  EOF\n}",
           "a {\n\tb <<EOF\n  x }\n  EOF\n}\n"),
  FMT_CASE("heredoc marker must be a word", "x <<E.F\ny", "x <<E.F\ny\n"),
  FMT_CASE("heredoc without its end", "a <<EOF\n  b {\n c", "a <<EOF\n  b {\n c\n"),
  FMT_CASE("backtick opening a line joins the line before", "a\n`b`", "a `b\n`\n"),
  FMT_CASE("escape opening a line joins the line before", "a\n\\b", "a \\b\n"),
  FMT_CASE("comment line keeps its own line break", "a {\n# c {\nb\n}", "a {\n\t# c {\n\tb\n}\n"),
  FMT_CASE("a comment before an import hides it", "import x\n{\n}\n# c\nimport y\n{\n}",
           "import x\n{\n}\n# c\nimport y {\n}\n"),
  FMT_CASE("NUL bytes are plain text", "a\0b {\n\0\n}", "a\0b {\n\t\0\n}\n"),
};

static void test_cases(struct arena *a)
{
  for (size_t i = 0; i < sizeof fmt_cases / sizeof *fmt_cases; i++) {
    const struct fmt_case *c = &fmt_cases[i];
    struct strbuf out;
    strbuf_init(&out, a);
    fmt_format(a, c->in, c->len, &out);
    bool ok = out.len == c->out_len && memcmp(out.data, c->out, c->out_len) == 0;
    if (!ok)
      fprintf(stderr, "case '%s' differs from caddy fmt\n", c->what);
    CHECK(ok);
  }
}

static void fmt_put_line(struct strbuf *sb, int depth, const char *text)
{
  for (int t = 0; t < depth; t++)
    strbuf_putc(sb, '\t');
  strbuf_puts(sb, text);
}

/* twelve nested blocks: Caddy indents ten levels at most, and each '}'
 * dedents from there (never below 0) */
static void test_nesting_cap(struct arena *a)
{
  struct strbuf in, out, want;
  strbuf_init(&in, a), strbuf_init(&out, a), strbuf_init(&want, a);
  for (int i = 0; i < 12; i++) {
    strbuf_puts(&in, "a {\n");
    fmt_put_line(&want, i < 10 ? i : 10, "a {\n");
  }
  strbuf_puts(&in, "x\n");
  fmt_put_line(&want, 10, "x\n");
  for (int i = 9; i >= -2; i--) {
    strbuf_puts(&in, "}\n");
    fmt_put_line(&want, i > 0 ? i : 0, "}\n");
  }
  fmt_format(a, in.data, in.len, &out);
  CHECK(out.len == want.len && memcmp(out.data, want.data, want.len) == 0);
}

static uint64_t fmt_rng = 0x9e3779b97f4a7c15u;

static uint32_t fmt_random(uint32_t n)
{
  fmt_rng = fmt_rng * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(fmt_rng >> 33) % n;
}

static void fmt_random_input(struct strbuf *in)
{
  static const char *const atoms[] = {
    "{", "}", "\"", "`", "\\", "#", "<", "<<", "\n", "\n", "\t", " ", "\r\n", "a", "EOF", "<<EOF\n", "\nEOF ",
    "{$X}", "import ", "\xc2\xa0", "\xe2\x80\xa8", "\xff", "\xed\xa0\x80", "\xf0\x9f\x98\x80", "\\<<", "}}", "é",
  };
  int n = (int)fmt_random(60);
  for (int i = 0; i < n; i++)
    strbuf_puts(in, atoms[fmt_random(sizeof atoms / sizeof *atoms)]);
}

/* the output: no white space at either end but the final newline, valid UTF-8 */
static bool fmt_output_ok(const struct strbuf *out)
{
  const unsigned char *s = (const unsigned char *)out->data;
  size_t n;
  if (out->len == 0 || s[out->len - 1] != '\n')
    return false;
  if (out->len == 1)
    return true;
  if (rune_is_space(rune_decode(s, out->len, &n)) || rune_is_space(rune_decode_last(s, out->len - 1, &n)))
    return false;
  for (size_t i = 0; i < out->len; i += n)
    if (rune_decode(s + i, out->len - i, &n) == RUNE_ERROR && n == 1)
      return false;
  return true;
}

/* the lines of a --diff listing marked with `keep` or "  ", joined again */
static bool fmt_diff_gives(const struct strbuf *listing, char keep, const char *text, size_t len)
{
  struct strbuf got;
  strbuf_init(&got, listing->arena);
  bool first = true;
  for (size_t i = 0; i < listing->len;) {
    const char *nl = memchr(listing->data + i, '\n', listing->len - i);
    size_t end = (size_t)(nl - listing->data);
    if (listing->data[i] == ' ' || listing->data[i] == keep) {
      if (!first)
        strbuf_putc(&got, '\n');
      strbuf_put(&got, listing->data + i + 2, end - i - 2);
      first = false;
    }
    i = end + 1;
  }
  return got.len == len && (len == 0 || memcmp(got.data, text, len) == 0);
}

static void test_random(struct arena *a)
{
  int before = check_failures;
  for (int round = 0; round < 20000; round++) {
    struct strbuf in, out, listing;
    strbuf_init(&in, a), strbuf_init(&out, a), strbuf_init(&listing, a);
    fmt_random_input(&in);
    const char *text = in.data ? in.data : "";
    fmt_format(a, text, in.len, &out);
    CHECK(fmt_output_ok(&out));
    fmt_diff(a, text, in.len, out.data, out.len, &listing);
    CHECK(fmt_diff_gives(&listing, '-', text, in.len));
    CHECK(fmt_diff_gives(&listing, '+', out.data, out.len));
    if (check_failures > before) {
      fprintf(stderr, "random input %d: %.*s\n", round, (int)in.len, text);
      return;
    }
    if (round % 1000 == 999)
      arena_reset(a);
  }
}

int main(void)
{
  struct arena a = {0};
  test_cases(&a);
  test_nesting_cap(&a);
  test_random(&a);
  arena_reset(&a);
  printf("%s\n", check_failures ? "FAIL" : "ok");
  return check_failures ? 1 : 0;
}
