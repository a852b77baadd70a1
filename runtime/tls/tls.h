/* zsrt's TLS layer: a server context per site/listener (certificates, SNI,
 * ALPN, client auth, session tickets) and an I/O-free connection object the
 * event loop drives with bytes. Built against BoringSSL or OpenSSL 3 (never
 * both); nothing here does I/O, takes a lock on the hot path or grows memory
 * beyond the buffers the caller hands in. */
#ifndef ZSRT_TLS_H
#define ZSRT_TLS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- session ticket keys, shared by every worker ----------------------- */

#define TLS_TICKET_SLOTS 5                 /* kept keys (<= 4) + one being written */
#define TLS_TICKET_KEY_WORDS 10            /* 16 name + 32 AES-256 + 32 HMAC-SHA256 bytes */

/* One key, stored as atomic words so a reader copying it while the rotator
 * rewrites the slot is a retry (seqlock), never a data race. */
struct tls_ticket_slot {
  _Atomic uint64_t seq;                    /* odd while being written */
  _Atomic uint64_t words[TLS_TICKET_KEY_WORDS];
};

struct tls_ticket_key {
  uint8_t name[16], aes[32], hmac[32];
};

/* Key generation g lives in slots[g % TLS_TICKET_SLOTS]. Tickets are issued
 * with generation `gen` and accepted from gen - keep + 1 .. gen. Workers only
 * read; one thread (the main one) calls tls_ticket_ring_rotate. */
struct tls_ticket_ring {
  _Atomic uint64_t gen;
  _Atomic int64_t next_rotation;           /* unix seconds */
  int64_t interval;                        /* seconds; Caddy: 12 h */
  unsigned keep;                           /* keys accepted, 2..4; Caddy: 4 */
  struct tls_ticket_slot slots[TLS_TICKET_SLOTS];
};

/* Caddy's session ticket defaults (caddytls sessiontickets.go) */
#define TLS_TICKET_INTERVAL_DEFAULT (12 * 3600)
#define TLS_TICKET_KEEP_DEFAULT 4

/* fills the ring with a first random key; interval 0 / keep 0 take the defaults */
int tls_ticket_ring_init(struct tls_ticket_ring *ring, int64_t interval, unsigned keep, int64_t now);
/* publishes a new random key (generation + 1); 0 or -errno */
int tls_ticket_ring_rotate(struct tls_ticket_ring *ring, int64_t now);
/* rotates when now has reached next_rotation; 1 rotated, 0 not due, -errno */
int tls_ticket_ring_tick(struct tls_ticket_ring *ring, int64_t now);
/* copies the key of generation g if it is still accepted; 0 or -ENOENT */
int tls_ticket_ring_get(const struct tls_ticket_ring *ring, uint64_t g, struct tls_ticket_key *out);
/* the generation whose key is named `name`, among the accepted ones; -ENOENT */
int64_t tls_ticket_ring_find(const struct tls_ticket_ring *ring, const uint8_t name[16], struct tls_ticket_key *out);

/* ---- server context --------------------------------------------------- */

enum tls_client_auth {
  TLS_CLIENT_AUTH_NONE,
  TLS_CLIENT_AUTH_REQUEST,                 /* ask; accept none; do not verify */
  TLS_CLIENT_AUTH_REQUIRE,                 /* demand one; do not verify */
  TLS_CLIENT_AUTH_VERIFY_IF_GIVEN,         /* ask; accept none; verify one given */
  TLS_CLIENT_AUTH_REQUIRE_AND_VERIFY,      /* demand one and verify it */
};

/* A certificate: a PEM chain (leaf first) and its key, each either a file
 * name or PEM text in memory (the *_pem fields win when set). */
struct tls_cert_source {
  const char *chain_file, *key_file;
  const char *chain_pem, *key_pem;
};

/* PEM files or inline PEM of the CAs that client certificates must chain to */
struct tls_trust_source {
  const char *const *pem_files;
  size_t pem_file_count;
  const char *const *pems;
  size_t pem_count;
};

/* Everything a connection policy sets. NULL / 0 means Caddy's default. */
struct tls_ctx_config {
  const struct tls_cert_source *certs;
  size_t cert_count;
  const char *default_sni;                 /* name looked up when the client sends none */
  const char *protocol_min, *protocol_max; /* "tls1.2", "tls1.3" */
  const char *const *ciphers;              /* IANA names (TLS 1.2 suites), in order */
  size_t cipher_count;
  const char *const *curves;               /* Caddy names: x25519, p256, p384, p521 */
  size_t curve_count;
  const char *const *alpn;                 /* server preference order; default h2, http/1.1 */
  size_t alpn_count;
  enum tls_client_auth client_auth;        /* NONE: Caddy's rule picks one when trust is set */
  int client_auth_set;                     /* client_auth given explicitly */
  struct tls_trust_source trust;
  struct tls_ticket_ring *tickets;         /* NULL: tickets off */
  const char *session_context;             /* equal on every worker that shares tickets */
  int allow_no_cert;                       /* no certificate yet (ACME): every handshake is refused, unrecognized_name */
  /* TLS-ALPN-01 (RFC 8737): a ClientHello that offers only acme-tls/1 gets
   * the challenge certificate and key (PEM) this returns for its SNI in buf:
   * their length, or -1 when none is published (the handshake fails). NULL:
   * every such handshake fails. */
  int (*acme_challenge)(void *arg, const char *sni, char *buf, size_t cap);
  void *acme_arg;
};

#define TLS_REASON_MAX 160

struct tls_ctx;                            /* opaque: the library's contexts, one per certificate */

/* builds a context; NULL on failure with a reason in err */
struct tls_ctx *tls_ctx_new(const struct tls_ctx_config *cfg, char *err, size_t errcap);
void tls_ctx_free(struct tls_ctx *ctx);
/* A server's connection policies, in Caddy's order: the first whose sni
 * list matches a ClientHello (exact, "" for no SNI, "*." one label; an
 * empty list matches all) serves it, with its own protocols, ciphers,
 * curves, client authentication and certificates; none matching fails the
 * handshake. The first context is the one tls_conn_init takes; freeing it
 * frees them all. */
struct tls_policy_config {
  const char *const *sni;
  size_t sni_count;
  int sni_none;                            /* also a client that sends no SNI (Caddy's "" entry) */
  struct tls_ctx_config ctx;
};
struct tls_ctx *tls_ctx_new_policies(const struct tls_policy_config *p, size_t n, char *err, size_t errcap);

/* "BoringSSL" or "OpenSSL 3.x.y", for logs and the bench */
const char *tls_library_name(void);

/* ---- connection ------------------------------------------------------- */

/* Ciphertext buffers the caller owns (from a per-worker pool). out must hold
 * one full record plus a flight's tail: TLS_CONN_OUT_MIN bytes at least. */
#define TLS_RECORD_MAX_PLAIN 16384
#define TLS_CONN_OUT_MIN (TLS_RECORD_MAX_PLAIN + 1024)
#define TLS_CONN_IN_MIN 1024

/* Lives where tls_conn_init put it (the library's BIO points back at it):
 * keep it in the connection's slot, never copy or move it. */
struct tls_conn {
  void *ssl;                               /* SSL * */
  struct tls_ctx *ctx;
  uint8_t *in;                             /* ciphertext fed, not yet taken by the library */
  size_t in_cap, in_head, in_tail;
  uint8_t *out;                            /* ciphertext to send */
  size_t out_cap, out_head, out_tail;
  int handshake_done;
  int handshakes_started;                  /* > 1 in TLS 1.2 is a renegotiation attempt */
  int peer_closed;                         /* close_notify received */
  int failed;                              /* the first error, -errno; sticky */
  int fail_hint;                           /* set by callbacks: why the library failed */
  char reason[TLS_REASON_MAX];
  char local_name[46];                     /* the server's address, the name a client without SNI asks for */
  int acme_challenge;                      /* answering a TLS-ALPN-01 validation: close once the handshake is done */
};

int tls_conn_init(struct tls_conn *c, struct tls_ctx *ctx, uint8_t *in, size_t in_cap, uint8_t *out,
                  size_t out_cap);
void tls_conn_free(struct tls_conn *c);
/* the local IP address (text) a client without SNI is looked up by before
 * default_sni, as certmagic does */
void tls_conn_set_local_name(struct tls_conn *c, const char *ip);

/* Ciphertext in: copies what fits, then advances the handshake if it is not
 * done. Returns the bytes taken (may be < len: read plaintext, then feed the
 * rest), or -errno when the handshake failed (send pending_out: it may hold
 * the alert). */
ssize_t tls_conn_feed(struct tls_conn *c, const void *bytes, size_t len);
/* Plaintext out: > 0 bytes, 0 after the peer's close_notify, -EAGAIN when
 * more ciphertext is needed, other -errno on failure. */
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t cap);
/* Plaintext in: bytes taken (whole records only, as space allows), -EAGAIN
 * when the handshake is not done or out is full (send, then retry). */
ssize_t tls_conn_write(struct tls_conn *c, const void *plain, size_t len);
/* The ciphertext waiting to be sent, in place: send it, then consume it. */
void tls_conn_pending_out(const struct tls_conn *c, const uint8_t **ptr, size_t *len);
void tls_conn_consume_out(struct tls_conn *c, size_t n);
/* queues close_notify: 0, -EAGAIN when out is full (send, call again),
 * -ENOTCONN before the handshake is done, or the connection's error */
int tls_conn_shutdown(struct tls_conn *c);

/* What the handshake settled, for {tls_*} placeholders and strict_sni_host.
 * Strings point into the library's session or static tables: valid until
 * tls_conn_free. Empty strings when unknown. */
struct tls_conn_info {
  const char *sni;                         /* as the client sent it ("" when none) */
  const char *alpn;                        /* negotiated protocol ("" when none) */
  size_t alpn_len;
  const char *version;                     /* "tls1.2" / "tls1.3" (Caddy's names) */
  const char *cipher;                      /* IANA name, as Go (and Caddy) prints it */
  uint16_t cipher_id;
  int resumed;
  int peer_cert;                           /* the client presented a certificate */
  int peer_verified;                       /* ... and it chained to the trust pool */
  /* that certificate as Caddy's {http.request.tls.client.*} give it ("" without one) */
  char peer_subject[256], peer_issuer[256];  /* Go's pkix.Name.String(): RFC 2253 order */
  char peer_serial[64];                    /* decimal */
  char peer_fingerprint[65];               /* SHA-256 of the DER, lowercase hex */
};
int tls_conn_info(const struct tls_conn *c, struct tls_conn_info *info);

/* ---- kTLS ------------------------------------------------------------- */

/* Whether the kernel has the `tls` ULP: 1 yes, 0 no (reason says why),
 * -errno if the probe itself failed. Probes a connected loopback socket pair. */
int tls_ktls_probe(char *reason, size_t cap);
/* The hand-off of a finished connection's keys to the kernel: -EOPNOTSUPP
 * with the reason (memory BIOs: no library exports the record state; see
 * docs/tls.md); the loop then stays on the memory path. */
int tls_conn_ktls_offload(struct tls_conn *c, int fd);

#endif
