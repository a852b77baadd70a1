/* Matchers over the request view that are not plain string comparisons: the
 * host matcher's `*` labels and the header matcher's field lookup. */
#include "zs.h"

static unsigned zs_label_end(const char *s, unsigned len, unsigned i)
{
  while (i < len && s[i] != '.')
    i++;
  return i;
}

/* Caddy's wildcard host: same number of labels, each equal or "*" */
__attribute__((noinline)) int zs_host_labels_match(const char *host, unsigned len, const char *pat,
                                                   unsigned pat_len)
{
  unsigned i = 0, j = 0;
  for (;;) {
    unsigned pe = zs_label_end(pat, pat_len, i), he = zs_label_end(host, len, j);
    int star = pe - i == 1 && pat[i] == '*';
    if (!star && (pe - i != he - j || !zs_bytes_eq(pat + i, host + j, pe - i)))
      return 0;
    if (pe == pat_len || he == len)
      return pe == pat_len && he == len;
    i = pe + 1;
    j = he + 1;
  }
}

static const struct zs_req_header *zs_req_headers(const struct zs_req *req)
{
  return (const struct zs_req_header *)(unsigned long)req->headers;
}

__attribute__((noinline)) int zs_header_has(const struct zs_req *req, const char *name_lc, unsigned name_len)
{
  const struct zs_req_header *h = zs_req_headers(req);
  for (unsigned i = 0; i < req->header_count; i++)
    if (zs_str_match(ZS_PTR(h[i].name_lc.ptr), h[i].name_lc.len, name_lc, name_len, ZS_STR_EXACT))
      return 1;
  return 0;
}

/* 1 when some value of the field matches val by the kind in len_kind */
__attribute__((noinline)) int zs_header_match(const struct zs_req *req, const char *name_lc, unsigned name_len,
                                              const char *val, unsigned len_kind)
{
  const struct zs_req_header *h = zs_req_headers(req);
  unsigned len = len_kind & 0xffffff, kind = len_kind >> 24;
  for (unsigned i = 0; i < req->header_count; i++) {
    if (!zs_str_match(ZS_PTR(h[i].name_lc.ptr), h[i].name_lc.len, name_lc, name_len, ZS_STR_EXACT))
      continue;
    if (zs_str_match(ZS_PTR(h[i].value.ptr), h[i].value.len, val, len, kind))
      return 1;
  }
  return 0;
}
