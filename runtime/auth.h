/* basic_auth's side of a request (Caddy's HTTPBasicAuth): the helper the
 * program calls, the Basic credentials read from the request, and what it
 * hands the verifier when a password has to be hashed. Hashing is not done
 * here: a bcrypt compare costs milliseconds, so the caller's verifier does
 * it off the worker (auth_pool.c) or, for --run-request, on the spot. */
#ifndef ZSRT_AUTH_H
#define ZSRT_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "../abi/native.h"

#define AUTH_HASH_CAP     64     /* a bcrypt hash is 60 bytes */
#define AUTH_PASSWORD_CAP 72     /* bcrypt reads no more of a password */

/* one password to verify: the stored hash (NUL-terminated) and the password
 * as bcrypt reads it */
struct auth_job {
  char hash[AUTH_HASH_CAP];
  char password[AUTH_PASSWORD_CAP + 1];
  size_t password_len;
};

/* What a request's program is run with. known gives the result for a
 * (hash, password) verified before (1 match, 0 not) or -1 when unknown;
 * NULL: nothing is known. A helper call that finds nothing known fills
 * pending and answers ZS_AUTH_PENDING. */
struct exec_auth {
  int (*known)(void *arg, const struct auth_job *job);
  void *arg;
  int has_pending;
  struct auth_job pending;
};

/* Caddy compares a password for a user it does not have against this hash
 * (cost 14), so that how long an answer takes does not tell which users exist */
#define AUTH_FAKE_HASH "$2b$14$X3ulqf/iGxnf1k6oMZ.RZeJUoqI9PX2PM4rS5lkIKJXduLGXGPrt6"

/* Go's Request.BasicAuth on an Authorization value: 0 and the decoded
 * "user:password" split in out (user_len, password at out + user_len + 1),
 * or -1 when it is not Basic credentials */
int auth_parse_basic(const char *value, size_t len, char *out, size_t cap, size_t *user_len, size_t *total);

/* bcrypt's compare of job's password with its hash: 1 match, 0 not, -1 when
 * the hash cannot be computed (auth_verify.c: libcrypt) */
int auth_verify(const struct auth_job *job);

/* the basic_auth helper (abi/helpers.def) */
unsigned long long helper_basic_auth(struct zs_native_ctx *ctx, unsigned long long ptr, unsigned long long n,
                                     unsigned long long r3, unsigned long long r4, unsigned long long r5);

#endif
