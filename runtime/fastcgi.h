/* FastCGI in the responder role, as Caddy's fastcgi transport speaks it: the
 * records of a request written into the caller's buffers, the record stream
 * of the answer decoded piece by piece, and the CGI response head its STDOUT
 * begins with. Allocation-free; the decoders keep picohttpparser's contract.
 * Not the connections, pool or timeouts (the proxy's). */
#ifndef ZSRT_FASTCGI_H
#define ZSRT_FASTCGI_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* X(NAME, record type) of the FastCGI 1.0 specification */
#define FASTCGI_TYPES(X) \
  X(BEGIN_REQUEST, 1) X(ABORT_REQUEST, 2) X(END_REQUEST, 3) X(PARAMS, 4) X(STDIN, 5) \
  X(STDOUT, 6) X(STDERR, 7) X(DATA, 8) X(GET_VALUES, 9) X(GET_VALUES_RESULT, 10) X(UNKNOWN_TYPE, 11)

enum fastcgi_type {
  FASTCGI_NONE = 0,            /* a piece that carries no content (a header, padding) */
#define FASTCGI_TYPE_ENUM(name, value) FASTCGI_##name = value,
  FASTCGI_TYPES(FASTCGI_TYPE_ENUM)
#undef FASTCGI_TYPE_ENUM
};

#define FASTCGI_HEADER_LEN  8
#define FASTCGI_MAX_CONTENT 65500   /* content bytes per record Caddy writes (maxWrite) */
#define FASTCGI_REQUEST_ID  1       /* one request per connection, as Caddy's client */
#define FASTCGI_BEGIN_LEN   (2 * FASTCGI_HEADER_LEN)

/* ---- the request ---- */

/* the header of a record of type with content_len (<= FASTCGI_MAX_CONTENT)
 * content bytes; returns the padding that must follow the content (0..7) */
size_t fastcgi_record_header(uint8_t out[FASTCGI_HEADER_LEN], enum fastcgi_type type, size_t content_len);

/* BEGIN_REQUEST: the responder role, no FCGI_KEEP_CONN (Caddy's flags 0, so
 * the application closes the connection after the answer) */
void fastcgi_begin_request(uint8_t out[FASTCGI_BEGIN_LEN]);

/* PARAMS records built into a caller's buffer, pair after pair */
struct fastcgi_params {
  uint8_t *buf;
  size_t cap, len;
  size_t record;               /* where the open record's header is */
};

void fastcgi_params_init(struct fastcgi_params *p, void *buf, size_t cap);
/* one name-value pair; a value that would make the pair longer than one
 * record's content is cut to fit, as Caddy cuts it. 0, -EINVAL (a name too
 * long for any record), -ENOSPC (the buffer is full; p is unchanged) */
int fastcgi_params_put(struct fastcgi_params *p, const char *name, size_t name_len, const char *value,
                       size_t value_len);
/* closes the open record and adds the empty PARAMS record ending the stream;
 * the bytes written in all (> 0) or -ENOSPC */
int fastcgi_params_end(struct fastcgi_params *p);

/* ---- the answer ---- */

/* the place in the record stream; zero it to start */
struct fastcgi_stream {
  enum fastcgi_type type;      /* of the record being read */
  uint32_t content_left, padding_left;
  int ended;                   /* END_REQUEST was read */
};

struct fastcgi_piece {
  enum fastcgi_type type;      /* FASTCGI_STDOUT, FASTCGI_STDERR, FASTCGI_END_REQUEST or FASTCGI_NONE */
  const char *data;            /* content bytes inside the consumed part */
  size_t len;
};

/* Consumes the next header, padding or run of content from buf. Returns the
 * bytes consumed (> 0) with *piece filled, -1 for a malformed stream (a
 * version other than 1, or anything after END_REQUEST), -2 when a header is
 * incomplete or len is 0. As Caddy's reader, every record that is neither
 * STDERR nor END_REQUEST is read as STDOUT, whatever its type and request id,
 * and the stream ends at END_REQUEST's header. */
int fastcgi_stream_next(struct fastcgi_stream *s, const char *buf, size_t len, struct fastcgi_piece *piece);

/* the CGI response head at the start of STDOUT */
struct fastcgi_head {
  int status;                  /* Status: its code; 200 without one */
  struct http_header headers[HTTP_MAX_HEADERS];
  size_t header_count;
  int chunked;                 /* the first Transfer-Encoding is "chunked": the body is de-chunked */
};

/* Parses the head at the start of buf (the STDOUT bytes so far) with Go's
 * textproto rules: lines end in LF or CRLF, a blank line ends the head,
 * "Name: value" with the value trimmed, empty names skipped. at_eof: STDOUT
 * ended, so an unfinished head is the whole head (Caddy takes what it read).
 * Returns the head's length (> 0; 0 only at_eof on an empty buf), -1 when it
 * is malformed (a line without a colon, a name that is not a token, a folded
 * line, a control byte in a value, a Status that is not a code 100-999), -2
 * for more, -3 for more fields than HTTP_MAX_HEADERS. */
int fastcgi_parse_head(const char *buf, size_t len, int at_eof, struct fastcgi_head *out);

#endif
