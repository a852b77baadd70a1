/* Caddy's error handling (server.go ServeHTTP, routes.go errorEmptyHandler)
 * around response_from_decision: the error routes run as their own entry
 * on the request as it was sent, with {http.error.*} set. */
#include "errors.h"

#include <errno.h>
#include <unistd.h>

#include "loader.h"

/* the answer with no body and the error's status: header ops set before
 * the error stay (Caddy's w.Header()), deferred ones are dropped */
static void errors_status_only(struct exec_decision *dec, int status, struct response *out)
{
  for (size_t i = 0; i < dec->op_count; i++)
    dec->ops[i].dropped |= dec->ops[i].deferred;
  response_init(out, status);
  response_apply_ops(out, dec);
}

int errors_response(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
                    const struct conn_info *conn, struct exec_decision *dec, struct files_cache *fc,
                    struct response *out)
{
  int rc = response_from_decision(blob, dec, req, fc, out);
  if (rc < 0 || !out->handler_error)
    return rc;
  int status = out->handler_error;
  int from_error = dec->action == ZS_ACT_ERROR;
  rc = exec_error(blob, cage, server, req, conn, dec, status, from_error ? dec->body : NULL,
                  from_error ? dec->body_len : 0);
  if (rc == -ENOENT) {         /* no error routes: w.WriteHeader(errStatus) */
    dec->action = ZS_ACT_NEXT;
    errors_status_only(dec, status, out);
    return 0;
  }
  if (rc < 0)
    return rc;
  if (dec->trapped || dec->action == ZS_ACT_ABORT)
    return response_from_decision(blob, dec, req, fc, out);
  if (dec->action == ZS_ACT_PROXY)
    return -EINVAL;            /* lowering refuses reverse_proxy in error routes */
  if (dec->action == ZS_ACT_NEXT) {   /* errorEmptyHandler: the error's status */
    errors_status_only(dec, status, out);
    return 0;
  }
  rc = response_from_decision(blob, dec, req, fc, out);
  if (rc < 0)
    return rc;
  if (out->handler_error) {    /* "error handling handler error": the first error's status */
    if (out->file_fd >= 0)
      close(out->file_fd);
    dec->action = ZS_ACT_NEXT;
    errors_status_only(dec, status, out);
    return 0;
  }
  /* file_server in an error route answers with the error's status */
  if (dec->action == ZS_ACT_FILE && out->status == 200)
    out->status = status;
  return 0;
}
