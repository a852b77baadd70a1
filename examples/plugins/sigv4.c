/* AWS Signature Version 4 for proxied requests: signs the request the way
 * AWS documents it and sends it upstream with its Authorization header.
 *
 *     ebpf sigv4.c {
 *         access_key {$AWS_ACCESS_KEY_ID}
 *         secret_key {$AWS_SECRET_ACCESS_KEY}
 *         region us-east-1
 *         service s3
 *         signed_headers host;x-amz-content-sha256;x-amz-date   # sorted; default host;x-amz-date
 *     }
 *     reverse_proxy bucket.s3.amazonaws.com:80
 *
 * The date is the request's X-Amz-Date, or now (then sent upstream too); the
 * payload hash is the request's X-Amz-Content-Sha256, or that of an empty
 * body: a request with a body must bring its hash. The canonical URI is the
 * path as sent (S3's rule), the query is sorted by name. */
#include "zs_plugin.h"

#define CAP 4096

struct sig {
  char *creq, *sts, *auth, *tmp;   /* heap buffers of CAP bytes */
  unsigned creq_len;
  char date[17], hash[65];
};

static int arg(struct zs_ctx *ctx, const char *name, char *buf, unsigned cap, const char *fallback)
{
  int n = zs_arg_named(ctx, name, buf, cap);
  if (n < 0 && fallback) {
    unsigned at = 0;
    zs_put_str(buf, &at, cap, fallback);
    return (int)at;
  }
  return n >= 0 && n <= (int)cap ? n : -1;
}

/* YYYYMMDDTHHMMSSZ from Unix seconds (Howard Hinnant's civil_from_days) */
static void format_date(unsigned long long t, char *out)
{
  long long days = (long long)(t / 86400), secs = (long long)(t % 86400);
  long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  long long y = yoe + era * 400 + (m <= 2);
  long long v[6] = {y, m, d, secs / 3600, secs / 60 % 60, secs % 60};
  int w[6] = {4, 2, 2, 2, 2, 2}, at = 0;
  for (int i = 0; i < 6; i++) {
    for (int k = w[i] - 1; k >= 0; k--, v[i] /= 10)
      out[at + k] = (char)('0' + v[i] % 10);
    at += w[i];
    if (i == 2)
      out[at++] = 'T';
  }
  out[15] = 'Z';
  out[16] = 0;
}

/* a header's value trimmed, inner runs of spaces made one */
static int put_header_value(struct sig *s, const char *v, int n)
{
  int start = 0, space = 0;
  while (start < n && (v[start] == ' ' || v[start] == '\t'))
    start++;
  while (n > start && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  for (int i = start; i < n; i++) {
    int sp = v[i] == ' ' || v[i] == '\t';
    if (sp && space)
      continue;
    space = sp;
    if (zs_put(s->creq, &s->creq_len, CAP, sp ? " " : v + i, 1) < 0)
      return -1;
  }
  return 0;
}

/* name:value lines for each name of the signed list */
static int put_headers(struct zs_ctx *ctx, struct sig *s, const char *list, int len)
{
  char name[64];
  for (int at = 0; at < len;) {
    int end = at;
    while (end < len && list[end] != ';')
      end++;
    if (end - at <= 0 || end - at >= (int)sizeof name)
      return -1;
    for (int i = at; i < end; i++)
      name[i - at] = list[i];
    name[end - at] = 0;
    int n = end - at == 10 && zs_bytes_eq(name, "x-amz-date", 10) ? 16 : zs_req_header(ctx, name, s->tmp, CAP);
    const char *value = n == 16 && zs_bytes_eq(name, "x-amz-date", 10) ? s->date : s->tmp;
    if (n < 0 || n > CAP || zs_put(s->creq, &s->creq_len, CAP, name, end - at) < 0 ||
        zs_put_lit(s->creq, &s->creq_len, CAP, ":") < 0 || put_header_value(s, value, n) < 0 ||
        zs_put_lit(s->creq, &s->creq_len, CAP, "\n") < 0)
      return -1;
    at = end + 1;
  }
  return 0;
}

/* bytewise a < b over their common length, then by length */
static int less(const char *a, int an, const char *b, int bn)
{
  for (int i = 0; i < an && i < bn; i++)
    if (a[i] != b[i])
      return (unsigned char)a[i] < (unsigned char)b[i];
  return an < bn;
}

/* the query's parameters sorted, joined by '&' */
static int put_query(struct zs_ctx *ctx, struct sig *s)
{
  const char *q = ZS_PTR(ctx->req->query.ptr);
  int n = (int)ctx->req->query.len, start[32], len[32], count = 0;
  for (int at = 0; at < n && count < 32;) {
    int end = at;
    while (end < n && q[end] != '&')
      end++;
    start[count] = at;
    len[count++] = end - at;
    at = end + 1;
  }
  if (count == 32)
    return -1;
  for (int i = 0; i < count; i++) {   /* selection sort: 32 at most */
    int best = i;
    for (int j = i + 1; j < count; j++)
      if (less(q + start[j], len[j], q + start[best], len[best]))
        best = j;
    int ts = start[i], tl = len[i];
    start[i] = start[best], len[i] = len[best], start[best] = ts, len[best] = tl;
    if ((i && zs_put_lit(s->creq, &s->creq_len, CAP, "&") < 0) ||
        zs_put(s->creq, &s->creq_len, CAP, q + start[i], (unsigned)len[i]) < 0)
      return -1;
  }
  return 0;
}

static void hmac_step(unsigned char *key, unsigned klen, const char *msg, unsigned mlen)
{
  unsigned char out[32];
  zs_hmac_sha256_of(key, klen, msg, mlen, out);
  for (int i = 0; i < 32; i++)
    key[i] = out[i];
}

int zs_handle(struct zs_ctx *ctx)
{
  struct sig s = {.creq = ZS_HEAP, .sts = ZS_HEAP + CAP, .auth = ZS_HEAP + 2 * CAP, .tmp = ZS_HEAP + 3 * CAP};
  char *ak = ZS_HEAP + 4 * CAP, *region = ak + 256, *service = ak + 512, *signed_list = ak + 768;
  unsigned char *key = (unsigned char *)ak + 1024;   /* "AWS4" + secret, then each derived key */
  int akn = arg(ctx, "access_key", ak, 256, 0), rn = arg(ctx, "region", region, 256, 0);
  int svn = arg(ctx, "service", service, 256, 0), shn = arg(ctx, "signed_headers", signed_list, 256, "host;x-amz-date");
  int skn = arg(ctx, "secret_key", (char *)key + 4, 256, 0);
  if (akn <= 0 || rn <= 0 || svn <= 0 || shn <= 0 || skn <= 0)
    return zs_respond(ctx, 500, "sigv4: access_key, secret_key, region and service are needed\n", 61);
  int dn = zs_req_header(ctx, "X-Amz-Date", s.tmp, CAP);
  if (dn == 16) {
    for (int i = 0; i < 16; i++)
      s.date[i] = s.tmp[i];
    s.date[16] = 0;
  } else {
    format_date(zs_now_s(), s.date);
    zs_upstream_header_set(ctx, "X-Amz-Date", s.date);
  }
  int hn = zs_req_header(ctx, "X-Amz-Content-Sha256", s.hash, 64);
  if (hn != 64) {
    if (zs_req_header(ctx, "Content-Length", s.tmp, 16) > 0 && s.tmp[0] != '0')
      return zs_respond(ctx, 400, "sigv4: a request with a body needs X-Amz-Content-Sha256\n", 56);
    unsigned char empty[32];
    zs_sha256_of(s.tmp, 0, empty);
    zs_hex(empty, 32, s.hash, 64);
  }
  s.hash[64] = 0;
  /* the canonical request */
  int mn = zs_method(ctx, s.creq, 16);
  s.creq_len = mn > 0 && mn <= 16 ? (unsigned)mn : 0;
  zs_put_lit(s.creq, &s.creq_len, CAP, "\n");
  int pn = zs_placeholder(ctx, ZS_VAR_path_raw, s.tmp, CAP);
  if (pn <= 0 || pn > CAP || zs_put(s.creq, &s.creq_len, CAP, s.tmp, (unsigned)pn) < 0 ||
      zs_put_lit(s.creq, &s.creq_len, CAP, "\n") < 0 || put_query(ctx, &s) < 0 ||
      zs_put_lit(s.creq, &s.creq_len, CAP, "\n") < 0 || put_headers(ctx, &s, signed_list, shn) < 0 ||
      zs_put_lit(s.creq, &s.creq_len, CAP, "\n") < 0 || zs_put(s.creq, &s.creq_len, CAP, signed_list, (unsigned)shn) < 0 ||
      zs_put_lit(s.creq, &s.creq_len, CAP, "\n") < 0 || zs_put(s.creq, &s.creq_len, CAP, s.hash, 64) < 0)
    return zs_respond(ctx, 400, "sigv4: the request cannot be signed\n", 36);
  /* the string to sign: algorithm, date, scope, the canonical request's hash */
  unsigned char digest[32];
  zs_sha256_of(s.creq, s.creq_len, digest);
  unsigned at = 0, scope_at;
  zs_put_lit(s.sts, &at, CAP, "AWS4-HMAC-SHA256\n");
  zs_put(s.sts, &at, CAP, s.date, 16);
  zs_put_lit(s.sts, &at, CAP, "\n");
  scope_at = at;
  zs_put(s.sts, &at, CAP, s.date, 8);
  zs_put_lit(s.sts, &at, CAP, "/");
  zs_put(s.sts, &at, CAP, region, (unsigned)rn);
  zs_put_lit(s.sts, &at, CAP, "/");
  zs_put(s.sts, &at, CAP, service, (unsigned)svn);
  zs_put_lit(s.sts, &at, CAP, "/aws4_request");
  unsigned scope_len = at - scope_at;
  zs_put_lit(s.sts, &at, CAP, "\n");
  zs_hex(digest, 32, s.sts + at, CAP - at);
  at += 64;
  /* the signing key, then the signature */
  key[0] = 'A', key[1] = 'W', key[2] = 'S', key[3] = '4';
  hmac_step(key, 4 + (unsigned)skn, s.date, 8);
  hmac_step(key, 32, region, (unsigned)rn);
  hmac_step(key, 32, service, (unsigned)svn);
  hmac_step(key, 32, "aws4_request", 12);
  hmac_step(key, 32, s.sts, at);
  unsigned n = 0;
  zs_put_lit(s.auth, &n, CAP, "AWS4-HMAC-SHA256 Credential=");
  zs_put(s.auth, &n, CAP, ak, (unsigned)akn);
  zs_put_lit(s.auth, &n, CAP, "/");
  zs_put(s.auth, &n, CAP, s.sts + scope_at, scope_len);
  zs_put_lit(s.auth, &n, CAP, ", SignedHeaders=");
  zs_put(s.auth, &n, CAP, signed_list, (unsigned)shn);
  zs_put_lit(s.auth, &n, CAP, ", Signature=");
  zs_hex(key, 32, s.auth + n, CAP - n);
  n += 64;
  return zs_header_op(ZS_HDR_SET | ZS_HDR_UP, "Authorization", 13, s.auth, n) < 0 ? zs_respond(ctx, 500, "sigv4\n", 6)
                                                                                  : ZS_NEXT;
}
