/* Request fields Caddy's replacer reads by name or index (helpers.def
 * buf_field): header and query values, cookies, path segments and host
 * labels; and the path's file parts (vars.def path_file...), as Go's path
 * package splits them. Values are read from the request as it is now. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "../abi/cage.h"
#include "cage.h"
#include "helpers.h"
#include "query_match.h"
#include "rewrite.h"

#define FIELD_ERR(e) ((unsigned long long)(long long)-(e))

struct field_out {
  char *buf;
  size_t cap, len;
};

static int field_put(struct field_out *o, const char *s, size_t n)
{
  if (n > o->cap - o->len)
    return -ENOSPC;
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  return 0;
}

/* every value of the field, in order, joined by "," (Header.Values) */
static int field_header(const struct http_request *req, const char *name, size_t n, struct field_out *o)
{
  int first = 1;
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (h->name_len != n || strncasecmp(h->name, name, n) != 0)
      continue;
    if ((!first && field_put(o, ",", 1) < 0) || field_put(o, h->value, h->value_len) < 0)
      return -ENOSPC;
    first = 0;
  }
  return 0;
}

/* url.Query()[name] joined by ",": pairs that do not parse are skipped */
static int field_query(const char *q, size_t qn, const char *name, size_t n, struct field_out *o)
{
  char key[QUERY_PART_MAX], val[QUERY_PART_MAX];
  long kl, vl;
  int r, first = 1;
  for (size_t at = 0; (r = query_pair_next(q, qn, &at, key, &kl, val, &vl)) != 0;) {
    if (r < 0 || (size_t)kl != n || memcmp(key, name, n) != 0)
      continue;
    if ((!first && field_put(o, ",", 1) < 0) || field_put(o, val, (size_t)vl) < 0)
      return -ENOSPC;
    first = 0;
  }
  return 0;
}

static const char *field_trim(const char *s, size_t *n)
{
  while (*n > 0 && (s[0] == ' ' || s[0] == '\t'))
    s++, (*n)--;
  while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
    (*n)--;
  return s;
}

static int field_token_byte(unsigned char c)
{
  return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* Go's parseCookieValue with quotes allowed: the value, or NULL when it has
 * a byte a cookie value cannot have */
static const char *field_cookie_value(const char *v, size_t *n)
{
  if (*n > 1 && v[0] == '"' && v[*n - 1] == '"')
    v++, *n -= 2;
  for (size_t i = 0; i < *n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\')
      return NULL;
  }
  return v;
}

/* the first cookie of one Cookie line named name (any case), as Go's
 * readCookies parses the line: 1 found, 0 not */
static int field_cookie_line(const char *line, size_t len, const char *name, size_t n, struct field_out *o, int *rc)
{
  for (size_t at = 0; at < len;) {
    const char *p = line + at, *semi = memchr(p, ';', len - at);
    size_t plen = semi ? (size_t)(semi - p) : len - at;
    at += plen + (semi ? 1 : 0);
    p = field_trim(p, &plen);
    const char *eq = memchr(p, '=', plen);
    size_t kl = eq ? (size_t)(eq - p) : plen, vl = eq ? plen - kl - 1 : 0;
    const char *k = field_trim(p, &kl), *v = eq ? eq + 1 : p + plen;
    int valid = kl > 0;
    for (size_t i = 0; i < kl && valid; i++)
      valid = field_token_byte((unsigned char)k[i]);
    if (!valid || (v = field_cookie_value(v, &vl)) == NULL)
      continue;
    if (kl == n && strncasecmp(k, name, n) == 0) {
      *rc = field_put(o, v, vl);
      return 1;
    }
  }
  return 0;
}

/* 1 when the request has the cookie (its value appended), else 0 */
static int field_cookie(const struct http_request *req, const char *name, size_t n, struct field_out *o, int *rc)
{
  *rc = 0;
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (h->name_len == 6 && strncasecmp(h->name, "cookie", 6) == 0 &&
        field_cookie_line(h->value, h->value_len, name, n, o, rc))
      return 1;
  }
  return 0;
}

/* segment index of path split at '/', the leading empty one dropped */
static int field_segment(const char *path, size_t n, unsigned index, struct field_out *o)
{
  size_t at = n > 0 && path[0] == '/' ? 1 : 0;
  for (unsigned i = 0; at <= n; i++) {
    const char *slash = memchr(path + at, '/', n - at);
    size_t len = slash ? (size_t)(slash - path) - at : n - at;
    if (i == index)
      return field_put(o, path + at, len);
    if (!slash)
      break;
    at += len + 1;
  }
  return 0;
}

/* label index from the right of the Host without its port, lowercased */
static int field_host_label(const struct helper_state *st, unsigned index, struct field_out *o)
{
  char host[512];
  long n = helper_var_value(st, ZS_VAR_host, host, sizeof host);
  if (n < 0)
    return (int)n;
  size_t end = (size_t)n;
  for (unsigned i = 0;; i++) {
    const char *dot = NULL;
    for (size_t k = end; k > 0 && !dot; k--)
      if (host[k - 1] == '.')
        dot = host + k - 1;
    size_t start = dot ? (size_t)(dot - host) + 1 : 0;
    if (i == index) {
      for (size_t k = start; k < end; k++)
        if (host[k] >= 'A' && host[k] <= 'Z')
          host[k] = (char)(host[k] + 32);
      return field_put(o, host + start, end - start);
    }
    if (!dot)
      return 0;
    end = start - 1;
  }
}

/* the field's value unescaped into o; 0 when the field is absent (a cookie) */
static int field_value(const struct helper_state *st, unsigned kind, unsigned index, const char *name, size_t n,
                       struct field_out *o, int *rc)
{
  *rc = 0;
  switch (kind) {
  case ZS_FIELD_HEADER: *rc = field_header(st->req, name, n, o); return 1;
  case ZS_FIELD_QUERY: *rc = field_query(st->query, st->query_len, name, n, o); return 1;
  case ZS_FIELD_COOKIE: return field_cookie(st->req, name, n, o, rc);
  case ZS_FIELD_PATH_PART: *rc = field_segment(st->dec->path, st->dec->path_len, index, o); return 1;
  case ZS_FIELD_ORIG_PATH_PART: *rc = field_segment(st->dec->orig_path, st->dec->orig_path_len, index, o); return 1;
  case ZS_FIELD_HOST_LABEL: *rc = field_host_label(st, index, o); return 1;
  default: *rc = -EINVAL; return 1;
  }
}

static long field_escape(unsigned how, const char *s, size_t n, char *out, size_t cap)
{
  if (how == ZS_ESC_QUERY)
    return rewrite_query_escape(s, n, out, cap);
  if (how == ZS_ESC_PATH)
    return rewrite_segments_escape(s, n, out, cap);
  if (n > cap)
    return -ENOSPC;
  memcpy(out, s, n);
  return (long)n;
}

unsigned long long helper_buf_field(struct zs_native_ctx *ctx, unsigned long long slot, unsigned long long spec,
                                    unsigned long long ptr, unsigned long long n, unsigned long long unset)
{
  struct helper_state *st = helper_state_of(ctx);
  unsigned kind = spec & 0xff, how = (spec >> 8) & 0xff, index = (unsigned)(spec >> 16) & 0xffff;
  char scratch[EXEC_MAX_VALUE];
  struct field_out o = {scratch, sizeof scratch, 0};
  helper_charge(ctx, n + unset);
  if (how > ZS_ESC_PATH || n > EXEC_MAX_VALUE || unset > EXEC_MAX_VALUE || !cage_readable(st->cage, ptr, n + unset))
    return FIELD_ERR(EINVAL);
  const char *name = (const char *)st->cage->base + ptr;
  int rc, found = field_value(st, kind, index, name, (size_t)n, &o, &rc);
  if (rc < 0)
    return FIELD_ERR(-rc);
  helper_charge(ctx, 3 * o.len);
  char *buf = NULL;
  size_t *len = NULL, cap = 0;
  if (helper_slot(st, slot, &buf, &len, &cap) < 0)
    return FIELD_ERR(EINVAL);
  /* absent, ReplaceKnown keeps the placeholder as written */
  long e = found ? field_escape(how, o.buf, o.len, buf + *len, cap - *len)
                 : field_escape(ZS_ESC_NONE, name + n, (size_t)unset, buf + *len, cap - *len);
  if (e < 0)
    return FIELD_ERR(ENOSPC);
  *len += (size_t)e;
  return 0;
}

/* path.Split's dir and file, path.Base without path.Ext, path.Ext */
int helper_put_path_part(const char *p, size_t n, unsigned id, char *buf, size_t cap, size_t *len)
{
  struct field_out o = {buf, cap, *len};
  size_t slash = n;
  while (slash > 0 && p[slash - 1] != '/')
    slash--;
  size_t ext = n;
  while (ext > 0 && p[ext - 1] != '/' && p[ext - 1] != '.')
    ext--;
  size_t ext_at = ext > 0 && p[ext - 1] == '.' ? ext - 1 : n;
  int rc = 0;
  if (id == ZS_VAR_path_dir || id == ZS_VAR_orig_path_dir)
    rc = field_put(&o, p, slash);
  else if (id == ZS_VAR_path_file || id == ZS_VAR_orig_path_file)
    rc = field_put(&o, p + slash, n - slash);
  else if (id == ZS_VAR_path_file_ext)
    rc = field_put(&o, p + ext_at, n - ext_at);
  else {                       /* path.Base: trailing slashes dropped, "" is ".", all slashes "/" */
    size_t end = n;
    while (end > 1 && p[end - 1] == '/')
      end--;
    size_t start = end;
    while (start > 0 && p[start - 1] != '/')
      start--;
    const char *base = n == 0 ? "." : end == 1 && p[0] == '/' ? "/" : p + start;
    size_t base_len = n == 0 || (end == 1 && p[0] == '/') ? 1 : end - start, ext_len = n - ext_at;
    if (ext_len <= base_len && memcmp(base + base_len - ext_len, p + ext_at, ext_len) == 0)
      base_len -= ext_len;     /* strings.TrimSuffix */
    rc = field_put(&o, base, base_len);
  }
  *len = o.len;
  return rc;
}
