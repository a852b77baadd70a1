/* HS256 JWT verification: a request needs `Authorization: Bearer <jwt>`
 * signed with the secret, with "alg":"HS256" and, when it has one, an "exp"
 * in the future; else 401. The token's "sub" goes upstream as X-Jwt-Sub.
 *
 *     ebpf jwt_hs256.c {
 *         secret {$JWT_SECRET}
 *     }
 */
#include "zs_plugin.h"

#define TOKEN_MAX 4096

static int deny(struct zs_ctx *ctx, const char *why, unsigned len)
{
  zs_resp_header_set(ctx, "WWW-Authenticate", "Bearer");
  return zs_respond(ctx, 401, why, len);
}

/* the index of the first c in s[from, n), or -1 */
static int find(const char *s, int from, int n, char c)
{
  for (int i = from; i < n; i++)
    if (s[i] == c)
      return i;
  return -1;
}

/* a JSON number member as an integer: -1 when absent, -2 when not a
 * non-negative integer */
static long long json_int(const char *doc, unsigned len, const char *key, unsigned key_len)
{
  char num[24];
  long long n = zs_json(doc, len, key, key_len, num, sizeof num);
  if (n == -2 /* ENOENT */)
    return -1;
  if (n <= 0 || n > (long long)sizeof num)
    return -2;
  long long v = 0;
  for (int i = 0; i < n; i++) {
    if (num[i] < '0' || num[i] > '9')
      return -2;
    v = v * 10 + (num[i] - '0');
  }
  return v;
}

int zs_handle(struct zs_ctx *ctx)
{
  char *tok = ZS_HEAP, *json = ZS_HEAP + TOKEN_MAX, *secret = json + TOKEN_MAX;
  unsigned char mac[32];
  char sig[48], field[256];
  int n = zs_req_header(ctx, "Authorization", tok, TOKEN_MAX);
  if (n < 8 || n > TOKEN_MAX || !zs_bytes_eq(tok, "Bearer ", 7))
    return deny(ctx, "missing bearer token\n", 21);
  tok += 7;
  n -= 7;
  int dot1 = find(tok, 0, n, '.'), dot2 = dot1 < 0 ? -1 : find(tok, dot1 + 1, n, '.');
  if (dot2 < 0)
    return deny(ctx, "malformed token\n", 16);
  long long h = zs_base64url_decode(tok, dot1, json, TOKEN_MAX);
  if (h <= 0 || zs_json(json, h, "alg", 3, field, sizeof field) != 5 || !zs_bytes_eq(field, "HS256", 5))
    return deny(ctx, "not an HS256 token\n", 19);
  int slen = zs_arg_named(ctx, "secret", secret, TOKEN_MAX);
  if (slen <= 0 || slen > TOKEN_MAX)
    return zs_respond(ctx, 500, "no secret configured\n", 21);
  zs_hmac_sha256_of(secret, slen, tok, dot2, mac);
  long long m = zs_base64url_encode(mac, 32, sig, sizeof sig);
  unsigned diff = m == n - dot2 - 1 ? 0 : 1;
  for (int i = 0; i < 43 && !diff; i++)   /* the whole length: no early exit on a mismatch */
    diff |= (unsigned)(sig[i] ^ tok[dot2 + 1 + i]);
  if (diff)
    return deny(ctx, "bad signature\n", 14);
  long long p = zs_base64url_decode(tok + dot1 + 1, dot2 - dot1 - 1, json, TOKEN_MAX);
  if (p <= 0)
    return deny(ctx, "malformed token\n", 16);
  long long exp = json_int(json, p, "exp", 3);
  if (exp == -2 || (exp >= 0 && (unsigned long long)exp <= zs_now_s()))
    return deny(ctx, "token expired\n", 14);
  long long sub = zs_json(json, p, "sub", 3, field, sizeof field - 1);
  if (sub >= 0 && sub < (long long)sizeof field) {
    field[sub] = 0;
    zs_upstream_header_set(ctx, "X-Jwt-Sub", field);
  }
  return ZS_NEXT;
}
