/* The blob's TLS settings (abi/config.def: tls_policy, tls_cert, tls_app)
 * made into what the workers hand their TLS connections: one context chain
 * per TLS server, certificates loaded from files and folders or issued by
 * the local CA, and the session ticket keys every worker shares. Built by
 * the main thread at start; it also rotates the ticket keys and renews the
 * local CA's leaves, publishing new contexts the workers pick up at accept. */
#ifndef ZSRT_SITE_TLS_H
#define ZSRT_SITE_TLS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls.h"
#include "tls/tls_ca.h"

struct blob;
struct worker_log;

#define SITE_TLS_MAX_LEAVES 256      /* names the local CA serves */
#define SITE_TLS_MAX_RETIRED 64      /* replaced contexts kept for connections still on them */

struct site_tls_leaf {
  const char *name;                /* in the blob's string pool */
  enum tls_key_type key_type;
  struct tls_ca_leaf leaf;
};

struct site_tls {
  const struct blob *blob;
  size_t server_count;
  _Atomic(struct tls_ctx *) *server_ctx;   /* per blob server: its policies; NULL: plain HTTP */
  struct tls_ticket_ring tickets;
  struct tls_ca ca;
  int ca_open;
  int acme;                        /* the blob has ACME certificates: policies may have none yet */
  char storage[4096];              /* the storage root: certificates and pki/ live there */
  struct site_tls_leaf leaves[SITE_TLS_MAX_LEAVES];
  size_t leaf_count;
  struct tls_ctx *retired[SITE_TLS_MAX_RETIRED];
  size_t retired_count;
  int64_t next_check;              /* unix seconds: when maintain looks at the leaves again */
};

/* 0 when the blob serves no TLS (t is then empty and safe to close), 1 when
 * it does and everything loaded, or -errno with the reason in err (a
 * certificate that does not load, a server without any). log gets the
 * local CA's lines (created, trust installed). */
int site_tls_open(struct site_tls *t, const struct blob *b, int64_t now, struct worker_log *log, char *err,
                  size_t errcap);
void site_tls_close(struct site_tls *t);

/* the main thread's periodic work: ticket key rotation, the intermediate and
 * leaf renewals. 0, or -errno (logged; the old certificates stay). */
int site_tls_maintain(struct site_tls *t, int64_t now, struct worker_log *log);

/* the certificate manager stored a certificate (for name): the contexts are
 * rebuilt from storage and published. 0, or -errno (logged; the old stay). */
int site_tls_reload_acme(struct site_tls *t, const char *name, struct worker_log *log);

/* what a worker takes for a new connection on a server's listener */
static inline struct tls_ctx *site_tls_ctx(struct site_tls *t, unsigned server)
{
  return t && server < t->server_count ? atomic_load_explicit(&t->server_ctx[server], memory_order_acquire) : NULL;
}

#endif
