/* One certificate order (RFC 8555 7.4): newOrder for the names, each
 * authorization solved by HTTP-01 or TLS-ALPN-01 through storage,
 * finalize with a CSR for a new P-256 key, the chain downloaded and stored
 * in certmagic's layout. Nothing is written over the old certificate
 * unless all of it succeeded. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "acme.h"

#define ACME_POLL_MAX 60            /* tries, about a second apart */

struct acme_order {
  char url[ACME_URL_MAX], finalize[ACME_URL_MAX], certificate[ACME_URL_MAX];
  json_t *authorizations;           /* array of URLs */
};

static char *acme_order_payload(const char *const *names, size_t count)
{
  json_t *ids = json_array();
  for (size_t i = 0; i < count; i++) {
    unsigned char addr[16];
    int ip = inet_pton(AF_INET, names[i], addr) == 1 || inet_pton(AF_INET6, names[i], addr) == 1;
    json_array_append_new(ids, json_pack("{s:s, s:s}", "type", ip ? "ip" : "dns", "value", names[i]));
  }
  json_t *p = json_pack("{s:o}", "identifiers", ids);
  char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
  json_decref(p);
  return text;
}

/* POST (or POST-as-GET when payload is NULL) whose answer is a JSON object */
static json_t *acme_order_call(struct acme_client *c, const char *url, const char *payload, const char *what,
                               struct acme_http_resp *resp, int *rc)
{
  *rc = acme_client_post(c, url, payload, what, resp);
  if (*rc < 0)
    return NULL;
  json_t *obj = acme_client_json(c, resp, what);
  if (!obj)
    *rc = -EBADMSG;
  return obj;
}

static void acme_order_read(struct acme_order *o, const json_t *obj)
{
  const char *fin = json_string_value(json_object_get(obj, "finalize"));
  const char *cert = json_string_value(json_object_get(obj, "certificate"));
  json_t *authz = json_object_get(obj, "authorizations");
  if (fin)
    snprintf(o->finalize, sizeof o->finalize, "%s", fin);
  if (cert)
    snprintf(o->certificate, sizeof o->certificate, "%s", cert);
  if (json_is_array(authz) && !o->authorizations)
    o->authorizations = json_incref(authz);
}

static const char *acme_order_status(const json_t *obj)
{
  const char *s = json_string_value(json_object_get(obj, "status"));
  return s ? s : "";
}

static int acme_order_new(struct acme_client *c, const char *const *names, size_t count, struct acme_order *o)
{
  struct acme_http_resp resp = { 0 };
  int rc;
  char *payload = acme_order_payload(names, count);
  json_t *obj = payload ? acme_order_call(c, c->new_order, payload, "the new order", &resp, &rc) : NULL;
  if (!payload)
    rc = -ENOMEM;
  if (obj) {
    snprintf(o->url, sizeof o->url, "%s", resp.location);
    acme_order_read(o, obj);
    if (!o->url[0] || !o->finalize[0] || !o->authorizations) {
      acme_err(c->err, sizeof c->err, "the CA's order lacks its URL, finalize or authorizations");
      rc = -EBADMSG;
    }
  }
  json_decref(obj);
  free(payload);
  acme_http_resp_free(&resp);
  return rc;
}

/* a challenge type as the manager solves it */
struct acme_challenge_type {
  unsigned bit;
  const char *type, *label;
  int (*publish)(const struct acme_store *s, const char *name, const char *token, const char *key_auth);
  void (*unpublish)(const struct acme_store *s, const char *name);
};

static const struct acme_challenge_type acme_challenge_types[] = {
  {ACME_CH_HTTP01, "http-01", "HTTP-01", acme_solver_publish, acme_solver_unpublish},
  {ACME_CH_TLSALPN01, "tls-alpn-01", "TLS-ALPN-01", acme_tlsalpn_publish, acme_tlsalpn_unpublish},
};
#define ACME_CHALLENGE_TYPES (sizeof acme_challenge_types / sizeof acme_challenge_types[0])

/* the authorization's challenge of type t, or NULL */
static const json_t *acme_order_challenge(const json_t *authz, const struct acme_challenge_type *t)
{
  size_t i;
  json_t *ch;
  json_array_foreach(json_object_get(authz, "challenges"), i, ch)
    if (strcmp(json_string_value(json_object_get(ch, "type")) ?: "", t->type) == 0)
      return ch;
  return NULL;
}

static const char *acme_order_name(const json_t *authz)
{
  return json_string_value(json_object_get(json_object_get(authz, "identifier"), "value")) ?: "?";
}

/* the failed challenge's problem, for the operator */
static int acme_order_failed(struct acme_client *c, const json_t *authz, const struct acme_challenge_type *t)
{
  const char *name = acme_order_name(authz);
  const json_t *ch = acme_order_challenge(authz, t);
  const json_t *e = ch ? json_object_get(ch, "error") : NULL;
  acme_err(c->err, sizeof c->err, "the CA rejected the %s challenge for %s: %s: %s", t->label, name,
           json_string_value(json_object_get(e, "type")) ?: "no problem type",
           json_string_value(json_object_get(e, "detail")) ?: "no detail");
  return -EACCES;
}

/* polls an authorization (or order) until its status leaves pending/processing */
static json_t *acme_order_poll(struct acme_client *c, const char *url, const char *what, int *rc)
{
  struct acme_http_resp resp = { 0 };
  json_t *obj = NULL;
  for (int i = 0; i < ACME_POLL_MAX; i++) {
    json_decref(obj);
    obj = acme_order_call(c, url, NULL, what, &resp, rc);
    const char *st = obj ? acme_order_status(obj) : "";
    if (!obj || (strcmp(st, "pending") != 0 && strcmp(st, "processing") != 0))
      break;
    usleep(resp.retry_after > 0 && resp.retry_after < 10 ? (useconds_t)resp.retry_after * 1000000 : 500000);
  }
  if (obj && (strcmp(acme_order_status(obj), "pending") == 0 || strcmp(acme_order_status(obj), "processing") == 0)) {
    acme_err(c->err, sizeof c->err, "%s is still %s after %d polls", what, acme_order_status(obj), ACME_POLL_MAX);
    *rc = -ETIMEDOUT;
  }
  acme_http_resp_free(&resp);
  return obj;
}

static int acme_order_solve(struct acme_client *c, const struct acme_store *s, const json_t *authz, const char *url,
                            const struct acme_challenge_type *t)
{
  const char *name = acme_order_name(authz);
  const json_t *ch = acme_order_challenge(authz, t);
  const char *token = json_string_value(json_object_get(ch, "token"));
  const char *ch_url = json_string_value(json_object_get(ch, "url"));
  if (!token || !ch_url) {
    acme_err(c->err, sizeof c->err, "the CA offers no %s challenge for %s", t->label, name);
    return -EACCES;   /* another type may do */
  }
  char key_auth[512];
  snprintf(key_auth, sizeof key_auth, "%s.%s", token, c->thumbprint);
  acme_log("info", "tls.issuance.acme.acme_client", "trying to solve challenge", "identifier", name,
           "challenge_type", t->type, "ca", c->ca_url, NULL);
  int rc = t->publish(s, name, token, key_auth);
  if (rc < 0) {
    acme_err(c->err, sizeof c->err, "cannot publish the %s challenge for %s: %s", t->label, name, strerror(-rc));
    return rc;
  }
  struct acme_http_resp resp = { 0 };
  rc = acme_client_post(c, ch_url, "{}", t->label, &resp);
  acme_http_resp_free(&resp);
  json_t *done = rc == 0 ? acme_order_poll(c, url, "the authorization", &rc) : NULL;
  if (rc == 0 && strcmp(acme_order_status(done), "valid") != 0)
    rc = acme_order_failed(c, done, t);
  json_decref(done);
  t->unpublish(s, name);
  if (rc == -EACCES)
    acme_log("error", "tls.issuance.acme.acme_client", "challenge failed", "identifier", name, "challenge_type",
             t->type, "error", c->err, NULL);
  return rc;
}

static int acme_order_authorize(struct acme_client *c, const struct acme_store *s, struct acme_order *o,
                                const struct acme_challenge_type *t)
{
  size_t i;
  json_t *u;
  json_array_foreach(o->authorizations, i, u) {
    const char *url = json_string_value(u);
    struct acme_http_resp resp = { 0 };
    int rc;
    json_t *authz = url ? acme_order_call(c, url, NULL, "the authorization", &resp, &rc) : NULL;
    acme_http_resp_free(&resp);
    if (!url)
      rc = -EBADMSG;
    if (rc == 0 && strcmp(acme_order_status(authz), "valid") != 0)
      rc = strcmp(acme_order_status(authz), "pending") == 0 ? acme_order_solve(c, s, authz, url, t)
                                                             : acme_order_failed(c, authz, t);
    json_decref(authz);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int acme_order_finalize(struct acme_client *c, struct acme_order *o, EVP_PKEY *key, const char *const *names,
                               size_t count)
{
  char *csr = NULL, *payload = NULL;
  int rc = acme_csr_b64url(key, names, count, &csr);
  json_t *p = rc == 0 ? json_pack("{s:s}", "csr", csr) : NULL;
  payload = p ? json_dumps(p, JSON_COMPACT) : NULL;
  json_decref(p);
  free(csr);
  if (!payload) {
    acme_err(c->err, sizeof c->err, "cannot make the certificate request");
    return -EINVAL;
  }
  struct acme_http_resp resp = { 0 };
  json_t *obj = acme_order_call(c, o->finalize, payload, "the order's finalization", &resp, &rc);
  free(payload);
  acme_http_resp_free(&resp);
  if (obj && strcmp(acme_order_status(obj), "valid") != 0) {
    json_decref(obj);
    obj = acme_order_poll(c, o->url, "the order", &rc);
  }
  if (rc == 0)
    acme_order_read(o, obj);
  if (rc == 0 && (strcmp(acme_order_status(obj), "valid") != 0 || !o->certificate[0])) {
    acme_err(c->err, sizeof c->err, "the CA left the order %s, without a certificate", acme_order_status(obj));
    rc = -EPROTO;
  }
  json_decref(obj);
  return rc;
}

static int acme_order_download(struct acme_client *c, struct acme_order *o, struct acme_buf *chain)
{
  struct acme_http_resp resp = { 0 };
  int rc = acme_client_post(c, o->certificate, NULL, "the certificate download", &resp);
  if (rc == 0 && !strstr(resp.body.data, "-----BEGIN CERTIFICATE-----")) {
    acme_err(c->err, sizeof c->err, "the CA's certificate download is not a PEM chain (%s)", resp.content_type);
    rc = -EBADMSG;
  }
  if (rc == 0)
    *chain = resp.body, resp.body = (struct acme_buf){ 0 };
  acme_http_resp_free(&resp);
  return rc;
}

/* the enabled types, a random one first (certmagic picks at random among its solvers) */
static size_t acme_order_types(unsigned challenges, const struct acme_challenge_type **out)
{
  size_t n = 0;
  for (size_t i = 0; i < ACME_CHALLENGE_TYPES; i++)
    if (challenges & acme_challenge_types[i].bit)
      out[n++] = &acme_challenge_types[i];
  unsigned char r = 0;
  if (n > 1 && RAND_bytes(&r, 1) == 1 && r % n) {
    const struct acme_challenge_type *first = out[r % n];
    out[r % n] = out[0];
    out[0] = first;
  }
  return n;
}

/* one order, its authorizations by challenge type t */
static int acme_order_once(struct acme_client *c, const struct acme_store *s, const char *const *names, size_t count,
                           EVP_PKEY *key, const struct acme_challenge_type *t, struct acme_order *o)
{
  int rc = acme_order_new(c, names, count, o);
  if (rc == 0)
    rc = acme_order_authorize(c, s, o, t);
  if (rc == 0)
    rc = acme_order_finalize(c, o, key, names, count);
  return rc;
}

int acme_order_obtain(struct acme_client *c, const struct acme_store *s, const char *const *names, size_t count,
                      unsigned challenges)
{
  struct acme_order o = { 0 };
  struct acme_buf chain = { 0 };
  const struct acme_challenge_type *types[ACME_CHALLENGE_TYPES];
  size_t ntypes = acme_order_types(challenges, types);
  EVP_PKEY *key = acme_key_new_p256();
  char *key_pem = key ? acme_key_pem(key) : NULL;
  int rc = key_pem ? (ntypes ? -EACCES : -EINVAL) : -ENOMEM;
  if (key_pem && !ntypes)
    acme_err(c->err, sizeof c->err, "no challenge type enabled");
  /* a failed challenge leaves its authorization invalid: the next type gets a new order */
  for (size_t i = 0; i < ntypes && rc == -EACCES; i++) {
    if (i > 0)
      acme_log("info", "tls.issuance.acme.acme_client", "trying again with another challenge type", "identifier",
               names[0], "challenge_type", types[i]->type, NULL);
    json_decref(o.authorizations);
    o = (struct acme_order){ 0 };
    rc = acme_order_once(c, s, names, count, key, types[i], &o);
  }
  if (rc == 0)
    rc = acme_order_download(c, &o, &chain);
  if (rc == 0 && (rc = acme_store_cert_save(s, names[0], chain.data, key_pem, names, count, o.certificate)) < 0)
    acme_err(c->err, sizeof c->err, "cannot store the certificate for %s under %s: %s", names[0], s->root,
             strerror(-rc));
  acme_buf_free(&chain);
  json_decref(o.authorizations);
  free(key_pem);
  EVP_PKEY_free(key);
  return rc;
}
