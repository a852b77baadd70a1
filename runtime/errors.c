/* Caddy's error handling (server.go ServeHTTP, routes.go errorEmptyHandler)
 * around response_from_decision: the error routes run as their own entry
 * on the request as it was sent, with {http.error.*} set. */
#include "errors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

#define ERRORS_PATH_MAX 4096     /* files.c's FILES_PATH_MAX */

/* the answer with no body and the error's status: header ops set before
 * the error stay (Caddy's w.Header()), deferred ones are dropped */
static void errors_status_only(struct exec_decision *dec, int status, struct response *out)
{
  for (size_t i = 0; i < dec->op_count; i++)
    dec->ops[i].dropped |= dec->ops[i].deferred;
  /* the file a file_server looked for stays named (--run-request shows it) */
  char path[ERRORS_PATH_MAX], root[ERRORS_PATH_MAX];
  snprintf(path, sizeof path, "%s", out->file_path ? out->file_path : "");
  snprintf(root, sizeof root, "%s", out->file_root ? out->file_root : "");
  int named = out->file_path != NULL;
  response_init(out, status);
  if (named) {
    out->file_path = response_keep(out, path, strlen(path));
    out->file_root = response_keep(out, root, strlen(root));
  }
  response_apply_ops(out, dec);
}

/* the error routes' answer (dec->error_status is set): the error's status
 * when they answered nothing (errorEmptyHandler) or failed themselves
 * ("error handling handler error"), file_server's with the error's status */
static void errors_routes_answer(struct exec_decision *dec, struct response *out)
{
  int status = dec->error_status;
  if (dec->trapped || dec->action == ZS_ACT_ABORT)
    return;
  if (dec->action == ZS_ACT_NEXT || out->handler_error) {
    if (out->file_fd >= 0)
      close(out->file_fd);
    dec->action = ZS_ACT_NEXT;
    errors_status_only(dec, status, out);
    return;
  }
  if (dec->action == ZS_ACT_FILE && out->status == 200)
    out->status = status;
}

int errors_response(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
                    const struct conn_info *conn, struct exec_decision *dec, struct files_cache *fc,
                    struct response *out)
{
  int rc = response_from_decision(blob, dec, req, fc, out);
  if (rc < 0 || (!out->handler_error && !dec->error_status))
    return rc;
  if (!dec->error_status) {    /* a handler's error: the error routes take over */
    int status = out->handler_error;
    int from_error = dec->action == ZS_ACT_ERROR;
    rc = exec_error(blob, cage, server, req, conn, dec, status, from_error ? dec->body : NULL,
                    from_error ? dec->body_len : 0);
    if (rc == -ENOENT) {       /* no error routes: w.WriteHeader(errStatus) */
      errors_status_only(dec, status, out);
      return 0;
    }
    if (rc < 0)
      return rc;
    if ((rc = response_from_decision(blob, dec, req, fc, out)) < 0)
      return rc;               /* a PROXY decision among them: lowering refuses it */
  }
  errors_routes_answer(dec, out);
  return 0;
}
