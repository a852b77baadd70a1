/* encode: the response a handler chain produced, compressed on its way out
 * as Caddy's encode handler does. encode.c decides (the client's
 * Accept-Encoding, minimum_length, the response matcher) and edits the head;
 * encode_stream.c holds the compressors, a bounded pool of them per worker,
 * and compresses a body piece by piece: nothing buffers a whole body. */
#ifndef ZSRT_ENCODE_H
#define ZSRT_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct blob;
struct response;
struct exec_decision;

enum encode_coding { ENCODE_NONE = 0, ENCODE_GZIP = 1, ENCODE_ZSTD = 2 };

#define ENCODE_SLOTS   32            /* bodies a worker compresses at once; more go out as they are */
#define ENCODE_STEP    (64 * 1024)   /* input bytes compressed at a time (a file read) */
/* what a step of n input bytes can grow to, with its flush (and a frame's head and end) */
#define ENCODE_BOUND(n) ((n) + (n) / 16 + 512)
/* Go sets Content-Length on a body of unknown length when the handler ends
 * with no more than this written (net/http's bufferBeforeChunkingSize) */
#define ENCODE_GO_BUFFERED 2048
#define ENCODE_STAGED_CAP (ENCODE_BOUND(ENCODE_STEP) + 2 * ENCODE_GO_BUFFERED)

struct encoder;
struct encode_pool;

/* ---- encode.c: Caddy's choice ---- */

/* Caddy's AcceptedEncodings over a list of offered names: the indices of
 * those the request accepts, best first (q-values, ties by prefer, then
 * the client's order); none without Accept-Encoding, and only identity for
 * a WebSocket handshake. Returns how many (at most cap). */
struct encode_offer {
  const char *const *names;    /* the offered encodings ("gzip", "zstd", "br") */
  size_t count;
  const char *const *prefer;   /* the server's order */
  size_t prefer_count;
};
size_t encode_accepted(const struct http_request *req, const struct encode_offer *o, unsigned *out, size_t cap);

/* The encoding the request asks for among the record's (AcceptedEncodings:
 * the first Accept-Encoding field, q-values, ties broken by prefer), none
 * for Cache-Control: no-transform and WebSocket handshakes */
enum encode_coding encode_choose(const struct blob *blob, unsigned record, const struct http_request *req);

/* Caddy's responseWriter deciding on its first write (or at Close for a
 * body never written: length is then the Content-Length): 1 when the body
 * is to be encoded, with the head edited (Content-Encoding, Vary,
 * Content-Length and Accept-Ranges dropped, a strong ETag suffixed); 0 when
 * it goes out as it is (a 304 still gets Vary). length: the Content-Length
 * the handler set, -1 none; first: the size of its first write, 0 none. */
int encode_head(const struct blob *blob, unsigned record, enum encode_coding coding, struct response *resp,
                int64_t length, size_t first);

/* The decision for an exchange's answer when its program ran encode:
 * encode_choose, a compressor, encode_head. 1: the body is to be encoded
 * with ex->enc; 0: as it is; -1: the head could not be edited (a 500). */
struct worker;
struct exchange;
int encode_begin(struct worker *w, struct exchange *ex, struct response *resp, int64_t length, size_t first);
/* gives the exchange's compressor back (none: nothing) */
void encode_end(struct exchange *ex);

/* "gzip", "zstd" */
const char *encode_name(enum encode_coding coding);

/* ---- encode_stream.c: the compressors ---- */

struct encode_pool *encode_pool_create(void);
void encode_pool_destroy(struct encode_pool *pool);

/* a compressor set up for the record's level; NULL when every slot is busy
 * or the library has no memory (the body then goes out unencoded) */
struct encoder *encode_open(struct encode_pool *pool, const struct blob *blob, unsigned record,
                            enum encode_coding coding);
void encode_release(struct encoder *e);

/* Compresses len bytes (any number) and flushes them, or ends the stream
 * when last; writes at most cap bytes, which must be at least
 * ENCODE_BOUND(len). Returns the bytes written or -errno. */
long encode_step(struct encoder *e, const char *in, size_t len, int last, char *out, size_t cap);

/* the encoder's own buffers: where a file's bytes are read (ENCODE_STEP),
 * and compressed bytes kept until a frame takes them (HTTP/2) */
char *encode_input(struct encoder *e);
struct encode_staged {
  char *data;                  /* ENCODE_STAGED_CAP */
  size_t start, len;
  int ended;                   /* the stream's end is in it: nothing follows */
};
struct encode_staged *encode_staged(struct encoder *e);

#endif
