/* The URI a proxied request is sent upstream with: the escaped path as the
 * client wrote it (or the tail handle_path left, or an encoding of a path
 * the program made) and the query, the request's or the one a rewrite set.
 * Not the request line's method or fields (proxy_msg.c). */
#include <errno.h>
#include <string.h>

#include "proxy.h"
#include "proxy_internal.h"
#include "proxy_msg.h"

static int proxy_hex(int ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch |= 32;
  return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* 1 when the percent-encoded raw path decodes to exactly dec */
static int proxy_raw_decodes_to(const char *raw, size_t raw_len, const char *dec, size_t dec_len)
{
  size_t i = 0, j = 0;
  for (; i < raw_len; j++) {
    int ch = (unsigned char)raw[i++];
    if (ch == '%' && i + 1 < raw_len && proxy_hex(raw[i]) >= 0 && proxy_hex(raw[i + 1]) >= 0) {
      ch = proxy_hex(raw[i]) * 16 + proxy_hex(raw[i + 1]);
      i += 2;
    }
    if (j >= dec_len || (unsigned char)dec[j] != ch)
      return 0;
  }
  return j == dec_len;
}

/* The part of the raw path that decodes to the program's path: all of it, or
 * the tail a stripped prefix (handle_path) left. Caddy sends the escaped path
 * as the client wrote it (%2F, %7E, %2e stay), so we send these bytes, not a
 * re-encoding of the decoded path. NULL when no tail matches. */
static const char *proxy_raw_tail(const char *raw, size_t raw_len, const char *dec, size_t dec_len,
                                  size_t *tail_len)
{
  for (size_t i = 0; i < raw_len; i++)
    if (raw[i] == '/' && proxy_raw_decodes_to(raw + i, raw_len - i, dec, dec_len)) {
      *tail_len = raw_len - i;
      return raw + i;
    }
  return NULL;
}

/* the target without the scheme and authority of an absolute-form one (the
 * parser found where they end): upstreams get the origin form, as Go's
 * transport sends it */
static const char *proxy_origin_form(const struct http_request *req, size_t *len)
{
  *len = req->target_len - req->origin_at;
  return req->target + req->origin_at;
}

/* the query sent upstream: the request's, '?' and all, or the one a
 * rewrite set (reverse_proxy rewrite), then '?' only when it is not empty */
struct proxy_query {
  const char *mark, *s;
  size_t mark_len, len;
};

static void proxy_query_of(struct proxy_query *pq, const struct exec_decision *dec, const char *q, size_t qlen)
{
  if (dec->query_set)
    *pq = (struct proxy_query){"?", dec->query, dec->query_len ? 1 : 0, dec->query_len};
  else
    *pq = (struct proxy_query){"", q ? q : "", 0, qlen};
}

static int proxy_target_put(struct exchange *ex, size_t at, const struct proxy_query *pq)
{
  if (pq->mark_len + pq->len > EXCHANGE_TARGET_CAP - at)
    return -ENOSPC;
  memcpy(ex->target + at, pq->mark, pq->mark_len);
  memcpy(ex->target + at + pq->mark_len, pq->s, pq->len);
  ex->target_len = at + pq->mark_len + pq->len;
  return 0;
}

static int proxy_keep_target(struct exchange *ex, const char *path, size_t path_len, const struct proxy_query *pq)
{
  if (path_len > EXCHANGE_TARGET_CAP)
    return -ENOSPC;
  memcpy(ex->target, path, path_len);
  return proxy_target_put(ex, path_len, pq);
}

int proxy_prepare(struct worker *w, struct exchange *ex, const struct exec_decision *dec)
{
  if (!w->proxy || dec->action_id >= w->proxy->set_count)
    return -EINVAL;
  ex->proxy_id = dec->action_id;
  size_t target_len, tail_len;
  const char *target = proxy_origin_form(&ex->req, &target_len);
  const char *q = memchr(target, '?', target_len);
  size_t path_len = q ? (size_t)(q - target) : target_len;
  struct proxy_query pq, none = {"", "", 0, 0};
  proxy_query_of(&pq, dec, q, target_len - path_len);
  if (ex->req.origin_at && path_len == 0)   /* "http://host" or "http://host?q": path "/" */
    return proxy_keep_target(ex, "/", 1, &pq);
  if (target[0] != '/' || !dec->path || dec->path_len == 0)
    return proxy_keep_target(ex, target, dec->query_set ? path_len : target_len, dec->query_set ? &pq : &none);
  const char *tail = proxy_raw_tail(target, path_len, dec->path, dec->path_len, &tail_len);
  if (tail)
    return proxy_keep_target(ex, tail, tail_len, &pq);
  /* the program made a path the client never sent: encode it */
  int n = proxy_escape_path(dec->path, dec->path_len, ex->target, EXCHANGE_TARGET_CAP);
  return n < 0 ? -ENOSPC : proxy_target_put(ex, (size_t)n, &pq);
}
