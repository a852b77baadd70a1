/* The state HTTP/2 keeps: one session per connection and the worker's pool of
 * streams, each with its exchange and its buffers (header storage, request
 * body, relayed upstream bytes) in one mapping touched only when used. Shared
 * by the files of runtime/h2/, nothing outside. */
#ifndef ZSRT_H2_INTERNAL_H
#define ZSRT_H2_INTERNAL_H

#include <nghttp2/nghttp2.h>
#include <stddef.h>
#include <stdint.h>

#include "../exchange.h"
#include "../loop.h"
#include "../proxy.h"

#define H2_MAX_STREAMS     250                 /* SETTINGS_MAX_CONCURRENT_STREAMS, Go's default */
#define H2_POOL_STREAMS    1024                /* streams in flight per worker */
#define H2_MAX_LIST        ((1 << 20) + 10 * 32) /* Go: MaxHeaderBytes (1 MiB) plus 10 fields of overhead */
#define H2_HEAD_CAP        (1 << 20)           /* header storage per stream: 431 beyond */
#define H2_BODY_CAP        (PROXY_MAX_BODY > EXEC_MAX_BODY ? PROXY_MAX_BODY : EXEC_MAX_BODY)
#define H2_RELAY_CAP       PROXY_IN_CAP        /* upstream bytes between two pushes */
#define H2_STREAM_BUFS     (H2_HEAD_CAP + H2_BODY_CAP + H2_RELAY_CAP)
#define H2_BODY_BUDGET     (4 * PROXY_MAX_BODY) /* request bodies one connection may hold */

/* where a stream's response body comes from */
enum h2_source {
  H2_SRC_NONE = 0,
  H2_SRC_MEM,                  /* the stream's body buffer (a respond body, copied) */
  H2_SRC_FILE,                 /* pread from an open file */
  H2_SRC_RELAY,                /* an upstream's bytes, pushed by the proxy */
};

struct h2_field {              /* a request field in the stream's header storage */
  uint32_t name, name_len, value, value_len;
};

struct h2_conn;

struct h2_stream {
  struct exchange ex;          /* first: the sink finds the stream from its exchange */
  struct h2_conn *h;
  struct h2_stream *prev, *next;
  int32_t id;
  unsigned slot;               /* in the pool */
  /* the request as received */
  char *head;                  /* H2_HEAD_CAP: names and values */
  size_t head_len;
  size_t list_size;            /* the header list size as RFC 9113 counts it */
  struct h2_field fields[HTTP_MAX_HEADERS];
  size_t field_count;
  struct h2_field method, path, authority, scheme, host, cookie;
  int has_method, has_path, has_authority, has_host;
  int too_big;                 /* did not fit: answered 431 */
  int dispatched, end_stream, waiting_body;
  /* the request body, gathered for an upstream (or a respond body, copied) */
  char *body;                  /* H2_BODY_CAP */
  size_t body_len;
  size_t body_held;            /* of it, counted in the connection's body budget */
  int body_discard;
  /* the response body */
  enum h2_source src;
  size_t mem_off;
  int fd;
  uint64_t file_off, file_left;
  char *relay;                 /* H2_RELAY_CAP */
  size_t relay_start, relay_len;
  int relay_eof, relay_wait, relay_drained;
  int deferred;                /* the data source said "later" */
  int answered;                /* a response (or a reset) was submitted */
  int goaway_after;            /* the answer asked to close: GOAWAY once it is out */
};

struct h2_conn {
  struct worker *w;
  struct conn *c;
  nghttp2_session *session;
  struct h2_stream *streams;   /* in flight on this connection */
  unsigned stream_count;
  size_t body_bytes;           /* request bodies held, against H2_BODY_BUDGET */
  int busy, again;             /* inside h2_conn_flush: a nested flush only asks for another round */
  int in_recv;                 /* inside mem_recv: sending waits */
  int goaway;                  /* a GOAWAY was submitted: no new streams */
  int calm;                    /* a flood was seen: GOAWAY ENHANCE_YOUR_CALM */
  int stream_went_down;        /* a new stream's id was not above the last: PROTOCOL_ERROR */
  int32_t max_stream_id;       /* the highest stream the client opened */
  int done;                    /* close once the out buffer is sent */
  int linger;                  /* ... and a moment later: the client reads why (an error GOAWAY) */
  uint64_t done_ms;            /* when the out buffer was sent, lingering */
  /* the client's RST_STREAM budget (token bucket, refilled per second) */
  uint64_t reset_tokens, reset_ms;
};

struct h2_pool {
  struct h2_conn conns[LOOP_MAX_CONNS];   /* by connection index */
  nghttp2_session_callbacks *callbacks;
  nghttp2_option *option;
  struct h2_stream *streams;   /* H2_POOL_STREAMS */
  char *bufs;                  /* their buffers */
  unsigned free[H2_POOL_STREAMS];
  unsigned free_count;
  unsigned lingering;          /* connections waiting to close after an error GOAWAY */
};

/* h2_conn.c */
void h2_conn_flush(struct h2_conn *h);
/* GOAWAY with the last stream taken: those finish, no new ones start */
void h2_conn_goaway(struct h2_conn *h);

/* h2_limits.c: Go's server SETTINGS and the attack limits */
nghttp2_option *h2_limits_option(void);
int h2_limits_submit_settings(nghttp2_session *session);
/* a client RST_STREAM: 0, or -1 past the rapid-reset budget */
int h2_limits_count_reset(struct h2_conn *h, uint64_t now_ms);
/* what a fatal mem_recv error answers: the GOAWAY code, or -1 for none */
int h2_limits_goaway_code(const struct h2_conn *h, int nghttp2_error);

/* h2_stream.c */
int h2_stream_pool_init(struct h2_pool *pool);
void h2_stream_pool_fini(struct h2_pool *pool);
struct h2_stream *h2_stream_open(struct h2_conn *h, int32_t id);
void h2_stream_free(struct h2_stream *st);
int h2_stream_add_field(struct h2_stream *st, const uint8_t *name, size_t name_len,
                        const uint8_t *value, size_t value_len);
void h2_stream_headers_done(struct h2_stream *st, int end_stream);
void h2_stream_data(struct h2_stream *st, const uint8_t *data, size_t len);
void h2_stream_body_done(struct h2_stream *st);
/* a decision (or the error routes' one) answered on the stream; the decision goes back */
void h2_stream_answer(struct h2_stream *st);

/* h2_head.c: responses on a stream */
int h2_head_submit(struct h2_stream *st, const struct response *resp, int64_t content_length,
                   int bare, int with_body);
void h2_head_error(struct h2_stream *st, int status);
void h2_head_reset(struct h2_stream *st, uint32_t code);
/* multipart/byteranges: length bytes of the body from its position (file_off),
 * part heads and file ranges; -1 when the file shrank */
int h2_head_read_parts(struct h2_stream *st, char *out, size_t length);
int h2_head_send_data(nghttp2_session *session, nghttp2_frame *frame, const uint8_t *framehd,
                      size_t length, nghttp2_data_source *source, void *user_data);

/* h2_encode.c: a stream's body through its exchange's encoder */
int h2_encode_refill(struct h2_stream *st);
/* the content-length to declare (-1 none), or -2 when compressing failed */
int64_t h2_encode_prepare(struct h2_stream *st, int head, int file);

/* h2_proxy.c */
extern const struct exchange_sink h2_proxy_sink;
void h2_proxy_after_send(struct h2_conn *h);
void h2_proxy_settle(struct h2_stream *st);

static inline struct h2_stream *h2_stream_of(struct exchange *ex)
{
  return (struct h2_stream *)(void *)ex;
}

#endif
