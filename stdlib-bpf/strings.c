/* Byte-string comparisons for matchers: exact, prefix, suffix, substring and
 * Go's path.Match glob. Works on (pointer, length) pairs; nothing here is
 * NUL-terminated and nothing writes memory. */
#include "zs.h"

__attribute__((noinline)) int zs_bytes_eq(const char *a, const char *b, unsigned len)
{
  for (unsigned i = 0; i < len; i++)
    if (a[i] != b[i])
      return 0;
  return 1;
}

static int zs_str_contains(const char *s, unsigned len, const char *pat, unsigned pat_len)
{
  if (pat_len > len)
    return 0;
  for (unsigned i = 0; i + pat_len <= len; i++)
    if (zs_bytes_eq(s + i, pat, pat_len))
      return 1;
  return 0;
}

__attribute__((noinline)) int zs_str_match(const char *s, unsigned len, const char *pat,
                                           unsigned pat_len, unsigned kind)
{
  switch (kind) {
  case ZS_STR_EXACT:
    return len == pat_len && zs_bytes_eq(s, pat, len);
  case ZS_STR_PREFIX:
    return len >= pat_len && zs_bytes_eq(s, pat, pat_len);
  case ZS_STR_SUFFIX:
    return len >= pat_len && zs_bytes_eq(s + (len - pat_len), pat, pat_len);
  case ZS_STR_CONTAINS:
    return zs_str_contains(s, len, pat, pat_len);
  case ZS_STR_ANY:
    return 1;
  case ZS_STR_GLOB:
    return zs_glob_match(pat, pat_len, s, len);
  }
  return 0;
}

/* One UTF-8 rune at s (len > 0): its value, its size in *size. Invalid
 * sequences count as one byte of U+FFFD, as Go's utf8.DecodeRune does. */
static unsigned zs_rune(const char *s, unsigned len, unsigned *size)
{
  unsigned char c = (unsigned char)s[0];
  unsigned n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (n == 0 || n > len) {
    *size = 1;
    return c < 0x80 ? c : 0xfffd;
  }
  unsigned r = n == 1 ? c : c & (0x7f >> n);
  for (unsigned i = 1; i < n; i++) {
    unsigned char k = (unsigned char)s[i];
    if ((k & 0xc0) != 0x80) {
      *size = 1;
      return 0xfffd;
    }
    r = r << 6 | (k & 0x3f);
  }
  *size = n;
  return r;
}

/* a character of a [class]: an escaped or plain rune; advances *i */
static unsigned zs_glob_class_char(const char *c, unsigned len, unsigned *i)
{
  unsigned size;
  if (*i < len && c[*i] == '\\')
    (*i)++;
  if (*i >= len)
    return 0;
  unsigned r = zs_rune(c + *i, len - *i, &size);
  *i += size;
  return r;
}

/* [class] against rune r: 1 when it matches; *i moves past the class; -1
 * on a malformed class (zsc rejects those before they get here) */
static int zs_glob_class(const char *c, unsigned len, unsigned *i, unsigned r)
{
  int negated = 0, match = 0, ranges = 0;
  if (*i < len && c[*i] == '^') {
    negated = 1;
    (*i)++;
  }
  for (;;) {
    if (*i >= len)
      return -1;
    if (c[*i] == ']' && ranges > 0) {
      (*i)++;
      break;
    }
    unsigned lo = zs_glob_class_char(c, len, i), hi = lo;
    if (*i < len && c[*i] == '-') {
      (*i)++;
      hi = zs_glob_class_char(c, len, i);
    }
    if (lo <= r && r <= hi)
      match = 1;
    ranges++;
  }
  return match != negated;
}

/* A star-free chunk of a glob against the start of s: bytes of s it
 * consumed, or -1 when it does not match there. */
static int zs_glob_chunk(const char *c, unsigned clen, const char *s, unsigned len)
{
  unsigned i = 0, j = 0, size;
  while (i < clen) {
    if (j >= len)
      return -1;
    char ch = c[i];
    if (ch == '[') {
      unsigned r = zs_rune(s + j, len - j, &size);
      j += size;
      i++;
      if (zs_glob_class(c, clen, &i, r) != 1)
        return -1;
      continue;
    }
    if (ch == '?') {
      if (s[j] == '/')
        return -1;
      zs_rune(s + j, len - j, &size);
      j += size;
      i++;
      continue;
    }
    if (ch == '\\' && ++i >= clen)
      return -1;
    if (c[i] != s[j])
      return -1;
    i++;
    j++;
  }
  return (int)j;
}

/* end of the chunk starting at p: the next '*' outside a [class] */
static unsigned zs_glob_scan(const char *pat, unsigned len, unsigned p)
{
  int in_class = 0;
  for (; p < len; p++) {
    if (pat[p] == '\\' && p + 1 < len)
      p++;
    else if (pat[p] == '[')
      in_class = 1;
    else if (pat[p] == ']')
      in_class = 0;
    else if (pat[p] == '*' && !in_class)
      break;
  }
  return p;
}

/* after a star: the first position (not past a '/') where the chunk
 * matches; returns the new offset in s or -1 */
static int zs_glob_after_star(const char *c, unsigned clen, const char *s, unsigned len,
                              unsigned n, int last)
{
  for (unsigned i = n; i < len && s[i] != '/'; i++) {
    int k = zs_glob_chunk(c, clen, s + i + 1, len - i - 1);
    if (k < 0 || (last && i + 1 + (unsigned)k < len))
      continue;
    return (int)(i + 1 + (unsigned)k);
  }
  return -1;
}

/* Go's path.Match, chunk by chunk as Go does it */
__attribute__((noinline)) int zs_glob_match(const char *pat, unsigned pat_len, const char *s, unsigned len)
{
  unsigned p = 0, n = 0;
  while (p < pat_len) {
    int star = 0;
    for (; p < pat_len && pat[p] == '*'; p++)
      star = 1;
    unsigned start = p;
    p = zs_glob_scan(pat, pat_len, p);
    if (star && start == p) {
      for (; n < len; n++)
        if (s[n] == '/')
          return 0;
      return 1;
    }
    int k = zs_glob_chunk(pat + start, p - start, s + n, len - n);
    if (k >= 0 && (n + (unsigned)k == len || p < pat_len)) {
      n += (unsigned)k;
      continue;
    }
    if (!star)
      return 0;
    k = zs_glob_after_star(pat + start, p - start, s, len, n, p >= pat_len);
    if (k < 0)
      return 0;
    n = (unsigned)k;
  }
  return n == len;
}
