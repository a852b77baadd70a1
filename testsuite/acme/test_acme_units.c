/* The ACME client's pure parts against known answers: certmagic's key
 * sanitizing and issuer keys, the storage paths, ES256 JWS objects checked
 * with the library's verifier, the CSR, TLS-ALPN-01's certificate, and the
 * lock file's life. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../check.h"
#include "runtime/acme/acme.h"

static void test_safe_and_issuer(void)
{
  static const char *const safe[][2] = {
    { "*.Example.COM", "wildcard_.example.com" }, { " a b+c:d ", "a_b_plus_c-d" }, { "../../etc/x", "etcx" },
    { "ops@example.test", "ops@example.test" },  { "x/y\\z?", "xyz" },
  };
  static const char *const issuer[][2] = {
    { "https://127.0.0.1:14000/dir", "127.0.0.1-14000-dir" },
    { "https://acme-v02.api.letsencrypt.org/directory", "acme-v02.api.letsencrypt.org-directory" },
    { "https://ca.example/acme/v2/", "ca.example-acme-v2" },
    { "https://ca.example", "ca.example" },
    { "https://ca.example/?x=/y", "ca.example" },
  };
  char out[512], key[512];
  for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++) {
    acme_store_safe(safe[i][0], out, sizeof out);
    CHECK(strcmp(out, safe[i][1]) == 0);
  }
  for (size_t i = 0; i < sizeof issuer / sizeof issuer[0]; i++) {
    acme_store_issuer_key(issuer[i][0], key, sizeof key);
    acme_store_safe(key, out, sizeof out);
    CHECK(strcmp(out, issuer[i][1]) == 0);
  }
}

static void test_paths(void)
{
  struct acme_store s;
  char p[4096];
  acme_store_init(&s, "/st", "https://127.0.0.1:14000/dir");
  acme_store_cert_path(&s, "*.Example.test", "crt", p, sizeof p);
  CHECK(strcmp(p, "/st/certificates/127.0.0.1-14000-dir/wildcard_.example.test/wildcard_.example.test.crt") == 0);
  acme_store_user_path(&s, "ops@example.test", "key", p, sizeof p);
  CHECK(strcmp(p, "/st/acme/127.0.0.1-14000-dir/users/ops@example.test/ops.key") == 0);
  acme_store_user_path(&s, NULL, "json", p, sizeof p);
  CHECK(strcmp(p, "/st/acme/127.0.0.1-14000-dir/users/default/default.json") == 0);
  acme_store_token_path(&s, "a.example", p, sizeof p);
  CHECK(strcmp(p, "/st/acme/127.0.0.1-14000-dir/challenge_tokens/a.example.json") == 0);
}

static size_t b64url_decode(const char *in, uint8_t *out, size_t cap)
{
  char buf[4096];
  size_t n = strlen(in);
  if (n + 4 > sizeof buf || n / 4 * 3 + 3 > cap)
    return 0;
  for (size_t i = 0; i < n; i++)
    buf[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
  size_t pad = (4 - n % 4) % 4;
  memset(buf + n, '=', pad);
  int len = EVP_DecodeBlock(out, (const uint8_t *)buf, (int)(n + pad));
  return len < 0 ? 0 : (size_t)len - pad;
}

/* the JWS verifies with the key, and its header says what ACME needs */
static void test_jws(void)
{
  EVP_PKEY *key = acme_key_new_p256();
  CHECK(key);
  char *jws = acme_jws_sign(key, NULL, "nonce-1", "https://ca/new-acct", "{\"a\":1}");
  json_t *obj = jws ? json_loads(jws, 0, NULL) : NULL;
  const char *prot = json_string_value(json_object_get(obj, "protected"));
  const char *pay = json_string_value(json_object_get(obj, "payload"));
  const char *sig = json_string_value(json_object_get(obj, "signature"));
  CHECK(prot && pay && sig);
  uint8_t raw[2048], rs[128];
  size_t n = prot ? b64url_decode(prot, raw, sizeof raw) : 0;
  json_t *hdr = json_loadb((const char *)raw, n, 0, NULL);
  CHECK(strcmp(json_string_value(json_object_get(hdr, "alg")) ?: "", "ES256") == 0);
  CHECK(strcmp(json_string_value(json_object_get(hdr, "nonce")) ?: "", "nonce-1") == 0);
  CHECK(json_is_object(json_object_get(hdr, "jwk")) && !json_object_get(hdr, "kid"));
  n = pay ? b64url_decode(pay, raw, sizeof raw) : 0;
  CHECK(n == 7 && memcmp(raw, "{\"a\":1}", 7) == 0);
  CHECK(sig && b64url_decode(sig, rs, sizeof rs) == 64);
  /* R || S back to DER, verified over "protected.payload" */
  ECDSA_SIG *es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
  uint8_t *der = NULL;
  int der_len = i2d_ECDSA_SIG(es, &der);
  char input[4096];
  snprintf(input, sizeof input, "%s.%s", prot ? prot : "", pay ? pay : "");
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(md, der, (size_t)der_len, (const uint8_t *)input, strlen(input)) == 1);
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
  json_decref(hdr);
  json_decref(obj);
  free(jws);
  /* with a kid the header names the account, and POST-as-GET has an empty payload */
  jws = acme_jws_sign(key, "https://ca/acct/1", "n2", "https://ca/order/1", NULL);
  obj = jws ? json_loads(jws, 0, NULL) : NULL;
  CHECK(strcmp(json_string_value(json_object_get(obj, "payload")) ?: "x", "") == 0);
  json_decref(obj);
  free(jws);
  char tp[64];
  CHECK(acme_jwk_thumbprint(key, tp, sizeof tp) == 0 && strlen(tp) == 43);
  EVP_PKEY_free(key);
}

static void test_csr(void)
{
  EVP_PKEY *key = acme_key_new_p256();
  const char *names[] = { "a.example", "b.example", "127.0.0.1" };
  char *csr = NULL;
  CHECK(acme_csr_b64url(key, names, 3, &csr) == 0 && csr);
  uint8_t der[4096];
  size_t n = csr ? b64url_decode(csr, der, sizeof der) : 0;
  const uint8_t *p = der;
  X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)n);
  CHECK(req && X509_REQ_verify(req, key) == 1);
  STACK_OF(X509_EXTENSION) *exts = req ? X509_REQ_get_extensions(req) : NULL;
  GENERAL_NAMES *sans = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
  CHECK(sans && sk_GENERAL_NAME_num(sans) == 3);
  CHECK(sans && sk_GENERAL_NAME_value(sans, 2)->type == GEN_IPADD);
  GENERAL_NAMES_free(sans);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_free(req);
  free(csr);
  char *bad = NULL;
  CHECK(acme_csr_b64url(key, names, 0, &bad) == -EINVAL && !bad);
  char *pem = acme_key_pem(key);
  CHECK(pem && strncmp(pem, "-----BEGIN EC PRIVATE KEY-----", 30) == 0);
  EVP_PKEY *back = pem ? acme_key_from_pem(pem, strlen(pem)) : NULL;
  CHECK(back && EVP_PKEY_eq(back, key) == 1);
  EVP_PKEY_free(back);
  free(pem);
  EVP_PKEY_free(key);
}

/* RFC 8737 3: self-signed, the name as the only SAN, the critical
 * id-pe-acmeIdentifier holding the DER OCTET STRING of SHA-256(key authorization) */
static void test_tlsalpn_cert(void)
{
  const char *ka = "token-1.thumbprint-1";
  char *pem = acme_tlsalpn_cert_pem("a.example", ka);
  CHECK(pem != NULL);
  BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
  X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  EVP_PKEY *key = x ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  CHECK(x && key && X509_check_private_key(x, key) == 1 && X509_verify(x, key) == 1);
  GENERAL_NAMES *sans = x ? X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
  CHECK(sans && sk_GENERAL_NAME_num(sans) == 1 && sk_GENERAL_NAME_value(sans, 0)->type == GEN_DNS);
  CHECK(sans && strcmp((const char *)ASN1_STRING_get0_data(sk_GENERAL_NAME_value(sans, 0)->d.dNSName),
                       "a.example") == 0);
  GENERAL_NAMES_free(sans);
  ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
  int at = x && oid ? X509_get_ext_by_OBJ(x, oid, -1) : -1;
  X509_EXTENSION *ext = at >= 0 ? X509_get_ext(x, at) : NULL;
  CHECK(ext && X509_EXTENSION_get_critical(ext) == 1);
  uint8_t want[34] = { 0x04, 32 };
  unsigned int n = 0;
  EVP_Digest(ka, strlen(ka), want + 2, &n, EVP_sha256(), NULL);
  const ASN1_OCTET_STRING *v = ext ? X509_EXTENSION_get_data(ext) : NULL;
  CHECK(v && ASN1_STRING_length(v) == 34 && memcmp(ASN1_STRING_get0_data(v), want, 34) == 0);
  ASN1_OBJECT_free(oid);
  EVP_PKEY_free(key);
  X509_free(x);
  BIO_free(bio);
  free(pem);
}

static void test_lock(void)
{
  char root[256], path[512], err[256], *text = NULL;
  size_t len;
  struct acme_lock *a = NULL, *b = NULL;
  test_tmp_name(root, sizeof root, "acme-lock");
  snprintf(path, sizeof path, "%s/locks/issue_cert_a.example.lock", root);
  CHECK(acme_lock_acquire(root, "issue_cert_a.example", 1, &a, err, sizeof err) == 0);
  CHECK(acme_store_read(path, &text, &len) == 0 && strstr(text, "\"created\":\"") && strstr(text, "\"updated\":\""));
  /* the holder keeps it fresh: "updated" moves, "created" stays */
  sleep(ACME_LOCK_FRESHNESS + 1);
  char *later = NULL;
  CHECK(acme_store_read(path, &later, &len) == 0 && text && strcmp(later, text) != 0 &&
        strncmp(later, text, strlen("{\"created\":\"2026-01-01T00:00:00.000000000Z\"")) == 0);
  free(later);
  free(text);
  /* held and fresh: the second waits, then gives up */
  CHECK(acme_lock_acquire(root, "issue_cert_a.example", 1, &b, err, sizeof err) == -ETIMEDOUT && !b);
  acme_lock_release(a);
  CHECK(access(path, F_OK) != 0);
  /* a holder that stopped refreshing (or left an empty file long ago) is taken over */
  const char *stale = "{\"created\":\"2020-01-01T00:00:00Z\",\"updated\":\"2020-01-01T00:00:05.123+01:00\"}\n";
  CHECK(acme_store_write(path, stale, strlen(stale), 0644) == 0);
  CHECK(acme_lock_acquire(root, "issue_cert_a.example", 1, &b, err, sizeof err) == 0);
  acme_lock_release(b);
  snprintf(path, sizeof path, "%s/locks", root);
  rmdir(path);
  rmdir(root);
}

int main(void)
{
  test_safe_and_issuer();
  test_paths();
  test_jws();
  test_csr();
  test_tlsalpn_cert();
  test_lock();
  return check_failures ? 1 : 0;
}
