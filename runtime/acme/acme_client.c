/* The ACME conversation's frame: the directory, the nonce supply, signed
 * POSTs (RFC 8555 6.2-6.5, a badNonce retried with the nonce it carries)
 * and problem documents turned into a sentence for the operator: the CA
 * down, an answer that is not JSON, a refusal, a rate limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme.h"

#define ACME_NONCE_RETRIES 5

static void acme_client_copy(char *out, size_t cap, const json_t *obj, const char *field)
{
  const char *v = json_string_value(json_object_get(obj, field));
  snprintf(out, cap, "%s", v ? v : "");
}

void *acme_client_json(struct acme_client *c, const struct acme_http_resp *resp, const char *what)
{
  json_error_t jerr;
  json_t *obj = json_loadb(resp->body.data, resp->body.len, 0, &jerr);
  if (!json_is_object(obj)) {
    acme_err(c->err, sizeof c->err, "the CA's answer to %s is not a JSON object (%s)", what,
             obj ? "another JSON value" : jerr.text);
    json_decref(obj);
    return NULL;
  }
  return obj;
}

static int acme_client_directory(struct acme_client *c)
{
  struct acme_http_resp resp = { 0 };
  int rc = acme_http_request(&c->http, c->ca_url, NULL, 0, &resp);
  if (rc == 0 && resp.status != 200) {
    acme_err(c->err, sizeof c->err, "the CA's directory %s answered HTTP %ld", c->ca_url, resp.status);
    rc = -EPROTO;
  }
  json_t *dir = rc == 0 ? acme_client_json(c, &resp, "the directory request") : NULL;
  if (rc == 0 && !dir)
    rc = -EBADMSG;
  if (dir) {
    acme_client_copy(c->new_nonce, sizeof c->new_nonce, dir, "newNonce");
    acme_client_copy(c->new_account, sizeof c->new_account, dir, "newAccount");
    acme_client_copy(c->new_order, sizeof c->new_order, dir, "newOrder");
    if (!c->new_nonce[0] || !c->new_account[0] || !c->new_order[0]) {
      acme_err(c->err, sizeof c->err, "the CA's directory %s lacks newNonce, newAccount or newOrder", c->ca_url);
      rc = -EBADMSG;
    }
  }
  json_decref(dir);
  acme_http_resp_free(&resp);
  return rc;
}

int acme_client_open(struct acme_client *c, const char *ca_url, const char *ca_root)
{
  *c = (struct acme_client){ 0 };
  snprintf(c->ca_url, sizeof c->ca_url, "%s", ca_url);
  int rc = acme_http_open(&c->http, ca_root, c->err, sizeof c->err);
  return rc < 0 ? rc : acme_client_directory(c);
}

void acme_client_close(struct acme_client *c)
{
  acme_http_close(&c->http);
  EVP_PKEY_free(c->account_key);
  c->account_key = NULL;
}

static int acme_client_nonce(struct acme_client *c)
{
  if (c->nonce[0])
    return 0;
  struct acme_http_resp resp = { 0 };
  int rc = acme_http_request(&c->http, c->new_nonce, NULL, 1, &resp);
  if (rc == 0 && !resp.nonce[0]) {
    acme_err(c->err, sizeof c->err, "the CA's newNonce %s gave no Replay-Nonce (HTTP %ld)", c->new_nonce,
             resp.status);
    rc = -EPROTO;
  }
  snprintf(c->nonce, sizeof c->nonce, "%s", resp.nonce);
  acme_http_resp_free(&resp);
  return rc;
}

/* an error answer: its problem document (RFC 7807) as c->err. 1: badNonce (retry) */
static int acme_client_problem(struct acme_client *c, const struct acme_http_resp *resp, const char *what)
{
  json_t *p = json_loadb(resp->body.data, resp->body.len, 0, NULL);
  const char *type = json_string_value(json_object_get(p, "type"));
  const char *detail = json_string_value(json_object_get(p, "detail"));
  int rc = -EPROTO;
  if (type && strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0) {
    rc = 1;
  } else if (resp->status == 429 || (type && strcmp(type, "urn:ietf:params:acme:error:rateLimited") == 0)) {
    c->retry_after = resp->retry_after;
    acme_err(c->err, sizeof c->err, "rate limited by the CA on %s (retry after %ld s): %s", what,
             resp->retry_after, detail ? detail : "no detail");
    rc = -EAGAIN;
  } else if (type) {
    acme_err(c->err, sizeof c->err, "the CA refused %s: %s: %s", what, type, detail ? detail : "no detail");
  } else {
    acme_err(c->err, sizeof c->err, "the CA answered %s with HTTP %ld and no problem document", what, resp->status);
  }
  json_decref(p);
  return rc;
}

int acme_client_post(struct acme_client *c, const char *url, const char *payload, const char *what,
                     struct acme_http_resp *resp)
{
  for (int attempt = 0; attempt < ACME_NONCE_RETRIES; attempt++) {
    int rc = acme_client_nonce(c);
    if (rc < 0)
      return rc;
    char *jws = acme_jws_sign(c->account_key, c->kid[0] ? c->kid : NULL, c->nonce, url, payload);
    if (!jws) {
      acme_err(c->err, sizeof c->err, "cannot sign the request for %s", what);
      return -EINVAL;
    }
    c->nonce[0] = '\0';
    rc = acme_http_request(&c->http, url, jws, 0, resp);
    free(jws);
    if (rc < 0)
      return rc;
    snprintf(c->nonce, sizeof c->nonce, "%s", resp->nonce);
    if (resp->status < 400)
      return 0;
    rc = acme_client_problem(c, resp, what);
    if (rc < 0)
      return rc;
  }
  acme_err(c->err, sizeof c->err, "the CA rejected %d nonces in a row on %s", ACME_NONCE_RETRIES, what);
  return -EPROTO;
}
