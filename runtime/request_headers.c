/* The headers handler's request ops: Caddy's ApplyToRequest edits r.Header
 * in place, so later matchers and placeholders of the program, and what the
 * runtime does after it (an upstream's request, file conditions, the access
 * log) see the edited fields. The first op copies the request's fields into
 * the decision, where names and values the ops add are stored too; the
 * request as sent is untouched until the program is done. */
#include "request_headers.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "exec.h"

/* the decision's copy of the request, made by the first op of this run */
static struct http_request *request_headers_own(struct helper_state *st)
{
  struct http_request *own = &st->dec->req_edit;
  if (st->req != own) {
    *own = *st->req;
    st->req = own;
  }
  return own;
}

/* Header.Del: every line of the field, names compared as canonical keys */
static void request_headers_delete(struct http_request *r, const char *name, size_t n)
{
  size_t kept = 0;
  for (size_t i = 0; i < r->header_count; i++) {
    const struct http_header *h = &r->headers[i];
    if (h->name_len != n || strncasecmp(h->name, name, n) != 0)
      r->headers[kept++] = *h;
  }
  r->header_count = kept;
}

/* Header.Add: one more line, after the field's others */
static int request_headers_add(struct exec_decision *dec, struct http_request *r, const char *name, size_t n,
                               const char *value, size_t value_len)
{
  if (r->header_count == HTTP_MAX_HEADERS)
    return -ENOSPC;
  const char *kept_name = helper_store(dec, name, n), *kept_value = helper_store(dec, value, value_len);
  if (!kept_name || !kept_value)
    return -ENOSPC;
  r->headers[r->header_count++] = (struct http_header){kept_name, n, kept_value, value_len};
  return 0;
}

int request_headers_apply(struct helper_state *st, enum zs_header_op op, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
  struct http_request *r = request_headers_own(st);
  int rc = 0;
  if (op == ZS_HDR_SET || op == ZS_HDR_DELETE)   /* Header.Set: the field's lines become one */
    request_headers_delete(r, name, name_len);
  if (op == ZS_HDR_SET || op == ZS_HDR_ADD)
    rc = request_headers_add(st->dec, r, name, name_len, value, value_len);
  return rc < 0 ? rc : exec_headers_replace(st);
}

void request_headers_commit(const struct helper_state *st, struct http_request *req)
{
  if (st->req != &st->dec->req_edit)
    return;
  memcpy(req->headers, st->req->headers, st->req->header_count * sizeof req->headers[0]);
  req->header_count = st->req->header_count;
}
