/* Storage in certmagic's file_system layout, so a folder Caddy filled works
 * unchanged and the reverse: key sanitizing (StorageKeys.Safe), the issuer
 * key of a CA URL, the certificate, account and challenge-token paths, and
 * files written whole (temporary file, fsync, rename). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"

void acme_store_init(struct acme_store *s, const char *root, const char *ca_url)
{
  char key[sizeof s->issuer];
  snprintf(s->root, sizeof s->root, "%s", root);
  acme_store_issuer_key(ca_url, key, sizeof key);
  acme_store_safe(key, s->issuer, sizeof s->issuer);
}

int acme_store_path(const struct acme_store *s, char *out, size_t cap, const char *fmt, ...)
{
  int n = snprintf(out, cap, "%s/", s->root);
  if (n < 0 || (size_t)n >= cap)
    return -ENAMETOOLONG;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(out + n, cap - (size_t)n, fmt, ap);
  va_end(ap);
  return m < 0 || (size_t)m >= cap - (size_t)n ? -ENAMETOOLONG : 0;
}

int acme_store_cert_path(const struct acme_store *s, const char *name, const char *ext, char *out, size_t cap)
{
  char safe[512];
  acme_store_safe(name, safe, sizeof safe);
  return acme_store_path(s, out, cap, "certificates/%s/%s/%s.%s", s->issuer, safe, safe, ext);
}

int acme_store_user_path(const struct acme_store *s, const char *email, const char *ext, char *out, size_t cap)
{
  char dir[512], file[512], user[512];
  const char *at = email ? strchr(email, '@') : NULL;
  acme_store_safe(email && *email ? email : "default", dir, sizeof dir);
  /* emailUsername: the part before '@' (after it when '@' leads) */
  if (!email || !*email)
    snprintf(user, sizeof user, "default");
  else if (at == email)
    snprintf(user, sizeof user, "%s", email + 1);
  else
    snprintf(user, sizeof user, "%.*s", at ? (int)(at - email) : (int)strlen(email), email);
  acme_store_safe(user, file, sizeof file);
  return acme_store_path(s, out, cap, "acme/%s/users/%s/%s.%s", s->issuer, dir, file, ext);
}

int acme_store_token_path(const struct acme_store *s, const char *name, char *out, size_t cap)
{
  char safe[512];
  acme_store_safe(name, safe, sizeof safe);
  return acme_store_path(s, out, cap, "acme/%s/challenge_tokens/%s.json", s->issuer, safe);
}

int acme_store_tlsalpn_path(const struct acme_store *s, const char *name, char *out, size_t cap)
{
  char safe[512];
  acme_store_safe(name, safe, sizeof safe);
  return acme_store_path(s, out, cap, "acme/%s/challenge_tokens/%s" ACME_TLSALPN_SUFFIX, s->issuer, safe);
}

static int acme_store_mkdirs(const char *path)
{
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  return 0;
}

int acme_store_write(const char *path, const void *data, size_t len, int mode)
{
  char tmp[4200];
  int rc = acme_store_mkdirs(path);
  if (rc < 0)
    return rc;
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -errno;
  ssize_t w = write(fd, data, len);
  rc = w == (ssize_t)len && fsync(fd) == 0 ? 0 : -EIO;
  close(fd);
  if (rc == 0 && rename(tmp, path) < 0)
    rc = -errno;
  if (rc < 0)
    unlink(tmp);
  return rc;
}

int acme_store_read(const char *path, char **data, size_t *len)
{
  struct acme_buf b = { 0 };
  char chunk[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0)
    if (acme_buf_append(&b, chunk, (size_t)n) < 0)
      break;
  close(fd);
  if (n != 0 || !b.data) {
    acme_buf_free(&b);
    return n < 0 ? -EIO : b.data ? -ENOMEM : -ENODATA;
  }
  *data = b.data;
  *len = b.len;
  return 0;
}

static int64_t acme_store_asn1_time(const ASN1_TIME *t)
{
  struct tm tm = { 0 };
  return ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : -1;
}

int acme_store_cert_validity(const char *crt_path, int64_t *not_before, int64_t *not_after)
{
  FILE *f = fopen(crt_path, "re");
  if (!f)
    return -ENOENT;
  X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  if (!x)
    return -EINVAL;
  *not_before = acme_store_asn1_time(X509_get0_notBefore(x));
  *not_after = acme_store_asn1_time(X509_get0_notAfter(x));
  X509_free(x);
  return *not_before < 0 || *not_after < 0 ? -EINVAL : 0;
}

/* certmagic renews with a third of the lifetime left */
int acme_store_cert_fresh(const struct acme_store *s, const char *name, int64_t now)
{
  char crt[4096], key[4096];
  int64_t nb, na;
  if (acme_store_cert_path(s, name, "crt", crt, sizeof crt) < 0 || acme_store_cert_path(s, name, "key", key, sizeof key) < 0)
    return 0;
  if (access(key, R_OK) != 0 || acme_store_cert_validity(crt, &nb, &na) < 0)
    return 0;
  return now < na - (na - nb) / 3;
}

static char *acme_store_meta(const char *const *sans, size_t count, const char *cert_url)
{
  json_t *list = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(list, json_string(sans[i]));
  json_t *meta = json_pack("{s:o, s:{s:s}}", "sans", list, "issuer_data", "url", cert_url);
  char *text = meta ? json_dumps(meta, JSON_INDENT(1)) : NULL;
  json_decref(meta);
  return text;
}

int acme_store_cert_save(const struct acme_store *s, const char *name, const char *chain, const char *key_pem,
                         const char *const *sans, size_t count, const char *cert_url)
{
  char path[4096];
  char *meta = acme_store_meta(sans, count, cert_url);
  if (!meta)
    return -ENOMEM;
  /* the key first: a reader that finds the new .crt also finds its key */
  int rc = acme_store_cert_path(s, name, "key", path, sizeof path);
  if (rc == 0)
    rc = acme_store_write(path, key_pem, strlen(key_pem), 0600);
  if (rc == 0 && (rc = acme_store_cert_path(s, name, "crt", path, sizeof path)) == 0)
    rc = acme_store_write(path, chain, strlen(chain), 0600);
  if (rc == 0 && (rc = acme_store_cert_path(s, name, "json", path, sizeof path)) == 0)
    rc = acme_store_write(path, meta, strlen(meta), 0600);
  free(meta);
  return rc;
}
