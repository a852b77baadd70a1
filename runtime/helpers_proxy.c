/* The variables reverse_proxy's rewrite sets for the request it sends
 * upstream (Caddy's Rewrite on the cloned request): the method, and whether
 * a rewrite to GET or HEAD changed the request, which then goes up without
 * its body. The client's request itself is not changed by them. */
#include <errno.h>
#include <string.h>

#include "exec.h"
#include "helpers.h"

/* the escaped path and '?' query as they are now: Go's RequestURI */
static size_t helper_uri_now(const struct helper_state *st, char *out, size_t cap)
{
  size_t n = st->path_raw_len + (st->query_len ? 1 + st->query_len : 0);
  if (n > cap)
    return (size_t)-1;
  memcpy(out, st->path_raw, st->path_raw_len);
  if (st->query_len) {
    out[st->path_raw_len] = '?';
    memcpy(out + st->path_raw_len + 1, st->query, st->query_len);
  }
  return n;
}

/* strings.ToUpper of the replaced method; Go's transport sends an empty
 * method as GET */
static int helper_upstream_method(struct helper_state *st, char *buf, size_t len)
{
  static const char get[] = "GET";
  char uri[2 * EXEC_MAX_VALUE];
  for (size_t i = 0; i < len; i++)
    if (buf[i] >= 'a' && buf[i] <= 'z')
      buf[i] = (char)(buf[i] - 'a' + 'A');
  const char *m = len ? helper_store(st->dec, buf, len) : get;
  size_t n = helper_uri_now(st, uri, sizeof uri);
  const char *before = n != (size_t)-1 ? helper_store(st->dec, uri, n) : NULL;
  if (!m || (!before && n))
    return -ENOSPC;
  st->dec->upstream_method = m;
  st->dec->upstream_method_len = len ? len : sizeof get - 1;
  st->dec->uri_before = before;
  st->dec->uri_before_len = n;
  return 0;
}

/* Caddy's Rewrite reports a change of the method or of RequestURI */
static int helper_upstream_no_body(struct helper_state *st)
{
  char uri[2 * EXEC_MAX_VALUE];
  const struct exec_decision *dec = st->dec;
  size_t n = helper_uri_now(st, uri, sizeof uri);
  if (!dec->upstream_method || n == (size_t)-1)
    return -EINVAL;
  int method_changed = dec->upstream_method_len != st->req->method_len ||
                       memcmp(dec->upstream_method, st->req->method, st->req->method_len) != 0;
  int uri_changed = n != dec->uri_before_len || memcmp(uri, dec->uri_before, n) != 0;
  st->dec->upstream_no_body = method_changed || uri_changed;
  return 0;
}

int helper_proxy_var_set(struct helper_state *st, unsigned id, char *buf, size_t *len)
{
  int rc = id == ZS_VAR_upstream_method ? helper_upstream_method(st, buf, *len) : helper_upstream_no_body(st);
  *len = 0;
  return rc;
}
