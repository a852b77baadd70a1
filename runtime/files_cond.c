/* What Go's http.ServeContent adds to Caddy's file_server: the ETag in
 * Caddy's form, If-None-Match / If-Modified-Since (304), and single byte
 * ranges (206, or 416 when none overlaps). Several ranges at once are
 * answered with the whole file (Go would send multipart/byteranges). */
#include "files_cond.h"

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

/* If-None-Match: a list of (weak or strong) tags or "*", compared weakly */
static int files_cond_none_match(const char *v, size_t n, const char *etag)
{
  size_t etag_len = strlen(etag);
  for (size_t i = 0; i < n;) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
      i++;
    size_t j = i;
    while (j < n && v[j] != ',')
      j++;
    size_t end = j;
    while (end > i && (v[end - 1] == ' ' || v[end - 1] == '\t'))
      end--;
    size_t at = i + (end - i >= 2 && v[i] == 'W' && v[i + 1] == '/' ? 2 : 0);
    if ((end - i == 1 && v[i] == '*') || (end - at == etag_len && memcmp(v + at, etag, etag_len) == 0))
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
  size_t n;
  char stripped[1024];
  const char *v = files_cond_header(req, "If-None-Match", &n);
  if (v)
    v = files_cond_strip_suffix(v, &n, encoding, stripped, sizeof stripped);
  if (v && etag) {
    char tag[64];
    snprintf(tag, sizeof tag, "%.*s", (int)etag->value_len, etag->value);
    if (!files_cond_none_match(v, n, tag))
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

enum files_range { FILES_RANGE_NONE, FILES_RANGE_ONE, FILES_RANGE_UNSATISFIABLE };

static int files_cond_number(const char *s, size_t n, long long *out)
{
  if (n == 0 || n > 18)
    return -1;
  long long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

/* one "bytes=a-b" / "a-" / "-n" spec; several or malformed ones: NONE */
static enum files_range files_cond_parse_range(const char *v, size_t n, long long size,
                                               long long *start, long long *len)
{
  if (n < 6 || memcmp(v, "bytes=", 6) != 0 || memchr(v, ',', n))
    return FILES_RANGE_NONE;
  const char *spec = v + 6;
  size_t sn = n - 6;
  const char *dash = memchr(spec, '-', sn);
  if (!dash)
    return FILES_RANGE_NONE;
  size_t a_len = (size_t)(dash - spec), b_len = sn - a_len - 1;
  long long a, b;
  if (a_len == 0) {
    if (files_cond_number(dash + 1, b_len, &b) < 0)
      return FILES_RANGE_NONE;
    if (b == 0)
      return FILES_RANGE_UNSATISFIABLE;
    *start = b > size ? 0 : size - b;
    *len = size - *start;
    return FILES_RANGE_ONE;
  }
  if (files_cond_number(spec, a_len, &a) < 0 || (b_len && files_cond_number(dash + 1, b_len, &b) < 0))
    return FILES_RANGE_NONE;
  if (a >= size)
    return FILES_RANGE_UNSATISFIABLE;
  if (!b_len || b >= size)
    b = size - 1;
  if (b < a)
    return FILES_RANGE_NONE;
  *start = a;
  *len = b - a + 1;
  return FILES_RANGE_ONE;
}

static int files_cond_unsatisfiable(int fd, const struct stat *st, struct response *out)
{
  static const char body[] = "invalid range: failed to overlap\n";
  char cr[48];
  int n = snprintf(cr, sizeof cr, "bytes */%lld", (long long)st->st_size);
  const char *kept = response_keep(out, cr, (size_t)n);
  close(fd);
  out->status = 416;
  if (!kept || response_header_set(out, "Content-Range", 13, kept, (size_t)n) < 0 ||
      response_header_set(out, "Content-Type", 12, "text/plain; charset=utf-8", 25) < 0 ||
      response_header_set(out, "X-Content-Type-Options", 22, "nosniff", 7) < 0)
    return -ENOSPC;
  out->body = body;
  out->body_len = sizeof body - 1;
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
  if (response_header_set(out, "Accept-Ranges", 13, "bytes", 5) < 0) {
    close(fd);
    return -ENOSPC;
  }
  size_t n;
  const char *range = files_cond_header(req, "Range", &n);
  long long start = 0, len = 0;
  enum files_range kind = range && files_cond_if_range_ok(req, out)
                            ? files_cond_parse_range(range, n, (long long)st->st_size, &start, &len)
                            : FILES_RANGE_NONE;
  if (kind == FILES_RANGE_UNSATISFIABLE)
    return files_cond_unsatisfiable(fd, st, out);
  if (kind == FILES_RANGE_ONE)
    return files_cond_range(fd, st, start, len, out);
  out->file_fd = fd;
  out->file_offset = 0;
  out->file_len = (uint64_t)st->st_size;
  return files_cond_set_length(out, out->file_len);
}
