/* file_server browse: a directory without an index file listed as Caddy 2.6
 * lists it: entries not hidden, lstat'ed (a symlink takes its target's size
 * and, for a directory, a trailing slash), sorted by the sort/order query
 * parameters or the cookies that remember them, cut by offset/limit, written
 * as JSON when Accept asks for it (Caddy's fields) or as an HTML page of our
 * own with the same information. The answer is built in a memfd and sent
 * like a file. A directory is read in one go (getdents on a local folder
 * does not wait on the network), its first file_limit entries (10000 by
 * default) in directory order as Go's ReadDir(n) reads them, hidden ones
 * counted: the rest are not listed, as in Caddy. */
#include "files_browse.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "files_cond.h"
#include "loader.h"

struct browse_item {
  char name[NAME_MAX + 2];     /* a directory's with its trailing slash */
  int64_t size;
  struct timespec mtime;
  uint32_t mode;               /* Go's fs.FileMode bits */
  bool is_dir, is_symlink;
};

struct browse_list {
  struct browse_item *items;
  unsigned *order, *tmp;       /* indices, sorted; merge space */
  size_t count, dirs;
  size_t map_len;
};

/* Go's fs.FileMode of a stat mode */
static uint32_t browse_go_mode(mode_t m)
{
  uint32_t v = m & 0777;
  switch (m & S_IFMT) {
  case S_IFDIR: v |= 1u << 31; break;
  case S_IFLNK: v |= 1u << 27; break;
  case S_IFIFO: v |= 1u << 25; break;
  case S_IFSOCK: v |= 1u << 24; break;
  case S_IFBLK: v |= 1u << 26; break;
  case S_IFCHR: v |= 1u << 26 | 1u << 21; break;
  default: break;
  }
  return v | (m & S_ISUID ? 1u << 23 : 0) | (m & S_ISGID ? 1u << 22 : 0) | (m & S_ISVTX ? 1u << 20 : 0);
}

/* one entry, as Caddy's directoryListing takes it; 0 when it is skipped */
static int browse_item_read(int dirfd, const char *name, struct browse_item *it)
{
  struct stat st, target;
  size_t n = strlen(name);
  if (n > NAME_MAX || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  it->is_symlink = S_ISLNK(st.st_mode);
  int followed = it->is_symlink && fstatat(dirfd, name, &target, 0) == 0;
  it->is_dir = S_ISDIR(st.st_mode) || (followed && S_ISDIR(target.st_mode));
  it->size = followed ? target.st_size : st.st_size;
  it->mtime = st.st_mtim;
  it->mode = browse_go_mode(st.st_mode);
  memcpy(it->name, name, n);
  it->name[n] = '/';
  it->name[n + (it->is_dir ? 1 : 0)] = '\0';
  return 1;
}

static void browse_list_free(struct browse_list *l)
{
  if (l->items)
    munmap(l->items, l->map_len);
}

/* the directory's first entries; -ENOMEM or -errno */
static int browse_list_read(const struct blob *blob, const struct zs_file_server *rec, int fd,
                            struct browse_list *l)
{
  l->map_len = FILES_BROWSE_MAX * (sizeof *l->items + 2 * sizeof *l->order);
  void *map = mmap(NULL, l->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED)
    return -ENOMEM;
  l->items = map;
  l->order = (unsigned *)(l->items + FILES_BROWSE_MAX);
  l->tmp = l->order + FILES_BROWSE_MAX;
  int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
  if (!d) {
    if (dfd >= 0)
      close(dfd);
    return -errno;
  }
  int rc = 0;
  size_t limit = rec->file_limit ? rec->file_limit : FILES_BROWSE_MAX, read = 0;
  for (struct dirent *e; read < limit && (e = readdir(d)) != NULL;) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    read++;
    if (files_hidden_name(blob, rec, e->d_name))
      continue;
    if (browse_item_read(dirfd(d), e->d_name, &l->items[l->count])) {
      l->dirs += l->items[l->count].is_dir;
      l->order[l->count] = (unsigned)l->count;
      l->count++;
    }
  }
  closedir(d);
  return rc;
}

/* ---- sort, order, limit, offset ---- */

enum browse_sort { BROWSE_NONE, BROWSE_NAME, BROWSE_NAME_DIR_FIRST, BROWSE_SIZE, BROWSE_TIME };

struct browse_query {
  enum browse_sort sort;
  bool desc;
  long long offset, limit;     /* 0: none */
  char sort_cookie[16], order_cookie[8];   /* Set-Cookie values ("" none) */
};

static int browse_name_cmp(const struct browse_item *a, const struct browse_item *b)
{
  for (size_t i = 0;; i++) {
    unsigned char x = (unsigned char)a->name[i], y = (unsigned char)b->name[i];
    x = x >= 'A' && x <= 'Z' ? (unsigned char)(x + 32) : x;
    y = y >= 'A' && y <= 'Z' ? (unsigned char)(y + 32) : y;
    if (x != y || !x)
      return (int)x - (int)y;
  }
}

/* Caddy's Less of each sort: true when a goes before b */
static bool browse_less(enum browse_sort s, const struct browse_item *a, const struct browse_item *b)
{
  switch (s) {
  case BROWSE_NAME: return browse_name_cmp(a, b) < 0;
  case BROWSE_NAME_DIR_FIRST: return a->is_dir == b->is_dir ? browse_name_cmp(a, b) < 0 : a->is_dir;
  case BROWSE_SIZE: {
    if (a->is_dir && b->is_dir)
      return browse_name_cmp(a, b) < 0;
    int64_t x = a->is_dir ? -(1ll << 31) : a->size, y = b->is_dir ? -(1ll << 31) : b->size;
    return x < y;
  }
  case BROWSE_TIME:
    return a->mtime.tv_sec != b->mtime.tv_sec ? a->mtime.tv_sec < b->mtime.tv_sec
                                               : a->mtime.tv_nsec < b->mtime.tv_nsec;
  default: return false;
  }
}

/* a stable merge sort of the indices: Go sorts up to 12 items by insertion,
 * which keeps equal ones in directory order, as this does at any size */
static void browse_sort(struct browse_list *l, const struct browse_query *q)
{
  for (size_t width = 1; width < l->count; width *= 2) {
    for (size_t lo = 0; lo < l->count; lo += 2 * width) {
      size_t mid = lo + width < l->count ? lo + width : l->count;
      size_t hi = lo + 2 * width < l->count ? lo + 2 * width : l->count;
      size_t i = lo, j = mid, k = lo;
      while (i < mid || j < hi) {
        const struct browse_item *a = i < mid ? &l->items[l->order[i]] : NULL;
        const struct browse_item *b = j < hi ? &l->items[l->order[j]] : NULL;
        bool take_b = a && b ? (q->desc ? browse_less(q->sort, a, b) : browse_less(q->sort, b, a)) : !a;
        l->tmp[k++] = take_b ? l->order[j++] : l->order[i++];
      }
    }
    unsigned *swap = l->order;
    l->order = l->tmp;
    l->tmp = swap;
  }
}

static int browse_hex(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Go's QueryUnescape into out (NUL-terminated); -1 for a bad escape or no room */
static int browse_unescape(const char *s, size_t n, char *out, size_t cap)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      int h = i + 2 < n ? browse_hex(s[i + 1]) : -1, m = i + 2 < n ? browse_hex(s[i + 2]) : -1;
      if (h < 0 || m < 0)
        return -1;
      c = (char)(h * 16 + m);
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (k + 1 >= cap)
      return -1;
    out[k++] = c;
  }
  out[k] = '\0';
  return 0;
}

/* url.Values.Get over the raw query: the first well-formed pair named key */
static int browse_query_get(const char *q, size_t n, const char *key, char *out, size_t cap)
{
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && q[j] != '&')
      j++;
    const char *eq = memchr(q + i, '=', j - i);
    size_t kn = eq ? (size_t)(eq - q - i) : j - i;
    char name[32];
    if (!memchr(q + i, ';', j - i) && browse_unescape(q + i, kn, name, sizeof name) == 0 && !strcmp(name, key) &&
        browse_unescape(eq ? eq + 1 : q + j, eq ? (size_t)(q + j - eq - 1) : 0, out, cap) == 0)
      return 1;
    i = j + 1;
  }
  return 0;
}

/* r.Cookie(name): the first cookie of that name in the Cookie fields, quotes removed */
static int browse_cookie(const struct http_request *req, const char *name, char *out, size_t cap)
{
  size_t nl = strlen(name);
  for (size_t h = 0; h < req->header_count; h++) {
    if (req->headers[h].name_len != 6 || strncasecmp(req->headers[h].name, "Cookie", 6) != 0)
      continue;
    const char *v = req->headers[h].value, *end = v + req->headers[h].value_len;
    while (v < end) {
      while (v < end && (*v == ' ' || *v == ';'))
        v++;
      const char *semi = memchr(v, ';', (size_t)(end - v));
      const char *stop = semi ? semi : end, *eq = memchr(v, '=', (size_t)(stop - v));
      if (eq && (size_t)(eq - v) == nl && !memcmp(v, name, nl)) {
        const char *val = eq + 1;
        size_t len = (size_t)(stop - val);
        while (len && val[len - 1] == ' ')
          len--;
        if (len >= 2 && val[0] == '"' && val[len - 1] == '"')
          val++, len -= 2;
        if (len >= cap || memchr(val, '"', len) || memchr(val, '\\', len) || memchr(val, ' ', len))
          return 0;
        memcpy(out, val, len);
        out[len] = '\0';
        return 1;
      }
      v = stop;
    }
  }
  return 0;
}

static enum browse_sort browse_sort_named(const char *s)
{
  return !strcmp(s, "name") ? BROWSE_NAME : !strcmp(s, "namedirfirst") ? BROWSE_NAME_DIR_FIRST
         : !strcmp(s, "size") ? BROWSE_SIZE : !strcmp(s, "time") ? BROWSE_TIME : BROWSE_NONE;
}

/* strconv.Atoi, 0 for anything it refuses */
static long long browse_atoi(const char *s)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  return s[0] && s[0] != ' ' && !*end && errno == 0 && (s[0] != '+' || s[1] != '-') ? v : 0;
}

/* Caddy's browseApplyQueryParams */
static void browse_query_read(const struct http_request *req, struct browse_query *q)
{
  const char *qm = memchr(req->target, '?', req->target_len);
  const char *query = qm ? qm + 1 : "";
  size_t qn = qm ? (size_t)(req->target + req->target_len - qm - 1) : 0;
  char sort[64] = "", order[64] = "", v[32] = "";
  browse_query_get(query, qn, "sort", sort, sizeof sort);
  browse_query_get(query, qn, "order", order, sizeof order);
  *q = (struct browse_query){ 0 };
  if (!sort[0]) {
    snprintf(sort, sizeof sort, "namedirfirst");
    browse_cookie(req, "sort", sort, sizeof sort);
  } else if (browse_sort_named(sort) != BROWSE_NONE) {
    snprintf(q->sort_cookie, sizeof q->sort_cookie, "%s", sort);
  }
  if (!order[0]) {
    browse_cookie(req, "order", order, sizeof order);
  } else if (!strcmp(order, "asc") || !strcmp(order, "desc")) {
    snprintf(q->order_cookie, sizeof q->order_cookie, "%s", order);
  }
  q->sort = browse_sort_named(sort);
  q->desc = !strcmp(order, "desc");
  if (browse_query_get(query, qn, "offset", v, sizeof v))
    q->offset = browse_atoi(v);
  v[0] = '\0';
  if (browse_query_get(query, qn, "limit", v, sizeof v))
    q->limit = browse_atoi(v);
}

/* ---- output ---- */

struct browse_out {
  int fd;                      /* the memfd */
  char buf[16384];
  size_t len;
  uint64_t total;
  int err;
};

static void browse_flush(struct browse_out *o)
{
  for (size_t at = 0; at < o->len && !o->err;) {
    ssize_t n = write(o->fd, o->buf + at, o->len - at);
    if (n <= 0)
      o->err = -ENOSPC;
    else
      at += (size_t)n;
  }
  o->total += o->len;
  o->len = 0;
}

static void browse_put(struct browse_out *o, const char *s, size_t n)
{
  while (n > 0) {
    if (o->len == sizeof o->buf)
      browse_flush(o);
    size_t k = n < sizeof o->buf - o->len ? n : sizeof o->buf - o->len;
    memcpy(o->buf + o->len, s, k);
    o->len += k;
    s += k;
    n -= k;
  }
}

#define BROWSE_LIT(o, s) browse_put(o, s, sizeof s - 1)

static void browse_printf(struct browse_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void browse_printf(struct browse_out *o, const char *fmt, ...)
{
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  browse_put(o, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* the length of the UTF-8 sequence at s (n bytes left), 0 when invalid */
static size_t browse_utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
  size_t len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
  if (!len || len > n)
    return 0;
  unsigned v = s[0] & (0x7f >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };
  if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
    return 0;
  *cp = v;
  return len;
}

/* a JSON string as Go's encoding/json writes it (HTML-safe, invalid UTF-8 as U+FFFD) */
static void browse_json_string(struct browse_out *o, const char *s)
{
  BROWSE_LIT(o, "\"");
  for (size_t i = 0, n = strlen(s); i < n;) {
    unsigned char c = (unsigned char)s[i];
    unsigned cp;
    if (c < 0x80) {
      if (c == '"' || c == '\\')
        browse_printf(o, "\\%c", c);
      else if (c == '\n' || c == '\r' || c == '\t')
        browse_put(o, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t", 2);   /* two bytes each */
      else if (c < 0x20 || c == '<' || c == '>' || c == '&')
        browse_printf(o, "\\u%04x", c);
      else
        browse_put(o, (const char *)&c, 1);
      i++;
      continue;
    }
    size_t len = browse_utf8_len((const unsigned char *)s + i, n - i, &cp);
    if (!len)
      BROWSE_LIT(o, "\\ufffd"), i++;
    else if (cp == 0x2028 || cp == 0x2029)
      browse_printf(o, "\\u%04x", cp), i += len;
    else
      browse_put(o, s + i, len), i += len;
  }
  BROWSE_LIT(o, "\"");
}

static void browse_html_text(struct browse_out *o, const char *s, size_t n);

/* "./" + name as url.URL{Path: ...}.String() escapes it, into out */
static void browse_url_text(const char *name, char *out, size_t cap)
{
  size_t k = (size_t)snprintf(out, cap, "./");
  for (const unsigned char *p = (const unsigned char *)name; *p && k + 4 < cap; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~$&+,/:;=@", *p))
      out[k++] = (char)*p;
    else
      k += (size_t)snprintf(out + k, cap - k, "%%%02X", *p);
  }
  out[k] = '\0';
}

static void browse_url(struct browse_out *o, const char *name, int json)
{
  char url[3 * NAME_MAX + 16];
  browse_url_text(name, url, sizeof url);
  if (json)
    browse_json_string(o, url);
  else
    browse_html_text(o, url, strlen(url));
}

/* time.Time's RFC 3339 with nanoseconds, trailing zeros dropped, in UTC */
static void browse_time(struct browse_out *o, const struct timespec *t)
{
  struct tm tm;
  time_t sec = t->tv_sec;
  gmtime_r(&sec, &tm);
  char frac[16] = "";
  if (t->tv_nsec) {
    snprintf(frac, sizeof frac, ".%09ld", t->tv_nsec);
    for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
      frac[n - 1] = '\0';
  }
  browse_printf(o, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, frac);
}

static void browse_write_json(struct browse_out *o, const struct browse_list *l, size_t from, size_t to)
{
  BROWSE_LIT(o, "[");
  for (size_t i = from; i < to; i++) {
    const struct browse_item *it = &l->items[l->order[i]];
    if (i > from)
      BROWSE_LIT(o, ",");
    BROWSE_LIT(o, "{\"name\":");
    browse_json_string(o, it->name);
    browse_printf(o, ",\"size\":%lld,\"url\":", (long long)it->size);
    browse_url(o, it->name, 1);
    BROWSE_LIT(o, ",\"mod_time\":\"");
    browse_time(o, &it->mtime);
    browse_printf(o, "\",\"mode\":%u,\"is_dir\":%s,\"is_symlink\":%s}", it->mode, it->is_dir ? "true" : "false",
                  it->is_symlink ? "true" : "false");
  }
  BROWSE_LIT(o, "]\n");
}

/* ---- the HTML page: our own markup, Caddy's information ---- */

/* text with HTML's special characters escaped */
static void browse_html_text(struct browse_out *o, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const char *e = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : s[i] == '"' ? "&#34;"
                    : s[i] == '\'' ? "&#39;" : NULL;
    if (e)
      browse_put(o, e, strlen(e));
    else
      browse_put(o, s + i, 1);
  }
}

/* humanize.IBytes, as Caddy's listing shows sizes */
static void browse_human_size(struct browse_out *o, int64_t size)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  if (size < 10) {
    browse_printf(o, "%lld B", (long long)size);
    return;
  }
  double v = (double)size;
  unsigned e = 0;
  while (v >= 1024 && e < 6)
    v /= 1024, e++;
  double r = (double)(long long)(v * 10 + 0.5) / 10;
  browse_printf(o, r < 10 ? "%.1f %s" : "%.0f %s", r, units[e]);
}

/* a column heading that sorts by it, flipping the order when it is the current one */
static void browse_html_heading(struct browse_out *o, const char *label, const char *sort, enum browse_sort s,
                                const struct browse_query *q)
{
  int current = q->sort == s;
  browse_printf(o, "<th><a href=\"?sort=%s&amp;order=%s\">%s</a>%s</th>", sort,
                current && !q->desc ? "desc" : "asc", label, current ? (q->desc ? " &#8595;" : " &#8593;") : "");
}

static void browse_html_crumbs(struct browse_out *o, const char *path)
{
  size_t n = strlen(path), depth = 0;
  while (n > 1 && path[n - 1] == '/')
    n--;
  for (size_t i = 1; i < n; i++)
    depth += path[i] == '/';
  depth += n > 1;
  BROWSE_LIT(o, "<a href=\"");
  for (size_t d = 0; d < depth; d++)
    BROWSE_LIT(o, "../");
  BROWSE_LIT(o, "\">/</a>");
  for (size_t i = 1, d = depth; i < n; d--) {
    size_t j = i;
    while (j < n && path[j] != '/')
      j++;
    BROWSE_LIT(o, "<a href=\"");
    for (size_t k = 1; k < d; k++)
      BROWSE_LIT(o, "../");
    if (d > 1)
      BROWSE_LIT(o, "\">");
    else
      BROWSE_LIT(o, "./\">");
    browse_html_text(o, path + i, j - i);
    BROWSE_LIT(o, "</a>/");
    i = j + 1;
  }
}

static void files_browse_html(struct browse_out *o, const struct browse_list *l, size_t from, size_t to,
                              const char *path, const struct browse_query *q)
{
  BROWSE_LIT(o, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  browse_html_text(o, path, strlen(path));
  BROWSE_LIT(o, "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                "td,th{padding:.2em 1em;text-align:left}td.size{text-align:right}</style>\n</head>\n<body>\n<h1>");
  browse_html_crumbs(o, path);
  browse_printf(o, "</h1>\n<p>%zu director%s, %zu file%s</p>\n<table>\n<tr>", l->dirs, l->dirs == 1 ? "y" : "ies",
                l->count - l->dirs, l->count - l->dirs == 1 ? "" : "s");
  browse_html_heading(o, "Name", "namedirfirst", BROWSE_NAME_DIR_FIRST, q);
  browse_html_heading(o, "Size", "size", BROWSE_SIZE, q);
  browse_html_heading(o, "Modified", "time", BROWSE_TIME, q);
  BROWSE_LIT(o, "</tr>\n");
  if (strcmp(path, "/") != 0)
    BROWSE_LIT(o, "<tr><td><a href=\"..\">../</a></td><td></td><td></td></tr>\n");
  for (size_t i = from; i < to; i++) {
    const struct browse_item *it = &l->items[l->order[i]];
    BROWSE_LIT(o, "<tr><td><a href=\"");
    browse_url(o, it->name, 0);
    BROWSE_LIT(o, "\">");
    browse_html_text(o, it->name, strlen(it->name));
    if (it->is_symlink)
      BROWSE_LIT(o, "</a> &#8599;</td><td class=\"size\">");
    else
      BROWSE_LIT(o, "</a></td><td class=\"size\">");
    if (it->is_dir)
      BROWSE_LIT(o, "&mdash;");
    else
      browse_human_size(o, it->size);
    BROWSE_LIT(o, "</td><td><time datetime=\"");
    browse_time(o, &it->mtime);
    struct tm tm;
    time_t sec = it->mtime.tv_sec;
    gmtime_r(&sec, &tm);
    char when[64];
    strftime(when, sizeof when, "%m/%d/%Y %I:%M:%S %p +00:00", &tm);
    browse_printf(o, "\">%s</time></td></tr>\n", when);
  }
  BROWSE_LIT(o, "</table>\n</body>\n</html>\n");
}

/* the head of a listing: its Content-Type, the cookies that remember the sort */
static int files_browse_headers(struct response *out, int fd, uint64_t len, int json, const struct browse_query *q)
{
  out->status = 200;
  out->file_fd = fd;
  out->file_offset = 0;
  out->file_len = len;
  const char *type = json ? "application/json; charset=utf-8" : "text/html; charset=utf-8";
  char cookie[40], length[24];
  int rc = response_header_set(out, "Content-Type", 12, type, strlen(type));
  if (rc == 0 && q->sort_cookie[0]) {
    int n = snprintf(cookie, sizeof cookie, "sort=%s", q->sort_cookie);
    const char *k = response_keep(out, cookie, (size_t)n);
    rc = k ? response_header_add(out, "Set-Cookie", 10, k, (size_t)n) : -ENOSPC;
  }
  if (rc == 0 && q->order_cookie[0]) {
    int n = snprintf(cookie, sizeof cookie, "order=%s", q->order_cookie);
    const char *k = response_keep(out, cookie, (size_t)n);
    rc = k ? response_header_add(out, "Set-Cookie", 10, k, (size_t)n) : -ENOSPC;
  }
  int n = snprintf(length, sizeof length, "%llu", (unsigned long long)len);
  const char *k = rc == 0 ? response_keep(out, length, (size_t)n) : NULL;
  rc = k ? response_header_set(out, "Content-Length", 14, k, (size_t)n) : -ENOSPC;
  if (rc < 0) {
    close(fd);
    out->file_fd = -1;
  }
  return rc;
}

int files_browse_respond(const struct blob *blob, const struct zs_file_server *rec, const struct http_request *req,
                         int dir_fd, const char *url_path, struct response *out)
{
  struct browse_list l = { 0 };
  int rc = browse_list_read(blob, rec, dir_fd, &l);
  struct browse_query q;
  browse_query_read(req, &q);
  struct browse_out *o = NULL;
  if (rc == 0) {
    browse_sort(&l, &q);
    o = mmap(NULL, sizeof *o, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rc = o == MAP_FAILED ? -ENOMEM : 0;
  }
  if (rc == 0) {
    o->fd = memfd_create("zsrt-browse", MFD_CLOEXEC);
    rc = o->fd < 0 ? -errno : 0;
  }
  if (rc < 0) {
    browse_list_free(&l);
    if (o && o != MAP_FAILED)
      munmap(o, sizeof *o);
    return rc;
  }
  size_t from = q.offset > 0 && (size_t)q.offset <= l.count ? (size_t)q.offset : 0, to = l.count;
  if (q.limit > 0 && (size_t)q.limit <= to - from)
    to = from + (size_t)q.limit;
  int json = 0;   /* Caddy: the Accept fields joined, lower-cased, contain application/json */
  for (size_t h = 0; h < req->header_count && !json; h++)
    if (req->headers[h].name_len == 6 && !strncasecmp(req->headers[h].name, "Accept", 6))
      for (size_t i = 0; i + 16 <= req->headers[h].value_len && !json; i++)
        json = !strncasecmp(req->headers[h].value + i, "application/json", 16);
  if (json)
    browse_write_json(o, &l, from, to);
  else
    files_browse_html(o, &l, from, to, url_path, &q);
  browse_flush(o);
  rc = o->err;
  int fd = o->fd;
  uint64_t total = o->total;
  munmap(o, sizeof *o);
  browse_list_free(&l);
  if (rc < 0) {
    close(fd);
    return rc;
  }
  return files_browse_headers(out, fd, total, json, &q);
}
