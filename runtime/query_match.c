/* Caddy's query matcher (query_match.h): url.ParseQuery's splitting and
 * QueryUnescape, then MatchQuery's AND over keys and OR over values. */
#include "query_match.h"
#include "rewrite.h"

#include <errno.h>
#include <string.h>

/* QueryUnescape, within the decoding buffers' size */
static long query_unescape(const char *s, size_t n, char *out)
{
  return n > QUERY_PART_MAX ? -E2BIG : rewrite_query_unescape(s, n, out);
}

int query_pair_next(const char *q, size_t n, size_t *at, char *key, long *key_len, char *val, long *val_len)
{
  while (*at < n) {
    const char *p = q + *at, *amp = memchr(p, '&', n - *at);
    size_t len = amp ? (size_t)(amp - p) : n - *at;
    *at += len + (amp ? 1 : 0);
    if (memchr(p, ';', len))
      return -1;
    if (len == 0)
      continue;
    const char *eq = memchr(p, '=', len);
    size_t kl = eq ? (size_t)(eq - p) : len;
    *key_len = query_unescape(p, kl, key);
    *val_len = eq ? query_unescape(eq + 1, len - kl - 1, val) : 0;
    return *key_len < 0 || *val_len < 0 ? -1 : 1;
  }
  return 0;
}

static int query_spec_u16(const unsigned char *spec, size_t len, size_t *at, size_t *out)
{
  if (*at + 2 > len)
    return -1;
  *out = (size_t)spec[*at] << 8 | spec[*at + 1];
  *at += 2;
  return 0;
}

/* a u16 length then its bytes from spec at *at; NULL when spec ends first */
static const unsigned char *query_spec_item(const unsigned char *spec, size_t len, size_t *at, size_t *n)
{
  if (query_spec_u16(spec, len, at, n) < 0 || *n > len - *at)
    return NULL;
  const unsigned char *p = spec + *at;
  *at += *n;
  return p;
}

/* does the query hold key with one of the spec's values (at vals_at)? */
static int query_has(const char *q, size_t n, const unsigned char *key, size_t key_n, const unsigned char *spec,
                     size_t spec_len, size_t vals_at, size_t val_count)
{
  char k[QUERY_PART_MAX], v[QUERY_PART_MAX];
  long kl, vl;
  for (size_t at = 0; query_pair_next(q, n, &at, k, &kl, v, &vl) > 0;) {
    if ((size_t)kl != key_n || memcmp(k, key, key_n) != 0)
      continue;
    size_t s = vals_at, wn;
    for (size_t i = 0; i < val_count; i++) {
      const unsigned char *want = query_spec_item(spec, spec_len, &s, &wn);
      if (want && ((wn == 1 && want[0] == '*') || (wn == (size_t)vl && memcmp(want, v, wn) == 0)))
        return 1;
    }
  }
  return 0;
}

int query_match(const char *query, size_t n, const unsigned char *spec, size_t spec_len)
{
  char k[QUERY_PART_MAX], v[QUERY_PART_MAX];
  long kl, vl;
  size_t at = 0, keys;
  int r, parsed = 0, bad = 0;
  if (query_spec_u16(spec, spec_len, &at, &keys) < 0)
    return -EINVAL;
  for (size_t q = 0; (r = query_pair_next(query, n, &q, k, &kl, v, &vl)) != 0;) {
    parsed |= r > 0;
    bad |= r < 0;
  }
  if (keys == 0)   /* only a query with no parameter: Query() ignores what does not parse */
    return !parsed;
  if (bad)         /* ParseQuery's error: Caddy matches nothing */
    return 0;
  for (size_t i = 0; i < keys; i++) {
    size_t key_n, count, m;
    const unsigned char *key = query_spec_item(spec, spec_len, &at, &key_n);
    if (!key || query_spec_u16(spec, spec_len, &at, &count) < 0)
      return -EINVAL;
    size_t vals_at = at;
    for (size_t c = 0; c < count; c++)
      if (!query_spec_item(spec, spec_len, &at, &m))
        return -EINVAL;
    if (!query_has(query, n, key, key_n, spec, spec_len, vals_at, count))
      return 0;
  }
  return 1;
}
