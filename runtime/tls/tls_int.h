/* Shared inside runtime/tls only: the context's layout and the callbacks the
 * context installs and the connection code relies on. */
#ifndef ZSRT_TLS_INT_H
#define ZSRT_TLS_INT_H

#include "tls.h"
#include "tls_lib.h"

#define TLS_ALPN_WIRE_MAX 256
#define TLS_NAME_MAX 256

/* one certificate: its names (lowercase; "*.x" wildcards) and its SSL_CTX */
struct tls_site_cert {
  SSL_CTX *ssl_ctx;
  char **names;
  size_t name_count;
};

struct tls_ctx {
  struct tls_site_cert *certs;
  size_t cert_count;
  size_t default_cert;                     /* served to clients without (matching) SNI */
  int no_cert;                             /* certs[0] has no certificate: refuse every handshake */
  char default_sni[TLS_NAME_MAX];
  uint8_t alpn[TLS_ALPN_WIRE_MAX];         /* wire format, server preference order */
  size_t alpn_len;
  enum tls_client_auth client_auth;
  struct tls_ticket_ring *tickets;
  BIO_METHOD *bio_method;                  /* the connection's ciphertext buffers */
  /* as a connection policy of a server (tls_ctx_new_policies): what the
   * ClientHello callback sets on a handshake it moves to this policy */
  struct tls_ctx *next;                    /* the server's next policy, in Caddy's order */
  char **sni;                              /* match.sni, lowercase; none: every client */
  size_t sni_count;
  int sni_none;                            /* match.sni holds "": a client without SNI matches */
  int proto_min, proto_max;
  char cipher_list[1024], curve_list[1024];
  int (*acme_challenge)(void *arg, const char *sni, char *buf, size_t cap);   /* tls_ctx_config's */
  void *acme_arg;
};

static inline struct tls_ticket_ring *tls_ctx_tickets(const struct tls_ctx *ctx)
{
  return ctx->tickets;
}

int tls_ticket_cb(SSL *ssl, uint8_t name[16], uint8_t iv[16], EVP_CIPHER_CTX *cipher,
                  tls_ticket_mac_ctx *mac, int encrypt);
/* the SSL_CTX a new connection starts from (the default certificate's) */
SSL_CTX *tls_ctx_initial(const struct tls_ctx *ctx);

/* the ClientHello callback (tls_policy.c): picks the policy of the head
 * context for the raw server_name extension (NULL: none sent); 0 or -1 */
int tls_policy_hello(SSL *ssl, const uint8_t *sni_ext, size_t len, const uint8_t *alpn_ext, size_t alpn_len);
/* TLS-ALPN-01 (tls_acme.c): a ClientHello whose ALPN offers only acme-tls/1
 * gets the challenge certificate for sni (lowercase, "" when none): 1 when
 * it is one, 0 when it is not, -1 to refuse it */
int tls_acme_hello(SSL *ssl, struct tls_conn *c, const char *sni, const uint8_t *alpn_ext, size_t alpn_len);
#define TLS_ACME_PROTO "acme-tls/1"
/* a policy's client authentication on one handshake */
void tls_ctx_set_verify_ssl(SSL *ssl, enum tls_client_auth mode);
/* "a.example" in lowercase into dst (cap bytes, truncated) */
void tls_name_lower(char *dst, size_t cap, const char *src, size_t len);

/* why a callback refused the handshake, so the error says more than the library */
enum {
  TLS_HINT_NONE,
  TLS_HINT_NO_CERT,                        /* no certificate for the SNI */
  TLS_HINT_ALPN,                           /* no protocol in common */
  TLS_HINT_CLIENT_CERT,                    /* client certificate refused */
  TLS_HINT_NO_POLICY,                      /* no connection policy matches the ClientHello */
  TLS_HINT_NO_CHALLENGE,                   /* acme-tls/1 for a name with no TLS-ALPN-01 challenge published */
};

#endif
