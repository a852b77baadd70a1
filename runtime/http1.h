/* HTTP/1.1 wire parsing (RFC 9112): request heads from clients, response heads
 * from upstreams, and the chunked body decoder. Zero-copy and allocation-free,
 * with picohttpparser's contract: bytes consumed (> 0), or a negative code. */
#ifndef ZSRT_HTTP1_H
#define ZSRT_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define HTTP1_MAX_HEAD      (64 * 1024)   /* request or response head; 431 beyond */
#define HTTP1_MAX_URI       (8 * 1024)    /* request-target; 414 beyond */
#define HTTP1_MAX_CHUNK_LINE 4096         /* chunk-size line with its extensions */

enum http1_result {
  HTTP1_ERR_BAD = -1,             /* malformed: 400 (502 for an upstream) */
  HTTP1_ERR_MORE = -2,            /* incomplete: read more and call again */
  HTTP1_ERR_HEAD_TOO_LARGE = -3,  /* head or header count over the limit: 431 */
  HTTP1_ERR_URI_TOO_LONG = -4,    /* 414 */
  HTTP1_ERR_NOT_IMPLEMENTED = -5, /* a transfer coding other than chunked: 501 */
  HTTP1_ERR_VERSION = -6,         /* HTTP/x.y other than 1.0 and 1.1: 505 */
  HTTP1_ERR_EXPECTATION = -7,     /* an Expect other than 100-continue: 417 */
  HTTP1_ERR_BODY_TOO_LARGE = -8,  /* 413 */
};

/* Parses one request head from buf. Returns head_len (> 0) with *out filled,
 * or an enum http1_result. Feeding any prefix of a buffer gives HTTP1_ERR_MORE
 * or the result the whole buffer gives when that is an error. */
int http1_parse_request(const char *buf, size_t len, struct http_request *out);

/* the status to answer a failed parse with (400, 413, 414, 417, 431, 501, 505) */
int http1_error_status(int result);

enum http1_body {
  HTTP1_BODY_NONE = 0,            /* 1xx, 204, 304, answers to HEAD */
  HTTP1_BODY_LENGTH = 1,          /* Content-Length bytes */
  HTTP1_BODY_CHUNKED = 2,
  HTTP1_BODY_CLOSE = 3,           /* until the upstream closes */
};

struct http1_response {
  int version_minor;
  int status;
  const char *reason;
  size_t reason_len;
  struct http_header headers[HTTP_MAX_HEADERS];
  size_t header_count;
  size_t head_len;
  int64_t content_length;         /* -1 when absent */
  enum http1_body body;
  int keep_alive;                 /* the connection may be reused after the body */
};

/* Parses an upstream response head; head_request: the request was HEAD (no
 * body whatever the headers say). Same contract as http1_parse_request. */
int http1_parse_response(const char *buf, size_t len, int head_request,
                         struct http1_response *out);

/* Streaming chunked decoder: keeps its place between calls, so input may be
 * split anywhere. Zero the struct and set max_body (0: no limit) to start. */
struct http1_chunked {
  int state;
  int done;                       /* the last chunk and the trailers were read */
  uint64_t chunk_left;            /* data bytes left in the current chunk */
  uint64_t total;                 /* body bytes decoded so far */
  uint64_t max_body;
  size_t line_len;                /* bytes of the current size or trailer line */
  size_t trailer_len;             /* bytes of trailers so far */
  unsigned size_digits;
};

/* Consumes from buf up to the end of one run of body data or the end of the
 * body. Returns bytes consumed (>= 0; less than len only when it stopped to
 * hand out data or because the body ended), with *data and *data_len the body
 * bytes inside the consumed part (data_len may be 0); or HTTP1_ERR_BAD,
 * HTTP1_ERR_BODY_TOO_LARGE. Check d->done after each call. */
int http1_chunked_decode(struct http1_chunked *d, const char *buf, size_t len,
                         const char **data, size_t *data_len);

/* host [ ":" port ] as RFC 9112 3.2 / RFC 3986 3.2.2 allow it in Host and
 * in an absolute-form authority (IP-literal, IPv4, reg-name; empty allowed) */
int http1_host_valid(const char *s, size_t n);

/* case-insensitive comparison of a header name or token with a literal */
int http1_token_eq(const char *s, size_t len, const char *lit);

/* true when a comma-separated header value holds the token (case-insensitive) */
int http1_list_has(const char *value, size_t len, const char *token);

#endif
