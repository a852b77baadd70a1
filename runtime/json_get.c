/* json_get (json_get.h): a cursor over the document that skips values it does
 * not need, and descends along the path. Nesting is bounded, so a hostile
 * document cannot exhaust the worker's stack. */
#include "json_get.h"

#include <errno.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct json_cur {
  const char *p, *end;
};

static void json_ws(struct json_cur *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static int json_hex4(const char *p, unsigned *v)
{
  *v = 0;
  for (int i = 0; i < 4; i++) {
    int ch = (unsigned char)p[i], d = ch >= '0' && ch <= '9' ? ch - '0'
                                     : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (ch | 0x20) - 'a' + 10 : -1;
    if (d < 0)
      return -1;
    *v = *v << 4 | (unsigned)d;
  }
  return 0;
}

/* appends a code point as UTF-8 when out is not NULL; the length it takes */
static size_t json_utf8(unsigned cp, char *out)
{
  char b[4];
  size_t n;
  if (cp < 0x80) { b[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xc0 | cp >> 6); b[1] = (char)(0x80 | (cp & 63)); n = 2; }
  else if (cp < 0x10000) { b[0] = (char)(0xe0 | cp >> 12); b[1] = (char)(0x80 | (cp >> 6 & 63)); b[2] = (char)(0x80 | (cp & 63)); n = 3; }
  else { b[0] = (char)(0xf0 | cp >> 18); b[1] = (char)(0x80 | (cp >> 12 & 63)); b[2] = (char)(0x80 | (cp >> 6 & 63)); b[3] = (char)(0x80 | (cp & 63)); n = 4; }
  if (out)
    memcpy(out, b, n);
  return n;
}

/* one escape after the backslash at c->p; its code point */
static int json_escape(struct json_cur *c, unsigned *cp)
{
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  if (++c->p >= c->end)
    return -EINVAL;
  const char *k = memchr(from, *c->p, 8);
  if (k) {
    *cp = (unsigned char)to[k - from];
    c->p++;
    return 0;
  }
  if (*c->p != 'u' || c->end - c->p < 5 || json_hex4(c->p + 1, cp) < 0)
    return -EINVAL;
  c->p += 5;
  if (*cp >= 0xd800 && *cp < 0xdc00) {
    unsigned lo;
    if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || json_hex4(c->p + 2, &lo) < 0 || lo < 0xdc00 ||
        lo >= 0xe000)
      return -EINVAL;
    *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    c->p += 6;
  } else if (*cp >= 0xdc00 && *cp < 0xe000) {
    return -EINVAL;
  }
  return 0;
}

/* a string at c->p (its opening quote); unescaped into out when out is not
 * NULL (cap bytes); the unescaped length, or a negative errno */
static long json_string(struct json_cur *c, char *out, size_t cap)
{
  size_t n = 0;
  c->p++;
  while (c->p < c->end && *c->p != '"') {
    unsigned cp;
    if ((unsigned char)*c->p < 0x20)
      return -EINVAL;
    if (*c->p == '\\') {
      if (json_escape(c, &cp) < 0)
        return -EINVAL;
    } else {
      cp = 0x100;   /* a raw byte, copied as it is */
    }
    size_t k = cp == 0x100 ? 1 : json_utf8(cp, NULL);
    if (out && n + k > cap)
      return -ENOSPC;
    if (out && cp == 0x100)
      out[n] = *c->p;
    else if (out)
      json_utf8(cp, out + n);
    c->p += cp == 0x100;
    n += k;
  }
  if (c->p >= c->end)
    return -EINVAL;
  c->p++;
  return (long)n;
}

static int json_skip(struct json_cur *c, int depth);

/* the members or items of an object or array, each skipped */
static int json_skip_list(struct json_cur *c, int depth, char close, int object)
{
  c->p++;
  json_ws(c);
  if (c->p < c->end && *c->p == close) {
    c->p++;
    return 0;
  }
  for (;;) {
    json_ws(c);
    if (object) {
      if (c->p >= c->end || *c->p != '"' || json_string(c, NULL, 0) < 0)
        return -EINVAL;
      json_ws(c);
      if (c->p >= c->end || *c->p++ != ':')
        return -EINVAL;
    }
    if (json_skip(c, depth + 1) < 0)
      return -EINVAL;
    json_ws(c);
    if (c->p >= c->end)
      return -EINVAL;
    if (*c->p == close) {
      c->p++;
      return 0;
    }
    if (*c->p++ != ',')
      return -EINVAL;
  }
}

static int json_skip_word(struct json_cur *c, const char *w)
{
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
    return -EINVAL;
  c->p += n;
  return 0;
}

static int json_skip_number(struct json_cur *c)
{
  const char *start = c->p;
  if (c->p < c->end && *c->p == '-')
    c->p++;
  if (c->p >= c->end || *c->p < '0' || *c->p > '9')
    return -EINVAL;
  while (c->p < c->end && *c->p && strchr("0123456789.eE+-", *c->p))
    c->p++;
  return c->p > start ? 0 : -EINVAL;
}

static int json_skip(struct json_cur *c, int depth)
{
  json_ws(c);
  if (c->p >= c->end || depth > JSON_MAX_DEPTH)
    return -EINVAL;
  switch (*c->p) {
  case '{': return json_skip_list(c, depth, '}', 1);
  case '[': return json_skip_list(c, depth, ']', 0);
  case '"': return json_string(c, NULL, 0) < 0 ? -EINVAL : 0;
  case 't': return json_skip_word(c, "true");
  case 'f': return json_skip_word(c, "false");
  case 'n': return json_skip_word(c, "null");
  default: return json_skip_number(c);
  }
}

/* moves c to the value of key (object) or item index (array) named by seg */
static int json_step(struct json_cur *c, const char *seg, size_t n)
{
  json_ws(c);
  if (c->p >= c->end || (*c->p != '{' && *c->p != '['))
    return -ENOENT;
  int object = *c->p == '{';
  char close = object ? '}' : ']';
  long want = -1;
  if (!object) {
    want = 0;
    for (size_t i = 0; i < n; i++) {
      if (seg[i] < '0' || seg[i] > '9' || want > 100000000)
        return -ENOENT;
      want = want * 10 + (seg[i] - '0');
    }
    if (n == 0)
      return -ENOENT;
  }
  c->p++;
  json_ws(c);
  if (c->p < c->end && *c->p == close)
    return -ENOENT;
  for (long index = 0;; index++) {
    json_ws(c);
    int hit = !object && index == want;
    if (object) {
      char key[256];
      if (c->p >= c->end || *c->p != '"')
        return -EINVAL;
      const char *at = c->p;
      long k = json_string(c, key, sizeof key);
      if (k == -ENOSPC) {   /* a key longer than any path segment: skipped */
        c->p = at;
        k = json_string(c, NULL, 0) < 0 ? -EINVAL : -ENOSPC;
      }
      if (k == -EINVAL)
        return -EINVAL;
      hit = k >= 0 && (size_t)k == n && memcmp(key, seg, n) == 0;
      json_ws(c);
      if (c->p >= c->end || *c->p++ != ':')
        return -EINVAL;
    }
    if (hit) {
      json_ws(c);
      return 0;
    }
    if (json_skip(c, 1) < 0)
      return -EINVAL;
    json_ws(c);
    if (c->p >= c->end)
      return -EINVAL;
    if (*c->p == close)
      return -ENOENT;
    if (*c->p++ != ',')
      return -EINVAL;
  }
}

long json_get(const char *doc, size_t len, const char *path, size_t path_len, char *out, size_t cap)
{
  struct json_cur c = {doc, doc + len};
  for (size_t at = 0; at < path_len;) {
    const char *dot = memchr(path + at, '.', path_len - at);
    size_t n = dot ? (size_t)(dot - path - at) : path_len - at;
    int rc = json_step(&c, path + at, n);
    if (rc < 0)
      return rc;
    at += n + (dot ? 1 : 0);
  }
  json_ws(&c);
  if (c.p < c.end && *c.p == '"')
    return json_string(&c, out, cap);
  const char *start = c.p;
  if (json_skip(&c, 0) < 0)
    return -EINVAL;
  size_t n = (size_t)(c.p - start);
  if (n > cap)
    return -ENOSPC;
  memcpy(out, start, n);
  return (long)n;
}
