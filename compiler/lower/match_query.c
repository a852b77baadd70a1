/* The query matcher: each key with the values any of which it must have
 * ("*": any), packed for the runtime's query_match helper: a u16 key
 * count, then per key its u16-length-prefixed name, a u16 value count and
 * each value length-prefixed (big-endian). Placeholders are not compiled yet. */
#include <string.h>

#include "lower_parts.h"

static void lower_query_u16(struct strbuf *sb, size_t n)
{
  unsigned char b[2] = {(unsigned char)(n >> 8), (unsigned char)n};
  strbuf_put(sb, b, 2);
}

static void lower_query_put(struct strbuf *sb, const char *s, size_t n)
{
  lower_query_u16(sb, n);
  strbuf_put(sb, s, n);
}

static bool lower_query_const(struct lower *l, const struct json *at, const char *s, size_t n, const char *what)
{
  if (n > 0xffff || memchr(s, '{', n)) {
    lower_refuse(l, at, "query matcher %s '%.*s'", what, (int)(n > 200 ? 200 : n), s);
    return false;
  }
  return true;
}

int lower_match_query(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  if (v->kind != JSON_OBJECT || v->count > 0xffff) {
    lower_refuse(l, v, "query matcher that is not an object");
    return -1;
  }
  struct strbuf sb;
  strbuf_init(&sb, l->a);
  lower_query_u16(&sb, v->count);
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const char *key = v->members[i].key;
    const struct json *vals = v->members[i].value;
    if (!lower_query_const(l, vals, key, strlen(key), "key") || vals->count > 0xffff ||
        !lower_items(l, vals, 1, "query matcher values that are not a list")) {
      bad = -1;
      continue;
    }
    lower_query_put(&sb, key, strlen(key));
    lower_query_u16(&sb, vals->count);
    for (size_t k = 0; k < vals->count; k++) {
      const char *s = lower_string(l, vals->items[k], "query matcher value");
      if (!s || !lower_query_const(l, vals->items[k], s, vals->items[k]->len, "value")) {
        bad = -1;
        continue;
      }
      lower_query_put(&sb, s, vals->items[k]->len);
    }
  }
  out->query = (const unsigned char *)strbuf_cstr(&sb);
  out->query_len = sb.len;
  return bad;
}
