/* Caddy's path matcher: the request path, lowercased by the runtime, is
 * cleaned the way Caddy cleans it (Go's path.Clean keeping a trailing slash,
 * optionally keeping doubled slashes) into the heap, then compared. */
#include "zs.h"

#define ZS_PATH_MARK ((char)0xff)   /* stands for an empty segment between "//" */
#define ZS_PATH_HALF (ZS_CAGE_HEAP_SIZE / 2)

/* `..` at r: drop the last element written, or keep `..` when unrooted */
static unsigned zs_path_dotdot(char *dst, unsigned w, unsigned *dotdot, int rooted)
{
  if (w > *dotdot) {
    w--;
    while (w > *dotdot && dst[w] != '/')
      w--;
    return w;
  }
  if (rooted)
    return w;
  if (w > 0)
    dst[w++] = '/';
  dst[w++] = '.';
  dst[w++] = '.';
  *dotdot = w;
  return w;
}

/* Go's path.Clean into dst; returns its length */
static unsigned zs_path_go_clean(const char *p, unsigned n, char *dst)
{
  if (n == 0) {
    dst[0] = '.';
    return 1;
  }
  int rooted = p[0] == '/';
  unsigned r = 0, w = 0, dotdot = 0;
  if (rooted) {
    dst[w++] = '/';
    r = dotdot = 1;
  }
  while (r < n) {
    if (p[r] == '/') {
      r++;
    } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
      r++;
    } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
      r += 2;
      w = zs_path_dotdot(dst, w, &dotdot, rooted);
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0))
        dst[w++] = '/';
      for (; r < n && p[r] != '/'; r++)
        dst[w++] = p[r];
    }
  }
  if (w == 0)
    dst[w++] = '.';
  return w;
}

/* copy with a mark between two slashes, so Clean keeps the empty segment */
static unsigned zs_path_mark_empty(const char *src, unsigned len, char *dst)
{
  unsigned w = 0;
  for (unsigned i = 0; i < len; i++) {
    if (src[i] == '/' && i > 0 && src[i - 1] == '/')
      dst[w++] = ZS_PATH_MARK;
    dst[w++] = src[i];
  }
  return w;
}

static unsigned zs_path_drop_marks(char *s, unsigned len)
{
  unsigned w = 0;
  for (unsigned i = 0; i < len; i++)
    if (s[i] != ZS_PATH_MARK)
      s[w++] = s[i];
  return w;
}

/* Caddy's CleanPath: dst needs 2 * len + 2 bytes when keep_slashes, and a
 * scratch area of the same size right after it */
__attribute__((noinline)) unsigned zs_path_clean(const char *src, unsigned len, char *dst, int keep_slashes)
{
  if (keep_slashes) {
    char *marked = dst + 2 * len + 2;
    len = zs_path_mark_empty(src, len, marked);
    src = marked;
  }
  unsigned w = zs_path_go_clean(src, len, dst);
  if (len > 0 && src[len - 1] == '/' && !(w == 1 && dst[0] == '/'))
    dst[w++] = '/';
  if (keep_slashes)
    w = zs_path_drop_marks(dst, w);
  return w;
}

__attribute__((noinline)) int zs_path_match(const struct zs_req *req, const char *pat, unsigned pat_len,
                                            unsigned kind)
{
  unsigned len = req->path_lc.len;
  if (len > ZS_PATH_HALF / 2 - 2)
    return 0;
  char *buf = (char *)(unsigned long)ZS_CAGE_HEAP_OFF;
  len = zs_path_clean(ZS_PTR(req->path_lc.ptr), len, buf, (kind & ZS_PATH_KEEP_SLASHES) != 0);
  return zs_str_match(buf, len, pat, pat_len, kind & 0xff);
}
