/* reverse_proxy's protocol upgrades (WebSocket, or any Upgrade): the request
 * asks with Connection: Upgrade, the upstream answers 101, and from then on
 * bytes go both ways unread (proxy_stream.c sends the client's, proxy.c
 * relays the upstream's) until one side ends, stream_timeout passes, or a
 * reload or stop closes it after stream_close_delay: Caddy's
 * handleUpgradeResponse and cleanupConnections. Not for HTTP/2 clients,
 * which cannot ask (zsrt offers no extended CONNECT). */
#include "proxy_internal.h"

#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "loader.h"
#include "response.h"

/* Caddy's upgradeType: the Upgrade value, lowercased, when Connection lists
 * "upgrade"; NULL otherwise (and for one that is not printable ASCII) */
static const char *upgrade_of(const struct http_header *hs, size_t count, char *buf, size_t cap)
{
  int asked = 0;
  const struct http_header *up = NULL;
  for (size_t i = 0; i < count; i++) {
    if (http1_token_eq(hs[i].name, hs[i].name_len, "connection") &&
        http1_list_has(hs[i].value, hs[i].value_len, "upgrade"))
      asked = 1;
    else if (!up && http1_token_eq(hs[i].name, hs[i].name_len, "upgrade"))
      up = &hs[i];
  }
  if (!asked || !up || up->value_len == 0 || up->value_len >= cap)
    return NULL;
  for (size_t i = 0; i < up->value_len; i++) {
    unsigned char ch = (unsigned char)up->value[i];
    if (ch < 0x20 || ch > 0x7e)
      return NULL;
    buf[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  buf[up->value_len] = 0;
  return buf;
}

const char *proxy_upgrade_type(const struct http_request *req, char *buf, size_t cap)
{
  return upgrade_of(req->headers, req->header_count, buf, cap);
}

/* the client's 101: every upstream field as it came (hop-by-hop ones too,
 * header_down not applied: Caddy copies them before finalizing), then the
 * ops the handlers before the proxy set, Server and Date */
static int tunnel_head(struct worker *w, struct upstream *up, struct conn *c, struct exchange *ex)
{
  (void)w;
  struct response *r = ex->resp;
  response_init(r, 101);
  if (up->resp.header_count > RESPONSE_MAX_HEADERS - r->header_count)
    return -1;
  for (size_t i = 0; i < up->resp.header_count; i++) {
    const struct http_header *h = &up->resp.headers[i];
    r->headers[r->header_count++] = (struct response_header){h->name, h->name_len, h->value, h->value_len};
  }
  response_apply_ops(r, ex->dec);
  struct response_framing f = {.version_minor = ex->req.version_minor, .keep_alive = 1, .content_length = -1};
  int n = response_write_head(r, &f, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  if (n < 0)
    return -1;
  c->out_len += (size_t)n;
  return 0;
}

/* A switch Caddy did not ask for (no Upgrade asked, another protocol, one
 * not named by Connection): its handler returns having written nothing, and
 * Go's server answers 200 with an empty body */
static int tunnel_refuse(struct worker *w, struct upstream *up, struct conn *c, struct exchange *ex)
{
  log_http_error(&w->log, &ex->req, &c->info, 200,
                 "reverse_proxy: backend tried to switch to unexpected protocol via Upgrade header", 0);
  up->resp.keep_alive = 0;
  up->resp.body = HTTP1_BODY_NONE;
  if (ex->sink) {
    ex->sink->fail(w, ex, 200);
    return 1;
  }
  struct response *r = ex->resp;
  response_init(r, 200);
  response_apply_ops(r, ex->dec);
  struct response_framing f = {.version_minor = ex->req.version_minor, .keep_alive = ex->resp_keep_alive,
                               .content_length = 0};
  int n = response_write_head(r, &f, c->out + c->out_len, CONN_OUT_CAP - c->out_len);
  if (n < 0)
    return -1;
  c->out_len += (size_t)n;
  return 1;
}

int proxy_tunnel_begin(struct worker *w, struct upstream *up)
{
  struct exchange *ex = up->ex;
  struct conn *c = up->client;
  char asked_buf[64], given_buf[64];
  const char *asked = proxy_upgrade_type(&ex->req, asked_buf, sizeof asked_buf);
  const char *given = upgrade_of(up->resp.headers, up->resp.header_count, given_buf, sizeof given_buf);
  if (ex->sink || !asked || !given || strcmp(asked, given) != 0)
    return tunnel_refuse(w, up, c, ex);
  if (tunnel_head(w, up, c, ex) < 0)
    return -1;
  const struct zs_proxy *rec = &w->blob->proxies[up->proxy_id];
  up->tunnel = 1;
  up->websocket = strcmp(asked, "websocket") == 0;
  up->tunnel_end_ms = rec->stream_timeout_ms ? w->now_ms + rec->stream_timeout_ms : 0;
  up->resp.body = HTTP1_BODY_CLOSE;   /* the upstream's bytes go to the client as they come */
  up->resp.keep_alive = 0;
  up->client_chunked = 0;
  up->request_done = 0;   /* the client's bytes are the request now, until it ends */
  up->body_chunked = 0;
  up->body = NULL;
  conn_begin_tunnel(w, c, ex);
  return 0;
}

/* RFC 6455 Close, 1001 "going away", as Caddy sends both sides when it
 * closes a WebSocket tunnel itself; the upstream's is masked (we are its
 * client). Best effort: a peer that is not reading misses it. */
static void tunnel_say_goodbye(struct upstream *up, struct conn *c)
{
  static const char to_client[] = {(char)0x88, 0x02, 0x03, (char)0xe9};
  conn_append(c, to_client, sizeof to_client);
  char to_upstream[8] = {(char)0x88, (char)0x82, 0x5a, 0x2d, 0x3c, 0x71};
  to_upstream[6] = (char)(0x03 ^ 0x5a);
  to_upstream[7] = (char)(0xe9 ^ 0x2d);
  if (!up->send_busy)
    (void)send(up->fd, to_upstream, sizeof to_upstream, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void proxy_tunnel_end(struct worker *w, struct upstream *up, int graceful)
{
  struct conn *c = up->client;
  struct exchange *ex = up->ex;
  if (graceful && up->websocket)
    tunnel_say_goodbye(up, c);
  up_close(w, up);   /* never pooled: the upstream spoke another protocol on it */
  if (!c)
    return;
  proxy_attempt_end(w, ex, 0);
  ex->up = NULL;
  ex->resp_keep_alive = 0;
  conn_finish_exchange(w, c, ex);   /* what is queued for the client goes, then it closes */
}

void proxy_tunnel_tick(struct worker *w, struct upstream *up)
{
  if (!up->tunnel || !up->client)
    return;
  if (w->stopping && !up->tunnel_close_ms)
    proxy_tunnel_schedule_close(w, up);
  if (up->tunnel_close_ms && w->now_ms >= up->tunnel_close_ms)
    proxy_tunnel_end(w, up, 1);
  else if (up->tunnel_end_ms && w->now_ms >= up->tunnel_end_ms)
    proxy_tunnel_end(w, up, 0);
}

void proxy_tunnel_schedule_close(struct worker *w, struct upstream *up)
{
  if (!up->tunnel || !up->client || up->tunnel_close_ms)
    return;
  uint32_t delay = w->blob->proxies[up->proxy_id].stream_close_delay_ms;
  up->tunnel_close_ms = w->now_ms + delay;
  if (!delay)
    proxy_tunnel_end(w, up, 1);
}

void proxy_on_reload(struct worker *w)
{
  for (int i = 0; w->proxy && i < PROXY_MAX_UPSTREAM_CONNS; i++)
    proxy_tunnel_schedule_close(w, &w->proxy->ups[i]);
}
