/* Go-compatible UTF-8 and white space (see rune.h). Shortest form only, no
 * surrogates, nothing past U+10FFFF: anything else is one RUNE_ERROR byte. */
#include "rune.h"

static bool rune_cont(unsigned char c)
{
  return (c & 0xc0) == 0x80;
}

/* The range the second byte of a multi-byte sequence must fall in, which is
 * where overlong forms, surrogates and values past U+10FFFF are refused. */
static bool rune_second_ok(unsigned char lead, unsigned char c)
{
  if (lead == 0xe0) return c >= 0xa0 && c <= 0xbf;
  if (lead == 0xed) return c >= 0x80 && c <= 0x9f;
  if (lead == 0xf0) return c >= 0x90 && c <= 0xbf;
  if (lead == 0xf4) return c >= 0x80 && c <= 0x8f;
  return rune_cont(c);
}

uint32_t rune_decode(const unsigned char *s, size_t len, size_t *size)
{
  unsigned char c = s[0];
  size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  *size = 1;
  if (n == 1)
    return c;
  if (n == 0 || len < n || !rune_second_ok(c, s[1]))
    return RUNE_ERROR;
  uint32_t r = c & (0x7f >> n);
  for (size_t i = 1; i < n; i++) {
    if (!rune_cont(s[i]))
      return RUNE_ERROR;
    r = r << 6 | (s[i] & 0x3f);
  }
  *size = n;
  return r;
}

uint32_t rune_decode_last(const unsigned char *s, size_t len, size_t *size)
{
  *size = 1;
  if (s[len - 1] < 0x80)
    return s[len - 1];
  size_t start = len - 1, lim = len > 4 ? len - 4 : 0;
  while (start > lim && rune_cont(s[start]))
    start--;
  size_t n;
  uint32_t r = rune_decode(s + start, len - start, &n);
  if (start + n != len)
    return RUNE_ERROR;
  *size = n;
  return r;
}

size_t rune_encode(uint32_t r, unsigned char *buf)
{
  if (r < 0x80)
    return buf[0] = (unsigned char)r, 1;
  if (r < 0x800) {
    buf[0] = (unsigned char)(0xc0 | r >> 6);
    buf[1] = (unsigned char)(0x80 | (r & 0x3f));
    return 2;
  }
  if (r < 0x10000) {
    buf[0] = (unsigned char)(0xe0 | r >> 12);
    buf[1] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
    buf[2] = (unsigned char)(0x80 | (r & 0x3f));
    return 3;
  }
  buf[0] = (unsigned char)(0xf0 | r >> 18);
  buf[1] = (unsigned char)(0x80 | (r >> 12 & 0x3f));
  buf[2] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
  buf[3] = (unsigned char)(0x80 | (r & 0x3f));
  return 4;
}

bool rune_is_space(uint32_t r)
{
  if (r <= 0xff)
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xa0;
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f ||
         r == 0x205f || r == 0x3000;
}
