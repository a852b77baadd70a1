/* A decision's answer through Caddy's error handling: a handler's error
 * (the error handler, file_server's 404, 403, 500) goes to the server's
 * error routes (handle_errors); the proxy's 502 reaches them through
 * exec_error, and their decision's answer is made here too. */
#ifndef ZSRT_ERRORS_H
#define ZSRT_ERRORS_H

#include "exec.h"
#include "response.h"

struct blob;
struct cage;
struct files_cache;

/* response_from_decision, and on a handler's error: the error routes'
 * answer (dec replaced by their decision: the caller then looks at its
 * action again, ABORT included), or without error routes the empty answer
 * with the error's status. A decision of the error routes (error_status
 * set) is answered as Caddy answers it: an error in them, or no answer,
 * gives the error's status with no body. 0 or a negative errno (the caller
 * answers 500). Right after exec_request or exec_error on this cage only. */
int errors_response(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
                    const struct conn_info *conn, struct exec_decision *dec, struct files_cache *fc,
                    struct response *out);

#endif
