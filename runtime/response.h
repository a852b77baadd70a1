/* The response as it goes on the wire: status, final header list, and a body
 * from memory or from a file. Built from a decision (respond, file_server) or
 * from an upstream's head (reverse_proxy), then serialized by the HTTP layer. */
#ifndef ZSRT_RESPONSE_H
#define ZSRT_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "http.h"

#define RESPONSE_MAX_HEADERS 64
#define RESPONSE_MAX_PARTS   128      /* ranges of one multipart/byteranges answer */

struct blob;

struct response_header {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
};

/* one range of a multipart/byteranges body (files_parts.h) */
struct response_part {
  int64_t start, len;
};

struct response {
  int status;
  struct response_header headers[RESPONSE_MAX_HEADERS];
  size_t header_count;
  const char *body;            /* memory body (may be NULL with body_len 0) */
  size_t body_len;
  int file_fd;                 /* file body: an open fd the sender closes, or -1 */
  uint64_t file_offset, file_len;
  const char *file_path;       /* FILE: the resolved path relative to the root (in scratch) */
  const char *file_root;       /* FILE: the root it was resolved under (in scratch) */
  int head_request;            /* answers a HEAD: with no body Go sends no Content-Length */
  int handler_error;           /* a handler's error of this status (error, file_server's 404 ...): the
                                * error routes answer instead (errors.c); 0: none */
  int precompressed;           /* FILE: a precompressed sidecar answers (Content-Encoding set) */
  char scratch[8192];          /* storage for generated header values */
  size_t scratch_used;
  /* multipart/byteranges: the body (file_len bytes) is file_fd's parts, each
   * after its part head (files_parts.h); part_count 0: one plain body.
   * Last, so that the pages of the ranges are touched only when used. */
  unsigned part_count;
  int64_t part_size;           /* the file's size, for each Content-Range */
  const char *part_type;       /* each part's Content-Type (scratch) */
  char boundary[64];
  struct response_part parts[RESPONSE_MAX_PARTS];
};

/* RESPOND, NEXT and FILE decisions (and trapped ones: a 500) to a response;
 * for FILE this resolves the path under the root and opens the file, or
 * answers from the worker's file cache (NULL: none).
 * Returns 0 or a negative errno (the caller answers 500). */
struct files_cache;
int response_from_decision(const struct blob *blob, const struct exec_decision *dec,
                           const struct http_request *req, struct files_cache *fc, struct response *out);

/* header list edits, by field name case-insensitively; names are stored in
 * Go's canonical form (Content-Type, Etag, X-Foo) in the scratch, values are
 * not copied: they must live as long as the response (decision storage, the
 * scratch via response_keep, or static strings). 0 or -ENOSPC. */
int response_header_add(struct response *resp, const char *name, size_t name_len,
                        const char *value, size_t value_len);
int response_header_set(struct response *resp, const char *name, size_t name_len,
                        const char *value, size_t value_len);
void response_header_del(struct response *resp, const char *name, size_t name_len);
const struct response_header *response_header_get(const struct response *resp, const char *name);
/* copies bytes into the response's scratch (NUL-terminated); NULL when full */
const char *response_keep(struct response *resp, const char *s, size_t len);
/* an empty response with the given status and Server: zsrt */
void response_init(struct response *resp, int status);
/* the IMF-fixdate of t (29 bytes plus NUL) */
void response_format_date(int64_t t, char out[30]);

/* applies the decision's header ops (set/add/delete) to a response, as
 * Caddy's header handler does; used for upstream responses too */
void response_apply_ops(struct response *resp, const struct exec_decision *dec);

/* false for statuses that never carry a body (1xx, 204, 304) */
int response_has_body(int status);

/* how a head frames its body: what the HTTP layer decides, not the handler */
struct response_framing {
  int version_minor;           /* of the request: HTTP/1.0 or HTTP/1.1 in the status line */
  int keep_alive;              /* else Connection: close (1.1); 1.0 gets keep-alive when kept */
  int64_t content_length;      /* written when >= 0 and the fields hold none */
  int chunked;                 /* Transfer-Encoding: chunked */
  int bare;                    /* no Date: Go's answer to unparsable input */
};

/* The one HTTP/1.x response-head writer, for every answer zsrt sends (local,
 * file, proxied, errors): the status line from status.def, the fields sorted
 * as Go writes them (invalid names dropped, CR/LF/NUL in values made spaces),
 * Date, then the framing. Returns the length, or -ENOSPC. */
int response_write_head(const struct response *resp, const struct response_framing *f,
                        char *buf, size_t cap);

/* response_write_head with the framing of a decision's response (Content-Length
 * of its memory or file body, none for bodyless statuses) */
int response_serialize_head(const struct response *resp, int version_minor, int keep_alive,
                            char *buf, size_t cap);

/* What HTTP/2 (h2/h2_head.c) writes the same way as the HTTP/1.x head: the
 * header indices sorted as Go sorts them (order holds header_count), the
 * field-name check, the cached Date, and the Content-Length of a decision's
 * response (-1: none is sent) */
void response_sort(const struct response *resp, size_t *order);
int response_name_valid(const char *name, size_t len);
/* Go's CanonicalMIMEHeaderKey, in place (Content-Type, Etag, X-Foo) */
void response_canonicalize(char *name, size_t len);
const char *response_date_now(void);
int64_t response_content_length(const struct response *resp);

/* the plain "400 Bad Request" answer Go gives to input it cannot serve */
void response_init_error(struct response *resp, int status);

/* Go's http.StatusText: "Not Found", "" for a code it does not know */
const char *response_status_text(int status);

#endif
