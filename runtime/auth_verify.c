/* bcrypt's compare through libcrypt (libxcrypt: $2b$ is Go's bcrypt), for
 * the verification threads and --run-request; never on a worker. */
#include <crypt.h>
#include <string.h>

#include "auth.h"

int auth_verify(const struct auth_job *job)
{
  struct crypt_data data;
  memset(&data, 0, sizeof data);
  const char *out = crypt_rn(job->password, job->hash, &data, sizeof data);
  size_t n = strlen(job->hash);
  int result = -1;
  if (out && out[0] != '*' && strlen(out) == n) {
    unsigned char diff = 0;   /* constant time, as Go's subtle.ConstantTimeCompare */
    for (size_t i = 0; i < n; i++)
      diff |= (unsigned char)(out[i] ^ job->hash[i]);
    result = diff == 0;
  }
  explicit_bzero(&data, sizeof data);
  return result;
}
