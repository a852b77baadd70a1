/* JOSE for ACME: base64url, the account key as a JWK, its RFC 7638
 * thumbprint (the key authorization's second half) and flattened JWS
 * objects signed with ES256 (RFC 8555 section 6.2). P-256 keys only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "acme.h"

#define ACME_P256_SPKI_LEN 91       /* DER SubjectPublicKeyInfo of a P-256 key; the point is its last 65 bytes */

int acme_b64url(const uint8_t *data, size_t len, char *out, size_t cap)
{
  if (cap < 4 * ((len + 2) / 3) + 1)
    return -ENOSPC;
  int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  while (n > 0 && out[n - 1] == '=')
    n--;
  out[n] = '\0';
  for (char *p = out; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return n;
}

static int acme_jwk_point(EVP_PKEY *key, uint8_t point[65])
{
  uint8_t der[ACME_P256_SPKI_LEN + 8], *p = der;
  if (i2d_PUBKEY(key, NULL) != ACME_P256_SPKI_LEN || i2d_PUBKEY(key, &p) != ACME_P256_SPKI_LEN)
    return -EINVAL;
  memcpy(point, der + ACME_P256_SPKI_LEN - 65, 65);
  return point[0] == 0x04 ? 0 : -EINVAL;
}

/* members in lexicographic order, no spaces: the thumbprint's input too */
int acme_jwk_json(EVP_PKEY *key, char *out, size_t cap)
{
  uint8_t point[65];
  char x[64], y[64];
  if (acme_jwk_point(key, point) < 0)
    return -EINVAL;
  acme_b64url(point + 1, 32, x, sizeof x);
  acme_b64url(point + 33, 32, y, sizeof y);
  int n = snprintf(out, cap, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
  return n > 0 && (size_t)n < cap ? 0 : -ENOSPC;
}

int acme_jwk_thumbprint(EVP_PKEY *key, char *out, size_t cap)
{
  char jwk[256];
  uint8_t digest[SHA256_DIGEST_LENGTH];
  if (acme_jwk_json(key, jwk, sizeof jwk) < 0)
    return -EINVAL;
  SHA256((const uint8_t *)jwk, strlen(jwk), digest);
  return acme_b64url(digest, sizeof digest, out, cap) < 0 ? -ENOSPC : 0;
}

/* ES256: the DER ECDSA signature as the fixed-width R || S of RFC 7518 */
static int acme_jws_es256(EVP_PKEY *key, const char *input, uint8_t rs[64])
{
  uint8_t der[80];
  size_t der_len = sizeof der;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestSign(md, der, &der_len, (const uint8_t *)input, strlen(input)) == 1;
  EVP_MD_CTX_free(md);
  if (!ok)
    return -EINVAL;
  const uint8_t *p = der;
  ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
  if (!sig)
    return -EINVAL;
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(sig, &r, &s);
  ok = BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32;
  ECDSA_SIG_free(sig);
  return ok ? 0 : -EINVAL;
}

static char *acme_jws_protected(EVP_PKEY *key, const char *kid, const char *nonce, const char *url)
{
  json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce", nonce, "url", url);
  if (!hdr)
    return NULL;
  char jwk[256];
  if (kid)
    json_object_set_new(hdr, "kid", json_string(kid));
  else if (acme_jwk_json(key, jwk, sizeof jwk) == 0)
    json_object_set_new(hdr, "jwk", json_loads(jwk, 0, NULL));
  char *text = json_dumps(hdr, JSON_COMPACT);
  json_decref(hdr);
  return text;
}

char *acme_jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload)
{
  char *prot = acme_jws_protected(key, kid, nonce, url);
  if (!prot)
    return NULL;
  size_t plen = payload ? strlen(payload) : 0, hlen = strlen(prot);
  char *prot64 = malloc(hlen * 4 / 3 + 8), *pay64 = malloc(plen * 4 / 3 + 8), *input = NULL, *out = NULL;
  uint8_t rs[64];
  char sig64[100];
  if (prot64 && pay64) {
    acme_b64url((const uint8_t *)prot, hlen, prot64, hlen * 4 / 3 + 8);
    acme_b64url((const uint8_t *)(payload ? payload : ""), plen, pay64, plen * 4 / 3 + 8);
    input = malloc(strlen(prot64) + strlen(pay64) + 2);
  }
  if (input) {
    sprintf(input, "%s.%s", prot64, pay64);
    if (acme_jws_es256(key, input, rs) == 0) {
      acme_b64url(rs, sizeof rs, sig64, sizeof sig64);
      json_t *jws = json_pack("{s:s, s:s, s:s}", "protected", prot64, "payload", pay64, "signature", sig64);
      out = jws ? json_dumps(jws, JSON_COMPACT) : NULL;
      json_decref(jws);
    }
  }
  free(prot);
  free(prot64);
  free(pay64);
  free(input);
  return out;
}
