/* Caddy's request placeholders that take a name or an index
 * ({http.request.header.NAME}, {http.request.uri.query.NAME},
 * {http.request.cookie.NAME}, {http.request.uri.path.N},
 * {http.request.orig_uri.path.N}, {http.request.host.labels.N}) as text
 * parts the buf_field helper fills in at run time (modules/caddyhttp/replacer.go). */
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

struct text_field_prefix {
  const char *prefix;
  int field;
  bool indexed;
};

static const struct text_field_prefix text_field_prefixes[] = {
  {"http.request.header.", ZS_FIELD_HEADER, false},
  {"http.request.uri.query.", ZS_FIELD_QUERY, false},
  {"http.request.cookie.", ZS_FIELD_COOKIE, false},
  {"http.request.uri.path.", ZS_FIELD_PATH_PART, true},
  {"http.request.orig_uri.path.", ZS_FIELD_ORIG_PATH_PART, true},
  {"http.request.host.labels.", ZS_FIELD_HOST_LABEL, true},
};

/* strconv.Atoi and a non-negative result: false otherwise, which Caddy's
 * replacer answers as an unknown placeholder */
static bool text_field_index(const char *s, size_t n, unsigned *out)
{
  size_t i = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i == n || s[0] == '-')
    return false;
  unsigned long v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || v > 1000000000ul)
      return false;
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  *out = v > 0xffff ? 0xffff : (unsigned)v;   /* past any path's segments or host's labels: "" */
  return true;
}

int lower_text_field(struct lower *l, enum lower_ph_mode mode, const char *key, size_t len,
                     struct lowered_text_part *out)
{
  for (size_t i = 0; i < sizeof text_field_prefixes / sizeof text_field_prefixes[0]; i++) {
    const struct text_field_prefix *f = &text_field_prefixes[i];
    size_t n = strlen(f->prefix);
    if (len < n || memcmp(key, f->prefix, n) != 0)
      continue;
    memset(out, 0, sizeof *out);
    out->field = f->field;
    if (f->indexed && !text_field_index(key + n, len - n, &out->index))
      return -1;
    out->text = f->indexed ? "" : key + n;
    out->len = f->indexed ? 0 : len - n;
    if (f->field == ZS_FIELD_COOKIE && mode == LOWER_PH_KNOWN)
      out->unset = arena_printf(l->a, "{%.*s}", (int)len, key);
    else if (f->field == ZS_FIELD_COOKIE && mode == LOWER_PH_QUERY)
      out->unset = LOWER_QUERY_NIL;
    return 1;
  }
  return 0;
}
