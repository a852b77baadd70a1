/* The limits of an HTTP/2 session: the SETTINGS Go's server sends (which
 * Caddy keeps: 250 streams, a 1 MiB header list, 1 MiB windows), and what
 * refuses the known attacks: rapid reset (a token bucket on the client's
 * RST_STREAM, as nghttp2 >= 1.57 keeps), CONTINUATION, SETTINGS and PING
 * floods and HPACK bombs (nghttp2's options, and GOAWAY ENHANCE_YOUR_CALM). */
#include "h2_internal.h"

#include <errno.h>

#define H2_WINDOW          (1 << 20)   /* Go: MaxUploadBufferPerStream and ...PerConnection */
#define H2_MAX_FRAME       (1 << 20)   /* Go: MaxReadFrameSize */
#define H2_TABLE_SIZE      4096        /* HPACK dynamic tables, both ways */
#define H2_RESET_BURST     1000        /* resets a client may send at once ... */
#define H2_RESET_RATE      33          /* ... and per second after that */
#define H2_MAX_ACKS        1000        /* SETTINGS and PING acks queued unsent: a flood */
#define H2_MAX_SETTINGS    32          /* entries in one SETTINGS frame */
/* CONTINUATION frames after a HEADERS: enough for a full header list in 16 KiB frames */
#define H2_MAX_CONTINUATIONS (H2_MAX_LIST / 16384 + 1)

nghttp2_option *h2_limits_option(void)
{
  nghttp2_option *opt;
  if (nghttp2_option_new(&opt) != 0)
    return NULL;
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, H2_TABLE_SIZE);
  nghttp2_option_set_max_outbound_ack(opt, H2_MAX_ACKS);
  nghttp2_option_set_max_settings(opt, H2_MAX_SETTINGS);
  nghttp2_option_set_max_continuations(opt, H2_MAX_CONTINUATIONS);
  /* nghttp2's own reset limiter is the backstop: ours answers first, with
   * ENHANCE_YOUR_CALM as Go's fix does */
  nghttp2_option_set_stream_reset_rate_limit(opt, 2 * H2_RESET_BURST, 2 * H2_RESET_RATE);
  return opt;
}

int h2_limits_submit_settings(nghttp2_session *session)
{
  /* Go's order: frame size, streams, header list, table size, window */
  const nghttp2_settings_entry iv[] = {
    {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, H2_MAX_FRAME},
    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS},
    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, H2_MAX_LIST},
    {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, H2_TABLE_SIZE},
    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_WINDOW},
  };
  int rc = nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
  if (rc == 0)   /* the connection window, as Go opens it right after SETTINGS */
    rc = nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, H2_WINDOW);
  return rc == 0 ? 0 : -ENOMEM;
}

int h2_limits_count_reset(struct h2_conn *h, uint64_t now_ms)
{
  if (h->reset_ms == 0) {
    h->reset_tokens = H2_RESET_BURST;
    h->reset_ms = now_ms;
  }
  uint64_t refill = (now_ms - h->reset_ms) * H2_RESET_RATE / 1000;
  if (refill > 0) {
    h->reset_tokens = h->reset_tokens + refill > H2_RESET_BURST ? H2_RESET_BURST : h->reset_tokens + refill;
    h->reset_ms = now_ms;
  }
  if (h->reset_tokens == 0)
    return -1;
  h->reset_tokens--;
  return 0;
}

int h2_limits_goaway_code(const struct h2_conn *h, int error)
{
  switch (error) {
  case NGHTTP2_ERR_FLOODED:
  case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
  case NGHTTP2_ERR_TOO_MANY_SETTINGS:
    return NGHTTP2_ENHANCE_YOUR_CALM;
  case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
    return -1;   /* not HTTP/2 after all: nothing it would read */
  case NGHTTP2_ERR_CALLBACK_FAILURE:
    return h->calm ? NGHTTP2_ENHANCE_YOUR_CALM :
           h->stream_went_down ? NGHTTP2_PROTOCOL_ERROR : NGHTTP2_INTERNAL_ERROR;
  default:
    return NGHTTP2_INTERNAL_ERROR;
  }
}
