/* Caddy's file matcher (file_match.h): Go's path.Clean and firstSplit on the
 * candidate, caddyhttp.SanitizedPathJoin under the root, a stat, and the try
 * policy's choice. */
#include "file_match.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "../abi/helpers.h"
#include "files.h"

/* path.Clean of a rooted path into out ("/" + files_clean_path, without the
 * trailing slash Clean drops); a candidate without a leading '/' ends up in
 * the same place under the root */
static long file_match_clean(const char *p, size_t n, char *out, size_t cap)
{
  if (cap < 2)
    return -ENAMETOOLONG;
  out[0] = '/';
  int c = files_clean_path(p, n, out + 1, cap - 1);
  if (c < 0)
    return c;
  size_t len = (size_t)c + 1;
  if (len > 1 && out[len - 1] == '/')
    len--;
  return (long)len;
}

int file_match_begin(struct file_match *m, unsigned policy, const char *root, size_t root_len,
                     const char *split, size_t split_len)
{
  m->policy = policy;
  m->active = 1;
  m->found = 0;
  m->size = 0;
  m->full_len = m->rest_len = 0;
  m->split = split;
  m->split_len = split_len;
  if (root_len == 0) {
    root = ".";
    root_len = 1;
  }
  /* filepath.Clean: a relative root stays relative ("." for itself) */
  long n = file_match_clean(root, root_len, m->root, sizeof m->root);
  if (n < 0)
    return (int)n;
  if (root[0] != '/') {
    memmove(m->root, m->root + 1, (size_t)n - 1);
    n = n > 1 ? n - 1 : 0;
    if (n == 0)
      m->root[n++] = '.';
  }
  m->root_len = (size_t)n;
  return 0;
}

static int file_match_fold(int ch)
{
  return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* Caddy's indexFold, which never looks at the last possible position */
static long file_match_index_fold(const char *s, size_t n, const char *needle, size_t k)
{
  for (size_t i = 0; i + k < n; i++) {
    size_t j = 0;
    while (j < k && file_match_fold((unsigned char)s[i + j]) == file_match_fold((unsigned char)needle[j]))
      j++;
    if (j == k)
      return (long)i;
  }
  return -1;
}

/* firstSplit: where the path ends its first split_path piece (a whole file
 * name), or n when none does */
static size_t file_match_split_at(const struct file_match *m, const char *p, size_t n)
{
  for (size_t at = 0; at < m->split_len;) {
    const char *s = m->split + at;
    size_t k = strnlen(s, m->split_len - at);
    long i = file_match_index_fold(p, n, s, k);
    at += k + 1;
    if (i < 0)
      continue;
    size_t pos = (size_t)i + k;
    if (pos != n && p[pos] != '/')
      continue;
    return pos;
  }
  return n;
}

/* SanitizedPathJoin(root, rel): filepath.Join, the trailing '/' put back */
static long file_match_join(const struct file_match *m, const char *rel, size_t n, int slash, char *out,
                            size_t cap)
{
  /* rel is a cleaned rooted path: its tail after '/' is what Join appends */
  const char *tail = rel + 1;
  size_t tail_len = n - 1, w = 0;
  int dot = m->root_len == 1 && m->root[0] == '.', top = m->root_len == 1 && m->root[0] == '/';
  if (m->root_len + tail_len + 3 > cap)
    return -ENAMETOOLONG;
  if (!(dot && tail_len > 0)) {
    memcpy(out, m->root, m->root_len);
    w = m->root_len;
  }
  if (tail_len > 0) {
    if (!dot && !top)
      out[w++] = '/';
    memcpy(out + w, tail, tail_len);
    w += tail_len;
  }
  if (slash)
    out[w++] = '/';
  out[w] = '\0';
  return (long)w;
}

/* does this stat win over the candidate picked so far? */
static int file_match_better(const struct file_match *m, const struct stat *sb, int strict_dir)
{
  switch (m->policy) {
  case ZS_FILE_LARGEST: return sb->st_size > (m->found ? m->size : 0);
  case ZS_FILE_SMALLEST: return !m->found || m->size == 0 || sb->st_size < m->size;
  case ZS_FILE_RECENT:
    return !m->found || sb->st_mtim.tv_sec > m->mtime.tv_sec ||
           (sb->st_mtim.tv_sec == m->mtime.tv_sec && sb->st_mtim.tv_nsec > m->mtime.tv_nsec);
  default: return strict_dir == S_ISDIR(sb->st_mode);   /* first_exist: strictFileExists */
  }
}

int file_match_try(struct file_match *m, const char *cand, size_t len, unsigned flags)
{
  char clean[PATH_MAX], full[PATH_MAX];
  int first = m->policy == ZS_FILE_FIRST_EXIST || m->policy == ZS_FILE_FIRST_EXIST_FALLBACK;
  int unseen = m->policy == ZS_FILE_FIRST_EXIST_FALLBACK && (flags & ZS_FILE_LAST);
  if (!m->active || (first && m->found))
    return 0;
  if (memchr(cand, '\0', len))
    return -EINVAL;
  long c = file_match_clean(cand, len, clean, sizeof clean - 1);
  if (c < 0)
    return (int)c;
  size_t at = file_match_split_at(m, clean, (size_t)c);
  /* the joined path ends in '/' when the pattern did, or when it cleaned to "/" */
  int slash = (flags & ZS_FILE_DIR) || at == 1;
  long f = file_match_join(m, clean, at, slash, full, sizeof full);
  if (f < 0)
    return (int)f;
  struct stat sb = {0};
  if (!unseen && (stat(full, &sb) < 0 || !file_match_better(m, &sb, full[f - 1] == '/')))
    return 0;
  memcpy(m->full, full, (size_t)f + 1);
  m->full_len = (size_t)f;
  memcpy(m->rest, clean + at, (size_t)c - at);
  m->rest_len = (size_t)c - at;
  m->dir = S_ISDIR(sb.st_mode);
  m->size = sb.st_size;
  m->mtime = sb.st_mtim;
  m->found = 1;
  return 0;
}

const char *file_match_relative(const struct file_match *m, size_t *len)
{
  size_t k = m->root_len;
  if (m->full_len >= k && memcmp(m->full, m->root, k) == 0) {
    *len = m->full_len - k;
    return m->full + k;
  }
  *len = m->full_len;
  return m->full;
}
