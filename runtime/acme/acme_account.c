/* The ACME account for a (CA, email) pair: its key is taken from storage
 * where certmagic keeps it (acme/<issuer>/users/<email>/<user>.key), else made
 * and stored; newAccount then registers it, or finds the account that key
 * already has (RFC 8555 7.3: same key, same account, HTTP 200). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme.h"

static int acme_account_key(struct acme_client *c, const char *key_path, int *created)
{
  char *pem = NULL;
  size_t len = 0;
  *created = 0;
  if (acme_store_read(key_path, &pem, &len) == 0) {
    c->account_key = acme_key_from_pem(pem, len);
    free(pem);
    if (!c->account_key) {
      acme_err(c->err, sizeof c->err, "%s: not a P-256 private key in PEM", key_path);
      return -EINVAL;
    }
    return 0;
  }
  *created = 1;
  c->account_key = acme_key_new_p256();
  return c->account_key ? 0 : -ENOMEM;
}

static char *acme_account_payload(const char *email)
{
  json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
  if (p && email && *email) {
    char contact[600];
    snprintf(contact, sizeof contact, "mailto:%s", email);
    json_object_set_new(p, "contact", json_pack("[s]", contact));
  }
  char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
  json_decref(p);
  return text;
}

/* the registration as certmagic stores it: the account object plus "location" */
static int acme_account_save(struct acme_client *c, const struct acme_store *s, const char *email, json_t *acct,
                             int created)
{
  char path[4096];
  json_object_set_new(acct, "location", json_string(c->kid));
  char *text = json_dumps(acct, JSON_INDENT(1));
  int rc = text ? 0 : -ENOMEM;
  if (rc == 0 && (rc = acme_store_user_path(s, email, "json", path, sizeof path)) == 0)
    rc = acme_store_write(path, text, strlen(text), 0600);
  free(text);
  if (rc == 0 && created) {
    char *pem = acme_key_pem(c->account_key);
    rc = pem ? acme_store_user_path(s, email, "key", path, sizeof path) : -ENOMEM;
    if (rc == 0)
      rc = acme_store_write(path, pem, strlen(pem), 0600);
    free(pem);
  }
  if (rc < 0)
    acme_err(c->err, sizeof c->err, "cannot store the ACME account under %s: %s", s->root, strerror(-rc));
  return rc;
}

static int acme_account_register(struct acme_client *c, const struct acme_store *s, const char *email)
{
  char key_path[4096];
  int created;
  int rc = acme_store_user_path(s, email, "key", key_path, sizeof key_path);
  if (rc == 0)
    rc = acme_account_key(c, key_path, &created);
  if (rc == 0 && acme_jwk_thumbprint(c->account_key, c->thumbprint, sizeof c->thumbprint) < 0)
    rc = -EINVAL;
  if (rc < 0)
    return rc;
  char *payload = acme_account_payload(email);
  struct acme_http_resp resp = { 0 };
  c->kid[0] = '\0';
  rc = payload ? acme_client_post(c, c->new_account, payload, "the account registration", &resp) : -ENOMEM;
  free(payload);
  json_t *acct = rc == 0 ? acme_client_json(c, &resp, "the account registration") : NULL;
  if (rc == 0 && (!acct || !resp.location[0])) {
    if (acct)
      acme_err(c->err, sizeof c->err, "the CA registered the account without giving its URL (Location)");
    rc = -EBADMSG;
  }
  if (rc == 0) {
    snprintf(c->kid, sizeof c->kid, "%s", resp.location);
    rc = acme_account_save(c, s, email, acct, created);
  }
  json_decref(acct);
  acme_http_resp_free(&resp);
  return rc;
}

/* under a lock, so that two processes starting on an empty storage register
 * one account and store one key, not a key of one and the URL of the other */
int acme_account_open(struct acme_client *c, const struct acme_store *s, const char *email)
{
  char lock_key[600];
  struct acme_lock *lock = NULL;
  snprintf(lock_key, sizeof lock_key, "register_acme_account_%s", email && *email ? email : "default");
  int rc = acme_lock_acquire(s->root, lock_key, 120, &lock, c->err, sizeof c->err);
  if (rc < 0)
    return rc;
  rc = acme_account_register(c, s, email);
  acme_lock_release(lock);
  return rc;
}
