/* The headers handler's request ops (ZS_HDR_REQ) applied to the request
 * itself (request_headers.c). */
#ifndef ZSRT_REQUEST_HEADERS_H
#define ZSRT_REQUEST_HEADERS_H

#include <stddef.h>

#include "helpers.h"

/* Applies add, set or delete of name to the request's fields as Go's
 * Header.Add, Set and Del do (the value is stored in the decision), then
 * lays the view's header list out again. 0, -ENOSPC (too many fields, or
 * the decision's storage is full) or -E2BIG (the request region is full). */
int request_headers_apply(struct helper_state *st, enum zs_header_op op, const char *name, size_t name_len,
                          const char *value, size_t value_len);

/* Puts the edited fields, if any op ran, back into the request the program
 * was run for. */
void request_headers_commit(const struct helper_state *st, struct http_request *req);

#endif
