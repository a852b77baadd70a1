/* What Go's http.ServeContent adds to Caddy's file_server: the ETag in
 * Caddy's form, If-Match / If-Unmodified-Since (412), If-None-Match /
 * If-Modified-Since (304), and byte ranges as
 * Go parses them: one is a 206 with Content-Range, several a 206
 * multipart/byteranges (files_parts.c), a bad list or one that misses the
 * file a 416, ranges adding up to more than the file the whole file. */
#include "files_cond.h"

#include "files_parts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void files_cond_base36(unsigned long long v, char *out, size_t *n)
{
  char tmp[16];
  size_t k = 0;
  do {
    tmp[k++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
    v /= 36;
  } while (v);
  while (k)
    out[(*n)++] = tmp[--k];
}

void files_cond_etag(const struct stat *st, char *out, size_t cap)
{
  char buf[40];
  size_t n = 0;
  buf[n++] = '"';
  files_cond_base36((unsigned long long)st->st_mtim.tv_sec, buf, &n);
  files_cond_base36((unsigned long long)st->st_size, buf, &n);
  buf[n++] = '"';
  snprintf(out, cap, "%.*s", (int)n, buf);
}

const char *files_cond_header(const struct http_request *req, const char *name, size_t *len)
{
  size_t k = strlen(name);
  for (size_t i = 0; i < req->header_count; i++)
    if (req->headers[i].name_len == k && strncasecmp(req->headers[i].name, name, k) == 0) {
      *len = req->headers[i].value_len;
      return req->headers[i].value;
    }
  return NULL;
}

/* a list of entity tags (If-None-Match, If-Match): 1 when it holds "*" or
 * etag; weak: W/ tags compare too (If-None-Match), else only strong ones */
static int files_cond_tag_listed(const char *v, size_t n, const char *etag, size_t etag_len, int weak)
{
  for (size_t i = 0; i < n;) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
      i++;
    size_t j = i;
    while (j < n && v[j] != ',')
      j++;
    size_t end = j;
    while (end > i && (v[end - 1] == ' ' || v[end - 1] == '\t'))
      end--;
    size_t at = i + (weak && end - i >= 2 && v[i] == 'W' && v[i + 1] == '/' ? 2 : 0);
    if ((end - i == 1 && v[i] == '*') ||
        (etag && end - at == etag_len && memcmp(v + at, etag, etag_len) == 0 && v[at] == '"'))
      return 1;
    i = j;
  }
  return 0;
}

/* If-Modified-Since in IMF-fixdate: not modified when mtime <= that time */
static int files_cond_not_modified_since(const char *v, size_t n, const struct stat *st)
{
  char buf[64];
  struct tm tm = { 0 };
  if (n >= sizeof buf || st->st_mtim.tv_sec <= 0)
    return 0;
  memcpy(buf, v, n);
  buf[n] = '\0';
  const char *end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end)
    return 0;
  return st->st_mtim.tv_sec <= timegm(&tm);
}

static int files_cond_is_get_or_head(const struct http_request *req)
{
  return (req->method_len == 3 && memcmp(req->method, "GET", 3) == 0) ||
         (req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0);
}

/* 304 keeps only the validators: Go drops Content-Type and Content-Length,
 * and Last-Modified when there is an Etag */
static void files_cond_not_modified(struct response *out, int fd)
{
  close(fd);
  out->status = 304;
  response_header_del(out, "Content-Type", 12);
  response_header_del(out, "Last-Modified", 13);
}

/* If-Match: 1 when "*" or a strong tag equal to etag is listed, 0 when not,
 * -1 without the field (Go's checkIfMatch) */
static int files_cond_match(const struct http_request *req, const char *etag, size_t etag_len)
{
  size_t n;
  const char *v = files_cond_header(req, "If-Match", &n);
  if (!v || n == 0)
    return -1;
  return files_cond_tag_listed(v, n, etag, etag_len, 0);
}

/* If-Unmodified-Since: 1 when not modified since, 0 when modified, -1
 * without a field Go can parse (Go's checkIfUnmodifiedSince) */
static int files_cond_unmodified(const struct http_request *req, const struct stat *st)
{
  size_t n;
  const char *v = files_cond_header(req, "If-Unmodified-Since", &n);
  char buf[64];
  struct tm tm = { 0 };
  if (!v || n == 0 || n >= sizeof buf || st->st_mtim.tv_sec <= 0)
    return -1;
  memcpy(buf, v, n);
  buf[n] = '\0';
  const char *end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end)
    return -1;
  return st->st_mtim.tv_sec <= timegm(&tm);
}

/* returns 1 when the request's preconditions answered it (304/412) */
/* "\"tag-gzip\"" as "\"tag\"" when encoding is gzip, into buf (encode.go ServeHTTP) */
static const char *files_cond_strip_suffix(const char *v, size_t *n, const char *encoding, char *buf, size_t cap)
{
  char suffix[16];
  int k = encoding ? snprintf(suffix, sizeof suffix, "-%s\"", encoding) : 0;
  if (k <= 0 || *n < (size_t)k || *n > cap || (*n >= 2 && !memcmp(v, "W/", 2)) ||
      memcmp(v + *n - k, suffix, (size_t)k))
    return v;
  memcpy(buf, v, *n - (size_t)k);
  buf[*n - (size_t)k] = '"';
  *n -= (size_t)k - 1;
  return buf;
}

static int files_cond_preconditions(const struct http_request *req, int fd, const struct stat *st,
                                    const char *encoding, struct response *out)
{
  const struct response_header *etag = response_header_get(out, "Etag");
  int ok = files_cond_match(req, etag ? etag->value : NULL, etag ? etag->value_len : 0);
  if (ok < 0)
    ok = files_cond_unmodified(req, st);
  if (ok == 0) {
    close(fd);
    out->status = 412;
    return 1;
  }
  size_t n;
  char stripped[1024];
  const char *v = files_cond_header(req, "If-None-Match", &n);
  if (v)
    v = files_cond_strip_suffix(v, &n, encoding, stripped, sizeof stripped);
  if (v && etag) {
    char tag[64];
    snprintf(tag, sizeof tag, "%.*s", (int)etag->value_len, etag->value);
    if (!files_cond_tag_listed(v, n, tag, strlen(tag), 1))
      return 0;
    if (files_cond_is_get_or_head(req)) {
      files_cond_not_modified(out, fd);
    } else {
      close(fd);
      out->status = 412;
    }
    return 1;
  }
  v = files_cond_header(req, "If-Modified-Since", &n);
  if (v && files_cond_is_get_or_head(req) && files_cond_not_modified_since(v, n, st)) {
    files_cond_not_modified(out, fd);
    return 1;
  }
  return 0;
}

/* Go's strconv.ParseInt(s, 10, 64): an optional sign, digits, no overflow */
static int files_cond_number(const char *s, size_t n, long long *out)
{
  size_t i = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  int neg = i && s[0] == '-';
  if (i == n)
    return -1;
  unsigned long long v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || v > (9223372036854775807ull + (unsigned)neg - (unsigned)(s[i] - '0')) / 10)
      return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = neg ? -(long long)(v - 1) - 1 : (long long)v;
  return 0;
}

/* textproto.TrimString: ASCII spaces and tabs off both ends */
static void files_cond_trim(const char **s, size_t *n)
{
  while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t'))
    (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
    (*n)--;
}

enum { FILES_RANGE_INVALID = -1, FILES_RANGE_NO_OVERLAP = -2, FILES_RANGE_SKIP = 1 };

/* one spec of the list, as Go's parseRange reads it: 0 (a range), SKIP (it
 * starts past the end) or INVALID */
static int files_cond_spec(const char *ra, size_t n, long long size, struct response_part *r)
{
  const char *dash = memchr(ra, '-', n);
  if (!dash)
    return FILES_RANGE_INVALID;
  const char *a = ra, *b = dash + 1;
  size_t an = (size_t)(dash - ra), bn = n - an - 1;
  files_cond_trim(&a, &an);
  files_cond_trim(&b, &bn);
  long long i, j;
  if (an == 0) {
    if (bn == 0 || b[0] == '-' || files_cond_number(b, bn, &i) < 0 || i < 0)
      return FILES_RANGE_INVALID;
    r->start = size - (i > size ? size : i);
    r->len = size - r->start;
    return 0;
  }
  if (files_cond_number(a, an, &i) < 0 || i < 0)
    return FILES_RANGE_INVALID;
  if (i >= size)
    return FILES_RANGE_SKIP;
  r->start = i;
  if (bn == 0) {
    r->len = size - i;
    return 0;
  }
  if (files_cond_number(b, bn, &j) < 0 || i > j)
    return FILES_RANGE_INVALID;
  r->len = (j >= size ? size - 1 : j) - i + 1;
  return 0;
}

/* Go's parseRange over "bytes=a-b, c-, -n, ...": the number of ranges
 * (the first RESPONSE_MAX_PARTS kept in out, *sum over all of them), or
 * INVALID, or NO_OVERLAP when every spec starts past the end */
static int files_cond_parse_ranges(const char *v, size_t n, long long size, struct response_part *out,
                                   unsigned long long *sum)
{
  if (n < 6 || memcmp(v, "bytes=", 6) != 0)
    return FILES_RANGE_INVALID;
  int count = 0, skipped = 0;
  *sum = 0;
  for (size_t i = 6; i <= n;) {
    size_t j = i;
    while (j < n && v[j] != ',')
      j++;
    const char *ra = v + i;
    size_t rn = j - i;
    files_cond_trim(&ra, &rn);
    struct response_part r;
    int rc = rn == 0 ? FILES_RANGE_SKIP + 1 : files_cond_spec(ra, rn, size, &r);
    if (rc == FILES_RANGE_INVALID)
      return rc;
    skipped |= rc == FILES_RANGE_SKIP;
    if (rc == 0) {
      if (count < RESPONSE_MAX_PARTS)
        out[count] = r;
      count += count < 0x7fffffff;
      *sum += (unsigned long long)r.len;
    }
    i = j + 1;
  }
  return skipped && count == 0 ? FILES_RANGE_NO_OVERLAP : count;
}

/* http.Error's 416: "invalid range" or "invalid range: failed to overlap" */
static int files_cond_unsatisfiable(int fd, const struct stat *st, int no_overlap, struct response *out)
{
  static const char invalid[] = "invalid range\n", overlap[] = "invalid range: failed to overlap\n";
  close(fd);
  out->status = 416;
  response_header_del(out, "Content-Range", 13);
  if (no_overlap) {
    char cr[48];
    int n = snprintf(cr, sizeof cr, "bytes */%lld", (long long)st->st_size);
    const char *kept = response_keep(out, cr, (size_t)n);
    if (!kept || response_header_set(out, "Content-Range", 13, kept, (size_t)n) < 0)
      return -ENOSPC;
  }
  if (response_header_set(out, "Content-Type", 12, "text/plain; charset=utf-8", 25) < 0 ||
      response_header_set(out, "X-Content-Type-Options", 22, "nosniff", 7) < 0)
    return -ENOSPC;
  out->body = no_overlap ? overlap : invalid;
  out->body_len = no_overlap ? sizeof overlap - 1 : sizeof invalid - 1;
  return 0;
}

/* ServeContent leaves Content-Length out when there is a Content-Encoding
 * (a precompressed sidecar): the framing then counts the bytes */
static int files_cond_set_length(struct response *out, unsigned long long len)
{
  if (response_header_get(out, "Content-Encoding"))
    return 0;
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%llu", len);
  const char *kept = response_keep(out, buf, (size_t)n);
  return kept ? response_header_set(out, "Content-Length", 14, kept, (size_t)n) : -ENOSPC;
}

static int files_cond_range(int fd, const struct stat *st, long long start, long long len,
                            struct response *out)
{
  char cr[80];
  int n = snprintf(cr, sizeof cr, "bytes %lld-%lld/%lld", start, start + len - 1, (long long)st->st_size);
  const char *kept = response_keep(out, cr, (size_t)n);
  if (!kept || response_header_set(out, "Content-Range", 13, kept, (size_t)n) < 0) {
    close(fd);
    return -ENOSPC;
  }
  out->status = 206;
  out->file_fd = fd;
  out->file_offset = (uint64_t)start;
  out->file_len = (uint64_t)len;
  return files_cond_set_length(out, (unsigned long long)len);
}

/* several ranges: 206 multipart/byteranges, each part with the file's type */
static int files_cond_multipart(int fd, const struct stat *st, unsigned count, struct response *out)
{
  const struct response_header *type = response_header_get(out, "Content-Type");
  out->part_type = type ? response_keep(out, type->value, type->value_len) : "";
  files_parts_boundary(out->boundary);
  char ct[96];
  int n = snprintf(ct, sizeof ct, "multipart/byteranges; boundary=%s", out->boundary);
  const char *kept = response_keep(out, ct, (size_t)n);
  if (!out->part_type || !kept || response_header_set(out, "Content-Type", 12, kept, (size_t)n) < 0) {
    close(fd);
    return -ENOSPC;
  }
  out->part_count = count;
  out->part_size = (int64_t)st->st_size;
  out->status = 206;
  out->file_fd = fd;
  out->file_offset = 0;
  out->file_len = files_parts_length(out);
  return files_cond_set_length(out, out->file_len);
}

/* If-Range: the range applies only while the validator still matches */
static int files_cond_if_range_ok(const struct http_request *req, const struct response *out)
{
  size_t n;
  const char *v = files_cond_header(req, "If-Range", &n);
  if (!v)
    return 1;
  const struct response_header *h = response_header_get(out, v[0] == '"' ? "Etag" : "Last-Modified");
  return h && h->value_len == n && memcmp(h->value, v, n) == 0;
}

int files_cond_serve(const struct http_request *req, int fd, const struct stat *st, const char *encoding,
                     struct response *out)
{
  if (files_cond_preconditions(req, fd, st, encoding, out))
    return 0;
  size_t n;
  const char *range = files_cond_header(req, "Range", &n);
  unsigned long long sum = 0;
  int count = range && n && files_cond_if_range_ok(req, out)
                ? files_cond_parse_ranges(range, n, (long long)st->st_size, out->parts, &sum) : 0;
  if (count < 0)
    return files_cond_unsatisfiable(fd, st, count == FILES_RANGE_NO_OVERLAP, out);
  /* Go ignores ranges adding up to more than the file (an attack, or a
   * confused client); zsrt also sends the whole file for more parts than it keeps */
  if (sum > (unsigned long long)st->st_size || count > RESPONSE_MAX_PARTS)
    count = 0;
  if (response_header_set(out, "Accept-Ranges", 13, "bytes", 5) < 0) {
    close(fd);
    return -ENOSPC;
  }
  if (count == 1)
    return files_cond_range(fd, st, out->parts[0].start, out->parts[0].len, out);
  if (count > 1)
    return files_cond_multipart(fd, st, (unsigned)count, out);
  out->file_fd = fd;
  out->file_offset = 0;
  out->file_len = (uint64_t)st->st_size;
  return files_cond_set_length(out, out->file_len);
}
