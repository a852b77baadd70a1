/* file_server: the FILE action of a decision turned into a response with an
 * open file (or a redirect, 304, 404, ...), as Caddy's file_server answers. */
#ifndef ZSRT_FILES_H
#define ZSRT_FILES_H

#include <stddef.h>

#include "exec.h"
#include "http.h"
#include "response.h"

struct blob;
struct files_cache;
struct zs_file_server;

/* Resolves the decision's path under the root (the root variable if the
 * program set one, else the file_server record's), never outside it, and
 * fills out (already response_init'ed): status, headers, file_fd/len.
 * Errors of the request (missing file, escape attempts) are statuses, not
 * return values; returns 0 or -ENOSPC when the response overflows. With a
 * cache (files_cache.h; NULL: none) a file served recently is answered from
 * it: a small one's bytes as the memory body, which the caller copies out
 * before it serves another request on this thread. */
int files_respond(const struct blob *blob, const struct exec_decision *dec,
                  const struct http_request *req, struct files_cache *fc, struct response *out);

/* Go's path.Clean of "/" + path, without the leading slash ("" for the root);
 * a trailing slash of path is kept. Returns the length or -ENAMETOOLONG. */
int files_clean_path(const char *path, size_t len, char *out, size_t cap);

/* Is root/rel hidden by the record's hide patterns (Caddy's fileHidden on
 * absolute paths)? files_hide.c */
int files_hidden(const struct blob *blob, const struct zs_file_server *rec, const char *root, const char *rel);

/* the same for an entry of a directory listing, by its name alone */
int files_hidden_name(const struct blob *blob, const struct zs_file_server *rec, const char *name);

/* Content-Type for a file name by its extension (the blob's mime table), or NULL */
const char *files_mime_type(const struct blob *blob, const char *name);

#endif
