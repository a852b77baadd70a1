/* file_server browse: the listing of a directory that has no index file
 * (files_browse.c), as Caddy's file_server answers with browse on. */
#ifndef ZSRT_FILES_BROWSE_H
#define ZSRT_FILES_BROWSE_H

#include "http.h"
#include "response.h"

#define FILES_BROWSE_MAX 10000   /* entries listed; a larger directory is answered 500 */

struct blob;
struct zs_file_server;

/* Lists the directory open at dir_fd (url_path: the cleaned request path, for
 * the page's title and links) into out: 200 with the listing as a file body
 * (a memfd), JSON or HTML by the request's Accept. Returns 0, -E2BIG for a
 * directory of more than FILES_BROWSE_MAX entries, or another negative errno. */
int files_browse_respond(const struct blob *blob, const struct zs_file_server *rec, const struct http_request *req,
                         int dir_fd, const char *url_path, struct response *out);

#endif
