/* The string work of Caddy's rewrite handler (rewrite.h): Go's url escaping
 * rules, buildQueryString's joining, trimPathSuffix and strings.Replace. */
#include "rewrite.h"

#include <errno.h>
#include <string.h>

#include "../abi/helpers.h"

static const char rewrite_hex_digits[] = "0123456789ABCDEF";

static int rewrite_hex(int ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch |= 0x20;
  return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int rewrite_fold(int ch)
{
  return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int rewrite_alnum(unsigned char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

enum { REWRITE_QUERY, REWRITE_PATH, REWRITE_SEGMENTS };

/* Go's shouldEscape: unreserved bytes stay; in a path also the reserved ones
 * but '?'; in a segment (PathEscape) those but '/', ';' and ',', where the
 * file matcher's path keeps its '/' */
static int rewrite_keeps(unsigned char ch, int mode)
{
  if (rewrite_alnum(ch) || (ch && strchr("-_.~", ch)))
    return 1;
  if (mode == REWRITE_PATH)
    return ch && strchr("$&+,/:;=@", ch);
  return mode == REWRITE_SEGMENTS && ch && strchr("$&+:=@/", ch);
}

static long rewrite_escape(const char *s, size_t n, char *out, size_t cap, int mode)
{
  int path = mode != REWRITE_QUERY;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (w + 3 > cap)
      return -ENOSPC;
    if (rewrite_keeps(ch, mode)) {
      out[w++] = (char)ch;
    } else if (ch == ' ' && !path) {
      out[w++] = '+';
    } else {
      out[w++] = '%';
      out[w++] = rewrite_hex_digits[ch >> 4];
      out[w++] = rewrite_hex_digits[ch & 15];
    }
  }
  return (long)w;
}

long rewrite_query_escape(const char *s, size_t n, char *out, size_t cap)
{
  return rewrite_escape(s, n, out, cap, REWRITE_QUERY);
}

long rewrite_path_escape(const char *s, size_t n, char *out, size_t cap)
{
  return rewrite_escape(s, n, out, cap, REWRITE_PATH);
}

long rewrite_segments_escape(const char *s, size_t n, char *out, size_t cap)
{
  return rewrite_escape(s, n, out, cap, REWRITE_SEGMENTS);
}

static long rewrite_unescape(const char *s, size_t n, char *out, int plus_is_space)
{
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '+' && plus_is_space) {
      out[w++] = ' ';
      continue;
    }
    if (s[i] != '%') {
      out[w++] = s[i];
      continue;
    }
    int hi = i + 2 < n ? rewrite_hex((unsigned char)s[i + 1]) : -1;
    int lo = i + 2 < n ? rewrite_hex((unsigned char)s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return -EINVAL;
    out[w++] = (char)(hi << 4 | lo);
    i += 2;
  }
  return (long)w;
}

long rewrite_path_unescape(const char *s, size_t n, char *out)
{
  return rewrite_unescape(s, n, out, 0);
}

long rewrite_query_unescape(const char *s, size_t n, char *out)
{
  return rewrite_unescape(s, n, out, 1);
}

size_t rewrite_query_join(const char *s, size_t n, char *out)
{
  size_t w = 0;
  for (size_t i = 0; i < n;) {
    char mark = i == 0 && s[0] != ZS_QUERY_KEY && s[0] != ZS_QUERY_VALUE ? ZS_QUERY_KEY : s[i++];
    size_t end = i;
    while (end < n && s[end] != ZS_QUERY_KEY && s[end] != ZS_QUERY_VALUE)
      end++;
    if (mark == ZS_QUERY_VALUE)
      out[w++] = '=';
    else if (w > 0 && end > i)
      out[w++] = '&';
    memcpy(out + w, s + i, end - i);
    w += end - i;
    i = end;
  }
  return w;
}

long rewrite_query_mark(const char *s, size_t n, char *out, size_t cap)
{
  size_t w = 0;
  int key = 1;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (w + 3 > cap)
      return -ENOSPC;
    if (ch == '&') {
      out[w++] = ZS_QUERY_KEY;
      key = 1;
    } else if (ch == '=' && key) {
      out[w++] = ZS_QUERY_VALUE;
      key = 0;
    } else if (ch == '{' || ch == '}') {
      out[w++] = '%';
      out[w++] = '7';
      out[w++] = ch == '{' ? 'B' : 'D';
    } else {
      out[w++] = ch;
    }
  }
  return (long)w;
}

long rewrite_suffix_match(const char *raw, size_t n, const char *suffix, size_t suffix_len)
{
  size_t i = n, k = suffix_len;
  while (i > 0 && k > 0) {
    int ch = (unsigned char)raw[i - 1];
    size_t step = 1;
    if (i >= 3 && raw[i - 3] == '%' && !(k >= 3 && suffix[k - 3] == '%')) {
      int hi = rewrite_hex((unsigned char)raw[i - 2]), lo = rewrite_hex((unsigned char)raw[i - 1]);
      if (hi < 0 || lo < 0)
        return -1;
      ch = hi << 4 | lo;
      step = 3;
    }
    if (rewrite_fold(ch) != rewrite_fold((unsigned char)suffix[k - 1]))
      return -1;
    i -= step;
    k--;
  }
  return k == 0 ? (long)i : -1;
}

long rewrite_replace(const char *s, size_t n, const char *find, size_t find_len, const char *with,
                     size_t with_len, long limit, char *out, size_t cap)
{
  size_t w = 0, i = 0;
  long done = 0;
  while (i < n) {
    const char *hit = (limit <= 0 || done < limit) ? memmem(s + i, n - i, find, find_len) : NULL;
    size_t keep = hit ? (size_t)(hit - (s + i)) : n - i;
    if (keep > cap - w || (hit && with_len > cap - w - keep))
      return -ENOSPC;
    memcpy(out + w, s + i, keep);
    w += keep;
    i += keep;
    if (!hit)
      break;
    memcpy(out + w, with, with_len);
    w += with_len;
    i += find_len;
    done++;
  }
  return (long)w;
}
