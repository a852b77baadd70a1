/* {$VAR} / {$VAR:default} expansion on the raw Caddyfile bytes before lexing,
 * as Caddy's replaceEnvVars: the span ends at the first '}', an unset variable
 * takes the default, and the scan resumes after the inserted value. */
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "lexer.h"

static const char *env_find(const char *s, size_t len, const char *what)
{
  size_t n = strlen(what);
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(s + i, what, n) == 0)
      return s + i;
  return NULL;
}

/* The value for NAME[:DEFAULT]; NULL means empty. */
static const char *env_lookup(struct arena *a, const char *spec, size_t len)
{
  const char *colon = memchr(spec, ':', len);
  size_t name_len = colon ? (size_t)(colon - spec) : len;
  const char *value = getenv(arena_strndup(a, spec, name_len));
  if (!value && colon)
    return arena_strndup(a, colon + 1, len - name_len - 1);
  return value;
}

char *env_expand(struct arena *a, const char *text, size_t len, size_t *out_len)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  size_t pos = 0;
  for (;;) {
    const char *open = env_find(text + pos, len - pos, "{$");
    if (!open)
      break;
    size_t begin = (size_t)(open - text);
    const char *close = env_find(text + begin + 2, len - begin - 2, "}");
    if (!close)
      break;
    size_t end = (size_t)(close - text);
    strbuf_put(&sb, text + pos, begin - pos);
    if (end == begin + 2)
      strbuf_put(&sb, "{$}", 3);             /* empty name: left as it is */
    else {
      const char *value = env_lookup(a, text + begin + 2, end - begin - 2);
      if (value)
        strbuf_puts(&sb, value);
    }
    pos = end + 1;
  }
  strbuf_put(&sb, text + pos, len - pos);
  *out_len = sb.len;
  return sb.data ? sb.data : arena_strdup(a, "");
}
