/* The part of file_server that Go's http.ServeContent does: ETag (as Caddy
 * computes it), conditional requests (304) and single byte ranges (206/416). */
#ifndef ZSRT_FILES_COND_H
#define ZSRT_FILES_COND_H

#include <stddef.h>
#include <sys/stat.h>

#include "http.h"
#include "response.h"

/* Caddy's ETag: "\"" base36(mtime seconds) base36(size) "\"" */
void files_cond_etag(const struct stat *st, char *out, size_t cap);

/* With Content-Type, Etag and Last-Modified already in out: answers 304 for
 * a matching If-None-Match / If-Modified-Since (closing fd), 206 or 416 for a
 * Range, else 200 with the whole file. out takes fd (file_fd) when it sends
 * the file. encoding: the one encode chose for this request, or NULL; the
 * suffix it adds to strong ETags is taken off If-None-Match first, as
 * Caddy's encode handler does before the file server sees it.
 * 0 or -ENOSPC. */
int files_cond_serve(const struct http_request *req, int fd, const struct stat *st, const char *encoding,
                     struct response *out);

/* value of a request header (first of that name), or NULL */
const char *files_cond_header(const struct http_request *req, const char *name, size_t *len);

#endif
