/* conn_tls: the TLS path of a client connection (conn_tls.h). Each
 * connection slot has a tls_conn and two ciphertext buffers in one mapping
 * per worker, touched only while a TLS connection uses the slot. */
#include "conn_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "log.h"
#include "loop.h"
#include "site_tls.h"
#include "tls/tls.h"

#define CONN_TLS_SLOT (CONN_TLS_IN_CAP + CONN_TLS_OUT_CAP)

struct conn_tls_pool {
  struct tls_conn conns[LOOP_MAX_CONNS];
  uint8_t *bufs;                   /* LOOP_MAX_CONNS slots of in + out */
  int handshaking;                 /* connections whose handshake is not done */
};

int conn_tls_worker_init(struct worker *w)
{
  if (!w->tls_sites)
    return 0;
  struct conn_tls_pool *p = calloc(1, sizeof *p);
  void *bufs = p ? mmap(NULL, (size_t)LOOP_MAX_CONNS * CONN_TLS_SLOT, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                 : MAP_FAILED;
  if (bufs == MAP_FAILED) {
    free(p);
    return -ENOMEM;
  }
  p->bufs = bufs;
  w->tls = p;
  return 0;
}

void conn_tls_worker_fini(struct worker *w)
{
  struct conn_tls_pool *p = w->tls;
  if (!p)
    return;
  for (int i = 0; i < LOOP_MAX_CONNS; i++)
    if (p->conns[i].ssl)
      tls_conn_free(&p->conns[i]);
  munmap(p->bufs, (size_t)LOOP_MAX_CONNS * CONN_TLS_SLOT);
  free(p);
  w->tls = NULL;
}

/* at the bound, the connection that has been handshaking longest makes room:
 * a flood of stalled handshakes cannot keep a real client out */
static void conn_tls_make_room(struct worker *w)
{
  struct conn *oldest = NULL;
  for (int i = 0; i < LOOP_MAX_CONNS; i++) {
    struct conn *c = &w->conns[i];
    if (c->used && !c->closing && c->tls && !c->tls->handshake_done &&
        (!oldest || c->head_start_ms < oldest->head_start_ms))
      oldest = c;
  }
  if (oldest)
    loop_conn_close(w, oldest);
}

int conn_tls_open(struct worker *w, struct conn *c)
{
  struct conn_tls_pool *p = w->tls;
  struct tls_ctx *ctx = p ? site_tls_ctx(w->tls_sites, c->server) : NULL;
  if (!ctx)
    return -ENOENT;
  if (p->handshaking >= CONN_TLS_HANDSHAKES)
    conn_tls_make_room(w);
  uint8_t *in = p->bufs + (size_t)c->index * CONN_TLS_SLOT;
  struct tls_conn *t = &p->conns[c->index];
  int rc = tls_conn_init(t, ctx, in, CONN_TLS_IN_CAP, in + CONN_TLS_IN_CAP, CONN_TLS_OUT_CAP);
  if (rc < 0)
    return rc;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "";
  uint16_t port;
  if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
    loop_addr_text(&ss, ip, sizeof ip, &port);
  tls_conn_set_local_name(t, ip);
  c->tls = t;
  c->info.tls = 1;
  c->head_start_ms = w->now_ms;   /* the handshake runs under the header timeout */
  p->handshaking++;
  return 0;
}

static void conn_tls_copy(char *dst, size_t cap, const char *src, size_t len)
{
  size_t n = len < cap - 1 ? len : cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* what the handshake settled, for the protocol, placeholders and strict SNI */
static void conn_tls_established(struct worker *w, struct conn *c)
{
  struct tls_conn_info ti;
  w->tls->handshaking--;
  c->tls_ready = 1;
  c->head_start_ms = 0;
  if (tls_conn_info(c->tls, &ti) < 0)
    return;
  conn_tls_copy(c->info.tls_version, sizeof c->info.tls_version, ti.version, strlen(ti.version));
  conn_tls_copy(c->info.tls_alpn, sizeof c->info.tls_alpn, ti.alpn, ti.alpn_len);
  conn_tls_copy(c->info.tls_sni, sizeof c->info.tls_sni, ti.sni, strlen(ti.sni));
  conn_tls_copy(c->info.tls_cipher, sizeof c->info.tls_cipher, ti.cipher, strlen(ti.cipher));
  c->info.tls_cipher_id = ti.cipher_id;
  c->info.tls_resumed = ti.resumed;
  c->info.tls_client_cert = ti.peer_cert;
  c->info.tls_client_verified = ti.peer_verified;
  memcpy(c->info.tls_client_subject, ti.peer_subject, sizeof ti.peer_subject);
  memcpy(c->info.tls_client_issuer, ti.peer_issuer, sizeof ti.peer_issuer);
  memcpy(c->info.tls_client_serial, ti.peer_serial, sizeof ti.peer_serial);
  memcpy(c->info.tls_client_fingerprint, ti.peer_fingerprint, sizeof ti.peer_fingerprint);
}

/* a failed handshake or record: the alert the library queued goes out, then the connection closes */
static long conn_tls_fail(struct worker *w, struct conn *c)
{
  const uint8_t *p;
  size_t len;
  tls_conn_pending_out(c->tls, &p, &len);
  if (len && !c->send_pending)
    loop_conn_send(w, c, p, len);
  else if (!c->send_pending)
    loop_conn_close(w, c);
  return -1;
}

/* a TLS-ALPN-01 validation: the handshake was all of it (RFC 8737 3); logged
 * as certmagic does, close_notify sent, then the connection closes */
static long conn_tls_challenge_done(struct worker *w, struct conn *c)
{
  char remote[80];
  snprintf(remote, sizeof remote, "%s:%u", c->info.remote_ip, c->info.remote_port);
  log_begin(&w->log, "info", "tls", "served key authentication certificate");
  log_cstr(&w->log, "server_name", c->info.tls_sni);
  log_cstr(&w->log, "challenge", "tls-alpn-01");
  log_cstr(&w->log, "remote", remote);
  log_end(&w->log);
  if (tls_conn_shutdown(c->tls) == 0) {
    const uint8_t *p;
    size_t len;
    tls_conn_pending_out(c->tls, &p, &len);
    if (len && !c->send_pending) {
      loop_conn_send(w, c, p, len);
      return -1;   /* conn_tls_sent closes once it is out */
    }
  }
  loop_conn_close(w, c);
  return -1;
}

long conn_tls_input(struct worker *w, struct conn *c, const char *bytes, size_t len)
{
  struct tls_conn *t = c->tls;
  size_t off = 0;
  long added = 0;
  if (t->failed || (t->acme_challenge && c->tls_ready))
    return -1;                  /* a validation's connection carries nothing after its handshake */
  for (;;) {
    ssize_t took = 0;
    if (off < len && (took = tls_conn_feed(t, bytes + off, len - off)) < 0)
      return conn_tls_fail(w, c);
    off += (size_t)took;
    if (t->handshake_done && !c->tls_ready) {
      conn_tls_established(w, c);
      if (t->acme_challenge)
        return conn_tls_challenge_done(w, c);
    }
    long round = 0;
    while (t->handshake_done && !t->peer_closed && c->in_len < CONN_IN_CAP) {
      ssize_t r = tls_conn_read(t, c->in + c->in_len, CONN_IN_CAP - c->in_len);
      if (r == -EAGAIN || r == 0)
        break;
      if (r < 0)
        return conn_tls_fail(w, c);
      c->in_len += (size_t)r;
      round += r;
    }
    added += round;
    if (off >= len)
      break;
    if (took == 0 && round == 0) {
      loop_conn_close(w, c);   /* input nobody consumes: a misbehaving peer */
      return -1;
    }
  }
  if (c->in_len > c->in_peak)
    c->in_peak = c->in_len;
  conn_tls_flush(w, c);         /* handshake flights, session tickets */
  return added;
}

void conn_tls_flush(struct worker *w, struct conn *c)
{
  struct tls_conn *t = c->tls;
  if (c->send_pending || c->read_pending || c->closing)
    return;
  if (t->handshake_done && !t->failed && c->out_sent < c->out_len) {
    if (c->out_len > c->out_peak)
      c->out_peak = c->out_len;
    ssize_t n = tls_conn_write(t, c->out + c->out_sent, c->out_len - c->out_sent);
    if (n > 0)
      c->out_sent += (size_t)n;
    else if (n != -EAGAIN) {
      loop_conn_close(w, c);
      return;
    }
  }
  const uint8_t *p;
  size_t len;
  tls_conn_pending_out(t, &p, &len);
  if (len)
    loop_conn_send(w, c, p, len);
}

int conn_tls_sent(struct worker *w, struct conn *c, int res)
{
  struct tls_conn *t = c->tls;
  tls_conn_consume_out(t, (size_t)res);
  const uint8_t *p;
  size_t len;
  tls_conn_pending_out(t, &p, &len);
  if (t->failed || (t->acme_challenge && c->tls_ready)) {
    if (len)
      loop_conn_send(w, c, p, len);
    else
      loop_conn_close(w, c);
    return -1;
  }
  if (len || c->out_sent < c->out_len) {
    conn_tls_flush(w, c);
    return 0;
  }
  return c->out_len > 0;
}

void conn_tls_goodbye(struct conn *c)
{
  struct tls_conn *t = c->tls;
  if (!t || !c->tls_ready || t->failed || c->send_pending || tls_conn_shutdown(t) < 0)
    return;
  const uint8_t *p;
  size_t len;
  tls_conn_pending_out(t, &p, &len);
  /* the socket is about to be shut down: a record that does not go now never will */
  if (len && send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
    return;
}

void conn_tls_release(struct worker *w, struct conn *c)
{
  struct conn_tls_pool *p = w->tls;
  if (!c->tls || !p)
    return;
  if (!c->tls_ready)
    p->handshaking--;
  tls_conn_free(c->tls);
  c->tls = NULL;
  madvise(p->bufs + (size_t)c->index * CONN_TLS_SLOT, CONN_TLS_SLOT, MADV_DONTNEED);
}
