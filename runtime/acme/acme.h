/* zsrt's ACME client (RFC 8555): the pieces the `zsrt-acme` process is made
 * of, one per file. It runs in a process of its own (docs/acme.md says why):
 * nothing here is linked into the server. Functions return 0 or -errno and
 * leave a sentence for the operator in the client's err. */
#ifndef ZSRT_ACME_H
#define ZSRT_ACME_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "acme_keys.h"

#define ACME_URL_MAX 1024
#define ACME_ERR_MAX 1024
#define ACME_MAX_NAMES 100          /* SANs per order, as Let's Encrypt */

/* a growing byte buffer, always NUL-terminated */
struct acme_buf {
  char *data;
  size_t len, cap;
};
/* an error sentence; truncation is fine, it is for a person */
void acme_err(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int acme_buf_append(struct acme_buf *b, const void *data, size_t len);
void acme_buf_free(struct acme_buf *b);

/* acme_http.c: HTTPS to the CA (libcurl) */
struct acme_http_resp {
  long status;
  struct acme_buf body;
  char location[ACME_URL_MAX];
  char nonce[256];
  char content_type[128];
  char link_up[ACME_URL_MAX];       /* Link: <...>;rel="up" (the issuer chain) */
  long retry_after;                 /* seconds; 0 when absent */
};
struct acme_http {
  void *curl;                       /* CURL * */
  const char *ca_root;              /* PEM file trusted for the CA, NULL: the system's */
  char *err;
  size_t errcap;
};
int acme_http_open(struct acme_http *h, const char *ca_root, char *err, size_t errcap);
void acme_http_close(struct acme_http *h);
/* body NULL: GET (head_only: HEAD); else POST application/jose+json */
int acme_http_request(struct acme_http *h, const char *url, const char *body, int head_only,
                      struct acme_http_resp *resp);
void acme_http_resp_free(struct acme_http_resp *resp);

/* acme_jws.c: base64url, JWK, RFC 7638 thumbprint, flattened JWS with ES256 */
int acme_b64url(const uint8_t *data, size_t len, char *out, size_t cap);
int acme_jwk_json(EVP_PKEY *key, char *out, size_t cap);
int acme_jwk_thumbprint(EVP_PKEY *key, char *out, size_t cap);
/* kid NULL: the protected header carries the jwk (newAccount); payload NULL:
 * POST-as-GET (empty payload). Returns a malloc'd JSON object or NULL. */
char *acme_jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload);

/* acme_key.c: P-256 keys and the CSR */
EVP_PKEY *acme_key_new_p256(void);
char *acme_key_pem(EVP_PKEY *key);              /* "EC PRIVATE KEY" PEM as certmagic writes; malloc'd */
EVP_PKEY *acme_key_from_pem(const char *pem, size_t len);
/* base64url DER of a CSR for names (first as CN, all as SANs) */
int acme_csr_b64url(EVP_PKEY *key, const char *const *names, size_t count, char **out);

/* acme_client.c: directory, nonces, signed POSTs, problems */
struct acme_client {
  struct acme_http http;
  char ca_url[ACME_URL_MAX];
  char new_nonce[ACME_URL_MAX], new_account[ACME_URL_MAX], new_order[ACME_URL_MAX];
  char nonce[256];
  EVP_PKEY *account_key;            /* owned */
  char kid[ACME_URL_MAX];           /* the account URL once known */
  char thumbprint[64];
  long retry_after;                 /* from the last rate-limit answer */
  char err[ACME_ERR_MAX];
};
int acme_client_open(struct acme_client *c, const char *ca_url, const char *ca_root);
void acme_client_close(struct acme_client *c);
/* signed POST (payload NULL: POST-as-GET); retries a badNonce; a problem
 * document becomes c->err and -EPROTO (-EAGAIN when rate limited) */
int acme_client_post(struct acme_client *c, const char *url, const char *payload, const char *what,
                     struct acme_http_resp *resp);
/* the JSON object of a response, or NULL with c->err set */
struct json_t;
void *acme_client_json(struct acme_client *c, const struct acme_http_resp *resp, const char *what);

/* acme_store.c: certmagic's file layout under the storage root */
struct acme_store {
  char root[2048];
  char issuer[512];                 /* StorageKeys.Safe(issuerKey(ca_url)) */
};
void acme_store_init(struct acme_store *s, const char *root, const char *ca_url);
/* <root>/<rel> as a path */
int acme_store_path(const struct acme_store *s, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int acme_store_write(const char *path, const void *data, size_t len, int mode);
int acme_store_read(const char *path, char **data, size_t *len);
/* certificates/<issuer>/<name>/<name>.<ext> */
int acme_store_cert_path(const struct acme_store *s, const char *name, const char *ext, char *out, size_t cap);
/* acme/<issuer>/users/<email or default>/<username>.<ext> */
int acme_store_user_path(const struct acme_store *s, const char *email, const char *ext, char *out, size_t cap);
/* acme/<issuer>/challenge_tokens/<name>.json (storageKeyACMECAPrefix) */
int acme_store_token_path(const struct acme_store *s, const char *name, char *out, size_t cap);
/* acme/<issuer>/challenge_tokens/<name>.tls-alpn.pem (ACME_TLSALPN_SUFFIX) */
int acme_store_tlsalpn_path(const struct acme_store *s, const char *name, char *out, size_t cap);
/* the stored certificate's validity: 0, -ENOENT, -EINVAL (does not parse) */
int acme_store_cert_validity(const char *crt_path, int64_t *not_before, int64_t *not_after);
/* 1 when the stored certificate for name exists and is not due for renewal */
int acme_store_cert_fresh(const struct acme_store *s, const char *name, int64_t now);
/* writes .crt, .key and .json (sans, issuer_data.url) for name */
int acme_store_cert_save(const struct acme_store *s, const char *name, const char *chain, const char *key_pem,
                         const char *const *sans, size_t count, const char *cert_url);

/* acme_account.c: the account for (CA, email), loaded by key from storage or registered */
int acme_account_open(struct acme_client *c, const struct acme_store *s, const char *email);

/* acme_lock.c: locks/<key>.lock as certmagic's file storage (O_EXCL, JSON
 * created/updated refreshed every 5 s by a thread, stale after 10 s) */
#define ACME_LOCK_FRESHNESS 5
struct acme_lock;
/* waits for the lock (timeout seconds); -ETIMEDOUT */
int acme_lock_acquire(const char *root, const char *key, int timeout, struct acme_lock **out, char *err,
                      size_t errcap);
void acme_lock_release(struct acme_lock *l);

/* acme_solver.c: HTTP-01 answered from the tokens in storage (certmagic's
 * distributed solver), so any process sharing the storage can answer */
int acme_solver_publish(const struct acme_store *s, const char *name, const char *token, const char *key_auth);
/* the same acme.Challenge object for a challenge of another type */
int acme_solver_publish_as(const struct acme_store *s, const char *type, const char *name, const char *token,
                           const char *key_auth);
void acme_solver_unpublish(const struct acme_store *s, const char *name);
/* a child process serving /.well-known/acme-challenge/ on 127.0.0.1:port; its pid or -errno */
int acme_solver_start(const struct acme_store *s, int port, char *err, size_t errcap);
void acme_solver_stop(int pid);

/* acme_tlsalpn.c: TLS-ALPN-01's certificate (RFC 8737), published in storage for zsrt's TLS listeners */
char *acme_tlsalpn_cert_pem(const char *name, const char *key_auth);   /* certificate then key, malloc'd */
int acme_tlsalpn_publish(const struct acme_store *s, const char *name, const char *token, const char *key_auth);
void acme_tlsalpn_unpublish(const struct acme_store *s, const char *name);

/* the challenge types an issuer may use (a bit each) */
#define ACME_CH_HTTP01 1u
#define ACME_CH_TLSALPN01 2u
#define ACME_CH_ALL (ACME_CH_HTTP01 | ACME_CH_TLSALPN01)

/* acme_order.c: one order for names: each authorization by one of the
 * challenges (a random one first, then the others after a failure, each
 * with a new order, as certmagic), finalize, download, store */
int acme_order_obtain(struct acme_client *c, const struct acme_store *s, const char *const *names, size_t count,
                      unsigned challenges);

/* acme_obtain.c: one issuer as the obtainer uses it (client and account made on first need) */
struct acme_issuer {
  const char *ca, *ca_root, *email;
  unsigned challenges;              /* ACME_CH_* */
  struct acme_store store;
  struct acme_client client;
  int open;
};
/* a log line in Caddy's JSON shape on stderr: level, ts, logger, msg, then
 * string fields as key, value pairs up to a NULL key (a NULL value is left out) */
void acme_log(const char *level, const char *logger, const char *msg, ...);
void acme_issuer_close(struct acme_issuer *iss);
/* 1 when one of the issuers' stored certificates for name is not due */
int acme_stored_fresh(const struct acme_issuer *issuers, size_t count, const char *name, int64_t now);
/* under the name's lock: the stored certificate when fresh, else one from
 * the first issuer that gives it; 0 or -errno (logged) */
int acme_obtain_name(const char *storage, struct acme_issuer *issuers, size_t count, const char *name);

/* acme_manage.c: `zsrt-acme manage`, the certificate manager zsrt runs */
int acme_manage_main(int argc, char **argv);

#endif
