/* The helpers of ebpf programs (abi/helpers.def ids 60..): time, random
 * bytes, digests and encodings through the TLS library's libcrypto, a JSON
 * reader and the per-worker rate limiter. Unlike the generated code's
 * helpers, which answer a bad pointer with -EFAULT, these trap the request:
 * only a broken or hostile program passes one, and a 500 says so. */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#ifndef ZSRT_NO_NET
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#endif

#include "../abi/cage.h"
#include "cage.h"
#include "json_get.h"
#include "plugin_limits.h"

#define PLUGIN_ERR(e) ((unsigned long long)(long long)-(e))
#define PLUGIN_MAX_RANDOM 4096

static struct helper_state *plugin_state(struct zs_native_ctx *ctx)
{
  return ctx->host;
}

/* a range the program may read, as a host pointer; traps on anything else */
static const unsigned char *plugin_in(struct zs_native_ctx *ctx, uint64_t ptr, uint64_t len)
{
  struct cage *c = plugin_state(ctx)->cage;
  if (!cage_readable(c, ptr, len))
    ctx->trap(ctx, ZS_TRAP_FAULT);
  return c->base + ptr;
}

/* a range the program may write; traps on anything else */
static unsigned char *plugin_out(struct zs_native_ctx *ctx, uint64_t ptr, uint64_t len)
{
  struct cage *c = plugin_state(ctx)->cage;
  if (!cage_writable(c, ptr, len))
    ctx->trap(ctx, ZS_TRAP_FAULT);
  cage_note_heap_write(c, ptr, len);
  return c->base + ptr;
}

unsigned long long helper_time_now(struct zs_native_ctx *ctx, unsigned long long unit, unsigned long long r2,
                                   unsigned long long r3, unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  helper_charge(ctx, 0);
  struct timespec ts;
  if (unit > ZS_TIME_MONO_MS)
    return PLUGIN_ERR(EINVAL);
  clock_gettime(unit == ZS_TIME_MONO_MS ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
  if (unit == ZS_TIME_UNIX_S)
    return (unsigned long long)ts.tv_sec;
  return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

unsigned long long helper_random_bytes(struct zs_native_ctx *ctx, unsigned long long dst, unsigned long long len,
                                       unsigned long long r3, unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  if (len > PLUGIN_MAX_RANDOM)
    ctx->trap(ctx, ZS_TRAP_FAULT);
  unsigned char *out = plugin_out(ctx, dst, len);
  helper_charge(ctx, len);
#ifndef ZSRT_NO_NET
  if (RAND_bytes(out, (size_t)len) != 1)
    return PLUGIN_ERR(EIO);
  return 0;
#else
  (void)out;
  ctx->trap(ctx, ZS_TRAP_HELPER);   /* the cross build has no libcrypto */
  return 0;
#endif
}

unsigned long long helper_sha256(struct zs_native_ctx *ctx, unsigned long long src, unsigned long long len,
                                 unsigned long long dst, unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  const unsigned char *in = plugin_in(ctx, src, len);
  unsigned char *out = plugin_out(ctx, dst, 32);
  helper_charge(ctx, len);
#ifndef ZSRT_NO_NET
  SHA256(in, (size_t)len, out);
  return 32;
#else
  (void)in, (void)out;
  ctx->trap(ctx, ZS_TRAP_HELPER);
  return 0;
#endif
}

unsigned long long helper_hmac_sha256(struct zs_native_ctx *ctx, unsigned long long key, unsigned long long key_len,
                                      unsigned long long msg, unsigned long long msg_len, unsigned long long dst)
{
  const unsigned char *k = plugin_in(ctx, key, key_len), *m = plugin_in(ctx, msg, msg_len);
  unsigned char *out = plugin_out(ctx, dst, 32);
  helper_charge(ctx, key_len + msg_len);
#ifndef ZSRT_NO_NET
  unsigned int n = 32;
  if (!HMAC(EVP_sha256(), k, (int)key_len, m, (size_t)msg_len, out, &n))
    return PLUGIN_ERR(EIO);
  return n;
#else
  (void)k, (void)m, (void)out;
  ctx->trap(ctx, ZS_TRAP_HELPER);
  return 0;
#endif
}

/* base64 with the URL alphabet through the standard one: characters swapped
 * in a scratch copy, padding added for decoding and dropped after encoding */
static long plugin_b64(unsigned how, const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
#ifndef ZSRT_NO_NET
  unsigned char tmp[EXEC_MAX_VALUE + 4];
  if (how == ZS_B64_ENCODE || how == ZS_B64_ENCODE_URL) {
    if (n > (EXEC_MAX_VALUE / 4) * 3 || cap < (n + 2) / 3 * 4)
      return -ENOSPC;
    size_t len = EVP_EncodeBlock(tmp, in, n);
    for (size_t i = 0; how == ZS_B64_ENCODE_URL && i < len; i++)
      tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    while (how == ZS_B64_ENCODE_URL && len > 0 && tmp[len - 1] == '=')
      len--;
    memcpy(out, tmp, len);
    return (long)len;
  }
  if (n > EXEC_MAX_VALUE || (how == ZS_B64_DECODE && n % 4) || (how == ZS_B64_DECODE_URL && n % 4 == 1))
    return -EINVAL;
  memcpy(tmp, in, n);
  for (size_t i = 0; how == ZS_B64_DECODE_URL && i < n; i++) {
    if (tmp[i] == '+' || tmp[i] == '/')
      return -EINVAL;
    tmp[i] = tmp[i] == '-' ? '+' : tmp[i] == '_' ? '/' : tmp[i];
  }
  size_t pad = 0;
  while (n % 4)
    tmp[n++] = '=', pad++;
  while (pad < 2 && n > pad && tmp[n - 1 - pad] == '=')
    pad++;
  unsigned char dec[EXEC_MAX_VALUE];
  int got = EVP_DecodeBlock(dec, tmp, (int)n);
  if (got < 0 || (size_t)got < pad)
    return -EINVAL;
  size_t len = (size_t)got - pad;
  if (len > cap)
    return -ENOSPC;
  memcpy(out, dec, len);
  return (long)len;
#else
  (void)how, (void)in, (void)n, (void)out, (void)cap;
  return -ENOSYS;
#endif
}

unsigned long long helper_base64(struct zs_native_ctx *ctx, unsigned long long how, unsigned long long src,
                                 unsigned long long len, unsigned long long dst, unsigned long long cap)
{
  const unsigned char *in = plugin_in(ctx, src, len);
  unsigned char *out = plugin_out(ctx, dst, cap);
  helper_charge(ctx, 2 * len);
  if (how > ZS_B64_DECODE_URL)
    return PLUGIN_ERR(EINVAL);
#ifdef ZSRT_NO_NET
  ctx->trap(ctx, ZS_TRAP_HELPER);
#endif
  long n = plugin_b64((unsigned)how, in, (size_t)len, out, (size_t)cap);
  return n < 0 ? PLUGIN_ERR(-n) : (unsigned long long)n;
}

unsigned long long helper_hex_encode(struct zs_native_ctx *ctx, unsigned long long src, unsigned long long len,
                              unsigned long long dst, unsigned long long cap, unsigned long long r5)
{
  (void)r5;
  static const char digits[] = "0123456789abcdef";
  const unsigned char *in = plugin_in(ctx, src, len);
  unsigned char *out = plugin_out(ctx, dst, cap);
  helper_charge(ctx, 3 * len);
  if (len > cap / 2)
    return PLUGIN_ERR(ENOSPC);
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = (unsigned char)digits[in[i] >> 4];
    out[2 * i + 1] = (unsigned char)digits[in[i] & 15];
  }
  return 2 * len;
}

unsigned long long helper_json_get(struct zs_native_ctx *ctx, unsigned long long doc, unsigned long long len,
                                   unsigned long long path, unsigned long long path_len, unsigned long long dst_cap)
{
  uint64_t dst = dst_cap & 0xffffffffu, cap = dst_cap >> 32;
  const unsigned char *in = plugin_in(ctx, doc, len), *p = plugin_in(ctx, path, path_len);
  unsigned char *out = plugin_out(ctx, dst, cap);
  helper_charge(ctx, 2 * len + path_len);
  long n = json_get((const char *)in, (size_t)len, (const char *)p, (size_t)path_len, (char *)out, (size_t)cap);
  return n < 0 ? PLUGIN_ERR(-n) : (unsigned long long)n;
}

unsigned long long helper_rate_limit_take(struct zs_native_ctx *ctx, unsigned long long key, unsigned long long len,
                                     unsigned long long rate_milli, unsigned long long burst, unsigned long long r5)
{
  (void)r5;
  struct helper_state *st = plugin_state(ctx);
  const unsigned char *k = plugin_in(ctx, key, len);
  helper_charge(ctx, len);
  if (!st->cage->limits)
    return PLUGIN_ERR(ENOSYS);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  return (unsigned long long)plugin_limits_take(st->cage->limits, k, (size_t)len, rate_milli, burst, now);
}
