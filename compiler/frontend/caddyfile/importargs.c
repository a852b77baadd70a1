/* Import arguments: {args[N]} and {args.N} replaced inside a token's text,
 * and the whole-token variadic forms {args[i:j]}. Out-of-range placeholders
 * stay literal, as Caddy's replacer leaves unknown placeholders. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "parser.h"

static bool importargs_index(const char *s, size_t len, int *out)
{
  if (len == 0 || len > 9)
    return false;
  int n = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return false;
    n = n * 10 + (s[i] - '0');
  }
  *out = n;
  return true;
}

/* The argument a placeholder body ("args[0]", "args.0") names, or NULL. */
static const char *importargs_lookup(const char *key, size_t len, const char **args, int nargs)
{
  int i;
  if (len > 6 && memcmp(key, "args[", 5) == 0 && key[len - 1] == ']') {
    if (importargs_index(key + 5, len - 6, &i) && i < nargs)
      return args[i];
  } else if (len > 5 && memcmp(key, "args.", 5) == 0) {
    if (importargs_index(key + 5, len - 5, &i) && i < nargs)
      return args[i];
  }
  return NULL;
}

/* Caddy's replacer over known placeholders: "\{" and "\}" lose their backslash. */
const char *importargs_replace(struct arena *a, const char *text, const char **args, int nargs)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  for (size_t i = 0; text[i];) {
    if (text[i] == '\\' && (text[i + 1] == '{' || text[i + 1] == '}')) {
      strbuf_putc(&sb, text[i + 1]);
      i += 2;
      continue;
    }
    const char *close = text[i] == '{' ? strchr(text + i, '}') : NULL;
    if (close) {
      const char *v = importargs_lookup(text + i + 1, (size_t)(close - text - i - 1), args, nargs);
      size_t n = (size_t)(close - text) + 1 - i;
      strbuf_put(&sb, v ? v : text + i, v ? strlen(v) : n);
      i += n;
      continue;
    }
    strbuf_putc(&sb, text[i++]);
  }
  return arena_strdup(a, strbuf_cstr(&sb));
}

bool importargs_variadic(const char *text, int nargs, int *start, int *end)
{
  size_t len = strlen(text);
  if (len < 9 || memcmp(text, "{args[", 6) != 0 || memcmp(text + len - 2, "]}", 2) != 0)
    return false;
  const char *body = text + 6, *colon = memchr(body, ':', len - 8);
  if (!colon)
    return false;
  size_t left = (size_t)(colon - body), right = len - 8 - left - 1;
  *start = 0;
  *end = nargs;
  if (left && !importargs_index(body, left, start))
    return false;
  if (right && !importargs_index(colon + 1, right, end))
    return false;
  if (*start < 0 || *end > nargs || *start > *end)
    return false;              /* out of range: left as is (Caddy warns) */
  return true;
}
