/* Caddy's encode handler deciding: which encoding a request gets
 * (AcceptedEncodings) and whether a response is encoded (responseWriter's
 * init), with the head edits that go with it. The compressing itself is
 * encode_stream.c. */
#include "encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader.h"
#include "response.h"

#define ENCODE_MAX_ACCEPT 64         /* Accept-Encoding members weighed; later ones are not */

const char *encode_name(enum encode_coding coding)
{
  return coding == ENCODE_GZIP ? "gzip" : coding == ENCODE_ZSTD ? "zstd" : "identity";
}

static const struct zs_encoder *encode_record(const struct blob *blob, unsigned record)
{
  return record < blob->config->encoder_count ? &blob->encoders[record] : NULL;
}

/* Go's Header.Get: the first field of that name, "" when none */
static const struct http_header *encode_req_header(const struct http_request *req, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < req->header_count; i++)
    if (req->headers[i].name_len == n && !strncasecmp(req->headers[i].name, name, n))
      return &req->headers[i];
  return NULL;
}

static int encode_contains(const char *s, size_t len, const char *lit)
{
  return memmem(s, len, lit, strlen(lit)) != NULL;
}

struct encode_pref {
  int offered;                 /* index into the offered names, -1: not offered */
  double q;
  int order;                   /* len(prefer) - index, -1 when not in prefer */
};

static void encode_trim(const char **s, size_t *len)
{
  while (*len && (**s == ' ' || **s == '\t'))
    (*s)++, (*len)--;
  while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
    (*len)--;
}

/* "q=0.5" (lowercased, trimmed): strconv.ParseFloat(s, 32) kept when 0..1 */
static double encode_qvalue(const char *p, size_t len)
{
  encode_trim(&p, &len);
  char buf[32];
  if (len < 2 || len - 2 >= sizeof buf || (p[0] | 0x20) != 'q' || p[1] != '=')
    return 1.0;
  memcpy(buf, p + 2, len - 2);
  buf[len - 2] = 0;
  char *end;
  double q = (float)strtod(buf, &end);
  if (end == buf || *end || !(q >= 0 && q <= 1))
    return 1.0;
  return q;
}

static int encode_index(const char *const *names, size_t n, const char *name, size_t len)
{
  for (size_t i = 0; i < n; i++)
    if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
      return (int)i;
  return -1;
}

/* one member "name;q=..." into p; 0 when it is skipped (q = 0) */
static int encode_member(const struct encode_offer *o, const char *m, size_t len, int websocket,
                         struct encode_pref *p)
{
  const char *semi = memchr(m, ';', len);
  size_t name_len = semi ? (size_t)(semi - m) : len;
  const char *name = m;
  encode_trim(&name, &name_len);
  double q = 1.0;
  if (semi) {
    const char *param = semi + 1;
    const char *next = memchr(param, ';', len - (size_t)(param - m));
    q = encode_qvalue(param, (size_t)((next ? next : m + len) - param));
  }
  if (q < 0.00001 || (websocket && !(name_len == 8 && !strncasecmp(name, "identity", 8))))
    return 0;
  int at = encode_index(o->prefer, o->prefer_count, name, name_len);
  *p = (struct encode_pref){.offered = encode_index(o->names, o->count, name, name_len), .q = q,
                            .order = at < 0 ? -1 : (int)o->prefer_count - at};
  return 1;
}

static int encode_pref_less(const struct encode_pref *a, const struct encode_pref *b)
{
  double d = a->q - b->q;
  if (d < 0.00001 && d > -0.00001)
    return a->order > b->order;
  return a->q > b->q;
}

size_t encode_accepted(const struct http_request *req, const struct encode_offer *o, unsigned *out, size_t cap)
{
  const struct http_header *ae = encode_req_header(req, "Accept-Encoding");
  const struct http_header *ws = encode_req_header(req, "Sec-WebSocket-Key");
  if (!ae || !ae->value_len)
    return 0;
  struct encode_pref prefs[ENCODE_MAX_ACCEPT];
  size_t n = 0;
  for (const char *p = ae->value, *end = ae->value + ae->value_len; p <= end && n < ENCODE_MAX_ACCEPT;) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *stop = comma ? comma : end;
    n += (size_t)encode_member(o, p, (size_t)(stop - p), ws && ws->value_len, &prefs[n]);
    p = stop + 1;
  }
  /* sort.Slice on a short list is an insertion sort: kept as Go runs it */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && encode_pref_less(&prefs[j], &prefs[j - 1]); j--) {
      struct encode_pref t = prefs[j];
      prefs[j] = prefs[j - 1];
      prefs[j - 1] = t;
    }
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap; i++)
    if (prefs[i].offered >= 0)
      out[k++] = (unsigned)prefs[i].offered;
  return k;
}

enum encode_coding encode_choose(const struct blob *blob, unsigned record, const struct http_request *req)
{
  const struct zs_encoder *rec = encode_record(blob, record);
  const struct http_header *cc = encode_req_header(req, "Cache-Control");
  if (!rec || (cc && encode_contains(cc->value, cc->value_len, "no-transform")))
    return ENCODE_NONE;
  static const char *const all[] = {"gzip", "zstd"};
  static const enum encode_coding codings[] = {ENCODE_GZIP, ENCODE_ZSTD};
  struct encode_offer o = {.names = all, .count = 0};
  const char *names[2], *prefer[8];
  enum encode_coding offered[2];
  for (size_t i = 0; i < 2; i++)
    if (rec->flags & (i ? ZS_ENC_ZSTD : ZS_ENC_GZIP)) {
      names[o.count] = all[i];
      offered[o.count++] = codings[i];
    }
  o.names = names;
  o.prefer = prefer;
  o.prefer_count = blob_list(blob, rec->prefer_str, prefer, 8);
  if (o.prefer_count > 8)
    o.prefer_count = 8;
  unsigned first;
  return encode_accepted(req, &o, &first, 1) ? offered[first] : ENCODE_NONE;
}

/* ---- the response ---- */

static int encode_name_is(const struct response_header *h, const char *name, size_t len)
{
  return h->name_len == len && !strncasecmp(h->name, name, len);
}

/* hasVaryValue: a Vary field lists Accept-Encoding */
static int encode_has_vary(const struct response *resp)
{
  for (size_t i = 0; i < resp->header_count; i++) {
    const struct response_header *h = &resp->headers[i];
    if (!encode_name_is(h, "Vary", 4))
      continue;
    for (const char *p = h->value, *end = h->value + h->value_len; p <= end;) {
      const char *comma = memchr(p, ',', (size_t)(end - p));
      const char *stop = comma ? comma : end;
      size_t len = (size_t)(stop - p);
      const char *v = p;
      encode_trim(&v, &len);
      if (len == 15 && !strncasecmp(v, "Accept-Encoding", 15))
        return 1;
      p = stop + 1;
    }
  }
  return 0;
}

/* Caddy's header value patterns: *, *x*, *x, x*, x */
static int encode_pattern(const char *pat, const char *v, size_t len)
{
  size_t n = strlen(pat);
  if (n == 1 && pat[0] == '*')
    return 1;
  if (n >= 2 && pat[0] == '*' && pat[n - 1] == '*')
    return memmem(v, len, pat + 1, n - 2) != NULL;
  if (n >= 1 && pat[0] == '*')
    return len >= n - 1 && !memcmp(v + len - (n - 1), pat + 1, n - 1);
  if (n >= 1 && pat[n - 1] == '*')
    return len >= n - 1 && !memcmp(v, pat, n - 1);
  return len == n && !memcmp(v, pat, n);
}

/* one field of the matcher: items [from, to) all name it */
static int encode_match_field(const struct response *resp, const char *const *items, size_t from, size_t to,
                              size_t name_len)
{
  int seen = 0;
  for (size_t i = 0; i < resp->header_count; i++) {
    const struct response_header *h = &resp->headers[i];
    if (!encode_name_is(h, items[from], name_len))
      continue;
    seen = 1;
    for (size_t k = from; k < to; k++)
      if (items[k][name_len + 1] == 'v' && encode_pattern(items[k] + name_len + 2, h->value, h->value_len))
        return 1;
  }
  char kind = items[from][name_len + 1];
  return kind == 'a' ? !seen : kind == 'p' ? seen : 0;
}

#define ENCODE_MAX_MATCH 256

/* ResponseMatcher.Match: a status of the list (a digit: its class), then every header field */
static int encode_match(const struct blob *blob, const struct zs_encoder *rec, const struct response *resp)
{
  const char *items[ENCODE_MAX_MATCH];
  size_t n = blob_list(blob, rec->status_str, items, ENCODE_MAX_MATCH);
  int ok = n == 0;
  for (size_t i = 0; i < n && i < ENCODE_MAX_MATCH && !ok; i++) {
    int code = atoi(items[i]);
    ok = code < 100 ? resp->status / 100 == code : resp->status == code;
  }
  if (!ok)
    return 0;
  n = blob_list(blob, rec->header_str, items, ENCODE_MAX_MATCH);
  if (n > ENCODE_MAX_MATCH)
    n = ENCODE_MAX_MATCH;
  for (size_t i = 0; i < n;) {
    size_t name_len = strcspn(items[i], ":"), to = i + 1;
    while (to < n && !strncmp(items[to], items[i], name_len + 1))
      to++;
    if (!encode_match_field(resp, items, i, to, name_len))
      return 0;
    i = to;
  }
  return 1;
}

static const char *encode_first(const struct response *resp, const char *name)
{
  const struct response_header *h = response_header_get(resp, name);
  return h && h->value_len ? h->value : NULL;
}

/* the head of an encoded body: the edits of Caddy's init() */
static int encode_edit(struct response *resp, enum encode_coding coding)
{
  const char *name = encode_name(coding);
  response_header_del(resp, "Content-Length", 14);
  if (response_header_set(resp, "Content-Encoding", 16, name, strlen(name)) < 0 ||
      (!encode_has_vary(resp) && response_header_add(resp, "Vary", 4, "Accept-Encoding", 15) < 0))
    return -1;
  response_header_del(resp, "Accept-Ranges", 13);
  const struct response_header *etag = response_header_get(resp, "Etag");
  if (!etag || !etag->value_len || (etag->value_len >= 2 && !memcmp(etag->value, "W/", 2)))
    return 0;
  size_t len = etag->value_len - (etag->value[etag->value_len - 1] == '"');
  char buf[512];
  if (len + strlen(name) + 2 > sizeof buf)
    return -1;
  memcpy(buf, etag->value, len);
  size_t n = len + (size_t)sprintf(buf + len, "-%s\"", name);
  const char *kept = response_keep(resp, buf, n);
  return kept ? response_header_set(resp, "Etag", 4, kept, n) : -1;
}

int encode_head(const struct blob *blob, unsigned record, enum encode_coding coding, struct response *resp,
                int64_t length, size_t first)
{
  const struct zs_encoder *rec = encode_record(blob, record);
  if (!rec || coding == ENCODE_NONE)
    return 0;
  if (resp->status == 304) {   /* RFC 9110 15.4.5: as the 200 would have been */
    if (!encode_has_vary(resp))
      response_header_add(resp, "Vary", 4, "Accept-Encoding", 15);
    return 0;
  }
  if (!response_has_body(resp->status) || (first <= rec->min_length && length <= (int64_t)rec->min_length))
    return 0;
  const char *cc = encode_first(resp, "Cache-Control");
  const struct response_header *cch = response_header_get(resp, "Cache-Control");
  if (encode_first(resp, "Content-Encoding") || (cc && encode_contains(cch->value, cch->value_len, "no-transform")) ||
      !encode_match(blob, rec, resp))
    return 0;
  return encode_edit(resp, coding) < 0 ? -1 : 1;
}

