/* Obtaining one name's certificate under certmagic's lock, from its issuers
 * in order (the first primary, the others fallbacks, as certmagic tries
 * them), and the log lines in Caddy's JSON shape. Shared by `zsrt certs
 * obtain` and the certificate manager (acme_manage.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "acme.h"

#define ACME_LOCK_WAIT 300           /* seconds to wait for another obtainer */

/* one line as Caddy logs: level, ts, logger, msg, then string fields */
void acme_log(const char *level, const char *logger, const char *msg, ...)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  json_t *line = json_pack("{s:s, s:f, s:s, s:s}", "level", level, "ts", (double)tv.tv_sec + tv.tv_usec / 1e6,
                           "logger", logger, "msg", msg);
  if (!line)
    return;
  va_list ap;
  va_start(ap, msg);
  for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
    const char *v = va_arg(ap, const char *);
    if (v)
      json_object_set_new(line, k, json_string(v));
  }
  va_end(ap);
  char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (text)
    fprintf(stderr, "%s\n", text);
  free(text);
  json_decref(line);
}

/* the client and account, made on first need */
static int acme_issuer_client(struct acme_issuer *iss)
{
  if (iss->open)
    return 0;
  int rc = acme_client_open(&iss->client, iss->ca, iss->ca_root);
  if (rc == 0)
    rc = acme_account_open(&iss->client, &iss->store, iss->email);
  if (rc < 0) {
    acme_log("error", "tls.obtain", "could not set up the ACME account", "ca", iss->ca, "error", iss->client.err, NULL);
    acme_client_close(&iss->client);
    return rc;
  }
  iss->open = 1;
  return 0;
}

void acme_issuer_close(struct acme_issuer *iss)
{
  if (iss->open)
    acme_client_close(&iss->client);
  iss->open = 0;
}

int acme_stored_fresh(const struct acme_issuer *issuers, size_t count, const char *name, int64_t now)
{
  for (size_t i = 0; i < count; i++)
    if (acme_store_cert_fresh(&issuers[i].store, name, now))
      return 1;
  return 0;
}

static int acme_obtain_from(struct acme_issuer *issuers, size_t count, const char *name)
{
  int rc = -EAGAIN;
  for (size_t i = 0; i < count; i++) {
    if ((rc = acme_issuer_client(&issuers[i])) < 0)
      continue;
    acme_log("info", "tls.obtain", "obtaining certificate", "identifier", name, "ca", issuers[i].ca, NULL);
    rc = acme_order_obtain(&issuers[i].client, &issuers[i].store, &name, 1, issuers[i].challenges);
    if (rc == 0) {
      acme_log("info", "tls.obtain", "certificate obtained successfully", "identifier", name, "issuer",
               issuers[i].store.issuer, NULL);
      return 0;
    }
    acme_log("error", "tls.obtain", "could not get certificate from issuer", "identifier", name, "error",
             issuers[i].client.err, NULL);
  }
  return rc;
}

int acme_obtain_name(const char *storage, struct acme_issuer *issuers, size_t count, const char *name)
{
  char lock_key[600], err[ACME_ERR_MAX];
  struct acme_lock *lock = NULL;
  snprintf(lock_key, sizeof lock_key, "issue_cert_%s", name);
  acme_log("info", "tls.obtain", "acquiring lock", "identifier", name, NULL);
  int rc = acme_lock_acquire(storage, lock_key, ACME_LOCK_WAIT, &lock, err, sizeof err);
  if (rc < 0) {
    acme_log("error", "tls.obtain", "could not acquire lock", "identifier", name, "error", err, NULL);
    return rc;
  }
  acme_log("info", "tls.obtain", "lock acquired", "identifier", name, NULL);
  /* another process may have obtained it while this one waited */
  if (acme_stored_fresh(issuers, count, name, (int64_t)time(NULL)))
    acme_log("info", "tls.obtain", "certificate already exists in storage", "identifier", name, NULL);
  else
    rc = acme_obtain_from(issuers, count, name);
  acme_log("info", "tls.obtain", "releasing lock", "identifier", name, NULL);
  acme_lock_release(lock);
  return rc;
}
