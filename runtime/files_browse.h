/* file_server browse: the listing of a directory that has no index file
 * (files_browse.c), as Caddy's file_server answers with browse on. */
#ifndef ZSRT_FILES_BROWSE_H
#define ZSRT_FILES_BROWSE_H

#include "../abi/blob.h"
#include "http.h"
#include "response.h"

#define FILES_BROWSE_MAX ZS_BROWSE_MAX_ENTRIES   /* entries read at most (file_limit's bound) */

struct blob;
struct zs_file_server;

/* Lists the directory open at dir_fd (url_path: the cleaned request path, for
 * the page's title and links) into out: 200 with the listing as a file body
 * (a memfd), JSON or HTML by the request's Accept. Returns 0 or a negative errno. */
int files_browse_respond(const struct blob *blob, const struct zs_file_server *rec, const struct http_request *req,
                         int dir_fd, const char *url_path, struct response *out);

#endif
