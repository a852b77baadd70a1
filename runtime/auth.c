/* The basic_auth helper: the request's Basic credentials (as Go's
 * Request.BasicAuth reads them) looked up in the program's packed accounts
 * (abi/helpers.h), and the result the caller's verifier knows, or the
 * password handed over to be verified. Hashing is auth_verify.c's. */
#include "auth.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cage.h"
#include "helpers.h"
#include "http1.h"

#define AUTH_ERR(e) ((unsigned long long)(long long)-(e))

static int auth_b64_value(int c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Go's base64.StdEncoding: padded, nothing after the padding, non-zero
 * trailing bits allowed; the length decoded or -1 */
static long auth_b64_decode(const char *s, size_t n, char *out, size_t cap)
{
  if (n % 4 != 0)
    return -1;
  size_t len = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4], pad = 0;
    for (int k = 0; k < 4; k++) {
      v[k] = auth_b64_value((unsigned char)s[i + k]);
      if (s[i + k] == '=' && k >= 2 && i + 4 == n && (k == 3 || s[i + 3] == '=')) {
        v[k] = 0;
        pad++;
      } else if (v[k] < 0) {
        return -1;
      }
    }
    unsigned q = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
    if (len + 3 - (size_t)pad > cap)
      return -1;
    out[len++] = (char)(q >> 16);
    if (pad < 2)
      out[len++] = (char)(q >> 8);
    if (pad < 1)
      out[len++] = (char)q;
  }
  return (long)len;
}

int auth_parse_basic(const char *value, size_t len, char *out, size_t cap, size_t *user_len, size_t *total)
{
  static const char prefix[] = "basic ";
  if (len < 6)
    return -1;
  for (size_t i = 0; i < 6; i++) {
    char c = value[i];
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != prefix[i])
      return -1;
  }
  long n = auth_b64_decode(value + 6, len - 6, out, cap);
  const char *colon = n >= 0 ? memchr(out, ':', (size_t)n) : NULL;
  if (!colon)
    return -1;
  *user_len = (size_t)(colon - out);
  *total = (size_t)n;
  return 0;
}

/* the first Authorization field, as Go's Header.Get */
static const struct http_header *auth_header(const struct http_request *req)
{
  for (size_t i = 0; i < req->header_count; i++)
    if (req->headers[i].name_len == 13 && strncasecmp(req->headers[i].name, "authorization", 13) == 0)
      return &req->headers[i];
  return NULL;
}

/* the stored hash of user in the packed accounts, "" when it has none,
 * NULL when the accounts are malformed */
static const char *auth_account_hash(const unsigned char *p, size_t n, const char *user, size_t user_len,
                                     size_t *hash_len)
{
  for (size_t at = 1; at < n;) {
    if (n - at < 3)
      return NULL;
    size_t ulen = (size_t)p[at] | (size_t)p[at + 1] << 8;
    if (n - at - 2 < ulen + 1)
      return NULL;
    size_t hlen = p[at + 2 + ulen];
    const unsigned char *hash = p + at + 3 + ulen;
    if (n - at - 3 - ulen < hlen)
      return NULL;
    if (ulen == user_len && memcmp(p + at + 2, user, ulen) == 0) {
      *hash_len = hlen;
      return (const char *)hash;
    }
    at += 3 + ulen + hlen;
  }
  *hash_len = 0;
  return "";
}

/* the job for this password and hash; -1 when bcrypt cannot be given the
 * password (a NUL in what it reads: no stored hash comes from such a password) */
static int auth_job_fill(struct auth_job *job, const char *hash, size_t hash_len, const char *pw, size_t pw_len)
{
  if (hash_len >= sizeof job->hash)
    return -1;
  memcpy(job->hash, hash, hash_len);
  job->hash[hash_len] = '\0';
  job->password_len = pw_len < AUTH_PASSWORD_CAP ? pw_len : AUTH_PASSWORD_CAP;
  memcpy(job->password, pw, job->password_len);
  job->password[job->password_len] = '\0';
  return memchr(job->password, '\0', job->password_len) ? -1 : 0;
}

/* Caddy's Authenticate: no credentials, or a wrong password, or a user it
 * does not have (whose password is still hashed, against AUTH_FAKE_HASH) fail */
static unsigned long long auth_check(struct helper_state *st, const unsigned char *accounts, size_t n)
{
  const struct http_header *h = auth_header(st->req);
  char creds[HTTP1_MAX_HEAD];
  size_t user_len, total, hash_len;
  if (!h || auth_parse_basic(h->value, h->value_len, creds, sizeof creds, &user_len, &total) < 0)
    return ZS_AUTH_FAIL;
  const char *hash = auth_account_hash(accounts, n, creds, user_len, &hash_len);
  if (!hash)
    return AUTH_ERR(EINVAL);
  int exists = hash_len > 0;
  if (!exists) {
    hash = AUTH_FAKE_HASH;
    hash_len = sizeof AUTH_FAKE_HASH - 1;
  }
  struct auth_job job;
  int rc = auth_job_fill(&job, hash, hash_len, creds + user_len + 1, total - user_len - 1);
  int known = rc < 0 ? 0 : st->auth && st->auth->known ? st->auth->known(st->auth->arg, &job) : -1;
  if (known < 0 && st->auth) {
    st->auth->pending = job;
    st->auth->has_pending = 1;
  }
  int ok = known == 1 && exists;
  const char *user = ok ? helper_store(st->dec, creds, user_len) : NULL;
  explicit_bzero(creds, sizeof creds);
  explicit_bzero(&job, sizeof job);
  if (known < 0)
    return ZS_AUTH_PENDING;
  if (!ok)
    return ZS_AUTH_FAIL;
  if (!user)
    return AUTH_ERR(ENOSPC);
  st->dec->user_id = user;
  st->dec->user_id_len = user_len;
  return ZS_AUTH_OK;
}

unsigned long long helper_basic_auth(struct zs_native_ctx *ctx, unsigned long long ptr, unsigned long long n,
                                     unsigned long long r3, unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n);
  if (!cage_readable(st->cage, ptr, n))
    return AUTH_ERR(EFAULT);
  const unsigned char *accounts = (const unsigned char *)st->cage->base + ptr;
  if (n < 1 || accounts[0] != ZS_AUTH_BCRYPT)
    return AUTH_ERR(EINVAL);
  return auth_check(st, accounts, n);
}
