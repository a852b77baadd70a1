/* TLS on a client connection, between the loop and the protocol: ciphertext
 * from the recv ring goes through the connection's tls_conn and comes out
 * as plaintext in c->in; plaintext the protocol queues in c->out is sealed
 * into records and sent from the tls_conn's buffer. The protocol (HTTP/1.1,
 * HTTP/2) never sees a byte of TLS and learns what the handshake settled
 * from c->info before its first input. */
#ifndef ZSRT_CONN_TLS_H
#define ZSRT_CONN_TLS_H

#include <stddef.h>

struct worker;
struct conn;

#define CONN_TLS_IN_CAP      (18 * 1024)       /* ciphertext fed, not yet taken: one recv buffer */
#define CONN_TLS_OUT_CAP     (4 * (16384 + 1024))  /* records to send: up to 64 KiB per send */
#define CONN_TLS_HANDSHAKES  256               /* concurrent handshakes per worker; the oldest goes first */

/* the worker's TLS slots (one per connection slot) when its blob serves
 * TLS; 0 or -ENOMEM */
int conn_tls_worker_init(struct worker *w);
void conn_tls_worker_fini(struct worker *w);

/* a connection accepted on a TLS server's listener: its handshake starts;
 * -errno (no context, no memory): close it */
int conn_tls_open(struct worker *w, struct conn *c);
/* ciphertext received: the plaintext it yields is appended to c->in.
 * Returns the plaintext bytes added, 0 for none yet, or -1 when the
 * connection failed (it is closed or closing). */
long conn_tls_input(struct worker *w, struct conn *c, const char *bytes, size_t len);
/* seals what c->out holds past out_sent and sends records (loop_conn_flush's TLS path) */
void conn_tls_flush(struct worker *w, struct conn *c);
/* a send of records completed with res bytes: 1 when every plaintext byte
 * queued has gone out (the protocol's `sent` is due), 0 when more is on the
 * way, -1 when the connection was closed */
int conn_tls_sent(struct worker *w, struct conn *c, int res);
/* the connection is closing: a close_notify, as Go's tls.Conn.Close sends
 * one, written straight to the socket when no send is in flight */
void conn_tls_goodbye(struct conn *c);
/* the slot is released: the TLS state goes */
void conn_tls_release(struct worker *w, struct conn *c);

#endif
