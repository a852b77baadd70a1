/* Keys and the certificate request: P-256 keys (Caddy's default key_type
 * p256) for accounts and certificates, kept in PEM as certmagic keeps them
 * ("EC PRIVATE KEY"), and the CSR the order is finalized with. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme.h"

EVP_PKEY *acme_key_new_p256(void)
{
  EVP_PKEY *key = NULL;
  EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
  if (kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_X9_62_prime256v1) == 1)
    EVP_PKEY_keygen(kc, &key);
  EVP_PKEY_CTX_free(kc);
  return key;
}

char *acme_key_pem(EVP_PKEY *key)
{
  BIO *bio = BIO_new(BIO_s_mem());
  char *out = NULL, *data;
  if (bio && PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
    long len = BIO_get_mem_data(bio, &data);
    if ((out = malloc((size_t)len + 1))) {
      memcpy(out, data, (size_t)len);
      out[len] = '\0';
    }
  }
  BIO_free(bio);
  return out;
}

EVP_PKEY *acme_key_from_pem(const char *pem, size_t len)
{
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  if (key && EVP_PKEY_base_id(key) != EVP_PKEY_EC) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  return key;
}

/* "DNS:a,IP:1.2.3.4,..." for the subjectAltName extension */
static int acme_csr_sans(const char *const *names, size_t count, char *out, size_t cap)
{
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    unsigned char addr[16];
    int ip = inet_pton(AF_INET, names[i], addr) == 1 || inet_pton(AF_INET6, names[i], addr) == 1;
    int n = snprintf(out + used, cap - used, "%s%s:%s", i ? "," : "", ip ? "IP" : "DNS", names[i]);
    if (n < 0 || (size_t)n >= cap - used)
      return -ENOSPC;
    used += (size_t)n;
  }
  return 0;
}

static int acme_csr_build(X509_REQ *req, EVP_PKEY *key, const char *sans)
{
  STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, (char *)sans);
  int ok = exts && ext && sk_X509_EXTENSION_push(exts, ext) && X509_REQ_set_version(req, 0) == 1 &&
           X509_REQ_set_pubkey(req, key) == 1 && X509_REQ_add_extensions(req, exts) == 1 &&
           X509_REQ_sign(req, key, EVP_sha256()) > 0;
  if (exts)
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  else
    X509_EXTENSION_free(ext);
  return ok ? 0 : -EINVAL;
}

int acme_csr_b64url(EVP_PKEY *key, const char *const *names, size_t count, char **out)
{
  char sans[ACME_MAX_NAMES * 260];
  *out = NULL;
  if (count == 0 || count > ACME_MAX_NAMES || acme_csr_sans(names, count, sans, sizeof sans) < 0)
    return -EINVAL;
  X509_REQ *req = X509_REQ_new();
  unsigned char *der = NULL;
  int len = -1;
  if (req && acme_csr_build(req, key, sans) == 0)
    len = i2d_X509_REQ(req, &der);
  X509_REQ_free(req);
  if (len <= 0)
    return -EINVAL;
  size_t cap = (size_t)len * 4 / 3 + 8;
  if ((*out = malloc(cap)))
    acme_b64url(der, (size_t)len, *out, cap);
  OPENSSL_free(der);
  return *out ? 0 : -ENOMEM;
}
